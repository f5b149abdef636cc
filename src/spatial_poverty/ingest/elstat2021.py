"""Readers of the ELSTAT 2021 census sources: municipal boundaries and resident population.

Layered as everywhere in the package: raw file (zip with a cp737 folder name, JSON with numbers as text) ->
typed table -> frame indexed by the 4-digit ELSTAT 2021 municipality code, kept as text.
"""

from __future__ import annotations

import json
import logging
import os
import re
import tempfile
import zipfile
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import pyproj

from spatial_poverty.errors import IngestError
from spatial_poverty.ingest.numbers import parse_column
from spatial_poverty.ingest.sniff import not_the_expected_kind

__all__ = [
    "MUNICIPALITY_CODE",
    "read_communities_2021",
    "read_municipal_boundaries",
    "read_population",
    "read_women_2021",
]

logger = logging.getLogger(__name__)

#: An ELSTAT 2021 municipality code: regional unit (2 digits) + municipality (2 digits).
MUNICIPALITY_CODE = re.compile(r"^\d{4}$")

_SHAPEFILE_STEM = "Municipalities2021"
_SHAPEFILE_PARTS = (".shp", ".shx", ".dbf", ".prj", ".cpg")

# dimdata.json keys (ELSTAT's Greek headers).
_LEVEL = "Ένδειξη επιπέδου"
_CODE = "Γεωγραφικός κωδικός"
_NAME = "Περιγραφή"
_POP_2011 = "Μόνιμος Πληθυσμός 2011"
_POP_2021 = "Μόνιμος Πληθυσμός 2021"


def read_json_array(path: Path, what: str) -> list[Any]:
    """A non-empty JSON array from a UTF-8 file (ELSTAT's web tables and settlement points).

    Raises
    ------
    IngestError
        If the file is not UTF-8 JSON, or not a non-empty array (``what`` says what its items should be).
    """
    try:
        records = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise IngestError(f"{path}: not UTF-8 JSON: {exc}") from exc
    if not isinstance(records, list) or not records:
        raise IngestError(f"{path}: expected a JSON array of {what}; found {type(records).__name__}")
    return records


def _zip_member_name(info: zipfile.ZipInfo) -> str:
    """The member's name as its author wrote it: names without the UTF-8 flag are cp737 (Greek DOS) here."""
    if info.flag_bits & 0x800:
        return info.filename
    return info.filename.encode("cp437").decode("cp737")


