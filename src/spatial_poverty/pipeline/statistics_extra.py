"""Pipeline stages around the core statistics: stability across weight specs, statistics per connected component
(the "components" island policy) and regionalisation. Each is a typed function the runner calls once.
"""

from __future__ import annotations

import logging
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
from libpysal.graph import Graph
from scipy.spatial import cKDTree

from spatial_poverty.errors import StatisticsError
from spatial_poverty.pipeline.config import PipelineConfig, Stability, Statistics
from spatial_poverty.pipeline.names import bivariate_name
from spatial_poverty.stats import GlobalMoran, Regionalisation, WeightsSpec, build_weights, regionalise
from spatial_poverty.stats.stability import by_component, local_stability

__all__ = [
    "COMPONENT_MIN_SIZE",
    "component_statistics",
    "regions_stage",
    "stability_graphs",
    "stability_shares",
    "stability_specs",
]

logger = logging.getLogger(__name__)

_DEFAULT_SPECS = Stability().specs

#: Components smaller than this are not analysed under the "components" island policy ("no neighbours").
COMPONENT_MIN_SIZE = 5


def _min_band(gdf: gpd.GeoDataFrame) -> float:
    """The smallest distance band (metres, between centroids) that gives every unit at least one neighbour."""
    xy = np.column_stack([gdf.geometry.centroid.x, gdf.geometry.centroid.y])
    d, _ = cKDTree(xy).query(xy, k=2)
    return float(d[:, 1].max()) * (1 + 1e-9)


def stability_specs(n: int, cfg: PipelineConfig) -> list[str]:
    """The stability specs that a run on ``n`` units uses.

    ``knn:K`` needs ``K <= n - 1``. The default specs are clipped to what the area allows (``knn:6`` becomes
    ``knn:4`` on 5 units; a spec that then repeats another is dropped), with a log line; specs written in the
    pipeline are kept as written, and one that the area cannot take is refused naming the key. Fewer than two
    distinct specs left: an empty list (stability is skipped, and the log says why).

    Raises
    ------
    StatisticsError
        If a ``knn:K`` written in ``statistics.stability.specs`` needs more units than the area has.
    """
    st = cfg.statistics.stability
    explicit = "specs" in st.model_fields_set
    out: list[str] = []
    for text in st.specs:
        name, _, arg = text.partition(":")
        if name == "knn" and int(arg) > n - 1:
            if explicit:
                raise StatisticsError(
                    f"statistics.stability.specs: {text} needs at least {int(arg) + 1} municipalities and this area "
                    f"has {n}; use knn:K with K <= {n - 1}, or leave the key out (the default "
                    f"{_DEFAULT_SPECS} is clipped to the area)"
                )
            clipped = f"knn:{n - 1}"
            logger.info("statistics.stability: %s clipped to %s (the area has %d municipalities)", text, clipped, n)
            text = clipped
        if text in out:
            logger.info("statistics.stability: %s left out, it repeats another spec", text)
            continue
        out.append(text)
    if len(out) < 2:
        logger.warning(
            "statistics.stability skipped: %d municipalities allow fewer than two different weight specs (%s)", n, out
        )
        return []
    return out


def stability_graphs(gdf: gpd.GeoDataFrame, cfg: PipelineConfig, specs: list[str] | None = None) -> dict[str, Graph]:
    """The graphs of ``specs`` (default :func:`stability_specs`): contiguity with the run's k-nearest fill, k
    nearest neighbours, or a distance band ("distance": the smallest that leaves no unit without a neighbour)."""
    graphs: dict[str, Graph] = {}
    for text in stability_specs(len(gdf), cfg) if specs is None else specs:
        name, _, arg = text.partition(":")
        if name in ("queen", "rook"):
            spec = WeightsSpec(kind=name, island_policy="knn", island_k=cfg.weights.k)  # type: ignore[arg-type]
        elif name == "knn":
            spec = WeightsSpec(kind="knn", k=int(arg), island_policy="none")
        else:
            threshold = float(arg) if arg else _min_band(gdf)
            spec = WeightsSpec(kind="distance", threshold=threshold, island_policy="knn", island_k=1)
        graphs[text.replace(":", "")], report = build_weights(gdf, spec)
        logger.info("stability weights %s: %s", text, report)
    return graphs


