"""The package's errors: one root, a few subclasses that also inherit a builtin."""

from __future__ import annotations


class SpatialPovertyError(Exception):
    """Root of every error raised on purpose by spatial_poverty."""


class ConfigError(SpatialPovertyError, ValueError):
    """A pipeline configuration does not match the schema or names something that does not exist."""


class DataSourceError(SpatialPovertyError, OSError):
    """An input file is missing, or differs from the checksum in the data catalogue."""


class IngestError(SpatialPovertyError, ValueError):
    """An input file was read but its content is not what was expected (bad value, unmatched code)."""


class StatisticsError(SpatialPovertyError, ValueError):
    """A statistic cannot be computed on the data or weights given (for example a unit with no neighbour)."""


class ExportError(SpatialPovertyError, OSError):
    """An output could not be written, validated or published."""


class OutputExistsError(ExportError, FileExistsError):
    """The output folder exists already and replacing it was not asked for."""


class RunLockedError(ExportError, BlockingIOError):
    """Another run of the same pipeline is publishing to the same output folder: this one is refused."""
