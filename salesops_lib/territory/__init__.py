"""Territory design: how fair and efficient is today's split of accounts, and a better one.

:func:`evaluate` measures an alignment, :func:`optimize` proposes one (HiGHS MILP or LP with a
local search), :mod:`.plan` sizes, plans what-ifs and exports, :mod:`.maps` draws.
"""

from ..measures import account_potential, account_workload
from . import maps
from .alignment import (
                        Evaluation,
                        current_alignment,
                        evaluate,
                        map_frame,
                        optimize,
                        scope,
                        to_accounts,
)
from .plan import (
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
from .problem import build_problem
from .solver import InfeasibleError

__all__ = [n for n in dir() if not n.startswith("_")]
