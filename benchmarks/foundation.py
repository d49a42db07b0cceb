"""Time the foundation: generating the sample org and rendering the reports.

Prints, in one run:
* ``salesops sample`` (generate + write CSV) for the default org and a 10x org, against
  the baseline of reading the same CSV files back with DuckDB's ``read_csv_auto``;
* loading + validating the default org from CSV with ``load_dataset`` against the same
  DuckDB read (what validation costs on top of parsing);
* ``salesops report`` on the default sample, per notebook.

Run: ``.venv/bin/python benchmarks/foundation.py``
"""

from __future__ import annotations

import contextlib
import io
import tempfile
import time
from pathlib import Path

import duckdb

from salesops_lib.cli import main as cli
from salesops_lib.data import load_dataset
from salesops_lib.report import run_reports


def timed(fn):
    t = time.perf_counter()
    out = fn()
    return time.perf_counter() - t, out


def duckdb_read(folder: Path) -> float:
    con = duckdb.connect()
    t = time.perf_counter()
    for f in sorted(folder.glob("*.csv")):
        con.execute(f"select count(*) from read_csv_auto('{f}')").fetchall()
        con.execute(f"create or replace table t as select * from read_csv_auto('{f}')")
    return time.perf_counter() - t


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        print(f"{'step':<46}{'ours (s)':>10}{'baseline (s)':>14}{'ratio':>8}")
        for opts in ("", "accounts=50000,reps=500"):
            out = tmp / (opts or "default")
            with contextlib.redirect_stdout(io.StringIO()):
                secs, _ = timed(lambda out=out, opts=opts: cli(["sample", "--out", str(out),
                                                                "--options", opts]))
            base = duckdb_read(out)
            with open(out / "opportunities.csv") as f:
                opp = sum(1 for _ in f) - 1
            print(f"{'salesops sample ' + (opts or '(default)') + f' [{opp:,} opps]':<46}"
                  f"{secs:>10.2f}{base:>14.2f}{secs / base:>8.1f}  (baseline: DuckDB reads the CSV)")
        secs, _ = timed(lambda: load_dataset(tmp / "default"))
        base = duckdb_read(tmp / "default")
        print(f"{'load_dataset(folder) + validation (default)':<46}{secs:>10.2f}{base:>14.2f}"
              f"{secs / base:>8.1f}  (baseline: DuckDB reads the CSV)")
        secs, res = timed(lambda: run_reports(out=tmp / "reports"))
        print(f"\nsalesops report (default sample, 2026-Q3): {secs:.1f} s total")
        for r in res.results:
            print(f"  {r.name:<28}{r.status:>8}{r.seconds:>8.1f} s")


if __name__ == "__main__":
    main()
