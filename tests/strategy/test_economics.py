"""Channel economics on a hand-made org: every figure computed on paper."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from salesops_lib import Dataset, strategy
from salesops_lib.strategy.economics import rep_fte, time_shares

from .conftest import YEARS_2026, tiny_frames, year_2026


def wilson(k, n, z=1.959963984540054):
    p = k / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z / (1 + z * z / n) * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    return centre - half, centre + half


def test_window_is_the_periods_back_ending_with_period(tiny_ds):
    f = tiny_frames()                  # bookings observed before the window: O1 closes Sep 2025
    f["opportunities"].loc[0, ["created_date", "close_date"]] = ["2025-08-10", "2025-09-09"]
    w = strategy.window(Dataset.from_frames(**f, as_of="2026-12-31"), "2026-Q3", 4)
    assert (w.start, w.end) == (pd.Timestamp("2025-10-01"), pd.Timestamp("2026-09-30"))
    assert w.label == "2025-Q4 to 2026-Q3"
    assert w.years == pytest.approx(365 / 365.25)
    cut = strategy.window(tiny_ds.__class__.from_frames(**tiny_frames(), as_of="2026-08-15"),
                          "2026-Q3", 1)
    assert cut.end == pd.Timestamp("2026-08-15")
    with pytest.raises(ValueError, match="periods_back"):
        strategy.window(tiny_ds, "2026-Q3", 0)
    with pytest.raises(ValueError, match="kind"):
        strategy.window(tiny_ds, "2026-Q3", 4, kind="week")
    with pytest.raises(ValueError, match="starts after"):
        strategy.window(tiny_ds, "2028-Q1", 1)


def test_periods_back_counts_quarters_on_every_page_kind():
    """A year page's ``periods_back=4`` meant four *years* (2023 to 2026), a month page's four
    months: each page's cost of sale covered a different span. It counts quarters now: the
    trailing twelve months by default, whatever the page."""
    f = tiny_frames()                  # bookings observed from Jan 2025 (a deal closed then)
    f["opportunities"].loc[0, ["created_date", "close_date"]] = ["2024-12-01", "2025-01-15"]
    ds = Dataset.from_frames(**f, as_of="2026-12-31")
    year = strategy.window(ds, "2026", 4)
    assert (year.start, year.end, year.label) == (pd.Timestamp("2026-01-01"),
                                                  pd.Timestamp("2026-12-31"), "2026")
    quarter = strategy.window(ds, "2026-Q4", 4)
    assert (quarter.start, quarter.end) == (year.start, year.end)
    assert quarter.label == "2026-Q1 to 2026-Q4"
    month = strategy.window(ds, "2026-08", 4)           # Sep 2025 – Aug 2026: 365 days
    assert (month.start, month.end) == (pd.Timestamp("2025-09-01"), pd.Timestamp("2026-08-31"))
    assert month.label == "2025-09 to 2026-08" and month.years == pytest.approx(365 / 365.25)
    assert strategy.window(ds, "2026", 8).label == "2025-Q1 to 2026"
    assert strategy.window(ds, "2026", 1).label == "2026-Q4"          # Oct – Dec 2026
    # whole years when asked for
    two = strategy.window(ds, "2026", 2, kind="year")
    assert (two.start, two.label) == (pd.Timestamp("2025-01-01"), "2025 to 2026")
    # the year page and the quarter page on it give the same economics
    e_year = strategy.economics(ds, year).set_index("motion")
    e_quarter = strategy.economics(ds, quarter).set_index("motion")
    assert e_year["bookings_per_fte"].tolist() == e_quarter["bookings_per_fte"].tolist()
    # field: O2 5000 booked in 2026 (O1 closed in Jan 2025), R1 full time all year
    assert e_year.loc["field", "bookings_per_fte"] == pytest.approx(5000 / (365 / 365.25))
    # a year page in progress is named by the quarters it covers, as its last quarter's page is
    ds_nov = Dataset.from_frames(**f, as_of="2026-11-15")
    assert strategy.window(ds_nov, "2026", 4).label == "2026-Q1 to 15 Nov 2026"
    assert strategy.window(ds_nov, "2026-Q4", 4).label == "2026-Q1 to 15 Nov 2026"


def test_economics_per_motion_by_hand(tiny_ds):
    w = year_2026()
    e = strategy.economics(tiny_ds, w, assume=strategy.assumptions(200_000, 110_000, 250, 1_500))
    f = e.set_index("motion").loc["field"]
    i = e.set_index("motion").loc["inside"]
    Y = YEARS_2026
    assert (f["deals"], f["won"], f["lost"]) == (3, 2, 1)
    assert f["win_rate"] == pytest.approx(2 / 3)
    lo, hi = wilson(2, 3)
    assert (f["win_rate_low"], f["win_rate_high"]) == (pytest.approx(lo), pytest.approx(hi))
    assert f["bookings"] == 6000 and f["avg_deal_size"] == 3000
    assert f["cycle_days_median"] == 60           # won deals of 30 and 90 days
    assert f["fte"] == pytest.approx(Y) and f["visits"] == 2
    cost = Y * 200_000 + 2 * 250
    assert f["cost"] == pytest.approx(cost)
    assert f["bookings_per_fte"] == pytest.approx(6000 / Y)
    assert f["cost_of_sale"] == pytest.approx(cost / 6000)
    assert f["contribution"] == pytest.approx(6000 - cost)
    assert f["contribution_per_fte"] == pytest.approx((6000 - cost) / Y)
    assert f["contribution_per_hour"] == pytest.approx((6000 - cost) / (Y * 1500))
    assert (i["deals"], i["won"], i["bookings"], i["visits"]) == (2, 1, 400, 0)
    assert i["cost"] == pytest.approx(Y * 110_000)


def test_economics_totals_rows_recompute_every_ratio(tiny_ds):
    w = year_2026()
    a = strategy.assumptions(200_000, 110_000, 250, 1_500)
    e = strategy.economics(tiny_ds, w, assume=a, totals=True)
    assert e["motion"].tolist() == ["field", "inside", "All motions"]
    t = e.iloc[-1]
    Y = YEARS_2026
    cost = Y * 200_000 + 2 * 250 + Y * 110_000          # each motion at its own rate
    assert (t["deals"], t["won"], t["lost"], t["visits"]) == (5, 3, 2, 2)
    assert t["bookings"] == 6400 and t["fte"] == pytest.approx(2 * Y)
    assert t["cost"] == pytest.approx(cost)
    assert t["win_rate"] == pytest.approx(3 / 5)
    lo, hi = wilson(3, 5)
    assert (t["win_rate_low"], t["win_rate_high"]) == (pytest.approx(lo), pytest.approx(hi))
    assert t["avg_deal_size"] == pytest.approx(6400 / 3)
    assert t["cycle_days_median"] == 30                  # won deals of 30, 90 and 20 days
    assert t["cost_of_sale"] == pytest.approx(cost / 6400)
    assert t["contribution_per_hour"] == pytest.approx((6400 - cost) / (2 * Y * 1500))
    # without totals the frame is unchanged (plots and readings use it)
    plain = strategy.economics(tiny_ds, w, assume=a)
    pd.testing.assert_frame_equal(e.iloc[:2].reset_index(drop=True), plain, check_dtype=False)
    # split by segment: a subtotal for field (two segments) equal to the unsplit field row;
    # inside works one segment only, so its row is its own total; then the total
    s = strategy.economics(tiny_ds, w, by="segment", assume=a, totals=True)
    sub = s[s["segment"] == "All segments"].set_index("motion")
    assert sub.index.tolist() == ["field", "All motions"]
    by_motion = e.set_index("motion").loc[["field", "All motions"]]
    for col in ("deals", "won", "bookings", "fte", "cost", "cycle_days_median", "win_rate"):
        assert sub[col].to_numpy() == pytest.approx(by_motion[col].to_numpy()), col
    assert s.tail(2)["segment"].eq("All segments").all() and len(s) == 3 + 2



def test_economics_totals_without_roles_add_only_what_is_not_already_a_row(bare_ds):
    w = year_2026()
    assert strategy.economics(bare_ds, w, totals=True)["motion"].tolist() == ["all reps"]
    s = strategy.economics(bare_ds, w, by="segment", totals=True)
    assert s["segment"].tolist() == ["Enterprise", "SMB", "All segments"]
    assert s.iloc[-1]["deals"] == 5 and s.iloc[-1]["bookings"] == 6400


def test_economics_table_marks_the_totals_rows(tiny_ds):
    w = year_2026()
    e = strategy.economics(tiny_ds, w, by="segment", totals=True)
    sty = strategy.economics_table(e)
    sty._compute()
    bold = sorted({r for (r, _c), props in sty.ctx.items() if ("font-weight", "700") in props})
    assert bold == [len(e) - 2, len(e) - 1]                   # field's subtotal and the total
    html = sty.to_html()
    assert "All segments" in html and "All motions" in html
    assert ">Field<" in html and ">field<" not in html       # motions read as the charts do


def test_economics_by_segment_splits_rep_time_by_activity_minutes(tiny_ds):
    w = year_2026()
    e = strategy.economics(tiny_ds, w, by="segment").set_index(["motion", "segment"])
    Y = YEARS_2026
    # R1 logged 30 minutes on its SMB account and 90 on its Enterprise account
    assert e.loc[("field", "SMB"), "fte"] == pytest.approx(0.25 * Y)
    assert e.loc[("field", "Enterprise"), "fte"] == pytest.approx(0.75 * Y)
    assert e.loc[("field", "Enterprise"), "visits"] == 2
    assert e.loc[("field", "Enterprise"), "cost"] == pytest.approx(0.75 * Y * 200_000 + 500)
    assert e.loc[("field", "SMB"), "bookings"] == 1000
    assert e.loc[("inside", "SMB"), "fte"] == pytest.approx(Y)
    # the split keeps the totals
    total = strategy.economics(tiny_ds, w)
    assert e["fte"].sum() == pytest.approx(total["fte"].sum())
    assert e["cost"].sum() == pytest.approx(total["cost"].sum())


def test_time_shares_fall_back_to_deals_without_minutes(tiny_ds):
    f = tiny_frames()
    f["activities"] = f["activities"].drop(columns="duration_min")
    ds = Dataset.from_frames(**f, as_of="2026-12-31")
    w = year_2026()
    sh = time_shares(ds, w, "segment").set_index(["rep_id", "segment"])["share"]
    assert sh[("R1", "SMB")] == pytest.approx(1 / 3)     # one of its three closed deals
    assert sh[("R1", "Enterprise")] == pytest.approx(2 / 3)


def test_rep_fte_prorates_a_mid_window_hire():
    f = tiny_frames()
    f["reps"].loc[1, "hire_date"] = "2026-07-02"
    ds = Dataset.from_frames(**f, as_of="2026-12-31")
    fte = rep_fte(ds, year_2026()).set_index("rep_id")["fte"]
    assert fte["R2"] == pytest.approx(183 / 365 * YEARS_2026)
    assert fte["R1"] == pytest.approx(YEARS_2026)


def test_size_band_edges():
    b = strategy.size_band(pd.Series([4_999, 5_000, 25_000, 100_000]))
    assert list(b.astype(str)) == ["under $5k", "$5k–25k", "$25k–100k", "$100k and over"]


def test_without_roles_every_rep_is_one_motion(bare_ds):
    w = year_2026()
    e = strategy.economics(bare_ds, w)
    assert list(e["motion"]) == [strategy.ALL_REPS]
    assert e["bookings"].iloc[0] == 6400 and e["visits"].iloc[0] == 0
    assert not strategy.has_roles(bare_ds)


def test_bad_parameters(tiny_ds):
    w = year_2026()
    with pytest.raises(ValueError, match="split by"):
        strategy.economics(tiny_ds, w, by="planet")
    with pytest.raises(ValueError, match="travel_cost_per_visit"):
        strategy.assumptions(travel_cost_per_visit=-1)
    with pytest.raises(ValueError, match="capacity_hours"):
        strategy.assumptions(capacity_hours=0)
    # a role other than field or inside is costed at the field rate
    assert strategy.assumptions(200_000, 90_000).cost_of(["partner", "inside"]).tolist() == [200_000, 90_000]


def test_a_split_the_data_cannot_make_says_what_it_needs(bare_ds):
    """Every account without a region: one "(unassigned)" row would repeat the economics by
    motion (the Maven export showed such tables under "by segment" and "by region")."""
    import dataclasses

    w = year_2026()
    ds = dataclasses.replace(bare_ds, accounts=bare_ds.accounts.assign(region=None))
    e = strategy.economics(ds, w, by="region", totals=True)
    assert e.attrs["missing"] == ("This split needs each account's region (accounts.region), "
                                  "which the data do not have.")
    assert "needs each account&#x27;s region" in strategy.economics_table(e).data
    # a split the data can make is shown as before
    assert "missing" not in strategy.economics(bare_ds, w, by="segment").attrs


def test_window_in_progress_is_a_rate_over_the_days_to_date_and_says_so():
    # bookings observed from 1 Jan 2026 (O1 closes on 9 Jan); as of 30 Jun 2026, "2026-Q1 to
    # 2026-Q4" spans 1 Jan – 30 Jun: 181 days, never 4 quarters
    f = tiny_frames()
    f["opportunities"].loc[0, ["created_date", "close_date"]] = ["2025-12-10", "2026-01-09"]
    ds = Dataset.from_frames(**f, as_of="2026-06-30")
    w = strategy.window(ds, "2026-Q4", 4)
    assert (w.start, w.end) == (pd.Timestamp("2026-01-01"), pd.Timestamp("2026-06-30"))
    assert w.label == "2026-Q1 to 30 Jun 2026"
    assert w.years == pytest.approx(181 / 365.25)
    e = strategy.economics(ds, w).set_index("motion")
    # field: O1 1000 + O2 5000 won by 30 Jun, R1 full time for the 181 days
    assert e.loc["field", "fte"] == pytest.approx(181 / 365.25)
    assert e.loc["field", "bookings_per_fte"] == pytest.approx(6000 / (181 / 365.25))
    # inside: O4 400
    assert e.loc["inside", "bookings_per_fte"] == pytest.approx(400 / (181 / 365.25))
    assert e.attrs["window"] == "2026-Q1 to 30 Jun 2026"
    assert strategy.window(ds, "2026-Q2", 2).label == "2026-Q1 to 2026-Q2"  # over: unchanged


def test_window_starts_when_the_data_observe_bookings():
    """The public Maven export has deals created from Oct 2016 but none closed before March
    2017: its 2017-Q2 page counted reps' cost from October with nothing booked in those months
    (a cost of sale of 106%). Deals here are created from 15 Jul 2025, the first closes on
    9 Feb 2026: the window starts on 1 Feb 2026, not at the first created deal."""
    f = tiny_frames()
    f["opportunities"]["created_date"] = f["opportunities"]["created_date"].str.replace(
        "2026-01-10", "2025-07-15")
    ds = Dataset.from_frames(**f, as_of="2026-12-31")
    w = strategy.window(ds, "2026-Q4", 4)
    assert (w.start, w.end) == (pd.Timestamp("2026-02-01"), pd.Timestamp("2026-12-31"))
    assert w.label == "Feb 2026 to 2026-Q4"
    days = (pd.Timestamp("2026-12-31") - pd.Timestamp("2026-02-01")).days + 1     # 334
    assert w.years == pytest.approx(days / 365.25)
    e = strategy.economics(ds, w, assume=strategy.assumptions(200_000, 110_000, 250, 1_500))
    f_row = e.set_index("motion").loc["field"]
    # field books O1 1000 + O2 5000 with R1 full time over the 334 days (not 549 from Jul 2025)
    assert f_row["fte"] == pytest.approx(days / 365.25)
    assert f_row["bookings_per_fte"] == pytest.approx(6000 / (days / 365.25))
    assert f_row["cost_of_sale"] == pytest.approx((days / 365.25 * 200_000 + 2 * 250) / 6000)
    # a window after the first close is unchanged, and one wholly before it is an error
    assert strategy.window(ds, "2026-Q4", 2).label == "2026-Q3 to 2026-Q4"
    with pytest.raises(ValueError, match="before the data show bookings"):
        strategy.window(ds, "2025-Q4", 1)
