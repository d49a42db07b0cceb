"""CRM hygiene audit: named rules, each with its list of offending deals, and a quality score.

Every rule reads the open deals as of the audit date (:func:`~salesops_lib.measures.state_as_of`)
and lists each offending deal once. :data:`RULES` names them with a severity; a rule whose
input the source does not have (no ``next_step`` column, no rep status) is reported as not
checkable rather than passed.

**Data-quality score** of a rep or team: ``100 × (1 − mean over its open deals of
min(1, Σ severity weights of the deal's exceptions))`` with weights high 1, medium 0.5, low 0.2:
100 = no exception on any deal, 0 = a high-severity problem on every deal.
"""

from __future__ import annotations

import difflib

import numpy as np
import pandas as pd

from ..measures import UNASSIGNED, group_values, rep_names_by_id, state_as_of
from .conversion import has_stage_dates, stage_entries, stage_order, stuck_deals
from .names import group_labels

#: rule -> (severity, what it means)
RULES = {
    "close date in the past": ("high", "open deal whose close date is before the audit date"),
    "missing amount": ("high", "open deal with no amount or an amount of 0"),
    "missing close date": ("high", "open deal with no close date"),
    "missing owner": ("high", "no owner, or an owner not in the rep list"),
    "owner inactive": ("high", "owner marked inactive or departed before the audit date"),
    "missing next step": ("medium", "open deal with an empty next step"),
    "stuck in stage": ("medium", "longer in its stage than 75% of deals ever were"),
    "stage skipped": ("medium", "entered a stage without passing the one before it"),
    "stage moved backward": ("low", "went back to an earlier stage"),
    "likely duplicate": ("medium", "same account, similar name and amount as another open deal"),
    "amount outside product range": ("low", "amount far outside the product's usual range"),
    "end-of-month default close date": ("low", ("close date on a month's last day, never "
                                                "changed since creation (a CRM default)")),
}
WEIGHTS = {"high": 1.0, "medium": 0.5, "low": 0.2}
_INACTIVE_COLS = ("active", "is_active", "isactive")
_END_COLS = ("end_date", "departure_date", "termination_date", "left_date")
_NAME_COLS = ("opportunity_name", "name", "deal_name")


def _open_deals(ds, d) -> pd.DataFrame:
    st = state_as_of(ds, d)
    return st[st["status"] == "open"].reset_index(drop=True)


