"""The forecast's track record and its movement: past accuracy, this period's week-by-week
trend, and what changed since last week.

* :func:`record` keeps this run's numbers in the forecast ledger beside the reports and
  returns the ledger (through :func:`salesops_lib.forecast.ledger.append` / ``ledger.read``);
* :func:`accuracy` / :func:`summary` score ended periods' forecasts against actuals;
* :func:`trend` is the period's forecast week by week: the ledger's runs where there are
  some, otherwise the weeks of the period so far replayed with the data known then
  (``origin`` says which);
* :func:`bridge` explains the change since last week: from last week's blend to this week's,
  step by step (deals won, each forecast category, the run-rate, the time-series model).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from .. import viz
from ..periods import Period
from . import ledger
from .pipeline_model import COMPONENTS

LEDGER_COLUMNS = ["period", "source", "as_of", "value", "lower", "upper"]


def record(rows: pd.DataFrame, data: str | None = None) -> pd.DataFrame:
    """Keep this run's forecast ``rows`` in the ledger and return the ledger of ``data``'s
    source (:func:`salesops_lib.forecast.ledger.record`): written only inside a
    ``salesops report`` run, published with the reports when the notebook succeeds."""
    return ledger.record(rows, data=data)


# forecast accuracy has one definition, the ledger's (week of the period, error, APE, inside)
accuracy = ledger.accuracy
summary = ledger.summary
plot_accuracy = ledger.plot_accuracy


def weekly_points(period: Period, as_of) -> list[tuple[Period, int, pd.Timestamp]]:
    """``(period, week, as_of)`` every seven days back from ``as_of`` to the period's start
    (the start itself first), so the last two are a week apart."""
    as_of = pd.Timestamp(as_of).normalize()
    dates = [as_of - pd.Timedelta(days=7 * k) for k in range(60)
             if as_of - pd.Timedelta(days=7 * k) >= period.start]
    if not dates or dates[-1] > period.start:
        dates.append(period.start)
    return [(period, int((d - period.start).days // 7 + 1), d) for d in sorted(dates)]


@dataclass(frozen=True)
class Trend:
    """:func:`trend`'s result: ``frame`` (what the chart shows: ``week``, ``as_of``,
    ``source``, ``value``, ``lower``, ``upper``, ``origin``), ``replayed`` (the weeks
    replayed with the data known then, same columns) and ``plans`` (the replayed pipeline
    forecast per as-of date)."""

    frame: pd.DataFrame
    replayed: pd.DataFrame
    plans: dict


def trend(ds, ol, recorded: pd.DataFrame | None = None) -> Trend:
    """This period's forecast week by week, with the pipeline forecasts behind the last two.

    From the ledger's ``recorded`` runs of ``ol.period`` (the last run of each week, then
    ``origin`` = ``ledger``) when there are at least two weeks of them; otherwise each week of
    the period so far replayed with only the data known at its start (``origin`` =
    ``replayed``), blended with today's weights.

    Returns
    -------
    Trend
    """
    from .blend import blend_interval, replay_blend, week_scale

    p = Period.parse(ol.period, ds.fiscal_start_month)
    plan = weekly_points(p, ol.settings.get("trend_to", ol.as_of))
    st = ol.settings
    past, _, plans, _ = replay_blend(ds, p, granularity=st["granularity"], model=st["model"],
                             periods_back=0, weeks=(), level=ol.level, seed=st["seed"],
                             n_jobs=st["n_jobs"], scheduler=st["scheduler"], plan=plan,
                             corr=st["correlation"], pipe_factor=st["pipeline_factor"])
    w = ol.weights
    wide = past.pivot_table(index=["week", "as_of"], columns="source", values="value")
    rows = [past[["week", "as_of", "source", "value", "lower", "upper"]]]
    track = ol.past[ol.past["source"] == "blend"] if len(ol.past) else ol.past
    for (wk, a), r in wide.iterrows():
        v = float(w["timeseries"] * r["timeseries"] + w["pipeline"] * r["pipeline"])
        sub = past[past["as_of"] == a].set_index("source")
        # never below what the period had booked that day (as the live range)
        booked = float(plans[a].summary["closed"].sum()) if a in plans else 0.0
        lo, hi, _ = blend_interval(v, sub["lower"].to_dict(), sub["upper"].to_dict(), track,
                                   wk, ol.level, near_weeks=3 * week_scale(p), floor=booked)
        rows.append(pd.DataFrame([{"week": wk, "as_of": a, "source": "blend", "value": v,
                                   "lower": lo, "upper": hi}]))
    out = pd.concat(rows, ignore_index=True).assign(origin="replayed")
    out = out.sort_values(["as_of", "source"]).reset_index(drop=True)
    replayed = out
    if recorded is not None and len(recorded):
        led = recorded[recorded["period"] == ol.period].copy()
        if len(led):
            led["as_of"] = pd.to_datetime(led["as_of"])
            led["week"] = ((led["as_of"] - p.start).dt.days // 7 + 1).astype(int)
            led = led.sort_values("as_of").groupby(["week", "source"]).tail(1)
            if led["week"].nunique() >= 2:
                out = led[["week", "as_of", "source", "value", "lower", "upper"]].assign(
                    origin="ledger")
    return Trend(out.sort_values(["as_of", "source"]).reset_index(drop=True), replayed, plans)


def bridge(tr: Trend, weights: pd.Series) -> pd.DataFrame:
    r"""From last week's blended forecast to this week's, step by step.

    With this week's weights :math:`w` (from a :func:`trend` frame and its pipeline
    replays), the blend moves by
    :math:`w_{ts}\Delta F_{ts} + w_{pl}\sum_c \Delta F_{pl,c}` over the pipeline's components
    ``c`` (deals won, commit, best case, other pipeline, run-rate). Returns ``step``,
    ``amount``: the first and last rows are the two levels, the rows between the changes,
    which add up exactly.
    """
    plans = tr.plans
    dates = sorted(plans)
    if len(dates) < 2:
        return pd.DataFrame(columns=["step", "amount"])
    d0, d1 = dates[-2], dates[-1]
    tsv = tr.replayed[tr.replayed["source"] == "timeseries"].set_index("as_of")["value"]
    ca = plans[d0].components.groupby("component")["value"].sum().reindex(COMPONENTS).fillna(0)
    cb = plans[d1].components.groupby("component")["value"].sum().reindex(COMPONENTS).fillna(0)
    wt, wp = float(weights["timeseries"]), float(weights["pipeline"])
    start = wt * float(tsv.get(d0, np.nan)) + wp * float(ca.sum())
    steps = [(f"last week ({d0:%d %b})", start)]
    names = {"closed": "deals won", "commit": "commit deals", "best case": "best-case deals",
             "pipeline": "other pipeline", "run-rate": "deals not yet created"}
    for c in COMPONENTS:
        steps.append((names[c], wp * float(cb[c] - ca[c])))
    steps.append(("time-series model", wt * float(tsv.get(d1, np.nan) - tsv.get(d0, np.nan))))
    steps.append((f"this week ({d1:%d %b})", wt * float(tsv.get(d1, np.nan)) + wp * float(cb.sum())))
    return pd.DataFrame(steps, columns=["step", "amount"])


def date_axis(ax, dates, label: str = "forecast made on") -> None:
    """Date ticks on the x axis that never run into each other, whatever the span of
    ``dates`` (a month's five weekly runs or a year's fifty), evenly spaced: each week
    ("08 Oct", on the weekday of the latest date, so on the points) up to eight weeks, every
    other week up to sixteen, else months ("Mar") at most seven; the year(s) in the axis
    label ("Forecast made on (date, 2026)"). One date: a fortnight's axis around it."""
    import math

    import matplotlib.dates as mdates

    d = pd.DatetimeIndex(pd.to_datetime(pd.Series(list(dates))).dropna().unique()).sort_values()
    if not len(d):
        return
    lo, hi = d[0], d[-1]
    span = (hi - lo).days
    if span < 7:
        ax.set_xlim(lo - pd.Timedelta(days=7), hi + pd.Timedelta(days=7))
    if span <= 16 * 7:
        loc = mdates.WeekdayLocator(byweekday=hi.weekday(), interval=1 if span <= 8 * 7 else 2)
        fmt = "%d %b"
    else:
        loc = mdates.MonthLocator(interval=max(1, math.ceil(span / 30.4 / 6)))
        fmt = "%b"
    ax.xaxis.set_major_locator(loc)
    ax.xaxis.set_major_formatter(mdates.DateFormatter(fmt))
    years = sorted({lo.year, hi.year})
    ax.set_xlabel(f"{label[:1].upper() + label[1:]} (date, {'–'.join(map(str, years))})")


