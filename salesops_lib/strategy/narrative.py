"""The sales-strategy report's words and tables: headline numbers, one reading per section,
and display tables. A section whose data are missing gets one sentence saying what it needs.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .. import measures, viz
from .economics import ALL_LABELS, ALL_MOTIONS


def _m(motion) -> str:
    return str(motion)


def _motion_cell(motion) -> str:
    """A motion as a table shows it: "Field", "Inside", "All reps", "All motions"."""
    m = str(motion)
    return m[:1].upper() + m[1:]


def _missing(df) -> str | None:
    if df is None:
        return "This section has no result for these data."
    return df.attrs.get("missing") if hasattr(df, "attrs") else None


def _money(x) -> str:
    return viz.money(x) if pd.notna(x) else "–"


def _pct(x) -> str:
    return viz.pct(x) if pd.notna(x) else "–"


def _signed_money(x) -> str:
    """A change in dollars with its sign: "+$14.6k", "-$546.7k" (as the what-if table)."""
    return "–" if pd.isna(x) else ("+" if x > 0 else "") + viz.money(x)


def _pp(x) -> str:
    return "–" if pd.isna(x) else f"{100 * x:+.1f} points"


def shift_phrase(plan: pd.DataFrame) -> str:
    """``"Move 366 SMB accounts from field to inside"``."""
    a = plan.attrs
    return (f"Move {a.get('accounts_moved', 0):,} {a.get('group', 'accounts')} from "
            f"{a.get('from_motion', 'field')} to {a.get('to_motion', 'inside')}")


def kpi_cards(econ: pd.DataFrame, plan: pd.DataFrame) -> list[tuple[str, str, str]]:
    """Headline cards: cost of sale and bookings per FTE for each motion, then the coverage
    shift's expected effect on contribution per year."""
    cards = []
    for _, r in econ.iterrows():
        cards.append((f"Cost of sale, {_m(r['motion'])}", _pct(r["cost_of_sale"]),
                      f"{_money(r['cost'])} on {_money(r['bookings'])} booked"))
    for _, r in econ.iterrows():
        cards.append((f"Bookings per FTE, {_m(r['motion'])}", _money(r["bookings_per_fte"]),
                      f"{r['fte']:.1f} FTE-years"))
    if not _missing(plan) and len(plan):
        t = plan[plan["motion"] == "total"].iloc[0]
        gain = t["contribution_after"] - t["contribution_before"]
        cards.append(("Coverage shift, per year", f"{'+' if gain >= 0 else '−'}{_money(abs(gain))}",
                      f"{shift_phrase(plan)}: contribution change"))
    return cards


def headline(rec: pd.DataFrame, plan: pd.DataFrame) -> str:
    """The recommended coverage shift and its expected effect, in one or two sentences."""
    if _missing(rec):
        return _missing(rec)
    by = rec.columns[0]
    win = rec.attrs.get("window")
    parts = ([f"Over {win}."] if win else []) + ["Best motion per rep-hour: " + "; ".join(
        f"{r[by]} {r['recommended']} ({'clear' if r['clear'] else 'not clear'})"
        for _, r in rec.iterrows()) + "."]
    if not _missing(plan) and len(plan):
        t = plan[plan["motion"] == "total"].iloc[0]
        a = plan.attrs
        parts.append(f"{shift_phrase(plan)}, a year against today: bookings "
                     f"{_signed_money(t['bookings_change'])} (95% interval "
                     f"{_signed_money(a['bookings_change_low'])} to "
                     f"{_signed_money(a['bookings_change_high'])}), sales cost "
                     f"{_signed_money(t['cost_change'])}, contribution "
                     f"{_signed_money(t['contribution_after'] - t['contribution_before'])}.")
    return " ".join(parts)


def reading_economics(econ: pd.DataFrame) -> str:
    """Over which window, which motion books more per FTE and at what cost of sale (the
    window is named here too: without roles the headline only asks for them)."""
    if len(econ) == 0:
        return "No deals closed in the window."
    body = _economics_body(econ)
    win = econ.attrs.get("window")
    return f"Over {win}, {body[:1].lower()}{body[1:]}" if win else body


