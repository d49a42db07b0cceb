"""Consistency judges whole quarters only: a quarter not over by the as-of date is left out.

The tiny org below is worked out on paper; every expected value is in the comments.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from salesops_lib.data import Dataset
from salesops_lib.performance import consistency as cons

#   rep  quota          won (close date, amount)                         per quarter
#   x    100 a quarter  01-20 120, 05-20 50, 08-20 110, 10-20 30         120, 50, 110 | 30
#   y    100 a quarter  02-10 100, 05-10 100, 08-10 100                  100, 100, 100 | 0
#   (| = 2026-Q4, in progress as of 15 Nov 2026)
WON = [("x1", "x", 120, "2026-01-20"), ("x2", "x", 50, "2026-05-20"),
       ("x3", "x", 110, "2026-08-20"), ("x4", "x", 30, "2026-10-20"),
       ("y1", "y", 100, "2026-02-10"), ("y2", "y", 100, "2026-05-10"),
       ("y3", "y", 100, "2026-08-10")]


def tiny(as_of: str) -> Dataset:
    opp = pd.DataFrame(WON, columns=["opportunity_id", "rep_id", "amount", "close_date"]).assign(
        account_id="a1", status="won", stage="Closed Won", created_date="2026-01-01")
    reps = pd.DataFrame({"rep_id": ["x", "y"], "rep_name": ["X", "Y"], "team": ["T", "T"],
                         "role": ["field", "inside"], "hire_date": ["2020-01-01"] * 2})
    quotas = pd.DataFrame({"rep_id": ["x"] * 4 + ["y"] * 4,
                           "period": ["2026-Q1", "2026-Q2", "2026-Q3", "2026-Q4"] * 2,
                           "quota": [100.0] * 8})
    accounts = pd.DataFrame({"account_id": ["a1"], "account_name": ["Acme"]})
    return Dataset.from_frames(accounts=accounts, reps=reps, opportunities=opp, quotas=quotas,
                               as_of=as_of)


@pytest.fixture(scope="module")
def open_q4():
    return tiny("2026-11-15")


def test_judged_end_stops_at_the_last_quarter_over(open_q4):
    assert cons.judged_end(open_q4, "2026-Q4").label == "2026-Q3"      # Q4 ends 31 Dec
    assert cons.judged_end(open_q4, "2026").label == "2026-Q3"         # a year: its last quarter
    assert cons.judged_end(open_q4, "2026-Q3").label == "2026-Q3"      # over: kept
    assert cons.judged_end(tiny("2026-12-31"), "2026-Q4").label == "2026-Q4"  # its last day


def test_unfinished_quarter_is_not_a_quarter_below_quota(open_q4):
    c = cons.consistency(open_q4, by="rep_id", end="2026-Q4", periods=8).set_index("rep_id")
    # judged: 2026-Q1..Q3 (the data begin on 2026-01-01)
    assert (c["window"] == "2026-Q1..2026-Q3").all()
    # x: 120 hit, 50 miss, 110 hit -> 2 of 3; Q4's 30 of 100 (half a quarter) is not a miss
    x = c.loc["x"]
    assert x["periods"] == 3 and x["hit_rate"] == pytest.approx(2 / 3)
    assert (x["longest_hit_streak"], x["longest_miss_streak"]) == (1, 1)
    # y: 100, 100, 100 -> always at quota; with Q4 (0 so far) it would read 75%
    y = c.loc["y"]
    assert y["periods"] == 3 and y["hit_rate"] == 1.0
    assert (y["longest_hit_streak"], y["longest_miss_streak"]) == (3, 0)
    # the monthly swing covers the same nine months, not October–December
    months_x = [120, 0, 0, 0, 50, 0, 0, 110, 0]
    assert x["months"] == 9 and x["bookings"] == 280
    assert x["cv_monthly"] == pytest.approx(np.std(months_x, ddof=1) / np.mean(months_x))
    assert c.attrs["open_period"] == "2026-Q4"
    assert c.attrs["as_of"] == pd.Timestamp("2026-11-15")


def test_open_quarter_and_year_give_the_last_quarters_over(open_q4):
    q4 = cons.consistency(open_q4, by="rep_id", end="2026-Q4")
    year = cons.consistency(open_q4, by="rep_id", end="2026")
    q3 = cons.consistency(open_q4, by="rep_id", end="2026-Q3")
    pd.testing.assert_frame_equal(q4, q3)
    pd.testing.assert_frame_equal(year, q3)
    assert "open_period" not in q3.attrs                  # nothing was left out


def test_once_the_quarter_is_over_it_counts():
    c = cons.consistency(tiny("2027-01-10"), by="rep_id", end="2026-Q4").set_index("rep_id")
    # x: 120, 50, 110, 30 -> 2 of 4; y: 100, 100, 100, 0 -> 3 of 4
    assert c.loc["x", "periods"] == 4 and c.loc["x", "hit_rate"] == 0.5
    assert c.loc["y", "hit_rate"] == 0.75 and c.loc["y", "longest_miss_streak"] == 1
    assert (c["window"] == "2026-Q1..2026-Q4").all() and "open_period" not in c.attrs


def test_page_names_the_quarters_it_judged(open_q4):
    by_rep = cons.consistency(open_q4, by="rep_id", end="2026-Q4")
    text = cons.reading_consistency(by_rep, "rep_id")
    assert text.endswith(" Judged over 2026-Q1 to 2026-Q3, the quarters ended by 15 Nov 2026 "
                         "(2026-Q4 is still open).")
    assert "at quota in 100% of quarters" in text and "at quota in 67% of quarters" in text
    by_role = cons.consistency(open_q4, by="role", end="2026-Q4")
    assert cons.consistency_table(by_role).caption == (
        "Quarters 2026-Q1 to 2026-Q3, the quarters ended by 15 Nov 2026 (2026-Q4 is still open)")
    closed = cons.consistency(open_q4, by="role", end="2026-Q3")
    assert cons.consistency_table(closed).caption == "Quarters 2026-Q1 to 2026-Q3"
    assert cons.reading_consistency(closed, "role").endswith(" Judged over 2026-Q1 to 2026-Q3.")


def test_no_quarter_over_since_the_data_begin():
    early = tiny("2026-02-15")                       # data begin 2026-01-01, Q1 still open
    c = cons.consistency(early, by="rep_id", end="2026-Q1")
    assert c.empty and c.attrs["note"].startswith(
        "No whole quarter of bookings has ended between the first close in the data (Jan 2026) "
        "and 15 Feb 2026")
    assert cons.reading_consistency(c, "rep_id") == c.attrs["note"]
    assert cons.consistency_table(c) is None


# A Maven-like export: deals created from Nov 2025, the first close on 10 Feb 2026, so bookings
# are observed from 1 Feb 2026 and 2026-Q1 only in part (its January is unknown, not zero).
#   rep  quota          won (close date, amount)              per quarter (2025-Q4 .. 2026-Q3)
#   x    100 a quarter  02-20 40, 05-20 120, 08-20 50         - | 40 (part) | 120 | 50
#   y    100 a quarter  02-10 100, 05-10 100, 08-10 100       - | 100 (part) | 100 | 100
CUT = [("x1", "x", 40, "2025-11-10", "2026-02-20"), ("x2", "x", 120, "2026-04-01", "2026-05-20"),
       ("x3", "x", 50, "2026-07-01", "2026-08-20"), ("y1", "y", 100, "2025-11-15", "2026-02-10"),
       ("y2", "y", 100, "2026-04-01", "2026-05-10"), ("y3", "y", 100, "2026-07-01", "2026-08-10")]


def cut_by_close() -> Dataset:
    opp = pd.DataFrame(CUT, columns=["opportunity_id", "rep_id", "amount", "created_date",
                                     "close_date"]).assign(account_id="a1", status="won",
                                                           stage="Closed Won")
    reps = pd.DataFrame({"rep_id": ["x", "y"], "rep_name": ["X", "Y"],
                         "hire_date": ["2020-01-01"] * 2})
    quotas = pd.DataFrame({"rep_id": ["x"] * 4 + ["y"] * 4,
                           "period": ["2025-Q4", "2026-Q1", "2026-Q2", "2026-Q3"] * 2,
                           "quota": [100.0] * 8})
    accounts = pd.DataFrame({"account_id": ["a1"], "account_name": ["Acme"]})
    return Dataset.from_frames(accounts=accounts, reps=reps, opportunities=opp, quotas=quotas,
                               as_of="2026-09-30")


def test_a_quarter_observed_in_part_is_not_judged():
    """Maven's consistency window began with 2016-Q4, a quarter of deals created but none
    closed (its closes begin 1 Mar 2017): zeros that read as quarters below quota and as swing."""
    ds = cut_by_close()
    assert cons.first_whole(ds).label == "2026-Q2"                 # bookings from 1 Feb 2026
    assert cons.first_whole(ds, "month").label == "2026-02"
    assert [p.label for p in cons.window(ds, "2026-Q3", 8)] == ["2026-Q2", "2026-Q3"]
    c = cons.consistency(ds, by="rep_id", end="2026-Q3", periods=8).set_index("rep_id")
    assert (c["window"] == "2026-Q2..2026-Q3").all()
    # x: 120 hit, 50 miss -> 1 of 2 (with 2025-Q4's 0 and Q1's part 40: 1 of 4)
    assert c.loc["x", "periods"] == 2 and c.loc["x", "hit_rate"] == 0.5
    # y: 100, 100 -> always at quota (it read 3 of 4, a "miss" in a quarter with no closes)
    assert c.loc["y", "hit_rate"] == 1.0 and c.loc["y", "longest_miss_streak"] == 0
    months_x = [0, 120, 0, 0, 50, 0]                               # Apr – Sep 2026
    assert c.loc["x", "months"] == 6 and c.loc["x", "bookings"] == 170
    assert c.loc["x", "cv_monthly"] == pytest.approx(np.std(months_x, ddof=1) / np.mean(months_x))
    assert cons.reading_consistency(c.reset_index(), "rep_id").endswith(
        " Judged over 2026-Q2 to 2026-Q3.")


def test_whole_quarters_from_the_month_of_the_first_close():
    # the first close in a quarter's first month: that quarter is whole (tiny: 20 Jan 2026)
    assert cons.first_whole(tiny("2026-11-15")).label == "2026-Q1"
    # ramp months run from the month of the first close
    months = cons.window(cut_by_close(), "2026-09", None, "month")
    assert (months[0].label, months[-1].label, len(months)) == ("2026-02", "2026-09", 8)
