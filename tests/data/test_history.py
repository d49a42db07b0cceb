"""opportunity_history: the sample's, the loaders' and the validation's."""

from __future__ import annotations

import duckdb
import numpy as np
import pandas as pd
import pytest

from salesops_lib import Dataset, DataValidationError, load_dataset, measures
from salesops_lib.data import sample_history
from salesops_lib.data.sample import generate

from ..conftest import write_csvs

SMALL = {"accounts": 500, "reps": 10, "years": 2, "seed": 3}
STATE = ["stage", "status", "amount", "close_date", "forecast_category", "rep_id"]


@pytest.fixture(scope="module")
def small():
    return generate(**SMALL)


def _history(frames, seed):
    return sample_history.generate_history(frames["opportunities"], frames["stage_history"],
                                           frames["reps"], frames["as_of"], seed)


def test_sample_history_is_deterministic_per_seed(small):
    pd.testing.assert_frame_equal(small["opportunity_history"],
                                  generate(**SMALL)["opportunity_history"])
    assert not _history(small, 4).equals(small["opportunity_history"])


def test_every_deal_starts_with_one_creation_row_on_its_created_date(small):
    h, opp = small["opportunity_history"], small["opportunities"].set_index("opportunity_id")
    assert set(h["opportunity_id"]) == set(opp.index)
    first = h.groupby("opportunity_id").head(1).set_index("opportunity_id")
    assert (first["changed_at"] == opp.loc[first.index, "created_date"]).all()
    assert (first["status"] == "open").all()
    assert (h["changed_at"] >= h["opportunity_id"].map(opp["created_date"])).all()
    assert (h["changed_at"] <= small["as_of"]).all()
    # rows are ordered by deal and time
    assert h.equals(h.sort_values(["opportunity_id", "changed_at"], kind="stable"))


def test_last_history_row_is_the_final_opportunity(small):
    h, opp = small["opportunity_history"], small["opportunities"].set_index("opportunity_id")
    last = h.groupby("opportunity_id").tail(1).set_index("opportunity_id")
    for c in STATE:
        pd.testing.assert_series_equal(last[c], opp.loc[last.index, c], check_names=False,
                                       check_dtype=False)


def test_stage_rows_match_stage_history(small):
    h, sh = small["opportunity_history"], small["stage_history"]
    # every stage entry is a history row with that stage on that day
    entries = h.drop_duplicates(["opportunity_id", "stage"])[["opportunity_id", "stage", "changed_at"]]
    m = sh.merge(entries, on=["opportunity_id", "stage"], how="left")
    assert (m["changed_at"] == m["entered_date"]).all()


def test_changes_happen_at_realistic_rates(small):
    h = small["opportunity_history"]
    n = h["opportunity_id"].nunique()
    per = h.groupby("opportunity_id")
    changed = {c: (per[c].nunique(dropna=False) > 1).mean() for c in ["amount", "close_date", "rep_id"]}
    assert 0.15 < changed["amount"] < 0.40              # about AMOUNT_CHANGE_RATE
    assert 0.20 < changed["close_date"] < 0.50          # pushes (and closes off plan)
    assert 0.005 < changed["rep_id"] < 0.08             # a few owner changes
    # a category call ahead of the stage: commit while the stage still says best case
    ahead = (h["forecast_category"] == "commit") & h["stage"].isin(["Discovery", "Proposal"])
    assert ahead.any() and n > 100


def test_closed_rows_carry_won_or_lost(small):
    h = small["opportunity_history"]
    closed = h[h["stage"].isin(["Closed Won", "Closed Lost"])]
    assert set(closed["status"]) == {"won", "lost"}
    assert set(closed.loc[closed["status"] == "won", "forecast_category"]) == {"closed"}


