"""AROPE per municipality and group for a run: the survey read and placed, the covariates gathered (each with
its year), the benchmark of each region chosen, every group estimated (:mod:`~spatial_poverty.sae.municipal`).
The Python API behind the pipeline's ``sae`` stage."""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from spatial_poverty.errors import ConfigError, StatisticsError
from spatial_poverty.sae.fh import Z95
from spatial_poverty.sae.municipal import GroupResult, estimate_group, regional_direct
from spatial_poverty.sae.survey import read_survey

if TYPE_CHECKING:
    from spatial_poverty.sae.spec import SaeSpec

__all__ = ["SaeRun", "benchmark_figures", "covariate_table", "covariate_year", "eurostat_arope", "run_sae"]

logger = logging.getLogger(__name__)

#: The year of a covariate of the run's table that does not say it in its name.
_YEARS = {"density": "2021", "pop_change_pct": "2011-2021"}


@dataclass(frozen=True)
class SaeRun:
    """Every group's estimates (``table``: the layer's rows, indexed by code), models and what they rest on."""

    table: pd.DataFrame
    groups: dict[str, GroupResult]
    covariates: dict[str, str]  # name -> its year (and source)
    unplaced: dict[str, int]
    respondents: int
    benchmark_source: dict[str, str]
    regional: dict[str, pd.DataFrame]  # group -> direct estimates per region (and "EL" with every region)

    def series(self, year: int) -> dict[str, pd.DataFrame]:
        """What targets follow (``sae:<group>``): ``geo, year, value, low, high`` in %: per region (and EL) the
        survey's direct estimate with its 95 % interval, per municipality the published estimate (suppressed
        ones left out)."""
        out = {}
        for g, reg in self.regional.items():
            half = Z95 * reg["se"]
            regions = pd.DataFrame({"geo": reg.index.astype(str), "value": reg["estimate"],
                                    "low": reg["estimate"] - half, "high": reg["estimate"] + half})  # fmt: skip
            rows = self.table[(self.table["group"] == g) & (self.table["quality"] != "suppress")]
            munis = pd.DataFrame({"geo": rows.index.astype(str), "value": rows["estimate"], "low": rows["ci_low"],
                                  "high": rows["ci_high"]})  # fmt: skip
            both = pd.concat([regions, munis], ignore_index=True)
            both[["value", "low", "high"]] = both[["value", "low", "high"]].astype(float) * 100
            out[f"sae:{g}"] = both.assign(year=year, flag="")[["geo", "year", "value", "low", "high", "flag"]]
        return out

    def record(self) -> dict[str, Any]:
        return {
            "groups": {g: r.model for g, r in self.groups.items()},
            "covariates": self.covariates,
            "unplaced_2011": self.unplaced,
            "respondents": self.respondents,
            "benchmark_source": self.benchmark_source,
        }


def covariate_year(name: str, registers: dict[str, pd.Series] | None = None) -> str:
    """The year (period) a covariate rests on: the census year in its name, or the register's latest period."""
    if name.startswith("register:"):
        s = (registers or {}).get(name.split(":", 1)[1])
        return str(s.attrs.get("period", "")) if s is not None else ""
    m = re.search(r"_(\d{4})(?:_[mf])?$", name)
    return m.group(1) if m else _YEARS.get(name, "")


def covariate_table(spec: SaeSpec, municipalities: pd.DataFrame, registers: dict[str, pd.Series]) -> pd.DataFrame:
    """The covariates of every municipality (register ones as ``register:<name>``).

    Raises
    ------
    StatisticsError
        A covariate missing for a municipality (named).
    """
    out = municipalities[spec.table_covariates].astype(float).copy()
    for name in spec.register_covariates:
        out[f"register:{name}"] = registers[name].reindex(municipalities.index).astype(float)
    missing = out.isna().any(axis=1)
    if missing.any():
        code = missing.index[missing][0]
        cols = [c for c in out.columns if pd.isna(out.at[code, c])]
        raise StatisticsError(
            f"sae.covariates: municipality {code} ({municipalities.at[code, 'name_el']}) has no value of {cols} "
            f"({int(missing.sum())} municipality(ies) lack one); choose covariates every municipality has"
        )
    return out


