"""A start for very large territory problems: band prices (a Lagrangian relaxation).

On tens of thousands of accounts and hundreds of reps the transportation LP of
:mod:`salesops_lib.territory.solver` alone can take minutes (57,650 accounts × 350 reps:
more than 200 s on a loaded 2-core machine, with the time limit then gone before the local
search starts). :func:`price_start` gets a nearly balanced alignment in seconds instead.

Relax the band rows :math:`\\ell_{mr} \\le \\sum_i b_{mi} x_{ir} \\le h_{mr}` (loads in units of
the measure's mean) with one price :math:`\\lambda_{mr}` per measure and rep. For given
prices every unit simply goes to the rep minimising
:math:`c_{ir} - \\sum_m \\lambda_{mr} b_{mi}` among its candidate reps, and

.. math::

    D(\\lambda) = \\sum_i \\min_r \\Big(c_{ir} - \\sum_m \\lambda_{mr} b_{mi}\\Big)
                 + \\sum_{m,r} \\big(\\lambda_{mr}\\,\\ell_{mr} \\text{ if } \\lambda_{mr} \\ge 0
                 \\text{ else } \\lambda_{mr}\\,h_{mr}\\big)

is a lower bound on the travel of every alignment within the band, for *any* prices, when
the minimum runs over every rep (the disruption cap and hour capacities are left out, which
only lowers it). Prices rise for reps below their band and fall for reps above it (sign
steps on the subgradient of :math:`D`, each rep's step grown by 1.2 while its price keeps
moving the same way, up to ten times the first step, and halved when it overshoots; costs
carry a fixed jitter of 2% of a typical arc so that reps sharing a home split its units);
the assignment with the smallest band
violation is kept, and
:func:`lagrangian_bound` evaluates :math:`D` at the best prices over all reps.
"""

from __future__ import annotations

import time

import numpy as np

from .solver import Problem, band_limits


def _scaled(p: Problem, I):
    means = p.means()
    loads = {m: b[I] / max(means[m], 1e-300) for m, b in p.balance.items()}
    band = {m: (lo / max(means[m], 1e-300), hi / max(means[m], 1e-300))
            for m, (lo, hi) in band_limits(p, p.tolerance).items()}
    return loads, band


def _choose(adj, seg, starts):
    """Per segment (one unit's candidate arcs, contiguous), the index of its cheapest arc."""
    low = np.minimum.reduceat(adj, starts)
    hit = np.flatnonzero(adj <= low[seg])
    first = np.r_[True, seg[hit][1:] != seg[hit][:-1]]
    return hit[first], low


def offices(p: Problem) -> np.ndarray:
    """Per rep, the index of its *office*: reps whose home bases coincide (to about 100 m)
    share one, since every unit costs them the same."""
    key = np.round(p.home_lat, 3) * 1000.0 + np.round(p.home_lon, 3)
    return np.unique(np.nan_to_num(key, nan=-1e9), return_inverse=True)[1].ravel()


def _split_office(p: Problem, units, members, loads):
    """Hand an office's units to its reps in proportion to their targets: a sweep by
    longitude then latitude, cut where each rep's share of the first measure is reached."""
    m0 = next(iter(p.balance))
    t = p.targets()[m0][members]
    b = p.balance[m0][units]
    order = np.lexsort((p.lat[units], p.lon[units]))
    cum = np.cumsum(b[order])
    edges = np.cumsum(t) / max(t.sum(), 1e-300) * cum[-1] if len(cum) else []
    who = np.searchsorted(edges, cum - b[order] / 2, side="right").clip(0, len(members) - 1)
    out = np.empty(len(units), dtype=np.int64)
    out[order] = members[who]
    return out


