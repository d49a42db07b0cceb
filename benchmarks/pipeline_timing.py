"""Pipeline forecast accuracy: a deal's timing from its close date against its age in stage.

Run from the repository root (not collected by pytest)::

    .venv/bin/python benchmarks/pipeline_timing.py
    .venv/bin/python benchmarks/pipeline_timing.py --periods 2026-11,2026-Q4

For each period, ``blend.outlook`` replays the pipeline forecast on the 4 periods before it
(at weeks 1, 4, 7, 10, 13 of a quarter; weeks 1–5 of a month), everything as known on each
replayed day. It runs four times in this process (:data:`RULES`): with the library's rule
(``p_time`` from the close date where it can, its slips read by the month of the quarter the
date falls in, and the win odds shifted for how near the date is; ``forecast/timing.py``),
without the shift, also without the month of the quarter, and with the baseline, the age in
the stage for every deal (``timing.close_date_timing`` switched off). Prints the
pipeline source's WAPE, bias and interval coverage under each, and the ratios of the WAPEs.

Then the live check: the sample knows how its open deals will end (``generate(outcomes=True)``;
no table shows it), so the forecast of the periods in progress on its as-of date (2026-Q4,
2026-11) is set against what those deals will book, under each rule. (Deals not created yet
are not in that answer; the run-rate adds little that late in a period.) Last, the same on
``--seeds`` other sample orgs (seeds 1..N), for a live check that does not rest on one org.
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from salesops_lib import load_dataset
from salesops_lib.data.sample import generate
from salesops_lib.forecast import blend as B
from salesops_lib.forecast import pipeline_forecast, timing
from salesops_lib.periods import Period


def pipeline_scores(ds, period: str) -> dict:
    ol = B.outlook(ds, period, periods_back=4)
    row = ol.coverage.set_index("source").loc["pipeline"]
    return {"wape": float(row["wape"]), "bias": float(row["bias"]),
            "coverage": float(row["coverage"]), "n": int(row["n"])}


def known_answer(frames: dict, period: str) -> float:
    """What the sample's period will book: deals won in it by the as-of date plus open deals
    that will be won inside it."""
    p = Period.parse(period)
    opp = frames["opportunities"]
    done = opp[(opp["status"] == "won") & p.contains(opp["close_date"])]["amount"].sum()
    fate = frames["outcomes"].merge(opp[["opportunity_id", "amount"]], on="opportunity_id")
    later = fate[(fate["status"] == "won") & p.contains(fate["close_date"])]["amount"].sum()
    return float(done + later)


#: The rules compared: the library's; without the win-odds shift for the days to the close
#: date (``timing.win_shift``); without it and with slips pooled over the calendar, not read
#: by the month of the quarter (the rule before 7 December); age in stage for everything.
RULES = ("close date", "no win shift", "pooled", "stage age")


def with_rule(name: str, fn):
    """``fn()`` with the odds of the named rule (:data:`RULES`)."""
    rule, levels, shift = timing.close_date_timing, timing.LEVELS, timing.win_shift
    if name != "close date":
        timing.win_shift = lambda deals, *a, **k: np.zeros(len(deals))
    if name == "stage age":
        timing.close_date_timing = lambda deals, *a, **k: np.full(len(deals), np.nan)
    elif name == "pooled":
        timing.LEVELS = tuple(c for c in levels if "moq" not in c)
    try:
        return fn()
    finally:
        timing.close_date_timing, timing.LEVELS, timing.win_shift = rule, levels, shift


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--periods", default="2026-11,2026-08,2026-Q4,2026-Q3,2026-Q2")
    ap.add_argument("--seeds", type=int, default=8,
                    help="sample orgs (seeds 1..N) for the live check across orgs")
    args = ap.parse_args(argv)
    ds = load_dataset("sample")
    print(f"{'period':8} {'rule':12} {'WAPE':>6} {'bias':>7} {'cover':>6}  (n replays)")
    for period in args.periods.split(","):
        out = {}
        for name in RULES:
            t0 = time.perf_counter()
            out[name] = with_rule(name, lambda p=period: pipeline_scores(ds, p))
            r = out[name]
            print(f"{period:8} {name:12} {r['wape']:6.1%} {r['bias']:+7.1%} {r['coverage']:6.0%}"
                  f"  ({r['n']}, {time.perf_counter() - t0:.0f} s)")
        print(f"{period:8} WAPE ratio close date / " + ", / ".join(
            f"{r}: {out['close date']['wape'] / out[r]['wape']:.2f}" for r in RULES[1:]))
    frames = generate(outcomes=True)
    print("\nlive, as of", f"{ds.as_of:%Y-%m-%d}: pipeline forecast [80% range] against the "
          "bookings the open deals will make")
    for period in ("2026-Q4", "2026-11"):
        truth = known_answer(frames, period)
        for name in RULES:
            f = with_rule(name, lambda p=period: pipeline_forecast(ds, p))
            print(f"{period:8} {name:12} ${f.value / 1e6:5.2f}M [{f.lower / 1e6:.2f}–"
                  f"{f.upper / 1e6:.2f}]  answer ${truth / 1e6:.2f}M  error "
                  f"{f.value / truth - 1:+.1%}")
    live_across_orgs(args.seeds)
    return 0


def live_across_orgs(seeds: int) -> None:
    """The live check on ``seeds`` sample orgs (seeds 1..N, each as of its 15 November):
    WAPE and mean error of the point forecast against what the open deals will book."""
    if seeds < 1:
        return
    errs = {(p, r): [] for p in ("2026-Q4", "2026-11") for r in RULES}
    for seed in range(1, seeds + 1):
        frames = generate(seed=seed, outcomes=True)
        ds = load_dataset(f"sample:seed={seed}")
        for period in ("2026-Q4", "2026-11"):
            truth = known_answer(frames, period)
            for name in RULES:
                f = with_rule(name, lambda p=period, d=ds: pipeline_forecast(d, p, correlation=None))
                errs[period, name].append((f.value - truth, truth))
    print(f"\nlive on {seeds} sample orgs (seeds 1–{seeds}): WAPE, mean error")
    for (period, name), e in errs.items():
        a = np.array(e)
        print(f"{period:8} {name:12} {np.abs(a[:, 0]).sum() / a[:, 1].sum():6.1%} "
              f"{np.mean(a[:, 0] / a[:, 1]):+7.1%}")


if __name__ == "__main__":
    raise SystemExit(main())
