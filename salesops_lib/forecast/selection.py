"""``auto``'s model choice and its nested replay: which model, at each origin, from earlier data.

:func:`choose` names the model from backtest scores; :func:`_nested` replays the ``auto``
procedure at every rolling origin of one series with only the windows that had ended by
then (choice) and the points known by then (interval calibration), so its points are out of
sample.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from . import models as _models
from .intervals import (
    ACI_GAMMA,
    MIN_WINDOWS,
    adaptive_level,
    conformal_factor,
    factor_of_steps,
    ratios,
    scale_bounds,
)
from .scoring import score

_POINT_COLS = ["ds", "yhat", "yhat_lower", "yhat_upper", "model", "cutoff", "end", "step", "y",
               "scale"]


def choose(scores: pd.DataFrame, order=_models.MODELS,
           prefer=("top2", "ensemble")) -> str | None:
    """The model ``auto`` uses for one series, from backtest ``scores`` of earlier windows.

    The first of the ``prefer``-red combinations (the mean of the two best single models,
    then the ETS/Theta/Prophet ensemble) whose MASE is at or below every baseline's (seasonal
    naive, ETS, Theta): combinations are the most robust choice out of sample. Otherwise the
    model with the lowest MASE (then WAPE), ties to the simpler one in ``order``.
    """
    if scores.empty:
        return None
    rank = {m: i for i, m in enumerate(order)}
    s = scores.assign(_r=scores["model"].map(rank).fillna(len(rank)))
    s = s.sort_values(["mase", "wape", "_r"], na_position="last")
    mase = s.drop_duplicates("model").set_index("model")["mase"]
    base = mase[mase.index.isin(_models.BASELINES)]
    for p in prefer or ():
        if p in mase.index and pd.notna(mase[p]) and (base.isna().all() or mase[p] <= base.min()):
            return p
    return str(s["model"].iloc[0])


def _top2_points(pts: pd.DataFrame, scores: pd.DataFrame) -> tuple[pd.DataFrame, str | None]:
    """Backtest points of the mean of the two best single models (by MASE), as ``top2``."""
    single = scores[scores["model"].isin(_models.MODELS) & (scores["model"] != "ensemble")
                    & ~scores["model"].str.contains("+", regex=False)].dropna(subset=["mase"])
    if len(single) < 2:
        return pts.iloc[:0], None
    rank = {m: i for i, m in enumerate(_models.MODELS)}
    best = single.assign(_r=single["model"].map(rank)).sort_values(["mase", "_r"])["model"]
    members = sorted(best.iloc[:2], key=rank.get)
    return _mix(pts, members).assign(model="top2"), "+".join(members)


def _mix(pts: pd.DataFrame, members) -> pd.DataFrame:
    """Equal-weight mean of the members' backtest points, origin by origin."""
    sub = pts[pts["model"].isin(members)]
    return sub.groupby(["cutoff", "ds"], as_index=False).agg(
        yhat=("yhat", "mean"), yhat_lower=("yhat_lower", "mean"),
        yhat_upper=("yhat_upper", "mean"), y=("y", "first"), scale=("scale", "first"),
        end=("end", "first"), step=("step", "first"), unique_id=("unique_id", "first"))


def _pick(inner: pd.DataFrame, windows: int) -> str:
    """``auto``'s choice from the points of the ``windows`` latest earlier origins (origins,
    not spans: :func:`_spec`'s ``select``): the model :func:`choose` names (``top2`` spelled
    out as ``a+b``); seasonal naive without any."""
    if inner.empty:
        return "snaive"
    keep = sorted(inner["cutoff"].unique())[-windows:]
    inner = inner[inner["cutoff"].isin(keep)]
    bt = score(inner)
    mix, members = _top2_points(inner, bt)
    if members:
        bt = pd.concat([bt, score(mix)], ignore_index=True)
    pick = choose(bt.dropna(subset=["mase", "wape"], how="all"))
    if pick == "top2":
        pick = members
    return pick or "snaive"


def _points_of(pts: pd.DataFrame, name: str) -> pd.DataFrame:
    """Points of model ``name`` (``a+b``: the mean of a's and b's)."""
    if "+" in name:
        return _mix(pts, name.split("+"))
    return pts[pts["model"] == name]


