"""The social-services registry: read from CSV or XLSX, validated, duplicates found, every record placed or listed.

The format is documented in ``docs/services_registry.md``. With no registry, :func:`osm_services` builds the
same table from the OpenStreetMap points of the bundle (an incomplete stand-in, labelled as such, ODbL).
"""

from __future__ import annotations

import csv
import difflib
import io
import logging
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
from shapely.geometry import Point

from spatial_poverty.errors import IngestError
from spatial_poverty.ingest.excel import read_sheet
from spatial_poverty.ingest.numbers import parse_decimal_el, parse_int_el
from spatial_poverty.ingest.sniff import decode_text
from spatial_poverty.services.gazetteer import Gazetteer, place_key
from spatial_poverty.services.vocabulary import OSM_TAGS, SERVICE_TYPES, service_type

__all__ = [
    "COLUMNS",
    "OSM_ATTRIBUTION",
    "Registry",
    "find_duplicates",
    "osm_services",
    "read_registry",
]

logger = logging.getLogger(__name__)

ENCODINGS = ("utf-8-sig", "utf-8", "cp1253", "iso-8859-7")
OSM_ATTRIBUTION = "© OpenStreetMap contributors (ODbL 1.0)"
_CODE = re.compile(r"^\d{4}$")
#: The name given to an OpenStreetMap point that has none: "<Greek type label> (OSM <node id>)".
_PLACEHOLDER = r"\(OSM \d+\)$"
#: Greece's box (WGS84): a coordinate outside it is an error in a registry.
LAT_RANGE, LON_RANGE = (33.5, 42.0), (18.5, 30.5)
#: Greek Grid (EPSG:2100) box of Greece, metres.
X_RANGE, Y_RANGE = (50_000.0, 1_050_000.0), (3_700_000.0, 4_700_000.0)

#: The registry's columns: name -> (required, kind). Other columns are ignored.
COLUMNS: dict[str, tuple[bool, str]] = {
    "service_id": (True, "text"),
    "name": (True, "text"),
    "type": (True, "type"),
    "code": (True, "code"),
    "operator": (False, "text"),
    "address": (False, "text"),
    "settlement": (False, "text"),
    "lat": (False, "decimal"),
    "lon": (False, "decimal"),
    "x": (False, "decimal"),
    "y": (False, "decimal"),
    "target_groups": (False, "text"),
    "capacity": (False, "count"),
    "opening_hours": (False, "text"),
    "contact": (False, "text"),
}

#: Fields of the ``services`` layer, in order (geometry last).
FIELDS = [
    "name",
    "type",
    "type_el",
    "operator",
    "address",
    "code",
    "target_groups",
    "capacity",
    "opening_hours",
    "contact",
    "precision",
    "source",
    "duplicate_of",
]


@dataclass
class Registry:
    """Services placed on the map, and what could not be placed or was found twice.

    Attributes
    ----------
    services : geopandas.GeoDataFrame
        Indexed by ``service_id``: :data:`FIELDS`, points in EPSG:2100. ``duplicate_of`` names the record
        this one repeats (empty if none); ``precision`` is one of ``exact``, ``settlement``, ``community``,
        ``municipality centroid``.
    unplaced : pandas.DataFrame
        Records without a location: ``service_id``, ``name``, ``type``, ``code``, ``where`` (file, sheet, row),
        ``reason``. They are in no measure; the run lists them.
    duplicates : pandas.DataFrame
        ``service_id``, ``duplicate_of``, ``distance_m``, ``name_similarity``.
    source : str
        ``registry`` or ``openstreetmap``.
    attribution : str
    dropped_outside : int
        OpenStreetMap points outside Greece (not within ``outside_m`` of a municipality), dropped and counted.
    """

    services: gpd.GeoDataFrame
    unplaced: pd.DataFrame
    duplicates: pd.DataFrame
    source: str
    attribution: str
    dropped_outside: int = 0
    notes: list[str] = field(default_factory=list)

    def counts(self) -> dict[str, Any]:
        """Counts for the manifest: by type, by precision, duplicates, unplaced, dropped."""
        s = self.services
        return {
            "source": self.source,
            "services": len(s),
            "by_type": {k: int(v) for k, v in s["type"].value_counts().sort_index().items()},
            "by_precision": {k: int(v) for k, v in s["precision"].value_counts().sort_index().items()},
            "duplicates": len(self.duplicates),
            "unplaced": len(self.unplaced),
            "dropped_outside_greece": self.dropped_outside,
        }


