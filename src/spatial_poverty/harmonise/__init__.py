"""Harmonisation across the 2011 and 2019 municipal reforms: the 2011->2021 crosswalk, apportioning, names,
the national table's fields, regional context and the data-quality report.

Its names are imported on first use (:mod:`spatial_poverty.lazy`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from spatial_poverty.lazy import lazy_exports

if TYPE_CHECKING:
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

__getattr__ = lazy_exports(
    __name__,
    {
        "apportion": (
            "apportion",
            "carry_rates",
            "split_counts",
        ),
        "crosswalk": (
            "Crosswalk",
            "build_crosswalk",
        ),
        "names": (
            "compare_names",
            "normalise_name",
        ),
        "quality": (
            "QualityEntry",
            "QualityReport",
        ),
    },
)
