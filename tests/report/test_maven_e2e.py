"""The public Maven CRM export through its preset, end to end, as a scheduler runs it.

The export has no quotas, no rep roles, no account geography and no opportunity history: every
report must still render (a section that needs what is missing says so in a sentence), the
command must exit 0, and the data-health note about the rows the preset drops must reach the
pages.
"""

from __future__ import annotations

import json

import pytest

from salesops_lib import config
from salesops_lib.cli import main


@pytest.fixture(scope="module")
def maven_run(shared_data, tmp_path_factory):
    out = tmp_path_factory.mktemp("maven-reports")
    code = main(["report", "--data", str(shared_data / "crm_sales_opportunities_maven"),
                 "--mapping", "maven", "--out", str(out)])
    return code, out


def test_every_report_renders_on_the_maven_export(maven_run):
    code, out = maven_run
    manifests = list(out.glob("*/manifest.json"))
    assert len(manifests) == 1
    manifest = json.loads(manifests[0].read_text())
    # no --period: the quarter holding the data's as-of date (the export ends in 2017)
    assert manifest["period"] == "2017-Q4"
    status = {nb["name"]: (nb["status"], nb.get("error")) for nb in manifest["notebooks"]}
    names = {p.stem for p in config.NOTEBOOKS.glob("*.ipynb")}
    assert set(status) == names
    failed = {k: v for k, v in status.items() if v[0] != "ok"}
    assert not failed, failed
    assert code == 0


def test_maven_pages_carry_the_dropped_rows_note_and_no_raw_errors(maven_run):
    _, out = maven_run
    for page in (out / "2017-Q4").glob("*.html"):
        text = page.read_text()
        assert "Traceback" not in text and "Error:" not in text, page.name
        assert "dropped" in text, f"{page.name} lacks the data-health note"
    from .conftest import lowercase_headers

    # "final result" and "coverage low" stood beside "Forecast" and "Coverage"
    assert lowercase_headers(out / "2017-Q4") == {}


def test_validate_tells_what_the_maven_pages_show(maven_run, shared_data):
    """``salesops validate`` said the export fed none of the pipeline page's seven sections
    while the page drew six of them: what it says now matches every section's chart or table."""
    from salesops_lib import load_dataset

    from .conftest import capability_mismatches

    _, out = maven_run
    ds = load_dataset(shared_data / "crm_sales_opportunities_maven", mapping="maven")
    assert capability_mismatches(ds, out / "2017-Q4", "2017-Q4") == []


def test_a_maven_quarter_too_early_to_forecast_renders_its_reason(shared_data, tmp_path, capsys):
    """Maven's 2017-Q2 held one month of bookings on its first day: the forecast page failed the
    whole run (exit 1). Now a scheduler gets exit 0, a page that says why, and the index too."""
    out = tmp_path / "out"
    code = main(["report", "--data", str(shared_data / "crm_sales_opportunities_maven"),
                 "--mapping", "maven", "--period", "2017-Q2", "--notebooks", "forecast",
                 "--out", str(out)])
    assert code == 0
    assert "salesops: forecast not made: 2017-Q2 cannot be forecast" in capsys.readouterr().err
    page = (out / "2017-Q2" / "forecast.html").read_text()
    assert "1 complete month of bookings, and the forecast needs at least 3" in page
    assert "Traceback" not in page and "Error:" not in page and "NotForecastable" not in page
    assert "as of 30 Jun 2017" in page and "dropped" in page    # the header and data health
    manifest = json.loads((out / "2017-Q2" / "manifest.json").read_text())
    assert manifest["status"] == "ok" and manifest["notebooks"][0]["status"] == "not_made"
    assert "not made" in (out / "index.html").read_text()
