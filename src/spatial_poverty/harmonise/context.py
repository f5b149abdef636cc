"""Regional context on municipalities: the NUTS 2 region's code and its latest LFS unemployment rate,
household disposable income and AROPE rate, each with the year and source it comes from.

These are regional values repeated on every municipality of the region: context for reading municipal
indicators, not municipal estimates.
"""

from __future__ import annotations

import logging

import pandas as pd

from spatial_poverty.errors import IngestError
from spatial_poverty.ingest.regions import REGIONS

__all__ = ["CONTEXT_FIELDS", "nuts2_of", "regional_context"]

logger = logging.getLogger(__name__)

#: Published context fields and what each is.
CONTEXT_FIELDS = {
    "nuts2": "NUTS 2 code of the region (from the ELSTAT 2021 region heading)",
    "lfs_unemp_rate": "unemployment rate of the region (%), ELSTAT Labour Force Survey, latest year",
    "lfs_unemp_year": "year of lfs_unemp_rate",
    "disp_income_pps": "disposable income of private households, PPS per inhabitant, Eurostat tgs00026, latest year",
    "disp_income_year": "year of disp_income_pps",
    "arope_rate": "people at risk of poverty or social exclusion (%), Eurostat ilc_peps11, latest year by NUTS 2",
    "arope_year": "year of arope_rate",
}


def nuts2_of(region_el: pd.Series) -> pd.Series:
    """The NUTS 2 code of each municipality from its ELSTAT region heading.

    Raises
    ------
    IngestError
        Naming the headings that are not one of the 13 regions.
    """
    by_heading = {r.elstat_heading: r.nuts2 for r in REGIONS.values()}
    out = region_el.map(by_heading)
    unknown = sorted(set(region_el[out.isna()]))
    if unknown:
        raise IngestError(f"region headings that are no Greek NUTS 2 region: {unknown}")
    return out.astype(str)


def _latest(frame: pd.DataFrame, value: str, what: str) -> tuple[pd.Series, int]:
    """The values of the latest year for which all 13 regions have one."""
    complete = frame.dropna(subset=[value]).groupby("year")["nuts2"].apply(lambda s: set(s) >= set(REGIONS))
    years = sorted(complete[complete].index)
    if not years:
        raise IngestError(f"{what}: no year has a value for all 13 NUTS 2 regions")
    y = years[-1]
    return frame[frame["year"] == y].set_index("nuts2")[value], int(y)


def regional_context(
    region_el: pd.Series,
    *,
    lfs: pd.DataFrame | None = None,
    income: pd.DataFrame | None = None,
    arope: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """The context fields for municipalities (index of ``region_el``).

    Parameters
    ----------
    region_el : pandas.Series
        The ELSTAT region heading of each municipality, indexed by code.
    lfs : pandas.DataFrame, optional
        From :func:`~spatial_poverty.ingest.lfs.read_lfs_status_regions`.
    income : pandas.DataFrame, optional
        From :func:`~spatial_poverty.ingest.eurostat.read_eurostat_long_csv` on ``tgs00026``.
    arope : pandas.DataFrame, optional
        From :func:`~spatial_poverty.ingest.eurostat.read_eurostat_tsv` on ``ilc_peps11``.

    Returns
    -------
    pandas.DataFrame
        The fields of :data:`CONTEXT_FIELDS` for the sources given.
    """
    nuts2 = nuts2_of(region_el)
    out = pd.DataFrame({"nuts2": nuts2}, index=region_el.index)
    if lfs is not None:
        s, y = _latest(lfs[lfs["nuts2"] != ""], "unemployment_rate_pct", "LFS unemployment")
        out["lfs_unemp_rate"] = nuts2.map(s).round(2)
        out["lfs_unemp_year"] = y
    if income is not None:
        inc = income.assign(nuts2=income["geo"], year=income["time"].astype(int))
        s, y = _latest(inc[inc["nuts2"].isin(list(REGIONS))], "value", "disposable income")
        out["disp_income_pps"] = nuts2.map(s)
        out["disp_income_year"] = y
    if arope is not None:
        a = arope[(arope["geo"].isin(list(REGIONS))) & (arope["unit"] == "PC")]
        a = a.assign(nuts2=a["geo"], year=a["time"].astype(int))
        s, y = _latest(a, "value", "AROPE by NUTS 2")
        out["arope_rate"] = nuts2.map(s)
        out["arope_year"] = y
    logger.info("regional context: %s", ", ".join(c for c in out.columns))
    return out
