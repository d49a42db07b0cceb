"""Rep performance: who is really performing, how consistently, and why.

Every function is pure: it takes a :class:`~salesops_lib.data.Dataset` (or a tidy frame
made by another function here) and returns a new DataFrame; nothing is printed or written.

Definitions used throughout (``P`` is the fiscal period, ``start(P)``/``end(P)`` inclusive):

* **bookings** = Σ amount of *won* deals with ``close_date ∈ P``.
* **quota** = Σ quota rows of the rep that fall in ``P`` (see :func:`quota_for_period`).
* **attainment** = bookings / quota.
* **win rate** = won / (won + lost), deals closed in ``P``, with a Wilson 95 % interval.
* **deals** = won + lost (closed deals in ``P``); ``min_deals`` thresholds use this.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .data import Dataset
from .periods import Period

#: z for a two-sided 95 % interval.
Z95 = 1.959963984540054
#: Label given to a group whose key is missing (a rep with no team, a deal with no channel).
UNASSIGNED = "(unassigned)"
#: Rep attributes carried along when the scorecard is by rep.
REP_ATTRIBUTES = ("rep_name", "manager", "team", "role")

SCORECARD_COLUMNS = [
    "period", "bookings", "quota", "attainment", "won", "lost", "deals", "win_rate",
    "win_rate_low", "win_rate_high", "avg_deal_size", "cycle_days_median", "pipeline_created",
    "created", "open_pipeline", "remaining_quota", "coverage",
]


# --------------------------------------------------------------------------------------------
# small statistics
# --------------------------------------------------------------------------------------------
def wilson_interval(successes, trials, z: float = Z95):
    """Wilson score interval for a binomial proportion, vectorised.

    With ``p = k / n``::

        centre = (p + z²/2n) / (1 + z²/n)
        half   = z / (1 + z²/n) · sqrt(p(1-p)/n + z²/4n²)
        low, high = centre ∓ half

    Parameters
    ----------
    successes, trials : array-like
        ``k`` and ``n``; where ``n == 0`` both bounds are NaN.
    z : float
        Normal quantile (1.96 for 95 %).

    Returns
    -------
    (numpy.ndarray, numpy.ndarray)
        Lower and upper bounds.
    """
    k = np.asarray(successes, dtype=float)
    n = np.asarray(trials, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        p = k / n
        denom = 1 + z * z / n
        centre = (p + z * z / (2 * n)) / denom
        half = z / denom * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
        low, high = centre - half, centre + half
    bad = ~(n > 0)
    low = np.where(bad, np.nan, np.clip(low, 0, 1))
    high = np.where(bad, np.nan, np.clip(high, 0, 1))
    return low, high


def _ratio(num, den):
    num = np.asarray(num, dtype=float)
    den = np.asarray(den, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(den > 0, num / np.where(den > 0, den, 1), np.nan)


# --------------------------------------------------------------------------------------------
# quotas
# --------------------------------------------------------------------------------------------
_KIND_RANK = {"month": 0, "quarter": 1, "year": 2}


def _month_index(ts: pd.Timestamp) -> int:
    return ts.year * 12 + ts.month - 1


def quota_for_period(ds: Dataset, period) -> pd.DataFrame:
    """Each rep's quota for ``period``, from quota rows at any granularity.

    A quota row covering months ``q`` contributes ``quota · |q ∩ P| / |q|`` (months), so a
    quarter is its own row or the sum of its monthly rows, a year is the sum of its quarters
    (or months), and a month inside a quarterly quota gets a third of it. When a rep has rows
    at several granularities overlapping ``P`` only the finest one is used, so nothing is
    counted twice.

    Returns
    -------
    pandas.DataFrame
        ``rep_id``, ``quota`` — only reps with at least one quota row overlapping ``P``.

    Raises
    ------
    ValueError
        A matched quota row is zero or negative (attainment would be undefined).
    """
    P = Period.parse(period, ds.fiscal_start_month)
    q = ds.quotas[["rep_id", "period", "quota"]]
    if q.empty:
        return pd.DataFrame({"rep_id": pd.Series(dtype="string"), "quota": pd.Series(dtype=float)})
    # one parse per distinct label (a handful), not per row
    labels = pd.Series(q["period"].astype(str).str.upper().unique())
    parsed = [Period.parse(s, ds.fiscal_start_month) for s in labels]
    info = pd.DataFrame({
        "period": labels,
        "m0": [_month_index(p.start) for p in parsed],
        "m1": [_month_index(p.end) for p in parsed],
        "rank": [_KIND_RANK[p.kind] for p in parsed],
    })
    q = q.assign(period=q["period"].astype(str).str.upper()).merge(info, on="period", how="left")
    p0, p1 = _month_index(P.start), _month_index(P.end)
    overlap = (np.minimum(q["m1"], p1) - np.maximum(q["m0"], p0) + 1).clip(lower=0)
    q = q.assign(share=overlap / (q["m1"] - q["m0"] + 1))
    q = q[q["share"] > 0]
    if q.empty:
        return pd.DataFrame({"rep_id": pd.Series(dtype="string"), "quota": pd.Series(dtype=float)})
    bad = q[~(q["quota"] > 0)]
    if len(bad):
        reps = ", ".join(sorted(bad["rep_id"].astype(str).unique())[:5])
        raise ValueError(f"quota must be > 0 to compute attainment for {P.label}; zero or "
                         f"negative quota for rep(s) {reps}")
    finest = q.groupby("rep_id", observed=True)["rank"].transform("min")
    q = q[q["rank"] == finest]
    out = (q["quota"] * q["share"]).groupby(q["rep_id"], observed=True).sum()
    return out.rename("quota").reset_index()


# --------------------------------------------------------------------------------------------
# scorecard
# --------------------------------------------------------------------------------------------
def _as_keys(by) -> list[str]:
    keys = [by] if isinstance(by, str) else list(by)
    if not keys:
        raise ValueError("by must name at least one column")
    return keys


def deals_with_keys(ds: Dataset, by="rep_id") -> tuple[pd.DataFrame, list[str], bool]:
    """Opportunities with the grouping columns attached.

    A key found in ``opportunities`` (``rep_id``, ``channel``, ``product``, ...) is taken from
    there; otherwise from ``reps`` (``team``, ``manager``, ``role``, ...) joined by ``rep_id``.
    Missing keys become ``"(unassigned)"``.

    Returns
    -------
    (frame, keys, rep_level)
        ``rep_level`` is True when every key is a rep attribute (so quotas can be summed).
    """
    keys = _as_keys(by)
    opp, reps = ds.opportunities, ds.reps
    from_reps = [k for k in keys if k not in opp.columns]
    unknown = [k for k in from_reps if k not in reps.columns]
    if unknown:
        raise ValueError(f"cannot group by {unknown}: not a column of opportunities "
                         f"({list(opp.columns)}) or reps ({list(reps.columns)})")
    rep_level = all(k == "rep_id" or (k in reps.columns and k not in opp.columns) for k in keys)
    cols = ["rep_id", "status", "amount", "created_date", "close_date"]
    df = opp[list(dict.fromkeys(cols + [k for k in keys if k in opp.columns]))]
    if from_reps:
        df = df.merge(reps[["rep_id"] + from_reps], on="rep_id", how="left")
    df = df.assign(**{k: _label(df[k]) for k in keys})
    return df, keys, rep_level


def _label(s: pd.Series) -> pd.Series:
    return s.astype("string").fillna(UNASSIGNED)


def scorecard(ds: Dataset, period, by="rep_id") -> pd.DataFrame:
    """One row per group with bookings, quota attainment, win rate, deal size and cycle.

    Parameters
    ----------
    ds : Dataset
        Validated data set.
    period : str or Period
        Fiscal period (``"2026-Q3"``, ``"2026-09"``, ``"2026"``).
    by : str or list of str
        Grouping: ``"rep_id"`` (default), a rep attribute (``"team"``, ``"manager"``,
        ``"role"``), an opportunity attribute (``"channel"``, ``"product"``) or a list.

    Returns
    -------
    pandas.DataFrame
        The ``by`` columns (plus ``rep_name``, ``manager``, ``team``, ``role`` when by rep),
        then, with ``P`` the period, ``t = min(as_of, end(P))`` the snapshot date:

        * ``bookings`` = Σ amount [status = won, close_date ∈ P]
        * ``quota`` = Σ :func:`quota_for_period` over the group's reps; NaN when no rep of the
          group has a quota, or when grouping by an opportunity attribute (channel, product),
          where quota is not defined
        * ``attainment`` = bookings / quota
        * ``won``, ``lost`` = count of won / lost deals with close_date ∈ P; ``deals`` = won + lost
        * ``win_rate`` = won / (won + lost); ``win_rate_low``/``win_rate_high`` Wilson 95 %
        * ``avg_deal_size`` = bookings / won (mean won amount)
        * ``cycle_days_median`` = median(close_date − created_date) in days, won deals closed in P
          (closed deals only; see :func:`cycle_km` for the censored estimate)
        * ``pipeline_created`` = Σ amount [created_date ∈ P] (every status); ``created`` = count
        * ``open_pipeline`` = Σ amount of deals *open at t* and due in P:
          created_date ≤ t, (status = open or close_date > t), close_date ∈ P. Deals that
          closed after ``t`` count as open at ``t`` (point-in-time); for a past period this
          leaves the deals still open at its end, i.e. slipped pipeline.
        * ``remaining_quota`` = max(quota − bookings closed by t, 0)
        * ``coverage`` = open_pipeline / remaining_quota (NaN when quota is met or missing)

        Groups with no deals appear with zero counts (every rep is listed when grouping by
        rep attributes). Rows are sorted by the keys.

    Raises
    ------
    ValueError
        Unknown grouping column, or a zero quota (see :func:`quota_for_period`).
    """
    P = Period.parse(period, ds.fiscal_start_month)
    t = min(pd.Timestamp(ds.as_of), P.end)
    df, keys, rep_level = deals_with_keys(ds, by)
    close, created, status = df["close_date"], df["created_date"], df["status"]
    in_p = (close >= P.start) & (close <= P.end)
    won = (status == "won") & in_p
    lost = (status == "lost") & in_p
    created_in = (created >= P.start) & (created <= P.end)
    open_at_t = (created <= t) & ((status == "open") | (close > t)) & in_p
    won_by_t = won & (close <= t)
    amount = df["amount"]
    parts = pd.DataFrame({
        "bookings": amount.where(won, 0.0),
        "won": won.astype("int64"),
        "lost": lost.astype("int64"),
        "pipeline_created": amount.where(created_in, 0.0),
        "created": created_in.astype("int64"),
        "open_pipeline": amount.where(open_at_t, 0.0),
        "booked_by_t": amount.where(won_by_t, 0.0),
    })
    for k in keys:
        parts[k] = df[k]
    relevant = won | lost | created_in | open_at_t
    parts = parts[relevant.to_numpy()]
    agg = parts.groupby(keys, observed=True, sort=False).sum()
    cycle = (close - created).dt.days.astype(float)[won.to_numpy()]
    cyc = cycle.groupby([df.loc[won, k] for k in keys], observed=True).median()
    cyc.index.names = keys
    agg["cycle_days_median"] = cyc

    if rep_level:
        base = ds.reps[["rep_id"] + [k for k in keys if k != "rep_id"]].copy()
        for k in keys:
            base[k] = _label(base[k])
        quota = quota_for_period(ds, P)
        base = base.merge(quota, on="rep_id", how="left")
        qsum = base.groupby(keys, observed=True)["quota"].sum(min_count=1)
        groups = qsum.index.union(agg.index) if len(agg) else qsum.index
        out = agg.reindex(groups)
        out["quota"] = qsum.reindex(groups)
    else:
        out = agg.copy()
        out["quota"] = np.nan
    out = out.reset_index()
    for c in ["won", "lost", "created"]:
        out[c] = out[c].fillna(0).astype("int64")
    for c in ["bookings", "pipeline_created", "open_pipeline", "booked_by_t"]:
        out[c] = out[c].fillna(0.0).astype(float)
    out["period"] = P.label
    out["deals"] = out["won"] + out["lost"]
    out["attainment"] = _ratio(out["bookings"], out["quota"])
    out["win_rate"] = _ratio(out["won"], out["deals"])
    out["win_rate_low"], out["win_rate_high"] = wilson_interval(out["won"], out["deals"])
    out["avg_deal_size"] = _ratio(out["bookings"], out["won"])
    out["cycle_days_median"] = out["cycle_days_median"].astype(float)
    out["remaining_quota"] = (out["quota"] - out["booked_by_t"]).clip(lower=0)
    out["coverage"] = _ratio(out["open_pipeline"], out["remaining_quota"])
    extra = []
    if keys == ["rep_id"]:
        attrs = [a for a in REP_ATTRIBUTES if a in ds.reps.columns]
        out = out.merge(ds.reps[["rep_id"] + attrs].assign(rep_id=lambda r: _label(r["rep_id"])),
                        on="rep_id", how="left")
        extra = attrs
    out = out[keys + extra + SCORECARD_COLUMNS]
    return out.sort_values(keys, kind="stable").reset_index(drop=True)
