"""Reading one register file: CSV (stated encoding and delimiter) or Excel, Greek headers, counts in the Greek
form, suppressed cells, periods in one form.

Every bad cell is reported at once with the file (and sheet), the row as the file numbers it, the column, the
value and what was expected. What is not an error but must be known goes to the data-quality table: cells
suppressed at the source ("<5"), rows repeated exactly (counted once), codes whose leading zero a spreadsheet
dropped, counts written with '.' thousands.
"""

from __future__ import annotations

import csv
import io
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from spatial_poverty.errors import IngestError
from spatial_poverty.ingest.numbers import parse_int_el
from spatial_poverty.ingest.sniff import decode_text
from spatial_poverty.registers.periods import read_periods
from spatial_poverty.registers.spec import RegisterSource

__all__ = ["SUPPRESSED_MARKS", "Finding", "RegisterRows", "drop_repeated_rows", "read_register_file"]

#: How a count suppressed at the source is written.
SUPPRESSED_MARKS = ("<5", "< 5", "<3", "<10", "*", "c", "..")
_THOUSANDS = re.compile(r"^\d{1,3}(?:\.\d{3})+$")
EXCEL = (".xlsx", ".xls", ".xlsm")


@dataclass(frozen=True)
class Finding:
    """One line of the data-quality table (the fields of :class:`~spatial_poverty.harmonise.quality.QualityEntry`)."""

    source: str
    check: str
    rows_read: int | None = None
    matched: int | None = None
    unmatched: tuple[str, ...] = ()
    duplicates: int = 0
    suppressed: int = 0
    detail: str = ""

    def as_kwargs(self) -> dict[str, Any]:
        return {
            "rows_read": self.rows_read,
            "matched": self.matched,
            "unmatched": list(self.unmatched),
            "duplicates": self.duplicates,
            "suppressed": self.suppressed,
            "detail": self.detail,
        }


@dataclass
class RegisterRows:
    """The rows of one file: ``row`` (as the file numbers it), ``key`` (code or name), ``period``, ``count``
    (Int64, missing where suppressed at the source) and ``suppressed`` (bool); and the findings."""

    frame: pd.DataFrame
    findings: list[Finding] = field(default_factory=list)


def _table(path: Path, reg: RegisterSource, setting: str) -> tuple[list[str], list[tuple[int, list[Any]]], str]:
    """Header, data rows (with their row numbers) and the name to cite, from a CSV or a workbook."""
    if path.suffix.lower() in EXCEL:
        from spatial_poverty.ingest.excel import read_sheet

        cells = read_sheet(path, reg.sheet)
        where = f"{path}, sheet {reg.sheet!r}"
        if cells.empty:
            raise IngestError(f"{where}: the sheet is empty; expected a header row and one row per municipality")
        header = ["" if pd.isna(v) else str(v).strip() for v in cells.iloc[0]]
        rows = [
            (i + 1, [None if (isinstance(v, float) and np.isnan(v)) else v for v in cells.iloc[i]])
            for i in range(1, len(cells))
        ]
        return header, rows, where
    data = path.read_bytes()
    if not data.strip():
        raise IngestError(f"{path}: the file is empty; expected a header row and one row per municipality")
    text = decode_text(data, reg.encoding, path, setting=setting).removeprefix("\ufeff")
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=reg.delimiter)
    try:
        table = list(reader)
    except csv.Error as exc:
        raise IngestError(
            f"{path}, row {reader.line_num}: not a readable {reg.delimiter!r} separated table ({exc})"
        ) from exc
    if not table:
        raise IngestError(f"{path}: the file is empty")
    header = [h.strip() for h in table[0]]
    return header, [(i + 1, list(r)) for i, r in enumerate(table[1:], start=1)], str(path)


