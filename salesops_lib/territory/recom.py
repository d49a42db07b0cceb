"""Recombination chains: balance contiguous territories by redrawing borders between neighbours.

When the local search of :mod:`salesops_lib.territory.search` leaves contiguous territories
outside the balance band, the time left is spent here. :func:`recombine` is GerryChain's ReCom
step for two adjacent territories (join them, draw a random spanning tree, cut the edge that
balances best: both pieces stay connected by construction); :func:`recombination_chains` strings
such steps along a path of territories from the one furthest outside its band to the nearest
one with room, so excess load travels across the map (an ejection chain). When every chain
fails, a few random neutral redraws restart the search from a neighbouring alignment with more
trees per step, until the band is met or the time is up.
"""

from __future__ import annotations

import itertools
import time

import numpy as np
import scipy.sparse as sp

from .polish import territory_anchors, territory_graph, territory_violation, violation
from .solver import Problem, band_limits


def _excess_rows(p: Problem, L, r):
    """Relative excess outside rep ``r``'s band of load vectors ``L`` (measures × cuts)."""
    band = band_limits(p, p.tolerance)
    out = 0.0
    for k, m in enumerate(p.balance):
        lo, hi = band[m]
        mu = max(p.balance[m].sum() / p.R, 1e-300)
        out = out + (np.maximum(0, L[k] - hi[r] + 1e-9 * mu) + np.maximum(0, lo[r] - L[k] + 1e-9 * mu)) / mu
    if np.isfinite(p.capacity[r]):
        out = out + np.maximum(0, L[-1] - p.capacity[r]) / p.capacity[r]
    return out


def recombine(p: Problem, assign, a: int, b: int, rng, trees: int = 40, want: float | None = None,
              hold: bool = False, last: bool = True):
    """Redraw the border of adjacent territories ``a`` and ``b`` (GerryChain's ReCom).

    Their units are joined, a random spanning tree is drawn (edge weights: length × random
    noise, so cuts stay fairly compact) and cut at the edge that best balances the two sides
    (``a`` keeps the side with its home unit); ``trees`` trees are tried. In an
    ejection chain ``want`` is the load (first balanced measure) ``a`` should keep, ``hold``
    that ``a`` must stay within its band, and ``last`` that ``b`` must end within its band.
    Locked units stay with their owner. Returns a new assignment, or None when no cut is
    acceptable.
    """
    from scipy.sparse.csgraph import breadth_first_order, minimum_spanning_tree

    U = np.flatnonzero((assign == a) | (assign == b))
    anchors = territory_anchors(p, assign, [a, b])
    if a not in anchors or b not in anchors:
        return None
    loc = np.full(p.n, -1)
    loc[U] = np.arange(len(U))
    sub = p.adjacency[U][:, U].tocoo()
    keep = sub.row < sub.col
    r0, c0 = sub.row[keep], sub.col[keep]
    ra = loc[anchors[a]]
    length = np.nan_to_num(np.hypot(p.lat[U[r0]] - p.lat[U[c0]], p.lon[U[r0]] - p.lon[U[c0]])) + 1e-3
    rows = [p.balance[m][U] for m in p.balance] + [p.workload[U]]
    lock_a = (p.locked[U] & (p.owner[U] == a)).astype(float)
    lock_b = (p.locked[U] & (p.owner[U] == b)).astype(float)
    dcost = p.cost(U, np.full(len(U), b)) - p.cost(U, np.full(len(U), a))
    base = np.vstack(rows + [lock_a, lock_b, dcost])
    tot = base.sum(axis=1)
    nm = len(rows)
    best = (np.inf, np.inf, None)
    for _ in range(trees):
        w = length * rng.lognormal(0, 1.0, len(length))
        t = minimum_spanning_tree(sp.csr_matrix((w, (r0, c0)), shape=(len(U), len(U))))
        order, pred = breadth_first_order(t, ra, directed=False, return_predecessors=True)
        if len(order) < len(U):
            return None                      # the two territories do not form one piece
        depth = np.zeros(len(U), int)
        for k in order[1:]:
            depth[k] = depth[pred[k]] + 1
        S = base.copy()
        for d in range(depth.max(), 0, -1):
            nodes = order[depth[order] == d]
            np.add.at(S.T, pred[nodes], S[:, nodes].T)
        # any tree edge may be cut: the piece below it goes to b (b's home unit may change
        # sides; travel from it is still counted, and ties go to the shorter travel)
        path = order[1:]
        Sb = S[:, path]
        ok = (Sb[nm] == 0) & (Sb[nm + 1] == tot[nm + 1])
        if not ok.any():
            continue
        La = tot[:nm, None] - Sb[:nm]
        ea, eb = _excess_rows(p, La, a), _excess_rows(p, Sb[:nm], b)
        if want is None:
            score = ea + eb
        else:
            mu0 = max(next(iter(p.balance.values())).sum() / p.R, 1e-300)
            score = np.abs(La[0] - want) / mu0 + 10 * (ea * hold + eb * last)
        score = np.where(ok, score, np.inf)
        j = int(np.lexsort((Sb[nm + 2], score))[0])
        if (score[j], Sb[nm + 2, j]) < best[:2]:
            best = (score[j], Sb[nm + 2, j], (order, pred, path[j]))
        if best[0] <= 1e-12 or (want is not None and best[0] <= 1e-4):
            break
    if best[2] is None or not np.isfinite(best[0]):
        return None
    order, pred, cut = best[2]
    inside = np.zeros(len(U), bool)          # the subtree below the cut goes to b
    inside[cut] = True
    for k in order:
        if not inside[k] and pred[k] >= 0 and inside[pred[k]]:
            inside[k] = True
    new = assign.copy()
    new[U] = np.where(inside, b, a)
    return new


