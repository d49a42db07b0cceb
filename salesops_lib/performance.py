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

from . import viz
from .data import Dataset
from .periods import Period

#: z for a two-sided 95 % interval.
Z95 = 1.959963984540054
#: Label given to a group whose key is missing (a rep with no team, a deal with no channel).
UNASSIGNED = "(unassigned)"
#: Group label when a metric is computed over everyone (``by=None``).
P_ALL = "all reps"
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
    codes, labels = pd.factorize(q["period"])
    parsed = [Period.parse(s, ds.fiscal_start_month) for s in labels]
    q = pd.DataFrame({
        "rep_id": q["rep_id"].to_numpy(), "quota": q["quota"].to_numpy(float),
        "m0": np.array([_month_index(p.start) for p in parsed])[codes],
        "m1": np.array([_month_index(p.end) for p in parsed])[codes],
        "rank": np.array([_KIND_RANK[p.kind] for p in parsed])[codes],
    })
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


def deals_with_keys(ds: Dataset, by="rep_id", rows=None) -> tuple[pd.DataFrame, list[str], bool]:
    """Opportunities (only ``rows``, a boolean mask, when given) with the grouping columns.

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
    cols = list(dict.fromkeys(["rep_id", "status", "amount", "created_date", "close_date"]
                              + [k for k in keys if k in opp.columns]))
    if rows is not None:
        # cut to the rows that matter before any string work: that is where the time goes
        idx = np.flatnonzero(np.asarray(rows))
        df = pd.DataFrame({c: opp[c].take(idx).reset_index(drop=True) for c in cols})
    else:
        df = opp[cols]
    if from_reps:
        df = df.merge(reps[["rep_id"] + from_reps], on="rep_id", how="left")
    df = df.assign(**{k: _label(df[k]) for k in keys})
    return df, keys, rep_level


def subset(ds: Dataset, team: str | None = None, channel: str | None = None) -> Dataset:
    """The data of one team and/or one channel (empty string or None = all).

    ``team`` keeps the reps of that team with their deals and quotas; ``channel`` keeps the deals
    of that channel (quotas stay per rep). Returns a new Dataset; ``ds`` is not modified.

    Raises
    ------
    ValueError
        The team or channel does not occur in the data (the message lists those that do).
    """
    import dataclasses

    reps, opp, quotas = ds.reps, ds.opportunities, ds.quotas
    if team:
        known = sorted(reps["team"].dropna().unique())
        if team not in known:
            raise ValueError(f"no team {team!r}; teams are {known}")
        reps = reps[reps["team"] == team]
        opp = opp[opp["rep_id"].isin(reps["rep_id"])]
        quotas = quotas[quotas["rep_id"].isin(reps["rep_id"])]
    if channel:
        known = sorted(ds.opportunities["channel"].dropna().unique())
        if channel not in known:
            raise ValueError(f"no channel {channel!r}; channels are {known}")
        opp = opp[opp["channel"] == channel]
    if not team and not channel:
        return ds
    return dataclasses.replace(ds, reps=reps.reset_index(drop=True),
                               opportunities=opp.reset_index(drop=True),
                               quotas=quotas.reset_index(drop=True),
                               source=f"{ds.source} [team={team or 'all'}, channel={channel or 'all'}]")


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
        * ``attainment`` = bookings / quota (a group's bookings include reps without a quota
          row; :func:`attainment_rollup` uses reps with a quota only)
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
    t = np.datetime64(min(pd.Timestamp(ds.as_of), P.end), "ns")
    p0, p1 = np.datetime64(P.start, "ns"), np.datetime64(P.end, "ns")
    opp = ds.opportunities
    # date masks on raw datetime64 arrays (NaT compares False), then only the rows that
    # touch the period are labelled and grouped
    close_all = opp["close_date"].to_numpy("datetime64[ns]")
    created_all = opp["created_date"].to_numpy("datetime64[ns]")
    in_p_all = (close_all >= p0) & (close_all <= p1)
    created_in_all = (created_all >= p0) & (created_all <= p1)
    df, keys, rep_level = deals_with_keys(ds, by, rows=in_p_all | created_in_all)
    close = df["close_date"].to_numpy("datetime64[ns]")
    created = df["created_date"].to_numpy("datetime64[ns]")
    status = df["status"].to_numpy(object)
    amount = df["amount"].to_numpy(float)
    in_p = (close >= p0) & (close <= p1)
    won = (status == "won") & in_p
    lost = (status == "lost") & in_p
    created_in = (created >= p0) & (created <= p1)
    open_at_t = (created <= t) & ((status == "open") | (close > t)) & in_p
    won_by_t = won & (close <= t)
    parts = pd.DataFrame({
        "bookings": np.where(won, amount, 0.0),
        "won": won.astype("int64"),
        "lost": lost.astype("int64"),
        "pipeline_created": np.where(created_in, amount, 0.0),
        "created": created_in.astype("int64"),
        "open_pipeline": np.where(open_at_t, amount, 0.0),
        "booked_by_t": np.where(won_by_t, amount, 0.0),
        "cycle_days_median": np.where(won, (close - created) / np.timedelta64(1, "D"), np.nan),
    })
    for k in keys:
        parts[k] = df[k].to_numpy()
    g = parts.groupby(keys, observed=True, sort=False)
    sums = ["bookings", "won", "lost", "pipeline_created", "created", "open_pipeline", "booked_by_t"]
    agg = g[sums].sum()
    agg["cycle_days_median"] = g["cycle_days_median"].median()

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


def scorecard_history(ds: Dataset, periods, by="rep_id") -> pd.DataFrame:
    """:func:`scorecard` for several periods stacked: one row per group × period.

    ``periods`` is a list of labels or :class:`~salesops_lib.periods.Period` (one scorecard per
    period, not per row).
    """
    return pd.concat([scorecard(ds, p, by) for p in periods], ignore_index=True)


def to_long(sc: pd.DataFrame, by="rep_id") -> pd.DataFrame:
    """A scorecard as a long frame: ``by`` columns, ``period``, ``metric``, ``value``."""
    keys = _as_keys(by)
    metrics = [c for c in SCORECARD_COLUMNS if c != "period" and c in sc.columns]
    return sc.melt(id_vars=keys + ["period"], value_vars=metrics, var_name="metric",
                   value_name="value")


# --------------------------------------------------------------------------------------------
# attainment roll-ups and distribution
# --------------------------------------------------------------------------------------------
def gini(values) -> float:
    """Gini coefficient of non-negative values (0 = everyone equal, → 1 = one takes all).

    ``G = Σ_i Σ_j |x_i − x_j| / (2 n² x̄)``, computed from the sorted values as
    ``G = 2 Σ_i i·x_(i) / (n Σ x) − (n + 1) / n`` (``i = 1..n``). NaNs are ignored;
    fewer than two values or a zero total give NaN.
    """
    x = np.sort(np.asarray(values, dtype=float)[~np.isnan(np.asarray(values, dtype=float))])
    n, total = len(x), x.sum() if len(x) else 0.0
    if n < 2 or total <= 0:
        return float("nan")
    i = np.arange(1, n + 1)
    return float(2 * np.sum(i * x) / (n * total) - (n + 1) / n)


def attainment_rollup(ds: Dataset, period, by="manager") -> pd.DataFrame:
    """Quota attainment rolled up from reps to ``by`` (manager, team, role, ...).

    Returns
    -------
    pandas.DataFrame
        ``by`` columns, ``reps``, ``reps_with_quota``, ``bookings``, ``quota``,
        ``attainment`` = Σ bookings / Σ quota (reps with a quota only, so a rep without quota
        does not inflate it), ``median_attainment``, ``share_at_100`` = #(attainment ≥ 1) /
        reps_with_quota, ``share_at_80`` likewise for ≥ 0.8, ``gini`` of rep attainment.
        ``by=None`` gives one row for the whole org.
    """
    sc = scorecard(ds, period, by="rep_id")
    keys = [] if by is None else _as_keys(by)
    for k in keys:
        if k not in sc.columns:
            sc[k] = _label(sc["rep_id"].map(ds.reps.set_index("rep_id")[k]))
    sc = sc.assign(_all=P_ALL, _at100=(sc["attainment"] >= 1).astype(float),
                   _at80=(sc["attainment"] >= 0.8).astype(float))
    keys = keys or ["_all"]
    q = sc[sc["quota"].notna()]
    g = q.groupby(keys, observed=True)
    out = pd.DataFrame({
        "reps": sc.groupby(keys, observed=True).size(),
        "reps_with_quota": g.size(),
        "bookings": g["bookings"].sum(),
        "quota": g["quota"].sum(),
        "median_attainment": g["attainment"].median(),
        "share_at_100": g["_at100"].mean(),
        "share_at_80": g["_at80"].mean(),
        "gini": g["attainment"].agg(gini),
    })
    out["reps_with_quota"] = out["reps_with_quota"].fillna(0).astype("int64")
    out["attainment"] = _ratio(out["bookings"], out["quota"])
    out = out.reset_index()
    out.insert(len(keys), "period", str(Period.parse(period, ds.fiscal_start_month)))
    cols = keys + ["period", "reps", "reps_with_quota", "bookings", "quota", "attainment",
                   "median_attainment", "share_at_100", "share_at_80", "gini"]
    return out[cols].drop(columns=["_all"], errors="ignore")


def headline(ds: Dataset, period) -> dict:
    """Key numbers of a period for the top of a report.

    Returns a dict: ``bookings``, ``quota``, ``attainment`` (org Σ bookings / Σ quota),
    ``reps``, ``share_at_100``, ``share_at_80``, ``gini``, ``win_rate`` (pooled won / closed),
    ``cycle_days_median`` (Kaplan–Meier median of deals created in the 365 days up to the
    period's end, deals open at the period's end censored) and ``cycle_days_closed_median`` (won deals closed in the period).
    """
    roll = attainment_rollup(ds, period, by=None).iloc[0]
    sc = scorecard(ds, period, by="rep_id")
    P = Period.parse(period, ds.fiscal_start_month)
    km = cycle_km(ds, period=P, by=None).iloc[0]
    won, deals = sc["won"].sum(), sc["deals"].sum()
    opp = ds.opportunities
    won_p = opp[(opp["status"] == "won") & P.contains(opp["close_date"])]
    return {
        "period": P.label, "bookings": float(roll["bookings"]), "quota": float(roll["quota"]),
        "attainment": float(roll["attainment"]), "reps": int(roll["reps"]),
        "share_at_100": float(roll["share_at_100"]), "share_at_80": float(roll["share_at_80"]),
        "gini": float(roll["gini"]),
        "win_rate": float(won / deals) if deals else float("nan"),
        "cycle_days_median": float(km["median_days"]),
        "cycle_days_closed_median": float((won_p["close_date"] - won_p["created_date"]).dt.days.median()),
    }


# --------------------------------------------------------------------------------------------
# win rate: empirical-Bayes shrinkage
# --------------------------------------------------------------------------------------------
def fit_beta_prior(won, deals) -> tuple[float, float]:
    """Beta(α, β) prior of true win rates, fitted by maximum likelihood of the beta-binomial.

    ``won_i ~ BetaBinomial(deals_i, α, β)``; groups with no closed deals carry no information and
    are ignored. When the rates show no spread beyond binomial noise the likelihood pushes
    ``α + β`` to its upper bound (1e6), i.e. every group shrinks to the pooled rate.

    Raises
    ------
    ValueError
        No group has a closed deal.
    """
    from scipy import optimize, stats

    k = np.asarray(won, dtype=float)
    n = np.asarray(deals, dtype=float)
    keep = n > 0
    k, n = k[keep], n[keep]
    if not len(n):
        raise ValueError("cannot fit a win-rate prior: no closed deals")
    pooled = np.clip(k.sum() / n.sum(), 1e-3, 1 - 1e-3)

    def nll(theta):
        m, log_s = 1 / (1 + np.exp(-theta[0])), theta[1]
        s = np.exp(log_s)
        return -stats.betabinom.logpmf(k, n, m * s, (1 - m) * s).sum()

    x0 = [np.log(pooled / (1 - pooled)), np.log(10.0)]
    res = optimize.minimize(nll, x0, method="L-BFGS-B",
                            bounds=[(-10, 10), (np.log(1e-2), np.log(1e6))])
    m, s = 1 / (1 + np.exp(-res.x[0])), float(np.exp(res.x[1]))
    return float(m * s), float((1 - m) * s)


def shrink_win_rate(sc: pd.DataFrame, prior: tuple[float, float] | None = None,
                    level: float = 0.95) -> pd.DataFrame:
    """Empirical-Bayes (beta-binomial) win rate for each row of a scorecard.

    With prior ``Beta(α, β)`` (fitted across the rows by :func:`fit_beta_prior` unless given)
    the posterior of a group with ``won`` of ``deals`` is ``Beta(α + won, β + lost)``:

        ``win_rate_shrunk = (won + α) / (deals + α + β)``

    — a weighted mean of the raw rate and the prior mean ``α / (α + β)`` with weight
    ``deals / (deals + α + β)`` on the raw rate, so small samples move towards the team.
    ``win_rate_shrunk_low/high`` are the posterior's equal-tailed ``level`` quantiles.

    Returns a copy of ``sc`` with those three columns and ``prior_alpha``, ``prior_beta``.
    """
    from scipy import stats

    a, b = prior if prior is not None else fit_beta_prior(sc["won"], sc["deals"])
    post_a = sc["won"].to_numpy(float) + a
    post_b = sc["lost"].to_numpy(float) + b
    tail = (1 - level) / 2
    return sc.assign(
        win_rate_shrunk=post_a / (post_a + post_b),
        win_rate_shrunk_low=stats.beta.ppf(tail, post_a, post_b),
        win_rate_shrunk_high=stats.beta.ppf(1 - tail, post_a, post_b),
        prior_alpha=a, prior_beta=b,
    )


# --------------------------------------------------------------------------------------------
# sales cycle: Kaplan-Meier with open deals censored
# --------------------------------------------------------------------------------------------
def cycle_durations(ds: Dataset, window=None, by=None, as_of=None,
                    period=None) -> pd.DataFrame:
    """Cycle length of each deal, with deals still open at ``as_of`` censored.

    A deal created on or before ``as_of`` is *closed* when its status is won or lost and its
    close_date ≤ ``as_of``: ``days`` = close_date − created_date, ``event`` = 1. Otherwise it
    was still running then: ``days`` = as_of − created_date, ``event`` = 0 (censored), so a
    past period is judged only on what was known at its end.

    Parameters
    ----------
    window : (first, last) dates or a period label, optional
        Cohort: deals created in this range (inclusive).
    as_of : date, optional
        Censoring date; default ``ds.as_of`` (never later than it).
    period : period label, optional
        Shorthand for a report: cohort = deals created in the 365 days up to the period's end,
        ``as_of`` = min(period end, ``ds.as_of``). ``window``/``as_of`` given explicitly win.

    Returns the ``by`` columns (``group`` = "all reps" when ``by`` is None), ``days``, ``event``.
    """
    cap = pd.Timestamp(ds.as_of)
    if period is not None:
        P = Period.parse(period, ds.fiscal_start_month)
        window = window if window is not None else (P.end - pd.Timedelta(days=364), P.end)
        as_of = as_of if as_of is not None else P.end
    as_of = min(pd.Timestamp(as_of), cap) if as_of is not None else cap
    df, keys, _ = deals_with_keys(ds, by or "rep_id")
    if by is None:
        df, keys = df.assign(group=P_ALL), ["group"]
    if window is not None:
        if isinstance(window, (str, Period)):
            P = Period.parse(window, ds.fiscal_start_month)
            window = (P.start, P.end)
        lo, hi = pd.Timestamp(window[0]), pd.Timestamp(window[1])
        df = df[(df["created_date"] >= lo) & (df["created_date"] <= hi)]
    df = df[df["created_date"] <= as_of]
    closed = (df["status"] != "open") & (df["close_date"] <= as_of)
    end = df["close_date"].where(closed, as_of)
    days = (end - df["created_date"]).dt.days.clip(lower=0).astype(float)
    out = df[keys].assign(days=days.to_numpy(), event=closed.astype("int64").to_numpy())
    return out.reset_index(drop=True)


def km_curve(durations: pd.DataFrame, by=None, level: float = 0.95) -> pd.DataFrame:
    """Kaplan–Meier survival curve of deal cycles ("share of deals still open after d days").

    At each distinct duration ``t`` of a group, with ``n_t`` deals still at risk (duration ≥ t)
    and ``d_t`` closing at ``t``::

        S(t) = Π_{u ≤ t} (1 − d_u / n_u)
        Var(log S) = Σ_{u ≤ t} d_u / (n_u (n_u − d_u))                  (Greenwood)
        CI: S^{exp(± z · sqrt(Var) / log S)}                             (log-log)

    Censored deals count as at risk up to their duration (ties: events before censoring).

    Parameters
    ----------
    durations : DataFrame
        ``days``, ``event`` and the ``by`` columns (as from :func:`cycle_durations`).

    Returns
    -------
    pandas.DataFrame
        ``by`` columns, ``days``, ``at_risk``, ``events``, ``survival``, ``survival_low``,
        ``survival_high`` — one row per group and distinct duration.
    """
    from scipy import stats

    keys = _as_keys(by) if by is not None else ["group"]
    if "group" in keys and "group" not in durations.columns:
        durations = durations.assign(group=P_ALL)
    z = stats.norm.ppf(0.5 + level / 2)
    t = (durations.groupby(keys + ["days"], observed=True)
         .agg(events=("event", "sum"), total=("event", "size")).reset_index())
    # at risk at t: deals of the group with duration ≥ t (reverse cumulative count)
    t["at_risk"] = t.iloc[::-1].groupby(keys, observed=True)["total"].cumsum().iloc[::-1]
    n, d = t["at_risk"].to_numpy(float), t["events"].to_numpy(float)
    with np.errstate(divide="ignore", invalid="ignore"):
        log_step = np.log1p(-d / n)
        green = np.where(n > d, d / (n * (n - d)), np.inf)
    t["_log"], t["_green"] = log_step, green
    t["survival"] = np.exp(t.groupby(keys, observed=True)["_log"].cumsum())
    var = t.groupby(keys, observed=True)["_green"].cumsum().to_numpy()
    s = t["survival"].to_numpy()
    with np.errstate(divide="ignore", invalid="ignore"):
        ls = np.log(s)
        width = z * np.sqrt(var) / np.abs(ls)
        low, high = s ** np.exp(width), s ** np.exp(-width)
    ok = (s > 0) & (s < 1) & np.isfinite(var)
    t["survival_low"] = np.where(ok, low, np.where(s >= 1, 1.0, 0.0))
    t["survival_high"] = np.where(ok, high, np.where(s >= 1, 1.0, np.where(s <= 0, 0.0, 1.0)))
    t["days"] = t["days"].astype(float)
    return t[keys + ["days", "at_risk", "events", "survival", "survival_low", "survival_high"]]


def _first_time_below(curve, keys, col, q=0.5):
    hit = curve[curve[col] <= q]
    return hit.groupby(keys, observed=True)["days"].min()


def cycle_km(ds: Dataset, window=None, by=None, level: float = 0.95, as_of=None,
             period=None) -> pd.DataFrame:
    """Median sales-cycle length per group by Kaplan–Meier, open deals censored.

    The cohort and censoring date are chosen as in :func:`cycle_durations` (``window``,
    ``as_of``, or ``period`` for the 365 days up to a period's end).

    ``median_days`` = min { t : S(t) ≤ 0.5 } on the curve of :func:`km_curve`; its interval
    ``median_low``/``median_high`` are the first times the upper / lower confidence band of
    ``S`` reach 0.5 (Brookmeyer–Crowley style). NaN when fewer than half the deals closed.
    Also returns ``deals``, ``closed`` (events), ``censored`` (open) and
    ``closed_mean_days`` (the naive mean of closed deals only, for comparison).
    """
    dur = cycle_durations(ds, window=window, by=by, as_of=as_of, period=period)
    keys = _as_keys(by) if by is not None else ["group"]
    curve = km_curve(dur, by=keys, level=level)
    g = dur.groupby(keys, observed=True)
    out = pd.DataFrame({
        "deals": g.size(), "closed": g["event"].sum(),
        "closed_mean_days": dur[dur["event"] == 1].groupby(keys, observed=True)["days"].mean(),
    })
    out["censored"] = out["deals"] - out["closed"]
    out["median_days"] = _first_time_below(curve, keys, "survival")
    out["median_low"] = _first_time_below(curve, keys, "survival_low")
    out["median_high"] = _first_time_below(curve, keys, "survival_high")
    if out.empty and by is None:
        out = pd.DataFrame({"deals": [0], "closed": [0], "closed_mean_days": [np.nan],
                            "censored": [0], "median_days": [np.nan], "median_low": [np.nan],
                            "median_high": [np.nan]}, index=pd.Index([P_ALL], name="group"))
    out = out.reset_index()
    return out[keys + ["median_days", "median_low", "median_high", "deals", "closed",
                       "censored", "closed_mean_days"]]


# --------------------------------------------------------------------------------------------
# velocity and gap decomposition
# --------------------------------------------------------------------------------------------
GAP_COMPONENTS = ("volume", "win_rate", "deal_size", "cycle")


def velocity(sc: pd.DataFrame) -> pd.DataFrame:
    """Pipeline velocity for each row of a scorecard, in dollars per day.

    ``velocity = deals × win_rate × avg_deal_size / cycle_days_median``

    with ``deals`` the closed deals of the period, so ``deals × win_rate × avg_deal_size`` is
    exactly the bookings and velocity = bookings per day of a typical cycle. NaN when the
    group won nothing (no deal size or cycle). Returns a copy of ``sc`` with ``velocity``.
    """
    with np.errstate(divide="ignore", invalid="ignore"):
        v = sc["deals"] * sc["win_rate"] * sc["avg_deal_size"] / sc["cycle_days_median"]
    return sc.assign(velocity=v.where(sc["won"] > 0).astype(float))


def gap_decomposition(sc: pd.DataFrame, key: str = "rep_id", reference=None,
                      min_deals: int = 0) -> pd.DataFrame:
    """Split each group's velocity gap to a reference into volume, win rate, size and cycle.

    The reference is the median rep: the component-wise medians (over groups that won
    something) of deals, win rate, deal size and cycle days, unless ``reference`` (a dict
    with those four scorecard column names) is given. Because velocity is a product::

        log(v / v_ref) =  log(deals / deals_ref)            volume
                        + log(win_rate / win_rate_ref)      win_rate
                        + log(size / size_ref)              deal_size
                        − log(cycle / cycle_ref)            cycle (shorter is better)

    the four ``log_points`` add up exactly to ``log_gap``; ``dollars_per_day`` allocates the
    gap ``v − v_ref`` in proportion to the log points (so they too add up exactly; zero when the
    log gap is zero). Groups that won nothing have no velocity and are left out, as are groups
    with fewer than ``min_deals`` closed deals (too noisy to decompose; not in the reference).

    Returns
    -------
    pandas.DataFrame
        Long: ``key`` (and ``rep_name`` when the scorecard has it), ``component``, ``log_points``, ``dollars_per_day``, ``velocity``,
        ``velocity_ref``, ``log_gap``.
    """
    sc = velocity(sc)
    sc = sc[sc["velocity"].notna() & (sc["velocity"] > 0) & (sc["deals"] >= min_deals)]
    cols = {"volume": "deals", "win_rate": "win_rate", "deal_size": "avg_deal_size",
            "cycle": "cycle_days_median"}
    ref = {c: (reference or {}).get(col, sc[col].median()) for c, col in cols.items()}
    v_ref = ref["volume"] * ref["win_rate"] * ref["deal_size"] / ref["cycle"]
    parts = pd.DataFrame({c: np.log(sc[col].to_numpy(float) / ref[c]) for c, col in cols.items()},
                         index=sc.index)
    parts["cycle"] = -parts["cycle"]
    log_gap = parts.sum(axis=1)
    gap = sc["velocity"] - v_ref
    with np.errstate(divide="ignore", invalid="ignore"):
        share = parts.div(log_gap.where(log_gap != 0), axis=0).fillna(0.0)
    long = parts.assign(**{key: sc[key].to_numpy()}).melt(
        id_vars=key, var_name="component", value_name="log_points")
    dollars = share.mul(gap, axis=0).assign(**{key: sc[key].to_numpy()}).melt(
        id_vars=key, var_name="component", value_name="dollars_per_day")
    out = long.merge(dollars, on=[key, "component"])
    info = pd.DataFrame({key: sc[key].to_numpy(), "velocity": sc["velocity"].to_numpy(),
                         "log_gap": log_gap.to_numpy()})
    named = "rep_name" in sc.columns and key != "rep_name"
    if named:
        info["rep_name"] = sc["rep_name"].to_numpy()
    out = out.merge(info, on=key).assign(velocity_ref=v_ref)
    out["component"] = pd.Categorical(out["component"], GAP_COMPONENTS, ordered=True)
    out = out.sort_values([key, "component"]).reset_index(drop=True)
    out["component"] = out["component"].astype(str)
    return out[[key] + (["rep_name"] if named else []) + [
        "component", "log_points", "dollars_per_day", "velocity", "velocity_ref", "log_gap"]]


def top_bottom(gap: pd.DataFrame, n: int = 5, key: str = "rep_id") -> pd.DataFrame:
    """The rows of the ``n`` groups with the largest and the ``n`` with the smallest ``log_gap``."""
    order = gap.drop_duplicates(key).sort_values("log_gap")[key]
    keep = pd.concat([order.head(n), order.tail(n)]).unique()
    return gap[gap[key].isin(keep)].reset_index(drop=True)


# --------------------------------------------------------------------------------------------
# honest leaderboard
# --------------------------------------------------------------------------------------------
VERDICTS = ("above team", "in line with team", "below team", "too few deals")


def funnel_limits(rate: float, deals, level: float = 0.95) -> tuple[np.ndarray, np.ndarray]:
    """Funnel-plot control limits of a win rate around the team's ``rate``.

    ``rate ± z · sqrt(rate (1 − rate) / deals)``, clipped to [0, 1]; what a rep with ``deals``
    closed deals and the team's true rate shows ``level`` of the time by chance alone.
    """
    from scipy import stats

    n = np.asarray(deals, dtype=float)
    z = stats.norm.ppf(0.5 + level / 2)
    with np.errstate(divide="ignore", invalid="ignore"):
        half = z * np.sqrt(rate * (1 - rate) / n)
    return np.clip(rate - half, 0, 1), np.clip(rate + half, 0, 1)


def leaderboard(ds: Dataset, period, min_deals: int = 10, level: float = 0.95,
                prior: tuple[float, float] | None = None) -> pd.DataFrame:
    """Rep leaderboard that separates only what the data can separate.

    Each rep's win rate is compared with the team's pooled rate ``p0 = Σ won / Σ deals`` through
    funnel-plot limits (:func:`funnel_limits`): ``verdict`` is "above team" when the rep's
    rate lies above the upper limit for its number of deals, "below team" under the lower
    limit, "in line with team" otherwise, and "too few deals" when ``deals < min_deals`` (shown,
    never placed). The funnel limits are the score test of ``p = p0``, which the Wilson interval
    inverts, so a rep is outside the funnel exactly when its Wilson interval excludes the team
    rate — the leaderboard chart and the funnel plot always agree. There is deliberately no rank column: rows are ordered by verdict, then by
    the shrunk win rate (:func:`shrink_win_rate`) for reading, but reps within a verdict are
    statistically indistinguishable.

    Returns
    -------
    pandas.DataFrame
        The rep scorecard columns plus ``win_rate_shrunk`` (and its interval), ``team_win_rate``,
        ``limit_low``, ``limit_high``, ``verdict``.
    """
    sc = scorecard(ds, period, by="rep_id")
    try:
        sc = shrink_win_rate(sc, prior=prior, level=level)
    except ValueError:          # nobody closed a deal in the period
        sc = sc.assign(win_rate_shrunk=np.nan, win_rate_shrunk_low=np.nan,
                       win_rate_shrunk_high=np.nan, prior_alpha=np.nan, prior_beta=np.nan)
    total = sc["deals"].sum()
    p0 = sc["won"].sum() / total if total else np.nan
    low, high = funnel_limits(p0, sc["deals"], level)
    verdict = np.select(
        [sc["deals"] < min_deals, sc["win_rate"] > high, sc["win_rate"] < low],
        ["too few deals", "above team", "below team"], "in line with team")
    sc = sc.assign(team_win_rate=p0, limit_low=low, limit_high=high,
                   verdict=pd.Categorical(verdict, VERDICTS, ordered=True))
    sc = sc.sort_values(["verdict", "win_rate_shrunk"], ascending=[True, False], kind="stable")
    return sc.assign(verdict=sc["verdict"].astype(str)).reset_index(drop=True)


# --------------------------------------------------------------------------------------------
# potential-adjusted performance
# --------------------------------------------------------------------------------------------
PREDICTORS = ("potential", "accounts", "tenure_months")
#: Fewest reps the regression is fitted on (4 parameters + 2 degrees of freedom).
MIN_REPS_REGRESSION = len(PREDICTORS) + 3
ADJUSTED_COLUMNS = ["expected", "expected_low", "expected_high", "residual", "residual_low",
                    "residual_high", "verdict"]


def territory_drivers(ds: Dataset, period) -> pd.DataFrame:
    """Per rep: bookings of ``period`` and what the rep was given to work with.

    ``potential`` = Σ accounts.potential owned (owner_rep_id), ``accounts`` = number of accounts
    owned (workload), ``tenure_months`` = months from hire_date to the period's end (≥ 0).
    """
    P = Period.parse(period, ds.fiscal_start_month)
    sc = scorecard(ds, P, by="rep_id")
    acc = ds.accounts
    g = acc.groupby("owner_rep_id", observed=True)
    own = pd.DataFrame({"potential": g["potential"].sum(min_count=1),
                        "accounts": g["account_id"].size()})
    hire = ds.reps.set_index("rep_id")["hire_date"]
    tenure = ((P.end - sc["rep_id"].map(hire)).dt.days / 30.4375).clip(lower=0)
    out = sc[["rep_id"] + [c for c in REP_ATTRIBUTES if c in sc.columns] + ["period", "bookings"]]
    return out.assign(
        potential=sc["rep_id"].map(own["potential"]).fillna(0.0).to_numpy(float)
        if acc["potential"].notna().any() else np.nan,
        accounts=sc["rep_id"].map(own["accounts"]).fillna(0).to_numpy(float),
        tenure_months=tenure.to_numpy(float))


def _potential_fit(ds: Dataset, period):
    import statsmodels.api as sm

    d = territory_drivers(ds, period)
    d = d.dropna(subset=list(PREDICTORS))
    if len(d) < MIN_REPS_REGRESSION:
        raise ValueError(f"potential-adjusted regression needs at least {MIN_REPS_REGRESSION} "
                         f"reps with potential, accounts and hire date; got {len(d)}")
    X = sm.add_constant(d[list(PREDICTORS)].astype(float), has_constant="add")
    return d, X, sm.OLS(d["bookings"].astype(float), X).fit()


def potential_model(ds: Dataset, period, level: float = 0.95) -> pd.DataFrame:
    """Coefficients of ``bookings ~ 1 + potential + accounts + tenure_months`` (OLS over reps).

    Returns ``term``, ``coef``, ``low``, ``high`` (``level`` interval), ``p_value``, and the
    fit's ``r2`` and ``reps`` repeated on each row.
    """
    d, _, fit = _potential_fit(ds, period)
    ci = fit.conf_int(1 - level)
    return pd.DataFrame({"term": fit.params.index, "coef": fit.params.to_numpy(),
                         "low": ci[0].to_numpy(), "high": ci[1].to_numpy(),
                         "p_value": fit.pvalues.to_numpy(), "r2": fit.rsquared, "reps": len(d)})


def potential_adjusted(ds: Dataset, period, level: float = 0.95) -> pd.DataFrame:
    """Who outperforms the territory they were given.

    Fits ``bookings_i = b0 + b1·potential_i + b2·accounts_i + b3·tenure_months_i + e_i`` by OLS
    across reps (:func:`territory_drivers`). Each rep is judged against the model fitted
    on the *other* reps (leave-one-out), so a star cannot pull the line towards itself:

    * ``expected`` = ŷ₍₋ᵢ₎, the rep's bookings predicted without it;
    * ``residual`` = bookings − expected = eᵢ / (1 − hᵢᵢ) (PRESS residual; h = leverage);
    * ``residual_low/high`` = residual ∓ t₍ₙ₋ₚ₋₁₎ · s₍₋ᵢ₎ / sqrt(1 − hᵢᵢ), where
      s₍₋ᵢ₎² = (SSE − eᵢ² / (1 − hᵢᵢ)) / (n − p − 1); ``expected_low/high`` the matching
      prediction interval;
    * ``verdict`` "above expectation" when residual_low > 0, "below expectation" when
      residual_high < 0, else "as expected" (i.e. |externally studentised residual| > t).

    Reps without a hire date or owned-account potential are left out. With fewer than 6
    usable reps (the model has 4 parameters) the result is an empty frame with the same
    columns and the reason in ``.attrs["note"]``, so a report shows the gap instead of failing;
    :func:`potential_model` raises in that case.
    """
    from scipy import stats

    try:
        d, X, fit = _potential_fit(ds, period)
    except ValueError as exc:
        empty = territory_drivers(ds, period).iloc[0:0]
        empty = empty.assign(**{c: pd.Series(dtype="string" if c == "verdict" else float)
                                for c in ADJUSTED_COLUMNS})
        empty.attrs["note"] = str(exc)
        return empty
    infl = fit.get_influence()
    h = infl.hat_matrix_diag
    e = fit.resid.to_numpy()
    n, p = X.shape
    press = e / (1 - h)
    s_i = np.sqrt((np.sum(e ** 2) - e ** 2 / (1 - h)) / (n - p - 1))
    half = stats.t.ppf(0.5 + level / 2, n - p - 1) * s_i / np.sqrt(1 - h)
    y = d["bookings"].to_numpy(float)
    out = d.assign(expected=y - press, expected_low=y - press - half,
                   expected_high=y - press + half, residual=press,
                   residual_low=press - half, residual_high=press + half)
    out["verdict"] = np.select([out["residual_low"] > 0, out["residual_high"] < 0],
                               ["above expectation", "below expectation"], "as expected")
    return out.sort_values("residual", ascending=False).reset_index(drop=True)


# --------------------------------------------------------------------------------------------
# plots (tidy frame in, figure out; house style from viz)
# --------------------------------------------------------------------------------------------
_VERDICT_COLORS = {"above team": "#2E7D32", "in line with team": "#0B4F8A",
                   "below team": "#C62828", "too few deals": "#9E9E9E",
                   "above expectation": "#2E7D32", "as expected": "#0B4F8A",
                   "below expectation": "#C62828"}


def _rep_labels(df: pd.DataFrame) -> pd.Series:
    return df["rep_name"].astype(str) if "rep_name" in df.columns else df["rep_id"].astype(str)


def plot_leaderboard(lb: pd.DataFrame, ax=None):
    """Win rate of each rep with its Wilson 95 % interval against the team rate.

    Takes :func:`leaderboard`'s frame; colours by verdict; greys out "too few deals".
    """
    lb = lb.iloc[::-1]
    size = (9, max(3.5, 0.22 * len(lb) + 1))
    fig, ax = viz.figure("Win rate by rep, with 95% intervals", "Win rate (won ÷ closed deals)",
                         "Rep", ax=ax, size=size)
    y = np.arange(len(lb))
    colors = lb["verdict"].map(_VERDICT_COLORS).fillna(viz.COLORS["neutral"])
    ax.hlines(y, lb["win_rate_low"], lb["win_rate_high"], colors=colors, lw=2, alpha=0.7)
    ax.scatter(lb["win_rate"], y, c=colors, s=28, zorder=3)
    if len(lb) and pd.notna(lb["team_win_rate"].iloc[0]):
        ax.axvline(lb["team_win_rate"].iloc[0], color=viz.COLORS["target"], ls="--",
                   label="team win rate")
    ax.set_yticks(y, _rep_labels(lb), fontsize=8)
    for v, c in _VERDICT_COLORS.items():
        if v in set(lb["verdict"]):
            ax.scatter([], [], c=c, label=v)
    ax.legend(loc="lower right", fontsize=8)
    viz.pct_axis(ax, "x")
    return fig


def plot_funnel(lb: pd.DataFrame, ax=None):
    """Funnel plot: win rate against closed deals, with the 95 % and 99.8 % control limits.

    Reps inside the funnel are indistinguishable from the team rate by chance alone.
    """
    fig, ax = viz.figure("Funnel plot: win rate against number of closed deals",
                         "Closed deals in the period", "Win rate (won ÷ closed deals)", ax=ax)
    p0 = lb["team_win_rate"].iloc[0] if len(lb) else np.nan
    n = np.linspace(1, max(float(lb["deals"].max() if len(lb) else 1), 2) * 1.05, 200)
    for level, ls in ((0.95, "--"), (0.998, ":")):
        low, high = funnel_limits(p0, n, level)
        ax.plot(n, low, color=viz.COLORS["neutral"], ls=ls, lw=1, label=f"{level * 100:g}% limits")
        ax.plot(n, high, color=viz.COLORS["neutral"], ls=ls, lw=1)
    ax.axhline(p0, color=viz.COLORS["target"], lw=1.2, label="team win rate")
    colors = lb["verdict"].map(_VERDICT_COLORS).fillna(viz.COLORS["neutral"])
    ax.scatter(lb["deals"], lb["win_rate"], c=colors, s=30, zorder=3)
    ax.set_ylim(0, 1)
    ax.legend(loc="upper right", fontsize=8)
    viz.pct_axis(ax)
    return fig


def plot_attainment(sc: pd.DataFrame, ax=None):
    """Histogram of quota attainment across reps with the 80 % and 100 % marks."""
    fig, ax = viz.figure("Quota attainment across reps", "Attainment (bookings ÷ quota)",
                         "Reps", ax=ax)
    a = sc["attainment"].dropna()
    bins = np.arange(0, max(2.0, float(a.max()) if len(a) else 2.0) + 0.1, 0.1)
    ax.hist(a.clip(upper=bins[-1]), bins=bins, color=viz.COLORS["primary"], alpha=0.85,
            edgecolor="white")
    for x, lab in ((0.8, "80% of quota"), (1.0, "quota")):
        ax.axvline(x, color=viz.COLORS["target"], ls="--" if x < 1 else "-", label=lab)
    ax.legend(loc="upper right")
    viz.pct_axis(ax, "x")
    return fig


def plot_residuals(pa: pd.DataFrame, ax=None):
    """Each rep's bookings above or below what its territory predicts, with its interval."""
    pa = pa.sort_values("residual")
    size = (9, max(3.5, 0.22 * len(pa) + 1))
    fig, ax = viz.figure("Bookings beyond what the territory explains",
                         "Residual bookings (actual − expected, $)", "Rep", ax=ax, size=size)
    y = np.arange(len(pa))
    colors = pa["verdict"].map(_VERDICT_COLORS).fillna(viz.COLORS["neutral"])
    ax.hlines(y, pa["residual_low"], pa["residual_high"], colors=colors, lw=2, alpha=0.6)
    ax.scatter(pa["residual"], y, c=colors, s=28, zorder=3)
    ax.axvline(0, color=viz.COLORS["neutral"], lw=1)
    ax.set_yticks(y, _rep_labels(pa), fontsize=8)
    if pa.empty:
        ax.text(0.5, 0.5, pa.attrs.get("note", "no reps to show"), ha="center", va="center",
                transform=ax.transAxes, color=viz.COLORS["neutral"], wrap=True)
    viz.money_axis(ax, "x")
    return fig


def plot_gap(gap: pd.DataFrame, key: str = "rep_id", ax=None):
    """Stacked bars of each group's velocity gap to the median rep, by component (log points)."""
    name = "rep_name" if "rep_name" in gap.columns else key
    wide = gap.pivot_table(index=name, columns="component", values="log_points", observed=True)
    wide = wide.reindex(columns=list(GAP_COMPONENTS))
    wide = wide.loc[wide.sum(axis=1).sort_values().index]
    size = (9, max(3, 0.35 * len(wide) + 1.2))
    fig, ax = viz.figure("Where the velocity gap to the median rep comes from",
                         "Contribution to log(velocity ÷ median rep's)  (0.1 ≈ 10%)", "Rep",
                         ax=ax, size=size)
    y = np.arange(len(wide))
    pos = np.zeros(len(wide))
    neg = np.zeros(len(wide))
    for i, comp in enumerate(GAP_COMPONENTS):
        v = wide[comp].fillna(0).to_numpy()
        left = np.where(v >= 0, pos, neg)
        ax.barh(y, v, left=left, color=viz.PALETTE[i], label=comp.replace("_", " "))
        pos, neg = pos + np.clip(v, 0, None), neg + np.clip(v, None, 0)
    ax.scatter(wide.sum(axis=1), y, color="black", marker="|", s=120, zorder=3, label="total")
    ax.axvline(0, color=viz.COLORS["neutral"], lw=1)
    ax.set_yticks(y, wide.index.astype(str), fontsize=8)
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1), fontsize=8)
    return fig


