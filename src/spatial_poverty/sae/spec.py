"""How a pipeline asks for the share of people at risk of poverty or social exclusion (AROPE) per municipality:
the ``sae:`` section. Checked before any work, like the rest of the pipeline file; see ``docs/sae.md``.

The survey is a catalogue id (``spatial-poverty data import-survey FILE`` checks a file and records it with its
SHA-256); its design columns, the outcome (a 0/1 AROPE column or Eurostat's three components), the domain column
and its code system, the groups (children, people 65+, women, ...), the covariates (the run's own indicator table
and registers), the model and the benchmark.
"""

from __future__ import annotations

import re
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

__all__ = [
    "BENCHMARKS",
    "GROUP_POPULATIONS",
    "SYNTHETIC",
    "GroupSpec",
    "Outcome",
    "SaeSpec",
    "SurveyColumns",
]

#: What every output fed by demonstration data carries (file names, layer metadata, map and report titles).
SYNTHETIC = "SYNTHETIC - demonstration data"

#: Where a group's population (the people an estimate stands for) comes from: its year and source.
GROUP_POPULATIONS: dict[str, tuple[str, str]] = {
    "pop_2021": ("2021", "ELSTAT, 2021 census, resident population"),
    "female_2021": ("2021", "ELSTAT, 2021 census, resident population, women"),
    "survey_share": ("survey", "ELSTAT 2021 census population x the group's share in the region (survey estimate)"),
}

#: The benchmark of each region's estimates (their population-weighted mean).
BENCHMARKS: dict[str, str] = {
    "auto": "Eurostat's regional AROPE (ilc_peps11) for the survey year when the bundle has it (group 'all'), "
    "else the survey's own regional direct estimate",
    "eurostat": "Eurostat's regional AROPE (ilc_peps11) for the survey year (group 'all' only; others: the survey)",
    "survey": "the survey's own regional direct estimate of each group",
    "none": "no benchmarking",
}

_NAME = re.compile(r"^[a-z][a-z0-9]*(?:_[a-z0-9]+)*$")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class SurveyColumns(_Strict):
    """The survey file's design columns (as written in its header)."""

    domain: str = Field(default="code", description="the municipality code of each respondent")
    weight: str = "weight"
    strata: str | None = None
    psu: str | None = None
    fpc: str | None = None
    replicate_prefix: str | None = Field(default=None, description="replicate weight columns start with this")
    replicate_method: Literal["jk1", "jkn", "brr", "bootstrap"] | None = None

    @model_validator(mode="after")
    def _replicates(self) -> SurveyColumns:
        if (self.replicate_prefix is None) != (self.replicate_method is None):
            raise ValueError("replicate_prefix and replicate_method go together")
        return self


class Outcome(_Strict):
    """A 0/1 AROPE column, or its three components combined as Eurostat defines AROPE (at risk of poverty OR
    severely materially and socially deprived OR in a household of very low work intensity)."""

    arope: str | None = Field(default=None, description="a 0/1 column: at risk of poverty or social exclusion")
    poverty: str | None = Field(default=None, description="0/1: at risk of poverty (below 60 % of the median)")
    deprivation: str | None = Field(default=None, description="0/1: severe material and social deprivation")
    work_intensity: str | None = Field(default=None, description="0/1: household of very low work intensity")

    @model_validator(mode="after")
    def _one_form(self) -> Outcome:
        parts = [self.poverty, self.deprivation, self.work_intensity]
        if self.arope is not None and any(p is not None for p in parts):
            raise ValueError("give either outcome.arope or its three components, not both")
        if self.arope is None and not all(p is not None for p in parts):
            raise ValueError("outcome needs arope, or all three of poverty, deprivation and work_intensity")
        return self

    @property
    def columns(self) -> list[str]:
        return [self.arope] if self.arope else [self.poverty, self.deprivation, self.work_intensity]  # type: ignore[list-item]


class GroupSpec(_Strict):
    """A group of people: everyone (no column), or the respondents whose ``column`` is in ``values`` or within
    [``min``, ``max``]."""

    title_el: str
    title_en: str
    column: str | None = None
    values: list[str] | None = None
    min: float | None = None
    max: float | None = None
    population: Literal["pop_2021", "female_2021", "survey_share"] = "survey_share"

    @model_validator(mode="after")
    def _filter(self) -> GroupSpec:
        has_range = self.min is not None or self.max is not None
        if self.column is None and (self.values is not None or has_range):
            raise ValueError("values/min/max need column")
        if self.column is not None and (self.values is None) == (not has_range):
            raise ValueError(f"group on column {self.column!r} needs values, or min and/or max (not both)")
        if self.column is None and self.population == "survey_share":
            raise ValueError("the group of everyone has the census population: population: pop_2021")
        return self


def _default_groups() -> dict[str, GroupSpec]:
    return {"all": GroupSpec(title_el="Σύνολο πληθυσμού", title_en="All persons", population="pop_2021")}


class SaeSpec(_Strict):
    """The ``sae:`` section of a pipeline."""

    enabled: bool = Field(default=True, description="false: declared but not run (until a survey is configured)")
    survey: str | None = Field(default=None, description="catalogue id of the survey file (CSV, one row a person)")
    year: int = Field(ge=2000, le=2100, description="the survey year (EU-SILC: the year of the survey)")
    title_el: str = "Ποσοστό σε κίνδυνο φτώχειας ή κοινωνικού αποκλεισμού (AROPE)"
    title_en: str = "People at risk of poverty or social exclusion (AROPE)"
    code_system: Literal["elstat_2021", "elstat_2011"] = "elstat_2021"
    columns: SurveyColumns = Field(default_factory=SurveyColumns)
    outcome: Outcome = Field(default_factory=lambda: Outcome(arope="arope"))
    groups: dict[str, GroupSpec] = Field(default_factory=_default_groups)
    covariates: list[str] = Field(min_length=1, description="fields of the run's table, or register:<name>")
    model: Literal["fh", "spatial_fh"] = "fh"
    method: Literal["reml", "ml"] = "reml"
    transform: Literal["arcsin", "none"] = "arcsin"
    bootstrap: int = Field(default=200, ge=20, le=5000, description="replicates of the parametric bootstrap MSE")
    benchmark: Literal["auto", "eurostat", "survey", "none"] = "auto"
    benchmark_method: Literal["ratio", "difference"] = "ratio"
    quality: Literal["eu", "statcan"] = "eu"
    min_respondents: int = Field(default=2, ge=1, description="fewer in a municipality: out of sample")
    synthetic: bool = Field(default=False, description="a SYNTHETIC survey: every output it feeds says so")

    @field_validator("groups")
    @classmethod
    def _group_names(cls, v: dict[str, GroupSpec]) -> dict[str, GroupSpec]:
        if not v:
            raise ValueError("sae.groups needs at least one group")
        bad = [k for k in v if not _NAME.match(k) or len(k) > 20]
        if bad:
            raise ValueError(f"group names {bad} need to be snake_case ASCII of at most 20 characters")
        return v

    @model_validator(mode="after")
    def _survey_when_enabled(self) -> SaeSpec:
        if self.enabled and not self.survey:
            raise ValueError("sae.survey (a catalogue id) is needed when sae.enabled is true")
        return self

    @property
    def register_covariates(self) -> list[str]:
        """The registers the covariates name (``register:<name>``)."""
        return [c.split(":", 1)[1] for c in self.covariates if c.startswith("register:")]

    @property
    def table_covariates(self) -> list[str]:
        return [c for c in self.covariates if not c.startswith("register:")]
