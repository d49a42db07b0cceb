"""Time-series forecasts of bookings: series, forecasts, rolling-origin backtests, metrics.

Stable entry points (see ``DESIGN.md``):

* :func:`forecast` ``(series, horizon, model="auto")`` → long frame ``unique_id``, ``ds``,
  ``yhat``, ``yhat_lower``, ``yhat_upper``, ``model``;
* :func:`pipeline_forecast` ``(ds, period, as_of)`` → ``.value``, ``.lower``, ``.upper``,
  ``.deals``: the period's bookings from the pipeline as it stood on ``as_of``
  (:mod:`salesops_lib.forecast.pipeline_model`);
* :func:`backtest` ``(series, horizon, models=...)`` → one row per series × model with
  ``wape``, ``mase``, ``bias``, ``coverage`` and ``fva`` (forecast value added over seasonal
  naive).

``series`` is a long frame (``unique_id``, ``ds``, ``y``; names overridable with ``id_col``,
``time_col``, ``target_col`` as in statsforecast) of regular series; the frequency (daily,
weekly, monthly, quarterly) is inferred from ``ds``. Series are fitted in parallel on local
processes by default, or on a Dask cluster when ``scheduler`` (an address or a
``distributed.Client``) is given; both run the same per-series function with the same seeds,
so they give identical numbers. :func:`bookings_series` (from :mod:`salesops_lib.forecast.series`) builds the series from a
:class:`~salesops_lib.data.Dataset`.
"""

from __future__ import annotations

import multiprocessing as mp
import os
import warnings
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass

import numpy as np
import pandas as pd

from . import models as _models
from .intervals import factor_of_steps, period_forecast, recent_origins, scale_bounds  # noqa: F401
from .models import AUTO_CANDIDATES, SEASON  # noqa: F401
from .pipeline_model import PipelineForecast, pipeline_forecast  # noqa: F401 - stable call
from .plots import plot_forecast, plot_period_by_group  # noqa: F401
from .scoring import infer_freq, prepare_series, score, seasonal_scale  # noqa: F401
from .selection import _nested, _pick, choose, model_factors, record_levels  # noqa: F401
from .series import (  # noqa: F401 - the series builder is part of this module's API
    GRANULARITY,
    bookings_series,
    bucket_start,
    group_column,
    period_actuals,
    quota,
)

METRICS = ("wape", "mase", "bias", "coverage")


# --------------------------------------------------------------------------------------------
# one series: backtest, nested choice, calibration, forecast (runs inside a worker)
# --------------------------------------------------------------------------------------------
#: Rolling origins replayed per series (one step apart): what ``auto`` chooses on and what
#: its intervals are calibrated on (a quarter total is judged at every month).
ORIGINS = 24


def _cutoffs(n: int, horizon: int, windows: int, step: int, min_train: int) -> list[int]:
    """Training lengths of the rolling origins, oldest first; too-short ones are dropped."""
    ends = [n - horizon - step * k for k in range(windows)][::-1]
    return [e for e in ends if e >= min_train]


_POINT_COLS = ["ds", "yhat", "yhat_lower", "yhat_upper", "model", "cutoff", "end", "step", "y",
               "scale"]


_FITS: dict = {}
#: Most fits remembered per process (a few kB each).
_MAX_FITS = 50_000


def _key(name: str, train: pd.DataFrame, h: int, spec: dict) -> tuple:
    """What a fit depends on: model, horizon, settings, the training window's content."""
    y = train["y"].to_numpy(dtype=float)
    return (name, h, spec["freq"], spec["level"], spec["seed"], spec["fiscal_start_month"],
            pd.Timestamp(train["ds"].iloc[0]), len(y), hash(y.tobytes()))


def _fit(name: str, train: pd.DataFrame, h: int, spec: dict) -> pd.DataFrame:
    """:func:`salesops_lib.forecast.models.fit_predict`, remembered in this process: replays of one
    series truncated at consecutive dates share most of their training windows, and the
    same window, model and seed always give the same forecast. A mix (``a+b``, ``ensemble``)
    is the mean of its members' remembered fits."""
    members = (name.split("+") if "+" in name else
               list(_models.ENSEMBLE) if name == "ensemble" else None)
    if members:
        return _models.combine([_fit(m, train, h, spec) for m in members])
    key = _key(name, train, h, spec)
    hit = _FITS.get(key)
    if hit is None:
        if len(_FITS) > _MAX_FITS:
            _FITS.clear()
        hit = _FITS[key] = _models.fit_predict(name, train, h, spec["freq"],
                                               level=spec["level"], seed=spec["seed"],
                                               fiscal_start_month=spec["fiscal_start_month"])
    return hit.copy()


