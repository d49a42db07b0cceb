"""MILP polish of a territory alignment: re-solve a few neighbouring territories exactly.

When the local search of :mod:`salesops_lib.territory.search` stops with territories outside
the balance band, the time left is spent here. Each round takes the territory furthest outside
its band and the neighbours with most room (a *group*), frees the units near the borders
between them (``hops`` steps of the adjacency graph; the rest of each territory stays put and
is contracted into one node per connected piece), and solves that sub-problem exactly with
HiGHS, warm-started from the current alignment:

.. math::

    \\min \\sum_{m,r} (o_{mr} + u_{mr}) + \\tfrac12 z + \\epsilon \\sum_{i,r} c_{ir} x_{ir}
    \\quad\\text{s.t.}\\quad
    \\ell_{mr} - u_{mr} \\le F_{mr} + \\sum_i b_{mi} x_{ir} \\le h_{mr} + o_{mr},\\;
    o_{mr} + u_{mr} \\le z

(:math:`F` the load of the fixed part, :math:`[\\ell, h]` the band of the rep's
capacity-scaled target, slacks in units of the mean; capacity and the disruption cap enter the
same way) plus, with an adjacency graph, the single-commodity flow that keeps every territory
of the group connected to its fixed home piece. Minimising the total and the largest excess
moves load across the group, so excess that the group cannot absorb is spread to its outer
territories and handed on in the next round (an ejection chain solved exactly). A round is
kept only if it lowers the total violation; a group that fails is retried with more hops and
more neighbours, then set aside until something else changes; when every territory has been
set aside, groups grow by two territories and the rounds start again, until the time is up.
"""

from __future__ import annotations

import time
from collections import deque

import numpy as np
import scipy.sparse as sp
from scipy.sparse.csgraph import connected_components

from .highs import load_highs, solve_highs
from .solver import Problem, band_limits


def territory_violation(p: Problem, assign) -> tuple[np.ndarray, float]:
    """Per territory, its relative excess outside the band (summed over balanced measures)
    and beyond an hour capacity; and the disruption beyond the cap (share of the total)."""
    R = p.R
    out = np.zeros(R)
    for m, (lo, hi) in band_limits(p, p.tolerance).items():
        L = np.bincount(assign, p.balance[m], R)
        mu = max(p.balance[m].sum() / R, 1e-300)
        out += (np.maximum(0, L - hi - 1e-9 * mu) + np.maximum(0, lo - L - 1e-9 * mu)) / mu
    fin = np.isfinite(p.capacity)
    if fin.any():
        W = np.bincount(assign, p.workload, R)
        out[fin] += np.maximum(0, W[fin] - p.capacity[fin] * (1 + 1e-9)) / p.capacity[fin]
    dis = 0.0
    if p.max_disruption is not None:
        own = p.owner >= 0
        D = float(p.disrupt[own & (assign != p.owner)].sum())
        dis = max(0.0, D - p.dcap() * (1 + 1e-9)) / max(p.disrupt_total, 1e-300)
    return out, dis


def violation(p: Problem, assign) -> float:
    """Total relative violation of band, capacity and disruption cap (0 = feasible)."""
    per, dis = territory_violation(p, np.asarray(assign))
    return float(per.sum() + dis)


def territory_graph(p: Problem, assign, u, v) -> list[set]:
    nb = [set() for _ in range(p.R)]
    diff = assign[u] != assign[v]
    for a, b in set(zip(assign[u[diff]].tolist(), assign[v[diff]].tolist())):
        nb[a].add(b)
    return nb