class _Points:
    """One series' backtest points as arrays, one row per (origin, step), a column per model:
    what :func:`_nested` scores at every origin, without a pandas group-by per origin (the
    same sums as :func:`~salesops_lib.forecast.scoring.score`, so the same choices)."""

    def __init__(self, pts: pd.DataFrame):
        models = list(dict.fromkeys(pts["model"]))
        first = pts[pts["model"] == models[0]].sort_values(["cutoff", "step"])
        self.frame = first.reset_index(drop=True)
        self.models = models
        self.cutoff = self.frame["cutoff"].to_numpy()
        self.end = self.frame["end"].to_numpy()
        self.y = self.frame["y"].to_numpy(float)
        self.scale = self.frame["scale"].to_numpy(float)
        self.cols = {}
        for m in models:
            g = pts[pts["model"] == m].sort_values(["cutoff", "step"])
            if len(g) != len(first) or (g["cutoff"].to_numpy() != self.cutoff).any():
                raise ValueError("backtest points of the models are not aligned")
            self.cols[m] = g[["yhat", "yhat_lower", "yhat_upper"]].to_numpy(float)

    def values(self, name: str) -> np.ndarray:
        """``yhat``, lower, upper of ``name`` (``a+b``: the members' mean)."""
        if "+" in name:
            parts = [self.cols[m] for m in name.split("+")]
            return sum(parts) / len(parts)
        return self.cols[name]

    def metrics(self, name: str, mask: np.ndarray) -> tuple[float, float]:
        """``(mase, wape)`` of ``name`` on the rows in ``mask``."""
        yhat = self.values(name)[mask, 0]
        err = np.abs(self.y[mask] - yhat)
        with np.errstate(divide="ignore", invalid="ignore"):
            scaled = err / self.scale[mask]
        ok = ~np.isnan(scaled)
        mase = float(scaled[ok].mean()) if ok.any() else float("nan")
        absy = float(np.nansum(np.abs(self.y[mask])))
        return mase, (float(np.nansum(err)) / absy if absy > 0 else float("nan"))

    def pick(self, cut, windows: int) -> str:
        """:func:`_pick` on the origins whose windows ended by ``cut``."""
        done = np.unique(self.cutoff[self.end <= cut])
        if not len(done):
            return "snaive"
        mask = np.isin(self.cutoff, done[-windows:])
        rows = [(m, *self.metrics(m, mask)) for m in self.models]
        rank = {m: i for i, m in enumerate(_models.MODELS)}
        single = [(r[1], rank.get(r[0], len(rank)), r[0]) for r in rows
                  if r[0] in rank and r[0] != "ensemble" and "+" not in r[0]
                  and not np.isnan(r[1])]
        members = None
        if len(single) >= 2:
            members = "+".join(sorted([x[2] for x in sorted(single)[:2]], key=rank.get))
            rows.append(("top2", *self.metrics(members, mask)))
        bt = pd.DataFrame(rows, columns=["model", "mase", "wape"])
        pick = choose(bt.dropna(subset=["mase", "wape"], how="all"))
        if pick == "top2":
            pick = members
        return pick or "snaive"

    def factors(self, name: str, cut, level, min_n: int = MIN_WINDOWS,
                recent: int | None = None) -> pd.Series:
        """Conformal step factors of ``name`` from its points known at ``cut`` (origin before
        ``cut``, held-out date by it; every point with ``cut`` None), of the ``recent`` latest
        of those origins (all when None; see
        :func:`~salesops_lib.forecast.intervals.recent_origins`): the numbers of
        :func:`~salesops_lib.forecast.intervals.step_factors` on those points, on arrays.
        ``level`` is one level for every step or a ``{step: level}`` mapping (steps not in
        it, and the pooled factor ``0``, at the mean of its levels)."""
        if not hasattr(self, "_ratios"):
            self._ratios, self._ds = {}, self.frame["ds"].to_numpy()
            self._step = self.frame["step"].to_numpy()
        r = self._ratios.get(name)
        if r is None:
            v = self.values(name)
            r = self._ratios[name] = ratios(self.y, v[:, 0], v[:, 1], v[:, 2])
        k = (np.ones(len(self.y), bool) if cut is None else
             (self.cutoff < cut) & (self._ds <= cut))
        if recent and k.any():
            k &= np.isin(self.cutoff, np.unique(self.cutoff[k])[-int(recent):])
        if not k.any():
            return pd.Series({0: np.nan}, dtype=float)
        levels = level if isinstance(level, dict) else {}
        base = float(np.mean(list(levels.values()))) if levels else float(level)
        rk, sk = r[k], self._step[k]
        out = {0: conformal_factor(rk, base, min_n)}
        for j in np.unique(sk):
            lev = levels.get(int(j), base)
            f = conformal_factor(rk[sk == j], lev, min_n)
            out[int(j)] = conformal_factor(rk, lev, min_n) if np.isnan(f) else f
        return pd.Series(out, dtype=float)

    def at(self, cut, name: str) -> pd.DataFrame:
        """The points of ``name`` at origin ``cut`` (columns as the backtest points)."""
        k = self.cutoff == cut
        v = self.values(name)[k]
        return self.frame[k].assign(yhat=v[:, 0], yhat_lower=v[:, 1], yhat_upper=v[:, 2])


