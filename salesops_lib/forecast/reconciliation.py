"""Forecasts that add up: rep → team → region → total, reconciled.

Base forecasts are made for every node of the hierarchy independently, so the teams' numbers
do not sum to the total. Reconciliation (Wickramasuriya, Athanasopoulos & Hyndman 2019,
"Optimal forecast reconciliation for hierarchical and grouped time series through trace
minimization", JASA 114(526)) maps the base forecasts :math:`\\hat y` (all nodes) to coherent
ones :math:`\\tilde y = S(S'W^{-1}S)^{-1}S'W^{-1}\\hat y`, ``S`` the summing matrix (node ×
bottom series, 1 where a rep belongs to a node), with

* ``bottom_up``: the reps' forecasts summed (no use of upper levels);
* ``ols``: :math:`W = I`;  ``wls_struct``: :math:`W = \\mathrm{diag}(S\\mathbf 1)`;
* ``wls_var``: :math:`W = \\mathrm{diag}(\\hat\\sigma^2_i)` of each node's backtest errors;
* ``mint_shrink``: :math:`W` the backtest-error covariance shrunk to its diagonal
  (Schäfer & Strimmer 2005).

The computation is Nixtla's ``hierarchicalforecast`` (``MinTrace``, ``BottomUp``) with its
non-negative option (no node below zero). Where the error covariance cannot carry
``mint_shrink`` (fewer windows than two, a node whose errors never vary — a new rep, months of
zeros —, or a condition number above :data:`MAX_CONDITION`) the method falls back,
``mint_shrink`` → ``wls_var`` → ``bottom_up``, and the result says so (``fallback``).

**The method is chosen per level** (:func:`choose_method`): each method is replayed on past
windows and each level (total, region, team, rep) takes the method with the lowest WAPE at
that level. :func:`reconcile_levels` then assembles one coherent forecast from them, top
down: the total is the total's method's value; each lower level splits its parent's value in
the proportions its own method gives the parent's children
(:math:`\\tilde y_i = \\tilde y_{parent} \\cdot r_i / \\sum_{j \\in sib(i)} r_j`, equal shares when
those are all zero). So every level sums to the one above, nothing is negative, and each
level's split is the one that was most accurate for it. Where a level is not nested in the
one above (a team with reps in two regions) the per-level numbers are projected onto the
coherent ones instead (structural WLS). The fallbacks apply method by method, and the
result reports, per level, the method chosen, the method used and why.

A submitted number can be **locked** (a manager's commit): the reconciliation then minimises
the same weighted distance subject to :math:`S_L b = v_L`,
:math:`b = b_0 + A S_L'(S_L A S_L')^{-1}(v_L - S_L b_0)`, :math:`A = (S'W^{-1}S)^{-1}`,
:math:`b_0 = A S'W^{-1}\\hat y`, and reps pushed below zero are held at zero and the rest
re-solved.

The hierarchy is effective-dated: :func:`hierarchy` takes an explicit mapping frame
(``rep_id``, ``team``, ``region``, optional ``valid_from``) and uses, for each date, the row
valid then; without one, the reps table's current team and region hold for every date (the
built-in sample keeps no history of team moves).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd

METHODS = ("bottom_up", "ols", "wls_struct", "wls_var", "mint_shrink")
#: Fallback order when the error covariance is ill-conditioned.
FALLBACK = ("mint_shrink", "wls_var", "bottom_up")

#: How a reconciliation method is named on the page (Wickramasuriya et al.'s MinT; WLS
#: weighted by structure or by variance; OLS; bottom-up; each level its own: per level).
METHOD_NAMES = {"bottom_up": "Bottom-up", "ols": "OLS", "wls_struct": "WLS struct",
                "wls_var": "WLS var", "mint_shrink": "MinT shrink", "per level": "Per level"}


def method_name(method) -> str:
    """The page's name of a reconciliation method (:data:`METHOD_NAMES`; others with spaces
    for underscores)."""
    m = str(method)
    return METHOD_NAMES.get(m, m.replace("_", " "))


#: Largest condition number of the shrunk covariance ``mint_shrink`` is used with.
MAX_CONDITION = 1e8
LEVELS = ("region", "team", "rep_id")


# --------------------------------------------------------------------------------------------
# the hierarchy
# --------------------------------------------------------------------------------------------
def hierarchy(ds, levels=LEVELS, mapping: pd.DataFrame | None = None, at=None) -> pd.DataFrame:
    """Each rep's place in the hierarchy on date ``at`` (default ``ds.as_of``).

    Parameters
    ----------
    levels : sequence
        Top to bottom, the last being ``rep_id``; each a column of ``mapping`` (or of
        ``ds.reps``). Levels the data lack are left out.
    mapping : DataFrame, optional
        ``rep_id``, the level columns, optional ``valid_from`` (date the row starts to hold).

    Returns
    -------
    DataFrame
        One row per rep: ``rep_id`` and the level columns (missing values
        ``(unassigned)``).
    """
    m = ds.reps if mapping is None else mapping
    levels = [c for c in levels if c in m.columns]
    if not levels or levels[-1] != "rep_id":
        raise ValueError("the hierarchy's last level must be rep_id, a column of the mapping")
    if "valid_from" in m.columns:
        at = pd.Timestamp(ds.as_of if at is None else at)
        m = m[pd.to_datetime(m["valid_from"]) <= at].sort_values("valid_from")
        m = m.drop_duplicates("rep_id", keep="last")
    out = m[levels].copy()
    for c in levels:
        out[c] = out[c].astype("string").fillna("(unassigned)").astype(str)
    return out.reset_index(drop=True)


def nodes(tree: pd.DataFrame) -> tuple[pd.DataFrame, np.ndarray]:
    """Nodes (``unique_id``, ``level``, ``name``; total first, reps last) and the summing
    matrix ``S`` (node × rep)."""
    levels = list(tree.columns)
    reps = tree["rep_id"].to_numpy()
    rows = [("total", "total", "total")]
    blocks = [np.ones((1, len(reps)))]
    for lv in levels:
        vals = sorted(tree[lv].unique()) if lv != "rep_id" else list(reps)
        rows += [(f"{lv}={v}", lv, v) for v in vals]
        blocks.append((tree[lv].to_numpy()[None, :] == np.array(vals, dtype=object)[:, None])
                      .astype(float))
    return (pd.DataFrame(rows, columns=["unique_id", "level", "name"]),
            np.vstack(blocks))


def node_series(rep_series: pd.DataFrame, ds, levels=LEVELS, mapping=None) -> pd.DataFrame:
    """Series of every node from the reps' series (``unique_id`` = rep, ``ds``, ``y``), each
    rep's bookings counted in the team and region it belonged to on that date."""
    s = rep_series.rename(columns={"unique_id": "rep_id"})
    m = ds.reps if mapping is None else mapping
    levels = [c for c in levels if c in m.columns and c != "rep_id"]
    if "valid_from" in m.columns:
        mm = m.assign(valid_from=pd.to_datetime(m["valid_from"])).sort_values("valid_from")
        s = pd.merge_asof(s.sort_values("ds"), mm[["rep_id", "valid_from", *levels]],
                          left_on="ds", right_on="valid_from", by="rep_id")
    else:
        s = s.merge(m[["rep_id", *levels]], on="rep_id", how="left")
    for c in levels:
        s[c] = s[c].astype("string").fillna("(unassigned)").astype(str)
    parts = [s.groupby("ds", as_index=False)["y"].sum().assign(unique_id="total")]
    for lv in levels:
        g = s.groupby([lv, "ds"], as_index=False)["y"].sum()
        parts.append(g.assign(unique_id=lv + "=" + g[lv])[["unique_id", "ds", "y"]])
    parts.append(s.assign(unique_id="rep_id=" + s["rep_id"].astype(str))[["unique_id", "ds", "y"]])
    out = pd.concat(parts, ignore_index=True)[["unique_id", "ds", "y"]]
    # a complete grid: a node without bookings in a month booked 0
    grid = pd.MultiIndex.from_product([out["unique_id"].unique(), sorted(out["ds"].unique())],
                                      names=["unique_id", "ds"])
    return out.set_index(["unique_id", "ds"])["y"].groupby(level=[0, 1]).sum() \
        .reindex(grid, fill_value=0.0).reset_index()


