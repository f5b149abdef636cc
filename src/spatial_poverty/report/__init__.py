"""What a run publishes for people: static maps, target monitoring and the run report."""

from spatial_poverty.report.products import FIGURES_DIR, RunLayers, read_run_layers, write_run_products

__all__ = ["FIGURES_DIR", "RunLayers", "read_run_layers", "write_run_products"]
