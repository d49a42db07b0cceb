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
    sd = np.sqrt(1000 ** 2 * 0.25 + 500 ** 2 * 0.75 * 0.25)
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
    pd.testing.assert_frame_equal(a.deals.drop(columns="category"),
                                  b.deals.drop(columns="category"))
    cmap = {"S1": "pipeline", "S2": "commit"}
    pd.testing.assert_frame_equal(
        P.pipeline_forecast(ds, "2026-Q2", AS_OF, category_map=cmap).components,
        P.pipeline_forecast(ds2, "2026-Q2", AS_OF, category_map=cmap).components)


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
    import matplotlib.pyplot as plt
    plt.close("all")
