"""The period's number: time-series and pipeline forecasts, backtested and blended.

:func:`outlook` is what the forecast report calls: it builds the bookings series, forecasts
them (:mod:`salesops_lib.forecast`), forecasts the period from the pipeline
(:mod:`salesops_lib.forecast.pipeline_model`), replays both on past periods at the same weeks of the
quarter (:func:`period_backtest`) and blends them with weights from that replay:

.. math::

    w_s = \\frac{1/\\mathrm{WAPE}_s^2}{\\sum_r 1/\\mathrm{WAPE}_r^2}, \\qquad
    \\hat F = \\sum_s w_s \\hat F_s

(inverse squared error, as Bates and Granger). Nothing in a replay looks ahead: the
time-series model of a replayed moment is ``auto``'s own choice on the data before it, the
pipeline's correlations come from the periods before it, and a replayed blend's weights from
the periods before it (:func:`replay_entries`).

**The blend's interval** comes from the blend's own track record: the relative errors
:math:`r = |A - \\hat F| / \\hat F` of the replayed blends made near the same week of the
period give the conformal factor ``q`` (:func:`salesops_lib.forecast.intervals.conformal_factor`)
and the range :math:`[\\hat F(1-q), \\hat F(1+q)]`. Without enough track record the range is
the envelope of the two sources' ranges (it holds both estimates); the ``interval`` column
says which.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ..measures import state_as_of
from ..periods import Period
from . import timeseries as fc_
from .intervals import conformal_factor, coverage_summary, ratios, total_replay
from .pipeline_model import (
    PipelineForecast,
    correlation,
    pipeline_forecast,
    replay_points,
    scaled_weeks,
    week_scale,
    with_correlation,
)
from .series import MIN_HISTORY, NotForecastable, forecast_date, not_forecastable

SOURCES = ("timeseries", "pipeline", "blend")
#: Columns of :func:`period_backtest` (and of :func:`replay_entries`).
PAST_COLUMNS = ["period", "source", "as_of", "week", "value", "lower", "upper", "actual",
                "covered", "model", "interval"]


def _steps_to(last: pd.Timestamp, end: pd.Timestamp, granularity: str) -> int:
    """Steps after bucket ``last`` needed to cover the day ``end``."""
    freq = fc_.GRANULARITY[granularity]
    start = fc_.bucket_start(pd.Series([end]), granularity).iloc[0]
    n, cur = 0, pd.Timestamp(last)
    while cur < start:
        cur = cur + fc_._models.STEP[freq]
        n += 1
    return n


def with_history(ds, plan, granularity: str):
    """The replay points of ``plan`` (``(period, week, as_of)``) with at least
    :data:`MIN_HISTORY` complete buckets of bookings known on their as-of date, and each
    kept point's last complete bucket ``{as_of: ds}``. Points before the data's history
    (no bookings yet, or too few buckets of them) are dropped."""
    need = MIN_HISTORY.get(granularity, 2)
    kept, last = [], {}
    for q, w, a in plan:
        s = fc_.bookings_series(ds, granularity, as_of=a)
        if s["ds"].nunique() >= need:
            kept.append((q, w, a))
            last[a] = s["ds"].max()
    return kept, last


def replay_blend(ds, p: Period, *, granularity, model, periods_back, weeks, level, seed, n_jobs,
            scheduler, plan=None, corr=None, pipe_factor=None):
    """Replayed past forecasts (frame as :func:`period_backtest`) and the deal-level points
    of the pipeline replays (:func:`~salesops_lib.forecast.pipeline_model.calibration_points`).
    ``plan`` overrides the replayed ``(period, week, as_of)`` points and ``corr`` the
    pipeline correlations (for the weeks of a period in progress)."""
    plan = replay_points(ds, p, periods_back, weeks) if plan is None else plan
    plan, last_complete = with_history(ds, plan, granularity)
    if not plan:
        return pd.DataFrame(columns=PAST_COLUMNS), pd.DataFrame(), {}, pd.DataFrame()
    full = fc_.bookings_series(ds, granularity, as_of=ds.as_of, complete=False)
    cuts = sorted(set(last_complete.values()))
    series = pd.concat([full[full["ds"] <= c].assign(unique_id=f"{c:%Y-%m-%d}") for c in cuts],
                       ignore_index=True)
    horizon = max(_steps_to(last_complete[a], q.end, granularity) for q, _, a in plan)
    # ``model`` is the procedure (auto): every truncated series makes its own choice
    run = fc_.forecast_run(series, max(horizon, 1), model, level=level, seed=seed,
                           fiscal_start_month=ds.fiscal_start_month, n_jobs=n_jobs,
                           scheduler=scheduler)
    actual = fc_.period_actuals(ds, p.kind).set_index("period")["actual"]
    now = state_as_of(ds, ds.as_of).set_index("opportunity_id")
    rows, pls, cal = [], [], []
    for q, w, a in plan:
        uid = f"{last_complete[a]:%Y-%m-%d}"
        ts = fc_.period_forecast(series[series["unique_id"] == uid],
                                 run.forecast[run.forecast["unique_id"] == uid], q, level=level,
                                 fiscal_start_month=ds.fiscal_start_month,
                                 points=run.points[run.points["unique_id"] == uid]).iloc[0]
        pl = pipeline_forecast(ds, q, a, level=level, correlation=None)
        st = now.reindex(pl.deals["opportunity_id"])
        won = (st["status"].eq("won") & q.contains(st["close_date"])).to_numpy(float)
        cal.append(pd.DataFrame({"period": q.label, "week": w, "team": pl.deals["team"],
                                 "amount": pl.deals["amount"],
                                 "q": pl.deals["p_win"] * pl.deals["p_time"], "outcome": won}))
        pls.append((q, w, a, pl))
        act = float(actual.get(q.label, np.nan if q.end > ds.as_of else 0.0))
        rows.append((q.label, "timeseries", a, w, ts["value"], ts["lower"], ts["upper"], act,
                     ts["model"], ts["interval"]))
    cal = pd.concat(cal, ignore_index=True)
    ends = {k: Period.parse(k, ds.fiscal_start_month).end for k in cal["period"].unique()}
    fixed, plans, raw = corr, {}, []
    for q, w, a, pl in pls:
        # the deal-outcome correlations known then: from the replayed periods before q only
        earlier = cal[cal["period"].map(ends) < q.start]
        corr = correlation(earlier) if fixed is None else fixed
        pl = with_correlation(pl, corr)
        act = float(actual.get(q.label, np.nan if q.end > ds.as_of else 0.0))
        raw.append({"period": q.label, "end": q.end, "start": q.start, "value": pl.value,
                    "lower": pl.lower, "upper": pl.upper, "actual": act,
                    "closed": float(pl.summary["closed"].sum()), "pl": pl, "a": a, "w": w,
                    "corr": corr})
    raw_f = pd.DataFrame(raw)
    for r in raw:
        # the range scaled by the pipeline's own errors on the replayed periods before it
        f, n = (pipe_factor, 0) if pipe_factor is not None else pipeline_factor(
            raw_f[raw_f["end"] < r["start"]], level)
        lo = max(r["closed"], r["value"] - f * (r["value"] - r["lower"]))
        hi = r["value"] + f * (r["upper"] - r["value"])
        plans[r["a"]] = r["pl"]
        c = r["corr"]
        how = (f"deals correlated (team {c['team']:.2f}, all {c['all']:.2f})" if c["n_points"]
               else "deals independent (no earlier period)")
        how += f", range ×{f:.2f} from {n} earlier replays" if n else ""
        rows.append((r["period"], "pipeline", r["a"], r["w"], r["value"], lo, hi, r["actual"],
                     "pipeline", how))
    cols = [c for c in PAST_COLUMNS if c != "covered"]
    out = pd.DataFrame(rows, columns=cols)
    out["covered"] = (out["lower"] <= out["actual"]) & (out["actual"] <= out["upper"])
    return out[PAST_COLUMNS], cal, plans, raw_f.drop(columns=["pl", "corr"])


def pipeline_factor(raw: pd.DataFrame, level: float = 80) -> tuple[float, int]:
    """Scale of the pipeline's range from its replayed errors: the ``level``% quantile of
    |actual − value| over the half-width on the error's side (1 with fewer than four
    replays); returns ``(factor, n)``."""
    raw = raw.dropna(subset=["actual"]) if len(raw) else raw
    if len(raw) < 4:
        return 1.0, 0
    f = conformal_factor(ratios(raw["actual"], raw["value"], raw["lower"], raw["upper"]), level)
    return (1.0, 0) if np.isnan(f) else (f, len(raw))


def period_backtest(ds, period: str | Period, *, granularity: str = "month",
                    model: str = "auto", periods_back: int = 4, weeks=None,
                    level: float = 80, seed: int = 0, n_jobs: int | None = None,
                    scheduler=None) -> pd.DataFrame:
    """Replay both forecasts on the ``periods_back`` periods before ``period``.

    For each past period ``q`` (ended by ``ds.as_of``) and week ``w``, the as-of date is
    ``q.start + 7(w-1)`` days; the time-series forecast runs the ``model`` procedure on the
    buckets complete by then (``auto`` chooses again on that data, and calibrates its period
    total on its own earlier errors), and the pipeline is rebuilt as it stood then, its
    deal correlations estimated on the replayed periods before ``q``; nothing later is used.

    Returns
    -------
    DataFrame
        ``period``, ``source`` (timeseries / pipeline), ``as_of``, ``week``, ``value``,
        ``lower``, ``upper``, ``actual``, ``covered`` (actual inside the interval),
        ``model`` (the model used then), ``interval`` (how the range was set).
    """
    p = Period.parse(period, ds.fiscal_start_month)
    return replay_blend(ds, p, granularity=granularity, model=model, periods_back=periods_back,
                   weeks=replay_weeks(p) if weeks is None else weeks, level=level, seed=seed,
                   n_jobs=n_jobs, scheduler=scheduler or None)[0]


#: Weeks of a quarter at which past quarters are replayed: its start, every three weeks, its end.
QUARTER_WEEKS = (1, 4, 7, 10, 13)


def replay_weeks(p: Period) -> tuple[int, ...]:
    """The weeks of ``p`` at which its past periods are replayed: :data:`QUARTER_WEEKS`
    spread over the period's length (a year: 1, 13, 25, 37, 49; a month: 1 to 5), so a
    year or a month is judged across its whole length, not only its first thirteen weeks."""
    return scaled_weeks(p, QUARTER_WEEKS)


def weights(past: pd.DataFrame, week: int | None = None,
            near_weeks: float | None = None) -> pd.Series:
    """Blend weight per source, :math:`\\propto 1/\\mathrm{WAPE}^2` on past periods.

    With ``week``, only past forecasts made at the nearest week of the period count (the
    pipeline knows more late in a quarter than early); when that week is more than
    ``near_weeks`` away, no past forecast was made at a comparable point and the weights are
    equal (a year forecast on 1 January used to take 93% time series from replays of week
    25, when half the year was booked). Equal weights without history too, or when the past
    periods booked nothing (every WAPE undefined: the blend, and the page's headline, read
    "–" on a small export).
    """
    equal = pd.Series({"timeseries": 0.5, "pipeline": 0.5})
    past = past[past["source"].isin(("timeseries", "pipeline"))] if len(past) else past
    if past.empty:
        return equal
    rows = past
    if week is not None:
        dist = (past["week"] - week).abs()
        if near_weeks is not None and dist.min() > near_weeks:
            return equal
        near = past[dist == dist.min()]
        if near.groupby("source").size().min() >= 2:
            rows = near
    err = (rows["value"] - rows["actual"]).abs().groupby(rows["source"]).sum()
    wape = err / rows["actual"].abs().groupby(rows["source"]).sum()
    if not np.isfinite(wape.to_numpy(float)).all():
        return equal
    inv = 1.0 / np.maximum(wape, 1e-6) ** 2
    return inv / inv.sum()


#: Past periods whose replayed blends a range may be set from (fewer: the envelope).
MIN_PERIODS = 3


def blend_interval(value: float, lower: dict, upper: dict, track: pd.DataFrame, week: int,
                   level: float = 80, near_weeks: float = 3,
                   floor: float = 0.0) -> tuple[float, float, str]:
    """The blend's ``level``% range from its own replayed errors (module docstring).

    ``track`` holds past blend rows (``week``, ``value``, ``actual``, ``period``); those within
    ``near_weeks`` weeks of ``week`` count when there are at least four, else all, and only
    when they come from at least :data:`MIN_PERIODS` periods (the public Maven export's
    2017-Q4 range was set from 7 replays of 2 quarters, and was narrower than both sources').
    ``lower``/``upper`` map each source to its bounds (the envelope fallback). The lower
    bound is at least ``floor`` (what the period has already booked: the period cannot end
    below it). Returns ``(lower, upper, how)``.
    """
    t = track[track["value"] > 0]
    near = t[(t["week"] - week).abs() <= near_weeks]
    t = near if len(near) >= 4 else t
    r = ((t["actual"] - t["value"]).abs() / t["value"]).to_numpy()
    # replays of one period share its outcome: fewer than MIN_PERIODS periods are too few
    # surprises to set a range on, however many weeks were replayed in each
    periods = t["period"].nunique() if "period" in t.columns else MIN_PERIODS
    q = conformal_factor(r, level) if len(r) and periods >= MIN_PERIODS else float("nan")
    if np.isnan(q):
        return (max(floor, float(min(lower.values()))), float(max(upper.values())),
                "envelope of the two ranges (too little track record)")
    return (max(floor, 0.0, value * (1 - q)), value * (1 + q),
            f"from the blend's own past errors ({len(r)} replays)")


def blend(current: pd.DataFrame, w: pd.Series) -> pd.DataFrame:
    """Add a ``blend`` row: weighted sum of ``value`` per ``unique_id`` (bounds: the
    envelope of the sources'; :func:`blend_interval` sets calibrated ones).

    ``current`` has ``unique_id``, ``source``, ``value``, ``lower``, ``upper``.
    """
    c = current[current["source"].isin(w.index)]
    ww = c["source"].map(w)
    v = c["value"].mul(ww).groupby(c["unique_id"]).sum() / ww.groupby(c["unique_id"]).sum()
    b = pd.DataFrame({"value": v, "lower": c.groupby("unique_id")["lower"].min(),
                      "upper": c.groupby("unique_id")["upper"].max()})
    b = b.reset_index().assign(source="blend")
    return pd.concat([current, b], ignore_index=True)


def replay_entries(past: pd.DataFrame, level: float = 80, fiscal_start_month: int = 1):
    """Past forecasts with a ``blend`` row per replayed moment, made as it would have been:
    weights from the replayed periods *before* it (equal weights for the first), and the
    range from the earlier blends' errors (:func:`blend_interval`)."""
    if past.empty:
        return past
    past = past.assign(**{c: past.get(c, d) for c, d in
                          (("covered", (past["lower"] <= past["actual"])
                            & (past["actual"] <= past["upper"])),
                           ("model", past["source"]), ("interval", ""))})
    order = sorted(past["period"].unique(),
                   key=lambda k: Period.parse(k, fiscal_start_month).start)
    out, blends = [past], []
    for i, q in enumerate(order):
        before = past[past["period"].isin(order[:i])]
        track = pd.concat(blends, ignore_index=True) if blends else pd.DataFrame(
            columns=["week", "value", "actual"])
        new = []
        near = 3 * week_scale(Period.parse(q, fiscal_start_month))
        for wk, r in past[past["period"] == q].groupby("week"):
            wq = weights(before, wk, near)
            s = r.set_index("source")
            v = float(sum(wq[k] * s.at[k, "value"] for k in wq.index if k in s.index)
                      / sum(wq[k] for k in wq.index if k in s.index))
            lo, hi, how = blend_interval(v, s["lower"].to_dict(), s["upper"].to_dict(), track,
                                         wk, level, near_weeks=near)
            act = float(r["actual"].iloc[0])
            new.append({"period": q, "source": "blend", "as_of": r["as_of"].iloc[0],
                        "week": wk, "value": v, "lower": lo, "upper": hi, "actual": act,
                        "covered": lo <= act <= hi, "model": "blend", "interval": how})
        blends.append(pd.DataFrame(new))
        out.append(blends[-1])
    return pd.concat(out, ignore_index=True)[PAST_COLUMNS]


def coverage(past: pd.DataFrame) -> pd.DataFrame:
    """Achieved accuracy and coverage of replayed forecasts per source: ``wape``
    (Σ|value − actual| / Σ actual), ``bias`` (Σ(value − actual) / Σ actual), ``coverage``
    (share of actuals inside the range), ``n`` replayed moments, ``periods`` (how many
    distinct periods they judge), ``cov_low``/``cov_high`` (95% interval of the coverage,
    :func:`~salesops_lib.forecast.intervals.coverage_summary` on one case per period: the
    moments of one period share its actual, so they are not independent). ``wape`` and
    ``bias`` are NaN when the replayed periods booked nothing."""
    if past.empty:
        return pd.DataFrame(columns=["source", "wape", "bias", "coverage", "n", "periods",
                                     "cov_low", "cov_high"])
    g = past.assign(e=past["value"] - past["actual"]).groupby("source", sort=False)
    # undefined (not infinite) when nothing was booked in the replayed periods
    total = g["actual"].sum().where(lambda a: a > 0)
    out = pd.DataFrame({"wape": g["e"].apply(lambda e: e.abs().sum()) / total,
                        "bias": g["e"].sum() / total,
                        "coverage": g["covered"].mean(), "n": g.size(),
                        "periods": g["period"].nunique()})
    ci = [coverage_summary(c, overlap=len(c) / k) for (_, c), k
          in zip(g["covered"], out["periods"])]
    out["cov_low"], out["cov_high"] = [c["cov_low"] for c in ci], [c["cov_high"] for c in ci]
    return out.reindex([s for s in SOURCES if s in out.index]).rename_axis("source") \
        .reset_index()


@dataclass(frozen=True)
class Outlook:
    """Everything the forecast report shows for one period (see :func:`outlook`).

    ``summary`` has one row per source (timeseries, pipeline, blend): ``value``, ``lower``,
    ``upper``, ``interval`` (how the range was set). ``past`` is the replay with its blends
    (:func:`replay_entries`), ``coverage`` its per-source accuracy and achieved coverage.
    """

    period: str
    as_of: pd.Timestamp
    level: float
    history: pd.DataFrame          # unique_id, ds, y (overall series)
    forecast: pd.DataFrame         # step forecasts (forecast.forecast output)
    backtest: pd.DataFrame         # step-level backtest (forecast.backtest output)
    pipeline: PipelineForecast
    past: pd.DataFrame             # replay_entries(period_backtest ...)
    weights: pd.Series
    summary: pd.DataFrame          # source, value, lower, upper, interval
    quota: float
    last_year: float
    groups: pd.DataFrame = field(default_factory=pd.DataFrame)
    coverage: pd.DataFrame = field(default_factory=pd.DataFrame)
    reconciliation: object = None  # forecast_reconciliation.Choice: method and level scores
    by: str = ""
    settings: dict = field(default_factory=dict)   # granularity, model, seed, n_jobs, ...
    totals: pd.DataFrame = field(default_factory=pd.DataFrame)  # intervals.total_replay

    @property
    def value(self) -> float:
        """The blended forecast of the period."""
        return float(self.summary.set_index("source").at["blend", "value"])

    def ledger_rows(self) -> pd.DataFrame:
        """This run's forecasts for the forecast ledger; none for a period that was over by
        the data's date (its forecast is a replay of its first day, not one made then: the
        ledger keeps only forecasts made while a period ran)."""
        rows = self.summary.assign(period=self.period, as_of=self.as_of)[
            ["period", "source", "as_of", "value", "lower", "upper"]]
        return rows.iloc[:0] if self.settings.get("closed") else rows


def _ts_how(how: str, n: int) -> str:
    """How the time-series range was set, in words for the ranges table."""
    if how == "steps added":
        return "each step's range added up (no past window to calibrate on)"
    return f"{how} ({n} past windows)"


def outlook(ds, period: str | Period, *, granularity: str = "month", by: str | None = None,
            model: str = "auto", horizon: int = 3, level: float = 80, periods_back: int = 4,
            weeks=None, seed: int = 0, n_jobs: int | None = None,
            scheduler=None, hierarchy=None, locked: dict | None = None) -> Outlook:
    """Time-series, pipeline and blended forecast of ``period`` as of the data's date.

    Parameters
    ----------
    ds : Dataset
    period : str or Period
        Fiscal period, e.g. ``"2026-Q4"``; the as-of date is ``ds.as_of`` while the period
        runs. A period that is over (``ds.as_of`` at or after its end) is forecast as of its
        first day, with only the data known then: what the page compares with the final
        result (``settings["closed"]``; ``settings["trend_to"]`` is the last day its
        week-by-week forecast is replayed to).
    granularity : {"day", "week", "month", "quarter"}
        Bucket of the time-series model.
    by : str, optional
        Also forecast per group (``team``, ``region``...) into ``Outlook.groups``: per
        ``unique_id`` the time-series, pipeline and blended values and the group's quota,
        reconciled so the groups add up to the total (:mod:`salesops_lib.forecast.reconciliation`).
    model : str
        Time-series procedure (``auto`` by default).
    horizon : int
        Steps forecast beyond the last complete bucket (at least to the period's end).
    weeks : tuple of int, optional
        Weeks of each past period at which it is replayed; default :func:`replay_weeks`
        (1, 4, 7, 10, 13 for a quarter, spread over a year's or a month's length). The blend's
        range (:func:`blend_interval`) is never below what the period has already booked.
    scheduler : str or distributed.Client, optional
        Dask scheduler address; ``""`` or None: local processes.
    hierarchy : DataFrame, optional
        Rep → team → region mapping, optionally effective-dated (``valid_from``).
    locked : dict, optional
        ``{(level, name): value}``: submitted numbers the reconciliation keeps.

    Returns
    -------
    Outlook

    Raises
    ------
    NotForecastable
        Fewer than :data:`MIN_HISTORY` complete buckets of bookings were known on the
        forecast's date (a period at the start of the data): the message says how many.
    """
    p = Period.parse(period, ds.fiscal_start_month)
    scheduler = scheduler or None
    # a period that is over is not forecast from its end (nothing would be left to forecast):
    # it is shown as it was forecast when it began, with only the data known then
    closed = pd.Timestamp(ds.as_of) >= p.end
    as_of = forecast_date(ds, p)
    hist = fc_.bookings_series(ds, granularity, as_of=as_of)
    if (why := not_forecastable(ds, p, granularity, hist)) is not None:
        raise NotForecastable(why)
    h = max(int(horizon), _steps_to(hist["ds"].max(), p.end, granularity), 1)
    kw = {"level": level, "seed": seed, "fiscal_start_month": ds.fiscal_start_month,
          "n_jobs": n_jobs, "scheduler": scheduler}
    run = fc_.forecast_run(hist, h, model, **kw)
    bt = run.backtest
    if bt is None:
        bt = fc_.backtest(hist, min(h, 3), models=tuple(dict.fromkeys(("snaive", model))), **kw)
    ts = fc_.period_forecast(hist, run.forecast, p, level=level,
                             fiscal_start_month=ds.fiscal_start_month, points=run.points)
    # the period-total interval judged at past origins (the same steps as this period's)
    f_ds = run.forecast.sort_values("ds")["ds"].reset_index(drop=True)
    in_p = [k + 1 for k, d in enumerate(f_ds) if p.contains(pd.Series([d])).iloc[0]]
    totals = total_replay(run.points, in_p, level) if in_p and len(run.points) \
        else pd.DataFrame()
    weeks = replay_weeks(p) if weeks is None else tuple(weeks)
    past, cal, _, raw = replay_blend(ds, p, granularity=granularity, model=model, periods_back=periods_back,
                        weeks=weeks, level=level, seed=seed, n_jobs=n_jobs, scheduler=scheduler)
    corr = correlation(cal)
    pl = with_correlation(pipeline_forecast(ds, p, as_of, level=level, correlation=None), corr)
    pf, pn = pipeline_factor(raw, level)
    booked = float(pl.summary["closed"].sum())          # won in the period by the as-of date
    pl_lo = max(booked, pl.value - pf * (pl.value - pl.lower))
    pl_hi = pl.value + pf * (pl.upper - pl.value)
    week = int((as_of - p.start).days // 7 + 1)
    w = weights(past, week, 3 * week_scale(p))
    entries = replay_entries(past, level, ds.fiscal_start_month)
    value = float(w["timeseries"] * ts["value"].iloc[0] + w["pipeline"] * pl.value)
    lo, hi, how = blend_interval(
        value, {"timeseries": ts["lower"].iloc[0], "pipeline": pl_lo},
        {"timeseries": ts["upper"].iloc[0], "pipeline": pl_hi},
        entries[entries["source"] == "blend"] if len(entries) else pd.DataFrame(
            columns=["week", "value", "actual"]), week, level,
        near_weeks=3 * week_scale(p), floor=booked)
    pl_how = (f"deals correlated (team {corr['team']:.2f}, all {corr['all']:.2f})"
              if corr["n_points"] else "deals independent (no past period)")
    pl_how += f", range ×{pf:.2f} from {pn} replays" if pn else ""
    summary = pd.DataFrame({
        "source": list(SOURCES),
        "value": [ts["value"].iloc[0], pl.value, value],
        "lower": [ts["lower"].iloc[0], pl_lo, lo],
        "upper": [ts["upper"].iloc[0], pl_hi, hi],
        "interval": [_ts_how(ts["interval"].iloc[0], int(ts["n_windows"].iloc[0])), pl_how,
                     how]})
    actuals = fc_.period_actuals(ds, p.kind, as_of=as_of).set_index("period")["actual"]
    q = fc_.quota(ds, p)
    groups, choice = pd.DataFrame(), None
    if by:
        from .groups import by_group

        groups, choice = by_group(ds, p, as_of, by, granularity, h, model, w, summary, corr,
                                  kw, hierarchy=hierarchy, locked=locked)
    return Outlook(p.label, pd.Timestamp(as_of), float(level), hist, run.forecast, bt, pl,
                   entries, w, summary, float(q["quota"].sum()) if len(q) else float("nan"),
                   float(actuals.get(p.last_year().label, float("nan"))), groups,
                   coverage(entries), choice, by or "",
                   {"granularity": granularity, "model": model, "correlation": corr,
                    "pipeline_factor": pf,
                    "periods_back": periods_back, "weeks": tuple(weeks), "closed": closed,
                    "trend_to": min(p.end, pd.Timestamp(ds.as_of)), **kw}, totals)


# what the report shows lives in forecast_views; these names stay here for existing callers
from .views import accuracy_table, accuracy_view, headline, track_record  # noqa: F401
