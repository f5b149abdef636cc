"""How a pipeline declares the observatory's registers (``sources.registers``) and how it analyses them
(``registers:``). Checked before any work, like the rest of the pipeline file; see ``docs/registers.md``.

A register is a file (or one file per period) of counts by municipality and period: recipients of the
Guaranteed Minimum Income (ΚΕΑ), child or housing benefit, registered unemployed (ΔΥΠΑ), or any other count.
Each file is a catalogue id: ``spatial-poverty data import FILE --kind ...`` checks a file and records it with its
SHA-256, so a scheduled run reads exactly what was checked.
"""

from __future__ import annotations

import re
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

__all__ = [
    "CODE_SYSTEMS",
    "DENOMINATORS",
    "ENCODINGS",
    "KINDS",
    "SYNTHETIC",
    "RegisterAnalysis",
    "RegisterColumns",
    "RegisterSource",
    "check_register_name",
    "check_registers",
]

#: What every output fed by demonstration data carries (file names, layer metadata, map and report titles).
SYNTHETIC = "SYNTHETIC - demonstration data"

#: The kinds of register, with what one count is (Greek, English).
KINDS: dict[str, tuple[str, str]] = {
    "benefit_recipients": ("δικαιούχοι (άτομα)", "benefit recipients (persons)"),
    "beneficiary_households": ("νοικοκυριά δικαιούχων", "beneficiary households"),
    "registered_unemployed": ("εγγεγραμμένοι άνεργοι", "registered unemployed"),
    "count": ("καταμέτρηση", "count"),
}

#: The code systems a register may use for its municipalities.
CODE_SYSTEMS: dict[str, str] = {
    "elstat_2021": "ELSTAT 2021 municipality code (4 digits): joined as it is",
    "elstat_2011": "ELSTAT 2011 (Kallikratis) code: brought to 2021 units through the crosswalk",
    "ypes_2011": "Ministry of Interior (ΥΠΕΣ) 2011 code: to ELSTAT 2011 and then through the crosswalk",
    "names": "municipality names (2021 or 2011 names, or the configured aliases): matched, every match reported",
}

#: Denominators the run has (field of the municipalities layer: its year and source). Households and age groups
#: need census tables that the data bundle does not hold.
DENOMINATORS: dict[str, tuple[str, str]] = {
    "pop_2021": ("2021", "ELSTAT, 2021 census, resident population"),
    "pop_2011": ("2011", "ELSTAT, 2011 census, resident population (on 2021 units, ELSTAT's re-aggregation)"),
}

ENCODINGS = ("utf-8-sig", "utf-8", "cp1253", "iso-8859-7")

_NAME = re.compile(r"^[a-z][a-z0-9]*(?:_[a-z0-9]+)*$")
_PERIOD = re.compile(r"^\d{4}(-(0[1-9]|1[0-2])|-Q[1-4])?$")


def check_register_name(name: str) -> str:
    """A register's name is part of its layer names (``register_<name>``, ``register_<name>_trend``)."""
    if not _NAME.match(name) or len(name) > 30:
        raise ValueError(f"register name {name!r} needs to be snake_case ASCII of at most 30 characters, like 'kea'")
    if name.endswith("_trend"):
        raise ValueError(f"register name {name!r} cannot end in '_trend' (that is the name of its trend layer)")
    return name


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class RegisterColumns(_Strict):
    """The file's column names (as written in its header; Greek headers are fine)."""

    code: str = Field(default="code", description="the municipality: code, or name when code_system is 'names'")
    period: str | None = Field(default="period", description="the period column; null with one file per period")
    count: str = Field(default="count", description="the count")


