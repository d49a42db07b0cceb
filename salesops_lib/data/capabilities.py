"""Which reports and sections a data set can feed, and what each missing one would need.

:func:`capabilities` reads only the data set's shape (which tables have rows, which columns
have values), so ``salesops validate`` can tell a new user before any report runs that, say,
the Maven export feeds the leaderboard but not attainment (no quotas) or the maps (no
coordinates).
"""

from __future__ import annotations

import pandas as pd

#: One row per report section: (report, section, requirements, what it needs in words).
#: A requirement is ``"table"`` (has rows), ``"table.column"`` (has a value somewhere),
#: ``"open"`` (open deals with a close date), ``"closed"`` (won or lost deals), ``"months:N"`` (won deals span
#: at least N months), ``"roles:field"`` (some rep has that role).
SECTIONS: tuple[tuple[str, str, tuple[str, ...], str], ...] = (
    ("executive_summary", "headline numbers", ("closed",), "won or lost deals with close dates"),
    ("executive_summary", "attainment against quota", ("quotas",), "a quotas table (rep_id, period, quota)"),
    ("executive_summary", "against last year", ("months:13",), "more than a year of won deals"),
    ("executive_summary", "pipeline coverage", ("open", "quotas"), "open deals with close dates and a quotas table"),
    ("executive_summary", "bookings by team", ("reps.team",), "a team for each rep (reps.team)"),
    ("executive_summary", "monthly bookings", ("closed",), "won deals with close dates"),
    ("rep_performance", "leaderboard and funnel plot", ("closed",), "won or lost deals per rep"),
    ("rep_performance", "attainment distribution", ("quotas",), "a quotas table (rep_id, period, quota)"),
    ("rep_performance", "consistency", ("months:12",), "at least a year of won deals"),
    ("rep_performance", "consistency by territory", ("months:12", "accounts.region"), "a region for each account (accounts.region)"),
    ("rep_performance", "sales cycle", ("closed",), "deals with created and close dates"),
    ("rep_performance", "potential-adjusted performance", ("accounts.owner_rep_id", "reps.hire_date"),
     "account owners (accounts.owner_rep_id) and rep hire dates (reps.hire_date)"),
    ("rep_performance", "ramp", ("reps.hire_date",), "rep hire dates (reps.hire_date)"),
    ("rep_performance", "roll-up by manager", ("reps.manager", "quotas"), "a manager for each rep and a quotas table"),
    ("forecast", "time-series forecast", ("months:24",), "at least two years of won deals"),
    ("forecast", "pipeline forecast", ("open", "opportunities.close_date"), "open deals with expected close dates"),
    ("forecast", "pipeline as it stood on past dates", ("opportunity_history",),
     "an opportunity_history table (state after each change; without it past pipeline is read back from final amounts)"),
    ("forecast", "forecast categories", ("opportunities.forecast_category",), "a forecast category on deals"),
    ("forecast", "forecast against quota by group", ("quotas",), "a quotas table (rep_id, period, quota)"),
    ("territory_design", "balance of today's alignment", ("accounts.owner_rep_id",), "an owner rep for each account (accounts.owner_rep_id)"),
    ("territory_design", "maps and travel", ("accounts.latitude", "accounts.longitude", "reps.home_latitude", "reps.home_longitude"),
     "coordinates of accounts and rep home bases"),
    ("territory_design", "field territories", ("roles:field",), "reps with the role 'field' (reps.role)"),
    ("pipeline_health", "waterfall and slips", ("opportunity_history",),
     "an opportunity_history table (or stage_history for stage moves only)"),
    ("pipeline_health", "stage conversion", ("stage_history",), "a stage_history table (stage entry dates)"),
    ("quotas_compensation", "payouts", ("quotas",), "a quotas table (rep_id, period, quota)"),
    ("sales_strategy", "coverage model", ("activities",), "an activities table (rep, date, type)"),
)


def _met(ds, req: str) -> bool:
    opp = ds.opportunities
    if req == "open":
        return bool(((opp["status"] == "open") & opp["close_date"].notna()).any())
    if req == "closed":
        return bool(opp["status"].isin(["won", "lost"]).any() and opp["close_date"].notna().any())
    if req.startswith("months:"):
        won = opp.loc[opp["status"] == "won", "close_date"].dropna()
        if won.empty:
            return False
        span = (won.max().year - won.min().year) * 12 + won.max().month - won.min().month + 1
        return span >= int(req.split(":")[1])
    if req.startswith("roles:"):
        return bool(ds.reps["role"].astype("string").str.lower().eq(req.split(":")[1]).any())
    table, _, col = req.partition(".")
    df = getattr(ds, table)
    return bool(len(df)) if not col else bool(col in df.columns and df[col].notna().any())


def capabilities(ds) -> pd.DataFrame:
    """Which report sections this data set can feed.

    Returns
    -------
    DataFrame
        One row per section of :data:`SECTIONS`: ``report``, ``section``, ``available``
        (bool: every requirement met) and ``needs`` (one sentence: what the section would
        need; empty when available).
    """
    rows = []
    for report, section, reqs, needs in SECTIONS:
        ok = all(_met(ds, r) for r in reqs)
        rows.append({"report": report, "section": section, "available": ok,
                     "needs": "" if ok else f"needs {needs}."})
    return pd.DataFrame(rows)
