"""Readers of ELSTAT's 2011 census workbooks (codes are ELSTAT **2011** codes, not 2021 ones).

- ``raw_census.xls``: resident population 1991, 2001, 2011 by unit, levels 0 (country) to 8 (settlement).
- ``raw_urban.xls``: 2011 resident population, urban/rural (1/2), plain/semi-mountainous/mountainous (Π/Η/Ο) and
  area (km²) of every unit, the code prefixed by NUTS1 (1 character) and NUTS2 (2).

Layered: :func:`~spatial_poverty.ingest.excel.read_sheet` (cells) -> :func:`census_table` /
:func:`urban_table` (typed, validated) -> frames indexed by the 2011 code, as text.
"""

from __future__ import annotations

import logging
import os
import re
from pathlib import Path

import numpy as np
import pandas as pd

from spatial_poverty.errors import IngestError
from spatial_poverty.ingest.excel import read_sheet
from spatial_poverty.ingest.numbers import parse_cells

__all__ = [
    "CODE_LENGTH",
    "census_table",
    "read_census_2011",
    "read_urban_2011",
    "urban_table",
]

logger = logging.getLogger(__name__)

#: Length of the ELSTAT 2011 code at each level (4 regional unit, 5 municipality ... 8 settlement).
CODE_LENGTH = {4: 2, 5: 4, 6: 6, 7: 8, 8: 10}

_CENSUS_HEADER_ROWS = 4
_CENSUS_COLUMNS = ["level", "nuts1", "nuts2", "code", "name", "pop_2011", "dfp_2011", "pop_2001", "dfp_2001"]
_CENSUS_COLUMNS += ["pop_1991", "dfp_1991"]
_CENSUS_HEADER = {0: (1, "Επίπεδο"), 3: (1, "Κωδικός"), 4: (1, "Περιγραφή")}

_URBAN_HEADER_ROW = 3
_URBAN_COLUMNS = ["full_code", "name", "pop_2011", "urban", "mountain", "area_km2"]
_URBAN_HEADER = {0: "Κωδικός", 2: "Μόνιμος", 3: "Αστικότητα", 4: "Ορεινότητα", 5: "Έκταση"}


