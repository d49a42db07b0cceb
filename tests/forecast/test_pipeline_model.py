"""Pipeline forecast on a tiny hand-made history whose answer is worked out on paper."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import numpy as np
import pandas as pd
import pytest
from scipy.stats import norm

from salesops_lib import Dataset
from salesops_lib.forecast import pipeline_model as P

# Deals (S1 → S2 → Closed Won / Closed Lost). Period 2026-Q2, as of 2026-05-01.
#   H1 won 01-31 (S1 01-01, S2 01-11)   H2 lost 01-21 (S1 01-01)
#   H3 won 03-03 (S1 02-01, S2 02-11)   H4 lost 03-13 (S1 02-01, S2 02-11)
#   W1 won 04-20, in the period (S1 03-20, S2 04-01), amount 200
#   O1 open, S1 since 04-21, amount 1000    O2 open, S2 since 04-26, amount 500
DEALS = [
    # id, status, amount, created, close, stage, category, [(stage, entered)]
    ("H1", "won", 100, "2026-01-01", "2026-01-31", "Closed Won", "closed",
     [("S1", "2026-01-01"), ("S2", "2026-01-11"), ("Closed Won", "2026-01-31")]),
    ("H2", "lost", 100, "2026-01-01", "2026-01-21", "Closed Lost", "omitted",
     [("S1", "2026-01-01"), ("Closed Lost", "2026-01-21")]),
    ("H3", "won", 100, "2026-02-01", "2026-03-03", "Closed Won", "closed",
     [("S1", "2026-02-01"), ("S2", "2026-02-11"), ("Closed Won", "2026-03-03")]),
    ("H4", "lost", 100, "2026-02-01", "2026-03-13", "Closed Lost", "omitted",
     [("S1", "2026-02-01"), ("S2", "2026-02-11"), ("Closed Lost", "2026-03-13")]),
    ("W1", "won", 200, "2026-03-20", "2026-04-20", "Closed Won", "closed",
     [("S1", "2026-03-20"), ("S2", "2026-04-01"), ("Closed Won", "2026-04-20")]),
    ("O1", "open", 1000, "2026-04-21", "2026-06-15", "S1", "pipeline", [("S1", "2026-04-21")]),
    ("O2", "open", 500, "2026-04-11", "2026-06-01", "S2", "commit",
     [("S1", "2026-04-11"), ("S2", "2026-04-26")]),
]
AS_OF = "2026-05-01"


def make_ds(deals=DEALS, as_of="2026-05-01"):
    opps = pd.DataFrame([{"opportunity_id": d[0], "account_id": "A1", "rep_id": "R1",
                          "stage": d[5], "status": d[1], "amount": d[2], "created_date": d[3],
                          "close_date": d[4], "forecast_category": d[6]} for d in deals])
    hist = pd.DataFrame([{"opportunity_id": d[0], "stage": s, "entered_date": e}
                         for d in deals for s, e in d[7]])
    return Dataset.from_frames(
        accounts=pd.DataFrame({"account_id": ["A1"], "account_name": ["Acme"]}),
        reps=pd.DataFrame({"rep_id": ["R1"], "rep_name": ["Rae"], "team": ["T1"]}),
        opportunities=opps, stage_history=hist, as_of=as_of)


@pytest.fixture(scope="module")
def ds():
    return make_ds()


def test_snapshot_rebuilds_stage_and_status_as_of(ds):
    snap = P.snapshot(ds, "2026-04-05").set_index("opportunity_id")
    # W1 closed on 04-20: on 04-05 it was open, in S2 since 04-01; O1/O2 did not exist yet
    assert snap.at["W1", "status"] == "open"
    assert snap.at["W1", "stage"] == "S2"
    assert snap.at["W1", "stage_entered"] == pd.Timestamp("2026-04-01")
    assert pd.isna(snap.at["W1", "close_date"])
    assert "O1" not in snap.index and "O2" not in snap.index
    assert snap.at["H1", "status"] == "won"


def test_pipeline_forecast_matches_hand_computation(ds):
    pf = P.pipeline_forecast(ds, "2026-Q2", AS_OF, lookback=1)
    deals = pf.deals.set_index("opportunity_id")
    # O1 in S1 for g=10 days; closed deals still in S1 after 10 days: H2 (stay 20, lost) and
    # W1 (stay 12, won, closed 31 days after entering S1, inside (10, 70]) → p_win ½, p_time 1
    assert deals.at["O1", "p_win"] == pytest.approx(0.5)
    assert deals.at["O1", "p_time"] == pytest.approx(1.0)
    # O2 in S2 for 5 days: all four S2 episodes stayed longer; 3 of 4 won, all within 65 days
    assert deals.at["O2", "p_win"] == pytest.approx(0.75)
    assert deals.at["O2", "p_time"] == pytest.approx(1.0)
    s = pf.summary.iloc[0]
    assert s["closed"] == 200                      # W1
    assert s["open_expected"] == pytest.approx(1000 * 0.5 + 500 * 0.75)
    # run-rate: in 2026-Q1, deals created after 01-01 + 30 days and won in Q1: H3 (100)
    assert s["run_rate"] == pytest.approx(100)
    assert pf.value == pytest.approx(1175)
    # one past period: the run-rate's sd is its one deal's compound-Poisson sd, sqrt(100²)
    sd = np.sqrt(1000 ** 2 * 0.25 + 500 ** 2 * 0.75 * 0.25 + 100 ** 2)
    z = norm.ppf(0.9)
    assert pf.lower == pytest.approx(1175 - z * sd)
    assert pf.upper == pytest.approx(1175 + z * sd)
    comp = pf.components.set_index("component")["value"]
    assert comp.to_dict() == pytest.approx({"closed": 200, "commit": 375, "best case": 0,
                                            "pipeline": 500, "run-rate": 100})
    assert list(comp.index) == list(P.COMPONENTS)


def test_stage_probabilities_count_closed_deals_only(ds):
    t = P.stage_probabilities(ds, AS_OF).set_index("stage")
    assert t.at["S1", "reached"] == 5 and t.at["S1", "won"] == 3
    assert t.at["S2", "reached"] == 4 and t.at["S2", "won"] == 3
    assert "Closed Won" not in t.index


def test_no_look_ahead_when_later_data_are_appended(ds):
    later = list(DEALS)
    later[5] = ("O1", "won", 1000, "2026-04-21", "2026-05-20", "Closed Won", "closed",
                [("S1", "2026-04-21"), ("S2", "2026-05-05"), ("Closed Won", "2026-05-20")])
    later[6] = ("O2", "lost", 500, "2026-04-11", "2026-06-01", "Closed Lost", "omitted",
                [("S1", "2026-04-11"), ("S2", "2026-04-26"), ("Closed Lost", "2026-06-01")])
    later.append(("N1", "open", 700, "2026-05-10", "2026-07-01", "S2", "commit",
                  [("S1", "2026-05-10"), ("S2", "2026-05-12")]))
    later.append(("N2", "open", 300, "2026-05-11", "2026-07-01", "S1", "pipeline",
                  [("S1", "2026-05-11")]))
    ds2 = make_ds(later, as_of="2026-06-10")
    a = P.pipeline_forecast(ds, "2026-Q2", AS_OF, lookback=2)
    b = P.pipeline_forecast(ds2, "2026-Q2", AS_OF, lookback=2)
    pd.testing.assert_frame_equal(a.summary, b.summary)
    # without opportunity_history the category and expected close date are the final ones
    # (the best such a source allows); everything the forecast is computed from is as of then
    pd.testing.assert_frame_equal(a.deals.drop(columns=["category", "expected_close"]),
                                  b.deals.drop(columns=["category", "expected_close"]))
    cmap = {"S1": "pipeline", "S2": "commit"}
    pd.testing.assert_frame_equal(
        P.pipeline_forecast(ds, "2026-Q2", AS_OF, category_map=cmap).components,
        P.pipeline_forecast(ds2, "2026-Q2", AS_OF, category_map=cmap).components)


def history_rows(deals=DEALS):
    """``opportunity_history`` of ``DEALS``: a row at creation, one per stage change, one at
    closing; each row the deal's state after the change."""
    rows = []
    for d in deals:
        for stage, entered in d[7]:
            closed = stage.startswith("Closed")
            rows.append({"opportunity_id": d[0], "changed_at": entered, "stage": stage,
                         "status": d[1] if closed else "open", "amount": float(d[2]),
                         "close_date": d[4], "rep_id": "R1",
                         "forecast_category": d[6] if closed or d[1] == "open" else "pipeline"})
    return pd.DataFrame(rows)


