"""The territory page on data whose potential is not a potential column (the Maven export:
accounts' annual revenue): the page says what potential is wherever it shows it; the balance
chart draws the band the proposal was solved for; a band is said in one unit, a percentage."""

from __future__ import annotations

import html
import json
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from salesops_lib import load_dataset
from salesops_lib.data import Dataset
from salesops_lib.territory import alignment as T
from salesops_lib.territory import maps as TM
from salesops_lib.territory import narrative as N

ROOT = Path(__file__).resolve().parents[2]
MAVEN = ROOT / ".." / "shared" / "data" / "crm_sales_opportunities_maven"
REVENUE_WORDS = "annual revenue"


def revenue_ds(revenue=(80.0, 10.0, 10.0, 10.0, 10.0), column="annual_revenue") -> Dataset:
    """Five accounts with revenue (no potential column) owned by R0; three reps; two won
    deals in 2026-Q3 ($300 + $200) and one in 2026-Q2 ($1,000, not in the period)."""
    n = len(revenue)
    acc = pd.DataFrame({"account_id": [f"A{i}" for i in range(n)],
                        "account_name": [f"Acct {i}" for i in range(n)],
                        column: [v * 1e6 for v in revenue], "owner_rep_id": ["R0"] * n})
    reps = pd.DataFrame({"rep_id": ["R0", "R1", "R2"], "rep_name": ["Rep 0", "Rep 1", "Rep 2"]})
    opp = pd.DataFrame({"opportunity_id": ["O1", "O2", "O3"], "account_id": ["A0", "A1", "A2"],
                        "rep_id": ["R0"] * 3, "stage": ["Won"] * 3, "status": ["won"] * 3,
                        "amount": [300.0, 200.0, 1000.0],
                        "created_date": pd.to_datetime(["2026-07-01", "2026-07-01", "2026-04-01"]),
                        "close_date": pd.to_datetime(["2026-08-01", "2026-09-30", "2026-06-30"])})
    return Dataset.from_frames(accounts=acc, reps=reps, opportunities=opp)


def caption(styler) -> str:
    return html.unescape(styler.caption or "")


def said(display) -> str:
    return html.unescape(display.data)


def title(ax) -> str:
    return " ".join(t for t in (ax.get_title(loc=k) for k in ("left", "center", "right")) if t)


# ---------------------------------------------------------------------------- what potential is
def test_a_revenue_page_says_potential_is_annual_revenue_not_a_target():
    ds = revenue_ds()
    note = said(N.scope_note(ds, "", "2026-Q3"))
    assert ("Potential on this page is each account's annual revenue (the data have no potential "
            "column): the size of the customer's business, not a sales target") in note
    # 80 + 4 × 10 = $120M of revenue; 2026-Q3 bookings $300 + $200 (the Q2 deal left out)
    assert "Together 5 accounts turn over $120.0M a year, against $500 of bookings in 2026-Q3." in note
    rv = T.review(ds, "2026-Q3", tolerance=0.05, time_limit=5)
    assert rv.potential_basis == "annual_revenue"
    # the recommendation's dollar figures name what they are
    assert "the mean potential (account annual revenue) of 3 territories ($80.0M" in rv.decision.text
    # every table with a potential column says what it holds
    assert caption(N.rep_table(rv.changes, rv.risk)) == (
        "Potential = the accounts' annual revenue, not a sales target; "
        "Target = each rep's fair share of it.")
    assert caption(N.moved_table(rv.moved, rv.reps)) == (
        "Potential = the accounts' annual revenue, not a sales target.")
    assert "annual revenue, not a sales target" in N.risk_table(rv.risk, threshold=0.1).to_html()
    fig = TM.plot_balance(rv.changes, rv.tolerance)
    ax = fig.axes[0]
    assert REVENUE_WORDS in title(ax) and REVENUE_WORDS in ax.get_ylabel()
    assert ax.get_ylabel().endswith("($)")


def test_a_potential_column_page_says_nothing_more():
    ds = revenue_ds(column="potential")
    assert N.scope_note(ds, "", "2026-Q3") is None
    rv = T.review(ds, "2026-Q3", tolerance=0.05, time_limit=5)
    assert rv.potential_basis == "potential"
    assert "mean potential of 3 territories ($80.0M" in rv.decision.text
    assert N.rep_table(rv.changes, rv.risk).caption is None
    assert N.moved_table(rv.moved, rv.reps).caption is None
    ax = TM.plot_balance(rv.changes, rv.tolerance).axes[0]
    assert title(ax) == "Potential per territory, today and proposed"
    assert ax.get_ylabel() == "Potential ($)"


def test_a_count_of_accounts_is_said_and_shown_without_dollars():
    ds = revenue_ds([1.0] * 6, column="employees")       # neither potential nor revenue
    assert "counts accounts" in said(N.scope_note(ds, "", "2026-Q3"))
    rv = T.review(ds, "2026-Q3", tolerance=0.05, time_limit=5)
    html = N.rep_table(rv.changes, rv.risk).to_html()
    assert "a count of accounts" in html and "$" not in html
    assert "$" not in TM.plot_balance(rv.changes, rv.tolerance).axes[0].get_ylabel()


