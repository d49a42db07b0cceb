"""The forecast page's track-record charts: past error by week and this period's forecast week
by week, readable on month, quarter and year pages (legend under the plot, dates that never
overlap, labelled axes with units)."""

from __future__ import annotations

import itertools

import matplotlib
import numpy as np
import pandas as pd
import pytest

from salesops_lib.forecast import ledger, track
from salesops_lib.periods import Period

matplotlib.use("Agg")


def trend_frame(period: str, as_of: str, origin: str = "replayed") -> pd.DataFrame:
    """The shape :func:`track.trend` returns: one row per source at each of the period's weekly
    points up to ``as_of`` (:func:`track.weekly_points`, as the page replays them)."""
    dates = [d for _, _, d in track.weekly_points(Period.parse(period), as_of)]
    rows = []
    for i, d in enumerate(dates):
        for src, v in (("timeseries", 2.2e6), ("pipeline", 2.8e6 - 1e4 * i),
                       ("blend", 2.7e6 - 8e3 * i)):
            rows.append({"week": i + 1, "as_of": d, "source": src, "value": v,
                         "lower": v * 0.7, "upper": v * 1.3, "origin": origin})
    return pd.DataFrame(rows)


def _visible_labels(fig, ax):
    fig.canvas.draw()
    r = fig.canvas.get_renderer()
    lo, hi = ax.get_xlim()
    return [(t.get_text(), t.get_window_extent(r)) for t in ax.get_xticklabels()
            if t.get_text() and t.get_visible() and lo <= t.get_position()[0] <= hi]


def _overlapping(labels):
    return [(a, b) for (a, ba), (b, bb) in itertools.combinations(labels, 2)
            if ba.x0 < bb.x1 and bb.x0 < ba.x1 and ba.y0 < bb.y1 and bb.y0 < ba.y1]


def _legend_under_everything(fig, ax):
    """The legend starts under the axes and under whatever the axes draw below them (tick
    labels, axis label), and does not reach into the plot."""
    leg = ax.get_legend()
    assert leg is not None
    fig.canvas.draw()
    r = fig.canvas.get_renderer()
    box = leg.get_window_extent(r)
    assert box.y1 <= ax.bbox.y0                                    # not on the data
    assert box.y1 <= ax.xaxis.label.get_window_extent(r).y0 + 0.5
    ticks = [t.get_window_extent(r) for t in ax.get_xticklabels() if t.get_text()]
    assert all(box.y1 <= t.y0 + 0.5 for t in ticks)
    assert box.x0 >= fig.bbox.x0 - 1 and box.x1 <= fig.bbox.x1 + 1  # not cut at the edge
    return leg


@pytest.mark.parametrize("period, as_of", [
    ("2026-10", "2026-10-31"),      # a month page: "2026-10-29" ran into "2026-11-01"
    ("2026-10", "2026-10-15"),
    ("2026-Q4", "2026-11-15"),      # the quarter in progress
    ("2026-Q3", "2026-09-30"),      # a closed quarter, replayed whole
    ("2026", "2026-11-15"),         # a year page
    ("2026-Q4", "2026-10-01"),      # the period's first day: one point
])
def test_trend_dates_never_overlap_and_legend_sits_under_the_plot(period, as_of):
    import matplotlib.pyplot as plt

    page = f"{period} as of {as_of}"
    fig = track.plot_trend(trend_frame(period, as_of), title=f"{period}: the forecast week by week")
    ax = fig.axes[0]
    labels = _visible_labels(fig, ax)
    assert len(labels) >= 1, page
    assert not _overlapping(labels), (page, [t for t, _ in labels])
    assert all(len(t) <= 6 for t, _ in labels), [t for t, _ in labels]    # "05 Oct", "Oct"
    leg = _legend_under_everything(fig, ax)
    assert {t.get_text() for t in leg.get_texts()} == {
        "Blend (replayed)", "Blend 80% range", "Pipeline (replayed)",
        "Time-series model (replayed)"}
    assert ax.get_xlabel() == "Forecast made on (date, 2026)" and "($)" in ax.get_ylabel()
    # evenly spaced ticks (the default daily ticks restart each month: 29 Oct, then 01 Nov)
    gaps = {round(b - a) for a, b in itertools.pairwise(
        [t.get_position()[0] for t in ax.get_xticklabels() if t.get_text()])}
    assert len(gaps) <= 1 or min(gaps) >= 28, (page, gaps)
    plt.close(fig)