def read_municipal_boundaries(path: str | os.PathLike[str]) -> gpd.GeoDataFrame:
    """Read the ELSTAT 2021 municipal boundaries from the zipped shapefile.

    Parameters
    ----------
    path : path-like
        ``DHMOI_2021.zip``: the shapefile ``Municipalities2021`` inside a folder whose name is Greek in cp737.

    Returns
    -------
    geopandas.GeoDataFrame
        Indexed by ``code`` (4-digit text), with ``name_el``, ``name_en`` and the geometry in EPSG:2100.
        All 333 features are returned, Mount Athos (9901) included: the caller decides what to do with it.

    Raises
    ------
    IngestError
        If a part of the shapefile is missing, the .prj is not the Greek Grid, a code is not 4 digits or
        appears twice, or a geometry is empty or invalid.
    """
    path = Path(path)
    if path.stat().st_size == 0:
        raise IngestError(f"{path}: the file is empty; expected a zipped shapefile")
    try:
        zipfile.ZipFile(path).close()
    except zipfile.BadZipFile as exc:
        raise not_the_expected_kind(path, "a zipped shapefile", exc) from exc
    with zipfile.ZipFile(path) as zf, tempfile.TemporaryDirectory(prefix="sp-shp-") as tmp:
        members = {}
        for info in zf.infolist():
            name = _zip_member_name(info)
            base = name.rsplit("/", 1)[-1]
            stem, _, ext = base.rpartition(".")
            if stem == _SHAPEFILE_STEM and f".{ext}" in _SHAPEFILE_PARTS:
                members[f".{ext}"] = (info, name)
        missing = [ext for ext in _SHAPEFILE_PARTS if ext not in members]
        if missing:
            raise IngestError(
                f"{path}: the zip has no {', '.join(_SHAPEFILE_STEM + e for e in missing)}; "
                f"expected the ELSTAT shapefile {_SHAPEFILE_STEM} with parts {', '.join(_SHAPEFILE_PARTS)}"
            )
        logger.debug("reading %s from %s", members[".shp"][1], path)
        for ext, (info, name) in members.items():
            try:
                Path(tmp, _SHAPEFILE_STEM + ext).write_bytes(zf.read(info))
            except (zipfile.BadZipFile, EOFError, OSError) as exc:  # CRC error, truncated member
                raise IngestError(f"{path}: member {name} cannot be read, the zip is corrupt ({exc})") from exc
        cpg = Path(tmp, _SHAPEFILE_STEM + ".cpg").read_text(encoding="ascii").strip()
        if cpg.upper() not in ("UTF-8", "UTF8"):
            raise IngestError(f"{path}: {_SHAPEFILE_STEM}.cpg says {cpg!r}; expected UTF-8")
        prj = pyproj.CRS.from_wkt(Path(tmp, _SHAPEFILE_STEM + ".prj").read_text(encoding="ascii"))
        if not prj.equals(pyproj.CRS.from_epsg(2100), ignore_axis_order=True):
            raise IngestError(f"{path}: {_SHAPEFILE_STEM}.prj is {prj.name!r}; expected the Greek Grid (EPSG:2100)")
        raw = pyogrio.read_dataframe(Path(tmp, _SHAPEFILE_STEM + ".shp"), encoding="UTF-8")

    for col in ("CODE", "NAME_GR", "NAME_ENG"):
        if col not in raw.columns:
            raise IngestError(f"{path}: column {col!r} is missing; the file has {list(raw.columns)}")
    codes = raw["CODE"].astype("string").str.strip()
    bad = [(i, c) for i, c in enumerate(codes) if c is pd.NA or not MUNICIPALITY_CODE.match(str(c))]
    if bad:
        shown = "; ".join(f"row {i}: {c!r}" for i, c in bad[:20])
        raise IngestError(f"{path}, column 'CODE': expected a 4-digit ELSTAT 2021 code; found {shown}")
    dup = codes[codes.duplicated(keep=False)]
    if len(dup):
        raise IngestError(f"{path}, column 'CODE': codes appear more than once: {sorted(set(dup))}")
    empty = raw.geometry.is_empty | raw.geometry.isna()
    if empty.any():
        raise IngestError(f"{path}: empty geometry for codes {list(codes[empty])}")
    invalid = ~raw.geometry.is_valid
    if invalid.any():
        raise IngestError(f"{path}: invalid geometry for codes {list(codes[invalid])}")
    gdf = gpd.GeoDataFrame(
        {
            "code": codes.astype(str).to_numpy(),
            "name_el": raw["NAME_GR"].astype(str).str.strip().to_numpy(),
            "name_en": raw["NAME_ENG"].astype(str).str.strip().to_numpy(),
        },
        geometry=raw.geometry.to_numpy(),
        crs="EPSG:2100",
    ).set_index("code")
    return gdf.sort_index()


