"""Pipelines: the YAML schema and the runner that carries a run through every stage."""

from spatial_poverty.pipeline.config import INDICATORS, PipelineConfig, load_config
from spatial_poverty.pipeline.runner import RunResult, municipality_layer, plan, run_pipeline

__all__ = [
    "INDICATORS",
    "PipelineConfig",
    "RunResult",
    "load_config",
    "municipality_layer",
    "plan",
    "run_pipeline",
]
