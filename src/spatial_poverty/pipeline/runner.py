"""Running a pipeline: ingest -> indicators -> weights and statistics -> outputs, published whole or not at all."""

from __future__ import annotations

import datetime as dt
import json
import logging
import platform
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd
import pyogrio
import pyproj

from spatial_poverty import __version__
from spatial_poverty.export import (
    check_target,
    discard_staging,
    gpkg_timestamp,
    make_staging,
    publish,
    recover,
    run_lock,
)
from spatial_poverty.export.delivery import Delivery, SourceRef, write_delivery
from spatial_poverty.harmonise.pipeline import harmonise_run
from spatial_poverty.indicators import area_km2, population_change_pct, population_density
from spatial_poverty.indices import IndexStage, run_index
from spatial_poverty.ingest import (
    join_boundaries_population,
    load_catalogue,
    read_municipal_boundaries,
    read_population,
    select_area,
    verify,
)
from spatial_poverty.ingest.catalogue import sha256_file
from spatial_poverty.ingest.municipalities import NOT_MUNICIPALITIES
from spatial_poverty.maps import IndicatorLayer, interactive_map, write_map
from spatial_poverty.maps.access import add_access_layers
from spatial_poverty.pipeline.config import INDICATORS, PipelineConfig
from spatial_poverty.pipeline.planning import local_layers, source_ids
from spatial_poverty.pipeline.statistics_extra import (
    bivariate_layers,
    bivariate_statistics,
    component_statistics,
    inference_summary,
    regions_stage,
    stability_graphs,
    stability_shares,
    stability_specs,
)
from spatial_poverty.pipeline.variables import variable_frame
from spatial_poverty.pipeline.vintage import index_recipe, layer_notes, pipeline_vintages, vintage_manifest
from spatial_poverty.report import write_run_products
from spatial_poverty.services.stage import AccessStage, run_access
from spatial_poverty.stats import (
    GearyC,
    GeneralG,
    GetisOrdLocal,
    GlobalMoran,
    LocalGeary,
    LocalMoran,
    WeightsReport,
    WeightsSpec,
    build_weights,
)

__all__ = ["RunResult", "municipality_layer", "run_pipeline"]

logger = logging.getLogger(__name__)

_VERSIONED = (
    "numpy",
    "pandas",
    "scipy",
    "geopandas",
    "shapely",
    "pyogrio",
    "pyproj",
    "libpysal",
    "esda",
    "mapclassify",
    "folium",
    "branca",
    "pydantic",
    "gdal-utils",
    "xstatic-leaflet",
)


@dataclass
class RunResult:
    """What a run produced: the published folder, its manifest and the tables behind it."""

    output_dir: Path
    manifest: dict[str, Any]
    municipalities: gpd.GeoDataFrame
    weights: WeightsReport
    global_moran: dict[str, GlobalMoran]
    lisa: dict[str, pd.DataFrame] = field(default_factory=dict)


Progress = Callable[[str], None]


def _versions() -> dict[str, str]:
    out = {"python": platform.python_version(), "spatial_poverty": __version__}
    for name in _VERSIONED:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = "not installed"
    out["gdal"] = pyogrio.__gdal_version_string__
    out["proj"] = pyproj.proj_version_str
    return out


def weights_spec(cfg: PipelineConfig) -> WeightsSpec:
    """The :class:`~spatial_poverty.stats.WeightsSpec` of a pipeline's ``weights:`` section."""
    w = cfg.weights
    return WeightsSpec(
        kind=w.kind or w.contiguity,
        k=w.neighbours,
        threshold=w.threshold_m,
        kernel=w.kernel,
        bandwidth=w.bandwidth_m,
        links_file=cfg.resolve(w.links_file) if w.links_file is not None else None,
        island_policy=w.island_policy,
        island_k=w.k,
    )


