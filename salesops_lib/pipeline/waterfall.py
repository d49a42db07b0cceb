"""Pipeline waterfall: what came in, what moved and what went out between two dates.

**Scope.** The pipeline on a date ``d`` for a close window ``[w0, w1]`` (default: the fiscal
quarter holding ``end``) is every deal that, as it stood at the end of ``d``
(:func:`salesops_lib.measures.state_as_of`), was ``open`` with a close date inside the window.
Its value is the sum of those deals' amounts (a missing amount counts 0). With ``by`` each deal
is counted in the group of its state on that date (``team`` and ``rep_id`` follow the deal's
owner then, ``region`` its account).

**Buckets.** Comparing each deal's state at ``start`` (``s``) with its state at ``end`` (``e``),
per group ``g``:

* in scope in ``g`` at both dates: ``e.amount − s.amount`` goes to *amount up* (> 0) or *amount
  down* (< 0);
* in scope in ``g`` at ``start`` only (an exit): ``−s.amount`` goes to the first of the deal's
  applicable exit reasons in ``precedence``: *won* / *lost* (closed by ``end``), *pushed out*
  (still open, close date moved outside the window or removed), *moved out* (now in another
  group);
* in scope in ``g`` at ``end`` only (an entry): ``+e.amount`` goes to the first applicable entry
  reason: *created* (did not exist at ``start``), *reopened* (closed at ``start``), *pulled in*
  (its close date was outside the window), *moved in* (was in another group).

* in scope at neither date but closed inside the window in between (created, or pulled in,
  after ``start`` and won or lost by ``end``: a *pass-through*): ``+e.amount`` to its entry
  reason and ``−e.amount`` to *won* / *lost*, both in its group at ``end``, so the walk's
  *won* is every pipeline deal won in the window, as bookings count it, and the pair nets to 0.

Every deal that changes scope has at least one reason, each deal-group lands in exactly one
bucket, so per group ``start + Σ buckets = end`` to the cent. ``exit_amount="end"`` books an
exit at the deal's amount at ``end`` instead (a deal won at 120 from 100 in the pipeline: won
−120, amount up +20), which still reconciles. The default precedence is :data:`PRECEDENCE`.

**Path view.** :func:`waterfall_path` applies the same rules to every consecutive pair of a
deal's states inside the window (each history row changed after ``start`` and on or before
``end``), so it counts every change; its buckets telescope to the same ``end − start``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..measures import UNASSIGNED, group_values, state_as_of
from ..periods import Period, period_containing

#: Exit reasons, then entry reasons, in the default order of precedence.
PRECEDENCE = ("won", "lost", "pushed out", "moved out",
              "created", "reopened", "pulled in", "moved in")
EXITS = ("won", "lost", "pushed out", "moved out")
ENTRIES = ("created", "reopened", "pulled in", "moved in")
#: Row order of a waterfall: start, additions, changes, removals, end.
BUCKETS = ("created", "pulled in", "reopened", "moved in", "amount up", "amount down",
           "won", "lost", "pushed out", "moved out")
ORDER = ("start",) + BUCKETS + ("end",)
_STATE = ["opportunity_id", "status", "amount", "close_date", "rep_id", "group"]


def close_window(ds, end, window=None) -> tuple[pd.Timestamp, pd.Timestamp]:
    """The close-date window of the pipeline scope as ``(first, last)`` days.

    ``window`` may be a period label (``"2026-Q4"``), a ``(first, last)`` pair of dates, or
    ``None`` for the fiscal quarter holding ``end``.
    """
    fsm = getattr(ds, "fiscal_start_month", 1)
    if window is None:
        P = period_containing(pd.Timestamp(end), "quarter", fsm)
        return P.start, P.end
    if isinstance(window, (str, Period)):
        P = Period.parse(window, fsm)
        return P.start, P.end
    lo, hi = (pd.Timestamp(x).normalize() for x in window)
    if hi < lo:
        raise ValueError(f"close window ends ({hi:%Y-%m-%d}) before it starts ({lo:%Y-%m-%d})")
    return lo, hi


def check_precedence(precedence) -> tuple[str, ...]:
    """Validate a precedence order: every exit and entry reason exactly once."""
    p = tuple(precedence)
    need = set(EXITS) | set(ENTRIES)
    if sorted(p) != sorted(need):
        missing = sorted(need - set(p))
        extra = sorted(set(p) - need)
        raise ValueError(f"precedence must list each of {sorted(need)} once; missing {missing}, "
                         f"unknown or repeated {extra or sorted({x for x in p if p.count(x) > 1})}")
    return p


def _check_dates(start, end) -> tuple[pd.Timestamp, pd.Timestamp]:
    s, e = pd.Timestamp(start).normalize(), pd.Timestamp(end).normalize()
    if e < s:
        raise ValueError(f"waterfall end ({e:%Y-%m-%d}) is before its start ({s:%Y-%m-%d})")
    return s, e


def _state(ds, date, by) -> pd.DataFrame:
    st = state_as_of(ds, date)
    st["group"] = group_values(ds, by, st) if by else "total"
    st["amount"] = st["amount"].fillna(0.0)
    return st[_STATE]


def classify(s: pd.DataFrame, e: pd.DataFrame, window, precedence=PRECEDENCE,
             exit_amount: str = "start") -> pd.DataFrame:
    """Bucket the change of each deal from state ``s`` to state ``e`` (the module's rules).

    Parameters
    ----------
    s, e : DataFrame
        Aligned row by row (one pair of states per row): ``exists`` (bool), ``status``,
        ``amount`` (float, 0 when missing), ``close_date``, ``group``; plus ``opportunity_id``.
    window : (first, last) Timestamps
        The close window.

    Returns
    -------
    DataFrame
        ``opportunity_id``, ``group``, ``bucket``, ``amount``: one row per deal-group whose
        pipeline value changed (or that changed scope); a deal moving between groups gives two.
    """
    prec = check_precedence(precedence)
    if exit_amount not in ("start", "end"):
        raise ValueError(f"exit_amount must be 'start' or 'end', got {exit_amount!r}")
    lo, hi = window
    inwin_s = (s["close_date"] >= lo) & (s["close_date"] <= hi)
    inwin_e = (e["close_date"] >= lo) & (e["close_date"] <= hi)
    open_s = s["exists"] & (s["status"] == "open")
    open_e = e["exists"] & (e["status"] == "open")
    in_s = (open_s & inwin_s).to_numpy(bool)
    in_e = (open_e & inwin_e).to_numpy(bool)
    same = (s["group"].to_numpy(object) == e["group"].to_numpy(object))
    both = in_s & in_e & same
    sa, ea = s["amount"].to_numpy(float), e["amount"].to_numpy(float)
    ids = s["opportunity_id"].to_numpy(object)
    parts = []
    # stayed in the group's pipeline: the amount change
    d = ea - sa
    m = both & (d != 0)
    parts.append((ids[m], s["group"].to_numpy(object)[m],
                  np.where(d[m] > 0, "amount up", "amount down"), d[m]))
    # exits
    ex = in_s & ~both
    st_e = e["status"].to_numpy(object)
    exit_flags = {"won": e["exists"].to_numpy(bool) & (st_e == "won"),
                  "lost": e["exists"].to_numpy(bool) & (st_e == "lost"),
                  "pushed out": open_e.to_numpy(bool) & ~inwin_e.to_numpy(bool),
                  "moved out": e["exists"].to_numpy(bool) & ~same}
    ent = in_e & ~both
    ent_flags = {"created": ~s["exists"].to_numpy(bool),
                 "reopened": s["exists"].to_numpy(bool) & ~open_s.to_numpy(bool),
                 "pulled in": open_s.to_numpy(bool) & ~inwin_s.to_numpy(bool),
                 "moved in": s["exists"].to_numpy(bool) & ~same}
    for mask, flags, grp, sign, amt in (
            (ex, exit_flags, s["group"].to_numpy(object), -1.0,
             sa if exit_amount == "start" else ea),
            (ent, ent_flags, e["group"].to_numpy(object), 1.0, ea)):
        bucket = np.full(len(mask), None, dtype=object)
        for reason in reversed([r for r in prec if r in flags]):   # first applicable wins
            bucket = np.where(flags[reason], reason, bucket)
        if (mask & (bucket == None)).any():
            raise AssertionError("a deal changed scope with no reason")  # pragma: no cover
        parts.append((ids[mask], grp[mask], bucket[mask], sign * amt[mask]))
        if sign > 0:    # pass-throughs: in at their entry reason, out as won / lost
            through = (~in_s & ~in_e & inwin_e.to_numpy(bool) & np.isin(st_e, ("won", "lost"))
                       & e["exists"].to_numpy(bool)
                       & (~s["exists"].to_numpy(bool) | open_s.to_numpy(bool)))
            parts.append((ids[through], grp[through], bucket[through], ea[through]))
            parts.append((ids[through], grp[through], st_e[through].astype(object), -ea[through]))
        if sign < 0 and exit_amount == "end":
            dd = ea - sa
            mm = mask & (dd != 0)
            parts.append((ids[mm], grp[mm], np.where(dd[mm] > 0, "amount up", "amount down"),
                          dd[mm]))
    out = pd.DataFrame({k: np.concatenate([p[i] for p in parts]) for i, k in
                        enumerate(("opportunity_id", "group", "bucket", "amount"))})
    out["amount"] = out["amount"].astype(float)
    return out


def _pair(ds, start, end, by):
    s, e = _state(ds, start, by), _state(ds, end, by)
    pair = e.merge(s, on="opportunity_id", how="outer", suffixes=("_e", "_s"), indicator=True)
    S = pd.DataFrame({"opportunity_id": pair["opportunity_id"],
                      "exists": pair["_merge"].isin(["both", "right_only"])})
    E = pd.DataFrame({"opportunity_id": pair["opportunity_id"],
                      "exists": pair["_merge"].isin(["both", "left_only"])})
    for frame, sfx in ((S, "_s"), (E, "_e")):
        for c in ("status", "amount", "close_date", "group"):
            frame[c] = pair[c + sfx].to_numpy()
        frame["amount"] = frame["amount"].astype(float).fillna(0.0)
        frame["close_date"] = pd.to_datetime(frame["close_date"])
        frame["group"] = frame["group"].astype(object).where(frame["exists"], None)
    return s, e, S, E


def _in_scope(st, window) -> pd.DataFrame:
    lo, hi = window
    return st[(st["status"] == "open") & (st["close_date"] >= lo) & (st["close_date"] <= hi)]


def _assemble(rows, s_in, e_in, groups, by, count_col="deals") -> pd.DataFrame:
    key = by or "group"
    agg = rows.groupby(["group", "bucket"])
    tab = pd.DataFrame({"amount": agg["amount"].sum(),
                        count_col: agg["opportunity_id"].size() if count_col == "changes"
                        else agg["opportunity_id"].nunique()})
    ends = []
    for name, frame in (("start", s_in), ("end", e_in)):
        g = frame.groupby("group")
        ends.append(pd.DataFrame({"amount": g["amount"].sum(), count_col: g.size()})
                    .assign(bucket=name).set_index("bucket", append=True))
    tab = pd.concat([tab.astype(float)] + [x.astype(float) for x in ends])
    idx = pd.MultiIndex.from_product([list(groups), list(ORDER)], names=["group", "bucket"])
    res = tab.reindex(idx).fillna(0.0).reset_index().rename(columns={"group": key})
    res["amount"] = res["amount"].astype(float)
    res[count_col] = res[count_col].astype("int64")
    return res if by else res.drop(columns="group")


def waterfall(ds, start, end, by: str | None = None, *, window=None, precedence=PRECEDENCE,
              exit_amount: str = "start", engine: str = "auto") -> pd.DataFrame:
    """The pipeline's walk from ``start`` to ``end``: start, buckets, end (module rules).

    Parameters
    ----------
    ds : Dataset, a ``duckdb:///file.duckdb`` URL, or any other source ``load_dataset`` reads
        A DuckDB URL runs the buckets as one DuckDB query over the file's contract tables
        (:func:`salesops_lib.pipeline.waterfall_sql`), never loading the history into memory.
    start, end : dates
        The two dates compared (each read at the end of its day); any two, ``start ≤ end``.
    by : str, optional
        Group column (``team``, ``rep_id``, ``manager``, ``region``, ``product``...): one
        waterfall per group, owner and team moves between groups shown as moved in/out.
    window : period label or (first, last) dates, optional
        Close-date window of the scope; default the fiscal quarter holding ``end``.
    precedence : sequence of str
        Order in which exit and entry reasons claim a deal (:data:`PRECEDENCE`).
    exit_amount : "start" or "end"
        The amount an exit is booked at (see the module docstring).
    engine : "auto", "pandas" or "duckdb"
        "auto" = DuckDB for a URL, pandas for a Dataset.

    Returns
    -------
    DataFrame
        (``by`` column,) ``bucket`` (:data:`ORDER`), ``amount``, ``deals``. Per group
        ``amount[start] + Σ amount[buckets] == amount[end]``; ``deals`` counts distinct deals.
    """
    s0, e0 = _check_dates(start, end)
    check_precedence(precedence)
    if isinstance(ds, str) and not (ds.startswith("duckdb:") or ds.endswith(".duckdb")):
        from ..data import load_dataset  # "sample", a folder, another database URL
        ds = load_dataset(ds)
    if engine not in ("auto", "pandas", "duckdb"):
        raise ValueError(f"engine must be 'auto', 'pandas' or 'duckdb', got {engine!r}")
    if isinstance(ds, str) or engine == "duckdb":
        from .sql import waterfall_sql
        return waterfall_sql(ds, s0, e0, by=by, window=window, precedence=precedence,
                             exit_amount=exit_amount)
    win = close_window(ds, e0, window)
    s, e, S, E = _pair(ds, s0, e0, by)
    rows = classify(S, E, win, precedence, exit_amount)
    s_in, e_in = _in_scope(s, win), _in_scope(e, win)
    groups = sorted(set(s_in["group"]) | set(e_in["group"]) | set(rows["group"])) if by \
        else ["total"]
    return _assemble(rows, s_in, e_in, groups, by)


def history_rows(ds) -> pd.DataFrame:
    """Every deal's state changes: ``opportunity_history``, plus, for deals with no history
    row, the two changes their final row implies (open at ``created_date``; the final status
    at ``close_date`` when closed), as :func:`~salesops_lib.measures.state_as_of` reads them.

    Returns ``opportunity_id``, ``changed_at``, ``stage``, ``status``, ``amount``,
    ``close_date``, ``rep_id``, ``synthetic`` (bool), sorted by deal and time (ties: source order).
    """
    cols = ["opportunity_id", "changed_at", "stage", "status", "amount", "close_date", "rep_id"]
    opp = ds.opportunities
    h = ds.opportunity_history
    h = h[[c for c in cols if c in h.columns]].copy() if h is not None and len(h) else \
        pd.DataFrame(columns=cols)
    h = h.reindex(columns=cols)
    h["synthetic"] = False
    rest = opp[~opp["opportunity_id"].isin(h["opportunity_id"])]
    first = rest[["opportunity_id", "created_date", "stage", "amount", "close_date",
                  "rep_id"]].rename(columns={"created_date": "changed_at"})
    first = first.assign(status="open")
    closed = rest[rest["status"] != "open"]
    last = closed[["opportunity_id", "close_date", "stage", "status", "amount", "rep_id"]].assign(
        changed_at=closed["close_date"])
    syn = pd.concat([first, last], ignore_index=True)[cols].assign(synthetic=True)
    out = pd.concat([x for x in (h, syn) if len(x)], ignore_index=True) if len(h) + len(syn) \
        else syn
    out["changed_at"] = pd.to_datetime(out["changed_at"])
    out["close_date"] = pd.to_datetime(out["close_date"])
    out["amount"] = out["amount"].astype(float)
    out["_seq"] = np.arange(len(out))
    out = out.sort_values(["opportunity_id", "changed_at", "_seq"], kind="stable")
    return out.drop(columns="_seq").reset_index(drop=True)


def waterfall_path(ds, start, end, by: str | None = None, *, window=None,
                   precedence=PRECEDENCE, exit_amount: str = "start") -> pd.DataFrame:
    """Every change inside the window, bucketed by the same rules as :func:`waterfall`.

    Each history row changed after the end of ``start`` and on or before the end of ``end``
    is compared with the deal's previous state (its state at ``start`` for its first change in
    the window). A deal pushed out and pulled back in shows in both buckets. ``exit_amount``
    as in :func:`waterfall` (``"end"``: a change that closes a deal books it at its closing
    amount, the difference in amount up / down).

    Returns
    -------
    DataFrame
        (``by`` column,) ``bucket``, ``amount``, ``changes`` (number of changes in the bucket);
        start and end rows as in :func:`waterfall`, so per group the buckets again sum to
        ``end − start``.
    """
    s0, e0 = _check_dates(start, end)
    win = close_window(ds, e0, window)
    s = _state(ds, s0, by)
    e = _state(ds, e0, by)
    h = history_rows(ds)
    opp = ds.opportunities.set_index("opportunity_id")
    h = h[h["opportunity_id"].map(opp["created_date"]) < e0 + pd.Timedelta(days=1)]
    inside = h[(h["changed_at"] >= s0 + pd.Timedelta(days=1))
               & (h["changed_at"] < e0 + pd.Timedelta(days=1))].copy()
    inside["amount"] = inside["amount"].fillna(0.0)
    if "rep_id" in inside:
        fb = inside["opportunity_id"].map(opp["rep_id"])
        inside["rep_id"] = inside["rep_id"].fillna(fb)
    inside = inside.merge(ds.opportunities[["opportunity_id", "account_id"]], on="opportunity_id",
                          how="left")
    inside["group"] = group_values(ds, by, inside) if by else "total"
    cur = inside[["opportunity_id", "status", "amount", "close_date", "group"]].assign(exists=True)
    prev = cur.groupby("opportunity_id", sort=False).shift(1)
    prev["opportunity_id"] = cur["opportunity_id"]
    first = prev["status"].isna() & ~cur.duplicated("opportunity_id")
    # a deal's first change in the window starts from its state at the end of `start`
    s_idx = s.set_index("opportunity_id")
    known = cur["opportunity_id"].isin(s_idx.index)
    for c in ("status", "amount", "close_date", "group"):
        prev[c] = prev[c].astype(object)
        prev.loc[first, c] = cur.loc[first, "opportunity_id"].map(s_idx[c]).astype(object)
    prev["exists"] = ~first | known
    prev["amount"] = prev["amount"].astype(float).fillna(0.0)
    prev["close_date"] = pd.to_datetime(prev["close_date"])
    prev["group"] = prev["group"].astype(object).where(prev["exists"], None)
    rows = classify(prev.reset_index(drop=True), cur.reset_index(drop=True), win, precedence,
                    exit_amount)
    s_in, e_in = _in_scope(s, win), _in_scope(e, win)
    groups = sorted(set(s_in["group"]) | set(e_in["group"]) | set(rows["group"])) if by \
        else ["total"]
    return _assemble(rows, s_in, e_in, groups, by, count_col="changes")


def reconciles(wf: pd.DataFrame, by: str | None = None, tol: float = 1e-6) -> bool:
    """True when, in every group, start + Σ buckets equals end (within ``tol`` dollars)."""
    key = by or None
    groups = [wf] if key is None else [g for _, g in wf.groupby(key)]
    for g in groups:
        a = g.set_index("bucket")["amount"]
        if abs(a["start"] + a[list(BUCKETS)].sum() - a["end"]) > tol:
            return False
    return True


__all__ = ["BUCKETS", "ENTRIES", "EXITS", "ORDER", "PRECEDENCE", "UNASSIGNED", "check_precedence",
           "classify", "close_window", "history_rows", "reconciles", "waterfall",
           "waterfall_path"]
