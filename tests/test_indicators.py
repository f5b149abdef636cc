"""Indicators on small fixtures: values, index alignment, refusals."""

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import box

from spatial_poverty.errors import IngestError
from spatial_poverty.indicators import area_km2, population_change_pct, population_density

RTOL = 1e-12


def test_population_change_keeps_the_code_index():
    idx = pd.Index(["6001", "0101", "5801"], name="code")  # shuffled string codes
    before = pd.Series([100, 200, 0], index=idx)
    after = pd.Series([110, 150, 5], index=idx)
    with pytest.warns(RuntimeWarning, match=r"population 0 in the base year for \['5801'\]"):
        out = population_change_pct(before, after)
    assert out.index.equals(idx)
    np.testing.assert_allclose(out.iloc[:2], [10.0, -25.0], rtol=RTOL)
    assert np.isnan(out["5801"])


def test_population_change_refuses_mismatched_index_and_negative_counts():
    with pytest.raises(IngestError, match="same index"):
        population_change_pct(pd.Series([1], index=["a"]), pd.Series([1], index=["b"]))
    with pytest.raises(IngestError, match="negative counts"):
        population_change_pct(pd.Series([-1], index=["a"]), pd.Series([1], index=["a"]))


def test_area_and_density():
    # Fixture: a 2 km x 3 km box and a 1 km square in EPSG:2100 (metres).
    gdf = gpd.GeoDataFrame(
        {"pop": [600, 50]},
        geometry=[box(0, 0, 2000, 3000), box(0, 0, 1000, 1000)],
        crs=2100,
        index=pd.Index(["0102", "0101"], name="code"),
    )
    a = area_km2(gdf)
    np.testing.assert_allclose(a, [6.0, 1.0], rtol=RTOL)
    d = population_density(gdf["pop"], a)
    assert d.index.equals(gdf.index)
    np.testing.assert_allclose(d, [100.0, 50.0], rtol=RTOL)


def test_area_refuses_geographic_crs():
    gdf = gpd.GeoDataFrame(geometry=[box(24, 37, 25, 38)], crs=4326)
    with pytest.raises(IngestError, match="needs a projected CRS"):
        area_km2(gdf)
