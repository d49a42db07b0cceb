"""Conversion and velocity: Aalen–Johansen and Kaplan–Meier against hand computations."""

from __future__ import annotations

import numpy as np
import pytest

from salesops_lib import pipeline

from .conftest import history_ds

Q, P = "Qualification", "Proposal"
ROWS = [("D1", "2026-01-01", "open", 10, "2026-03-01", "R1", Q),
        ("D1", "2026-01-11", "open", 10, "2026-03-01", "R1", P),
        ("D1", "2026-01-21", "won", 10, "2026-01-21", "R1", "Closed Won"),
        ("D2", "2026-01-01", "open", 10, "2026-03-01", "R1", Q),
        ("D2", "2026-01-06", "lost", 10, "2026-01-06", "R1", "Closed Lost"),
        ("D3", "2026-01-28", "open", 10, "2026-03-01", "R2", Q),
        ("D4", "2026-01-01", "open", 10, "2026-03-01", "R2", Q),
        ("D4", "2026-01-05", "open", 10, "2026-03-01", "R2", P)]


def ds(as_of="2026-01-31"):
    return history_ds(ROWS, as_of=as_of)


def test_cumulative_incidence_by_hand():
    t, cif, surv = pipeline.cumulative_incidence([1, 2, 2, 3], [1, 2, 0, 1])
    assert t.tolist() == [1, 2, 3]
    assert np.allclose(surv, [0.75, 0.5, 0.0])
    assert np.allclose(cif, [0.25, 0.25, 0.75])


def test_km_quantiles_by_hand():
    assert pipeline.km_quantiles([1, 2, 3, 4], [1, 1, 1, 1]) == [2.0, 3.0]
    med, p75 = pipeline.km_quantiles([1, 2], [1, 0])
    assert med == 1.0 and np.isnan(p75)


def test_stage_order_from_first_entries():
    assert pipeline.stage_order(ds()) == [Q, P]


def test_flow_conversion_censors_open_deals():
    f = pipeline.flow_conversion(ds(), window=("2026-01-01", "2026-01-31")).set_index("stage")
    q = f.loc[Q]
    assert (q["entered"], q["advanced"], q["lost"], q["open"]) == (4, 2, 1, 1)
    assert q["naive"] == pytest.approx(0.5)
    assert q["conversion"] == pytest.approx(2 / 3)      # D3 censored at 3 days, not a loss
    assert f.loc[P, "next_stage"] == "won" and f.loc[P, "conversion"] == pytest.approx(0.5)


def test_cohort_funnel():
    f = pipeline.cohort_funnel(ds(), cohort=("2026-01-01", "2026-01-31")).set_index("stage")
    assert f.loc[Q, "share"] == pytest.approx(1.0)
    assert f.loc[P, "share"] == pytest.approx(2 / 3) and f.loc[P, "observed_share"] == 0.5
    assert f.loc["won", "share"] == pytest.approx(1 / 3) and f.loc["won", "observed_share"] == 0.25


def test_stage_norms_and_stall_stage():
    n = pipeline.stage_norms(ds()).set_index("stage")
    assert n.loc[Q, ["median_days", "p75_days"]].tolist() == [5.0, 10.0]
    assert n.loc[P, "median_days"] == 10.0 and np.isnan(n.loc[P, "p75_days"])
    assert n["stall"].tolist() == [False, True]


def test_stuck_deals_beyond_p75():
    later = ds("2026-02-20")       # D3 has been in Qualification 23 days; the norm's p75 is 10
    s = pipeline.stuck_deals(later)
    assert s["opportunity_id"].tolist() == ["D3"]
    assert s["days_in_stage"].iloc[0] == 23 and s["p75_days"].iloc[0] == 10
    assert s["rep_name"].iloc[0] == "Bob Roy" and s["account_name"].iloc[0] == "Acme"


def test_sample_stage_history_runs(sample_small):
    f = pipeline.cohort_funnel(sample_small)
    assert f["share"].is_monotonic_decreasing
    assert (f["share"] >= f["observed_share"] - 1e-9).all()


def test_flow_table_formats():
    html = pipeline.flow_table(pipeline.flow_conversion(ds(), window=("2026-01-01",
                                                                     "2026-01-31"))).to_html()
    assert "Expected conversion" in html and "67%" in html
