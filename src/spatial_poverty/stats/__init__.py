"""Spatial statistics: weights (libpysal Graph with an island policy), global and local statistics, EB rates.

The names below are imported on first use (PEP 562): a process that needs only the contiguity builder or the
permutation engine (``spatial-poverty stats lisa`` on contiguity weights) does not pay for libpysal at start-up.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from spatial_poverty.stats.autocorrelation import GlobalMoran, LocalMoran, pseudo_p_two_sided
    from spatial_poverty.stats.global_stats import BivariateMoran, GearyC, GeneralG, JoinCounts, MoranRate
    from spatial_poverty.stats.inference import adjust_pvalues, gi_bin, pseudo_p
    from spatial_poverty.stats.local_stats import BivariateLocalMoran, GetisOrdLocal, LocalGeary, LocalJoinCount
    from spatial_poverty.stats.rates import assuncao_reis_standardise, eb_rate, spatial_eb_rate
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

__all__ = [
    "BivariateLocalMoran",
    "BivariateMoran",
    "GearyC",
    "GeneralG",
    "GetisOrdLocal",
    "GlobalMoran",
    "JoinCounts",
    "LocalGeary",
    "LocalJoinCount",
    "LocalMoran",
    "MoranRate",
    "WeightsReport",
    "WeightsSpec",
    "adjust_pvalues",
    "assuncao_reis_standardise",
    "build_weights",
    "by_component",
    "eb_rate",
    "gi_bin",
    "link_isolates_knn",
    "local_stability",
    "pseudo_p",
    "pseudo_p_two_sided",
    "read_links",
    "read_weights_file",
    "spatial_eb_rate",
    "symmetrise",
    "write_weights",
]


_WHERE: dict[str, str] = {
    "GlobalMoran": "spatial_poverty.stats.autocorrelation",
    "LocalMoran": "spatial_poverty.stats.autocorrelation",
    "pseudo_p_two_sided": "spatial_poverty.stats.autocorrelation",
    "BivariateMoran": "spatial_poverty.stats.global_stats",
    "GearyC": "spatial_poverty.stats.global_stats",
    "GeneralG": "spatial_poverty.stats.global_stats",
    "JoinCounts": "spatial_poverty.stats.global_stats",
    "MoranRate": "spatial_poverty.stats.global_stats",
    "adjust_pvalues": "spatial_poverty.stats.inference",
    "gi_bin": "spatial_poverty.stats.inference",
    "pseudo_p": "spatial_poverty.stats.inference",
    "BivariateLocalMoran": "spatial_poverty.stats.local_stats",
    "GetisOrdLocal": "spatial_poverty.stats.local_stats",
    "LocalGeary": "spatial_poverty.stats.local_stats",
    "LocalJoinCount": "spatial_poverty.stats.local_stats",
    "assuncao_reis_standardise": "spatial_poverty.stats.rates",
    "eb_rate": "spatial_poverty.stats.rates",
    "spatial_eb_rate": "spatial_poverty.stats.rates",
    "by_component": "spatial_poverty.stats.stability",
    "local_stability": "spatial_poverty.stats.stability",
    "WeightsReport": "spatial_poverty.stats.weights",
    "WeightsSpec": "spatial_poverty.stats.weights",
    "build_weights": "spatial_poverty.stats.weights",
    "link_isolates_knn": "spatial_poverty.stats.weights",
    "read_links": "spatial_poverty.stats.weights",
    "read_weights_file": "spatial_poverty.stats.weights",
    "symmetrise": "spatial_poverty.stats.weights",
    "write_weights": "spatial_poverty.stats.weights",
}


def __getattr__(name: str) -> Any:
    if name in _WHERE:
        return getattr(importlib.import_module(_WHERE[name]), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted([*globals(), *__all__])
