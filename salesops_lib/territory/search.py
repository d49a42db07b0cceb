"""The scalable territory method: LP relaxation, rounding and local search.

Used by :func:`salesops_lib.territory.optimize` for instances too large for the exact MILP
(see :mod:`salesops_lib.solver` for the model and its symbols):

1. solve the transportation LP (every unit's nearest reps, priced out over all reps with the
   duals, so its value is a valid lower bound);
2. give each unit to the rep holding its largest LP share; with an adjacency graph, hand every
   piece cut off from its territory's main piece to an adjacent territory;
3. local search of single-unit moves, many per round when they touch different reps:
   phase 1 lowers the violation :math:`V` (relative excess over the band, capacity and
   disruption cap) plus the squared imbalance :math:`\\sum_r ((L_r - \\mu_r)/\\mu)^2` (which
   lets load travel along chains of territories), with unit swaps when no single move helps;
   phase 2 lowers travel while :math:`V` stays 0. With adjacency only boundary units move, and
   a move is taken only if the donor territory stays connected;
4. if the band is still not met, the rest of the time limit goes to recombination chains
   (:mod:`salesops_lib.territory.recom`, contiguous territories) and to exact re-solves of the
   worst territory and its neighbours (:mod:`salesops_lib.territory.polish`), then a last
   local search shortens travel within the band. ``Result.stages`` records the first pass and
   what followed.
"""

from __future__ import annotations

import dataclasses
import time

import numpy as np
import pandas as pd
import scipy.sparse as sp
from scipy.sparse.csgraph import connected_components

from .geo import haversine_km
from .polish import polish, violation
from .prices import lagrangian_bound, price_start
from .recom import recombination_chains
from .solver import (
    Problem,
    Result,
    all_arcs,
    band_limits,
    lp_relaxation,
    nearest_arcs,
    run_lp,
)

#: Above this many unit × rep pairs the LP is skipped for band prices (:mod:`.prices`): on
#: 57,650 accounts × 350 reps the LP alone outlasted a 300 s limit on a loaded machine.
PRICES_ABOVE = 5_000_000


def heuristic(p: Problem, time_limit: float = 30.0, k: int = 10) -> Result:
    t0 = time.perf_counter()
    deadline = t0 + time_limit
    # large instances start sparser (pricing adds what the LP needs)
    I, Rr = (all_arcs(p) if p.n * p.R <= 400_000 else
             nearest_arcs(p, k) if p.n <= 20_000 else
             nearest_arcs(p, k, per_rep=int(np.ceil(4 * p.n / p.R))))
    if p.n * p.R > PRICES_ABOVE:
        return _from_prices(p, I, Rr, t0, deadline, time_limit)
    status, I, Rr, x, bound, valid = lp_relaxation(p, I, Rr, time_limit=0.7 * time_limit)
    if status == "infeasible" and len(I) < p.n * p.R:
        # nearest-rep pruning can make the LP infeasible on its own: widen before giving up
        I, Rr = all_arcs(p) if p.n * p.R <= 3_000_000 else nearest_arcs(p, min(p.R, 4 * k))
        status, I, Rr, x, bound, valid = lp_relaxation(p, I, Rr, time_limit=0.6 * time_limit)
    method = "lp+local"
    if status == "time_limit":
        # the LP did not finish: start from each unit's cheapest candidate rep instead
        # (no lower bound then; the local search still enforces the band)
        order = np.argsort(-p.cost(I, Rr))
        x = np.zeros(len(I))
        x[order] = np.arange(len(I))             # rank: the cheapest arc of a unit wins below
        bound, valid, method = np.nan, False, "greedy+local"
    elif status != "optimal":
        return Result(None, status, method, np.nan, np.nan, np.nan, False,
                      time.perf_counter() - t0)
    elif p.max_disruption is not None and p.max_disruption > 0:
        # start from an LP with 3% of the disruption budget held back, so that the repair
        # after rounding still has moves to spend; the bound stays the true LP's
        tight = dataclasses.replace(p, max_disruption=0.97 * p.max_disruption)
        st2, x2, *_ = run_lp(tight, I, Rr, time_limit=0.2 * time_limit)
        if st2 == "optimal":
            x = x2
    assign = np.full(p.n, -1)
    order = np.argsort(x[:len(I)])
    assign[I[order]] = Rr[order]                 # each unit goes to its largest LP share
    notes = []
    if p.adjacency is not None:
        assign, stuck = _fix_orphans(p, assign)
        if stuck:
            notes.append(f"{stuck} locked units cannot join their territory's connected part")
    assign = local_search(p, assign, I, Rr, deadline)
    return _finish(p, assign, I, Rr, t0, deadline, time_limit, method, bound, valid, notes)


