"""Close-date timing of the pipeline forecast, worked out by hand on tiny frames."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from salesops_lib import Dataset
from salesops_lib.forecast import timing as T
from salesops_lib.periods import Period


def _ds(history):
    """Two deals, D1 and D2, with the given opportunity_history rows."""
    opps = pd.DataFrame({"opportunity_id": ["D1", "D2"], "account_id": "A1", "rep_id": "R1",
                         "stage": ["Closed Won", "S1"], "status": ["won", "open"],
                         "amount": [100.0, 200.0], "created_date": ["2026-01-01", "2026-01-08"],
                         "close_date": ["2026-02-20", "2026-04-30"],
                         "forecast_category": ["closed", "pipeline"]})
    return Dataset.from_frames(
        accounts=pd.DataFrame({"account_id": ["A1"], "account_name": ["Acme"]}),
        reps=pd.DataFrame({"rep_id": ["R1"], "rep_name": ["Rae"], "team": ["T1"]}),
        opportunities=opps, opportunity_history=pd.DataFrame(history), as_of="2026-03-01")


def _row(i, at, stage, status, close, amount=100.0):
    return {"opportunity_id": i, "changed_at": at, "stage": stage, "status": status,
            "amount": amount, "close_date": close, "forecast_category": "pipeline",
            "rep_id": "R1"}


def test_open_panel_reads_each_weeks_state_from_history():
    ds = _ds([_row("D1", "2026-01-01", "S1", "open", "2026-02-01"),
              _row("D1", "2026-01-20", "S1", "open", "2026-02-20"),     # pushed on 01-20
              _row("D1", "2026-02-20", "Closed Won", "won", "2026-02-20"),
              _row("D2", "2026-01-08", "S1", "open", "2026-04-30", 200.0)])
    p = T.open_panel(ds).sort_values(["opportunity_id", "t"])
    # weekly from the first history day (01-01): 01-01, 01-08, ..., 02-26
    d1 = p[p["opportunity_id"] == "D1"]
    assert list(d1["t"].dt.strftime("%m-%d")) == ["01-01", "01-08", "01-15", "01-22",
                                                  "01-29", "02-05", "02-12", "02-19"]
    # 31 days to 02-01 on 01-01; after the push (01-20), 29 days to 02-20 on 01-22
    assert list(d1["u"]) == [31, 24, 17, 29, 22, 15, 8, 1]
    d2 = p[p["opportunity_id"] == "D2"]
    assert d2["t"].min() == pd.Timestamp("2026-01-08") and d2["t"].max() == pd.Timestamp("2026-02-26")
    assert d2["u"].iloc[0] == (pd.Timestamp("2026-04-30") - pd.Timestamp("2026-01-08")).days


def test_no_history_means_no_panel():
    ds = Dataset.from_frames(
        accounts=pd.DataFrame({"account_id": ["A1"], "account_name": ["Acme"]}),
        reps=pd.DataFrame({"rep_id": ["R1"], "rep_name": ["Rae"], "team": ["T1"]}),
        opportunities=pd.DataFrame({"opportunity_id": ["D1"], "account_id": "A1",
                                    "rep_id": "R1", "stage": "S1", "status": "open",
                                    "amount": 1.0, "created_date": "2026-01-01",
                                    "close_date": "2026-02-01"}), as_of="2026-01-10")
    assert T.open_panel(ds).empty


def test_slips_use_only_wins_known_on_the_as_of_day_and_settled_states():
    panel = pd.DataFrame({
        "t": pd.to_datetime(["2025-06-01", "2025-06-01", "2025-06-01", "2025-12-01",
                             "2024-12-01"]),
        "opportunity_id": ["A", "B", "C", "D", "E"], "stage": "S1",
        "u": [10.0, 20.0, 5.0, 3.0, 7.0]})
    snap = pd.DataFrame({"opportunity_id": ["A", "B", "C", "D", "E"],
                         "status": ["won", "lost", "open", "won", "won"],
                         "close_date": pd.to_datetime(["2025-06-16", "2025-06-10", None,
                                                       "2025-12-05", "2024-12-09"])})
    # as of 2026-01-01, a window reaching 30 days: states up to 2026-01-01 - 30 - 90 days
    # (2025-09-03) and a year before that (after 2024-09-03): A, B, C and E; D is too recent.
    # Of these, won by then: A (slip 15 - 10 = 5) and E (8 - 7 = 1); B lost (9 - 20 = -11,
    # kept with won=False for the win odds), C still open.
    every = T.slips(panel, snap, "2026-01-01", 30)
    assert sorted(zip(every["s"], every["won"])) == [(-11.0, False), (1.0, True), (5.0, True)]
    s = every[every["won"]]
    assert sorted(s["s"]) == [1.0, 5.0]
    assert list(s.sort_values("s")["band"]) == [T.band(7)[()], T.band(10)[()]]
    # the dates shown then: E 2024-12-08 (a quarter's last month), A 2025-06-11 (its last)
    assert list(s.sort_values("s")["moq"]) == [3, 3]
    wide = T.slips(panel.assign(u=[40.0, 20.0, 5.0, 3.0, 7.0]), snap, "2026-01-01", 30)
    assert list(wide[wide["won"]].sort_values("s")["moq"]) == [1, 3]   # A (slip -25) 07-11, E


def test_close_date_timing_by_hand(monkeypatch):
    monkeypatch.setattr(T, "MIN_ROWS", 3)
    b10, b_over = int(T.band(10)), int(T.band(-3))
    past = pd.DataFrame({"stage": ["S1"] * 5 + ["S2"] * 4 + ["S1"] * 2,
                         "band": [b10] * 5 + [b_over] * 4 + [int(T.band(200))] * 2,
                         "s": [-5, 0, 3, 10, 40, 2, 5, 8, 50, 0, 0]})
    deals = pd.DataFrame({"stage": ["S1", "S1", "S1", "S1"],
                          "expected_close": pd.to_datetime(["2026-05-11", "2026-04-28", None,
                                                            "2026-11-17"])})
    p = Period.parse("2026-05")
    got = T.close_date_timing(deals, past, "2026-05-01", p.start, p.end)
    # window: days 1..30 after 05-01.
    # u = 10: all five S1 slips leave it open (10 + s >= 1); 10 + s in [1, 30] for
    #   s = -5, 0, 3, 10 -> 4 of 5
    assert got[0] == pytest.approx(4 / 5)
    # u = -3 (overdue): no S1 slips in its band, so the band's over every stage (S2):
    #   still open needs s >= 4 (5, 8, 50); in the window s in [4, 33] (5, 8) -> 2 of 3
    assert got[1] == pytest.approx(2 / 3)
    # no close date; and a band with 2 slips only (fewer than MIN_ROWS): left to stage age
    assert np.isnan(got[2]) and np.isnan(got[3])


def test_deal_odds_fall_back_to_stage_age_without_history():
    from salesops_lib.forecast import pipeline_forecast
    from tests.forecast.test_pipeline_model import make_ds

    f = pipeline_forecast(make_ds(), "2026-Q2", as_of="2026-05-01")
    assert set(f.deals["timing"]) == {"stage age"}


@pytest.fixture(scope="module")
def october():
    from salesops_lib import load_dataset
    from salesops_lib.forecast import pipeline_forecast

    ds = load_dataset("sample")
    return pipeline_forecast(ds, "2026-10", as_of="2026-10-01", correlation=None)


def test_sample_deals_are_timed_by_their_close_date(october):
    d = october.deals
    assert (d["timing"] == "close date").mean() > 0.9
    # a deal due well after October rarely books in it; one due mid-October usually does
    due_later = d["expected_close"] > pd.Timestamp("2026-12-15")
    due_now = d["expected_close"].between("2026-10-05", "2026-10-25")
    assert d.loc[due_later, "p_time"].mean() < 0.1
    assert d.loc[due_now, "p_time"].mean() > 0.5


def test_reading_timing_says_what_the_timing_rests_on(october):
    from salesops_lib.forecast import pipeline_forecast
    from tests.forecast.test_pipeline_model import make_ds

    d = october.deals
    k, n = int((d["timing"] == "close date").sum()), len(d)
    text = T.reading_timing(october)
    if k == n:
        assert text.startswith(f"For all {n:,} open deals, the timing")
    else:
        assert text.startswith(f"For {k:,} of the {n:,} open deals, the timing")
        assert f"for the other {n - k:,} (" in text
    bare = pipeline_forecast(make_ds(), "2026-Q2", as_of="2026-05-01")
    assert "how long deals like it sat in their stage" in T.reading_timing(bare)
    assert T.reading_timing(bare).startswith("For all 2 open deals")
    empty = pipeline_forecast(make_ds(), "2026-Q2", as_of="2025-12-31")
    assert T.reading_timing(empty) == "No deal was open on the as-of date."


def test_slips_are_read_by_the_month_of_the_quarter_the_date_falls_in():
    # past wins: dates shown in a quarter's first month were pulled 10 days earlier (into
    # the quarter before), dates in its last month slipped 10 days later
    past = pd.DataFrame({"stage": "S1", "band": T.band(20.0),
                         "moq": [1] * T.MIN_ROWS + [3] * T.MIN_ROWS,
                         "s": [-10.0] * T.MIN_ROWS + [10.0] * T.MIN_ROWS})
    # as of 10 Sep, September's window is days 1..20; A is due 1 Oct (day 21, October is a
    # quarter's first month), B 27 Sep (day 17, a last month): the same band of days
    deals = pd.DataFrame({"stage": ["S1", "S1"],
                          "expected_close": pd.to_datetime(["2026-10-01", "2026-09-27"])})
    p = T.close_date_timing(deals, past, "2026-09-10", "2026-09-01", "2026-09-30")
    assert p.tolist() == [1.0, 0.0]         # A lands on day 11, B on day 27
    # pooled over the calendar, each would have been a coin flip
    pooled = T.close_date_timing(deals, past.drop(columns="moq"), "2026-09-10", "2026-09-01",
                                 "2026-09-30")
    assert pooled.tolist() == [0.5, 0.5]
    # a fiscal year from February: October is its third quarter's last month
    fy2 = T.close_date_timing(deals, past, "2026-09-10", "2026-09-01", "2026-09-30",
                              fiscal_start_month=2)
    assert fy2.tolist() == [0.0, 0.5]       # A reads the month-3 slips; B (month 2) pools


def test_month_of_quarter():
    from salesops_lib.periods import month_of_quarter

    d = pd.to_datetime(["2026-01-31", "2026-02-01", "2026-03-15", "2026-10-01", None])
    assert month_of_quarter(d).tolist() == [1, 2, 3, 1, 0]
    assert month_of_quarter(d, fiscal_start_month=2).tolist() == [3, 1, 2, 3, 0]


def test_win_odds_shift_with_the_days_to_the_close_date():
    # settled past states of stage S1: due within a week (band of u=5) 10 of 40 won; due in
    # 3-4 months (band of u=100) 30 of 40 won: 40 of 80 for the stage
    n = T.MIN_ROWS + 10
    past = pd.DataFrame({"stage": "S1", "band": [T.band(5.0)[()]] * n + [T.band(100.0)[()]] * n,
                         "moq": 1, "s": 0.0,
                         "won": [True] * 10 + [False] * 30 + [True] * 30 + [False] * 10})
    deals = pd.DataFrame({"stage": ["S1", "S1", "S1", "S2"],
                          "expected_close": pd.to_datetime(["2026-03-06", "2026-06-09",
                                                            "2026-04-15", "2026-03-06"])})
    got = T.win_shift(deals, past, "2026-03-01")
    logit = lambda w: np.log(w / (1 - w))
    # stage share 1/2 (log-odds 0): near -> logit(1/4), far -> logit(3/4); a band with no
    # past states (u=45) and a stage never seen shift nothing
    assert got == pytest.approx([logit(0.25), logit(0.75), 0.0, 0.0])
    assert T.win_shift(deals, past.drop(columns="won"), "2026-03-01").tolist() == [0.0] * 4
    # too few states in a cell: no shift
    thin = past.iloc[list(range(29)) + list(range(n, 2 * n))]
    assert T.win_shift(deals, thin, "2026-03-01")[0] == 0.0
