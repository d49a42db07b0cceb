"""Plan cost: what a plan will cost across the whole team, as a distribution, not a point.

**Attainment model.** For each rep, the log attainment ``y = log(max(attainment, 0.05))`` of up
to ``history`` past periods of the plan's kind (quota from :func:`measures.quota_for_period`,
won bookings as known the day before the period) is shrunk towards the team (empirical Bayes):
``m_r = (n_r/σ² · ȳ_r + μ/τ²) / (n_r/σ² + 1/τ²)`` with ``σ²`` the pooled within-rep variance,
``μ`` the team mean and ``τ²`` the between-rep variance (reps without history get ``μ``).
Draw ``d`` gives ``attainment_{d,r} = exp(m_r + log f + c_d + s·ε_{d,r})``: ``c_d ~ N(0, s_c²)`` a
shock common to the team, ``ε ~ N(0, 1)`` the rep's own, ``s² = max(σ² − s_c², σ²/2)``.
Without a forecast ``f = 1`` and ``s_c`` is the sd of the team's log attainment across the
history periods. With a forecast (``value``, 80% ``lower``/``upper``), ``f`` sets expected team
bookings to ``value`` and ``s_c = (log upper − log lower) / (2 · 1.2816)``.

**Pay per draw** applies the plan's curve with every measure at the rep's attainment (gates
pass when that attainment reaches their minimum), then cap, floor and draw: a draw is paid
in cash in the period (``max(earnings, draw)``), recovered or not. SPIFs are not simulated.

``cost = Σ_r pay``, ``bookings = Σ_r attainment · quota``, ``cost_of_sales = cost / bookings``.
Seeded (numpy ``default_rng(seed)``, one stream per chunk of draws): same seed, same numbers.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from itertools import pairwise

import numpy as np
import pandas as pd

from .. import viz
from ..measures import quota_for_period, state_as_of
from ..periods import Period
from .engine import _rep_rates
from .plan import Plan, load_plan
from .quotas import known_before, won_bookings

_FLOOR_ATT = 0.05
_Z80 = 1.2815515655446004
_CHUNK = 2_000_000          # attainment cells per chunk (draws × reps)


def attainment_history(ds, period, kind: str = "quarter", periods: int = 8) -> pd.DataFrame:
    """Per rep and past period: ``rep_id``, ``period``, ``quota``, ``bookings``, ``attainment``
    for up to ``periods`` complete periods of ``kind`` before ``period``, as known the day before
    it starts."""
    P = Period.parse(period, ds.fiscal_start_month)
    if P.kind != kind:
        P = Period.parse(f"{P.start.year}-{P.start.month:02d}", ds.fiscal_start_month)
        P = _containing(P, kind, ds.fiscal_start_month)
    known = known_before(ds, P)
    state = state_as_of(ds, known)
    rows = []
    cur = P.previous()
    for _ in range(periods):
        if cur.end > known:
            cur = cur.previous()
            continue
        q = quota_for_period(ds, cur)
        if len(q):
            b = won_bookings(ds, cur.start, cur.end, known, state=state)
            rows.append(pd.DataFrame({"rep_id": q["rep_id"].astype(str).to_numpy(),
                                      "period": cur.label, "quota": q["quota"].to_numpy(float),
                                      "bookings": q["rep_id"].astype(str).map(b).fillna(0.0)
                                      .to_numpy(float)}))
        cur = cur.previous()
    if not rows:
        return pd.DataFrame(columns=["rep_id", "period", "quota", "bookings", "attainment"])
    h = pd.concat(rows, ignore_index=True)
    h["attainment"] = h["bookings"] / h["quota"]
    return h


def _containing(P: Period, kind: str, fsm: int) -> Period:
    from ..periods import period_containing

    return period_containing(P.start, kind, fsm)


def attainment_model(history: pd.DataFrame, quotas: pd.DataFrame, forecast=None,
                     basis: pd.DataFrame | None = None) -> dict:
    """The per-rep attainment model of the module docstring.

    ``quotas`` are the quotas to cost. History is attainment against the quotas reps had, so a
    rep's expected bookings are ``exp(m_r) × basis_r`` with ``basis`` the period's current quota
    (``rep_id``, ``quota``; default ``quotas``), and attainment against a proposed quota is
    those bookings ÷ the proposed quota: ``m_r`` gains ``log(basis_r / quota_r)``.

    Returns a dict: ``reps`` (frame ``rep_id``, ``quota``, ``n``, ``mean_log``), ``shift``
    (log f), ``common_sd``, ``own_sd``.
    """
    q = quotas[["rep_id", "quota"]].assign(rep_id=lambda d: d["rep_id"].astype(str))
    h = history.copy()
    h["y"] = np.log(np.maximum(h["attainment"].astype(float), _FLOOR_ATT))
    g = h.groupby("rep_id")["y"]
    n, ybar = g.size(), g.mean()
    within = (h["y"] - h["rep_id"].map(ybar)).pow(2).sum() / max(len(h) - len(n), 1)
    sigma2 = float(within) if len(h) > len(n) else 0.25
    mu = float(h["y"].mean()) if len(h) else 0.0
    tau2 = max(float(ybar.var(ddof=1)) - float(np.mean(sigma2 / n)) if len(n) > 1 else 0.0, 1e-4)
    reps = q.assign(n=q["rep_id"].map(n).fillna(0).astype(int).to_numpy())
    yb = reps["rep_id"].map(ybar).fillna(mu).to_numpy(float)
    prec = reps["n"].to_numpy() / max(sigma2, 1e-9)
    reps["mean_log"] = (prec * yb + mu / tau2) / (prec + 1 / tau2)
    if basis is not None and len(basis):
        b = reps["rep_id"].map(basis.assign(rep_id=basis["rep_id"].astype(str))
                               .set_index("rep_id")["quota"]).fillna(reps["quota"])
        reps["mean_log"] += np.log(b.to_numpy(float) / reps["quota"].to_numpy(float))
    team = history.groupby("period")[["bookings", "quota"]].sum()
    team_log = np.log(np.maximum(team["bookings"] / team["quota"], _FLOOR_ATT))
    common = float(team_log.std(ddof=1)) if len(team_log) > 2 else 0.1
    shift = 0.0
    if forecast is not None:
        lower, upper = float(forecast.lower), float(forecast.upper)
        if lower > 0 and upper > lower:
            common = (np.log(upper) - np.log(lower)) / (2 * _Z80)
    own = float(np.sqrt(max(sigma2 - common ** 2, sigma2 / 2)))
    if forecast is not None and float(forecast.value) > 0:
        expected = (reps["quota"] * np.exp(reps["mean_log"] + (own ** 2 + common ** 2) / 2)).sum()
        shift = float(np.log(float(forecast.value) / expected))
    return {"reps": reps, "shift": shift, "common_sd": common, "own_sd": own}


def period_pay(att: np.ndarray, plan: Plan) -> np.ndarray:
    """Pay at attainment ``att`` (any shape) under the module docstring's rule."""
    a = np.asarray(att, float)
    flat = a.reshape(-1)
    ti = plan.target_incentive
    gates = list(plan.gates)
    cuts = sorted({g["min_attainment"] for g in gates})
    bounds = [-np.inf, *cuts, np.inf]
    # bucket k: attainment in [bounds[k], bounds[k+1]); the gates with min above bounds[k] fail
    levels = [lv for lv, nxt in pairwise(bounds) if lv < nxt]
    cuts = levels[1:]
    fns = [_bucket_fn(plan, {id(g): g["min_attainment"] > lv for g in gates}) for lv in levels]
    merged = _merge(fns, cuts) if plan.tiers == "marginal" and len(flat) else None
    if merged is not None:             # one piecewise-linear function: a single interpolation
        knots, values, slope = merged
        far = max(float(np.nanmax(flat)), knots[-1]) + 1.0
        earn = np.interp(flat, np.r_[knots, far], np.r_[values, values[-1] + slope * (far - knots[-1])])
    else:
        earn = None
        for lv, fn in zip(levels, fns):
            ek = fn(flat)
            earn = ek if earn is None else np.where(flat >= lv, ek, earn)
    earn = earn * ti
    lo = plan.floor * ti if plan.floor is not None else -np.inf
    hi = plan.cap * ti if plan.cap is not None else np.inf
    if plan.draw_amount > 0:
        lo = max(lo, plan.draw_amount)
        hi = max(hi, plan.draw_amount)
    if np.isfinite(lo) or np.isfinite(hi):
        np.clip(earn, lo, hi, out=earn)
    return earn.reshape(a.shape)


