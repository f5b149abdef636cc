"""Stage ``maps``: the static figures (PNG and PDF under ``figures/``), drawn from the GeoPackage."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from spatial_poverty.pipeline.stage import Stage

if TYPE_CHECKING:
    from spatial_poverty.pipeline.stage import StageContext

__all__ = ["STAGE"]

logger = logging.getLogger(__name__)


def _run(ctx: StageContext) -> dict[str, Any]:
    from spatial_poverty.report.layers import read_run_layers
    from spatial_poverty.report.products import static_maps

    layers = read_run_layers(ctx.staging / f"{ctx.cfg.name}.gpkg")
    written, layout = static_maps(ctx.cfg, ctx.staging, ctx.product("export", "record"), layers)
    logger.info("static maps: %d figures", len(written))
    figures = {name: [p.relative_to(ctx.staging).as_posix() for p in paths] for name, paths in written.items()}
    return {"figures": figures, "layout": layout}


STAGE = Stage(
    name="maps",
    run=_run,
    describe=lambda cfg: f"static figures (PNG and PDF, {cfg.report.language}) of every indicator and statistic",
    config=(
        "indicators",
        "statistics.alpha",
        "statistics.permutations",
        "statistics.significance",
        "report.language",
    ),
    needs=("export",),
    products=("figures", "layout"),
)
