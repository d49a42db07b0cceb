"""The data contract: every rule, its message, the readers, mappings and round trips."""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from salesops_lib import Dataset, DataSourceError, DataValidationError, load_dataset
from salesops_lib.data import Problem, schemas
from salesops_lib.data.mapping import resolve_mapping

from ..conftest import MAVEN_MAPPING, write_csvs


def _err(frames, files=None) -> DataValidationError:
    with pytest.raises(DataValidationError) as info:
        Dataset.from_frames(**frames, files=files)
    return info.value


def _digest(folder: Path) -> dict:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir())}


# ---------------------------------------------------------------------------------- valid input
def test_valid_frames_are_coerced_to_contract_types(tiny_frames):
    ds = Dataset.from_frames(**tiny_frames)
    opp = ds.opportunities
    assert opp["amount"].dtype == "float64" and opp["amount"].sum() == 2500
    assert pd.api.types.is_datetime64_any_dtype(opp["created_date"])
    assert list(opp.columns[: len(schemas.COLUMNS["opportunities"])]) == schemas.COLUMNS["opportunities"]
    # absent optional tables are empty frames with the contract's columns
    assert ds.stage_history.empty and list(ds.stage_history.columns) == schemas.COLUMNS["stage_history"]
    assert ds.activities.empty
    # as_of defaults to the last event: latest created or closed date
    assert ds.as_of == pd.Timestamp("2026-05-20")
    # an open deal with an expected close in the past would be a health note; here none is
    assert all("stale" not in str(n) for n in ds.health)


def test_inputs_are_not_modified(tiny_frames):
    before = {k: v.copy() for k, v in tiny_frames.items()}
    Dataset.from_frames(**tiny_frames)
    for k in tiny_frames:
        pd.testing.assert_frame_equal(tiny_frames[k], before[k])


def test_extra_columns_are_kept(tiny_frames):
    tiny_frames["accounts"]["crm_notes"] = ["a", "b", "c"]
    ds = Dataset.from_frames(**tiny_frames)
    assert "crm_notes" in ds.accounts.columns


def test_health_notes_for_stale_pipeline(tiny_frames):
    ds = Dataset.from_frames(**tiny_frames, as_of="2026-12-31")
    assert any("close date before 2026-12-31" in str(n) for n in ds.health)


def test_fingerprint_is_stable_and_sensitive(tiny_frames):
    a = Dataset.from_frames(**tiny_frames).fingerprint()
    assert a == Dataset.from_frames(**tiny_frames).fingerprint()
    tiny_frames["opportunities"].loc[0, "amount"] = "1001"
    assert Dataset.from_frames(**tiny_frames).fingerprint() != a


# ----------------------------------------------------------------------------- each broken rule
def test_missing_required_column(tiny_frames):
    tiny_frames["opportunities"] = tiny_frames["opportunities"].drop(columns="amount")
    e = _err(tiny_frames, {"opportunities": "crm/opportunities.csv"})
    assert (e.table, e.column) == ("opportunities", "amount")
    assert "required column is missing" in str(e) and "crm/opportunities.csv" in str(e)


def test_duplicate_id_names_rows(tiny_frames):
    tiny_frames["opportunities"].loc[3, "opportunity_id"] = "O1"
    e = _err(tiny_frames, {"opportunities": "x/opportunities.csv"})
    assert (e.table, e.column) == ("opportunities", "opportunity_id")
    # CSV files: rows are named by their line (header is line 1)
    assert "line 2" in str(e) and "line 5" in str(e) and "unique" in str(e)


