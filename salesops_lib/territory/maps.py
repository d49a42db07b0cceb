"""Territory maps and balance charts (matplotlib, offline, house style).

Plot functions take tidy frames (from :func:`salesops_lib.territory.map_frame`,
:func:`~salesops_lib.territory.rep_changes`) and an optional ``ax``, and return the figure.
State outlines come from :func:`salesops_lib.geo.state_outlines` (shipped with a package, no
network); without it the maps draw without outlines. No tile server is ever contacted.
"""

from __future__ import annotations

import matplotlib.patheffects as pe
import matplotlib.pyplot as plt
import networkx as nx
import numpy as np
import pandas as pd
from matplotlib.text import Text
from scipy.spatial import Delaunay, QhullError

from .. import viz
from .geo import state_outlines

OUTLINE = "#C4C4C4"
#: ``gid`` of the rep-name labels beside home bases (moved by :func:`place_labels`).
LABEL_GID = "rep-label"
_STAR_R = 6.5               # half the home-base star's size, in points (marker s=150)
#: Leader line from a label placed away from its star back to it (hidden beside the star).
_LEADER = {"arrowstyle": "-", "color": "#666666", "lw": 0.5, "shrinkA": 0, "shrinkB": _STAR_R}
#: How many of :func:`_label_slots` touch the star; a label further away gets a leader line.
_BESIDE = 6


def territory_neighbours(*frames: pd.DataFrame) -> nx.Graph:
    """Which territories touch, on one or more maps: a graph on ``rep_id``.

    Two territories are neighbours when a Delaunay triangulation of the accounts (longitude
    scaled by the cosine of the mean latitude) joins an account of one to an account of the
    other; with several frames (today and proposed) the graph holds the edges of all of them.
    """
    g = nx.Graph()
    for f in frames:
        f = f.dropna(subset=["rep_id", "latitude", "longitude"])
        ids = f["rep_id"].astype(str).to_numpy()
        g.add_nodes_from(pd.unique(ids))
        if len(f) < 3 or len(set(ids)) < 2:
            continue
        lat = f["latitude"].to_numpy(float)
        xy = np.c_[f["longitude"].to_numpy(float) * np.cos(np.radians(np.nanmean(lat))), lat]
        try:
            tri = Delaunay(xy, qhull_options="QJ")
        except QhullError:          # all accounts on one line: link consecutive ones
            order = np.lexsort(xy.T)
            pairs = np.c_[order[:-1], order[1:]]
        else:
            s = tri.simplices
            pairs = np.r_[s[:, [0, 1]], s[:, [1, 2]], s[:, [0, 2]]]
        a, b = ids[pairs[:, 0]], ids[pairs[:, 1]]
        g.add_edges_from(set(zip(a[a != b], b[a != b])))
    return g


def territory_colors(*frames: pd.DataFrame) -> dict:
    """A colour per ``rep_id`` such that touching territories never share one.

    A graph colouring (DSatur, via networkx) of :func:`territory_neighbours` over all the
    frames given, so today's and the proposed map can share colours; colours come from
    :data:`viz.PALETTE` without its grey (kept for unassigned accounts). A map of territories
    needs few colours (four suffice for a planar map), so the palette is not recycled between
    neighbours; only if a colouring needed more colours than the palette would any repeat.
    """
    g = territory_neighbours(*frames)
    if not len(g):
        return {}
    pal = [c for c in viz.PALETTE if c != viz.COLORS["neutral"]]
    # DSatur breaks ties by node order: sort for a result that does not depend on frame order
    h = nx.Graph()
    h.add_nodes_from(sorted(g.nodes))
    h.add_edges_from(sorted(tuple(sorted(e)) for e in g.edges))
    col = nx.greedy_color(h, strategy="DSATUR")
    return {rid: pal[c % len(pal)] for rid, c in col.items()}


