"""The raw layer of workbook readers: cells of one sheet, with errors that name the file and the sheet.

Both ``.xls`` (BIFF8, ELSTAT's 2011 census tables) and ``.xlsx`` (the Ministry's code list, the LFS series) are
read by calamine, whose strings are Unicode: the workbook, not us, carries the encoding. Cells keep their
types (int, float, str; empty cells are NaN): parsing numbers is the typed layer's job.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

import pandas as pd

from spatial_poverty.errors import IngestError

__all__ = ["read_sheet"]

logger = logging.getLogger(__name__)


def read_sheet(path: str | os.PathLike[str], sheet: str | int = 0) -> pd.DataFrame:
    """Read every cell of one sheet, untyped, with no header (row and column labels are 0-based positions).

    Parameters
    ----------
    path : path-like
        An ``.xls`` or ``.xlsx`` workbook.
    sheet : str or int, default 0
        The sheet's name or position.

    Returns
    -------
    pandas.DataFrame
        Object columns holding int, float or str cells; empty cells are NaN.

    Raises
    ------
    IngestError
        If the file is empty, is not a workbook calamine can read (truncated, another format), or has no such
        sheet (the message lists the sheets it has).
    """
    path = Path(path)
    if path.stat().st_size == 0:
        raise IngestError(f"{path}: the file is empty; expected an Excel workbook")
    try:
        from python_calamine import CalamineWorkbook
    except ImportError as exc:  # a runtime dependency: its absence is a broken installation
        raise IngestError("reading Excel workbooks needs the package python-calamine") from exc
    try:
        wb = CalamineWorkbook.from_path(str(path))
    except Exception as exc:  # calamine raises its own error types for corrupt files
        raise IngestError(f"{path}: not a readable Excel workbook ({type(exc).__name__}: {exc})") from exc
    names = list(wb.sheet_names)
    if isinstance(sheet, int):
        if not 0 <= sheet < len(names):
            raise IngestError(f"{path}: no sheet number {sheet}; the workbook has {names}")
        sheet = names[sheet]
    if sheet not in names:
        raise IngestError(f"{path}: no sheet {sheet!r}; the workbook has {names}")
    try:
        rows = wb.get_sheet_by_name(sheet).to_python(skip_empty_area=False)
    except Exception as exc:
        raise IngestError(f"{path}, sheet {sheet!r}: could not be read ({type(exc).__name__}: {exc})") from exc
    frame = pd.DataFrame(rows, dtype=object)
    frame = frame.map(lambda v: float("nan") if isinstance(v, str) and v == "" else v)
    logger.debug("read %s, sheet %r: %d rows x %d columns", path, sheet, *frame.shape)
    return frame
