"""Stage ``sae``: the share of people at risk of poverty or social exclusion (AROPE) per municipality and group,
from the survey of the ``sae:`` section, by the Fay-Herriot model on the run's covariates, benchmarked to each
region (:func:`spatial_poverty.sae.run.run_sae`).

Publishes layer ``poverty_sae`` (one row per municipality and group; suppressed rows without numbers), a map per
group (``figures/sae_<group>_map``), the direct against the model CVs (``figures/sae_cv``) and, in the record,
each group's model, the covariates with their years, the benchmarks and, where the run has the deprivation index,
its rank agreement with the estimate.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from spatial_poverty.pipeline.stage import Stage

if TYPE_CHECKING:
    from spatial_poverty.pipeline.config import PipelineConfig
    from spatial_poverty.pipeline.stage import StageContext

__all__ = ["STAGE"]

logger = logging.getLogger(__name__)


def _inputs(cfg: PipelineConfig) -> list[str]:
    assert cfg.sae is not None and cfg.sae.survey is not None
    return [cfg.sae.survey, cfg.sources.population] + ([cfg.sources.arope_nuts2] if cfg.sources.arope_nuts2 else [])


def _weights(graph: Any, codes: Any) -> Any:
    """The run's weights as a sparse matrix in the order of ``codes``."""
    import numpy as np

    ids = list(graph.unique_ids)
    order = np.array([ids.index(c) for c in codes])
    return graph.sparse[order][:, order]


def _agreement(ctx: StageContext, table: Any) -> dict[str, Any] | None:
    from spatial_poverty.sae.municipal import rank_agreement

    cfg = ctx.cfg
    layers = ctx.optional("index", "layers")
    if cfg.index is None or not layers:
        return None
    layer = layers[cfg.index.name]
    score = (layer.set_index("code") if "code" in layer.columns else layer)["score"]
    everyone = table[table["group"] == next(iter(cfg.sae.groups))]  # type: ignore[union-attr]
    return rank_agreement(everyone["estimate"], score) | {"index": cfg.index.name}


