"""Verdicts on reps: who is distinguishable from their peers, and who is not."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..data import Dataset
from .scorecard import scorecard
from .winrates import shrink_win_rate

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
