"""GeoPackage 1.2 output: writing layers and validating the file.

GDAL writes GeoPackage 1.4 by default, which QGIS 3.22 / GDAL 3.6 warn about; we ask for 1.2. Every file is
validated before publication: GDAL's own validator (``osgeo_utils.samples.validate_gpkg``, pure SQLite checks
when the GDAL bindings are absent), then a read-back of every layer (count, CRS, geometry parse).
"""

from __future__ import annotations

import datetime as dt
import io
import logging
import os
import sqlite3
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pyogrio

from spatial_poverty.errors import ExportError

__all__ = [
    "GPKG_APPLICATION_ID",
    "GPKG_USER_VERSION_1_2",
    "finalize_geopackage",
    "gpkg_timestamp",
    "validate_geopackage",
    "write_layers",
]

logger = logging.getLogger(__name__)

#: ``PRAGMA application_id`` of a GeoPackage ("GPKG").
GPKG_APPLICATION_ID = 0x47504B47
#: ``PRAGMA user_version`` of GeoPackage 1.2.
GPKG_USER_VERSION_1_2 = 10200


#: The stamp used when no release date is given: identical runs must give identical files, so never the clock.
DEFAULT_TIMESTAMP = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)


def gpkg_timestamp(when: dt.datetime | dt.date | None = None) -> str:
    """A GeoPackage timestamp (``YYYY-MM-DDTHH:MM:SS.SSSZ``, UTC) for ``when``.

    ``None`` gives ``$SOURCE_DATE_EPOCH`` when set (the reproducible-builds convention), else 1970-01-01.
    """
    if when is None:
        epoch = os.environ.get("SOURCE_DATE_EPOCH")
        when = dt.datetime.fromtimestamp(int(epoch), dt.UTC) if epoch else DEFAULT_TIMESTAMP
    if not isinstance(when, dt.datetime):
        when = dt.datetime(when.year, when.month, when.day, tzinfo=dt.UTC)
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.UTC)
    return when.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")


@contextmanager
def _gdal_config(**options: str) -> Iterator[None]:
    old = {k: pyogrio.get_gdal_config_option(k) for k in options}
    pyogrio.set_gdal_config_options(options)
    try:
        yield
    finally:
        pyogrio.set_gdal_config_options(old)


def write_layers(
    path: str | os.PathLike[str],
    layers: Mapping[str, gpd.GeoDataFrame | pd.DataFrame],
    *,
    timestamp: str | None = None,
) -> None:
    """Write layers into a new GeoPackage 1.2 file.

    Parameters
    ----------
    path : path-like
        The file to create; it must not exist.
    layers : mapping of layer name to frame
        GeoDataFrames become feature layers, plain DataFrames attribute tables. The index is written as a
        column (named after it). Layer names are snake_case ASCII.
    timestamp : str, optional
        ``gpkg_contents.last_change`` of every layer (GDAL's ``OGR_CURRENT_DATE``), from :func:`gpkg_timestamp`;
        by default ``gpkg_timestamp()``. Never the clock, so that identical runs write identical files.

    Raises
    ------
    ExportError
        If the file exists, a layer name is not snake_case ASCII, or GDAL fails.
    """
    path = Path(path)
    if path.exists():
        raise ExportError(f"{path} exists already; write_layers creates a new file")
    for name in layers:
        if not name.isascii() or not name.replace("_", "a").isalnum() or name != name.lower():
            raise ExportError(f"layer name needs to be snake_case ASCII; {name!r} was given instead")
    with _gdal_config(OGR_CURRENT_DATE=timestamp or gpkg_timestamp(), OGR_SQLITE_JOURNAL="DELETE"):
        for i, (name, frame) in enumerate(layers.items()):
            out = frame.reset_index() if frame.index.name else frame
            kwargs: dict[str, object] = {"layer": name, "driver": "GPKG"}
            if i == 0:
                kwargs["dataset_options"] = {"VERSION": "1.2"}
            try:
                pyogrio.write_dataframe(out, path, **kwargs)  # type: ignore[arg-type]
            except Exception as exc:  # GDAL raises several types; name the layer and file
                raise ExportError(f"writing layer {name!r} to {path} failed: {exc}") from exc
    logger.debug("wrote %d layers to %s", len(layers), path)


