"""Pay statements: lines that add up, what the next tier pays, and the no-rep mode."""

from __future__ import annotations

import pytest

from salesops_lib import compensation as comp

from .conftest import base_plan


@pytest.fixture
def golden_run(golden_ds):
    return comp.run(golden_ds, base_plan(cap=0.8, draw={"amount": 1000}), "2026-Q1")


def test_statement_lines_add_up_to_the_payout(golden_run):
    for rep in ("R1", "R2", "R3", "R4"):
        s = comp.statement(golden_run, rep)
        assert s["by_line"]["amount"].sum() == pytest.approx(s["summary"]["payout"])
    s = comp.statement(golden_run, "R3")
    tiers = s["by_line"].set_index("tier")
    assert tiers.loc["100%+", "amount"] == pytest.approx(4000.0)
    assert tiers.loc["100%+", "credit"] == pytest.approx(20000.0)
    assert s["by_line"].set_index("line").loc["cap", "amount"] == pytest.approx(8000 - 9000)


def test_next_tier_by_hand(golden_run):
    t = comp.statement(golden_run, "R1")["next_tier"]
    # at 50% the next edge is 100%: 50,000 more, then 2x · 10,000 / 100,000 per dollar
    assert t["next_edge"] == 1.0 and t["credit_needed"] == pytest.approx(50000.0)
    assert t["pay_per_1000"] == pytest.approx(200.0)
    top = comp.statement(golden_run, "R3")["next_tier"]
    assert top["next_edge"] is None and top["band"] == "100%+ at 2x"
    html = comp.next_tier(golden_run, "R1").data
    assert "$50.0k more credit reaches 100%" in html


def test_no_rep_selected_is_one_sentence(golden_run):
    assert "No rep is selected" in comp.statement_summary(golden_run, "").data
    assert comp.statement_lines(golden_run, "") is None
    assert comp.next_tier(golden_run, "") is None
    assert "Rep R3" in comp.statement_summary(golden_run, "R3").data
    assert comp.statement_lines(golden_run, "R3") is not None
    with pytest.raises(ValueError, match="rep 'R9' is not paid under plan 'Golden' in 2026-Q1"):
        comp.statement(golden_run, "R9")


def test_statement_of_a_rep_without_quota_says_why(golden_ds):
    """A rep the data has but who has no quota for the period gets a statement saying so
    (a run with --per rep must not fail on them); a rep the data lacks still raises."""
    from .conftest import make_ds
    ds = make_ds([("D1", "R1", 50000, "2026-01-20"), ("D2", "R2", 80000, "2026-02-10")],
                 [("R1", "2026-Q1", 100000), ("R2", "2025-Q4", 100000)])
    run = comp.run(ds, base_plan(), "2026-Q1")
    assert list(run.payouts["rep_id"]) == ["R1"]
    assert comp.statements.unpaid(run, "R1") is None
    assert comp.statements.unpaid(run, "R2")["rep_name"] == "Rep R2"
    cards = comp.statements.rep_headline(run, "R2")
    assert [c[0] for c in cards] == ["Rep", "Quota", "Payout"]
    assert cards[1][1:] == ("none", "no quota for 2026-Q1") and cards[2][1] == "$0"
    note = comp.statement_note(run, "R2").data
    assert "Rep R2 (R2) has no quota for 2026-Q1, so plan Golden pays them nothing" in note
    assert comp.statement_lines(run, "R2") is None and comp.next_tier(run, "R2") is None
    assert comp.statement_note(run, "R1") is None                    # paid: numbers head the page
    with pytest.raises(ValueError, match="rep 'R9' is not paid"):
        comp.statements.unpaid(run, "R9")
