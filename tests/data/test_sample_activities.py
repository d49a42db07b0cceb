"""The sample's activities (tied to deals, shaped by motion) and its known channel effect."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from salesops_lib import load_dataset
from salesops_lib.data.sample import generate, parse_options

SMALL = {"accounts": 600, "reps": 10, "years": 2, "seed": 3}


@pytest.fixture(scope="module")
def frames():
    return generate(**SMALL)


def test_activities_are_tied_to_their_deals(frames):
    a, o = frames["activities"], frames["opportunities"].set_index("opportunity_id")
    assert len(a) > 3 * len(o)
    deal = o.loc[a["opportunity_id"]]
    assert (a["account_id"].to_numpy() == deal["account_id"].to_numpy()).all()
    assert (a["rep_id"].to_numpy() == deal["rep_id"].to_numpy()).all()
    assert (a["channel"].to_numpy() == deal["channel"].to_numpy()).all()
    assert (a["date"].to_numpy() >= deal["created_date"].to_numpy()).all()
    assert (a["date"].to_numpy() <= deal["close_date"].to_numpy()).all()
    assert (a["date"] <= frames["as_of"]).all()
    assert set(a["type"]) == {"call", "meeting", "visit", "email"}
    assert (a["duration_min"] >= 1).all()


def test_field_visits_fewer_longer_inside_calls_more_shorter(frames):
    a = frames["activities"]
    role = a["rep_id"].map(frames["reps"].set_index("rep_id")["role"])
    assert not ((role == "inside") & (a["type"] == "visit")).any()
    visits = a[(role == "field") & (a["type"] == "visit")]["duration_min"].mean()
    calls = a[(role == "inside") & (a["type"] == "call")]["duration_min"].mean()
    assert visits > 5 * calls
    o = frames["opportunities"]
    o_role = o["rep_id"].map(frames["reps"].set_index("rep_id")["role"])
    per = a.groupby("opportunity_id").size().reindex(o["opportunity_id"], fill_value=0).to_numpy()
    assert per[(o_role == "inside").to_numpy()].mean() > per[(o_role == "field").to_numpy()].mean()
    won, lost = (o["status"] == "won").to_numpy(), (o["status"] == "lost").to_numpy()
    assert per[won].mean() > 1.5 * per[lost].mean()


def test_activities_deterministic_and_deals_unchanged_by_the_default():
    a, b = generate(**SMALL), generate(**SMALL)
    pd.testing.assert_frame_equal(a["activities"], b["activities"])
    c = generate(**SMALL, channel_effect=None)
    pd.testing.assert_frame_equal(a["opportunities"], c["opportunities"])


def test_channel_effect_option():
    assert parse_options("sample")["channel_effect"] is None
    assert parse_options("sample:channel_effect=0.1,reps=8")["channel_effect"] == 0.1
    with pytest.raises(ValueError, match="channel_effect must be a number"):
        parse_options("sample:channel_effect=big")
    ds = load_dataset("sample:accounts=300,reps=6,years=1,channel_effect=0.2")
    assert ds.opportunities["status"].isin(["won", "lost", "open"]).all()
    # the option changes outcomes only: the same deals, amounts and dates
    base = generate(accounts=300, reps=6, years=1)["opportunities"]
    eff = generate(accounts=300, reps=6, years=1, channel_effect=0.2)["opportunities"]
    pd.testing.assert_series_equal(base["amount"], eff["amount"])
    assert not np.array_equal(base["status"], eff["status"])
