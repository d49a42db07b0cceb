"""Stage conversion and velocity, with open deals censored rather than dropped.

**Stage entries.** A deal's first entry into each stage, from ``opportunity_history`` (the
first row showing the stage), else from ``stage_history`` (``entered_date``), else only its
current stage at creation. Open stages are ordered by the median days from creation to first
entry (:func:`stage_order`); won and lost are outcomes, not stages.

**Conversion by flow** (:func:`flow_conversion`). For the deals that entered stage ``k`` in
the window: time from entering ``k`` to the first of (entering a later stage or winning:
*advanced*; losing: *lost*); a deal still open in ``k`` at ``as_of`` is censored. The
conversion is the Aalen–Johansen cumulative incidence of *advanced* at the longest time seen::

    S(t) = Π_{u ≤ t} (1 − (a_u + l_u) / n_u),   F_adv(t) = Σ_{u ≤ t} S(u−) · a_u / n_u

(``n_u`` at risk, ``a_u`` advanced, ``l_u`` lost at ``u``): open deals neither count as lost
nor vanish. ``naive`` = advanced / entered shows what dropping them would say.

**Conversion by cohort** (:func:`cohort_funnel`). Deals created in a period: for each stage,
the cumulative incidence of reaching it (or any later stage, or winning) against losing
before it, time from creation.

**Days in stage** (:func:`stage_durations`, :func:`stage_norms`): entry to the next stage
entry or close; still in the stage at ``as_of`` is censored. Norms are Kaplan–Meier median
and 75th percentile per stage; a deal is *stuck* when its days in its current stage exceed
the stage's p75. The stall stage is the stage with the longest median.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..measures import rep_names_by_id, state_as_of
from ..periods import Period


def _as_of(ds, as_of) -> pd.Timestamp:
    return pd.Timestamp(ds.as_of if as_of is None else as_of).normalize()


def has_stage_dates(ds) -> bool:
    """True when the source records when deals entered their stages: an
    ``opportunity_history`` with stages, or a ``stage_history``. Without either, only each
    open deal's current stage is known (from its creation), so stage-to-stage conversion and
    days in stage cannot be measured: a lost deal's stages, and when any deal moved, are
    unknown."""
    h = ds.opportunity_history
    has_hist = h is not None and len(h) and "stage" in h.columns and h["stage"].notna().any()
    return bool(has_hist or len(ds.stage_history))


def stage_entries(ds, as_of=None) -> pd.DataFrame:
    """First entry of each deal into each stage known by ``as_of``.

    Returns ``opportunity_id``, ``stage``, ``entered`` (Timestamp), sorted by deal and time.
    """
    d = _as_of(ds, as_of) + pd.Timedelta(days=1)
    h = ds.opportunity_history
    if h is not None and len(h) and h["stage"].notna().any():
        e = h[["opportunity_id", "stage", "changed_at"]].rename(columns={"changed_at": "entered"})
        rest = ds.stage_history[~ds.stage_history["opportunity_id"].isin(h["opportunity_id"])]
        e = pd.concat([e, rest.rename(columns={"entered_date": "entered"})], ignore_index=True)
    elif len(ds.stage_history):
        e = ds.stage_history.rename(columns={"entered_date": "entered"})[
            ["opportunity_id", "stage", "entered"]]
    else:
        o = ds.opportunities
        e = o[o["status"] == "open"][["opportunity_id", "stage", "created_date"]].rename(
            columns={"created_date": "entered"})
    e = e.dropna(subset=["stage", "entered"])
    if not pd.api.types.is_datetime64_any_dtype(e["entered"]):
        e = e.assign(entered=pd.to_datetime(e["entered"]))
    e = e[e["entered"] < d]
    e = e.sort_values(["opportunity_id", "entered"], kind="stable")
    return e.drop_duplicates(["opportunity_id", "stage"]).reset_index(drop=True)


def stage_order(ds, entries: pd.DataFrame | None = None) -> list[str]:
    """Open stages in funnel order: by median days from creation to first entry."""
    e = stage_entries(ds) if entries is None else entries
    o = ds.opportunities
    closed_names = set(o.loc[o["status"] != "open", "stage"].dropna().astype(str))
    open_names = set(o.loc[o["status"] == "open", "stage"].dropna().astype(str))
    e = e[~e["stage"].isin(closed_names - open_names)]
    created = e["opportunity_id"].map(o.set_index("opportunity_id")["created_date"])
    age = (e["entered"] - created).dt.days
    med = age.groupby(e["stage"]).median().sort_values(kind="stable")
    return [str(s) for s in med.index]


def cumulative_incidence(time, event) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Aalen–Johansen estimate for event code 1 against competing code 2 (0 = censored).

    Returns ``(times, cif_1, survival)`` at each distinct time (vectorised over ties: events
    at ``t`` happen before censoring at ``t``).
    """
    t = np.asarray(time, float)
    ev = np.asarray(event, int)
    if len(t) == 0:
        return np.array([]), np.array([]), np.array([])
    ut, inv = np.unique(t, return_inverse=True)
    n_at = len(t) - np.concatenate([[0], np.cumsum(np.bincount(inv, minlength=len(ut)))[:-1]])
    d1 = np.bincount(inv, weights=(ev == 1), minlength=len(ut))
    d2 = np.bincount(inv, weights=(ev == 2), minlength=len(ut))
    surv = np.cumprod(1 - (d1 + d2) / n_at)
    before = np.concatenate([[1.0], surv[:-1]])
    return ut, np.cumsum(before * d1 / n_at), surv


