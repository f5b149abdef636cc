"""The manifest of a run (``manifest.json``), assembled from the products of its stages.

The runner adds what only it knows at the end: the published files with their SHA-256, the timings, and which
stages were recomputed, reused from the cache or skipped.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from spatial_poverty.pipeline.stage import StageContext

__all__ = ["build_manifest"]


def build_manifest(ctx: StageContext) -> dict[str, Any]:
    """Everything the run's stages report, in the manifest's order (files, timings and stages aside)."""
    from spatial_poverty.ingest.municipalities import NOT_MUNICIPALITIES
    from spatial_poverty.pipeline.config import data_config_sha256

    cfg = ctx.cfg
    record: dict[str, Any] = ctx.optional("export", "record") or {}
    targets_inputs = ctx.optional("targets", "inputs") or []
    listed = {i["id"] for i in record.get("inputs", [])}
    manifest: dict[str, Any] = {
        "pipeline": cfg.name,
        "title": cfg.title,
        "run_id": ctx.run_id,
        "started_at": ctx.started.isoformat(timespec="seconds"),
        "finished_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "config_file": str(cfg.config_file) if cfg.config_file else None,
        "config_sha256": cfg.config_sha256,
        # the hash stored in the GeoPackage: the configuration its layers rest on (map and report options aside)
        "data_config_sha256": data_config_sha256(cfg),
        "config": cfg.model_dump(mode="json"),
        "seed": cfg.seed,
        "harmonisation": record.get("harmonisation"),
        # the targets' series after the run's own inputs, each input once
        "inputs": [*record.get("inputs", []), *(i for i in targets_inputs if i["id"] not in listed)],
        "excluded": [{"code": c, "reason": r} for c, r in NOT_MUNICIPALITIES.items()],
    }
    for key in ("counts", "weights", "statistics", "bivariate", "index", "regions", "access", "versions", "vintage"):
        manifest[key] = record.get(key)
    base = {"pipeline", "config_sha256", "config", "seed", "inputs", "harmonisation", *manifest}
    manifest.update({k: v for k, v in record.items() if k not in base})  # the records of stages added since
    manifest["recovered"] = list(ctx.extra.get("recovered", []))
    manifest["partial"] = bool(ctx.extra.get("partial", False))
    if "stages" in ctx.extra:
        manifest["stages"] = ctx.extra["stages"]()
    manifest["layers"] = ctx.optional("export", "layers") or {}
    targets = ctx.optional("targets", "summary")
    if targets is not None:
        manifest["targets"] = targets
    figures = dict(ctx.optional("maps", "figures") or {})
    layout = dict(ctx.optional("maps", "layout") or {})
    if targets is not None:
        figures["targets"] = ctx.product("targets", "chart")
        layout["targets"] = ctx.product("targets", "layout")
    figures.update((record.get("registers") or {}).get("figures", {}))  # a time series and a map per register
    figures.update((record.get("sae") or {}).get("figures", {}))  # a map per group and the CV figure
    manifest["figures"] = figures
    # Text cut at a figure's edge or drawn over other text, per figure (empty lists for clean figures).
    manifest["figure_layout"] = layout
    return manifest
