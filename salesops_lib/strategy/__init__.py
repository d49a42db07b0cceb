"""Sales strategy: which accounts field and inside reps should cover, at what cost.

Channel economics (:mod:`.economics`), the like-for-like field-vs-inside comparison
(:mod:`.comparison`), activity patterns (:mod:`.activities`), the coverage recommendation and
what-if (:mod:`.coverage`), charts (:mod:`.plots`) and the report's sentences (:mod:`.narrative`).
"""

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

__all__ = ["ALL_REPS", "Assumptions", "Window", "assumptions", "closed_deals", "economics",
           "has_roles", "rep_fte", "size_band", "window"]
