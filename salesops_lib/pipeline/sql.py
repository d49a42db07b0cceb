"""The pipeline waterfall as one DuckDB query, for data that stays in the database.

Same rules, same result as :func:`salesops_lib.pipeline.waterfall` (the module docstring of
:mod:`.waterfall` defines them): each deal's state at the end of a day is its last
``opportunity_history`` row on or before it (ties broken by row order), deals without any
history row read their ``opportunities`` row back in time (open from ``created_date``, the
final status from ``close_date``), missing amounts count 0, a missing history ``rep_id`` is
the deal's owner in ``opportunities``. Tables must carry the contract's names (``accounts``,
``reps``, ``opportunities``, ``opportunity_history``); no mapping is applied.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from ..measures import UNASSIGNED
from .waterfall import BUCKETS, ENTRIES, EXITS, ORDER, PRECEDENCE, check_precedence, close_window

_EXIT_SQL = {"won": "e.status = 'won'",
             "lost": "e.status = 'lost'",
             "pushed out": "e.status = 'open' AND NOT e.inwin",
             "moved out": "e.grp <> s.grp"}
_ENTRY_SQL = {"created": "s.opportunity_id IS NULL",
              "reopened": "s.opportunity_id IS NOT NULL AND s.status IS DISTINCT FROM 'open'",
              "pulled in": "s.status = 'open' AND NOT s.inwin",
              "moved in": "s.grp <> e.grp"}


def _connect(source):
    """A DuckDB connection and whether we opened it (URL or path → read-only file)."""
    import duckdb

    if isinstance(source, str):
        path = source
        for prefix in ("duckdb:///", "duckdb://"):
            if path.startswith(prefix):
                path = path[len(prefix):]
                break
        if not Path(path).is_file() and Path("/" + path).is_file():
            path = "/" + path
        if not Path(path).is_file():
            raise FileNotFoundError(f"no such DuckDB file {path!r}")
        return duckdb.connect(path, read_only=True), True, 1
    # a Dataset: its frames registered in an in-memory database
    con = duckdb.connect()
    h = source.opportunity_history
    con.register("opportunities", source.opportunities)
    con.register("reps", source.reps)
    con.register("accounts", source.accounts)
    con.register("opportunity_history",
                 h.assign(_seq=range(len(h))) if len(h) else h.assign(_seq=pd.Series(dtype="int64")))
    return con, True, source.fiscal_start_month


def _columns(con, table) -> list[str]:
    return [r[0] for r in con.execute(f"DESCRIBE {table}").fetchall()]


def _group_sql(con, by) -> tuple[str, str]:
    """(join clause, group expression) for ``by`` over a state row ``x`` (rep_id, account_id)."""
    if not by:
        return "", "'total'"
    opp_cols, rep_cols = _columns(con, "opportunities"), _columns(con, "reps")
    acc_cols = _columns(con, "accounts")
    if by in ("rep_id",):
        expr = "x.rep_id"
        join = ""
    elif by in opp_cols:
        expr, join = f'o."{by}"', ""
    elif by in rep_cols:
        expr, join = f'r."{by}"', "LEFT JOIN reps r ON r.rep_id = x.rep_id"
    elif by in acc_cols:
        expr, join = f'a."{by}"', "LEFT JOIN accounts a ON a.account_id = o.account_id"
    else:
        raise ValueError(f"cannot group by {by!r}: it is a column of neither opportunities, reps "
                         "nor accounts")
    return join, f"coalesce(CAST({expr} AS VARCHAR), '{UNASSIGNED}')"


def waterfall_query(con, start, end, window, by=None, precedence=PRECEDENCE,
                    exit_amount: str = "start", seq: str = "rowid") -> str:
    """The waterfall's SQL text (long rows ``grp``, ``bucket``, ``amount``, ``deals``)."""
    prec = check_precedence(precedence)
    lo, hi = (f"DATE '{pd.Timestamp(x):%Y-%m-%d}'" for x in window)
    s_end = f"TIMESTAMP '{pd.Timestamp(start) + pd.Timedelta(days=1):%Y-%m-%d}'"
    e_end = f"TIMESTAMP '{pd.Timestamp(end) + pd.Timedelta(days=1):%Y-%m-%d}'"
    join, grp = _group_sql(con, by)
    hist_amount = "amount" if "amount" in _columns(con, "opportunity_history") else "NULL"
    exit_case = " ".join(f"WHEN {_EXIT_SQL[r]} THEN '{r}'" for r in prec if r in EXITS)
    entry_case = " ".join(f"WHEN {_ENTRY_SQL[r]} THEN '{r}'" for r in prec if r in ENTRIES)
    exit_amt = "s.amount" if exit_amount == "start" else "coalesce(e.amount, 0)"
    extra = ("" if exit_amount == "start" else
             "UNION ALL SELECT s.grp, CASE WHEN e.amount > s.amount THEN 'amount up' ELSE "
             "'amount down' END, e.amount - s.amount FROM q WHERE s.inscope AND NOT both_in "
             "AND e.amount <> s.amount")

    def state(cut):
        return f"""(
        SELECT x.opportunity_id, x.status, x.amount, x.close_date,
               x.status = 'open' AND coalesce(x.close_date BETWEEN {lo} AND {hi}, false) AS inwin_open,
               coalesce(x.close_date BETWEEN {lo} AND {hi}, false) AS inwin,
               {grp} AS grp
        FROM (SELECT opportunity_id, st.status, coalesce(st.amount, 0.0) AS amount,
                     CAST(st.close_date AS DATE) AS close_date, st.rep_id
              FROM (SELECT opportunity_id,
                           arg_max({{'status': status, 'amount': amount, 'close_date': close_date,
                                     'rep_id': rep_id}}, {{'t': changed_at, 'q': seq}}) AS st
                    FROM hist WHERE changed_at < {cut} AND created_date < {cut}
                    GROUP BY opportunity_id)) x
        JOIN opportunities o USING (opportunity_id) {join})"""

    return f"""
    WITH hist AS (
        SELECT h.opportunity_id, CAST(h.changed_at AS TIMESTAMP) AS changed_at, h.status,
               CAST(h.{hist_amount} AS DOUBLE) AS amount, CAST(h.close_date AS TIMESTAMP) AS close_date,
               coalesce(h.rep_id, o.rep_id) AS rep_id, h.{seq} AS seq,
               CAST(o.created_date AS TIMESTAMP) AS created_date
        FROM opportunity_history h JOIN opportunities o USING (opportunity_id)
        UNION ALL
        SELECT o.opportunity_id, CAST(o.created_date AS TIMESTAMP), 'open', CAST(o.amount AS DOUBLE),
               CAST(o.close_date AS TIMESTAMP), o.rep_id, -2, CAST(o.created_date AS TIMESTAMP)
        FROM opportunities o ANTI JOIN opportunity_history h USING (opportunity_id)
        UNION ALL
        SELECT o.opportunity_id, CAST(o.close_date AS TIMESTAMP), o.status, CAST(o.amount AS DOUBLE),
               CAST(o.close_date AS TIMESTAMP), o.rep_id, -1, CAST(o.created_date AS TIMESTAMP)
        FROM opportunities o ANTI JOIN opportunity_history h USING (opportunity_id)
        WHERE o.status <> 'open'
    ),
    s0 AS {state(s_end)},
    e0 AS {state(e_end)},
    p AS (
        SELECT s.opportunity_id AS sid, s.status AS s_status, s.amount AS s_amount, s.close_date AS s_close,
               s.inwin AS s_inwin, s.inwin_open AS s_inscope, s.grp AS s_grp,
               e.opportunity_id AS eid, e.status AS e_status, e.amount AS e_amount,
               e.inwin AS e_inwin, e.inwin_open AS e_inscope, e.grp AS e_grp,
               coalesce(s.inwin_open AND e.inwin_open AND s.grp = e.grp, false) AS both_in
        FROM s0 s FULL OUTER JOIN e0 e ON s.opportunity_id = e.opportunity_id
    ),
    q AS (
        SELECT {{'opportunity_id': sid, 'status': s_status, 'amount': s_amount, 'inwin': s_inwin,
                 'inscope': coalesce(s_inscope, false), 'grp': s_grp}} AS s,
               {{'opportunity_id': eid, 'status': e_status, 'amount': e_amount, 'inwin': e_inwin,
                 'inscope': coalesce(e_inscope, false), 'grp': e_grp}} AS e, both_in,
               -- a pass-through: in scope at neither date, closed inside the window in between
               (NOT coalesce(s_inscope, false) AND NOT coalesce(e_inscope, false)
                AND eid IS NOT NULL AND e_status IN ('won', 'lost') AND coalesce(e_inwin, false)
                AND (sid IS NULL OR s_status = 'open')) AS through
        FROM p
    ),
    rows AS (
        SELECT s.grp AS grp, 'start' AS bucket, s.amount AS amount FROM q WHERE s.inscope
        UNION ALL SELECT e.grp, 'end', e.amount FROM q WHERE e.inscope
        UNION ALL SELECT s.grp, CASE WHEN e.amount > s.amount THEN 'amount up' ELSE 'amount down' END,
                         e.amount - s.amount FROM q WHERE both_in AND e.amount <> s.amount
        UNION ALL SELECT s.grp, CASE {exit_case} END, -{exit_amt}
                         FROM q WHERE s.inscope AND NOT both_in
        UNION ALL SELECT e.grp, CASE {entry_case} END, e.amount FROM q WHERE e.inscope AND NOT both_in
        UNION ALL SELECT e.grp, CASE {entry_case} END, e.amount FROM q WHERE through
        UNION ALL SELECT e.grp, e.status, -e.amount FROM q WHERE through
        {extra}
    )
    SELECT grp, bucket, sum(amount) AS amount, count(*) AS deals FROM rows GROUP BY grp, bucket
    """


