"""Quota fairness: does attainment follow the territory or the tenure rather than the rep?

* :func:`attainment_table`: per rep ``bookings`` (won in the period, as known on the report
  date), ``quota`` (:func:`measures.quota_for_period`), ``attainment = bookings / quota``,
  ``potential`` (Σ :func:`measures.account_potential` of owned accounts),
  ``potential_per_quota = potential / quota``, ``tenure_months`` at the period's end.
* :func:`fairness`: rank correlation of attainment with potential per quota and with tenure,
  each with a 95% interval (Fisher z on Spearman's ρ, ``se = √(1.06 / (n − 3))``, Fieller et al.
  1957); ``gini`` of attainment (0 = equal); ``share_within_20pct`` = share of reps with
  0.8 ≤ attainment ≤ 1.2; and the distribution's mean, median, sd, skewness, P10, P90 and share
  at or above quota. Two correlations are tested at once, so each interval is widened to
  97.5% (Bonferroni) before it is read as "no relation".
* :func:`backtest_methods`: each quota method's quotas for last year, set from what was known
  before it, against what reps then sold.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

from ..measures import account_potential, quota_for_period, report_date
from ..periods import Period
from .quotas import METHODS, allocate, known_before, won_bookings


def attainment_table(ds, period) -> pd.DataFrame:
    """Per rep bookings, quota, attainment, potential and tenure for ``period`` (see module)."""
    P = Period.parse(period, ds.fiscal_start_month)
    q = quota_for_period(ds, P)
    bookings = won_bookings(ds, P.start, P.end, report_date(ds, P))
    pot, _ = account_potential(ds.accounts)
    potential = pot.groupby(ds.accounts["owner_rep_id"].astype(str).to_numpy()).sum()
    reps = ds.reps.set_index(ds.reps["rep_id"].astype(str))
    out = pd.DataFrame({"rep_id": q["rep_id"].astype(str).to_numpy(),
                        "quota": q["quota"].to_numpy(float)})
    out["rep_name"] = out["rep_id"].map(reps["rep_name"])
    out["team"] = out["rep_id"].map(reps["team"]) if "team" in reps else pd.NA
    out["bookings"] = out["rep_id"].map(bookings).fillna(0.0)
    out["attainment"] = out["bookings"] / out["quota"]
    out["potential"] = out["rep_id"].map(potential).fillna(0.0)
    out["potential_per_quota"] = out["potential"] / out["quota"]
    hire = pd.to_datetime(out["rep_id"].map(reps["hire_date"])) if "hire_date" in reps else None
    out["tenure_months"] = ((P.end - hire).dt.days / 30.4375) if hire is not None else np.nan
    return out


def gini(values) -> float:
    """Gini coefficient of non-negative values: ``Σ_i Σ_j |x_i − x_j| / (2 n² mean)``."""
    x = np.asarray(values, float)
    x = np.sort(np.clip(x[np.isfinite(x)], 0, None))
    n = len(x)
    if n == 0 or x.sum() == 0:
        return float("nan")
    return float((2 * np.arange(1, n + 1) - n - 1) @ x / (n * x.sum()))


def rank_correlation(x, y, level: float = 0.95) -> tuple[float, float, float, int]:
    """Spearman's ρ with its Fisher-z interval (module docstring): ``(rho, low, high, n)``."""
    x, y = np.asarray(x, float), np.asarray(y, float)
    ok = ~(np.isnan(x) | np.isnan(y))
    n = int(ok.sum())
    if n < 4 or np.std(x[ok]) == 0 or np.std(y[ok]) == 0:
        return float("nan"), float("nan"), float("nan"), n
    rho = float(stats.spearmanr(x[ok], y[ok]).statistic)
    z = np.arctanh(np.clip(rho, -0.999999, 0.999999))
    half = stats.norm.ppf(0.5 + level / 2) * np.sqrt(1.06 / (n - 3))
    return rho, float(np.tanh(z - half)), float(np.tanh(z + half)), n


