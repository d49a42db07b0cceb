"""Quota setting: top-down allocation, bottom-up capacity, seasonality, holds and overrides.

Everything is set from what was known before the period starts (deals as they stood the day
before, :func:`salesops_lib.measures.state_as_of`), and returns the contract's ``quotas`` table
(``rep_id``, ``period``, ``quota``), ready to load back with ``Dataset.from_frames``.

**Top-down methods** spread a company number ``total`` over the reps employed in the period in
proportion to a weight ``w_r``: ``quota_r = total · w_r / Σ w``:

* ``even``: ``w = capacity × employed share`` (share of the period's days after the hire date);
* ``prior_year``: the rep's won bookings in the same period a year earlier;
* ``trailing_12m``: won bookings in the 12 months before the period starts;
* ``potential``: territory potential, Σ :func:`measures.account_potential` of owned accounts;
* ``blend``: the mean of the three normalised shares prior_year, trailing_12m and potential
  (a share with no data, e.g. no bookings a year earlier, drops out of the mean).

A rep hired too late to have the whole history window (history methods), or owning no account
yet (potential), takes the median weight of the other reps of the same role × employed share
(no quota of zero for a new hire).

**Default company number**: the quota already set for the period (:func:`quota_for_period`)
when there is one, else prior-year bookings × (1 + growth), else (no bookings in the same
period a year earlier, e.g. a CRM export shorter than a year) the trailing-12-month bookings
scaled to the period's length (× months / 12, or / the months the data cover when they begin
later) × (1 + growth); :func:`company_basis` says which.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..measures import account_potential, bookings_start, quota_for_period, state_as_of
from ..periods import Period, period_containing

METHODS = ("even", "prior_year", "trailing_12m", "potential", "blend")
#: How each method is named in reports.
METHOD_LABELS = {"even": "Even", "prior_year": "Prior year", "trailing_12m": "Trailing 12 months",
                 "potential": "Potential", "blend": "Blend"}


def known_before(ds, period) -> pd.Timestamp:
    """The day quotas for ``period`` are set on: the day before it starts (or the data's
    as-of date when that is earlier)."""
    P = Period.parse(period, ds.fiscal_start_month)
    return min(P.start - pd.Timedelta(days=1), pd.Timestamp(ds.as_of))


def won_bookings(ds, start, end, known_at, *, state=None) -> pd.Series:
    """Won amount per ``rep_id`` closed in ``[start, end]`` as known on ``known_at`` (pass a
    ready :func:`state_as_of` frame for that day as ``state`` to save recomputing it)."""
    st = state_as_of(ds, known_at) if state is None else state
    w = st[(st["status"] == "won") & (st["close_date"] >= pd.Timestamp(start))
           & (st["close_date"] <= pd.Timestamp(end))]
    return w.groupby(w["rep_id"].astype(str))["amount"].sum()


def _employed(ds, P: Period) -> pd.Series:
    reps = ds.reps.set_index(ds.reps["rep_id"].astype(str))
    hire = pd.to_datetime(reps["hire_date"]) if "hire_date" in reps else pd.Series(pd.NaT,
                                                                                  index=reps.index)
    share = ((P.end - hire).dt.days + 1) / P.days
    share = share.clip(0, 1).fillna(1.0)
    return share[share > 0]


def method_weights(ds, period, method: str, *, known_at=None) -> pd.Series:
    """Each employed rep's allocation weight under ``method`` (module docstring), by rep_id."""
    if method not in METHODS:
        raise ValueError(f"unknown quota method {method!r}; use one of {', '.join(METHODS)}")
    P = Period.parse(period, ds.fiscal_start_month)
    known = pd.Timestamp(known_at) if known_at is not None else known_before(ds, P)
    emp = _employed(ds, P)
    reps = ds.reps.set_index(ds.reps["rep_id"].astype(str)).reindex(emp.index)
    if method == "blend":
        parts = [method_weights(ds, P, m, known_at=known)
                 for m in ("prior_year", "trailing_12m", "potential")]
        parts = [p for p in parts if p.sum() > 0]     # a share with no data drops out
        if not parts:
            return pd.Series(0.0, index=emp.index, name="weight")
        return (sum(p / p.sum() for p in parts) / len(parts)).rename("weight")
    if method == "even":
        cap = reps["capacity"].astype(float).fillna(1.0) if "capacity" in reps else 1.0
        return (cap * emp).rename("weight")
    if method == "potential":
        pot, _ = account_potential(ds.accounts)
        owner = ds.accounts["owner_rep_id"].astype(str)
        w = pot.groupby(owner.to_numpy()).sum().reindex(emp.index).fillna(0.0)
        full = w > 0          # a rep without accounts yet is filled like a new hire
    else:
        if method == "prior_year":
            ly = P.last_year()
            start, end = ly.start, ly.end
        else:
            start, end = P.start - pd.DateOffset(months=12), P.start - pd.Timedelta(days=1)
        w = won_bookings(ds, start, end, known).reindex(emp.index).fillna(0.0)
        hire = (pd.to_datetime(reps["hire_date"]) if "hire_date" in reps
                else pd.Series(pd.NaT, index=emp.index))
        full = ~(hire > start)
    role = reps["role"].astype(str) if "role" in reps else pd.Series("all", index=emp.index)
    med = w[full].groupby(role[full]).median()
    fill = role.map(med).fillna(w[full].median() if full.any() else 0.0) * emp
    return w.where(full, fill).fillna(0.0).rename("weight")


