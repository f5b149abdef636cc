"""The 2011 -> 2021 municipal crosswalk, built from the data and checked against names and populations.

Three code systems meet here: ELSTAT 2011 (census tables, lctools), Ministry of Interior YPES (geodata.gov.gr
boundaries) and ELSTAT 2021 (the 2021 boundaries and census). Codes are never joined across systems by value:
25 codes exist in both ELSTAT numberings and denote different municipalities (2011 code 1402 is Voio, 2021 code
1402 is Velventos). Instead:

1. **YPES -> ELSTAT 2011** by boundary overlap: each geodata.gov.gr polygon is given the lctools polygon (ELSTAT
   2011 code) that covers most of its area; the names (census vs geodata) are compared and every inexact pair
   reported.
2. **ELSTAT 2011 -> 2021** by boundary overlap: each 2021 polygon is given the 2011 polygon covering most of its
   area (the 2019 reform only split municipalities, so every 2021 unit has one parent). A parent with one child
   maps whole (``pop_share`` 1). A parent with several children (Corfu, Kefalonia, Lesvos, Samos,
   Servia-Velvento) is split along its 2011 municipal units: each unit is given the child whose 2021 municipal
   units carry the same (normalised) name, and ``pop_share`` is the 2011 population of the units a child gets
   over the parent's.
3. **Checks**: the parent's 2011 population times ``pop_share`` must equal ELSTAT's own 2011 population
   re-aggregated to the 2021 unit (``dimdata.json``), and names of 1:1 pairs are compared. Differences are
   reported, never silently accepted.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

import geopandas as gpd
import numpy as np
import pandas as pd

from spatial_poverty.errors import IngestError
from spatial_poverty.harmonise.names import compare_names, normalise_name

__all__ = ["Crosswalk", "build_crosswalk"]

logger = logging.getLogger(__name__)

#: ELSTAT 2011 code of Mount Athos, which is not a municipality (also 9901 in 2021).
ATHOS = "9901"


@dataclass
class Crosswalk:
    """The 2011 -> 2021 municipal crosswalk and how it was checked.

    Attributes
    ----------
    table : pandas.DataFrame
        One row per (2011, 2021) pair: ``elstat_2011``, ``elstat_2021``, ``ypes_2011``, ``pop_share``,
        ``pop_2011_part`` (2011 residents of the 2011 unit in the 2021 unit), ``area_share`` (share of the
        2011 polygon's area in the 2021 polygon), ``name_2011``, ``name_2021``, ``name_match`` and ``method``.
    communities : pandas.Series
        For 2011 municipalities divided among several 2021 units, the 2021 municipality of each of their 2011
        communities (8-digit 2011 code).
    findings : list of dict
        What the checks found (``check``, ``code``, ``detail``), for the data-quality report.
    """

    table: pd.DataFrame
    communities: pd.Series
    findings: list[dict[str, str]] = field(default_factory=list)

    def children(self, code_2011: str) -> list[str]:
        """The 2021 municipalities that took (part of) a 2011 municipality."""
        return sorted(self.table.loc[self.table["elstat_2011"] == code_2011, "elstat_2021"])

    def parent(self, code_2021: str) -> str:
        """The 2011 municipality a 2021 municipality came from."""
        rows = self.table.loc[self.table["elstat_2021"] == code_2021, "elstat_2011"]
        if len(rows) != 1:
            raise KeyError(f"2021 code {code_2021!r} is not in the crosswalk exactly once ({len(rows)} rows)")
        return str(rows.iloc[0])

    def layer(self) -> pd.DataFrame:
        """The table layer ``code_crosswalk`` as published (fields in snake_case ASCII)."""
        cols = ["elstat_2011", "elstat_2021", "ypes_2011", "pop_share", "pop_2011_part", "area_share"]
        cols += ["name_2011", "name_2021", "name_match", "method"]
        return self.table[cols].reset_index(drop=True)


def _largest_overlap(left: gpd.GeoDataFrame, right: gpd.GeoDataFrame, left_key: str, right_key: str) -> pd.DataFrame:
    """For each pair that overlaps: the area, the share of the left and of the right polygon it covers."""
    inter = gpd.overlay(left[[left_key, "geometry"]], right[[right_key, "geometry"]], keep_geom_type=True)
    inter["area"] = inter.geometry.area
    inter = inter.drop(columns="geometry")
    inter = inter.groupby([left_key, right_key], as_index=False)["area"].sum()
    inter["share_left"] = inter["area"] / inter[left_key].map(left.set_index(left_key).geometry.area)
    inter["share_right"] = inter["area"] / inter[right_key].map(right.set_index(right_key).geometry.area)
    return pd.DataFrame(inter)


def build_crosswalk(
    *,
    census_2011: pd.DataFrame,
    lctools_2001: gpd.GeoDataFrame,
    boundaries_2011: gpd.GeoDataFrame,
    boundaries_2021: gpd.GeoDataFrame,
    population_2021: pd.DataFrame,
    communities_2021: pd.DataFrame,
    simplify_m: float = 10.0,
) -> Crosswalk:
    """Build the ELSTAT 2011 -> ELSTAT 2021 municipal crosswalk (with YPES codes) from the data.

    Parameters
    ----------
    census_2011 : pandas.DataFrame
        From :func:`~spatial_poverty.ingest.elstat2011.read_census_2011` (2011 units, names, populations).
    lctools_2001 : geopandas.GeoDataFrame
        From :func:`~spatial_poverty.ingest.lctools.read_lctools_2001`: 2011 polygons with ELSTAT 2011 codes.
    boundaries_2011 : geopandas.GeoDataFrame
        From :func:`~spatial_poverty.ingest.geodata2011.read_kallikratis_boundaries` (YPES codes).
    boundaries_2021 : geopandas.GeoDataFrame
        From :func:`~spatial_poverty.ingest.elstat2021.read_municipal_boundaries`, indexed by 2021 code.
    population_2021 : pandas.DataFrame
        From :func:`~spatial_poverty.ingest.elstat2021.read_population` (2011 population on 2021 units).
    communities_2021 : pandas.DataFrame
        From :func:`~spatial_poverty.ingest.elstat2021.read_communities_2021` (2021 municipal unit names).
    simplify_m : float, default 10
        Tolerance (metres) to simplify the full-resolution 2011 polygons before the overlay; shares are
        unaffected at the precision used (the largest overlap wins by far, see the findings).

    Returns
    -------
    Crosswalk

    Raises
    ------
    IngestError
        If a 2011 municipality gets no 2021 unit or two 2011 polygons claim one YPES code, if a municipal
        unit of a split municipality matches no child or several, or if a split's units do not add up.
    """
    findings: list[dict[str, str]] = []
    munis = census_2011[census_2011["level"] == 5].set_index("code")
    munis = munis.drop(index=[ATHOS], errors="ignore")
    mus = census_2011[census_2011["level"] == 6].set_index("code")

    # 1. YPES -> ELSTAT 2011 by overlap with the lctools polygons.
    b11 = boundaries_2011[boundaries_2011["ypes_2011"] != ""].copy()
    b11["geometry"] = b11.geometry.simplify(simplify_m)
    lc = lctools_2001.reset_index()[["code", "geometry"]].rename(columns={"code": "elstat_2011"})
    ov = _largest_overlap(
        b11, gpd.GeoDataFrame(lc, geometry="geometry", crs=lctools_2001.crs), "ypes_2011", "elstat_2011"
    )
    best = ov.sort_values("share_left").groupby("ypes_2011").tail(1).set_index("ypes_2011")
    dup = best["elstat_2011"][best["elstat_2011"].duplicated(keep=False)]
    if len(dup):
        raise IngestError(f"two YPES polygons overlap most with the same ELSTAT 2011 unit: {dup.to_dict()}")
    ypes_of = pd.Series(best.index, index=best["elstat_2011"].to_numpy())
    missing = sorted(set(munis.index) - set(ypes_of.index))
    if missing:
        raise IngestError(f"ELSTAT 2011 municipalities with no geodata.gov.gr polygon: {missing}")
    name_11_ypes = b11.set_index("ypes_2011")["name"]
    for e11, y in ypes_of.items():
        kind, ratio = compare_names(str(munis.loc[e11, "name"]), str(name_11_ypes[y]))
        if kind != "normalised" or best.loc[y, "share_left"] < 0.9:
            findings.append(
                {
                    "check": "YPES-ELSTAT 2011 link (overlap, name)",
                    "code": f"{e11}/{y}",
                    "detail": f"{munis.loc[e11, 'name']!r} vs {name_11_ypes[y]!r}: names {kind} ({ratio}), "
                    f"overlap {best.loc[y, 'share_left']:.3f}",
                }
            )

    # 2. ELSTAT 2011 -> 2021 by overlap with the 2021 polygons.
    b11["elstat_2011"] = b11["ypes_2011"].map(pd.Series(ypes_of.index, index=ypes_of.to_numpy()))
    b21 = boundaries_2021.drop(index=[ATHOS], errors="ignore").reset_index()[["code", "geometry"]]
    b21 = b21.rename(columns={"code": "elstat_2021"})
    ov = _largest_overlap(b11[["elstat_2011", "geometry"]], b21, "elstat_2011", "elstat_2021")
    parent = ov.sort_values("share_right").groupby("elstat_2021").tail(1).set_index("elstat_2021")
    absent = sorted(set(b21["elstat_2021"]) - set(parent.index))
    if absent:
        raise IngestError(f"2021 municipalities that overlap no 2011 polygon: {absent}")
    for c21, row in parent.iterrows():
        if row["share_right"] < 0.9:
            findings.append(
                {
                    "check": "2011 polygon covering a 2021 unit",
                    "code": str(c21),
                    "detail": f"largest 2011 unit {row['elstat_2011']} covers {row['share_right']:.3f} of its area "
                    "(geodata.gov.gr and ELSTAT delineations differ in dense urban areas)",
                }
            )
    children = parent.groupby("elstat_2011").apply(lambda d: sorted(d.index), include_groups=False)
    orphans = sorted(set(munis.index) - set(children.index))
    if orphans:
        raise IngestError(f"ELSTAT 2011 municipalities that are the largest part of no 2021 unit: {orphans}")

    pop21_2011 = population_2021["pop_2011"]
    names21 = population_2021["name_el"]
    comm11 = census_2011[census_2011["level"] == 7].set_index("code")
    comm21 = communities_2021[communities_2021["level"] == "community"]
    mu21 = communities_2021[communities_2021["level"] == "municipal_unit"]
    overlaps = ov[ov["share_left"] >= 0.01]

    def assign(e11: str, kids: list[str]) -> dict[str, str]:
        """Each 2011 community of ``e11`` -> one of ``kids``: by community name, else by municipal-unit name."""
        c_names = {k: set(comm21.loc[comm21["municipality"] == k, "name"].map(normalise_name)) for k in kids}
        u_names = {k: set(mu21.loc[mu21["municipality"] == k, "name"].map(normalise_name)) for k in kids}
        units = mus[mus.index.str[:4] == e11]["name"].map(normalise_name)
        out: dict[str, str] = {}
        problems = []
        for code, name in comm11[comm11.index.str[:4] == e11]["name"].items():
            hits = [k for k in kids if normalise_name(str(name)) in c_names[k]]
            if len(hits) != 1:
                unit = units.get(str(code)[:6])
                hits = [k for k in kids if unit is not None and unit in u_names[k]]
            if len(hits) != 1:
                problems.append(f"{code} {name!r}")
                continue
            out[str(code)] = hits[0]
        if problems:
            raise IngestError(
                f"2011 municipality {e11} is divided among {kids}, but these communities match none or several "
                "of them by community or municipal-unit name: " + "; ".join(problems[:20])
            )
        return out

    def rows_for(e11: str, kids: list[str], community_map: dict[str, str]) -> list[dict[str, object]]:
        p = int(munis.loc[e11, "pop_2011"])
        name11 = str(munis.loc[e11, "name"])
        area = ov[(ov["elstat_2011"] == e11)].set_index("elstat_2021")["share_left"]
        if len(kids) == 1:
            c21 = kids[0]
            kind, ratio = compare_names(name11, str(names21[c21]))
            if kind != "normalised":
                findings.append(
                    {
                        "check": "name of a 1:1 pair",
                        "code": f"{e11}->{c21}",
                        "detail": f"{name11!r} vs {names21[c21]!r}: {kind} ({ratio})",
                    }
                )
            return [
                _row(
                    e11,
                    c21,
                    ypes_of[e11],
                    1.0,
                    p,
                    area.get(c21, np.nan),
                    name11,
                    names21[c21],
                    f"{kind} ({ratio})",
                    "whole: the 2011 unit is the largest part of one 2021 unit",
                )
            ]
        part = dict.fromkeys(kids, 0)
        for code, k in community_map.items():
            v = comm11.loc[code, "pop_2011"]
            part[k] += 0 if pd.isna(v) else int(v)
        if sum(part.values()) != p:
            raise IngestError(f"2011 municipality {e11}: its communities sum to {sum(part.values())}, not {p}")
        kept = [k for k in kids if part[k] > 0]
        logger.info("2011 municipality %s %s divided: %s", e11, name11, ", ".join(f"{k} ({part[k]})" for k in kept))
        return [
            _row(
                e11,
                k,
                ypes_of[e11],
                part[k] / p,
                part[k],
                area.get(k, np.nan),
                name11,
                names21[k],
                "divided (communities matched by name)",
                "divided by the 2011 population of its communities, matched by name to the 2021 units",
            )
            for k in kept
        ]

    rows: list[dict[str, object]] = []
    communities: dict[str, str] = {}
    for e11, kids in children.items():
        cmap = assign(e11, kids) if len(kids) > 1 else {}
        communities.update(cmap)
        rows.extend(rows_for(e11, kids, cmap))
    table = pd.DataFrame(rows)

    # 3. Checks against ELSTAT's own 2011 population on 2021 units; where they fail, a community may have moved
    #    to a neighbour (e.g. four communities of Ierapetra went to Siteia in 2019): divide the 2011 units that
    #    overlap the failing 2021 units among those units by community name, and check again.
    def failing(t: pd.DataFrame) -> list[str]:
        got = t.groupby("elstat_2021")["pop_2011_part"].sum()
        return [c for c in got.index if int(got[c]) != int(pop21_2011.get(c, -1))]

    bad = failing(table)
    if bad:
        involved = sorted(set(table.loc[table["elstat_2021"].isin(bad), "elstat_2011"]))
        for e11 in involved:
            kids = sorted(set(children[e11]) | set(overlaps.loc[overlaps["elstat_2011"] == e11, "elstat_2021"]))
            kids = [k for k in kids if k in bad or k in children[e11]]
            if len(kids) < 2:
                continue
            try:
                cmap = assign(e11, kids)
            except IngestError as exc:
                findings.append({"check": "community transfer", "code": e11, "detail": str(exc)})
                continue
            trial = pd.concat([table[table["elstat_2011"] != e11], pd.DataFrame(rows_for(e11, kids, cmap))])
            if len(failing(trial)) < len(failing(table)):
                table = trial
                communities.update(cmap)
                findings.append(
                    {
                        "check": "community transfer",
                        "code": e11,
                        "detail": "divided among " + ", ".join(kids) + " by community name "
                        "because ELSTAT's 2011 population on the 2021 units required it",
                    }
                )
    for c in failing(table):
        got = int(table.loc[table["elstat_2021"] == c, "pop_2011_part"].sum())
        findings.append(
            {
                "check": "2011 population on the 2021 unit vs ELSTAT's re-aggregation",
                "code": c,
                "detail": f"crosswalk {got}, dimdata.json {pop21_2011.get(c)}",
            }
        )
    table = table.sort_values(["elstat_2021", "elstat_2011"]).reset_index(drop=True)
    sums = table.groupby("elstat_2011")["pop_share"].sum()
    off = sums[(sums - 1).abs() > 1e-9]
    if len(off):
        raise IngestError(f"pop_share does not sum to 1 for 2011 units {off.to_dict()}")
    logger.info(
        "crosswalk: %d ELSTAT 2011 municipalities -> %d ELSTAT 2021 municipalities in %d pairs, %d findings",
        table["elstat_2011"].nunique(),
        table["elstat_2021"].nunique(),
        len(table),
        len(findings),
    )
    return Crosswalk(table=table, communities=pd.Series(communities, dtype=str), findings=findings)


def _row(
    e11: str,
    c21: str,
    ypes: str,
    share: float,
    part: int,
    area: float,
    n11: object,
    n21: object,
    match: str,
    method: str,
) -> dict[str, object]:
    return {
        "elstat_2011": e11,
        "elstat_2021": c21,
        "ypes_2011": ypes,
        "pop_share": share,
        "pop_2011_part": part,
        "area_share": float(area),
        "name_2011": str(n11),
        "name_2021": str(n21),
        "name_match": match,
        "method": method,
    }
