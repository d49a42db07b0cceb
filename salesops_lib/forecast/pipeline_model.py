"""Pipeline forecast: what the open pipeline, as it stood on the as-of date, will book.

For a fiscal period and an as-of date the forecast is

.. math::

    F = C + \\sum_{i \\in open} a_i \\, p_{win}(s_i) \\, p_{time}(i) + R

* ``C`` — bookings already closed-won in the period by the as-of date;
* open deals ``i`` *as they stood on the as-of date* (:func:`salesops_lib.measures.state_as_of`:
  amount :math:`a_i`, stage :math:`s_i`, forecast category, expected close date and owner
  from the last ``opportunity_history`` row on or before that day; a deal closed later is
  still open then), never the final amount or category;
* :math:`p_{win}(i)` — from the closed history known on the as-of date (deals still open then
  are censored: they have no outcome yet): among closed deals that reached the same stage and
  were *still in it* after as many days as deal ``i`` has sat there (:math:`g_i`), the share
  won. Conditioning on the age in the stage matters: deals that will be lost tend to sit in a
  stage, won ones move on. Where the history shows close dates, its log-odds are shifted for
  how near the deal's close date is (:func:`salesops_lib.forecast.timing.win_shift`);
* :math:`p_{time}(i)` — the chance that, if won, it closes inside the period: from its own
  expected close date and how the close dates of past won deals slipped
  (:func:`salesops_lib.forecast.timing.close_date_timing`); for a deal without a close date,
  a source without history or too few past slips, from its age in the stage
  (:func:`salesops_lib.forecast.timing.stage_age_odds`). The ``timing`` column of the deals
  says which;
* ``R`` — the run-rate of deals not yet created: the average, over the previous periods, of
  bookings from deals created after the same point of the period.

**Interval.** Deal outcomes :math:`X_i \\sim \\mathrm{Bernoulli}(q_i)`, :math:`q = p_{win}p_{time}`,
are not independent coin flips: deals of one team move together (one manager's push, one
territory's budget cycle) and all deals share the quarter-end. With
:math:`s_i = a_i\\sqrt{q_i(1-q_i)}`, :math:`S_t = \\sum_{i\\in t} s_i`,
:math:`V_t = \\sum_{i\\in t} s_i^2` per team ``t`` (the owner's team on the as-of date),
:math:`S = \\sum_t S_t`, :math:`V = \\sum_t V_t`, and exchangeable correlations
:math:`\\rho_{team}` within a team and :math:`\\rho_{all}` across teams,

.. math::

    \\sigma^2 = V + \\rho_{team}\\sum_t (S_t^2 - V_t) + \\rho_{all}\\Big(S^2 - \\sum_t S_t^2\\Big)
    + \\sigma_R^2 .

Both correlations are estimated by the method of moments on the same forecast replayed on
past periods at the same point of the period (:func:`correlation`), so they are 0 (the
independent interval) where the data shows no correlation. Bounds: :math:`F \\pm z\\sigma`,
the lower one at least ``C``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy.stats import norm

from .. import viz
from ..measures import bookings_start, data_start, group_values, state_as_of
from ..periods import Period
from . import timing
from .deals import (  # noqa: F401 - API
    NO_CORRELATION,
    correlated_variance,
    correlation,
    snapshot,
    stage_episodes,
    terminal_stages,
)

#: Waterfall steps, in order; ``omitted`` and unknown CRM categories count as ``pipeline``.
COMPONENTS = ("closed", "commit", "best case", "pipeline", "run-rate")
_CATEGORY_ALIASES = {"commit": "commit", "committed": "commit", "forecast": "commit",
                     "best case": "best case", "best_case": "best case", "bestcase": "best case",
                     "upside": "best case", "pipeline": "pipeline", "omitted": "pipeline",
                     "closed": "closed"}


@dataclass(frozen=True)
class PipelineForecast:
    """Result of :func:`pipeline_forecast`.

    Attributes
    ----------
    value, lower, upper : float
        The period's expected bookings over all groups and its ``level``% interval
        (properties).
    summary : DataFrame
        Per ``unique_id``: ``closed``, ``open_expected``, ``run_rate``, ``value``, ``sd``,
        ``lower``, ``upper``, ``open_amount``, ``n_open``.
    components : DataFrame
        Per ``unique_id`` × ``component`` (closed, commit, best case, pipeline, run-rate):
        ``value`` (expected bookings), ``amount`` (unweighted open amount), ``n_deals``.
    deals : DataFrame
        The open deals on the as-of date, as they stood then: ``opportunity_id``,
        ``unique_id``, ``rep_id``, ``team``, ``stage``, ``stage_entered``, ``category``,
        ``expected_close``, ``amount``, ``p_win``, ``p_time``, ``timing`` (``"close date"`` or
        ``"stage age"``: where ``p_time`` came from), ``expected``.
    correlation : dict
        ``team`` and ``all``, the deal-outcome correlations the interval used, and
        ``n_points``, the past as-of points they were estimated on (0: none, independent).
    total_sd : float
        Standard deviation of the total over all groups (correlated).
    """

    period: str
    as_of: pd.Timestamp
    level: float
    summary: pd.DataFrame
    components: pd.DataFrame
    deals: pd.DataFrame
    correlation: dict = field(default_factory=lambda: dict(NO_CORRELATION))
    total_sd: float = 0.0

    @property
    def value(self) -> float:
        """Total forecast over all groups."""
        return float(self.summary["value"].sum())

    @property
    def lower(self) -> float:
        """Lower bound of the total: :math:`\\max(C, F - z\\sigma)`."""
        return float(self._total_bounds()[0])

    @property
    def upper(self) -> float:
        """Upper bound of the total: :math:`F + z\\sigma`."""
        return float(self._total_bounds()[1])

    def _total_bounds(self):
        z = norm.ppf(0.5 + self.level / 200)
        closed = self.summary["closed"].sum()
        return max(closed, self.value - z * self.total_sd), self.value + z * self.total_sd


# --------------------------------------------------------------------------------------------
# the pipeline as it stood on a date: see forecast_deals (snapshot, stage_episodes)
# --------------------------------------------------------------------------------------------
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


def forecast_category_of(deals: pd.DataFrame, state: pd.DataFrame, category_map: dict | None,
              still_open=None) -> pd.Series:
    """Forecast category of each open deal as it stood on the as-of date.

    A deal with history carries its own category of that day. Otherwise (a source without
    category history, or a deal whose history leaves it empty) the category comes from its
    stage, through ``category_map`` or, by default, the most common category per stage among
    the deals open on that day whose category is known *as of then* (from history); only a
    source with no history at all falls back to deals still open today, whose current
    category is the best it can offer.
    """
    own = deals["forecast_category"].astype("string").where(deals["from_history"])
    if category_map is None:
        open_ = state[state["status"] == "open"].dropna(subset=["forecast_category"])
        learn = open_[open_["from_history"]]
        if learn.empty and still_open is not None:
            learn = open_[open_["opportunity_id"].isin(still_open)]
        category_map = (learn.groupby("stage")["forecast_category"]
                        .agg(lambda s: s.astype(str).mode().iloc[0]).to_dict()
                        if len(learn) else {})
    by_stage = deals["stage"].map(category_map).astype("string")
    cat = own.fillna(by_stage).str.lower().str.strip()
    return cat.map(_CATEGORY_ALIASES).fillna("pipeline").astype(str)


def _keys(ds, frame: pd.DataFrame, by: str | None) -> pd.Series:
    """Group key of each row of an as-of frame (owner then → team, region...)."""
    if not by:
        return pd.Series("total", index=frame.index)
    return group_values(ds, by, frame)


def run_rate(ds, period: str | Period, as_of, *, lookback: int = 4, by: str | None = None,
             state: pd.DataFrame | None = None):
    """Bookings expected from deals not yet created on ``as_of``.

    For each of the ``lookback`` previous periods ``P'`` (same kind, ended by ``as_of``) the
    bookings won in ``P'`` from deals created after ``P'.start + (as_of - P.start)``, read
    from the deals as known on ``as_of`` (``state``, default
    :func:`~salesops_lib.measures.state_as_of`); returns per ``unique_id`` their mean
    ``run_rate`` and standard deviation ``run_rate_sd``. A period whose point
    ``P'.start + (as_of - P.start)`` lies before the data begin
    (:func:`~salesops_lib.measures.data_start`), or that starts before the data observe
    bookings (:func:`~salesops_lib.measures.bookings_start`), is left out: deals created
    before that day, or closed before that month, are not in the data, so its sum is unknown,
    not zero (averaging in zeros put a 1 January
    run-rate for the year at a quarter of the year before's). With a single period there is
    no spread to measure, and ``run_rate_sd`` is that period's compound-Poisson standard
    deviation :math:`\\sqrt{\\sum a_i^2}` over its deals (the count of new deals won taken
    as Poisson), not zero.
    """
    p = Period.parse(period, ds.fiscal_start_month)
    as_of = pd.Timestamp(as_of).normalize()
    offset = as_of - p.start
    st = state_as_of(ds, as_of) if state is None else state
    keys = _keys(ds, st, by)
    begin, booked_from = data_start(ds), bookings_start(ds)
    rows, squares = [], []
    for k in range(1, lookback + 1):
        q = p.shift(-k)
        # a period not over, one whose deals created after its point were not all in the data
        # (it began before the data did), or one whose closes the data do not all show: unknown,
        # not zero
        if q.end > as_of or (pd.notna(begin) and q.start + offset < begin) or \
                (pd.notna(booked_from) and q.start < booked_from):
            continue
        m = ((st["status"] == "won") & q.contains(st["close_date"])
             & (st["created_date"] > q.start + offset))
        s = st.loc[m, "amount"].groupby(keys[m]).sum()
        rows.append(s.reindex(keys.unique(), fill_value=0.0).rename(q.label))
        sq = (st.loc[m, "amount"] ** 2).groupby(keys[m]).sum()
        squares.append(sq.reindex(keys.unique(), fill_value=0.0))
    if not rows:
        return pd.DataFrame({"unique_id": keys.unique(), "run_rate": 0.0, "run_rate_sd": 0.0})
    tab = pd.concat(rows, axis=1)
    sd = tab.std(axis=1, ddof=1)
    if len(rows) == 1:      # one period shows no spread: its deals' compound-Poisson sd
        sd = np.sqrt(squares[0])
    return pd.DataFrame({"unique_id": tab.index.astype(str), "run_rate": tab.mean(axis=1).values,
                         "run_rate_sd": sd.reindex(tab.index).fillna(0.0).values})


_estimate = correlation   # the module-level estimator, shadowed by an argument below


def _group_variance(d: pd.DataFrame, corr: dict) -> pd.Series:
    """:func:`correlated_variance` of each ``unique_id``'s open deals (empty without any: a
    replayed date with no open deal, where pandas' ``apply`` gives an empty frame)."""
    if d.empty:
        return pd.Series(dtype=float)
    return d.groupby("unique_id").apply(lambda g: correlated_variance(g, corr),
                                        include_groups=False)


def with_correlation(pf: PipelineForecast, corr: dict) -> PipelineForecast:
    """The same forecast with its interval recomputed for deal-outcome correlations ``corr``
    (``team``, ``all``): values unchanged, ``sd``, ``lower``, ``upper``, ``total_sd`` new."""
    corr = {**NO_CORRELATION, **corr}
    d = pf.deals.assign(q=pf.deals["p_win"] * pf.deals["p_time"])
    indep, new = _group_variance(d, NO_CORRELATION), _group_variance(d, corr)
    s = pf.summary.set_index("unique_id")
    rr_var = (s["sd"] ** 2 - indep.reindex(s.index).fillna(0.0)).clip(lower=0)
    s["sd"] = np.sqrt(new.reindex(s.index).fillna(0.0) + rr_var)
    z = norm.ppf(0.5 + pf.level / 200)
    s["lower"] = np.maximum(s["closed"], s["value"] - z * s["sd"])
    s["upper"] = s["value"] + z * s["sd"]
    total = float(np.sqrt(correlated_variance(d, corr) + rr_var.sum()))
    return PipelineForecast(pf.period, pf.as_of, pf.level, s.reset_index(), pf.components,
                            pf.deals, corr, total)


def pipeline_forecast(ds, period: str | Period, as_of=None, *, by: str | None = None,
                      level: float = 80, lookback: int = 4, category_map: dict | None = None,
                      correlation: dict | str | None = "auto") -> PipelineForecast:
    """Forecast of the period's bookings from the pipeline on ``as_of`` (module docstring).

    Parameters
    ----------
    ds : Dataset
    period : str or Period
        Fiscal period, e.g. ``"2026-Q4"``.
    as_of : date, optional
        Default: the period's end or the data's as-of date, whichever is earlier. Only what
        was known at the end of that day is used (deals as they stood then).
    by : str, optional
        Group column (``team``, ``region``, ``product``, ``rep_id``...; reps' columns through
        the owner *on the as-of date*); default one ``total``.
    level : float
        Interval coverage in percent.
    category_map : dict, optional
        Stage → forecast category for deals without an as-of category (see :func:`forecast_category_of`).
    correlation : "auto", dict or None
        Deal-outcome correlations (``team``, ``all``): ``"auto"`` estimates them on the
        ``lookback`` previous periods replayed at the same point of the period
        (:func:`correlation`); ``None`` treats outcomes as independent.
    """
    p = Period.parse(period, ds.fiscal_start_month)
    as_of = pd.Timestamp(min(p.end, ds.as_of) if as_of is None else as_of).normalize()
    state = state_as_of(ds, as_of)
    snap = snapshot(ds, as_of, state)
    snap["unique_id"] = _keys(ds, snap, by).to_numpy()
    snap["team"] = (group_values(ds, "team", snap) if "team" in ds.reps.columns
                    else pd.Series("total", index=snap.index)).to_numpy()

    won = snap[(snap["status"] == "won") & p.contains(snap["close_date"])]
    deals = snap[snap["status"] == "open"].copy()
    ep = stage_episodes(ds, as_of, snap=snap)
    deals["p_win"], deals["p_time"], deals["timing"] = timing.deal_odds(ds, deals, snap, ep, p,
                                                                       as_of)
    deals["q"] = deals["p_win"] * deals["p_time"]
    deals["expected"] = deals["amount"] * deals["q"]
    opp = ds.opportunities
    deals["category"] = forecast_category_of(deals, state, category_map,
                                  set(opp.loc[opp["status"] == "open", "opportunity_id"]))
    rr = run_rate(ds, p, as_of, lookback=lookback, by=by, state=state).set_index("unique_id")
    if isinstance(correlation, str):
        corr = _estimate(calibration_points(ds, p, periods_back=lookback,
                                            at=as_of - p.start, _known=as_of))
    else:
        corr = dict(NO_CORRELATION) if correlation is None else {**NO_CORRELATION,
                                                                  **correlation}

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

    var = pd.Series({u: correlated_variance(g, corr) for u, g in deals.groupby("unique_id")},
                    dtype=float)
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
    # run-rates of groups are taken as independent of each other and of the deals
    total_sd = float(np.sqrt(correlated_variance(deals, corr)
                             + (rr["run_rate_sd"].reindex(ids).fillna(0.0) ** 2).sum()))
    cols = ["opportunity_id", "unique_id", "rep_id", "team", "stage", "stage_entered",
            "category", "expected_close", "amount", "p_win", "p_time", "timing", "expected"]
    return PipelineForecast(p.label, as_of, float(level), summ.reset_index(), comp,
                            deals[cols].reset_index(drop=True), corr, total_sd)


# --------------------------------------------------------------------------------------------
# calibration of the stage probabilities
# --------------------------------------------------------------------------------------------
def week_scale(p: Period) -> float:
    """How many quarter-weeks one week of ``p`` stands for: 1 for a quarter, about 4 for a
    year, about a third for a month (the period's days over a quarter's 91)."""
    return 1.0 if p.kind == "quarter" else ((p.end - p.start).days + 1) / 91


def scaled_weeks(p: Period, weeks) -> tuple[int, ...]:
    """Weeks of a quarter (``weeks``) spread over the length of ``p``: the same moments of a
    month (about a third as many days) or of a year (about four times); a quarter's unchanged.
    Week 7 of a quarter is week 3 of a month and week 25 of a year."""
    k = week_scale(p)
    return tuple(sorted({1 + round((w - 1) * k) for w in weeks}))


def replay_points(ds, period: str | Period, periods_back: int = 4, weeks=(1, 4, 7, 10), *,
                  known=None, at=None) -> list[tuple[Period, int, pd.Timestamp]]:
    """The past moments a forecast is replayed at: ``(period, week, as_of)`` for each of the
    ``periods_back`` periods before ``period`` that ended by ``known`` (default ``ds.as_of``),
    with ``as_of = start + 7·(week − 1)`` days while that falls inside the period; or, with
    ``at`` (a Timedelta), the single point ``start + at`` of each (at most its end)."""
    p = Period.parse(period, ds.fiscal_start_month)
    known = pd.Timestamp(ds.as_of if known is None else known)
    points = []
    for k in range(1, periods_back + 1):
        q = p.shift(-k)
        if q.end > known:
            continue
        if at is not None:
            points.append((q, int(pd.Timedelta(at).days // 7 + 1),
                           min(q.start + pd.Timedelta(at), q.end)))
            continue
        for w in weeks:
            as_of = q.start + pd.Timedelta(days=7 * (w - 1))
            if as_of <= q.end:
                points.append((q, w, as_of))
    return points


def calibration_points(ds, period: str | Period, *, periods_back: int = 4,
                       weeks=(1, 4, 7, 10), at=None, _known=None) -> pd.DataFrame:
    """Deal-level predictions on past as-of dates with their known outcomes.

    For each of the ``periods_back`` periods before ``period`` that ended by ``ds.as_of``
    and each as-of date ``start + 7·(w-1)`` days (or ``start + at``), every deal open then,
    as it stood then: ``amount``, ``team``, its predicted probability ``q`` of being won
    inside that period, and ``outcome`` = 1 if it was (as known on ``ds.as_of``).

    Returns
    -------
    DataFrame
        ``period``, ``week``, ``as_of``, ``opportunity_id``, ``stage``, ``team``, ``amount``,
        ``q``, ``outcome``.
    """
    known = pd.Timestamp(ds.as_of if _known is None else _known)
    now = state_as_of(ds, known).set_index("opportunity_id")
    rows = []
    for q, w, as_of in replay_points(ds, period, periods_back, weeks, known=known, at=at):
        d = pipeline_forecast(ds, q, as_of, lookback=periods_back, correlation=None).deals
        st = now.reindex(d["opportunity_id"])
        won_in = (st["status"].eq("won") & q.contains(st["close_date"])).to_numpy()
        rows.append(pd.DataFrame({"period": q.label, "week": w, "as_of": as_of,
                                  "opportunity_id": d["opportunity_id"],
                                  "stage": d["stage"], "team": d["team"],
                                  "amount": d["amount"], "q": d["p_win"] * d["p_time"],
                                  "outcome": won_in.astype(float)}))
    cols = ["period", "week", "as_of", "opportunity_id", "stage", "team", "amount", "q",
            "outcome"]
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
    # closed, commit, best case, pipeline, run-rate; the total alone in the primary blue
    colors = [viz.COLORS["good"]] + [viz.PALETTE[i] for i in (3, 2, 6)] + [viz.COLORS["compare"]]
    x = np.arange(len(v) + 1)
    ax.bar(x[:-1], v.to_numpy(), bottom=bottoms, color=colors, width=0.6)
    ax.bar(x[-1], v.sum(), color=viz.COLORS["primary"], width=0.6)
    for xi, (val, bot) in enumerate(zip(np.r_[v.to_numpy(), v.sum()], np.r_[bottoms, 0.0])):
        ax.text(xi, bot + val, viz.money(val), ha="center", va="bottom", fontsize=9)
    ax.set_xticks(x, [*v.index, "forecast"])
    ax.set_ylim(top=ax.get_ylim()[1] * 1.08)   # room for the labels above the tallest bar
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
    viz.legend_below(ax, ncols=2)
    return fig
