"""Territory design: measure an alignment of accounts to reps, and optimise a better one.

Entry points (stable, see ``DESIGN.md``):

* :func:`evaluate` ``(ds, assignment)`` -> :class:`Evaluation` ``(territories, summary)``;
* :func:`optimize` ``(ds, balance_on="potential", tolerance=0.05, max_disruption=None,
  locked=None, units=None, adjacency=None)`` -> assignment frame ``account_id → rep_id``
  (``unit → rep_id`` when ``units`` is given) with the solver's ``status``, ``gap`` and more in
  ``.attrs``; :func:`solve` (same arguments) returns them in a :class:`Solution` object that
  survives merges.

:func:`optimize` and its :class:`Solution` live in :mod:`salesops_lib.territory.optimize`,
planning helpers in :mod:`salesops_lib.territory.plan` (sizing, hiring what-if, export, what a
rep loses), the page's sentences and display tables in :mod:`salesops_lib.territory.narrative`;
all are re-exported here. Maps are in :mod:`salesops_lib.territory.maps`.

Definitions used throughout
---------------------------
potential
    ``accounts.potential`` (missing = 0). A data set without any potential uses
    ``annual_revenue``, and without that one unit per account (``attrs["potential_basis"]`` of
    :func:`evaluate`'s territories, ``Review.potential_basis``; the page says which).
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

from typing import NamedTuple

import numpy as np
import pandas as pd
import scipy.sparse as sp
from scipy.sparse.csgraph import connected_components

from .geo import group_centroids, haversine_km
from .optimize import Solution, optimize, solve
from .problem import (  # noqa: F401
    DEFAULT_HOURS,
    MEASURES,
    SEGMENT_HOURS,
    account_potential,
    account_workload,
    adjacency_matrix,
    balance_measures,
    band_pct,
    build_problem,
    capacity_shares,
    diagnose,
    home_bases,
    parse_ids,
    precheck,
    rep_frame,
    rep_labels,
    to_accounts,
    unit_keys,
)
from .solver import InfeasibleError

__all__ = [
    "Evaluation",
    "InfeasibleError",
    "Solution",
    "account_potential",
    "account_workload",
    "current_alignment",
    "evaluate",
    "map_frame",
    "optimize",
    "scope",
    "solve",
]


# --------------------------------------------------------------------------------------------
# account measures
# --------------------------------------------------------------------------------------------
def scope(ds, role: str | None = None, reps=None):
    """The data set narrowed to one sales motion: reps of ``role`` (or the ``reps`` ids) and
    the accounts they own today, plus accounts nobody owns.

    E.g. ``scope(ds, role="field")`` designs field territories while inside reps keep theirs.
    ``None`` for both returns ``ds`` unchanged. Data with no rep roles at all (e.g. the Maven
    export) keeps every rep (:func:`scope_note` says so on the page); a role that matches no
    rep where others have roles is a ``ValueError`` naming the roles there are.
    """
    import dataclasses

    if not role and reps is None:
        return ds
    r = ds.reps
    keep = pd.Series(True, index=r.index)
    if role and not has_roles(ds):
        # a source without any rep roles (e.g. the Maven export): every rep takes part
        role = None
        if reps is None:
            return ds
    if role:
        if "role" not in r or not (r["role"].astype("string") == role).any():
            raise ValueError(f"no reps with role {role!r}; roles are "
                             f"{sorted(r['role'].dropna().unique()) if 'role' in r else []}")
        keep &= r["role"].astype("string") == role
    if reps is not None:
        keep &= r["rep_id"].astype(str).isin(parse_ids(reps))
    r = r[keep]
    owner = ds.accounts["owner_rep_id"]
    acc = ds.accounts[owner.isna() | owner.astype("string").isin(r["rep_id"])]
    opp = ds.opportunities[ds.opportunities["account_id"].isin(acc["account_id"])]
    return dataclasses.replace(ds, accounts=acc.reset_index(drop=True), reps=r.reset_index(drop=True),
                               opportunities=opp.reset_index(drop=True), _fingerprint=[])


def has_roles(ds) -> bool:
    """Whether any rep has a ``role`` (a source without roles gives every rep a territory)."""
    return "role" in ds.reps and bool(ds.reps["role"].notna().any())


def has_geography(ds) -> bool:
    """Whether any account has ``latitude``/``longitude`` (needed for maps and travel)."""
    acc = ds.accounts
    if "latitude" not in acc or "longitude" not in acc:
        return False
    lat = pd.to_numeric(acc["latitude"], errors="coerce")
    lon = pd.to_numeric(acc["longitude"], errors="coerce")
    return bool((lat.notna() & lon.notna()).any())


def has_owners(ds) -> bool:
    """Whether any account has an owner today (``owner_rep_id``)."""
    return "owner_rep_id" in ds.accounts and bool(ds.accounts["owner_rep_id"].notna().any())


def current_alignment(ds) -> pd.DataFrame:
    """Today's alignment: ``account_id``, ``rep_id`` from ``accounts.owner_rep_id``."""
    return pd.DataFrame({"account_id": ds.accounts["account_id"].astype(str).to_numpy(),
                         "rep_id": ds.accounts["owner_rep_id"].astype("string").to_numpy()})


