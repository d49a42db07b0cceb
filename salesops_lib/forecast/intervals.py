"""Calibrated intervals: conformal scaling of step intervals and of period totals.

A model's own interval is a claim; a rolling-origin backtest shows how often it held. Both
corrections here are split-conformal (Vovk et al. 2005; Angelopoulos & Bates 2021) on
*out-of-sample* errors of the procedure itself (the nested ``auto`` points of
:mod:`salesops_lib.forecast`, every window's model chosen on data before it):

**Steps.** For each held-out point the ratio of the error to the interval's half-width on
its side, :math:`r = |y-\\hat y| / (\\hat y_{upper}-\\hat y)` if :math:`y \\ge \\hat y`, else
:math:`|y-\\hat y| / (\\hat y - \\hat y_{lower})`; the factor ``c`` is the ``L``-quantile of
the ``n`` ratios (linear interpolation between order statistics, ``L`` the level) and every
half-width is multiplied by ``c``. The split-conformal rank :math:`\\lceil (n+1)L \\rceil`
guarantees *at least* ``L`` but with the few windows a sales series has (6 totals) it is
the largest ratio, and the ranges cover 85–100%; the plain quantile aims at ``L`` itself,
which is what "an 80% range" promises.

**Period totals.** Step errors of one origin are correlated (a random walk's three-step total
has variance :math:`14\\sigma^2`, not the :math:`6\\sigma^2` that adding the steps in
quadrature assumes), so the total's interval is built from the *joint* behaviour of the steps:
for the steps ``S`` of the forecast that fall in the period, each past window gives the
total error :math:`E = \\sum_{j\\in S}(y_j-\\hat y_j)` and the linear sum of its half-widths
:math:`H^{\\pm} = \\sum_{j \\in S} |\\hat y_j^{\\pm}-\\hat y_j|`; the factor is the conformal
quantile of :math:`|E|/H^{\\pm}` and the interval
:math:`[A + \\hat F - q H^-, A + \\hat F + q H^+]`. With fewer than ``min_windows`` windows for
a series the ratios of all series in the call are pooled; with none, ``q = 1``: the steps'
half-widths added linearly, the bound for perfectly correlated steps. The ``interval``
column says which was used.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..periods import Period

#: Fewest ratios a conformal factor is computed from (fewer: fall back, see module doc).
MIN_WINDOWS = 4


def ratios(y, yhat, lower, upper) -> np.ndarray:
    """Error over the half-width on the error's side (see module docstring); 0 for an exact
    hit, ``inf`` for a miss by a zero-width interval."""
    y, yhat = np.asarray(y, float), np.asarray(yhat, float)
    e = y - yhat
    hw = np.where(e >= 0, np.asarray(upper, float) - yhat, yhat - np.asarray(lower, float))
    with np.errstate(divide="ignore", invalid="ignore"):
        r = np.abs(e) / hw
    return np.where(np.abs(e) == 0, 0.0, np.where(hw > 0, r, np.inf))


def conformal_factor(r, level: float, min_n: int = MIN_WINDOWS) -> float:
    """The ``level``% quantile of the ratios ``r`` (linear interpolation); NaN when there are
    fewer than ``min_n`` ratios or the quantile is infinite (a zero-width interval missed)."""
    r = np.sort(np.asarray(r, float)[~np.isnan(np.asarray(r, float))])
    if len(r) < min_n:
        return float("nan")
    q = float(np.quantile(r, level / 100, method="linear")) if np.isfinite(r).all() else \
        float(np.quantile(r, level / 100, method="higher"))
    return q if np.isfinite(q) else float("nan")


def scale_bounds(fc: pd.DataFrame, factor) -> pd.DataFrame:
    """``fc`` with each half-width multiplied by ``factor`` (a scalar or per-row array);
    lower bounds kept at or above 0 where the forecast is non-negative."""
    out = fc.copy()
    f = np.asarray(factor, float)
    lo = out["yhat"] - f * (out["yhat"] - out["yhat_lower"])
    hi = out["yhat"] + f * (out["yhat_upper"] - out["yhat"])
    out["yhat_lower"] = np.where(out["yhat"] >= 0, np.maximum(lo, 0.0), lo)
    out["yhat_upper"] = hi
    return out


def _total_ratios(points: pd.DataFrame, steps: set[int]) -> pd.DataFrame:
    """Per series × window: |total error| over the linear sum of half-widths, for ``steps``."""
    p = points[points["step"].isin(steps)]
    full = p.groupby(["unique_id", "cutoff"])["step"].transform("size") == len(steps)
    p = p[full]
    g = p.assign(_lo=p["yhat"] - p["yhat_lower"], _hi=p["yhat_upper"] - p["yhat"]).groupby(
        ["unique_id", "cutoff"])
    t = g[["y", "yhat", "_lo", "_hi"]].sum()
    t["r"] = ratios(t["y"], t["yhat"], t["yhat"] - t["_lo"], t["yhat"] + t["_hi"])
    return t.reset_index()


def period_forecast(series: pd.DataFrame, fc: pd.DataFrame, period: str | Period, *,
                    level: float = 80, fiscal_start_month: int = 1,
                    points: pd.DataFrame | None = None,
                    min_windows: int = MIN_WINDOWS) -> pd.DataFrame:
    """Total for a fiscal period: actual steps already in ``series`` + forecast steps.

    Parameters
    ----------
    series, fc : DataFrame
        History (``unique_id``, ``ds``, ``y``) and step forecast (``unique_id``, ``ds``,
        ``yhat``, ``yhat_lower``, ``yhat_upper``, ``model``).
    points : DataFrame, optional
        Out-of-sample backtest points of the same procedure (``unique_id``, ``cutoff``,
        ``step``, ``y``, ``yhat``, ``yhat_lower``, ``yhat_upper``; :class:`ForecastRun`'s
        ``points``): the period total's interval is then calibrated on past windows' totals
        (module docstring). Without, the steps' half-widths are added linearly.

    Returns
    -------
    DataFrame
        ``unique_id``, ``period``, ``actual_to_date``, ``forecast_rest``, ``value``,
        ``lower``, ``upper``, ``model``, ``interval`` (how the range was set: ``calibrated``
        on the series' own past windows, ``pooled`` over the call's series, or ``steps added``),
        ``n_windows`` (past windows behind it), ``factor`` (``q``).
    """
    p = Period.parse(period, fiscal_start_month)
    act = series[p.contains(series["ds"])].groupby("unique_id")["y"].sum()
    fc = fc.sort_values(["unique_id", "ds"]).assign(
        step=lambda f: f.groupby("unique_id").cumcount() + 1)
    f = fc[p.contains(fc["ds"]) & ~fc.set_index(["unique_id", "ds"]).index.isin(
        series.set_index(["unique_id", "ds"]).index)]
    g = f.assign(lo=f["yhat"] - f["yhat_lower"], hi=f["yhat_upper"] - f["yhat"])
    g = g.groupby("unique_id").agg(forecast_rest=("yhat", "sum"), lo=("lo", "sum"),
                                   hi=("hi", "sum"), model=("model", "first"))
    ids = sorted(set(series["unique_id"]) | set(fc["unique_id"]))
    out = pd.DataFrame(index=pd.Index(ids, name="unique_id"))
    out["period"] = p.label
    out["actual_to_date"] = act.reindex(out.index).fillna(0.0)
    out["forecast_rest"] = g["forecast_rest"].reindex(out.index).fillna(0.0)
    out["value"] = out["actual_to_date"] + out["forecast_rest"]
    out["factor"], out["interval"], out["n_windows"] = 1.0, "steps added", 0
    if points is not None and len(points) and len(f):
        steps = f.groupby("unique_id")["step"].apply(lambda s: frozenset(s.tolist()))
        by_steps = {st: _total_ratios(points[points["unique_id"].isin(steps.index[steps == st])],
                                      set(st)) for st in set(steps)}
        for uid, st in steps.items():
            t = by_steps[st]
            own = t.loc[t["unique_id"] == uid, "r"]
            q = conformal_factor(own, level, min_windows)
            how, n = "calibrated", len(own)
            if np.isnan(q):
                q, how, n = conformal_factor(t["r"], level, min_windows), "pooled", len(t)
            if not np.isnan(q):
                out.loc[uid, ["factor", "interval", "n_windows"]] = [q, how, n]
    lo = g["lo"].reindex(out.index).fillna(0.0) * out["factor"]
    hi = g["hi"].reindex(out.index).fillna(0.0) * out["factor"]
    out["lower"] = np.maximum(out["value"] - lo, out["actual_to_date"])
    out["upper"] = out["value"] + hi
    out["model"] = g["model"].reindex(out.index)
    cols = ["period", "actual_to_date", "forecast_rest", "value", "lower", "upper", "model",
            "interval", "n_windows", "factor"]
    return out[cols].reset_index()
