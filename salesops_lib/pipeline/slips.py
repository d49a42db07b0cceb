"""Slips: how often and how far deals' close dates move, and whose deals slip chronically.

* :func:`deal_slips` — per deal, from its close-date history: ``push_count`` (changes to a
  later close date), ``pull_count`` (to an earlier one), ``slip_days`` = Σ days of the pushes,
  ``first_close_date``, ``close_date`` (as of the date).
* :func:`rep_slip_rates` — per rep, the share of deals whose close date came due that slipped
  at least once, with a Wilson interval, against the org rate: one-sided binomial p-value
  ``P(X ≥ k | n, org rate)`` and Benjamini–Hochberg q-values over all reps, so "chronic" is
  a finding that survives comparing many reps at once, not the top of a ranking.
* :func:`slip_probability` — the probability that an open deal due within ``horizon_days``
  of a month-end snapshot is still open on its close date, by stage and age at the snapshot.

Close-date pushes need ``opportunity_history``: deals without history have no recorded
pushes, so these views are empty on a source without it.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats
from statsmodels.stats.multitest import multipletests
from statsmodels.stats.proportion import proportion_confint

from ..measures import rep_names_by_id, state_as_of
from .waterfall import history_rows

AGE_BINS = (0, 30, 90, 180, 365, np.inf)
AGE_LABELS = ("0-30 days", "31-90 days", "91-180 days", "181-365 days", "over 365 days")


def _as_of(ds, as_of) -> pd.Timestamp:
    return pd.Timestamp(ds.as_of if as_of is None else as_of).normalize()


def deal_slips(ds, as_of=None) -> pd.DataFrame:
    """Push count and slip days of every deal with history, from changes up to ``as_of``.

    Returns
    -------
    DataFrame
        ``opportunity_id``, ``rep_id`` (owner as of), ``status`` (as of), ``first_close_date``,
        ``close_date``, ``push_count``, ``pull_count``, ``slip_days`` (Σ forward moves, days).
    """
    d = _as_of(ds, as_of)
    h = history_rows(ds)
    h = h[~h["synthetic"] & (h["changed_at"] < d + pd.Timedelta(days=1))]
    h = h[h["close_date"].notna()]
    cols = ["opportunity_id", "rep_id", "status", "first_close_date", "close_date", "push_count",
            "pull_count", "slip_days"]
    if h.empty:
        return pd.DataFrame({c: pd.Series(dtype="float64") for c in cols})
    step = h.groupby("opportunity_id", sort=False)["close_date"].diff().dt.days
    h = h.assign(push=(step > 0).astype(int), pull=(step < 0).astype(int),
                 fwd=step.clip(lower=0).fillna(0.0))
    g = h.groupby("opportunity_id", sort=True)
    out = pd.DataFrame({"rep_id": g["rep_id"].last(), "status": g["status"].last(),
                        "first_close_date": g["close_date"].first(),
                        "close_date": g["close_date"].last(), "push_count": g["push"].sum(),
                        "pull_count": g["pull"].sum(), "slip_days": g["fwd"].sum()})
    return out.reset_index()[cols]


def rep_slip_rates(ds, as_of=None, level: float = 0.9, alpha: float = 0.1,
                   min_deals: int = 5) -> pd.DataFrame:
    """Per rep: share of deals that slipped at least once, against the org rate.

    A deal counts when its first close date fell on or before ``as_of`` (it came due);
    ``slipped`` when ``push_count ≥ 1``. ``rate = slipped / deals`` with a Wilson interval at
    ``level``; ``p_value = P(Binomial(deals, org_rate) ≥ slipped)``; ``q_value`` the
    Benjamini–Hochberg adjustment over the reps with ``deals ≥ min_deals``; ``chronic`` =
    ``q_value ≤ alpha``.

    Returns ``rep_id``, ``rep_name``, ``deals``, ``slipped``, ``rate``, ``rate_low``,
    ``rate_high``, ``org_rate``, ``p_value``, ``q_value``, ``chronic``, sorted by rate.
    """
    d = _as_of(ds, as_of)
    s = deal_slips(ds, d)
    cols = ["rep_id", "rep_name", "deals", "slipped", "rate", "rate_low", "rate_high",
            "org_rate", "p_value", "q_value", "chronic"]
    s = s[s["first_close_date"] <= d] if len(s) else s
    if s.empty:
        return pd.DataFrame({c: pd.Series(dtype="float64") for c in cols})
    s = s.assign(slipped=(s["push_count"] >= 1).astype(int))
    g = s.groupby("rep_id")["slipped"].agg(deals="size", slipped="sum").reset_index()
    org = g["slipped"].sum() / g["deals"].sum()
    low, high = proportion_confint(g["slipped"], g["deals"], alpha=1 - level, method="wilson")
    g["rate"] = g["slipped"] / g["deals"]
    g["rate_low"], g["rate_high"] = np.asarray(low), np.asarray(high)
    g["org_rate"] = org
    g["p_value"] = stats.binom.sf(g["slipped"] - 1, g["deals"], org)
    ok = g["deals"] >= min_deals
    g["q_value"] = np.nan
    if ok.any():
        g.loc[ok, "q_value"] = multipletests(g.loc[ok, "p_value"], method="fdr_bh")[1]
    g["chronic"] = g["q_value"] <= alpha
    g["rep_name"] = g["rep_id"].astype(str).map(rep_names_by_id(ds.reps)).fillna(g["rep_id"])
    return g[cols].sort_values(["rate", "deals"], ascending=[False, False]).reset_index(drop=True)


def slip_probability(ds, as_of=None, lookback_days: int = 365, horizon_days: int = 30,
                     level: float = 0.9) -> pd.DataFrame:
    """Probability that a deal due soon is still open on its close date, by stage and age.

    Snapshots at each month end ``t`` in the ``lookback_days`` before ``as_of − horizon_days``;
    at each, the open deals (as of ``t``) with a close date ``c`` in ``(t, t + horizon_days]``
    and ``c ≤ as_of``. ``slipped`` = the deal was still open at the end of ``c`` (its state then,
    from its history). Each (deal, snapshot) is one observation; probability = slipped / deals
    with a Wilson interval at ``level``.

    Returns ``dimension`` ("stage" or "age"), ``value``, ``deals``, ``slipped``, ``probability``,
    ``low``, ``high``.
    """
    d = _as_of(ds, as_of)
    cols = ["dimension", "value", "deals", "slipped", "probability", "low", "high"]
    h = ds.opportunity_history
    if h is None or h.empty:      # without history every due deal "closed on time": no answer
        return pd.DataFrame({c: pd.Series(dtype="float64") for c in cols})
    last = d - pd.Timedelta(days=horizon_days)
    snaps = pd.date_range(last - pd.Timedelta(days=lookback_days), last, freq="ME")
    obs = []
    for t in snaps:          # one as-of read per month-end snapshot
        st = state_as_of(ds, t)
        st = st[(st["status"] == "open") & (st["close_date"] > t)
                & (st["close_date"] <= t + pd.Timedelta(days=horizon_days))
                & (st["close_date"] <= d)]
        if len(st):
            obs.append(st.assign(snapshot=t, age=(t - st["created_date"]).dt.days)
                       [["opportunity_id", "stage", "close_date", "age", "snapshot"]])
    if not obs:
        return pd.DataFrame({c: pd.Series(dtype="float64") for c in cols})
    o = pd.concat(obs, ignore_index=True)
    h = history_rows(ds)[["opportunity_id", "changed_at", "status"]]
    probe = o.assign(at=o["close_date"] + pd.Timedelta(days=1) - pd.Timedelta(microseconds=1))
    probe = probe.sort_values("at")
    h = h.dropna(subset=["changed_at"]).sort_values("changed_at")
    then = pd.merge_asof(probe, h.rename(columns={"status": "status_then"}), left_on="at",
                         right_on="changed_at", by="opportunity_id", direction="backward")
    then["slipped"] = (then["status_then"] == "open").astype(int)
    then["age_band"] = pd.cut(then["age"], AGE_BINS, labels=AGE_LABELS, include_lowest=True,
                              right=True).astype(str)
    out = []
    for dim, col in (("stage", "stage"), ("age", "age_band")):
        g = then.groupby(col, observed=True)["slipped"].agg(deals="size", slipped="sum")
        g = g.reset_index().rename(columns={col: "value"})
        if dim == "age":
            g["value"] = pd.Categorical(g["value"], AGE_LABELS, ordered=True)
            g = g.sort_values("value")
            g["value"] = g["value"].astype(str)
        else:               # stages in funnel order where the data date them, not by name
            from .conversion import has_stage_dates, stage_order

            rank = {s: i for i, s in enumerate(stage_order(ds) if has_stage_dates(ds) else [])}
            g = g.sort_values("value", key=lambda v: v.astype(str).map(rank).fillna(len(rank)),
                              kind="stable")
        g.insert(0, "dimension", dim)
        out.append(g)
    res = pd.concat(out, ignore_index=True)
    res["probability"] = res["slipped"] / res["deals"]
    lo, hi = proportion_confint(res["slipped"], res["deals"], alpha=1 - level, method="wilson")
    res["low"], res["high"] = np.asarray(lo), np.asarray(hi)
    return res[cols]
