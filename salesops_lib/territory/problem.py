"""From a Dataset to a territory optimisation problem, and why a problem has no solution.

* account measures come from :mod:`salesops_lib.measures` (:func:`account_potential`,
  :func:`account_workload`); :func:`capacity_shares` reads ``reps.capacity`` as targets;
* :func:`build_problem` aggregates accounts into units (potential, workload, accounts,
  potential-weighted centroid, today's owner, locks) and sets targets, capacity and the
  disruption budget (:class:`salesops_lib.solver.Problem`);
* :func:`precheck` fails fast on settings no alignment can meet, :func:`diagnose` measures
  with elastic LPs how far a setting must be relaxed. Both raise or return
  :class:`InfeasibleError` with a message that names the constraint and the value it needs.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import scipy.sparse as sp

# the business definitions live in measures; re-exported here for older imports
from ..measures import (  # noqa: F401
    DEFAULT_HOURS,
    SEGMENT_HOURS,
    account_potential,
    account_workload,
    potential_unit,
    rep_display_names,
)
from . import solver
from .geo import centroid, group_centroids, haversine_km
from .solver import InfeasibleError

MEASURES = ("potential", "workload", "accounts")


def parse_ids(value) -> list[str]:
    """Ids from a list or a comma-separated string (``"A1, A2"``); empty for None/``""``."""
    if value is None:
        return []
    if isinstance(value, str):
        return [v for v in (s.strip() for s in value.split(",")) if v]
    return [str(v) for v in value]


def unit_keys(acc: pd.DataFrame, units: str | None) -> pd.Series:
    if not units:
        return acc["account_id"].astype(str)
    if units not in acc.columns:
        raise ValueError(f"units={units!r} is not an accounts column; columns are {list(acc.columns)}")
    return acc[units].astype("string").fillna(acc["account_id"].astype("string")).astype(str)


def rep_frame(ds, reps=None) -> pd.DataFrame:
    """Reps with home coordinates and capacity (a DataFrame, a list of ids, or ``ds.reps``)."""
    if isinstance(reps, pd.DataFrame):
        r = reps.copy()
    else:
        r = ds.reps.copy()
        if reps is not None:
            ids = parse_ids(reps)
            unknown = sorted(set(ids) - set(r["rep_id"].astype(str)))
            if unknown:
                raise ValueError(f"unknown rep ids: {unknown[:5]}")
            r = r[r["rep_id"].astype(str).isin(ids)]
    r["rep_id"] = r["rep_id"].astype(str)
    for c in ("home_latitude", "home_longitude", "capacity"):
        r[c] = pd.to_numeric(r[c], errors="coerce") if c in r else np.nan
    if "rep_name" not in r:
        r["rep_name"] = r["rep_id"]
    r["rep_label"] = rep_labels(r)
    return r.reset_index(drop=True)


def rep_labels(reps: pd.DataFrame) -> pd.Series:
    """How the page names each rep: :func:`salesops_lib.measures.rep_display_names` (the
    name; reps sharing one told apart by team, else by rep id), as on every other page."""
    return rep_display_names(reps.reset_index(drop=True)).set_axis(reps.index)


def home_bases(ds, reps: pd.DataFrame, lat, lon, pot, owner) -> tuple[np.ndarray, np.ndarray]:
    """Home coordinates; a rep without one sits at the centroid of today's accounts."""
    hl, ho = reps["home_latitude"].to_numpy(float), reps["home_longitude"].to_numpy(float)
    miss = ~(np.isfinite(hl) & np.isfinite(ho))
    if miss.any():
        idx = pd.Index(reps["rep_id"]).get_indexer(owner)
        clat, clon = group_centroids(lat, lon, pot, idx, len(reps))
        glat, glon = centroid(lat, lon, pot)
        hl = np.where(miss, np.where(np.isfinite(clat), clat, glat), hl)
        ho = np.where(miss, np.where(np.isfinite(clon), clon, glon), ho)
    return hl, ho


