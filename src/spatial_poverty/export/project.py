"""A QGIS project stored in the GeoPackage (``qgis_projects``): one double-click opens the whole delivery.

QGIS (3.8 and later) lists the projects of a GeoPackage in its browser and opens them from
``geopackage:<file>?projectName=<name>``. A project is stored as QGIS does: the ``.qgz`` archive (a zip holding
one ``.qgs`` XML document), hex-encoded, with a small JSON metadata record. Layer sources are relative
(``./<file>.gpkg|layername=<layer>``), which QGIS resolves against the GeoPackage itself, so the delivery can be
moved or copied.

Layers are grouped and ordered as the exchange schema says (``group_el``, ``order``); only the first layer is
switched on, so the map opens readable, the others one click away. Each map layer carries the same renderer,
labels and aliases as its default style in ``layer_styles``.
"""

from __future__ import annotations

import io
import json
import sqlite3
import zipfile
from collections.abc import Mapping
from pathlib import Path
from xml.sax.saxutils import escape, quoteattr

import geopandas as gpd
import pandas as pd
import pyproj

from spatial_poverty.export.schema import layer_spec
from spatial_poverty.export.styles import QGIS_VERSION, aliases_xml, layer_body_xml

__all__ = ["project_qgs", "write_project"]

_ZIP_DATE = (1980, 1, 1, 0, 0, 0)


def _srs(crs: str) -> str:
    c = pyproj.CRS(crs)
    epsg = c.to_epsg() or 0
    return (
        "<spatialrefsys>"
        f"<wkt>{escape(c.to_wkt('WKT2_2019'))}</wkt>"
        f"<srid>{epsg}</srid><authid>{crs}</authid><description>{escape(c.name)}</description>"
        f"<geographicflag>{'true' if c.is_geographic else 'false'}</geographicflag>"
        "</spatialrefsys>"
    )


def project_qgs(gpkg_name: str, layers: Mapping[str, pd.DataFrame], *, title: str, crs: str) -> str:
    """The ``.qgs`` document of a delivery."""
    specs = sorted(((layer_spec(n), n) for n in layers), key=lambda t: (t[0].order, t[1]))
    groups: dict[str, list[tuple[str, str]]] = {}
    for spec, name in specs:
        groups.setdefault(spec.group_el or "Επίπεδα", []).append((name, spec.title_el))
    first = specs[0][1] if specs else None
    tree = []
    for group, members in groups.items():
        items = "".join(
            f'<layer-tree-layer id="{n}" name={quoteattr(t)} source="./{gpkg_name}|layername={n}" '
            f'providerKey="ogr" checked="{"Qt::Checked" if n == first else "Qt::Unchecked"}" expanded="0"/>'
            for n, t in members
        )
        tree.append(
            f'<layer-tree-group name={quoteattr(group)} checked="Qt::Checked" expanded="1">'
            f"<customproperties/>{items}</layer-tree-group>"
        )
    srs = _srs(crs)
    maplayers = []
    bounds = None
    for spec, name in specs:
        frame = layers[name]
        source = f"./{gpkg_name}|layername={name}"
        if isinstance(frame, gpd.GeoDataFrame):
            b = frame.total_bounds
            bounds = (
                b
                if bounds is None
                else [min(bounds[0], b[0]), min(bounds[1], b[1]), max(bounds[2], b[2]), max(bounds[3], b[3])]
            )
            body = layer_body_xml(spec, frame, greek=True) if spec.style else ""
            geom, wkb = ("Point", "Point") if spec.geometry == "POINT" else ("Polygon", "MultiPolygon")
            head = f'<maplayer type="vector" geometry="{geom}" wkbType="{wkb}" labelsEnabled="1" '
            head += 'styleCategories="AllStyleCategories">'
            srs_xml = f"<srs>{srs}</srs>"
        else:
            cols = list(frame.columns)
            body = aliases_xml(spec, cols, greek=True)
            head = '<maplayer type="vector" geometry="No geometry" wkbType="NoGeometry" '
            head += 'styleCategories="AllStyleCategories">'
            srs_xml = ""
        maplayers.append(
            f"{head}<id>{name}</id><datasource>{escape(source)}</datasource>"
            f"<layername>{escape(spec.title_el)}</layername>{srs_xml}"
            f'<provider encoding="UTF-8">ogr</provider>\n{body}</maplayer>'
        )
    extent = ""
    if bounds is not None:
        pad_x, pad_y = (bounds[2] - bounds[0]) * 0.03, (bounds[3] - bounds[1]) * 0.03
        extent = (
            '<mapcanvas name="theMapCanvas" annotationsVisible="1"><units>'
            f"{'degrees' if pyproj.CRS(crs).is_geographic else 'meters'}</units>"
            f"<extent><xmin>{bounds[0] - pad_x!r}</xmin><ymin>{bounds[1] - pad_y!r}</ymin>"
            f"<xmax>{bounds[2] + pad_x!r}</xmax><ymax>{bounds[3] + pad_y!r}</ymax></extent>"
            f"<rotation>0</rotation><destinationsrs>{srs}</destinationsrs><rendermaptile>0</rendermaptile>"
            "</mapcanvas>"
        )
    order = "".join(f"<item>{n}</item>" for _s, n in specs)
    return (
        "<!DOCTYPE qgis PUBLIC 'http://mrcc.com/qgis.dtd' 'SYSTEM'>\n"
        f'<qgis projectname={quoteattr(title)} version="{QGIS_VERSION}">\n'
        f'<homePath path=""/><title>{escape(title)}</title>\n'
        f"<projectCrs>{srs}</projectCrs>\n"
        f"<layer-tree-group><customproperties/>{''.join(tree)}"
        f'<custom-order enabled="0">{order}</custom-order></layer-tree-group>\n'
        f"{extent}\n"
        f"<projectlayers>\n{''.join(maplayers)}\n</projectlayers>\n"
        f"<layerorder>{''.join(f'<layer id={quoteattr(n)}/>' for _s, n in specs)}</layerorder>\n"
        '<properties><Paths><Absolute type="bool">false</Absolute></Paths>'
        '<SpatialRefSys><ProjectionsEnabled type="int">1</ProjectionsEnabled></SpatialRefSys></properties>\n'
        "</qgis>\n"
    )


def write_project(
    con: sqlite3.Connection,
    path: str | Path,
    layers: Mapping[str, pd.DataFrame],
    *,
    name: str,
    title: str,
    crs: str,
    timestamp: str,
) -> None:
    """Store the project ``name`` in ``qgis_projects`` (created as QGIS creates it)."""
    qgs = project_qgs(Path(path).name, layers, title=title, crs=crs)
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        info = zipfile.ZipInfo(f"{name}.qgs", date_time=_ZIP_DATE)
        info.compress_type = zipfile.ZIP_DEFLATED
        z.writestr(info, qgs.encode("utf-8"))
    meta = json.dumps({"last_modified_time": timestamp[:19], "last_modified_user": "spatial_poverty"})
    con.execute("CREATE TABLE IF NOT EXISTS qgis_projects(name TEXT PRIMARY KEY, metadata BLOB, content BLOB)")
    con.execute("INSERT INTO qgis_projects VALUES (?, ?, ?)", (name, meta, buf.getvalue().hex()))
