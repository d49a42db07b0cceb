"""Territory design: measure an alignment of accounts to reps, and optimise a better one.

Entry points (stable, see ``DESIGN.md``):

* :func:`evaluate` ``(ds, assignment)`` -> :class:`Evaluation` ``(territories, summary)``;
* :func:`optimize` ``(ds, balance_on="potential", tolerance=0.05, max_disruption=None,
  locked=None, units=None, adjacency=None)`` -> assignment frame ``account_id → rep_id``
  (``unit → rep_id`` when ``units`` is given) with the solver's ``status``, ``gap`` and more in
  ``.attrs``.

Planning helpers live in :mod:`salesops_lib.territory_plan` (sizing, hiring what-if, export,
verdict) and are re-exported here; maps in :mod:`salesops_lib.territory_maps`.

Definitions used throughout
---------------------------
potential
    ``accounts.potential`` (missing = 0). A data set without any potential uses
    ``annual_revenue``, and without that one unit per account (``attrs["potential_basis"]``).
workload
    Hours per year to cover an account, from its segment and size:
    :math:`w_i = h(\\mathrm{segment}_i)\\,(1 + \\log_{10}(1 + \\mathrm{employees}_i/100))` with
    :math:`h` = 40 h for enterprise, 20 h for mid-market, 8 h for SMB and 12 h otherwise (see
    :data:`SEGMENT_HOURS`); a 10,000-employee enterprise account takes 40 × 3.0 = 120 h.
    ``reps.capacity`` is read in the same hours per year.
travel
    Great-circle distance from the rep's home base (``home_latitude``/``home_longitude``; a rep
    without one is placed at the potential-weighted centroid of today's accounts).
"""

from __future__ import annotations

import time
from typing import NamedTuple

import numpy as np
import pandas as pd
import scipy.sparse as sp
from scipy.sparse.csgraph import connected_components

from . import territory_search as search
from . import territory_solver as solver
from .geo import group_centroids, haversine_km
from .territory_problem import (  # noqa: F401
    DEFAULT_HOURS,
    MEASURES,
    SEGMENT_HOURS,
    _adjacency_matrix,
    _homes,
    _measures,
    _parse_ids,
    _rep_table,
    _unit_keys,
    account_potential,
    account_workload,
    build_problem,
    diagnose,
    precheck,
)
from .territory_solver import InfeasibleError

__all__ = [
    "Evaluation",
    "InfeasibleError",
    "account_potential",
    "account_workload",
    "current_alignment",
    "evaluate",
    "map_frame",
    "optimize",
    "scope",
]


# --------------------------------------------------------------------------------------------
# account measures
# --------------------------------------------------------------------------------------------
def scope(ds, role: str | None = None, reps=None):
    """The data set narrowed to one sales motion: reps of ``role`` (or the ``reps`` ids) and
    the accounts they own today, plus accounts nobody owns.

    E.g. ``scope(ds, role="field")`` designs field territories while inside reps keep theirs.
    ``None`` for both returns ``ds`` unchanged.
    """
    import dataclasses

    if not role and reps is None:
        return ds
    r = ds.reps
    keep = pd.Series(True, index=r.index)
    if role:
        if "role" not in r or not (r["role"].astype("string") == role).any():
            raise ValueError(f"no reps with role {role!r}; roles are "
                             f"{sorted(r['role'].dropna().unique()) if 'role' in r else []}")
        keep &= r["role"].astype("string") == role
    if reps is not None:
        keep &= r["rep_id"].astype(str).isin(_parse_ids(reps))
    r = r[keep]
    owner = ds.accounts["owner_rep_id"]
    acc = ds.accounts[owner.isna() | owner.astype("string").isin(r["rep_id"])]
    opp = ds.opportunities[ds.opportunities["account_id"].isin(acc["account_id"])]
    return dataclasses.replace(ds, accounts=acc.reset_index(drop=True), reps=r.reset_index(drop=True),
                               opportunities=opp.reset_index(drop=True), _fingerprint=[])


