"""The pipeline walk's colours say what each step means, as on every other page: won is good
news (green, as bookings are), lost and pushed out bad news (red)."""

from __future__ import annotations

import matplotlib
import matplotlib.colors as mcolors
import pandas as pd
import pytest

from salesops_lib import pipeline, viz
from salesops_lib.pipeline.waterfall import ORDER

matplotlib.use("Agg")


@pytest.fixture(autouse=True)
def _close():
    import matplotlib.pyplot as plt

    yield
    plt.close("all")


def _walk(**moves) -> pd.DataFrame:
    amounts = dict.fromkeys(ORDER, 0.0) | {"start": 15.8e6} | moves
    amounts["end"] = 0.0
    amounts["end"] = sum(amounts.values())
    return pd.DataFrame({"bucket": list(ORDER), "amount": [amounts[b] for b in ORDER]})


def _bar_colors(fig) -> dict[str, str]:
    """Each bar's step name (its tick label) and its colour as #rrggbb."""
    ax = fig.axes[0]
    names = [t.get_text() for t in ax.get_xticklabels()]
    bars = [p for p in ax.patches if p.get_width() > 0]
    assert len(bars) == len(names)
    return {n: mcolors.to_hex(b.get_facecolor()).upper() for n, b in zip(names, bars)}


def test_won_is_drawn_as_good_news_not_in_the_bad_red():
    """Won left the pipeline, so it was drawn like lost, in the palette's "bad" red."""
    fig = pipeline.plot_waterfall(_walk(created=5.7e6, won=-4.1e6, lost=-4.9e6,
                                        **{"pushed out": -660_800, "amount down": -211_900}))
    c = _bar_colors(fig)
    good, bad = viz.COLORS["good"].upper(), viz.COLORS["bad"].upper()
    assert c["Won"] == good != bad
    assert c["Lost"] == c["Pushed out"] == c["Amount down"] == bad
    assert c["Created"] == good
    assert c["Start"] == c["End"] == viz.COLORS["primary"].upper()


def test_walk_legend_names_only_the_colours_drawn_and_sits_under_the_chart():
    fig = pipeline.plot_waterfall(_walk(won=-4.1e6, **{"moved in": 150_000}))
    ax = fig.axes[0]
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert labels == [pipeline.plots.WALK_LEGEND["neutral"], pipeline.plots.WALK_LEGEND["good"]]
    assert not any("bad news" in t for t in labels)          # nothing lost: no red entry
    fig.canvas.draw()
    r = fig.canvas.get_renderer()
    assert ax.get_legend().get_window_extent(r).y1 < ax.xaxis.label.get_window_extent(r).y0