def census_table(cells: pd.DataFrame, *, source: str) -> pd.DataFrame:
    """Type and validate the cells of ``raw_census.xls`` (sheet ``data``).

    Parameters
    ----------
    cells : pandas.DataFrame
        From :func:`~spatial_poverty.ingest.excel.read_sheet`.
    source : str
        The file and sheet, for messages.

    Returns
    -------
    pandas.DataFrame
        One row per unit with ``level`` (0-8), ``code`` (text, '' for levels 0-3), ``name``, ``pop_1991``,
        ``pop_2001``, ``pop_2011`` (nullable integers: a settlement may not have existed in 1991/2001), and
        ``row`` (the 1-based row in the sheet).

    Raises
    ------
    IngestError
        A missing column or header, a level that is not 0-8, a code whose length does not fit its level, a
        code that appears twice, a population cell that is not a whole number, a 2011 population missing.
    """
    if cells.shape[1] < len(_CENSUS_COLUMNS):
        raise IngestError(
            f"{source}: {cells.shape[1]} columns; expected {len(_CENSUS_COLUMNS)} "
            "(level, NUTS1, NUTS2, code, name, 2011/2001/1991 resident and de facto population)"
        )
    for col, (row, word) in _CENSUS_HEADER.items():
        if len(cells) <= row or word not in str(cells.iat[row, col]):
            found = cells.iat[row, col] if len(cells) > row else None
            raise IngestError(
                f"{source}, row {row + 1}, column {col + 1}: expected the header {word!r}; found {found!r}"
            )
    body = cells.iloc[_CENSUS_HEADER_ROWS:, : len(_CENSUS_COLUMNS)].copy()
    body.columns = _CENSUS_COLUMNS
    body = body[body["level"].notna() | body["code"].notna()]
    if body.empty:
        raise IngestError(f"{source}: no data rows below the {_CENSUS_HEADER_ROWS} header rows")
    rows = [int(i) + 1 for i in body.index]
    level = parse_cells(body["level"], kind="int", source=source, column="Επίπεδο", rows=rows)
    bad = [(r, v) for r, v in zip(rows, level, strict=True) if not 0 <= v <= 8]
    if bad:
        raise IngestError(f"{source}, column 'Επίπεδο': expected a level 0-8; found {bad[:10]}")
    codes = body["code"].map(lambda v: "" if not isinstance(v, str) else v.strip())
    problems = []
    for r, lev, code in zip(rows, level, codes, strict=True):
        want = CODE_LENGTH.get(int(lev))
        if want is None and code:
            problems.append(f"row {r}: level {lev} should have no code; found {code!r}")
        elif want is not None and not (len(code) == want and code.isdigit()):
            problems.append(f"row {r}: level {lev} needs a {want}-digit code; found {code!r}")
    if problems:
        raise IngestError(f"{source}, column 'Κωδικός': " + "; ".join(problems[:20]))
    out = pd.DataFrame(
        {
            "row": rows,
            "level": level.astype(int),
            "code": codes.to_numpy(),
            "name": body["name"].map(lambda v: str(v).strip()).to_numpy(),
        }
    )
    for name, year in (("pop_2011", 2011), ("pop_2001", 2001), ("pop_1991", 1991)):
        vals = parse_cells(
            body[name], kind="int", source=source, column=f"Μόνιμος {year}", rows=rows, allow_missing=True
        )
        out[name] = pd.array(vals, dtype="Int64") if vals.dtype == float else vals
    for name in ("pop_2011", "pop_2001", "pop_1991"):
        negative = out.loc[out[name] < 0, "row"].tolist()
        if negative:
            raise IngestError(f"{source}, column {name!r}: negative population in rows {negative[:20]}")
    missing = out.loc[out["pop_2011"].isna(), "row"].tolist()
    if missing:
        raise IngestError(f"{source}, column 'Μόνιμος 2011': empty cell in rows {missing[:20]}")
    coded = out[out["code"] != ""]
    dup = coded["code"][coded["code"].duplicated(keep=False)]
    if len(dup):
        raise IngestError(f"{source}, column 'Κωδικός': codes appear more than once: {sorted(set(dup))[:20]}")
    return out


def read_census_2011(path: str | os.PathLike[str], *, sheet: str = "data") -> pd.DataFrame:
    """Read ELSTAT's 1991/2001/2011 resident population on 2011 units (``raw_census.xls``).

    Returns
    -------
    pandas.DataFrame
        See :func:`census_table`. The country row's totals are checked against the sum of the municipalities.

    Raises
    ------
    IngestError
        See :func:`census_table`; also when the municipalities do not add up to the country row.
    """
    source = f"{Path(path)}, sheet {sheet!r}"
    table = census_table(read_sheet(path, sheet), source=source)
    country = table[table["level"] == 0]
    munis = table[table["level"] == 5]
    if len(country) != 1:
        raise IngestError(f"{source}: expected one country row (level 0); found {len(country)}")
    for col in ("pop_1991", "pop_2001", "pop_2011"):
        total = int(country[col].iloc[0])
        got = int(munis[col].sum())
        if got != total:
            raise IngestError(f"{source}: municipalities' {col} sum to {got}, the country row says {total}")
    logger.info("%s: %d rows, %d municipalities (2011 codes)", source, len(table), len(munis))
    return table


