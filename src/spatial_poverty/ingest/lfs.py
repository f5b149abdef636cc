"""Reader of ELSTAT's Labour Force Survey yearly series by NUTS II region (sheet ``STATUS-Regio``).

The sheet stacks one block per year (newest first): a row per region (Latin transliteration) and a country
total. Rates are fractions (0.1008 = 10.08 %); '..' marks a series not available that year. Regions before
the NUTS 2 of today (e.g. 1981-1997 'Thraki') are kept with ``nuts2`` empty.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

import numpy as np
import pandas as pd

from spatial_poverty.errors import IngestError
from spatial_poverty.ingest.excel import read_sheet

__all__ = ["LFS_QUARTERLY_REGIONS", "LFS_REGIONS", "read_lfs_quarterly", "read_lfs_status_regions"]

logger = logging.getLogger(__name__)

#: LFS region names (as ELSTAT writes them) -> NUTS 2 code.
LFS_REGIONS = {
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
}


def read_lfs_status_regions(path: str | os.PathLike[str], *, sheet: str = "STATUS-Regio") -> pd.DataFrame:
    """Read the yearly unemployment rate and unemployed persons by NUTS II region.

    Returns
    -------
    pandas.DataFrame
        Columns ``year`` (int), ``region`` (as written), ``nuts2`` ('' for historical or total rows),
        ``unemployed_thousands`` and ``unemployment_rate_pct`` (per cent).

    Raises
    ------
    IngestError
        If the sheet or the 'Unemployed' / 'unemployment rate' headers are missing, a year is not a whole number,
        a rate is outside 0-1, or a (year, region) repeats.
    """
    path = Path(path)
    cells = read_sheet(path, sheet)
    source = f"{path}, sheet {sheet!r}"
    if len(cells) < 4:
        raise IngestError(f"{source}: {len(cells)} rows; expected 3 header rows and data")
    top = [str(v).strip() for v in cells.iloc[0]]
    sub = [str(v).strip() for v in cells.iloc[1]]
    try:
        j = top.index("Unemployed")
    except ValueError:
        raise IngestError(f"{source}, row 1: no 'Unemployed' header; found {top}") from None
    if sub[j] != "persons" or sub[j + 1] != "unemployment rate":
        raise IngestError(
            f"{source}, row 2, columns {j + 1}-{j + 2}: expected 'persons', 'unemployment rate'; "
            f"found {sub[j]!r}, {sub[j + 1]!r}"
        )
    body = cells.iloc[3:]
    body = body[body[1].map(lambda v: isinstance(v, str) and v.strip() != "")]
    rows = []
    bad = []
    for i, r in body.iterrows():
        year, region, persons, rate = r[0], str(r[1]).strip(), r[j], r[j + 1]
        if not isinstance(year, int | float) or isinstance(year, bool) or not float(year).is_integer():
            bad.append(f"row {int(i) + 1}, column 1: {year!r} is not a year")
            continue
        ok = [isinstance(v, int | float) and not isinstance(v, bool) for v in (persons, rate)]
        if not all(ok) or not 0 <= float(rate) <= 1:
            bad.append(f"row {int(i) + 1} ({region}, {int(year)}): persons {persons!r}, rate {rate!r}")
            continue
        rows.append((int(year), region, LFS_REGIONS.get(region, ""), float(persons), 100 * float(rate)))
    if bad:
        raise IngestError(f"{source}: {len(bad)} bad row(s): " + "; ".join(bad[:20]))
    out = pd.DataFrame(rows, columns=["year", "region", "nuts2", "unemployed_thousands", "unemployment_rate_pct"])
    dup = out.duplicated(subset=["year", "region"], keep=False)
    if dup.any():
        raise IngestError(f"{source}: (year, region) repeated: {out.loc[dup, ['year', 'region']].values[:5]}")
    latest = out["year"].max()
    have = set(out.loc[out["year"] == latest, "nuts2"]) - {""}
    if have != set(LFS_REGIONS.values()):
        raise IngestError(f"{source}: year {latest} lacks regions {sorted(set(LFS_REGIONS.values()) - have)}")
    logger.info("%s: %d rows, years %d-%d", source, len(out), out["year"].min(), latest)
    return out.assign(unemployment_rate_pct=np.round(out["unemployment_rate_pct"], 10))


#: Region names of the quarterly table (before the parenthesis) -> NUTS 2 code.
LFS_QUARTERLY_REGIONS = {
    "GREECE, TOTAL": "EL",
    "Anatoliki Makedonia Thraki": "EL51",
    "Kentriki Makedonia": "EL52",
    "Dytiki Makedonia": "EL53",
    "Ipeiros": "EL54",
    "Thessalia": "EL61",
    "Ionioi Nisoi": "EL62",
    "Dytiki Ellas": "EL63",
    "Sterea Ellas": "EL64",
    "Peloponnissos": "EL65",
    "Attiki": "EL30",
    "Voreio Aigaio": "EL41",
    "Notio Aigaio": "EL42",
    "Kriti": "EL43",
}
_MEASURES = ("population", "labour_force", "employed", "unemployed", "inactive")
_MEASURE_HEADERS = ("Population", "Labour Force", "Employed", "Unemployed", "Inactives")
_QUARTERS = {"1st quarter": 1, "2nd quarter": 2, "3rd quarter": 3, "4th quarter": 4}


def read_lfs_quarterly(path: str | os.PathLike[str], *, sheet: str | int = 0) -> pd.DataFrame:
    """Read the quarterly LFS table by NUTS II (stacked yearly blocks of absolute numbers, in thousands).

    Each year is a block: a row ``NUTS II | year | 'Nth quarter' | ...`` (five columns per quarter), a row of
    measures (Population, Labour Force, Employed, Unemployed, Inactives), then the country and 13 regions.
    Quarters not yet published are empty and skipped. The percentages blocks are not read: the unemployment
    rate is recomputed as unemployed / labour force.

    Returns
    -------
    pandas.DataFrame
        ``year``, ``quarter``, ``region``, ``nuts2`` ('EL' for the country), the five measures (thousands) and
        ``unemployment_rate_pct``.

    Raises
    ------
    IngestError
        If a block's measure header differs, a region name is unknown, a value is not a number, the labour force
        does not equal employed + unemployed (to 0.15 thousand: the table rounds to 0.1), or a row repeats.
    """
    path = Path(path)
    cells = read_sheet(path, sheet)
    source = f"{path}, sheet {sheet!r}"
    records = []
    problems: list[str] = []
    i = 0
    n = len(cells)
    while i < n:
        row = cells.iloc[i]
        if str(row[0]).strip() == "NUTS II" and isinstance(row[1], int | float) and not pd.isna(row[1]):
            quarters = []
            for j in range(1, cells.shape[1], 5):
                year, label = row[j], str(row[j + 1]).strip() if j + 1 < cells.shape[1] else ""
                if isinstance(year, int | float) and not pd.isna(year) and label in _QUARTERS:
                    quarters.append((j, int(year), _QUARTERS[label]))
            measures = [str(v).strip() for v in cells.iloc[i + 1]]
            for j, _, _ in quarters:
                if tuple(measures[j : j + 5]) != _MEASURE_HEADERS:
                    raise IngestError(
                        f"{source}, row {i + 2}, columns {j + 1}-{j + 5}: expected {_MEASURE_HEADERS}; "
                        f"found {measures[j : j + 5]}"
                    )
            k = i + 2
            # The block runs while rows have a name and a value (the percentages heading has neither).
            while k < n and isinstance(cells.iat[k, 0], str) and not pd.isna(cells.iat[k, 1]):
                name = cells.iat[k, 0].split("(")[0].strip()
                if name not in LFS_QUARTERLY_REGIONS:
                    raise IngestError(f"{source}, row {k + 1}, column 1: unknown region {cells.iat[k, 0]!r}")
                for j, year, q in quarters:
                    vals = [cells.iat[k, j + m] for m in range(5)]
                    if all(v is None or (isinstance(v, float) and pd.isna(v)) for v in vals):
                        continue
                    if not all(isinstance(v, int | float) and not isinstance(v, bool) for v in vals):
                        problems.append(f"row {k + 1}, columns {j + 1}-{j + 5}: {vals}")
                        continue
                    pop, lf, emp, une, ina = (float(v) for v in vals)
                    if abs(lf - emp - une) > 0.15:
                        problems.append(f"row {k + 1} ({name} {year}Q{q}): labour force {lf} != {emp} + {une}")
                    records.append((year, q, name, LFS_QUARTERLY_REGIONS[name], pop, lf, emp, une, ina))
                k += 1
            i = k
        else:
            i += 1
    if problems:
        raise IngestError(f"{source}: {len(problems)} problem(s): " + "; ".join(problems[:20]))
    if not records:
        raise IngestError(f"{source}: no yearly block ('NUTS II', year, quarter headers) found")
    out = pd.DataFrame(records, columns=["year", "quarter", "region", "nuts2", *_MEASURES])
    dup = out.duplicated(subset=["year", "quarter", "nuts2"], keep=False)
    if dup.any():
        raise IngestError(f"{source}: rows repeat: {out.loc[dup, ['year', 'quarter', 'region']].values[:5].tolist()}")
    out["unemployment_rate_pct"] = 100 * out["unemployed"] / out["labour_force"]
    logger.info("%s: %d region-quarters, %d-%d", source, len(out), out["year"].min(), out["year"].max())
    return out
