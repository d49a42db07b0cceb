"""What the territory page says: headline cards, verdict sentences, the recommendation, and
display tables with rep names.

Every function takes the frames of :func:`salesops_lib.territory.evaluate`,
:func:`~salesops_lib.territory.plan.rep_changes`, :func:`~salesops_lib.territory.plan.at_risk`
or a :class:`~salesops_lib.territory.optimize.Solution` and returns text or a display table;
none computes a metric of its own. Sentences speak of reps by name and never of code.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np
import pandas as pd

from .. import viz
from ..measures import account_potential, potential_unit
from ..viz import money, num, pct

_MEASURE_KEYS = {"potential": ("balance_max_over_min", "max_deviation"),
                 "workload": ("workload_max_over_min", "workload_max_deviation")}


def _f(s, key, default=np.nan) -> float:
    v = s.get(key, default) if s is not None else default
    try:
        return float(v)
    except (TypeError, ValueError):
        return default


def _names(names, n: int = 4) -> str:
    """``a``, ``a and b``, ``a, b and c``, ``a, b, c, d and 3 more``."""
    names = [str(x) for x in names]
    if len(names) > n:
        return ", ".join(names[:n]) + f" and {len(names) - n} more"
    if len(names) <= 1:
        return "".join(names)
    return ", ".join(names[:-1]) + " and " + names[-1]


def _label(frame: pd.DataFrame) -> pd.Series:
    """``rep_id`` → page name (``rep_label`` when the frame has it, else ``rep_name``)."""
    col = "rep_label" if "rep_label" in frame else "rep_name"
    return pd.Series(frame[col].astype(str).to_numpy(), index=frame["rep_id"].astype(str).to_numpy())


def potential_meaning(basis: str) -> str | None:
    """What "potential" is on the page when the data have no potential column (``basis`` from
    :func:`~salesops_lib.measures.account_potential`): the accounts' annual revenue, the size
    of the customer and not a sales target, or a count of accounts. None for a potential column."""
    if basis == "annual_revenue":
        return ("Potential on this page is each account's annual revenue (the data have no "
                "potential column): the size of the customer's business, not a sales target "
                "or an opportunity to book.")
    if basis == "accounts":
        return ("Potential on this page counts accounts (the data have neither potential nor "
                "revenue): every account counts as one.")
    return None


def _basis(frame) -> str:
    return getattr(frame, "attrs", {}).get("potential_basis", "potential")


def _potential_caption(frame, target: bool = False) -> str | None:
    """A table's caption saying what its potential columns hold, when not a potential column."""
    basis = _basis(frame)
    if basis == "potential":
        return None
    what = "the accounts' annual revenue" if basis == "annual_revenue" else "a count of accounts"
    return (f"Potential = {what}, not a sales target"
            + ("; Target = each rep's fair share of it." if target else "."))


def _band_words(summary) -> str:
    return ("of its target (scaled to each rep's capacity)" if _f(summary, "capacity_scaled", 0) > 0
            else "of the mean")


# --------------------------------------------------------------------------------------------
# headline numbers
# --------------------------------------------------------------------------------------------
def kpi_cards(summary: pd.Series) -> list[tuple[str, str, str]]:
    """Headline numbers of one alignment for :func:`viz.kpis`: ``(label, value, note)``.

    Balance is read against each rep's capacity-scaled target (see ``evaluate``), so a
    half-time rep with half a territory counts as balanced.
    """
    ratio = _f(summary, "balance_max_over_min")
    scaled = _f(summary, "capacity_scaled", 0) > 0
    dev = _f(summary, "max_deviation")
    travel = _f(summary, "travel_km")
    return [
        ("Territories", num(summary.get("territories")), f"{num(summary.get('accounts'))} accounts"),
        ("Widest gap to target", f"±{dev:.1%}" if np.isfinite(dev) else "–",
         "largest deviation of a territory's potential from its "
         + ("capacity-scaled target" if scaled else "fair share")),
        ("Largest vs smallest", f"{ratio:.1f}×" if np.isfinite(ratio) else "–",
         "potential per FTE, largest over smallest territory" if scaled
         else "potential of the largest over the smallest territory"),
        ("Within ±10% of target", pct(summary.get("share_within_10pct")), "share of territories"),
        ("Travel", f"{num(travel)} km" if np.isfinite(travel) else "–",
         "potential-weighted, from the rep's home"),
    ]


