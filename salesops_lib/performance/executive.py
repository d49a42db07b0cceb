"""The executive summary: the handful of numbers leadership opens first, each with a reading.

Built on :func:`salesops_lib.performance.scorecard`, so the headline and the team table use
the same definitions as the rep-performance report.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .. import viz
from ..data import Dataset
from ..measures import quota_for_period, report_date
from ..periods import Period
from .scorecard import scorecard
from .winrates import wilson_interval


def outlook_period(ds: Dataset, period) -> Period:
    """The period whose pipeline matters now: ``period`` while in progress, else the next one."""
    P = Period.parse(period, ds.fiscal_start_month)
    return P if ds.as_of < P.end else P.shift(1)


def pipeline_outlook(ds: Dataset, period, by: str | None = None) -> pd.DataFrame:
    """Open pipeline due in the outlook period as it stood on the report date, and coverage.

    With ``t`` = :func:`report_date` and ``Q`` = :func:`outlook_period`:

    * ``open_pipeline`` = Σ amount of deals with created_date ≤ t that were not closed by t
      (status open, or close_date > t) and whose close_date ∈ Q;
    * ``booked`` = Σ amount won with close_date ∈ Q and ≤ t;
    * ``remaining_quota`` = max(quota(Q) − booked, 0);
    * ``coverage`` = open_pipeline / remaining_quota.

    One row overall, or one per value of the rep attribute ``by`` (e.g. ``"team"``).
    """
    t = report_date(ds, period)
    Q = outlook_period(ds, period)
    opp = ds.opportunities.merge(ds.reps[["rep_id"] + ([by] if by else [])], on="rep_id", how="left")
    due = (opp["close_date"] >= Q.start) & (opp["close_date"] <= Q.end)
    open_t = (opp["created_date"] <= t) & ((opp["status"] == "open") | (opp["close_date"] > t)) & due
    booked = (opp["status"] == "won") & due & (opp["close_date"] <= t)
    parts = pd.DataFrame({"open_pipeline": opp["amount"].where(open_t, 0.0),
                          "booked": opp["amount"].where(booked, 0.0),
                          "key": opp[by].astype(str) if by else "all"})
    agg = parts.groupby("key")[["open_pipeline", "booked"]].sum()
    quota = quota_for_period(ds, Q)
    quota = quota.merge(ds.reps[["rep_id"] + ([by] if by else [])], on="rep_id", how="left")
    quota["key"] = quota[by].astype(str) if by else "all"
    agg["quota"] = quota.groupby("key")["quota"].sum(min_count=1)
    agg["remaining_quota"] = (agg["quota"] - agg["booked"]).clip(lower=0)
    agg["coverage"] = agg["open_pipeline"] / agg["remaining_quota"].replace(0, np.nan)
    agg["outlook_period"] = Q.label
    agg["snapshot_date"] = t
    out = agg.reset_index().rename(columns={"key": by or "scope"})
    return out


def org_totals(ds: Dataset, period) -> pd.Series:
    """Whole-org scorecard for one period, with the scorecard's definitions: the sums of
    :func:`scorecard` over reps, win rate and Wilson interval from the summed counts, and the
    median cycle over every won deal closed in the period."""
    P = Period.parse(period, ds.fiscal_start_month)
    sc = scorecard(ds, P, by="rep_id")
    won, lost = int(sc["won"].sum()), int(sc["lost"].sum())
    bookings = float(sc["bookings"].sum())
    quota = sc["quota"].sum(min_count=1)
    lo, hi = wilson_interval(np.array([won]), np.array([won + lost]))
    opp = ds.opportunities
    w = opp[(opp["status"] == "won") & P.contains(opp["close_date"])]
    return pd.Series({
        "bookings": bookings, "quota": quota,
        "attainment": bookings / quota if pd.notna(quota) and quota > 0 else np.nan,
        "won": won, "lost": lost,
        "win_rate": won / (won + lost) if won + lost else np.nan,
        "win_rate_low": float(np.asarray(lo)[0]), "win_rate_high": float(np.asarray(hi)[0]),
        "avg_deal_size": bookings / won if won else np.nan,
        "cycle_days_median": float((w["close_date"] - w["created_date"]).dt.days.median())
        if len(w) else np.nan,
    })


def org_headline(ds: Dataset, period) -> pd.Series:
    """The period's key numbers for the whole org.

    ``bookings``, ``quota``, ``attainment`` (= bookings / quota), ``bookings_last_year`` (same
    period one fiscal year earlier), ``growth`` (= bookings / bookings_last_year − 1),
    ``win_rate`` with its Wilson 95 % interval, ``avg_deal_size``, ``cycle_days_median``,
    ``open_pipeline``/``coverage`` of :func:`pipeline_outlook`, and the report date.
    """
    P = Period.parse(period, ds.fiscal_start_month)
    cur = org_totals(ds, P)
    prev = org_totals(ds, P.last_year())
    out = pipeline_outlook(ds, P).iloc[0]
    return pd.Series({
        "period": P.label,
        "report_date": report_date(ds, P),
        "complete": ds.as_of >= P.end,
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


def by_team(ds: Dataset, period) -> pd.DataFrame:
    """One row per team: the headline numbers per team, plus last year and coverage.

    Columns: ``team``, ``bookings``, ``quota``, ``attainment``, ``bookings_last_year``,
    ``growth``, ``win_rate``, ``win_rate_low``, ``win_rate_high``, ``avg_deal_size``,
    ``cycle_days_median``, ``open_pipeline``, ``coverage`` (see :func:`headline`).
    """
    P = Period.parse(period, ds.fiscal_start_month)
    cur = scorecard(ds, P, by="team")
    prev = scorecard(ds, P.last_year(), by="team")[["team", "bookings"]].rename(
        columns={"bookings": "bookings_last_year"})
    out = pipeline_outlook(ds, P, by="team")[["team", "open_pipeline", "coverage"]]
    t = cur.merge(prev, on="team", how="left").drop(columns=["open_pipeline", "coverage"]).merge(
        out, on="team", how="left")
    t["growth"] = t["bookings"] / t["bookings_last_year"].replace(0, np.nan) - 1
    cols = ["team", "bookings", "quota", "attainment", "bookings_last_year", "growth", "won",
            "lost", "win_rate", "win_rate_low", "win_rate_high", "avg_deal_size",
            "cycle_days_median", "open_pipeline", "coverage"]
    return t[cols].sort_values("bookings", ascending=False).reset_index(drop=True)


def org_readings(h: pd.Series) -> dict[str, str]:
    """One plain sentence per headline number (from :func:`headline`)."""
    def change(cur, prev, fmt):
        if pd.isna(prev) or pd.isna(cur):
            return "with no comparison for last year"
        return f"against {fmt(prev)} a year earlier"

    out = {}
    if pd.notna(h["attainment"]):
        gap = h["quota"] - h["bookings"]
        out["bookings"] = (f"Bookings of {viz.money(h['bookings'])} are {viz.pct(h['attainment'])} of "
                           f"the {viz.money(h['quota'])} quota"
                           + (f", {viz.money(gap)} short." if gap > 0 else
                              f", {viz.money(-gap)} above it."))
    else:
        out["bookings"] = f"Bookings of {viz.money(h['bookings'])}; no quota is set for this period."
    if pd.notna(h["growth"]):
        out["growth"] = (f"That is {viz.signed_pct(h['growth'])} on the same period last year "
                         f"({viz.money(h['bookings_last_year'])}).")
    else:
        out["growth"] = "There is no booking history for the same period last year."
    out["win_rate"] = (f"{int(h['won']):,} deals won and {int(h['lost']):,} lost: a win rate of "
                       f"{viz.pct(h['win_rate'])} (95% interval {viz.pct(h['win_rate_low'])}–"
                       f"{viz.pct(h['win_rate_high'])}), "
                       + change(h["win_rate"], h["win_rate_last_year"], viz.pct) + ".")
    out["deal_size"] = (f"The average won deal was {viz.money(h['avg_deal_size'])}, "
                        + change(h["avg_deal_size"], h["avg_deal_size_last_year"], viz.money) + ".")
    out["cycle"] = (f"Won deals took a median {viz.days(h['cycle_days_median'])} from creation to "
                    "close, " + change(h["cycle_days_median"], h["cycle_days_median_last_year"],
                                       viz.days) + ".")
    cov = h["coverage"]
    verdict = ("below the 3× most teams plan on" if pd.notna(cov) and cov < 3 else
               "comfortably covered" if pd.notna(cov) else "no quota to cover")
    out["pipeline"] = (f"On {h['report_date']:%d %b %Y}, {viz.money(h['open_pipeline'])} of open "
                       f"pipeline was due in {h['outlook_period']}: "
                       + (f"{cov:.1f}× the quota still to close, {verdict}." if pd.notna(cov)
                          else f"{verdict}."))
    return out


def plot_team_bookings(teams: pd.DataFrame, period_label: str, ax=None):
    """Bookings per team this period against quota and last year (from :func:`by_team`)."""
    fig, ax = viz.figure(f"Bookings by team, {period_label}", "Team", "Bookings (USD)", ax=ax)
    x = np.arange(len(teams))
    w = 0.38
    ax.bar(x - w / 2, teams["bookings_last_year"], w, color=viz.COLORS["compare"],
           label="Same period last year")
    ax.bar(x + w / 2, teams["bookings"], w, color=viz.COLORS["primary"], label=period_label)
    ax.scatter(x + w / 2, teams["quota"], marker="_", s=900, linewidths=2.5,
               color=viz.COLORS["target"], label="Quota", zorder=3)
    ax.set_xticks(x, teams["team"], rotation=0)
    viz.money_axis(ax)
    ax.legend(loc="lower right", bbox_to_anchor=(1.0, 1.0), ncols=3)
    fig.tight_layout()
    return fig


def monthly_bookings(ds: Dataset, period, months: int = 24) -> pd.DataFrame:
    """Won amount per calendar month for the ``months`` months up to the period's end.

    Columns ``month`` (first day), ``bookings``. Months without bookings are zero.
    """
    P = Period.parse(period, ds.fiscal_start_month)
    end = P.end
    start = (end - pd.DateOffset(months=months - 1)).replace(day=1)
    won = ds.opportunities[(ds.opportunities["status"] == "won")
                           & (ds.opportunities["close_date"] >= start)
                           & (ds.opportunities["close_date"] <= min(end, ds.as_of))]
    s = won.groupby(won["close_date"].dt.to_period("M"))["amount"].sum()
    idx = pd.period_range(start, end, freq="M")
    s = s.reindex(idx, fill_value=0.0)
    return pd.DataFrame({"month": idx.to_timestamp(), "bookings": s.to_numpy()})


def plot_monthly_bookings(monthly: pd.DataFrame, period_label: str, ax=None):
    """Monthly bookings as bars, the report's period highlighted."""
    fig, ax = viz.figure("Monthly bookings", "Month", "Bookings (USD)", ax=ax)
    colors = [viz.COLORS["compare"]] * len(monthly)
    n_hl = {"year": 12, "quarter": 3, "month": 1}.get(_kind(period_label), 3)
    for i in range(max(0, len(monthly) - n_hl), len(monthly)):
        colors[i] = viz.COLORS["primary"]
    ax.bar(monthly["month"], monthly["bookings"], width=25, color=colors)
    viz.money_axis(ax)
    ax.annotate(period_label, xy=(1, 1), xycoords="axes fraction", ha="right", va="bottom",
                color=viz.COLORS["primary"], fontweight="bold")
    fig.tight_layout()
    return fig


