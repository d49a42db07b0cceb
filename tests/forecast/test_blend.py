"""Blend of sources: weights, no look-ahead in replays, the blend's own range, coverage,
the week-on-week bridge, and human calls scored against the model."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from salesops_lib.forecast import blend as B
from salesops_lib.forecast import calls as C
from salesops_lib.forecast import track as T
from salesops_lib.forecast.pipeline_model import COMPONENTS


def past_frame():
    # three quarters, one week each: the pipeline is exact in Q1, 50% off in Q2
    return pd.DataFrame({
        "period": ["2026-Q1", "2026-Q1", "2026-Q2", "2026-Q2", "2026-Q3", "2026-Q3"],
        "source": ["timeseries", "pipeline"] * 3, "week": 1,
        "as_of": pd.to_datetime(["2026-01-01"] * 2 + ["2026-04-01"] * 2 + ["2026-07-01"] * 2),
        "value": [80.0, 100.0, 90.0, 150.0, 100.0, 100.0], "lower": [60.0, 90, 70, 140, 80, 90],
        "upper": [100.0, 110, 110, 160, 120, 110], "actual": [100.0, 100, 100, 100, 100, 100]})


def test_blend_weights_are_inverse_squared_wape_and_bounds_hold_both_sources():
    past = pd.DataFrame({"period": "2026-Q1", "source": ["timeseries", "pipeline"] * 2,
                         "week": [1, 1, 1, 1], "value": [80.0, 90.0, 120.0, 110.0],
                         "lower": 0.0, "upper": 200.0, "actual": 100.0})
    w = B.weights(past)
    # WAPE: timeseries 40/200 = 0.2, pipeline 20/200 = 0.1 → weights ∝ 25 : 100
    assert w["timeseries"] == pytest.approx(0.2) and w["pipeline"] == pytest.approx(0.8)
    cur = pd.DataFrame({"unique_id": "total", "source": ["timeseries", "pipeline"],
                        "value": [100.0, 200.0], "lower": [50.0, 150.0],
                        "upper": [150.0, 250.0]})
    b = B.blend(cur, w).set_index("source").loc["blend"]
    assert b["value"] == pytest.approx(180)
    assert (b["lower"], b["upper"]) == (50.0, 250.0)      # the envelope, never excluding one
    assert B.weights(past.iloc[:0]).tolist() == [0.5, 0.5]
    # past quarters that booked nothing: no WAPE to weight by, so equal weights (not NaN)
    assert B.weights(past.assign(actual=0.0)).tolist() == [0.5, 0.5]


def test_replayed_blends_use_only_earlier_periods():
    past = past_frame()
    r = B.replay_entries(past).query("source == 'blend'").set_index("period")
    # Q1: nothing earlier → equal weights: (80 + 100) / 2
    assert r.at["2026-Q1", "value"] == pytest.approx(90.0)
    # Q2: Q1 only: pipeline exact (WAPE capped at 1e-6) → all weight on the pipeline
    assert r.at["2026-Q2", "value"] == pytest.approx(150.0, rel=1e-6)
    # changing a later quarter never changes an earlier blend
    later = past.copy()
    later.loc[later["period"] == "2026-Q3", "value"] = [10.0, 500.0]
    r2 = B.replay_entries(later).query("source == 'blend'").set_index("period")
    assert r2.loc[["2026-Q1", "2026-Q2"], "value"].tolist() == pytest.approx(
        r.loc[["2026-Q1", "2026-Q2"], "value"].tolist())
    assert {"covered", "model", "interval"} <= set(r.columns)
    cov = B.coverage(B.replay_entries(past)).set_index("source")
    # timeseries: 100 is inside [60, 100], [70, 110] and [80, 120]
    assert cov.at["timeseries", "coverage"] == pytest.approx(1.0)
    assert cov.at["pipeline", "coverage"] == pytest.approx(2 / 3)     # Q2's 150 ± 10 misses
    assert cov.at["pipeline", "wape"] == pytest.approx(50 / 300)


def test_blend_interval_from_its_own_past_errors():
    track = pd.DataFrame({"week": [1, 2, 3, 4], "value": 100.0,
                          "actual": [110.0, 80.0, 105.0, 115.0]})
    # relative errors 0.1, 0.2, 0.05, 0.15: conformal position 0.8 · (4 + 1) = 4, the largest
    lo, hi, how = B.blend_interval(200.0, {"a": 150.0}, {"a": 260.0}, track, week=2)
    assert (lo, hi) == pytest.approx((160.0, 240.0)) and "own past errors" in how
    lo, hi, how = B.blend_interval(200.0, {"a": 150.0, "b": 170.0}, {"a": 260.0, "b": 230.0},
                                   track.iloc[:3], week=2)
    assert (lo, hi) == (150.0, 260.0) and "envelope" in how
    # never below what the period has already booked (a year's range read $18.2M-$48.6M
    # with $30M+ booked by mid-November)
    lo, hi, _ = B.blend_interval(200.0, {"a": 150.0}, {"a": 260.0}, track, week=2, floor=185.0)
    assert (lo, hi) == pytest.approx((185.0, 240.0))
    lo, _, _ = B.blend_interval(200.0, {"a": 150.0}, {"a": 260.0}, track.iloc[:3], week=2,
                                floor=155.0)
    assert lo == 155.0


def test_blend_interval_needs_replays_of_several_periods():
    """Maven 2017-Q4: a range set from 7 replays of 2 quarters was narrower than both
    sources' and missed; replays of one period share its outcome."""
    two = pd.DataFrame({"week": [1, 2, 3, 4], "value": 100.0,
                        "actual": [110.0, 80.0, 105.0, 115.0],
                        "period": ["2017-Q2", "2017-Q2", "2017-Q3", "2017-Q3"]})
    lo, hi, how = B.blend_interval(200.0, {"a": 150.0}, {"a": 260.0}, two, week=2)
    assert (lo, hi) == (150.0, 260.0) and "envelope" in how
    three = two.assign(period=["2017-Q1", "2017-Q2", "2017-Q3", "2017-Q3"])
    lo, hi, how = B.blend_interval(200.0, {"a": 150.0}, {"a": 260.0}, three, week=2)
    assert (lo, hi) == pytest.approx((160.0, 240.0)) and "own past errors" in how


