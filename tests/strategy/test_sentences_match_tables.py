"""The strategy page's sentences quote the rows of the tables beside them, and its tables show
only what they can stand behind (defects found on the rendered 2026-Q4 sample page)."""

from __future__ import annotations

import pandas as pd
import pytest

from salesops_lib import Dataset, strategy
from salesops_lib.territory.geo import haversine_km

from .conftest import economics_frame
from .test_tables_fit import CMP, PLAN


def test_like_for_like_sentence_quotes_the_matched_row_as_matched():
    """"on comparable deals (same segment, account size, industry and product) it is 5.2 points
    below" quoted the weighted row (-5.2); the matched row on those four is -7.6."""
    cmp = CMP.copy()
    cmp.attrs.update(CMP.attrs, mix_explained=-0.087 + 0.052, mix_share=(-0.087 + 0.052) / -0.087)
    text = strategy.reading_comparison(cmp)
    assert ("on matched deals (same segment, account size, industry and product) it is 7.6 points "
            "below inside's (-14.2 points to -1.0 points)") in text
    assert ("on all deals weighted to the same mix for field and inside it is 5.2 points below "
            "inside's (-9.8 points to -0.6 points)") in text
    assert "by the weighted estimate, deal mix explains 40% of the raw gap" in text
    # each phrase is the table's own row
    rows = strategy.narrative.comparison_rows()
    assert "same segment, account size, industry and product" in rows["stratified"]
    assert "weighted to the same mix for field and inside" in rows["weighted"]


def test_what_if_sentences_sign_the_changes():
    """"total bookings $30.8M a year ($14.6k)": the change had no sign and no word saying it
    was one."""
    plan = PLAN.copy()
    plan.attrs.update({"from_motion": "field", "to_motion": "inside", "accounts_moved": 366,
                       "group": "SMB accounts", "bookings_change_low": -60.9e3,
                       "bookings_change_high": 90.0e3})
    text = strategy.reading_what_if(plan)
    assert "total bookings $30.8M a year (+$14.6k against today)" in text
    assert "sales cost $8.8M (-$546.7k against today)" in text
    rec = pd.DataFrame({"segment": ["SMB"], "recommended": ["inside"], "clear": [True]})
    head = strategy.headline(rec, plan)
    assert ("Move 366 SMB accounts from field to inside, a year against today: bookings +$14.6k "
            "(95% interval -$60.9k to +$90.0k), sales cost -$546.7k, contribution +$561.3k.") in head


def test_economics_table_hides_per_fte_rates_over_too_little_rep_time():
    """Inside "$100k and over": 2 deals on 0.0 FTE-years read as $11.5M booked per FTE."""
    e = economics_frame(
        "size_band", ("$100k and over", "$100k and over"), "All deal sizes",
        deals=[63, 2, 65], win_rate=[0.27, 0.5, 0.28],
        win_rate_low=[0.18, 0.09, 0.19], win_rate_high=[0.39, 0.91, 0.40],
        avg_deal_size=[179.2e3, 161.8e3, 178.6e3], cycle_days_median=[82, 172, 84],
        fte=[0.42, 0.014, 0.434], bookings=[3.0e6, 161.8e3, 3.16e6],
        bookings_per_fte=[7.1e6, 11.5e6, 7.3e6], cost=[103.9e3, 1.5e3, 105.4e3],
        cost_of_sale=[0.03, 0.01, 0.03], contribution_per_fte=[6.9e6, 11.4e6, 7.0e6])
    sty = strategy.economics_table(e)
    d = sty.data.set_index("motion")
    assert d.loc["Inside", ["Bookings per FTE", "Contribution per FTE"]].isna().all()
    assert d.loc["Field", "Bookings per FTE"] == 7.1e6          # 0.42 FTE-years: shown
    assert d.loc["Inside", "bookings"] == 161.8e3                # its totals stay
    html = sty.to_html()
    assert "$11.5M" not in html and "$11.4M" not in html
    assert "less than 0.25 FTE-years of rep time" in html         # the caption says why
    # no thin row: no caption
    assert "FTE-years of rep time" not in strategy.economics_table(e.iloc[[0, 2]]).to_html()
    assert "FTE-years of rep time" in strategy.economics_table(e, min_fte=0.5).to_html()


