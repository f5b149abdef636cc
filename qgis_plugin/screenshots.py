"""Headless screenshots of the "Spatial poverty" provider for docs/qgis.md (``make qgis-screenshots``).

Run by Debian's python3 with python3-qgis (not the project's venv), with ``QT_QPA_PLATFORM=offscreen``::

    SPATIAL_POVERTY_CLI=.venv/bin/spatial-poverty /usr/bin/python3 qgis_plugin/screenshots.py RUN.gpkg OUT_DIR

Writes ``qgis_lisa_dialog.png`` (the algorithm's dialog on the run's municipalities layer), then runs the LISA and
Gi* algorithms through Processing, as a user would, and renders their styled results to ``qgis_lisa_map.png`` and
``qgis_gistar_map.png`` with a legend.
"""

import os
import sys
import tempfile
from pathlib import Path

from qgis.core import (
    QgsApplication,
    QgsLayerTree,
    QgsLayerTreeModel,
    QgsLegendRenderer,
    QgsLegendSettings,
    QgsMapRendererParallelJob,
    QgsMapSettings,
    QgsProject,
    QgsVectorLayer,
)
from qgis.PyQt.QtCore import QSize
from qgis.PyQt.QtGui import QColor, QImage, QPainter

PLUGIN_DIR = Path(__file__).resolve().parent
FIELD = "unemp_2001"


def render_with_legend(layer, path):
    """The layer's map (900 x 700) with its legend on the right, on white."""
    settings = QgsMapSettings()
    settings.setLayers([layer])
    settings.setDestinationCrs(layer.crs())
    extent = layer.extent()
    settings.setExtent(extent.buffered(max(extent.width(), extent.height()) * 0.03))
    settings.setOutputSize(QSize(900, 700))
    settings.setBackgroundColor(QColor(255, 255, 255))
    job = QgsMapRendererParallelJob(settings)
    job.start()
    job.waitForFinished()
    image = QImage(1200, 700, QImage.Format_ARGB32)
    image.fill(QColor(255, 255, 255))
    painter = QPainter(image)
    painter.drawImage(0, 0, job.renderedImage())
    root = QgsLayerTree()
    root.addLayer(layer)
    model = QgsLayerTreeModel(root)
    legend = QgsLegendRenderer(model, QgsLegendSettings())
    painter.translate(900, 20)
    legend.drawLegend(painter)
    painter.end()
    image.save(str(path), "PNG")


def main():
    gpkg, out = Path(sys.argv[1]), Path(sys.argv[2])
    out.mkdir(parents=True, exist_ok=True)
    app = QgsApplication([], True)
    app.initQgis()
    sys.path.insert(0, "/usr/share/qgis/python/plugins")
    from processing.core.Processing import Processing

    Processing.initialize()
    sys.path.insert(0, str(PLUGIN_DIR))
    import spatial_poverty_provider

    plugin = spatial_poverty_provider.classFactory(None)  # kept: the provider lives as long as the plugin
    plugin.initProcessing()
    import processing
    from processing.gui.AlgorithmDialog import AlgorithmDialog

    municipalities = QgsVectorLayer(f"{gpkg}|layername=municipalities", "Δήμοι", "ogr")
    QgsProject.instance().addMapLayer(municipalities)
    alg = QgsApplication.processingRegistry().algorithmById("spatial_poverty:lisa")
    dialog = AlgorithmDialog(alg.create(), False, None)
    dialog.setParameters({"INPUT": municipalities, "ID_FIELD": "code", "FIELD": FIELD})
    dialog.resize(900, 640)
    dialog.show()
    app.processEvents()
    dialog.grab().save(str(out / "qgis_lisa_dialog.png"), "PNG")
    dialog.close()

    with tempfile.TemporaryDirectory() as tmp:
        for name in ("lisa", "gistar"):
            result = processing.run(
                f"spatial_poverty:{name}",
                {
                    "INPUT": municipalities,
                    "ID_FIELD": "code",
                    "FIELD": FIELD,
                    "SIGNIFICANCE": 1,
                    "OUTPUT": str(Path(tmp) / f"{name}.gpkg"),
                },
            )
            layer = QgsVectorLayer(result["OUTPUT"], f"{name} {FIELD}", "ogr")
            QgsProject.instance().addMapLayer(layer)
            render_with_legend(layer, out / f"qgis_{name}_map.png")
    print("written:", ", ".join(sorted(p.name for p in out.glob("qgis_*.png"))), flush=True)
    os._exit(0)  # QGIS 3.22 can crash while tearing down at exit; the files are written


if __name__ == "__main__":
    main()
