"""Charts and sentences of the strategy report, and the whole report chain on data that lack
roles or activities (a section says what it needs instead of failing)."""

from __future__ import annotations

import matplotlib

from salesops_lib import load_dataset, strategy

from .conftest import year_2026

matplotlib.use("Agg")


def chain(ds, period, back, segment="SMB"):
    """Every call the notebook makes, in its order."""
    win = strategy.window(ds, period, back)
    a = strategy.assumptions()
    econ = strategy.economics(ds, win, assume=a)
    rec = strategy.recommend(ds, win, a)
    plan = strategy.what_if(ds, win, a, segment=segment)
    cmp = strategy.like_for_like(ds, strategy.closed_deals(ds, win))
    rates = strategy.activity_rates(ds, win)
    per = strategy.per_deal(ds, win)
    curve = strategy.response_curve(ds, win)
    tc = strategy.territory_change(ds, plan, time_limit=3)
    texts = [strategy.headline(rec, plan), strategy.reading_economics(econ),
             strategy.reading_segments(rec), strategy.reading_comparison(cmp),
             strategy.reading_activities(per), strategy.reading_time(strategy.time_per_deal(ds, win)),
             strategy.reading_response(curve), strategy.reading_what_if(plan),
             strategy.reading_territory(tc)]
    figs = [strategy.plot_motion_economics(econ), strategy.plot_segment_contribution(rec),
            strategy.plot_comparison(cmp), strategy.plot_activity_mix(rates),
            strategy.plot_per_deal(per), strategy.plot_response(curve), strategy.plot_what_if(plan)]
    tables = [strategy.economics_table(econ), strategy.recommend_table(rec),
              strategy.comparison_table(cmp), strategy.what_if_table(plan),
              strategy.territory_table(tc)]
    for by in ("segment", "size_band", "region", "industry"):
        tables.append(strategy.economics_table(strategy.economics(ds, win, by=by, assume=a)))
    return {"econ": econ, "plan": plan, "texts": texts, "figs": figs, "tables": tables,
            "cards": strategy.kpi_cards(econ, plan)}


def test_every_chart_is_titled_and_labelled(small_ds):
    out = chain(small_ds, "2025", 2)
    assert all(f is not None for f in out["figs"])
    for fig in out["figs"]:
        ax = fig.axes[0]
        assert (ax.get_title() or ax.get_title(loc="left")) and ax.get_xlabel()
    assert all(isinstance(t, str) and t for t in out["texts"])
    labels = [c[0] for c in out["cards"]]
    assert labels[:2] == ["Cost of sale, field", "Cost of sale, inside"]
    assert labels[-1] == "Coverage shift, per year"


def test_sentences_carry_the_numbers(small_ds):
    w = strategy.window(small_ds, "2025", 2, kind="year")
    plan = strategy.what_if(small_ds, w, segment="SMB")
    text = strategy.reading_what_if(plan)
    n = plan.attrs["accounts_moved"]
    assert text.startswith(f"Move {n:,} SMB accounts from field to inside")
    f = plan.set_index("motion").loc["field"]
    assert f"field needs {f['fte_after']:.1f} FTE" in text


def test_data_without_roles_or_activities_do_not_fail(bare_ds):
    out = chain(bare_ds, "2026", 1)
    texts = " ".join(out["texts"])
    assert "role" in texts and "activities" in texts
    assert out["figs"][0] is not None                    # economics over all reps still draws
    assert all(f is None for f in out["figs"][1:])
    assert [c[0] for c in out["cards"]] == ["Cost of sale, all reps", "Bookings per FTE, all reps"]
    # a section that cannot be shown says why once, in its reading: its table adds nothing
    assert out["tables"][1:5] == [None, None, None, None]
    assert out["tables"][0] is not None                  # economics over all reps still shows


def test_territory_table_tells_same_named_reps_apart():
    from types import SimpleNamespace

    import pandas as pd

    t = pd.DataFrame({"rep_id": ["R1", "R2", "R3"], "rep_name": ["Ana Ruiz", "Ana Ruiz", "Bo Li"],
                      "accounts": [3, 4, 5], "potential": [30.0, 20.0, 10.0],
                      "potential_index": [1.5, 1.0, 0.5], "travel_km": [1.0, 2.0, 3.0]})
    html = strategy.territory_table(SimpleNamespace(territories=t)).to_html()
    assert "Ana Ruiz (R1)" in html and "Ana Ruiz (R2)" in html and ">Bo Li<" in html
    assert "rep_id" not in html


