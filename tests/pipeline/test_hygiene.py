"""Hygiene audit: each rule on a deal built to break it, and the quality score formula."""

from __future__ import annotations

import pandas as pd
import pytest

from salesops_lib import pipeline

from .conftest import history_ds

D, P, N = "Discovery", "Proposal", "Negotiation"
REPS = pd.DataFrame({"rep_id": ["R1", "R2", "R3"], "rep_name": ["Ann Lee", "Bob Roy", "Cy Dunn"],
                     "team": ["East", "East", "West"], "active": ["true", "true", "false"]})
ROWS = [("H1", "2026-09-01", "open", 100, "2026-11-01", "R1", D),           # due in the past
        ("H2", "2026-09-01", "open", 0, "2026-12-10", "R1", D),             # no amount
        ("H3", "2026-09-01", "open", 100, "2026-12-11", "R1", D, "A2"),     # duplicate pair
        ("H4", "2026-09-03", "open", 105, "2026-12-12", "R2", D, "A2"),
        ("H5", "2026-09-01", "open", 120, "2026-12-31", "R2", D),           # month-end default
        ("H6", "2026-09-01", "open", 90, "2026-12-14", "R1", D),
        ("H6", "2026-09-06", "open", 90, "2026-12-14", "R1", P),
        ("H6", "2026-09-11", "open", 90, "2026-12-14", "R1", D),            # backward
        ("H7", "2026-09-01", "open", 80, "2026-12-15", "R2", D),
        ("H7", "2026-09-16", "open", 80, "2026-12-15", "R2", N),            # skipped Proposal
        ("H8", "2026-09-01", "open", 110, "2026-12-16", "R1", D),
        ("H8", "2026-09-11", "open", 110, "2026-12-16", "R1", P),
        ("H8", "2026-09-21", "open", 110, "2026-12-16", "R1", N),
        ("H9", "2026-09-01", "open", 1_000_000, "2026-12-17", "R1", D),     # far outside range
        ("H10", "2026-09-01", "open", 95, "2026-12-18", "R3", D)]           # inactive owner
NAMES = ["Pilot", "Data platform", "Globex renewal 2026", "GLOBEX Renewal 2026", "Expansion",
         "Migration", "Training pack", "Support uplift", "Enterprise deal", "Add-on seats"]
STEPS = {f"H{i}": {"next_step": "call", "opportunity_name": NAMES[i - 1]} for i in range(1, 11)}
STEPS["H2"]["next_step"] = ""


@pytest.fixture(scope="module")
def result():
    ds = history_ds(ROWS, as_of="2026-11-15", reps=REPS, extra=STEPS)
    return ds, *pipeline.audit(ds)


@pytest.mark.parametrize("rule, deals", [
    ("close date in the past", ["H1"]),
    ("missing amount", ["H2"]),
    ("missing next step", ["H2"]),
    ("likely duplicate", ["H3", "H4"]),
    ("end-of-month default close date", ["H5"]),
    ("stage moved backward", ["H6"]),
    ("stage skipped", ["H7"]),
    ("amount outside product range", ["H9"]),
    ("owner inactive", ["H10"]),
    ("missing close date", []),
    ("missing owner", []),
])
def test_each_rule_lists_its_deals(result, rule, deals):
    _, ex, rules = result
    assert sorted(ex.loc[ex["rule"] == rule, "opportunity_id"]) == deals
    assert rules.set_index("rule").loc[rule, "deals"] == len(deals)


def test_exceptions_carry_names_and_severity(result):
    _, ex, _ = result
    row = ex[ex["rule"] == "owner inactive"].iloc[0]
    assert (row["rep_name"], row["account_name"], row["severity"]) == ("Cy Dunn", "Acme", "high")
    assert list(ex["severity"].drop_duplicates()) == ["high", "medium", "low"]


