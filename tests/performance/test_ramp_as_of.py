"""The ramp "as of" a date uses only what was known then: data added after it change nothing.

Tiny org, worked out by hand (productivity measure: a month's bookings / a ramped rep's mean
month; defaults steady_after=12, max_months=24, threshold 0.8, trailing three-month mean):

    v  veteran, hired 2020-01-01: wins 100 every month Jan..Oct 2026 (a ramped month = 100)
    h  hired 2026-01-01: wins 0, 90, 90, 90, 90, 90 in Jan..Jun; the June deal (h6, won 20 Jun
       at 90) is edited to 500 on 1 Sep; then 10 a month Jul..Oct
    n  hired 2026-08-01: wins nothing (Aug..Oct)

As of 30 Jun 2026 (what the 2026-Q2 page knew): complete months Jan..Jun, only h on the
curve: 0, .9, .9, .9, .9, .9; smoothed 0, .45, .6, .9, .9, .9 -> ramped at month 3, stays
through month 5; one hire.

As of the data's date (15 Nov 2026, the default): months Jan..Oct, h and n on the curve:
    month 0: (0 + 0)/2 = 0, 1: (.9 + 0)/2 = .45, 2: .45, 3: .9, 4: .9, 5: 5.0 (the edit),
    6..9: .1
    smoothed: 0, .225, .3, .6, .75, 2.267, 2.0, 1.733, .1, .1 -> ends below: not ramped; two hires.
"""

from __future__ import annotations

import pandas as pd
import pytest

from salesops_lib import compensation as comp
from salesops_lib.data import Dataset
from salesops_lib.measures import report_date
from salesops_lib.performance import consistency as cons

AS_OF = "2026-06-30"
H = [0, 90, 90, 90, 90, 90, 10, 10, 10, 10]          # h's wins Jan..Oct (as first recorded)


def _deals():
    """(id, rep, amount, won on) of every deal, with the amount it was won at."""
    out = [(f"v{m}", "v", 100.0, f"2026-{m:02d}-20") for m in range(1, 11)]
    out += [(f"h{m}", "h", float(a), f"2026-{m:02d}-20") for m, a in enumerate(H, start=1) if a]
    return out


def org(known_by: str | None = None) -> Dataset:
    """The org with everything (``known_by`` None, as of 15 Nov 2026), or only what was known
    at the end of ``known_by`` (deals won by then, as they stood; reps hired by then)."""
    end = pd.Timestamp(known_by) if known_by else None
    opps, hist = [], []
    for oid, rep, amt, won in _deals():
        created = pd.Timestamp(won) - pd.Timedelta(days=10)
        if end is not None and pd.Timestamp(won) > end:
            continue
        hist.append((oid, created, "Proposal", "open", amt, won, rep))
        hist.append((oid, pd.Timestamp(won), "Closed Won", "won", amt, won, rep))
        final = amt
        if oid == "h6" and end is None:          # edited after the as-of date
            final = 500.0
            hist.append((oid, pd.Timestamp("2026-09-01"), "Closed Won", "won", final, won, rep))
        opps.append((oid, rep, "a1", "Closed Won", "won", final, created, won))
    reps = pd.DataFrame({"rep_id": ["v", "h", "n"], "rep_name": ["Vet", "Hire", "New"],
                         "role": ["field"] * 3,
                         "hire_date": pd.to_datetime(["2020-01-01", "2026-01-01", "2026-08-01"])})
    if end is not None:
        reps = reps[reps["hire_date"] <= end]
    return Dataset.from_frames(
        accounts=pd.DataFrame({"account_id": ["a1"], "account_name": ["Acme"]}), reps=reps,
        opportunities=pd.DataFrame(opps, columns=["opportunity_id", "rep_id", "account_id",
                                                  "stage", "status", "amount", "created_date",
                                                  "close_date"]),
        opportunity_history=pd.DataFrame(hist, columns=["opportunity_id", "changed_at", "stage",
                                                        "status", "amount", "close_date",
                                                        "rep_id"]),
        as_of=known_by or "2026-11-15")