# --------------------------------------------------------------------------------------------
# reconciliation
# --------------------------------------------------------------------------------------------
def shrunk_covariance(E: np.ndarray) -> np.ndarray:
    """Schäfer–Strimmer shrinkage of the covariance of errors ``E`` (node × window) to its
    diagonal: :math:`W = \\lambda D + (1-\\lambda)\\hat\\Sigma`, ``λ`` from the variance of the
    sample correlations."""
    n, t = E.shape
    X = E - E.mean(axis=1, keepdims=True)
    cov = X @ X.T / max(t - 1, 1)
    sd = np.sqrt(np.diag(cov))
    with np.errstate(divide="ignore", invalid="ignore"):
        Z = X / sd[:, None]
        R = cov / np.outer(sd, sd)
    W = Z[:, None, :] * Z[None, :, :]
    wbar = W.mean(axis=2)
    var_r = t / max((t - 1) ** 3, 1) * ((W - wbar[..., None]) ** 2).sum(axis=2)
    off = ~np.eye(n, dtype=bool)
    num, den = np.nansum(var_r[off]), np.nansum(R[off] ** 2)
    lam = float(np.clip(num / den, 0, 1)) if den > 0 else 1.0
    return lam * np.diag(np.diag(cov)) + (1 - lam) * cov


