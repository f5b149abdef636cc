"""A run's published layers, read back from its GeoPackage (whatever the run computed)."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pyogrio

from spatial_poverty.pipeline.names import FIGURES_DIR

__all__ = ["FIGURES_DIR", "RunLayers", "read_run_layers"]


class RunLayers:
    """The layers of a run's GeoPackage, indexed by code: the municipalities and what else the run published."""

    def __init__(
        self,
        municipalities: gpd.GeoDataFrame,
        lisa: Mapping[str, pd.DataFrame],
        gistar: Mapping[str, pd.DataFrame],
        index: pd.DataFrame | None,
        bilisa: Mapping[str, pd.DataFrame] | None = None,
    ) -> None:
        self.municipalities = municipalities
        self.lisa = dict(lisa)
        self.gistar = dict(gistar)
        self.index = index
        #: Bivariate LISA, keyed ``<x>_vs_<y>``.
        self.bilisa = dict(bilisa or {})

    def __repr__(self) -> str:
        return (
            f"RunLayers({len(self.municipalities)} municipalities, lisa {sorted(self.lisa)}, "
            f"gistar {sorted(self.gistar)}, bilisa {sorted(self.bilisa)}, "
            f"index {'yes' if self.index is not None else 'no'})"
        )


def _by_code(frame: pd.DataFrame) -> pd.DataFrame:
    if "code" in frame.columns:
        frame = frame.set_index("code")
    frame.index = frame.index.astype(str)
    frame.index.name = "code"
    return frame


def read_run_layers(gpkg: str | Path) -> RunLayers:
    """Read a run's GeoPackage: ``municipalities``, every ``lisa_<var>``, ``gistar_<var>`` and
    ``bilisa_<x>_vs_<y>``, and ``deprivation_index`` if present."""
    names = [str(n) for n in pyogrio.list_layers(gpkg)[:, 0]]
    municipalities = _by_code(gpd.read_file(gpkg, layer="municipalities"))
    lisa = {n.removeprefix("lisa_"): _by_code(gpd.read_file(gpkg, layer=n)) for n in names if n.startswith("lisa_")}
    gistar = {
        n.removeprefix("gistar_"): _by_code(gpd.read_file(gpkg, layer=n)) for n in names if n.startswith("gistar_")
    }
    index = (
        _by_code(pd.DataFrame(gpd.read_file(gpkg, layer="deprivation_index"))) if "deprivation_index" in names else None
    )
    bilisa = {
        n.removeprefix("bilisa_"): _by_code(gpd.read_file(gpkg, layer=n)) for n in names if n.startswith("bilisa_")
    }
    return RunLayers(municipalities, lisa, gistar, index, bilisa)