NO_ROLES = "The data has no rep roles, so every rep is given a territory."
NO_OWNERS = ("Today's alignment needs each account's current owner rep in the accounts table; "
             "this data has none, so the proposal starts from no territories.")
NO_GEOGRAPHY = ("Maps and travel need account latitude/longitude and rep home bases; "
                "this data has none, so the proposal balances territories without a travel term.")


def scope_note(ds, role: str | None = None, period=None):
    """A sentence when ``role`` was asked for but the data has no rep roles at all (so
    :func:`scope` kept every rep); one when ``period`` ended before the data's date: the
    alignment is the accounts' owners on that date (the data keep no history of ownership),
    only the bookings are the period's; and what potential is when the data have no potential
    column (:func:`potential_meaning`; on revenue, beside the period's bookings for scale).
    Nothing otherwise."""
    from ..periods import Period

    has = "role" in ds.reps and bool(ds.reps["role"].notna().any())
    notes = [NO_ROLES] if role and not has else []
    pot, basis = account_potential(ds.accounts)
    if potential_meaning(basis):
        notes.append(potential_meaning(basis))
    if period:
        P = Period.parse(period, ds.fiscal_start_month)
        if basis == "annual_revenue":
            o = ds.opportunities
            won = o.loc[(o["status"] == "won") & P.contains(o["close_date"]), "amount"].sum()
            notes.append(f"Together {viz.count(len(pot), 'account', 'turn')} over "
                         f"{money(pot.sum())} a year, against {money(won)} of bookings in {P.label}.")
        if P.end < pd.Timestamp(ds.as_of).normalize():
            notes.append(f"The alignment shown is the accounts' owners on "
                         f"{pd.Timestamp(ds.as_of):%d %b %Y}, the data's date: the data keep no "
                         f"history of who owned an account, so only the bookings are "
                         f"{P.label}'s.")
    return viz.callout(" ".join(notes)) if notes else None


def today_cards(review):
    """Today's headline numbers (:func:`kpi_cards`), or one sentence when no account has an
    owner today, so there is no alignment to measure."""
    if _f(review.today.summary, "territories", 0) < 1:
        return viz.callout(NO_OWNERS)
    return viz.kpis(kpi_cards(review.today.summary))


def compare(before: pd.Series, after: pd.Series) -> pd.DataFrame:
    """Headline metrics side by side, formatted for display: ``metric``, ``today``, ``proposed``."""
    def times(v):
        return f"{v:.2f}×"

    def km(v):
        return f"{num(v)} km"

    fte = _f(before, "capacity_scaled", 0) > 0 or _f(after, "capacity_scaled", 0) > 0
    rows = [("Largest / smallest territory (potential" + (" per FTE)" if fte else ")"),
             "balance_max_over_min", times),
            ("Largest territory vs its target", "balance_max_over_mean", times),
            ("Widest deviation from target", "max_deviation", lambda v: f"±{v:.1%}"),
            ("Spread of potential around targets", "balance_cv", pct),
            ("Territories within ±10% of target", "share_within_10pct", pct),
            ("Spread of workload around targets", "workload_cv", pct),
            ("Potential-weighted travel", "travel_km", km),
            ("Compactness (distance to centroid)", "compactness_km", km),
            ("Accounts changing owner", "disruption_accounts", pct),
            ("Potential changing owner", "disruption_potential", pct)]
    if pd.notna(after.get("contiguity", np.nan)):
        rows.append(("Contiguous territories", "contiguity", pct))

    def show(s, key, f):
        v = s.get(key, np.nan)
        return "–" if v is None or (isinstance(v, float) and not math.isfinite(v)) else f(v)
    return pd.DataFrame([{"metric": label, "today": show(before, k, f), "proposed": show(after, k, f)}
                         for label, k, f in rows])


