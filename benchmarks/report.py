"""The whole report set: our runner against plain papermill + nbconvert, one after another.

Both render every notebook in ``config.NOTEBOOKS`` for the same period on the same data
(the built-in sample), in this one process:

* baseline: for each notebook, ``papermill.execute_notebook`` then nbconvert's
  ``HTMLExporter`` (no input cells), one notebook after another — what a hand-written cron
  script does;
* ours: ``salesops report`` (:func:`salesops_lib.report.run_reports`): kernels in parallel
  (one per core), the data set loaded and validated once, the exporter warmed while the
  kernels run, plus everything the baseline does not do (lock, atomic publish, masking,
  manifest, index, ledger staging).

Then the run-time cost of the lock and of the transactional ledger store, measured alone.

Run: ``python benchmarks/report.py`` (add ``--jobs N`` to fix the kernel count).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd

from salesops_lib import config, load_dataset
from salesops_lib.report import available_notebooks, resolve_period, run_reports
from salesops_lib.report.runner import default_jobs


def baseline(names: list[str], period: str, out: Path, each: dict) -> float:
    import logging

    import nbformat
    import papermill as pm
    from nbconvert import HTMLExporter

    logging.getLogger("papermill").setLevel(logging.WARNING)
    t0 = time.perf_counter()
    for name in names:
        t1 = time.perf_counter()
        src = config.NOTEBOOKS / f"{name}.ipynb"
        declared = pm.inspect_notebook(str(src))
        params = {k: v for k, v in {"period": period, "data": "sample"}.items() if k in declared}
        executed = out / f"{name}.ipynb"
        pm.execute_notebook(str(src), str(executed), parameters=params, progress_bar=False,
                            log_output=False, cwd=str(config.NOTEBOOKS), kernel_name="python3")
        body, _ = HTMLExporter(exclude_input=True).from_notebook_node(
            nbformat.read(executed, as_version=4))
        (out / f"{name}.html").write_text(body, encoding="utf-8")
        each[name] = time.perf_counter() - t1
    return time.perf_counter() - t0


def ours(names: list[str], period: str, out: Path, jobs: int | None, each: dict) -> float:
    t0 = time.perf_counter()
    res = run_reports(period=period, notebooks=names, out=out, jobs=jobs)
    seconds = time.perf_counter() - t0
    if not res.ok:
        sys.exit(f"our run failed: {[(r.name, r.error) for r in res.results if r.error]}")
    each.update({r.name: r.seconds for r in res.results})
    return seconds


def lock_cost(folder: Path, n: int = 200) -> float:
    from salesops_lib.report.publish import RunLock

    t0 = time.perf_counter()
    for _ in range(n):
        with RunLock(folder):
            pass
    return (time.perf_counter() - t0) / n


def store_cost(folder: Path, n: int = 100) -> tuple[float, float, float]:
    """Seconds per ledger append (3 rows, one transaction), per read, per staged publish."""
    from salesops_lib import keep
    from salesops_lib.forecast import ledger

    rows = pd.DataFrame({"period": "2026-Q4", "source": ["timeseries", "pipeline", "blend"],
                         "value": [1.0, 2.0, 3.0], "lower": 0.0, "upper": 5.0})
    t0 = time.perf_counter()
    for i in range(n):
        ledger.append(folder, rows.assign(as_of=pd.Timestamp("2026-10-01")
                                          + pd.Timedelta(days=i % 90), source=rows["source"]
                                          + str(i)), data="sample")
    append = (time.perf_counter() - t0) / n
    t0 = time.perf_counter()
    for _ in range(20):
        ledger.read(folder, data="sample")
    read = (time.perf_counter() - t0) / 20
    stage = folder / "stage"
    t0 = time.perf_counter()
    for i in range(20):
        ledger.append(stage, rows.assign(as_of=pd.Timestamp("2026-10-01"),
                                         source=rows["source"] + f"s{i}"), data="sample")
        keep.publish(stage, folder)
    publish = (time.perf_counter() - t0) / 20 - append
    return append, read, publish


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--jobs", type=int, default=None)
    args = ap.parse_args()
    names = available_notebooks(config.NOTEBOOKS)
    ds = load_dataset("sample")
    period = resolve_period(None, ds.as_of, ds.fiscal_start_month).label
    jobs = args.jobs or default_jobs()
    print(f"report set: {len(names)} notebooks ({', '.join(names)}), period {period}, "
          f"sample data, {os.cpu_count()} cores, {jobs} kernels at once")
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        (tmp / "base").mkdir()
        base_each, our_each = {}, {}
        base = baseline(names, period, tmp / "base", base_each)
        print(f"  plain papermill + nbconvert, one after another: {base:7.1f} s")
        our = ours(names, period, tmp / "ours", args.jobs, our_each)
        print(f"  salesops report (ours):                          {our:7.1f} s")
        print(f"  ratio: x{base / our:.2f} faster")
        again = ours(names, period, tmp / "ours", args.jobs, {})
        print(f"  ours again, same folder (longest notebooks first, as a weekly run): "
              f"{again:7.1f} s  (x{base / again:.2f})")
        print("  per notebook (baseline: execute + convert; ours: execute, kernels in parallel):")
        for n in names:
            print(f"    {n:<22} {base_each[n]:7.1f} s   {our_each[n]:7.1f} s")
        lock = lock_cost(tmp / "lock")
        append, read, publish = store_cost(tmp / "store")
        print("run-time cost of the safety machinery:")
        print(f"  run lock (filelock) acquire + release:            {lock * 1e3:7.2f} ms per run")
        print(f"  ledger append (3 rows, one SQLite transaction):   {append * 1e3:7.2f} ms")
        print(f"  ledger read (one data source):                    {read * 1e3:7.2f} ms")
        print(f"  publish a staged ledger into the store:           {publish * 1e3:7.2f} ms")


if __name__ == "__main__":
    main()
