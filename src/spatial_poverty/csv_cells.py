"""CSV cells that a spreadsheet cannot take for a formula.

Names, operators and addresses in our CSV outputs come from partners' files, and the CSVs open straight into
Excel or LibreOffice, which run a cell starting with ``=``, ``+``, ``-`` or ``@`` as a formula
(``=HYPERLINK(...)``, ``@SUM(...)``, DDE). OWASP's rule ("CSV Injection") is applied to every text cell we write:
a cell starting with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return gets a leading apostrophe, which the
spreadsheet shows as text. Numbers are left alone, whether stored as numbers or as their text (``-3.5``,
``+30``, ``-1,5``), so negative values still read as numbers.
"""

from __future__ import annotations

import csv
import os
import re
from collections.abc import Iterable, Mapping
from typing import Any

import pandas as pd

__all__ = ["FORMULA_PREFIXES", "neutralise", "neutralise_frame", "write_csv_rows"]

#: First characters that make a spreadsheet read a cell as a formula (OWASP).
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")

_NUMBER = re.compile(r"[+-]?(\d+([.,]\d*)?|[.,]\d+)([eE][+-]?\d+)?%?")


def neutralise(value: Any) -> Any:
    """``value`` with a leading ``'`` if it is text a spreadsheet would read as a formula; else unchanged.

    Examples
    --------
    >>> neutralise("=HYPERLINK(\\"http://x\\")")
    '\\'=HYPERLINK("http://x")'
    >>> neutralise("-12.5"), neutralise(-12.5), neutralise("Ρόδος")
    ('-12.5', -12.5, 'Ρόδος')
    """
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES) and not _NUMBER.fullmatch(value.strip()):
        return "'" + value
    return value


def neutralise_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``frame`` whose text cells (and text column names) are :func:`neutralised <neutralise>`."""
    out = frame.copy()
    for col in out.columns:
        s = out[col]
        if pd.api.types.is_object_dtype(s) or pd.api.types.is_string_dtype(s):
            out[col] = s.map(neutralise)
    out.columns = [neutralise(c) for c in out.columns]
    return out


def write_csv_rows(
    path: str | os.PathLike[str], fields: list[str], rows: Iterable[Mapping[str, Any]], *, encoding: str = "utf-8"
) -> None:
    """Write dict rows with :class:`csv.DictWriter`, every cell neutralised."""
    with open(path, "w", encoding=encoding, newline="") as f:
        w = csv.DictWriter(f, fieldnames=fields)
        w.writeheader()
        for r in rows:
            w.writerow({k: neutralise(v) for k, v in r.items()})
