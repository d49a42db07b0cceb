"""Band prices for very large instances: the start comes close to the band, the Lagrangian
bound is a valid lower bound (below the LP optimum, hence below every alignment), and the
search switches to prices above its size threshold."""

from __future__ import annotations

import time

import numpy as np

from salesops_lib.territory import alignment as T
from salesops_lib.territory import prices as PR
from salesops_lib.territory import search as SE
from salesops_lib.territory import solver as S

from .test_territory import random_ds


def test_lagrangian_bound_is_below_the_lp_optimum_for_any_prices():
    ds = random_ds(n=120, reps=5, seed=4)
    p = T.build_problem(ds, tolerance=0.1)
    st, _x, obj, _, _ = S.run_lp(p)
    assert st == "optimal"
    lp = obj * p.cost_scale
    I, Rr = S.all_arcs(p)
    assign, prices, _ = PR.price_start(p, I, Rr, time.perf_counter() + 5)
    assert (assign >= 0).all()
    assert PR.lagrangian_bound(p, prices) <= lp * (1 + 1e-9)
    rng = np.random.default_rng(0)
    for _ in range(5):                       # any prices give a lower bound
        other = {m: rng.normal(0, 50, p.R) for m in prices}
        assert PR.lagrangian_bound(p, other) <= lp * (1 + 1e-9)
    # zero prices: each unit to its nearest rep, the unconstrained minimum (hand-checkable)
    zero = {m: np.zeros(p.R) for m in prices}
    d = p.cost(np.arange(p.n)[:, None], np.arange(p.R)[None, :])
    assert np.isclose(PR.lagrangian_bound(p, zero), d.min(axis=1).sum())


def test_price_start_nearly_balances():
    ds = random_ds(n=300, reps=6, seed=2)
    p = T.build_problem(ds, tolerance=0.05)
    I, Rr = S.all_arcs(p)
    nearest = np.argmin(p.cost(np.arange(p.n)[:, None], np.arange(p.R)[None, :]), axis=1)
    _assign, _, v = PR.price_start(p, I, Rr, time.perf_counter() + 10)
    assert v < 0.5 * SE.violation(p, nearest)           # far closer to the band than nearest-rep


def test_search_uses_prices_above_the_threshold(monkeypatch):
    ds = random_ds(n=200, reps=5, seed=3)
    monkeypatch.setattr(SE, "PRICES_ABOVE", 10)
    sol = T.solve(ds, tolerance=0.05, method="heuristic", time_limit=10)
    assert sol.method == "prices+local" and sol.band_met and sol.bound_valid
    assert 0 <= sol.gap < 1 and sol.bound <= sol.objective
    e = T.evaluate(ds, sol.assignment).summary
    assert e["max_deviation"] <= 0.05 + 1e-9
    assert "band prices (a Lagrangian relaxation)" in T.solver_note(sol)
    assert "of the Lagrangian lower bound" in T.solver_note(sol)
