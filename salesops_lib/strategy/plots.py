"""Charts of the sales-strategy report. Each takes a frame computed elsewhere in the package,
draws with the house style (:mod:`salesops_lib.viz`), takes an optional ``ax`` and returns the
figure, or ``None`` when the frame is empty (the report's sentence then says what is missing).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .. import viz


def _label(motion) -> str:
    return str(motion)[:1].upper() + str(motion)[1:]


def _colors(motions) -> dict:
    return viz.color_map(motions)


def _empty(df) -> bool:
    return df is None or len(df) == 0 or bool(getattr(df, "attrs", {}).get("missing"))


def plot_motion_economics(econ: pd.DataFrame, ax=None):
    """Bookings and cost per rep-FTE by motion (grouped bars), from ``economics(ds, win)``."""
    if _empty(econ):
        return None
    fig, ax = viz.figure("Bookings and cost per rep-FTE by motion", "Motion",
                         "Dollars per FTE-year", ax=ax)
    x = np.arange(len(econ))
    cost_per = econ["cost"] / econ["fte"].where(econ["fte"] > 0)
    ax.bar(x - 0.2, econ["bookings_per_fte"], 0.4, label="Bookings per FTE",
           color=viz.COLORS["primary"])
    ax.bar(x + 0.2, cost_per, 0.4, label="Cost per FTE", color=viz.COLORS["neutral"])
    ax.set_xticks(x, [_label(m) for m in econ["motion"]])
    viz.money_axis(ax)
    viz.legend_right(ax)
    return fig


def _paired_bars(ax, x, slot, value, low, high, color, label) -> None:
    """One of two side-by-side bar series (``slot`` 0 or 1) with its interval as error bars."""
    v = np.asarray(value, float)
    err = np.vstack([v - np.asarray(low, float), np.asarray(high, float) - v])
    ax.bar(x + (slot - 0.5) * 0.4, v, 0.4, yerr=err, capsize=3, color=color, label=label,
           error_kw={"ecolor": "#333333", "lw": 1})


def plot_segment_contribution(rec: pd.DataFrame, ax=None):
    """Contribution per rep-hour by segment for each motion, with intervals (from
    ``coverage.recommend``)."""
    if _empty(rec):
        return None
    by = rec.attrs.get("by", rec.columns[0])
    motions = rec.attrs.get("motions", ("field", "inside"))
    fig, ax = viz.figure("Contribution per rep-hour by segment", str(by).replace("_", " ").capitalize(),
                         "Contribution per rep-hour (dollars)", ax=ax)
    x = np.arange(len(rec))
    col = _colors(motions)
    for i, m in enumerate(motions):
        _paired_bars(ax, x, i, rec[f"{m}_per_hour"], rec[f"{m}_low"], rec[f"{m}_high"],
                     col[m], _label(m))
    ax.axhline(0, color=viz.COLORS["neutral"], lw=0.8)
    viz.category_ticks(ax, x, rec[by].astype(str).tolist())
    viz.money_axis(ax)
    viz.legend_right(ax)
    return fig


def plot_comparison(cmp: pd.DataFrame, ax=None):
    """Field-minus-inside win-rate gap: raw against like-for-like, with intervals."""
    if _empty(cmp):
        return None
    # short forms of the comparison table's rows (narrative.comparison_rows)
    names = {"raw": "All deals, as they are", "stratified": "Matched deals",
             "weighted": "Weighted to the same mix"}
    t, c = cmp.attrs.get("treated", "field"), cmp.attrs.get("control", "inside")
    fig, ax = viz.figure(f"{_label(t)} minus {c} win rate", "Win-rate gap (percentage points)",
                         "", ax=ax)
    y = np.arange(len(cmp))[::-1]
    gap = 100 * cmp["gap"].to_numpy(float)
    err = np.vstack([gap - 100 * cmp["low"].to_numpy(float), 100 * cmp["high"].to_numpy(float) - gap])
    colors = [viz.COLORS["compare"] if e == "raw" else viz.COLORS["primary"] for e in cmp["estimate"]]
    ax.errorbar(gap, y, xerr=err, fmt="none", ecolor="#333333", capsize=4, lw=1)
    ax.scatter(gap, y, color=colors, s=60, zorder=3)
    ax.axvline(0, color=viz.COLORS["neutral"], lw=0.8)
    ax.set_yticks(y, [names.get(e, e) for e in cmp["estimate"]])
    return fig


def plot_activity_mix(rates: pd.DataFrame, ax=None):
    """Activities per rep per month by type and motion (from ``activities.activity_rates``)."""
    if _empty(rates):
        return None
    fig, ax = viz.figure("Activities per rep per month", "Activity type",
                         "Activities per rep-FTE per month", ax=ax)
    wide = rates.pivot_table(index="type", columns="motion", values="per_rep_month", fill_value=0)
    x = np.arange(len(wide))
    col = _colors(wide.columns)
    width = 0.8 / max(len(wide.columns), 1)
    for i, m in enumerate(wide.columns):
        ax.bar(x + (i - (len(wide.columns) - 1) / 2) * width, wide[m], width, label=_label(m),
               color=col[m])
    ax.set_xticks(x, [str(t).capitalize() for t in wide.index])
    viz.legend_right(ax)
    return fig


def plot_per_deal(per: pd.DataFrame, ax=None):
    """Activities per deal, won against lost, by motion, with intervals (``activities.per_deal``)."""
    if _empty(per):
        return None
    fig, ax = viz.figure("Activities logged before the close: won against lost deals", "Motion",
                         "Activities per deal", ax=ax)
    motions = sorted(per["motion"].unique())
    x = np.arange(len(motions))
    for i, (outcome, color) in enumerate([("won", viz.COLORS["good"]), ("lost", viz.COLORS["bad"])]):
        d = per[per["outcome"] == outcome].set_index("motion").reindex(motions)
        _paired_bars(ax, x, i, d["activities_per_deal"], d["activities_per_deal_low"],
                     d["activities_per_deal_high"], color, outcome.capitalize())
    ax.set_xticks(x, [_label(m) for m in motions])
    viz.legend_right(ax)
    return fig


def plot_response(curve: pd.DataFrame, ax=None):
    """Bookings per deal against activities on the deal: observed means (dots, sized by deals)
    and the fitted saturating curve per motion (``activities.response_curve``)."""
    if _empty(curve):
        return None
    fig, ax = viz.figure("Bookings per deal against activities on the deal", "Activities on the deal",
                         "Bookings per closed deal (dollars)", ax=ax)
    col = _colors(curve["motion"].unique())
    for m, g in curve.groupby("motion"):
        size = 15 + 85 * g["deals"] / max(curve["deals"].max(), 1)
        ax.scatter(g["activities"], g["bookings_per_deal"], s=size, color=col[m], alpha=0.55)
        ax.plot(g["activities"], g["fitted"], color=col[m], lw=2, label=f"{_label(m)} (fitted)")
    viz.money_axis(ax)
    viz.legend_right(ax)
    return fig


def plot_what_if(plan: pd.DataFrame, ax=None):
    """Rep-FTE per motion before and after the what-if (``coverage.what_if``)."""
    if _empty(plan):
        return None
    p = plan[plan["motion"] != "total"]
    fig, ax = viz.figure("Reps needed per motion, before and after the move", "Motion",
                         "Rep-FTE", ax=ax)
    x = np.arange(len(p))
    ax.bar(x - 0.2, p["fte_before"], 0.4, label="Today", color=viz.COLORS["compare"])
    ax.bar(x + 0.2, p["fte_after"], 0.4, label="After the move", color=viz.COLORS["primary"])
    ax.set_xticks(x, [_label(m) for m in p["motion"]])
    viz.legend_right(ax)
    return fig