def plot_cycle_km(curve: pd.DataFrame, by: str = "group", ax=None):
    """Kaplan–Meier curves: share of deals still open after ``d`` days, per group, with bands."""
    fig, ax = viz.figure("Sales cycle: share of deals still open by age",
                         "Days since the deal was created", "Share of deals still open", ax=ax)
    colors = viz.color_map(curve[by].astype(str))
    for name, c in curve.groupby(by, observed=True):
        col = colors[str(name)]
        ax.step(c["days"], c["survival"], where="post", color=col, label=str(name))
        ax.fill_between(c["days"], c["survival_low"], c["survival_high"], step="post",
                        color=col, alpha=0.15)
    ax.axhline(0.5, color=viz.COLORS["neutral"], ls=":", lw=1, label="median")
    ax.set_ylim(0, 1.02)
    ax.legend(loc="upper right", fontsize=8)
    viz.pct_axis(ax)
    return fig



# --------------------------------------------------------------------------------------------
# key numbers and one-sentence readings for the report
# --------------------------------------------------------------------------------------------
def kpi_cards(h: dict) -> list[tuple[str, str, str]]:
    """Headline cards for :func:`salesops_lib.viz.kpis` from :func:`headline`'s dict."""
    return [
        ("Team attainment", viz.pct(h["attainment"]),
         f"{viz.money(h['bookings'])} booked of {viz.money(h['quota'])} quota"
         if pd.notna(h["quota"]) else f"{viz.money(h['bookings'])} booked; no quota in the data"),
        ("Reps at quota", viz.pct(h["share_at_100"]),
         f"{viz.pct(h['share_at_80'])} at 80% or more, of {h['reps']} reps"),
        ("Median sales cycle", viz.days(h["cycle_days_median"]),
         f"open deals counted (Kaplan–Meier); won deals alone {viz.days(h['cycle_days_closed_median'])}"),
        ("Win rate", viz.pct(h["win_rate"]), "won ÷ closed deals this period"),
    ]


