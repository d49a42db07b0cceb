"""Why reps differ: velocity and its gap decomposition, and bookings against territory potential.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..data import Dataset
from ..measures import account_potential
from ..periods import Period
from .scorecard import REP_ATTRIBUTES, scorecard

GAP_COMPONENTS = ("volume", "win_rate", "deal_size", "cycle")

#: Shortest cycle velocity divides by: a same-day win counts as one day.
MIN_CYCLE_DAYS = 1.0

#: What the gap decomposition's reference is, in words (the product of medians is not the
#: velocity of any actual rep, so it is never called "the median rep").
REFERENCE_LABEL = "the product of medians (median volume × win rate × deal size ÷ cycle)"


def velocity(sc: pd.DataFrame) -> pd.DataFrame:
    """Pipeline velocity for each row of a scorecard, in dollars per day.

    ``velocity = deals × win_rate × avg_deal_size / max(cycle_days_median, 1)``

    with ``deals`` the closed deals of the period, so ``deals × win_rate × avg_deal_size`` is
    exactly the bookings and velocity = bookings per day of a typical cycle. A deal won the
    day it was created counts as a one-day cycle (a zero-day median would make velocity
    infinite). NaN when the group won nothing (no deal size or cycle). Returns a copy of
    ``sc`` with ``velocity`` and ``cycle_days_floored`` (the denominator used).
    """
    cyc = sc["cycle_days_median"].clip(lower=MIN_CYCLE_DAYS)
    with np.errstate(divide="ignore", invalid="ignore"):
        v = sc["deals"] * sc["win_rate"] * sc["avg_deal_size"] / cyc
    return sc.assign(velocity=v.where(sc["won"] > 0).astype(float), cycle_days_floored=cyc)


def gap_decomposition(sc: pd.DataFrame, key: str = "rep_id", reference=None,
                      min_deals: int = 0) -> pd.DataFrame:
    """Split each group's velocity gap to a reference into volume, win rate, size and cycle.

    The reference is the **product of medians**: the component-wise medians (over groups
    that won something) of deals, win rate, deal size and cycle days, unless ``reference`` (a
    dict with those four scorecard column names) is given. It is not the velocity of the median
    rep (no single rep need have all four medians), and pages call it what it is
    (:data:`REFERENCE_LABEL`). Cycle days are floored at :data:`MIN_CYCLE_DAYS`. Because
    velocity is a product::

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
            "cycle": "cycle_days_floored"}
    ref = {c: (reference or {}).get("cycle_days_median" if c == "cycle" else col,
                                    sc[col].median()) for c, col in cols.items()}
    ref["cycle"] = max(float(ref["cycle"]), MIN_CYCLE_DAYS)
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


PREDICTORS = ("potential", "accounts", "tenure_months")


#: Fewest reps the regression is fitted on (4 parameters + 2 degrees of freedom).
MIN_REPS_REGRESSION = len(PREDICTORS) + 3


ADJUSTED_COLUMNS = ["expected", "expected_low", "expected_high", "residual", "residual_low",
                    "residual_high", "p_value", "p_adjusted", "verdict"]


def territory_drivers(ds: Dataset, period) -> pd.DataFrame:
    """Per rep: bookings of ``period`` and what the rep was given to work with.

    ``potential`` = Σ account potential owned (owner_rep_id; potential as
    :func:`salesops_lib.measures.account_potential` defines it), ``accounts`` = number of
    accounts owned (workload), ``tenure_months`` = months from hire_date to the period's end.
    Only reps employed in the period are returned: ``hire_date ≤ end(P)`` (a rep hired later
    booked nothing because it was not there, not because it sold badly). Reps without a hire
    date are kept with ``tenure_months`` NaN. ``attrs["not_yet_hired"]`` counts those left out
    (``attrs["not_yet_hired_ids"]`` names them, so a team page counts its own).
    """
    P = Period.parse(period, ds.fiscal_start_month)
    sc = scorecard(ds, P, by="rep_id")
    acc = ds.accounts
    pot, basis = account_potential(acc)
    g = acc.assign(potential=pot).groupby("owner_rep_id", observed=True) \
        if "owner_rep_id" in acc else None
    own = (pd.DataFrame({"potential": g["potential"].sum(min_count=1),
                         "accounts": g["account_id"].size()}) if g is not None
           else pd.DataFrame({"potential": [], "accounts": []}))
    hire = (pd.to_datetime(ds.reps.set_index("rep_id")["hire_date"]) if "hire_date" in ds.reps
            else pd.Series(pd.NaT, index=ds.reps["rep_id"]))
    hired = sc["rep_id"].map(hire)
    employed = (hired.isna() | (hired <= P.end)).to_numpy()
    tenure = (P.end - hired).dt.days / 30.4375
    out = sc[["rep_id"] + [c for c in REP_ATTRIBUTES if c in sc.columns] + ["period", "bookings"]]
    has_owner = g is not None and acc["owner_rep_id"].notna().any() and basis != "accounts"
    out = out.assign(
        potential=sc["rep_id"].map(own["potential"]).fillna(0.0).to_numpy(float)
        if has_owner else np.nan,
        accounts=sc["rep_id"].map(own["accounts"]).fillna(0).to_numpy(float)
        if g is not None and acc["owner_rep_id"].notna().any() else np.nan,
        tenure_months=tenure.to_numpy(float))[employed].reset_index(drop=True)
    out.attrs["not_yet_hired"] = int((~employed).sum())
    out.attrs["not_yet_hired_ids"] = sc.loc[~employed, "rep_id"].astype(str).tolist()
    return out


