"""Stage ``targets``: the regional strategy's targets against their latest values (``report.targets``):
``targets.csv`` and ``figures/targets``."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from spatial_poverty.pipeline.stage import Stage

if TYPE_CHECKING:
    from spatial_poverty.pipeline.config import PipelineConfig
    from spatial_poverty.pipeline.stage import StageContext

__all__ = ["STAGE"]


def _inputs(cfg: PipelineConfig) -> list[str]:
    from spatial_poverty.targets import load_targets, target_sources

    return target_sources(load_targets(cfg.resolve(cfg.report.targets))) if cfg.report.targets else []


def _files(cfg: PipelineConfig) -> list[tuple[str, Path]]:
    return [("report.targets", cfg.resolve(cfg.report.targets))] if cfg.report.targets else []


def _run(ctx: StageContext) -> dict[str, Any]:
    from spatial_poverty.report.products import run_attribution, run_targets, targets_summary

    cfg = ctx.cfg
    record = ctx.product("export", "record")
    table, inputs, _files_written, chart, layout = run_targets(
        cfg,
        ctx.staging,
        lang=cfg.report.language,
        attribution=run_attribution(record),
        run_series={**(ctx.optional("registers", "series") or {}), **(ctx.optional("sae", "series") or {})},
    )
    return {
        "inputs": inputs,
        "summary": targets_summary(cfg, table),
        "chart": [p.relative_to(ctx.staging).as_posix() for p in chart],
        "layout": layout,
    }


STAGE = Stage(
    name="targets",
    run=_run,
    describe=lambda cfg: f"targets of {cfg.report.targets} against their latest values (targets.csv)",
    config=("report.targets", "report.language"),
    needs=("export", "registers", "sae"),
    products=("inputs", "summary", "chart", "layout"),
    inputs=_inputs,
    files=_files,
    enabled=lambda cfg: cfg.report.targets is not None,
)
