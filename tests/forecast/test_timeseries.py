"""Time-series forecasts: metrics by hand, series builder, backtests, auto, determinism, Dask."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import numpy as np
import pandas as pd
import pytest

from salesops_lib import Dataset
from salesops_lib.forecast import models as M
from salesops_lib.forecast import timeseries as F


def seasonal(n=36, ids=("a", "b"), start="2023-01-01", seed=0):
    """Monthly series with a quarter-end bump and a strong December."""
    rng = np.random.default_rng(seed)
    ds = pd.date_range(start, periods=n, freq="MS")
    base = 100 + 30 * (ds.month % 3 == 0) + 40 * (ds.month == 12)
    return pd.concat([pd.DataFrame({"unique_id": u, "ds": ds,
                                    "y": base * (1 + 0.2 * k) + rng.normal(0, 5, n)})
                      for k, u in enumerate(ids)], ignore_index=True)


# ------------------------------------------------------------------------------- metrics
def test_metrics_match_hand_computation():
    pts = pd.DataFrame({"unique_id": "a", "model": "m", "y": [10.0, 20.0, 30.0],
                        "yhat": [12.0, 18.0, 33.0], "yhat_lower": [9.0, 19.0, 31.0],
                        "yhat_upper": [11.0, 25.0, 35.0], "scale": 2.0})
    s = F.score(pts).iloc[0]
    assert s["wape"] == pytest.approx(7 / 60)            # (2+2+3) / (10+20+30)
    assert s["mase"] == pytest.approx((2 + 2 + 3) / 3 / 2)
    assert s["bias"] == pytest.approx(3 / 60)            # (2-2+3) / 60
    assert s["coverage"] == pytest.approx(2 / 3)         # 30 is outside [31, 35]
    assert s["n_points"] == 3
    assert F.seasonal_scale([1, 3, 2, 5], 2) == pytest.approx(1.5)   # mean(|2-1|, |5-3|)
    assert F.seasonal_scale([1, 3], 12) == pytest.approx(2.0)        # too short: m = 1
    assert np.isnan(F.seasonal_scale([4, 4, 4], 1))


def test_backtest_seasonal_naive_on_a_line_is_computable_by_hand():
    # y_t = t: seasonal naive forecasts t-12, so every error is 12 and the in-sample
    # seasonal-naive error is 12 too (MASE 1)
    s = pd.DataFrame({"unique_id": "x", "ds": pd.date_range("2020-01-01", periods=24,
                                                            freq="MS"),
                      "y": np.arange(1, 25, dtype=float)})
    bt = F.backtest(s, 3, models=("snaive",), windows=1, origins=2, n_jobs=1)
    row = bt[bt["model"] == "snaive"].iloc[0]
    assert row["wape"] == pytest.approx(36 / (22 + 23 + 24))
    assert row["mase"] == pytest.approx(1.0)
    assert row["bias"] == pytest.approx(-36 / 69)
    assert row["fva"] == pytest.approx(0.0)
    assert row["n_windows"] == 1 and row["n_points"] == 3
    auto = bt[bt["model"] == "auto"].iloc[0]
    assert auto["chosen"] == "snaive"


def test_auto_is_scored_out_of_sample_on_the_same_origins_as_every_model():
    s = seasonal(ids=("a", "b"))
    run = F.forecast_run(s, 3, models=("snaive", "ets", "theta"), windows=2, n_jobs=1)
    bt = run.backtest
    assert set(bt.columns) >= {"wape", "mase", "bias", "coverage", "fva", "status"}
    for uid, g in bt.groupby("unique_id"):
        # origins one step apart; the latest half of them scored
        n_out = g["n_windows"].iloc[0]
        assert g["n_windows"].nunique() == 1 and n_out == F.ORIGINS // 2
        pts = run.points[run.points["unique_id"] == uid]
        assert pts["cutoff"].nunique() == F.ORIGINS
        outer = sorted(pts["cutoff"].unique())[-n_out:]
        held = pts[pts["cutoff"].isin(outer)]
        # each origin's interval was calibrated on the procedure's errors before it only
        held = F.scale_bounds(held.assign(yhat_lower=held["raw_lower"],
                                          yhat_upper=held["raw_upper"]), held["factor"])
        nested = F.score(held.assign(model="auto")).iloc[0]
        auto = g[g["model"] == "auto"].iloc[0]
        # the auto row is the score of the nested choices, not the best score in hindsight
        assert auto["mase"] == pytest.approx(nested["mase"])
        assert auto["coverage"] == pytest.approx(nested["coverage"])
        assert auto["n_points"] == n_out * 3
        # the nested bounds are the ones scored
        assert np.allclose(held["yhat_lower"], held["nested_lower"])
    chosen = bt[bt["model"] == "auto"].set_index("unique_id")["chosen"]
    assert run.forecast.groupby("unique_id")["model"].first().to_dict() == chosen.to_dict()


def test_adding_future_data_does_not_change_a_replayed_origins_choice():
    s = seasonal(n=39, ids=("a", "b"), seed=4)
    short = s.groupby("unique_id").head(36)
    kw = {"models": ("snaive", "ets", "theta"), "windows": 2, "n_jobs": 1}
    a = F.forecast_run(short, 3, **kw).points
    b = F.forecast_run(s, 3, **kw).points
    # origins that are scored in both runs have their full inner windows in both
    outer_a = a.groupby("unique_id")["cutoff"].apply(lambda c: set(sorted(c.unique())[-6:]))
    outer_b = b.groupby("unique_id")["cutoff"].apply(lambda c: set(sorted(c.unique())[-6:]))
    for uid in outer_a.index:
        common = outer_a[uid] & outer_b[uid]
        assert common
        pa = a[(a["unique_id"] == uid) & a["cutoff"].isin(common)].reset_index(drop=True)
        pb = b[(b["unique_id"] == uid) & b["cutoff"].isin(common)].reset_index(drop=True)
        assert pa["chosen"].tolist() == pb["chosen"].tolist()
        assert np.allclose(pa["yhat"], pb["yhat"])
    # and the choice at an origin only ever sees points that ended by it
    for (uid, cut), g in a.groupby(["unique_id", "cutoff"]):
        assert (g["ds"] > cut).all()


def test_forecast_frame_shape_columns_and_no_negatives():
    s = seasonal(ids=("a",))
    s.loc[s.index[-6:], "y"] = 0.0            # a collapse: bookings still cannot go negative
    fc = F.forecast(s, 4, model="ets", n_jobs=1)
    assert list(fc.columns) == ["unique_id", "ds", "yhat", "yhat_lower", "yhat_upper", "model"]
    assert len(fc) == 4 and (fc[["yhat", "yhat_lower", "yhat_upper"]] >= 0).all().all()
    assert fc["ds"].tolist() == list(pd.date_range("2026-01-01", periods=4, freq="MS"))
    assert (fc["yhat_lower"] <= fc["yhat"]).all() and (fc["yhat"] <= fc["yhat_upper"]).all()


def test_overridable_column_names_and_frequencies():
    s = seasonal(ids=("a",)).rename(columns={"unique_id": "team", "ds": "month", "y": "amt"})
    fc = F.forecast(s, 2, model="snaive", id_col="team", time_col="month", target_col="amt",
                    n_jobs=1)
    assert {"team", "month"} <= set(fc.columns)
    assert F.infer_freq(pd.date_range("2026-01-01", periods=5, freq="D")) == "D"
    assert F.infer_freq(pd.date_range("2026-01-05", periods=5, freq="W-MON")) == "W"
    assert F.infer_freq(pd.date_range("2026-01-31", periods=5, freq="ME")) == "M"
    assert F.infer_freq(pd.date_range("2026-01-01", periods=5, freq="QS")) == "Q"
    with pytest.raises(ValueError, match="frequency"):
        F.infer_freq(pd.to_datetime(["2026-01-01", "2026-01-04", "2026-01-07"]))


def test_bad_series_and_arguments_fail_clearly():
    s = seasonal(ids=("a",))
    with pytest.raises(ValueError, match="regular"):
        F.forecast(s.drop(index=5), 2, model="snaive", n_jobs=1)
    with pytest.raises(ValueError, match="unknown model"):
        F.forecast(s, 2, model="arima", n_jobs=1)
    with pytest.raises(KeyError, match="id_col"):
        F.forecast(s.rename(columns={"y": "bookings"}), 2, n_jobs=1)
    with pytest.raises(ValueError, match="horizon"):
        F.forecast(s, 0, model="snaive", n_jobs=1)


def test_prophet_is_seeded_silent_and_monthly_sales_aware(capfd):
    s = seasonal(n=30, ids=("a",))
    a = F.forecast(s, 3, model="prophet", seed=1, n_jobs=1)
    b = F.forecast(s, 3, model="prophet", seed=1, n_jobs=1)
    c = F.forecast(s, 3, model="prophet", seed=2, n_jobs=1)
    pd.testing.assert_frame_equal(a, b)
    assert not np.allclose(a["yhat_lower"], c["yhat_lower"])
    out = capfd.readouterr()
    assert "cmdstanpy" not in out.err + out.out and "Chain" not in out.err + out.out
    feats = M.calendar_features(pd.Series(pd.date_range("2026-01-01", periods=12, freq="MS")),
                                "M")
    assert feats["quarter_end"].tolist() == [0, 0, 1] * 4
    assert feats["year_end"].tolist() == [0] * 11 + [1]
    fq = M.calendar_features(pd.Series(pd.date_range("2026-01-01", periods=4, freq="MS")),
                             "M", fiscal_start_month=2)
    assert fq["quarter_end"].tolist() == [1, 0, 0, 1]   # FY from Feb: quarters end Apr, Jul..


def test_dask_local_cluster_and_local_processes_give_the_same_numbers():
    from distributed import Client, LocalCluster

    s = seasonal(n=30, ids=("a", "b", "c"))
    local = F.forecast(s, 3, models=("snaive", "ets", "prophet"), windows=1, n_jobs=2)
    with LocalCluster(n_workers=1, threads_per_worker=2, processes=False,
                      dashboard_address=None) as cluster:
        on_dask = F.forecast(s, 3, models=("snaive", "ets", "prophet"), windows=1,
                             scheduler=cluster.scheduler_address)
        with Client(cluster) as client:
            bt = F.backtest(s, 3, models=("snaive", "ets"), windows=1, scheduler=client)
    pd.testing.assert_frame_equal(local, on_dask)
    pd.testing.assert_frame_equal(
        bt, F.backtest(s, 3, models=("snaive", "ets"), windows=1, n_jobs=1))


# ------------------------------------------------------------------------------- series
def tiny_ds(as_of="2026-05-10", fiscal_start_month=1):
    opps = pd.DataFrame({
        "opportunity_id": ["o1", "o2", "o3", "o4", "o5", "o6"],
        "account_id": ["A1", "A1", "A2", "A2", "A1", "A2"],
        "rep_id": ["R1", "R2", "R1", "R2", "R1", "R2"],
        "stage": ["Won", "Won", "Won", "Lost", "Won", "Open"],
        "status": ["won", "won", "won", "lost", "won", "open"],
        "amount": [100.0, 50.0, 30.0, 999.0, 70.0, 500.0],
        "created_date": ["2026-01-01"] * 6,
        "close_date": ["2026-01-15", "2026-01-20", "2026-03-31", "2026-02-01", "2026-05-05",
                       "2026-06-30"],
    })
    return Dataset.from_frames(
        accounts=pd.DataFrame({"account_id": ["A1", "A2"], "account_name": ["a", "b"],
                               "region": ["East", "West"]}),
        reps=pd.DataFrame({"rep_id": ["R1", "R2"], "rep_name": ["r", "s"],
                           "team": ["T1", "T2"]}),
        opportunities=opps, as_of=as_of, fiscal_start_month=fiscal_start_month)


def test_bookings_series_by_month_team_and_region():
    ds = tiny_ds()
    m = F.bookings_series(ds, "month")
    # complete months only: May is in progress on 05-10
    assert m["ds"].dt.strftime("%Y-%m").tolist() == ["2026-01", "2026-02", "2026-03", "2026-04"]
    assert m["y"].tolist() == [150.0, 0.0, 30.0, 0.0]
    assert F.bookings_series(ds, "month", complete=False)["y"].tolist()[-1] == 70.0
    t = F.bookings_series(ds, "month", "team")
    assert t.groupby("unique_id")["y"].sum().to_dict() == {"T1": 130.0, "T2": 50.0}
    assert len(t) == 8                      # full grid: 2 teams × 4 months, zeros filled
    r = F.bookings_series(ds, "quarter", "region", complete=False)
    assert r.set_index(["unique_id", "ds"])["y"].to_dict() == {
        ("East", pd.Timestamp("2026-01-01")): 150.0, ("East", pd.Timestamp("2026-04-01")): 70.0,
        ("West", pd.Timestamp("2026-01-01")): 30.0, ("West", pd.Timestamp("2026-04-01")): 0.0}
    w = F.bookings_series(ds, "week", as_of="2026-01-25")
    assert w["ds"].dt.weekday.eq(0).all() and w["y"].sum() == 150.0
    with pytest.raises(KeyError, match="cannot group"):
        F.bookings_series(ds, "month", "colour")


def test_fiscal_quarters_and_no_look_ahead_in_series():
    ds = tiny_ds(fiscal_start_month=2)
    q = F.bookings_series(ds, "quarter", complete=False)
    # FY starting in February: quarters begin Nov, Feb, May
    assert q["ds"].dt.strftime("%Y-%m").tolist() == ["2025-11", "2026-02", "2026-05"]
    assert q["y"].tolist() == [150.0, 30.0, 70.0]
    later = tiny_ds(as_of="2026-09-30")
    a = F.bookings_series(tiny_ds(), "month", as_of="2026-04-30")
    b = F.bookings_series(later, "month", as_of="2026-04-30")
    pd.testing.assert_frame_equal(a, b)
    pd.testing.assert_frame_equal(F.forecast(a.assign(y=a["y"] + 1), 2, "snaive", n_jobs=1),
                                  F.forecast(b.assign(y=b["y"] + 1), 2, "snaive", n_jobs=1))


def test_period_forecast_adds_actuals_and_combines_intervals():
    hist = pd.DataFrame({"unique_id": "t", "ds": pd.to_datetime(["2026-09-01", "2026-10-01"]),
                         "y": [5.0, 10.0]})
    fc = pd.DataFrame({"unique_id": "t", "ds": pd.to_datetime(["2026-11-01", "2026-12-01",
                                                               "2027-01-01"]),
                       "yhat": [20.0, 30.0, 99.0], "yhat_lower": [17.0, 26.0, 0.0],
                       "yhat_upper": [24.0, 33.0, 200.0], "model": "m"})
    r = F.period_forecast(hist, fc, "2026-Q4").iloc[0]
    assert r["actual_to_date"] == 10.0 and r["value"] == 60.0
    # no backtest: the half-widths add linearly (perfectly correlated steps), not in quadrature
    assert r["lower"] == pytest.approx(60 - (3 + 4))
    assert r["upper"] == pytest.approx(60 + (4 + 3))
    assert r["interval"] == "steps added" and r["factor"] == 1.0
    # past windows of the same two steps: |total error| / summed half-width = 0.5, 1, 2, 1.5
    pts = pd.DataFrame({"unique_id": "t", "cutoff": np.repeat(pd.date_range(
        "2025-01-01", periods=4, freq="MS"), 3), "step": [1, 2, 3] * 4, "yhat": 10.0,
        "yhat_lower": 8.0, "yhat_upper": 12.0,
        "y": [11, 11, 50, 12, 12, 50, 6, 6, 50, 13, 13, 50.0]})
    c = F.period_forecast(hist, fc, "2026-Q4", points=pts).iloc[0]
    # conformal position 0.8 · (4 + 1) = 4 of (0.5, 1, 1.5, 2): the largest, 2
    assert c["interval"] == "calibrated" and c["n_windows"] == 4
    assert c["factor"] == pytest.approx(2.0)
    assert c["lower"] == pytest.approx(60 - 2.0 * 7) and c["upper"] == pytest.approx(60 + 2.0 * 7)


def test_quota_and_period_actuals():
    ds = tiny_ds()
    q = pd.DataFrame({"rep_id": ["R1", "R2", "R1"], "period": ["2026-Q2", "2026-Q2", "2026-Q1"],
                      "quota": [10.0, 20.0, 5.0]})
    ds = Dataset.from_frames(accounts=ds.accounts, reps=ds.reps, opportunities=ds.opportunities,
                             quotas=q, as_of=ds.as_of)
    assert F.quota(ds, "2026-Q2")["quota"].tolist() == [30.0]
    assert F.quota(ds, "2026-Q2", by="team").set_index("unique_id")["quota"].to_dict() == {
        "T1": 10.0, "T2": 20.0}
    a = F.period_actuals(ds, "quarter").set_index("period")["actual"]
    assert a.to_dict() == {"2026-Q1": 180.0, "2026-Q2": 70.0}


def test_forecast_plots_return_labelled_figures():
    s = seasonal(ids=("a",))
    fc = F.forecast(s, 3, model="snaive", n_jobs=1)
    fig = F.plot_forecast(s, fc)
    ax = fig.axes[0]
    assert ax.get_title(loc="left") and "$" in ax.get_ylabel()
    assert len(ax.collections) == 1                       # the interval band
    frame = pd.DataFrame({"unique_id": ["T1", "T2"], "value": [10.0, 5.0], "lower": [8.0, 4.0],
                          "upper": [12.0, 7.0], "quota": [9.0, 6.0]})
    fig2 = F.plot_period_by_group(frame)
    assert [t.get_text() for t in fig2.axes[0].get_xticklabels()] == ["T1", "T2"]
    import matplotlib.pyplot as plt
    plt.close("all")


def test_one_step_forecast_is_a_point_with_whiskers_and_pages_name_the_period_kind():
    """A month's page forecast one step: its band, one step wide, did not show; the
    accuracy chart said "week of the quarter" on month pages."""
    import matplotlib.pyplot as plt

    from salesops_lib.forecast import ledger as L

    s = seasonal(ids=("a",))
    fc = F.forecast(s, 1, model="snaive", n_jobs=1)
    ax = F.plot_forecast(s, fc).axes[0]
    from matplotlib.collections import PolyCollection

    assert len(ax.containers) == 1                              # the point's whiskers
    assert not [c for c in ax.collections if isinstance(c, PolyCollection)]   # no band
    assert any("80% interval" in t.get_text() for t in ax.get_legend().get_texts())
    table = pd.DataFrame({"source": ["blend", "blend"], "week": [1, 2], "wape": [0.1, 0.05]})
    table.attrs["kind"] = "month"
    ax = L.plot_accuracy(table).axes[0]
    assert "week of the month" in ax.get_title(loc="left").lower() + ax.get_xlabel().lower()
    assert "month" in ax.get_xlabel().lower()
    plt.close("all")


def test_group_chart_wraps_a_few_long_names_and_slants_many():
    """Long team names ran into each other under the forecast-by-group bars."""
    import matplotlib.pyplot as plt

    names = ["Field $West 100% 🚀", "<b>Inside</b> & East_^"]
    frame = pd.DataFrame({"unique_id": names, "value": [10.0, 5.0], "lower": [8.0, 4.0],
                          "upper": [12.0, 7.0]})
    ticks = F.plot_period_by_group(frame).axes[0].get_xticklabels()
    assert [t.get_text() for t in ticks] == ["Field $West\n100% 🚀", "<b>Inside</b>\n& East_^"]
    assert {t.get_rotation() for t in ticks} == {0}
    many = pd.DataFrame({"unique_id": [f"Rep number {i}" for i in range(12)],
                         "value": np.arange(12.0), "lower": 0.0, "upper": 20.0})
    ticks = F.plot_period_by_group(many).axes[0].get_xticklabels()
    assert all("\n" not in t.get_text() and t.get_rotation() == 30 for t in ticks)
    plt.close("all")


def test_ensemble_is_the_mean_of_its_members_without_refitting():
    s = seasonal(n=30, ids=("a",))
    pts = F._backtest_points(s[["ds", "y"]], ("ets", "theta", "prophet", "ensemble"),
                             F._spec(3, "M", mode="backtest", windows=1))
    wide = pts.pivot(index="ds", columns="model", values="yhat")
    assert np.allclose(wide["ensemble"], wide[["ets", "theta", "prophet"]].mean(axis=1))
    direct = M.fit_predict("ensemble", s.iloc[:27][["ds", "y"]], 3, "M")
    assert np.allclose(direct["yhat"], wide["ensemble"])


def test_choose_prefers_the_ensemble_only_when_it_matches_every_baseline():
    def sc(**mase):
        return pd.DataFrame({"model": list(mase), "mase": list(mase.values()),
                             "wape": list(mase.values())})
    assert F.choose(sc(snaive=1.0, ets=0.9, theta=0.8, prophet=0.5, ensemble=0.7)) == "ensemble"
    assert F.choose(sc(snaive=1.0, ets=0.6, theta=0.8, prophet=0.5, ensemble=0.7)) == "prophet"
    assert F.choose(sc(snaive=0.6, ets=0.6, theta=0.8, prophet=0.9, ensemble=0.7)) == "snaive"
    assert F.choose(sc(snaive=0.6, ets=0.6)) == "snaive"          # tie: the simpler model


def test_daily_prophet_with_holidays_and_weekly_baseline():
    rng = np.random.default_rng(3)
    days = pd.date_range("2025-10-01", periods=120, freq="D")
    y = 50 + 20 * (days.weekday < 5) + rng.normal(0, 3, len(days))
    daily = pd.DataFrame({"unique_id": "d", "ds": days, "y": y})
    fc = F.forecast(daily, 7, model="prophet", n_jobs=1)
    assert fc["ds"].tolist() == list(pd.date_range("2026-01-29", periods=7, freq="D"))
    assert (fc["yhat_lower"] >= 0).all()
    weeks = pd.date_range("2024-01-01", periods=70, freq="W-MON")
    weekly = pd.DataFrame({"unique_id": "w", "ds": weeks, "y": np.arange(70.0) % 52})
    fw = F.forecast(weekly, 2, model="snaive", n_jobs=1)
    # seasonal naive, 52 weeks back: the values of weeks 18 and 19
    assert fw["yhat"].tolist() == [18.0, 19.0]


def test_a_seasonal_naive_forecast_on_less_than_a_season_is_named_naive():
    """Seven months of bookings (the Maven export's first quarter-start): the forecast repeats
    the last value, and the page's legend said "seasonal naive"."""
    short = pd.DataFrame({"unique_id": "total", "y": [5.0, 7, 6, 9, 8, 7, 10],
                          "ds": pd.date_range("2017-03-01", periods=7, freq="MS")})
    fc = F.forecast(short, 3, model="snaive")
    assert set(fc["model"]) == {"naive"} and fc["yhat"].tolist() == [10.0, 10.0, 10.0]
    assert M.model_label("naive+prophet") == "naive (last value) + Prophet"
    longer = pd.DataFrame({"unique_id": "total", "y": np.arange(30.0),
                           "ds": pd.date_range("2015-01-01", periods=30, freq="MS")})
    assert set(F.forecast(longer, 3, model="snaive")["model"]) == {"snaive"}
    assert M.effective_model("snaive+prophet", 12, "M") == "naive+prophet"
    assert M.effective_model("snaive+prophet", 13, "M") == "snaive+prophet"


def test_auto_without_a_scorable_window_averages_a_short_series_not_its_last_point():
    """A 1 January forecast of the year from 12 months ending in a December peak: no window can
    be held out, and the fallback repeated December twelve times ($51.6M for a $32.4M year on
    the sample). Under a season it is now the recent average; over one, seasonal naive."""
    y = [2.0, 2, 3, 2, 2, 3, 2, 2, 3, 2, 2, 5]               # mean 2.5, last value 5
    year = pd.DataFrame({"unique_id": "total", "y": y,
                         "ds": pd.date_range("2024-01-01", periods=12, freq="MS")})
    run = F.forecast_run(year, 12, n_jobs=1)
    fc = run.forecast
    assert set(fc["model"]) == {"mean"} and fc["yhat"].tolist() == pytest.approx([2.5] * 12)
    assert (fc["yhat_lower"] <= 2.5).all() and (fc["yhat_upper"] > 2.5).all()
    auto = run.backtest.set_index("model").loc["auto"]
    assert auto["chosen"] == "mean" and auto["status"] == "too short to backtest: recent average"
    more = pd.concat([year, pd.DataFrame({"unique_id": ["total"], "y": [4.0],
                                          "ds": [pd.Timestamp("2025-01-01")]})])
    fm = F.forecast(more, 12, n_jobs=1)
    assert set(fm["model"]) == {"snaive"}
    assert fm["yhat"].tolist() == pytest.approx(y[1:] + [4.0])   # last year's months
    assert M.fallback(12, "M") == "mean" and M.fallback(13, "M") == "snaive"
    assert M.model_label("mean") == "recent average"