def current_alignment(ds) -> pd.DataFrame:
    """Today's alignment: ``account_id``, ``rep_id`` from ``accounts.owner_rep_id``."""
    return pd.DataFrame({"account_id": ds.accounts["account_id"].astype(str).to_numpy(),
                         "rep_id": ds.accounts["owner_rep_id"].astype("string").to_numpy()})


def to_accounts(ds, assignment: pd.DataFrame, units: str | None = None) -> pd.Series:
    """The assignment as a ``rep_id`` Series indexed like ``ds.accounts`` (NA = unassigned).

    ``assignment`` has ``account_id`` and ``rep_id``, or ``units`` (an accounts column) and
    ``rep_id``; a frame returned by :func:`optimize` remembers its ``units``.
    """
    units = units or assignment.attrs.get("units")
    acc = ds.accounts
    if units and units in assignment.columns and "account_id" not in assignment.columns:
        key = _unit_keys(acc, units)
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


# --------------------------------------------------------------------------------------------
# evaluate
# --------------------------------------------------------------------------------------------
class Evaluation(NamedTuple):
    """Result of :func:`evaluate`: one row per territory, and one summary Series."""

    territories: pd.DataFrame
    summary: pd.Series


def _balance_stats(x: np.ndarray, prefix: str) -> dict:
    mu = x.mean() if len(x) else np.nan
    if not len(x) or not mu > 0:
        return {f"{prefix}_max_over_mean": np.nan, f"{prefix}_min_over_mean": np.nan,
                f"{prefix}_max_over_min": np.nan, f"{prefix}_cv": np.nan,
                f"{prefix}_share_within_10pct": np.nan, f"{prefix}_max_deviation": np.nan}
    return {f"{prefix}_max_over_mean": x.max() / mu, f"{prefix}_min_over_mean": x.min() / mu,
            f"{prefix}_max_over_min": x.max() / x.min() if x.min() > 0 else np.inf,
            f"{prefix}_cv": x.std(ddof=0) / mu,
            f"{prefix}_share_within_10pct": float((np.abs(x / mu - 1) <= 0.10 + 1e-12).mean()),
            f"{prefix}_max_deviation": float(np.abs(x / mu - 1).max())}


