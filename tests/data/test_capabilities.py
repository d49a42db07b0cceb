"""capabilities(ds): which report sections a data set feeds, and what a missing one needs."""

from __future__ import annotations

import argparse

import pandas as pd

from salesops_lib import Dataset
from salesops_lib.cli import _cmd_validate
from salesops_lib.data import capabilities


def _cap(ds) -> pd.DataFrame:
    return capabilities(ds).set_index(["report", "section"])


def test_tiny_org_without_quotas_or_history(tiny_frames):
    del tiny_frames["quotas"]
    c = _cap(Dataset.from_frames(**tiny_frames))
    assert list(capabilities(Dataset.from_frames(**tiny_frames)).columns) == [
        "report", "section", "available", "needs", "less"]
    assert c.loc[("rep_performance", "win rate against role peers"), "available"]
    row = c.loc[("executive_summary", "attainment against quota")]
    assert not row["available"] and row["needs"] == "needs a quotas table (rep_id, period, quota)."
    assert not c.loc[("forecast", "pipeline as it stood on past dates"), "available"]
    assert not c.loc[("territory_design", "maps and travel"), "available"]
    assert c.loc[("executive_summary", "bookings by team"), "available"]     # reps.team is set
    # every unavailable section says what it needs in one sentence; available ones say nothing
    cap = capabilities(Dataset.from_frames(**tiny_frames))
    needs = cap.loc[~cap["available"], "needs"]
    assert needs.str.match(r"^needs .+\.$").all() and not needs.str.contains(r"\. ").any()
    assert (cap.loc[cap["available"], "needs"] == "").all()
    # what an available section lacks is one clause (the command line adds the full stop)
    less = cap.loc[cap["less"] != "", "less"]
    assert len(less) and cap.loc[less.index, "available"].all()
    assert not less.str.contains(r"\.$|\. ").any()


def test_adding_a_table_makes_its_sections_available(tiny_frames):
    before = _cap(Dataset.from_frames(**tiny_frames))
    assert before.loc[("executive_summary", "attainment against quota"), "available"]
    assert before.loc[("executive_summary", "pipeline coverage"), "available"]   # O3 is open
    tiny_frames["opportunity_history"] = pd.DataFrame({
        "opportunity_id": ["O3"], "changed_at": ["2026-03-01"], "status": ["open"]})
    tiny_frames["reps"]["role"] = ["field", "inside"]
    after = _cap(Dataset.from_frames(**tiny_frames))
    assert after.loc[("forecast", "pipeline as it stood on past dates"), "available"]
    # without roles every rep gets a territory; with them, the field reps do
    assert after.loc[("territory_design", "field territories"), "less"] == ""
    assert "every rep is given a territory" in before.loc[("territory_design", "field territories"), "less"]


def test_months_of_history_rule(tiny_frames):
    c = _cap(Dataset.from_frames(**tiny_frames))
    # won deals close March and May 2026: 3 months, not a year or two
    assert not c.loc[("executive_summary", "against last year"), "available"]
    assert not c.loc[("forecast", "does the model beat the obvious?"), "available"]
    assert c.loc[("rep_performance", "consistency by rep"), "available"]       # needs two
    tiny_frames["opportunities"].loc[0, ["created_date", "close_date"]] = ["2024-01-01", "2024-03-01"]
    c = _cap(Dataset.from_frames(**tiny_frames))
    for section in (("executive_summary", "against last year"),                # Mar 2024 – May 2026
                    ("forecast", "does the model beat the obvious?")):
        assert c.loc[section, "available"], section


def test_validate_prints_what_the_data_can_feed(tmp_path, tiny_frames, capsys):
    from ..conftest import write_csvs

    folder = write_csvs(tmp_path / "crm", tiny_frames)
    assert _cmd_validate(argparse.Namespace(source=str(folder), mapping=None)) == 0
    out = capsys.readouterr().out
    assert out.index("opportunities") < out.index("reports this data can feed")
    assert "territory_design: 2 of 3 sections (1 with less)" in out
    assert "maps and travel: needs coordinates of accounts and rep home bases." in out
    assert "  ~ field territories: without reps with the role 'field' (reps.role) every rep " \
           "is given a territory." in out