def _frame_extent(frames, reps):
    lat = pd.concat([f["latitude"] for f in frames] + ([reps["home_latitude"]] if reps is not None else []))
    lon = pd.concat([f["longitude"] for f in frames] + ([reps["home_longitude"]] if reps is not None else []))
    lat, lon = pd.to_numeric(lat, errors="coerce").dropna(), pd.to_numeric(lon, errors="coerce").dropna()
    if not len(lat):
        return (-125, -66, 24, 50)
    pad_x = max((lon.max() - lon.min()) * 0.04, 0.5)
    pad_y = max((lat.max() - lat.min()) * 0.04, 0.5)
    return lon.min() - pad_x, lon.max() + pad_x, lat.min() - pad_y, lat.max() + pad_y


def plot_territories(frame: pd.DataFrame, reps: pd.DataFrame | None = None, ax=None,
                     title: str = "Territories", subtitle: str | None = None,
                     colors: dict | None = None, extent=None, outlines: bool = True,
                     labels: bool = True):
    """Map of accounts coloured by territory, with rep home bases as stars labelled by name.

    Parameters
    ----------
    frame : DataFrame
        ``latitude``, ``longitude``, ``rep_id`` and optionally ``potential`` (marker area
        grows with the square root of potential). Unassigned accounts are grey.
    reps : DataFrame, optional
        ``rep_id``, ``home_latitude``, ``home_longitude``; reps without accounts are grey stars.
    colors : dict, optional
        ``rep_id`` → colour (default :func:`territory_colors`), to keep two maps consistent.
    labels : bool
        Write each rep's name (``rep_name``, else ``rep_id``) beside their home base.
    """
    fig, ax = viz.figure(title, "longitude (°)", "latitude (°)", ax=ax, size=(8, 5.2))
    ax.grid(False)
    colors = colors or territory_colors(frame)
    x0, x1, y0, y1 = extent or _frame_extent([frame], reps)
    if outlines:
        o = state_outlines()
        if o is not None:
            ax.plot(o[:, 0], o[:, 1], color=OUTLINE, lw=0.6, zorder=0)
    pot = frame["potential"].to_numpy(float) if "potential" in frame else np.ones(len(frame))
    pot = np.nan_to_num(np.clip(pot, 0, None))
    size = 3 + 45 * np.sqrt(pot / pot.max()) if len(pot) and pot.max() > 0 else np.full(len(frame), 6.0)
    col = frame["rep_id"].astype("string").map(colors).fillna(viz.COLORS["neutral"]).to_numpy(object)
    ax.scatter(frame["longitude"], frame["latitude"], s=size, c=list(col), alpha=0.75,
               linewidths=0, zorder=2)
    if reps is not None and len(reps):
        rc = reps["rep_id"].astype(str).map(colors).fillna("#FFFFFF")
        ax.scatter(reps["home_longitude"], reps["home_latitude"], s=150, marker="*", c=list(rc),
                   edgecolors="#222222", linewidths=0.9, zorder=3, label="rep home base")
        if labels:
            halo = [pe.withStroke(linewidth=2.2, foreground="white")]
            names = next(reps[c] for c in ("rep_label", "rep_name", "rep_id") if c in reps)
            for x, y, name in zip(reps["home_longitude"], reps["home_latitude"], names.astype(str)):
                if np.isfinite(x) and np.isfinite(y):
                    ax.annotate(name, (x, y), xytext=(6, 2), textcoords="offset points",
                                fontsize=7, color="#222222", path_effects=halo, zorder=4,
                                gid=LABEL_GID, arrowprops=_LEADER)
        # the legend sits under the map, off the data
        ax.legend(loc="upper left", bbox_to_anchor=(0, -0.08), fontsize=8, frameon=False)
    ax.set_xlim(x0, x1)
    ax.set_ylim(y0, y1)
    mid = np.radians((y0 + y1) / 2)
    ax.set_aspect(1 / max(np.cos(mid), 0.2))
    place_labels(ax)
    if subtitle:
        ax.text(0, 1.005, subtitle, transform=ax.transAxes, fontsize=9, color="#444444",
                va="bottom", ha="left")
        ax.set_title(title, pad=16)
    return fig


