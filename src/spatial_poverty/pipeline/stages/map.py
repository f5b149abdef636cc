"""Stage ``map``: the interactive map ``map.html`` (indicators, LISA, Gi*, the index, bivariate LISA, services,
the AROPE estimates)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from spatial_poverty.pipeline.stage import Stage

if TYPE_CHECKING:
    from spatial_poverty.pipeline.stage import StageContext

__all__ = ["STAGE"]


def _decorate(ctx: StageContext) -> Any:
    """The layers other stages add to the map (services and settlements; the AROPE estimates), or None."""
    access = ctx.optional("access", "access")
    sae = ctx.optional("sae", "layers")
    if access is None and sae is None:
        return None
    cfg = ctx.cfg
    names = ctx.product("harmonise", "municipalities")["name_el"]

    def decorate(fmap: Any) -> None:
        if access is not None:
            from spatial_poverty.maps.access import add_access_layers

            add_access_layers(
                fmap,
                access.layers["services"],
                access.layers["settlement_access"],
                access.nearest,
                names,
                attribution=access.registry.attribution,
            )
        if sae is not None:
            from spatial_poverty.maps.sae import add_sae_layers
            from spatial_poverty.pipeline.names import SAE_LAYER
            from spatial_poverty.sae.spec import SYNTHETIC

            spec = cfg.sae
            label = (f"{SYNTHETIC}: " if spec.synthetic else "") + f"AROPE {spec.year}"
            groups = {g: spec.groups[g].title_el for g in spec.groups}
            add_sae_layers(fmap, sae[SAE_LAYER], groups, simplify_m=cfg.map.simplify_m, label=label)

    return decorate


def _run(ctx: StageContext) -> dict[str, Any]:
    from spatial_poverty.maps import IndicatorLayer, interactive_map, write_map
    from spatial_poverty.pipeline.variables import INDICATORS
    from spatial_poverty.report.layers import read_run_layers
    from spatial_poverty.report.products import draw_run_map, run_attribution

    cfg = ctx.cfg
    record = ctx.product("export", "record")
    notes = {var: v["line_el"] for var, v in record["vintage"].items()}
    decorate = _decorate(ctx)
    layers = read_run_layers(ctx.staging / f"{cfg.name}.gpkg")
    if layers.index is not None or layers.gistar or layers.bilisa:  # drawn from the GeoPackage's layers
        draw_run_map(cfg, ctx.staging, layers, run_attribution(record), decorate, notes)
        return {}
    s = cfg.sources
    m = interactive_map(
        ctx.product("harmonise", "municipalities"),
        title=cfg.title,
        indicators=[IndicatorLayer(c, *INDICATORS[c], diverging=(c == "pop_change_pct")) for c in cfg.indicators],
        lisa=ctx.product("statistics", "lisas"),
        attribution=" · ".join(
            dict.fromkeys([ctx.catalogue[s.boundaries].attribution, ctx.catalogue[s.population].attribution])
        ),
        simplify_m=cfg.map.simplify_m,
        significance=cfg.statistics.significance or "p",
        notes=notes,
    )
    if decorate is not None:
        decorate(m)
    write_map(m, ctx.staging / "map.html")
    return {}


STAGE = Stage(
    name="map",
    run=_run,
    describe=lambda cfg: f"the interactive map map.html (geometry simplified to {cfg.map.simplify_m:g} m)",
    config=("map", "title", "indicators", "statistics.significance", "sae"),
    needs=("harmonise", "statistics", "access", "sae", "export"),
)
