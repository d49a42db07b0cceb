"""Rep performance: who is really performing, how consistently, and why.

Every call is a pure function of a :class:`~salesops_lib.data.Dataset` (or of a frame made by
another call here). Definitions are written as formulas in each module's docstrings; shared
ones (quota for a period, report date) come from :mod:`salesops_lib.measures`.
"""

from ..measures import UNASSIGNED, quota_for_period
from . import consistency
from .consistency import (
                          consistency_table,
                          last_complete,
                          monthly_quota,
                          period_bookings,
                          plot_consistency,
                          plot_ramp,
                          ramp,
                          ramp_months,
                          ramp_time,
                          reading_consistency,
                          reading_ramp,
                          window,
)
from .cycle import cycle_by, cycle_durations, cycle_km, km_curve, reading_cycle_by
from .drivers import (
                          GAP_COMPONENTS,
                          REFERENCE_LABEL,
                          gap_decomposition,
                          potential_adjusted,
                          potential_model,
                          territory_drivers,
                          top_bottom,
                          velocity,
)
from .executive import (
                          ATTAINMENT_RAG,
                          COVERAGE_RAG,
                          by_team,
                          monthly_bookings,
                          org_headline,
                          org_kpi_cards,
                          org_readings,
                          org_totals,
                          outlook_period,
                          pace,
                          pipeline_outlook,
                          plot_monthly_bookings,
                          plot_team_bookings,
                          team_reading,
                          team_table,
                          team_totals,
                          window_totals,
)
from .narrative import (
                          leaderboard_table,
                          reading_attainment,
                          reading_cycle,
                          reading_gap,
                          reading_leaderboard,
                          reading_residuals,
                          rep_headline,
                          rep_kpi_cards,
                          rollup_table,
                          team_heading,
)
from .plots import (
                          plot_attainment,
                          plot_cycle_km,
                          plot_funnel,
                          plot_gap,
                          plot_leaderboard,
                          plot_residuals,
)
from .scorecard import (
                          P_ALL,
                          REP_ATTRIBUTES,
                          SCORECARD_COLUMNS,
                          attainment_rollup,
                          deals_with_keys,
                          gini,
                          not_yet_hired,
                          of_team,
                          scorecard,
                          scorecard_history,
                          subset,
                          to_long,
)
from .verdicts import FDR, VERDICTS, funnel_limits, leaderboard, win_rate_verdicts
from .winrates import fit_beta_prior, shrink_win_rate, wilson_interval

__all__ = [n for n in dir() if not n.startswith("_")]
