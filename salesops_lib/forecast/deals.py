"""The open pipeline as it stood on a date: each deal's state and how deals moved through stages.

Everything here reads the deals *as they stood* on the as-of date, through
:func:`salesops_lib.measures.state_as_of` (the last ``opportunity_history`` row of each deal
on or before that day; for sources without history, the ``opportunities`` row read back in
time): amount, stage, forecast category, expected close date, owner and status. Stage entry
dates come from ``opportunity_history`` (the first row of every run of one stage) for deals
that have history, from ``stage_history`` for the others.

:func:`snapshot` is the as-of pipeline; :func:`stage_episodes` is how the deals closed by then
went through each stage (the evidence the win and timing probabilities are counted on).
"""

from __future__ import annotations

import weakref

import numpy as np
import pandas as pd

from ..measures import UNRECORDED_STAGE, state_as_of

#: Correlation of deal outcomes when none is given and none can be estimated.
NO_CORRELATION = {"team": 0.0, "all": 0.0, "n_points": 0}


def terminal_stages(ds) -> set[str]:
    """Stage names that mark a closed deal (e.g. ``Closed Won``), never an open one."""
    opp = ds.opportunities
    closed = set(opp.loc[opp["status"] != "open", "stage"].astype(str))
    h = getattr(ds, "opportunity_history", None)
    if h is not None and len(h) and "stage" in h and "status" in h:
        closed |= set(h.loc[h["status"].isin(["won", "lost"]), "stage"].dropna().astype(str))
        open_h = set(h.loc[h["status"] == "open", "stage"].dropna().astype(str))
    else:
        open_h = set()
    return closed - set(opp.loc[opp["status"] == "open", "stage"].astype(str)) - open_h


def stage_entries(ds) -> pd.DataFrame:
    """When each deal entered each stage: ``opportunity_id``, ``stage``, ``entered_date``.

    From ``opportunity_history`` (a row whose stage differs from the deal's previous row is an
    entry) for deals with history; from ``stage_history`` for deals without any history row.
    """
    cols = ["opportunity_id", "stage", "entered_date"]
    h = getattr(ds, "opportunity_history", None)
    parts = []
    with_hist = set()
    if h is not None and len(h) and "stage" in h:
        g = h.dropna(subset=["stage"]).sort_values(["opportunity_id", "changed_at"],
                                                   kind="stable")
        ids = g["opportunity_id"].astype(str)
        st = g["stage"].astype(str)
        new = (ids != ids.shift()) | (st != st.shift())
        parts.append(pd.DataFrame({"opportunity_id": ids[new].to_numpy(),
                                   "stage": st[new].to_numpy(),
                                   "entered_date": pd.to_datetime(g.loc[new, "changed_at"])
                                   .dt.normalize().to_numpy()}))
        with_hist = set(h["opportunity_id"].astype(str))
    sh = ds.stage_history
    if sh is not None and len(sh):
        keep = ~sh["opportunity_id"].astype(str).isin(with_hist)
        parts.append(pd.DataFrame({"opportunity_id": sh.loc[keep, "opportunity_id"].astype(str),
                                   "stage": sh.loc[keep, "stage"].astype(str),
                                   "entered_date": pd.to_datetime(sh.loc[keep,
                                                                         "entered_date"])}))
    if not parts:
        return pd.DataFrame({c: pd.Series(dtype="M8[ns]" if c == "entered_date" else object)
                             for c in cols})
    return pd.concat(parts, ignore_index=True)[cols]


_PREPARED: dict[int, tuple] = {}


def once_per_dataset(cache: dict, ds, build):
    """``build(ds)``, computed once per Dataset object and kept in ``cache`` (keyed by the
    object, held weakly; at most 9 kept)."""
    hit = cache.get(id(ds))
    if hit is not None and hit[0]() is ds:
        return hit[1]
    value = build(ds)
    if len(cache) > 8:
        cache.clear()
    try:
        ref = weakref.ref(ds)
    except TypeError:
        ref = (lambda: ds)
    cache[id(ds)] = (ref, value)
    return value


def _prepared(ds):
    """Integer-coded opportunities and sorted, non-terminal stage entries of ``ds``, built
    once per Dataset (as-of dates are then cheap boolean filters)."""
    return once_per_dataset(_PREPARED, ds, _prepare)


def _prepare(ds):
    opp = ds.opportunities
    ids = opp["opportunity_id"].astype(str).to_numpy()
    code = pd.Series(np.arange(len(opp)), index=ids)
    h = stage_entries(ds)
    h = h[~h["stage"].isin(terminal_stages(ds))]
    hist = pd.DataFrame({"code": h["opportunity_id"].astype(str).map(code).to_numpy(),
                         "stage": h["stage"].astype(str).to_numpy(),
                         "entered": h["entered_date"].to_numpy()})
    hist = hist.dropna(subset=["code"]).astype({"code": np.int64})
    hist = hist.sort_values(["code", "entered"], kind="stable").reset_index(drop=True)
    return {"ids": ids, "code": code, "stage": opp["stage"].astype(str).to_numpy(),
            "hist": hist}