def _group(p: Problem, assign, r: int, size: int, nbrs) -> list[int]:
    """``r`` and up to ``size - 1`` territories around it, those with most room first
    (room below the top of the band when ``r`` is over it, above the bottom when under)."""
    band = band_limits(p, p.tolerance)
    loads = {m: np.bincount(assign, b, p.R) for m, b in p.balance.items()}
    over = any(loads[m][r] > band[m][1][r] for m in p.balance)
    room = np.zeros(p.R)
    for m, (lo, hi) in band.items():
        mu = max(p.balance[m].sum() / p.R, 1e-300)
        room += ((hi - loads[m]) if over else (loads[m] - lo)) / mu
    group, seen = [r], {r}
    frontier = sorted(nbrs[r] if nbrs is not None else set(range(p.R)) - {r}, key=lambda s: -room[s])
    while frontier and len(group) < size:
        s = frontier.pop(0)
        if s in seen:
            continue
        group.append(s)
        seen.add(s)
        if nbrs is not None:     # then the neighbours' neighbours, still by room
            frontier = sorted(set(frontier) | (nbrs[s] - seen), key=lambda t: -room[t])
    return group


def territory_anchors(p: Problem, assign, group) -> dict:
    """One unit per territory that never moves: its home unit, else its largest unit."""
    out = {}
    w = next(iter(p.balance.values()))
    for r in group:
        if p.roots is not None and assign[p.roots[r]] == r:
            out[r] = int(p.roots[r])
        else:
            mine = np.flatnonzero(assign == r)
            if len(mine):
                out[r] = int(mine[np.argmax(w[mine])])
    return out


def _free_units(p: Problem, assign, group, hops, indptr, indices, cap=900):
    """Units of the group within ``hops`` of a border between two group territories."""
    ing = np.isin(assign, group)
    if indptr is None:
        # no graph: the units about as near another group rep's home as their own rep's
        idx = np.flatnonzero(ing)
        g = np.asarray(group)
        d = p.distance(idx[:, None], g[None, :])
        mine = g[None, :] == assign[idx][:, None]
        own = np.where(mine, d, 0).sum(axis=1)
        other = np.where(mine, np.inf, d).min(axis=1)
        return idx[np.argsort(other - own, kind="stable")[:cap]]
    dist = np.full(p.n, -1)
    q = deque()
    for i in np.flatnonzero(ing):
        nb = indices[indptr[i]:indptr[i + 1]]
        if ((assign[nb] != assign[i]) & ing[nb]).any():
            dist[i] = 0
            q.append(i)
    while q:
        i = q.popleft()
        if dist[i] >= hops:
            continue
        for k in indices[indptr[i]:indptr[i + 1]]:
            if dist[k] < 0 and ing[k]:
                dist[k] = dist[i] + 1
                q.append(k)
    free = np.flatnonzero(dist >= 0)
    if len(free) > cap:
        free = free[np.argsort(dist[free], kind="stable")[:cap]]
    return free