def _backtest_points(df: pd.DataFrame, models, spec: dict, cuts=None) -> pd.DataFrame:
    """Out-of-sample points of every model on every rolling origin of one series.

    ``cutoff`` is the origin's last training date, ``end`` its last held-out date, ``step``
    the point's position after the origin (1, 2, ...).
    """
    h, freq = spec["horizon"], spec["freq"]
    y = df["y"].to_numpy(dtype=float)
    if cuts is None:
        cuts = _cutoffs(len(df), h, spec["windows"], spec["step"], spec["min_train"])
    ds = df["ds"].to_numpy()
    cols = {c: [] for c in ("ds", "yhat", "yhat_lower", "yhat_upper", "model", "cutoff", "end",
                            "step", "y", "scale")}
    for cut in cuts:
        train, n_test = df.iloc[:cut], len(df.iloc[cut:cut + h])
        scale = seasonal_scale(y[:cut], SEASON[freq])
        done = {}
        for name in models:
            if name == "ensemble" and all(m in done for m in _models.ENSEMBLE):
                # the members were just fitted on this window: average them, no refit
                fc = _models.combine([done[m] for m in _models.ENSEMBLE])
            else:
                fc = _fit(name, train, n_test, spec)
            done[name] = fc
            for c in ("ds", "yhat", "yhat_lower", "yhat_upper"):
                cols[c].append(fc[c].to_numpy())
            for c, v in (("model", name), ("cutoff", ds[cut - 1]),
                         ("end", ds[cut + n_test - 1]), ("scale", scale)):
                cols[c].append(np.full(n_test, v, dtype=object if c == "model" else None))
            cols["step"].append(np.arange(1, n_test + 1))
            cols["y"].append(y[cut:cut + n_test])
    if not cols["ds"]:
        return pd.DataFrame(columns=_POINT_COLS)
    return pd.DataFrame({c: np.concatenate(v) for c, v in cols.items()})


def _plan(df: pd.DataFrame, spec: dict):
    """The models and origins :func:`_one_series` backtests for a series (``(models, cuts)``;
    no models when it needs no backtest)."""
    name = spec["model"]
    if not (spec["mode"] == "backtest" or name == "auto" or spec["calibrate"]):
        return (), []
    models = spec["models"] if (spec["mode"] == "backtest" or name == "auto") else \
        tuple(name.split("+"))
    return models, _cutoffs(len(df), spec["horizon"], spec["origins"], spec["step"],
                            spec["min_train"])


def _fit_jobs(items, spec) -> dict:
    """Every distinct single-model fit the series ``items`` need (key → (name, train, h)): the
    backtest windows of each, and its full history with every candidate (the final forecast,
    whichever model is chosen). Truncations of one history share most of them."""
    jobs = {}
    for _, df in items:
        df = df.reset_index(drop=True)
        models, cuts = _plan(df, spec)
        final = [m for m in (models or ()) if "+" not in m] if spec["model"] == "auto" else \
            (spec["model"].split("+") if spec["mode"] == "forecast" else [])
        singles = {x for m in (*models, *final)
                   for x in (_models.ENSEMBLE if m == "ensemble" else m.split("+"))}
        for cut in cuts:
            train = df.iloc[:cut]
            for m in singles:
                jobs.setdefault(_key(m, train, spec["horizon"], spec), (m, train,
                                                                        spec["horizon"]))
        if spec["mode"] == "forecast":
            for m in singles:
                jobs.setdefault(_key(m, df, spec["horizon"], spec), (m, df, spec["horizon"]))
    return jobs


def _fit_many(jobs, spec):
    """Worker entry point: fit each ``(key, (name, train, h))``; returns ``{key: forecast}``."""
    _models.quiet()
    return {k: _fit(n, t, h, spec) for k, (n, t, h) in jobs}


