"""SQL pushdown: the Warehouse's aggregates equal the in-memory path on a sample org."""

from __future__ import annotations

import duckdb
import numpy as np
import pandas as pd
import pytest

from salesops_lib import DataSourceError, load_dataset, measures, performance
from salesops_lib.data import Warehouse
from salesops_lib.forecast import bookings_series


@pytest.fixture(scope="module")
def pair(tmp_path_factory):
    ds = load_dataset("sample:accounts=500,reps=10,years=2,seed=11")
    db = tmp_path_factory.mktemp("wh") / "crm.duckdb"
    con = duckdb.connect(str(db))
    for name, df in ds.tables.items():
        con.register("t", df)
        con.execute(f"create table {name} as select * from t")
        con.unregister("t")
    con.close()
    wh = load_dataset(f"duckdb:///{db}", lazy=True)
    yield ds, wh
    wh.close()


def test_lazy_source_keeps_the_big_tables_in_the_database(pair):
    ds, wh = pair
    assert isinstance(wh, Warehouse) and wh.n_opportunities == len(ds.opportunities)
    assert wh.small.opportunities.empty and len(wh.small.reps) == len(ds.reps)
    assert wh.as_of == ds.as_of
    pd.testing.assert_frame_equal(measures.quota_for_period(wh.small, "2025-Q3"),
                                  measures.quota_for_period(ds, "2025-Q3"))
    for name in ("accounts", "reps", "quotas", "activities", "stage_history"):
        assert getattr(wh, name) is getattr(wh.small, name), name      # held in memory
    # data health: the small tables' notes and the opportunities' counted in the database
    assert [str(n) for n in wh.health] == [str(n) for n in ds.health]
    # what the runner asks of either kind of source, without asking which kind it is
    assert wh.is_lazy and not ds.is_lazy
    assert wh.first_created == ds.first_created == ds.opportunities["created_date"].min()


def test_first_created_of_a_dataset_without_deals_is_nat(tiny_frames):
    from salesops_lib.data import Dataset

    ds = Dataset.from_frames(**tiny_frames)
    assert ds.first_created == pd.Timestamp("2026-01-05")          # O1, the earliest deal
    none = Dataset.from_frames(**{**tiny_frames,
                                  "opportunities": tiny_frames["opportunities"].iloc[:0]})
    assert pd.isna(none.first_created)


def test_a_database_without_deals_opens_lazily_and_eagerly_alike(tmp_path, tiny_frames):
    db = tmp_path / "no_deals.duckdb"
    con = duckdb.connect(str(db))
    for name in ("accounts", "reps", "opportunities", "quotas"):
        df = tiny_frames[name].iloc[:0] if name == "opportunities" else tiny_frames[name]
        con.register("t", df)
        con.execute(f"create table {name} as select * from t")
        con.unregister("t")
    con.close()
    url = f"duckdb:///{db}"
    wh = load_dataset(url, lazy=True)
    eager = load_dataset(url, lazy="auto")          # 0 deals: in memory
    assert wh.n_opportunities == 0 and not eager.is_lazy and len(eager.opportunities) == 0
    assert wh.as_of == eager.as_of and pd.isna(wh.first_created) and pd.isna(eager.first_created)
    wh.close()


def test_auto_falls_back_only_when_the_source_cannot_tell(tmp_path, monkeypatch):
    """``lazy="auto"`` loads eagerly when the database cannot be read lazily (the eager
    loader then says why, masked), but a bug inside the Warehouse is not hidden."""
    from salesops_lib.data import sources

    missing = f"duckdb:///{tmp_path / 'nothing.duckdb'}"
    assert sources._lazy_auto(missing, None, 1) is False            # DataSourceError
    with pytest.raises(DataSourceError, match="no such DuckDB file"):
        load_dataset(missing, lazy="auto")
    empty = tmp_path / "empty.duckdb"
    duckdb.connect(str(empty)).close()
    assert sources._lazy_auto(f"duckdb:///{empty}", None, 1) is False   # no tables
    assert sources._lazy_auto("postgresql://ops:pw@127.0.0.1:1/crm", None, 1) is False

    def broken(self, *a, **k):
        raise KeyError("a bug in the Warehouse")

    monkeypatch.setattr(Warehouse, "__init__", broken)
    with pytest.raises(KeyError, match="a bug in the Warehouse"):
        load_dataset(f"duckdb:///{empty}", lazy="auto")


@pytest.mark.parametrize("period, by", [("2025-Q3", "rep_id"), ("2025-Q4", "team"),
                                        ("2025", "channel"), ("2024-11", "region")])