def _from_prices(p: Problem, I, Rr, t0, deadline, time_limit) -> Result:
    """Band prices, then the same local search and second stage as after the LP; the bound
    is the Lagrangian one, over every rep."""
    assign, prices, _ = price_start(p, I, Rr, t0 + 0.3 * time_limit)
    notes = []
    if p.adjacency is not None:
        assign, stuck = _fix_orphans(p, assign)
        if stuck:
            notes.append(f"{stuck} locked units cannot join their territory's connected part")
    assign = local_search(p, assign, I, Rr, deadline - 0.05 * time_limit)
    bound = lagrangian_bound(p, prices)
    valid = bool(bound > 0)        # prices far from converged can give a vacuous bound
    return _finish(p, assign, I, Rr, t0, deadline, time_limit, "prices+local",
                   bound if valid else np.nan, valid, notes)


def _finish(p, assign, I, Rr, t0, deadline, time_limit, method, bound, valid, notes) -> Result:
    """The second stage when the first pass missed the band (chains, polish), then the
    result with its gap."""
    first = violation(p, assign)
    stages = {"first_pass_violation": first, "first_pass_seconds": time.perf_counter() - t0,
              "first_pass_max_deviation": _max_deviation(p, assign)}
    if first > 1e-9 and time.perf_counter() < deadline - 0.5:
        # the band is not met yet: spend the time left on exact re-solves of neighbouring
        # territories, then let the local search shorten travel again within the band
        stop = deadline - 0.05 * time_limit
        if p.adjacency is not None:
            # recombination chains scale to large graphs; the exact group MILP gets the last
            # quarter of the time in case they stall on a knot of large units
            now = time.perf_counter()
            assign, info = recombination_chains(p, assign, stop - 0.25 * max(stop - now, 0))
            stages.update(chains=info["chains"], chains_kept=info["kept"],
                          restarts=info.get("restarts", 0))
        if violation(p, assign) > 1e-9:
            assign, info = polish(p, assign, stop)
            stages.update(polish_rounds=info["rounds"], polish_kept=info["kept"])
        assign = local_search(p, assign, I, Rr, deadline)
    obj = float(p.cost(np.arange(p.n), assign).sum())
    gap = max(obj - bound, 0.0) / max(abs(obj), 1e-12) if np.isfinite(bound) else np.nan
    return Result(assign, "feasible" if violation(p, assign) <= 1e-9 else "band_not_met",
                  method, obj, bound, gap, valid, time.perf_counter() - t0, notes, stages)


def _max_deviation(p: Problem, assign) -> float:
    """Largest :math:`|L_r / T_r - 1|` over reps and balanced measures."""
    out = 0.0
    for m, t in p.targets().items():
        L = np.bincount(assign, p.balance[m], p.R)
        dev = np.abs(L / np.where(t > 0, t, 1.0) - 1)
        out = max(out, float(np.max(np.where(t > 0, dev, 0.0), initial=0.0)))
    return out


def _arcs(p: Problem):
    a = p.adjacency.tocoo()
    keep = a.row != a.col
    return a.row[keep], a.col[keep]