def test_as_of_state_reads_history_in_the_sample():
    ds = load_dataset("sample:accounts=300,reps=8,years=1,seed=5")
    assert len(ds.opportunity_history) > len(ds.opportunities)
    d = ds.as_of - pd.Timedelta(days=120)
    s = measures.state_as_of(ds, d)
    assert s["from_history"].all()
    h = ds.opportunity_history
    one = h.loc[h["changed_at"] <= d].groupby("opportunity_id").tail(1).set_index("opportunity_id")
    got = s.set_index("opportunity_id").loc[one.index]
    assert (got["amount"].to_numpy() == one["amount"].to_numpy()).all()
    assert (got["status"].to_numpy() == one["status"].to_numpy()).all()


def test_generation_is_vectorised_and_fast(small):
    import time

    t = time.perf_counter()
    _history(small, 3)
    assert time.perf_counter() - t < 2.0


# ------------------------------------------------------------------------- loaders, validation
def _tiny_history():
    return pd.DataFrame({
        "opportunity_id": ["O3", "O3", "O1"],
        "changed_at": ["2026-03-01", "2026-04-01", "2026-01-05"],
        "stage": ["Prospecting", "Proposal", "Prospecting"],
        "status": ["open", "open", "open"],
        "amount": ["900", "700", "1000"],
        "close_date": ["2026-06-30", "2026-12-01", "2026-03-01"],
        "forecast_category": ["pipeline", "best case", "pipeline"],
        "rep_id": ["R2", "R2", "R1"]})


def test_history_loads_from_csv_parquet_and_duckdb(tmp_path, tiny_frames):
    tiny_frames["opportunity_history"] = _tiny_history()
    ref = Dataset.from_frames(**tiny_frames)
    assert len(ref.opportunity_history) == 3
    csv = write_csvs(tmp_path / "csv", tiny_frames)
    pq = tmp_path / "pq"
    pq.mkdir()
    db = tmp_path / "crm.duckdb"
    con = duckdb.connect(str(db))
    for name, df in ref.tables.items():
        df.to_parquet(pq / f"{name}.parquet")
        con.register("t", df)
        con.execute(f"create table {name} as select * from t")
        con.unregister("t")
    con.close()
    for src in (csv, pq, f"duckdb:///{db}"):
        ds = load_dataset(src)
        pd.testing.assert_frame_equal(ds.opportunity_history, ref.opportunity_history,
                                      check_dtype=False)
    # rows need not be ordered in the file: the state on a day is the same
    s = measures.state_as_of(ref, "2026-03-15").set_index("opportunity_id")
    assert s.loc["O3", "amount"] == 900 and s.loc["O3", "stage"] == "Prospecting"


@pytest.mark.parametrize("row, column, value, words", [
    (0, "opportunity_id", "O9", ["point to no opportunities.opportunity_id", "'O9'"]),
    (1, "status", "Closed", ["one of open, won, lost", "'Closed'"]),
    (1, "rep_id", "R7", ["point to no reps.rep_id", "'R7'"]),
    (0, "changed_at", "2026-02-01", ["dated before their deal's created date", "O3",
                                     "2026-02-01", "changed_at ≥ opportunities.created_date"]),
    (2, "amount", "-3", ["≥ 0"]),
    (2, "changed_at", "soon", ["not dates"]),
])
def test_history_rules_name_table_column_and_rows(tiny_frames, row, column, value, words):
    h = _tiny_history()
    h.loc[row, column] = value
    tiny_frames["opportunity_history"] = h
    with pytest.raises(DataValidationError) as info:
        Dataset.from_frames(**tiny_frames)
    e = info.value
    assert (e.table, e.column) == ("opportunity_history", column)
    for w in words:
        assert w in str(e)


def test_deals_without_history_are_a_health_note(tiny_frames):
    tiny_frames["opportunity_history"] = _tiny_history()
    ds = Dataset.from_frames(**tiny_frames)
    assert any("2 deals have no history rows" in str(n) for n in ds.health)
    # the last history change counts towards the as-of date
    tiny_frames["opportunity_history"].loc[1, "changed_at"] = "2026-06-01"
    assert Dataset.from_frames(**tiny_frames).as_of == pd.Timestamp("2026-06-01")