def read_population(path: str | os.PathLike[str]) -> pd.DataFrame:
    """Read ELSTAT's resident population 2011 and 2021 by municipality (``dimdata.json``).

    The file lists the country (level 0), each region (3, no code), its regional units (4, 2-digit code) and
    their municipalities (5, 4-digit code); ELSTAT re-aggregated the 2011 figures to the 2021 municipalities.
    Numbers are text with '.' thousands separators and are parsed strictly.

    Returns
    -------
    pandas.DataFrame
        Indexed by ``code`` (4-digit text) with ``name_el`` (as ELSTAT writes it, "ΔΗΜΟΣ ..."),
        ``regional_unit`` (2-digit code), ``region_el`` (the region's heading), ``pop_2011`` and ``pop_2021``
        (int64). All 333 municipality rows, Mount Athos (9901) included.

    Raises
    ------
    IngestError
        On an unreadable file, a missing key, a number that is not of the expected form, a municipality whose
        regional unit is not listed, a duplicated code, or totals that do not add up to the country's.
    """
    path = Path(path)
    records = read_json_array(path, "records")
    keys = (_LEVEL, _CODE, _NAME, _POP_2011, _POP_2021)
    for i, rec in enumerate(records):
        missing = [k for k in keys if k not in rec]
        if missing:
            raise IngestError(f"{path}, record {i}: keys {missing} are missing; the record has {list(rec)}")
    table = pd.DataFrame.from_records(records, columns=list(keys))
    for col in (_POP_2011, _POP_2021):
        table[col] = parse_column(table[col], kind="int", source=str(path), column=col, rows=table.index)

    region: str | None = None
    unit_region: dict[str, str] = {}
    rows = []
    for i, rec in table.iterrows():
        level = str(rec[_LEVEL]).strip()
        code = str(rec[_CODE]).strip()
        if level == "3":
            region = str(rec[_NAME]).strip()
        elif level == "4":
            if region is None:
                raise IngestError(f"{path}, record {i}: regional unit {code!r} comes before any region")
            unit_region[code] = region
        elif level == "5":
            if not MUNICIPALITY_CODE.match(code):
                raise IngestError(
                    f"{path}, record {i}, key {_CODE!r}: expected a 4-digit municipality code; found {code!r}"
                )
            if code[:2] not in unit_region:
                raise IngestError(
                    f"{path}, record {i}: municipality {code} belongs to regional unit {code[:2]}, "
                    "which is not listed before it"
                )
            rows.append(
                {
                    "code": code,
                    "name_el": str(rec[_NAME]).strip(),
                    "regional_unit": code[:2],
                    "region_el": unit_region[code[:2]],
                    "pop_2011": int(rec[_POP_2011]),
                    "pop_2021": int(rec[_POP_2021]),
                }
            )
        elif level != "0":
            raise IngestError(f"{path}, record {i}, key {_LEVEL!r}: expected 0, 3, 4 or 5; found {level!r}")
    pop = pd.DataFrame(rows).set_index("code")
    dup = pop.index[pop.index.duplicated()]
    if len(dup):
        raise IngestError(f"{path}: municipality codes appear more than once: {sorted(set(dup))}")
    country = table[table[_LEVEL].astype(str).str.strip() == "0"]
    if len(country) == 1:
        for col, year in ((_POP_2011, "pop_2011"), (_POP_2021, "pop_2021")):
            total = int(country[col].iloc[0])
            if int(pop[year].sum()) != total:
                raise IngestError(
                    f"{path}: municipalities' {col!r} sum to {int(pop[year].sum())}, the country row says {total}"
                )
    return pop.sort_index()


_FEMALE_2021 = "Θήλεις 2021"


def read_women_2021(path: str | os.PathLike[str]) -> pd.Series:
    """Resident women of 2021 per municipality from the same file as :func:`read_population` (``dimdata.json``,
    key "Θήλεις 2021"): int64 indexed by the 4-digit code, Mount Athos included. Parsed strictly; their sum
    equals the country row's.

    Raises
    ------
    IngestError
    """
    path = Path(path)
    records = read_json_array(path, "records")
    table = pd.DataFrame.from_records(records)
    if _FEMALE_2021 not in table:
        raise IngestError(f"{path}: key {_FEMALE_2021!r} is missing; the records have {list(table.columns)}")
    level = table[_LEVEL].astype(str).str.strip()
    munis = table[level == "5"]
    values = parse_column(munis[_FEMALE_2021], kind="int", source=str(path), column=_FEMALE_2021, rows=munis.index)
    out = pd.Series(values, index=munis[_CODE].astype(str).str.strip().to_numpy(), name="female_2021")
    country = table.loc[level == "0", _FEMALE_2021]
    if len(country) == 1 and int(out.sum()) != int(parse_column(country, kind="int", source=str(path),
                                                                 column=_FEMALE_2021)[0]):  # fmt: skip
        raise IngestError(f"{path}: municipalities' {_FEMALE_2021!r} do not add up to the country row")
    return out.sort_index()


