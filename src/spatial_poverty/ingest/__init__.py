"""Ingestion: the data catalogue and ``data sync``, strict number parsing, readers of the sources.

Its names are imported on first use (:mod:`spatial_poverty.lazy`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from spatial_poverty.lazy import lazy_exports

if TYPE_CHECKING:
    from spatial_poverty.ingest.catalogue import Catalogue, Source, load_catalogue, sync, verify
    from spatial_poverty.ingest.elstat2011 import read_census_2011, read_urban_2011
    from spatial_poverty.ingest.elstat2021 import read_communities_2021, read_municipal_boundaries, read_population
    from spatial_poverty.ingest.eurostat import read_eurostat_long_csv, read_eurostat_tsv
    from spatial_poverty.ingest.geodata2011 import read_kallikratis_boundaries
    from spatial_poverty.ingest.gisco import read_nuts_boundaries, read_nuts_changes, read_nuts_lau
    from spatial_poverty.ingest.lctools import read_lctools_2001
    from spatial_poverty.ingest.lfs import read_lfs_quarterly, read_lfs_status_regions
    from spatial_poverty.ingest.lfs_series import read_lfs_monthly, read_lfs_unemployment_duration
    from spatial_poverty.ingest.municipalities import join_boundaries_population, select_area
    from spatial_poverty.ingest.numbers import parse_column, parse_decimal_el, parse_int_el
    from spatial_poverty.ingest.regions import REGIONS, region
    from spatial_poverty.ingest.services import read_marnet, read_osm_points
    from spatial_poverty.ingest.user_formats import BENEFITS, REGISTERED_UNEMPLOYED, SERVICES, read_user_table
    from spatial_poverty.ingest.ypes import read_ypes_communities

__all__ = [
    "BENEFITS",
    "REGIONS",
    "REGISTERED_UNEMPLOYED",
    "SERVICES",
    "Catalogue",
    "Source",
    "join_boundaries_population",
    "load_catalogue",
    "parse_column",
    "parse_decimal_el",
    "parse_int_el",
    "read_census_2011",
    "read_communities_2021",
    "read_eurostat_long_csv",
    "read_eurostat_tsv",
    "read_kallikratis_boundaries",
    "read_lctools_2001",
    "read_lfs_monthly",
    "read_lfs_quarterly",
    "read_lfs_status_regions",
    "read_lfs_unemployment_duration",
    "read_marnet",
    "read_municipal_boundaries",
    "read_nuts_boundaries",
    "read_nuts_changes",
    "read_nuts_lau",
    "read_osm_points",
    "read_population",
    "read_urban_2011",
    "read_user_table",
    "read_ypes_communities",
    "region",
    "select_area",
    "sync",
    "verify",
]

__getattr__ = lazy_exports(
    __name__,
    {
        "catalogue": (
            "Catalogue",
            "Source",
            "load_catalogue",
            "sync",
            "verify",
        ),
        "elstat2011": (
            "read_census_2011",
            "read_urban_2011",
        ),
        "elstat2021": (
            "read_communities_2021",
            "read_municipal_boundaries",
            "read_population",
        ),
        "eurostat": (
            "read_eurostat_long_csv",
            "read_eurostat_tsv",
        ),
        "geodata2011": ("read_kallikratis_boundaries",),
        "gisco": (
            "read_nuts_boundaries",
            "read_nuts_changes",
            "read_nuts_lau",
        ),
        "lctools": ("read_lctools_2001",),
        "lfs": (
            "read_lfs_quarterly",
            "read_lfs_status_regions",
        ),
        "lfs_series": (
            "read_lfs_monthly",
            "read_lfs_unemployment_duration",
        ),
        "municipalities": (
            "join_boundaries_population",
            "select_area",
        ),
        "numbers": (
            "parse_column",
            "parse_decimal_el",
            "parse_int_el",
        ),
        "regions": (
            "REGIONS",
            "region",
        ),
        "services": (
            "read_marnet",
            "read_osm_points",
        ),
        "user_formats": (
            "BENEFITS",
            "REGISTERED_UNEMPLOYED",
            "SERVICES",
            "read_user_table",
        ),
        "ypes": ("read_ypes_communities",),
    },
)
