"""Verdicts that can be defended: role peers, false-discovery control, honest references.

Hand-computed values are in the comments; the multiplicity simulation draws every seed's
reps in one vectorised call.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from salesops_lib import Dataset
from salesops_lib import performance as perf
from salesops_lib.performance import verdicts as v


# --------------------------------------------------------------------------------------------
# multiplicity
# --------------------------------------------------------------------------------------------
def test_identical_reps_get_at_most_the_nominal_share_of_flags():
    # 50 identical reps (true win rate 40%), 30 closed deals each, 400 seeded simulations
    rng = np.random.default_rng(20261202)
    sims, reps, deals = 400, 50, 30
    won = rng.binomial(deals, 0.4, size=(sims, reps))
    n = np.full(reps, deals)
    flags = np.array([(np.isin(v.win_rate_verdicts(w, n, min_deals=10)["verdict"],
                               [v.ABOVE, v.BELOW])).sum() for w in won])
    share = flags / reps
    assert share.mean() <= v.FDR / 2                     # well under the nominal 5% per rep
    any_flag = (flags > 0).mean()
    se = np.sqrt(v.FDR * (1 - v.FDR) / sims)
    assert any_flag <= v.FDR + 3 * se                    # BH under the null: P(any) ≤ FDR
    # without the control, the same data flag about 2 reps per simulation (the bug it fixes)
    p0 = won.sum(axis=1, keepdims=True) / (reps * deals)
    z = (won / deals - p0) / np.sqrt(p0 * (1 - p0) / deals)
    assert (np.abs(z) > 1.96).sum(axis=1).mean() > 1.5


def test_a_real_difference_is_still_found():
    # 49 reps at 40% and one at 80%, 100 deals each: the outlier is flagged, nobody else
    won = np.r_[np.full(49, 40), 80]
    out = v.win_rate_verdicts(won, np.full(50, 100), min_deals=10)
    assert out["verdict"][-1] == v.ABOVE
    assert (out["verdict"][:-1] == v.INLINE).all()
    # pooled rate 2040/5000 = 0.408; z = (0.8 − 0.408)/sqrt(0.408·0.592/100) = 7.99
    assert out["peer_win_rate"][0] == pytest.approx(0.408)
    assert out["alpha"] == pytest.approx(0.10 / 50)      # one flag of 50 tests


# --------------------------------------------------------------------------------------------
# role peers
# --------------------------------------------------------------------------------------------
def _role_org(field=(40, 60), inside=(55, 45), n_each=10, star=None):
    rows, reps = [], []
    for role, (w, l) in (("field", field), ("inside", inside)):
        for i in range(n_each):
            rid = f"{role[0]}{i}"
            reps.append((rid, f"{role.title()} {i}", role, f"{role.title()} team"))
            rows += [(f"{rid}-{j}", rid, "won" if j < w else "lost") for j in range(w + l)]
    if star:
        rid, w, l, amount = star
        reps.append((rid, "Star Seller", "field", "Field team"))
        rows += [(f"{rid}-{j}", rid, "won" if j < w else "lost", amount) for j in range(w + l)]
    opp = pd.DataFrame([r if len(r) == 4 else r + (100.0,) for r in rows],
                       columns=["opportunity_id", "rep_id", "status", "amount"])
    opp = opp.assign(account_id="a1", stage=opp["status"], created_date="2026-07-01",
                     close_date="2026-08-01")
    reps = pd.DataFrame(reps, columns=["rep_id", "rep_name", "role", "team"])
    quotas = pd.DataFrame({"rep_id": reps["rep_id"], "period": "2026-Q3", "quota": 4000.0})
    return Dataset.from_frames(accounts=pd.DataFrame({"account_id": ["a1"], "account_name": ["A"]}),
                               reps=reps, opportunities=opp, quotas=quotas, as_of="2026-12-31")


def test_reps_are_judged_against_their_own_role():
    # field reps all win 40%, inside reps all 55%: against role peers nobody differs ...
    ds = _role_org()
    lb = perf.leaderboard(ds, "2026-Q3")
    assert lb.attrs["peer_basis"] == "role peers"
    assert (lb["verdict"] == v.INLINE).all()
    assert set(lb["peer_win_rate"].round(3)) == {0.40, 0.55}
    # ... while one pooled rate (0.475) would mark every field rep below and every inside rep
    # above: z = ∓0.075 / sqrt(0.475·0.525/100) = ∓1.50, p = 0.13 — with 400 deals a rep
    pooled = v.win_rate_verdicts(np.r_[np.full(10, 160), np.full(10, 220)], np.full(20, 400))
    assert (pooled["verdict"][:10] == v.BELOW).all() and (pooled["verdict"][10:] == v.ABOVE).all()


def test_top_seller_is_judged_on_win_rate_only_and_shown_with_bookings():
    # the star closes 150 deals at 33% (field peers 40%) with big deals: its verdict names win
    # rate, and the table carries its bookings and attainment beside it
    ds = _role_org(star=("s", 50, 100, 5000.0))
    lb = perf.leaderboard(ds, "2026-Q3").set_index("rep_id")
    star = lb.loc["s"]
    assert star["verdict"] in (v.BELOW, v.INLINE) and star["verdict"].startswith(("win rate", "too"))
    assert star["bookings"] == 250_000 and star["attainment"] == pytest.approx(62.5)
    html = perf.leaderboard_table(lb.reset_index()).to_html()
    assert "Win rate vs peers" in html and "$250.0k" in html and "6250%" in html
    assert "field reps" in html


def test_without_roles_everyone_is_compared_with_all_reps():
    ds = _role_org()
    no_role = Dataset.from_frames(accounts=ds.accounts, reps=ds.reps.drop(columns=["role"]),
                                  opportunities=ds.opportunities, quotas=ds.quotas,
                                  as_of="2026-12-31")
    lb = perf.leaderboard(no_role, "2026-Q3")
    assert lb.attrs["peer_basis"] == "all reps" and (lb["peer_group"] == "all reps").all()


# --------------------------------------------------------------------------------------------
# verdict sentences, one test each
# --------------------------------------------------------------------------------------------
def test_sentence_leaderboard_by_role():
    text = perf.reading_leaderboard(perf.leaderboard(_role_org(), "2026-Q3"))
    assert text.startswith("Judged on win rate against role peers (field reps win 40%, "
                           "inside reps win 55%): no rep wins clearly more often and none clearly "
                           "less often; 20 are within chance of their peers.")
    assert "false-discovery rate at 10% (Benjamini–Hochberg)" in text


def test_sentence_leaderboard_without_roles():
    ds = _role_org()
    no_role = Dataset.from_frames(accounts=ds.accounts, reps=ds.reps.drop(columns=["role"]),
                                  opportunities=ds.opportunities, quotas=ds.quotas,
                                  as_of="2026-12-31")
    text = perf.reading_leaderboard(perf.leaderboard(no_role, "2026-Q3"))
    assert text.startswith("Judged on win rate against all reps (48%; the data have no rep "
                           "roles, so field and inside reps are not told apart)")


def test_sentence_leaderboard_nobody_to_judge():
    lb = perf.leaderboard(_role_org(), "2026-Q3", min_deals=1000)
    assert perf.reading_leaderboard(lb) == ("No rep closed enough deals this period to judge "
                                            "their win rate against their peers.")


def test_sentence_gap_names_the_product_of_medians():
    sc = pd.DataFrame({"rep_id": ["a", "b", "c"], "deals": [10, 20, 30], "won": [5, 4, 15],
                       "win_rate": [0.5, 0.2, 0.5], "avg_deal_size": [100.0, 100.0, 100.0],
                       "cycle_days_median": [10.0, 10.0, 0.0]})
    gap = perf.gap_decomposition(sc)
    # reference: 20 deals × 0.5 × $100 ÷ 10 days = $100 a day
    assert gap["velocity_ref"].iloc[0] == pytest.approx(100.0)
    assert perf.reading_gap(gap) == (
        "The reference is $100 of bookings a day, the product of medians (median volume × win "
        "rate × deal size ÷ cycle); for the 2 reps below it, the largest drag is win rate.")
    assert np.isfinite(gap["velocity"]).all()            # c's same-day cycle counts as 1 day
    assert gap.loc[gap["rep_id"] == "c", "velocity"].iloc[0] == pytest.approx(1500.0)


def test_zero_day_cycle_gives_finite_velocity():
    sc = pd.DataFrame({"deals": [4], "won": [2], "win_rate": [0.5], "avg_deal_size": [50.0],
                       "cycle_days_median": [0.0]})
    assert perf.velocity(sc)["velocity"].iloc[0] == 100.0     # 4 × 0.5 × 50 ÷ 1 day


def test_sentence_residuals_counts_reps_not_yet_hired():
    pa = pd.DataFrame({"rep_name": ["A", "B", "C"],
                       "verdict": ["above expectation", "as expected", "as expected"]})
    pa.attrs.update(fdr=0.1, not_yet_hired=2)
    assert perf.reading_residuals(pa) == (
        "Allowing for territory potential, accounts and tenure, 1 rep booked clearly more "
        "than their territory predicts (A) and none clearly less; the other 2 are within the "
        "model's error (false-discovery rate 10%, Benjamini–Hochberg). 2 reps hired after "
        "the period are left out.")


def test_regression_fits_only_reps_employed_in_the_period():
    n = 9
    reps = pd.DataFrame({"rep_id": [f"r{i}" for i in range(n)],
                         "rep_name": [f"Rep {i}" for i in range(n)],
                         "hire_date": [f"20{18 + i}-0{1 + i}-01" for i in range(7)]
                         + ["2026-10-01", "2027-01-01"]})
    acc = pd.DataFrame({"account_id": [f"a{i}" for i in range(n)] + ["b0", "b3", "b4"],
                        "account_name": "x",
                        "potential": [100.0 * (i + 1) ** 1.5 for i in range(n)] + [50.0] * 3,
                        "owner_rep_id": list(reps["rep_id"]) + ["r0", "r3", "r4"]})
    opp = pd.DataFrame({"opportunity_id": [f"o{i}" for i in range(7)],
                        "account_id": [f"a{i}" for i in range(7)],
                        "rep_id": [f"r{i}" for i in range(7)], "stage": "won", "status": "won",
                        "amount": [10.0 * (i + 1) + (i % 2) for i in range(7)],
                        "created_date": "2026-07-01", "close_date": "2026-08-01"})
    ds = Dataset.from_frames(accounts=acc, reps=reps, opportunities=opp, as_of="2026-12-31")
    d = perf.territory_drivers(ds, "2026-Q3")
    assert list(d["rep_id"]) == [f"r{i}" for i in range(7)] and d.attrs["not_yet_hired"] == 2
    pa = perf.potential_adjusted(ds, "2026-Q3")
    assert len(pa) == 7 and pa.attrs["not_yet_hired"] == 2
    assert perf.potential_model(ds, "2026-Q3")["reps"].iloc[0] == 7


def test_flags_on_residuals_are_fdr_controlled():
    # identical territories and bookings up to noise: nobody is flagged
    rng = np.random.default_rng(3)
    n = 40
    reps = pd.DataFrame({"rep_id": [f"r{i}" for i in range(n)], "rep_name": [f"R{i}" for i in range(n)],
                         "hire_date": pd.Timestamp("2020-01-01") - pd.to_timedelta(rng.integers(0, 2000, n), "D")})
    extra = [i for i in range(n) if i % 3 == 0]
    acc = pd.DataFrame({"account_id": [f"a{i}" for i in range(n)] + [f"b{i}" for i in extra],
                        "account_name": "x", "potential": rng.uniform(100, 200, n + len(extra)),
                        "owner_rep_id": list(reps["rep_id"]) + [f"r{i}" for i in extra]})
    opp = pd.DataFrame({"opportunity_id": [f"o{i}" for i in range(n)],
                        "account_id": [f"a{i}" for i in range(n)],
                        "rep_id": reps["rep_id"], "stage": "won", "status": "won",
                        "amount": 1000 + rng.normal(0, 50, n).round(), "created_date": "2026-07-01",
                        "close_date": "2026-08-01"})
    ds = Dataset.from_frames(accounts=acc, reps=reps, opportunities=opp, as_of="2026-12-31")
    pa = perf.potential_adjusted(ds, "2026-Q3")
    assert (pa["verdict"] == "as expected").all() and (pa["p_adjusted"] >= pa["p_value"]).all()


def test_drawn_intervals_agree_with_the_flags():
    ds = _role_org(star=("s", 20, 130, 100.0))
    lb = perf.leaderboard(ds, "2026-Q3")
    flagged = lb["verdict"].isin([v.ABOVE, v.BELOW])
    outside = (lb["win_rate_adj_low"] > lb["peer_win_rate"]) | (
        lb["win_rate_adj_high"] < lb["peer_win_rate"])
    assert flagged.any() and (flagged == outside).all()


def test_sentence_names_with_brackets_do_not_nest():
    pa = pd.DataFrame({"rep_name": ["Elena Larsen (East)", "B"],
                       "verdict": ["below expectation", "as expected"]})
    text = perf.reading_residuals(pa)
    assert "1 clearly less — Elena Larsen (East); the other 1 is" in text
    assert "((" not in text and "))" not in text and "—;" not in text


def test_scorecard_table_totals_row_is_sums_and_ratios_of_sums():
    lb = pd.DataFrame({"rep_name": ["Ana", "Bo"], "team": ["East", "West"],
                       "peer_group": ["field", "field"], "verdict": [v.INLINE, v.INLINE],
                       "deals": [10, 30], "won": [5, 6], "win_rate": [0.5, 0.2],
                       "peer_win_rate": [0.275, 0.275], "bookings": [50_000.0, 30_000.0],
                       "quota": [100_000.0, 60_000.0], "attainment": [0.5, 0.5],
                       "avg_deal_size": [10_000.0, 5_000.0], "cycle_days_median": [40.0, 60.0]})
    t = perf.leaderboard_table(lb).data
    total = t.iloc[-1]
    # 11 of 40 won = 27.5%; $80k on $160k quota = 50%; $80k / 11 wins = $7,273 a deal
    assert total["Rep"] == "All reps" and total["Closed deals"] == 40
    assert total["Win rate"] == pytest.approx(0.275) and total["Bookings"] == 80_000
    assert total["Attainment"] == pytest.approx(0.5)
    assert total["Average deal"] == pytest.approx(80_000 / 11)
    assert pd.isna(total["Sales cycle"]) and pd.isna(total["Peers"])   # medians do not add up
    assert len(t) == 3
    html = perf.leaderboard_table(lb).to_html()               # counts read as whole numbers
    assert ">40<" in html and ">10<" in html and "10.000000" not in html


def test_rep_counts_agree_with_their_verb():
    from salesops_lib.performance.narrative import _reps
    assert [_reps(n, "win") for n in (0, 1, 3)] == ["no rep wins", "1 rep wins", "3 reps win"]
    assert _reps(2, "booked") == "2 reps booked" and _reps(1, "booked") == "1 rep booked"
    assert _reps(5) == "5 reps"


def test_sentence_leaderboard_at_a_loose_false_discovery_rate():
    # -p fdr=0.5: the sentence said "so chance alone rarely flags anyone" at 50%
    text = perf.reading_leaderboard(perf.leaderboard(_role_org(), "2026-Q3", fdr=0.5))
    assert "false-discovery rate at 50% (Benjamini–Hochberg), so on average up to 50% of the " \
           "flags may be chance alone;" in text
    assert "rarely" not in text
    strict = perf.reading_leaderboard(perf.leaderboard(_role_org(), "2026-Q3", fdr=0.05))
    assert "at 5% (Benjamini–Hochberg), so chance alone rarely flags anyone;" in strict


def test_a_rep_without_closed_deals_is_not_judged_even_at_min_deals_zero():
    # -p rep_performance.min_deals=0 counted a rep with no closed deal "within chance"
    v = perf.win_rate_verdicts(np.array([0, 5, 5]), np.array([0, 10, 10]), min_deals=0)
    assert v["verdict"][0] == "too few deals"
    assert list(v["verdict"][1:]) == [perf.verdicts.INLINE] * 2