def _names(df: pd.DataFrame, n: int = 4) -> str:
    names = _rep_labels(df).head(n).tolist()
    more = len(df) - len(names)
    return ", ".join(names) + (f" and {more} more" if more > 0 else "")


def reading_leaderboard(lb: pd.DataFrame) -> str:
    """One sentence: how many reps the data actually separate from the team."""
    v = lb["verdict"].value_counts()
    p0 = lb["team_win_rate"].iloc[0] if len(lb) else np.nan
    above, below = lb[lb["verdict"] == "above team"], lb[lb["verdict"] == "below team"]
    text = (f"Against a team win rate of {viz.pct(p0)}, {len(above)} rep(s) win clearly more often"
            + (f" ({_names(above)})" if len(above) else "")
            + f" and {len(below)} clearly less often" + (f" ({_names(below)})" if len(below) else "")
            + f"; {v.get('in line with team', 0)} are within chance of the team rate and "
            f"{v.get('too few deals', 0)} closed too few deals to judge.")
    return text


def reading_attainment(roll: pd.DataFrame) -> str:
    """One sentence on the attainment distribution (from an org-level roll-up row)."""
    r = roll.iloc[0]
    if not r["reps_with_quota"]:
        return "No rep has a quota for this period, so attainment cannot be computed."
    return (f"{viz.pct(r['share_at_100'])} of reps with a quota reached it and "
            f"{viz.pct(r['share_at_80'])} reached 80%; the median rep attained "
            f"{viz.pct(r['median_attainment'])}, and the Gini of attainment is "
            f"{r['gini']:.2f} (0 = everyone equal).")


