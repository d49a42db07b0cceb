"""Territory design: metrics against hand-computed values, optima known by hand, every
constraint checked on the returned alignment, infeasible messages, planning, export, maps."""

from __future__ import annotations

import itertools
import math
import time

import numpy as np
import pandas as pd
import pytest

from salesops_lib import measures
from salesops_lib.data import Dataset
from salesops_lib.territory import alignment as T
from salesops_lib.territory import maps as TM
from salesops_lib.territory.cases import county_dataset
from salesops_lib.territory.geo import EARTH_RADIUS_KM, haversine_km, state_outlines

KM_PER_DEG = EARTH_RADIUS_KM * math.pi / 180          # along the equator
OPP_COLS = ["opportunity_id", "account_id", "rep_id", "stage", "status", "amount", "created_date"]


def make_ds(accounts: dict, reps: dict, opportunities: pd.DataFrame | None = None) -> Dataset:
    acc = pd.DataFrame(accounts)
    if "account_name" not in acc:
        acc["account_name"] = "Acct " + acc["account_id"]
    opp = opportunities if opportunities is not None else pd.DataFrame(columns=OPP_COLS)
    return Dataset.from_frames(accounts=acc, reps=pd.DataFrame(reps), opportunities=opp)


def equator_ds(potential, owners, homes, **extra) -> Dataset:
    """Accounts at longitude 0, 1, 2, ... on the equator; reps at the given longitudes."""
    n = len(potential)
    acc = {"account_id": [f"A{i}" for i in range(n)], "latitude": [0.0] * n,
           "longitude": [float(i) for i in range(n)], "potential": potential, "owner_rep_id": owners}
    acc.update(extra)
    reps = {"rep_id": [f"R{j + 1}" for j in range(len(homes))],
            "rep_name": [f"Rep {j + 1}" for j in range(len(homes))],
            "home_latitude": [0.0] * len(homes), "home_longitude": homes}
    return make_ds(acc, reps)


def loads(ds, assignment, col="potential", **kw):
    return T.evaluate(ds, assignment, **kw).territories.set_index("rep_id")[col]


def random_ds(n=40, reps=4, seed=1, **extra) -> Dataset:
    rng = np.random.default_rng(seed)
    acc = {"account_id": [f"A{i:03d}" for i in range(n)],
           "latitude": rng.uniform(30, 45, n), "longitude": rng.uniform(-110, -80, n),
           "potential": rng.integers(1, 20, n).astype(float) * 1000,
           "owner_rep_id": [f"R{j}" for j in rng.integers(0, reps, n)],
           "segment": rng.choice(["SMB", "Mid-Market", "Enterprise"], n),
           "employees": rng.integers(0, 5000, n).astype(float)}
    acc.update(extra)
    r = {"rep_id": [f"R{j}" for j in range(reps)], "rep_name": [f"Rep {j}" for j in range(reps)],
         "home_latitude": rng.uniform(30, 45, reps), "home_longitude": rng.uniform(-110, -80, reps)}
    return make_ds(acc, r)


# --------------------------------------------------------------------------------------------
# geometry and account measures
# --------------------------------------------------------------------------------------------
def test_haversine_known_distances_and_broadcasting():
    assert haversine_km(0, 0, 0, 1) == pytest.approx(KM_PER_DEG)
    assert haversine_km(40.7128, -74.0060, 34.0522, -118.2437) == pytest.approx(3936, abs=5)
    d = haversine_km(np.zeros((3, 1)), np.arange(3.0)[:, None], np.zeros((1, 2)), np.array([[0.0, 2.0]]))
    assert d.shape == (3, 2)
    assert d[2, 0] == pytest.approx(2 * KM_PER_DEG) and d[2, 1] == pytest.approx(0, abs=1e-9)


def test_workload_formula():
    acc = pd.DataFrame({"segment": ["Enterprise", "Mid-Market", "smb", None],
                        "employees": [10_000, 0, 900, np.nan]})
    w = T.account_workload(acc)
    assert w.tolist() == pytest.approx([40 * (1 + math.log10(101)), 20.0, 8 * 2.0, 12.0])


