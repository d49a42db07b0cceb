"""Fairness measures and the quota-method backtest, on frames small enough to check by hand."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from salesops_lib import compensation as comp

from .conftest import make_ds


@pytest.fixture
def fair_ds():
    # quota 100 each; bookings 50, 90, 110, 150; potential 100..400; hired 2025, 2023, 2022, 2020
    deals = [(f"D{i}", f"R{i}", amt, "2026-02-01", "won", "Core", f"A{i}")
             for i, amt in enumerate([50, 90, 110, 150], start=1)]
    reps = [(f"R{i}", "East", "field", h) for i, h in
            enumerate(["2025-01-01", "2023-01-01", "2022-01-01", "2020-01-01"], start=1)]
    accounts = [(f"A{i}", f"R{i}", 100.0 * i) for i in range(1, 5)]
    return make_ds(deals, [(f"R{i}", "2026-Q1", 100) for i in range(1, 5)], reps=reps,
                   accounts=accounts)


def test_attainment_table(fair_ds):
    t = comp.attainment_table(fair_ds, "2026-Q1").set_index("rep_id")
    assert t["attainment"].tolist() == pytest.approx([0.5, 0.9, 1.1, 1.5])
    assert t["potential_per_quota"].tolist() == pytest.approx([1, 2, 3, 4])
    assert t.loc["R4", "tenure_months"] == pytest.approx((np.datetime64("2026-03-31")
                                                          - np.datetime64("2020-01-01"))
                                                         .astype(int) / 30.4375)


def test_gini_by_hand():
    assert comp.gini([1, 1, 1, 1]) == pytest.approx(0.0)
    assert comp.gini([0, 0, 0, 1]) == pytest.approx(0.75)
    # sorted 0.5, 0.9, 1.1, 1.5: (-3·0.5 - 0.9 + 1.1 + 3·1.5) / (4 · 4.0) = 0.2
    assert comp.gini([1.5, 0.5, 1.1, 0.9]) == pytest.approx(0.2)
    assert np.isnan(comp.gini([]))


def test_rank_correlation_interval_by_hand():
    x = np.arange(1, 11)
    y = np.array([2, 1, 4, 3, 6, 5, 8, 7, 10, 9])
    rho, lo, hi, n = comp.rank_correlation(x, y)
    assert rho == pytest.approx(1 - 6 * 10 / (10 * 99))
    half = stats.norm.ppf(0.975) * np.sqrt(1.06 / 7)
    assert (lo, hi) == pytest.approx((np.tanh(np.arctanh(rho) - half),
                                      np.tanh(np.arctanh(rho) + half)))
    assert n == 10
    assert np.isnan(comp.rank_correlation([1, 2, 3], [1, 2, 3])[0])     # too few reps


def test_fairness_measures(fair_ds):
    f = comp.fairness(fair_ds, "2026-Q1").set_index("metric")
    assert f.loc["share within ±20% of quota", "value"] == pytest.approx(0.5)
    assert f.loc["share at or above quota", "value"] == pytest.approx(0.5)
    assert f.loc["gini of attainment", "value"] == pytest.approx(0.2)
    assert f.loc["mean attainment", "value"] == pytest.approx(1.0)
    assert f.loc["attainment vs potential per quota", "value"] == pytest.approx(1.0)
    assert f.loc["attainment vs tenure", "value"] == pytest.approx(1.0)
    assert "reading" in f.columns
    text = comp.reading_fairness(comp.fairness(fair_ds, "2026-Q1"))
    assert "50% of reps are within ±20% of quota" in text


def test_backtest_of_quota_methods():
    # 2025: R1 100, R2 300 (prior year); 2026: both sell 200 (the year judged)
    deals = [("a", "R1", 100, "2025-05-01"), ("b", "R2", 300, "2025-06-01"),
             ("c", "R1", 200, "2026-05-01"), ("d", "R2", 200, "2026-06-01")]
    ds = make_ds(deals, [("R1", "2026", 1), ("R2", "2026", 1)], as_of="2026-12-31")
    bt = comp.backtest_methods(ds, methods=("even", "prior_year")).set_index("method")
    assert bt.loc["even", "year"] == "2026"
    assert bt.loc["even", "wape"] == pytest.approx(0.0)
    # prior year gives quotas 100 / 300 against 200 / 200 sold: (100 + 100) / 400
    assert bt.loc["prior_year", "wape"] == pytest.approx(0.5)
    assert bt.loc["even", "share_within_20pct"] == 1.0
    assert bt.loc["prior_year", "share_within_20pct"] == 0.0
    assert "even quotas came closest" in comp.reading_backtest(bt.reset_index())


def test_backtest_needs_bookings_in_the_year():
    ds = make_ds([("a", "R1", 100, "2025-05-01", "lost")], [("R1", "2026", 1)],
                 as_of="2026-12-31")
    bt = comp.backtest_methods(ds)          # degrades to one sentence rather than failing
    assert bt.empty and comp.backtest_table(bt) is None
    assert comp.reading_backtest(bt) == (
        "The quota-method backtest needs won deals in 2026 and in the 12 months before it "
        "(to set its quotas from); this data has none in 2026.")