def _economics_body(econ: pd.DataFrame) -> str:
    if len(econ) == 1:
        r = econ.iloc[0]
        return (f"All reps together booked {_money(r['bookings'])} at a cost of sale of "
                f"{_pct(r['cost_of_sale'])}; splitting by motion needs each rep's role.")
    best = econ.sort_values("bookings_per_fte", ascending=False).iloc[0]
    cheap = econ.sort_values("cost_of_sale").iloc[0]
    if best["motion"] == cheap["motion"]:
        return (f"{_m(best['motion']).capitalize()} reps book the most per FTE "
                f"({_money(best['bookings_per_fte'])} a year) at the lowest cost of sale "
                f"({_pct(best['cost_of_sale'])}).")
    return (f"{_m(best['motion']).capitalize()} reps book the most per FTE "
            f"({_money(best['bookings_per_fte'])} a year); the lowest cost of sale is "
            f"{_m(cheap['motion'])}'s, {_pct(cheap['cost_of_sale'])}.")


def reading_segments(rec: pd.DataFrame) -> str:
    """Per segment: the recommended motion and whether the difference is clear."""
    if _missing(rec):
        return _missing(rec)
    by = rec.columns[0]
    bits = [f"{r[by]}: {r['recommended']} ({'clear' if r['clear'] else 'not clear'}, "
            f"{_money(r['difference'])} more per rep-hour)" if pd.notna(r["difference"])
            # one motion has no deals in the segment: nothing to compare it with
            else f"{r[by]}: {r['recommended']} (the only motion with deals here, no comparison)"
            for _, r in rec.iterrows()]
    return ("Motion with the higher contribution per rep-hour, by segment — " + "; ".join(bits)
            + f". Clear means the difference holds at {rec.attrs.get('level', 0.95):.1%} "
              "confidence per segment (adjusted for comparing every segment at once).")


def reading_comparison(cmp: pd.DataFrame) -> str:
    """Raw gap, the matched-deals gap and the weighted gap, each as its row of the table
    (:func:`comparison_rows`) names it, and how much of the raw gap the mix explains (raw
    against weighted, the comparison's ``mix_explained``)."""
    if _missing(cmp):
        return _missing(cmp)
    a = cmp.attrs
    est = cmp.set_index("estimate")
    raw, adj = est.loc["raw"], est.loc["weighted"]
    t, c = a["treated"], a["control"]
    mix = a["mix_explained"]
    if abs(mix) < 0.005:
        mix_txt = "deal mix explains almost none of the raw gap"
    elif np.sign(mix) == np.sign(raw["gap"]) and abs(mix) <= abs(raw["gap"]):
        mix_txt = f"deal mix explains {_pct(a['mix_share'])} of the raw gap"
    elif np.sign(adj["gap"]) == np.sign(raw["gap"]):
        mix_txt = (f"deal mix works the other way: weighted to the same mix, the gap is "
                   f"{abs(100 * (adj['gap'] - raw['gap'])):.1f} points wider than it looks raw")
    else:
        mix_txt = "deal mix more than explains the raw gap: weighted to the same mix, it turns round"
    parts = [(f"Raw, {t}'s win rate is {_vs(raw['gap'], c)} (95% interval {_pp(raw['low'])} "
              f"to {_pp(raw['high'])})")]
    if "stratified" in est.index and pd.notna(est.loc["stratified", "gap"]):
        m = est.loc["stratified"]
        parts.append(f"on matched deals (same segment, account size, industry and product) it is "
                     f"{_vs(m['gap'], c)} ({_pp(m['low'])} to {_pp(m['high'])})")
    elif "stratified" in est.index:
        parts.append("no deals of the two motions match on segment, account size, industry and "
                     "product")
    parts.append(f"on all deals weighted to the same mix for {t} and {c} it is "
                 f"{_vs(adj['gap'], c)} ({_pp(adj['low'])} to {_pp(adj['high'])}), so, by the "
                 f"weighted estimate, {mix_txt}")
    return "; ".join(parts) + "."


def _vs(gap, other) -> str:
    if pd.isna(gap):
        return "unknown"
    side = "above" if gap >= 0 else "below"
    return f"{abs(100 * gap):.1f} points {side} {other}'s"


