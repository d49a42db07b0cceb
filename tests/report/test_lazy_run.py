"""``salesops report`` on a database too large for memory: the runner keeps it lazy, as the
notebooks do, and the executive summary renders from SQL aggregates."""

from __future__ import annotations

from salesops_lib import load_dataset
from salesops_lib.report import run_reports, runner
from tests.performance.test_lazy import to_duckdb


def test_report_on_a_lazy_database(tmp_path, monkeypatch):
    db = tmp_path / "crm.duckdb"
    to_duckdb(load_dataset("sample:accounts=300,reps=10,years=2,seed=3"), db)
    monkeypatch.setenv("SALESOPS_LAZY_ROWS", "10")        # every source counts as "large"
    stored = []
    monkeypatch.setattr(runner.dataset_cache, "store", lambda *a, **k: stored.append(a))
    res = run_reports(out=tmp_path / "out", data=f"duckdb:///{db}", period="previous",
                      notebooks=["executive_summary"])
    [nb] = res.results
    assert nb.status == "ok", nb.error
    html = (tmp_path / "out" / res.period / "executive_summary.html").read_text()
    assert "Executive summary" in html and "Bookings" in html
    # the runner held the source lazily and did not cache it for the kernels (each opens it)
    assert stored == []


def test_every_report_on_a_lazy_database_agrees_with_validate(tmp_path, monkeypatch):
    """All seven pages from a database the runner keeps lazy (as one too large for memory),
    two years of the sample: each renders, and each section shows what validate says."""
    from .conftest import capability_mismatches

    db = tmp_path / "crm.duckdb"
    to_duckdb(load_dataset("sample:accounts=300,reps=10,years=2,seed=3"), db)
    monkeypatch.setenv("SALESOPS_LAZY_ROWS", "10")
    res = run_reports(out=tmp_path / "out", data=f"duckdb:///{db}")
    assert {r.name: r.error for r in res.results if r.status != "ok"} == {}
    ds = load_dataset(f"duckdb:///{db}", lazy="auto")        # as validate and the run read it
    assert ds.is_lazy
    assert capability_mismatches(ds, tmp_path / "out" / res.period, res.period) == []
