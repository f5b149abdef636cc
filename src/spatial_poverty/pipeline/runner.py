"""Running a pipeline: walk its declared stages in order, reuse what the cache holds, publish whole or not at all.

The stages are declared in :mod:`spatial_poverty.pipeline.stages` and ordered by what each needs
(:mod:`spatial_poverty.pipeline.graph`). Each stage's cache key is made of the code, its configuration keys, the
SHA-256 of its inputs and the keys of the stages it needs (:mod:`spatial_poverty.pipeline.cache`); a stage whose
key is in the cache is not run: its files are copied into the staging folder and its products are read only if a
later stage needs them. A partial run (``only``, ``start``) publishes into ``<name>-partial``, never over the
whole output. Every whole run leaves a record in ``history/`` (:mod:`spatial_poverty.pipeline.history`).
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import shutil
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from spatial_poverty.errors import ConfigError
from spatial_poverty.export import check_target, discard_staging, make_staging, publish, recover, run_lock
from spatial_poverty.ingest import load_catalogue, verify
from spatial_poverty.ingest.catalogue import catalogue_sha256, sha256_file
from spatial_poverty.pipeline.cache import StageCache, code_version, stage_key
from spatial_poverty.pipeline.graph import partial_selection, stage_order
from spatial_poverty.pipeline.history import HISTORY_DIR, history_record, load_history, record_name, unit_classes
from spatial_poverty.pipeline.manifest import build_manifest
from spatial_poverty.pipeline.stage import Stage, StageContext, config_value
from spatial_poverty.pipeline.stages import STAGES
from spatial_poverty.pipeline.stages.indicators import with_indicators
from spatial_poverty.pipeline.stages.ingest import selected_municipalities

if TYPE_CHECKING:
    import geopandas as gpd
    import pandas as pd

    from spatial_poverty.pipeline.cache import CacheEntry
    from spatial_poverty.pipeline.config import PipelineConfig

__all__ = ["RunResult", "municipality_layer", "run_pipeline"]

logger = logging.getLogger(__name__)

Progress = Callable[[str], None]
#: Files of the staging folder that belong to no stage.
RUN_FILES = ("run.log", "manifest.json")


class RunResult:
    """What a run produced: the published folder, its manifest, and (read when asked) the tables behind it."""

    def __init__(self, output_dir: Path, manifest: dict[str, Any], product: Callable[[str, str], Any]) -> None:
        self.output_dir = output_dir
        self.manifest = manifest
        self._product = product

    @property
    def municipalities(self) -> gpd.GeoDataFrame:
        return self._product("harmonise", "municipalities")

    @property
    def weights(self) -> Any:
        """The :class:`~spatial_poverty.stats.WeightsReport` of the run's weights."""
        return self._product("weights", "report")

    @property
    def global_moran(self) -> dict[str, Any]:
        return self._product("statistics", "morans")

    @property
    def lisa(self) -> dict[str, pd.DataFrame]:
        return self._product("statistics", "lisas")


def municipality_layer(
    cfg: PipelineConfig,
    boundaries: gpd.GeoDataFrame,
    population: pd.DataFrame,
    *,
    boundaries_name: str = "boundaries",
    population_name: str = "population",
) -> gpd.GeoDataFrame:
    """The ``municipalities`` layer of a run: joined, selected, with the configured indicators (stages ``ingest``
    and ``indicators``)."""
    selected = selected_municipalities(
        cfg, boundaries, population, boundaries_name=boundaries_name, population_name=population_name
    )
    return with_indicators(cfg, selected)


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