def test_sample_csv_round_trip_keeps_history(tmp_path):
    frames = generate(accounts=200, reps=6, years=1, seed=2)
    tables = {k: v for k, v in frames.items() if k != "as_of"}
    for name, df in tables.items():
        df.to_csv(tmp_path / f"{name}.csv", index=False, date_format="%Y-%m-%d")
    ds = load_dataset(tmp_path)
    assert len(ds.opportunity_history) == len(frames["opportunity_history"])
    assert np.isclose(ds.opportunity_history["amount"].sum(),
                      frames["opportunity_history"]["amount"].sum())


def test_a_closed_deal_first_shows_the_plan_then_its_slip():
    # the rep's first close date is the plan; a deal that slipped (or was pulled into a
    # quarter-end) shows the move before it closed, never the actual date from creation
    frames = generate(**SMALL)
    h, o = frames["opportunity_history"], frames["opportunities"]
    closed = o[o["status"].isin(["won", "lost"])].set_index("opportunity_id")["close_date"]
    first = h.drop_duplicates("opportunity_id").set_index("opportunity_id")["close_date"]
    moved = first.reindex(closed.index) != closed
    assert 0.25 < moved.mean() < 0.6
    last_change = (h[h["opportunity_id"].isin(closed.index[moved])
                     & h["close_date"].eq(h["opportunity_id"].map(closed))]
                   .groupby("opportunity_id")["changed_at"].min())
    assert (last_change <= closed.reindex(last_change.index)).all()
    assert len(last_change) == moved.sum()


def test_the_sample_knows_how_its_open_deals_end():
    frames = generate(**SMALL, outcomes=True)
    opp, fate = frames["opportunities"], frames["outcomes"]
    assert "outcomes" not in generate(**SMALL)
    still_open = opp.loc[opp["status"] == "open", "opportunity_id"]
    assert sorted(fate["opportunity_id"]) == sorted(still_open)
    assert set(fate["status"]) == {"won", "lost"}
    assert (fate["close_date"] > frames["as_of"]).all()
    # an open deal going to be lost is no further on than lost deals get: the last stage
    # (reached by 10% of lost deals) holds few of them, and many of the deals going to be won
    stage = fate.merge(opp[["opportunity_id", "stage"]], on="opportunity_id")
    last = stage["stage"] == "Negotiation"
    assert last[stage["status"] == "lost"].mean() < 0.12
    assert last[stage["status"] == "won"].mean() > 2 * last[stage["status"] == "lost"].mean()


def test_a_moved_date_is_an_estimate_in_history_and_in_the_extract_alike():
    """The closed history and the open extract tell close dates the same way: a moved date
    is the eventual close give or take REFORECAST_DAYS, never the exact outcome; a few
    slipping deals are never moved and sit overdue."""
    lo, hi = sample_history.REFORECAST_DAYS
    frames = generate(**SMALL, outcomes=True)
    h, o, as_of = frames["opportunity_history"], frames["opportunities"], frames["as_of"]
    closed = o[o["status"].isin(["won", "lost"])].set_index("opportunity_id")["close_date"]
    shown = h[h["status"] == "open"].groupby("opportunity_id")["close_date"].last()
    slipped = closed.index[shown.reindex(closed.index).ne(closed)]
    miss = (shown.reindex(slipped) - closed.reindex(slipped)).dt.days
    # the last date shown while open: an estimate, off by up to three weeks early or two late
    # (or the plan itself, overdue, for the few never moved)
    assert (miss == 0).mean() < 0.15
    assert ((miss >= lo) & (miss <= hi)).mean() > 0.8
    # open deals whose plan has passed show the same kind of estimate of how they end
    fate = frames["outcomes"].set_index("opportunity_id")["close_date"]
    op = o[o["status"] == "open"].set_index("opportunity_id")["close_date"]
    off = (op - fate.reindex(op.index)).dt.days
    near = off.between(lo, hi)
    assert near.mean() > 0.5 and (op < as_of).sum() < 0.1 * len(op)
