import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest

from salesops_lib import viz
from salesops_lib.secrets import mask_text, mask_url, url_password


def test_number_formats():
    assert viz.money(1_234_567) == "$1.2M"
    assert viz.money(12_500) == "$12.5k"
    assert viz.money(950) == "$950"
    assert viz.money(-2_500_000_000) == "-$2.5B"
    assert viz.money(float("nan")) == "–"
    assert viz.pct(0.342) == "34%" and viz.pct(0.3456, 1) == "34.6%"
    assert viz.signed_pct(0.12) == "+12%" and viz.signed_pct(-0.05) == "-5%"
    # $32.3M against $32.4M used to read "-0%"
    assert viz.signed_pct(-0.003) == "-0.3%" and viz.signed_pct(0.0) == "0%"
    assert viz.signed_pct(0.0004) == "0%" and viz.signed_pct(0.004, 1) == "+0.4%"
    assert viz.num(12345) == "12,345" and viz.days(41.6) == "42 days"


def test_table_and_cards_escape_crm_text():
    df = pd.DataFrame({"account": ["<script>alert(1)</script>"], "amount": [1500.0]})
    out = viz.table(df, {"amount": "money"}).to_html()
    assert "<script>alert(1)</script>" not in out and "&lt;script&gt;" in out and "$1.5k" in out
    card = viz.kpis([("<b>x</b>", "$1", None)]).data
    assert "<b>x</b>" not in card and "&lt;b&gt;" in card


def test_color_map_is_stable():
    a = viz.color_map(["West", "East", "Central"])
    assert a == viz.color_map(["Central", "West", "East", "East"])
    assert len(set(a.values())) == 3


def test_secret_masking(monkeypatch):
    url = "postgresql://ann:p%40ss@db.internal:5432/crm"
    assert mask_url(url) == "postgresql://ann:***@db.internal:5432/crm"
    assert url_password(url) == "p@ss"
    assert url_password("duckdb:///x.duckdb") is None
    monkeypatch.setenv("CRM_API_TOKEN", "tok-123456")
    assert mask_text("token is tok-123456") == "token is ***"


def test_headers_are_readable():
    assert viz.header("win_rate_low") == "Win rate low"
    assert viz.header("cv_monthly") == "CV monthly"
    assert viz.header("rep_id") == "Rep ID"
    assert viz.header("Open pipeline") == "Open pipeline"
    # lower-case names with spaces, set by a caller, start with a capital too
    assert viz.header("final result") == "Final result"
    assert viz.header("change at +10%") == "Change at +10%"
    html = viz.table(pd.DataFrame({"avg_deal_size": [1.0], "Team": ["<b>"]})).to_html()
    assert "Avg deal size" in html and "&lt;b&gt;" in html


def test_column_labels_from_crm_are_escaped():
    html = viz.table(pd.DataFrame({"<i>Team</i>": [1]})).to_html()
    assert "<i>Team</i>" not in html and "&lt;i&gt;Team&lt;/i&gt;" in html


def test_with_total_sums_and_recomputes_ratios():
    df = pd.DataFrame({"team": ["A", "B"], "bookings": [30.0, 10.0], "quota": [60.0, 20.0],
                       "won": [3, 1], "attainment": [0.5, 0.5], "cycle": [10.0, 30.0]})
    t = viz.with_total(df, "team", "All", sums=["bookings", "quota", "won"],
                       ratios={"attainment": ("bookings", "quota")})
    last = t.iloc[-1]
    assert last["team"] == "All" and last["bookings"] == 40 and last["won"] == 4
    assert last["attainment"] == 0.5 and pd.isna(last["cycle"])
    assert len(df) == 2                                  # input untouched


def test_rag_thresholds():
    assert [viz.rag(x, 3, 2) for x in (3.0, 2.5, 0.4, float("nan"))] == [
        "green", "amber", "red", None]


def test_kpis_mark_their_cards_and_show_status():
    card = viz.kpis([("Coverage", "0.4×", "low", "red"), ("Win rate", "41%", None)])
    assert card.metadata[viz.KPI_MARK] == [["Coverage", "0.4×", "low"], ["Win rate", "41%", None]]
    assert 'data-salesops="kpis"' in card.data and "at risk" in card.data


