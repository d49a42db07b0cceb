"""A :class:`~salesops_lib.data.warehouse.Warehouse` read where a Dataset is expected.

The analysis calls of the executive summary and rep performance take a lazy source as they
take a :class:`~salesops_lib.data.Dataset`: the small tables (accounts, reps, quotas) are
pandas frames, ``opportunities`` and ``opportunity_history`` are :class:`LazyTable` handles
(row count and columns only), and each call takes its SQL path (``ds.is_lazy``) through the
aggregates below, whose definitions are those of the in-memory code they stand for:

* :meth:`LazyMixin.window_totals`: deals closed in a window (``executive.window_totals``);
* :meth:`LazyMixin.state_totals`: deals per status as they stood on a date, due in a window;
* :meth:`LazyMixin.won_by_month`: won amount per group and calendar month
  (``consistency.period_bookings``);
* :meth:`LazyMixin.cycle_counts`: the Kaplan–Meier input, deals per (group, days, event)
  (``cycle.cycle_durations`` with a count ``n`` per row).
"""

from __future__ import annotations

import hashlib
import os
from operator import attrgetter
from typing import TYPE_CHECKING

import pandas as pd

from ..periods import window_bounds
from . import schemas

if TYPE_CHECKING:
    from .dataset import Dataset
    from .validation import HealthNote

#: DuckDB's memory limit for a lazy source unless ``SALESOPS_DUCKDB_MEMORY`` says otherwise:
#: DuckDB spills to disk beyond it, so a report on a file larger than memory stays bounded.
DEFAULT_MEMORY_LIMIT = "1GB"

#: ``load_dataset(url, lazy="auto")`` keeps a database source in the database when it holds
#: more opportunities than this (``SALESOPS_LAZY_ROWS`` overrides it).
LAZY_ROWS = 2_000_000


class LazyDataError(TypeError):
    """A computation asked for every row of a table that stays in the database."""


class LazyTable:
    """Stands for a table kept in the database: ``len()`` and ``columns`` only.

    Anything else (indexing, ``.loc``, methods of a DataFrame) raises :class:`LazyDataError`
    naming the table, so a code path without SQL support fails clearly, never silently.
    """

    def __init__(self, name: str, rows: int, columns: list[str]):
        self.name, self.rows, self.columns = name, int(rows), pd.Index(columns)

    def __len__(self) -> int:
        return self.rows

    @property
    def empty(self) -> bool:
        return self.rows == 0

    def __getitem__(self, key):
        raise LazyDataError(f"{self.name} stays in the database (lazy source): this computation "
                            "needs its rows in memory; load the data without lazy=True")

    def __getattr__(self, attr):
        if attr.startswith("__"):
            raise AttributeError(attr)
        return self[attr]          # raises LazyDataError


#: Dataset attributes a lazy source holds in memory: read from its ``small`` Dataset.
IN_MEMORY = ("accounts", "reps", "quotas", "activities", "stage_history")


