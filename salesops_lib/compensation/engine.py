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

**Deal lines.** A rep's rows are taken in close-date order (ties in the order of the credits
frame, i.e. of the opportunities table); row ``d`` covers attainment
``[A_{d-1}, A_d)`` with ``A_d`` = cumulative value ÷ target, and its line per band is that span's
overlap with the band times the band's rate (marginal) or the final band's rate
(retroactive), times ``TI · w_m``; its ``credit`` is the deal's credit × the share of its span
in that line. The lines of a rep add up exactly to its commission.

A measure's ``max_attainment`` caps the attainment it pays on (``a → min(a, max)``).

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


LINE_COLUMNS = ["rep_id", "line", "opportunity_id", "role", "credit", "measure", "rule", "tier",
                "attainment_from", "attainment_to", "rate", "amount"]


def _arrays(credits: pd.DataFrame, reps: pd.Index) -> dict:
    """The credit rows of the participants as numpy arrays, in (rep, close date) order; ties
    keep the order of ``credits`` (``row`` indexes back into it)."""
    pos = reps.get_indexer(credits["rep_id"])
    keep = np.flatnonzero(pos >= 0)
    close = credits["close_date"].to_numpy("datetime64[ns]")[keep]
    day = close.astype("datetime64[D]").astype(np.int64)
    day = day - (day.min() if len(day) else 0)
    # one int64 key (rep, close day, row) sorts 5-10x faster than a multi-key lexsort
    key = (pos[keep].astype(np.int64) * (int(day.max(initial=0)) + 1) + day) * len(credits) + keep
    order = np.argsort(key)
    row = keep[order]
    codes, labels = pd.factorize(credits["product"]) if "product" in credits else (
        np.full(len(credits), -1), pd.Index([]))
    return {"row": row, "pos": pos[row], "close": close[order],
            "credit": credits["credit"].to_numpy(float)[row],
            "share": credits["share"].to_numpy(float)[row],
            "amount": credits["amount"].to_numpy(float)[row],
            "new_logo": credits["new_logo"].to_numpy(bool)[row],
            "product": np.asarray(codes)[row], "products": list(labels)}


def _is_product(a: dict, product) -> np.ndarray:
    code = a["products"].index(product) if product in a["products"] else -2
    return a["product"] == code


def measure_contribution(a: dict, measure) -> np.ndarray:
    """Each credit row's contribution to ``measure``'s value (amount or logo count)."""
    if measure.kind == "bookings":
        return a["credit"]
    if measure.kind == "product":
        return np.where(_is_product(a, measure.product), a["credit"], 0.0)
    return np.where(a["new_logo"] & (a["amount"] > 0), a["share"], 0.0)


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
    a = _arrays(credits, pd.Index(targets["rep_id"].astype("string")))
    pos = a["pos"]
    out = {"rep_id": reps, "quota": quota}
    contrib, att, tgt = {}, {}, {}
    for m in plan.measures:
        x = measure_contribution(a, m)
        v = np.bincount(pos, weights=x, minlength=n)
        t = measure_targets(quota, m)
        contrib[m.name], tgt[m.name] = x, t
        with np.errstate(divide="ignore", invalid="ignore"):
            att[m.name] = np.where(t > 0, v / t, np.nan)
        out[f"value_{m.name}"], out[f"target_{m.name}"] = v, t
        out[f"attainment_{m.name}"] = att[m.name]
    parts = []
    commission = np.zeros(n)
    for m in plan.measures:
        gates = [g for g in plan.gates if g["applies_to"] == m.name]
        fail = np.column_stack([np.nan_to_num(att[g["measure"]]) < g["min_attainment"]
                                for g in gates]) if gates else np.zeros((n, 0), bool)
        lo, hi, R = _rep_rates(plan, m, fail)
        paid_att = np.minimum(att[m.name], m.max_attainment)
        cm = ti * m.weight * curve_value(paid_att, lo, hi, R, plan.tiers)
        out[f"commission_{m.name}"] = cm
        commission += cm
        if lines:
            parts.append(_deal_lines(a, contrib[m.name], tgt[m.name], paid_att, lo, hi, R,
                                     plan, m, ti))
    cap_adj = np.zeros(n) if plan.cap is None else np.minimum(0.0, plan.cap * ti - commission)
    floor_adj = (np.zeros(n) if plan.floor is None
                 else np.maximum(0.0, plan.floor * ti - commission))
    spif, spif_parts = _spifs(a, n, plan, roles, reps, lines)
    out.update(commission=commission, cap_adjustment=cap_adj, floor_adjustment=floor_adj,
               spif=spif)
    summary = pd.DataFrame(out)
    summary["earned"] = summary[SUMMARY_PARTS].sum(axis=1)
    if not lines:
        return summary, None
    for name, arr, rule in (("cap", cap_adj, f"Cap at {plan.cap}x target incentive"),
                            ("floor", floor_adj, f"Floor at {plan.floor}x target incentive")):
        hit = np.flatnonzero(arr != 0)
        if len(hit):
            parts.append({"pos": hit, "line": name, "rule": rule, "amount": arr[hit]})
    parts += spif_parts
    return summary, _frame(parts, credits, a, reps)


_TEXT = ("line", "measure", "rule", "tier")
_NUMBERS = ("credit", "attainment_from", "attainment_to", "rate", "amount")


