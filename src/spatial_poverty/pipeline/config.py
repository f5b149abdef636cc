"""The pipeline configuration: a YAML file checked against this schema before any work is done.

Unknown or misspelt keys are refused with their name and the allowed ones. Relative paths are resolved against
the folder of the YAML file, so a pipeline runs the same from any working directory.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from spatial_poverty.errors import ConfigError
from spatial_poverty.ingest.regions import REGIONS

__all__ = ["INDICATORS", "PipelineConfig", "load_config"]

#: Indicators the pipeline can compute, with their Greek label and unit.
INDICATORS: dict[str, tuple[str, str]] = {
    "pop_change_pct": ("Μεταβολή πληθυσμού 2011-2021", "%"),
    "density": ("Πυκνότητα πληθυσμού 2021", "κάτ./km²"),
}


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Paths(_Strict):
    """Where the catalogue, the raw inputs and the outputs are (relative to the YAML file)."""

    catalogue: Path = Path("../data/raw/catalogue.yaml")
    raw: Path = Path("../data/raw")
    processed: Path = Path("../data/processed")


class Area(_Strict):
    """Which municipalities: by NUTS 2 region, by regional unit (2-digit ELSTAT 2021 code), or all of Greece."""

    nuts2: list[str] = Field(default_factory=list)
    regional_units: list[str] = Field(default_factory=list)

    @field_validator("nuts2")
    @classmethod
    def _known_regions(cls, v: list[str]) -> list[str]:
        bad = [c for c in v if c not in REGIONS]
        if bad:
            raise ValueError(f"unknown NUTS 2 code(s) {bad}; Greek regions are {', '.join(sorted(REGIONS))}")
        return v

    @field_validator("regional_units")
    @classmethod
    def _two_digits(cls, v: list[str]) -> list[str]:
        bad = [c for c in v if not (isinstance(c, str) and len(c) == 2 and c.isdigit())]
        if bad:
            raise ValueError(f"regional units need to be 2-digit text codes such as '58'; {bad} were given instead")
        return v


class Sources(_Strict):
    """Catalogue ids of the inputs."""

    boundaries: str = "elstat_2021_municipalities"
    population: str = "elstat_2021_population"


class Weights(_Strict):
    """Contiguity and island policy; see :func:`spatial_poverty.stats.build_weights`."""

    contiguity: Literal["queen", "rook"] = "queen"
    island_policy: Literal["knn", "none"] = "knn"
    k: int = Field(default=1, ge=1, le=10)


class Statistics(_Strict):
    """Global Moran's I and LISA settings."""

    variables: list[str] = Field(default_factory=lambda: list(INDICATORS))
    permutations: int = Field(default=999, ge=99, le=99999)
    alpha: float = Field(default=0.05, gt=0, lt=1)

    @field_validator("variables")
    @classmethod
    def _known_variables(cls, v: list[str]) -> list[str]:
        bad = [x for x in v if x not in INDICATORS]
        if bad:
            raise ValueError(f"unknown variable(s) {bad}; allowed: {', '.join(INDICATORS)}")
        if len(set(v)) != len(v):
            raise ValueError(f"variables are listed twice: {v}")
        return v


class MapOptions(_Strict):
    """The interactive map."""

    simplify_m: float = Field(default=100.0, ge=0, le=5000)


class ReportOptions(_Strict):
    """The run's report (``report.html``), its static maps and the targets it monitors."""

    targets: Path | None = Field(default=None, description="a targets file (pipelines/targets/<region>.yaml)")
    language: Literal["el", "en"] = "el"


