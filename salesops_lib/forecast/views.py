"""What the forecast report shows: key numbers and formatted tables from an
:class:`~salesops_lib.forecast.blend.Outlook`, so the notebook stays one call per section."""

from __future__ import annotations

from functools import partial

import numpy as np
import pandas as pd

from .. import viz
from ..measures import UNASSIGNED
from ..periods import Period
from . import calls as calls_
from . import timeseries as fc_
from . import track as track_
from .ledger import SOURCE_NAMES as SOURCES
from .models import model_label
from .pipeline_model import pipeline_forecast, scaled_weeks
from .reconciliation import method_name

#: What each model is there for, after its name (:data:`models.LABELS`) in the accuracy table.
_MODEL_ROLES = {"snaive": "baseline", "ets": "baseline", "theta": "baseline",
                "mstl": "long seasons", "ensemble": "ETS, Theta, Prophet",
                "prophet": "sales settings"}


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


def reliability_view(ds, period, *, periods_back: int = 2, weeks=None):
    """The stage-probability check: predicted chance of closing won in the period against
    what happened, for deals open on past as-of dates (weeks 1 and 7 of past quarters, the
    same moments of a month or a year: ``scaled_weeks``) whose stage was recorded then (a deal
    whose stage on that day is unknown cannot be scored), with the Brier score in the title.
    One sentence instead when the data keep no past stages (no opportunity history, no stage
    dates: only deals still open today would have one) or no deal qualifies; without opportunity history, the chart comes
    with :func:`history_note`'s caveat."""
    from .. import measures
    from .pipeline_model import brier, calibration_points, plot_reliability, reliability

    stages = getattr(ds, "stage_history", None)
    if not has_history(ds) and (stages is None or not len(stages)):
        # the only past stages left are those of deals still open today: a biased few
        return viz.callout("The stage probabilities cannot be checked: that needs each deal's "
                           "stage on past dates (opportunity history or stage dates), and this "
                           "data has neither.")
    if weeks is None:
        weeks = scaled_weeks(Period.parse(period, ds.fiscal_start_month), (1, 7))
    calib = calibration_points(ds, period, periods_back=periods_back, weeks=weeks)
    calib = calib[calib["stage"].astype(str) != measures.UNRECORDED_STAGE]
    if not len(calib):
        return viz.callout("The stage probabilities cannot be checked: no deal open on the "
                           "replayed dates has a recorded stage.")
    import matplotlib.pyplot as plt

    fig = plot_reliability(reliability(calib),
                           title=f"Stage probabilities vs outcomes (Brier {brier(calib):.3f})")
    note = history_note(ds)
    if note is not None:    # the caveat as the cell's result; the inline backend shows the chart
        return note
    plt.close(fig)          # shown once, as the cell's result (not again by the inline backend)
    return fig


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
    s = ol.summary.set_index("source")
    b = s.loc["blend"]
    if final is not None:
        inside = b["lower"] <= final <= b["upper"]
        # a miss by less than the rounding shows enough decimals to be seen ($6.87M < $6.87M)
        d = viz.money_apart(final, b["lower"], b["upper"])
        items = [(f"{ol.period} final result", viz.money(final, d),
                  "the period is over: what was forecast for it is compared below"),
                 _quota_card(ol, final), _last_year_card(ol, final)]
        if closed(ol):
            items.append((f"forecast on {ol.as_of:%d %b %Y}", viz.money(b["value"]),
                          (f"{ol.level:g}% range {viz.money(b['lower'], d)} – {viz.money(b['upper'], d)}"
                           f": the result fell {'inside' if inside else 'outside'}")))
        return items
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
    shown = table.assign(source=table["source"].map(SOURCES).fillna(table["source"]), inside=table["inside"].map({True: "yes", False: "no"}))
    return viz.table(shown[["source", "forecasts", "first_value", "value", "lower", "upper",
                            "actual", "error", "inside"]].rename(columns={
                                "first_value": "first forecast", "value": "last forecast",
                                "inside": "inside range"}),
                     {"first forecast": "money", "last forecast": "money", "lower": "money",
                      "upper": "money", "actual": "money", "error": "money"},
                     caption=f"{ol.period}: forecasts kept before it ended vs the final result")


def closed(ol) -> bool:
    """Whether the outlook is of a period that was over by the data's date (then forecast as
    of its first day, :func:`salesops_lib.forecast.blend.outlook`)."""
    return bool(ol.settings.get("closed", False))


