"""The one home of the business definitions every report shares.

Two pages never disagree on these, because they all call this module:

* :func:`monthly_quota` / :func:`quota_for_period`: a rep's quota for any fiscal period;
* :func:`account_potential`, :func:`account_workload`: what an account is worth and costs;
* :func:`report_date`: the single "as of" date a report on a period describes;
* :func:`group_values`, :data:`UNASSIGNED`: how a deal is keyed to a team, region, ...;
* :func:`state_as_of`: every opportunity as it stood at the end of a given day;
* :func:`comparable_window`: the like-for-like window a period is compared with a year back;
* :func:`data_start`, :func:`bookings_start`: the days the data begin, and observe bookings;
* :func:`cycle_days`, :func:`median_cycle_days`: the one sales-cycle definition;
* :func:`rep_display_names`: how a rep is named on a page (same-named reps told apart).

**Quota for a period.** Quota rows may be set per fiscal year, quarter or month, and a rep
may have several granularities at once. The rule works month by month:

1. a row covering ``m`` months gives ``quota / m`` to each of its months;
2. in a month covered by rows of several granularities, the finest row wins (a month row
   over a quarter row over a year row), so nothing is counted twice and a partial
   breakdown (a quarter plus one of its months) refines only the months it names;
3. a quota row is the full-time quota of its span: a rep hired inside the span carries only
   the employed share of each month (days from the hire date to the month's end ÷ days in
   the month; months before the hire month carry nothing);
4. a period's quota is the sum of its months. A matched quota of zero or below is a
   ``ValueError``: attainment would be undefined.

Example: a Q3 row of 300 and a September row of 120 give July 100 + August 100 + September
120 = 320 for the quarter, and 120 for September.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
import pandas as pd

from .periods import Period, window_bounds

#: Stage of a deal on a past day when the source keeps neither history nor stage dates.
UNRECORDED_STAGE = "(stage not recorded)"
#: Label given to a group whose key is missing (a rep with no team, a deal with no channel).
UNASSIGNED = "(unassigned)"

#: Hours per year to cover one account of a segment (before the size factor).
SEGMENT_HOURS = {"enterprise": 40.0, "midmarket": 20.0, "commercial": 20.0, "smb": 8.0,
                 "smallbusiness": 8.0}
#: Hours per year for an account whose segment is missing or not listed above.
DEFAULT_HOURS = 12.0


class GroupKeyError(ValueError, KeyError):
    """A grouping column that no table has (a ``ValueError`` and a ``KeyError``)."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else ""


_KIND_RANK = {"month": 0, "quarter": 1, "year": 2}
_STATE_COLUMNS = ("stage", "status", "amount", "close_date", "forecast_category", "rep_id")


# --------------------------------------------------------------------------------------------
# dates
# --------------------------------------------------------------------------------------------
def month_index(dates) -> np.ndarray:
    """Month number ``year·12 + month − 1`` of each date (vectorised)."""
    d = pd.DatetimeIndex(pd.to_datetime(pd.Series(dates)))
    return np.asarray(d.year * 12 + d.month - 1, dtype="int64")


def report_date(ds, period) -> pd.Timestamp:
    """The date a report on ``period`` describes: the period's last day when it is over,
    else the data's as-of date (a report on a quarter in progress is "as of" today's data).
    Every page of a report shows this one date."""
    P = Period.parse(period, ds.fiscal_start_month)
    return min(P.end, pd.Timestamp(ds.as_of))


# --------------------------------------------------------------------------------------------
# quota
# --------------------------------------------------------------------------------------------
def _empty_monthly() -> pd.DataFrame:
    return pd.DataFrame({"rep_id": pd.Series(dtype="string"), "month": pd.Series(dtype="int64"),
                         "quota": pd.Series(dtype=float)})