def stability_shares(
    gdf: gpd.GeoDataFrame, var: str, graphs: dict[str, Graph], cfg: PipelineConfig, *, gistar: bool
) -> pd.DataFrame:
    """``lisa_stable`` (and ``gi_stable``): per unit, the share of the stability specs in which LISA (Gi*) of
    ``var`` is significant (:func:`~spatial_poverty.stats.local_stability`, same seed and alpha as the run)."""
    st = cfg.statistics
    kw: dict[str, Any] = {
        "permutations": st.permutations,
        "seed": cfg.seed,
        "alpha": st.alpha,
        "alternative": st.alternative,
        "correction": st.correction,
        "significance": st.significance,
    }
    y = gdf[var]
    out = pd.DataFrame(index=gdf.index)
    out["lisa_stable"] = local_stability(y, graphs, statistic="lisa", **kw)["share_significant"]
    if gistar:
        out["gi_stable"] = local_stability(y, graphs, statistic="gistar", **kw)["share_significant"]
    return out


def inference_summary(st: Statistics, lisa: pd.DataFrame, gistar: pd.DataFrame | None) -> dict[str, Any]:
    """The inference settings of a variable and how many units pass under each rule: LISA by ``p_sim`` and
    ``q_sim``, Gi* by ``gi_p`` (normal, as ArcGIS) and ``gi_q``, each at most alpha. The rule in use is
    ``significance``; the report gives the count under the other one."""

    def passing(frame: pd.DataFrame, column: str) -> int:
        return int((pd.to_numeric(frame[column], errors="coerce").fillna(1.0) <= st.alpha).sum())

    out: dict[str, Any] = {
        "alternative": st.alternative,
        "correction": st.correction,
        "alpha": st.alpha,
        "significance": st.significance,
        "lisa_passing": {"p": passing(lisa, "p_sim"), "q": passing(lisa, "q_sim")},
    }
    if gistar is not None:
        out["gistar_passing"] = {"p": passing(gistar, "gi_p"), "q": passing(gistar, "gi_q")}
    return out


def component_statistics(
    y: pd.Series, graph: Graph, cfg: PipelineConfig, *, gistar: bool
) -> tuple[dict[str, Any], GlobalMoran, pd.DataFrame, pd.DataFrame | None]:
    """Moran's I, LISA and Gi* computed separately in each connected component of at least
    :data:`COMPONENT_MIN_SIZE` units (the "components" island policy); smaller components and isolates are
    labelled "no neighbours" (Gi* bin 0).

    Returns
    -------
    stats : dict
        ``global_moran`` (of the largest component, with its ``component`` label and size),
        ``global_moran_by_component`` and ``lisa_clusters`` (counts over all units).
    moran : GlobalMoran
        Of the largest component.
    lisa, gistar : DataFrame
        The per-unit frames (``component`` and ``component_size`` columns included), Gi* only if asked.
    """
    st = cfg.statistics
    kw: dict[str, Any] = {"permutations": st.permutations, "seed": cfg.seed, "alternative": st.alternative}
    labels = graph.component_labels
    sizes = labels.value_counts()
    big = sizes[sizes >= COMPONENT_MIN_SIZE]
    if big.empty:
        raise StatisticsError(
            f"island policy 'components': no connected component has {COMPONENT_MIN_SIZE} units or more "
            f"(sizes {sorted(sizes.tolist(), reverse=True)[:10]}); use the 'knn' or 'links' island policy"
        )
    by_comp: dict[str, Any] = {}
    morans: dict[Any, GlobalMoran] = {}
    for comp in big.index:
        members = list(labels.index[labels == comp])
        sub = graph.subgraph(members)
        gm = GlobalMoran(y.loc[list(sub.unique_ids)], sub, **kw)
        morans[comp] = gm
        by_comp[str(comp)] = {"size": int(big[comp]), "codes": sorted(str(c) for c in members), **gm.to_dict()}
    largest = big.index[0]
    local = {"alpha": st.alpha, "correction": st.correction, "significance": st.significance, **kw}
    lisa = by_component(y, graph, statistic="lisa", min_size=COMPONENT_MIN_SIZE, **local)
    gi = by_component(y, graph, statistic="gistar", min_size=COMPONENT_MIN_SIZE, **local) if gistar else None
    counts = lisa["cluster"].value_counts()
    stats = {
        "global_moran": {**morans[largest].to_dict(), "component": str(largest), "component_size": int(big[largest])},
        "global_moran_by_component": by_comp,
        "lisa_clusters": {str(k): int(v) for k, v in counts.items()},
        "island_policy": "components",
        "component_min_size": COMPONENT_MIN_SIZE,
    }
    logger.info(
        "%s per component: %d components of %d+ units analysed, %d units labelled 'no neighbours'",
        y.name,
        len(big),
        COMPONENT_MIN_SIZE,
        int((lisa["component_size"] < COMPONENT_MIN_SIZE).sum()),
    )
    return stats, morans[largest], lisa, gi


