"""A team page judges its reps against the company's peers, as the company page does."""

from __future__ import annotations

import pandas as pd

from salesops_lib import load_dataset
from salesops_lib import performance as perf


def test_of_team_keeps_the_teams_reps():
    ds = load_dataset("sample:accounts=600,reps=8,seed=3")
    frame = pd.DataFrame({"rep_id": ds.reps["rep_id"], "x": range(len(ds.reps))})
    team = ds.reps["team"].iloc[0]
    got = perf.of_team(frame, ds, team)
    assert set(got["rep_id"]) == set(ds.reps.loc[ds.reps["team"] == team, "rep_id"])
    assert perf.of_team(frame, ds, "") is frame


def test_team_verdicts_match_the_company_page():
    ds = load_dataset("sample")
    team = "Field East"
    company = perf.leaderboard(ds, "2026-Q3").set_index("rep_id")["verdict"]
    page = perf.of_team(perf.leaderboard(ds, "2026-Q3"), ds, team).set_index("rep_id")["verdict"]
    assert len(page) == (ds.reps["team"] == team).sum()
    assert page.equals(company.reindex(page.index))
    # judged within the team alone, one of them read "below peers" (field reps of Field East
    # win 45%, against 39% over the company's field reps)
    alone = perf.leaderboard(perf.subset(ds, team=team), "2026-Q3").set_index("rep_id")["verdict"]
    assert (alone.reindex(page.index) != page).any()
    assert "field reps win 39%" in perf.reading_leaderboard(
        perf.of_team(perf.leaderboard(ds, "2026-Q3"), ds, team))


def test_a_team_with_one_role_says_so_above_its_table():
    from salesops_lib.performance import consistency as C

    ds = perf.subset(load_dataset("sample"), team="Field East")
    by_role = C.consistency(ds, by="role", end="2026-Q3", missing="note")
    assert len(by_role) == 1 and C.consistency_table(by_role) is not None
    # used to read "Too few groups with bookings to compare consistency." above a filled table
    assert C.reading_consistency(by_role, "role") == (
        "Only one role has bookings here (field): its figures are below, with no other to "
        "compare them with.")
    assert C.reading_consistency(by_role.iloc[0:0], "role").startswith("No group")


def test_team_charts_count_the_reps_the_false_discovery_control_ran_over():
    """The axis said "intervals allow for the 4 reps compared" on a team page whose flags
    were controlled over every judged rep of the company."""
    ds = load_dataset("sample")
    team = "Field East"
    company = perf.leaderboard(ds, "2026-Q3")
    judged = int((company["verdict"] != "too few deals").sum())
    board = perf.of_team(company, ds, team)
    assert board.attrs["compared"] == judged > (board["verdict"] != "too few deals").sum()
    fig = perf.plot_leaderboard(board)
    assert f"intervals allow for the {judged} reps compared" in fig.axes[0].get_xlabel()
    adjusted = perf.potential_adjusted(ds, "2026-Q3")
    fig = perf.plot_residuals(perf.of_team(adjusted, ds, team))
    assert f"the {len(adjusted)} reps compared" in fig.axes[0].get_xlabel()
    assert "expected, $)" in fig.axes[0].get_xlabel()
