"""Which reports and sections a data set can feed, and what each missing one would need.

:func:`capabilities` reads only the data set's shape (which tables have rows, which columns
have values), so ``salesops validate`` can tell a new user before any report runs that, say,
the Maven export feeds the leaderboard but not attainment (no quotas) or the maps (no
coordinates).
"""

from __future__ import annotations

import pandas as pd

#: One row per report section: (report, section, requirements, what it needs in words).
#: Every ``##`` section of the report notebooks is listed under its heading (lower case),
#: some with finer rows for parts that degrade on their own (e.g. "attainment against quota").
#: A requirement is ``"table"`` (has rows), ``"table.column"`` (has a value somewhere),
#: ``"open"`` (open deals with a close date), ``"open_any"`` (open deals, with or without one),
#: ``"closed"`` (won or lost deals), ``"months:N"`` (won deals span at least N months),
#: ``"roles:field"`` (some rep has that role), ``"forecast_history"`` (the period, when one is
#: given, can be forecast from what was known on its forecast date), ``"forecastable"`` (that,
#: from a source in memory),
#: ``"period_open"`` (the report's period, when one is given, ends after the data's as-of
#: date), ``"won_in_period"`` (a deal won in that period, when one is given); ``a|b`` is met
#: when either is. A section without requirements renders on any valid data. "Available"
#: means the section shows its chart, table or cards; one that only says what it would need
#: is not available.
_Q = "a quotas table (rep_id, period, quota)"
_HIST = ("an opportunity_history table (state after each change; without it past pipeline "
         "is read back from final amounts)")
_MOTIONS = "reps of both motions (reps.role 'field' and 'inside')"
_ACT = "an activities table (rep, date, type)"
_FORECAST_HISTORY = ("three complete months of bookings known on the forecast's date (the "
                     "period's first day once it is over)")
