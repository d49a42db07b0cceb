"""Quota methods on a tiny org whose right answers are worked out on paper."""

from __future__ import annotations

import pandas as pd
import pytest

from salesops_lib import compensation as comp
from salesops_lib.data import Dataset
from salesops_lib.measures import quota_for_period

from .conftest import make_ds

REPS = [("R1", "East", "field", "2020-01-01"), ("R2", "West", "field", "2020-01-01"),
        ("R3", "West", "field", "2026-02-15")]          # hired halfway through 2026-Q1


@pytest.fixture
def qds():
    deals = [("P1", "R1", 100, "2025-02-01", "won", "Core", "A1"),    # prior-year quarter
             ("P2", "R2", 300, "2025-03-01", "won", "Core", "A2"),
             ("T1", "R1", 500, "2025-07-01", "won", "Core", "A1"),    # trailing 12 months
             ("X1", "R1", 500, "2024-12-20", "won", "Core", "A1"),    # before the window
             ("X2", "R2", 1000, "2026-01-05", "won", "Core", "A2")]   # after quotas are set
    accounts = [("A1", "R1", 100.0), ("A2", "R2", 300.0)]
    return make_ds(deals, [("R1", "2026-Q1", 500), ("R2", "2026-Q1", 500)], reps=REPS,
                   accounts=accounts)


def _q(ds, method, total=1000.0):
    return comp.allocate(ds, "2026-Q1", method, total).set_index("rep_id")["quota"].to_dict()


def test_even_prorates_a_mid_period_hire(qds):
    # weights 1, 1 and 45/90 days employed = 0.5
    assert _q(qds, "even") == pytest.approx({"R1": 400, "R2": 400, "R3": 200})


def test_prior_year_with_new_hire_at_the_role_median(qds):
    # 2025-Q1: R1 100, R2 300; R3 takes median(100, 300) x 0.5 = 100
    assert _q(qds, "prior_year") == pytest.approx({"R1": 200, "R2": 600, "R3": 200})


def test_trailing_12_months_uses_only_what_was_known(qds):
    # 2025: R1 100 + 500 = 600, R2 300 (the 2026 deal is after the day quotas are set);
    # R3 median(600, 300) x 0.5 = 225; total weight 1,125
    assert _q(qds, "trailing_12m") == pytest.approx(
        {"R1": 1000 * 600 / 1125, "R2": 1000 * 300 / 1125, "R3": 1000 * 225 / 1125})


def test_potential_weighted(qds):
    # owned potential R1 100, R2 300; R3 owns nothing yet: median 200 x 0.5 = 100
    assert _q(qds, "potential") == pytest.approx({"R1": 200, "R2": 600, "R3": 200})


def test_blend_is_the_mean_of_the_shares(qds):
    prior = [0.2, 0.6, 0.2]
    trail = [600 / 1125, 300 / 1125, 225 / 1125]
    pot = [0.2, 0.6, 0.2]
    want = {r: 1000 * (a + b + c) / 3 for r, a, b, c in zip(("R1", "R2", "R3"), prior, trail, pot)}
    assert _q(qds, "blend") == pytest.approx(want)


def test_default_total_and_team_totals(qds):
    assert comp.company_number(qds, "2026-Q1") == pytest.approx(1000.0)   # quotas already set
    q = comp.allocate(qds, "2026-Q1", "even", team_totals={"West": 600})
    got = q.set_index("rep_id")["quota"].to_dict()
    # West's 600 split 1 : 0.5 between R2 and R3; East gets the remaining 400
    assert got == pytest.approx({"R1": 400, "R2": 400, "R3": 200})
    with pytest.raises(ValueError, match="no rep"):
        comp.allocate(qds, "2026-Q1", "even", team_totals={"North": 1})
    with pytest.raises(ValueError, match="unknown quota method 'stretch'"):
        comp.allocate(qds, "2026-Q1", "stretch")
    with pytest.raises(ValueError, match="must be > 0"):
        comp.allocate(qds, "2026-Q1", "even", total=0)


def test_result_is_a_contract_quotas_table(qds):
    q = comp.allocate(qds, "2026-Q1", "blend")
    assert list(q.columns) == ["rep_id", "period", "quota"]
    ds2 = Dataset.from_frames(accounts=qds.accounts, reps=qds.reps,
                              opportunities=qds.opportunities, quotas=q, as_of=qds.as_of)
    back = quota_for_period(ds2, "2026-Q1", prorate_hires=False).set_index("rep_id")["quota"]
    assert back.to_dict() == pytest.approx(q.set_index("rep_id")["quota"].to_dict())


