"""Target monitoring for the Regional Strategies for Social Inclusion (ΠΕΣΚΕ).

Its names are imported on first use (:mod:`spatial_poverty.lazy`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from spatial_poverty.lazy import lazy_exports

if TYPE_CHECKING:
    from spatial_poverty.targets.monitor import STATUS, evaluate_targets, read_series, targets_chart
    from spatial_poverty.targets.schema import Point, Target, TargetsFile, load_targets, target_sources
    from spatial_poverty.targets.series import INDICATORS, Indicator

__all__ = [
    "INDICATORS",
    "STATUS",
    "Indicator",
    "Point",
    "Target",
    "TargetsFile",
    "evaluate_targets",
    "load_targets",
    "read_series",
    "target_sources",
    "targets_chart",
]

__getattr__ = lazy_exports(
    __name__,
    {
        "monitor": (
            "STATUS",
            "evaluate_targets",
            "read_series",
            "targets_chart",
        ),
        "schema": (
            "Point",
            "Target",
            "TargetsFile",
            "load_targets",
            "target_sources",
        ),
        "series": (
            "INDICATORS",
            "Indicator",
        ),
    },
)
