"""Benchmark: the rep scorecard in pandas against the same aggregates in DuckDB SQL.

    .venv/bin/python benchmarks/performance.py            # 10k, 100k and 1M opportunities
    .venv/bin/python benchmarks/performance.py --sizes 10000,100000

For each size the built-in sample org is generated at that scale (about 3.9 opportunities per
account over three years), then, in the same process and on the same in-memory frames:

* pandas: ``performance.scorecard(ds, period, by="rep_id")`` — bookings, quota (from the quota
  rows), attainment, won, lost, win rate with Wilson interval, average deal size, median cycle,
  pipeline created, point-in-time open pipeline, remaining quota and coverage;
* DuckDB: one SQL query computing the same columns over the registered DataFrames
  (zero-copy scans via Arrow), fetched back as a DataFrame.

Both are timed best-of-``--repeat`` after a warm-up. ``peak MB`` is the peak rise of the
process's resident memory during each engine's first (cold) call, sampled every 2 ms; later
calls reuse freed memory, so only the cold call shows it. ``pandas traced MB`` is the peak of
memory pandas/numpy allocate during one call (tracemalloc; DuckDB's allocator is not traced). The two results are checked
to agree before timings are printed. Not run by pytest.
"""

from __future__ import annotations

import argparse
import threading
import time
import tracemalloc

import duckdb
import numpy as np
import pandas as pd
import psutil

from salesops_lib import load_dataset, performance
from salesops_lib.periods import Period

OPPS_PER_ACCOUNT = 3.87       # what the sample generator produces over three years

SQL = """
with opp as (
    select o.rep_id, o.status, o.amount, o.created_date, o.close_date,
           o.close_date between $p0 and $p1 as in_p,
           o.created_date between $p0 and $p1 as created_in
    from opportunities o
),
agg as (
    select rep_id,
        sum(case when status = 'won' and in_p then amount else 0 end)           as bookings,
        count(*) filter (where status = 'won' and in_p)                         as won,
        count(*) filter (where status = 'lost' and in_p)                        as lost,
        sum(case when created_in then amount else 0 end)                        as pipeline_created,
        count(*) filter (where created_in)                                      as created,
        sum(case when created_date <= $t and (status = 'open' or close_date > $t) and in_p
                 then amount else 0 end)                                        as open_pipeline,
        sum(case when status = 'won' and in_p and close_date <= $t
                 then amount else 0 end)                                        as booked_by_t,
        median(case when status = 'won' and in_p
                    then date_diff('day', created_date, close_date) end)        as cycle_days_median
    from opp group by rep_id
),
q as (select rep_id, sum(quota) as quota from quotas where period = $label group by rep_id)
select r.rep_id,
    coalesce(a.bookings, 0) as bookings, q.quota,
    coalesce(a.bookings, 0) / q.quota as attainment,
    coalesce(a.won, 0) as won, coalesce(a.lost, 0) as lost,
    coalesce(a.won, 0) + coalesce(a.lost, 0) as deals,
    a.won / nullif(a.won + a.lost, 0) as win_rate,
    (a.won / (a.won + a.lost) + 1.96 * 1.96 / (2 * (a.won + a.lost))
      - 1.96 * sqrt(a.won / (a.won + a.lost) * (1 - a.won / (a.won + a.lost)) / (a.won + a.lost)
                    + 1.96 * 1.96 / (4 * (a.won + a.lost) * (a.won + a.lost))))
      / (1 + 1.96 * 1.96 / (a.won + a.lost)) as win_rate_low,
    a.bookings / nullif(a.won, 0) as avg_deal_size,
    a.cycle_days_median,
    coalesce(a.pipeline_created, 0) as pipeline_created, coalesce(a.created, 0) as created,
    coalesce(a.open_pipeline, 0) as open_pipeline,
    greatest(q.quota - coalesce(a.booked_by_t, 0), 0) as remaining_quota,
    coalesce(a.open_pipeline, 0) / nullif(greatest(q.quota - coalesce(a.booked_by_t, 0), 0), 0)
        as coverage
from reps r left join agg a using (rep_id) left join q using (rep_id)
order by r.rep_id
"""