def with_history(hist, deals=DEALS, as_of="2026-06-30", reps=None):
    base = make_ds(deals, as_of=as_of)
    final = hist.sort_values("changed_at").groupby("opportunity_id").last()
    opps = base.opportunities.set_index("opportunity_id")
    for c in ("stage", "status", "amount", "close_date", "forecast_category"):
        opps[c] = final[c].reindex(opps.index)
    if "rep_id" in hist:
        opps["rep_id"] = final["rep_id"].reindex(opps.index)
    return Dataset.from_frames(accounts=base.accounts,
                               reps=base.reps if reps is None else reps,
                               opportunities=opps.reset_index(), opportunity_history=hist,
                               as_of=as_of)


def test_no_look_ahead_in_amount_and_category_with_history():
    # O1 (1000, S1) and O2 (500, S2, commit) open on 05-01; later O2's amount is cut to 0,
    # it moves to Omitted and is lost, and O1's amount rises to 4000
    hist = history_rows()
    later = pd.DataFrame([
        {"opportunity_id": "O2", "changed_at": "2026-05-20", "stage": "S2", "status": "open",
         "amount": 0.0, "close_date": "2026-06-01", "rep_id": "R1",
         "forecast_category": "omitted"},
        {"opportunity_id": "O2", "changed_at": "2026-06-01", "stage": "Closed Lost",
         "status": "lost", "amount": 0.0, "close_date": "2026-06-01", "rep_id": "R1",
         "forecast_category": "omitted"},
        {"opportunity_id": "O1", "changed_at": "2026-06-05", "stage": "S1", "status": "open",
         "amount": 4000.0, "close_date": "2026-06-15", "rep_id": "R1",
         "forecast_category": "best case"}])
    before = with_history(hist)
    after = with_history(pd.concat([hist, later], ignore_index=True))
    a = P.pipeline_forecast(before, "2026-Q2", AS_OF, lookback=1)
    b = P.pipeline_forecast(after, "2026-Q2", AS_OF, lookback=1)
    # the hand computation above: 200 closed + 1000·½ + 500·¾ + 100 run-rate
    assert a.value == pytest.approx(1175) and b.value == pytest.approx(1175)
    pd.testing.assert_frame_equal(a.summary, b.summary)
    pd.testing.assert_frame_equal(a.components, b.components)
    pd.testing.assert_frame_equal(a.deals, b.deals)
    # the stable entry point gives the same numbers
    from salesops_lib import forecast

    stable = forecast.pipeline_forecast(after, "2026-Q2", AS_OF, lookback=1)
    assert (stable.value, stable.lower, stable.upper) == pytest.approx((b.value, b.lower, b.upper))
    assert len(stable.deals) == 2
    d = b.deals.set_index("opportunity_id")
    assert d.at["O2", "amount"] == 500 and d.at["O2", "category"] == "commit"
    assert d.at["O1", "amount"] == 1000 and d.at["O1", "category"] == "pipeline"
    # the same final values without history would change the earlier forecast: the test bites
    no_hist = Dataset.from_frames(accounts=after.accounts, reps=after.reps,
                                  opportunities=after.opportunities,
                                  stage_history=make_ds().stage_history, as_of=after.as_of)
    assert P.pipeline_forecast(no_hist, "2026-Q2", AS_OF, lookback=1).value != pytest.approx(1175)