def _one_series(uid: str, df: pd.DataFrame, spec: dict):
    """Backtest and/or forecast one series.

    Returns ``(forecast, backtest, points, calibration)``: the backtest has one row per
    model and an ``auto`` row, all scored on the same ``outer`` latest origins (``auto``'s
    points from :func:`_nested`: out of sample); ``points`` are the procedure's own
    out-of-sample points at every origin, bounds scaled by the final factor; ``calibration``
    one row: ``model``, ``factor``, ``n_points``, ``interval``.
    """
    df = df.reset_index(drop=True)
    fc = None
    name = spec["model"]
    h, n = spec["horizon"], len(df)
    need_bt = spec["mode"] == "backtest" or name == "auto" or spec["calibrate"]
    pts = auto = pd.DataFrame(columns=_POINT_COLS)
    bt = None
    if need_bt:
        models = spec["models"] if (spec["mode"] == "backtest" or name == "auto") else \
            tuple(name.split("+"))
        cuts = _cutoffs(n, h, spec["origins"], spec["step"], spec["min_train"])
        pts = _backtest_points(df, models, spec, cuts)
        pts["unique_id"] = uid
        if len(pts):
            auto = _nested(pts, spec)
            auto["unique_id"] = uid
        outer = sorted(pts["cutoff"].unique())[-spec["outer"]:] if len(pts) else []
        if spec["mode"] == "backtest" or name == "auto":
            scored = pts[pts["cutoff"].isin(outer) & pts["model"].isin(spec["models"])]
            a = auto[auto["cutoff"].isin(outer)] if len(auto) else auto
            if len(scored):
                bt = pd.concat([score(scored), score(a)], ignore_index=True)
                bt["chosen"] = bt["model"]
            else:
                bt = pd.DataFrame({"unique_id": uid, "model": [*spec["models"], "auto"]})
                bt["chosen"] = bt["model"].where(bt["model"] != "auto",
                                                 _models.fallback(n, spec["freq"]))
            bt["n_windows"] = len(outer)
            bt["status"] = (f"scored on {len(outer)} held-out origin(s); auto chose at each "
                            "on earlier data only") if len(outer) else \
                ("too short to backtest: "
                 + _models.model_label(_models.fallback(n, spec["freq"])))
        if name == "auto":
            name = _pick(pts, spec["select"]) if len(pts) else _models.fallback(n, spec["freq"])
        if bt is not None:   # the auto row names the model the forecast uses (all data)
            bt.loc[bt["model"] == "auto", "chosen"] = name
    factors, how = pd.Series({0: np.nan}), "model interval"
    if spec["calibrate"] and len(pts):
        # its model calibrated on its latest points, at the levels its record earned
        levels = record_levels(auto, spec["level"], h)
        factors = model_factors(pts, name, levels, recent=spec["recent"])
        if not np.isnan(factors[0]):
            how = "calibrated per step"
    if len(auto):
        auto = scale_bounds(auto.assign(yhat_lower=auto["raw_lower"],
                                        yhat_upper=auto["raw_upper"]),
                            factor_of_steps(factors, auto["step"]))
    pooled = float(factors[0]) if not np.isnan(factors[0]) else 1.0
    cal = pd.DataFrame({"unique_id": [uid], "model": [name], "factor": [pooled],
                        "step_factors": [", ".join(f"{k}: {v:.2f}" for k, v in
                                                   factors.drop(0).items())],
                        "n_points": [len(auto)], "interval": [how]})
    if spec["mode"] == "forecast":
        fc = _fit(name, df, h, spec)
        fc = scale_bounds(fc, factor_of_steps(factors, np.arange(1, len(fc) + 1)))
        fc.insert(0, "unique_id", uid)
        fc["model"] = _models.effective_model(name, len(df), spec["freq"])
    return fc, bt, auto, cal


def _chunk(items, spec):
    """Worker entry point: a list of (unique_id, frame) → concatenated results."""
    _models.quiet()
    res = [_one_series(uid, df, spec) for uid, df in items]
    return tuple(_cat([r[i] for r in res]) for i in range(4))


