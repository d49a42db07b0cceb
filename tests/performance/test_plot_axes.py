"""Chart axes of the rep-performance page read as whole reps and dollars."""

from __future__ import annotations

import matplotlib.pyplot as plt

from salesops_lib import load_dataset
from salesops_lib import performance as perf


def test_attainment_histogram_counts_whole_reps():
    ds = load_dataset("sample:accounts=600,reps=8,seed=3")
    fig = perf.plot_attainment(perf.scorecard(ds, "2026-Q3"))
    fig.canvas.draw()
    ticks = [t.get_text() for t in fig.axes[0].get_yticklabels() if t.get_text()]
    assert ticks and all(t.lstrip("−-").isdigit() for t in ticks), ticks   # not 0.25, 0.50
    plt.close(fig)


def test_bookings_axes_say_dollars_as_every_other_chart():
    import inspect

    from salesops_lib.performance import plots

    assert "(USD)" not in inspect.getsource(plots)