def _run(ctx: StageContext) -> dict[str, Any]:
    from spatial_poverty.ingest.elstat2021 import read_women_2021
    from spatial_poverty.pipeline.names import FIGURE_FORMATS, FIGURES_DIR, SAE_LAYER
    from spatial_poverty.sae.fh import QUALITY_THRESHOLDS
    from spatial_poverty.sae.figures import cv_figure, group_map
    from spatial_poverty.sae.run import run_sae
    from spatial_poverty.sae.spec import SYNTHETIC

    cfg = ctx.cfg
    spec = cfg.sae
    assert spec is not None and spec.survey is not None
    munis = ctx.product("harmonise", "municipalities")
    layers = ctx.product("harmonise", "layers")
    registers = ctx.optional("registers", "covariates") or {}
    graph = ctx.product("weights", "graph")
    result = run_sae(
        spec,
        survey_path=ctx.path(spec.survey),
        survey_name=ctx.catalogue[spec.survey].path,
        municipalities=munis,
        women=read_women_2021(ctx.path(cfg.sources.population)),
        crosswalk=layers.get("code_crosswalk"),
        registers=registers,
        eurostat_path=ctx.path(cfg.sources.arope_nuts2) if cfg.sources.arope_nuts2 else None,
        spatial_weights=_weights(graph, munis.index) if spec.model == "spatial_fh" else None,
        seed=cfg.seed,
    )
    lang = cfg.report.language
    title = spec.title_el if lang == "el" else spec.title_en
    tag = f"{SYNTHETIC}: " if spec.synthetic else ""
    source = ctx.catalogue[spec.survey]
    attribution = SYNTHETIC if spec.synthetic else (source.attribution or source.title)
    figures: dict[str, list[str]] = {}
    for name, group in spec.groups.items():
        rows = result.table[result.table["group"] == name]
        label = group.title_el if lang == "el" else group.title_en
        written = group_map(
            ctx.staging / FIGURES_DIR / f"sae_{name}_map", rows, munis,
            title=f"{tag}AROPE: {label}, {spec.year}", attribution=attribution, lang=lang, formats=FIGURE_FORMATS,
        )  # fmt: skip
        figures[f"sae_{name}_map"] = [p.relative_to(ctx.staging).as_posix() for p in written]
    cvs = {
        g: (r.cv_direct, r.cv_model, spec.groups[g].title_el if lang == "el" else spec.groups[g].title_en)
        for g, r in result.groups.items()
    }
    written = cv_figure(
        ctx.staging / FIGURES_DIR / "sae_cv", cvs, title=f"{tag}{title}, {spec.year}", attribution=attribution,
        lang=lang, formats=FIGURE_FORMATS, thresholds=QUALITY_THRESHOLDS[spec.quality],
    )  # fmt: skip
    figures["sae_cv"] = [p.relative_to(ctx.staging).as_posix() for p in written]
    layer = munis[["geometry"]].join(result.table, how="inner")
    layer = layer.reset_index()[["code", *result.table.columns, "geometry"]]
    years = ", ".join(f"{c} ({y})" for c, y in result.covariates.items())
    note = (
        f"{title} | {spec.title_en}. Survey {spec.survey} ({spec.year}); groups {', '.join(spec.groups)}; "
        f"covariates {years}; benchmark: {'; '.join(sorted(set(result.benchmark_source.values())))}"
        + (f" ({SYNTHETIC})" if spec.synthetic else "")
    )
    first = result.table[result.table["group"] == next(iter(spec.groups))]
    shown = first[first["quality"] != "suppress"].sort_values("estimate", ascending=False, kind="mergesort")
    ranking = [
        {"code": str(c), **{k: (v.item() if hasattr(v, "item") else v) for k, v in r.items()}}
        for c, r in shown[["name_el", "estimate", "ci_low", "ci_high", "people_at_risk", "people_at_risk_low",
                           "people_at_risk_high", "quality"]].iterrows()
    ]  # fmt: skip
    agreement = _agreement(ctx, result.table)
    if agreement:
        for d in agreement["disagree"]:
            d["name_el"] = str(munis.at[d["code"], "name_el"])
    record = result.record() | {
        "figures": figures,
        "synthetic": spec.synthetic,
        "survey": spec.survey,
        "year": spec.year,
        "agreement": agreement,
        "ranking": ranking,
        "suppressed_first": int((first["quality"] == "suppress").sum()),
    }
    for g, r in result.groups.items():
        logger.info(
            "sae %s: %d municipalities in sample; publish %d (direct %d), flag %d, suppress %d; sigma2_u %.4g",
            g, r.model["areas_in_sample"], r.model["publish_model"], r.model["publish_direct"],
            r.model["flag_model"], r.model["suppress_model"], r.model["sigma2_u"],
        )  # fmt: skip
    return {
        "layers": {SAE_LAYER: layer},
        "record": record,
        "layer_notes": {SAE_LAYER: note},
        "figures": figures,
        "estimates": result.table,
        "series": result.series(spec.year),
    }


STAGE = Stage(
    name="sae",
    run=_run,
    describe=lambda cfg: (
        f"AROPE per municipality and group ({', '.join(cfg.sae.groups)}) from survey {cfg.sae.survey} "
        f"({cfg.sae.year}): {cfg.sae.model}, {cfg.sae.transform}, bootstrap MSE ({cfg.sae.bootstrap}), benchmark "
        f"{cfg.sae.benchmark} (layer poverty_sae)"
        if cfg.sae
        else ""
    ),
    config=("sae", "seed", "report.language", "weights", "sources.population", "sources.arope_nuts2"),
    needs=("harmonise", "weights", "index", "registers"),
    products=("layers", "record", "layer_notes", "figures", "estimates", "series"),
    inputs=_inputs,
    enabled=lambda cfg: cfg.sae_enabled,
)
