"""Points summed on the EU 1 km grid (EPSG:3035) and written as a Cloud-Optimised GeoTIFF."""

from __future__ import annotations

import json

import geopandas as gpd
import numpy as np
import pytest
import rasterio
import rasterio.warp
from shapely.geometry import Point

from spatial_poverty.errors import ExportError
from spatial_poverty.export.grid import cell_id, points_to_grid, write_cog


def test_values_are_summed_in_their_cells(tmp_path):
    """Fixture: three points in EPSG:3035, two in one cell."""
    pts = gpd.GeoDataFrame(
        {"pop": [10.0, 5.0, 7.0]},
        geometry=[Point(5_400_100, 1_700_200), Point(5_400_900, 1_700_900), Point(5_402_500, 1_698_100)],
        crs=3035,
    )
    g = points_to_grid(pts, "pop")
    assert (g.x0, g.y1, g.values.shape) == (5_400_000.0, 1_701_000.0, (3, 3))
    assert g.values[0, 0] == 15.0 and g.values[2, 2] == 7.0 and g.values.sum() == 22.0
    assert cell_id(5_400_100, 1_700_200) == "CRS3035RES1000mN1700000E5400000"
    path = write_cog(tmp_path / "pop.tif", g, tags={"source": "fixture"}, description="pop")
    with rasterio.open(path) as src:
        assert src.crs.to_epsg() == 3035 and src.read(1).sum() == 22.0
        assert src.tags()["source"] == "fixture" and src.descriptions == ("pop",)
    with pytest.raises(ExportError, match="needs points with a CRS"):
        points_to_grid(gpd.GeoDataFrame(geometry=[Point(0, 0)]))


def test_elstat_settlements_on_the_eu_1km_grid_as_a_cog(bundle, tmp_path):
    """The 13,584 ELSTAT 2021 settlements counted per 1 km cell of the EU grid: every point lands in a cell, the
    file is a valid COG (tiled, overviews, COG layout) aligned to the grid, and the same input gives the same bytes."""
    records = json.loads((bundle / "elstat_2021" / "oikismoi-transformed-array.json").read_text(encoding="utf-8"))
    pts = gpd.GeoDataFrame(
        {"code": [r[0] for r in records]},
        geometry=[Point(*r[1][0]) for r in records],  # [lon, lat]
        crs=4326,
    )
    grid = points_to_grid(pts)
    assert grid.values.sum() == len(records) == 13584
    assert grid.x0 % 1000 == 0 and grid.y1 % 1000 == 0
    paths = [write_cog(tmp_path / f"settlements_{i}.tif", grid) for i in range(2)]
    assert paths[0].read_bytes() == paths[1].read_bytes()
    with rasterio.open(paths[0]) as src:
        assert src.crs.to_epsg() == 3035 and src.res == (1000.0, 1000.0)
        assert src.tags(ns="IMAGE_STRUCTURE").get("LAYOUT") == "COG"
        assert src.block_shapes[0] == (256, 256) and src.overviews(1)
        assert int(np.round(src.read(1).sum())) == 13584
        # Athens (23.73 E, 37.98 N) lies in a populated area: several settlements within a few cells.
        xs, ys = rasterio.warp.transform("EPSG:4326", "EPSG:3035", [23.73], [37.98])
        row, col = src.index(xs[0], ys[0])
        assert src.read(1)[row - 5 : row + 6, col - 5 : col + 6].sum() >= 1
