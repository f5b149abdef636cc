"""Spatial statistics: weights (libpysal Graph with an island policy), global and local statistics, EB rates."""

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