def evaluate(ds, assignment: pd.DataFrame, *, baseline: pd.DataFrame | None = None,
             units: str | None = None, adjacency: pd.DataFrame | None = None,
             period: str | None = None, reps=None, capacity_unit: str = "fte") -> Evaluation:
    """Measure an alignment.

    Parameters
    ----------
    ds : Dataset
    assignment : DataFrame
        ``account_id``, ``rep_id`` (or ``<units>``, ``rep_id``). Territories are the reps in the
        assignment (plus those in ``reps`` when a frame or list is given).
    baseline : DataFrame, optional
        Alignment to measure disruption against; default today's (``owner_rep_id``).
    units, adjacency : optional
        Unit column and a ``unit``/``neighbor`` frame; with an adjacency graph the contiguity of
        each territory is reported (units absent from the graph are ignored).
    period : str, optional
        Bookings count won deals closed in this fiscal period; default all won deals.
    reps : DataFrame or list, optional
        Rep table with home bases (e.g. new hires from a what-if); default ``ds.reps``.
    capacity_unit : ``"fte"`` or ``"hours"``
        How ``reps.capacity`` reads (see :func:`optimize`). ``utilization`` is
        :math:`W_r / (\\mathrm{cap}_r \\sum W / \\sum \\mathrm{cap})` for FTE (1.0 = the rep's
        fair share of workload) and :math:`W_r / \\mathrm{cap}_r` for hours; ``over_capacity``
        counts territories with utilization above 1 (hours) or 1.10 (FTE).

    Returns
    -------
    Evaluation
        ``territories``: ``rep_id``, ``rep_name``, ``accounts``, ``potential``, ``workload``,
        ``bookings``, ``travel_km``, ``radius_km``, ``potential_index``, ``workload_index``,
        ``capacity``, ``utilization``, ``accounts_gained``, ``accounts_lost``, ``contiguous``.

        ``summary`` (Series), for territory loads :math:`P_r` with mean :math:`\\bar P`:

        * ``balance_max_over_mean`` :math:`= \\max_r P_r / \\bar P`, ``balance_min_over_mean``,
          ``balance_max_over_min`` :math:`= \\max_r P_r / \\min_r P_r`;
        * ``balance_cv`` :math:`= \\sigma(P) / \\bar P` (population standard deviation);
        * ``share_within_10pct`` :math:`= \\#\\{r : |P_r/\\bar P - 1| \\le 0.1\\} / R`;
        * ``max_deviation`` :math:`= \\max_r |P_r / \\bar P - 1|`;
        * ``workload_*``: the same on workload;
        * ``travel_km`` :math:`= \\sum_i p_i d(i, h_{r(i)}) / \\sum_i p_i`, potential-weighted
          distance from account to its rep's home (per territory the same within it);
        * ``compactness_km`` :math:`= \\sum_i p_i d(i, g_{r(i)}) / \\sum_i p_i`, distance to the
          territory's potential-weighted centroid :math:`g_r` (lower is more compact; per
          territory ``radius_km``);
        * ``contiguity``: share of territories whose units form one connected piece of the
          adjacency graph (NaN without a graph);
        * ``disruption_accounts`` :math:`= \\#\\{i : r(i) \\ne r_0(i)\\} / n` and
          ``disruption_potential`` :math:`= \\sum_{r(i) \\ne r_0(i)} p_i / \\sum_i p_i` against
          the baseline :math:`r_0` (accounts new to any owner count as moved);
        * ``accounts``, ``unassigned_accounts``, ``territories``, ``over_capacity``.
    """
    acc = ds.accounts
    rep_of = to_accounts(ds, assignment, units)
    base = (to_accounts(ds, baseline) if baseline is not None
            else acc["owner_rep_id"].astype("string"))
    pot, _ = account_potential(acc)
    pot = pot.to_numpy(float)
    work = account_workload(acc).to_numpy(float)
    rt = _rep_table(ds, reps)
    ids = set(rep_of.dropna().astype(str))
    if reps is not None:
        ids |= set(rt["rep_id"])
    ids = np.array(sorted(ids), dtype=object)
    known = pd.Index(rt["rep_id"])
    extra = [r for r in ids if r not in known]
    if extra:
        more = _rep_table(ds).set_index("rep_id").reindex(extra).reset_index()
        rt = pd.concat([rt, more], ignore_index=True)
    rt = rt.set_index("rep_id").reindex(ids).reset_index()
    R = len(ids)
    t = pd.Index(ids).get_indexer(rep_of.fillna("").to_numpy())
    lat, lon = acc["latitude"].to_numpy(float), acc["longitude"].to_numpy(float)
    hl, ho = _homes(ds, rt, lat, lon, pot, acc["owner_rep_id"].astype(str).to_numpy())
    ok = t >= 0
    tt = np.where(ok, t, 0)
    d_home = haversine_km(lat, lon, hl[tt], ho[tt])
    clat, clon = group_centroids(lat[ok], lon[ok], pot[ok], t[ok], R)
    d_cent = haversine_km(lat, lon, clat[tt], clon[tt])

    def wmean(d):
        has = ok & np.isfinite(d)
        w = np.where(has, pot, 0.0)
        wsum = np.bincount(t[has], w[has], R)
        eq = np.bincount(t[has], minlength=R)
        num = np.bincount(t[has], (w * np.nan_to_num(d))[has], R)
        num_eq = np.bincount(t[has], np.nan_to_num(d)[has], R)
        per = np.where(wsum > 0, num / np.where(wsum > 0, wsum, 1), np.where(eq > 0, num_eq / np.maximum(eq, 1), np.nan))
        tot = (w * np.nan_to_num(d))[has].sum() / w[has].sum() if w[has].sum() > 0 else (
            np.nan_to_num(d)[has].mean() if has.any() else np.nan)
        return per, tot

    travel, travel_all = wmean(d_home)
    radius, compact = wmean(d_cent)
    won = ds.opportunities[ds.opportunities["status"] == "won"]
    if period is not None and len(won):
        from .periods import Period
        won = won[Period.parse(period, ds.fiscal_start_month).contains(won["close_date"])]
    book_acc = won.groupby(won["account_id"].astype(str))["amount"].sum()
    bookings = acc["account_id"].astype(str).map(book_acc).fillna(0.0).to_numpy(float)
    moved = (rep_of.fillna("<none>") != base.fillna("<none>")).to_numpy()
    base_idx = pd.Index(ids).get_indexer(base.fillna("").to_numpy())
    cap = rt["capacity"].to_numpy(float)
    terr = pd.DataFrame({
        "rep_id": ids, "rep_name": rt["rep_name"].astype("string").to_numpy(),
        "accounts": np.bincount(t[ok], minlength=R),
        "potential": np.bincount(t[ok], pot[ok], R),
        "workload": np.bincount(t[ok], work[ok], R),
        "bookings": np.bincount(t[ok], bookings[ok], R),
        "travel_km": travel, "radius_km": radius,
    })
    terr["potential_index"] = terr["potential"] / terr["potential"].mean() if R and terr["potential"].mean() > 0 else np.nan
    terr["workload_index"] = terr["workload"] / terr["workload"].mean() if R and terr["workload"].mean() > 0 else np.nan
    terr["capacity"] = cap
    if capacity_unit == "hours":
        terr["utilization"] = terr["workload"] / cap
        limit = 1.0
    else:
        fair = cap * terr["workload"].sum() / np.nansum(cap) if np.isfinite(cap).any() else np.nan
        terr["utilization"] = terr["workload"] / fair
        limit = 1.10
    terr["accounts_gained"] = np.bincount(t[ok & moved], minlength=R)
    bm = (base_idx >= 0) & moved
    terr["accounts_lost"] = np.bincount(base_idx[bm], minlength=R)
    contiguity = np.nan
    terr["contiguous"] = pd.array([pd.NA] * R, dtype="boolean")
    if adjacency is not None:
        key = _unit_keys(acc, units or assignment.attrs.get("units"))
        uids = np.array(sorted(key.unique()), dtype=object)
        uix = pd.Index(uids).get_indexer(key)
        # a unit's territory: the rep holding most of its accounts (whole units have one)
        ut = pd.Series(t).groupby(uix).agg(lambda s: s.mode().iloc[0]).reindex(range(len(uids))).to_numpy()
        contig = territory_contiguity(_adjacency_matrix(adjacency, uids), ut, R)
        terr["contiguous"] = pd.array(contig, dtype="boolean")
        contiguity = float(np.mean(contig)) if R else np.nan
    summary = {"territories": R, "accounts": len(acc), "unassigned_accounts": int((~ok).sum()),
               "potential_total": float(pot.sum())}
    bal = _balance_stats(terr["potential"].to_numpy(float), "balance")
    summary.update(bal)
    summary["share_within_10pct"] = summary.pop("balance_share_within_10pct")
    summary["max_deviation"] = summary.pop("balance_max_deviation")
    summary.update(_balance_stats(terr["workload"].to_numpy(float), "workload"))
    summary.update({
        "travel_km": travel_all, "compactness_km": compact, "contiguity": contiguity,
        "disruption_accounts": float(moved.mean()) if len(moved) else 0.0,
        "disruption_potential": float(pot[moved].sum() / pot.sum()) if pot.sum() > 0 else 0.0,
        "accounts_moved": int(moved.sum()),
        "over_capacity": int((terr["utilization"] > limit + 1e-9).sum()),
    })
    return Evaluation(terr, pd.Series(summary, dtype="float64"))