def test_figure_title_and_legend_below():
    fig, ax = viz.figure("Bookings by team", "Team", "Bookings (USD)")
    ax.plot([0, 1], [0, 1], label="this year")
    leg = viz.legend_below(ax)
    assert viz.figure_title(fig) == "Bookings by team"
    # the legend sits under the axes (its anchor is below y = 0 of the axes)
    assert leg.get_bbox_to_anchor().transformed(ax.transAxes.inverted()).y0 < 0
    fig.suptitle("Overall")
    assert viz.figure_title(fig) == "Overall"


def test_legend_below_clears_tick_labels_of_several_lines():
    """Names wrapped on three lines pushed the axis label into a legend placed a fixed
    distance down; the legend now starts under everything the axes draw below them."""
    fig, ax = viz.figure("Bookings by team", "Team", "Bookings ($)")
    ax.bar([0, 1], [1, 2], label="this year")
    ax.set_xticks([0, 1], ["Field\n<b>East</b>\n$100%", "West"])
    leg = viz.legend_below(ax)
    r = fig.canvas.get_renderer()
    fig.canvas.draw()
    top = leg.get_window_extent(r).y1
    assert top <= ax.xaxis.label.get_window_extent(r).y0
    assert top <= min(t.get_window_extent(r).y0 for t in ax.get_xticklabels())


def test_legend_right_sits_beside_the_axes_and_skips_unlabelled():
    _, ax = viz.figure("Deals by motion", "Motion", "Deals")
    ax.bar([0, 1], [3, 4])
    assert viz.legend_right(ax) is None
    ax.bar([0, 1], [1, 2], label="won")
    leg = viz.legend_right(ax)
    # anchored at the right edge of the axes: x = 1 in axes coordinates
    assert leg.get_bbox_to_anchor().transformed(ax.transAxes.inverted()).x0 == pytest.approx(1.0)


def test_table_totals_row_and_rag_cells():
    df = pd.DataFrame({"team": ["A", "All"], "coverage": [0.4, 3.5]})
    html = viz.table(df, total=True, rag_cols={"coverage": pd.Series(["red", "green"])}).to_html()
    assert "background: #FBE1E1" in html and "background: #E3F1E4" in html
    assert "border-top: 2px solid #333" in html


def test_counts_agree_with_their_noun_and_verb():
    assert [viz.count(n, "deal") for n in (0, 1, 2, 1234)] == \
        ["0 deals", "1 deal", "2 deals", "1,234 deals"]
    assert [viz.count(n, "rep", "win", zero="no") for n in (0, 1, 3)] == \
        ["no rep wins", "1 rep wins", "3 reps win"]
    assert viz.count(1, "deal", "have") == "1 deal has" and viz.count(4, "deal", "have") == "4 deals have"
    assert viz.count(1, "rep", "booked") == "1 rep booked"
    assert viz.count(2, "opportunity", plural="opportunities") == "2 opportunities"


def test_money_ticks_state_each_value_exactly():
    assert [viz.money_tick(v) for v in (0, 500_000, 750_000, 1_000_000, 1_250_000, 1.75e6,
                                        2.5e9, 950, -1.5e6)] == [
        "$0", "$500k", "$750k", "$1M", "$1.25M", "$1.75M", "$2.5B", "$950", "-$1.5M"]
    # tick positions a little off their round value still read as the round value
    assert viz.money_tick(1_250_000.0000001) == "$1.25M"
    fig, ax = plt.subplots()
    ax.plot([0, 1], [0, 2_000_000])
    ax.set_yticks([0, 250_000, 500_000, 1_250_000])
    viz.money_axis(ax)
    fig.canvas.draw()
    assert [t.get_text() for t in ax.get_yticklabels()] == ["$0", "$250k", "$500k", "$1.25M"]


def test_possessive_agrees_with_the_count():
    assert [viz.its(n) for n in (0, 1, 2)] == ["their", "its", "their"]
    assert f"{viz.count(1, 'deal', 'have')} no history: {viz.its(1)} state" == (
        "1 deal has no history: its state")