def urban_table(cells: pd.DataFrame, *, source: str) -> pd.DataFrame:
    """Type and validate the cells of ``raw_urban.xls`` (sheet ``data``).

    Returns
    -------
    pandas.DataFrame
        Indexed by ``code`` (the ELSTAT 2011 code: the first 3 characters, NUTS1 and NUTS2, stripped), rows
        with a code only, with ``name``, ``pop_2011``, ``urban`` (1 urban, 2 rural, <NA>), ``mountain``
        ('Π' plain, 'Η' semi-mountainous, 'Ο' mountainous, or ''), ``area_km2`` (NaN for settlements).

    Raises
    ------
    IngestError
        Missing column or header, a class outside its codes, a population or area that is not a number,
        a code that appears twice.
    """
    if cells.shape[1] < len(_URBAN_COLUMNS):
        raise IngestError(f"{source}: {cells.shape[1]} columns; expected {len(_URBAN_COLUMNS)} ({_URBAN_COLUMNS})")
    for col, word in _URBAN_HEADER.items():
        found = cells.iat[_URBAN_HEADER_ROW, col] if len(cells) > _URBAN_HEADER_ROW else None
        if word not in str(found):
            raise IngestError(
                f"{source}, row {_URBAN_HEADER_ROW + 1}, column {col + 1}: "
                f"expected the header {word!r}; found {found!r}"
            )
    body = cells.iloc[_URBAN_HEADER_ROW + 1 :, : len(_URBAN_COLUMNS)].copy()
    body.columns = _URBAN_COLUMNS
    full = body["full_code"].map(lambda v: v.strip() if isinstance(v, str) else "")
    body = body[full.str.len() > 3]
    full = full[body.index]
    rows = [int(i) + 1 for i in body.index]
    bad = [f"row {r}: {c!r}" for r, c in zip(rows, full, strict=True) if not re.fullmatch(r"\d{5,13}", c)]
    if bad:
        raise IngestError(f"{source}, column 'Κωδικός': expected NUTS1+NUTS2+ELSTAT 2011 digits; found {bad[:20]}")
    out = pd.DataFrame({"row": rows, "code": full.str[3:].to_numpy(), "name": body["name"].astype(str).to_numpy()})
    out["pop_2011"] = parse_cells(body["pop_2011"], kind="int", source=source, column="Μόνιμος", rows=rows)
    out["area_km2"] = parse_cells(
        body["area_km2"], kind="decimal", source=source, column="Έκταση (τχ)", rows=rows, allow_missing=True
    )
    urban = body["urban"].map(lambda v: "" if v is None or (isinstance(v, float) and np.isnan(v)) else str(v).strip())
    bad = [f"row {r}: {v!r}" for r, v in zip(rows, urban, strict=True) if v not in ("", "1", "2")]
    if bad:
        raise IngestError(f"{source}, column 'Αστικότητα': expected 1, 2 or empty; found {bad[:20]}")
    out["urban"] = pd.array([int(v) if v else pd.NA for v in urban], dtype="Int64")
    mountain = body["mountain"].map(lambda v: "" if not isinstance(v, str) else v.strip())
    bad = [f"row {r}: {v!r}" for r, v in zip(rows, mountain, strict=True) if v not in ("", "Π", "Η", "Ο")]
    if bad:
        raise IngestError(f"{source}, column 'Ορεινότητα': expected Π, Η, Ο or empty; found {bad[:20]}")
    out["mountain"] = mountain.to_numpy()
    dup = out["code"][out["code"].duplicated(keep=False)]
    if len(dup):
        raise IngestError(f"{source}, column 'Κωδικός': codes appear more than once: {sorted(set(dup))[:20]}")
    return out.set_index("code")


def read_urban_2011(path: str | os.PathLike[str], *, sheet: str = "data") -> pd.DataFrame:
    """Read ELSTAT's 2011 urban/rural, mountain class and area by unit (``raw_urban.xls``).

    See :func:`urban_table` for the columns.
    """
    source = f"{Path(path)}, sheet {sheet!r}"
    table = urban_table(read_sheet(path, sheet), source=source)
    logger.info("%s: %d coded rows", source, len(table))
    return table
