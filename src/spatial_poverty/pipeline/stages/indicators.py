"""Stage ``indicators``: area, population change and density of the selected municipalities."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from spatial_poverty.pipeline.stage import Stage

if TYPE_CHECKING:
    import geopandas as gpd
    import pandas as pd

    from spatial_poverty.pipeline.config import PipelineConfig
    from spatial_poverty.pipeline.stage import StageContext

__all__ = ["STAGE", "with_indicators"]


def with_indicators(cfg: PipelineConfig, selected: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """The ``municipalities`` layer before harmonisation: the selected municipalities and the configured indicators."""
    import geopandas as gpd

    from spatial_poverty.indicators import area_km2, population_change_pct, population_density

    area = area_km2(selected)
    cols: dict[str, pd.Series] = {"area_km2": area}
    if "pop_change_pct" in cfg.indicators:
        cols["pop_change_pct"] = population_change_pct(selected["pop_2011"], selected["pop_2021"])
    if "density" in cfg.indicators:
        cols["density"] = population_density(selected["pop_2021"], area)
    out = selected.assign(**cols)
    ordered = ["name_el", "name_en", "regional_unit", "region_el", "pop_2011", "pop_2021", *cols, "geometry"]
    out = gpd.GeoDataFrame(out[ordered], geometry="geometry", crs=selected.crs)
    out.index.name = "code"
    return out


def _run(ctx: StageContext) -> dict[str, Any]:
    return {"municipalities": with_indicators(ctx.cfg, ctx.product("ingest", "selected"))}


STAGE = Stage(
    name="indicators",
    run=_run,
    describe=lambda cfg: f"compute indicators {', '.join(cfg.indicators)}",
    config=("indicators",),
    needs=("ingest",),
    products=("municipalities",),
)
