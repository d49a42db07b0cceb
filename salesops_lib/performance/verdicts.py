"""Verdicts on reps: who is distinguishable from their peers, and who is not.

A verdict judges one thing, and says which: the **win rate against the rep's role peers**
(field reps against field reps, inside reps against inside reps — the motions win at very
different rates, so one pooled rate would mark every field rep below and every inside rep
above). When the data carry no role, every rep is judged against all reps, and the
leaderboard says so.

Many reps are judged at once, so a handful would cross a per-rep 95 % line by chance alone.
The flags are therefore controlled for the **false-discovery rate** by the Benjamini–Hochberg
procedure (``statsmodels.stats.multitest.multipletests(method="fdr_bh")``): of the reps
flagged, at most ``fdr`` (10 % by default) are expected to be flagged wrongly, and when every
rep is in fact alike the chance of flagging anyone is at most ``fdr``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..data import Dataset
from ..measures import rep_names_by_id
from .scorecard import not_yet_hired, scorecard
from .winrates import shrink_win_rate, wilson_interval

#: Verdict values, in display order.
VERDICTS = ("win rate above peers", "win rate in line with peers", "win rate below peers",
            "too few deals")
ABOVE, INLINE, BELOW, FEW = VERDICTS
#: Peer group of every rep when the data have no role.
ALL_REPS = "all reps"
#: Default false-discovery rate of the flags.
FDR = 0.10


def funnel_limits(rate, deals, level: float = 0.95) -> tuple[np.ndarray, np.ndarray]:
    """Funnel-plot control limits of a win rate around a peer ``rate``.

    ``rate ± z · sqrt(rate (1 − rate) / deals)``, clipped to [0, 1], with ``z`` the two-sided
    normal quantile of ``level``: what a rep with ``deals`` closed deals and the peers' true
    rate shows ``level`` of the time by chance alone. ``rate`` may be an array (one per rep).
    """
    from scipy import stats

    n = np.asarray(deals, dtype=float)
    p = np.asarray(rate, dtype=float)
    z = stats.norm.ppf(0.5 + level / 2)
    with np.errstate(divide="ignore", invalid="ignore"):
        half = z * np.sqrt(p * (1 - p) / n)
    return np.clip(p - half, 0, 1), np.clip(p + half, 0, 1)


def win_rate_verdicts(won, deals, peer=None, min_deals: int = 10, fdr: float = FDR) -> dict:
    """Each rep's win rate tested against its peer group's, with the false-discovery rate
    controlled across every rep judged.

    For rep ``i`` in peer group ``g`` with ``k_i`` won of ``n_i`` closed deals and the group's
    pooled rate ``p_g = Σ_g k / Σ_g n``::

        z_i = (k_i / n_i − p_g) / sqrt(p_g (1 − p_g) / n_i)        (score test of p_i = p_g)
        p-value_i = 2 (1 − Φ(|z_i|))

    Reps with ``n_i < min_deals`` are "too few deals" and not tested. The p-values of the
    others form one family, adjusted by Benjamini–Hochberg at ``fdr``: a rep is flagged
    above / below when its adjusted p-value ≤ ``fdr``. ``alpha`` is the per-rep level that
    BH ends up using (``max(flags, 1) · fdr / m``, ``m`` reps tested), so funnel limits drawn
    at ``1 − alpha`` agree with the flags exactly.

    Parameters
    ----------
    won, deals : array-like
        Won and closed (won + lost) deals per rep.
    peer : array-like, optional
        Peer group per rep (e.g. role); one group when omitted.

    Returns
    -------
    dict
        ``verdict``, ``peer_win_rate``, ``p_value``, ``p_adjusted`` (arrays, NaN where not
        tested) and ``alpha`` (float).
    """
    from scipy import stats
    from statsmodels.stats.multitest import multipletests

    k = np.asarray(won, dtype=float)
    n = np.asarray(deals, dtype=float)
    g = np.zeros(len(n), dtype=int) if peer is None else pd.factorize(np.asarray(peer))[0]
    tot_k = np.bincount(g, weights=k, minlength=g.max() + 1 if len(g) else 0)
    tot_n = np.bincount(g, weights=n, minlength=g.max() + 1 if len(g) else 0)
    with np.errstate(divide="ignore", invalid="ignore"):
        p0 = (tot_k / tot_n)[g] if len(g) else np.array([])
        z = (k / n - p0) / np.sqrt(p0 * (1 - p0) / n)
    tested = (n >= min_deals) & (n > 0) & np.isfinite(z)
    pval = np.full(len(n), np.nan)
    padj = np.full(len(n), np.nan)
    pval[tested] = 2 * stats.norm.sf(np.abs(z[tested]))
    alpha = fdr / max(int(tested.sum()), 1)
    if tested.any():
        reject, adj, _, _ = multipletests(pval[tested], alpha=fdr, method="fdr_bh")
        padj[tested] = adj
        alpha = max(int(reject.sum()), 1) * fdr / int(tested.sum())
    flagged = padj <= fdr
    # a rep with no closed deal is never "in line", even at min_deals=0: nothing was judged
    verdict = np.select([(n < min_deals) | (n == 0), flagged & (k / np.where(n > 0, n, 1) > p0),
                         flagged & (k / np.where(n > 0, n, 1) < p0)],
                        [FEW, ABOVE, BELOW], INLINE)
    return {"verdict": verdict, "peer_win_rate": p0, "p_value": pval, "p_adjusted": padj,
            "alpha": float(alpha)}


def leaderboard(ds: Dataset, period, min_deals: int = 10, fdr: float = FDR,
                prior: tuple[float, float] | None = None, peers: str = "role") -> pd.DataFrame:
    """Rep leaderboard that separates only what the data can separate.

    Each rep's win rate is compared with its role peers' pooled rate by
    :func:`win_rate_verdicts` (Benjamini–Hochberg at ``fdr`` across all reps judged). The rep
    column ``peers`` (default ``role``) defines the peer groups; when the data have no such
    column, or it is empty, everyone is one group ("all reps"). There is deliberately no rank
    column: rows are ordered by verdict, then by the shrunk win rate (:func:`shrink_win_rate`)
    for reading, but reps within a verdict are statistically indistinguishable. Bookings and
    attainment are kept beside the win rate: the verdict judges win rate only.

    Returns
    -------
    pandas.DataFrame
        The rep scorecard columns plus ``rep`` (display name,
        :func:`salesops_lib.measures.rep_display_names`), ``peer_group``, ``peer_win_rate``,
        ``win_rate_shrunk`` (and its interval), ``p_value``, ``p_adjusted``, ``limit_low``,
        ``limit_high`` (funnel limits at the BH-adjusted level), ``win_rate_adj_low``,
        ``win_rate_adj_high`` (Wilson interval at that level: excludes the peers' rate exactly
        when the rep is flagged), ``verdict``. ``attrs`` hold
        ``fdr``, ``alpha`` (per-rep level BH used), ``peer_basis`` ("role peers" or
        "all reps"), ``min_deals``, ``compared`` (reps judged: the family the
        false-discovery control ran over, kept when a team's rows are picked, :func:`of_team`)
        and ``not_yet_hired`` / ``not_yet_hired_ids``: reps not yet employed in the period
        (:func:`~salesops_lib.performance.scorecard.not_yet_hired`: hired after its report
        date, with no quota or deal in it), left out of the rows. They closed no deal, so
        they change neither the peers' rates nor the reps judged.
    """
    sc = scorecard(ds, period, by="rep_id")
    try:
        sc = shrink_win_rate(sc, prior=prior, level=0.95)
    except ValueError:          # nobody closed a deal in the period
        sc = sc.assign(win_rate_shrunk=np.nan, win_rate_shrunk_low=np.nan,
                       win_rate_shrunk_high=np.nan, prior_alpha=np.nan, prior_beta=np.nan)
    has_peers = peers in sc.columns and sc[peers].notna().any() and \
        (sc[peers].astype("string").fillna("") != "").any() and \
        not (sc[peers].astype(str) == "(unassigned)").all()
    group = (sc[peers].astype("string").fillna("(unassigned)").astype(str) if has_peers
             else pd.Series(ALL_REPS, index=sc.index))
    v = win_rate_verdicts(sc["won"], sc["deals"], group, min_deals=min_deals, fdr=fdr)
    low, high = funnel_limits(v["peer_win_rate"], sc["deals"], 1 - v["alpha"])
    from scipy import stats

    # the Wilson interval inverts the score test, so at the BH level it excludes the peers'
    # rate exactly when the rep is flagged: the chart and the verdict agree
    adj_low, adj_high = wilson_interval(sc["won"], sc["deals"],
                                        z=float(stats.norm.ppf(1 - v["alpha"] / 2)))
    names = rep_names_by_id(ds.reps)
    sc = sc.assign(rep=sc["rep_id"].astype(str).map(names).fillna(sc["rep_id"].astype(str)),
                   peer_group=group.to_numpy(), peer_win_rate=v["peer_win_rate"],
                   p_value=v["p_value"], p_adjusted=v["p_adjusted"],
                   limit_low=low, limit_high=high,
                   win_rate_adj_low=adj_low, win_rate_adj_high=adj_high,
                   verdict=pd.Categorical(v["verdict"], VERDICTS, ordered=True))
    later = not_yet_hired(ds, sc, period)
    gone = sc.loc[later, "rep_id"].astype(str).tolist()
    sc = sc[~later].sort_values(["verdict", "win_rate_shrunk"], ascending=[True, False],
                                kind="stable")
    out = sc.assign(verdict=sc["verdict"].astype(str)).reset_index(drop=True)
    out.attrs.update(fdr=fdr, alpha=v["alpha"], min_deals=min_deals,
                     peer_basis="role peers" if has_peers else ALL_REPS,
                     compared=int((out["verdict"] != FEW).sum()),
                     not_yet_hired=len(gone), not_yet_hired_ids=gone)
    return out
