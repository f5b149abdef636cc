"""The other forms of a delivery: CSV and XLSX tables with Greek headers, GeoJSON (EPSG:4326) for the web.

- ``<layer>.csv``: UTF-8 with a byte-order mark (so Excel shows the Greek), comma-separated, headers are the
  Greek aliases of the exchange schema with their unit; the municipality code stays text (leading zeros kept).
- ``<name>.xlsx``: one sheet per layer with the same Greek headers, the code column as text, and a sheet
  ``Πεδία`` that lists every field (name, Greek and English alias, unit, description). The document's dates
  are the release date, so identical runs give identical files.
- ``<layer>.geojson``: RFC 7946 (EPSG:4326, longitude/latitude, 6 decimals), snake_case field names as in the
  GeoPackage, for web maps.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio

from spatial_poverty.csv_cells import neutralise_frame
from spatial_poverty.errors import ExportError
from spatial_poverty.export.schema import UNITS_EL, FieldSpec, layer_fields

__all__ = ["FORMATS", "excel_twin", "greek_headers", "write_tables"]

logger = logging.getLogger(__name__)

#: The table formats a pipeline may ask for in ``export.formats``.
FORMATS = ("csv", "xlsx", "geojson")
#: A CSV cell written to Excel as a number: no leading zero before another digit (codes stay text).
_NUMBER = re.compile(r"-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][-+]?[0-9]+)?")


def _header(f: FieldSpec) -> str:
    unit = UNITS_EL.get(f.unit, f.unit)
    return f"{f.alias_el} ({unit})" if unit else f.alias_el


def greek_headers(layer: str, columns: list[str]) -> list[str]:
    """The Greek header of each column (its Greek alias, with the unit), in the order given."""
    specs = {f.name: f for f in layer_fields(layer, columns)}
    return [_header(specs[c]) if c in specs else c for c in columns]


def _attributes(frame: pd.DataFrame) -> pd.DataFrame:
    if isinstance(frame, gpd.GeoDataFrame):
        return pd.DataFrame(frame.drop(columns=frame.geometry.name))
    return frame


def write_tables(
    folder: str | os.PathLike[str],
    name: str,
    layers: Mapping[str, pd.DataFrame],
    *,
    formats: tuple[str, ...] | list[str] = FORMATS,
    release: dt.datetime | None = None,
) -> list[Path]:
    """Write the layers (already checked against the exchange schema, ``code`` a column) in the other forms.

    Parameters
    ----------
    folder : path-like
        Where to write (the run's staging folder).
    name : str
        The pipeline's name (name of the workbook).
    layers : mapping of layer name to frame
    formats : sequence of "csv", "xlsx", "geojson"
        A layer's CSV is not written over a table of the same name already in ``folder`` (the index stage's
        ``deprivation_index.csv``, with its rank bands and Greek headers, is kept).
    release : datetime, optional
        The document date of the workbook (default 1970-01-01): never the clock.

    Returns
    -------
    list of pathlib.Path
        The files written.

    Raises
    ------
    ExportError
        If a format is unknown or a file cannot be written.
    """
    folder = Path(folder)
    bad = [f for f in formats if f not in FORMATS]
    if bad:
        raise ExportError(f"unknown table format(s) {bad}; allowed: {', '.join(FORMATS)}")
    written: list[Path] = []
    try:
        if "csv" in formats:
            for layer, frame in layers.items():
                path = folder / f"{layer}.csv"
                if path.exists():  # the stage that made the layer wrote its own table (deprivation_index.csv)
                    logger.info("%s kept: the table of the stage that made layer %s", path.name, layer)
                    continue
                table = _attributes(frame)
                neutralise_frame(table.set_axis(greek_headers(layer, list(table.columns)), axis=1)).to_csv(
                    path, index=False, encoding="utf-8-sig"
                )
                written.append(path)
        if "xlsx" in formats:
            written.append(_write_xlsx(folder / f"{name}.xlsx", layers, release))
        if "geojson" in formats:
            for layer, frame in layers.items():
                if not isinstance(frame, gpd.GeoDataFrame):
                    continue
                path = folder / f"{layer}.geojson"
                pyogrio.write_dataframe(
                    frame.to_crs(4326),
                    path,
                    driver="GeoJSON",
                    layer_options={"RFC7946": "YES", "COORDINATE_PRECISION": "6", "WRITE_NAME": "NO"},
                )
                written.append(path)
    except ExportError:
        raise
    except Exception as exc:  # pandas, xlsxwriter and GDAL raise several types; name the folder
        raise ExportError(f"writing the tables of {name!r} into {folder} failed: {exc}") from exc
    logger.info("tables: %s", ", ".join(p.name for p in written))
    return written


def _write_column(ws: Any, j: int, values: pd.Series, *, is_text: bool) -> None:
    """One column of a sheet from row 1: missing values (None, NaN, ``pd.NA``, ``NaT``) stay empty cells."""
    for i, v in enumerate(values.tolist(), 1):
        if v is None or (not isinstance(v, str) and pd.isna(v)):
            continue
        if is_text:
            ws.write_string(i, j, str(v))
        elif isinstance(v, bool | np.bool_):
            ws.write_boolean(i, j, bool(v))
        else:
            ws.write_number(i, j, float(v))


def _write_xlsx(path: Path, layers: Mapping[str, pd.DataFrame], release: dt.datetime | None) -> Path:
    import xlsxwriter

    when = (release or dt.datetime(1970, 1, 1)).replace(tzinfo=None)
    wb = xlsxwriter.Workbook(str(path), {"strings_to_numbers": False, "strings_to_urls": False})
    wb.set_properties({"created": when, "author": "spatial_poverty", "title": path.stem})
    head = wb.add_format({"bold": True, "text_wrap": True, "valign": "top", "bg_color": "#eeeeee"})
    text = wb.add_format({"num_format": "@"})
    fields: list[tuple[str, FieldSpec]] = []
    for layer, frame in layers.items():
        table = _attributes(frame)
        ws = wb.add_worksheet(layer[:31])
        headers = greek_headers(layer, list(table.columns))
        specs = {f.name: f for f in layer_fields(layer, list(table.columns))}
        fields += [(layer, specs[c]) for c in table.columns if c in specs]
        for j, (col, h) in enumerate(zip(table.columns, headers, strict=True)):
            ws.write_string(0, j, h, head)
            is_text = specs[col].type == "TEXT" if col in specs else True
            ws.set_column(j, j, max(12, min(40, len(h) + 2)), text if is_text else None)
            try:
                _write_column(ws, j, table[col], is_text=is_text)
            except (TypeError, ValueError) as exc:
                raise ExportError(f"{path.name}: layer {layer!r}, column {col!r} cannot be written: {exc}") from exc
        ws.freeze_panes(1, 0)
    ws = wb.add_worksheet("Πεδία")
    cols = ["Επίπεδο / layer", "Πεδίο / field", "Ελληνικά", "English", "Μονάδα / unit", "Περιγραφή / description"]
    for j, h in enumerate(cols):
        ws.write_string(0, j, h, head)
    for i, (layer, f) in enumerate(fields, 1):
        for j, v in enumerate((layer, f.name, f.alias_el, f.alias_en, f.unit, f.description)):
            ws.write_string(i, j, v)
    ws.set_column(0, 5, 24)
    wb.close()
    return path


def excel_twin(csv: str | os.PathLike[str], *, release: dt.datetime | None = None, notes: str = "") -> Path:
    """Write ``<name>.xlsx`` beside a published CSV, with the same header and cells, so that Excel set to Greek
    (whose list separator is ";" and which does not guess UTF-8) opens the table as it is.

    Cells that read as numbers (decimal point, no leading zero in a code such as "0101") are written as numbers,
    everything else as text; ``notes`` (the data's years and sources) goes on a second sheet. The document date
    is ``release`` (else 1970-01-01), never the clock, so two runs write the same bytes.
    """
    import xlsxwriter

    csv = Path(csv)
    path = csv.with_suffix(".xlsx")
    table = pd.read_csv(csv, encoding="utf-8-sig", dtype=str, keep_default_na=False)
    when = (release or dt.datetime(1970, 1, 1)).replace(tzinfo=None)
    wb = xlsxwriter.Workbook(str(path), {"strings_to_numbers": False, "strings_to_urls": False})
    wb.set_properties({"created": when, "author": "spatial_poverty", "title": csv.stem})
    head = wb.add_format({"bold": True, "text_wrap": True, "valign": "top", "bg_color": "#eeeeee"})
    ws = wb.add_worksheet(csv.stem[:31])
    for j, col in enumerate(table.columns):
        ws.write_string(0, j, str(col), head)
        ws.set_column(j, j, max(10, min(50, len(str(col)) + 2)))
        for i, v in enumerate(table[col].tolist(), 1):
            if _NUMBER.fullmatch(v):
                ws.write_number(i, j, float(v))
            elif v:
                ws.write_string(i, j, v)
    ws.freeze_panes(1, 0)
    if notes:
        ws2 = wb.add_worksheet("Πηγές")
        ws2.write_string(0, 0, "Πηγές και έτη δεδομένων / Sources and data years", head)
        for i, line in enumerate(notes.splitlines(), 1):
            ws2.write_string(i, 0, line)
        ws2.set_column(0, 0, 120)
    wb.close()
    return path