def test_replay_weeks_span_the_period():
    from salesops_lib.periods import Period

    assert B.replay_weeks(Period.parse("2026-Q3")) == (1, 4, 7, 10, 13)
    assert B.replay_weeks(Period.parse("2026")) == (1, 13, 25, 37, 49)
    assert B.replay_weeks(Period.parse("2026-09")) == (1, 2, 3, 4, 5)
    assert B.week_scale(Period.parse("2026-Q3")) == 1.0
    assert B.week_scale(Period.parse("2026")) == pytest.approx(365 / 91)
    # calls and stage probabilities are judged at weeks 1 and 7 of past quarters: on a month
    # week 7 fell after its end and only the first day was judged
    from salesops_lib.forecast.pipeline_model import scaled_weeks

    assert scaled_weeks(Period.parse("2026-Q3"), (1, 7)) == (1, 7)
    assert scaled_weeks(Period.parse("2026-09"), (1, 7)) == (1, 3)
    assert scaled_weeks(Period.parse("2026"), (1, 7)) == (1, 25)


class _PF:
    def __init__(self, values):
        self.components = pd.DataFrame({"unique_id": "total", "component": list(COMPONENTS),
                                        "value": values})


def test_bridge_adds_up_from_last_week_to_this_week():
    d0, d1 = pd.Timestamp("2026-11-08"), pd.Timestamp("2026-11-15")
    replayed = pd.DataFrame({"as_of": [d0, d1], "source": "timeseries", "value": [100.0, 130.0]})
    tr = T.Trend(replayed, replayed, {d0: _PF([10.0, 50, 20, 30, 5]),
                                      d1: _PF([40.0, 35, 20, 25, 5])})
    b = T.bridge(tr, pd.Series({"timeseries": 0.25, "pipeline": 0.75})).set_index("step")
    start, end = b["amount"].iloc[0], b["amount"].iloc[-1]
    assert start == pytest.approx(0.25 * 100 + 0.75 * 115)
    assert end == pytest.approx(0.25 * 130 + 0.75 * 125)
    assert b.at["deals won", "amount"] == pytest.approx(0.75 * 30)
    assert b.at["time-series model", "amount"] == pytest.approx(0.25 * 30)
    assert b["amount"].iloc[1:-1].sum() == pytest.approx(end - start)
    pts = T.weekly_points(__import__("salesops_lib").periods.Period.parse("2026-Q4"), d1)
    assert [a for _, _, a in pts][-2:] == [d0, d1] and pts[0][2] == pd.Timestamp("2026-10-01")