def _rows_csv(path: Path, encoding: str) -> tuple[list[str], list[tuple[str, list[object]]]]:
    if encoding not in ENCODINGS:
        raise IngestError(f"encoding needs to be one of {ENCODINGS}; {encoding!r} was given instead")
    data = path.read_bytes()
    text = decode_text(data, encoding, path, setting="access.registry_encoding").removeprefix("\ufeff")
    if not text.strip():
        raise IngestError(f"{path}: the file is empty; expected a ';' separated services registry")
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=";")
    try:
        rows = list(reader)
    except csv.Error as exc:
        raise IngestError(f"{path}, row {reader.line_num}: not a readable ';' separated table ({exc})") from exc
    header = [h.strip() for h in rows[0]]
    return header, [(f"{path}, row {n}", list(r)) for n, r in enumerate(rows[1:], start=2)]


def _rows_xlsx(path: Path, sheet: str | int) -> tuple[list[str], list[tuple[str, list[object]]]]:
    cells = read_sheet(path, sheet)
    if cells.empty:
        raise IngestError(f"{path}, sheet {sheet!r}: the sheet is empty; expected a services registry")
    header = ["" if pd.isna(h) else str(h).strip() for h in cells.iloc[0]]
    rows = [
        (f"{path}, sheet {sheet!r}, row {n}", ["" if pd.isna(v) else v for v in cells.iloc[i]])
        for i, n in zip(range(1, len(cells)), range(2, len(cells) + 1), strict=True)
    ]
    return header, rows


def _parse(kind: str, v: object) -> object:
    """One cell, typed; ValueError with what was expected."""
    if isinstance(v, str):
        v = v.strip()
    if kind == "code":
        if isinstance(v, float | int) and float(v).is_integer() and 0 < v < 10000:
            v = f"{int(v):04d}"  # a spreadsheet dropped the leading zero
        if not isinstance(v, str) or not _CODE.match(v):
            raise ValueError(f"{v!r} was given; expected a 4-digit ELSTAT 2021 municipality code such as '5801'")
        return v
    if kind == "type":
        key = service_type(str(v))
        if key is None:
            raise ValueError(f"{v!r} was given; expected one of {', '.join(SERVICE_TYPES)} (or their Greek labels)")
        return key
    if kind == "decimal":
        if v == "":
            return np.nan
        if isinstance(v, float | int):
            return float(v)
        return parse_decimal_el(str(v))
    if kind == "count":
        if v == "":
            return pd.NA
        if isinstance(v, float | int) and float(v).is_integer() and v >= 0:
            return int(v)
        if isinstance(v, float | int):
            raise ValueError(f"{v!r} was given; expected a whole number")
        return parse_int_el(str(v))
    return "" if v == "" else str(v)


