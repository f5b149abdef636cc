"""Putting a register's rows on the 2021 municipalities of the run.

- **ELSTAT 2021** codes are joined as they are; a code that is no 2021 municipality is an error.
- **ELSTAT 2011** (and **YPES 2011**, through the crosswalk's ``ypes_2011``) codes go through the crosswalk:
  never joined to 2021 codes by value, since 25 codes denote different municipalities in the two numberings
  (2011 code 1402 is Voio, 2021 code 1402 is Velventos). A 2011 municipality divided in 2019 has its count split
  by 2011 population share with largest-remainder rounding (:func:`~spatial_poverty.harmonise.apportion.split_counts`),
  so the parts add up to it exactly.
- **Names** are matched on their normal form (:func:`~spatial_poverty.harmonise.names.normalise_name`) against
  the configured aliases, then the 2021 names, then the 2011 names (a 2011 name goes through the crosswalk as a
  2011 code). A name that matches none, or several municipalities, is listed in the data-quality table with the
  closest names, and its count is left out (the totals say how much).

Rows on municipalities outside the run's area are left out and counted. For every period the total on the 2021
units equals the total of the rows placed, exactly (checked; a difference is an error).
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from spatial_poverty.errors import IngestError
from spatial_poverty.harmonise.apportion import split_counts
from spatial_poverty.harmonise.names import normalise_name
from spatial_poverty.registers.read import Finding
from spatial_poverty.registers.spec import RegisterSource

__all__ = ["Placed", "place_register"]


@dataclass
class Placed:
    """A register on the 2021 municipalities of the run.

    Attributes
    ----------
    panel : pandas.DataFrame
        One row per municipality of the area and period: ``code``, ``period``, ``count`` (Int64; missing where
        suppressed at the source or where the file has no row) and ``status`` (``ok``, ``suppressed_at_source``,
        ``no_row``).
    splits : pandas.DataFrame
        The counts of 2011 municipalities divided among 2021 ones: ``period``, ``elstat_2011``, ``name_2011``,
        ``count_2011``, ``elstat_2021``, ``name_2021``, ``pop_share``, ``count_2021``.
    totals : pandas.DataFrame
        Per period: ``rows``, ``input_total`` (rows on the area's municipalities), ``placed_total`` (on the 2021
        units), ``withheld`` (known parts of a unit whose other part was suppressed), ``outside_area``,
        ``unmatched``, ``equal`` (input = placed + withheld).
    findings : list of Finding
    """

    panel: pd.DataFrame
    splits: pd.DataFrame
    totals: pd.DataFrame
    findings: list[Finding] = field(default_factory=list)


def _names_2021(crosswalk: pd.DataFrame) -> pd.DataFrame:
    return crosswalk[["elstat_2021", "name_2021"]].drop_duplicates("elstat_2021")


def _match_names(
    rows: pd.DataFrame, reg: RegisterSource, crosswalk: pd.DataFrame, where: str, name: str
) -> tuple[pd.DataFrame, list[Finding]]:
    """``system`` (2021 or 2011) and ``code`` of every row matched by name; unmatched rows are dropped, listed."""
    n21 = _names_2021(crosswalk)
    n11 = crosswalk[["elstat_2011", "name_2011"]].drop_duplicates("elstat_2011")
    by21: dict[str, set[str]] = {}
    for code, nm in zip(n21["elstat_2021"], n21["name_2021"], strict=True):
        by21.setdefault(normalise_name(nm), set()).add(code)
    by11: dict[str, set[str]] = {}
    for code, nm in zip(n11["elstat_2011"], n11["name_2011"], strict=True):
        by11.setdefault(normalise_name(nm), set()).add(code)
    aliases = {normalise_name(k): v for k, v in reg.aliases.items()}
    unknown_alias = sorted(set(aliases.values()) - set(n21["elstat_2021"]))
    if unknown_alias:
        raise IngestError(f"sources.registers.{name}.aliases: {unknown_alias} are not ELSTAT 2021 municipality codes")
    how: dict[str, tuple[str, str, str] | None] = {}
    unmatched: list[str] = []
    for raw in dict.fromkeys(rows["key"]):
        norm = normalise_name(raw)
        if norm in aliases:
            how[raw] = ("2021", aliases[norm], "alias")
        elif len(by21.get(norm, ())) == 1:
            how[raw] = ("2021", next(iter(by21[norm])), "2021 name")
        elif len(by11.get(norm, ())) == 1 and norm not in by21:
            how[raw] = ("2011", next(iter(by11[norm])), "2011 name")
        else:
            how[raw] = None
            rows_of = rows.loc[rows["key"] == raw, "row"].tolist()
            if len(by21.get(norm, ())) > 1 or len(by11.get(norm, ())) > 1:
                codes = sorted(by21.get(norm, set()) | by11.get(norm, set()))
                why = f"ambiguous: {', '.join(codes)}; add an alias (sources.registers.{name}.aliases)"
            else:
                close = difflib.get_close_matches(norm, list(by21), n=2, cutoff=0.75)
                why = "no municipality of that name" + (f"; closest: {', '.join(close)}" if close else "")
            unmatched.append(
                f"{raw!r} (rows {', '.join(map(str, rows_of[:5]))}{'...' if len(rows_of) > 5 else ''}): {why}"
            )
    matched = {k: v for k, v in how.items() if v is not None}
    listing = "; ".join(f"{k!r} -> {v[1]} ({v[2]})" for k, v in sorted(matched.items(), key=lambda kv: kv[1][1]))
    findings = [
        Finding(
            where,
            f"register {name}: municipalities matched by name",
            rows_read=len(how),
            matched=len(matched),
            unmatched=tuple(unmatched),
            detail=listing,
        )
    ]
    keep = rows[rows["key"].map(lambda k: how[k] is not None)].copy()
    keep["system"] = keep["key"].map(lambda k: how[k][0])  # type: ignore[index]
    keep["code"] = keep["key"].map(lambda k: how[k][1])  # type: ignore[index]
    dropped = rows[~rows.index.isin(keep.index)]
    return keep, findings + ([_left_out(dropped, where, name, "unmatched names")] if len(dropped) else [])


def _left_out(rows: pd.DataFrame, where: str, name: str, why: str) -> Finding:
    total = int(rows["count"].sum(skipna=True))
    by_period = rows.groupby("period")["count"].sum(min_count=1)
    return Finding(
        where,
        f"register {name}: rows left out ({why})",
        rows_read=len(rows),
        detail=f"{total} counted in {len(by_period)} period(s): "
        + "; ".join(f"{p}: {'' if pd.isna(v) else int(v)}" for p, v in by_period.items()),
    )


def _codes(rows: pd.DataFrame, reg: RegisterSource, crosswalk: pd.DataFrame, where: str, name: str) -> pd.DataFrame:
    """``system`` and ``code`` of every row coded by ELSTAT 2021, ELSTAT 2011 or YPES 2011; unknown codes raise."""
    out = rows.copy()
    if reg.code_system == "elstat_2021":
        known, system = set(crosswalk["elstat_2021"]), "2021"
        out["code"] = out["key"]
    elif reg.code_system == "elstat_2011":
        known, system = set(crosswalk["elstat_2011"]), "2011"
        out["code"] = out["key"]
    else:
        ypes = crosswalk.drop_duplicates("ypes_2011").set_index("ypes_2011")["elstat_2011"]
        known, system = set(ypes.index), "2011"
        out["code"] = out["key"].map(ypes)
    bad = out[~out["key"].isin(known)]
    if len(bad):
        shown = "; ".join(f"row {r}: {k!r}" for r, k in zip(bad["row"], bad["key"], strict=True))
        system_name = {"elstat_2021": "ELSTAT 2021", "elstat_2011": "ELSTAT 2011", "ypes_2011": "YPES 2011"}
        raise IngestError(
            f"register {name!r}, {where}: {len(bad)} code(s) are no {system_name[reg.code_system]} municipality "
            f"(code_system: {reg.code_system}): {shown[:1500]}"
        )
    out["system"] = system
    return out


def place_register(
    rows: pd.DataFrame,
    reg: RegisterSource,
    *,
    area: pd.Index,
    crosswalk: pd.DataFrame,
    where: str,
    name: str,
) -> Placed:
    """Put the rows of :func:`~spatial_poverty.registers.read.read_register_file` on the area's 2021 units.

    Parameters
    ----------
    rows : pandas.DataFrame
        ``row``, ``key``, ``period``, ``count``, ``suppressed`` (every file of the register, concatenated).
    reg : RegisterSource
    area : pandas.Index
        The ELSTAT 2021 codes of the run.
    crosswalk : pandas.DataFrame
        The ``code_crosswalk`` layer (national): ``elstat_2011``, ``elstat_2021``, ``ypes_2011``, ``pop_share``,
        ``name_2011``, ``name_2021``.
    where, name
        The file(s) and the register's name, for messages.
    """
    findings: list[Finding] = []
    if reg.code_system == "names":
        coded, found = _match_names(rows, reg, crosswalk, where, name)
        findings += found
    else:
        coded = _codes(rows, reg, crosswalk, where, name)
    unmatched_total = rows.loc[~rows.index.isin(coded.index)].groupby("period")["count"].sum()
    direct = coded[coded["system"] == "2021"][["code", "period", "count", "suppressed", "row"]]
    old = coded[coded["system"] == "2011"]
    parts = [direct]
    splits: list[pd.DataFrame] = []
    if len(old):
        split, split_rows = _split_2011(old, crosswalk)
        parts.append(split)
        splits.append(split_rows)
    placed = pd.concat(parts, ignore_index=True)
    inside = placed["code"].isin(area)
    outside = placed[~inside]
    if len(outside):
        findings.append(_left_out(outside.assign(row=0), where, name, "municipalities outside the run's area"))
    placed = placed[inside]
    panel, combined = _panel(placed, area)
    if combined:
        findings.append(
            Finding(
                where,
                f"register {name}: several rows on one 2021 municipality (added up)",
                detail="; ".join(combined[:50]),
            )
        )
    totals = _totals(rows, _inside(coded, area, crosswalk), placed, panel, outside, unmatched_total)
    if not totals["equal"].all():
        bad = totals[~totals["equal"]]
        raise IngestError(
            f"register {name!r}: totals on the 2021 units differ from the input's: {bad.to_dict('records')}"
        )
    names21 = _names_2021(crosswalk).set_index("elstat_2021")["name_2021"]
    split_table = (
        pd.concat(splits, ignore_index=True)
        if splits
        else pd.DataFrame(columns=["period", "elstat_2011", "count_2011"])
    )
    if len(split_table):
        split_table["name_2021"] = split_table["elstat_2021"].map(names21)
        split_table = split_table[split_table["elstat_2021"].isin(area)].reset_index(drop=True)
    missing = sorted(set(_expected_periods(panel["period"].unique())) - set(panel["period"]))
    if missing:
        findings.append(
            Finding(
                where,
                f"register {name}: periods missing from the sequence",
                detail=f"{len(missing)}: {', '.join(missing)} (no file or no row; the statistics over "
                "time use the periods present)",
            )
        )
    return Placed(panel=panel, splits=split_table, totals=totals, findings=findings)


def _split_2011(old: pd.DataFrame, crosswalk: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Counts on 2011 units put on 2021 units per period, one row per (2011, 2021) pair: whole units carried,
    divided ones split (:func:`split_counts`); and the rows of the divided units for the report."""
    out, table = [], []
    divided = set(crosswalk.loc[crosswalk["pop_share"] < 1, "elstat_2011"])
    names11 = crosswalk.drop_duplicates("elstat_2011").set_index("elstat_2011")["name_2011"]
    for period, grp in old.groupby("period", sort=True):
        supp = grp.groupby("code")["suppressed"].any()
        values = grp.groupby("code")["count"].sum(min_count=1).where(~supp)  # a suppressed part: the sum is unknown
        values.name = "count"
        cw = crosswalk[crosswalk["elstat_2011"].isin(values.index)]
        whole = cw[~cw["elstat_2011"].isin(divided)]
        out.append(
            pd.DataFrame(
                {
                    "code": whole["elstat_2021"].to_numpy(),
                    "period": period,
                    "count": whole["elstat_2011"].map(values).to_numpy(),
                    "suppressed": whole["elstat_2011"].map(supp).to_numpy(dtype=bool),
                    "row": 0,
                }
            )
        )
        for code11 in sorted(set(cw["elstat_2011"]) & divided):
            sub = cw[cw["elstat_2011"] == code11]
            parts = split_counts(values[[code11]].astype("Float64"), sub)
            out.append(
                pd.DataFrame(
                    {
                        "code": parts.index,
                        "period": period,
                        "count": parts.to_numpy(),
                        "suppressed": bool(supp[code11]),
                        "row": 0,
                    }
                )
            )
            for code21, share in zip(sub["elstat_2021"], sub["pop_share"], strict=True):
                table.append(
                    {
                        "period": period,
                        "elstat_2011": code11,
                        "name_2011": names11[code11],
                        "count_2011": values.get(code11),
                        "elstat_2021": code21,
                        "pop_share": float(share),
                        "count_2021": parts.get(code21),
                    }
                )
    frame = pd.concat(out, ignore_index=True)
    frame["count"] = pd.array(frame["count"], dtype="Int64")
    return frame, pd.DataFrame(table)