def monthly_quota(quotas: pd.DataFrame, fiscal_start_month: int = 1,
                  reps: pd.DataFrame | None = None) -> pd.DataFrame:
    """Each rep's quota per calendar month under the module's quota rule.

    ``quotas`` has ``rep_id``, ``period`` (fiscal label: ``2026``, ``2026-Q3``, ``2026-09``,
    parsed with ``fiscal_start_month``), ``quota``. With ``reps`` (``rep_id``, ``hire_date``)
    months before a rep's hire carry no quota and the hire month the employed share (rule 3);
    without it no proration is made. Returns ``rep_id``, ``month`` (:func:`month_index`),
    ``quota``: one row per rep and month that any quota row covers.
    """
    q = quotas[["rep_id", "period", "quota"]]
    if q.empty:
        return _empty_monthly()
    codes, labels = pd.factorize(q["period"].astype(str))
    parsed = [Period.parse(s, fiscal_start_month) for s in labels]   # per label, not per row
    m0 = np.array([p.start.year * 12 + p.start.month - 1 for p in parsed])[codes]
    m1 = np.array([p.end.year * 12 + p.end.month - 1 for p in parsed])[codes]
    rank = np.array([_KIND_RANK[p.kind] for p in parsed])[codes]
    span = m1 - m0 + 1
    row = np.repeat(np.arange(len(q)), span)
    first = np.repeat(np.cumsum(span) - span, span)
    month = np.repeat(m0, span) + (np.arange(len(row)) - first)
    rows = pd.DataFrame({"rep_id": q["rep_id"].to_numpy()[row], "month": month,
                         "rank": rank[row], "row": row,
                         "quota": q["quota"].to_numpy(float)[row] / span[row]})
    finest = rows.groupby(["rep_id", "month"])["rank"].transform("min")
    rows = rows[rows["rank"] == finest]
    out = rows.groupby(["rep_id", "month"], as_index=False)["quota"].sum()
    if reps is not None and "hire_date" in reps and len(out):
        hire = out["rep_id"].map(reps.set_index("rep_id")["hire_date"])
        start = pd.to_datetime(pd.DataFrame({"year": out["month"] // 12,
                                             "month": out["month"] % 12 + 1, "day": 1}))
        days = start.dt.days_in_month
        employed = ((start + pd.to_timedelta(days, unit="D")) - pd.to_datetime(hire)).dt.days
        share = (employed / days).clip(0, 1).fillna(1.0)
        out["quota"] = out["quota"] * share.to_numpy()
        out = out[share.to_numpy() > 0]
    out["rep_id"] = out["rep_id"].astype("string")
    return out.reset_index(drop=True)


def quota_for_period(ds, period, *, prorate_hires: bool = True) -> pd.DataFrame:
    """Each rep's quota for ``period`` (any fiscal year, quarter or month) under the module's
    quota rule, from ``ds.quotas`` (and ``ds.reps.hire_date`` for rule 3, unless
    ``prorate_hires=False``: a row then counts in full whatever the hire date).

    Returns ``rep_id``, ``quota``: only reps with quota in at least one month of the period.
    Raises ``ValueError`` when a quota row matched by the period is zero or negative.
    """
    P = Period.parse(period, ds.fiscal_start_month)
    q = ds.quotas
    if len(q) and not (q["quota"] > 0).all():
        m = monthly_quota(q[~(q["quota"] > 0)], ds.fiscal_start_month)
        p0, p1 = month_index([P.start, P.end])
        hit = m[(m["month"] >= p0) & (m["month"] <= p1)]
        if len(hit):
            reps = ", ".join(sorted(hit["rep_id"].astype(str).unique())[:5])
            raise ValueError(f"quota must be > 0 to compute attainment for {P.label}; zero or "
                             f"negative quota for rep(s) {reps}")
    mq = monthly_quota(q[q["quota"] > 0] if len(q) else q, ds.fiscal_start_month,
                       ds.reps if prorate_hires else None)
    p0, p1 = month_index([P.start, P.end])
    mq = mq[(mq["month"] >= p0) & (mq["month"] <= p1)]
    out = mq.groupby("rep_id", observed=True)["quota"].sum().rename("quota").reset_index()
    out["rep_id"] = out["rep_id"].astype("string")
    return out


def quota_by_group(ds, period, by: str | None = None) -> pd.DataFrame:
    """Quota for ``period`` summed per value of the rep attribute ``by`` (``team``, ``manager``,
    ``role``, ``rep_id``) or over everyone (``by=None``, one row ``"total"``).

    Returns ``unique_id``, ``quota``. Reps whose attribute is missing sum under
    :data:`UNASSIGNED`.
    """
    q = quota_for_period(ds, period)
    if by and by != "rep_id":
        if by not in ds.reps.columns:
            raise ValueError(f"quota can be grouped by a rep column only; {by!r} is not one")
        key = q["rep_id"].map(ds.reps.set_index("rep_id")[by])
    elif by == "rep_id":
        key = q["rep_id"]
    else:
        key = pd.Series("total", index=q.index)
    key = key.astype("string").fillna(UNASSIGNED).astype(str)
    return q.groupby(key.to_numpy())["quota"].sum().rename_axis("unique_id").reset_index()


