"""A rep's pay statement shows only that rep's pay; the whole-plan page shows everything.

The report renders one page per rep (``salesops report --per rep``): the rep must see their
own numbers and nothing that names or sums other reps' pay (top payouts, plan cost, the
company's cards, fairness and quota splits)."""

from __future__ import annotations

import pytest

from salesops_lib import compensation as comp

from .conftest import base_plan


@pytest.fixture
def golden_pay(golden_ds):
    """Quota 100,000 each; credited R1 50,000, R2 100,000, R3 120,000, R4 49,999; TI 10,000,
    0x to 50%, 1x to 100%, 2x above (marginal)."""
    return comp.run(golden_ds, base_plan(), "2026-Q1")


def _text(cards) -> str:
    return " | ".join(" ".join(str(x) for x in card) for card in cards)


def test_rep_headline_is_the_reps_own_numbers_by_hand(golden_pay):
    cards = comp.headline(golden_pay, "R3", None, None, None, None)
    got = {label: (value, note) for label, value, note in cards}
    assert list(got) == ["Rep", "Quota", "Credited", "Attainment", "Earnings", "Payout"]
    assert got["Rep"] == ("Rep R3", "East · R3 · plan Golden")
    assert got["Quota"][0] == "$100.0k"
    assert got["Credited"][0] == "$120.0k"                       # 70,000 + 50,000
    assert got["Attainment"][0] == "120%"
    # 10,000 × (0.5 × 1x from 50% to 100% + 0.2 × 2x above): 9,000, no draw
    assert got["Earnings"][0] == "$9.0k"
    assert got["Earnings"][1].startswith("commission $9.0k")
    assert got["Payout"] == ("$9.0k", "draw $0, recovery $0")
    text = _text(cards)
    for other in ("R1", "R2", "R4"):
        assert f"Rep {other}" not in text and f"· {other}" not in text
    # the plan's total (0 + 5,000 + 9,000 + 0) and the company cards are not on it
    assert "$14.0k" not in text
    assert not {"Quota total", "Plan cost P50", "Plan cost", "Reps expected at quota",
                "Reps at quota"} & set(got)


def test_whole_plan_headline_is_the_company_cards(golden_pay, golden_ds):
    q = comp.proposed_quotas(golden_ds, "2026-Q1", "even")
    cap = comp.bottom_up(golden_ds, "2026-Q1")
    cards = comp.headline(golden_pay, "", q, cap, None, None)
    assert cards == comp.key_numbers(q, cap, None, None)
    assert cards[0][0] == "Quota total"


def test_statement_page_leaves_out_whole_plan_sections():
    assert comp.sections("") == tuple(comp.SECTIONS)
    assert comp.sections("R3") == ("headline", "pay_period", "statement", "pay_curve")
    for section in ("payouts", "cost", "cost_backtest", "sensitivity", "fairness",
                    "quota_methods", "backtest", "basis"):
        assert comp.shows(section, "") and not comp.shows(section, "R3"), section
        assert comp.heading(section, "R3") is None
    assert comp.heading("fairness", "").data.startswith("## Fairness\nWhether attainment")
    assert comp.heading("sensitivity", "").data.startswith("How P50 cost moves")
    with pytest.raises(KeyError, match="no section 'payout'"):
        comp.shows("payout", "R3")


def test_plan_only_steps_are_not_run_on_a_statement():
    calls = []

    def step(*args, **kwargs):
        calls.append((args, kwargs))
        return "shown"

    assert comp.plan_only("R3", step, 1, x=2) is None
    assert calls == []
    assert comp.plan_only("", step, 1, x=2) == "shown"
    assert calls == [((1,), {"x": 2})]


def test_statement_note_says_how_to_get_statements(golden_pay):
    note = comp.statement_note(golden_pay, "").data
    assert "No rep is selected" in note and "--per rep" in note
    assert comp.statement_note(golden_pay, "R3") is None
    assert "Quota" in comp.statement_summary(golden_pay, "R3").data


def test_statement_pages_name_only_their_rep(tmp_path):
    """The real runner with ``per=["rep"]``: each statement names its rep and no other, and
    has none of the whole-plan sections; the whole-plan page keeps them."""
    from salesops_lib import load_dataset
    from salesops_lib.report import run_reports

    data, period = "sample:accounts=600,reps=8,seed=3", "2026-Q3"
    res = run_reports(out=tmp_path / "out", notebooks=["quotas_compensation"], per=["rep"],
                      data=data, period=period)
    assert res.ok, [r.error for r in res.results]
    names = load_dataset(data).reps.set_index("rep_id")["rep_name"].astype(str)
    folder = tmp_path / "out" / period
    for rep_id in ("R003", "R006"):
        page = (folder / "statements" / f"{rep_id}.html").read_text()
        assert names[rep_id] in page
        others = [n for r, n in names.items() if r != rep_id and n in page]
        assert others == [], f"{rep_id}'s statement names {others}"
        for company in ("payouts of the period", "Quota total", "Plan cost", "Fairness",
                        "Quota by team and method", "simulated outcomes"):
            assert company not in page, (rep_id, company)
        assert "Pay statement" in page and "Pay curve" in page
    whole = (folder / "quotas_compensation.html").read_text()
    for section in ("payouts of the period", "Quota total", "Plan cost", "Fairness",
                    "--per rep"):
        assert section in whole, section
    assert all(n in whole for n in names.head(3))    # the top payouts name reps