def covariance_problem(E: np.ndarray | None) -> str | None:
    """Why ``mint_shrink`` cannot use errors ``E`` (None if it can)."""
    if E is None or E.shape[1] < 2:
        return "fewer than 2 backtest windows"
    if (np.nanvar(E, axis=1) <= 0).any():
        return "a node's errors never vary (new rep or months of zeros)"
    c = np.linalg.cond(shrunk_covariance(E))
    if not np.isfinite(c) or c > MAX_CONDITION:
        return f"covariance ill-conditioned (condition number {c:.1e})"
    return None


def _variance_problem(E: np.ndarray | None) -> str | None:
    """Why ``wls_var`` cannot use errors ``E`` (None if it can)."""
    if E is None or E.shape[1] < 2:
        return "fewer than 2 backtest windows"
    if (np.nanvar(E, axis=1) <= 0).any():
        return "a node's errors never vary (new rep or months of zeros)"
    return None


def _weights(method: str, S: np.ndarray, E: np.ndarray | None) -> np.ndarray:
    if method == "ols" or method == "bottom_up":
        return np.eye(S.shape[0])
    if method == "wls_struct":
        return np.diag(S.sum(axis=1))
    if method == "wls_var":
        return np.diag(np.nanvar(E, axis=1, ddof=1))
    return shrunk_covariance(E)


def _locked(y_hat, S, W, locked: dict[int, float]) -> np.ndarray:
    """Reconciled bottom forecasts with node rows ``locked`` held at their values, reps
    non-negative (active set: reps below zero fixed at zero, the rest re-solved)."""
    Winv = np.linalg.pinv(W)
    free = np.ones(S.shape[1], dtype=bool)
    b = np.zeros(S.shape[1])
    for _ in range(S.shape[1] + 1):
        Sf = S[:, free]
        A = np.linalg.pinv(Sf.T @ Winv @ Sf)
        b0 = A @ Sf.T @ Winv @ y_hat
        if locked:
            L = np.array(list(locked))
            SL = Sf[L]
            v = np.array([locked[i] for i in L])
            b0 = b0 + A @ SL.T @ np.linalg.pinv(SL @ A @ SL.T) @ (v - SL @ b0)
        b = np.zeros(S.shape[1])
        b[free] = b0
        if (b0 >= -1e-9).all():
            break
        idx = np.flatnonzero(free)
        free[idx[b0 < 0]] = False
    return np.maximum(b, 0.0)


