"""Deal credit: who is credited with which won deal, in which period, and what later reverses it.

**Credit.** A deal counts in the period holding its close date, as it stood at the end of that
period (:func:`salesops_lib.measures.state_as_of`): won there and then. By default its owner
(``rep_id``) gets all of it. Credit splits and overlays are supplied as a ``splits`` frame
(the CRM's opportunity-team or split table, mapped to these columns):

==================  ===========================================================================
``opportunity_id``  the deal
``rep_id``          a credited rep
``share``           fraction of the deal's amount credited to that rep (0 < share ≤ 1)
``role``            ``split`` (default): the deal's credit is divided; ``overlay``: a specialist
                    credited *in addition* (e.g. a product overlay), never counted in roll-ups
==================  ===========================================================================

A deal with ``split`` rows is credited by them alone (the owner only if listed); a deal with only
``overlay`` rows keeps its owner at 100%.

**Double-credit guard.** The ``split`` shares of a deal must add up to exactly 100%: above is
double credit, below is credit lost, both raise. A rep listed twice on one deal, or as both split
and overlay, raises. Roll-ups (:func:`rollup`) add split credit only, so a team's credited
bookings equal its deals' amounts.

**Reversal.** A credited deal is reversed when a later ``opportunity_history`` row shows it no
longer won or at a lower amount; the first such row gives the date and the remaining amount
(0 when no longer won).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..measures import state_as_of

_TOL = 1e-6
CREDIT_COLUMNS = ["opportunity_id", "account_id", "rep_id", "role", "share", "amount", "credit",
                  "close_date", "product", "new_logo"]


def check_splits(splits: pd.DataFrame, deals: pd.DataFrame | None = None,
                 reps: pd.DataFrame | None = None) -> pd.DataFrame:
    """Validate a ``splits`` frame (columns above) and return it with ``role`` filled.

    Raises
    ------
    ValueError
        A missing column, a share outside (0, 1], a role other than split/overlay, a rep twice
        on one deal, split shares of a deal not adding up to 100% (double credit or credit
        lost), or a deal/rep that does not exist: the message names the splits table, the
        column and the offending deals.
    """
    missing = [c for c in ("opportunity_id", "rep_id", "share") if c not in splits.columns]
    if missing:
        raise ValueError(f"splits table lacks column(s) {missing}; it needs opportunity_id, "
                         "rep_id, share and optionally role (split/overlay)")
    s = splits.copy()
    s["role"] = (s["role"].astype("string").fillna("split").str.lower() if "role" in s
                 else "split")
    s["opportunity_id"] = s["opportunity_id"].astype("string")
    s["rep_id"] = s["rep_id"].astype("string")
    s["share"] = pd.to_numeric(s["share"], errors="coerce")

    def fail(column, mask, what):
        ids = ", ".join(sorted(s.loc[mask, "opportunity_id"].astype(str).unique())[:5])
        raise ValueError(f"splits table, column {column}: {what} (deals {ids})")

    bad = ~s["role"].isin(["split", "overlay"])
    if bad.any():
        fail("role", bad, "role must be split or overlay")
    bad = ~((s["share"] > 0) & (s["share"] <= 1 + _TOL))
    if bad.any():
        fail("share", bad, "share must be a number in (0, 1]")
    dup = s.duplicated(["opportunity_id", "rep_id"], keep=False)
    if dup.any():
        fail("rep_id", dup, "a rep is listed more than once on a deal (double credit)")
    total = s[s["role"] == "split"].groupby("opportunity_id")["share"].transform("sum")
    over = pd.Series(False, index=s.index)
    over.loc[total.index] = total > 1 + _TOL
    if over.any():
        fail("share", over, "split shares add up to more than 100% (double credit)")
    under = pd.Series(False, index=s.index)
    under.loc[total.index] = total < 1 - _TOL
    if under.any():
        fail("share", under, "split shares add up to less than 100% (credit lost)")
    if deals is not None:
        unknown = ~s["opportunity_id"].isin(deals["opportunity_id"])
        if unknown.any():
            fail("opportunity_id", unknown, "deal not among the opportunities")
    if reps is not None:
        unknown = ~s["rep_id"].isin(reps["rep_id"])
        if unknown.any():
            fail("rep_id", unknown, "rep not among the reps")
    return s[["opportunity_id", "rep_id", "share", "role"]].reset_index(drop=True)


def credited(ds, period, splits: pd.DataFrame | None = None, *, state=None) -> pd.DataFrame:
    """Credit rows for the deals won in ``period`` as they stood at its end.

    Parameters
    ----------
    ds : Dataset
    period : Period
    splits : DataFrame, optional
        Credit splits and overlays (module docstring); validated by :func:`check_splits`.
    state : DataFrame, optional
        A ready :func:`state_as_of` frame for ``period.end`` (saves recomputing it).

    Returns
    -------
    DataFrame
        One row per deal × credited rep: ``opportunity_id``, ``account_id``, ``rep_id``,
        ``role`` (primary/split/overlay), ``share``, ``amount`` (the deal's), ``credit`` =
        share × amount, ``close_date``, ``product``, ``new_logo`` (the account's first won
        deal ever, by close date then id).
    """
    st = state_as_of(ds, period.end) if state is None else state
    won_mask = (st["status"] == "won").fillna(False).to_numpy(bool)
    cols = ["opportunity_id", "account_id", "rep_id", "amount", "close_date"]
    won = st.loc[won_mask, cols]
    logo = first_won(won)
    inside = np.flatnonzero(period.contains(won["close_date"]).to_numpy(bool))
    product = (st["product"].to_numpy(object)[won_mask][inside] if "product" in st
               else np.full(len(inside), None, dtype=object))
    amount = won["amount"].to_numpy(float)[inside]
    # built from arrays in one go: a million deals, no intermediate frame copies
    deals = pd.DataFrame({c: won[c].array[inside] for c in cols[:3]}
                         | {"amount": amount, "close_date": won["close_date"].to_numpy()[inside],
                            "product": product, "new_logo": logo[inside]})
    owner = deals.assign(role=pd.Categorical.from_codes(np.zeros(len(deals), np.int8),
                                                        ["primary", "split", "overlay"]),
                         share=1.0)
    if splits is not None and len(splits):
        sp = check_splits(splits, ds.opportunities, ds.reps)
        sp = sp[sp["opportunity_id"].isin(deals["opportunity_id"])]
        split_deals = sp.loc[sp["role"] == "split", "opportunity_id"].unique()
        owner = owner[~owner["opportunity_id"].isin(split_deals)]
        extra = sp.merge(deals.drop(columns="rep_id"), on="opportunity_id", how="inner")
        owner_of = deals.set_index("opportunity_id")["rep_id"]
        is_owner = extra["rep_id"].to_numpy() == extra["opportunity_id"].map(owner_of).to_numpy()
        extra.loc[(extra["role"] == "split") & is_owner, "role"] = "primary"
        clash = extra[(extra["role"] == "overlay")].merge(
            owner[["opportunity_id", "rep_id"]], on=["opportunity_id", "rep_id"])
        if len(clash):
            ids = ", ".join(sorted(clash["opportunity_id"].astype(str).unique())[:5])
            raise ValueError("splits table, column role: a deal's owner is also listed as its "
                             f"overlay (double credit) (deals {ids})")
        owner = pd.concat([owner, extra[owner.columns]], ignore_index=True)
    owner["credit"] = owner["share"].to_numpy(float) * owner["amount"].to_numpy(float)
    if owner["rep_id"].dtype != "string":
        owner["rep_id"] = owner["rep_id"].astype("string")
    return owner[CREDIT_COLUMNS].reset_index(drop=True)


def first_won(won: pd.DataFrame) -> np.ndarray:
    """For won deals: is each one its account's first won deal (earliest close date, then the
    lowest opportunity id)? Sorted on integer keys; only tied accounts compare ids."""
    if won.empty:
        return np.zeros(0, bool)
    acc = pd.factorize(won["account_id"])[0].astype(np.int64)
    day = won["close_date"].to_numpy("datetime64[D]").astype(np.int64)
    day = day - day.min()
    key = acc * (int(day.max()) + 1) + day
    earliest = np.full(acc.max() + 1, np.iinfo(np.int64).max)
    np.minimum.at(earliest, acc, key)
    cand = np.flatnonzero(key == earliest[acc])
    out = np.zeros(len(won), bool)
    if len(cand) == len(earliest):                 # no two first deals on one day
        out[cand] = True
        return out
    c = pd.DataFrame({"acc": acc[cand], "oid": won["opportunity_id"].to_numpy(object)[cand],
                      "i": cand}).sort_values(["acc", "oid"], kind="stable")
    out[c.drop_duplicates("acc")["i"].to_numpy()] = True
    return out


def rollup(credits: pd.DataFrame, ds, by: str = "team") -> pd.DataFrame:
    """Credited bookings per ``by`` (a reps column) counting ``primary`` and ``split`` credit
    only: overlays are paid but never added up, so a roll-up never double counts.

    Returns ``by``, ``credit``, ``deals`` (distinct deals).
    """
    c = credits[credits["role"] != "overlay"]
    key = c["rep_id"].map(ds.reps.set_index("rep_id")[by]) if by != "rep_id" else c["rep_id"]
    g = c.assign(**{by: key.to_numpy()}).groupby(by, dropna=False)
    return pd.DataFrame({"credit": g["credit"].sum(),
                         "deals": g["opportunity_id"].nunique()}).reset_index()


def reversals(ds, credits: pd.DataFrame, after, until) -> pd.DataFrame:
    """Credited deals reversed after ``after`` and up to the end of ``until``.

    Read from ``ds.opportunity_history`` directly: the first row with ``changed_at`` in that
    span showing the deal not won, or won at an amount below the credited one.

    Returns
    -------
    DataFrame
        ``opportunity_id``, ``reversed_at``, ``new_amount`` (0 when no longer won),
        ``days_after_close`` = reversed_at − close_date in days. Empty without history.
    """
    cols = {"opportunity_id": pd.Series(dtype="string"), "reversed_at": pd.Series(dtype="M8[ns]"),
            "new_amount": pd.Series(dtype=float), "days_after_close": pd.Series(dtype="int64")}
    hist = getattr(ds, "opportunity_history", None)
    if hist is None or hist.empty or credits.empty:
        return pd.DataFrame(cols)
    lo = pd.Timestamp(after).normalize() + pd.Timedelta(days=1)
    hi = pd.Timestamp(until).normalize() + pd.Timedelta(days=1)
    h = hist[(hist["changed_at"] >= lo) & (hist["changed_at"] < hi)]
    deals = credits.drop_duplicates("opportunity_id")[["opportunity_id", "amount", "close_date"]]
    h = h.merge(deals, on="opportunity_id", how="inner", suffixes=("", "_credited"))
    if h.empty:
        return pd.DataFrame(cols)
    new_amount = np.where(h["status"] == "won", h["amount"].fillna(h["amount_credited"]), 0.0)
    flag = new_amount < h["amount_credited"].to_numpy() - _TOL
    h = h.assign(new_amount=new_amount)[flag].sort_values(["opportunity_id", "changed_at"],
                                                          kind="stable")
    h = h.drop_duplicates("opportunity_id")
    out = pd.DataFrame({"opportunity_id": h["opportunity_id"].astype("string"),
                        "reversed_at": h["changed_at"], "new_amount": h["new_amount"].astype(float),
                        "days_after_close": (h["changed_at"].dt.normalize()
                                             - h["close_date"]).dt.days.astype("int64")})
    return out.reset_index(drop=True)


def apply_reversals(credits: pd.DataFrame, rev: pd.DataFrame) -> pd.DataFrame:
    """Credits with reversed deals cut to their remaining amount (credit = share × new amount)."""
    if rev.empty:
        return credits
    new = credits["opportunity_id"].map(rev.set_index("opportunity_id")["new_amount"])
    hit = new.notna().to_numpy()
    out = credits.copy()
    out.loc[hit, "amount"] = new[hit].to_numpy()
    out["credit"] = out["share"] * out["amount"]
    return out