class LazyMixin:
    """Dataset-like attributes and the extra aggregates of a Warehouse (see module doc)."""

    is_lazy = True
    seed = None
    small: Dataset
    # the attributes of IN_MEMORY, delegated to ``small`` (properties set below the class)
    accounts: pd.DataFrame
    reps: pd.DataFrame
    quotas: pd.DataFrame
    activities: pd.DataFrame
    stage_history: pd.DataFrame
    health: tuple[HealthNote, ...]

    # ----------------------------------------------------------------- Dataset-like surface
    @property
    def source(self) -> str:
        return self.shown + " (lazy: opportunities aggregated in the database)"

    @property
    def opportunities(self) -> LazyTable:
        return LazyTable("opportunities", self.n_opportunities, self._opp_columns())

    @property
    def opportunity_history(self) -> LazyTable:
        if not self.has_history:
            return self.small.opportunity_history
        if not hasattr(self, "_n_hist"):
            self._n_hist = int(self.query(
                f'select count(*) as n from "{self.names["opportunity_history"]}"')["n"].iloc[0])
        cols = list(self.query(f'select * from "{self.names["opportunity_history"]}" limit 0').columns)
        return LazyTable("opportunity_history", self._n_hist, cols)

    @property
    def tables(self) -> dict:
        return {t: getattr(self, t) for t in schemas.TABLES}

    def summary(self) -> pd.DataFrame:
        """Row counts per table: in memory, or counted in the database for a table it holds
        but does not load (activities, stage history)."""
        def rows(t):
            n = len(getattr(self, t))
            if n == 0 and t in getattr(self, "names", {}):
                n = int(self.query(f'select count(*) as n from "{self.names[t]}"')["n"].iloc[0])
            return n
        return pd.DataFrame({"table": list(schemas.TABLES), "rows": [rows(t) for t in schemas.TABLES]})

    @property
    def health(self) -> tuple:
        """The small tables' data-health notes, then the opportunities' ones counted in the
        database (the same rules as :func:`~salesops_lib.data.validation.health_notes`)."""
        if not hasattr(self, "_health"):
            from .validation import opportunity_notes

            a = f"'{pd.Timestamp(self.as_of):%Y-%m-%d}'"
            r = self.query(f"""select
                sum(case when status = 'open' and close_date < {a} then 1 else 0 end) as stale,
                sum(case when status = 'open' and close_date is null then 1 else 0 end) as undated,
                sum(case when status = 'won' and amount = 0 then 1 else 0 end) as zero,
                sum(case when created_date > {a} then 1 else 0 end) as later
                from "{self.names['opportunities']}" """).iloc[0].fillna(0).astype(int)
            notes = opportunity_notes(r.to_dict(), pd.Timestamp(self.as_of))
            self._health = tuple(notes) + tuple(self.small.health)
        return self._health

    def fingerprint(self) -> str:
        """A short hash of the small tables and of per-table counts and sums in the database
        (equal data give equal fingerprints; one pass over the large tables)."""
        if not hasattr(self, "_fp"):
            opp = self.names["opportunities"]
            s = self.query(f"""select count(*) as n, sum(amount) as a, min(created_date) as c0,
                max(created_date) as c1, max(close_date) as d1, count(distinct status) as s
                from "{opp}" """).iloc[0]
            h = hashlib.sha256(self.small.fingerprint().encode())
            h.update(repr(tuple(s)).encode())
            if self.has_history:
                t = self.query(f'select count(*) as n, sum(amount) as a, max(changed_at) as m '
                               f'from "{self.names["opportunity_history"]}"').iloc[0]
                h.update(repr(tuple(t)).encode())
            self._fp = h.hexdigest()[:16]
        return self._fp

    @property
    def first_created(self) -> pd.Timestamp:
        """The earliest ``created_date`` (NaT without deals)."""
        if not hasattr(self, "_first"):
            r = self.query(f'select min(created_date) as c, '
                           f"min(case when status = 'won' then close_date end) as w "
                           f'from "{self.names["opportunities"]}"').iloc[0]
            self._first = (pd.Timestamp(r["c"]) if pd.notna(r["c"]) else pd.NaT,
                           pd.Timestamp(r["w"]) if pd.notna(r["w"]) else pd.NaT)
        return self._first[0]

    @property
    def first_won_close(self) -> pd.Timestamp:
        """The earliest close date of a won deal (NaT when none)."""
        _ = self.first_created          # reads both dates in one query
        return self._first[1]

    def opportunity_facts(self) -> dict:
        """What :func:`~salesops_lib.data.capabilities.capabilities` reads of the
        opportunities, in one query: ``open`` (an open deal with a close date), ``open_any``,
        ``closed`` (a won or lost deal with a close date), ``won_first`` / ``won_last`` (close
        dates of won deals, NaT without any)."""
        if not hasattr(self, "_facts"):
            r = self.query(f"""select
                max(case when status = 'open' and close_date is not null then 1 else 0 end) as o,
                max(case when status = 'open' then 1 else 0 end) as a,
                max(case when status in ('won', 'lost') and close_date is not null
                    then 1 else 0 end) as c,
                min(case when status = 'won' then close_date end) as w0,
                max(case when status = 'won' then close_date end) as w1
                from "{self.names["opportunities"]}" """).iloc[0]
            self._facts = {"open": bool(r["o"] or 0), "open_any": bool(r["a"] or 0),
                           "closed": bool(r["c"] or 0),
                           "won_first": pd.Timestamp(r["w0"]) if pd.notna(r["w0"]) else pd.NaT,
                           "won_last": pd.Timestamp(r["w1"]) if pd.notna(r["w1"]) else pd.NaT}
        return self._facts

    def table_has(self, table: str, column: str | None = None) -> bool:
        """Whether the database's ``table`` has rows (with a value in ``column``, when given),
        for the tables a lazy source does not load (activities, stage_history)."""
        if table not in self.names:
            return False
        if column is not None:
            cols = list(self.query(f'select * from "{self.names[table]}" limit 0').columns)
            if column not in cols:
                return False
        where = f' where "{column}" is not null' if column else ""
        q = f'select count(*) as n from (select 1 from "{self.names[table]}"{where} limit 1) x'
        return bool(self.query(q)["n"].iloc[0])

    def won_between(self, start, end) -> bool:
        """Whether a deal was won with a close date from ``start`` to ``end`` (inclusive)."""
        q = (f'select count(*) as n from (select 1 from "{self.names["opportunities"]}" '
             f"where status = 'won' and close_date >= '{pd.Timestamp(start):%Y-%m-%d}' "
             f"and close_date < '{pd.Timestamp(end) + pd.Timedelta(days=1):%Y-%m-%d}' limit 1) x")
        return bool(self.query(q)["n"].iloc[0])

    def has_values(self, column: str) -> bool:
        """Whether the opportunities column ``column`` exists and holds a value somewhere."""
        if column not in self._opp_columns():
            return False
        q = f'select count(*) as n from (select 1 from "{self.names["opportunities"]}" ' \
            f'where "{column}" is not null limit 1) x'
        return bool(self.query(q)["n"].iloc[0])

    # ----------------------------------------------------------------------------- aggregates
    def window_totals(self, start, end, by: str | None = None) -> pd.DataFrame:
        """Deals closed in ``[start, end]`` per value of ``by`` (``key``): ``bookings`` (Σ won
        amount), ``won``, ``lost``, ``cycle_days_median`` (median of max(close − created, 0)
        in days over the won deals): :func:`salesops_lib.performance.executive.window_totals`."""
        key, join = self._key(by)
        days = f"greatest({self._days('o.created_date', 'o.close_date')}, 0)"
        sql = f"""select {key} as key,
              coalesce(sum(case when o.status = 'won' then o.amount end), 0) as bookings,
              count(case when o.status = 'won' then 1 end) as won,
              count(case when o.status = 'lost' then 1 end) as lost,
              {self._median(f"case when o.status = 'won' then {days} end")} as cycle_days_median
            from "{self.names['opportunities']}" o {join}
            where o.close_date >= ? and o.close_date <= ? and o.status in ('won', 'lost')
            group by 1 order by 1"""
        out = self.query(sql, [pd.Timestamp(start), pd.Timestamp(end)])
        out["bookings"] = out["bookings"].astype(float)
        for c in ("won", "lost"):
            out[c] = out[c].astype("int64")
        out["cycle_days_median"] = pd.to_numeric(out["cycle_days_median"]).astype(float)
        return out

    def state_totals(self, date, window=None, by: str | None = None, *,
                     open_only: bool = False) -> pd.DataFrame:
        """Deals as they stood at the end of ``date`` (the rule of
        :func:`salesops_lib.measures.state_as_of`) whose close date then lies in ``window``
        (two dates, inclusive; None = any), per ``key`` and ``status``: ``amount`` (Σ),
        ``deals``, ``dated`` (deals with a close date and an amount > 0), ``with_close``,
        ``with_amount`` (each of the two alone). ``open_only``: only
        the open deals' row is meant (the others are left out before reading the history,
        as :meth:`open_pipeline` does)."""
        state, params = self._state_sql(date, by, open_only=open_only, window=window)
        cond = "true"
        if window is not None:
            lo, hi = window_bounds(window)
            cond = "o.close_date >= ? and o.close_date < ?"
            params = params + [lo, hi + pd.Timedelta(days=1)]
        key, join = self._key(by)
        out = self.query(f"""with s as ({state})
            select {key} as key, o.status, coalesce(sum(o.amount), 0) as amount, count(*) as deals,
                   count(case when o.close_date is not null and o.amount > 0 then 1 end) as dated,
                   count(o.close_date) as with_close,
                   count(case when o.amount > 0 then 1 end) as with_amount
            from s o {join} where {cond} group by 1, 2 order by 1, 2""", params)
        out["amount"] = out["amount"].astype(float)
        return out

    def won_by_month(self, by: str = "rep_id", as_of=None) -> pd.DataFrame:
        """Won amount per value of ``by`` (``key``) and calendar month of the close date
        (``month``: first day), every won deal with a close date. ``as_of``: the deals as
        they stood at the end of that day instead (the rule of
        :func:`salesops_lib.measures.state_as_of`, in the database): won by then, in the
        month of the close date they then had."""
        key, join = self._key(by)
        src, params = f'"{self.names["opportunities"]}"', []
        if as_of is not None:
            state, params = self._state_sql(as_of, by)
            src = f"({state})"
        out = self.query(f"""select {key} as key,
                cast(date_trunc('month', cast(o.close_date as date)) as date) as month,
                sum(o.amount) as amount
            from {src} o {join}
            where o.status = 'won' and o.close_date is not null group by 1, 2 order by 1, 2""",
                         params)
        out["month"] = pd.to_datetime(out["month"])
        out["amount"] = out["amount"].astype(float)
        return out

    def distinct_values(self, by: str) -> list[str]:
        """The values of ``by`` over every deal (``(unassigned)`` for empty ones)."""
        key, join = self._key(by)
        return self.query(f'select distinct {key} as key from "{self.names["opportunities"]}" o '
                          f"{join} order by 1")["key"].tolist()

    def cycle_counts(self, lo, hi, as_of, by: str | None = None) -> pd.DataFrame:
        """Kaplan–Meier input for deals created in ``[lo, hi]`` and by ``as_of``: per ``key``,
        ``days`` and ``event`` the number of deals ``n``. A deal won or lost with close date
        ≤ ``as_of`` has ``days`` = close − created and ``event`` 1, any other ``days`` = as_of −
        created and ``event`` 0 (whole days, at least 0): the rule of
        :func:`salesops_lib.performance.cycle.cycle_durations`."""
        key, join = self._key(by)
        closed = "(o.status <> 'open' and o.close_date <= ?)"
        end = f"case when {closed} then o.close_date else ? end"
        days = f"greatest({self._days('o.created_date', end)}, 0)"
        a = pd.Timestamp(as_of)
        out = self.query(f"""select {key} as key, {days} as days,
                case when {closed} then 1 else 0 end as event, count(*) as n
            from "{self.names['opportunities']}" o {join}
            where o.created_date >= ? and o.created_date <= ? and o.created_date <= ?
            group by 1, 2, 3 order by 1, 2, 3""",
                         [a, a, a, pd.Timestamp(lo), pd.Timestamp(hi), a])
        out["days"] = out["days"].astype(float)
        out["event"] = out["event"].astype("int64")
        out["n"] = out["n"].astype("int64")
        return out


for _name in IN_MEMORY:
    setattr(LazyMixin, _name, property(attrgetter(f"small.{_name}"),
                                       doc=f"``{_name}`` of the small tables held in memory."))
del _name


def memory_limit() -> str:
    """DuckDB's memory limit for a lazy source (:data:`DEFAULT_MEMORY_LIMIT` or the
    ``SALESOPS_DUCKDB_MEMORY`` environment variable)."""
    return os.environ.get("SALESOPS_DUCKDB_MEMORY", DEFAULT_MEMORY_LIMIT)


def lazy_rows() -> int:
    """The row count above which ``lazy="auto"`` keeps a database source lazy."""
    return int(os.environ.get("SALESOPS_LAZY_ROWS", LAZY_ROWS))
