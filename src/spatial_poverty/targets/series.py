"""The indicator series that targets are monitored on, read from catalogued inputs.

Each reader returns a long table ``geo`` (NUTS code), ``year`` (int), ``value`` (float, in the indicator's unit),
``flag`` (Eurostat's flag, or ``""``). Values are parsed strictly: a cell that is neither a number (with an
optional flag) nor Eurostat's ':' for missing is an :class:`~spatial_poverty.errors.IngestError` naming the file,
row, column and value.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from spatial_poverty.errors import IngestError

__all__ = [
    "INDICATORS",
    "LFS_REGIONS",
    "Indicator",
    "read_eurostat_tsv",
    "read_lfs_unemployment_rate",
    "read_national_arope",
]

logger = logging.getLogger(__name__)

_CELL = re.compile(r"^\s*(?P<v>-?\d+(?:\.\d+)?)?\s*(?P<flag>[a-z]*)\s*$")

#: The 13 NUTS II names of ELSTAT's yearly LFS tables (SJO03 "-Regio" sheets, 1988 on) and their NUTS 2 codes.
LFS_REGIONS: dict[str, str] = {
    "Anatoliki Makedonia-Thraki": "EL51",
    "Kentriki Makedonia": "EL52",
    "Dytiki Makedonia": "EL53",
    "Ipeiros": "EL54",
    "Thessalia": "EL61",
    "Ionia Nissia": "EL62",
    "Dytiki Ellada": "EL63",
    "Sterea Ellada": "EL64",
    "Peloponnisos": "EL65",
    "Attiki": "EL30",
    "Voreio Aigaio": "EL41",
    "Notio Aigaio": "EL42",
    "Kriti": "EL43",
    "COUNTRY TOTAL": "EL",
}


def _frame(rows: list[tuple[str, int, float, str]]) -> pd.DataFrame:
    out = pd.DataFrame(rows, columns=["geo", "year", "value", "flag"])
    return out.astype({"geo": str, "year": "int64", "value": "float64", "flag": str})


def read_eurostat_tsv(path: str | Path, *, unit: str) -> pd.DataFrame:
    """A Eurostat bulk TSV (dimensions comma-joined in the first column, ':' missing, flags after values).

    Parameters
    ----------
    path : path
    unit : str
        The ``unit`` dimension to keep (``PC`` or ``PC_POP`` for shares of the population).

    Returns
    -------
    pandas.DataFrame
        ``geo, year, value, flag``; missing cells are left out.
    """
    path = Path(path)
    lines = path.read_text(encoding="utf-8").splitlines()
    if not lines:
        raise IngestError(f"{path}: empty file")
    head = lines[0].split("\t")
    dims = head[0].split("\\")[0].split(",")
    if "geo" not in dims or "unit" not in dims:
        raise IngestError(f"{path}, row 1: the first column needs the dimensions unit and geo; found {head[0]!r}")
    years = []
    for col, h in enumerate(head[1:], start=2):
        if not h.strip().isdigit():
            raise IngestError(f"{path}, row 1, column {col}: expected a year; found {h!r}")
        years.append(int(h.strip()))
    rows: list[tuple[str, int, float, str]] = []
    for r, line in enumerate(lines[1:], start=2):
        cells = line.split("\t")
        key = dict(zip(dims, cells[0].split(","), strict=False))
        if key.get("unit") != unit or ("freq" in key and key["freq"] != "A"):
            continue
        for col, (year, cell) in enumerate(zip(years, cells[1:], strict=False), start=2):
            if cell.strip().startswith(":"):
                continue
            m = _CELL.match(cell)
            if not m or m.group("v") is None:
                raise IngestError(
                    f"{path}, row {r}, column {col} ({key.get('geo')}, {year}): expected a number with an optional "
                    f"flag or ':'; found {cell!r}"
                )
            rows.append((key["geo"], year, float(m.group("v")), m.group("flag")))
    return _frame(rows)


def read_national_arope(path: str | Path) -> pd.DataFrame:
    """Eurostat's AROPE rate of Greece, ``geo,time,arope`` (legacy definition to 2020, EU 2030 from 2021)."""
    path = Path(path)
    raw = pd.read_csv(path, dtype=str, keep_default_na=False)
    if list(raw.columns) != ["geo", "time", "arope"]:
        raise IngestError(f"{path}: expected columns geo, time, arope; found {list(raw.columns)}")
    rows = []
    for i, rec in enumerate(raw.itertuples(index=False), start=2):
        if not re.fullmatch(r"\d{4}", rec.time):
            raise IngestError(f"{path}, row {i}, column time: expected a year; found {rec.time!r}")
        if not re.fullmatch(r"\d+(\.\d+)?", rec.arope):
            raise IngestError(f"{path}, row {i}, column arope: expected a number such as 27.5; found {rec.arope!r}")
        rows.append((rec.geo, int(rec.time), float(rec.arope), "b" if int(rec.time) == 2021 else ""))
    return _frame(rows)


