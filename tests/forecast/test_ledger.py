"""Forecast ledger (append-only, atomic, survives failures)."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import pandas as pd
import pytest

from salesops_lib.forecast import ledger as L


def rows(value=100.0, as_of="2026-10-05", period="2026-Q4"):
    return pd.DataFrame({"period": period, "source": ["timeseries", "pipeline", "blend"],
                         "as_of": pd.Timestamp(as_of), "value": [value, value + 10, value + 5],
                         "lower": value - 20, "upper": value + 20})


@pytest.mark.parametrize("name", ["forecast_ledger.csv", "ledger.parquet"])
def test_ledger_is_append_only(tmp_path, name):
    f = tmp_path / "reports" / name
    assert L.read(f).empty and list(L.read(f).columns) == L.COLUMNS
    first = L.append(f, rows(100), run_at="2026-10-05 08:00:00")
    second = L.append(f, rows(120, "2026-10-12"), run_at="2026-10-12 08:00:00")
    back = L.read(f)
    assert len(back) == 6
    pd.testing.assert_frame_equal(back.iloc[:3].reset_index(drop=True),
                                  first.reset_index(drop=True), check_dtype=False)
    assert back["value"].tolist() == [100, 110, 105, 120, 130, 125]
    assert back["run_at"].iloc[-1] == pd.Timestamp("2026-10-12 08:00:00")
    assert list(second.columns) == L.COLUMNS
    assert [p.name for p in f.parent.iterdir()] == [name]       # no temporary files left


def test_ledger_survives_a_failed_run(tmp_path, monkeypatch):
    f = L.path(tmp_path)
    L.append(f, rows(100))
    before = f.read_bytes()

    def boom(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(pd.DataFrame, "to_csv", boom)
    with pytest.raises(OSError, match="disk full"):
        L.append(f, rows(999))
    monkeypatch.undo()
    assert f.read_bytes() == before                               # old ledger intact
    assert sorted(p.name for p in tmp_path.iterdir()) == [L.FILENAME]
    with pytest.raises(ValueError, match="lack"):
        L.append(f, rows(5).drop(columns="upper"))                  # bad rows: nothing written
    assert f.read_bytes() == before


def test_accuracy_by_source_and_week():
    entries = pd.concat([rows(100, "2026-07-01", "2026-Q3"), rows(80, "2026-08-12", "2026-Q3"),
                         rows(50, "2026-10-05", "2026-Q4")], ignore_index=True)
    actuals = pd.DataFrame({"period": ["2026-Q3", "2026-Q4"], "actual": [100.0, 5.0]})
    acc = L.accuracy(entries, actuals, as_of="2026-11-15")
    assert set(acc["period"]) == {"2026-Q3"}                     # Q4 not over yet
    assert sorted(acc["week"].unique()) == [1, 7]                # 07-01 → week 1, 08-12 → 7
    ts = acc[(acc["source"] == "timeseries")].set_index("week")
    assert ts.at[1, "ape"] == 0 and ts.at[7, "ape"] == pytest.approx(0.2)
    assert ts.at[7, "inside"]                                   # 100 within [60, 100]
    s = L.summary(acc).set_index(["source", "week"])
    assert s.at[("pipeline", 1), "wape"] == pytest.approx(0.1)
    assert s.at[("pipeline", 7), "bias"] == pytest.approx(-0.1)
    fig = L.plot_accuracy(L.summary(acc))
    assert fig.axes[0].get_title(loc="left") and "%" in fig.axes[0].get_ylabel()


def test_record_writes_only_when_the_runner_gives_a_reports_folder(tmp_path):
    assert L.record("", rows(1)).empty
    assert list(tmp_path.iterdir()) == []
    out = L.record(str(tmp_path), rows(1))
    assert len(out) == 3 and L.path(tmp_path).exists()
    assert len(L.record(str(tmp_path), rows(2))) == 6
