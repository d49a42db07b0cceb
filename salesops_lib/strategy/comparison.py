"""Like-for-like: field against inside on comparable deals, so a gap is not just "field gets the
big accounts".

Three estimates of the field-minus-inside win-rate gap, each with an interval:

* **raw** :math:`\\hat p_F - \\hat p_I` over all closed deals (Newcombe interval);
* **stratified**: within each stratum ``s`` (a combination of segment, account size band,
  industry and product) that has deals of both motions,
  :math:`\\hat\\Delta = \\sum_s w_s(\\hat p_{Fs} - \\hat p_{Is})`, :math:`w_s = n_s / \\sum n_s`, with
  variance :math:`\\sum_s w_s^2 (\\tilde p_{Fs}(1-\\tilde p_{Fs})/n_{Fs} + \\tilde p_{Is}(1-\\tilde p_{Is})/n_{Is})`
  (:math:`\\tilde p = (k + ½)/(n + 1)`, so a stratum won or lost entirely still adds variance);
* **weighted** (propensity): a logistic regression (statsmodels) of "worked by field" on the
  same covariates gives each deal its propensity :math:`e`; field deals get weight
  :math:`1-e`, inside deals :math:`e` (overlap weights: the comparison is made where both
  motions actually sell, and no weight explodes), and
  :math:`\\hat\\Delta = \\sum_F w y / \\sum_F w - \\sum_I w y / \\sum_I w`. The interval is
  normal, from the variance of each weighted mean (propensities taken as known), or a
  percentile bootstrap over deals (resampled within motion, the propensity model refitted
  each time) with ``n_boot``.

**Mix explained** :math:`=` raw gap :math:`-` like-for-like gap (the weighted one): the part of
the raw difference that comes from the two motions selling different deals.

Size is the *account's* size band (quartiles of account potential), not the deal amount: a
deal's amount depends on the motion that sells it, so matching on it would compare unlike
deals.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import statsmodels.api as sm
from scipy import stats
from statsmodels.stats.proportion import confint_proportions_2indep

from ..measures import UNASSIGNED, account_potential

#: What a comparable deal is matched on.
COVARIATES = ("segment", "account_size", "industry", "product")


def account_size(ds, frame: pd.DataFrame, bands: int = 4) -> pd.Series:
    """Size band of each row's account: quartile of account potential (``Q1`` smallest)."""
    pot, _ = account_potential(ds.accounts)
    if pot.nunique() < 2:
        return pd.Series(UNASSIGNED, index=frame.index, dtype=object)
    q = pd.qcut(pot.rank(method="first"), bands, labels=[f"Q{i + 1}" for i in range(bands)])
    m = pd.Series(q.astype(str).to_numpy(), index=ds.accounts["account_id"].astype(str).to_numpy())
    return frame["account_id"].astype(str).map(m).fillna(UNASSIGNED)


def comparable_deals(ds, deals: pd.DataFrame, treated: str = "field",
                     control: str = "inside") -> pd.DataFrame:
    """Closed deals of the two motions with ``treated`` (bool, worked by ``treated``), ``y``
    (won, 0/1) and ``account_size``."""
    d = deals[deals["motion"].isin([treated, control])].copy()
    d["treated"] = (d["motion"] == treated).to_numpy()
    d["y"] = d["won"].astype(float).to_numpy()
    d["account_size"] = account_size(ds, d).to_numpy()
    return d.reset_index(drop=True)


def raw_gap(d: pd.DataFrame, level: float = 0.95) -> dict:
    """Raw field-minus-inside win-rate gap with a Newcombe interval."""
    kf, nf = d.loc[d["treated"], "y"].sum(), int(d["treated"].sum())
    ki, ni = d.loc[~d["treated"], "y"].sum(), int((~d["treated"]).sum())
    if nf == 0 or ni == 0:
        return {"gap": np.nan, "low": np.nan, "high": np.nan}
    low, high = confint_proportions_2indep(kf, nf, ki, ni, method="newcomb", compare="diff",
                                           alpha=1 - level)
    return {"gap": kf / nf - ki / ni, "low": float(low), "high": float(high)}


