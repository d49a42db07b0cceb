"""The scorecard: one row per rep (or team, manager, ...) and period.

Definitions (``P`` is the fiscal period, ``start(P)``/``end(P)`` inclusive):

* **bookings** = Σ amount of *won* deals with ``close_date ∈ P``.
* **quota** = the rep's quota for ``P`` (:func:`salesops_lib.measures.quota_for_period`).
* **attainment** = bookings / quota.
* **win rate** = won / (won + lost), deals closed in ``P``, with a Wilson 95 % interval.
* **deals** = won + lost (closed deals in ``P``); ``min_deals`` thresholds use this.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..data import Dataset
from ..measures import (
    UNASSIGNED,
    open_pipeline_as_of,
    quota_for_period,
    rep_display_names,
    report_date,
)
from ..periods import Period
from .winrates import wilson_interval

#: Group label when a metric is computed over everyone (``by=None``).
P_ALL = "all reps"


#: Rep attributes carried along when the scorecard is by rep.
REP_ATTRIBUTES = ("rep_name", "manager", "team", "role")


SCORECARD_COLUMNS = [
    "period", "bookings", "quota", "attainment", "won", "lost", "deals", "win_rate",
    "win_rate_low", "win_rate_high", "avg_deal_size", "cycle_days_median", "pipeline_created",
    "created", "open_pipeline", "remaining_quota", "coverage",
]


def ratio(num, den):
    num = np.asarray(num, dtype=float)
    den = np.asarray(den, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(den > 0, num / np.where(den > 0, den, 1), np.nan)


def as_keys(by) -> list[str]:
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
    keys = as_keys(by)
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
    df = df.assign(**{k: label(df[k]) for k in keys})
    return df, keys, rep_level


def with_rep_attributes(ds: Dataset, frame: pd.DataFrame, keys: list[str]):
    """``frame`` with the reps' name, manager, team and role joined on when it is keyed by
    rep (``keys == ["rep_id"]``); returns ``(frame, added columns)``."""
    if keys != ["rep_id"]:
        return frame, []
    attrs = [a for a in REP_ATTRIBUTES if a in ds.reps.columns]
    reps = ds.reps[["rep_id"] + attrs].assign(rep_id=lambda r: label(r["rep_id"]))
    if "rep_name" in attrs:         # the name a page shows: same-named reps told apart
        reps["rep_name"] = rep_display_names(ds.reps).to_numpy()
    return frame.merge(reps, on="rep_id", how="left"), attrs


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

    if is_lazy(ds) and (team or channel):
        raise ValueError("a lazy (SQL) source is reported whole: a team or channel filter needs "
                         "the data in memory (load_dataset without lazy)")
    if not team and not channel:
        return ds
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


def of_team(frame: pd.DataFrame, ds: Dataset, team: str | None) -> pd.DataFrame:
    """The rows of a per-rep ``frame`` (``rep_id``) whose rep is in ``team``; all of them for
    an empty team. A team page shows its reps' share of a comparison made across the whole
    company (peers, false-discovery control, the model of what a territory predicts), so a
    rep's verdict reads the same on the team page as on the company page. The reps a frame
    left out as not yet hired (``attrs["not_yet_hired_ids"]``) are counted for the team only
    (``attrs["not_yet_hired"]``)."""
    if not team:
        return frame
    ids = set(ds.reps.loc[ds.reps["team"] == team, "rep_id"].astype(str))
    out = frame[frame["rep_id"].astype(str).isin(ids)]
    if "not_yet_hired_ids" in frame.attrs:
        later = [r for r in frame.attrs["not_yet_hired_ids"] if r in ids]
        out.attrs.update(not_yet_hired_ids=later, not_yet_hired=len(later))
    return out


def not_yet_hired(ds: Dataset, sc: pd.DataFrame, period) -> np.ndarray:
    """Which rows of a rep scorecard (:func:`scorecard`, by ``rep_id``) are reps not yet
    employed in ``period``: hired after its report date (:func:`salesops_lib.measures.
    report_date`: the period's end, or the as-of date while it runs) with nothing in it — no
    quota, no deal closed, created or open. A page on the period leaves them out: a rep hired
    in 2026 is not a 2025 rep with "too few deals". A rep with a quota or a deal in the period
    stays whatever its hire date, so every total still adds up to the company's."""
    if "hire_date" not in ds.reps or not len(sc):
        return np.zeros(len(sc), dtype=bool)
    hire = pd.to_datetime(sc["rep_id"].astype(str).map(
        ds.reps.assign(rep_id=ds.reps["rep_id"].astype(str)).set_index("rep_id")["hire_date"]))
    idle = (sc["quota"].isna() & (sc["deals"] == 0) & (sc["bookings"] == 0)
            & (sc["created"] == 0) & (sc["open_pipeline"] == 0))
    return ((hire > report_date(ds, period)) & idle).to_numpy(bool)


def label(s: pd.Series) -> pd.Series:
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
        The ``by`` columns (plus ``rep_name``, ``manager``, ``team``, ``role`` when by rep;
        ``rep_name`` is the display name of :func:`salesops_lib.measures.rep_display_names`, so
        two reps with one name are told apart),
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
          leaves the deals still open at its end, i.e. slipped pipeline. Amount, status and
          close date are those known at ``t`` (:func:`salesops_lib.measures.state_as_of`)
          when the data keep ``opportunity_history``; without history the final row read
          back in time, which is what ``state_as_of`` falls back to.
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
    if is_lazy(ds):
        agg, keys, rep_level = _lazy_sums(ds, by, P)
    else:
        agg, keys, rep_level = _memory_sums(ds, by, P)
    return _finish(ds, agg, keys, rep_level, P)


SUMS = ["bookings", "won", "lost", "pipeline_created", "created", "open_pipeline", "booked_by_t"]


def is_lazy(ds) -> bool:
    """Whether ``ds`` keeps its opportunities in the database (a lazy
    :class:`~salesops_lib.data.Warehouse`): the calls then take their SQL path."""
    return bool(getattr(ds, "is_lazy", False))


def has_values(ds, column: str) -> bool:
    """Whether ``column`` holds a value somewhere in the opportunities or reps."""
    if column in ds.reps.columns and ds.reps[column].notna().any():
        return True
    if is_lazy(ds):
        return ds.has_values(column)
    opp = ds.opportunities
    return bool(column in opp.columns and opp[column].notna().any())


def _lazy_sums(ds, by, P: Period):
    """The scorecard's sums from the database (:meth:`Warehouse.scorecard_aggregates`)."""
    keys = as_keys(by)
    if len(keys) != 1:
        raise ValueError("a lazy (SQL) source groups the scorecard by one column at a time")
    k = keys[0]
    rep_level = k == "rep_id" or (k in ds.reps.columns and k not in ds.opportunities.columns)
    agg = ds.scorecard_aggregates(P, by=k).rename(columns={"unique_id": k})
    return agg.set_index(k)[SUMS + ["cycle_days_median"]], keys, rep_level


def _memory_sums(ds: Dataset, by, P: Period):
    """The scorecard's sums per group, in pandas."""
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
    if len(getattr(ds, "opportunity_history", ())):
        parts = pd.concat([parts.assign(open_pipeline=0.0), _open_as_of(ds, keys, t, P)],
                          ignore_index=True)
    g = parts.groupby(keys, observed=True, sort=False)
    agg = g[SUMS].sum()
    agg["cycle_days_median"] = g["cycle_days_median"].median()
    return agg, keys, rep_level


def _finish(ds, agg: pd.DataFrame, keys: list[str], rep_level: bool, P: Period) -> pd.DataFrame:
    """The scorecard from its sums per group: quotas, ratios, intervals, rep attributes."""
    if rep_level:
        base = ds.reps[["rep_id"] + [k for k in keys if k != "rep_id"]].copy()
        for k in keys:
            base[k] = label(base[k])
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
    out["attainment"] = ratio(out["bookings"], out["quota"])
    out["win_rate"] = ratio(out["won"], out["deals"])
    out["win_rate_low"], out["win_rate_high"] = wilson_interval(out["won"], out["deals"])
    out["avg_deal_size"] = ratio(out["bookings"], out["won"])
    out["cycle_days_median"] = out["cycle_days_median"].astype(float)
    out["remaining_quota"] = (out["quota"] - out["booked_by_t"]).clip(lower=0)
    out["coverage"] = ratio(out["open_pipeline"], out["remaining_quota"])
    out, extra = with_rep_attributes(ds, out, keys)
    out = out[keys + extra + SCORECARD_COLUMNS]
    return out.sort_values(keys, kind="stable").reset_index(drop=True)


def _open_as_of(ds: Dataset, keys: list[str], t, P: Period) -> pd.DataFrame:
    """Rows of open pipeline at ``t`` due in ``P``, as known at ``t`` (from the history):
    status open at t, close date (as of t) in P; keyed like :func:`deals_with_keys`."""
    st = open_pipeline_as_of(ds, pd.Timestamp(t), P)
    keyed = st[["rep_id"] + [k for k in keys if k in st.columns and k != "rep_id"]]
    from_reps = [k for k in keys if k not in keyed.columns]
    if from_reps:
        keyed = keyed.merge(ds.reps[["rep_id"] + from_reps], on="rep_id", how="left")
    out = pd.DataFrame({k: label(keyed[k]).to_numpy() for k in keys})
    for c in ["bookings", "won", "lost", "pipeline_created", "created", "booked_by_t"]:
        out[c] = 0
    out["open_pipeline"] = st["amount"].to_numpy(float)
    out["cycle_days_median"] = np.nan
    return out


def scorecard_history(ds: Dataset, periods, by="rep_id") -> pd.DataFrame:
    """:func:`scorecard` for several periods stacked: one row per group × period.

    ``periods`` is a list of labels or :class:`~salesops_lib.periods.Period` (one scorecard per
    period, not per row).
    """
    return pd.concat([scorecard(ds, p, by) for p in periods], ignore_index=True)


def to_long(sc: pd.DataFrame, by="rep_id") -> pd.DataFrame:
    """A scorecard as a long frame: ``by`` columns, ``period``, ``metric``, ``value``."""
    keys = as_keys(by)
    metrics = [c for c in SCORECARD_COLUMNS if c != "period" and c in sc.columns]
    return sc.melt(id_vars=keys + ["period"], value_vars=metrics, var_name="metric",
                   value_name="value")


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
        ``by=None`` gives one row for the whole org. Reps not yet employed in the period
        (:func:`not_yet_hired`) are not counted.
    """
    sc = scorecard(ds, period, by="rep_id")
    sc = sc[~not_yet_hired(ds, sc, period)]
    keys = [] if by is None else as_keys(by)
    for k in keys:
        if k not in sc.columns:
            sc[k] = label(sc["rep_id"].map(ds.reps.set_index("rep_id")[k]))
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
    out["attainment"] = ratio(out["bookings"], out["quota"])
    out = out.reset_index()
    out.insert(len(keys), "period", str(Period.parse(period, ds.fiscal_start_month)))
    cols = keys + ["period", "reps", "reps_with_quota", "bookings", "quota", "attainment",
                   "median_attainment", "share_at_100", "share_at_80", "gini"]
    return out[cols].drop(columns=["_all"], errors="ignore")


def rep_labels(df: pd.DataFrame) -> pd.Series:
    """The names to show for the reps of a frame: its ``rep`` or ``rep_name`` column (display
    names, see :func:`salesops_lib.measures.rep_display_names`), else the rep id."""
    for col in ("rep", "rep_name"):
        if col in df.columns:
            return df[col].astype(str)
    return df["rep_id"].astype(str)
