"""Tests for salesops_lib.performance: every metric against a value computed by hand."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from salesops_lib import performance as perf
from salesops_lib.data import Dataset, DataValidationError, load_dataset

# --------------------------------------------------------------------------------------------
# a tiny org whose answers are worked out on paper
# --------------------------------------------------------------------------------------------
#   rep  team  manager  role    Q3 quota
#   r1   A     M1       field   1000 (one quarterly row)
#   r2   A     M1       inside  100 + 100 + 200 (monthly rows) = 400
#   r3   B     M2       field   500, no deals at all
#
#   id   rep status amount created     close       channel   in 2026-Q3?
#   o1   r1  won     300   2026-06-01  2026-07-11  direct    won, cycle 40
#   o2   r1  won     500   2026-07-01  2026-08-20  partner   won, cycle 50, created
#   o3   r1  lost    200   2026-07-05  2026-09-01  direct    lost, created
#   o4   r1  won    1000   2026-02-01  2026-04-10  direct    no (Q2)
#   o5   r2  won     100   2026-08-01  2026-08-11  direct    won, cycle 10, created
#   o6   r2  lost     50   2026-05-01  2026-07-02  partner   lost
#   o7   r2  lost     70   2026-08-01  2026-09-30  (none)    lost, created
#   o8   r1  open    400   2026-08-15  2026-09-20  direct    created, open & due in Q3
#   o9   r2  won     250   2026-09-01  2026-10-05  partner   created (closes in Q4)
#   o10  r1  open    600   2026-09-10  2026-12-15  partner   created (due in Q4)
OPPS = [
    ("o1", "r1", "won", 300, "2026-06-01", "2026-07-11", "direct"),
    ("o2", "r1", "won", 500, "2026-07-01", "2026-08-20", "partner"),
    ("o3", "r1", "lost", 200, "2026-07-05", "2026-09-01", "direct"),
    ("o4", "r1", "won", 1000, "2026-02-01", "2026-04-10", "direct"),
    ("o5", "r2", "won", 100, "2026-08-01", "2026-08-11", "direct"),
    ("o6", "r2", "lost", 50, "2026-05-01", "2026-07-02", "partner"),
    ("o7", "r2", "lost", 70, "2026-08-01", "2026-09-30", None),
    ("o8", "r1", "open", 400, "2026-08-15", "2026-09-20", "direct"),
    ("o9", "r2", "won", 250, "2026-09-01", "2026-10-05", "partner"),
    ("o10", "r1", "open", 600, "2026-09-10", "2026-12-15", "partner"),
]


def make_ds(opps=OPPS, quotas=None, reps=None, as_of="2026-11-15", **extra) -> Dataset:
    reps = reps if reps is not None else pd.DataFrame({
        "rep_id": ["r1", "r2", "r3"], "rep_name": ["Ann", "Bob", "Cy"],
        "manager": ["M1", "M1", "M2"], "team": ["A", "A", "B"],
        "role": ["field", "inside", "field"],
        "hire_date": ["2024-01-01", "2025-06-01", "2026-01-01"]})
    opp = pd.DataFrame(opps, columns=["opportunity_id", "rep_id", "status", "amount",
                                      "created_date", "close_date", "channel"])
    opp["account_id"] = "a1"
    opp["stage"] = opp["status"].map({"won": "Closed Won", "lost": "Closed Lost",
                                      "open": "Proposal"})
    if quotas is None:
        quotas = pd.DataFrame({
            "rep_id": ["r1", "r2", "r2", "r2", "r3"],
            "period": ["2026-Q3", "2026-07", "2026-08", "2026-09", "2026-Q3"],
            "quota": [1000, 100, 100, 200, 500]})
    accounts = pd.DataFrame({"account_id": ["a1"], "account_name": ["Acme"]})
    return Dataset.from_frames(accounts=accounts, reps=reps, opportunities=opp, quotas=quotas,
                               as_of=as_of, **extra)


@pytest.fixture(scope="module")
def ds():
    return make_ds()


def row(df, **keys):
    mask = np.logical_and.reduce([df[k] == v for k, v in keys.items()])
    assert mask.sum() == 1, f"expected one row for {keys}, got {mask.sum()}"
    return df[mask].iloc[0]


# --------------------------------------------------------------------------------------------
# Wilson interval
# --------------------------------------------------------------------------------------------
def test_wilson_known_values():
    low, high = perf.wilson_interval([1, 2, 0], [2, 3, 0])
    # 1/2 -> [0.0945, 0.9055]; 2/3 -> [0.2077, 0.9385] (Wilson 1927, z = 1.96)
    assert low[0] == pytest.approx(0.0945, abs=1e-4) and high[0] == pytest.approx(0.9055, abs=1e-4)
    assert low[1] == pytest.approx(0.2077, abs=1e-4) and high[1] == pytest.approx(0.9385, abs=1e-4)
    assert np.isnan(low[2]) and np.isnan(high[2])


# --------------------------------------------------------------------------------------------
# scorecard
# --------------------------------------------------------------------------------------------
def test_scorecard_by_rep_hand_values(ds):
    sc = perf.scorecard(ds, "2026-Q3")
    assert list(sc["rep_id"]) == ["r1", "r2", "r3"]
    r1 = row(sc, rep_id="r1")
    assert r1["bookings"] == 800 and r1["quota"] == 1000
    assert r1["attainment"] == pytest.approx(0.8)
    assert (r1["won"], r1["lost"], r1["deals"]) == (2, 1, 3)
    assert r1["win_rate"] == pytest.approx(2 / 3)
    assert r1["win_rate_low"] == pytest.approx(0.2077, abs=1e-4)
    assert r1["win_rate_high"] == pytest.approx(0.9385, abs=1e-4)
    assert r1["avg_deal_size"] == 400
    assert r1["cycle_days_median"] == 45            # median of 40 and 50
    assert r1["pipeline_created"] == 500 + 200 + 400 + 600 and r1["created"] == 4
    assert r1["open_pipeline"] == 400               # o8 only: open at 09-30 and due in Q3
    assert r1["remaining_quota"] == 200
    assert r1["coverage"] == pytest.approx(2.0)
    assert r1["team"] == "A" and r1["rep_name"] == "Ann" and r1["period"] == "2026-Q3"
    r2 = row(sc, rep_id="r2")
    assert r2["quota"] == 400                       # sum of three monthly rows
    assert r2["bookings"] == 100 and r2["attainment"] == pytest.approx(0.25)
    assert (r2["won"], r2["lost"]) == (1, 2)
    assert r2["cycle_days_median"] == 10
    assert r2["pipeline_created"] == 100 + 70 + 250
    assert r2["open_pipeline"] == 0 and r2["coverage"] == 0


def test_scorecard_rep_with_no_deals(ds):
    r3 = row(perf.scorecard(ds, "2026-Q3"), rep_id="r3")
    assert (r3["won"], r3["lost"], r3["deals"], r3["bookings"]) == (0, 0, 0, 0)
    assert r3["quota"] == 500 and r3["attainment"] == 0
    assert np.isnan(r3["win_rate"]) and np.isnan(r3["win_rate_low"])
    assert np.isnan(r3["avg_deal_size"]) and np.isnan(r3["cycle_days_median"])


def test_scorecard_empty_period(ds):
    sc = perf.scorecard(ds, "2020-Q1")
    assert len(sc) == 3 and sc["bookings"].sum() == 0 and sc["deals"].sum() == 0
    assert sc["quota"].isna().all() and sc["attainment"].isna().all()
    assert sc["win_rate"].isna().all()


def test_scorecard_by_team_and_manager(ds):
    sc = perf.scorecard(ds, "2026-Q3", by="team")
    a = row(sc, team="A")
    assert a["bookings"] == 900 and a["quota"] == 1400
    assert a["attainment"] == pytest.approx(900 / 1400)
    assert (a["won"], a["lost"]) == (3, 3) and a["win_rate"] == 0.5
    assert a["cycle_days_median"] == 40             # median of 40, 50, 10
    b = row(sc, team="B")
    assert b["deals"] == 0 and b["quota"] == 500
    m = perf.scorecard(ds, "2026-Q3", by=["manager", "role"])
    assert len(m) == 3
    assert row(m, manager="M1", role="inside")["quota"] == 400


def test_scorecard_by_channel_has_no_quota(ds):
    sc = perf.scorecard(ds, "2026-Q3", by="channel")
    d = row(sc, channel="direct")
    assert d["bookings"] == 400 and (d["won"], d["lost"]) == (2, 1)
    p = row(sc, channel="partner")
    assert p["bookings"] == 500 and (p["won"], p["lost"]) == (1, 1)
    u = row(sc, channel=perf.UNASSIGNED)
    assert u["lost"] == 1
    assert sc["quota"].isna().all() and sc["attainment"].isna().all()
    assert sc["bookings"].sum() == 900


def test_scorecard_month_and_year_quota(ds):
    aug = perf.scorecard(ds, "2026-08")
    assert row(aug, rep_id="r1")["quota"] == pytest.approx(1000 / 3)   # a third of Q3
    assert row(aug, rep_id="r2")["quota"] == 100
    assert row(aug, rep_id="r1")["bookings"] == 500
    year = perf.scorecard(ds, "2026")
    assert row(year, rep_id="r2")["quota"] == 400
    assert row(year, rep_id="r1")["bookings"] == 1800          # o1 + o2 + o4


def test_quota_prefers_finest_granularity():
    quotas = pd.DataFrame({"rep_id": ["r1", "r1", "r1", "r1"],
                           "period": ["2026-Q3", "2026-07", "2026-08", "2026-09"],
                           "quota": [999, 100, 100, 100]})
    q = perf.quota_for_period(make_ds(quotas=quotas), "2026-Q3")
    assert q.set_index("rep_id")["quota"].to_dict() == {"r1": 300}


def test_open_pipeline_current_period_point_in_time():
    # as of 2026-08-15 in Q3: o2 (won 08-20) and o8 (open, due 09-20) were open then and due in Q3;
    # o3 (closes 09-01) too; o7 closes 09-30 but was created 08-01 -> open too.
    ds = make_ds(as_of="2026-08-15")
    r1 = row(perf.scorecard(ds, "2026-Q3"), rep_id="r1")
    assert r1["open_pipeline"] == 500 + 200 + 400
    assert r1["remaining_quota"] == 1000 - 300                 # only o1 booked by 08-15
    assert r1["coverage"] == pytest.approx(1100 / 700)


def test_zero_quota_is_a_clear_error(ds):
    # the loader already refuses a zero quota ...
    with pytest.raises(DataValidationError, match="quota"):
        make_ds(quotas=pd.DataFrame({"rep_id": ["r1"], "period": ["2026-Q3"], "quota": [0]}))
    # ... and a Dataset assembled by hand is refused by the scorecard
    bad = dataclasses.replace(ds, quotas=pd.DataFrame(
        {"rep_id": pd.Series(["r1"], dtype="string"), "period": pd.Series(["2026-Q3"], dtype="string"),
         "quota": [0.0]}))
    with pytest.raises(ValueError, match="quota must be > 0.*r1"):
        perf.scorecard(bad, "2026-Q3")


def test_scorecard_does_not_mutate(ds):
    before = {t: df.copy() for t, df in ds.tables.items()}
    perf.scorecard(ds, "2026-Q3", by=["team", "channel"])
    for t, df in ds.tables.items():
        pd.testing.assert_frame_equal(df, before[t])


def test_scorecard_unknown_group(ds):
    with pytest.raises(ValueError, match="cannot group by"):
        perf.scorecard(ds, "2026-Q3", by="shoe_size")
