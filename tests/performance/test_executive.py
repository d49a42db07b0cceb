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
        "close_date": ["2025-04-20"]})], ignore_index=True)
    ds = Dataset.from_frames(**tiny, as_of="2026-06-30")
    h = ex.org_headline(ds, "2026-Q2")
    assert h["bookings_last_year"] == 200 and h["growth"] == pytest.approx(0.5)
    # closed in May instead, it shows closes only from May 2025: April 2025 is not observed,
    # so 2025-Q2 is no comparison (not "$200 a year ago")
    tiny["opportunities"].loc[len(tiny["opportunities"]) - 1, "close_date"] = "2025-05-01"
    h = ex.org_headline(Dataset.from_frames(**tiny, as_of="2026-06-30"), "2026-Q2")
    assert pd.isna(h["bookings_last_year"]) and pd.isna(h["growth"])


def test_by_team(tiny):
    ds = Dataset.from_frames(**tiny, as_of="2026-06-30")
    t = ex.by_team(ds, "2026-Q2").set_index("team")
    assert t.loc["East", "bookings"] == 300 and t.loc["East", "attainment"] == pytest.approx(0.3)
    assert t.loc["West", "bookings"] == 0 and t.loc["West", "quota"] == 2000
    assert t.loc["West", "open_pipeline"] == 700 and t.loc["West", "coverage"] == pytest.approx(0.5)
    assert "0 of 2 teams reached quota" in ex.team_reading(t.reset_index())


def test_by_team_in_a_period_without_closed_deals_or_quotas(tiny):
    """Every team is a row at $0: the page said "a view by team needs each rep's team" on a
    Salesforce export whose teams simply closed nothing yet in the quarter."""
    ds = Dataset.from_frames(**tiny, as_of="2026-11-15")
    t = ex.by_team(ds, "2026-Q4").set_index("team")
    assert sorted(t.index) == ["East", "West"] and (t["bookings"] == 0).all()
    assert t["quota"].isna().all()
    assert ex.team_reading(t.reset_index()) == (
        "No team has booked a deal in the period yet; attainment by team needs quotas, which "
        "the data do not have.")


def test_readings_say_the_numbers(tiny):
    ds = Dataset.from_frames(**tiny, as_of="2026-06-30")
    r = ex.org_readings(ex.org_headline(ds, "2026-Q2"))
    assert r["bookings"] == "Bookings of $300 are 10% of the $3.0k quota, $2.7k short."
    assert "win rate of 50%" in r["win_rate"] and "9%–91%" in r["win_rate"]
    assert "0.5× the quota still to close" in r["pipeline"]


def test_monthly_bookings_fill_gaps(tiny):
    ds = Dataset.from_frames(**tiny, as_of="2026-06-30")
    m = ex.monthly_bookings(ds, "2026-Q2", months=6)
    # deals are created from 5 Jan but the first close is O1's on 1 Mar: January and February
    # are not observed (unknown, not $0), so the chart starts in March
    assert list(m["bookings"]) == [1000, 0, 300, 0]         # Mar..Jun: March and May
    assert m["month"].iloc[0] == pd.Timestamp("2026-03-01")


def test_plots_have_titles_and_labels(sample_ds):
    teams = ex.by_team(sample_ds, "2026-Q3")
    fig = ex.plot_team_bookings(teams, "2026-Q3")
    ax = fig.axes[0]
    assert ax.get_title(loc="left") and ax.get_xlabel() == "Team" and "($)" in ax.get_ylabel()
    fig2 = ex.plot_monthly_bookings(ex.monthly_bookings(sample_ds, "2026-Q3"), "2026-Q3")
    assert "($)" in fig2.axes[0].get_ylabel()