def _panel(placed: pd.DataFrame, area: pd.Index) -> tuple[pd.DataFrame, list[str]]:
    periods = sorted(placed["period"].unique())
    grouped = placed.groupby(["code", "period"])
    combined = [f"{c} in {p}: {n} rows" for (c, p), n in grouped.size().items() if n > 1]
    count = grouped["count"].sum(min_count=1)
    supp = grouped["suppressed"].any()
    count = count.where(~supp)
    full = pd.MultiIndex.from_product([sorted(area), periods], names=["code", "period"])
    panel = pd.DataFrame({"count": count.reindex(full).astype("Int64")})
    status = np.where(supp.reindex(full).fillna(False).to_numpy(dtype=bool), "suppressed_at_source", "ok")
    has_row = grouped.size().reindex(full).notna().to_numpy()
    panel["status"] = np.where(has_row, status, "no_row")
    return panel.reset_index(), combined


def _inside(coded: pd.DataFrame, area: pd.Index, crosswalk: pd.DataFrame) -> pd.DataFrame:
    """The input rows (before any split) on municipalities of the area: a 2011 row when its 2021 units are."""
    in_area_2011 = set(crosswalk.loc[crosswalk["elstat_2021"].isin(area), "elstat_2011"])
    keep = np.where(coded["system"] == "2021", coded["code"].isin(area), coded["code"].isin(in_area_2011))
    return coded[keep]