def same(a: dict, b: dict) -> bool:
    """Two ramp summaries alike (NaN equal to NaN)."""
    return a.keys() == b.keys() and all(a[k] == b[k] or (pd.isna(a[k]) and pd.isna(b[k]))
                                        for k in a)


@pytest.fixture(scope="module")
def full():
    return org()


@pytest.fixture(scope="module")
def then():
    return org(AS_OF)


def test_data_after_the_as_of_date_change_neither_curve_nor_time(full, then):
    curve, s = cons.ramp(full, as_of=AS_OF, n_boot=50)
    known_curve, known_s = cons.ramp(then, n_boot=50)
    pd.testing.assert_frame_equal(curve, known_curve)
    assert same(s, known_s)
    # the hand values: h alone, Jan..Jun, the June deal at the 90 it was won at
    assert curve["value"].tolist() == pytest.approx([0, .9, .9, .9, .9, .9])
    assert curve["smoothed"].tolist() == pytest.approx([0, .45, .6, .9, .9, .9])
    assert s["ramp_months"] == 3 and s["months_observed"] == 5 and s["hires"] == 1
    assert "at month 3 of tenure and stays there through month 5" in cons.reading_ramp(s)
    # a date inside a month: the last month complete by then (June), as of 15 Jul
    assert same(cons.ramp(full, as_of="2026-07-15", n_boot=50)[1], s)


def test_default_still_uses_every_deal_to_the_last_complete_month(full):
    curve, s = cons.ramp(full, n_boot=50)
    assert curve["value"].tolist() == pytest.approx([0, .45, .45, .9, .9, 5, .1, .1, .1, .1])
    assert curve["reps"].tolist() == [2, 2, 2, 1, 1, 1, 1, 1, 1, 1]
    assert curve["smoothed"].tolist() == pytest.approx(
        [0, .225, .3, .6, .75, 6.8 / 3, 2.0, 5.2 / 3, .1, .1])
    assert pd.isna(s["ramp_months"]) and s["months_observed"] == 9 and s["hires"] == 2
    # as of the data's own date (or later: nothing later is known) is the default
    for date in (full.as_of, "2030-01-01"):
        c2, s2 = cons.ramp(full, as_of=date, n_boot=50)
        pd.testing.assert_frame_equal(curve, c2)
        assert same(s2, s)


def test_the_2026_q2_page_ramp_is_as_of_its_report_date(full):
    # the rep performance notebook's call
    _, s = cons.ramp(full, as_of=report_date(full, "2026-Q2"), n_boot=50)
    assert s["ramp_months"] == 3 and s["hires"] == 1


def test_capacity_ramp_uses_only_what_was_known_before_the_period(full, then):
    # the quotas notebook's call: capacity for 2026-Q3, ramp as of 30 Jun (known_before)
    known = comp.known_before(full, "2026-Q3")
    assert known == pd.Timestamp(AS_OF)
    a = comp.bottom_up(full, "2026-Q3", ramp=cons.ramp(full, as_of=known)[0]).set_index("rep_id")
    b = comp.bottom_up(then, "2026-Q3", ramp=cons.ramp(then)[0]).set_index("rep_id")
    # v and h (tenure ~7.5 months at mid-Q3, past the curve known then) are at 1 either way
    assert a.loc[["v", "h"], "ramp"].tolist() == pytest.approx(b.loc[["v", "h"], "ramp"].tolist())
    # n, hired in August, is at tenure ~0.48 at mid-Q3: the curve known in June rises from 0 to
    # .9 over month 0..1 (h's), not to .45 (the later mix with n's own zeros, default curve)
    t = a.loc["n", "tenure_months"]
    assert 0.4 < t < 0.5 and a.loc["n", "ramp"] == pytest.approx(0.9 * t)
    late = comp.bottom_up(full, "2026-Q3", ramp=cons.ramp(full)[0]).set_index("rep_id")
    assert late.loc["n", "ramp"] == pytest.approx(0.45 * t)          # what the leak gave