def _label_slots(n: int):
    """Candidate places of a label around its star, nearest first: ``(dx, dy, ha)`` in points
    (right, left, above, below, then further up and down on both sides)."""
    slots = [(6, 2, "left"), (-6, 2, "right"), (6, -9, "left"), (-6, -9, "right"),
             (0, 7, "center"), (0, -16, "center")]
    for k in range(1, max(n, 2) + 1):
        for dy in (2 + 11 * k, -9 - 11 * k):
            slots += [(6, dy, "left"), (-6, dy, "right")]
    return slots


def place_labels(ax) -> None:
    """Put each rep-name label (``gid`` :data:`LABEL_GID`) where it overlaps no other label
    and no other star: deterministic and greedy, in the order drawn, each taking the nearest
    free slot of :func:`_label_slots` inside the axes (else the slot with least overlap). A
    label that had to move beyond the slots beside its star gets a thin leader line to it, so
    a crowded city's names still point at their stars. Positions are in points from the star,
    so call it again after the layout changes."""
    texts = [t for t in ax.texts if t.get_gid() == LABEL_GID]
    if not texts:
        return
    fig = ax.figure
    ax.apply_aspect()
    pt = 72.0 / fig.dpi
    xy = ax.transData.transform(np.array([t.xy for t in texts], float)) * pt
    frame = ax.get_window_extent()
    x0, y0, x1, y1 = frame.x0 * pt, frame.y0 * pt, frame.x1 * pt, frame.y1 * pt
    stars = np.c_[xy - _STAR_R, xy + _STAR_R]
    placed: list = []
    slots = _label_slots(len(texts))
    for i, t in enumerate(texts):
        t.set_position((6, 2))
        t.set_horizontalalignment("left")
        ext = Text.get_window_extent(t)         # the name only, not its leader line
        w, h = ext.width * pt, ext.height * pt
        best, best_cost = slots[0], np.inf
        for dx, dy, ha in slots:
            left = xy[i, 0] + dx - {"left": 0.0, "right": w, "center": w / 2}[ha]
            box = np.array([left, xy[i, 1] + dy, left + w, xy[i, 1] + dy + h])
            others = np.r_[np.delete(stars, i, axis=0), np.array(placed).reshape(-1, 4)]
            ow = np.clip(np.minimum(box[2], others[:, 2]) - np.maximum(box[0], others[:, 0]), 0, None)
            oh = np.clip(np.minimum(box[3], others[:, 3]) - np.maximum(box[1], others[:, 1]), 0, None)
            outside = (max(x0 - box[0], 0) + max(box[2] - x1, 0)) * h + (
                max(y0 - box[1], 0) + max(box[3] - y1, 0)) * w
            cost = float((ow * oh).sum() + outside)
            if cost < best_cost - 1e-9:
                best, best_cost, best_box = (dx, dy, ha), cost, box
            if cost == 0:
                break
        t.set_position(best[:2])
        t.set_horizontalalignment(best[2])
        if t.arrow_patch is not None:
            t.arrow_patch.set_visible(best not in slots[:_BESIDE])
        placed.append(best_box)


def _subtitle(s: pd.Series | None) -> str | None:
    if s is None:
        return None
    ratio = s.get("balance_max_over_min", np.nan)
    dev = s.get("max_deviation", np.nan)
    parts = [f"widest gap to target ±{dev:.1%}" if np.isfinite(dev) else None,
             f"largest/smallest {ratio:.2f}×" if np.isfinite(ratio) else None,
             f"travel {viz.num(s.get('travel_km'))} km"]
    return " · ".join(p for p in parts if p)


def plot_alignment_comparison(before: pd.DataFrame, after: pd.DataFrame,
                              reps: pd.DataFrame | None = None,
                              titles=("Today", "Proposed"), summaries=None):
    """Two maps, today's above the proposed alignment (same colours and extent).

    ``summaries`` (two ``evaluate(...).summary`` Series) adds a line of headline metrics
    under each title.
    """
    viz.apply_style()
    # one above the other: each map gets the page's full width, so names stay readable
    fig, axes = plt.subplots(2, 1, figsize=(11, 14))
    colors = territory_colors(before, after)
    extent = _frame_extent([before, after], reps)
    summaries = summaries or (None, None)
    for ax, f, t, s in zip(axes, (before, after), titles, summaries):
        plot_territories(f, reps, ax=ax, title=t, subtitle=_subtitle(s), colors=colors, extent=extent)
    fig.tight_layout()
    for ax in axes:             # the layout changed the scale: place the names again
        place_labels(ax)
    return fig


