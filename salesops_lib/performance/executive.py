"""The executive summary: the handful of numbers leadership opens first, each with a reading.

Every comparison is like for like (:func:`salesops_lib.measures.comparable_window`): a
period in progress is compared to date with the same number of days of last year's period,
a period that is over with the whole of last year's. The page has one "as of" date
(:func:`salesops_lib.measures.report_date`), the sales cycle is the one definition of every
page (:func:`salesops_lib.measures.median_cycle_days`), and open pipeline and coverage are
the pipeline as it stood on the report date (:func:`salesops_lib.measures.state_as_of`).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .. import viz
from ..data import Dataset
from ..measures import (
    bookings_start,
    comparable_window,
    cycle_days,
    group_values,
    open_pipeline_as_of,
    quota_for_period,
    report_date,
    state_as_of,
)
from ..periods import Period, period_containing
from .plots import plot_monthly_bookings, plot_team_bookings  # noqa: F401 (the page's charts)
from .scorecard import is_lazy
from .winrates import wilson_interval

#: Default red/amber/green thresholds: coverage (open pipeline ÷ quota still to close) and
#: attainment (bookings ÷ quota). Green at or above the first, amber at or above the second.
COVERAGE_RAG = (3.0, 2.0)
ATTAINMENT_RAG = (1.0, 0.8)
_NEEDS = "an expected close date and an amount"


def outlook_period(ds: Dataset, period) -> Period:
    """The quarter whose pipeline matters now: the fiscal quarter holding the report date while
    ``period`` is in progress, else the quarter after ``period`` ends.

    Coverage is a quarterly measure (its 3× target is a quarter's), so a month or year page
    reads it on a quarter too: on a quarter page this is the quarter itself while it runs and
    the next one after; on the closed year 2025 it is 2026-Q1 (a whole next year's pipeline on
    31 December read 0.5× against the quarterly target, because most of that year's deals
    were not yet created); on the month 2026-09, once over, 2026-Q4."""
    P = Period.parse(period, ds.fiscal_start_month)
    day = (max(pd.Timestamp(ds.as_of), P.start) if ds.as_of < P.end
           else P.end + pd.Timedelta(days=1))
    return period_containing(day, "quarter", ds.fiscal_start_month)


def _keys(ds: Dataset, frame: pd.DataFrame, by: str | None) -> np.ndarray:
    if by is None:
        return np.full(len(frame), "all", dtype=object)
    return group_values(ds, by, frame).to_numpy()


def pipeline_outlook(ds: Dataset, period, by: str | None = None) -> pd.DataFrame:
    """Open pipeline due in the outlook period as it stood on the report date, and coverage.

    With ``t`` = :func:`report_date`, ``Q`` = :func:`outlook_period` and every deal as it
    stood at the end of ``t`` (:func:`salesops_lib.measures.state_as_of`: amount, status,
    close date and owner known then, not the final row):

    * ``open_pipeline`` = Σ amount of deals open at t whose close date (as of t) ∈ Q;
    * ``booked`` = Σ amount of deals won by t with close date ∈ Q;
    * ``remaining_quota`` = max(quota(Q) − booked, 0);
    * ``coverage`` = open_pipeline / remaining_quota (NaN without quota or when it is met).

    One row overall (``scope`` = "all"), or one per value of ``by`` (e.g. ``"team"``).
    """
    t = report_date(ds, period)
    Q = outlook_period(ds, period)
    if is_lazy(ds):
        agg = _lazy_outlook(ds, t, Q, by)
    else:
        agg = _memory_outlook(ds, t, Q, by)
    quota = quota_for_period(ds, Q)
    # quota, remaining quota and coverage from the sums per key
    qkey = (quota["rep_id"].map(ds.reps.set_index("rep_id")[by]).astype("string")
            .fillna("(unassigned)").astype(str) if by else pd.Series("all", index=quota.index))
    return _outlook_frame(agg, quota, qkey, Q, t, by)


def _memory_outlook(ds: Dataset, t, Q: Period, by) -> pd.DataFrame:
    """Open pipeline (the one definition, measures.open_pipeline_as_of) and won amount by
    ``t`` due in ``Q`` per key, in pandas."""
    st = state_as_of(ds, t)
    won = st[(st["status"] == "won") & (st["close_date"] >= Q.start) & (st["close_date"] <= Q.end)]
    open_ = open_pipeline_as_of(ds, t, Q)
    return pd.concat([
        pd.DataFrame({"open_pipeline": open_["amount"].to_numpy(float), "booked": 0.0,
                      "key": _keys(ds, open_, by)}),
        pd.DataFrame({"open_pipeline": 0.0, "booked": won["amount"].to_numpy(float),
                      "key": _keys(ds, won, by)}),
    ]).groupby("key")[["open_pipeline", "booked"]].sum()


def _lazy_outlook(ds, t, Q: Period, by) -> pd.DataFrame:
    """:func:`_memory_outlook` in the database (the state of ``t`` from the history)."""
    st = ds.state_totals(t, (Q.start, Q.end), by=by)
    if by is None:
        st["key"] = "all"
    amt = st.pivot_table(index="key", columns="status", values="amount", aggfunc="sum")
    return pd.DataFrame({"open_pipeline": amt.get("open", pd.Series(dtype=float)),
                         "booked": amt.get("won", pd.Series(dtype=float))},
                        index=amt.index).fillna(0.0)


def _outlook_frame(agg, quota, qkey, Q: Period, t, by) -> pd.DataFrame:
    qsum = quota.groupby(qkey.to_numpy())["quota"].sum(min_count=1)
    agg = agg.reindex(agg.index.union(qsum.index)).fillna({"open_pipeline": 0.0, "booked": 0.0})
    if by is None and agg.empty:
        agg = pd.DataFrame({"open_pipeline": [0.0], "booked": [0.0]}, index=["all"])
    agg["quota"] = qsum.reindex(agg.index)
    agg["remaining_quota"] = (agg["quota"] - agg["booked"]).clip(lower=0)
    agg["coverage"] = agg["open_pipeline"] / agg["remaining_quota"].replace(0, np.nan)
    agg["outlook_period"] = Q.label
    agg["snapshot_date"] = t
    return agg.rename_axis(by or "scope").reset_index()


def window_totals(ds: Dataset, start, end, by: str | None = None) -> pd.DataFrame:
    """Deals closed in ``[start, end]``: ``bookings`` (Σ won amount), ``won``, ``lost``,
    ``win_rate`` = won / (won + lost) with its Wilson 95 % interval, ``avg_deal_size`` =
    bookings / won, ``cycle_days_median`` (median :func:`salesops_lib.measures.cycle_days`
    of the won deals). One row (``scope`` = "all") or one per value of ``by``."""
    if is_lazy(ds):
        out = ds.window_totals(start, end, by=by)
        out = out.set_index(pd.Index(out["key"].to_numpy() if by else ["all"] * len(out))).drop(columns="key")
        return _window_ratios(out, by)
    opp = ds.opportunities
    inw = (opp["close_date"] >= pd.Timestamp(start)) & (opp["close_date"] <= pd.Timestamp(end))
    d = opp[inw & opp["status"].isin(["won", "lost"])]
    won = d["status"] == "won"
    parts = pd.DataFrame({"bookings": d["amount"].where(won, 0.0).to_numpy(float),
                          "won": won.to_numpy(int), "lost": (~won).to_numpy(int),
                          "cycle": cycle_days(d).where(won).to_numpy(float),
                          "key": _keys(ds, d, by)})
    g = parts.groupby("key")
    out = g[["bookings", "won", "lost"]].sum()
    out["cycle_days_median"] = g["cycle"].median()
    return _window_ratios(out, by)


def _window_ratios(out: pd.DataFrame, by) -> pd.DataFrame:
    if by is None and out.empty:
        out = pd.DataFrame({"bookings": [0.0], "won": [0], "lost": [0],
                            "cycle_days_median": [np.nan]}, index=["all"])
    n = out["won"] + out["lost"]
    out["win_rate"] = out["won"] / n.replace(0, np.nan)
    lo, hi = wilson_interval(out["won"], n)
    out["win_rate_low"], out["win_rate_high"] = lo, hi
    out["avg_deal_size"] = out["bookings"] / out["won"].replace(0, np.nan)
    return out.rename_axis(by or "scope").reset_index()


def org_totals(ds: Dataset, period) -> pd.Series:
    """Whole-org totals of the *current* comparable window of ``period`` (see
    :func:`window_totals`), with ``quota`` for the period and ``attainment`` = bookings /
    quota."""
    P = Period.parse(period, ds.fiscal_start_month)
    w = comparable_window(ds, P)["current"]
    cur = window_totals(ds, w.start, w.end).iloc[0]
    quota = quota_for_period(ds, P)["quota"].sum(min_count=1)
    return pd.Series({**cur.drop("scope").to_dict(), "quota": quota,
                      "attainment": cur["bookings"] / quota if pd.notna(quota) and quota > 0
                      else np.nan})


def org_headline(ds: Dataset, period) -> pd.Series:
    """The period's key numbers for the whole org, compared like for like.

    ``bookings``, ``quota``, ``attainment`` (= bookings / quota of the period; to date while
    the period runs), ``bookings_last_year`` over the comparable window a year earlier
    (:func:`salesops_lib.measures.comparable_window`; NaN when the data do not reach back
    that far), ``growth`` (= bookings / bookings_last_year − 1), ``win_rate`` with its
    Wilson 95 % interval, ``avg_deal_size``, ``cycle_days_median`` (each with its
    ``_last_year`` twin), ``open_pipeline``/``coverage`` of :func:`pipeline_outlook`, the
    ``report_date``, ``elapsed`` (share of the period's days gone, 1 once it is over) and
    the labels of both windows; ``pipeline_dated`` is False when no deal
    open on the report date has both an expected close date and an amount (an export
    without them cannot give a pipeline outlook), and ``pipeline_needs`` says which of the
    two the open deals lack.
    """
    P = Period.parse(period, ds.fiscal_start_month)
    cw = comparable_window(ds, P)
    cur = org_totals(ds, P)
    prev = window_totals(ds, *cw["previous"][:2]).iloc[0]
    if not cw["previous_available"]:
        prev = prev.map(lambda _: np.nan)
    out = pipeline_outlook(ds, P).iloc[0]
    if is_lazy(ds):
        st = ds.state_totals(report_date(ds, P), open_only=True)
        open_now = st[st["status"] == "open"]
        dated = bool(open_now["deals"].sum() == 0 or open_now["dated"].sum() > 0)
        no_close, no_amount = open_now["with_close"].sum() == 0, open_now["with_amount"].sum() == 0
    else:
        st = state_as_of(ds, report_date(ds, P))
        open_now = st[st["status"] == "open"]
        dated = bool(open_now.empty
                     or (open_now["close_date"].notna() & (open_now["amount"] > 0)).any())
        no_close = open_now["close_date"].isna().all()
        no_amount = not (open_now["amount"] > 0).any()
    needs = " and ".join(w for w, none in (("an expected close date", no_close),
                                           ("an amount", no_amount)) if none)
    return pd.Series({
        "pipeline_dated": dated,
        "pipeline_needs": "" if dated else (needs or f"{_NEEDS} on the same deal"),
        "period": P.label,
        "report_date": report_date(ds, P),
        "complete": cw["complete"],
        "elapsed": min(cw["days"] / P.days, 1.0),
        "window": cw["current"].label, "window_last_year": cw["previous"].label,
        "bookings": cur["bookings"], "quota": cur["quota"], "attainment": cur["attainment"],
        "bookings_last_year": prev["bookings"],
        "growth": cur["bookings"] / prev["bookings"] - 1 if prev["bookings"] > 0 else np.nan,
        "won": cur["won"], "lost": cur["lost"],
        "win_rate": cur["win_rate"], "win_rate_low": cur["win_rate_low"],
        "win_rate_high": cur["win_rate_high"], "win_rate_last_year": prev["win_rate"],
        "avg_deal_size": cur["avg_deal_size"], "avg_deal_size_last_year": prev["avg_deal_size"],
        "cycle_days_median": cur["cycle_days_median"],
        "cycle_days_median_last_year": prev["cycle_days_median"],
        "open_pipeline": out["open_pipeline"], "coverage": out["coverage"],
        "outlook_period": out["outlook_period"],
    })


TEAM_KEYS = ["team", "bookings", "quota", "attainment", "bookings_last_year", "growth", "won",
             "lost", "win_rate", "win_rate_low", "win_rate_high", "avg_deal_size",
             "cycle_days_median", "open_pipeline", "remaining_quota", "coverage"]


def by_team(ds: Dataset, period) -> pd.DataFrame:
    """One row per team with the headline numbers, compared like for like, plus coverage.

    Columns: ``team``, ``bookings``, ``quota``, ``attainment``, ``bookings_last_year``,
    ``growth``, ``won``, ``lost``, ``win_rate`` (+ interval), ``avg_deal_size``,
    ``cycle_days_median``, ``open_pipeline``, ``remaining_quota``, ``coverage`` (see
    :func:`org_headline` and :func:`pipeline_outlook`). Sorted by bookings; the totals row is
    added for display by :func:`team_table`.
    """
    P = Period.parse(period, ds.fiscal_start_month)
    cw = comparable_window(ds, P)
    if "team" not in ds.reps.columns or ds.reps["team"].isna().all():
        return pd.DataFrame(columns=TEAM_KEYS)
    cur = window_totals(ds, *cw["current"][:2], by="team")
    prev = window_totals(ds, *cw["previous"][:2], by="team")[["team", "bookings"]].rename(
        columns={"bookings": "bookings_last_year"})
    quota = quota_for_period(ds, P)
    quota["team"] = group_values(ds, "team", quota)
    q = quota.groupby("team")["quota"].sum(min_count=1).rename("quota").reset_index()
    out = pipeline_outlook(ds, P, by="team")[["team", "open_pipeline", "remaining_quota",
                                              "coverage"]]
    t = cur.merge(q, on="team", how="outer").merge(prev, on="team", how="left").merge(
        out, on="team", how="left")
    # every team is a row, with $0 when it closed nothing (a period without a closed deal and
    # without quotas read as if the data had no teams)
    teams = pd.DataFrame({"team": pd.unique(ds.reps["team"].dropna().astype(str))})
    t["team"] = t["team"].astype(str)
    t = teams.merge(t, on="team", how="outer")
    for c in ["bookings", "won", "lost"]:
        t[c] = t[c].fillna(0)
    if not cw["previous_available"]:
        t["bookings_last_year"] = np.nan
    else:
        t["bookings_last_year"] = t["bookings_last_year"].fillna(0.0)
    t["attainment"] = t["bookings"] / t["quota"].where(t["quota"] > 0)
    t["growth"] = t["bookings"] / t["bookings_last_year"].replace(0, np.nan) - 1
    t = t[TEAM_KEYS].sort_values("bookings", ascending=False).reset_index(drop=True)
    # a median does not add up: the totals row takes the median over every team's won deals
    t.attrs["cycle_days_median_all"] = float(
        window_totals(ds, *cw["current"][:2])["cycle_days_median"].iloc[0])
    return t


def org_readings(h: pd.Series, coverage_rag=COVERAGE_RAG) -> dict[str, str]:
    """One plain sentence per headline number (from :func:`org_headline`)."""
    def change(cur, prev, fmt):
        if pd.isna(prev) or pd.isna(cur):
            return "with no comparison for last year in the data"
        return f"against {fmt(prev)} in {h['window_last_year']}"

    out = {}
    so_far = "" if h["complete"] else " so far"
    if pd.notna(h["attainment"]):
        gap = h["quota"] - h["bookings"]
        out["bookings"] = (f"Bookings{so_far} of {viz.money(h['bookings'])} are "
                           f"{viz.pct(h['attainment'])} of the {viz.money(h['quota'])} quota"
                           + (f", {viz.money(gap)} short." if gap > 0 else
                              f", {viz.money(-gap)} above it."))
    else:
        out["bookings"] = (f"Bookings{so_far} of {viz.money(h['bookings'])}; attainment needs "
                           "quotas, which the data do not have for this period.")
    if pd.notna(h["growth"]):
        out["growth"] = (f"That is {viz.signed_pct(h['growth'])} on {h['window_last_year']} "
                         f"({viz.money(h['bookings_last_year'])}), like for like.")
    else:
        out["growth"] = ("A comparison with last year needs data for "
                         f"{h['window_last_year']}, which the data do not reach back to.")
    out["win_rate"] = (f"{viz.count(h['won'], 'deal')} won and {int(h['lost']):,} lost: a win rate of "
                       f"{viz.pct(h['win_rate'])} (95% interval {viz.pct(h['win_rate_low'])}–"
                       f"{viz.pct(h['win_rate_high'])}), "
                       + change(h["win_rate"], h["win_rate_last_year"], viz.pct) + ".")
    out["deal_size"] = (f"The average won deal was {viz.money(h['avg_deal_size'])}, "
                        + change(h["avg_deal_size"], h["avg_deal_size_last_year"], viz.money) + ".")
    out["cycle"] = (f"Won deals took a median {viz.days(h['cycle_days_median'])} from creation to "
                    "close, " + change(h["cycle_days_median"], h["cycle_days_median_last_year"],
                                       viz.days) + ".")
    cov = h["coverage"]
    status = viz.rag(cov, *coverage_rag)
    verdict = {"green": f"at or above the {coverage_rag[0]:g}× target",
               "amber": f"below the {coverage_rag[0]:g}× target",
               "red": f"far below the {coverage_rag[0]:g}× target (under {coverage_rag[1]:g}×): "
                      "at risk"}.get(status, "")
    if not h.get("pipeline_dated", True) and not h["open_pipeline"]:
        out["pipeline"] = (f"The pipeline outlook needs {h.get('pipeline_needs', _NEEDS)} for "
                           "open deals, which the data do not have.")
        return out
    out["pipeline"] = (f"{viz.money(h['open_pipeline'])} of open pipeline is due in "
                       f"{h['outlook_period']}"
                       + (f": {cov:.1f}× the quota still to close, {verdict}." if pd.notna(cov)
                          else "; coverage needs quotas, which the data do not have."))
    return out


def monthly_bookings(ds: Dataset, period, months: int = 24) -> pd.DataFrame:
    """Won amount per calendar month for the ``months`` months up to the period's end,
    stopping at the report date (months not yet reached are not shown as zero) and starting
    no earlier than the month the data observe bookings from (:func:`bookings_start`).

    Columns ``month`` (first day), ``bookings``. Months without bookings are zero.
    """
    P = Period.parse(period, ds.fiscal_start_month)
    end = report_date(ds, P)
    start = (P.end - pd.DateOffset(months=months - 1)).replace(day=1)
    first = bookings_start(ds)
    if pd.notna(first):     # months before bookings are observed are unknown, not zero
        start = max(start, first.to_period("M").to_timestamp())
    if is_lazy(ds):
        w = ds.bookings_series("month", as_of=end, complete=False)
        w = w[(w["ds"] >= start)]
        s = w.groupby(w["ds"].dt.to_period("M"))["y"].sum()
    else:
        won = ds.opportunities[(ds.opportunities["status"] == "won")
                               & (ds.opportunities["close_date"] >= start)
                               & (ds.opportunities["close_date"] <= end)]
        s = won.groupby(won["close_date"].dt.to_period("M"))["amount"].sum()
    idx = pd.period_range(start, end, freq="M")
    s = s.reindex(idx, fill_value=0.0)
    out = pd.DataFrame({"month": idx.to_timestamp(), "bookings": s.to_numpy()})
    if end != end + pd.offsets.MonthEnd(0):        # the last month is not over yet
        out.attrs["partial_to"] = end
    return out


def org_kpi_cards(h: pd.Series, coverage_rag=COVERAGE_RAG,
                  attainment_rag=ATTAINMENT_RAG) -> list[tuple]:
    """Headline cards (label, value, note, status) for :func:`salesops_lib.viz.kpis`;
    attainment and coverage carry red/amber/green against the given thresholds. While the
    period runs, attainment is judged on pace: attainment ÷ share of the period gone
    (:func:`pace`), so 35% of quota half-way through reads as 70% of pace, not as 35%."""
    so_far = "" if h["complete"] else " to date"
    paced = pace(h["attainment"], h.get("elapsed", 1.0))
    ly = (f"{viz.money(h['bookings_last_year'])} in {h['window_last_year']}"
          if pd.notna(h["bookings_last_year"]) else "no comparable period in the data")
    return [
        (f"Bookings{so_far}", viz.money(h["bookings"]),
         (f"{viz.pct(h['attainment'])} of {viz.money(h['quota'])} quota"
          + ("" if h["complete"] else f", {viz.pct(h.get('elapsed'))} of the period gone"))
         if pd.notna(h["attainment"]) else "no quota in the data",
         viz.rag(paced, *attainment_rag)),
        ("vs last year", viz.signed_pct(h["growth"]) if pd.notna(h["growth"]) else "–", ly, None),
        ("Win rate", viz.pct(h["win_rate"]),
         f"95% interval {viz.pct(h['win_rate_low'])}–{viz.pct(h['win_rate_high'])}", None),
        ("Average deal", viz.money(h["avg_deal_size"]), f"{viz.count(h['won'], 'deal')} won", None),
        ("Sales cycle", viz.days(h["cycle_days_median"]), "median, creation to close of won deals",
         None),
        (f"Coverage {h['outlook_period']}",
         f"{h['coverage']:.1f}×" if pd.notna(h["coverage"]) else "–",
         f"{viz.money(h['open_pipeline'])} open pipeline ÷ quota still to close"
         if pd.notna(h["coverage"]) else
         f"open deals need {h.get('pipeline_needs', _NEEDS)}" if not h.get("pipeline_dated", True)
         else f"{viz.money(h['open_pipeline'])} open; no quota in the data",
         viz.rag(h["coverage"], *coverage_rag)),
    ]


TEAM_COLUMNS = {
    "team": "Team", "bookings": "Bookings", "quota": "Quota", "attainment": "Attainment",
    "bookings_last_year": "Last year", "growth": "Change", "win_rate": "Win rate",
    "win_rate_ci": "Win rate 95% interval", "avg_deal_size": "Average deal",
    "cycle_days_median": "Sales cycle", "open_pipeline": "Open pipeline", "coverage": "Coverage",
}


def pace(attainment, elapsed):
    """Attainment on pace: ``attainment / elapsed`` (``elapsed`` = share of the period's days
    gone; 1 for a period that is over, where pace = attainment)."""
    if elapsed is None or pd.isna(elapsed) or elapsed <= 0:
        return attainment
    return attainment / elapsed


def team_totals(teams: pd.DataFrame) -> pd.DataFrame:
    """:func:`by_team`'s frame with an "All teams" row: sums of bookings, quota, last year,
    won, lost, open pipeline and quota still to close; attainment, change, win rate, average
    deal and coverage recomputed from those sums, the win-rate interval from the summed
    counts, and the cycle the median over all won deals (``attrs["cycle_days_median_all"]``
    from :func:`by_team`; empty without it)."""
    cycle_all = teams.attrs.get("cycle_days_median_all", np.nan)
    t = viz.with_total(teams, "team", "All teams",
                       sums=["bookings", "quota", "bookings_last_year", "won", "lost",
                             "open_pipeline", "remaining_quota"],
                       ratios={"attainment": ("bookings", "quota"),
                               "avg_deal_size": ("bookings", "won"),
                               "coverage": ("open_pipeline", "remaining_quota")})
    last = t.index[-1]
    n = t.loc[last, "won"] + t.loc[last, "lost"]
    t.loc[last, "win_rate"] = t.loc[last, "won"] / n if n else np.nan
    lo, hi = wilson_interval(np.array([t.loc[last, "won"]], float), np.array([n], float))
    t.loc[last, "win_rate_low"], t.loc[last, "win_rate_high"] = lo[0], hi[0]
    ly = t.loc[last, "bookings_last_year"]
    t.loc[last, "growth"] = (t.loc[last, "bookings"] / ly - 1
                             if pd.notna(ly) and ly > 0 else np.nan)
    t.loc[last, "cycle_days_median"] = cycle_all
    return t


def team_table(teams: pd.DataFrame, coverage_rag=COVERAGE_RAG, attainment_rag=ATTAINMENT_RAG,
               outlook: str | None = None, elapsed: float = 1.0):
    """The team table of :func:`by_team` with a totals row, formatted for leadership;
    attainment (on :func:`pace` while the period runs, ``elapsed`` < 1) and coverage cells
    red/amber/green against the thresholds. Columns the data cannot fill (no quota, no
    comparable last year) are left out. None without teams."""
    if teams.empty:
        return None
    t = team_totals(teams)
    t["win_rate_ci"] = [f"{viz.pct(lo)}–{viz.pct(hi)}" if pd.notna(lo) else "–"
                        for lo, hi in zip(t["win_rate_low"], t["win_rate_high"])]
    status = {"Attainment": t["attainment"].map(
        lambda v: viz.rag(pace(v, elapsed), *attainment_rag)),
              "Coverage": t["coverage"].map(lambda v: viz.rag(v, *coverage_rag))}
    t["coverage"] = t["coverage"].map(lambda c: f"{c:.1f}×" if pd.notna(c) else "–")
    cols = dict(TEAM_COLUMNS)
    if outlook:
        cols["coverage"] = f"Coverage {outlook}"
        status[cols["coverage"]] = status.pop("Coverage")
    drop = []
    if teams["quota"].isna().all():
        drop += ["quota", "attainment", "coverage"]
    if teams["bookings_last_year"].isna().all():
        drop += ["bookings_last_year", "growth"]
    if teams["quota"].isna().all() and not (teams["open_pipeline"].fillna(0) > 0).any():
        drop += ["open_pipeline"]
    keep = [c for c in cols if c not in drop]
    t = t[keep].rename(columns={c: cols[c] for c in keep})
    rag = {k: v for k, v in status.items() if k in t.columns}
    on_pace = "" if elapsed >= 1 else f" of pace ({viz.pct(elapsed)} of the period gone)"
    caption = (f"Red/amber/green: attainment green from {viz.pct(attainment_rag[0])}{on_pace}, "
               f"amber from {viz.pct(attainment_rag[1])}; coverage green from "
               f"{coverage_rag[0]:g}×, amber from {coverage_rag[1]:g}×." if rag else None)
    return viz.table(t, {"Bookings": "money", "Quota": "money", "Attainment": "pct",
                         "Last year": "money", "Change": "signed_pct", "Win rate": "pct",
                         "Average deal": "money", "Sales cycle": "days",
                         "Open pipeline": "money"},
                     caption=caption, total=True, rag_cols=rag)


def team_reading(teams: pd.DataFrame, elapsed: float = 1.0) -> str:
    """One sentence on the teams: who is ahead of quota, who is furthest behind; while the
    period runs (``elapsed`` < 1) judged on :func:`pace`, not on the full quota."""
    if teams.empty:
        return "A view by team needs each rep's team, which the data do not have."
    t = teams.dropna(subset=["attainment"])
    if t.empty and not (teams["bookings"] > 0).any():
        return ("No team has booked a deal in the period yet; attainment by team needs quotas, "
                "which the data do not have.")
    if t.empty:
        best = teams.loc[teams["bookings"].idxmax()]
        return (f"{best['team']} booked the most ({viz.money(best['bookings'])}); attainment "
                "by team needs quotas, which the data do not have.")
    best, worst = t.loc[t["attainment"].idxmax()], t.loc[t["attainment"].idxmin()]
    if elapsed < 1:
        on = int((t["attainment"] / elapsed >= 1).sum())
        verb = "is" if on == 1 else "are"            # "1 of 6 teams is", "2 of 6 teams are"
        return (f"With {viz.pct(elapsed)} of the period gone, {on} of {len(t)} teams {verb} on pace "
                f"for quota. {best['team']} leads at {viz.pct(best['attainment'])} of quota; "
                f"{worst['team']} trails at {viz.pct(worst['attainment'])}.")
    at = int((t["attainment"] >= 1).sum())
    gap = worst["quota"] - worst["bookings"]
    if gap <= 0:         # every team at quota: the lowest is not short of anything
        return (f"{at} of {len(t)} teams reached quota. {best['team']} leads at "
                f"{viz.pct(best['attainment'])}; {worst['team']} is lowest at "
                f"{viz.pct(worst['attainment'])}, {viz.money(-gap)} above its quota.")
    return (f"{at} of {len(t)} teams reached quota. {best['team']} leads at "
            f"{viz.pct(best['attainment'])}; {worst['team']} trails at {viz.pct(worst['attainment'])}"
            f" ({viz.money(gap)} short).")