def read_lfs_unemployment_rate(path: str | Path) -> pd.DataFrame:
    """Unemployment rate (%) by NUTS II from ELSTAT's yearly LFS table (sheet ``STATUS-Regio``).

    The sheet's column "Unemployed / unemployment rate" holds a share (0-1); it is returned in percent. Years
    before 1988 are left out: the sheet gives them for 7 older groupings of regions (Kriti, Ipeiros, Thessalia
    and the country total recur by name) and for the population aged 14+.
    """
    path = Path(path)
    try:
        sheet = pd.read_excel(path, sheet_name="STATUS-Regio", header=None, engine="calamine")
    except (ValueError, OSError) as exc:
        raise IngestError(f"{path}: cannot read sheet 'STATUS-Regio': {exc}") from exc
    header = {
        c: " ".join(" ".join(str(x).split()) for x in sheet.iloc[:2, i] if not pd.isna(x))
        for i, c in enumerate(sheet.columns)
    }
    col = next((i for i, c in enumerate(sheet.columns) if "unemployment rate" in header[c]), None)
    if col is None:
        raise IngestError(f"{path}, sheet STATUS-Regio: no 'unemployment rate' column under 'Unemployed' in rows 1-2")
    rows = []
    for r in range(3, len(sheet)):
        year, name, value = sheet.iloc[r, 0], sheet.iloc[r, 1], sheet.iloc[r, col]
        if pd.isna(year) and pd.isna(name):
            continue
        name = str(name).strip()
        if name not in LFS_REGIONS or (not pd.isna(year) and int(year) < 1988):
            continue  # notes, and 1981-1987: other groupings of regions (some names recur), population 14+
        try:
            y = int(year)
            v = float(value)
        except (TypeError, ValueError) as exc:
            raise IngestError(
                f"{path}, sheet STATUS-Regio, row {r + 1}, column {col + 1}: expected a year and a share; "
                f"found {year!r}, {value!r}"
            ) from exc
        if not 0 <= v <= 1:
            raise IngestError(
                f"{path}, sheet STATUS-Regio, row {r + 1}, column {col + 1}: expected a share in [0, 1]; found {v!r}"
            )
        rows.append((LFS_REGIONS[name], y, 100 * v, ""))
    return _frame(rows)


@dataclass(frozen=True)
class Indicator:
    """A series targets can follow: labels, unit, and the catalogued inputs it is read from, by area."""

    label_el: str
    label_en: str
    unit: str
    #: area (NUTS code) or "*" for any other area -> (catalogue id, reader)
    sources: Mapping[str, tuple[str, Callable[[Path], pd.DataFrame]]] = field(default_factory=dict)
    note: str = ""

    def source_for(self, area: str) -> tuple[str, Callable[[Path], pd.DataFrame]] | None:
        return self.sources.get(area) or self.sources.get("*")


def _peps11(path: Path) -> pd.DataFrame:
    return read_eurostat_tsv(path, unit="PC")


#: Indicators that targets can name.
INDICATORS: dict[str, Indicator] = {
    "arope": Indicator(
        "Άτομα σε κίνδυνο φτώχειας ή κοινωνικού αποκλεισμού (AROPE)",
        "People at risk of poverty or social exclusion (AROPE)",
        "%",
        {
            "EL": ("eurostat_arope_greece_national", read_national_arope),
            "*": ("eurostat_ilc_peps11_el_2003_2020", _peps11),
        },
        "Eurostat EU-SILC. Greece: legacy definition to 2020, EU 2030 definition from 2021 (break). "
        "NUTS 1 2003-2020; NUTS 2 2018-2020 only.",
    ),
    "unemployment_rate": Indicator(
        "Ποσοστό ανεργίας (ΕΕΔ)",
        "Unemployment rate (LFS)",
        "%",
        {"*": ("elstat_lfs_annual_nuts2_population_status", read_lfs_unemployment_rate)},
        "ELSTAT Labour Force Survey, yearly, persons 15+, NUTS II, 1988-2024.",
    ),
}
