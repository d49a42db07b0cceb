"""Forecast page pieces: model names and chart legends a VP can read."""


def test_model_names_on_pages_are_words_not_identifiers():
    from salesops_lib.forecast.models import model_label

    assert model_label("snaive+prophet") == "seasonal naive + Prophet"
    assert model_label("prophet_default") == "default Prophet"
    assert model_label("mystery") == "mystery"


def test_forecast_chart_legend_is_below_the_axes_and_names_models():
    import matplotlib
    import pandas as pd

    from salesops_lib.forecast.plots import plot_forecast

    matplotlib.use("Agg")
    ds = pd.date_range("2026-01-01", periods=4, freq="MS")
    hist = pd.DataFrame({"unique_id": "total", "ds": ds[:3], "y": [1.0, 2.0, 3.0]})
    fc = pd.DataFrame({"unique_id": "total", "ds": ds[3:], "yhat": [3.5], "yhat_lower": [3.0],
                       "yhat_upper": [4.0], "model": ["snaive+prophet"]})
    ax = plot_forecast(hist, fc).axes[0]
    leg = ax.get_legend()
    labels = [t.get_text() for t in leg.get_texts()]
    assert "Total, actual" in labels       # one step: a point with whiskers, the level named
    assert "Total, forecast: seasonal naive + Prophet (80% interval)" in labels
    assert leg.get_bbox_to_anchor().transformed(ax.transAxes.inverted()).y0 < 0


def test_total_coverage_sentence_counts_overlapping_windows():
    from types import SimpleNamespace

    import pandas as pd

    from salesops_lib.forecast.views import total_coverage

    # 12 quarter totals judged a month apart, 9 inside: 3-month windows overlap, so 4 cases
    t = pd.DataFrame({"covered": [True] * 9 + [False] * 3, "n_windows": 6, "steps": 3})
    s = total_coverage(SimpleNamespace(totals=t))
    assert s.startswith("the period total's range held at 75% of 12 past origins")
    assert "about 4 independent" in s and "3-period windows" in s
    assert total_coverage(SimpleNamespace(totals=t.assign(n_windows=2))) == \
        "too few past windows to judge the period-total range"


def test_a_breakdown_no_rep_belongs_to_says_what_it_needs():
    """The HubSpot export has no teams: the page drew a chart and a table of one "(unassigned)"
    team, its value a dash."""
    from types import SimpleNamespace

    import pandas as pd

    from salesops_lib.forecast import views

    ol = SimpleNamespace(by="team", groups=pd.DataFrame({
        "level": ["team", "total", "rep_id"], "unique_id": ["(unassigned)", "total", "Ann"]}))
    assert views.no_groups(ol) and views.plot_groups(ol) is None
    assert "needs each rep&#x27;s team (reps.team)" in views.groups_view(ol).data
    ol.groups.loc[0, "unique_id"] = "East"
    assert not views.no_groups(ol)


def test_replay_table_names_the_periods_it_replays():
    from types import SimpleNamespace

    import pandas as pd

    from salesops_lib.forecast import views

    cov = pd.DataFrame({"source": ["timeseries"], "wape": [0.1], "bias": [0.0],
                        "coverage": [1.0], "n": [15], "periods": [3], "cov_low": [0.3],
                        "cov_high": [1.0]})
    month = views.coverage_view(SimpleNamespace(period="2026-11", coverage=cov, level=80.0))
    html = month.to_html()
    assert "Past months replayed" in html and ">Months<" in html and "quarter" not in html
    quarter = views.coverage_view(SimpleNamespace(period="2026-Q4", coverage=cov, level=80.0))
    assert "Past quarters replayed" in quarter.to_html()


def test_reconciliation_methods_are_named_as_in_the_literature():
    from salesops_lib.forecast.views import method_name

    assert [method_name(m) for m in ("mint_shrink", "wls_var", "wls_struct", "bottom_up",
                                     "ols", "per level", "new_one")] == [
        "MinT shrink", "WLS var", "WLS struct", "Bottom-up", "OLS", "Per level", "new one"]


def _groups_outlook(closed: bool):
    from types import SimpleNamespace

    import pandas as pd

    groups = pd.DataFrame({"level": ["team", "team"], "unique_id": ["East", "West"],
                           "value": [60.0, 40.0], "lower": [50.0, 30.0], "upper": [70.0, 50.0],
                           "base": [55.0, 45.0], "quota": [100.0, 100.0],
                           "attainment": [0.6, 0.4], "reconciled": True, "method": "ols",
                           "fallback": ""})
    summary = pd.DataFrame({"source": ["blend"], "value": [100.0], "lower": [80.0],
                            "upper": [120.0]})
    return SimpleNamespace(by="team", groups=groups, summary=summary, period="2026-Q3",
                           as_of=pd.Timestamp("2026-07-01"), settings={"closed": closed})


def test_group_table_calls_forecast_over_quota_what_it_is():
    """On a finished quarter the "vs quota" card shows the final result over quota (72% on the
    sample's 2026-Q3) while the group table's Total row, the forecast made on the first day
    over quota, read "Attainment 83%": two attainments on one page. Hand-computed: 100 / 200."""
    from salesops_lib.forecast import views

    html = views.groups_view(_groups_outlook(closed=True)).to_html()
    assert "Attainment" not in html and ">Forecast vs quota<" in html
    assert ">50%<" in html                                  # the Total row: (60 + 40) / 200


def test_no_lock_sentence_has_no_code_in_it():
    from salesops_lib.forecast import views

    text = views.locks_view(None, None, None).data
    assert "`" not in text and "parameter" not in text
    assert ">No commit was locked: no calls file was given, or it holds" in text


def test_accuracy_table_names_models_from_the_one_label_map():
    """Model names come from ``models.LABELS``; the table adds only what each is there for."""
    from types import SimpleNamespace

    import pandas as pd
    import pytest

    from salesops_lib.forecast import views as V

    bt = pd.DataFrame({"model": ["snaive", "prophet", "prophet_default", "auto", "auto"],
                       "wape": [0.2, 0.1, 0.15, 0.1, 0.3], "mase": 1.0, "bias": 0.0,
                       "coverage": 0.8, "fva": 0.0, "n_points": [4, 4, 4, 2, 2],
                       "chosen": [None, None, None, "snaive", "prophet"]})
    t = V.accuracy_table(SimpleNamespace(backtest=bt))
    assert t["model"].tolist() == [
        "seasonal naive (baseline)", "Prophet (sales settings)", "default Prophet",
        "automatic choice, scored out of sample (now Prophet, seasonal naive)"]
    assert t.loc[3, "wape"] == pytest.approx(0.2) and t.loc[3, "points"] == 4
