"""Stage ``access``: access to social services from every settlement, islands as islands (``access:``)."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import TYPE_CHECKING, Any

from spatial_poverty.pipeline.config import ACCESS_SOURCES
from spatial_poverty.pipeline.stage import Stage

if TYPE_CHECKING:
    from spatial_poverty.pipeline.config import PipelineConfig
    from spatial_poverty.pipeline.stage import StageContext

__all__ = ["STAGE"]


def _inputs(cfg: PipelineConfig) -> list[str]:
    keys = [*ACCESS_SOURCES, "census_2011"]
    return [getattr(cfg.sources, k) for k in keys if getattr(cfg.sources, k, None)]


def _files(cfg: PipelineConfig) -> list[tuple[str, Path]]:
    if cfg.access is None:
        return []
    named = [("access.registry", cfg.access.registry), ("access.ferry_links", cfg.access.ferry_links)]
    return [(key, cfg.resolve(p)) for key, p in named if p is not None]


def _run(ctx: StageContext) -> dict[str, Any]:
    from spatial_poverty.services.stage import run_access

    cfg = ctx.cfg
    assert cfg.access is not None  # enabled only with an access: section
    paths = {k: ctx.path(getattr(cfg.sources, k)) for k in ACCESS_SOURCES}
    if cfg.sources.census_2011:
        paths["census_2011"] = ctx.path(cfg.sources.census_2011)
    index = ctx.optional("index", "index")
    deprivation = index.layer["score"].astype(float) if index is not None and "score" in index.layer else None
    stage = run_access(
        cfg.access,
        sources=cfg.sources,
        paths=paths,
        municipalities=ctx.product("harmonise", "municipalities"),
        boundaries=ctx.product("ingest", "boundaries"),
        resolve=cfg.resolve,
        deprivation=deprivation,
        crosswalk=ctx.product("harmonise", "layers").get("code_crosswalk"),
        staging=ctx.staging,
    )
    return {
        "access": dataclasses.replace(stage, files=[Path(p.name) for p in stage.files]),
        "layers": stage.layers,
        "record": stage.report,
    }


def _describe(cfg: PipelineConfig) -> str:
    if cfg.access is None:
        return ""
    registry = f"registry {cfg.access.registry}" if cfg.access.registry else "OpenStreetMap stand-in"
    return (
        f"access to services ({registry}, thresholds {cfg.access.thresholds_min} min): layers services, "
        "settlement_access, municipal_access; services_issues.csv"
    )


STAGE = Stage(
    name="access",
    run=_run,
    describe=_describe,
    config=("access", *(f"sources.{k}" for k in (*ACCESS_SOURCES, "census_2011"))),
    needs=("ingest", "harmonise", "index"),
    products=("access", "layers", "record"),
    inputs=_inputs,
    files=_files,
    enabled=lambda cfg: cfg.access is not None,
)
