"""Readers of the point and network sources used for access to services (the accessibility stage uses them).

- OpenStreetMap points of September 2019 (``greece.sqlite.zip``: table ``NODE``), a real stand-in for an
  official register of social services; points outside Greece and just offshore exist.
- MARNET sea-route network (nodes and edges in nautical miles), a stand-in for ferry lines: distances, not
  timetables.
"""

from __future__ import annotations

import logging
import os
import sqlite3
import tempfile
import zipfile
from collections.abc import Sequence
from pathlib import Path

import geopandas as gpd
import pandas as pd

from spatial_poverty.errors import IngestError
from spatial_poverty.ingest.sniff import not_the_expected_kind

__all__ = ["read_marnet", "read_osm_points"]

logger = logging.getLogger(__name__)

_NODE_COLUMNS = ["ID", "LAT", "LON", "NAME", "NAME_EN", "NAME_DE", "TAG", "VALUE", "POPULATION", "ELEVATION"]


def read_osm_points(path: str | os.PathLike[str], *, tags: Sequence[tuple[str, str]] | None = None) -> gpd.GeoDataFrame:
    """Read OpenStreetMap nodes from the zipped SQLite extract.

    Parameters
    ----------
    path : path-like
        ``greece.sqlite.zip`` holding ``greece.sqlite`` (table ``NODE``).
    tags : sequence of (tag, value), optional
        Keep only these, e.g. ``[("amenity", "pharmacy")]``; all nodes by default.

    Returns
    -------
    geopandas.GeoDataFrame
        Indexed by ``osm_id`` with ``name``, ``name_en``, ``tag``, ``value``, ``population``, points in
        EPSG:4326.

    Raises
    ------
    IngestError
        If the zip is empty, truncated or holds no ``.sqlite``, the database has no ``NODE`` table with the
        expected columns, or a coordinate is outside the valid range.
    """
    path = Path(path)
    if path.stat().st_size == 0:
        raise IngestError(f"{path}: the file is empty; expected a zipped SQLite database")
    try:
        with zipfile.ZipFile(path) as zf:
            names = [n for n in zf.namelist() if n.endswith(".sqlite")]
            if len(names) != 1:
                raise IngestError(f"{path}: expected one .sqlite file in the zip; found {zf.namelist()}")
            with tempfile.TemporaryDirectory(prefix="sp-osm-") as tmp:
                db = Path(tmp, "osm.sqlite")
                db.write_bytes(zf.read(names[0]))
                frame = _read_nodes(db, path, tags)
    except (zipfile.BadZipFile, EOFError) as exc:
        raise not_the_expected_kind(path, "a zipped SQLite database", exc) from exc
    bad = frame[~frame["LAT"].between(-90, 90) | ~frame["LON"].between(-180, 180)]
    if len(bad):
        raise IngestError(f"{path}: coordinates out of range for OSM ids {bad['ID'].tolist()[:20]}")
    gdf = gpd.GeoDataFrame(
        {
            "osm_id": frame["ID"].astype("int64").to_numpy(),
            "name": frame["NAME"].to_numpy(),
            "name_en": frame["NAME_EN"].to_numpy(),
            "tag": frame["TAG"].to_numpy(),
            "value": frame["VALUE"].to_numpy(),
            "population": pd.to_numeric(frame["POPULATION"], errors="coerce").to_numpy(),
        },
        geometry=gpd.points_from_xy(frame["LON"], frame["LAT"]),
        crs="EPSG:4326",
    ).set_index("osm_id")
    logger.info("%s: %d OSM nodes", path, len(gdf))
    return gdf


def _read_nodes(db: Path, path: Path, tags: Sequence[tuple[str, str]] | None) -> pd.DataFrame:
    try:
        con = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    except sqlite3.Error as exc:
        raise IngestError(f"{path}: not a SQLite database ({exc})") from exc
    try:
        cols = [r[1] for r in con.execute("PRAGMA table_info(NODE)")]
        missing = [c for c in _NODE_COLUMNS if c not in cols]
        if missing:
            raise IngestError(f"{path}: table NODE lacks columns {missing}; it has {cols}")
        sql = f"SELECT {', '.join(_NODE_COLUMNS)} FROM NODE"
        params: list[str] = []
        if tags:
            sql += " WHERE " + " OR ".join("(TAG = ? AND VALUE = ?)" for _ in tags)
            params = [x for pair in tags for x in pair]
        return pd.read_sql_query(sql + " ORDER BY ID", con, params=params)
    except sqlite3.DatabaseError as exc:
        raise IngestError(f"{path}: the SQLite database cannot be read ({exc})") from exc
    finally:
        con.close()


def read_marnet(
    nodes_path: str | os.PathLike[str], edges_path: str | os.PathLike[str]
) -> tuple[gpd.GeoDataFrame, pd.DataFrame]:
    """Read the MARNET sea-route network.

    Returns
    -------
    (geopandas.GeoDataFrame, pandas.DataFrame)
        Nodes indexed by ``id`` (points, EPSG:4326); edges with ``from``, ``to``, ``length_nm``.

    Raises
    ------
    IngestError
        If a column is missing, an id repeats, a length is not a positive number, or an edge names an
        unknown node.
    """
    nodes_path, edges_path = Path(nodes_path), Path(edges_path)
    for p in (nodes_path, edges_path):
        if p.stat().st_size == 0:
            raise IngestError(f"{p}: the file is empty")
    try:
        nodes = pd.read_csv(nodes_path, dtype={"id": "int64", "lon": "float64", "lat": "float64"}, encoding="utf-8")
        edges = pd.read_csv(
            edges_path, dtype={"from": "int64", "to": "int64", "length_nm": "float64"}, encoding="utf-8"
        )
    except (ValueError, KeyError, UnicodeDecodeError) as exc:
        raise IngestError(
            f"{nodes_path} / {edges_path}: not the MARNET format (id,lon,lat / from,to,length_nm): {exc}"
        ) from exc
    for p, frame, need in ((nodes_path, nodes, ["id", "lon", "lat"]), (edges_path, edges, ["from", "to", "length_nm"])):
        missing = [c for c in need if c not in frame.columns]
        if missing:
            raise IngestError(f"{p}: column(s) {missing} are missing; the file has {list(frame.columns)}")
    dup = nodes["id"][nodes["id"].duplicated()]
    if len(dup):
        raise IngestError(f"{nodes_path}, column 'id': ids appear more than once: {sorted(set(dup))[:20]}")
    bad = edges[~(edges["length_nm"] > 0)]
    if len(bad):
        raise IngestError(
            f"{edges_path}, column 'length_nm': not positive in rows {[int(i) + 2 for i in bad.index[:20]]}"
        )
    unknown = sorted((set(edges["from"]) | set(edges["to"])) - set(nodes["id"]))
    if unknown:
        raise IngestError(f"{edges_path}: edges name unknown node ids {unknown[:20]}")
    gdf = gpd.GeoDataFrame(
        {"id": nodes["id"]}, geometry=gpd.points_from_xy(nodes["lon"], nodes["lat"]), crs="EPSG:4326"
    ).set_index("id")
    logger.info("MARNET: %d nodes, %d edges", len(gdf), len(edges))
    return gdf, edges