def read_registry(
    path: str | os.PathLike[str],
    *,
    gazetteer: Gazetteer,
    municipalities: gpd.GeoDataFrame,
    encoding: str = "utf-8-sig",
    sheet: str | int = 0,
    duplicate_m: float = 100.0,
    name_similarity: float = 0.9,
    tolerance_m: float = 2000.0,
    renumbered: dict[str, str] | None = None,
) -> Registry:
    """Read, validate and place a services registry (CSV ``;`` or XLSX; see ``docs/services_registry.md``).

    Parameters
    ----------
    path : path-like
        ``.csv`` (``;`` delimited, ``encoding`` stated) or ``.xlsx`` (first row the header).
    gazetteer : Gazetteer
        Places the records that have no coordinates.
    municipalities : geopandas.GeoDataFrame
        The run's municipalities (ELSTAT 2021 codes as index): a code outside them is an error, and a record's
        coordinates must lie within ``tolerance_m`` of its municipality.
    encoding : str, default "utf-8-sig"
        CSV only: ``utf-8-sig``, ``utf-8``, ``cp1253`` or ``iso-8859-7``, stated, never guessed.
    sheet : str or int, default 0
        XLSX only.
    duplicate_m, name_similarity : float
        Two records are duplicates when they have the same type, names whose normal forms have a
        :class:`difflib.SequenceMatcher` ratio of at least ``name_similarity``, and lie within ``duplicate_m``.
    tolerance_m : float, default 2000
        How far outside its municipality's (generalised) polygon a point may lie.
    renumbered : dict, optional
        2021 code -> what the same number meant in 2011 (the 25 renumbered codes, from the crosswalk): named in
        the error when a point lies outside the municipality its code denotes in 2021.

    Returns
    -------
    Registry

    Raises
    ------
    IngestError
        Listing every problem with file, sheet, row, column, the value and what was expected: a required
        column missing, an empty required cell, an unknown type, a code that is not 4 digits or not a
        municipality of the run, a coordinate that does not parse, lies outside Greece or outside its
        municipality, only one of lat/lon (x/y), a repeated ``service_id``.
    """
    path = Path(path)
    if not path.is_file():
        raise IngestError(f"services registry {path} does not exist")
    if path.stat().st_size == 0:
        raise IngestError(f"{path}: the file is empty; expected a services registry (CSV or XLSX)")
    if path.suffix.lower() in (".xlsx", ".xls"):
        header, rows = _rows_xlsx(path, sheet)
    else:
        header, rows = _rows_csv(path, encoding)
    missing = [c for c, (req, _) in COLUMNS.items() if req and c not in header]
    if missing:
        raise IngestError(f"{path}: services registry column(s) {missing} are missing; the header has {header}")
    known = set(municipalities.index)
    problems: list[str] = []
    records: list[dict[str, object]] = []
    for where, row in rows:
        if not any(str(c).strip() for c in row):
            continue
        row = list(row) + [""] * (len(header) - len(row))
        cells = dict(zip(header, row[: len(header)], strict=True))
        rec: dict[str, object] = {"where": where}
        for col, (req, kind) in COLUMNS.items():
            v = cells.get(col, "")
            if req and str(v).strip() == "":
                problems.append(f"{where}, column {col!r}: empty; expected {kind}")
                rec[col] = None
                continue
            try:
                rec[col] = _parse(kind, v)
            except ValueError as exc:
                problems.append(f"{where}, column {col!r}: {exc}")
                rec[col] = None
        code = rec["code"]
        if isinstance(code, str) and code not in known:
            problems.append(f"{where}, column 'code': {code!r} was given; expected a municipality of this run")
        for a, b in (("lat", "lon"), ("x", "y")):
            va, vb = rec.get(a), rec.get(b)
            if isinstance(va, float) and isinstance(vb, float) and np.isnan(va) != np.isnan(vb):
                problems.append(f"{where}, columns {a!r}/{b!r}: only one of the two is given; expected both or none")
        lat, lon = rec.get("lat"), rec.get("lon")
        if _both(lat, lon) and not (LAT_RANGE[0] <= lat <= LAT_RANGE[1] and LON_RANGE[0] <= lon <= LON_RANGE[1]):  # type: ignore[operator]
            problems.append(
                f"{where}, columns 'lat'/'lon': ({lat}, {lon}) was given; expected WGS84 degrees within "
                f"lat {LAT_RANGE}, lon {LON_RANGE} (Greece)"
            )
        x, y = rec.get("x"), rec.get("y")
        if _both(x, y) and not (X_RANGE[0] <= x <= X_RANGE[1] and Y_RANGE[0] <= y <= Y_RANGE[1]):  # type: ignore[operator]
            problems.append(
                f"{where}, columns 'x'/'y': ({x}, {y}) was given; expected EPSG:2100 metres within "
                f"x {X_RANGE}, y {Y_RANGE}"
            )
        records.append(rec)
    if not records and not problems:
        raise IngestError(f"{path}: the services registry has a header but no rows")
    ids = pd.Series([r["service_id"] for r in records if r["service_id"]])
    for sid in sorted(set(ids[ids.duplicated()])):
        wheres = [str(r["where"]) for r in records if r["service_id"] == sid]
        problems.append(f"column 'service_id': {sid!r} appears more than once ({'; '.join(wheres)}); expected unique")
    if problems:
        raise _problems(path, problems)
    frame = pd.DataFrame.from_records(records)
    frame["capacity"] = pd.array(frame["capacity"], dtype="Int64")
    # Locations: exact ones (lat/lon, else x/y) checked against the municipality; the others from the gazetteer.
    m = municipalities.to_crs("EPSG:2100")
    geoms: list[Point | None] = []
    precision: list[str | None] = []
    reasons: list[str] = []
    ll = gpd.GeoSeries(gpd.points_from_xy(frame["lon"], frame["lat"]), crs="EPSG:4326").to_crs("EPSG:2100")
    for i, rec in enumerate(frame.to_dict("records")):
        has_ll = not (pd.isna(rec["lat"]) or pd.isna(rec["lon"]))
        has_xy = not (pd.isna(rec["x"]) or pd.isna(rec["y"]))
        if has_ll or has_xy:
            pt = ll.iloc[i] if has_ll else Point(float(str(rec["x"])), float(str(rec["y"])))
            geoms.append(pt)
            precision.append("exact")
            reasons.append("")
            continue
        pl = gazetteer.place(str(rec["code"]), str(rec["settlement"]) if rec["settlement"] else None)
        geoms.append(pl.point)
        precision.append(pl.precision)
        reasons.append(pl.detail)
    frame["geometry"] = geoms
    frame["precision"] = precision
    # A point far from its municipality: a wrong code (perhaps a renumbered one) or wrong coordinates.
    exact = frame[frame["precision"] == "exact"]
    if len(exact):
        poly = m.geometry.reindex(exact["code"]).to_numpy()
        pts = gpd.GeoSeries(exact["geometry"].to_list(), crs="EPSG:2100")
        dist = pts.distance(gpd.GeoSeries(poly, crs="EPSG:2100"), align=False).to_numpy()
        far = np.flatnonzero(dist > tolerance_m)
        if len(far):
            mm = gpd.GeoDataFrame({"mcode": m.index.to_numpy()}, geometry=m.geometry.to_numpy(), crs="EPSG:2100")
            probe = gpd.GeoDataFrame(geometry=pts.iloc[far].to_numpy(), crs="EPSG:2100")
            hit = gpd.sjoin_nearest(probe, mm, how="left")
            hit = hit[~hit.index.duplicated(keep="first")]
            out = []
            for j, k in enumerate(far):
                rec = exact.iloc[k]
                near = hit["mcode"].iloc[j]
                msg = (
                    f"{rec['where']}, column 'code': {rec['code']!r} was given but the point lies "
                    f"{dist[k] / 1000:.1f} km outside that municipality, in or near {near}; expected the code of "
                    "the municipality where the service is"
                )
                if renumbered and rec["code"] in renumbered:
                    msg += f" (in 2011 the number {rec['code']} denoted {renumbered[rec['code']]}: a 2011 code?)"
                out.append(msg)
            raise _problems(path, out)
    placed = frame["geometry"].notna().to_numpy()
    unplaced = pd.DataFrame(
        {
            "service_id": frame.loc[~placed, "service_id"].to_numpy(),
            "name": frame.loc[~placed, "name"].to_numpy(),
            "type": frame.loc[~placed, "type"].to_numpy(),
            "code": frame.loc[~placed, "code"].to_numpy(),
            "where": frame.loc[~placed, "where"].to_numpy(),
            "reason": np.asarray(reasons, dtype=object)[~placed],
        }
    )
    if len(unplaced):
        logger.warning("%s: %d service(s) could not be placed: %s", path, len(unplaced), unplaced["reason"].tolist())
    kept = frame[placed]
    services = _layer(kept, source="registry")
    services, dups = find_duplicates(services, distance_m=duplicate_m, name_similarity=name_similarity)
    logger.info(
        "%s: %d services read, %d placed (%s), %d unplaced, %d duplicate(s)",
        path,
        len(frame),
        len(services),
        services["precision"].value_counts().to_dict(),
        len(unplaced),
        len(dups),
    )
    return Registry(
        services=services, unplaced=unplaced, duplicates=dups, source="registry", attribution=f"{path.name}"
    )


