"""Consistency and ramp: how steadily reps, teams, channels and territories sell over time.

Companion of :mod:`salesops_lib.performance` (which scores one period); here every metric
looks at a run of periods. Pure functions: a Dataset in, new tidy frames out.

* **bookings series**: bookings, quota and attainment per group and period
  (:func:`period_bookings`), zero-filled, only periods after a rep's hire.
* **consistency**: coefficient of variation of monthly bookings, hit rate (share of periods
  at ≥ a fraction of quota) and the longest hit / miss streaks (:func:`consistency`), over
  whole periods only: a period not over by the report date is left out (:func:`judged_end`),
  and so is one the data observe only in part, before the first close (:func:`first_whole`).
* **ramp**: productivity or attainment by month of tenure across hires, with the typical
  time to ramp (the first month from which the curve drawn stays at the bar,
  :func:`ramp_time`) and a bootstrap interval (:func:`ramp`).

The period helpers (:func:`window`, :func:`judged_end`, :func:`first_whole`, ...) live in
:mod:`.windows` and are re-exported here.
"""

from __future__ import annotations

import dataclasses
import warnings

import numpy as np
import pandas as pd

from .. import viz
from ..data import Dataset
from ..measures import bookings_start, state_as_of
from ..periods import Period, fiscal_labels, period_containing
from .plots import plot_consistency, plot_ramp  # noqa: F401  (re-exported: consistency.plot_*)
from .scorecard import (
    as_keys,
    deals_with_keys,
    has_values,
    is_lazy,
    label,
    ratio,
    with_rep_attributes,
)
from .windows import (  # also re-exported: consistency.window, ...)
    _as_kind,
    _mi,
    first_whole,
    judged_end,
    known_until,
    last_complete,
    monthly_quota,
    window,
)


# --------------------------------------------------------------------------------------------
# bookings per group and period
# --------------------------------------------------------------------------------------------
def period_bookings(ds: Dataset, periods: list[Period], by="rep_id", *,
                    as_of=None) -> pd.DataFrame:
    """Bookings, quota and attainment per group and period, zero-filled.

    ``bookings`` = Σ won amount with close_date in the period (with ``as_of``, a date: the deals
    won as they stood at its end, :func:`salesops_lib.measures.state_as_of`: amount, close date
    and owner of that day, a deal won later or created later not at all); ``quota`` = Σ of the group's
    reps' monthly quotas (:func:`monthly_quota`) over the period's months (NaN when grouping by
    an opportunity attribute such as channel); ``attainment`` = bookings / quota.
    When grouping by rep attributes a rep counts only in periods ending on or after its hire
    date (a rep without a hire date always counts).

    Returns
    -------
    pandas.DataFrame
        ``by`` columns, ``period`` (label), ``period_index`` (0 = first), ``bookings``,
        ``quota``, ``attainment``.
    """
    if not periods:
        raise ValueError("no periods given")
    kind, fsm = periods[0].kind, ds.fiscal_start_month
    labels = [p.label for p in periods]
    pos = pd.Series(range(len(periods)), index=labels)
    if is_lazy(ds):
        won, keys, rep_level, values = _lazy_won(ds, by, as_of)
    else:
        known = ds if as_of is None else dataclasses.replace(
            ds, opportunities=state_as_of(ds, as_of))
        df, keys, rep_level = deals_with_keys(known, by)
        won = df[df["status"] == "won"]
        values = {k: df[k].unique() for k in keys}
    won = won.assign(period=fiscal_labels(won["close_date"], kind, fsm))
    won = won[won["period"].isin(labels)]
    if not rep_level:
        grid = pd.MultiIndex.from_product(
            [pd.Index(values[k], name=k) for k in keys] + [pd.Index(labels, name="period")])
        out = won.groupby(keys + ["period"], observed=True)["amount"].sum().reindex(grid,
                                                                                   fill_value=0.0)
        out = out.rename("bookings").reset_index().assign(quota=np.nan)
    else:
        reps = ds.reps[["rep_id", "hire_date"] + [k for k in keys if k != "rep_id"]].copy()
        for k in keys:
            reps[k] = label(reps[k])
        per = pd.DataFrame({"period": labels, "end": [p.end for p in periods],
                            "m0": [p.start.year * 12 + p.start.month - 1 for p in periods],
                            "m1": [p.end.year * 12 + p.end.month - 1 for p in periods]})
        grid = reps.merge(per, how="cross")
        grid = grid[grid["hire_date"].isna() | (grid["hire_date"] <= grid["end"])]
        mq = monthly_quota(ds)
        # month -> the period containing it (periods are consecutive and sorted)
        m0, m1 = per["m0"].to_numpy(), per["m1"].to_numpy()
        at = np.searchsorted(m0, mq["month"].to_numpy(), side="right") - 1
        ok = (at >= 0) & (mq["month"].to_numpy() <= m1[np.clip(at, 0, None)])
        mq = mq[ok].assign(period=np.asarray(labels, dtype=object)[at[ok]])
        q = mq.groupby(["rep_id", "period"])["quota"].sum()
        b = won.groupby(["rep_id", "period"], observed=True)["amount"].sum()
        idx = pd.MultiIndex.from_frame(grid[["rep_id", "period"]])
        grid = grid.assign(bookings=b.reindex(idx, fill_value=0.0).to_numpy(),
                           quota=q.reindex(idx).to_numpy())
        g = grid.groupby(keys + ["period"], observed=True)
        out = pd.DataFrame({"bookings": g["bookings"].sum(),
                            "quota": g["quota"].sum(min_count=1)}).reset_index()
    out["period_index"] = out["period"].map(pos).astype("int64")
    out["attainment"] = ratio(out["bookings"], out["quota"])
    out = out.sort_values(keys + ["period_index"]).reset_index(drop=True)
    return out[keys + ["period", "period_index", "bookings", "quota", "attainment"]]