def run_pipeline(
    cfg: PipelineConfig,
    *,
    force: bool = False,
    progress: Progress | None = None,
    no_cache: bool = False,
    only: Sequence[str] = (),
    start: str | None = None,
) -> RunResult:
    """Run a pipeline and publish its outputs in ``<processed>/<name>/``.

    Parameters
    ----------
    cfg : PipelineConfig
        From :func:`~spatial_poverty.pipeline.load_config`.
    force : bool, default False
        Replace an existing output folder. Without it an existing output stops the run before any work.
    progress : callable, optional
        Called with the name of each stage as it starts (the CLI shows it).
    no_cache : bool, default False
        Recompute every stage (the cache is refreshed with the new products).
    only : sequence of str
        Recompute these stages only (reading what they need from the cache, or computing it): a partial run.
    start : str, optional
        Recompute this stage and every stage that depends on it: a partial run.

    A partial run publishes into ``<processed>/<name>-partial/``, with ``"partial": true`` in its manifest; the
    whole output and its history are not touched.

    Returns
    -------
    RunResult

    Raises
    ------
    OutputExistsError, DataSourceError, IngestError, StatisticsError, ExportError, ConfigError
        Nothing is published on failure and the previous output stays as it was.
    RunLockedError
        Another run is producing the same output folder; nothing is done.
    """
    partial = bool(only or start)
    if partial:  # an unknown stage name is refused before anything is touched
        partial_selection(stage_order(STAGES, cfg), only, start)
    target = cfg.output_dir.with_name(f"{cfg.name}-partial") if partial else cfg.output_dir
    with run_lock(target, pipeline=cfg.name):  # a second run of the same output is refused (RunLockedError)
        recovered = recover(target)
        check_target(target, force=force)
        staging = make_staging(target)
        try:
            if not partial and (target / HISTORY_DIR).is_dir():  # the history goes on with the output
                shutil.copytree(target / HISTORY_DIR, staging / HISTORY_DIR)
            walk = _Walk(cfg, staging, progress, no_cache=no_cache, recovered=recovered)
            with _run_log(staging / "run.log"):
                logger.info("run %s of pipeline %s (%s), seed %d", walk.run_id, cfg.name, cfg.config_file, cfg.seed)
                for line in recovered:
                    logger.warning("before this run: %s", line)
                manifest = walk.run(only=only, start=start)
            if progress:
                progress("publish")
            publish(staging, target, force=force)
        except BaseException:
            discard_staging(staging)
            raise
    walk.cache.prune()
    return RunResult(target, manifest, walk.product)


