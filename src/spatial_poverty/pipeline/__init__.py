"""Pipelines: the YAML schema and the runner that carries a run through every stage.

The runner's names are imported on first use (:mod:`spatial_poverty.lazy`): ``spatial-poverty validate`` needs
the schema only and does not pay for the maps, the report and the statistics at start-up.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from spatial_poverty.lazy import lazy_exports
from spatial_poverty.pipeline.config import INDICATORS, PipelineConfig, load_config

if TYPE_CHECKING:
    from spatial_poverty.pipeline.planning import RunPlan, check_config_files, plan, run_plan
    from spatial_poverty.pipeline.runner import RunResult, municipality_layer, run_pipeline

__all__ = [
    "INDICATORS",
    "PipelineConfig",
    "RunPlan",
    "RunResult",
    "check_config_files",
    "load_config",
    "municipality_layer",
    "plan",
    "run_pipeline",
    "run_plan",
]

__getattr__ = lazy_exports(
    __name__,
    {
        "planning": ("RunPlan", "check_config_files", "plan", "run_plan"),
        "runner": ("RunResult", "municipality_layer", "run_pipeline"),
    },
)
