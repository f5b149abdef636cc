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
    make_staging,
    publish,
    validate_geopackage,
    write_layers,
)
from spatial_poverty.indicators import area_km2, population_change_pct, population_density
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
from spatial_poverty.pipeline.config import INDICATORS, PipelineConfig
from spatial_poverty.report import write_run_products
from spatial_poverty.stats import GlobalMoran, LocalMoran, WeightsReport, build_weights

__all__ = ["RunResult", "municipality_layer", "plan", "run_pipeline"]

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


def plan(cfg: PipelineConfig) -> list[str]:
    """The steps a run of ``cfg`` would take and the files it would publish (for ``--dry-run``)."""
    out = cfg.output_dir
    area = (
        f"NUTS 2 {', '.join(cfg.area.nuts2)}"
        if cfg.area.nuts2
        else f"regional units {', '.join(cfg.area.regional_units)}"
        if cfg.area.regional_units
        else "all of Greece"
    )
    return [
        f"verify inputs {cfg.sources.boundaries}, {cfg.sources.population} in {cfg.resolve(cfg.paths.raw)}",
        f"select municipalities of {area}",
        f"compute indicators {', '.join(cfg.indicators)}",
        f"{cfg.weights.contiguity} contiguity, island policy {cfg.weights.island_policy} (k={cfg.weights.k})",
        f"global Moran's I and LISA of {', '.join(cfg.statistics.variables)} with "
        f"{cfg.statistics.permutations} permutations, seed {cfg.seed}, alpha {cfg.statistics.alpha}",
        f"publish {out}/{cfg.name}.gpkg (layers municipalities, "
        + ", ".join(f"lisa_{v}" for v in cfg.statistics.variables)
        + f"), {out}/map.html, {out}/manifest.json, {out}/run.log",
    ]


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
    try:
        yield
    finally:
        root.removeHandler(handler)
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
    """
    target = cfg.output_dir
    check_target(target, force=force)
    run_id = uuid.uuid4().hex
    started = dt.datetime.now(dt.UTC)
    timings: dict[str, float] = {}
    staging = make_staging(target)
    try:
        with _run_log(staging / "run.log"):
            logger.info("run %s of pipeline %s (%s), seed %d", run_id, cfg.name, cfg.config_file, cfg.seed)
            result = _run(cfg, staging, timings, progress, run_id=run_id, started=started)
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
) -> RunResult:
    catalogue_path = cfg.resolve(cfg.paths.catalogue)
    raw = cfg.resolve(cfg.paths.raw)
    with _stage("verify inputs", timings, progress):
        catalogue = load_catalogue(catalogue_path)
        ids = [cfg.sources.boundaries, cfg.sources.population]
        checksums = verify(catalogue, raw, ids)
    with _stage("ingest", timings, progress):
        b_src, p_src = catalogue[cfg.sources.boundaries], catalogue[cfg.sources.population]
        boundaries = read_municipal_boundaries(raw / b_src.path)
        population = read_population(raw / p_src.path)
        gdf = municipality_layer(cfg, boundaries, population, boundaries_name=b_src.path, population_name=p_src.path)
        logger.info(
            "%d municipalities; pop_2011 %d, pop_2021 %d",
            len(gdf),
            gdf["pop_2011"].sum(),
            gdf["pop_2021"].sum(),
        )
    with _stage("weights", timings, progress):
        graph, report = build_weights(
            gdf, contiguity=cfg.weights.contiguity, island_policy=cfg.weights.island_policy, k=cfg.weights.k
        )
    morans: dict[str, GlobalMoran] = {}
    lisas: dict[str, pd.DataFrame] = {}
    stats_out: dict[str, Any] = {}
    with _stage("statistics", timings, progress):
        for var in cfg.statistics.variables:
            y = gdf[var]
            gm = GlobalMoran(y, graph, permutations=cfg.statistics.permutations, seed=cfg.seed)
            lm = LocalMoran(
                y, graph, permutations=cfg.statistics.permutations, seed=cfg.seed, alpha=cfg.statistics.alpha
            )
            morans[var] = gm
            lisas[var] = lm.to_frame()
            stats_out[var] = {"global_moran": gm.to_dict(), "lisa_clusters": lm.counts()}
            logger.info("%s: %r; LISA %s", var, gm, lm.counts())
    gpkg = staging / f"{cfg.name}.gpkg"
    layers: dict[str, pd.DataFrame] = {"municipalities": gdf}
    for var, frame in lisas.items():
        layers[f"lisa_{var}"] = gpd.GeoDataFrame(
            gdf[["name_el", "name_en", var]].rename(columns={var: "value"}).join(frame),
            geometry=gdf.geometry,
            crs=gdf.crs,
        )
    with _stage("geopackage", timings, progress):
        write_layers(gpkg, layers)
        validate_geopackage(gpkg, {name: len(f) for name, f in layers.items()})
    with _stage("map", timings, progress):
        title = cfg.title
        m = interactive_map(
            gdf,
            title=title,
            indicators=[IndicatorLayer(c, *INDICATORS[c], diverging=(c == "pop_change_pct")) for c in cfg.indicators],
            lisa=lisas,
            attribution=" · ".join(dict.fromkeys([b_src.attribution, p_src.attribution])),
            simplify_m=cfg.map.simplify_m,
        )
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
        "inputs": [
            {
                "id": s.id,
                "path": s.path,
                "sha256": checksums[s.id],
                "publisher": s.publisher,
                "licence": s.licence,
                "attribution": s.attribution,
            }
            for s in (b_src, p_src)
        ],
        "excluded": [{"code": c, "reason": r} for c, r in NOT_MUNICIPALITIES.items()],
        "counts": {
            "municipalities": len(gdf),
            "pop_2011": int(gdf["pop_2011"].sum()),
            "pop_2021": int(gdf["pop_2021"].sum()),
        },
        "weights": report.to_dict(),
        "statistics": stats_out,
        "versions": _versions(),
        "timings_s": timings,
        "outputs": [
            {"path": p.name, "sha256": sha256_file(p), "bytes": p.stat().st_size} for p in (gpkg, staging / "map.html")
        ]
        + [{"path": "run.log", "sha256": None, "bytes": None}],
        "layers": {name: len(f) for name, f in layers.items()},
    }
    manifest = write_run_products(cfg, staging, manifest, progress=progress)
    logger.info("outputs complete in %.1f s", sum(timings.values()))
    (staging / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False, indent=2), encoding="utf-8")
    return RunResult(
        output_dir=staging,
        manifest=manifest,
        municipalities=gdf,
        weights=report,
        global_moran=morans,
        lisa=lisas,
    )
