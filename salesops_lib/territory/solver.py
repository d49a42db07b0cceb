"""The optimisation behind :func:`salesops_lib.territory.optimize`.

A territory problem assigns ``n`` units (accounts, or whole counties/ZIP3s) to ``R`` reps:

.. math::

    \\min \\sum_{i,r} c_{ir} x_{ir} \\quad\\text{s.t.}\\quad
    \\sum_r x_{ir} = 1,\\;
    (1-\\tau)\\mu_m s_r \\le \\sum_i b_{mi} x_{ir} \\le (1+\\tau)\\mu_m s_r,\\;
    \\sum_i w_i x_{ir} \\le \\mathrm{cap}_r,\\;
    \\sum_{i} a_i x_{i,o(i)} \\ge A_{own} - D,\\; x_{ir}\\in\\{0,1\\}

with :math:`c_{ir} = t_i (d_{ir} + \\lambda [r \\ne o(i)])` (potential-weighted great-circle
travel from the rep's home plus a disruption penalty), :math:`b_m` the balanced measures
(potential, workload, accounts) with means :math:`\\mu_m = \\sum_i b_{mi}/R`, :math:`s_r` the
rep's relative capacity (FTE over mean FTE, 1 by default), :math:`w` the
workload, :math:`o(i)` today's owner and :math:`a_i` the accounts (or potential) a move disrupts.
Locked units keep :math:`x_{i,o(i)} = 1`.

Two methods, both on HiGHS:

* ``exact``: the MILP above; with an adjacency graph, contiguity is the single-commodity flow
  formulation (Shirabe 2005): one unit per territory, chosen by the model, is the source, every
  other unit of the territory consumes one unit of flow that can only travel inside it,
  :math:`\\sum_j f^r_{ji} - \\sum_j f^r_{ij} \\ge x_{ir} - n y_{ir}`, :math:`f^r_{ij} \\le n x_{ir}`,
  :math:`f^r_{ij} \\le n x_{jr}`, one root :math:`y_{ir} \\le x_{ir}` per territory.
  HiGHS stops at ``time_limit`` and reports its gap.
* ``heuristic`` (:mod:`salesops_lib.search`): the transportation LP relaxation,
  rounding and local search; the gap is measured against the LP bound.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp

from .geo import haversine_km
from .highs import load_highs, run_model, solve_highs


class InfeasibleError(ValueError):
    """The requested alignment cannot exist; the message says which setting to relax and how far."""


@dataclass
class Problem:
    """A territory problem over units (see module docstring for the symbols)."""

    unit_ids: np.ndarray
    labels: np.ndarray
    lat: np.ndarray
    lon: np.ndarray
    balance: dict            # measure name -> b_m (n,)
    workload: np.ndarray     # w (n,)
    travel_weight: np.ndarray  # t (n,)
    owner: np.ndarray        # o(i) as rep index, -1 if none
    locked: np.ndarray       # bool (n,)
    disrupt: np.ndarray      # a (n,)
    disrupt_total: float
    rep_ids: np.ndarray
    home_lat: np.ndarray
    home_lon: np.ndarray
    capacity: np.ndarray     # inf when unlimited
    tolerance: float
    max_disruption: float | None = None
    penalty_km: float = 0.0
    adjacency: sp.csr_matrix | None = None
    roots: np.ndarray | None = None
    units_name: str = "account"
    measure_label: dict = field(default_factory=dict)
    share: np.ndarray | None = None   # relative capacity (FTE / mean FTE) scaling each target

    @property
    def n(self) -> int:
        return len(self.unit_ids)

    @property
    def R(self) -> int:
        return len(self.rep_ids)

    @property
    def has_travel(self) -> bool:
        """Whether the objective measures travel: some unit and some rep home have coordinates
        (without any, every distance is 0 and the model only balances)."""
        return bool(np.isfinite(self.lat).any() and np.isfinite(self.lon).any()
                    and np.isfinite(self.home_lat).any() and np.isfinite(self.home_lon).any())

    def means(self) -> dict:
        return {m: b.sum() / self.R for m, b in self.balance.items()}

    def targets(self) -> dict:
        """Per measure, each rep's target :math:`\\mu_m s_r` (``s`` = relative capacity)."""
        s = np.ones(self.R) if self.share is None else self.share
        return {m: mu * s for m, mu in self.means().items()}

    def distance(self, i, r) -> np.ndarray:
        d = haversine_km(self.lat[i], self.lon[i], self.home_lat[r], self.home_lon[r])
        return np.nan_to_num(d, nan=0.0)

    def cost(self, i, r) -> np.ndarray:
        """:math:`c_{ir}` for index arrays (broadcasting)."""
        i, r = np.asarray(i), np.asarray(r)
        pen = self.penalty_km * ((r != self.owner[i]) & (self.owner[i] >= 0))
        return self.travel_weight[i] * (self.distance(i, r) + pen)

    @property
    def cost_scale(self) -> float:
        """LP costs are divided by this (mean travel weight × 1,000 km) for numerics."""
        return float(max(self.travel_weight.mean(), 1e-12) * 1000.0)

    def dcap(self) -> float:
        if self.max_disruption is None:
            return np.inf
        return float(self.max_disruption) * self.disrupt_total


