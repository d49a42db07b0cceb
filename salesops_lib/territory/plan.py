"""Territory planning around :func:`salesops_lib.territory.optimize`: sizing, hiring what-if,
CRM export, before/after tables and the plain-language verdict.

All functions are pure except :func:`write_alignment`, the explicit CSV writer.
Re-exported by :mod:`salesops_lib.territory`, so ``territory.what_if(...)`` works.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import NamedTuple

import numpy as np
import pandas as pd

from ..measures import account_potential, account_workload, open_pipeline_as_of, report_date
from .geo import haversine_km
from .optimize import Solution, solve
from .problem import parse_ids, rep_frame, to_accounts


# --------------------------------------------------------------------------------------------
# sizing and hiring what-if
# --------------------------------------------------------------------------------------------
def reps_needed(ds, target_workload: float | None = None, by: str | None = None) -> pd.DataFrame:
    """How many reps the accounts support at a target workload per rep.

    .. math:: \\text{reps\\_needed}_g = \\lceil W_g / W^* \\rceil

    with :math:`W_g` the workload (hours per year, see :func:`territory.account_workload`) of
    group :math:`g` and :math:`W^*` the target per rep: ``target_workload``, else the mean rep
    capacity, else today's mean workload per account owner.

    Returns
    -------
    DataFrame
        ``group`` (``by`` value, or ``"all"``), ``accounts``, ``potential``, ``workload``,
        ``target_workload``, ``reps_today`` (distinct owners), ``reps_needed``, ``gap``
        (needed − today), ``potential_per_rep`` (potential / reps needed).
    """
    acc = ds.accounts
    pot, _ = account_potential(acc)
    f = pd.DataFrame({"group": acc[by].astype("string").fillna("(none)") if by else "all",
                      "potential": pot.to_numpy(float),
                      "workload": account_workload(acc).to_numpy(float),
                      "owner": acc["owner_rep_id"].astype("string")})
    if target_workload is None:
        cap = pd.to_numeric(ds.reps.get("capacity"), errors="coerce") if "capacity" in ds.reps else None
        if cap is not None and cap.notna().any():
            target_workload = float(cap.mean())
        else:
            owners = f["owner"].nunique()
            target_workload = float(f["workload"].sum() / max(owners, 1))
    if not target_workload > 0:
        raise ValueError(f"target_workload must be > 0; got {target_workload}")
    g = f.groupby("group", sort=True).agg(accounts=("workload", "size"), potential=("potential", "sum"),
                                          workload=("workload", "sum"), reps_today=("owner", "nunique"))
    g = g.reset_index()
    g["target_workload"] = float(target_workload)
    g["reps_needed"] = np.ceil(g["workload"] / target_workload - 1e-9).astype(int)
    g["gap"] = g["reps_needed"] - g["reps_today"]
    g["potential_per_rep"] = g["potential"] / g["reps_needed"].where(g["reps_needed"] > 0)
    return g[["group", "accounts", "potential", "workload", "target_workload", "reps_today",
              "reps_needed", "gap", "potential_per_rep"]]


def place_new_reps(ds, n: int, reps: pd.DataFrame) -> pd.DataFrame:
    """Home bases for ``n`` new reps, placed where potential is farthest from any rep.

    Greedy: the next home is the account maximising :math:`p_i \\cdot \\min_r d(i, h_r)`
    (potential times distance to the nearest existing home), then it joins the homes.
    Capacity is the median of ``reps.capacity``. Returns rows ``rep_id`` ``NEW-01``...,
    ``rep_name``, ``role`` ``field``, ``home_latitude``, ``home_longitude``, ``capacity``.
    """
    acc = ds.accounts
    lat, lon = acc["latitude"].to_numpy(float), acc["longitude"].to_numpy(float)
    pot = np.nan_to_num(account_potential(acc)[0].to_numpy(float)) + 1e-9
    hl, ho = reps["home_latitude"].to_numpy(float), reps["home_longitude"].to_numpy(float)
    has = np.isfinite(hl) & np.isfinite(ho)
    near = (np.nanmin(haversine_km(lat[:, None], lon[:, None], hl[has][None, :], ho[has][None, :]), axis=1)
            if has.any() else np.full(len(acc), 1.0))
    near = np.nan_to_num(near, nan=0.0)
    rows = []
    caps = pd.to_numeric(reps["capacity"], errors="coerce").dropna() if "capacity" in reps else pd.Series()
    cap = float(caps.median()) if len(caps) else np.nan
    taken = set(reps["rep_id"].astype(str))
    k = 0
    for j in range(int(n)):
        i = int(np.argmax(pot * near))
        k += 1
        while f"NEW-{k:02d}" in taken:
            k += 1
        rows.append({"rep_id": f"NEW-{k:02d}", "rep_name": f"New hire {j + 1}", "role": "field",
                     "home_latitude": lat[i], "home_longitude": lon[i], "capacity": cap})
        near = np.minimum(near, np.nan_to_num(haversine_km(lat, lon, lat[i], lon[i]), nan=0.0))
    return pd.DataFrame(rows, columns=["rep_id", "rep_name", "role", "home_latitude",
                                       "home_longitude", "capacity"])


def check_parameters(ds, role: str | None = "field", remove_reps=None, locked_accounts=None) -> None:
    """Check the page's ``role``, ``remove_reps`` and ``locked_accounts`` against the whole
    data set (before :func:`territory.scope` narrows it), so that a bad value stops the page
    with one sentence naming the parameter, the value and what is wrong: an id the data lack,
    a rep or an account outside the role being aligned, a locked account with no owner or
    whose owner is removed. Data without rep roles put every rep in scope.

    Raises
    ------
    ValueError
        The first bad value, e.g. ``"The parameter remove_reps names I1 (Cy), an inside rep,
        not a field rep ..."``.
    """
    reps, acc = ds.reps, ds.accounts
    rid = reps["rep_id"].astype(str)
    roles = (reps["role"].astype("string") if "role" in reps and reps["role"].notna().any()
             else None)
    if role and roles is not None and not (roles == role).any():
        raise ValueError(f"The parameter role is {role!r}, a role no rep has; the roles are "
                         f"{', '.join(sorted(roles.dropna().unique()))}")
    name = dict(zip(rid, reps["rep_name"].astype(str)))
    role_of = dict(zip(rid, roles.fillna("(no role)"))) if roles is not None else {}

    def who(r):
        return f"{r} ({name.get(r, '')})"

    def outside(r):
        return bool(role) and roles is not None and role_of.get(r) != role

    drop = parse_ids(remove_reps)
    for r in drop:
        if r not in name:
            raise ValueError(f"The parameter remove_reps names {r}, a rep not in the data")
        if outside(r):
            raise ValueError(f"The parameter remove_reps names {who(r)}, an {role_of[r]} rep, not "
                             f"a {role} rep: this page designs the {role} territories only")
    owner = dict(zip(acc["account_id"].astype(str), acc["owner_rep_id"].astype("string")))
    for a in parse_ids(locked_accounts):
        if a not in owner:
            raise ValueError(f"The parameter locked_accounts names {a}, an account not in the data")
        o = owner[a]
        if pd.isna(o):
            raise ValueError(f"The parameter locked_accounts names {a}, an account with no owner "
                             "today, so no rep can keep it: unlock it")
        if outside(str(o)):
            raise ValueError(f"The parameter locked_accounts names {a}, owned by {who(str(o))}, an "
                             f"{role_of.get(str(o))} rep, so not part of the {role} "
                             "territories: unlock it")
        if str(o) in drop:
            raise ValueError(f"The parameter locked_accounts names {a}, owned by {who(str(o))}, whom "
                             "remove_reps takes away: unlock it or keep the rep")


class Plan(NamedTuple):
    """A proposed alignment, the reps it uses (including planned hires) and how it was found
    (the :class:`~salesops_lib.territory.optimize.Solution`: status, gap, bound, ...)."""

    assignment: pd.DataFrame
    reps: pd.DataFrame
    solution: Solution | None = None


def what_if(ds, add_reps: int = 0, remove_reps=None, **optimize_kwargs) -> Plan:
    """Add and/or remove reps, then re-optimise.

    Starts from every rep in ``ds.reps`` (use :func:`territory.scope` to narrow), drops
    ``remove_reps`` (ids, list or comma-separated string; their accounts must move and do not
    count against ``max_disruption``), adds ``add_reps`` new hires placed by
    :func:`place_new_reps`, and calls :func:`territory.optimize` with ``optimize_kwargs``.
    """
    base = rep_frame(ds)
    drop = parse_ids(remove_reps)
    unknown = sorted(set(drop) - set(base["rep_id"]))
    if unknown:
        raise ValueError(f"remove_reps names reps that are not among the reps being aligned: {unknown[:5]}")
    reps = base[~base["rep_id"].isin(drop)]
    if int(add_reps) < 0:
        raise ValueError("add_reps must be ≥ 0; use remove_reps to take reps away")
    if int(add_reps):
        reps = pd.concat([reps, place_new_reps(ds, int(add_reps), reps)], ignore_index=True)
    if not len(reps):
        raise ValueError("no reps left after removing " + ", ".join(drop))
    reps = reps.reset_index(drop=True)
    sol = solve(ds, reps=reps, **optimize_kwargs)
    return Plan(sol.frame(), reps, sol)


# --------------------------------------------------------------------------------------------
# export
# --------------------------------------------------------------------------------------------
def alignment_table(ds, assignment: pd.DataFrame, reps: pd.DataFrame | None = None) -> pd.DataFrame:
    """CRM import frame: ``account_id``, ``account_name``, ``rep_id``, ``rep_name``."""
    acc = ds.accounts
    rep_of = to_accounts(ds, assignment)
    names = rep_frame(ds, reps if reps is not None else None)
    if reps is not None:
        names = pd.concat([names, rep_frame(ds)]).drop_duplicates("rep_id")
    name = pd.Series(names["rep_name"].astype("string").to_numpy(), index=names["rep_id"])
    return pd.DataFrame({"account_id": acc["account_id"].astype(str).to_numpy(),
                         "account_name": acc["account_name"].astype("string").to_numpy(),
                         "rep_id": rep_of.to_numpy(),
                         "rep_name": rep_of.map(name).astype("string").to_numpy()})


def moved_accounts(ds, assignment: pd.DataFrame, baseline: pd.DataFrame | None = None) -> pd.DataFrame:
    """Accounts whose owner changes: ``account_id``, ``account_name``, ``old_rep_id``,
    ``new_rep_id``, ``potential``, sorted by potential (largest first);
    ``attrs["potential_basis"]`` what potential is (:func:`account_potential`)."""
    acc = ds.accounts
    new = to_accounts(ds, assignment)
    old = to_accounts(ds, baseline) if baseline is not None else acc["owner_rep_id"].astype("string")
    pot, basis = account_potential(acc)
    moved = (new.fillna("<none>") != old.fillna("<none>")).to_numpy()
    out = pd.DataFrame({"account_id": acc["account_id"].astype(str).to_numpy(),
                        "account_name": acc["account_name"].astype("string").to_numpy(),
                        "old_rep_id": old.to_numpy(), "new_rep_id": new.to_numpy(),
                        "potential": pot.to_numpy(float)})[moved]
    out = out.sort_values(["potential", "account_id"], ascending=[False, True]).reset_index(drop=True)
    out.attrs["potential_basis"] = basis
    return out


def write_alignment(ds, assignment: pd.DataFrame, folder, baseline: pd.DataFrame | None = None,
                    reps: pd.DataFrame | None = None) -> dict:
    """Write ``alignment.csv`` and ``moved_accounts.csv`` into ``folder`` (atomically).

    Each file is written to a temporary file in the same folder and renamed into place, so a
    reader never sees half a file. Returns ``{"alignment": path, "moved_accounts": path}``.
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    frames = {"alignment": alignment_table(ds, assignment, reps),
              "moved_accounts": moved_accounts(ds, assignment, baseline)}
    out = {}
    for name, frame in frames.items():
        fd, tmp = tempfile.mkstemp(prefix=f".{name}.", suffix=".csv", dir=folder)
        try:
            with os.fdopen(fd, "w", newline="", encoding="utf-8") as fh:
                frame.to_csv(fh, index=False)
            os.replace(tmp, folder / f"{name}.csv")
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        out[name] = folder / f"{name}.csv"
    return out


