"""Win rates: Wilson intervals and empirical-Bayes shrinkage of each rep's rate.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

#: z for a two-sided 95 % interval.
Z95 = 1.959963984540054


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
