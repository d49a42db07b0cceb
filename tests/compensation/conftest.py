"""Tiny hand-made orgs for the compensation tests: every right answer computable on paper."""

from __future__ import annotations

import pandas as pd
import pytest

from salesops_lib.data import Dataset


def make_ds(deals, quotas, *, reps=None, history=None, accounts=None, as_of="2026-12-31"):
    """A Dataset from short lists.

    ``deals``: tuples ``(opportunity_id, rep_id, amount, close_date)`` plus optionally
    ``status`` (default won), ``product`` (default Core), ``account_id`` (default one account
    per deal). ``quotas``: tuples ``(rep_id, period, quota)``. ``reps``: tuples ``(rep_id,
    team, role, hire_date)`` (default: every rep in deals/quotas, team East, field, 2020).
    ``history``: tuples ``(opportunity_id, changed_at, status, amount)``.
    """
    rows = []
    for d in deals:
        oid, rep, amount, close = d[:4]
        status = d[4] if len(d) > 4 else "won"
        product = d[5] if len(d) > 5 else "Core"
        account = d[6] if len(d) > 6 else f"A_{oid}"
        created = pd.Timestamp(close) - pd.Timedelta(days=30)
        rows.append({"opportunity_id": oid, "account_id": account, "rep_id": rep,
                     "stage": {"won": "Closed Won", "lost": "Closed Lost"}.get(status, "Open"),
                     "status": status, "amount": float(amount), "created_date": created,
                     "close_date": pd.Timestamp(close), "product": product})
    opp = pd.DataFrame(rows)
    rep_ids = sorted(set(opp["rep_id"]) | {q[0] for q in quotas})
    if reps is None:
        reps = [(r, "East", "field", "2020-01-01") for r in rep_ids]
    rp = pd.DataFrame(reps, columns=["rep_id", "team", "role", "hire_date"])
    rp["rep_name"] = "Rep " + rp["rep_id"]
    if accounts is None:
        acc = pd.DataFrame({"account_id": sorted(opp["account_id"].unique())})
        acc["potential"] = 100.0
        acc["owner_rep_id"] = acc["account_id"].map(
            opp.drop_duplicates("account_id").set_index("account_id")["rep_id"])
    else:
        acc = pd.DataFrame(accounts, columns=["account_id", "owner_rep_id", "potential"])
    acc["account_name"] = "Account " + acc["account_id"]
    q = pd.DataFrame(quotas, columns=["rep_id", "period", "quota"])
    hist = None
    if history is not None:    # creation, the close as first booked, then the given changes
        h = [{"opportunity_id": r["opportunity_id"], "changed_at": r["created_date"],
              "stage": "Open", "status": "open", "amount": r["amount"],
              "close_date": r["close_date"], "rep_id": r["rep_id"]} for r in rows]
        h += [{**x, "changed_at": r["close_date"], "stage": r["stage"], "status": r["status"]}
              for r, x in zip(rows, h)]
        by_id = opp.set_index("opportunity_id")
        for oid, when, status, amount in history:
            h.append({"opportunity_id": oid, "changed_at": pd.Timestamp(when),
                      "stage": "Closed Lost" if status == "lost" else "Closed Won",
                      "status": status, "amount": float(amount),
                      "close_date": by_id.loc[oid, "close_date"], "rep_id": by_id.loc[oid, "rep_id"]})
        hist = pd.DataFrame(h)
        last = hist.sort_values("changed_at", kind="stable").drop_duplicates(
            "opportunity_id", keep="last").set_index("opportunity_id")
        opp["status"] = opp["opportunity_id"].map(last["status"])
        opp["amount"] = opp["opportunity_id"].map(last["amount"])
        opp["stage"] = opp["opportunity_id"].map(last["stage"])
    return Dataset.from_frames(accounts=acc, reps=rp, opportunities=opp, quotas=q,
                               opportunity_history=hist, as_of=as_of)


def base_plan(**changes) -> dict:
    """Quarterly plan, TI 10,000: 0% below half of quota, 1x to quota, 2x above."""
    plan = {"name": "Golden", "period": "quarter", "target_incentive": 10000,
            "curve": [{"from": 0.0, "to": 0.5, "rate": 0.0},
                      {"from": 0.5, "to": 1.0, "rate": 1.0},
                      {"from": 1.0, "to": None, "rate": 2.0}],
            "tiers": "marginal", "start": "2026-Q1"}
    plan.update(changes)
    return plan


FLAT = [{"from": 0.0, "to": None, "rate": 1.0}]


@pytest.fixture
def golden_ds():
    """Q1 2026, quota 100,000 each: R1 50,000; R2 100,000; R3 70,000 + 50,000; R4 49,999."""
    deals = [("D1", "R1", 50000, "2026-01-20"), ("D2", "R2", 100000, "2026-02-10"),
             ("D3", "R3", 70000, "2026-01-10"), ("D4", "R3", 50000, "2026-02-01"),
             ("D5", "R4", 49999, "2026-03-01")]
    quotas = [(r, "2026-Q1", 100000) for r in ("R1", "R2", "R3", "R4")]
    return make_ds(deals, quotas)