def km_quantiles(time, event, qs=(0.5, 0.75)) -> list[float]:
    """Kaplan–Meier quantiles: smallest ``t`` with ``S(t) ≤ 1 − q`` (NaN when not reached)."""
    ut, _, surv = cumulative_incidence(time, np.where(np.asarray(event) == 1, 1, 0))
    out = []
    for q in qs:
        hit = np.flatnonzero(surv <= 1 - q + 1e-12)
        out.append(float(ut[hit[0]]) if len(hit) else np.nan)
    return out


def _outcomes(ds, as_of):
    st = state_as_of(ds, as_of).set_index("opportunity_id")
    return st["status"], st["close_date"]


def flow_conversion(ds, window=None, as_of=None) -> pd.DataFrame:
    """Stage-to-next conversion of the deals that entered each stage in ``window``.

    ``window``: period label or (first, last) dates of entry; default the 365 days to
    ``as_of``. Returns ``stage``, ``next_stage``, ``entered``, ``advanced``, ``lost``,
    ``open`` (censored), ``naive`` (advanced / entered), ``conversion`` (Aalen–Johansen),
    ``median_days`` (to advance, among those who did). No rows when the source has no stage
    dates (:func:`has_stage_dates`): every deal would read as still in its first stage.
    """
    d = _as_of(ds, as_of)
    if not has_stage_dates(ds):
        return pd.DataFrame(columns=["stage", "next_stage", "entered", "advanced", "lost",
                                     "open", "naive", "conversion", "median_days"])
    ent = stage_entries(ds, d)
    order = stage_order(ds, ent)
    lo, hi = _window(ds, window, d)
    status, close = _outcomes(ds, d)
    rank = {s: i for i, s in enumerate(order)}
    ent = ent[ent["stage"].isin(order)].assign(rank=lambda x: x["stage"].map(rank))
    rows = []
    for k, stage in enumerate(order):
        here = ent[(ent["rank"] == k) & (ent["entered"] >= lo) & (ent["entered"] <= hi)]
        later = ent[ent["rank"] > k].groupby("opportunity_id")["entered"].min()
        t_adv = here["opportunity_id"].map(later)
        st = here["opportunity_id"].map(status)
        cd = here["opportunity_id"].map(close)
        won = (st == "won") & t_adv.isna()
        t_adv = t_adv.where(~won, cd)
        lost = (st == "lost") & t_adv.isna()
        event = np.where(t_adv.notna(), 1, np.where(lost, 2, 0))
        end = t_adv.where(t_adv.notna(), cd.where(lost, d))
        days = (end - here["entered"]).dt.days.clip(lower=0).to_numpy(float)
        _, cif, _ = cumulative_incidence(days, event)
        rows.append({"stage": stage, "next_stage": order[k + 1] if k + 1 < len(order) else "won",
                     "entered": len(here), "advanced": int((event == 1).sum()),
                     "lost": int((event == 2).sum()), "open": int((event == 0).sum()),
                     "naive": (event == 1).mean() if len(here) else np.nan,
                     "conversion": cif[-1] if len(cif) else np.nan,
                     "median_days": float(np.median(days[event == 1])) if (event == 1).any()
                     else np.nan})
    return pd.DataFrame(rows)


def _window(ds, window, d):
    if window is None:
        return d - pd.Timedelta(days=364), d
    if isinstance(window, (str, Period)):
        P = Period.parse(window, ds.fiscal_start_month)
        return P.start, min(P.end, d)
    return pd.Timestamp(window[0]), pd.Timestamp(window[1])


