"""QGIS plugin: the "Spatial poverty" Processing provider (see metadata.txt)."""


def classFactory(iface):
    from .plugin import SpatialPovertyPlugin

    return SpatialPovertyPlugin(iface)
