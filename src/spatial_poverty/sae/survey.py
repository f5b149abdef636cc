"""Reading the survey of the ``sae:`` section: one row per person, its design columns, AROPE (or its three
components) and the columns that define the groups; each respondent placed on a 2021 municipality.

Every problem is an :class:`~spatial_poverty.errors.IngestError` naming the file, the row (as a spreadsheet
numbers it: the header is row 1), the column, the value and what was expected.

**Code systems.** ELSTAT 2021 codes are joined as they are. ELSTAT 2011 codes go through the run's crosswalk:
a 2011 municipality that is one 2021 municipality (or whose code was renumbered) is placed; respondents outside
the run's area (a national survey in a regional run) stay in the design, in no domain; the respondents of a
2011 municipality divided in 2019 (Corfu, Kefalonia, Lesvos, Samos, Servia-Velvento) cannot be told apart, so
they stay in the design (their region, the variance) but in no municipal domain, and the run says how many.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from spatial_poverty.errors import IngestError

if TYPE_CHECKING:
    from spatial_poverty.sae.spec import GroupSpec, SaeSpec

__all__ = ["Survey", "arope_from_components", "group_mask", "read_survey"]


@dataclass(frozen=True)
class Survey:
    """The survey as the estimation reads it.

    ``frame``: one row per person with ``code`` (2021 municipality, or None when it cannot be placed),
    ``region_code`` (a 2021 municipality of the area in the same region, for the regional estimates; None outside
    the area), ``weight``,
    ``stratum``, ``psu``, ``fpc`` (or NaN), ``arope`` (0/1, NaN when unknown) and the group columns as read;
    ``replicate_weights``: (rows, R) or None; ``unplaced``: respondents per 2011 code of the area that could not be
    placed (divided in 2019); ``outside``: respondents outside the run's area (a national survey in a regional run:
    they stay in the design, in no domain).
    """

    frame: pd.DataFrame
    replicate_weights: np.ndarray | None
    unplaced: dict[str, int]
    source: str
    outside: int = 0


def arope_from_components(poverty: np.ndarray, deprivation: np.ndarray, work_intensity: np.ndarray) -> np.ndarray:
    """Eurostat's AROPE: at risk of poverty OR severely materially and socially deprived OR in a household of
    very low work intensity. Unknown (NaN) when no component is 1 and any is unknown."""
    parts = np.column_stack([poverty, deprivation, work_intensity]).astype(float)
    anyone = (parts == 1).any(axis=1)
    unknown = np.isnan(parts).any(axis=1)
    return np.where(anyone, 1.0, np.where(unknown, np.nan, 0.0))


def _numbers(raw: pd.Series, source: str, column: str, *, allow_missing: bool = False) -> np.ndarray:
    """A column of numbers written with '.' as the decimal mark (as survey files are), every bad cell named."""
    text = raw.astype("string").str.strip()
    vals = pd.to_numeric(text, errors="coerce").to_numpy(float)
    bad = np.flatnonzero(np.isnan(vals) & (text.notna().to_numpy() | (not allow_missing)))
    if len(bad):
        i = int(bad[0])
        raise IngestError(
            f"{source}, row {i + 2}, column {column!r}: {raw.iloc[i]!r}; expected a number with '.' as the decimal "
            f"mark, like 412.5 ({len(bad)} row(s) are not)"
        )
    return vals


def _zero_one(table: pd.DataFrame, column: str, source: str) -> np.ndarray:
    vals = _numbers(table[column], source, column, allow_missing=True)
    bad = np.flatnonzero(np.isfinite(vals) & ~np.isin(vals, (0.0, 1.0)))
    if len(bad):
        i = int(bad[0])
        raise IngestError(
            f"{source}, row {i + 2}, column {column!r}: {table[column].iloc[i]!r}; expected 0 or 1 "
            f"({len(bad)} row(s) are neither)"
        )
    return vals.astype(float)


def _codes(raw: pd.Series, source: str, column: str) -> pd.Series:
    text = raw.fillna("").astype(str).str.strip().str.replace(r"\.0$", "", regex=True)
    bad = ~text.str.fullmatch(r"\d{3,4}")
    if bad.any():
        i = int(np.flatnonzero(bad.to_numpy())[0])
        raise IngestError(
            f"{source}, row {i + 2}, column {column!r}: {raw.iloc[i]!r}; expected a 4-digit municipality code "
            f"({int(bad.sum())} row(s) are not)"
        )
    return text.str.zfill(4)


def _place(  # type: ignore[no-untyped-def]
    codes: pd.Series, spec: SaeSpec, municipalities: pd.Index, known: pd.Index, crosswalk: pd.DataFrame | None,
    source: str,
):  # fmt: skip
    """Per respondent: the 2021 municipality of the area (None: outside it, or in a divided 2011 municipality)
    and a 2021 municipality of the area in the same region (None outside the area); the respondents of divided
    2011 municipalities of the area by code, and the number outside the area."""
    column = spec.columns.domain
    if spec.code_system == "elstat_2021":
        unknown = ~codes.isin(known)
        any_part = codes
        placed = codes.where(codes.isin(municipalities), None)
    else:
        if crosswalk is None:
            raise IngestError(f"{source}: 2011 codes need the crosswalk of the national table (sources.census_2011...)")
        parts = crosswalk.groupby("elstat_2011")["elstat_2021"].agg(lambda s: sorted(set(s)))
        whole = parts[parts.map(len) == 1].map(lambda v: v[0])
        unknown = ~codes.isin(parts.index)
        any_part = codes.map(parts.map(lambda v: v[0]))
        placed = codes.map(whole)
        placed = placed.where(placed.isin(municipalities), None)
    if unknown.any():
        i = int(np.flatnonzero(unknown.to_numpy())[0])
        raise IngestError(
            f"{source}, row {i + 2}, column {column!r}: {codes.iloc[i]!r} is not an {spec.code_system} municipality "
            f"code ({int(unknown.sum())} row(s))"
        )
    inside = any_part.isin(municipalities)
    region_code = any_part.where(inside, None)
    divided = codes[placed.isna() & inside].value_counts().sort_index()
    return placed, region_code, {str(k): int(v) for k, v in divided.items()}, int((~inside).sum())


def read_survey(
    path: str | Path,
    spec: SaeSpec,
    *,
    municipalities: pd.Index,
    known_codes: pd.Index | None = None,
    crosswalk: pd.DataFrame | None = None,
    name: str | None = None,
) -> Survey:
    """Read and check the survey file of ``spec`` (CSV, UTF-8, ',' or ';').

    Raises
    ------
    IngestError
        A missing column, a weight that is not a positive number, an outcome that is not 0/1, a code that is not
        a municipality of the run's area (naming file, row, column and value).
    """
    path = Path(path)
    source = name or str(path)
    try:
        table = pd.read_csv(path, dtype=str, sep=None, engine="python", encoding="utf-8-sig", keep_default_na=False,
                            na_values=[""])  # fmt: skip
    except (UnicodeDecodeError, pd.errors.ParserError, OSError) as exc:
        raise IngestError(f"{source}: not a readable UTF-8 CSV file ({exc})") from exc
    cols = spec.columns
    design_cols = [c for c in (cols.domain, cols.weight, cols.strata, cols.psu, cols.fpc) if c]
    group_cols = sorted({g.column for g in spec.groups.values() if g.column})
    missing = [c for c in [*design_cols, *spec.outcome.columns, *group_cols] if c not in table.columns]
    if missing:
        raise IngestError(f"{source}: column(s) {missing} are missing; the header has {list(table.columns)}")
    codes = _codes(table[cols.domain], source, cols.domain)
    known = municipalities if known_codes is None else known_codes
    placed, region_code, unplaced, outside = _place(codes, spec, municipalities, known, crosswalk, source)
    weight = _numbers(table[cols.weight], source, cols.weight)
    bad = np.flatnonzero(~(weight > 0))
    if len(bad):
        i = int(bad[0])
        raise IngestError(
            f"{source}, row {i + 2}, column {cols.weight!r}: {table[cols.weight].iloc[i]!r}; weights need to be "
            "positive numbers"
        )
    out = pd.DataFrame(
        {"code": placed.to_numpy(), "region_code": region_code.to_numpy(), "weight": weight.astype(float)}
    )
    out["stratum"] = table[cols.strata].astype(str).to_numpy() if cols.strata else "all"
    out["psu"] = table[cols.psu].astype(str).to_numpy() if cols.psu else np.arange(len(table)).astype(str)
    out["fpc"] = _numbers(table[cols.fpc], source, cols.fpc) if cols.fpc else np.nan
    if spec.outcome.arope:
        out["arope"] = _zero_one(table, spec.outcome.arope, source)
    else:
        out["arope"] = arope_from_components(*(_zero_one(table, c, source) for c in spec.outcome.columns))
    for c in group_cols:
        out[f"group:{c}"] = table[c].to_numpy()
    reps = None
    if cols.replicate_prefix:
        rep_cols = [c for c in table.columns if c.startswith(cols.replicate_prefix)]
        if len(rep_cols) < 2:
            raise IngestError(f"{source}: fewer than 2 columns start with {cols.replicate_prefix!r}: {rep_cols}")
        reps = np.column_stack([
            _numbers(table[c], source, c) for c in rep_cols
        ])  # fmt: skip
    return Survey(out, reps, unplaced, source, outside)


def group_mask(frame: pd.DataFrame, group: GroupSpec, source: str) -> np.ndarray:
    """Which respondents belong to ``group`` (everyone when it has no column)."""
    if group.column is None:
        return np.ones(len(frame), dtype=bool)
    raw = frame[f"group:{group.column}"]
    if group.values is not None:
        return raw.astype(str).str.strip().isin([str(v) for v in group.values]).to_numpy()
    vals = _numbers(raw, source, group.column, allow_missing=True)
    lo = -np.inf if group.min is None else group.min
    hi = np.inf if group.max is None else group.max
    return np.isfinite(vals) & (vals >= lo) & (vals <= hi)