def finalize_geopackage(path: str | os.PathLike[str]) -> None:
    """Make a finished GeoPackage a single self-contained, compact file on disk.

    Sets ``journal_mode=DELETE`` (no ``-wal``/``-shm`` companions that a copy could miss), rebuilds the file with
    ``VACUUM`` (the same content always gives the same bytes), checks ``PRAGMA integrity_check`` and flushes the
    file to disk with ``fsync``.

    Raises
    ------
    ExportError
        If SQLite reports a problem.
    """
    path = Path(path)
    try:
        con = sqlite3.connect(path, isolation_level=None)
        try:
            mode = con.execute("PRAGMA journal_mode=DELETE").fetchone()[0]
            con.execute("VACUUM")
            check = con.execute("PRAGMA integrity_check").fetchone()[0]
        finally:
            con.close()
    except sqlite3.Error as exc:
        raise ExportError(f"{path}: SQLite failed while finalising the GeoPackage: {exc}") from exc
    if mode.lower() != "delete" or check != "ok":
        raise ExportError(f"{path}: journal mode {mode!r}, integrity check {check!r}; expected 'delete' and 'ok'")
    with open(path, "rb") as f:
        os.fsync(f.fileno())


def validate_geopackage(path: str | os.PathLike[str], expected: Mapping[str, int]) -> None:
    """Validate a GeoPackage before it is published.

    Checks, in order: GeoPackage 1.2 header (application_id and user_version), GDAL's validator, the layers and
    their feature counts, and that every feature layer reads back with parseable geometries and a CRS.

    Parameters
    ----------
    path : path-like
    expected : mapping of layer name to feature count

    Raises
    ------
    ExportError
        Naming the file and what failed.
    """
    path = Path(path)
    con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        app_id = con.execute("PRAGMA application_id").fetchone()[0]
        user_version = con.execute("PRAGMA user_version").fetchone()[0]
    finally:
        con.close()
    if app_id != GPKG_APPLICATION_ID or user_version != GPKG_USER_VERSION_1_2:
        raise ExportError(
            f"{path}: expected a GeoPackage 1.2 (application_id 0x47504B47, user_version 10200); "
            f"found application_id {app_id:#x}, user_version {user_version}"
        )
    try:
        from osgeo_utils.samples import validate_gpkg
    except ImportError as exc:  # a runtime dependency: its absence is a broken installation
        raise ExportError("GDAL's GeoPackage validator is not installed (package gdal-utils)") from exc
    messages = io.StringIO()
    try:
        errors = validate_gpkg.check(
            str(path),
            abort_at_first_error=False,
            warning_msg=True,
            myprint=lambda *a: print(*a, file=messages),
        )
    except Exception as exc:
        raise ExportError(f"{path}: GDAL's GeoPackage validator failed: {exc}") from exc
    if errors:
        raise ExportError(f"{path}: GDAL's GeoPackage validator reports: {errors}")
    found = {name: None for name, _ in pyogrio.list_layers(path)}
    missing = sorted(set(expected) - set(found))
    if missing:
        raise ExportError(f"{path}: layers {missing} are missing; found {sorted(found)}")
    for name, count in expected.items():
        info = pyogrio.read_info(path, layer=name)
        if info["features"] != count:
            raise ExportError(f"{path}, layer {name!r}: {info['features']} features, expected {count}")
        if info["geometry_type"] is not None:
            if not info["crs"]:
                raise ExportError(f"{path}, layer {name!r}: no CRS")
            back = pyogrio.read_dataframe(path, layer=name, columns=[])
            if back.geometry.isna().any() or back.geometry.is_empty.any():
                raise ExportError(f"{path}, layer {name!r}: geometries do not read back")
    logger.debug("validated %s: %s", path, dict(expected))
