"""Stage ``ingest``: the 2021 boundaries and census population, joined, and the municipalities of the area."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from spatial_poverty.pipeline.stage import Stage

if TYPE_CHECKING:
    import geopandas as gpd
    import pandas as pd

    from spatial_poverty.pipeline.config import PipelineConfig
    from spatial_poverty.pipeline.stage import StageContext

__all__ = ["STAGE", "area_name", "selected_municipalities"]


def selected_municipalities(
    cfg: PipelineConfig,
    boundaries: gpd.GeoDataFrame,
    population: pd.DataFrame,
    *,
    boundaries_name: str = "boundaries",
    population_name: str = "population",
) -> gpd.GeoDataFrame:
    """Boundaries joined to the population, restricted to the configured area."""
    from spatial_poverty.ingest import join_boundaries_population, select_area

    joined = join_boundaries_population(
        boundaries, population, boundaries_name=boundaries_name, population_name=population_name
    )
    return select_area(joined, nuts2=cfg.area.nuts2 or None, regional_units=cfg.area.regional_units or None)


def area_name(cfg: PipelineConfig) -> str:
    """The configured area in words."""
    if cfg.area.nuts2:
        return f"NUTS 2 {', '.join(cfg.area.nuts2)}"
    if cfg.area.regional_units:
        return f"regional units {', '.join(cfg.area.regional_units)}"
    return "all of Greece"


def _run(ctx: StageContext) -> dict[str, Any]:
    from spatial_poverty.ingest import read_municipal_boundaries, read_population

    s = ctx.cfg.sources
    b_src, p_src = ctx.catalogue[s.boundaries], ctx.catalogue[s.population]
    boundaries = read_municipal_boundaries(ctx.raw / b_src.path)
    population = read_population(ctx.raw / p_src.path)
    selected = selected_municipalities(
        ctx.cfg, boundaries, population, boundaries_name=b_src.path, population_name=p_src.path
    )
    return {"boundaries": boundaries, "population": population, "selected": selected}


STAGE = Stage(
    name="ingest",
    run=_run,
    describe=lambda cfg: (
        f"read {cfg.sources.boundaries} and {cfg.sources.population}; select the municipalities of {area_name(cfg)}"
    ),
    config=("area", "sources.boundaries", "sources.population"),
    products=("boundaries", "population", "selected"),
    inputs=lambda cfg: [cfg.sources.boundaries, cfg.sources.population],
)
