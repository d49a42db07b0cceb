"""Territory planning around :func:`salesops_lib.territory.optimize`: sizing, hiring what-if,
CRM export, before/after tables and the plain-language verdict.

All functions are pure except :func:`write_alignment`, the explicit CSV writer.
Re-exported by :mod:`salesops_lib.territory`, so ``territory.what_if(...)`` works.
"""

from __future__ import annotations

import math
import os
import tempfile
from pathlib import Path
from typing import NamedTuple

import numpy as np
import pandas as pd

from .geo import haversine_km
from .measures import account_potential, account_workload
from .territory_optimize import Solution, solve
from .territory_problem import _parse_ids, _rep_table, to_accounts
from .viz import num, pct


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


class Plan(NamedTuple):
    """A proposed alignment, the reps it uses (including planned hires) and how it was found
    (the :class:`~salesops_lib.territory_optimize.Solution`: status, gap, bound, ...)."""

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
    base = _rep_table(ds)
    drop = _parse_ids(remove_reps)
    unknown = sorted(set(drop) - set(base["rep_id"]))
    if unknown:
        raise ValueError(f"remove_reps names reps that do not exist: {unknown[:5]}")
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
    names = _rep_table(ds, reps if reps is not None else None)
    if reps is not None:
        names = pd.concat([names, _rep_table(ds)]).drop_duplicates("rep_id")
    name = pd.Series(names["rep_name"].astype("string").to_numpy(), index=names["rep_id"])
    return pd.DataFrame({"account_id": acc["account_id"].astype(str).to_numpy(),
                         "account_name": acc["account_name"].astype("string").to_numpy(),
                         "rep_id": rep_of.to_numpy(),
                         "rep_name": rep_of.map(name).astype("string").to_numpy()})


