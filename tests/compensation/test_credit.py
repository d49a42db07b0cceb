"""Credit splits and overlays, the double-credit guard, clawbacks and retroactive deltas."""

from __future__ import annotations

import pandas as pd
import pytest

from salesops_lib import compensation as comp
from salesops_lib.periods import Period

from .conftest import FLAT, base_plan, make_ds


@pytest.fixture
def split_ds():
    deals = [("D1", "R1", 100000, "2026-02-01"), ("D2", "R2", 50000, "2026-02-10")]
    reps = [("R1", "East", "field", "2020-01-01"), ("R2", "East", "field", "2020-01-01"),
            ("R3", "Overlay", "specialist", "2020-01-01")]
    quotas = [(r, "2026-Q1", 100000) for r in ("R1", "R2", "R3")]
    return make_ds(deals, quotas, reps=reps)


SPLITS = pd.DataFrame({"opportunity_id": ["D1", "D1", "D1"], "rep_id": ["R1", "R2", "R3"],
                       "share": [0.6, 0.4, 0.5], "role": ["split", "split", "overlay"]})


def test_split_credits_each_rep_and_rollup_does_not_double_count(split_ds):
    c = comp.credited(split_ds, Period.parse("2026-Q1"), SPLITS)
    got = c.groupby("rep_id")["credit"].sum().to_dict()
    # D1: R1 60,000 + R2 40,000 split, R3 50,000 overlay; D2 stays R2's
    assert got == pytest.approx({"R1": 60000.0, "R2": 90000.0, "R3": 50000.0})
    roles = dict(zip(zip(c["opportunity_id"], c["rep_id"]), c["role"]))
    assert roles[("D1", "R1")] == "primary" and roles[("D1", "R3")] == "overlay"
    team = comp.rollup(c, split_ds, by="team").set_index("team")
    assert team.loc["East", "credit"] == pytest.approx(150000.0)     # the deals' amounts
    assert "Overlay" not in team.index                              # overlay never rolled up
    p = comp.payouts(split_ds, base_plan(curve=FLAT), "2026-Q1", splits=SPLITS).set_index("rep_id")
    assert p["attainment"].to_dict() == pytest.approx({"R1": 0.6, "R2": 0.9, "R3": 0.5})


@pytest.mark.parametrize("shares, match", [
    ([0.7, 0.5], "more than 100% \\(double credit\\)"),
    ([0.5, 0.3], "less than 100% \\(credit lost\\)"),
])
def test_split_shares_must_add_to_one(split_ds, shares, match):
    bad = pd.DataFrame({"opportunity_id": ["D1", "D1"], "rep_id": ["R1", "R2"], "share": shares})
    with pytest.raises(ValueError, match=match) as err:
        comp.credited(split_ds, Period.parse("2026-Q1"), bad)
    assert "splits table, column share" in str(err.value) and "D1" in str(err.value)


def test_guard_rejects_a_rep_twice_on_a_deal_and_bad_rows(split_ds):
    twice = pd.DataFrame({"opportunity_id": ["D1", "D1"], "rep_id": ["R2", "R2"],
                          "share": [0.5, 0.5]})
    with pytest.raises(ValueError, match="more than once on a deal"):
        comp.check_splits(twice)
    owner_overlay = pd.DataFrame({"opportunity_id": ["D1"], "rep_id": ["R1"], "share": [0.3],
                                  "role": ["overlay"]})
    with pytest.raises(ValueError, match="owner is also listed as its overlay"):
        comp.credited(split_ds, Period.parse("2026-Q1"), owner_overlay)
    with pytest.raises(ValueError, match="lacks column"):
        comp.check_splits(pd.DataFrame({"opportunity_id": ["D1"], "rep_id": ["R1"]}))
    with pytest.raises(ValueError, match="column role"):
        comp.check_splits(pd.DataFrame({"opportunity_id": ["D1"], "rep_id": ["R1"],
                                        "share": [1.0], "role": ["boss"]}))
    with pytest.raises(ValueError, match="rep not among the reps"):
        comp.credited(split_ds, Period.parse("2026-Q1"),
                      pd.DataFrame({"opportunity_id": ["D1"], "rep_id": ["R9"], "share": [1.0]}))
    with pytest.raises(ValueError, match="deal not among the opportunities"):
        comp.credited(split_ds, Period.parse("2026-Q1"),
                      pd.DataFrame({"opportunity_id": ["D9"], "rep_id": ["R1"], "share": [1.0]}))


# --- clawbacks ------------------------------------------------------------------------------
@pytest.fixture
def claw_ds():
    # Q1: R1 wins D1 40,000 on 15 Feb, lost on 20 Apr (64 days: inside a 90-day window);
    #     R2 wins D2 30,000 on 5 Jan, lost on 1 May (116 days: outside)
    deals = [("D1", "R1", 40000, "2026-02-15"), ("D2", "R2", 30000, "2026-01-05"),
             ("D3", "R1", 10000, "2026-05-02")]
    quotas = [(r, q, 100000) for r in ("R1", "R2") for q in ("2026-Q1", "2026-Q2")]
    history = [("D1", "2026-04-20", "lost", 40000), ("D2", "2026-05-01", "lost", 30000)]
    return make_ds(deals, quotas, history=history)


