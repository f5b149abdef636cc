"""Stage ``regions``: contiguous regions of at least ``regions.min_population`` people (``regions:``)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from spatial_poverty.pipeline.stage import Stage

if TYPE_CHECKING:
    from spatial_poverty.pipeline.stage import StageContext

__all__ = ["STAGE"]


def _run(ctx: StageContext) -> dict[str, Any]:
    from spatial_poverty.pipeline.statistics_extra import regions_stage

    regions = regions_stage(ctx.product("harmonise", "municipalities"), ctx.product("weights", "graph"), ctx.cfg)
    return {"layers": {"regions": regions.regions}, "record": regions.summary()}


STAGE = Stage(
    name="regions",
    run=_run,
    describe=lambda cfg: (
        f"regions by {cfg.regions.method}, at least {cfg.regions.min_population} people each (layer regions)"
        if cfg.regions
        else ""
    ),
    config=("regions", "seed"),
    needs=("harmonise", "weights"),
    products=("layers", "record"),
    enabled=lambda cfg: cfg.regions is not None,
)
