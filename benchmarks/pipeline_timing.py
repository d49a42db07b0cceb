"""Pipeline forecast accuracy: a deal's timing from its close date against its age in stage.

Run from the repository root (not collected by pytest)::

    .venv/bin/python benchmarks/pipeline_timing.py
    .venv/bin/python benchmarks/pipeline_timing.py --periods 2026-11,2026-Q4

For each period, ``blend.outlook`` replays the pipeline forecast on the 4 periods before it
(at weeks 1, 4, 7, 10, 13 of a quarter; weeks 1–5 of a month), everything as known on each
replayed day. It runs twice in this process: with the library's rule (``p_time`` from the
close date where it can, ``forecast/timing.py``) and with the baseline, the age in the stage
for every deal (``timing.close_date_timing`` switched off). Prints the pipeline source's WAPE,
bias and interval coverage under each, and the ratio of the WAPEs.
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from salesops_lib import load_dataset
from salesops_lib.forecast import blend as B
from salesops_lib.forecast import timing


def pipeline_scores(ds, period: str) -> dict:
    ol = B.outlook(ds, period, periods_back=4)
    row = ol.coverage.set_index("source").loc["pipeline"]
    return {"wape": float(row["wape"]), "bias": float(row["bias"]),
            "coverage": float(row["coverage"]), "n": int(row["n"])}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--periods", default="2026-11,2026-08,2026-Q4,2026-Q3,2026-Q2")
    args = ap.parse_args(argv)
    ds = load_dataset("sample")
    rule = timing.close_date_timing
    print(f"{'period':8} {'rule':12} {'WAPE':>6} {'bias':>7} {'cover':>6}  (n replays)")
    for period in args.periods.split(","):
        out = {}
        for name in ("close date", "stage age"):
            timing.close_date_timing = (rule if name == "close date" else
                                        (lambda deals, *a, **k: np.full(len(deals), np.nan)))
            t0 = time.perf_counter()
            try:
                out[name] = pipeline_scores(ds, period)
            finally:
                timing.close_date_timing = rule
            r = out[name]
            print(f"{period:8} {name:12} {r['wape']:6.1%} {r['bias']:+7.1%} {r['coverage']:6.0%}"
                  f"  ({r['n']}, {time.perf_counter() - t0:.0f} s)")
        print(f"{period:8} WAPE ratio close date / stage age: "
              f"{out['close date']['wape'] / out['stage age']['wape']:.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