def _lazy_won(ds, by, as_of=None):
    """Won amounts per month from the database, as rows ``close_date`` (the month's first
    day: every period is a run of whole months), ``amount`` and the key (``rep_id`` when
    grouping by rep attributes, whose quotas are per rep); with ``as_of``, the deals as they
    stood at its end (the database's ``won_by_month(..., as_of=)``)."""
    keys = as_keys(by)
    if len(keys) != 1:
        raise ValueError("a lazy (SQL) source groups bookings by one column at a time")
    k = keys[0]
    rep_level = k == "rep_id" or (k in ds.reps.columns and k not in ds.opportunities.columns)
    m = ds.won_by_month("rep_id" if rep_level else k, as_of=as_of)
    won = pd.DataFrame({"rep_id" if rep_level else k: m["key"].to_numpy(),
                        "close_date": m["month"], "amount": m["amount"].to_numpy(float)})
    if rep_level and k != "rep_id":
        won[k] = won["rep_id"].map(ds.reps.set_index("rep_id")[k].astype("string")) \
            .astype("string").fillna(label(pd.Series([None])).iloc[0])
    values = {} if rep_level else {k: ds.distinct_values(k)}
    return won, keys, rep_level, values


def _longest_runs(df: pd.DataFrame, keys: list[str], flag: str) -> pd.DataFrame:
    """Longest run of True and of False of ``flag`` per group (rows sorted by period)."""
    f = df[flag].astype(bool)
    new_run = (f != f.groupby([df[k] for k in keys], observed=True).shift()) | (
        df.groupby(keys, observed=True).cumcount() == 0)
    run_id = new_run.cumsum()
    runs = pd.DataFrame({**{k: df[k] for k in keys}, "flag": f, "run": run_id})
    lengths = runs.groupby(keys + ["run", "flag"], observed=True).size().rename("n").reset_index()
    best = lengths.pivot_table(index=keys, columns="flag", values="n", aggfunc="max",
                               observed=True)
    return pd.DataFrame({"longest_hit_streak": best.get(True, pd.Series(dtype=float)),
                         "longest_miss_streak": best.get(False, pd.Series(dtype=float))},
                        index=best.index).fillna(0).astype("int64")