# --------------------------------------------------------------------------------------------
# evaluate
# --------------------------------------------------------------------------------------------
class Evaluation(NamedTuple):
    """Result of :func:`evaluate`: one row per territory, and one summary Series."""

    territories: pd.DataFrame
    summary: pd.Series


def _balance_stats(x: np.ndarray, share: np.ndarray, prefix: str) -> dict:
    """Balance of loads ``x`` against capacity-scaled targets :math:`T_r = s_r \\sum x / R`."""
    R = len(x)
    mu = x.mean() if R else np.nan
    keys = ("max_over_mean", "min_over_mean", "max_over_min", "cv", "share_within_10pct",
            "max_deviation")
    if not R or not mu > 0:
        return {f"{prefix}_{k}": np.nan for k in keys}
    y = x / (mu * share)                  # each territory's load over its own target
    return {f"{prefix}_max_over_mean": y.max(), f"{prefix}_min_over_mean": y.min(),
            f"{prefix}_max_over_min": y.max() / y.min() if y.min() > 0 else np.inf,
            f"{prefix}_cv": float(np.sqrt(np.mean((y - 1) ** 2))),
            f"{prefix}_share_within_10pct": float((np.abs(y - 1) <= 0.10 + 1e-12).mean()),
            f"{prefix}_max_deviation": float(np.abs(y - 1).max())}


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
        How ``reps.capacity`` reads (see :func:`optimize`). With FTE every balance figure is
        measured against each rep's capacity-scaled target, the same targets the optimiser
        balances to (:func:`capacity_shares`): :math:`T_r = s_r \\bar P`,
        :math:`s_r = \\mathrm{cap}_r / \\overline{\\mathrm{cap}}` (all 1 when every rep has the same
        capacity, or with ``"hours"``). ``utilization`` is
        :math:`W_r / (\\mathrm{cap}_r \\sum W / \\sum \\mathrm{cap})` for FTE (1.0 = the rep's
        fair share of workload) and :math:`W_r / \\mathrm{cap}_r` for hours; ``over_capacity``
        counts territories with utilization above 1 (hours) or 1.10 (FTE).

    Returns
    -------
    Evaluation
        ``territories``: ``rep_id``, ``rep_name``, ``rep_label`` (the name, told apart when
        two reps share one: :func:`rep_labels`), ``accounts``, ``potential``, ``workload``,
        ``bookings``, ``travel_km``, ``radius_km``, ``capacity``, ``capacity_share``
        (:math:`s_r`), ``target_potential`` (:math:`T_r`), ``potential_index``
        (:math:`P_r / T_r`), ``target_workload``, ``workload_index``, ``utilization``,
        ``accounts_gained``, ``accounts_lost``, ``contiguous``.

        ``summary`` (Series), for territory loads :math:`P_r` over targets :math:`T_r`
        (:math:`y_r = P_r / T_r`; with equal capacities :math:`T_r = \\bar P`):

        * ``balance_max_over_mean`` :math:`= \\max_r y_r`, ``balance_min_over_mean``
          :math:`= \\min_r y_r`, ``balance_max_over_min`` :math:`= \\max_r y_r / \\min_r y_r`
          (per FTE: largest over smallest territory);
        * ``balance_cv`` :math:`= \\sqrt{\\frac1R \\sum_r (y_r - 1)^2}` (the coefficient of
          variation :math:`\\sigma(P)/\\bar P` when capacities are equal);
        * ``share_within_10pct`` :math:`= \\#\\{r : |y_r - 1| \\le 0.1\\} / R`;
        * ``max_deviation`` :math:`= \\max_r |y_r - 1|`: the band every territory is within;
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
        * ``accounts``, ``unassigned_accounts``, ``territories``, ``over_capacity``;
        * ``capacity_scaled``: 1 when targets differ by capacity (some rep is not average).
    """
    acc = ds.accounts
    rep_of = to_accounts(ds, assignment, units)
    base = (to_accounts(ds, baseline) if baseline is not None
            else acc["owner_rep_id"].astype("string"))
    pot, basis = account_potential(acc)
    pot = pot.to_numpy(float)
    work = account_workload(acc).to_numpy(float)
    rt = rep_frame(ds, reps)
    ids = set(rep_of.dropna().astype(str))
    if reps is not None:
        ids |= set(rt["rep_id"])
    ids = np.array(sorted(ids), dtype=object)
    known = pd.Index(rt["rep_id"])
    extra = [r for r in ids if r not in known]
    if extra:
        more = rep_frame(ds).set_index("rep_id").reindex(extra).reset_index()
        rt = pd.concat([rt, more], ignore_index=True)
    rt = rt.set_index("rep_id").reindex(ids).reset_index()
    R = len(ids)
    t = pd.Index(ids).get_indexer(rep_of.fillna("").to_numpy())
    lat, lon = acc["latitude"].to_numpy(float), acc["longitude"].to_numpy(float)
    hl, ho = home_bases(ds, rt, lat, lon, pot, acc["owner_rep_id"].astype(str).to_numpy())
    ok = t >= 0
    tt = np.where(ok, t, 0)
    clat, clon = group_centroids(lat[ok], lon[ok], pot[ok], t[ok], R)
    if R == 0:  # no territory at all (e.g. no account has an owner today)
        hl = ho = clat = clon = np.full(1, np.nan)
    d_home = haversine_km(lat, lon, hl[tt], ho[tt])
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
        from ..periods import Period
        won = won[Period.parse(period, ds.fiscal_start_month).contains(won["close_date"])]
    book_acc = won.groupby(won["account_id"].astype(str))["amount"].sum()
    bookings = acc["account_id"].astype(str).map(book_acc).fillna(0.0).to_numpy(float)
    moved = (rep_of.fillna("<none>") != base.fillna("<none>")).to_numpy()
    base_idx = pd.Index(ids).get_indexer(base.fillna("").to_numpy())
    cap = rt["capacity"].to_numpy(float)
    terr = pd.DataFrame({
        "rep_id": ids, "rep_name": rt["rep_name"].astype("string").to_numpy(),
        "rep_label": pd.Index(ids).map(_labels_for(ds, rt)).to_numpy(),
        "accounts": np.bincount(t[ok], minlength=R),
        "potential": np.bincount(t[ok], pot[ok], R),
        "workload": np.bincount(t[ok], work[ok], R),
        "bookings": np.bincount(t[ok], bookings[ok], R),
        "travel_km": travel, "radius_km": radius,
    })
    share = capacity_shares(cap, capacity_unit)
    terr["capacity"] = cap
    terr["capacity_share"] = share
    for m in ("potential", "workload"):
        mean = terr[m].mean() if R else np.nan
        terr[f"target_{m}"] = mean * share
        terr[f"{m}_index"] = terr[m] / terr[f"target_{m}"] if R and mean > 0 else np.nan
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
        key = unit_keys(acc, units or assignment.attrs.get("units"))
        uids = np.array(sorted(key.unique()), dtype=object)
        uix = pd.Index(uids).get_indexer(key)
        # a unit's territory: the rep holding most of its accounts (whole units have one)
        ut = pd.Series(t).groupby(uix).agg(lambda s: s.mode().iloc[0]).reindex(range(len(uids))).to_numpy()
        contig = territory_contiguity(adjacency_matrix(adjacency, uids), ut, R)
        terr["contiguous"] = pd.array(contig, dtype="boolean")
        contiguity = float(np.mean(contig)) if R else np.nan
    summary = {"territories": R, "accounts": len(acc), "unassigned_accounts": int((~ok).sum()),
               "potential_total": float(pot.sum()),
               "capacity_scaled": float(R > 0 and bool(np.any(np.abs(share - 1) > 1e-9)))}
    bal = _balance_stats(terr["potential"].to_numpy(float), share, "balance")
    summary.update(bal)
    summary["share_within_10pct"] = summary.pop("balance_share_within_10pct")
    summary["max_deviation"] = summary.pop("balance_max_deviation")
    summary.update(_balance_stats(terr["workload"].to_numpy(float), share, "workload"))
    summary.update({
        "travel_km": travel_all, "compactness_km": compact, "contiguity": contiguity,
        "disruption_accounts": float(moved.mean()) if len(moved) else 0.0,
        "disruption_potential": float(pot[moved].sum() / pot.sum()) if pot.sum() > 0 else 0.0,
        "accounts_moved": int(moved.sum()),
        "over_capacity": int((terr["utilization"] > limit + 1e-9).sum()),
    })
    terr.attrs["potential_basis"] = basis
    return Evaluation(terr, pd.Series(summary, dtype="float64"))


def _labels_for(ds, rt: pd.DataFrame) -> pd.Series:
    """Page names over every rep of the data set and ``rt`` (the same on every table)."""
    allr = pd.concat([rep_frame(ds), rt]).drop_duplicates("rep_id").reset_index(drop=True)
    return pd.Series(rep_labels(allr).to_numpy(), index=allr["rep_id"])


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


def map_frame(ds, assignment: pd.DataFrame, units: str | None = None) -> pd.DataFrame:
    """Tidy frame for maps: ``account_id``, ``latitude``, ``longitude``, ``potential``, ``rep_id``."""
    acc = ds.accounts
    pot, _ = account_potential(acc)
    return pd.DataFrame({"account_id": acc["account_id"].astype(str).to_numpy(),
                         "latitude": acc["latitude"].to_numpy(float),
                         "longitude": acc["longitude"].to_numpy(float),
                         "potential": pot.to_numpy(float),
                         "rep_id": to_accounts(ds, assignment, units).to_numpy()})


# planning helpers and the page's sentences live in their own modules (neither imports this one)
from .narrative import (
    Decision,
    compare,
    decision,
    disruption_note,
    kpi_cards,
    moved_table,
    proposal_notes,
    rep_table,
    risk_note,
    risk_table,
    scope_note,
    solver_note,
    territory_count_note,
    today_cards,
    travel_note,
    verdict,
)
from .plan import (
    Plan,
    alignment_table,
    at_risk,
    check_parameters,
    moved_accounts,
    place_new_reps,
    rep_changes,
    reps_needed,
    what_if,
    write_alignment,
)

__all__ += [
    "Decision",
    "Plan",
    "Review",
    "alignment_table",
    "at_risk",
    "build_problem",
    "check_parameters",
    "compare",
    "decision",
    "disruption_note",
    "has_geography",
    "has_owners",
    "has_roles",
    "kpi_cards",
    "moved_accounts",
    "moved_table",
    "place_new_reps",
    "proposal_notes",
    "rep_changes",
    "rep_table",
    "reps_needed",
    "review",
    "risk_note",
    "risk_table",
    "scope_note",
    "solver_note",
    "territory_count_note",
    "to_accounts",
    "today_cards",
    "travel_note",
    "verdict",
    "what_if",
    "write_alignment",
]


class Review(NamedTuple):
    """Everything the territory page shows about one proposal (see :func:`review`)."""

    plan: Plan                  # assignment, reps (with hires), solution
    today: Evaluation
    proposed: Evaluation
    changes: pd.DataFrame       # rep_changes(today, proposed)
    risk: pd.DataFrame          # at_risk(...): what each rep hands over
    moved: pd.DataFrame         # moved_accounts(...), largest first
    reps: pd.DataFrame          # every rep named on the page (today's and planned)
    decision: Decision
    tolerance: float            # the band the proposal was solved for (and the chart draws)
    balance_on: object
    threshold: float = 0.5
    widened: str | None = None  # why the band asked for was out of reach, when it was widened
    asked: float | None = None  # the band asked for (differs from ``tolerance`` when widened)
    potential_basis: str = "potential"  # what potential is (measures.account_potential)


def review(ds, period: str | None = None, *, add_reps: int = 0, remove_reps=None,
           balance_on="potential", tolerance: float = 0.05, max_disruption: float | None = None,
           locked=None, time_limit: float = 30.0, threshold: float = 0.5, **optimize_kwargs) -> Review:
    """Propose an alignment and judge it: :func:`what_if`, then :func:`evaluate` today and
    proposed (bookings of ``period``), :func:`rep_changes`, :func:`at_risk` (reps handing
    over more than ``threshold`` of their potential are flagged; open pipeline as of the
    period's report date) and :func:`decision`.

    ``max_disruption`` of 1 or more, or None, means no cap; ``""`` for ``locked`` and
    ``remove_reps`` means none.

    When one account alone is too large for the ±``tolerance`` band (no alignment can meet
    it), the proposal is solved for the tightest band that account allows, rounded up to a
    whole percent (:func:`band_pct`, as the message says it); ``widened`` says why, ``asked``
    keeps the band asked for and the decision rejects it.
    """
    cap = None if max_disruption is None or max_disruption >= 1 else max_disruption
    asked, widened = tolerance, None

    def solve(tol):
        return what_if(ds, add_reps=add_reps, remove_reps=remove_reps, balance_on=balance_on,
                       tolerance=tol, max_disruption=cap, locked=locked,
                       time_limit=time_limit, **optimize_kwargs)
    try:
        plan = solve(tolerance)
    except InfeasibleError as exc:
        need = getattr(exc, "min_tolerance", None)
        if need is None:
            raise
        tolerance = band_pct(need) / 100
        widened = str(exc)
        plan = solve(tolerance)
    today = evaluate(ds, current_alignment(ds), period=period)
    proposed = evaluate(ds, plan.assignment, period=period, reps=plan.reps)
    changes = rep_changes(today.territories, proposed.territories)
    risk = at_risk(ds, plan.assignment, period=period, threshold=threshold)
    moved = moved_accounts(ds, plan.assignment)
    reps = pd.concat([rep_frame(ds), rep_frame(ds, plan.reps)]).drop_duplicates("rep_id")
    reps["rep_label"] = reps["rep_id"].map(_labels_for(ds, plan.reps))
    dec = decision(today.summary, proposed.summary, risk, tolerance, cap, plan.solution, threshold)
    if widened:
        dec = Decision("reject", (
            f"Reject the ±{asked:.0%} band: no alignment can meet it on these data. {widened[0].upper()}"
            f"{widened[1:]} The proposal below is balanced to the tightest band that allows, "
            f"±{tolerance:.0%}."), "bad")
    return Review(plan, today, proposed, changes, risk, moved, reps.reset_index(drop=True), dec,
                  tolerance, balance_on, threshold, widened, asked,
                  today.territories.attrs.get("potential_basis", "potential"))
