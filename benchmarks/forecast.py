"""Forecast benchmark: accuracy of ``auto`` vs default Prophet vs seasonal naive, and speed.

Run ``python benchmarks/forecast.py`` (``--n-series 200`` for a quicker speed test,
``--skip-speed`` / ``--skip-accuracy`` for one half). Prints, side by side:

1. Accuracy on three sets of real or realistic monthly series — ``../shared/data/
   prophet_examples`` (retail sales, air passengers), ``../shared/data/
   classic_monthly_sales_series`` (car sales, champagne, airline, shampoo, writing paper) and
   the sample org's team series — as MASE and WAPE over rolling origins. ``auto`` is scored
   out of sample: at every origin it chooses its model by an inner backtest on the training
   data only, then forecasts the held-out steps, exactly as a report run would. Each series
   is backtested on up to 120 origins one step apart (``--origins``; ``default`` for the
   library's three horizons), the latest half scored, so a long series' step is judged on
   about 60 held-out points rather than 18.
   Every model's intervals are scored too: ``step cov`` is the share of held-out points inside
   the 80% interval, ``total cov`` the share of held-out totals over the first ``q`` steps (a
   quarter: 3 months, 13 weeks) inside the period-total interval calibrated on the
   procedure's own earlier windows (``forecast_intervals``); both should be near 80%.
   A fourth set has long seasons: weekly series with a yearly season of 52 weeks — the
   sample org's bookings per team by week (4 years) and the public Peyton Manning page
   views summed by week (all 424 weeks) — where ``auto`` (with MSTL among its candidates) is compared with
   default Prophet and seasonal naive. Then the sample's quarter replayed (``blend``):
   achieved coverage of the time-series, pipeline and blended ranges.
2. Time of the forecast page's main call (``blend.outlook(sample, "2026-Q4", by="team")``,
   cold fit cache), then time to forecast N sample series (rep × product × industry,
   monthly) with default Prophet in a plain sequential loop against our parallel path
   (``forecast.forecast`` on all cores).
"""

from __future__ import annotations

import argparse
import io
import os
import sys
import time
from pathlib import Path

import pandas as pd

from salesops_lib import load_dataset
from salesops_lib.forecast import blend as B
from salesops_lib.forecast import intervals as I
from salesops_lib.forecast import models as M
from salesops_lib.forecast import timeseries as F

SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "data"
SINGLE = ("snaive", "ets", "theta", "prophet", "ensemble", "prophet_default")
WEEKLY_SINGLE = ("snaive", "ets", "theta", "mstl", "prophet", "ensemble", "prophet_default")


# ------------------------------------------------------------------------------ loading
def read_monthly(path: Path, uid: str) -> pd.DataFrame:
    """One monthly series from a two-column CSV (any line endings; ``Y-MM`` relative dates).

    The air-passengers example uses bare CR line endings; shampoo and writing-paper sales
    label months ``"1-01"`` .. ``"3-12"`` (year 1 of an unknown calendar): those are mapped to
    2001-01 .. so the monthly spacing is kept; anything else unparseable raises.
    """
    text = path.read_bytes().decode("utf-8").replace("\r\n", "\n").replace("\r", "\n")
    raw = pd.read_csv(io.StringIO(text))
    raw.columns = ["ds", "y"]
    ds = raw["ds"].astype(str).str.strip()
    rel = ds.str.fullmatch(r"\d{1,2}-\d{2}")
    if rel.all():
        parts = ds.str.split("-", expand=True).astype(int)
        ds = (2000 + parts[0]).astype(str) + "-" + parts[1].map("{:02d}".format)
    elif rel.any():
        raise ValueError(f"{path.name}: mixes relative and absolute month labels")
    dates = pd.to_datetime(ds, format="mixed")
    return pd.DataFrame({"unique_id": uid, "ds": dates, "y": pd.to_numeric(raw["y"])})


def series_sets(ds) -> dict[str, pd.DataFrame]:
    pe = SHARED / "prophet_examples"
    cl = SHARED / "classic_monthly_sales_series"
    sets = {
        "prophet_examples": pd.concat([
            read_monthly(pe / "example_retail_sales.csv", "retail_sales"),
            read_monthly(pe / "example_air_passengers.csv", "air_passengers")]),
        "classic_monthly": pd.concat([
            read_monthly(cl / f, f.split(".")[0]) for f in (
                "monthly-car-sales.csv", "monthly_champagne_sales.csv",
                "airline-passengers.csv", "monthly-shampoo-sales.csv",
                "monthly-writing-paper-sales.csv")]),
        # the first quarter of the sample is the org ramping up: start at its second quarter
        "sample_teams": F.bookings_series(ds, "month", "team").query("ds >= '2024-04-01'"),
    }
    return {k: v.reset_index(drop=True) for k, v in sets.items()}


