"""Charts of time-series forecasts: history with the forecast band, period totals by group."""

from __future__ import annotations

import numpy as np
import pandas as pd

from .. import viz
from .models import model_label


def plot_forecast(history: pd.DataFrame, fc: pd.DataFrame, ax=None, *,
                  title: str = "Bookings: history and forecast", ylabel: str = "bookings ($)",
                  level: float = 80, actual: pd.DataFrame | None = None):
    """History (``unique_id``, ``ds``, ``y``) and forecast with its interval band.

    One line per series; the forecast is dashed, the interval shaded (a one-step forecast: a
    point with whiskers, a band one step wide is invisible); ``actual`` (same
    columns as the history), what was booked in the forecast's steps, as markers. Returns
    the figure.
    """
    fig, ax = viz.figure(title, "period start (date)", ylabel, ax=ax)
    colors = viz.color_map(history["unique_id"])
    for uid, h in history.groupby("unique_id"):
        c = colors.get(str(uid), viz.COLORS["primary"])
        name = str(uid).capitalize() if str(uid) == "total" else str(uid)
        ax.plot(h["ds"], h["y"], color=c, lw=1.6, label=f"{name}, actual")
        f = fc[fc["unique_id"] == uid]
        if len(f) == 1:     # one step (a month's last weeks): a point and its whiskers
            v = f[["yhat", "yhat_lower", "yhat_upper"]].to_numpy(float)
            ax.errorbar(f["ds"].to_numpy(), v[:, 0], yerr=[v[:, 0] - v[:, 1], v[:, 2] - v[:, 0]],
                        fmt="D", color=c, ms=7, capsize=6, lw=1.8,
                        label=f"{name}, forecast: {model_label(f['model'].iloc[0])} "
                              f"({level:g}% interval)")
        elif len(f):
            ax.plot(f["ds"], f["yhat"], color=c, lw=1.8, ls="--",
                    label=f"{name}, forecast: {model_label(f['model'].iloc[0])}")
            ax.fill_between(f["ds"], f["yhat_lower"], f["yhat_upper"], color=c, alpha=0.18,
                            label=f"{level:g}% interval")
        a = actual[actual["unique_id"] == uid] if actual is not None else None
        if a is not None and len(a):
            ax.plot(a["ds"], a["y"], color=c, ls="none", marker="o", ms=6,
                    label=f"{name}, booked after the forecast")
    viz.money_axis(ax)
    date_ticks(ax, pd.concat([history["ds"], fc["ds"]]))
    viz.legend_below(ax, ncols=3)
    return fig


def date_ticks(ax, dates) -> None:
    """Readable dates on the x axis of a history: "Jan 2024" on the first of a month, every
    1, 3 or 6 months (quarters start in January, April, July and October) or every so many
    years, so that the labels (0.7 inch each) are 0.85 inch apart or more, whatever the
    axes' width; a history shorter than three months: "07 Sep 2026" on the first date's weekday,
    every so many weeks (1.2 inch apart or more)."""
    import math

    import matplotlib.dates as mdates

    d = pd.to_datetime(pd.Series(list(dates))).dropna()
    if not len(d):
        return
    lo, hi = d.min(), d.max()
    inches = ax.get_position().width * ax.figure.get_figwidth()
    fit = max(2, int(inches / 0.85))            # "Jan 2024" labels that fit
    months = (hi.year - lo.year) * 12 + hi.month - lo.month
    step = next((k for k in (1, 3, 6) if months // k + 1 <= fit), None)
    if months < 3:      # weekly points: ticks on their weekday, every so many weeks
        weeks = max((hi - lo).days // 7, 1)
        fit = max(2, int(inches / 1.2))         # "07 Sep 2026" is longer
        loc = mdates.WeekdayLocator(byweekday=lo.weekday(), interval=-(-(weeks + 1) // fit))
        minor, fmt = mdates.WeekdayLocator(byweekday=lo.weekday()), "%d %b %Y"
    else:
        loc = (mdates.MonthLocator(bymonth=range(1, 13, step)) if step else
               mdates.YearLocator(max(1, math.ceil(months / 12 / (fit - 1)))))
        minor, fmt = mdates.MonthLocator(), "%b %Y"
    ax.xaxis.set_major_locator(loc)
    ax.xaxis.set_major_formatter(mdates.DateFormatter(fmt))
    ax.xaxis.set_minor_locator(minor)


def plot_period_by_group(frame: pd.DataFrame, ax=None, *, title: str = "Forecast by team",
                         ylabel: str = "bookings in period ($)", xlabel: str = "Team"):
    """Bars of ``value`` per ``unique_id`` with ``lower``–``upper`` whiskers and ``quota`` ticks;
    with up to eight groups their names wrap under the bars (:func:`viz.category_ticks`), with
    more they are slanted."""
    fig, ax = viz.figure(title, xlabel, ylabel, ax=ax)
    f = frame.sort_values("value", ascending=False).reset_index(drop=True)
    x = np.arange(len(f))
    ax.bar(x, f["value"], color=viz.COLORS["primary"], alpha=0.85, label="forecast")
    ax.errorbar(x, f["value"], yerr=[f["value"] - f["lower"], f["upper"] - f["value"]],
                fmt="none", ecolor="#333333", capsize=4, lw=1.2, label="80% interval")
    if "quota" in f and f["quota"].notna().any():
        # a tick across each bar (a line in the legend too: the scatter's 900-point marker
        # ran through its own legend label)
        q = f["quota"].notna().to_numpy()
        ax.hlines(f.loc[q, "quota"], x[q] - 0.3, x[q] + 0.3, color=viz.COLORS["target"], lw=3,
                  label="quota", zorder=3)
    if len(f) > 8:      # many groups (reps): slanted names, each under its own bar
        ax.set_xticks(x, f["unique_id"].astype(str), rotation=30, ha="right")
    else:               # a few: long names (teams) wrap onto lines under their bar
        viz.category_ticks(ax, x, f["unique_id"].astype(str))
    viz.money_axis(ax)
    viz.legend_below(ax, ncols=3)         # under the names, never on the bars
    return fig
