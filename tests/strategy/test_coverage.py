"""Coverage recommendation and what-if: hand-computed rates, reconciled totals, territory change."""

from __future__ import annotations

import numpy as np
import pytest

from salesops_lib import Dataset, strategy

from .conftest import YEARS_2026, tiny_frames, year_2026


def test_what_if_by_hand(tiny_ds):
    w = year_2026()
    a = strategy.assumptions(200_000, 110_000, 250, 1_500)
    plan = strategy.what_if(tiny_ds, w, a, segment="SMB").set_index("motion")
    Y = YEARS_2026
    assert plan.attrs["accounts_moved"] == 1 and plan.attrs["moved_ids"] == ["A1"]
    # field learns from A1 (a quarter of R1's minutes, $1,000 booked), inside from A2 (all of
    # R2's minutes, $400)
    assert plan.loc["field", "fte_change"] == pytest.approx(-0.25)
    assert plan.loc["inside", "fte_change"] == pytest.approx(1.0)
    assert plan.loc["field", "bookings_change"] == pytest.approx(-1000 / Y)
    assert plan.loc["inside", "bookings_change"] == pytest.approx(400 / Y)
    assert plan.loc["field", "cost_change"] == pytest.approx(-0.25 * 200_000)
    assert plan.loc["inside", "cost_change"] == pytest.approx(110_000)
    assert plan.loc["field", "bookings_before"] == pytest.approx(6000 / Y)   # A1 + A3
    assert plan.loc["field", "cost_before"] == pytest.approx(200_000 + 2 * 250 / Y)
    assert (plan.loc["field", "reps_needed"], plan.loc["inside", "reps_needed"]) == (1, 2)
    assert plan.loc["total", "bookings_change"] == pytest.approx(-600 / Y)


def test_what_if_totals_reconcile(small_ds):
    w = strategy.window(small_ds, "2025", 2, kind="year")
    plan = strategy.what_if(small_ds, w, segment="SMB", max_potential=50_000)
    m = plan[plan["motion"] != "total"]
    t = plan[plan["motion"] == "total"].iloc[0]
    for col in ("fte", "bookings", "cost"):
        assert np.allclose(plan[f"{col}_after"], plan[f"{col}_before"] + plan[f"{col}_change"])
        for part in ("before", "change", "after"):
            assert t[f"{col}_{part}"] == pytest.approx(m[f"{col}_{part}"].sum())
    assert (plan["reps_needed"].iloc[:2] == np.ceil(plan["fte_after"].iloc[:2] - 1e-9)).all()
    assert t["reps_needed"] == m["reps_needed"].sum()
    r = plan.attrs["rates"]
    n = plan.attrs["accounts_moved"]
    assert n > 0
    assert t["bookings_change"] == pytest.approx(n * (r["inside"]["bookings"] - r["field"]["bookings"]))
    assert plan.attrs["bookings_change_low"] < t["bookings_change"] < plan.attrs["bookings_change_high"]
    assert np.allclose(plan["contribution_after"], plan["bookings_after"] - plan["cost_after"])


def test_recommend_picks_the_higher_contribution_per_hour(small_ds):
    w = strategy.window(small_ds, "2025", 2, kind="year")
    rec = strategy.recommend(small_ds, w)
    k = len(rec)
    assert rec.attrs["level"] == pytest.approx(1 - 0.05 / k)       # Bonferroni over segments
    both = rec.dropna(subset=["field_per_hour", "inside_per_hour"])
    best = np.where(both["field_per_hour"] >= both["inside_per_hour"], "field", "inside")
    assert (both["recommended"] == best).all()
    assert (both["difference"] == (both["field_per_hour"] - both["inside_per_hour"]).abs()).all()
    assert (both["clear"] == (both["difference_low"] > 0)).all()
    assert rec["accounts"].sum() == len(small_ds.accounts)


