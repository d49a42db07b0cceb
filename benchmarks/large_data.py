"""Data larger than memory: the scorecard pushed down to DuckDB on 10M opportunities.

Builds (once, cached under ``benchmarks/out/``) DuckDB files with 1M and 10M opportunities
and their ``opportunity_history``, generated in DuckDB SQL with ``range()``, then measures,
each in its own process so peak memory is its own:

* ``in-memory 1M``: ``load_dataset(url)`` (every row into pandas, validated) and
  ``performance.scorecard``;
* ``SQL pushdown 1M`` / ``10M``: ``load_dataset(url, lazy=True)`` and
  ``performance.scorecard`` on it, which sums in the database
  (:meth:`Warehouse.scorecard_aggregates`; only one row per rep comes into pandas; timed
  after one warm-up call);
* ``scorecard vs raw SQL 10M``: ``performance.scorecard`` on the lazy source against the very
  SQL statements it sends, run directly on the same DuckDB connection, interleaved for
  ``--rounds`` (default 7, at least 5) rounds with the order alternating; medians, bests and
  the median of the paired ratios are printed (the machine may be shared: the median of
  paired ratios is the robust one);
* the ``executive_summary`` and ``rep_performance`` notebooks rendered with papermill on the
  1M file in memory and on the 10M file lazily (the notebooks' ``lazy="auto"`` keeps a file
  of more than 2M opportunities in the database): wall time and the peak memory of the whole
  process tree (papermill and its kernel).

Usage: ``python benchmarks/large_data.py [--rows 10000000] [--small 1000000] [--rounds 7]
[--skip-notebooks]``.
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

OUT = Path(__file__).resolve().parent / "out"
PERIOD = "2026-Q3"


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


def run(mode: str, path: Path, rounds: int = 7) -> dict:
    """One measurement (in a fresh process): wall time of the scorecard, peak RSS."""
    from salesops_lib import load_dataset, performance

    url = f"duckdb:///{path}"
    t0 = time.perf_counter()
    if mode == "memory":
        ds = load_dataset(url)
        t1 = time.perf_counter()
        sc = performance.scorecard(ds, PERIOD)
        result = {"load_s": t1 - t0, "scorecard_s": time.perf_counter() - t1,
                  "bookings": float(sc["bookings"].sum()), "rows": len(sc)}
    elif mode == "sql":
        wh = load_dataset(url, lazy=True)
        load_s = time.perf_counter() - t0
        performance.scorecard(wh, PERIOD)              # warm-up, as the raw run has
        t1 = time.perf_counter()
        sc = performance.scorecard(wh, PERIOD)
        result = {"load_s": load_s, "scorecard_s": time.perf_counter() - t1,
                  "bookings": float(sc["bookings"].sum()), "rows": len(sc)}
    else:
        # the library's scorecard on the lazy source against the very statements it sends,
        # run directly on the same DuckDB connection (same settings, same buffer pool),
        # interleaved round by round so both see the same machine load
        wh = load_dataset(url, lazy=True)
        load_s = time.perf_counter() - t0
        sent = []
        original = wh.query
        wh.query = lambda sql, params=None: sent.append((sql, params)) or original(sql, params)
        performance.scorecard(wh, PERIOD)             # records the statements (and warms up)
        wh.query = original
        ours, raw = [], []
        for i in range(rounds):
            order = ("ours", "raw") if i % 2 == 0 else ("raw", "ours")   # alternate who goes first
            for who in order:
                t1 = time.perf_counter()
                if who == "ours":
                    performance.scorecard(wh, PERIOD)
                    ours.append(time.perf_counter() - t1)
                else:
                    for sql, params in sent:
                        wh._con.execute(sql, params or []).fetchall()
                    raw.append(time.perf_counter() - t1)
        pairs = sorted(o / r for o, r in zip(ours, raw))
        result = {"load_s": load_s, "scorecard_s": statistics.median(raw),
                  "ours_median_s": statistics.median(ours), "raw_median_s": statistics.median(raw),
                  "ours_best_s": min(ours), "raw_best_s": min(raw),
                  "median_pair_ratio": statistics.median(pairs), "rounds": rounds,
                  "statements": len(sent), "rows": 0, "bookings": 0.0}
    result["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return result


def render(notebook: str, data: str, out: Path, env: dict | None = None) -> dict:
    """Render ``notebooks/<notebook>.ipynb`` with papermill on ``data`` in a child process;
    wall time and the peak memory of the whole process tree (papermill and its kernel),
    sampled every 50 ms with psutil as the sum of the tree's resident sets (which counts a page
    shared by forked workers once per process) and every 0.5 s as the sum of their proportional
    sets (PSS: a shared page split between its sharers), and the largest
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
    ps, peak, peak_pss, tick = psutil.Process(proc.pid), 0, 0, 0
    while proc.poll() is None:
        try:
            tree = [ps] + ps.children(recursive=True)
            peak = max(peak, sum(p.memory_info().rss for p in tree if p.is_running()))
            if tick % 10 == 0:      # PSS reads every page map: each half second is enough
                peak_pss = max(peak_pss, sum(p.memory_full_info().pss for p in tree
                                             if p.is_running()))
        except psutil.Error:
            pass
        tick += 1
        time.sleep(0.05)
    wall = time.perf_counter() - t0
    _, err = proc.communicate()
    if proc.returncode:
        raise SystemExit(f"{notebook} failed on {data}:\n{err[-3000:]}")
    import json as _json

    nb = _json.loads(out.read_text())
    errors = [o for c in nb["cells"] for o in c.get("outputs", []) if o.get("output_type") == "error"]
    return {"wall_s": wall, "peak_tree_mb": peak / 2**20, "errors": len(errors),
            "peak_tree_pss_mb": peak_pss / 2**20,
            "max_child_rss_mb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=10_000_000)
    ap.add_argument("--small", type=int, default=1_000_000)
    ap.add_argument("--rounds", type=int, default=7, help="interleaved scorecard rounds (>= 5)")
    ap.add_argument("--skip-notebooks", action="store_true")
    ap.add_argument("--run", nargs=2, metavar=("MODE", "PATH"))
    args = ap.parse_args()
    if args.run:
        print(json.dumps(run(args.run[0], Path(args.run[1]), max(5, args.rounds))))
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
                           ("SQL pushdown (lazy + scorecard)", "sql", args.small),
                           ("SQL pushdown (lazy + scorecard)", "sql", args.rows),
                           ("scorecard vs raw SQL, interleaved", "raw", args.rows)]:
        proc = subprocess.run([sys.executable, __file__, "--run", mode, str(files[n]),
                               "--rounds", str(args.rounds)],
                              capture_output=True, text=True, check=True)
        r = json.loads(proc.stdout.strip().splitlines()[-1])
        meta = json.loads(files[n].with_suffix(".json").read_text())
        rows.append(r)
        print(f"{label:<40} {n:>11,} deals {meta['history']:>11,} history rows  "
              f"load {r['load_s']:6.1f} s  scorecard {r['scorecard_s']:6.2f} s  "
              f"peak RSS {r['peak_rss_mb']:7.0f} MB", flush=True)
    mem1, sql1, _sql10, raw10 = rows
    print(f"\nbookings equal at {args.small:,}: {abs(mem1['bookings'] - sql1['bookings']) < 1e-6}")
    print(f"scorecard at {args.rows:,}, {raw10['rounds']} interleaved rounds on one connection "
          f"({raw10['statements']} statements): library median {raw10['ours_median_s']:.2f} s "
          f"(best {raw10['ours_best_s']:.2f}), raw SQL median {raw10['raw_median_s']:.2f} s (best "
          f"{raw10['raw_best_s']:.2f}); ratio of medians "
          f"{raw10['ours_median_s'] / raw10['raw_median_s']:.2f}, median of paired ratios "
          f"{raw10['median_pair_ratio']:.2f}, ratio of bests "
          f"{raw10['ours_best_s'] / raw10['raw_best_s']:.2f}")
    if args.skip_notebooks:
        return
    print("\nnotebooks rendered with papermill (peak = largest sum of resident memory over the "
          "process tree: papermill and its kernel, sampled every 50 ms):", flush=True)
    peaks = {}
    for nb in ("executive_summary", "rep_performance"):
        for n, how in ((args.small, "in memory"), (args.rows, "lazy (SQL)")):
            out = OUT / f"{nb}_{n}.ipynb"
            r = render(nb, f"duckdb:///{files[n]}", out)
            peaks[nb, n] = r["peak_tree_mb"]
            print(f"  {nb:<18} {n:>11,} deals {how:<11} wall {r['wall_s']:7.1f} s  peak "
                  f"{r['peak_tree_mb']:7.0f} MB (PSS {r['peak_tree_pss_mb']:7.0f} MB)  errors "
                  f"in cells {r['errors']}", flush=True)
        print(f"  {nb:<18} peak at {args.rows:,} lazy / at {args.small:,} in memory: "
              f"{peaks[nb, args.rows] / peaks[nb, args.small]:.2f}", flush=True)


if __name__ == "__main__":
    main()
