"""Charts of the rep-performance report (house style from :mod:`salesops_lib.viz`).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .. import viz
from .drivers import GAP_COMPONENTS
from .scorecard import rep_labels
from .verdicts import funnel_limits

_VERDICT_COLORS = {"above team": "#2E7D32", "in line with team": "#0B4F8A",
                   "below team": "#C62828", "too few deals": "#9E9E9E",
                   "above expectation": "#2E7D32", "as expected": "#0B4F8A",
                   "below expectation": "#C62828"}


def plot_leaderboard(lb: pd.DataFrame, ax=None):
    """Win rate of each rep with its Wilson 95 % interval against the team rate.

    Takes :func:`leaderboard`'s frame; colours by verdict; greys out "too few deals".
    """
    lb = lb.iloc[::-1]
    size = (9, max(3.5, 0.22 * len(lb) + 1))
    fig, ax = viz.figure("Win rate by rep, with 95% intervals", "Win rate (won ÷ closed deals)",
                         "Rep", ax=ax, size=size)
    y = np.arange(len(lb))
    colors = lb["verdict"].map(_VERDICT_COLORS).fillna(viz.COLORS["neutral"])
    ax.hlines(y, lb["win_rate_low"], lb["win_rate_high"], colors=colors, lw=2, alpha=0.7)
    ax.scatter(lb["win_rate"], y, c=colors, s=28, zorder=3)
    if len(lb) and pd.notna(lb["team_win_rate"].iloc[0]):
        ax.axvline(lb["team_win_rate"].iloc[0], color=viz.COLORS["target"], ls="--",
                   label="team win rate")
    ax.set_yticks(y, rep_labels(lb), fontsize=8)
    for v, c in _VERDICT_COLORS.items():
        if v in set(lb["verdict"]):
            ax.scatter([], [], c=c, label=v)
    ax.legend(loc="lower right", fontsize=8)
    viz.pct_axis(ax, "x")
    return fig


def plot_funnel(lb: pd.DataFrame, ax=None):
    """Funnel plot: win rate against closed deals, with the 95 % and 99.8 % control limits.

    Reps inside the funnel are indistinguishable from the team rate by chance alone.
    """
    fig, ax = viz.figure("Funnel plot: win rate against number of closed deals",
                         "Closed deals in the period", "Win rate (won ÷ closed deals)", ax=ax)
    p0 = lb["team_win_rate"].iloc[0] if len(lb) else np.nan
    n = np.linspace(1, max(float(lb["deals"].max() if len(lb) else 1), 2) * 1.05, 200)
    for level, ls in ((0.95, "--"), (0.998, ":")):
        low, high = funnel_limits(p0, n, level)
        ax.plot(n, low, color=viz.COLORS["neutral"], ls=ls, lw=1, label=f"{level * 100:g}% limits")
        ax.plot(n, high, color=viz.COLORS["neutral"], ls=ls, lw=1)
    ax.axhline(p0, color=viz.COLORS["target"], lw=1.2, label="team win rate")
    colors = lb["verdict"].map(_VERDICT_COLORS).fillna(viz.COLORS["neutral"])
    ax.scatter(lb["deals"], lb["win_rate"], c=colors, s=30, zorder=3)
    ax.set_ylim(0, 1)
    ax.legend(loc="upper right", fontsize=8)
    viz.pct_axis(ax)
    return fig


def plot_attainment(sc: pd.DataFrame, ax=None):
    """Histogram of quota attainment across reps with the 80 % and 100 % marks."""
    fig, ax = viz.figure("Quota attainment across reps", "Attainment (bookings ÷ quota)",
                         "Reps", ax=ax)
    a = sc["attainment"].dropna()
    bins = np.arange(0, max(2.0, float(a.max()) if len(a) else 2.0) + 0.1, 0.1)
    ax.hist(a.clip(upper=bins[-1]), bins=bins, color=viz.COLORS["primary"], alpha=0.85,
            edgecolor="white")
    for x, lab in ((0.8, "80% of quota"), (1.0, "quota")):
        ax.axvline(x, color=viz.COLORS["target"], ls="--" if x < 1 else "-", label=lab)
    ax.legend(loc="upper right")
    viz.pct_axis(ax, "x")
    return fig


def plot_residuals(pa: pd.DataFrame, ax=None):
    """Each rep's bookings above or below what its territory predicts, with its interval."""
    pa = pa.sort_values("residual")
    size = (9, max(3.5, 0.22 * len(pa) + 1))
    fig, ax = viz.figure("Bookings beyond what the territory explains",
                         "Residual bookings (actual − expected, $)", "Rep", ax=ax, size=size)
    y = np.arange(len(pa))
    colors = pa["verdict"].map(_VERDICT_COLORS).fillna(viz.COLORS["neutral"])
    ax.hlines(y, pa["residual_low"], pa["residual_high"], colors=colors, lw=2, alpha=0.6)
    ax.scatter(pa["residual"], y, c=colors, s=28, zorder=3)
    ax.axvline(0, color=viz.COLORS["neutral"], lw=1)
    ax.set_yticks(y, rep_labels(pa), fontsize=8)
    if pa.empty:
        ax.text(0.5, 0.5, pa.attrs.get("note", "no reps to show"), ha="center", va="center",
                transform=ax.transAxes, color=viz.COLORS["neutral"], wrap=True)
    viz.money_axis(ax, "x")
    return fig


