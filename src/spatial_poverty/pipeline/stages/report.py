"""Stage ``report``: ``report.html`` (what the run found, in the configured language, with what changed since the
previous run) and an ``.xlsx`` beside every CSV. Never cached: the report names its run and when it ran."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from spatial_poverty.pipeline.stage import Stage

if TYPE_CHECKING:
    from spatial_poverty.pipeline.stage import StageContext

__all__ = ["STAGE"]


def _run(ctx: StageContext) -> dict[str, Any]:
    from spatial_poverty.pipeline.history import compare_units, unit_classes
    from spatial_poverty.pipeline.manifest import build_manifest
    from spatial_poverty.report.layers import read_run_layers
    from spatial_poverty.report.products import write_report_files

    manifest = build_manifest(ctx)
    gpkg = ctx.staging / f"{ctx.cfg.name}.gpkg"
    previous = ctx.extra.get("previous")
    if previous is not None:  # what changed since the last published run
        manifest["changes"] = compare_units(previous, manifest, unit_classes(gpkg))
    write_report_files(ctx.cfg, ctx.staging, manifest, read_run_layers(gpkg))
    return {}


STAGE = Stage(
    name="report",
    run=_run,
    describe=lambda cfg: (
        f"report.html ({cfg.report.language}), with what changed since the previous run, and an .xlsx beside every CSV"
    ),
    config=("report",),
    needs=("export", "maps", "targets"),
    cached=False,
)
