"""The declarative index specification: the ``index:`` section of a pipeline YAML, or a recipe file.

Every key is checked before any work; unknown keys are refused with the allowed ones (as in the pipeline
schema). A spec may start from a shipped recipe (``recipe: townsend``) and override any of its top-level keys.
"""

from __future__ import annotations

import re
from importlib import resources
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

__all__ = [
    "RECIPES",
    "AggregationSpec",
    "IndexSpec",
    "IndicatorSpec",
    "MissingSpec",
    "NormalisationSpec",
    "OutlierSpec",
    "UncertaintySpec",
    "WeightingSpec",
    "load_recipe",
]

#: Recipes shipped with the package (``src/spatial_poverty/indices/recipes/<name>.yaml``).
RECIPES: tuple[str, ...] = ("townsend", "imd", "sovi")

_NAME = re.compile(r"^[a-z][a-z0-9_]*$")

Normalisation = Literal["minmax", "zscore", "rank", "percentile_rank", "goalposts", "distance_to_reference", "ampi"]
Aggregation = Literal["arithmetic", "geometric", "mazziotta_pareto", "imd_exponential", "pca_scores"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class IndicatorSpec(_Strict):
    """One indicator: a numeric column of the municipality frame.

    ``direction`` is +1 when a higher value means more deprivation (unemployment) and -1 when it means less
    (income). ``transform`` is applied before outlier treatment (Townsend's ``log1p`` of unemployment).
    ``se_column`` names a column with each value's standard error, used by the Monte Carlo.
    """

    column: str
    direction: Literal[1, -1] = 1
    domain: str = "index"
    weight: float = Field(default=1.0, gt=0)
    label_el: str | None = None
    transform: Literal["none", "log", "log1p"] = "none"
    se_column: str | None = None
    goalposts: tuple[float, float] | None = None

    @field_validator("domain")
    @classmethod
    def _domain_name(cls, v: str) -> str:
        if not _NAME.match(v):
            raise ValueError(f"a domain name needs to be snake_case ASCII such as 'income'; {v!r} was given")
        return v

    @field_validator("goalposts")
    @classmethod
    def _ordered(cls, v: tuple[float, float] | None) -> tuple[float, float] | None:
        if v is not None and not v[0] < v[1]:
            raise ValueError(f"goalposts need to be [lower, upper] with lower < upper; {list(v)} was given")
        return v


class OutlierSpec(_Strict):
    """Outlier treatment; ``jrc`` is the JRC/COINr rule (see :func:`~spatial_poverty.indices.jrc_outliers`)."""

    method: Literal["none", "jrc"] = "none"
    winmax: int = Field(default=5, ge=0, le=100)
    skew_threshold: float = Field(default=2.0, gt=0)
    kurtosis_threshold: float = Field(default=3.5, gt=0)
    require_both: bool = False


class NormalisationSpec(_Strict):
    """How indicators are put on a common scale (see :mod:`spatial_poverty.indices.methods`)."""

    method: Normalisation = "zscore"
    range: tuple[float, float] = (0.0, 100.0)
    reference: str | None = None
    reference_mode: Literal["ratio", "difference"] = "ratio"

    @model_validator(mode="after")
    def _reference(self) -> NormalisationSpec:
        if self.method == "distance_to_reference" and self.reference is None:
            raise ValueError("distance_to_reference needs 'reference': the 4-digit code of the reference unit")
        if not self.range[0] < self.range[1]:
            raise ValueError(f"range needs to be [lower, upper] with lower < upper; {list(self.range)} was given")
        return self


class WeightingSpec(_Strict):
    """Indicator weights within domains, and domain weights across them."""

    method: Literal["equal", "user", "pca", "fa"] = "equal"
    domain_weights: dict[str, float] = Field(default_factory=dict)
    eigenvalue_min: float = Field(default=1.0, ge=0)
    variance_min: float = Field(default=0.6, gt=0, le=1)

    @field_validator("domain_weights")
    @classmethod
    def _positive(cls, v: dict[str, float]) -> dict[str, float]:
        bad = {k: w for k, w in v.items() if not w > 0}
        if bad:
            raise ValueError(f"domain weights need to be > 0; {bad} were given")
        return v


class AggregationSpec(_Strict):
    """Indicators to domain scores (``within_domains``), domain scores to the index (``across_domains``)."""

    within_domains: Literal["arithmetic", "geometric", "mazziotta_pareto"] = "arithmetic"
    across_domains: Aggregation = "arithmetic"
    penalty: Literal[1, -1] = 1


class MissingSpec(_Strict):
    """Missing values: refused by default; imputed (and flagged per value) only when asked."""

    policy: Literal["raise", "impute"] = "raise"
    method: Literal["mean", "median"] = "median"


class UncertaintySpec(_Strict):
    """Monte Carlo over the modeller's choices (Saisana, Saltelli & Tarantola 2005)."""

    runs: int = Field(default=500, ge=0, le=100000)
    weight_noise: float = Field(default=0.25, ge=0, lt=1)
    normalisations: list[Normalisation] = Field(default_factory=list)
    aggregations: list[Aggregation] = Field(default_factory=list)
    indicator_se: bool = True
    sensitivity: bool = True
    #: A unit is flagged ``unreliable`` when its 90 % rank band (p95 - p05) spans more than this share of the
    #: units (0.2: the rank could move by more than two deciles), or when one of its indicators was imputed.
    unreliable_band: float = Field(default=0.2, gt=0, le=1)


class IndexSpec(_Strict):
    """A composite index: indicators, treatment, normalisation, weights, aggregation, missing data, uncertainty."""

    name: str = Field(default="deprivation_index", pattern=r"^[a-z][a-z0-9_]*$")
    title_el: str | None = None
    indicators: list[IndicatorSpec] = Field(min_length=1)
    outliers: OutlierSpec = Field(default_factory=OutlierSpec)
    normalisation: NormalisationSpec = Field(default_factory=NormalisationSpec)
    weighting: WeightingSpec = Field(default_factory=WeightingSpec)
    aggregation: AggregationSpec = Field(default_factory=AggregationSpec)
    missing: MissingSpec = Field(default_factory=MissingSpec)
    uncertainty: UncertaintySpec = Field(default_factory=UncertaintySpec)
    domain_labels_el: dict[str, str] = Field(default_factory=dict)
    recipe: str | None = None

    @model_validator(mode="before")
    @classmethod
    def _from_recipe(cls, data: Any) -> Any:
        if isinstance(data, dict) and data.get("recipe") is not None:
            name = data["recipe"]
            if name not in RECIPES:
                raise ValueError(f"unknown recipe {name!r}; shipped recipes are {', '.join(RECIPES)}")
            merged = dict(_recipe_data(name))
            merged.update(data)
            return merged
        return data

    @field_validator("name")
    @classmethod
    def _layer_name(cls, v: str) -> str:
        if v == "municipalities" or v.startswith("lisa_"):
            raise ValueError(f"the index name becomes a layer name; {v!r} is taken by another layer")
        return v

    @model_validator(mode="after")
    def _consistent(self) -> IndexSpec:
        cols = [i.column for i in self.indicators]
        twice = sorted({c for c in cols if cols.count(c) > 1})
        if twice:
            raise ValueError(f"indicator column(s) {twice} are listed twice")
        domains = self.domains
        unknown = sorted(set(self.weighting.domain_weights) - set(domains))
        if unknown:
            raise ValueError(f"weighting.domain_weights names domain(s) {unknown}; the domains are {domains}")
        if self.aggregation.across_domains == "pca_scores" and len(domains) != 1:
            raise ValueError("across_domains 'pca_scores' combines indicators directly: put them in one domain")
        if self.weighting.method in ("pca", "fa") and len(self.indicators) < 3:
            raise ValueError(f"weighting {self.weighting.method!r} needs at least 3 indicators")
        if "goalposts" in self.normalisations:
            bare = [i.column for i in self.indicators if i.goalposts is None]
            if bare:
                raise ValueError(f"goalposts normalisation needs goalposts [lower, upper] on indicator(s) {bare}")
        aggs = {self.aggregation.within_domains, self.aggregation.across_domains, *self.uncertainty.aggregations}
        needs_positive = sorted(aggs & {"geometric", "mazziotta_pareto"})
        if needs_positive:
            bad = [n for n in self.normalisations if not self._positive(n)]
            if bad:
                raise ValueError(
                    f"aggregation {needs_positive} needs positive normalised values, which normalisation {bad} "
                    "does not give: use rank, ampi, or minmax/goalposts with a range starting above 0"
                )
        return self

    def _positive(self, method: str) -> bool:
        n = self.normalisation
        if method in ("minmax", "goalposts"):
            return n.range[0] > 0
        if method == "distance_to_reference":
            return n.reference_mode == "ratio"
        return method in ("rank", "ampi")

    @property
    def normalisations(self) -> list[str]:
        """The nominal normalisation and the Monte Carlo alternatives."""
        return list(dict.fromkeys([self.normalisation.method, *self.uncertainty.normalisations]))

    @property
    def domains(self) -> list[str]:
        """Domain names in order of first appearance."""
        return list(dict.fromkeys(i.domain for i in self.indicators))

    @property
    def columns(self) -> list[str]:
        return [i.column for i in self.indicators]


def _recipe_data(name: str) -> dict[str, Any]:
    text = resources.files("spatial_poverty.indices").joinpath("recipes", f"{name}.yaml").read_text("utf-8")
    data = yaml.safe_load(text)
    if not isinstance(data, dict):
        raise ValueError(f"recipe {name!r} is not a mapping")
    return data


def load_recipe(name: str, **overrides: Any) -> IndexSpec:
    """A shipped recipe as an :class:`IndexSpec`, with top-level keys optionally replaced.

    Examples
    --------
    >>> load_recipe("townsend").columns
    ['unemp_2001', 'income_2001', 'primary_2001']
    """
    return IndexSpec.model_validate({"recipe": name, **overrides})
