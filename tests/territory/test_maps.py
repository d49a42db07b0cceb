"""Map colours: a graph colouring of territory adjacency, shared by two maps."""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.text import Text

from salesops_lib.territory import maps as TM


def strip(n_terr: int, per: int = 5) -> pd.DataFrame:
    """Territories side by side along a line of longitudes (each touches the next)."""
    lon = np.repeat(np.arange(n_terr, dtype=float), per) + np.tile(np.linspace(0, 0.8, per), n_terr)
    lat = np.tile(np.linspace(40, 40.5, per), n_terr)
    return pd.DataFrame({"latitude": lat, "longitude": lon, "potential": 1.0,
                         "rep_id": np.repeat([f"R{i:02d}" for i in range(n_terr)], per)})


def test_neighbouring_territories_never_share_a_colour():
    f = strip(35)
    g = TM.territory_neighbours(f)
    assert g.has_edge("R00", "R01") and not g.has_edge("R00", "R05")
    colors = TM.territory_colors(f)
    assert len(colors) == 35
    assert all(colors[a] != colors[b] for a, b in g.edges)
    assert "#6B6B6B" not in colors.values()              # grey stays for unassigned accounts


def test_two_maps_share_one_colouring():
    today, proposed = strip(6), strip(6)
    proposed["rep_id"] = proposed["rep_id"].replace({"R05": "R00"})   # R00 also touches R04 now
    colors = TM.territory_colors(today, proposed)
    g = TM.territory_neighbours(today, proposed)
    assert g.has_edge("R00", "R04") and all(colors[a] != colors[b] for a, b in g.edges)


def test_home_bases_are_labelled_by_name():
    f = strip(3)
    reps = pd.DataFrame({"rep_id": ["R00", "R01", "R02"], "rep_name": ["Ann", "Bo", "Cy"],
                         "home_latitude": [40.2] * 3, "home_longitude": [0.4, 1.4, 2.4]})
    fig = TM.plot_territories(f, reps, title="Today")
    texts = {t.get_text() for t in fig.axes[0].texts}
    assert {"Ann", "Bo", "Cy"} <= texts


def test_rep_names_do_not_overlap():
    """Reps in one city and in neighbouring cities: every name readable, none on another."""
    f = strip(3)
    n = 8
    reps = pd.DataFrame({"rep_id": [f"R{i:02d}" for i in range(n)],
                         "rep_name": [f"Rep Name Number {i}" for i in range(n)],
                         "home_latitude": [40.2] * 5 + [40.25, 40.3, 40.2],
                         "home_longitude": [0.4] * 5 + [0.45, 0.5, 2.4]})
    fig = TM.plot_alignment_comparison(f, f, reps)
    for ax in fig.axes:
        boxes = [Text.get_window_extent(t) for t in ax.texts if t.get_gid() == TM.LABEL_GID]
        assert len(boxes) == n
        for i in range(n):
            for j in range(i + 1, n):
                assert not boxes[i].overlaps(boxes[j]), (i, j)
    again = [t.get_position() for t in fig.axes[0].texts]
    TM.place_labels(fig.axes[0])                          # deterministic: same places again
    assert [t.get_position() for t in fig.axes[0].texts] == again


def test_a_name_moved_away_from_its_star_has_a_leader_line():
    """Five reps in one city: the names that could not sit beside the star carry a line to it
    (they read as a list of names near a cluster of stars); a lone rep's name has none."""
    f = strip(3)
    reps = pd.DataFrame({"rep_id": [f"R{i:02d}" for i in range(6)],
                         "rep_name": [f"Rep Name Number {i}" for i in range(6)],
                         "home_latitude": [40.2] * 6, "home_longitude": [0.4] * 5 + [2.4]})
    ax = TM.plot_territories(f, reps, title="Today").axes[0]
    fig = ax.figure
    fig.canvas.draw()
    labels = [t for t in ax.texts if t.get_gid() == TM.LABEL_GID]
    beside = {(dx, dy) for dx, dy, _ in TM._label_slots(len(labels))[:TM._BESIDE]}
    lines = {t.get_text(): t.arrow_patch.get_visible() for t in labels}
    moved = {t.get_text() for t in labels if tuple(t.get_position()) not in beside}
    assert moved and "Rep Name Number 5" not in moved
    assert {name for name, shown in lines.items() if shown} == moved
    # each visible line ends at its star: its path's last point is the star's (in pixels),
    # short of it by the star's half-size
    for t in labels:
        if t.get_text() in moved:
            end = t.arrow_patch.get_path().vertices[-1]
            star = ax.transData.transform(t.xy)
            gap = np.hypot(*(end - star)) * 72 / fig.dpi
            assert abs(gap - TM._STAR_R) < 1.5, gap
