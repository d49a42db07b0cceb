"""Data larger than memory: the scorecard pushed down to DuckDB on 10M opportunities.

Builds (once, cached under ``benchmarks/out/``) DuckDB files with 1M and 10M opportunities
and their ``opportunity_history``, generated in DuckDB SQL with ``range()``, then measures,
each in its own process so peak memory is its own:

* ``in-memory 1M``: ``load_dataset(url)`` (every row into pandas, validated) and
  ``performance.scorecard``;
* ``SQL pushdown 1M`` / ``10M``: ``load_dataset(url, lazy=True)`` and the scorecard from
  :meth:`Warehouse.scorecard_aggregates` (only one row per rep comes into pandas; timed
  after one warm-up call);
* ``raw SQL 10M``: the very SQL statements the pushdown sends, run directly in DuckDB,
  alternating three times with the pushdown in one process (best of three each): the
  baseline for the pushdown's overhead.

Usage: ``python benchmarks/large_data.py [--rows 10000000] [--small 1000000]``.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from pathlib import Path

OUT = Path(__file__).resolve().parent / "out"
PERIOD = "2026-Q3"
MEMORY_LIMIT = "1GB"


def build(path: Path, n: int, reps: int, accounts: int) -> float:
    """Write a synthetic org with ``n`` opportunities to a DuckDB file (SQL only)."""
    import duckdb

    t0 = time.perf_counter()
    tmp = path.with_suffix(".partial")
    tmp.unlink(missing_ok=True)
    con = duckdb.connect(str(tmp))
    con.execute("set memory_limit = '4GB'")
    con.execute(f"""create table reps as select 'R' || lpad(i::varchar, 5, '0') as rep_id,
        'Rep ' || i as rep_name, 'Manager ' || (i // 10) as manager,
        ['Field West', 'Field East', 'Inside West', 'Inside East'][1 + i % 4] as team,
        case when i % 4 < 2 then 'field' else 'inside' end as role,
        date '2020-01-01' + (hash(i) % 1500)::int as hire_date, 1.0 as capacity
        from range({reps}) t(i)""")
    con.execute(f"""create table accounts as select 'A' || lpad(i::varchar, 8, '0') as account_id,
        'Account ' || i as account_name, ['West', 'Central', 'South', 'East'][1 + i % 4] as region,
        ['SMB', 'Mid-Market', 'Enterprise'][1 + (hash(i) % 3)::int] as segment,
        (1000 + hash(i * 3) % 500000)::double as potential,
        'R' || lpad((i % {reps})::varchar, 5, '0') as owner_rep_id
        from range({accounts}) t(i)""")
    con.execute("""create table quotas as select rep_id, y || '-Q' || q as period,
        250000.0 as quota from reps, range(2024, 2027) a(y), range(1, 5) b(q)""")
    # deals created over three years; closed by the extract date (2026-11-15) unless open
    con.execute(f"""create table opportunities as
        with base as (select i, hash(i) as h1, hash(i + {n}) as h2, hash(i + 2 * {n}) as h3,
                      date '2023-07-01' + (hash(i) % 1230)::int as created_date,
                      (7 + hash(i + {n}) % 150)::int as cycle from range({n}) t(i))
        select 'O' || lpad(i::varchar, 9, '0') as opportunity_id,
          'A' || lpad((h3 % {accounts})::varchar, 8, '0') as account_id,
          'R' || lpad((h1 % {reps})::varchar, 5, '0') as rep_id,
          case when created_date + cycle > date '2026-11-15' then 'Proposal'
               when h2 % 100 < 35 then 'Closed Won' else 'Closed Lost' end as stage,
          case when created_date + cycle > date '2026-11-15' then 'open'
               when h2 % 100 < 35 then 'won' else 'lost' end as status,
          (500 + (h3 // 7) % 50000)::double as amount,
          created_date::timestamp as created_date, (created_date + cycle)::timestamp as close_date,
          ['Core', 'Analytics', 'Support'][1 + (h1 // 11 % 3)::int] as product,
          ['direct', 'partner', 'inside'][1 + (h2 // 13 % 3)::int] as channel,
          case when created_date + cycle > date '2026-11-15' then 'best case'
               when h2 % 100 < 35 then 'closed' else 'omitted' end as forecast_category
        from base""")
    # history: a creation row (first amount, first expected close two weeks earlier), a
    # mid-life change to the final amount and close date, and the closing row
    con.execute("""create table opportunity_history as
        select opportunity_id, created_date as changed_at, 'Prospecting' as stage, 'open' as status,
               round(amount * 0.9) as amount, close_date - interval 14 day as close_date,
               'pipeline' as forecast_category, rep_id from opportunities
        union all
        select opportunity_id, created_date + (close_date - created_date) / 2, 'Proposal', 'open',
               amount, close_date, 'best case', rep_id from opportunities
        where created_date + (close_date - created_date) / 2 <= timestamp '2026-11-15'
        union all
        select opportunity_id, close_date, stage, status, amount, close_date, forecast_category,
               rep_id from opportunities where status <> 'open'""")
    n_hist = con.execute("select count(*) from opportunity_history").fetchone()[0]
    con.close()
    tmp.rename(path)
    (path.with_suffix(".json")).write_text(json.dumps({"opportunities": n, "history": n_hist}))
    return time.perf_counter() - t0


def finish_scorecard(agg, quota):
    """The scorecard's ratios from the aggregates (what the in-memory scorecard adds)."""
    import numpy as np

    out = agg.merge(quota.rename(columns={"rep_id": "unique_id"}), on="unique_id", how="outer")
    deals = out["won"].fillna(0) + out["lost"].fillna(0)
    out["attainment"] = out["bookings"] / out["quota"]
    out["win_rate"] = np.where(deals > 0, out["won"] / deals.where(deals > 0), np.nan)
    out["avg_deal_size"] = out["bookings"] / out["won"].where(out["won"] > 0)
    out["remaining_quota"] = (out["quota"] - out["booked_by_t"].fillna(0)).clip(lower=0)
    out["coverage"] = out["open_pipeline"] / out["remaining_quota"].where(out["remaining_quota"] > 0)
    return out


def run(mode: str, path: Path) -> dict:
    """One measurement (in a fresh process): wall time of the scorecard, peak RSS."""
    from salesops_lib import load_dataset, measures, performance

    url = f"duckdb:///{path}"
    t0 = time.perf_counter()
    if mode == "memory":
        ds = load_dataset(url)
        t1 = time.perf_counter()
        sc = performance.scorecard(ds, PERIOD)
        result = {"load_s": t1 - t0, "scorecard_s": time.perf_counter() - t1,
                  "bookings": float(sc["bookings"].sum()), "rows": len(sc)}
    elif mode in ("sql", "raw"):
        from salesops_lib.data import Warehouse

        wh = Warehouse(url, memory_limit=MEMORY_LIMIT)
        t1 = time.perf_counter()
        load_s = t1 - t0
        if mode == "sql":
            wh.scorecard_aggregates(PERIOD)          # warm-up, as the raw run has
            t1 = time.perf_counter()
            sc = finish_scorecard(wh.scorecard_aggregates(PERIOD), measures.quota_for_period(wh.small, PERIOD))
            result = {"load_s": load_s, "scorecard_s": time.perf_counter() - t1,
                      "bookings": float(sc["bookings"].sum()), "rows": len(sc)}
        else:
            # the very statements the pushdown sends, run directly in DuckDB, alternating with
            # the pushdown in this one process; best of three each (the machine is shared)
            sent = []
            original = wh.query
            wh.query = lambda sql, params=None: sent.append((sql, params)) or original(sql, params)
            wh.scorecard_aggregates(PERIOD)          # records the statements (warm-up)
            wh.query = original
            ours, raw = [], []
            for _ in range(3):
                t1 = time.perf_counter()
                finish_scorecard(wh.scorecard_aggregates(PERIOD),
                                 measures.quota_for_period(wh.small, PERIOD))
                ours.append(time.perf_counter() - t1)
                t1 = time.perf_counter()
                for sql, params in sent:
                    wh._con.execute(sql, params or []).fetchall()
                raw.append(time.perf_counter() - t1)
            pairs = sorted(o / r for o, r in zip(ours, raw))
            result = {"load_s": load_s, "scorecard_s": min(raw), "ours_s": min(ours),
                      "median_pair_ratio": pairs[1], "rows": 0, "bookings": 0.0}
    result["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return result


def render(notebook: str, data: str, out: Path, env: dict | None = None) -> dict:
    """Render ``notebooks/<notebook>.ipynb`` with papermill on ``data`` in a child process;
    wall time and the peak memory of the whole process tree (papermill and its kernel),
    sampled every 50 ms with psutil as the sum of the tree's resident sets, and the largest
    single resident set the OS reports for a finished child (``RUSAGE_CHILDREN``)."""
    import os

    import psutil

    root = Path(__file__).resolve().parents[1]
    cmd = [sys.executable, "-m", "papermill", "-k", "python3", "--log-level", "ERROR",
           str(root / "notebooks" / f"{notebook}.ipynb"), str(out), "-p", "data", data,
           "-p", "period", PERIOD]
    full_env = {**os.environ, "PYTHONPATH": str(root), **(env or {})}
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, env=full_env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)
    ps, peak = psutil.Process(proc.pid), 0
    while proc.poll() is None:
        try:
            tree = [ps] + ps.children(recursive=True)
            peak = max(peak, sum(p.memory_info().rss for p in tree if p.is_running()))
        except psutil.Error:
            pass
        time.sleep(0.05)
    wall = time.perf_counter() - t0
    _, err = proc.communicate()
    if proc.returncode:
        raise SystemExit(f"{notebook} failed on {data}:\n{err[-3000:]}")
    import json as _json

    nb = _json.loads(out.read_text())
    errors = [o for c in nb["cells"] for o in c.get("outputs", []) if o.get("output_type") == "error"]
    return {"wall_s": wall, "peak_tree_mb": peak / 2**20, "errors": len(errors),
            "max_child_rss_mb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=10_000_000)
    ap.add_argument("--small", type=int, default=1_000_000)
    ap.add_argument("--run", nargs=2, metavar=("MODE", "PATH"))
    args = ap.parse_args()
    if args.run:
        print(json.dumps(run(args.run[0], Path(args.run[1]))))
        return
    OUT.mkdir(exist_ok=True)
    files = {}
    for n in (args.small, args.rows):
        path = OUT / f"large_{n}.duckdb"
        if not path.exists():
            secs = build(path, n, reps=max(50, n // 2000), accounts=max(1000, n // 20))
            print(f"built {path.name} in {secs:.0f} s", flush=True)
        files[n] = path
    rows = []
    for label, mode, n in [("in-memory (load_dataset + scorecard)", "memory", args.small),
                           ("SQL pushdown (lazy=True + scorecard)", "sql", args.small),
                           ("SQL pushdown (lazy=True + scorecard)", "sql", args.rows),
                           ("raw SQL in DuckDB, same statements", "raw", args.rows)]:
        proc = subprocess.run([sys.executable, __file__, "--run", mode, str(files[n])],
                              capture_output=True, text=True, check=True)
        r = json.loads(proc.stdout.strip().splitlines()[-1])
        meta = json.loads(files[n].with_suffix(".json").read_text())
        rows.append((label, n, meta["history"], r))
        print(f"{label:<40} {n:>11,} deals {meta['history']:>11,} history rows  "
              f"load {r['load_s']:6.1f} s  scorecard {r['scorecard_s']:6.2f} s  "
              f"peak RSS {r['peak_rss_mb']:7.0f} MB", flush=True)
    mem1, sql1, sql10, raw10 = (r for *_, r in rows)
    print(f"\nbookings equal at {args.small:,}: {abs(mem1['bookings'] - sql1['bookings']) < 1e-6}")
    print(f"peak RSS, SQL at {args.rows:,} / in-memory at {args.small:,}: "
          f"{sql10['peak_rss_mb'] / mem1['peak_rss_mb']:.2f}")
    print(f"scorecard time at {args.rows:,}, best of 3 alternating in one process: pushdown "
          f"{raw10['ours_s']:.2f} s, raw SQL {raw10['scorecard_s']:.2f} s, ratio "
          f"{raw10['ours_s'] / raw10['scorecard_s']:.2f} (median of the three paired ratios "
          f"{raw10['median_pair_ratio']:.2f})")


if __name__ == "__main__":
    main()
