"""Reference territory problems: the US counties and synthetic grids, as data sets.

The benchmark (``benchmarks/territory.py``) and the tests build their contiguous cases here,
so both measure the same problems:

* :func:`county_dataset`: every county of the contiguous US (or of some states) as an
  account, potential = its 2010 population, with the Census county adjacency file as the
  graph and one rep at each of the ``n_reps`` most populous counties;
* :func:`grid_dataset`: a rows × cols grid of cells with rook adjacency, lognormal potential
  and reps in random cells.

Both return ``(Dataset, adjacency)`` with adjacency as ``unit``, ``neighbor`` pairs of
``account_id`` (no self-pairs), ready for ``territory.optimize(ds, adjacency=adj)``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from ..data import Dataset

#: The opportunity columns of an empty opportunities table.
OPP_COLS = ["opportunity_id", "account_id", "rep_id", "stage", "status", "amount", "created_date"]


def _empty_opportunities() -> pd.DataFrame:
    return pd.DataFrame(columns=OPP_COLS)


def county_dataset(folder, n_reps: int, states=None) -> tuple[Dataset, pd.DataFrame]:
    """The counties of the contiguous US (Alaska, Hawaii and Puerto Rico left out), or of
    ``states`` (USPS codes), as accounts.

    ``folder`` holds ``us_census_gazetteer_2010/Gaz_counties_national.txt`` (the Census 2010
    gazetteer: GEOID, name, state, population, internal point) and
    ``us_county_adjacency/county_adjacency.txt`` (the Census county adjacency file). Accounts
    are named "<county>, <state>"; rep ``R00`` sits at the most populous county's internal
    point, ``R01`` at the next, and so on, named after their county.
    """
    folder = Path(folder)
    g = pd.read_csv(folder / "us_census_gazetteer_2010" / "Gaz_counties_national.txt", sep="\t",
                    encoding="latin-1", dtype={"GEOID": str})
    g.columns = [c.strip() for c in g.columns]
    g = g[~g["USPS"].isin(["AK", "HI", "PR"])]
    if states:
        g = g[g["USPS"].isin(list(states))]
    g = g.reset_index(drop=True)
    adj = pd.read_csv(folder / "us_county_adjacency" / "county_adjacency.txt", sep="\t",
                      header=None, encoding="latin-1", names=["name", "unit", "nname", "neighbor"],
                      dtype={"unit": str, "neighbor": str})
    adj["unit"] = adj["unit"].ffill()
    adj = adj.loc[adj["unit"].isin(g["GEOID"]) & adj["neighbor"].isin(g["GEOID"])
                  & (adj["unit"] != adj["neighbor"]), ["unit", "neighbor"]].reset_index(drop=True)
    names = g["NAME"] + ", " + g["USPS"]
    top = g.nlargest(n_reps, "POP10")
    reps = pd.DataFrame({"rep_id": [f"R{i:02d}" for i in range(n_reps)],
                         "rep_name": names.loc[top.index].to_numpy(),
                         "home_latitude": top["INTPTLAT"].to_numpy(float),
                         "home_longitude": top["INTPTLONG"].to_numpy(float)})
    acc = pd.DataFrame({"account_id": g["GEOID"], "account_name": names,
                        "latitude": g["INTPTLAT"].astype(float),
                        "longitude": g["INTPTLONG"].astype(float),
                        "potential": g["POP10"].astype(float)})
    ds = Dataset.from_frames(accounts=acc, reps=reps, opportunities=_empty_opportunities())
    return ds, adj


def grid_dataset(rows: int, cols: int, reps: int, seed: int,
                 sigma: float = 1.5) -> tuple[Dataset, pd.DataFrame]:
    """A ``rows`` × ``cols`` grid of cells (``U<row><col>``, 0.3° of latitude by 0.4° of
    longitude apart from 40°N 100°W) with rook adjacency, potential lognormal(10, ``sigma``)
    rounded to tens, and ``reps`` reps (``R0``, ``R1``, ...) in distinct random cells;
    deterministic per ``seed``."""
    rng = np.random.default_rng(seed)
    cells = [(r, c) for r in range(rows) for c in range(cols)]
    acc = pd.DataFrame({"account_id": [f"U{r:02d}{c:02d}" for r, c in cells],
                        "account_name": [f"Cell {r}-{c}" for r, c in cells],
                        "latitude": [40 + 0.3 * r for r, c in cells],
                        "longitude": [-100 + 0.4 * c for r, c in cells],
                        "potential": np.round(rng.lognormal(10, sigma, len(cells)), -1)})
    k = rng.choice(len(cells), reps, replace=False)
    rp = pd.DataFrame({"rep_id": [f"R{j}" for j in range(reps)],
                       "rep_name": [f"Rep {j}" for j in range(reps)],
                       "home_latitude": acc["latitude"].to_numpy()[k],
                       "home_longitude": acc["longitude"].to_numpy()[k]})
    adj = pd.DataFrame([{"unit": f"U{r:02d}{c:02d}", "neighbor": f"U{r + dr:02d}{c + dc:02d}"}
                        for r, c in cells for dr, dc in ((0, 1), (1, 0))
                        if r + dr < rows and c + dc < cols])
    ds = Dataset.from_frames(accounts=acc, reps=rp, opportunities=_empty_opportunities())
    return ds, adj