def trailing_months(ds, period, months: int = 12) -> int:
    """Months of the ``months`` before ``period`` the data cover: from the month of
    :func:`~salesops_lib.measures.bookings_start` (the month of the first close), at most
    ``months``.
    A CRM export that starts mid-year covers fewer; its missing months are not zero
    bookings."""
    P = Period.parse(period, ds.fiscal_start_month)
    first = bookings_start(ds)
    if pd.isna(first):
        return 0
    cover = (P.start.year - first.year) * 12 + P.start.month - first.month
    return int(max(0, min(months, cover)))


def company_basis(ds, period, growth: float = 0.10) -> tuple[float, str]:
    """The top-down total for ``period`` and what it was set from: ``"quotas"`` (the quota
    already set), ``"prior_year"`` (bookings a year earlier × (1 + growth), when the data
    cover that whole period), ``"trailing_12m"`` (trailing-12-month bookings × months/12 × (1 + growth); when the data
    begin less than 12 months before the period, the bookings of the months covered ×
    months / covered, :func:`trailing_months`) or ``"none"`` (no quota and no won bookings
    before the period: the total is 0)."""
    P = Period.parse(period, ds.fiscal_start_month)
    q = quota_for_period(ds, P)
    if len(q) and q["quota"].sum() > 0:
        return float(q["quota"].sum()), "quotas"
    known = known_before(ds, P)
    ly = P.last_year()
    prior = float(won_bookings(ds, ly.start, ly.end, known).sum())
    covered = trailing_months(ds, P)
    if prior > 0 and covered == 12:     # not from a year-ago period the data cover in part
        return prior * (1 + growth), "prior_year"
    t12 = float(won_bookings(ds, P.start - pd.DateOffset(months=12),
                             P.start - pd.Timedelta(days=1), known).sum())
    if t12 > 0:
        covered = covered or 12
        return t12 * len(P.months()) / covered * (1 + growth), "trailing_12m"
    return 0.0, "none"


def company_number(ds, period, growth: float = 0.10) -> float:
    """The top-down total for ``period`` (module docstring, :func:`company_basis`)."""
    return company_basis(ds, period, growth)[0]