# --------------------------------------------------------------------------------------------
# before / after
# --------------------------------------------------------------------------------------------
def rep_changes(before: pd.DataFrame, after: pd.DataFrame) -> pd.DataFrame:
    """Per rep, today vs proposed (from two ``evaluate(...).territories`` frames).

    Columns: ``rep_id``, ``rep_name``, ``rep_label``, ``accounts_today``, ``accounts_proposed``,
    ``potential_today``, ``potential_proposed``, ``potential_change`` (relative),
    ``travel_km_today``, ``travel_km_proposed``, ``accounts_gained``, ``accounts_lost``,
    ``target_potential`` (the rep's capacity-scaled target in the proposal);
    ``attrs["potential_basis"]`` what potential is (from ``evaluate``, so the page can say it).
    """
    cols = ["rep_id", "rep_name", "rep_label", "accounts", "potential", "travel_km"]
    before, after = before.copy(), after.copy()
    for f in (before, after):
        if "rep_label" not in f:
            f["rep_label"] = f["rep_name"]
    if "target_potential" not in after:
        after["target_potential"] = after["potential"].mean()
    m = before[cols].merge(after[cols + ["accounts_gained", "accounts_lost", "target_potential"]],
                           on="rep_id", how="outer", suffixes=("_today", "_proposed"))
    m["rep_name"] = m["rep_name_proposed"].fillna(m["rep_name_today"])
    m["rep_label"] = m["rep_label_proposed"].fillna(m["rep_label_today"])
    for c in ("accounts", "potential"):
        m[f"{c}_today"] = m[f"{c}_today"].fillna(0)
        m[f"{c}_proposed"] = m[f"{c}_proposed"].fillna(0)
    m["potential_change"] = (m["potential_proposed"] / m["potential_today"].where(m["potential_today"] > 0) - 1)
    out = m[["rep_id", "rep_name", "rep_label", "accounts_today", "accounts_proposed", "potential_today",
             "potential_proposed", "potential_change", "travel_km_today", "travel_km_proposed",
             "accounts_gained", "accounts_lost", "target_potential"]].sort_values(
                 "potential_today", ascending=False, ignore_index=True)
    out.attrs = {"potential_basis": after.attrs.get("potential_basis", before.attrs.get(
        "potential_basis", "potential"))}
    return out


