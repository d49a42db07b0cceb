"""Calibrated intervals: conformal factors by hand, period totals on simulated series with known
distributions (random walk, seasonal AR), long-season candidates."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from salesops_lib.forecast import timeseries as F
from salesops_lib.forecast import intervals as I
from salesops_lib.forecast import models as M


def simulate(kind: str, n_series: int = 40, n: int = 51, seed: int = 0) -> pd.DataFrame:
    """Monthly series: ``rw`` a random walk (σ = 10), ``sar`` an AR(1) (φ = 0.6, σ = 10)
    around a yearly sine of amplitude 50."""
    rng = np.random.default_rng(seed)
    ds = pd.date_range("2020-01-01", periods=n, freq="MS")
    out = []
    for k in range(n_series):
        e = rng.normal(0, 10, n)
        if kind == "rw":
            y = 1000 + np.cumsum(e)
        else:
            ar = np.zeros(n)
            for t in range(n):
                ar[t] = 0.6 * (ar[t - 1] if t else 0.0) + e[t]
            y = 1000 + 50 * np.sin(2 * np.pi * np.arange(n) / 12) + ar
        out.append(pd.DataFrame({"unique_id": f"{kind}{k:02d}", "ds": ds, "y": y}))
    return pd.concat(out, ignore_index=True)


def test_ratios_and_conformal_factor_by_hand():
    r = I.ratios([12, 8, 10, 20], [10, 10, 10, 10], [9, 6, 8, 10], [14, 11, 11, 10])
    # +2 over half-width 4, -2 under 4, exact hit, +10 past a zero-width upper side
    assert r.tolist() == [0.5, 0.5, 0.0, np.inf]
    # 80% quantile, linear: sorted (0.5, 1, 1.5, 2), position 0.8 · 3 = 2.4 → 1.7
    assert I.conformal_factor([0.5, 2.0, 1.0, 1.5], 80) == pytest.approx(1.7)
    # 1..9: position 0.8 · 8 = 6.4 → 7.4
    assert I.conformal_factor(np.arange(1, 10, dtype=float), 80) == pytest.approx(7.4)
    assert np.isnan(I.conformal_factor([1.0, 2.0, np.inf, np.inf, np.inf], 80))
    assert np.isnan(I.conformal_factor([1.0, 2.0, 3.0], 80))          # too few
    out = I.scale_bounds(pd.DataFrame({"yhat": [10.0], "yhat_lower": [8.0],
                                       "yhat_upper": [13.0]}), 2.0)
    assert out[["yhat_lower", "yhat_upper"]].iloc[0].tolist() == [6.0, 16.0]


@pytest.mark.parametrize("kind", ["rw", "sar"])
def test_period_total_interval_covers_about_80_percent_on_simulated_series(kind):
    s = simulate(kind, seed=1 if kind == "rw" else 2)
    hist = s.groupby("unique_id").head(48)
    truth = s.groupby("unique_id").tail(3)
    run = F.forecast_run(hist, 3, "snaive", n_jobs=1)
    total = F.period_forecast(hist, run.forecast, "2024-Q1", points=run.points)
    act = truth.groupby("unique_id")["y"].sum()
    t = total.set_index("unique_id")
    cover = float(((t["lower"] <= act) & (act <= t["upper"])).mean())
    steps = run.forecast.merge(truth, on=["unique_id", "ds"])
    step_cover = float(((steps["yhat_lower"] <= steps["y"]) & (steps["y"] <= steps["yhat_upper"]))
                       .mean())
    # 40 independent series: binomial sd ≈ 6 points around the nominal 80%
    assert 0.65 <= cover <= 0.95, cover
    assert 0.65 <= step_cover <= 0.95, step_cover
    assert set(t["interval"]) <= {"calibrated", "pooled"}
    # the steps-in-quadrature total that the calibration replaces is far too narrow on a walk
    if kind == "rw":
        f = run.forecast
        quad = np.sqrt(((f["yhat_upper"] - f["yhat"]) ** 2).groupby(f["unique_id"]).sum())
        value = f.groupby("unique_id")["yhat"].sum()
        q_cover = float(((value - quad <= act) & (act <= value + quad)).mean())
        assert q_cover < cover


def test_mstl_follows_a_yearly_season_in_weekly_data():
    rng = np.random.default_rng(5)
    weeks = pd.date_range("2022-01-03", periods=160, freq="W-MON")
    season = 40 * np.sin(2 * np.pi * np.arange(160) / 52.18)
    y = 200 + season + rng.normal(0, 4, 160)
    train = pd.DataFrame({"ds": weeks[:150], "y": y[:150]})
    mstl = M.fit_predict("mstl", train, 10, "W")
    ets = M.fit_predict("ets", train, 10, "W")        # ETS cannot hold a 52-week season
    truth = 200 + season[150:]
    assert np.abs(mstl["yhat"] - truth).mean() < 0.5 * np.abs(ets["yhat"] - truth).mean()
    assert (mstl["yhat_lower"] <= mstl["yhat"]).all() and (mstl["yhat"] <= mstl["yhat_upper"]).all()
    assert "mstl" in M.candidates("W") and "mstl" not in M.candidates("M")
