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


#: The levels a call may be for (``level`` column); all but ``total`` are columns of ``reps``.
CALL_LEVELS = ("total", "region", "team", "manager", "rep_id")
#: Bad rows named per problem in a message (then "and N more").
SHOWN_ROWS = 3


class CallsError(ValueError):
    """A calls file that cannot be used as written: the message names the file, the column
    and the rows (the report runner refuses the run with it, exit 2)."""


def read_calls(path, ds=None, by: str | None = None) -> pd.DataFrame:
    """A calls file (CSV): ``unique_id`` (or ``rep_id``, ``team``, ``manager``: whom the call
    is for), ``period``, ``as_of`` (when it was submitted), ``value``; optional ``level`` (the
    hierarchy level it is for: ``rep_id``, ``team``, ``region``, ``total``) and ``source``
    (who submitted it). Returns those columns, ``source`` defaulting to the file's name.

    Every value is checked by :func:`validate_calls` (with ``ds``: also that each caller
    exists in the data; ``by``: the level of rows without one).

    Raises
    ------
    CallsError
        A missing or unreadable file, a missing column, a date, period or number that does not
        read, a negative or empty commit, a caller the data do not have: the message names
        the file, the column and the rows (row 1 is the first line under the header).
    """
    from pathlib import Path

    where = Path(path).expanduser().absolute()
    if not where.is_file():
        raise CallsError(f"calls file {where} does not exist"
                         + (" (it is a folder)" if where.is_dir() else ""))
    try:
        raw = pd.read_csv(where, dtype=str, keep_default_na=False, na_values=[""],
                          skipinitialspace=True)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError,
            OSError) as exc:
        raise CallsError(f"calls file {where} cannot be read as CSV: "
                         f"{' '.join(str(exc).split())}") from None
    return validate_calls(raw, where, ds=ds, by=by)


def validate_calls(raw: pd.DataFrame, path="calls", ds=None, by: str | None = None
                   ) -> pd.DataFrame:
    """The calls of ``raw`` (a calls file's rows, as text) checked and typed.

    Checks: a caller column (``unique_id``, else ``rep_id``/``team``/``manager``/``region``);
    ``period``, ``as_of``, ``value`` present; no empty caller or period; ``period`` a period
    label (``2026-Q3``, ``2026-09``, ``2026``; written as its label), ``as_of`` a date,
    ``value`` a finite number ≥ 0; ``level`` one of :data:`CALL_LEVELS`. With ``ds``, each
    caller must exist in the data at its level (``level``, else ``by``): a team, region or
    manager of ``ds.reps``, a rep id. ``path`` names the file in messages.

    Returns ``unique_id``, ``period``, ``as_of``, ``value``, ``level``, ``source``.

    Raises
    ------
    CallsError
        Every problem found, by column, naming the file, the column, the rows (row 1 is
        the first line under the header) and the values.
    """
    from pathlib import Path

    from ..periods import PeriodError

    name = f"calls file {path}"
    raw = raw.reset_index(drop=True).rename(columns=lambda c: str(c).strip())
    level_given = "level" in raw
    id_col = "unique_id"
    if "unique_id" not in raw:
        key = next((c for c in ("rep_id", "team", "manager", "region") if c in raw), None)
        if key is None:
            raise CallsError(f"{name}: no column says whom each call is for: it needs "
                             f"unique_id (or rep_id, team or manager); its columns are "
                             f"{', '.join(map(str, raw.columns)) or 'none'}")
        raw, id_col = raw.rename(columns={key: "unique_id"}), key
        if not level_given:
            raw["level"] = key
    missing = [c for c in ("period", "as_of", "value") if c not in raw]
    if missing:
        raise CallsError(f"{name}: required column(s) {', '.join(missing)} missing (a calls "
                         f"file has unique_id or rep_id/team, period, as_of, value); its "
                         f"columns are {', '.join(map(str, raw.columns))}")
    problems: list[str] = []

    def bad(col: str, mask, why) -> None:
        rows = list(raw.index[pd.Series(mask, index=raw.index).fillna(False).astype(bool)])
        if not rows:
            return
        shown = "; ".join(f"row {i + 1}: {why(raw.at[i, col])}" for i in rows[:SHOWN_ROWS])
        more = f"; and {len(rows) - SHOWN_ROWS} more row(s)" if len(rows) > SHOWN_ROWS else ""
        problems.append(f"column {id_col if col == 'unique_id' else col}, {shown}{more}")

    text = {c: raw[c].astype("string").str.strip() for c in ("unique_id", "period", "as_of",
                                                            "value")}
    empty = {c: t.isna() | (t == "") for c, t in text.items()}
    bad("unique_id", empty["unique_id"], lambda v: "no caller (empty)")
    bad("period", empty["period"], lambda v: "no period (empty)")

    def label(v):
        try:
            return Period.parse(v).label
        except (PeriodError, ValueError):
            return None

    labels = text["period"].map(lambda v: None if pd.isna(v) or v == "" else label(v))
    bad("period", labels.isna() & ~empty["period"],
        lambda v: f"{v!r} is not a period (2026-Q3, 2026-09 or 2026)")
    as_of = pd.to_datetime(text["as_of"], errors="coerce", format="mixed")
    bad("as_of", empty["as_of"], lambda v: "no date (empty)")
    bad("as_of", as_of.isna() & ~empty["as_of"],
        lambda v: f"{v!r} is not a date (expected YYYY-MM-DD)")
    value = pd.to_numeric(text["value"], errors="coerce").astype(float)
    bad("value", empty["value"], lambda v: "no value (empty)")
    bad("value", (value.isna() | ~value.abs().lt(float("inf"))) & ~empty["value"],
        lambda v: f"{v!r} is not a number")
    bad("value", value < 0, lambda v: f"{v!r} is negative (a commit is an amount of 0 or more)")
    level = (raw["level"].astype("string").str.strip().replace("", pd.NA) if "level" in raw
             else pd.Series(pd.NA, index=raw.index, dtype="string"))
    bad("level", level.notna() & ~level.isin(CALL_LEVELS),
        lambda v: f"{v!r} is not a level ({', '.join(CALL_LEVELS)})")
    if problems:
        raise CallsError(f"{name}: " + "; ".join(problems))
    out = pd.DataFrame({"unique_id": text["unique_id"].astype(str), "period": labels.astype(str),
                        "as_of": as_of, "value": value,
                        "level": level.astype(object).where(level.notna(), pd.NA)})
    out["source"] = (raw["source"].astype("string").fillna(Path(str(path)).name).astype(str)
                     if "source" in raw else Path(str(path)).name)
    out = out[[*CALL_COLUMNS, "level", "source"]]
    out.attrs.update(path=str(path), id_column=id_col)
    if ds is not None:
        check_callers(out, ds, by)
    return out


