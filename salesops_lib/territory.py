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

import re
import time
from typing import NamedTuple

import numpy as np
import pandas as pd
import scipy.sparse as sp
from scipy.sparse.csgraph import connected_components

from . import territory_solver as solver
from .geo import centroid, group_centroids, haversine_km
from .territory_solver import InfeasibleError

#: Hours per year to cover one account of a segment (before the size factor).
SEGMENT_HOURS = {"enterprise": 40.0, "midmarket": 20.0, "commercial": 20.0, "smb": 8.0,
                 "smallbusiness": 8.0}
DEFAULT_HOURS = 12.0
MEASURES = ("potential", "workload", "accounts")

__all__ = ["evaluate", "optimize", "scope", "current_alignment", "account_workload", "account_potential",
           "InfeasibleError", "Evaluation", "map_frame"]


# --------------------------------------------------------------------------------------------
# account measures
# --------------------------------------------------------------------------------------------
def account_workload(accounts: pd.DataFrame) -> pd.Series:
    """Workload in hours per year per account (formula in the module docstring).

    Segments are matched ignoring case, spaces, ``-`` and ``_`` (``"Mid-Market"`` = ``midmarket``).
    """
    seg = accounts["segment"] if "segment" in accounts else pd.Series(pd.NA, index=accounts.index)
    key = seg.astype("string").str.lower().str.replace(r"[\s\-_]", "", regex=True)
    hours = key.map(SEGMENT_HOURS).astype("float64").fillna(DEFAULT_HOURS)
    emp = pd.to_numeric(accounts["employees"], errors="coerce") if "employees" in accounts else 0.0
    size = 1.0 + np.log10(1.0 + np.clip(np.nan_to_num(np.asarray(emp, float)), 0, None) / 100.0)
    return pd.Series(hours.to_numpy() * size, index=accounts.index, name="workload")


def account_potential(accounts: pd.DataFrame) -> tuple[pd.Series, str]:
    """Potential per account and which column it came from (see module docstring)."""
    for col in ("potential", "annual_revenue"):
        if col in accounts and accounts[col].notna().any():
            return accounts[col].astype("float64").fillna(0.0).rename("potential"), col
    return pd.Series(1.0, index=accounts.index, name="potential"), "accounts"


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


def _parse_ids(value) -> list[str]:
    """Ids from a list or a comma-separated string (``"A1, A2"``); empty for None/``""``."""
    if value is None:
        return []
    if isinstance(value, str):
        return [v for v in (s.strip() for s in value.split(",")) if v]
    return [str(v) for v in value]


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


def _unit_keys(acc: pd.DataFrame, units: str | None) -> pd.Series:
    if not units:
        return acc["account_id"].astype(str)
    if units not in acc.columns:
        raise ValueError(f"units={units!r} is not an accounts column; columns are {list(acc.columns)}")
    return acc[units].astype("string").fillna(acc["account_id"].astype("string")).astype(str)


def _rep_table(ds, reps=None) -> pd.DataFrame:
    """Reps with home coordinates and capacity (a DataFrame, a list of ids, or ``ds.reps``)."""
    if isinstance(reps, pd.DataFrame):
        r = reps.copy()
    else:
        r = ds.reps.copy()
        if reps is not None:
            ids = _parse_ids(reps)
            unknown = sorted(set(ids) - set(r["rep_id"].astype(str)))
            if unknown:
                raise ValueError(f"unknown rep ids: {unknown[:5]}")
            r = r[r["rep_id"].astype(str).isin(ids)]
    r["rep_id"] = r["rep_id"].astype(str)
    for c in ("home_latitude", "home_longitude", "capacity"):
        r[c] = pd.to_numeric(r[c], errors="coerce") if c in r else np.nan
    if "rep_name" not in r:
        r["rep_name"] = r["rep_id"]
    return r.reset_index(drop=True)


def _homes(ds, reps: pd.DataFrame, lat, lon, pot, owner) -> tuple[np.ndarray, np.ndarray]:
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