def allocate(ds, period, method: str = "blend", total: float | None = None, *,
             team_totals: dict | None = None, known_at=None) -> pd.DataFrame:
    """Top-down quotas for ``period`` in the contract's format.

    Parameters
    ----------
    total : float, optional
        Company number (default :func:`company_number`).
    team_totals : dict, optional
        ``team → number``: each team's number spread over its reps instead (teams not listed
        share what is left of ``total`` by weight).

    Returns
    -------
    DataFrame
        ``rep_id``, ``period``, ``quota`` (Σ quota = total).
    """
    P = Period.parse(period, ds.fiscal_start_month)
    total = company_number(ds, P) if total is None else float(total)
    if total <= 0:
        raise ValueError(f"the company number for {P.label} must be > 0, got {total}")
    w = method_weights(ds, P, method, known_at=known_at)
    if w.sum() <= 0:
        w = method_weights(ds, P, "even")
    if team_totals:
        team = ds.reps.set_index(ds.reps["rep_id"].astype(str))["team"].reindex(w.index)
        unknown = sorted(set(team_totals) - set(team.dropna()))
        if unknown:
            raise ValueError(f"team_totals names team(s) with no rep: {unknown}")
        fixed = team.isin(list(team_totals))
        rest = total - sum(team_totals.values())
        if rest < 0 and (~fixed).any():
            raise ValueError("team_totals add up to more than the company number")
        q = pd.Series(0.0, index=w.index)
        for t, amount in team_totals.items():
            m = team == t
            q[m] = amount * _shares(w[m])
        q[~fixed] = rest * _shares(w[~fixed]) if (~fixed).any() else 0.0
    else:
        q = total * _shares(w)
    return pd.DataFrame({"rep_id": q.index.astype(str), "period": P.label,
                         "quota": q.to_numpy(float)})


def _shares(w: pd.Series) -> pd.Series:
    s = w.sum()
    return w / s if s > 0 else pd.Series(1.0 / len(w), index=w.index)


def compare_methods(ds, period, total: float | None = None, by: str = "team") -> pd.DataFrame:
    """Quota per ``by`` (a reps column) under every method for the same company number.

    Returns ``by`` then one column per method (sums equal the total); ``attrs["in_force"]``
    the quotas the data hold for the period per ``by`` value (a dict; empty without any); ``attrs
    ["fell_back_to_even"]`` lists the methods with no data for their weight (e.g. no bookings a
    year earlier, no account owners), which split like ``even``; ``attrs["no_group"]`` is True
    when no rep has a ``by`` value (one "(unassigned)" row). No company number: empty.
    """
    reps = ds.reps.set_index(ds.reps["rep_id"].astype(str))
    if total is None and company_number(ds, period) <= 0:      # no basis: nothing to split
        return pd.DataFrame(columns=[by, *METHODS])
    group = (reps[by] if by in reps else pd.Series(pd.NA, index=reps.index, dtype=object))
    group = group.astype(object).where(group.notna(), "(unassigned)")
    cols, even = {}, []
    for m in METHODS:
        q = allocate(ds, period, m, total)
        cols[m] = q.groupby(q["rep_id"].map(group).to_numpy())["quota"].sum()
        if m != "even" and method_weights(ds, period, m).sum() <= 0:
            even.append(m)          # no data for this method's weight: it split evenly
    out = pd.DataFrame(cols).rename_axis(by).reset_index()
    # the quotas the data hold for the period, per group: what the methods are read against
    held = quota_for_period(ds, period)
    out.attrs["in_force"] = (held.groupby(held["rep_id"].astype(str).map(group).to_numpy())
                             ["quota"].sum().to_dict() if len(held) else {})
    out.attrs["fell_back_to_even"] = even
    # no rep has a value of ``by``: the one "(unassigned)" row is only the company number
    out.attrs["no_group"] = bool(by not in reps or reps[by].isna().all())
    return out


