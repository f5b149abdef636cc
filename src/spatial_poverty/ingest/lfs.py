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

__all__ = ["LFS_REGIONS", "read_lfs_status_regions"]

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
