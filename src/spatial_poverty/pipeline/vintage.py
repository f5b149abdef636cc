"""What each published number rests on: the reference year(s) and sources of every variable of a run.

One record per variable (:class:`Vintage`), built from the run's own provenance: the ``field_provenance`` of the
harmonised fields (with the year each rests on), the population
and boundaries of the run, the index recipe (the union of its inputs) and the access stage's sources (the
services extract and the settlements). The maps' legends and source lines, the layers' metadata, the tables'
headers and the report read these records; nothing else says a year.

The **recipe** of an index (:func:`index_recipe`) gives each input with its year, nominal weight and effective
weight, and the share of the index's weight that rests on data older than :data:`OLD_DATA_YEARS` at the run's
reference date: more than half, and the report opens with a warning.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from spatial_poverty.formatting import years_text

__all__ = [
    "OLD_DATA_YEARS",
    "Vintage",
    "index_recipe",
    "layer_notes",
    "pipeline_vintages",
    "run_vintages",
    "source_line",
    "vintage_manifest",
]

#: Data older than this many years at the run's reference date are "old" for the index warning.
OLD_DATA_YEARS = 10
_YEAR = re.compile(r"(?<![0-9])(19[5-9][0-9]|20[0-9]{2})(?![0-9])")
_PREFIXES = ("Πηγή: ", "Source: ", "Data: ", "Sources: ")


def _catalogue_years(text: str | None) -> tuple[int, ...]:
    return tuple(sorted({int(y) for y in _YEAR.findall(text or "")}))


@dataclass(frozen=True)
class Vintage:
    """The reference years and sources (catalogue ids) of one variable."""

    years: tuple[int, ...]
    sources: tuple[str, ...]

    @property
    def oldest(self) -> int | None:
        return min(self.years) if self.years else None

    def to_dict(self) -> dict[str, Any]:
        return {"years": list(self.years), "sources": list(self.sources)}


def _merge(vintages: Iterable[Vintage]) -> Vintage:
    vs = list(vintages)
    return Vintage(
        tuple(sorted({y for v in vs for y in v.years})), tuple(dict.fromkeys(s for v in vs for s in v.sources))
    )


def run_vintages(
    *,
    population: Any,
    boundaries: Any,
    provenance: Mapping[str, Mapping[str, str]],
    index_inputs: Iterable[str] = (),
    index_name: str | None = None,
    index_domains: Iterable[str] = (),
    access: Mapping[str, Any] | None = None,
    access_sources: Iterable[Any] = (),
) -> dict[str, Vintage]:
    """The :class:`Vintage` of every variable a run publishes.

    Parameters
    ----------
    population, boundaries : catalogue Source
        The run's population table (years 2011, 2021) and boundaries.
    provenance : mapping
        ``field -> {"source": id, "data_year": ...}`` of the harmonised fields (``field_provenance``).
    index_inputs, index_name, index_domains : optional
        The index's input columns, its name and its domains (the index and each domain rest on all its inputs).
    access : mapping, optional
        The access stage's measures (``e2sfca``, ``nearest_min_mean``, ...) -> None; with ``access_sources`` the
        catalogue Sources they rest on (services, settlements, sea routes).
    """
    pop_years = tuple(y for y in _catalogue_years(population.year) if y >= 2011) or (2021,)
    out: dict[str, Vintage] = {
        "pop_2011": Vintage((2011,), (population.id,)),
        "pop_2021": Vintage((2021,), (population.id,)),
        "pop_change_pct": Vintage(pop_years, (population.id,)),
        "density": Vintage((max(pop_years),), (population.id, boundaries.id)),
        "area_km2": Vintage(_catalogue_years(boundaries.year), (boundaries.id,)),
    }
    for col, prov in provenance.items():
        if col in out:
            continue
        year = prov.get("data_year")
        years = _catalogue_years(str(year)) if year not in (None, "") else ()
        out[col] = Vintage(years, (str(prov.get("source", "")),))
    inputs = [out[c] for c in index_inputs if c in out]
    if index_name and inputs:
        merged = _merge(inputs)
        out[index_name] = merged
        for d in index_domains:
            out[f"{index_name}_{d}"] = merged
    if access:
        sources = list(access_sources)
        # The services extract dates an access measure; the settlements and the sea routes are its geography.
        merged = Vintage(
            tuple(sorted({y for s in sources[:2] for y in _catalogue_years(s.year)[-1:]})),
            tuple(s.id for s in sources),
        )
        for name in access:
            out[name] = merged
    return out


def source_line(vintage: Vintage | None, catalogue: Any, *, lang: str = "el", boundaries: Any | None = None) -> str:
    """A figure's source line: the variable's own sources with its years, then the boundaries."""
    parts = []
    if vintage is not None and vintage.sources:
        attrs = "; ".join(dict.fromkeys(_attribution(catalogue[s]) for s in vintage.sources if s in _ids(catalogue)))
        head = "Δεδομένα" if lang == "el" else "Data"
        parts.append(f"{head} {years_text(vintage.years)}: {attrs}")
    if boundaries is not None:
        head = "Όρια δήμων" if lang == "el" else "Boundaries"
        parts.append(f"{head} {years_text(_catalogue_years(boundaries.year))}: {_attribution(boundaries)}")
    return " · ".join(parts)


def _ids(catalogue: Any) -> set[str]:
    return {s.id for s in catalogue.sources}


def _attribution(source: Any) -> str:
    text = str(source.attribution)
    for p in _PREFIXES:
        text = text.removeprefix(p)
    return text


def index_recipe(
    report: Mapping[str, Any],
    vintages: Mapping[str, Vintage],
    *,
    reference_year: int,
    labels: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """Each input of an index with its year(s), sources, nominal and effective weight, and the share of the
    index's weight on data older than :data:`OLD_DATA_YEARS` at ``reference_year``.

    ``report`` is the index stage's report (``inputs``: column, nominal_weight, effective_weight). The share is
    computed on both weights; ``warning`` is true when either exceeds one half.
    """
    rows = []
    old = {"nominal": 0.0, "effective": 0.0}
    for item in report.get("inputs", []):
        col = item["column"]
        v = vintages.get(col, Vintage((), ()))
        is_old = v.oldest is not None and reference_year - v.oldest > OLD_DATA_YEARS
        rows.append(
            {
                "column": col,
                "label": (labels or {}).get(col, col),
                "years": list(v.years),
                "sources": list(v.sources),
                "nominal_weight": item["nominal_weight"],
                "effective_weight": item["effective_weight"],
                "old": is_old,
            }
        )
        if is_old:
            old["nominal"] += float(item["nominal_weight"])
            old["effective"] += float(item["effective_weight"])
    return {
        "reference_year": reference_year,
        "old_after_years": OLD_DATA_YEARS,
        "inputs": rows,
        "old_share_nominal": round(old["nominal"], 4),
        "old_share_effective": round(old["effective"], 4),
        "warning": max(old.values()) > 0.5,
    }


def pipeline_vintages(cfg: Any, catalogue: Any, provenance: Mapping[str, Mapping[str, str]]) -> dict[str, Vintage]:
    """:func:`run_vintages` for a pipeline as configured (its sources, index recipe and access stage)."""
    from spatial_poverty.pipeline.variables import available_variables

    known = available_variables(cfg)
    access_sources = []
    if cfg.access is not None:
        services = None if cfg.access.registry is not None else cfg.sources.osm_points
        ids = [services, cfg.sources.settlements_2021, cfg.sources.marnet_edges]
        access_sources = [catalogue[i] for i in ids if i]
    index = cfg.index
    return run_vintages(
        population=catalogue[cfg.sources.population],
        boundaries=catalogue[cfg.sources.boundaries],
        provenance=provenance,
        index_inputs=[i.column for i in index.indicators] if index is not None else (),
        index_name=index.name if index is not None else None,
        index_domains=dict.fromkeys(i.domain for i in index.indicators if i.domain) if index is not None else (),
        access={n: None for n, v in known.items() if v.stage == "access"},
        access_sources=access_sources,
    )


def vintage_manifest(
    vintages: Mapping[str, Vintage], catalogue: Any, boundaries: Any, pairs: Iterable[tuple[str, str]] = ()
) -> dict[str, dict[str, Any]]:
    """The manifest's ``vintage`` section: per variable (and ``x_vs_y`` pair) its years, sources and the source
    line of its figures in Greek and English."""
    table = dict(vintages)
    for x, y in pairs:
        if x in table and y in table:
            table[f"{x}_vs_{y}"] = _merge([table[x], table[y]])
    return {
        name: {
            **v.to_dict(),
            "line_el": source_line(v, catalogue, lang="el", boundaries=boundaries),
            "line_en": source_line(v, catalogue, lang="en", boundaries=boundaries),
        }
        for name, v in table.items()
    }


def layer_notes(
    layers: Iterable[str], vintage: Mapping[str, Mapping[str, Any]], *, index_name: str | None
) -> dict[str, str]:
    """Each published layer's description: the years and sources of the variable it carries (``lisa_<var>``,
    ``gistar_<var>``, ``local_geary_<var>``, ``bilisa_<x>_vs_<y>``, the index, the access layers); the
    ``municipalities`` layer points to ``field_provenance`` for the year of each field."""
    notes = {}
    access = vintage.get("e2sfca")
    for layer in layers:
        var = None
        for prefix in ("lisa_", "gistar_", "local_geary_", "bilisa_"):
            if layer.startswith(prefix):
                var = layer[len(prefix) :]
        if layer == index_name:
            var = layer
        v = vintage.get(var) if var else None
        if layer in ("services", "settlement_access", "municipal_access") and access:
            v = access
        if v is not None:
            notes[layer] = f"{v['line_el']} | {v['line_en']}"
        elif layer == "municipalities":
            years = years_text({y for item in vintage.values() for y in item.get("years", [])})
            notes[layer] = (
                f"Δεδομένα {years}· το έτος και η πηγή κάθε πεδίου στον πίνακα field_provenance | Data {years}; the "
                "year and source of every field in the field_provenance table"
            )
    return notes