def test_trend_dates_say_which_days_and_year():
    """A month page's ticks are the days of its weekly runs ("03 Oct", "10 Oct", ...), the
    year in the axis label; a year's are months."""
    import matplotlib.pyplot as plt

    fig = track.plot_trend(trend_frame("2026-10", "2026-10-31"))
    texts = [t for t, _ in _visible_labels(fig, fig.axes[0])]
    assert texts == ["03 Oct", "10 Oct", "17 Oct", "24 Oct", "31 Oct"]
    fig = track.plot_trend(trend_frame("2026", "2026-11-15"))
    texts = [t for t, _ in _visible_labels(fig, fig.axes[0])]
    assert 4 <= len(texts) <= 7 and set(texts) <= {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                                   "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"}
    fig = track.plot_trend(trend_frame("2025-Q4", "2026-01-20"))     # across a year's end
    assert fig.axes[0].get_xlabel() == "Forecast made on (date, 2025–2026)"
    plt.close("all")


@pytest.mark.parametrize("kind, weeks", [("month", 5), ("quarter", 13), ("year", 49)])
def test_accuracy_chart_legend_under_the_plot(kind, weeks):
    """Past error by week: its legend sat to the right of the plot."""
    import matplotlib.pyplot as plt

    w = np.arange(1, weeks + 1)
    table = pd.concat([pd.DataFrame({"source": s, "week": w, "wape": v / w})
                       for s, v in (("blend", 0.2), ("pipeline", 0.13), ("timeseries", 0.3))])
    table.attrs["kind"] = kind
    fig = ledger.plot_accuracy(table)
    ax = fig.axes[0]
    leg = _legend_under_everything(fig, ax)
    assert [t.get_text() for t in leg.get_texts()] == ["Blend", "Pipeline", "Time-series model"]
    assert not _overlapping(_visible_labels(fig, ax))
    assert f"week of the {kind}" in ax.get_xlabel().lower() and "%" in ax.get_ylabel()
    plt.close(fig)


def test_group_chart_legend_under_the_bars_and_readable():
    """The forecast-by-group legend sat inside the plot, at the top right (on the second
    bar's whisker when two groups are close), and the quota marker, 900 points wide, ran
    through its own label."""
    import matplotlib.pyplot as plt

    from salesops_lib.forecast.plots import plot_period_by_group

    frame = pd.DataFrame({"unique_id": ["Field East", "Field West"], "value": [10.0, 9.5],
                          "lower": [8.0, 7.0], "upper": [12.0, 12.5], "quota": [9.0, 11.0]})
    fig = plot_period_by_group(frame)
    ax = fig.axes[0]
    leg = _legend_under_everything(fig, ax)
    r = fig.canvas.get_renderer()
    assert [t.get_text() for t in leg.get_texts()] == ["quota", "forecast", "80% interval"]
    for handle, text in zip(leg.legend_handles, leg.get_texts()):
        assert handle.get_window_extent(r).x1 <= text.get_window_extent(r).x0, text.get_text()
    plt.close(fig)


def test_accuracy_chart_ticks_the_weeks_measured():
    """A quarter's replays are at weeks 1, 4, 7, 10 and 13 and a year's at 1, 13, ..., 49:
    the axis read 2, 4, ..., 12 and 0, 6, ..., 48 (a week 0 that does not exist)."""
    import matplotlib.pyplot as plt

    for kind, weeks in (("quarter", [1, 4, 7, 10, 13]), ("year", [1, 13, 25, 37, 49])):
        table = pd.DataFrame({"source": "blend", "week": weeks, "wape": 0.1})
        table.attrs["kind"] = kind
        fig = ledger.plot_accuracy(table)
        assert [t for t, _ in _visible_labels(fig, fig.axes[0])] == [str(w) for w in weeks]
    plt.close("all")


def test_group_chart_names_its_grouping_and_the_commit_bar_is_not_the_totals_colour(
        monkeypatch):
    """The group chart's axis read "group" (and a rep chart's title "by rep_id"); the
    pipeline waterfall drew "commit" in the blue of the forecast total."""
    from types import SimpleNamespace

    from salesops_lib.forecast import pipeline_model as P
    from salesops_lib.forecast import views as V

    frame = pd.DataFrame({"unique_id": ["A", "B"], "value": [3.0, 2.0], "lower": [2.0, 1.0],
                          "upper": [4.0, 3.0], "quota": [3.0, np.nan]})
    ol = SimpleNamespace(by="rep_id", period="2026-Q4", as_of=pd.Timestamp("2026-11-15"))
    monkeypatch.setattr(V, "groups_chart_frame", lambda o: frame)
    monkeypatch.setattr(V, "no_groups", lambda o: False)
    monkeypatch.setattr(V, "closed", lambda o: False)
    ax = V.plot_groups(ol).axes[0]
    assert ax.get_xlabel() == "Rep" and "forecast by rep vs quota" in ax.get_title(loc="left")
    comp = pd.DataFrame({"component": list(P.COMPONENTS), "value": [1.0] * len(P.COMPONENTS)})
    bars = P.plot_waterfall(comp).axes[0].patches
    colours = [tuple(round(c, 3) for c in b.get_facecolor()) for b in bars]
    assert colours[-1] not in colours[:-1]          # the total's colour is its own