def test_axis_labels_start_with_a_capital_on_every_page():
    _, ax = viz.figure("Bookings: history and forecast", "period start (date)", "bookings ($)")
    assert (ax.get_xlabel(), ax.get_ylabel()) == ("Period start (date)", "Bookings ($)")
    _, ax = viz.figure("Map", "", "")
    assert ax.get_xlabel() == ""


def _fonts_installed() -> None:
    """The fallback fonts are Debian packages that ``.ci/run`` installs: under CI a missing
    one fails the test, elsewhere it is skipped."""
    import os

    import pytest

    from .conftest import in_ci

    missing = [n for n, p in viz.FALLBACK_FONTS.items() if not os.path.exists(p)]
    if missing:
        msg = f"fonts not installed: {', '.join(missing)} (.ci/run installs them)"
        if in_ci():
            pytest.fail(msg, pytrace=False)
        pytest.skip(msg)


def test_cjk_and_emoji_names_draw_without_empty_boxes_or_log_lines(caplog):
    import io
    import logging
    import warnings

    _fonts_installed()
    assert viz.font_family()[0] == "DejaVu Sans" and len(viz.font_family()) == 3
    names = ["東京 Ventas ☃ 🚀", "株式会社テスト", "Café ☕ 🚀", "😀 Emoji {rep} ^_^"]
    with warnings.catch_warnings(record=True) as caught, caplog.at_level(logging.INFO):
        warnings.simplefilter("always")
        fig, ax = viz.figure("Bookings by team: 東京 🚀", "Team", "Bookings ($)")
        ax.bar(range(4), [1, 2, 3, 4])
        ax.set_xticks(range(4), names)
        fig.savefig(io.BytesIO(), format="png")
    # matplotlib warns "Glyph ... missing from font(s)" for a character no font has
    assert not [w for w in caught if "missing from" in str(w.message)]
    assert not [r for r in caplog.records if r.name.startswith("matplotlib.font_manager")
                and r.levelno >= logging.WARNING]


def test_long_category_names_wrap_instead_of_overlapping():
    """Team names with markup and symbols ran into each other under the bars."""
    _, ax = viz.figure("Bookings by team", "Team", "Bookings ($)")
    ax.bar(range(3), [1, 2, 3])
    viz.category_ticks(ax, range(3), ["Field $West 100% 🚀", "<b>Inside</b> & East_^", "East"])
    labels = [t.get_text() for t in ax.get_xticklabels()]
    assert labels == ["Field $West\n100% 🚀", "<b>Inside</b>\n& East_^", "East"]
    assert all(len(line) <= 14 for t in labels for line in t.split("\n"))


def test_stage_and_segment_names_wrap_under_their_bars():
    """CRM stage names and account segments are the customer's words: long ones stack
    under their bar instead of running into the next."""
    from salesops_lib import pipeline, strategy

    norms = pd.DataFrame({"stage": ["Negotiation / Review 💬", "Qualify"],
                          "median_days": [30.0, 10.0], "p75_days": [50.0, 20.0],
                          "stall": [True, False]})
    ticks = [t.get_text() for t in pipeline.plot_stage_days(norms).axes[0].get_xticklabels()]
    assert ticks == ["Negotiation /\nReview 💬\n(stalls here)", "Qualify"]
    rec = pd.DataFrame({"segment": ["Mid-Market $50k+ <b>100%</b>", "SMB"],
                        "field_per_hour": [10.0, 5.0], "field_low": [8.0, 4.0],
                        "field_high": [12.0, 6.0], "inside_per_hour": [7.0, 6.0],
                        "inside_low": [6.0, 5.0], "inside_high": [8.0, 7.0]})
    rec.attrs.update(by="segment", motions=("field", "inside"))
    ticks = [t.get_text() for t in strategy.plot_segment_contribution(rec).axes[0].get_xticklabels()]
    assert ticks[1] == "SMB" and all(len(x) <= 14 for x in ticks[0].split("\n"))
    assert "\n" in ticks[0]
    plt.close("all")


