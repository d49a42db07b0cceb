"""Charts for pipeline health, in the house style (:mod:`salesops_lib.viz`).

Each takes a frame made by this package, draws it, and returns the figure.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .. import viz
from .waterfall import ORDER

#: What each step of the walk means for the business, coloured as on every page (won in the
#: house "good" green as bookings are, lost in its "bad" red): not which way the bar goes. A
#: deal won leaves the pipeline, but it is the best news the walk holds.
WALK_MEANING = {"created": "good", "pulled in": "good", "reopened": "good", "amount up": "good",
                "won": "good", "lost": "bad", "pushed out": "bad", "amount down": "bad",
                "moved in": "neutral", "moved out": "neutral"}
#: The legend's words for each meaning (only those drawn are listed).
WALK_LEGEND = {"good": "good news (added or won)", "bad": "bad news (lost, pushed out or shrunk)",
               "neutral": "moved between groups"}


def walk_color(bucket: str) -> str:
    """The colour of a walk bucket's bar (:data:`WALK_MEANING`; start and end are drawn in the
    primary blue)."""
    return viz.COLORS[WALK_MEANING.get(bucket, "neutral")]


def plot_waterfall(wf: pd.DataFrame, title: str = "Pipeline walk", ax=None):
    """Floating bars from the start pipeline through each non-zero bucket to the end.

    ``wf``: one waterfall (``bucket``, ``amount``) as from :func:`waterfall` without ``by``.
    Each bar's amount is written above it; with many bars in short form ("+$197k") and,
    where two neighbours would still touch, the second a line higher. A bar's colour says what
    the step means (:func:`walk_color`: won green, lost and pushed out red), its position and
    sign which way the pipeline moved; the legend, under the chart, names the colours drawn.
    """
    a = wf.set_index("bucket")["amount"].reindex(list(ORDER)).fillna(0.0)
    keep = [b for b in ORDER if b in ("start", "end") or a[b] != 0]
    a = a[keep]
    fig, ax = viz.figure(title, "Step of the walk", "Pipeline amount ($)", ax=ax)
    many = len(a) > 7

    def amount(v):
        return viz.money(v, 0 if many and abs(v) < 1e6 else 1)

    level = a["start"]
    x = np.arange(len(a))
    notes, named = [], set()
    for i, (bucket, v) in enumerate(a.items()):
        if bucket in ("start", "end"):
            ax.bar(i, v, color=viz.COLORS["primary"], width=0.65)
            top, text = v, amount(v)
        else:
            bottom = level if v >= 0 else level + v
            meaning = WALK_MEANING.get(bucket, "neutral")
            ax.bar(i, abs(v), bottom=bottom, width=0.65, color=walk_color(bucket),
                   label=None if meaning in named else WALK_LEGEND[meaning])
            named.add(meaning)
            top, text = bottom + abs(v), ("+" if v >= 0 else "") + amount(v)
            level += v
        notes.append(ax.annotate(text, (i, top), ha="center", va="bottom",
                                 fontsize=8 if many else 9, xytext=(0, 2),
                                 textcoords="offset points"))
    ax.set_xticks(x)
    ax.set_xticklabels([b.capitalize() for b in a.index], rotation=20, ha="right")
    ax.set_ylim(0, max(1.0, float(np.nanmax(np.abs(np.cumsum(a.to_numpy()[:-1]))) * 1.15),
                       float(a.max()) * 1.15))
    viz.money_axis(ax)
    ax.grid(axis="x", visible=False)
    viz.legend_below(ax, ncols=3)        # before the labels are lifted: it moves the axes
    for _ in range(3):                   # lift touching labels, then make room above them
        _unstack(fig, notes)
        if not _room_above(ax, notes):
            break
    return fig


def _room_above(ax, notes) -> bool:
    """Raise the top of the y axis so every amount label sits inside the axes (a legend under
    a short chart leaves less height for labels lifted above their neighbours); True when it
    had to."""
    r = ax.figure.canvas.get_renderer()
    lo, hi = ax.get_ylim()
    h, need = ax.bbox.height, hi
    for t in notes:
        above = t.get_window_extent(r).y1 - ax.transData.transform((0, t.xy[1]))[1]
        need = max(need, lo + (t.xy[1] - lo) * h / max(h - above, 1.0))
    if need <= hi * 1.001:
        return False
    ax.set_ylim(lo, need * 1.02)
    return True


def _unstack(fig, notes) -> None:
    """Raise each amount label that would touch its left neighbour above it."""
    r = fig.canvas.get_renderer()
    boxes = [t.get_window_extent(r) for t in notes]
    for i in range(1, len(notes)):
        prev, box = boxes[i - 1], boxes[i]
        if box.x0 < prev.x1 + 2 and box.y0 < prev.y1 and prev.y0 < box.y1:
            lift = (prev.y1 - box.y0) * 72 / fig.dpi + 2
            dx, dy = notes[i].xyann
            notes[i].xyann = (dx, dy + lift)
            boxes[i] = notes[i].get_window_extent(r)


def plot_rep_slips(rates: pd.DataFrame, ax=None, max_reps: int = 25,
                   title: str = "Share of deals that slipped, by rep"):
    """Each rep's slip rate with its interval against the org rate; chronic reps in red.

    ``rates``: as from :func:`rep_slip_rates`. With more than ``max_reps`` reps, the chronic
    ones and then those whose interval sits highest (largest lower bound) are shown.
    """
    if rates.empty:          # no close-date history: the section's sentence says so
        return None
    r = rates.assign(_c=rates["chronic"].fillna(False).astype(bool))
    r = r.sort_values(["_c", "rate_low"], ascending=False).head(max_reps)
    if len(rates) > max_reps:
        title = f"{title} (the {max_reps} highest of {len(rates)})"
    r = r.sort_values("rate").reset_index(drop=True)
    fig, ax = viz.figure(title, "Deals whose close date was pushed at least once (%)", "Rep",
                         ax=ax, size=(9, max(3.0, 0.22 * len(r) + 1.2)))
    y = np.arange(len(r))
    colors = np.where(r["chronic"].fillna(False).astype(bool), viz.COLORS["bad"],
                      viz.COLORS["primary"])
    ax.hlines(y, r["rate_low"], r["rate_high"], colors=colors, linewidth=2)
    ax.scatter(r["rate"], y, color=colors, zorder=3, s=18)
    if len(r):
        org = float(r["org_rate"].iloc[0])
        ax.axvline(org, color=viz.COLORS["target"], linestyle="--", linewidth=1.2)
        ax.annotate(f"org {viz.pct(org)}", (org, len(r) - 0.5), color=viz.COLORS["target"],
                    fontsize=9, xytext=(3, 0), textcoords="offset points")
    viz.category_ticks(ax, y, r["rep_name"], axis="y", fontsize=8)
    viz.pct_axis(ax, "x")
    # what the colours mean, on the chart itself (empty entries for colours not drawn)
    chronic = r["chronic"].fillna(False).astype(bool)
    for on, colour, text in ((~chronic, viz.COLORS["primary"], "within chance of the org"),
                             (chronic, viz.COLORS["bad"], "slips more than the org (chronic)")):
        if on.any():
            ax.plot([], [], color=colour, marker="o", lw=2, label=text)
    viz.legend_below(ax, ncols=2)
    return fig


def plot_funnel(funnel: pd.DataFrame, ax=None, title: str = "Share of the cohort reaching each stage"):
    """Bars of the censored estimate per stage with the share already observed as a marker.

    ``funnel``: as from :func:`cohort_funnel`.
    """
    f = funnel.reset_index(drop=True)
    fig, ax = viz.figure(title, "Share of deals created in the cohort (%)", "Stage", ax=ax,
                         size=(9, max(2.4, 0.6 * len(f) + 1.6)))     # a bar is a bar high
    y = np.arange(len(f))[::-1]
    ax.barh(y, f["share"], color=viz.COLORS["primary"], height=0.6,
            label="expected, open deals counted as still running")
    ax.scatter(f["observed_share"], y, color=viz.COLORS["target"], zorder=3, marker="|", s=300,
               label="reached so far")
    ax.set_yticks(y)
    ax.set_yticklabels([str(s).capitalize() if s == "won" else str(s) for s in f["stage"]])
    ax.set_xlim(0, 1.05)
    viz.pct_axis(ax, "x")
    # under the axis label whatever the chart's height (a fixed -0.18 of a one-bar chart's
    # axes touched the label)
    viz.legend_below(ax, ncols=2)
    return fig


def plot_stage_days(norms: pd.DataFrame, ax=None, title: str = "Days in stage: the org's norms"):
    """Median and 75th-percentile days per stage; the stall stage highlighted. None when no
    stage has a measured median (no stage dates: the section's sentence says so)."""
    n = norms.reset_index(drop=True)
    if n.empty or n["median_days"].isna().all():
        return None
    fig, ax = viz.figure(title, "Stage", "Time in stage (days)", ax=ax)
    x = np.arange(len(n))
    ax.bar(x - 0.2, n["median_days"], width=0.4, color=viz.COLORS["primary"], label="median")
    ax.bar(x + 0.2, n["p75_days"], width=0.4, color=viz.COLORS["compare"],
           label="75th percentile (stuck beyond)")
    ax.set_xticks(x, [viz.wrap_label(s) + ("\n(stalls here)" if st else "")
                      for s, st in zip(n["stage"], n["stall"])])
    viz.legend_below(ax, ncols=2)     # under names of up to four lines
    return fig
