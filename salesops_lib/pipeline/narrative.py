"""What the pipeline-health report says: windows, key numbers, tables and one-sentence readings.

The report's scope is the pipeline of its period: open deals whose close date falls in the
period. Its windows end on the report date (:func:`salesops_lib.measures.report_date`); without
an explicit ``start`` they are the last 7 days and the period to date (labelled quarter,
month or year to date; from the end of the day before the period began).
"""

from __future__ import annotations

import pandas as pd

from .. import viz
from ..measures import report_date
from ..periods import Period
from .coverage import coverage
from .names import group_labels
from .waterfall import BUCKETS, waterfall, waterfall_path

#: The page's walks book a won or lost deal at its closing amount (the change from its
#: pipeline amount in amount up / down), so the walk's "won" is what the deals booked: the
#: bookings of the executive summary and the forecast's final result, not their amounts at
#: the start (a closed quarter's "won from the pipeline" read $6.8M beside $6.9M booked).
EXIT_AMOUNT = "end"


def report_windows(ds, period, start: str = "", end: str = "") -> list[tuple[str, pd.Timestamp,
                                                                           pd.Timestamp]]:
    """``[(label, start, end), ...]``: the explicit window, or the last 7 days and the period
    to date ("quarter to date", "month to date", "year to date", or "whole quarter" once the
    report date is the period's last day; the latter first: it is the report's main walk)."""
    P = Period.parse(period, ds.fiscal_start_month)
    e = pd.Timestamp(end).normalize() if end else report_date(ds, P)
    if start:
        s = min(pd.Timestamp(start).normalize(), e)
        return [(f"{s:%d %b} – {e:%d %b %Y}", s, e)]
    qtd = min(P.start - pd.Timedelta(days=1), e)
    main = f"whole {P.kind}" if e >= P.end else f"{P.kind} to date"   # a closed period is whole
    return [(main, qtd, e), ("last 7 days", max(e - pd.Timedelta(days=7), qtd), e)]


def main_waterfall(ds, period, start: str = "", end: str = "") -> pd.DataFrame:
    """The report's main walk (first window of :func:`report_windows`), scope = the period."""
    _, s, e = report_windows(ds, period, start, end)[0]
    return waterfall(ds, s, e, window=period, exit_amount=EXIT_AMOUNT)


def windows_table(ds, period, start: str = "", end: str = ""):
    """Every window's buckets side by side (amount and deals), as a display table."""
    cols, fmts = {}, {}
    wf = None
    for label, s, e in report_windows(ds, period, start, end):
        wf = waterfall(ds, s, e, window=period, exit_amount=EXIT_AMOUNT).set_index("bucket")
        name = label[0].upper() + label[1:]
        cols[f"{name} ($)"] = wf["amount"]
        cols[f"{name} (deals)"] = wf["deals"]
        fmts[f"{name} ($)"], fmts[f"{name} (deals)"] = "money", "num"
    t = pd.DataFrame(cols).reset_index()
    t["bucket"] = t["bucket"].str.capitalize()
    return viz.table(t, fmts, caption=WINDOWS_CAPTION)


#: Why a short window can show more than the whole period: each window nets a deal's state at
#: its start against its end (2026-Q3 read "pulled in" $790.0k for the quarter, $1.2M for its
#: last 7 days: deals pulled in and pushed out again within the quarter net to nothing).
WINDOWS_CAPTION = ("Each column compares every deal as it stood at the window's start with its "
                   "end: a deal pulled in and pushed out again inside a window counts in neither, "
                   "so a short window can show more movement than the whole period (the path "
                   "view below counts every change).")


def group_table(ds, period, start: str = "", end: str = "", by: str = "team"):
    """Per ``by`` group: start, end, net change and the main buckets of the main window."""
    _, s, e = report_windows(ds, period, start, end)[0]
    wf = waterfall(ds, s, e, by=by, window=period, exit_amount=EXIT_AMOUNT)
    wide = wf.pivot(index=by, columns="bucket", values="amount")
    wide = wide[[c for c in ("start",) + BUCKETS + ("end",) if c in wide.columns]]
    wide = wide.loc[:, (wide != 0).any() | wide.columns.isin(["start", "end"])]
    wide.insert(len(wide.columns), "net change", wide["end"] - wide["start"])
    wide.columns = [str(c).capitalize() for c in wide.columns]
    out = wide.reset_index()
    out[by] = group_labels(ds, by, out[by]).to_numpy()      # reps by name, not by id
    out = out.rename(columns={by: "Rep" if by == "rep_id" else viz.header(by)})
    return viz.table(out, {c: "money" for c in out.columns[1:]})