def _count(value: Any) -> tuple[int | None, str]:
    """A count cell: (value or None when suppressed, how it was written: 'number', 'thousands', 'suppressed').

    Raises ValueError with what was expected."""
    if value is None or (isinstance(value, str) and not value.strip()):
        raise ValueError("empty; write 0, or the suppression mark <5")
    if isinstance(value, bool):
        raise ValueError(f"{value!r} is not a count")
    if isinstance(value, (int, np.integer)):
        n = int(value)
    elif isinstance(value, (float, np.floating)):
        if not float(value).is_integer():
            raise ValueError(f"{value!r} is not a whole number")
        n = int(value)
    else:
        text = str(value).strip()
        if text in SUPPRESSED_MARKS:
            return None, "suppressed"
        n = parse_int_el(text)
        if n < 0:
            raise ValueError(f"{text!r} is negative; a count is 0 or more")
        return n, "thousands" if _THOUSANDS.match(text) else "number"
    if n < 0:
        raise ValueError(f"{value!r} is negative; a count is 0 or more")
    return n, "number"


def _code(value: Any, system: str) -> tuple[str, bool]:
    """A municipality key: 4-digit code (padded when a spreadsheet dropped a leading zero) or a name."""
    if value is None or not str(value).strip():
        raise ValueError("empty")
    if system == "names":
        return str(value).strip(), False
    text = str(int(value)) if isinstance(value, (int, float, np.integer, np.floating)) else str(value).strip()
    if re.fullmatch(r"\d{4}", text):
        return text, False
    if re.fullmatch(r"\d{3}", text):
        return text.zfill(4), True
    raise ValueError(f"{text!r} is not a 4-digit code of the {system} system")