def _cat(frames):
    frames = [f for f in frames if f is not None and len(f)]
    return pd.concat(frames, ignore_index=True) if frames else None


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
    elif workers == 1:
        results = [_chunk(c, spec) for c in chunks]
    elif _preload(spec) and _shared_fits(items, spec, workers, force=len(items) < 2 * workers):
        # truncations of one history (replays, rolling evaluations) or too few series to
        # keep the cores busy: each distinct fit once, on all cores, then the selection and
        # scoring here from the remembered fits (the same numbers as every other path)
        results = [_chunk(c, spec) for c in chunks]
    else:
        ctx = mp.get_context("fork") if "fork" in mp.get_all_start_methods() else None
        with ProcessPoolExecutor(max_workers=min(workers, len(chunks)), mp_context=ctx) as ex:
            results = list(ex.map(_chunk, chunks, [spec] * len(chunks)))
    return tuple(_cat([r[i] for r in results]) for i in range(4))


def _preload(spec) -> bool:
    """Import the model libraries the run needs in this process before workers are forked
    (True): forked workers inherit them, instead of each importing statsforecast (and
    Prophet) again, seconds of CPU per worker and per run."""
    names = {m for x in (*spec["models"], spec["model"]) for m in str(x).split("+")}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import statsforecast.models  # noqa: F401

        if any(n.startswith("prophet") or n in ("ensemble", "auto") for n in names):
            import prophet  # noqa: F401
    return True


def _shared_fits(items, spec, workers: int, force: bool = False) -> bool:
    """Fit the distinct windows of ``items`` in parallel into this process's cache when the
    series share at least a third of their fits, or ``force`` (True), else leave it to the
    workers (False)."""
    if len(items) > 400:
        return False
    jobs = _fit_jobs(items, spec)
    total = sum(len(_plan(df, spec)[1]) for _, df in items) * max(1, len(spec["models"]))
    todo = [(k, v) for k, v in jobs.items() if k not in _FITS]
    if not jobs or len(_FITS) + len(todo) > _MAX_FITS:
        return False
    if not todo:
        return True
    if not force and len(jobs) > 0.67 * max(total, 1):
        return False
    ctx = mp.get_context("fork") if "fork" in mp.get_all_start_methods() else None
    # longest training windows first, dealt round-robin: chunks of similar cost
    todo.sort(key=lambda kv: -len(kv[1][1]))
    parts = [todo[i::4 * workers] for i in range(4 * workers)]
    with ProcessPoolExecutor(max_workers=workers, mp_context=ctx) as ex:
        for res in ex.map(_fit_many, [p for p in parts if p], [spec] * len(parts)):
            _FITS.update(res)
    return True