def to_accounts(ds, assignment: pd.DataFrame, units: str | None = None) -> pd.Series:
    """The assignment as a ``rep_id`` Series indexed like ``ds.accounts`` (NA = unassigned).

    ``assignment`` has ``account_id`` and ``rep_id``, or ``units`` (an accounts column) and
    ``rep_id``; a frame returned by :func:`optimize` remembers its ``units``.
    """
    units = units or assignment.attrs.get("units")
    if not units and "account_id" not in assignment.columns:
        # attrs do not survive a merge or concat: the column beside rep_id names the units
        other = [c for c in assignment.columns if c not in ("rep_id", "status", "gap")]
        units = other[0] if len(other) == 1 else None
    acc = ds.accounts
    if units and units in assignment.columns and "account_id" not in assignment.columns:
        key = unit_keys(acc, units)
        m = pd.Series(assignment["rep_id"].astype("string").to_numpy(),
                      index=assignment[units].astype(str).to_numpy())
    else:
        if "account_id" not in assignment.columns or "rep_id" not in assignment.columns:
            raise ValueError("an assignment needs columns account_id and rep_id (or the units "
                             f"column and rep_id); got {list(assignment.columns)}")
        key = acc["account_id"].astype(str)
        m = pd.Series(assignment["rep_id"].astype("string").to_numpy(),
                      index=assignment["account_id"].astype(str).to_numpy())
    if not m.index.is_unique:
        dup = m.index[m.index.duplicated()][:3].tolist()
        raise ValueError(f"the assignment lists some ids twice, e.g. {dup}")
    return pd.Series(m.reindex(key.to_numpy()).to_numpy(), index=acc.index, name="rep_id",
                     dtype="string")


def capacity_shares(capacity, capacity_unit: str = "fte") -> np.ndarray:
    """Each rep's relative capacity :math:`s_r`, which scales its share of every balanced total.

    For ``capacity_unit="fte"``, :math:`s_r = \\mathrm{cap}_r / \\overline{\\mathrm{cap}}` over
    the reps with a positive capacity (a rep without one counts as average, :math:`s_r = 1`),
    so rep :math:`r`'s target is :math:`T_r = s_r \\sum_i b_i / R`: a 0.5 FTE rep in a team
    averaging 1.0 gets half a territory. With ``"hours"`` capacity is a ceiling, not a share,
    and every :math:`s_r = 1`. The optimiser and :func:`territory.evaluate` both use this.
    """
    if capacity_unit not in ("fte", "hours"):
        raise ValueError(f"capacity_unit must be 'fte' or 'hours'; got {capacity_unit!r}")
    cap = np.asarray(capacity, float)
    if capacity_unit == "hours" or not len(cap):
        return np.ones(len(cap))
    share = np.where(np.isfinite(cap) & (cap > 0), cap, np.nan)
    if not np.isfinite(share).any():
        return np.ones(len(cap))
    return np.nan_to_num(share / np.nanmean(share), nan=1.0)


def adjacency_matrix(adjacency: pd.DataFrame | None, unit_ids: np.ndarray):
    """Symmetric unit × unit adjacency from a ``unit``, ``neighbor`` frame (unknown ids ignored)."""
    if adjacency is None:
        return None
    cols = list(adjacency.columns)
    if not {"unit", "neighbor"} <= set(cols):
        if len(cols) < 2:
            raise ValueError("adjacency needs two columns: unit, neighbor")
        adjacency = adjacency.rename(columns={cols[0]: "unit", cols[1]: "neighbor"})
    idx = pd.Index(unit_ids)
    a = idx.get_indexer(adjacency["unit"].astype(str))
    b = idx.get_indexer(adjacency["neighbor"].astype(str))
    ok = (a >= 0) & (b >= 0) & (a != b)
    n = len(unit_ids)
    m = sp.coo_matrix((np.ones(ok.sum() * 2), (np.r_[a[ok], b[ok]], np.r_[b[ok], a[ok]])), shape=(n, n))
    m = m.tocsr()
    m.data[:] = 1.0
    return m