def reading_residuals(pa: pd.DataFrame) -> str:
    """One sentence: who beats or trails what their territory predicts."""
    if pa.empty:
        return "Not computed: " + pa.attrs.get("note", "no reps to compare") + "."
    up, down = pa[pa["verdict"] == "above expectation"], pa[pa["verdict"] == "below expectation"]
    return (f"Allowing for territory potential, accounts and tenure, {len(up)} rep(s) booked "
            "clearly more than their territory predicts" + (f" ({_names(up)})" if len(up) else "")
            + f" and {len(down)} clearly less" + (f" ({_names(down)})" if len(down) else "")
            + f"; the other {len(pa) - len(up) - len(down)} are within the model's error.")


def reading_gap(gap: pd.DataFrame, key: str = "rep_id") -> str:
    """One sentence: which component drives the gap of the reps below the median."""
    below = gap[gap["log_gap"] < 0]
    if below.empty:
        return "No rep's velocity is below the median rep's."
    worst = below.groupby("component")["log_points"].sum().idxmin()
    return (f"For the {below[key].nunique()} reps below the median rep's velocity, the largest "
            f"drag is {worst.replace('_', ' ')}.")


def reading_cycle(km: pd.DataFrame, by: str) -> str:
    """One sentence comparing Kaplan–Meier median cycles across groups."""
    parts = [f"{g} {viz.days(m)}" for g, m in zip(km[by].astype(str), km["median_days"])]
    return ("Median days from creation to close, counting still-open deals: "
            + "; ".join(parts) + ".")


# --------------------------------------------------------------------------------------------
# display tables
# --------------------------------------------------------------------------------------------
def leaderboard_table(lb: pd.DataFrame):
    """The leaderboard as a formatted, escaped table (verdict first, no rank column)."""
    cols = [c for c in ["rep_name", "team", "verdict", "deals", "win_rate", "win_rate_shrunk",
                        "bookings", "attainment", "avg_deal_size", "cycle_days_median"]
            if c in lb.columns]
    return viz.table(lb[cols], {"win_rate": "pct", "win_rate_shrunk": "pct", "bookings": "money",
                                "attainment": "pct", "avg_deal_size": "money",
                                "cycle_days_median": "days"},
                     caption="Scorecard by verdict (shrunk win rate: empirical-Bayes estimate)")


def rollup_table(roll: pd.DataFrame):
    """An attainment roll-up (:func:`attainment_rollup`) as a formatted table."""
    return viz.table(roll, {"bookings": "money", "quota": "money", "attainment": "pct",
                            "median_attainment": "pct", "share_at_100": "pct",
                            "share_at_80": "pct", "gini": lambda g: viz.num(g, 2)})