class PeakRSS:
    """Peak rise of resident memory while the block runs (sampled in a thread)."""

    def __init__(self, every: float = 0.002):
        self.every, self.proc, self.peak = every, psutil.Process(), 0

    def __enter__(self):
        self.base = self.proc.memory_info().rss
        self.peak, self._stop = self.base, threading.Event()
        self._t = threading.Thread(target=self._watch, daemon=True)
        self._t.start()
        return self

    def _watch(self):
        while not self._stop.is_set():
            self.peak = max(self.peak, self.proc.memory_info().rss)
            time.sleep(self.every)

    def __exit__(self, *exc):
        self._stop.set()
        self._t.join()
        self.peak = max(self.peak, self.proc.memory_info().rss)
        self.mb = (self.peak - self.base) / 2**20


def best_of(fn, repeat: int):
    """(best time, peak RSS rise of the first, cold call, result)."""
    with PeakRSS() as mem:                  # the first call also warms up imports and plans
        fn()
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t)
    return min(times), mem.mb, out


def traced_peak_mb(fn) -> float:
    """Peak of memory allocated through Python's allocators (numpy/pandas buffers) in one call."""
    tracemalloc.start()
    fn()
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return peak / 2**20


def run(size: int, period: str, repeat: int) -> dict:
    accounts = max(500, round(size / OPPS_PER_ACCOUNT))
    reps = max(10, accounts // 100)
    t = time.perf_counter()
    ds = load_dataset(f"sample:accounts={accounts},reps={reps},years=3,seed=7")
    load_s = time.perf_counter() - t
    P = Period.parse(period)
    tt = min(ds.as_of, P.end)

    con = duckdb.connect()
    con.register("opportunities", ds.opportunities[
        ["rep_id", "status", "amount", "created_date", "close_date"]])
    con.register("reps", ds.reps[["rep_id"]])
    con.register("quotas", ds.quotas)
    params = {"p0": P.start.date(), "p1": P.end.date(), "t": tt.date(), "label": P.label}

    pd_s, pd_mb, sc = best_of(lambda: performance.scorecard(ds, P, by="rep_id"), repeat)
    db_s, db_mb, sql = best_of(lambda: con.execute(SQL, params).df(), repeat)
    pd_traced = traced_peak_mb(lambda: performance.scorecard(ds, P, by="rep_id"))
    con.close()

    # the two engines must agree before their times mean anything
    sql = sql.set_index("rep_id").loc[sc["rep_id"]]
    for col in ["bookings", "quota", "attainment", "won", "lost", "win_rate", "win_rate_low",
                "avg_deal_size", "cycle_days_median", "pipeline_created", "open_pipeline",
                "remaining_quota", "coverage"]:
        a, b = sc[col].to_numpy(float), sql[col].to_numpy(float)
        if not np.allclose(a, b, rtol=1e-6, atol=1e-3, equal_nan=True):
            raise AssertionError(f"pandas and DuckDB disagree on {col} at {size:,} deals")
    return {"opportunities": len(ds.opportunities), "reps": len(ds.reps), "load s": load_s,
            "pandas s": pd_s, "duckdb s": db_s, "pandas / duckdb": pd_s / db_s,
            "pandas peak MB": pd_mb, "duckdb peak MB": db_mb, "pandas traced MB": pd_traced,
            "pandas s per 1M": pd_s / len(ds.opportunities) * 1e6}


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="10000,100000,1000000",
                    help="comma-separated numbers of opportunities")
    ap.add_argument("--period", default="2026-Q3")
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args(argv)
    rows = []
    for size in (int(s) for s in args.sizes.split(",")):
        rows.append(run(size, args.period, args.repeat))
        print(f"  {rows[-1]['opportunities']:>10,} opportunities done", flush=True)
    out = pd.DataFrame(rows)
    fmt = {"opportunities": "{:,.0f}".format, "reps": "{:,.0f}".format}
    print(f"\nscorecard({args.period!r}, by='rep_id'): pandas vs DuckDB SQL, best of "
          f"{args.repeat}; peak = rise in resident memory during the first call "
          f"({psutil.cpu_count()} CPUs, duckdb {duckdb.__version__}, pandas {pd.__version__})\n")
    print(out.to_string(index=False, formatters=fmt, float_format=lambda v: f"{v:,.3f}"))


if __name__ == "__main__":
    main()