SECTIONS: tuple[tuple[str, str, tuple[str, ...], str], ...] = (
    ("executive_summary", "headline numbers", ("closed",), "won or lost deals with close dates"),
    ("executive_summary", "the forecast", ("forecastable",),
     _FORECAST_HISTORY + ", and a source small enough to hold in memory"),
    ("executive_summary", "what the numbers say", ("closed",), "won or lost deals with close dates"),
    ("executive_summary", "attainment against quota", ("quotas",), _Q),
    ("executive_summary", "against last year", ("months:13",), "more than a year of won deals"),
    ("executive_summary", "pipeline coverage", ("open", "quotas"), "open deals with close dates and " + _Q),
    ("executive_summary", "bookings by team", ("reps.team",), "a team for each rep (reps.team)"),
    ("executive_summary", "monthly bookings", ("closed",), "won deals with close dates"),
    ("rep_performance", "win rate against role peers", ("closed",), "won or lost deals per rep"),
    ("rep_performance", "attainment distribution", ("quotas",), _Q),
    ("rep_performance", "funnel plot", ("closed",), "won or lost deals per rep"),
    ("rep_performance", "consistency by rep", ("quotas", "months:2"),
     _Q + " for the share of quarters at quota, and two months of won deals"),
    ("rep_performance", "consistency by role", ("months:2", "reps.role"),
     "two months of won deals and each rep's role (reps.role)"),
    ("rep_performance", "consistency by territory", ("months:2", "reps.region|opportunities.region"),
     "two months of won deals and a region for each rep (reps.region)"),
    ("rep_performance", "sales cycle", ("closed",), "deals with created and close dates"),
    ("rep_performance", "potential-adjusted performance", ("accounts.owner_rep_id", "reps.hire_date"),
     "account owners (accounts.owner_rep_id) and rep hire dates (reps.hire_date)"),
    ("rep_performance", "gap decomposition", ("closed", "won_in_period"),
     "won or lost deals per rep and a deal won in the period"),
    ("rep_performance", "ramp", ("reps.hire_date",), "rep hire dates (reps.hire_date)"),
    ("rep_performance", "roll-up by manager", ("reps.manager", "quotas"), "a manager for each rep and " + _Q),
    ("forecast", "how sure are we?", ("closed",), "won deals with close dates"),
    ("forecast", "history and forecast", ("closed",), "won or lost deals with close dates"),
    ("forecast", "the pipeline behind the number", ("closed",), "won or lost deals with close dates"),
    ("forecast", "does the model beat the obvious?", ("months:12",), "a year of won deals"),
    ("forecast", "were past ranges honest?", ("closed",), "won or lost deals with close dates"),
    ("forecast", "are the stage probabilities honest?", ("opportunity_history|stage_history",),
     "an opportunity_history or stage_history table (a deal's stage on past dates)"),
    ("forecast", "pipeline as it stood on past dates", ("opportunity_history",), _HIST),
    ("forecast", "how good were past forecasts?", (), ""),
    ("forecast", "the forecast against the result", (), ""),
    ("forecast", "this period, week by week", (), ""),
    ("forecast", "what changed since last week", (), ""),
    ("forecast", "forecast by group", ("reps.team",), "a team for each rep (reps.team), the default breakdown"),
    ("forecast", "forecast against quota by group", ("quotas",), _Q),
    ("forecast", "how the groups were made to add up", ("months:12", "reps.team"),
     ("a year of won deals (past windows to score the methods on) and a team for each rep "
     "(reps.team), the default breakdown")),
    ("forecast", "commit calls beside the model", ("opportunities.forecast_category",),
     "a forecast category on deals (opportunities.forecast_category)"),
    # the submitted commits come from the notebook's ``calls`` file, not from the data set
    ("forecast", "commits kept as submitted", (), ""),
    ("territory_design", "balance of today's alignment", ("accounts.owner_rep_id",), "an owner rep for each account (accounts.owner_rep_id)"),
    ("territory_design", "maps and travel", ("accounts.latitude", "accounts.longitude", "reps.home_latitude", "reps.home_longitude"),
     "coordinates of accounts and rep home bases"),
    ("territory_design", "field territories", ("accounts",), "accounts"),
    ("pipeline_health", "pipeline walk", ("closed|open",), "deals with close dates"),
    ("pipeline_health", "walk by group", ("closed|open", "reps.team"),
     "deals with close dates and a team for each rep (reps.team), the default group"),
    ("pipeline_health", "coverage", ("open", "quotas", "period_open"),
     "open deals with close dates, " + _Q + " and a period still running (once it is over no "
     "pipeline is left to cover)"),
    ("pipeline_health", "slips", ("opportunity_history",),
     "an opportunity_history table (close-date pushes as they happened)"),
    ("pipeline_health", "conversion funnel", ("closed",), "won or lost deals with close dates"),
    ("pipeline_health", "stuck deals", ("open_any", "opportunity_history|stage_history"),
     "open deals and an opportunity_history or stage_history table (days in stage)"),
    ("pipeline_health", "crm hygiene", ("open_any",), "open deals"),
    ("quotas_compensation", "quota setting", ("quotas|closed",),
     "a quotas table or won deals before the period (to set a company number from)"),
    ("quotas_compensation", "pay statement", ("quotas",), _Q + " for attainment-based pay"),
    ("quotas_compensation", "quota by team and method", ("quotas|closed", "reps.team"),
     "a quotas table or won deals, and a team for each rep (reps.team)"),
    ("quotas_compensation", "fairness", ("quotas",), _Q + " to measure attainment"),
    ("quotas_compensation", "backtest of the quota methods", ("months:24",),
     "won deals in the year before the period and the 12 months before that"),
    ("quotas_compensation", "pay curve", (), ""),
    ("quotas_compensation", "payouts", ("quotas",), _Q),
    ("quotas_compensation", "plan cost", ("quotas",), _Q + " to read past attainment"),
    ("quotas_compensation", "plan cost backtest", ("quotas",), _Q),
    ("quotas_compensation", "sensitivity of plan cost", ("quotas",), _Q + " (the cost simulation)"),
    ("sales_strategy", "economics by motion", ("closed",), "won or lost deals with close dates"),
    ("sales_strategy", "coverage model", ("roles:field", "roles:inside"), _MOTIONS),
    ("sales_strategy", "coverage by segment", ("roles:field", "roles:inside", "accounts.segment"),
     _MOTIONS + " and each account's segment (accounts.segment)"),
    ("sales_strategy", "economics by segment", ("accounts.segment",), "each account's segment (accounts.segment)"),
    ("sales_strategy", "economics by deal size", ("closed",), "won or lost deals with amounts"),
    ("sales_strategy", "economics by region", ("accounts.region",), "each account's region (accounts.region)"),
    ("sales_strategy", "economics by industry", ("accounts.industry",), "each account's industry (accounts.industry)"),
    ("sales_strategy", "like-for-like: field against inside", ("roles:field", "roles:inside", "closed"),
     "closed deals of both motions (reps.role 'field' and 'inside')"),
    ("sales_strategy", "activity patterns", ("activities",), _ACT),
    ("sales_strategy", "activities per deal", ("activities",), _ACT + " with the deal of each activity"),
    ("sales_strategy", "time per deal", ("activities.duration_min",), "activities with their duration in minutes"),
    ("sales_strategy", "response curve", ("activities",), _ACT),
    ("sales_strategy", "what-if: move accounts from field to inside", ("roles:field", "roles:inside"),
     _MOTIONS + " already covering some accounts"),
    ("sales_strategy", "territory change", ("roles:field", "roles:inside"), _MOTIONS + " (the what-if above)"),
)