def test_calls_are_scored_against_the_model_and_the_actual():
    h = pd.DataFrame({"unique_id": ["T1", "T1", "T2"], "call": [90.0, 120.0, 50.0],
                      "model": [80.0, 100.0, 70.0], "actual": [100.0, 100.0, 60.0]})
    s = C.score_calls(h).set_index("unique_id")
    # T1: call errors 10 + 20 = 30, model 20 + 0 = 20 → FVA 1 − 30/20 = −0.5
    assert s.at["T1", "call_wape"] == pytest.approx(30 / 200)
    assert s.at["T1", "call_bias"] == pytest.approx(10 / 200)
    assert s.at["T1", "fva"] == pytest.approx(-0.5)
    assert s.at["T2", "fva"] == pytest.approx(0.0) and s.at["T2", "n"] == 1


def test_commit_roll_up_reads_deals_as_they_stood():
    from .test_pipeline_model import AS_OF, make_ds

    ds = make_ds()
    c = C.category_calls(ds, "2026-Q2", AS_OF, by="team").set_index("unique_id")
    # won in Q2 by 05-01: W1 200; open commit expected in Q2: O2 500; O1 is pipeline
    assert c.at["T1", "value"] == pytest.approx(700.0)
    assert c.at["T1", "best_case"] == pytest.approx(700.0)


def test_calls_of_past_months_are_judged_at_the_same_moments_as_quarters():
    """Weeks 1 and 7 of a quarter; on a month week 7 fell after its end, so a month's calls
    were judged on their first day only."""
    from .test_pipeline_model import make_ds

    ds = make_ds()
    h = C.call_history(ds, "2026-05", periods_back=2)[["period", "week", "as_of"]]
    assert h.drop_duplicates().astype(str).values.tolist() == [
        ["2026-04", "1", "2026-04-01"], ["2026-04", "3", "2026-04-15"],
        ["2026-03", "1", "2026-03-01"], ["2026-03", "3", "2026-03-15"]]
    q = C.call_history(ds, "2026-Q2", periods_back=1)[["week", "as_of"]].drop_duplicates()
    assert q["week"].tolist() == [1, 7] and q["as_of"].iloc[1] == pd.Timestamp("2026-02-12")


def test_pipeline_range_scaled_by_its_own_replayed_errors():
    raw = pd.DataFrame({"value": 100.0, "lower": 90.0, "upper": 110.0,
                        "actual": [105.0, 80.0, 110.0, 100.0, np.nan]})
    # ratios 0.5, 2, 1, 0 (the quarter in progress has no actual): position 0.8 · 5 = 4 → 2
    f, n = B.pipeline_factor(raw)
    assert f == pytest.approx(2.0) and n == 4
    assert B.pipeline_factor(raw.iloc[:3]) == (1.0, 0)


def test_calls_file_locks_the_latest_commit_by_the_report_date(tmp_path):
    f = tmp_path / "calls.csv"
    pd.DataFrame({"team": ["Field West", "Field West", "Field East", "Field East"],
                  "period": ["2026-Q4", "2026-Q4", "2026-Q4", "2026-Q3"],
                  "as_of": ["2026-10-05", "2026-11-02", "2026-12-20", "2026-09-01"],
                  "value": [3.0e6, 3.2e6, 2.0e6, 1.0e6], "source": "manager commit"}).to_csv(
        f, index=False)
    calls = C.read_calls(f)
    assert set(calls["level"]) == {"team"} and calls["value"].dtype.kind == "f"
    lk = C.locks(calls, "2026-Q4", "2026-11-15", "team")
    # Field West: the later of its two Q4 calls; Field East's Q4 call comes after the date
    assert lk[["unique_id", "value"]].values.tolist() == [["Field West", 3.2e6]]
    assert lk["source"].tolist() == ["manager commit"]
    bad = tmp_path / "bad.csv"
    pd.DataFrame({"team": ["x"], "period": ["2026-Q4"], "value": [1.0]}).to_csv(bad, index=False)
    with pytest.raises(ValueError, match="as_of"):
        C.read_calls(bad)


