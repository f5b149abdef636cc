"""Strict parsing of Greek-formatted numbers."""

import numpy as np
import pytest

from spatial_poverty.errors import IngestError
from spatial_poverty.ingest.numbers import parse_column, parse_decimal_el, parse_int_el


@pytest.mark.parametrize(
    ("text", "expected"), [("10.816.286", 10816286), ("1.811", 1811), ("0", 0), ("7", 7), ("-3.100", -3100)]
)
def test_int_accepts_greek_thousands(text, expected):
    assert parse_int_el(text) == expected


@pytest.mark.parametrize("text", ["18.1", "1,5", "", "1 000", "10.81.286", "1.2345", "abc", "1.000,5"])
def test_int_refuses_everything_else(text):
    with pytest.raises(ValueError, match="needs to be an integer"):
        parse_int_el(text)


@pytest.mark.parametrize(("text", "expected"), [("48,9", 48.9), ("-3,1", -3.1), ("1.234,5", 1234.5), ("100", 100.0)])
def test_decimal(text, expected):
    assert parse_decimal_el(text) == expected


@pytest.mark.parametrize("text", ["18.1", "48.9", "1,2,3", ""])
def test_decimal_refuses_dot_decimals(text):
    with pytest.raises(ValueError, match="needs to be a number"):
        parse_decimal_el(text)


def test_column_reports_every_bad_cell_with_file_column_row_and_value():
    with pytest.raises(IngestError) as info:
        parse_column(
            ["1.000", "18.1", "", "2"],
            kind="int",
            source="dimdata.json",
            column="Pop",
            rows=["0101", "0102", "0103", "0104"],
        )
    msg = str(info.value)
    assert "dimdata.json" in msg and "'Pop'" in msg
    assert "row 0102: '18.1'" in msg and "row 0103: empty cell" in msg
    assert "2 cell(s)" in msg


def test_column_types():
    out = parse_column(["1.000", "2"], kind="int", source="f", column="c")
    assert out.dtype == np.int64 and out.tolist() == [1000, 2]
    out = parse_column(["48,9", ""], kind="decimal", source="f", column="c", allow_missing=True)
    assert out[0] == 48.9 and np.isnan(out[1])
