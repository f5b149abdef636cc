"""Strict parsing of numbers written as Greek text ("10.816.286", "48,9").

``pandas.read_csv(decimal=",", thousands=".")`` silently turns a stray "18.1" into 181. These parsers accept
only the exact Greek forms and report every cell that does not match, with where it was found.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

import numpy as np
import pandas as pd

from spatial_poverty.errors import IngestError

__all__ = ["parse_cells", "parse_column", "parse_decimal_el", "parse_int_el"]

# Digits with optional '.' thousands groups, all of exactly three digits: "7", "1.811", "10.816.286".
_INT_EL = re.compile(r"^-?(?:\d{1,3}(?:\.\d{3})+|\d+)$")
# The same with an optional ',' decimal part: "48,9", "-3,1", "1.234,5".
_DEC_EL = re.compile(r"^-?(?:\d{1,3}(?:\.\d{3})+|\d+)(?:,\d+)?$")


def parse_int_el(text: str) -> int:
    """Parse an integer written with '.' thousands separators.

    Parameters
    ----------
    text : str
        The cell as text, for example ``"10.816.286"``.

    Returns
    -------
    int

    Raises
    ------
    ValueError
        If ``text`` is not of that exact form ("18.1", "1,5", "" and "1 000" are refused).

    Examples
    --------
    >>> parse_int_el("10.816.286")
    10816286
    >>> parse_int_el("0")
    0
    """
    s = text.strip()
    if not _INT_EL.match(s):
        raise ValueError(f"needs to be an integer with '.' thousands separators; {text!r} was given instead")
    return int(s.replace(".", ""))


def parse_decimal_el(text: str) -> float:
    """Parse a decimal number written with ',' for decimals and '.' for thousands.

    Examples
    --------
    >>> parse_decimal_el("48,9")
    48.9
    >>> parse_decimal_el("-3,1")
    -3.1
    """
    s = text.strip()
    if not _DEC_EL.match(s):
        raise ValueError(
            f"needs to be a number with ',' decimals and '.' thousands separators; {text!r} was given instead"
        )
    return float(s.replace(".", "").replace(",", "."))


def parse_column(
    values: Sequence[object] | pd.Series,
    *,
    kind: str,
    source: str,
    column: str,
    rows: Iterable[object] | None = None,
    allow_missing: bool = False,
) -> np.ndarray:
    """Parse a whole column strictly and report every bad cell at once.

    Parameters
    ----------
    values : sequence of str
        The cells as text.
    kind : {"int", "decimal"}
        Which form is expected.
    source : str
        The file (and sheet) the column comes from, used in the error message.
    column : str
        The column's name, used in the error message.
    rows : iterable, optional
        A label per cell (row number or code) for the error message; positions by default.
    allow_missing : bool, default False
        Whether empty cells become NaN; otherwise an empty cell is an error.

    Returns
    -------
    numpy.ndarray
        int64 when ``kind="int"`` and nothing is missing, float64 otherwise.

    Raises
    ------
    IngestError
        Listing up to 20 bad cells with their row, the value found and the form expected.
    """
    if kind not in ("int", "decimal"):
        raise ValueError(f"kind needs to be 'int' or 'decimal'; {kind!r} was given instead")
    parse = parse_int_el if kind == "int" else parse_decimal_el
    labels = list(rows) if rows is not None else list(range(len(values)))
    out: list[float | int] = []
    bad: list[str] = []
    for label, value in zip(labels, list(values), strict=True):
        text = "" if value is None else str(value)
        if text.strip() == "":
            if allow_missing:
                out.append(np.nan)
                continue
            bad.append(f"row {label}: empty cell")
            continue
        try:
            out.append(parse(text))
        except ValueError:
            bad.append(f"row {label}: {text!r}")
    if bad:
        expected = (
            "an integer with '.' thousands separators (e.g. '10.816.286')"
            if kind == "int"
            else "a number with ',' decimals (e.g. '48,9')"
        )
        shown = "; ".join(bad[:20]) + (f"; and {len(bad) - 20} more" if len(bad) > 20 else "")
        raise IngestError(f"{source}, column {column!r}: {len(bad)} cell(s) are not {expected}: {shown}")
    arr = np.asarray(out, dtype=float)
    if kind == "int" and not np.isnan(arr).any():
        return arr.astype(np.int64)
    return arr


def parse_cells(
    values: Sequence[object] | pd.Series,
    *,
    kind: str,
    source: str,
    column: str,
    rows: Iterable[object] | None = None,
    allow_missing: bool = False,
) -> np.ndarray:
    """Parse typed cells (from a workbook) strictly: numbers as they are, text in the Greek form only.

    A workbook cell is a number (int or float), empty (NaN/None) or text. Numbers are taken as they are (an
    integer column refuses a float with a fractional part); text is parsed with :func:`parse_int_el` or
    :func:`parse_decimal_el`, so a stray ``"18.1"`` in an integer column is refused, not read as 181.

    Raises
    ------
    IngestError
        Listing up to 20 bad cells with their row, the value found and the form expected.
    """
    if kind not in ("int", "decimal"):
        raise ValueError(f"kind needs to be 'int' or 'decimal'; {kind!r} was given instead")
    labels = list(rows) if rows is not None else list(range(len(values)))
    out: list[float] = []
    bad: list[str] = []
    for label, value in zip(labels, list(values), strict=True):
        if (
            value is None
            or (isinstance(value, float) and np.isnan(value))
            or (isinstance(value, str) and value.strip() == "")
        ):
            if allow_missing:
                out.append(np.nan)
            else:
                bad.append(f"row {label}: empty cell")
            continue
        if isinstance(value, bool):
            bad.append(f"row {label}: {value!r}")
        elif isinstance(value, int | np.integer):
            out.append(float(value))
        elif isinstance(value, float | np.floating):
            if kind == "int" and not float(value).is_integer():
                bad.append(f"row {label}: {value!r} (not a whole number)")
            else:
                out.append(float(value))
        else:
            try:
                out.append(float(parse_int_el(str(value)) if kind == "int" else parse_decimal_el(str(value))))
            except ValueError:
                bad.append(f"row {label}: {value!r}")
    if bad:
        expected = "a whole number" if kind == "int" else "a number"
        shown = "; ".join(bad[:20]) + (f"; and {len(bad) - 20} more" if len(bad) > 20 else "")
        raise IngestError(
            f"{source}, column {column!r}: {len(bad)} cell(s) are not {expected} "
            f"(text must be in the Greek form, e.g. '10.816.286' or '48,9'): {shown}"
        )
    arr = np.asarray(out, dtype=float)
    if kind == "int" and not np.isnan(arr).any():
        return arr.astype(np.int64)
    return arr