def _nested(pts: pd.DataFrame, spec: dict) -> pd.DataFrame:
    """The ``auto`` procedure replayed at every origin on data before it.

    At origin ``c`` the model is chosen (:func:`_pick`) on the windows whose held-out points
    all end by ``c``; its points at ``c`` are ``auto``'s, ``chosen`` names it. Their bounds
    are scaled, step by step, by the conformal factors of the *chosen model's own* points at
    the earlier origins, those known at ``c`` (held-out date by ``c``; every candidate is
    backtested at every origin, so they exist whichever model was chosen then;
    :func:`model_factors`; ``factor`` 1 and ``calibrated`` False while there are too few), so
    the coverage of these points is that of the calibrated interval, out of sample; of the
    known points, those of the ``spec["recent"]`` latest origins only (a season of them,
    :func:`~salesops_lib.forecast.intervals.recent_origins`). (The ratio of an error to the
    half-width of the model that made it is only comparable within one model: calibrating
    a narrow model on the ratios of a wide one chosen earlier undercovers.)
    """
    if not len(pts):
        return pd.DataFrame(columns=_POINT_COLS + ["chosen", "raw_lower", "raw_upper",
                                                   "nested_lower", "nested_upper", "factor",
                                                   "calibrated"])
    arr = _Points(pts)
    n = len(arr.y)
    vals, fac = np.empty((n, 3)), np.ones(n)
    chosen, ok = np.empty(n, dtype=object), np.zeros(n, bool)
    steps, ds = arr.frame["step"].to_numpy(), arr.frame["ds"].to_numpy()
    covered = np.full(n, np.nan)          # judged calibrated points: 1 inside, 0 outside
    bounds = np.empty((n, 2))             # the calibrated bounds, as issued at each origin
    gamma = spec.get("gamma", ACI_GAMMA)
    for cut in np.unique(arr.cutoff):
        k = arr.cutoff == cut
        name = arr.pick(cut, spec["select"]) if spec["model"] == "auto" else spec["model"]
        vals[k], chosen[k] = arr.values(name)[k], name
        if spec["calibrate"]:
            known = (arr.cutoff < cut) & (ds <= cut)
            levels = adaptive_levels(steps[known], covered[known], spec["level"], gamma,
                                     np.unique(steps[k]))
            fs = arr.factors(name, cut, levels, recent=spec.get("recent"))
            fac[k], ok[k] = factor_of_steps(fs, steps[k]), bool(np.isfinite(fs.get(0, np.nan)))
        b = scale_bounds(pd.DataFrame(vals[k], columns=["yhat", "yhat_lower", "yhat_upper"]),
                         fac[k])
        bounds[k] = b[["yhat_lower", "yhat_upper"]].to_numpy()
        inside = (bounds[k, 0] <= arr.y[k]) & (arr.y[k] <= bounds[k, 1])
        covered[k] = np.where(ok[k] & ~np.isnan(arr.y[k]), inside, np.nan)
    out = arr.frame.copy()
    out["yhat"], out["raw_lower"], out["raw_upper"] = vals[:, 0], vals[:, 1], vals[:, 2]
    out["yhat_lower"], out["yhat_upper"] = bounds[:, 0], bounds[:, 1]
    out["nested_lower"], out["nested_upper"] = out["yhat_lower"], out["yhat_upper"]
    out["model"], out["chosen"], out["factor"], out["calibrated"] = "auto", chosen, fac, ok
    out["covered"] = covered
    return out


def adaptive_levels(steps, covered, level: float, gamma: float | None = None,
                    want=None) -> dict[int, float]:
    """Per step, the adaptive level (:func:`~salesops_lib.forecast.intervals.adaptive_level`)
    of that step's judged points: ``covered`` 1 inside its calibrated interval, 0 outside,
    NaN not judged. ``want``: the steps to return (default: those in ``steps``)."""
    steps, c = np.asarray(steps), np.asarray(covered, float)
    return {int(j): adaptive_level(c[steps == j], level, gamma)
            for j in (np.unique(steps) if want is None else want)}


def record_levels(auto: pd.DataFrame, level: float, horizon: int):
    """The adaptive level of each step ``1..horizon`` after every judged point of the nested
    ``auto`` record (``covered``); ``level`` itself without a record."""
    if "covered" not in auto or not len(auto):
        return level
    return adaptive_levels(auto["step"], auto["covered"], level, None, range(1, horizon + 1))


def model_factors(pts: pd.DataFrame, name: str, level, cut=None,
                  recent: int | None = None) -> pd.Series:
    """Conformal step factors of model ``name`` (``a+b``: the members' mean) from its own
    backtest points (:func:`~salesops_lib.forecast.intervals.step_factors`): all of them, or
    with ``cut`` those of origins before it whose held-out date is by ``cut``; of those, the
    ``recent`` latest origins only (all when None); ``level`` one level or ``{step: level}``
    (:func:`adaptive_levels`)."""
    if not len(pts):
        return pd.Series({0: np.nan}, dtype=float)
    return _Points(pts).factors(name, cut, level, recent=recent)