# --------------------------------------------------------------------------------------------
# evaluate
# --------------------------------------------------------------------------------------------
def test_evaluate_against_hand_computed_metrics():
    opp = pd.DataFrame({"opportunity_id": ["O1", "O2", "O3"], "account_id": ["A0", "A2", "A3"],
                        "rep_id": ["R1", "R1", "R2"], "stage": ["won", "won", "lost"],
                        "status": ["won", "won", "lost"], "amount": [100.0, 50.0, 70.0],
                        "created_date": ["2026-01-01"] * 3,
                        "close_date": ["2026-02-01", "2026-08-01", "2026-02-01"]})
    acc = {"account_id": ["A0", "A1", "A2", "A3"], "latitude": [0.0] * 4,
           "longitude": [0.0, 1.0, 2.0, 3.0], "potential": [10.0, 20.0, 30.0, 40.0],
           "owner_rep_id": ["R1", "R1", "R1", "R2"]}
    reps = {"rep_id": ["R1", "R2"], "rep_name": ["One", "Two"], "home_latitude": [0.0, 0.0],
            "home_longitude": [0.0, 3.0]}
    ds = make_ds(acc, reps, opp)
    today = T.evaluate(ds, T.current_alignment(ds))
    t, s = today.territories.set_index("rep_id"), today.summary
    assert t["accounts"].tolist() == [3, 1]
    assert t["potential"].tolist() == [60.0, 40.0]
    assert t["bookings"].tolist() == [150.0, 0.0]
    assert t.loc["R1", "travel_km"] == pytest.approx((20 * 1 + 30 * 2) * KM_PER_DEG / 60)
    assert t.loc["R2", "travel_km"] == pytest.approx(0.0, abs=1e-9)
    assert s["balance_max_over_mean"] == pytest.approx(1.2)
    assert s["balance_min_over_mean"] == pytest.approx(0.8)
    assert s["balance_max_over_min"] == pytest.approx(1.5)
    assert s["balance_cv"] == pytest.approx(0.2)              # std(60, 40) / 50
    assert s["share_within_10pct"] == 0.0
    assert s["travel_km"] == pytest.approx(80 * KM_PER_DEG / 100)
    # R1's potential-weighted centroid is near longitude 4/3; radius = sum p|x - 4/3| / 60
    assert t.loc["R1", "radius_km"] == pytest.approx((10 * 4 / 3 + 20 / 3 + 30 * 2 / 3) / 60 * KM_PER_DEG, rel=1e-3)
    assert s["disruption_accounts"] == 0 and s["disruption_potential"] == 0
    # propose A2 -> R2: 1 of 4 accounts and 30 of 100 potential move; bookings follow the account
    prop = pd.DataFrame({"account_id": ["A0", "A1", "A2", "A3"], "rep_id": ["R1", "R1", "R2", "R2"]})
    e = T.evaluate(ds, prop, period="2026-Q3")
    assert e.summary["disruption_accounts"] == pytest.approx(0.25)
    assert e.summary["disruption_potential"] == pytest.approx(0.30)
    assert e.territories.set_index("rep_id")["bookings"].tolist() == [0.0, 50.0]   # only O2 closed in Q3
    assert e.territories.set_index("rep_id")["accounts_gained"].tolist() == [0, 1]
    assert e.territories.set_index("rep_id")["accounts_lost"].tolist() == [1, 0]


def test_evaluate_contiguity_and_units():
    # a 2x2 grid of counties, two accounts each; R1 holds the diagonal -> not contiguous
    acc = {"account_id": [f"A{i}" for i in range(8)], "county": ["NW", "NW", "NE", "NE", "SW", "SW", "SE", "SE"],
           "latitude": [1, 1, 1, 1, 0, 0, 0, 0.0], "longitude": [0, 0, 1, 1, 0, 0, 1, 1.0],
           "potential": [1.0] * 8, "owner_rep_id": ["R1", "R1", "R2", "R2", "R2", "R2", "R1", "R1"]}
    reps = {"rep_id": ["R1", "R2"], "rep_name": ["a", "b"]}
    ds = make_ds(acc, reps)
    adj = pd.DataFrame({"unit": ["NW", "NW", "NE", "SW"], "neighbor": ["NE", "SW", "SE", "SE"]})
    s = T.evaluate(ds, T.current_alignment(ds), units="county", adjacency=adj).summary
    assert s["contiguity"] == 0.0
    by_unit = pd.DataFrame({"county": ["NW", "NE", "SW", "SE"], "rep_id": ["R1", "R1", "R2", "R2"]})
    e = T.evaluate(ds, by_unit, units="county", adjacency=adj)
    assert e.summary["contiguity"] == 1.0
    assert e.territories["accounts"].tolist() == [4, 4]


def test_evaluate_works_without_coordinates_potential_or_deals():
    ds = make_ds({"account_id": ["A", "B", "C"], "owner_rep_id": ["R1", "R2", "R2"]},
                 {"rep_id": ["R1", "R2"], "rep_name": ["a", "b"]})
    e = T.evaluate(ds, T.current_alignment(ds))
    assert e.territories["bookings"].sum() == 0
    assert e.summary["balance_max_over_mean"] == pytest.approx(4 / 3)   # one unit per account
    assert np.isnan(e.summary["travel_km"])