def _spec(horizon, freq, *, mode, model="auto", models=None, level=80, windows=3,
          step=None, seed=0, fiscal_start_month=1, min_train=None, outer=None,
          calibrate=True, origins=None):
    if int(horizon) < 1:
        raise ValueError("horizon must be at least 1 step")
    models = _models.candidates(freq) if models is None else tuple(models)
    for m in models:
        if m not in _models.MODELS:
            raise ValueError(f"unknown model {m!r}: use {', '.join(_models.MODELS)}")
    if model != "auto" and not all(m in _models.MODELS for m in model.split("+")):
        raise ValueError(f"unknown model {model!r}: use 'auto' or {', '.join(_models.MODELS)}")
    if not 0 < level < 100:
        raise ValueError("level is a coverage in percent, between 0 and 100 (e.g. 80)")
    step = int(step or 1)
    # enough origins that the scored half has had several windows end before it
    origins = int(origins or max(ORIGINS, 3 * int(horizon) // step))
    # choice on the latest origins spanning ``windows`` horizons (at most half the origins)
    select = max(1, min(int(windows) * max(1, int(horizon) // step), origins // 2))
    return {"mode": mode, "model": model, "models": models, "horizon": int(horizon),
            "freq": freq, "level": float(level), "windows": int(windows),
            "origins": origins, "select": select, "recent": recent_origins(SEASON[freq]),
            "outer": int(outer or origins // 2), "step": step, "seed": int(seed),
            "fiscal_start_month": int(fiscal_start_month), "calibrate": bool(calibrate),
            "min_train": int(min_train or max(4, SEASON[freq] // 2))}


# --------------------------------------------------------------------------------------------
# public entry points
# --------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class ForecastRun:
    """Everything one :func:`forecast_run` produced.

    Attributes
    ----------
    forecast : DataFrame
        The :func:`forecast` frame (intervals calibrated).
    backtest : DataFrame or None
        The :func:`backtest` frame of the run (``auto`` or ``calibrate``), else None.
    points : DataFrame
        Out-of-sample points of the procedure (``unique_id``, ``cutoff``, ``end``, ``step``,
        ``ds``, ``y``, ``yhat``, ``yhat_lower``, ``yhat_upper``, ``chosen``): what
        :func:`period_forecast` calibrates period totals on.
    calibration : DataFrame
        Per series: ``model``, ``factor`` (the conformal step factor), ``n_points``,
        ``interval`` (``calibrated`` or ``model interval`` when too few points).
    """

    forecast: pd.DataFrame
    backtest: pd.DataFrame | None
    points: pd.DataFrame
    calibration: pd.DataFrame


def forecast_run(series: pd.DataFrame, horizon: int, model: str = "auto", *, level: float = 80,
                 id_col: str = "unique_id", time_col: str = "ds", target_col: str = "y",
                 models=None, windows: int = 3, seed: int = 0, fiscal_start_month: int = 1,
                 n_jobs: int | None = None, scheduler=None,
                 calibrate: bool = True, origins: int | None = None) -> ForecastRun:
    """:func:`forecast` with everything behind it (:class:`ForecastRun`); same parameters."""
    df, freq = prepare_series(series, id_col, time_col, target_col)
    spec = _spec(horizon, freq, mode="forecast", model=model, models=models, level=level,
                 windows=windows, seed=seed, fiscal_start_month=fiscal_start_month,
                 calibrate=calibrate, origins=origins)
    fc, bt, pts, cal = _run(df, spec, n_jobs, scheduler or None)
    fc = fc.sort_values(["unique_id", "ds"]).reset_index(drop=True)
    fc = fc.rename(columns={"unique_id": id_col, "ds": time_col})
    if bt is not None:
        bt = _finish_backtest(bt).rename(columns={"unique_id": id_col})
    pts = pts if pts is not None else pd.DataFrame(columns=_POINT_COLS + ["unique_id"])
    return ForecastRun(fc, bt, pts.reset_index(drop=True), cal)


def forecast(series: pd.DataFrame, horizon: int, model: str = "auto", *, level: float = 80,
             id_col: str = "unique_id", time_col: str = "ds", target_col: str = "y",
             models=None, windows: int = 3, seed: int = 0,
             fiscal_start_month: int = 1, n_jobs: int | None = None,
             scheduler=None, calibrate: bool = True,
             origins: int | None = None) -> pd.DataFrame:
    """Forecast every series ``horizon`` steps ahead with a calibrated ``level``% interval.

    Parameters
    ----------
    series : DataFrame
        Long frame: ``id_col``, ``time_col`` (regular daily/weekly/monthly/quarterly dates),
        ``target_col``.
    horizon : int
        Steps ahead, in the series' own frequency.
    model : str
        ``"auto"`` (per series, chosen by :func:`choose` on the ``windows`` latest rolling
        origins of ``models``: the mean of the two best models, or else the ensemble, when it
        is at least as good as every baseline, otherwise the lowest-MASE model), or one of
        ``snaive``, ``ets``, ``theta``, ``mstl``, ``prophet``, ``ensemble`` (mean of ets,
        theta and prophet), ``prophet_default``, or a mix such as ``"ets+theta"``.
    models : sequence, optional
        Candidates of ``auto``; default :func:`salesops_lib.forecast.models.candidates` of the
        frequency (MSTL joins for weekly and daily series).
    level : float
        Interval coverage in percent (80 → ``yhat_lower``/``yhat_upper`` should hold 80% of
        outcomes).
    windows : int
        Held-out spans of ``horizon`` steps ``auto`` chooses on: at each origin, the latest
        ``windows × horizon`` earlier origins (at most half of ``origins``).
    origins : int, optional
        Rolling origins replayed per series, one step apart (default :data:`ORIGINS`, at
        least three horizons): ``auto`` chooses and its intervals are calibrated on them,
        each origin's choice and calibration on the origins before it only.
    calibrate : bool
        Scale the model's interval by the conformal factor of the procedure's own
        out-of-sample errors (:mod:`salesops_lib.forecast.intervals`); False: the model's
        interval as it comes (faster: no backtest for a fixed model).
    seed : int
        Seed for sampled intervals (Prophet): same data + seed → same numbers.
    n_jobs : int, optional
        Local worker processes (default: all cores; 1 = in this process).
    scheduler : str or distributed.Client, optional
        Dask scheduler address (``"tcp://host:8786"``) or client; ``""``/None: local.

    Returns
    -------
    DataFrame
        ``id_col``, ``time_col``, ``yhat``, ``yhat_lower``, ``yhat_upper``, ``model`` (the model
        used; for ``auto`` the chosen one). :func:`forecast_run` returns the backtest,
        points and calibration with it.
    """
    return forecast_run(series, horizon, model, level=level, id_col=id_col, time_col=time_col,
                        target_col=target_col, models=models, windows=windows, seed=seed,
                        fiscal_start_month=fiscal_start_month, n_jobs=n_jobs,
                        scheduler=scheduler, calibrate=calibrate, origins=origins).forecast


def backtest(series: pd.DataFrame, horizon: int, models=None, *, windows: int = 3,
             step: int | None = None, level: float = 80, id_col: str = "unique_id",
             time_col: str = "ds", target_col: str = "y", seed: int = 0,
             fiscal_start_month: int = 1, n_jobs: int | None = None,
             scheduler=None, origins: int | None = None) -> pd.DataFrame:
    """Rolling-origin backtest of each model, and of the ``auto`` procedure, on each series.

    Origins: training on the first :math:`n - h - s\\,k` points for
    :math:`k = origins-1, \\dots, 0` (``s`` = ``step``, default 1: an origin every step;
    ``origins`` default :data:`ORIGINS`, at least three horizons), forecasting the next
    ``horizon`` points; origins with less than ``max(4, m/2)`` training points are skipped.
    Every model is scored on the latest half of the origins (``n_windows``). ``auto`` is
    scored on the same origins, *nested*: at each, it chooses its model on the latest
    ``windows × horizon`` origins whose held-out points end by then, and its interval is
    calibrated, step by step, on its own earlier points known then; so its row is out of
    sample and can lose to a single model. Metrics are
    defined in :func:`score`; MASE scales each window's errors by that window's in-sample
    seasonal-naive error.

    Returns
    -------
    DataFrame
        One row per series × model: ``id_col``, ``model``, ``chosen`` (for ``auto``: its
        choice at the latest origin), ``wape``, ``mase``, ``bias``, ``coverage`` (share of
        held-out points inside the ``level``% interval), ``fva`` (forecast value added over
        seasonal naive, :math:`1 - MASE/MASE_{snaive}`), ``n_points``, ``n_windows``,
        ``status`` (what the row rests on, or why it is empty).
    """
    df, freq = prepare_series(series, id_col, time_col, target_col)
    spec = _spec(horizon, freq, mode="backtest", models=models, level=level, windows=windows,
                 step=step, seed=seed, fiscal_start_month=fiscal_start_month, origins=origins)
    _, bt, _, _ = _run(df, spec, n_jobs, scheduler or None)
    return _finish_backtest(bt).rename(columns={"unique_id": id_col})


def backtest_points(series: pd.DataFrame, horizon: int, model: str = "auto", **kw) -> pd.DataFrame:
    """The procedure's out-of-sample points (see :class:`ForecastRun`), for coverage studies."""
    return forecast_run(series, horizon, model, **kw).points


def _finish_backtest(bt: pd.DataFrame) -> pd.DataFrame:
    """Add forecast value added over seasonal naive; order columns and rows."""
    for col in METRICS + ("n_points",):
        if col not in bt:
            bt[col] = np.nan
    snaive = bt[bt["model"] == "snaive"].set_index("unique_id")["mase"]
    bt["fva"] = 1 - bt["mase"] / bt["unique_id"].map(snaive)
    order = {m: i for i, m in enumerate((*_models.MODELS, "auto"))}
    out = bt.assign(_o=bt["model"].map(order)).sort_values(["unique_id", "_o"], kind="stable")
    cols = ["unique_id", "model", "chosen", "wape", "mase", "bias", "coverage", "fva",
            "n_points", "n_windows", "status"]
    return out[cols].reset_index(drop=True)


# periods (forecast_intervals) and charts (forecast_plots) are re-exported above