# --------------------------------------------------------------------------------------------
# sentences
# --------------------------------------------------------------------------------------------
def verdict(before: pd.Series, after: pd.Series, tolerance: float = 0.05,
            balance_on="potential") -> str:
    """One plain-language sentence on today's alignment and the proposal.

    E.g. "Today the largest territory holds 2.3× the potential of the smallest; the proposal
    brings every territory within ±5% of the mean while moving 11% of accounts (14% of
    potential), and cuts potential-weighted travel from 420 km to 180 km."

    The spread is read on the balanced measure (``balance_on``: potential or workload; with
    several, the largest deviation among them), from two ``evaluate(...).summary`` Series,
    against capacity-scaled targets ("within ±5% of its target (scaled to each rep's
    capacity)") when reps differ in capacity, so the sentence judges what the optimiser did.
    """
    measures = [balance_on] if isinstance(balance_on, str) else list(balance_on)
    measures = [m for m in measures if m in _MEASURE_KEYS] or ["potential"]
    main = measures[0]
    ratio = _f(before, _MEASURE_KEYS[main][0])
    per_fte = " per FTE" if _f(before, "capacity_scaled", 0) > 0 else ""
    if _f(before, "territories", 0) < 1:
        head = "Today no account has an owner"
    elif not np.isfinite(ratio):
        head = (f"Today at least one territory has no {main} at all" if _f(before, "territories", 0) > 1
                else "Today there is a single territory")
    else:
        head = f"Today the largest territory holds {ratio:.1f}× the {main}{per_fte} of the smallest"
    dev = max(_f(after, _MEASURE_KEYS[m][1]) for m in measures)
    what = " and ".join(measures)
    moved = (f"moving {pct(_f(after, 'disruption_accounts', 0))} of accounts "
             f"({pct(_f(after, 'disruption_potential', 0))} of potential)")
    if np.isfinite(dev) and dev <= tolerance + 1e-9:
        band = math.ceil(dev * 100 - 1e-9) if dev > 0 else 0
        body = (f"the proposal brings every territory within ±{max(band, 0)}% {_band_words(after)}"
                f"{'' if what == 'potential' else ' on ' + what} while {moved}")
    elif np.isfinite(dev):
        body = (f"the proposal narrows the spread of {what} to ±{dev:.1%} {_band_words(after)} "
                f"(target ±{tolerance:.0%} not reached) while {moved}")
    else:
        body = f"the proposal changes the alignment by {moved}"
    t0, t1 = _f(before, "travel_km"), _f(after, "travel_km")
    tail = ""
    if np.isfinite(t0) and np.isfinite(t1) and t0 > 0:
        verb = "cuts" if t1 < t0 else "raises"
        tail = f", and {verb} potential-weighted travel from {num(t0)} km to {num(t1)} km"
    return f"{head}; {body}{tail}."


def travel_note(before: pd.Series, after: pd.Series) -> str:
    """What happens to travel, said plainly (a doubling is called a doubling)."""
    t0, t1 = _f(before, "travel_km"), _f(after, "travel_km")
    if not (np.isfinite(t0) and np.isfinite(t1)) or t0 <= 0:
        return "Travel cannot be compared: some reps or accounts have no coordinates."
    r = t1 / t0
    if r < 0.95:
        return f"Travel falls: potential-weighted distance from home drops from {num(t0)} km to {num(t1)} km."
    if r <= 1.05:
        return f"Travel stays about the same ({num(t0)} km today, {num(t1)} km proposed)."
    if r < 1.5:
        return (f"Travel rises from {num(t0)} km to {num(t1)} km (+{pct(r - 1)}), the price of "
                "evening out the territories.")
    return (f"Travel rises sharply, {r:.1f}× today's: from {num(t0)} km to {num(t1)} km of "
            "potential-weighted distance. Evening out the territories sends reps further from "
            "home; check that the longer trips are acceptable, or loosen the balance band.")


def disruption_note(after: pd.Series) -> str:
    """How much changes hands, in accounts and in potential."""
    da, dp = _f(after, "disruption_accounts", 0), _f(after, "disruption_potential", 0)
    n = _f(after, "accounts_moved", np.nan)
    count = f" ({num(n)} accounts)" if np.isfinite(n) else ""
    if da <= 0:
        return "No account changes owner."
    text = f"{pct(da)} of accounts{count} change owner, holding {pct(dp)} of all potential"
    if dp > 1.5 * da:
        return text + ": the moves fall on the larger accounts, so the hand-over matters more than the count suggests."
    return text + "."


