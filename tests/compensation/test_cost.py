"""Plan cost: the pay curve by hand, the seeded Monte Carlo, and the sensitivity table."""

from __future__ import annotations

import dataclasses
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from salesops_lib import compensation as comp
from salesops_lib import viz

from .conftest import base_plan

PERIOD = "2025-Q3"


@pytest.fixture(scope="module")
def small_ds():
    from salesops_lib import load_dataset

    return load_dataset("sample:accounts=500,reps=10,years=2")


def test_pay_curve_of_the_sample_plan_by_hand():
    c = comp.pay_curve("", points=11, max_attainment=2.5).set_index("attainment")
    # 125%: bookings (0.8) and new logos (0.2) both at 0.25·0.5 + 0.5·1.5 + 0.25·2 = 1.5
    assert c.loc[1.25, "earnings"] == pytest.approx(20000 * 1.5)
    # gate failed: bookings above 100% at 1x: 0.8·(0.25 + 0.75 + 0.25) + 0.2·1.5 = 1.3
    assert c.loc[1.25, "earnings_gate_failed"] == pytest.approx(20000 * 1.3)
    assert c.loc[2.5, "earnings"] == pytest.approx(40000.0)            # cap 2x
    assert c.loc[0.0, "payout"] == pytest.approx(4000.0)               # the draw
    assert c.loc[1.0, "effective_rate"] == pytest.approx(1.0)


def test_period_pay_retroactive_and_floor():
    plan = comp.load_plan(base_plan(tiers="retroactive", floor=0.1))
    got = comp.period_pay(np.array([0.0, 0.49, 0.5, 1.0, 1.2]), plan)
    assert got == pytest.approx([1000, 1000, 5000, 20000, 24000])


def test_attainment_model_shrinks_to_the_team():
    hist = pd.DataFrame({"rep_id": ["R1"] * 4 + ["R2"] * 4, "period": list("abcd") * 2,
                         "quota": 100.0, "bookings": [200.0] * 4 + [50.0, 60.0, 40.0, 50.0]})
    hist["attainment"] = hist["bookings"] / hist["quota"]
    quotas = pd.DataFrame({"rep_id": ["R1", "R2", "R3"], "quota": [100.0, 100.0, 100.0]})
    m = comp.cost.attainment_model(hist, quotas)
    mean = m["reps"].set_index("rep_id")["mean_log"]
    team = np.log(hist["attainment"]).mean()
    assert mean["R3"] == pytest.approx(team)                   # no history: the team
    own = np.log(hist["attainment"]).groupby(hist["rep_id"]).mean()
    assert own["R2"] < mean["R2"] < team < mean["R1"] < own["R1"]   # pulled towards the team


def test_simulation_is_seeded(small_ds):
    a = comp.simulate(small_ds, "", PERIOD, draws=2000, seed=3)
    b = comp.simulate(small_ds, "", PERIOD, draws=2000, seed=3)
    c = comp.simulate(small_ds, "", PERIOD, draws=2000, seed=4)
    assert a.summary == b.summary
    assert a.summary["cost_p50"] != c.summary["cost_p50"]
    s = a.summary
    assert s["cost_p10"] < s["cost_p50"] < s["cost_p90"]
    assert s["reps"] == len(a.reps) and len(a.draws) == 2000
    assert a.draws["cost_of_sales"].to_numpy() == pytest.approx(
        (a.draws["cost"] / a.draws["bookings"]).to_numpy())
    # each draw's cost is at least the draw paid to every rep
    assert (a.draws["cost"] >= 4000 * s["reps"] - 1e-6).all()


def test_forecast_sets_expected_bookings(small_ds):
    fc = SimpleNamespace(value=3_000_000.0, lower=2_500_000.0, upper=3_500_000.0)
    sim = comp.simulate(small_ds, "", PERIOD, draws=4000, seed=1, forecast=fc)
    assert sim.draws["bookings"].mean() == pytest.approx(3_000_000, rel=0.03)
    assert sim.model["common_sd"] == pytest.approx(np.log(3.5 / 2.5) / (2 * 1.2815515655446004))


