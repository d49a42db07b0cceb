"""Charts for quotas and pay: each takes a tidy frame (and an optional ``ax``), returns the figure."""

from __future__ import annotations

import numpy as np
import pandas as pd

from .. import viz
from .quotas import METHOD_LABELS


def plot_pay_curve(curve: pd.DataFrame, ax=None, *, title: str = "Pay curve",
                   target_incentive: float | None = None):
    """Earnings against attainment (:func:`cost.pay_curve`): with gates passed, with gates
    failed (dashed, when different), and the payout with the draw (dotted, when different)."""
    fig, ax = viz.figure(title, "Attainment (% of target)", "Earnings per period ($)", ax=ax)
    x = curve["attainment"]
    ax.plot(x, curve["earnings"], color=viz.COLORS["primary"], lw=2.2, label="Earnings")
    if not np.allclose(curve["earnings_gate_failed"], curve["earnings"]):
        ax.plot(x, curve["earnings_gate_failed"], color=viz.COLORS["bad"], lw=1.6, ls="--",
                label="Gate not met")
    if not np.allclose(curve["payout"], curve["earnings"]):
        ax.plot(x, curve["payout"], color=viz.COLORS["neutral"], lw=1.4, ls=":",
                label="Paid, with the draw")
    ax.axvline(1.0, color=viz.COLORS["target"], lw=1.2)
    if target_incentive:
        ax.axhline(target_incentive, color=viz.COLORS["target"], lw=0.8, ls="--")
    viz.pct_axis(ax, "x")
    viz.money_axis(ax, "y")
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0))
    return fig


def plot_cost(sim, ax=None, *, title: str = "Plan cost across simulated outcomes"):
    """Histogram of total plan cost over the Monte Carlo draws, with P10, P50 and P90 marked."""
    if sim is None:          # no simulation (no quotas): the reading says why
        return None
    fig, ax = viz.figure(title, "Total plan cost for the period ($)", "Share of draws", ax=ax)
    c = sim.draws["cost"].to_numpy()
    w = np.full(len(c), 1.0 / len(c))
    ax.hist(c, bins=50, weights=w, color=viz.COLORS["compare"], edgecolor="white")
    s = sim.summary
    for key, label, style in (("cost_p10", "P10", ":"), ("cost_p50", "P50", "-"),
                              ("cost_p90", "P90", ":")):
        ax.axvline(s[key], color=viz.COLORS["primary"], ls=style, lw=1.6,
                   label=f"{label} {viz.money(s[key])}")
    viz.money_axis(ax, "x")
    viz.pct_axis(ax, "y")
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0))
    return fig


def plot_quota_by_team(table: pd.DataFrame, by: str = "team", ax=None, *,
                       title: str = "Quota by team and method"):
    """Grouped bars: quota per ``by`` (rows) under each method (the other columns)."""
    if table.empty or table.attrs.get("no_group"):   # the reading says why
        return None
    fig, ax = viz.figure(title, "", "Quota for the period ($)", ax=ax, size=(10, 4.4))
    methods = [c for c in table.columns if c != by]
    n, k = len(table), len(methods)
    width = 0.8 / max(k, 1)
    x = np.arange(n)
    for i, m in enumerate(methods):
        ax.bar(x + (i - (k - 1) / 2) * width, table[m], width, label=METHOD_LABELS.get(m, m),
               color=viz.PALETTE[i % len(viz.PALETTE)])
    viz.category_ticks(ax, x, table[by].astype(str))
    viz.money_axis(ax, "y")
    ax.legend(title="Method", loc="upper left", bbox_to_anchor=(1.01, 1.0))
    return fig


def plot_fairness(table: pd.DataFrame, ax=None, *,
                  title: str = "Attainment against territory potential"):
    """Scatter of attainment against potential per unit of quota, coloured by team."""
    if table.empty:          # no rep has a quota: the reading says why
        return None
    fig, ax = viz.figure(title, "Territory potential per $1 of quota", "Attainment (% of quota)",
                         ax=ax)
    colors = viz.color_map(table["team"].fillna("").astype(str))
    for team, part in table.groupby(table["team"].fillna("").astype(str)):
        ax.scatter(part["potential_per_quota"], part["attainment"], s=34, alpha=0.85,
                   color=colors[team], label=team or "(no team)")
    ax.axhline(1.0, color=viz.COLORS["target"], lw=1.2)
    viz.pct_axis(ax, "y")
    ax.legend(title="Team", loc="upper left", bbox_to_anchor=(1.01, 1.0))
    return fig
