"""Run by Debian's python3 with python3-qgis (not the project's venv): open a delivered GeoPackage in QGIS.

Usage: ``QT_QPA_PLATFORM=offscreen /usr/bin/python3 tests/qgis_check.py FILE.gpkg OUT_DIR``. For every feature
layer: load it as a GIS officer would (QGIS applies the default style from ``layer_styles``), report its renderer,
labels, aliases and validity, and render it to ``OUT_DIR/<layer>.png``; then open the QGIS project stored in the
GeoPackage and render it to ``OUT_DIR/project.png``. Prints one JSON object on the last line of stdout.
"""

from __future__ import annotations

import json
import os
import sqlite3
import sys
from pathlib import Path

from qgis.core import (
    QgsApplication,
    QgsExpressionContext,
    QgsExpressionContextUtils,
    QgsLayerTreeGroup,
    QgsMapRendererParallelJob,
    QgsMapSettings,
    QgsProject,
    QgsSymbolLayer,
    QgsVectorLayer,
)
from qgis.PyQt.QtCore import QSize
from qgis.PyQt.QtGui import QColor


def render(layers, extent, crs, path: Path) -> None:
    settings = QgsMapSettings()
    settings.setLayers(layers)
    settings.setDestinationCrs(crs)
    settings.setExtent(extent.buffered(max(extent.width(), extent.height()) * 0.03))
    settings.setOutputSize(QSize(900, 700))
    settings.setBackgroundColor(QColor(255, 255, 255))
    job = QgsMapRendererParallelJob(settings)
    job.start()
    job.waitForFinished()
    job.renderedImage().save(str(path), "PNG")


def main() -> None:
    gpkg, out = Path(sys.argv[1]), Path(sys.argv[2])
    out.mkdir(parents=True, exist_ok=True)
    app = QgsApplication([], False)
    app.initQgis()
    con = sqlite3.connect(gpkg)
    features = [r[0] for r in con.execute("SELECT table_name FROM gpkg_contents WHERE data_type = 'features'")]
    projects = (
        [r[0] for r in con.execute("SELECT name FROM qgis_projects")]
        if con.execute("SELECT 1 FROM sqlite_master WHERE name = 'qgis_projects'").fetchone()
        else []
    )
    con.close()
    report: dict = {"qgis": app.QGIS_VERSION if hasattr(app, "QGIS_VERSION") else "", "layers": {}, "project": {}}
    from qgis.core import Qgis

    report["qgis"] = Qgis.QGIS_VERSION
    for name in features:
        vl = QgsVectorLayer(f"{gpkg}|layername={name}", name, "ogr")
        r = vl.renderer()
        info = {
            "valid": vl.isValid(),
            "features": vl.featureCount(),
            "crs": vl.crs().authid(),
            "renderer": r.type() if r else None,
            "attr": r.classAttribute() if r and hasattr(r, "classAttribute") else None,
            "classes": len(r.ranges())
            if r and r.type() == "graduatedSymbol"
            else len(r.categories())
            if r and r.type() == "categorizedSymbol"
            else 0,
            "labels": bool(vl.labelsEnabled() and vl.labeling() is not None),
            "label_field": vl.labeling().settings().fieldName if vl.labeling() is not None else None,
            "aliases": {f.name(): vl.attributeAlias(i) for i, f in enumerate(vl.fields())},
            "styles_in_db": list(vl.listStylesInDatabase()[2]),
        }
        if r and r.type() in ("graduatedSymbol", "categorizedSymbol"):
            items = r.ranges() if r.type() == "graduatedSymbol" else r.categories()
            sym = items[0].symbol()
            info["symbol_layers"] = [sl.layerType() for sl in sym.symbolLayers()]
            info["colours"] = [i.symbol().color().name() for i in items]
            info["legend"] = [i.label() for i in items]
            # Features on which the hatching symbol layer is switched on by its data-defined "enabled" property.
            if len(sym.symbolLayers()) > 1:
                prop = sym.symbolLayers()[1].dataDefinedProperties().property(QgsSymbolLayer.PropertyLayerEnabled)
                ctx = QgsExpressionContext(QgsExpressionContextUtils.globalProjectLayerScopes(vl))
                hatched = []
                for feat in vl.getFeatures():
                    ctx.setFeature(feat)
                    if prop.valueAsBool(ctx, True)[0]:
                        hatched.append(feat["code"])
                info["hatched"] = sorted(hatched)
        report["layers"][name] = info
        render([vl], vl.extent(), vl.crs(), out / f"{name}.png")
    for pname in projects:
        project = QgsProject.instance()
        ok = project.read(f"geopackage:{gpkg}?projectName={pname}")
        root = project.layerTreeRoot()
        groups = [
            {"name": g.name(), "layers": [c.name() for c in g.children()]}
            for g in root.children()
            if isinstance(g, QgsLayerTreeGroup)
        ]
        layers = [layer for layer in root.checkedLayers()]
        report["project"][pname] = {
            "read": ok,
            "title": project.title(),
            "crs": project.crs().authid(),
            "groups": groups,
            "valid": {lyr.name(): lyr.isValid() for lyr in project.mapLayers().values()},
            "renderers": {
                lyr.name(): lyr.renderer().type() if lyr.renderer() else None for lyr in project.mapLayers().values()
            },
        }
        visible = [lyr for lyr in layers if lyr.isValid()]
        if visible:
            render(visible, visible[0].extent(), project.crs(), out / "project.png")
    print(json.dumps(report, ensure_ascii=False), flush=True)
    # QGIS 3.22 can crash while tearing down a project's layers at exit; the report is out, so leave at once.
    os._exit(0)


if __name__ == "__main__":
    main()
