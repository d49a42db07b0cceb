"""Charts (Agg backend): titled, labelled, legends off the data; key numbers and tables render."""

from __future__ import annotations

from types import SimpleNamespace

import matplotlib
import numpy as np
import pandas as pd
import pytest

from salesops_lib import compensation as comp
from salesops_lib import viz

matplotlib.use("Agg")


@pytest.fixture(scope="module")
def small():
    from salesops_lib import load_dataset

    ds = load_dataset("sample:accounts=500,reps=10,years=2")
    return ds, comp.simulate(ds, "", "2025-Q3", draws=500, seed=0)


def _labels(fig):
    ax = fig.axes[0]
    return ax.get_title(loc="left"), ax.get_xlabel(), ax.get_ylabel()


def test_pay_curve_plot():
    fig = comp.plot_pay_curve(comp.pay_curve(""), target_incentive=20000)
    title, x, y = _labels(fig)
    assert title == "Pay curve" and "Attainment" in x and "($)" in y
    assert [t.get_text() for t in fig.axes[0].get_legend().get_texts()] == \
        ["Earnings", "Gate not met", "Paid, with the draw"]


def test_cost_plot(small):
    _, sim = small
    fig = comp.plot_cost(sim)
    title, x, y = _labels(fig)
    assert "cost" in title and "($)" in x and y == "Share of draws"
    assert len(fig.axes[0].get_legend().get_texts()) == 3


def test_quota_and_fairness_plots(small):
    ds, _ = small
    t = comp.compare_methods(ds, "2025-Q3")
    fig = comp.plot_quota_by_team(t)
    assert _labels(fig)[0] == "Quota by team and method"
    assert len(fig.axes[0].patches) == len(t) * len(comp.METHODS)
    fig = comp.plot_fairness(comp.attainment_table(ds, "2025-Q3"))
    assert "potential" in _labels(fig)[1]


def test_key_numbers_and_tables(small):
    ds, sim = small
    q = comp.allocate(ds, "2025-Q3", "blend")
    cap = comp.bottom_up(ds, "2025-Q3")
    fc = SimpleNamespace(value=float(q["quota"].sum()) * 0.9, lower=1.0, upper=2.0)
    cards = comp.key_numbers(q, cap, fc, sim)
    # 2025-Q3 is over: the cards lead with what happened
    assert [c[0] for c in cards] == ["Quota total", "Capacity", "Reps at quota",
                                     "Plan cost", "Cost of sales"]
    assert cards[0][2] == f"111% of the pipeline forecast ({viz.money(fc.value)})"
    fc.as_of = pd.Timestamp("2025-06-30")
    assert comp.key_numbers(q, cap, fc, sim)[0][2] == (
        f"111% of the pipeline forecast made 30 Jun 2025 ({viz.money(fc.value)})")
    assert "P10–P90" in cards[3][2]
    # capacity assumes no growth, and the card says so
    assert cards[1][2].endswith("of what these reps sell at last year's productivity")
    html = comp.sensitivity_table(comp.sensitivity(sim)).to_html()
    assert "P50 cost, 10% higher" in html and "Pay rate from 50% to 100% of quota" in html
    pay = comp.payouts(ds, "", "2025-Q3")
    assert "Top 10 payouts" in comp.payouts_table(pay).to_html()
    # a 3-row view still totals every rep's pay
    shown = comp.payouts_table(pay, n=3).data
    assert len(shown) == 4 and shown.iloc[-1]["rep_name"] == f"All {len(pay):,} reps"
    assert shown.iloc[-1]["payout"] == pytest.approx(pay["payout"].sum())
    # every measure's attainment is shown, so a row's pay can be read from it
    assert "attainment_new_logos" in pay.columns
    assert {"Attainment (bookings)", "Attainment (new logos)"} <= set(shown.columns)
    top = pay.sort_values("payout", ascending=False).iloc[0]
    assert shown.iloc[0]["Attainment (new logos)"] == pytest.approx(top["attainment_new_logos"])
    t = comp.compare_methods(ds, "2025-Q3")
    assert "Trailing 12 months" in comp.quota_table(t).to_html()
    # the quota in force per team sits beside the methods (the page never showed it)
    from salesops_lib.measures import quota_for_period

    held = quota_for_period(ds, "2025-Q3").merge(ds.reps[["rep_id", "team"]], on="rep_id")
    shown = comp.quota_table(t).data.set_index("team")
    assert shown.columns[0] == "In force"
    by_team = held.groupby("team")["quota"].sum()
    assert shown["In force"].drop("All teams").to_dict() == pytest.approx(by_team.to_dict())
    assert shown.at["All teams", "In force"] == pytest.approx(by_team.sum())
    assert comp.reading_methods(t, "blend").startswith("The chosen method is blend.")
    assert "simulated outcomes for 10 reps" in comp.reading_cost(sim)
    assert isinstance(comp.fairness_table(comp.fairness(ds, "2025-Q3")).to_html(), str)
    assert isinstance(pd.DataFrame(cards), pd.DataFrame)


def test_quota_table_totals_every_method_and_fairness_reads_in_percent():
    t = pd.DataFrame({"team": ["East", "West"], "even": [600.0, 400.0],
                      "blend": [700.0, 300.0]})
    shown = comp.quota_table(t).data
    assert shown.iloc[-1]["team"] == "All teams"
    assert shown.iloc[-1][["Even", "Blend"]].tolist() == [1000.0, 1000.0]
    fair = pd.DataFrame({"metric": ["attainment vs tenure", "gini of attainment",
                                    "share within ±20% of quota", "median attainment"],
                         "value": [0.25, 0.5, 0.04, 0.31], "low": [-0.1, np.nan, np.nan, 0.02],
                         "high": [0.5, np.nan, np.nan, 0.67], "reading": ["", "", "", ""]})
    fair.attrs["reps"] = 10
    cells = comp.fairness_table(fair).data.set_index("metric")
    assert cells.loc["Attainment vs tenure", ["value", "low"]].tolist() == ["0.25", "-0.10"]
    assert cells.loc["Gini of attainment", ["value", "low"]].tolist() == ["0.50", "–"]
    assert cells.loc["Share within ±20% of quota", "value"] == "4%"
    assert cells.loc["Median attainment", ["value", "low", "high"]].tolist() == ["31%", "2%", "67%"]
