"""What the forecast report shows: key numbers and formatted tables from an
:class:`~salesops_lib.forecast.blend.Outlook`, so the notebook stays one call per section."""

from __future__ import annotations

from functools import partial

import numpy as np
import pandas as pd

from . import timeseries as fc_
from . import calls as calls_
from . import track as track_
from .. import viz
from ..periods import Period
from .pipeline_model import pipeline_forecast

_MODEL_NAMES = {"auto": "auto, scored out of sample", "snaive": "seasonal naive (baseline)",
                "ets": "ETS (baseline)", "theta": "Theta (baseline)",
                "mstl": "MSTL (long seasons)", "ensemble": "ensemble (ETS, Theta, Prophet)",
                "prophet": "Prophet for sales", "prophet_default": "Prophet, default settings"}


def final_result(ds, period) -> float | None:
    """The period's booked total once it is over (Σ amount won with close date in it), else
    None: a period still running has no final result."""
    from .series import period_actuals

    P = Period.parse(period, ds.fiscal_start_month)
    if pd.Timestamp(ds.as_of) < P.end:
        return None
    a = period_actuals(ds, P.kind)
    return float(a.loc[a["period"] == P.label, "actual"].sum())


NO_QUOTA = "needs a quotas table; this data has none"
CALLS_NEED = ("Commit calls need a forecast category on the opportunities (commit, best case); "
              "this data has none.")


def has_history(ds) -> bool:
    """Whether the data keeps opportunity history (deals as they stood on past dates)."""
    h = getattr(ds, "opportunity_history", None)
    return h is not None and len(h) > 0


def has_categories(ds) -> bool:
    """Whether any deal carries a forecast category (commit, best case, ...)."""
    cats = [t["forecast_category"] for t in (ds.opportunities, getattr(ds, "opportunity_history", None))
            if t is not None and "forecast_category" in t.columns]
    return any(c.notna().any() for c in cats)


def pipeline_note(ds):
    """One sentence on what the pipeline rests on when the data lacks opportunity history or
    forecast categories (a :func:`salesops_lib.viz.callout`); None when it has both."""
    hist, cats = has_history(ds), has_categories(ds)
    if hist and cats:
        return None
    if not hist and not cats:
        text = ("This data has no opportunity history or forecast categories, so the pipeline on "
                "a past date is read from each deal's final row back in time (final amount, stage "
                "and close date), and every open deal counts in \"pipeline\", weighted by its "
                "stage odds (commit and best case stay empty).")
    elif not hist:
        text = ("This data has no opportunity history, so the pipeline on a past date is read from "
                "each deal's final row back in time (final amount, stage and close date), not as "
                "it stood then.")
    else:
        text = ("This data has no forecast categories, so every open deal counts in \"pipeline\", "
                "weighted by its stage odds (commit and best case stay empty).")
    return viz.callout(text)


def history_note(ds):
    """Without opportunity history, one sentence saying past stages are read back from final
    rows (for the stage-probability check); None with history."""
    if has_history(ds):
        return None
    return viz.callout("This data has no opportunity history, so a deal's stage on a past date is "
                       "read from its final row back in time, and these probabilities rest on that.")


def _last_year_card(ol, value: float):
    if np.isfinite(ol.last_year) and ol.last_year > 0:
        return ("vs last year", viz.signed_pct(value / ol.last_year - 1),
                f"last year {viz.money(ol.last_year)}")
    ly = Period.parse(ol.period).last_year().label
    return ("vs last year", "–", f"no bookings in {ly} to compare with")


def _quota_card(ol, value: float):
    if np.isfinite(ol.quota):
        return ("vs quota", viz.pct(value / ol.quota), f"quota {viz.money(ol.quota)}")
    return ("vs quota", "–", NO_QUOTA)


def headline(ol, ds=None) -> list[tuple[str, str, str | None]]:
    """Key numbers for :func:`salesops_lib.viz.kpis`: the blend and its range, vs quota and
    last year, then the two sources with their weights. With ``ds`` and a period that is
    over, the final result instead (a finished period is not forecast)."""
    final = final_result(ds, ol.period) if ds is not None else None
    if final is not None:
        return [(f"{ol.period} final result", viz.money(final),
                 "the period is over: what was forecast for it is compared below"),
                _quota_card(ol, final), _last_year_card(ol, final)]
    s = ol.summary.set_index("source")
    b = s.loc["blend"]
    items = [(f"{ol.period} forecast", viz.money(b["value"]),
              f"{ol.level:g}% range {viz.money(b['lower'])} – {viz.money(b['upper'])}"),
             _quota_card(ol, b["value"]), _last_year_card(ol, b["value"])]
    for src, label in (("timeseries", "time-series model"), ("pipeline", "pipeline")):
        items.append((label, viz.money(s.at[src, "value"]),
                      f"weight {viz.pct(ol.weights.get(src, np.nan))}"))
    return items


