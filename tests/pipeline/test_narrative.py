"""Readings, windows, tables and charts of the pipeline-health report."""

from __future__ import annotations

import dataclasses

import matplotlib
import pandas as pd
import pytest

from salesops_lib import pipeline

from .conftest import history_ds

matplotlib.use("Agg")

ROWS = [("O1", "2026-09-01", "open", 100, "2026-11-15", "R1"),
        ("O1", "2026-10-10", "won", 120, "2026-10-10", "R1"),
        ("O2", "2026-10-05", "open", 50, "2026-12-01", "R3"),
        ("O3", "2026-09-01", "open", 80, "2026-12-20", "R1"),
        ("O3", "2026-10-20", "open", 80, "2027-01-20", "R1")]


def test_default_windows_are_quarter_to_date_and_last_week():
    ds = history_ds(ROWS, as_of="2026-11-15")
    w = pipeline.report_windows(ds, "2026-Q4")
    assert w == [("quarter to date", pd.Timestamp("2026-09-30"), pd.Timestamp("2026-11-15")),
                 ("last 7 days", pd.Timestamp("2026-11-08"), pd.Timestamp("2026-11-15"))]
    # a month's or a year's run said "quarter to date" over the month or the year
    assert pipeline.report_windows(ds, "2026-11")[0] == (
        "month to date", pd.Timestamp("2026-10-31"), pd.Timestamp("2026-11-15"))
    assert pipeline.report_windows(ds, "2026")[0][0] == "year to date"
    # a closed period's walk covers all of it: "quarter to date" read as if it were open
    assert pipeline.report_windows(ds, "2026-Q3")[0] == (
        "whole quarter", pd.Timestamp("2026-06-30"), pd.Timestamp("2026-09-30"))
    assert pipeline.report_windows(ds, "2026-Q4", "2026-10-01", "2026-10-31")[0][1:] == (
        pd.Timestamp("2026-10-01"), pd.Timestamp("2026-10-31"))


def test_headline_and_reading():
    ds = history_ds(ROWS, as_of="2026-11-15")
    h = pipeline.headline(ds, "2026-Q4")
    assert (h["pipeline_start"], h["pipeline_end"], h["net_change"]) == (180, 50, -130)
    cards = pipeline.kpi_cards(h)
    assert cards[0][:2] == ("Pipeline now", "$50") and cards[2][1] == "-$130"
    # O1 was $100 in the pipeline and won at $120: the walk books what it booked ($120) and
    # the $20 in amount up, so "won" is the bookings the other pages show
    assert not h["closed"] and (h["won"], h["won_deals"]) == (120, 1)
    text = pipeline.reading_waterfall(pipeline.main_waterfall(ds, "2026-Q4"))
    assert text.startswith("The period's pipeline went from $180 to $50 (-$130)")
    assert "won $120" in text and "pushed out $80" in text and "created $50" in text
    # the largest moves by size, out then in (a $8.7k "amount up" was listed beside $1.8M)
    from salesops_lib.pipeline.waterfall import ORDER

    amounts = {"start": 9.2e6, "created": 7.7e5, "amount up": 8.7e3, "won": -1.7e6,
               "lost": -1.8e6, "pushed out": -1.5e6, "end": 5.0e6}
    wf = pd.DataFrame({"bucket": list(ORDER), "amount": [amounts.get(b, 0.0) for b in ORDER]})
    assert pipeline.reading_waterfall(wf).endswith(
        "the largest moves: lost $1.8M, won $1.7M, pushed out $1.5M (out); created $770.0k (in).")


def test_a_closed_period_leads_with_what_was_won():
    ds = history_ds(ROWS, as_of="2027-01-31")
    h = pipeline.headline(ds, "2026-Q4")
    assert h["closed"] and h["end"] == pd.Timestamp("2026-12-31")
    cards = pipeline.kpi_cards(h)
    assert [c[0] for c in cards] == ["Won from the pipeline", "At the start", "Lost",
                                     "Left open at the end"]
    # O1 won at $120 (it held $100 at the start): the card shows what was booked, as the
    # forecast's final result and the executive summary do (it read $100); O2 ($50) still open
    assert cards[0][1:] == ("$120", "1 deal, whole quarter")   # was "quarter to date"
    assert cards[3][1:] == ("$50", "1 deal still open on 31 Dec 2026")


