"""Time-series forecasts of bookings: series, forecasts, rolling-origin backtests, metrics.

Stable entry points (see ``DESIGN.md``):

* :func:`forecast` ``(series, horizon, model="auto")`` → long frame ``unique_id``, ``ds``,
  ``yhat``, ``yhat_lower``, ``yhat_upper``, ``model``;
* :func:`backtest` ``(series, horizon, models=...)`` → one row per series × model with
  ``wape``, ``mase``, ``bias``, ``coverage`` and ``fva`` (forecast value added over seasonal
  naive).

``series`` is a long frame (``unique_id``, ``ds``, ``y``; names overridable with ``id_col``,
``time_col``, ``target_col`` as in statsforecast) of regular series; the frequency (daily,
weekly, monthly, quarterly) is inferred from ``ds``. Series are fitted in parallel on local
processes by default, or on a Dask cluster when ``scheduler`` (an address or a
``distributed.Client``) is given; both run the same per-series function with the same seeds,
so they give identical numbers. :func:`bookings_series` (from :mod:`salesops_lib.bookings`) builds the series from a
:class:`~salesops_lib.data.Dataset`.
"""

from __future__ import annotations

import multiprocessing as mp
import os
from concurrent.futures import ProcessPoolExecutor

import numpy as np
import pandas as pd

from . import models as _models
from .. import viz
from .series import (  # noqa: F401 - the series builder is part of this module's API
    GRANULARITY,
    bookings_series,
    bucket_start,
    group_column,
    period_actuals,
    quota,
)
from .models import AUTO_CANDIDATES, SEASON
from ..periods import Period

METRICS = ("wape", "mase", "bias", "coverage")


# --------------------------------------------------------------------------------------------
# frequency and validation
# --------------------------------------------------------------------------------------------
def infer_freq(dates) -> str:
    """Frequency of a set of dates: ``"D"``, ``"W"``, ``"M"`` or ``"Q"``.

    Uses the median gap between consecutive distinct dates (1 day, 7 days, 28-31 days,
    89-92 days). Raises ``ValueError`` for anything else.
    """
    d = pd.Series(pd.to_datetime(pd.Series(dates)).unique()).sort_values()
    if len(d) < 2:
        raise ValueError("cannot infer a frequency from fewer than 2 distinct dates")
    gap = d.diff().dt.days.median()
    for lo, hi, f in ((1, 1, "D"), (7, 7, "W"), (28, 31, "M"), (89, 92, "Q")):
        if lo <= gap <= hi:
            return f
    raise ValueError(f"cannot infer a daily, weekly, monthly or quarterly frequency "
                     f"(median gap {gap:g} days)")