def _main_parts(p: Problem, assign, u, v):
    """Per unit: is it in its territory's main connected piece (or outside the graph)?

    The main piece holds the rep's home unit when the territory has it, else the most
    potential.
    """
    n = p.n
    same = assign[u] == assign[v]
    g = sp.csr_matrix((np.ones(same.sum()), (u[same], v[same])), shape=(n, n))
    _, lab = connected_components(g, directed=False)
    w = next(iter(p.balance.values()))
    f = pd.DataFrame({"lab": lab, "t": assign, "w": w + 1e-12})
    f = f.groupby("lab").agg(t=("t", "first"), w=("w", "sum"))
    home = p.roots is not None and p.roots
    f["home"] = False
    if home is not False:
        has = assign[p.roots] == np.arange(p.R)
        f.loc[lab[p.roots[has]], "home"] = True
    f = f.sort_values(["t", "home", "w"], ascending=[True, False, False])
    main = f[~f["t"].duplicated()].index.to_numpy()
    deg = np.bincount(u, minlength=n)
    return np.isin(lab, main) | (deg == 0)


def _fix_orphans(p: Problem, assign):
    """Hand every unit cut off from its territory's main piece to an adjacent territory."""
    u, v = _arcs(p)
    stuck = 0
    for _ in range(p.n):
        ok = _main_parts(p, assign, u, v)
        if ok.all():
            break
        cand = ~ok[u] & ok[v] & ~p.locked[u]
        if not cand.any():
            stuck = int((~ok & p.locked).sum())
            break
        uu, rr = u[cand], assign[v[cand]]
        o = np.lexsort((p.cost(uu, rr), uu))
        first = np.r_[True, uu[o][1:] != uu[o][:-1]]
        assign[uu[o][first]] = rr[o][first]
    return assign, stuck


def _excess(x, lo, hi, mu):
    """Relative distance of loads ``x`` outside the band ``[lo, hi]`` (0 inside)."""
    return (np.maximum(0, x - hi) + np.maximum(0, lo - x)) / mu


class _State:
    """Loads per rep, kept up to date as units move."""

    def __init__(self, p: Problem, assign):
        self.p, self.assign = p, assign
        self.means = p.means()
        self.targets = p.targets()
        self.band = band_limits(p, p.tolerance)
        self.L = {m: np.bincount(assign, b, p.R) for m, b in p.balance.items()}
        self.W = np.bincount(assign, p.workload, p.R)
        self.count = np.bincount(assign, minlength=p.R)
        own = p.owner >= 0
        self.D = float(p.disrupt[own & (assign != p.owner)].sum())
        self.dcap = p.dcap()

    def move(self, i, s):
        r = self.assign[i]
        for m, b in self.p.balance.items():
            self.L[m][r] -= b[i]; self.L[m][s] += b[i]
        self.W[r] -= self.p.workload[i]; self.W[s] += self.p.workload[i]
        self.count[r] -= 1; self.count[s] += 1
        o = self.p.owner[i]
        if o >= 0:
            self.D += self.p.disrupt[i] * (int(s != o) - int(r != o))
        self.assign[i] = s

    def delta(self, mi, ms):
        """Change in violation V, in squared imbalance, in cost and in disruption per move."""
        p, mr = self.p, self.assign[mi]
        dV = np.zeros(len(mi)); dVar = np.zeros(len(mi))
        for m, b in p.balance.items():
            L, (lo, hi), mu = self.L[m], self.band[m], max(self.means[m], 1e-300)
            tg = self.targets[m]
            bi, Lr, Ls = b[mi], L[mr], L[ms]

            dV += (_excess(Lr - bi, lo[mr], hi[mr], mu) + _excess(Ls + bi, lo[ms], hi[ms], mu)
                   - _excess(Lr, lo[mr], hi[mr], mu) - _excess(Ls, lo[ms], hi[ms], mu))
            dVar += 2 * bi * (bi + (Ls - tg[ms]) - (Lr - tg[mr])) / mu ** 2
        cap = p.capacity
        if np.isfinite(cap).any():
            w = p.workload[mi]

            def exc(x, c):
                return np.where(np.isfinite(c), np.maximum(0, x - c) / np.where(np.isfinite(c), c, 1), 0)
            dV += (exc(self.W[mr] - w, cap[mr]) + exc(self.W[ms] + w, cap[ms])
                   - exc(self.W[mr], cap[mr]) - exc(self.W[ms], cap[ms]))
        own = p.owner[mi]
        dd = p.disrupt[mi] * (((ms != own) & (own >= 0)).astype(float) - ((mr != own) & (own >= 0)))
        if np.isfinite(self.dcap):
            tot = max(p.disrupt_total, 1e-300)
            dV += (np.maximum(0, self.D + dd - self.dcap) - max(0, self.D - self.dcap)) / tot
        dC = p.cost(mi, ms) - p.cost(mi, mr)
        return dV, dVar, dC, dd


