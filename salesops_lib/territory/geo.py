"""Geography for territory design: great-circle distances and offline US state outlines.

* ``haversine_km(lat1, lon1, lat2, lon2)`` broadcasts like any numpy ufunc, so a full
  account × rep distance matrix is ``haversine_km(lat[:, None], lon[:, None], hlat, hlon)``.
* ``centroid(lat, lon, weight)`` is the weight-averaged point on the sphere.
* ``state_outlines()`` reads the US Census cartographic state boundaries (1:500k, 2016) that the
  ``plotly-geo`` package ships, so maps draw without any network; ``None`` if it is absent.
"""

from __future__ import annotations

import functools
import itertools
from pathlib import Path

import numpy as np

#: Mean Earth radius (IUGG), km.
EARTH_RADIUS_KM = 6371.0088


def haversine_km(lat1, lon1, lat2, lon2) -> np.ndarray:
    r"""Great-circle distance in km between points given in degrees (broadcasting).

    .. math::

        d = 2R \arcsin\sqrt{\sin^2\frac{\varphi_2-\varphi_1}{2}
            + \cos\varphi_1\cos\varphi_2\sin^2\frac{\lambda_2-\lambda_1}{2}}

    with :math:`R` = 6,371.0088 km. Missing coordinates give NaN.
    """
    p1, p2 = np.radians(np.asarray(lat1, float)), np.radians(np.asarray(lat2, float))
    dl = np.radians(np.asarray(lon2, float) - np.asarray(lon1, float))
    a = np.sin((p2 - p1) / 2.0) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(dl / 2.0) ** 2
    return 2.0 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(np.clip(a, 0.0, 1.0)))


def centroid(lat, lon, weight=None) -> tuple[float, float]:
    r"""Weighted centroid of points on the sphere, in degrees.

    Points are averaged as unit vectors :math:`\bar v = \sum_i w_i v_i / \sum_i w_i` and
    projected back to latitude/longitude, so a set straddling the antimeridian is handled.
    All-zero weights count every point equally; points with missing coordinates are ignored.
    """
    lat, lon = np.asarray(lat, float), np.asarray(lon, float)
    w = np.ones_like(lat) if weight is None else np.asarray(weight, float).copy()
    ok = np.isfinite(lat) & np.isfinite(lon) & np.isfinite(w)
    if not ok.any():
        return float("nan"), float("nan")
    lat, lon, w = lat[ok], lon[ok], w[ok]
    if w.sum() <= 0:
        w = np.ones_like(w)
    p, lam = np.radians(lat), np.radians(lon)
    x, y, z = (np.cos(p) * np.cos(lam) * w).sum(), (np.cos(p) * np.sin(lam) * w).sum(), (np.sin(p) * w).sum()
    return float(np.degrees(np.arctan2(z, np.hypot(x, y)))), float(np.degrees(np.arctan2(y, x)))


def group_centroids(lat, lon, weight, groups, n_groups: int) -> tuple[np.ndarray, np.ndarray]:
    """Weighted spherical centroid of each group ``0..n_groups-1`` (vectorised; NaN if empty).

    Groups whose weights are all zero use equal weights.
    """
    lat, lon, w = np.asarray(lat, float), np.asarray(lon, float), np.asarray(weight, float)
    g = np.asarray(groups, int)
    ok = np.isfinite(lat) & np.isfinite(lon) & (g >= 0)
    lat, lon, w, g = lat[ok], lon[ok], np.nan_to_num(w[ok]), g[ok]
    wsum = np.bincount(g, w, n_groups)
    w = np.where(wsum[g] > 0, w, 1.0)
    p, lam = np.radians(lat), np.radians(lon)
    x = np.bincount(g, np.cos(p) * np.cos(lam) * w, n_groups)
    y = np.bincount(g, np.cos(p) * np.sin(lam) * w, n_groups)
    z = np.bincount(g, np.sin(p) * w, n_groups)
    empty = np.bincount(g, minlength=n_groups) == 0
    clat = np.where(empty, np.nan, np.degrees(np.arctan2(z, np.hypot(x, y))))
    clon = np.where(empty, np.nan, np.degrees(np.arctan2(y, x)))
    return clat, clon


# --------------------------------------------------------------------------------------------
# state outlines (offline)
# --------------------------------------------------------------------------------------------
def _read_polygons(shp: Path, step: int) -> np.ndarray:
    """Rings of an ESRI polygon shapefile as one ``(n, 2)`` lon/lat array, NaN between rings.

    The format (ESRI white paper, 1998): a 100-byte header, then records of an 8-byte
    big-endian header and a little-endian body ``type, bbox[4], nparts, npoints, parts, xy``.
    Every ``step``-th vertex is kept (rings keep their closing vertex).
    """
    buf = shp.read_bytes()
    pos, out = 100, []
    while pos + 8 <= len(buf):
        length = int.from_bytes(buf[pos + 4:pos + 8], "big") * 2
        body = buf[pos + 8:pos + 8 + length]
        pos += 8 + length
        if len(body) < 44 or int.from_bytes(body[:4], "little") not in (5, 15, 25):
            continue
        nparts, npoints = np.frombuffer(body, "<i4", 2, 36)
        parts = np.append(np.frombuffer(body, "<i4", nparts, 44), npoints)
        xy = np.frombuffer(body, "<f8", 2 * npoints, 44 + 4 * nparts).reshape(-1, 2)
        for a, b in itertools.pairwise(parts):
            ring = xy[a:b]
            if len(ring) < 4:
                continue
            keep = np.r_[np.arange(0, len(ring) - 1, step), len(ring) - 1]
            out.append(ring[keep])
            out.append(np.full((1, 2), np.nan))
    return np.vstack(out) if out else np.empty((0, 2))


@functools.lru_cache(maxsize=4)
def state_outlines(step: int = 4) -> np.ndarray | None:
    """US state boundaries as an ``(n, 2)`` array of (longitude, latitude), NaN between rings.

    Read from the Census cartographic boundary file ``cb_2016_us_state_500k`` shipped inside the
    ``plotly-geo`` package (public-domain Census data), so no network is needed. Returns
    ``None`` when the package is not installed; callers then draw without outlines.
    """
    try:
        import _plotly_geo
    except ImportError:
        return None
    shp = Path(_plotly_geo.__file__).parent / "package_data" / "cb_2016_us_state_500k.shp"
    if not shp.is_file():
        return None
    return _read_polygons(shp, max(int(step), 1))
