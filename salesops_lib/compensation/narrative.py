"""Words and tables for the quotas and compensation report: key numbers and one-line readings."""

from __future__ import annotations

import pandas as pd

from .. import viz
from .quotas import METHOD_LABELS

#: One sentence per section that needs quotas the data does not have.
NO_QUOTAS = {
    "pay": "Attainment-based pay needs a quotas table (rep_id, period, quota); this data has "
           "none.",
    "cost": "Plan cost needs a quotas table (rep_id, period, quota) to read past attainment "
            "from; this data has none.",
    "sensitivity": "The sensitivity of plan cost needs the cost simulation, and so a quotas "
                   "table; this data has none.",
    "cost_backtest": "Checking the cost band against past periods needs a quotas table "
                     "(rep_id, period, quota) to read what reps attained then; this data has "
                     "none.",
    "fairness": "Fairness needs a quotas table (rep_id, period, quota) to measure attainment; "
                "this data has none.",
}


def _label(method: str) -> str:
    return METHOD_LABELS.get(method, method.replace("_", " "))


def key_numbers(quotas: pd.DataFrame, capacity: pd.DataFrame, forecast, sim) -> list:
    """Headline cards: quota total against the forecast and capacity, share of reps expected
    at quota, and plan cost P50 with P10–P90 (and cost of sales). Once the period is over
    (``sim.summary`` holds ``actual_cost``), the last three cards lead with what happened (reps
    at quota, plan cost, cost of sales) and give the simulation made before it beneath."""
    total = float(quotas["quota"].sum())
    cap = float(capacity["capacity"].sum())
    fc = float(forecast.value) if forecast is not None else 0.0
    # the quota is set before the period: it is set against the pipeline forecast made then
    # (the forecast page's number is later, and blended), and the card says which one it is
    made = getattr(forecast, "as_of", None)
    vs = (f"{viz.pct(total / fc)} of the pipeline forecast "
          + (f"made {pd.Timestamp(made):%d %b %Y} " if made is not None else "")
          + f"({viz.money(fc)})") if fc > 0 else "no forecast"
    # capacity is last year's productivity (no growth assumed): the card says so, or a year
    # that grew read "quota 116% of what reps can sell" beside bookings above capacity
    capacity = ("Capacity", viz.money(cap), f"quota is {viz.pct(total / cap)} of what these "
                "reps sell at last year's productivity" if cap > 0 else "no productivity history")
    cards = [("Quota total", viz.money(total) if total > 0 else "–",
              vs if total > 0 else "no company number to split"), capacity]
    if sim is None:          # no quotas in the data: no attainment to simulate from
        return cards + [("Plan cost", "–", "needs a quotas table")]
    s = sim.summary
    # a month on a quarterly plan: the cost cards are of the quarter the plan pays
    pays = (f" · {s['period']}" if s.get("period")
            and str(getattr(forecast, "period", s["period"])) != s["period"] else "")
    head = [("Quota total", viz.money(total), vs), capacity]
    band = f"P10–P90 {viz.money(s['cost_p10'])}–{viz.money(s['cost_p90'])}"
    cos_band = f"P10–P90 {viz.pct(s['cos_p10'], 1)}–{viz.pct(s['cos_p90'], 1)}"
    if "actual_cost" in s:   # the period is over: what it cost, then what was expected
        cos = s.get("actual_cos", float("nan"))
        return head + [
            ("Reps at quota" + pays, viz.pct(s["actual_share_at_quota"]),
             f"{viz.pct(s['share_at_quota'])} expected before the period"),
            ("Plan cost" + pays, viz.money(s["actual_cost"]),
             f"P50 {viz.money(s['cost_p50'])} expected before the period; {band}"),
            ("Cost of sales" + pays, viz.pct(cos, 1) if pd.notna(cos) else "–",
             f"P50 {viz.pct(s['cos_p50'], 1)} expected; {cos_band}"),
        ]
    return head + [
        ("Reps expected at quota" + pays, viz.pct(s["share_at_quota"]),
         f"mean share over {s['draws']:,} simulated outcomes"),
        ("Plan cost P50" + pays, viz.money(s["cost_p50"]), band),
        ("Cost of sales P50" + pays, viz.pct(s["cos_p50"], 1), cos_band),
    ]