def regions_stage(gdf: gpd.GeoDataFrame, graph: Graph, cfg: PipelineConfig) -> Regionalisation:
    """The ``regions:`` section run on the run's weights (see :func:`~spatial_poverty.stats.regionalise`)."""
    r = cfg.regions
    if r is None:
        raise StatisticsError("the pipeline has no regions: section")
    return regionalise(
        gdf,
        graph,
        variables=r.variables,
        population=r.population,
        method=r.method,
        min_population=r.min_population,
        n_regions=r.n_regions,
        seed=cfg.seed,
    )


def bivariate_statistics(
    gdf: gpd.GeoDataFrame, graph: Graph, cfg: PipelineConfig
) -> tuple[dict[str, pd.DataFrame], dict[str, Any]]:
    """The bivariate LISA of every ``statistics.bivariate`` pair [x, y] (x at each municipality against the
    spatial lag of y, Anselin 2019; same permutations, seed, correction and significance rule as the run).

    Returns
    -------
    frames : dict
        Layer name (``bilisa_<x>_vs_<y>``) to the per-unit frame: ``value`` (x), ``value_y`` (y) and the
        statistic's columns.
    summary : dict
        Per layer: ``x``, ``y``, ``clusters`` (counts) and the ``inference`` settings with the counts under each
        rule.
    """
    from spatial_poverty.stats import BivariateLocalMoran

    st = cfg.statistics
    frames: dict[str, pd.DataFrame] = {}
    summary: dict[str, Any] = {}
    if cfg.weights.island_policy == "components" and st.bivariate:
        logger.warning("bivariate LISA is not computed per component (island policy 'components'); skipped")
        return frames, summary
    for x, y in st.bivariate:
        blm = BivariateLocalMoran(
            gdf[x], gdf[y], graph, permutations=st.permutations, seed=cfg.seed, alpha=st.alpha,
            alternative=st.alternative, correction=st.correction, significance=st.significance,
        )  # fmt: skip
        frame = blm.to_frame()
        name = bivariate_name(x, y)
        frames[name] = pd.DataFrame({"value": gdf[x], "value_y": gdf[y]}, index=gdf.index).join(frame)
        counts = frame["cluster"].value_counts()
        summary[name] = {
            "x": x,
            "y": y,
            "clusters": {str(k): int(v) for k, v in counts.items()},
            "inference": inference_summary(st, frame, None),
        }
        logger.info("bivariate LISA %s x lag(%s): %s", x, y, summary[name]["clusters"])
    return frames, summary


def bivariate_layers(gdf: gpd.GeoDataFrame, frames: dict[str, pd.DataFrame]) -> dict[str, gpd.GeoDataFrame]:
    """The published ``bilisa_*`` layers: names and geometry of the municipalities with each frame."""
    return {
        name: gpd.GeoDataFrame(gdf[["name_el", "name_en"]].join(frame), geometry=gdf.geometry, crs=gdf.crs)
        for name, frame in frames.items()
    }
