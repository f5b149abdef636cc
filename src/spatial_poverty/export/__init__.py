"""Export: GeoPackage 1.2 layers, validation, and publication of a run's outputs whole or not at all."""

from spatial_poverty.export.geopackage import validate_geopackage, write_layers
from spatial_poverty.export.publish import check_target, discard_staging, make_staging, publish

__all__ = [
    "check_target",
    "discard_staging",
    "make_staging",
    "publish",
    "validate_geopackage",
    "write_layers",
]