def _two_namesakes() -> Dataset:
    """Field reps R1 and R2 share the name Ann Lee (teams East and West); R3 is inside. On the
    equator: R1's home at longitude 0 with A0 (0°, 100) and A1 (1°, 300); R2's at 10° with A2
    (10°, 50) and A3 (11°, 10); A4 is the inside rep's."""
    acc = pd.DataFrame({"account_id": ["A0", "A1", "A2", "A3", "A4"], "account_name": list("vwxyz"),
                        "segment": ["Mid-Market", "Mid-Market", "Mid-Market", "SMB", "SMB"],
                        "latitude": [0.0] * 5, "longitude": [0.0, 1.0, 10.0, 11.0, 12.0],
                        "potential": [100.0, 300.0, 50.0, 10.0, 5.0],
                        "owner_rep_id": ["R1", "R1", "R2", "R2", "R3"]})
    reps = pd.DataFrame({"rep_id": ["R1", "R2", "R3"], "rep_name": ["Ann Lee", "Ann Lee", "Bo Li"],
                         "team": ["East", "West", "Inside"], "role": ["field", "field", "inside"],
                         "capacity": [1.0, 1.0, 1.0], "home_latitude": [0.0] * 3,
                         "home_longitude": [0.0, 10.0, 12.0]})
    opp = pd.DataFrame({"opportunity_id": ["O1"], "account_id": ["A0"], "rep_id": ["R1"],
                        "stage": ["won"], "status": ["won"], "amount": [10.0],
                        "created_date": ["2026-01-01"], "close_date": ["2026-02-01"]})
    return Dataset.from_frames(accounts=acc, reps=reps, opportunities=opp, as_of="2026-06-30")


def _plan_moving(ids, field_reps_needed) -> pd.DataFrame:
    plan = pd.DataFrame({"motion": ["field", "inside", "total"],
                         "reps_needed": [field_reps_needed, 1, field_reps_needed + 1]})
    plan.attrs["moved_ids"] = list(ids)
    return plan


def test_territory_change_travel_is_potential_weighted_before_and_after_and_says_so():
    """"travel 316 km per account on average (today 157 km)": both figures are the
    potential-weighted distance to the rep's home (the territory design page's measure), not
    a plain average per account; the sentence now says which, for both."""
    ds = _two_namesakes()
    tc = strategy.territory_change(ds, _plan_moving(["A3"], 1), time_limit=2)
    deg = float(haversine_km(0.0, 0.0, 0.0, 1.0))
    # today: A1 is 1° from R1's home, A3 1° from R2's; weighted by potential over the four
    before = (300 * deg + 10 * deg) / 460
    # after: R1 (more potential left) keeps A0, A1 and takes A2, 10° from home
    after = (300 * deg + 50 * float(haversine_km(0.0, 10.0, 0.0, 0.0))) / 450
    assert tc.summary["travel_km_before"] == pytest.approx(before)
    assert tc.summary["travel_km_after"] == pytest.approx(after)
    plain_after = (deg + float(haversine_km(0.0, 10.0, 0.0, 0.0))) / 3
    assert abs(after - plain_after) > 100                       # the definitions differ here
    text = strategy.reading_territory(tc)
    assert "per account on average" not in text
    assert (f"Travel, the potential-weighted distance from each account to its rep's home: "
            f"{after:,.0f} km (today {before:,.0f} km, measured the same way") in text
    html = strategy.territory_table(tc).to_html()
    assert "potential-weighted km from each account to its rep" in html


def test_territory_change_table_tells_namesakes_apart_when_one_is_released():
    """The page showed a bare "Elena Larsen" row: her namesake was released, so the kept
    reps alone held the name once. Names come from every rep of the data, as on the other
    pages (measures.rep_names_by_id)."""
    ds = _two_namesakes()
    tc = strategy.territory_change(ds, _plan_moving(["A3"], 1), time_limit=2)
    assert tc.territories["rep_id"].tolist() == ["R1"]
    html = strategy.territory_table(tc).to_html()
    assert "Ann Lee (East)" in html and ">Ann Lee<" not in html