# --------------------------------------------------------------------------------------------
# accounts
# --------------------------------------------------------------------------------------------
def account_potential(accounts: pd.DataFrame) -> tuple[pd.Series, str]:
    """What each account could buy, and which column that figure came from.

    ``accounts.potential`` (missing = 0) when any account has one; otherwise
    ``annual_revenue``; otherwise one unit per account (so balancing "potential" balances
    account counts). Returns ``(series named "potential", basis)`` with ``basis`` one of
    ``"potential"``, ``"annual_revenue"``, ``"accounts"``.
    """
    for col in ("potential", "annual_revenue"):
        if col in accounts and accounts[col].notna().any():
            return accounts[col].astype("float64").fillna(0.0).rename("potential"), col
    return pd.Series(1.0, index=accounts.index, name="potential"), "accounts"


def potential_unit(basis: str) -> str:
    """How a potential from :func:`account_potential` is shown: ``"money"`` for a dollar
    figure (``potential``, ``annual_revenue``), ``"num"`` when it fell back to one unit per
    account (``basis == "accounts"``: a count, never with a "$")."""
    return "num" if basis == "accounts" else "money"


def account_workload(accounts: pd.DataFrame) -> pd.Series:
    """Hours per year to cover each account.

    ``workload = segment hours × (1 + log10(1 + employees / 100))`` with segment hours from
    :data:`SEGMENT_HOURS` (matched ignoring case, spaces, ``-`` and ``_``; others
    :data:`DEFAULT_HOURS`) and missing employees read as 0.
    """
    seg = accounts["segment"] if "segment" in accounts else pd.Series(pd.NA, index=accounts.index)
    key = seg.astype("string").str.lower().str.replace(r"[\s\-_]", "", regex=True)
    hours = key.map(SEGMENT_HOURS).astype("float64").fillna(DEFAULT_HOURS)
    emp = pd.to_numeric(accounts["employees"], errors="coerce") if "employees" in accounts else 0.0
    size = 1.0 + np.log10(1.0 + np.clip(np.nan_to_num(np.asarray(emp, float)), 0, None) / 100.0)
    return pd.Series(hours.to_numpy() * size, index=accounts.index, name="workload")


# --------------------------------------------------------------------------------------------
# group keys
# --------------------------------------------------------------------------------------------
def group_values(ds, by: str, frame: pd.DataFrame | None = None) -> pd.Series:
    """The value of ``by`` for every row of ``frame`` (default ``ds.opportunities``).

    ``by`` may be a column of the frame itself (``rep_id``, ``product``, ``channel``), of
    ``reps`` (``team``, ``manager``, ``role``; looked up through ``rep_id``) or of
    ``accounts`` (``region``, ``segment``, ``industry``; through ``account_id``). Missing values
    read :data:`UNASSIGNED`. The result is a string Series aligned with ``frame``.

    Raises
    ------
    GroupKeyError
        ``by`` is a column of none of these tables (the message lists what there is).
    """
    df = ds.opportunities if frame is None else frame
    if by in df.columns:
        vals = df[by]
    elif by in ds.reps.columns and "rep_id" in df.columns:
        vals = df["rep_id"].map(ds.reps.set_index("rep_id")[by])
    elif by in ds.accounts.columns and "account_id" in df.columns:
        vals = df["account_id"].map(ds.accounts.set_index("account_id")[by])
    else:
        raise GroupKeyError(f"cannot group by {by!r}: it is a column of neither opportunities "
                         f"({list(ds.opportunities.columns)}), reps ({list(ds.reps.columns)}) "
                         f"nor accounts ({list(ds.accounts.columns)})")
    return vals.astype("string").fillna(UNASSIGNED).astype(str)


