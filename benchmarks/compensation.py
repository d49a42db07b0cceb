"""Benchmark: the vectorised pay engine against a plain pandas per-rep loop, and plan-cost Monte Carlo.

    .venv/bin/python benchmarks/compensation.py                       # 5,000 reps, 1M deals
    .venv/bin/python benchmarks/compensation.py --reps 500 --deals 100000 --draws 1000

A synthetic org is generated (seeded): ``--reps`` reps with a quarterly quota, ``--deals`` won
deals closed in 2026-Q1 (about a third of them Analytics) on ``deals / 20`` accounts, so one
deal in twenty is an account's first won deal (new-logo target: that count per rep). The plan is the shipped sample plan (bookings 80% + new logos 20% paid up to 150%, marginal tiers
with a decelerator and an accelerator, a new-logo gate on the accelerator, a 2x cap, a
recoverable draw and a SPIF on Analytics), paying from 2026-Q1.

In the same process, on the same frames:

* **engine**: ``compensation.evaluate(credits, quotas, plan)`` — per-rep earnings and every
  traced deal line (deal → credit → rule → tier); then the same without lines;
* **end to end**: ``compensation.payouts(ds, plan, "2026-Q1")`` on a ``Dataset`` holding the
  deals (state as of the period's end, crediting, engine, draw);
* **baseline**: a plain pandas loop over reps (``groupby`` then, per rep, sums, tier bands,
  gate, cap, floor, SPIF and draw), the way a spreadsheet-minded script computes pay.

The per-rep payouts of the engine and the baseline are asserted equal (to 1e-6 $) before any
timing is printed. Then ``--draws`` Monte Carlo draws of every rep's attainment are costed
(``cost._run``, chunked, seeded, drawing included) and timed next to costing them one rep at a
time (the pay function over each rep's draws, then summed), asserted equal. Not run by pytest.
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import pandas as pd

from salesops_lib import compensation as comp
from salesops_lib.compensation import cost as comp_cost
from salesops_lib.data import Dataset

PERIOD = "2026-Q1"


def synthetic(reps: int, deals: int, seed: int = 0):
    rng = np.random.default_rng(seed)
    rep_ids = np.array([f"R{i:05d}" for i in range(reps)])
    r = rng.integers(0, reps, deals)
    amount = np.round(rng.lognormal(10.0, 1.0, deals), -2) + 100
    days = rng.integers(0, 90, deals)
    close = pd.Timestamp("2026-01-01") + pd.to_timedelta(days, unit="D")
    accounts = max(deals // 20, 1)
    acc = rng.integers(0, accounts, deals)
    product = np.where(rng.random(deals) < 0.33, "Analytics Add-on", "Core Platform")
    per_rep = np.bincount(r, weights=amount, minlength=reps)
    quota = np.round(np.maximum(per_rep, 1.0) * rng.uniform(0.6, 1.6, reps), -2) + 1000
    oid = np.array([f"O{i:07d}" for i in range(deals)])
    first = pd.DataFrame({"a": acc, "c": close, "o": oid}).sort_values(["a", "c", "o"])
    new_logo = np.zeros(deals, bool)       # an account's first won deal, as the loader reads it
    new_logo[first.drop_duplicates("a").index.to_numpy()] = True
    credits = pd.DataFrame({"opportunity_id": oid, "account_id": [f"A{i:07d}" for i in acc],
                            "rep_id": pd.array(rep_ids[r], dtype="string"), "role": "primary",
                            "share": 1.0, "amount": amount, "credit": amount,
                            "close_date": close, "product": product, "new_logo": new_logo})
    quotas = pd.DataFrame({"rep_id": pd.array(rep_ids, dtype="string"), "period": PERIOD,
                           "quota": quota})
    return credits, quotas


def baseline(credits: pd.DataFrame, quotas: pd.DataFrame, plan) -> pd.Series:
    """Per-rep payout the plain way: a Python loop over reps, pandas inside."""
    ti = plan.target_incentive
    q = quotas.set_index("rep_id")["quota"]
    bands = list(zip(plan.edges, plan.uppers, plan.rates))
    gate = plan.gates[0]
    spif = plan.spifs[0]
    out = {}
    for rep, g in credits.groupby("rep_id", observed=True):
        quota = q[rep]
        booked = g["credit"].sum()
        logos = g.loc[g["new_logo"] & (g["amount"] > 0), "share"].sum()
        att = {"bookings": booked / quota, "new_logos": logos / plan.measures[1].target}
        gate_failed = att[gate["measure"]] < gate["min_attainment"]
        commission = 0.0
        for m in plan.measures:
            a = min(att[m.name], m.max_attainment)
            for lo, hi, rate in bands:
                if m.name == gate["applies_to"] and gate_failed and lo >= gate["above"]:
                    rate = min(rate, gate["rate"])
                commission += ti * m.weight * rate * max(0.0, min(a, hi) - lo)
        earned = min(commission, plan.cap * ti)
        earned = max(earned, (plan.floor or 0.0) * ti)
        ok = ((g["close_date"] >= spif["start"]) & (g["close_date"] <= spif["end"])
              & (g["amount"] >= spif["min_amount"]) & (g["product"] == spif["product"]))
        earned += (spif["per_deal"] * g.loc[ok, "share"] + spif["rate"] * g.loc[ok, "credit"]).sum()
        draw = max(plan.draw_amount - earned, 0.0)
        out[rep] = earned + draw          # first period: no balance to recover yet
    for rep in q.index.difference(list(out)):
        out[rep] = plan.draw_amount
    return pd.Series(out).sort_index()


def dataset(credits: pd.DataFrame, quotas: pd.DataFrame) -> Dataset:
    opp = credits[["opportunity_id", "account_id", "rep_id", "amount", "close_date", "product"]]
    opp = opp.assign(stage="Closed Won", status="won",
                     created_date=opp["close_date"] - pd.Timedelta(days=30))
    accounts = pd.DataFrame({"account_id": np.sort(opp["account_id"].unique())})
    accounts["account_name"] = accounts["account_id"]
    reps = pd.DataFrame({"rep_id": quotas["rep_id"], "rep_name": quotas["rep_id"],
                         "team": "Field", "role": "field",
                         "hire_date": pd.Timestamp("2020-01-01")})
    return Dataset.from_frames(accounts=accounts, reps=reps, opportunities=opp, quotas=quotas,
                               as_of="2026-03-31")


def best(fn, repeat):
    times, out = [], None
    for _ in range(repeat):
        t = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t)
    return min(times), out


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--reps", type=int, default=5000)
    ap.add_argument("--deals", type=int, default=1_000_000)
    ap.add_argument("--draws", type=int, default=10_000)
    ap.add_argument("--repeat", type=int, default=2)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()

    base = comp.load_plan("").source
    logos = round(max(args.deals // 20, 1) / args.reps, 1)      # new logos a rep can expect
    measures = [base["measures"][0], {**base["measures"][1], "target": logos}]
    plan = comp.load_plan({**base, "start": PERIOD, "measures": measures, "spifs": [
        {**base["spifs"][0], "start": "2026-02-01", "end": "2026-02-28"}]})
    credits, quotas = synthetic(args.reps, args.deals, args.seed)
    print(f"{args.reps:,} reps, {len(credits):,} credited deals, plan {plan.name!r}")

    t_lines, (summary, lines) = best(lambda: comp.evaluate(credits, quotas, plan), args.repeat)
    t_sum, _ = best(lambda: comp.evaluate(credits, quotas, plan, lines=False), args.repeat)
    t_base, ref = best(lambda: baseline(credits, quotas, plan), 1)
    earned = summary.set_index("rep_id")["earned"]
    ours = np.maximum(earned, plan.draw_amount).sort_index()       # first period: the draw tops up
    assert np.allclose(ours.to_numpy(), ref.reindex(ours.index.astype(str)).to_numpy(),
                       rtol=0, atol=1e-6), "engine and baseline disagree"
    line_sum = lines.groupby("rep_id")["amount"].sum().reindex(earned.index).fillna(0.0)
    assert np.allclose(line_sum.to_numpy(), earned.to_numpy(), atol=1e-6)

    t0 = time.perf_counter()
    ds = dataset(credits, quotas)
    t_load = time.perf_counter() - t0
    t_e2e, pay = best(lambda: comp.payouts(ds, plan, PERIOD), 1)
    assert np.allclose(pay.set_index("rep_id")["payout"].sort_index().to_numpy(),
                       ref.to_numpy(), atol=1e-6), "payouts() and baseline disagree"

    print(f"{'':34s}{'seconds':>10s}{'vs baseline':>14s}")
    print(f"{'baseline: pandas loop over reps':34s}{t_base:10.2f}{'1.0x':>14s}")
    print(f"{'engine, with traced lines':34s}{t_lines:10.2f}{t_base / t_lines:13.1f}x"
          f"   ({len(lines):,} lines)")
    print(f"{'engine, payouts only':34s}{t_sum:10.2f}{t_base / t_sum:13.1f}x")
    print(f"{'payouts(ds, plan, period)':34s}{t_e2e:10.2f}{t_base / t_e2e:13.1f}x"
          f"   (end to end; loading the Dataset took {t_load:.1f} s)")
    print("results equal: engine, payouts() and the baseline agree for every rep (1e-6 $)")

    # ---- Monte Carlo plan cost ------------------------------------------------------------
    rng = np.random.default_rng(args.seed)
    model = {"reps": pd.DataFrame({"rep_id": quotas["rep_id"].astype(str),
                                   "quota": quotas["quota"].to_numpy(float),
                                   "n": 8, "mean_log": rng.normal(-0.1, 0.3, args.reps)}),
             "shift": 0.0, "common_sd": 0.08, "own_sd": 0.35}
    t_mc, sim = best(lambda: comp_cost._run(model, plan, args.draws, args.seed), 1)
    att = np.concatenate(list(comp_cost._attainment_chunks(model, args.draws, args.seed)))
    t0 = time.perf_counter()        # one rep at a time, each over all its draws
    total = np.zeros(args.draws)
    for r in range(args.reps):
        total += comp.period_pay(att[:, r], plan)
    t_loop = time.perf_counter() - t0
    assert np.allclose(total, sim.draws["cost"].to_numpy()), "MC costs disagree"
    del att
    s = sim.summary
    print(f"\nMonte Carlo: {args.draws:,} draws x {args.reps:,} reps "
          f"({args.draws * args.reps / 1e6:,.0f}M rep-outcomes), seed {args.seed}")
    print(f"{'loop over reps (rep at a time)':34s}{t_loop:10.2f}{'1.0x':>14s}")
    print(f"{'simulate: all reps, chunked':34s}{t_mc:10.2f}{t_loop / t_mc:13.1f}x"
          "   (includes drawing the attainments)")
    print(f"cost P10 / P50 / P90: {s['cost_p10']:,.0f} / {s['cost_p50']:,.0f} / "
          f"{s['cost_p90']:,.0f}; cost of sales P50 {100 * s['cos_p50']:.2f}%")


if __name__ == "__main__":
    main()
