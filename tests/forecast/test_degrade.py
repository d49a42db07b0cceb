"""The forecast page on data that lacks tables or columns (the public Maven CRM export: no
quotas, no opportunity history, no forecast categories, bookings only from March 2017): the
replay skips moments before the history, and each section says in one sentence what it needs."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import matplotlib

matplotlib.use("Agg")

import pandas as pd
import pytest

from salesops_lib import load_dataset, viz
from salesops_lib.forecast import blend as B
from salesops_lib.forecast import views as V
from salesops_lib.forecast.pipeline_model import replay_points

MAVEN = Path(__file__).resolve().parents[2] / ".." / "shared" / "data" / "crm_sales_opportunities_maven"


@pytest.fixture(scope="module")
def maven():
    if not MAVEN.is_dir():
        pytest.skip("../shared/data/crm_sales_opportunities_maven is not present")
    return load_dataset(MAVEN, mapping="maven")


@pytest.fixture(scope="module")
def maven_outlook(maven):
    return B.outlook(maven, "2017-Q4", by="team", n_jobs=1)     # the page's defaults


def _text(out) -> str:
    if hasattr(out, "_repr_html_"):
        return out._repr_html_()
    return out.data if hasattr(out, "data") else str(out)


def test_replay_skips_moments_before_the_first_bookings(maven):
    plan = replay_points(maven, "2017-Q4", 3, (1, 4, 7, 10, 13))
    kept, last = B.with_history(maven, plan, "month")
    # bookings start in March 2017: no 2017-Q1 moment has three complete months behind it
    assert {q.label for q, _, _ in plan} == {"2017-Q1", "2017-Q2", "2017-Q3"}
    assert "2017-Q1" not in {q.label for q, _, _ in kept}
    assert {q.label for q, _, _ in kept} >= {"2017-Q2", "2017-Q3"}
    assert len(kept) < len(plan) and set(last) == {a for _, _, a in kept}
    assert not any(pd.isna(v) for v in last.values())
    # nothing known at all: every point dropped, the replay is empty rather than failing
    q1 = [(q, w, a) for q, w, a in plan if q.label == "2017-Q1"]
    assert B.with_history(maven, q1, "month") == ([], {})


def test_maven_outlook_renders_the_final_result_without_quota(maven, maven_outlook):
    ol = maven_outlook
    assert len(ol.past) and not ol.past["as_of"].lt(pd.Timestamp("2017-04-01")).any()
    cards = V.headline(ol, maven)
    assert cards[0][0] == "2017-Q4 final result"
    assert cards[0][1] == f"${V.final_result(maven, '2017-Q4') / 1e6:.1f}M"
    assert cards[1] == ("vs quota", "–", "needs a quotas table; this data has none")
    assert cards[2][0] == "vs last year" and "no bookings in 2016-Q4" in cards[2][2]
    # the period is over: its forecast as made on its first day, against the final result,
    # with only the data known then; a replay, so nothing is written to the ledger
    final = V.final_result(maven, "2017-Q4")
    assert ol.as_of == pd.Timestamp("2017-10-01") and ol.history["ds"].max() < ol.as_of
    assert cards[3][0] == "forecast on 01 Oct 2017"
    b = ol.summary.set_index("source").loc["blend"]
    assert b["lower"] < b["value"] < b["upper"]            # a range, not value = lower = upper
    assert ("inside" if b["lower"] <= final <= b["upper"] else "outside") in cards[3][2]
    ranges = _text(V.ranges_view(ol, maven))
    assert "final result" in ranges.lower() and "first day" in ranges
    assert ol.ledger_rows().empty
    # a period still running: the forecast, its quota card still says what it needs
    running = V.headline(ol)
    assert running[0][0] == "2017-Q4 forecast" and running[1][2] == V.NO_QUOTA


def test_maven_groups_without_quota_say_what_they_need(maven_outlook):
    html = _text(V.groups_view(maven_outlook))
    assert "quota and attainment need a quotas table, and this data has none" in html
    assert "Attainment" not in html and "<th>Quota" not in html
    fig = V.plot_groups(maven_outlook)
    # 2017-Q4 is over: the chart says its forecast was made on the quarter's first day
    assert viz.figure_title(fig) == ("2017-Q4 forecast by team made on 01 Oct 2017 "
                                     "(no quotas in the data)")
    assert "quota" not in fig.axes[0].get_legend_handles_labels()[1]


def test_maven_teams_add_up_to_the_pages_total(maven_outlook):
    ol = maven_outlook
    blend = ol.summary.set_index("source").loc["blend"]
    g = ol.groups
    teams = g[g["level"] == "team"]
    assert teams["value"].sum() == pytest.approx(blend["value"])
    assert g.loc[g["level"] == "total", "value"].iloc[0] == pytest.approx(blend["value"])
    html = _text(V.groups_view(ol))
    assert ">Total<" in html and viz.money(blend["value"]) in html
    # the caption names the method as the method table does ("Bottom-up", not "bottom up")
    used = V.method_name(teams["method"].iloc[0])
    assert f"reconciled by {used} at this level" in html and used[0].isupper()
    # too little history to score the methods: said so, not "no hierarchy"
    note = _text(V.reconciliation_view(ol))
    assert "Too little history" in note and "bottom-up" in note


def test_maven_pipeline_and_calls_say_what_they_rest_on(maven, maven_outlook):
    note = _text(V.pipeline_note(maven))
    assert "no opportunity history or forecast categories" in note
    assert "read from each deal&#x27;s final row back in time" in note
    assert "read from its final row back in time" in _text(V.history_note(maven))
    calls = _text(V.calls_view(maven, maven_outlook, by="team"))
    assert "Commit calls need a forecast category on the opportunities" in calls


def _stub(history: bool, categories: bool):
    opp = pd.DataFrame({"opportunity_id": ["o1"],
                        "forecast_category": ["commit" if categories else None]})
    hist = pd.DataFrame({"opportunity_id": ["o1"] * history,
                         "forecast_category": [None] * history})
    return SimpleNamespace(opportunities=opp, opportunity_history=hist)


def test_pipeline_note_one_sentence_per_missing_part():
    assert V.pipeline_note(_stub(True, True)) is None
    assert V.history_note(_stub(True, False)) is None
    only_hist = _text(V.pipeline_note(_stub(False, True)))
    assert only_hist.startswith("<div") and "no opportunity history, so" in only_hist
    assert "forecast categories" not in only_hist
    only_cat = _text(V.pipeline_note(_stub(True, False)))
    assert "no forecast categories, so every open deal counts in" in only_cat
    assert "history" not in only_cat
    for t in (only_hist, only_cat):
        assert t.count(". ") == 0      # one sentence


def test_maven_stage_check_and_short_backtest_say_why_instead_of_drawing(maven, maven_outlook):
    # no history and no stage dates: no deal's past stage is known, so nothing is scored
    out = V.reliability_view(maven, "2017-Q4")
    assert "stage probabilities cannot be checked" in _text(out)
    # history too short for any held-out point: one sentence instead of a table of dashes
    nan = float("nan")
    bt = pd.DataFrame({"model": ["snaive", "auto"], "wape": nan, "mase": nan, "bias": nan,
                       "coverage": nan, "fva": nan, "n_points": 0, "chosen": ["", "snaive"]})
    short = SimpleNamespace(backtest=bt, history=maven_outlook.history.head(7), level=80.0)
    acc = _text(V.accuracy_view(short))
    assert acc.startswith("<div") and "Too little history to score the models" in acc
    # 2017-Q4 is over: forecast as of its first day, when seven months of bookings were
    # known (March–September), too few for any held-out origin: the page says so
    assert maven_outlook.as_of == pd.Timestamp("2017-10-01")
    assert "from the 7 periods" in _text(V.accuracy_view(maven_outlook))


def test_stage_check_draws_when_past_stages_are_known():
    ds = load_dataset("sample:accounts=300,reps=10,years=2,seed=3")
    fig = V.reliability_view(ds, ds.as_of.strftime("%Y") + "-Q1")
    assert viz.figure_title(fig).startswith("Stage probabilities vs outcomes (Brier 0.")


def test_open_deals_without_recorded_stages_take_the_odds_of_deals_like_them(maven):
    # no history, no stage dates: a deal open on 30 Jun 2017 is "(stage not recorded)"; its
    # odds come from deals closed by then, each one episode from creation (before, no closed
    # deal had a stage episode and every open deal read p_win = 0, a $0 pipeline component)
    from salesops_lib.forecast import pipeline_forecast
    from salesops_lib.measures import UNRECORDED_STAGE

    as_of = pd.Timestamp("2017-06-30")
    f = pipeline_forecast(maven, "2017-Q3", as_of=as_of)
    o = maven.opportunities
    closed = o[o["status"].isin(["won", "lost"]) & (o["close_date"] <= as_of)]
    bare = f.deals[f.deals["stage"] == UNRECORDED_STAGE]
    assert len(bare) > 500
    # by hand, for one deal g days old: the won share of closed deals that lived longer than g
    d = bare.iloc[0]
    g = (as_of - d["stage_entered"]).days
    life = (closed["close_date"] - closed["created_date"]).dt.days
    assert d["p_win"] == pytest.approx((closed.loc[life > g, "status"] == "won").mean())
    assert 0.4 < bare["p_win"].mean() < 0.9
    assert (bare["p_time"] > 0).mean() > 0.5
    pipe = f.components.set_index("component").loc["pipeline", "value"]
    assert pipe > 0.3 * bare["amount"].sum()


def test_a_period_at_the_start_of_the_data_says_what_it_lacks(maven):
    """Maven's 2017-Q2 is forecast as of 1 Apr 2017, when one month of bookings (March) was
    known: the page failed with "cannot infer a frequency from fewer than 2 distinct dates"."""
    with pytest.raises(ValueError, match=r"2017-Q2 cannot be forecast: on 01 Apr 2017 \(its "
                                         r"first day\) the data held 1 complete month of "
                                         r"bookings, and the forecast needs at least 3"):
        B.outlook(maven, "2017-Q2", by="team", n_jobs=1)


def _with_interval(ol):
    return SimpleNamespace(**{**vars(ol), "summary": ol.summary.assign(interval="calibrated")})


def test_a_miss_smaller_than_the_rounding_shows_enough_decimals(monkeypatch):
    """2026-Q3: "80% range $6.9M – $9.2M: the result fell outside" beside a final $6.9M
    ($6,870,800 below a lower bound of $6,872,480): the cards show the decimals that part them."""
    from types import SimpleNamespace

    summary = pd.DataFrame({"source": ["blend"], "value": [7.9e6], "lower": [6_872_480.0],
                            "upper": [9.2e6]})
    ol = SimpleNamespace(period="2026-Q3", summary=summary, as_of=pd.Timestamp("2026-07-01"),
                         level=80, quota=float("nan"), last_year=float("nan"),
                         settings={"closed": True})
    monkeypatch.setattr(V, "final_result", lambda ds, period: 6_870_800.0)
    cards = V.headline(ol, object())
    assert cards[0][1] == "$6.871M"
    assert cards[3][2] == "80% range $6.872M – $9.200M: the result fell outside"
    # the ranges table under the cards follows the same rule (it read "$6.9M ... $6.9M ... no")
    table = _text(V.ranges_view(_with_interval(ol), object()))
    assert ">$6.871M<" in table and ">$6.872M<" in table and ">no<" in table
    monkeypatch.setattr(V, "final_result", lambda ds, period: 8.0e6)     # inside: as before
    cards = V.headline(ol, object())
    assert cards[0][1] == "$8.0M" and cards[3][2] == "80% range $6.9M – $9.2M: the result fell inside"


def test_the_executive_summary_shows_the_forecast_pages_number(maven, maven_outlook):
    """The summary's forecast is the page's: the same blend and range (the page's total does
    not depend on its breakdown), and on a finished quarter the forecast made on its first day
    beside its error against the result (hand-computed from the page's own numbers)."""
    from salesops_lib.forecast import brief

    ol = brief.page_outlook(maven, "2017-Q4")
    cols = ["source", "value", "lower", "upper"]
    pd.testing.assert_frame_equal(ol.summary[cols], maven_outlook.summary[cols])
    cards = brief.brief_cards(maven, ol)
    page = V.headline(maven_outlook, maven)
    assert cards[0] == page[-1] and cards[0][0] == "forecast on 01 Oct 2017"
    value = float(ol.summary.set_index("source").at["blend", "value"])
    final = V.final_result(maven, "2017-Q4")
    assert cards[1] == ("forecast vs result", viz.signed_pct(value / final - 1),
                        f"forecast {viz.money(value)} against the final {viz.money(final)}")


def test_the_executive_summary_says_why_there_is_no_forecast(maven):
    from salesops_lib.forecast import brief

    why = brief.page_outlook(maven, "2017-Q2")
    assert why.startswith("2017-Q2 cannot be forecast: on 01 Apr 2017")
    assert "a later period can be forecast." in _text(brief.brief_view(maven, why))
    assert brief.page_outlook(SimpleNamespace(is_lazy=True), "2017-Q4") == brief.LAZY_NOTE
