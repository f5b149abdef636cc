"""Apportioning values on 2011 municipalities to 2021 municipalities through the crosswalk.

- **Counts** (people, households, benefits) are split by ``pop_share`` and rounded by the largest-remainder
  (Hamilton) method, so that the parts of every 2011 unit add up to its value exactly and totals are preserved.
- **Rates and means** are carried: the value on a 2021 unit is the mean of its 2011 parents' values weighted by
  the 2011 population each contributes,

  .. math:: r_j = \\frac{\\sum_i p_{ij} r_i}{\\sum_i p_{ij}}

  where :math:`p_{ij}` is the 2011 population of 2011 unit :math:`i` lying in 2021 unit :math:`j`. A 2021 unit
  with one parent (every split unit) carries its parent's value unchanged.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from spatial_poverty.errors import IngestError

__all__ = ["METHOD_COUNT", "METHOD_RATE", "apportion", "carry_rates", "split_counts"]

METHOD_COUNT = "count split by 2011 population share, largest-remainder rounding (2011 unit totals preserved)"
METHOD_RATE = "rate carried from the 2011 unit(s), weighted by the 2011 population each contributes"


def _check(values: pd.Series, crosswalk: pd.DataFrame, what: str) -> None:
    unknown = sorted(set(values.index) - set(crosswalk["elstat_2011"]))
    if unknown:
        raise IngestError(f"{what}: 2011 codes not in the crosswalk: {unknown[:20]}")
    missing = sorted(set(crosswalk["elstat_2011"]) - set(values.index))
    if missing:
        raise IngestError(f"{what}: no value for 2011 units {missing[:20]} of the crosswalk")
    if values.index.duplicated().any():
        raise IngestError(f"{what}: 2011 codes appear twice: {sorted(set(values.index[values.index.duplicated()]))}")


def split_counts(values: pd.Series, crosswalk: pd.DataFrame) -> pd.Series:
    """Split integer counts on 2011 units among 2021 units by ``pop_share``, preserving each unit's total.

    Parameters
    ----------
    values : pandas.Series
        Non-negative whole numbers indexed by ELSTAT 2011 code.
    crosswalk : pandas.DataFrame
        With ``elstat_2011``, ``elstat_2021``, ``pop_share`` (:attr:`Crosswalk.table`).

    Returns
    -------
    pandas.Series
        Int64, indexed by ELSTAT 2021 code (named ``code``). Missing 2011 values stay missing.

    Examples
    --------
    >>> cw = pd.DataFrame({"elstat_2011": ["a", "a", "a"], "elstat_2021": ["x", "y", "z"],
    ...                    "pop_share": [0.5, 0.3, 0.2]})
    >>> split_counts(pd.Series({"a": 7}), cw).tolist()
    [4, 2, 1]
    """
    _check(values, crosswalk, f"counts {values.name!r}")
    v = pd.to_numeric(values, errors="raise")
    present = v.dropna()
    if (present < 0).any() or not np.allclose(present, np.round(present)):
        raise IngestError(f"counts {values.name!r} need to be non-negative whole numbers")
    parts: list[tuple[str, object]] = []
    for e11, grp in crosswalk.groupby("elstat_2011", sort=True):
        total = v.get(e11)
        if pd.isna(total):
            parts.extend((c, pd.NA) for c in grp["elstat_2021"])
            continue
        exact = grp["pop_share"].to_numpy(dtype=float) * float(total)
        base = np.floor(exact).astype(np.int64)
        left = round(float(total)) - int(base.sum())
        order = np.lexsort((grp["elstat_2021"].to_numpy(), -(exact - base)))  # largest remainder, then code
        base[order[:left]] += 1
        parts.extend(zip(grp["elstat_2021"], base.tolist(), strict=True))
    frame = pd.DataFrame(parts, columns=["code", "value"])
    out = frame.groupby("code")["value"].sum(min_count=1).astype("Int64")
    out.name = values.name
    return out


def carry_rates(values: pd.Series, crosswalk: pd.DataFrame) -> pd.Series:
    """Carry rates or means from 2011 to 2021 units, weighted by the 2011 population each part holds.

    Needs the crosswalk column ``pop_2011_part``. Returns a float Series indexed by ELSTAT 2021 code.

    Examples
    --------
    >>> cw = pd.DataFrame({"elstat_2011": ["a", "a", "b"], "elstat_2021": ["x", "y", "y"],
    ...                    "pop_2011_part": [60, 40, 60]})
    >>> carry_rates(pd.Series({"a": 10.0, "b": 20.0}), cw).round(2).tolist()
    [10.0, 16.0]
    """
    _check(values, crosswalk, f"rates {values.name!r}")
    frame = crosswalk[["elstat_2011", "elstat_2021", "pop_2011_part"]].copy()
    frame["r"] = frame["elstat_2011"].map(values).astype(float)
    frame["w"] = frame["pop_2011_part"].astype(float)
    frame = frame.dropna(subset=["r"])
    num = (frame["r"] * frame["w"]).groupby(frame["elstat_2021"]).sum()
    den = frame["w"].groupby(frame["elstat_2021"]).sum()
    out = (num / den).reindex(sorted(crosswalk["elstat_2021"].unique()))
    out.index.name = "code"
    out.name = values.name
    return out


def apportion(
    frame: pd.DataFrame,
    crosswalk: pd.DataFrame,
    *,
    counts: Sequence[str] = (),
    rates: Sequence[str] = (),
) -> tuple[pd.DataFrame, dict[str, str]]:
    """Bring the columns of a frame on 2011 units to 2021 units: counts split, rates carried.

    Returns
    -------
    (pandas.DataFrame, dict)
        The frame indexed by ELSTAT 2021 code, and the method used for each column. The input is not changed.

    Raises
    ------
    IngestError
        If a column is missing, a 2011 code is not in the crosswalk (or a crosswalk unit has no row), or a
        count is not a non-negative whole number.
    """
    missing = [c for c in (*counts, *rates) if c not in frame.columns]
    if missing:
        raise IngestError(f"columns {missing} are missing; the frame has {list(frame.columns)}")
    cols: dict[str, pd.Series] = {}
    methods: dict[str, str] = {}
    for c in counts:
        cols[c] = split_counts(frame[c], crosswalk)
        methods[c] = METHOD_COUNT
    for c in rates:
        cols[c] = carry_rates(frame[c], crosswalk)
        methods[c] = METHOD_RATE
    out = pd.DataFrame(cols)
    out.index.name = "code"
    return out, methods
