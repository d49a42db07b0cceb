"""Every sentence the territory page can say, one test per branch, on hand-made summaries."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from salesops_lib.territory import alignment as T
from salesops_lib.territory.optimize import Solution


def summary(**kw) -> pd.Series:
    base = {"territories": 5, "accounts": 100, "max_deviation": 0.048, "balance_max_over_min": 1.1,
            "disruption_accounts": 0.11, "disruption_potential": 0.14, "accounts_moved": 11,
            "travel_km": 180.0, "capacity_scaled": 0.0, "share_within_10pct": 1.0}
    base.update(kw)
    return pd.Series(base, dtype="float64")


TODAY = summary(balance_max_over_min=2.3, travel_km=420.0, max_deviation=0.6,
                disruption_accounts=0.0, disruption_potential=0.0)


def solution(**kw):
    base = {"assignment": pd.DataFrame({"account_id": [], "rep_id": []}), "status": "feasible",
            "method": "lp+local", "objective": 110.0, "bound": 100.0, "gap": 0.0909,
            "bound_valid": True, "seconds": 2.34}
    base.update(kw)
    return Solution(**base)


def risk(rows) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["rep_id", "rep_name", "share_lost", "bookings_at_risk",
                                       "pipeline_at_risk"])


# ---------------------------------------------------------------------------- verdict
def test_verdict_met_against_the_mean():
    assert T.verdict(TODAY, summary(), 0.05) == (
        "Today the largest territory holds 2.3× the potential of the smallest; the proposal brings "
        "every territory within ±5% of the mean while moving 11% of accounts (14% of potential), "
        "and cuts potential-weighted travel from 420 km to 180 km.")


def test_verdict_met_against_capacity_scaled_targets():
    before = summary(balance_max_over_min=42.3, travel_km=157.0, capacity_scaled=1.0)
    after = summary(max_deviation=0.0499, travel_km=337.0, capacity_scaled=1.0,
                    disruption_accounts=0.2, disruption_potential=0.41)
    assert T.verdict(before, after, 0.05) == (
        "Today the largest territory holds 42.3× the potential per FTE of the smallest; the proposal "
        "brings every territory within ±5% of its target (scaled to each rep's capacity) while moving "
        "20% of accounts (41% of potential), and raises potential-weighted travel from 157 km to 337 km.")


def test_verdict_band_not_reached_and_workload():
    text = T.verdict(TODAY, summary(workload_max_deviation=0.081, max_deviation=0.02), 0.05,
                     balance_on=["potential", "workload"])
    assert "narrows the spread of potential and workload to ±8.1% of the mean (target ±5% not reached)" in text


def test_verdict_without_balance_figures_or_travel():
    text = T.verdict(summary(balance_max_over_min=np.nan, territories=1),
                     summary(max_deviation=np.nan, travel_km=np.nan), 0.05)
    assert text == ("Today there is a single territory; the proposal changes the alignment by moving "
                    "11% of accounts (14% of potential).")
    assert T.verdict(summary(balance_max_over_min=np.inf * 0), summary(), 0.05).startswith(
        "Today at least one territory has no potential at all")


# ---------------------------------------------------------------------------- travel
@pytest.mark.parametrize("after_km, expected", [
    (150.0, "Travel falls: potential-weighted distance from home drops from 200 km to 150 km."),
    (205.0, "Travel stays about the same (200 km today, 205 km proposed)."),
    (260.0, "Travel rises from 200 km to 260 km (+30%), the price of evening out the territories."),
    (440.0, ("Travel rises sharply, 2.2× today's: from 200 km to 440 km of potential-weighted "
             "distance. Evening out the territories sends reps further from home; check that the "
             "longer trips are acceptable, or loosen the balance band.")),
    (np.nan, "Travel cannot be compared: some reps or accounts have no coordinates."),
])
def test_travel_note(after_km, expected):
    assert T.travel_note(summary(travel_km=200.0), summary(travel_km=after_km)) == expected


# ---------------------------------------------------------------------------- disruption
def test_disruption_note():
    assert T.disruption_note(summary(disruption_accounts=0.0)) == "No account changes owner."
    assert T.disruption_note(summary(disruption_accounts=0.2, disruption_potential=0.41,
                                     accounts_moved=566)) == (
        "20% of accounts (566 accounts) change owner, holding 41% of all potential: the moves fall "
        "on the larger accounts, so the hand-over matters more than the count suggests.")
    assert T.disruption_note(summary()) == ("11% of accounts (11 accounts) change owner, holding "
                                            "14% of all potential.")


# ---------------------------------------------------------------------------- territory count
def terr(rows):
    return pd.DataFrame(rows, columns=["rep_id", "rep_name", "accounts"])


def test_territory_count_note():
    same = terr([("R1", "Ann", 3), ("R2", "Bo", 2)])
    assert T.territory_count_note(same, same) == "The proposal keeps the 2 territories of today."
    more = terr([("R1", "Ann", 2), ("R2", "Bo", 2), ("R3", "Cy", 1), ("N1", "Dee", 1), ("N2", "Eve", 0)])
    assert T.territory_count_note(same, more) == (
        "The proposal has 4 territories against 2 today: Cy and Dee own no accounts today (new to "
        "the team, or without a book) and get territories.")
    fewer = terr([("R1", "Ann", 5), ("R2", "Bo", 0)])
    assert T.territory_count_note(same, fewer) == (
        "The proposal has 1 territory against 2 today: Bo is left without accounts (leaving, "
        "or not needed at this balance).")
    swap = terr([("R1", "Ann", 3), ("R3", "Cy", 2)])
    assert T.territory_count_note(same, swap) == (
        "The proposal keeps 2 territories: Cy owns no accounts today (new to the team, or without a "
        "book) and gets a territory; Bo is left without accounts (leaving, or not needed at this "
        "balance).")


# ---------------------------------------------------------------------------- risk
def test_risk_note():
    assert T.risk_note(risk([("R1", "Ann", 0.4, 0, 0)])) == (
        "No rep hands over more than 50% of the potential they hold today.")
    assert T.risk_note(risk([("R1", "Ann", 0.76, 677_200, 3_400_000), ("R2", "Bo", 0.2, 0, 0)])) == (
        "1 rep hands over more than 50% of the potential they hold today: Ann (76% handed over; "
        "$677.2k of their own bookings and $3.4M of their own open pipeline are on the accounts "
        "that move). Plan their hand-overs, or lock their key accounts.")
    many = risk([(f"R{i}", f"Rep {i}", 0.9 - i / 100, 1000, 2000) for i in range(6)])
    text = T.risk_note(many)
    assert text.startswith("6 reps hand over more than 50% of the potential they hold today: "
                           "Rep 0 (90% handed over;")
    assert "; and 2 more. Plan their hand-overs" in text


def test_hand_over_sentences_agree_with_the_per_rep_table():
    """The recommendation said "Elena Larsen (Field West), Taylor Tanaka, Morgan Hughes and 4
    more lose more than 50% of their potential" while the per-rep table showed the first two at
    +488% and +121%: they hand over most of their book but take on more. The sentences say
    "hand over" (what is measured, the table's "Potential handed over") and name who ends with
    more than today (the table's "Change")."""
    r = risk([("R1", "Elena", 0.92, 0, 172_200), ("R2", "Taylor", 0.82, 91_200, 209_200),
              ("R3", "Morgan", 0.75, 252_400, 3_400_000)]).assign(
        potential_today=[1_054_000.0, 2_800_000.0, 24_500_000.0],
        potential_proposed=[6_200_000.0, 6_200_000.0, 6_200_000.0])
    d = T.decision(TODAY, summary(), r, 0.05)
    assert d.verdict == "review"
    assert "lose" not in d.text
    assert ("but Elena, Taylor and Morgan hand over more than 50% of the potential they hold "
            "today (Elena and Taylor end with more potential than today, from the accounts taken on).") in d.text
    note = T.risk_note(r)
    assert "Elena and Taylor end with more potential than today, from the accounts taken on." in note
    assert "Morgan (75% handed over; $252.4k of their own bookings" in note
    # a rep who only hands over is not said to end with more
    alone = T.decision(TODAY, summary(), r.iloc[[2]], 0.05).text
    assert alone.endswith("but Morgan hands over more than 50% of the potential they hold today.")


# ---------------------------------------------------------------------------- solver note
def test_solver_note_claims_the_bound_only_when_it_is_valid():
    assert T.solver_note(solution()) == (
        "Found by a linear relaxation, rounding and local search (HiGHS) in 2.3 s (all constraints "
        "met); its travel is within 9.1% of the relaxation's lower bound.")
    assert T.solver_note(solution(bound_valid=False)) == (
        "Found by a linear relaxation, rounding and local search (HiGHS) in 2.3 s (all constraints "
        "met); no valid lower bound was proven, so how far it is from the best is not known.")
    assert T.solver_note(solution(method="milp", status="optimal", gap=0.0)) == (
        "Found by the exact integer program (HiGHS) in 2.3 s (proven optimal); its travel is within "
        "0.0% of the proven lower bound.")
    frame = pd.DataFrame({"account_id": ["A"], "rep_id": ["R1"]})
    frame.attrs.update(solution(status="band_not_met", method="greedy+local", gap=np.nan,
                                bound_valid=False).facts())
    assert T.solver_note(frame) == (
        "Found by a greedy start and local search (the relaxation did not finish in time) in 2.3 s "
        "(balance band not fully met); no valid lower bound was proven, so how far it is from the "
        "best is not known.")
    assert T.solver_note(pd.DataFrame()) == "This alignment was not produced by the optimiser."


def test_solver_note_without_a_travel_term_speaks_of_balance_only():
    assert T.solver_note(solution(travel=False, objective=0.0, bound=0.0, gap=0.0)) == (
        "Found by a linear relaxation, rounding and local search (HiGHS) in 2.3 s (all constraints "
        "met); the data has no coordinates, so there is no travel to minimise and the proposal only "
        "balances the territories.")
    assert T.solver_note(solution(travel=False, method="milp", status="optimal")) == (
        "Found by the exact integer program (HiGHS) in 2.3 s (proven optimal); the data has no "
        "coordinates, so there is no travel to minimise and the proposal only balances the "
        "territories.")
    frame = pd.DataFrame({"account_id": ["A"], "rep_id": ["R1"]})
    frame.attrs.update(solution(travel=False, status="band_not_met").facts())
    text = T.solver_note(frame)
    assert text.startswith("Found by a linear relaxation, rounding and local search (HiGHS) in "
                           "2.3 s (balance band not fully met); the data has no coordinates")
    assert "travel is within" not in text and "lower bound" not in text


# ---------------------------------------------------------------------------- decision
def test_decision_reject_review_approve():
    d = T.decision(TODAY, summary(max_deviation=0.081), None, 0.05)
    assert d == ("reject", ("Reject: some territory stays ±8.1% from its target, outside the ±5% "
                            "band asked for. Either the search needs more time or whole accounts "
                            "cannot be divided that finely: raise the time limit, loosen the band "
                            "or the disruption cap, and re-run."), "bad")
    assert T.decision(TODAY, summary(), None, 0.05, solution=solution(status="band_not_met")).verdict == "reject"
    d = T.decision(TODAY, summary(), risk([("R1", "Ann", 0.76, 1, 1)]), 0.05)
    assert d == ("review", ("Review before approving: every territory is within ±5% of the mean "
                            "and 11% of accounts (14% of potential) change owner, but Ann hands "
                            "over more than 50% of the potential they hold today."), "warn")
    d = T.decision(summary(travel_km=100.0), summary(travel_km=250.0, disruption_accounts=0.3),
                   risk([]), 0.05, max_disruption=0.2)
    assert d.verdict == "review" and d.text.endswith(
        "but travel rises 2.5×; 30% of accounts move, above the 20% cap (accounts of departing reps "
        "must move).")
    d = T.decision(TODAY, summary(capacity_scaled=1.0), risk([("R1", "Ann", 0.3, 1, 1)]), 0.05)
    assert d == ("approve", ("Approve: every territory is within ±5% of its target (scaled to "
                             "each rep's capacity), 11% of accounts (14% of potential) change "
                             "owner, and no rep hands over more than 50% of the potential they "
                             "hold today."), "info")


# ---------------------------------------------------------------------------- cards and tables
def test_kpi_cards_and_compare_read_capacity_scaled_balance():
    cards = T.kpi_cards(summary(capacity_scaled=1.0, max_deviation=0.0499))
    assert [c[0] for c in cards] == ["Territories", "Widest gap to target", "Largest vs smallest",
                                     "Within ±10% of target", "Travel"]
    assert cards[1][1] == "±5.0%" and "capacity-scaled target" in cards[1][2]
    assert cards[2][2] == "potential per FTE, largest over smallest territory"
    table = T.compare(TODAY, summary(capacity_scaled=1.0))
    assert table.iloc[0].tolist() == ["Largest / smallest territory (potential per FTE)", "2.30×", "1.10×"]
    assert table.set_index("metric").loc["Widest deviation from target"].tolist() == ["±60.0%", "±4.8%"]


def test_display_tables_use_names_and_total():
    changes = pd.DataFrame({"rep_id": ["R1", "R2"], "rep_name": ["Ann", "Bo"],
                            "rep_label": ["Ann", "Bo (West)"], "accounts_today": [3, 1],
                            "accounts_proposed": [2, 2], "potential_today": [60.0, 40.0],
                            "potential_proposed": [50.0, 50.0], "target_potential": [50.0, 50.0],
                            "potential_change": [-1 / 6, 0.25], "travel_km_today": [10.0, 0.0],
                            "travel_km_proposed": [5.0, 5.0]})
    html = T.rep_table(changes, None).to_html()
    assert "Bo (West)" in html and "R1" not in html and "Total" in html
    assert ">$100<" in html and ">5<" in html          # totals: potential 100, accounts 5 ... 4
    moved = pd.DataFrame({"account_name": ["Acme <b>"], "old_rep_id": ["R1"], "new_rep_id": ["R9"],
                          "potential": [1500.0]})
    reps = pd.DataFrame({"rep_id": ["R1"], "rep_name": ["Ann"]})
    html = T.moved_table(moved, reps).to_html()
    assert "Ann" in html and "(nobody)" in html and "Acme &lt;b&gt;" in html and "R1" not in html
    html = T.risk_table(risk([("R1", "Ann", 0.2, 0, 0)]).assign(accounts_lost=0, potential_lost=0)).data
    assert "No rep hands over more than 50%" in html


def test_proposal_notes_from_a_review():
    from .test_territory import random_ds

    ds = random_ds(n=30, reps=3, seed=5)
    rv = T.review(ds, tolerance=0.2, max_disruption=1.0, time_limit=10)
    notes = T.proposal_notes(rv)
    assert len(notes) == 5 and notes[0].startswith("Today the largest territory holds")
    assert notes[1].startswith("The proposal keeps") and "% of accounts" in notes[2]
    assert notes[3].startswith("Travel") and "50%" in notes[4]
    assert rv.decision.verdict in ("approve", "review") and rv.plan.solution.band_met
    assert rv.proposed.summary["max_deviation"] <= 0.2 + 1e-9


def test_decision_over_the_cap_never_reads_as_equal_to_it():
    """With remove_reps the page said "20% of accounts move, above the 20% cap" for 20.4%."""
    d = T.decision(TODAY, summary(disruption_accounts=0.204), risk([]), 0.05, max_disruption=0.2)
    assert d.verdict == "review"
    assert "20.4% of accounts move, above the 20% cap" in d.text
    assert "and 20.4% of accounts (" in d.text
    d = T.decision(TODAY, summary(disruption_accounts=0.3), risk([]), 0.05, max_disruption=0.2)
    assert "30% of accounts move, above the 20% cap" in d.text
