"""The executive summary's and rep performance's calls on a lazy (SQL) source equal the
in-memory path on the same data: every table and headline number."""

from __future__ import annotations

import duckdb
import numpy as np
import pandas as pd
import pytest

from salesops_lib import load_dataset, measures
from salesops_lib import performance as perf
from salesops_lib.data import Warehouse
from salesops_lib.data.lazy import LazyDataError
from salesops_lib.performance import consistency
from salesops_lib.performance import executive as ex

PERIODS = ["2025-Q3", "2025-Q4", "2026-Q1"]


def to_duckdb(ds, path):
    con = duckdb.connect(str(path))
    for name, df in ds.tables.items():
        if len(df):
            con.register("t", df)
            con.execute(f"create table {name} as select * from t")
            con.unregister("t")
    con.close()


@pytest.fixture(scope="module")
def pair(tmp_path_factory):
    ds = load_dataset("sample:accounts=600,reps=14,years=3,seed=5")
    db = tmp_path_factory.mktemp("lazy") / "crm.duckdb"
    to_duckdb(ds, db)
    url = f"duckdb:///{db}"
    mem = load_dataset(url)                       # the in-memory path on the very same file
    wh = load_dataset(url, lazy=True)
    yield mem, wh
    wh.close()


def same(a, b, **kw):
    """Frames equal up to dtypes (string vs object) and float rounding."""
    a, b = a.reset_index(drop=True), b.reset_index(drop=True)
    assert list(a.columns) == list(b.columns)
    for c in a.columns:
        x, y = a[c], b[c]
        if pd.api.types.is_numeric_dtype(x) and pd.api.types.is_numeric_dtype(y):
            np.testing.assert_allclose(x.to_numpy(float), y.to_numpy(float), rtol=1e-9,
                                       equal_nan=True, err_msg=c)
        else:
            assert x.astype(str).tolist() == y.astype(str).tolist(), c


def same_series(a: pd.Series, b: pd.Series):
    assert list(a.index) == list(b.index)
    for k in a.index:
        x, y = a[k], b[k]
        if isinstance(x, (float, int, np.floating, np.integer)) and not isinstance(x, bool):
            assert (pd.isna(x) and pd.isna(y)) or np.isclose(x, y, rtol=1e-9), k
        else:
            assert str(x) == str(y), k


def test_the_lazy_source_keeps_opportunities_in_the_database(pair):
    mem, wh = pair
    assert isinstance(wh, Warehouse) and wh.is_lazy
    assert len(wh.opportunities) == len(mem.opportunities)
    assert len(wh.opportunity_history) == len(mem.opportunity_history)
    with pytest.raises(LazyDataError, match="opportunities stays in the database"):
        wh.opportunities["amount"]
    assert wh.as_of == mem.as_of
    rows = lambda d: d.summary().set_index("table")["rows"]
    for t in ("accounts", "reps", "opportunities", "quotas", "opportunity_history"):
        assert rows(wh)[t] == rows(mem)[t], t


@pytest.mark.parametrize("period", PERIODS)
@pytest.mark.parametrize("by", ["rep_id", "team", "channel"])
def test_scorecard_equal(pair, period, by):
    mem, wh = pair
    same(perf.scorecard(wh, period, by=by), perf.scorecard(mem, period, by=by))


@pytest.mark.parametrize("period", PERIODS)
def test_executive_summary_numbers_equal(pair, period):
    mem, wh = pair
    same_series(ex.org_headline(wh, period), ex.org_headline(mem, period))
    same(ex.by_team(wh, period), ex.by_team(mem, period))
    m, w = ex.monthly_bookings(mem, period), ex.monthly_bookings(wh, period)
    same(w, m)
    assert w.attrs == m.attrs
    same(ex.pipeline_outlook(wh, period, by="team"), ex.pipeline_outlook(mem, period, by="team"))
    assert measures.comparable_window(wh, period) == measures.comparable_window(mem, period)


