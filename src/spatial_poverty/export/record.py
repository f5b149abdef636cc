"""What a delivery is: its name, titles, release stamp, sources and the reproducible record of its run.

:mod:`spatial_poverty.export.metadata` describes a :class:`Delivery`; :mod:`spatial_poverty.export.delivery`
writes it. Both import this module and neither imports the other's module for it (one-way dependencies).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from spatial_poverty.export.geopackage import gpkg_timestamp

__all__ = ["Delivery", "SourceRef"]


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
    layer_notes : mapping
        Layer name -> what its values rest on (data years and sources), written as the layer's description
        (``gpkg_contents.description``, which QGIS shows as the layer's abstract).
    """

    name: str
    title: str
    title_en: str | None = None
    timestamp: str = field(default_factory=gpkg_timestamp)
    crs: str = "EPSG:2100"
    sources: Sequence[SourceRef] = ()
    record: Mapping[str, Any] = field(default_factory=dict)
    layer_notes: Mapping[str, str] = field(default_factory=dict)
