"""Sales cycle: days from creation to close, with open deals censored (Kaplan–Meier).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..data import Dataset
from ..periods import Period
from .scorecard import P_ALL, as_keys, deals_with_keys, has_values, is_lazy


def cycle_durations(ds: Dataset, window=None, by=None, as_of=None,
                    period=None) -> pd.DataFrame:
    """Cycle length of each deal, with deals still open at ``as_of`` censored.

    A deal created on or before ``as_of`` is *closed* when its status is won or lost and its
    close_date ≤ ``as_of``: ``days`` = close_date − created_date, ``event`` = 1. Otherwise it
    was still running then: ``days`` = as_of − created_date, ``event`` = 0 (censored), so a
    past period is judged only on what was known at its end.

    Parameters
    ----------
    window : (first, last) dates or a period label, optional
        Cohort: deals created in this range (inclusive).
    as_of : date, optional
        Censoring date; default ``ds.as_of`` (never later than it).
    period : period label, optional
        Shorthand for a report: cohort = deals created in the 365 days up to the period's end,
        ``as_of`` = min(period end, ``ds.as_of``). ``window``/``as_of`` given explicitly win.

    Returns the ``by`` columns (``group`` = "all reps" when ``by`` is None), ``days``, ``event``.
    """
    cap = pd.Timestamp(ds.as_of)
    if period is not None:
        P = Period.parse(period, ds.fiscal_start_month)
        window = window if window is not None else (P.end - pd.Timedelta(days=364), P.end)
        as_of = as_of if as_of is not None else P.end
    as_of = min(pd.Timestamp(as_of), cap) if as_of is not None else cap
    if is_lazy(ds):
        return _lazy_durations(ds, window, by, as_of)
    df, keys, _ = deals_with_keys(ds, by or "rep_id")
    if by is None:
        df, keys = df.assign(group=P_ALL), ["group"]
    if window is not None:
        if isinstance(window, (str, Period)):
            P = Period.parse(window, ds.fiscal_start_month)
            window = (P.start, P.end)
        lo, hi = pd.Timestamp(window[0]), pd.Timestamp(window[1])
        df = df[(df["created_date"] >= lo) & (df["created_date"] <= hi)]
    df = df[df["created_date"] <= as_of]
    closed = (df["status"] != "open") & (df["close_date"] <= as_of)
    end = df["close_date"].where(closed, as_of)
    days = (end - df["created_date"]).dt.days.clip(lower=0).astype(float)
    out = df[keys].assign(days=days.to_numpy(), event=closed.astype("int64").to_numpy())
    return out.reset_index(drop=True)


def _lazy_durations(ds, window, by, as_of) -> pd.DataFrame:
    """:func:`cycle_durations` from the database, one row per (group, days, event) with the
    number of deals ``n`` (the Kaplan–Meier estimate needs nothing more)."""
    if isinstance(window, (str, Period)):
        P = Period.parse(window, ds.fiscal_start_month)
        window = (P.start, P.end)
    lo, hi = window if window is not None else (pd.Timestamp("1900-01-01"), as_of)
    keys = as_keys(by) if by is not None else ["group"]
    if len(keys) != 1:
        raise ValueError("a lazy (SQL) source groups the sales cycle by one column at a time")
    out = ds.cycle_counts(lo, hi, as_of, by=by)
    key = out.pop("key")
    out.insert(0, keys[0], P_ALL if by is None else key)
    return out


def _weights(durations: pd.DataFrame) -> pd.Series:
    """Deals per row: the ``n`` column of aggregated durations, else 1 per row."""
    if "n" in durations.columns:
        return durations["n"].astype("int64")
    return pd.Series(1, index=durations.index, dtype="int64")


def km_curve(durations: pd.DataFrame, by=None, level: float = 0.95) -> pd.DataFrame:
    """Kaplan–Meier survival curve of deal cycles ("share of deals still open after d days").

    At each distinct duration ``t`` of a group, with ``n_t`` deals still at risk (duration ≥ t)
    and ``d_t`` closing at ``t``::

        S(t) = Π_{u ≤ t} (1 − d_u / n_u)
        Var(log S) = Σ_{u ≤ t} d_u / (n_u (n_u − d_u))                  (Greenwood)
        CI: S^{exp(± z · sqrt(Var) / log S)}                             (log-log)

    Censored deals count as at risk up to their duration (ties: events before censoring).

    Parameters
    ----------
    durations : DataFrame
        ``days``, ``event`` and the ``by`` columns (as from :func:`cycle_durations`); an
        optional ``n`` counts the deals each row stands for (a lazy source's aggregates).

    Returns
    -------
    pandas.DataFrame
        ``by`` columns, ``days``, ``at_risk``, ``events``, ``survival``, ``survival_low``,
        ``survival_high`` — one row per group and distinct duration.
    """
    from scipy import stats

    keys = as_keys(by) if by is not None else ["group"]
    if "group" in keys and "group" not in durations.columns:
        durations = durations.assign(group=P_ALL)
    z = stats.norm.ppf(0.5 + level / 2)
    w = _weights(durations)
    durations = durations.assign(_ev=durations["event"] * w, _n=w)
    t = (durations.groupby(keys + ["days"], observed=True)
         .agg(events=("_ev", "sum"), total=("_n", "sum")).reset_index())
    # at risk at t: deals of the group with duration ≥ t (reverse cumulative count)
    t["at_risk"] = t.iloc[::-1].groupby(keys, observed=True)["total"].cumsum().iloc[::-1]
    n, d = t["at_risk"].to_numpy(float), t["events"].to_numpy(float)
    with np.errstate(divide="ignore", invalid="ignore"):
        log_step = np.log1p(-d / n)
        green = np.where(n > d, d / (n * (n - d)), np.inf)
    t["_log"], t["_green"] = log_step, green
    t["survival"] = np.exp(t.groupby(keys, observed=True)["_log"].cumsum())
    var = t.groupby(keys, observed=True)["_green"].cumsum().to_numpy()
    s = t["survival"].to_numpy()
    with np.errstate(divide="ignore", invalid="ignore"):
        ls = np.log(s)
        width = z * np.sqrt(var) / np.abs(ls)
        low, high = s ** np.exp(width), s ** np.exp(-width)
    ok = (s > 0) & (s < 1) & np.isfinite(var)
    t["survival_low"] = np.where(ok, low, np.where(s >= 1, 1.0, 0.0))
    t["survival_high"] = np.where(ok, high, np.where(s >= 1, 1.0, np.where(s <= 0, 0.0, 1.0)))
    t["days"] = t["days"].astype(float)
    return t[keys + ["days", "at_risk", "events", "survival", "survival_low", "survival_high"]]


def _first_time_below(curve, keys, col, q=0.5):
    hit = curve[curve[col] <= q]
    return hit.groupby(keys, observed=True)["days"].min()


def cycle_km(ds: Dataset, window=None, by=None, level: float = 0.95, as_of=None,
             period=None) -> pd.DataFrame:
    """Median sales-cycle length per group by Kaplan–Meier, open deals censored.

    The cohort and censoring date are chosen as in :func:`cycle_durations` (``window``,
    ``as_of``, or ``period`` for the 365 days up to a period's end).

    ``median_days`` = min { t : S(t) ≤ 0.5 } on the curve of :func:`km_curve`; its interval
    ``median_low``/``median_high`` are the first times the upper / lower confidence band of
    ``S`` reach 0.5 (Brookmeyer–Crowley style). NaN when fewer than half the deals closed.
    Also returns ``deals``, ``closed`` (events), ``censored`` (open) and
    ``closed_mean_days`` (the naive mean of closed deals only, for comparison).
    """
    dur = cycle_durations(ds, window=window, by=by, as_of=as_of, period=period)
    keys = as_keys(by) if by is not None else ["group"]
    curve = km_curve(dur, by=keys, level=level)
    w = _weights(dur)
    dur = dur.assign(_n=w, _ev=dur["event"] * w, _d=dur["days"] * dur["event"] * w)
    g = dur.groupby(keys, observed=True)
    out = pd.DataFrame({"deals": g["_n"].sum(), "closed": g["_ev"].sum()})
    out["closed_mean_days"] = g["_d"].sum() / out["closed"].where(out["closed"] > 0)
    out["censored"] = out["deals"] - out["closed"]
    out["median_days"] = _first_time_below(curve, keys, "survival")
    out["median_low"] = _first_time_below(curve, keys, "survival_low")
    out["median_high"] = _first_time_below(curve, keys, "survival_high")
    if out.empty and by is None:
        out = pd.DataFrame({"deals": [0], "closed": [0], "closed_mean_days": [np.nan],
                            "censored": [0], "median_days": [np.nan], "median_low": [np.nan],
                            "median_high": [np.nan]}, index=pd.Index([P_ALL], name="group"))
    out = out.reset_index()
    return out[keys + ["median_days", "median_low", "median_high", "deals", "closed",
                       "censored", "closed_mean_days"]]


def cycle_by(ds: Dataset, period, by: str = "role", level: float = 0.95) -> pd.DataFrame:
    """The Kaplan–Meier curves of a report's sales-cycle section: :func:`km_curve` of the
    deals created in the 365 days up to the period's end, per value of the rep or deal column
    ``by``, or for all reps together when the data do not have that column.

    Returns the curve frame (``group`` column = the ``by`` value) with ``attrs``: ``by`` (the
    column used or None), ``medians`` (``group`` → median days, :func:`cycle_km`) and
    ``note`` (one sentence when ``by`` was not available).
    """
    present = has_values(ds, by)
    use = by if present else None
    dur = cycle_durations(ds, period=period, by=use)
    if use is not None:
        dur = dur.rename(columns={use: "group"})
    curve = km_curve(dur, by=None, level=level) if use is None else km_curve(dur, by="group",
                                                                            level=level)
    km = cycle_km(ds, period=period, by=use, level=level)
    key = use or "group"
    curve.attrs.update(by=use, medians=dict(zip(km[key].astype(str), km["median_days"])),
                       note=None if present else
                       f"The data have no {by.replace('_', ' ')} for each rep, so the cycle is "
                       "shown for all reps together.")
    return curve


def reading_cycle_by(curve: pd.DataFrame) -> str:
    """One sentence on the medians of :func:`cycle_by` (and what was missing, if anything)."""
    from .. import viz

    parts = [f"{g} reps {viz.days(m)}" if curve.attrs.get("by") == "role" else f"{g} {viz.days(m)}"
             for g, m in curve.attrs.get("medians", {}).items()]
    text = ("Median days from creation to close, counting still-open deals: "
            + ("; ".join(parts) if parts else "no deals in the year") + ".")
    note = curve.attrs.get("note")
    return f"{note} {text}" if note else text