def _totals(
    rows: pd.DataFrame,
    inside: pd.DataFrame,
    placed: pd.DataFrame,
    panel: pd.DataFrame,
    outside: pd.DataFrame,
    unmatched: pd.Series,
) -> pd.DataFrame:
    """Per period, the input total (rows of the area, as read, before any split) against the total placed plus
    what was withheld: known parts of a 2021 unit whose other part was suppressed (its sum is unknown)."""
    unknown = panel.loc[panel["status"] == "suppressed_at_source", ["code", "period"]]
    mixed = placed.merge(unknown, on=["code", "period"])
    out = []
    for period in sorted(panel["period"].unique()):
        inp = int(inside.loc[(inside["period"] == period) & ~inside["suppressed"], "count"].sum(skipna=True))
        withheld = int(mixed.loc[(mixed["period"] == period) & ~mixed["suppressed"], "count"].sum(skipna=True))
        got = int(panel.loc[panel["period"] == period, "count"].sum(skipna=True))
        out.append(
            {
                "period": period,
                "rows": int((rows["period"] == period).sum()),
                "input_total": inp,
                "placed_total": got,
                "withheld": withheld,
                "outside_area": int(outside.loc[outside["period"] == period, "count"].sum(skipna=True)),
                "unmatched": int(unmatched.get(period, 0) or 0),
                "equal": inp == got + withheld,
            }
        )
    return pd.DataFrame(out)


def _expected_periods(periods: np.ndarray) -> list[str]:
    """Every period between the first and the last at the register's resolution (months or quarters)."""
    from spatial_poverty.registers.periods import period_index

    keys = sorted(period_index(p) for p in periods)
    if not keys:
        return []
    (y0, s0, kind), (y1, s1, _) = keys[0], keys[-1]
    if kind == "year":
        return [str(y) for y in range(y0, y1 + 1)]
    per = 12 if kind == "month" else 4
    out = []
    for i in range(y0 * per + s0 - 1, y1 * per + s1):
        y, s = divmod(i, per)
        out.append(f"{y}-{s + 1:02d}" if kind == "month" else f"{y}-Q{s + 1}")
    return out
