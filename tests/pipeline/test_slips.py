"""Slips: push counts from close-date history, chronic slippers under Benjamini–Hochberg."""

from __future__ import annotations

import pandas as pd
import pytest

from salesops_lib import pipeline

from .conftest import history_ds

ROWS = [("O1", "2026-09-01", "open", 100, "2026-11-01", "R1"),
        ("O1", "2026-10-25", "open", 100, "2026-11-20", "R1"),   # +19 days
        ("O1", "2026-11-21", "open", 100, "2026-12-10", "R1"),   # +20 days
        ("O1", "2026-12-10", "won", 100, "2026-12-10", "R1"),
        ("O2", "2026-09-01", "open", 50, "2026-10-15", "R1"),
        ("O2", "2026-10-05", "won", 50, "2026-10-05", "R1"),     # pulled in
        ("O3", "2026-09-01", "open", 70, "2026-10-20", "R2"),
        ("O3", "2026-10-20", "lost", 70, "2026-10-20", "R2")]


def test_push_count_and_slip_days():
    s = pipeline.deal_slips(history_ds(ROWS)).set_index("opportunity_id")
    assert s.loc["O1", ["push_count", "pull_count", "slip_days"]].tolist() == [2, 0, 39]
    assert s.loc["O2", ["push_count", "pull_count", "slip_days"]].tolist() == [0, 1, 0]
    assert s.loc["O1", "first_close_date"] == pd.Timestamp("2026-11-01")
    # as of an earlier date only the first push is known
    early = pipeline.deal_slips(history_ds(ROWS), as_of="2026-11-01").set_index("opportunity_id")
    assert early.loc["O1", "push_count"] == 1 and early.loc["O1", "slip_days"] == 19


def test_rep_rates_against_org_rate():
    r = pipeline.rep_slip_rates(history_ds(ROWS), min_deals=1).set_index("rep_id")
    assert r.loc["R1", ["deals", "slipped"]].tolist() == [2, 1]
    assert r.loc["R1", "org_rate"] == pytest.approx(1 / 3)
    assert r.loc["R1", "p_value"] == pytest.approx(1 - (2 / 3) ** 2)     # P(X >= 1 | 2, 1/3)
    assert r.loc["R2", "p_value"] == pytest.approx(1.0)
    assert r.loc["R1", "q_value"] == pytest.approx(1.0)                   # BH: min(10/9, 1)
    assert r.loc["R1", "rate_low"] < 0.5 < r.loc["R1", "rate_high"]
    assert not r["chronic"].any()
    assert r.loc["R1", "rep_name"] == "Ann Lee"


def test_only_the_chronic_rep_is_flagged_among_many():
    reps = pd.DataFrame({"rep_id": [f"R{i:02d}" for i in range(20)],
                         "rep_name": [f"Rep {i}" for i in range(20)], "team": "East"})
    rows = []
    for i in range(20):
        slipped = 18 if i == 7 else 4
        for j in range(20):
            oid = f"O{i:02d}{j:02d}"
            rows.append((oid, "2026-08-01", "open", 10, "2026-09-01", f"R{i:02d}"))
            if j < slipped:
                rows.append((oid, "2026-08-20", "open", 10, "2026-10-01", f"R{i:02d}"))
    r = pipeline.rep_slip_rates(history_ds(rows, reps=reps, accounts=None))
    assert r.loc[r["chronic"], "rep_id"].tolist() == ["R07"]
    assert r["org_rate"].iloc[0] == pytest.approx((19 * 4 + 18) / 400)


def test_slip_probability_by_stage_and_age():
    rows = [("O1", "2026-09-01", "open", 100, "2026-11-20", "R1"),
            ("O1", "2026-11-21", "open", 100, "2026-12-10", "R1"),   # still open on 20 Nov
            ("O1", "2026-12-10", "won", 100, "2026-12-10", "R1"),
            ("O4", "2026-09-01", "open", 30, "2026-11-10", "R2"),
            ("O4", "2026-11-10", "won", 30, "2026-11-10", "R2")]
    p = pipeline.slip_probability(history_ds(rows))
    stage = p[p["dimension"] == "stage"].set_index("value")
    # snapshots 31 Oct (O1 due 20 Nov: slipped; O4 due 10 Nov: won) and 30 Nov (O1 due 10 Dec: won)
    assert stage.loc["Proposal", ["deals", "slipped"]].tolist() == [3, 1]
    assert stage.loc["Proposal", "probability"] == pytest.approx(1 / 3)
    age = p[p["dimension"] == "age"].set_index("value")
    assert age.loc["31-90 days", "deals"] == 3


def test_no_history_means_no_slips(sample_small):
    import dataclasses

    sample_small = dataclasses.replace(
        sample_small, opportunity_history=sample_small.opportunity_history.iloc[:0])
    assert pipeline.deal_slips(sample_small).empty
    assert pipeline.rep_slip_rates(sample_small).empty
    assert pipeline.slip_probability(sample_small).empty
    assert "needs the opportunity history" in pipeline.slip_table(
        pipeline.slip_probability(sample_small)).data


def test_slip_table_lists_stages_in_funnel_order(sample_ds):
    """The slip table listed the sample's stages by name (Negotiation before Prospecting)."""
    p = pipeline.slip_probability(sample_ds, as_of="2026-10-31")
    stages = p.loc[p["dimension"] == "stage", "value"].tolist()
    order = [s for s in pipeline.stage_order(sample_ds) if s in stages]
    assert stages[:len(order)] == order and len(order) >= 3
    assert stages != sorted(stages)
