"""Key numbers, one-sentence readings and display tables of the rep-performance report.
"""

from __future__ import annotations

import html

import pandas as pd

from .. import viz
from ..data import Dataset
from ..measures import comparable_window, median_cycle_days, report_date
from ..periods import Period
from .cycle import cycle_km
from .drivers import REFERENCE_LABEL
from .scorecard import attainment_rollup, rep_labels, scorecard
from .verdicts import ABOVE, BELOW, FEW, INLINE


def rep_headline(ds: Dataset, period, channel: str = "") -> dict:
    """Key numbers of a period for the top of a report.

    Returns a dict: ``bookings``, ``quota``, ``attainment`` (org Σ bookings / Σ quota, reps
    with a quota), ``elapsed`` (share of the period gone by the report date, 1 once it is
    over), ``channel`` (as given: the channel ``ds`` was narrowed to), ``bookings_all`` (every
    rep's bookings),
    ``reps`` (employed in the period, :func:`attainment_rollup`), ``reps_with_quota`` (the
    reps the shares at quota are of), ``share_at_100``, ``share_at_80``, ``gini``, ``win_rate`` (pooled won / closed),
    ``cycle_days_median`` (the one cycle definition of every page,
    :func:`salesops_lib.measures.median_cycle_days`: median days from creation to close of
    the deals won in the period up to the report date) and ``cycle_days_km`` (Kaplan–Meier
    median of deals created in the 365 days up to the period's end, open deals censored).
    """
    roll = attainment_rollup(ds, period, by=None).iloc[0]
    sc = scorecard(ds, period, by="rep_id")
    P = Period.parse(period, ds.fiscal_start_month)
    km = cycle_km(ds, period=P, by=None).iloc[0]
    won, deals = sc["won"].sum(), sc["deals"].sum()
    cw = comparable_window(ds, P)
    return {
        "period": P.label, "bookings": float(roll["bookings"]), "quota": float(roll["quota"]),
        "elapsed": 1.0 if cw["complete"] else min(cw["days"] / P.days, 1.0),
        "channel": channel or "",
        "bookings_all": float(sc["bookings"].sum()),
        "attainment": float(roll["attainment"]), "reps": int(roll["reps"]),
        "reps_with_quota": int(roll["reps_with_quota"]),
        "share_at_100": float(roll["share_at_100"]), "share_at_80": float(roll["share_at_80"]),
        "gini": float(roll["gini"]),
        "win_rate": float(won / deals) if deals else float("nan"),
        "cycle_days_median": median_cycle_days(ds, P.start, report_date(ds, P)),
        "cycle_days_km": float(km["median_days"]),
    }


def team_heading(team: str = ""):
    """The line under the page's title that names the team on a team page (``team`` set, as
    ``--per team`` renders it): "Team: Field West", escaped, in the title's colour, with what
    the page covers. Nothing on the company page (``team`` empty).

    The title itself stays "Rep performance": the report index and navigation bar read it
    from the notebook's first Markdown cell, and the navigation bar already names the team."""
    from IPython.display import HTML

    if not team:
        return None
    return HTML('<div style="font-size:20px;font-weight:600;color:#0B4F8A;margin:0 0 2px 0">'
                f"Team: {html.escape(str(team))}</div>"
                '<div style="color:#444;font-size:14px;margin:0 0 6px 0">This team\'s reps '
                "only; each is judged against the whole company's reps of the same role.</div>")