def ranges_view(ol, ds=None):
    """Each source's number and range, and how the range was set. For a period that is over
    (with ``ds``), the forecast made on its first day beside the final result, and whether
    it fell inside each range (a miss smaller than the rounding gets the decimals it needs)."""
    t = ol.summary.assign(source=ol.summary["source"].map(SOURCES))
    cols = ["source", "value", "lower", "upper", "interval"]
    fmt = {"value": "money", "lower": "money", "upper": "money"}
    caption = f"{ol.period}: {ol.level:g}% ranges and how they were set"
    final = final_result(ds, ol.period) if ds is not None and closed(ol) else None
    if final is not None:
        t = t.assign(result=final, inside=np.where((t["lower"] <= final) & (final <= t["upper"]),
                                                   "yes", "no"))
        t = t.rename(columns={"value": "forecast", "result": "final result",
                              "inside": "result inside range"})
        cols = ["source", "forecast", "lower", "upper", "final result", "result inside range",
                "interval"]
        d = max(viz.money_apart(final, lo, hi) for lo, hi in zip(t["lower"], t["upper"]))
        fmt = dict.fromkeys(["forecast", "lower", "upper", "final result"], partial(viz.money, decimals=d))
        caption = (f"{ol.period} is over: its forecast as made on {ol.as_of:%d %B %Y}, the "
                   f"period's first day, with only the data known then ({ol.level:g}% ranges), "
                   "against the final result")
    return viz.table(t[cols], fmt, caption=caption)


def plot_history(ds, ol, granularity: str = "month"):
    """The bookings history and the time-series forecast of the period's steps with its band
    (:func:`salesops_lib.forecast.plots.plot_forecast`; steps past the period's end are not
    drawn: they are not in its number), titled with the date the forecast was made; for a
    period that is over, the forecast made on its first day and what was booked. Returns the
    figure."""
    from .plots import plot_forecast
    from .series import bookings_series

    P = Period.parse(ol.period, ds.fiscal_start_month)
    fc = ol.forecast[P.contains(ol.forecast["ds"])]
    fc = fc if len(fc) else ol.forecast
    actual = None
    if closed(ol):
        full = bookings_series(ds, granularity, as_of=ol.settings.get("trend_to", ds.as_of))
        actual = full[full["ds"].isin(fc["ds"])]
        title = (f"Bookings per {granularity}: {ol.period} as forecast on {ol.as_of:%d %b %Y} "
                 "vs what was booked")
    else:
        title = (f"Bookings per {granularity}: the rest of {ol.period} as forecast on "
                 f"{ol.as_of:%d %b %Y}")
    return plot_forecast(ol.history, fc, actual=actual, title=title, level=ol.level)


def accuracy_table(ol) -> pd.DataFrame:
    """Step-level backtest per model, mean over series: ``wape``, ``mase``, ``bias``,
    ``coverage`` (of the 80% interval), ``fva``, ``points`` (held-out points behind it); ``auto``'s row is the procedure scored on
    the same held-out origins, each choice made on earlier data only."""
    bt = ol.backtest
    t = bt.groupby("model", sort=False)[["wape", "mase", "bias", "coverage", "fva"]].mean()
    t["points"] = bt.groupby("model", sort=False)["n_points"].sum()
    chosen = bt.loc[bt["model"] == "auto", "chosen"]
    now = ", ".join(model_label(m) for m in sorted(set(chosen)))
    names = {m: f"{model_label(m)} ({r})" for m, r in _MODEL_ROLES.items()}
    names["auto"] = f"automatic choice, scored out of sample (now {now})"
    t.index = [names.get(m, model_label(m)) for m in t.index]
    return t.rename_axis("model").reset_index()


def accuracy_view(ol):
    """:func:`accuracy_table` formatted for the report, with the achieved coverage of the
    period total (:func:`total_coverage`) in the caption; one sentence instead when the
    history is too short for any held-out point."""
    t = accuracy_table(ol)
    if not np.isfinite(pd.to_numeric(t["wape"], errors="coerce")).any():
        steps = ol.history["ds"].nunique() if len(ol.history) else 0
        return viz.callout(f"Too little history to score the models: no held-out point could "
                           f"be forecast from the {steps} periods of bookings in this data.")
    return viz.table(t, {"wape": "pct", "mase": partial(viz.num, decimals=2), "bias": "signed_pct",
                                          "coverage": "pct", "fva": "signed_pct", "points": "num"},
                     caption="Backtest accuracy per step, mean over series "
                             f"(coverage: share of actuals inside the {ol.level:g}% range; "
                             f"{total_coverage(ol)})")


