"""Target monitoring for the Regional Strategies for Social Inclusion (ΠΕΣΚΕ)."""

from spatial_poverty.targets.monitor import (
    STATUS,
    evaluate_targets,
    read_series,
    target_sources,
    targets_chart,
)
from spatial_poverty.targets.schema import Point, Target, TargetsFile, load_targets
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
