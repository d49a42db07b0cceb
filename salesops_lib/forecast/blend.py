"""The period's number: time-series and pipeline forecasts, backtested and blended.

:func:`outlook` is what the forecast report calls: it builds the bookings series, forecasts
them (:mod:`salesops_lib.forecast`), forecasts the period from the pipeline
(:mod:`salesops_lib.pipeline_forecast`), replays both on past periods at the same weeks of the
quarter (:func:`period_backtest`) and blends them with weights from that replay:

.. math::

    w_s = \\frac{1/\\mathrm{WAPE}_s^2}{\\sum_r 1/\\mathrm{WAPE}_r^2}, \\qquad
    \\hat F = \\sum_s w_s \\hat F_s

(inverse squared error, as Bates and Granger; bounds are blended the same way).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from . import timeseries as fc_
from .. import viz
from ..periods import Period
from .pipeline_model import PipelineForecast, pipeline_forecast, replay_points

SOURCES = ("timeseries", "pipeline", "blend")


def _steps_to(last: pd.Timestamp, end: pd.Timestamp, granularity: str) -> int:
    """Steps after bucket ``last`` needed to cover the day ``end``."""
    freq = fc_.GRANULARITY[granularity]
    start = fc_.bucket_start(pd.Series([end]), granularity).iloc[0]
    n, cur = 0, pd.Timestamp(last)
    while cur < start:
        cur = cur + fc_._models.STEP[freq]
        n += 1
    return n


def period_backtest(ds, period: str | Period, *, granularity: str = "month",
                    model: str = "auto", periods_back: int = 4, weeks=(1, 4, 7, 10, 13),
                    level: float = 80, seed: int = 0, n_jobs: int | None = None,
                    scheduler=None) -> pd.DataFrame:
    """Replay both forecasts on the ``periods_back`` periods before ``period``.

    For each past period ``q`` (ended by ``ds.as_of``) and week ``w``, the as-of date is
    ``q.start + 7(w-1)`` days; the time-series forecast is fitted on the buckets complete by
    then and the pipeline rebuilt as it stood then, so nothing later is used. All the
    truncated series are fitted in one parallel call.

    Returns
    -------
    DataFrame
        ``period``, ``source`` (timeseries / pipeline), ``as_of``, ``week``, ``value``,
        ``lower``, ``upper``, ``actual``.
    """
    p = Period.parse(period, ds.fiscal_start_month)
    plan = replay_points(ds, p, periods_back, weeks)
    cols = ["period", "source", "as_of", "week", "value", "lower", "upper", "actual"]
    if not plan:
        return pd.DataFrame(columns=cols)
    full = fc_.bookings_series(ds, granularity, as_of=ds.as_of, complete=False)
    last_complete = {a: fc_.bookings_series(ds, granularity, as_of=a)["ds"].max() for _, _, a in plan}
    cuts = sorted(set(last_complete.values()))
    series = pd.concat([full[full["ds"] <= c].assign(unique_id=f"{c:%Y-%m-%d}") for c in cuts],
                       ignore_index=True)
    horizon = max(_steps_to(last_complete[a], q.end, granularity) for q, _, a in plan)
    step_fc = fc_.forecast(series, max(horizon, 1), model, level=level, seed=seed,
                           fiscal_start_month=ds.fiscal_start_month, n_jobs=n_jobs,
                           scheduler=scheduler)
    actual = fc_.period_actuals(ds, p.kind).set_index("period")["actual"]
    rows = []
    for q, w, a in plan:
        uid = f"{last_complete[a]:%Y-%m-%d}"
        ts = fc_.period_forecast(series[series["unique_id"] == uid],
                                 step_fc[step_fc["unique_id"] == uid], q,
                                 fiscal_start_month=ds.fiscal_start_month).iloc[0]
        pl = pipeline_forecast(ds, q, a, level=level)
        act = float(actual.get(q.label, 0.0))
        rows.append((q.label, "timeseries", a, w, ts["value"], ts["lower"], ts["upper"], act))
        rows.append((q.label, "pipeline", a, w, pl.value, pl.lower, pl.upper, act))
    return pd.DataFrame(rows, columns=cols)


def weights(past: pd.DataFrame, week: int | None = None) -> pd.Series:
    """Blend weight per source, :math:`\\propto 1/\\mathrm{WAPE}^2` on past periods.

    With ``week``, only past forecasts made at the nearest week of the period count (the
    pipeline knows more late in a quarter than early). Equal weights without history.
    """
    if past.empty:
        return pd.Series({"timeseries": 0.5, "pipeline": 0.5})
    rows = past
    if week is not None:
        dist = (past["week"] - week).abs()
        near = past[dist == dist.min()]
        if near.groupby("source").size().min() >= 2:
            rows = near
    err = (rows["value"] - rows["actual"]).abs().groupby(rows["source"]).sum()
    wape = err / rows["actual"].abs().groupby(rows["source"]).sum()
    inv = 1.0 / np.maximum(wape, 1e-6) ** 2
    return inv / inv.sum()


def blend(current: pd.DataFrame, w: pd.Series) -> pd.DataFrame:
    """Add a ``blend`` row: weighted sum of ``value``, ``lower``, ``upper`` per ``unique_id``.

    ``current`` has ``unique_id``, ``source``, ``value``, ``lower``, ``upper``.
    """
    c = current[current["source"].isin(w.index)]
    ww = c["source"].map(w)
    parts = c[["value", "lower", "upper"]].mul(ww, axis=0)
    b = parts.groupby(c["unique_id"]).sum().div(ww.groupby(c["unique_id"]).sum(), axis=0)
    b = b.reset_index().assign(source="blend")
    return pd.concat([current, b], ignore_index=True)


def replay_entries(past: pd.DataFrame) -> pd.DataFrame:
    """Past forecasts as ledger entries, with a ``blend`` row per as-of date whose weights
    come from the *other* past periods only (leave one period out, so no peeking)."""
    if past.empty:
        return past
    out = [past]
    for q, rows in past.groupby("period"):
        w = weights(past[past["period"] != q], None)
        for wk, r in rows.groupby("week"):
            wq = weights(past[past["period"] != q], wk) if (past["period"] != q).any() else w
            b = blend(r.assign(unique_id=0), wq).iloc[[-1]].drop(columns="unique_id")
            out.append(b.assign(period=q, as_of=r["as_of"].iloc[0], week=wk,
                                actual=r["actual"].iloc[0]))
    return pd.concat(out, ignore_index=True)


@dataclass(frozen=True)
class Outlook:
    """Everything the forecast report shows for one period (see :func:`outlook`)."""

    period: str
    as_of: pd.Timestamp
    level: float
    history: pd.DataFrame          # unique_id, ds, y (overall series)
    forecast: pd.DataFrame         # step forecasts (forecast.forecast output)
    backtest: pd.DataFrame         # step-level backtest (forecast.backtest output)
    pipeline: PipelineForecast
    past: pd.DataFrame             # period_backtest output
    weights: pd.Series
    summary: pd.DataFrame          # source, value, lower, upper (timeseries/pipeline/blend)
    quota: float
    last_year: float
    groups: pd.DataFrame = field(default_factory=pd.DataFrame)

    @property
    def value(self) -> float:
        """The blended forecast of the period."""
        return float(self.summary.set_index("source").at["blend", "value"])

    def ledger_rows(self) -> pd.DataFrame:
        """This run's forecasts for :func:`salesops_lib.ledger.append`."""
        return self.summary.assign(period=self.period, as_of=self.as_of)[
            ["period", "source", "as_of", "value", "lower", "upper"]]