def test_sensitivity_on_the_same_draws(small_ds):
    plan = dataclasses.replace(comp.load_plan(""), draw_amount=0.0)
    sim = comp.simulate(small_ds, plan, PERIOD, draws=2000, seed=2)
    sens = comp.sensitivity(sim).set_index("parameter")
    base = sim.summary["cost_p50"]
    # every pay is proportional to target incentive (cap and floor are multiples of it)
    assert sens.loc["target incentive", "p50_high"] == pytest.approx(1.1 * base)
    assert sens.loc["target incentive", "change_low"] == pytest.approx(-0.1 * base)
    assert sens.loc["cap (x target incentive)", "change_low"] <= 0
    assert "rate of band 100%+ at 2x" in sens.index
    assert "band edge at 50% attainment" in sens.index
    assert "draw" not in sens.index
    # in plain words on the page: a rate of 2 (× target incentive per unit of attainment) pays
    # 2% of the target incentive per point of attainment
    words = sens[["label", "shown"]].apply(tuple, axis=1)
    assert words["rate of band 100%+ at 2x"] == ("Pay rate above 100% of quota",
                                                 "2% of target incentive per point")
    assert words["rate of band 50%–100% at 1.5x"][0] == "Pay rate from 50% to 100% of quota"
    # each band edge named by its own band (two rows both read "Where the next pay rate
    # starts")
    assert words["band edge at 50% attainment"] == ("Start of the pay rate from 50% to 100%",
                                                    "50% of quota")
    assert words["band edge at 100% attainment"][0] == "Start of the pay rate from 100% up"
    assert words.map(lambda w: w[0]).is_unique
    ti = comp.load_plan("").target_incentive
    assert words["target incentive"][1] == viz.money(ti)
    assert words["cap (x target incentive)"] == ("Cap on pay",
                                                 f"2× the {viz.money(ti)} target incentive")


def test_planning_date(small_ds):
    assert comp.planning_date(small_ds, PERIOD) == pd.Timestamp("2025-06-30")
    assert comp.planning_date(small_ds, "2026-Q1") == small_ds.as_of


def test_proposed_quotas_keep_each_reps_expected_bookings():
    hist = pd.DataFrame({"rep_id": ["R1", "R1", "R2", "R2"], "period": ["a", "b"] * 2,
                         "quota": 100.0, "bookings": [150.0, 150.0, 50.0, 50.0]})
    hist["attainment"] = hist["bookings"] / hist["quota"]
    current = pd.DataFrame({"rep_id": ["R1", "R2"], "quota": [100.0, 100.0]})
    proposed = pd.DataFrame({"rep_id": ["R1", "R2"], "quota": [150.0, 50.0]})
    a = comp.cost.attainment_model(hist, current)["reps"].set_index("rep_id")["mean_log"]
    b = comp.cost.attainment_model(hist, proposed, basis=current)["reps"].set_index(
        "rep_id")["mean_log"]
    # same bookings, against a quota 1.5x (R1) and 0.5x (R2) as large
    assert (b - a).to_dict() == pytest.approx({"R1": np.log(100 / 150), "R2": np.log(100 / 50)})


def test_cost_backtest_replays_complete_periods(small_ds):
    bt = comp.cost_backtest(small_ds, "", "2025-Q4", periods_back=3, draws=1000)
    assert bt["period"].tolist() == ["2025-Q1", "2025-Q2", "2025-Q3"]
    assert (bt["low"] <= bt["p50"]).all() and (bt["p50"] <= bt["high"]).all()
    assert bt["inside"].tolist() == ((bt["low"] <= bt["actual"])
                                     & (bt["actual"] <= bt["high"])).tolist()
    # the actual cost is the pay function on what reps attained
    t = comp.attainment_table(small_ds, "2025-Q3")
    want = comp.period_pay(t["attainment"].to_numpy(), comp.load_plan("")).sum()
    assert bt.iloc[-1]["actual"] == pytest.approx(want)
    assert "held the cost of what reps actually attained" in comp.reading_cost_backtest(bt)
    assert "no complete past period" in comp.reading_cost_backtest(bt.iloc[0:0])


def test_period_pay_with_a_gate_that_makes_pay_jump():
    plan = comp.load_plan(base_plan(
        measures=[{"name": "bookings", "weight": 1.0},
                  {"name": "new_logos", "weight": 0.0, "target": 1}],
        gates=[{"measure": "new_logos", "min_attainment": 1.2, "above": 1.0, "rate": 1.0}]))
    # every measure at the same attainment: the gate fails below 120%, so 110% pays 1x above
    # quota (0.5 + 0.1) and 130% pays 2x (0.5 + 0.6)
    got = comp.period_pay(np.array([0.9, 1.1, 1.3]), plan)
    assert got == pytest.approx([4000, 6000, 11000])


