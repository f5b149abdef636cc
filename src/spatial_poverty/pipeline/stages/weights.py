"""Stage ``weights``: the spatial weights of the municipalities, with the island policy and their report."""

from __future__ import annotations

import json
import logging
from typing import TYPE_CHECKING, Any

from spatial_poverty.pipeline.stage import Stage

if TYPE_CHECKING:
    from spatial_poverty.pipeline.config import PipelineConfig
    from spatial_poverty.pipeline.stage import StageContext
    from spatial_poverty.stats import WeightsSpec

__all__ = ["STAGE", "weights_spec"]

logger = logging.getLogger(__name__)


def weights_spec(cfg: PipelineConfig) -> WeightsSpec:
    """The :class:`~spatial_poverty.stats.WeightsSpec` of a pipeline's ``weights:`` section."""
    from spatial_poverty.stats import WeightsSpec

    w = cfg.weights
    return WeightsSpec(
        kind=w.kind or w.contiguity,
        k=w.neighbours,
        threshold=w.threshold_m,
        kernel=w.kernel,
        bandwidth=w.bandwidth_m,
        links_file=cfg.resolve(w.links_file) if w.links_file is not None else None,
        island_policy=w.island_policy,
        island_k=w.k,
    )


def _run(ctx: StageContext) -> dict[str, Any]:
    from spatial_poverty.stats import build_weights

    graph, report = build_weights(ctx.product("harmonise", "municipalities"), weights_spec(ctx.cfg))
    logger.info("weights report: %s", json.dumps(report.to_dict(), ensure_ascii=False))
    return {"graph": graph, "report": report}


def _files(cfg: PipelineConfig) -> list[tuple[str, Any]]:
    return [("weights.links_file", cfg.resolve(cfg.weights.links_file))] if cfg.weights.links_file else []


STAGE = Stage(
    name="weights",
    run=_run,
    describe=lambda cfg: (
        f"{cfg.weights.kind or cfg.weights.contiguity} weights, island policy "
        f"{cfg.weights.island_policy} (k={cfg.weights.k}), symmetrised"
    ),
    config=("weights",),
    needs=("harmonise",),
    products=("graph", "report"),
    files=_files,
)