def plot_trend(frame: pd.DataFrame, ax=None, *, title: str = "This period's forecast, week by week"):
    """Line per source of ``value`` by ``as_of`` with the blend's range shaded; the origin
    (ledger or replayed) is named in the legend, under the plot; dates on the x axis read
    on a month, quarter or year page alike (:func:`date_axis`)."""
    origin = frame["origin"].iloc[0] if len(frame) else "replayed"
    fig, ax = viz.figure(title, "forecast made on (date)", "bookings forecast for the period ($)",
                         ax=ax)
    colors = viz.SOURCE_COLORS
    label = ledger.SOURCE_NAMES
    for src, t in frame.groupby("source"):
        t = t.sort_values("as_of")
        ax.plot(t["as_of"], t["value"], marker="o", lw=2.2 if src == "blend" else 1.4,
                color=colors.get(src), label=f"{label.get(src, src)} ({origin})")
        if src == "blend" and len(t) == 1:      # the period's first day: whiskers, not a band
            v = t[["value", "lower", "upper"]].to_numpy(float)
            ax.errorbar(t["as_of"], v[:, 0], yerr=[v[:, 0] - v[:, 1], v[:, 2] - v[:, 0]],
                        fmt="none", ecolor=colors["blend"], alpha=0.5, capsize=6,
                        label="Blend 80% range")
        elif src == "blend":
            ax.fill_between(t["as_of"], t["lower"], t["upper"], color=colors["blend"],
                            alpha=0.15, label="Blend 80% range")
    viz.money_axis(ax)
    date_axis(ax, frame["as_of"])
    viz.legend_below(ax, ncols=2)
    return fig
