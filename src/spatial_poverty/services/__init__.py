"""Social services: the registry (or its OpenStreetMap stand-in), demand at settlements, and the access stage.

The travel model and the measures are in :mod:`spatial_poverty.access`; this package reads and places the
services, builds the demand points and wires both into a pipeline run.

Its names are imported on first use (:mod:`spatial_poverty.lazy`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from spatial_poverty.lazy import lazy_exports

if TYPE_CHECKING:
    from spatial_poverty.services.gazetteer import PRECISIONS, Gazetteer, place_key
    from spatial_poverty.services.registry import (
        OSM_ATTRIBUTION,
        Registry,
        find_duplicates,
        osm_services,
        read_registry,
    )
    from spatial_poverty.services.vocabulary import OSM_TAGS, SERVICE_TYPES, service_type

__all__ = [
    "OSM_ATTRIBUTION",
    "OSM_TAGS",
    "PRECISIONS",
    "SERVICE_TYPES",
    "Gazetteer",
    "Registry",
    "find_duplicates",
    "osm_services",
    "place_key",
    "read_registry",
    "service_type",
]

__getattr__ = lazy_exports(
    __name__,
    {
        "gazetteer": (
            "PRECISIONS",
            "Gazetteer",
            "place_key",
        ),
        "registry": (
            "OSM_ATTRIBUTION",
            "Registry",
            "find_duplicates",
            "osm_services",
            "read_registry",
        ),
        "vocabulary": (
            "OSM_TAGS",
            "SERVICE_TYPES",
            "service_type",
        ),
    },
)