# --------------------------------------------------------------------------------------------
# optimize: optima known by hand
# --------------------------------------------------------------------------------------------
@pytest.mark.parametrize("method", ["exact", "heuristic"])
def test_line_optimum(method):
    ds = equator_ds([10.0] * 6, ["R1"] * 5 + ["R2"], homes=[0.0, 5.0])
    a = T.optimize(ds, tolerance=0.0, method=method)
    assert a["rep_id"].tolist() == ["R1", "R1", "R1", "R2", "R2", "R2"]
    # each rep covers its 3 nearest accounts: (0 + 1 + 2) degrees each, weight 10 + 1% of mean
    assert a.attrs["objective"] == pytest.approx(2 * 3 * 10.1 * KM_PER_DEG, rel=1e-6)
    assert a.attrs["gap"] == pytest.approx(0.0, abs=1e-6)
    assert a.attrs["status"] in ("optimal", "feasible")


def test_balance_band_holds_on_random_instance_both_methods():
    ds = random_ds(n=40, reps=4)
    for method in ("exact", "heuristic"):
        a = T.optimize(ds, tolerance=0.10, method=method, time_limit=20)
        p = loads(ds, a)
        assert ((p - p.mean()).abs() <= 0.10 * p.mean() + 1e-6).all(), (method, p)
    exact = T.optimize(ds, tolerance=0.10, method="exact", time_limit=20)
    heur = T.optimize(ds, tolerance=0.10, method="heuristic", time_limit=20)
    assert heur.attrs["objective"] >= exact.attrs["bound"] - 1e-6
    assert heur.attrs["bound"] <= exact.attrs["objective"] + 1e-6


def test_workload_balance_and_hour_capacity():
    ds = random_ds(n=30, reps=3, seed=4)
    work = T.account_workload(ds.accounts).sum()
    caps = [work * 0.36, work * 0.36, work * 0.30]       # R2 may hold at most 30% of the hours
    r = ds.reps.assign(capacity=caps)
    capped = Dataset.from_frames(accounts=ds.accounts, reps=r, opportunities=ds.opportunities)
    a = T.optimize(capped, balance_on="potential", tolerance=0.25, capacity_unit="hours", method="exact")
    w = loads(capped, a, "workload")
    assert (w.to_numpy() <= np.array(caps) + 1e-6).all()
    with pytest.raises(T.InfeasibleError, match="capacities are too small"):
        T.optimize(capped, balance_on="workload", tolerance=0.05, capacity_unit="hours")
    b = T.optimize(ds, balance_on="workload", tolerance=0.05, method="heuristic")
    w = loads(ds, b, "workload")
    assert ((w - w.mean()).abs() <= 0.05 * w.mean() + 1e-6).all()


def test_fte_capacity_scales_targets():
    ds = equator_ds([10.0] * 6, ["R1"] * 3 + ["R2"] * 3, homes=[0.0, 5.0])
    r = ds.reps.assign(capacity=[2.0, 1.0])                 # R1 is two FTE
    ds = Dataset.from_frames(accounts=ds.accounts, reps=r, opportunities=ds.opportunities)
    a = T.optimize(ds, tolerance=0.0)
    assert loads(ds, a).tolist() == [40.0, 20.0]


def test_locks_keep_owner():
    ds = equator_ds([10.0] * 6, ["R2"] * 6, homes=[0.0, 5.0])
    a = T.optimize(ds, tolerance=0.0, locked="A0, A1")
    got = a.set_index("account_id")["rep_id"]
    assert got["A0"] == "R2" and got["A1"] == "R2"
    assert loads(ds, a).tolist() == [30.0, 30.0]
    h = T.optimize(ds, tolerance=0.0, locked=["A0"], method="heuristic")
    assert h.set_index("account_id").loc["A0", "rep_id"] == "R2"


def test_disruption_cap_holds():
    ds = random_ds(n=40, reps=4, seed=7)
    free = T.evaluate(ds, T.optimize(ds, tolerance=0.15, time_limit=20)).summary["disruption_accounts"]
    capped = T.optimize(ds, tolerance=0.15, max_disruption=0.5, time_limit=20)
    e = T.evaluate(ds, capped).summary
    assert e["disruption_accounts"] <= 0.5 + 1e-9
    assert e["max_deviation"] <= 0.15 + 1e-9
    assert free > 0
    pen = T.optimize(ds, tolerance=0.15, disruption_penalty_km=5000, time_limit=20)
    assert T.evaluate(ds, pen).summary["disruption_accounts"] <= free + 1e-9


def contiguous_partitions_cost(ds, adj, tol):
    """Brute force over all 2-rep assignments of 4 path units: the best contiguous one."""
    p = T.build_problem(ds, tolerance=tol, adjacency=adj)
    best = (np.inf, None)
    for combo in itertools.product(range(2), repeat=p.n):
        a = np.array(combo)
        if not T.territory_contiguity(p.adjacency, a, 2).all():
            continue
        load = np.bincount(a, p.balance["potential"], 2)
        if (np.abs(load / load.mean() - 1) > tol + 1e-9).any():
            continue
        cost = p.cost(np.arange(p.n), a).sum()
        best = min(best, (cost, tuple(a)), key=lambda x: x[0])
    return best