def quota_table(table: pd.DataFrame, by: str = "team"):
    """Quota per team (rows) and method (columns); nothing when there is no company number or
    no team to split it by (the reading says so)."""
    if table.empty or table.attrs.get("no_group"):
        return None
    methods = [m for m in table.columns if m != by]
    held = table.attrs.get("in_force", {})
    if len(held):       # the quota in force beside the methods' proposals
        table = table.assign(in_force=table[by].map(held).to_numpy())
        methods = ["in_force", *methods]
        table = table[[by, *methods]]
    # the totals row shows every method splits the same company number
    shown = viz.with_total(table, by, f"All {by}s" if by != "team" else "All teams",
                           sums=methods)
    shown = shown.rename(columns={m: _label(m) for m in methods} | {"in_force": "In force"})
    return viz.table(shown, {c: "money" for c in shown.columns if c != by}, total=True,
                     caption="The quota in force (the data's quotas for the period) beside "
                     "each method's split of the company number." if len(held) else None)


def reading_methods(table: pd.DataFrame, chosen: str, by: str = "team") -> str:
    """Which team's quota moves most between the chosen method and the current split."""
    if table.empty:
        return ("Quota setting needs a quotas table or won deals before the period to set a "
                "company number from; this data has neither.")
    methods = [c for c in table.columns if c != by]
    if table.attrs.get("no_group"):
        return (f"The company number is {viz.money(table[chosen].sum())}; splitting it by {by} "
                f"needs each rep's {by} (reps.{by}), which the data do not have.")
    spread = table[methods].max(axis=1) - table[methods].min(axis=1)
    i = int(spread.idxmax())
    text = (f"The chosen method is {_label(chosen).lower()}. The methods disagree most on "
            f"{table.loc[i, by]}: {viz.money(table.loc[i, methods].min())} to "
            f"{viz.money(table.loc[i, methods].max())}.")
    even = table.attrs.get("fell_back_to_even", [])
    if even:
        names = " and ".join(_label(m).lower() for m in even)
        text += (f" This data has nothing to weight {names} by (no bookings a year earlier or "
                 "no account owners), so they split as even does.")
    return text


def reading_fairness(fair: pd.DataFrame) -> str:
    """One sentence on the two fairness correlations and the spread."""
    if fair.attrs.get("reps", 1) == 0:
        return NO_QUOTAS["fairness"]
    f = fair.set_index("metric")
    pot = f.loc["attainment vs potential per quota"]
    ten = f.loc["attainment vs tenure"]
    within = f.loc["share within ±20% of quota", "value"]

    def say(r, what):
        if pd.isna(r["low"]):
            return f"too few reps to relate attainment to {what}"
        if r["low"] > 0 or r["high"] < 0:
            return (f"attainment rises with {what}" if r["value"] > 0
                    else f"attainment falls with {what}") + f" (ρ {r['value']:.2f})"
        return f"no clear relation with {what} (ρ {r['value']:.2f}, interval {r['low']:.2f} to {r['high']:.2f})"

    return (f"{say(pot, 'territory potential per quota dollar').capitalize()}; "
            f"{say(ten, 'tenure')}. {viz.pct(within)} of reps are within ±20% of quota.")


def fairness_table(fair: pd.DataFrame):
    """The fairness measures with their intervals (nothing when no rep has a quota)."""
    if fair.attrs.get("reps", 1) == 0:
        return None
    # shares and attainment read as percentages, as on every other page; correlations,
    # Gini and skewness are plain numbers
    as_pct = fair["metric"].str.startswith(("share", "mean attainment", "median attainment",
                                            "sd of attainment"))
    cells = {c: [("–" if pd.isna(v) else viz.pct(v) if p else f"{v:.2f}")
                 for v, p in zip(fair[c], as_pct)] for c in ("value", "low", "high")}
    shown = fair.assign(metric=fair["metric"].str.capitalize(),
                        reading=fair["reading"].str.capitalize(), **cells)
    return viz.table(shown)


def reading_backtest(bt: pd.DataFrame) -> str:
    """Which method's quotas for last year came closest to what reps sold (or, when the data
    cannot backtest, what it would need)."""
    if bt.empty:
        return bt.attrs.get("reason", "There is no complete past year to backtest the quota "
                                      "methods on.")
    best = bt.sort_values("wape").iloc[0]
    worst = bt.sort_values("wape").iloc[-1]
    return (f"Set for {best['year']} from what was known before it, {_label(best['method']).lower()} "
            f"quotas came closest to what reps sold (error {viz.pct(best['wape'])} of bookings); "
            f"{_label(worst['method']).lower()} was furthest ({viz.pct(worst['wape'])}).")


