"""Export: GeoPackage 1.2 layers, validation, and publication of a run's outputs whole or not at all."""

from spatial_poverty.export.geopackage import finalize_geopackage, gpkg_timestamp, validate_geopackage, write_layers
from spatial_poverty.export.lock import lock_path, run_lock
from spatial_poverty.export.publish import (
    check_target,
    discard_staging,
    foreign_entries,
    make_staging,
    publish,
    recover,
)

__all__ = [
    "check_target",
    "discard_staging",
    "finalize_geopackage",
    "foreign_entries",
    "gpkg_timestamp",
    "lock_path",
    "make_staging",
    "publish",
    "recover",
    "run_lock",
    "validate_geopackage",
    "write_layers",
]
