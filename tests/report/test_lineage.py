"""The page header's data-health block: what it says and when it is dated."""

from __future__ import annotations

import pandas as pd

from salesops_lib import Dataset
from salesops_lib.report import lineage


def _stale_ds():
    """One open deal due 2026-10-01, on data as of 2026-11-15: one stale-pipeline warning."""
    opps = pd.DataFrame({"opportunity_id": ["O1", "W1"], "account_id": "A1", "rep_id": "R1",
                         "stage": ["S1", "Closed Won"], "status": ["open", "won"],
                         "amount": [100.0, 50.0],
                         "created_date": pd.to_datetime(["2026-01-05", "2026-01-05"]),
                         "close_date": pd.to_datetime(["2026-10-01", "2026-02-01"])})
    return Dataset.from_frames(
        accounts=pd.DataFrame({"account_id": ["A1"], "account_name": ["Acme"]}),
        reps=pd.DataFrame({"rep_id": ["R1"], "rep_name": ["Rae"], "team": ["T1"]}),
        opportunities=opps, as_of="2026-11-15")


def test_health_block_on_a_past_period_names_the_day_its_warnings_describe():
    """On the 2025 page (as of 31 Dec 2025) "1 open deal has a close date before 2026-11-15"
    read as a fact about 31 December 2025."""
    ds = _stale_ds()
    assert any("stale pipeline" in str(n) for n in ds.health)
    past = lineage.header(ds, "2026-Q1").data
    assert "as of 31 Mar 2026" in past
    assert "They describe the data as of 15 Nov 2026, not this page's 31 Mar 2026." in past
    current = lineage.header(ds, "2026-Q4").data
    assert "stale pipeline" in current and "They describe the data as of" not in current


def test_footer_names_the_source_and_counts_the_part_a_page_works_on(monkeypatch):
    """The territory page fingerprinted its field-only subset (accounts 2,881, reps 35), so
    its lineage disagreed with every other page of the run; it now shows the source and adds
    a row for its part."""
    ds = _stale_ds()
    part = Dataset.from_frames(accounts=ds.accounts, reps=ds.reps,
                               opportunities=ds.opportunities.iloc[:1], as_of="2026-11-15")
    monkeypatch.setattr(lineage, "notebook_parameters", lambda: {"period": "2026-Q4"})
    html = lineage.footer(ds, scope=part).data
    assert f"fingerprint {ds.fingerprint()}" in html
    assert "this page&#x27;s part of the data: accounts 1, reps 1, opportunities 1" in html
    assert "Scope" not in lineage.footer(ds).data