def waterfall_sql(source, start, end, by=None, *, window=None, precedence=PRECEDENCE,
                  exit_amount: str = "start") -> pd.DataFrame:
    """:func:`~salesops_lib.pipeline.waterfall` computed inside DuckDB.

    ``source`` is a ``duckdb:///file.duckdb`` URL (or a path) holding the contract tables, or
    a Dataset (its frames are registered in an in-memory DuckDB). Returns the same frame as
    the pandas engine.
    """
    con, owned, fsm = _connect(source)
    try:
        seq = "rowid" if isinstance(source, str) else "_seq"

        class _Cal:   # close_window only needs the fiscal calendar
            fiscal_start_month = fsm
        win = close_window(_Cal, end, window)
        long = con.execute(waterfall_query(con, start, end, win, by, precedence, exit_amount,
                                           seq=seq)).df()
    finally:
        if owned:
            con.close()
    key = by or "group"
    groups = sorted(long["grp"].unique()) if by else ["total"]
    idx = pd.MultiIndex.from_product([groups, list(ORDER)], names=[key, "bucket"])
    tab = long.set_index(["grp", "bucket"])[["amount", "deals"]]
    tab.index.names = [key, "bucket"]
    out = tab.reindex(idx).fillna(0).reset_index()
    out["amount"] = out["amount"].astype(float)
    out["deals"] = out["deals"].astype("int64")
    return out if by else out.drop(columns="group")


__all__ = ["BUCKETS", "waterfall_query", "waterfall_sql"]