# --------------------------------------------------------------------------------------------
# bottom-up
# --------------------------------------------------------------------------------------------
def bottom_up(ds, period, *, ramp: pd.DataFrame | None = None, ramp_months: int = 6,
              attrition: float = 0.10, steady_after: int = 12) -> pd.DataFrame:
    """What each rep can be expected to sell in ``period``: capacity from productivity.

    ``capacity_r = productivity_role × 12/C × season(P) × ramp(tenure) × employed share ×
    capacity × (1 − attrition × months/12 / 2)``, where ``season(P)`` is the period's share of a
    fiscal year's bookings (:func:`season_share`: 1 for a year; for a quarter or month its
    shrunk share in the complete years before, so a year-end Q4 is not a quarter of the year:
    the sample's 2026-Q4 capacity read $8.2M against $10.1M booked in 2025-Q4), and ``productivity_role`` is the mean trailing-12-month
    bookings of ramped reps (tenure ≥ ``steady_after`` months) in the role (the mean, not the
    median: capacities are summed into what the team can sell, and bookings per rep are
    skewed, so N × median understated it: on the sample $5.3M for a 2026-Q3 in which the
    same reps sold $6.9M), ``C`` the months
    of those 12 the data cover (:func:`trailing_months`; 12 unless the export begins later),
    ``ramp(t)`` the
    ramp factor at the rep's tenure in months at mid-period (from ``ramp`` — ``tenure_month``,
    ``value``, as the rep-performance ramp curve — made non-decreasing and capped at 1; else
    linear to 1 over ``ramp_months``), and attrition the expected annual leaver rate (a leaver
    sells half the period on average).

    Returns ``rep_id``, ``role``, ``tenure_months``, ``ramp``, ``productivity``, ``capacity``.
    """
    P = Period.parse(period, ds.fiscal_start_month)
    known = known_before(ds, P)
    emp = _employed(ds, P)
    reps = ds.reps.set_index(ds.reps["rep_id"].astype(str)).reindex(emp.index)
    months = len(P.months())
    mid = P.start + (P.end - P.start) / 2
    hire = pd.to_datetime(reps["hire_date"]) if "hire_date" in reps else pd.Series(pd.NaT,
                                                                                  index=emp.index)
    tenure = ((mid - hire).dt.total_seconds() / 86400 / 30.4375).fillna(10 * 12).clip(lower=0)
    t12 = won_bookings(ds, known - pd.DateOffset(months=12) + pd.Timedelta(days=1), known,
                       known).reindex(emp.index).fillna(0.0)
    ten_known = ((known - hire).dt.days / 30.4375).fillna(10 * 12)
    role = reps["role"].astype(str) if "role" in reps else pd.Series("all", index=emp.index)
    ramped = ten_known >= steady_after + 12
    base = t12[ramped].groupby(role[ramped]).mean()
    prod = role.map(base).fillna(t12[ramped].mean() if ramped.any() else t12.mean())
    if ramp is not None and len(ramp):
        r = ramp.sort_values("tenure_month")
        curve = np.minimum(np.maximum.accumulate(r["value"].fillna(0).to_numpy(float)), 1.0)
        f = np.interp(tenure.to_numpy(), r["tenure_month"].to_numpy(float), curve, right=1.0)
    else:
        f = np.clip(tenure.to_numpy() / max(ramp_months, 1e-9), 0, 1)
    cap = reps["capacity"].astype(float).fillna(1.0) if "capacity" in reps else 1.0
    keep = 1 - attrition * months / 12 / 2
    covered = trailing_months(ds, P) or 12      # an export shorter than a year: per month covered
    capacity = prod * 12 / covered * season_share(ds, P) * f * emp * cap * keep
    return pd.DataFrame({"rep_id": emp.index.astype(str), "role": role.to_numpy(),
                         "tenure_months": tenure.to_numpy(), "ramp": f,
                         "productivity": prod.to_numpy(float),
                         "capacity": capacity.to_numpy(float)})


