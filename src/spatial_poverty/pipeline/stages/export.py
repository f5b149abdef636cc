"""Stage ``export``: the GeoPackage (every layer, styled, documented, validated) and the configured other forms
(CSV, GeoJSON, XLSX), with the reproducible record of the run stored inside it.

The record holds what the layers rest on: inputs with their SHA-256, counts, weights, statistics, index, access,
library versions, data years, and the configuration of the stages that made them. The display options (``map:``,
``report:``) and the cache settings are not in it, so changing how the map looks does not change the GeoPackage.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from spatial_poverty.pipeline.config import DISPLAY_SECTIONS, PipelineConfig, data_config, data_config_sha256
from spatial_poverty.pipeline.names import source_ids
from spatial_poverty.pipeline.stage import Stage

if TYPE_CHECKING:
    from spatial_poverty.pipeline.stage import StageContext

__all__ = ["STAGE", "versions"]


def versions() -> dict[str, str]:
    """Python, this package and the libraries a run rests on, with GDAL and PROJ."""
    import platform
    from importlib import metadata

    import pyogrio
    import pyproj

    from spatial_poverty import __version__
    from spatial_poverty.pipeline.cache import LIBRARIES

    out = {"python": platform.python_version(), "spatial_poverty": __version__}
    for name in LIBRARIES:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = "not installed"
    out["gdal"] = pyogrio.__gdal_version_string__
    out["proj"] = pyproj.proj_version_str
    return out


def _layers(ctx: StageContext) -> dict[str, Any]:
    """Every layer of the GeoPackage: the ``layers`` of every stage that makes some, in the order of the stages."""
    layers: dict[str, Any] = {}
    for made in ctx.collected("layers").values():
        layers.update(made)
    return layers


def _index_report(ctx: StageContext, vintages: Any) -> dict[str, Any] | None:
    """The index's report with its recipe: the weight of each input and how old its data are."""
    from spatial_poverty.pipeline.vintage import index_recipe

    index = ctx.optional("index", "index")
    if index is None:
        return None
    cfg = ctx.cfg
    reference_year = (cfg.export.release_date or ctx.started.date()).year
    labels = {i.column: i.label_el or i.column for i in cfg.index.indicators} if cfg.index else {}
    return {
        **index.report,
        "recipe": index_recipe(index.report, vintages, reference_year=reference_year, labels=labels),
    }


def _notes(ctx: StageContext, layers: dict[str, Any], vintage: Any, index_name: str | None) -> dict[str, str]:
    """Each layer's description: its data years (vintage), or what the stage that made it says (``layer_notes``)."""
    from spatial_poverty.pipeline.vintage import layer_notes

    notes = layer_notes(layers, vintage, index_name=index_name)
    for made in ctx.collected("layer_notes").values():
        notes.update(made)
    return notes


def _run(ctx: StageContext) -> dict[str, Any]:
    from spatial_poverty.export import gpkg_timestamp
    from spatial_poverty.export.delivery import Delivery, SourceRef, write_delivery
    from spatial_poverty.pipeline.vintage import pipeline_vintages, vintage_manifest

    cfg, catalogue = ctx.cfg, ctx.catalogue
    gdf = ctx.product("harmonise", "municipalities")
    layers = _layers(ctx)
    vintages = pipeline_vintages(cfg, catalogue, ctx.product("harmonise", "provenance"))
    index_report = _index_report(ctx, vintages)
    records = ctx.collected("record")
    sources = [catalogue[i] for i in source_ids(cfg)]  # boundaries and population first
    inputs = [
        {"id": s.id, "path": s.path, "sha256": ctx.checksums[s.id], "publisher": s.publisher, "licence": s.licence,
         "attribution": s.attribution}
        for s in sources
    ]  # fmt: skip
    counts = {
        "municipalities": len(gdf),
        "pop_2011": int(gdf["pop_2011"].sum()),
        "pop_2021": int(gdf["pop_2021"].sum()),
    }
    record = {  # the reproducible record of the run (no id, no clock): stored inside the GeoPackage
        "pipeline": cfg.name,
        "config_sha256": data_config_sha256(cfg),
        "config": data_config(cfg),
        "seed": cfg.seed,
        "inputs": inputs,
        "counts": counts,
        "weights": ctx.product("weights", "report").to_dict(),
        "statistics": ctx.product("statistics", "summary"),
        "bivariate": ctx.product("statistics", "bivariate"),
        "harmonisation": ctx.product("harmonise", "manifest"),
        "index": index_report,
        "regions": records.pop("regions", None),
        "access": records.pop("access", None),
        "versions": versions(),
        "vintage": vintage_manifest(
            vintages, catalogue, catalogue[cfg.sources.boundaries], pairs=cfg.statistics.bivariate
        ),
        **records,  # the record of every other stage that makes one, under its name
    }
    index_name = cfg.index.name if cfg.index is not None else None
    delivery = Delivery(
        name=cfg.name,
        title=cfg.title,
        title_en=cfg.title_en,
        timestamp=gpkg_timestamp(cfg.export.release_date),
        crs=cfg.export.crs,
        sources=[
            SourceRef(s.id, s.title, s.publisher, s.licence, s.attribution, s.landing_page, ctx.checksums[s.id])
            for s in sources
        ],
        record=record,
        layer_notes=_notes(ctx, layers, record["vintage"], index_name),
    )
    delivered = write_delivery(ctx.staging, layers, delivery, formats=cfg.export.formats)
    return {
        "record": record,
        "layers": {name: len(f) for name, f in layers.items()},
        "delivered": [p.name for p in delivered],
    }


STAGE = Stage(
    name="export",
    run=_run,
    describe=lambda cfg: (
        f"write {cfg.name}.gpkg (every layer, styled, documented, validated) and the tables "
        f"({', '.join(cfg.export.formats) or 'GeoPackage only'})"
    ),
    config=tuple(k for k, f in PipelineConfig.model_fields.items() if not f.exclude and k not in DISPLAY_SECTIONS),
    needs=("ingest", "harmonise", "weights", "index", "statistics"),
    collects=("layers", "record", "layer_notes"),
    products=("record", "layers", "delivered"),
    inputs=source_ids,
    # The index recipe counts data years up to the release date, or to the year of the run without one.
    clock=lambda cfg, started: (cfg.export.release_date or started.date()).year,
)
