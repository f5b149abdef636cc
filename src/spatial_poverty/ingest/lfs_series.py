"""Readers of two more ELSTAT Labour Force Survey workbooks: the monthly national series and unemployment by
duration per NUTS II region.

Three layers, as in :mod:`spatial_poverty.ingest.lfs`: the sheet's cells
(:func:`~spatial_poverty.ingest.excel.read_sheet`), a strictly typed table
(:func:`~spatial_poverty.ingest.numbers.parse_cells`: a number cell as it is, text only in the Greek form, so a
stray text "18.1" is refused; ELSTAT's '..' and '...' mean not available), and a long frame
keyed by period or by (year, NUTS II code).
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

import numpy as np
import pandas as pd

from spatial_poverty.errors import IngestError
from spatial_poverty.ingest.excel import read_sheet
from spatial_poverty.ingest.lfs import LFS_REGIONS
from spatial_poverty.ingest.numbers import parse_cells

__all__ = ["read_lfs_monthly", "read_lfs_unemployment_duration"]

logger = logging.getLogger(__name__)

_MONTHS = {
    m: i
    for i, m in enumerate(
        (
            "January",
            "February",
            "March",
            "April",
            "May",
            "June",
            "July",
            "August",
            "September",
            "October",
            "November",
            "December",
        ),
        start=1,
    )
}
_MONTHLY_HEADERS = ("Employed", "Unemployed", "Outside the labour force", "Unemployment rate")
_MONTHLY_COLUMNS = ("employed", "unemployed", "inactive", "unemployment_rate_pct")
_NOT_AVAILABLE = ("..", "...")


def _is_blank(v: object) -> bool:
    return v is None or (isinstance(v, float) and np.isnan(v)) or (isinstance(v, str) and v.strip() == "")


def _year(v: object) -> int | None:
    if isinstance(v, int | float) and not isinstance(v, bool) and not np.isnan(v) and float(v).is_integer():
        return int(v)
    return None


def read_lfs_monthly(path: str | os.PathLike[str], *, sheet: str | int = 0, rate_tol: float = 0.1) -> pd.DataFrame:
    """Read ELSTAT's monthly LFS national series (``A0101_SJO02_TS_MM_01_..._F_EN.xlsx``, sheet ``TABLE 1Α``).

    Persons aged 15-74, in thousands. Row 2 heads two groups of four columns, ``Unadjusted estimates`` and
    ``Seasonally adjusted estimates``; each year opens a block with a row ``year | Employed | Unemployed |
    Outside the labour force | Unemployment rate`` (twice), then one row per month.

    Parameters
    ----------
    path : path-like
    sheet : str or int, default 0
    rate_tol : float, default 0.1
        Allowed gap, in percentage points, between the published rate and
        :math:`100\\,U/(E+U)` recomputed from the published employed :math:`E` and unemployed :math:`U` (the
        seasonally adjusted columns are rounded to 0.1 thousand and 0.1 point).

    Returns
    -------
    pandas.DataFrame
        Indexed by ``period`` (monthly :class:`pandas.Period`), columns ``year``, ``month``, ``employed``,
        ``unemployed``, ``inactive``, ``unemployment_rate_pct`` (unadjusted) and the same four prefixed ``sa_``
        (seasonally adjusted).

    Raises
    ------
    IngestError
        If the group headers or a block's column headers differ, a month name is unknown, a value is not a
        number, a rate disagrees with :math:`100\\,U/(E+U)` by more than ``rate_tol``, a month repeats or is
        skipped.
    """
    path = Path(path)
    cells = read_sheet(path, sheet)
    source = f"{path}, sheet {sheet!r}"
    if cells.shape[0] < 4 or cells.shape[1] < 9:
        raise IngestError(
            f"{source}: {cells.shape[0]} rows x {cells.shape[1]} columns; expected at least 4 rows and 9 columns "
            f"(the month, then {', '.join(_MONTHLY_HEADERS)} unadjusted and seasonally adjusted)"
        )
    groups = (str(cells.iat[1, 1]).strip(), str(cells.iat[1, 5]).strip())
    if groups != ("Unadjusted estimates", "Seasonally adjusted estimates"):
        raise IngestError(
            f"{source}, row 2, columns 2 and 6: expected 'Unadjusted estimates', 'Seasonally adjusted estimates'; "
            f"found {groups[0]!r}, {groups[1]!r}"
        )
    year: int | None = None
    labels: list[str] = []
    keys: list[tuple[int, int]] = []
    values: list[list[object]] = []
    for i in range(2, len(cells)):
        first = cells.iat[i, 0]
        if _is_blank(first) and all(_is_blank(v) for v in cells.iloc[i, 1:9]):
            continue
        y = _year(first)
        if y is not None:
            heads = tuple(str(v).strip() for v in cells.iloc[i, 1:9])
            if heads != _MONTHLY_HEADERS * 2:
                raise IngestError(
                    f"{source}, row {i + 1}, columns 2-9: expected {list(_MONTHLY_HEADERS * 2)}; found {list(heads)}"
                )
            year = y
            continue
        name = str(first).strip()
        if name not in _MONTHS:
            raise IngestError(f"{source}, row {i + 1}, column 1: {first!r} is neither a year nor a month name")
        if year is None:
            raise IngestError(f"{source}, row {i + 1}: month {name!r} before any year row")
        keys.append((year, _MONTHS[name]))
        labels.append(f"{i + 1} ({year} {name})")
        values.append(list(cells.iloc[i, 1:9]))
    if not keys:
        raise IngestError(f"{source}: no month rows found")
    out = pd.DataFrame(keys, columns=["year", "month"])
    names = [*_MONTHLY_COLUMNS, *(f"sa_{c}" for c in _MONTHLY_COLUMNS)]
    for j, col in enumerate(names):
        out[col] = parse_cells(
            [v[j] for v in values], kind="decimal", source=source, column=f"{col} (column {j + 2})", rows=labels
        )
    problems = []
    for prefix in ("", "sa_"):
        e, u, r = out[f"{prefix}employed"], out[f"{prefix}unemployed"], out[f"{prefix}unemployment_rate_pct"]
        gap = (100 * u / (e + u) - r).abs()
        for k in np.flatnonzero(gap.to_numpy() > rate_tol):
            problems.append(
                f"row {labels[k]}: {prefix}unemployment_rate_pct {r.iat[k]} but 100*U/(E+U) = "
                f"{100 * u.iat[k] / (e.iat[k] + u.iat[k]):.3f}"
            )
    if problems:
        raise IngestError(
            f"{source}: {len(problems)} rate(s) off by more than {rate_tol} points: " + "; ".join(problems[:20])
        )
    out.index = pd.PeriodIndex.from_fields(year=out["year"], month=out["month"], freq="M").rename("period")
    if out.index.has_duplicates:
        raise IngestError(f"{source}: months repeat: {sorted({str(p) for p in out.index[out.index.duplicated()]})}")
    expected = pd.period_range(out.index.min(), out.index.max(), freq="M")
    if len(expected) != len(out) or not (out.index == expected).all():
        gaps = sorted(str(p) for p in set(expected) - set(out.index))
        raise IngestError(f"{source}: months are out of order or missing: {gaps[:20]}")
    logger.info("%s: %d months, %s to %s", source, len(out), out.index.min(), out.index.max())
    return out


#: Columns of ``UNE-Regio`` read (0-based position -> output column) and the header each must carry.
_DURATION = (
    (2, "unemployed", 0, "Total Unemployed"),
    (3, "under_6_months", 1, "Currently no job search activity /up to 5 months"),
    (4, "months_6_11", 1, "6-11 months"),
    (5, "long_term", 1, "12 months or longer (long term unemployed)"),
    (6, "very_long_term", 2, "24 months or longer"),
)


def read_lfs_unemployment_duration(
    path: str | os.PathLike[str], *, sheet: str = "UNE-Regio", tol: float = 0.15
) -> pd.DataFrame:
    """Read the unemployed by duration of unemployment and NUTS II region, yearly since 1981.

    The workbook ``A0101_SJO03_TS_AN_00_1981_00_2024_03_F_EN.xlsx``, sheet ``UNE-Regio``: three header rows
    (``Total Unemployed``, ``Duration of unemployment`` with its classes), then one row per year and region
    (newest year first, the country as ``COUNTRY TOTAL``), in thousands. Regions of before today's NUTS 2
    (``Thraki`` 1981-1987, ...) are kept with ``nuts2`` empty. The durations need not add up to the total (the
    duration is not always stated) but may not exceed it.

    Parameters
    ----------
    path : path-like
    sheet : str, default "UNE-Regio"
    tol : float, default 0.15
        Allowed excess, in thousands, of the durations' sum over the total and of the 24+ months over the 12+
        months (rounding).

    Returns
    -------
    pandas.DataFrame
        Columns ``year``, ``region`` (as written), ``nuts2`` ('EL' for the country, '' for historical regions),
        ``unemployed``, ``under_6_months``, ``months_6_11``, ``long_term`` (12 months or longer),
        ``very_long_term`` (24 months or longer; NaN where '..') and ``long_term_share_pct``
        (:math:`100 \\times` long term / unemployed).

    Raises
    ------
    IngestError
        If a header differs, a year is not a whole number, a value is not a number, the durations exceed the
        total, the latest year lacks one of the 13 regions, or a (year, region) repeats.
    """
    path = Path(path)
    cells = read_sheet(path, sheet)
    source = f"{path}, sheet {sheet!r}"
    if cells.shape[0] < 5 or cells.shape[1] < 7:
        raise IngestError(f"{source}: {cells.shape[0]} rows x {cells.shape[1]} columns; expected at least 5 x 7")
    for j, _, row, head in _DURATION:
        found = str(cells.iat[row, j]).strip()
        if found != head:
            raise IngestError(f"{source}, row {row + 1}, column {j + 1}: expected {head!r}; found {found!r}")
    heads = (str(cells.iat[2, 0]).strip(), str(cells.iat[2, 1]).strip())
    if heads[0] != "Year" or not heads[1].startswith("Regions"):
        raise IngestError(f"{source}, row 3, columns 1-2: expected 'Year', 'Regions - NUTS II'; found {list(heads)}")
    body = cells.iloc[3:]
    body = body[body[1].map(lambda v: isinstance(v, str) and v.strip() != "")]
    if body.empty:
        raise IngestError(f"{source}: no data rows below the header")
    labels = [f"{int(i) + 1} ({str(r).strip()})" for i, r in body[1].items()]
    years = []
    bad = []
    for label, v in zip(labels, body[0], strict=True):
        y = _year(v)
        if y is None:
            bad.append(f"row {label}: {v!r}")
        years.append(y or 0)
    if bad:
        raise IngestError(f"{source}, column 1 ('Year'): not a whole-number year: " + "; ".join(bad[:20]))
    regions = [str(v).strip() for v in body[1]]
    out = pd.DataFrame(
        {
            "year": years,
            "region": regions,
            "nuts2": ["EL" if r == "COUNTRY TOTAL" else LFS_REGIONS.get(r, "") for r in regions],
        }
    )
    for j, col, _, head in _DURATION:
        raw = [np.nan if isinstance(v, str) and v.strip() in _NOT_AVAILABLE else v for v in body[j]]
        out[col] = parse_cells(
            raw, kind="decimal", source=source, column=f"{head} (column {j + 1})", rows=labels, allow_missing=True
        )
    parts = out[["under_6_months", "months_6_11", "long_term"]].sum(axis=1, min_count=1)
    over = (parts > out["unemployed"] + tol) | (out["very_long_term"] > out["long_term"] + tol)
    if over.any():
        shown = [f"row {labels[k]}" for k in np.flatnonzero(over.to_numpy())]
        raise IngestError(f"{source}: durations exceed the total (or 24+ months exceed 12+) in {shown[:20]}")
    dup = out.duplicated(subset=["year", "region"], keep=False)
    if dup.any():
        raise IngestError(f"{source}: (year, region) repeated: {out.loc[dup, ['year', 'region']].values[:5].tolist()}")
    latest = out["year"].max()
    have = set(out.loc[out["year"] == latest, "nuts2"]) - {"", "EL"}
    if have != set(LFS_REGIONS.values()):
        raise IngestError(f"{source}: year {latest} lacks regions {sorted(set(LFS_REGIONS.values()) - have)}")
    out["long_term_share_pct"] = 100 * out["long_term"] / out["unemployed"]
    logger.info("%s: %d rows, years %d-%d", source, len(out), out["year"].min(), latest)
    return out
