"""Fiscal periods: years, quarters and months on a configurable fiscal calendar.

A period is written the way sales teams write it:

* ``"2026"``     a fiscal year,
* ``"2026-Q3"``  a fiscal quarter,
* ``"2026-09"``  a calendar month (months are the same on every fiscal calendar).

Fiscal years are named after the calendar year in which they **end**: with a fiscal year
starting in February (``fiscal_start_month=2``), FY2026 runs 2025-02-01 .. 2026-01-31 and
its Q1 is February to April 2025. With the default ``fiscal_start_month=1`` fiscal and
calendar years coincide.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import pandas as pd

_YEAR = re.compile(r"^(?:FY)?(\d{4})$")
_QUARTER = re.compile(r"^(?:FY)?(\d{4})-?Q([1-4])$")
_MONTH = re.compile(r"^(\d{4})-(\d{2})$")


class PeriodError(ValueError):
    """A period label that cannot be understood."""


@dataclass(frozen=True)
class Period:
    """One fiscal period.

    Attributes
    ----------
    label : str
        Canonical label (``"2026"``, ``"2026-Q3"``, ``"2026-09"``).
    kind : str
        ``"year"``, ``"quarter"`` or ``"month"``.
    start : pandas.Timestamp
        First day of the period (inclusive).
    end : pandas.Timestamp
        Last day of the period (inclusive).
    fiscal_start_month : int
        Month (1-12) in which the fiscal year starts.
    """

    label: str
    kind: str
    start: pd.Timestamp
    end: pd.Timestamp
    fiscal_start_month: int = 1

    @classmethod
    def parse(cls, text: str | Period, fiscal_start_month: int = 1) -> Period:
        """Parse ``"2026"``, ``"FY2026"``, ``"2026-Q3"`` or ``"2026-09"``.

        Raises
        ------
        PeriodError
            If the label matches none of the forms, or the month is out of range.
        """
        if isinstance(text, Period):
            return text
        if not 1 <= int(fiscal_start_month) <= 12:
            raise PeriodError(f"fiscal_start_month must be 1..12, got {fiscal_start_month}")
        s = str(text).strip().upper()
        if m := _YEAR.match(s):
            year = int(m.group(1))
            start = _fiscal_year_start(year, fiscal_start_month)
            return cls(str(year), "year", start, start + pd.DateOffset(years=1) - pd.Timedelta(days=1),
                       fiscal_start_month)
        if m := _QUARTER.match(s):
            year, q = int(m.group(1)), int(m.group(2))
            start = _fiscal_year_start(year, fiscal_start_month) + pd.DateOffset(months=3 * (q - 1))
            return cls(f"{year}-Q{q}", "quarter", start,
                       start + pd.DateOffset(months=3) - pd.Timedelta(days=1), fiscal_start_month)
        if m := _MONTH.match(s):
            year, month = int(m.group(1)), int(m.group(2))
            if not 1 <= month <= 12:
                raise PeriodError(f"month {month} out of range in period {text!r}")
            start = pd.Timestamp(year=year, month=month, day=1)
            return cls(f"{year}-{month:02d}", "month", start,
                       start + pd.DateOffset(months=1) - pd.Timedelta(days=1), fiscal_start_month)
        raise PeriodError(
            f"cannot read period {text!r}: use a fiscal year '2026', a quarter '2026-Q3' "
            "or a month '2026-09'"
        )

    # -- navigation -------------------------------------------------------------------------
    def shift(self, n: int) -> Period:
        """The period ``n`` steps later (negative: earlier) of the same kind."""
        months = {"year": 12, "quarter": 3, "month": 1}[self.kind] * n
        return period_containing(self.start + pd.DateOffset(months=months), self.kind,
                                 self.fiscal_start_month)

    def previous(self) -> Period:
        """The period immediately before this one."""
        return self.shift(-1)

    def last_year(self) -> Period:
        """The same period one fiscal year earlier."""
        return self.shift(-{"year": 1, "quarter": 4, "month": 12}[self.kind])

    def contains(self, dates: pd.Series) -> pd.Series:
        """Boolean mask: which ``dates`` fall inside the period (NaT is outside)."""
        d = pd.to_datetime(dates)
        return (d >= self.start) & (d <= self.end)

    def months(self) -> list[Period]:
        """The calendar months that make up this period, in order."""
        out, cur = [], self.start
        while cur <= self.end:
            out.append(period_containing(cur, "month", self.fiscal_start_month))
            cur = cur + pd.DateOffset(months=1)
        return out

    @property
    def days(self) -> int:
        """Length of the period in days."""
        return int((self.end - self.start).days) + 1

    def __str__(self) -> str:
        return self.label


def month_of_quarter(dates, fiscal_start_month: int = 1) -> np.ndarray:
    """Which month of its fiscal quarter each date falls in: 1, 2 or 3 (0 for NaT)."""
    d = pd.DatetimeIndex(pd.to_datetime(np.asarray(dates, dtype="M8[ns]")))
    m = (d.month.to_numpy(float) - fiscal_start_month) % 3 + 1
    return np.where(np.isnan(m), 0, m).astype(int)


def _fiscal_year_start(year: int, fiscal_start_month: int) -> pd.Timestamp:
    # FY named by the calendar year in which it ends: FY2026 with a February start
    # begins on 2025-02-01.
    if fiscal_start_month == 1:
        return pd.Timestamp(year=year, month=1, day=1)
    return pd.Timestamp(year=year - 1, month=fiscal_start_month, day=1)


def period_containing(date, kind: str = "quarter", fiscal_start_month: int = 1) -> Period:
    """The fiscal period of ``kind`` (``year``/``quarter``/``month``) that contains ``date``."""
    d = pd.Timestamp(date)
    if kind == "month":
        return Period.parse(f"{d.year}-{d.month:02d}", fiscal_start_month)
    offset = (d.month - fiscal_start_month) % 12          # months since the fiscal year began
    fy_start_year = d.year if d.month >= fiscal_start_month else d.year - 1
    fy = fy_start_year if fiscal_start_month == 1 else fy_start_year + 1
    if kind == "year":
        return Period.parse(str(fy), fiscal_start_month)
    if kind == "quarter":
        return Period.parse(f"{fy}-Q{offset // 3 + 1}", fiscal_start_month)
    raise PeriodError(f"unknown period kind {kind!r}: use 'year', 'quarter' or 'month'")


def window_bounds(window, fiscal_start_month: int = 1) -> tuple[pd.Timestamp, pd.Timestamp]:
    """First and last day (both inclusive, at midnight) of ``window``.

    ``window`` is two dates ``(start, end)``, each normalised to its day, or a fiscal period
    (a label such as ``"2026-Q3"`` or a :class:`Period`), giving ``(start(P), end(P))``.
    """
    if isinstance(window, tuple):
        lo, hi = (pd.Timestamp(x).normalize() for x in window)
        return lo, hi
    P = Period.parse(window, fiscal_start_month)
    return P.start, P.end


def fiscal_labels(dates: pd.Series, kind: str = "quarter", fiscal_start_month: int = 1) -> pd.Series:
    """Vectorised fiscal period label (``"2026-Q3"``, ``"2026"``, ``"2026-09"``) for each date.

    NaT stays missing. Uses no Python loop per row.
    """
    d = pd.to_datetime(dates)
    if kind == "month":
        return d.dt.strftime("%Y-%m").where(d.notna())
    offset = (d.dt.month - fiscal_start_month) % 12
    fy = d.dt.year.where(d.dt.month >= fiscal_start_month, d.dt.year - 1)
    if fiscal_start_month != 1:
        fy = fy + 1
    fy_txt = fy.astype("Int64").astype(str)
    if kind == "year":
        return fy_txt.where(d.notna())
    if kind == "quarter":
        q = (offset // 3 + 1).astype("Int64").astype(str)
        return (fy_txt + "-Q" + q).where(d.notna())
    raise PeriodError(f"unknown period kind {kind!r}: use 'year', 'quarter' or 'month'")
