"""The pipeline configuration: a YAML file checked against this schema before any work is done.

Unknown or misspelt keys are refused with their name and the allowed ones. Relative paths are resolved against
the folder of the YAML file, so a pipeline runs the same from any working directory.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_serializer, model_validator

from spatial_poverty.errors import ConfigError
from spatial_poverty.indices.spec import IndexSpec
from spatial_poverty.ingest.regions import REGIONS
from spatial_poverty.pipeline.variables import INDICATORS, available_variables, check_variables
from spatial_poverty.registers.spec import RegisterAnalysis, RegisterSource, check_registers
from spatial_poverty.sae.spec import SaeSpec
from spatial_poverty.validation import load_yaml_model

__all__ = [
    "DISPLAY_SECTIONS",
    "INDICATORS",
    "PipelineConfig",
    "check_source_ids",
    "data_config",
    "data_config_sha256",
    "load_config",
]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Paths(_Strict):
    """Where the catalogue, the raw inputs and the outputs are (relative to the YAML file)."""

    catalogue: Path = Path("../data/raw/catalogue.yaml")
    raw: Path = Path("../data/raw")
    processed: Path = Path("../data/processed")
    # The cache of stage products (``<interim>/cache``); by default ``interim`` beside ``processed``.
    interim: Path | None = None
    # Publication replaces the folder ``processed/<name>``: outside the project only when asked for (see
    # PipelineConfig.project_dir).
    allow_outside_project: bool = False


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


#: The sources of the national table (all five or none), of the regional context (any) and of the access stage:
#: the one list that the stages, the plan and ``validate`` read.
HARMONISE_SOURCES = ("census_2011", "urban_2011", "lctools_2001", "boundaries_2011", "communities_2021")
CONTEXT_SOURCES = ("lfs_regions", "income_nuts2", "arope_nuts2")
ACCESS_SOURCES = ("settlements_2021", "communities_2021", "osm_points", "marnet_nodes", "marnet_edges")


class Sources(_Strict):
    """Catalogue ids of the inputs."""

    boundaries: str = "elstat_2021_municipalities"
    population: str = "elstat_2021_population"
    # The national table (issue 3): all five or none; see spatial_poverty.harmonise.pipeline.
    census_2011: str | None = None
    urban_2011: str | None = None
    lctools_2001: str | None = None
    boundaries_2011: str | None = None
    communities_2021: str | None = None
    # Regional context (NUTS 2): any of the three.
    lfs_regions: str | None = None
    income_nuts2: str | None = None
    arope_nuts2: str | None = None
    # Access to services (the ``access:`` section): settlement points, OSM points (services stand-in and ferry
    # terminals), the MARNET sea-route network.
    settlements_2021: str | None = None
    osm_points: str | None = None
    marnet_nodes: str | None = None
    marnet_edges: str | None = None
    # The observatory's registers (benefits, registered unemployed): one entry per register, its file(s) by
    # catalogue id (``spatial-poverty data import``); see spatial_poverty.registers.spec and docs/registers.md.
    registers: dict[str, RegisterSource] = Field(default_factory=dict)

    @field_validator("registers")
    @classmethod
    def _registers(cls, v: dict[str, RegisterSource]) -> dict[str, RegisterSource]:
        return check_registers(v)

    @model_serializer(mode="wrap")
    def _without_empty_registers(self, handler: Any) -> Any:
        """Without registers the section stays a flat map of catalogue ids, as it was before registers existed."""
        out = handler(self)
        if isinstance(out, dict) and not out.get("registers"):
            out.pop("registers", None)
        return out

    def catalogue_ids(self) -> dict[str, str]:
        """Every catalogue id named here, by its key (``registers.<name>`` or ``registers.<name>.<period>``)."""
        out = {k: v for k, v in self.model_dump(exclude={"registers"}).items() if v is not None}
        for name, reg in self.registers.items():
            if reg.source is not None:
                out[f"registers.{name}"] = reg.source
            out.update({f"registers.{name}.{p}": sid for p, sid in reg.per_period.items()})
        return out


class Weights(_Strict):
    """Base graph and island policy; see :func:`spatial_poverty.stats.build_weights` and ``WeightsSpec``.

    ``contiguity`` is the base graph unless ``kind`` names another (k nearest, distance band, kernel, or only
    the links of ``links_file``); ``k`` is the number of neighbours the "knn" island policy gives each isolate.
    ``links_file`` (relative to the YAML file) is a CSV ``code_from,code_to[,minutes][,sailings_per_week]``.
    """

    contiguity: Literal["queen", "rook"] = "queen"
    # "components": local statistics per connected component (spatial_poverty.stats.by_component).
    island_policy: Literal["knn", "none", "links", "components"] = "knn"
    k: int = Field(default=1, ge=1, le=10)
    kind: Literal["queen", "rook", "knn", "distance", "kernel", "links"] | None = None
    neighbours: int = Field(default=4, ge=1, le=50, description="k of the 'knn' kind (and adaptive kernels)")
    threshold_m: float | None = Field(default=None, gt=0)
    kernel: Literal["triangular", "gaussian", "bisquare", "epanechnikov", "uniform", "cosine", "exponential"] = (
        "triangular"
    )
    bandwidth_m: float | None = Field(default=None, gt=0)
    links_file: Path | None = None

    @model_validator(mode="after")
    def _consistent(self) -> Weights:
        if self.kind == "distance" and self.threshold_m is None:
            raise ValueError("weights of kind 'distance' need threshold_m (metres)")
        if (self.kind == "links" or self.island_policy == "links") and self.links_file is None:
            raise ValueError("weights of kind 'links' and the island policy 'links' need links_file")
        return self


GlobalStatistic = Literal["moran", "geary", "general_g"]
LocalStatistic = Literal["lisa", "gistar", "local_geary"]


def _default_global() -> list[GlobalStatistic]:
    return ["moran"]


def _default_local() -> list[LocalStatistic]:
    return ["lisa", "gistar"]


def _default_stability_specs() -> list[str]:
    return ["queen", "knn:4", "knn:6", "distance"]


class Stability(_Strict):
    """The local statistics re-run under other weights: per unit, the share of specs in which it is significant.

    Published as ``lisa_stable`` (and ``gi_stable``) in the LISA (and Gi*) layers. A spec is ``queen`` or
    ``rook`` (contiguity, isolates linked to their ``weights.k`` nearest), ``knn:K``, ``distance`` (the
    smallest band that gives every unit a neighbour) or ``distance:D`` (metres).
    """

    enabled: bool = True
    specs: list[str] = Field(default_factory=_default_stability_specs)

    @field_validator("specs")
    @classmethod
    def _parseable(cls, v: list[str]) -> list[str]:
        import re

        bad = [s for s in v if not re.fullmatch(r"queen|rook|knn:[1-9][0-9]?|distance(:[0-9]+(\.[0-9]+)?)?", s)]
        if bad:
            raise ValueError(f"stability specs need to be queen, rook, knn:K, distance or distance:D; {bad} given")
        if len(v) < 2 or len(set(v)) != len(v):
            raise ValueError(f"stability needs at least two different specs; {v} was given")
        return v


class Statistics(_Strict):
    """Which statistics run on which variables (Moran's I and LISA always; the others as listed)."""

    variables: list[str] = Field(default_factory=lambda: list(INDICATORS))
    permutations: int = Field(default=999, ge=99, le=99999)
    alpha: float = Field(default=0.05, gt=0, lt=1)
    global_statistics: list[GlobalStatistic] = Field(default_factory=_default_global)
    local_statistics: list[LocalStatistic] = Field(default_factory=_default_local)
    alternative: Literal["two-sided", "greater", "less"] = "two-sided"
    correction: Literal["bh", "by", "bonferroni", "none"] = "bh"
    #: What makes a unit significant in the published layers, maps and report: the pseudo p-value ("p") or the
    #: one adjusted by ``correction`` ("q"). Default: "q" when a correction is configured, else "p".
    significance: Literal["p", "q"] | None = None
    stability: Stability = Field(default_factory=Stability)
    #: Bivariate LISA: pairs [x, y], x at each municipality against the spatial lag of y (layer bilisa_<x>_vs_<y>).
    bivariate: list[list[str]] = Field(default_factory=list)
    #: Variables analysed as rates of counts (Empirical Bayes); refused for a variable without its counts.
    rates: list[str] = Field(default_factory=list)

    @model_validator(mode="before")
    @classmethod
    def _significance_default(cls, data: Any) -> Any:
        if isinstance(data, dict) and data.get("significance") is None:
            from spatial_poverty.stats.rules import default_significance

            return {**data, "significance": default_significance(data.get("correction", "bh"))}
        return data

    @field_validator("global_statistics")
    @classmethod
    def _moran_always(cls, v: list[str]) -> list[str]:
        if "moran" not in v:
            raise ValueError("global_statistics needs 'moran' (the run reports it)")
        return v

    @field_validator("local_statistics")
    @classmethod
    def _lisa_always(cls, v: list[str]) -> list[str]:
        if "lisa" not in v:
            raise ValueError("local_statistics needs 'lisa' (the map shows it)")
        return v

    @field_validator("variables")
    @classmethod
    def _known_variables(cls, v: list[str]) -> list[str]:
        if len(set(v)) != len(v):
            raise ValueError(f"variables are listed twice: {v}")
        if not v:
            raise ValueError("statistics.variables needs at least one variable")
        return v

    @field_validator("bivariate")
    @classmethod
    def _pairs(cls, v: list[list[str]]) -> list[list[str]]:
        bad = [p for p in v if len(p) != 2 or p[0] == p[1]]
        if bad:
            raise ValueError(f"statistics.bivariate needs pairs of two different variables [x, y]; {bad} given")
        return v


class Regions(_Strict):
    """Regionalisation (optional): contiguous, homogeneous regions of at least ``min_population`` people each,
    on the run's island-aware weights; published as the ``regions`` layer (see spatial_poverty.stats.regions)."""

    method: Literal["maxp", "skater"] = "maxp"
    variables: list[str] = Field(min_length=1)
    min_population: int = Field(ge=0)
    n_regions: int | None = Field(default=None, ge=2, description="SKATER's number of regions")
    population: Literal["pop_2021", "pop_2011"] = "pop_2021"

    @model_validator(mode="after")
    def _skater_needs_n(self) -> Regions:
        if self.method == "skater" and self.n_regions is None:
            raise ValueError("regions with method 'skater' need n_regions")
        return self


class TravelOptions(_Strict):
    """Travel-time parameters (see :class:`spatial_poverty.access.travel.TravelParams` and ``docs/access.md``)."""

    detour_factor: float = Field(default=1.3, ge=1, le=3)
    land_speed_kmh: float = Field(default=40.0, gt=0, le=130)
    ship_speed_knots: float = Field(default=15.0, gt=0, le=50)
    port_dwell_min: float = Field(default=30.0, ge=0, le=600)
    default_headway_h: float = Field(default=24.0, gt=0, le=24 * 14)
    season: Literal["winter", "summer"] = "winter"
    max_port_snap_km: float = Field(
        default=10.0, ge=0, le=100, description="a port farther from the sea-route network is not used"
    )


class AccessOptions(_Strict):
    """Access to social services (``docs/services_registry.md``): registry, types, thresholds, travel.

    Without ``registry`` the OpenStreetMap points of ``sources.osm_points`` stand in (labelled as such, ODbL).
    ``ferry_links`` is a CSV ``port_a,port_b,sailings_per_week[,season]`` (relative to the YAML file); without it
    every crossing waits half of ``travel.default_headway_h``.
    """

    registry: Path | None = None
    registry_encoding: Literal["utf-8-sig", "utf-8", "cp1253", "iso-8859-7"] = "utf-8-sig"
    registry_sheet: str | int = Field(default=0, description="XLSX sheet name or position (0 = the first)")
    service_types: list[str] | None = Field(default=None, description="types measured; all found by default")
    thresholds_min: list[int] = Field(default_factory=lambda: [15, 30, 60])
    catchment_min: float = Field(
        default=30.0, gt=0, le=24 * 60, description="E2SFCA catchment: Luo & Qi's 10/20/30-minute steps scaled to it"
    )
    duplicate_m: float = Field(default=100.0, ge=0, le=5000)
    travel: TravelOptions = Field(default_factory=TravelOptions)
    ferry_links: Path | None = None

    @field_validator("service_types")
    @classmethod
    def _known_types(cls, v: list[str] | None) -> list[str] | None:
        from spatial_poverty.services.vocabulary import SERVICE_TYPES

        if v is None:
            return v
        bad = [t for t in v if t not in SERVICE_TYPES]
        if bad:
            raise ValueError(f"unknown service type(s) {bad}; allowed: {', '.join(SERVICE_TYPES)}")
        return v

    @field_validator("thresholds_min")
    @classmethod
    def _thresholds(cls, v: list[float]) -> list[float]:
        from spatial_poverty.services.vocabulary import ACCESS_THRESHOLDS

        if not v or sorted(set(v)) != list(v) or any(t not in ACCESS_THRESHOLDS for t in v):
            raise ValueError(
                f"thresholds_min needs to be increasing minutes among {list(ACCESS_THRESHOLDS)}; {v} was given instead"
            )
        return v


class MapOptions(_Strict):
    """The interactive map."""

    simplify_m: float = Field(default=100.0, ge=0, le=5000)


class CacheOptions(_Strict):
    """The cache of stage products under ``data/interim/cache`` (``run --no-cache`` recomputes every stage)."""

    max_size_mb: int = Field(default=2048, ge=0, description="least recently used entries are removed above it")


class ExportOptions(_Strict):
    """The delivered files: release date stamped in them, the GeoPackage's CRS, other forms."""

    #: Stamped as the GeoPackage's change date and the metadata date. Never the clock, so that identical runs
    #: give identical files; unset: $SOURCE_DATE_EPOCH, else 1970-01-01.
    release_date: dt.date | None = None
    crs: Literal["EPSG:2100", "EPSG:4326", "EPSG:3035"] = "EPSG:2100"
    #: Other forms of the same layers: CSV and XLSX with Greek headers, GeoJSON in EPSG:4326.
    formats: list[Literal["csv", "xlsx", "geojson"]] = Field(default_factory=list)


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
    # A composite index with its uncertainty (optional): see spatial_poverty.indices and docs/indices.md.
    index: IndexSpec | None = None
    regions: Regions | None = None
    export: ExportOptions = Field(default_factory=ExportOptions)
    report: ReportOptions = Field(default_factory=ReportOptions)
    # Access to social services (optional): layers services, settlement_access, municipal_access.
    access: AccessOptions | None = None
    # Rates, disclosure control and statistics over time of the registers of sources.registers.
    registers: RegisterAnalysis = Field(default_factory=RegisterAnalysis)
    # The share of people at risk of poverty or social exclusion per municipality and group (small-area
    # estimation on a survey): layer poverty_sae; see spatial_poverty.sae.spec and docs/sae.md.
    sae: SaeSpec | None = None
    cache: CacheOptions = Field(default_factory=CacheOptions)

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
    def _variables_are_made(self) -> PipelineConfig:
        check_variables(self)
        if self.regions is not None and (bad := [v for v in self.regions.variables if v not in self.indicators]):
            raise ValueError(f"regions.variables {bad} are not in indicators {self.indicators}")
        return self

    @model_validator(mode="after")
    def _access_sources(self) -> PipelineConfig:
        if self.access is None:
            return self
        need = ("settlements_2021", "communities_2021", "osm_points", "marnet_nodes", "marnet_edges")
        missing = [k for k in need if not getattr(self.sources, k)]
        if missing:
            raise ValueError(f"the access section needs sources {list(need)}; missing {missing}")
        return self

    @model_validator(mode="after")
    def _register_sources(self) -> PipelineConfig:
        if self.sources.registers and (missing := [k for k in HARMONISE_SOURCES if not getattr(self.sources, k)]):
            raise ValueError(
                f"sources.registers needs the crosswalk of the national table (sources {list(HARMONISE_SOURCES)}); "
                f"missing {missing}"
            )
        return self

    @model_serializer(mode="wrap")
    def _without_absent_sae(self, handler: Any) -> Any:
        """Without an ``sae:`` section the configuration dumps (and hashes) as it did before the section existed."""
        out = handler(self)
        if isinstance(out, dict) and out.get("sae", 0) is None:
            out.pop("sae")
        return out

    @model_validator(mode="after")
    def _sae_inputs(self) -> PipelineConfig:
        if self.sae is None or not self.sae.enabled:
            return self
        check_sae(self)
        return self

    @property
    def sae_enabled(self) -> bool:
        """Whether the run estimates AROPE per municipality (an ``sae:`` section that is switched on)."""
        return self.sae is not None and self.sae.enabled

    def resolve(self, p: Path) -> Path:
        """A configured path, resolved against the YAML file's folder (or the working directory)."""
        base = self.config_file.parent if self.config_file else Path.cwd()
        return (base / p).resolve()

    @property
    def output_dir(self) -> Path:
        return self.resolve(self.paths.processed) / self.name

    @property
    def interim_dir(self) -> Path:
        """The folder of intermediate products (the stage cache): ``paths.interim``, else beside ``processed``."""
        if self.paths.interim is not None:
            return self.resolve(self.paths.interim)
        return self.resolve(self.paths.processed).parent / "interim"

    @property
    def project_dir(self) -> Path:
        """The project the pipeline belongs to: the nearest folder above the YAML file that holds
        ``pyproject.toml`` or ``.git``, else the parent of the YAML file's folder (``<project>/pipelines/x.yaml``).
        """
        here = self.config_file.parent if self.config_file else Path.cwd().resolve()
        for folder in (here, *here.parents):
            if (folder / "pyproject.toml").is_file() or (folder / ".git").exists():
                return folder
        return here.parent


def check_source_ids(cfg: PipelineConfig, known: list[str], catalogue: Path) -> None:
    """Refuse source ids (``sources:``) that the data catalogue does not list, naming each key.

    Raises
    ------
    ConfigError
    """
    ids = {f"sources.{k}": v for k, v in cfg.sources.catalogue_ids().items()}
    if cfg.sae_enabled:
        ids["sae.survey"] = cfg.sae.survey  # type: ignore[union-attr]
    bad = [f"{k}: {v!r}" for k, v in ids.items() if v not in known]
    if bad:
        registers = any(b.startswith("sources.registers.") for b in bad)
        hint = (
            " A register file enters the catalogue with `spatial-poverty data import FILE --pipeline "
            f"{cfg.config_file} --register NAME` (synthetic ones: `spatial-poverty data synthetic-registers "
            f"{cfg.config_file}`)."
            if registers
            else ""
        )
        if any(b.startswith("sae.survey") for b in bad):
            hint += (
                f" A survey file enters the catalogue with `spatial-poverty data import-survey FILE --pipeline "
                f"{cfg.config_file}` (a synthetic one: `spatial-poverty data synthetic-survey {cfg.config_file}`)."
            )
        raise ConfigError(
            f"{cfg.config_file}: {len(bad)} source id(s) not in the data catalogue {catalogue}: {'; '.join(bad)}."
            f"{hint} The catalogue lists: {', '.join(known)}"
        )


#: Stages whose fields may be covariates of the small-area model (the index is compared with the estimate, so it
#: is not one of them).
SAE_COVARIATE_STAGES = ("indicators", "harmonise")


def check_sae(cfg: PipelineConfig) -> None:
    """Refuse covariates the run does not make, registers it does not declare, and 2011 codes without the
    crosswalk (raises ValueError, reported by pydantic as a configuration error)."""
    spec = cfg.sae
    assert spec is not None
    known = {k: v for k, v in available_variables(cfg).items() if v.stage in SAE_COVARIATE_STAGES}
    bad = [c for c in spec.table_covariates if c not in known]
    if bad:
        allowed = ", ".join(f"{n} ({v.stage})" for n, v in known.items())
        raise ValueError(
            f"sae.covariates {bad} are not made by this run; it makes: {allowed}, and register:<name> for a "
            f"declared register"
        )
    undeclared = [r for r in spec.register_covariates if r not in cfg.sources.registers]
    if undeclared:
        raise ValueError(
            f"sae.covariates name register(s) {undeclared} that sources.registers does not declare "
            f"(declared: {list(cfg.sources.registers) or 'none'})"
        )
    needs_crosswalk = spec.code_system == "elstat_2011" or bool(spec.table_covariates and set(spec.table_covariates)
                                                                 - {"pop_change_pct", "density"})  # fmt: skip
    if needs_crosswalk and (missing := [k for k in HARMONISE_SOURCES if not getattr(cfg.sources, k)]):
        raise ValueError(
            f"sae needs the national table (sources {list(HARMONISE_SOURCES)}) for 2011 codes or its covariates; "
            f"missing {missing}"
        )


def _check_output_inside_project(cfg: PipelineConfig) -> None:
    if cfg.paths.allow_outside_project or cfg.output_dir.is_relative_to(cfg.project_dir):
        return
    raise ConfigError(
        f"{cfg.config_file}: paths.processed puts the output at {cfg.output_dir}, outside the project "
        f"{cfg.project_dir}; a run replaces that folder, so set paths.allow_outside_project: true to publish there"
    )


def load_config(path: str | os.PathLike[str]) -> PipelineConfig:
    """Read and validate a pipeline YAML file.

    Raises
    ------
    ConfigError
        If the file is missing, is not YAML, or does not match the schema; the message lists every problem,
        with, for an unknown key, the keys allowed at that place. Also if the output folder lies outside the
        project (:attr:`PipelineConfig.project_dir`) and ``paths.allow_outside_project`` is not set.
    """
    cfg = load_yaml_model(
        Path(path),
        PipelineConfig,
        kind="pipeline file",
        what="the pipeline configuration",
        set_by_program=("config_file", "config_sha256"),
    )
    _check_output_inside_project(cfg)
    return cfg


#: Configuration sections that change how outputs look or where the cache is, not what the layers hold.
DISPLAY_SECTIONS = ("map", "report", "cache")


def data_config(cfg: PipelineConfig) -> dict[str, Any]:
    """The configuration the layers rest on (every section but :data:`DISPLAY_SECTIONS`), as JSON values."""
    return cfg.model_dump(mode="json", exclude=set(DISPLAY_SECTIONS))


def data_config_sha256(cfg: PipelineConfig) -> str:
    """SHA-256 of :func:`data_config` as canonical JSON (sorted keys): stored in the GeoPackage's record."""
    text = json.dumps(data_config(cfg), sort_keys=True, ensure_ascii=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()