#: What a grouping needs, in words, when the data lack it.
NEEDS = {"role": "each rep's role (field or inside)", "region": "a region for each rep",
         "team": "each rep's team", "manager": "each rep's manager",
         "channel": "a channel for each deal"}


def _lacks(ds: Dataset, key: str) -> bool:
    return not has_values(ds, key)


def consistency(ds: Dataset, by="rep_id", end=None, periods: int = 8, kind: str = "quarter",
                hit_fraction: float = 1.0, missing: str = "raise") -> pd.DataFrame:
    """How consistently each group sells, over ``periods`` periods of ``kind`` ending ``end``.

    Only whole periods are judged: when ``end`` (or the last period of ``kind`` in it) is not
    over by its report date, the window ends with the last period that is
    (:func:`judged_end`) and ``attrs`` say so: ``as_of`` (the data's as-of date) and
    ``open_period`` (the label of the period in progress, left out). Periods the data observe
    only in part are left out too (:func:`window`: it starts at :func:`first_whole`); without
    any whole period over, an empty frame whose ``attrs["note"]`` says so.

    Per group:

    * ``mean_monthly_bookings`` and ``cv_monthly`` = sd(monthly bookings) / mean(monthly
      bookings) over the months of the window (sample sd, ddof = 1; lower = steadier; NaN when
      the mean is 0 or fewer than two months);
    * ``hit_rate`` = #(periods with attainment ≥ ``hit_fraction``) / #(periods with a quota);
    * ``longest_hit_streak`` / ``longest_miss_streak``: most consecutive periods at / below
      the bar (periods without a quota break nothing and are skipped);
    * ``periods`` with a quota, ``months`` observed, ``bookings`` over the window.

    By rep, ``rep_name``, ``manager``, ``team`` and ``role`` are carried along.

    ``by`` as in :func:`salesops_lib.performance.scorecard`: ``rep_id``, ``team``, ``role``
    (field vs inside), ``region`` (territory), or an opportunity attribute like ``channel``
    (no quota, so only the CV).

    ``missing="note"``: when the data have no such column (or it is empty), return an empty
    frame whose ``attrs["note"]`` says in one sentence what the view needs, instead of
    raising (a report then says so instead of failing).
    """
    keys0 = as_keys(by)
    empty = pd.DataFrame(columns=keys0 + ["window", "periods", "months", "bookings",
                                          "mean_monthly_bookings", "cv_monthly", "hit_rate",
                                          "longest_hit_streak", "longest_miss_streak"])
    if missing == "note" and any(_lacks(ds, k) for k in keys0 if k != "rep_id"):
        k = next(k for k in keys0 if k != "rep_id" and _lacks(ds, k))
        empty.attrs["note"] = (f"This view needs {NEEDS.get(k, 'a ' + k.replace('_', ' '))}, "
                               "which the data do not have.")
        return empty
    last = judged_end(ds, end, kind)
    first = first_whole(ds, kind)
    if first is not None and last.start < first.start:
        empty.attrs["note"] = (f"No whole {kind} of bookings has ended between the first close in "
                               f"the data ({bookings_start(ds):%b %Y}) and "
                               f"{pd.Timestamp(ds.as_of):%d %b %Y}, so consistency over whole "
                               "periods cannot be judged yet.")
        return empty
    pers = window(ds, last, periods, kind)
    months = [m for p in pers for m in p.months()]
    monthly = period_bookings(ds, months, by)
    keys = as_keys(by)
    g = monthly.groupby(keys, observed=True)["bookings"]
    out = pd.DataFrame({"months": g.size(), "bookings": g.sum(),
                        "mean_monthly_bookings": g.mean(), "sd": g.std(ddof=1)})
    out["cv_monthly"] = ratio(out["sd"], out["mean_monthly_bookings"])
    out.loc[out["months"] < 2, "cv_monthly"] = np.nan
    per = period_bookings(ds, pers, by)
    per = per[per["quota"].notna()]
    per = per.assign(hit=per["attainment"] >= hit_fraction)
    h = per.groupby(keys, observed=True)["hit"]
    out["periods"] = h.size().reindex(out.index).fillna(0).astype("int64")
    out["hit_rate"] = h.mean().reindex(out.index).astype(float)
    streaks = _longest_runs(per, keys, "hit") if len(per) else pd.DataFrame(
        columns=["longest_hit_streak", "longest_miss_streak"])
    for c in ["longest_hit_streak", "longest_miss_streak"]:
        out[c] = streaks[c].reindex(out.index).fillna(0).astype("int64") if len(per) else 0
    out = out.reset_index()
    out.insert(len(keys), "window", f"{pers[0].label}..{pers[-1].label}")
    out, extra = with_rep_attributes(ds, out, keys)
    out = out[keys + extra + ["window", "periods", "months", "bookings", "mean_monthly_bookings",
                              "cv_monthly", "hit_rate", "longest_hit_streak",
                              "longest_miss_streak"]]
    if end is not None and _as_kind(ds, end, kind) != last:
        out.attrs.update(as_of=pd.Timestamp(ds.as_of),
                         open_period=period_containing(ds.as_of, kind, ds.fiscal_start_month).label,
                         kind=kind)
    return out


