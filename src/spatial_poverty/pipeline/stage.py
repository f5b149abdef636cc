"""What a pipeline stage declares: the configuration it reads, the inputs it needs and the products it makes.

A stage is one module under :mod:`spatial_poverty.pipeline.stages` that defines a :class:`Stage` and is listed
once in that package's ``STAGES``. The runner (:mod:`spatial_poverty.pipeline.runner`) orders the stages from their
declarations (:mod:`spatial_poverty.pipeline.graph`), gives each a :class:`StageContext`, and caches what it made
(:mod:`spatial_poverty.pipeline.cache`) under a key of its code, its configuration and its inputs.

A stage's ``run`` returns its products (Python objects other stages read through :meth:`StageContext.product`)
and may write files into the staging folder; the runner sees which files each stage wrote. A stage never changes
a file another stage wrote.

Two product names are conventions the ``export`` stage collects from every stage that makes them (so a new stage
is published without touching ``export``): ``layers``, a mapping of layer name to table, written into the
GeoPackage in the order of the stages; and ``record``, a JSON-able mapping stored in the run's record (inside the
GeoPackage) and in ``manifest.json`` under the stage's name.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import datetime as dt

    from spatial_poverty.ingest.catalogue import Catalogue
    from spatial_poverty.pipeline.config import PipelineConfig

__all__ = ["Stage", "StageContext", "config_value"]


def _always(cfg: PipelineConfig) -> bool:
    return True


def _nothing(cfg: PipelineConfig) -> list[str]:
    return []


def _no_files(cfg: PipelineConfig) -> list[tuple[str, Path]]:
    return []


def _no_clock(cfg: PipelineConfig, started: dt.datetime) -> None:
    return None


@dataclass(frozen=True)
class Stage:
    """A stage of the pipeline, as declared.

    Attributes
    ----------
    name : str
        The stage's name (``--only``, ``--from``, the manifest's ``stages``).
    run : callable
        ``run(ctx) -> dict`` of products, one entry per name in ``products``.
    describe : callable
        ``describe(cfg) -> str``: what the stage does, in words (the plan of ``run --dry-run``).
    config : tuple of str
        The configuration it reads, as dotted keys (``"statistics"``, ``"report.language"``): part of its cache key.
    needs : tuple of str
        The stages whose products or files it reads (a disabled one is simply absent).
    products : tuple of str
        The names of what ``run`` returns.
    inputs : callable
        ``inputs(cfg) -> list`` of catalogue ids it reads (their SHA-256 are part of its cache key).
    files : callable
        ``files(cfg) -> list`` of (config key, path) of files the configuration names that it reads.
    enabled : callable
        ``enabled(cfg) -> bool``: whether the configuration asks for the stage.
    collects : tuple of str
        Product names this stage reads from every stage that makes them (``export`` collects ``layers`` and
        ``record``): those stages are needed as if listed in ``needs``.
    clock : callable
        ``clock(cfg, started)``: what the stage takes from the date of the run (part of its cache key), or None.
    cached : bool
        False for a stage whose files record the run itself (the report names the run id and its time).
    """

    name: str
    run: Callable[[StageContext], dict[str, Any]]
    describe: Callable[[PipelineConfig], str]
    config: tuple[str, ...] = ()
    needs: tuple[str, ...] = ()
    products: tuple[str, ...] = ()
    inputs: Callable[[PipelineConfig], list[str]] = _nothing
    files: Callable[[PipelineConfig], list[tuple[str, Path]]] = _no_files
    enabled: Callable[[PipelineConfig], bool] = _always
    collects: tuple[str, ...] = ()
    clock: Callable[[PipelineConfig, dt.datetime], Any] = _no_clock
    cached: bool = True


def config_value(cfg: PipelineConfig, key: str) -> Any:
    """The JSON value of a dotted configuration key (``"statistics.alpha"``); None when a section is absent."""
    value: Any = cfg
    for part in key.split("."):
        value = getattr(value, part, None)
        if value is None:
            return None
    dump = getattr(value, "model_dump", None)
    if dump is not None:
        return dump(mode="json")
    if isinstance(value, Path):
        return str(value)
    if isinstance(value, dict):
        return {k: (v.model_dump(mode="json") if hasattr(v, "model_dump") else v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [str(v) if isinstance(v, Path) else v for v in value]
    return value if isinstance(value, str | int | float | bool) else str(value)


@dataclass
class StageContext:
    """What a stage sees while it runs.

    Attributes
    ----------
    cfg : PipelineConfig
    staging : pathlib.Path
        The run's staging folder: a stage writes its files here.
    catalogue : Catalogue
    raw : pathlib.Path
        The folder of the catalogued inputs.
    checksums : mapping
        SHA-256 of every verified catalogue input, by id.
    started : datetime.datetime
        When the run started (UTC).
    run_id : str
    """

    cfg: PipelineConfig
    staging: Path
    catalogue: Catalogue
    raw: Path
    checksums: Mapping[str, str]
    started: dt.datetime
    run_id: str
    get_product: Callable[[str, str], Any]
    is_enabled: Callable[[str], bool]
    extra: Mapping[str, Any]
    order: Sequence[Stage] = ()

    def product(self, stage: str, name: str) -> Any:
        """A product of another stage (computed in this run or read from the cache)."""
        return self.get_product(stage, name)

    def optional(self, stage: str, name: str) -> Any:
        """A product of a stage the configuration may leave out: None when it is disabled."""
        return self.get_product(stage, name) if self.is_enabled(stage) else None

    def collected(self, product: str) -> dict[str, Any]:
        """``product`` of every enabled stage before the current one that makes it, by stage, in stage order."""
        return {
            s.name: self.get_product(s.name, product)
            for s in self.order
            if product in s.products and self.is_enabled(s.name)
        }

    def path(self, catalogue_id: str) -> Path:
        """The raw path of a catalogued input."""
        return self.raw / self.catalogue[catalogue_id].path
