"""Fixtures of the strategy tests: a hand-made two-rep org and a small sample org."""

from __future__ import annotations

import pandas as pd
import pytest

from salesops_lib import Dataset, load_dataset
from salesops_lib.strategy import Window

#: Days in the 2026 window as a share of a year (the window's length in years).
YEARS_2026 = 365 / 365.25


def year_2026() -> Window:
    """Calendar 2026 as a window. The tiny org's bookings are observed from February (its first
    close, ``measures.bookings_start``), so ``strategy.window`` would start there; the
    hand-computed figures of the economics tests are over the whole year."""
    return Window(pd.Timestamp("2026-01-01"), pd.Timestamp("2026-12-31"), "2026")


def economics_frame(by: str, values: tuple, total: str, **columns) -> pd.DataFrame:
    """An ``economics`` result by ``by`` (field, inside and the totals row), as the page's
    table receives it: ``values`` name the two rows' group and ``total`` the totals row's;
    ``columns`` give every measure's three values."""
    e = pd.DataFrame({"motion": ["field", "inside", "All motions"],
                      by: [*values, total], **columns})
    e.attrs.update({"by": by, "totals": True})
    return e


def tiny_frames() -> dict:
    """Field rep R1 and inside rep R2 (both full time all year), three accounts, six deals
    closed in 2026, activities with minutes. Hand-computed figures in the tests use these."""
    accounts = pd.DataFrame({
        "account_id": ["A1", "A2", "A3"], "account_name": ["Acme", "Bolt", "Crane"],
        "segment": ["SMB", "SMB", "Enterprise"], "industry": ["Retail", "Retail", "Energy"],
        "region": ["East", "East", "West"], "potential": [1000.0, 2000.0, 9000.0],
        "owner_rep_id": ["R1", "R2", "R1"],
        "latitude": [40.7, 40.8, 37.7], "longitude": [-74.0, -73.9, -122.4]})
    reps = pd.DataFrame({"rep_id": ["R1", "R2"], "rep_name": ["Ann Field", "Ben Inside"],
                         "role": ["field", "inside"], "hire_date": ["2020-01-01", "2020-01-01"],
                         "capacity": [1.0, 1.0], "home_latitude": [40.7, 40.7],
                         "home_longitude": [-74.0, -74.0]})
    opps = pd.DataFrame({
        "opportunity_id": ["O1", "O2", "O3", "O4", "O5", "O6"],
        "account_id": ["A1", "A3", "A3", "A2", "A2", "A1"],
        "rep_id": ["R1", "R1", "R1", "R2", "R2", "R1"],
        "stage": ["Closed Won", "Closed Won", "Closed Lost", "Closed Won", "Closed Lost", "Prospecting"],
        "status": ["won", "won", "lost", "won", "lost", "open"],
        "amount": [1000.0, 5000.0, 800.0, 400.0, 300.0, 700.0],
        "created_date": ["2026-01-10", "2026-02-01", "2026-03-01", "2026-04-01", "2026-04-10",
                         "2026-11-01"],
        "close_date": ["2026-02-09", "2026-05-02", "2026-06-01", "2026-04-21", "2026-05-10",
                       "2027-01-15"],
        "product": ["Core", "Core", "Core", "Core", "Core", "Core"]})
    acts = pd.DataFrame({
        "rep_id": ["R1", "R1", "R1", "R2", "R2", "R2"],
        "date": ["2026-01-20", "2026-02-10", "2026-03-10", "2026-04-05", "2026-04-12", "2026-04-15"],
        "type": ["call", "visit", "visit", "call", "email", "call"],
        "account_id": ["A1", "A3", "A3", "A2", "A2", "A2"],
        "opportunity_id": ["O1", "O2", "O3", "O4", "O4", "O5"],
        "duration_min": [30.0, 60.0, 30.0, 10.0, 5.0, 15.0]})
    return {"accounts": accounts, "reps": reps, "opportunities": opps, "activities": acts}


@pytest.fixture
def tiny_ds() -> Dataset:
    return Dataset.from_frames(**tiny_frames(), as_of="2026-12-31")


@pytest.fixture
def bare_ds() -> Dataset:
    """The tiny org without roles and without activities (like the public Maven export)."""
    f = tiny_frames()
    f["reps"] = f["reps"].drop(columns="role")
    del f["activities"]
    return Dataset.from_frames(**f, as_of="2026-12-31")


@pytest.fixture(scope="session")
def small_ds() -> Dataset:
    return load_dataset("sample:accounts=800,reps=12,years=2")