def total_coverage(ol) -> str:
    """One sentence: how often the period-total range held at past origins (each judged with
    the calibration known then), with the count and a 95% interval."""
    from .intervals import coverage_summary

    t = ol.totals
    t = t[t["n_windows"] >= 4] if len(t) else t
    if not len(t):
        return "too few past windows to judge the period-total range"
    steps = int(t["steps"].max()) if "steps" in t else 1
    c = coverage_summary(t["covered"], overlap=steps)
    indep = (f" (about {c['n_eff']:.0f} independent: consecutive {steps}-period windows "
             f"overlap)" if steps > 1 else "")
    return (f"the period total's range held at {c['coverage']:.0%} of {c['n']} past origins"
            f"{indep}; 95% interval {c['cov_low']:.0%}–{c['cov_high']:.0%}")


def coverage_view(ol):
    """Replayed period forecasts per source: error, bias and the achieved coverage (the
    columns and caption name the period's kind: quarters, months or years)."""
    kind = Period.parse(ol.period).kind
    t = ol.coverage.assign(source=ol.coverage["source"].map(SOURCES))
    t = t.rename(columns={"cov_low": "coverage low", "cov_high": "coverage high"})
    t = t.rename(columns={"n": "moments", "periods": f"{kind}s"})
    return viz.table(t, {"wape": "pct", "bias": "signed_pct", "coverage": "pct", "moments": "num",
                         f"{kind}s": "num", "coverage low": "pct", "coverage high": "pct"},
                     caption=f"Past {kind}s replayed: accuracy and share of actuals inside the "
                             f"{ol.level:g}% range (its 95% interval counts one case per "
                             f"{kind}: the moments of a {kind} share its actual)")


def track_record(ds, ol, recorded: pd.DataFrame | None = None) -> pd.DataFrame:
    """Accuracy of past forecasts by source and week of the period: the ledger's forecasts
    of ended periods plus the replayed ones (:func:`forecast_track.summary` table, with the
    period's kind in ``attrs["kind"]``)."""
    cols = track_.LEDGER_COLUMNS
    entries = ol.past[cols] if len(ol.past) else pd.DataFrame(columns=cols)
    if recorded is not None and len(recorded):
        entries = pd.concat([entries, recorded[cols]], ignore_index=True)
    kind = Period.parse(ol.period).kind
    acc = track_.accuracy(entries, fc_.period_actuals(ds, kind),
                          fiscal_start_month=ds.fiscal_start_month, as_of=ol.as_of)
    out = track_.summary(acc)
    out.attrs["kind"] = kind          # the chart names weeks of a month, quarter or year
    return out


def no_groups(ol) -> bool:
    """True when no rep has a ``by`` value (one "(unassigned)" group: the total again)."""
    g = ol.groups.loc[ol.groups["level"] == ol.by, "unique_id"].astype(str)
    return bool(len(g)) and (g == UNASSIGNED).all()


def groups_view(ol):
    """The reconciled forecast of the ``by`` groups beside quota, with the method used; the
    sentence saying what a breakdown needs when no rep has a ``by`` value."""
    if no_groups(ol):
        return viz.callout(f"A forecast by {_label(ol.by).lower()} needs each rep's {ol.by} "
                           f"(reps.{ol.by}), which the data do not have; the total is the "
                           "page's headline.")
    g = ol.groups[ol.groups["level"] == ol.by]
    quota = "quota" in g and g["quota"].notna().any()
    cols = ["unique_id", "value", "lower", "upper", "base"] + (["quota", "attainment"] if quota
                                                               else [])
    cols = ["display" if c == "unique_id" and "display" in g else c for c in cols]
    if "locked" in g and g["locked"].any():
        cols.append("locked")
        g = g.assign(locked=g["locked"].map({True: "locked commit", False: ""}))
    t = g[cols].rename(columns={"unique_id": _label(ol.by), "display": _label(ol.by),
                                "base": "before reconciling", "attainment": "forecast vs quota"})
    rec = g["reconciled"].any()
    if rec and len(g):
        # reconciled groups add up to the page's total: shown, with the page's own range
        label = t.columns[0]
        t = viz.with_total(t, label, "Total", sums=[c for c in ("value", "before reconciling",
                                                               "quota") if c in t],
                           ratios={"forecast vs quota": ("value", "quota")} if quota else None)
        b = ol.summary.set_index("source")
        # the headline's range, moved by what locked commits changed in the total
        shift = float(t.loc[t.index[-1], "value"]) - float(b.at["blend", "value"])
        t.loc[t.index[-1], ["lower", "upper"]] = [b.at["blend", "lower"] + shift,
                                                  b.at["blend", "upper"] + shift]
    made = f" (forecast on {ol.as_of:%d %b %Y}, its first day)" if closed(ol) else ""
    how = (f"reconciled by {method_name(g['method'].iloc[0])} at this level"
           + (f" (fallback: {g['fallback'].iloc[0]})" if g["fallback"].iloc[0] else "")
           if rec and len(g) else "not reconciled: not a level of the rep hierarchy")
    if rec and len(g):
        how += "; the groups split the page's blended total, which the Total row shows with its range"
        if "locked" in t.columns:
            how += (" (a locked commit replaces the model's number for its group: the Total "
                    "moves by the difference, and its range with it)")
    return viz.table(t, {"value": "money", "lower": "money", "upper": "money",
                         "before reconciling": "money", "quota": "money", "forecast vs quota": "pct"},
                     caption=f"{ol.period} forecast by {ol.by}{made}, {how}" + (
                         "" if quota else "; quota and attainment need a quotas table, and this data has none"))