def test_scorecard_aggregates_equal_the_in_memory_scorecard(pair, period, by):
    ds, wh = pair
    got = wh.scorecard_aggregates(period, by=by).set_index("unique_id")
    if by == "region":
        # accounts' region: compare with a pandas count on the same definition
        opp = ds.opportunities
        key = measures.group_values(ds, "region")
        P = performance.scorecard(ds, period, by="rep_id")["period"].iloc[0]
        from salesops_lib.periods import Period

        p = Period.parse(P)
        won = (opp["status"] == "won") & opp["close_date"].between(p.start, p.end)
        want = opp["amount"].where(won, 0).groupby(key).sum()
        assert np.allclose(got["bookings"].reindex(want.index).fillna(0), want)
        return
    sc = performance.scorecard(ds, period, by=by)
    sc = sc[(sc[["won", "lost", "created"]].sum(axis=1) > 0) | (sc["open_pipeline"] > 0)]
    sc = sc.set_index(sc[by].astype(str))
    got = got.reindex(sc.index)
    for c in ["bookings", "won", "lost", "pipeline_created", "created"]:
        assert np.allclose(got[c].fillna(0).to_numpy(float), sc[c].to_numpy(float)), c
    has_q = sc["quota"].notna()
    assert np.allclose((sc["quota"] - got["booked_by_t"].fillna(0)).clip(lower=0)[has_q],
                       sc["remaining_quota"][has_q])
    assert np.allclose(got["cycle_days_median"], sc["cycle_days_median"], equal_nan=True)


@pytest.mark.parametrize("date, window, by", [("2025-08-15", "2025-Q3", "team"),
                                              ("2025-06-30", "2025-Q3", None),
                                              ("2025-11-15", None, "rep_id")])
def test_open_pipeline_equals_open_pipeline_as_of(pair, date, window, by):
    ds, wh = pair
    want = measures.open_pipeline_as_of(ds, date, window)
    key = measures.group_values(ds, by, want) if by else pd.Series("total", index=want.index)
    want = want.groupby(key.to_numpy())["amount"].agg(["sum", "size"])
    got = wh.open_pipeline(date, window, by=by).set_index("unique_id").reindex(want.index)
    assert np.allclose(got["open_pipeline"], want["sum"]) and (got["open_deals"] == want["size"]).all()


def test_state_counts_as_of(pair):
    ds, wh = pair
    s = measures.state_as_of(ds, "2025-05-31")
    want = s.groupby("status")["amount"].agg(["size", "sum"])
    got = wh.state_counts_as_of("2025-05-31").set_index("status").loc[want.index]
    assert (got["deals"].to_numpy() == want["size"].to_numpy()).all()
    assert np.allclose(got["amount"], want["sum"])


@pytest.mark.parametrize("granularity, by", [("month", None), ("quarter", "team"),
                                             ("week", "channel"), ("day", None)])
def test_bookings_series_equals_the_forecast_input(pair, granularity, by):
    ds, wh = pair
    want = bookings_series(ds, granularity, by=by)
    got = wh.bookings_series(granularity, by=by)
    pd.testing.assert_frame_equal(got.reset_index(drop=True), want.reset_index(drop=True),
                                  check_dtype=False)


def test_lazy_needs_a_database_and_plain_table_names(pair, tmp_path):
    with pytest.raises(DataSourceError, match="lazy=True needs a database URL"):
        load_dataset("sample", lazy=True)
    _, wh = pair
    with pytest.raises(DataSourceError, match="only table names"):
        Warehouse(wh.url, {"opportunities": {"columns": {"x": "y"}}})
    with pytest.raises(ValueError, match="cannot group by 'colour'"):
        wh.scorecard_aggregates("2025-Q3", by="colour")


def test_pipeline_moves_sum_exactly_and_match_the_states(pair):
    ds, wh = pair
    w = wh.pipeline_moves("2025-07-01", "2025-09-15", "2025-Q3").set_index("bucket")
    a = measures.open_pipeline_as_of(ds, "2025-07-01", "2025-Q3").set_index("opportunity_id")
    b = measures.open_pipeline_as_of(ds, "2025-09-15", "2025-Q3").set_index("opportunity_id")
    assert np.isclose(w.loc["start", "amount"], a["amount"].sum())
    assert np.isclose(w.loc["end", "amount"], b["amount"].sum())
    between = w.drop(index=["start", "end"])["amount"].sum()
    assert np.isclose(w.loc["start", "amount"] + between, w.loc["end", "amount"])
    end = measures.state_as_of(ds, "2025-09-15").set_index("opportunity_id")
    gone = a.index.difference(b.index)
    won = gone[end.loc[gone, "status"] == "won"]
    assert np.isclose(w.loc["won", "amount"], -a.loc[won, "amount"].sum())
    assert w.loc["won", "deals"] == len(won) and len(won) > 0
    both = a.index.intersection(b.index)
    assert np.isclose(w.loc["amount change", "amount"],
                      (b.loc[both, "amount"] - a.loc[both, "amount"]).sum())
    new = b.index.difference(a.index)
    created = new[ds.opportunities.set_index("opportunity_id").loc[new, "created_date"]
                  > pd.Timestamp("2025-07-01")]
    assert np.isclose(w.loc["created", "amount"], b.loc[created, "amount"].sum())
