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
        "report", "section", "available", "needs"]
    assert c.loc[("rep_performance", "leaderboard and funnel plot"), "available"]
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


def test_adding_a_table_makes_its_sections_available(tiny_frames):
    before = _cap(Dataset.from_frames(**tiny_frames))
    assert before.loc[("executive_summary", "attainment against quota"), "available"]
    assert before.loc[("executive_summary", "pipeline coverage"), "available"]   # O3 is open
    tiny_frames["opportunity_history"] = pd.DataFrame({
        "opportunity_id": ["O3"], "changed_at": ["2026-03-01"], "status": ["open"]})
    tiny_frames["reps"]["role"] = ["field", "inside"]
    after = _cap(Dataset.from_frames(**tiny_frames))
    assert after.loc[("forecast", "pipeline as it stood on past dates"), "available"]
    assert after.loc[("territory_design", "field territories"), "available"]
    assert not before.loc[("territory_design", "field territories"), "available"]


def test_months_of_history_rule(tiny_frames):
    c = _cap(Dataset.from_frames(**tiny_frames))
    # won deals close March and May 2026: 3 months, not a year
    assert not c.loc[("rep_performance", "consistency"), "available"]
    tiny_frames["opportunities"].loc[0, ["created_date", "close_date"]] = ["2024-01-01", "2024-03-01"]
    c = _cap(Dataset.from_frames(**tiny_frames))
    assert c.loc[("rep_performance", "consistency"), "available"]      # Mar 2024 – May 2026
    assert c.loc[("forecast", "time-series forecast"), "available"]


def test_validate_prints_what_the_data_can_feed(tmp_path, tiny_frames, capsys):
    from ..conftest import write_csvs

    folder = write_csvs(tmp_path / "crm", tiny_frames)
    assert _cmd_validate(argparse.Namespace(source=str(folder), mapping=None)) == 0
    out = capsys.readouterr().out
    assert out.index("opportunities") < out.index("reports this data can feed")
    assert "territory_design: 1 of 3 sections" in out
    assert "maps and travel: needs coordinates of accounts and rep home bases." in out


def test_validate_takes_a_mapping(shared_data, capsys):
    src = str(shared_data / "crm_sales_opportunities_maven")
    assert _cmd_validate(argparse.Namespace(source=src, mapping="maven")) == 0
    out = capsys.readouterr().out
    assert "1,588 rows dropped" in out and "attainment against quota: needs a quotas table" in out
    assert _cmd_validate(argparse.Namespace(source=src, mapping=None)) == 2
