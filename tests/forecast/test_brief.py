"""The forecast on the executive summary, while the period runs (the finished quarter and the
period that cannot be forecast are in ``test_degrade.py``, on the Maven export)."""

from __future__ import annotations

from types import SimpleNamespace

import pandas as pd


def test_a_running_period_shows_the_forecast_with_its_range_and_against_quota():
    from salesops_lib.forecast import brief

    ds = SimpleNamespace(as_of=pd.Timestamp("2026-11-15"), fiscal_start_month=1)
    summary = pd.DataFrame({"source": ["timeseries", "pipeline", "blend"],
                            "value": [10.0e6, 9.0e6, 9.5e6], "lower": [8e6, 8.5e6, 8.8e6],
                            "upper": [12e6, 9.6e6, 10.4e6]})
    ol = SimpleNamespace(period="2026-Q4", summary=summary, level=80.0, quota=11.875e6,
                         last_year=10e6, weights={"timeseries": 0.5, "pipeline": 0.5},
                         settings={"closed": False}, as_of=pd.Timestamp("2026-11-15"))
    assert brief.brief_cards(ds, ol) == [
        ("2026-Q4 forecast", "$9.5M", "80% range $8.8M – $10.4M"),
        ("vs quota", "80%", "quota $11.9M")]                   # 9.5 / 11.875 = 0.80