def territory_count_note(before: pd.DataFrame, after: pd.DataFrame) -> str:
    """Why the number of territories changes: reps who gain a first territory, reps left
    without one (from two ``evaluate(...).territories`` frames)."""
    has0 = set(before.loc[before["accounts"] > 0, "rep_id"])
    has1 = set(after.loc[after["accounts"] > 0, "rep_id"])
    names = pd.concat([_label(before), _label(after)]).groupby(level=0).first()
    new = sorted(has1 - has0, key=lambda r: names.get(r, r))
    gone = sorted(has0 - has1, key=lambda r: names.get(r, r))
    n0, n1 = len(has0), len(has1)
    parts = []
    if new:
        one = len(new) == 1
        parts.append(f"{_names([names.get(r, r) for r in new])} {'owns' if one else 'own'} no "
                     f"accounts today (new to the team, or without a book) and "
                     f"{'gets a territory' if one else 'get territories'}")
    if gone:
        parts.append(f"{_names([names.get(r, r) for r in gone])} "
                     f"{'is' if len(gone) == 1 else 'are'} left without accounts "
                     "(leaving, or not needed at this balance)")
    if n0 == n1 and not parts:
        return f"The proposal keeps the {n1} territories of today."
    def terr(k):
        return f"{k} territor{'y' if k == 1 else 'ies'}"
    head = (f"The proposal has {terr(n1)} against {n0} today" if n0 != n1
            else f"The proposal keeps {terr(n1)}")
    return head + (": " + "; ".join(parts) if parts else "") + "."


def _gainers(flagged: pd.DataFrame) -> list[str]:
    """Names of the flagged reps who end the proposal with more potential than they hold today
    (they hand over much but take on more: the per-rep table shows them with a rise)."""
    if not {"potential_proposed", "potential_today"} <= set(flagged.columns):
        return []
    up = flagged[flagged["potential_proposed"] > flagged["potential_today"]]
    return _label(up).tolist()


def _period_words(risk: pd.DataFrame) -> str:
    """``"2026-Q3 "`` when the at-risk frame says whose period its bookings are, else ``""``."""
    p = getattr(risk, "attrs", {}).get("period")
    return f"{p} " if p else ""


def risk_note(risk: pd.DataFrame, threshold: float = 0.5) -> str:
    """Reps who hand over more than ``threshold`` of the potential they hold today, with their
    own bookings and open pipeline on the accounts that move (from
    :func:`~salesops_lib.territory.plan.at_risk`; gross: what they take on elsewhere does not
    offset it, and reps who end with more potential than today are named as such)."""
    flagged = risk[risk["share_lost"].fillna(0) > threshold]
    if not len(flagged):
        return f"No rep hands over more than {pct(threshold)} of the potential they hold today."
    flagged = flagged.assign(who=_label(flagged).to_numpy())
    when = _period_words(risk)
    items = [f"{r.who} ({pct(r.share_lost)} handed over; {money(r.bookings_at_risk)} of their "
             f"own {when}bookings and {money(r.pipeline_at_risk)} of their own open pipeline are on "
             "the accounts that move)" for r in flagged.head(4).itertuples()]
    more = len(flagged) - len(items)
    who = "rep hands" if len(flagged) == 1 else "reps hand"
    up = _gainers(flagged)
    gain = (f" {_names(up)} {'ends' if len(up) == 1 else 'end'} with more potential than today, "
            "from the accounts taken on." if up else "")
    return (f"{len(flagged)} {who} over more than {pct(threshold)} of the potential they hold "
            "today: " + "; ".join(items) + (f"; and {more} more" if more > 0 else "")
            + "." + gain + " Plan their hand-overs, or lock their key accounts.")


def solver_note(solution) -> str:
    """How the proposal was found, in one sentence (method, time, status, quality).

    The distance to the lower bound is claimed only when the bound is valid (the MILP's own
    bound, or an LP priced over every rep); otherwise the sentence says no bound is proven.
    Without coordinates there is no travel term: the sentence says the proposal only balances
    and speaks of neither travel nor a bound on it.
    Takes a :class:`~salesops_lib.territory.optimize.Solution` or an ``optimize`` frame.
    """
    a = solution.facts() if hasattr(solution, "facts") else dict(getattr(solution, "attrs", {}))
    if not a or "method" not in a:
        return "This alignment was not produced by the optimiser."
    how = {"milp": "the exact integer program (HiGHS)",
           "lp+local": "a linear relaxation, rounding and local search (HiGHS)",
           "greedy+local": "a greedy start and local search (the relaxation did not finish in time)",
           "prices+local": "band prices (a Lagrangian relaxation) and local search",
           }.get(a.get("method"), a.get("method"))
    status = {"optimal": "proven optimal", "time_limit": "stopped at the time limit",
              "feasible": "all constraints met",
              "band_not_met": "balance band not fully met"}.get(a.get("status"), a.get("status"))
    head = f"Found by {how} in {_f(a, 'seconds'):.1f} s ({status})"
    if not a.get("travel", True):
        return (f"{head}; the data has no coordinates, so there is no travel to minimise and "
                "the proposal only balances the territories.")
    gap = _f(a, "gap")
    valid = bool(a.get("bound_valid", a.get("method") == "milp"))
    bound = ("the proven lower bound" if a.get("method") == "milp" else
             "the Lagrangian lower bound" if a.get("method") == "prices+local" else
             "the relaxation's lower bound")
    if np.isfinite(gap) and valid:
        q = f"its travel is within {gap:.1%} of {bound}"
    else:
        q = "no valid lower bound was proven, so how far it is from the best is not known"
    return f"{head}; {q}."