def _kind(label: str) -> str:
    return Period.parse(label).kind


def org_kpi_cards(h: pd.Series) -> list[tuple[str, str, str]]:
    """Headline cards (label, value, note) for :func:`salesops_lib.viz.kpis`."""
    return [
        ("Bookings", viz.money(h["bookings"]),
         f"{viz.pct(h['attainment'])} of {viz.money(h['quota'])} quota"
         if pd.notna(h["attainment"]) else "no quota set"),
        ("vs last year", viz.signed_pct(h["growth"]), f"{viz.money(h['bookings_last_year'])} a year ago"),
        ("Win rate", viz.pct(h["win_rate"]),
         f"95% interval {viz.pct(h['win_rate_low'])}–{viz.pct(h['win_rate_high'])}"),
        ("Average deal", viz.money(h["avg_deal_size"]), f"{int(h['won']):,} deals won"),
        ("Sales cycle", viz.days(h["cycle_days_median"]), "median, won deals"),
        (f"Pipeline {h['outlook_period']}", viz.money(h["open_pipeline"]),
         f"{h['coverage']:.1f}× remaining quota" if pd.notna(h["coverage"]) else "no quota"),
    ]


TEAM_COLUMNS = {
    "team": "Team", "bookings": "Bookings", "quota": "Quota", "attainment": "Attainment",
    "bookings_last_year": "Last year", "growth": "Change", "win_rate": "Win rate",
    "win_rate_ci": "Win rate 95% interval", "avg_deal_size": "Avg deal",
    "cycle_days_median": "Median cycle", "open_pipeline": "Open pipeline", "coverage": "Coverage",
}


