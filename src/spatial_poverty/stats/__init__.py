"""Spatial statistics: weights (libpysal Graph with an island policy) and autocorrelation."""

from spatial_poverty.stats.autocorrelation import GlobalMoran, LocalMoran, pseudo_p_two_sided
from spatial_poverty.stats.weights import WeightsReport, build_weights, link_isolates_knn

__all__ = [
    "GlobalMoran",
    "LocalMoran",
    "WeightsReport",
    "build_weights",
    "link_isolates_knn",
    "pseudo_p_two_sided",
]