# --------------------------------------------------------------------------------------------
# ramp
# --------------------------------------------------------------------------------------------
def ramp_months(ds: Dataset, measure: str = "productivity", steady_after: int = 12,
                max_months: int = 24, *, as_of=None) -> pd.DataFrame:
    """One row per rep and month of tenure (0 = hire month) with the ramp ``value``.

    Months run from the first to the last complete month of the data; a rep's month counts
    from its hire month on. ``as_of`` (a date): only what was known at its end — the reps
    hired by then, the deals won as they stood then (:func:`period_bookings` with ``as_of``)
    and the months up to the last one complete by then; None: every deal, to the last complete
    month of the data. ``measure``:

    * ``"productivity"``: bookings of the month / mean monthly bookings of ramped rep-months
      (tenure ≥ ``steady_after``) in the same role — 1.0 = a fully ramped rep. Used by default
      because quotas of new hires are usually ramped already, which hides the ramp.
    * ``"attainment"``: bookings / the month's quota (:func:`monthly_quota`).

    Returns ``rep_id``, ``role``, ``tenure_month``, ``bookings``, ``quota``, ``value``
    (tenure months 0..``max_months``).
    """
    if measure not in ("productivity", "attainment"):
        raise ValueError("measure must be 'productivity' or 'attainment'")
    t = None if as_of is None else known_until(ds, as_of)
    last = last_complete(ds, "month", as_of=t)
    months = window(ds, last, None, "month")
    s = period_bookings(ds, months, "rep_id", as_of=t)
    reps = ds.reps.set_index("rep_id")
    if t is not None:           # hires known by then (a later hire has no month up to t anyway)
        reps = reps[reps["hire_date"].isna() | (reps["hire_date"] <= t)]
    hire = reps["hire_date"].reindex(s["rep_id"]).to_numpy()
    role = (label(reps["role"]) if "role" in reps else pd.Series("all", index=reps.index))
    s = s.assign(role=role.reindex(s["rep_id"]).to_numpy())
    month_idx = np.array([p.start.year * 12 + p.start.month - 1 for p in months])
    s["tenure_month"] = month_idx[s["period_index"].to_numpy()] - _mi(hire)
    s = s[pd.notna(hire)]
    s = s.assign(tenure_month=s["tenure_month"].astype("int64"))
    if measure == "productivity":
        steady = s[s["tenure_month"] >= steady_after].groupby("role")["bookings"].mean()
        ref = s["role"].map(steady).fillna(s.loc[s["tenure_month"] >= steady_after,
                                                  "bookings"].mean())
        s["value"] = ratio(s["bookings"], ref)
    else:
        s["value"] = s["attainment"]
    s = s[(s["tenure_month"] >= 0) & (s["tenure_month"] <= max_months)]
    return s[["rep_id", "role", "tenure_month", "bookings", "quota", "value"]].reset_index(drop=True)


