"""Periods of a register: read in the forms partners write them, one form per file, written back as ``YYYY-MM``,
``YYYY-Qn`` or ``YYYY``.

A file mixing forms (``2024-06`` and ``06/2024``, or months and quarters) is refused: the same month written two
ways would otherwise become two periods, or a quarter be compared with a month.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence

__all__ = ["FORMS", "Period", "period_form", "period_index", "read_periods"]

#: The forms read, with an example and the canonical form's resolution.
FORMS: dict[str, tuple[re.Pattern[str], str, str]] = {
    "YYYY-MM": (re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$"), "2024-06", "month"),
    "MM/YYYY": (re.compile(r"^(0?[1-9]|1[0-2])/(\d{4})$"), "06/2024", "month"),
    "YYYYMM": (re.compile(r"^(\d{4})(0[1-9]|1[0-2])$"), "202406", "month"),
    "YYYY-Qn": (re.compile(r"^(\d{4})-?Q([1-4])$"), "2024-Q2", "quarter"),
    "YYYY": (re.compile(r"^(\d{4})$"), "2024", "year"),
}

Period = str


def _canonical(form: str, m: re.Match[str]) -> Period:
    if form == "YYYY-MM" or form == "YYYYMM":
        return f"{m.group(1)}-{m.group(2)}"
    if form == "MM/YYYY":
        return f"{m.group(2)}-{int(m.group(1)):02d}"
    if form == "YYYY-Qn":
        return f"{m.group(1)}-Q{m.group(2)}"
    return m.group(1)


def period_form(value: object) -> tuple[str, Period] | None:
    """The form of one cell and its canonical period, or None when it is no period.

    A workbook date cell is a month (``YYYY-MM``), its form ``date``.

    Examples
    --------
    >>> period_form("06/2024")
    ('MM/YYYY', '2024-06')
    >>> period_form("2024Q3")
    ('YYYY-Qn', '2024-Q3')
    """
    if isinstance(value, (dt.date, dt.datetime)):
        return "date", f"{value.year:04d}-{value.month:02d}"
    text = str(value).strip()
    for form, (rx, _, _) in FORMS.items():
        m = rx.match(text)
        if m:
            return form, _canonical(form, m)
    return None


def read_periods(values: Sequence[object], rows: Sequence[int], where: str) -> tuple[list[Period], list[str]]:
    """Canonical periods of a column, and the problems found (one message per bad cell, and one for mixed forms).

    Parameters
    ----------
    values : cells of the period column
    rows : the file's row number of each cell
    where : the file (and sheet) and column, for the messages
    """
    out: list[Period] = []
    bad: list[str] = []
    first: dict[str, tuple[int, object]] = {}
    for value, row in zip(values, rows, strict=True):
        found = period_form(value)
        if found is None:
            bad.append(
                f"{where}, row {row}: {str(value)!r} is not a period; expected one of "
                f"{', '.join(f'{k} ({v[1]})' for k, v in FORMS.items())}"
            )
            out.append("")
            continue
        form, period = found
        first.setdefault(form, (row, value))
        out.append(period)
    if len(first) > 1:
        shown = "; ".join(f"{form} (first at row {row}: {str(value)!r})" for form, (row, value) in first.items())
        bad.append(f"{where}: periods are written in {len(first)} forms ({shown}); write every period in one form")
    return out, bad


def period_index(period: Period) -> tuple[int, int, str]:
    """A sort key and resolution: ``("2024-06")`` -> ``(2024, 6, "month")``."""
    if "-Q" in period:
        year, q = period.split("-Q")
        return int(year), int(q), "quarter"
    if "-" in period:
        year, month = period.split("-")
        return int(year), int(month), "month"
    return int(period), 0, "year"
