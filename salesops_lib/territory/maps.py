"""Territory maps and balance charts (matplotlib, offline, house style).

Plot functions take tidy frames (from :func:`salesops_lib.territory.map_frame`,
:func:`~salesops_lib.territory.rep_changes`) and an optional ``ax``, and return the figure.
State outlines come from :func:`salesops_lib.geo.state_outlines` (shipped with a package, no
network); without it the maps draw without outlines. No tile server is ever contacted.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from .. import viz
from .geo import state_outlines

OUTLINE = "#C4C4C4"


def territory_colors(frame: pd.DataFrame, k: int = 6) -> dict:
    """A colour per ``rep_id`` such that nearby territories get different colours.

    Territories are linked to their ``k`` nearest neighbours (by account centroid); colours
    are then given greedily from :data:`viz.PALETTE`, largest territories first, each taking
    the first colour no linked territory holds yet (the least used one if all are taken).
    """
    f = frame.dropna(subset=["rep_id"])
    if not len(f):
        return {}
    g = f.groupby("rep_id").agg(lat=("latitude", "mean"), lon=("longitude", "mean"),
                                n=("latitude", "size")).sort_values("n", ascending=False)
    ids = g.index.astype(str).tolist()
    xy = np.c_[g["lon"].to_numpy(float) * np.cos(np.radians(np.nanmean(g["lat"]))), g["lat"].to_numpy(float)]
    xy = np.nan_to_num(xy)
    d = np.hypot(*(xy[:, None, :] - xy[None, :, :]).transpose(2, 0, 1))
    np.fill_diagonal(d, np.inf)
    near = np.argsort(d, axis=1)[:, :min(k, len(ids) - 1)]
    pal = viz.PALETTE
    colour = {}
    used = np.zeros(len(pal))
    for i, rid in enumerate(ids):
        links = set(near[i]) | set(np.flatnonzero((near == i).any(axis=1)))
        taken = {colour[ids[j]] for j in links if ids[j] in colour}
        free = [c for c in range(len(pal)) if c not in taken]
        c = free[0] if free else int(np.argmin(used))
        colour[rid] = c
        used[c] += 1
    return {rid: pal[c] for rid, c in colour.items()}


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
                     colors: dict | None = None, extent=None, outlines: bool = True):
    """Map of accounts coloured by territory, with rep home bases as stars.

    Parameters
    ----------
    frame : DataFrame
        ``latitude``, ``longitude``, ``rep_id`` and optionally ``potential`` (marker area
        grows with the square root of potential). Unassigned accounts are grey.
    reps : DataFrame, optional
        ``rep_id``, ``home_latitude``, ``home_longitude``; reps without accounts are grey stars.
    colors : dict, optional
        ``rep_id`` → colour (default :func:`territory_colors`), to keep two maps consistent.
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
        ax.legend(loc="lower left", fontsize=8)
    ax.set_xlim(x0, x1)
    ax.set_ylim(y0, y1)
    mid = np.radians((y0 + y1) / 2)
    ax.set_aspect(1 / max(np.cos(mid), 0.2))
    if subtitle:
        ax.text(0, 1.005, subtitle, transform=ax.transAxes, fontsize=9, color="#444444",
                va="bottom", ha="left")
        ax.set_title(title, pad=16)
    return fig


def _subtitle(s: pd.Series | None) -> str | None:
    if s is None:
        return None
    ratio = s.get("balance_max_over_min", np.nan)
    parts = [f"largest/smallest {ratio:.2f}×" if np.isfinite(ratio) else None,
             f"CV {viz.pct(s.get('balance_cv'))}",
             f"travel {viz.num(s.get('travel_km'))} km"]
    return " · ".join(p for p in parts if p)


def plot_alignment_comparison(before: pd.DataFrame, after: pd.DataFrame,
                              reps: pd.DataFrame | None = None,
                              titles=("Today", "Proposed"), summaries=None):
    """Two maps side by side (same colours and extent): today's and the proposed alignment.

    ``summaries`` (two ``evaluate(...).summary`` Series) adds a line of headline metrics
    under each title.
    """
    viz.apply_style()
    fig, axes = plt.subplots(1, 2, figsize=(15, 5.6))
    colors = territory_colors(after)
    colors.update({k: v for k, v in territory_colors(before).items() if k not in colors})
    extent = _frame_extent([before, after], reps)
    summaries = summaries or (None, None)
    for ax, f, t, s in zip(axes, (before, after), titles, summaries):
        plot_territories(f, reps, ax=ax, title=t, subtitle=_subtitle(s), colors=colors, extent=extent)
    fig.tight_layout()
    return fig


def plot_balance(changes: pd.DataFrame, tolerance: float = 0.05, ax=None,
                 title: str = "Potential per territory, today and proposed"):
    """Potential per rep today (light) and proposed (dark), with the ±tolerance band.

    ``changes`` is :func:`territory.rep_changes` output (``rep_id``, ``potential_today``,
    ``potential_proposed``); reps are ordered by today's potential.
    """
    fig, ax = viz.figure(title, "rep", "potential", ax=ax, size=(11, 4.2))
    f = changes.sort_values("potential_today", ascending=False)
    x = np.arange(len(f))
    mean = f["potential_proposed"].mean()
    ax.axhspan(mean * (1 - tolerance), mean * (1 + tolerance), color=viz.COLORS["target"], alpha=0.18,
               label=f"mean ±{tolerance:.0%}", lw=0)
    ax.bar(x, f["potential_today"], color=viz.COLORS["compare"], width=0.8, label="today")
    ax.scatter(x, f["potential_proposed"], color=viz.COLORS["primary"], s=22, zorder=3, label="proposed")
    ax.set_xticks(x)
    ax.set_xticklabels(f["rep_id"].astype(str), rotation=90, fontsize=7)
    viz.money_axis(ax)
    ax.legend(loc="upper right")
    return fig