def test_owner_on_the_as_of_date_keys_the_team():
    hist = history_rows()
    reps = pd.DataFrame({"rep_id": ["R1", "R2"], "rep_name": ["Rae", "Sam"],
                         "team": ["T1", "T2"]})
    moved = pd.DataFrame([{"opportunity_id": "O2", "changed_at": "2026-05-15", "stage": "S2",
                           "status": "open", "amount": 500.0, "close_date": "2026-06-01",
                           "rep_id": "R2", "forecast_category": "commit"}])
    ds1 = with_history(pd.concat([hist, moved], ignore_index=True), reps=reps)
    assert ds1.opportunities.set_index("opportunity_id").at["O2", "rep_id"] == "R2"
    on_0501 = P.pipeline_forecast(ds1, "2026-Q2", AS_OF, by="team", lookback=1)
    assert list(on_0501.summary["unique_id"]) == ["T1"]          # O2 was still Rae's
    on_0520 = P.pipeline_forecast(ds1, "2026-Q2", "2026-05-20", by="team", lookback=1)
    assert "T2" in set(on_0520.summary["unique_id"])


def test_correlated_interval_by_hand():
    # two teams, two deals each, q = ½: s_i = a/2
    deals = pd.DataFrame({"amount": [100.0, 100.0, 200.0, 200.0], "q": 0.5,
                          "team": ["A", "A", "B", "B"]})
    s = np.array([50.0, 50, 100, 100])
    V = (s ** 2).sum()
    within = (100 ** 2 - 2 * 50 ** 2) + (200 ** 2 - 2 * 100 ** 2)
    across = 300 ** 2 - (100 ** 2 + 200 ** 2)
    assert P.correlated_variance(deals, {"team": 0, "all": 0}) == pytest.approx(V)
    assert P.correlated_variance(deals, {"team": 0.5, "all": 0.2}) == pytest.approx(
        V + 0.5 * within + 0.2 * across)
    # past replays where each team's deals all won or all lost together: perfectly correlated
    pts = pd.DataFrame({"period": "P1", "week": 1, "team": ["A", "A", "B", "B"] * 2,
                        "amount": 100.0, "q": 0.5,
                        "outcome": [1, 1, 0, 0, 0, 0, 1, 1]}).assign(
        week=[1, 1, 1, 1, 2, 2, 2, 2])
    rho = P.correlation(pts)
    assert rho["team"] == pytest.approx(1.0) and rho["n_points"] == 2
    # e_A = +100, e_B = -100 at both points: the teams move against each other → ρ_all 0
    assert rho["all"] == pytest.approx(0.0)
    indep = pts.assign(outcome=[1, 0, 1, 0, 0, 1, 0, 1])
    assert P.correlation(indep)["team"] == pytest.approx(0.0)