# --------------------------------------------------------------------------------------------
# point in time
# --------------------------------------------------------------------------------------------
def state_as_of(ds, date) -> pd.DataFrame:
    """Every opportunity as it stood at the end of ``date``: what was known then.

    With ``ds.opportunity_history`` (each deal's rows from its creation on, each holding the
    state *after* that change), a deal's state on ``d`` is its last history row with
    ``changed_at ≤ d`` (end of day); deals created after ``d`` are left out. Deals without
    any history row (a source that only partly keeps history) fall back to the rule below.

    Without history, the ``opportunities`` row is read back in time: a deal closed after
    ``d`` was open on ``d`` (its stage the last ``stage_history`` entry on or before ``d``, else
    :data:`UNRECORDED_STAGE`: never its final won/lost stage), and amount, category and close
    date are the final ones: the best a source without history allows, and said in the
    data-health block by the loader.

    Returns
    -------
    DataFrame
        One row per opportunity created on or before ``d``: ``opportunity_id``,
        ``account_id``, ``created_date``, ``product``, ``channel`` (from ``opportunities``),
        and ``stage``, ``status``, ``amount``, ``close_date``, ``forecast_category``,
        ``rep_id`` as of ``d``; plus ``from_history`` (bool).
    """
    d = pd.Timestamp(date).normalize()
    end = d + pd.Timedelta(days=1)
    opp = ds.opportunities
    known = opp[opp["created_date"] < end]
    hist = getattr(ds, "opportunity_history", None)
    base_cols = [c for c in ("opportunity_id", "account_id", "created_date", "product", "channel")
                 if c in known.columns]
    extra = [c for c in known.columns if c not in base_cols and c not in _STATE_COLUMNS]
    out = known[base_cols + extra].copy()
    state = pd.DataFrame(index=out.index)
    has = pd.Series(False, index=out.index)
    if hist is not None and len(hist):
        h = hist[hist["changed_at"] < end]
        h = h.sort_values(["opportunity_id", "changed_at"], kind="stable")
        last = h.drop_duplicates("opportunity_id", keep="last").set_index("opportunity_id")
        has = out["opportunity_id"].isin(last.index)
        for c in _STATE_COLUMNS:
            if c in last.columns:
                state[c] = out["opportunity_id"].map(last[c])
    # fallback for deals without history: read the final row back in time
    closed_later = known["close_date"] >= end
    fb_status = known["status"].where(~closed_later | (known["status"] == "open"), "open")
    fb_stage = known["stage"].where(~closed_later, _stage_on(ds, known, end))
    fallback = {"stage": fb_stage, "status": fb_status, "amount": known["amount"],
                "close_date": known["close_date"],
                "forecast_category": known.get("forecast_category",
                                               pd.Series(pd.NA, index=known.index)),
                "rep_id": known["rep_id"]}
    for c, fb in fallback.items():
        if c in state.columns:
            # a history row leaves a column empty only where the source did not track it
            col = state[c].where(has, fb)
            out[c] = col.fillna(fb) if c in ("rep_id", "created_date") else col
        else:
            out[c] = fb
    out["amount"] = out["amount"].astype(float)
    out["close_date"] = pd.to_datetime(out["close_date"])
    out["from_history"] = has.to_numpy()
    return out.reset_index(drop=True)


def _stage_on(ds, known: pd.DataFrame, end: pd.Timestamp) -> pd.Series:
    """Each deal's last ``stage_history`` stage entered before ``end`` (else its stage)."""
    sh = ds.stage_history
    if sh is None or sh.empty:
        # a deal still open then was not in its final (won/lost) stage: say it is not known
        return pd.Series(UNRECORDED_STAGE, index=known.index, dtype="string")
    sh = sh[sh["entered_date"] < end].sort_values(["opportunity_id", "entered_date"],
                                                  kind="stable")
    last = sh.drop_duplicates("opportunity_id", keep="last").set_index("opportunity_id")["stage"]
    return known["opportunity_id"].map(last).astype("string").fillna(UNRECORDED_STAGE)