def municipality_layer(
    cfg: PipelineConfig,
    boundaries: gpd.GeoDataFrame,
    population: pd.DataFrame,
    *,
    boundaries_name: str = "boundaries",
    population_name: str = "population",
) -> gpd.GeoDataFrame:
    """The ``municipalities`` layer of a run: joined, selected, with the configured indicators."""
    joined = join_boundaries_population(
        boundaries, population, boundaries_name=boundaries_name, population_name=population_name
    )
    m = select_area(joined, nuts2=cfg.area.nuts2 or None, regional_units=cfg.area.regional_units or None)
    area = area_km2(m)
    cols: dict[str, pd.Series] = {"area_km2": area}
    if "pop_change_pct" in cfg.indicators:
        cols["pop_change_pct"] = population_change_pct(m["pop_2011"], m["pop_2021"])
    if "density" in cfg.indicators:
        cols["density"] = population_density(m["pop_2021"], area)
    out = m.assign(**cols)
    ordered = ["name_el", "name_en", "regional_unit", "region_el", "pop_2011", "pop_2021", *cols, "geometry"]
    out = gpd.GeoDataFrame(out[ordered], geometry="geometry", crs=m.crs)
    out.index.name = "code"
    return out


@contextmanager
def _stage(name: str, timings: dict[str, float], progress: Progress | None) -> Iterator[None]:
    if progress:
        progress(name)
    logger.info("stage %s", name)
    t0 = time.perf_counter()
    yield
    timings[name] = round(time.perf_counter() - t0, 3)