def _bucket_fn(plan: Plan, fail: dict):
    """``x → Σ_m w_m · curve_m(min(x, max_m))`` in TI units with the given gates failed; for
    marginal tiers it carries its knots, values there and the slope beyond (``.knots``)."""
    curves = []
    for m in plan.measures:
        gf = np.array([[fail[id(g)] for g in plan.gates if g["applies_to"] == m.name]], bool)
        lo, hi, R = _rep_rates(plan, m, gf.reshape(1, -1))
        curves.append((m.weight, lo, hi, R[0], m.max_attainment))

    def direct(x):
        return sum(w * _curve_1d(np.minimum(x, top), lo, hi, r, plan.tiers)
                   for w, lo, hi, r, top in curves)

    if plan.tiers != "marginal":
        return direct
    tops = [t for *_, t in curves if np.isfinite(t)]
    knots = np.unique(np.concatenate([lo for _, lo, _, _, _ in curves] + [tops]))
    slope = sum(w * r[-1] for w, _, _, r, top in curves if not np.isfinite(top))
    direct.knots = (knots, direct(knots), slope)
    return direct


def _merge(fns, cuts):
    """The buckets as one continuous piecewise-linear function, or None when a gate makes pay
    jump at its cut (then each bucket is evaluated and selected)."""
    for cut, left, right in zip(cuts, fns[:-1], fns[1:]):
        if abs(left(np.array([cut]))[0] - right(np.array([cut]))[0]) > 1e-12:
            return None
    bounds = [-np.inf, *cuts, np.inf]
    pts = np.unique(np.concatenate([fn.knots[0] for fn in fns] + [np.asarray(cuts, float)]))
    values = np.empty(len(pts))
    for k, fn in enumerate(fns):
        inside = (pts >= bounds[k]) & (pts < bounds[k + 1])
        values[inside] = fn(pts[inside])
    return pts, values, fns[-1].knots[2]