def rep_kpi_cards(h: dict) -> list[tuple[str, str, str]]:
    """Headline cards for :func:`salesops_lib.viz.kpis` from :func:`rep_headline`'s dict.
    Without quotas the first card is the bookings and the second says what it needs. The
    share of reps at quota is of the reps with a quota, and says so ("of 46 reps with
    quota"), not of every rep in the data."""
    if pd.notna(h["quota"]):
        # a period still running, or one channel's deals against the whole quota, says so
        gone = h.get("elapsed", 1.0)
        first = ("Team attainment", viz.pct(h["attainment"]),
                 f"{viz.money(h['bookings'])} booked of {viz.money(h['quota'])} quota"
                 + (f", {viz.pct(gone)} of the period gone" if gone < 1 else "")
                 + (f"; {h['channel']} deals only, against the whole quota"
                    if h.get("channel") else ""))
        of = viz.count(h.get("reps_with_quota", h["reps"]), "rep")
        second = ("Reps at quota", viz.pct(h["share_at_100"]),
                  f"{viz.pct(h['share_at_80'])} at 80% or more, of {of} with quota")
    else:
        first = ("Bookings", viz.money(h["bookings_all"]), "no quota in the data")
        second = ("Reps at quota", "–", "needs a quota for each rep")
    return [
        first, second,
        ("Sales cycle", viz.days(h["cycle_days_median"]),
         "median, creation to close of won deals"),
        ("Win rate", viz.pct(h["win_rate"]), "won ÷ closed deals this period"),
    ]


def _aside(names: str, ends_clause: bool = False) -> str:
    """Names as an aside: in brackets, or set off by dashes when a name has brackets itself
    ("Elena Larsen (West)"), so brackets never nest. An aside that ``ends_clause`` (a ";" or
    "." follows) drops its closing dash, which the punctuation replaces: "— A, B and 3 more;",
    never "— A, B and 3 more —;". Empty ``names``: no aside."""
    if not names:
        return ""
    if "(" not in names:
        return f" ({names})"
    return f" — {names}" if ends_clause else f" — {names} —"


def _reps(n: int, verb: str = "") -> str:
    """A count of reps with its verb agreeing, "no rep" for none (:func:`viz.count`)."""
    return viz.count(n, "rep", verb, zero="no")


def name_list(names, n: int = 4) -> str:
    """Names as a list in words, at most ``n`` of them, the rest counted: "" (none), "A",
    "A and B", "A, B and C", "A, B, C, D and 3 more". One name left over is named rather than
    counted ("A, B, C, D and E", never "and 1 more")."""
    names = [str(x) for x in names]
    shown = names if len(names) <= n + 1 else names[:n]
    more = len(names) - len(shown)
    if more:
        return ", ".join(shown) + f" and {more} more"
    if len(shown) <= 1:
        return "".join(shown)
    return ", ".join(shown[:-1]) + " and " + shown[-1]


def _are(n: int) -> str:
    """A count with its verb "to be" agreeing: "1 is", "35 are"."""
    return f"{n} {'is' if n == 1 else 'are'}"


def _names(df: pd.DataFrame, n: int = 4) -> str:
    return name_list(rep_labels(df).tolist(), n)


def reading_leaderboard(lb: pd.DataFrame) -> str:
    """One sentence: how many reps the data separate from their peers' win rate, and how.

    Names what the verdict judges (win rate against role peers, or against all reps when the
    data have no role) and the multiplicity control (Benjamini–Hochberg false-discovery rate),
    and how many reps not yet hired in the period were left out (``attrs["not_yet_hired"]``).
    """
    if lb.empty or not (lb["verdict"] != FEW).any():
        return ("No rep closed enough deals this period to judge their win rate against "
                "their peers.")
    v = lb["verdict"].value_counts()
    peers = lb.attrs.get("peer_basis", "role peers")
    fdr = lb.attrs.get("fdr", 0.10)
    rates = (lb.drop_duplicates("peer_group").set_index("peer_group")["peer_win_rate"]
             .sort_index())
    if peers == "role peers":
        basis = ("Judged on win rate against role peers ("
                 + ", ".join(f"{g} reps win {viz.pct(r)}" for g, r in rates.items()) + ")")
    else:
        basis = (f"Judged on win rate against all reps ({viz.pct(rates.iloc[0])}; the data "
                 "have no rep roles, so field and inside reps are not told apart)")
    above, below = lb[lb["verdict"] == ABOVE], lb[lb["verdict"] == BELOW]
    few = int(v.get(FEW, 0))
    return (f"{basis}: {_reps(len(above), 'win')} clearly more often"
            + _aside(_names(above))
            + f" and {len(below) or 'none'} clearly less often"
            + _aside(_names(below), ends_clause=True)
            + f"; {_are(int(v.get(INLINE, 0)))} within chance of their peers"
            + (f" and {few} closed too few deals to judge" if few else "")
            + f". Flags keep the false-discovery rate at {viz.pct(fdr)} (Benjamini–Hochberg), "
            + _chance(fdr) + "; bookings and attainment are shown beside the verdict, which "
            "judges win rate only." + _later(lb))


