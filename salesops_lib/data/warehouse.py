"""Data larger than memory: the heavy aggregates pushed down to the database as SQL.

``load_dataset("duckdb:///crm.duckdb", lazy=True)`` (or ``Warehouse(url)``) returns a
:class:`Warehouse`: the small tables (accounts, reps, quotas) come into pandas as a
:class:`~salesops_lib.data.Dataset` with no opportunities, while the opportunity-sized tables
(opportunities, opportunity_history) stay in the database and are aggregated there. Only
aggregates, one row per group or bucket, reach pandas. Definitions are those of the
in-memory path (tested equal on the sample):

* :meth:`Warehouse.scorecard_aggregates`: the scorecard's sums per group for a period;
* :meth:`Warehouse.bookings_series`: won amounts per bucket (the forecast's input);
* :meth:`Warehouse.open_pipeline`: open pipeline on a date, due in a window (the state of
  that day from ``opportunity_history``, as :func:`salesops_lib.measures.open_pipeline_as_of`);
* :meth:`Warehouse.state_counts_as_of`: deals and amount per status on a date;
* :meth:`Warehouse.pipeline_moves`: the waterfall's inputs between two dates.

DuckDB files and PostgreSQL (any SQLAlchemy URL) are read; no table is written.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from ..periods import Period, window_bounds
from ..secrets import mask_url
from .dataset import Dataset
from .lazy import LazyMixin
from .lazy import memory_limit as _default_memory
from .validation import DataSourceError

_DAY = pd.Timedelta(days=1)
_OPP_KEYS = ("rep_id", "account_id", "stage", "status", "product", "channel", "forecast_category")


class Warehouse(LazyMixin):
    """A database source whose opportunity-sized tables are aggregated in SQL.

    Parameters
    ----------
    url : str
        ``duckdb:///path.duckdb`` or a SQLAlchemy URL (``postgresql://...``).
    mapping : dict, optional
        Only ``file`` (table names) is honoured here: column mappings need the in-memory path.
    fiscal_start_month : int
    memory_limit : str, optional
        DuckDB's memory limit (e.g. ``"1GB"``): DuckDB spills to disk beyond it. Default
        :data:`~salesops_lib.data.lazy.DEFAULT_MEMORY_LIMIT` (or ``SALESOPS_DUCKDB_MEMORY``).
    """

    def __init__(self, url: str, mapping: dict | None = None, *, fiscal_start_month: int = 1,
                 memory_limit: str | None = None):
        from .mapping import file_candidates

        mapping = mapping or {}
        extra = {r for spec in mapping.values() if isinstance(spec, dict) for r in spec} - {"file"}
        if extra:
            raise DataSourceError(f"a lazy (SQL) source takes only table names from a mapping, "
                                  f"not {sorted(extra)}; load it without lazy=True")
        self.url, self.shown = url, mask_url(url)
        self.fiscal_start_month = fiscal_start_month
        self._duck = url.startswith("duckdb://")
        if self._duck:
            import duckdb

            path = url.split("://", 1)[1]
            path = path[1:] if path.startswith("/") and not Path(path).exists() else path
            if not Path(path).is_file():
                raise DataSourceError(f"cannot open {self.shown}: no such DuckDB file {path!r}")
            self._con = duckdb.connect(path, read_only=True)
            self._con.execute(f"set memory_limit = '{memory_limit or _default_memory()}'")
            present = {r[0] for r in self._con.execute(
                "select table_name from information_schema.tables").fetchall()}
        else:
            import sqlalchemy as sa

            from .sources import _resolve_password

            self._engine = sa.create_engine(_resolve_password(url))
            present = set(sa.inspect(self._engine).get_table_names())
        lower = {p.lower(): p for p in present}
        self.names = {}
        # activities and stage_history are named (for what a source holds) but not loaded
        for t in ("accounts", "reps", "opportunities", "quotas", "opportunity_history",
                  "activities", "stage_history"):
            name = next((lower[n.lower()] for n in file_candidates(t, mapping) if n.lower() in lower), None)
            if name is not None:
                self.names[t] = name
        for t in ("accounts", "reps", "opportunities"):
            if t not in self.names:
                raise DataSourceError(f"{self.shown} has no table {t}")
        small = {t: self.query(f'select * from "{self.names[t]}"')
                 for t in ("accounts", "reps", "quotas") if t in self.names}
        stats = self.query(f'select count(*) as n, max(created_date) as c, '
                           f'max(case when status <> \'open\' then close_date end) as d '
                           f'from "{self.names["opportunities"]}"').iloc[0]
        self.n_opportunities = int(stats["n"])
        last = [pd.Timestamp(x) for x in (stats["c"], stats["d"]) if pd.notna(x)]
        if self.has_history:
            h = self.query(f'select max(changed_at) as m from "{self.names["opportunity_history"]}"')
            if pd.notna(h["m"].iloc[0]):
                last.append(pd.Timestamp(h["m"].iloc[0]))
        as_of = max(last) if last else None       # no deals: the small tables' last event
        empty = pd.DataFrame({"opportunity_id": [], "account_id": [], "rep_id": [], "stage": [],
                              "status": [], "amount": [], "created_date": []})
        self.small = Dataset.from_frames(**small, opportunities=empty, as_of=as_of,
                                         source=url, fiscal_start_month=fiscal_start_month)
        self.as_of = self.small.as_of

    # ------------------------------------------------------------------------------ plumbing
    @property
    def has_history(self) -> bool:
        return "opportunity_history" in self.names

    def query(self, sql: str, params: list | None = None) -> pd.DataFrame:
        """Run one SQL statement and return its (small) result as a DataFrame."""
        if self._duck:
            return self._con.execute(sql, params or []).df()
        import sqlalchemy as sa

        names = {f"p{i}": v for i, v in enumerate(params or [])}
        for i in range(len(names)):
            sql = sql.replace("?", f":p{i}", 1)
        with self._engine.connect() as con:
            out = pd.read_sql(sa.text(sql), con, params=names)
        from decimal import Decimal

        for c in out.columns:        # PostgreSQL sums of numeric come back as Decimal
            first = out[c].dropna().head(1)
            if len(first) and isinstance(first.iloc[0], Decimal):
                out[c] = out[c].astype(float)
        return out

    def close(self) -> None:
        if self._duck:
            self._con.close()
        else:
            self._engine.dispose()

    def _key(self, by: str | None) -> tuple[str, str]:
        """SQL expression of the group key and the join it needs (on ``o``)."""
        if by is None:
            return "'total'", ""
        if by in _OPP_KEYS or by in self._opp_columns():
            return f"coalesce(cast(o.\"{by}\" as varchar), '(unassigned)')", ""
        if by in self.small.reps.columns:
            return (f"coalesce(cast(r.\"{by}\" as varchar), '(unassigned)')",
                    f'left join "{self.names["reps"]}" r on r.rep_id = o.rep_id')
        if by in self.small.accounts.columns:
            return (f"coalesce(cast(a.\"{by}\" as varchar), '(unassigned)')",
                    f'left join "{self.names["accounts"]}" a on a.account_id = o.account_id')
        raise ValueError(f"cannot group by {by!r}: not a column of opportunities, reps or accounts")

    def _opp_columns(self) -> list[str]:
        if not hasattr(self, "_cols"):
            self._cols = list(self.query(f'select * from "{self.names["opportunities"]}" limit 0').columns)
        return self._cols

    def _days(self, a: str, b: str) -> str:
        return (f"date_diff('day', cast({a} as date), cast({b} as date))" if self._duck
                else f"(cast({b} as date) - cast({a} as date))")

    # ------------------------------------------------------------------------------ aggregates
    def scorecard_aggregates(self, period, by: str = "rep_id") -> pd.DataFrame:
        """The scorecard's sums per group for ``period`` (P), computed in the database.

        With ``t = min(as_of, end(P))``: ``bookings`` = Σ amount [won, close ∈ P]; ``won``,
        ``lost`` = counts closed in P; ``pipeline_created`` = Σ amount [created ∈ P],
        ``created`` = count; ``booked_by_t`` = Σ amount [won, close ∈ P, close ≤ t];
        ``cycle_days_median`` = median(close − created) of won deals closed in P;
        ``open_pipeline`` = Σ amount of deals open at t and due in P, as they stood on t
        (:meth:`open_pipeline`). One row per value of ``by`` (``unique_id``).
        """
        P = Period.parse(period, self.fiscal_start_month)
        t = min(pd.Timestamp(self.as_of), P.end)
        p0, p1e, te = P.start, P.end + _DAY, t + _DAY
        key, join = self._key(by)
        won_p = "o.status = 'won' and o.close_date >= ? and o.close_date < ?"
        sql = f"""
            select {key} as unique_id,
              coalesce(sum(case when {won_p} then o.amount end), 0) as bookings,
              count(case when {won_p} then 1 end) as won,
              count(case when o.status = 'lost' and o.close_date >= ? and o.close_date < ? then 1 end) as lost,
              coalesce(sum(case when o.created_date >= ? and o.created_date < ? then o.amount end), 0) as pipeline_created,
              count(case when o.created_date >= ? and o.created_date < ? then 1 end) as created,
              coalesce(sum(case when {won_p} and o.close_date < ? then o.amount end), 0) as booked_by_t,
              {self._median(f"case when {won_p} then {self._days('o.created_date', 'o.close_date')} end")} as cycle_days_median
            from "{self.names['opportunities']}" o {join}
            where (o.close_date >= ? and o.close_date < ?) or (o.created_date >= ? and o.created_date < ?)
            group by 1"""
        params = [p0, p1e, p0, p1e, p0, p1e, p0, p1e, p0, p1e, p0, p1e, te]
        params += [p0, p1e] + [p0, p1e, p0, p1e]          # the median's, then the where's
        agg = self.query(sql, params)
        pipe = self.open_pipeline(t, P, by=by)
        out = agg.merge(pipe, on="unique_id", how="outer")
        for c in ("bookings", "pipeline_created", "booked_by_t", "open_pipeline"):
            out[c] = pd.to_numeric(out[c]).fillna(0.0).astype(float)   # Decimal from PostgreSQL
        for c in ("won", "lost", "created", "open_deals"):
            out[c] = pd.to_numeric(out[c]).fillna(0).astype("int64")
        out["cycle_days_median"] = pd.to_numeric(out["cycle_days_median"]).astype(float)
        return out.sort_values("unique_id", kind="stable").reset_index(drop=True)

    def _median(self, expr: str) -> str:
        return (f"median({expr})" if self._duck
                else f"percentile_cont(0.5) within group (order by {expr})")

    def _state_sql(self, date, by: str | None = None, open_only: bool = False,
                   window: tuple | None = None) -> tuple[str, list]:
        """SQL of every deal's state at the end of ``date`` (the rule of state_as_of), with
        the opportunity column ``by`` when it is not a state column.

        ``open_only`` leaves out, before reading any history, the deals whose final row is
        closed on or before ``date`` (closed then, whatever came before): the open pipeline
        on a date then reads the history of the few deals that can be open on it.
        ``window`` (two dates, inclusive) keeps only the deals whose state can have a close
        date in it: a history row up to ``date`` with its close date in the window (the
        state is one of those rows), or, for the rule without history, the final close date
        in it. Exact, and the history of the other deals is never grouped.
        """
        te = pd.Timestamp(date).normalize() + _DAY
        keep = f', o."{by}"' if by and by in self._opp_columns() and by not in (
            "opportunity_id", "account_id", "rep_id", "status", "amount", "close_date") else ""
        opp = self.names["opportunities"]
        hist = self.names.get("opportunity_history")
        live, live_p = "", []
        if open_only:
            live, live_p = " and (o.status = 'open' or o.close_date >= ?)", [te]
        if window is not None:
            lo, hi = window_bounds(window)
            hi1 = hi + _DAY
            live += " and ((o.close_date >= ? and o.close_date < ?)"
            live_p += [lo, hi1]
            if hist:
                live += (f""" or o.opportunity_id in (select h2.opportunity_id from "{hist}" h2
                            where h2.changed_at < ? and h2.close_date >= ? and h2.close_date < ?)""")
                live_p += [te, lo, hi1]
            live += ")"
        fallback = ("case when o.status = 'open' or o.close_date >= ? then 'open' else o.status end")
        if not self.has_history:
            return (f"""select o.opportunity_id, o.account_id, o.rep_id, {fallback} as status,
                         o.amount, o.close_date{keep} from "{opp}" o where o.created_date < ?{live}""",
                    [te, te] + live_p)
        # the candidate deals are read once (materialized): the history is grouped for them only
        cand = (f"""c as materialized (select o.opportunity_id, o.account_id, o.rep_id, o.status,
                    o.amount, o.close_date{keep} from "{opp}" o where o.created_date < ?{live}), """
                if live else "")
        semi = " and h.opportunity_id in (select opportunity_id from c)" if live else ""
        if self._duck:
            order = "(epoch(h.changed_at)::bigint // 86400) * 4294967296 + h.rowid"
            last = f"""select h.opportunity_id, arg_max(h.status, {order}) as status,
                         arg_max(h.amount, {order}) as amount, arg_max(h.close_date, {order}) as close_date,
                         arg_max(h.rep_id, {order}) as rep_id
                       from "{hist}" h where h.changed_at < ?{semi} group by h.opportunity_id"""
        else:
            last = f"""select opportunity_id, status, amount, close_date, rep_id from (
                         select h.*, row_number() over (partition by opportunity_id
                           order by changed_at desc, ctid desc) as rn
                         from "{hist}" h where h.changed_at < ?{semi}) x where rn = 1"""
        source = "c o" if live else f'"{opp}" o'
        where = "" if live else "where o.created_date < ?"
        sql = f"""with {cand}l as ({last})
            select o.opportunity_id, o.account_id, coalesce(l.rep_id, o.rep_id) as rep_id,
              case when l.opportunity_id is null then {fallback} else l.status end as status,
              case when l.opportunity_id is null then o.amount else l.amount end as amount,
              case when l.opportunity_id is null then o.close_date else l.close_date end as close_date
              {keep}
            from {source} left join l on l.opportunity_id = o.opportunity_id
            {where}"""
        params = ([te] + live_p + [te, te]) if live else [te, te, te]
        return sql, params

    def open_pipeline(self, date, window=None, by: str | None = None) -> pd.DataFrame:
        """Open pipeline at the end of ``date`` due in ``window`` (a period or two dates),
        per value of ``by``: ``unique_id``, ``open_pipeline`` (Σ amount as of the day),
        ``open_deals``. The definition of :func:`salesops_lib.measures.open_pipeline_as_of`;
        owners are those of the day."""
        cond, span = "s.status = 'open'", None
        if window is not None:
            span = window_bounds(window, self.fiscal_start_month)
            cond += " and s.close_date >= ? and s.close_date < ?"
        state, params = self._state_sql(date, by, open_only=True, window=span)
        if span is not None:
            params = params + [span[0], span[1] + _DAY]
        key, join = self._key(by)
        sql = f"""with s as ({state})
            select {key} as unique_id, coalesce(sum(o.amount), 0) as open_pipeline,
                   count(*) as open_deals
            from s o {join} where {cond.replace('s.', 'o.')}
            group by 1"""
        return self.query(sql, params)

    def pipeline_moves(self, start, end, window) -> pd.DataFrame:
        """The waterfall's inputs between two dates, summed in the database.

        With ``A`` the deals open at the end of ``start`` and due in ``window`` (amount
        ``a₀`` as of ``start``) and ``B`` those open at the end of ``end`` and due in it
        (amount ``a₁`` as of ``end``), each deal of A ∪ B falls in one bucket:
        ``won``/``lost`` (in A, won/lost by ``end``: −a₀), ``pushed out`` (in A, still open
        but no longer due in the window: −a₀), ``amount change`` (in A and B: a₁ − a₀),
        ``created`` (in B, created after ``start``: +a₁), ``pulled in`` (in B, older, not in
        A: +a₁). Rows ``start`` (Σa₀) and ``end`` (Σa₁) frame them, so the buckets between
        sum exactly to the change. Returns ``bucket``, ``amount``, ``deals``.
        """
        lo, hi = window_bounds(window, self.fiscal_start_month)
        hi1 = hi + _DAY
        s0, p0 = self._state_sql(start)
        s1, p1 = self._state_sql(end)
        t0 = pd.Timestamp(start).normalize() + _DAY
        due = "status = 'open' and close_date >= ? and close_date < ?"
        sql = f"""with s0 as ({s0}), s1 as ({s1}),
            a as (select opportunity_id, amount from s0 where {due}),
            b as (select s1.opportunity_id, s1.amount from s1 where {due}),
            j as (select coalesce(a.opportunity_id, b.opportunity_id) as opportunity_id,
                         a.amount as a0, b.amount as a1, e.status as status_end,
                         o.created_date as created_date
                  from a full outer join b on a.opportunity_id = b.opportunity_id
                  left join s1 e on e.opportunity_id = coalesce(a.opportunity_id, b.opportunity_id)
                  left join "{self.names['opportunities']}" o
                    on o.opportunity_id = coalesce(a.opportunity_id, b.opportunity_id))
            select case
                     when a0 is not null and a1 is not null then 'amount change'
                     when a0 is not null and status_end = 'won' then 'won'
                     when a0 is not null and status_end = 'lost' then 'lost'
                     when a0 is not null then 'pushed out'
                     when created_date >= ? then 'created'
                     else 'pulled in' end as bucket,
                   coalesce(sum(case when a0 is not null and a1 is not null then a1 - a0
                                     when a0 is not null then -a0 else a1 end), 0) as amount,
                   count(*) as deals
            from j group by 1"""
        params = p0 + p1 + [lo, hi1, lo, hi1, t0]
        moves = self.query(sql, params).set_index("bucket")
        ends = self.query(f"""with s0 as ({s0}), s1 as ({s1}) select
              (select coalesce(sum(amount), 0) from s0 where {due}) as a,
              (select count(*) from s0 where {due}) as n,
              (select coalesce(sum(amount), 0) from s1 where {due}) as b,
              (select count(*) from s1 where {due}) as m""",
                          p0 + p1 + [lo, hi1, lo, hi1, lo, hi1, lo, hi1]).iloc[0]
        order = ["created", "pulled in", "amount change", "won", "lost", "pushed out"]
        rows = [("start", float(ends["a"]), int(ends["n"]))]
        rows += [(b, float(moves["amount"].get(b, 0.0)), int(moves["deals"].get(b, 0)))
                 for b in order]
        rows.append(("end", float(ends["b"]), int(ends["m"])))
        return pd.DataFrame(rows, columns=["bucket", "amount", "deals"])

    def state_counts_as_of(self, date) -> pd.DataFrame:
        """Deals and amount per status at the end of ``date``: ``status``, ``deals``,
        ``amount`` (each deal as it stood that day)."""
        state, params = self._state_sql(date)
        return self.query(f"""with s as ({state}) select status, count(*) as deals,
                              coalesce(sum(amount), 0) as amount from s group by 1 order by 1""",
                          params)

    def bookings_series(self, granularity: str = "month", by: str | None = None, *,
                        as_of=None, complete: bool = True) -> pd.DataFrame:
        """Won amounts per bucket (``unique_id``, ``ds``, ``y``), summed in the database, on
        the complete grid of :func:`salesops_lib.forecast.bookings_series` (every series has
        every bucket from its first booking to ``as_of``, zeros filled; the bucket holding
        ``as_of`` is dropped unless it ends on it when ``complete``)."""
        as_of = pd.Timestamp(self.as_of if as_of is None else as_of).normalize()
        fsm = self.fiscal_start_month
        c = "cast(o.close_date as date)"
        bucket = {
            "day": c, "week": f"date_trunc('week', {c})", "month": f"date_trunc('month', {c})",
            "quarter": (f"date_trunc('month', {c}) - ((((extract(month from {c}) - {fsm}) % 12 + 12) % 12) % 3)"
                        " * interval '1 month'"),
        }.get(granularity)
        if bucket is None:
            raise ValueError(f"unknown granularity {granularity!r}: use day, week, month or quarter")
        key, join = self._key(by)
        sums = self.query(f"""select {key} as unique_id, cast({bucket} as date) as ds,
                                 sum(o.amount) as y
                              from "{self.names['opportunities']}" o {join}
                              where o.status = 'won' and o.close_date < ? group by 1, 2""",
                          [as_of + _DAY])
        if sums.empty:
            return pd.DataFrame({"unique_id": pd.Series(dtype=str), "ds": pd.Series(dtype="M8[ns]"),
                                 "y": pd.Series(dtype=float)})
        sums["ds"] = pd.to_datetime(sums["ds"])
        step = {"day": pd.DateOffset(days=1), "week": pd.DateOffset(weeks=1),
                "month": pd.DateOffset(months=1), "quarter": pd.DateOffset(months=3)}[granularity]
        last = _buckets(pd.DatetimeIndex([as_of]), granularity, fsm)[0]
        if complete and as_of < last + step - _DAY:
            last = last - step
        days = pd.date_range(sums["ds"].min(), last, freq="D")
        grid = _buckets(days, granularity, fsm).unique()
        idx = pd.MultiIndex.from_product([sorted(sums["unique_id"].unique()), grid],
                                         names=["unique_id", "ds"])
        out = sums.groupby(["unique_id", "ds"])["y"].sum().reindex(idx, fill_value=0.0)
        out = out.reset_index()
        out["y"] = out["y"].astype(float)
        return out[out["ds"] <= last].reset_index(drop=True)


def _buckets(d: pd.DatetimeIndex, granularity: str, fsm: int) -> pd.DatetimeIndex:
    """First day of the day / week (Monday) / month / fiscal quarter holding each date."""
    if granularity == "day":
        return d
    if granularity == "week":
        return d - pd.to_timedelta(d.weekday, unit="D")
    months = d.year * 12 + d.month - 1
    if granularity == "quarter":
        months = months - ((d.month - fsm) % 12) % 3
    return pd.DatetimeIndex(pd.to_datetime(pd.DataFrame(
        {"year": months // 12, "month": months % 12 + 1, "day": 1})))
