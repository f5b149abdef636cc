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
from typing import TYPE_CHECKING

from spatial_poverty.errors import IngestError

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "INDICATORS",
    "REGISTER_PREFIX",
    "Indicator",
    "indicator_for",
    "lfs_regions",
    "read_eurostat_tsv",
    "read_lfs_unemployment_rate",
    "read_national_arope",
]

logger = logging.getLogger(__name__)


def lfs_regions() -> dict[str, str]:
    """The NUTS II regions of ELSTAT's yearly LFS tables (SJO03 "-Regio" sheets, 1988 on), plus the country total
    (read from :mod:`spatial_poverty.ingest.lfs` when needed: validating a targets file does not load pandas)."""
    from spatial_poverty.ingest import lfs

    return {**lfs.LFS_REGIONS, "COUNTRY TOTAL": "EL"}


def _frame(rows: pd.DataFrame) -> pd.DataFrame:
    out = rows[["geo", "year", "value", "flag"]].reset_index(drop=True)
    return out.astype({"geo": str, "year": "int64", "value": "float64", "flag": str})


def read_eurostat_tsv(path: str | Path, *, unit: str) -> pd.DataFrame:
    """One unit of a Eurostat bulk TSV as a series (the file is read by
    :func:`spatial_poverty.ingest.eurostat.read_eurostat_tsv`, which checks every cell).

    Parameters
    ----------
    path : path
    unit : str
        The ``unit`` dimension to keep (``PC`` or ``PC_POP`` for shares of the population).

    Returns
    -------
    pandas.DataFrame
        ``geo, year, value, flag`` of the yearly (``freq`` A, when the file has it) rows; missing cells are left
        out.
    """
    path = Path(path)
    from spatial_poverty.ingest import eurostat

    table = eurostat.read_eurostat_tsv(path)
    if "geo" not in table or "unit" not in table:
        raise IngestError(f"{path}, line 1: the first column needs the dimensions unit and geo")
    keep = (table["unit"] == unit) & table["value"].notna()
    if "freq" in table:
        keep &= table["freq"] == "A"
    bad = table.loc[keep & ~table["time"].str.fullmatch(r"\d{4}"), "time"]
    if len(bad):
        raise IngestError(f"{path}, line 1: expected yearly columns; found {bad.iloc[0]!r}")
    return _frame(table[keep].assign(year=lambda t: t["time"].astype(int)))


def read_national_arope(path: str | Path) -> pd.DataFrame:
    """Eurostat's AROPE rate of Greece, ``geo,time,arope`` (legacy definition to 2020, EU 2030 from 2021)."""
    path = Path(path)
    import pandas as pd

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
    return _frame(pd.DataFrame(rows, columns=["geo", "year", "value", "flag"]))


def read_lfs_unemployment_rate(path: str | Path) -> pd.DataFrame:
    """Unemployment rate (%) by NUTS II, and of the country, from ELSTAT's yearly LFS table (sheet
    ``STATUS-Regio``, read by :func:`spatial_poverty.ingest.lfs.read_lfs_status_regions`).

    Years before 1988 are left out: the sheet gives them for 7 older groupings of regions (Kriti, Ipeiros,
    Thessalia and the country total recur by name) and for the population aged 14+.
    """
    from spatial_poverty.ingest import lfs

    regions = lfs_regions()
    table = lfs.read_lfs_status_regions(path)
    table = table[(table["year"] >= 1988) & table["region"].isin(list(regions))]
    return _frame(table.assign(geo=table["region"].map(regions), value=table["unemployment_rate_pct"], flag=""))


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


#: A target may follow a register of the run: ``indicator: register:<name>`` (its regional rate per 1,000, the
#: yearly mean of the rates of the periods present; made by the run's ``registers`` stage, not read from a file).
REGISTER_PREFIX = "register:"
#: A target may follow the run's AROPE estimate of a group (``indicator: sae:<group>``, stage ``sae``): per region
#: (NUTS 2, and EL with all 13 regions) the survey's direct estimate, per municipality (area: its 4-digit 2021 code)
#: the model's, each with its 95 % interval; suppressed estimates are no data.
SAE_PREFIX = "sae:"


def indicator_for(name: str) -> Indicator:
    """The indicator a target names: one of :data:`INDICATORS`, a register of the run (``register:<name>``) or
    its AROPE estimate of a group (``sae:<group>``)."""
    if name.startswith(SAE_PREFIX):
        group = name[len(SAE_PREFIX) :]
        return Indicator(
            f"AROPE (εκτίμηση της εκτέλεσης), ομάδα {group}",
            f"AROPE (the run's estimate), group {group}",
            "%",
            note="the run's small-area estimate (stage sae) with its 95 % interval: reached only when the interval "
            "lies beyond the target",
        )
    if name.startswith(REGISTER_PREFIX):
        reg = name[len(REGISTER_PREFIX) :]
        return Indicator(
            f"Μητρώο {reg}: ανά 1.000 κατοίκους",
            f"Register {reg}: per 1,000 residents",
            "‰",
            note="the run's register: yearly mean of the regional rate per 1,000 over the periods present",
        )
    return INDICATORS[name]
