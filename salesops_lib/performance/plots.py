"""Charts of the rep-performance report (house style from :mod:`salesops_lib.viz`).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .. import viz
from ..periods import Period
from .drivers import GAP_COMPONENTS
from .narrative import COMPONENT_WORDS
from .scorecard import rep_labels
from .verdicts import ABOVE, BELOW, FEW, INLINE, funnel_limits

_VERDICT_COLORS = {ABOVE: "#2E7D32", INLINE: "#0B4F8A", BELOW: "#C62828", FEW: "#9E9E9E",
                   "above expectation": "#2E7D32", "as expected": "#0B4F8A",
                   "below expectation": "#C62828"}


#: Most reps a per-rep chart draws; beyond it the chart shows every flagged rep and the
#: highest and lowest of the others, and its title says how many of how many.
MAX_REPS_SHOWN = 80


def shown_rows(df: pd.DataFrame, score: str, flagged, limit: int = MAX_REPS_SHOWN):
    """The rows a per-rep chart draws: all of them up to ``limit``; beyond it the ``flagged``
    rows (a boolean mask; the most extreme ``score`` first if they alone pass the limit) and
    then the highest and lowest ``score`` of the others, in the frame's order. Returns
    ``(rows, note)``, ``note`` empty when every row is drawn."""
    if len(df) <= limit:
        return df, ""
    flagged = np.asarray(flagged, dtype=bool)
    order = df[score].rank(method="first").to_numpy()
    pos = np.arange(len(df))
    flag_pos = pos[flagged]
    if len(flag_pos) > limit:            # the most extreme flags, both ends
        dist = np.abs(order[flagged] - (len(df) + 1) / 2)
        flag_pos = flag_pos[np.argsort(-dist, kind="stable")[:limit]]
    rest = pos[~np.isin(pos, flag_pos)]
    k = limit - len(flag_pos)
    by_score = rest[np.argsort(order[rest], kind="stable")]
    keep = np.concatenate([flag_pos, by_score[: k // 2], by_score[len(by_score) - (k - k // 2):]
                           if k - k // 2 else by_score[:0]])
    rows = df.iloc[np.sort(np.unique(keep))]
    return rows, (f" (showing {len(rows)} of {len(df)} reps: every flagged rep, then the "
                  "highest and lowest)")


def plot_leaderboard(lb: pd.DataFrame, ax=None):
    """Win rate of each rep with its Wilson 95 % interval against its peers' rate, with the
    rep's bookings and attainment written beside it.

    Takes :func:`leaderboard`'s frame; colours by verdict (win rate against peers, flags at
    the Benjamini–Hochberg false-discovery rate); greys out "too few deals".
    """
    # the reps the false-discovery control ran over: the company's on a team page
    judged = lb.attrs.get("compared", len(lb[lb["verdict"] != FEW]))
    lb, shown = shown_rows(lb, "win_rate", lb["verdict"].isin([ABOVE, BELOW]))
    lb = lb.iloc[::-1]
    size = (10, max(3.5, 0.24 * len(lb) + 1.2))
    peers = ("role peers" if lb.attrs.get("peer_basis", "role peers") == "role peers"
             else "all reps")
    fig, ax = viz.figure(f"Win rate by rep against {peers}{shown}",
                         f"Win rate (won ÷ closed deals); intervals allow for the "
                         f"{judged} reps compared", "Rep", ax=ax, size=size)
    y = np.arange(len(lb))
    colors = lb["verdict"].map(_VERDICT_COLORS).fillna(viz.COLORS["neutral"])
    lo = lb["win_rate_adj_low"] if "win_rate_adj_low" in lb else lb["win_rate_low"]
    hi = lb["win_rate_adj_high"] if "win_rate_adj_high" in lb else lb["win_rate_high"]
    ax.hlines(y, lo, hi, colors=colors, lw=2, alpha=0.7)
    ax.scatter(lb["win_rate"], y, c=colors, s=28, zorder=3)
    if len(lb):
        ax.scatter(lb["peer_win_rate"], y, marker="|", s=90, color=viz.COLORS["target"],
                   zorder=2, label="peers' win rate")
    viz.category_ticks(ax, y, rep_labels(lb), axis="y", fontsize=8)
    ax.set_ylim(-0.7, len(lb) - 0.3)
    ax.set_xlim(0, 1)
    for v, c in _VERDICT_COLORS.items():
        if v in set(lb["verdict"]):
            ax.scatter([], [], c=c, label=v)
    if "bookings" in lb.columns:
        note = [f"{viz.money(b)}" + (f" · {viz.pct(a)} of quota" if pd.notna(a) else "")
                for b, a in zip(lb["bookings"], lb.get("attainment", pd.Series(np.nan, lb.index)))]
        for yi, text in zip(y, note):
            ax.annotate(text, xy=(1.0, yi), xycoords=("axes fraction", "data"),
                        xytext=(6, 0), textcoords="offset points", va="center", fontsize=7.5,
                        color="#333333", annotation_clip=False)
        ax.annotate("Bookings · attainment", xy=(1.0, 1.0), xycoords="axes fraction",
                    xytext=(6, 4), textcoords="offset points", fontsize=8, fontweight="bold",
                    color="#333333", annotation_clip=False)
    viz.legend_below(ax, ncols=3)
    viz.pct_axis(ax, "x")
    return fig


def plot_funnel(lb: pd.DataFrame, ax=None):
    """Funnel plot: win rate against closed deals, one funnel per peer group, drawn at the
    per-rep level Benjamini–Hochberg used (``lb.attrs["alpha"]``), so a rep outside its
    group's funnel is exactly a rep the leaderboard flags."""
    fig, ax = viz.figure("Funnel plot: win rate against number of closed deals",
                         "Closed deals in the period", "Win rate (won ÷ closed deals)", ax=ax)
    alpha = lb.attrs.get("alpha", 0.05)
    n = np.linspace(1, max(float(lb["deals"].max() if len(lb) else 1), 2) * 1.05, 200)
    groups = (lb.drop_duplicates("peer_group")[["peer_group", "peer_win_rate"]]
              if len(lb) else pd.DataFrame(columns=["peer_group", "peer_win_rate"]))
    styles = ["--", ":", "-.", (0, (5, 1))]
    for i, (g, p0) in enumerate(zip(groups["peer_group"], groups["peer_win_rate"])):
        if pd.isna(p0):
            continue
        low, high = funnel_limits(p0, n, 1 - alpha)
        ls = styles[i % len(styles)]
        name = g if g == "all reps" else f"{g} reps"
        ax.plot(n, low, color=viz.COLORS["neutral"], ls=ls, lw=1,
                label=f"{name}: {viz.pct(p0)} and flag limits")
        ax.plot(n, high, color=viz.COLORS["neutral"], ls=ls, lw=1)
        ax.axhline(p0, color=viz.COLORS["target"], lw=1, ls=ls)
    colors = lb["verdict"].map(_VERDICT_COLORS).fillna(viz.COLORS["neutral"])
    markers = ["o", "^", "s", "D"]
    for i, g in enumerate(groups["peer_group"]):
        m = (lb["peer_group"] == g).to_numpy()
        ax.scatter(lb["deals"][m], lb["win_rate"][m], c=colors[m], s=32, zorder=3,
                   marker=markers[i % len(markers)])
        if len(groups) > 1:
            ax.scatter([], [], c=viz.COLORS["neutral"], marker=markers[i % len(markers)],
                       label=f"{g} rep")
    for v, c in _VERDICT_COLORS.items():
        if v in set(lb["verdict"]):
            ax.scatter([], [], c=c, label=v)
    ax.set_ylim(0, 1)
    viz.legend_below(ax, ncols=3)
    viz.pct_axis(ax)
    return fig