class RegisterSource(_Strict):
    """One register: its file(s), what it counts, how its municipalities are coded and what it is divided by."""

    title_el: str = Field(min_length=1)
    title_en: str = Field(min_length=1)
    kind: Literal["benefit_recipients", "beneficiary_households", "registered_unemployed", "count"]
    #: One catalogue id whose ``columns.period`` gives the period of each row ...
    source: str | None = None
    #: ... or one catalogue id per period (``"2024-06": kea_2024_06``), the files without a period column.
    per_period: dict[str, str] = Field(default_factory=dict)
    code_system: Literal["elstat_2021", "elstat_2011", "ypes_2011", "names"] = "elstat_2021"
    columns: RegisterColumns = Field(default_factory=RegisterColumns)
    #: Keep only rows where these columns hold these values (a file holding several benefits: ``{benefit: kea}``).
    select: dict[str, str] = Field(default_factory=dict)
    units: Literal["persons", "households"] = "persons"
    denominator: Literal["pop_2021", "pop_2011"] = "pop_2021"
    encoding: Literal["utf-8-sig", "utf-8", "cp1253", "iso-8859-7"] = "utf-8-sig"
    #: CSV delimiter (Greek-locale Excel writes ';').
    delimiter: Literal[";", ",", "\t"] = ";"
    #: Excel files: the sheet's name or position.
    sheet: str | int = 0
    #: ``names`` only: a name as written in the file -> ELSTAT 2021 code (for ambiguous or unusual names).
    aliases: dict[str, str] = Field(default_factory=dict)
    #: Demonstration data: every output this register feeds says "SYNTHETIC".
    synthetic: bool = False

    @model_validator(mode="after")
    def _consistent(self) -> RegisterSource:
        if (self.source is None) == (not self.per_period):
            raise ValueError("a register needs either source (one file with a period column) or per_period")
        bad = [p for p in self.per_period if not _PERIOD.match(p)]
        if bad:
            raise ValueError(f"per_period keys need to be periods YYYY, YYYY-MM or YYYY-Qn; {bad} were given")
        if self.source is not None and self.columns.period is None:
            raise ValueError("a register in one file needs columns.period (or give per_period)")
        if self.aliases and self.code_system != "names":
            raise ValueError("aliases are for registers coded by name (code_system: names)")
        bad = [c for c in self.aliases.values() if not re.fullmatch(r"\d{4}", str(c))]
        if bad:
            raise ValueError(f"aliases map a name to a 4-digit ELSTAT 2021 code; {bad} were given")
        if self.kind == "beneficiary_households" and self.units != "households":
            raise ValueError("kind 'beneficiary_households' counts households: set units: households")
        return self

    @property
    def source_ids(self) -> list[str]:
        """The catalogue ids of its files, in period order."""
        if self.source is not None:
            return [self.source]
        return [self.per_period[p] for p in sorted(self.per_period)]


class RegisterAnalysis(_Strict):
    """Rates, disclosure control and the statistics over time of every register (``registers:``)."""

    #: Statistical disclosure control: a published count below it is suppressed (count, rate and smoothed rate
    #: left empty in every table, layer and map; the models still use it).
    suppress_below: int = Field(default=5, ge=1, le=100)
    #: A rate resting on fewer events than this is flagged (``flag``: read with care).
    flag_below: int = Field(default=20, ge=1, le=1000)
    #: Emerging hot spots need this many periods (ArcGIS Pro asks for 10 time steps).
    min_periods_emerging: int = Field(default=10, ge=3, le=1000)
    #: LISA Markov needs this many periods.
    min_periods_markov: int = Field(default=3, ge=2, le=1000)
    permutations: int = Field(default=99, ge=99, le=9999)
    #: Significance of the Mann-Kendall trend class (after the run's correction across municipalities).
    trend_alpha: float = Field(default=0.05, gt=0, lt=1)


def check_registers(registers: dict[str, RegisterSource]) -> dict[str, RegisterSource]:
    """Register names valid, and no file declared twice."""
    for name in registers:
        check_register_name(name)
    seen: dict[str, str] = {}
    for name, reg in registers.items():
        for sid in reg.source_ids:
            if sid in seen and reg.source is not None and registers[seen[sid]].select == reg.select:
                raise ValueError(
                    f"registers {seen[sid]!r} and {name!r} read the same file {sid!r} with the same select"
                )
            seen.setdefault(sid, name)
    return registers
