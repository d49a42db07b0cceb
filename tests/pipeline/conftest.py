"""Hand-made histories for the pipeline tests: a tiny org whose waterfall is done on paper."""

from __future__ import annotations

import pandas as pd
import pytest

from salesops_lib.data import Dataset

REPS = pd.DataFrame({"rep_id": ["R1", "R2", "R3"], "rep_name": ["Ann Lee", "Bob Roy", "Cy Dunn"],
                     "team": ["East", "East", "West"]})
ACCOUNTS = pd.DataFrame({"account_id": ["A1", "A2"], "account_name": ["Acme", "Globex"],
                         "region": ["North", "South"]})


def history_ds(rows, as_of="2026-12-31", accounts=None, reps=None, extra=None,
               validate: bool = True, quotas=None) -> Dataset:
    """A Dataset from history rows ``(opportunity_id, changed_at, status, amount, close_date,
    rep_id[, stage[, account_id]])``; each deal's ``opportunities`` row is its last history row
    (created on its first). ``extra`` adds columns to ``opportunities`` (dict id -> dict)."""
    cols = ["opportunity_id", "changed_at", "status", "amount", "close_date", "rep_id", "stage",
            "account_id"]
    recs = [dict(zip(cols, r)) for r in rows]
    h = pd.DataFrame(recs).reindex(columns=cols)
    h["stage"] = h["stage"].fillna(h["status"].map({"open": "Proposal", "won": "Closed Won",
                                                    "lost": "Closed Lost"}))
    h["account_id"] = h.groupby("opportunity_id")["account_id"].transform("first").fillna("A1")
    h["changed_at"] = pd.to_datetime(h["changed_at"])
    first = h.groupby("opportunity_id", sort=False).first()
    last = h.groupby("opportunity_id", sort=False).last()
    opp = last.reset_index()[["opportunity_id", "account_id", "rep_id", "stage", "status",
                              "amount", "close_date"]]
    opp["created_date"] = first["changed_at"].to_numpy()
    opp["amount"] = opp["amount"].fillna(0.0)
    opp["product"] = "Core"
    for oid, vals in (extra or {}).items():
        for k, v in vals.items():
            opp.loc[opp["opportunity_id"] == oid, k] = v
    hist = h.drop(columns=["account_id"])
    if not validate:   # the property test builds hundreds: typed frames, no loader checks
        from salesops_lib.data import schemas

        hist["close_date"] = pd.to_datetime(hist["close_date"])
        opp["close_date"] = pd.to_datetime(opp["close_date"])
        empty = {t: schemas.empty_frame(t) for t in ("stage_history", "quotas", "activities")}
        return Dataset(accounts=ACCOUNTS, reps=REPS, opportunities=opp, opportunity_history=hist,
                       as_of=pd.Timestamp(as_of), **empty)
    return Dataset.from_frames(accounts=ACCOUNTS if accounts is None else accounts,
                               reps=REPS if reps is None else reps, opportunities=opp,
                               opportunity_history=hist, quotas=quotas, as_of=as_of)


@pytest.fixture
def make_ds():
    return history_ds


@pytest.fixture(scope="session")
def sample_small():
    """A small sample org (no opportunity history yet)."""
    from salesops_lib import load_dataset

    return load_dataset("sample:accounts=500,reps=10,years=2")
