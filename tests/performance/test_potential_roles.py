"""Potential-adjusted performance judges each rep against reps of the same role.

Inside reps book a hundredth of what field reps book: one model over both gave every inside
rep the field's spread of errors (±$200k intervals on reps booking $15k on the sample), so no
inside rep could ever be flagged. Each role now has its own model when it has enough reps.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from salesops_lib import Dataset
from salesops_lib import performance as perf

POT = np.array([1000, 3000, 2000, 5000, 4000, 1500, 2500, 3500], float)
N_ACC = np.array([1, 2, 3, 1, 2, 3, 1, 2])
MONTHS = [3, 6, 12, 24, 5, 18, 30, 9]


def _org(inside_reps: int = 8, star: float = 40.0):
    """Eight field reps (bookings ≈ 100 + 0.5·potential + 20·accounts + 3·tenure ± $400) and
    ``inside_reps`` inside reps at a hundredth of the scale (± $2), the last inside rep
    booking ``star`` above its line."""
    rows = []
    field_noise = [300, -200, 100, -400, 250, -50, 150, -150]
    inside_noise = ([1, -1, 2, -2, 1, -1, 2, star] * 2)[:inside_reps - 1] + [star]
    for role, n, scale, noise in (("field", 8, 1.0, field_noise),
                                  ("inside", inside_reps, 0.01, inside_noise)):
        for i in range(n):
            rows.append({"rep_id": f"{role[0]}{i}", "role": role, "pot": POT[i % 8] * scale,
                         "acc": int(N_ACC[i % 8]), "months": MONTHS[i % 8], "noise": noise[i],
                         "scale": scale})
    r = pd.DataFrame(rows)
    hire = [pd.Timestamp("2026-09-30") - pd.DateOffset(months=m) for m in r["months"]]
    r["tenure"] = [(pd.Timestamp("2026-09-30") - h).days / 30.4375 for h in hire]
    r["y"] = r["scale"] * (100 + 0.5 * r["pot"] / r["scale"] + 20 * r["acc"]
                           + 3 * r["tenure"]) + r["noise"]
    reps = pd.DataFrame({"rep_id": r["rep_id"], "rep_name": r["rep_id"], "role": r["role"],
                         "hire_date": [h.strftime("%Y-%m-%d") for h in hire]})
    accounts = pd.DataFrame([{"account_id": f"{x.rep_id}-{j}", "account_name": "x",
                              "owner_rep_id": x.rep_id, "potential": x.pot / x.acc}
                             for x in r.itertuples() for j in range(x.acc)])
    opp = pd.DataFrame({"opportunity_id": [f"o{i}" for i in range(len(r))],
                        "account_id": [f"{x}-0" for x in r["rep_id"]], "rep_id": r["rep_id"],
                        "stage": "won", "status": "won", "amount": r["y"],
                        "created_date": "2026-07-01", "close_date": "2026-08-01"})
    ds = Dataset.from_frames(accounts=accounts, reps=reps, opportunities=opp,
                             as_of="2026-11-15")
    return ds, r


def test_each_role_has_its_own_model_and_its_own_outperformer():
    ds, r = _org()
    pa = perf.potential_adjusted(ds, "2026-Q3").set_index("rep_id")
    assert pa.attrs["models"] == ["field", "inside"]
    # hand-computed: the inside star judged by the line through the other seven inside reps
    ins = r[r["role"] == "inside"].reset_index(drop=True)
    X = np.column_stack([np.ones(len(ins)), ins["pot"], ins["acc"], ins["tenure"]])
    b, *_ = np.linalg.lstsq(X[:-1], ins["y"][:-1], rcond=None)
    assert pa.loc["i7", "expected"] == pytest.approx(X[-1] @ b, rel=1e-6)
    assert pa.loc["i7", "verdict"] == "above expectation"
    assert (pa.drop(index="i7")["verdict"] == "as expected").all()
    # the inside reps' intervals are on the inside scale, not the field's
    width = (pa["residual_high"] - pa["residual_low"]).groupby(pa["role"]).median()
    assert width["inside"] < width["field"] / 10
    model = perf.potential_model(ds, "2026-Q3")
    assert model["group"].unique().tolist() == ["field", "inside"]
    b_all, *_ = np.linalg.lstsq(X, ins["y"], rcond=None)
    assert model[model["group"] == "inside"]["coef"].to_numpy() == pytest.approx(b_all, rel=1e-6)


def test_one_model_over_all_reps_when_a_role_has_too_few():
    ds, _ = _org(inside_reps=3)
    pa = perf.potential_adjusted(ds, "2026-Q3")
    assert pa.attrs["models"] == ["all reps"] and len(pa) == 11
    assert perf.potential_model(ds, "2026-Q3")["group"].unique().tolist() == ["all reps"]
