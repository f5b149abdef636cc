"""The stages of a pipeline, one module each; ``STAGES`` registers them (a new stage: its module and one line).

The order here only breaks ties: the runner orders stages by what each declares it needs
(:func:`spatial_poverty.pipeline.graph.stage_order`).
"""

from __future__ import annotations

from spatial_poverty.pipeline.stage import Stage
from spatial_poverty.pipeline.stages import (
    access,
    export,
    harmonise,
    index,
    indicators,
    ingest,
    maps,
    regions,
    registers,
    report,
    sae,
    statistics,
    targets,
    weights,
)
from spatial_poverty.pipeline.stages import map as map_stage

__all__ = ["STAGES"]

STAGES: tuple[Stage, ...] = (
    ingest.STAGE,
    indicators.STAGE,
    harmonise.STAGE,
    weights.STAGE,
    index.STAGE,
    regions.STAGE,
    access.STAGE,
    registers.STAGE,
    sae.STAGE,
    statistics.STAGE,
    export.STAGE,
    map_stage.STAGE,
    maps.STAGE,
    targets.STAGE,
    report.STAGE,
)
