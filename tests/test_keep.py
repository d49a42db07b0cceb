"""The keep area: one transactional store per reports folder, staged and published whole."""

from __future__ import annotations

import pandas as pd
import pytest

from salesops_lib import keep


def _frame(ids, value=1.0):
    return pd.DataFrame({"id": ids, "value": value, "when": pd.Timestamp("2026-10-05")})


def test_append_skips_rows_already_kept_and_reads_back_in_order(tmp_path):
    assert keep.read(tmp_path, "t") is None
    assert keep.append(tmp_path, "t", _frame(["a", "b"]), key=["id"]) == 2
    assert keep.append(tmp_path, "t", _frame(["b", "c"], 9.0), key=["id"]) == 1
    got = keep.read(tmp_path, "t")
    assert got["id"].tolist() == ["a", "b", "c"] and got["value"].tolist() == [1, 1, 9]
    assert got["when"].iloc[0] == "2026-10-05 00:00:00"
    with pytest.raises(ValueError, match="key"):
        keep.append(tmp_path, "t", _frame(["d"]).drop(columns="id"), key=["id"])
    assert len(keep.read(tmp_path, "t")) == 3


def test_publish_moves_every_staged_table_in_one_go(tmp_path):
    published, staged = tmp_path / "reports", tmp_path / "stage"
    keep.append(published, "t", _frame(["a"]), key=["id"])
    keep.append(staged, "t", _frame(["a", "b"], 5.0).assign(extra="x"), key=["id"])
    keep.append(staged, "other", pd.DataFrame({"k": [1, 2]}), key=["k"])
    assert keep.publish(staged, published) == 3
    t = keep.read(published, "t")
    assert t["id"].tolist() == ["a", "b"] and t["value"].tolist() == [1, 5]   # first kept
    assert t["extra"].tolist() == [None, "x"]                 # a new column is added
    assert keep.read(published, "other")["k"].tolist() == [1, 2]
    assert keep.publish(staged, published) == 0                # idempotent
    assert keep.publish(tmp_path / "nothing", published) == 0


def test_staging_is_read_from_the_runner_environment(monkeypatch, tmp_path):
    assert keep.staging() == (None, None) and keep.run_data() is None
    monkeypatch.setenv(keep.REPORTS_ENV, str(tmp_path / "r"))
    monkeypatch.setenv(keep.KEEP_ENV, str(tmp_path / "s"))
    monkeypatch.setenv(keep.DATA_ENV, "sample")
    assert keep.staging() == (tmp_path / "r", tmp_path / "s") and keep.run_data() == "sample"
