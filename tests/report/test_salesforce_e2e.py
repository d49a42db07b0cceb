"""A Salesforce object export (tests/data/fixtures/salesforce_objects) through its preset, end
to end, as a scheduler runs it: a quarter in progress, with opportunity history but no quotas,
four deals and one won before the quarter. Every page must render, say what it lacks in a
sentence instead of drawing a table of dashes, and agree with ``salesops validate``."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from salesops_lib import load_dataset
from salesops_lib.cli import main

from .conftest import capability_mismatches

FIXTURE = Path(__file__).resolve().parents[1] / "data" / "fixtures" / "salesforce_objects"


@pytest.fixture(scope="module")
def sf_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("sf-reports")
    code = main(["report", "--data", str(FIXTURE), "--mapping", "salesforce", "--out", str(out)])
    return code, out


def test_every_report_renders_on_a_salesforce_export(sf_run):
    code, out = sf_run
    manifest = json.loads((out / "2026-Q4" / "manifest.json").read_text())
    assert code == 0 and manifest["period_state"] == "open"
    assert all(nb["status"] == "ok" for nb in manifest["notebooks"]), manifest["notebooks"]
    for page in (out / "2026-Q4").glob("*.html"):
        text = page.read_text()
        assert "Traceback" not in text and "inf%" not in text, page.name


def test_pages_agree_with_validate_on_a_small_export(sf_run):
    """Here the pipeline page drew a coverage table of dashes under "Coverage needs quotas",
    the executive page said the data had no teams (they had closed nothing yet this quarter),
    and the replayed-quarters table read "inf%" for the pipeline's error."""
    _, out = sf_run
    ds = load_dataset(str(FIXTURE), mapping="salesforce")
    assert capability_mismatches(ds, out / "2026-Q4", "2026-Q4") == []
    page = (out / "2026-Q4" / "executive_summary.html").read_text()
    assert "needs each rep&#x27;s team" not in page and "No team has booked" in page
