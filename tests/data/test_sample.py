"""The sample org: valid, deterministic, and shaped like a real sales org."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from salesops_lib import load_dataset
from salesops_lib.data.sample import STAGES, generate, parse_options


def test_default_size_and_fixed_dates(sample_ds):
    assert len(sample_ds.accounts) == 5000 and len(sample_ds.reps) == 50
    assert sample_ds.as_of == pd.Timestamp("2026-11-15")
    opp = sample_ds.opportunities
    # deals created in the half year before the window carry pipeline into it; nothing in the
    # data closed before the window starts
    assert opp["created_date"].min() >= pd.Timestamp("2023-07-01")
    assert opp["close_date"].min() >= pd.Timestamp("2024-01-01")
    assert sample_ds.seed == 7


def test_deterministic_per_seed():
    a = load_dataset("sample:accounts=400,reps=10,years=2,seed=5")
    b = load_dataset("sample:accounts=400,reps=10,years=2,seed=5")
    c = load_dataset("sample:accounts=400,reps=10,years=2,seed=6")
    assert a.fingerprint() == b.fingerprint() != c.fingerprint()
    for t in a.tables:
        pd.testing.assert_frame_equal(a.tables[t], b.tables[t])


def test_ids_unique_and_keys_resolve(sample_ds):
    for table, key in [("accounts", "account_id"), ("reps", "rep_id"),
                       ("opportunities", "opportunity_id")]:
        assert sample_ds.tables[table][key].is_unique
    assert sample_ds.accounts["owner_rep_id"].isin(sample_ds.reps["rep_id"]).all()


def test_closed_deals_have_close_dates_and_open_pipeline_remains(sample_ds):
    opp = sample_ds.opportunities
    closed = opp[opp["status"] != "open"]
    assert closed["close_date"].notna().all()
    assert (closed["close_date"] <= sample_ds.as_of).all()
    assert (opp["close_date"] >= opp["created_date"]).all()
    open_ = opp[opp["status"] == "open"]
    assert len(open_) > 500 and open_["forecast_category"].isin(
        ["pipeline", "best case", "commit"]).all()
    # a few stale open deals exist, and the loader flags them
    assert any("stale pipeline" in str(n) for n in sample_ds.health)


def test_stage_histories_are_ordered(sample_ds):
    sh = sample_ds.stage_history
    assert (sh["entered_date"] <= sample_ds.as_of).all()
    order = {s: i for i, s in enumerate(STAGES + ["Closed Won", "Closed Lost"])}
    rank = sh["stage"].map(order)
    g = sh.assign(rank=rank).groupby("opportunity_id")
    assert (g["entered_date"].diff().dropna() >= pd.Timedelta(0)).all()
    assert (g["rank"].diff().dropna() > 0).all()
    # every deal starts at Prospecting on its created date
    first = g.first().join(sample_ds.opportunities.set_index("opportunity_id")["created_date"])
    assert (first["stage"] == "Prospecting").all()
    assert (first["entered_date"] == first["created_date"]).all()
    # won deals passed through every stage
    won = sample_ds.opportunities.loc[sample_ds.opportunities["status"] == "won", "opportunity_id"]
    assert (sh[sh["opportunity_id"].isin(won)].groupby("opportunity_id").size() == 6).all()


def test_org_structure(sample_ds):
    reps = sample_ds.reps
    assert set(reps["role"]) == {"field", "inside"}
    assert reps["team"].nunique() >= 4 and reps["manager"].notna().all()
    assert (reps["hire_date"] >= pd.Timestamp("2024-01-01")).sum() >= 3, "recent hires who ramp"
    # capacity in FTE: part-timers at 0.5/0.8, hires of the last six months ramping, the rest 1
    ramping = reps["hire_date"] > sample_ds.as_of - pd.DateOffset(months=6)
    assert reps["capacity"].between(0.25, 1).all()
    assert (reps.loc[ramping, "capacity"] < 1).all()
    part_time = ~ramping & (reps["capacity"] < 1)
    assert part_time.sum() >= 2 and reps.loc[part_time, "capacity"].isin([0.5, 0.8]).all()
    assert not sample_ds.accounts["state"].isin(["AK", "HI"]).any()
    assert sample_ds.accounts["latitude"].between(24, 50).all()
    assert (sample_ds.accounts["potential"] > 0).all()
    q = sample_ds.quotas
    assert (q["quota"] > 0).all() and set(q["period"]).issuperset({"2026-Q3", "2026-Q4"})


def test_seasonality_and_quarter_end_push(sample_ds):
    opp = sample_ds.opportunities
    won = opp[(opp["status"] == "won") & (opp["close_date"].dt.year == 2025)]
    by_q = won.groupby(won["close_date"].dt.quarter)["amount"].sum()
    assert by_q[4] > 1.2 * by_q[[1, 2, 3]].mean(), "a stronger Q4"
    closed = opp[opp["status"] != "open"]
    q_end = closed["close_date"].dt.to_period("Q").dt.end_time.dt.normalize()
    last_two_weeks = ((q_end - closed["close_date"]).dt.days < 14).mean()
    assert last_two_weeks > 0.25, "closes bunch in the last two weeks of a quarter (15% if flat)"


def test_skill_differences_are_real(sample_ds):
    opp = sample_ds.opportunities
    closed = opp[opp["status"] != "open"]
    rates = closed.groupby("rep_id")["status"].apply(lambda s: (s == "won").mean())
    counts = closed.groupby("rep_id").size()
    big = rates[counts >= 150]
    assert big.max() - big.min() > 0.2
    ch = closed.groupby("channel")["status"].apply(lambda s: (s == "won").mean())
    assert ch["partner"] > ch["direct"]


def test_scales_up():
    f = generate(accounts=20_000, reps=200, years=3, seed=1)
    assert len(f["accounts"]) == 20_000 and len(f["opportunities"]) > 60_000
    assert np.isfinite(f["opportunities"]["amount"]).all()


def test_bad_options():
    with pytest.raises(ValueError, match="must be an integer"):
        parse_options("sample:accounts=many")
    with pytest.raises(ValueError, match="at least"):
        parse_options("sample:reps=1")