def balance_measures(balance_on) -> list[str]:
    ms = [balance_on] if isinstance(balance_on, str) else list(balance_on or [])
    bad = [m for m in ms if m not in MEASURES]
    if bad:
        raise ValueError(f"balance_on must be one or more of {MEASURES}; got {bad}")
    return ms


def build_problem(ds, *, balance_on="potential", tolerance=0.05, max_disruption=None,
                  locked=None, units=None, adjacency=None, reps=None,
                  disruption_on="accounts", disruption_penalty_km=0.0,
                  capacity_unit="fte") -> solver.Problem:
    """Aggregate accounts into units and set up the optimisation (see :func:`optimize`)."""
    acc = ds.accounts
    if not len(acc):
        raise ValueError("the data set has no accounts to align")
    rt = rep_frame(ds, reps)
    if not len(rt):
        raise ValueError("no reps to align accounts to")
    if not 0 <= float(tolerance) < np.inf:
        raise ValueError(f"tolerance must be a fraction >= 0, e.g. 0.05; got {tolerance}")
    pot, basis = account_potential(acc)
    key = unit_keys(acc, units)
    codes, uids = pd.factorize(key, sort=True)
    uids = np.asarray(uids, dtype=object)
    n = len(uids)
    pot_u = np.bincount(codes, pot.to_numpy(float), n)
    work_u = np.bincount(codes, account_workload(acc).to_numpy(float), n)
    cnt_u = np.bincount(codes, minlength=n).astype(float)
    lat, lon = acc["latitude"].to_numpy(float), acc["longitude"].to_numpy(float)
    ulat, ulon = group_centroids(lat, lon, pot.to_numpy(float), codes, n)
    rep_index = pd.Index(rt["rep_id"])
    own_acc = rep_index.get_indexer(acc["owner_rep_id"].astype(str))
    # a unit's owner today: the rep holding most of its potential (then most accounts)
    f = pd.DataFrame({"u": codes, "o": own_acc, "p": pot.to_numpy(float), "c": 1.0})
    f = f[f["o"] >= 0].groupby(["u", "o"], as_index=False)[["p", "c"]].sum()
    f = f.sort_values(["u", "p", "c"], ascending=[True, False, False]).drop_duplicates("u")
    owner = np.full(n, -1)
    owner[f["u"].to_numpy()] = f["o"].to_numpy()
    locked_ids = parse_ids(locked)
    lock = np.zeros(n, bool)
    if locked_ids:
        pos = pd.Index(acc["account_id"].astype(str)).get_indexer(locked_ids)
        if (pos < 0).any():
            raise ValueError(f"locked accounts not among the accounts being aligned: "
                             f"{[a for a, p in zip(locked_ids, pos) if p < 0][:5]}")
        lo = own_acc[pos]
        if (lo < 0).any():
            bad = [a for a, o in zip(locked_ids, lo) if o < 0][:5]
            raise InfeasibleError(f"locked accounts {bad} have no owner among the reps being "
                                  "aligned (unowned, or their rep is removed): unlock them")
        lu = codes[pos]
        clash = pd.Series(lo).groupby(lu).nunique()
        if (clash > 1).any():
            raise InfeasibleError(f"locked accounts in {units} {uids[clash.index[clash > 1][0]]} belong to "
                                  "different reps, but the unit is assigned whole: unlock one of them")
        lock[lu] = True
        owner[lu] = lo
    bal = {"potential": pot_u, "workload": work_u, "accounts": cnt_u}
    ms = balance_measures(balance_on)
    hl, ho = home_bases(ds, rt, lat, lon, pot.to_numpy(float), acc["owner_rep_id"].astype(str).to_numpy())
    tw = pot_u + 0.01 * (pot_u.mean() if pot_u.mean() > 0 else 1.0)
    labels = uids.copy()
    if not units and "account_name" in acc:
        labels = acc["account_name"].astype(str).to_numpy()[pd.Index(key).get_indexer(uids)]
    disrupt = cnt_u if disruption_on == "accounts" else pot_u
    cap = rt["capacity"].to_numpy(float)
    share = capacity_shares(cap, capacity_unit)
    fte = capacity_unit == "fte"
    p = solver.Problem(
        unit_ids=uids, labels=labels, lat=ulat, lon=ulon, balance={m: bal[m] for m in ms},
        workload=work_u, travel_weight=tw, owner=owner, locked=lock, disrupt=disrupt,
        disrupt_total=float(disrupt.sum()), rep_ids=rt["rep_id"].to_numpy(object),
        home_lat=hl, home_lon=ho,
        capacity=np.full(len(rt), np.inf) if fte else np.where(np.isfinite(cap), cap, np.inf),
        share=share,
        tolerance=float(tolerance), max_disruption=max_disruption,
        penalty_km=float(disruption_penalty_km), units_name=units or "account",
        measure_label={"potential": basis})
    if adjacency is not None:
        p.adjacency = adjacency_matrix(adjacency, uids)
        p.roots = _roots(p)
    return p