def plot_attainment(sc: pd.DataFrame, ax=None):
    """Histogram of quota attainment across reps with the 80 % and 100 % marks (None when no
    rep has a quota: nothing to draw)."""
    if sc["attainment"].dropna().empty:
        return None
    fig, ax = viz.figure("Quota attainment across reps", "Attainment (bookings ÷ quota)",
                         "Reps", ax=ax)
    a = sc["attainment"].dropna()
    bins = np.arange(0, max(2.0, float(a.max()) if len(a) else 2.0) + 0.1, 0.1)
    ax.hist(a.clip(upper=bins[-1]), bins=bins, color=viz.COLORS["primary"], alpha=0.85,
            edgecolor="white")
    for x, lab in ((0.8, "80% of quota"), (1.0, "quota")):
        ax.axvline(x, color=viz.COLORS["target"], ls="--" if x < 1 else "-", label=lab)
    viz.legend_below(ax, ncols=2)
    viz.pct_axis(ax, "x")
    ax.yaxis.get_major_locator().set_params(integer=True)     # reps come whole
    return fig


def plot_residuals(pa: pd.DataFrame, ax=None):
    """Each rep's bookings above or below what its territory predicts, with its interval
    (None when the comparison could not be made; its reading says why)."""
    if pa.empty:
        return None
    pa = pa.sort_values("residual")
    compared = pa.attrs.get("compared", len(pa))
    pa, shown = shown_rows(pa, "residual", pa["verdict"].isin(["above expectation",
                                                             "below expectation"]))
    size = (9, max(3.5, 0.22 * len(pa) + 1))
    fig, ax = viz.figure(f"Bookings beyond what the territory explains{shown}",
                         "Bookings above or below expectation (actual − expected, $); "
                         f"intervals allow for the {compared} reps compared", "Rep",
                         ax=ax, size=size)
    y = np.arange(len(pa))
    colors = pa["verdict"].map(_VERDICT_COLORS).fillna(viz.COLORS["neutral"])
    ax.hlines(y, pa["residual_low"], pa["residual_high"], colors=colors, lw=2, alpha=0.6)
    ax.scatter(pa["residual"], y, c=colors, s=28, zorder=3)
    ax.axvline(0, color=viz.COLORS["neutral"], lw=1)
    viz.category_ticks(ax, y, rep_labels(pa), axis="y", fontsize=8)
    viz.money_axis(ax, "x")
    return fig


