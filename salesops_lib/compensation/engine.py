"""The plan engine: one period's credits and targets → per-rep earnings and traced lines.

Vectorised over every deal and rep at once (numpy over sorted arrays, no loop per rep).

**Measures.** For measure ``m``: ``value_m`` = Σ credit of the rep's rows (bookings), of rows of
its ``product`` (product), or Σ share of rows that are an account's first won deal (new_logos);
``target_m`` = the rep's quota (bookings default), ``target_share`` × quota, or ``target``;
``attainment_m = value_m / target_m``.

**Curve.** Bands ``[from, to)`` with a rate r (multiple of target incentive TI per unit of
attainment). Marginal: ``commission_m = TI · w_m · Σ_b r_b · |[0, a] ∩ [from_b, to_b)|``;
retroactive: ``commission_m = TI · w_m · r_b(a) · a`` with ``b(a)`` the band holding ``a``
(at an edge, the band that starts there). A gate on measure ``m`` fails when another measure's
attainment is below ``min_attainment``; attainment of ``m`` above ``above`` then pays ``rate``
(default: the rate of the band just below ``above``).

**Deal lines.** A rep's rows are taken in close-date order; row ``d`` covers attainment
``[A_{d-1}, A_d)`` with ``A_d`` = cumulative value ÷ target, and its line per band is that span's
overlap with the band times the band's rate (marginal) or the final band's rate
(retroactive), times ``TI · w_m``; its ``credit`` is the deal's credit × the share of its span
in that line. The lines of a rep add up exactly to its commission.

**Cap and floor** act on ``commission = Σ_m commission_m``: ``cap_adjustment =
min(0, cap·TI − commission)``, ``floor_adjustment = max(0, floor·TI − commission)``.
**SPIF**: per eligible row ``per_deal · share + rate · credit`` (won in the SPIF window, product
matches, deal amount ≥ ``min_amount``, rep role listed).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .plan import Plan

SUMMARY_PARTS = ["commission", "cap_adjustment", "floor_adjustment", "spif"]


def measure_contribution(credits: pd.DataFrame, measure) -> np.ndarray:
    """Each credit row's contribution to ``measure``'s value (amount or logo count)."""
    credit = credits["credit"].to_numpy(float)
    if measure.kind == "bookings":
        return credit
    if measure.kind == "product":
        return np.where(credits["product"].astype("string").eq(measure.product).fillna(False)
                        .to_numpy(bool), credit, 0.0)
    logo = credits["new_logo"].to_numpy(bool) & (credits["amount"].to_numpy(float) > 0)
    return np.where(logo, credits["share"].to_numpy(float), 0.0)


def measure_targets(quota: np.ndarray, measure) -> np.ndarray:
    """Per rep target of ``measure`` from the reps' ``quota`` array."""
    if measure.target is not None:
        return np.full(len(quota), measure.target, dtype=float)
    if measure.target_share is not None:
        return quota * measure.target_share
    return quota.astype(float)


def _rep_rates(plan: Plan, measure, gate_fail: np.ndarray):
    """Band edges and a rates matrix (reps × bands) for ``measure``, gates applied."""
    lo, hi, rates = plan.edges.copy(), plan.uppers.copy(), plan.rates.copy()
    gates = [g for g in plan.gates if g["applies_to"] == measure.name]
    for g in gates:    # split the band that holds the gate's edge so the edge is a band edge
        a = g["above"]
        b = np.searchsorted(lo, a, side="right") - 1
        if 0 <= b and lo[b] < a < hi[b]:
            lo = np.insert(lo, b + 1, a)
            hi = np.insert(hi, b, a)
            rates = np.insert(rates, b + 1, rates[b])
    R = np.broadcast_to(rates, (len(gate_fail), len(rates))).copy()
    for g, fail in zip(gates, gate_fail.T if gate_fail.ndim == 2 else [gate_fail]):
        above = lo >= g["above"]
        below = np.flatnonzero(hi <= g["above"])
        rate = g["rate"] if g["rate"] is not None else (rates[below[-1]] if len(below) else 0.0)
        R[np.ix_(fail, above)] = np.minimum(R[np.ix_(fail, above)], rate)
    return lo, hi, R


