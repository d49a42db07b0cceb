"""Golden, hand-computed payouts: tiers at band edges, cap, floor, draws, gates, measures, SPIFs."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from salesops_lib import compensation as comp

from .conftest import FLAT, base_plan, make_ds


def _pay(ds, plan, period="2026-Q1", **kw):
    return comp.payouts(ds, plan, period, **kw).set_index("rep_id")


def test_marginal_tiers_at_band_edges(golden_ds):
    p = _pay(golden_ds, base_plan())
    # R1 exactly 50%: the 0% band only -> 0; R2 exactly 100%: 0.5 at 1x -> 5,000;
    # R3 120%: 5,000 + 0.2 at 2x -> 9,000; R4 just under 50% -> 0
    assert p.loc["R1", "commission"] == pytest.approx(0.0)
    assert p.loc["R2", "commission"] == pytest.approx(5000.0)
    assert p.loc["R3", "commission"] == pytest.approx(9000.0)
    assert p.loc["R4", "commission"] == pytest.approx(0.0)
    assert p.loc["R3", "attainment"] == pytest.approx(1.2)
    assert (p["payout"] == p["commission"]).all()


def test_retroactive_tiers_at_band_edges(golden_ds):
    p = _pay(golden_ds, base_plan(tiers="retroactive"))
    # at an edge the band that starts there applies to all attainment
    assert p.loc["R1", "commission"] == pytest.approx(1.0 * 0.5 * 10000)    # 5,000
    assert p.loc["R2", "commission"] == pytest.approx(2.0 * 1.0 * 10000)    # 20,000
    assert p.loc["R3", "commission"] == pytest.approx(2.0 * 1.2 * 10000)    # 24,000
    assert p.loc["R4", "commission"] == pytest.approx(0.0)                  # 49.999%: 0x


def test_deal_lines_trace_each_band(golden_ds):
    r = comp.run(golden_ds, base_plan(), "2026-Q1")
    ln = r.lines[(r.lines["rep_id"] == "R3") & (r.lines["line"] == "commission")]
    got = {(o, t): a for o, t, a in zip(ln["opportunity_id"], ln["tier"], ln["amount"])}
    # D3 (70,000, first) covers 0-70%: 0 in 0-50%, 2,000 in 50-70%;
    # D4 (50,000) covers 70-120%: 3,000 at 1x to 100%, 4,000 at 2x above
    assert got == pytest.approx({("D3", "0%–50%"): 0.0, ("D3", "50%–100%"): 2000.0,
                                 ("D4", "50%–100%"): 3000.0, ("D4", "100%+"): 4000.0})
    credit = ln.groupby("opportunity_id")["credit"].sum()
    assert credit.to_dict() == pytest.approx({"D3": 70000.0, "D4": 50000.0})


def test_cap_and_floor(golden_ds):
    p = _pay(golden_ds, base_plan(tiers="retroactive", cap=1.5, floor=0.2))
    assert p.loc["R3", "cap_adjustment"] == pytest.approx(15000 - 24000)
    assert p.loc["R3", "earnings"] == pytest.approx(15000.0)
    assert p.loc["R4", "floor_adjustment"] == pytest.approx(2000.0)     # 0.2 x 10,000
    assert p.loc["R2", "earnings"] == pytest.approx(15000.0)            # 20,000 capped


def test_non_recoverable_draw(golden_ds):
    p = _pay(golden_ds, base_plan(draw={"amount": 3000, "recoverable": False}))
    assert p.loc["R1", "draw"] == pytest.approx(3000.0)
    assert p.loc["R1", "payout"] == pytest.approx(3000.0)
    assert p.loc["R2", "draw"] == pytest.approx(0.0)                    # earned 5,000 > draw
    assert p.loc["R2", "payout"] == pytest.approx(5000.0)
    assert (p["draw_balance"] == 0).all() and (p["draw_recovery"] == 0).all()


def test_recoverable_draw_paid_back_over_two_periods():
    deals = [("D1", "R1", 20000, "2026-02-01"), ("D2", "R1", 70000, "2026-05-01"),
             ("D3", "R1", 90000, "2026-08-01")]
    quotas = [("R1", f"2026-Q{q}", 100000) for q in (1, 2, 3)]
    ds = make_ds(deals, quotas)
    plan = base_plan(curve=FLAT, draw={"amount": 5000, "recoverable": True})
    h = comp.run(ds, plan, "2026-Q3").history.set_index("period")
    # Q1 earns 2,000: draw 3,000, paid 5,000, owes 3,000
    assert h.loc["2026-Q1", ["earnings", "draw", "payout", "draw_balance"]].tolist() == \
        pytest.approx([2000, 3000, 5000, 3000])
    # Q2 earns 7,000: 2,000 above the draw repays 2,000, paid 5,000, owes 1,000
    assert h.loc["2026-Q2", ["draw", "draw_recovery", "payout", "draw_balance"]].tolist() == \
        pytest.approx([0, -2000, 5000, 1000])
    # Q3 earns 9,000: repays the last 1,000, paid 8,000, owes nothing
    assert h.loc["2026-Q3", ["draw_recovery", "payout", "draw_balance"]].tolist() == \
        pytest.approx([-1000, 8000, 0])


def test_gate_blocks_the_accelerator():
    # R1 reaches 120% without a new logo (its account bought in 2025); R2 with one
    deals = [("D0", "R1", 1000, "2025-06-01", "won", "Core", "A1"),
             ("D1", "R1", 120000, "2026-02-01", "won", "Core", "A1"),
             ("D2", "R2", 120000, "2026-02-01", "won", "Core", "A2")]
    ds = make_ds(deals, [("R1", "2026-Q1", 100000), ("R2", "2026-Q1", 100000)])
    plan = base_plan(measures=[{"name": "bookings", "weight": 1.0},
                               {"name": "new_logos", "weight": 0.0, "target": 1}],
                     gates=[{"measure": "new_logos", "min_attainment": 1.0, "above": 1.0}])
    p = _pay(ds, plan)
    assert p.loc["R1", "attainment_new_logos"] == 0.0
    assert p.loc["R1", "commission"] == pytest.approx(5000 + 0.2 * 1.0 * 10000)   # 7,000
    assert p.loc["R2", "commission"] == pytest.approx(9000.0)


def test_gate_edge_inside_a_band_splits_it():
    ds = make_ds([("D1", "R1", 150000, "2026-02-01")], [("R1", "2026-Q1", 100000)])
    plan = base_plan(curve=[{"from": 0.0, "to": 1.0, "rate": 1.0},
                            {"from": 1.0, "to": None, "rate": 3.0}],
                     measures=[{"name": "bookings", "weight": 1.0},
                               {"name": "new_logos", "weight": 0.0, "target": 5}],
                     gates=[{"measure": "new_logos", "min_attainment": 0.5, "above": 1.2,
                             "rate": 0.5}])
    # 1 new logo of 5 fails the gate: 1.0 + 0.2 x 3 + 0.3 x 0.5 = 1.75
    assert _pay(ds, plan).loc["R1", "commission"] == pytest.approx(17500.0)


def test_weighted_measures_with_a_product():
    deals = [("D1", "R1", 90000, "2026-02-01", "won", "Core"),
             ("D2", "R1", 10000, "2026-02-05", "won", "Analytics")]
    ds = make_ds(deals, [("R1", "2026-Q1", 100000)])
    plan = base_plan(curve=FLAT, measures=[
        {"name": "bookings", "weight": 0.7},
        {"name": "analytics", "kind": "product", "product": "Analytics", "weight": 0.3,
         "target_share": 0.2}])
    p = _pay(ds, plan)
    # bookings 100% x 0.7 x 10,000 = 7,000; Analytics 10,000 of 20,000 = 50% x 0.3 -> 1,500
    assert p.loc["R1", "attainment_analytics"] == pytest.approx(0.5)
    assert p.loc["R1", "commission"] == pytest.approx(8500.0)


def test_spif_eligibility_window_product_and_minimum():
    deals = [("D1", "R1", 10000, "2026-02-10", "won", "Analytics"),   # eligible
             ("D2", "R1", 4000, "2026-02-12", "won", "Analytics"),    # below the minimum
             ("D3", "R1", 20000, "2026-02-15", "won", "Core"),        # other product
             ("D4", "R1", 10000, "2026-03-05", "won", "Analytics")]   # after the window
    ds = make_ds(deals, [("R1", "2026-Q1", 100000)])
    plan = base_plan(spifs=[{"name": "Feb push", "product": "Analytics", "start": "2026-02-01",
                             "end": "2026-02-28", "per_deal": 500, "rate": 0.01,
                             "min_amount": 5000}])
    r = comp.run(ds, plan, "2026-Q1")
    assert r.payouts.loc[0, "spif"] == pytest.approx(500 + 0.01 * 10000)
    spif_lines = r.lines[r.lines["line"] == "spif"]
    assert spif_lines["opportunity_id"].tolist() == ["D1"]


def test_lines_add_up_to_the_payout(golden_ds):
    plan = base_plan(cap=0.8, floor=0.1, draw={"amount": 3000, "recoverable": True})
    r = comp.run(golden_ds, plan, "2026-Q1")
    by_rep = r.lines.groupby("rep_id")["amount"].sum()
    assert by_rep.reindex(r.payouts["rep_id"]).fillna(0).to_numpy() == \
        pytest.approx(r.payouts["payout"].to_numpy())


def test_reps_without_quota_are_not_paid_and_period_kind_must_match(golden_ds):
    p = comp.payouts(golden_ds, base_plan(), "2026-Q1")
    assert set(p["rep_id"]) == {"R1", "R2", "R3", "R4"}
    with pytest.raises(comp.PlanError, match="pays per quarter"):
        comp.payouts(golden_ds, base_plan(), "2026-02")
    with pytest.raises(comp.PlanError, match="before the plan's start"):
        comp.payouts(golden_ds, base_plan(start="2026-Q2"), "2026-Q1")


def test_default_start_is_the_fiscal_year(golden_ds):
    plan = base_plan()
    del plan["start"]
    assert [p.label for p in comp.plan_periods(comp.load_plan(plan), "2026-Q3")] == \
        ["2026-Q1", "2026-Q2", "2026-Q3"]


# --- properties over random attainments ----------------------------------------------------
@pytest.mark.parametrize("tiers", ["marginal", "retroactive"])
def test_payout_is_monotone_and_capped(tiers):
    rng = np.random.default_rng(7)
    for _ in range(20):
        k = rng.integers(1, 5)
        cuts = np.sort(rng.uniform(0.1, 2.0, size=k - 1))
        edges = np.r_[0.0, cuts]
        rates = np.sort(rng.uniform(0, 3, size=k))      # non-decreasing curve
        curve = [{"from": float(a), "to": (float(b) if np.isfinite(b) else None),
                  "rate": float(r)} for a, b, r in zip(edges, np.r_[cuts, np.inf], rates)]
        cap = float(rng.uniform(0.5, 3.0))
        plan = comp.load_plan(base_plan(curve=curve, tiers=tiers, cap=cap))
        att = np.sort(rng.uniform(0, 3, size=200))
        targets = pd.DataFrame({"rep_id": [f"R{i}" for i in range(200)], "quota": 1000.0})
        credits = pd.DataFrame({"opportunity_id": [f"D{i}" for i in range(200)],
                                "account_id": "A", "rep_id": targets["rep_id"], "role": "primary",
                                "share": 1.0, "amount": att * 1000, "credit": att * 1000,
                                "close_date": pd.Timestamp("2026-02-01"), "product": "Core",
                                "new_logo": False})
        s, lines = comp.evaluate(credits, targets, plan)
        earned = s["earned"].to_numpy()
        assert np.all(np.diff(earned) >= -1e-9)
        assert earned.max() <= cap * 10000 + 1e-9
        # the engine, its deal lines and the simulation's pay function agree
        assert lines.groupby("rep_id")["amount"].sum().reindex(s["rep_id"]).fillna(0).sum() == \
            pytest.approx(earned.sum())
        assert comp.period_pay(att, plan) == pytest.approx(earned)


def test_component_cap_on_a_measure():
    deals = [(f"D{i}", "R1", 10000, "2026-02-01", "won", "Core", f"A{i}") for i in range(3)]
    ds = make_ds(deals, [("R1", "2026-Q1", 100000)])
    plan = base_plan(curve=FLAT, measures=[
        {"name": "bookings", "weight": 0.5},
        {"name": "new_logos", "weight": 0.5, "target": 1, "max_attainment": 1.5}])
    r = comp.run(ds, plan, "2026-Q1")
    p = r.payouts.iloc[0]
    # bookings 30% x 0.5; new logos 300% of target but paid on 150%: 1.5 x 0.5
    assert p["attainment_new_logos"] == pytest.approx(3.0)
    assert p["commission"] == pytest.approx(10000 * (0.5 * 0.3 + 0.5 * 1.5))
    logo = r.lines[r.lines["measure"] == "new_logos"]
    assert logo["amount"].sum() == pytest.approx(7500.0)
    assert logo["attainment_to"].max() == pytest.approx(1.5)
    assert comp.period_pay(np.array([3.0]), comp.load_plan(plan))[0] == pytest.approx(
        10000 * (0.5 * 3.0 + 0.5 * 1.5))


def test_a_report_period_of_another_kind_pays_the_plan_period_holding_it(golden_ds):
    """A monthly (or yearly) report on a quarterly plan: the page failed with "pays per
    quarter" on ``salesops report --period 2026-09``; it now pays the quarter holding the
    period's last day known, and says so."""
    import dataclasses

    plan = base_plan()
    assert comp.pay_period(golden_ds, plan, "2026-Q1").label == "2026-Q1"
    assert comp.pay_period(golden_ds, plan, "2026-02").label == "2026-Q1"
    assert comp.pay_period(golden_ds, plan, "2026").label == "2026-Q4"       # as of 2026-12-31
    mid = dataclasses.replace(golden_ds, as_of=pd.Timestamp("2026-08-10"))
    assert comp.pay_period(mid, plan, "2026").label == "2026-Q3"             # the year so far
    assert comp.pay_period_note(golden_ds, plan, "2026-Q1") is None
    note = comp.pay_period_note(golden_ds, plan, "2026-02")
    assert note == ("The plan pays per quarter: the pay statement, payouts and plan cost are for "
                    "2026-Q1, the quarter holding 2026-02's last day reported (28 Feb 2026); "
                    "quotas are for 2026-02.")
    pd.testing.assert_frame_equal(
        comp.payouts(golden_ds, plan, comp.pay_period(golden_ds, plan, "2026-02")),
        comp.payouts(golden_ds, plan, "2026-Q1"))


