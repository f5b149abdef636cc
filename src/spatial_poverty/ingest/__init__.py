"""Ingestion: the data catalogue and ``data sync``, strict number parsing, readers of the sources."""

from spatial_poverty.ingest.catalogue import Catalogue, Source, load_catalogue, sync, verify
from spatial_poverty.ingest.elstat2021 import read_municipal_boundaries, read_population
from spatial_poverty.ingest.municipalities import join_boundaries_population, select_area
from spatial_poverty.ingest.numbers import parse_column, parse_decimal_el, parse_int_el
from spatial_poverty.ingest.regions import REGIONS, region

__all__ = [
    "REGIONS",
    "Catalogue",
    "Source",
    "join_boundaries_population",
    "load_catalogue",
    "parse_column",
    "parse_decimal_el",
    "parse_int_el",
    "read_municipal_boundaries",
    "read_population",
    "region",
    "select_area",
    "sync",
    "verify",
]
