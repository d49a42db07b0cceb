"""Territory design benchmark: our optimiser vs PySAL spopt, and scaling on sample orgs.

Run from the repository root (not collected by pytest)::

    .venv/bin/python benchmarks/territory.py            # everything
    .venv/bin/python benchmarks/territory.py --quick    # skip spopt and the 100k org

Prints, side by side:

1. the 3,109 counties of the contiguous US (``../shared/data/us_census_gazetteer_2010`` +
   ``us_county_adjacency``), potential = 2010 population, one rep at each of the 20 most
   populous counties, 20 contiguous territories within ±1%: balance, compactness, contiguity,
   time and the search's stages (first pass, recombination chains) for
   ``territory.optimize`` and for spopt's ``WardSpatial``, ``Skater`` and ``RegionKMeansHeuristic``
   (20 regions on centroid coordinates, for compactness) and ``MaxPHeuristic`` (population floor
   at 95% of the mean, the closest spopt has to a balance band), each given ``--budget`` seconds;
2. the 50-territory request that must fail fast;
3. a mid-sized contiguous case (156 grid cells, 8 territories, ±2%): the search against the
   exact flow MILP with the same 30 s;
4. sample orgs of 1k, 10k and 100k accounts: time and gap to the LP bound.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

from salesops_lib import load_dataset
from salesops_lib import territory as T
from salesops_lib.territory.cases import county_dataset, grid_dataset

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "data"


def counties(n_reps: int):
    """Counties of the contiguous US as accounts, reps at the ``n_reps`` most populous."""
    return county_dataset(SHARED, n_reps)


def row(name, ds, assignment, adj, seconds, extra=""):
    s = T.evaluate(ds, assignment, adjacency=adj).summary
    return {"method": name, "territories": int(s["territories"]),
            "max/mean": round(s["balance_max_over_mean"], 3), "min/mean": round(s["balance_min_over_mean"], 3),
            "max dev": f"±{s['max_deviation']:.1%}", "CV": f"{s['balance_cv']:.1%}",
            "within ±10%": f"{s['share_within_10pct']:.0%}", "contiguous": f"{s['contiguity']:.0%}",
            "compactness km": round(s["compactness_km"]), "seconds": round(seconds, 1), "note": extra}


def _spopt_labels(method, X, pop, neighbors, n, queue):
    """Child process: one spopt regionalisation; puts (labels, seconds) on ``queue``."""
    import geopandas as gpd
    import libpysal
    from spopt.region import MaxPHeuristic, RegionKMeansHeuristic, Skater, WardSpatial

    w = libpysal.weights.W(neighbors, silence_warnings=True)
    gdf = gpd.GeoDataFrame({"x": X[:, 0], "y": X[:, 1], "pop": pop},
                           geometry=gpd.points_from_xy(X[:, 0], X[:, 1]))
    np.random.seed(0)
    t0 = time.perf_counter()
    if method == "WardSpatial":
        m = WardSpatial(gdf, w, ["x", "y"], n_clusters=n)
    elif method == "Skater":
        m = Skater(gdf, w, ["x", "y"], n_clusters=n)
    elif method == "RegionKMeansHeuristic":
        m = RegionKMeansHeuristic(X, n, w)
    else:  # MaxP: every region at least 95% of the mean population, as many regions as possible
        m = MaxPHeuristic(gdf, w, ["x", "y"], "pop", 0.95 * pop.sum() / n, top_n=2,
                          max_iterations_construction=2, max_iterations_sa=1)
    m.solve()
    queue.put((np.asarray(m.labels_), time.perf_counter() - t0))


def spopt_runs(ds, adj, n, budget):
    """spopt regionalisations on the same county graph, each in a child process that is
    stopped after ``budget`` seconds. Yields ``(name, assignment or None, seconds)``."""
    import multiprocessing as mp

    acc = ds.accounts.reset_index(drop=True)
    ids = acc["account_id"].astype(str).tolist()
    pos = {a: i for i, a in enumerate(ids)}
    neighbors = {i: set() for i in range(len(ids))}
    for u, v in zip(adj["unit"], adj["neighbor"]):
        neighbors[pos[u]].add(pos[v])
        neighbors[pos[v]].add(pos[u])
    neighbors = {k: sorted(v) for k, v in neighbors.items()}
    lat, lon = acc["latitude"].to_numpy(float), acc["longitude"].to_numpy(float)
    X = np.c_[lon * np.cos(np.radians(38.0)), lat]       # equirectangular, compact regions
    pop = acc["potential"].to_numpy(float)
    ctx = mp.get_context("fork")
    for method in ("WardSpatial", "Skater", "MaxPHeuristic", "RegionKMeansHeuristic"):
        q = ctx.Queue()
        proc = ctx.Process(target=_spopt_labels, args=(method, X, pop, neighbors, n, q))
        t0 = time.perf_counter()
        proc.start()
        try:
            labels, secs = q.get(timeout=budget)
        except Exception:  # noqa: BLE001 - queue.Empty: the method did not finish in time
            labels, secs = None, time.perf_counter() - t0
        proc.join(1)
        if proc.is_alive():
            proc.terminate()
            proc.join()
        name = f"spopt {method}"
        if labels is None:
            yield name, None, secs
        else:
            yield name, pd.DataFrame({"account_id": ids, "rep_id": [f"S{int(x):03d}" for x in labels]}), secs


def _search_note(sol):
    st = sol.stages
    first = st.get("first_pass_max_deviation")
    if first is None:
        return f"{sol.method}, {sol.status}"
    return (f"{sol.method}, {sol.status}; first pass ±{first:.1%} in {st['first_pass_seconds']:.1f} s, "
            f"then {st.get('chains_kept', 0)}/{st.get('chains', 0)} recombination chains kept, "
            f"{st.get('restarts', 0)} restarts; gap to LP bound {sol.gap:.1%}"
            + ("" if sol.bound_valid else " (bound not proven)"))


def bench_counties(with_spopt: bool, budget: float = 120.0, tolerance: float = 0.01):
    ds, adj = counties(20)
    t0 = time.perf_counter()
    sol = T.solve(ds, tolerance=tolerance, adjacency=adj, time_limit=55)
    t = time.perf_counter() - t0
    rows = [row(f"salesops territory.optimize (±{tolerance:.0%})", ds, sol.assignment, adj, t,
                _search_note(sol))]
    if with_spopt:
        for name, assignment, secs in spopt_runs(ds, adj, 20, budget):
            if assignment is None:
                rows.append({"method": name, "seconds": round(secs, 1),
                             "note": f"did not finish within the {budget:.0f} s budget"})
            else:
                rows.append(row(name, ds, assignment, adj, secs))
    return pd.DataFrame(rows)


def bench_mid_sized(tolerance: float = 0.02, time_limit: float = 30.0, with_exact: bool = True):
    """156 grid cells, 8 contiguous territories: the search (auto picks it) against the exact
    flow MILP given the same time, in the same process."""
    ds, adj = grid_dataset(12, 13, 8, seed=0)
    rows = []
    for method in ("auto", "exact") if with_exact else ("auto",):
        t0 = time.perf_counter()
        try:
            sol = T.solve(ds, tolerance=tolerance, adjacency=adj, method=method, time_limit=time_limit)
        except T.InfeasibleError as exc:
            rows.append({"method": f"exact MILP (flow contiguity), {time_limit:.0f} s", "seconds":
                         round(time.perf_counter() - t0, 1), "note": str(exc)[:90]})
            continue
        t = time.perf_counter() - t0
        if method == "exact" and sol.method != "milp":
            # optimize falls back to the search when the MILP has no incumbent: say so
            rows.append({"method": f"exact MILP (flow contiguity), {time_limit:.0f} s",
                         "seconds": round(t, 1), "note": "no alignment found within the limit "
                         "(optimize then falls back to the search)"})
            continue
        name = ("salesops territory.optimize (search)" if method == "auto"
                else f"exact MILP (flow contiguity), {time_limit:.0f} s")
        note = _search_note(sol) if method == "auto" else f"{sol.status}, gap {sol.gap:.1%}"
        rows.append(row(name, ds, sol.assignment, adj, t, note))
    return pd.DataFrame(rows)


def bench_scaling(sizes):
    rows = []
    for n in sizes:
        reps = max(10, n // 100) if n <= 10_000 else 500
        src = f"sample:accounts={n},reps={reps},years=1,seed=7"
        t0 = time.perf_counter()
        ds = T.scope(load_dataset(src), role="field")
        t_load = time.perf_counter() - t0
        t0 = time.perf_counter()
        limit = 60 if n <= 10_000 else 300
        a = T.optimize(ds, tolerance=0.05, time_limit=limit)
        t = time.perf_counter() - t0
        s = T.evaluate(ds, a).summary
        rows.append({"org": src, "field accounts": len(ds.accounts), "field reps": len(ds.reps),
                     "method": a.attrs["method"], "status": a.attrs["status"],
                     "time limit s": limit, "seconds": round(t, 1), "gap to LP bound": f"{a.attrs['gap']:.2%}",
                     "bound priced over all reps": a.attrs["bound_valid"],
                     "max dev": f"±{s['max_deviation']:.1%}", "load s": round(t_load, 1)})
    return pd.DataFrame(rows)


def bench_fail_fast():
    ds, adj = counties(50)
    t0 = time.perf_counter()
    try:
        T.optimize(ds, tolerance=0.05, adjacency=adj)
        return "no error (unexpected)", time.perf_counter() - t0
    except T.InfeasibleError as exc:
        return str(exc), time.perf_counter() - t0


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="skip spopt and the 100k-account org")
    ap.add_argument("--budget", type=float, default=120.0, help="seconds allowed per spopt method")
    args = ap.parse_args(argv)
    pd.set_option("display.width", 200)
    pd.set_option("display.max_columns", 20)
    if not SHARED.is_dir():
        print(f"{SHARED} not found: county benchmarks skipped")
    else:
        print("== 3,109 contiguous-US counties, 20 contiguous territories within ±1% "
              "(potential = 2010 population, 55 s limit) ==")
        print(bench_counties(with_spopt=not args.quick, budget=args.budget).to_string(index=False))
        msg, secs = bench_fail_fast()
        print(f"\n== 50 territories: fails in {secs:.2f} s ==\n{msg}")
    print("\n== mid-sized contiguous case: 12 × 13 grid cells, 8 territories, ±2%, 30 s ==")
    print(bench_mid_sized(with_exact=not args.quick).to_string(index=False))
    print("\n== sample orgs (field reps, ±5% on potential) ==")
    sizes = [1_000, 10_000] if args.quick else [1_000, 10_000, 100_000]
    print(bench_scaling(sizes).to_string(index=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