# one broken value per case: (table, row, column, bad value, words the message must hold)
BROKEN_VALUES = [
    ("opportunities", 2, "rep_id", "R9", ["point to no reps.rep_id", "'R9'", "row 3"]),
    ("opportunities", 1, "amount", "12k", ["not numbers", "'12k'"]),
    ("opportunities", 1, "amount", "-5", ["≥ 0", "-5"]),
    ("opportunities", 0, "created_date", "2026-02-30", ["not dates", "'2026-02-30'"]),
    ("opportunities", 0, "close_date", "2025-12-31", ["close before they were created", "O1"]),
    ("opportunities", 1, "close_date", None, ["no close date"]),
    ("opportunities", 0, "status", "Closed Won", ["one of open, won, lost", "'Closed Won'"]),
    ("accounts", 1, "account_name", " ", ["no value"]),
]


@pytest.mark.parametrize("table, row, column, value, words", BROKEN_VALUES,
                         ids=[f"{t}.{c}={v!r}" for t, _, c, v, _ in BROKEN_VALUES])
def test_each_broken_value_names_table_column_and_rows(tiny_frames, table, row, column, value,
                                                       words):
    tiny_frames[table].loc[row, column] = value
    e = _err(tiny_frames)
    assert (e.table, e.column) == (table, column)
    for w in words:
        assert w in str(e)


def test_relative_dates_are_rejected_not_guessed(tiny_frames):
    # the textbook shampoo series labels months "1-01": never read as a real date
    tiny_frames["opportunities"].loc[0, "created_date"] = "1-01"
    assert "not dates" in str(_err(tiny_frames))


def test_quota_must_be_positive_and_period_readable(tiny_frames):
    tiny_frames["quotas"].loc[0, "quota"] = "0"
    tiny_frames["quotas"].loc[1, "period"] = "Q2 2026"
    e = _err(tiny_frames)
    cols = {(p.table, p.column) for p in e.problems}
    assert ("quotas", "quota") in cols
    # the period rule is a cross-table check: it runs once single-table rules pass
    tiny_frames["quotas"].loc[0, "quota"] = "10"
    e = _err(tiny_frames)
    assert (e.table, e.column) == ("quotas", "period") and "'Q2 2026'" in str(e)


def test_many_problems_are_reported_together(tiny_frames):
    tiny_frames["opportunities"].loc[0, "amount"] = "abc"
    tiny_frames["accounts"].loc[0, "potential"] = "-1"
    e = _err(tiny_frames)
    assert len(e.problems) == 2 and "2 problems" in str(e)


def test_problem_lists_only_a_few_rows():
    p = Problem("t", "c", "bad", tuple(f"row {i}" for i in range(5)), count=40)
    assert "and 35 more" in str(p)


# ------------------------------------------------------------------------------------ readers
def test_folder_csv_parquet_duckdb_round_trip(tmp_path, tiny_frames):
    ref = Dataset.from_frames(**tiny_frames)
    csv = write_csvs(tmp_path / "csv", tiny_frames)
    pq = tmp_path / "pq"
    pq.mkdir()
    for name, df in ref.tables.items():
        df.to_parquet(pq / f"{name}.parquet")
    db = tmp_path / "crm.duckdb"
    con = duckdb.connect(str(db))
    for name, df in ref.tables.items():
        con.register("tmp_df", df)
        con.execute(f"create table {name} as select * from tmp_df")
        con.unregister("tmp_df")
    con.close()
    a, b, c = load_dataset(csv), load_dataset(pq), load_dataset(f"duckdb:///{db}")
    for t in schemas.TABLES:
        pd.testing.assert_frame_equal(a.tables[t], ref.tables[t], check_dtype=False)
        pd.testing.assert_frame_equal(b.tables[t], ref.tables[t], check_dtype=False)
        pd.testing.assert_frame_equal(c.tables[t], ref.tables[t], check_dtype=False)
    assert a.fingerprint() == b.fingerprint() == c.fingerprint() == ref.fingerprint()


def test_bad_csv_names_the_file_and_leaves_it_untouched(tmp_path, tiny_frames):
    tiny_frames["opportunities"].loc[2, "amount"] = "n/a"
    folder = write_csvs(tmp_path / "crm", tiny_frames)
    before = _digest(folder)
    with pytest.raises(DataValidationError) as info:
        load_dataset(folder)
    assert str(folder / "opportunities.csv") in str(info.value)
    assert "line 4 (opportunity_id=O3): 'n/a'" in str(info.value)
    assert _digest(folder) == before


