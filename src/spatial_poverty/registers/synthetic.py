"""Demonstration register files on the real municipalities, labelled SYNTHETIC everywhere.

No register is public at municipal level, so the demonstration pipeline (``pipelines/registers_demo.yaml``) reads
files made here. They look like what partners send, faults included:

- monthly counts on the real 2021 municipalities, drawn from Poisson with a rate that rests on real covariates
  (the 2001 unemployment of the national table, standardised) with spatially smooth noise, a regional trend, a
  seasonal swing for registered unemployment, and a cluster of municipalities whose rate rises in the second year
  (so that the space-time statistics have something to find);
- written the way each register is declared: ELSTAT 2021 codes, ELSTAT 2011 codes (counts added up to the 2011
  municipalities, so the run must split the five divided in 2019) or names (the 2011 name of a renamed
  municipality, the aliases of ambiguous names), in the declared encoding, delimiter and columns;
- a count suppressed at the source (``<5``, every count below 5), a row repeated exactly, a month missing from
  one register, counts with '.' thousands in the Greek form.

File names start with ``SYNTHETIC_``; the registers are declared ``synthetic: true``, so every layer, map and
report section they feed carries "SYNTHETIC - demonstration data".
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

from spatial_poverty.harmonise.names import normalise_name
from spatial_poverty.registers.analysis import region_of
from spatial_poverty.registers.spec import RegisterSource

__all__ = ["BASE_RATES", "MISSING_PERIOD", "monthly_periods", "synthetic_counts", "write_synthetic_register"]

#: Rate per 1,000 residents around which each kind is drawn (orders of magnitude of the national registers:
#: ΚΕΑ about 5-6 % of residents, ΔΥΠΑ about 9 %, child benefit households about 2.5 %).
BASE_RATES = {"benefit_recipients": 55.0, "registered_unemployed": 85.0, "beneficiary_households": 25.0, "count": 20.0}
#: The month left out of registers coded by name (a period missing).
MISSING_PERIOD = "2023-07"


def monthly_periods(first: str = "2023-01", n: int = 24) -> list[str]:
    """``n`` consecutive months from ``first`` (``YYYY-MM``)."""
    return [p.strftime("%Y-%m") for p in pd.period_range(first, periods=n, freq="M")]


def _smooth_noise(points: np.ndarray, rng: np.random.Generator, k: int = 6) -> np.ndarray:
    """Noise averaged over each unit's k nearest (centroids): spatially correlated, unit variance."""
    from scipy.spatial import cKDTree

    raw = rng.standard_normal(len(points))
    _, idx = cKDTree(points).query(points, k=min(k + 1, len(points)))
    smooth = raw[idx].mean(axis=1)
    return (smooth - smooth.mean()) / smooth.std()


