"""Pay runs: a plan applied period after period, with draws, clawbacks and retroactive deltas.

A period ``P`` is paid at its end, from what was known then: deals as they stood
(:func:`salesops_lib.measures.state_as_of` at ``P.end``), quotas from
:func:`salesops_lib.measures.quota_for_period`, and the plan version announced by then. A paid
period is never rewritten; what changes later reaches a later period ``Q`` as lines:

* **clawback** (≤ 0): a deal credited in ``P`` and reversed during ``Q`` (``opportunity_history``
  shows it lost or cut) within ``clawback.days`` of its close date:
  ``clawback = earned_P(credits as known at Q's start) − earned_P(credits as known at Q's end)``,
  i.e. exactly what the plan would not have paid, cap included; spread over the reversed deals
  by lost credit. A reversal outside the window gives a zero line saying so.
* **delta**: a plan version announced during ``Q`` but effective for an earlier ``P``:
  ``delta = earned_P(new version) − earned_P(version paid)``.

**Draw** (per period, amount ``D``) with ``earnings = commission + cap_adjustment +
floor_adjustment + spif + clawback + delta``: ``draw = max(D − earnings, 0)``; recoverable draws
add it to a running ``draw_balance`` that later excess repays:
``draw_recovery = −min(balance before, max(earnings − D, 0))``. ``payout = earnings + draw +
draw_recovery``; every part is signed, so the parts add up to the payout, and the lines of a
period add up to it too.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..measures import quota_for_period, report_date, state_as_of
from ..periods import Period, period_containing
from . import credit as _credit
from .engine import evaluate
from .plan import Plan, PlanError, load_plan

PARTS = ["commission", "cap_adjustment", "floor_adjustment", "spif", "clawback", "delta",
         "earnings", "draw", "draw_recovery", "draw_balance", "payout"]
LINE_COLUMNS = ["period", "rep_id", "line", "source_period", "opportunity_id", "role", "credit",
                "measure", "rule", "tier", "attainment_from", "attainment_to", "rate", "amount",
                "plan_version"]


@dataclass(frozen=True)
class PayRun:
    """The result of :func:`run`: ``payouts`` (the asked period), ``history`` (every period
    from the plan's start, same columns plus ``period``), ``lines`` (every traced line),
    ``plan``, ``period`` (Period), ``periods`` (the sequence run) and ``roster`` (every rep of
    the data, paid or not: ``rep_id``, ``rep_name``, ``team``; a statement of a rep the plan
    does not pay names them from it)."""

    payouts: pd.DataFrame
    history: pd.DataFrame
    lines: pd.DataFrame
    plan: Plan
    period: Period
    periods: tuple
    roster: pd.DataFrame | None = None


def pay_period(ds, plan, period) -> Period:
    """The period of the plan's kind that a report on ``period`` pays: ``period`` itself when
    it is of that kind, else the plan period holding its last day known (a monthly report on
    a quarterly plan pays the quarter to date; a yearly one, the quarter holding the year's
    end or the report date, whichever is first)."""
    plan = load_plan(plan)
    P = Period.parse(period, ds.fiscal_start_month)
    if P.kind == plan.period:
        return P
    day = min(P.end, max(P.start, pd.Timestamp(ds.as_of).normalize()))
    return period_containing(day, plan.period, ds.fiscal_start_month)


def pay_period_note(ds, plan, period) -> str | None:
    """The sentence a page shows when :func:`pay_period` is not ``period`` itself."""
    plan = load_plan(plan)
    P = Period.parse(period, ds.fiscal_start_month)
    pay = pay_period(ds, plan, period)
    if pay.label == P.label:
        return None
    return (f"The plan pays per {plan.period}: the pay statement, payouts and plan cost are for "
            f"{pay.label}, the {plan.period} holding {P.label}'s last day reported "
            f"({min(P.end, pay.end, pd.Timestamp(ds.as_of)):%d %b %Y}); quotas are for {P.label}.")


def plan_periods(plan: Plan, period, fiscal_start_month: int = 1) -> list[Period]:
    """The periods a run walks: from ``plan.start`` (default: the first of the fiscal year
    holding ``period``) to ``period``, of the plan's kind."""
    P = Period.parse(period, fiscal_start_month)
    if P.kind != plan.period:
        raise PlanError(f"plan {plan.name!r}: pays per {plan.period}, but period {P.label} is a "
                        f"{P.kind}; ask for a {plan.period}")
    if plan.start:
        first = Period.parse(plan.start, fiscal_start_month)
    else:
        year = Period.parse(P.label[:4], fiscal_start_month)
        first = P
        while first.previous().start >= year.start:
            first = first.previous()
    if first.start > P.start:
        raise PlanError(f"plan {plan.name!r}: period {P.label} is before the plan's start "
                        f"{first.label}")
    out = [first]
    while out[-1].start < P.start:
        out.append(out[-1].shift(1))
    return out


def run(ds, plan, period, splits: pd.DataFrame | None = None, *, as_of=None) -> PayRun:
    """Apply ``plan`` to every period from its start to ``period``.

    ``as_of`` (optional): pay only what was known by the end of that day. A period is read
    as it stood at ``min(its end, as_of)`` (deals won by then, reversals by then), so a
    report on October pays the quarter to 31 Oct, not with November's deals in it
    (:func:`report_run`). Default: each period at its end.

    Parameters
    ----------
    ds : Dataset
    plan : dict, str path or Plan
        See :func:`load_plan`; an empty string is the shipped sample plan.
    period : str or Period
        A period of the plan's kind (``2026-Q3`` for a quarterly plan).
    splits : DataFrame, optional
        Credit splits and overlays: ``opportunity_id``, ``rep_id``, ``share``, ``role``
        (:mod:`credit`).
    as_of : date, optional
        The last day known (see above).

    Returns
    -------
    PayRun
    """
    plan = load_plan(plan)
    periods = plan_periods(plan, period, ds.fiscal_start_month)
    roles = ds.reps.set_index("rep_id")["role"] if "role" in ds.reps else None
    paid = []          # per period: (credits, targets)
    rows, lines = [], []
    balance = pd.Series(dtype=float)
    for i, P in enumerate(periods):
        version, label = plan.version_for(P.start, P.end)
        known = P.end if as_of is None else min(P.end, pd.Timestamp(as_of).normalize())
        credits = _credit.credited(ds, P, splits, state=state_as_of(ds, known))
        targets = quota_for_period(ds, P)
        summary, ln = evaluate(credits, targets, version, roles=roles)
        lines.append((ln, {"period": P.label, "source_period": P.label, "plan_version": label}))
        adj = pd.DataFrame({"rep_id": summary["rep_id"], "clawback": 0.0, "delta": 0.0})
        adj = adj.set_index("rep_id")
        for j in range(i):
            a, ln_adj = _adjustments(ds, plan, periods[j], periods[i - 1].end, P, paid[j], roles,
                                     until=known)
            adj = adj.add(a, fill_value=0.0)
            if ln_adj is not None:
                lines.append(ln_adj.assign(period=P.label))
        paid.append((credits, targets))
        s = summary.set_index("rep_id").reindex(adj.index.union(summary["rep_id"]))
        s[["clawback", "delta"]] = adj.reindex(s.index).fillna(0.0)
        s = s.fillna({c: 0.0 for c in ("commission", "cap_adjustment", "floor_adjustment",
                                       "spif")})
        s["earnings"] = s[["commission", "cap_adjustment", "floor_adjustment", "spif",
                           "clawback", "delta"]].sum(axis=1)
        s, balance, draw_lines = _draw(s, balance, version)
        lines.extend(x.assign(period=P.label, source_period=P.label, plan_version=label)
                     for x in draw_lines)
        rows.append(s.reset_index().assign(period=P.label, plan_version=label))
    history = pd.concat(rows, ignore_index=True)
    history = _finish(ds, history, plan)
    all_lines = _concat_lines(lines)
    target = periods[-1].label
    pay = history[history["period"] == target].drop(columns="period").reset_index(drop=True)
    roster = ds.reps.reindex(columns=["rep_id", "rep_name", "team"])
    return PayRun(pay, history, all_lines, plan, periods[-1], tuple(periods), roster)


def report_run(ds, plan, period, splits: pd.DataFrame | None = None) -> PayRun:
    """The pay run a report on ``period`` shows: the plan period :func:`pay_period` holding
    it, paid from what was known on the report's date
    (:func:`salesops_lib.measures.report_date` of ``period``), so a monthly page never
    counts deals won after the month it reports on."""
    return run(ds, plan, pay_period(ds, plan, period), splits,
               as_of=report_date(ds, Period.parse(period, ds.fiscal_start_month)))


def payouts(ds, plan, period, splits: pd.DataFrame | None = None) -> pd.DataFrame:
    """One row per rep paid for ``period`` under ``plan``: the stable entry point.

    Columns: ``rep_id``, ``rep_name``, ``team``, ``quota``, ``credited`` (bookings credit),
    ``attainment`` (first measure's value ÷ target), ``attainment_<m>`` per further measure,
    then the signed parts ``commission``, ``cap_adjustment``, ``floor_adjustment``, ``spif``,
    ``clawback``, ``delta``, ``earnings`` (their sum), ``draw``, ``draw_recovery``,
    ``draw_balance`` (after this period), ``payout`` = earnings + draw + draw_recovery, and
    ``plan_version``. The traced lines are in :func:`run`'s ``lines``.
    """
    return run(ds, plan, period, splits).payouts


_TEXT = ("period", "line", "source_period", "role", "measure", "rule", "tier", "plan_version")
_NUMBERS = ("credit", "attainment_from", "attainment_to", "rate", "amount")


def _concat_lines(frames: list) -> pd.DataFrame:
    """Lines of every period in :data:`LINE_COLUMNS` order, from frames or ``(frame, constant
    columns)`` pairs; text columns stay categorical
    (a plain concat would turn a million categorical rows back into Python strings)."""
    from pandas.api.types import union_categoricals

    frames = [f if isinstance(f, tuple) else (f, {}) for f in frames]
    frames = [(f, k) for f, k in frames if len(f)]
    out = {}
    for c in LINE_COLUMNS:
        cols = [pd.Series(_const(len(f), k[c]), index=f.index) if c in k
                else f[c] if c in f
                else pd.Series(np.nan if c in _NUMBERS else None, index=f.index)
                for f, k in frames]
        if c in _TEXT:
            cats = [x.array if isinstance(x.dtype, pd.CategoricalDtype)
                    else pd.Categorical(x.astype(object)) for x in cols]
            out[c] = union_categoricals(cats) if cats else pd.Categorical([])
        elif c in _NUMBERS:
            out[c] = np.concatenate([x.to_numpy(float) for x in cols]) if cols else []
        else:
            out[c] = np.concatenate([x.to_numpy(object) for x in cols]) if cols else []
    return pd.DataFrame(out)


def _const(n: int, value: str) -> pd.Categorical:
    """A constant text column that costs one byte a row."""
    return pd.Categorical.from_codes(np.zeros(n, dtype=np.int8), categories=[value])


def _adjustments(ds, plan, Pj, prev_known, Q, paid_j, roles, until=None):
    """Clawback and delta lines reaching period ``Q`` for the earlier period ``Pj``, from
    what was known by ``until`` (default: ``Q``'s end)."""
    credits, targets = paid_j
    until = Q.end if until is None else until
    v_prev, l_prev = plan.version_for(Pj.start, prev_known)
    v_now, l_now = plan.version_for(Pj.start, until)
    rev_all = _credit.reversals(ds, credits, Pj.end, until)
    days = v_prev.clawback_days
    if days is None:
        rev_all = rev_all.iloc[0:0]
    inside = rev_all[rev_all["days_after_close"] <= days] if days is not None else rev_all
    before = inside[inside["reversed_at"] < prev_known.normalize() + pd.Timedelta(days=1)]
    new = inside[~inside["opportunity_id"].isin(before["opportunity_id"])]
    out = pd.DataFrame({"clawback": 0.0, "delta": 0.0}, index=pd.Index(targets["rep_id"]))
    lines = []
    c_prev = _credit.apply_reversals(credits, before)
    c_now = _credit.apply_reversals(credits, inside)
    if len(new):
        e0 = evaluate(c_prev, targets, v_prev, roles=roles, lines=False)[0]
        e1 = evaluate(c_now, targets, v_prev, roles=roles, lines=False)[0]
        claw = pd.Series(e1["earned"].to_numpy() - e0["earned"].to_numpy(),
                         index=e0["rep_id"].to_numpy())
        out["clawback"] = claw.reindex(out.index).fillna(0.0)
        lost = credits.merge(new, on="opportunity_id")
        lost["lost"] = lost["share"] * (lost["amount"] - lost["new_amount"])
        lost["weight"] = lost["lost"] / lost.groupby("rep_id")["lost"].transform("sum")
        lost["amount_line"] = lost["weight"] * lost["rep_id"].map(claw).fillna(0.0)
        lines.append(pd.DataFrame({
            "rep_id": lost["rep_id"], "line": "clawback", "source_period": Pj.label,
            "opportunity_id": lost["opportunity_id"], "role": lost["role"],
            "credit": -lost["lost"],
            "rule": [f"Clawback: reversed {r:%d %b %Y}, {d} days after close (window {days})"
                     for r, d in zip(lost["reversed_at"], lost["days_after_close"])],
            "amount": lost["amount_line"], "plan_version": l_prev}))
    if days is not None:
        outside = rev_all[(rev_all["days_after_close"] > days)
                          & (rev_all["reversed_at"] >= prev_known.normalize() + pd.Timedelta(days=1))]
        if len(outside):
            o = credits.merge(outside, on="opportunity_id")
            lines.append(pd.DataFrame({
                "rep_id": o["rep_id"], "line": "clawback", "source_period": Pj.label,
                "opportunity_id": o["opportunity_id"], "role": o["role"], "credit": 0.0,
                "rule": [f"No clawback: reversed {d} days after close, outside the {days}-day "
                         "window" for d in o["days_after_close"]],
                "amount": 0.0, "plan_version": l_prev}))
    if l_now != l_prev:
        e_old = evaluate(c_now, targets, v_prev, roles=roles, lines=False)[0]
        e_new = evaluate(c_now, targets, v_now, roles=roles, lines=False)[0]
        d = e_new["earned"].to_numpy() - e_old["earned"].to_numpy()
        out["delta"] = pd.Series(d, index=e_new["rep_id"].to_numpy()).reindex(out.index).fillna(0)
        hit = np.abs(d) > 1e-9
        lines.append(pd.DataFrame({
            "rep_id": e_new["rep_id"].to_numpy()[hit], "line": "delta", "source_period": Pj.label,
            "rule": f"Retroactive change: {l_now} replaces {l_prev} for {Pj.label}",
            "amount": d[hit], "plan_version": l_now}))
    return out, (pd.concat(lines, ignore_index=True) if lines else None)


def _draw(s: pd.DataFrame, balance: pd.Series, plan: Plan):
    D = plan.draw_amount
    before = balance.reindex(s.index).fillna(0.0)
    e = s["earnings"]
    draw = (D - e).clip(lower=0.0) if D > 0 else pd.Series(0.0, index=s.index)
    if plan.draw_recoverable:
        recovery = 0.0 - np.minimum(before, (e - D).clip(lower=0.0))
        after = before + draw + recovery
    else:
        recovery = pd.Series(0.0, index=s.index)
        after = pd.Series(0.0, index=s.index)
    s = s.assign(draw=draw, draw_recovery=recovery, draw_balance=after)
    s["payout"] = s["earnings"] + s["draw"] + s["draw_recovery"]
    kind = "recoverable" if plan.draw_recoverable else "non-recoverable"
    lines = []
    for col, rule in (("draw", f"Draw: {D:,.0f} guaranteed per {plan.period} ({kind})"),
                      ("draw_recovery", ("draw recovery: earnings above the draw repay the "
                                        "outstanding balance"))):
        hit = s[col].abs() > 1e-9
        if hit.any():
            lines.append(pd.DataFrame({"rep_id": s.index[hit], "line": col, "rule": rule,
                                       "amount": s.loc[hit, col].to_numpy()}))
    new_balance = balance.combine_first(after) if len(balance) else after
    new_balance.loc[after.index] = after
    return s, new_balance, lines


def _finish(ds, h: pd.DataFrame, plan: Plan) -> pd.DataFrame:
    first = plan.measures[0].name
    h = h.rename(columns={f"attainment_{first}": "attainment"})
    h["credited"] = h.get("value_bookings", h[f"value_{first}"])
    reps = ds.reps.set_index("rep_id")
    h["rep_name"] = h["rep_id"].map(reps["rep_name"])
    h["team"] = h["rep_id"].map(reps["team"]) if "team" in reps else pd.NA
    more = [f"attainment_{m.name}" for m in plan.measures[1:]]
    cols = ["period", "rep_id", "rep_name", "team", "quota", "credited", "attainment", *more,
            *PARTS, "plan_version"]
    for c in cols:
        if c not in h:
            h[c] = np.nan
    return h[cols].sort_values(["period", "rep_id"]).reset_index(drop=True)