def plot_gap(gap: pd.DataFrame, key: str = "rep_id", ax=None):
    """Stacked bars of each group's velocity gap to the reference (the product of medians,
    :data:`~salesops_lib.performance.drivers.REFERENCE_LABEL`), by component (log points)."""
    if gap.empty:
        return None
    name = "rep_name" if "rep_name" in gap.columns else key
    wide = gap.pivot_table(index=name, columns="component", values="log_points", observed=True)
    wide = wide.reindex(columns=list(GAP_COMPONENTS))
    wide = wide.loc[wide.sum(axis=1).sort_values().index]
    size = (9, max(3, 0.35 * len(wide) + 1.2))
    fig, ax = viz.figure("Where each rep's velocity gap to the reference comes from",
                         "Contribution to the gap (log points; 0.1 ≈ 10% faster)", "Rep",
                         ax=ax, size=size)
    y = np.arange(len(wide))
    pos = np.zeros(len(wide))
    neg = np.zeros(len(wide))
    for i, comp in enumerate(GAP_COMPONENTS):
        v = wide[comp].fillna(0).to_numpy()
        left = np.where(v >= 0, pos, neg)
        ax.barh(y, v, left=left, color=viz.PALETTE[i], label=COMPONENT_WORDS.get(comp, comp))
        pos, neg = pos + np.clip(v, 0, None), neg + np.clip(v, None, 0)
    ax.scatter(wide.sum(axis=1), y, color="black", marker="|", s=120, zorder=3, label="total")
    ax.axvline(0, color=viz.COLORS["neutral"], lw=1)
    viz.category_ticks(ax, y, wide.index.astype(str), axis="y", fontsize=8)
    viz.legend_below(ax, ncols=5)
    return fig


