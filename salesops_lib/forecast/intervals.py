"""Calibrated intervals: conformal scaling of step intervals and of period totals.

A model's own interval is a claim; a rolling-origin backtest shows how often it held. Both
corrections here are split-conformal (Vovk et al. 2005; Angelopoulos & Bates 2021) on
*out-of-sample* errors of the procedure itself (the nested ``auto`` points of
:mod:`salesops_lib.forecast`, every window's model chosen on data before it):

**Steps.** For each held-out point the ratio of the error to the interval's half-width on
its side, :math:`r = |y-\\hat y| / (\\hat y_{upper}-\\hat y)` if :math:`y \\ge \\hat y`, else
:math:`|y-\\hat y| / (\\hat y - \\hat y_{lower})` (the model's own half-width is the scale
normaliser: it follows the series' level and grows with the step); every half-width of step
``j`` is multiplied by the factor :math:`c_j` learned from the ratios of step ``j``
(:func:`step_factors`; pooled over steps while a step has fewer than ``min_n``).

**Which quantile.** With ``n`` exchangeable ratios the chance that a new one falls at or below
the ``k``-th smallest is :math:`k/(n+1)`. So the factor is the order statistic at position
:math:`L(n+1)` (``L`` the level; linear interpolation between neighbours, numpy's
``weibull`` rule): a new point is covered with probability ``L`` *on average* — neither the
split-conformal rank :math:`\\lceil (n+1)L \\rceil` (at least ``L``: with 6 windows the
largest ratio, 86%), nor the plain sample quantile at position :math:`L(n-1)+1`, which
undercovers with few windows (with 6 windows 71%: the 60–73% measured before this rule).

**Which errors.** A step's factor is learned from the ratios of the latest season of
origins only (:func:`recent_origins`: 12 monthly, 52 weekly, at least 12), not from the whole
record. Ratios are exchangeable only locally: the model's own half-width and its errors
drift apart as the training window grows and the series changes, so old ratios calibrate
today's interval to yesterday's behaviour. On the weekly Peyton Manning views, calibrating
on every earlier origin covered 90% of held-out weeks (86% with the adaptive level below);
on the last season of origins, 81%. One whole season keeps every position of the cycle in
the calibration set, so a strong quarter-end is never calibrated on quiet months alone.

**Period totals.** Step errors of one origin are correlated (a random walk's three-step total
has variance :math:`14\\sigma^2`, not the :math:`6\\sigma^2` that adding the steps in
quadrature assumes), so the total's interval is built from the *joint* behaviour of the steps:
for the steps ``S`` of the forecast that fall in the period, each past window (rolling
origins one step apart: a quarter's total is judged at every month) gives the total error
:math:`E = \\sum_{j\\in S}(y_j-\\hat y_j)` and the linear sum of its half-widths
:math:`H^{\\pm} = \\sum_{j \\in S} |\\hat y_j^{\\pm}-\\hat y_j|`; the factor is the conformal
quantile of :math:`|E|/H^{\\pm}` and the interval
:math:`[A + \\hat F - q H^-, A + \\hat F + q H^+]`. With fewer than ``min_windows`` windows for
a series the ratios of all series in the call are pooled; with none, ``q = 1``: the steps'
half-widths added linearly, the bound for perfectly correlated steps. The ``interval``
column says which was used. :func:`total_replay` judges this out of sample: at each past
origin the factor comes from the windows that had ended by then only.

:func:`binomial_interval` gives the Clopper–Pearson interval of an achieved coverage: with 10
held-out totals, 60% covered is consistent with 80% (interval 26–88%). Totals judged at
origins one step apart overlap, so :func:`coverage_summary` counts them as ``n / overlap``
cases: 24 quarter totals judged a month apart are worth about 8 independent ones.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..periods import Period

#: Fewest ratios a conformal factor is computed from (fewer: fall back, see module doc).
MIN_WINDOWS = 4
#: Fewest latest origins a step factor is learned from (see *Which errors*, module doc).
MIN_RECENT = 12
#: Step size γ of the adaptive level (:func:`adaptive_level`); 0 turns it off.
ACI_GAMMA = 0.02
#: Bounds of an adaptive level, in percent.
LEVEL_RANGE = (50.0, 98.0)


def recent_origins(season: int) -> int:
    """How many of the latest rolling origins a step's conformal factor is learned from: one
    season of them (12 months, 52 weeks), at least :data:`MIN_RECENT` (see *Which errors*)."""
    return max(int(season), MIN_RECENT)


def adaptive_level(covered, level: float, gamma: float | None = None) -> float:
    """The level the next interval is calibrated at after the judged intervals ``covered``
    (1 inside, 0 outside, NaN not judged): adaptive conformal inference (Gibbs & Candès 2021,
    *Adaptive conformal inference under distribution shift*),
    :math:`L' = L + \\gamma \\sum_i (L - c_i)`, in percent, clipped to :data:`LEVEL_RANGE`.

    Ratios of a time series are not exchangeable: errors grow after a break, or shrink as
    the training window lengthens. A miss raises the level by :math:`\\gamma L` (1.6 points
    at 80%, γ = 0.02), a hit lowers it by :math:`\\gamma (1-L)` (0.4 points), so a record
    that keeps missing widens the next range and one that always holds narrows it, until
    about ``L`` of the record is covered."""
    gamma = ACI_GAMMA if gamma is None else gamma
    c = np.asarray(covered, float)
    c = c[~np.isnan(c)]
    L = level / 100
    return float(np.clip(100 * (L + gamma * float(np.sum(L - c))), *LEVEL_RANGE))


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
    """The order statistic of the ratios ``r`` at position :math:`L(n+1)` (``L`` = ``level``
    /100; interpolated linearly, capped at the largest; see *Which quantile* above); NaN when
    there are fewer than ``min_n`` ratios or the quantile is infinite (a zero-width interval
    missed)."""
    r = np.sort(np.asarray(r, float)[~np.isnan(np.asarray(r, float))])
    if len(r) < min_n:
        return float("nan")
    pos = min(level / 100 * (len(r) + 1), len(r)) - 1          # 0-based position
    lo = int(np.floor(pos))
    hi = min(lo + 1, len(r) - 1)
    if not np.isfinite(r[hi]):
        return float(r[lo]) if pos == lo and np.isfinite(r[lo]) else float("nan")
    return float(r[lo] + (pos - lo) * (r[hi] - r[lo]))


def step_factors(points: pd.DataFrame, level: float, min_n: int = MIN_WINDOWS,
                 lower: str = "yhat_lower", upper: str = "yhat_upper") -> pd.Series:
    """Conformal factor per step (index ``step``, plus ``0`` for the pooled factor) from the
    points' ratios (:func:`ratios` of ``y``, ``yhat``, ``lower``, ``upper``): a step with fewer
    than ``min_n`` points takes the pooled factor; NaN where even that is missing."""
    if points is None or not len(points):
        return pd.Series({0: np.nan}, dtype=float)
    r = pd.Series(ratios(points["y"], points["yhat"], points[lower], points[upper]),
                  index=points.index)
    pooled = conformal_factor(r, level, min_n)
    out = {0: pooled}
    for j, rj in r.groupby(points["step"]):
        f = conformal_factor(rj, level, min_n)
        out[int(j)] = pooled if np.isnan(f) else f
    return pd.Series(out, dtype=float)


def factor_of_steps(factors: pd.Series, steps) -> np.ndarray:
    """The factor of each step in ``steps`` (pooled for steps not seen; 1 when none)."""
    pooled = factors.get(0, np.nan)
    f = np.array([factors.get(int(j), pooled) for j in steps], float)
    return np.where(np.isnan(f), 1.0, f)


def binomial_interval(k: float, n: float, conf: float = 0.95) -> tuple[float, float]:
    """Clopper–Pearson ``conf`` interval of a share ``k / n`` (``(nan, nan)`` when n = 0);
    ``k`` and ``n`` may be fractional: an effective count (:func:`coverage_summary`)."""
    from scipy.stats import beta

    if n <= 0:
        return float("nan"), float("nan")
    a = (1 - conf) / 2
    lo = 0.0 if k <= 0 else float(beta.ppf(a, k, n - k + 1))
    hi = 1.0 if k >= n else float(beta.ppf(1 - a, k + 1, n - k))
    return lo, hi


def coverage_summary(covered, conf: float = 0.95, overlap: float = 1) -> dict:
    """``coverage`` (share of the judged cases inside their interval; NaN: not judged), ``n``,
    and its ``conf`` interval ``cov_low``–``cov_high``: Clopper–Pearson at the same share on
    ``n_eff`` = ``n / overlap`` cases (at least 1).

    ``overlap`` is how many consecutive cases share one outcome's surprises. Totals of ``q``
    periods judged at origins one period apart share ``q − 1`` periods with the next window,
    so ``q`` of them carry about one window's information; counting them as independent
    gives an interval far narrower than the truth. 1: independent cases.
    """
    c = np.asarray(pd.Series(covered).dropna(), bool)
    n_eff = max(len(c) / max(float(overlap), 1.0), 1.0) if len(c) else 0.0
    share = float(c.mean()) if len(c) else float("nan")
    lo, hi = binomial_interval(share * n_eff if len(c) else 0, n_eff, conf)
    return {"coverage": share, "n": len(c), "n_eff": n_eff, "cov_low": lo, "cov_high": hi}


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


def _total_ratios(points: pd.DataFrame, steps: set[int], lower: str = "yhat_lower",
                  upper: str = "yhat_upper") -> pd.DataFrame:
    """Per series × window: |total error| over the linear sum of half-widths, for ``steps``
    (``end`` = the window's last date of those steps); measured against the nested bounds,
    only windows whose steps were calibrated at their origin."""
    p = points[points["step"].isin(steps)]
    if "calibrated" in p.columns and lower.startswith("nested"):
        # a window whose steps were not calibrated yet is measured against another scale
        p = p[p["calibrated"].astype(bool)]
    full = p.groupby(["unique_id", "cutoff"])["step"].transform("size") == len(steps)
    p = p[full]
    g = p.assign(_lo=p["yhat"] - p[lower], _hi=p[upper] - p["yhat"],
                 _end=p["ds"] if "ds" in p else p["cutoff"]).groupby(
        ["unique_id", "cutoff"])
    t = g[["y", "yhat", "_lo", "_hi"]].sum()
    t["end"] = g["_end"].max()
    t["r"] = ratios(t["y"], t["yhat"], t["yhat"] - t["_lo"], t["yhat"] + t["_hi"])
    return t.reset_index()


def _normaliser(points: pd.DataFrame) -> tuple[str, str]:
    """The bounds a window's total error is measured against: the calibrated step bounds as
    they were at its origin (``nested_lower``/``nested_upper`` of the nested points) when
    present, else ``yhat_lower``/``yhat_upper``."""
    return (("nested_lower", "nested_upper") if "nested_lower" in points.columns
            else ("yhat_lower", "yhat_upper"))


def _pooled_gamma(t: pd.DataFrame, gamma: float | None, same_series: bool = False) -> float:
    """γ per judged window when ``t`` pools several series: the series' windows of one origin
    are judged at one level and come in together, so each counts ``1/m`` (``m`` series) —
    the level moves by γ per origin, as for one series, not by ``m`` γ."""
    gamma = ACI_GAMMA if gamma is None else gamma
    m = 1 if same_series or not len(t) else t["unique_id"].nunique()
    return gamma / max(m, 1)


def _judge_totals(t: pd.DataFrame, level: float, min_windows: int, gamma: float | None,
                  same_series: bool = False) -> pd.DataFrame:
    """Walk the windows ``t`` (:func:`_total_ratios`) in origin order: each window's factor
    from the ratios of the windows ended by its origin (all series, or ``same_series``) at
    the adaptive level of the windows judged by then (:func:`adaptive_level`; judged = with
    a factor of its own, at least ``min_windows`` behind it); ``q = 1`` with fewer."""
    t = t.sort_values(["cutoff", "unique_id"]).reset_index(drop=True)
    gamma = _pooled_gamma(t, gamma, same_series)
    end, r_all = t["end"].to_numpy(), t["r"].to_numpy(float)
    uid = t["unique_id"].to_numpy()
    covered, q_all, n_all, lev_all = (np.full(len(t), np.nan), np.ones(len(t)),
                                      np.zeros(len(t), int), np.full(len(t), float(level)))
    cut, y, yhat = t["cutoff"].to_numpy(), t["y"].to_numpy(float), t["yhat"].to_numpy(float)
    lo_w, hi_w = t["_lo"].to_numpy(float), t["_hi"].to_numpy(float)
    lower = np.empty(len(t))
    for i in range(len(t)):
        before = end <= cut[i]
        before[i] = False                    # never its own window (points without dates)
        if same_series:
            before &= uid == uid[i]
        lev = adaptive_level(covered[before], level, gamma)
        q = conformal_factor(r_all[before], lev, min_windows)
        judged = not np.isnan(q)
        q = q if judged else 1.0
        q_all[i], n_all[i], lev_all[i] = q, before.sum(), lev
        lower[i] = max(yhat[i] - q * lo_w[i], 0.0) if yhat[i] >= 0 else yhat[i] - q * lo_w[i]
        if judged:
            covered[i] = float(lower[i] <= y[i] <= yhat[i] + q * hi_w[i])
    return t.assign(factor=q_all, n_windows=n_all, level=lev_all, judged=covered,
                    lower=lower, upper=yhat + q_all * hi_w)


def total_replay(points: pd.DataFrame, steps, level: float = 80,
                 min_windows: int = MIN_WINDOWS, pool: bool = True,
                 gamma: float | None = None) -> pd.DataFrame:
    """The period-total interval judged out of sample at every past origin.

    For each series and origin ``c``: the total of ``steps`` forecast then (``value``), its
    interval with the factor of the windows that had *ended* by ``c`` — of every series in
    ``points`` (``pool``, the default; the ratios are scale-free) or of the same series
    only — (the steps' calibrated bounds of each window's own origin as normaliser,
    :func:`_normaliser`; ``q = 1`` with fewer than ``min_windows``), at the adaptive level
    (``level`` column, :func:`adaptive_level` with step ``gamma``) of the totals judged by
    then, the actual total ``y``, ``covered``, ``n_windows``, ``steps`` (how many steps the
    total adds: consecutive origins' windows overlap by all but one of them).
    """
    lo_c, hi_c = _normaliser(points)
    t = _judge_totals(_total_ratios(points, set(steps), lo_c, hi_c), level, min_windows,
                      gamma, same_series=not pool).sort_values(["unique_id", "cutoff"])
    out = t.rename(columns={"yhat": "value"})[
        ["unique_id", "cutoff", "value", "lower", "upper", "y", "factor", "n_windows", "level"]
    ].reset_index(drop=True)
    out["covered"] = (out["lower"] <= out["y"]) & (out["y"] <= out["upper"])
    out["steps"] = len(set(steps))
    return out


def period_forecast(series: pd.DataFrame, fc: pd.DataFrame, period: str | Period, *,
                    level: float = 80, fiscal_start_month: int = 1,
                    points: pd.DataFrame | None = None,
                    min_windows: int = MIN_WINDOWS,
                    gamma: float | None = None) -> pd.DataFrame:
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
        (module docstring), at the adaptive level (:func:`adaptive_level`, step ``gamma``)
        that the same rule's record on those windows earned. Without, the steps'
        half-widths are added linearly.

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
        lo_c, hi_c = _normaliser(points)
        by_steps = {st: _judge_totals(_total_ratios(
            points[points["unique_id"].isin(steps.index[steps == st])], set(st), lo_c, hi_c),
            level, min_windows, gamma) for st in set(steps)}
        for uid, st in steps.items():
            # every series' windows of the same steps (scale-free ratios, pooled)
            t = by_steps[st]
            lev = adaptive_level(t["judged"], level, _pooled_gamma(t, gamma))   # its record's
            q = conformal_factor(t["r"], lev, min_windows)
            how = "calibrated" if t["unique_id"].nunique() <= 1 else "pooled"
            if not np.isnan(q):
                out.loc[uid, ["factor", "interval", "n_windows"]] = [q, how, len(t)]
    lo = g["lo"].reindex(out.index).fillna(0.0) * out["factor"]
    hi = g["hi"].reindex(out.index).fillna(0.0) * out["factor"]
    out["lower"] = np.maximum(out["value"] - lo, out["actual_to_date"])
    out["upper"] = out["value"] + hi
    out["model"] = g["model"].reindex(out.index)
    cols = ["period", "actual_to_date", "forecast_rest", "value", "lower", "upper", "model",
            "interval", "n_windows", "factor"]
    return out[cols].reset_index()