def check_callers(calls: pd.DataFrame, ds, by: str | None = None) -> None:
    """Refuse calls (from :func:`validate_calls`) for a caller the data lack: a team, region,
    manager or rep id not in ``ds.reps`` at the call's level (``level``, else ``by``), or a
    level the data do not have. ``total`` and levels of other breakdowns are not checked.

    Raises
    ------
    CallsError
        Naming the file, the column, the rows and the values the data do have.
    """
    levels = calls["level"].astype("string").fillna(by or "")
    problems = _unknown_callers(calls["unique_id"].astype(str), levels, ds,
                                calls.attrs.get("id_column", "unique_id"))
    if problems:
        raise CallsError(f"calls file {calls.attrs.get('path', 'calls')}: " + "; ".join(problems))


def _unknown_callers(ids: pd.Series, levels: pd.Series, ds, col: str) -> list[str]:
    """Per level, the rows whose caller the data lack (a message part each), listing the
    values the data have; levels that are not columns of ``ds.reps`` are named too."""
    out = []
    reps = ds.reps
    for lvl in [v for v in CALL_LEVELS if v != "total"]:
        at = levels == lvl
        if not at.any():
            continue
        rows = [i + 1 for i in ids.index[at]]
        if lvl not in reps.columns:
            out.append(f"column level, row(s) {_rows(rows)}: calls for a {lvl}, but the data "
                       f"have no {lvl} (reps columns: {', '.join(map(str, reps.columns))})")
            continue
        known = sorted(reps[lvl].dropna().astype(str).str.strip().unique())
        unknown = at & ~ids.isin(known)
        if unknown.any():
            shown = [f"row {i + 1}: {ids[i]!r}" for i in ids.index[unknown][:SHOWN_ROWS]]
            more = (f", and {int(unknown.sum()) - SHOWN_ROWS} more"
                    if unknown.sum() > SHOWN_ROWS else "")
            out.append(f"column {col}, {', '.join(shown)}{more}: no such {_word(lvl)} in the "
                       f"data ({_word(lvl)}s: {_listing(known)})")
    return out


def _word(level: str) -> str:
    return "rep id" if level == "rep_id" else level


def _rows(rows: list[int]) -> str:
    return ", ".join(map(str, rows[:SHOWN_ROWS])) + (
        f" and {len(rows) - SHOWN_ROWS} more" if len(rows) > SHOWN_ROWS else "")


def _listing(values: list[str], most: int = 30) -> str:
    shown = ", ".join(values[:most])
    return shown + (f", ... ({len(values)} in all)" if len(values) > most else "")


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

