"""Placing a service that has no coordinates: from its settlement or community name, through ELSTAT's points.

Names are compared in a normal form (:func:`spatial_poverty.harmonise.names.normalise_name`: accents, case,
final sigma, "Δημοτική/Τοπική Κοινότητα" prefixes) with a leading Greek article dropped ("Η Χώρα" = "Χώρα"), and
only within the record's municipality. A name that matches nothing, or two places at once, is not guessed.
"""

from __future__ import annotations

from dataclasses import dataclass

import geopandas as gpd
import pandas as pd
from shapely.geometry import Point

from spatial_poverty.harmonise.names import normalise_name

__all__ = ["PRECISIONS", "Gazetteer", "Placement", "place_key"]

#: Precision of a service's location, best first.
PRECISIONS = ("exact", "settlement", "community", "municipality centroid")

_ARTICLES = ("Ο", "Η", "ΤΟ", "ΟΙ", "ΤΑ", "ΤΟΥ", "ΤΗΣ", "ΤΩΝ")


def place_key(name: str) -> str:
    """The form in which place names are compared.

    Examples
    --------
    >>> place_key("η Χώρα")
    'ΧΩΡΑ'
    >>> place_key("Δημοτική Κοινότητα Άνω Σύρου")
    'ΑΝΩ ΣΥΡΟΥ'
    """
    s = normalise_name(name)
    head, _, rest = s.partition(" ")
    if rest and head in _ARTICLES:
        s = rest
    return s


@dataclass(frozen=True)
class Placement:
    """Where a record was put: a point in the gazetteer's CRS and its precision, or why it was not placed."""

    point: Point | None
    precision: str | None
    detail: str


class Gazetteer:
    """Settlement, community and municipality locations of ELSTAT 2021, looked up by name within a municipality.

    Parameters
    ----------
    settlements : geopandas.GeoDataFrame
        From :func:`~spatial_poverty.ingest.settlements.read_settlements_2021`.
    communities : pandas.DataFrame
        From :func:`~spatial_poverty.ingest.elstat2021.read_communities_2021` (its ``community`` rows are used).
    municipalities : geopandas.GeoDataFrame
        Polygons indexed by the 4-digit code: the fallback is a point inside each (``representative_point``).
    crs : str, default "EPSG:2100"
        CRS of the points returned.
    """

    def __init__(
        self,
        settlements: gpd.GeoDataFrame,
        communities: pd.DataFrame,
        municipalities: gpd.GeoDataFrame,
        *,
        crs: str = "EPSG:2100",
    ) -> None:
        self.crs = crs
        s = settlements.to_crs(crs)
        self._settlement: dict[tuple[str, str], list[tuple[str, Point]]] = {}
        for code, muni, names, geom in zip(s.index, s["municipality"], s["names"], s.geometry, strict=True):
            for n in str(names).split(" / "):
                self._settlement.setdefault((muni, place_key(n)), []).append((code, geom))
        # A community's point: the centroid of its settlements' points.
        xy = pd.DataFrame({"x": s.geometry.x, "y": s.geometry.y, "community": s["community"]})
        mean = xy.groupby("community")[["x", "y"]].mean()
        by_comm = pd.Series([Point(a, b) for a, b in zip(mean["x"], mean["y"], strict=True)], index=mean.index)
        comm = communities[communities["level"] == "community"]
        self._community: dict[tuple[str, str], list[tuple[str, Point]]] = {}
        for code, muni, name in zip(comm.index, comm["municipality"], comm["name"], strict=True):
            if code in by_comm.index:
                self._community.setdefault((muni, place_key(str(name))), []).append((code, by_comm[code]))
        m = municipalities.to_crs(crs)
        self._centroid = dict(zip(m.index, m.geometry.representative_point(), strict=True))

    def place(self, municipality: str, name: str | None) -> Placement:
        """Place a record of ``municipality`` named after a settlement or community (or with no name).

        A settlement name is tried first, then a community name; with no name, the municipality's
        representative point (precision ``municipality centroid``). A name that matches nothing or matches
        several places is not placed (``point`` None) and ``detail`` says why.
        """
        if municipality not in self._centroid:
            return Placement(None, None, f"municipality {municipality!r} is not in this run")
        if not name or not name.strip():
            return Placement(self._centroid[municipality], "municipality centroid", "no coordinates and no place name")
        key = place_key(name)
        for precision, table in (("settlement", self._settlement), ("community", self._community)):
            hits = table.get((municipality, key), [])
            if len(hits) == 1:
                return Placement(hits[0][1], precision, f"{precision} {hits[0][0]} matched by name {name!r}")
            if len(hits) > 1:
                codes = ", ".join(c for c, _ in hits)
                return Placement(None, None, f"{name!r} names {len(hits)} {precision}s of {municipality}: {codes}")
        return Placement(None, None, f"{name!r} is no settlement or community name of municipality {municipality}")
