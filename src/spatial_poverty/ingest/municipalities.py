"""The municipality table of a run: ELSTAT 2021 boundaries joined to 2011/2021 population.

Every row of both sources is accounted for: Mount Athos (9901), which is self-governed and not a municipality,
is left out explicitly and logged; any other row without a partner stops the run with the list.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence

import geopandas as gpd
import pandas as pd

from spatial_poverty.errors import IngestError
from spatial_poverty.ingest.regions import region

__all__ = ["NOT_MUNICIPALITIES", "join_boundaries_population", "select_area"]

logger = logging.getLogger(__name__)

#: Codes present in ELSTAT's municipal files that are not municipalities, with the reason.
NOT_MUNICIPALITIES: Mapping[str, str] = {
    "9901": "Mount Athos (Άγιο Όρος) is self-governed under article 105 of the Constitution, not a municipality",
}


def join_boundaries_population(
    boundaries: gpd.GeoDataFrame,
    population: pd.DataFrame,
    *,
    exclude: Mapping[str, str] = NOT_MUNICIPALITIES,
    boundaries_name: str = "boundaries",
    population_name: str = "population",
) -> gpd.GeoDataFrame:
    """Join boundaries and population on the ELSTAT 2021 code, accounting for every row.

    Parameters
    ----------
    boundaries : geopandas.GeoDataFrame
        From :func:`~spatial_poverty.ingest.elstat2021.read_municipal_boundaries`, indexed by code.
    population : pandas.DataFrame
        From :func:`~spatial_poverty.ingest.elstat2021.read_population`, indexed by code.
    exclude : mapping, default :data:`NOT_MUNICIPALITIES`
        Codes left out on purpose, with the reason written to the log.
    boundaries_name, population_name : str
        How the two sources are named in messages (their file names).

    Returns
    -------
    geopandas.GeoDataFrame
        Indexed by ``code`` with ``name_el``, ``name_en``, ``regional_unit``, ``region_el``, ``pop_2011``,
        ``pop_2021`` and the geometry, sorted by code. The inputs are not changed.

    Raises
    ------
    IngestError
        Listing every code found in one source and not in the other.
    """
    for code, why in exclude.items():
        found = [n for n, f in ((boundaries_name, boundaries), (population_name, population)) if code in f.index]
        if found:
            logger.info("left out %s (%s), found in %s: %s", code, _name(boundaries, code), ", ".join(found), why)
    b = boundaries.drop(index=[c for c in exclude if c in boundaries.index])
    p = population.drop(index=[c for c in exclude if c in population.index])
    only_b = sorted(set(b.index) - set(p.index))
    only_p = sorted(set(p.index) - set(b.index))
    if only_b or only_p:
        lines = [f"{c} {_name(boundaries, c)} is in {boundaries_name} but not in {population_name}" for c in only_b]
        lines += [
            f"{c} {population.loc[c, 'name_el']} is in {population_name} but not in {boundaries_name}" for c in only_p
        ]
        raise IngestError(
            f"{len(lines)} municipality code(s) do not match between the sources:\n  " + "\n  ".join(lines)
        )
    joined = b.join(p[["regional_unit", "region_el", "pop_2011", "pop_2021"]], how="inner")
    logger.info("joined %d municipalities on the ELSTAT 2021 code", len(joined))
    cols = ["name_el", "name_en", "regional_unit", "region_el", "pop_2011", "pop_2021", "geometry"]
    return gpd.GeoDataFrame(joined[cols], geometry="geometry", crs=boundaries.crs).sort_index()


def _name(frame: pd.DataFrame, code: str) -> str:
    return str(frame.loc[code, "name_el"]) if code in frame.index else ""


def select_area(
    municipalities: gpd.GeoDataFrame,
    *,
    nuts2: Sequence[str] | None = None,
    regional_units: Sequence[str] | None = None,
) -> gpd.GeoDataFrame:
    """Keep the municipalities of some regions (NUTS 2 codes) or regional units (2-digit ELSTAT codes).

    With neither given, the whole country is returned.

    Raises
    ------
    ConfigError
        If a NUTS 2 code is not Greek.
    IngestError
        If a region or regional unit selects no municipality.
    """
    keep = pd.Series(True, index=municipalities.index)
    if nuts2:
        headings = {region(c).elstat_heading: c for c in nuts2}
        keep &= municipalities["region_el"].isin(list(headings))
        for heading, code in headings.items():
            if not (municipalities["region_el"] == heading).any():
                raise IngestError(f"region {code} ({heading}) has no municipality in the population table")
    if regional_units:
        keep &= municipalities["regional_unit"].isin(list(regional_units))
        absent = sorted(set(regional_units) - set(municipalities["regional_unit"]))
        if absent:
            raise IngestError(f"regional unit(s) {absent} have no municipality in the population table")
    out = municipalities[keep]
    if out.empty:
        raise IngestError(f"the area (nuts2={nuts2}, regional_units={regional_units}) selects no municipality")
    return out
