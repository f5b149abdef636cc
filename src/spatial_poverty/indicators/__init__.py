"""Indicators per municipality: typed functions, data first, returning Series aligned to the code index."""

from spatial_poverty.indicators.demography import area_km2, population_change_pct, population_density

__all__ = ["area_km2", "population_change_pct", "population_density"]