def recombination_chains(p: Problem, assign, deadline: float, seed: int = 0,
                         trees: int = 40) -> tuple[np.ndarray, dict]:
    """Move excess load along chains of adjacent territories until every one is in its band.

    The territory furthest outside its band hands its excess to a neighbour by
    :func:`recombine`, which hands it on, up to the nearest territory with room (breadth-first
    over the territory graph); a chain is kept only if the total violation falls. Territories
    whose chains fail are set aside until something else changes. Random but seeded.
    """
    rng = np.random.default_rng(seed)
    assign = np.asarray(assign).copy()
    csr = p.adjacency.tocsr()
    a_, b_ = csr.nonzero()
    info = {"chains": 0, "kept": 0}
    V = violation(p, assign)
    tried: dict = {}
    band = band_limits(p, p.tolerance)
    while V > 1e-9 and time.perf_counter() < deadline:
        per, _ = territory_violation(p, assign)
        cand = [int(r) for r in np.argsort(-per) if per[r] > 1e-12 and tried.get(int(r), 0) < 6]
        nbrs = territory_graph(p, assign, a_, b_)
        if not cand:
            # every chain failed: redraw a few random borders without losing ground (a
            # restart from a neighbouring alignment), draw more trees, and try again
            assign, V = _shake(p, assign, V, nbrs, rng, trees, deadline)
            trees = min(2 * trees, 400)
            info["restarts"] = info.get("restarts", 0) + 1
            tried = {}
            continue
        r = cand[0]
        m0 = next(iter(p.balance))
        L = {m: np.bincount(assign, b, p.R) for m, b in p.balance.items()}
        over = any(L[m][r] > band[m][1][r] for m in p.balance)
        mu = p.balance[m0].sum() / p.R
        room = ((band[m0][1] - L[m0]) if over else (L[m0] - band[m0][0])) / mu
        need = per[r]
        # breadth-first over territories; a random tie-break varies the chain on retries
        prev, seen, queue, ends = {r: -1}, {r}, [r], []
        for s in queue:
            for t in sorted(nbrs[s], key=lambda _: rng.random()):
                if t not in seen:
                    seen.add(t)
                    prev[t] = s
                    queue.append(t)
                    if room[t] > 0:
                        ends.append(t)
        if not ends:
            tried[r] = 99
            continue
        ends.sort(key=lambda t: (-min(room[t], need), len(_chain(prev, t))))
        end = ends[min(tried.get(r, 0), len(ends) - 1)]
        chain = _chain(prev, end)
        delta = min(need, room[end]) * mu * (1 if over else -1)
        new = assign
        for x, y in itertools.pairwise(chain):
            want = L[m0][x] - delta if x == r else L[m0][x]
            new = recombine(p, new, x, y, rng, trees, want=want, hold=x != r, last=y == end)
            if new is None or time.perf_counter() > deadline:
                new = None
                break
        info["chains"] += 1
        if new is not None:
            V2 = violation(p, new)
            if V2 < V - 1e-12:
                assign, V = new, V2
                info["kept"] += 1
                tried = {}
                continue
        tried[r] = tried.get(r, 0) + 1
    return assign, info


def _shake(p: Problem, assign, V, nbrs, rng, trees, deadline, k: int = 6):
    """Redraw the border of ``k`` random adjacent pairs, each kept if the violation does not grow."""
    for _ in range(k):
        if time.perf_counter() > deadline:
            break
        a = int(rng.integers(p.R))
        if not nbrs[a]:
            continue
        b = int(rng.choice(sorted(nbrs[a])))
        new = recombine(p, assign, a, b, rng, max(trees // 4, 5))
        if new is not None:
            V2 = violation(p, new)
            if V2 <= V + 1e-12:
                assign, V = new, V2
    return assign, V


def _chain(prev, end):
    out = [end]
    while prev[out[-1]] >= 0:
        out.append(prev[out[-1]])
    return out[::-1]
