"""Bookings as series: what was won, when, and by whom, on the fiscal calendar.

:func:`bookings_series` turns a :class:`~salesops_lib.data.Dataset` into the long frame
(``unique_id``, ``ds``, ``y``) that :func:`salesops_lib.forecast.forecast` takes: won amounts
by day, week, month or fiscal quarter, overall or by any opportunity, rep or account column.
:func:`period_actuals` and :func:`quota` give the per-period totals forecasts are compared
with. All are re-exported by :mod:`salesops_lib.forecast`.
"""

from __future__ import annotations

import pandas as pd

from .. import measures
from ..measures import group_values
from ..periods import Period, fiscal_labels
from . import models as _models

GRANULARITY = {"day": "D", "week": "W", "month": "M", "quarter": "Q"}


# --------------------------------------------------------------------------------------------
# series from a Dataset
# --------------------------------------------------------------------------------------------
def bucket_start(dates: pd.Series, granularity: str, fiscal_start_month: int = 1) -> pd.Series:
    """First day of the day / week (Monday) / month / fiscal quarter containing each date."""
    d = pd.to_datetime(dates).dt.normalize()
    if granularity == "day":
        return d
    if granularity == "week":
        return d - pd.to_timedelta(d.dt.weekday, unit="D")
    if granularity == "month":
        return d.dt.to_period("M").dt.to_timestamp()
    if granularity == "quarter":
        idx = d.dt.year * 12 + d.dt.month - 1
        idx = idx - ((d.dt.month - fiscal_start_month) % 12) % 3
        return pd.to_datetime(pd.DataFrame({"year": idx // 12, "month": idx % 12 + 1, "day": 1}))
    raise ValueError(f"unknown granularity {granularity!r}: use day, week, month or quarter")


def group_column(ds, by: str) -> pd.Series:
    """Value of column ``by`` for every opportunity (index aligned with ``ds.opportunities``):
    :func:`salesops_lib.measures.group_values` (missing values read ``"(unassigned)"``)."""
    return group_values(ds, by)


def bookings_series(ds, granularity: str = "month", by: str | None = None, *, as_of=None,
                    complete: bool = True) -> pd.DataFrame:
    """Won bookings per period, overall or per group, as a long frame.

    Parameters
    ----------
    ds : Dataset
    granularity : {"day", "week", "month", "quarter"}
        Bucket size; quarters follow the data set's fiscal calendar.
    by : str, optional
        Group column (see :func:`group_column`); ``None`` gives one series ``"total"``.
    as_of : date, optional
        Only deals won on or before this date count (default ``ds.as_of``).
    complete : bool
        Drop the bucket containing ``as_of`` unless ``as_of`` is its last day (a half-month
        is not a month of bookings).

    Returns
    -------
    DataFrame
        ``unique_id`` (str), ``ds`` (bucket start), ``y`` (sum of ``amount``), a complete grid:
        every series has every bucket from the first booking to ``as_of``, zeros filled.
    """
    as_of = pd.Timestamp(ds.as_of if as_of is None else as_of).normalize()
    opp = ds.opportunities
    won = (opp["status"] == "won") & (opp["close_date"] <= as_of)
    fsm = ds.fiscal_start_month
    ids = group_column(ds, by)[won] if by else pd.Series("total", index=opp.index[won])
    frame = pd.DataFrame({"unique_id": ids.to_numpy(),
                          "ds": bucket_start(opp.loc[won, "close_date"], granularity, fsm),
                          "y": opp.loc[won, "amount"].astype(float).to_numpy()})
    if frame.empty:
        return pd.DataFrame({"unique_id": pd.Series(dtype=str), "ds": pd.Series(dtype="M8[ns]"),
                             "y": pd.Series(dtype=float)})
    sums = frame.groupby(["unique_id", "ds"], as_index=False)["y"].sum()
    last = bucket_start(pd.Series([as_of]), granularity, fsm).iloc[0]
    freq = GRANULARITY[granularity]
    if complete:
        nxt = last + _models.STEP[freq]
        if as_of < nxt - pd.Timedelta(days=1):
            last = last - _models.STEP[freq]
    grid_dates = pd.DatetimeIndex(
        bucket_start(pd.Series(pd.date_range(sums["ds"].min(), last, freq="D")), granularity,
                     fsm).unique())
    grid = pd.MultiIndex.from_product([sorted(sums["unique_id"].unique()), grid_dates],
                                      names=["unique_id", "ds"])
    out = sums.set_index(["unique_id", "ds"])["y"].reindex(grid, fill_value=0.0).reset_index()
    return out[out["ds"] <= last].reset_index(drop=True)


def period_actuals(ds, kind: str = "quarter", by: str | None = None, *, as_of=None):
    """Won bookings per fiscal period label (``period``, ``unique_id``, ``actual``)."""
    s = bookings_series(ds, {"quarter": "quarter", "month": "month", "year": "quarter"}[kind],
                        by, as_of=as_of, complete=False)
    s["period"] = fiscal_labels(s["ds"], kind, ds.fiscal_start_month)
    return s.groupby(["period", "unique_id"], as_index=False)["y"].sum().rename(
        columns={"y": "actual"})


def quota(ds, period: str | Period, by: str | None = None) -> pd.DataFrame:
    """Quota for ``period`` (``unique_id``, ``quota``) per group of a rep column, by the one
    quota rule of :func:`salesops_lib.measures.quota_by_group`; empty when ``by`` is not a
    rep column (a product or region has no quota of its own)."""
    try:
        return measures.quota_by_group(ds, period, by)
    except ValueError as exc:
        if "rep column" not in str(exc):
            raise
        return pd.DataFrame({"unique_id": pd.Series(dtype=str), "quota": pd.Series(dtype=float)})


# --------------------------------------------------------------------------------------------
# enough history to forecast from
# --------------------------------------------------------------------------------------------
#: Fewest complete buckets of bookings a forecast needs on its date (a replay before the
#: data's first bookings, or just after them, has nothing to forecast from and is skipped).
MIN_HISTORY = {"day": 28, "week": 8, "month": 3, "quarter": 2}


class NotForecastable(ValueError):
    """Too little history was known on the forecast's date (:data:`MIN_HISTORY`)."""


def forecast_date(ds, p: Period) -> pd.Timestamp:
    """The day a period is forecast from: its first day once it is over, else the data's."""
    return p.start if pd.Timestamp(ds.as_of) >= p.end else min(p.end, pd.Timestamp(ds.as_of))


def not_forecastable(ds, p: Period, granularity: str = "month", hist=None) -> str | None:
    """Why ``p`` cannot be forecast (fewer than :data:`MIN_HISTORY` complete buckets of
    bookings known on :func:`forecast_date`), or None when it can."""
    as_of = forecast_date(ds, p)
    hist = bookings_series(ds, granularity, as_of=as_of) if hist is None else hist
    need, n = MIN_HISTORY.get(granularity, 2), hist["ds"].nunique()
    made = "its first day" if pd.Timestamp(ds.as_of) >= p.end else "the report date"
    return None if n >= need else (
        f"{p.label} cannot be forecast: on {as_of:%d %b %Y} ({made}) the data held {n} complete "
        f"{granularity}{'' if n == 1 else 's'} of bookings, and the forecast needs at least "
        f"{need}; a later period can be forecast")