def test_duplicates_without_names_use_account_product_and_amount():
    rows = [("A", "2026-09-01", "open", 100, "2026-12-10", "R1"),
            ("B", "2026-09-02", "open", 108, "2026-12-11", "R1"),      # within 10%: duplicate
            ("C", "2026-09-03", "open", 150, "2026-12-12", "R1")]      # too far apart
    ex, _ = pipeline.audit(history_ds(rows, as_of="2026-11-15"))
    assert sorted(ex.loc[ex["rule"] == "likely duplicate", "opportunity_id"]) == ["A", "B"]


def test_rules_not_checkable_without_their_column():
    ds = history_ds(ROWS, as_of="2026-11-15")
    _, rules = pipeline.audit(ds)
    r = rules.set_index("rule")
    assert not r.loc["owner inactive", "checkable"] and pd.isna(r.loc["owner inactive", "deals"])
    assert not r.loc["missing next step", "checkable"]
    assert "not checkable" in pipeline.reading_hygiene(rules)


def test_quality_score_formula(result):
    ds = history_ds([("X", "2026-09-01", "open", 10, "2026-12-10", "R1"),
                     ("Y", "2026-09-01", "open", 10, "2026-12-11", "R1"),
                     ("Z", "2026-09-01", "open", 10, "2026-12-12", "R1")], as_of="2026-11-15")
    ex = pd.DataFrame({"opportunity_id": ["X", "X", "Y"], "severity": ["high", "low", "medium"]})
    s = pipeline.quality_score(ds, ex, by="rep_id").set_index("group")
    # penalties: X min(1, 1.2) = 1, Y 0.5, Z 0 -> 100 (1 - 1.5 / 3) = 50
    assert s.loc["R1", "score"] == pytest.approx(50.0)
    assert s.loc["R1", ["open_deals", "deals_with_issues"]].tolist() == [3, 2]
    t = pipeline.quality_score(ds, ex, by="team").set_index("group")
    assert t.loc["East", "score"] == pytest.approx(50.0)


def test_hygiene_reading_counts_agree_with_their_verb():
    rules = pd.DataFrame({"rule": ["past close date", "missing amount", "owner inactive"],
                          "severity": ["high", "low", "high"], "deals": [1, 0, None],
                          "amount": [100.0, 0.0, None], "checkable": [True, True, False]})
    assert pipeline.reading_hygiene(rules) == (
        "1 open deal breaks a high-severity rule and 1 exception is listed in all; "
        "not checkable on this source: owner inactive.")
    rules.loc[1, "deals"] = 2
    assert pipeline.reading_hygiene(rules).startswith(
        "1 open deal breaks a high-severity rule and 3 exceptions are listed")


def test_hygiene_reading_counts_a_deal_breaking_two_high_rules_once():
    """X is past its close date and has no amount (two high-severity rules), Y is only past its
    close date, Z is clean: 2 deals break a high-severity rule, in 3 exceptions. The sentence
    added the per-rule counts and read "3 open deals break a high-severity rule"."""
    rows = [("X", "2026-09-01", "open", 0, "2026-11-02", "R1"),
            ("Y", "2026-09-01", "open", 100, "2026-11-03", "R2"),
            ("Z", "2026-09-01", "open", 300, "2026-12-10", "R1")]
    ex, rules = pipeline.audit(history_ds(rows, as_of="2026-11-15"))
    high = ex[ex["severity"] == "high"]
    assert sorted(zip(high["opportunity_id"], high["rule"])) == [
        ("X", "close date in the past"), ("X", "missing amount"), ("Y", "close date in the past")]
    assert len(ex) == 3
    want = "2 open deals break a high-severity rule and 3 exceptions are listed in all"
    assert pipeline.reading_hygiene(rules).startswith(want)
    assert pipeline.reading_hygiene(rules, ex).startswith(want)
    # a rules table without its deals (built by hand) does not count X twice either
    bare = rules.copy()
    bare.attrs = {}
    assert pipeline.reading_hygiene(bare).startswith(
        "3 high-severity exceptions on open deals and 3 exceptions are listed in all")
