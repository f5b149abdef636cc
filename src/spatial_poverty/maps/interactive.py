"""The interactive map of a run (``map.html``): folium, Greek labels, and no network needed to view it."""

from __future__ import annotations

import html
import logging
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import cast

import folium
import geopandas as gpd
import mapclassify
import numpy as np
import pandas as pd
import shapely
from branca.colormap import StepColormap

from spatial_poverty.maps.offline import inline_assets
from spatial_poverty.stats.autocorrelation import CLUSTER_LABELS_EL, NOT_SIGNIFICANT_EL

__all__ = ["LISA_COLOURS", "IndicatorLayer", "interactive_map", "write_map"]

logger = logging.getLogger(__name__)

#: GeoDa's LISA cluster colours, keyed by the Greek label.
LISA_COLOURS: dict[str, str] = {
    CLUSTER_LABELS_EL[1]: "#ff0000",  # High-High
    CLUSTER_LABELS_EL[3]: "#0000ff",  # Low-Low
    CLUSTER_LABELS_EL[2]: "#a7adf9",  # Low-High
    CLUSTER_LABELS_EL[4]: "#f4ada8",  # High-Low
    NOT_SIGNIFICANT_EL: "#eeeeee",
}

_SEQUENTIAL = ["#ffffb2", "#fecc5c", "#fd8d3c", "#f03b20", "#bd0026"]  # ColorBrewer YlOrRd 5
_DIVERGING = ["#ca0020", "#f4a582", "#f7f7f7", "#92c5de", "#0571b0"]  # ColorBrewer RdBu 5


@dataclass(frozen=True)
class IndicatorLayer:
    """One indicator to draw: its column, Greek label and unit, and whether it diverges around zero."""

    column: str
    label_el: str
    unit: str = ""
    diverging: bool = False


def _geojson(gdf: gpd.GeoDataFrame, columns: list[str], simplify_m: float) -> dict[str, object]:
    geom = gdf.geometry
    if simplify_m > 0:
        geom = geom.simplify(simplify_m, preserve_topology=True)
    geom = gpd.GeoSeries(geom, crs=gdf.crs).to_crs(4326)
    geom = gpd.GeoSeries(shapely.set_precision(geom.to_numpy(), 1e-5), index=geom.index, crs=4326)
    props = gdf[columns].copy()
    for c in props.columns:
        if pd.api.types.is_float_dtype(props[c]):
            props[c] = props[c].round(2)
    features = []
    for code, g in geom.items():
        row = {k: (None if isinstance(v, float) and np.isnan(v) else v) for k, v in props.loc[code].items()}
        row = {k: (v.item() if isinstance(v, np.generic) else v) for k, v in row.items()}
        features.append({"type": "Feature", "id": str(code), "properties": row, "geometry": g.__geo_interface__})
    return {"type": "FeatureCollection", "features": features}