@pytest.mark.parametrize("method", ["exact", "heuristic"])
def test_contiguity_changes_the_optimum(method):
    # path A0-A1-A2-A3; A0 and A2 sit at R1's home, A1 and A3 at R2's: without the graph R1
    # takes {A0, A2}; with it the territories must be {A0, A1} and {A2, A3} (in some order)
    acc = {"account_id": ["A0", "A1", "A2", "A3"], "latitude": [0.0] * 4,
           "longitude": [0.0, 5.0, 0.1, 5.1], "potential": [1.0] * 4, "owner_rep_id": ["R1"] * 4}
    reps = {"rep_id": ["R1", "R2"], "rep_name": ["a", "b"], "home_latitude": [0.0, 0.0],
            "home_longitude": [0.0, 5.0]}
    ds = make_ds(acc, reps)
    adj = pd.DataFrame({"unit": ["A0", "A1", "A2"], "neighbor": ["A1", "A2", "A3"]})
    loose = T.optimize(ds, tolerance=0.0, method=method)
    assert loose["rep_id"].tolist() == ["R1", "R2", "R1", "R2"]
    tight = T.optimize(ds, tolerance=0.0, adjacency=adj, method=method)
    assert T.evaluate(ds, tight, adjacency=adj).summary["contiguity"] == 1.0
    best_cost, _ = contiguous_partitions_cost(ds, adj, 0.0)
    assert tight.attrs["objective"] == pytest.approx(best_cost, rel=1e-6)


def test_units_are_assigned_whole_and_contiguous():
    rng = np.random.default_rng(3)
    cells = [(r, c) for r in range(4) for c in range(4)]
    rows = []
    for k, (r, c) in enumerate(cells):
        for j in range(3):
            rows.append({"account_id": f"A{k}-{j}", "zip3": f"Z{r}{c}", "latitude": 40 + r + rng.uniform(-.3, .3),
                         "longitude": -100 + c + rng.uniform(-.3, .3), "potential": float(rng.integers(5, 15)),
                         "owner_rep_id": "R1"})
    acc = pd.DataFrame(rows)
    reps = {"rep_id": ["R1", "R2", "R3"], "rep_name": list("abc"), "home_latitude": [40, 43, 41.5],
            "home_longitude": [-100, -100, -97]}
    ds = make_ds(acc.to_dict("list"), reps)
    adj = pd.DataFrame([{"unit": f"Z{r}{c}", "neighbor": f"Z{r + dr}{c + dc}"}
                        for r, c in cells for dr, dc in ((0, 1), (1, 0)) if r + dr < 4 and c + dc < 4])
    for method in ("exact", "heuristic"):
        a = T.optimize(ds, tolerance=0.2, units="zip3", adjacency=adj, method=method, time_limit=30)
        assert list(a.columns) == ["zip3", "rep_id"] and len(a) == 16
        e = T.evaluate(ds, a, units="zip3", adjacency=adj)
        assert e.summary["contiguity"] == 1.0
        assert e.summary["max_deviation"] <= 0.2 + 1e-9
        per_unit = T.to_accounts(ds, a).groupby(ds.accounts["zip3"]).nunique()
        assert (per_unit == 1).all()


# --------------------------------------------------------------------------------------------
# infeasible settings
# --------------------------------------------------------------------------------------------
def test_one_account_too_big_for_the_band():
    ds = equator_ds([80.0, 10.0, 10.0, 10.0, 10.0], ["R1"] * 5, homes=[0.0, 2.0, 4.0])
    with pytest.raises(T.InfeasibleError) as err:
        T.optimize(ds, tolerance=0.05)
    msg = str(err.value)
    # mean = 120 / 3 = 40: A0 holds 2.0x; at most floor(120 * 1.05 / 80) = 1 territory
    assert "Acct A0 alone holds 2.0× the mean potential of 3 territories ($80 vs a mean of $40)" in msg
    # A0 needs 80 / 40 - 1 = 100%: said as the page says a band, never as "tolerance 1.00"
    assert "at most 1 territories" in msg and "or a band of at least ±100%," in msg
    assert "tolerance of at least" not in msg and "1.00" not in msg


def test_short_numbers_carry_their_unit():
    from salesops_lib.territory.problem import _fmt
    assert _fmt(11.7e9, "potential") == "$11.7B" and _fmt(-2.5e6, "potential") == "-$2.5M"
    assert _fmt(950, "potential", "annual_revenue") == "$950"
    assert _fmt(12_000, "potential", "accounts") == "12.0k"     # a count: never "$"
    assert _fmt(1_234, "workload") == "1.2k h" and _fmt(35, "accounts") == "35"


def test_disruption_cap_too_tight_says_how_far_to_raise_it():
    ds = equator_ds([10.0] * 6, ["R1"] * 5 + ["R2"], homes=[0.0, 5.0])
    with pytest.raises(T.InfeasibleError, match=r"at least 33\.3% must move; raise the disruption cap to 34%"):
        T.optimize(ds, tolerance=0.0, max_disruption=0.1)


