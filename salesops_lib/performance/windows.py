"""Periods and quotas on a month grid for the runs of periods that consistency and ramp judge:
the last period over, the first one the data observe whole, a window of periods between.

Split from :mod:`.consistency`, which re-exports every call (``consistency.window`` etc.).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..data import Dataset
from ..measures import bookings_start, report_date
from ..measures import monthly_quota as _monthly_quota
from ..periods import Period, period_containing


def _mi(ts) -> np.ndarray:
    """Month index year·12 + month − 1 (vectorised)."""
    d = pd.to_datetime(pd.Series(ts))
    return (d.dt.year * 12 + d.dt.month - 1).to_numpy()


def known_until(ds: Dataset, as_of=None) -> pd.Timestamp:
    """The day an "as of" view ends: ``as_of`` (a date; its end of day), never after the data's
    own as-of date (nothing later is known); ``ds.as_of`` when None."""
    data = pd.Timestamp(ds.as_of).normalize()
    return data if as_of is None else min(pd.Timestamp(as_of).normalize(), data)


def last_complete(ds: Dataset, kind: str = "quarter", as_of=None) -> Period:
    """The last period of ``kind`` that ended on or before ``as_of`` (:func:`known_until`:
    default ``ds.as_of``)."""
    t = known_until(ds, as_of)
    cur = period_containing(t, kind, ds.fiscal_start_month)
    return cur if cur.end <= t else cur.previous()


def _as_kind(ds: Dataset, end, kind: str) -> Period:
    """``end`` as a period of ``kind``: itself, or the one holding its last day."""
    last = Period.parse(end, ds.fiscal_start_month)
    return last if last.kind == kind else period_containing(last.end, kind,
                                                            ds.fiscal_start_month)


def judged_end(ds: Dataset, end=None, kind: str = "quarter") -> Period:
    """The last period of ``kind`` a consistency window judges when it is asked to end with
    ``end``: ``end``'s period of ``kind`` (a year ends with its last quarter) when it is over by
    its report date (:func:`salesops_lib.measures.report_date`), else the last one that is
    (:func:`last_complete`). A quarter in progress is not a quarter below quota: its bookings
    are still coming in and its months after the as-of date have none yet."""
    if end is None:
        return last_complete(ds, kind)
    last = _as_kind(ds, end, kind)
    return last if report_date(ds, last) >= last.end else last_complete(ds, kind)


def first_whole(ds: Dataset, kind: str = "quarter") -> Period | None:
    """The first period of ``kind`` whose bookings the data observe in full: the one starting
    on :func:`salesops_lib.measures.bookings_start` (the month of the first close), else the
    next one. The public Maven export closes deals from 1 Mar 2017: its 2016-Q4 and 2017-Q1
    are not quarters without bookings, so its first whole quarter is 2017-Q2. None without a
    deal."""
    start = bookings_start(ds)
    if pd.isna(start):
        return None
    p = period_containing(start, kind, ds.fiscal_start_month)
    return p if p.start >= start else p.shift(1)


def window(ds: Dataset, end=None, periods: int | None = 8, kind: str = "quarter") -> list[Period]:
    """Up to ``periods`` consecutive periods of ``kind`` ending with ``end`` (default: the
    last complete one), never starting before :func:`first_whole`: a period before the data
    observe bookings would count as a zero, and one they observe in part as a poor period,
    both inflating every swing. ``periods=None``: every whole period up to ``end``. Without a
    whole period up to ``end``, ``end`` alone."""
    last = _as_kind(ds, end, kind) if end is not None else last_complete(ds, kind)
    first = first_whole(ds, kind)
    if first is None or first.start > last.start:
        first = last
    step = {"year": 12, "quarter": 3, "month": 1}[kind]
    gap = (last.start.year - first.start.year) * 12 + last.start.month - first.start.month
    available = gap // step + 1
    periods = available if periods is None else max(1, min(int(periods), available))
    return [last.shift(-i) for i in range(periods - 1, -1, -1)]


def monthly_quota(ds: Dataset) -> pd.DataFrame:
    """Each rep's quota per calendar month: :func:`salesops_lib.measures.monthly_quota` on
    the data set (the one quota rule, hires prorated). Returns ``rep_id``, ``month``
    (year·12 + month − 1), ``quota``."""
    return _monthly_quota(ds.quotas, ds.fiscal_start_month, ds.reps)