def test_territory_change_on_the_new_field_set(small_ds):
    w = strategy.window(small_ds, "2025", 2, kind="year")
    plan = strategy.what_if(small_ds, w, segment="SMB")
    tc = strategy.territory_change(small_ds, plan, time_limit=3)
    s = tc.summary
    need = int(plan.set_index("motion").loc["field", "reps_needed"])
    field = small_ds.accounts["owner_rep_id"].isin(
        small_ds.reps.loc[small_ds.reps["role"] == "field", "rep_id"])
    assert s["reps_after"] == min(need, s["reps_before"])
    assert s["accounts_before"] == field.sum()
    assert s["accounts_after"] == s["accounts_before"] - plan.attrs["accounts_moved"]
    assert len(tc.assignment) == s["accounts_after"]
    assert not set(tc.assignment["account_id"]) & set(plan.attrs["moved_ids"])
    assert tc.territories["accounts"].sum() == s["accounts_after"]


def test_what_if_errors_and_missing(tiny_ds, bare_ds):
    w = year_2026()
    # no segment and no threshold: every field account moves (the notebook's parameters say
    # "empty for every segment", "0 for no limit"; the page failed instead)
    every = strategy.what_if(tiny_ds, w)
    field = strategy.moved_accounts(tiny_ds)
    assert every.attrs["accounts_moved"] == int(field.sum()) > 0
    assert every.attrs["moved_ids"] == tiny_ds.accounts.loc[field, "account_id"].tolist()
    assert every.attrs["group"] == "accounts"
    change = strategy.territory_change(tiny_ds, every)      # no field account is left
    assert change.summary["accounts_after"] == 0 and strategy.territory_table(change) is None
    assert strategy.reading_territory(change).endswith("no field territory is left to re-align.")
    with pytest.raises(ValueError, match="'Galactic', a segment no account has"):
        strategy.what_if(tiny_ds, w, segment="Galactic")
    bw = year_2026()
    plan = strategy.what_if(bare_ds, bw, segment="SMB")
    assert plan.empty and "role" in plan.attrs["missing"]
    assert strategy.territory_change(bare_ds, plan) is None
    assert "role" in strategy.recommend(bare_ds, bw).attrs["missing"]


def test_auto_segment_is_the_field_segment_of_smallest_median_potential(tiny_ds):
    # field (R1) covers A1 (SMB, 1,000) and A3 (Enterprise, 9,000): SMB's median is smaller
    assert strategy.smallest_segment(tiny_ds) == "SMB"
    w = year_2026()
    auto = strategy.what_if(tiny_ds, w, segment="auto")
    named = strategy.what_if(tiny_ds, w, segment="SMB")
    assert auto.attrs["moved_ids"] == named.attrs["moved_ids"] == ["A1"]
    assert auto.attrs["group"] == "SMB accounts"
    # a CRM that names its segments its own way still gets the section
    f = tiny_frames()
    f["accounts"]["segment"] = ["Small & <b>growing</b> 🚀", "Small & <b>growing</b> 🚀",
                                "Enterprise $"]
    ds = Dataset.from_frames(**f, as_of="2026-12-31")
    plan = strategy.what_if(ds, w, segment="auto")
    assert plan.attrs["group"] == "Small & <b>growing</b> 🚀 accounts"
    assert plan.attrs["moved_ids"] == ["A1"]
    # no segments at all: the section says what it needs, it does not move every account
    f["accounts"] = f["accounts"].drop(columns="segment")
    plain = Dataset.from_frames(**f, as_of="2026-12-31")
    none = strategy.what_if(plain, w, segment="auto")
    assert none.empty and "segment" in none.attrs["missing"]


def test_unknown_segment_names_the_parameter_and_lists_the_segments(tiny_ds):
    w = year_2026()
    with pytest.raises(ValueError) as err:
        strategy.what_if(tiny_ds, w, segment="Galactic")
    assert str(err.value) == ("The parameter what_if_segment is 'Galactic', a segment no "
                              "account has; the segments are Enterprise, SMB")