def stratified_gap(d: pd.DataFrame, covariates=COVARIATES, level: float = 0.95) -> dict:
    """Stratified gap over strata holding both motions (formula in the module docstring);
    ``deals_used`` counts the deals in those strata."""
    key = d[list(covariates)].astype(str).agg("|".join, axis=1)
    g = d.assign(s=key.to_numpy()).groupby(["s", "treated"])["y"].agg(["sum", "size"]).unstack(
        "treated")
    g = g.dropna()
    if g.empty:
        return {"gap": np.nan, "low": np.nan, "high": np.nan, "deals_used": 0, "strata": 0}
    kf, nf = g[("sum", True)].to_numpy(), g[("size", True)].to_numpy()
    ki, ni = g[("sum", False)].to_numpy(), g[("size", False)].to_numpy()
    w = (nf + ni) / (nf + ni).sum()
    gap = float((w * (kf / nf - ki / ni)).sum())
    pf, pi = (kf + 0.5) / (nf + 1), (ki + 0.5) / (ni + 1)
    se = float(np.sqrt((w ** 2 * (pf * (1 - pf) / nf + pi * (1 - pi) / ni)).sum()))
    z = stats.norm.ppf(0.5 + level / 2)
    return {"gap": gap, "low": gap - z * se, "high": gap + z * se,
            "deals_used": int((nf + ni).sum()), "strata": len(g)}


def _design(d: pd.DataFrame, covariates, min_count: int = 5) -> np.ndarray:
    cols = []
    for c in covariates:
        v = d[c].astype(str)
        counts = v.value_counts()
        v = v.where(v.map(counts) >= min_count, "other")     # rare levels pooled
        cols.append(v.rename(c))
    X = pd.get_dummies(pd.concat(cols, axis=1), drop_first=True, dtype=float)
    X = X.loc[:, X.std() > 0]
    return sm.add_constant(X.to_numpy(float), has_constant="add")


def _fit_propensity(X: np.ndarray, t: np.ndarray) -> np.ndarray:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")          # quasi-separation in tiny strata is expected
        fit = sm.GLM(t.astype(float), X, family=sm.families.Binomial()).fit(maxiter=50)
    return np.clip(fit.predict(X), 1e-3, 1 - 1e-3)


def propensity(d: pd.DataFrame, covariates=COVARIATES) -> np.ndarray:
    """Probability that each deal is worked by the treated motion, from a statsmodels
    logistic regression (binomial GLM) on one-hot covariates, levels with fewer than five
    deals pooled (clipped to [0.001, 0.999])."""
    return _fit_propensity(_design(d, covariates), d["treated"].to_numpy(bool))


def _weighted(y, t, e):
    w = np.where(t, 1 - e, e)
    return (w[t] * y[t]).sum() / w[t].sum() - (w[~t] * y[~t]).sum() / w[~t].sum()