def path_table(ds, period, start: str = "", end: str = ""):
    """The path view of the main window: every change counted, next to the start-to-end walk."""
    _, s, e = report_windows(ds, period, start, end)[0]
    wf = waterfall(ds, s, e, window=period, exit_amount=EXIT_AMOUNT).set_index("bucket")
    p = waterfall_path(ds, s, e, window=period, exit_amount=EXIT_AMOUNT).set_index("bucket")
    t = pd.DataFrame({"Bucket": [b.capitalize() for b in BUCKETS],
                      "Start to end ($)": wf.loc[list(BUCKETS), "amount"].to_numpy(),
                      "deals": wf.loc[list(BUCKETS), "deals"].to_numpy(),
                      "Every change ($)": p.loc[list(BUCKETS), "amount"].to_numpy(),
                      "changes": p.loc[list(BUCKETS), "changes"].to_numpy()})
    return viz.table(t, {"Start to end ($)": "money", "Every change ($)": "money", "deals": "num",
                         "changes": "num"})


def history_note(ds) -> str:
    """One sentence on what the history behind the report is."""
    h = ds.opportunity_history
    if h is None or h.empty:
        return ("This source keeps no opportunity history, so each deal's state on a past date is "
                "read from its final row: amount up and down, pushes, pull-ins and owner moves need "
                "the opportunity history and show as zero here.")
    n = h["opportunity_id"].nunique()
    return (f"Built from {viz.count(len(h), 'recorded change')} on {viz.count(n, 'deal')}: "
            "every number is the state as it was known on its date.")


def headline(ds, period, start: str = "", end: str = "") -> dict:
    """Key numbers: pipeline at start and now, net change, coverage and required coverage."""
    label, s, e = report_windows(ds, period, start, end)[0]
    wf = waterfall(ds, s, e, window=period, exit_amount=EXIT_AMOUNT).set_index("bucket")
    c = coverage(ds, period, by=None)
    cov = c.iloc[0] if len(c) else pd.Series(index=c.columns, dtype=object)
    return {"window": label, "start": s, "end": e, "pipeline_start": wf.loc["start", "amount"],
            "pipeline_end": wf.loc["end", "amount"], "deals_end": int(wf.loc["end", "deals"]),
            "net_change": wf.loc["end", "amount"] - wf.loc["start", "amount"],
            "coverage": cov["coverage"], "required": cov["required"], "quota": cov["quota"],
            "required_low": cov["required_low"], "required_high": cov["required_high"],
            "verdict": cov["verdict"], "period": Period.parse(period, ds.fiscal_start_month).label,
            "won": -wf.loc["won", "amount"], "won_deals": int(wf.loc["won", "deals"]),
            "lost": -wf.loc["lost", "amount"], "lost_deals": int(wf.loc["lost", "deals"]),
            "closed": bool(e >= Period.parse(period, ds.fiscal_start_month).end)}


def _times(x) -> str:
    return viz.MISSING if pd.isna(x) else f"{x:.1f}×"