def test_plan_cost_of_a_month_is_the_quarter_the_plan_pays(small_ds):
    """A month on the quarterly sample plan: the quarter's cost, against the quarter's quotas
    (a month's quotas against a quarter's pay read cost of sales three times too high)."""
    month = comp.plan_cost(small_ds, "", "2025-08", seed=3)
    quarter = comp.plan_cost(small_ds, "", "2025-Q3", seed=3)
    assert month.summary["period"] == quarter.summary["period"] == "2025-Q3"
    assert month.summary == quarter.summary
    # the report's own forecast and quotas are of the month: not applied to the quarter
    fc = SimpleNamespace(value=1.0, lower=0.5, upper=2.0, period="2025-08")
    assert comp.plan_cost(small_ds, "", "2025-08", seed=3, quotas=pd.DataFrame(
        {"rep_id": ["x"], "period": ["2025-08"], "quota": [1.0]})).summary == month.summary
    # with a forecast and a quota method, the quarter is costed as its own page costs it:
    # its proposed quotas and its pipeline forecast on its planning date (the 2026-10 and
    # 2026 pages read a P50 $70k above the 2026-Q4 page's for the same quarter)
    from salesops_lib.forecast import pipeline_forecast
    q_fc = pipeline_forecast(small_ds, "2025-Q3", as_of=comp.planning_date(small_ds, "2025-Q3"))
    q_page = comp.plan_cost(small_ds, "", "2025-Q3", seed=3, forecast=q_fc,
                            quotas=comp.proposed_quotas(small_ds, "2025-Q3", "even"))
    m_page = comp.plan_cost(small_ds, "", "2025-08", seed=3, forecast=fc,
                            quotas=comp.proposed_quotas(small_ds, "2025-08", "even"),
                            quota_method="even")
    assert m_page.summary == q_page.summary != month.summary
    cards = comp.key_numbers(comp.proposed_quotas(small_ds, "2025-08", "even"),
                             pd.DataFrame({"capacity": [1.0]}), fc, month)
    assert [c[0] for c in cards][2:] == ["Reps at quota · 2025-Q3",
                                         "Plan cost · 2025-Q3", "Cost of sales · 2025-Q3"]


def test_a_period_that_is_over_shows_what_the_plan_actually_cost(small_ds):
    """A closed quarter's cards showed only the simulation made before it ("Reps expected at
    quota 25%", a P50) though its payouts were known: they now lead with the actual."""
    from salesops_lib.compensation.quotas import won_bookings
    from salesops_lib.measures import quota_for_period

    sim = comp.plan_cost(small_ds, "", "2025-Q3", seed=3)
    q = quota_for_period(small_ds, "2025-Q3")
    P = comp.pay_period(small_ds, "", "2025-Q3")
    att = (q["rep_id"].astype(str).map(won_bookings(small_ds, P.start, P.end, P.end)).fillna(0.0)
           / q["quota"]).to_numpy()
    # the actual cost is what the pay engine paid (the payouts table's earnings), every
    # measure and SPIF included: the card read $656.0k beside a table totalling $764.2k
    paid = comp.payouts(small_ds, "", P)
    paid = paid[paid["rep_id"].astype(str).isin(q["rep_id"].astype(str))]
    assert sim.summary["actual_cost"] == pytest.approx(float(paid["earnings"].sum()))
    plan = comp.load_plan("")
    assert sim.summary["actual_cost"] != pytest.approx(float(comp.period_pay(att, plan).sum()))
    assert sim.summary["actual_share_at_quota"] == pytest.approx(float((att >= 1).mean()))
    cards = {c[0]: c[2] for c in comp.key_numbers(
        comp.proposed_quotas(small_ds, "2025-Q3", "even"), pd.DataFrame({"capacity": [1.0]}),
        None, sim)}
    # the cards lead with what happened and give the simulation made before it beneath
    assert cards["Plan cost"].startswith(f"P50 {viz.money(sim.summary['cost_p50'])} expected")
    shown = {c[0]: c[1] for c in comp.key_numbers(
        comp.proposed_quotas(small_ds, "2025-Q3", "even"), pd.DataFrame({"capacity": [1.0]}),
        None, sim)}
    assert shown["Plan cost"] == viz.money(sim.summary["actual_cost"])
    assert shown["Reps at quota"] == viz.pct(sim.summary["actual_share_at_quota"])
    sold = float((att * q["quota"].to_numpy()).sum())
    assert sim.summary["actual_bookings"] == pytest.approx(sold)
    assert shown["Cost of sales"] == viz.pct(sim.summary["actual_cost"] / sold, 1)
    # a period still running has no actual
    open_q = comp.pay_period(small_ds, "", small_ds.as_of.strftime("%Y-%m"))
    assert "actual_cost" not in comp.plan_cost(small_ds, "", open_q.label, seed=3).summary
