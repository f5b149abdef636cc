"""Registers the provider in the desktop (initGui) and in qgis_process (initProcessing)."""

from qgis.core import QgsApplication

from .provider import SpatialPovertyProvider


class SpatialPovertyPlugin:
    def __init__(self, iface):
        self.iface = iface
        self.provider = None

    def initProcessing(self):
        if self.provider is None:
            self.provider = SpatialPovertyProvider()
            QgsApplication.processingRegistry().addProvider(self.provider)

    def initGui(self):
        self.initProcessing()

    def unload(self):
        if self.provider is not None:
            QgsApplication.processingRegistry().removeProvider(self.provider)
            self.provider = None
