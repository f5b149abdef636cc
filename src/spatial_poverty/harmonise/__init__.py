"""Harmonisation across the 2011 and 2019 municipal reforms: the 2011->2021 crosswalk, apportioning, names,
the national table's fields, regional context and the data-quality report."""

from spatial_poverty.harmonise.apportion import apportion, carry_rates, split_counts
from spatial_poverty.harmonise.crosswalk import Crosswalk, build_crosswalk
from spatial_poverty.harmonise.names import compare_names, normalise_name
from spatial_poverty.harmonise.quality import QualityEntry, QualityReport

__all__ = [
    "Crosswalk",
    "QualityEntry",
    "QualityReport",
    "apportion",
    "build_crosswalk",
    "carry_rates",
    "compare_names",
    "normalise_name",
    "split_counts",
]
