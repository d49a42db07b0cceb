"""The calls file's checks (:func:`salesops_lib.forecast.calls.validate_calls`): every bad
value is named by file, column and row; callers must exist in the data."""

from __future__ import annotations

import pandas as pd
import pytest

from salesops_lib import load_dataset
from salesops_lib.forecast import calls as C

from ..conftest import write_csvs


def _raw(**cols) -> pd.DataFrame:
    base = {"team": ["East", "West", "East"], "period": ["2026-Q2"] * 3,
            "as_of": ["2026-04-01", "2026-04-08", "2026-05-01"], "value": ["10", "20", "30"]}
    return pd.DataFrame({**base, **cols})


def test_a_good_frame_is_typed_with_level_and_source():
    out = C.validate_calls(_raw(period=["2026-q2", "2026-Q2", "2026-Q2"]), "calls.csv")
    assert out.columns.tolist() == ["unique_id", "period", "as_of", "value", "level", "source"]
    assert out["value"].tolist() == [10.0, 20.0, 30.0] and out["value"].dtype.kind == "f"
    assert out["period"].tolist() == ["2026-Q2"] * 3          # written as the period's label
    assert out["as_of"].iloc[0] == pd.Timestamp("2026-04-01")
    assert set(out["level"]) == {"team"} and set(out["source"]) == {"calls.csv"}


@pytest.mark.parametrize(("cols", "says"), [
    ({"as_of": ["2026-04-01", "2026-13-45", "2026-05-01"]},
     "column as_of, row 2: '2026-13-45' is not a date"),
    ({"value": ["10", "20", "lots"]}, "column value, row 3: 'lots' is not a number"),
    ({"value": ["10", "-5", "30"]}, "column value, row 2: '-5' is negative"),
    ({"value": ["10", "NaN", "30"]}, "column value, row 2: 'NaN' is not a number"),
    ({"value": ["10", None, "30"]}, "column value, row 2: no value"),
    ({"period": ["2026-Q2", "2026-Q9", "2026-Q2"]}, "column period, row 2: '2026-Q9' is not a"),
    ({"level": ["team", "teams", "team"]}, "column level, row 2: 'teams' is not a level"),
    ({"team": ["East", None, "West"]}, "column team, row 2: no caller"),
])
def test_each_bad_value_names_the_file_column_and_row(cols, says):
    with pytest.raises(C.CallsError) as err:
        C.validate_calls(_raw(**cols), "/x/calls.csv")
    assert str(err.value).startswith("calls file /x/calls.csv: ") and says in str(err.value)


def test_missing_columns_and_files_are_named(tmp_path):
    with pytest.raises(C.CallsError, match="required column.* value missing"):
        C.validate_calls(_raw().drop(columns="value"), "c.csv")
    with pytest.raises(C.CallsError, match="needs unique_id"):
        C.validate_calls(_raw().drop(columns="team"), "c.csv")
    with pytest.raises(C.CallsError, match=f"calls file {tmp_path}/none.csv does not exist"):
        C.read_calls(tmp_path / "none.csv")


def test_callers_must_exist_in_the_data(tmp_path, tiny_frames):
    ds = load_dataset(write_csvs(tmp_path / "crm", tiny_frames))
    assert len(C.validate_calls(_raw(), "c.csv", ds=ds)) == 3
    with pytest.raises(C.CallsError, match=r"column team, row 2: 'Nowhere': no such team in "
                                           r"the data \(teams: East, West\)"):
        C.validate_calls(_raw(team=["East", "Nowhere", "West"]), "c.csv", ds=ds)
    # a unique_id with a level per row; rows without one take ``by``
    raw = pd.DataFrame({"unique_id": ["R1", "R9"], "level": ["rep_id", None],
                        "period": "2026-Q2", "as_of": "2026-04-01", "value": "1"})
    C.validate_calls(raw, "c.csv", ds=ds)                     # by unknown: R9 not checked
    with pytest.raises(C.CallsError, match="row 2: 'R9': no such rep id"):
        C.validate_calls(raw, "c.csv", ds=ds, by="rep_id")
    with pytest.raises(C.CallsError, match="calls for a region, but the data have no region"):
        C.validate_calls(raw.assign(level="region"), "c.csv", ds=ds)


def test_read_calls_file_reports_rows_as_in_the_file(tmp_path):
    f = tmp_path / "calls.csv"
    f.write_text("team,period,as_of,value\nEast,2026-Q2,2026-04-01,5\n"
                 "West,2026-Q2,2026-04-01,1e3\nWest,2026-Q2,2026-04-02,lots\n")
    with pytest.raises(ValueError, match=f"calls file {f}: column value, row 3: 'lots'"):
        C.read_calls(f)
    f.write_text("rep_id,period,as_of,value\n")              # a header alone: no calls
    assert C.read_calls(f).empty