def plot_balance(changes: pd.DataFrame, tolerance: float = 0.05, ax=None,
                 title: str | None = None, band_label: str | None = None):
    """Potential per rep today (bars) and proposed (dots), each against its own band.

    ``changes`` is :func:`territory.rep_changes` output (``rep_name``, ``potential_today``,
    ``potential_proposed`` and ``target_potential``, the rep's capacity-scaled target: a
    half-time rep's band sits at half the height). Reps are ordered by today's potential and
    named on the axis. The shaded band is ±``tolerance`` around each target, labelled
    ``band_label`` (default "target ±5%"). When potential is the accounts' annual revenue
    (``changes.attrs["potential_basis"]``) the title and axis say so; a count of accounts
    is drawn without "$".
    """
    basis = changes.attrs.get("potential_basis", "potential")
    what = {"annual_revenue": "account annual revenue", "accounts": "accounts"}.get(basis)
    money = basis != "accounts"
    fig, ax = viz.figure(title or f"Potential{f' ({what})' if what else ''} per territory, today "
                         "and proposed", "rep", f"potential{f': {what}' if what else ''}"
                         + (" ($)" if money else ""), ax=ax, size=(11, 4.6))
    f = changes.sort_values("potential_today", ascending=False)
    x = np.arange(len(f))
    target = (f["target_potential"] if "target_potential" in f
              else pd.Series(f["potential_proposed"].mean(), index=f.index)).to_numpy(float)
    low = max(1 - tolerance, 0.0) * target
    ax.bar(x, (1 + tolerance) * target - low, bottom=low, width=0.9, color=viz.COLORS["target"],
           alpha=0.25, lw=0, label=band_label or f"target ±{tolerance:.0%}")
    ax.bar(x, f["potential_today"], color=viz.COLORS["compare"], width=0.55, label="today")
    ax.scatter(x, f["potential_proposed"], color=viz.COLORS["primary"], s=22, zorder=3, label="proposed")
    ax.set_xticks(x)
    names = next(f[c] for c in ("rep_label", "rep_name", "rep_id") if c in f)
    ax.set_xticklabels(names.astype(str), rotation=90, fontsize=7)
    if money:
        viz.money_axis(ax)
    ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), frameon=False)
    return fig


def balance_chart(review):
    """The page's per-rep chart (:func:`plot_balance`) with the band the proposal was solved
    for, ``review.tolerance``: when the band asked for was out of reach and widened, the
    chart draws the widened band and its legend says both ("target ±142%", "±5% out of reach")."""
    asked = getattr(review, "asked", None)
    label = f"target ±{review.tolerance:.0%}"
    if review.widened and asked is not None:
        label += f"\n(±{asked:.0%} out of reach)"
    fig = plot_balance(review.changes, review.tolerance, band_label=label)
    plt.close(fig)  # shown once, as the cell's result (not again by the inline backend)
    return fig


def alignment_maps(ds, review):
    """The page's two maps, today and proposed (:func:`plot_alignment_comparison`), or one
    sentence when no account has coordinates (maps and travel need them)."""
    from .alignment import current_alignment, has_geography, map_frame
    from .narrative import NO_GEOGRAPHY

    if not has_geography(ds):
        return viz.callout(NO_GEOGRAPHY)
    fig = plot_alignment_comparison(map_frame(ds, current_alignment(ds)),
                                    map_frame(ds, review.plan.assignment), review.reps,
                                    summaries=(review.today.summary, review.proposed.summary))
    plt.close(fig)  # shown once, as the cell's result (not again by the inline backend)
    return fig