def _both(a: object, b: object) -> bool:
    """Both coordinates given (floats, not NaN)."""
    return isinstance(a, float) and isinstance(b, float) and not (np.isnan(a) or np.isnan(b))


def _problems(path: Path, problems: list[str]) -> IngestError:
    shown = "; ".join(problems[:20]) + (f"; and {len(problems) - 20} more" if len(problems) > 20 else "")
    return IngestError(f"{path} (services registry): {len(problems)} problem(s): {shown}")


def _layer(frame: pd.DataFrame, *, source: str) -> gpd.GeoDataFrame:
    out = pd.DataFrame(index=pd.Index(frame["service_id"].astype(str).to_numpy(), name="service_id"))
    for c in FIELDS:
        if c == "type_el":
            out[c] = [SERVICE_TYPES[t][0] for t in frame["type"]]
        elif c == "source":
            out[c] = source
        elif c == "duplicate_of":
            out[c] = ""
        elif c == "capacity":
            out[c] = (
                pd.array(frame[c].to_numpy(), dtype="Int64")
                if c in frame
                else pd.array([pd.NA] * len(frame), dtype="Int64")
            )
        else:
            out[c] = frame[c].fillna("").astype(str).to_numpy() if c in frame else ""
    return gpd.GeoDataFrame(out, geometry=list(frame["geometry"]), crs="EPSG:2100")


