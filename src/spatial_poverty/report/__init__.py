"""What a run publishes for people: static maps, target monitoring and the run report (``report.html``).

The names below are imported on first use (PEP 562), so that ``spatial-poverty`` commands that do not write a
report (``stats``, ``validate``) do not pay for matplotlib, folium and mapclassify at start-up.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from spatial_poverty.report.html import build_report, write_report
    from spatial_poverty.report.layers import FIGURES_DIR, RunLayers, read_run_layers
    from spatial_poverty.report.products import write_run_products

__all__ = ["FIGURES_DIR", "RunLayers", "build_report", "read_run_layers", "write_report", "write_run_products"]

_WHERE = {
    "build_report": "html",
    "write_report": "html",
    "FIGURES_DIR": "layers",
    "RunLayers": "layers",
    "read_run_layers": "layers",
    "write_run_products": "products",
}


def __getattr__(name: str) -> Any:
    if name in _WHERE:
        return getattr(importlib.import_module(f"spatial_poverty.report.{_WHERE[name]}"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted([*globals(), *__all__])