def test_coverage_counts_one_case_per_period_not_per_moment():
    # Q1 replayed at 3 weeks (all inside), Q2 at 3 weeks (all outside): 6 moments, 2 quarters
    past = pd.DataFrame({"period": ["2026-Q1"] * 3 + ["2026-Q2"] * 3, "source": "pipeline",
                         "week": [1, 2, 3] * 2, "value": 100.0, "lower": 90.0, "upper": 110.0,
                         "actual": [100.0] * 3 + [150.0] * 3})
    past["covered"] = (past["lower"] <= past["actual"]) & (past["actual"] <= past["upper"])
    c = B.coverage(past).set_index("source")
    assert c.at["pipeline", "n"] == 6 and c.at["pipeline", "periods"] == 2
    assert c.at["pipeline", "coverage"] == pytest.approx(0.5)
    # 1 of 2 quarters: Beta(0.025; 1, 2) .. Beta(0.975; 2, 1) = 0.0126 .. 0.9874
    assert (c.at["pipeline", "cov_low"], c.at["pipeline", "cov_high"]) == \
        pytest.approx((1 - 0.975 ** 0.5, 0.975 ** 0.5), abs=1e-4)
    # errors 0, 0, 0, −50, −50, −50 against actuals summing to 750
    assert c.at["pipeline", "wape"] == pytest.approx(150 / 750)


def test_coverage_error_is_undefined_when_nothing_was_booked():
    # a small export's replayed quarters booked $0: the table read "inf%" for the pipeline
    past = pd.DataFrame({"period": ["2026-Q1", "2026-Q2"], "source": "pipeline", "week": 1,
                         "value": [500.0, 0.0], "lower": 0.0, "upper": 900.0,
                         "actual": 0.0, "covered": True})
    c = B.coverage(past).set_index("source")
    assert np.isnan(c.at["pipeline", "wape"]) and np.isnan(c.at["pipeline", "bias"])
    assert c.at["pipeline", "coverage"] == 1.0


def test_weights_need_past_forecasts_made_at_a_comparable_point():
    """A year forecast on 1 January weighted its sources by replays of week 25 (half the year
    booked), the nearest there were: 1/WAPE² gave the time series 16/17 here. Farther than
    ``near_weeks`` from every replay, the weights are equal."""
    past = pd.DataFrame({"source": ["timeseries", "pipeline"] * 2, "week": [25] * 4,
                         "value": [110.0, 70.0, 95.0, 130.0], "actual": [100.0] * 4})
    # WAPE: time series 15/200 = 0.075, pipeline 60/200 = 0.30 → 1/w² weights 16/17, 1/17
    w = B.weights(past, 1)
    assert w["timeseries"] == pytest.approx(16 / 17)
    assert B.weights(past, 1, near_weeks=12).to_dict() == {"timeseries": 0.5, "pipeline": 0.5}
    assert B.weights(past, 20, near_weeks=12)["timeseries"] == pytest.approx(16 / 17)


def test_ranges_table_says_how_the_time_series_range_was_set_in_words():
    from salesops_lib.forecast.blend import _ts_how

    assert _ts_how("calibrated", 21) == "calibrated (21 past windows)"
    assert _ts_how("steps added", 0) == \
        "each step's range added up (no past window to calibrate on)"


def test_the_forecast_page_replays_as_many_periods_as_the_library_by_default():
    """The page and ``blend.outlook`` called in a notebook give one range for one period:
    the page's ``periods_back`` default is the library's (it was 3 against 4, so the page's
    blend range rested on 9 replays and the analyst's on 12)."""
    import inspect

    from salesops_lib import config
    from salesops_lib.forecast import blend
    from salesops_lib.report import params

    page = params.declared(config.NOTEBOOKS / "forecast.ipynb")
    library = inspect.signature(blend.outlook).parameters
    for name in ("periods_back", "horizon", "granularity", "model", "seed"):
        assert str(page[name]["default"]).strip("'\"") == str(library[name].default), name
