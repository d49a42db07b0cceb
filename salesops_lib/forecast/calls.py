"""Human calls beside the model: each rep's or manager's commit, its record, its value added.

A *call* is a number a person puts on a period: ``unique_id`` (rep or manager/team),
``period``, ``as_of``, ``value``. It comes from a ``calls`` table the team keeps (a file of
submitted commits) or, by default, from the CRM's forecast-category roll-up
(:func:`category_calls`): on the as-of date, bookings already won in the period plus the
open deals marked *commit* whose expected close falls in the period, each deal as it stood
then (:func:`salesops_lib.measures.state_as_of`; a deal without category history takes the
category its stage had among the deals open that day, as the pipeline forecast does).

:func:`score_calls` sets the calls of ended periods against what was booked and against the
pipeline model's forecast made at the same moment:

* error of a call :math:`e_c = \\text{call} - A`, of the model :math:`e_m = F - A`;
* ``wape`` :math:`= \\sum|e|/\\sum A`, ``bias`` :math:`= \\sum e / \\sum A` per caller;
* forecast value added of the call over the model, :math:`FVA = 1 - \\sum|e_c| / \\sum|e_m|`
  (positive: the person's call beat the model).
"""

from __future__ import annotations

import pandas as pd

from .. import viz
from ..measures import group_values, state_as_of
from ..periods import Period
from .deals import snapshot
from .pipeline_model import forecast_category_of, pipeline_forecast, replay_points, scaled_weeks

CALL_COLUMNS = ["unique_id", "period", "as_of", "value"]


def read_calls(path) -> pd.DataFrame:
    """A calls file (CSV): ``unique_id`` (or ``rep_id``, ``team``, ``manager``: whom the call
    is for), ``period``, ``as_of`` (when it was submitted), ``value``; optional ``level`` (the
    hierarchy level it is for: ``rep_id``, ``team``, ``region``, ``total``) and ``source``
    (who submitted it). Missing columns or unparseable values raise ``ValueError`` naming
    them. Returns those columns, ``source`` defaulting to the file's name."""
    from pathlib import Path

    raw = pd.read_csv(path)
    if "unique_id" not in raw:
        key = next((c for c in ("rep_id", "team", "manager", "region") if c in raw), None)
        if key is None:
            raise ValueError(f"{path}: a calls file needs a unique_id (or rep_id/team/manager) "
                             "column")
        raw = raw.rename(columns={key: "unique_id"}).assign(level=raw.get("level", key))
    missing = [c for c in ("period", "as_of", "value") if c not in raw]
    if missing:
        raise ValueError(f"{path}: calls file lacks column(s) {', '.join(missing)}")
    out = raw.assign(unique_id=raw["unique_id"].astype(str), period=raw["period"].astype(str),
                     as_of=pd.to_datetime(raw["as_of"], errors="raise"),
                     value=pd.to_numeric(raw["value"], errors="raise"))
    if "source" not in out:
        out["source"] = Path(path).name
    if "level" not in out:
        out["level"] = pd.NA
    return out[[*CALL_COLUMNS, "level", "source"]]


def locks(calls: pd.DataFrame, period, as_of, by: str) -> pd.DataFrame:
    """The calls that hold for ``period`` on ``as_of``: per caller, the latest submitted by
    then; ``level`` defaults to ``by``. Returns ``level``, ``unique_id``, ``value``,
    ``as_of``, ``source`` (one row per locked node)."""
    cols = ["level", "unique_id", "value", "as_of", "source"]
    if calls is None or not len(calls):
        return pd.DataFrame(columns=cols)
    label = period.label if hasattr(period, "label") else str(period)
    c = calls[(calls["period"] == label) & (pd.to_datetime(calls["as_of"])
                                            <= pd.Timestamp(as_of))].copy()
    c["level"] = c["level"].fillna(by) if "level" in c else by
    c["source"] = c.get("source", "calls file")
    c = c.sort_values("as_of").groupby(["level", "unique_id"]).tail(1)
    return c[cols].reset_index(drop=True)


def category_calls(ds, period, as_of, by: str = "team") -> pd.DataFrame:
    """The commit roll-up per ``by`` (``rep_id``, ``team``, ``manager``) on ``as_of``.

    ``value`` = won in the period by ``as_of`` + open *commit* deals expected to close in
    the period, as they stood on ``as_of``; ``best_case`` adds the *best case* deals.
    Returns ``unique_id``, ``period``, ``as_of``, ``value``, ``best_case``.
    """
    p = Period.parse(period, ds.fiscal_start_month)
    as_of = pd.Timestamp(as_of).normalize()
    st = state_as_of(ds, as_of)
    snap = snapshot(ds, as_of, st)
    snap["unique_id"] = group_values(ds, by, snap).to_numpy()
    # the category each deal had then: its own from history, else by stage (see
    # pipeline_forecast._category: a source without history shows only final categories)
    cat = pd.Series("closed", index=snap.index)
    open_ = snap["status"] == "open"
    opp = ds.opportunities
    cat[open_] = forecast_category_of(snap[open_], st, None,
                           set(opp.loc[opp["status"] == "open", "opportunity_id"]))
    won = (snap["status"] == "won") & p.contains(snap["close_date"])
    in_p = (snap["status"] == "open") & p.contains(snap["expected_close"])
    commit = snap["amount"].where(won | (in_p & (cat == "commit")), 0.0)
    best = snap["amount"].where(won | (in_p & cat.isin(["commit", "best case"])), 0.0)
    g = pd.DataFrame({"value": commit, "best_case": best}).groupby(snap["unique_id"]).sum()
    return g.reset_index().assign(period=p.label, as_of=as_of)[
        ["unique_id", "period", "as_of", "value", "best_case"]]