def _fit_groups(d: pd.DataFrame) -> list[tuple[str, np.ndarray]]:
    """``(name, positions)`` of the reps fitted together: one model per role when every rep
    has a role and each role has at least :data:`MIN_REPS_REGRESSION` reps (an inside rep's
    bookings are judged against inside reps, as win rates are against role peers: one model
    over both would give inside reps the field's spread of errors), else one over all."""
    if "role" in d.columns and d["role"].notna().all():
        roles = d["role"].astype(str).str.strip().str.lower().to_numpy()
        names, sizes = np.unique(roles, return_counts=True)
        if len(names) > 1 and (sizes >= MIN_REPS_REGRESSION).all():
            return [(str(r), np.flatnonzero(roles == r)) for r in names]
    return [("all reps", np.arange(len(d)))]


def _potential_fit(ds: Dataset, period):
    """The fitted reps and, per :func:`_fit_groups` group, ``(name, positions, X, OLS fit)``."""
    import statsmodels.api as sm

    d = territory_drivers(ds, period)
    missing = [what for col, what in (("potential", ("the accounts each rep owns, with their "
                                                     "potential or revenue")),
                                      ("tenure_months", "each rep's hire date"))
               if d[col].isna().all()]
    if missing:
        raise ValueError("this comparison needs " + " and ".join(missing)
                         + ", which the data do not have")
    attrs = dict(d.attrs)
    d = d.dropna(subset=list(PREDICTORS)).reset_index(drop=True)
    d.attrs.update(attrs)
    if len(d) < MIN_REPS_REGRESSION:
        raise ValueError(f"this comparison needs at least {MIN_REPS_REGRESSION} reps with "
                         f"owned accounts and a hire date in the period; there are {len(d)}")
    fits = []
    for name, idx in _fit_groups(d):
        X = sm.add_constant(d.iloc[idx][list(PREDICTORS)].astype(float), has_constant="add")
        fits.append((name, idx, X, sm.OLS(d["bookings"].iloc[idx].astype(float), X).fit()))
    return d, fits


def potential_model(ds: Dataset, period, level: float = 0.95) -> pd.DataFrame:
    """Coefficients of ``bookings ~ 1 + potential + accounts + tenure_months`` (OLS over reps),
    one model per role when each role has enough reps (:func:`_fit_groups`).

    Returns ``group`` (the role, or "all reps"), ``term``, ``coef``, ``low``, ``high``
    (``level`` interval), ``p_value``, and the fit's ``r2`` and ``reps`` repeated on its rows.
    """
    _, fits = _potential_fit(ds, period)
    rows = []
    for name, idx, _, fit in fits:
        ci = fit.conf_int(1 - level)
        rows.append(pd.DataFrame({"group": name, "term": fit.params.index,
                                  "coef": fit.params.to_numpy(), "low": ci[0].to_numpy(),
                                  "high": ci[1].to_numpy(), "p_value": fit.pvalues.to_numpy(),
                                  "r2": fit.rsquared, "reps": len(idx)}))
    return pd.concat(rows, ignore_index=True)


