"""Pipeline health: what changed in the pipeline, what slipped, what is stuck, what is wrong.

Every "as of" number reads :func:`salesops_lib.measures.state_as_of`; the path view and the
slips read the history rows themselves (:func:`history_rows`).
"""

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
