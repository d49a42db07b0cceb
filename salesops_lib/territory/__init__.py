"""Territory design: how fair and efficient is today's split of accounts, and a better one.

:func:`evaluate` measures an alignment against capacity-scaled targets, :func:`optimize` (or
:func:`solve`, with its :class:`Solution`) proposes one (HiGHS MILP, or LP with a local search,
recombination chains and a MILP polish), :func:`review` puts the page together; :mod:`.plan`
sizes, plans what-ifs and exports, :mod:`.narrative` says what it means, :mod:`.maps` draws.
"""

from . import maps
from .alignment import (
                        Decision,
                        Evaluation,
                        InfeasibleError,
                        Plan,
                        Review,
                        Solution,
                        account_potential,
                        account_workload,
                        alignment_table,
                        at_risk,
                        build_problem,
                        check_parameters,
                        compare,
                        current_alignment,
                        decision,
                        disruption_note,
                        evaluate,
                        has_geography,
                        has_owners,
                        has_roles,
                        kpi_cards,
                        map_frame,
                        moved_accounts,
                        moved_table,
                        optimize,
                        place_new_reps,
                        proposal_notes,
                        rep_changes,
                        rep_table,
                        reps_needed,
                        review,
                        risk_note,
                        risk_table,
                        scope,
                        scope_note,
                        solve,
                        solver_note,
                        territory_contiguity,
                        territory_count_note,
                        to_accounts,
                        today_cards,
                        travel_note,
                        verdict,
                        what_if,
                        write_alignment,
)

__all__ = [n for n in dir() if not n.startswith("_")]
