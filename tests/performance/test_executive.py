"""Executive summary numbers against values computed by hand on the tiny org.

Tiny org (conftest): R1 (East) wins O1 $1,000 on 2026-03-01 and O4 $300 on 2026-05-20
(created 2026-04-01: 49 days); R2 (West) loses O2 $500 on 2026-04-15; O3 $700 is open.
Q2 quotas: R1 $1,000, R2 $2,000.
"""

from __future__ import annotations

import math

import pandas as pd
import pytest

from salesops_lib import Dataset
from salesops_lib.performance import executive as ex


@pytest.fixture
def tiny(tiny_frames):
    tiny_frames["opportunities"].loc[2, "close_date"] = "2026-08-15"   # O3 due in Q3
    tiny_frames["quotas"] = pd.concat([tiny_frames["quotas"], pd.DataFrame(
        {"rep_id": ["R2"], "period": ["2026-Q3"], "quota": ["1400"]})], ignore_index=True)
    return tiny_frames


def test_headline_complete_quarter(tiny):
    ds = Dataset.from_frames(**tiny, as_of="2026-06-30")
    h = ex.org_headline(ds, "2026-Q2")
    assert h["bookings"] == 300 and h["quota"] == 3000
    assert h["attainment"] == pytest.approx(0.1)
    assert (h["won"], h["lost"]) == (1, 1) and h["win_rate"] == 0.5
    # Wilson 95% for 1 of 2: 0.5 ± 1.96·sqrt(0.125 + 0.2401)/2.9208
    assert h["win_rate_low"] == pytest.approx(0.0945, abs=1e-4)
    assert h["win_rate_high"] == pytest.approx(0.9055, abs=1e-4)
    assert h["avg_deal_size"] == 300 and h["cycle_days_median"] == 49
    assert math.isnan(h["growth"])                 # nothing booked in 2025-Q2
    # complete quarter: the outlook is the next one, seen on the period's last day
    assert h["outlook_period"] == "2026-Q3" and h["report_date"] == pd.Timestamp("2026-06-30")
    assert h["open_pipeline"] == 700 and h["coverage"] == pytest.approx(0.5)


def test_outlook_in_progress_quarter(tiny):
    ds = Dataset.from_frames(**tiny, as_of="2026-05-31")
    out = ex.pipeline_outlook(ds, "2026-Q2").iloc[0]
    assert out["outlook_period"] == "2026-Q2"
    # booked so far 300 of 3,000; nothing open is due in Q2
    assert out["remaining_quota"] == 2700 and out["open_pipeline"] == 0 and out["coverage"] == 0


def test_growth_against_last_year(tiny):
    opp = tiny["opportunities"]
    tiny["opportunities"] = pd.concat([opp, pd.DataFrame({
        "opportunity_id": ["O5"], "account_id": ["A1"], "rep_id": ["R1"], "stage": ["Won"],
        "status": ["won"], "amount": ["200"], "created_date": ["2025-04-01"],
        "close_date": ["2025-05-01"]})], ignore_index=True)
    ds = Dataset.from_frames(**tiny, as_of="2026-06-30")
    h = ex.org_headline(ds, "2026-Q2")
    assert h["bookings_last_year"] == 200 and h["growth"] == pytest.approx(0.5)


def test_by_team(tiny):
    ds = Dataset.from_frames(**tiny, as_of="2026-06-30")
    t = ex.by_team(ds, "2026-Q2").set_index("team")
    assert t.loc["East", "bookings"] == 300 and t.loc["East", "attainment"] == pytest.approx(0.3)
    assert t.loc["West", "bookings"] == 0 and t.loc["West", "quota"] == 2000
    assert t.loc["West", "open_pipeline"] == 700 and t.loc["West", "coverage"] == pytest.approx(0.5)
    assert "0 of 2 teams reached quota" in ex.team_reading(t.reset_index())


def test_readings_say_the_numbers(tiny):
    ds = Dataset.from_frames(**tiny, as_of="2026-06-30")
    r = ex.org_readings(ex.org_headline(ds, "2026-Q2"))
    assert r["bookings"] == "Bookings of $300 are 10% of the $3.0k quota, $2.7k short."
    assert "win rate of 50%" in r["win_rate"] and "9%–91%" in r["win_rate"]
    assert "0.5× the quota still to close" in r["pipeline"]


def test_monthly_bookings_fill_gaps(tiny):
    ds = Dataset.from_frames(**tiny, as_of="2026-06-30")
    m = ex.monthly_bookings(ds, "2026-Q2", months=6)
    assert list(m["bookings"]) == [0, 0, 1000, 0, 300, 0]   # Jan..Jun: March and May
    assert m["month"].iloc[0] == pd.Timestamp("2026-01-01")


def test_plots_have_titles_and_labels(sample_ds):
    teams = ex.by_team(sample_ds, "2026-Q3")
    fig = ex.plot_team_bookings(teams, "2026-Q3")
    ax = fig.axes[0]
    assert ax.get_title(loc="left") and ax.get_xlabel() == "Team" and "USD" in ax.get_ylabel()
    fig2 = ex.plot_monthly_bookings(ex.monthly_bookings(sample_ds, "2026-Q3"), "2026-Q3")
    assert "USD" in fig2.axes[0].get_ylabel()