# --------------------------------------------------------------------------------------------
# like for like, totals, red/amber/green, missing comparisons
# --------------------------------------------------------------------------------------------
def _with_last_year(tiny):
    # O5 won 2025-04-10 ($200, inside the first 50 days of 2025-Q2), O6 won 2025-06-20 ($900)
    tiny["opportunities"] = pd.concat([tiny["opportunities"], pd.DataFrame({
        "opportunity_id": ["O5", "O6"], "account_id": ["A1", "A2"], "rep_id": ["R1", "R2"],
        "stage": ["Won", "Won"], "status": ["won", "won"], "amount": ["200", "900"],
        "created_date": ["2025-03-01", "2025-03-01"],
        "close_date": ["2025-04-10", "2025-06-20"]})], ignore_index=True)
    return tiny


def test_quarter_to_date_is_compared_with_the_same_days_last_year(tiny):
    # as of 2026-05-20, Q2 has run 50 days: $300 (O4) against 2025's first 50 days: $200 (O5)
    ds = Dataset.from_frames(**_with_last_year(tiny), as_of="2026-05-20")
    h = ex.org_headline(ds, "2026-Q2")
    assert not h["complete"] and h["window_last_year"] == "2025-Q2, same 50 days"
    assert h["bookings"] == 300 and h["bookings_last_year"] == 200
    assert h["growth"] == pytest.approx(0.5)                 # not 300 / 1,100 − 1
    assert ex.org_readings(h)["growth"] == ("That is +50% on 2025-Q2, same 50 days ($200), "
                                            "like for like.")
    assert ex.org_kpi_cards(h)[0][0] == "Bookings to date"


def test_full_quarter_is_compared_with_the_full_quarter(tiny):
    ds = Dataset.from_frames(**_with_last_year(tiny), as_of="2026-06-30")
    h = ex.org_headline(ds, "2026-Q2")
    assert h["bookings_last_year"] == 1100 and h["growth"] == pytest.approx(300 / 1100 - 1)
    t = ex.by_team(ds, "2026-Q2").set_index("team")
    assert t.loc["East", "bookings_last_year"] == 200 and t.loc["West", "bookings_last_year"] == 900


def test_no_comparison_when_the_data_do_not_reach_back(tiny):
    # the first deal is from 2026-01-05: there is no 2025-Q2 to compare with, not "$0"
    ds = Dataset.from_frames(**tiny, as_of="2026-06-30")
    h = ex.org_headline(ds, "2026-Q2")
    assert math.isnan(h["bookings_last_year"]) and math.isnan(h["growth"])
    card = ex.org_kpi_cards(h)[1]
    assert card[1] == "–" and card[2] == "no comparable period in the data" and "$0" not in card[2]
    assert ex.org_readings(h)["growth"] == ("A comparison with last year needs data for 2025-Q2, "
                                            "which the data do not reach back to.")
    teams = ex.by_team(ds, "2026-Q2")
    labels = ex.plot_team_bookings(teams, "2026-Q2").axes[0].get_legend_handles_labels()[1]
    assert sorted(labels) == ["2026-Q2", "Quota"]            # no legend for a missing series
    html = ex.team_table(teams).to_html()
    assert "Last year" not in html and "Change" not in html


def test_team_table_has_a_totals_row(tiny):
    ds = Dataset.from_frames(**_with_last_year(tiny), as_of="2026-06-30")
    t = ex.team_totals(ex.by_team(ds, "2026-Q2")).set_index("team")
    total = t.loc["All teams"]
    assert total["bookings"] == 300 and total["quota"] == 3000 and total["attainment"] == 0.1
    assert total["bookings_last_year"] == 1100 and total["growth"] == pytest.approx(300 / 1100 - 1)
    assert total["win_rate"] == 0.5 and total["open_pipeline"] == 700
    # coverage of the totals = Σ open ÷ Σ quota still to close (0 + 1,400), not a sum of ratios
    assert total["coverage"] == pytest.approx(700 / 1400)
    assert "All teams" in ex.team_table(ex.by_team(ds, "2026-Q2")).to_html()


