"""Maps: the interactive map of a run, self-contained and usable offline."""

from spatial_poverty.maps.interactive import IndicatorLayer, interactive_map, write_map
from spatial_poverty.maps.offline import inline_assets, remote_references

__all__ = ["IndicatorLayer", "inline_assets", "interactive_map", "remote_references", "write_map"]
