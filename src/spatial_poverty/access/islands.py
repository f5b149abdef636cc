"""Land masses (mainland and islands) found from the municipal boundaries, and points placed on them.

Islands are not hard-coded: the municipal polygons are dissolved and split into their connected parts. Each part
is a land mass; the largest is the mainland. Travel between two land masses is by sea only (see
:mod:`spatial_poverty.access.travel`).
"""

from __future__ import annotations

import logging

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from spatial_poverty.errors import IngestError

__all__ = ["CRS", "assign_land_mass", "land_masses"]

logger = logging.getLogger(__name__)

#: Planar CRS of the computations (GGRS87 / Greek Grid, metres).
CRS = "EPSG:2100"


def land_masses(
    boundaries: gpd.GeoDataFrame,
    *,
    close_gaps_m: float = 50.0,
    min_area_km2: float = 0.0,
) -> gpd.GeoDataFrame:
    """Dissolve municipal polygons and split them into land masses (connected parts).

    Parameters
    ----------
    boundaries : geopandas.GeoDataFrame
        Municipal (or any) polygons, indexed by code, in any projected or geographic CRS.
    close_gaps_m : float, default 50
        Polygons are grown by this distance before the dissolve and shrunk back after it, so that slivers and
        gaps between neighbouring municipalities of a generalised layer do not split one island in two. Two
        islands closer than twice this distance become one land mass (50 m keeps every strait with a ferry in
        Greece apart; a causeway or bridge that the boundaries draw as touching joins its land masses).
    min_area_km2 : float, default 0
        Parts smaller than this are dropped (uninhabited rocks). With the default every part is kept, so that a
        settlement on a rock still has a land mass; such a mass has no port and is unreachable by sea.

    Returns
    -------
    geopandas.GeoDataFrame
        One row per land mass, indexed by ``mass_id`` (0 = the mainland, the largest part, then by decreasing
        area), with ``area_km2``, ``is_mainland`` and ``municipalities`` (codes of the municipalities
        intersecting it, comma-joined, sorted), polygons in EPSG:2100.

    Raises
    ------
    IngestError
        If the boundaries have no CRS or no polygon.
    """
    if boundaries.crs is None:
        raise IngestError("boundaries: no CRS; expected a CRS (the ELSTAT boundaries are EPSG:2100)")
    geoms = boundaries.to_crs(CRS).geometry
    geoms = geoms[~geoms.is_empty & geoms.notna()]
    if geoms.empty:
        raise IngestError("boundaries: no polygon to find land masses from")
    geoms = shapely.make_valid(geoms.to_numpy())
    merged = shapely.union_all(shapely.buffer(geoms, close_gaps_m)) if close_gaps_m > 0 else shapely.union_all(geoms)
    if close_gaps_m > 0:
        merged = shapely.buffer(merged, -close_gaps_m)
    parts = [p for p in shapely.get_parts(merged) if isinstance(p, shapely.Polygon) and not p.is_empty]
    areas = np.array([p.area for p in parts]) / 1e6
    order = np.lexsort((np.array([p.centroid.x for p in parts]), -areas))  # area, then x: stable ids
    keep = [i for i in order if areas[i] >= min_area_km2]
    dropped = len(order) - len(keep)
    if dropped:
        logger.info("land masses: %d parts smaller than %.3f km2 dropped", dropped, min_area_km2)
    masses = gpd.GeoDataFrame(
        {"area_km2": areas[keep], "is_mainland": [k == keep[0] for k in keep]},
        geometry=[parts[i] for i in keep],
        crs=CRS,
        index=pd.RangeIndex(len(keep), name="mass_id"),
    )
    src = gpd.GeoDataFrame(geometry=boundaries.to_crs(CRS).geometry.to_numpy(), crs=CRS)
    src["code"] = boundaries.index.astype(str).to_numpy()
    hits = gpd.sjoin(src, masses[["geometry"]], predicate="intersects", how="inner")
    codes = hits.groupby("mass_id")["code"].agg(lambda s: ",".join(sorted(set(s))))
    masses["municipalities"] = codes.reindex(masses.index).fillna("")
    logger.info(
        "land masses: %d (mainland %.0f km2, %d of at least 1 km2)",
        len(masses),
        masses["area_km2"].iloc[0],
        int((masses["area_km2"] >= 1).sum()),
    )
    return masses


def assign_land_mass(
    points: gpd.GeoSeries | gpd.GeoDataFrame,
    masses: gpd.GeoDataFrame,
    *,
    tolerance_m: float = 1000.0,
) -> pd.Series:
    """The land mass of each point: the polygon holding it, else the nearest one within ``tolerance_m``.

    Parameters
    ----------
    points : geopandas.GeoSeries or GeoDataFrame
        Points with a CRS (settlements, services, ports).
    masses : geopandas.GeoDataFrame
        From :func:`land_masses`.
    tolerance_m : float, default 1000
        Coastal points of generalised boundaries fall just offshore (ELSTAT settlement points: about 6 % offshore,
        99 % of those within 233 m); a point farther than this from every land mass gets no land mass.

    Returns
    -------
    pandas.Series
        ``mass_id`` (nullable Int64, ``<NA>`` beyond the tolerance) aligned to ``points``' index.

    Raises
    ------
    IngestError
        If the points have no CRS.
    """
    if points.crs is None:
        raise IngestError("points: no CRS; expected e.g. EPSG:4326 or EPSG:2100")
    geom = points.geometry if isinstance(points, gpd.GeoDataFrame) else points
    pts = gpd.GeoDataFrame(geometry=geom.to_crs(CRS).to_numpy(), crs=CRS)
    out = pd.Series(pd.NA, index=range(len(pts)), dtype="Int64")
    poly = masses[["geometry"]].copy()
    poly["_mass"] = masses.index.to_numpy()
    inside = gpd.sjoin(pts, poly, predicate="within", how="inner")
    inside = inside[~inside.index.duplicated(keep="first")]
    out.loc[inside.index] = inside["_mass"].to_numpy()
    rest = out.index[out.isna()]
    if len(rest) and tolerance_m > 0:
        near = gpd.sjoin_nearest(pts.loc[rest], poly, how="inner", max_distance=tolerance_m)
        near = near[~near.index.duplicated(keep="first")]
        out.loc[near.index] = near["_mass"].to_numpy()
    n_off = len(rest)
    n_none = int(out.isna().sum())
    if n_off:
        logger.info(
            "land mass: %d of %d points lie off the polygons; %d placed within %.0f m, %d beyond (no land mass)",
            n_off,
            len(pts),
            n_off - n_none,
            tolerance_m,
            n_none,
        )
    out.index = geom.index
    out.name = "mass_id"
    return out
