"""The sample org's ``opportunity_history``: every deal's state after each change, from its
creation on, as Salesforce's OpportunityHistory keeps it.

Built from the final ``opportunities`` rows and ``stage_history`` so the three always agree
(a deal's last history row on or before the extract date *is* its opportunities row), with
the changes a real pipeline shows, at rates set below:

* a creation row on the created date (first stage, status open, the first amount, close date,
  category and owner);
* one row per later stage entered (category follows the stage, :data:`CATEGORY_BY_STAGE`),
  and a closing row (won/lost, category closed/omitted) on the close date;
* amount changes (:data:`AMOUNT_CHANGE_RATE` of deals: the first amount was 70–130 % of the
  final one), close-date moves (a closed deal first showed the planned close date passed
  as ``planned_close``; one that slipped or was pulled into a quarter-end shows the move
  shortly before the earlier of the two dates; without a plan, and for open deals,
  :data:`PUSH_RATE` of deals: the first expected close was 2–10 weeks earlier, pushed
  shortly before it came due), forecast-category moves ahead of the stage
  (:data:`CATEGORY_MOVE_RATE` of stage steps: a rep calls the deal one category up until
  the next stage) and owner changes (:data:`OWNER_CHANGE_RATE`: the deal started with
  another rep already employed then).

Vectorised: events are stacked in one frame, ordered per deal, and each column is carried
forward from the creation row (which sets them all).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

AMOUNT_CHANGE_RATE = 0.30
PUSH_RATE = 0.35
CATEGORY_MOVE_RATE = 0.15
OWNER_CHANGE_RATE = 0.04
CATEGORY_BY_STAGE = {"Prospecting": "pipeline", "Qualification": "pipeline",
                     "Discovery": "best case", "Proposal": "best case", "Negotiation": "commit"}
CATEGORY_UP = {"pipeline": "best case", "best case": "commit"}
CLOSED = {"Closed Won": ("won", "closed"), "Closed Lost": ("lost", "omitted")}
# order of events on one day: creation, stage, amount, push, category, owner, close
_CREATE, _STAGE, _AMOUNT, _PUSH, _CATEGORY, _OWNER, _CLOSE = range(7)
STATE = ["stage", "status", "amount", "close_date", "forecast_category", "rep_id"]


#: A rep's new date after a slip misses the eventual close by this many days (low, high):
#: more often too early (the deal slips again) than too late.
REFORECAST_DAYS = (-21, 14)
#: Share of slipping deals whose date is never moved (shown overdue until they close).
STALE_RATE = 0.06


def reforecast(rng, close):
    """The date a rep shows after moving a deal's close: the eventual close
    (``datetime64`` array) give or take :data:`REFORECAST_DAYS`, never the exact outcome."""
    lo, hi = REFORECAST_DAYS
    return close + rng.integers(lo, hi + 1, len(close)) * np.timedelta64(1, "D")


def _uniform_day(rng, lo, hi):
    """A whole day uniformly in [lo, hi] (datetime64 arrays, hi ≥ lo)."""
    span = ((hi - lo) / np.timedelta64(1, "D")).astype("int64")
    return lo + (np.floor(rng.random(len(lo)) * (span + 1))).astype("int64") * np.timedelta64(1, "D")


def generate_history(opportunities: pd.DataFrame, stage_history: pd.DataFrame,
                     reps: pd.DataFrame, as_of: pd.Timestamp, seed: int,
                     planned_close=None) -> pd.DataFrame:
    """The sample's ``opportunity_history`` (deterministic per ``seed``).

    Parameters
    ----------
    opportunities : DataFrame
        The sample's final rows: ``opportunity_id``, ``rep_id``, ``stage``, ``status``,
        ``amount``, ``created_date``, ``close_date``, ``forecast_category``.
    stage_history : DataFrame
        ``opportunity_id``, ``stage``, ``entered_date``: the first entry of each deal is on
        its created date; closed deals end with a ``Closed Won``/``Closed Lost`` entry.
    reps : DataFrame
        ``rep_id``, ``hire_date`` (a first owner was employed when the deal was created).
    as_of : Timestamp
        The extract date: no change after it.
    planned_close : array-like, optional
        Per ``opportunities`` row, the close date the rep first planned: a closed deal's
        first history row shows it (never its actual close, unknown then).

    Returns
    -------
    DataFrame
        ``opportunity_id``, ``changed_at`` and the state after the change (``stage``,
        ``status``, ``amount``, ``close_date``, ``forecast_category``, ``rep_id``), ordered
        by deal and time.
    """
    rng = np.random.default_rng([seed, 2])          # own stream: the other tables are unchanged
    extra = np.random.default_rng([seed, 3])        # stale deals, re-forecast dates
    opp = opportunities
    n = len(opp)
    day = np.timedelta64(1, "D")
    created = opp["created_date"].to_numpy("datetime64[ns]")
    close = opp["close_date"].to_numpy("datetime64[ns]")
    amount = opp["amount"].to_numpy(float)
    rep = opp["rep_id"].to_numpy(object)
    is_open = opp["status"].to_numpy(object) == "open"
    asof = np.datetime64(pd.Timestamp(as_of), "ns")
    last_day = np.where(is_open, asof, np.minimum(close, asof))   # changes happen up to here
    last_day = np.maximum(last_day, created)

    sh = stage_history
    idx = pd.Index(opp["opportunity_id"]).get_indexer(sh["opportunity_id"])
    order = np.lexsort((np.arange(len(sh)), sh["entered_date"].to_numpy(), idx))
    s_idx, s_stage = idx[order], sh["stage"].to_numpy(object)[order]
    s_at = sh["entered_date"].to_numpy("datetime64[ns]")[order]
    first = np.r_[True, s_idx[1:] != s_idx[:-1]]
    closing = np.isin(s_stage, list(CLOSED))

    # first values: amount, close date, owner
    amt_chg = rng.random(n) < AMOUNT_CHANGE_RATE
    amount0 = np.where(amt_chg, (amount * rng.uniform(0.7, 1.3, n)).round(-2).clip(500, None), amount)
    push_days = rng.integers(14, 71, n)
    close0 = close - push_days * day
    pushed = (rng.random(n) < PUSH_RATE) & (close0 >= created + 7 * day)
    close0 = np.where(pushed, close0, close)
    if planned_close is not None:
        # a closed deal first showed the rep's plan; its slip or quarter-end pull came later
        plan = pd.to_datetime(pd.Series(planned_close)).to_numpy("datetime64[ns]")
        plan = np.where(np.isnat(plan), close, np.maximum(plan, created + day))
        # an open deal showing another date than its plan moved it, as a closed one did
        close0 = np.where(is_open & (plan >= close), close0, plan)
        pushed = np.where(is_open & (plan >= close), pushed, close0 != close)
        # a few reps never move a slipping deal's date: it shows the plan, overdue, until it
        # closes (as the sample's stale open deals do)
        pushed &= ~(~is_open & (close0 < close) & (extra.random(n) < STALE_RATE))
    cand = rng.integers(0, len(reps), n)
    hired = reps["hire_date"].to_numpy("datetime64[ns]")[cand]
    rep_ids = reps["rep_id"].to_numpy(object)
    owner_chg = (rng.random(n) < OWNER_CHANGE_RATE) & (hired <= created) & (rep_ids[cand] != rep)
    rep0 = np.where(owner_chg, rep_ids[cand], rep)

    parts: dict[str, list] = {c: [] for c in ["i", "changed_at", "kind", *STATE]}
    blank = {"amount": np.nan, "close_date": np.datetime64("NaT", "ns")}

    def add(i, at, kind, **state):
        parts["i"].append(i)
        parts["changed_at"].append(np.asarray(at, dtype="datetime64[ns]"))
        parts["kind"].append(np.full(len(i), kind))
        for c in STATE:
            parts[c].append(state[c] if c in state else np.full(len(i), blank.get(c)))

    fi = s_idx[first]
    add(fi, created[fi], _CREATE, stage=s_stage[first], status=np.full(len(fi), "open", object),
        amount=amount0[fi], close_date=close0[fi],
        forecast_category=pd.Series(s_stage[first]).map(CATEGORY_BY_STAGE).to_numpy(object),
        rep_id=rep0[fi])
    mid = ~first & ~closing
    add(s_idx[mid], s_at[mid], _STAGE, stage=s_stage[mid],
        forecast_category=pd.Series(s_stage[mid]).map(CATEGORY_BY_STAGE).to_numpy(object))
    st, cat = (np.array([CLOSED[s][k] for s in s_stage[closing]], dtype=object) for k in (0, 1))
    ci = s_idx[closing]
    add(ci, s_at[closing], _CLOSE, stage=s_stage[closing], status=st, forecast_category=cat,
        amount=amount[ci], close_date=close[ci])
    i = np.flatnonzero(amt_chg & (amount0 != amount))
    add(i, _uniform_day(rng, created[i], last_day[i]), _AMOUNT, amount=amount[i])
    i = np.flatnonzero(pushed)
    due = np.minimum(close0[i], close[i])     # a push shortly before the date came due; a pull before the new one
    lo = np.maximum(created[i], np.minimum(due - 10 * day, last_day[i]))
    at = _uniform_day(rng, lo, np.maximum(lo, np.minimum(due, last_day[i])))
    # a closed deal's new date was the rep's estimate, not its outcome (an open deal's close
    # date already is one)
    shown = np.where(is_open[i], close[i], np.maximum(reforecast(extra, close[i]), at + day))
    add(i, at, _PUSH, close_date=shown)
    i = np.flatnonzero(owner_chg)
    add(i, _uniform_day(rng, created[i], last_day[i]), _OWNER, rep_id=rep[i])
    # a category call one step up between a stage and the next stage (or the close)
    nxt = np.r_[s_at[1:], s_at[-1:]]
    has_next = np.r_[s_idx[1:] == s_idx[:-1], False] & ~closing
    up = pd.Series(s_stage).map(CATEGORY_BY_STAGE).map(CATEGORY_UP).to_numpy(object)
    move = has_next & pd.notna(up) & (rng.random(len(s_idx)) < CATEGORY_MOVE_RATE)
    lo, hi = s_at[move], np.maximum(nxt[move] - day, s_at[move])
    add(s_idx[move], _uniform_day(rng, lo, hi), _CATEGORY, forecast_category=up[move])

    ev = pd.DataFrame({c: np.concatenate(v) for c, v in parts.items()})
    ev = ev.sort_values(["i", "changed_at", "kind"], kind="stable", ignore_index=True)
    # every deal's first event is its creation row, which sets every column: a plain
    # forward fill never carries one deal's state into the next
    ev[STATE] = ev[STATE].ffill()
    out = pd.DataFrame({"opportunity_id": opp["opportunity_id"].to_numpy()[ev["i"].to_numpy()],
                        "changed_at": pd.to_datetime(ev["changed_at"]).to_numpy()})
    for c in STATE:
        out[c] = ev[c].to_numpy()
    out["amount"] = out["amount"].astype(float)
    out["close_date"] = pd.to_datetime(out["close_date"])
    return out