def _roots(p: solver.Problem) -> np.ndarray:
    """Each rep's home unit (nearest unit centroid to the home base; distinct per rep)."""
    d = haversine_km(p.lat[:, None], p.lon[:, None], p.home_lat[None, :], p.home_lon[None, :])
    d = np.nan_to_num(d, nan=np.inf)
    # locked units can only root their own rep
    d[p.locked[:, None] & (p.owner[:, None] != np.arange(p.R)[None, :])] = np.inf
    roots = np.full(p.R, -1)
    taken = np.zeros(p.n, bool)
    for r in np.argsort(d.min(axis=0)):
        col = np.where(taken, np.inf, d[:, r])
        roots[r] = int(np.argmin(col))
        taken[roots[r]] = True
    return roots


def _fmt(x: float, measure: str, basis: str = "potential") -> str:
    """Short number with its unit: potential in dollars ``"$9.8M"`` (a count when the
    potential fell back to accounts, ``basis == "accounts"``), workload ``"1.2k h"``,
    accounts ``"350"``."""
    short = f"{x:,.0f}"
    for div, suffix in ((1e9, "B"), (1e6, "M"), (1e3, "k")):
        if abs(x) >= div:
            short = f"{x / div:,.1f}{suffix}"
            break
    if measure == "potential" and potential_unit(basis) == "money":
        return f"-${short[1:]}" if short.startswith("-") else f"${short}"
    return f"{short} h" if measure == "workload" else short


def band_pct(need: float) -> int:
    """A band or share a setting must reach, as the whole percent the page shows (a fraction
    rounded up: 1.415 → 142, 1.0 → 100). The band a too-large account needs is what
    :func:`~salesops_lib.territory.review` solves for, so message and proposal say one ±142%."""
    return math.ceil(need * 100 - 1e-9)


def measure_words(measure: str, basis: str = "potential") -> str:
    """A measure's name in a sentence, saying what potential is when it is not a potential
    column: ``"potential (account annual revenue)"``, ``"potential (accounts)"``."""
    if measure != "potential" or basis == "potential":
        return measure
    return "potential (account annual revenue)" if basis == "annual_revenue" else f"potential ({basis})"


