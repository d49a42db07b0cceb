"""measures.py: the shared business definitions, on hand-made frames computed on paper."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from salesops_lib import Dataset, measures, performance
from salesops_lib.forecast import series
from salesops_lib.performance import consistency, executive


def make_ds(quotas, reps=None, opportunities=None, history=None, fiscal_start_month=1,
            as_of="2026-11-15", stage_history=None):
    reps = reps if reps is not None else pd.DataFrame({
        "rep_id": ["r1", "r2"], "rep_name": ["Ann", "Bob"], "team": ["East", "West"],
        "hire_date": ["2020-01-01", "2020-01-01"]})
    accounts = pd.DataFrame({"account_id": ["a1"], "account_name": ["Acme"]})
    if opportunities is None:
        opportunities = pd.DataFrame({
            "opportunity_id": ["o1", "o2", "o3"], "account_id": ["a1"] * 3,
            "rep_id": ["r1", "r1", "r2"], "stage": ["Won", "Won", "Won"],
            "status": ["won", "won", "won"], "amount": [120.0, 60.0, 90.0],
            "created_date": ["2026-06-01", "2026-07-01", "2026-07-01"],
            "close_date": ["2026-08-10", "2026-09-20", "2026-09-05"]})
    return Dataset.from_frames(accounts=accounts, reps=reps, opportunities=opportunities,
                               quotas=pd.DataFrame(quotas, columns=["rep_id", "period", "quota"]),
                               opportunity_history=history, stage_history=stage_history,
                               as_of=as_of, fiscal_start_month=fiscal_start_month)


def q(ds, period):
    return measures.quota_for_period(ds, period).set_index("rep_id")["quota"].to_dict()


# --------------------------------------------------------------------------------------------
# quota for a period
# --------------------------------------------------------------------------------------------
def test_yearly_quota_is_spread_over_months():
    ds = make_ds([("r1", "2026", 1200.0)])
    assert q(ds, "2026-Q3") == {"r1": 300.0}
    assert q(ds, "2026-09") == {"r1": 100.0}
    assert q(ds, "2026") == {"r1": 1200.0}


def test_quarter_plus_one_month_refines_only_that_month():
    # Q3 300 → 100 a month; the September row (120) replaces September's 100
    ds = make_ds([("r1", "2026-Q3", 300.0), ("r1", "2026-09", 120.0)])
    assert q(ds, "2026-Q3") == {"r1": 320.0}
    assert q(ds, "2026-09") == {"r1": 120.0}
    assert q(ds, "2026-07") == {"r1": 100.0}


def test_mixed_granularity_for_one_rep_and_across_reps():
    ds = make_ds([
        ("r1", "2026", 2400.0),                              # 200 a month ...
        ("r1", "2026-Q3", 900.0),                            # ... but Q3 is 300 a month ...
        ("r1", "2026-08", 500.0),                            # ... and August is 500
        ("r2", "2026-07", 10.0), ("r2", "2026-08", 20.0), ("r2", "2026-09", 30.0)])
    assert q(ds, "2026-Q3") == {"r1": 300 + 500 + 300, "r2": 60.0}
    assert q(ds, "2026-Q4") == {"r1": 600.0}
    # the year: 9 months at 200 (Jan–Jun, Oct–Dec) + Q3's 1,100
    assert q(ds, "2026") == {"r1": 9 * 200 + 1100, "r2": 60.0}
    assert q(ds, "2026-Q1") == {"r1": 600.0}


def test_fiscal_year_starting_in_february():
    # FY2027 runs Feb 2026 – Jan 2027; its Q1 is Feb–Apr 2026
    ds = make_ds([("r1", "2027", 1200.0), ("r2", "2027-Q1", 90.0)], fiscal_start_month=2)
    assert q(ds, "2027-Q1") == {"r1": 300.0, "r2": 90.0}
    assert q(ds, "2026-02") == {"r1": 100.0, "r2": 30.0}      # months are calendar months
    assert q(ds, "2027-01") == {"r1": 100.0}                  # FY2027's last month
    m = measures.monthly_quota(ds.quotas, 2)
    feb = measures.month_index(["2026-02-01"])[0]
    jan27 = measures.month_index(["2027-01-01"])[0]
    r1 = m[m["rep_id"] == "r1"]
    assert r1["month"].min() == feb and r1["month"].max() == jan27 and len(r1) == 12


def test_rep_hired_mid_period_carries_the_employed_share():
    reps = pd.DataFrame({"rep_id": ["r1", "r2"], "rep_name": ["Ann", "Bob"],
                         "hire_date": ["2026-08-16", "2020-01-01"]})
    ds = make_ds([("r1", "2026", 1200.0), ("r2", "2026-Q3", 300.0)], reps=reps)
    # July: not yet hired; August: 16 of 31 days employed; September: full
    assert q(ds, "2026-Q3")["r1"] == pytest.approx(100 * 16 / 31 + 100)
    assert q(ds, "2026-07") == {"r2": 100.0}
    assert q(ds, "2026")["r1"] == pytest.approx(100 * 16 / 31 + 4 * 100)
    off = measures.quota_for_period(ds, "2026-Q3", prorate_hires=False)
    assert off.set_index("rep_id")["quota"]["r1"] == 300.0


def test_no_quota_rows_and_bad_quota():
    ds = make_ds([("r1", "2025-Q1", 10.0)])
    assert q(ds, "2026-Q3") == {}
    bad = make_ds([("r1", "2026-Q3", 10.0)])
    bad = bad.__class__(**{**bad.__dict__, "quotas": pd.DataFrame(
        {"rep_id": ["r1"], "period": ["2026-Q3"], "quota": [0.0]})})
    with pytest.raises(ValueError, match="quota must be > 0.*r1"):
        measures.quota_for_period(bad, "2026-09")
    assert measures.quota_for_period(bad, "2026-Q4").empty


def test_quota_by_group():
    ds = make_ds([("r1", "2026-Q3", 300.0), ("r2", "2026-Q3", 90.0)])
    assert measures.quota_by_group(ds, "2026-Q3", "team").set_index("unique_id")[
        "quota"].to_dict() == {"East": 300.0, "West": 90.0}
    assert measures.quota_by_group(ds, "2026-Q3").iloc[0].tolist() == ["total", 390.0]


def test_every_report_reads_the_same_quota_and_attainment():
    """Executive summary, scorecard and forecast page agree for one rep and period."""
    reps = pd.DataFrame({"rep_id": ["r1", "r2"], "rep_name": ["Ann", "Bob"],
                         "team": ["East", "West"], "hire_date": ["2026-08-16", "2020-01-01"]})
    ds = make_ds([("r1", "2026", 1200.0), ("r1", "2026-Q3", 600.0), ("r1", "2026-09", 150.0),
                  ("r2", "2026-07", 10.0), ("r2", "2026-Q3", 300.0)], reps=reps)
    # r1: July not employed, August 16/31 of 200, September 150 (month row wins)
    want_r1 = 200 * 16 / 31 + 150
    # r2: July 10 (month row), August and September 100 each from the quarter
    want_r2 = 210.0
    sc = performance.scorecard(ds, "2026-Q3").set_index("rep_id")
    assert sc.loc["r1", "quota"] == pytest.approx(want_r1)
    assert sc.loc["r2", "quota"] == pytest.approx(want_r2)
    assert sc.loc["r1", "attainment"] == pytest.approx(180 / want_r1)
    teams = executive.by_team(ds, "2026-Q3").set_index("team")
    assert teams.loc["East", "quota"] == pytest.approx(want_r1)
    assert teams.loc["East", "attainment"] == pytest.approx(180 / want_r1)
    org = executive.org_headline(ds, "2026-Q3")
    assert org["quota"] == pytest.approx(want_r1 + want_r2)
    fq = series.quota(ds, "2026-Q3", by="rep_id").set_index("unique_id")["quota"]
    assert fq["r1"] == pytest.approx(want_r1) and fq["r2"] == pytest.approx(want_r2)
    per = consistency.period_bookings(ds, consistency.window(ds, "2026-Q3", 1), by="rep_id")
    per = per.set_index("rep_id")
    assert per.loc["r1", "quota"] == pytest.approx(want_r1)
    assert per.loc["r1", "attainment"] == pytest.approx(180 / want_r1)


# --------------------------------------------------------------------------------------------
# potential, workload, report date, group keys
# --------------------------------------------------------------------------------------------
def test_account_potential_falls_back_in_order():
    a = pd.DataFrame({"potential": [10.0, np.nan], "annual_revenue": [1.0, 2.0]})
    pot, basis = measures.account_potential(a)
    assert pot.tolist() == [10.0, 0.0] and basis == "potential"
    pot, basis = measures.account_potential(a.assign(potential=np.nan))
    assert pot.tolist() == [1.0, 2.0] and basis == "annual_revenue"
    pot, basis = measures.account_potential(pd.DataFrame({"x": [1, 2, 3]}))
    assert pot.tolist() == [1.0, 1.0, 1.0] and basis == "accounts"


def test_account_workload_formula():
    a = pd.DataFrame({"segment": ["Enterprise", "mid-market", None], "employees": [900, 0, None]})
    w = measures.account_workload(a)
    assert w.tolist() == pytest.approx([40 * 2.0, 20.0, 12.0])      # 1 + log10(1 + 9) = 2


def test_report_date_is_period_end_or_as_of():
    ds = make_ds([("r1", "2026", 1.0)])                            # as of 2026-11-15
    assert measures.report_date(ds, "2026-Q3") == pd.Timestamp("2026-09-30")
    assert measures.report_date(ds, "2026-Q4") == pd.Timestamp("2026-11-15")


def test_group_values_from_each_table_and_unassigned():
    reps = pd.DataFrame({"rep_id": ["r1", "r2"], "rep_name": ["Ann", "Bob"], "team": ["East", None]})
    ds = make_ds([("r1", "2026", 1.0)], reps=reps)
    assert measures.group_values(ds, "team").tolist() == ["East", "East", measures.UNASSIGNED]
    assert measures.group_values(ds, "rep_id").tolist() == ["r1", "r1", "r2"]
    with pytest.raises(measures.GroupKeyError, match="colour"):
        measures.group_values(ds, "colour")


# --------------------------------------------------------------------------------------------
# state as of a date
# --------------------------------------------------------------------------------------------
def _history_case():
    opp = pd.DataFrame({
        "opportunity_id": ["o1", "o2"], "account_id": ["a1", "a1"], "rep_id": ["r1", "r2"],
        "stage": ["Closed Lost", "Negotiation"], "status": ["lost", "open"],
        "amount": [0.0, 500.0], "created_date": ["2026-06-01", "2026-07-10"],
        "close_date": ["2026-08-20", "2026-12-15"],
        "forecast_category": ["omitted", "commit"]})
    hist = pd.DataFrame({
        "opportunity_id": ["o1", "o1", "o1", "o2", "o2"],
        "changed_at": ["2026-06-01", "2026-06-20", "2026-08-20", "2026-07-10", "2026-09-01"],
        "stage": ["Discovery", "Proposal", "Closed Lost", "Discovery", "Negotiation"],
        "status": ["open", "open", "lost", "open", "open"],
        "amount": [1000.0, 1250.0, 0.0, 400.0, 500.0],
        "close_date": ["2026-07-31", "2026-08-31", "2026-08-20", "2026-09-30", "2026-12-15"],
        "forecast_category": ["pipeline", "commit", "omitted", "pipeline", "commit"],
        "rep_id": ["r1", "r1", "r1", "r2", "r2"]})
    return opp, hist


def test_state_as_of_reads_the_last_history_row_on_or_before_the_day():
    opp, hist = _history_case()
    ds = make_ds([("r1", "2026", 1.0)], opportunities=opp, history=hist)
    s = measures.state_as_of(ds, "2026-07-01").set_index("opportunity_id")
    assert list(s.index) == ["o1"]                                  # o2 not created yet
    assert s.loc["o1", ["stage", "status", "amount", "forecast_category"]].tolist() == [
        "Proposal", "open", 1250.0, "commit"]
    assert s.loc["o1", "close_date"] == pd.Timestamp("2026-08-31") and s.loc["o1", "from_history"]
    s = measures.state_as_of(ds, "2026-08-20").set_index("opportunity_id")   # end of that day
    assert s.loc["o1", "status"] == "lost" and s.loc["o2", "amount"] == 400.0


def test_state_as_of_ignores_later_changes():
    opp, hist = _history_case()
    ds = make_ds([("r1", "2026", 1.0)], opportunities=opp, history=hist)
    before = measures.state_as_of(ds, "2026-07-15")
    later = hist.copy()
    later.loc[later.index[-1], ["amount", "forecast_category"]] = [9999.0, "omitted"]
    ds2 = make_ds([("r1", "2026", 1.0)], opportunities=opp.assign(amount=[0.0, 9999.0]),
                  history=later)
    pd.testing.assert_frame_equal(before.drop(columns="amount"),
                                  measures.state_as_of(ds2, "2026-07-15").drop(columns="amount"))
    assert before["amount"].tolist() == measures.state_as_of(ds2, "2026-07-15")["amount"].tolist()


def test_state_as_of_without_history_reads_the_final_row_back_in_time():
    opp, _ = _history_case()
    sh = pd.DataFrame({"opportunity_id": ["o1", "o1"], "stage": ["Discovery", "Proposal"],
                       "entered_date": ["2026-06-01", "2026-06-20"]})
    ds = make_ds([("r1", "2026", 1.0)], opportunities=opp, stage_history=sh)
    s = measures.state_as_of(ds, "2026-07-01").set_index("opportunity_id")
    assert s.loc["o1", "status"] == "open" and s.loc["o1", "stage"] == "Proposal"
    assert not s.loc["o1", "from_history"]
    s = measures.state_as_of(ds, "2026-09-01").set_index("opportunity_id")
    assert s.loc["o1", "status"] == "lost" and s.loc["o2", "status"] == "open"
    # without stage dates either, a deal open then is not shown in its final (lost) stage
    bare = make_ds([("r1", "2026", 1.0)], opportunities=opp)
    s = measures.state_as_of(bare, "2026-07-01").set_index("opportunity_id")
    assert s.loc["o1", "stage"] == measures.UNRECORDED_STAGE


# --------------------------------------------------------------------------------------------
# open pipeline on a date
# --------------------------------------------------------------------------------------------
def test_open_pipeline_as_of_uses_the_amount_and_close_date_of_that_day():
    opp, hist = _history_case()
    ds = make_ds([("r1", "2026", 1.0)], opportunities=opp, history=hist)
    # 1 July: o1 open, 1,250 due 31 Aug (it is later lost with its amount zeroed)
    p = measures.open_pipeline_as_of(ds, "2026-07-01", "2026-Q3")
    assert p["opportunity_id"].tolist() == ["o1"] and p["amount"].sum() == 1250.0
    # 1 Aug: o1 still 1,250; o2 open at 400 due 30 Sep
    p = measures.open_pipeline_as_of(ds, "2026-08-01", "2026-Q3").set_index("opportunity_id")
    assert p["amount"].to_dict() == {"o1": 1250.0, "o2": 400.0}
    # 20 Aug: o1 lost (gone); o2 still 400
    p = measures.open_pipeline_as_of(ds, "2026-08-20", ("2026-07-01", "2026-09-30"))
    assert p["opportunity_id"].tolist() == ["o2"]
    # 1 Oct: o2 pushed to 15 Dec at 500, so no longer due in Q3 but due in Q4
    assert measures.open_pipeline_as_of(ds, "2026-10-01", "2026-Q3").empty
    q4 = measures.open_pipeline_as_of(ds, "2026-10-01", "2026-Q4")
    assert q4["amount"].tolist() == [500.0] and q4["forecast_category"].tolist() == ["commit"]
    assert len(measures.open_pipeline_as_of(ds, "2026-10-01")) == 1


def test_open_pipeline_as_of_ignores_later_changes():
    opp, hist = _history_case()
    ds = make_ds([("r1", "2026", 1.0)], opportunities=opp, history=hist)
    later = hist.copy()
    later.loc[later.index[-1], ["amount", "forecast_category"]] = [9999.0, "omitted"]
    ds2 = make_ds([("r1", "2026", 1.0)], opportunities=opp.assign(amount=[0.0, 9999.0]),
                  history=later)
    a = measures.open_pipeline_as_of(ds, "2026-08-01", "2026-Q3")
    b = measures.open_pipeline_as_of(ds2, "2026-08-01", "2026-Q3")
    assert a["amount"].tolist() == b["amount"].tolist() == [1250.0, 400.0]


def test_open_pipeline_as_of_without_history_matches_the_point_in_time_rule():
    opp, _ = _history_case()
    ds = make_ds([("r1", "2026", 1.0)], opportunities=opp)
    # no history: o1 (lost 20 Aug) was open on 1 Aug with its final amount (0), due in Q3 by its
    # final close date; o2 (due 15 Dec by its final row) is not due in Q3
    p = measures.open_pipeline_as_of(ds, "2026-08-01", "2026-Q3")
    assert p["opportunity_id"].tolist() == ["o1"] and not p["from_history"].any()


# --------------------------------------------------------------------------------------------
# like-for-like window, cycle, display names
# --------------------------------------------------------------------------------------------
def test_comparable_window_in_progress_compares_the_same_days():
    # as of 2026-08-15, Q3 has run 46 days (1 Jul – 15 Aug); last year: 1 Jul – 15 Aug 2025
    opps = pd.DataFrame({"opportunity_id": ["o0"], "account_id": ["a1"], "rep_id": ["r1"],
                         "stage": ["Won"], "status": ["won"], "amount": [1.0],
                         "created_date": ["2025-01-01"], "close_date": ["2025-02-01"]})
    ds = make_ds([], opportunities=opps, as_of="2026-08-15")
    w = measures.comparable_window(ds, "2026-Q3")
    assert not w["complete"] and w["days"] == 46
    assert w["current"][:2] == (pd.Timestamp("2026-07-01"), pd.Timestamp("2026-08-15"))
    assert w["previous"][:2] == (pd.Timestamp("2025-07-01"), pd.Timestamp("2025-08-15"))
    assert w["previous"].label == "2025-Q3, same 46 days" and w["previous_available"]


def test_comparable_window_complete_is_full_against_full():
    ds = make_ds([], as_of="2026-11-15")
    w = measures.comparable_window(ds, "2026-Q3")
    assert w["complete"] and w["current"].label == "2026-Q3"
    assert w["previous"][:2] == (pd.Timestamp("2025-07-01"), pd.Timestamp("2025-09-30"))
    assert not w["previous_available"]       # the first deal was created 2026-06-01


def test_one_cycle_definition():
    ds = make_ds([])
    # won in Q3: o1 06-01→08-10 = 70 days, o2 07-01→09-20 = 81, o3 07-01→09-05 = 66
    assert measures.cycle_days(ds.opportunities).tolist() == [70.0, 81.0, 66.0]
    assert measures.median_cycle_days(ds, "2026-07-01", "2026-09-30") == 70.0
    assert measures.median_cycle_days(ds, "2026-09-01", "2026-09-30", by="rep_id").to_dict() == {
        "r1": 81.0, "r2": 66.0}
    assert np.isnan(measures.median_cycle_days(ds, "2020-01-01", "2020-03-31"))


def test_rep_display_names_tell_same_named_reps_apart():
    reps = pd.DataFrame({"rep_id": ["R1", "R2", "R3", "R4", "R5", "R6"],
                         "rep_name": ["Elena Larsen", "Elena Larsen", "Ann Lee", "Bo Chen",
                                      "Bo Chen", None],
                         "team": ["West", "East", "West", "West", "West", "East"]})
    assert measures.rep_display_names(reps).tolist() == [
        "Elena Larsen (West)", "Elena Larsen (East)", "Ann Lee", "Bo Chen (R4)", "Bo Chen (R5)",
        "R6"]
    no_team = reps.drop(columns=["team"]).iloc[:2]
    assert measures.rep_display_names(no_team).tolist() == ["Elena Larsen (R1)", "Elena Larsen (R2)"]


def test_scorecard_and_leaderboard_show_display_names():
    reps = pd.DataFrame({"rep_id": ["r1", "r2"], "rep_name": ["Ann", "Ann"], "team": ["East", "West"],
                         "hire_date": ["2020-01-01", "2020-01-01"]})
    ds = make_ds([], reps=reps)
    assert sorted(performance.scorecard(ds, "2026-Q3")["rep_name"]) == ["Ann (East)", "Ann (West)"]
    assert sorted(performance.leaderboard(ds, "2026-Q3", min_deals=1)["rep"]) == [
        "Ann (East)", "Ann (West)"]


def test_scorecard_open_pipeline_reads_the_history():
    # o4 is open, due 2026-09-25; on 2026-08-31 the history says $500 (final row $900)
    opps = pd.DataFrame({"opportunity_id": ["o4"], "account_id": ["a1"], "rep_id": ["r1"],
                         "stage": ["Proposal"], "status": ["open"], "amount": [900.0],
                         "created_date": ["2026-07-01"], "close_date": ["2026-09-25"]})
    hist = pd.DataFrame({"opportunity_id": ["o4", "o4"],
                         "changed_at": ["2026-07-01", "2026-09-10"],
                         "stage": ["Proposal", "Proposal"], "status": ["open", "open"],
                         "amount": [500.0, 900.0], "close_date": ["2026-09-25", "2026-09-25"]})
    ds = make_ds([("r1", "2026-Q3", 1000.0)], opportunities=opps, history=hist,
                 as_of="2026-08-31")
    r1 = performance.scorecard(ds, "2026-Q3").set_index("rep_id").loc["r1"]
    assert r1["open_pipeline"] == 500.0 and r1["coverage"] == pytest.approx(0.5)
    h = executive.org_headline(ds, "2026-Q3")
    assert h["open_pipeline"] == 500.0 and h["coverage"] == pytest.approx(0.5)


def test_data_start_is_the_first_deal_created(tiny_frames):
    from salesops_lib.measures import data_start
    tiny_frames["opportunities"].loc[1, "created_date"] = "2024-11-30"
    ds = Dataset.from_frames(**tiny_frames, as_of="2026-06-30")
    assert data_start(ds) == pd.Timestamp("2024-11-30")


# --------------------------------------------------------------------------------------------
# the day bookings are observed from
# --------------------------------------------------------------------------------------------
def _cut_by_close(open_created="2016-10-20"):
    """An export cut by close date (as Maven's): deals created from 20 Oct 2016, an open one
    among them, the first close on 14 Mar 2017 (a loss), the first win on 2 Apr 2017."""
    return pd.DataFrame({
        "opportunity_id": ["o1", "o2", "o3", "o4"], "account_id": ["a1"] * 4,
        "rep_id": ["r1", "r1", "r2", "r2"], "stage": ["Open", "Lost", "Won", "Won"],
        "status": ["open", "lost", "won", "won"], "amount": [50.0, 80.0, 100.0, 70.0],
        "created_date": [open_created, "2016-11-02", "2016-12-01", "2017-04-01"],
        "close_date": [None, "2017-03-14", "2017-04-02", "2017-05-10"]})


def test_bookings_start_is_the_month_of_the_first_close():
    ds = make_ds([], opportunities=_cut_by_close(), as_of="2017-06-30")
    assert measures.data_start(ds) == pd.Timestamp("2016-10-20")       # the open deal
    # the first close is o2's loss on 14 Mar 2017 (a loss shows closes are recorded): the
    # months Oct 2016 – Feb 2017 hold deals but no close, so bookings count from 1 Mar 2017
    assert measures.bookings_start(ds) == pd.Timestamp("2017-03-01")
    # never before the month the data begin: a deal closed in the month the data begin
    same = _cut_by_close(open_created="2017-03-05")
    same.loc[1, "created_date"] = "2017-03-06"
    same.loc[2, "created_date"] = "2017-03-07"
    ds2 = make_ds([], opportunities=same, as_of="2017-06-30")
    assert measures.data_start(ds2) == pd.Timestamp("2017-03-05")
    assert measures.bookings_start(ds2) == pd.Timestamp("2017-03-01")
    # without any closed deal it is the data start; without any deal NaT
    only_open = _cut_by_close().iloc[[0]]
    assert measures.bookings_start(make_ds([], opportunities=only_open, as_of="2017-06-30")) \
        == pd.Timestamp("2016-10-20")
    assert pd.isna(measures.bookings_start(make_ds([], opportunities=only_open.iloc[:0])))


def test_like_for_like_needs_last_year_bookings_observed():
    """Deals created from 20 Oct 2016 but closed only from 14 Mar 2017: 2017-Q4 has no
    comparable 2016-Q4 (no close was recorded then), whatever the created dates say."""
    opp = _cut_by_close(open_created="2016-09-20")          # created before 2016-Q4 began
    ds = make_ds([], opportunities=opp, as_of="2017-12-31")
    assert measures.data_start(ds) <= pd.Timestamp("2016-10-01")
    assert not measures.comparable_window(ds, "2017-Q4")["previous_available"]
    # with a close in 2016-Q4 itself the comparison stands
    opp.loc[1, ["created_date", "close_date"]] = ["2016-09-25", "2016-10-01"]
    assert measures.comparable_window(make_ds([], opportunities=opp, as_of="2017-12-31"),
                                      "2017-Q4")["previous_available"]