@contextmanager
def _run_log(path: Path) -> Iterator[None]:
    handler = logging.FileHandler(path, encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.setLevel(logging.INFO)
    root = logging.getLogger("spatial_poverty")
    old_level = root.level
    if root.getEffectiveLevel() > logging.INFO:
        root.setLevel(logging.INFO)
    root.addHandler(handler)
    # Warnings that libraries raise go into run.log (the command line shows them only with -v).
    library = logging.getLogger("py.warnings")
    library.addHandler(handler)
    logging.captureWarnings(True)
    try:
        yield
    finally:
        root.removeHandler(handler)
        library.removeHandler(handler)
        root.setLevel(old_level)
        handler.close()


def run_pipeline(cfg: PipelineConfig, *, force: bool = False, progress: Progress | None = None) -> RunResult:
    """Run a pipeline and publish its outputs in ``<processed>/<name>/``.

    Parameters
    ----------
    cfg : PipelineConfig
        From :func:`~spatial_poverty.pipeline.load_config`.
    force : bool, default False
        Replace an existing output folder. Without it an existing output stops the run before any work.
    progress : callable, optional
        Called with the name of each stage as it starts (the CLI shows it).

    Returns
    -------
    RunResult

    Raises
    ------
    OutputExistsError, DataSourceError, IngestError, StatisticsError, ExportError
        Nothing is published on failure and the previous output stays as it was.
    RunLockedError
        Another run is producing the same output folder; nothing is done.
    """
    target = cfg.output_dir
    with run_lock(target, pipeline=cfg.name):  # a second run of the same output is refused (RunLockedError)
        recovered = recover(target)
        check_target(target, force=force)
        run_id = uuid.uuid4().hex
        started = dt.datetime.now(dt.UTC)
        timings: dict[str, float] = {}
        staging = make_staging(target)
        try:
            with _run_log(staging / "run.log"):
                logger.info("run %s of pipeline %s (%s), seed %d", run_id, cfg.name, cfg.config_file, cfg.seed)
                for line in recovered:
                    logger.warning("before this run: %s", line)
                result = _run(cfg, staging, timings, progress, run_id=run_id, started=started, recovered=recovered)
            if progress:
                progress("publish")
            publish(staging, target, force=force)
        except BaseException:
            discard_staging(staging)
            raise
    result.output_dir = target
    return result


def _run(
    cfg: PipelineConfig,
    staging: Path,
    timings: dict[str, float],
    progress: Progress | None,
    *,
    run_id: str,
    started: dt.datetime,
    recovered: list[str],
) -> RunResult:
    clock = time.perf_counter()
    catalogue_path = cfg.resolve(cfg.paths.catalogue)
    raw = cfg.resolve(cfg.paths.raw)
    with _stage("verify inputs", timings, progress):
        catalogue = load_catalogue(catalogue_path)
        checksums = verify(catalogue, raw, source_ids(cfg))
    with _stage("ingest", timings, progress):
        b_src, p_src = catalogue[cfg.sources.boundaries], catalogue[cfg.sources.population]
        boundaries = read_municipal_boundaries(raw / b_src.path)
        population = read_population(raw / p_src.path)
        gdf = municipality_layer(cfg, boundaries, population, boundaries_name=b_src.path, population_name=p_src.path)
        harmonised = harmonise_run(cfg.sources, catalogue, raw, gdf, boundaries, population)
        gdf = harmonised.municipalities
        harmonised.quality.log_table()
        harmonised.quality.write_csv(staging / "quality.csv")
        harmonised.quality.write_html(staging / "quality.html", title=f"{cfg.title}: ποιότητα δεδομένων")
        logger.info(
            "%d municipalities; pop_2011 %d, pop_2021 %d",
            len(gdf),
            gdf["pop_2011"].sum(),
            gdf["pop_2021"].sum(),
        )
    with _stage("weights", timings, progress):
        graph, report = build_weights(gdf, weights_spec(cfg))
        logger.info("weights report: %s", json.dumps(report.to_dict(), ensure_ascii=False))
    index_stage: IndexStage | None = None
    if cfg.index is not None:
        with _stage("index", timings, progress):
            index_stage = run_index(cfg.index, gdf, staging, seed=cfg.seed, source="the municipalities layer")
    access_stage: AccessStage | None = None
    if cfg.access is not None:
        with _stage("access", timings, progress):
            access_stage = _access(cfg, catalogue, raw, gdf, boundaries, harmonised.layers, index_stage, staging)
    vintages = pipeline_vintages(cfg, catalogue, harmonised.provenance)
    if index_stage is not None:
        reference_year = (cfg.export.release_date or started.date()).year
        labels = {i.column: i.label_el or i.column for i in cfg.index.indicators} if cfg.index else {}
        index_stage.report["recipe"] = index_recipe(
            index_stage.report, vintages, reference_year=reference_year, labels=labels
        )
    stage_layers: dict[str, pd.DataFrame] = {}
    if index_stage is not None:
        stage_layers[index_stage.name] = index_stage.layer
    if access_stage is not None:
        stage_layers.update(access_stage.layers)
    # The statistics read their variables from the municipalities and from the stages that made them.
    sgdf = gdf.join(variable_frame(cfg, gdf, stage_layers).drop(columns=list(gdf.columns), errors="ignore"))
    morans: dict[str, GlobalMoran] = {}
    lisas: dict[str, pd.DataFrame] = {}
    local_frames: dict[str, pd.DataFrame] = {}
    stats_out: dict[str, Any] = {}
    st = cfg.statistics
    common: dict[str, Any] = {"permutations": st.permutations, "seed": cfg.seed, "alternative": st.alternative}
    with _stage("statistics", timings, progress):
        for var in st.variables:
            y = sgdf[var]
            if cfg.weights.island_policy == "components":  # each connected component analysed on its own
                by_comp, morans[var], lisas[var], gi_frame = component_statistics(
                    y, graph, cfg, gistar="gistar" in st.local_statistics
                )
                local_frames[f"lisa_{var}"] = lisas[var]
                if gi_frame is not None:
                    local_frames[f"gistar_{var}"] = gi_frame
                by_comp["inference"] = inference_summary(st, lisas[var], gi_frame)
                stats_out[var] = by_comp
                continue
            gm = GlobalMoran(y, graph, **common)
            local = {"alpha": st.alpha, "correction": st.correction, "significance": st.significance, **common}
            lm = LocalMoran(y, graph, **local)
            morans[var] = gm
            lisas[var] = lm.to_frame()
            local_frames[f"lisa_{var}"] = lisas[var]
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
                local_frames[f"gistar_{var}"] = gi.to_frame()
                bins = pd.Series(gi.bin).value_counts()
                out["gistar_bins"] = {str(b): int(bins.get(b, 0)) for b in (-3, -2, -1, 0, 1, 2, 3)}
            if "local_geary" in st.local_statistics:
                lg = LocalGeary(y, graph, **local)
                local_frames[f"local_geary_{var}"] = lg.to_frame()
            out["inference"] = inference_summary(st, lisas[var], local_frames.get(f"gistar_{var}"))
            stats_out[var] = out
            logger.info("%s: %r; LISA %s; Gi* bins %s", var, gm, lm.counts(), out.get("gistar_bins"))
        if st.stability.enabled:  # lisa_stable / gi_stable: share of weight specs in which a unit is significant
            specs = stability_specs(len(gdf), cfg)  # once: the clipping is logged once
            stab_graphs = stability_graphs(sgdf, cfg, specs)
            for var in st.variables if stab_graphs else []:
                shares = stability_shares(sgdf, var, stab_graphs, cfg, gistar=f"gistar_{var}" in local_frames)
                for col, layer in (("lisa_stable", f"lisa_{var}"), ("gi_stable", f"gistar_{var}")):
                    if col in shares:
                        local_frames[layer] = local_frames[layer].assign(**{col: shares[col]})
                lisas[var] = local_frames[f"lisa_{var}"]
                stats_out[var]["stability"] = {
                    "specs": specs,
                    **{f"{c}_mean": float(shares[c].mean()) for c in shares.columns},
                }
    with _stage("bivariate", timings, progress):
        bivariate, bivariate_summary = bivariate_statistics(sgdf, graph, cfg)
    regions = None
    if cfg.regions is not None:
        with _stage("regions", timings, progress):
            regions = regions_stage(gdf, graph, cfg)
    gpkg = staging / f"{cfg.name}.gpkg"
    layers: dict[str, pd.DataFrame] = {"municipalities": gdf, **harmonised.layers}
    if index_stage is not None:
        layers[index_stage.name] = index_stage.layer
    if regions is not None:
        layers["regions"] = regions.regions
    if access_stage is not None:
        layers.update(access_stage.layers)
    for name, var in local_layers(cfg).items():
        layers[name] = gpd.GeoDataFrame(
            sgdf[["name_el", "name_en", var]].rename(columns={var: "value"}).join(local_frames[name]),
            geometry=gdf.geometry,
            crs=gdf.crs,
        )
    layers.update(bivariate_layers(sgdf, bivariate))
    sources = [catalogue[i] for i in source_ids(cfg)]  # boundaries and population first
    inputs = [
        {
            "id": s.id,
            "path": s.path,
            "sha256": checksums[s.id],
            "publisher": s.publisher,
            "licence": s.licence,
            "attribution": s.attribution,
        }
        for s in sources
    ]
    counts = {
        "municipalities": len(gdf),
        "pop_2011": int(gdf["pop_2011"].sum()),
        "pop_2021": int(gdf["pop_2021"].sum()),
    }
    # The reproducible record of the run (no id, no clock): stored inside the GeoPackage.
    record = {
        "pipeline": cfg.name,
        "config_sha256": cfg.config_sha256,
        "config": cfg.model_dump(mode="json"),
        "seed": cfg.seed,
        "inputs": inputs,
        "counts": counts,
        "weights": report.to_dict(),
        "statistics": stats_out,
        "bivariate": bivariate_summary,
        "harmonisation": harmonised.manifest(),
        "index": index_stage.report if index_stage else None,
        "regions": regions.summary() if regions else None,
        "access": access_stage.report if access_stage else None,
        "versions": _versions(),
        "vintage": vintage_manifest(vintages, catalogue, b_src, pairs=cfg.statistics.bivariate),
    }
    delivery = Delivery(
        name=cfg.name,
        title=cfg.title,
        title_en=cfg.title_en,
        timestamp=gpkg_timestamp(cfg.export.release_date),
        crs=cfg.export.crs,
        sources=[
            SourceRef(s.id, s.title, s.publisher, s.licence, s.attribution, s.landing_page, checksums[s.id])
            for s in sources
        ],
        record=record,
        layer_notes=layer_notes(layers, record["vintage"], index_name=index_stage.name if index_stage else None),
    )
    with _stage("geopackage", timings, progress):
        delivered = write_delivery(staging, layers, delivery, formats=cfg.export.formats)
    with _stage("map", timings, progress):
        title = cfg.title
        m = interactive_map(
            gdf,
            title=title,
            indicators=[IndicatorLayer(c, *INDICATORS[c], diverging=(c == "pop_change_pct")) for c in cfg.indicators],
            lisa=lisas,
            attribution=" · ".join(dict.fromkeys([b_src.attribution, p_src.attribution])),
            simplify_m=cfg.map.simplify_m,
            significance=cfg.statistics.significance or "p",
            notes={var: v["line_el"] for var, v in record["vintage"].items()},
        )
        decorate = None
        if access_stage is not None:
            stage = access_stage

            def decorate(fmap: Any) -> None:
                add_access_layers(
                    fmap,
                    stage.layers["services"],
                    stage.layers["settlement_access"],
                    stage.nearest,
                    gdf["name_el"],
                    attribution=stage.registry.attribution,
                )

            decorate(m)
        write_map(m, staging / "map.html")
    manifest = {
        "pipeline": cfg.name,
        "title": cfg.title,
        "run_id": run_id,
        "started_at": started.isoformat(timespec="seconds"),
        "finished_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "config_file": str(cfg.config_file) if cfg.config_file else None,
        "config_sha256": cfg.config_sha256,
        "config": cfg.model_dump(mode="json"),
        "seed": cfg.seed,
        "harmonisation": harmonised.manifest(),
        "inputs": inputs,
        "excluded": [{"code": c, "reason": r} for c, r in NOT_MUNICIPALITIES.items()],
        "counts": counts,
        "weights": report.to_dict(),
        "statistics": stats_out,
        "bivariate": bivariate_summary,
        "index": index_stage.report if index_stage else None,
        "regions": record["regions"],
        "access": access_stage.report if access_stage else None,
        "versions": record["versions"],
        "vintage": record["vintage"],
        "timings_s": timings,
        "recovered": recovered,
        "outputs": [
            {"path": p.name, "sha256": sha256_file(p), "bytes": p.stat().st_size}
            for p in (
                gpkg,
                staging / "map.html",
                *delivered[1:],
                staging / "quality.csv",
                staging / "quality.html",
                *(index_stage.files if index_stage else []),
                *(access_stage.files if access_stage else []),
            )
        ]
        + [{"path": "run.log", "sha256": None, "bytes": None}],
        "layers": {name: len(f) for name, f in layers.items()},
    }
    manifest = write_run_products(cfg, staging, manifest, progress=progress, decorate_map=decorate)
    # The whole run until the manifest is written (publishing, a rename, follows); the stages above and the
    # work between them ("between stages") add up to it.
    elapsed = round(time.perf_counter() - clock, 3)
    manifest["timings_s"]["between stages"] = round(max(0.0, elapsed - sum(manifest["timings_s"].values())), 3)
    manifest["elapsed_s"] = elapsed
    logger.info("outputs complete in %.1f s", elapsed)
    (staging / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False, indent=2), encoding="utf-8")
    return RunResult(
        output_dir=staging,
        manifest=manifest,
        municipalities=gdf,
        weights=report,
        global_moran=morans,
        lisa=lisas,
    )


def _access(
    cfg: PipelineConfig,
    catalogue: Any,
    raw: Path,
    gdf: gpd.GeoDataFrame,
    boundaries: gpd.GeoDataFrame,
    harmonised_layers: dict[str, pd.DataFrame],
    index_stage: IndexStage | None,
    staging: Path,
) -> AccessStage:
    """The access stage (``access:``): services, settlement and municipal access layers."""
    from spatial_poverty.pipeline.config import ACCESS_SOURCES

    paths = {k: raw / catalogue[getattr(cfg.sources, k)].path for k in ACCESS_SOURCES}
    if cfg.sources.census_2011:
        paths["census_2011"] = raw / catalogue[cfg.sources.census_2011].path
    deprivation = None
    if index_stage is not None and "score" in index_stage.layer:
        deprivation = index_stage.layer["score"].astype(float)
    return run_access(
        cfg.access,
        sources=cfg.sources,
        paths=paths,
        municipalities=gdf,
        boundaries=boundaries,
        resolve=cfg.resolve,
        deprivation=deprivation,
        crosswalk=harmonised_layers.get("code_crosswalk"),
        staging=staging,
    )
