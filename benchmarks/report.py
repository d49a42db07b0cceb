"""The whole report set: our runner against plain papermill + nbconvert, one after another.

Both render every notebook in ``config.NOTEBOOKS`` for the same period on the same data
(the built-in sample) and the same parameters, in this one process:

* baseline: for each notebook, ``papermill.execute_notebook`` then nbconvert's
  ``HTMLExporter`` (no input cells), one notebook after another — what a hand-written cron
  script does;
* ours: ``salesops report`` (:func:`salesops_lib.report.run_reports`) into a fresh folder (no
  timings of an earlier run): kernels in parallel (one per core), forked from a zygote that
  did the imports once, the data set loaded and validated once, the longest notebooks first,
  HTML converted in this process while the kernels run, plus everything the baseline does not
  do (lock, atomic publish, masking, manifest, index, ledger staging).

``--rounds`` alternates the two (baseline first in odd rounds, ours first in even ones) and
prints the median of each. Beside wall time it prints the CPU seconds each spent (this
process and every process it started, reaped) and the CPU seconds *other* processes used on
the machine meanwhile (from ``/proc/stat``): the machine was quiet when that is near zero.

Then the run-time cost of the lock and of the transactional ledger store, measured alone.

Run: ``python benchmarks/report.py [--rounds 3] [--jobs N]``.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd

from salesops_lib import config, load_dataset
from salesops_lib.report import available_notebooks, resolve_period, run_reports
from salesops_lib.report.runner import default_jobs


def _cpu() -> float:
    """CPU seconds of this process and its reaped descendants."""
    me, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime


def _machine_busy() -> float:
    """CPU seconds every process on the machine has used since boot (``/proc/stat``)."""
    try:
        with open("/proc/stat") as fh:
            f = [int(x) for x in fh.readline().split()[1:]]
    except OSError:
        return float("nan")
    busy = f[0] + f[1] + f[2] + f[5] + f[6] + f[7]       # user nice system irq softirq steal
    return busy / os.sysconf("SC_CLK_TCK")


def measured(fn, *args) -> dict:
    """Run ``fn``; wall seconds, our CPU seconds, other processes' CPU seconds, load before."""
    load = os.getloadavg()[0]
    c0, m0, t0 = _cpu(), _machine_busy(), time.perf_counter()
    fn(*args)
    wall, cpu = time.perf_counter() - t0, _cpu() - c0
    return {"wall": wall, "cpu": cpu, "others": max(_machine_busy() - m0 - cpu, 0.0),
            "load": load}


def baseline(names: list[str], period: str, out: Path, each: dict) -> None:
    import logging

    import nbformat
    import papermill as pm
    from nbconvert import HTMLExporter

    logging.getLogger("papermill").setLevel(logging.WARNING)
    out.mkdir(parents=True, exist_ok=True)
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
        each.setdefault(name, []).append(time.perf_counter() - t1)


def ours(names: list[str], period: str, out: Path, jobs: int | None, each: dict) -> None:
    res = run_reports(period=period, notebooks=names, out=out, jobs=jobs)
    if not res.ok:
        sys.exit(f"our run failed: {[(r.name, r.error) for r in res.results if r.error]}")
    for r in res.results:
        each.setdefault(r.name, []).append(r.seconds)


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
    ap.add_argument("--rounds", type=int, default=3, help="alternating rounds (median shown)")
    ap.add_argument("--keep", type=Path, default=None,
                    help="copy our first run's reports folder here (to look at the pages)")
    args = ap.parse_args()
    names = available_notebooks(config.NOTEBOOKS)
    ds = load_dataset("sample")
    period = resolve_period(None, ds.as_of, ds.fiscal_start_month).label
    jobs = args.jobs or default_jobs()
    print(f"report set: {len(names)} notebooks ({', '.join(names)}), period {period}, "
          f"sample data, {os.cpu_count()} cores, {jobs} kernels at once")
    with tempfile.TemporaryDirectory(prefix="salesops-bench-") as tmp:
        tmp = Path(tmp)
        base_each, our_each = {}, {}
        runs = {"baseline": [], "ours": []}
        for k in range(args.rounds):
            order = ("baseline", "ours") if k % 2 == 0 else ("ours", "baseline")
            for what in order:
                if what == "baseline":
                    m = measured(baseline, names, period, tmp / f"base{k}", base_each)
                else:
                    m = measured(ours, names, period, tmp / f"ours{k}", args.jobs, our_each)
                runs[what].append(m)
                print(f"  round {k + 1} {what:<8} {m['wall']:7.1f} s wall, {m['cpu']:7.1f} s CPU;"
                      f" other processes {m['others']:7.1f} CPU-s meanwhile "
                      f"({m['others'] / m['wall']:.1f} cores), load {m['load']:.1f} before",
                      flush=True)
        if args.keep is not None:
            shutil.copytree(tmp / "ours0", args.keep, dirs_exist_ok=True)
        med = {w: {key: statistics.median(r[key] for r in rs) for key in ("wall", "cpu")}
               for w, rs in runs.items()}
        busy = statistics.median(r["others"] / r["wall"] for rs in runs.values() for r in rs)
        state = ("quiet" if busy < 0.25 else
                 f"loaded: other processes used {busy:.1f} of the {os.cpu_count()} cores")
        print(f"median of {args.rounds} round(s), machine {state}:")
        print(f"  plain papermill + nbconvert, one after another: {med['baseline']['wall']:7.1f} s "
              f"({med['baseline']['cpu']:.1f} CPU-s)")
        print(f"  salesops report (ours):                         {med['ours']['wall']:7.1f} s "
              f"({med['ours']['cpu']:.1f} CPU-s)")
        print(f"  ratio: x{med['baseline']['wall'] / med['ours']['wall']:.2f} faster "
              f"(x{med['baseline']['cpu'] / med['ours']['cpu']:.2f} less CPU)")
        print("  per notebook, median (baseline: execute + convert; ours: execute, in parallel):")
        for n in names:
            print(f"    {n:<22} {statistics.median(base_each[n]):7.1f} s   "
                  f"{statistics.median(our_each[n]):7.1f} s")
        lock = lock_cost(tmp / "lock")
        append, read, publish = store_cost(tmp / "store")
        print("run-time cost of the safety machinery:")
        print(f"  run lock (filelock) acquire + release:            {lock * 1e3:7.2f} ms per run")
        print(f"  ledger append (3 rows, one SQLite transaction):   {append * 1e3:7.2f} ms")
        print(f"  ledger read (one data source):                    {read * 1e3:7.2f} ms")
        print(f"  publish a staged ledger into the store:           {publish * 1e3:7.2f} ms")


if __name__ == "__main__":
    main()