def reading_activities(per: pd.DataFrame) -> str:
    """Activities per won against per lost deal, by motion."""
    if _missing(per):
        return _missing(per)
    bits = []
    for m, g in per.groupby("motion"):
        g = g.set_index("outcome")
        if {"won", "lost"} <= set(g.index):
            bits.append(f"{m} reps log {g.loc['won', 'activities_per_deal']:.1f} activities on a "
                        f"won deal against {g.loc['lost', 'activities_per_deal']:.1f} on a lost one")
    return ("Before the close, " + "; ".join(bits) + ".") if bits else "Too few closed deals with activities."


def reading_time(tpd: pd.DataFrame) -> str:
    """Selling hours per deal by motion."""
    if _missing(tpd):
        return _missing(tpd)
    return "Logged selling time: " + "; ".join(
        f"{r['motion']} {r['hours_per_deal']:.1f} hours per closed deal, "
        f"{r['hours_per_won_deal']:.1f} per won deal" for _, r in tpd.iterrows()) + "."


def reading_response(curve: pd.DataFrame) -> str:
    """Where extra activity stops paying back, per motion."""
    if _missing(curve):
        return _missing(curve)
    fits = curve.attrs.get("fits", {})
    bits = [f"{m}: bookings per deal level off towards {_money(f['a'])}, half of it by "
            f"{f['k']:.0f} activities, each activity beyond about {max(f['peak'], 1):.0f} adding less"
            for m, f in fits.items()]
    return "Diminishing returns — " + "; ".join(bits) + "."


def reading_what_if(plan: pd.DataFrame) -> str:
    """Reps needed per motion after the move, and the reconciled totals."""
    if _missing(plan):
        return _missing(plan)
    p = plan.set_index("motion")
    a = plan.attrs
    f, i = a["from_motion"], a["to_motion"]
    return (f"{shift_phrase(plan)}: {f} needs {p.loc[f, 'fte_after']:.1f} FTE "
            f"({p.loc[f, 'fte_change']:+.1f}), {i} {p.loc[i, 'fte_after']:.1f} FTE "
            f"({p.loc[i, 'fte_change']:+.1f}); total bookings {_money(p.loc['total', 'bookings_after'])} "
            f"a year ({_signed_money(p.loc['total', 'bookings_change'])} against today), sales cost "
            f"{_money(p.loc['total', 'cost_after'])} "
            f"({_signed_money(p.loc['total', 'cost_change'])} against today).")


def reading_territory(tc, plan: pd.DataFrame | None = None) -> str:
    """What the re-alignment of the remaining field accounts changes; without one, why (the
    what-if ``plan`` it follows from, when given, has no result: its section says why)."""
    if tc is None:
        if plan is not None and _missing(plan) and "role" not in _missing(plan):
            return "The territory change needs the what-if above, which has no result for these data."
        return "The territory change needs the what-if above (reps of both motions)."
    s = tc.summary
    if s["accounts_after"] == 0:
        return (f"All {viz.count(s['accounts_to_other_motion'], 'field account')} move: no "
                "field territory is left to re-align.")
    return (f"The field keeps {viz.count(s['accounts_after'], 'account')} on "
            f"{viz.count(s['reps_after'], 'rep')} "
            f"(from {int(s['reps_before'])}); {int(s['accounts_reassigned']):,} of them change rep. "
            f"Largest territory {s['balance_max_over_mean_after']:.2f}× its target (scaled to the "
            f"rep's capacity; today {s['balance_max_over_mean_before']:.2f}×). Travel, the "
            f"potential-weighted distance from each account to its rep's home: "
            f"{s['travel_km_after']:,.0f} km (today {s['travel_km_before']:,.0f} km, measured the "
            "same way over today's field accounts, as on the territory design page).")


# --------------------------------------------------------------------------------------------
# tables
# --------------------------------------------------------------------------------------------
def _or_missing(df, build, said: bool = False):
    """``build(df)``, or why there is nothing to show; ``said``: the section's reading, shown
    just before, has already said why, so an empty table shows nothing (one sentence a gap)."""
    why = _missing(df)
    if why or len(df) == 0:
        return None if said else viz.callout(why or "No rows for these data.", kind="warn")
    return build(df)


