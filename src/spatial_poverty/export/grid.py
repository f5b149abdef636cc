"""Gridded surfaces: values of points summed on the EU statistical grid, written as a Cloud-Optimised GeoTIFF.

The grid is the one of Eurostat's GEOSTAT population grids and of the INSPIRE statistical units: ETRS89-LAEA
(EPSG:3035), square cells whose lower-left corners are multiples of the resolution (1 km by default). A cell's
INSPIRE identifier is ``CRS3035RES1000mN<northing>E<easting>`` of that corner.

The GeoTIFF is written with rasterio through GDAL's ``COG`` driver (tiled, internal overviews, DEFLATE), so a web
map or QGIS reads only the tiles and overview level it shows.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

from spatial_poverty.errors import ExportError

__all__ = ["Grid", "cell_id", "points_to_grid", "write_cog"]

logger = logging.getLogger(__name__)

EU_GRID_CRS = "EPSG:3035"


@dataclass(frozen=True)
class Grid:
    """A north-up raster on the EU grid: ``values[row, col]``, row 0 at the top."""

    values: np.ndarray
    x0: float  # west edge
    y1: float  # north edge
    res: float
    crs: str = EU_GRID_CRS

    @property
    def transform(self) -> tuple[float, float, float, float, float, float]:
        """The affine transform ``(a, b, c, d, e, f)``: x = a·col + c, y = e·row + f."""
        return (self.res, 0.0, self.x0, 0.0, -self.res, self.y1)


def cell_id(x: float, y: float, res: int = 1000) -> str:
    """The INSPIRE / GEOSTAT identifier of the EPSG:3035 cell holding ``(x, y)``."""
    return f"CRS3035RES{res}mN{int(np.floor(y / res) * res)}E{int(np.floor(x / res) * res)}"


def points_to_grid(
    points: gpd.GeoDataFrame, column: str | None = None, *, res: float = 1000.0, crs: str = EU_GRID_CRS
) -> Grid:
    """Sum a value of points (or count the points) in the cells of the EU grid.

    Parameters
    ----------
    points : GeoDataFrame of points, with a CRS
    column : str, optional
        The value to sum; by default each point counts 1.
    res : float
        Cell size in metres (1000 for the 1 km grid).
    crs : str
        The grid's CRS (EPSG:3035).

    Returns
    -------
    Grid
        Cells with no point are 0; the extent covers every point, aligned to multiples of ``res``.

    Raises
    ------
    ExportError
        If the points have no CRS, are not points, or the value has empty entries.
    """
    if points.crs is None:
        raise ExportError("points_to_grid needs points with a CRS; none was given")
    if len(points) == 0 or not (points.geom_type == "Point").all():
        raise ExportError("points_to_grid needs a non-empty layer of Point geometries")
    p = points.to_crs(crs)
    values = np.ones(len(p)) if column is None else pd.to_numeric(p[column]).to_numpy(dtype=float)
    if np.isnan(values).any():
        raise ExportError(f"points_to_grid: column {column!r} has empty values")
    x, y = p.geometry.x.to_numpy(), p.geometry.y.to_numpy()
    x0, y0 = np.floor(x.min() / res) * res, np.floor(y.min() / res) * res
    x1, y1 = (np.floor(x.max() / res) + 1) * res, (np.floor(y.max() / res) + 1) * res
    ncol, nrow = round((x1 - x0) / res), round((y1 - y0) / res)
    col = np.floor((x - x0) / res).astype(int)
    row = np.floor((y1 - y) / res).astype(int)
    grid = np.zeros((nrow, ncol), dtype=float)
    np.add.at(grid, (row, col), values)
    return Grid(grid, float(x0), float(y1), float(res), crs)


def write_cog(
    path: str | os.PathLike[str],
    grid: Grid,
    *,
    nodata: float | None = None,
    tags: Mapping[str, str] | None = None,
    description: str = "",
) -> Path:
    """Write ``grid`` as a Cloud-Optimised GeoTIFF (float32, DEFLATE, 256-pixel tiles, overviews).

    Raises
    ------
    ExportError
        If GDAL fails.
    """
    import rasterio
    from rasterio.transform import Affine

    path = Path(path)
    a, b, c, d, e, f = grid.transform
    profile = {
        "driver": "COG",
        "width": grid.values.shape[1],
        "height": grid.values.shape[0],
        "count": 1,
        "dtype": "float32",
        "crs": grid.crs,
        "transform": Affine(a, b, c, d, e, f),
        "nodata": nodata,
        "compress": "DEFLATE",
        "blocksize": 256,
        "overview_resampling": "average",
    }
    try:
        with rasterio.Env(GDAL_PAM_ENABLED="NO"), rasterio.open(path, "w", **profile) as dst:
            dst.write(grid.values.astype("float32"), 1)
            if tags:
                dst.update_tags(**tags)
            if description:
                dst.set_band_description(1, description)
    except Exception as exc:  # rasterio/GDAL raise several types; name the file
        raise ExportError(f"writing the Cloud-Optimised GeoTIFF {path} failed: {exc}") from exc
    logger.info("COG %s: %d × %d cells of %g m", path.name, profile["width"], profile["height"], grid.res)
    return path