def test_totals_row_cycle_is_the_median_over_all_won_deals(tiny):
    # Q2 won: O4 (R1, 49 days), O7 (R1, 10 days), O8 (R2, 100 days); East's median 29.5,
    # West's 100; over all teams the median of 10, 49, 100 is 49 (not a mean of medians)
    tiny["opportunities"] = pd.concat([tiny["opportunities"], pd.DataFrame({
        "opportunity_id": ["O7", "O8"], "account_id": ["A1", "A2"], "rep_id": ["R1", "R2"],
        "stage": ["Won", "Won"], "status": ["won", "won"], "amount": ["50", "80"],
        "created_date": ["2026-05-31", "2026-03-12"], "close_date": ["2026-06-10", "2026-06-20"]})],
        ignore_index=True)
    ds = Dataset.from_frames(**tiny, as_of="2026-06-30")
    t = ex.team_totals(ex.by_team(ds, "2026-Q2")).set_index("team")
    assert t.loc["East", "cycle_days_median"] == 29.5 and t.loc["West", "cycle_days_median"] == 100
    assert t.loc["All teams", "cycle_days_median"] == 49
    assert t.loc["All teams", "cycle_days_median"] == ex.org_headline(ds, "2026-Q2")["cycle_days_median"]


def test_coverage_of_0_4_is_flagged_red(tiny):
    tiny["quotas"].loc[tiny["quotas"]["period"] == "2026-Q3", "quota"] = "1750"   # 700 / 1750
    ds = Dataset.from_frames(**tiny, as_of="2026-06-30")
    h = ex.org_headline(ds, "2026-Q2")
    assert h["coverage"] == pytest.approx(0.4)
    card = ex.org_kpi_cards(h, coverage_rag=(3.0, 2.0))[-1]
    assert card[1] == "0.4×" and card[3] == "red"
    assert "at risk" in ex.org_readings(h, (3.0, 2.0))["pipeline"]
    html = ex.team_table(ex.by_team(ds, "2026-Q2"), coverage_rag=(3.0, 2.0)).to_html()
    assert "#FBE1E1" in html                                  # the red cell
    # thresholds are parameters: at 0.3× amber the same 0.4× reads amber
    assert ex.org_kpi_cards(h, coverage_rag=(0.5, 0.3))[-1][3] == "amber"


def test_pipeline_outlook_without_close_dates_says_what_it_needs():
    h = pd.Series({"complete": True, "attainment": float("nan"), "bookings": 10.0,
                   "quota": float("nan"), "growth": float("nan"), "window_last_year": "2016-Q4",
                   "won": 1, "lost": 1, "win_rate": 0.5, "win_rate_low": 0.1,
                   "win_rate_high": 0.9, "win_rate_last_year": float("nan"),
                   "avg_deal_size": 10.0, "avg_deal_size_last_year": float("nan"),
                   "cycle_days_median": 5.0, "cycle_days_median_last_year": float("nan"),
                   "coverage": float("nan"), "open_pipeline": 0.0, "outlook_period": "2018-Q1",
                   "pipeline_dated": False})
    assert ex.org_readings(h)["pipeline"] == ("The pipeline outlook needs an expected close date "
                                              "and an amount for open deals, which the data do "
                                              "not have.")
    assert ex.org_readings(h)["bookings"] == ("Bookings of $10; attainment needs quotas, which "
                                              "the data do not have for this period.")
    h["pipeline_needs"], h["bookings_last_year"] = "an expected close date", float("nan")
    assert ex.org_readings(h)["pipeline"] == ("The pipeline outlook needs an expected close date "
                                              "for open deals, which the data do not have.")
    assert ex.org_kpi_cards(h)[-1][2] == "open deals need an expected close date"


def test_maven_open_deals_lack_only_a_close_date(shared_data):
    from salesops_lib import load_dataset

    ds = load_dataset(shared_data / "crm_sales_opportunities_maven", mapping="maven")
    h = ex.org_headline(ds, "2017-Q4")
    # open deals are valued at list price (the preset); what they lack is a close date
    assert not h["pipeline_dated"] and h["pipeline_needs"] == "an expected close date"


def test_team_reading_without_teams_or_quotas():
    assert ex.team_reading(pd.DataFrame(columns=ex.TEAM_KEYS)) == (
        "A view by team needs each rep's team, which the data do not have.")
    t = pd.DataFrame({"team": ["A", "B"], "bookings": [5.0, 9.0], "attainment": [float("nan")] * 2})
    assert ex.team_reading(t) == ("B booked the most ($9); attainment by team needs quotas, "
                                  "which the data do not have.")