def test_without_forecast_category_everything_open_is_pipeline(ds):
    opps = ds.opportunities.drop(columns="forecast_category")
    ds2 = Dataset.from_frames(accounts=ds.accounts, reps=ds.reps, opportunities=opps,
                              stage_history=ds.stage_history, as_of=ds.as_of)
    comp = P.pipeline_forecast(ds2, "2026-Q2", AS_OF, lookback=1).components
    comp = comp.set_index("component")["value"]
    assert comp["commit"] == 0 and comp["pipeline"] == pytest.approx(875)


def test_group_by_team_and_brier_and_reliability(ds):
    pf = P.pipeline_forecast(ds, "2026-Q2", AS_OF, by="team", lookback=1)
    assert list(pf.summary["unique_id"]) == ["T1"]
    pts = pd.DataFrame({"q": [0.9, 0.2, 0.6, 0.1], "outcome": [1.0, 0.0, 0.0, 0.0]})
    assert P.brier(pts) == pytest.approx((0.01 + 0.04 + 0.36 + 0.01) / 4)
    rel = P.reliability(pts, bins=2)
    assert rel["n"].tolist() == [2, 2]
    assert rel["predicted"].tolist() == pytest.approx([0.15, 0.75])
    assert rel["observed"].tolist() == pytest.approx([0.0, 0.5])