def plot_gap(gap: pd.DataFrame, key: str = "rep_id", ax=None):
    """Stacked bars of each group's velocity gap to the median rep, by component (log points)."""
    name = "rep_name" if "rep_name" in gap.columns else key
    wide = gap.pivot_table(index=name, columns="component", values="log_points", observed=True)
    wide = wide.reindex(columns=list(GAP_COMPONENTS))
    wide = wide.loc[wide.sum(axis=1).sort_values().index]
    size = (9, max(3, 0.35 * len(wide) + 1.2))
    fig, ax = viz.figure("Where the velocity gap to the median rep comes from",
                         "Contribution to log(velocity ÷ median rep's)  (0.1 ≈ 10%)", "Rep",
                         ax=ax, size=size)
    y = np.arange(len(wide))
    pos = np.zeros(len(wide))
    neg = np.zeros(len(wide))
    for i, comp in enumerate(GAP_COMPONENTS):
        v = wide[comp].fillna(0).to_numpy()
        left = np.where(v >= 0, pos, neg)
        ax.barh(y, v, left=left, color=viz.PALETTE[i], label=comp.replace("_", " "))
        pos, neg = pos + np.clip(v, 0, None), neg + np.clip(v, None, 0)
    ax.scatter(wide.sum(axis=1), y, color="black", marker="|", s=120, zorder=3, label="total")
    ax.axvline(0, color=viz.COLORS["neutral"], lw=1)
    ax.set_yticks(y, wide.index.astype(str), fontsize=8)
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1), fontsize=8)
    return fig


def plot_cycle_km(curve: pd.DataFrame, by: str = "group", ax=None):
    """Kaplan–Meier curves: share of deals still open after ``d`` days, per group, with bands."""
    fig, ax = viz.figure("Sales cycle: share of deals still open by age",
                         "Days since the deal was created", "Share of deals still open", ax=ax)
    colors = viz.color_map(curve[by].astype(str))
    for name, c in curve.groupby(by, observed=True):
        col = colors[str(name)]
        ax.step(c["days"], c["survival"], where="post", color=col, label=str(name))
        ax.fill_between(c["days"], c["survival_low"], c["survival_high"], step="post",
                        color=col, alpha=0.15)
    ax.axhline(0.5, color=viz.COLORS["neutral"], ls=":", lw=1, label="median")
    ax.set_ylim(0, 1.02)
    ax.legend(loc="upper right", fontsize=8)
    viz.pct_axis(ax)
    return fig