def _subproblem(p: Problem, assign, group, free, indptr, indices):
    """Build the group MILP (see module docstring). Returns (model arrays, start, decode)."""
    g, nf = len(group), len(free)
    gi = {r: k for k, r in enumerate(group)}
    band = band_limits(p, p.tolerance)
    inF = np.full(p.n, -1)
    inF[free] = np.arange(nf)
    fixed_mask = np.isin(assign, group) & (inF < 0)
    cols_c, cols_lo, cols_hi, integ = [], [], [], []
    rows_lo, rows_hi = [], []
    R_, C_, V_ = [], [], []
    ncol = 0
    nrow = 0

    def add_cols(cost, lo, hi, is_int):
        nonlocal ncol
        k = len(cost)
        cols_c.append(np.asarray(cost, float)); cols_lo.append(np.asarray(lo, float))
        cols_hi.append(np.asarray(hi, float)); integ.append(np.full(k, is_int))
        ncol += k
        return ncol - k + np.arange(k)

    def add_rows(lo, hi):
        nonlocal nrow
        k = len(lo)
        rows_lo.append(np.asarray(lo, float)); rows_hi.append(np.asarray(hi, float))
        nrow += k
        return nrow - k + np.arange(k)

    def entries(r, c, v):
        R_.append(np.asarray(r)); C_.append(np.asarray(c)); V_.append(np.asarray(v, float))

    # x_{v,k}: travel costs scaled so that all of them together weigh 1e-5
    cost = p.cost(free[:, None], np.asarray(group)[None, :])
    cost = cost / max(cost.sum(), 1e-300) * 1e-5
    X = add_cols(cost.ravel(), np.zeros(nf * g), np.ones(nf * g), True).reshape(nf, g)
    rows = add_rows(np.ones(nf), np.ones(nf))
    entries(np.repeat(rows, g), X.ravel(), np.ones(nf * g))
    z = add_cols([0.5], [0.0], [np.inf], False)[0]
    start_x = (assign[free][:, None] == np.asarray(group)[None, :]).astype(float)
    start = {X.ravel()[k]: val for k, val in enumerate(start_x.ravel())}
    slack_rows = []
    eps = 1e-5                               # aim just inside the band (solver tolerances)
    for m, b in p.balance.items():
        mu = max(b.sum() / p.R, 1e-300)
        lo, hi = band[m]
        for r in group:
            k = gi[r]
            F = b[fixed_mask & (assign == r)].sum() / mu
            cur = b[free] @ start_x[:, k] / mu       # load of the free units today
            o, u = add_cols([1.0, 1.0], [0, 0], [np.inf, np.inf], False)
            top = hi[r] / mu - eps * (hi[r] - lo[r]) / mu - F
            bot = lo[r] / mu + eps * (hi[r] - lo[r]) / mu - F
            r1 = add_rows([-np.inf], [top])[0]
            entries(np.full(nf, r1), X[:, k], b[free] / mu); entries([r1], [o], [-1.0])
            r2 = add_rows([bot], [np.inf])[0]
            entries(np.full(nf, r2), X[:, k], b[free] / mu); entries([r2], [u], [1.0])
            start[o] = max(0.0, cur - top); start[u] = max(0.0, bot - cur)
            slack_rows.append((o, u))
    fin = np.isfinite(p.capacity)
    for r in group:
        if fin[r]:
            k = gi[r]
            F = p.workload[fixed_mask & (assign == r)].sum()
            c = p.capacity[r]
            o = add_cols([1.0], [0], [np.inf], False)[0]
            r1 = add_rows([-np.inf], [(c - F) / c])[0]
            entries(np.full(nf, r1), X[:, k], p.workload[free] / c); entries([r1], [o], [-1.0])
            start[o] = max(0.0, p.workload[free] @ start_x[:, k] / c - (c - F) / c)
            slack_rows.append((o, o))
    for o, u in slack_rows:
        r1 = add_rows([-np.inf], [0.0])[0]
        entries([r1, r1, r1] if o != u else [r1, r1], [o, u, z] if o != u else [o, z],
                [1, 1, -1] if o != u else [1, -1])
    start[z] = max([start[o] + (start[u] if u != o else 0) for o, u in slack_rows] or [0.0])
    if p.max_disruption is not None:
        own = p.owner >= 0
        outside = np.ones(p.n, bool)
        outside[free] = False
        D0 = float(p.disrupt[own & outside & (assign != p.owner)].sum())
        tot = max(p.disrupt_total, 1e-300)
        of = p.owner[free]
        owned_in = np.isin(of, group) & (of >= 0)
        # moved = a_v (1 - x_{v,o(v)}) when o(v) is in the group, a_v when outside it
        const = D0 + p.disrupt[free][(of >= 0)].sum()
        dslack = add_cols([1.0], [0], [np.inf], False)[0]
        r1 = add_rows([-np.inf], [(p.dcap() - const) / tot])[0]
        vi = np.flatnonzero(owned_in)
        entries(np.full(len(vi), r1), X[vi, [gi[o] for o in of[vi]]], -p.disrupt[free][vi] / tot)
        entries([r1], [dslack], [-1.0])
        cur = D0 + float(p.disrupt[free][(of >= 0) & (assign[free] != of)].sum())
        start[dslack] = max(0.0, (cur - p.dcap()) / tot)
    if indptr is not None:
        _add_group_flow(p, assign, group, free, inF, fixed_mask, X, start, add_cols, add_rows,
                        entries, indptr, indices)
    c = np.concatenate(cols_c)
    A = sp.csc_matrix((np.concatenate(V_), (np.concatenate(R_), np.concatenate(C_))),
                      shape=(nrow, ncol))
    x0 = np.zeros(ncol)
    for k, val in start.items():
        x0[k] = val
    return (c, A, np.concatenate(cols_lo), np.concatenate(cols_hi), np.concatenate(rows_lo),
            np.concatenate(rows_hi), np.concatenate(integ)), x0, X


