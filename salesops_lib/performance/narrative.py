"""Key numbers, one-sentence readings and display tables of the rep-performance report.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .. import viz
from ..data import Dataset
from ..periods import Period
from .cycle import cycle_km
from .scorecard import attainment_rollup, rep_labels, scorecard


def rep_headline(ds: Dataset, period) -> dict:
    """Key numbers of a period for the top of a report.

    Returns a dict: ``bookings``, ``quota``, ``attainment`` (org Σ bookings / Σ quota),
    ``reps``, ``share_at_100``, ``share_at_80``, ``gini``, ``win_rate`` (pooled won / closed),
    ``cycle_days_median`` (Kaplan–Meier median of deals created in the 365 days up to the
    period's end, deals open at the period's end censored) and ``cycle_days_closed_median`` (won deals closed in the period).
    """
    roll = attainment_rollup(ds, period, by=None).iloc[0]
    sc = scorecard(ds, period, by="rep_id")
    P = Period.parse(period, ds.fiscal_start_month)
    km = cycle_km(ds, period=P, by=None).iloc[0]
    won, deals = sc["won"].sum(), sc["deals"].sum()
    opp = ds.opportunities
    won_p = opp[(opp["status"] == "won") & P.contains(opp["close_date"])]
    return {
        "period": P.label, "bookings": float(roll["bookings"]), "quota": float(roll["quota"]),
        "attainment": float(roll["attainment"]), "reps": int(roll["reps"]),
        "share_at_100": float(roll["share_at_100"]), "share_at_80": float(roll["share_at_80"]),
        "gini": float(roll["gini"]),
        "win_rate": float(won / deals) if deals else float("nan"),
        "cycle_days_median": float(km["median_days"]),
        "cycle_days_closed_median": float((won_p["close_date"] - won_p["created_date"]).dt.days.median()),
    }


def rep_kpi_cards(h: dict) -> list[tuple[str, str, str]]:
    """Headline cards for :func:`salesops_lib.viz.kpis` from :func:`headline`'s dict."""
    return [
        ("Team attainment", viz.pct(h["attainment"]),
         f"{viz.money(h['bookings'])} booked of {viz.money(h['quota'])} quota"
         if pd.notna(h["quota"]) else f"{viz.money(h['bookings'])} booked; no quota in the data"),
        ("Reps at quota", viz.pct(h["share_at_100"]),
         f"{viz.pct(h['share_at_80'])} at 80% or more, of {h['reps']} reps"),
        ("Median sales cycle", viz.days(h["cycle_days_median"]),
         f"open deals counted (Kaplan–Meier); won deals alone {viz.days(h['cycle_days_closed_median'])}"),
        ("Win rate", viz.pct(h["win_rate"]), "won ÷ closed deals this period"),
    ]


def _names(df: pd.DataFrame, n: int = 4) -> str:
    names = rep_labels(df).head(n).tolist()
    more = len(df) - len(names)
    return ", ".join(names) + (f" and {more} more" if more > 0 else "")


def reading_leaderboard(lb: pd.DataFrame) -> str:
    """One sentence: how many reps the data actually separate from the team."""
    v = lb["verdict"].value_counts()
    p0 = lb["team_win_rate"].iloc[0] if len(lb) else np.nan
    above, below = lb[lb["verdict"] == "above team"], lb[lb["verdict"] == "below team"]
    text = (f"Against a team win rate of {viz.pct(p0)}, {len(above)} rep(s) win clearly more often"
            + (f" ({_names(above)})" if len(above) else "")
            + f" and {len(below)} clearly less often" + (f" ({_names(below)})" if len(below) else "")
            + f"; {v.get('in line with team', 0)} are within chance of the team rate and "
            f"{v.get('too few deals', 0)} closed too few deals to judge.")
    return text


def reading_attainment(roll: pd.DataFrame) -> str:
    """One sentence on the attainment distribution (from an org-level roll-up row)."""
    r = roll.iloc[0]
    if not r["reps_with_quota"]:
        return "No rep has a quota for this period, so attainment cannot be computed."
    return (f"{viz.pct(r['share_at_100'])} of reps with a quota reached it and "
            f"{viz.pct(r['share_at_80'])} reached 80%; the median rep attained "
            f"{viz.pct(r['median_attainment'])}, and the Gini of attainment is "
            f"{r['gini']:.2f} (0 = everyone equal).")


def reading_residuals(pa: pd.DataFrame) -> str:
    """One sentence: who beats or trails what their territory predicts."""
    if pa.empty:
        return "Not computed: " + pa.attrs.get("note", "no reps to compare") + "."
    up, down = pa[pa["verdict"] == "above expectation"], pa[pa["verdict"] == "below expectation"]
    return (f"Allowing for territory potential, accounts and tenure, {len(up)} rep(s) booked "
            "clearly more than their territory predicts" + (f" ({_names(up)})" if len(up) else "")
            + f" and {len(down)} clearly less" + (f" ({_names(down)})" if len(down) else "")
            + f"; the other {len(pa) - len(up) - len(down)} are within the model's error.")


def reading_gap(gap: pd.DataFrame, key: str = "rep_id") -> str:
    """One sentence: which component drives the gap of the reps below the median."""
    below = gap[gap["log_gap"] < 0]
    if below.empty:
        return "No rep's velocity is below the median rep's."
    worst = below.groupby("component")["log_points"].sum().idxmin()
    return (f"For the {below[key].nunique()} reps below the median rep's velocity, the largest "
            f"drag is {worst.replace('_', ' ')}.")


def reading_cycle(km: pd.DataFrame, by: str) -> str:
    """One sentence comparing Kaplan–Meier median cycles across groups."""
    parts = [f"{g} {viz.days(m)}" for g, m in zip(km[by].astype(str), km["median_days"])]
    return ("Median days from creation to close, counting still-open deals: "
            + "; ".join(parts) + ".")


def leaderboard_table(lb: pd.DataFrame):
    """The leaderboard as a formatted, escaped table (verdict first, no rank column)."""
    cols = [c for c in ["rep_name", "team", "verdict", "deals", "win_rate", "win_rate_shrunk",
                        "bookings", "attainment", "avg_deal_size", "cycle_days_median"]
            if c in lb.columns]
    return viz.table(lb[cols], {"win_rate": "pct", "win_rate_shrunk": "pct", "bookings": "money",
                                "attainment": "pct", "avg_deal_size": "money",
                                "cycle_days_median": "days"},
                     caption="Scorecard by verdict (shrunk win rate: empirical-Bayes estimate)")


def rollup_table(roll: pd.DataFrame):
    """An attainment roll-up (:func:`attainment_rollup`) as a formatted table."""
    return viz.table(roll, {"bookings": "money", "quota": "money", "attainment": "pct",
                            "median_attainment": "pct", "share_at_100": "pct",
                            "share_at_80": "pct", "gini": lambda g: viz.num(g, 2)})
