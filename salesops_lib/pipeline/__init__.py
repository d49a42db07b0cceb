"""Pipeline health: what changed in the pipeline, what slipped, what is stuck, what is wrong.

Every "as of" number reads :func:`salesops_lib.measures.state_as_of`; the path view and the
slips read the history rows themselves (:func:`history_rows`).
"""

from .conversion import (
    cohort_funnel,
    cumulative_incidence,
    flow_conversion,
    has_stage_dates,
    km_quantiles,
    stage_durations,
    stage_entries,
    stage_norms,
    stage_order,
    stuck_deals,
)
from .coverage import coverage
from .hygiene import RULES, audit, quality_score
from .narrative import (
    coverage_table,
    exceptions_table,
    flow_table,
    group_table,
    headline,
    history_note,
    kpi_cards,
    main_waterfall,
    path_table,
    quality_table,
    reading_coverage,
    reading_funnel,
    reading_hygiene,
    reading_slips,
    reading_stuck,
    reading_waterfall,
    report_windows,
    rules_table,
    slip_table,
    stuck_table,
    windows_table,
)
from .plots import plot_funnel, plot_rep_slips, plot_stage_days, plot_waterfall
from .slips import deal_slips, rep_slip_rates, slip_probability
from .sql import waterfall_query, waterfall_sql
from .waterfall import (
    BUCKETS,
    ORDER,
    PRECEDENCE,
    classify,
    close_window,
    history_rows,
    reconciles,
    waterfall,
    waterfall_path,
)

__all__ = [n for n in dir() if not n.startswith("_")]