class Decision(NamedTuple):
    """The recommendation: ``verdict`` (``approve``, ``review`` or ``reject``), one
    ``text`` paragraph, and the callout ``kind`` (``info``, ``warn``, ``bad``)."""

    verdict: str
    text: str
    kind: str


def decision(before: pd.Series, after: pd.Series, risk: pd.DataFrame | None = None,
             tolerance: float = 0.05, max_disruption: float | None = None,
             solution=None, threshold: float = 0.5) -> Decision:
    """Approve, review or reject the proposal, with the reasons.

    * **reject** when some territory is outside the ±``tolerance`` band (or the solver says
      so): the proposal does not do what was asked;
    * **review** when it is balanced but a rep hands over more than ``threshold`` of the
      potential they hold today (gross, as the per-rep table's "Potential handed over"; reps
      who end with more than today are named as such), travel more than doubles, or moves
      exceed ``max_disruption``;
    * **approve** otherwise.
    """
    dev = _f(after, "max_deviation")
    status = (solution.status if hasattr(solution, "status")
              else getattr(solution, "attrs", {}).get("status") if solution is not None else None)
    if not np.isfinite(dev) or dev > tolerance + 1e-9 or status == "band_not_met":
        return Decision("reject", (
            f"Reject: some territory stays {('±' + format(dev, '.1%')) if np.isfinite(dev) else 'far'} "
            f"from its target, outside the ±{tolerance:.0%} band asked for. Either the search "
            "needs more time or whole accounts cannot be divided that finely: raise the time "
            "limit, loosen the band or the disruption cap, and re-run."), "bad")
    reasons = []
    flagged = risk[risk["share_lost"].fillna(0) > threshold] if risk is not None else pd.DataFrame()
    if len(flagged):
        up = _gainers(flagged)
        reasons.append(f"{_names(_label(flagged).tolist(), 3)} "
                       f"{'hands' if len(flagged) == 1 else 'hand'} over more than "
                       f"{pct(threshold)} of the potential they hold today" + (
                           f" ({_names(up, 3)} {'ends' if len(up) == 1 else 'end'} with more "
                           "potential than today, from the accounts taken on)" if up else ""))
    t0, t1 = _f(before, "travel_km"), _f(after, "travel_km")
    if np.isfinite(t0) and np.isfinite(t1) and t0 > 0 and t1 > 2 * t0:
        reasons.append(f"travel rises {t1 / t0:.1f}×")
    da = _f(after, "disruption_accounts", 0)
    over = max_disruption is not None and da > max_disruption + 1e-9
    # a share just over the cap gets the decimals that tell it apart ("20.4%", not "20%")
    share = next((pct(da, k) for k in (0, 1, 2) if not over or pct(da, k) != pct(max_disruption, k)),
                 pct(da, 2))
    if over:
        reasons.append(f"{share} of accounts move, above the {pct(max_disruption)} cap "
                       "(accounts of departing reps must move)")
    band = f"every territory is within ±{math.ceil(dev * 100 - 1e-9) if dev > 0 else 0}% {_band_words(after)}"
    moved = (f"{share} of accounts ({pct(_f(after, 'disruption_potential', 0))} of potential) "
             "change owner")
    if reasons:
        return Decision("review", (f"Review before approving: {band} and {moved}, but "
                                   + "; ".join(reasons) + "."), "warn")
    return Decision("approve", f"Approve: {band}, {moved}, and no rep hands over more than "
                               f"{pct(threshold)} of the potential they hold today.", "info")