def price_start(p: Problem, I, Rr, deadline: float, iters: int = 600):
    """A nearly balanced assignment from band prices (see module docstring).

    ``I, Rr`` are the candidate arcs (every unit needs at least one; locked units only their
    owner's). Returns ``(assign, prices, violation)`` with ``prices`` a dict measure → (R,)
    array in units of scaled cost (cost / ``p.cost_scale``) per unit of the measure's mean.
    """
    office = offices(p)
    n_off = int(office.max()) + 1
    # prices per office: arcs to co-located reps collapse into one (the cheapest, all equal)
    key = np.unique(I.astype(np.int64) * n_off + office[Rr])
    I, Rr = key // n_off, key % n_off
    rep_of = np.array([np.flatnonzero(office == k)[0] for k in range(n_off)])
    order = np.lexsort((Rr, I))
    I, Rr = I[order], Rr[order]
    starts = np.flatnonzero(np.r_[True, I[1:] != I[:-1]])
    seg = np.repeat(np.arange(len(starts)), np.diff(np.r_[starts, len(I)]))
    units = I[starts]
    c = p.cost(I, rep_of[Rr]) / p.cost_scale
    loads, band = _scaled(p, I)
    band = {m: (np.bincount(office, lo, n_off), np.bincount(office, hi, n_off))
            for m, (lo, hi) in band.items()}
    unit_cost = float(np.median(np.abs(c))) or 1.0
    # reps sharing a home (a metro office) cost the same for every unit: a small fixed jitter
    # lets prices split those units between them instead of handing all to one and racing
    c = c + np.random.default_rng(0).uniform(0, 0.02 * unit_cost, len(c))
    lam = {m: np.zeros(n_off) for m in loads}
    # first step: a tenth of a typical arc's cost per typical unit load; then per rep, grown
    # while its price keeps moving the same way and halved when it overshoots (Rprop)
    step0 = {m: 0.1 * unit_cost / (float(np.median(b[b > 0])) if (b > 0).any() else 1.0)
             for m, b in loads.items()}
    step = {m: np.full(n_off, s0) for m, s0 in step0.items()}
    sign = {m: np.zeros(n_off) for m in loads}
    assign = np.full(p.n, -1)
    best, best_v, best_lam = None, np.inf, {m: v.copy() for m, v in lam.items()}
    for t in range(1, iters + 1):
        adj = c.copy()
        for m, b in loads.items():
            adj -= lam[m][Rr] * b
        pick, _ = _choose(adj, seg, starts)
        assign[units] = Rr[pick]
        v = 0.0
        for m, b in loads.items():
            L = np.bincount(Rr[pick], b[pick], n_off)
            lo, hi = band[m]
            v += float((np.maximum(0, L - hi) + np.maximum(0, lo - L)).sum())
            g = np.sign(np.where(L < lo, lo - L, np.where(L > hi, hi - L, 0.0)))
            same = g * sign[m]
            step[m] = np.where(same > 0, np.minimum(1.2 * step[m], 10 * step0[m]),
                               np.where(same < 0, 0.5 * step[m], step[m]))
            lam[m] = lam[m] + g * step[m]
            sign[m] = np.where(g != 0, g, sign[m])
        if v < best_v:
            best, best_v, best_lam = assign.copy(), v, {m: x.copy() for m, x in lam.items()}
        if v <= 1e-12 or time.perf_counter() > deadline:
            break
    assign = np.full(p.n, -1)
    for k in range(n_off):
        members = np.flatnonzero(office == k)
        mine = np.flatnonzero(best == k)
        if len(members) == 1 or not len(mine):
            assign[mine] = members[0]
            continue
        assign[mine] = _split_office(p, mine, members, loads)
    lk = p.locked & (p.owner >= 0)
    assign[lk] = p.owner[lk]                   # a locked unit stays with its own rep
    prices = {m: lam_k[office] for m, lam_k in best_lam.items()}   # per rep, for the bound
    return assign, prices, best_v


def lagrangian_bound(p: Problem, prices: dict) -> float:
    """:math:`D(\\lambda)` over every rep, in potential·km: a valid lower bound on travel."""
    means = p.means()
    band = band_limits(p, p.tolerance)
    total = 0.0
    step = max(1, 4_000_000 // max(p.R, 1))
    for s in range(0, p.n, step):
        i = np.arange(s, min(s + step, p.n))
        d = p.cost(i[:, None], np.arange(p.R)[None, :]) / p.cost_scale
        for m, b in p.balance.items():
            d = d - (b[i] / max(means[m], 1e-300))[:, None] * prices[m][None, :]
        lk = p.locked[i] & (p.owner[i] >= 0)
        best = d.min(axis=1)
        best[lk] = d[lk, p.owner[i][lk]]
        total += float(best.sum())
    for m, (lo, hi) in band.items():
        lam, mu = prices[m], max(means[m], 1e-300)
        total += float(np.where(lam >= 0, lam * lo / mu, lam * hi / mu).sum())
    return total * p.cost_scale
