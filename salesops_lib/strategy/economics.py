"""Channel economics: what each sales motion (field, inside, any other role) wins, costs and
contributes, overall and by segment, industry, deal-size band or region.

Definitions (a window of ``Y`` years, from :func:`window`: by default the trailing four
quarters, from the month the data observe bookings at the earliest):

* **motion** of a deal: the ``role`` of the rep who works it (``reps.role``, lower case);
  without roles every rep is in one motion, ``"all reps"``.
* **rep-FTE** (full-time-equivalent years in the window):
  :math:`F_r = c_r \\cdot d_r / D`, with :math:`c_r` the rep's ``capacity`` read as FTE (1 when
  missing or above 1.5, i.e. given in hours), :math:`d_r` the days of the window after the
  rep's hire date and :math:`D` the window's days, times :math:`Y`; only reps with a deal or an
  activity in the window count. A group's FTE is :math:`\\sum_r F_r s_{rg}` with
  :math:`s_{rg}` the rep's share of time in the group: its activity minutes there over its
  activity minutes (its closed deals when it logged no minutes).
* **win rate** :math:`= W / (W + L)` over deals closed in the window, with a Wilson interval.
* **bookings** :math:`B = \\sum` amount of won deals; **deal size** :math:`= B / W`; **cycle**
  = median days from creation to close of won deals.
* **bookings per rep-FTE** :math:`= B / F` (per FTE-year).
* **cost** :math:`C = F \\cdot k_m + V \\cdot t` with :math:`k_m` the loaded cost per FTE-year of the
  motion, :math:`V` the field visits logged and :math:`t` the travel cost per visit.
* **cost of sale** :math:`= C / B`; **contribution** :math:`= g B - C` (``g`` the gross margin
  on bookings, 1 by default); **contribution per FTE** :math:`= (gB - C)/F`;
  **contribution per rep-hour** :math:`= (gB - C)/(F \\cdot H)` with :math:`H` selling hours per
  FTE-year.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from statsmodels.stats.proportion import proportion_confint

from ..measures import UNASSIGNED, bookings_start, group_values
from ..periods import Period, period_containing

#: Motion label when the data have no rep roles.
ALL_REPS = "all reps"
#: Default deal-size band edges (dollars).
SIZE_EDGES = (5_000.0, 25_000.0, 100_000.0)
#: Grouping keys the economics understand besides the motion.
BY = ("segment", "industry", "region", "size_band", "product")


@dataclass(frozen=True)
class Assumptions:
    """The cost and capacity assumptions of a coverage model (all per FTE-year).

    Attributes
    ----------
    cost_per_fte : dict
        Loaded cost of one FTE-year by motion; a motion not listed costs ``other_cost_per_fte``.
    other_cost_per_fte : float
    travel_cost_per_visit : float
        Travel cost of one logged visit.
    capacity_hours : float
        Selling hours in one FTE-year.
    gross_margin : float
        Share of bookings that counts as contribution before sales cost.
    """

    cost_per_fte: dict = field(default_factory=lambda: {"field": 200_000.0, "inside": 110_000.0})
    other_cost_per_fte: float = 150_000.0
    travel_cost_per_visit: float = 250.0
    capacity_hours: float = 1_500.0
    gross_margin: float = 1.0

    def cost_of(self, motion) -> np.ndarray:
        """Cost per FTE-year of each motion label."""
        m = pd.Series(np.asarray(motion, dtype=object))
        return m.map(self.cost_per_fte).fillna(self.other_cost_per_fte).to_numpy(float)


def assumptions(field_cost_per_fte: float = 200_000.0, inside_cost_per_fte: float = 110_000.0,
                travel_cost_per_visit: float = 250.0, capacity_hours: float = 1_500.0,
                gross_margin: float = 1.0, other_cost_per_fte: float | None = None) -> Assumptions:
    """:class:`Assumptions` from the notebook's parameters (other roles cost the field rate
    unless ``other_cost_per_fte`` is given)."""
    for name, v in [("field_cost_per_fte", field_cost_per_fte),
                    ("inside_cost_per_fte", inside_cost_per_fte),
                    ("travel_cost_per_visit", travel_cost_per_visit),
                    ("capacity_hours", capacity_hours), ("gross_margin", gross_margin)]:
        if not np.isfinite(v) or v < 0 or (name == "capacity_hours" and v == 0):
            raise ValueError(f"{name} must be a non-negative number (capacity above 0); got {v!r}")
    return Assumptions({"field": float(field_cost_per_fte), "inside": float(inside_cost_per_fte)},
                       float(field_cost_per_fte if other_cost_per_fte is None else other_cost_per_fte),
                       float(travel_cost_per_visit), float(capacity_hours), float(gross_margin))


@dataclass(frozen=True)
class Window:
    """A closed date window: ``start``, ``end`` (inclusive), its ``label`` and length in years."""

    start: pd.Timestamp
    end: pd.Timestamp
    label: str

    @property
    def years(self) -> float:
        return ((self.end - self.start).days + 1) / 365.25


#: Months in a period of each kind: the unit :func:`window` counts back in.
_MONTHS = {"month": 1, "quarter": 3, "year": 12}


def window(ds, period, periods_back: int = 4, kind: str = "quarter") -> Window:
    """The ``periods_back`` fiscal periods of ``kind`` up to the last day of ``period``: by
    default four quarters, the trailing twelve months, on a month, quarter or year page alike
    (a year page used to reach four *years* back, setting 2023's cost against 2026's motions).
    ``kind="year"`` with ``periods_back=2`` gives two years, and so on.

    The window is cut at the data's as-of date and at the day the data observe bookings
    (:func:`measures.bookings_start`: the month of the first close; counting reps' time before
    it would divide real costs by missing bookings and lower every rate per FTE). Every rate is
    over the days the window spans (:attr:`Window.years`), so a cut window is never divided by
    whole periods. The label names the first period ("2025-Q4 to 2026-Q3", "2025-09 to 2026-08";
    the period alone when it is the window: "2026"), the month bookings begin when cut there
    ("Mar 2017 to 2017-Q2"), and the last day when the period is not over ("2026-Q1 to 15 Nov
    2026", on a quarter and a year page alike).
    """
    if int(periods_back) < 1:
        raise ValueError(f"periods_back must be at least 1; got {periods_back!r}")
    if kind not in _MONTHS:
        raise ValueError(f"kind must be 'month', 'quarter' or 'year'; got {kind!r}")
    fsm = ds.fiscal_start_month
    last = Period.parse(period, fsm)
    start = (last.end.to_period("M") - (int(periods_back) * _MONTHS[kind] - 1)).to_timestamp()
    first = next((p for p in (period_containing(start, k, fsm) for k in (kind, last.kind))
                  if p.start == start), None)
    head = first.label if first is not None else f"{start:%b %Y}"
    end = min(last.end, pd.Timestamp(ds.as_of).normalize())
    if end < start:
        raise ValueError(f"the window {head}–{last.label} starts after the data's as-of "
                         f"date {pd.Timestamp(ds.as_of):%Y-%m-%d}")
    begin = bookings_start(ds)
    if pd.notna(begin) and begin > start:
        if begin > end:
            raise ValueError(f"the window {head}–{last.label} ends before the data show "
                             f"bookings (from {begin:%d %b %Y}, the month of the first close)")
        start, head, first = begin, f"{begin:%b %Y}", None
    if end < last.end:
        label = f"{head} to {end:%d %b %Y}"
    elif start == last.start:
        label = last.label                        # the period itself: "2026"
    elif first is not None and first.end == last.end:
        label = first.label                       # one period of it: "2026-Q4"
    else:
        label = f"{head} to {last.label}"
    return Window(start, end, label)


# --------------------------------------------------------------------------------------------
# keys
# --------------------------------------------------------------------------------------------
def has_roles(ds) -> bool:
    """Whether ``reps.role`` names at least one rep."""
    return "role" in ds.reps.columns and ds.reps["role"].notna().any()


def motion_of(ds, frame: pd.DataFrame) -> pd.Series:
    """Motion of each row of ``frame`` (through its ``rep_id``): the rep's role, lower case."""
    if not has_roles(ds):
        return pd.Series(ALL_REPS, index=frame.index, dtype=object)
    return group_values(ds, "role", frame).str.strip().str.lower().where(
        lambda s: s != UNASSIGNED.lower(), UNASSIGNED)


def size_band(amount, edges=SIZE_EDGES) -> pd.Series:
    """Deal-size band of each amount: ``under $5k``, ``$5k–25k``, ..., ``$100k and over``."""
    from ..viz import money

    edges = [float(e) for e in edges]
    labels = ([f"under {money(edges[0], 0)}"]
              + [f"{money(a, 0)}–{money(b, 0).lstrip('$')}" for a, b in itertools.pairwise(edges)]
              + [f"{money(edges[-1], 0)} and over"])
    a = pd.Series(np.asarray(amount, dtype=float))
    code = np.searchsorted(np.asarray(edges), a.to_numpy(), side="right")
    return pd.Series(pd.Categorical.from_codes(code, categories=labels, ordered=True),
                     index=getattr(amount, "index", None))


def account_attribute(ds, frame: pd.DataFrame, key: str) -> pd.Series:
    """``accounts[key]`` of each row of ``frame`` (through ``account_id``); missing or unknown
    → ``(unassigned)``. Region is the account's, not the rep's."""
    acc = ds.accounts
    if key not in acc.columns or "account_id" not in frame.columns:
        return pd.Series(UNASSIGNED, index=frame.index, dtype=object)
    v = frame["account_id"].map(acc.set_index("account_id")[key])
    return v.astype("string").fillna(UNASSIGNED).astype(str)


def deal_keys(ds, frame: pd.DataFrame | None = None, edges=SIZE_EDGES) -> pd.DataFrame:
    """Opportunities with their grouping keys: ``motion``, ``segment``, ``industry``,
    ``region``, ``product`` (missing → ``(unassigned)``), ``size_band`` (from ``amount``)."""
    df = ds.opportunities if frame is None else frame
    out = df.copy()
    out["motion"] = motion_of(ds, df).to_numpy()
    for key in ("segment", "industry", "region"):
        out[key] = account_attribute(ds, df, key).to_numpy()
    out["product"] = (df["product"].astype("string").fillna(UNASSIGNED).astype(str)
                      if "product" in df else UNASSIGNED)
    out["size_band"] = size_band(df["amount"].fillna(0.0), edges).to_numpy()
    return out


def closed_deals(ds, win: Window, edges=SIZE_EDGES) -> pd.DataFrame:
    """Deals closed (won or lost) in the window, with :func:`deal_keys` and ``won`` (bool),
    ``bookings`` (amount if won, else 0) and ``cycle_days`` (close − created)."""
    o = ds.opportunities
    sel = o["status"].isin(["won", "lost"]) & o["close_date"].between(win.start, win.end)
    out = deal_keys(ds, o[sel], edges).reset_index(drop=True)
    out["won"] = (out["status"] == "won").to_numpy()
    out["bookings"] = np.where(out["won"], out["amount"].fillna(0.0).to_numpy(float), 0.0)
    out["cycle_days"] = (out["close_date"] - out["created_date"]).dt.days.astype(float)
    return out


def window_activities(ds, win: Window, edges=SIZE_EDGES) -> pd.DataFrame:
    """Activities dated in the window, with ``motion`` (of the logging rep), ``minutes``
    (``duration_min``, 0 when missing) and the grouping keys of the deal they belong to (or of
    their account when they name no deal)."""
    a = ds.activities
    a = a[a["date"].between(win.start, win.end)].reset_index(drop=True)
    out = a.copy()
    out["motion"] = motion_of(ds, a).to_numpy()
    out["type"] = out["type"].astype("string").str.strip().str.lower()
    out["minutes"] = (pd.to_numeric(a["duration_min"], errors="coerce").fillna(0.0)
                      if "duration_min" in a else 0.0)
    keys = deal_keys(ds, edges=edges).set_index("opportunity_id")
    opp = a["opportunity_id"] if "opportunity_id" in a else pd.Series(pd.NA, index=a.index)
    for key in ("segment", "industry", "region", "product", "size_band"):
        v = opp.map(keys[key]).astype(object)
        if key in ("segment", "industry", "region"):
            v = v.where(v.notna(), account_attribute(ds, a, key))
        out[key] = v.fillna(UNASSIGNED).astype(str).to_numpy()
    return out


def rep_fte(ds, win: Window) -> pd.DataFrame:
    """Each active rep's FTE-years in the window: ``rep_id``, ``motion``, ``fte``.

    A rep is active when it closed or created a deal, or logged an activity, in the window.
    """
    r = ds.reps
    o = ds.opportunities
    active = set(o.loc[o["close_date"].between(win.start, win.end)
                       | o["created_date"].between(win.start, win.end), "rep_id"].astype(str))
    a = ds.activities
    active |= set(a.loc[a["date"].between(win.start, win.end), "rep_id"].astype(str))
    r = r[r["rep_id"].astype(str).isin(active)].reset_index(drop=True)
    cap = pd.to_numeric(r["capacity"], errors="coerce") if "capacity" in r else pd.Series(
        1.0, index=r.index)
    cap = cap.where((cap > 0) & (cap <= 1.5), 1.0).fillna(1.0).to_numpy(float)
    days = (win.end - win.start).days + 1
    if "hire_date" in r:
        first = pd.to_datetime(r["hire_date"]).clip(lower=win.start).fillna(win.start)
        employed = ((win.end - first).dt.days + 1).clip(lower=0).to_numpy(float)
    else:
        employed = np.full(len(r), float(days))
    return pd.DataFrame({"rep_id": r["rep_id"].astype(str).to_numpy(),
                         "motion": motion_of(ds, r).to_numpy(),
                         "fte": cap * employed / days * win.years})


def time_shares(ds, win: Window, by: str, deals: pd.DataFrame | None = None,
                acts: pd.DataFrame | None = None) -> pd.DataFrame:
    """Each rep's share of time in each value of ``by``: ``rep_id``, ``by``, ``share``.

    Activity minutes on deals (or accounts) of the group over the rep's minutes; a rep that
    logged no minutes in the window splits by its closed deals. Shares of a rep sum to 1.
    """
    deals = closed_deals(ds, win) if deals is None else deals
    acts = window_activities(ds, win) if acts is None else acts
    m = acts[acts["minutes"] > 0]
    t = m.groupby(["rep_id", by], observed=True)["minutes"].sum().rename("w").reset_index()
    t["rep_id"] = t["rep_id"].astype(str)
    d = deals.groupby(["rep_id", by], observed=True).size().rename("w").reset_index()
    d["rep_id"] = d["rep_id"].astype(str)
    d = d[~d["rep_id"].isin(t["rep_id"])]
    w = pd.concat([t, d], ignore_index=True)
    w[by] = w[by].astype(str)
    w["share"] = w["w"] / w.groupby("rep_id")["w"].transform("sum")
    return w[["rep_id", by, "share"]]


def _wilson(k, n, alpha=0.05):
    k = np.asarray(k, float)
    n = np.asarray(n, float)
    with np.errstate(divide="ignore", invalid="ignore"):
        low, high = proportion_confint(k, np.where(n > 0, n, 1), alpha=alpha, method="wilson")
    return np.where(n > 0, low, np.nan), np.where(n > 0, high, np.nan)


def _div(a, b):
    a = np.asarray(a, float)
    b = np.asarray(b, float)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(b > 0, a / np.where(b > 0, b, 1), np.nan)


def economics(ds, win: Window, by: str | None = None, assume: Assumptions | None = None,
              edges=SIZE_EDGES, level: float = 0.95, totals: bool = False) -> pd.DataFrame:
    """Channel economics per motion (and per value of ``by``).

    Parameters
    ----------
    ds : Dataset
    win : Window
        From :func:`window`.
    by : str, optional
        ``segment``, ``industry``, ``region``, ``size_band`` or ``product``.
    assume : Assumptions, optional
        Costs and capacity (default :class:`Assumptions`).
    edges : tuple
        Deal-size band edges.
    level : float
        Confidence of the win-rate interval.
    totals : bool
        Append totals rows (for display): with ``by``, one per motion over every ``by`` value
        (``by`` reads e.g. "All segments"; not for a motion with a single row); and, with more than one motion, one over every motion
        (``motion`` "All motions"). Counts, bookings, FTE, visits and cost are summed (each
        motion's cost at its own rate); every ratio and the win-rate interval are recomputed
        from those sums and the cycle is the median over the total's won deals, never an
        average of the rows.

    Returns
    -------
    DataFrame
        One row per motion (× ``by`` value): ``motion``, [``by``], ``deals``, ``won``, ``lost``,
        ``win_rate``, ``win_rate_low``, ``win_rate_high``, ``bookings``, ``avg_deal_size``,
        ``cycle_days_median``, ``fte``, ``bookings_per_fte``, ``visits``, ``cost``,
        ``cost_of_sale``, ``contribution``, ``contribution_per_fte``, ``rep_hours``,
        ``contribution_per_hour`` (definitions in the module docstring). ``attrs``: ``window``,
        ``by``, ``has_activities``.
    """
    assume = assume or Assumptions()
    if by is not None and by not in BY:
        raise ValueError(f"economics can be split by {', '.join(BY)}; got {by!r}")
    deals = closed_deals(ds, win, edges)
    acts = window_activities(ds, win, edges)
    keys = ["motion"] + ([by] if by else [])
    if by:
        deals[by] = deals[by].astype(str)
    g = deals.groupby(keys, observed=True)
    out = pd.DataFrame({"deals": g.size(), "won": g["won"].sum().astype(int),
                        "bookings": g["bookings"].sum()})
    won_cycle = deals[deals["won"]].groupby(keys, observed=True)["cycle_days"].median()
    out["cycle_days_median"] = won_cycle.reindex(out.index)
    fte = rep_fte(ds, win)
    if by:
        sh = time_shares(ds, win, by, deals, acts).merge(fte, on="rep_id")
        sh["fte"] = sh["fte"] * sh["share"]
        f = sh.groupby(keys)["fte"].sum()
    else:
        f = fte.groupby("motion")["fte"].sum()
    visits = acts[acts["type"] == "visit"].groupby(keys, observed=True).size()
    idx = out.index.union(f.index)
    out = out.reindex(idx)
    out[["deals", "won", "bookings"]] = out[["deals", "won", "bookings"]].fillna(0)
    out["fte"] = f.reindex(idx).fillna(0.0)
    out["visits"] = visits.reindex(idx).fillna(0).astype(int)
    out = out.reset_index()
    out["deals"] = out["deals"].astype(int)
    out["won"] = out["won"].astype(int)
    out["lost"] = out["deals"] - out["won"]
    out["cost"] = out["fte"] * assume.cost_of(out["motion"]) + out["visits"] * assume.travel_cost_per_visit
    out = out.sort_values(keys, kind="stable").reset_index(drop=True)
    if totals:
        out = _with_totals(out, deals, by)
    out["win_rate"] = _div(out["won"], out["deals"])
    out["win_rate_low"], out["win_rate_high"] = _wilson(out["won"], out["deals"], 1 - level)
    out["avg_deal_size"] = _div(out["bookings"], out["won"])
    out["bookings_per_fte"] = _div(out["bookings"], out["fte"])
    out["cost_of_sale"] = _div(out["cost"], out["bookings"])
    out["contribution"] = assume.gross_margin * out["bookings"] - out["cost"]
    out["contribution_per_fte"] = _div(out["contribution"], out["fte"])
    out["rep_hours"] = out["fte"] * assume.capacity_hours
    out["contribution_per_hour"] = _div(out["contribution"], out["rep_hours"])
    cols = keys + ["deals", "won", "lost", "win_rate", "win_rate_low", "win_rate_high", "bookings",
                   "avg_deal_size", "cycle_days_median", "fte", "bookings_per_fte", "visits", "cost",
                   "cost_of_sale", "contribution", "contribution_per_fte", "rep_hours",
                   "contribution_per_hour"]
    out = out[cols].reset_index(drop=True)
    out.attrs.update({"window": win.label, "by": by, "has_activities": len(acts) > 0,
                      "totals": bool(totals)})
    if by and by != "size_band" and len(deals) and (deals[by] == UNASSIGNED).all():
        # one "(unassigned)" row would only repeat the economics by motion
        where = "deal" if by == "product" else "account"
        out.attrs["missing"] = (f"This split needs each {where}'s {by} ({where}s.{by}), which "
                                "the data do not have.").replace("deals.", "opportunities.")
    return out


#: How a totals row reads in the ``by`` column.
ALL_LABELS = {"segment": "All segments", "industry": "All industries", "region": "All regions",
              "size_band": "All deal sizes", "product": "All products"}
#: ``motion`` of the totals row over every motion.
ALL_MOTIONS = "All motions"


def _with_totals(out: pd.DataFrame, deals: pd.DataFrame, by: str | None) -> pd.DataFrame:
    """``out`` (additive columns and cost per row) with the totals rows of :func:`economics`."""
    add = ["deals", "won", "lost", "bookings", "fte", "visits", "cost"]
    won = deals[deals["won"]]
    parts = [out]
    if by:
        m = out.groupby("motion", as_index=False, sort=False)[add].sum()
        m = m[m["motion"].map(out["motion"].value_counts()) > 1]   # one row is its own total
        m[by] = ALL_LABELS.get(by, f"All {by}")
        m["cycle_days_median"] = m["motion"].map(won.groupby("motion")["cycle_days"].median())
        parts.append(m)
    if out["motion"].nunique() > 1:
        t = out[add].sum().to_frame().T.assign(motion=ALL_MOTIONS)
        if by:
            t[by] = ALL_LABELS.get(by, f"All {by}")
        t["cycle_days_median"] = won["cycle_days"].median() if len(won) else np.nan
        parts.append(t)
    res = pd.concat(parts, ignore_index=True)
    for c in ("deals", "won", "lost", "visits"):
        res[c] = res[c].astype(int)
    return res[out.columns]