_NO_HISTORY = ("without an opportunity_history table each deal's past state is read back from "
               "its final row, so amount changes, pushes and owner moves show as zero")
#: Sections that render with less than full data: (report, section) → (what full data needs,
#: what the section shows without it). Shown by ``salesops validate`` as "with less".
LESS: dict[tuple[str, str], tuple[tuple[str, ...], str]] = {
    ("pipeline_health", "pipeline walk"): (("opportunity_history",), _NO_HISTORY),
    ("pipeline_health", "walk by group"): (("opportunity_history",), _NO_HISTORY),
    ("pipeline_health", "conversion funnel"): (
        ("opportunity_history|stage_history",),
        ("without stage dates (opportunity_history or stage_history) only the share won is "
        "measured, not stage-to-stage conversion")),
    ("forecast", "the pipeline behind the number"): (
        ("open",), "open deals without an expected close date are left out of the pipeline"),
    ("territory_design", "field territories"): (
        ("roles:field",), ("without reps with the role 'field' (reps.role) every rep is given a "
        "territory")),
    ("sales_strategy", "economics by motion"): (
        ("roles:field", "roles:inside"),
        "without " + _MOTIONS + " all reps are shown together"),
}


#: Requirements of a whole page (report → (requirements, what they need in words)): when one is
#: not met, none of the page's sections is shown; the page says why instead (such as a quarter
#: too early to forecast).
PAGES: dict[str, tuple[tuple[str, ...], str]] = {
    "forecast": (("forecast_history",), _FORECAST_HISTORY),
}


