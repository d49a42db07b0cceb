"""HiGHS, the one place the territory optimiser talks to it: load a model given as arrays,
solve it (warm-started when it ran before), read status, solution, bound and duals back.

Every model of the package — the transportation LP and the exact MILP of
:mod:`salesops_lib.territory.solver`, the diagnostics of
:mod:`salesops_lib.territory.problem`, the group MILPs of
:mod:`salesops_lib.territory.polish` — goes through :func:`load_highs` and
:func:`solve_highs` (or :func:`run_model`, both at once).
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp


def _highs():
    import highspy

    # the public wrapper prints a banner through its logging callback; the core class is silent
    cls = getattr(getattr(highspy, "_core", None), "_Highs", highspy.Highs)
    h = cls()
    h.setOptionValue("output_flag", False)
    return h


def load_highs(c, A, col_lo, col_hi, row_lo, row_hi, integer=None, *, start=None, **options):
    """A silent HiGHS instance holding the model: costs ``c``, constraint matrix ``A`` (stored
    column-wise), column and row bounds, ``integer`` flags per column (None: an LP), an
    optional starting solution ``start`` (one value per column) and HiGHS ``options``
    (e.g. ``mip_rel_gap=1e-4``; the default relative MIP gap is 1e-6)."""
    import highspy

    A = sp.csc_matrix(A)
    lp = highspy.HighsLp()
    lp.num_col_, lp.num_row_ = A.shape[1], A.shape[0]
    lp.col_cost_ = np.asarray(c, float)
    lp.col_lower_, lp.col_upper_ = np.asarray(col_lo, float), np.asarray(col_hi, float)
    lp.row_lower_, lp.row_upper_ = np.asarray(row_lo, float), np.asarray(row_hi, float)
    lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    lp.a_matrix_.start_ = A.indptr.astype(np.int32)
    lp.a_matrix_.index_ = A.indices.astype(np.int32)
    lp.a_matrix_.value_ = A.data.astype(float)
    lp.a_matrix_.num_col_, lp.a_matrix_.num_row_ = A.shape[1], A.shape[0]
    if integer is not None:
        lp.integrality_ = [highspy.HighsVarType.kInteger if b else highspy.HighsVarType.kContinuous
                           for b in integer]
    h = _highs()
    h.setOptionValue("mip_rel_gap", 1e-6)
    for key, value in options.items():
        h.setOptionValue(key, value)
    h.passModel(lp)
    if start is not None:
        sol = highspy.HighsSolution()
        sol.col_value = list(map(float, start))
        sol.value_valid = True
        h.setSolution(sol)
    return h


def solve_highs(h, integer=False, time_limit=None):
    """Run HiGHS (warm-started if it ran before). Returns (status, x, objective, bound, row_dual)."""
    import highspy

    if time_limit is not None:
        h.setOptionValue("time_limit", float(max(time_limit, 0.5)))
    h.run()
    ms = h.getModelStatus()
    info = h.getInfo()
    name = {highspy.HighsModelStatus.kOptimal: "optimal",
            highspy.HighsModelStatus.kInfeasible: "infeasible",
            highspy.HighsModelStatus.kUnboundedOrInfeasible: "infeasible",
            highspy.HighsModelStatus.kTimeLimit: "time_limit"}.get(ms, str(ms))
    has_x = info.primal_solution_status == 2
    sol = h.getSolution()
    x = np.asarray(sol.col_value) if has_x else None
    obj = info.objective_function_value if has_x else np.nan
    bound = info.mip_dual_bound if integer else obj
    duals = np.asarray(sol.row_dual) if (not integer and has_x) else None
    return name, x, obj, bound, duals


def run_model(c, A, col_lo, col_hi, row_lo, row_hi, integer=None, time_limit=None):
    """Load and solve once. Returns (status, x, objective, bound, row_dual)."""
    h = load_highs(c, A, col_lo, col_hi, row_lo, row_hi, integer)
    return solve_highs(h, integer is not None, time_limit)