# --------------------------------------------------------------------------------------------
# open pipeline on a date
# --------------------------------------------------------------------------------------------
def open_pipeline_as_of(ds, date, window=None) -> pd.DataFrame:
    """The deals open at the end of ``date``, as they stood then, due in ``window``.

    The one definition behind every "open pipeline at t" number (scorecard open pipeline
    and coverage, the executive summary's outlook): a deal counts when, in its
    :func:`state_as_of` row for ``date``, ``status = open`` and the close date it had *then*
    lies in ``window``. Amount, close date, forecast category and owner are those of that day,
    never the final ones; a source without history falls back to the final row read back in
    time (a deal closed after ``date`` was open on it).

    Parameters
    ----------
    ds : Dataset
    date : date-like
        The snapshot day ``t`` (end of day).
    window : str, Period, (start, end) or None
        A fiscal period label or :class:`~salesops_lib.periods.Period`, or two dates
        (inclusive); ``None`` keeps every open deal whatever its close date.

    Returns
    -------
    DataFrame
        The :func:`state_as_of` columns for those deals (``opportunity_id``, ``account_id``,
        ``rep_id`` as of ``t``, ``amount`` as of ``t``, ``close_date`` as of ``t``, ``stage``,
        ``forecast_category``, ...). ``open_pipeline = Σ amount``. Group it with
        :func:`group_values` (``rep_id`` and ``account_id`` are present).
    """
    state = state_as_of(ds, date)
    keep = (state["status"] == "open").to_numpy()
    if window is not None:
        lo, hi = window_bounds(window, ds.fiscal_start_month)
        close = state["close_date"]
        keep &= ((close >= lo) & (close <= hi)).fillna(False).to_numpy()
    return state[keep].reset_index(drop=True)


# --------------------------------------------------------------------------------------------
# like-for-like comparison
# --------------------------------------------------------------------------------------------
class Window(NamedTuple):
    """A comparison window: first and last day (inclusive) and how a page names it."""

    start: pd.Timestamp
    end: pd.Timestamp
    label: str


def data_start(ds) -> pd.Timestamp:
    """The day the data begin: the earliest ``created_date`` of any opportunity (NaT without
    any). Periods before it are unknown, not zero (the pipeline's and the report's first day);
    a rate over bookings starts at :func:`bookings_start` instead."""
    if getattr(ds, "is_lazy", False):      # a lazy source knows its first date
        return pd.Timestamp(ds.first_created) if pd.notna(ds.first_created) else pd.NaT
    created = ds.opportunities["created_date"]
    return pd.Timestamp(created.min()) if len(created) and created.notna().any() else pd.NaT


def bookings_start(ds) -> pd.Timestamp:
    """The day from which the data observe bookings: the first day of the month of the first
    close of a closed (won or lost) deal, never before the month the data begin (no deal closes
    before it was created). Rates over bookings or closed deals (cost of sale, bookings per FTE,
    like-for-like, consistency, trailing bookings) start here, not at :func:`data_start`: an
    export cut by close date holds deals created long before their close but no earlier close
    (Maven: deals from 20 Oct 2016, none closed before 1 Mar 2017), and rep time or quota in
    those months would be set against bookings the data cannot show. A close shows the export
    covers its month (a quiet first day must not cost a whole quarter). An export cut by
    *creation* date lacks the deals created before it (its first months hold only quick deals);
    the data cannot tell that from a CRM whose history begins there, so no cycle is added (it
    would drop good months of every full history). NaT without deals; :func:`data_start`
    without a closed deal."""
    if getattr(ds, "is_lazy", False):      # one small query
        close = ds.query(f'select min(close_date) as c from "{ds.names["opportunities"]}" '
                         "where status in ('won', 'lost')")["c"].iloc[0]
    else:
        o = ds.opportunities
        close = o.loc[o["status"].isin(["won", "lost"]), "close_date"].min()
    if pd.isna(close):
        return data_start(ds)
    return pd.Timestamp(close).to_period("M").to_timestamp()


