"""Spatial statistics: weights (libpysal Graph with an island policy), global and local statistics, EB rates,
regionalisation and space-time classes.

The names below are imported on first use (PEP 562): a process that needs only the contiguity builder or the
permutation engine (``spatial-poverty stats lisa`` on contiguity weights) does not pay for libpysal at start-up.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from spatial_poverty.lazy import lazy_exports

if TYPE_CHECKING:
    from spatial_poverty.stats.autocorrelation import GlobalMoran, LocalMoran, pseudo_p_two_sided
    from spatial_poverty.stats.global_stats import BivariateMoran, GearyC, GeneralG, JoinCounts, MoranRate
    from spatial_poverty.stats.inference import adjust_pvalues, gi_bin, pseudo_p
    from spatial_poverty.stats.local_stats import BivariateLocalMoran, GetisOrdLocal, LocalGeary, LocalJoinCount
    from spatial_poverty.stats.rates import assuncao_reis_standardise, eb_rate, spatial_eb_rate
    from spatial_poverty.stats.regions import Regionalisation, regionalise, shape_measures
    from spatial_poverty.stats.spacetime import EmergingHotSpots, LisaMarkov, classify_emerging, mann_kendall
    from spatial_poverty.stats.stability import by_component, local_stability
    from spatial_poverty.stats.weights import (
        WeightsReport,
        WeightsSpec,
        build_weights,
        link_isolates_knn,
        read_links,
        read_weights_file,
        symmetrise,
        write_weights,
    )

_MODULES: dict[str, tuple[str, ...]] = {
    "autocorrelation": ("GlobalMoran", "LocalMoran", "pseudo_p_two_sided"),
    "global_stats": ("BivariateMoran", "GearyC", "GeneralG", "JoinCounts", "MoranRate"),
    "inference": ("adjust_pvalues", "gi_bin", "pseudo_p"),
    "local_stats": ("BivariateLocalMoran", "GetisOrdLocal", "LocalGeary", "LocalJoinCount"),
    "rates": ("assuncao_reis_standardise", "eb_rate", "spatial_eb_rate"),
    "regions": ("Regionalisation", "regionalise", "shape_measures"),
    "spacetime": ("EmergingHotSpots", "LisaMarkov", "classify_emerging", "mann_kendall"),
    "stability": ("by_component", "local_stability"),
    "weights": (
        "WeightsReport",
        "WeightsSpec",
        "build_weights",
        "link_isolates_knn",
        "read_links",
        "read_weights_file",
        "symmetrise",
        "write_weights",
    ),
}

__all__ = [
    "BivariateLocalMoran",
    "BivariateMoran",
    "EmergingHotSpots",
    "GearyC",
    "GeneralG",
    "GetisOrdLocal",
    "GlobalMoran",
    "JoinCounts",
    "LisaMarkov",
    "LocalGeary",
    "LocalJoinCount",
    "LocalMoran",
    "MoranRate",
    "Regionalisation",
    "WeightsReport",
    "WeightsSpec",
    "adjust_pvalues",
    "assuncao_reis_standardise",
    "build_weights",
    "by_component",
    "classify_emerging",
    "eb_rate",
    "gi_bin",
    "link_isolates_knn",
    "local_stability",
    "mann_kendall",
    "pseudo_p",
    "pseudo_p_two_sided",
    "read_links",
    "read_weights_file",
    "regionalise",
    "shape_measures",
    "spatial_eb_rate",
    "symmetrise",
    "write_weights",
]

__getattr__ = lazy_exports(__name__, _MODULES)


def __dir__() -> list[str]:
    return sorted([*globals(), *__all__])