def curve_value(att: np.ndarray, lo, hi, R: np.ndarray, tiers: str) -> np.ndarray:
    """Curve earnings in TI units at attainment ``att`` (one value per rep, rates per rep)."""
    a = np.nan_to_num(np.asarray(att, float))[:, None]
    if tiers == "marginal":
        return (R * np.clip(np.minimum(a, hi) - lo, 0, None)).sum(axis=1)
    band = np.clip(np.searchsorted(lo, a[:, 0], side="right") - 1, 0, len(lo) - 1)
    return R[np.arange(len(a)), band] * a[:, 0]


def evaluate(credits: pd.DataFrame, targets: pd.DataFrame, plan: Plan, *, roles=None,
             lines: bool = True):
    """Earnings for one period.

    Parameters
    ----------
    credits : DataFrame
        :func:`credit.credited` rows: ``opportunity_id``, ``rep_id``, ``role``, ``share``,
        ``amount``, ``credit``, ``close_date``, ``product``, ``new_logo``.
    targets : DataFrame
        ``rep_id``, ``quota``: the participants (rows of other reps are ignored).
    plan : Plan
        One plan version.
    roles : Series, optional
        Rep role by ``rep_id`` (SPIF eligibility).
    lines : bool
        Build the traced lines (off: summary only, for simulation and what-ifs).

    Returns
    -------
    (summary, lines)
        ``summary``: one row per target rep: ``rep_id``, ``quota``, per measure ``value_<m>``,
        ``target_<m>``, ``attainment_<m>``, ``commission_<m>``; then ``commission``,
        ``cap_adjustment``, ``floor_adjustment``, ``spif``, ``earned`` (their sum).
        ``lines``: ``rep_id``, ``line``, ``opportunity_id``, ``role``, ``credit``, ``measure``,
        ``rule``, ``tier``, ``attainment_from``, ``attainment_to``, ``rate``, ``amount``.
    """
    reps = targets["rep_id"].astype("string").to_numpy()
    quota = targets["quota"].to_numpy(float)
    n = len(reps)
    ti = plan.target_incentive
    idx = pd.Index(reps)
    pos = idx.get_indexer(credits["rep_id"].astype("string"))
    c = credits[pos >= 0]
    pos = pos[pos >= 0]
    order = np.lexsort((c["opportunity_id"].to_numpy(), c["close_date"].to_numpy(), pos))
    c, pos = c.iloc[order], pos[order]
    out = {"rep_id": reps, "quota": quota}
    contrib, att, tgt = {}, {}, {}
    for m in plan.measures:
        x = measure_contribution(c, m)
        v = np.bincount(pos, weights=x, minlength=n)
        t = measure_targets(quota, m)
        contrib[m.name], tgt[m.name] = x, t
        with np.errstate(divide="ignore", invalid="ignore"):
            att[m.name] = np.where(t > 0, v / t, np.nan)
        out[f"value_{m.name}"], out[f"target_{m.name}"] = v, t
        out[f"attainment_{m.name}"] = att[m.name]
    all_lines = []
    commission = np.zeros(n)
    for m in plan.measures:
        gates = [g for g in plan.gates if g["applies_to"] == m.name]
        fail = np.column_stack([np.nan_to_num(att[g["measure"]]) < g["min_attainment"]
                                for g in gates]) if gates else np.zeros((n, 0), bool)
        lo, hi, R = _rep_rates(plan, m, fail)
        cm = ti * m.weight * curve_value(att[m.name], lo, hi, R, plan.tiers)
        out[f"commission_{m.name}"] = cm
        commission += cm
        if lines:
            all_lines.append(_deal_lines(c, pos, contrib[m.name], tgt[m.name], att[m.name],
                                         lo, hi, R, plan, m, ti))
    cap_adj = np.zeros(n) if plan.cap is None else np.minimum(0.0, plan.cap * ti - commission)
    floor_adj = (np.zeros(n) if plan.floor is None
                 else np.maximum(0.0, plan.floor * ti - commission))
    spif, spif_lines = _spifs(c, pos, n, plan, roles, reps, lines)
    out.update(commission=commission, cap_adjustment=cap_adj, floor_adjustment=floor_adj,
               spif=spif)
    summary = pd.DataFrame(out)
    summary["earned"] = summary[SUMMARY_PARTS].sum(axis=1)
    if not lines:
        return summary, None
    rep_lines = []
    for name, arr, rule in (("cap", cap_adj, f"cap at {plan.cap}x target incentive"),
                            ("floor", floor_adj, f"floor at {plan.floor}x target incentive")):
        hit = arr != 0
        if hit.any():
            rep_lines.append(pd.DataFrame({"rep_id": reps[hit], "line": name, "rule": rule,
                                           "amount": arr[hit]}))
    return summary, pd.concat(all_lines + spif_lines + rep_lines, ignore_index=True)