#: Fewest FTE-years behind a row for its per-FTE rates to be shown: bookings or contribution
#: over less rep time than that (a quarter of one rep's year) are scaled up from a handful of
#: deals, and a band of two deals on 0.02 FTE-years read as $11.5M booked per FTE.
MIN_FTE_YEARS = 0.25


def fte_caption(min_fte: float = MIN_FTE_YEARS) -> str:
    """The economics table's caption when it hides per-FTE rates."""
    return (f"– per FTE: less than {min_fte:g} FTE-years of rep time in that row, too little "
            "for a rate per full-time rep to mean anything (its deals, bookings and cost are "
            "shown).")


def economics_table(econ: pd.DataFrame, min_fte: float = MIN_FTE_YEARS):
    """Economics per motion (× group) for display; the win rate's 95% interval in one column
    ("38%–41%", as on the executive summary), so the table fits the page. Rows with fewer
    than ``min_fte`` FTE-years show "–" for bookings and contribution per FTE, and the
    caption says why (:func:`fte_caption`)."""
    def build(e):
        thin = e["fte"].astype(float).fillna(0.0) < min_fte
        e = e.assign(bookings_per_fte=e["bookings_per_fte"].where(~thin),
                     contribution_per_fte=e["contribution_per_fte"].where(~thin))
        cols = [c for c in e.columns if c in (e.attrs.get("by") or "", "motion")] + [
            "deals", "win_rate", "win_rate_ci", "avg_deal_size",
            "cycle_days_median", "fte", "bookings", "bookings_per_fte", "cost", "cost_of_sale",
            "contribution_per_fte"]
        names = {"fte": "FTE-years", "avg_deal_size": "Deal size", "win_rate_ci": "Win rate 95% interval",
                 "cycle_days_median": "Cycle (median days)", "bookings_per_fte": "Bookings per FTE",
                 "contribution_per_fte": "Contribution per FTE", "size_band": "Deal size band"}
        ci = [f"{_pct(lo)}–{_pct(hi)}" if pd.notna(lo) else "–"
              for lo, hi in zip(e["win_rate_low"], e["win_rate_high"])]
        out = e.assign(motion=e["motion"].map(_motion_cell), win_rate_ci=ci)[cols].rename(columns=names)
        fmt = {"win_rate": "pct",
               "avg_deal_size": "money", "bookings": "money", "bookings_per_fte": "money",
               "cost": "money", "cost_of_sale": "pct", "contribution_per_fte": "money",
               "deals": "num", "fte": lambda v: f"{v:,.1f}", "cycle_days_median": "num"}
        by = e.attrs.get("by")
        n_tot = 0
        if e.attrs.get("totals"):
            n_tot = int((e["motion"] == ALL_MOTIONS).sum())
            if by:
                n_tot = int((e[by] == ALL_LABELS.get(by, f"All {by}")).sum())
        return viz.table(out, {names.get(k, k): v for k, v in fmt.items()}, total=n_tot,
                         caption=fte_caption(min_fte) if thin.any() else None)
    return _or_missing(econ, build)


def recommend_table(rec: pd.DataFrame):
    """Per segment: contribution per rep-hour of each motion and the recommendation."""
    def build(r):
        keep = [c for c in r.columns if not c.endswith(("_low", "_high")) or c.startswith("difference")]
        per_hour = {c: "money" for c in keep if c.endswith("_per_hour") or c.startswith("difference")}
        out = r[keep].assign(clear=r["clear"].map({True: "yes", False: "no"}),
                             **{c: r[c].map(_motion_cell) for c in ("current", "recommended")
                                if c in r.columns})
        names = {c: c.replace("_per_hour", " per rep-hour").capitalize() for c in keep
                 if c.endswith("_per_hour")}
        fmt = {**per_hour, "accounts": "num"}
        return viz.table(out.rename(columns=names), {names.get(k, k): v for k, v in fmt.items()})
    return _or_missing(rec, build, said=True)


