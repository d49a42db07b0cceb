"""Quotas and pay plans: quota setting, fairness, the plan engine, plan cost and statements.

Start with :func:`payouts` (``payouts(ds, plan, period)``) or :func:`run` for the traced lines.
"""

from .cost import (
    CostSimulation,
    attainment_history,
    cost_backtest,
    pay_curve,
    period_pay,
    planning_date,
    sensitivity,
    simulate,
)
from .credit import apply_reversals, check_splits, credited, reversals, rollup
from .engine import evaluate
from .fairness import attainment_table, backtest_methods, fairness, gini, rank_correlation
from .narrative import (
    backtest_table,
    fairness_table,
    key_numbers,
    payouts_table,
    quota_table,
    reading_backtest,
    reading_cost,
    reading_cost_backtest,
    reading_fairness,
    reading_methods,
    sensitivity_table,
)
from .pay import PayRun, payouts, plan_periods, run
from .plan import SAMPLE_PLAN, Plan, PlanError, load_plan
from .plots import plot_cost, plot_fairness, plot_pay_curve, plot_quota_by_team
from .quotas import (
    METHODS,
    allocate,
    bottom_up,
    company_number,
    compare_methods,
    hold,
    known_before,
    method_weights,
    seasonality,
    split_year,
)
from .statements import next_tier, statement, statement_lines, statement_summary

__all__ = [
    "METHODS",
    "SAMPLE_PLAN",
    "CostSimulation",
    "PayRun",
    "Plan",
    "PlanError",
    "allocate",
    "apply_reversals",
    "attainment_history",
    "attainment_table",
    "backtest_methods",
    "backtest_table",
    "bottom_up",
    "check_splits",
    "company_number",
    "compare_methods",
    "cost_backtest",
    "credited",
    "evaluate",
    "fairness",
    "fairness_table",
    "gini",
    "hold",
    "key_numbers",
    "known_before",
    "load_plan",
    "method_weights",
    "next_tier",
    "pay_curve",
    "payouts",
    "payouts_table",
    "period_pay",
    "plan_periods",
    "planning_date",
    "plot_cost",
    "plot_fairness",
    "plot_pay_curve",
    "plot_quota_by_team",
    "quota_table",
    "rank_correlation",
    "reading_backtest",
    "reading_cost",
    "reading_cost_backtest",
    "reading_fairness",
    "reading_methods",
    "reversals",
    "rollup",
    "run",
    "seasonality",
    "sensitivity",
    "sensitivity_table",
    "simulate",
    "split_year",
    "statement",
    "statement_lines",
    "statement_summary",
]