def team_table(teams: pd.DataFrame):
    """The team table of :func:`by_team`, formatted for leadership."""
    t = teams.copy()
    t["win_rate_ci"] = [f"{viz.pct(lo)}–{viz.pct(hi)}" for lo, hi in
                        zip(t["win_rate_low"], t["win_rate_high"])]
    t["coverage"] = t["coverage"].map(lambda c: f"{c:.1f}×" if pd.notna(c) else "–")
    t = t[list(TEAM_COLUMNS)].rename(columns=TEAM_COLUMNS)
    return viz.table(t, {"Bookings": "money", "Quota": "money", "Attainment": "pct",
                         "Last year": "money", "Change": "signed_pct", "Win rate": "pct",
                         "Avg deal": "money", "Median cycle": "days", "Open pipeline": "money"})


def team_reading(teams: pd.DataFrame) -> str:
    """One sentence on the teams: who is ahead of quota, who is furthest behind."""
    t = teams.dropna(subset=["attainment"])
    if t.empty:
        return "No team has a quota for this period."
    best, worst = t.loc[t["attainment"].idxmax()], t.loc[t["attainment"].idxmin()]
    at = int((t["attainment"] >= 1).sum())
    return (f"{at} of {len(t)} teams reached quota. {best['team']} leads at "
            f"{viz.pct(best['attainment'])}; {worst['team']} trails at {viz.pct(worst['attainment'])}"
            f" ({viz.money(worst['quota'] - worst['bookings'])} short).")
