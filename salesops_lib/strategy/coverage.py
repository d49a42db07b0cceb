"""Coverage: which motion should cover which accounts, and what moving them would do.

**Recommendation.** For each segment (or other ``by``), the motion with the higher
contribution per rep-hour (see :mod:`.economics`). The interval of a motion's contribution
per hour treats hours and cost as known and bookings as a sum of deals:
:math:`\\mathrm{SE} = g \\sqrt{n}\\, s_b / (F H)` with :math:`s_b` the standard deviation of
bookings per closed deal (0 for a lost deal). The recommendation is *clear* when the
interval of the difference between the two motions, :math:`\\sqrt{SE_1^2 + SE_2^2}`, excludes
zero at a Bonferroni-adjusted level (every segment is compared at once).

**What-if.** Move a group of accounts (a segment, accounts whose potential is under a
threshold, or both) from field to inside. Rates are learned, per motion, on the accounts of
the same group that each motion covers today (its owner's role), per year of the window:

* bookings per account :math:`b_m` = won amount on those accounts / accounts / years;
* FTE per account :math:`f_m` = time its reps spend on them (time shares as in
  :mod:`.economics`) / accounts / years;
* travel per account :math:`t_m` = visits on them × travel cost / accounts / years.

Moving :math:`n` field accounts changes field by :math:`-n(f_F, b_F, t_F)` and inside by
:math:`+n(f_I, b_I, t_I)`; cost is :math:`F k_m + \\text{travel}`. Totals reconcile by
construction: after = before + change for each motion and for the total, and the total
change in bookings is :math:`n(b_I - b_F)` (with an interval from the spread of bookings per
account). Reps needed = FTE after, rounded up.

**Territory change.** The field accounts that stay are re-aligned over the field reps still
needed (those with the least remaining potential are released) with
``territory.optimize`` and measured with ``territory.evaluate``.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
import pandas as pd
from scipy import stats

from .. import territory
from ..data import Dataset
from ..measures import UNASSIGNED, account_potential, rep_names_by_id
from .economics import (
    Assumptions,
    Window,
    account_attribute,
    closed_deals,
    economics,
    motion_of,
    rep_fte,
    time_shares,
    window_activities,
)


def _needs_two(ds, motions=("field", "inside")) -> str | None:
    from .economics import has_roles

    if not has_roles(ds):
        return ("The coverage model needs each rep's role (field or inside) in the reps "
                "table, to compare the two motions.")
    roles = set(motion_of(ds, ds.reps))
    lacking = [m for m in motions if m not in roles]
    if lacking:
        return (f"The coverage model needs reps of both motions; the data have no "
                f"{' or '.join(lacking)} reps.")
    return None


def recommend(ds, win: Window, assume: Assumptions | None = None, by: str = "segment",
              motions=("field", "inside"), level: float = 0.95) -> pd.DataFrame:
    """The motion with the higher contribution per rep-hour, per value of ``by``.

    Returns
    -------
    DataFrame
        ``<by>``, ``accounts``, ``current`` (the motion owning most of its accounts today), and
        for each motion ``m``: ``<m>_per_hour``, ``<m>_low``, ``<m>_high``; then
        ``recommended``, ``difference`` (recommended − other, per hour), ``difference_low``,
        ``difference_high`` and ``clear`` (bool). ``attrs``: ``level`` (the per-comparison
        level after the Bonferroni adjustment) or ``missing``.
    """
    assume = assume or Assumptions()
    a, b = motions
    cols = [by, "accounts", "current", f"{a}_per_hour", f"{b}_per_hour", "recommended",
            "difference", "difference_low", "difference_high", "clear"]
    why = _needs_two(ds, motions)
    if why:
        out = pd.DataFrame(columns=cols)
        out.attrs["missing"] = why
        return out
    econ = economics(ds, win, by=by, assume=assume)
    deals = closed_deals(ds, win)
    deals[by] = deals[by].astype(str)
    sd = deals.groupby(["motion", by])["bookings"].std(ddof=1)
    econ = econ.set_index(["motion", by])
    econ["se"] = (assume.gross_margin * np.sqrt(econ["deals"]) * sd.reindex(econ.index).fillna(0.0)
                  / econ["rep_hours"].where(econ["rep_hours"] > 0))
    values = sorted(set(econ.index.get_level_values(by)) - {UNASSIGNED}) or sorted(
        set(econ.index.get_level_values(by)))
    k = max(len(values), 1)
    adj = 1 - (1 - level) / k
    z_one = stats.norm.ppf(0.5 + adj / 2)
    acc = ds.accounts
    key = account_attribute(ds, acc, by) if by in acc.columns else pd.Series(UNASSIGNED, index=acc.index)
    owner_motion = motion_of(ds, acc.assign(rep_id=acc["owner_rep_id"]))
    rows = []
    for v in values:                                 # a few segments
        row = {by: v, "accounts": int((key == v).sum())}
        cur = owner_motion[key == v].value_counts()
        row["current"] = cur.index[0] if len(cur) else UNASSIGNED
        got = {}
        for m in motions:
            if (m, v) in econ.index and econ.loc[(m, v), "rep_hours"] > 0:
                e = econ.loc[(m, v)]
                got[m] = (float(e["contribution_per_hour"]), float(e["se"]))
                row[f"{m}_per_hour"] = got[m][0]
                row[f"{m}_low"] = got[m][0] - z_one * got[m][1]
                row[f"{m}_high"] = got[m][0] + z_one * got[m][1]
            else:
                row[f"{m}_per_hour"] = row[f"{m}_low"] = row[f"{m}_high"] = np.nan
        if len(got) == 2:
            best = max(got, key=lambda m: got[m][0])
            other = b if best == a else a
            diff = got[best][0] - got[other][0]
            se = float(np.hypot(got[best][1], got[other][1]))
            row.update(recommended=best, difference=diff, difference_low=diff - z_one * se,
                       difference_high=diff + z_one * se, clear=bool(diff - z_one * se > 0))
        else:
            row.update(recommended=next(iter(got), UNASSIGNED), difference=np.nan,
                       difference_low=np.nan, difference_high=np.nan, clear=False)
        rows.append(row)
    out = pd.DataFrame(rows)
    out.attrs.update({"level": adj, "by": by, "motions": tuple(motions), "window": win.label})
    return out


#: ``segment`` value that picks the segment itself (:func:`smallest_segment`).
AUTO_SEGMENT = "auto"


def smallest_segment(ds, from_motion: str = "field") -> str:
    """The segment whose accounts covered by ``from_motion`` today have the lowest median
    potential (ties: the name first in sort order): the natural candidate to move to a
    cheaper motion. ``""`` (every segment) when accounts carry no segment or that motion
    covers none."""
    acc = ds.accounts
    if "segment" not in acc.columns or acc["segment"].isna().all():
        return ""
    seg = account_attribute(ds, acc, "segment")
    pot, _ = account_potential(acc)
    mine = (motion_of(ds, acc.assign(rep_id=acc["owner_rep_id"])) == from_motion) & seg.notna()
    if not mine.any():
        return ""
    med = pot[mine].groupby(seg[mine].astype(str)).median()
    return str(min(med.index, key=lambda k: (med[k], k)))


def moved_accounts(ds, segment: str = "", max_potential: float = 0.0,
                   from_motion: str = "field") -> pd.Series:
    """Boolean mask over ``ds.accounts``: accounts covered by ``from_motion`` today that are in
    ``segment`` (when given) and whose potential is under ``max_potential`` (when above 0);
    neither given: every account ``from_motion`` covers (the notebook's "empty for every
    segment", "0 for no limit"); ``"auto"``: :func:`smallest_segment`."""
    acc = ds.accounts
    if segment == AUTO_SEGMENT:
        segment = smallest_segment(ds, from_motion)
    group = pd.Series(True, index=acc.index)
    if segment:
        seg = account_attribute(ds, acc, "segment")
        if not (seg == segment).any():
            raise ValueError(f"The parameter what_if_segment is {segment!r}, a segment no "
                             f"account has; the segments are {', '.join(sorted(seg.unique()))}")
        group &= seg == segment
    if max_potential:
        pot, _ = account_potential(acc)
        group &= pot < float(max_potential)
    owner = motion_of(ds, acc.assign(rep_id=acc["owner_rep_id"]))
    return group & (owner == from_motion)


def what_if(ds, win: Window, assume: Assumptions | None = None, segment: str = "",
            max_potential: float = 0.0, from_motion: str = "field", to_motion: str = "inside",
            level: float = 0.95) -> pd.DataFrame:
    """Reps, bookings and cost per year if a group of accounts moves between motions.

    The group: accounts ``from_motion`` covers today, of ``segment`` (``""`` every segment;
    ``"auto"`` the one of smallest median potential, :func:`smallest_segment`) and with
    potential under ``max_potential`` (0: no limit).

    Returns
    -------
    DataFrame
        Rows ``from_motion``, ``to_motion``, ``total``; columns ``fte_before``, ``fte_change``,
        ``fte_after``, ``reps_before``, ``reps_needed``, ``bookings_before``,
        ``bookings_change``, ``bookings_after``, ``cost_before``, ``cost_change``,
        ``cost_after``, ``contribution_before``, ``contribution_after`` (all per year).
        ``attrs``: ``accounts_moved``, ``group`` (its description), ``rates`` (per-account
        rates by motion), ``bookings_change_low``/``_high`` (interval of the total change),
        or ``missing``.
    """
    assume = assume or Assumptions()
    why = _needs_two(ds, (from_motion, to_motion))
    cols = ["motion", "fte_before", "fte_change", "fte_after", "reps_before", "reps_needed",
            "bookings_before", "bookings_change", "bookings_after", "cost_before", "cost_change",
            "cost_after", "contribution_before", "contribution_after"]
    if why:
        out = pd.DataFrame(columns=cols)
        out.attrs["missing"] = why
        return out
    acc = ds.accounts
    if segment == AUTO_SEGMENT:     # no segments: the sentence below, not every account
        segment = smallest_segment(ds, from_motion) or AUTO_SEGMENT
    if segment and ("segment" not in acc.columns or acc["segment"].isna().all()):
        why = "The what-if by segment needs each account's segment in the accounts table."
    if why:
        out = pd.DataFrame(columns=cols)
        out.attrs["missing"] = why
        return out
    move = moved_accounts(ds, segment, max_potential, from_motion)
    group = moved_accounts(ds, segment, max_potential, from_motion) | moved_accounts(
        ds, segment, max_potential, to_motion)
    owner_motion = motion_of(ds, acc.assign(rep_id=acc["owner_rep_id"]))
    gids = set(acc.loc[group, "account_id"].astype(str))
    years = win.years
    deals = closed_deals(ds, win)
    deals["owner_motion"] = deals["account_id"].astype(str).map(
        pd.Series(owner_motion.to_numpy(), index=acc["account_id"].astype(str).to_numpy()))
    deals["in_group"] = deals["account_id"].astype(str).isin(gids)
    acts = window_activities(ds, win)
    acts["in_group"] = acts["account_id"].astype(str).isin(gids) if "account_id" in acts else False
    shares = time_shares(ds, win, "in_group", deals.assign(in_group=deals["in_group"].astype(str)),
                         acts.assign(in_group=acts["in_group"].astype(str)))
    fte = rep_fte(ds, win)
    sh = shares[shares["in_group"] == "True"].merge(fte, on="rep_id")
    rates = {}
    z = stats.norm.ppf(0.5 + level / 2)
    for m in (from_motion, to_motion):
        n_acc = int((group & (owner_motion == m)).sum())
        if n_acc == 0:
            out = pd.DataFrame(columns=cols)
            out.attrs["missing"] = (f"The what-if needs {m} reps already covering some accounts "
                                    "of the group, to learn what covering them takes.")
            return out
        book = deals[deals["in_group"] & (deals["owner_motion"] == m)]
        per_acc = book.groupby("account_id")["bookings"].sum().reindex(
            acc.loc[group & (owner_motion == m), "account_id"], fill_value=0.0) / years
        visits = int(((acts["type"] == "visit") & acts["in_group"] & (acts["motion"] == m)).sum())
        rates[m] = {"accounts": n_acc,
                    "bookings": float(per_acc.mean()),
                    "bookings_se": float(per_acc.std(ddof=1) / np.sqrt(n_acc)) if n_acc > 1 else 0.0,
                    "fte": float(sh.loc[sh["motion"] == m, "fte"].mul(
                        sh.loc[sh["motion"] == m, "share"]).sum() / n_acc / years),
                    "travel": visits * assume.travel_cost_per_visit / n_acc / years}
    n = int(move.sum())
    base_fte = fte.groupby("motion")["fte"].sum() / years
    deals["owner_motion"] = deals["owner_motion"].fillna(UNASSIGNED)
    base_book = deals.groupby("owner_motion")["bookings"].sum() / years
    base_visits = acts[acts["type"] == "visit"].groupby("motion").size() / years
    heads = motion_of(ds, ds.reps).value_counts()
    rows = []
    for m, sign in ((from_motion, -1), (to_motion, 1)):
        r = rates[m]
        f0 = float(base_fte.get(m, 0.0))
        b0 = float(base_book.get(m, 0.0))
        c0 = f0 * float(assume.cost_of([m])[0]) + float(base_visits.get(m, 0.0)) * assume.travel_cost_per_visit
        df_, db = sign * n * r["fte"], sign * n * r["bookings"]
        dc = df_ * float(assume.cost_of([m])[0]) + sign * n * r["travel"]
        rows.append({"motion": m, "fte_before": f0, "fte_change": df_, "fte_after": f0 + df_,
                     "reps_before": int(heads.get(m, 0)),
                     "reps_needed": int(np.ceil(max(f0 + df_, 0.0) - 1e-9)),
                     "bookings_before": b0, "bookings_change": db, "bookings_after": b0 + db,
                     "cost_before": c0, "cost_change": dc, "cost_after": c0 + dc})
    out = pd.DataFrame(rows)
    total = out.drop(columns="motion").sum()
    total["reps_needed"] = out["reps_needed"].sum()
    out = pd.concat([out, pd.DataFrame([{"motion": "total", **total.to_dict()}])], ignore_index=True)
    out["contribution_before"] = assume.gross_margin * out["bookings_before"] - out["cost_before"]
    out["contribution_after"] = assume.gross_margin * out["bookings_after"] - out["cost_after"]
    for c in ("reps_before", "reps_needed"):
        out[c] = out[c].astype(int)
    change = n * (rates[to_motion]["bookings"] - rates[from_motion]["bookings"])
    se = n * float(np.hypot(rates[to_motion]["bookings_se"], rates[from_motion]["bookings_se"]))
    desc = " ".join(filter(None, [segment and f"{segment} accounts",
                                  max_potential and f"with potential under ${max_potential:,.0f}"]))
    out.attrs.update({"accounts_moved": n, "group": desc or "accounts", "rates": rates,
                      "from_motion": from_motion, "to_motion": to_motion,
                      "bookings_change_low": change - z * se, "bookings_change_high": change + z * se,
                      "moved_ids": acc.loc[move, "account_id"].astype(str).tolist()})
    return out[cols]


class TerritoryChange(NamedTuple):
    """The field alignment after a what-if: ``assignment`` (``account_id`` → ``rep_id``),
    ``territories`` (``territory.evaluate``'s frame) and ``summary`` (before/after figures)."""

    assignment: pd.DataFrame
    territories: pd.DataFrame
    summary: pd.Series


def territory_change(ds, plan: pd.DataFrame, motion: str = "field", tolerance: float = 0.10,
                     time_limit: float = 10.0) -> TerritoryChange | None:
    """Re-align the accounts ``motion`` keeps after ``plan`` (a :func:`what_if` result) over the
    reps it still needs, with ``territory.optimize`` on that new field set.

    The reps kept are the ``reps_needed`` with the most remaining potential (at least one);
    accounts of released reps are re-assigned. ``summary``: ``reps_before``, ``reps_after``,
    ``accounts_before``, ``accounts_after``, ``accounts_reassigned`` (kept accounts whose rep
    changes), ``balance_max_over_mean_before``/``_after``, ``travel_km_before``/``_after``
    (potential-weighted km to the rep's home), ``status`` of the solver. ``None`` when the
    plan is missing. ``territories`` name each rep in ``rep_label`` as every page does,
    over all of ``ds.reps`` (:func:`~salesops_lib.measures.rep_names_by_id`).
    """
    if plan.attrs.get("missing") or plan.empty:
        return None
    moved = set(plan.attrs.get("moved_ids", []))
    cur = territory.scope(ds, role=motion)
    before = territory.evaluate(cur, territory.current_alignment(cur)).summary
    acc = cur.accounts[~cur.accounts["account_id"].astype(str).isin(moved)]
    if acc.empty:        # every account of the motion moves: no territory is left to align
        summary = pd.Series({
            "reps_before": len(cur.reps), "reps_after": 0, "accounts_before": len(cur.accounts),
            "accounts_after": 0, "accounts_to_other_motion": len(cur.accounts),
            "accounts_reassigned": 0,
            "balance_max_over_mean_before": before["balance_max_over_mean"],
            "balance_max_over_mean_after": np.nan, "travel_km_before": before["travel_km"],
            "travel_km_after": np.nan, "status": "nothing left to align"}, dtype=object)
        return TerritoryChange(pd.DataFrame(columns=["account_id", "rep_id"]),
                               pd.DataFrame(), summary)
    need = plan.loc[plan["motion"] == motion, "reps_needed"]
    need = max(int(need.iloc[0]) if len(need) else len(cur.reps), 1)
    pot, _ = account_potential(acc)
    load = pot.groupby(acc["owner_rep_id"].astype("string").to_numpy()).sum()
    reps = cur.reps.assign(_load=cur.reps["rep_id"].astype(str).map(load).fillna(0.0))
    keep = reps.sort_values(["_load", "rep_id"], ascending=[False, True]).head(need).drop(columns="_load")
    acc = acc.assign(owner_rep_id=acc["owner_rep_id"].where(
        acc["owner_rep_id"].astype("string").isin(keep["rep_id"].astype(str)), pd.NA))
    opp = cur.opportunities
    opp = opp[opp["account_id"].isin(acc["account_id"]) & opp["rep_id"].isin(keep["rep_id"])]
    new = Dataset.from_frames(accounts=acc, reps=keep, opportunities=opp, as_of=ds.as_of,
                              fiscal_start_month=ds.fiscal_start_month)
    assignment = territory.optimize(new, balance_on="potential", tolerance=tolerance,
                                    time_limit=time_limit)
    after = territory.evaluate(new, assignment)
    new_rep = acc["account_id"].astype(str).map(
        pd.Series(assignment["rep_id"].astype(str).to_numpy(),
                  index=assignment["account_id"].astype(str).to_numpy()))
    old_rep = acc["owner_rep_id"].astype("string").fillna("").astype(str)
    summary = pd.Series({
        "reps_before": len(cur.reps), "reps_after": len(keep),
        "accounts_before": len(cur.accounts), "accounts_after": len(acc),
        "accounts_to_other_motion": len(cur.accounts) - len(acc),
        "accounts_reassigned": int((new_rep.to_numpy() != old_rep.to_numpy()).sum()),
        "balance_max_over_mean_before": before["balance_max_over_mean"],
        "balance_max_over_mean_after": after.summary["balance_max_over_mean"],
        "travel_km_before": before["travel_km"], "travel_km_after": after.summary["travel_km"],
        "status": assignment.attrs.get("status"),
    }, dtype=object)
    # page names over every rep of the data (measures.rep_names_by_id), not only the reps
    # kept: a rep whose namesake is released is still told apart from them
    names = rep_names_by_id(ds.reps)
    terr = after.territories.assign(rep_label=after.territories["rep_id"].astype(str).map(names)
                                    .fillna(after.territories["rep_label"]).to_numpy())
    return TerritoryChange(assignment, terr, summary)