def comparable_window(ds, period) -> dict:
    """The window a report on ``period`` measures, and the same window one fiscal year back.

    With ``t`` = :func:`report_date`:

    * a period that is over compares the full period with the full same period last year;
    * a period in progress compares ``start(P) … t`` (period to date) with the same number of
      days from the start of last year's period: ``start(P′) … start(P′) + (t − start(P))``,
      clipped to the end of ``P′`` (so 46 days are compared with 46 days, never with a whole
      quarter).

    ``previous_available`` says whether the data reach back to the previous window's start
    (:func:`bookings_start` is on or before it); when they do not, a page must say there
    is no comparison instead of showing the previous window's (empty) sums as zero.

    Returns
    -------
    dict
        ``current`` and ``previous`` (:class:`Window`: ``start``, ``end``, ``label``),
        ``complete`` (bool), ``days`` (days in the current window), ``previous_available``.
    """
    P = Period.parse(period, ds.fiscal_start_month)
    L = P.last_year()
    t = report_date(ds, P)
    complete = t >= P.end
    days = int((t - P.start).days) + 1
    if complete:
        cur = Window(P.start, P.end, P.label)
        prev = Window(L.start, L.end, L.label)
    else:
        cur = Window(P.start, t, f"{P.label} to date ({days} days)")
        prev_end = min(L.start + pd.Timedelta(days=days - 1), L.end)
        prev = Window(L.start, prev_end, f"{L.label}, same {days} days")
    first = bookings_start(ds)      # a window compares bookings: observed from here
    available = bool(pd.notna(first) and first <= prev.start)
    return {"current": cur, "previous": prev, "complete": bool(complete), "days": days,
            "previous_available": available}


# --------------------------------------------------------------------------------------------
# sales cycle
# --------------------------------------------------------------------------------------------
def cycle_days(opportunities: pd.DataFrame) -> pd.Series:
    """The sales cycle of each deal: ``close_date − created_date`` in whole days (≥ 0).

    This is the one cycle definition of every page: days from creation to close of a *won*
    deal; :func:`median_cycle_days` takes its median over the deals won in a window. (The
    rep-performance page also shows a Kaplan–Meier estimate that counts still-open deals, but
    always labelled as such, never as "the" cycle.)
    """
    d = (pd.to_datetime(opportunities["close_date"]) - pd.to_datetime(opportunities["created_date"]))
    return d.dt.days.clip(lower=0).astype(float).rename("cycle_days")


def median_cycle_days(ds, start, end, by: str | None = None):
    """Median :func:`cycle_days` of the deals won with ``close_date`` in ``[start, end]``.

    Returns a float (NaN when nothing was won), or with ``by`` (a column of opportunities,
    reps or accounts, see :func:`group_values`) a Series indexed by its values.
    """
    if getattr(ds, "is_lazy", False):      # the same median, computed in the database
        t = ds.window_totals(start, end, by=by).set_index("key")["cycle_days_median"]
        return float(t.iloc[0]) if by is None and len(t) else (
            float("nan") if by is None else t.rename_axis(None))
    opp = ds.opportunities
    won = opp[(opp["status"] == "won") & (opp["close_date"] >= pd.Timestamp(start))
              & (opp["close_date"] <= pd.Timestamp(end))]
    days = cycle_days(won)
    if by is None:
        return float(days.median()) if len(days) else float("nan")
    return days.groupby(group_values(ds, by, won).to_numpy()).median()


# --------------------------------------------------------------------------------------------
# names on a page
# --------------------------------------------------------------------------------------------
def rep_display_names(reps: pd.DataFrame) -> pd.Series:
    """How each rep is named on a page: the name, told apart when two reps share it.

    A name held by one rep is shown as is. Reps sharing a name get their team in brackets
    ("Elena Larsen (West)") when that separates them, else their rep id ("Elena Larsen
    (R017)"); an empty name shows the rep id. ``reps`` needs ``rep_id`` and ``rep_name``
    (``team`` optional). Returns a string Series aligned with ``reps`` (same index), named
    ``rep``.
    """
    rid = reps["rep_id"].astype("string").fillna("")
    name = reps["rep_name"].astype("string").str.strip() if "rep_name" in reps else rid
    name = name.where(name.notna() & (name != ""), rid)
    out = name.copy()
    dup = name.duplicated(keep=False)
    if dup.any():
        team = (reps["team"].astype("string") if "team" in reps
                else pd.Series(pd.NA, index=reps.index, dtype="string"))
        with_team = name + " (" + team.fillna("") + ")"
        team_ok = team.notna() & ~with_team.duplicated(keep=False)
        out = out.where(~dup, name.where(~team_ok, with_team).where(team_ok, name + " (" + rid + ")"))
    return out.astype(str).rename("rep")


def rep_names_by_id(reps: pd.DataFrame) -> pd.Series:
    """:func:`rep_display_names` indexed by ``rep_id`` (as text), for mapping any frame's
    ``rep_id`` column to the name a page shows."""
    return rep_display_names(reps).set_axis(reps["rep_id"].astype(str).to_numpy())