def test_missing_required_table(tmp_path, tiny_frames):
    del tiny_frames["reps"]
    folder = write_csvs(tmp_path / "crm", tiny_frames)
    with pytest.raises(DataValidationError, match="reps.*required table is missing"):
        load_dataset(folder)


def test_unknown_source():
    with pytest.raises(DataSourceError, match="neither 'sample'"):
        load_dataset("/no/such/folder")


def test_duckdb_file_missing(tmp_path):
    with pytest.raises(DataSourceError, match="no such DuckDB file"):
        load_dataset(f"duckdb:///{tmp_path}/absent.duckdb")


def test_unreachable_database_masks_password():
    url = "postgresql://analyst:Sup3rSecretPw@127.0.0.1:1/crm"
    with pytest.raises(DataSourceError) as info:
        load_dataset(url)
    msg = str(info.value)
    assert "Sup3rSecretPw" not in msg and "analyst:***@127.0.0.1" in msg


def test_masked_password_needs_the_environment(monkeypatch):
    monkeypatch.delenv("SALESOPS_DB_PASSWORD", raising=False)
    with pytest.raises(DataSourceError, match="SALESOPS_DB_PASSWORD"):
        load_dataset("postgresql://analyst:***@127.0.0.1:1/crm")


# ------------------------------------------------------------------------------------ mapping
def test_mapping_renames_copies_and_recodes(tmp_path, tiny_frames):
    opp = tiny_frames["opportunities"].rename(columns={"amount": "Value", "stage": "Deal Stage"})
    opp = opp.drop(columns="status")
    opp["Deal Stage"] = ["Won", "Lost", "Engaging", "Won"]
    tiny_frames["opportunities"] = opp
    folder = write_csvs(tmp_path / "crm", tiny_frames)
    mapping = {"opportunities": {
        "columns": {"Value": "amount", "Deal Stage": "stage"},
        "copy": {"status": "stage"},
        "values": {"status": {"Won": "won", "Lost": "lost", "Engaging": "open"}},
    }}
    ds = load_dataset(folder, mapping)
    assert ds.opportunities["status"].tolist() == ["won", "lost", "open", "won"]
    assert ds.opportunities["stage"].tolist() == ["Won", "Lost", "Engaging", "Won"]
    assert ds.opportunities["amount"].sum() == 2500


def test_mapping_drop_if_missing_is_reported(tmp_path, tiny_frames):
    tiny_frames["opportunities"].loc[2, "account_id"] = ""
    folder = write_csvs(tmp_path / "crm", tiny_frames)
    with pytest.raises(DataValidationError, match="no value in a required column"):
        load_dataset(folder)
    ds = load_dataset(folder, {"opportunities": {"drop_if_missing": ["account_id"]}})
    assert len(ds.opportunities) == 3
    assert any("1 row dropped" in str(n) for n in ds.health)


def test_mapping_with_unknown_table_or_column(tmp_path, tiny_frames):
    folder = write_csvs(tmp_path / "crm", tiny_frames)
    with pytest.raises(DataSourceError, match=r"unknown table\(s\) \[.deals.\]"):
        load_dataset(folder, {"deals": {}})
    with pytest.raises(DataValidationError, match="no column 'nope'"):
        load_dataset(folder, {"opportunities": {"copy": {"x": "nope"}}})


# ------------------------------------------------------------------ the public CRM data set
def test_maven_unmapped_fails_with_specific_errors(shared_data):
    with pytest.raises(DataValidationError) as info:
        load_dataset(shared_data / "crm_sales_opportunities_maven")
    # no file named accounts/reps/opportunities: the first missing table is named
    assert "required table is missing" in str(info.value)