def test_percent_ticks_never_repeat_and_keep_whole_steps():
    import matplotlib.pyplot as plt

    for lo, hi in [(0.30, 0.48), (0.301, 0.306), (0.0, 1.0)]:
        fig, ax = plt.subplots()
        ax.set_ylim(lo, hi)
        viz.pct_axis(ax)
        fig.canvas.draw()
        labels = [t.get_text() for t in ax.get_yticklabels() if t.get_text()]
        assert len(labels) == len(set(labels)) > 1, labels
        plt.close(fig)
    fig, ax = plt.subplots()
    ax.set_ylim(0.30, 0.48)
    viz.pct_axis(ax)
    fig.canvas.draw()
    # 2.5-point steps used to print 30%, 32%, 35%, 38%: uneven labels for even spacing
    steps = np.diff([float(t.get_text().rstrip("%")) for t in ax.get_yticklabels() if t.get_text()])
    assert np.allclose(steps, steps[0]) and steps[0] in (1, 2, 5)
    plt.close(fig)


def test_long_names_are_cut_short_in_charts():
    long = "Alexandra " * 15
    assert viz.wrap_label(long, 32, 1).endswith("…") and len(viz.wrap_label(long, 32, 1)) <= 32
    assert viz.wrap_label("Mei Garcia", 32, 1) == "Mei Garcia"
    under = viz.wrap_label(long, 14)
    assert under.count("\n") == 2 and under.endswith("…")
    assert viz.wrap_label("Field West", 14) == "Field West"


def test_a_name_cut_beside_a_bar_keeps_what_tells_reps_apart():
    """Two reps named alike with long team names read the same once cut at the end."""
    east = "Elena Larsen (Field <b>East</b> $100% 🚀)"
    west = "Elena Larsen (Field <b>West</b> $100% 🎯)"
    a, b = (viz.wrap_label(t, viz.NAME_WIDTH, 1) for t in (east, west))
    assert a != b and len(a) == len(b) == viz.NAME_WIDTH
    assert a.startswith("Elena Larsen (") and a.endswith("$100% 🚀)") and "…" in a
    assert viz.wrap_label("Elena Larsen (Field West)", viz.NAME_WIDTH, 1) == \
        "Elena Larsen (Field West)"                                   # short: whole
    assert viz.wrap_label("A very long rep name without any suffix at all here",
                          viz.NAME_WIDTH, 1) == "A very long rep name without an…"


def test_the_first_six_category_colours_are_told_apart():
    """Six teams: two teams once drew in orange and vermillion and looked alike in the
    scatters. No two of the first six colours are close in RGB."""
    from itertools import combinations

    from salesops_lib import viz

    rgb = [tuple(int(c[i:i + 2], 16) for i in (1, 3, 5)) for c in viz.PALETTE[:6]]
    closest = min(sum((x - y) ** 2 for x, y in zip(a, b)) ** 0.5 for a, b in combinations(rgb, 2))
    assert closest > 80


def test_orange_means_a_target_only():
    """A quota line drawn across team-coloured dots must not share the colour of a team
    (it was the second category colour), nor of a forecast source."""
    from salesops_lib import viz

    assert viz.COLORS["target"] not in viz.PALETTE
    assert viz.COLORS["target"] not in viz.SOURCE_COLORS.values()


def test_money_apart_shows_a_near_miss_with_the_decimals_that_part_it():
    """$6,870,800 under a lower bound of $6,872,480 reads $6.871M against $6.872M (3 decimals);
    a result inside its range, or far outside, keeps one decimal."""
    assert viz.money_apart(6_870_800, 6_872_480, 9.2e6) == 3
    assert viz.money_apart(9_204_000, 6.9e6, 9_201_000) == 3      # above: the upper bound
    assert viz.money_apart(9_250_000, 6.9e6, 9_240_000) == 2
    assert viz.money_apart(8.0e6, 6.9e6, 9.2e6) == 1
    assert viz.money_apart(5.0e6, 6.9e6, 9.2e6) == 1
    assert viz.money_apart(6.9e6, 6.9e6, 9.2e6) == 1                # on the bound is inside
    assert viz.money_apart(6_900_001, 6_900_002, 9.2e6) == 4        # no decimals part them