def moved_accounts(ds, assignment: pd.DataFrame, baseline: pd.DataFrame | None = None) -> pd.DataFrame:
    """Accounts whose owner changes: ``account_id``, ``account_name``, ``old_rep_id``,
    ``new_rep_id``, ``potential``, sorted by potential (largest first)."""
    acc = ds.accounts
    new = to_accounts(ds, assignment)
    old = to_accounts(ds, baseline) if baseline is not None else acc["owner_rep_id"].astype("string")
    pot, _ = account_potential(acc)
    moved = (new.fillna("<none>") != old.fillna("<none>")).to_numpy()
    out = pd.DataFrame({"account_id": acc["account_id"].astype(str).to_numpy(),
                        "account_name": acc["account_name"].astype("string").to_numpy(),
                        "old_rep_id": old.to_numpy(), "new_rep_id": new.to_numpy(),
                        "potential": pot.to_numpy(float)})[moved]
    return out.sort_values(["potential", "account_id"], ascending=[False, True]).reset_index(drop=True)


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

    Columns: ``rep_id``, ``rep_name``, ``accounts_today``, ``accounts_proposed``,
    ``potential_today``, ``potential_proposed``, ``potential_change`` (relative),
    ``travel_km_today``, ``travel_km_proposed``, ``accounts_gained``, ``accounts_lost``.
    """
    cols = ["rep_id", "rep_name", "accounts", "potential", "travel_km"]
    m = before[cols].merge(after[cols + ["accounts_gained", "accounts_lost"]], on="rep_id",
                           how="outer", suffixes=("_today", "_proposed"))
    m["rep_name"] = m["rep_name_proposed"].fillna(m["rep_name_today"])
    for c in ("accounts", "potential"):
        m[f"{c}_today"] = m[f"{c}_today"].fillna(0)
        m[f"{c}_proposed"] = m[f"{c}_proposed"].fillna(0)
    m["potential_change"] = (m["potential_proposed"] / m["potential_today"].where(m["potential_today"] > 0) - 1)
    return m[["rep_id", "rep_name", "accounts_today", "accounts_proposed", "potential_today",
              "potential_proposed", "potential_change", "travel_km_today", "travel_km_proposed",
              "accounts_gained", "accounts_lost"]].sort_values("potential_today", ascending=False,
                                                               ignore_index=True)


def compare(before: pd.Series, after: pd.Series) -> pd.DataFrame:
    """Headline metrics side by side, formatted for display: ``metric``, ``today``, ``proposed``."""
    rows = [("Largest / smallest territory (potential)", "balance_max_over_min", lambda v: f"{v:.2f}×"),
            ("Largest territory vs mean", "balance_max_over_mean", lambda v: f"{v:.2f}×"),
            ("Coefficient of variation (potential)", "balance_cv", pct),
            ("Territories within ±10% of mean", "share_within_10pct", pct),
            ("Coefficient of variation (workload)", "workload_cv", pct),
            ("Potential-weighted travel", "travel_km", lambda v: f"{num(v)} km"),
            ("Compactness (distance to centroid)", "compactness_km", lambda v: f"{num(v)} km"),
            ("Accounts changing owner", "disruption_accounts", pct),
            ("Potential changing owner", "disruption_potential", pct)]
    if pd.notna(after.get("contiguity", np.nan)):
        rows.append(("Contiguous territories", "contiguity", pct))

    def show(s, key, f):
        v = s.get(key, np.nan)
        return "–" if v is None or (isinstance(v, float) and not math.isfinite(v)) else f(v)
    return pd.DataFrame([{"metric": label, "today": show(before, k, f), "proposed": show(after, k, f)}
                         for label, k, f in rows])


def verdict(before: pd.Series, after: pd.Series, tolerance: float = 0.05,
            balance_on="potential") -> str:
    """One plain-language sentence on today's alignment and the proposal.

    E.g. "Today the largest territory holds 2.3× the potential of the smallest; the proposal
    brings every territory within ±5% of the mean while moving 11% of accounts (14% of
    potential), and cuts potential-weighted travel from 420 km to 180 km."

    The spread is read on the balanced measure (``balance_on``: potential or workload; with
    several, the largest deviation among them), from two ``evaluate(...).summary`` Series.
    """
    measures = [balance_on] if isinstance(balance_on, str) else list(balance_on)
    keys = {"potential": ("balance_max_over_min", "max_deviation"),
            "workload": ("workload_max_over_min", "workload_max_deviation")}
    measures = [m for m in measures if m in keys] or ["potential"]
    main = measures[0]
    ratio = before.get(keys[main][0], np.nan)
    if not np.isfinite(ratio):
        head = (f"Today at least one territory has no {main} at all" if before.get("territories", 0) > 1
                else "Today there is a single territory")
    else:
        head = f"Today the largest territory holds {ratio:.1f}× the {main} of the smallest"
    dev = max(after.get(keys[m][1], np.nan) for m in measures)
    what = " and ".join(measures)
    moved = (f"moving {pct(after.get('disruption_accounts', 0))} of accounts "
             f"({pct(after.get('disruption_potential', 0))} of potential)")
    if np.isfinite(dev) and dev <= tolerance + 1e-9:
        band = math.ceil(dev * 100 - 1e-9) if dev > 0 else 0
        body = (f"the proposal brings every territory within ±{max(band, 0)}% of the mean"
                f"{'' if what == 'potential' else ' ' + what} while {moved}")
    elif np.isfinite(dev):
        body = (f"the proposal narrows the spread of {what} to ±{dev:.1%} of the mean "
                f"(target ±{tolerance:.0%} not reached) while {moved}")
    else:
        body = f"the proposal changes the alignment by {moved}"
    t0, t1 = before.get("travel_km", np.nan), after.get("travel_km", np.nan)
    tail = ""
    if np.isfinite(t0) and np.isfinite(t1) and t0 > 0:
        verb = "cuts" if t1 < t0 else "raises"
        tail = f", and {verb} potential-weighted travel from {num(t0)} km to {num(t1)} km"
    return f"{head}; {body}{tail}."


def kpi_cards(summary: pd.Series) -> list[tuple[str, str, str]]:
    """Headline numbers of one alignment for :func:`viz.kpis`: ``(label, value, note)``."""
    ratio = summary.get("balance_max_over_min", np.nan)
    return [
        ("Territories", num(summary.get("territories")), f"{num(summary.get('accounts'))} accounts"),
        ("Largest vs smallest", f"{ratio:.1f}×" if np.isfinite(ratio) else "–",
         "potential of the largest over the smallest territory"),
        ("Balance CV", pct(summary.get("balance_cv")), "spread of potential across territories"),
        ("Within ±10% of mean", pct(summary.get("share_within_10pct")), "share of territories"),
        ("Travel", f"{num(summary.get('travel_km'))} km", "potential-weighted, from the rep's home"),
    ]


def solver_note(assignment: pd.DataFrame) -> str:
    """How the proposal was found, in one sentence (method, time, gap to the lower bound)."""
    a = assignment.attrs
    if not a:
        return "This alignment was not produced by territory.optimize."
    how = {"milp": "the exact MILP (HiGHS)",
           "lp+local": "LP relaxation, rounding and local search (HiGHS)",
           "greedy+local": "a greedy start and local search (the LP did not finish in time)",
           }.get(a.get("method"), a.get("method"))
    gap = a.get("gap", np.nan)
    bound = ("the lower bound" if a.get("method") == "milp" else "the LP lower bound")
    gap_txt = (f"its travel is within {gap:.1%} of {bound}" if np.isfinite(gap) else "no bound is known")
    status = {"optimal": "proven optimal", "time_limit": "stopped at the time limit",
              "feasible": "all constraints met",
              "band_not_met": "balance band not fully met"}.get(a.get("status"), a.get("status"))
    return f"Found by {how} in {a.get('seconds', np.nan):.1f} s ({status}); {gap_txt}."