def backtest_table(bt: pd.DataFrame):
    """Backtest of the quota methods (nothing when there is none)."""
    if bt.empty:
        return None
    shown = bt.assign(method=bt["method"].map(_label)).rename(
        columns={"share_within_20pct": "Within ±20% of quota", "gini": "Gini of attainment",
                 "wape": "WAPE", "rank_correlation": "Rank correlation with bookings"})
    return viz.table(shown, {"WAPE": "pct", "Within ±20% of quota": "pct",
                             "Gini of attainment": lambda v: f"{v:.2f}",
                             "Rank correlation with bookings": lambda v: f"{v:.2f}"})


def reading_cost(sim) -> str:
    """One sentence on the cost distribution (``sim`` None: what plan cost needs)."""
    if sim is None:
        return NO_QUOTAS["cost"]
    s = sim.summary
    return (f"Over {s['draws']:,} simulated outcomes for {s['reps']} reps, the plan costs "
            f"{viz.money(s['cost_p50'])} at the median (P10 {viz.money(s['cost_p10'])}, P90 "
            f"{viz.money(s['cost_p90'])}) against {viz.money(s['target_cost'])} paid at 100% "
            f"for everyone; cost of sales {viz.pct(s['cos_p50'], 1)}.")


def sensitivity_table(sens: pd.DataFrame):
    """Each parameter's effect on P50 cost when it is 10% lower or higher, in plain words
    (the parameter, its value today, the P50 cost and its change either way); without a
    simulation (no quotas), the sentence saying what it needs."""
    if sens is None:
        return viz.callout(NO_QUOTAS["sensitivity"])
    out = sens[["label", "shown", "p50_low", "change_low", "p50_high", "change_high"]].rename(
        columns={"label": "Plan parameter", "shown": "Today",
                 "p50_low": "P50 cost, 10% lower", "change_low": "Change if lower",
                 "p50_high": "P50 cost, 10% higher", "change_high": "Change if higher"})
    signed = lambda v: ("+" if v > 0 else "") + viz.money(v)
    return viz.table(out, {"P50 cost, 10% lower": "money", "P50 cost, 10% higher": "money",
                           "Change if lower": signed, "Change if higher": signed},
                     caption="Each plan parameter 10% lower and 10% higher, the others as "
                     "they are, on the same simulated outcomes; the largest effect first.")


def payouts_table(pay: pd.DataFrame, n: int = 10):
    """The ``n`` largest payouts of the period, with their parts (no rep paid: the sentence
    saying pay needs quotas)."""
    if pay.empty:
        return viz.callout(NO_QUOTAS["pay"])
    # every measure's attainment, so the pay can be read from the row (a rep at 25% of the
    # bookings quota paid $10.0k through the new-logos measure, which the table did not show)
    att = ["attainment", *[c for c in pay.columns if c.startswith("attainment_")]]
    money = ["commission", "cap_adjustment", "spif", "clawback", "earnings", "draw",
             "draw_recovery", "payout"]
    cols = ["rep_name", "team", *att, *money]
    top = pay.sort_values("payout", ascending=False).head(n)[cols]
    # the totals row is every rep's pay, not only the rows shown
    everyone = viz.with_total(pay[cols], "rep_name", f"All {len(pay):,} reps", sums=money)
    top = pd.concat([top, everyone.tail(1)], ignore_index=True)
    top = top.rename(columns={"attainment": "Attainment (bookings)"} | {
        c: f"Attainment ({c.removeprefix('attainment_').replace('_', ' ')})" for c in att[1:]})
    return viz.table(top, {c: "money" for c in money}
                     | {c: "pct" for c in top.columns if c.startswith("Attainment")},
                     caption=f"Top {min(n, len(pay))} payouts of the period, and the total "
                             "over every rep", total=True)


def reading_cost_backtest(bt: pd.DataFrame) -> str:
    """How often the simulated 80% band held the actual cost of past periods."""
    if bt.attrs.get("no_quotas"):
        return NO_QUOTAS["cost_backtest"]
    if bt.empty:
        return "There is no complete past period to check the cost band against."
    k, n = int(bt["inside"].sum()), len(bt)
    return (f"Replayed on the {n} past periods before this one, the 80% cost band held the "
            f"cost of what reps actually attained {k} times out of {n} "
            f"(about {0.8 * n:.0f} expected).")