def _curve_1d(x, lo, hi, rates, tiers):
    if tiers == "marginal":     # piecewise linear: interpolate between the band edges
        at_edges = np.r_[0.0, np.cumsum(rates[:-1] * (lo[1:] - lo[:-1]))]
        top = at_edges[-1] + rates[-1] * (x - lo[-1])
        return np.where(x >= lo[-1], top, np.interp(x, lo, at_edges))
    band = np.clip(np.searchsorted(lo, x, side="right") - 1, 0, len(lo) - 1)
    return rates[band] * x


def pay_curve(plan, max_attainment: float = 2.5, points: int = 251) -> pd.DataFrame:
    """Pay against attainment: ``attainment``, ``earnings`` (TI × curve, cap and floor, gates
    passed), ``earnings_gate_failed`` (every gate failed; equal to earnings without gates),
    ``payout`` (with the draw) and ``effective_rate`` = earnings / (attainment × TI)."""
    plan = load_plan(plan)
    a = np.linspace(0, max_attainment, points)
    passed = dataclasses.replace(plan, draw_amount=0.0,
                                 gates=tuple({**g, "min_attainment": -np.inf} for g in plan.gates))
    failed = dataclasses.replace(plan, draw_amount=0.0,
                                 gates=tuple({**g, "min_attainment": np.inf} for g in plan.gates))
    e = period_pay(a, passed)
    with np.errstate(divide="ignore", invalid="ignore"):
        rate = np.where(a > 0, e / (a * plan.target_incentive), np.nan)
    return pd.DataFrame({"attainment": a, "earnings": e,
                         "earnings_gate_failed": period_pay(a, failed),
                         "payout": period_pay(a, dataclasses.replace(passed,
                                                                     draw_amount=plan.draw_amount)),
                         "effective_rate": rate})