def _connected_without(p: Problem, assign, i, indptr, indices) -> bool:
    """Does territory ``assign[i]`` stay connected when unit ``i`` leaves it?

    A breadth-first search grows from every neighbour of ``i`` inside the territory at once;
    searches that meet merge. All merged: connected. A search that runs out of frontier
    before meeting the others has closed off a piece: not connected. The cost is bounded by
    the smaller side, so cutting off a short tail is cheap to detect.
    """
    r = assign[i]
    nb = indices[indptr[i]:indptr[i + 1]]
    nb = [int(k) for k in nb[(assign[nb] == r) & (nb != i)]]
    if len(nb) <= 1:
        return True
    parent = list(range(len(nb)))

    def find(g):
        while parent[g] != g:
            parent[g] = parent[parent[g]]
            g = parent[g]
        return g
    label = {i: -1}
    open_ = [1] * len(nb)
    queue = []
    for g, k in enumerate(nb):
        if k in label:          # duplicate neighbour: same search
            parent[g] = find(label[k]); open_[find(g)] += 0
            continue
        label[k] = g
        queue.append(k)
    groups = len({find(g) for g in range(len(nb))})
    head = 0
    while groups > 1:
        if head == len(queue):
            return False
        j = queue[head]; head += 1
        g = find(label[j])
        for k in indices[indptr[j]:indptr[j + 1]]:
            k = int(k)
            if assign[k] != r or k == i:
                continue
            h = label.get(k)
            if h is None:
                label[k] = g
                queue.append(k)
                open_[g] += 1
            else:
                h = find(h)
                if h != g:
                    parent[h] = g
                    open_[g] += open_[h]
                    groups -= 1
                    if groups == 1:
                        return True
        open_[g] -= 1
        if open_[g] == 0:
            return False
    return True


def local_search(p: Problem, assign, I, Rr, deadline, batch: int = 4000):
    """Single-unit moves, many per round when they touch different reps (see module doc)."""
    assign = assign.copy()
    st = _State(p, assign)
    movable = ~p.locked
    if p.adjacency is not None:
        csr = p.adjacency.tocsr()
        indptr, indices = csr.indptr, csr.indices
        u, v = _arcs(p)
    cache, version = {}, np.zeros(p.R, np.int64)
    for phase in (1, 2):
        while time.perf_counter() < deadline:
            if p.adjacency is not None:
                b = (assign[u] != assign[v]) & movable[u]
                key = u[b].astype(np.int64) * p.R + assign[v[b]]
                empty = np.flatnonzero(np.bincount(assign, minlength=p.R) == 0)
                if len(empty):      # an empty territory restarts from its home unit
                    key = np.r_[key, p.roots[empty].astype(np.int64) * p.R + empty]
                key = np.unique(key)
                mi, ms = key // p.R, key % p.R
            else:
                b = (Rr != assign[I]) & movable[I]
                mi, ms = I[b], Rr[b]
            if not len(mi):
                break
            dV, dVar, dC, dd = st.delta(mi, ms)
            if phase == 1:
                if violation(p, assign) <= 1e-9:
                    break
                score = dV + dVar
                good = score < -1e-12
            else:
                score = dC
                good = (dV <= 1e-12) & (dC < -1e-9 * max(np.abs(dC).max(), 1.0))
            idx = np.flatnonzero(good)
            if not len(idx):
                break
            idx = idx[np.argsort(score[idx], kind="stable")][:batch]
            touched = np.zeros(p.R, bool)
            done = 0
            for j in idx:
                i, s = int(mi[j]), int(ms[j])
                r = assign[i]
                if touched[r] or touched[s]:
                    continue
                if dd[j] > 0 and st.D + dd[j] > st.dcap * (1 + 1e-12):
                    continue
                if p.adjacency is not None:
                    if st.count[r] <= 1:
                        continue
                    hit = cache.get((i, r))   # valid while territory r is unchanged
                    if hit is not None and hit[0] == version[r]:
                        ok = hit[1]
                    else:
                        ok = _connected_without(p, assign, i, indptr, indices)
                        cache[(i, r)] = (version[r], ok)
                    if not ok:
                        continue
                    version[r] += 1; version[s] += 1
                st.move(i, s)
                touched[r] = touched[s] = True
                done += 1
            if not done and not (phase == 1 and p.adjacency is None and _swap(p, st, movable)):
                break
    return assign


