"""Waterfall: one hand-made history per bucket and per precedence rule, the reconciliation
property on random histories, the DuckDB engine against pandas, the sample against an
independent as-of count."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from salesops_lib import pipeline
from salesops_lib.pipeline import PRECEDENCE

from .conftest import history_ds

S, E = "2026-09-30", "2026-11-30"          # window default: Q4 2026 (the quarter of E)


def amounts(wf, by=None, group=None):
    if by:
        wf = wf[wf[by] == group]
    return wf.set_index("bucket")["amount"].to_dict()


def only(wf, bucket, value, start, end, by=None, group=None):
    a = amounts(wf, by, group)
    assert a["start"] == start and a["end"] == end
    assert a[bucket] == value
    assert all(v == 0 for k, v in a.items() if k not in (bucket, "start", "end")), a


@pytest.mark.parametrize("rows, bucket, value, start, end", [
    # created inside the window, closing in Q4
    ([("O1", "2026-10-05", "open", 50, "2026-12-01", "R1")], "created", 50, 0, 50),
    # close date moved from Q1 2027 into Q4
    ([("O1", "2026-09-01", "open", 70, "2027-02-01", "R1"),
      ("O1", "2026-10-02", "open", 70, "2026-12-15", "R1")], "pulled in", 70, 0, 70),
    # close date moved past the quarter
    ([("O1", "2026-09-01", "open", 80, "2026-12-20", "R1"),
      ("O1", "2026-10-20", "open", 80, "2027-01-20", "R1")], "pushed out", -80, 80, 0),
    ([("O1", "2026-09-01", "open", 80, "2026-12-20", "R1"),
      ("O1", "2026-10-20", "open", 95, "2026-12-20", "R1")], "amount up", 15, 80, 95),
    ([("O1", "2026-09-01", "open", 80, "2026-12-20", "R1"),
      ("O1", "2026-10-20", "open", 60, "2026-12-20", "R1")], "amount down", -20, 80, 60),
    # won at a higher amount: the pipeline loses what it held at the start
    ([("O1", "2026-09-01", "open", 100, "2026-11-15", "R1"),
      ("O1", "2026-10-10", "won", 120, "2026-10-10", "R1")], "won", -100, 100, 0),
    ([("O1", "2026-09-01", "open", 40, "2026-11-15", "R1"),
      ("O1", "2026-11-30", "lost", 40, "2026-11-30", "R1")], "lost", -40, 40, 0),
    # lost before the start, reopened inside the window
    ([("O1", "2026-08-01", "open", 25, "2026-09-01", "R1"),
      ("O1", "2026-09-01", "lost", 25, "2026-09-01", "R1"),
      ("O1", "2026-10-01", "open", 25, "2026-12-01", "R1")], "reopened", 25, 0, 25),
])
def test_one_bucket_per_change(rows, bucket, value, start, end):
    wf = pipeline.waterfall(history_ds(rows), S, E)
    only(wf, bucket, value, start, end)
    assert wf.loc[wf["bucket"] == bucket, "deals"].item() == 1
    assert list(wf["bucket"]) == list(pipeline.ORDER)


@pytest.mark.parametrize("rows, entry, exit_, value", [
    # created and won inside the window: in neither snapshot, still in both buckets
    ([("O1", "2026-10-05", "open", 50, "2026-11-01", "R1"),
      ("O1", "2026-10-20", "won", 50, "2026-10-20", "R1")], "created", "won", 50),
    # open for Q1 at the start, pulled into Q4, then lost
    ([("O1", "2026-09-01", "open", 70, "2027-02-01", "R1"),
      ("O1", "2026-10-02", "open", 70, "2026-11-15", "R1"),
      ("O1", "2026-11-15", "lost", 70, "2026-11-15", "R1")], "pulled in", "lost", 70),
])
def test_pass_through_deals_count_in_and_out(rows, entry, exit_, value):
    wf = pipeline.waterfall(history_ds(rows), S, E).set_index("bucket")
    assert wf.loc["start", "amount"] == 0 and wf.loc["end", "amount"] == 0
    assert wf.loc[entry, "amount"] == value and wf.loc[exit_, "amount"] == -value
    assert wf.loc[[entry, exit_], "deals"].tolist() == [1, 1]
    assert (wf.drop(index=[entry, exit_])["amount"] == 0).all()
    sql = pipeline.waterfall(history_ds(rows), S, E, engine="duckdb").set_index("bucket")
    pd.testing.assert_frame_equal(sql, wf, check_exact=False)


def test_closed_before_the_start_is_no_pass_through():
    rows = [("O1", "2026-08-01", "open", 25, "2026-09-01", "R1"),
            ("O1", "2026-09-01", "lost", 25, "2026-09-01", "R1")]
    wf = pipeline.waterfall(history_ds(rows), S, E)
    assert (wf["amount"] == 0).all() and (wf["deals"] == 0).all()


def test_changes_after_end_or_before_start_are_not_counted():
    rows = [("O1", "2026-09-01", "open", 80, "2026-12-20", "R1"),
            ("O1", "2026-09-15", "open", 90, "2026-12-20", "R1"),   # before start: in start
            ("O1", "2026-12-05", "won", 90, "2026-12-05", "R1")]    # after end: not seen
    only(pipeline.waterfall(history_ds(rows), S, E), "won", 0, 90, 90)


def test_end_of_day_rule_same_day_changes_count_on_that_day():
    rows = [("O1", "2026-09-30", "open", 10, "2026-12-20", "R1"),
            ("O1", "2026-09-30", "open", 30, "2026-12-20", "R1")]   # later row, same day wins
    only(pipeline.waterfall(history_ds(rows), S, E), "amount up", 0, 30, 30)


def test_owner_move_between_teams_and_reps():
    rows = [("O1", "2026-09-01", "open", 30, "2026-11-01", "R1"),
            ("O1", "2026-10-03", "open", 30, "2026-11-01", "R3")]   # East -> West
    ds = history_ds(rows)
    wf = pipeline.waterfall(ds, S, E, by="team")
    only(wf, "moved out", -30, 30, 0, "team", "East")
    only(wf, "moved in", 30, 0, 30, "team", "West")
    only(pipeline.waterfall(ds, S, E), "moved in", 0, 30, 30)      # the org total: no change
    r = pipeline.waterfall(ds, S, E, by="rep_id")
    only(r, "moved out", -30, 30, 0, "rep_id", "R1")
    # R1 -> R2 stays inside East: a move for reps, nothing for the team
    rows2 = [rows[0], ("O1", "2026-10-03", "open", 30, "2026-11-01", "R2")]
    only(pipeline.waterfall(history_ds(rows2), S, E, by="team"), "moved in", 0, 30, 30,
         "team", "East")


def test_region_follows_the_account():
    rows = [("O1", "2026-10-05", "open", 50, "2026-12-01", "R1", "Proposal", "A2")]
    wf = pipeline.waterfall(history_ds(rows), S, E, by="region")
    only(wf, "created", 50, 0, 50, "region", "South")


# -- precedence ------------------------------------------------------------------------------
PUSH_AND_MOVE = [("O1", "2026-09-01", "open", 60, "2026-12-01", "R1"),
                 ("O1", "2026-10-09", "open", 60, "2027-03-01", "R3")]   # pushed and moved team
WON_AFTER_MOVE = [("O1", "2026-09-01", "open", 60, "2026-12-01", "R1"),
                  ("O1", "2026-10-09", "open", 60, "2026-12-01", "R3"),
                  ("O1", "2026-11-09", "won", 60, "2026-11-09", "R3")]
PULL_AND_MOVE = [("O1", "2026-09-01", "open", 45, "2027-03-01", "R3"),
                 ("O1", "2026-10-09", "open", 45, "2026-12-01", "R1")]   # pulled in and moved


def test_precedence_default_pushed_before_moved():
    wf = pipeline.waterfall(history_ds(PUSH_AND_MOVE), S, E, by="team")
    only(wf, "pushed out", -60, 60, 0, "team", "East")


def test_precedence_moved_first_when_configured():
    prec = ("won", "lost", "moved out", "pushed out", "created", "reopened", "pulled in",
            "moved in")
    wf = pipeline.waterfall(history_ds(PUSH_AND_MOVE), S, E, by="team", precedence=prec)
    only(wf, "moved out", -60, 60, 0, "team", "East")


def test_precedence_won_beats_moved_out():
    wf = pipeline.waterfall(history_ds(WON_AFTER_MOVE), S, E, by="team")
    only(wf, "won", -60, 60, 0, "team", "East")
    prec = ("moved out",) + tuple(p for p in PRECEDENCE if p != "moved out")
    wf = pipeline.waterfall(history_ds(WON_AFTER_MOVE), S, E, by="team", precedence=prec)
    only(wf, "moved out", -60, 60, 0, "team", "East")


def test_precedence_pulled_in_before_moved_in_and_reverse():
    ds = history_ds(PULL_AND_MOVE)
    only(pipeline.waterfall(ds, S, E, by="team"), "pulled in", 45, 0, 45, "team", "East")
    prec = PRECEDENCE[:4] + ("moved in", "created", "reopened", "pulled in")
    only(pipeline.waterfall(ds, S, E, by="team", precedence=prec), "moved in", 45, 0, 45,
         "team", "East")


def test_precedence_reopened_before_moved_in_and_reverse():
    rows = [("O1", "2026-08-01", "open", 25, "2026-09-01", "R3"),
            ("O1", "2026-09-01", "lost", 25, "2026-09-01", "R3"),     # lost in West
            ("O1", "2026-10-01", "open", 25, "2026-12-01", "R1")]     # reopened in East
    ds = history_ds(rows)
    only(pipeline.waterfall(ds, S, E, by="team"), "reopened", 25, 0, 25, "team", "East")
    prec = PRECEDENCE[:4] + ("moved in", "created", "reopened", "pulled in")
    only(pipeline.waterfall(ds, S, E, by="team", precedence=prec), "moved in", 25, 0, 25,
         "team", "East")


def test_exit_amount_end_books_the_closing_amount():
    rows = [("O1", "2026-09-01", "open", 100, "2026-11-15", "R1"),
            ("O1", "2026-10-10", "won", 120, "2026-10-10", "R1")]
    a = amounts(pipeline.waterfall(history_ds(rows), S, E, exit_amount="end"))
    assert (a["won"], a["amount up"], a["start"], a["end"]) == (-120, 20, 100, 0)


def test_bad_arguments_name_the_problem():
    ds = history_ds([("O1", "2026-10-05", "open", 50, "2026-12-01", "R1")])
    with pytest.raises(ValueError, match="before its start"):
        pipeline.waterfall(ds, E, S)
    with pytest.raises(ValueError, match="missing \\['won'\\]"):
        pipeline.waterfall(ds, S, E, precedence=PRECEDENCE[1:])
    with pytest.raises(ValueError, match="engine must be"):
        pipeline.waterfall(ds, S, E, engine="spark")
    with pytest.raises(ValueError, match="exit_amount"):
        pipeline.waterfall(ds, S, E, exit_amount="middle")
    with pytest.raises(KeyError, match="cannot group by 'planet'"):
        pipeline.waterfall(ds, S, E, by="planet")
    with pytest.raises(ValueError, match="cannot group by 'planet'"):
        pipeline.waterfall(ds, S, E, by="planet", engine="duckdb")


def test_explicit_window_and_no_cap_on_dates():
    rows = [("O1", "2026-01-05", "open", 50, "2028-06-01", "R1")]    # two years ahead
    wf = pipeline.waterfall(history_ds(rows), "2026-01-01", "2026-03-01",
                            window=("2026-01-01", "2030-12-31"))
    only(wf, "created", 50, 0, 50)


# -- the property: every dollar lands in exactly one bucket ----------------------------------
def random_history(rng):
    n = int(rng.integers(1, 12))
    rows = []
    base = pd.Timestamp("2026-07-01")
    for i in range(n):
        t = base + pd.Timedelta(days=int(rng.integers(0, 120)))
        status, t0 = "open", t
        for _ in range(int(rng.integers(1, 6))):
            amount = float(rng.choice([0, 10, 25, 40, 100, np.nan], p=[.1, .2, .2, .2, .2, .1]))
            close = max(t0, t + pd.Timedelta(days=int(rng.integers(-20, 200))))
            if status != "open" and rng.random() < 0.5:
                status = "open"
            elif rng.random() < 0.25:
                status = str(rng.choice(["won", "lost"]))
            if status != "open":
                close = t
            rows.append((f"O{i}", t, status, amount, close, str(rng.choice(["R1", "R2", "R3"])),
                         None, str(rng.choice(["A1", "A2"]))))
            t = t + pd.Timedelta(days=int(rng.integers(0, 40)))
    return history_ds(rows, validate=False)


def test_buckets_reconcile_on_random_histories():
    rng = np.random.default_rng(20261202)
    for case in range(80):
        ds = random_history(rng)
        start = pd.Timestamp("2026-07-01") + pd.Timedelta(days=int(rng.integers(0, 150)))
        end = start + pd.Timedelta(days=int(rng.integers(0, 120)))
        by = [None, "team", "rep_id", "region"][case % 4]
        prec = tuple(rng.permutation(PRECEDENCE))
        how = ["start", "end"][int(rng.integers(0, 2))]
        wf = pipeline.waterfall(ds, start, end, by=by, precedence=prec, exit_amount=how)
        assert pipeline.reconciles(wf, by), (case, wf)
        # every deal's change lands once: the bucket rows are a partition of the deals moved
        path = pipeline.waterfall_path(ds, start, end, by=by, precedence=prec)
        assert pipeline.reconciles(path, by), (case, path)
        ends = ["start", "end"]
        key = [by] if by else []
        # same start and end; a group the path passes through only mid-window starts and ends at 0
        p_ends = path[path["bucket"].isin(ends)].merge(wf[key + ["bucket", "amount"]],
                                                       on=key + ["bucket"], how="left")
        assert np.allclose(p_ends["amount_x"], p_ends["amount_y"].fillna(0.0)), (case, p_ends)
        assert len(p_ends) >= len(wf[wf["bucket"].isin(ends)])
        if case % 8 == 0:
            sql = pipeline.waterfall(ds, start, end, by=by, precedence=prec, exit_amount=how,
                                     engine="duckdb")
            pd.testing.assert_frame_equal(sql, wf, check_exact=False, atol=1e-9)


def test_path_counts_every_change():
    rows = [("O1", "2026-09-01", "open", 80, "2026-12-20", "R1"),
            ("O1", "2026-10-20", "open", 80, "2027-01-20", "R1"),   # pushed out
            ("O1", "2026-11-02", "open", 80, "2026-12-22", "R1"),   # pulled back in
            ("O1", "2026-11-03", "open", 90, "2026-12-22", "R1")]   # amount up
    ds = history_ds(rows)
    only(pipeline.waterfall(ds, S, E), "amount up", 10, 80, 90)
    p = pipeline.waterfall_path(ds, S, E).set_index("bucket")
    assert p.loc["pushed out", "amount"] == -80 and p.loc["pulled in", "amount"] == 80
    assert p.loc["amount up", "amount"] == 10
    assert p.loc[["pushed out", "pulled in", "amount up"], "changes"].tolist() == [1, 1, 1]


# -- the sample: start and end against an independent as-of count -----------------------------
def test_sample_start_and_end_match_an_independent_count():
    from salesops_lib import load_dataset

    ds = load_dataset("sample:accounts=500,reps=10,years=2")
    start, end = pd.Timestamp("2025-08-31"), pd.Timestamp("2025-10-31")   # as of 2025-11-15
    wf = pipeline.waterfall(ds, start, end, window="2025-Q4").set_index("bucket")
    h = ds.opportunity_history.sort_values(["opportunity_id", "changed_at"], kind="stable")
    for d, row in ((start, "start"), (end, "end")):
        # independent of state_as_of: each deal's last history row changed by the end of d
        then = h[h["changed_at"] <= d].drop_duplicates("opportunity_id", keep="last")
        in_q4 = (then["close_date"] >= "2025-10-01") & (then["close_date"] <= "2025-12-31")
        scope = then[(then["status"] == "open") & in_q4]
        assert wf.loc[row, "amount"] == pytest.approx(scope["amount"].sum())
        assert wf.loc[row, "deals"] == len(scope)
    assert wf.loc["won", "amount"] < 0 and wf.loc["created", "amount"] > 0
    sql = pipeline.waterfall(ds, start, end, window="2025-Q4", engine="duckdb").set_index("bucket")
    pd.testing.assert_frame_equal(sql, wf, check_exact=False)


def test_walk_won_is_the_quarter_bookings():
    # over a whole quarter, booked at the closing amount, the walk's "won" is every deal won
    # in the quarter: the same bookings the executive summary shows
    from salesops_lib import load_dataset

    ds = load_dataset("sample:accounts=500,reps=10,years=2")
    wf = pipeline.waterfall(ds, "2025-06-30", "2025-09-30", window="2025-Q3",
                            exit_amount="end").set_index("bucket")
    o = ds.opportunities
    won = o[(o["status"] == "won") & o["close_date"].between("2025-07-01", "2025-09-30")]
    assert wf.loc["won", "amount"] == pytest.approx(-won["amount"].sum())
    assert wf.loc["won", "deals"] == len(won)


def test_duckdb_file_source(tmp_path):
    import duckdb

    ds = history_ds(PUSH_AND_MOVE + [("O2", "2026-10-05", "open", 50, "2026-12-01", "R2")])
    path = tmp_path / "crm.duckdb"
    con = duckdb.connect(str(path))
    for t in ("accounts", "reps", "opportunities", "opportunity_history"):
        frame = getattr(ds, t)
        con.register("f", frame)
        con.execute(f"CREATE TABLE {t} AS SELECT * FROM f")
        con.unregister("f")
    con.close()
    got = pipeline.waterfall(f"duckdb:///{path}", S, E, by="team")
    pd.testing.assert_frame_equal(got, pipeline.waterfall(ds, S, E, by="team"))
    with pytest.raises(FileNotFoundError, match="no such DuckDB file"):
        pipeline.waterfall(f"duckdb:///{tmp_path}/none.duckdb", S, E)