def _met(ds, req: str, period=None) -> bool:
    if "|" in req:
        return any(_met(ds, r, period) for r in req.split("|"))
    if req == "period_open":
        return period is None or period.end > pd.Timestamp(ds.as_of)
    if req in ("forecastable", "forecast_history"):     # the forecast page's own rule
        from ..forecast.series import not_forecastable

        lazy = getattr(ds, "is_lazy", False)      # the summary's: not read into memory
        if req == "forecastable" and lazy:
            return False
        # a lazy source's deals are read by the page itself: its rule is not checked here
        return period is None or lazy or not_forecastable(ds, period) is None
    if req == "won_in_period":
        if period is None:
            return True
        if getattr(ds, "is_lazy", False):
            return ds.won_between(period.start, period.end)
        won = ds.opportunities.loc[ds.opportunities["status"] == "won", "close_date"]
        return bool(((won >= period.start) & (won <= period.end)).any())
    if getattr(ds, "is_lazy", False):          # a source kept in its database: ask it
        return _met_lazy(ds, req)
    opp = ds.opportunities
    if req == "open":
        return bool(((opp["status"] == "open") & opp["close_date"].notna()).any())
    if req == "open_any":
        return bool((opp["status"] == "open").any())
    if req == "closed":
        return bool(opp["status"].isin(["won", "lost"]).any() and opp["close_date"].notna().any())
    if req.startswith("months:"):
        won = opp.loc[opp["status"] == "won", "close_date"].dropna()
        return _spans(won.min(), won.max(), req)
    if req.startswith("roles:"):
        if "role" not in ds.reps.columns:
            return False
        return bool(ds.reps["role"].astype("string").str.lower().eq(req.split(":")[1]).any())
    table, _, col = req.partition(".")
    df = getattr(ds, table)
    return bool(len(df)) if not col else bool(col in df.columns and df[col].notna().any())


def _spans(first, last, req: str) -> bool:
    """``months:N``: won deals' close dates from ``first`` to ``last`` span N calendar months
    (False without any)."""
    if pd.isna(first):
        return False
    return (last.year - first.year) * 12 + last.month - first.month + 1 >= int(req.split(":")[1])


def _met_lazy(ds, req: str) -> bool:
    """:func:`_met` for a lazily held source: the opportunities are read by aggregate
    queries in the database (:meth:`~salesops_lib.data.lazy.LazyMixin.opportunity_facts`),
    the small tables as loaded."""
    facts = ds.opportunity_facts()
    if req in ("open", "open_any", "closed"):
        return facts[req]
    if req.startswith("months:"):
        return _spans(facts["won_first"], facts["won_last"], req)
    table, _, col = req.partition(".")
    if table == "opportunities":
        return bool(len(ds.opportunities)) if not col else ds.has_values(col)
    if table == "opportunity_history" and not col:
        return bool(len(ds.opportunity_history))
    if table in ("activities", "stage_history"):       # in the database, not loaded
        return ds.table_has(table, col or None)
    return _met(ds.small, req) if hasattr(ds, "small") else False


def capabilities(ds, period=None) -> pd.DataFrame:
    """Which report sections this data set can feed (for ``period``, a label or
    :class:`~salesops_lib.periods.Period`, when given: some sections show nothing once it is
    over).

    Returns
    -------
    DataFrame
        One row per section of :data:`SECTIONS`: ``report``, ``section``, ``available``
        (bool: every requirement met, so the section shows its chart or table), ``needs``
        (one sentence: what the section would need; empty when available) and ``less`` (for
        an available section that renders with less than full data (:data:`LESS`), what it
        shows without it; else empty).
    """
    if period is not None and not hasattr(period, "end"):
        from ..periods import Period

        period = Period.parse(period, ds.fiscal_start_month)
    rows = []
    page_ok = {report: all(_met(ds, r, period) for r in reqs)
               for report, (reqs, _) in PAGES.items()}
    for report, section, reqs, needs in SECTIONS:
        if not page_ok.get(report, True):
            rows.append({"report": report, "section": section, "available": False,
                         "needs": f"needs {PAGES[report][1]}.", "less": ""})
            continue
        ok = all(_met(ds, r, period) for r in reqs)
        full, without = LESS.get((report, section), ((), ""))
        less = without if ok and not all(_met(ds, r, period) for r in full) else ""
        rows.append({"report": report, "section": section, "available": ok,
                     "needs": "" if ok else f"needs {needs}.", "less": less})
    return pd.DataFrame(rows)
