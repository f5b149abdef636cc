"""Demographic indicators per municipality: population change and density."""

from __future__ import annotations

import logging
import warnings

import geopandas as gpd
import numpy as np
import pandas as pd

from spatial_poverty.errors import IngestError

__all__ = ["area_km2", "population_change_pct", "population_density"]

logger = logging.getLogger(__name__)


def population_change_pct(before: pd.Series, after: pd.Series) -> pd.Series:
    r"""Population change between two censuses, in percent.

    .. math:: \Delta_i = 100 \, \frac{P_i^{after} - P_i^{before}}{P_i^{before}}

    Parameters
    ----------
    before, after : pandas.Series
        Population counts on the same index (the municipality code).

    Returns
    -------
    pandas.Series
        float64, named ``pop_change_pct``, aligned to the index; NaN (with a warning) where ``before`` is 0.

    Raises
    ------
    IngestError
        If the indexes differ or a count is negative or missing.

    Examples
    --------
    >>> population_change_pct(pd.Series([200], index=["6701"]), pd.Series([210], index=["6701"])).iloc[0]
    5.0
    """
    _check_counts(before, "before")
    _check_counts(after, "after")
    if not before.index.equals(after.index):
        raise IngestError("population_change_pct needs both series on the same index (municipality codes)")
    b = before.to_numpy(dtype=float)
    zero = b == 0
    if zero.any():
        warnings.warn(
            f"population 0 in the base year for {list(before.index[zero])}: change is NaN there",
            RuntimeWarning,
            stacklevel=2,
        )
    with np.errstate(divide="ignore", invalid="ignore"):
        out = np.where(zero, np.nan, 100.0 * (after.to_numpy(dtype=float) - b) / b)
    return pd.Series(out, index=before.index, name="pop_change_pct")


def area_km2(geometries: gpd.GeoSeries | gpd.GeoDataFrame) -> pd.Series:
    """Planar area in km² in the layer's projected CRS (EPSG:2100 for the Greek data).

    Notes
    -----
    EPSG:2100 is a transverse Mercator with scale factor 0.9996 on 24°E; over Greece its area scale stays within
    about ±0.3 %, which is well below what matters for densities. Geographic coordinates are refused rather
    than silently giving square degrees.

    Raises
    ------
    IngestError
        If the CRS is missing or geographic.
    """
    crs = geometries.crs
    if crs is None or crs.is_geographic:
        raise IngestError(f"area_km2 needs a projected CRS in metres (EPSG:2100 for Greece); {crs!s} was given instead")
    return pd.Series(geometries.area.to_numpy() / 1e6, index=geometries.index, name="area_km2")


def population_density(population: pd.Series, area: pd.Series) -> pd.Series:
    r"""Residents per km²: :math:`d_i = P_i / A_i`.

    Returns
    -------
    pandas.Series
        float64, named ``density``, aligned to ``population``'s index.
    """
    _check_counts(population, "population")
    if not population.index.equals(area.index):
        raise IngestError("population_density needs population and area on the same index")
    if (area <= 0).any():
        raise IngestError(f"area must be positive; found {area[area <= 0].to_dict()}")
    return pd.Series(
        population.to_numpy(dtype=float) / area.to_numpy(dtype=float), index=population.index, name="density"
    )


def _check_counts(s: pd.Series, what: str) -> None:
    if s.isna().any():
        raise IngestError(f"{what}: missing counts for {list(s.index[s.isna()])}")
    if (s < 0).any():
        raise IngestError(f"{what}: negative counts for {s[s < 0].to_dict()}")
