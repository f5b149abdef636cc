"""The delivered GeoPackage: checked against the exchange schema, styled, documented, finalised and validated.

:func:`build_geopackage` is the one entry point the runner calls. It writes the layers (GeoPackage 1.2, fixed
timestamps), then adds in the same file what a GIS office needs to use it as it is, and finally makes the file
compact, self-contained and flushed to disk before GDAL's validator reads it.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import sqlite3
from collections.abc import Mapping, Sequence
from pathlib import Path

import geopandas as gpd
import pandas as pd

from spatial_poverty.export.geopackage import finalize_geopackage, validate_geopackage, write_layers
from spatial_poverty.export.metadata import write_metadata
from spatial_poverty.export.project import write_project
from spatial_poverty.export.record import Delivery, SourceRef
from spatial_poverty.export.schema import check_layer, layer_fields
from spatial_poverty.export.styles import write_layer_styles
from spatial_poverty.export.tables import write_tables

__all__ = ["Delivery", "SourceRef", "build_geopackage", "write_delivery"]

logger = logging.getLogger(__name__)


def _ensure_extension(
    con: sqlite3.Connection,
    table: str | None,
    column: str | None,
    name: str,
    definition: str,
    scope: str = "read-write",
) -> None:
    con.execute(
        "CREATE TABLE IF NOT EXISTS gpkg_extensions (table_name TEXT, column_name TEXT, extension_name TEXT NOT NULL, "
        "definition TEXT NOT NULL, scope TEXT NOT NULL, CONSTRAINT ge_tce UNIQUE (table_name, column_name, "
        "extension_name))"
    )
    con.execute(
        "INSERT OR IGNORE INTO gpkg_extensions VALUES (?, ?, ?, ?, ?)", (table, column, name, definition, scope)
    )


def write_data_columns(con: sqlite3.Connection, layers: Mapping[str, pd.DataFrame]) -> None:
    """Write the Greek alias (``title``) and English alias, description and unit (``description``) of every field
    into ``gpkg_data_columns`` (the GeoPackage schema extension), where GDAL and QGIS read them."""
    con.execute(
        "CREATE TABLE IF NOT EXISTS gpkg_data_columns (table_name TEXT NOT NULL, column_name TEXT NOT NULL, "
        "name TEXT, title TEXT, description TEXT, mime_type TEXT, constraint_name TEXT, "
        "CONSTRAINT pk_gdc PRIMARY KEY (table_name, column_name), CONSTRAINT gdc_tn UNIQUE (table_name, name))"
    )
    con.execute(
        "CREATE TABLE IF NOT EXISTS gpkg_data_column_constraints (constraint_name TEXT NOT NULL, "
        "constraint_type TEXT NOT NULL, value TEXT, min NUMERIC, min_is_inclusive BOOLEAN, max NUMERIC, "
        "max_is_inclusive BOOLEAN, description TEXT, CONSTRAINT gdcc_ntv UNIQUE (constraint_name, constraint_type, "
        "value))"
    )
    for table in ("gpkg_data_columns", "gpkg_data_column_constraints"):
        _ensure_extension(con, table, None, "gpkg_schema", "http://www.geopackage.org/spec121/#extension_schema")
    for layer, frame in layers.items():
        for f in layer_fields(layer, list(frame.columns)):
            unit = f" [{f.unit}]" if f.unit else ""
            con.execute(
                "INSERT INTO gpkg_data_columns (table_name, column_name, name, title, description) VALUES (?, ?, ?, "
                "?, ?)",
                (layer, f.name, f.alias_en, f.alias_el, f"{f.alias_en}{unit}: {f.description}"),
            )


def build_geopackage(
    path: str | os.PathLike[str],
    layers: Mapping[str, gpd.GeoDataFrame | pd.DataFrame],
    delivery: Delivery,
) -> Path:
    """Write, document, finalise and validate the delivered GeoPackage.

    Raises
    ------
    ExportError
        If a layer does not match the exchange schema, or writing or validation fails.
    """
    path = Path(path)
    out: dict[str, gpd.GeoDataFrame | pd.DataFrame] = {}
    for name, frame in layers.items():
        if frame.index.name:
            frame = frame.reset_index()
        if isinstance(frame, gpd.GeoDataFrame) and frame.crs is not None and frame.crs != delivery.crs:
            frame = frame.to_crs(delivery.crs)
        out[name] = check_layer(name, frame, crs=delivery.crs)
    write_layers(path, out, timestamp=delivery.timestamp)
    con = sqlite3.connect(path)
    try:
        with con:
            write_data_columns(con, out)
            for layer, note in delivery.layer_notes.items():
                if layer in out:
                    con.execute("UPDATE gpkg_contents SET description = ? WHERE table_name = ?", (note, layer))
            write_layer_styles(con, out, timestamp=delivery.timestamp)
            write_metadata(con, delivery, out)
            write_project(
                con, path, out, name=delivery.name, title=delivery.title, crs=delivery.crs, timestamp=delivery.timestamp
            )
    finally:
        con.close()
    finalize_geopackage(path)
    validate_geopackage(path, {name: len(f) for name, f in out.items()})
    logger.info("GeoPackage %s: %d layers", path.name, len(out))
    return path


def write_delivery(
    folder: str | os.PathLike[str],
    layers: Mapping[str, gpd.GeoDataFrame | pd.DataFrame],
    delivery: Delivery,
    *,
    formats: Sequence[str] = (),
) -> list[Path]:
    """The GeoPackage ``<name>.gpkg`` and, if asked, the CSV, XLSX and GeoJSON forms of the same layers.

    Returns
    -------
    list of pathlib.Path
        The GeoPackage first, then the other files.
    """
    folder = Path(folder)
    gpkg = build_geopackage(folder / f"{delivery.name}.gpkg", layers, delivery)
    if not formats:
        return [gpkg]
    checked = {}
    for name, frame in layers.items():
        frame = frame.reset_index() if frame.index.name else frame
        if isinstance(frame, gpd.GeoDataFrame) and frame.crs is not None and frame.crs != delivery.crs:
            frame = frame.to_crs(delivery.crs)
        checked[name] = check_layer(name, frame, crs=delivery.crs)
    release = dt.datetime.strptime(delivery.timestamp[:19], "%Y-%m-%dT%H:%M:%S")
    return [gpkg, *write_tables(folder, delivery.name, checked, formats=list(formats), release=release)]
