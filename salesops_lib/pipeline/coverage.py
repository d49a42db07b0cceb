"""Coverage: is there enough pipeline left to make the number?

For a period ``P`` and its report date ``d`` (:func:`salesops_lib.measures.report_date`),
per group (a rep column: ``team``, ``manager``, ``rep_id``; or the whole org):

* ``pipeline`` = open deals as of ``d`` whose close date falls in ``P`` (the waterfall's scope);
* ``booked`` = deals won with a close date in ``P`` up to ``d``;
* ``remaining`` = max(quota − booked, 0), quota from :func:`~salesops_lib.measures.quota_by_group`;
* ``coverage`` = pipeline / remaining;
* ``win_rate`` = won $ / (won $ + lost $) over deals closed in the ``lookback_quarters``
  before ``P`` (as known on ``d``), and ``required`` = 1 / win_rate: the coverage at which the
  pipeline converts into the remaining quota at the realised rate. ``required_low`` /
  ``required_high`` are the ``level`` interval of 1 / win_rate from a seeded Poisson bootstrap
  over the closed deals. When the source records no amount on any lost deal (the public Maven
  export books lost deals at 0), a value win rate would read 100%: the win rate is then won
  deals / closed deals, and ``attrs["win_rate_basis"]`` says ``"count"`` (else ``"value"``);
* ``verdict``: "short" when coverage < required_low, "covered" when above required_high,
  else "borderline"; "period over" (coverage NaN) when the report date is the period's last day.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..measures import UNASSIGNED, group_values, quota_by_group, report_date, state_as_of
from ..periods import Period
from .names import group_labels

COLUMNS = ["group", "pipeline", "deals", "quota", "booked", "remaining", "coverage", "win_rate",
           "required", "required_low", "required_high", "verdict"]


def coverage(ds, period, by: str | None = "team", *, lookback_quarters: int = 4,
             level: float = 0.8, n_boot: int = 400, seed: int = 0) -> pd.DataFrame:
    """Pipeline coverage of the remaining quota per group, against the required coverage.

    Returns :data:`COLUMNS` (``group`` = the ``by`` value, ``"total"`` without ``by``), one row
    per group with pipeline or quota; ``quota`` and what follows are NaN without quotas.
    """
    P = Period.parse(period, ds.fiscal_start_month)
    d = report_date(ds, P)
    st = state_as_of(ds, d)
    st["group"] = group_values(ds, by, st) if by else "total"
    in_p = (st["close_date"] >= P.start) & (st["close_date"] <= P.end)
    pipe = st[(st["status"] == "open") & in_p]
    won = st[(st["status"] == "won") & in_p & (st["close_date"] <= d)]
    lb = P.start - pd.DateOffset(months=3 * lookback_quarters)
    closed = st[st["status"].isin(["won", "lost"]) & (st["close_date"] >= lb)
                & (st["close_date"] < P.start)]
    out = pd.DataFrame({"pipeline": pipe.groupby("group")["amount"].sum(),
                        "deals": pipe.groupby("group").size(),
                        "booked": won.groupby("group")["amount"].sum()})
    # quota exists per rep only: a group that is not a rep attribute (region) has none
    if len(ds.quotas) and (not by or by == "rep_id" or by in ds.reps.columns):
        q = quota_by_group(ds, P, by if by else None).set_index("unique_id")["quota"]
        out = out.join(q.rename("quota"), how="outer")
    else:
        out["quota"] = np.nan
    out[["pipeline", "deals", "booked"]] = out[["pipeline", "deals", "booked"]].fillna(0)
    out["remaining"] = (out["quota"] - out["booked"]).clip(lower=0)
    out["coverage"] = out["pipeline"] / out["remaining"].where(out["remaining"] > 0)
    rng = np.random.default_rng(seed)
    q_lo, q_hi = (1 - level) / 2, 1 - (1 - level) / 2
    stats = {}
    lost = closed["status"] == "lost"
    by_count = bool(lost.any()) and bool(closed.loc[lost, "amount"].fillna(0).eq(0).all())
    for g, c in closed.groupby("group"):     # one bootstrap per group (a handful of teams)
        amt = (np.ones(len(c)) if by_count else c["amount"].fillna(0).to_numpy(float))
        w_amt = amt * (c["status"] == "won").to_numpy()
        rate = w_amt.sum() / amt.sum() if amt.sum() > 0 else np.nan
        W = rng.poisson(1.0, size=(n_boot, len(amt)))
        tot = W @ amt
        rb = np.where(tot > 0, (W @ w_amt) / np.where(tot > 0, tot, 1), np.nan)
        req = 1 / rb[rb > 0]
        stats[g] = (rate, *(np.quantile(req, [q_lo, q_hi]) if len(req) else (np.nan, np.nan)))
    s = pd.DataFrame.from_dict(stats, orient="index",
                               columns=["win_rate", "required_low", "required_high"])
    out = out.join(s, how="left")
    out["required"] = 1 / out["win_rate"].where(out["win_rate"] > 0)
    cov, lo, hi = (out[c].to_numpy(float) for c in ("coverage", "required_low", "required_high"))
    with np.errstate(invalid="ignore"):   # NaN (no quota, no closed deals) reads "unknown"
        out["verdict"] = np.select([cov < lo, cov > hi, ~np.isnan(cov) & ~np.isnan(lo)],
                                   ["short", "covered", "borderline"], default="unknown")
    if d >= P.end:                        # nothing left to close in a finished period
        out["coverage"] = np.nan
        out["verdict"] = "period over"
    out = out.rename_axis("group").reset_index()
    out["group"] = out["group"].astype(str).replace({"nan": UNASSIGNED})
    out["deals"] = out["deals"].astype("int64")
    out = out[COLUMNS].sort_values("group").reset_index(drop=True)
    out.attrs["win_rate_basis"] = "count" if by_count else "value"
    out.attrs["lookback_quarters"] = lookback_quarters
    # how each group is named on a page (reps by display name, never by id)
    out.attrs["labels"] = dict(zip(out["group"], group_labels(ds, by, out["group"])))
    return out