def read_register_file(
    path: str | os.PathLike[str],
    reg: RegisterSource,
    *,
    name: str,
    period: str | None = None,
) -> RegisterRows:
    """Read and check one register file.

    Parameters
    ----------
    path : path-like
        The file (``.csv``/``.txt``, or ``.xlsx``/``.xls``).
    reg : RegisterSource
        The register's declaration (columns, code system, encoding, delimiter, sheet, select).
    name : str
        The register's name (for the messages: ``sources.registers.<name>.encoding``).
    period : str, optional
        The period of every row, for a register with one file per period.

    Raises
    ------
    IngestError
        Naming the file, sheet, row, column and value: undecodable text (with the encoding that would work), a
        missing column, an empty or non-numeric count, a negative count, a count with a decimal part, a code that
        is not 4 digits, a period that is not one, periods in several forms, or a row repeated within a period
        with a different count.
    """
    path = Path(path)
    header, rows, where = _table(path, reg, f"sources.registers.{name}.encoding")
    c = reg.columns
    wanted = [c.code, c.count, *([c.period] if period is None and c.period else []), *reg.select]
    missing = [col for col in wanted if col not in header]
    if missing:
        raise IngestError(
            f"{where}: column(s) {missing} are missing; the header has {header} (set sources.registers.{name}.columns)"
        )
    pos = {col: header.index(col) for col in wanted}
    bad: list[str] = []
    keep: list[tuple[int, list[Any]]] = []
    dropped_by_select = 0
    for n, row in rows:
        if not any(v is not None and str(v).strip() for v in row):
            continue
        if len(row) < len(header):
            row = [*row, *([None] * (len(header) - len(row)))]
        if len(row) > len(header) and any(str(v).strip() for v in row[len(header) :] if v is not None):
            bad.append(f"{where}, row {n}: {len(row)} fields, the header has {len(header)}")
            continue
        if any(str(row[pos[k]]).strip() != v for k, v in reg.select.items()):
            dropped_by_select += 1
            continue
        keep.append((n, row))
    nums = [n for n, _ in keep]
    if period is None:
        periods, period_bad = read_periods([r[pos[c.period]] for _, r in keep], nums, f"{where}, column {c.period!r}")
        bad += period_bad
    else:
        periods = [period] * len(keep)
    keys: list[str] = []
    counts: list[int | None] = []
    padded, thousands, suppressed = [], 0, []
    for (n, row), p in zip(keep, periods, strict=True):
        try:
            key, pad = _code(row[pos[c.code]], reg.code_system)
            if pad:
                padded.append(f"row {n}: {row[pos[c.code]]!r} -> {key}")
        except ValueError as exc:
            bad.append(f"{where}, row {n}, column {c.code!r}: {exc}")
            key = ""
        try:
            value, how = _count(row[pos[c.count]])
        except ValueError as exc:
            bad.append(f"{where}, row {n}, column {c.count!r}: {exc}")
            value, how = None, "bad"
        thousands += how == "thousands"
        if how == "suppressed":
            suppressed.append(f"row {n} ({key}, {p}): {str(row[pos[c.count]]).strip()!r}")
        keys.append(key)
        counts.append(value)
    if bad:
        shown = "\n  ".join(bad[:25]) + (f"\n  ... and {len(bad) - 25} more" if len(bad) > 25 else "")
        raise IngestError(f"register {name!r}: {len(bad)} problem(s) in {where}:\n  {shown}")
    if not keep:
        raise IngestError(f"{where}: no rows" + (f" with {reg.select}" if reg.select else ""))
    frame = pd.DataFrame(
        {
            "row": np.asarray(nums, dtype=np.int64),
            "key": keys,
            "period": periods,
            "count": pd.array(counts, dtype="Int64"),
            "suppressed": [v is None for v in counts],
        }
    )
    label = where.replace(str(path), path.name)  # the published quality table names the file, not this machine
    frame, findings = drop_repeated_rows(frame, label, name)
    findings.insert(
        0,
        Finding(
            label,
            f"register {name}: rows read",
            rows_read=len(keep),
            detail=f"{dropped_by_select} row(s) of other {list(reg.select)} left aside" if reg.select else "",
        ),
    )
    if suppressed:
        findings.append(
            Finding(
                label,
                f"register {name}: counts suppressed at the source (read as missing)",
                suppressed=len(suppressed),
                detail="; ".join(suppressed),
            )
        )
    if padded:
        findings.append(
            Finding(
                label,
                f"register {name}: codes without their leading zero (padded)",
                detail="; ".join(padded[:50]) + (f"; and {len(padded) - 50} more" if len(padded) > 50 else ""),
            )
        )
    if thousands:
        findings.append(
            Finding(
                label,
                f"register {name}: counts written with '.' thousands (read as whole numbers)",
                detail=f"{thousands} cell(s), e.g. 1.234 = 1234",
            )
        )
    return RegisterRows(frame=frame, findings=findings)


def drop_repeated_rows(frame: pd.DataFrame, where: str, name: str) -> tuple[pd.DataFrame, list[Finding]]:
    """Rows repeated within a period: identical ones are counted once (reported); different counts are an error."""
    key = ["key", "period"]
    dup = frame[frame.duplicated(subset=key, keep=False)]
    if dup.empty:
        return frame, []
    conflicts = []
    for (k, p), grp in dup.groupby(key, sort=True):
        values = grp["count"].astype("object").where(~grp["suppressed"], "suppressed")
        if values.nunique(dropna=False) > 1:
            rows = ", ".join(str(r) for r in grp["row"])
            conflicts.append(f"{k} in {p}: rows {rows} give {', '.join(str(v) for v in values)}")
    if conflicts:
        raise IngestError(
            f"register {name!r}, {where}: {len(conflicts)} municipality-period(s) appear more than once with different "
            f"counts; keep one row each:\n  " + "\n  ".join(conflicts[:25])
        )
    repeated = frame[frame.duplicated(subset=key, keep="first")]
    listed = [
        f"row {r} ({k}, {p})" for r, k, p in zip(repeated["row"], repeated["key"], repeated["period"], strict=True)
    ]
    finding = Finding(
        where,
        f"register {name}: rows repeated exactly within a period (counted once)",
        duplicates=len(repeated),
        detail="; ".join(listed),
    )
    return frame.drop(repeated.index).reset_index(drop=True), [finding]