def _adjacency_matrix(adjacency: pd.DataFrame | None, unit_ids: np.ndarray):
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
        :math:`W_r / (\mathrm{cap}_r \sum W / \sum \mathrm{cap})` for FTE (1.0 = the rep's
        fair share of workload) and :math:`W_r / \mathrm{cap}_r` for hours; ``over_capacity``
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
def _measures(balance_on) -> list[str]:
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
    rt = _rep_table(ds, reps)
    if not len(rt):
        raise ValueError("no reps to align accounts to")
    if not 0 <= float(tolerance) < 1:
        raise ValueError(f"tolerance must be a fraction in [0, 1), e.g. 0.05; got {tolerance}")
    pot, basis = account_potential(acc)
    key = _unit_keys(acc, units)
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
    locked_ids = _parse_ids(locked)
    lock = np.zeros(n, bool)
    if locked_ids:
        pos = pd.Index(acc["account_id"].astype(str)).get_indexer(locked_ids)
        if (pos < 0).any():
            raise ValueError(f"locked accounts not in the data: {[a for a, p in zip(locked_ids, pos) if p < 0][:5]}")
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
    ms = _measures(balance_on)
    hl, ho = _homes(ds, rt, lat, lon, pot.to_numpy(float), acc["owner_rep_id"].astype(str).to_numpy())
    tw = pot_u + 0.01 * (pot_u.mean() if pot_u.mean() > 0 else 1.0)
    labels = uids.copy()
    if not units and "account_name" in acc:
        labels = acc["account_name"].astype(str).to_numpy()[pd.Index(key).get_indexer(uids)]
    disrupt = cnt_u if disruption_on == "accounts" else pot_u
    cap = rt["capacity"].to_numpy(float)
    if capacity_unit not in ("fte", "hours"):
        raise ValueError(f"capacity_unit must be 'fte' or 'hours'; got {capacity_unit!r}")
    fte = capacity_unit == "fte"
    share = np.where(np.isfinite(cap) & (cap > 0), cap, np.nan) if fte else np.ones(len(rt))
    share = np.nan_to_num(share / np.nanmean(share), nan=1.0) if np.isfinite(share).any() else np.ones(len(rt))
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
        p.adjacency = _adjacency_matrix(adjacency, uids)
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


def _fmt(x: float, measure: str) -> str:
    """Short number: 9,818,605 -> "9.8M" (potential may be money or, e.g., population)."""
    for div, suffix in ((1e9, "B"), (1e6, "M"), (1e3, "k")):
        if abs(x) >= div:
            return f"{x / div:,.1f}{suffix}"
    return f"{x:,.0f}"


def precheck(p: solver.Problem) -> None:
    """Fail fast on settings no alignment can meet (raises :class:`InfeasibleError`)."""
    R, tol = p.R, p.tolerance
    targets = p.targets()
    for m, b in p.balance.items():
        mu = b.sum() / R
        if not mu > 0:
            continue
        i = int(np.argmax(b))
        hi = (1 + tol) * targets[m]
        if b[i] > hi.max() * (1 + 1e-9):
            k = int(np.floor(b.sum() * (1 + tol) / b[i]))
            raise InfeasibleError(
                f"{p.labels[i]} alone holds {b[i] / mu:.1f}× the mean {m} of {R} territories "
                f"({_fmt(b[i], m)} vs a mean of {_fmt(mu, m)}), above the ±{tol:.0%} band: "
                f"use at most {k} territories, or a tolerance of at least {b[i] / mu - 1:.2f}, "
                f"or split that {p.units_name} into smaller units.")
        if p.locked.any():
            lk = np.bincount(p.owner[p.locked], b[p.locked], R)
            r = int(np.argmax(lk / hi))
            if lk[r] > hi[r] * (1 + 1e-9):
                raise InfeasibleError(
                    f"the accounts locked to rep {p.rep_ids[r]} hold {lk[r] / mu:.2f}× the mean "
                    f"{m}, above the ±{tol:.0%} band: unlock some of them or raise the tolerance "
                    f"to at least {lk[r] / mu - 1:.2f}.")
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