def snapshot(ds, as_of, state: pd.DataFrame | None = None) -> pd.DataFrame:
    """Every opportunity created by ``as_of``, as it stood at the end of that day.

    ``state`` is :func:`~salesops_lib.measures.state_as_of` ``(ds, as_of)`` when the caller
    already has it.

    Returns
    -------
    DataFrame
        ``code`` (row in ``ds.opportunities``), ``opportunity_id``, ``rep_id`` (the owner
        then), ``account_id``, ``amount`` (then), ``created_date``, ``status`` (then),
        ``close_date`` (NaT unless closed by ``as_of``), ``expected_close`` (the close date
        the CRM showed then), ``forecast_category`` (then; for a source without history the
        final one), ``from_history`` (bool), ``stage`` and ``stage_entered`` (the last
        non-terminal stage entered by ``as_of``; the state's stage, entered at creation, if
        the deal has no stage dates).
    """
    day = pd.Timestamp(as_of).normalize()
    as64 = np.datetime64(day)
    prep = _prepared(ds)
    st = state_as_of(ds, day) if state is None else state
    keep = prep["code"].reindex(st["opportunity_id"].astype(str)).to_numpy()
    status = st["status"].astype(str).to_numpy()
    closed = np.isin(status, ["won", "lost"])
    h = prep["hist"]
    h = h[h["entered"].to_numpy() <= as64]
    c = h["code"].to_numpy()
    last = np.r_[c[1:] != c[:-1], True] if len(c) else np.array([], dtype=bool)
    n = len(prep["ids"])
    last_stage = np.full(n, None, dtype=object)
    last_entered = np.full(n, np.datetime64("NaT"), dtype="M8[ns]")
    last_stage[c[last]] = h["stage"].to_numpy()[last]
    last_entered[c[last]] = h["entered"].to_numpy()[last]
    stage = last_stage[keep]
    no_hist = pd.isna(stage)
    stage[no_hist] = np.where(status[no_hist] == "open", st["stage"].astype(str).to_numpy()
                              [no_hist], "(unknown)")
    created = pd.to_datetime(st["created_date"]).to_numpy()
    entered = last_entered[keep]
    entered = np.where(np.isnat(entered), created, entered)
    close = pd.to_datetime(st["close_date"]).to_numpy()
    cat = (st["forecast_category"] if "forecast_category" in st
           else pd.Series(pd.NA, index=st.index))
    return pd.DataFrame({
        "code": keep.astype(np.int64),
        "opportunity_id": st["opportunity_id"].astype(str).to_numpy(),
        "rep_id": st["rep_id"].to_numpy(),
        "account_id": st["account_id"].to_numpy(),
        "amount": st["amount"].to_numpy(dtype=float),
        "created_date": created,
        "status": np.where(closed, status, "open"),
        "close_date": np.where(closed, close, np.datetime64("NaT")),
        "expected_close": close,
        "forecast_category": cat.to_numpy(),
        "from_history": st["from_history"].to_numpy(dtype=bool),
        "stage": stage.astype(str),
        "stage_entered": entered,
    })


