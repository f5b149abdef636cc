"""The AROPE estimates on the interactive map: one layer per group (chosen in the layer control), quantile
colours of the published estimates, flagged ones with a dashed outline, suppressed ones grey. The tooltip is built
from text properties, so a suppressed row carries no number into the page."""

from __future__ import annotations

import html
import json
from collections.abc import Mapping

import folium
import geopandas as gpd
import numpy as np
import pandas as pd

from spatial_poverty.maps.safe import SafeTooltip, layer_control_last

__all__ = ["add_sae_layers"]

_YLORRD = ("#ffffb2", "#fecc5c", "#fd8d3c", "#f03b20", "#bd0026")
_GREY = "#bdbdbd"
_QUALITY_EL = {"publish": "δημοσίευση", "flag": "με προσοχή (CV 20-33,3%)", "suppress": "απόκρυψη (CV > 33,3%)"}


def _pct(x: float) -> str:
    return f"{100 * x:.1f}".replace(".", ",")


def _properties(rows: pd.DataFrame, names: pd.Series, title: str) -> pd.DataFrame:
    shown = rows["quality"] != "suppress"
    est = rows["estimate"].where(shown)
    edges = np.unique(np.quantile(est.dropna(), np.linspace(0, 1, len(_YLORRD) + 1))) if shown.any() else [0, 1]
    k = np.clip(np.searchsorted(edges, est.fillna(0).to_numpy(), side="right") - 1, 0, len(edges) - 2)
    colour = np.where(shown, np.array(_YLORRD)[np.round(k * (len(_YLORRD) - 1) / max(len(edges) - 2, 1)).astype(int)],
                      _GREY)  # fmt: skip
    text = [
        f"{_pct(e)}% ({_pct(lo)}–{_pct(hi)}%)" if ok else "—"
        for ok, e, lo, hi in zip(shown, rows["estimate"], rows["ci_low"], rows["ci_high"], strict=True)
    ]
    return pd.DataFrame(
        {
            "name": names.reindex(rows.index).fillna("").astype(str).map(html.escape),
            "group": html.escape(title),
            "estimate": text,
            "quality": rows["quality"].map(_QUALITY_EL),
            "_fill": colour,
            "_dash": np.where(rows["quality"] == "flag", "4 3", ""),
        },
        index=rows.index,
    )


def add_sae_layers(
    fmap: folium.Map,
    layer: gpd.GeoDataFrame,
    groups: Mapping[str, str],
    *,
    simplify_m: float,
    label: str,
) -> None:
    """Add one layer per group of ``layer`` (the published ``poverty_sae``, EPSG:2100) to ``fmap``; ``groups``
    maps a group to its title, ``label`` prefixes the layer names (the SYNTHETIC tag included)."""
    for group, title in groups.items():
        rows = layer[layer["group"] == group].set_index("code")
        props = _properties(rows, rows["name_el"], title)
        geo = gpd.GeoDataFrame(props, geometry=rows.geometry.simplify(simplify_m).to_crs(4326).to_numpy(), crs=4326)
        folium.GeoJson(
            json.loads(geo.to_json(drop_id=True)),
            name=html.escape(f"{label}: {title}"),
            show=False,  # chosen in the layer control, like the other overlays
            style_function=lambda f: {
                "fillColor": f["properties"]["_fill"],
                "color": "#444444",
                "weight": 0.6,
                "dashArray": f["properties"]["_dash"],
                "fillOpacity": 0.8,
            },
            tooltip=SafeTooltip(
                fields=["name", "group", "estimate", "quality"],
                aliases=["Δήμος", "Ομάδα", "AROPE (διάστημα 95%)", "Ποιότητα"],
            ),
        ).add_to(fmap)
    layer_control_last(fmap)