@pytest.mark.skipif(not MAVEN.exists(), reason="the Maven export is not in this checkout")
def test_maven_page_puts_revenue_beside_the_bookings():
    raw_acc = pd.read_csv(MAVEN / "accounts.csv")
    raw = pd.read_csv(MAVEN / "sales_pipeline.csv", parse_dates=["close_date"])
    q4 = raw[(raw["deal_stage"] == "Won") & raw["close_date"].between("2017-10-01", "2017-12-31")]
    # by hand from the files: revenue in millions, won close values in the quarter
    assert raw_acc["revenue"].sum() == pytest.approx(169_543.8)        # $169.5B
    assert q4["close_value"].sum() == 2_802_496                         # $2.8M
    ds = load_dataset(MAVEN, mapping="maven")
    note = said(N.scope_note(ds, "field", "2017-Q4"))
    assert "each account's annual revenue" in note and "not a sales target" in note
    assert "Together 85 accounts turn over $169.5B a year, against $2.8M of bookings in 2017-Q4." in note


# ---------------------------------------------------------------------------- band on the chart
def legend_texts(fig) -> list[str]:
    return [t.get_text() for t in fig.axes[0].get_legend().get_texts()]


def band_tops(fig) -> np.ndarray:
    bars = fig.axes[0].containers[0]                      # the band is drawn first
    return np.array([b.get_y() + b.get_height() for b in bars])


def test_the_chart_draws_and_labels_the_widened_band():
    ds = revenue_ds()
    rv = T.review(ds, "2026-Q3", tolerance=0.05, time_limit=5)
    # A0 holds $80M, the mean of 3 territories $40M: the band is widened to ±100%
    assert rv.widened and rv.asked == 0.05 and rv.tolerance == pytest.approx(1.0)
    fig = TM.balance_chart(rv)
    assert "target ±100%\n(±5% out of reach)" in legend_texts(fig)
    assert not any(t == "target ±5%" for t in legend_texts(fig))
    target = rv.changes.sort_values("potential_today", ascending=False)["target_potential"]
    assert band_tops(fig) == pytest.approx(2.0 * target.to_numpy())   # (1 + 100%) × target


def test_the_chart_keeps_the_band_asked_for_when_it_is_met():
    ds = revenue_ds((20.0, 20.0, 20.0, 20.0, 20.0, 20.0))
    rv = T.review(ds, "2026-Q3", tolerance=0.1, time_limit=5)
    assert not rv.widened and rv.tolerance == 0.1
    fig = TM.balance_chart(rv)
    assert "target ±10%" in legend_texts(fig)
    target = rv.changes["target_potential"].to_numpy()
    assert band_tops(fig) == pytest.approx(1.1 * target)


def test_the_notebook_draws_the_review_band_not_the_parameter():
    nb = json.loads((ROOT / "notebooks" / "territory_design.ipynb").read_text())
    code = ["".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "code"]
    assert "maps.balance_chart(rv)" in code
    assert not any("plot_balance" in c for c in code)


# ---------------------------------------------------------------------------- one unit for a band
def test_a_band_is_said_as_a_percentage_everywhere():
    rv = T.review(revenue_ds(), "2026-Q3", tolerance=0.05, time_limit=5)
    text = rv.decision.text
    assert "or a band of at least ±100%," in text and text.endswith("tightest band that allows, ±100%.")
    assert not re.search(r"tolerance of|\b\d\.\d\d\b", text), text


@pytest.mark.skipif(not MAVEN.exists(), reason="the Maven export is not in this checkout")
def test_maven_band_is_one_percentage_in_message_proposal_and_chart():
    ds = load_dataset(MAVEN, mapping="maven")
    rv = T.review(ds, "2017-Q4", tolerance=0.05, max_disruption=0.2, time_limit=3)
    assert rv.tolerance == pytest.approx(1.42)
    text = rv.decision.text
    assert "or a band of at least ±142%," in text and "tightest band that allows, ±142%." in text
    assert "1.41" not in text and "1.42" not in text and "tolerance of" not in text
    assert any("±142%" in t for t in legend_texts(TM.balance_chart(rv)))
    assert "±142%" in N.proposal_notes(rv)[0]


def test_band_pct_rounds_up_to_the_whole_percent_shown():
    from salesops_lib.territory.problem import band_pct

    assert band_pct(1.415) == 142 and band_pct(1.0) == 100 and band_pct(0.333) == 34
    assert band_pct(1.41 + 1e-15) == 141


def test_relaxation_messages_name_percentages():
    ds = revenue_ds((10.0, 10.0, 10.0), column="potential")
    ds = Dataset.from_frames(accounts=ds.accounts, reps=ds.reps.head(2),
                             opportunities=ds.opportunities)
    with pytest.raises(T.InfeasibleError) as err:
        T.optimize(ds, tolerance=0.05, method="exact")
    msg = str(err.value)
    assert re.search(r"±\d+%", msg) and not re.search(r"\b0\.\d\d\b", msg), msg