def test_tolerance_too_tight_reports_the_tightest_possible():
    # two reps, three equal accounts: best split is 20/10 -> +-33%
    ds = equator_ds([10.0] * 3, ["R1"] * 3, homes=[0.0, 2.0])
    with pytest.raises(T.InfeasibleError, match=r"whole units|tightest possible"):
        T.optimize(ds, tolerance=0.05, method="exact")


def test_locked_accounts_beyond_the_band():
    ds = equator_ds([10.0] * 4, ["R1"] * 4, homes=[0.0, 3.0])
    with pytest.raises(T.InfeasibleError, match="locked to rep R1 hold 1.50× the mean"):
        T.optimize(ds, tolerance=0.1, locked="A0,A1,A2")


# --------------------------------------------------------------------------------------------
# planning, export, verdict
# --------------------------------------------------------------------------------------------
def test_reps_needed_formula():
    ds = make_ds({"account_id": list("ABCD"), "segment": ["SMB", "SMB", "Enterprise", "Enterprise"],
                  "employees": [0, 0, 0, 0], "region": ["E", "E", "W", "W"],
                  "owner_rep_id": ["R1", "R1", "R2", "R2"]},
                 {"rep_id": ["R1", "R2"], "rep_name": ["a", "b"]})
    out = T.reps_needed(ds, target_workload=30, by="region").set_index("group")
    assert out.loc["E", "workload"] == 16 and out.loc["E", "reps_needed"] == 1
    assert out.loc["W", "workload"] == 80 and out.loc["W", "reps_needed"] == 3
    assert out.loc["W", "gap"] == 2


def test_what_if_adds_and_removes_reps():
    ds = random_ds(n=40, reps=4, seed=2)
    plan = T.what_if(ds, add_reps=1, remove_reps="R0", tolerance=0.2, max_disruption=0.6, time_limit=20)
    assert set(plan.reps["rep_id"]) == {"R1", "R2", "R3", "NEW-01"}
    got = T.to_accounts(ds, plan.assignment)
    assert "R0" not in set(got) and "NEW-01" in set(got)
    e = T.evaluate(ds, plan.assignment, reps=plan.reps)
    assert e.summary["territories"] == 4 and e.summary["max_deviation"] <= 0.2 + 1e-9
    forced = (ds.accounts["owner_rep_id"] == "R0").mean()
    voluntary = ((got != ds.accounts["owner_rep_id"]) & (ds.accounts["owner_rep_id"] != "R0")).mean()
    assert voluntary <= 0.6 + 1e-9 and forced > 0
    assert np.isfinite(e.territories.set_index("rep_id").loc["NEW-01", "travel_km"])


def test_export_frames_and_csv(tmp_path):
    ds = equator_ds([10.0, 20.0, 30.0], ["R1", "R1", "R2"], homes=[0.0, 2.0])
    prop = pd.DataFrame({"account_id": ["A0", "A1", "A2"], "rep_id": ["R1", "R2", "R2"]})
    moved = T.moved_accounts(ds, prop)
    assert moved.to_dict("records") == [{"account_id": "A1", "account_name": "Acct A1",
                                         "old_rep_id": "R1", "new_rep_id": "R2", "potential": 20.0}]
    paths = T.write_alignment(ds, prop, tmp_path / "out")
    back = pd.read_csv(paths["alignment"])
    assert list(back.columns) == ["account_id", "account_name", "rep_id", "rep_name"]
    assert back["rep_name"].tolist() == ["Rep 1", "Rep 2", "Rep 2"]
    assert pd.read_csv(paths["moved_accounts"])["new_rep_id"].tolist() == ["R2"]
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["alignment.csv", "moved_accounts.csv"]


def test_verdict_and_compare():
    before = pd.Series({"balance_max_over_min": 2.3, "travel_km": 420.0, "territories": 5})
    after = pd.Series({"max_deviation": 0.048, "disruption_accounts": 0.11,
                       "disruption_potential": 0.14, "travel_km": 180.0, "balance_max_over_min": 1.1})
    assert T.verdict(before, after, 0.05) == (
        "Today the largest territory holds 2.3× the potential of the smallest; the proposal brings "
        "every territory within ±5% of the mean while moving 11% of accounts (14% of potential), "
        "and cuts potential-weighted travel from 420 km to 180 km.")
    table = T.compare(before, after)
    assert table.iloc[0].tolist() == ["Largest / smallest territory (potential)", "2.30×", "1.10×"]