def test_validate_takes_a_mapping(shared_data, capsys):
    src = str(shared_data / "crm_sales_opportunities_maven")
    assert _cmd_validate(argparse.Namespace(source=src, mapping="maven")) == 0
    out = capsys.readouterr().out
    assert "1,588 rows dropped" in out and "attainment against quota: needs a quotas table" in out
    assert _cmd_validate(argparse.Namespace(source=src, mapping=None)) == 2


def test_every_section_of_every_report_is_listed():
    """Each ``##`` heading of the report notebooks is a row of capabilities (territory
    design keeps its own finer rows)."""
    import json

    from salesops_lib import config
    from salesops_lib.data.capabilities import SECTIONS

    listed = {(r, s) for r, s, *_ in SECTIONS}
    for nb in sorted((config.ROOT / "notebooks").glob("*.ipynb")):
        if nb.stem == "territory_design":
            continue
        cells = json.loads(nb.read_text())["cells"]
        heads = [line[3:].strip().lower() for c in cells if c["cell_type"] == "markdown"
                 for line in "".join(c["source"]).splitlines() if line.startswith("## ")]
        assert heads, nb.stem
        missing = [h for h in heads if (nb.stem, h) not in listed]
        assert not missing, f"{nb.stem}: {missing}"


def test_without_quotas_the_sections_that_need_them_say_so(tiny_frames):
    del tiny_frames["quotas"]
    cap = capabilities(Dataset.from_frames(**tiny_frames))
    off = cap[~cap["available"]].set_index(["report", "section"])["needs"]
    for section in ("pay statement", "fairness", "plan cost", "plan cost backtest",
                    "sensitivity of plan cost", "payouts"):
        assert off[("quotas_compensation", section)].startswith("needs a quotas table"), section
    assert "quotas table" in off[("pipeline_health", "coverage")]
    assert "quotas table" in off[("forecast", "forecast against quota by group")]
    on = cap[cap["available"]].set_index(["report", "section"])
    # quota setting still works from past bookings; the pay curve needs only the plan
    assert ("quotas_compensation", "quota setting") in on.index
    assert ("quotas_compensation", "pay curve") in on.index
    # no roles, no activities: the strategy sections say what they need; economics by motion
    # shows every rep together and says what splitting it would need
    assert "both motions" in off[("sales_strategy", "coverage model")]
    assert "both motions" in on.loc[("sales_strategy", "economics by motion"), "less"]
    assert "activities table" in off[("sales_strategy", "activity patterns")]


def test_either_of_two_tables_feeds_a_section(tiny_frames):
    c = _cap(Dataset.from_frames(**tiny_frames))
    assert not c.loc[("pipeline_health", "stuck deals"), "available"]
    # the funnel shows the share won without stage dates, and says what it lacks
    funnel = c.loc[("pipeline_health", "conversion funnel")]
    assert funnel["available"] and "only the share won" in funnel["less"]
    tiny_frames["stage_history"] = pd.DataFrame({"opportunity_id": ["O3"], "stage": ["Proposal"],
                                                 "entered_date": ["2026-03-01"]})
    c = _cap(Dataset.from_frames(**tiny_frames))
    assert c.loc[("pipeline_health", "stuck deals"), "available"]
    assert c.loc[("pipeline_health", "conversion funnel"), "less"] == ""
    assert not c.loc[("pipeline_health", "slips"), "available"]       # needs the history itself


def test_validate_names_the_compensation_sections_maven_cannot_feed(shared_data, capsys):
    src = str(shared_data / "crm_sales_opportunities_maven")
    assert _cmd_validate(argparse.Namespace(source=src, mapping="maven")) == 0
    out = capsys.readouterr().out
    lines = out.splitlines()
    i = lines.index(next(x for x in lines if x.startswith("  quotas_compensation:")))
    j = next((k for k in range(i + 1, len(lines)) if not lines[k].startswith("    ")), len(lines))
    block = "\n".join(lines[i:j])
    assert "pay statement: needs a quotas table" in block
    assert "fairness: needs a quotas table" in block and "plan cost: needs a quotas table" in block
    assert "pipeline_health:" in out and "coverage: needs open deals with close dates and a quotas table" in out


def test_pipeline_coverage_needs_a_period_still_running(tiny_frames):
    ds = Dataset.from_frames(**tiny_frames)
    assert _cap(ds).loc[("pipeline_health", "coverage"), "available"]          # no period named
    running = capabilities(ds, ds.as_of.strftime("%Y") + "-Q4")                 # ends after as_of
    assert running.set_index(["report", "section"]).loc[("pipeline_health", "coverage"), "available"]
    over = capabilities(ds, "2025-Q4").set_index(["report", "section"])
    row = over.loc[("pipeline_health", "coverage")]
    assert not row["available"] and "a period still running" in row["needs"]