def at_risk(ds, assignment: pd.DataFrame, baseline: pd.DataFrame | None = None,
            period: str | None = None, threshold: float = 0.5, as_of=None) -> pd.DataFrame:
    """Per rep who owns accounts in the baseline: what the proposal takes away, with the open
    pipeline as it stood at the end of the report date ``as_of``.

    With :math:`A_r` the accounts rep :math:`r` owns today and :math:`M_r \\subseteq A_r`
    those that move to someone else:

    * ``potential_today`` :math:`= \\sum_{A_r} p_i`, ``potential_lost`` :math:`= \\sum_{M_r} p_i`,
      ``share_lost`` = lost / today (gross: what the rep gains elsewhere does not offset it);
    * ``potential_proposed``: what the rep holds in the proposal (handed-over accounts out,
      accounts taken on in), so a rep who hands over much may still end with more;
    * ``bookings_at_risk``: the rep's **own** won amount on :math:`M_r` closed in ``period``
      (all won deals when no period is given; the scorecard's bookings, credited to the
      deal's rep): never a colleague's deal on the same account, so it is part of the rep's
      own bookings;
    * ``pipeline_at_risk``: the rep's **own** open pipeline on :math:`M_r` **as of**
      ``as_of`` (the relationships a hand-over puts at risk): the deals open at the end of
      that day whose rep then was this rep, with the amount they had then
      (:func:`salesops_lib.measures.open_pipeline_as_of`, read from ``opportunity_history``;
      whatever their close date). Deals created later, or won or lost since, do not count as
      open; ones closed since that were open then do;
    * ``flagged``: ``share_lost > threshold`` (default more than half).

    ``as_of`` defaults to the report date of ``period``
    (:func:`salesops_lib.measures.report_date`: the period's last day once it is over, else
    ``ds.as_of``), or ``ds.as_of`` without a period.

    Columns ``rep_id``, ``rep_name``, ``rep_label``, ``accounts_today``, ``accounts_lost``,
    ``potential_today``, ``potential_lost``, ``share_lost``, ``potential_proposed``,
    ``bookings_at_risk``, ``pipeline_at_risk``, ``flagged``; largest share lost first;
    ``attrs["period"]`` the period of the bookings, ``attrs["potential_basis"]`` what
    potential is (:func:`account_potential`).
    """
    acc = ds.accounts
    new = to_accounts(ds, assignment)
    old = to_accounts(ds, baseline) if baseline is not None else acc["owner_rep_id"].astype("string")
    pot, basis = account_potential(acc)
    pot = pot.to_numpy(float)
    aid = acc["account_id"].astype(str)
    opp = ds.opportunities
    won = opp[opp["status"] == "won"]
    if period is not None and len(won):
        from ..periods import Period
        won = won[Period.parse(period, ds.fiscal_start_month).contains(won["close_date"])]
    owner_of = pd.Series(old.fillna("<none>").astype(str).to_numpy(), index=aid.to_numpy())

    def owners_own(deals):
        """Amount per account of the deals worked by the account's owner today."""
        a = deals["account_id"].astype(str)
        mine = deals[(deals["rep_id"].astype("string").fillna("").to_numpy()
                      == a.map(owner_of).fillna("<none>").to_numpy())]
        return aid.map(mine.groupby(mine["account_id"].astype(str))["amount"].sum()).fillna(0.0)

    book = owners_own(won)
    if as_of is None:
        as_of = report_date(ds, period) if period is not None else ds.as_of
    pipe = owners_own(open_pipeline_as_of(ds, as_of))
    owned = old.notna().to_numpy()
    lost = owned & (new.fillna("<none>") != old).to_numpy()
    f = pd.DataFrame({"rep_id": old.to_numpy()[owned], "lost": lost[owned], "p": pot[owned],
                      "b": book.to_numpy(float)[owned], "o": pipe.to_numpy(float)[owned]})
    f["pl"], f["bl"], f["ol"] = f["p"] * f["lost"], f["b"] * f["lost"], f["o"] * f["lost"]
    g = f.groupby("rep_id").agg(accounts_today=("p", "size"), accounts_lost=("lost", "sum"),
                                potential_today=("p", "sum"), potential_lost=("pl", "sum"),
                                bookings_at_risk=("bl", "sum"), pipeline_at_risk=("ol", "sum"))
    g = g.reset_index()
    rt = rep_frame(ds).set_index("rep_id")
    g.insert(1, "rep_name", g["rep_id"].map(rt["rep_name"].astype("string")).fillna(g["rep_id"]).astype("string"))
    g.insert(2, "rep_label", g["rep_id"].map(rt["rep_label"]).fillna(g["rep_name"]).astype(str))
    g["accounts_lost"] = g["accounts_lost"].astype(int)
    g["share_lost"] = g["potential_lost"] / g["potential_today"].where(g["potential_today"] > 0)
    held = pd.Series(pot).groupby(new.fillna("<none>").astype(str).to_numpy()).sum()
    g["potential_proposed"] = g["rep_id"].astype(str).map(held).fillna(0.0)
    g["flagged"] = g["share_lost"].fillna(0) > threshold
    cols = ["rep_id", "rep_name", "rep_label", "accounts_today", "accounts_lost", "potential_today",
            "potential_lost", "share_lost", "potential_proposed", "bookings_at_risk",
            "pipeline_at_risk", "flagged"]
    out = g[cols].sort_values(["share_lost", "potential_lost"], ascending=False,
                              ignore_index=True, na_position="last")
    out.attrs["period"] = str(period) if period is not None else None
    out.attrs["potential_basis"] = basis
    return out