# --------------------------------------------------------------------------------------------
# maps (Agg backend)
# --------------------------------------------------------------------------------------------
def test_maps_and_balance_chart_render():
    import matplotlib.figure

    ds = random_ds(n=30, reps=3)
    today = T.current_alignment(ds)
    prop = T.optimize(ds, tolerance=0.2)
    f1 = TM.plot_territories(T.map_frame(ds, today), ds.reps, title="Today")
    f2 = TM.plot_alignment_comparison(T.map_frame(ds, today), T.map_frame(ds, prop), ds.reps,
                                      summaries=(T.evaluate(ds, today).summary, T.evaluate(ds, prop).summary))
    ch = T.rep_changes(T.evaluate(ds, today).territories, T.evaluate(ds, prop).territories)
    f3 = TM.plot_balance(ch, 0.2)
    for f in (f1, f2, f3):
        assert isinstance(f, matplotlib.figure.Figure)
    assert len(f2.axes) == 2 and f2.axes[0].get_title(loc="left") == "Today"
    colors = TM.territory_colors(T.map_frame(ds, prop))
    assert len(set(colors.values())) == 3


def test_state_outlines_offline_when_available():
    o = state_outlines()
    if o is None:
        pytest.skip("plotly-geo not installed")
    assert o.shape[1] == 2 and np.nanmin(o[:, 1]) < 25 and np.nanmax(o[:, 0]) > -67


# --------------------------------------------------------------------------------------------
# real data: US counties as accounts
# --------------------------------------------------------------------------------------------
def test_counties_50_territories_fail_fast(shared_data):
    ds, adj = county_dataset(shared_data, 50)
    t0 = time.perf_counter()
    with pytest.raises(T.InfeasibleError, match=r"Los Angeles County, CA alone holds 1\.6× the mean potential"):
        T.optimize(ds, adjacency=adj)
    assert time.perf_counter() - t0 < 10


def test_texas_counties_contiguous_and_balanced(shared_data):
    ds, adj = county_dataset(shared_data, 5, states=["TX"])
    assert len(ds.accounts) == 254 and ds.opportunities.empty
    a = T.optimize(ds, tolerance=0.05, adjacency=adj, time_limit=40)
    e = T.evaluate(ds, a, adjacency=adj)
    assert e.summary["contiguity"] == 1.0
    assert e.summary["max_deviation"] <= 0.05 + 1e-9
    assert a.attrs["gap"] < 0.5


def test_pruned_lp_is_priced_up_to_the_full_lp_bound():
    """Several reps share one home: each unit's nearest reps leave some reps without any arc.
    The soft-band LP on the pruned arcs, priced with its duals, must reach the full LP value."""
    from salesops_lib.territory import solver as S

    rng = np.random.default_rng(5)
    n, R = 80, 8
    acc = {"account_id": [f"A{i:02d}" for i in range(n)], "latitude": rng.uniform(30, 45, n),
           "longitude": rng.uniform(-110, -80, n), "potential": rng.integers(1, 9, n) * 100.0,
           "owner_rep_id": ["R0"] * n}
    homes = [(40.0, -100.0)] * 5 + [(33.0, -85.0), (44.0, -82.0), (31.0, -108.0)]
    reps = {"rep_id": [f"R{j}" for j in range(R)], "rep_name": [f"Rep {j}" for j in range(R)],
            "home_latitude": [h[0] for h in homes], "home_longitude": [h[1] for h in homes]}
    p = T.build_problem(make_ds(acc, reps), tolerance=0.05)
    full = S.run_lp(p)
    I, Rr = S.nearest_arcs(p, 2, per_rep=2)
    assert len(I) < n * R
    status, I, Rr, _x, bound, valid = S.lp_relaxation(p, I, Rr)
    assert status == "optimal" and valid
    assert bound == pytest.approx(full[2] * p.cost_scale, rel=1e-6)


# --------------------------------------------------------------------------------------------
# capacity-scaled targets (FTE): the page judges what the optimiser balanced
# --------------------------------------------------------------------------------------------
def with_capacity(ds, caps) -> Dataset:
    return Dataset.from_frames(accounts=ds.accounts, reps=ds.reps.assign(capacity=caps),
                               opportunities=ds.opportunities)


def test_capacity_shares():
    assert T.capacity_shares([0.5, 1.0, 1.5]).tolist() == pytest.approx([0.5, 1.0, 1.5])
    assert T.capacity_shares([2.0, np.nan, 1.0]).tolist() == pytest.approx([4 / 3, 1.0, 2 / 3])
    assert T.capacity_shares([0.5, 2.0], "hours").tolist() == [1.0, 1.0]
    with pytest.raises(ValueError, match="capacity_unit must be 'fte' or 'hours'"):
        T.capacity_shares([1.0], "days")


