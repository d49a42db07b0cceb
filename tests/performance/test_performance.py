"""Tests for salesops_lib.performance: every metric against a value computed by hand."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from salesops_lib import performance as perf
from salesops_lib.data import Dataset, DataValidationError, load_dataset

from ..conftest import MAVEN_MAPPING

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


# --------------------------------------------------------------------------------------------
# attainment roll-ups, Gini
# --------------------------------------------------------------------------------------------
def test_gini_hand_values():
    assert perf.gini([0.25, 0.8]) == pytest.approx(1.1 / 4.2)          # Σ|xi-xj| / (2 n² mean)
    assert perf.gini([0, 0.25, 0.8]) == pytest.approx(3.2 / 6.3)
    assert perf.gini([1, 1, 1]) == pytest.approx(0)
    assert np.isnan(perf.gini([5])) and np.isnan(perf.gini([0, 0]))


def test_attainment_rollup_by_manager(ds):
    roll = perf.attainment_rollup(ds, "2026-Q3", by="manager")
    m1 = row(roll, manager="M1")                   # r1 0.8, r2 0.25
    assert (m1["reps"], m1["reps_with_quota"]) == (2, 2)
    assert m1["bookings"] == 900 and m1["quota"] == 1400
    assert m1["attainment"] == pytest.approx(900 / 1400)
    assert m1["median_attainment"] == pytest.approx(0.525)
    assert m1["share_at_100"] == 0 and m1["share_at_80"] == 0.5
    assert m1["gini"] == pytest.approx(1.1 / 4.2)
    m2 = row(roll, manager="M2")
    assert m2["share_at_80"] == 0 and np.isnan(m2["gini"])
    org = perf.attainment_rollup(ds, "2026-Q3", by=None).iloc[0]
    assert org["reps"] == 3 and org["attainment"] == pytest.approx(900 / 1900)
    assert org["share_at_80"] == pytest.approx(1 / 3)
    assert org["gini"] == pytest.approx(3.2 / 6.3)


def test_headline_numbers(ds):
    h = perf.rep_headline(ds, "2026-Q3")
    assert h["bookings"] == 900 and h["quota"] == 1900
    assert h["share_at_80"] == pytest.approx(1 / 3)
    assert h["win_rate"] == pytest.approx(3 / 6)
    assert h["cycle_days_median"] == 40   # the one cycle definition: won deals, creation to close


# --------------------------------------------------------------------------------------------
# win rate shrinkage
# --------------------------------------------------------------------------------------------
def test_shrink_with_given_prior_is_posterior_mean(ds):
    sc = perf.shrink_win_rate(perf.scorecard(ds, "2026-Q3"), prior=(2, 2))
    assert row(sc, rep_id="r1")["win_rate_shrunk"] == pytest.approx(4 / 7)    # (2+2)/(3+4)
    assert row(sc, rep_id="r2")["win_rate_shrunk"] == pytest.approx(3 / 7)
    assert row(sc, rep_id="r3")["win_rate_shrunk"] == pytest.approx(0.5)      # prior mean
    one = pd.DataFrame({"won": [1], "lost": [0], "deals": [1]})
    post = perf.shrink_win_rate(one, prior=(1, 1)).iloc[0]                    # Beta(2, 1): cdf x²
    assert post["win_rate_shrunk_low"] == pytest.approx(np.sqrt(0.025))
    assert post["win_rate_shrunk_high"] == pytest.approx(np.sqrt(0.975))


def test_fitted_prior_pools_when_no_overdispersion():
    sc = pd.DataFrame({"won": [5] * 10, "lost": [5] * 10, "deals": [10] * 10})
    a, b = perf.fit_beta_prior(sc["won"], sc["deals"])
    assert a / (a + b) == pytest.approx(0.5, abs=1e-3) and a + b > 1e3
    out = perf.shrink_win_rate(sc.assign(won=[1] + [5] * 9, lost=[9] + [5] * 9,
                                         deals=[10] * 10), prior=(a, b))
    assert out["win_rate_shrunk"].iloc[0] == pytest.approx(0.5, abs=0.01)


def test_fitted_prior_keeps_real_differences():
    sc = pd.DataFrame({"won": [2, 38] * 5, "deals": [40] * 10})
    a, b = perf.fit_beta_prior(sc["won"], sc["deals"])
    assert a + b < 5                                   # rates really differ: weak prior
    out = perf.shrink_win_rate(sc.assign(lost=sc["deals"] - sc["won"]), prior=(a, b))
    assert out["win_rate_shrunk"].iloc[0] < 0.1 and out["win_rate_shrunk"].iloc[1] > 0.9
    with pytest.raises(ValueError, match="no closed deals"):
        perf.fit_beta_prior([0], [0])


# --------------------------------------------------------------------------------------------
# Kaplan-Meier cycle
# --------------------------------------------------------------------------------------------
def test_km_curve_hand_values():
    d = pd.DataFrame({"days": [2, 3, 3, 5, 8], "event": [1, 1, 0, 1, 0]})
    c = perf.km_curve(d).set_index("days")
    # S(2)=4/5, S(3)=4/5·3/4 (the deal censored at 3 is still at risk at 3), S(5)=0.6·1/2
    assert c.loc[2, "survival"] == pytest.approx(0.8)
    assert c.loc[3, "survival"] == pytest.approx(0.6) and c.loc[3, "at_risk"] == 4
    assert c.loc[5, "survival"] == pytest.approx(0.3) and c.loc[8, "survival"] == pytest.approx(0.3)
    # Greenwood + log-log at t=2: var = 1/(5·4); width = 1.96·sqrt(.05)/|log .8|
    w = 1.959964 * np.sqrt(0.05) / abs(np.log(0.8))
    assert c.loc[2, "survival_low"] == pytest.approx(0.8 ** np.exp(w), rel=1e-4)
    assert c.loc[2, "survival_high"] == pytest.approx(0.8 ** np.exp(-w), rel=1e-4)
    assert 0 <= c["survival_low"].min() and c["survival_high"].max() <= 1


def test_cycle_km_counts_open_deals_as_censored(ds):
    km = perf.cycle_km(ds, by="rep_id").set_index("rep_id")
    # r1: closed after 40, 50, 58, 68 days; open o8 (92 days) and o10 (66 days) censored.
    # S: 40 -> 5/6, 50 -> 4/6, 58 -> 3/6 = 0.5  => median 58; the naive closed median is 54.
    r1 = km.loc["r1"]
    assert r1["median_days"] == 58 and (r1["closed"], r1["censored"]) == (4, 2)
    assert r1["closed_mean_days"] == pytest.approx((40 + 50 + 58 + 68) / 4)
    assert "r3" not in km.index                        # no deals, no curve
    # September cohort: o9 closed at 34 days, o10 still open at 66 -> S(34) = 1/2, median 34
    sep = perf.cycle_km(ds, window="2026-09", by=None).iloc[0]
    assert (sep["deals"], sep["closed"], sep["median_days"]) == (2, 1, 34)
    # a cohort whose deals are all still open has no median yet
    few = perf.cycle_km(ds, window=("2026-08-10", "2026-08-31")).iloc[0]
    assert (few["deals"], few["closed"], few["censored"]) == (1, 0, 1)
    assert np.isnan(few["median_days"])
    empty = perf.cycle_km(ds, window="2020-Q1").iloc[0]
    assert empty["deals"] == 0 and np.isnan(empty["median_days"])


# --------------------------------------------------------------------------------------------
# velocity and gap decomposition
# --------------------------------------------------------------------------------------------
def test_velocity_hand_values(ds):
    v = perf.velocity(perf.scorecard(ds, "2026-Q3")).set_index("rep_id")["velocity"]
    assert v["r1"] == pytest.approx(3 * (2 / 3) * 400 / 45)      # = bookings / cycle = 800/45
    assert v["r2"] == pytest.approx(100 / 10)
    assert np.isnan(v["r3"])


def test_gap_decomposition_adds_up_exactly(ds):
    gap = perf.gap_decomposition(perf.scorecard(ds, "2026-Q3"))
    assert set(gap["rep_id"]) == {"r1", "r2"}          # r3 won nothing: no velocity
    r1 = gap[gap["rep_id"] == "r1"].set_index("component")
    # reference = medians over r1, r2: deals 3, win rate 0.5, size 250, cycle 27.5
    assert r1.loc["volume", "log_points"] == pytest.approx(0)
    assert r1.loc["win_rate", "log_points"] == pytest.approx(np.log((2 / 3) / 0.5))
    assert r1.loc["deal_size", "log_points"] == pytest.approx(np.log(400 / 250))
    assert r1.loc["cycle", "log_points"] == pytest.approx(-np.log(45 / 27.5))
    v_ref = 3 * 0.5 * 250 / 27.5
    assert r1["velocity_ref"].iloc[0] == pytest.approx(v_ref)
    assert r1["log_points"].sum() == pytest.approx(np.log((800 / 45) / v_ref), abs=1e-12)
    assert r1["dollars_per_day"].sum() == pytest.approx(800 / 45 - v_ref, abs=1e-9)
    for _, g in gap.groupby("rep_id"):
        assert g["log_points"].sum() == pytest.approx(g["log_gap"].iloc[0], abs=1e-12)


# --------------------------------------------------------------------------------------------
# honest leaderboard
# --------------------------------------------------------------------------------------------
def _org(rates_deals, as_of="2026-12-31"):
    """One rep per (won, lost) pair, all deals closed in 2026-Q3."""
    reps = pd.DataFrame({"rep_id": [f"r{i}" for i in range(len(rates_deals))],
                         "rep_name": [f"Rep {i}" for i in range(len(rates_deals))],
                         "team": "T", "hire_date": "2024-01-01"})
    opps = []
    for i, (won, lost) in enumerate(rates_deals):
        opps += [(f"o{i}-{j}", f"r{i}", "won" if j < won else "lost", 100, "2026-07-01",
                  "2026-08-01", "direct") for j in range(won + lost)]
    return make_ds(opps=opps, reps=reps, quotas=pd.DataFrame(
        {"rep_id": reps["rep_id"], "period": "2026-Q3", "quota": 1000}), as_of=as_of)


def test_leaderboard_separates_only_what_data_separate():
    # no roles: everyone's peers are all reps, pooled rate 214/410 = 0.522. Score-test p-values
    # of the four reps with ≥ 20 deals: r1 (30%) 9e-6, r0 (70%) 4e-4, r2 0.58, r4 0.66; BH at
    # 10% with m = 4 rejects the first two (≤ 0.025, ≤ 0.05), so per-rep alpha = 2·0.1/4.
    ds = _org([(70, 30), (30, 70), (55, 45), (9, 1), (50, 50)])
    lb = perf.leaderboard(ds, "2026-Q3", min_deals=20, prior=(5, 5)).set_index("rep_id")
    assert lb["peer_win_rate"].iloc[0] == pytest.approx(214 / 410)
    assert lb.attrs["peer_basis"] == "all reps" and lb.attrs["alpha"] == pytest.approx(0.05)
    assert lb.loc["r0", "verdict"] == perf.verdicts.ABOVE
    assert lb.loc["r1", "verdict"] == perf.verdicts.BELOW
    assert lb.loc["r2", "verdict"] == perf.verdicts.INLINE
    assert lb.loc["r3", "verdict"] == "too few deals"          # 9 of 10 won, but only 10 deals
    assert "rank" not in lb.columns
    assert list(perf.leaderboard(ds, "2026-Q3", min_deals=20, prior=(5, 5))["verdict"]) == [
        perf.verdicts.ABOVE, perf.verdicts.INLINE, perf.verdicts.INLINE, perf.verdicts.BELOW,
        "too few deals"]
    low, high = perf.funnel_limits(0.5, 100)
    assert low == pytest.approx(0.5 - 1.959964 * 0.05) and high == pytest.approx(0.5 + 1.959964 * 0.05)


def test_leaderboard_empty_period(ds):
    lb = perf.leaderboard(ds, "2020-Q1")
    assert (lb["verdict"] == "too few deals").all() and lb["win_rate_shrunk"].isna().all()


# --------------------------------------------------------------------------------------------
# potential-adjusted performance
# --------------------------------------------------------------------------------------------
def _territory_org(noise):
    n = len(noise)
    reps = pd.DataFrame({"rep_id": [f"r{i}" for i in range(n)], "rep_name": "x",
                         "hire_date": [(pd.Timestamp("2026-09-30") - pd.DateOffset(months=m))
                                       .strftime("%Y-%m-%d") for m in [3, 6, 12, 24, 5, 18, 30, 9]][:n]})
    pot = np.array([1000, 3000, 2000, 5000, 4000, 1500, 2500, 3500][:n], float)
    n_acc = np.array([1, 2, 3, 1, 2, 3, 1, 2][:n])
    accounts = pd.DataFrame({"account_id": [f"a{i}-{j}" for i in range(n) for j in range(n_acc[i])],
                             "account_name": "x",
                             "owner_rep_id": [f"r{i}" for i in range(n) for _ in range(n_acc[i])],
                             "potential": [pot[i] / n_acc[i] for i in range(n) for _ in range(n_acc[i])]})
    tenure = ((pd.Timestamp("2026-09-30") - pd.to_datetime(reps["hire_date"])).dt.days
              / 30.4375).to_numpy()
    bookings = 100 + 0.5 * pot + 20 * n_acc + 3 * tenure + np.asarray(noise)
    opp = pd.DataFrame({"opportunity_id": [f"o{i}" for i in range(n)], "account_id":
                        [f"a{i}-0" for i in range(n)], "rep_id": reps["rep_id"], "stage": "won",
                        "status": "won", "amount": bookings, "created_date": "2026-07-01",
                        "close_date": "2026-08-01"})
    return Dataset.from_frames(accounts=accounts, reps=reps, opportunities=opp,
                               as_of="2026-11-15"), pot, n_acc, tenure, bookings


def test_potential_adjusted_matches_least_squares():
    noise = [30, -20, 10, -40, 25, -5, 15, -15]
    ds, pot, n_acc, tenure, y = _territory_org(noise)
    model = perf.potential_model(ds, "2026-Q3").set_index("term")
    X = np.column_stack([np.ones(len(y)), pot, n_acc, tenure])
    beta, *_ = np.linalg.lstsq(X, y, rcond=None)
    assert model["coef"].to_numpy() == pytest.approx(beta, rel=1e-6)
    pa = perf.potential_adjusted(ds, "2026-Q3").set_index("rep_id").loc[[f"r{i}" for i in range(8)]]
    # leave-one-out: rep 0 judged by the line through the other seven
    b0, *_ = np.linalg.lstsq(X[1:], y[1:], rcond=None)
    assert pa["expected"].iloc[0] == pytest.approx(X[0] @ b0, rel=1e-6)
    assert pa["residual"].iloc[0] == pytest.approx(y[0] - X[0] @ b0, rel=1e-6)
    assert (pa["residual_low"] < pa["residual"]).all() and (pa["residual"] < pa["residual_high"]).all()
    assert pa["potential"].to_numpy() == pytest.approx(pot)
    assert pa["accounts"].to_numpy() == pytest.approx(n_acc)


def test_potential_adjusted_flags_a_clear_outperformer():
    ds, *_ = _territory_org([1, -1, 2, -2, 1, -1, 2, 900])
    pa = perf.potential_adjusted(ds, "2026-Q3").set_index("rep_id")
    assert pa.loc["r7", "verdict"] == "above expectation"
    assert (pa.drop(index="r7")["verdict"] != "above expectation").all()


def test_potential_adjusted_needs_enough_reps(ds):
    few, *_ = _territory_org([1, -1, 2, -2])
    with pytest.raises(ValueError, match="at least 6 reps"):
        perf.potential_model(few, "2026-Q3")
    pa = perf.potential_adjusted(few, "2026-Q3")          # a report shows why, not a traceback
    assert pa.empty and "residual" in pa.columns and "at least 6 reps" in pa.attrs["note"]
    assert perf.reading_residuals(pa).startswith("This comparison needs at least 6 reps")
    # no account has an owner: the sentence says what the comparison needs
    assert perf.reading_residuals(perf.potential_adjusted(ds, "2026-Q3")) == (
        "This comparison needs the accounts each rep owns, with their potential or revenue, "
        "which the data do not have.")


# --------------------------------------------------------------------------------------------
# consistency
# --------------------------------------------------------------------------------------------
from salesops_lib.performance import consistency as cons


@pytest.fixture(scope="module")
def steady_ds():
    # x: quota 100 a quarter from 2025-Q4; wins Jan 100 + Feb 50 (Q1 = 150, hit), May 120 (Q2 hit),
    #    Aug 50 (Q3 miss), nothing in 2025-Q4 (miss) -> hits: miss, hit, hit, miss
    # y: hired 2026-04-01, quota 50 in Q2 and Q3; wins Sep 60 -> Q2 miss, Q3 hit
    # (x5, lost in Oct 2025, shows closes are recorded from 2025-Q4's first month on)
    opps = [("x1", "x", "won", 100, "2026-01-01", "2026-01-20", "direct"),
            ("x2", "x", "won", 50, "2026-01-01", "2026-02-20", "direct"),
            ("x3", "x", "won", 120, "2026-04-01", "2026-05-20", "partner"),
            ("x4", "x", "won", 50, "2026-07-01", "2026-08-20", "partner"),
            ("x5", "x", "lost", 80, "2025-10-01", "2025-10-20", "direct"),
            ("y1", "y", "won", 60, "2026-08-01", "2026-09-05", "direct")]
    reps = pd.DataFrame({"rep_id": ["x", "y"], "rep_name": ["X", "Y"], "team": ["T", "T"],
                         "role": ["field", "inside"], "hire_date": ["2020-01-01", "2026-04-01"]})
    quotas = pd.DataFrame({"rep_id": ["x"] * 4 + ["y"] * 2,
                           "period": ["2025-Q4", "2026-Q1", "2026-Q2", "2026-Q3", "2026-Q2", "2026-Q3"],
                           "quota": [100, 100, 100, 100, 50, 50]})
    return make_ds(opps=opps, reps=reps, quotas=quotas, as_of="2026-11-15")


def test_window_and_monthly_quota(steady_ds):
    assert [p.label for p in cons.window(steady_ds, periods=4)] == [
        "2025-Q4", "2026-Q1", "2026-Q2", "2026-Q3"]            # as of 11-15, Q4 is not complete
    mq = cons.monthly_quota(steady_ds)
    assert mq.loc[mq["rep_id"] == "y", "quota"].tolist() == pytest.approx([50 / 3] * 6)


def test_window_never_starts_before_the_data(steady_ds):
    # the first deal was created 2025-10-01: asking for 8 quarters gives the 4 the data cover
    assert [p.label for p in cons.window(steady_ds, periods=8)] == [
        "2025-Q4", "2026-Q1", "2026-Q2", "2026-Q3"]
    assert [p.label for p in cons.window(steady_ds, end="2026-Q1", periods=8)] == [
        "2025-Q4", "2026-Q1"]
    c8 = cons.consistency(steady_ds, by="rep_id", periods=8).set_index("rep_id")
    c4 = cons.consistency(steady_ds, by="rep_id", periods=4).set_index("rep_id")
    pd.testing.assert_frame_equal(c8, c4)


def test_consistency_by_rep_hand_values(steady_ds):
    c = cons.consistency(steady_ds, by="rep_id", end="2026-Q3", periods=4).set_index("rep_id")
    x = c.loc["x"]
    months_x = [0, 0, 0, 100, 50, 0, 0, 120, 0, 0, 50, 0]       # 2025-10 .. 2026-09
    assert x["months"] == 12 and x["bookings"] == 320
    assert x["mean_monthly_bookings"] == pytest.approx(np.mean(months_x))
    assert x["cv_monthly"] == pytest.approx(np.std(months_x, ddof=1) / np.mean(months_x))
    assert x["periods"] == 4 and x["hit_rate"] == 0.5
    assert (x["longest_hit_streak"], x["longest_miss_streak"]) == (2, 1)
    y = c.loc["y"]                                               # counts only after its hire
    assert y["months"] == 6 and y["periods"] == 2 and y["hit_rate"] == 0.5
    assert (y["longest_hit_streak"], y["longest_miss_streak"]) == (1, 1)


def test_consistency_by_team_role_and_channel(steady_ds):
    t = cons.consistency(steady_ds, by="team", end="2026-Q3", periods=4).iloc[0]
    # team quota: 100, 100, 150, 150; bookings 0, 150, 120, 110 -> hit only in Q1
    assert t["hit_rate"] == 0.25 and t["longest_miss_streak"] == 2
    ch = cons.consistency(steady_ds, by="channel", end="2026-Q3", periods=4).set_index("channel")
    assert ch.loc["direct", "bookings"] == 210 and ch.loc["partner", "bookings"] == 170
    assert ch["hit_rate"].isna().all()                           # no quota for a channel
    ro = cons.consistency(steady_ds, by="role", end="2026-Q3", periods=4, hit_fraction=0.8)
    assert row(ro, role="field")["hit_rate"] == 0.5


def test_period_bookings_empty_window(steady_ds):
    s = cons.period_bookings(steady_ds, cons.window(steady_ds, "2020-Q4", 2), by="team")
    assert s["bookings"].sum() == 0
    with pytest.raises(ValueError, match="no periods"):
        cons.period_bookings(steady_ds, [], by="team")


# --------------------------------------------------------------------------------------------
# ramp
# --------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def ramp_ds():
    # a: hired 2026-01-01, wins Feb 50, Mar 100, Apr 100; b: hired 2026-03-01, Mar 20, Apr 60.
    # as of 2026-05-10 the complete months are Feb..Apr (from the first win).
    opps = [("a1", "a", "won", 50, "2026-02-01", "2026-02-10", None),
            ("a2", "a", "won", 100, "2026-03-01", "2026-03-10", None),
            ("a3", "a", "won", 100, "2026-04-01", "2026-04-10", None),
            ("b1", "b", "won", 20, "2026-03-01", "2026-03-10", None),
            ("b2", "b", "won", 60, "2026-04-01", "2026-04-10", None)]
    reps = pd.DataFrame({"rep_id": ["a", "b"], "rep_name": ["A", "B"], "role": ["field", "field"],
                         "hire_date": ["2026-01-01", "2026-03-01"]})
    quotas = pd.DataFrame({"rep_id": ["a", "b"], "period": ["2026-Q2", "2026-Q2"],
                           "quota": [300, 300]})
    return make_ds(opps=opps, reps=reps, quotas=quotas, as_of="2026-05-10")


def test_ramp_hand_values(ramp_ds):
    rm = cons.ramp_months(ramp_ds, steady_after=2, max_months=3)
    # steady level = mean of tenure ≥ 2 months = a's Mar and Apr = 100
    got = rm.set_index(["rep_id", "tenure_month"])["value"]
    assert got[("a", 1)] == 0.5 and got[("a", 2)] == 1 and got[("b", 0)] == 0.2
    assert got[("b", 1)] == pytest.approx(0.6)
    curve, summary = cons.ramp(ramp_ds, steady_after=2, max_months=3, n_boot=50)
    assert curve["value"].tolist() == pytest.approx([0.2, 0.55, 1.0, 1.0])
    assert curve["reps"].tolist() == [1, 2, 1, 1]
    # trailing 3-month means 0.2, 0.375, 0.583, 0.85 -> first ≥ 0.8 at month 3
    assert summary["ramp_months"] == 3 and summary["steady"] == 1.0
    assert summary["ramp_low"] <= 3 <= summary["ramp_high"]
    att = cons.ramp_months(ramp_ds, measure="attainment", steady_after=2, max_months=3)
    assert att.set_index(["rep_id", "tenure_month"])["value"][("a", 3)] == pytest.approx(1.0)
    with pytest.raises(ValueError, match="measure"):
        cons.ramp_months(ramp_ds, measure="vibes")


# --------------------------------------------------------------------------------------------
# plots (Agg backend): each returns a titled figure with labelled axes
# --------------------------------------------------------------------------------------------
def _check_fig(fig, title_part):
    ax = fig.axes[0]
    title = " ".join(ax.get_title(loc=loc) for loc in ("left", "center", "right"))
    assert title_part.lower() in title.lower()
    assert ax.get_xlabel() and ax.get_ylabel()
    return ax


def test_plots_render_under_agg(ds, steady_ds, ramp_ds):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    lb = perf.leaderboard(_org([(70, 30), (30, 70), (9, 1)]), "2026-Q3", min_deals=20)
    ax = _check_fig(perf.plot_leaderboard(lb), "win rate")
    assert len(ax.get_yticklabels()) == 3
    ax = _check_fig(perf.plot_funnel(lb), "funnel")
    assert ax.get_ylabel()
    _check_fig(perf.plot_attainment(perf.scorecard(ds, "2026-Q3")), "attainment")
    pa = perf.potential_adjusted(_territory_org([30, -20, 10, -40, 25, -5, 15, -15])[0], "2026-Q3")
    _check_fig(perf.plot_residuals(pa), "territory")
    gap = perf.gap_decomposition(perf.scorecard(ds, "2026-Q3"))
    ax = _check_fig(perf.plot_gap(gap), "gap")
    assert len(ax.get_yticklabels()) == 2
    curve = perf.km_curve(perf.cycle_durations(ds, by="role"), by="role")
    _check_fig(perf.plot_cycle_km(curve, by="role"), "cycle")
    c = cons.consistency(steady_ds, by="rep_id", end="2026-Q3", periods=4)
    _check_fig(cons.plot_consistency(c, "rep_id"), "consistency")
    curve, summary = cons.ramp(ramp_ds, steady_after=2, max_months=3, n_boot=20)
    _check_fig(cons.plot_ramp(curve, summary), "ramp")
    # drawing into a given axes returns that axes' figure
    fig, given = plt.subplots()
    assert perf.plot_funnel(lb, ax=given) is fig
    plt.close("all")


# --------------------------------------------------------------------------------------------
# the public Maven CRM data set, loaded through a mapping
# --------------------------------------------------------------------------------------------
MAVEN = Path(__file__).resolve().parents[2] / ".." / "shared" / "data" / "crm_sales_opportunities_maven"



@pytest.fixture(scope="module")
def maven():
    if not MAVEN.is_dir():
        pytest.skip("../shared/data/crm_sales_opportunities_maven is not present")
    raw = pd.read_csv(MAVEN / "sales_pipeline.csv")
    return load_dataset(MAVEN, mapping=MAVEN_MAPPING), raw


def test_maven_totals_match_readme(maven):
    ds, _ = maven
    sc = perf.scorecard(ds, "2017", by="rep_id")
    assert sc["won"].sum() == 4238 and sc["lost"].sum() == 2473
    assert sc["bookings"].sum() == 10_005_534
    assert len(sc) == 35 and (sc["deals"] == 0).sum() == 5      # 5 agents have no deals
    assert sc["quota"].isna().all()                                 # the data set has no quotas


def test_maven_per_agent_counts_equal_independent_pandas(maven):
    ds, raw = maven
    sc = perf.scorecard(ds, "2017", by="rep_id").set_index("rep_id")
    closed = raw[raw["deal_stage"].isin(["Won", "Lost"])]
    won = closed[closed["deal_stage"] == "Won"]
    expect = pd.DataFrame({
        "won": won.groupby("sales_agent").size(),
        "lost": closed[closed["deal_stage"] == "Lost"].groupby("sales_agent").size(),
        "bookings": won.groupby("sales_agent")["close_value"].sum(),
    }).fillna(0)
    expect["win_rate"] = expect["won"] / (expect["won"] + expect["lost"])
    got = sc.loc[expect.index]
    assert got["won"].tolist() == expect["won"].astype(int).tolist()
    assert got["lost"].tolist() == expect["lost"].astype(int).tolist()
    assert got["bookings"].to_numpy() == pytest.approx(expect["bookings"].to_numpy())
    assert got["win_rate"].to_numpy() == pytest.approx(expect["win_rate"].to_numpy())
    # and per manager, through the reps table join
    teams = pd.read_csv(MAVEN / "sales_teams.csv")
    by_mgr = won.merge(teams, on="sales_agent").groupby("manager")["close_value"].sum()
    mgr = perf.scorecard(ds, "2017", by="manager").set_index("manager")["bookings"]
    assert mgr.loc[by_mgr.index].to_numpy() == pytest.approx(by_mgr.to_numpy())


def test_maven_leaderboard_and_cycle(maven):
    ds, raw = maven
    lb = perf.leaderboard(ds, "2017", min_deals=30)
    assert (lb.loc[lb["deals"] == 0, "verdict"] == "too few deals").all()
    assert lb["peer_win_rate"].iloc[0] == pytest.approx(4238 / (4238 + 2473))
    assert lb.attrs["peer_basis"] == "all reps"                 # the export has no roles
    km = perf.cycle_km(ds).iloc[0]
    assert km["closed"] == 4238 + 2473 and km["censored"] > 0
    closed = raw[raw["deal_stage"].isin(["Won", "Lost"])]
    days = (pd.to_datetime(closed["close_date"]) - pd.to_datetime(closed["engage_date"])).dt.days
    assert km["closed_mean_days"] == pytest.approx(days.mean())


# --------------------------------------------------------------------------------------------
# report helpers: subset, key numbers, readings
# --------------------------------------------------------------------------------------------
def test_subset_by_team_and_channel(ds):
    a = perf.subset(ds, team="A")
    assert set(a.reps["rep_id"]) == {"r1", "r2"} and set(a.quotas["rep_id"]) == {"r1", "r2"}
    assert perf.scorecard(a, "2026-Q3")["bookings"].sum() == 900
    partner = perf.subset(ds, channel="partner")
    assert perf.scorecard(partner, "2026-Q3")["bookings"].sum() == 500
    assert perf.subset(ds) is ds and perf.subset(ds, team="", channel="") is ds
    assert len(ds.opportunities) == len(OPPS)                      # not modified
    with pytest.raises(ValueError, match="no team 'Z'; teams are"):
        perf.subset(ds, team="Z")
    with pytest.raises(ValueError, match="no channel"):
        perf.subset(ds, channel="carrier pigeon")


def test_kpi_cards_and_readings(ds):
    cards = perf.rep_kpi_cards(perf.rep_headline(ds, "2026-Q3"))
    assert cards[0][0] == "Team attainment" and cards[0][1] == "47%"       # 900 / 1900
    assert cards[1][1] == "0%" and "33% at 80%" in cards[1][2]
    assert "period gone" not in cards[0][2] and "deals only" not in cards[0][2]
    # a period still running says how much of it has gone (as the executive summary does),
    # and one channel's deals set against the whole quota say so
    h = {**perf.rep_headline(ds, "2026-Q3"), "elapsed": 0.5, "channel": "partner"}
    assert perf.rep_kpi_cards(h)[0][2].endswith(
        "quota, 50% of the period gone; partner deals only, against the whole quota")
    lb = perf.leaderboard(_org([(70, 30), (30, 70), (55, 45), (9, 1)]), "2026-Q3", min_deals=20)
    text = perf.reading_leaderboard(lb)
    assert "1 rep wins clearly more often (Rep 0)" in text and "1 closed too few" in text
    assert "Gini" in perf.reading_attainment(perf.attainment_rollup(ds, "2026-Q3", by=None))
    gap = perf.gap_decomposition(perf.scorecard(ds, "2026-Q3"))
    assert perf.reading_gap(gap).startswith("The reference is $")
    assert "product of medians" in perf.reading_gap(gap) and "for the 1 reps below" in perf.reading_gap(gap)
    assert set(perf.top_bottom(gap, n=1)["rep_id"]) == {"r1", "r2"}
    assert "field" in perf.reading_cycle(perf.cycle_km(ds, by="role"), "role")


def test_consistency_and_ramp_readings(steady_ds, ramp_ds):
    c = cons.consistency(steady_ds, by="rep_id", end="2026-Q3", periods=4)
    assert "rep_name" in c.columns and "Steadiest: " in cons.reading_consistency(c, "rep_id")
    _, summary = cons.ramp(ramp_ds, steady_after=2, max_months=3, n_boot=20)
    assert "at month 3 of tenure, the last observed" in cons.reading_ramp(summary)


def test_cycle_is_point_in_time(ds):
    # as of 2026-08-31 o3 (closes 09-01) and o8 were still open; o9/o10 not yet created.
    dur = perf.cycle_durations(ds, by="rep_id", as_of="2026-08-31")
    r1 = dur[dur["rep_id"] == "r1"].sort_values("days")
    # r1: o1 40 (closed), o2 50 (closed), o8 16 (open since 08-15), o3 57 (open since 07-05),
    #     o4 68 (closed)
    assert r1["days"].tolist() == [16, 40, 50, 57, 68]
    assert r1["event"].tolist() == [0, 1, 1, 0, 1]
    # period shorthand: deals created in the year to 2026-08-31, censored at 08-31
    same = perf.cycle_durations(ds, by="rep_id", period="2026-08")
    assert len(same) == len(dur) and same["event"].sum() == dur["event"].sum()


def test_maven_report_sections_degrade_gracefully(maven):
    # no quotas, hire dates, potential or roles: every report section still says something
    ds, _ = maven
    cards = perf.rep_kpi_cards(perf.rep_headline(ds, "2017-Q3"))
    assert cards[0][0] == "Bookings" and cards[0][1].startswith("$") and cards[0][1] != "$0"
    assert "no quota in the data" in cards[0][2] and cards[1][2] == "needs a quota for each rep"
    assert perf.reading_attainment(perf.attainment_rollup(ds, "2017-Q3", by=None)).startswith(
        "Attainment needs a quota")
    c = cons.consistency(ds, by="rep_id", end="2017-Q3", periods=3)
    assert c["hit_rate"].isna().all() and c["cv_monthly"].notna().any()
    assert perf.potential_adjusted(ds, "2017-Q3").empty
    curve, summary = cons.ramp(ds)
    assert curve.empty and "needs each rep's hire date" in cons.reading_ramp(summary)
    assert perf.plot_attainment(perf.scorecard(ds, "2017-Q3")) is None   # no empty chart
    assert cons.plot_ramp(curve, summary) is None


def test_funnel_limits_agree_with_the_flags():
    # the funnel is drawn at the per-rep level BH used, so outside it ⇔ flagged
    ds = _org([(70, 30), (30, 70), (55, 45), (40, 20), (12, 28), (25, 25), (61, 39), (9, 21)])
    lb = perf.leaderboard(ds, "2026-Q3", min_deals=1)
    assert ((lb["verdict"] == perf.verdicts.ABOVE) == (lb["win_rate"] > lb["limit_high"])).all()
    assert ((lb["verdict"] == perf.verdicts.BELOW) == (lb["win_rate"] < lb["limit_low"])).all()
    assert ((lb["p_adjusted"] <= 0.10) == lb["verdict"].isin(
        [perf.verdicts.ABOVE, perf.verdicts.BELOW])).all()


def test_missing_rep_attribute_is_labelled_unassigned():
    reps = pd.DataFrame({"rep_id": ["r1", "r2", "r3"], "rep_name": ["Ann", "Bob", "Cy"],
                         "team": ["A", None, "B"]})
    sc = perf.scorecard(make_ds(reps=reps), "2026-Q3", by="team")
    assert row(sc, team=perf.UNASSIGNED)["bookings"] == 100        # r2's o5
    assert row(sc, team=perf.UNASSIGNED)["quota"] == 400


def test_scorecard_history_and_long(ds):
    hist = perf.scorecard_history(ds, ["2026-Q2", "2026-Q3"])
    assert len(hist) == 6 and list(hist["period"].unique()) == ["2026-Q2", "2026-Q3"]
    assert row(hist, rep_id="r1", period="2026-Q2")["bookings"] == 1000        # o4
    long = perf.to_long(hist)
    got = long[(long["rep_id"] == "r1") & (long["period"] == "2026-Q3") & (long["metric"] == "won")]
    assert got["value"].tolist() == [2]
    assert set(long.columns) == {"rep_id", "period", "metric", "value"}


def test_scorecard_on_a_fiscal_calendar():
    # fiscal year starting in February: FY2027 Q2 = May..July 2026, quota labelled on that calendar
    quotas = pd.DataFrame({"rep_id": ["r1"], "period": ["2027-Q2"], "quota": [600]})
    fds = make_ds(quotas=quotas, fiscal_start_month=2)
    r1 = row(perf.scorecard(fds, "2027-Q2"), rep_id="r1")
    assert r1["bookings"] == 300 and r1["quota"] == 600 and r1["attainment"] == 0.5   # o1 (07-11)


def test_display_tables_escape_and_format(ds, steady_ds):
    reps = pd.DataFrame({"rep_id": ["r1", "r2", "r3"], "rep_name": ["<script>x</script>", "B", "C"],
                         "team": ["A", "A", "B"], "manager": ["M1", "M1", "M2"]})
    html = perf.leaderboard_table(perf.leaderboard(make_ds(reps=reps), "2026-Q3")).to_html()
    assert "&lt;script&gt;" in html and "<script>x" not in html and "67%" in html
    roll = perf.rollup_table(perf.attainment_rollup(ds, "2026-Q3", by="manager")).to_html()
    assert "$1.4k" in roll and "0.26" in roll                       # M1 quota, Gini 0.2619
    c = cons.consistency_table(cons.consistency(steady_ds, by="team", end="2026-Q3", periods=4))
    assert "25%" in c.to_html()                                      # team hit rate