class _Walk:
    """One run of the stage graph in a staging folder."""

    def __init__(
        self, cfg: PipelineConfig, staging: Path, progress: Progress | None, *, no_cache: bool, recovered: list[str]
    ) -> None:
        self.cfg = cfg
        self.staging = staging
        self.progress = progress
        self.no_cache = no_cache
        self.run_id = uuid.uuid4().hex
        self.started = dt.datetime.now(dt.UTC)
        self.cache = StageCache(cfg.interim_dir / "cache", cfg.cache.max_size_mb * 2**20)
        self.recovered = recovered
        self.memory: dict[str, dict[str, Any]] = {}
        self.entries: dict[str, CacheEntry] = {}
        self.owner: dict[str, str] = {}
        self.rerun: set[str] = set()
        self.files: dict[str, list[str]] = {}
        self.status: dict[str, str] = {}
        self.keys: dict[str, str] = {}
        self.timings: dict[str, float] = {}
        self.order: list[Stage] = []
        self.ctx: StageContext | None = None

    # ------------------------------------------------------------------------------------------------ the walk

    def run(self, *, only: Sequence[str], start: str | None) -> dict[str, Any]:
        clock = time.perf_counter()
        cfg = self.cfg
        self.order = stage_order(STAGES, cfg)
        selected, needed = partial_selection(self.order, only, start) if (only or start) else (None, set())
        catalogue, raw, checksums = self._verify()
        previous = load_history(self.staging / HISTORY_DIR) if (self.staging / HISTORY_DIR).is_dir() else []
        extra = {
            "recovered": self.recovered,
            "previous": previous[-1] if previous else None,
            "partial": selected is not None,
            "stages": self._stages,
        }
        self.ctx = StageContext(cfg, self.staging, catalogue, raw, checksums, self.started, self.run_id,
                                self.product, self._available, extra, self.order)  # fmt: skip
        base = {"code": code_version(), "catalogue": catalogue_sha256(cfg.resolve(cfg.paths.catalogue))}
        for stage in self.order:
            self.keys[stage.name] = self._key(stage, base, checksums)
        for stage in self.order:
            if selected is not None and stage.name not in selected | needed:
                self.status[stage.name] = "skipped"
                continue
            self._stage(stage, fresh=self.no_cache or (selected is not None and stage.name in selected))
        manifest = self._manifest(partial=selected is not None)
        elapsed = round(time.perf_counter() - clock, 3)
        manifest["timings_s"]["between stages"] = round(max(0.0, elapsed - sum(manifest["timings_s"].values())), 3)
        manifest["elapsed_s"] = elapsed
        logger.info("outputs complete in %.1f s; stages %s", elapsed, self.status)
        (self.staging / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False, indent=2), "utf-8")
        return manifest

    def _verify(self) -> tuple[Any, Path, dict[str, str]]:
        """The catalogue, the raw folder, and the SHA-256 of every input of the enabled stages (verified)."""
        t0 = time.perf_counter()
        if self.progress:
            self.progress("verify inputs")
        cfg = self.cfg
        catalogue = load_catalogue(cfg.resolve(cfg.paths.catalogue))
        raw = cfg.resolve(cfg.paths.raw)
        ids = list(dict.fromkeys(i for s in self.order for i in s.inputs(cfg)))
        checksums = verify(catalogue, raw, ids)
        self.timings["verify inputs"] = round(time.perf_counter() - t0, 3)
        return catalogue, raw, checksums

    def _key(self, stage: Stage, base: dict[str, str], checksums: dict[str, str]) -> str:
        cfg = self.cfg
        files = {}
        for key, path in stage.files(cfg):
            if not path.is_file():
                raise ConfigError(f"{cfg.config_file or 'pipeline'}: {key}: {path} does not exist; expected a file")
            files[key] = sha256_file(path)
        material = {
            **base,
            "stage": stage.name,
            "config": {k: config_value(cfg, k) for k in stage.config},
            "inputs": {i: checksums[i] for i in stage.inputs(cfg)},
            "files": files,
            "upstream": {n: self.keys[n] for n in stage.needs if n in self.keys},
            "clock": stage.clock(cfg, self.started),
        }
        return stage_key(material)

    def _stage(self, stage: Stage, *, fresh: bool) -> None:
        name = stage.name
        if self.progress:
            self.progress(name)
        t0 = time.perf_counter()
        entry = None
        if stage.cached and not fresh:
            entry = self.cache.get(name, self.keys[name])
        if entry is not None:
            try:
                written = entry.restore(self.staging)
            except OSError as exc:  # ExportError included: a damaged entry is recomputed
                logger.warning("stage %s: cache entry not usable (%s); recomputed", name, exc)
                entry = None
            else:
                self.entries[name] = entry
                self._own(name, written)
                self.status[name] = "reused"
                logger.info("stage %s reused from the cache (key %s)", name, self.keys[name][:16])
        if entry is None:
            self._compute(stage)
            self.status[name] = "recomputed"
        self.timings[name] = round(time.perf_counter() - t0, 3)

    def _compute(self, stage: Stage) -> None:
        assert self.ctx is not None
        logger.info("stage %s", stage.name)
        before = _snapshot(self.staging)
        products = stage.run(self.ctx)
        if set(products) != set(stage.products):
            raise RuntimeError(f"stage {stage.name} returned {sorted(products)}; it declares {list(stage.products)}")
        after = _snapshot(self.staging)
        written = sorted(rel for rel, sig in after.items() if before.get(rel) != sig)
        self._own(stage.name, [self.staging / rel for rel in written])
        self.memory[stage.name] = products
        if stage.cached and self.cfg.cache.max_size_mb > 0:
            self.cache.put(stage.name, self.keys[stage.name], products, [self.staging / r for r in written],
                           self.staging)  # fmt: skip

    def _own(self, name: str, paths: list[Path]) -> None:
        rels = []
        for rel in (p.relative_to(self.staging).as_posix() for p in paths):
            other = self.owner.get(rel)
            if other in self.rerun and other != name:  # rewritten, the same, by a stage recomputed on demand
                continue
            if other is not None and other != name:
                raise RuntimeError(f"stage {name} rewrote {rel}, a file of stage {other}")
            self.owner[rel] = name
            rels.append(rel)
        self.files[name] = sorted(set(self.files.get(name, [])) | set(rels))

    # -------------------------------------------------------------------------------------------- the products

    def _available(self, stage: str) -> bool:
        return self.status.get(stage) in ("reused", "recomputed")

    def product(self, stage: str, name: str) -> Any:
        """A product of a stage of this run: in memory, or read from its cache entry (recomputed if unreadable)."""
        if stage not in self.memory:
            entry = self.entries.get(stage)
            if entry is None:
                raise RuntimeError(f"stage {stage} has not run in this run; its product {name} is not available")
            try:
                self.memory[stage] = {p: entry.load(p) for p in entry.products}
            except Exception as exc:
                logger.warning("stage %s: cache entry unreadable (%s); recomputed", stage, exc)
                by_name = {s.name: s for s in self.order}
                self.entries.pop(stage)
                self.rerun.add(stage)
                self._compute(by_name[stage])
                self.status[stage] = "recomputed"
        return self.memory[stage][name]

    # -------------------------------------------------------------------------------------------- the manifest

    def _stages(self) -> dict[str, dict[str, Any]]:
        """Each stage's status (recomputed, reused, skipped; "pending" while the run goes on) and cache key."""
        return {
            s.name: {"status": self.status.get(s.name, "pending"), "key": self.keys[s.name][:16] if s.cached else None}
            for s in self.order
        }

    def _manifest(self, *, partial: bool) -> dict[str, Any]:
        assert self.ctx is not None
        manifest = build_manifest(self.ctx)
        manifest["partial"] = partial
        manifest["stages"] = self._stages()
        manifest["cache"] = {"folder": str(self.cache.root), "no_cache": self.no_cache}
        manifest["timings_s"] = dict(self.timings)
        files = [rel for s in self.order for rel in self.files.get(s.name, [])]
        manifest["outputs"] = [
            {"path": rel, "sha256": sha256_file(self.staging / rel), "bytes": (self.staging / rel).stat().st_size}
            for rel in files
        ] + [{"path": "run.log", "sha256": None, "bytes": None}]
        if not partial and self._available("export"):
            self._record_history(manifest)
        if (self.staging / HISTORY_DIR).is_dir():  # every record is listed: the next run replaces only its own
            manifest["outputs"] += [
                {"path": f"{HISTORY_DIR}/{p.name}", "sha256": None, "bytes": p.stat().st_size}
                for p in sorted((self.staging / HISTORY_DIR).glob("*.json"))
            ]
        return manifest

    def _record_history(self, manifest: dict[str, Any]) -> None:
        """Add this run's record to the history carried in the staging folder."""
        record = history_record(manifest, unit_classes(self.staging / f"{self.cfg.name}.gpkg"))
        folder = self.staging / HISTORY_DIR
        folder.mkdir(exist_ok=True)
        (folder / record_name(record)).write_text(json.dumps(record, ensure_ascii=False, indent=1), "utf-8")


def _snapshot(folder: Path) -> dict[str, tuple[int, int]]:
    """Relative path -> (size, modification time) of every file of the stages (the run's own files aside)."""
    out = {}
    for p in folder.rglob("*"):
        rel = p.relative_to(folder).as_posix()
        if p.is_file() and rel not in RUN_FILES and not rel.startswith(f"{HISTORY_DIR}/"):
            st = p.stat()
            out[rel] = (st.st_size, st.st_mtime_ns)
    return out