def kpi_cards(h: dict) -> list[tuple[str, str, str | None]]:
    """The headline as ``viz.kpis`` cards. While the period runs: pipeline now, at the start,
    net change, coverage. Once it is over (nothing left to cover, nothing "now"): won from the
    pipeline, at the start, lost, and what was left open at the period's end."""
    if h.get("closed"):
        def deals(n):
            return viz.count(n, "deal")
        return [("Won from the pipeline", viz.money(h["won"]),
                 f"{deals(h['won_deals'])}, {h['window']}"),
                ("At the start", viz.money(h["pipeline_start"]), f"{h['start']:%d %b %Y}"),
                ("Lost", viz.money(h["lost"]), deals(h["lost_deals"])),
                ("Left open at the end", viz.money(h["pipeline_end"]),
                 f"{deals(h['deals_end'])} still open on {h['end']:%d %b %Y}")]
    cov_note = ("needs quotas" if pd.isna(h["quota"]) else
                "the period is over: nothing left to cover" if h["verdict"] == "period over" else
                f"required {_times(h['required'])} ({_times(h['required_low'])}–"
                f"{_times(h['required_high'])}): {h['verdict']}")
    return [("Pipeline now", viz.money(h["pipeline_end"]),
             f"{h['deals_end']:,} open deals closing in {h['period']}, {h['end']:%d %b %Y}"),
            ("At the start", viz.money(h["pipeline_start"]), f"{h['start']:%d %b %Y}"),
            ("Net change", ("+" if h["net_change"] >= 0 else "") + viz.money(h["net_change"]),
             h["window"]),
            ("Coverage of remaining quota", _times(h["coverage"]), cov_note)]


def reading_waterfall(wf: pd.DataFrame) -> str:
    """One sentence: net change and the four largest moves by size, those out of the
    pipeline first, then those into it."""
    a = wf.set_index("bucket")["amount"]
    if a["start"] == 0 and a["end"] == 0:
        return ("No open deal has a close date in this period at either date, so there is no "
                "pipeline to walk (a source without close dates on open deals has none).")
    moves = a[list(BUCKETS)]
    moves = moves[moves != 0]
    # the four largest by size, whichever way they go, grouped out and in
    big = moves.abs().sort_values(ascending=False, kind="stable").head(4).index
    parts = []
    for side, keep in (("out", moves[big] < 0), ("in", moves[big] > 0)):
        if keep.any():
            parts.append(", ".join(f"{b} {viz.money(abs(moves[b]))}" for b in big[keep])
                         + f" ({side})")
    net = a["end"] - a["start"]
    return (f"The period's pipeline went from {viz.money(a['start'])} to {viz.money(a['end'])} "
            f"({'+' if net >= 0 else ''}{viz.money(net)}); the largest moves: "
            + ("; ".join(parts) if parts else "none") + ".")


def reading_coverage(cov: pd.DataFrame) -> str:
    """One sentence on who is short of the coverage their win rate requires."""
    if cov.empty or cov["quota"].isna().all():
        return ("Coverage needs quotas: this source has none, so pipeline cannot be set against "
                "what is left to book.")
    if (cov["verdict"] == "period over").all():
        return ("The period is over, so no pipeline is left to cover its quota; bookings against "
                "quota are in the rep performance report.")
    labels = cov.attrs.get("labels", {})
    short = [labels.get(g, g) for g in cov[cov["verdict"] == "short"]["group"]]
    if short:
        return (f"{len(short)} of {len(cov)} short of the coverage their own win rate requires "
                f"(below the interval): {', '.join(map(str, short[:6]))}"
                + (f" and {len(short) - 6} more (in the table)." if len(short) > 6 else ".")
                + " Coverage weighs today's open deals at the past win rate alone; the bookings "
                  "forecast also weighs each deal by its stage and adds deals not yet created, "
                  "so a group short here can still be forecast to reach quota.")
    # a verdict "unknown": quota already met, no quota, or no win rate to judge by
    unk = cov[cov["verdict"] == "unknown"]
    met = unk["remaining"].eq(0) if "remaining" in unk else pd.Series(False, index=unk.index)
    why = {"met": "at quota already", "none": "no quota",
           "rate": f"no deal closed in the {cov.attrs.get('lookback_quarters', 4)} quarters "
                   "before the period to learn a win rate from"}
    kind = pd.Series("rate", index=unk.index).mask(unk["quota"].isna(), "none").mask(met, "met")
    if len(unk) == len(cov) and (kind == "rate").all():
        return f"The coverage each group needs cannot be judged: {why['rate']}."
    if len(unk):
        parts = [f"{why[k]}: " + ", ".join(str(labels.get(g, g)) for g in
                                           unk.loc[kind == k, "group"][:6])
                 + (f" and {int((kind == k).sum()) - 6} more" if (kind == k).sum() > 6 else "")
                 for k in ("met", "none", "rate") if (kind == k).any()]
        lead = ("Every other group has at least the coverage its realised win rate requires; "
                "not judged, " if len(unk) < len(cov) else "No group's coverage can be judged: ")
        return lead + "; ".join(parts) + "."
    return "Every group has at least the coverage its realised win rate requires."


