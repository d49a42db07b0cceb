"""Activity patterns by motion: how much selling time goes into a deal, and what it returns.

Definitions (a window from :func:`~salesops_lib.strategy.economics.window`):

* **activities per rep** of a type :math:`= N_{mt} / (12 F_m)`: logged activities per rep-FTE
  per month (:math:`F_m` the motion's FTE-years);
* **activities per deal** :math:`= N / D`: activities logged against the deals closed in the
  window, on or before their close date, over those deals; split by won and lost, with a
  95% t interval of the mean;
* **time per deal** :math:`= \\sum` ``duration_min`` / 60 over the deals (hours);
* **response curve**: bookings per deal :math:`y` against activities on the deal :math:`x`,
  fitted (scipy ``curve_fit``, least squares on the deals) by the saturating Hill curve
  :math:`y = a\\,x^h / (k^h + x^h)`: ``a`` is the ceiling, ``k`` the activities at which half
  of it is reached and ``h`` the steepness. Its marginal return
  :math:`a h k^h x^{h-1} / (k^h + x^h)^2` falls with every touch past the curve's
  inflection (diminishing returns).
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
from scipy import optimize, stats

from .economics import Window, closed_deals, rep_fte, window_activities

TYPES = ("call", "meeting", "visit", "email")


def _missing(text: str, columns) -> pd.DataFrame:
    out = pd.DataFrame(columns=list(columns))
    out.attrs["missing"] = text
    return out


NEEDS_ACTIVITIES = ("This section needs an activities table (rep, date, type, and the deal "
                    "each activity belongs to) covering the window.")


def deal_activities(ds, win: Window) -> pd.DataFrame:
    """Closed deals of the window with their activity counts: :func:`closed_deals` columns plus
    ``activities``, one column per type (``call``, ``meeting``, ``visit``, ``email``) and
    ``hours`` (logged minutes / 60), counting activities on or before the deal's close date."""
    deals = closed_deals(ds, win)
    a = ds.activities
    if "opportunity_id" not in a or a["opportunity_id"].isna().all() or deals.empty:
        return deals.assign(activities=0, hours=0.0, **dict.fromkeys(TYPES, 0)).iloc[:0]
    a = a[a["opportunity_id"].isin(deals["opportunity_id"])]
    close = a["opportunity_id"].map(deals.set_index("opportunity_id")["close_date"])
    a = a[a["date"] <= close]
    typ = a["type"].astype("string").str.strip().str.lower()
    counts = pd.crosstab(a["opportunity_id"], typ).reindex(columns=list(TYPES), fill_value=0)
    minutes = (pd.to_numeric(a["duration_min"], errors="coerce").fillna(0.0)
               if "duration_min" in a else pd.Series(0.0, index=a.index))
    out = deals.copy()
    oid = out["opportunity_id"]
    for t in TYPES:
        out[t] = oid.map(counts[t]).fillna(0).astype(int).to_numpy()
    out["activities"] = oid.map(a.groupby("opportunity_id").size()).fillna(0).astype(int).to_numpy()
    out["hours"] = oid.map(minutes.groupby(a["opportunity_id"]).sum() / 60.0).fillna(0.0).to_numpy()
    return out


def activity_rates(ds, win: Window) -> pd.DataFrame:
    """Activities per rep-FTE per month, by motion and type.

    Returns ``motion``, ``type``, ``activities``, ``fte``, ``per_rep_month``,
    ``minutes_per_activity`` (mean ``duration_min``; NaN when not logged). An empty frame with
    ``attrs["missing"]`` when the window has no activities.
    """
    acts = window_activities(ds, win)
    cols = ["motion", "type", "activities", "fte", "per_rep_month", "minutes_per_activity"]
    if acts.empty:
        return _missing(NEEDS_ACTIVITIES, cols)
    fte = rep_fte(ds, win).groupby("motion")["fte"].sum()
    logged = acts["minutes"].where(acts["minutes"] > 0)
    g = acts.assign(logged=logged).groupby(["motion", "type"])
    out = pd.DataFrame({"activities": g.size(), "minutes_per_activity": g["logged"].mean()})
    out = out.reset_index()
    out["fte"] = out["motion"].map(fte).fillna(0.0).to_numpy()
    with np.errstate(divide="ignore", invalid="ignore"):
        out["per_rep_month"] = np.where(out["fte"] > 0, out["activities"] / (12 * out["fte"]), np.nan)
    return out[cols]


def per_deal(ds, win: Window, level: float = 0.95) -> pd.DataFrame:
    """Activities and hours per closed deal, by motion and outcome (won / lost).

    Returns ``motion``, ``outcome``, ``deals``, ``activities_per_deal`` with ``_low``/``_high``
    (t interval of the mean), one ``<type>_per_deal`` column per type, ``hours_per_deal``.
    """
    d = deal_activities(ds, win)
    cols = ["motion", "outcome", "deals", "activities_per_deal", "activities_per_deal_low",
            "activities_per_deal_high"] + [f"{t}_per_deal" for t in TYPES] + ["hours_per_deal"]
    if d.empty or d["activities"].sum() == 0:
        return _missing(NEEDS_ACTIVITIES, cols)
    d = d.assign(outcome=np.where(d["won"], "won", "lost"))
    g = d.groupby(["motion", "outcome"])
    out = pd.DataFrame({"deals": g.size(), "activities_per_deal": g["activities"].mean(),
                        "sd": g["activities"].std(ddof=1)})
    for t in TYPES:
        out[f"{t}_per_deal"] = g[t].mean()
    out["hours_per_deal"] = g["hours"].mean()
    out = out.reset_index()
    n = out["deals"].to_numpy(float)
    tq = stats.t.ppf(0.5 + level / 2, np.maximum(n - 1, 1))
    half = tq * out["sd"].fillna(0.0).to_numpy() / np.sqrt(n)
    out["activities_per_deal_low"] = out["activities_per_deal"] - half
    out["activities_per_deal_high"] = out["activities_per_deal"] + half
    return out[cols]


