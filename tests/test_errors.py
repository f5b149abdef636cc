"""The error classes: one root, each also a builtin, each raised with a message that says what to do."""

import pytest

from spatial_poverty import errors


@pytest.mark.parametrize(
    ("cls", "builtin"),
    [
        (errors.ConfigError, ValueError),
        (errors.DataSourceError, OSError),
        (errors.IngestError, ValueError),
        (errors.StatisticsError, ValueError),
        (errors.ExportError, OSError),
        (errors.OutputExistsError, FileExistsError),
        (errors.RunLockedError, BlockingIOError),
    ],
)
def test_hierarchy(cls, builtin):
    assert issubclass(cls, errors.SpatialPovertyError)
    assert issubclass(cls, builtin)
    with pytest.raises(builtin, match="boom"):
        raise cls("boom")