def test_calibration_points_use_only_ended_periods(ds):
    ds2 = make_ds(as_of="2026-07-15")
    pts = P.calibration_points(ds2, "2026-Q3", periods_back=1, weeks=(1, 5))
    assert set(pts["period"]) == {"2026-Q2"}
    # on 04-01 (week 1) only W1 was open (in S2 since that day); it was won on 04-20
    w1 = pts[(pts["week"] == 1)].set_index("opportunity_id")
    assert list(w1.index) == ["W1"] and w1.at["W1", "outcome"] == 1.0
    # the period in progress on the data's as-of date has no outcome yet: never used
    assert P.calibration_points(ds, "2026-Q3", periods_back=1).empty


def test_plots_return_titled_figures(ds):
    pf = P.pipeline_forecast(ds, "2026-Q2", AS_OF, lookback=1)
    fig = P.plot_waterfall(pf.components)
    ax = fig.axes[0]
    assert ax.get_title(loc="left") and "$" in ax.get_ylabel()
    assert [t.get_text() for t in ax.get_xticklabels()][-1] == "forecast"
    rel = P.reliability(pd.DataFrame({"q": [0.2, 0.8], "outcome": [0.0, 1.0]}))
    fig2 = P.plot_reliability(rel)
    assert "%" in fig2.axes[0].get_xlabel()
    # the legend sits under the plot, off the points (it was inside, at the top left)
    leg = fig2.axes[0].get_legend()
    assert leg.get_bbox_to_anchor().transformed(fig2.axes[0].transAxes.inverted()).y0 < 0
    import matplotlib.pyplot as plt
    plt.close("all")


def test_correlated_range_on_a_date_without_open_deals():
    """A replayed date with no open deal (a small HubSpot export): the forecast page failed
    with "Columns must be same length as key" instead of giving the run-rate's range."""
    closed_only = make_ds([d for d in DEALS if d[1] != "open"])
    pf = P.pipeline_forecast(closed_only, "2026-Q2", AS_OF, correlation=None)
    assert pf.deals.empty
    out = P.with_correlation(pf, {"team": 0.3, "all": 0.1})
    assert out.value == pytest.approx(pf.value)
    assert out.summary["sd"].tolist() == pytest.approx(pf.summary["sd"].tolist())


def test_run_rate_leaves_out_periods_from_before_the_data_began(ds):
    """The data begin on 2026-01-01 (H1's creation). 2025's quarters are unknown, not zero:
    averaging them in as zeros put the sample's 1 January run-rate for 2025 at $5.5M, a quarter
    of the $22.1M won in 2024 from deals created in 2024."""
    rr = P.run_rate(ds, "2026-Q2", AS_OF, lookback=4).iloc[0]
    # only 2026-Q1 counts: deals created after 01-31 and won in Q1 → H3 (100); one period
    # has no spread to measure, so the sd is the compound-Poisson sqrt(Σ a²) = 100, not 0
    assert rr["run_rate"] == pytest.approx(100) and rr["run_rate_sd"] == pytest.approx(100)
    # a point on the first day itself is inside the data: from 04-01, 2026-Q1 counts from
    # 01-01, and H3 (created 02-01, won 03-03) is its only deal created after it and won
    at_start = P.run_rate(ds, "2026-Q2", "2026-04-01", lookback=4).iloc[0]
    assert at_start["run_rate"] == pytest.approx(100)
    # nothing before the data: no period to average, so no run-rate
    assert P.run_rate(ds, "2026-Q1", "2026-03-01", lookback=4)["run_rate"].sum() == 0


def test_run_rate_leaves_out_periods_before_the_data_show_closes():
    """An export holding a deal created on 2025-10-01 but no close before January 2026 (as
    Maven's: created from October 2016, closed from March 2017): 2025-Q4's point (10-31) is
    inside the data, yet no close of that quarter is, so its zero is unknown, not a zero."""
    early = ("E1", "lost", 100, "2025-10-01", "2026-02-15", "Closed Lost", "omitted",
             [("S1", "2025-10-01"), ("Closed Lost", "2026-02-15")])
    ds = make_ds([*DEALS, early])
    rr = P.run_rate(ds, "2026-Q2", AS_OF, lookback=4).iloc[0]
    assert rr["run_rate"] == pytest.approx(100)          # 2026-Q1 alone (H3), not (100 + 0) / 2