def outcome_view(ds, ol, recorded: pd.DataFrame):
    """A finished period's final result beside the forecasts kept for it before it ended
    (:func:`salesops_lib.forecast.ledger.against_actual`); for a period still running, one
    sentence saying the comparison comes once it closes."""
    from . import ledger

    final = final_result(ds, ol.period)
    if final is None:
        return viz.callout(f"{ol.period} is still running: its final result will appear here "
                           "beside the forecasts made during it once it has ended.")
    table = ledger.against_actual(recorded, ol.period, final,
                                  fiscal_start_month=ds.fiscal_start_month)
    if table.empty:
        return viz.callout(f"{ol.period} booked {viz.money(final)}. No forecast for it was kept "
                           "before it ended (the ledger fills as scheduled runs forecast a "
                           "period while it is open), so there is nothing to compare it with.")
    shown = table.assign(source=table["source"].map(
        {"timeseries": "time-series model", "pipeline": "pipeline", "blend": "blend"})
        .fillna(table["source"]), inside=table["inside"].map({True: "yes", False: "no"}))
    return viz.table(shown[["source", "forecasts", "first_value", "value", "lower", "upper",
                            "actual", "error", "inside"]].rename(columns={
                                "first_value": "first forecast", "value": "last forecast",
                                "inside": "inside range"}),
                     {"first forecast": "money", "last forecast": "money", "lower": "money",
                      "upper": "money", "actual": "money", "error": "money"},
                     caption=f"{ol.period}: forecasts kept before it ended vs the final result")


def ranges_view(ol):
    """Each source's number and range, and how the range was set."""
    t = ol.summary.assign(source=ol.summary["source"].map(
        {"timeseries": "time-series model", "pipeline": "pipeline", "blend": "blend"}))
    return viz.table(t[["source", "value", "lower", "upper", "interval"]],
                     {"value": "money", "lower": "money", "upper": "money"},
                     caption=f"{ol.period}: {ol.level:g}% ranges and how they were set")


def accuracy_table(ol) -> pd.DataFrame:
    """Step-level backtest per model, mean over series: ``wape``, ``mase``, ``bias``,
    ``coverage`` (of the 80% interval), ``fva``; ``auto``'s row is the procedure scored on
    the same held-out origins, each choice made on earlier data only."""
    bt = ol.backtest
    t = bt.groupby("model", sort=False)[["wape", "mase", "bias", "coverage", "fva"]].mean()
    chosen = bt.loc[bt["model"] == "auto", "chosen"]
    names = dict(_MODEL_NAMES, auto=f"auto, scored out of sample (now → {', '.join(sorted(set(chosen)))})")
    t.index = [names.get(m, m) for m in t.index]
    return t.rename_axis("model").reset_index()


def accuracy_view(ol):
    """:func:`accuracy_table` formatted for the report."""
    return viz.table(accuracy_table(ol), {"wape": "pct", "mase": partial(viz.num, decimals=2), "bias": "signed_pct",
                                          "coverage": "pct", "fva": "signed_pct"},
                     caption="Backtest accuracy per step, mean over series "
                             f"(coverage: share of actuals inside the {ol.level:g}% range)")


def coverage_view(ol):
    """Replayed period forecasts per source: error, bias and the achieved coverage."""
    t = ol.coverage.assign(source=ol.coverage["source"].map(
        {"timeseries": "time-series model", "pipeline": "pipeline", "blend": "blend"}))
    return viz.table(t, {"wape": "pct", "bias": "signed_pct", "coverage": "pct", "n": "num"},
                     caption=f"Past quarters replayed: accuracy and share of actuals inside the "
                             f"{ol.level:g}% range")


def track_record(ds, ol, recorded: pd.DataFrame | None = None) -> pd.DataFrame:
    """Accuracy of past forecasts by source and week of the period: the ledger's forecasts
    of ended periods plus the replayed ones (:func:`forecast_track.summary` table)."""
    cols = track_.LEDGER_COLUMNS
    entries = ol.past[cols] if len(ol.past) else pd.DataFrame(columns=cols)
    if recorded is not None and len(recorded):
        entries = pd.concat([entries, recorded[cols]], ignore_index=True)
    acc = track_.accuracy(entries, fc_.period_actuals(ds, Period.parse(ol.period).kind),
                          fiscal_start_month=ds.fiscal_start_month, as_of=ol.as_of)
    return track_.summary(acc)