def _later(frame: pd.DataFrame) -> str:
    """" 4 reps hired after the period are left out." from ``attrs["not_yet_hired"]``, or ""."""
    later = frame.attrs.get("not_yet_hired", 0)
    return (f" {_reps(later).capitalize()} hired after the period "
            f"{'is' if later == 1 else 'are'} left out." if later else "")


def _chance(fdr: float) -> str:
    """What the false-discovery rate means for a reader: at 10% or less chance rarely flags
    anyone; above it, the share of flags that may be chance is said as it is (at 50%, "so
    up to half of the flags may be chance alone", never "rarely")."""
    if fdr <= 0.10:
        return "so chance alone rarely flags anyone"
    return f"so on average up to {viz.pct(fdr)} of the flags may be chance alone"


def reading_attainment(roll: pd.DataFrame) -> str:
    """One sentence on the attainment distribution (from an org-level roll-up row)."""
    r = roll.iloc[0]
    if not r["reps_with_quota"]:
        return "Attainment needs a quota for each rep, which the data do not have for this period."
    return (f"{viz.pct(r['share_at_100'])} of reps with a quota reached it and "
            f"{viz.pct(r['share_at_80'])} reached 80%; the median rep attained "
            f"{viz.pct(r['median_attainment'])}, and the Gini of attainment is "
            f"{r['gini']:.2f} (0 = everyone equal).")


def reading_residuals(pa: pd.DataFrame) -> str:
    """One sentence: who beats or trails what their territory predicts."""
    if pa.empty:
        note = pa.attrs.get("note", "no reps to compare")
        return note[0].upper() + note[1:] + "."
    up, down = pa[pa["verdict"] == "above expectation"], pa[pa["verdict"] == "below expectation"]
    return (f"Allowing for territory potential, accounts and tenure, {_reps(len(up), 'booked')} "
            "clearly more than their territory predicts" + _aside(_names(up))
            + f" and {len(down) or 'none'} clearly less" + _aside(_names(down), ends_clause=True)
            + f"; the other {_are(len(pa) - len(up) - len(down))} within the model's error "
            f"(false-discovery rate {viz.pct(pa.attrs.get('fdr', 0.10))}, Benjamini–Hochberg)."
            + _later(pa))


def reading_gap(gap: pd.DataFrame, key: str = "rep_id") -> str:
    """One sentence: which component drives the gap of the reps below the median."""
    if gap.empty:
        return "No rep won a deal this period, so there is no velocity to compare."
    below = gap[gap["log_gap"] < 0]
    ref = viz.money(gap["velocity_ref"].iloc[0])
    if below.empty:
        return f"No rep's velocity is below the reference of {ref} a day, {REFERENCE_LABEL}."
    worst = below.groupby("component")["log_points"].sum().idxmin()
    return (f"The reference is {ref} of bookings a day, {REFERENCE_LABEL}; for the "
            f"{below[key].nunique()} reps below it, the largest drag is "
            f"{COMPONENT_WORDS.get(worst, worst)}.")


COMPONENT_WORDS = {"volume": "the number of deals closed", "win_rate": "win rate",
                   "deal_size": "deal size", "cycle": "cycle length"}


def reading_cycle(km: pd.DataFrame, by: str) -> str:
    """One sentence comparing Kaplan–Meier median cycles across groups."""
    parts = [f"{g} {viz.days(m)}" for g, m in zip(km[by].astype(str), km["median_days"])]
    return ("Median days from creation to close, counting still-open deals: "
            + "; ".join(parts) + ".")


SHORT_VERDICT = {ABOVE: "above", INLINE: "in line", BELOW: "below", FEW: "too few deals"}