def proposal_notes(review) -> list[str]:
    """The proposal in five sentences, from a :func:`territory.review`: the verdict, why the
    number of territories changes, what moves, what happens to travel, who loses most."""
    before, after = review.today.summary, review.proposed.summary
    return [verdict(before, after, review.tolerance, review.balance_on),
            territory_count_note(review.today.territories, review.proposed.territories),
            disruption_note(after), travel_note(before, after),
            risk_note(review.risk, getattr(review, "threshold", 0.5))]


# --------------------------------------------------------------------------------------------
# display tables (names, not ids; formats live here, not in the notebook)
# --------------------------------------------------------------------------------------------
def rep_table(changes: pd.DataFrame, risk: pd.DataFrame | None = None):
    """Per rep, today and proposed, as a display table (rep names; money, counts, change),
    with a totals row (travel, an average per rep, is left blank there)."""
    cols = {"rep_label": "Rep", "accounts_today": "Accounts today",
            "accounts_proposed": "Accounts proposed", "potential_today": "Potential today",
            "potential_proposed": "Potential proposed", "target_potential": "Target",
            "potential_change": "Change", "travel_km_today": "Travel today (km)",
            "travel_km_proposed": "Travel proposed (km)"}
    changes = changes.assign(rep_label=_label(changes).to_numpy())
    t = changes[[c for c in cols if c in changes]].copy()
    if risk is not None and len(risk):
        r = risk.set_index("rep_id")
        t["share_lost"] = changes["rep_id"].map(r["share_lost"]).to_numpy()
        cols["share_lost"] = "Potential handed over"
    total = {c: t[c].sum() for c in ("accounts_today", "accounts_proposed", "potential_today",
                                      "potential_proposed", "target_potential") if c in t}
    if "potential_today" in total and total["potential_today"] > 0:
        total["potential_change"] = total["potential_proposed"] / total["potential_today"] - 1
    t = pd.concat([t, pd.DataFrame([{"rep_label": "Total", **total}])], ignore_index=True)
    t = t.rename(columns=cols)
    p = "num" if potential_unit(_basis(changes)) == "num" else "money"
    fm = {"Accounts today": "num", "Accounts proposed": "num", "Potential today": p,
          "Potential proposed": p, "Target": p, "Change": "signed_pct",
          "Travel today (km)": "num", "Travel proposed (km)": "num", "Potential handed over": "pct"}
    return viz.table(t, fm, caption=_potential_caption(changes, target=True))


def risk_table(risk: pd.DataFrame, threshold: float = 0.5):
    """The reps who hand over more than ``threshold`` of their potential, as a display table
    (a one-line note when there are none); bookings and pipeline are the rep's own."""
    f = risk[risk["share_lost"].fillna(0) > threshold]
    if not len(f):
        return viz.callout(risk_note(risk, threshold))
    f = f.assign(rep_label=_label(f).to_numpy())
    book = f"Their own {_period_words(risk)}bookings on those accounts"
    pipe = "Their own open pipeline on those accounts"
    t = f[["rep_label", "accounts_lost", "potential_lost", "share_lost", "bookings_at_risk",
           "pipeline_at_risk"]].rename(columns={
               "rep_label": "Rep", "accounts_lost": "Accounts handed over",
               "potential_lost": "Potential handed over", "share_lost": "Share of their potential",
               "bookings_at_risk": book, "pipeline_at_risk": pipe})
    p = "num" if potential_unit(_basis(risk)) == "num" else "money"
    return viz.table(t, {"Accounts handed over": "num", "Potential handed over": p,
                         "Share of their potential": "pct", book: "money", pipe: "money"},
                     caption=_potential_caption(risk))


def moved_table(moved: pd.DataFrame, reps: pd.DataFrame, n: int = 25):
    """The ``n`` largest moved accounts (from ``moved_accounts``) with rep names."""
    names = _label(reps.drop_duplicates("rep_id"))
    t = moved.head(n)
    t = pd.DataFrame({"Account": t["account_name"].astype(str).to_numpy(),
                      "From": t["old_rep_id"].map(names).fillna("(nobody)").to_numpy(),
                      "To": t["new_rep_id"].map(names).fillna("(nobody)").to_numpy(),
                      "Potential": t["potential"].to_numpy(float)})
    p = "num" if potential_unit(_basis(moved)) == "num" else "money"
    return viz.table(t, {"Potential": p}, caption=_potential_caption(moved))