def _add_group_flow(p, assign, group, free, inF, fixed_mask, X, start, add_cols, add_rows,
                    entries, indptr, indices):
    """Contiguity of every group territory: flow from its home piece to each of its units."""
    nf = len(free)
    # contract each territory's fixed units into its connected pieces
    fixed = np.flatnonzero(fixed_mask)
    pos = np.full(p.n, -1)
    pos[fixed] = np.arange(len(fixed))
    coo = sp.csr_matrix((np.ones(len(indices)), indices, indptr), shape=(p.n, p.n))[fixed][:, fixed].tocoo()
    same = assign[fixed[coo.row]] == assign[fixed[coo.col]]
    g_fix = sp.csr_matrix((np.ones(same.sum()), (coo.row[same], coo.col[same])),
                          shape=(len(fixed), len(fixed)))
    ncomp, lab = connected_components(g_fix, directed=False)
    node = np.full(p.n, -1)
    node[free] = np.arange(nf)
    node[fixed] = nf + lab
    comp_terr = np.empty(ncomp, int)
    comp_terr[lab] = assign[fixed]
    anchors = territory_anchors(p, assign, group)
    root = {r: nf + lab[pos[a]] for r, a in anchors.items() if pos[a] >= 0}
    # contracted edges among group nodes
    sub = np.flatnonzero(node >= 0)
    csr = sp.csr_matrix((np.ones(len(indices)), indices, indptr), shape=(p.n, p.n))[sub][:, sub].tocoo()
    a, b = node[sub[csr.row]], node[sub[csr.col]]
    keep = a != b
    ab = np.unique(np.c_[a[keep], b[keep]], axis=0)
    nnode = nf + ncomp
    cur_node_terr = np.r_[assign[free], comp_terr]
    for k, r in enumerate(group):
        okn = np.r_[np.ones(nf, bool), comp_terr == r]
        arcs = ab[okn[ab[:, 0]] & okn[ab[:, 1]]]
        M = float(okn.sum())
        f = add_cols(np.zeros(len(arcs)), np.zeros(len(arcs)), np.full(len(arcs), M), False)
        # f_{ab} <= M x_{a,k} and <= M x_{b,k} for free endpoints
        for end in (0, 1):
            isf = arcs[:, end] < nf
            rows = add_rows(np.full(isf.sum(), -np.inf), np.zeros(isf.sum()))
            entries(rows, f[isf], np.ones(isf.sum()))
            entries(rows, X[arcs[isf, end], k], np.full(isf.sum(), -M))
        # conservation: inflow - outflow >= demand at every node but the root
        rt = root.get(r, -1)
        nodes = np.flatnonzero(okn & (np.arange(nnode) != rt))
        row_of = np.full(nnode, -1)
        demand_free = nodes[nodes < nf]
        demand_fix = nodes[nodes >= nf]
        rf = add_rows(np.zeros(len(demand_free)), np.full(len(demand_free), np.inf))
        row_of[demand_free] = rf
        rc = add_rows(np.ones(len(demand_fix)), np.full(len(demand_fix), np.inf))
        row_of[demand_fix] = rc
        entries(rf, X[demand_free, k], -np.ones(len(demand_free)))
        inn, out = row_of[arcs[:, 1]], row_of[arcs[:, 0]]
        entries(inn[inn >= 0], f[inn >= 0], np.ones((inn >= 0).sum()))
        entries(out[out >= 0], f[out >= 0], -np.ones((out >= 0).sum()))
        # warm start: flow along a breadth-first tree of the territory as it is now
        mine = cur_node_terr == r
        if rt >= 0:
            adj = {}
            for j, (s, t) in enumerate(arcs):
                if mine[s] and mine[t]:
                    adj.setdefault(s, []).append((t, j))
            parent, order, seen = {}, [rt], {rt}
            for s in order:
                for t, j in adj.get(s, []):
                    if t not in seen:
                        seen.add(t)
                        parent[t] = (s, j)
                        order.append(t)
            sub_size = {s: 1.0 for s in order}
            for t in reversed(order[1:]):
                s, j = parent[t]
                sub_size[s] += sub_size[t]
                start[f[j]] = sub_size[t]


