"""Stage ``harmonise``: the 1991-2011 census and the regional context brought onto the 2021 municipalities, with
the data-quality report (``quality.csv``, ``quality.html``)."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from spatial_poverty.pipeline.config import CONTEXT_SOURCES, HARMONISE_SOURCES
from spatial_poverty.pipeline.stage import Stage

if TYPE_CHECKING:
    from spatial_poverty.pipeline.config import PipelineConfig
    from spatial_poverty.pipeline.stage import StageContext

__all__ = ["STAGE"]

logger = logging.getLogger(__name__)


def _inputs(cfg: PipelineConfig) -> list[str]:
    keys = [*HARMONISE_SOURCES, *CONTEXT_SOURCES]
    return [getattr(cfg.sources, k) for k in keys if getattr(cfg.sources, k, None)]


def _run(ctx: StageContext) -> dict[str, Any]:
    from spatial_poverty.harmonise.pipeline import harmonise_run

    harmonised = harmonise_run(
        ctx.cfg.sources,
        ctx.catalogue,
        ctx.raw,
        ctx.product("indicators", "municipalities"),
        ctx.product("ingest", "boundaries"),
        ctx.product("ingest", "population"),
    )
    gdf = harmonised.municipalities
    harmonised.quality.log_table()
    harmonised.quality.write_csv(ctx.staging / "quality.csv")
    harmonised.quality.write_html(ctx.staging / "quality.html", title=f"{ctx.cfg.title}: ποιότητα δεδομένων")
    logger.info("%d municipalities; pop_2011 %d, pop_2021 %d", len(gdf), gdf["pop_2011"].sum(), gdf["pop_2021"].sum())
    return {
        "municipalities": gdf,
        # the municipalities layer first, then code_crosswalk and field_provenance (when the sources give them)
        "layers": {"municipalities": gdf, **harmonised.layers},
        "provenance": harmonised.provenance,
        "manifest": harmonised.manifest(),
    }


def _describe(cfg: PipelineConfig) -> str:
    ids = _inputs(cfg)
    brought = f"bring {', '.join(ids)} onto the 2021 municipalities; " if ids else ""
    return brought + "data-quality report (quality.csv, quality.html)"


STAGE = Stage(
    name="harmonise",
    run=_run,
    describe=_describe,
    config=("sources", "title"),
    needs=("ingest", "indicators"),
    products=("municipalities", "layers", "provenance", "manifest"),
    inputs=_inputs,
)