def plot_groups(ol):
    """The ``by`` groups' forecasts as bars (:func:`forecast.plot_period_by_group`), against
    quota when the data has quotas; returns the figure."""
    from .plots import plot_period_by_group

    if no_groups(ol):                       # the table's sentence says what it needs
        return None
    f = groups_chart_frame(ol)
    quota = "quota" in f and f["quota"].notna().any()
    made = f" made on {ol.as_of:%d %b %Y}" if closed(ol) else ""
    return plot_period_by_group(f, title=f"{ol.period} forecast by {_label(ol.by)}{made}"
                                + (" vs quota" if quota else " (no quotas in the data)"),
                                xlabel=_label(ol.by).capitalize())


def groups_chart_frame(ol) -> pd.DataFrame:
    """The ``by`` level of ``ol.groups`` (for :func:`forecast.plot_period_by_group`), each
    group under its display name."""
    g = ol.groups[ol.groups["level"] == ol.by].reset_index(drop=True)
    return g.assign(unique_id=g["display"]) if "display" in g else g


def commit_locks(ds, period, calls_path: str, by: str):
    """The calls file's commits for ``period`` that the reconciliation keeps (a manager's or
    rep's submitted number at a level of the hierarchy), as of the report's date.

    Returns ``(calls, locked, lock_dict)``: the whole calls frame (None without a file),
    the locked rows (:func:`salesops_lib.forecast.calls.locks`) and ``{(level, name): value}``
    for :func:`salesops_lib.forecast.blend.outlook`'s ``locked``.
    """
    if not calls_path:
        return None, calls_.locks(None, period, ds.as_of, by), None
    calls = calls_.read_calls(calls_path, ds=ds, by=by)
    P = Period.parse(period, ds.fiscal_start_month)
    # the forecast of a period that is over is made on its first day: calls by then only
    at = P.start if pd.Timestamp(ds.as_of) >= P.end else ds.as_of
    lk = calls_.locks(calls, P, at, by)
    lk = lk[lk["level"].isin(("total", "region", "team", "rep_id"))].reset_index(drop=True)
    return calls, lk, {(lv, str(u)): float(v) for lv, u, v in
                       zip(lk["level"], lk["unique_id"], lk["value"])} or None


def _label(by: str) -> str:
    return "rep" if by == "rep_id" else by


def reconciliation_frame(ol) -> pd.DataFrame:
    """Per level of the hierarchy: the backtest WAPE of each method, the method the level
    chose, the one used (after fallbacks) and why it fell back."""
    ch = ol.reconciliation
    if ch is None or ch.scores.empty:
        return pd.DataFrame()
    t = ch.scores.pivot(index="level", columns="method", values="wape")
    order = [c for c in ("total", "region", "team", "rep_id") if c in t.index]
    t = t.reindex(order)
    t.columns = [method_name(c) for c in t.columns]
    g = ol.groups.drop_duplicates("level").set_index("level")
    t["chosen"] = [method_name((ch.per_level or {}).get(lv, ch.method)) for lv in t.index]
    t["used"] = [method_name(g["method"].get(lv, "")) for lv in t.index]
    t["fallback"] = [str(g["fallback"].get(lv, "")) or "none" for lv in t.index]
    t.index = [_label(i) for i in t.index]
    return t.rename_axis("level").reset_index()