def test_history_note_says_what_is_missing(sample_small):
    import dataclasses

    no_history = dataclasses.replace(sample_small,
                                     opportunity_history=sample_small.opportunity_history.iloc[:0])
    assert "amount up and down" in pipeline.history_note(no_history)
    assert "recorded changes" in pipeline.history_note(sample_small)
    assert "5 recorded changes" in pipeline.history_note(history_ds(ROWS))


def test_charts_have_titles_and_labels():
    ds = history_ds(ROWS, as_of="2026-11-15")
    fig = pipeline.plot_waterfall(pipeline.main_waterfall(ds, "2026-Q4"), title="Walk")
    ax = fig.axes[0]
    assert ax.get_title(loc="left") == "Walk" and ax.get_ylabel() == "Pipeline amount ($)"
    assert [t.get_text() for t in ax.get_xticklabels()] == ["Start", "Created", "Amount up",
                                                           "Won", "Pushed out", "End"]
    rates = pipeline.rep_slip_rates(ds, min_deals=1)
    fig = pipeline.plot_rep_slips(rates)
    assert "slipped" in fig.axes[0].get_title(loc="left")
    # the chart says what its colours mean (only the sentence above it did): one entry per
    # colour drawn
    legend = [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    drawn = {"slips more than the org (chronic)" if c else "within chance of the org"
             for c in rates["chronic"].fillna(False).astype(bool)}
    assert set(legend) == drawn
    flagged = rates.assign(chronic=[True] + [False] * (len(rates) - 1))
    assert len(pipeline.plot_rep_slips(flagged).axes[0].get_legend().get_texts()) == \
        (2 if len(rates) > 1 else 1)
    # no close-date history: no empty chart (the section's sentence says what slips need)
    assert pipeline.plot_rep_slips(pipeline.rep_slip_rates(history_ds(ROWS)).iloc[0:0]) is None
    fig = pipeline.plot_funnel(pipeline.cohort_funnel(ds))
    assert fig.axes[0].get_xlabel().endswith("(%)")


def test_tables_render_names(sample_small):
    html = pipeline.group_table(sample_small, "2025-Q4", by="team").to_html()
    assert "Net change" in html and "Team" in html
    stuck = pipeline.stuck_deals(sample_small)
    html = pipeline.stuck_table(stuck, 5).to_html()
    assert stuck["account_name"].iloc[0] in html and stuck["rep_name"].iloc[0] in html
    assert stuck["opportunity_id"].iloc[0] not in html


def test_maven_export_renders_with_sentences_for_what_it_lacks(shared_data):
    from salesops_lib import load_dataset

    from ..conftest import MAVEN_MAPPING

    ds = load_dataset(shared_data / "crm_sales_opportunities_maven", mapping=MAVEN_MAPPING)
    h = pipeline.headline(ds, "2017-Q4")
    assert h["pipeline_start"] > 0 and pd.isna(h["coverage"])
    assert h["closed"] and pipeline.kpi_cards(h)[0][0] == "Won from the pipeline"
    assert "needs quotas" in pipeline.kpi_cards({**h, "closed": False})[3][2]
    assert "needs quotas" in pipeline.reading_coverage(pipeline.coverage(ds, "2017-Q4"))
    assert "need the opportunity history" in pipeline.reading_slips(pipeline.rep_slip_rates(ds))
    assert "no opportunity history" in pipeline.history_note(ds)
    assert "stage dates" in pipeline.reading_stuck(pipeline.stage_norms(ds),
                                                   pipeline.stuck_deals(ds))
    # no stage dates: no empty chart or table, and no stage-to-stage conversion made up from
    # open deals' current stages (it read "Engaging → Won: 482 entered, 0% conversion")
    assert not pipeline.has_stage_dates(ds)
    assert pipeline.plot_stage_days(pipeline.stage_norms(ds)) is None
    assert pipeline.stuck_table(pipeline.stuck_deals(ds)) is None
    assert pipeline.plot_rep_slips(pipeline.rep_slip_rates(ds)) is None
    flow = pipeline.flow_conversion(ds)
    assert flow.empty and "needs stage dates" in pipeline.flow_table(flow).data
    # the funnel measures only the share won (a lost deal's stages are unknown)
    funnel = pipeline.cohort_funnel(ds)
    assert funnel["stage"].tolist() == ["won"]
    o = ds.opportunities
    cohort = o[o["created_date"] > ds.as_of - pd.Timedelta(days=365)]
    assert funnel["observed_share"].iloc[0] == pytest.approx((cohort["status"] == "won").mean())
    _, rules = pipeline.audit(ds)
    assert rules.set_index("rule").loc["missing close date", "deals"] > 0   # open deals have none
    # without stage dates the stage rules cannot be checked: a dash, not "0 deals"
    r = rules.set_index("rule")
    for rule in ("stuck in stage", "stage skipped", "stage moved backward"):
        assert not r.loc[rule, "checkable"] and pd.isna(r.loc[rule, "deals"]), rule
    assert "stage skipped" in pipeline.reading_hygiene(rules)
    wf = pipeline.main_waterfall(ds, "2017-Q4")
    assert pipeline.reconciles(wf)


def test_every_section_runs_on_a_source_with_history():
    import numpy as np

    from .test_waterfall import random_history

    rng = np.random.default_rng(5)
    ds = random_history(rng)
    for _ in range(3):                       # a few deals more, as one frame set
        more = random_history(rng)
        if len(more.opportunities) > len(ds.opportunities):
            ds = more
    d = pd.Timestamp("2026-10-31")
    h = pipeline.headline(ds, "2026-Q4", end="2026-10-31")
    assert h["end"] == d
    assert "recorded changes" in pipeline.history_note(ds)
    for styler in (pipeline.windows_table(ds, "2026-Q4", end="2026-10-31"),
                   pipeline.group_table(ds, "2026-Q4", end="2026-10-31", by="team"),
                   pipeline.path_table(ds, "2026-Q4", end="2026-10-31"),
                   # as of mid-quarter (a finished period has no coverage table), with
                   # quotas (without any, the reading says so and there is no table)
                   pipeline.coverage_table(pipeline.coverage(dataclasses.replace(
                       ds, as_of=pd.Timestamp("2026-11-15"), quotas=pd.DataFrame({
                           "rep_id": ds.reps["rep_id"], "period": "2026-Q4",
                           "quota": 1000.0})), "2026-Q4")),
                   pipeline.flow_table(pipeline.flow_conversion(ds, as_of=d)),
                   pipeline.rules_table(pipeline.audit(ds, as_of=d)[1])):
        assert "<table" in styler.to_html()
    rates = pipeline.rep_slip_rates(ds, as_of=d, min_deals=1)
    assert pipeline.reading_slips(rates)
    pipeline.plot_rep_slips(rates)
    pipeline.slip_table(pipeline.slip_probability(ds, as_of=d))
    funnel = pipeline.cohort_funnel(ds, as_of=d)
    assert pipeline.reading_funnel(funnel)
    norms = pipeline.stage_norms(ds, as_of=d)
    assert pipeline.reading_stuck(norms, pipeline.stuck_deals(ds, as_of=d))


def test_slip_sentence_counts_every_chronic_rep():
    """It named six reps while the chart marked nine."""
    rates = pd.DataFrame({"rep_name": [f"Rep {i}" for i in range(9)] + ["Calm"],
                          "chronic": [True] * 9 + [False], "org_rate": 0.21})
    text = pipeline.reading_slips(rates)
    assert "9 reps slip more than that beyond chance: Rep 0, Rep 1" in text
    assert "Rep 5 and 3 more (red in the chart)" in text and "Rep 6" not in text
    one = pipeline.reading_slips(rates.assign(chronic=[True] + [False] * 9))
    assert "; Rep 0 slips more than that beyond chance" in one


def test_coverage_sentence_says_how_many_it_does_not_name():
    cov = pd.DataFrame({"group": [f"R{i}" for i in range(8)], "quota": 1.0,
                        "verdict": ["short"] * 8})
    text = pipeline.reading_coverage(cov)
    assert "R4, R5 and 2 more (in the table)." in text
    # a team short here while the forecast page has it at quota: the sentence says why both hold
    assert text.endswith("so a group short here can still be forecast to reach quota.")


def test_walk_won_is_what_the_deals_booked():
    """The closed quarter's "won from the pipeline" read $6.8M on the sample's 2026-Q3 beside
    the $6.9M its forecast page and executive summary booked: exits were booked at their
    amount at the start of the walk. On paper: O1 $100 at the start, won at $120."""
    ds = history_ds(ROWS, as_of="2027-01-31")
    wf = pipeline.main_waterfall(ds, "2026-Q4").set_index("bucket")["amount"]
    assert (wf["start"], wf["amount up"], wf["won"], wf["pushed out"], wf["created"],
            wf["end"]) == (180, 20, -120, -80, 50, 50)
    assert pipeline.reconciles(wf.rename("amount").reset_index())
    assert pipeline.headline(ds, "2026-Q4")["won"] == 120
    path = pipeline.waterfall_path(ds, "2026-09-30", "2026-12-31", window="2026-Q4",
                                   exit_amount="end").set_index("bucket")["amount"]
    assert (path["won"], path["amount up"]) == (-120, 20)
    html = pipeline.path_table(ds, "2026-Q4").to_html()
    assert html.count("-$120") == 2                 # both columns book the $120


def test_reps_sharing_a_name_are_told_apart():
    """Two "Elena Larsen" (Field East and Field West) read the same in the slips chart,
    stuck deals, exceptions and per-rep tables, and ``by=rep_id`` showed rep ids."""
    reps = pd.DataFrame({"rep_id": ["R1", "R2", "R3"], "rep_name": ["Ann Lee", "Bob Roy", "Ann Lee"],
                         "team": ["East", "East", "West"]})
    rows = ROWS + [("O4", "2026-09-01", "open", 30, "2026-10-20", "R3"),
                   ("O4", "2026-10-15", "open", 30, "2026-11-20", "R3"),
                   ("O5", "2026-09-01", "open", 10, "2026-10-01", "R3")]   # overdue
    ds = history_ds(rows, as_of="2026-11-15", reps=reps)
    rates = pipeline.rep_slip_rates(ds, min_deals=1)
    assert set(rates["rep_name"]) == {"Ann Lee (East)", "Ann Lee (West)"}
    issues, _ = pipeline.audit(ds)
    assert "Ann Lee (West)" in set(issues["rep_name"])
    q = pipeline.quality_score(ds, issues, by="rep_id")
    assert set(q["rep_name"]) == {"Ann Lee (East)", "Ann Lee (West)"}
    html = pipeline.group_table(ds, "2026-Q4", by="rep_id").to_html()
    assert "Ann Lee (East)" in html and "Ann Lee (West)" in html and ">R1<" not in html
    quotas = pd.DataFrame({"rep_id": ["R1", "R3"], "period": "2026-Q4", "quota": [1000.0, 1000.0]})
    closed = [("P1", "2026-05-01", "open", 100, "2026-06-15", "R1"),
              ("P1", "2026-06-10", "won", 100, "2026-06-10", "R1"),
              ("P3", "2026-05-01", "open", 100, "2026-06-15", "R3"),
              ("P3", "2026-06-10", "won", 100, "2026-06-10", "R3"),
              ("P4", "2026-05-01", "open", 100, "2026-06-15", "R3"),
              ("P4", "2026-06-12", "lost", 100, "2026-06-12", "R3")]
    cov = pipeline.coverage(history_ds(rows + closed, as_of="2026-11-15", reps=reps,
                                       quotas=quotas), "2026-Q4", by="rep_id")
    html = pipeline.coverage_table(cov).to_html()
    assert "Ann Lee (West)" in html and ">R3<" not in html
    assert "Ann Lee (East)" in pipeline.reading_coverage(cov)


def test_coverage_sentence_does_not_call_unjudged_groups_covered():
    """No deal closed in the quarters before the period: no win rate, no required coverage,
    every verdict "unknown"; the page read "Every group has at least the coverage its
    realised win rate requires"."""
    cov = pd.DataFrame({"group": ["East", "West"], "quota": 1000.0, "verdict": "unknown"})
    text = pipeline.reading_coverage(cov)
    assert "Every group has" not in text and "cannot be judged" in text
    cov = pd.DataFrame({"group": ["East", "West"], "quota": 1000.0,
                        "verdict": ["covered", "unknown"]})
    text = pipeline.reading_coverage(cov)
    assert text.startswith("Every other group has") and "West" in text
    cov = pd.DataFrame({"group": ["East", "West"], "quota": [1000.0, None], "remaining": [0.0, None],
                        "verdict": ["unknown", "unknown"]})
    assert pipeline.reading_coverage(cov) == ("No group's coverage can be judged: at quota "
                                              "already: East; no quota: West.")


def test_windows_table_says_why_a_short_window_can_show_more(sample_ds):
    """2026-Q3's walk read "pulled in" $790.0k for the quarter and $1.2M for its last 7 days,
    with nothing on the page saying windows net each deal's start against its end."""
    import html as html_

    from salesops_lib.pipeline import narrative

    html = pipeline.windows_table(sample_ds, "2026-Q3").to_html()
    assert "pulled in and pushed out again inside a window counts in neither" in html
    assert html_.escape(narrative.WINDOWS_CAPTION) in html