def ramp_time(curves, bar: float, smooth: int = 3) -> np.ndarray:
    """Time to ramp of each row of ``curves`` (rows: curves, columns: tenure months 0..M).

    Each curve is smoothed as the page draws it, by its trailing ``smooth``-month mean
    (NaN-aware: a month without data is skipped). Time to ramp = the first month ``m`` from
    which the smoothed curve **stays** at or above ``bar`` at every later month with data:
    ``m`` = first month ≥ ``bar`` after the last month below it. NaN when the smoothed curve
    ends below ``bar`` (not ramped within the months observed). A curve that touches the bar
    once and falls back is not ramped there.
    """
    c = pd.DataFrame(np.atleast_2d(np.asarray(curves, dtype=float)).T).rolling(
        smooth, min_periods=1).mean().to_numpy().T
    m, n = np.arange(c.shape[1]), c.shape[1]
    with np.errstate(invalid="ignore"):
        last_below = np.where(c < bar, m, -1).max(axis=1, initial=-1)
        first = np.where((c >= bar) & (m > last_below[:, None]), m, n).min(axis=1, initial=n)
    return np.where(first < n, first, np.nan).astype(float)


def ramp(ds: Dataset, measure: str = "productivity", steady_after: int = 12,
         max_months: int = 24, threshold: float = 0.8, level: float = 0.95,
         n_boot: int = 400, seed: int = 0, smooth: int = 3, *,
         as_of=None) -> tuple[pd.DataFrame, dict]:
    """Ramp curve by month of tenure and the typical time to ramp.

    ``as_of`` (a date): the curve and the time as they could be known at its end, using only
    the reps hired by then, the deals won as they stood then (read from the opportunity history,
    :func:`salesops_lib.measures.state_as_of`) and the months up to the last one complete by
    then (a date after the data's as-of date means that date). A page "as of" a date passes it:
    the rep performance page its report date (:func:`salesops_lib.measures.report_date`), the
    capacity of a period the day before it (:func:`salesops_lib.compensation.known_before`).
    None (default): every deal, to the last complete month of the data.

    Curve: for each tenure month ``m``, ``value`` = mean over reps of :func:`ramp_months`'s
    value, ``low``/``high`` = mean ∓ t₍ₙ₋₁₎ · sd / √n (low clipped at 0), ``reps`` = n, and
    ``smoothed`` = the trailing ``smooth``-month mean of ``value`` (the line the page draws).

    Time to ramp (:func:`ramp_time`): the first tenure month from which ``smoothed`` stays at
    or above the bar, ``threshold`` × the steady level (mean value of tenure months ≥
    ``steady_after``; 1.0 by construction for productivity), through the last month of the
    curve (``max_months`` at most); NaN when it ends below the bar. So the month named agrees
    with the curve drawn: one good month followed by a fall is not a ramp. Its interval is the
    ``level`` percentile interval of the same time over ``n_boot`` bootstrap resamples of reps
    (vectorised, seeded: deterministic); a resample that never stays at the bar counts as
    beyond the months observed, so ``ramp_high`` is ``inf`` when more than the upper tail of
    resamples never does.

    Returns
    -------
    (curve, summary)
        ``curve``: ``tenure_month``, ``value``, ``low``, ``high``, ``reps``, ``smoothed``.
        ``summary``: ``ramp_months``, ``ramp_low``, ``ramp_high``, ``steady``, ``threshold``,
        ``measure``, ``smooth``, ``months_observed`` (last tenure month of the curve),
        ``hires`` (reps observed in their first three months), ``no_hire_dates``.
    """
    from scipy import stats

    rm = ramp_months(ds, measure, steady_after, max_months, as_of=as_of)
    rm = rm[rm["value"].notna()]
    g = rm.groupby("tenure_month")["value"]
    curve = pd.DataFrame({"value": g.mean(), "sd": g.std(ddof=1), "reps": g.size()})
    t = stats.t.ppf(0.5 + level / 2, np.maximum(curve["reps"] - 1, 1))
    half = t * curve["sd"] / np.sqrt(curve["reps"])
    curve = curve.assign(low=(curve["value"] - half).clip(lower=0), high=curve["value"] + half).reset_index()
    mat = rm.pivot_table(index="rep_id", columns="tenure_month", values="value").reindex(
        columns=range(max_months + 1))
    steady = 1.0 if measure == "productivity" else float(np.nanmean(
        mat.loc[:, steady_after:].to_numpy())) if mat.shape[1] > steady_after else np.nan
    bar = threshold * steady
    x = mat.to_numpy()
    with np.errstate(invalid="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)     # all-NaN tenure months
        mean = np.nanmean(x, axis=0) if len(x) else np.full(max_months + 1, np.nan)
        point = ramp_time(mean[None, :], bar, smooth)[0] if len(x) else np.nan
        rng = np.random.default_rng(seed)
        idx = rng.integers(0, len(x), size=(n_boot, len(x))) if len(x) else None
        boots = ramp_time(np.nanmean(x[idx], axis=1), bar, smooth) if idx is not None \
            else np.array([np.nan])
    smoothed = pd.Series(mean).rolling(smooth, min_periods=1).mean()
    curve = curve.assign(smoothed=curve["tenure_month"].map(smoothed).astype(float))
    curve = curve[["tenure_month", "value", "low", "high", "reps", "smoothed"]]
    tail = (1 - level) / 2
    b = np.where(np.isnan(boots), np.inf, boots)    # never stays at the bar: beyond the data
    low, high = (np.quantile(b, [tail, 1 - tail], method="inverted_cdf") if len(x)
                 else (np.nan, np.nan))
    summary = {
        "ramp_months": float(point), "measure": measure, "threshold": threshold,
        "steady": steady, "ramp_low": float(low), "ramp_high": float(high), "smooth": smooth,
        "months_observed": int(curve["tenure_month"].max()) if len(curve) else 0,
        "hires": int(rm.loc[rm["tenure_month"] <= 2, "rep_id"].nunique()),
        "no_hire_dates": bool("hire_date" not in ds.reps or ds.reps["hire_date"].isna().all()),
    }
    return curve, summary


CONSISTENCY_COLUMNS = {
    "rep_name": "Rep", "team": "Team", "role": "Role", "region": "Region", "channel": "Channel",
    "periods": "Quarters with quota", "bookings": "Bookings",
    "mean_monthly_bookings": "Average month", "cv_monthly": "Month-to-month swing",
    "hit_rate": "Quarters at quota", "longest_hit_streak": "Longest run at quota",
    "longest_miss_streak": "Longest run below quota",
}


_PLURAL = {"quarter": "quarters", "month": "months", "year": "years"}


def judged_words(cons: pd.DataFrame) -> str:
    """The periods a consistency frame (:func:`consistency`) judged, in words:
    "2025-Q1 to 2026-Q3", and when a period in progress was left out ", the quarters ended by
    15 Nov 2026 (2026-Q4 is still open)"; "" for a frame without a window."""
    if "window" not in cons.columns or not len(cons):
        return ""
    first, _, last = str(cons["window"].iloc[0]).partition("..")
    text = first if not last or last == first else f"{first} to {last}"
    a = cons.attrs
    if a.get("open_period"):
        text += (f", the {_PLURAL.get(a.get('kind'), 'periods')} ended by "
                 f"{pd.Timestamp(a['as_of']):%d %b %Y} ({a['open_period']} is still open)")
    return text


def consistency_table(cons: pd.DataFrame):
    """A consistency frame (:func:`consistency`) as a formatted table, in words (the window
    is in the caption, ids are left out); None for an empty frame (nothing to show)."""
    if cons.empty:
        return None
    no_quota = "periods" in cons.columns and not (cons["periods"] > 0).any()
    cols = [c for c in CONSISTENCY_COLUMNS if c in cons.columns and not (
        no_quota and c in ("periods", "hit_rate", "longest_hit_streak", "longest_miss_streak"))]
    t = cons[cols].rename(columns=CONSISTENCY_COLUMNS)
    caption = ("Quarters " + judged_words(cons)) if judged_words(cons) else None
    return viz.table(t, {"Bookings": "money", "Average month": "money",
                         "Month-to-month swing": "pct", "Quarters at quota": "pct"},
                     caption=caption)


# --------------------------------------------------------------------------------------------
# one-sentence readings
# --------------------------------------------------------------------------------------------
def reading_consistency(cons: pd.DataFrame, label: str) -> str:
    """One sentence naming the steadiest and the most volatile group (by CV), and the periods
    judged (:func:`judged_words`), or what the view needs when the data lack it."""
    if cons.empty and cons.attrs.get("note"):
        return cons.attrs["note"]
    c = cons.dropna(subset=["cv_monthly"]).sort_values("cv_monthly")
    if len(c) == 1:
        return (f"Only one {label.replace('_', ' ')} has bookings here ({c[label].iloc[0]}): its "
                "figures are below, with no other to compare them with.")
    if len(c) < 2:
        return "No group has bookings to compare consistency."
    if "rep_name" in c.columns:
        c = c.assign(**{label: c["rep_name"]})
    best, worst = c.iloc[0], c.iloc[-1]
    hit = (lambda r: f", at quota in {viz.pct(r['hit_rate'])} of quarters"
           if pd.notna(r["hit_rate"]) else "")
    text = (f"Steadiest: {best[label]} (monthly bookings vary by {viz.pct(best['cv_monthly'])} of "
            f"their mean{hit(best)}); most volatile: {worst[label]} "
            f"({viz.pct(worst['cv_monthly'])}{hit(worst)}).")
    if cons["hit_rate"].isna().all():
        text += " The share of quarters at quota needs quotas, which the data do not have."
    words = judged_words(cons)
    return text + (f" Judged over {words}." if words else "")


def reading_ramp(summary: dict) -> str:
    """One sentence on the typical ramp time (:func:`ramp`: the month from which the curve
    drawn, a trailing three-month mean, stays at the bar) and its interval."""
    if summary.get("no_hire_dates"):
        return ("Ramp time needs each rep's hire date, which the data do not have.")
    if not summary.get("hires"):
        return ("No hire is observed from its first months (hire dates missing or older than the "
                "data), so ramp time cannot be measured.")
    bar = f"{summary['threshold']:.0%} of a ramped rep's level"
    avg = f"New hires' {_WORDS.get(summary.get('smooth', 3), summary.get('smooth'))}-month average"
    seen = summary.get("months_observed", 0)
    if pd.isna(summary["ramp_months"]):
        return f"{avg} has not stayed at {bar} within the {seen} months of tenure observed."
    hi = summary["ramp_high"]
    high = f"{hi:.0f}" if np.isfinite(hi) else f"beyond the {seen} observed"
    m = summary["ramp_months"]
    stays = (", the last observed" if m >= seen
             else f" and stays there through month {seen}, the last observed")
    return (f"{avg} reaches {bar} at month {m:.0f} of tenure{stays} (95% interval "
            f"{summary['ramp_low']:.0f} to {high} months; {summary['hires']} hires observed "
            "from the start).")


_WORDS = {1: "one", 2: "two", 3: "three", 4: "four", 5: "five", 6: "six"}