def diagnose(p: solver.Problem, after_lp_feasible: bool = False) -> InfeasibleError:
    """Explain why no alignment exists: which constraint to relax, and by how much."""
    precheck(p)
    tol = p.tolerance
    if after_lp_feasible:
        what = "contiguous territories of whole units" if p.adjacency is not None else "whole units"
        return InfeasibleError(
            f"no alignment of {what} keeps every territory within ±{tol:.0%} of the mean "
            f"(the fractional relaxation can): raise the tolerance (e.g. to {min(2 * tol, 0.5):.2f})"
            + (", or drop the adjacency requirement" if p.adjacency is not None else "") + ".")
    I, Rr = solver.all_arcs(p) if p.n * p.R <= 3_000_000 else solver.nearest_arcs(p, min(p.R, 40))

    def solve(**kw):
        st, x, obj, _, _ = solver._run(*solver.build_lp(p, I, Rr, **kw))
        return st, obj
    if p.max_disruption is not None and solve(disruption=False)[0] == "optimal":
        st, need = solve(elastic="disruption")
        return InfeasibleError(
            f"keeping moves within max_disruption={p.max_disruption:.0%} of accounts is impossible "
            f"with the ±{tol:.0%} band: at least {need:.1%} must move; raise max_disruption to "
            f"{np.ceil(need * 100) / 100:.2f} or widen the tolerance.")
    if np.isfinite(p.capacity).any() and solve(disruption=False, capacity=False)[0] == "optimal":
        st, need = solve(disruption=False, elastic="capacity")
        return InfeasibleError(
            f"rep capacities are too small for the ±{tol:.0%} band: they must grow by about "
            f"{need * np.nanmean(p.capacity[np.isfinite(p.capacity)]):,.0f} h in total; "
            "raise capacity, add reps or balance on workload.")
    st, need = solve(disruption=False, capacity=False, elastic="band")
    return InfeasibleError(
        f"no alignment keeps every territory within ±{tol:.0%} of the mean (locked accounts and "
        f"home units included): the tightest possible is about ±{need:.1%}; set tolerance to at "
        f"least {np.ceil(need * 100) / 100:.2f}.")


def optimize(ds, balance_on="potential", tolerance: float = 0.05, max_disruption: float | None = None,
             locked=None, units: str | None = None, adjacency: pd.DataFrame | None = None, *,
             reps=None, method: str = "auto", time_limit: float = 30.0,
             disruption_on: str = "accounts", disruption_penalty_km: float = 0.0,
             capacity_unit: str = "fte", exact_max_vars: int = 6000) -> pd.DataFrame:
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
        ``auto`` uses the MILP when it has at most ``exact_max_vars`` assignment variables
        (fewer with contiguity), else LP relaxation + rounding + local search.
    time_limit : float
        Seconds for the solver.
    disruption_penalty_km : float
        Extra cost of moving an account, in km of travel (a soft alternative to the cap).
    capacity_unit : ``"fte"`` or ``"hours"``
        How to read ``reps.capacity``. ``fte`` (default; 1.0 = one full-time rep): each rep's
        target is scaled by :math:`s_r = \mathrm{cap}_r / \overline{\mathrm{cap}}`, so a
        half-time rep gets half a territory, band :math:`(1\pm\tau)\mu s_r`. ``hours``: a hard
        ceiling :math:`\sum_i w_i x_{ir} \le \mathrm{cap}_r` on workload hours per year.

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
    limit = exact_max_vars if p.adjacency is None else exact_max_vars // 20
    if method == "exact" or (method == "auto" and p.n * p.R <= limit):
        res = solver.exact(p, time_limit=time_limit)
        if res.assign is None and res.status == "infeasible":
            lp = solver._run(*solver.build_lp(p, *solver.all_arcs(p)))[0]
            raise diagnose(p, after_lp_feasible=lp == "optimal")
        if res.assign is None:      # time limit without an incumbent: fall back
            res = solver.heuristic(p, time_limit=time_limit)
    elif method in ("auto", "heuristic"):
        res = solver.heuristic(p, time_limit=time_limit)
    else:
        raise ValueError(f"method must be 'auto', 'exact' or 'heuristic'; got {method!r}")
    if res.assign is None:
        raise diagnose(p)
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
                      "potential_basis": p.measure_label.get("potential", "potential"),
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
from .territory_plan import (Plan, alignment_table, compare, kpi_cards, moved_accounts,  # noqa: E402
                             place_new_reps, rep_changes, reps_needed, solver_note, verdict, what_if,
                             write_alignment)

__all__ += ["Plan", "alignment_table", "compare", "kpi_cards", "solver_note", "moved_accounts", "place_new_reps", "rep_changes",
            "reps_needed", "verdict", "what_if", "write_alignment", "to_accounts", "build_problem"]