# koindata.json keys.
_K_CODE = "Γ.Κ. 2021"
_K_NAME = "ΠΕΡΙΓΡΑΦΗ"
_K_POP = "ΜΟΝΙΜΟΣ ΠΛΗΘΥΣΜΟΣ"


def read_communities_2021(path: str | os.PathLike[str]) -> pd.DataFrame:
    """Read ELSTAT's 2021 resident population by municipality, municipal unit and community (``koindata.json``).

    Returns
    -------
    pandas.DataFrame
        Indexed by ``code`` (ELSTAT 2021: 4 digits municipality, 6 municipal unit, 8 community), with
        ``level`` ('municipality', 'municipal_unit', 'community'), ``municipality`` (first 4 digits), ``name``
        and ``pop_2021``. Aggregate rows without a code (country, regions) and regional units are dropped after
        the country total is checked against the municipalities.

    Raises
    ------
    IngestError
        If the file is not UTF-8 JSON, a key is missing, a population is not an integer in the Greek form, a
        code is malformed or appears twice, or the parts do not add up to their municipality.
    """
    path = Path(path)
    records = read_json_array(path, "records")
    keys = (_K_CODE, _K_NAME, _K_POP)
    for i, rec in enumerate(records):
        missing = [k for k in keys if k not in rec]
        if missing:
            raise IngestError(f"{path}, record {i}: keys {missing} are missing; the record has {list(rec)}")
    table = pd.DataFrame.from_records(records, columns=list(keys))
    pop = parse_column(table[_K_POP], kind="int", source=str(path), column=_K_POP, rows=table.index, allow_missing=True)
    codes = table[_K_CODE].astype(str).str.strip()
    empty = [f"record {i} ({codes[i]} {table[_K_NAME][i]})" for i in np.flatnonzero(np.isnan(pop))]
    if empty:
        # ELSTAT leaves a cell empty (not 0) for some communities: kept as missing, counted as 0 in sums, reported.
        logger.warning("%s: %d empty population cell(s), taken as missing: %s", path, len(empty), "; ".join(empty))
    bad = [f"record {i}: {c!r}" for i, c in codes.items() if c and not re.fullmatch(r"\d{2}|\d{4}|\d{6}|\d{8}", c)]
    if bad:
        raise IngestError(f"{path}, key {_K_CODE!r}: expected a 2, 4, 6 or 8-digit code; found {bad[:20]}")
    levels = {4: "municipality", 6: "municipal_unit", 8: "community"}
    out = pd.DataFrame(
        {
            "code": codes.to_numpy(),
            "level": [levels.get(len(c), "") for c in codes],
            "municipality": codes.str[:4].to_numpy(),
            "name": table[_K_NAME].astype(str).str.strip().to_numpy(),
            "pop_2021": pd.array(pop, dtype="Int64") if pop.dtype == float else pop,
        }
    )
    out.attrs["empty_cells"] = empty
    country = out[(out["code"] == "") & (out["name"] == "ΣΥΝΟΛΟ ΧΩΡΑΣ")]
    out = out[out["level"] != ""]
    dup = out["code"][out["code"].duplicated(keep=False)]
    if len(dup):
        raise IngestError(f"{path}, key {_K_CODE!r}: codes appear more than once: {sorted(set(dup))[:20]}")
    out = out.set_index("code")
    munis = out[out["level"] == "municipality"]
    if len(country) == 1 and int(munis["pop_2021"].sum()) != int(country["pop_2021"].iloc[0]):
        raise IngestError(
            f"{path}: municipalities sum to {int(munis['pop_2021'].sum())}, "
            f"the country row says {int(country['pop_2021'].iloc[0])}"
        )
    comm = out[out["level"] == "community"].groupby("municipality")["pop_2021"].sum()
    off = [
        (c, int(munis.loc[c, "pop_2021"]), int(comm.get(c, 0)))
        for c in munis.index
        if comm.get(c, 0) != munis.loc[c, "pop_2021"]
    ]
    if off:
        raise IngestError(
            f"{path}: communities do not add up to their municipality (code, municipality, sum): {off[:10]}"
        )
    logger.info("%s: %d municipalities, %d communities", path, len(munis), int((out["level"] == "community").sum()))
    return out