def test_compare_methods_keeps_the_total(qds):
    t = comp.compare_methods(qds, "2026-Q1", 1000.0)
    assert list(t.columns) == ["team", *comp.METHODS]
    assert t[list(comp.METHODS)].sum().to_numpy() == pytest.approx([1000.0] * 5)


def test_bottom_up_and_company_number_over_data_that_begin_mid_year():
    # the first deal is created 2025-06-01 and closes 07-01: bookings are observed from July
    # (measures.bookings_start), so before 2026-Q1 the data cover 6 months (Jul-Dec) and 450
    # of median bookings is 450 / 6 a month
    deals = [("D1", "R1", 600, "2025-07-01"), ("D2", "R2", 300, "2025-08-01")]
    ds = make_ds(deals, [("R1", "2026-Q1", 1)], reps=[("R1", "E", "field", "2020-01-01"),
                                                     ("R2", "E", "field", "2020-01-01")])
    assert comp.trailing_months(ds, "2026-Q1") == 6
    bu = comp.bottom_up(ds, "2026-Q1", attrition=0.0).set_index("rep_id")
    assert bu.loc["R1", "capacity"] == pytest.approx(450 * 3 / 6)
    nq = make_ds(deals, [], reps=[("R1", "E", "field", "2020-01-01"),
                                  ("R2", "E", "field", "2020-01-01")])
    assert comp.company_basis(nq, "2026-Q1") == (pytest.approx(900 * 3 / 6 * 1.1), "trailing_12m")


def test_bottom_up_capacity_with_ramp_and_attrition():
    # D0 (lost, 2024) shows the data reach back over the whole trailing year
    deals = [("D0", "R1", 50, "2024-11-01", "lost"),
             ("D1", "R1", 600, "2025-07-01"), ("D2", "R2", 300, "2025-08-01")]
    reps = [("R1", "E", "field", "2020-01-01"), ("R2", "E", "field", "2020-01-01"),
            ("R3", "E", "field", "2025-11-14"), ("R4", "E", "field", "2026-01-01")]
    ds = make_ds(deals, [("R1", "2026-Q1", 1)], reps=reps)
    bu = comp.bottom_up(ds, "2026-Q1", ramp_months=6, attrition=0.1).set_index("rep_id")
    keep = 1 - 0.1 * 3 / 12 / 2
    # productivity: mean of ramped reps' trailing 12 months = 450 a year; Q1's share of a
    # year: 2025 (observed from its first day: D0 closed in 2024) booked nothing in Q1, shrunk
    # towards an even split with strength 2: (1 · 0 + 2 / 4) / (1 + 2) = 1/6
    assert comp.season_share(ds, "2026-Q1") == pytest.approx(1 / 6)
    assert bu.loc["R1", "capacity"] == pytest.approx(450 / 6 * keep)
    # R3 is 92.5 days into the job at mid-quarter (14 Feb, noon): ramp = tenure / 6 months
    ramp = 92.5 / 30.4375 / 6
    assert bu.loc["R3", "ramp"] == pytest.approx(ramp)
    assert bu.loc["R3", "capacity"] == pytest.approx(450 / 6 * ramp * keep)
    # a ramp curve (as rep performance measures it) is made non-decreasing and capped at 1
    curve = pd.DataFrame({"tenure_month": [0, 1, 2, 3, 4], "value": [0.0, 0.6, 0.4, 1.3, 0.9]})
    bu2 = comp.bottom_up(ds, "2026-Q1", ramp=curve).set_index("rep_id")
    assert bu2.loc["R3", "ramp"] == pytest.approx(1.0)     # 3.04 months: past the 1.3 -> 1
    assert bu2.loc["R4", "ramp"] == pytest.approx(0.6)     # 1.46 months: 0.6 held, not 0.51


def test_bottom_up_capacity_adds_up_to_what_ramped_reps_sell():
    # three ramped field reps sold 900, 300 and 0 over the trailing year (D0 shows the data
    # reach back): the team's capacity for a quarter is (900 + 300 + 0) / 4 = 300, i.e. each
    # rep at the role's mean 400 a year, not at the median 300 (3 x 75 = 225 < what they sold)
    deals = [("D0", "R1", 50, "2024-11-01", "lost"),
             ("D1", "R1", 900, "2025-07-01"), ("D2", "R2", 300, "2025-08-01")]
    reps = [("R1", "E", "field", "2020-01-01"), ("R2", "E", "field", "2020-01-01"),
            ("R3", "E", "field", "2020-01-01")]
    ds = make_ds(deals, [("R1", "2026-Q1", 1)], reps=reps)
    year = comp.bottom_up(ds, "2026", attrition=0.0).set_index("rep_id")
    assert year["productivity"].to_numpy() == pytest.approx([400.0] * 3)
    assert year["capacity"].sum() == pytest.approx(1200.0)
    # a quarter holds its share of the year (1/6 for Q1 here: see the test above)
    bu = comp.bottom_up(ds, "2026-Q1", attrition=0.0)
    assert bu["capacity"].sum() == pytest.approx(1200.0 / 6)


