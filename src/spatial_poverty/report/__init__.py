"""What a run publishes for people: static maps, target monitoring and the run report (``report.html``)."""

from spatial_poverty.report.html import build_report, write_report
from spatial_poverty.report.layers import FIGURES_DIR, RunLayers, read_run_layers
from spatial_poverty.report.products import write_run_products

__all__ = ["FIGURES_DIR", "RunLayers", "build_report", "read_run_layers", "write_report", "write_run_products"]
