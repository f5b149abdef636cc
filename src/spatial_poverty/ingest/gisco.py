"""Readers of the Eurostat/GISCO extracts for Greece: NUTS boundaries, NUTS code history, LAU -> NUTS table.

Three layers, as the other readers: the raw file (GeoPackage layer or CSV text), a strictly typed table (every
bad cell reported with its row, column and value), a frame indexed by code (``NUTS_ID``, the LAU code).
Eurostat writes plain numbers ("54272"): a value in another form, such as a stray "18.1" in an integer column,
is refused rather than guessed at. ``NA`` marks a missing cell.
"""

from __future__ import annotations

import csv
import io
import logging
import os
import re
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio

from spatial_poverty.errors import IngestError
from spatial_poverty.ingest.eurostat import read_text
from spatial_poverty.ingest.numbers import parse_cells

__all__ = ["NUTS_LEVEL_COUNTS", "read_nuts_boundaries", "read_nuts_changes", "read_nuts_lau"]

logger = logging.getLogger(__name__)

#: Greek NUTS regions per level (2016 and 2024 alike): the country, 4 NUTS 1, 13 NUTS 2, 52 NUTS 3.
NUTS_LEVEL_COUNTS = {0: 1, 1: 4, 2: 13, 3: 52}
#: Greek LAUs of 2019 (= ELSTAT 2011 local/municipal communities).
LAU_COUNT = 6134

_PLAIN_INT = re.compile(r"^-?\d+$")
_NUTS_ID = re.compile(r"^(EL|GR)[0-9A-Z]{0,3}$")


def _csv_rows(path: Path, need: list[str]) -> tuple[list[str], list[dict[str, str]]]:
    """Raw layer: the header and the rows of a UTF-8 CSV, refusing an empty file or missing columns."""
    text = read_text(path)
    reader = csv.DictReader(io.StringIO(text))
    header = list(reader.fieldnames or [])
    missing = [c for c in need if c not in header]
    if missing:
        raise IngestError(f"{path}: column(s) {missing} are missing; the header has {header}")
    rows = list(reader)
    short = [n for n, r in enumerate(rows, start=2) if None in r.values() or None in r]
    if short:
        raise IngestError(f"{path}: line(s) {short[:20]} do not have the header's {len(header)} fields")
    if not rows:
        raise IngestError(f"{path}: a header and no data rows")
    return header, rows


def _plain_ints(
    values: list[str], *, source: str, column: str, allow_missing: bool = False, lines: list[int] | None = None
) -> np.ndarray:
    """Typed layer: integers written plainly ("54272"); 'NA' or '' is missing when allowed; all bad cells listed."""
    labels = lines if lines is not None else list(range(2, len(values) + 2))
    out: list[float] = []
    bad: list[str] = []
    for line, v in zip(labels, values, strict=True):
        s = v.strip()
        if s in ("", "NA"):
            if allow_missing:
                out.append(np.nan)
            else:
                bad.append(f"line {line}: empty cell")
            continue
        if not _PLAIN_INT.match(s):
            bad.append(f"line {line}: {v!r}")
            continue
        out.append(float(s))
    if bad:
        shown = "; ".join(bad[:20]) + (f"; and {len(bad) - 20} more" if len(bad) > 20 else "")
        raise IngestError(
            f"{source}, column {column!r}: {len(bad)} cell(s) are not a whole number written plainly "
            f"(digits only, e.g. '54272'): {shown}"
        )
    arr = np.asarray(out, dtype=float)
    return arr.astype(np.int64) if not np.isnan(arr).any() else arr