def _prepare(series, id_col, time_col, target_col):
    """Canonical ``unique_id``/``ds``/``y`` copy, regular at its frequency; returns (df, freq)."""
    missing = [c for c in (id_col, time_col, target_col) if c not in series.columns]
    if missing:
        raise KeyError(f"series frame lacks column(s) {missing}; pass id_col/time_col/target_col")
    df = pd.DataFrame({"unique_id": series[id_col].astype(str).to_numpy(),
                       "ds": pd.to_datetime(series[time_col]).to_numpy(),
                       "y": pd.to_numeric(series[target_col], errors="coerce").to_numpy()})
    if df["y"].isna().any():
        bad = df.loc[df["y"].isna(), "unique_id"].unique()[:5]
        raise ValueError(f"non-numeric or missing y in series {list(bad)}")
    freq = infer_freq(df["ds"])
    if freq in ("M", "Q"):   # month-end or mid-month stamps become period starts
        df["ds"] = df["ds"].dt.to_period("M").dt.to_timestamp()
    step = {"D": df["ds"].dt.normalize().astype("int64") // 86_400_000_000_000,
            "W": df["ds"].dt.normalize().astype("int64") // (7 * 86_400_000_000_000),
            "M": df["ds"].dt.year * 12 + df["ds"].dt.month,
            "Q": (df["ds"].dt.year * 12 + df["ds"].dt.month) // 3}[freq]
    g = step.groupby(df["unique_id"])
    gaps = (g.max() - g.min() + 1) != g.size()
    dups = df.duplicated(["unique_id", "ds"])
    if gaps.any() or dups.any():
        bad = list(gaps[gaps].index[:5]) + list(df.loc[dups, "unique_id"].unique()[:5])
        raise ValueError(f"series must be regular (no gaps, no duplicate dates) at frequency "
                         f"{freq}; see series {bad}")
    return df.sort_values(["unique_id", "ds"]).reset_index(drop=True), freq


# --------------------------------------------------------------------------------------------
# metrics
# --------------------------------------------------------------------------------------------
def seasonal_scale(y, season: int) -> float:
    """MASE denominator: in-sample mean absolute seasonal-naive error.

    :math:`s = \\frac{1}{T-m}\\sum_{t=m+1}^{T} |y_t - y_{t-m}|`, with ``m`` = ``season``
    (``m`` = 1 when the series is not longer than one season). NaN when ``s`` = 0.
    """
    y = np.asarray(y, dtype=float)
    m = season if len(y) > season else 1
    if len(y) <= m:
        return float("nan")
    s = float(np.mean(np.abs(y[m:] - y[:-m])))
    return s if s > 0 else float("nan")


def score(points: pd.DataFrame, by=("unique_id", "model")) -> pd.DataFrame:
    """Accuracy metrics of out-of-sample forecast points, per group.

    ``points`` has ``y``, ``yhat``, ``yhat_lower``, ``yhat_upper`` and ``scale`` (the MASE
    denominator of the window each point was forecast from), plus the ``by`` columns.

    * WAPE :math:`= \\sum|y-\\hat y| / \\sum|y|`
    * MASE :math:`= \\operatorname{mean}(|y-\\hat y| / s)`, ``s`` from :func:`seasonal_scale`
    * bias :math:`= \\sum(\\hat y - y) / \\sum|y|` (positive: over-forecast)
    * coverage :math:`= \\operatorname{mean}(\\hat y_{lower} \\le y \\le \\hat y_{upper})`

    Returns one row per group with ``wape``, ``mase``, ``bias``, ``coverage``, ``n_points``.
    """
    p = points.assign(
        _abs=(points["y"] - points["yhat"]).abs(),
        _err=points["yhat"] - points["y"],
        _absy=points["y"].abs(),
        _scaled=(points["y"] - points["yhat"]).abs() / points["scale"],
        _in=((points["y"] >= points["yhat_lower"]) & (points["y"] <= points["yhat_upper"]))
        .astype(float))
    g = p.groupby(list(by), sort=True)
    out = pd.DataFrame({"_abs": g["_abs"].sum(), "_err": g["_err"].sum(),
                        "_absy": g["_absy"].sum(), "mase": g["_scaled"].mean(),
                        "coverage": g["_in"].mean(), "n_points": g.size()})
    denom = out["_absy"].where(out["_absy"] > 0)
    out["wape"] = out["_abs"] / denom
    out["bias"] = out["_err"] / denom
    return out.reset_index()[list(by) + ["wape", "mase", "bias", "coverage", "n_points"]]


# --------------------------------------------------------------------------------------------
# one series: backtest, choose, forecast (runs inside a worker)
# --------------------------------------------------------------------------------------------
def _cutoffs(n: int, horizon: int, windows: int, step: int, min_train: int) -> list[int]:
    """Training lengths of the rolling origins, oldest first; too-short ones are dropped."""
    ends = [n - horizon - step * k for k in range(windows)][::-1]
    return [e for e in ends if e >= min_train]


def _backtest_points(df: pd.DataFrame, models, spec: dict) -> pd.DataFrame:
    """Out-of-sample points of every model on every rolling origin of one series."""
    h, freq = spec["horizon"], spec["freq"]
    y = df["y"].to_numpy(dtype=float)
    rows = []
    for cut in _cutoffs(len(df), h, spec["windows"], spec["step"], spec["min_train"]):
        train, test = df.iloc[:cut], df.iloc[cut:cut + h]
        scale = seasonal_scale(y[:cut], SEASON[freq])
        done = {}
        for name in models:
            if name == "ensemble" and all(m in done for m in _models.ENSEMBLE):
                # the members were just fitted on this window: average them, no refit
                fc = _models.combine([done[m] for m in _models.ENSEMBLE])
            else:
                fc = _models.fit_predict(name, train, len(test), freq, level=spec["level"],
                                         seed=spec["seed"],
                                         fiscal_start_month=spec["fiscal_start_month"])
            done[name] = fc
            rows.append(fc.assign(model=name, cutoff=train["ds"].iloc[-1],
                                  y=test["y"].to_numpy(), scale=scale))
    if not rows:
        return pd.DataFrame(columns=["ds", "yhat", "yhat_lower", "yhat_upper", "model",
                                     "cutoff", "y", "scale"])
    return pd.concat(rows, ignore_index=True)


def choose(scores: pd.DataFrame, order=_models.MODELS,
           prefer=("top2", "ensemble")) -> str | None:
    """The model ``auto`` uses for one series, from its backtest ``scores``.

    The first of the ``prefer``-red combinations (the mean of the two best single models,
    then the ETS/Theta/Prophet ensemble) whose MASE is at or below every baseline's (seasonal
    naive, ETS, Theta): combinations are the most robust choice out of sample. Otherwise the
    model with the lowest MASE (then WAPE), ties to the simpler one in ``order``. Either way
    ``auto`` is never worse than the baselines on its backtest.
    """
    if scores.empty:
        return None
    rank = {m: i for i, m in enumerate(order)}
    s = scores.assign(_r=scores["model"].map(rank).fillna(len(rank)))
    s = s.sort_values(["mase", "wape", "_r"], na_position="last")
    mase = s.drop_duplicates("model").set_index("model")["mase"]
    base = mase[mase.index.isin(_models.BASELINES)]
    for p in prefer or ():
        if p in mase.index and pd.notna(mase[p]) and (base.isna().all() or mase[p] <= base.min()):
            return p
    return str(s["model"].iloc[0])


def _top2_points(pts: pd.DataFrame, scores: pd.DataFrame) -> tuple[pd.DataFrame, str | None]:
    """Backtest points of the mean of the two best single models (by MASE), as ``top2``."""
    single = scores[scores["model"].isin(_models.MODELS) & (scores["model"] != "ensemble")
                    & ~scores["model"].str.contains("+", regex=False)].dropna(subset=["mase"])
    if len(single) < 2:
        return pts.iloc[:0], None
    rank = {m: i for i, m in enumerate(_models.MODELS)}
    best = single.assign(_r=single["model"].map(rank)).sort_values(["mase", "_r"])["model"]
    members = sorted(best.iloc[:2], key=rank.get)
    sub = pts[pts["model"].isin(members)]
    mix = sub.groupby(["cutoff", "ds"], as_index=False).agg(
        yhat=("yhat", "mean"), yhat_lower=("yhat_lower", "mean"),
        yhat_upper=("yhat_upper", "mean"), y=("y", "first"), scale=("scale", "first"),
        unique_id=("unique_id", "first"))
    return mix.assign(model="top2"), "+".join(members)


def _one_series(uid: str, df: pd.DataFrame, spec: dict):
    """Backtest and/or forecast one series; returns (forecast frame, backtest frame).

    The backtest frame has one row per model, a ``top2`` row (the mean of the two best
    single models, named in ``chosen``) and an ``auto`` row: the scores of :func:`choose`'s
    pick, its model in ``chosen``.
    """
    df = df.reset_index(drop=True)
    fc = bt = None
    name = spec["model"]
    if spec["mode"] == "backtest" or name == "auto":
        pts = _backtest_points(df, spec["models"], spec)
        pts["unique_id"] = uid
        if len(pts):
            bt = score(pts)
            mix, members = _top2_points(pts, bt)
            if members:
                bt = pd.concat([bt, score(mix)], ignore_index=True)
            bt["chosen"] = bt["model"].where(bt["model"] != "top2", members)
            pick = choose(bt.dropna(subset=["mase", "wape"], how="all"))
        else:
            bt = pd.DataFrame({"unique_id": uid, "model": list(spec["models"])})
            bt["chosen"] = bt["model"]
            pick = None
        # too short to backtest: seasonal naive, the baseline everything is measured by
        pick = pick or "snaive"
        row = bt[bt["model"] == pick].assign(model="auto")
        if row.empty:
            row = pd.DataFrame({"unique_id": [uid], "model": ["auto"], "chosen": [pick]})
        bt = pd.concat([bt, row], ignore_index=True)
        bt["n_windows"] = pts["cutoff"].nunique() if len(pts) else 0
        if name == "auto":
            name = str(row["chosen"].iloc[0])
    if spec["mode"] == "forecast":
        fc = _models.fit_predict(name, df, spec["horizon"], spec["freq"], level=spec["level"],
                                 seed=spec["seed"],
                                 fiscal_start_month=spec["fiscal_start_month"])
        fc.insert(0, "unique_id", uid)
        fc["model"] = name
    return fc, bt


def _chunk(items, spec):
    """Worker entry point: a list of (unique_id, frame) → concatenated results."""
    _models.quiet()
    res = [_one_series(uid, df, spec) for uid, df in items]
    fcs = [r[0] for r in res if r[0] is not None]
    bts = [r[1] for r in res if r[1] is not None]
    return (pd.concat(fcs, ignore_index=True) if fcs else None,
            pd.concat(bts, ignore_index=True) if bts else None)


def _run(df: pd.DataFrame, spec: dict, n_jobs: int | None, scheduler):
    """Run :func:`_chunk` over every series: sequentially, on processes, or on Dask."""
    items = [(uid, g[["ds", "y"]]) for uid, g in df.groupby("unique_id", sort=True)]
    workers = n_jobs or os.cpu_count() or 1
    n_chunks = max(1, min(len(items), 4 * workers))
    chunks = [list(c) for c in np.array_split(np.array(items, dtype=object), n_chunks) if len(c)]
    chunks = [[tuple(x) for x in c] for c in chunks]
    if scheduler:
        from distributed import Client

        client = scheduler if isinstance(scheduler, Client) else Client(scheduler)
        try:
            futures = client.map(_chunk, chunks, spec=spec, pure=False)
            results = client.gather(futures)
        finally:
            if client is not scheduler:
                client.close()
    elif workers == 1 or len(items) == 1:
        results = [_chunk(c, spec) for c in chunks]
    else:
        ctx = mp.get_context("fork") if "fork" in mp.get_all_start_methods() else None
        with ProcessPoolExecutor(max_workers=min(workers, len(chunks)), mp_context=ctx) as ex:
            results = list(ex.map(_chunk, chunks, [spec] * len(chunks)))
    fcs = [r[0] for r in results if r[0] is not None]
    bts = [r[1] for r in results if r[1] is not None]
    return (pd.concat(fcs, ignore_index=True) if fcs else None,
            pd.concat(bts, ignore_index=True) if bts else None)


def _spec(horizon, freq, *, mode, model="auto", models=AUTO_CANDIDATES, level=80, windows=3,
          step=None, seed=0, fiscal_start_month=1, min_train=None):
    if int(horizon) < 1:
        raise ValueError("horizon must be at least 1 step")
    for m in models:
        if m not in _models.MODELS:
            raise ValueError(f"unknown model {m!r}: use {', '.join(_models.MODELS)}")
    if model != "auto" and not all(m in _models.MODELS for m in model.split("+")):
        raise ValueError(f"unknown model {model!r}: use 'auto' or {', '.join(_models.MODELS)}")
    if not 0 < level < 100:
        raise ValueError("level is a coverage in percent, between 0 and 100 (e.g. 80)")
    return {"mode": mode, "model": model, "models": tuple(models), "horizon": int(horizon),
            "freq": freq, "level": float(level), "windows": int(windows),
            "step": int(step or horizon), "seed": int(seed),
            "fiscal_start_month": int(fiscal_start_month),
            "min_train": int(min_train or max(4, SEASON[freq] // 2))}


# --------------------------------------------------------------------------------------------
# public entry points
# --------------------------------------------------------------------------------------------
def forecast(series: pd.DataFrame, horizon: int, model: str = "auto", *, level: float = 80,
             id_col: str = "unique_id", time_col: str = "ds", target_col: str = "y",
             models=AUTO_CANDIDATES, windows: int = 3, seed: int = 0,
             fiscal_start_month: int = 1, n_jobs: int | None = None,
             scheduler=None) -> pd.DataFrame:
    """Forecast every series ``horizon`` steps ahead with a ``level``% prediction interval.

    Parameters
    ----------
    series : DataFrame
        Long frame: ``id_col``, ``time_col`` (regular daily/weekly/monthly/quarterly dates),
        ``target_col``.
    horizon : int
        Steps ahead, in the series' own frequency.
    model : str
        ``"auto"`` (per series, chosen on a rolling-origin backtest of ``models`` by
        :func:`choose`: the mean of the two best models, or else the ensemble, when it is at
        least as good as every baseline, otherwise the lowest-MASE model; so never worse on
        that backtest than the baselines it was tested against), or one of ``snaive``,
        ``ets``, ``theta``, ``prophet``, ``ensemble`` (mean of ets, theta and prophet),
        ``prophet_default``, or a mix such as ``"ets+theta"`` (equal-weight mean).
    level : float
        Interval coverage in percent (80 → ``yhat_lower``/``yhat_upper`` are the 10th/90th
        percentiles).
    windows : int
        Rolling origins used by ``auto``.
    seed : int
        Seed for sampled intervals (Prophet): same data + seed → same numbers.
    n_jobs : int, optional
        Local worker processes (default: all cores; 1 = in this process).
    scheduler : str or distributed.Client, optional
        Dask scheduler address (``"tcp://host:8786"``) or client: fit on that cluster instead.

    Returns
    -------
    DataFrame
        ``id_col``, ``time_col``, ``yhat``, ``yhat_lower``, ``yhat_upper``, ``model`` (the model
        used; for ``auto`` the chosen one). With ``auto``, ``.attrs["backtest"]`` holds the
        backtest the choice was made on.
    """
    df, freq = _prepare(series, id_col, time_col, target_col)
    spec = _spec(horizon, freq, mode="forecast", model=model, models=models, level=level,
                 windows=windows, seed=seed, fiscal_start_month=fiscal_start_month)
    fc, bt = _run(df, spec, n_jobs, scheduler)
    fc = fc.sort_values(["unique_id", "ds"]).reset_index(drop=True)
    fc = fc.rename(columns={"unique_id": id_col, "ds": time_col})
    if bt is not None:
        fc.attrs["backtest"] = _finish_backtest(bt).rename(columns={"unique_id": id_col})
    return fc


def backtest(series: pd.DataFrame, horizon: int, models=AUTO_CANDIDATES, *, windows: int = 3,
             step: int | None = None, level: float = 80, id_col: str = "unique_id",
             time_col: str = "ds", target_col: str = "y", seed: int = 0,
             fiscal_start_month: int = 1, n_jobs: int | None = None,
             scheduler=None) -> pd.DataFrame:
    """Rolling-origin backtest of each model on each series.

    Origins: training on the first :math:`n - h - s(k)` points for
    :math:`k = windows-1, \\dots, 0` (``s`` = ``step``, default ``horizon``), forecasting the
    next ``horizon`` points; origins with less than ``max(4, m/2)`` training points are
    skipped. Metrics are defined in :func:`score`; MASE scales each window's errors by that
    window's in-sample seasonal-naive error.

    Returns
    -------
    DataFrame
        One row per series × model: ``id_col``, ``model``, ``wape``, ``mase``, ``bias``,
        ``coverage``, ``fva`` (forecast value added over seasonal naive,
        :math:`1 - MASE/MASE_{snaive}`), ``n_points``, ``n_windows``; plus a row
        ``model="auto"`` carrying the scores of the model ``auto`` picks (``chosen``).
    """
    df, freq = _prepare(series, id_col, time_col, target_col)
    spec = _spec(horizon, freq, mode="backtest", models=models, level=level, windows=windows,
                 step=step, seed=seed, fiscal_start_month=fiscal_start_month)
    _, bt = _run(df, spec, n_jobs, scheduler)
    return _finish_backtest(bt).rename(columns={"unique_id": id_col})


def _finish_backtest(bt: pd.DataFrame) -> pd.DataFrame:
    """Add forecast value added over seasonal naive; order columns and rows."""
    for col in METRICS + ("n_points",):
        if col not in bt:
            bt[col] = np.nan
    snaive = bt[bt["model"] == "snaive"].set_index("unique_id")["mase"]
    bt["fva"] = 1 - bt["mase"] / bt["unique_id"].map(snaive)
    order = {m: i for i, m in enumerate((*_models.MODELS, "top2", "auto"))}
    out = bt.assign(_o=bt["model"].map(order)).sort_values(["unique_id", "_o"], kind="stable")
    cols = ["unique_id", "model", "chosen", "wape", "mase", "bias", "coverage", "fva",
            "n_points", "n_windows"]
    return out[cols].reset_index(drop=True)


# --------------------------------------------------------------------------------------------
# periods: from step forecasts to a number for the quarter
# --------------------------------------------------------------------------------------------
def period_forecast(series: pd.DataFrame, fc: pd.DataFrame, period: str | Period, *,
                    level: float = 80, fiscal_start_month: int = 1) -> pd.DataFrame:
    """Total for a fiscal period: actual steps already in ``series`` + forecast steps.

    The interval adds the forecast steps' half-widths in quadrature (steps treated as
    independent): :math:`lower = A + \\sum\\hat y - \\sqrt{\\sum(\\hat y - \\hat y_{lower})^2}`,
    likewise upper; ``A`` is the actual of completed steps in the period.

    Returns
    -------
    DataFrame
        ``unique_id``, ``period``, ``actual_to_date``, ``forecast_rest``, ``value``,
        ``lower``, ``upper``, ``model``.
    """
    p = Period.parse(period, fiscal_start_month)
    act = series[p.contains(series["ds"])].groupby("unique_id")["y"].sum()
    f = fc[p.contains(fc["ds"]) & ~fc.set_index(["unique_id", "ds"]).index.isin(
        series.set_index(["unique_id", "ds"]).index)]
    g = f.assign(lo2=(f["yhat"] - f["yhat_lower"]) ** 2, hi2=(f["yhat_upper"] - f["yhat"]) ** 2)
    g = g.groupby("unique_id").agg(forecast_rest=("yhat", "sum"), lo2=("lo2", "sum"),
                                   hi2=("hi2", "sum"), model=("model", "first"))
    ids = sorted(set(series["unique_id"]) | set(fc["unique_id"]))
    out = pd.DataFrame(index=pd.Index(ids, name="unique_id"))
    out["period"] = p.label
    out["actual_to_date"] = act.reindex(out.index).fillna(0.0)
    out["forecast_rest"] = g["forecast_rest"].reindex(out.index).fillna(0.0)
    out["value"] = out["actual_to_date"] + out["forecast_rest"]
    out["lower"] = (out["value"] - np.sqrt(g["lo2"].reindex(out.index).fillna(0.0))).clip(
        lower=out["actual_to_date"])
    out["upper"] = out["value"] + np.sqrt(g["hi2"].reindex(out.index).fillna(0.0))
    out["model"] = g["model"].reindex(out.index)
    return out.reset_index()


# --------------------------------------------------------------------------------------------
# charts
# --------------------------------------------------------------------------------------------
def plot_forecast(history: pd.DataFrame, fc: pd.DataFrame, ax=None, *,
                  title: str = "Bookings: history and forecast", ylabel: str = "bookings ($)",
                  level: float = 80):
    """History (``unique_id``, ``ds``, ``y``) and forecast with its interval band.

    One line per series; the forecast is dashed, the interval shaded. Returns the figure.
    """
    fig, ax = viz.figure(title, "period start (date)", ylabel, ax=ax)
    colors = viz.color_map(history["unique_id"])
    for uid, h in history.groupby("unique_id"):
        c = colors.get(str(uid), viz.COLORS["primary"])
        ax.plot(h["ds"], h["y"], color=c, lw=1.6, label=f"{uid} actual")
        f = fc[fc["unique_id"] == uid]
        if len(f):
            ax.plot(f["ds"], f["yhat"], color=c, lw=1.8, ls="--",
                    label=f"{uid} forecast ({f['model'].iloc[0]})")
            ax.fill_between(f["ds"], f["yhat_lower"], f["yhat_upper"], color=c, alpha=0.18,
                            label=f"{level:g}% interval")
    viz.money_axis(ax)
    ax.legend(loc="upper left", fontsize=8, ncol=2)
    return fig


def plot_period_by_group(frame: pd.DataFrame, ax=None, *, title: str = "Forecast by team",
                         ylabel: str = "bookings in period ($)"):
    """Bars of ``value`` per ``unique_id`` with ``lower``–``upper`` whiskers and ``quota`` ticks."""
    fig, ax = viz.figure(title, "group", ylabel, ax=ax)
    f = frame.sort_values("value", ascending=False).reset_index(drop=True)
    x = np.arange(len(f))
    ax.bar(x, f["value"], color=viz.COLORS["primary"], alpha=0.85, label="forecast")
    ax.errorbar(x, f["value"], yerr=[f["value"] - f["lower"], f["upper"] - f["value"]],
                fmt="none", ecolor="#333333", capsize=4, lw=1.2, label="80% interval")
    if "quota" in f:
        ax.scatter(x, f["quota"], marker="_", s=900, color=viz.COLORS["target"], lw=3,
                   label="quota", zorder=3)
    ax.set_xticks(x, f["unique_id"].astype(str), rotation=30 if len(f) > 6 else 0, ha="right"
                  if len(f) > 6 else "center")
    viz.money_axis(ax)
    ax.legend(loc="upper right", fontsize=8)
    return fig