def cohort_funnel(ds, cohort=None, as_of=None) -> pd.DataFrame:
    """Share of the deals created in ``cohort`` that reach each stage, and win.

    Returns ``stage`` (funnel order, then "won"), ``deals`` (cohort size), ``reached``
    (observed by ``as_of``), ``observed_share`` (reached / deals) and ``share`` (cumulative
    incidence of reaching it against losing before it, open deals censored). Without stage
    dates (:func:`has_stage_dates`) only "won" is measured: a lost deal's stages are unknown,
    so a share reaching an open stage would count every lost deal as lost before it.
    """
    d = _as_of(ds, as_of)
    lo, hi = _window(ds, cohort, d)
    ent = stage_entries(ds, d)
    order = stage_order(ds, ent) if has_stage_dates(ds) else []
    o = ds.opportunities
    coh = o[(o["created_date"] >= lo) & (o["created_date"] <= hi)]["opportunity_id"]
    status, close = _outcomes(ds, d)
    created = coh.map(o.set_index("opportunity_id")["created_date"])
    st, cd = coh.map(status), coh.map(close)
    rank = {s: i for i, s in enumerate(order)}
    e = ent[ent["opportunity_id"].isin(coh) & ent["stage"].isin(order)]
    e = e.assign(rank=e["stage"].map(rank))
    rows = []
    for k, stage in enumerate(order + ["won"]):
        if stage == "won":
            t_hit = cd.where(st == "won")
        else:
            t_hit = coh.map(e[e["rank"] >= k].groupby("opportunity_id")["entered"].min())
            t_hit = t_hit.where(t_hit.notna(), cd.where(st == "won"))
        lost = (st == "lost") & t_hit.isna()
        event = np.where(t_hit.notna(), 1, np.where(lost, 2, 0))
        end = t_hit.where(t_hit.notna(), cd.where(lost, d))
        days = (end - created).dt.days.clip(lower=0).to_numpy(float)
        _, cif, _ = cumulative_incidence(days, event)
        rows.append({"stage": stage, "deals": len(coh), "reached": int((event == 1).sum()),
                     "observed_share": (event == 1).mean() if len(coh) else np.nan,
                     "share": cif[-1] if len(cif) else np.nan})
    return pd.DataFrame(rows)


def stage_durations(ds, as_of=None) -> pd.DataFrame:
    """Days each deal spent in each open stage: ``opportunity_id``, ``stage``, ``entered``,
    ``days``, ``event`` (1 = left the stage, 0 = still in it at ``as_of``)."""
    d = _as_of(ds, as_of)
    ent = stage_entries(ds, d)
    order = stage_order(ds, ent)
    status, close = _outcomes(ds, d)
    ent = ent[ent["opportunity_id"].isin(status.index)]
    nxt = ent.groupby("opportunity_id")["entered"].shift(-1)
    closed = ent["opportunity_id"].map(status) != "open"
    leave = nxt.where(nxt.notna(), ent["opportunity_id"].map(close).where(closed))
    ent = ent.assign(days=(leave.fillna(d) - ent["entered"]).dt.days.clip(lower=0),
                     event=leave.notna().astype(int))
    return ent[ent["stage"].isin(order)].reset_index(drop=True)


def stage_norms(ds, as_of=None, durations: pd.DataFrame | None = None) -> pd.DataFrame:
    """The org's own days-in-stage norms: ``stage``, ``deals``, ``median_days``, ``p75_days``
    (Kaplan–Meier, open deals censored), ``stall`` (True for the longest median)."""
    dur = stage_durations(ds, as_of) if durations is None else durations
    order = stage_order(ds, stage_entries(ds, as_of))
    rows = []
    for stage in order:
        g = dur[dur["stage"] == stage]
        med, p75 = km_quantiles(g["days"], g["event"])
        rows.append({"stage": stage, "deals": len(g), "median_days": med, "p75_days": p75})
    out = pd.DataFrame(rows)
    out["stall"] = False
    if len(out) and out["median_days"].notna().any():
        out.loc[out["median_days"].idxmax(), "stall"] = True
    return out


def stuck_deals(ds, as_of=None) -> pd.DataFrame:
    """Open deals whose days in their current stage exceed the stage's p75.

    Returns ``opportunity_id``, ``account_name``, ``rep_name``, ``stage``, ``amount``,
    ``days_in_stage``, ``p75_days``, ``over_norm`` (days / p75), largest amount first.
    """
    d = _as_of(ds, as_of)
    dur = stage_durations(ds, d)
    norms = stage_norms(ds, d, dur).set_index("stage")
    st = state_as_of(ds, d)
    st = st[st["status"] == "open"]
    cur = dur[dur["event"] == 0].drop_duplicates("opportunity_id", keep="last")
    cur = cur.merge(st[["opportunity_id", "amount", "rep_id", "account_id"]], on="opportunity_id")
    cur["p75_days"] = cur["stage"].map(norms["p75_days"])
    cur = cur[cur["days"] > cur["p75_days"]]
    cur = cur.assign(days_in_stage=cur["days"], over_norm=cur["days"] / cur["p75_days"],
                     account_name=cur["account_id"].map(
                         ds.accounts.set_index("account_id")["account_name"]),
                     rep_name=cur["rep_id"].astype(str).map(rep_names_by_id(ds.reps)))
    cols = ["opportunity_id", "account_name", "rep_name", "stage", "amount", "days_in_stage",
            "p75_days", "over_norm"]
    return cur[cols].sort_values(["amount", "over_norm"], ascending=False).reset_index(drop=True)
