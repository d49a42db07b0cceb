"""The strategy page's what-if and like-for-like tables, as a sales leader reads them: few
enough columns to fit the page, rows named in plain words."""

from __future__ import annotations

import pandas as pd

from salesops_lib import strategy

from .conftest import economics_frame

#: A what-if plan as ``coverage.what_if`` returns it (the sample's numbers, 2026-Q4).
PLAN = pd.DataFrame({
    "motion": ["field", "inside", "total"],
    "fte_before": [32.8, 13.1, 45.9], "fte_change": [-3.3, 2.1, -1.3],
    "fte_after": [29.4, 15.2, 44.7], "reps_before": [35, 15, 50], "reps_needed": [30, 16, 46],
    "bookings_before": [29.2e6, 1.5e6, 30.7e6], "bookings_change": [-245.9e3, 260.5e3, 14.6e3],
    "bookings_after": [29.0e6, 1.8e6, 30.8e6], "cost_before": [7.9e6, 1.4e6, 9.3e6],
    "cost_change": [-774.3e3, 227.6e3, -546.7e3], "cost_after": [7.1e6, 1.7e6, 8.8e6],
    "contribution_before": [21.3e6, 0.1e6, 21.4e6],
    "contribution_after": [21.9e6, 0.1e6 + 32.9e3, 21.4e6 + 561.3e3]})

CMP = pd.DataFrame({"estimate": ["raw", "stratified", "weighted"],
                    "gap": [-0.087, -0.076, -0.052], "low": [-0.116, -0.142, -0.098],
                    "high": [-0.059, -0.010, -0.006]})
CMP.attrs.update({"treated": "field", "control": "inside"})


def test_what_if_table_fits_the_page_in_seven_columns():
    """It had fourteen columns (FTE, reps, bookings, cost before / change / after) and
    scrolled sideways."""
    sty = strategy.what_if_table(PLAN)
    assert list(sty.data.columns) == ["motion", "reps today", "reps needed", "bookings today",
                                      "change in bookings", "change in sales cost",
                                      "change in contribution"]
    html = sty.to_html()
    for shown in (">Reps needed<", ">Change in contribution<", ">+$260.5k<", ">-$546.7k<",
                  ">+$561.3k<", ">$30.7M<", ">46<"):
        assert shown in html, shown
    # the caption says what is shown, and why its bookings differ from the economics table's
    caption = strategy.narrative.WHAT_IF_CAPTION
    assert "reps needed" in caption and "the FTE are in the chart" in caption
    assert "under the motion of each account" in html


def test_like_for_like_rows_are_plain_sentences():
    """The rows read "Raw (all deals)", "Like-for-like, strata", "Like-for-like, propensity
    weighted"."""
    sty = strategy.comparison_table(CMP)
    rows = sty.data["How the deals are compared"].tolist()
    assert rows == ["All closed deals, as they are",
                    "Matched deals: same segment, account size, industry and product",
                    "All deals, weighted to the same mix for field and inside"]
    html = sty.to_html()
    assert "strata" not in html and "propensity" not in html and "Raw" not in html
    assert ">Field win rate minus inside&#x27;s<" in html
    assert ">-8.7 points<" in html and ">-11.6 to -5.9 points<" in html


def test_economics_table_shows_the_win_rate_interval_in_one_column():
    """Fourteen columns (the interval's low and high apart) ran a few pixels past the page."""
    e = economics_frame(
        "industry", ("Financial Services", "Financial Services"), "All industries",
        deals=[599, 248, 847], win_rate=[0.43, 0.50, 0.45],
        win_rate_low=[0.39, 0.43, 0.42], win_rate_high=[0.47, 0.56, 0.48],
        avg_deal_size=[14.3e3, 2.3e3, 10.7e3], cycle_days_median=[71, 30, 51],
        fte=[4.0, 1.8, 5.8], bookings=[3.7e6, 2.8e5, 4.0e6],
        bookings_per_fte=[9.1e5, 1.5e5, 6.9e5], cost=[9.6e5, 2.0e5, 1.2e6],
        cost_of_sale=[0.26, 0.73, 0.29], contribution_per_fte=[6.7e5, 4.2e4, 4.8e5])
    sty = strategy.economics_table(e)
    assert "Win rate 95% interval" in sty.data.columns
    assert not {"win_rate_low", "win_rate_high"} & set(sty.data.columns)
    assert sty.data["Win rate 95% interval"].tolist() == ["39%–47%", "43%–56%", "42%–48%"]
    assert len(sty.data.columns) == 13
