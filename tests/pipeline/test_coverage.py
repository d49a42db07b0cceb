"""Coverage of the remaining quota against the coverage the realised win rate requires."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from salesops_lib import pipeline

from .conftest import history_ds

ROWS = [("W1", "2026-09-01", "open", 300, "2026-10-10", "R1"),
        ("W1", "2026-10-10", "won", 300, "2026-10-10", "R1"),
        ("P1", "2026-09-15", "open", 600, "2026-12-01", "R2"),
        ("P2", "2026-09-15", "open", 400, "2027-01-15", "R1"),     # next quarter: not counted
        ("H1", "2026-01-10", "open", 200, "2026-03-01", "R1"),
        ("H1", "2026-03-01", "won", 200, "2026-03-01", "R1"),
        ("H2", "2026-01-10", "open", 600, "2026-05-01", "R2"),
        ("H2", "2026-05-01", "lost", 600, "2026-05-01", "R2")]
QUOTAS = pd.DataFrame({"rep_id": ["R1", "R2"], "period": ["2026-Q4", "2026-Q4"],
                       "quota": [1000.0, 500.0]})


def test_coverage_by_hand():
    ds = history_ds(ROWS, as_of="2026-11-15", quotas=QUOTAS)
    c = pipeline.coverage(ds, "2026-Q4", by="team").set_index("group")
    e = c.loc["East"]
    assert (e["pipeline"], e["booked"], e["quota"], e["remaining"]) == (600, 300, 1500, 1200)
    assert e["coverage"] == pytest.approx(0.5)
    assert e["win_rate"] == pytest.approx(0.25) and e["required"] == pytest.approx(4.0)
    assert e["required_low"] <= e["required_high"] and e["required_low"] >= 1.0
    assert e["verdict"] == "short"


def test_coverage_without_quotas_says_so():
    ds = history_ds(ROWS, as_of="2026-11-15")
    c = pipeline.coverage(ds, "2026-Q4", by=None)
    assert np.isnan(c["coverage"].iloc[0]) and c["verdict"].iloc[0] == "unknown"
    assert "needs quotas" in pipeline.reading_coverage(c)
    # no table of dashes under the sentence (a Salesforce export without quotas showed one)
    assert pipeline.coverage_table(c) is None


def test_coverage_interval_is_seeded():
    ds = history_ds(ROWS, as_of="2026-11-15", quotas=QUOTAS)
    a = pipeline.coverage(ds, "2026-Q4", seed=3)
    b = pipeline.coverage(ds, "2026-Q4", seed=3)
    pd.testing.assert_frame_equal(a, b)


def test_a_finished_period_has_nothing_left_to_cover():
    ds = history_ds(ROWS, as_of="2027-01-15", quotas=QUOTAS)
    c = pipeline.coverage(ds, "2026-Q4", by="team")
    assert (c["verdict"] == "period over").all() and c["coverage"].isna().all()
    assert c.set_index("group").loc["East", "booked"] == 300
    assert pipeline.reading_coverage(c).startswith("The period is over")
    assert pipeline.coverage_table(c) is None                # the reading already said why


def test_lost_deals_without_amounts_give_a_win_rate_by_count():
    # like the Maven export: lost deals carry amount 0, so won $ / closed $ would read 100%
    rows = [r if r[0] != "H2" else (r[0], r[1], r[2], 0, r[4], r[5]) for r in ROWS]
    rows += [("H3", "2026-01-10", "open", 0, "2026-06-01", "R1"),
             ("H3", "2026-06-01", "lost", 0, "2026-06-01", "R1")]
    ds = history_ds(rows, as_of="2026-11-15", quotas=QUOTAS)
    c = pipeline.coverage(ds, "2026-Q4", by=None)
    assert c.attrs["win_rate_basis"] == "count"
    assert c["win_rate"].iloc[0] == pytest.approx(1 / 3)      # H1 won; H2, H3 lost
    assert c["required"].iloc[0] == pytest.approx(3.0)
    assert "Win rate before (deals, 4 quarters)" in pipeline.coverage_table(c).to_html()
    # with an amount on a lost deal the rate stays by value
    v = pipeline.coverage(history_ds(ROWS, as_of="2026-11-15", quotas=QUOTAS), "2026-Q4", by=None)
    assert v.attrs["win_rate_basis"] == "value" and v["win_rate"].iloc[0] == pytest.approx(0.25)
    # labelled apart from the period's own win rate on the executive summary
    html = pipeline.coverage_table(v).to_html()
    assert "Win rate before ($, 4 quarters)" in html and ">Win rate<" not in html