def outlook(ds, period: str | Period, *, granularity: str = "month", by: str | None = None,
            model: str = "auto", horizon: int = 3, level: float = 80, periods_back: int = 4,
            weeks=(1, 4, 7, 10, 13), seed: int = 0, n_jobs: int | None = None,
            scheduler=None) -> Outlook:
    """Time-series, pipeline and blended forecast of ``period`` as of the data's date.

    Parameters
    ----------
    ds : Dataset
    period : str or Period
        Fiscal period, e.g. ``"2026-Q4"``; the as-of date is its end or ``ds.as_of``.
    granularity : {"day", "week", "month", "quarter"}
        Bucket of the time-series model.
    by : str, optional
        Also forecast per group (``team``, ``region``...) into ``Outlook.groups``: per
        ``unique_id`` the time-series, pipeline and blended values and the group's quota.
    model : str
        Time-series model (``auto`` by default).
    horizon : int
        Steps forecast beyond the last complete bucket (at least to the period's end).

    Returns
    -------
    Outlook
    """
    p = Period.parse(period, ds.fiscal_start_month)
    as_of = min(p.end, ds.as_of)
    hist = fc_.bookings_series(ds, granularity, as_of=as_of)
    h = max(int(horizon), _steps_to(hist["ds"].max(), p.end, granularity), 1)
    kw = {"level": level, "seed": seed, "fiscal_start_month": ds.fiscal_start_month,
              "n_jobs": n_jobs, "scheduler": scheduler}
    step_fc = fc_.forecast(hist, h, model, **kw)
    bt = step_fc.attrs.get("backtest")
    if bt is None:
        bt = fc_.backtest(hist, min(h, 3), models=tuple(dict.fromkeys(("snaive", model))), **kw)
    ts = fc_.period_forecast(hist, step_fc, p, fiscal_start_month=ds.fiscal_start_month)
    pl = pipeline_forecast(ds, p, as_of, level=level)
    chosen = str(step_fc["model"].iloc[0])
    past = period_backtest(ds, p, granularity=granularity, model=chosen,
                           periods_back=periods_back, weeks=weeks, level=level, seed=seed,
                           n_jobs=n_jobs, scheduler=scheduler)
    week = int((as_of - p.start).days // 7 + 1)
    w = weights(past, week)
    cur = pd.DataFrame({"unique_id": "total", "source": ["timeseries", "pipeline"],
                        "value": [ts["value"].iloc[0], pl.value],
                        "lower": [ts["lower"].iloc[0], pl.lower],
                        "upper": [ts["upper"].iloc[0], pl.upper]})
    summary = blend(cur, w).drop(columns="unique_id")
    actuals = fc_.period_actuals(ds, p.kind, as_of=as_of).set_index("period")["actual"]
    q = fc_.quota(ds, p)
    groups = pd.DataFrame()
    if by:
        groups = _by_group(ds, p, as_of, by, granularity, h, chosen, w, kw)
    return Outlook(p.label, pd.Timestamp(as_of), float(level), hist, step_fc, bt, pl, past, w,
                   summary, float(q["quota"].sum()) if len(q) else float("nan"),
                   float(actuals.get(p.last_year().label, float("nan"))), groups)


def _by_group(ds, p, as_of, by, granularity, h, model, w, kw) -> pd.DataFrame:
    """Per group: time-series and pipeline forecasts of the period, blended, with quota."""
    hist = fc_.bookings_series(ds, granularity, by, as_of=as_of)
    step = fc_.forecast(hist, h, model, **kw)
    ts = fc_.period_forecast(hist, step, p, fiscal_start_month=ds.fiscal_start_month)
    pl = pipeline_forecast(ds, p, as_of, by=by, level=kw["level"]).summary
    cur = pd.concat([ts.assign(source="timeseries")[["unique_id", "source", "value", "lower",
                                                       "upper"]],
                     pl.assign(source="pipeline")[["unique_id", "source", "value", "lower",
                                                     "upper"]]], ignore_index=True)
    b = blend(cur, w)
    wide = b.pivot(index="unique_id", columns="source", values="value")
    out = b[b["source"] == "blend"].set_index("unique_id")[["value", "lower", "upper"]]
    out["timeseries"] = wide.get("timeseries")
    out["pipeline"] = wide.get("pipeline")
    out["quota"] = fc_.quota(ds, p, by).set_index("unique_id")["quota"].reindex(out.index)
    out["attainment"] = out["value"] / out["quota"]
    return out.reset_index().sort_values("value", ascending=False).reset_index(drop=True)


# --------------------------------------------------------------------------------------------
# what the report shows
# --------------------------------------------------------------------------------------------
def headline(ol: Outlook) -> list[tuple[str, str, str | None]]:
    """Key numbers for :func:`salesops_lib.viz.kpis`: the blend and its interval, vs quota
    and last year, then the two sources."""
    s = ol.summary.set_index("source")
    b = s.loc["blend"]
    items = [(f"{ol.period} forecast", viz.money(b["value"]),
              f"{ol.level:g}% range {viz.money(b['lower'])} – {viz.money(b['upper'])}")]
    if np.isfinite(ol.quota):
        items.append(("vs quota", viz.pct(b["value"] / ol.quota),
                      f"quota {viz.money(ol.quota)}"))
    if np.isfinite(ol.last_year) and ol.last_year > 0:
        items.append(("vs last year", viz.signed_pct(b["value"] / ol.last_year - 1),
                      f"last year {viz.money(ol.last_year)}"))
    for src, label in (("timeseries", "time-series model"), ("pipeline", "pipeline")):
        items.append((label, viz.money(s.at[src, "value"]),
                      f"weight {viz.pct(ol.weights.get(src, np.nan))}"))
    return items


def track_record(ds, ol: Outlook, recorded: pd.DataFrame | None = None) -> pd.DataFrame:
    """Accuracy of past forecasts by source and week of the period.

    Uses the ledger's ``recorded`` forecasts of periods that have ended plus the replayed
    past periods of ``ol.past`` (with leave-one-period-out blends, :func:`replay_entries`),
    so the chart has history from the first run on. Returns :func:`ledger.summary` output.
    """
    from . import ledger

    cols = ["period", "source", "as_of", "value", "lower", "upper"]
    entries = replay_entries(ol.past)[cols] if len(ol.past) else pd.DataFrame(columns=cols)
    if recorded is not None and len(recorded):
        entries = pd.concat([entries, recorded[cols]], ignore_index=True)
    acc = ledger.accuracy(entries, fc_.period_actuals(ds, Period.parse(ol.period).kind),
                          fiscal_start_month=ds.fiscal_start_month, as_of=ol.as_of)
    return ledger.summary(acc)


def accuracy_table(ol: Outlook) -> pd.DataFrame:
    """Backtest table for display: per model, mean WAPE, MASE, bias, coverage and FVA over
    series, with the model ``auto`` chose marked."""
    bt = ol.backtest
    t = bt.groupby("model", sort=False)[["wape", "mase", "bias", "coverage", "fva"]].mean()
    chosen = bt.loc[bt["model"] == "auto", "chosen"]
    names = {"auto": f"auto (→ {', '.join(sorted(set(chosen)))})",
             "top2": "mean of the 2 best", "snaive": "seasonal naive (baseline)",
             "ets": "ETS (baseline)", "theta": "Theta (baseline)",
             "ensemble": "ensemble (ETS, Theta, Prophet)", "prophet": "Prophet for sales"}
    t.index = [names.get(m, m) for m in t.index]
    return t.rename_axis("model").reset_index()
