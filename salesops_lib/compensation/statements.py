"""Pay statements: one rep's period, line by line, as the rep reads it.

A statement has three sections, each a library call so a notebook shows it in one line and
says in one sentence that no rep is selected when ``rep`` is empty:

* :func:`statement_summary`: headline numbers (:func:`rep_headline`: plan, quota, credited,
  attainment, earnings, payout); the report shows them as the page's headline
  (:func:`page.headline`) and :func:`statement_note` in their place;
* :func:`statement_lines`: earnings by line: each rule and tier with its deals, credit and
  amount (the lines add up to the payout);
* :func:`next_tier`: what the next tier pays: the next band edge above the rep's attainment,
  the credit still needed to reach it, and the pay per 1,000 of credit there
  (``rate × TI × weight / target × 1000``).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .. import viz
from .narrative import NO_QUOTAS
from .pay import PayRun

NO_REP = ("No rep is selected: this report covers the whole plan; render it with a rep "
          "to see that rep's pay statement (salesops report --per rep renders one for every "
          "rep, under statements/, each showing only that rep's own pay).")


def _row(run: PayRun, rep: str) -> pd.Series:
    p = run.payouts
    hit = p[p["rep_id"].astype(str) == str(rep)]
    if hit.empty:
        known = ", ".join(p["rep_id"].astype(str).head(5))
        raise ValueError(f"rep {rep!r} is not paid under plan {run.plan.name!r} in "
                         f"{run.period.label} (reps paid: {known}, ...)")
    return hit.iloc[0]


def unpaid(run: PayRun, rep: str) -> pd.Series | None:
    """The roster row (``rep_id``, ``rep_name``, ``team``) of ``rep`` when the data has the rep
    but the plan pays them nothing for the period, because they have no quota in it (the
    plan's participants are the reps with a quota, :func:`~salesops_lib.measures.
    quota_for_period`); ``None`` when the rep is paid, no rep is selected or the data has no
    quotas at all (:data:`NO_QUOTAS`). A rep the data does not have raises ``ValueError``."""
    if not rep or run.payouts.empty or (run.payouts["rep_id"].astype(str) == str(rep)).any():
        return None
    roster = run.roster if run.roster is not None else pd.DataFrame(columns=["rep_id"])
    hit = roster[roster["rep_id"].astype(str) == str(rep)]
    if hit.empty:
        _row(run, rep)
    return hit.iloc[0]


def _unpaid_text(run: PayRun, r: pd.Series) -> str:
    return (f"{r['rep_name']} ({r['rep_id']}) has no quota for {run.period.label}, so plan "
            f"{run.plan.name} pays them nothing for it: the plan pays the reps with a quota "
            f"for the period. Add their quota for {run.period.label} to the quotas table to "
            "pay them under the plan.")


def statement(run: PayRun, rep: str) -> dict:
    """The statement's data: ``summary`` (the rep's payouts row), ``lines`` (every line of the
    period for the rep), ``by_line`` (lines grouped by line, rule and tier: ``deals``,
    ``credit``, ``amount``) and ``next_tier`` (dict)."""
    row = _row(run, rep)
    ln = run.lines[(run.lines["period"] == run.period.label)
                   & (run.lines["rep_id"].astype(str) == str(rep))]
    text = {c: ln[c].astype(object).fillna("") for c in ("line", "measure", "rule", "tier")}
    g = ln.assign(**text).groupby(["line", "measure", "rule", "tier"], sort=False)
    by_line = pd.DataFrame({"deals": g["opportunity_id"].nunique(), "credit": g["credit"].sum(),
                            "amount": g["amount"].sum()}).reset_index()
    return {"summary": row, "lines": ln.reset_index(drop=True), "by_line": by_line,
            "next_tier": _next_tier(run, row)}


def _next_tier(run: PayRun, row) -> dict:
    plan, _ = run.plan.version_for(run.period.start, run.period.end)
    m = plan.measures[0]
    a = float(row["attainment"]) if pd.notna(row["attainment"]) else 0.0
    target = float(row["quota"]) * (m.target_share or 1.0) if m.target is None else m.target
    nxt = plan.edges[plan.edges > a + 1e-12]
    if not len(nxt):
        b = len(plan.edges) - 1
        return {"attainment": a, "next_edge": None, "credit_needed": 0.0,
                "rate": float(plan.rates[b]), "band": plan.band_labels()[b],
                "pay_per_1000": float(plan.rates[b] * plan.target_incentive * m.weight
                                      / target * 1000) if target else np.nan,
                "capped": bool(row["cap_adjustment"] < 0)}
    edge = float(nxt[0])
    b = int(np.searchsorted(plan.edges, edge))
    return {"attainment": a, "next_edge": edge, "credit_needed": (edge - a) * target,
            "rate": float(plan.rates[b]), "band": plan.band_labels()[b],
            "pay_per_1000": float(plan.rates[b] * plan.target_incentive * m.weight / target
                                  * 1000) if target else np.nan,
            "capped": bool(row["cap_adjustment"] < 0)}


def rep_headline(run: PayRun, rep: str) -> list:
    """``rep``'s own headline cards (for :func:`salesops_lib.viz.kpis`), from their payouts
    row only (no other rep's number enters them): rep with team, id and plan; quota;
    credited; attainment; earnings with commission and adjustments; payout with draw and
    recovery. When the data has no quotas (nobody is paid), one card saying so."""
    if run.payouts.empty:
        return [("Rep", str(rep), "not paid: " + NO_QUOTAS["pay"])]
    u = unpaid(run, rep)
    if u is not None:
        return [("Rep", str(u["rep_name"]), f"{u['team']} · {u['rep_id']} · plan {run.plan.name}"),
                ("Quota", "none", f"no quota for {run.period.label}"),
                ("Payout", viz.money(0), "not paid under the plan this period")]
    r = _row(run, rep)
    adjust = sum(float(r.get(c, 0.0)) for c in ("cap_adjustment", "floor_adjustment", "delta"))
    return [
        ("Rep", str(r["rep_name"]), f"{r['team']} · {r['rep_id']} · plan {run.plan.name}"),
        ("Quota", viz.money(r["quota"]), run.period.label),
        ("Credited", viz.money(r["credited"]), "bookings credited to the rep"),
        ("Attainment", viz.pct(r["attainment"]),
         f"{viz.money(r['credited'])} credited of {viz.money(r['quota'])}"),
        ("Earnings", viz.money(r["earnings"]),
         (f"commission {viz.money(r['commission'])}, adjustments {viz.money(adjust)}, "
         f"SPIF {viz.money(r['spif'])}, clawback {viz.money(r['clawback'])}")),
        ("Payout", viz.money(r["payout"]), (f"draw {viz.money(r['draw'])}, recovery "
                                           f"{viz.money(r['draw_recovery'])}")),
    ]


def statement_summary(run: PayRun, rep: str = ""):
    """Headline numbers of ``rep``'s statement (:func:`rep_headline`), or the one-sentence
    "no rep" note."""
    if run.payouts.empty:    # no quotas in the data: no rep is paid
        return viz.callout(NO_QUOTAS["pay"])
    if not rep:
        return viz.callout(NO_REP)
    return viz.kpis(rep_headline(run, rep))


def statement_note(run: PayRun, rep: str = ""):
    """The statement section's sentence: no rep is paid (no quotas) or none is selected (the
    whole-plan page, :data:`NO_REP`); nothing on a statement, whose numbers head the page
    (:func:`page.headline`)."""
    u = unpaid(run, rep)
    if u is not None:
        return viz.callout(_unpaid_text(run, u))
    if rep and not run.payouts.empty:
        return None
    return statement_summary(run, rep)


def statement_lines(run: PayRun, rep: str = ""):
    """``rep``'s earnings by line as a table (nothing when no rep is selected or paid)."""
    if not rep or run.payouts.empty or unpaid(run, rep) is not None:
        return None
    s = statement(run, rep)["by_line"]
    names = {"spif": "SPIF", "draw_recovery": "Draw recovery"}
    s = s.assign(line=s["line"].map(lambda v: names.get(v, v.replace("_", " ").capitalize())),
                 measure=s["measure"].str.replace("_", " "))
    return viz.table(s, {"credit": "money", "amount": "money", "deals": "num"},
                     caption=f"{run.period.label}: earnings by line (they add up to the payout)")


def next_tier(run: PayRun, rep: str = ""):
    """One sentence on what the next tier pays ``rep`` (nothing when no rep is selected or paid)."""
    if not rep or run.payouts.empty or unpaid(run, rep) is not None:
        return None
    t = statement(run, rep)["next_tier"]
    if t["next_edge"] is None:
        text = (f"At {viz.pct(t['attainment'])} of target the rep is in the top band "
                f"({t['band']}): each further {viz.money(1000)} of credit pays "
                f"{viz.money(t['pay_per_1000'])}")
        text += ", but earnings are already at the cap." if t["capped"] else "."
    else:
        text = (f"At {viz.pct(t['attainment'])} of target, {viz.money(t['credit_needed'])} more "
                f"credit reaches {viz.pct(t['next_edge'])}, where each {viz.money(1000)} of "
                f"credit pays {viz.money(t['pay_per_1000'])} ({t['band']}).")
    return viz.callout(text)