def weekly_sets() -> dict[str, pd.DataFrame]:
    """Weekly series with a 52-week season: the sample's team bookings by week over four
    years (its first quarter, the ramp-up, left out) and Peyton Manning's daily log page
    views (Prophet's own example) summed by week."""
    ds4 = load_dataset("sample:years=4")
    teams = F.bookings_series(ds4, "week", "team")
    teams = teams[teams["ds"] >= teams["ds"].min() + pd.Timedelta(days=91)]
    pm = pd.read_csv(SHARED / "prophet_examples" / "example_wp_log_peyton_manning.csv")
    pm["ds"] = pd.to_datetime(pm["ds"])
    # a week's total from the days recorded (mean × 7); whole weeks missing are interpolated
    wk = pm.set_index("ds")["y"].resample("W-MON", label="left", closed="left").mean() * 7
    wk = wk.interpolate()
    pm = pd.DataFrame({"unique_id": "peyton_manning", "ds": wk.index, "y": wk.to_numpy()})
    return {"weekly_sample_teams": teams.reset_index(drop=True),
            "weekly_peyton_manning": pm.reset_index(drop=True)}


# ------------------------------------------------------------------------------ accuracy
def evaluate(series: pd.DataFrame, horizon: int, quarter: int, n_jobs=None,
             candidates=None, fixed=("snaive", "prophet_default"), origins=None):
    """Out-of-sample MASE / WAPE and interval coverage over rolling origins one step apart.

    One ``forecast_run`` of ``auto`` per set: every candidate is backtested at every origin,
    ``auto`` chooses at each origin on the windows that had ended by then and calibrates its
    intervals (per step) on its own earlier points; the scored origins are the latest half
    (``n_windows``), the same for every model. ``fixed`` models (default Prophet, seasonal
    naive) are backtested on the same origins in a second run. ``total`` judges the interval
    of the total of the first ``quarter`` held-out steps at each scored origin, its factor
    from the windows ended before that origin (``intervals.total_replay``). ``origins``: how
    many rolling origins (the library's default when None; a series with less history has
    fewer: every origin keeps at least half a season of training).

    Returns ``(per series × model scores, auto's scored points, auto's judged totals)``.
    """
    t0 = time.perf_counter()
    run = F.forecast_run(series, horizon, "auto", models=candidates, n_jobs=n_jobs,
                         origins=origins)
    secs = time.perf_counter() - t0
    bt = run.backtest.assign(seconds=secs)
    bt["unique_id"] = bt["unique_id"].astype(str)
    others = F.backtest(series, horizon, models=fixed, n_jobs=n_jobs, origins=origins)
    others = others[others["model"].isin(fixed) & ~others["model"].isin(bt["model"])]
    bt = pd.concat([bt, others], ignore_index=True)
    pts = run.points
    n_out = bt.groupby("unique_id")["n_windows"].max()
    outer = pts.groupby("unique_id")["cutoff"].transform(
        lambda c: c.isin(sorted(c.unique())[-int(n_out[c.name]):]))
    pts = pts[outer.astype(bool)]
    tot = I.total_replay(run.points, range(1, quarter + 1))
    tot = tot.merge(pts[["unique_id", "cutoff"]].drop_duplicates(), on=["unique_id", "cutoff"])
    return bt.rename(columns={"unique_id": "series"}), pts, tot


def _cov(c, overlap: float = 1) -> str:
    s = I.coverage_summary(c, overlap=overlap)
    if not s["n"]:
        return "–"
    return f"{s['coverage']:.0%} of {s['n']} [{s['cov_low']:.0%}–{s['cov_high']:.0%}]"


