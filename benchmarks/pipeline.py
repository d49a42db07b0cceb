"""Pipeline waterfall benchmark: ``pipeline.waterfall`` on a DuckDB file against hand-written SQL.

Run from the repository root (not collected by pytest)::

    .venv/bin/python benchmarks/pipeline.py              # 2M deals, 10M history rows
    .venv/bin/python benchmarks/pipeline.py --deals 200000

Builds once (cached under ``benchmarks/out/``) a DuckDB file with the contract tables
``reps`` (500), ``accounts`` (200k), ``opportunities`` and ``opportunity_history`` (5 rows a
deal: creation, amount changes, close-date pushes and pull-ins, owner moves, the close),
generated with DuckDB SQL ``range()``. Then times, in this process:

* ours: ``pipeline.waterfall("duckdb:///...", start, end, by="team")`` (the DuckDB engine);
* baseline: the same buckets written directly as one DuckDB SQL query (last state per deal
  by ``row_number()`` window, then ``CASE`` buckets under the default precedence);

asserts both give the same rows, and prints both times and the ratio (goal ≤ 1.5×).
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import duckdb
import pandas as pd

from salesops_lib import pipeline

OUT = Path(__file__).resolve().parent / "out"


def build(path: Path, deals: int) -> None:
    """The synthetic CRM (deterministic: every value is a hash of the row number)."""
    con = duckdb.connect(str(path))
    con.execute("""
    CREATE TABLE reps AS SELECT 'R' || lpad(i::VARCHAR, 4, '0') AS rep_id, 'Rep ' || i AS rep_name,
           'Team ' || (i % 20) AS team FROM range(500) t(i);
    CREATE TABLE accounts AS SELECT 'A' || i AS account_id, 'Account ' || i AS account_name,
           ['East', 'West', 'Central', 'South'][1 + i % 4] AS region FROM range(200000) t(i);
    """)
    con.execute(f"""
    CREATE TABLE opportunity_history AS
    WITH d AS (
        SELECT i, DATE '2024-01-01' + CAST(hash(i) % 900 AS INTEGER) AS created,
               1000.0 * (1 + hash(i * 11 + 2) % 100) AS base, hash(i * 11 + 1) % 3 AS outcome,
               hash(i * 11 + 6) % 500 AS rep, hash(i * 11 + 8) % 200000 AS acct
        FROM range({deals}) t(i)),
    r AS (SELECT d.*, j FROM d, range(5) s(j))
    SELECT 'O' || lpad(i::VARCHAR, 8, '0') AS opportunity_id,
           CAST(created + CAST(j * 20 AS INTEGER) AS TIMESTAMP) AS changed_at,
           CASE WHEN j < 4 OR outcome = 2 THEN 'open' WHEN outcome = 0 THEN 'won' ELSE 'lost' END
               AS status,
           CASE WHEN j < 4 OR outcome = 2 THEN ['Prospecting', 'Qualification', 'Discovery',
                'Proposal', 'Negotiation'][1 + j] WHEN outcome = 0 THEN 'Closed Won'
                ELSE 'Closed Lost' END AS stage,
           base * (1 + 0.1 * CAST(j > 0 AS INTEGER) * (CAST(hash(i * 7 + j) % 3 AS INTEGER) - 1))
               AS amount,
           CASE WHEN j = 4 AND outcome <> 2 THEN created + 80
                ELSE created + 60
                     + CASE WHEN j >= 2 AND hash(i * 11 + 4) % 3 = 0 THEN 45 ELSE 0 END
                     - CASE WHEN j >= 3 AND hash(i * 11 + 5) % 4 = 0 THEN 20 ELSE 0 END END
               AS close_date,
           'R' || lpad(((rep + CASE WHEN j >= 3 AND hash(i * 11 + 7) % 10 = 0 THEN 1 ELSE 0 END)
                        % 500)::VARCHAR, 4, '0') AS rep_id,
           'A' || acct AS account_id
    FROM r ORDER BY opportunity_id, changed_at
    """)
    con.execute("""
    CREATE TABLE opportunities AS
    SELECT opportunity_id, arg_max(account_id, changed_at) AS account_id,
           arg_max(rep_id, changed_at) AS rep_id, arg_max(stage, changed_at) AS stage,
           arg_max(status, changed_at) AS status, arg_max(amount, changed_at) AS amount,
           CAST(min(changed_at) AS DATE) AS created_date, arg_max(close_date, changed_at) AS close_date
    FROM opportunity_history GROUP BY opportunity_id ORDER BY opportunity_id;
    ALTER TABLE opportunity_history DROP COLUMN account_id;
    """)
    con.close()


def baseline_sql(start: str, end: str, lo: str, hi: str) -> str:
    """The buckets by team as one hand-written DuckDB query (window-function last state)."""
    def state(cut):
        return f"""(SELECT h.opportunity_id, h.status, coalesce(h.amount, 0) AS amount,
                   h.status = 'open' AND coalesce(CAST(h.close_date AS DATE) BETWEEN DATE '{lo}'
                   AND DATE '{hi}', false) AS inscope,
                   coalesce(CAST(h.close_date AS DATE) BETWEEN DATE '{lo}' AND DATE '{hi}', false)
                   AS inwin, coalesce(r.team, '(unassigned)') AS grp
            FROM opportunity_history h LEFT JOIN reps r ON r.rep_id = h.rep_id
            WHERE h.changed_at < TIMESTAMP '{cut}'
            QUALIFY row_number() OVER (PARTITION BY h.opportunity_id
                                       ORDER BY h.changed_at DESC, h.rowid DESC) = 1)"""
    s_cut = (pd.Timestamp(start) + pd.Timedelta(days=1)).strftime("%Y-%m-%d")
    e_cut = (pd.Timestamp(end) + pd.Timedelta(days=1)).strftime("%Y-%m-%d")
    return f"""
    WITH s AS {state(s_cut)}, e AS {state(e_cut)},
    p AS (SELECT s.opportunity_id IS NOT NULL AS s_ex, coalesce(s.inscope, false) AS s_in,
                 s.status AS s_status, s.amount AS s_amt, s.inwin AS s_win, s.grp AS s_grp,
                 coalesce(e.inscope, false) AS e_in, e.status AS e_status, e.amount AS e_amt,
                 e.inwin AS e_win, e.grp AS e_grp
          FROM s FULL OUTER JOIN e ON s.opportunity_id = e.opportunity_id)
    SELECT grp, bucket, sum(amount) AS amount, count(*) AS deals FROM (
        SELECT s_grp AS grp, 'start' AS bucket, s_amt AS amount FROM p WHERE s_in
        UNION ALL SELECT e_grp, 'end', e_amt FROM p WHERE e_in
        UNION ALL SELECT s_grp, CASE WHEN e_amt > s_amt THEN 'amount up' ELSE 'amount down' END,
                         e_amt - s_amt FROM p
                  WHERE s_in AND e_in AND s_grp = e_grp AND e_amt <> s_amt
        UNION ALL SELECT s_grp, CASE WHEN e_status = 'won' THEN 'won' WHEN e_status = 'lost'
                                     THEN 'lost' WHEN e_status = 'open' AND NOT e_win
                                     THEN 'pushed out' ELSE 'moved out' END, -s_amt FROM p
                  WHERE s_in AND NOT (e_in AND s_grp = e_grp)
        UNION ALL SELECT e_grp, CASE WHEN NOT s_ex THEN 'created' WHEN s_status <> 'open'
                                     THEN 'reopened' WHEN NOT s_win THEN 'pulled in'
                                     ELSE 'moved in' END, e_amt FROM p
                  WHERE e_in AND NOT (s_in AND s_grp = e_grp)
    ) GROUP BY grp, bucket
    """


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--deals", type=int, default=2_000_000, help="deals (5 history rows each)")
    ap.add_argument("--repeat", type=int, default=2, help="runs of each side (best is kept)")
    ap.add_argument("--pandas", action="store_true",
                    help="also time the pandas engine on the loaded Dataset (same file)")
    args = ap.parse_args()
    OUT.mkdir(exist_ok=True)
    path = OUT / f"pipeline_{args.deals}.duckdb"
    if not path.exists():
        t = time.perf_counter()
        build(path, args.deals)
        print(f"built {path.name} in {time.perf_counter() - t:.1f} s")
    con = duckdb.connect(str(path), read_only=True)
    n_hist = con.execute("SELECT count(*) FROM opportunity_history").fetchone()[0]
    start, end, lo, hi = "2025-06-30", "2025-09-30", "2025-07-01", "2025-09-30"
    url = f"duckdb:///{path}"
    ours_t, base_t = [], []
    for _ in range(args.repeat):
        t = time.perf_counter()
        ours = pipeline.waterfall(url, start, end, by="team")
        ours_t.append(time.perf_counter() - t)
        t = time.perf_counter()
        base = con.execute(baseline_sql(start, end, lo, hi)).df()
        base_t.append(time.perf_counter() - t)
    con.close()
    # the baseline's long rows in the waterfall's shape, then equal to the dollar
    idx = pd.MultiIndex.from_product([sorted(base["grp"].unique()), list(pipeline.ORDER)],
                                     names=["team", "bucket"])
    b = base.set_index(["grp", "bucket"])[["amount", "deals"]]
    b.index.names = ["team", "bucket"]
    b = b.reindex(idx).fillna(0).reset_index()
    b["deals"] = b["deals"].astype("int64")
    pd.testing.assert_frame_equal(ours, b, check_exact=False, rtol=1e-12)
    assert pipeline.reconciles(ours, "team")
    o, bt = min(ours_t), min(base_t)
    print(f"history rows: {n_hist:,}; deals: {args.deals:,}; teams: {ours['team'].nunique()}")
    print(f"{'step':<44}{'ours':>9}{'baseline':>10}{'ratio':>8}")
    print(f"{'waterfall by team, one quarter (DuckDB file)':<44}{o:>8.2f}s{bt:>9.2f}s{o / bt:>7.2f}x")
    print("results equal: yes (every team and bucket, amount and deals)")
    if args.pandas:
        from salesops_lib import load_dataset

        t = time.perf_counter()
        ds = load_dataset(url)
        load_t = time.perf_counter() - t
        t = time.perf_counter()
        pan = pipeline.waterfall(ds, start, end, by="team", engine="pandas")
        pan_t = time.perf_counter() - t
        pd.testing.assert_frame_equal(pan, ours, check_exact=False, rtol=1e-12)
        print(f"{'pandas engine on the loaded Dataset':<44}{pan_t:>8.2f}s{o:>9.2f}s"
              f"{pan_t / o:>7.2f}x   (baseline = DuckDB engine; load + validation {load_t:.1f} s)")


if __name__ == "__main__":
    main()
