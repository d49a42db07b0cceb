"""The rep performance page says what its charts and tables show.

* the ramp time is read from the curve drawn and is the month from which it *stays* at the
  bar, not the first month it touches it;
* the share of reps at quota is of the reps with a quota, and the card says so;
* reps not yet hired in the period are left out of its leaderboard and roll-up, and counted;
* a team page names its team under the title.

Every tiny org below is worked out by hand in the comments.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from salesops_lib import Dataset
from salesops_lib import performance as perf
from salesops_lib.performance import consistency as cons

ROOT = Path(__file__).resolve().parents[2]


def _ds(opps, reps, quotas=None, as_of="2026-11-05") -> Dataset:
    opp = pd.DataFrame(opps, columns=["opportunity_id", "rep_id", "status", "amount",
                                      "created_date", "close_date"])
    opp = opp.assign(account_id="a1", stage=opp["status"].map(
        {"won": "Closed Won", "lost": "Closed Lost", "open": "Proposal"}))
    accounts = pd.DataFrame({"account_id": ["a1"], "account_name": ["Acme"]})
    tables = {"accounts": accounts, "reps": pd.DataFrame(reps), "opportunities": opp}
    if quotas is not None:
        tables["quotas"] = pd.DataFrame(quotas, columns=["rep_id", "period", "quota"])
    return Dataset.from_frames(**tables, as_of=as_of)


# --------------------------------------------------------------------------------------------
# 1. ramp: the month from which the curve drawn stays at the bar
# --------------------------------------------------------------------------------------------
#   v: a veteran (hired 2020) booking 100 every month Jan..Oct 2026 -> a ramped month is 100
#   h: hired 1 Jan 2026, books 0, 90, 90, 90, 10, 10, 90, 90, 90, 90 in Jan..Oct
#   (as of 5 Nov 2026 the complete months are Jan..Oct; v's tenure is past 24 months, so the
#   curve is h's alone: 0, .9, .9, .9, .1, .1, .9, .9, .9, .9)
#   trailing three-month mean: 0, .45, .6, .9, .633, .367, .367, .633, .9, .9
#   it touches 80% at month 3 and falls back to 37%; it stays at or above 80% from month 8.
H_MONTHS = [0, 90, 90, 90, 10, 10, 90, 90, 90, 90]


@pytest.fixture(scope="module")
def dip_ds():
    opps = [(f"v{m}", "v", "won", 100, f"2026-{m:02d}-01", f"2026-{m:02d}-15")
            for m in range(1, 11)]
    opps += [(f"h{m}", "h", "won", amt, f"2026-{m:02d}-01", f"2026-{m:02d}-15")
             for m, amt in enumerate(H_MONTHS, start=1) if amt]
    reps = {"rep_id": ["v", "h"], "rep_name": ["Vet", "Hire"], "role": ["field", "field"],
            "hire_date": ["2020-01-01", "2026-01-01"]}
    return _ds(opps, reps)


def test_ramp_time_is_where_the_curve_stays_at_the_bar(dip_ds):
    curve, s = cons.ramp(dip_ds, n_boot=50)
    # before: the first month the trailing mean reached 80%, month 3, though it fell to 37%
    assert s["ramp_months"] == 8
    assert curve["value"].tolist() == pytest.approx([a / 100 for a in H_MONTHS])
    assert curve["smoothed"].tolist() == pytest.approx(
        [0, .45, .6, .9, 1.9 / 3, 1.1 / 3, 1.1 / 3, 1.9 / 3, .9, .9])
    assert (s["ramp_low"], s["ramp_high"]) == (8, 8)      # one hire: every resample is h
    assert s["months_observed"] == 9 and s["smooth"] == 3
    # the month named agrees with the curve drawn: below the bar just before, at or above
    # it from there to the last month
    drawn = curve.set_index("tenure_month")["smoothed"]
    assert drawn[7] < 0.8 and (drawn.loc[8:] >= 0.8).all()
    text = cons.reading_ramp(s)
    assert "reaches 80% of a ramped rep's level at month 8 of tenure and stays there through " \
           "month 9" in text and "three-month average" in text and "8 to 8 months" in text


def test_ramp_time_on_plain_curves():
    bar = 0.8
    got = cons.ramp_time(np.array([
        [0.0, 0.9, 0.9, 0.9, 0.9, 0.9],     # smoothed 0, .45, .6, .9, .9, .9 -> 3
        [0.0, 1.0, 1.0, 1.0, 0.0, 0.0],     # ends at 0.33: never stays -> NaN
        [0.9, 0.9, 0.9, 0.1, 0.9, 0.9],     # smoothed .9, .9, .9, .633, .633, .633 -> NaN
        [1.0, 1.0, 1.0, 1.0, 1.0, 1.0],     # at the bar from the hire month -> 0
    ]), bar)
    assert got[0] == 3 and np.isnan(got[1]) and np.isnan(got[2]) and got[3] == 0
    # a month without data breaks nothing: [nan, 1, nan, nan, nan, 1] smooths to 1 from month 1
    assert cons.ramp_time([np.nan, 1, np.nan, np.nan, np.nan, 1], bar)[0] == 1


def test_ramp_interval_reaches_beyond_the_data_when_resamples_never_stay():
    # h2, hired with h, never gets past 10: resamples of h2 alone never stay at the bar
    opps = [(f"v{m}", "v", "won", 100, f"2026-{m:02d}-01", f"2026-{m:02d}-15")
            for m in range(1, 11)]
    opps += [(f"h{m}", "h", "won", amt, f"2026-{m:02d}-01", f"2026-{m:02d}-15")
             for m, amt in enumerate(H_MONTHS, start=1) if amt]
    opps += [(f"k{m}", "k", "won", 10, f"2026-{m:02d}-01", f"2026-{m:02d}-15")
             for m in range(1, 11)]
    reps = {"rep_id": ["v", "h", "k"], "rep_name": ["Vet", "Hire", "Slow"],
            "role": ["field"] * 3, "hire_date": ["2020-01-01", "2026-01-01", "2026-01-01"]}
    _, s = cons.ramp(_ds(opps, reps), n_boot=200)
    # mean of h and k: .05, .5, .5, .5, .1, .1, .5, .5, .5, .5 -> never at 80%
    assert np.isnan(s["ramp_months"]) and s["ramp_high"] == np.inf
    assert "has not stayed at 80% of a ramped rep's level within the 9 months" in \
        cons.reading_ramp(s)


def test_ramp_chart_draws_the_line_the_time_is_read_from(dip_ds):
    import matplotlib.pyplot as plt

    curve, s = cons.ramp(dip_ds, n_boot=20)
    fig = cons.plot_ramp(curve, s)
    ax = fig.axes[0]
    lines = {ln.get_label(): ln for ln in ax.get_lines()}
    avg = next(ln for label, ln in lines.items() if label.startswith("3-month average"))
    assert list(avg.get_ydata()) == pytest.approx(curve["smoothed"].tolist())
    ramped = next(ln for label, ln in lines.items() if "from month 8" in label)
    assert list(ramped.get_xdata()) == [8, 8]
    plt.close(fig)


# --------------------------------------------------------------------------------------------
# 2 and 3. reps at quota are of the reps with quota; reps not yet hired are left out
# --------------------------------------------------------------------------------------------
#   period 2025, as of 15 Nov 2026. Quota 100 for 2025 for a and b.
#   a: hired 2020, won 120 in 2025 (at quota)      b: hired 2020, won 50 (below)
#   c: hired 2020, no quota row, won 30             n: hired 2026-03-01, nothing in 2025
#   m: hired 2026-02-01 but owns a deal won in 2025 (accounts handed over): stays listed
#   reps with quota: a, b -> 1 of 2 at quota (50%), not 1 of 5 (or of 4)
@pytest.fixture(scope="module")
def hires_ds():
    opps = [("o1", "a", "won", 120, "2025-02-01", "2025-03-01"),
            ("o2", "b", "won", 50, "2025-02-01", "2025-04-01"),
            ("o3", "c", "won", 30, "2025-02-01", "2025-05-01"),
            ("o4", "m", "won", 10, "2025-02-01", "2025-06-01"),
            ("o5", "n", "won", 40, "2026-04-01", "2026-05-01")]
    reps = {"rep_id": ["a", "b", "c", "n", "m"], "rep_name": ["Ann", "Bob", "Cy", "Nia", "Max"],
            "team": ["East", "East", "West", "West", "East"], "role": ["field"] * 5,
            "hire_date": ["2020-01-01"] * 3 + ["2026-03-01", "2026-02-01"]}
    quotas = [("a", "2025", 100.0), ("b", "2025", 100.0), ("n", "2026", 100.0)]
    return _ds(opps, reps, quotas, as_of="2026-11-15")


def test_share_at_quota_is_of_the_reps_with_quota(hires_ds):
    h = perf.rep_headline(hires_ds, "2025")
    # before: "50% at 80% or more, of 5 reps"
    assert perf.rep_kpi_cards(h)[1] == ("Reps at quota", "50%",
                                        "50% at 80% or more, of 2 reps with quota")
    assert h["reps_with_quota"] == 2 and h["share_at_100"] == 0.5


def test_reps_not_yet_hired_are_left_out_of_the_period(hires_ds):
    lb = perf.leaderboard(hires_ds, "2025", min_deals=1)
    # before: n was listed as "too few deals" on the 2025 page
    assert set(lb["rep_id"]) == {"a", "b", "c", "m"}
    assert lb.attrs["not_yet_hired"] == 1 and lb.attrs["not_yet_hired_ids"] == ["n"]
    # totals still add up to the company's bookings for 2025
    assert lb["bookings"].sum() == perf.scorecard(hires_ds, "2025")["bookings"].sum() == 210
    assert perf.reading_leaderboard(lb).endswith(" 1 rep hired after the period is left out.")
    roll = perf.attainment_rollup(hires_ds, "2025", by=None).iloc[0]
    assert (roll["reps"], roll["reps_with_quota"]) == (4, 2)     # before: 5 reps
    # in 2026 n is a rep like any other
    assert "n" in set(perf.leaderboard(hires_ds, "2026", min_deals=1)["rep_id"])
    # a team page counts its own: n is West's, none of East's
    assert perf.of_team(lb, hires_ds, "East").attrs["not_yet_hired"] == 0
    west = perf.of_team(lb, hires_ds, "West")
    assert west.attrs["not_yet_hired"] == 1 and set(west["rep_id"]) == {"c"}
    assert "hired after" not in perf.reading_leaderboard(perf.of_team(lb, hires_ds, "East"))


def test_a_hire_after_the_report_date_of_a_period_in_progress_is_not_listed():
    # 2026-Q4 as of 15 Nov: z starts 1 Dec with nothing yet; y starts 1 Dec with a Q4 quota
    # (its December quota counts in the company's, so y stays listed and totals add up)
    opps = [("o1", "a", "won", 10, "2026-10-01", "2026-10-20")]
    reps = {"rep_id": ["a", "y", "z"], "rep_name": ["Ann", "Yu", "Zoe"],
            "role": ["field"] * 3, "hire_date": ["2020-01-01", "2026-12-01", "2026-12-01"]}
    ds = _ds(opps, reps, [("a", "2026-Q4", 30.0), ("y", "2026-Q4", 30.0)], as_of="2026-11-15")
    lb = perf.leaderboard(ds, "2026-Q4", min_deals=1)
    assert set(lb["rep_id"]) == {"a", "y"} and lb.attrs["not_yet_hired_ids"] == ["z"]


def test_territory_model_names_its_later_hires_so_a_team_counts_its_own(hires_ds):
    # the model fits reps hired by the period's end: m (Feb 2026) and n (Mar 2026) are out
    d = perf.territory_drivers(hires_ds, "2025")
    assert d.attrs["not_yet_hired_ids"] == ["m", "n"]
    assert perf.of_team(d, hires_ds, "West").attrs["not_yet_hired"] == 1     # before: 2


# --------------------------------------------------------------------------------------------
# 4. a team page names its team
# --------------------------------------------------------------------------------------------
def test_team_heading_names_the_team_escaped():
    assert perf.team_heading("") is None                      # the company page: nothing
    html = perf.team_heading("West <b>&</b>").data
    assert "Team: West &lt;b&gt;&amp;&lt;/b&gt;" in html and "<b>" not in html


def test_notebook_shows_the_team_heading_before_the_period_line():
    nb = json.loads((ROOT / "notebooks" / "rep_performance.ipynb").read_text(encoding="utf-8"))
    code = ["".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "code"]
    at = next(i for i, src in enumerate(code) if src.rstrip().endswith("perf.team_heading(team)"))
    assert code[at + 1].strip() == "lineage.header(ds, period)"
