"""Lists of names in the verdict sentences: every length, with and without "and N more", in
brackets or between dashes, in the middle of a sentence or at the end of a clause."""

from __future__ import annotations

import pandas as pd
import pytest

from salesops_lib import performance as perf
from salesops_lib.performance import narrative as nar
from salesops_lib.performance import verdicts as v


@pytest.mark.parametrize("count, want", [
    (0, ""),
    (1, "A"),
    (2, "A and B"),
    (3, "A, B and C"),
    (4, "A, B, C and D"),
    (5, "A, B, C, D and E"),                 # one left over is named, never "and 1 more"
    (6, "A, B, C, D and 2 more"),
    (11, "A, B, C, D and 7 more"),
])
def test_name_list_every_length(count, want):
    assert nar.name_list("ABCDEFGHIJK"[:count]) == want


def test_name_list_keeps_the_order_and_shows_at_most_n():
    assert nar.name_list(["Zoe", "Al", "Mo"], n=2) == "Zoe, Al and Mo"
    assert nar.name_list(["Zoe", "Al", "Mo", "Ed"], n=2) == "Zoe, Al and 2 more"


@pytest.mark.parametrize("names, ends_clause, want", [
    ("", False, ""),
    ("", True, ""),
    ("A and B", False, " (A and B)"),
    ("A and B", True, " (A and B)"),
    ("A (East) and 3 more", False, " — A (East) and 3 more —"),
    ("A (East) and 3 more", True, " — A (East) and 3 more"),      # the ";" closes it
    ("A (East)", True, " — A (East)"),
])
def test_aside(names, ends_clause, want):
    assert nar._aside(names, ends_clause) == want


def _board(above: list[str], below: list[str], inline: int, few: int = 0) -> pd.DataFrame:
    names = above + below + [f"In{i}" for i in range(inline)] + [f"Few{i}" for i in range(few)]
    verdicts = ([v.ABOVE] * len(above) + [v.BELOW] * len(below) + [v.INLINE] * inline
                + [v.FEW] * few)
    lb = pd.DataFrame({"rep_name": names, "verdict": verdicts, "peer_group": "field",
                       "peer_win_rate": 0.4})
    lb.attrs.update(peer_basis="role peers", fdr=0.10)
    return lb


def _clause(text: str) -> str:
    return text.split(": ", 1)[1].split(". Flags", 1)[0]


def test_leaderboard_sentence_many_names_with_brackets_at_the_end_of_a_clause():
    # the sample-data case: 7 below, one name with brackets, "and 3 more", then ";"
    below = ["Ethan Okafor", "Elena Larsen (Field East)", "Priya Tanaka", "Priya Novak",
             "E", "F", "G"]
    text = perf.reading_leaderboard(_board(["V", "M", "R", "O", "a", "b", "c", "d"], below, 35))
    assert _clause(text) == (
        "8 reps win clearly more often (V, M, R, O and 4 more) and 7 clearly less often — "
        "Ethan Okafor, Elena Larsen (Field East), Priya Tanaka, Priya Novak and 3 more; "
        "35 are within chance of their peers")
    assert "—;" not in text and "— ;" not in text


def test_leaderboard_sentence_brackets_in_the_middle_keep_both_dashes():
    text = perf.reading_leaderboard(_board(["Ann (West)", "Bo"], ["Cy"], 1, few=2))
    assert _clause(text) == (
        "2 reps win clearly more often — Ann (West) and Bo — and 1 clearly less often (Cy); "
        "1 is within chance of their peers and 2 closed too few deals to judge")


@pytest.mark.parametrize("above, below, want", [
    ([], [], "no rep wins clearly more often and none clearly less often; 3 are within chance"),
    (["A"], [], "1 rep wins clearly more often (A) and none clearly less often; 3 are within"),
    ([], ["A", "B", "C"], "no rep wins clearly more often and 3 clearly less often (A, B and C);"),
    ([], ["A (X)", "B"], "and 2 clearly less often — A (X) and B; 3 are within chance"),
    (list("ABCDE"), [], "5 reps win clearly more often (A, B, C, D and E) and none"),
])
def test_leaderboard_sentence_every_list_length(above, below, want):
    text = perf.reading_leaderboard(_board(above, below, 3))
    assert want in text
    assert "—;" not in text and "(," not in text and ", and" not in text


def test_residuals_sentence_drops_the_dash_before_the_semicolon():
    pa = pd.DataFrame({"rep_name": ["Up (N)", "Dn (S)", "Dn2", "Dn3", "Dn4", "Dn5", "Dn6", "Ok"],
                       "verdict": ["above expectation"] + ["below expectation"] * 6
                       + ["as expected"]})
    text = perf.reading_residuals(pa)
    assert text.startswith(
        "Allowing for territory potential, accounts and tenure, 1 rep booked clearly more than "
        "their territory predicts — Up (N) — and 6 clearly less — Dn (S), Dn2, Dn3, Dn4 and 2 "
        "more; the other 1 is within the model's error")