def _connected(p: Problem, assign, group, u, v) -> bool:
    if u is None:
        return True
    ing = np.isin(assign, group)
    sel = ing[u] & (assign[u] == assign[v])
    g = sp.csr_matrix((np.ones(sel.sum()), (u[sel], v[sel])), shape=(p.n, p.n))
    _, lab = connected_components(g, directed=False)
    deg = np.bincount(u, minlength=p.n)
    for r in group:
        mine = np.flatnonzero((assign == r) & (deg > 0))
        if len(mine) and len(np.unique(lab[mine])) > 1:
            return False
    return True


def polish(p: Problem, assign, deadline: float, hops: int = 2, group_size: int = 4,
           sub_limit: float = 6.0) -> tuple[np.ndarray, dict]:
    """Spend the time until ``deadline`` on group MILPs (see module docstring).

    Returns the improved assignment and ``{"rounds": solved sub-problems, "kept": kept ones}``.
    """
    assign = np.asarray(assign).copy()
    indptr = indices = u = v = None
    if p.adjacency is not None:
        csr = p.adjacency.tocsr()
        indptr, indices = csr.indptr, csr.indices
        a = csr.tocoo()
        u, v = a.row, a.col
    info = {"rounds": 0, "kept": 0}
    tried: dict = {}                          # territory -> attempts since the last change
    V = violation(p, assign)
    while V > 1e-9 and time.perf_counter() < deadline - 0.2:
        per, _ = territory_violation(p, assign)
        cand = [r for r in np.argsort(-per) if per[r] > 1e-12 and tried.get(int(r), 0) < 4]
        if not cand:
            # every territory failed at this size: try larger groups while time remains
            if group_size >= p.R:
                break
            group_size, tried = group_size + 2, {}
            continue
        r = int(cand[0])
        level = tried.get(r, 0)
        nbrs = territory_graph(p, assign, u, v) if u is not None else None
        group = _group(p, assign, r, min(group_size + level, p.R), nbrs)
        anchors = territory_anchors(p, assign, group)
        free = _free_units(p, assign, group, hops + 2 * level, indptr, indices)
        free = free[~p.locked[free] & ~np.isin(free, list(anchors.values()))]
        if not len(free):
            tried[r] = level + 1
            continue
        model, x0, X = _subproblem(p, assign, group, free, indptr, indices)
        left = deadline - time.perf_counter()
        h = load_highs(*model, start=x0, mip_rel_gap=1e-4, mip_abs_gap=2e-5)
        _status, x, *_ = solve_highs(h, integer=True, time_limit=max(min(sub_limit, left), 0.5))
        info["rounds"] += 1
        if x is None:
            tried[r] = level + 1
            continue
        xs = x[X.ravel()].reshape(X.shape)
        new = assign.copy()
        new[free] = np.asarray(group)[np.argmax(xs, axis=1)]
        V2 = violation(p, new)
        if V2 < V - 1e-12 and _connected(p, new, group, u, v):
            assign, V = new, V2
            info["kept"] += 1
            tried = {}
        else:
            tried[r] = level + 1
    return assign, info
