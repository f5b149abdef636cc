"""The delivered GeoPackage: checked against the exchange schema, styled, documented, finalised and validated.

:func:`build_geopackage` is the one entry point the runner calls. It writes the layers (GeoPackage 1.2, fixed
timestamps), then adds in the same file what a GIS office needs to use it as it is, and finally makes the file
compact, self-contained and flushed to disk before GDAL's validator reads it.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd

from spatial_poverty.export.geopackage import finalize_geopackage, gpkg_timestamp, validate_geopackage, write_layers

__all__ = ["Delivery", "SourceRef", "build_geopackage"]

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class SourceRef:
    """An input named in the metadata: who published it, under which licence, with which attribution."""

    id: str
    title: str
    publisher: str
    licence: str
    attribution: str
    landing_page: str = ""
    sha256: str = ""


@dataclass(frozen=True)
class Delivery:
    """What the metadata of a delivery says about it.

    Parameters
    ----------
    name : str
        The pipeline's name (file identifier of the metadata, name of the stored QGIS project).
    title, title_en : str
        Greek and English titles.
    timestamp : str
        The release stamp (:func:`~spatial_poverty.export.geopackage.gpkg_timestamp`), never the clock.
    crs : str
        ``EPSG:2100`` (default), ``EPSG:4326`` or ``EPSG:3035``; feature layers are projected to it.
    sources : sequence of SourceRef
    record : mapping
        The reproducible part of the run manifest (config, input SHA-256s, versions, seed, statistics), stored as
        JSON in ``gpkg_metadata``.
    """

    name: str
    title: str
    title_en: str | None = None
    timestamp: str = field(default_factory=gpkg_timestamp)
    crs: str = "EPSG:2100"
    sources: Sequence[SourceRef] = ()
    record: Mapping[str, Any] = field(default_factory=dict)


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
        if isinstance(frame, gpd.GeoDataFrame) and frame.crs is not None and frame.crs != delivery.crs:
            frame = frame.to_crs(delivery.crs)
        out[name] = frame
    write_layers(path, out, timestamp=delivery.timestamp)
    finalize_geopackage(path)
    validate_geopackage(path, {name: len(f) for name, f in out.items()})
    logger.info("GeoPackage %s: %d layers", path.name, len(out))
    return path
