"""spatial_poverty: spatial analysis of poverty and social exclusion for the Greek Regional Observatories.

Stages, one subpackage each:

- :mod:`spatial_poverty.ingest`: the data catalogue, ``data sync`` and readers of the sources;
- :mod:`spatial_poverty.indicators`: indicators per municipality;
- :mod:`spatial_poverty.stats`: spatial weights (with an island policy) and autocorrelation statistics;
- :mod:`spatial_poverty.export`: GeoPackage, manifest and safe publication of a run's outputs;
- :mod:`spatial_poverty.maps`: the interactive map that works offline;
- :mod:`spatial_poverty.pipeline`: the pipeline config schema and the runner;
- :mod:`spatial_poverty.cli`: the ``spatial-poverty`` command.

A published run as data frames: ``spatial_poverty.open_run(path)`` (:mod:`spatial_poverty.published`).

Importing the package reads no file and has no side effect.
"""

from spatial_poverty.lazy import lazy_exports

__version__ = "0.1.0"

__all__ = ["PublishedRun", "__version__", "open_run"]

# Imported on first use (no import statement: modules that import __version__ from here stay out of a circle).
__getattr__ = lazy_exports(__name__, {"published": ("PublishedRun", "open_run")})