def synthetic_counts(municipalities: gpd.GeoDataFrame, kind: str, periods: Sequence[str], *, seed: int) -> pd.DataFrame:
    """Counts per 2021 municipality (index) and period (columns), Poisson around a realistic rate.

    ``municipalities`` needs ``pop_2021``, ``region_el`` (or ``nuts2``), ``unemp_2001`` and polygons in a metric CRS.
    """
    rng = np.random.default_rng(seed)
    pop = municipalities["pop_2021"].to_numpy(float)
    unemp = municipalities["unemp_2001"].astype(float)
    z = ((unemp - unemp.mean()) / unemp.std()).fillna(0).to_numpy()
    centroids = municipalities.geometry.representative_point()
    points = np.column_stack([centroids.x, centroids.y])
    level = np.log(BASE_RATES[kind]) + 0.30 * z + 0.25 * _smooth_noise(points, rng)
    region = region_of(municipalities)
    regions = sorted(region.unique())
    slope = dict(zip(regions, rng.normal(-0.004, 0.004, len(regions)), strict=True))
    reg_slope = region.map(slope).to_numpy(float)
    seed_unit = int(rng.integers(len(points)))
    near = np.argsort(((points - points[seed_unit]) ** 2).sum(axis=1))[:10]
    rising = np.zeros(len(points))
    rising[near] = 1.0
    counts = {}
    for t, period in enumerate(periods):
        month = int(period[5:7])
        season = 0.08 * np.cos(2 * np.pi * (month - 2) / 12) if kind == "registered_unemployed" else 0.0
        surge = rising * 0.035 * max(0, t - len(periods) // 2)
        rate = np.exp(level + reg_slope * t + season + surge)
        counts[period] = rng.poisson(rate * pop / 1000.0)
    return pd.DataFrame(counts, index=municipalities.index)


def _cell(n: int, thousands: bool) -> str:
    if n < 5:
        return "<5"
    return f"{n:,}".replace(",", ".") if thousands else str(n)


def _to_2011(counts: pd.DataFrame, crosswalk: pd.DataFrame) -> pd.DataFrame:
    """Counts on 2021 units added up to their 2011 parents; a 2021 unit with several parents (Sitia took part of
    Ierapetra) is shared by the 2011 population each contributes, whole numbers, its total kept."""
    cw = crosswalk[crosswalk["elstat_2021"].isin(counts.index)]
    parts = []
    for code21, grp in cw.groupby("elstat_2021", sort=True):
        w = grp["pop_2011_part"].to_numpy(float)
        w = w / w.sum()
        values = counts.loc[code21].to_numpy()
        share = np.floor(np.outer(w, values)).astype(np.int64)
        share[int(np.argmax(w))] += values - share.sum(axis=0)  # the remainder to the largest parent
        parts.append(pd.DataFrame(share, index=grp["elstat_2011"].to_numpy(), columns=counts.columns))
    return pd.concat(parts).groupby(level=0).sum()


def _keys(counts: pd.DataFrame, reg: RegisterSource, crosswalk: pd.DataFrame, names: pd.Series) -> pd.DataFrame:
    """The counts keyed as the register declares: 2021 codes, 2011 codes (added up) or names."""
    if reg.code_system in ("elstat_2011", "ypes_2011"):
        out = _to_2011(counts, crosswalk)
        if reg.code_system == "ypes_2011":
            ypes = crosswalk.drop_duplicates("elstat_2011").set_index("elstat_2011")["ypes_2011"]
            out.index = out.index.map(ypes)
        return out
    if reg.code_system == "elstat_2021":
        return counts
    written = names.reindex(counts.index).astype(str).copy()
    for alias, code in reg.aliases.items():
        written[code] = alias
    renamed = crosswalk[
        (crosswalk["pop_share"] >= 1)
        & crosswalk["name_match"].str.startswith("similar")
        & ~crosswalk["elstat_2021"].isin(reg.aliases.values())
    ]
    if len(renamed):  # one municipality under its 2011 name
        r = renamed.sort_values("elstat_2021").iloc[0]
        if r["elstat_2021"] in written.index:
            written[r["elstat_2021"]] = r["name_2011"].split(" (")[0]
    norm = written.map(normalise_name)
    if norm.duplicated().any():
        raise ValueError(f"names written twice: {sorted(set(written[norm.duplicated(keep=False)]))}; add aliases")
    out = counts.copy()
    out.index = written
    return out


def write_synthetic_register(
    path: str | Path,
    reg: RegisterSource,
    municipalities: gpd.GeoDataFrame,
    crosswalk: pd.DataFrame,
    *,
    periods: Sequence[str],
    seed: int,
    drop_period: str | None = None,
) -> Path:
    """Write one register file as ``reg`` declares it (columns, code system, encoding, delimiter; ``.xlsx`` when
    ``path`` says so), with a repeated row and counts below 5 written ``<5``.

    ``periods`` in ``YYYY-MM``; ``reg.source`` files get a period column (written ``MM/YYYY`` for ELSTAT 2011
    codes, ``YYYY-MM`` otherwise), ``drop_period`` is left out.
    """
    path = Path(path)
    counts = synthetic_counts(municipalities, reg.kind, periods, seed=seed)
    keyed = _keys(counts, reg, crosswalk, municipalities["name_el"])
    thousands = reg.code_system == "elstat_2011"
    c = reg.columns
    header = [c.code, *([c.period] if c.period else []), c.count, *reg.select]
    rows: list[list[object]] = []
    for period in periods:
        if period == drop_period:
            continue
        written = f"{period[5:7]}/{period[:4]}" if reg.code_system == "elstat_2011" else period
        for key, n in keyed[period].items():
            rows.append([key, *([written] if c.period else []), _cell(int(n), thousands), *reg.select.values()])
    rows.insert(len(rows) // 3, list(rows[len(rows) // 3]))  # a row repeated exactly
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.suffix.lower() == ".xlsx":
        pd.DataFrame(rows, columns=header).to_excel(
            path, sheet_name=reg.sheet if isinstance(reg.sheet, str) else "Sheet1", index=False
        )
        return path
    buf = io.StringIO(newline="")
    writer = csv.writer(buf, delimiter=reg.delimiter, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows(rows)
    path.write_bytes(buf.getvalue().encode(reg.encoding))
    return path
