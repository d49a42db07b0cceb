"""Optimise a territory alignment: the stable entry point :func:`optimize` and its result.

:func:`solve` builds the problem (:mod:`salesops_lib.territory.problem`), runs the exact MILP
or the scalable search (:mod:`salesops_lib.territory.solver`,
:mod:`salesops_lib.territory.search`) and returns a :class:`Solution`: the assignment frame
plus the solver's status, gap and bound as plain attributes. :func:`optimize` returns just
the assignment frame, with the same facts in ``DataFrame.attrs`` for older code (pandas drops
``attrs`` on merge and concat; keep the :class:`Solution` when they matter).
"""

from __future__ import annotations

import dataclasses
import time

import pandas as pd

from . import search, solver
from .problem import balance_measures, build_problem, diagnose, precheck


@dataclasses.dataclass(frozen=True)
class Solution:
    """What :func:`solve` found.

    Attributes
    ----------
    assignment : DataFrame
        ``account_id`` (or the ``units`` column), ``rep_id``.
    status : str
        ``optimal`` (MILP proven), ``time_limit`` (MILP stopped with an incumbent),
        ``feasible`` (every constraint met, optimality not proven) or ``band_not_met`` (the
        search ran out of time with some territory outside the balance band).
    method : str
        ``milp``, ``lp+local``, ``greedy+local`` or ``prices+local`` (band prices, for very
        large instances: :mod:`salesops_lib.territory.prices`).
    objective, bound : float
        Potential-weighted travel (potential·km) of the alignment, and a lower bound on it.
    gap : float
        :math:`(\\mathrm{objective} - \\mathrm{bound}) / \\mathrm{objective}`; only a proof
        of quality when ``bound_valid``.
    bound_valid : bool
        The bound holds for the whole problem (MILP bound, or an LP priced over every rep).
    seconds : float
    units, balance_on, tolerance, max_disruption, potential_basis, notes, stages
        The settings, where potential came from, remarks, and the search's stages (e.g. the
        first pass's violation and the rounds that followed).
    travel : bool
        Whether the objective measured travel (False when the data has no coordinates: the
        alignment then only meets the balance band and the other constraints).
    """

    assignment: pd.DataFrame
    status: str
    method: str
    objective: float
    bound: float
    gap: float
    bound_valid: bool
    seconds: float
    units: str | None = None
    balance_on: tuple = ("potential",)
    tolerance: float = 0.05
    max_disruption: float | None = None
    potential_basis: str = "potential"
    notes: tuple = ()
    stages: dict = dataclasses.field(default_factory=dict)
    travel: bool = True

    @property
    def band_met(self) -> bool:
        """Every territory within the balance band (and every other constraint met)."""
        return self.status in ("optimal", "time_limit", "feasible")

    def facts(self) -> dict:
        """Everything but the assignment, as a plain dict (what ``optimize(...).attrs`` holds)."""
        out = {f.name: getattr(self, f.name) for f in dataclasses.fields(self) if f.name != "assignment"}
        out.update(balance_on=list(self.balance_on), notes=list(self.notes), stages=dict(self.stages))
        return out

    def frame(self) -> pd.DataFrame:
        """A copy of the assignment with :meth:`facts` in ``attrs`` (the :func:`optimize` result)."""
        out = self.assignment.copy()
        out.attrs.update(self.facts())
        return out


def optimize(ds, balance_on="potential", tolerance: float = 0.05, max_disruption: float | None = None,
             locked=None, units: str | None = None, adjacency: pd.DataFrame | None = None, *,
             reps=None, method: str = "auto", time_limit: float = 30.0,
             disruption_on: str = "accounts", disruption_penalty_km: float = 0.0,
             capacity_unit: str = "fte", exact_max_vars: int = 2500) -> pd.DataFrame:
    """Optimise an alignment: least potential-weighted travel within a balance band.

    Returns the assignment frame of :func:`solve` (same parameters), with the solver's
    facts (:meth:`Solution.facts`) in ``attrs``.
    """
    sol = solve(ds, balance_on, tolerance, max_disruption, locked, units, adjacency, reps=reps,
                method=method, time_limit=time_limit, disruption_on=disruption_on,
                disruption_penalty_km=disruption_penalty_km, capacity_unit=capacity_unit,
                exact_max_vars=exact_max_vars)
    return sol.frame()


def solve(ds, balance_on="potential", tolerance: float = 0.05, max_disruption: float | None = None,
          locked=None, units: str | None = None, adjacency: pd.DataFrame | None = None, *,
          reps=None, method: str = "auto", time_limit: float = 30.0,
          disruption_on: str = "accounts", disruption_penalty_km: float = 0.0,
          capacity_unit: str = "fte", exact_max_vars: int = 2500) -> Solution:
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
    Solution
        ``.assignment`` (``account_id`` or ``units``, ``rep_id``) and ``.status``
        (``optimal``, ``time_limit``, ``feasible``, ``band_not_met``), ``.method``,
        ``.objective`` and ``.bound`` (potential·km), ``.gap`` = (objective − bound)/objective
        against the MILP bound or the LP bound (``.bound_valid`` says the LP bound was priced
        over all reps), ``.seconds``, the settings, ``.potential_basis``, ``.notes``,
        ``.stages``. Empty strings for ``locked`` and ``units`` mean none.

    Raises
    ------
    InfeasibleError
        When no alignment can meet the settings; the message names the constraint and the
        value it needs (e.g. "Los Angeles County alone holds 1.6× the mean potential ...").
    """
    t0 = time.perf_counter()
    units = units or None
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
            lp = solver.run_lp(p)[0]
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
    return Solution(out, res.status, res.method, res.objective, res.bound, res.gap,
                    bool(res.bound_valid), time.perf_counter() - t0, units or None,
                    tuple(balance_measures(balance_on)), float(tolerance), max_disruption,
                    p.measure_label.get("potential", "potential"), tuple(notes), dict(res.stages),
                    p.has_travel)
