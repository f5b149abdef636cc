"""Readers of the files an observatory brings: benefit counts, registered unemployed, a social-services registry.

The formats are documented in ``docs/user_formats.md`` (with example headers). All three are CSV with ``;`` as
delimiter (what Greek-locale Excel writes), an encoding stated by the caller (``utf-8-sig`` by default;
``cp1253`` and ``iso-8859-7`` are accepted, never guessed), the ELSTAT **2021** municipality code as 4-digit text,
and counts as whole numbers in the Greek form ("1.234"). A small count suppressed for confidentiality is written
``<5`` or ``*``: it is read as missing and reported, never as a number.
"""

from __future__ import annotations

import csv
import io
import logging
import os
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from spatial_poverty.errors import IngestError
from spatial_poverty.ingest.numbers import parse_decimal_el, parse_int_el
from spatial_poverty.ingest.sniff import decode_text

__all__ = [
    "BENEFITS",
    "REGISTERED_UNEMPLOYED",
    "SERVICES",
    "TableSpec",
    "UserTable",
    "read_user_table",
]

logger = logging.getLogger(__name__)

ENCODINGS = ("utf-8-sig", "utf-8", "cp1253", "iso-8859-7")
SUPPRESSED = ("<5", "*", "<3", "<10")
_PERIOD = re.compile(r"^\d{4}(-(0[1-9]|1[0-2])|-Q[1-4])?$")
_CODE = re.compile(r"^\d{4}$")


@dataclass(frozen=True)
class TableSpec:
    """A user format: its columns and their kinds, and the key that must be unique."""

    name: str
    required: dict[str, str]
    optional: dict[str, str] = field(default_factory=dict)
    key: tuple[str, ...] = ()
    choices: dict[str, tuple[str, ...]] = field(default_factory=dict)


#: Benefit counts by municipality, period and benefit (ΚΕΑ, child, housing): households and persons.
BENEFITS = TableSpec(
    name="benefits",
    required={"code": "code", "period": "period", "benefit": "choice", "households": "count", "persons": "count"},
    optional={"amount_eur": "decimal"},
    key=("code", "period", "benefit"),
    choices={"benefit": ("kea", "child", "housing")},
)

#: Registered unemployed (ΔΥΠΑ) by municipality and period.
REGISTERED_UNEMPLOYED = TableSpec(
    name="registered_unemployed",
    required={"code": "code", "period": "period", "registered_unemployed": "count"},
    optional={"long_term": "count", "women": "count"},
    key=("code", "period"),
)

#: A social-services registry: one row per service point.
SERVICES = TableSpec(
    name="services",
    required={
        "service_id": "text",
        "type": "choice",
        "name": "text",
        "code": "code",
        "lat": "decimal",
        "lon": "decimal",
    },
    optional={"address": "text"},
    key=("service_id",),
    choices={"type": ("community_centre", "social_grocery", "kep", "social_pharmacy", "shelter", "other")},
)


@dataclass
class UserTable:
    """A validated user table and what was found on the way."""

    frame: pd.DataFrame
    suppressed: list[str] = field(default_factory=list)