def test_maven_traps_are_named_without_drop(shared_data):
    preset = resolve_mapping(MAVEN_MAPPING)
    mapping = {**preset, "opportunities": {
        k: v for k, v in preset["opportunities"].items() if k != "drop_if_missing"}}
    with pytest.raises(DataValidationError) as info:
        load_dataset(shared_data / "crm_sales_opportunities_maven", mapping)
    msg = str(info.value)
    # 1,425 open deals lack an account; 500 prospecting deals lack an engage date
    assert "opportunities.account_id" in msg and "1,425 rows have no value" in msg
    assert "opportunities.created_date" in msg and "500 rows have no value" in msg


def test_maven_loads_through_mapping(shared_data):
    folder = shared_data / "crm_sales_opportunities_maven"
    before = _digest(folder)
    ds = load_dataset(folder, MAVEN_MAPPING)
    opp = ds.opportunities
    assert (opp["status"] == "won").sum() == 4238
    assert (opp["status"] == "lost").sum() == 2473
    assert opp.loc[opp["status"] == "won", "amount"].sum() == 10_005_534
    assert len(ds.reps) == 35 and len(ds.accounts) == 85
    assert "GTXPro" not in set(opp["product"])
    assert any("rows dropped" in str(n) for n in ds.health)
    assert _digest(folder) == before


def test_sample_source_options():
    ds = load_dataset("sample:accounts=300,reps=8,years=1,seed=3")
    assert len(ds.accounts) == 300 and len(ds.reps) == 8
    with pytest.raises(ValueError, match="unknown sample option"):
        load_dataset("sample:acounts=3")


def test_shipped_data_readme_exists():
    readme = Path(__file__).resolve().parents[2] / "data" / "README.md"
    assert readme.is_file()


def test_copy_of_folder_source_is_identical(tmp_path, tiny_frames):
    folder = write_csvs(tmp_path / "a", tiny_frames)
    shutil.copytree(folder, tmp_path / "b")
    assert load_dataset(folder).fingerprint() == load_dataset(tmp_path / "b").fingerprint()


@pytest.mark.parametrize("table,column,value,words", [
    ("accounts", "latitude", "95", "must lie in [-90, 90]"),
    ("accounts", "employees", "-1", "must be ≥ 0"),
    ("reps", "capacity", "0", "must be > 0"),
    ("reps", "hire_date", "yesterday", "not dates"),
])
def test_every_value_rule(tiny_frames, table, column, value, words):
    tiny_frames[table][column] = value
    e = _err(tiny_frames)
    assert (e.table, e.column) == (table, column) and words in str(e)


def test_stage_history_and_activities_rules(tiny_frames):
    tiny_frames["stage_history"] = pd.DataFrame({"opportunity_id": ["O1", "O9"],
                                                 "stage": ["Prospecting", "Proposal"],
                                                 "entered_date": ["2026-01-05", "2026-01-06"]})
    e = _err(tiny_frames)
    assert (e.table, e.column) == ("stage_history", "opportunity_id") and "'O9'" in str(e)
    tiny_frames["stage_history"].loc[1, "opportunity_id"] = "O1"
    tiny_frames["activities"] = pd.DataFrame({"rep_id": ["R1"], "date": ["05/13/2026"],
                                              "type": ["call"]})
    ds = Dataset.from_frames(**tiny_frames)      # US-style dates from CRM exports are read
    assert ds.activities["date"].iloc[0] == pd.Timestamp("2026-05-13")


def test_a_known_export_without_its_mapping_is_told_which_mapping(tmp_path, shared_data):
    copy = shutil.copytree(shared_data / "crm_sales_opportunities_maven", tmp_path / "export")
    with pytest.raises(DataValidationError) as info:
        load_dataset(str(copy))
    text = str(info.value)
    # every missing table is named, then the preset that reads the folder
    assert "reps: required table is missing" in text and "opportunities: required" in text
    assert "--mapping maven" in text
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(DataValidationError) as info:
        load_dataset(str(empty))
    assert "accounts:" in str(info.value) and "--mapping" not in str(info.value)