def groups_view(ol):
    """The reconciled forecast of the ``by`` groups beside quota, with the method used."""
    g = ol.groups[ol.groups["level"] == ol.by]
    quota = "quota" in g and g["quota"].notna().any()
    cols = ["unique_id", "value", "lower", "upper", "base"] + (["quota", "attainment"] if quota
                                                               else [])
    t = g[cols].rename(columns={"unique_id": ol.by, "base": "before reconciling"})
    rec = g["reconciled"].any()
    how = (f"reconciled by {g['method'].iloc[0].replace('_', ' ')}"
           + (f" (fallback: {g['fallback'].iloc[0]})" if g["fallback"].iloc[0] else "")
           if rec and len(g) else "not reconciled: not a level of the rep hierarchy")
    return viz.table(t, {"value": "money", "lower": "money", "upper": "money",
                         "before reconciling": "money", "quota": "money", "attainment": "pct"},
                     caption=f"{ol.period} forecast by {ol.by}, {how}" + (
                         "" if quota else "; quota and attainment need a quotas table, and this data has none"))


def plot_groups(ol):
    """The ``by`` groups' forecasts as bars (:func:`forecast.plot_period_by_group`), against
    quota when the data has quotas; returns the figure."""
    from .plots import plot_period_by_group

    f = groups_chart_frame(ol)
    quota = "quota" in f and f["quota"].notna().any()
    return plot_period_by_group(f, title=f"{ol.period} forecast by {ol.by}"
                                + (" vs quota" if quota else " (no quotas in the data)"))


def groups_chart_frame(ol) -> pd.DataFrame:
    """The ``by`` level of ``ol.groups`` (for :func:`forecast.plot_period_by_group`)."""
    return ol.groups[ol.groups["level"] == ol.by].reset_index(drop=True)


def reconciliation_view(ol):
    """Backtest WAPE of each reconciliation method per level, the chosen one marked."""
    ch = ol.reconciliation
    if ch is None or ch.scores.empty:
        return viz.table(pd.DataFrame({"note": ["no hierarchy to reconcile for this breakdown"]}))
    t = ch.scores.pivot(index="method", columns="level", values="wape")
    t = t[[c for c in ("total", "region", "team", "rep_id") if c in t.columns]]
    t.index = [m.replace("_", " ") + (" (chosen)" if m == ch.method else "") for m in t.index]
    t = t.rename_axis("method").reset_index()
    return viz.table(t, {c: "pct" for c in t.columns if c != "method"},
                     caption="Reconciliation methods on past windows: error per level (WAPE)")


def trend(ds, ol, recorded: pd.DataFrame | None = None):
    """:func:`forecast_track.trend` of the outlook's period."""
    return track_.trend(ds, ol, recorded)


def bridge_view(tr, ol):
    """What changed since last week, as a table."""
    b = track_.bridge(tr, ol.weights)
    return viz.table(b, {"amount": "money"}, caption="What changed since last week (blend, "
                                                     "this week's weights)")


def calls_view(ds, ol, by: str = "team", calls: pd.DataFrame | None = None):
    """Each group's commit call this period beside the model, its past accuracy and value
    added (:mod:`salesops_lib.forecast.calls`)."""
    if by not in ds.reps.columns and by not in ds.opportunities.columns:
        return viz.table(pd.DataFrame({"note": [f"no {by} to roll calls up by"]}))
    if (calls is None or not len(calls)) and not has_categories(ds):
        return viz.callout(CALLS_NEED)
    if calls is not None and len(calls):
        cur = calls[calls["period"] == ol.period].sort_values("as_of").groupby(
            "unique_id").tail(1).assign(best_case=np.nan)
    else:
        cur = calls_.category_calls(ds, ol.period, ol.as_of, by)
    model = pipeline_forecast(ds, ol.period, ol.as_of, by=by, correlation=None).summary
    hist = calls_.call_history(ds, ol.period, by=by, calls=calls)
    view = calls_.calls_view_frame(cur, model, calls_.score_calls(hist), by)
    return calls_.calls_table(view, caption=f"Commit calls by {by} beside the pipeline model "
                                            "(past error and value added on replayed quarters)")