def test_the_public_maven_export_runs_through(shared_data):
    from tests.conftest import MAVEN_MAPPING

    ds = load_dataset(shared_data / "crm_sales_opportunities_maven", mapping=MAVEN_MAPPING)
    out = chain(ds, "2017", 1)
    assert out["econ"]["deals"].sum() > 1000
    assert "role" in out["plan"].attrs["missing"]


def test_kpi_cards_on_the_hand_made_org(tiny_ds):
    from salesops_lib import viz

    w = year_2026()
    a = strategy.assumptions(200_000, 110_000, 250, 1_500)
    econ = strategy.economics(tiny_ds, w, assume=a)
    plan = strategy.what_if(tiny_ds, w, a, segment="SMB")
    cards = {label: value for label, value, _ in strategy.kpi_cards(econ, plan)}
    Y = 365 / 365.25
    assert cards["Cost of sale, field"] == viz.pct((Y * 200_000 + 500) / 6000)
    assert cards["Bookings per FTE, inside"] == viz.money(400 / Y)
    gain = -(-0.25 * 200_000 + 110_000) + (400 - 1000) / Y      # cost saved + bookings change
    assert cards["Coverage shift, per year"] == f"−{viz.money(abs(gain))}"


def test_segment_sentence_without_a_comparison_says_so():
    """It read "Mid-Market: field (not clear, – more per rep-hour)" when the segment had no
    inside deals."""
    import pandas as pd

    rec = pd.DataFrame({"segment": ["SMB", "Mid-Market"], "recommended": ["inside", "field"],
                        "difference": [536.0, float("nan")], "clear": [False, False]})
    text = strategy.reading_segments(rec)
    assert "SMB: inside (not clear, $536 more per rep-hour)" in text
    assert "Mid-Market: field (the only motion with deals here, no comparison)" in text
    assert "– more" not in text


def test_territory_table_total_travel_is_potential_weighted_not_summed():
    """The totals row added up each territory's average km (8,824 km on the sample page, where
    the sentence above said 312 km per account)."""
    from types import SimpleNamespace

    import pandas as pd

    t = pd.DataFrame({"rep_id": ["R1", "R2"], "rep_name": ["Ann", "Bo"], "accounts": [3, 1],
                      "potential": [30.0, 10.0], "potential_index": [1.5, 0.5],
                      "travel_km": [100.0, 500.0]})
    data = strategy.territory_table(SimpleNamespace(territories=t)).data
    total = data.iloc[-1]
    # (30 × 100 + 10 × 500) / 40 = 200 km, not 600
    assert total["travel_km"] == 200.0
    assert total["potential"] == 40.0 and total["accounts"] == 4


def test_territory_sentence_measures_against_targets_and_names_a_missing_plan():
    """It read "Largest territory 1.10× the mean potential" for a rep at 1.10× its own
    capacity-scaled target (1.17× the mean), and blamed the roles when the what-if only lacked
    inside accounts in the chosen segment."""
    from types import SimpleNamespace

    import pandas as pd

    s = pd.Series({"accounts_after": 10, "reps_after": 2, "reps_before": 3,
                   "accounts_reassigned": 4, "balance_max_over_mean_after": 1.1,
                   "balance_max_over_mean_before": 3.91, "travel_km_after": 312.0,
                   "travel_km_before": 157.0})
    text = strategy.reading_territory(SimpleNamespace(summary=s))
    assert "Largest territory 1.10× its target (scaled to the rep's capacity; today 3.91×)" in text
    assert "mean potential" not in text
    plan = pd.DataFrame()
    plan.attrs["missing"] = "The what-if needs inside reps already covering some accounts of the group."
    text = strategy.reading_territory(None, plan)
    assert "roles" not in text and "what-if above" in text
    assert strategy.reading_territory(None).startswith("The territory change needs the what-if above")


def test_what_if_table_names_motions_as_the_other_tables_do(tiny_ds):
    w = year_2026()
    plan = strategy.what_if(tiny_ds, w, strategy.assumptions(), segment="SMB")
    styler = strategy.what_if_table(plan)
    assert styler.data["motion"].tolist() == ["Field", "Inside", "Total"]
    # its bookings are by the account owner's motion: the caption says why they differ from
    # the economics table's (by the rep who worked the deal) on the same page
    assert "under the motion of each account" in styler.to_html()


def test_economics_sentence_names_the_window(tiny_ds, bare_ds):
    """Without roles (the Maven export) the headline only asks for roles, so the page never
    said which months its economics covered."""
    w = year_2026()
    text = strategy.reading_economics(strategy.economics(bare_ds, w))
    assert text.startswith("Over 2026, all reps together booked $6.4k")
    text = strategy.reading_economics(strategy.economics(tiny_ds, w))
    assert text.startswith("Over 2026, field reps book the most per FTE")
