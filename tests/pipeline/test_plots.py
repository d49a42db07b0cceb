"""Pipeline-health charts as a reader sees them, checked on the drawn figure: legends under the
axis label, amounts and names that do not run into each other, both axes labelled."""

from __future__ import annotations

import itertools

import matplotlib
import pandas as pd
import pytest

from salesops_lib import pipeline
from salesops_lib.pipeline.waterfall import ORDER

matplotlib.use("Agg")


@pytest.fixture(autouse=True)
def _close():
    import matplotlib.pyplot as plt

    yield
    plt.close("all")


def _legend_clears_everything_below(fig, ax):
    """The legend sits under the axes and under what they draw below them: tick labels and
    the axis label (a gap of at least 2 points, none touching)."""
    leg = ax.get_legend()
    assert leg is not None
    fig.canvas.draw()
    r = fig.canvas.get_renderer()
    top = leg.get_window_extent(r).y1
    gap = 2 * fig.dpi / 72
    assert all(top + gap <= t.get_window_extent(r).y0 for t in ax.get_xticklabels()
               if t.get_text())
    assert top + gap <= ax.xaxis.label.get_window_extent(r).y0
    assert top <= ax.bbox.y0


def _overlaps(texts, r):
    boxes = [(t.get_text(), t.get_window_extent(r)) for t in texts if t.get_text()]
    return [(a, b) for (a, ba), (b, bb) in itertools.combinations(boxes, 2) if ba.overlaps(bb)]


def funnel(stages, share, observed):
    return pd.DataFrame({"stage": stages, "share": share, "observed_share": observed,
                         "deals": 100})


def test_one_bar_funnel_legend_does_not_touch_the_axis_label():
    """The Maven export's funnel has one bar ("won"): its legend, placed a fixed 18% of the
    axes' height under them, sat on the axis label."""
    fig = pipeline.plot_funnel(funnel(["won"], [0.58], [0.58]))
    ax = fig.axes[0]
    _legend_clears_everything_below(fig, ax)
    assert ax.get_ylabel() == "Stage" and ax.get_xlabel().endswith("(%)")


def test_six_stage_funnel_legend_under_the_plot():
    stages = ["Prospecting", "Qualification", "Discovery", "Proposal", "Negotiation", "won"]
    share = [1.0, 0.82, 0.68, 0.56, 0.47, 0.42]
    fig = pipeline.plot_funnel(funnel(stages, share, [s * 0.85 for s in share]))
    _legend_clears_everything_below(fig, fig.axes[0])


def test_stage_days_legend_clears_names_on_several_lines():
    """Stage names wrapped on three lines plus "(stalls here)" ran into the legend."""
    norms = pd.DataFrame({"stage": ["Prospecting and early qualification of needs", "Proposal",
                                    "Negotiation"],
                          "median_days": [13.0, 12.0, 11.0], "p75_days": [25.0, 20.0, 18.0],
                          "stall": [True, False, False]})
    fig = pipeline.plot_stage_days(norms)
    ax = fig.axes[0]
    _legend_clears_everything_below(fig, ax)
    assert ax.get_xlabel() == "Stage" and ax.get_ylabel() == "Time in stage (days)"


@pytest.mark.parametrize("size", [None, (6, 4)])
def test_waterfall_amounts_do_not_run_into_each_other(size):
    """With every bucket moving (twelve bars), "+$196.8k" ran into "+$123.5k" above bars
    next to each other."""
    import matplotlib.pyplot as plt

    amounts = {"start": 15.8e6, "created": 5.7e6, "reopened": 123_456, "pulled in": 196_800,
               "moved in": 154_300, "amount up": 130_700, "amount down": -211_900,
               "won": -4.1e6, "lost": -4.9e6, "pushed out": -660_800, "moved out": -187_700}
    amounts["end"] = sum(amounts.values())
    wf = pd.DataFrame({"bucket": list(ORDER), "amount": [amounts[b] for b in ORDER]})
    ax = plt.subplots(figsize=size)[1] if size else None
    fig = pipeline.plot_waterfall(wf, ax=ax)
    ax = fig.axes[0]
    fig.canvas.draw()
    r = fig.canvas.get_renderer()
    assert not _overlaps(ax.texts, r)
    assert len(ax.texts) == 12 and ax.texts[0].get_text() == "$15.8M"
    # every label above its own bar and inside the axes
    assert all(t.get_window_extent(r).y1 <= ax.bbox.y1 for t in ax.texts)
    assert ax.get_xlabel() == "Step of the walk"


def test_rep_slips_chart_names_its_axes():
    rates = pd.DataFrame({"rep_name": ["Ann Lee", "Bob Roy"], "rate": [0.5, 0.3],
                          "rate_low": [0.4, 0.2], "rate_high": [0.6, 0.4],
                          "chronic": [True, False], "org_rate": [0.35, 0.35]})
    ax = pipeline.plot_rep_slips(rates).axes[0]
    assert ax.get_ylabel() == "Rep" and ax.get_xlabel().endswith("(%)")
