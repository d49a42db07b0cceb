"""Activity patterns on the hand-made org, and the response curve on the sample."""

from __future__ import annotations

import numpy as np
import pytest

from salesops_lib import strategy
from salesops_lib.strategy.activities import _hill

from .conftest import YEARS_2026, year_2026


def test_deal_activities_count_only_up_to_the_close(tiny_ds):
    d = strategy.deal_activities(tiny_ds, year_2026()).set_index("opportunity_id")
    assert d.loc["O4", "activities"] == 2 and d.loc["O4", "call"] == 1 and d.loc["O4", "email"] == 1
    assert d.loc["O2", "visit"] == 1 and d.loc["O2", "hours"] == pytest.approx(1.0)
    assert "O6" not in d.index                        # still open


def test_per_deal_won_against_lost(tiny_ds):
    p = strategy.per_deal(tiny_ds, year_2026()).set_index(["motion", "outcome"])
    assert p.loc[("field", "won"), "activities_per_deal"] == 1.0
    assert p.loc[("field", "won"), "hours_per_deal"] == pytest.approx((30 + 60) / 60 / 2)
    assert p.loc[("field", "won"), "visit_per_deal"] == 0.5
    assert p.loc[("inside", "won"), "activities_per_deal"] == 2.0
    assert p.loc[("inside", "lost"), "hours_per_deal"] == pytest.approx(0.25)
    # two field won deals with one activity each: no spread, a zero-width interval
    assert p.loc[("field", "won"), "activities_per_deal_low"] == pytest.approx(1.0)


def test_activity_rates_per_rep_month(tiny_ds):
    r = strategy.activity_rates(tiny_ds, year_2026()).set_index(["motion", "type"])
    assert r.loc[("field", "visit"), "per_rep_month"] == pytest.approx(2 / (12 * YEARS_2026))
    assert r.loc[("field", "visit"), "minutes_per_activity"] == 45
    assert r.loc[("inside", "call"), "activities"] == 2


def test_time_per_deal(tiny_ds):
    t = strategy.time_per_deal(tiny_ds, year_2026()).set_index("motion")
    assert t.loc["field", "hours_per_deal"] == pytest.approx(2 / 3)
    assert t.loc["field", "hours_per_won_deal"] == pytest.approx(1.0)
    assert t.loc["field", "bookings_per_hour"] == pytest.approx(3000)
    assert t.loc["inside", "bookings_per_hour"] == pytest.approx(800)


def test_response_curve_shows_diminishing_returns_on_the_sample(small_ds):
    curve = strategy.response_curve(small_ds, strategy.window(small_ds, "2025", 2, kind="year"))
    for motion, fit in curve.attrs["fits"].items():
        g = curve[curve["motion"] == motion]
        assert np.allclose(g["fitted"], _hill(g["activities"], fit["a"], fit["k"], fit["h"]))
        beyond = g[g["activities"] > fit["peak"] + 1]["marginal"].to_numpy()
        assert len(beyond) >= 2 and (np.diff(beyond) < 0).all(), motion   # each touch adds less
        assert 0 < fit["r2"] < 1
    # observed points are the mean bookings of the deals with that many activities
    d = strategy.deal_activities(small_ds, strategy.window(small_ds, "2025", 2, kind="year"))
    f = d[(d["motion"] == "field") & (d["activities"] == 3)]
    row = curve[(curve["motion"] == "field") & (curve["activities"] == 3)].iloc[0]
    assert row["deals"] == len(f) and row["bookings_per_deal"] == pytest.approx(f["bookings"].mean())


def test_without_activities_each_section_says_what_it_needs(bare_ds):
    w = year_2026()
    for fn in (strategy.activity_rates, strategy.per_deal, strategy.time_per_deal,
               strategy.response_curve):
        out = fn(bare_ds, w)
        assert out.empty and "activit" in out.attrs["missing"]
    assert "activities" in strategy.reading_activities(strategy.per_deal(bare_ds, w))
    assert strategy.plot_response(strategy.response_curve(bare_ds, w)) is None