def weighted_gap(d: pd.DataFrame, covariates=COVARIATES, level: float = 0.95,
                 n_boot: int = 0, seed: int = 0) -> dict:
    """Overlap-weighted gap with an interval.

    ``n_boot = 0`` (default): the normal interval of the two weighted means, each with
    variance :math:`\\sum w_i^2 (y_i - \\bar y_w)^2 / (\\sum w_i)^2` (propensities taken as
    known). ``n_boot > 0``: a percentile bootstrap with that many resamples within motion,
    the propensity model refitted on each.
    """
    t = d["treated"].to_numpy(bool)
    if t.all() or not t.any():
        return {"gap": np.nan, "low": np.nan, "high": np.nan}
    y = d["y"].to_numpy(float)
    X = _design(d, covariates)
    e = _fit_propensity(X, t)
    gap = float(_weighted(y, t, e))
    a = (1 - level) / 2
    if int(n_boot) <= 0:
        w = np.where(t, 1 - e, e)
        var = 0.0
        for sel in (t, ~t):                        # the two motions
            mu = (w[sel] * y[sel]).sum() / w[sel].sum()
            var += (w[sel] ** 2 * (y[sel] - mu) ** 2).sum() / w[sel].sum() ** 2
        z = stats.norm.ppf(1 - a)
        return {"gap": gap, "low": gap - z * np.sqrt(var), "high": gap + z * np.sqrt(var)}
    rng = np.random.default_rng(seed)
    idx_t, idx_c = np.flatnonzero(t), np.flatnonzero(~t)
    boots = np.empty(int(n_boot))
    for b in range(int(n_boot)):                   # resamples, not rows
        i = np.concatenate([rng.choice(idx_t, len(idx_t)), rng.choice(idx_c, len(idx_c))])
        boots[b] = _weighted(y[i], t[i], _fit_propensity(X[i], t[i]))
    low, high = np.quantile(boots, [a, 1 - a])
    return {"gap": gap, "low": float(low), "high": float(high)}


def like_for_like(ds, deals: pd.DataFrame, treated: str = "field", control: str = "inside",
                  covariates=COVARIATES, level: float = 0.95, n_boot: int = 0,
                  seed: int = 0) -> pd.DataFrame:
    """Field-vs-inside win-rate gap: raw, stratified and propensity-weighted.

    Parameters
    ----------
    ds : Dataset
    deals : DataFrame
        :func:`~salesops_lib.strategy.economics.closed_deals` of a window.
    treated, control : str
        The two motions (gap = treated − control).
    covariates : tuple
        What comparable means (default segment, account size band, industry, product).
    level : float
        Interval confidence.
    n_boot : int
        Bootstrap resamples for the weighted interval (0: the analytic interval).
    seed : int

    Returns
    -------
    DataFrame
        Rows ``raw``, ``stratified``, ``weighted`` (column ``estimate``) with ``gap``, ``low``,
        ``high``, ``win_rate_treated``, ``win_rate_control``. ``attrs``: ``treated``,
        ``control``, ``deals_treated``, ``deals_control``, ``deals_used`` (stratified),
        ``mix_explained`` (raw − weighted gap), ``mix_share`` (that over the raw gap), or
        ``missing`` (a sentence saying what the comparison needs) when a motion has no deals.
    """
    d = comparable_deals(ds, deals, treated, control)
    nf, ni = int(d["treated"].sum()), int((~d["treated"]).sum())
    attrs = {"treated": treated, "control": control, "deals_treated": nf, "deals_control": ni}
    if nf < 10 or ni < 10:
        out = pd.DataFrame(columns=["estimate", "gap", "low", "high"])
        attrs["missing"] = (f"The like-for-like comparison needs closed deals of both motions: "
                            f"reps with the roles {treated} and {control} (found {nf} and {ni} "
                            "deals).")
        out.attrs.update(attrs)
        return out
    raw = raw_gap(d, level)
    strat = stratified_gap(d, covariates, level)
    wtd = weighted_gap(d, covariates, level, n_boot, seed)
    rows = [{"estimate": "raw", **raw}, {"estimate": "stratified",
                                         **{k: strat[k] for k in ("gap", "low", "high")}},
            {"estimate": "weighted", **wtd}]
    out = pd.DataFrame(rows)
    out["win_rate_treated"] = [d.loc[d["treated"], "y"].mean()] + [np.nan, np.nan]
    out["win_rate_control"] = [d.loc[~d["treated"], "y"].mean()] + [np.nan, np.nan]
    mix = raw["gap"] - wtd["gap"]
    attrs.update({"deals_used": strat["deals_used"], "strata": strat["strata"],
                  "mix_explained": mix,
                  "mix_share": mix / raw["gap"] if raw["gap"] else np.nan})
    out.attrs.update(attrs)
    return out
