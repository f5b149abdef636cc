"""Stage ``statistics``: global and local spatial autocorrelation of ``statistics.variables`` (Moran's I, Geary's C,
General G, LISA, Gi*, Local Geary), their stability across weights, and the bivariate LISA of the configured pairs.

Products: ``morans`` (GlobalMoran by variable), ``lisas`` (LISA frame by variable), ``summary`` (the manifest's
``statistics``), ``bivariate`` (its ``bivariate``) and ``layers`` (``lisa_<var>``, ``gistar_<var>``,
``local_geary_<var>`` and ``bilisa_<x>_vs_<y>``, ready for the GeoPackage).
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from spatial_poverty.pipeline.names import local_layers
from spatial_poverty.pipeline.stage import Stage

if TYPE_CHECKING:
    import pandas as pd

    from spatial_poverty.pipeline.config import PipelineConfig
    from spatial_poverty.pipeline.stage import StageContext

__all__ = ["STAGE"]

logger = logging.getLogger(__name__)


def _variables(ctx: StageContext) -> Any:
    """The municipalities with the values of every analysed variable (from the layers of the stages that made them)."""
    from spatial_poverty.pipeline.variables import variable_frame

    gdf = ctx.product("harmonise", "municipalities")
    stage_layers: dict[str, pd.DataFrame] = {}
    index = ctx.optional("index", "index")
    if index is not None:
        stage_layers[index.name] = index.layer
    access = ctx.optional("access", "access")
    if access is not None:
        stage_layers.update(access.layers)
    return gdf.join(variable_frame(ctx.cfg, gdf, stage_layers).drop(columns=list(gdf.columns), errors="ignore"))


def _one_variable(y: Any, graph: Any, cfg: PipelineConfig, frames: dict[str, pd.DataFrame]) -> tuple[Any, Any, dict]:
    """Global Moran, LISA and the configured other statistics of one variable; local frames go into ``frames``."""
    import pandas as pd

    from spatial_poverty.pipeline.statistics_extra import inference_summary
    from spatial_poverty.stats import GearyC, GeneralG, GetisOrdLocal, GlobalMoran, LocalGeary, LocalMoran

    st = cfg.statistics
    var = y.name
    common: dict[str, Any] = {"permutations": st.permutations, "seed": cfg.seed, "alternative": st.alternative}
    local = {"alpha": st.alpha, "correction": st.correction, "significance": st.significance, **common}
    gm = GlobalMoran(y, graph, **common)
    lm = LocalMoran(y, graph, **local)
    lisa = lm.to_frame()
    frames[f"lisa_{var}"] = lisa
    out: dict[str, Any] = {"global_moran": gm.to_dict(), "lisa_clusters": lm.counts()}
    if "geary" in st.global_statistics:
        out["geary"] = GearyC(y, graph, **common).to_dict()
    if "general_g" in st.global_statistics:
        if (y < 0).any():
            logger.warning("%s: General G skipped, it needs non-negative values", var)
        else:
            out["general_g"] = GeneralG(y, graph, **common).to_dict()
    if "gistar" in st.local_statistics:
        gi = GetisOrdLocal(y, graph, star=True, **local)
        frames[f"gistar_{var}"] = gi.to_frame()
        bins = pd.Series(gi.bin).value_counts()
        out["gistar_bins"] = {str(b): int(bins.get(b, 0)) for b in (-3, -2, -1, 0, 1, 2, 3)}
    if "local_geary" in st.local_statistics:
        frames[f"local_geary_{var}"] = LocalGeary(y, graph, **local).to_frame()
    out["inference"] = inference_summary(st, lisa, frames.get(f"gistar_{var}"))
    logger.info("%s: %r; LISA %s; Gi* bins %s", var, gm, lm.counts(), out.get("gistar_bins"))
    return gm, lisa, out


def _run(ctx: StageContext) -> dict[str, Any]:
    import geopandas as gpd

    from spatial_poverty.pipeline.statistics_extra import (
        bivariate_layers,
        bivariate_statistics,
        component_statistics,
        inference_summary,
        stability_graphs,
        stability_shares,
        stability_specs,
    )

    cfg, st = ctx.cfg, ctx.cfg.statistics
    gdf = ctx.product("harmonise", "municipalities")
    graph = ctx.product("weights", "graph")
    sgdf = _variables(ctx)
    morans: dict[str, Any] = {}
    lisas: dict[str, pd.DataFrame] = {}
    frames: dict[str, pd.DataFrame] = {}
    summary: dict[str, Any] = {}
    for var in st.variables:
        y = sgdf[var]
        if cfg.weights.island_policy == "components":  # each connected component analysed on its own
            by_comp, morans[var], lisas[var], gi_frame = component_statistics(
                y, graph, cfg, gistar="gistar" in st.local_statistics
            )
            frames[f"lisa_{var}"] = lisas[var]
            if gi_frame is not None:
                frames[f"gistar_{var}"] = gi_frame
            by_comp["inference"] = inference_summary(st, lisas[var], gi_frame)
            summary[var] = by_comp
            continue
        morans[var], lisas[var], summary[var] = _one_variable(y, graph, cfg, frames)
    if st.stability.enabled:  # lisa_stable / gi_stable: share of weight specs in which a unit is significant
        specs = stability_specs(len(gdf), cfg)  # once: the clipping is logged once
        stab_graphs = stability_graphs(sgdf, cfg, specs)
        for var in st.variables if stab_graphs else []:
            shares = stability_shares(sgdf, var, stab_graphs, cfg, gistar=f"gistar_{var}" in frames)
            for col, layer in (("lisa_stable", f"lisa_{var}"), ("gi_stable", f"gistar_{var}")):
                if col in shares:
                    frames[layer] = frames[layer].assign(**{col: shares[col]})
            lisas[var] = frames[f"lisa_{var}"]
            summary[var]["stability"] = {"specs": specs, **{f"{c}_mean": float(shares[c].mean()) for c in shares}}
    bivariate, bivariate_summary = bivariate_statistics(sgdf, graph, cfg)
    layers: dict[str, Any] = {}
    for name, var in local_layers(cfg).items():
        layers[name] = gpd.GeoDataFrame(
            sgdf[["name_el", "name_en", var]].rename(columns={var: "value"}).join(frames[name]),
            geometry=gdf.geometry,
            crs=gdf.crs,
        )
    layers.update(bivariate_layers(sgdf, bivariate))
    return {"morans": morans, "lisas": lisas, "summary": summary, "bivariate": bivariate_summary, "layers": layers}


def _describe(cfg: PipelineConfig) -> str:
    st = cfg.statistics
    text = (
        f"{', '.join(st.global_statistics)} and {', '.join(st.local_statistics)} of {', '.join(st.variables)} "
        f"with {st.permutations} permutations, seed {cfg.seed}, alpha {st.alpha}, significant when "
        f"{st.significance} <= alpha"
    )
    if st.bivariate:
        text += f"; bivariate LISA of {', '.join(f'{x} x lag({y})' for x, y in st.bivariate)}"
    return text


STAGE = Stage(
    name="statistics",
    run=_run,
    describe=_describe,
    config=("statistics", "seed", "weights"),
    needs=("harmonise", "weights", "index", "access"),
    products=("morans", "lisas", "summary", "bivariate", "layers"),
)