def coverage_table(pts: pd.DataFrame, tot: pd.DataFrame) -> pd.DataFrame:
    """Achieved coverage of auto's 80% intervals per series: each step, all steps, the total
    (share covered, count, 95% interval). Origins are one step apart, so the cases overlap:
    step ``j`` at neighbouring origins shares ``j − 1`` periods of surprises, the total of
    ``q`` steps ``q − 1``; the interval counts ``n / j`` (``n / q``; ``n / horizon`` for all
    steps, one case per origin) cases (``intervals.coverage_summary``)."""
    inside = (pts["nested_lower"] <= pts["y"]) & (pts["y"] <= pts["nested_upper"])
    h = int(pts["step"].max())
    q = int(tot["steps"].max()) if len(tot) else 1
    rows = []
    for uid in [*sorted(pts["unique_id"].unique()), "all series"]:
        k = pts["unique_id"] == uid if uid != "all series" else pts["unique_id"].notna()
        t = tot["unique_id"] == uid if uid != "all series" else tot["unique_id"].notna()
        row = {"series": uid, "steps": _cov(inside[k], h)}
        for j in sorted(pts["step"].unique())[:3]:
            row[f"step {j}"] = _cov(inside[k & (pts["step"] == j)], j)
        row["last step"] = _cov(inside[k & (pts["step"] == h)], h)
        row["period total"] = _cov(tot.loc[t, "covered"], q)
        rows.append(row)
    return pd.DataFrame(rows)


def report(name: str, s: pd.DataFrame, res, h: int, quarter: int, singles) -> pd.DataFrame:
    """Print one set's accuracy and coverage tables; returns the MASE per model."""
    bt, pts, tot = res
    table = bt.groupby("model", sort=False)[["mase", "wape", "coverage"]].mean()
    table = table.rename(columns={"coverage": "step cov"})
    n_win = int(bt["n_windows"].max())
    print(f"== {name}: {s['unique_id'].nunique()} series, horizon {h}, {n_win} scored origins "
          f"one step apart per series (auto chose per origin on earlier data only; "
          f"{bt['seconds'].iloc[0]:.0f} s)")
    print(table.round(3).to_string())
    print("(step cov of fixed models: their own intervals; auto's: calibrated on its earlier "
          "points only)")
    print(f"Achieved coverage of auto's 80% intervals (share, count, 95% interval counting "
          f"overlapping windows once); period total = first {quarter} steps:")
    print(coverage_table(pts, tot).to_string(index=False))
    cols = [c for c in ["auto", *singles] if c in set(bt["model"])]
    per = bt.pivot(index="series", columns="model", values="mase")[cols]
    print("MASE per series:")
    print(per.round(3).to_string())
    chosen = pts.groupby("unique_id")["chosen"].agg(lambda m: m.value_counts().to_dict())
    print("auto chose (origins):", chosen.to_dict())
    best = table.loc[[c for c in singles if c in table.index], "mase"].idxmin()
    print(f"auto MASE {table.at['auto', 'mase']:.3f} vs best single model {best} "
          f"{table.at[best, 'mase']:.3f}\n")
    return table["mase"]


# ------------------------------------------------------------------------------ speed
def speed_series(ds, n: int) -> pd.DataFrame:
    """``n`` monthly sample series: rep × product × account industry, the busiest first."""
    opp = ds.opportunities
    industry = opp["account_id"].map(ds.accounts.set_index("account_id")["industry"])
    cell = (opp["rep_id"].astype(str) + "|" + opp["product"].astype(str) + "|"
            + industry.astype(str))
    from salesops_lib import Dataset

    ds2 = Dataset.from_frames(accounts=ds.accounts, reps=ds.reps,
                              opportunities=opp.assign(cell=cell), as_of=ds.as_of)
    s = F.bookings_series(ds2, "month", "cell")
    top = s.groupby("unique_id")["y"].sum().sort_values(ascending=False).index[:n]
    return s[s["unique_id"].isin(top)].reset_index(drop=True)


def sequential_prophet(series: pd.DataFrame, horizon: int) -> pd.DataFrame:
    """The plain way: one default Prophet per series, one after the other."""
    from prophet import Prophet

    M.quiet()
    out = []
    for uid, g in series.groupby("unique_id"):
        m = Prophet(uncertainty_samples=300)
        m.fit(g[["ds", "y"]])
        f = m.predict(m.make_future_dataframe(horizon, freq="MS", include_history=False))
        out.append(f[["ds", "yhat", "yhat_lower", "yhat_upper"]].assign(unique_id=uid))
    return pd.concat(out, ignore_index=True)