def fairness(ds, period) -> pd.DataFrame:
    """Fairness measures for ``period``: rows ``metric``, ``value``, ``low``, ``high``,
    ``reading`` (see module docstring for each formula)."""
    t = attainment_table(ds, period)
    a = t["attainment"].to_numpy(float)
    rows = []
    level = 1 - 0.05 / 2      # two correlations read together: Bonferroni
    for name, col in (("attainment vs potential per quota", "potential_per_quota"),
                      ("attainment vs tenure", "tenure_months")):
        rho, lo, hi, n = rank_correlation(t[col], a, level)
        clear = not np.isnan(lo) and (lo > 0 or hi < 0)
        reading = ("clear relation: quotas do not fully reflect it" if clear
                   else "no clear relation")
        rows.append((name, rho, lo, hi, f"{reading} ({n} reps)"))
    if not len(a):       # no quotas: no attainment to measure
        out = pd.DataFrame(rows, columns=["metric", "value", "low", "high", "reading"])
        out.attrs["reps"] = 0
        return out
    q10, q50, q90 = np.nanpercentile(a, [10, 50, 90])
    rows += [
        ("gini of attainment", gini(a), np.nan, np.nan, "0 = everyone attains the same"),
        ("share within ±20% of quota", float(np.mean((a >= 0.8) & (a <= 1.2))), np.nan, np.nan,
         "reps with attainment 80%–120%"),
        ("share at or above quota", float(np.mean(a >= 1.0)), np.nan, np.nan, ""),
        ("mean attainment", float(np.nanmean(a)), np.nan, np.nan, ""),
        ("median attainment", float(q50), float(q10), float(q90), "low/high are P10/P90"),
        ("sd of attainment", float(np.nanstd(a, ddof=1)), np.nan, np.nan, ""),
        ("skewness of attainment", float(stats.skew(a[~np.isnan(a)])), np.nan, np.nan,
         "> 0: a long tail of high attainers"),
    ]
    out = pd.DataFrame(rows, columns=["metric", "value", "low", "high", "reading"])
    out.attrs["reps"] = len(t)           # 0: no rep has a quota (narrative says so)
    return out


def backtest_methods(ds, year=None, methods=METHODS) -> pd.DataFrame:
    """How each method's quotas for a past fiscal ``year`` (default: the last complete one)
    would have matched what reps sold.

    Quotas are allocated from data known the day before the year (:func:`quotas.allocate`) with
    the company number set to the year's actual bookings, so only the split is judged.

    Without won deals in the year, or in the 12 months before it, returns an empty frame whose
    ``attrs["reason"]`` says so in one sentence.

    Returns one row per method: ``method``, ``reps``, ``wape`` = Σ|bookings − quota| / Σ bookings,
    ``share_within_20pct``, ``gini`` of attainment, ``rank_correlation`` of quota with bookings.
    """
    if year is None:
        Y = Period.parse(str(pd.Timestamp(ds.as_of).year), ds.fiscal_start_month)
        while Y.end > pd.Timestamp(ds.as_of):
            Y = Y.previous()
    else:
        Y = Period.parse(str(year), ds.fiscal_start_month)
    actual = won_bookings(ds, Y.start, Y.end, min(Y.end, pd.Timestamp(ds.as_of)))
    total = float(actual.sum())
    known = known_before(ds, Y)
    before = float(won_bookings(ds, Y.start - pd.DateOffset(months=12), known, known).sum())
    if total <= 0 or before <= 0:    # nothing to judge, or nothing to set the split from
        out = pd.DataFrame(columns=["method", "year", "reps", "wape", "share_within_20pct",
                                    "gini", "rank_correlation"])
        out.attrs["reason"] = (
            f"The quota-method backtest needs won deals in {Y.label} and in the 12 months "
            f"before it (to set its quotas from); this data has none "
            f"{'in ' + Y.label if total <= 0 else 'before ' + Y.label}.")
        return out
    rows = []
    for m in methods:
        q = allocate(ds, Y, m, total, known_at=known_before(ds, Y)).set_index("rep_id")["quota"]
        b = actual.reindex(q.index).fillna(0.0)
        att = b / q
        rows.append({"method": m, "year": Y.label, "reps": len(q),
                     "wape": float((b - q).abs().sum() / b.sum()),
                     "share_within_20pct": float(((att >= 0.8) & (att <= 1.2)).mean()),
                     "gini": gini(att), "rank_correlation": rank_correlation(q, b)[0]})
    return pd.DataFrame(rows)