def reconciliation_view(ol):
    """Backtest WAPE of each reconciliation method per level, the method each level chose,
    the one used after fallbacks, and why."""
    t = reconciliation_frame(ol)
    if t.empty:
        g = ol.groups
        if len(g) and g["reconciled"].any():
            return viz.callout("Too little history to score the reconciliation methods on past "
                               "windows: the groups are split bottom-up (each group's share of "
                               "the sum of the groups' own forecasts).")
        return viz.callout("No hierarchy to reconcile for this breakdown: it is not a level "
                           "of the rep → team → region tree, so each group is forecast on its "
                           "own and the groups need not add up to the total.")
    fmt = {c: "pct" for c in t.columns if c not in ("level", "chosen", "used", "fallback")}
    return viz.table(t, fmt, caption="Reconciliation methods on past windows: error per level "
                     "(WAPE); each level uses its most accurate method (\"Per level\": the "
                     "assembled forecast), falling back shrink → WLS → bottom-up when the error "
                     "covariance cannot carry it")


def locks_view(ds, ol, locked: pd.DataFrame):
    """The submitted commits kept fixed in the reconciliation: whom, the value locked, when it
    was submitted and where it came from, beside the model before reconciling and after."""
    if locked is None or not len(locked):
        return viz.callout("No commit was locked: no calls file was given, or it holds no "
                           "call for this period by this date.")
    from .groups import display_names

    g = ol.groups.set_index(["level", "unique_id"]) if len(ol.groups) else None
    key = list(zip(locked["level"], locked["unique_id"].astype(str)))
    t = pd.DataFrame({
        "level": [_label(lv) for lv in locked["level"]],
        "who": display_names(ds, locked["level"], locked["unique_id"]),
        "locked value": locked["value"].to_numpy(float),
        "submitted": pd.to_datetime(locked["as_of"]).dt.strftime("%Y-%m-%d").to_numpy(),
        "source": locked["source"].astype(str).to_numpy(),
        "model before reconciling": [g["base"].get(k, np.nan) if g is not None else np.nan
                                     for k in key],
        "reconciled": [g["value"].get(k, np.nan) if g is not None else np.nan for k in key]})
    return viz.table(t, {"locked value": "money", "model before reconciling": "money",
                         "reconciled": "money"},
                     caption="Locked commits: kept exactly, the rest of the hierarchy "
                             "reconciled around them")


def trend(ds, ol, recorded: pd.DataFrame | None = None):
    """:func:`forecast_track.trend` of the outlook's period."""
    return track_.trend(ds, ol, recorded)


def bridge_view(tr, ol):
    """What changed since last week, as a table."""
    cap = (f"{ol.period} is over: what changed in its last week (blend, the weights of its "
           "first day)" if closed(ol) else "What changed since last week (blend, this week's weights)")
    return viz.table(track_.bridge(tr, ol.weights), {"amount": "money"}, caption=cap)


def calls_view(ds, ol, by: str = "team", calls: pd.DataFrame | None = None):
    """Each group's commit call this period beside the model, its past accuracy and value
    added (:mod:`salesops_lib.forecast.calls`)."""
    if by not in ds.reps.columns and by not in ds.opportunities.columns:
        return viz.table(pd.DataFrame({"note": [f"no {by} to roll calls up by"]}))
    if (calls is None or not len(calls)) and not has_categories(ds):
        return viz.callout(CALLS_NEED)
    if calls is not None and len(calls):
        cur = calls[(calls["period"] == ol.period)
                    & (pd.to_datetime(calls["as_of"]) <= ol.as_of)].sort_values("as_of")
        cur = cur.groupby("unique_id").tail(1).assign(best_case=np.nan)
        source = ", ".join(sorted(set(calls.get("source", pd.Series(["calls file"])).astype(str))))
    else:
        cur = calls_.category_calls(ds, ol.period, ol.as_of, by)
        source = "the CRM's forecast categories (won + open commit deals)"
    model = pipeline_forecast(ds, ol.period, ol.as_of, by=by, correlation=None).summary
    hist = calls_.call_history(ds, ol.period, by=by, calls=calls)
    view = calls_.calls_view_frame(cur, model, calls_.score_calls(hist), by)
    if by == "rep_id":
        from .groups import display_names

        view[by] = display_names(ds, [by] * len(view), view[by])
    view = view.rename(columns={by: _label(by)})
    return calls_.calls_table(view, caption=f"Commit calls by {_label(by)} (from {source}) "
                              "beside the pipeline model: past error and the value the call "
                              f"adds over the model on replayed {Period.parse(ol.period).kind}s")