def reconcile(base: np.ndarray, S: np.ndarray, method: str = "mint_shrink",
              errors: np.ndarray | None = None, *, nonnegative: bool = True,
              locked: dict[int, float] | None = None) -> tuple[np.ndarray, str, str]:
    """Coherent forecasts of every node from base forecasts ``base`` (one per row of ``S``).

    ``errors`` (node × window) are backtest errors (actual − forecast) for ``wls_var`` and
    ``mint_shrink``. ``locked`` maps node rows to values that must be kept. Returns
    ``(reconciled, method used, fallback reason or "")``.
    """
    from hierarchicalforecast.methods import BottomUp, MinTrace

    reason = ""
    if method in ("mint_shrink", "wls_var"):
        problems = []
        for m in FALLBACK[FALLBACK.index(method):]:
            problem = (covariance_problem(errors) if m == "mint_shrink"
                       else _variance_problem(errors) if m == "wls_var" else None)
            if problem is None:
                break
            problems.append(f"{method_name(m)}: {problem}")
        if m != method:     # said as the page names the methods: "MinT shrink → WLS var (...)"
            reason = f"{method_name(method)} → {method_name(m)} ({'; '.join(problems)})"
        method = m
    bottom = S.shape[0] - S.shape[1]
    if locked:
        b = _locked(base, S, _weights("wls_struct" if method == "bottom_up" else method, S,
                                      errors), locked)
        return S @ b, method, reason
    y_hat = np.asarray(base, float)[:, None]
    tags = {"bottom": np.arange(bottom, S.shape[0])}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if method == "bottom_up":
            out = BottomUp().fit_predict(S=S, y_hat=y_hat, tags=tags)["mean"][:, 0]
            out = np.maximum(S @ np.maximum(out[bottom:], 0), 0) if nonnegative else out
        else:
            kw = {}
            if method in ("wls_var", "mint_shrink"):
                E = np.asarray(errors, float)
                kw = {"y_insample": E, "y_hat_insample": np.zeros_like(E)}
            try:
                out = MinTrace(method, nonnegative=nonnegative).fit_predict(
                    S=S, y_hat=y_hat, **kw)["mean"][:, 0]
            except Exception:  # noqa: BLE001 - the library's QP solver gave up
                # same objective, non-negativity by the active set of :func:`_locked`
                out = S @ _locked(np.asarray(base, float), S, _weights(method, S, errors), {})
    return out, method, reason


@dataclass(frozen=True)
class Choice:
    """The methods the backtest chose (:func:`choose_method`) and its per-level scores.

    ``method`` is the one with the lowest mean WAPE over levels, ``per_level`` each level's
    own best (``{level: method}``), ``scores`` the table (``method``, ``level``, ``wape``).
    """

    method: str
    scores: pd.DataFrame      # method, level, wape
    per_level: dict = None


def _parents(S: np.ndarray, node_levels) -> np.ndarray | None:
    """Index of each node's parent (the node of the level above holding all its reps; -1 for
    the first level), or None when some level is not nested in the one above."""
    lv = list(pd.Series(node_levels))
    order = list(dict.fromkeys(lv))
    parent = np.full(len(lv), -1)
    for i, level in enumerate(lv):
        k = order.index(level)
        if k == 0:
            continue
        cand = [j for j, lj in enumerate(lv) if lj == order[k - 1]
                and np.all(S[j] >= S[i]) and S[i].sum() > 0]
        if len(cand) != 1 and S[i].sum() > 0:
            return None
        parent[i] = cand[0] if cand else -1
    return parent


