"""Readers of Eurostat tables: bulk TSV (dimensions comma-joined in the first column, ':' for missing, flags
after the value) and the long CSV of ``tgs00026`` (disposable income by NUTS 2).
"""

from __future__ import annotations

import csv
import io
import logging
import os
import re
from pathlib import Path

import numpy as np
import pandas as pd

from spatial_poverty.errors import IngestError
from spatial_poverty.ingest.sniff import decode_text

__all__ = ["read_eurostat_long_csv", "read_eurostat_tsv", "read_text"]

logger = logging.getLogger(__name__)

# A value, optionally followed by flags ("30.8 b", "17.7 e"); ':' alone (or with flags) is missing.
_VALUE = re.compile(r"^(?P<num>-?\d+(?:\.\d+)?)?\s*(?P<flags>[a-z]*)$")
_MISSING = re.compile(r"^:\s*(?P<flags>[a-z]*)$")


def read_text(path: Path) -> str:
    """The text of a Eurostat or GISCO download (UTF-8, with or without BOM), refusing an empty file."""
    if path.stat().st_size == 0:
        raise IngestError(f"{path}: the file is empty")
    return decode_text(path.read_bytes(), "utf-8-sig", path)


def read_eurostat_tsv(path: str | os.PathLike[str]) -> pd.DataFrame:
    """Read a Eurostat bulk TSV into a long table.

    Returns
    -------
    pandas.DataFrame
        One row per cell: the dimension columns (named as in the header, e.g. ``unit``, ``geo``), ``time``
        (text), ``value`` (float, NaN for ':') and ``flag`` (text, '' when none).

    Raises
    ------
    IngestError
        If the file is empty or not UTF-8, the header has no ``\\TIME`` dimension, a row has the wrong number
        of fields or dimensions, or a cell is neither a number (with flags) nor ':' (every bad cell is listed).
    """
    path = Path(path)
    lines = read_text(path).splitlines()
    header = lines[0].split("\t")
    first = header[0]
    if "\\" not in first:
        raise IngestError(f"{path}, line 1: expected 'dim1,dim2,...\\time' in the first column; found {first!r}")
    dims = first.split("\\")[0].split(",")
    times = [h.strip() for h in header[1:]]
    rows = []
    bad = []
    for n, line in enumerate(lines[1:], start=2):
        if not line.strip():
            continue
        fields = line.split("\t")
        if len(fields) != len(header):
            raise IngestError(f"{path}, line {n}: {len(fields)} fields; the header has {len(header)}")
        keys = fields[0].split(",")
        if len(keys) != len(dims):
            raise IngestError(f"{path}, line {n}: {len(keys)} dimensions {keys}; the header names {dims}")
        for t, cell in zip(times, fields[1:], strict=True):
            s = cell.strip()
            m = _MISSING.match(s)
            if m:
                rows.append((*keys, t, np.nan, m["flags"]))
                continue
            m = _VALUE.match(s)
            if not m or m["num"] is None:
                bad.append(f"line {n} ({fields[0]}), column {t!r}: {cell!r}")
                continue
            rows.append((*keys, t, float(m["num"]), m["flags"]))
    if bad:
        raise IngestError(
            f"{path}: {len(bad)} cell(s) are neither a number (with optional flags, e.g. '30.8 b') nor ':': "
            + "; ".join(bad[:20])
        )
    out = pd.DataFrame(rows, columns=[*dims, "time", "value", "flag"])
    dup = out.duplicated(subset=[*dims, "time"], keep=False)
    if dup.any():
        raise IngestError(f"{path}: rows appear more than once: {out.loc[dup, dims].drop_duplicates().values[:5]}")
    return out


def read_eurostat_long_csv(path: str | os.PathLike[str], *, value: str = "values") -> pd.DataFrame:
    """Read a Eurostat long CSV (``geo``, ``time``, ``values`` and dimension columns), strictly typed.

    Raises
    ------
    IngestError
        If the file is empty or not UTF-8, a column is missing, a value is not a number, or (geo, time) repeats.
    """
    path = Path(path)
    text = read_text(path)
    reader = csv.DictReader(io.StringIO(text))
    need = ["geo", "time", value]
    missing = [c for c in need if c not in (reader.fieldnames or [])]
    if missing:
        raise IngestError(f"{path}: column(s) {missing} are missing; the header has {reader.fieldnames}")
    rows = list(reader)
    bad = []
    vals = []
    for n, r in enumerate(rows, start=2):
        try:
            vals.append(float(r[value]))
        except (TypeError, ValueError):
            bad.append(f"line {n}: {r[value]!r}")
            vals.append(np.nan)
    if bad:
        raise IngestError(f"{path}, column {value!r}: not a number: " + "; ".join(bad[:20]))
    out = pd.DataFrame(rows)
    out["value"] = vals
    dup = out.duplicated(subset=["geo", "time"], keep=False)
    if dup.any():
        raise IngestError(f"{path}: (geo, time) repeated: {out.loc[dup, ['geo', 'time']].values[:5].tolist()}")
    return out
