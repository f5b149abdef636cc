"""spatial_poverty: spatial analysis of poverty and social exclusion for the Greek Regional Observatories.

Stages, one subpackage each:

- :mod:`spatial_poverty.ingest`: the data catalogue, ``data sync`` and readers of the sources;
- :mod:`spatial_poverty.indicators`: indicators per municipality;
- :mod:`spatial_poverty.stats`: spatial weights (with an island policy) and autocorrelation statistics;
- :mod:`spatial_poverty.export`: GeoPackage, manifest and safe publication of a run's outputs;
- :mod:`spatial_poverty.maps`: the interactive map that works offline;
- :mod:`spatial_poverty.pipeline`: the pipeline config schema and the runner;
- :mod:`spatial_poverty.cli`: the ``spatial-poverty`` command.

Importing the package reads no file and has no side effect.
"""

__version__ = "0.1.0"

__all__ = ["__version__"]