def test_evaluate_measures_balance_against_capacity_scaled_targets():
    # R1 is 2 FTE, R2 is 1 FTE: shares 4/3 and 2/3 of a mean of 30 -> targets 40 and 20
    ds = with_capacity(equator_ds([10.0] * 6, ["R1"] * 4 + ["R2"] * 2, homes=[0.0, 5.0]), [2.0, 1.0])
    e = T.evaluate(ds, T.current_alignment(ds))
    t, s = e.territories.set_index("rep_id"), e.summary
    assert t["target_potential"].tolist() == pytest.approx([40.0, 20.0])
    assert t["potential_index"].tolist() == pytest.approx([1.0, 1.0])
    assert s["max_deviation"] == pytest.approx(0.0) and s["balance_cv"] == pytest.approx(0.0)
    assert s["balance_max_over_min"] == pytest.approx(1.0) and s["share_within_10pct"] == 1.0
    assert s["capacity_scaled"] == 1.0
    # 3 and 3 accounts: loads 30/30 against 40/20 -> y = 0.75 and 1.5
    even = pd.DataFrame({"account_id": [f"A{i}" for i in range(6)], "rep_id": ["R1"] * 3 + ["R2"] * 3})
    s = T.evaluate(ds, even).summary
    assert s["max_deviation"] == pytest.approx(0.5)
    assert s["balance_max_over_min"] == pytest.approx(2.0)
    assert s["balance_cv"] == pytest.approx(math.sqrt((0.25 ** 2 + 0.5 ** 2) / 2))
    # hours: a ceiling, not a share -> plain mean
    assert T.evaluate(ds, even, capacity_unit="hours").summary["max_deviation"] == pytest.approx(0.0)


def test_part_time_reps_balanced_within_the_band_read_as_met():
    ds = with_capacity(random_ds(n=60, reps=4, seed=11), [0.5, 1.0, 1.5, 1.0])
    sol = T.solve(ds, tolerance=0.05, time_limit=20)
    assert sol.band_met
    today = T.evaluate(ds, T.current_alignment(ds)).summary
    after = T.evaluate(ds, sol.assignment).summary
    assert after["max_deviation"] <= 0.05 + 1e-9
    plain = T.evaluate(ds, sol.assignment, capacity_unit="hours").summary["max_deviation"]
    assert plain > 0.3                       # against the plain mean it would read as a miss
    text = T.verdict(today, after, 0.05)
    assert "the proposal brings every territory within ±5% of its target (scaled to each rep's capacity)" in text
    assert "not reached" not in text
    assert T.kpi_cards(after)[1][1] == f"±{after['max_deviation']:.1%}"
    assert T.decision(today, after, None, 0.05, solution=sol).verdict != "reject"


# --------------------------------------------------------------------------------------------
# modules, the result object, empty strings, names
# --------------------------------------------------------------------------------------------
def test_solution_carries_status_where_attrs_do_not_survive():
    ds = equator_ds([10.0] * 6, ["R1"] * 5 + ["R2"], homes=[0.0, 5.0])
    sol = T.solve(ds, tolerance=0.0)
    assert isinstance(sol, T.Solution) and sol.band_met
    assert sol.status in ("optimal", "feasible") and sol.gap == pytest.approx(0.0, abs=1e-6)
    assert list(sol.assignment.columns) == ["account_id", "rep_id"]
    frame = T.optimize(ds, tolerance=0.0)
    assert frame.attrs["status"] == sol.status and frame.attrs["method"] == sol.method
    merged = frame.merge(ds.accounts[["account_id", "potential"]], on="account_id")
    assert "status" not in merged.attrs             # pandas drops attrs on merge...
    assert sol.facts()["status"] == sol.status      # ...the Solution keeps them
    # a unit frame that lost its attrs still maps back to accounts
    units = pd.DataFrame({"zone": ["a", "b"], "rep_id": ["R1", "R2"]})
    zoned = Dataset.from_frames(accounts=ds.accounts.assign(zone=list("aaabbb")), reps=ds.reps,
                                opportunities=ds.opportunities)
    assert T.to_accounts(zoned, units).tolist() == ["R1"] * 3 + ["R2"] * 3


def test_empty_strings_mean_none():
    ds = random_ds(n=20, reps=2, seed=3)
    assert T.scope(ds, role="") is ds
    a = T.optimize(ds, tolerance=0.2, locked="", units="")
    assert list(a.columns) == ["account_id", "rep_id"]
    plan = T.what_if(ds, remove_reps="", tolerance=0.2)
    assert set(plan.reps["rep_id"]) == {"R0", "R1"} and plan.solution.band_met


def test_rep_labels_tell_namesakes_apart():
    reps = pd.DataFrame({"rep_id": ["R1", "R2", "R3", "R4", "R5"],
                         "rep_name": ["Elena Larsen", "Elena Larsen", "Bo Chan", "Ann Lee", "Ann Lee"],
                         "team": ["West", "East", "West", "West", "West"]})
    assert T.rep_labels(reps).tolist() == ["Elena Larsen (West)", "Elena Larsen (East)", "Bo Chan",
                                           "Ann Lee (R4)", "Ann Lee (R5)"]
    # the one definition every page uses
    assert T.rep_labels(reps).tolist() == measures.rep_display_names(reps).tolist()