def coverage_table(cov: pd.DataFrame):
    """Coverage per group as a display table; nothing once the period is over or without
    any quota (the reading, shown before it, says so); the win-rate column says when it
    counts deals."""
    if len(cov) and (cov["verdict"] == "period over").all():
        return None
    if cov.empty or cov["quota"].isna().all():
        return None
    # not the period's own win rate (executive summary, rep performance): the basis of the
    # required coverage, over the quarters before the period, in dollars where it can be
    n = cov.attrs.get("lookback_quarters", 4)
    rate = (f"Win rate before (deals, {n} quarters)" if cov.attrs.get("win_rate_basis") == "count"
            else f"Win rate before ($, {n} quarters)")
    t = cov.assign(group=cov["group"].map(lambda g: cov.attrs.get("labels", {}).get(g, g)))
    t = t.rename(columns={"group": "Group", "win_rate": rate})
    return viz.table(t, {"pipeline": "money", "quota": "money", "booked": "money",
                         "remaining": "money", "deals": "num", "coverage": _times,
                         rate: "pct", "required": _times, "required_low": _times,
                         "required_high": _times})


def reading_slips(rates: pd.DataFrame) -> str:
    """One sentence on chronic slippers, how many and the first six by name (or what slips
    need)."""
    if rates.empty:
        return ("Slips need the opportunity history (every close-date change); this source "
                "keeps only each deal's final close date.")
    chronic = rates[rates["chronic"].fillna(False).astype(bool)]["rep_name"].tolist()
    org = rates["org_rate"].iloc[0]
    if chronic:
        named = ", ".join(chronic[:6]) + (f" and {len(chronic) - 6} more (red in the chart)"
                                          if len(chronic) > 6 else "")
        who = (f"{len(chronic)} reps slip more than that beyond chance: {named}"
               if len(chronic) > 1 else f"{named} slips more than that beyond chance")
        return (f"{viz.pct(org)} of deals that came due were pushed at least once; {who} "
                "(Benjamini–Hochberg across all reps).")
    return (f"{viz.pct(org)} of deals that came due were pushed at least once; no rep slips "
            "more than the org beyond chance once every rep is compared at once.")


def slip_table(prob: pd.DataFrame):
    """Slip probability by stage and age as a display table (a sentence when there is none)."""
    if prob.empty:
        return viz.callout("The probability of slipping needs the opportunity history: without "
                           "it no deal is ever seen still open on its close date.")
    return viz.table(prob.rename(columns={"value": "Stage or age"}),
                     {"probability": "pct", "low": "pct", "high": "pct", "deals": "num",
                      "slipped": "num"})


def reading_funnel(funnel: pd.DataFrame) -> str:
    """One sentence on the funnel: expected win share with open deals censored."""
    if funnel.empty or funnel["deals"].iloc[0] == 0:
        return "No deals were created in the cohort window."
    won = funnel[funnel["stage"] == "won"].iloc[0]
    low = funnel[funnel["stage"] != "won"]
    worst = None
    if len(low) > 1:
        drop = low["share"].diff().iloc[1:]
        worst = low["stage"].iloc[int(drop.to_numpy().argmin()) + 1]
    return (f"Of {viz.count(won['deals'], 'deal')} created in the last year, {viz.pct(won['share'])} are "
            f"expected to be won once open deals run their course ({viz.pct(won['observed_share'])}"
            " won so far)" + (f"; the biggest drop is into {worst}." if worst else "."))