def time_per_deal(ds, win: Window) -> pd.DataFrame:
    """Selling hours per closed deal and per won deal, by motion.

    ``hours_per_deal`` :math:`= \\sum` minutes / 60 / deals; ``hours_per_won_deal`` the same
    over won deals only; ``bookings_per_hour`` :math:`=` bookings / logged hours. Missing
    (``attrs["missing"]``) when no activity carries ``duration_min``.
    """
    d = deal_activities(ds, win)
    cols = ["motion", "deals", "won", "hours", "hours_per_deal", "hours_per_won_deal",
            "bookings_per_hour"]
    if d.empty or d["hours"].sum() == 0:
        return _missing("Time per deal needs activities with their duration in minutes.", cols)
    g = d.groupby("motion")
    out = pd.DataFrame({"deals": g.size(), "won": g["won"].sum().astype(int),
                        "hours": g["hours"].sum(), "bookings": g["bookings"].sum()}).reset_index()
    with np.errstate(divide="ignore", invalid="ignore"):
        out["hours_per_deal"] = out["hours"] / out["deals"]
        out["hours_per_won_deal"] = np.where(out["won"] > 0, out["hours"] / out["won"], np.nan)
        out["bookings_per_hour"] = np.where(out["hours"] > 0, out["bookings"] / out["hours"], np.nan)
    return out[cols]


def _hill(x, a, k, h):
    x = np.asarray(x, float)
    return a * x ** h / (k ** h + x ** h)


def _hill_marginal(x, a, k, h):
    x = np.asarray(x, float)
    with np.errstate(divide="ignore", invalid="ignore"):
        m = a * h * k ** h * np.power(x, h - 1) / (k ** h + x ** h) ** 2
    return np.where(x > 0, m, np.where(h < 1, np.inf, a / k if h == 1 else 0.0))


def response_curve(ds, win: Window, max_activities: int | None = None) -> pd.DataFrame:
    """Bookings per deal against activities on the deal, by motion, with a saturating fit.

    Returns one row per motion and activity count ``x`` (0 .. the 95th percentile, or
    ``max_activities``): ``motion``, ``activities``, ``deals``, ``bookings_per_deal`` (observed
    mean), ``win_rate`` (observed), ``fitted`` (:math:`a(1-e^{-x/b})`), ``marginal``
    (:math:`(a/b)e^{-x/b}`: bookings of one more activity). ``attrs["fits"]``: per motion
    ``a``, ``b``, ``r2`` (share of the variance of bookings per deal the curve explains) and
    ``deals``.
    """
    d = deal_activities(ds, win)
    cols = ["motion", "activities", "deals", "bookings_per_deal", "win_rate", "fitted", "marginal"]
    if d.empty or d["activities"].sum() == 0:
        return _missing(NEEDS_ACTIVITIES, cols)
    rows, fits = [], {}
    for motion, g in d.groupby("motion"):        # a handful of motions
        x = g["activities"].to_numpy(float)
        y = g["bookings"].to_numpy(float)
        if len(g) < 20 or np.ptp(x) == 0:
            continue
        top = float(max_activities or np.quantile(x, 0.95))
        a0 = max(float(y.mean()) * 2.0, 1.0)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                (a, k, h), _ = optimize.curve_fit(
                    _hill, x, y, p0=[a0, max(float(np.median(x)), 1.0), 2.0],
                    bounds=([0, 1e-2, 0.5], [np.inf, 1e3, 6.0]), maxfev=10_000)
            except (RuntimeError, ValueError):
                continue
        resid = y - _hill(x, a, k, h)
        r2 = 1 - (resid ** 2).sum() / ((y - y.mean()) ** 2).sum() if y.var() > 0 else np.nan
        peak = k * ((h - 1) / (h + 1)) ** (1 / h) if h > 1 else 0.0
        fits[motion] = {"a": float(a), "k": float(k), "h": float(h), "r2": float(r2),
                        "peak": float(peak), "deals": len(g)}
        grid = np.arange(0, int(np.ceil(top)) + 1)
        obs = g.groupby("activities").agg(deals=("won", "size"), bookings_per_deal=("bookings", "mean"),
                                          win_rate=("won", "mean")).reindex(grid)
        rows.append(pd.DataFrame({"motion": motion, "activities": grid,
                                  "deals": obs["deals"].fillna(0).astype(int).to_numpy(),
                                  "bookings_per_deal": obs["bookings_per_deal"].to_numpy(),
                                  "win_rate": obs["win_rate"].to_numpy(),
                                  "fitted": _hill(grid, a, k, h),
                                  "marginal": _hill_marginal(grid, a, k, h)}))
    if not rows:
        return _missing("The response curve needs at least 20 closed deals with activities in "
                        "one motion.", cols)
    out = pd.concat(rows, ignore_index=True)[cols]
    out.attrs["fits"] = fits
    return out
