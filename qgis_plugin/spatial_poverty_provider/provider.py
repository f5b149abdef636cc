"""The "Spatial poverty" Processing provider."""

from qgis.core import QgsProcessingProvider

from . import algorithms
from .bridge import PROVIDER_ID, SETTING


class SpatialPovertyProvider(QgsProcessingProvider):
    def id(self):
        return PROVIDER_ID

    def name(self):
        return "Spatial poverty"

    def longName(self):
        return "Spatial poverty (spatial_poverty toolkit)"

    def load(self):
        try:
            from processing.core.ProcessingConfig import ProcessingConfig, Setting

            ProcessingConfig.settingIcons[self.name()] = self.icon()
            ProcessingConfig.addSetting(
                Setting(
                    self.name(),
                    SETTING,
                    "spatial-poverty command (the project's .venv/bin/spatial-poverty)",
                    "",
                    valuetype=Setting.FILE,
                )
            )
            ProcessingConfig.readSettings()
        except ImportError:  # no Processing plugin: the environment variable or the PATH is used
            pass
        self.refreshAlgorithms()
        return True

    def unload(self):
        try:
            from processing.core.ProcessingConfig import ProcessingConfig

            ProcessingConfig.removeSetting(SETTING)
        except (ImportError, KeyError):
            pass

    def loadAlgorithms(self):
        for cls in algorithms.ALGORITHMS:
            self.addAlgorithm(cls())