def comparison_rows(treated: str = "field", control: str = "inside") -> dict[str, str]:
    """Each gap estimate as the comparison table names it: how the deals were compared, in
    words a sales leader reads (not "raw", "strata", "propensity weighted")."""
    return {"raw": "All closed deals, as they are",
            "stratified": "Matched deals: same segment, account size, industry and product",
            "weighted": f"All deals, weighted to the same mix for {treated} and {control}"}


def comparison_table(cmp: pd.DataFrame):
    """The three gap estimates, one sentence each (:func:`comparison_rows`), with the gap in
    points and its 95% interval."""
    def build(c):
        t, o = c.attrs.get("treated", "field"), c.attrs.get("control", "inside")
        rows, gap = comparison_rows(t, o), f"{t.capitalize()} win rate minus {o}'s"
        pts = (lambda v: "–" if pd.isna(v) else f"{100 * v:+.1f} points")
        out = pd.DataFrame({
            "How the deals are compared": [rows.get(e, e) for e in c["estimate"]],
            gap: c["gap"].astype(float),
            "95% interval": [f"{100 * lo:+.1f} to {pts(hi)}" if pd.notna(lo) and pd.notna(hi)
                             else "–" for lo, hi in zip(c["low"], c["high"])]})
        return viz.table(out, {gap: pts})
    return _or_missing(cmp, build, said=True)


#: What the what-if table shows, and why its bookings differ from the economics table's.
WHAT_IF_CAPTION = ("Per year: reps today and reps needed after the move (full-time, rounded up), "
                   "bookings today, and what the move changes in bookings, sales cost and "
                   "contribution (margin on bookings less sales cost); the FTE are in the chart "
                   "above. Bookings count under the motion of each account's owner today, the "
                   "economics table's under the rep who worked the deal, so the two can differ.")


def what_if_table(plan: pd.DataFrame):
    """Per motion and in total: reps today and needed, bookings today, and the change in
    bookings, sales cost and contribution (seven columns that fit the page, not the plan's
    fourteen: the FTE and the levels after the move are in the chart and the reading)."""
    def build(p):
        out = pd.DataFrame({
            "motion": p["motion"].map(_motion_cell), "reps today": p["reps_before"],
            "reps needed": p["reps_needed"], "bookings today": p["bookings_before"],
            "change in bookings": p["bookings_change"], "change in sales cost": p["cost_change"],
            "change in contribution": p["contribution_after"] - p["contribution_before"]})
        changes = [c for c in out.columns if c.startswith("change")]
        fmt = {"reps today": "num", "reps needed": "num", "bookings today": "money",
               **dict.fromkeys(changes, _signed_money)}
        return viz.table(out, fmt, caption=WHAT_IF_CAPTION, total=int((p["motion"] == "total").any()))
    return _or_missing(plan, build, said=True)


#: What the territory-change table's travel is (the sentence above says the same).
TERRITORY_CAPTION = ("Travel: potential-weighted km from each account to its rep's home, per "
                     "territory; the total weighs the territories by potential, as the "
                     "territory design page does.")


def territory_table(tc):
    """The re-aligned field territories (evaluate's frame); nothing when there is no change
    (``reading_territory``, shown before it, says why). Reps are named by ``rep_label`` when
    the frame has it (:func:`~salesops_lib.strategy.coverage.territory_change` sets it over
    every rep of the data, so two reps with one name are told apart even when only one of
    them keeps a territory), else by :func:`measures.rep_display_names` over the frame."""
    if tc is None or tc.territories.empty:
        return None
    t = tc.territories
    names = (t["rep_label"].astype(str) if "rep_label" in t else measures.rep_display_names(t))
    t = t.assign(rep_name=names.to_numpy(), _km=t["travel_km"] * t["potential"])[
        ["rep_name", "accounts", "potential", "potential_index", "travel_km", "_km"]]
    # travel is each territory's potential-weighted km: the total weighs them again, never sums
    t = viz.with_total(t.sort_values("potential", ascending=False), "rep_name",
                       sums=("accounts", "potential", "_km"),
                       ratios={"travel_km": ("_km", "potential")}).drop(columns="_km")
    two = (lambda v: "" if pd.isna(v) else f"{v:.2f}")
    return viz.table(t, {"accounts": "num", "potential": "money", "potential_index": two,
                         "travel_km": "num"}, total=True, caption=TERRITORY_CAPTION)