def precheck(p: solver.Problem) -> None:
    """Fail fast on settings no alignment can meet (raises :class:`InfeasibleError`)."""
    R, tol = p.R, p.tolerance
    targets = p.targets()
    for m, b in p.balance.items():
        mu = b.sum() / R
        if not mu > 0:
            continue
        i = int(np.argmax(b))
        basis = p.measure_label.get("potential", "potential")
        hi = (1 + tol) * targets[m]
        if b[i] > hi.max() * (1 + 1e-9):
            k = int(np.floor(b.sum() * (1 + tol) / b[i]))
            need = float(b[i] / targets[m].max() - 1)      # the band the largest unit needs
            err = InfeasibleError(
                f"{p.labels[i]} alone holds {b[i] / mu:.1f}× the mean {measure_words(m, basis)} "
                f"of {R} territories ({_fmt(b[i], m, basis)} vs a mean of {_fmt(mu, m, basis)}), "
                f"above the ±{tol:.0%} band: use at most {k} territories, or a band of at least "
                f"±{band_pct(need)}%, or split that {p.units_name} into smaller units.")
            err.min_tolerance = need
            raise err
        if p.locked.any():
            lk = np.bincount(p.owner[p.locked], b[p.locked], R)
            r = int(np.argmax(lk / hi))
            if lk[r] > hi[r] * (1 + 1e-9):
                raise InfeasibleError(
                    f"the accounts locked to rep {p.rep_ids[r]} hold {lk[r] / mu:.2f}× the mean "
                    f"{m}, above the ±{tol:.0%} band: unlock some of them or widen the band "
                    f"to at least ±{band_pct(lk[r] / mu - 1)}%.")
    fin = np.isfinite(p.capacity)
    if fin.all() and p.workload.sum() > p.capacity.sum() * (1 + 1e-9):
        short = p.workload.sum() - p.capacity.sum()
        raise InfeasibleError(
            f"total workload {p.workload.sum():,.0f} h exceeds total rep capacity "
            f"{p.capacity.sum():,.0f} h by {short:,.0f} h: raise capacity or add about "
            f"{int(np.ceil(short / p.capacity.mean()))} reps.")
    if fin.any() and p.workload.max() > p.capacity[fin].max() and fin.all():
        i = int(np.argmax(p.workload))
        raise InfeasibleError(f"{p.labels[i]} alone needs {p.workload[i]:,.0f} h, more than any "
                              f"rep's capacity ({p.capacity.max():,.0f} h): raise capacity.")


def diagnose(p: solver.Problem, after_lp_feasible: bool = False,
             status: str | None = None) -> InfeasibleError:
    """Explain why no alignment exists: which constraint to relax, and by how much.

    ``status`` is the solver status that led here; when the LP relaxation turns out feasible,
    the message says the solver stopped early instead of blaming a setting.
    """
    precheck(p)
    tol = p.tolerance
    if after_lp_feasible:
        what = "contiguous territories of whole units" if p.adjacency is not None else "whole units"
        return InfeasibleError(
            f"no alignment of {what} keeps every territory within ±{tol:.0%} of the mean "
            f"(the fractional relaxation can): widen the band (e.g. to ±{min(2 * tol, 0.5):.0%})"
            + (", or drop the adjacency requirement" if p.adjacency is not None else "") + ".")
    I, Rr = solver.all_arcs(p) if p.n * p.R <= 3_000_000 else solver.nearest_arcs(p, min(p.R, 40))

    def solve(**kw):
        st, _x, obj, _, _ = solver.run_lp(p, I, Rr, **kw)
        return st, obj
    if status is not None and solve()[0] == "optimal":
        return InfeasibleError(
            f"the solver stopped without an alignment (status {status}) although the relaxation "
            "is feasible: raise time_limit or use method='heuristic'.")
    if p.max_disruption is not None and solve(disruption=False)[0] == "optimal":
        _, need = solve(elastic="disruption")
        return InfeasibleError(
            f"keeping moves within max_disruption={p.max_disruption:.0%} of accounts is impossible "
            f"with the ±{tol:.0%} band: at least {need:.1%} must move; raise the disruption cap to "
            f"{band_pct(need)}% or widen the band.")
    if np.isfinite(p.capacity).any() and solve(disruption=False, capacity=False)[0] == "optimal":
        _, need = solve(disruption=False, elastic="capacity")
        return InfeasibleError(
            f"rep capacities are too small for the ±{tol:.0%} band: they must grow by about "
            f"{need * np.nanmean(p.capacity[np.isfinite(p.capacity)]):,.0f} h in total; "
            "raise capacity, add reps or balance on workload.")
    _, need = solve(disruption=False, capacity=False, elastic="band")
    return InfeasibleError(
        f"no alignment keeps every territory within ±{tol:.0%} of the mean (locked accounts and "
        f"home units included): the tightest possible is about ±{need:.1%}; widen the band to at "
        f"least ±{band_pct(need)}%.")