class PipelineConfig(_Strict):
    """A pipeline: one area, its indicators and statistics, published to ``processed/<name>/``."""

    name: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    title: str
    title_en: str | None = None
    seed: int = Field(ge=0, le=2**32 - 1)
    paths: Paths = Field(default_factory=Paths)
    area: Area = Field(default_factory=Area)
    sources: Sources = Field(default_factory=Sources)
    indicators: list[str] = Field(default_factory=lambda: list(INDICATORS))
    weights: Weights = Field(default_factory=Weights)
    statistics: Statistics = Field(default_factory=Statistics)
    map: MapOptions = Field(default_factory=MapOptions)
    report: ReportOptions = Field(default_factory=ReportOptions)

    # Set by load_config: where the file is, and its checksum (not part of the YAML).
    config_file: Path | None = Field(default=None, exclude=True)
    config_sha256: str | None = Field(default=None, exclude=True)

    @field_validator("indicators")
    @classmethod
    def _known_indicators(cls, v: list[str]) -> list[str]:
        bad = [x for x in v if x not in INDICATORS]
        if bad:
            raise ValueError(f"unknown indicator(s) {bad}; allowed: {', '.join(INDICATORS)}")
        return v

    @model_validator(mode="after")
    def _variables_are_indicators(self) -> PipelineConfig:
        missing = [v for v in self.statistics.variables if v not in self.indicators]
        if missing:
            raise ValueError(f"statistics.variables {missing} are not in indicators {self.indicators}")
        return self

    def resolve(self, p: Path) -> Path:
        """A configured path, resolved against the YAML file's folder (or the working directory)."""
        base = self.config_file.parent if self.config_file else Path.cwd()
        return (base / p).resolve()

    @property
    def output_dir(self) -> Path:
        return self.resolve(self.paths.processed) / self.name


def _allowed_keys(model: type[BaseModel], loc: tuple[Any, ...]) -> list[str]:
    """The keys allowed where an extra key was found (walk the schema along the error's location)."""
    current: type[BaseModel] = model
    for part in loc[:-1]:
        if isinstance(part, int):
            continue
        field = current.model_fields.get(part)
        annotation = field.annotation if field is not None else None
        if not (isinstance(annotation, type) and issubclass(annotation, BaseModel)):
            return []
        current = annotation
    return [k for k, f in current.model_fields.items() if not f.exclude]


def _format(exc: ValidationError, path: Path) -> str:
    lines = []
    for err in exc.errors():
        loc = tuple(err["loc"])
        where = ".".join(str(x) for x in loc) or "(top level)"
        if err["type"] == "extra_forbidden":
            allowed = _allowed_keys(PipelineConfig, loc)
            lines.append(f"unknown key {where!r}; allowed here: {', '.join(allowed)}")
        elif err["type"] == "missing":
            lines.append(f"key {where!r} is required")
        else:
            lines.append(f"{where}: {err['msg']} (found {err.get('input')!r})")
    return f"{path}: the pipeline configuration is not valid:\n  " + "\n  ".join(lines)


def load_config(path: str | os.PathLike[str]) -> PipelineConfig:
    """Read and validate a pipeline YAML file.

    Raises
    ------
    ConfigError
        If the file is missing, is not YAML, or does not match the schema; the message lists every problem,
        with, for an unknown key, the keys allowed at that place.
    """
    path = Path(path)
    try:
        data = path.read_bytes()
    except FileNotFoundError as exc:
        raise ConfigError(f"pipeline file {path} does not exist") from exc
    try:
        raw = yaml.safe_load(data.decode("utf-8"))
    except (UnicodeDecodeError, yaml.YAMLError) as exc:
        raise ConfigError(f"{path}: not a UTF-8 YAML file: {exc}") from exc
    if not isinstance(raw, dict):
        raise ConfigError(f"{path}: expected a mapping of keys at the top level; found {type(raw).__name__}")
    for key in ("config_file", "config_sha256"):
        if key in raw:
            raise ConfigError(f"{path}: key {key!r} is set by the program, not in the file")
    try:
        cfg = PipelineConfig.model_validate(raw)
    except ValidationError as exc:
        raise ConfigError(_format(exc, path)) from None
    return cfg.model_copy(update={"config_file": path.resolve(), "config_sha256": hashlib.sha256(data).hexdigest()})