def test_validate_keeps_a_large_database_in_the_database(tmp_path, capsys, monkeypatch):
    """``salesops validate`` on a database too large for memory reads it as a report run does
    (lazily, by aggregate queries) and says what that run can feed."""
    from salesops_lib import load_dataset
    from tests.performance.test_lazy import to_duckdb

    db = tmp_path / "crm.duckdb"
    to_duckdb(load_dataset("sample:accounts=300,reps=10,years=2,seed=3"), db)
    url = f"duckdb:///{db}"
    eager = capabilities(load_dataset(url))
    monkeypatch.setenv("SALESOPS_LAZY_ROWS", "10")
    lazy = load_dataset(url, lazy="auto")
    assert lazy.is_lazy
    # the same answers, from SQL (activities and stage history are asked of the database),
    # but for the summary's forecast, which needs every deal in memory and so points to the
    # forecast page on a source kept in the database
    forecast = (eager["report"] == "executive_summary") & (eager["section"] == "the forecast")
    got = capabilities(lazy)
    pd.testing.assert_frame_equal(got[~forecast], eager[~forecast])
    assert eager.loc[forecast, "available"].all() and not got.loc[forecast, "available"].any()
    assert "small enough to hold in memory" in got.loc[forecast, "needs"].iloc[0]
    pd.testing.assert_frame_equal(capabilities(lazy, "2025-Q3")[~forecast], capabilities(
        load_dataset(url), "2025-Q3")[~forecast])
    assert capabilities(lazy, "2025-Q3").set_index(["report", "section"]).loc[
        ("rep_performance", "gap decomposition"), "available"]
    assert _cmd_validate(argparse.Namespace(source=url, mapping=None)) == 0
    out = capsys.readouterr().out
    assert "(lazy: opportunities aggregated in the database)" in out
    assert "the other reports load the tables into memory" in out


def test_the_summarys_forecast_follows_the_forecast_pages_rule(shared_data):
    """Maven's bookings start in March 2017: 2017-Q2, forecast from 1 April, had one complete
    month behind it and cannot be forecast; 2017-Q4 can."""
    from salesops_lib import load_dataset

    maven = load_dataset(shared_data / "crm_sales_opportunities_maven", mapping="maven")

    def forecast(period):
        c = capabilities(maven, period).set_index(["report", "section"])
        return c.loc[("executive_summary", "the forecast"), "available"]

    assert not forecast("2017-Q2") and forecast("2017-Q4")
    # the forecast page, not made for 2017-Q2, shows none of its sections and says why
    for period, shown in (("2017-Q2", False), ("2017-Q4", True)):
        page = capabilities(maven, period).query("report == 'forecast'")
        assert len(page) > 10
        if shown:
            assert page.set_index("section").at["how sure are we?", "available"]
        else:
            assert not page["available"].any()
            assert set(page["needs"]) == {
                ("needs three complete months of bookings known on the forecast's date (the "
                "period's first day once it is over).")}


def test_validate_for_a_period_says_what_its_pages_would_show(shared_data, capsys):
    """``salesops validate --period``: Maven's 2017-Q2 is too early to forecast, so the forecast
    page is not made (one line with the reason, not sixteen); 2017-Q4 can be forecast; a period
    that cannot be read is exit 2 with nothing else printed."""
    from salesops_lib.cli import main

    maven = str(shared_data / "crm_sales_opportunities_maven")
    assert main(["validate", maven, "--mapping", "maven", "--period", "2017-Q2"]) == 0
    out = capsys.readouterr().out
    assert "reports this data can feed for 2017-Q2:" in out
    assert ("  forecast: none of its 16 sections: needs three complete months of bookings "
            "known on the forecast's date (the period's first day once it is over).") in out
    assert "the forecast: needs three complete months" in out      # the summary's section
    assert main(["validate", maven, "--mapping", "maven", "--period", "2017-Q4"]) == 0
    out = capsys.readouterr().out
    assert "for 2017-Q4:" in out and "  forecast: 10 of 16 sections" in out
    assert main(["validate", maven, "--mapping", "maven", "--period", "2017-Q9"]) == 2
    got = capsys.readouterr()
    assert got.out == "" and "cannot read period '2017-Q9'" in got.err
