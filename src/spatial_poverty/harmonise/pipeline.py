"""The harmonisation stage of a pipeline run: the national table's extra fields, the crosswalk layer and the
data-quality report. The runner calls :func:`harmonise_run` once; everything else lives here.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd

from spatial_poverty.harmonise.crosswalk import ATHOS, build_crosswalk
from spatial_poverty.harmonise.national import census_fields, lctools_fields
from spatial_poverty.harmonise.quality import QualityReport
from spatial_poverty.ingest.catalogue import Catalogue
from spatial_poverty.ingest.elstat2011 import read_census_2011, read_urban_2011
from spatial_poverty.ingest.elstat2021 import read_communities_2021, read_population
from spatial_poverty.ingest.geodata2011 import read_kallikratis_boundaries
from spatial_poverty.ingest.lctools import read_lctools_2001
from spatial_poverty.pipeline.config import CONTEXT_SOURCES, HARMONISE_SOURCES

__all__ = ["Harmonised", "harmonise_run"]

logger = logging.getLogger(__name__)


@dataclass
class Harmonised:
    """What the stage adds to a run."""

    municipalities: gpd.GeoDataFrame
    layers: dict[str, pd.DataFrame] = field(default_factory=dict)
    provenance: dict[str, dict[str, str]] = field(default_factory=dict)
    quality: QualityReport = field(default_factory=QualityReport)

    def manifest(self) -> dict[str, Any]:
        return {"fields": self.provenance, "quality": self.quality.to_dict()}


def harmonise_run(
    sources: Any,
    catalogue: Catalogue,
    raw: Path,
    municipalities: gpd.GeoDataFrame,
    boundaries: gpd.GeoDataFrame,
    population: pd.DataFrame,
) -> Harmonised:
    """Add the national fields to ``municipalities`` (when configured) and report on data quality.

    Parameters
    ----------
    sources : pipeline ``Sources``
        Catalogue ids; the stage adds fields only when all of :data:`HARMONISE_SOURCES` are set.
    catalogue, raw
        The data catalogue and the folder of verified raw files.
    municipalities : geopandas.GeoDataFrame
        The run's layer (2021 codes); not changed.
    boundaries, population
        The 2021 sources as read (Mount Athos included), for the report.
    """
    q = QualityReport()
    b_src, p_src = catalogue[sources.boundaries], catalogue[sources.population]
    q.add(
        b_src.path,
        "boundaries joined to population on the ELSTAT 2021 code",
        rows_read=len(boundaries),
        matched=int(boundaries.index.isin(population.index).sum()),
        unmatched=[f"{c} excluded: Mount Athos, not a municipality" for c in boundaries.index if c == ATHOS],
    )
    q.add(
        p_src.path,
        "population rows (level 5) joined to boundaries",
        rows_read=len(population),
        matched=int(population.index.isin(boundaries.index).sum()),
        unmatched=[f"{c} excluded: Mount Athos" for c in population.index if c == ATHOS],
    )
    configured = [k for k in HARMONISE_SOURCES if getattr(sources, k, None)]
    if not configured:
        with_ctx, ctx_layers, ctx_prov = _context(sources, catalogue, raw, municipalities, q)
        return Harmonised(municipalities=with_ctx, layers=ctx_layers, provenance=ctx_prov, quality=q)
    if len(configured) != len(HARMONISE_SOURCES):
        from spatial_poverty.errors import ConfigError

        missing = [k for k in HARMONISE_SOURCES if k not in configured]
        raise ConfigError(f"sources: the national table needs all of {HARMONISE_SOURCES}; missing {missing}")

    def path(key: str) -> Path:
        return raw / catalogue[getattr(sources, key)].path

    census = read_census_2011(path("census_2011"))
    urban = read_urban_2011(path("urban_2011"))
    lct = read_lctools_2001(path("lctools_2001"))
    b11 = read_kallikratis_boundaries(path("boundaries_2011"))
    comm = read_communities_2021(path("communities_2021"))
    pop_all = read_population(raw / p_src.path)
    cw = build_crosswalk(
        census_2011=census,
        lctools_2001=lct,
        boundaries_2011=b11,
        boundaries_2021=boundaries,
        population_2021=pop_all,
        communities_2021=comm,
    )
    census_munis = census[census["level"] == 5]
    q.add(
        catalogue[sources.census_2011].path,
        "2011 municipalities linked through the crosswalk",
        rows_read=len(census),
        matched=int(census_munis["code"].isin(cw.table["elstat_2011"]).sum()),
        unmatched=[f"{c} excluded: Mount Athos" for c in census_munis["code"] if c == ATHOS],
    )
    q.add(
        catalogue[sources.communities_2021].path,
        "community populations",
        rows_read=len(comm),
        suppressed=len(comm.attrs.get("empty_cells", [])),
        detail="; ".join(comm.attrs.get("empty_cells", [])),
    )
    q.add(
        catalogue[sources.lctools_2001].path,
        "2001 variables on 2011 units",
        rows_read=len(lct),
        matched=int(lct.index.isin(cw.table["elstat_2011"]).sum()),
        unmatched=sorted(set(lct.index) - set(cw.table["elstat_2011"])),
    )
    q.add(
        catalogue[sources.boundaries_2011].path,
        "2011 polygons linked to ELSTAT 2011 codes",
        rows_read=len(b11),
        matched=int(b11["ypes_2011"].isin(cw.table["ypes_2011"]).sum()),
        unmatched=[f"feature without YPES code ({n}): Mount Athos" for n in b11.loc[b11["ypes_2011"] == "", "name"]],
    )
    for f in cw.findings:
        q.add("crosswalk", f["check"], detail=f"{f['code']}: {f['detail']}")

    cf, cm = census_fields(census, urban, cw)
    lf, lm = lctools_fields(lct, cw)
    extra = cf.join(lf)
    missing = sorted(set(municipalities.index) - set(extra.index))
    if missing:
        from spatial_poverty.errors import IngestError

        raise IngestError(f"2021 municipalities without harmonised fields: {missing}")
    for col in lf.columns:
        bad = lf[(lf[col] < 0) | (lf[col] > (1e6 if col == "income_2001" else 100))]
        if len(bad):
            q.add("harmonised fields", f"{col} out of range", out_of_range=len(bad), unmatched=list(bad.index))
    cols = [c for c in municipalities.columns if c != "geometry"]
    out = municipalities[cols].join(extra, how="left")
    out = gpd.GeoDataFrame(out, geometry=municipalities.geometry, crs=municipalities.crs)
    out.index.name = "code"
    prov: dict[str, dict[str, str]] = {}
    for col, method in cm.items():
        src: str = sources.urban_2011 if col.startswith(("urban", "mountain")) else sources.census_2011
        prov[col] = {
            "source": src,
            "attribution": catalogue[src].attribution,
            "method": method,
            "data_year": _field_year(col),
        }
    for col, method in lm.items():
        prov[col] = {
            "source": sources.lctools_2001,
            "attribution": catalogue[sources.lctools_2001].attribution,
            "method": method,
            "data_year": _field_year(col),
        }
    for col in ("pop_2011", "pop_2021"):
        prov[col] = {
            "source": sources.population,
            "attribution": p_src.attribution,
            "method": "ELSTAT's own figure on the 2021 unit (2011 re-aggregated by ELSTAT)",
            "data_year": _field_year(col),
        }
    out, _, ctx_prov = _context(sources, catalogue, raw, out, q)
    prov.update(ctx_prov)
    published = {"code_crosswalk": cw.layer(), "field_provenance": _provenance_layer(prov)}
    logger.info("harmonised %d fields on %d municipalities; crosswalk %d pairs", len(prov), len(out), len(cw.table))
    return Harmonised(municipalities=out, layers=published, provenance=prov, quality=q)


def _field_year(name: str) -> str:
    """The census year a harmonised field's name carries (``unemp_2001_m``: "2001"); every census field of the
    national table is named with its year."""
    found = re.findall(r"(?<![0-9])((?:19|20)[0-9]{2})(?![0-9])", name)
    return found[-1] if found else ""


def _provenance_layer(prov: dict[str, dict[str, str]]) -> pd.DataFrame:
    return pd.DataFrame(
        [{"field": k, **v} for k, v in prov.items()],
        columns=["field", "source", "attribution", "data_year", "method"],
    )


def _context(
    sources: Any, catalogue: Catalogue, raw: Path, municipalities: gpd.GeoDataFrame, q: QualityReport
) -> tuple[gpd.GeoDataFrame, dict[str, pd.DataFrame], dict[str, dict[str, str]]]:
    """Add the regional context fields when any context source is configured."""
    keys = [k for k in CONTEXT_SOURCES if getattr(sources, k, None)]
    if not keys:
        return municipalities, {}, {}
    from spatial_poverty.harmonise.context import CONTEXT_FIELDS, regional_context
    from spatial_poverty.ingest.eurostat import read_eurostat_long_csv, read_eurostat_tsv
    from spatial_poverty.ingest.lfs import read_lfs_status_regions

    def src(key: str) -> Any:
        return catalogue[getattr(sources, key)]

    lfs = read_lfs_status_regions(raw / src("lfs_regions").path) if sources.lfs_regions else None
    income = read_eurostat_long_csv(raw / src("income_nuts2").path) if sources.income_nuts2 else None
    arope = read_eurostat_tsv(raw / src("arope_nuts2").path) if sources.arope_nuts2 else None
    ctx = regional_context(municipalities["region_el"], lfs=lfs, income=income, arope=arope)
    for key, frame in (("lfs_regions", lfs), ("income_nuts2", income), ("arope_nuts2", arope)):
        if frame is not None:
            missing = int(frame["value"].isna().sum()) if "value" in frame.columns else 0
            q.add(
                src(key).path,
                "regional context table",
                rows_read=len(frame),
                suppressed=missing,
                detail=f"{missing} cell(s) missing (':' in Eurostat files)" if missing else "",
            )
    origin = {
        "nuts2": None,
        "lfs_unemp_rate": "lfs_regions",
        "lfs_unemp_year": "lfs_regions",
        "disp_income_pps": "income_nuts2",
        "disp_income_year": "income_nuts2",
        "arope_rate": "arope_nuts2",
        "arope_year": "arope_nuts2",
    }
    prov: dict[str, dict[str, str]] = {}
    for col in ctx.columns:
        from_key = origin[col]
        s = src(from_key) if from_key else catalogue[sources.population]
        method = CONTEXT_FIELDS[col] + (
            "; the region's value repeated on each of its municipalities" if from_key else ""
        )
        year_col = {"lfs_unemp_rate": "lfs_unemp_year", "disp_income_pps": "disp_income_year"}.get(
            col, "arope_year" if col == "arope_rate" else col if col.endswith("_year") else None
        )
        years = sorted({str(int(y)) for y in ctx[year_col].dropna()}) if year_col in ctx.columns else []
        prov[col] = {"source": s.id, "attribution": s.attribution, "method": method, "data_year": ", ".join(years)}
    cols = [c for c in municipalities.columns if c != "geometry"]
    out = gpd.GeoDataFrame(municipalities[cols].join(ctx), geometry=municipalities.geometry, crs=municipalities.crs)
    out.index.name = "code"
    return out, {"field_provenance": _provenance_layer(prov)}, prov