def interactive_map(
    municipalities: gpd.GeoDataFrame,
    *,
    title: str,
    indicators: list[IndicatorLayer],
    lisa: Mapping[str, pd.DataFrame] | None = None,
    attribution: str = "Πηγή: ΕΛ.ΣΤΑΤ.",
    simplify_m: float = 100.0,
) -> folium.Map:
    """A folium map with one layer per indicator and per LISA result, Greek tooltips and legends.

    Parameters
    ----------
    municipalities : geopandas.GeoDataFrame
        Indexed by code, projected (EPSG:2100), with ``name_el`` and the indicator columns.
    title : str
        Shown at the top of the map.
    indicators : list of IndicatorLayer
    lisa : mapping of indicator column to frame, optional
        :meth:`~spatial_poverty.stats.LocalMoran.to_frame` results, indexed like ``municipalities``.
    attribution : str
        Source line shown under the title.
    simplify_m : float, default 100
        Douglas-Peucker tolerance in metres applied to the drawing only (keeps the page light).

    Returns
    -------
    folium.Map
        With no tile layer: a basemap would need the network.
    """
    bounds = municipalities.to_crs(4326).total_bounds
    m = folium.Map(tiles=None, control_scale=True, zoom_snap=0.25)
    m.fit_bounds([[bounds[1], bounds[0]], [bounds[3], bounds[2]]])
    for i, ind in enumerate(indicators):
        values = municipalities[ind.column].astype(float)
        classes = mapclassify.Quantiles(values.to_numpy(), k=min(5, values.nunique()))
        bins = [float(values.min()), *[float(b) for b in classes.bins]]
        palette = (_DIVERGING if ind.diverging else _SEQUENTIAL)[: len(bins) - 1]
        cmap = StepColormap(
            palette,
            index=bins,
            vmin=bins[0],
            vmax=bins[-1],
            caption=f"{ind.label_el}{f' ({ind.unit})' if ind.unit else ''} – ποσοστημόρια",
        )
        frame = municipalities.assign(_fill=[cmap(v) for v in values])
        data = _geojson(frame, ["name_el", "name_en", ind.column, "_fill"], simplify_m)
        layer = folium.GeoJson(
            data,
            name=ind.label_el,
            show=(i == 0),
            style_function=lambda f: {
                "fillColor": f["properties"]["_fill"],
                "color": "#555555",
                "weight": 0.6,
                "fillOpacity": 0.8,
            },
            highlight_function=lambda f: {"weight": 2.5, "color": "#000000"},
            tooltip=folium.GeoJsonTooltip(
                fields=["name_el", ind.column],
                aliases=["Δήμος", ind.label_el + (f" ({ind.unit})" if ind.unit else "")],
                localize=True,
            ),
        )
        layer.add_to(m)
        cmap.add_to(m)
    for column, frame in (lisa or {}).items():
        label = next((ind.label_el for ind in indicators if ind.column == column), column)
        joined = municipalities[["name_el", "name_en", "geometry"]].join(frame[["cluster_el", "p_sim"]])
        joined = joined.assign(_fill=joined["cluster_el"].map(LISA_COLOURS))
        data = _geojson(joined, ["name_el", "cluster_el", "p_sim", "_fill"], simplify_m)
        folium.GeoJson(
            data,
            name=f"Συστάδες LISA: {label}",
            show=False,
            style_function=lambda f: {
                "fillColor": f["properties"]["_fill"],
                "color": "#555555",
                "weight": 0.6,
                "fillOpacity": 0.85,
            },
            highlight_function=lambda f: {"weight": 2.5, "color": "#000000"},
            tooltip=folium.GeoJsonTooltip(
                fields=["name_el", "cluster_el", "p_sim"],
                aliases=["Δήμος", "Συστάδα LISA", "ψευδο-p"],
            ),
        ).add_to(m)
    page = cast(folium.Figure, m.get_root())  # a Map's root is always a Figure
    if lisa:
        legend = "".join(
            f'<div><span style="display:inline-block;width:12px;height:12px;background:{c};'
            f'border:1px solid #777;margin-right:4px"></span>{html.escape(k)}</div>'
            for k, c in LISA_COLOURS.items()
        )
        page.html.add_child(
            folium.Element(
                '<div id="sp-lisa-legend" style="position:fixed;bottom:64px;left:10px;z-index:1000;background:white;'
                f'padding:6px 8px;font:12px sans-serif;border:1px solid #999">'
                f"<b>Συστάδες LISA (p ≤ α)</b>{legend}</div>"
            )
        )
    page.html.add_child(
        folium.Element(
            '<div id="sp-title" style="position:fixed;top:90px;left:10px;z-index:1000;background:white;'
            'padding:6px 10px;font:14px sans-serif;border:1px solid #999;max-width:40%">'
            f"<b>{html.escape(title)}</b><br><small>{html.escape(attribution)}</small></div>"
        )
    )
    folium.LayerControl(collapsed=False).add_to(m)
    return m


_FOLIUM_ID = re.compile(r"\b([a-z][a-z0-9_]*?)_([0-9a-f]{32})(?![0-9a-f])")


def _stable_ids(page: str) -> str:
    """Replace folium's random element ids (``uuid4().hex``) by counters in order of first appearance.

    Identical runs then write identical ``map.html`` files.
    """
    ids: dict[str, str] = {}

    def sub(match: re.Match[str]) -> str:
        new = ids.setdefault(match.group(2), f"{len(ids):032x}")
        return f"{match.group(1)}_{new}"

    return _FOLIUM_ID.sub(sub, page)


def write_map(m: folium.Map, path: str | os.PathLike[str]) -> Path:
    """Render ``m`` to a self-contained HTML file that needs no network (see :func:`inline_assets`).

    The same map gives the same bytes: folium's random element ids are replaced by counters.
    """
    path = Path(path)
    page = inline_assets(_stable_ids(m.get_root().render()))
    path.write_text(page, encoding="utf-8")
    return path