def test_a_monthly_report_pays_the_quarter_only_to_the_months_end(golden_ds):
    """The 2026-10 page (as of 31 Oct) showed 2026-Q4's payouts with deals won up to the
    data's as-of date in November, while its note said the quarter was paid to 31 Oct. The
    report's run reads the quarter as it stood on the report date: on the February page,
    R4's deal closed on 1 March is not credited yet; everything else is as for the quarter."""
    plan = base_plan()
    run = comp.report_run(golden_ds, plan, "2026-02")
    assert run.period.label == "2026-Q1"
    p = run.payouts.set_index("rep_id")
    assert p.loc["R4", "credited"] == pytest.approx(0.0)            # closed 1 Mar: not yet
    assert p.loc["R3", "credited"] == pytest.approx(120000.0)       # 10 Jan + 1 Feb
    assert p.loc["R2", "commission"] == pytest.approx(5000.0)       # 100% of the quarter's quota
    # a page on the whole quarter (or a date after it) pays it as before
    pd.testing.assert_frame_equal(comp.report_run(golden_ds, plan, "2026-Q1").payouts,
                                  comp.payouts(golden_ds, plan, "2026-Q1"))
    assert comp.run(golden_ds, plan, "2026-Q1", as_of="2026-01-31").payouts.set_index(
        "rep_id")["credited"].to_dict() == pytest.approx(
        {"R1": 50000.0, "R2": 0.0, "R3": 70000.0, "R4": 0.0})