def plot_cycle_km(curve: pd.DataFrame, by: str = "group", ax=None):
    """Kaplan–Meier curves: share of deals still open after ``d`` days, per group, with bands.

    ``by`` names the group column (``group`` for :func:`~.cycle.cycle_by`'s frame). None when
    there is no deal to draw."""
    if curve.empty:
        return None
    if by not in curve.columns:
        by = "group"
    fig, ax = viz.figure("Sales cycle: share of deals still open by age",
                         "Days since the deal was created", "Share of deals still open", ax=ax)
    colors = viz.color_map(curve[by].astype(str))
    for name, c in curve.groupby(by, observed=True):
        col = colors[str(name)]
        lab = f"{name} reps" if curve.attrs.get("by") == "role" else str(name)
        ax.step(c["days"], c["survival"], where="post", color=col, label=lab)
        ax.fill_between(c["days"], c["survival_low"], c["survival_high"], step="post",
                        color=col, alpha=0.15)
    ax.axhline(0.5, color=viz.COLORS["neutral"], ls=":", lw=1, label="half of deals closed")
    ax.set_ylim(0, 1.02)
    viz.legend_below(ax, ncols=4)
    viz.pct_axis(ax)
    return fig


def plot_team_bookings(teams: pd.DataFrame, period_label: str, ax=None,
                       last_year_label: str = "Same period last year"):
    """Bookings per team this period against quota and last year (from :func:`by_team`).

    Series the data do not have (no quota, no comparable last year) are not drawn and not in
    the legend; with no team at all nothing is drawn (returns None)."""
    if teams.empty:
        return None
    fig, ax = viz.figure(f"Bookings by team, {period_label}", "Team", "Bookings ($)", ax=ax)
    x = np.arange(len(teams))
    has_ly = teams["bookings_last_year"].notna().any()
    w = 0.38 if has_ly else 0.6
    if has_ly:
        ax.bar(x - w / 2, teams["bookings_last_year"], w, color=viz.COLORS["compare"],
               label=last_year_label)
    ax.bar(x + (w / 2 if has_ly else 0), teams["bookings"], w, color=viz.COLORS["primary"],
           label=period_label)
    if teams["quota"].notna().any():
        ax.scatter(x + (w / 2 if has_ly else 0), teams["quota"], marker="_", s=900,
                   linewidths=2.5, color=viz.COLORS["target"], label="Quota", zorder=3)
    viz.category_ticks(ax, x, teams["team"].astype(str))
    viz.money_axis(ax)
    viz.legend_below(ax, ncols=3)
    return fig


def plot_monthly_bookings(monthly: pd.DataFrame, period_label: str, ax=None):
    """Monthly bookings as bars, the report's period highlighted."""
    fig, ax = viz.figure("Monthly bookings", "Month", "Bookings ($)", ax=ax)
    P = Period.parse(period_label)
    inside = (monthly["month"] >= P.start.replace(day=1)) & (monthly["month"] <= P.end)
    colors = np.where(inside, viz.COLORS["primary"], viz.COLORS["compare"]).tolist()
    bars = ax.bar(monthly["month"], monthly["bookings"], width=25, color=colors)
    viz.money_axis(ax)
    label = period_label
    partial = monthly.attrs.get("partial_to")
    if partial is not None and len(bars):
        bars[-1].set_hatch("///")
        bars[-1].set_edgecolor("white")
        label = f"{period_label} (last month to {partial:%d %b})"
    ax.annotate(label, xy=(1, 1), xycoords="axes fraction", ha="right", va="bottom",
                color=viz.COLORS["primary"], fontweight="bold")
    fig.tight_layout()
    return fig