def reconcile_levels(base: np.ndarray, S: np.ndarray, node_levels, per_level: dict,
                     errors: np.ndarray | None = None, *, locked: dict[int, float] | None = None
                     ) -> tuple[np.ndarray, pd.DataFrame]:
    """Coherent forecasts with each level's split from its own method (module docstring).

    ``node_levels`` names each row's level (top level first); ``per_level`` maps a level to
    its method (levels missing: ``bottom_up``). ``locked`` rows keep their values (the
    assembled forecast is then moved to them by the constrained structural WLS of
    :func:`reconcile`). Returns the values and one row per level: ``level``, ``chosen``,
    ``method`` (used after fallbacks), ``fallback`` (why, or "").
    """
    lv = pd.Series(list(node_levels)).to_numpy()
    order = list(dict.fromkeys(lv))
    runs, rows = {}, []
    for level in order:
        m = per_level.get(level, "bottom_up") if per_level else "bottom_up"
        if m not in runs:
            runs[m] = reconcile(base, S, m, errors)
        rows.append((level, m, runs[m][1], runs[m][2]))
    target = np.zeros(len(lv))
    for level, m, _, _ in rows:
        target[lv == level] = runs[m][0][lv == level]
    parent = _parents(S, lv)
    out = np.zeros(len(lv))
    if parent is None:
        out = reconcile(target, S, "wls_struct")[0]
    else:
        for level in order:
            idx = np.flatnonzero(lv == level)
            if level == order[0]:
                out[idx] = np.maximum(target[idx], 0)
                continue
            for pa in np.unique(parent[idx]):
                kids = idx[parent[idx] == pa]
                r = np.maximum(target[kids], 0)
                share = r / r.sum() if r.sum() > 0 else np.full(len(kids), 1 / len(kids))
                out[kids] = out[pa] * share
    if locked:
        b = _locked(out, S, _weights("wls_struct", S, None), locked)
        out = S @ b
    table = pd.DataFrame(rows, columns=["level", "chosen", "method", "fallback"])
    return out, table


def choose_method(windows: list[tuple[np.ndarray, np.ndarray, np.ndarray | None]],
                  S: np.ndarray, node_levels: pd.Series, methods=METHODS) -> Choice:
    """Score every method on past windows and pick the best.

    ``windows`` holds, per past origin, ``(base, actual, errors_before)``: the base forecasts
    made then, what happened, and the errors of the windows before it (for ``W``). Each
    level's score is its WAPE :math:`\\sum|\\tilde y - y| / \\sum |y|`; each level takes the
    method with its lowest WAPE (``per_level``, ties to the earlier in ``methods``;
    :func:`reconcile_levels` assembles them coherently), ``method`` is the lowest mean over
    levels. Fallbacks apply inside each window.
    """
    rows = []
    lv = node_levels.to_numpy()
    for m in methods:
        err = {}
        for base, actual, E in windows:
            rec, _, _ = reconcile(base, S, m, E)
            for level in np.unique(lv):
                k = lv == level
                a, e = err.get(level, (0.0, 0.0))
                err[level] = (a + np.abs(rec[k] - actual[k]).sum(), e + np.abs(actual[k]).sum())
        for level, (a, e) in err.items():
            rows.append((m, level, a / e if e > 0 else np.nan))
    scores = pd.DataFrame(rows, columns=["method", "level", "wape"])
    if scores.empty:
        return Choice("bottom_up", scores, {})
    mean = scores.groupby("method", sort=False)["wape"].mean()
    rank = {m: i for i, m in enumerate(methods)}
    per = {}
    for level, g in scores.dropna(subset=["wape"]).groupby("level", sort=False):
        g = g.assign(_r=g["method"].map(rank)).sort_values(["wape", "_r"])
        per[level] = str(g["method"].iloc[0])
    best = str(mean.idxmin())
    if len(set(per.values())) > 1:
        # the assembled forecast is scored on the same windows: kept only if it is at least
        # as good on average as the best single method (its splits are rescaled to parents)
        err = {}
        for base, actual, E in windows:
            rec, _ = reconcile_levels(base, S, lv, per, E)
            for level in np.unique(lv):
                k = lv == level
                a, e = err.get(level, (0.0, 0.0))
                err[level] = (a + np.abs(rec[k] - actual[k]).sum(), e + np.abs(actual[k]).sum())
        extra = pd.DataFrame([("per level", level, a / e if e > 0 else np.nan)
                              for level, (a, e) in err.items()], columns=scores.columns)
        scores = pd.concat([scores, extra], ignore_index=True)
        if extra["wape"].mean() > mean[best]:
            per = {level: best for level in per}
    return Choice(best, scores, per)
