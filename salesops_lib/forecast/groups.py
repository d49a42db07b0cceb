"""The period's forecast per group (team, region, rep), reconciled so the groups add up.

:func:`by_group` is what :func:`salesops_lib.forecast.blend.outlook` calls with ``by``: base
forecasts for every node of the rep → team → region → total hierarchy (time series of each
node's bookings, pipeline of each node's deals as they stood on the as-of date, blended with
the total's weights), then :mod:`salesops_lib.forecast.reconciliation` makes them coherent
with the method a backtest chose. A ``by`` that is not a level of the hierarchy (a product,
a segment) gets base forecasts only, marked as not reconciled.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.stats import norm

from ..measures import rep_names_by_id
from . import reconciliation as rec_
from . import timeseries as fc_
from .pipeline_model import pipeline_forecast

#: Fast model for the many node series (every node's own ``auto`` would refit Prophet per rep).
GROUP_MODEL = "ets"
#: Rolling origins of the node series (fewer than a single series' default: there are many).
GROUP_ORIGINS = 4


def by_group(ds, p, as_of, by, granularity, h, model, w, summary, corr, kw, *,
             hierarchy=None, group_model: str = GROUP_MODEL, locked: dict | None = None,
             levels=rec_.LEVELS) -> pd.DataFrame:
    """Reconciled forecast of period ``p`` for every node of the hierarchy.

    Parameters
    ----------
    hierarchy : DataFrame, optional
        Explicit, optionally effective-dated rep → team → region mapping
        (:func:`salesops_lib.forecast.reconciliation.hierarchy`); default the reps table.
    locked : dict, optional
        ``{(level, name): value}`` numbers to keep (a manager's submitted commit).

    The total node is held at the blended total of ``summary`` (the page's headline), unless
    ``locked`` holds a total: the reconciliation splits that number, so the groups add up to
    it. A locked node below the total replaces the model's number for that node: the other
    series are scaled by the factor that brings the reconciliation without locks to the
    headline (:func:`scale_free`), so the total is the headline moved by what the commits
    change, not the headline with the other groups absorbing the difference.

    Returns
    -------
    (DataFrame, Choice or None)
        One row per node (``level`` total, region, team, rep_id): ``unique_id`` (the name),
        ``level``, ``value`` (reconciled), ``lower``, ``upper`` (the base range moved with
        the value), ``base``, ``timeseries``, ``pipeline``, ``quota``, ``attainment``,
        ``method`` (the level's method, after fallbacks), ``fallback`` (why it fell back),
        ``locked``, ``reconciled``; ``by``'s rows first. And the backtest's method choice
        per level with its scores.
    """
    m = ds.reps if hierarchy is None else hierarchy
    lv = [c for c in levels if c in m.columns]
    if by not in lv:
        return _unreconciled(ds, p, as_of, by, granularity, h, w, kw)
    tree = rec_.hierarchy(ds, lv, hierarchy, at=p.start)
    nodes, S = rec_.nodes(tree)
    ids = nodes["unique_id"].tolist()
    reps = fc_.bookings_series(ds, granularity, "rep_id", as_of=as_of)
    series = rec_.node_series(reps, ds, lv, hierarchy)
    series = series[series["unique_id"].isin(ids)]
    run = fc_.forecast_run(series, h, group_model, windows=2, origins=GROUP_ORIGINS, **kw)
    ts = fc_.period_forecast(series, run.forecast, p, level=kw["level"],
                             fiscal_start_month=ds.fiscal_start_month,
                             points=run.points).set_index("unique_id").reindex(ids)
    pl = pipeline_forecast(ds, p, as_of, by="rep_id", level=kw["level"], correlation=None)
    pr = pl.summary.set_index("unique_id").reindex(tree["rep_id"]).fillna(0.0)
    pipe = S @ pr["value"].to_numpy()
    ts_v = ts["value"].fillna(0.0).to_numpy()
    base = w["timeseries"] * ts_v + w["pipeline"] * pipe
    # past windows of the node series: base forecasts, actuals, and the errors before each
    tot = run.points.groupby(["unique_id", "cutoff"]).agg(yhat=("yhat", "sum"), y=("y", "sum"))
    f = tot["yhat"].unstack("cutoff").reindex(ids)
    a = tot["y"].unstack("cutoff").reindex(ids)
    ends = run.points.groupby("cutoff")["end"].first()
    E_all = (a - f).to_numpy(float)
    cols = list(f.columns)
    windows = []
    for c in cols[-6:]:
        before = [i for i, cc in enumerate(cols) if ends[cc] <= c]
        E = E_all[:, before] if len(before) else None
        windows.append((f[c].fillna(0.0).to_numpy(), a[c].fillna(0.0).to_numpy(), E))
    choice = rec_.choose_method(windows, S, nodes["level"])
    lock_idx = {ids.index(f"{lvl}={name}" if lvl != "total" else "total"): float(v)
                for (lvl, name), v in (locked or {}).items()}
    headline = summary.set_index("source")["value"].get("blend", np.nan)
    value, per_level = split_headline(base, S, nodes["level"], choice.per_level,
                                      np.nan_to_num(E_all), headline, lock_idx)
    used = nodes["level"].map(per_level.set_index("level")["method"]).to_numpy()
    reason = nodes["level"].map(per_level.set_index("level")["fallback"]).to_numpy()
    # the base range, blended linearly (a conservative sum), moved with the reconciled value
    z = norm.ppf(0.5 + kw["level"] / 200)
    pipe_hw = z * np.sqrt(S @ (pr["sd"].to_numpy() ** 2))
    half_lo = (w["timeseries"] * (ts["value"] - ts["lower"]).fillna(0.0).to_numpy()
               + w["pipeline"] * pipe_hw)
    half_hi = (w["timeseries"] * (ts["upper"] - ts["value"]).fillna(0.0).to_numpy()
               + w["pipeline"] * pipe_hw)
    out = nodes.rename(columns={"unique_id": "node"}).assign(
        value=value, lower=np.maximum(value - half_lo, 0.0), upper=value + half_hi, base=base,
        timeseries=ts_v, pipeline=pipe, method=used, fallback=reason,
        locked=[i in lock_idx for i in range(len(ids))], reconciled=True)
    quota = {lvl: fc_.quota(ds, p, None if lvl == "total" else lvl).set_index("unique_id")["quota"]
             for lvl in ["total", *lv]}
    out["quota"] = [quota[lvl].get("total" if lvl == "total" else name, np.nan)
                    for lvl, name in zip(out["level"], out["name"])]
    out["attainment"] = out["value"] / out["quota"]
    out = out.rename(columns={"name": "unique_id"}).drop(columns="node")
    out["display"] = display_names(ds, out["level"], out["unique_id"])
    out["_first"] = out["level"] != by
    out = out.sort_values(["_first", "value"], ascending=[True, False]).drop(columns="_first")
    return out.reset_index(drop=True), choice


def split_headline(base, S, levels, per_level, errors, headline: float,
                   locked: dict[int, float] | None = None):
    """Reconcile ``base`` per level (:func:`~salesops_lib.forecast.reconciliation.
    reconcile_levels`) and split the page's total ``headline`` (the blend) over the nodes.

    Without locks every bottom series is scaled by one factor so the total node equals
    ``headline`` (:func:`scale_to_total`). A locked total is kept as submitted. A lock below
    the total replaces the model's number for its node only: the free series take the factor
    that brings the reconciliation *without* locks to ``headline`` (:func:`scale_free`), so
    the total is the headline moved by what the commits change, instead of the headline with
    the other groups absorbing the difference. Returns ``(values, per_level)``.
    """
    locked = locked or {}
    value, per = rec_.reconcile_levels(base, S, levels, per_level, errors,
                                       locked=locked or None)
    top = [i for i, lv in enumerate(levels) if lv == "total"]
    if not top or top[0] in locked or not np.isfinite(headline):
        return value, per
    if not locked:
        return scale_to_total(value, S, float(headline)), per
    free, _ = rec_.reconcile_levels(base, S, levels, per_level, errors)
    t0 = free[top[0]]
    return scale_free(value, S, float(headline) / t0 if t0 > 0 else 1.0, locked), per


def scale_to_total(value: np.ndarray, S: np.ndarray, total: float,
                   locked: dict[int, float] | None = None) -> np.ndarray:
    """Coherent node values ``value`` (rows of ``S``, top first) moved to sum to ``total``:
    the bottom series outside every ``locked`` node are scaled by one factor, so each keeps
    its share of what is free and the locked nodes keep their values. With nothing free to
    scale (all zero or all locked, or the locked part alone above ``total``) the values are
    returned unchanged.

    >>> S = np.array([[1, 1], [1, 0], [0, 1]])
    >>> scale_to_total(np.array([4.0, 1.0, 3.0]), S, 8.0).tolist()
    [8.0, 2.0, 6.0]
    >>> scale_to_total(np.array([4.0, 1.0, 3.0]), S, 8.0, {1: 1.0}).tolist()
    [8.0, 1.0, 7.0]
    """
    b, fixed = _bottom(value, S, locked)
    rest, room = b[~fixed].sum(), total - b[fixed].sum()
    if rest <= 0 or room < 0:
        return np.asarray(value, float)
    return scale_free(value, S, room / rest, locked)


def scale_free(value: np.ndarray, S: np.ndarray, factor: float,
               locked: dict[int, float] | None = None) -> np.ndarray:
    """Coherent node values ``value`` with every bottom series outside the ``locked`` nodes
    multiplied by ``factor``; the locked nodes keep their values and the total moves.

    >>> S = np.array([[1, 1], [1, 0], [0, 1]])
    >>> scale_free(np.array([4.0, 1.0, 3.0]), S, 2.0, {1: 1.0}).tolist()
    [7.0, 1.0, 6.0]
    """
    b, fixed = _bottom(value, S, locked)
    b[~fixed] *= factor
    return np.asarray(S, float) @ b


def _bottom(value, S, locked):
    """The bottom series' values and whether each lies under a locked node."""
    S = np.asarray(S, float)
    bottom = [int(np.flatnonzero((S[:, j] == 1) & (S.sum(axis=1) == 1))[0])
              for j in range(S.shape[1])]
    fixed = np.zeros(S.shape[1], bool)
    for i in (locked or {}):
        fixed |= S[i] > 0
    return np.asarray(value, float)[bottom].copy(), fixed


def display_names(ds, levels, ids) -> list[str]:
    """How each node is named on a page: a rep by
    :func:`salesops_lib.measures.rep_display_names` (same-named reps told apart, no raw id),
    any other group by its own name."""
    names = rep_names_by_id(ds.reps)
    return [names.get(str(i), str(i)) if lv == "rep_id" else str(i)
            for lv, i in zip(levels, ids)]


def _unreconciled(ds, p, as_of, by, granularity, h, w, kw):
    """Per group of a column outside the hierarchy: blended base forecasts, not reconciled."""
    hist = fc_.bookings_series(ds, granularity, by, as_of=as_of)
    run = fc_.forecast_run(hist, h, GROUP_MODEL, origins=GROUP_ORIGINS, **kw)
    ts = fc_.period_forecast(hist, run.forecast, p, level=kw["level"],
                             fiscal_start_month=ds.fiscal_start_month, points=run.points)
    pl = pipeline_forecast(ds, p, as_of, by=by, level=kw["level"], correlation=None).summary
    t = ts.set_index("unique_id")
    pv = pl.set_index("unique_id")["value"].reindex(t.index).fillna(0.0)
    value = w["timeseries"] * t["value"] + w["pipeline"] * pv
    out = pd.DataFrame({"unique_id": t.index, "level": by, "value": value.to_numpy(),
                        "lower": (value - w["timeseries"] * (t["value"] - t["lower"])).to_numpy(),
                        "upper": (value + w["timeseries"] * (t["upper"] - t["value"])).to_numpy(),
                        "base": value.to_numpy(), "timeseries": t["value"].to_numpy(),
                        "pipeline": pv.to_numpy(), "method": "none", "fallback": "",
                        "locked": False, "reconciled": False})
    q = fc_.quota(ds, p, by).set_index("unique_id")["quota"]
    out["quota"] = out["unique_id"].map(q)
    out["display"] = display_names(ds, out["level"], out["unique_id"])
    out["attainment"] = out["value"] / out["quota"]
    return out.sort_values("value", ascending=False).reset_index(drop=True), None