# --------------------------------------------------------------------------------------------
# consistency and ramp charts (re-exported by :mod:`.consistency`)
# --------------------------------------------------------------------------------------------
def plot_consistency(cons: pd.DataFrame, label: str, ax=None, title: str | None = None,
                     color_by: str | None = None):
    """Scatter of hit rate (x) against CV of monthly bookings (y), one dot per group.

    Steady performers sit bottom-right (often at quota, little month-to-month swing). Dots are
    named when there are at most 12 (by ``rep_name`` if present, else ``label``) and coloured
    by ``color_by`` (e.g. ``"team"``) when given.
    """
    if cons.empty or cons["hit_rate"].isna().all():
        return None
    fig, ax = viz.figure(title or "Consistency: hit rate vs month-to-month swing",
                         "Hit rate (share of periods at quota)",
                         "Month-to-month swing (sd ÷ mean of monthly bookings)", ax=ax)
    x = cons["hit_rate"].fillna(0) if cons["hit_rate"].notna().any() else cons["hit_rate"]
    names = (cons["rep_name"] if "rep_name" in cons.columns else cons[label]).astype(str)
    if color_by is not None:
        cmap = viz.color_map(cons[color_by].astype(str))
        for cat, col in cmap.items():
            m = (cons[color_by].astype(str) == cat).to_numpy()
            ax.scatter(x[m], cons["cv_monthly"][m], s=55, color=col, label=cat, zorder=3)
        viz.legend_below(ax, ncols=6)
    else:
        ax.scatter(x, cons["cv_monthly"], s=55, color=viz.COLORS["primary"], zorder=3)
    if len(cons) <= 12:
        for xi, yi, name in zip(x, cons["cv_monthly"], names):
            ax.annotate(name, (xi, yi), textcoords="offset points", xytext=(5, 4), fontsize=8)
    viz.pct_axis(ax, "x")
    viz.pct_axis(ax, "y")
    return fig


def plot_ramp(curve: pd.DataFrame, summary: dict | None = None, ax=None):
    """Ramp curve: the monthly mean by tenure month (points) with its interval band, the
    trailing average the ramp time is read from (:func:`.consistency.ramp_time`; the line),
    the bar and the month from which that line stays at it (None when there is no curve)."""
    if curve.empty:
        return None
    measure = (summary or {}).get("measure", "productivity")
    ylabel = ("Productivity (100% = a ramped rep's monthly bookings)" if measure == "productivity"
              else "Attainment of monthly quota")
    fig, ax = viz.figure("Ramp: new hires by month of tenure", "Month of tenure (0 = hire month)",
                         ylabel, ax=ax)
    ax.fill_between(curve["tenure_month"], curve["low"], curve["high"],
                    color=viz.COLORS["interval"], alpha=0.18, label="95% interval")
    smoothed = "smoothed" in curve.columns
    ax.plot(curve["tenure_month"], curve["value"], color=viz.COLORS["primary"], marker="o",
            lw=0.8 if smoothed else None, alpha=0.55 if smoothed else 1.0,
            label="monthly mean across reps")
    if smoothed:
        n = (summary or {}).get("smooth", 3)
        ax.plot(curve["tenure_month"], curve["smoothed"], color=viz.COLORS["primary"], lw=2.6,
                label=f"{n}-month average (ramp read from it)")
    if summary:
        ax.axhline(summary["threshold"] * summary["steady"], color=viz.COLORS["target"], ls="--",
                   label=f"{summary['threshold']:.0%} of steady level")
        if pd.notna(summary["ramp_months"]):
            ax.axvline(summary["ramp_months"], color=viz.COLORS["neutral"], ls=":",
                       label=f"at or above the bar from month {summary['ramp_months']:.0f}")
    viz.pct_axis(ax)
    viz.legend_below(ax, ncols=3)
    return fig