@dataclass(frozen=True)
class CostSimulation:
    """:func:`simulate`'s result: ``draws`` (one row per draw: ``cost``, ``bookings``,
    ``cost_of_sales``, ``share_at_quota``), ``summary`` (dict of P10/P50/P90 and more),
    ``reps`` (per rep ``rep_id``, ``quota``, ``expected_attainment``, ``p_at_quota``,
    ``expected_pay``), and what is needed to re-run variants on the same draws."""

    draws: pd.DataFrame
    summary: dict
    reps: pd.DataFrame
    model: dict
    plan: Plan
    seed: int
    n_draws: int
    attainment: tuple = dataclasses.field(default=(), compare=False, repr=False)


def _attainment_chunks(model: dict, n_draws: int, seed: int):
    reps = model["reps"]
    mean = reps["mean_log"].to_numpy(float) + model["shift"]
    r = len(mean)
    per = max(1, _CHUNK // max(r, 1))
    starts = list(range(0, n_draws, per))
    streams = np.random.SeedSequence(seed).spawn(len(starts))
    for s, ss in zip(starts, streams):
        rng = np.random.default_rng(ss)
        k = min(per, n_draws - s)
        common = rng.normal(0.0, model["common_sd"], size=(k, 1))
        att = rng.normal(0.0, model["own_sd"], size=(k, r))
        att += mean                       # in place: one chunk-sized array, no temporaries
        att += common
        yield np.exp(att, out=att)


def simulate(ds, plan, period, *, draws: int = 10_000, seed: int = 0, forecast=None,
             history: int = 8, quotas: pd.DataFrame | None = None) -> CostSimulation:
    """Monte Carlo of the plan's cost for ``period`` (module docstring).

    Parameters
    ----------
    forecast : object with ``value``, ``lower``, ``upper``, optional
        E.g. ``forecast.pipeline_forecast(ds, period, as_of=known_before(ds, period))``.
        The simulation is made on what was known before ``period``; once the period is over,
        ``summary`` also holds ``actual_cost`` (the pay engine's earnings of the reps with
        quota: what the payouts table totals, every measure and SPIF included, while the draws
        model the bookings measure alone), ``actual_share_at_quota``, ``actual_bookings`` (of
        the reps with quota) and ``actual_cos`` (that cost ÷ those bookings).
    quotas : DataFrame, optional
        ``rep_id``, ``quota`` to cost (default :func:`measures.quota_for_period`), e.g. the
        quotas a method proposes; reps' expected bookings stay those their history shows
        against their current quota (:func:`attainment_model`).
    """
    plan = load_plan(plan)
    P = Period.parse(period, ds.fiscal_start_month)
    current = quota_for_period(ds, P)
    q = current if quotas is None else quotas
    hist = attainment_history(ds, P, plan.period, history)
    model = attainment_model(hist, q, forecast, basis=current)
    sim = _run(model, plan, draws, seed)
    sim.summary["period"] = P.label
    if P.end <= pd.Timestamp(ds.as_of).normalize() and len(current):
        # the period is over: what the plan paid, the pay engine's earnings of every rep with
        # a quota (every measure, SPIFs and clawbacks: the payouts table's total), and the
        # share of them whose bookings reached quota
        from .pay import run

        paid = run(ds, plan, P).payouts
        paid = paid[paid["rep_id"].astype(str).isin(current["rep_id"].astype(str))]
        booked = won_bookings(ds, P.start, P.end, P.end)
        att = (current["rep_id"].astype(str).map(booked).fillna(0.0).to_numpy()
               / current["quota"].to_numpy(float))
        cost = float(paid["earnings"].sum())
        sold = float((att * current["quota"].to_numpy(float)).sum())
        sim.summary.update(actual_cost=cost, actual_share_at_quota=float((att >= 1.0).mean()),
                           actual_bookings=sold,
                           actual_cos=cost / sold if sold > 0 else float("nan"))
    return sim


_KEEP_CELLS = 5_000_000     # draws × reps kept in memory for sensitivity re-runs


def _run(model, plan, n_draws, seed, chunks=None) -> CostSimulation:
    quota = model["reps"]["quota"].to_numpy(float)
    cost, book, share = [], [], []
    pay_sum = np.zeros(len(quota))
    hit = np.zeros(len(quota))
    keep = chunks is None and n_draws * len(quota) <= _KEEP_CELLS
    kept = []
    for att in (chunks if chunks else _attainment_chunks(model, n_draws, seed)):
        if keep:
            kept.append(att)
        pay = period_pay(att, plan)
        cost.append(pay.sum(axis=1))
        book.append(att @ quota)
        share.append((att >= 1.0).mean(axis=1))
        pay_sum += pay.sum(axis=0)
        hit += (att >= 1.0).sum(axis=0)
    d = pd.DataFrame({"cost": np.concatenate(cost), "bookings": np.concatenate(book),
                      "share_at_quota": np.concatenate(share)})
    d["cost_of_sales"] = d["cost"] / d["bookings"]
    p = np.percentile(d["cost"], [10, 50, 90])
    c = np.percentile(d["cost_of_sales"], [10, 50, 90])
    reps = model["reps"][["rep_id", "quota"]].copy()
    s2 = model["own_sd"] ** 2 + model["common_sd"] ** 2
    reps["expected_attainment"] = np.exp(model["reps"]["mean_log"] + model["shift"] + s2 / 2)
    reps["p_at_quota"] = hit / n_draws
    reps["expected_pay"] = pay_sum / n_draws
    summary = {"cost_p10": p[0], "cost_p50": p[1], "cost_p90": p[2], "cost_mean": d["cost"].mean(),
               "cos_p10": c[0], "cos_p50": c[1], "cos_p90": c[2],
               "share_at_quota": float(d["share_at_quota"].mean()),
               "bookings_p50": float(np.percentile(d["bookings"], 50)),
               "target_cost": plan.target_incentive * len(quota), "reps": len(quota),
               "draws": n_draws, "seed": seed}
    return CostSimulation(d, summary, reps, model, plan, seed, n_draws,
                          tuple(kept) if keep else tuple(chunks or ()))


def _variants(plan: Plan, step: float):
    """(parameter, plain label, value as read, base value, plan at −step, plan at +step) for
    every plan parameter."""
    out = []
    rep = dataclasses.replace
    ti = f"{viz.money(plan.target_incentive)} target incentive"

    def scaled(v, k):
        return v * (1 + k * step)

    out.append(("target incentive", "Target incentive (pay at 100% of quota)",
                viz.money(plan.target_incentive), plan.target_incentive,
                *[rep(plan, target_incentive=scaled(plan.target_incentive, k)) for k in (-1, 1)]))
    if plan.cap is not None:
        out.append(("cap (x target incentive)", "Cap on pay", f"{plan.cap:g}× the {ti}",
                    plan.cap, *[rep(plan, cap=scaled(plan.cap, k)) for k in (-1, 1)]))
    if plan.floor:
        out.append(("floor (x target incentive)", "Floor on pay", f"{plan.floor:g}× the {ti}",
                    plan.floor, *[rep(plan, floor=scaled(plan.floor, k)) for k in (-1, 1)]))
    if plan.draw_amount > 0:
        out.append(("draw", "Draw against commission", viz.money(plan.draw_amount),
                    plan.draw_amount,
                    *[rep(plan, draw_amount=scaled(plan.draw_amount, k)) for k in (-1, 1)]))
    labels = plan.band_labels()
    for b, r in enumerate(plan.rates):
        if r > 0:
            vs = []
            for k in (-1, 1):
                rates = plan.rates.copy()
                rates[b] = scaled(r, k)
                vs.append(rep(plan, rates=rates))
            lo, hi = plan.edges[b], plan.uppers[b]
            span = (f"above {100 * lo:.0f}%" if np.isinf(hi)
                    else f"from {100 * lo:.0f}% to {100 * hi:.0f}%")
            out.append((f"rate of band {labels[b]}", f"Pay rate {span} of quota",
                        f"{r:g}% of target incentive per point", r, *vs))
    for b in range(1, len(plan.edges)):
        e = plan.edges[b]
        lo_b = plan.edges[b - 1]
        hi_b = plan.uppers[b]
        vs = []
        for k in (-1, 1):
            new = float(np.clip(scaled(e, k), lo_b + 1e-6, hi_b - 1e-6))
            edges, uppers = plan.edges.copy(), plan.uppers.copy()
            edges[b], uppers[b - 1] = new, new
            vs.append(rep(plan, edges=edges, uppers=uppers))
        top = "" if np.isinf(hi_b) else f" to {100 * hi_b:.0f}%"
        out.append((f"band edge at {100 * e:.0f}% attainment",
                    f"Start of the pay rate from {100 * e:.0f}%{top or ' up'}",
                    f"{100 * e:.0f}% of quota", e, *vs))
    return out


def sensitivity(sim: CostSimulation, step: float = 0.10) -> pd.DataFrame:
    """Each plan parameter moved by ∓``step`` (relative), P50 cost re-run on the same draws.

    Returns ``parameter``, ``label`` (the parameter in plain words, e.g. "Pay rate from 50% to
    100% of quota"), ``shown`` (its value as a leader reads it: "1.5% of target incentive per
    point"), ``value``, ``p50_low``, ``p50_high``, ``change_low`` and ``change_high`` (P50
    minus the base P50), sorted by the larger absolute change; ``None`` when ``sim`` is None
    (no simulation: the data has no quotas).
    """
    if sim is None:
        return None
    base = sim.summary["cost_p50"]
    rows = []
    for name, label, shown, value, low, high in _variants(sim.plan, step):
        p_lo = _run(sim.model, low, sim.n_draws, sim.seed, sim.attainment).summary["cost_p50"]
        p_hi = _run(sim.model, high, sim.n_draws, sim.seed, sim.attainment).summary["cost_p50"]
        rows.append({"parameter": name, "label": label, "shown": shown, "value": value,
                     "p50_low": p_lo, "p50_high": p_hi,
                     "change_low": p_lo - base, "change_high": p_hi - base})
    out = pd.DataFrame(rows)
    order = np.argsort(-np.maximum(out["change_low"].abs(), out["change_high"].abs()),
                       kind="stable")
    return out.iloc[order].reset_index(drop=True)


def planning_date(ds, period) -> pd.Timestamp:
    """The day a plan for ``period`` is costed on: the day before it starts (or the data's
    as-of date, if earlier). Pass it as the forecast's ``as_of``."""
    return known_before(ds, period)


def cost_backtest(ds, plan, period, *, periods_back: int = 6, draws: int = 2000,
                  seed: int = 0, level: float = 0.8) -> pd.DataFrame:
    """Is the P10–P90 band honest? Replay the simulation on past periods.

    For each complete period of the plan's kind among the ``periods_back`` before ``period``,
    the attainment model is fitted on what was known the day before it (no forecast: past
    forecasts are not replayed here) and its cost band compared with the *actual* cost: the same
    pay function on what reps then attained (bookings ÷ quota, SPIFs left out as in the
    simulation). An 80% band should hold the actual cost in about 80% of periods.

    Returns ``period``, ``low``, ``p50``, ``high`` (the ``level`` band), ``actual``, ``inside``.
    """
    plan = load_plan(plan)
    P = Period.parse(period, ds.fiscal_start_month)
    if P.kind != plan.period:
        P = _containing(P, plan.period, ds.fiscal_start_month)
    tail = (1 - level) / 2 * 100
    rows, cur = [], P
    for _ in range(periods_back):
        cur = cur.previous()
        if cur.end > pd.Timestamp(ds.as_of):
            continue
        q = quota_for_period(ds, cur)
        hist = attainment_history(ds, cur, plan.period)
        if q.empty or hist.empty:
            continue
        sim = _run(attainment_model(hist, q), plan, draws, seed)
        booked = won_bookings(ds, cur.start, cur.end, cur.end)
        att = q["rep_id"].astype(str).map(booked).fillna(0.0).to_numpy() / q["quota"].to_numpy()
        actual = float(period_pay(att, plan).sum())
        lo, mid, hi = np.percentile(sim.draws["cost"], [tail, 50, 100 - tail])
        rows.append({"period": cur.label, "low": lo, "p50": mid, "high": hi, "actual": actual,
                     "inside": bool(lo <= actual <= hi)})
    out = pd.DataFrame(rows[::-1], columns=["period", "low", "p50", "high", "actual", "inside"])
    out.attrs["no_quotas"] = len(ds.quotas) == 0     # nothing to replay, whatever the history
    return out