def _deal_lines(c, pos, x, t, att, lo, hi, R, plan, m, ti) -> pd.DataFrame:
    keep = x != 0
    x, p = x[keep], pos[keep]
    cc = c[keep]
    if not len(p):
        return pd.DataFrame(columns=["rep_id", "line", "opportunity_id", "role", "credit",
                                     "measure", "rule", "tier", "attainment_from",
                                     "attainment_to", "rate", "amount"])
    tt = t[p]
    with np.errstate(divide="ignore", invalid="ignore"):
        step = np.where(tt > 0, x / tt, 0.0)
    cum = np.cumsum(step)
    start = np.r_[0, np.flatnonzero(p[1:] != p[:-1]) + 1]
    base = np.repeat(cum[start] - step[start], np.diff(np.r_[start, len(p)]))
    a1 = cum - base
    a0 = a1 - step
    rows = []
    if plan.tiers == "marginal":
        for b in range(len(lo)):
            ov = np.clip(np.minimum(a1, hi[b]) - np.maximum(a0, lo[b]), 0, None)
            hit = ov > 0
            rows.append((np.flatnonzero(hit), np.maximum(a0[hit], lo[b]),
                         np.minimum(a1[hit], hi[b]), R[p[hit], b], np.full(hit.sum(), b)))
    else:
        final = np.nan_to_num(att)[p]
        band = np.clip(np.searchsorted(lo, final, side="right") - 1, 0, len(lo) - 1)
        rows.append((np.arange(len(p)), a0, a1, R[p, band], band))
    i = np.concatenate([r[0] for r in rows]).astype(int)
    f = np.concatenate([r[1] for r in rows])
    to = np.concatenate([r[2] for r in rows])
    rate = np.concatenate([r[3] for r in rows])
    band = np.concatenate([r[4] for r in rows]).astype(int)
    labels = np.array([_band_label(a, b) for a, b in zip(lo, hi)], dtype=object)
    with np.errstate(divide="ignore", invalid="ignore"):     # share of the deal in this line
        frac = np.where(step[i] > 0, (to - f) / step[i], 1.0)
    unit = "deal" if m.kind == "new_logos" else "credit"
    return pd.DataFrame({
        "rep_id": cc["rep_id"].to_numpy()[i], "line": "commission",
        "opportunity_id": cc["opportunity_id"].to_numpy()[i], "role": cc["role"].to_numpy()[i],
        "credit": cc["credit"].to_numpy()[i] * frac, "measure": m.name,
        "rule": f"{m.name} curve ({plan.tiers}, weight {m.weight:g}, per {unit})",
        "tier": labels[band], "attainment_from": f, "attainment_to": to, "rate": rate,
        "amount": ti * m.weight * rate * (to - f)})


def _band_label(lo, hi) -> str:
    return f"{100 * lo:.0f}%+" if np.isinf(hi) else f"{100 * lo:.0f}%–{100 * hi:.0f}%"


def _spifs(c, pos, n, plan, roles, reps, lines):
    total = np.zeros(n)
    out = []
    if not plan.spifs or c.empty:
        return total, out
    close = c["close_date"].to_numpy()
    for s in plan.spifs:
        ok = (close >= np.datetime64(s["start"])) & (close <= np.datetime64(s["end"]))
        ok &= c["amount"].to_numpy(float) >= s["min_amount"]
        if s["product"]:
            ok &= c["product"].astype("string").eq(s["product"]).fillna(False).to_numpy(bool)
        if s["roles"] and roles is not None:
            ok &= c["rep_id"].map(roles).isin(s["roles"]).to_numpy(bool)
        pay = np.where(ok, s["per_deal"] * c["share"].to_numpy(float)
                       + s["rate"] * c["credit"].to_numpy(float), 0.0)
        total += np.bincount(pos, weights=pay, minlength=n)
        if lines and ok.any():
            out.append(pd.DataFrame({
                "rep_id": c["rep_id"].to_numpy()[ok], "line": "spif",
                "opportunity_id": c["opportunity_id"].to_numpy()[ok],
                "role": c["role"].to_numpy()[ok], "credit": c["credit"].to_numpy()[ok],
                "rule": f"SPIF {s['name']} ({s['start']:%d %b}–{s['end']:%d %b %Y})",
                "amount": pay[ok]}))
    return total, out
