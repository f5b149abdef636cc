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
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from spatial_poverty.errors import IngestError

__all__ = ["CRS", "assign_land_mass", "land_masses"]

logger = logging.getLogger(__name__)

#: Planar CRS of the computations (GGRS87 / Greek Grid, metres).
CRS = "EPSG:2100"


def land_masses(
    boundaries: gpd.GeoDataFrame,
    *,
    close_gaps_m: float = 100.0,
    min_area_km2: float = 0.0,
) -> gpd.GeoDataFrame:
    """Dissolve municipal polygons and split them into land masses (connected parts).

    The polygons are split into their parts; parts that touch or lie within ``close_gaps_m`` of each other are
    linked, and each connected component of that graph is one land mass (the union of its parts, a
    MultiPolygon where the parts only nearly touch). No buffering: areas and coasts are those of the input.

    Parameters
    ----------
    boundaries : geopandas.GeoDataFrame
        Municipal (or any) polygons, indexed by code, in any projected or geographic CRS.
    close_gaps_m : float, default 100
        Polygon parts closer than this belong to one land mass, so that slivers and gaps between neighbouring
        municipalities of a generalised layer do not split one island in two, and bridged narrows join. On the
        ELSTAT 2021 boundaries 100 m joins Euboea (the Euripus at Chalkida, about 40 m, bridged) and Lefkada
        (53 m, causeway and bridge) to the mainland and keeps Salamina (475 m, ferry) apart; 50 m would leave
        Lefkada an island.
    min_area_km2 : float, default 0
        Parts smaller than this are dropped (uninhabited rocks). With the default every part is kept, so that a
        settlement on a rock still has a land mass (the travel model gives it a virtual port).

    Returns
    -------
    geopandas.GeoDataFrame
        One row per land mass, indexed by ``mass_id`` (0 = the mainland, the largest land mass of the boundaries
        given (Rhodes for the South Aegean alone), then by decreasing area, ties by x), with ``area_km2``,
        ``is_mainland`` and ``municipalities`` (codes of the municipalities intersecting it, comma-joined,
        sorted), polygons in EPSG:2100.

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
    parts = shapely.get_parts(shapely.make_valid(geoms.to_numpy()))
    parts = parts[(shapely.get_type_id(parts) == 3) & ~shapely.is_empty(parts)]  # polygons only
    # parts closer than close_gaps_m belong to one land mass: connected components of the "within" graph
    tree = shapely.STRtree(parts)
    i, j = (
        tree.query(parts, predicate="dwithin", distance=close_gaps_m)
        if close_gaps_m > 0
        else tree.query(parts, predicate="intersects")
    )
    n = len(parts)
    _, label = connected_components(coo_matrix((np.ones(len(i)), (i, j)), shape=(n, n)), directed=False)
    groups = pd.Series(np.arange(n)).groupby(label)
    geoms_by = [shapely.union_all(parts[idx.to_numpy()]) for _, idx in groups]
    areas = np.array([g.area for g in geoms_by]) / 1e6
    xs = np.array([g.centroid.x for g in geoms_by])
    order = np.lexsort((xs, -areas))  # area, then x: stable ids
    keep = [k for k in order if areas[k] >= min_area_km2]
    dropped = len(order) - len(keep)
    if dropped:
        logger.info("land masses: %d parts smaller than %.3f km2 dropped", dropped, min_area_km2)
    masses = gpd.GeoDataFrame(
        {"area_km2": areas[keep], "is_mainland": [k == keep[0] for k in keep]},
        geometry=[geoms_by[k] for k in keep],
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