def call_history(ds, period, *, by: str = "team", periods_back: int = 2, weeks=None,
                 calls: pd.DataFrame | None = None) -> pd.DataFrame:
    """Calls and the pipeline model at past moments, with what was booked.

    For each replayed ``(period, week, as_of)`` before ``period`` (ended by ``ds.as_of``;
    ``weeks`` default: weeks 1 and 7 of a quarter, spread over a month or a year by
    :func:`~salesops_lib.forecast.pipeline_model.scaled_weeks`, so a month is not judged
    on its first day alone):
    the call (from ``calls`` at that as-of date, else :func:`category_calls`), the pipeline
    forecast per ``by`` made that day (``model``), and ``actual``.
    Returns ``unique_id``, ``period``, ``week``, ``as_of``, ``call``, ``model``, ``actual``.
    """
    rows = []
    won = state_as_of(ds, ds.as_of)
    won = won[won["status"] == "won"]
    won_key = group_values(ds, by, won)
    if weeks is None:
        weeks = scaled_weeks(Period.parse(period, ds.fiscal_start_month), (1, 7))
    for q, w, a in replay_points(ds, period, periods_back, weeks):
        if calls is not None and len(calls):
            c = calls[(calls["period"] == q.label)
                      & (pd.to_datetime(calls["as_of"]) == a)][["unique_id", "value"]]
        else:
            c = category_calls(ds, q, a, by)[["unique_id", "value"]]
        m = pipeline_forecast(ds, q, a, by=by, correlation=None).summary[["unique_id", "value"]]
        act = won.loc[q.contains(won["close_date"]), "amount"].groupby(
            won_key[q.contains(won["close_date"])]).sum()
        t = c.rename(columns={"value": "call"}).merge(
            m.rename(columns={"value": "model"}), on="unique_id", how="outer")
        t["actual"] = t["unique_id"].map(act).fillna(0.0)
        rows.append(t.assign(period=q.label, week=w, as_of=a))
    cols = ["unique_id", "period", "week", "as_of", "call", "model", "actual"]
    return pd.concat(rows, ignore_index=True)[cols] if rows else pd.DataFrame(columns=cols)


def score_calls(history: pd.DataFrame) -> pd.DataFrame:
    """Per caller: ``call_wape``, ``call_bias``, ``model_wape``, ``fva`` (module docstring),
    ``n`` past calls."""
    h = history.dropna(subset=["call", "model"])
    if h.empty:
        return pd.DataFrame(columns=["unique_id", "call_wape", "call_bias", "model_wape", "fva",
                                     "n"])
    g = h.assign(ec=h["call"] - h["actual"], em=h["model"] - h["actual"]).groupby("unique_id")
    act = g["actual"].sum().where(lambda a: a > 0)
    abs_c, abs_m = g["ec"].apply(lambda e: e.abs().sum()), g["em"].apply(lambda e: e.abs().sum())
    out = pd.DataFrame({"call_wape": abs_c / act, "call_bias": g["ec"].sum() / act,
                        "model_wape": abs_m / act,
                        "fva": 1 - abs_c / abs_m.where(abs_m > 0), "n": g.size()})
    return out.reset_index()


def calls_view_frame(current: pd.DataFrame, model: pd.DataFrame, scores: pd.DataFrame,
                     label: str = "team") -> pd.DataFrame:
    """This period's call beside the model's number and the caller's record, for display:
    ``label``, ``call``, ``best_case``, ``model``, ``call_vs_model``, ``call_wape``,
    ``model_wape``, ``fva``."""
    t = current.merge(model[["unique_id", "value"]].rename(columns={"value": "model"}),
                      on="unique_id", how="outer").rename(columns={"value": "call"})
    t = t.merge(scores, on="unique_id", how="left")
    t["call_vs_model"] = t["call"] / t["model"].where(t["model"] > 0) - 1
    t = t.sort_values("model", ascending=False)
    return t.rename(columns={"unique_id": label})[[label, "call", "best_case", "model",
                                                   "call_vs_model", "call_wape", "model_wape",
                                                   "fva"]].reset_index(drop=True)


def calls_table(view: pd.DataFrame, caption: str | None = None):
    """:func:`calls_view_frame` formatted for the report."""
    return viz.table(view, {"call": "money", "best_case": "money", "model": "money",
                            "call_vs_model": "signed_pct", "call_wape": "pct",
                            "model_wape": "pct", "fva": "signed_pct"}, caption=caption)