def _swap(p: Problem, st: _State, movable, tries: int = 6) -> bool:
    """Try :func:`_swap_one` on the most violating territories, worst first."""
    viol = np.zeros(p.R)
    for m in p.balance:
        lo, hi = st.band[m]
        viol += (np.maximum(0, st.L[m] - hi) + np.maximum(0, lo - st.L[m])) / max(st.means[m], 1e-300)
    for r in np.argsort(-viol)[:tries]:
        if viol[r] <= 1e-12:
            return False
        if _swap_one(p, st, movable, int(r)):
            return True
    return False


def _swap_one(p: Problem, st: _State, movable, r: int, max_pairs: int = 2_000_000) -> bool:
    """Exchange one unit of the most violating territory with one unit elsewhere.

    Used when no single move helps (e.g. a territory just over the band holds only units
    larger than its excess): the pair that most reduces the band violation of both
    territories, within the disruption cap, is applied. Returns whether a swap was made.
    """
    assign = st.assign
    A = np.flatnonzero((assign == r) & movable)
    B = np.flatnonzero((assign != r) & movable)
    if not len(A) or not len(B):
        return False
    if len(A) * len(B) > max_pairs:
        d = np.nan_to_num(haversine_km(p.lat[B], p.lon[B], p.home_lat[r], p.home_lon[r]))
        B = B[np.argsort(d)[:max(max_pairs // len(A), 1)]]
    i, j = np.repeat(A, len(B)), np.tile(B, len(A))
    s = assign[j]
    dV = np.zeros(len(i))
    for m, b in p.balance.items():
        L, (lo, hi), mu = st.L[m], st.band[m], max(st.means[m], 1e-300)
        net = b[i] - b[j]

        dV += (_excess(L[r] - net, lo[r], hi[r], mu) + _excess(L[s] + net, lo[s], hi[s], mu)
               - _excess(L[r], lo[r], hi[r], mu) - _excess(L[s], lo[s], hi[s], mu))
    if np.isfinite(p.capacity).any():
        net = p.workload[i] - p.workload[j]
        cap = p.capacity

        def exc(x, t):
            c = cap[t]
            return np.where(np.isfinite(c), np.maximum(0, x - c) / np.where(np.isfinite(c), c, 1), 0)
        dV += exc(st.W[r] - net, r) + exc(st.W[s] + net, s) - exc(st.W[r], r) - exc(st.W[s], s)
    oi, oj = p.owner[i], p.owner[j]
    dd = (p.disrupt[i] * ((oi >= 0) & (s != oi)).astype(float) - p.disrupt[i] * ((oi >= 0) & (r != oi))
          + p.disrupt[j] * ((oj >= 0) & (r != oj)).astype(float) - p.disrupt[j] * ((oj >= 0) & (s != oj)))
    ok = (dV < -1e-12) & ((dd <= 0) | (st.D + dd <= st.dcap * (1 + 1e-12)))
    if not ok.any():
        return False
    k = np.flatnonzero(ok)
    dC = p.cost(i[k], s[k]) + p.cost(j[k], r) - p.cost(i[k], r) - p.cost(j[k], s[k])
    best = k[np.lexsort((dC, np.round(dV[k], 12)))[0]]
    sj = int(s[best])
    st.move(int(i[best]), sj)
    st.move(int(j[best]), r)
    return True