def test_clawback_inside_and_outside_its_window(claw_ds):
    r = comp.run(claw_ds, base_plan(curve=FLAT, clawback={"days": 90}), "2026-Q2")
    h = r.history.set_index(["period", "rep_id"])
    # Q1 was paid as known then and is not rewritten
    assert h.loc[("2026-Q1", "R1"), "payout"] == pytest.approx(4000.0)
    assert h.loc[("2026-Q1", "R2"), "payout"] == pytest.approx(3000.0)
    # Q2: R1 earns 1,000 on D3 and gives back the 4,000 paid on D1; R2 keeps its 3,000
    assert h.loc[("2026-Q2", "R1"), "clawback"] == pytest.approx(-4000.0)
    assert h.loc[("2026-Q2", "R1"), "payout"] == pytest.approx(1000 - 4000)
    assert h.loc[("2026-Q2", "R2"), "clawback"] == pytest.approx(0.0)
    claw = r.lines[r.lines["line"] == "clawback"].set_index("opportunity_id")
    assert claw.loc["D1", "amount"] == pytest.approx(-4000.0)
    assert claw.loc["D1", "source_period"] == "2026-Q1"
    assert "64 days after close" in claw.loc["D1", "rule"]
    assert claw.loc["D2", "amount"] == 0.0 and "outside the 90-day window" in claw.loc["D2", "rule"]


def test_no_clawback_without_the_rule_or_when_capped(claw_ds):
    h = comp.run(claw_ds, base_plan(curve=FLAT), "2026-Q2").history
    assert (h["clawback"] == 0).all()
    # with a cap at 0.3x the Q1 4,000 was capped to 3,000; losing D1 leaves 0 -> clawback 3,000
    h = comp.run(claw_ds, base_plan(curve=FLAT, cap=0.3, clawback={"days": 90}),
                 "2026-Q2").history.set_index(["period", "rep_id"])
    assert h.loc[("2026-Q2", "R1"), "clawback"] == pytest.approx(-3000.0)


def test_reversals_read_the_history(claw_ds):
    c = comp.credited(claw_ds, Period.parse("2026-Q1"))
    rev = comp.reversals(claw_ds, c, "2026-03-31", "2026-06-30").set_index("opportunity_id")
    assert rev.loc["D1", "days_after_close"] == 64 and rev.loc["D1", "new_amount"] == 0.0
    assert rev.loc["D2", "days_after_close"] == 116
    assert comp.reversals(claw_ds, c, "2026-03-31", "2026-04-19").empty


def test_partial_reversal_claws_back_the_cut_only():
    ds = make_ds([("D1", "R1", 40000, "2026-02-15")], [("R1", "2026-Q1", 100000),
                                                       ("R1", "2026-Q2", 100000)],
                 history=[("D1", "2026-04-10", "won", 25000)])
    h = comp.run(ds, base_plan(curve=FLAT, clawback={"days": 90}), "2026-Q2").history
    assert h.set_index("period").loc["2026-Q2", "clawback"] == pytest.approx(-1500.0)


# --- effective-dated plan versions ----------------------------------------------------------
def test_retroactive_plan_change_emits_delta_lines():
    deals = [("D1", "R1", 50000, "2026-02-01"), ("D2", "R1", 30000, "2026-05-01")]
    ds = make_ds(deals, [("R1", q, 100000) for q in ("2026-Q1", "2026-Q2", "2026-Q3")])
    plan = base_plan(curve=FLAT, versions=[{
        "effective_from": "2026-01-01", "announced": "2026-05-10", "note": "rate 1.2 for 2026",
        "changes": {"curve": [{"from": 0.0, "to": None, "rate": 1.2}]}}])
    r = comp.run(ds, plan, "2026-Q3")
    h = r.history.set_index("period")
    assert h.loc["2026-Q1", "payout"] == pytest.approx(5000.0)     # paid under the old rate
    assert h.loc["2026-Q1", "plan_version"] == "base"
    assert h.loc["2026-Q2", "commission"] == pytest.approx(3600.0)  # 1.2 x 30%
    assert h.loc["2026-Q2", "delta"] == pytest.approx(1000.0)       # (1.2 - 1.0) x 50% of Q1
    assert h.loc["2026-Q3", "delta"] == pytest.approx(0.0)          # emitted once
    d = r.lines[r.lines["line"] == "delta"]
    assert len(d) == 1 and d.iloc[0]["source_period"] == "2026-Q1"
    assert d.iloc[0]["period"] == "2026-Q2" and d.iloc[0]["amount"] == pytest.approx(1000.0)
    assert "rate 1.2 for 2026" in d.iloc[0]["rule"]