def test_at_risk_hand_computed():
    opp = pd.DataFrame({"opportunity_id": ["O1", "O2", "O3"], "account_id": ["A0", "A1", "A0"],
                        "rep_id": ["R1", "R1", "R1"], "stage": ["won", "open", "won"],
                        "status": ["won", "open", "won"], "amount": [100.0, 40.0, 7.0],
                        "created_date": ["2025-01-01"] * 3,
                        "close_date": ["2026-08-01", "2026-12-01", "2025-02-01"]})
    acc = {"account_id": ["A0", "A1", "A2", "A3"], "latitude": [0.0] * 4, "longitude": [0.0, 1, 2, 3],
           "potential": [30.0, 30.0, 20.0, 20.0], "owner_rep_id": ["R1", "R1", "R1", "R2"]}
    reps = {"rep_id": ["R1", "R2"], "rep_name": ["One", "Two"]}
    ds = make_ds(acc, reps, opp)
    prop = pd.DataFrame({"account_id": ["A0", "A1", "A2", "A3"], "rep_id": ["R2", "R2", "R1", "R1"]})
    r = T.at_risk(ds, prop, period="2026-Q3").set_index("rep_id")
    # R1 hands over A0 + A1 = 60 of 80; bookings in Q3 on them: O1 (100, O3 closed in 2025);
    # open pipeline: O2 (40)
    assert r.loc["R1", "share_lost"] == pytest.approx(0.75) and bool(r.loc["R1", "flagged"])
    assert r.loc["R1", "bookings_at_risk"] == 100.0 and r.loc["R1", "pipeline_at_risk"] == 40.0
    assert r.loc["R2", "share_lost"] == 1.0 and r.loc["R2", "accounts_lost"] == 1
    assert T.at_risk(ds, prop).loc[lambda f: f.rep_id == "R1", "bookings_at_risk"].item() == 107.0


def test_at_risk_counts_only_the_reps_own_bookings_and_pipeline():
    """"Morgan Hughes … $677.2k booked … on the accounts that move" while his own 2026-Q3
    bookings were $661.0k: the figure added every rep's wins on those accounts. A hand-over
    puts the rep's own deals at stake, so only those count, and the rep's figure is part of
    their own bookings."""
    opp = pd.DataFrame({"opportunity_id": ["O1", "O2", "O3", "O4", "O5"],
                        "account_id": ["A0", "A0", "A1", "A1", "A2"],
                        "rep_id": ["R1", "R3", "R1", "R3", "R1"],     # R3: an inside colleague
                        "stage": ["won", "won", "open", "open", "won"],
                        "status": ["won", "won", "open", "open", "won"],
                        "amount": [100.0, 500.0, 40.0, 900.0, 30.0],
                        "created_date": ["2026-07-01"] * 5,
                        "close_date": ["2026-08-01", "2026-08-15", "2026-12-01", "2026-12-01",
                                       "2026-09-01"]})
    acc = {"account_id": ["A0", "A1", "A2", "A3"], "latitude": [0.0] * 4,
           "longitude": [0.0, 1, 2, 3], "potential": [30.0, 30.0, 20.0, 20.0],
           "owner_rep_id": ["R1", "R1", "R1", "R2"]}
    reps = {"rep_id": ["R1", "R2", "R3"], "rep_name": ["One", "Two", "Three"]}
    ds = make_ds(acc, reps, opp)
    prop = pd.DataFrame({"account_id": ["A0", "A1", "A2", "A3"], "rep_id": ["R2", "R2", "R1", "R1"]})
    r = T.at_risk(ds, prop, period="2026-Q3", as_of="2026-09-30").set_index("rep_id")
    # R1 hands over A0 and A1: own won O1 (100; R3's 500 is not R1's), own open O3 (40; not R3's 900)
    assert r.loc["R1", "bookings_at_risk"] == 100.0 and r.loc["R1", "pipeline_at_risk"] == 40.0
    own = ds.opportunities.query("rep_id == 'R1' and status == 'won'")["amount"].sum()
    assert r.loc["R1", "bookings_at_risk"] <= own == 130.0
    # what each rep holds in the proposal: R1 keeps A2 and takes A3 (40), R2 gets A0 + A1 (60)
    assert r.loc["R1", "potential_proposed"] == 40.0 and r.loc["R2", "potential_proposed"] == 60.0
    assert r.loc["R2", "share_lost"] == 1.0 and r.loc["R2", "potential_proposed"] > r.loc["R2", "potential_today"]
    assert T.at_risk(ds, prop, period="2026-Q3").attrs["period"] == "2026-Q3"
    # the table says whose bookings, and of which period
    html = T.risk_table(T.at_risk(ds, prop, period="2026-Q3")).to_html()
    assert "Their own 2026-Q3 bookings on those accounts" in html and ">$100<" in html