@pytest.mark.parametrize("period", PERIODS)
def test_rep_performance_numbers_equal(pair, period):
    mem, wh = pair
    hm, hw = perf.rep_headline(mem, period), perf.rep_headline(wh, period)
    same_series(pd.Series(hw), pd.Series(hm))
    same(perf.leaderboard(wh, period), perf.leaderboard(mem, period))
    for by in (None, "manager"):
        same(perf.attainment_rollup(wh, period, by=by), perf.attainment_rollup(mem, period, by=by))
    same(perf.potential_adjusted(wh, period), perf.potential_adjusted(mem, period))
    same(perf.gap_decomposition(perf.scorecard(wh, period)),
         perf.gap_decomposition(perf.scorecard(mem, period)))
    cm, cw = perf.cycle_by(mem, period, by="role"), perf.cycle_by(wh, period, by="role")
    same(cw, cm)
    assert cw.attrs == cm.attrs


@pytest.mark.parametrize("by", ["rep_id", "role", "region", "channel"])
def test_consistency_equal(pair, by):
    mem, wh = pair
    same(consistency.consistency(wh, by=by, end="2025-Q4", missing="note"),
         consistency.consistency(mem, by=by, end="2025-Q4", missing="note"))


def test_ramp_equal(pair):
    mem, wh = pair
    (cm, sm), (cw, sw) = consistency.ramp(mem), consistency.ramp(wh)
    same(cw, cm)
    assert sw.keys() == sm.keys()
    same_series(pd.Series(sw), pd.Series(sm))


@pytest.mark.parametrize("as_of", ["2025-12-31", "2026-03-15"])
def test_ramp_as_of_equal(pair, as_of):
    # the as-of ramp reads the deals as they stood then: in the database as in memory
    mem, wh = pair
    (cm, sm), (cw, sw) = consistency.ramp(mem, as_of=as_of), consistency.ramp(wh, as_of=as_of)
    same(cw, cm)
    same_series(pd.Series(sw), pd.Series(sm))


def test_auto_keeps_a_large_source_lazy_and_a_small_one_in_memory(pair, monkeypatch):
    mem, wh = pair
    url = wh.url
    assert not getattr(load_dataset(url, lazy="auto"), "is_lazy", False)
    monkeypatch.setenv("SALESOPS_LAZY_ROWS", str(len(mem.opportunities) - 1))
    got = load_dataset(url, lazy="auto")
    assert got.is_lazy
    got.close()


def test_a_filter_on_a_lazy_source_is_a_clear_error(pair):
    _, wh = pair
    assert perf.subset(wh) is wh
    with pytest.raises(ValueError, match="lazy"):
        perf.subset(wh, team="West")


def test_per_rep_charts_draw_the_flagged_and_the_extremes_when_reps_are_many():
    from salesops_lib.performance.plots import shown_rows

    df = pd.DataFrame({"rep_id": [f"R{i}" for i in range(10)],
                       "score": [5.0, 1.0, 9.0, 3.0, 7.0, 2.0, 8.0, 4.0, 6.0, 0.0]})
    flagged = df["rep_id"].isin(["R3", "R7"])              # scores 3 and 4: middling
    rows, note = shown_rows(df, "score", flagged, limit=6)
    # by hand: the two flagged, then the 2 lowest (R9 = 0, R1 = 1) and the 2 highest (R2 = 9,
    # R6 = 8) of the others, in the frame's order
    assert rows["rep_id"].tolist() == ["R1", "R2", "R3", "R6", "R7", "R9"]
    assert note == " (showing 6 of 10 reps: every flagged rep, then the highest and lowest)"
    same_rows, no_note = shown_rows(df, "score", flagged, limit=10)
    assert same_rows is df and no_note == ""
    many = shown_rows(df, "score", pd.Series(True, index=df.index), limit=2)[0]
    assert sorted(many["score"]) == [0.0, 9.0]              # the most extreme flags first


def test_lineage_counts_and_data_health_match_the_in_memory_load(pair):
    mem, lazy = pair
    # the stale-pipeline and other opportunity notes are counted in the database, not lost
    assert [str(n) for n in lazy.health] == [str(n) for n in mem.health]
    assert any("stale pipeline" in str(n) for n in lazy.health)
    # tables held in the database but not loaded are counted, not shown as 0 rows
    got = lazy.summary().set_index("table")["rows"]
    want = mem.summary().set_index("table")["rows"]
    assert got.to_dict() == want.to_dict()