def read_nuts_boundaries(
    path: str | os.PathLike[str],
    level: int | None = None,
    *,
    expected_counts: dict[int, int] | None = NUTS_LEVEL_COUNTS,
) -> gpd.GeoDataFrame:
    """Read the GISCO NUTS boundaries of Greece (``EL_NUTS_RG_{20M_2024,60M_2016}_4326.gpkg``).

    Parameters
    ----------
    path : path-like
        A GeoPackage of one layer with fields ``NUTS_ID``, ``LEVL_CODE``, ``NAME_LATN``, ``NUTS_NAME`` in
        EPSG:4326.
    level : {0, 1, 2, 3}, optional
        Keep only that NUTS level (after the whole layer has been checked); every level by default.
    expected_counts : dict, optional
        Regions expected per level (1, 4, 13 and 52 for Greece in NUTS 2016 and 2024); ``None`` skips the check.

    Returns
    -------
    geopandas.GeoDataFrame
        Indexed by ``nuts_id`` (text), columns ``level`` (int), ``name_latn``, ``name`` (Greek) and the geometry
        (made valid), in EPSG:4326: generalised boundaries, for context maps rather than municipal analysis.

    Raises
    ------
    IngestError
        If the file is empty or not a readable GeoPackage, the layer has no CRS or not EPSG:4326, a field is
        missing, a level is not a whole number 0-3, a code is malformed or does not have ``2 + level``
        characters, a code repeats, or a level does not have the expected number of regions.
    """
    path = Path(path)
    if level is not None and level not in (0, 1, 2, 3):
        raise ValueError(f"level needs to be 0, 1, 2 or 3 (or None); {level!r} was given instead")
    if path.stat().st_size == 0:
        raise IngestError(f"{path}: the file is empty; expected a GeoPackage")
    try:
        raw = pyogrio.read_dataframe(path)
    except Exception as exc:
        raise IngestError(f"{path}: not a readable GeoPackage ({type(exc).__name__}: {exc})") from exc
    if raw.crs is None:
        raise IngestError(f"{path}: the layer has no CRS; expected EPSG:4326")
    if raw.crs.to_epsg() != 4326:
        raise IngestError(f"{path}: the layer's CRS is {raw.crs.to_string()}; expected EPSG:4326")
    need = ["NUTS_ID", "LEVL_CODE", "NAME_LATN", "NUTS_NAME"]
    missing = [c for c in need if c not in raw.columns]
    if missing:
        raise IngestError(f"{path}: field(s) {missing} are missing; the layer has {list(raw.columns)}")
    codes = raw["NUTS_ID"].map(lambda v: "" if v is None or v != v else str(v).strip())
    levels = parse_cells(list(raw["LEVL_CODE"]), kind="int", source=str(path), column="LEVL_CODE", rows=codes)
    bad = [
        f"feature {i}: {c!r} (level {lv})"
        for i, (c, lv) in enumerate(zip(codes, levels, strict=True))
        if not 0 <= lv <= 3 or not _NUTS_ID.match(c) or len(c) != 2 + lv
    ]
    if bad:
        raise IngestError(
            f"{path}, fields 'NUTS_ID'/'LEVL_CODE': expected a code 'EL' + level characters with level 0-3; "
            f"found {bad[:20]}"
        )
    dup = codes[codes.duplicated(keep=False)]
    if len(dup):
        raise IngestError(f"{path}, field 'NUTS_ID': codes appear more than once: {sorted(set(dup))}")
    if expected_counts is not None:
        have = {lv: int((levels == lv).sum()) for lv in range(4)}
        if have != expected_counts:
            raise IngestError(f"{path}: regions per NUTS level {have}; expected {expected_counts}")
    gdf = gpd.GeoDataFrame(
        {
            "level": levels.astype(np.int64),
            "name_latn": raw["NAME_LATN"].astype(str).str.strip().to_numpy(),
            "name": raw["NUTS_NAME"].astype(str).str.strip().to_numpy(),
        },
        geometry=raw.geometry.make_valid().to_numpy(),
        crs=raw.crs,
        index=pd.Index(codes.to_numpy(), name="nuts_id"),
    )
    if level is not None:
        gdf = gdf[gdf["level"] == level]
    logger.info("%s: %d NUTS regions (level %s)", path, len(gdf), "all" if level is None else level)
    return gdf


_TYPOLOGY = {"country": 0, "nuts_level_1": 1, "nuts_level_2": 2, "nuts_level_3": 3}
_VERSIONS = ("1999", "2003", "2006", "2010", "2013", "2016", "2021")


def read_nuts_changes(path: str | os.PathLike[str]) -> pd.DataFrame:
    """Read the NUTS code history of Greece (``EL_nuts_changes.csv``, from the R package ``regions``).

    One row per region and its codes in each NUTS version (1999-2021); Greece changed its prefix from ``GR``
    to ``EL`` in 2010 and redrew NUTS 1 in 2013.

    Returns
    -------
    pandas.DataFrame
        ``level`` (0-3, from ``typology``), ``code_1999`` ... ``code_2021`` (text, '' where the region did not
        exist in that version), ``geo_name_2003`` ... ``geo_name_2021`` and ``change_2003`` ... ``change_2021``
        (text, '' for NA), ``start_year``/``end_year`` (float, NaN for NA). ``level`` is the level of the
        region's latest code: an older code may sit at another level (Attiki: NUTS 2 ``GR3`` in 1999).

    Raises
    ------
    IngestError
        If the file is empty or not UTF-8, a column is missing, a typology is unknown, a code is malformed, the
        latest code does not match the level, a year is not a whole number, or a row has no code at all.
    """
    path = Path(path)
    codes = [f"code_{v}" for v in _VERSIONS]
    header, rows = _csv_rows(path, ["typology", "start_year", "end_year", *codes])
    bad: list[str] = []
    levels = []
    for n, r in enumerate(rows, start=2):
        t = r["typology"].strip()
        if t not in _TYPOLOGY:
            bad.append(f"line {n}, column 'typology': {t!r} (expected one of {sorted(_TYPOLOGY)})")
            levels.append(-1)
            continue
        levels.append(_TYPOLOGY[t])
        have = [r[c].strip() for c in codes if r[c].strip() not in ("", "NA")]
        if not have:
            bad.append(f"line {n}: no code in any version")
        for c in codes:
            v = r[c].strip()
            if v not in ("", "NA") and not _NUTS_ID.match(v):
                bad.append(f"line {n}, column {c!r}: {v!r} (expected a NUTS code 'EL'/'GR' + up to 3 characters)")
        # The typology is the region's level in its latest version (Attiki was the NUTS 2 'GR3' in 1999).
        if have and _NUTS_ID.match(have[-1]) and len(have[-1]) != 2 + _TYPOLOGY[t]:
            bad.append(f"line {n}: latest code {have[-1]!r} is not a level-{_TYPOLOGY[t]} code as {t!r} says")
    if bad:
        raise IngestError(f"{path}: {len(bad)} bad cell(s): " + "; ".join(bad[:20]))
    text_cols = [c for c in header if c.startswith(("code_", "geo_name_", "change_"))]
    out = pd.DataFrame({c: [("" if r[c].strip() == "NA" else r[c].strip()) for r in rows] for c in text_cols})
    out.insert(0, "level", np.asarray(levels, dtype=np.int64))
    for c in ("start_year", "end_year"):
        out[c] = _plain_ints([r[c] for r in rows], source=str(path), column=c, allow_missing=True).astype(float)
    logger.info("%s: %d NUTS code histories", path, len(out))
    return out