def test_executive_and_rep_pages_share_the_cycle(sample_ds):
    from salesops_lib import performance as perf

    h = ex.org_headline(sample_ds, "2026-Q3")
    assert h["cycle_days_median"] == perf.rep_headline(sample_ds, "2026-Q3")["cycle_days_median"]


def test_attainment_is_judged_on_pace_while_the_period_runs(tiny):
    # as of 2026-05-20, 50 of Q2's 91 days are gone; $300 of $3,000 = 10% → pace 10% ÷ 55% = 18%
    ds = Dataset.from_frames(**tiny, as_of="2026-05-20")
    h = ex.org_headline(ds, "2026-Q2")
    assert h["elapsed"] == pytest.approx(50 / 91)
    assert ex.pace(0.45, 0.5) == pytest.approx(0.9) and ex.pace(0.45, 1.0) == 0.45
    card = ex.org_kpi_cards(h, attainment_rag=(0.15, 0.1))[0]
    assert card[3] == "green"                                  # 18% of pace ≥ 15%
    assert "55% of the period gone" in card[2]
    html = ex.team_table(ex.by_team(ds, "2026-Q2"), elapsed=h["elapsed"]).to_html()
    assert "of pace (55% of the period gone)" in html


def test_team_reading_mid_period_speaks_of_pace():
    t = pd.DataFrame({"team": ["A", "B"], "bookings": [60.0, 20.0], "quota": [100.0, 100.0],
                      "attainment": [0.6, 0.2]})
    assert ex.team_reading(t, elapsed=0.5) == (
        "With 50% of the period gone, 1 of 2 teams is on pace for quota. A leads at 60% of "
        "quota; B trails at 20%.")
    both = t.assign(attainment=[0.6, 0.5])
    assert "2 of 2 teams are on pace" in ex.team_reading(both, elapsed=0.5)


def test_team_reading_when_every_team_reached_quota():
    # closed period, both teams above quota: the lowest is $10 above its quota, not "-$10 short"
    t = pd.DataFrame({"team": ["A", "B"], "bookings": [150.0, 110.0], "quota": [100.0, 100.0],
                      "attainment": [1.5, 1.1]})
    assert ex.team_reading(t) == ("2 of 2 teams reached quota. A leads at 150%; B is lowest at "
                                  "110%, $10 above its quota.")
    short = t.assign(bookings=[150.0, 80.0], attainment=[1.5, 0.8])
    assert ex.team_reading(short).endswith("B trails at 80% ($20 short).")


def test_executive_and_rep_pages_share_the_period_gone(sample_ds):
    """The rep page's "Team attainment 35%" on the open quarter gave no share of the period
    gone, which the executive summary states (46 of 92 days)."""
    from salesops_lib import performance as perf

    h = ex.org_headline(sample_ds, "2026-Q4")
    r = perf.rep_headline(sample_ds, "2026-Q4")
    assert r["elapsed"] == h["elapsed"] == pytest.approx(46 / 92)
    assert "50% of the period gone" in perf.rep_kpi_cards(r)[0][2]
    assert perf.rep_headline(sample_ds, "2026-Q3")["elapsed"] == 1.0


def test_month_and_year_pages_read_coverage_on_a_quarter(tiny):
    """Coverage's 3× target is a quarter's: the closed year 2025 read its whole next year's
    pipeline (0.5× on 31 Dec 2025, "at risk"); a year or month page now reads the quarter
    holding the report date while it runs, the quarter after it once over."""
    ds = Dataset.from_frames(**tiny, as_of="2026-11-15")
    cases = {"2025": "2026-Q1", "2026": "2026-Q4", "2026-09": "2026-Q4", "2026-11": "2026-Q4",
             "2026-Q3": "2026-Q4", "2026-Q4": "2026-Q4", "2026-06": "2026-Q3",
             "2027-Q1": "2027-Q1"}
    for period, quarter in cases.items():
        assert ex.outlook_period(ds, period).label == quarter, period