@dataclass
class Result:
    assign: np.ndarray
    status: str
    method: str
    objective: float
    bound: float
    gap: float
    bound_valid: bool
    seconds: float
    notes: list = field(default_factory=list)
    stages: dict = field(default_factory=dict)   # e.g. the first pass's violation, polish rounds


# --------------------------------------------------------------------------------------------
# model building
# --------------------------------------------------------------------------------------------
def all_arcs(p: Problem):
    I = np.repeat(np.arange(p.n), p.R)
    Rr = np.tile(np.arange(p.R), p.n)
    return _restrict(p, I, Rr)


def _restrict(p: Problem, I, Rr):
    """Drop arcs that locks or fixed roots forbid; add every locked and root arc."""
    keep = ~p.locked[I] | (Rr == p.owner[I])
    I, Rr = I[keep], Rr[keep]
    lk = np.flatnonzero(p.locked & (p.owner >= 0))
    I, Rr = np.r_[I, lk], np.r_[Rr, p.owner[lk]]
    key = np.unique(I.astype(np.int64) * p.R + Rr)
    return key // p.R, key % p.R


def nearest_arcs(p: Problem, k: int, per_rep: int | None = None):
    """Each unit's ``k`` nearest reps, each rep's ``per_rep`` nearest units, and today's owner.

    The per-rep arcs matter when several reps share a home (a metro office): a unit's nearest
    ``k`` could otherwise leave some of them without any unit, and the LP infeasible.
    Default ``per_rep`` is :math:`\\max(50, 3n/R)`. Chunked and vectorised.
    """
    k = min(k, p.R)
    per_rep = min(p.n, per_rep or max(50, int(np.ceil(3 * p.n / p.R))))
    out_i, out_r = [], []
    best_d = np.full((p.R, 0), np.inf)
    best_i = np.zeros((p.R, 0), dtype=np.int64)
    step = max(1, 4_000_000 // max(p.R, 1))
    for s in range(0, p.n, step):
        i = np.arange(s, min(s + step, p.n))
        d = p.distance(i[:, None], np.arange(p.R)[None, :])
        near = np.argpartition(d, k - 1, axis=1)[:, :k] if k < p.R else np.tile(np.arange(p.R), (len(i), 1))
        out_i.append(np.repeat(i, near.shape[1]))
        out_r.append(near.ravel())
        # running per-rep top list: merge this block's units with the best so far
        cand_d = np.concatenate([best_d, d.T], axis=1)
        cand_i = np.concatenate([best_i, np.broadcast_to(i, (p.R, len(i)))], axis=1)
        if cand_d.shape[1] > per_rep:
            keep = np.argpartition(cand_d, per_rep - 1, axis=1)[:, :per_rep]
            cand_d = np.take_along_axis(cand_d, keep, axis=1)
            cand_i = np.take_along_axis(cand_i, keep, axis=1)
        best_d, best_i = cand_d, cand_i
    out_i.append(best_i.ravel())
    out_r.append(np.repeat(np.arange(p.R), best_i.shape[1]))
    I, Rr = np.concatenate(out_i), np.concatenate(out_r)
    own = p.owner >= 0
    I, Rr = np.r_[I, np.flatnonzero(own)], np.r_[Rr, p.owner[own]]
    return _restrict(p, I, Rr)


def band_limits(p: Problem, tol):
    return {m: (max(1 - tol, 0.0) * t, (1 + tol) * t) for m, t in p.targets().items()}


def soft_penalty(p: Problem) -> dict:
    """Cost per unit of band violation in the soft LP: 4 × the longest great-circle distance
    (20,015 km) per average unit of the measure, above what any move can save in travel."""
    t = p.travel_weight.sum()
    return {m: 4 * 20_015.0 * t / max(b.sum(), 1e-300) for m, b in p.balance.items()}


def build_lp(p: Problem, I, Rr, *, disruption=True, capacity=True, tol=None, elastic=None,
             soft=False):
    """Rows: assignment, band (per measure × rep), capacity, disruption; columns: arcs (+ slacks).

    ``elastic`` adds slack columns, costed 1, so that minimising them measures how far a
    setting must be relaxed: ``"band"`` (one column, the tolerance needed), ``"capacity"``
    (one per rep, workload beyond capacity, in units of mean capacity), ``"disruption"``
    (one column: share of accounts that must move). ``soft`` adds, after the arcs, an
    under- and an over-slack per band row costed :func:`soft_penalty`, so an LP on a pruned
    arc set is always feasible and its duals can price in the missing arcs.
    """
    tol = p.tolerance if tol is None else tol
    n, R, K = p.n, p.R, len(I)
    rows, cols, vals, lo, hi = [I], [np.arange(K)], [np.ones(K)], [np.ones(n)], [np.ones(n)]
    nrow = n
    extra_cost, extra_cols = [], []          # (rows, vals) per slack column
    targets, means = p.targets(), p.means()
    for m, b in p.balance.items():
        # band rows in units of the mean (coefficients near 1) for the simplex's sake
        scale = max(means[m], 1e-300)
        mu, b = targets[m] / scale, b / scale
        if elastic == "band":
            # two one-sided rows per rep:  sum b x - mu t <= mu  and  sum b x + mu t >= mu
            for sign in (-1.0, 1.0):
                rows.append(nrow + Rr); cols.append(np.arange(K)); vals.append(b[I])
                lo.append(np.full(R, -np.inf) if sign < 0 else mu)
                hi.append(mu if sign < 0 else np.full(R, np.inf))
                extra_cols.append((nrow + np.arange(R), sign * mu))
                nrow += R
        else:
            rows.append(nrow + Rr); cols.append(np.arange(K)); vals.append(b[I])
            lo.append(max(1 - tol, 0.0) * mu); hi.append((1 + tol) * mu)
            if soft:
                pen = soft_penalty(p)[m] * scale / p.cost_scale
                for sign in (1.0, -1.0):
                    for j in range(R):
                        extra_cols.append((np.array([nrow + j]), np.array([sign])))
                        extra_cost.append(pen)
            nrow += R
    if elastic == "band":
        # merge the per-row pieces of t into one column
        r_all = np.concatenate([e[0] for e in extra_cols]); v_all = np.concatenate([e[1] for e in extra_cols])
        extra_cols = [(r_all, v_all)]
        extra_cost = [1.0]
    finite = np.isfinite(p.capacity)
    if capacity and finite.any():
        cap_row = np.full(R, -1)
        cap_row[finite] = nrow + np.arange(finite.sum())
        sel = finite[Rr]
        rows.append(cap_row[Rr[sel]]); cols.append(np.flatnonzero(sel)); vals.append(p.workload[I[sel]])
        lo.append(np.full(finite.sum(), -np.inf)); hi.append(p.capacity[finite])
        if elastic == "capacity":
            scale = p.capacity[finite].mean()
            for j in range(int(finite.sum())):
                extra_cols.append((np.array([nrow + j]), np.array([-scale])))
                extra_cost.append(1.0)
        nrow += int(finite.sum())
    has_owner = p.owner >= 0
    if disruption and (p.max_disruption is not None or elastic == "disruption"):
        sel = Rr == p.owner[I]
        rows.append(np.full(sel.sum(), nrow)); cols.append(np.flatnonzero(sel)); vals.append(p.disrupt[I[sel]])
        a_own = p.disrupt[has_owner].sum()
        lo.append([a_own - (0.0 if elastic == "disruption" else p.dcap())]); hi.append([np.inf])
        if elastic == "disruption":
            extra_cols.append((np.array([nrow]), np.array([p.disrupt_total])))
            extra_cost.append(1.0)
        nrow += 1
    for j, (r, v) in enumerate(extra_cols):
        rows.append(r); cols.append(np.full(len(r), K + j)); vals.append(v)
    A = sp.csc_matrix((np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))),
                      shape=(nrow, K + len(extra_cols)))
    c = np.zeros(K + len(extra_cols))
    if elastic is None:
        c[:K] = p.cost(I, Rr) / p.cost_scale
        if soft:
            c[K:] = extra_cost
    else:
        c[K:] = extra_cost
    col_lo = np.zeros(K + len(extra_cols))
    col_hi = np.r_[np.ones(K), np.full(len(extra_cols), np.inf)]
    return c, A, col_lo, col_hi, np.concatenate([np.asarray(x, float) for x in lo]), \
        np.concatenate([np.asarray(x, float) for x in hi])


