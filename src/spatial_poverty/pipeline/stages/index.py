"""Stage ``index``: the composite deprivation index with its Monte Carlo rank bands (``index:``)."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import TYPE_CHECKING, Any

from spatial_poverty.pipeline.stage import Stage

if TYPE_CHECKING:
    from spatial_poverty.pipeline.stage import StageContext

__all__ = ["STAGE"]


def _run(ctx: StageContext) -> dict[str, Any]:
    from spatial_poverty.indices import run_index

    cfg = ctx.cfg
    assert cfg.index is not None  # enabled only with an index: section
    stage = run_index(
        cfg.index, ctx.product("harmonise", "municipalities"), ctx.staging, seed=cfg.seed,
        source="the municipalities layer",
    )  # fmt: skip
    # Its files by name (the staging folder of a later run is another folder).
    return {
        "index": dataclasses.replace(stage, files=[Path(p.name) for p in stage.files]),
        "layers": {stage.name: stage.layer},
    }


STAGE = Stage(
    name="index",
    run=_run,
    describe=lambda cfg: f"index {cfg.index.name} ({cfg.index.uncertainty.runs} Monte Carlo runs)" if cfg.index else "",
    config=("index", "seed"),
    needs=("harmonise",),
    products=("index", "layers"),
    enabled=lambda cfg: cfg.index is not None,
)