# --------------------------------------------------------------------------------------------
# seasonality, holds
# --------------------------------------------------------------------------------------------
def season_share(ds, period) -> float:
    """The share of its fiscal year's bookings that ``period`` holds (:func:`seasonality`,
    from the complete years before it): 1 for a year, ``months / 12`` without any such year."""
    P = Period.parse(period, ds.fiscal_start_month)
    if P.kind == "year":
        return 1.0
    Y = period_containing(P.start, "year", ds.fiscal_start_month)
    slots = (P.start.year - Y.start.year) * 12 + P.start.month - Y.start.month
    size = 3 if P.kind == "quarter" else 1
    season = seasonality(ds, Y.label, P.kind).set_index("slot")["share"]
    return float(season.get(slots // size + 1, size / 12))


def seasonality(ds, year, kind: str = "quarter", *, strength: float = 2.0,
                max_years: int = 3) -> pd.DataFrame:
    """Share of a fiscal year's bookings in each quarter (or month) from complete years before
    ``year`` (years the data observe from their first day, :func:`measures.bookings_start`),
    shrunk towards an even split for short histories:
    ``share_k = (n · observed_k + strength / K) / (n + strength)``, ``n`` = years observed
    (at most ``max_years``), ``K`` = 4 quarters or 12 months.

    Returns ``slot`` (1..K), ``observed``, ``share`` (sums to 1), ``years``.
    """
    Y = Period.parse(str(year), ds.fiscal_start_month)
    if Y.kind != "year":
        raise ValueError(f"seasonality is read per fiscal year; {Y.label} is a {Y.kind}")
    K = {"quarter": 4, "month": 12}[kind]
    known = known_before(ds, Y)
    st = state_as_of(ds, known)
    won = st[st["status"] == "won"]
    obs = []
    begin = bookings_start(ds)
    for k in range(1, max_years + 1):
        y = Y.shift(-k)
        # a year not over, or one whose first months' closes the data do not show: unknown
        if y.end > known or (pd.notna(begin) and y.start < begin):
            continue
        d = won[y.contains(won["close_date"])]
        if d.empty:
            continue
        months = ((d["close_date"].dt.year * 12 + d["close_date"].dt.month)
                  - (y.start.year * 12 + y.start.month))
        slot = months // (12 // K) + 1
        s = d.groupby(slot.to_numpy())["amount"].sum().reindex(range(1, K + 1), fill_value=0.0)
        obs.append(s / s.sum())
    n = len(obs)
    observed = (sum(obs) / n) if n else pd.Series(1.0 / K, index=range(1, K + 1))
    share = (n * observed + strength / K) / (n + strength)
    return pd.DataFrame({"slot": range(1, K + 1), "observed": observed.to_numpy(),
                         "share": share.to_numpy(), "years": n})


def split_year(quotas: pd.DataFrame, season: pd.DataFrame, fiscal_start_month: int = 1):
    """Annual quota rows (``period`` a fiscal year) split into quarters or months by
    ``season``'s shares; a contract ``quotas`` table."""
    K = len(season)
    rows = []
    for label in quotas["period"].astype(str).unique():
        Y = Period.parse(label, fiscal_start_month)
        subs = [Y.shift(0)] if K == 1 else None
        if K == 4:
            subs = [Period.parse(f"{Y.label}-Q{k}", fiscal_start_month) for k in range(1, 5)]
        elif K == 12:
            subs = Y.months()
        q = quotas[quotas["period"].astype(str) == label]
        for sub, share in zip(subs, season["share"]):
            rows.append(pd.DataFrame({"rep_id": q["rep_id"].to_numpy(), "period": sub.label,
                                      "quota": q["quota"].to_numpy(float) * share}))
    return pd.concat(rows, ignore_index=True)


def hold(quotas: pd.DataFrame, locked: dict) -> pd.DataFrame:
    """Hold or override some reps' quotas and re-spread the rest so each period's total stays.

    ``locked`` maps ``rep_id`` to a new quota, or to ``None`` to keep the current one. The other
    reps of the period are scaled by ``(total − Σ locked) / Σ others``.

    Raises
    ------
    ValueError
        An unknown rep, locked quotas above the period's total, or no rep left to re-spread.
    """
    out = quotas.copy()
    out["quota"] = out["quota"].astype(float)
    unknown = sorted(set(map(str, locked)) - set(out["rep_id"].astype(str)))
    if unknown:
        raise ValueError(f"quotas table, column rep_id: cannot hold rep(s) {unknown}: not in it")
    for label, idx in out.groupby("period").groups.items():
        part = out.loc[idx]
        total = part["quota"].sum()
        is_locked = part["rep_id"].astype(str).isin(list(map(str, locked)))
        new = part["quota"].copy()
        for rep, value in locked.items():
            if value is not None:
                new[part["rep_id"].astype(str) == str(rep)] = float(value)
        left = total - new[is_locked].sum()
        free = new[~is_locked].sum()
        if left < 0:
            raise ValueError(f"quotas for {label}: held quotas ({new[is_locked].sum():,.0f}) are "
                             f"above the period's total ({total:,.0f})")
        if (~is_locked).sum() == 0 or free <= 0:
            if abs(left) > 1e-6:
                raise ValueError(f"quotas for {label}: every rep is held; nothing left to "
                                 "re-spread the difference over")
        else:
            new[~is_locked] = new[~is_locked] * left / free
        out.loc[idx, "quota"] = new
    return out