def run_lp(p: Problem, I=None, Rr=None, *, time_limit=None, **build):
    """Build the LP of :func:`build_lp` (``build`` its options) over arcs ``I, Rr`` (all arcs
    by default) and solve it once. Returns (status, x, objective, bound, row_dual)."""
    if I is None:
        I, Rr = all_arcs(p)
    return run_model(*build_lp(p, I, Rr, **build), time_limit=time_limit)


def reduced_costs_negative(p: Problem, duals, have_key, limit):
    """Arcs outside the model whose LP reduced cost is negative (pricing over all reps)."""
    n, R = p.n, p.R
    means = p.means()
    y_assign = duals[:n]
    pos = n
    y_band = {}
    for m in p.balance:
        y_band[m] = duals[pos:pos + R]; pos += R
    finite = np.isfinite(p.capacity)
    y_cap = np.zeros(R)
    if finite.any():
        y_cap[finite] = duals[pos:pos + finite.sum()]; pos += int(finite.sum())
    y_dis = duals[pos] if (p.max_disruption is not None and pos < len(duals)) else 0.0
    out_i, out_r, out_d = [], [], []
    step = max(1, 4_000_000 // max(R, 1))
    for s in range(0, n, step):
        i = np.arange(s, min(s + step, n))
        ii, rr = i[:, None], np.arange(R)[None, :]
        d = p.cost(ii, rr) / p.cost_scale - y_assign[i][:, None] - y_cap[None, :] * p.workload[i][:, None]
        for m, b in p.balance.items():
            d = d - (b[i] / max(means[m], 1e-300))[:, None] * y_band[m][None, :]
        d = d - y_dis * p.disrupt[i][:, None] * (rr == p.owner[i][:, None])
        ci, cr = np.nonzero(d < -1e-9)
        out_i.append(i[ci]); out_r.append(cr); out_d.append(d[ci, cr])
    I, Rr, D = np.concatenate(out_i), np.concatenate(out_r), np.concatenate(out_d)
    if len(I):
        key = I.astype(np.int64) * R + Rr
        ok = ~np.isin(key, have_key) & (~p.locked[I] | (Rr == p.owner[I]))
        I, Rr, D = I[ok], Rr[ok], D[ok]
        if len(I) > limit:              # the most negative reduced costs first
            keep = np.argpartition(D, limit - 1)[:limit]
            I, Rr = I[keep], Rr[keep]
    return I, Rr


def lp_relaxation(p: Problem, I, Rr, time_limit=None, rounds=30):
    """Solve the LP on arcs (I, Rr), pricing in arcs with negative reduced cost.

    Returns ``(status, I, Rr, x, bound, bound_valid)``. The bound is valid for the full
    problem once no arc outside the model has a negative reduced cost.
    """
    t0 = time.perf_counter()
    valid = False
    soft = len(I) < p.n * p.R      # a pruned arc set may be infeasible on its own
    c, A, col_lo, col_hi, row_lo, row_hi = build_lp(p, I, Rr, soft=soft)
    h = load_highs(c, A, col_lo, col_hi, row_lo, row_hi)
    arc_cols, slack_cols = np.arange(len(I)), np.arange(len(I), A.shape[1])
    ncols = A.shape[1]
    x = None
    for _ in range(rounds):
        left = None if time_limit is None else time_limit - (time.perf_counter() - t0)
        if left is not None and left <= 0 and x is not None:
            break                       # out of time: keep the last LP, bound not proven
        status, xs, obj, _, duals = solve_highs(h, time_limit=left)
        if status != "optimal":
            if x is not None and status == "time_limit":
                break
            return status, I[:len(arc_cols)], Rr[:len(arc_cols)], None, np.nan, False
        x = xs
        if len(I) == p.n * p.R or duals is None:
            valid = True
            break
        NI, NR = reduced_costs_negative(p, duals, I.astype(np.int64) * p.R + Rr, limit=max(2 * p.n, 1000))
        if not len(NI):
            valid = True
            break
        # add the priced arcs as columns and re-solve from the current basis
        c2, A2, *_ = build_lp(p, NI, NR)
        A2 = sp.csc_matrix(A2)
        h.addCols(len(NI), c2, np.zeros(len(NI)), np.ones(len(NI)), A2.nnz,
                  A2.indptr[:-1].astype(np.int32), A2.indices.astype(np.int32), A2.data.astype(float))
        h.setOptionValue("presolve", "off")      # keep the basis: warm-start the simplex
        arc_cols = np.r_[arc_cols, ncols + np.arange(len(NI))]
        ncols += len(NI)
        I, Rr = np.r_[I, NI], np.r_[Rr, NR]
    n_solved = min(len(arc_cols), len(x) - len(slack_cols)) if x is not None else 0
    I, Rr = I[:n_solved], Rr[:n_solved]
    xa = x[arc_cols[:n_solved]]
    if soft:
        slack = x[slack_cols]
        if (slack > 1e-6).any():        # slacks are in units of the measure's mean
            # the band is not met even fractionally on these arcs: no valid bound
            return "infeasible" if valid else "optimal", I, Rr, xa, np.nan, False
    obj = float(p.cost(I, Rr) @ xa)
    return "optimal", I, Rr, xa, obj, valid


# --------------------------------------------------------------------------------------------
# exact MILP
# --------------------------------------------------------------------------------------------
def exact(p: Problem, time_limit: float = 30.0) -> Result:
    t0 = time.perf_counter()
    I, Rr = all_arcs(p)
    c, A, col_lo, col_hi, row_lo, row_hi = build_lp(p, I, Rr)
    K = len(I)
    integer = np.ones(K, bool)
    if p.adjacency is not None:
        c, A, col_lo, col_hi, row_lo, row_hi, integer = _add_flow(p, I, Rr, c, A, col_lo, col_hi,
                                                                  row_lo, row_hi)
    status, x, obj, bound, _ = run_model(c, A, col_lo, col_hi, row_lo, row_hi, integer=integer,
                                         time_limit=time_limit)
    secs = time.perf_counter() - t0
    if x is None:
        return Result(None, status, "milp", np.nan, bound, np.nan, True, secs)
    xs = x[:K]
    best = np.argsort(-xs)
    assign = np.full(p.n, -1)
    order = best[::-1]                          # ascending x: the largest value wins
    assign[I[order]] = Rr[order]
    obj, bound = obj * p.cost_scale, bound * p.cost_scale
    gap = abs(obj - bound) / max(abs(obj), 1e-12) if np.isfinite(bound) else np.nan
    return Result(assign, status, "milp", obj, bound, gap, True, secs)


def _add_flow(p, I, Rr, c, A, col_lo, col_hi, row_lo, row_hi):
    """Append root choice and flow variables that make each territory connected.

    Per arc :math:`k=(i,r)` a root binary :math:`y_k \\le x_k` with :math:`\\sum_i y_{ir} = 1`;
    conservation :math:`\\sum_j f^r_{ji} - \\sum_j f^r_{ij} \\ge x_{ir} - M y_{ir}`; flow only
    between units of the territory: :math:`f^r_{ij} \\le M x_{ir}`, :math:`f^r_{ij} \\le M x_{jr}`.
    """
    n, R, K = p.n, p.R, len(I)
    adj = sp.triu(p.adjacency, 1).tocoo()
    u = np.r_[adj.row, adj.col]; v = np.r_[adj.col, adj.row]      # directed arcs both ways
    col_of = -np.ones((n, R), dtype=np.int64)
    col_of[I, Rr] = np.arange(K)
    deg = np.asarray((p.adjacency > 0).sum(axis=1)).ravel()
    M = float(n)
    nrow, ncol = A.shape
    fr, fc, fv, rlo, rhi = [], [], [], [], []
    ycol = ncol + np.arange(K)                                     # root binaries
    ncol += K
    # y_k - x_k <= 0
    rows = nrow + np.arange(K)
    fr += [rows, rows]; fc += [ycol, np.arange(K)]; fv += [np.ones(K), -np.ones(K)]
    rlo.append(np.full(K, -np.inf)); rhi.append(np.zeros(K)); nrow += K
    # one root per territory
    fr.append(nrow + Rr); fc.append(ycol); fv.append(np.ones(K))
    rlo.append(np.ones(R)); rhi.append(np.ones(R)); nrow += R
    # conservation: in - out - x + M y >= 0 for units in the graph
    cons_row = -np.ones((n, R), dtype=np.int64)
    need = deg[I] > 0
    cons_row[I[need], Rr[need]] = nrow + np.arange(need.sum())
    rows = cons_row[I[need], Rr[need]]
    fr += [rows, rows]; fc += [np.flatnonzero(need), ycol[need]]
    fv += [-np.ones(need.sum()), np.full(need.sum(), M)]
    rlo.append(np.zeros(need.sum())); rhi.append(np.full(need.sum(), np.inf)); nrow += int(need.sum())
    for r in range(R):
        ok = (col_of[u, r] >= 0) & (col_of[v, r] >= 0)
        uu, vv = u[ok], v[ok]
        m = len(uu)
        fcol = ncol + np.arange(m)
        ncol += m
        fr += [cons_row[vv, r], cons_row[uu, r]]
        fc += [fcol, fcol]
        fv += [np.ones(m), -np.ones(m)]
        r1, r2 = nrow + np.arange(m), nrow + m + np.arange(m)
        fr += [r1, r1, r2, r2]
        fc += [fcol, col_of[uu, r], fcol, col_of[vv, r]]
        fv += [np.ones(m), np.full(m, -M), np.ones(m), np.full(m, -M)]
        rlo.append(np.full(2 * m, -np.inf)); rhi.append(np.zeros(2 * m))
        nrow += 2 * m
    extra = sp.csc_matrix((np.concatenate(fv), (np.concatenate(fr), np.concatenate(fc))),
                          shape=(nrow, ncol))
    A = sp.vstack([A, sp.csc_matrix((nrow - A.shape[0], A.shape[1]))])
    A = sp.hstack([A, sp.csc_matrix((nrow, ncol - A.shape[1]))]).tocsc() + extra
    nf = ncol - len(c)
    return (np.r_[c, np.zeros(nf)], A, np.r_[col_lo, np.zeros(nf)],
            np.r_[col_hi, np.ones(K), np.full(nf - K, M)],
            np.r_[row_lo, np.concatenate(rlo)], np.r_[row_hi, np.concatenate(rhi)],
            np.r_[np.ones(len(c) + K, bool), np.zeros(nf - K, bool)])