def eurostat_arope(path: Path | None, year: int, regions: list[str]) -> dict[str, float] | None:
    """Eurostat's AROPE (%) of each region for ``year`` as a share, when the file has all of them."""
    if path is None:
        return None
    from spatial_poverty.targets.series import read_eurostat_tsv

    t = read_eurostat_tsv(path, unit="PC")
    t = t[(t["year"] == year) & t["geo"].isin(regions)]
    if set(t["geo"]) != set(regions):
        return None
    return {str(g): float(v) / 100 for g, v in zip(t["geo"], t["value"], strict=True)}


def benchmark_figures(
    spec: SaeSpec, group: str, regional: pd.DataFrame, eurostat: dict[str, float] | None
) -> tuple[dict[str, float] | None, str]:
    """The benchmark of each region for ``group`` and where it comes from."""
    if spec.benchmark == "none":
        return None, "none"
    everyone = spec.groups[group].column is None
    if spec.benchmark in ("auto", "eurostat") and everyone and eurostat is not None:
        return eurostat, f"Eurostat ilc_peps11, AROPE {spec.year}, NUTS 2"
    if spec.benchmark == "eurostat" and everyone:
        raise ConfigError(
            f"sae.benchmark: eurostat, but the bundle's Eurostat AROPE has no figure for every region in {spec.year} "
            "(NUTS 2 exists for 2018-2020); use benchmark: auto or survey"
        )
    est = regional["estimate"].dropna()
    if est.empty:
        raise StatisticsError(f"group {group}: no regional direct estimate to benchmark to")
    return {str(k): float(v) for k, v in est.items()}, f"the survey's own regional direct estimate ({spec.year})"


def run_sae(
    spec: SaeSpec,
    *,
    survey_path: Path,
    survey_name: str,
    municipalities: pd.DataFrame,
    women: pd.Series,
    crosswalk: pd.DataFrame | None,
    registers: dict[str, pd.Series],
    eurostat_path: Path | None,
    spatial_weights: Any = None,
    seed: int,
) -> SaeRun:
    """Estimate every group of ``spec`` on ``municipalities`` (the run's table, indexed by 2021 code, with
    ``name_el``, ``pop_2021``, ``nuts2``)."""
    survey = read_survey(survey_path, spec, municipalities=municipalities.index, known_codes=women.index,
                         crosswalk=crosswalk, name=survey_name)  # fmt: skip
    if survey.outside:
        logger.info("sae: %d respondents outside the run's area stay in the design, in no domain", survey.outside)
    if survey.unplaced:
        logger.warning(
            "sae: %d respondents in 2011 municipalities divided in 2019 (%s) count in their region, not in a "
            "municipality",
            sum(survey.unplaced.values()),
            ", ".join(survey.unplaced),
        )
    region_of = municipalities["nuts2"].astype(str)
    areas = municipalities[["name_el", "pop_2021"]].copy()
    areas["female_2021"] = women.reindex(areas.index).astype(float)
    areas = areas.join(covariate_table(spec, municipalities, registers))
    eurostat = eurostat_arope(eurostat_path, spec.year, sorted(region_of.unique()))
    results: dict[str, GroupResult] = {}
    sources: dict[str, str] = {}
    regionals: dict[str, pd.DataFrame] = {}
    for i, (name, group) in enumerate(spec.groups.items()):
        regional = regional_direct(survey, spec, group, region_of)
        regionals[name] = regional
        if region_of.nunique() == 13:  # the whole country: its direct estimate too
            regionals[name] = pd.concat([regional, regional_direct(survey, spec, group, region_of.map(lambda _: "EL"))])
        figures, sources[name] = benchmark_figures(spec, name, regional, eurostat)
        results[name] = estimate_group(
            name, group, survey, spec, areas, region_of=region_of, benchmark=figures,
            benchmark_source=sources[name], spatial_weights=spatial_weights, seed=seed + 1009 * i,
        )  # fmt: skip
    table = pd.concat([r.table for r in results.values()])
    if not np.isfinite(table["direct_n"]).all():  # pragma: no cover - direct_n is a count
        raise StatisticsError("sae: a respondent count is missing")
    years = {c: covariate_year(c, registers) for c in spec.covariates}
    return SaeRun(table, results, years, survey.unplaced, len(survey.frame), sources, regionals)