def find_duplicates(
    services: gpd.GeoDataFrame,
    *,
    distance_m: float = 100.0,
    name_similarity: float = 0.9,
    unnamed_m: float = 25.0,
) -> tuple[gpd.GeoDataFrame, pd.DataFrame]:
    """Flag records that repeat another: same type, near-identical name, within ``distance_m``.

    The first record (in ``service_id`` order) of a group is kept; the others get ``duplicate_of`` set to its
    id and are left out of the measures. Names are compared in their normal form (accents, case, articles)
    with :class:`difflib.SequenceMatcher`. A record without a name of its own (empty, or the placeholder
    "<type> (OSM <id>)") says nothing by its name: it is a duplicate only within ``unnamed_m`` (a point mapped
    twice), so that neighbouring unnamed pharmacies of a town centre are not merged.

    Returns
    -------
    (geopandas.GeoDataFrame, pandas.DataFrame)
        A copy of ``services`` with ``duplicate_of`` filled, and the pairs found (``service_id``,
        ``duplicate_of``, ``distance_m``, ``name_similarity``).
    """
    out = services.copy()
    out["duplicate_of"] = out.get("duplicate_of", pd.Series("", index=out.index)).fillna("")
    order = out.sort_index()
    x, y = order.geometry.x.to_numpy(), order.geometry.y.to_numpy()
    keys = [place_key(n) if n else "" for n in order["name"]]
    unnamed = (order["name"].fillna("").str.strip().eq("") | order["name"].str.contains(_PLACEHOLDER)).to_numpy()
    types = order["type"].to_numpy()
    ids = order.index.to_numpy()
    from scipy.spatial import cKDTree

    tree = cKDTree(np.c_[x, y])
    pairs = sorted(tree.query_pairs(distance_m))
    found: list[dict[str, object]] = []
    first: dict[int, int] = {}
    for i, j in pairs:
        if types[i] != types[j] or j in first:
            continue
        if (unnamed[i] or unnamed[j]) and np.hypot(x[i] - x[j], y[i] - y[j]) > unnamed_m:
            continue
        ratio = 1.0 if keys[i] == keys[j] else difflib.SequenceMatcher(None, keys[i], keys[j]).ratio()
        if ratio < name_similarity:
            continue
        root = first.get(i, i)
        first[j] = root
        found.append(
            {
                "service_id": ids[j],
                "duplicate_of": ids[root],
                "distance_m": round(float(np.hypot(x[i] - x[j], y[i] - y[j])), 1),
                "name_similarity": round(ratio, 3),
            }
        )
    dups = pd.DataFrame(found, columns=["service_id", "duplicate_of", "distance_m", "name_similarity"])
    if len(dups):
        out.loc[dups["service_id"].to_numpy(), "duplicate_of"] = dups["duplicate_of"].to_numpy()
        logger.info("%d duplicate service record(s) found: %s", len(dups), dups.head(20).to_dict("records"))
    return out, dups