def potential_adjusted(ds: Dataset, period, level: float = 0.95,
                       fdr: float = 0.10) -> pd.DataFrame:
    """Who outperforms the territory they were given.

    Fits ``bookings_i = b0 + b1·potential_i + b2·accounts_i + b3·tenure_months_i + e_i`` by OLS
    across reps (:func:`territory_drivers`), one model per role when each role has enough
    reps (:func:`_fit_groups`; ``attrs["models"]`` names them), else one over all. Each rep
    is judged against its group's model fitted on the *other* reps (leave-one-out), so a star
    cannot pull the line towards itself (n, p and the degrees of freedom are the group's):

    * ``expected`` = ŷ₍₋ᵢ₎, the rep's bookings predicted without it;
    * ``residual`` = bookings − expected = eᵢ / (1 − hᵢᵢ) (PRESS residual; h = leverage);
    * ``residual_low/high`` = residual ∓ t₍ₙ₋ₚ₋₁₎ · s₍₋ᵢ₎ / sqrt(1 − hᵢᵢ), where
      s₍₋ᵢ₎² = (SSE − eᵢ² / (1 − hᵢᵢ)) / (n − p − 1); ``expected_low/high`` the matching
      prediction interval;
    * ``residual_low/high`` are then widened to the per-rep level Benjamini–Hochberg used
      (``max(flags, 1) · fdr / n``), so a rep's interval excludes 0 exactly when flagged;
    * ``p_value`` = two-sided t₍ₙ₋ₚ₋₁₎ p-value of the externally studentised residual
      ``residual · sqrt(1 − hᵢᵢ) / s₍₋ᵢ₎``; ``p_adjusted`` its Benjamini–Hochberg adjustment
      across all reps of every group (one family: many reps are judged at once);
    * ``verdict`` "above expectation" / "below expectation" when ``p_adjusted ≤ fdr`` and the
      residual is positive / negative, else "as expected".

    Only reps employed in the period are fitted (hire date on or before its end; see
    :func:`territory_drivers`).

    Reps without a hire date or owned-account potential are left out. With fewer than 6
    usable reps (the model has 4 parameters) the result is an empty frame with the same
    columns and the reason in ``.attrs["note"]``, so a report shows the gap instead of failing;
    :func:`potential_model` raises in that case.
    """
    from scipy import stats

    try:
        d, fits = _potential_fit(ds, period)
    except ValueError as exc:
        empty = territory_drivers(ds, period).iloc[0:0]
        empty = empty.assign(**{c: pd.Series(dtype="string" if c == "verdict" else float)
                                for c in ADJUSTED_COLUMNS})
        empty.attrs["note"] = str(exc)
        return empty
    n = len(d)
    press, scale, dof = np.empty(n), np.empty(n), np.empty(n)
    for _, idx, X, fit in fits:          # each rep against the other reps of its group
        h = fit.get_influence().hat_matrix_diag
        e = fit.resid.to_numpy()
        df_g = X.shape[0] - X.shape[1] - 1
        s_i = np.sqrt((np.sum(e ** 2) - e ** 2 / (1 - h)) / df_g)
        press[idx], scale[idx], dof[idx] = e / (1 - h), s_i / np.sqrt(1 - h), df_g
    half = stats.t.ppf(0.5 + level / 2, dof) * scale
    y = d["bookings"].to_numpy(float)
    out = d.assign(expected=y - press, expected_low=y - press - half,
                   expected_high=y - press + half, residual=press,
                   residual_low=press - half, residual_high=press + half)
    from statsmodels.stats.multitest import multipletests

    pval = 2 * stats.t.sf(np.abs(press / scale), dof)
    padj = multipletests(pval, alpha=fdr, method="fdr_bh")[1]     # one family: every rep
    out["p_value"], out["p_adjusted"] = pval, padj
    # intervals at the per-rep level BH used, so an interval excludes 0 exactly when flagged
    k = int((padj <= fdr).sum())
    alpha = max(k, 1) * fdr / n
    half_adj = stats.t.ppf(1 - alpha / 2, dof) * scale
    out["residual_low"], out["residual_high"] = press - half_adj, press + half_adj
    out["verdict"] = np.select([(padj <= fdr) & (press > 0), (padj <= fdr) & (press < 0)],
                               ["above expectation", "below expectation"], "as expected")
    out.attrs.update(fdr=fdr, not_yet_hired=d.attrs.get("not_yet_hired", 0), compared=n,
                     models=[name for name, *_ in fits],
                     not_yet_hired_ids=d.attrs.get("not_yet_hired_ids", []))
    return out.sort_values("residual", ascending=False).reset_index(drop=True)
