"""Like-for-like field vs inside: hand-computed estimators, and a simulation with a known effect."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from salesops_lib import load_dataset, strategy
from salesops_lib.strategy.comparison import propensity, raw_gap, stratified_gap, weighted_gap

from .conftest import year_2026


def frame(cells) -> pd.DataFrame:
    """Deals from (segment, treated, won, count) cells."""
    rows = [{"segment": s, "treated": t, "y": float(y)} for s, t, y, n in cells for _ in range(n)]
    return pd.DataFrame(rows)


# S1: field 2 of 4 won, inside 1 of 4; S2: field 3 of 3, inside 1 of 2; S3: field only
CELLS = [("S1", True, 1, 2), ("S1", True, 0, 2), ("S1", False, 1, 1), ("S1", False, 0, 3),
         ("S2", True, 1, 3), ("S2", False, 1, 1), ("S2", False, 0, 1), ("S3", True, 1, 2)]


def test_raw_gap():
    d = frame(CELLS)
    r = raw_gap(d)
    assert r["gap"] == pytest.approx(7 / 9 - 2 / 6)
    assert r["low"] < r["gap"] < r["high"]


def test_stratified_gap_by_hand():
    d = frame(CELLS)
    s = stratified_gap(d, covariates=("segment",))
    w1, w2 = 8 / 13, 5 / 13
    assert s["gap"] == pytest.approx(w1 * (0.5 - 0.25) + w2 * (1 - 0.5))
    assert s["deals_used"] == 13 and s["strata"] == 2
    pf1, pi1, pf2, pi2 = 2.5 / 5, 1.5 / 5, 3.5 / 4, 1.5 / 3
    se = np.sqrt(w1 ** 2 * (pf1 * (1 - pf1) / 4 + pi1 * (1 - pi1) / 4)
                 + w2 ** 2 * (pf2 * (1 - pf2) / 3 + pi2 * (1 - pi2) / 2))
    assert s["high"] - s["gap"] == pytest.approx(1.959963984540054 * se)


def test_weighted_gap_by_hand():
    # with one covariate the logistic model is saturated: e = share of field deals in the stratum
    d = frame([c for c in CELLS if c[0] != "S3"])
    e = propensity(d, covariates=("segment",))
    assert e[d["segment"].eq("S1").to_numpy()] == pytest.approx(0.5, abs=1e-6)
    assert e[d["segment"].eq("S2").to_numpy()] == pytest.approx(0.6, abs=1e-6)
    # overlap weights: field 1 − e, inside e
    wf = {"S1": 0.5, "S2": 0.4}
    wi = {"S1": 0.5, "S2": 0.6}
    field = (wf["S1"] * 2 + wf["S2"] * 3) / (wf["S1"] * 4 + wf["S2"] * 3)
    inside = (wi["S1"] * 1 + wi["S2"] * 1) / (wi["S1"] * 4 + wi["S2"] * 2)
    g = weighted_gap(d, covariates=("segment",))
    assert g["gap"] == pytest.approx(field - inside, abs=1e-6)
    assert g["low"] < g["gap"] < g["high"]
    b = weighted_gap(d, covariates=("segment",), n_boot=50, seed=1)
    assert b["gap"] == pytest.approx(g["gap"]) and b["low"] <= b["high"]
    assert weighted_gap(d, covariates=("segment",), n_boot=50, seed=1) == b   # deterministic


def test_missing_roles_says_what_it_needs(bare_ds):
    w = year_2026()
    out = strategy.like_for_like(bare_ds, strategy.closed_deals(bare_ds, w))
    assert out.empty and "role" in out.attrs["missing"]
    assert "role" in strategy.reading_comparison(out)


def test_simulation_recovers_the_known_channel_effect():
    """The sample sets field's win rate 10 points above inside's on comparable deals while field
    owns the bigger accounts (which win less often): the like-for-like interval covers the true
    effect, the raw comparison's does not."""
    true = 0.10
    ds = load_dataset(f"sample:channel_effect={true}")
    w = strategy.window(ds, "2026", 3, kind="year")
    out = strategy.like_for_like(ds, strategy.closed_deals(ds, w)).set_index("estimate")
    assert out.loc["weighted", "low"] <= true <= out.loc["weighted", "high"]
    assert not out.loc["raw", "low"] <= true <= out.loc["raw", "high"]
    assert out.loc["raw", "gap"] < out.loc["weighted", "gap"]   # the mix hides part of it


def test_like_for_like_intervals_are_calibrated_across_seeds():
    """Over independent sample orgs with a known effect, the 95% like-for-like intervals cover
    it nearly every time (at least 5 of 6), the raw interval almost never (at most 1 of 6)."""
    true = 0.10
    covered = {"raw": 0, "stratified": 0, "weighted": 0}
    for seed in range(1, 7):
        ds = load_dataset(f"sample:accounts=2000,reps=20,years=2,seed={seed},channel_effect={true}")
        w = strategy.window(ds, "2025", 2, kind="year")
        out = strategy.like_for_like(ds, strategy.closed_deals(ds, w)).set_index("estimate")
        for est in covered:
            covered[est] += int(out.loc[est, "low"] <= true <= out.loc[est, "high"])
    assert covered["stratified"] >= 5 and covered["weighted"] >= 5, covered
    assert covered["raw"] <= 1, covered