def osm_services(
    points: gpd.GeoDataFrame,
    municipalities: gpd.GeoDataFrame,
    greece: gpd.GeoDataFrame,
    *,
    outside_m: float = 1000.0,
    duplicate_m: float = 100.0,
    name_similarity: float = 0.9,
) -> Registry:
    """The OpenStreetMap stand-in for a registry: the bundle's points of the types in :data:`OSM_TAGS`.

    Parameters
    ----------
    points : geopandas.GeoDataFrame
        From :func:`~spatial_poverty.ingest.services.read_osm_points` (``tag``, ``value``, ``name``, ``name_en``).
    municipalities : geopandas.GeoDataFrame
        The run's municipalities: only points in them (or within ``outside_m`` of their coast) are kept, with
        the code of the nearest.
    greece : geopandas.GeoDataFrame
        Every municipal polygon of the country: points farther than ``outside_m`` from all of them are outside
        Greece, dropped and counted.

    Returns
    -------
    Registry
        ``source`` "openstreetmap", ``precision`` "exact", ids ``osm-<node id>``.
    """
    pts = points[(points["tag"] == "amenity") & points["value"].isin(list(OSM_TAGS))].to_crs("EPSG:2100")
    # Outside Greece: farther than outside_m from every municipal polygon (an STRtree "dwithin" query).
    g = greece.to_crs("EPSG:2100").geometry
    hits = g.sindex.query(pts.geometry.to_numpy(), predicate="dwithin", distance=outside_m)
    inside = pts.index[np.unique(hits[0])]
    dropped = len(pts) - len(inside)
    pts = pts.loc[pts.index.isin(inside)]
    m = gpd.GeoDataFrame(
        {"mcode": municipalities.index.to_numpy()},
        geometry=municipalities.to_crs("EPSG:2100").geometry.to_numpy(),
        crs="EPSG:2100",
    )
    hit = gpd.sjoin_nearest(pts[["geometry"]], m, how="inner", max_distance=outside_m, distance_col="_d")
    hit = hit[~hit.index.duplicated(keep="first")]
    pts = pts.loc[hit.index]
    types = pts["value"].map(OSM_TAGS)
    names = pts["name"].fillna("").astype(str).str.strip()
    en = pts["name_en"].fillna("").astype(str).str.strip()
    names = names.where(names != "", en)
    names = names.where(
        names != "", [f"{SERVICE_TYPES[t][0]} (OSM {i})" for i, t in zip(pts.index, types, strict=True)]
    )
    frame = pd.DataFrame(
        {
            "service_id": [f"osm-{i}" for i in pts.index],
            "name": names.to_numpy(),
            "type": types.to_numpy(),
            "code": hit["mcode"].astype(str).to_numpy(),
            "operator": "",
            "geometry": pts.geometry.to_numpy(),
            "precision": "exact",
        }
    )
    services = _layer(frame, source="openstreetmap")
    services, dups = find_duplicates(services, distance_m=duplicate_m, name_similarity=name_similarity)
    logger.info(
        "OpenStreetMap stand-in: %d service points in the area (%s); %d points outside Greece dropped; %d duplicate(s)",
        len(services),
        services["type"].value_counts().to_dict(),
        dropped,
        len(dups),
    )
    empty = pd.DataFrame(columns=["service_id", "name", "type", "code", "where", "reason"])
    return Registry(
        services=services,
        unplaced=empty,
        duplicates=dups,
        source="openstreetmap",
        attribution=OSM_ATTRIBUTION,
        dropped_outside=dropped,
        notes=[
            "OpenStreetMap-derived (2019 extract, nodes only): an incomplete stand-in for an official register "
            "of social services"
        ],
    )