LEADERBOARD_COLUMNS = {
    "rep_name": "Rep", "team": "Team", "peer_group": "Peers", "verdict": "Win rate vs peers",
    "deals": "Closed deals", "win_rate": "Win rate", "peer_win_rate": "Peers' win rate",
    "bookings": "Bookings", "attainment": "Attainment", "avg_deal_size": "Average deal",
    "cycle_days_median": "Sales cycle",
}


def leaderboard_table(lb: pd.DataFrame):
    """The leaderboard as a formatted, escaped table (verdict first, no rank column), with
    bookings and attainment beside the win-rate verdict."""
    cols = [c for c in LEADERBOARD_COLUMNS if c in lb.columns
            and not (c == "attainment" and lb[c].isna().all())]
    has_total = bool(len(lb)) and {"won", "deals", "bookings", "rep_name"} <= set(lb.columns)
    if has_total:
        # totals: counts and bookings add up; rates are ratios of the totals
        sums = [c for c in ("deals", "won", "bookings", "quota") if c in lb.columns]
        ratios = {"win_rate": ("won", "deals"), "avg_deal_size": ("bookings", "won")}
        if "quota" in lb.columns and "attainment" in cols:
            ratios["attainment"] = ("bookings", "quota")
        lb = viz.with_total(lb[list(dict.fromkeys(cols + sums))], "rep_name", "All reps",
                            sums=sums, ratios={k: v for k, v in ratios.items() if k in cols})
    t = lb[cols].rename(columns=LEADERBOARD_COLUMNS)
    if "Peers" in t.columns:
        t["Peers"] = t["Peers"].map(lambda g: g if g == "all reps" or pd.isna(g) else f"{g} reps")
    if "Win rate vs peers" in t.columns:
        t["Win rate vs peers"] = t["Win rate vs peers"].map(SHORT_VERDICT).fillna(
            t["Win rate vs peers"])
    return viz.table(t, {"Closed deals": "num", "Win rate": "pct", "Peers' win rate": "pct",
                         "Bookings": "money",
                         "Attainment": "pct", "Average deal": "money", "Sales cycle": "days"},
                     caption="Scorecard by verdict: the verdict judges win rate against peers; "
                             "bookings and attainment beside it", total=has_total)


ROLLUP_COLUMNS = {
    "manager": "Manager", "team": "Team", "role": "Role", "reps": "Reps",
    "reps_with_quota": "Reps with quota", "bookings": "Bookings", "quota": "Quota",
    "attainment": "Attainment", "median_attainment": "Median rep's attainment",
    "share_at_100": "Reps at quota", "share_at_80": "Reps at 80% or more",
    "gini": "Spread (Gini)",
}


def rollup_table(roll: pd.DataFrame, total: pd.DataFrame | None = None):
    """An attainment roll-up (:func:`attainment_rollup`) as a formatted table in words; with
    ``total`` (the ``by=None`` roll-up) its row is appended as the totals row. Without any
    quota, a one-sentence callout saying so instead of a table of dashes."""
    if not (roll["reps_with_quota"] > 0).any():
        return viz.callout("Attainment by manager needs a quota for each rep, which the data do "
                           "not have for this period.")
    key = next((c for c in roll.columns if c in ROLLUP_COLUMNS and c not in
                ("reps", "reps_with_quota", "bookings", "quota", "attainment",
                 "median_attainment", "share_at_100", "share_at_80", "gini")), roll.columns[0])
    t = roll.drop(columns=["period"], errors="ignore")
    if total is not None and len(total):
        tot = total.drop(columns=["period"], errors="ignore").assign(
            **{key: "All " + ROLLUP_COLUMNS.get(key, key).lower() + "s"})
        t = pd.concat([t, tot[t.columns]], ignore_index=True)
    t = t.rename(columns=ROLLUP_COLUMNS)
    return viz.table(t, {"Bookings": "money", "Quota": "money", "Attainment": "pct",
                         "Median rep's attainment": "pct", "Reps at quota": "pct",
                         "Reps at 80% or more": "pct", "Spread (Gini)": lambda g: viz.num(g, 2)},
                     total=total is not None and len(total) > 0)
