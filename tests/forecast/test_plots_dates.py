"""The forecast page's history chart labels its months as a reader says them ("Jan 2024"),
never "2024-01", and never so many that they run into each other."""

from __future__ import annotations

import itertools
import re

import matplotlib
import numpy as np
import pandas as pd
import pytest

from salesops_lib.forecast.plots import plot_forecast

matplotlib.use("Agg")


@pytest.fixture(autouse=True)
def _close():
    import matplotlib.pyplot as plt

    yield
    plt.close("all")


def _frames(ds):
    y = np.random.default_rng(0).uniform(1.5e6, 4.5e6, len(ds))
    hist = pd.DataFrame({"unique_id": "total", "ds": ds[:-2], "y": y[:-2]})
    fc = pd.DataFrame({"unique_id": "total", "ds": ds[-2:], "yhat": y[-2:], "model": "ets",
                       "yhat_lower": 0.8 * y[-2:], "yhat_upper": 1.2 * y[-2:]})
    return hist, fc


def _labels(fig):
    ax = fig.axes[0]
    fig.canvas.draw()
    r = fig.canvas.get_renderer()
    shown = [t for t in ax.get_xticklabels() if t.get_text()
             and ax.get_xlim()[0] <= t.get_position()[0] <= ax.get_xlim()[1]]
    boxes = [t.get_window_extent(r) for t in shown]
    touching = [(a, b) for a, b in itertools.combinations(boxes, 2) if a.overlaps(b)]
    return [t.get_text() for t in shown], touching


@pytest.mark.parametrize("size", [None, (5, 3.5)])
def test_three_years_of_months_read_as_month_and_year_and_never_overlap(size):
    import matplotlib.pyplot as plt

    hist, fc = _frames(pd.date_range("2024-01-01", "2026-12-01", freq="MS"))
    ax = plt.subplots(figsize=size)[1] if size else None
    labels, touching = _labels(plot_forecast(hist, fc, ax=ax))
    assert labels and all(re.fullmatch(r"(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) "
                                       r"20\d\d", t) for t in labels), labels
    assert "Jan 2025" in labels and not touching
    assert 3 <= len(labels) <= 8


def test_a_year_of_months_is_labelled_each_quarter_or_closer():
    hist, fc = _frames(pd.date_range("2026-01-01", "2026-12-01", freq="MS"))
    labels, touching = _labels(plot_forecast(hist, fc))
    assert {"Jan 2026", "Apr 2026", "Jul 2026", "Oct 2026"} <= set(labels) and not touching


def test_a_few_weeks_are_labelled_with_their_days():
    hist, fc = _frames(pd.date_range("2026-09-07", periods=8, freq="W-MON"))
    labels, touching = _labels(plot_forecast(hist, fc))
    assert labels[0] == "07 Sep 2026" and not touching
    assert all(re.fullmatch(r"\d\d [A-Z][a-z]{2} 20\d\d", t) for t in labels), labels