def test_capacity_follows_the_season_of_complete_years():
    """The sample's 2026-Q4 capacity read $8.2M, a quarter of the year, against $10.1M booked
    in 2025-Q4: a year-end quarter holds more than a quarter of the year."""
    # 2025, observed from its first day (a deal closes in January), books 100 in Q1 and 300 in
    # Q4; 2024 is before the data and does not count
    deals = [("D1", "R1", 100, "2025-01-15"), ("D2", "R1", 300, "2025-11-15")]
    ds = make_ds(deals, [("R1", "2026-Q4", 1)], reps=[("R1", "E", "field", "2020-01-01")])
    season = comp.seasonality(ds, "2026").set_index("slot")
    assert season["years"].iloc[0] == 1 and season.at[4, "observed"] == pytest.approx(0.75)
    # shrunk with strength 2: (1 · 0.75 + 2 / 4) / 3
    assert comp.season_share(ds, "2026-Q4") == pytest.approx(1.25 / 3)
    assert comp.season_share(ds, "2026-Q2") == pytest.approx(0.5 / 3)
    assert comp.season_share(ds, "2026") == 1.0
    # a month: its slot of 12, (1 · 0.75 + 2 / 12) / 3 for November
    assert comp.season_share(ds, "2026-11") == pytest.approx((0.75 + 2 / 12) / 3)


def test_hold_and_override_keep_the_total():
    q = pd.DataFrame({"rep_id": ["R1", "R2", "R3"], "period": "2026-Q1",
                      "quota": [400.0, 400.0, 200.0]})
    got = comp.hold(q, {"R1": 500}).set_index("rep_id")["quota"]
    assert got.to_dict() == pytest.approx({"R1": 500, "R2": 400 * 500 / 600, "R3": 200 * 500 / 600})
    got = comp.hold(q, {"R1": None, "R2": 500}).set_index("rep_id")["quota"]
    assert got.to_dict() == pytest.approx({"R1": 400, "R2": 500, "R3": 100})
    assert q["quota"].tolist() == [400.0, 400.0, 200.0]          # input untouched
    with pytest.raises(ValueError, match="above the period's total"):
        comp.hold(q, {"R1": 2000})
    with pytest.raises(ValueError, match="cannot hold rep\\(s\\) \\['R9'\\]"):
        comp.hold(q, {"R9": 1})
    with pytest.raises(ValueError, match="every rep is held"):
        comp.hold(q, {"R1": 100, "R2": 100, "R3": 100})


def test_seasonality_shrinks_a_short_history():
    deals = [(f"D{i}", "R1", amt, d) for i, (amt, d) in enumerate(
        [(100, "2025-01-15"), (200, "2025-05-01"), (300, "2025-08-01"), (400, "2025-11-01")])]
    ds = make_ds(deals, [("R1", "2026", 1000)])
    s = comp.seasonality(ds, "2026", strength=1.0)
    # one year observed: (1 x observed + 1 x 0.25) / 2
    assert s["share"].tolist() == pytest.approx([0.175, 0.225, 0.275, 0.325])
    assert s["years"].iloc[0] == 1
    # data that show no close before February do not observe 2025 from its first day: its
    # January is unknown, not zero, and the year is left out (an even split)
    late = make_ds([("D0", "R1", 100, "2025-02-01"), *deals[1:]], [("R1", "2026", 1000)])
    assert comp.seasonality(late, "2026", strength=1.0)["share"].tolist() == [0.25] * 4
    annual = pd.DataFrame({"rep_id": ["R1"], "period": ["2026"], "quota": [1000.0]})
    split = comp.split_year(annual, s)
    assert split["period"].tolist() == ["2026-Q1", "2026-Q2", "2026-Q3", "2026-Q4"]
    assert split["quota"].tolist() == pytest.approx([175, 225, 275, 325])
    with pytest.raises(ValueError, match="per fiscal year"):
        comp.seasonality(ds, "2026-Q1")
