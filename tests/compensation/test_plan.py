"""Plan loading and validation: every bad plan names its key."""

from __future__ import annotations

import pytest

from salesops_lib import compensation as comp

from .conftest import base_plan


def test_sample_plan_loads_from_package_data():
    plan = comp.load_plan("")
    assert comp.SAMPLE_PLAN.is_file() and plan.name == "AE 2026"
    assert [m.name for m in plan.measures] == ["bookings", "new_logos"]
    assert plan.draw_recoverable and plan.clawback_days == 90 and plan.cap == 2.0
    assert comp.load_plan(plan) is plan
    assert comp.load_plan(str(comp.SAMPLE_PLAN)).name == "AE 2026"


def test_yaml_and_dict_give_the_same_plan(tmp_path):
    import yaml

    path = tmp_path / "p.yaml"
    path.write_text(yaml.safe_dump(base_plan(cap=2.0)))
    a, b = comp.load_plan(path), comp.load_plan(base_plan(cap=2.0))
    assert a.band_labels() == b.band_labels() == ["0%–50% at 0x", "50%–100% at 1x",
                                                  "100%+ at 2x"]
    assert (a.rates == b.rates).all() and a.cap == b.cap


@pytest.mark.parametrize("change, key", [
    ({"cpa": 1}, "cpa is not a plan key"),
    ({"period": "week"}, "period must be month, quarter or year"),
    ({"target_incentive": -5}, "target_incentive must be > 0"),
    ({"target_incentive": "lots"}, "target_incentive must be a number"),
    ({"tiers": "stepped"}, "tiers must be marginal or retroactive"),
    ({"curve": [{"from": 0, "to": 0.5, "rate": 1}, {"from": 0.6, "to": None, "rate": 2}]},
     "curve\\[1\\].from is 0.6 but curve\\[0\\].to is 0.5"),
    ({"curve": [{"from": 0.1, "to": None, "rate": 1}]}, "curve\\[0\\].from must be 0"),
    ({"curve": [{"from": 0, "to": 1.0, "rate": 1}]}, "curve\\[0\\].to must be null"),
    ({"curve": [{"from": 0, "to": None, "rate": -1}]}, "curve\\[0\\].rate must be >= 0"),
    ({"curve": [{"from": 0, "to": None}]}, "curve\\[0\\].rate is required"),
    ({"cap": 0}, "cap must be > 0"),
    ({"cap": 1.0, "floor": 1.5}, "floor \\(1.5\\) is above cap"),
    ({"draw": {"amount": -1}}, "draw.amount must be >= 0"),
    ({"draw": {"amount": 1, "recoverable": "yes"}}, "draw.recoverable must be true or false"),
    ({"draw": {"amont": 1}}, "draw.amont is not a draw key"),
    ({"clawback": {"days": -3}}, "clawback.days must be a whole number"),
    ({"clawback": 90}, "clawback must be a mapping"),
    ({"measures": [{"name": "bookings", "weight": 0.5}]}, "measures weights add up to 0.5"),
    ({"measures": [{"name": "x", "kind": "product", "weight": 1}]},
     "measures\\[0\\].product is required"),
    ({"measures": [{"name": "new_logos", "weight": 1}]}, "measures\\[0\\].target or target_share"),
    ({"measures": [{"name": "margin", "weight": 1}]}, "measures\\[0\\].kind must be one of"),
    ({"measures": [{"name": "bookings", "weight": 1, "max_attainment": 0}]},
     "measures\\[0\\].max_attainment must be > 0"),
    ({"measure": "margin"}, "measure as a single measure must be bookings"),
    ({"spifs": [{"name": "s", "start": "2026-03-01", "end": "2026-02-01", "per_deal": 1}]},
     "spifs\\[0\\].end .* is before start"),
    ({"spifs": [{"name": "s", "start": "2026-03-01", "end": "2026-04-01"}]},
     "spifs\\[0\\].per_deal or rate must be given"),
    ({"spifs": [{"name": "s", "start": "soon", "end": "2026-04-01", "per_deal": 1}]},
     "spifs\\[0\\].start is not a date"),
    ({"gates": [{"measure": "logos", "min_attainment": 1, "above": 1}]},
     "gates\\[0\\].measure 'logos' is not one of the plan's measures"),
    ({"start": "2026-03"}, "start \\(2026-03\\) must be a quarter"),
    ({"versions": [{"effective_from": "2026-04-01", "changes": {"cap": -1}}]},
     "cap must be > 0 \\(a multiple of target incentive\\), got -1.0 \\(in versions\\[0\\]\\)"),
    ({"versions": [{"effective_from": "2026-04-01", "changes": {"period": "month"}}]},
     "versions\\[0\\].changes.period cannot change"),
])
def test_bad_plans_name_the_key(change, key):
    with pytest.raises(comp.PlanError, match=f"plan 'Golden': {key}"):
        comp.load_plan(base_plan(**change))


def test_missing_keys_and_bad_files(tmp_path):
    plan = base_plan()
    del plan["curve"]
    with pytest.raises(comp.PlanError, match="curve is required"):
        comp.load_plan(plan)
    with pytest.raises(comp.PlanError, match="does not exist"):
        comp.load_plan(tmp_path / "nope.yaml")
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: [unclosed\n")
    with pytest.raises(comp.PlanError, match="not valid YAML"):
        comp.load_plan(bad)
    with pytest.raises(comp.PlanError, match="must be a mapping"):
        comp.load_plan(["curve"])


def test_version_lookup_respects_effective_and_announced_dates():
    plan = comp.load_plan(base_plan(versions=[
        {"effective_from": "2026-04-01", "announced": "2026-05-15",
         "changes": {"target_incentive": 12000}}]))
    assert plan.version_for("2026-04-01", "2026-05-01")[0].target_incentive == 10000
    v, label = plan.version_for("2026-04-01", "2026-06-30")
    assert v.target_incentive == 12000 and label == "version of 2026-04-01"
    assert plan.version_for("2026-01-01", "2026-12-31")[0].target_incentive == 10000