def audit(ds, as_of=None, *, outlier_z: float = 3.5, name_similarity: float = 0.8,
          amount_tolerance: float = 0.1) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Run every rule on the open deals as of ``as_of`` (default ``ds.as_of``).

    Rules with thresholds: *amount outside product range* = ``|log a − median| / (1.4826 ·
    MAD) > outlier_z`` over the product's deals with an amount; *likely duplicate* = same
    account, names with ``difflib`` ratio ≥ ``name_similarity`` (or same product when the source
    has no deal name) and amounts within ``amount_tolerance`` of the larger.

    Returns
    -------
    (exceptions, rules)
        ``exceptions``: ``rule``, ``severity``, ``opportunity_id``, ``account_name``,
        ``rep_id``, ``rep_name``, ``amount``, ``detail``. ``rules``: ``rule``, ``severity``,
        ``meaning``, ``checkable``, ``deals``, ``amount``.
    """
    d = pd.Timestamp(ds.as_of if as_of is None else as_of).normalize()
    o = _open_deals(ds, d)
    reps = ds.reps.set_index("rep_id")
    found: dict[str, pd.DataFrame] = {}
    checkable = dict.fromkeys(RULES, True)

    def add(rule, mask, detail):
        m = np.asarray(mask, bool)
        det = detail if isinstance(detail, pd.Series) else pd.Series(detail, index=o.index)
        found[rule] = o.loc[m, ["opportunity_id"]].assign(detail=det[m].astype(str).to_numpy())

    add("close date in the past", o["close_date"] < d,
        "due " + o["close_date"].dt.strftime("%d %b %Y").fillna(""))
    add("missing amount", o["amount"].isna() | (o["amount"] <= 0), "no amount")
    add("missing close date", o["close_date"].isna(), "no close date")
    add("missing owner", o["rep_id"].isna() | ~o["rep_id"].isin(reps.index), "no owner")
    flag = next((c for c in _INACTIVE_COLS if c in reps.columns), None)
    endc = next((c for c in _END_COLS if c in reps.columns), None)
    if flag or endc:
        inactive = pd.Series(False, index=o.index)
        if flag:
            val = o["rep_id"].map(reps[flag]).astype("string").str.lower()
            inactive |= val.isin(["false", "0", "no", "inactive"]).fillna(False).astype(bool)
        if endc:
            inactive |= (pd.to_datetime(o["rep_id"].map(reps[endc])) <= d).fillna(False)
        add("owner inactive", inactive, "owner no longer active")
    else:
        checkable["owner inactive"] = False
    nxt = next((c for c in ("next_step", "nextstep") if c in o.columns), None)
    if nxt:
        add("missing next step", o[nxt].isna() | (o[nxt].astype("string").str.strip() == ""),
            "no next step")
    else:
        checkable["missing next step"] = False
    if not has_stage_dates(ds):
        # only each open deal's current stage is known: days in stage, skips and moves back
        # cannot be seen, so these rules are not checkable (not "0 deals")
        for rule in ("stuck in stage", "stage skipped", "stage moved backward"):
            checkable[rule] = False
    stuck = stuck_deals(ds, d)
    found["stuck in stage"] = stuck[["opportunity_id"]].assign(
        detail=(stuck["stage"].astype(str) + ": " + stuck["days_in_stage"].round().astype(int)
                .astype(str) + " days (norm " + stuck["p75_days"].round().astype(int).astype(str)
                + ")").to_numpy())
    _stage_rules(ds, d, o, found)
    _duplicates(o, found, name_similarity, amount_tolerance)
    _outliers(ds, o, found, outlier_z)
    me = o["close_date"].notna() & o["close_date"].dt.is_month_end
    h = ds.opportunity_history
    if h is not None and len(h):
        h = h[h["changed_at"] < d + pd.Timedelta(days=1)]
        n_dates = h.groupby("opportunity_id")["close_date"].nunique()
        me &= o["opportunity_id"].map(n_dates).fillna(1).le(1).to_numpy()
    add("end-of-month default close date", me,
        "close " + o["close_date"].dt.strftime("%d %b %Y").fillna(""))
    return _tables(ds, o, found, checkable)


def _stage_rules(ds, d, o, found):
    ent = stage_entries(ds, d)
    order = stage_order(ds, ent)
    rank = {s: i for i, s in enumerate(order)}
    e = ent[ent["opportunity_id"].isin(o["opportunity_id"]) & ent["stage"].isin(order)]
    e = e.assign(rank=e["stage"].map(rank))
    h = ds.opportunity_history
    if h is not None and len(h):
        h = h[h["changed_at"] < d + pd.Timedelta(days=1)]       # only what was known then
    if h is not None and len(h) and h["stage"].notna().any():   # every move, not first entries
        e = h[h["opportunity_id"].isin(o["opportunity_id"]) & h["stage"].isin(order)]
        e = e.sort_values(["opportunity_id", "changed_at"], kind="stable")
        e = e.assign(rank=e["stage"].map(rank))
        e = e[e["rank"] != e.groupby("opportunity_id")["rank"].shift(1)]
    prev = e.groupby("opportunity_id")["rank"].shift(1)
    skip = e["rank"] > prev + 1
    back = e["rank"] < prev
    for rule, m in (("stage skipped", skip), ("stage moved backward", back)):
        hit = e[m.fillna(False)]
        hit = hit.drop_duplicates("opportunity_id", keep="last")
        found[rule] = hit[["opportunity_id"]].assign(detail=("to " + hit["stage"].astype(str))
                                                     .to_numpy())


def _duplicates(o, found, sim, tol):
    name = next((c for c in _NAME_COLS if c in o.columns), None)
    a = o[["opportunity_id", "account_id", "amount", "product"] + ([name] if name else [])]
    pairs = a.merge(a, on="account_id", suffixes=("", "_2"))
    pairs = pairs[pairs["opportunity_id"] < pairs["opportunity_id_2"]]
    big = np.maximum(pairs["amount"].fillna(0), pairs["amount_2"].fillna(0))
    close = (pairs["amount"] - pairs["amount_2"]).abs() <= tol * big
    pairs = pairs[close.to_numpy()]
    if name:
        ratio = [difflib.SequenceMatcher(None, str(x).lower(), str(y).lower()).ratio()
                 for x, y in zip(pairs[name], pairs[name + "_2"])]    # candidate pairs only
        pairs = pairs[np.asarray(ratio, float) >= sim] if len(pairs) else pairs
    else:
        pairs = pairs[pairs["product"].astype(str) == pairs["product_2"].astype(str)]
    rows = pd.concat([pairs[["opportunity_id"]].assign(detail="like " + pairs["opportunity_id_2"]),
                      pairs[["opportunity_id_2"]].rename(columns={"opportunity_id_2": "opportunity_id"})
                      .assign(detail="like " + pairs["opportunity_id"])], ignore_index=True)
    found["likely duplicate"] = rows.drop_duplicates("opportunity_id")


def _outliers(ds, o, found, z):
    all_ = ds.opportunities
    pos = all_[all_["amount"] > 0]
    la = np.log(pos["amount"])
    med = la.groupby(pos["product"]).median()
    mad = (la - pos["product"].map(med)).abs().groupby(pos["product"]).median() * 1.4826
    ok = o["amount"] > 0
    lz = (np.log(o["amount"].where(ok)) - o["product"].map(med)) / o["product"].map(mad)
    m = (lz.abs() > z).fillna(False) & ok
    typical = np.exp(o["product"].map(med))
    found["amount outside product range"] = o.loc[m, ["opportunity_id"]].assign(
        detail=[f"typical {v:,.0f}" for v in typical[m].round(-2)])


def _tables(ds, o, found, checkable):
    parts = [f.assign(rule=r) for r, f in found.items() if len(f)]
    cols = ["rule", "severity", "opportunity_id", "account_name", "rep_id", "rep_name", "amount",
            "detail"]
    ex = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(
        columns=["opportunity_id", "detail", "rule"])
    ex = ex.merge(o[["opportunity_id", "account_id", "rep_id", "amount"]], on="opportunity_id",
                  how="left")
    ex["severity"] = ex["rule"].map({r: v[0] for r, v in RULES.items()})
    ex["account_name"] = ex["account_id"].map(ds.accounts.set_index("account_id")["account_name"])
    ex["rep_name"] = ex["rep_id"].astype("string").map(rep_names_by_id(ds.reps)).fillna(UNASSIGNED)
    sev = pd.Categorical(ex["severity"], ["high", "medium", "low"], ordered=True)
    ex = ex.assign(_s=sev).sort_values(["_s", "rule", "amount"], ascending=[True, True, False])
    ex = ex.drop(columns="_s")[cols].reset_index(drop=True)
    rules = pd.DataFrame([{"rule": r, "severity": s, "meaning": m, "checkable": checkable[r]}
                          for r, (s, m) in RULES.items()])
    g = ex.groupby("rule")
    rules["deals"] = rules["rule"].map(g.size()).fillna(0).astype("int64")
    rules["amount"] = rules["rule"].map(g["amount"].sum()).fillna(0.0)
    rules.loc[~rules["checkable"], ["deals", "amount"]] = np.nan
    # per rule a deal counts once, but a deal can break several rules: the distinct deals
    # (what "N open deals break a high-severity rule" counts) are kept beside the table
    ok = ex["rule"].isin(rules.loc[rules["checkable"], "rule"])
    rules.attrs["distinct_deals"] = {
        sev: int(ex.loc[ok & (ex["severity"] == sev), "opportunity_id"].nunique())
        for sev in ("high", "medium", "low")}
    rules.attrs["distinct_deals"]["all"] = int(ex.loc[ok, "opportunity_id"].nunique())
    return ex, rules


def quality_score(ds, exceptions: pd.DataFrame, by: str = "rep_id", as_of=None) -> pd.DataFrame:
    """Data-quality score per ``by`` group (module formula) over the open deals as of ``as_of``.

    Returns ``group``, ``open_deals``, ``deals_with_issues``, ``score`` (0-100), worst first;
    with ``by="rep_id"`` also ``rep_name``.
    """
    d = pd.Timestamp(ds.as_of if as_of is None else as_of).normalize()
    o = _open_deals(ds, d)
    w = exceptions.assign(w=exceptions["severity"].map(WEIGHTS)).groupby("opportunity_id")["w"].sum()
    pen = o["opportunity_id"].map(w).fillna(0.0).clip(upper=1.0)
    grp = group_values(ds, by, o)
    out = pd.DataFrame({"group": grp, "pen": pen, "issue": pen > 0}).groupby("group").agg(
        open_deals=("pen", "size"), deals_with_issues=("issue", "sum"), penalty=("pen", "mean"))
    out["score"] = 100 * (1 - out["penalty"])
    out = out.drop(columns="penalty").reset_index()
    if by == "rep_id":
        out.insert(1, "rep_name", group_labels(ds, by, out["group"]).to_numpy())
    return out.sort_values("score").reset_index(drop=True)