def stage_episodes(ds, as_of, *, max_per_stage: int = 20_000, snap=None) -> pd.DataFrame:
    """How closed deals went through each stage, as known on ``as_of``.

    Returns
    -------
    DataFrame
        One row per closed deal × stage it reached (``max_per_stage`` most recent per stage):
        ``stage``, ``entered_date``, ``stay`` (days in the stage: to the next stage or to
        closing), ``days`` (days from entering the stage to closing), ``won`` (bool). Deals
        still open on ``as_of`` are censored (left out): their outcome is not known yet.
        A closed deal with no recorded stage before closing (a source without history or
        stage dates, like the Maven export) gives one episode in
        :data:`~salesops_lib.measures.UNRECORDED_STAGE` from its creation, the stage open deals
        of such a source are in, so their odds and timing come from deals like them.
    """
    as64 = np.datetime64(pd.Timestamp(as_of).normalize())
    snap = snapshot(ds, as_of) if snap is None else snap
    done = snap[snap["status"] != "open"]
    n = len(ds.opportunities)
    close = np.full(n, np.datetime64("NaT"), dtype="M8[ns]")
    close[done["code"].to_numpy()] = done["close_date"].to_numpy()
    won = np.zeros(n, dtype=bool)
    won[done["code"].to_numpy()] = done["status"].to_numpy() == "won"
    h = _prepared(ds)["hist"]
    c = h["code"].to_numpy()
    h = h[(h["entered"].to_numpy() <= as64) & ~np.isnat(close[c])]
    ep = h.drop_duplicates(["code", "stage"], keep="first")     # first entry into each stage
    has_stage = np.zeros(n, dtype=bool)       # a mask, not setdiff1d's sort of 1M codes
    has_stage[ep["code"].to_numpy()] = True
    d = done["code"].to_numpy()
    bare = np.sort(d[~has_stage[d]])
    if len(bare):                      # closed with no stage on record: one episode from creation
        created = pd.to_datetime(ds.opportunities["created_date"]).to_numpy()
        ep = pd.concat([ep, pd.DataFrame({"code": bare, "stage": UNRECORDED_STAGE,
                                          "entered": created[bare]})], ignore_index=True)
        ep = ep[~np.isnat(ep["entered"].to_numpy())]
        ep = ep.sort_values(["code", "entered"], kind="stable")
    c = ep["code"].to_numpy()
    ent = ep["entered"].to_numpy()
    same_next = np.r_[c[1:] == c[:-1], False]
    nxt = np.where(same_next, np.r_[ent[1:], np.datetime64("NaT")], close[c])
    day = np.timedelta64(1, "D")
    ep = pd.DataFrame({"stage": ep["stage"].to_numpy(), "entered_date": ent,
                       "stay": (nxt - ent) / day, "days": (close[c] - ent) / day,
                       "won": won[c]})
    ep = ep.sort_values("entered_date", kind="stable").groupby("stage").tail(max_per_stage)
    return ep.reset_index(drop=True)


# --------------------------------------------------------------------------------------------
# deal outcomes that move together (the pipeline interval; see pipeline_forecast)
# --------------------------------------------------------------------------------------------
def _team_parts(deals: pd.DataFrame, q: np.ndarray) -> tuple[pd.Series, pd.Series]:
    """Per team: :math:`S_t = \\sum a_i\\sqrt{q_i(1-q_i)}` and :math:`V_t = \\sum a_i^2 q_i(1-q_i)`."""
    s = deals["amount"].to_numpy(float) * np.sqrt(q * (1 - q))
    g = pd.Series(s, index=deals.index).groupby(deals["team"].to_numpy())
    return g.sum(), (pd.Series(s ** 2, index=deals.index)).groupby(deals["team"].to_numpy()).sum()


def correlated_variance(deals: pd.DataFrame, corr: dict) -> float:
    """Variance of the open deals' won amount under the team / all correlation model.

    ``deals`` has ``amount``, ``q`` and ``team``; ``corr`` has ``team`` and ``all``
    (module docstring).
    """
    if deals.empty:
        return 0.0
    S_t, V_t = _team_parts(deals, deals["q"].to_numpy(float))
    V, S = float(V_t.sum()), float(S_t.sum())
    within = float((S_t ** 2 - V_t).sum())
    across = S ** 2 - float((S_t ** 2).sum())
    return V + corr.get("team", 0.0) * within + corr.get("all", 0.0) * across


def correlation(points: pd.DataFrame) -> dict:
    """Deal-outcome correlations within a team and across teams, from past replays.

    Parameters
    ----------
    points : DataFrame
        Deal-level predictions at past as-of points with known outcomes
        (:func:`calibration_points`): ``period``, ``week``, ``team``, ``amount``, ``q``,
        ``outcome`` (1 won in the period).

    Returns
    -------
    dict
        ``team``, ``all`` (method-of-moments estimates, module docstring, in [0, 1] with
        ``all`` ≤ ``team``) and ``n_points`` (past as-of points used).
    """
    if points is None or points.empty:
        return dict(NO_CORRELATION)
    p = points.assign(_e=points["amount"] * (points["outcome"] - points["q"]),
                      _s=points["amount"] * np.sqrt(points["q"] * (1 - points["q"])))
    p["_v"] = p["_s"] ** 2
    t = p.groupby(["period", "week", "team"])[["_e", "_s", "_v"]].sum()
    num_t = float((t["_e"] ** 2 - t["_v"]).sum())
    den_t = float((t["_s"] ** 2 - t["_v"]).sum())
    k = t.groupby(level=["period", "week"])
    num_a = float((k["_e"].sum() ** 2 - k["_e"].apply(lambda e: (e ** 2).sum())).sum())
    den_a = float((k["_s"].sum() ** 2 - k["_s"].apply(lambda s: (s ** 2).sum())).sum())
    rho_t = float(np.clip(num_t / den_t, 0, 1)) if den_t > 0 else 0.0
    rho_a = float(np.clip(num_a / den_a, 0, rho_t)) if den_a > 0 else 0.0
    return {"team": rho_t, "all": rho_a, "n_points": int(k.ngroups)}