def read_user_table(
    path: str | os.PathLike[str],
    spec: TableSpec,
    *,
    encoding: str = "utf-8-sig",
    known_codes: Iterable[str] | None = None,
) -> UserTable:
    """Read and validate a user file against its format.

    Parameters
    ----------
    path : path-like
        The CSV file (``;`` delimited).
    spec : TableSpec
        :data:`BENEFITS`, :data:`REGISTERED_UNEMPLOYED` or :data:`SERVICES`.
    encoding : str, default "utf-8-sig"
        One of ``utf-8-sig``, ``utf-8``, ``cp1253``, ``iso-8859-7``: stated, never guessed.
    known_codes : iterable of str, optional
        The ELSTAT 2021 municipality codes of the run; a code outside them is an error.

    Returns
    -------
    UserTable
        The typed frame (counts Int64, suppressed cells missing) and the list of suppressed cells.

    Raises
    ------
    IngestError
        Naming the file, row and column: the file is empty or not in the encoding given, a required column is
        missing, a code is not 4 digits or unknown, a period is not YYYY / YYYY-MM / YYYY-Qn, a value is not
        one of its choices or not a number in the Greek form ("18.1" in a count column is refused), or the key
        repeats.
    """
    path = Path(path)
    if encoding not in ENCODINGS:
        raise IngestError(f"encoding needs to be one of {ENCODINGS}; {encoding!r} was given instead")
    data = path.read_bytes()
    if not data.strip():
        raise IngestError(f"{path}: the file is empty; expected a ';' separated {spec.name} table")
    text = decode_text(data, encoding, path, setting="encoding")
    text = text.removeprefix("\ufeff")
    if not text.strip():
        raise IngestError(f"{path}: the file is empty; expected a ';' separated {spec.name} table")
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=";")
    try:
        rows = list(reader)
    except csv.Error as exc:
        raise IngestError(f"{path}, row {reader.line_num}: not a readable ';' separated table ({exc})") from exc
    header = [h.strip() for h in rows[0]]
    missing = [c for c in spec.required if c not in header]
    if missing:
        raise IngestError(f"{path}: {spec.name} column(s) {missing} are missing; the header has {header}")
    known = set(known_codes) if known_codes is not None else None
    kinds = {**spec.required, **spec.optional}
    cols = [c for c in header if c in kinds]
    out: dict[str, list[object]] = {c: [] for c in cols}
    bad: list[str] = []
    suppressed: list[str] = []
    for n, row in enumerate(rows[1:], start=2):
        if not any(cell.strip() for cell in row):
            continue
        if len(row) != len(header):
            bad.append(f"row {n}: {len(row)} fields, the header has {len(header)}")
            continue
        cells = dict(zip(header, (c.strip() for c in row), strict=True))
        for c in cols:
            v = cells[c]
            kind = kinds[c]
            where = f"row {n}, column {c!r}"
            try:
                if kind == "code":
                    if not _CODE.match(v):
                        raise ValueError(f"{v!r} is not a 4-digit ELSTAT 2021 code")
                    if known is not None and v not in known:
                        raise ValueError(f"{v!r} is not an ELSTAT 2021 municipality code of this run")
                    out[c].append(v)
                elif kind == "period":
                    if not _PERIOD.match(v):
                        raise ValueError(f"{v!r} is not YYYY, YYYY-MM or YYYY-Qn")
                    out[c].append(v)
                elif kind == "choice":
                    if v not in spec.choices[c]:
                        raise ValueError(f"{v!r} is not one of {spec.choices[c]}")
                    out[c].append(v)
                elif kind == "count":
                    if v in SUPPRESSED:
                        suppressed.append(f"{where}: {v!r}")
                        out[c].append(pd.NA)
                    elif v == "" and c in spec.optional:
                        out[c].append(pd.NA)
                    else:
                        out[c].append(parse_int_el(v))
                elif kind == "decimal":
                    out[c].append(np.nan if v == "" and c in spec.optional else parse_decimal_el(v))
                else:
                    if v == "" and c in spec.required:
                        raise ValueError("empty")
                    out[c].append(v)
            except ValueError as exc:
                bad.append(f"{where}: {exc}")
                out[c].append(None)
    if bad:
        shown = "; ".join(bad[:20]) + (f"; and {len(bad) - 20} more" if len(bad) > 20 else "")
        raise IngestError(f"{path} ({spec.name}): {len(bad)} problem(s): {shown}")
    frame = pd.DataFrame(out)
    for c in cols:
        if kinds[c] == "count":
            frame[c] = pd.array(frame[c], dtype="Int64")
    if frame.empty:
        raise IngestError(f"{path}: the {spec.name} table has a header but no rows")
    if spec.key:
        dup = frame[frame.duplicated(subset=list(spec.key), keep=False)]
        if len(dup):
            keys = dup[list(spec.key)].drop_duplicates().astype(str).agg("/".join, axis=1).tolist()
            raise IngestError(f"{path} ({spec.name}): key {spec.key} appears more than once: {keys[:20]}")
    if spec is SERVICES:
        off = frame[~frame["lat"].between(33.5, 42.0) | ~frame["lon"].between(18.5, 30.5)]
        if len(off):
            raise IngestError(
                f"{path}: services outside Greece's box (lat 33.5-42, lon 18.5-30.5): {off['service_id'].tolist()[:20]}"
            )
    if suppressed:
        logger.warning("%s: %d suppressed small count(s) read as missing", path, len(suppressed))
    return UserTable(frame=frame, suppressed=suppressed)
