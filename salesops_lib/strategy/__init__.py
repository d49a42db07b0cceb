"""Sales strategy: which accounts field and inside reps should cover, at what cost.

Channel economics (:mod:`.economics`), the like-for-like field-vs-inside comparison
(:mod:`.comparison`), activity patterns (:mod:`.activities`), the coverage recommendation and
what-if (:mod:`.coverage`), charts (:mod:`.plots`) and the report's sentences and tables
(:mod:`.narrative`).
"""

from .activities import activity_rates, deal_activities, per_deal, response_curve, time_per_deal
from .comparison import COVARIATES, like_for_like
from .coverage import (
    TerritoryChange,
    moved_accounts,
    recommend,
    smallest_segment,
    territory_change,
    what_if,
)
from .economics import (
    ALL_REPS,
    Assumptions,
    Window,
    assumptions,
    closed_deals,
    economics,
    has_roles,
    rep_fte,
    size_band,
    window,
)
from .narrative import (
    comparison_table,
    economics_table,
    headline,
    kpi_cards,
    reading_activities,
    reading_comparison,
    reading_economics,
    reading_response,
    reading_segments,
    reading_territory,
    reading_time,
    reading_what_if,
    recommend_table,
    territory_table,
    what_if_table,
)
from .plots import (
    plot_activity_mix,
    plot_comparison,
    plot_motion_economics,
    plot_per_deal,
    plot_response,
    plot_segment_contribution,
    plot_what_if,
)

__all__ = [
    "ALL_REPS", "COVARIATES", "Assumptions", "TerritoryChange", "Window", "activity_rates",
    "assumptions", "closed_deals", "comparison_table", "deal_activities", "economics",
    "economics_table", "has_roles", "headline", "kpi_cards", "like_for_like", "moved_accounts",
    "per_deal", "plot_activity_mix", "plot_comparison", "plot_motion_economics", "plot_per_deal",
    "plot_response", "plot_segment_contribution", "plot_what_if", "reading_activities",
    "reading_comparison", "reading_economics", "reading_response", "reading_segments",
    "reading_territory", "reading_time", "reading_what_if", "recommend", "recommend_table",
    "rep_fte", "response_curve", "size_band", "smallest_segment", "territory_change", "territory_table",
    "time_per_deal", "what_if", "what_if_table", "window",
]
