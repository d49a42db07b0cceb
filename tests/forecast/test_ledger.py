"""Forecast ledger (append-only, atomic, survives failures)."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import pandas as pd
import pytest

from salesops_lib.forecast import ledger as L


def rows(value=100.0, as_of="2026-10-05", period="2026-Q4"):
    return pd.DataFrame({"period": period, "source": ["timeseries", "pipeline", "blend"],
                         "as_of": pd.Timestamp(as_of), "value": [value, value + 10, value + 5],
                         "lower": value - 20, "upper": value + 20})


def test_ledger_is_append_only_and_keyed_by_data_source(tmp_path):
    reports = tmp_path / "reports"
    assert L.read(reports).empty and list(L.read(reports).columns) == L.COLUMNS
    first = L.append(reports, rows(100), data="sample", run_at="2026-10-05 08:00:00")
    L.append(reports, rows(120, "2026-10-12"), data="sample", run_at="2026-10-12 08:00:00")
    L.append(reports, rows(7), data="postgresql://u:***@db/crm")
    back = L.read(reports, data="sample")
    assert len(back) == 6 and len(L.read(reports)) == 9
    pd.testing.assert_frame_equal(back.iloc[:3].reset_index(drop=True),
                                  first.reset_index(drop=True), check_dtype=False)
    assert back["value"].tolist() == [100, 110, 105, 120, 130, 125]
    assert back["run_at"].iloc[-1] == pd.Timestamp("2026-10-12 08:00:00")
    assert L.read(reports, data="postgresql://u:***@db/crm")["value"].tolist() == [7, 17, 12]
    assert sorted(p.name for p in reports.iterdir()) == ["keep.sqlite"]


def test_rerun_with_same_data_and_as_of_adds_nothing(tmp_path):
    L.append(tmp_path, rows(100), data="sample")
    again = L.append(tmp_path, rows(999), data="sample")      # same as-of: kept as first written
    assert len(again) == 3 and again["value"].tolist() == [100, 110, 105]


def test_only_forecasts_made_before_the_period_ended_are_kept(tmp_path):
    late = pd.concat([rows(1, "2026-12-30"), rows(2, "2026-12-31"), rows(3, "2027-01-04")])
    kept = L.append(tmp_path, late, data="sample")
    assert kept["as_of"].unique().tolist() == [pd.Timestamp("2026-12-30")]


def test_bad_rows_write_nothing(tmp_path):
    L.append(tmp_path, rows(100), data="sample")
    before = L.read(tmp_path)
    with pytest.raises(ValueError, match="lack"):
        L.append(tmp_path, rows(5).drop(columns="upper"), data="sample")
    with pytest.raises(ValueError, match="data source"):
        L.append(tmp_path, rows(5, "2026-10-19"))
    with pytest.raises(ValueError, match="cannot read period"):
        L.append(tmp_path, rows(5, period="2026-Q9"), data="sample")
    pd.testing.assert_frame_equal(L.read(tmp_path), before)


def test_old_csv_ledger_is_migrated_on_first_use(tmp_path):
    old = rows(50, "2026-07-06", "2026-Q3").assign(run_at="2026-07-06 06:00:00")
    old.to_csv(tmp_path / L.LEGACY, index=False)
    got = L.read(tmp_path, data="sample")
    assert got["value"].tolist() == [50, 60, 55] and set(got["data"]) == {"sample"}
    assert not (tmp_path / L.LEGACY).exists() and (tmp_path / (L.LEGACY + ".migrated")).exists()
    assert len(L.append(tmp_path, rows(100), data="sample")) == 6


_WRITER = """
import sys
import pandas as pd
from salesops_lib.forecast import ledger
folder, tag, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
for i in range(n):
    day = pd.Timestamp("2026-10-01") + pd.Timedelta(days=i % 80)
    row = pd.DataFrame({"period": ["2026-Q4"], "source": [f"{tag}-{i}"], "as_of": [day],
                        "value": [float(i)], "lower": [0.0], "upper": [1.0]})
    ledger.append(folder, row, data="sample")
    print(i, flush=True)
"""


def _writer(folder, tag, n):
    import os
    import subprocess
    import sys

    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])}
    return subprocess.Popen([sys.executable, "-c", _WRITER, str(folder), tag, str(n)],
                            env=env, stdout=subprocess.PIPE, text=True)


def test_two_processes_appending_at_once_lose_nothing(tmp_path):
    procs = [_writer(tmp_path, tag, 60) for tag in ("a", "b")]
    for proc in procs:
        proc.communicate(timeout=300)
        assert proc.returncode == 0
    got = L.read(tmp_path, data="sample")
    assert len(got) == 120 and got["source"].nunique() == 120


def test_a_writer_killed_mid_write_leaves_the_last_committed_state(tmp_path):
    import signal

    proc = _writer(tmp_path, "k", 10_000)
    for _ in range(15):                           # let it commit a few appends
        proc.stdout.readline()
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=60)
    got = L.read(tmp_path, data="sample")
    assert len(got) >= 15
    # every committed append is whole and the store still takes writes
    assert got["source"].tolist() == [f"k-{i}" for i in range(len(got))]
    assert len(L.append(tmp_path, rows(1), data="sample")) == len(got) + 3


def test_against_actual_shows_what_was_forecast_for_a_closed_period():
    entries = pd.concat([rows(100, "2026-07-06", "2026-Q3"), rows(90, "2026-09-07", "2026-Q3")])
    t = L.against_actual(entries, "2026-Q3", 100.0).set_index("source")
    assert t.at["blend", "forecasts"] == 2 and t.at["blend", "first_value"] == 105
    assert t.at["blend", "value"] == 95 and t.at["blend", "error"] == -5
    assert t.at["timeseries", "ape"] == pytest.approx(0.1) and t.at["timeseries", "inside"]
    assert L.against_actual(entries, "2026-Q4", 1.0).empty


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


def test_record_writes_only_in_a_report_run(tmp_path, monkeypatch):
    from salesops_lib import keep

    assert L.record(rows(1), data="sample").empty                # interactive: nothing kept
    assert list(tmp_path.iterdir()) == []
    published, staged = tmp_path / "reports", tmp_path / "stage"
    L.append(published, rows(1, "2026-10-01"), data="sample")
    monkeypatch.setenv(keep.REPORTS_ENV, str(published))
    monkeypatch.setenv(keep.KEEP_ENV, str(staged))
    monkeypatch.setenv(keep.DATA_ENV, "sample")
    seen = L.record(rows(2))                                      # published + this run's
    assert len(seen) == 6 and len(L.read(published)) == 3          # published untouched
    assert len(L.record(rows(2).iloc[:0])) == 6                   # no rows (a closed period)
    assert len(L.record(str(published), rows(3, "2026-10-12"))) == 9   # the older call form
    keep.publish(staged, published)
    assert len(L.read(published, data="sample")) == 9