def _frame(parts: list[dict], credits: pd.DataFrame, a: dict, reps: np.ndarray) -> pd.DataFrame:
    """One lines frame from column dicts, in a single concatenation. Text columns are
    categorical (a scalar per part, or ``(codes, labels)``), so a million lines stay cheap."""
    sizes = [len(p["pos"]) for p in parts]
    cols = {"rep_id": np.concatenate([reps[p["pos"]] for p in parts]) if parts else []}
    oid = credits["opportunity_id"].to_numpy(object)
    chunks = [oid[a["row"][p["deal"]]] if "deal" in p else np.full(k, None, dtype=object)
              for p, k in zip(parts, sizes)]
    cols["opportunity_id"] = np.concatenate(chunks) if chunks else np.empty(0, dtype=object)
    role = credits["role"] if "role" in credits else pd.Series(pd.NA, index=credits.index)
    codes, labels = pd.factorize(role)        # roles stay categorical: three values, many rows
    chunks = [codes[a["row"][p["deal"]]] if "deal" in p else np.full(k, -1)
              for p, k in zip(parts, sizes)]
    cols["role"] = pd.Categorical.from_codes(np.concatenate(chunks) if chunks else [],
                                             categories=list(labels))
    for c in _TEXT:
        cats: dict = {}
        codes = []
        for p, k in zip(parts, sizes):
            v = p.get(c)
            if isinstance(v, tuple):
                local = np.array([cats.setdefault(x, len(cats)) for x in v[1]], dtype=np.int32)
                codes.append(local[v[0]])
            elif v is None:
                codes.append(np.full(k, -1, dtype=np.int32))
            else:
                codes.append(np.full(k, cats.setdefault(v, len(cats)), dtype=np.int32))
        cols[c] = pd.Categorical.from_codes(np.concatenate(codes) if codes else [],
                                            categories=list(cats))
    for c in _NUMBERS:
        chunks = [p[c] if c in p else np.full(k, np.nan) for p, k in zip(parts, sizes)]
        cols[c] = np.concatenate(chunks).astype(float) if chunks else np.empty(0)
    return pd.DataFrame(cols)[LINE_COLUMNS]


def _deal_lines(a, x, t, att, lo, hi, R, plan, m, ti) -> dict:
    deal = np.flatnonzero(x != 0)
    p = a["pos"][deal]
    x = x[deal]
    if not len(p):
        return {"pos": p, "deal": deal, "line": "commission"}
    tt = t[p]
    with np.errstate(divide="ignore", invalid="ignore"):
        step = np.where(tt > 0, x / tt, 0.0)
    cum = np.cumsum(step)
    start = np.r_[0, np.flatnonzero(p[1:] != p[:-1]) + 1]
    base = np.repeat(cum[start] - step[start], np.diff(np.r_[start, len(p)]))
    a1 = cum - base
    a0 = a1 - step
    if np.isfinite(m.max_attainment):        # spans above the component cap are not paid
        a0, a1 = np.minimum(a0, m.max_attainment), np.minimum(a1, m.max_attainment)
    rows = []
    if plan.tiers == "marginal":
        for b in range(len(lo)):
            ov = np.minimum(a1, hi[b]) - np.maximum(a0, lo[b])
            hit = np.flatnonzero(ov > 0)
            rows.append((hit, np.maximum(a0[hit], lo[b]), np.minimum(a1[hit], hi[b]),
                         R[p[hit], b], np.full(len(hit), b)))
    else:
        final = np.nan_to_num(att)[p]
        band = np.clip(np.searchsorted(lo, final, side="right") - 1, 0, len(lo) - 1)
        rows.append((np.arange(len(p)), a0, a1, R[p, band], band))
    i = np.concatenate([r[0] for r in rows]).astype(int)
    f = np.concatenate([r[1] for r in rows])
    to = np.concatenate([r[2] for r in rows])
    rate = np.concatenate([r[3] for r in rows])
    band = np.concatenate([r[4] for r in rows]).astype(int)
    labels = [_band_label(u, v) for u, v in zip(lo, hi)]
    with np.errstate(divide="ignore", invalid="ignore"):     # share of the deal in this line
        frac = np.where(step[i] > 0, (to - f) / step[i], 1.0)
    unit = "deal" if m.kind == "new_logos" else "credit"
    return {"pos": p[i], "deal": deal[i], "line": "commission",
            "credit": a["credit"][deal[i]] * frac, "measure": m.name,
            "rule": f"{m.name.replace('_', ' ').capitalize()} curve ({plan.tiers} tiers, "
                    f"weight {m.weight:g}, per {unit})",
            "tier": (band, labels), "attainment_from": f, "attainment_to": to, "rate": rate,
            "amount": ti * m.weight * rate * (to - f)}


def _band_label(lo, hi) -> str:
    return f"{100 * lo:.0f}%+" if np.isinf(hi) else f"{100 * lo:.0f}%–{100 * hi:.0f}%"


def _spifs(a, n, plan, roles, reps, lines):
    total = np.zeros(n)
    out = []
    if not plan.spifs or not len(a["pos"]):
        return total, out
    close = a["close"]
    for s in plan.spifs:
        ok = (close >= np.datetime64(s["start"])) & (close <= np.datetime64(s["end"]))
        ok &= a["amount"] >= s["min_amount"]
        if s["product"]:
            ok &= _is_product(a, s["product"])
        if s["roles"] and roles is not None:
            rep_role = pd.Series(reps).map(roles).to_numpy()
            ok &= np.isin(rep_role[a["pos"]], list(s["roles"]))
        pay = np.where(ok, s["per_deal"] * a["share"] + s["rate"] * a["credit"], 0.0)
        total += np.bincount(a["pos"], weights=pay, minlength=n)
        hit = np.flatnonzero(ok)
        if lines and len(hit):
            out.append({"pos": a["pos"][hit], "deal": hit, "line": "spif",
                        "credit": a["credit"][hit],
                        "rule": f"SPIF {s['name']} ({s['start']:%d %b}–{s['end']:%d %b %Y})",
                        "amount": pay[hit]})
    return total, out