def flow_table(flow: pd.DataFrame):
    """Stage-to-next conversion by flow as a display table; without stage dates (no rows)
    the sentence that says what it needs."""
    if flow.empty:
        return viz.callout("Stage-to-stage conversion needs stage dates (stage history or "
                           "opportunity history); this source keeps only each deal's current "
                           "stage, so only the share won is measured above.")
    t = flow.rename(columns={"naive": "Share advanced so far", "conversion": "Expected conversion",
                             "median_days": "Median days to advance"})
    t["next_stage"] = t["next_stage"].replace({"won": "Won"})
    return viz.table(t, {"Share advanced so far": "pct", "Expected conversion": "pct",
                         "Median days to advance": "days", "entered": "num", "advanced": "num",
                         "lost": "num", "open": "num"})


def reading_stuck(norms: pd.DataFrame, stuck: pd.DataFrame) -> str:
    """One sentence: the stall stage and the stuck pipeline."""
    if norms.empty or norms["median_days"].isna().all():
        return "Days in stage need stage dates (stage history or opportunity history)."
    stall = norms[norms["stall"]].iloc[0]
    return (f"Deals stall in {stall['stage']} (median {viz.days(stall['median_days'])}); "
            f"{viz.count(len(stuck), 'open deal')} worth {viz.money(stuck['amount'].sum())} "
            f"{'has' if len(stuck) == 1 else 'have'} been in "
            f"{viz.its(len(stuck))} stage longer than 75% of deals ever were.")


def stuck_table(stuck: pd.DataFrame, top_n: int = 10):
    """The ``top_n`` largest stuck deals, by name; nothing when no deal is stuck (the
    reading, shown before it, says so)."""
    if stuck.empty:
        return None
    t = stuck.head(top_n).drop(columns=["opportunity_id"])
    return viz.table(t, {"amount": "money", "days_in_stage": "days", "p75_days": "days",
                         "over_norm": _times},
                     caption=f"Top {min(top_n, len(stuck))} of {viz.count(len(stuck), 'stuck deal')}")


def reading_hygiene(rules: pd.DataFrame, exceptions: pd.DataFrame | None = None) -> str:
    """One sentence: how many deals break a high-severity rule, and what could not be checked.

    Deals are counted once however many high-severity rules they break: from ``exceptions``
    when given, else from the distinct counts :func:`~.hygiene.audit` keeps with ``rules``
    (``rules.attrs["distinct_deals"]``). A rules table with neither (built by hand) counts
    exceptions when more than one high-severity rule has deals, never deals twice."""
    chk = rules[rules["checkable"]]
    high = chk[chk["severity"] == "high"]
    not_chk = rules[~rules["checkable"]]["rule"].tolist()
    if exceptions is not None:
        ex = exceptions[exceptions["rule"].isin(chk["rule"])]
        n_high = ex.loc[ex["severity"] == "high", "opportunity_id"].nunique()
    else:
        n_high = rules.attrs.get("distinct_deals", {}).get("high")
    if n_high is None and (high["deals"].fillna(0) > 0).sum() > 1:
        lead = f"{viz.count(high['deals'].sum(), 'high-severity exception')} on open deals"
    else:
        n = high["deals"].sum() if n_high is None else n_high
        lead = f"{viz.count(n, 'open deal', 'break')} a high-severity rule"
    s = f"{lead} and {viz.count(chk['deals'].sum(), 'exception', 'are')} listed in all"
    if not_chk:
        s += f"; not checkable on this source: {', '.join(not_chk)}"
    return s + "."


def rules_table(rules: pd.DataFrame):
    """The rule book with counts (a dash where the source cannot be checked)."""
    return viz.table(rules.drop(columns=["checkable"]), {"deals": "num", "amount": "money"})


def exceptions_table(exceptions: pd.DataFrame, top_n: int = 10):
    """The ``top_n`` exceptions, most severe and largest first, by name."""
    t = exceptions.drop(columns=["rep_id", "opportunity_id"]).head(top_n)
    return viz.table(t, {"amount": "money"},
                     caption=f"Top {min(top_n, len(exceptions))} of "
                     f"{viz.count(len(exceptions), 'exception')}")


def quality_table(scores: pd.DataFrame, by: str = "team"):
    """Data-quality score per group, worst first."""
    t = scores.rename(columns={"group": viz.header(by)})
    if "rep_name" in t:
        t = t.drop(columns=[viz.header(by)])
    return viz.table(t, {"score": "num", "open_deals": "num", "deals_with_issues": "num"})