def read_nuts_lau(path: str | os.PathLike[str], *, expected_count: int | None = LAU_COUNT) -> pd.DataFrame:
    """Read Eurostat's LAU 2019 -> NUTS 3 (2016) table of Greece (``EL_nuts_lau_2019.csv``).

    The Greek LAUs are ELSTAT's 2011 communities: 8-digit codes kept as text, leading zeros and all
    (``01010101`` is the municipal community of Komotini).

    Parameters
    ----------
    path : path-like
    expected_count : int, optional
        Rows expected (6,134 LAUs); ``None`` skips the check.

    Returns
    -------
    pandas.DataFrame
        Indexed by ``lau_code`` (8-digit text), columns ``nuts3`` (``code_2016``), ``name`` (Greek),
        ``name_latin``, ``population`` (int, 2011 census), ``area_m2`` (int), ``degurba`` (1 city, 2 town or
        suburb, 3 rural), ``coastal`` (bool) and ``gisco_id``.

    Raises
    ------
    IngestError
        If the file is empty or not UTF-8, a column is missing, a LAU code is not 8 digits or repeats, a NUTS 3
        code is malformed, a number is not a plain whole number (a stray "18.1" is refused), DEGURBA is not 1-3,
        the coastal flag is not yes/no, or the row count differs from ``expected_count``.
    """
    path = Path(path)
    need = ["code_2016", "lau_code", "lau_name_national", "lau_name_latin", "population", "total_area_m2"]
    need += ["degurba", "coastal_area", "gisco_id"]
    _, rows = _csv_rows(path, need)
    source = str(path)
    lau = [r["lau_code"].strip() for r in rows]
    bad = [f"line {n}: {c!r}" for n, c in enumerate(lau, start=2) if not re.fullmatch(r"\d{8}", c)]
    if bad:
        raise IngestError(f"{path}, column 'lau_code': expected an 8-digit ELSTAT code as text; found {bad[:20]}")
    dup = pd.Series(lau)[pd.Series(lau).duplicated(keep=False)]
    if len(dup):
        raise IngestError(f"{path}, column 'lau_code': codes appear more than once: {sorted(set(dup))[:20]}")
    nuts3 = [r["code_2016"].strip() for r in rows]
    bad = [f"line {n}: {c!r}" for n, c in enumerate(nuts3, start=2) if not re.fullmatch(r"EL[0-9A-Z]{3}", c)]
    if bad:
        raise IngestError(f"{path}, column 'code_2016': expected a NUTS 3 code 'EL' + 3 characters; found {bad[:20]}")
    population = _plain_ints([r["population"] for r in rows], source=source, column="population")
    area = _plain_ints([r["total_area_m2"] for r in rows], source=source, column="total_area_m2")
    degurba = _plain_ints([r["degurba"] for r in rows], source=source, column="degurba")
    bad = [f"line {n}: {v}" for n, v in enumerate(degurba, start=2) if v not in (1, 2, 3)]
    if bad:
        raise IngestError(f"{path}, column 'degurba': expected 1, 2 or 3; found {bad[:20]}")
    coastal_text = [r["coastal_area"].strip() for r in rows]
    bad = [f"line {n}: {v!r}" for n, v in enumerate(coastal_text, start=2) if v not in ("yes", "no")]
    if bad:
        raise IngestError(f"{path}, column 'coastal_area': expected 'yes' or 'no'; found {bad[:20]}")
    if expected_count is not None and len(rows) != expected_count:
        raise IngestError(f"{path}: {len(rows)} LAUs; expected {expected_count}")
    out = pd.DataFrame(
        {
            "nuts3": nuts3,
            "name": [r["lau_name_national"].strip() for r in rows],
            "name_latin": [r["lau_name_latin"].strip() for r in rows],
            "population": population,
            "area_m2": area,
            "degurba": degurba,
            "coastal": [v == "yes" for v in coastal_text],
            "gisco_id": [r["gisco_id"].strip() for r in rows],
        },
        index=pd.Index(lau, name="lau_code", dtype=object),
    )
    logger.info("%s: %d LAUs in %d NUTS 3, population %d", path, len(out), out["nuts3"].nunique(), population.sum())
    return out