def timed(fn) -> tuple[float, float]:
    """Wall seconds and CPU seconds (this process plus finished child processes) of ``fn()``."""
    import resource

    def cpu():
        me = resource.getrusage(resource.RUSAGE_SELF)
        kids = resource.getrusage(resource.RUSAGE_CHILDREN)
        return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime

    c0, t0 = cpu(), time.perf_counter()
    fn()
    return time.perf_counter() - t0, cpu() - c0


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n-series", type=int, default=1000)
    ap.add_argument("--skip-speed", action="store_true")
    ap.add_argument("--skip-accuracy", action="store_true")
    ap.add_argument("--sets", default="", help="comma-separated set names to run (default all; "
                    "e.g. weekly_peyton_manning,sample_replay)")
    ap.add_argument("--origins", default="120",
                    help="rolling origins per series for the accuracy sets (a series with less "
                    "history gets fewer), or 'default' for the library's (three horizons)")
    args = ap.parse_args(argv)
    origins = None if args.origins == "default" else int(args.origins)
    pd.set_option("display.width", 140)
    ds = load_dataset("sample")
    print(f"machine: {os.cpu_count()} cores; sample as of {ds.as_of:%Y-%m-%d}\n")

    if not args.skip_accuracy:
        plan = {"prophet_examples": 12, "classic_monthly": 12, "sample_teams": 3}
        want = set(filter(None, args.sets.split(",")))
        for name, s in series_sets(ds).items():
            if want and name not in want:
                continue
            h = plan[name]
            report(name, s, evaluate(s, h, 3, origins=origins), h, 3, SINGLE)
        for name, s in weekly_sets().items():
            if want and name not in want:
                continue
            h = 13
            t = report(name, s, evaluate(s, h, 13, origins=origins), h, 13, WEEKLY_SINGLE)
            bar = min(t["prophet_default"], t["snaive"])
            print(f"goal: auto MASE {t['auto']:.3f} <= min(default Prophet, seasonal naive) "
                  f"{bar:.3f}: {'met' if t['auto'] <= bar + 1e-12 else 'NOT met'}\n")
        t0 = time.perf_counter()
        ol = B.outlook(ds, "2026-Q4", periods_back=4) if not want or "sample_replay" in want \
            else None
        if ol is None:
            return 0
        print(f"== sample {ol.period}: past quarters replayed at weeks 1, 4, 7, 10, 13 "
              f"({time.perf_counter() - t0:.0f} s)")
        print(ol.coverage.round(3).to_string(index=False))
        print(ol.summary.to_string(index=False), "\n")

    if not args.skip_speed:
        # the forecast page's main call, from a cold fit cache (what one report run pays)
        F._FITS.clear()
        load0 = os.getloadavg()[0]
        ow, oc = timed(lambda: B.outlook(ds, "2026-Q4", by="team"))
        print(f"== speed: blend.outlook(sample, '2026-Q4', by='team'), cold cache: {ow:.1f} s "
              f"wall, {oc:.1f} s cpu (load {load0:.1f} → {os.getloadavg()[0]:.1f})\n")
        s = speed_series(ds, args.n_series)
        n = s["unique_id"].nunique()
        print(f"== speed: {n} sample series (rep × product × industry, monthly, "
              f"{s.groupby('unique_id').size().median():.0f} points each), horizon 3")
        print("(wall s = elapsed; cpu s = CPU time of this process and its workers; on a "
              "shared machine wall time depends on what else runs)")
        load0 = os.getloadavg()[0]
        seq, seq_cpu = timed(lambda: sequential_prophet(s, 3))
        print(f"sequential default Prophet loop : {seq:7.1f} s wall {seq_cpu:7.1f} s cpu  "
              f"({1000 * seq / n:.0f} ms/series)")
        # the same work as the loop (one fit per series, the model's own interval): the
        # default path also replays every series at its rolling origins to calibrate the
        # interval, about 25 fits per series, timed apart below
        par, par_cpu = timed(lambda: F.forecast(s, 3, "prophet_default", calibrate=False))
        print(f"parallel path (prophet_default) : {par:7.1f} s wall {par_cpu:7.1f} s cpu  "
              f"({1000 * par / n:.0f} ms/series)  wall speed-up ×{seq / par:.2f} on "
              f"{os.cpu_count()} cores (same fits as the loop)")
        par2, par2_cpu = timed(lambda: F.forecast(s, 3, "prophet", calibrate=False))
        print(f"parallel path (sales Prophet)   : {par2:7.1f} s wall {par2_cpu:7.1f} s cpu  "
              f"({1000 * par2 / n:.0f} ms/series)")
        k = min(n, 100)
        few = s[s["unique_id"].isin(s["unique_id"].unique()[:k])]
        cal, cal_cpu = timed(lambda: F.forecast(few, 3, "prophet_default"))
        print(f"calibrated interval, {k} series : {cal:7.1f} s wall {cal_cpu:7.1f} s cpu  "
              f"({1000 * cal / k:.0f} ms/series: the fits at every rolling origin)")
        print(f"load average during the run: {load0:.1f} → {os.getloadavg()[0]:.1f} "
              f"(above {os.cpu_count()} means other work competed for the cores)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
