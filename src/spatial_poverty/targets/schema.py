"""The targets file of a region (``pipelines/targets/<region>.yaml``), checked against a schema.

A targets file lists the quantified targets of a Regional Strategy for Social Inclusion (ΠΕΣΚΕ) that the
observatory follows: for each, the indicator, the area (a NUTS code), the baseline year and value, the target
year and value, the direction, and where the baseline comes from. Unknown or misspelt keys are refused with their
name and the keys allowed at that place, as in the pipeline configuration.
"""

from __future__ import annotations

import os
import re
from collections.abc import Collection
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from spatial_poverty.errors import ConfigError
from spatial_poverty.ingest.regions import REGIONS
from spatial_poverty.validation import load_yaml_model

__all__ = [
    "Point",
    "Target",
    "TargetsFile",
    "check_run_series",
    "load_targets",
    "register_targets",
    "sae_targets",
    "target_sources",
]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Point(_Strict):
    """A value in a year."""

    year: int = Field(ge=1990, le=2100)
    value: float


class Target(_Strict):
    """One quantified target."""

    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    indicator: str
    area: str = Field(
        pattern=r"^(EL(\d|\d\d)?|\d{4})$",
        description="NUTS code: EL, a NUTS 1 (EL4) or NUTS 2 (EL42); a 2021 municipality code for sae:<group>",
    )
    label_el: str | None = None
    label_en: str | None = None
    baseline: Point
    target: Point
    direction: Literal["decrease", "increase"]
    source: str = Field(min_length=3, description="where the baseline value comes from")
    note: str | None = None

    @field_validator("indicator")
    @classmethod
    def _known_indicator(cls, v: str) -> str:
        from spatial_poverty.targets.series import INDICATORS, REGISTER_PREFIX, SAE_PREFIX

        if v.startswith(SAE_PREFIX) and re.fullmatch(r"[a-z][a-z0-9_]*", v[len(SAE_PREFIX) :]):
            return v
        if v.startswith(REGISTER_PREFIX) and re.fullmatch(r"[a-z][a-z0-9]*(?:_[a-z0-9]+)*", v[len(REGISTER_PREFIX) :]):
            return v
        if v not in INDICATORS:
            raise ValueError(
                f"unknown indicator {v!r}; allowed: {', '.join(INDICATORS)}, {REGISTER_PREFIX}<name> for a register "
                f"of the pipeline (sources.registers), or {SAE_PREFIX}<group> for its AROPE estimate (sae.groups)"
            )
        return v

    @model_validator(mode="after")
    def _consistent(self) -> Target:
        if self.area.isdigit() and not self.indicator.startswith("sae:"):
            raise ValueError(
                f"target {self.id!r}: a municipality ({self.area}) is an area only for the run's AROPE estimate "
                "(indicator sae:<group>)"
            )
        if self.target.year <= self.baseline.year:
            raise ValueError(
                f"target {self.id!r}: the target year needs to be after the baseline year; "
                f"{self.target.year} <= {self.baseline.year} was given"
            )
        if self.direction == "decrease" and not self.target.value < self.baseline.value:
            raise ValueError(
                f"target {self.id!r}: direction 'decrease' needs a target value below the baseline; "
                f"{self.target.value} >= {self.baseline.value} was given"
            )
        if self.direction == "increase" and not self.target.value > self.baseline.value:
            raise ValueError(
                f"target {self.id!r}: direction 'increase' needs a target value above the baseline; "
                f"{self.target.value} <= {self.baseline.value} was given"
            )
        return self


