"""The violation measure by hand, and the MILP polish of neighbouring territories."""

from __future__ import annotations

import time

import numpy as np
import pytest

from salesops_lib.territory import alignment as T
from salesops_lib.territory.polish import polish, territory_violation, violation

from .test_territory import equator_ds, random_ds


def test_violation_by_hand():
    # six accounts of 10 on a line, two reps, ±10%: mean 30, band [27, 33]
    p = T.build_problem(equator_ds([10.0] * 6, ["R1"] * 6, homes=[0.0, 5.0]), tolerance=0.1)
    per, dis = territory_violation(p, np.array([0, 0, 0, 0, 1, 1]))   # loads 40 and 20
    assert per.tolist() == pytest.approx([7 / 30, 7 / 30]) and dis == 0.0
    assert violation(p, np.array([0, 0, 0, 1, 1, 1])) == 0.0
    capped = T.build_problem(equator_ds([10.0] * 6, ["R1"] * 6, homes=[0.0, 5.0]), tolerance=0.1,
                             max_disruption=0.5)
    # 4 of 6 accounts leave R1 against a cap of 3: 1/6 of the accounts over
    _, dis = territory_violation(capped, np.array([0, 0, 1, 1, 1, 1]))
    assert dis == pytest.approx(1 / 6)


def test_polish_brings_a_lopsided_alignment_into_the_band():
    ds = random_ds(n=40, reps=4, seed=8)
    p = T.build_problem(ds, tolerance=0.05)
    start = np.zeros(p.n, int)
    start[:4] = [1, 2, 3, 1]                       # nearly everything with one rep
    assert violation(p, start) > 1
    t0 = time.perf_counter()
    out, info = polish(p, start, deadline=time.perf_counter() + 8)
    assert time.perf_counter() - t0 < 9 and info["kept"] >= 1
    assert violation(p, out) == 0.0
    load = np.bincount(out, p.balance["potential"], p.R)
    assert (np.abs(load / load.mean() - 1) <= 0.05 + 1e-9).all()


def test_polish_with_contiguity_keeps_territories_connected():
    from salesops_lib.territory.cases import grid_dataset as grid

    ds, adj = grid(6, 6, 2, seed=3, sigma=0.5)
    p = T.build_problem(ds, tolerance=0.05, adjacency=adj)
    start = np.where(np.arange(p.n) % 6 == 0, 0, 1)          # one column against five
    assert violation(p, start) > 0.5
    out, info = polish(p, start, deadline=time.perf_counter() + 8, hops=2)
    assert info["kept"] >= 1 and violation(p, out) < violation(p, start)
    assert T.territory_contiguity(p.adjacency, out, 2).all()
