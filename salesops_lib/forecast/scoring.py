"""Series in, metrics out: frequency inference, the canonical series frame, accuracy metrics.

The building blocks :mod:`salesops_lib.forecast` re-exports: :func:`infer_freq`, the
validation of a long ``unique_id``/``ds``/``y`` frame, the MASE scale :func:`seasonal_scale`
and :func:`score` (WAPE, MASE, bias, coverage of out-of-sample points).
"""

from __future__ import annotations

import numpy as np
import pandas as pd


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


def prepare_series(series, id_col, time_col, target_col):
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
