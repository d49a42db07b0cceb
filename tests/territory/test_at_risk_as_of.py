"""Territory at-risk figures are as of the report date: open pipeline read from
opportunity_history (measures.open_pipeline_as_of), never the final extract's status."""

from __future__ import annotations

import pandas as pd
import pytest

from salesops_lib import measures
from salesops_lib.data import Dataset
from salesops_lib.territory import alignment as T


def _history_ds() -> tuple[Dataset, pd.DataFrame]:
    """R1 owns A0, A1, A2; the proposal moves A0 and A1 to R2. The extract is as of 15 Nov
    2026; opportunity_history holds each deal's state after every change."""
    opp = pd.DataFrame({
        "opportunity_id": ["O1", "O2", "O3", "O4", "O5"],
        "account_id": ["A0", "A1", "A0", "A1", "A2"],
        "rep_id": ["R1"] * 5,
        "stage": ["won", "lost", "open", "lost", "open"],
        "status": ["won", "lost", "open", "lost", "open"],
        "amount": [70.0, 30.0, 200.0, 80.0, 1000.0],
        "created_date": pd.to_datetime(["2026-07-01", "2026-08-01", "2026-10-05",
                                        "2026-06-01", "2026-05-01"]),
        "close_date": pd.to_datetime(["2026-10-20", "2026-11-01", "2026-12-15",
                                      "2026-09-15", "2026-12-31"])})
    h = [("O1", "2026-07-01", "open", 50.0, "2026-09-30"),
         ("O1", "2026-09-10", "open", 60.0, "2026-09-30"),   # amount raised before 30 Sep
         ("O1", "2026-10-20", "won", 70.0, "2026-10-20"),    # won after 30 Sep
         ("O2", "2026-08-01", "open", 30.0, "2026-10-31"),
         ("O2", "2026-11-01", "lost", 30.0, "2026-11-01"),   # lost after 30 Sep
         ("O3", "2026-10-05", "open", 200.0, "2026-12-15"),  # created after 30 Sep
         ("O4", "2026-06-01", "open", 80.0, "2026-09-15"),
         ("O4", "2026-09-15", "lost", 80.0, "2026-09-15"),   # lost before 30 Sep
         ("O5", "2026-05-01", "open", 1000.0, "2026-12-31")]  # on A2, which does not move
    hist = pd.DataFrame(h, columns=["opportunity_id", "changed_at", "status", "amount", "close_date"])
    hist["stage"] = hist["status"]
    hist["rep_id"] = "R1"
    hist["changed_at"] = pd.to_datetime(hist["changed_at"])
    hist["close_date"] = pd.to_datetime(hist["close_date"])
    acc = pd.DataFrame({"account_id": ["A0", "A1", "A2", "A3"], "account_name": list("wxyz"),
                        "latitude": [0.0] * 4, "longitude": [0.0, 1, 2, 3],
                        "potential": [30.0, 30.0, 20.0, 20.0],
                        "owner_rep_id": ["R1", "R1", "R1", "R2"]})
    reps = pd.DataFrame({"rep_id": ["R1", "R2"], "rep_name": ["One", "Two"]})
    ds = Dataset.from_frames(accounts=acc, reps=reps, opportunities=opp,
                             opportunity_history=hist, as_of="2026-11-15")
    prop = pd.DataFrame({"account_id": ["A0", "A1", "A2", "A3"], "rep_id": ["R2", "R2", "R1", "R2"]})
    return ds, prop


def test_at_risk_pipeline_is_as_of_the_report_date():
    ds, prop = _history_ds()

    def pipe(**kw):
        return T.at_risk(ds, prop, **kw).set_index("rep_id").loc["R1", "pipeline_at_risk"]

    # 2026-Q3 is over: as of 30 Sep, open on A0/A1 were O1 (60 then, 70 when won later) and
    # O2 (30, lost later); O3 did not exist yet, O4 was already lost, O5 is on A2 (stays)
    assert pipe(period="2026-Q3") == pytest.approx(60.0 + 30.0)
    assert pipe(as_of="2026-09-30") == pytest.approx(90.0)
    # earlier: O1 still at 50, O4 not yet lost
    assert pipe(as_of="2026-09-05") == pytest.approx(50.0 + 30.0 + 80.0)
    # 2026-Q4 and 2026-11 are in progress: as of the data's 15 Nov, only O3 is open there
    assert pipe(period="2026-Q4") == pytest.approx(200.0)
    assert pipe(period="2026-11") == pytest.approx(200.0)
    assert pipe() == pytest.approx(200.0)
    # bookings stay the scorecard's: won deals closed in the period (O1 in Q4, none in Q3)
    r = T.at_risk(ds, prop, period="2026-Q3").set_index("rep_id")
    assert r.loc["R1", "bookings_at_risk"] == 0.0 and r.loc["R1", "accounts_lost"] == 2
    assert T.at_risk(ds, prop, period="2026-Q4").set_index("rep_id").loc["R1", "bookings_at_risk"] == 70.0
    # one definition: the sum matches measures.open_pipeline_as_of on the moved accounts
    st = measures.open_pipeline_as_of(ds, "2026-09-30")
    assert st.loc[st["account_id"].isin(["A0", "A1"]), "amount"].sum() == pytest.approx(90.0)
