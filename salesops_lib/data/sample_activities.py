"""The sample org's activities, tied to its deals, and its optional known channel effect.

Two pieces of the synthetic org that the strategy reports read (kept apart from
:mod:`salesops_lib.sample` so that module stays small; ``sample.generate`` makes one call to
each):

* :func:`activities` — calls, meetings, visits and e-mails logged against each deal by the rep
  who works it, with ``duration_min``. Field reps log fewer, longer touches (on-site visits of
  about two hours), inside reps more, shorter ones (calls of about twelve minutes). A deal is
  touched while it is alive: from its creation to its close, a lost deal only until the stage
  where it stopped, an open deal up to the extract date. Touches grow with the deal's age
  less than in proportion (``weeks ** 0.5``), and a won deal gets extra touches on top, a
  number that does not grow with its age: the win rate rises with activity, steeply at first
  and then flattening (diminishing returns).
* :func:`known_channel_effect` — with the sample option ``channel_effect=δ``, a field rep wins
  a deal with probability exactly ``δ`` higher than an inside rep would on the same deal
  (same segment, product, partner involvement, quarter and rep skill relative to the rep's
  own motion), while field reps still own the bigger accounts (which win less often). A
  like-for-like comparison should recover ``δ``; the raw field-vs-inside gap should not.

Everything is vectorised (``numpy.repeat`` over deals, no loop per row) and deterministic per
seed.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

#: Activity types, in the order of the probability rows below.
TYPES = np.array(["call", "meeting", "visit", "email"])
#: Share of each type among a motion's touches (field, inside).
TYPE_SHARE = {"field": [0.25, 0.20, 0.30, 0.25], "inside": [0.55, 0.15, 0.00, 0.30]}
#: Mean minutes of one touch by motion and type (gamma-distributed, shape 4).
MINUTES = {"field": [20.0, 55.0, 120.0, 6.0], "inside": [12.0, 40.0, 0.0, 5.0]}
#: Touches per week of deal life (before the ``weeks ** 0.5`` damping), by motion.
WEEKLY_RATE = {"field": 0.9, "inside": 1.9}
#: Extra touches a won deal receives (Poisson mean), by motion.
WON_EXTRA = {"field": 2.5, "inside": 3.5}


def activities(opps: pd.DataFrame, reps: pd.DataFrame, reach: np.ndarray, n_stages: int,
               as_of: pd.Timestamp, seed: int) -> pd.DataFrame:
    """Activities of every deal, as the contract's ``activities`` table.

    Parameters
    ----------
    opps : DataFrame
        The sample's opportunities (``opportunity_id``, ``account_id``, ``rep_id``, ``status``,
        ``created_date``, ``close_date``, ``channel``).
    reps : DataFrame
        ``rep_id``, ``role`` (``inside``; any other role is worked like ``field``).
    reach : array of int
        Stages each deal reached (1..``n_stages``), aligned with ``opps``: a lost deal stops
        being worked at ``reach / n_stages`` of its life.
    n_stages : int
    as_of : Timestamp
        Extract date: nothing is logged after it.
    seed : int
        The sample's seed (activities use their own stream, so the deals do not change).

    Returns
    -------
    DataFrame
        ``rep_id``, ``date``, ``type`` (call/meeting/visit/email), ``account_id``,
        ``opportunity_id``, ``channel`` (the deal's), ``duration_min``; sorted by date.
    """
    rng = np.random.default_rng([int(seed), 20_26])
    n = len(opps)
    role = opps["rep_id"].map(reps.set_index("rep_id")["role"]).to_numpy()
    inside = role == "inside"
    created = pd.DatetimeIndex(opps["created_date"])
    close = pd.DatetimeIndex(opps["close_date"])
    status = opps["status"].to_numpy()
    life = np.asarray((close - created).days, dtype=float)
    life = np.where(status == "lost", life * np.asarray(reach, float) / n_stages, life)
    life = np.where(status == "open", np.asarray((as_of - created).days, dtype=float), life)
    life = np.maximum(life, 1.0)
    # rep work style: some reps touch their deals more often than others
    rep_codes, rep_uniq = pd.factorize(opps["rep_id"])
    hustle = rng.lognormal(0.0, 0.25, len(rep_uniq))[rep_codes]
    rate = np.where(inside, WEEKLY_RATE["inside"], WEEKLY_RATE["field"])
    lam = rate * (life / 7.0) ** 0.5 * hustle
    extra = np.where(status == "won", np.where(inside, WON_EXTRA["inside"], WON_EXTRA["field"]), 0)
    count = rng.poisson(lam) + rng.poisson(extra)
    row = np.repeat(np.arange(n), count)
    m = len(row)
    # type by the motion's mix (inverse CDF on a per-motion cumulative table)
    cum = {k: np.cumsum(v) for k, v in TYPE_SHARE.items()}
    cum_row = np.where(inside[row, None], cum["inside"][None, :], cum["field"][None, :])
    t = np.minimum((rng.random(m)[:, None] > cum_row).sum(axis=1), len(TYPES) - 1)
    mean_min = np.where(inside[row, None], np.array(MINUTES["inside"])[None, :],
                        np.array(MINUTES["field"])[None, :])[np.arange(m), t]
    minutes = np.maximum(1.0, np.round(rng.gamma(4.0, np.maximum(mean_min, 1.0) / 4.0)))
    day = np.floor(rng.random(m) * (life[row] + 1.0))
    date = created[row] + pd.to_timedelta(day, unit="D")
    out = pd.DataFrame({
        "rep_id": opps["rep_id"].to_numpy()[row],
        "date": date,
        "type": TYPES[t],
        "account_id": opps["account_id"].to_numpy()[row],
        "opportunity_id": opps["opportunity_id"].to_numpy()[row],
        "channel": opps["channel"].to_numpy()[row],
        "duration_min": minutes,
    })
    keep = (out["date"] <= as_of).to_numpy() & (out["date"] <= close[row]).to_numpy()
    out = out[keep]
    return out.sort_values("date", kind="stable").reset_index(drop=True)


def known_channel_effect(logit: np.ndarray, rep_part: np.ndarray, deal_field: np.ndarray,
                         channel: np.ndarray, effect: float) -> np.ndarray:
    """Win probabilities with a known field-vs-inside effect of ``effect`` (probability points).

    ``p = clip(σ(logit − u + (u − ū_motion) + 0.15·[channel = inside]) + δ·[field], 0, 1)``
    with ``u`` the rep-dependent part of the sample's logit (skill and new-hire ramp) and
    ``ū_motion`` its mean over the deals of the deal's motion: the sample's own logit without
    what depends on the motion (the inside-channel penalty and the motion's average rep), then
    ``δ`` added for field reps. Every other driver (segment, partner, quarter, a rep's skill
    relative to its motion) is the same for both motions, so on comparable deals field wins
    ``δ`` more often (up to the clip at 0 and 1).

    Parameters
    ----------
    logit : array
        The sample's win logit per deal.
    rep_part : array
        Its rep-dependent part per deal.
    deal_field : array of bool
        Whether each deal's rep is a field rep.
    channel : array of str
        Per deal (``inside`` carries the sample's −0.15 penalty, removed here).
    effect : float
        ``δ``.
    """
    u = np.asarray(rep_part, float)
    f = np.asarray(deal_field, bool)
    mean = np.where(f, u[f].mean() if f.any() else 0.0, u[~f].mean() if (~f).any() else 0.0)
    base = logit - mean + 0.15 * (np.asarray(channel) == "inside")
    p = 1.0 / (1.0 + np.exp(-base)) + float(effect) * f
    return np.clip(p, 0.0, 1.0)