class TargetsFile(_Strict):
    """The targets of one region."""

    region: str
    title: str
    document: str | None = Field(default=None, description="the strategy the targets come from")
    targets: list[Target] = Field(min_length=1)

    # Set by load_targets (not part of the YAML).
    path: Path | None = Field(default=None, exclude=True)
    sha256: str | None = Field(default=None, exclude=True)

    @field_validator("region")
    @classmethod
    def _known_region(cls, v: str) -> str:
        if v not in REGIONS:
            raise ValueError(f"unknown NUTS 2 code {v!r}; Greek regions are {', '.join(sorted(REGIONS))}")
        return v

    @field_validator("targets")
    @classmethod
    def _unique_ids(cls, v: list[Target]) -> list[Target]:
        ids = [t.id for t in v]
        dup = sorted({i for i in ids if ids.count(i) > 1})
        if dup:
            raise ValueError(f"target ids need to be unique; {dup} appear more than once")
        return v


def load_targets(path: str | os.PathLike[str]) -> TargetsFile:
    """Read and validate a targets file.

    Raises
    ------
    ConfigError
        If the file is missing, not YAML, or does not match the schema; every problem is listed, an unknown key
        with the keys allowed at that place.
    """
    return load_yaml_model(
        Path(path), TargetsFile, kind="targets file", what="the targets file", set_by_program=("path", "sha256")
    )


def target_sources(targets: TargetsFile, catalogued: Collection[str] | None = None) -> list[str]:
    """The catalogue ids the targets' series are read from (sorted, unique).

    Raises
    ------
    ConfigError
        If ``catalogued`` (the data catalogue's ids) is given and lacks one of them.
    """
    from spatial_poverty.targets.series import indicator_for

    ids = set()
    for t in targets.targets:
        src = indicator_for(t.indicator).source_for(t.area)  # a register has none: the run makes its series
        if src is not None:
            ids.add(src[0])
    unknown = sorted(ids - set(catalogued)) if catalogued is not None else []
    if unknown:
        raise ConfigError(f"{targets.path}: the targets need inputs {unknown}, which the data catalogue does not list")
    return sorted(ids)


def register_targets(targets: TargetsFile, registers: Collection[str]) -> dict[str, str]:
    """Target id -> register name of the targets that follow a register of the run.

    Raises
    ------
    ConfigError
        If a target names a register that the pipeline does not declare (``sources.registers``).
    """
    from spatial_poverty.targets.series import REGISTER_PREFIX

    out = {
        t.id: t.indicator[len(REGISTER_PREFIX) :] for t in targets.targets if t.indicator.startswith(REGISTER_PREFIX)
    }
    unknown = {i: r for i, r in out.items() if r not in registers}
    if unknown:
        raise ConfigError(
            f"{targets.path}: target(s) {sorted(unknown)} follow register(s) {sorted(set(unknown.values()))}, "
            f"which the pipeline does not declare in sources.registers ({', '.join(registers) or 'none'})"
        )
    return out


def sae_targets(targets: TargetsFile, groups: Collection[str]) -> dict[str, str]:
    """Target id -> group of the targets that follow the run's AROPE estimate (``sae:<group>``).

    Raises
    ------
    ConfigError
        If a target names a group the run does not estimate (an ``sae:`` section switched on, ``sae.groups``).
    """
    from spatial_poverty.targets.series import SAE_PREFIX

    out = {t.id: t.indicator[len(SAE_PREFIX) :] for t in targets.targets if t.indicator.startswith(SAE_PREFIX)}
    unknown = {i: g for i, g in out.items() if g not in groups}
    if unknown:
        raise ConfigError(
            f"{targets.path}: target(s) {sorted(unknown)} follow the AROPE estimate of group(s) "
            f"{sorted(set(unknown.values()))}, which the pipeline does not estimate (sae.groups: "
            f"{', '.join(groups) or 'no sae: section switched on'})"
        )
    return out


def check_run_series(targets: TargetsFile, cfg: Any) -> None:
    """Every register and AROPE group a target follows is made by the run of ``cfg`` (a pipeline)."""
    register_targets(targets, cfg.sources.registers)
    sae_targets(targets, list(cfg.sae.groups) if cfg.sae_enabled else [])