def territory_contiguity(adj, unit_territory: np.ndarray, n_territories: int) -> np.ndarray:
    """Per territory: do its units form one connected piece of the graph ``adj``?

    Units with no neighbour at all in ``adj`` (islands, units missing from the graph) are
    ignored; a territory with no unit in the graph counts as contiguous.
    """
    ut = np.asarray(unit_territory)
    coo = adj.tocoo()
    same = (ut[coo.row] == ut[coo.col]) & (ut[coo.row] >= 0)
    n = len(ut)
    g = sp.csr_matrix((np.ones(same.sum()), (coo.row[same], coo.col[same])), shape=(n, n))
    _, lab = connected_components(g, directed=False)
    deg = np.bincount(coo.row, minlength=n)
    keep = (deg > 0) & (ut >= 0)
    pieces = pd.Series(lab[keep]).groupby(ut[keep]).nunique()
    return pieces.reindex(range(n_territories)).fillna(1).to_numpy() <= 1


# --------------------------------------------------------------------------------------------
# optimize
# --------------------------------------------------------------------------------------------
def optimize(ds, balance_on="potential", tolerance: float = 0.05, max_disruption: float | None = None,
             locked=None, units: str | None = None, adjacency: pd.DataFrame | None = None, *,
             reps=None, method: str = "auto", time_limit: float = 30.0,
             disruption_on: str = "accounts", disruption_penalty_km: float = 0.0,
             capacity_unit: str = "fte", exact_max_vars: int = 2500) -> pd.DataFrame:
    """Optimise an alignment: least potential-weighted travel within a balance band.

    Parameters
    ----------
    ds : Dataset
    balance_on : str or list of str
        ``"potential"``, ``"workload"`` or ``"accounts"`` (or several): every territory's total
        must lie within :math:`[(1-\\tau)\\mu, (1+\\tau)\\mu]`, :math:`\\mu` = total / reps.
    tolerance : float
        :math:`\\tau`, e.g. 0.05 for ±5%.
    max_disruption : float, optional
        Cap on the share of accounts (``disruption_on="potential"``: of potential) that change
        owner. Forced moves (accounts of removed or missing reps) are not counted.
    locked : list or comma-separated str, optional
        Account ids that keep today's owner (their whole unit does, with ``units``).
    units : str, optional
        An accounts column (e.g. ``"county"``) whose values are assigned whole.
    adjacency : DataFrame, optional
        ``unit``, ``neighbor`` pairs of units that touch; territories are then contiguous and
        grown from each rep's home unit.
    reps : DataFrame or list, optional
        Reps to align (a frame with home bases, e.g. after a hiring what-if, or ids). Default:
        every rep in ``ds.reps`` (narrow a data set to one motion with :func:`scope`).
    method : ``"auto"``, ``"exact"`` or ``"heuristic"``
        ``auto`` uses the MILP (with half of ``time_limit``) when it has at most
        ``exact_max_vars`` assignment variables (a tenth of that with contiguity), else, or
        when the MILP finds no solution in time, LP relaxation + rounding + local search.
    time_limit : float
        Seconds for the solver.
    disruption_penalty_km : float
        Extra cost of moving an account, in km of travel (a soft alternative to the cap).
    capacity_unit : ``"fte"`` or ``"hours"``
        How to read ``reps.capacity``. ``fte`` (default; 1.0 = one full-time rep): each rep's
        target is scaled by :math:`s_r = \\mathrm{cap}_r / \\overline{\\mathrm{cap}}`, so a
        half-time rep gets half a territory, band :math:`(1\\pm\tau)\\mu s_r`. ``hours``: a hard
        ceiling :math:`\\sum_i w_i x_{ir} \\le \\mathrm{cap}_r` on workload hours per year.

    Returns
    -------
    DataFrame
        ``account_id`` (or ``units``), ``rep_id``; ``attrs``: ``status`` (``optimal``,
        ``time_limit``, ``feasible``, ``band_not_met``), ``method``, ``objective`` and ``bound``
        (potential·km), ``gap`` = (objective − bound)/objective against the MILP bound or the
        LP bound (``bound_valid`` says the LP bound was priced over all reps), ``seconds``,
        ``units``, ``balance_on``, ``tolerance``, ``potential_basis``, ``notes``.

    Raises
    ------
    InfeasibleError
        When no alignment can meet the settings; the message names the constraint and the
        value it needs (e.g. "Los Angeles County alone holds 1.6× the mean potential ...").
    """
    t0 = time.perf_counter()
    p = build_problem(ds, balance_on=balance_on, tolerance=tolerance, max_disruption=max_disruption,
                      locked=locked, units=units, adjacency=adjacency, reps=reps,
                      disruption_on=disruption_on, disruption_penalty_km=disruption_penalty_km,
                      capacity_unit=capacity_unit)
    precheck(p)
    # flow contiguity multiplies the model by the arcs of the graph: keep the MILP small
    limit = exact_max_vars if p.adjacency is None else exact_max_vars // 10
    if method not in ("auto", "exact", "heuristic"):
        raise ValueError(f"method must be 'auto', 'exact' or 'heuristic'; got {method!r}")
    res = None
    if method == "exact" or (method == "auto" and p.n * p.R <= limit):
        # under "auto" the MILP gets half the time; the heuristic is the fallback
        res = solver.exact(p, time_limit=time_limit if method == "exact" else 0.5 * time_limit)
        if res.assign is None and res.status == "infeasible":
            lp = solver._run(*solver.build_lp(p, *solver.all_arcs(p)))[0]
            raise diagnose(p, after_lp_feasible=lp == "optimal")
        if res.assign is None:      # stopped without an incumbent: fall back
            res = None
    if res is None:
        left = max(time_limit - (time.perf_counter() - t0), 0.3 * time_limit)
        res = search.heuristic(p, time_limit=left)
    if res.assign is None:
        raise diagnose(p, status=res.status)
    notes = list(res.notes)
    if res.status == "band_not_met":
        notes.append(f"the search did not bring every territory within ±{tolerance:.0%}; "
                     "see evaluate() for the deviations, or raise the tolerance")
    out = pd.DataFrame({units or "account_id": p.unit_ids.astype(str),
                        "rep_id": p.rep_ids[res.assign].astype(str)})
    out["rep_id"] = out["rep_id"].astype("string")
    out.attrs.update({"status": res.status, "method": res.method, "objective": res.objective,
                      "bound": res.bound, "gap": res.gap, "bound_valid": res.bound_valid,
                      "seconds": time.perf_counter() - t0, "units": units,
                      "balance_on": _measures(balance_on), "tolerance": tolerance,
                      "max_disruption": max_disruption,
                      "potential_basis": p.measure_label.get("potential", "potential"), "stages": dict(res.stages),
                      "notes": notes})
    return out


def map_frame(ds, assignment: pd.DataFrame, units: str | None = None) -> pd.DataFrame:
    """Tidy frame for maps: ``account_id``, ``latitude``, ``longitude``, ``potential``, ``rep_id``."""
    acc = ds.accounts
    pot, _ = account_potential(acc)
    return pd.DataFrame({"account_id": acc["account_id"].astype(str).to_numpy(),
                         "latitude": acc["latitude"].to_numpy(float),
                         "longitude": acc["longitude"].to_numpy(float),
                         "potential": pot.to_numpy(float),
                         "rep_id": to_accounts(ds, assignment, units).to_numpy()})


# planning helpers (sizing, what-if, export, verdict) live in their own module
from .territory_plan import (
    Plan,
    alignment_table,
    compare,
    kpi_cards,
    moved_accounts,
    place_new_reps,
    rep_changes,
    reps_needed,
    solver_note,
    verdict,
    what_if,
    write_alignment,
)

__all__ += [
    "Plan",
    "alignment_table",
    "build_problem",
    "compare",
    "kpi_cards",
    "moved_accounts",
    "place_new_reps",
    "rep_changes",
    "reps_needed",
    "solver_note",
    "to_accounts",
    "verdict",
    "what_if",
    "write_alignment",
]
