"""Pipeline forecast: what the open pipeline, as it stood on the as-of date, will book.

For a fiscal period and an as-of date the forecast is

.. math::

    F = C + \\sum_{i \\in open} a_i \\, p_{win}(s_i) \\, p_{time}(i) + R

* ``C`` — bookings already closed-won in the period by the as-of date;
* open deals ``i`` as they stood on the as-of date (rebuilt from ``stage_history``: only rows
  with ``entered_date`` ≤ as-of count, and a deal closed later is still open then), with
  amount :math:`a_i` and stage :math:`s_i`;
* :math:`p_{win}(i)` and :math:`p_{time}(i)` — from the closed history known on the as-of
  date (deals still open then are censored: they have no outcome yet): among closed deals that
  reached the same stage and were *still in it* after as many days as deal ``i`` has sat
  there (:math:`g_i`), the share won, and of those won, the share whose days from stage entry
  to close ``D`` fall in the period, :math:`\\#\\{L_i < D \\le b_i\\} / \\#\\{won\\}`, with
  :math:`b_i` the days from stage entry to the period end and
  :math:`L_i = \\max(g_i, \\text{days to the period start} - 1)`. Conditioning on the age in
  the stage matters: deals that will be lost tend to sit in a stage, won ones move on;
* ``R`` — the run-rate of deals not yet created: the average, over the previous periods, of
  bookings from deals created after the same point of the period.

The 80% interval treats open deals as independent Bernoulli outcomes and the run-rate as
normal: :math:`\\sigma^2 = \\sum a_i^2 q_i (1-q_i) + \\sigma_R^2`, :math:`q = p_{win} p_{time}`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.stats import norm

from .. import viz
from .series import group_column
from ..periods import Period

#: Waterfall steps, in order; ``omitted`` and unknown CRM categories count as ``pipeline``.
COMPONENTS = ("closed", "commit", "best case", "pipeline", "run-rate")
_CATEGORY_ALIASES = {"commit": "commit", "committed": "commit", "best case": "best case",
                     "best_case": "best case", "bestcase": "best case", "upside": "best case",
                     "pipeline": "pipeline", "omitted": "pipeline", "closed": "closed"}


@dataclass(frozen=True)
class PipelineForecast:
    """Result of :func:`pipeline_forecast`.

    Attributes
    ----------
    summary : DataFrame
        Per ``unique_id``: ``closed``, ``open_expected``, ``run_rate``, ``value``, ``lower``,
        ``upper``, ``open_amount``, ``n_open``.
    components : DataFrame
        Per ``unique_id`` × ``component`` (closed, commit, best case, pipeline, run-rate):
        ``value`` (expected bookings), ``amount`` (unweighted open amount), ``n_deals``.
    deals : DataFrame
        The open deals on the as-of date with ``stage``, ``category``, ``amount``, ``p_win``,
        ``p_time``, ``expected``.
    """

    period: str
    as_of: pd.Timestamp
    level: float
    summary: pd.DataFrame
    components: pd.DataFrame
    deals: pd.DataFrame

    @property
    def value(self) -> float:
        """Total forecast over all groups."""
        return float(self.summary["value"].sum())

    @property
    def lower(self) -> float:
        """Lower bound of the total (exact when there is one group)."""
        return float(self.summary["lower"].sum()) if len(self.summary) == 1 else float(
            self._total_bounds()[0])

    @property
    def upper(self) -> float:
        """Upper bound of the total."""
        return float(self.summary["upper"].sum()) if len(self.summary) == 1 else float(
            self._total_bounds()[1])

    def _total_bounds(self):
        # groups are independent: variances add
        z = norm.ppf(0.5 + self.level / 200)
        sd = np.sqrt((self.summary["sd"] ** 2).sum())
        closed = self.summary["closed"].sum()
        return max(closed, self.value - z * sd), self.value + z * sd


# --------------------------------------------------------------------------------------------
# the pipeline as it stood on a date
# --------------------------------------------------------------------------------------------
def terminal_stages(ds) -> set[str]:
    """Stage names that mark a closed deal (e.g. ``Closed Won``), never an open one."""
    opp = ds.opportunities
    closed = set(opp.loc[opp["status"] != "open", "stage"].astype(str))
    return closed - set(opp.loc[opp["status"] == "open", "stage"].astype(str))


_PREPARED: dict[int, tuple] = {}


def _prepared(ds):
    """Integer-coded opportunities and sorted, non-terminal stage history of ``ds``, built
    once per Dataset (as-of dates are then cheap boolean filters)."""
    hit = _PREPARED.get(id(ds))
    if hit is not None and hit[0]() is ds:
        return hit[1]
    opp = ds.opportunities
    ids = opp["opportunity_id"].astype(str).to_numpy()
    code = pd.Series(np.arange(len(opp)), index=ids)
    h = ds.stage_history
    h = h[~h["stage"].isin(terminal_stages(ds))]
    hist = pd.DataFrame({"code": h["opportunity_id"].astype(str).map(code).to_numpy(),
                         "stage": h["stage"].astype(str).to_numpy(),
                         "entered": h["entered_date"].to_numpy()})
    hist = hist.dropna(subset=["code"]).astype({"code": np.int64})
    hist = hist.sort_values(["code", "entered"], kind="stable").reset_index(drop=True)
    prep = {"ids": ids,
            "status": opp["status"].astype(str).to_numpy(),
            "stage": opp["stage"].astype(str).to_numpy(),
            "created": opp["created_date"].to_numpy(),
            "close": opp["close_date"].to_numpy(),
            "hist": hist}
    import weakref

    if len(_PREPARED) > 8:
        _PREPARED.clear()
    _PREPARED[id(ds)] = (weakref.ref(ds), prep) if _weakrefable(ds) else (lambda: ds, prep)
    return prep


def _weakrefable(obj) -> bool:
    import weakref

    try:
        weakref.ref(obj)
        return True
    except TypeError:
        return False


def snapshot(ds, as_of) -> pd.DataFrame:
    """Every opportunity created by ``as_of``, as it stood on ``as_of``.

    Returns
    -------
    DataFrame
        ``opportunity_id``, ``rep_id``, ``account_id``, ``amount``, ``created_date``,
        ``status`` (``won``/``lost`` only if closed by ``as_of``, else ``open``), ``close_date``
        (NaT if not closed by ``as_of``), ``stage`` and ``stage_entered`` (last non-terminal
        stage entered by ``as_of``; the CRM's current stage if the deal has no history), and
        ``code`` (row of the opportunity in ``ds.opportunities``).
    """
    as_of = np.datetime64(pd.Timestamp(as_of).normalize())
    prep = _prepared(ds)
    opp = ds.opportunities
    keep = np.flatnonzero(prep["created"] <= as_of)
    status = prep["status"][keep]
    closed = np.isin(status, ["won", "lost"]) & (prep["close"][keep] <= as_of)
    h = prep["hist"]
    h = h[h["entered"].to_numpy() <= as_of]
    c = h["code"].to_numpy()
    last = np.r_[c[1:] != c[:-1], True] if len(c) else np.array([], dtype=bool)
    last_stage = np.full(len(opp), None, dtype=object)
    last_entered = np.full(len(opp), np.datetime64("NaT"), dtype="M8[ns]")
    last_stage[c[last]] = h["stage"].to_numpy()[last]
    last_entered[c[last]] = h["entered"].to_numpy()[last]
    stage = last_stage[keep]
    # no history row: the CRM's current stage is the best we know (it is point-in-time only
    # for deals still open today)
    no_hist = pd.isna(stage)
    stage[no_hist] = np.where(status[no_hist] == "open", prep["stage"][keep][no_hist],
                              "(unknown)")
    entered = last_entered[keep]
    entered = np.where(np.isnat(entered), prep["created"][keep], entered)
    return pd.DataFrame({
        "code": keep,
        "opportunity_id": prep["ids"][keep],
        "rep_id": opp["rep_id"].to_numpy()[keep],
        "account_id": opp["account_id"].to_numpy()[keep],
        "amount": opp["amount"].to_numpy(dtype=float)[keep],
        "created_date": prep["created"][keep],
        "status": np.where(closed, status, "open"),
        "close_date": np.where(closed, prep["close"][keep], np.datetime64("NaT")),
        "stage": stage.astype(str),
        "stage_entered": entered,
    })


def stage_episodes(ds, as_of, *, max_per_stage: int = 20_000, snap=None) -> pd.DataFrame:
    """How closed deals went through each stage, as known on ``as_of``.

    Returns
    -------
    DataFrame
        One row per closed deal × stage it reached (``max_per_stage`` most recent per stage):
        ``stage``, ``stay`` (days in the stage: to the next stage or to closing), ``days``
        (days from entering the stage to closing), ``won`` (bool). Deals still open on
        ``as_of`` are censored (left out): their outcome is not known yet.
    """
    as_of = np.datetime64(pd.Timestamp(as_of).normalize())
    snap = snapshot(ds, as_of) if snap is None else snap
    done = snap[snap["status"] != "open"]
    n = len(ds.opportunities)
    close = np.full(n, np.datetime64("NaT"), dtype="M8[ns]")
    close[done["code"].to_numpy()] = done["close_date"].to_numpy()
    won = np.zeros(n, dtype=bool)
    won[done["code"].to_numpy()] = done["status"].to_numpy() == "won"
    h = _prepared(ds)["hist"]
    c = h["code"].to_numpy()
    h = h[(h["entered"].to_numpy() <= as_of) & ~np.isnat(close[c])]
    ep = h.drop_duplicates(["code", "stage"], keep="first")     # first entry into each stage
    c = ep["code"].to_numpy()
    ent = ep["entered"].to_numpy()
    same_next = np.r_[c[1:] == c[:-1], False]
    nxt = np.where(same_next, np.r_[ent[1:], np.datetime64("NaT")], close[c])
    day = np.timedelta64(1, "D")
    ep = pd.DataFrame({"stage": ep["stage"].to_numpy(), "entered_date": ent,
                       "stay": (nxt - ent) / day, "days": (close[c] - ent) / day,
                       "won": won[c]})
    ep = ep.sort_values("entered_date", kind="stable").groupby("stage").tail(max_per_stage)
    return ep.reset_index(drop=True)


def stage_probabilities(ds, as_of) -> pd.DataFrame:
    """Historical stage-to-won probability, known on ``as_of``.

    Returns
    -------
    DataFrame
        One row per stage: ``reached`` (closed deals that reached it), ``won``, ``p_win``
        (= won / reached), ``median_days_to_close`` of the won ones.
    """
    ep = stage_episodes(ds, as_of)
    g = ep.groupby("stage")
    out = pd.DataFrame({"reached": g.size(), "won": g["won"].sum().astype(int)})
    out["p_win"] = out["won"] / out["reached"]
    out["median_days_to_close"] = ep[ep["won"]].groupby("stage")["days"].median()
    return out.rename_axis("stage").reset_index()


def _won_in_window(deals: pd.DataFrame, ep: pd.DataFrame, start, end, as_of):
    """``(p_win, p_time)`` per open deal, conditional on how long it has sat in its stage.

    Among closed deals that reached the same stage and were still in it after ``g`` days
    (``stay > g``, ``g`` = the open deal's age in the stage), with ``D`` their days from
    entering the stage to closing, ``b`` the open deal's days from stage entry to the
    period end and ``L = max(g, days to the period start - 1)``:
    :math:`p_{win} = \\#\\{won\\}/\\#\\{all\\}` and
    :math:`p_{time} = \\#\\{won, L < D \\le b\\} / \\#\\{won\\}`.
    A deal older than every comparable deal gets the stage's overall win share and the share
    of its wins closing within the remaining window; a stage never seen, the overall ones.
    """
    g = (as_of - deals["stage_entered"]).dt.days.to_numpy(dtype=float)
    b = (end - deals["stage_entered"]).dt.days.to_numpy(dtype=float)
    lo = np.maximum(g, (start - deals["stage_entered"]).dt.days.to_numpy(dtype=float) - 1)
    overall = float(ep["won"].mean()) if len(ep) else 0.0
    p_win = np.full(len(deals), overall)
    p_time = np.zeros(len(deals))
    by_stage = dict(tuple(ep.groupby("stage")))
    all_d = np.sort(ep.loc[ep["won"], "days"].to_numpy(dtype=float))
    for stage, idx in deals.groupby("stage").indices.items():
        e = by_stage.get(stage)
        if e is None or not len(e):
            if len(all_d):   # unknown stage: overall timing of wins
                p_time[idx] = (np.searchsorted(all_d, b[idx] - g[idx], side="right")
                               - np.searchsorted(all_d, lo[idx] - g[idx], side="right")) / len(all_d)
            continue
        stay, days, won = (e["stay"].to_numpy(float), e["days"].to_numpy(float),
                           e["won"].to_numpy(bool))
        wd = np.sort(days[won])
        # chunks keep the deal × history comparison matrix small
        for c in np.array_split(idx, max(1, len(idx) * len(e) // 4_000_000 + 1)):
            alive = stay[None, :] > g[c, None]
            n_all = alive.sum(1)
            n_won = (alive & won).sum(1)
            n_in = (alive & won & (days > lo[c, None]) & (days <= b[c, None])).sum(1)
            p_win[c] = np.where(n_all > 0, n_won / np.maximum(n_all, 1), won.mean())
            uncond = ((np.searchsorted(wd, b[c] - g[c], side="right")
                       - np.searchsorted(wd, lo[c] - g[c], side="right")) / max(len(wd), 1))
            p_time[c] = np.where(n_won > 0, n_in / np.maximum(n_won, 1), uncond)
    return np.clip(p_win, 0.0, 1.0), np.clip(p_time, 0.0, 1.0)


def _category(ds, deals: pd.DataFrame, category_map: dict | None) -> pd.Series:
    """Forecast category of each open deal on the as-of date (no history: by stage)."""
    opp = ds.opportunities
    if "forecast_category" not in opp or opp["forecast_category"].isna().all():
        return pd.Series("pipeline", index=deals.index)
    if category_map is None:
        # the CRM keeps no category history: learn stage → category from today's open deals
        cur = opp[opp["status"] == "open"].dropna(subset=["forecast_category"])
        category_map = (cur.groupby("stage")["forecast_category"]
                        .agg(lambda s: s.astype(str).mode().iloc[0]).to_dict())
    cat = deals["stage"].map(category_map).astype("string").str.lower().str.strip()
    return cat.map(_CATEGORY_ALIASES).fillna("pipeline").astype(str)


def run_rate(ds, period: str | Period, as_of, *, lookback: int = 4, by: str | None = None):
    """Bookings expected from deals not yet created on ``as_of``.

    For each of the ``lookback`` previous periods ``P'`` (same kind) the bookings won in
    ``P'`` from deals created after ``P'.start + (as_of - P.start)``; returns per
    ``unique_id`` their mean ``run_rate`` and standard deviation ``run_rate_sd``.
    """
    p = Period.parse(period, ds.fiscal_start_month)
    as_of = pd.Timestamp(as_of).normalize()
    offset = as_of - p.start
    opp = ds.opportunities
    keys = group_column(ds, by) if by else pd.Series("total", index=opp.index)
    rows = []
    for k in range(1, lookback + 1):
        q = p.shift(-k)
        if q.end > as_of:
            continue
        m = ((opp["status"] == "won") & q.contains(opp["close_date"])
             & (opp["created_date"] > q.start + offset))
        s = opp.loc[m, "amount"].groupby(keys[m]).sum()
        rows.append(s.reindex(keys.unique(), fill_value=0.0).rename(q.label))
    if not rows:
        return pd.DataFrame({"unique_id": keys.unique(), "run_rate": 0.0, "run_rate_sd": 0.0})
    tab = pd.concat(rows, axis=1)
    return pd.DataFrame({"unique_id": tab.index.astype(str), "run_rate": tab.mean(axis=1).values,
                         "run_rate_sd": tab.std(axis=1, ddof=1).fillna(0.0).values})


def pipeline_forecast(ds, period: str | Period, as_of=None, *, by: str | None = None,
                      level: float = 80, lookback: int = 4,
                      category_map: dict | None = None) -> PipelineForecast:
    """Forecast of the period's bookings from the pipeline on ``as_of`` (module docstring).

    Parameters
    ----------
    ds : Dataset
    period : str or Period
        Fiscal period, e.g. ``"2026-Q4"``.
    as_of : date, optional
        Default: the period's end or the data's as-of date, whichever is earlier. Only data
        dated on or before it are used.
    by : str, optional
        Group column (``team``, ``region``, ``product``, ``rep_id``...); default one ``total``.
    level : float
        Interval coverage in percent.
    category_map : dict, optional
        Stage → forecast category; default learned from today's open deals.
    """
    p = Period.parse(period, ds.fiscal_start_month)
    as_of = pd.Timestamp(min(p.end, ds.as_of) if as_of is None else as_of).normalize()
    snap = snapshot(ds, as_of)
    keys = (group_column(ds, by) if by else pd.Series("total", index=ds.opportunities.index))
    snap["unique_id"] = keys.astype(str).to_numpy()[snap["code"].to_numpy()]

    won = snap[(snap["status"] == "won") & p.contains(snap["close_date"])]
    deals = snap[snap["status"] == "open"].copy()
    ep = stage_episodes(ds, as_of, snap=snap)
    deals["p_win"], deals["p_time"] = (_won_in_window(deals, ep, p.start, p.end, as_of)
                                       if len(deals) else (0.0, 0.0))
    deals["q"] = deals["p_win"] * deals["p_time"]
    deals["expected"] = deals["amount"] * deals["q"]
    deals["category"] = _category(ds, deals, category_map)
    rr = run_rate(ds, p, as_of, lookback=lookback, by=by).set_index("unique_id")

    ids = sorted(set(snap["unique_id"]))
    comp_open = deals.groupby(["unique_id", "category"]).agg(
        value=("expected", "sum"), amount=("amount", "sum"), n_deals=("amount", "size"))
    closed = won.groupby("unique_id")["amount"].agg(["sum", "size"])
    grid = pd.MultiIndex.from_product([ids, COMPONENTS], names=["unique_id", "component"])
    comp = comp_open.rename_axis(["unique_id", "component"]).reindex(grid)
    comp.loc[(ids, "closed"), ["value", "amount", "n_deals"]] = np.c_[
        closed["sum"].reindex(ids).fillna(0).to_numpy(),
        closed["sum"].reindex(ids).fillna(0).to_numpy(),
        closed["size"].reindex(ids).fillna(0).to_numpy()]
    comp.loc[(ids, "run-rate"), "value"] = rr["run_rate"].reindex(ids).fillna(0).to_numpy()
    comp = comp.fillna({"value": 0.0, "amount": 0.0, "n_deals": 0}).reset_index()
    comp["n_deals"] = comp["n_deals"].astype(int)

    var = (deals["amount"] ** 2 * deals["q"] * (1 - deals["q"])).groupby(deals["unique_id"]).sum()
    summ = pd.DataFrame(index=pd.Index(ids, name="unique_id"))
    summ["closed"] = closed["sum"].reindex(ids).fillna(0.0)
    summ["open_expected"] = deals.groupby("unique_id")["expected"].sum().reindex(ids).fillna(0.0)
    summ["run_rate"] = rr["run_rate"].reindex(ids).fillna(0.0)
    summ["value"] = summ["closed"] + summ["open_expected"] + summ["run_rate"]
    summ["sd"] = np.sqrt(var.reindex(ids).fillna(0.0)
                         + rr["run_rate_sd"].reindex(ids).fillna(0.0) ** 2)
    z = norm.ppf(0.5 + level / 200)
    summ["lower"] = np.maximum(summ["closed"], summ["value"] - z * summ["sd"])
    summ["upper"] = summ["value"] + z * summ["sd"]
    summ["open_amount"] = deals.groupby("unique_id")["amount"].sum().reindex(ids).fillna(0.0)
    summ["n_open"] = deals.groupby("unique_id").size().reindex(ids).fillna(0).astype(int)
    cols = ["opportunity_id", "unique_id", "rep_id", "stage", "stage_entered", "category",
            "amount", "p_win", "p_time", "expected"]
    return PipelineForecast(p.label, as_of, float(level), summ.reset_index(), comp,
                            deals[cols].reset_index(drop=True))


# --------------------------------------------------------------------------------------------
# calibration of the stage probabilities
# --------------------------------------------------------------------------------------------
def replay_points(ds, period: str | Period, periods_back: int = 4,
                  weeks=(1, 4, 7, 10)) -> list[tuple[Period, int, pd.Timestamp]]:
    """The past moments a forecast is replayed at: ``(period, week, as_of)`` for each of the
    ``periods_back`` periods before ``period`` that ended by ``ds.as_of``, with
    ``as_of = start + 7·(week − 1)`` days while that falls inside the period."""
    p = Period.parse(period, ds.fiscal_start_month)
    points = []
    for k in range(1, periods_back + 1):
        q = p.shift(-k)
        if q.end > ds.as_of:
            continue
        for w in weeks:
            as_of = q.start + pd.Timedelta(days=7 * (w - 1))
            if as_of <= q.end:
                points.append((q, w, as_of))
    return points


def calibration_points(ds, period: str | Period, *, periods_back: int = 4,
                       weeks=(1, 4, 7, 10)) -> pd.DataFrame:
    """Deal-level predictions on past as-of dates with their known outcomes.

    For each of the ``periods_back`` periods before ``period`` and each as-of date
    ``start + 7·(w-1)`` days, every open deal's predicted probability ``q`` of being won
    inside that period, and ``outcome`` = 1 if it was. Only periods that ended by
    ``ds.as_of`` are used, so every outcome is known.
    """
    opp = ds.opportunities.set_index("opportunity_id")
    rows = []
    for q, w, as_of in replay_points(ds, period, periods_back, weeks):
        d = pipeline_forecast(ds, q, as_of).deals
        won_in = (opp.loc[d["opportunity_id"], "status"].eq("won")
                  & q.contains(opp.loc[d["opportunity_id"], "close_date"])).to_numpy()
        rows.append(pd.DataFrame({"period": q.label, "week": w, "as_of": as_of,
                                  "opportunity_id": d["opportunity_id"],
                                  "stage": d["stage"], "q": d["p_win"] * d["p_time"],
                                  "outcome": won_in.astype(float)}))
    cols = ["period", "week", "as_of", "opportunity_id", "stage", "q", "outcome"]
    return pd.concat(rows, ignore_index=True) if rows else pd.DataFrame(columns=cols)


def brier(points: pd.DataFrame) -> float:
    """Brier score :math:`\\frac1n\\sum (q_i - o_i)^2` of predicted ``q`` vs ``outcome``."""
    return float(((points["q"] - points["outcome"]) ** 2).mean()) if len(points) else np.nan


def reliability(points: pd.DataFrame, bins: int = 10) -> pd.DataFrame:
    """Reliability table: per bin of predicted probability, ``predicted`` (mean q),
    ``observed`` (share won), ``n`` deals. A calibrated model has predicted ≈ observed."""
    edges = np.linspace(0, 1, bins + 1)
    b = pd.cut(points["q"], edges, include_lowest=True)
    g = points.groupby(b, observed=True)
    out = pd.DataFrame({"predicted": g["q"].mean(), "observed": g["outcome"].mean(),
                        "n": g.size()}).rename_axis("bin").reset_index()
    out["bin"] = out["bin"].astype(str)
    return out


# --------------------------------------------------------------------------------------------
# charts
# --------------------------------------------------------------------------------------------
def plot_waterfall(components: pd.DataFrame, ax=None, *, title: str = "Pipeline forecast",
                   ylabel: str = "bookings ($)"):
    """Waterfall of ``component`` → ``value`` (closed, commit, best case, pipeline, run-rate)
    summed over groups, ending in the total. Returns the figure."""
    fig, ax = viz.figure(title, "component", ylabel, ax=ax)
    v = components.groupby("component")["value"].sum().reindex(list(COMPONENTS)).fillna(0.0)
    bottoms = np.r_[0.0, np.cumsum(v.to_numpy())[:-1]]
    colors = [viz.COLORS["good"]] + [viz.PALETTE[i] for i in (0, 4, 7)] + [viz.COLORS["target"]]
    x = np.arange(len(v) + 1)
    ax.bar(x[:-1], v.to_numpy(), bottom=bottoms, color=colors, width=0.6)
    ax.bar(x[-1], v.sum(), color=viz.COLORS["primary"], width=0.6)
    for xi, (val, bot) in enumerate(zip(np.r_[v.to_numpy(), v.sum()], np.r_[bottoms, 0.0])):
        ax.text(xi, bot + val, viz.money(val), ha="center", va="bottom", fontsize=9)
    ax.set_xticks(x, [*v.index, "forecast"])
    viz.money_axis(ax)
    return fig


def plot_reliability(table: pd.DataFrame, ax=None, *,
                     title: str = "Are stage probabilities calibrated?"):
    """Predicted vs observed win share per probability bin, with the diagonal."""
    fig, ax = viz.figure(title, "predicted probability of closing won in period (%)",
                         "observed share won (%)", ax=ax)
    ax.plot([0, 1], [0, 1], color=viz.COLORS["neutral"], ls=":", lw=1, label="perfect")
    ax.scatter(table["predicted"], table["observed"], s=20 + 180 * table["n"] / table["n"].max(),
               color=viz.COLORS["primary"], label="deals (size = count)")
    viz.pct_axis(ax, "x")
    viz.pct_axis(ax, "y")
    ax.legend(loc="upper left", fontsize=8)
    return fig
