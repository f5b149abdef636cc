"""The interactive map of a run (``map.html``): folium, Greek labels, and no network needed to view it."""

from __future__ import annotations

import html
import json
import logging
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

import folium
import geopandas as gpd
import mapclassify
import numpy as np
import pandas as pd
import shapely
from branca.colormap import StepColormap
from branca.element import MacroElement
from jinja2 import Template

from spatial_poverty.explain import explain
from spatial_poverty.formatting import number
from spatial_poverty.maps.offline import inline_assets
from spatial_poverty.maps.safe import SafeTooltip, js_value
from spatial_poverty.stats.labels import CLUSTER_LABELS_EL, GISTAR_LABELS_EL, NOT_SIGNIFICANT_EL

__all__ = ["LISA_COLOURS", "IndicatorLayer", "MunicipalitySearch", "interactive_map", "write_map"]

logger = logging.getLogger(__name__)

#: GeoDa's LISA cluster colours, keyed by the Greek label.
LISA_COLOURS: dict[str, str] = {
    CLUSTER_LABELS_EL[1]: "#ff0000",  # High-High
    CLUSTER_LABELS_EL[3]: "#0000ff",  # Low-Low
    CLUSTER_LABELS_EL[2]: "#a7adf9",  # Low-High
    CLUSTER_LABELS_EL[4]: "#f4ada8",  # High-Low
    NOT_SIGNIFICANT_EL: "#eeeeee",
}

#: Gi* bins' colours (hot spots red, cold spots blue); their labels are stats.labels.GISTAR_LABELS_EL.
GISTAR_COLOURS_HEX: dict[int, str] = {
    3: "#d7191c",
    2: "#fd8d3c",
    1: "#fed9a6",
    0: "#eeeeee",
    -1: "#c6dbef",
    -2: "#6baed6",
    -3: "#2c7bb6",
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


def _title_el(var: str) -> str:
    """A variable's Greek title from the exchange schema (one registry of names)."""
    from spatial_poverty.export.schema import variable_titles

    return variable_titles(var)[0]


def interactive_map(
    municipalities: gpd.GeoDataFrame,
    *,
    title: str,
    indicators: list[IndicatorLayer],
    lisa: Mapping[str, pd.DataFrame] | None = None,
    attribution: str = "Πηγή: ΕΛ.ΣΤΑΤ.",
    simplify_m: float = 100.0,
    gistar: Mapping[str, pd.DataFrame] | None = None,
    index: pd.DataFrame | None = None,
    significance: str = "p",
    notes: Mapping[str, str] | None = None,
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
    gistar : mapping of variable to frame, optional
        Gi* tables (``gi_z``, ``gi_p``, ``gi_bin`` in -3..3) indexed like ``municipalities``: one hot-spot layer
        each.
    index : pandas.DataFrame, optional
        The ``deprivation_index`` table (``score``, ``rank``, ``decile``, ``rank_p05``, ``rank_p95``,
        ``p_worst_decile``): a layer in quintiles of the score whose tooltip gives the rank band.
    significance : {"p", "q"}
        The value the LISA clusters were cut at (the run's ``statistics.significance``): named in the legend,
        and the tooltip shows ``q_sim`` beside ``p_sim`` when the frames have it.
    notes : mapping of variable to text, optional
        Each variable's source line with the years of its data (``deprivation_index`` for the index), shown in
        the layer's legend.

    Each layer has its own legend box (classes, the data's years and sources, and a plain-language paragraph on
    how to read it, folded), shown only while the layer is visible.

    Every map has a layer control and a search box: typing a municipality's name (accents and case do not
    matter) zooms to it and opens its tooltip. The search is our own small control, inlined: no Leaflet search
    plugin is packaged on PyPI.

    Returns
    -------
    folium.Map
        With no tile layer: a basemap would need the network.
    """
    bounds = municipalities.to_crs(4326).total_bounds
    m = folium.Map(tiles=None, control_scale=True, zoom_snap=0.25)
    m.fit_bounds([[bounds[1], bounds[0]], [bounds[3], bounds[2]]])
    legends = _Legends(notes or {})
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
            tooltip=SafeTooltip(
                fields=["name_el", ind.column],
                aliases=["Δήμος", ind.label_el + (f" ({ind.unit})" if ind.unit else "")],
                localize=True,
            ),
        )
        layer.add_to(m)
        legends.add(ind.label_el, ind.column, _bins(bins, palette), shown=(i == 0), explain_key="choropleth")
    for column, frame in (lisa or {}).items():
        label = next((ind.label_el for ind in indicators if ind.column == column), None) or _title_el(column)
        shown = ["cluster_el", "p_sim", *(["q_sim"] if "q_sim" in frame.columns else [])]
        joined = municipalities[["name_el", "name_en", "geometry"]].join(frame[shown])
        joined = joined.assign(_fill=joined["cluster_el"].map(LISA_COLOURS).fillna("#999999"))  # no neighbours
        data = _geojson(joined, ["name_el", *shown, "_fill"], simplify_m)
        rule = f"Συστάδες LISA ({'q' if significance == 'q' else 'p'} ≤ α)"
        legends.add(f"Συστάδες LISA: {label}", column, list(LISA_COLOURS.items()), subtitle=rule, explain_key=(
            "bilisa" if "_vs_" in column else "lisa"
        ))  # fmt: skip
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
            tooltip=SafeTooltip(
                fields=["name_el", *shown],
                aliases=["Δήμος", "Συστάδα LISA", "ψευδο-p", "q (μετά από διόρθωση)"][: len(shown) + 1],
            ),
        ).add_to(m)
    for column, frame in (gistar or {}).items():
        label = next((ind.label_el for ind in indicators if ind.column == column), None) or _title_el(column)
        bins = pd.to_numeric(frame["gi_bin"], errors="raise").astype(int).reindex(municipalities.index)
        joined = municipalities[["name_el", "geometry"]].assign(
            gi_z=frame["gi_z"].reindex(municipalities.index).astype(float) if "gi_z" in frame else np.nan,
            gi_p=frame["gi_p"].reindex(municipalities.index).astype(float) if "gi_p" in frame else np.nan,
            gi_label=bins.map(GISTAR_LABELS_EL),
            _fill=bins.map(GISTAR_COLOURS_HEX),
        )
        data = _geojson(joined, ["name_el", "gi_label", "gi_z", "gi_p", "_fill"], simplify_m)
        legends.add(
            f"Θερμά/ψυχρά σημεία Gi*: {label}",
            column,
            [(GISTAR_COLOURS_HEX[b], GISTAR_LABELS_EL[b]) for b in (3, 2, 1, 0, -1, -2, -3)],
            explain_key="gistar",
        )
        folium.GeoJson(
            data,
            name=f"Θερμά/ψυχρά σημεία Gi*: {label}",
            show=False,
            style_function=_fill_style,
            highlight_function=lambda f: {"weight": 2.5, "color": "#000000"},
            tooltip=SafeTooltip(fields=["name_el", "gi_label", "gi_z", "gi_p"], aliases=["Δήμος", "Gi*", "z", "p"]),
        ).add_to(m)
    if index is not None:
        ix = index.reindex(municipalities.index)
        score = ix["score"].astype(float)
        classes = mapclassify.Quantiles(score.dropna().to_numpy(), k=min(5, score.nunique()))
        bins = [float(score.min()), *[float(b) for b in classes.bins]]
        cmap = StepColormap(
            _SEQUENTIAL[: len(bins) - 1],
            index=bins,
            vmin=bins[0],
            vmax=bins[-1],
            caption="Δείκτης αποστέρησης – ποσοστημόρια (υψηλότερο = πιο αποστερημένο)",
        )
        band = [
            f"{int(a)}–{int(b)}" if not (pd.isna(a) or pd.isna(b)) else "–"
            for a, b in zip(
                ix.get("rank_p05", pd.Series(np.nan, index=ix.index)),
                ix.get("rank_p95", pd.Series(np.nan, index=ix.index)),
                strict=True,
            )
        ]
        joined = municipalities[["name_el", "geometry"]].assign(
            score=score,
            rank=ix["rank"].astype("Int64").astype(str) if "rank" in ix else "",
            rank_band=band,
            decile=ix["decile"].astype("Int64").astype(str) if "decile" in ix else "",
            p_worst_decile=ix["p_worst_decile"].astype(float) if "p_worst_decile" in ix else np.nan,
            _fill=[cmap(v) if not pd.isna(v) else "#ffffff" for v in score],
        )
        data = _geojson(
            joined, ["name_el", "score", "rank", "rank_band", "decile", "p_worst_decile", "_fill"], simplify_m
        )
        folium.GeoJson(
            data,
            name="Δείκτης αποστέρησης",
            show=False,
            style_function=_fill_style,
            highlight_function=lambda f: {"weight": 2.5, "color": "#000000"},
            tooltip=SafeTooltip(
                fields=["name_el", "score", "rank", "rank_band", "decile", "p_worst_decile"],
                aliases=[
                    "Δήμος",
                    "Δείκτης",
                    "Κατάταξη (1 = πιο αποστερημένος)",
                    "Ζώνη κατάταξης 5%–95%",
                    "Δεκατημόριο",
                    "Πιθανότητα στο χειρότερο δεκατημόριο",
                ],
            ),
        ).add_to(m)
        legends.add(
            "Δείκτης αποστέρησης",
            "deprivation_index",
            _bins(bins, _SEQUENTIAL[: len(bins) - 1]),
            subtitle="ποσοστημόρια (υψηλότερο = πιο αποστερημένο)",
            explain_key="deprivation_index",
        )
    page = cast(folium.Figure, m.get_root())  # a Map's root is always a Figure
    legends.attach(m)
    page.html.add_child(
        folium.Element(
            '<div id="sp-title" style="position:fixed;top:90px;left:10px;z-index:1000;background:white;'
            'padding:6px 10px;font:14px sans-serif;border:1px solid #999;max-width:40%">'
            f"<b>{html.escape(title)}</b><br><small>{html.escape(attribution)}</small></div>"
        )
    )
    folium.LayerControl(collapsed=False).add_to(m)
    MunicipalitySearch(municipalities["name_el"].astype(str).tolist()).add_to(m)
    return m


def _bins(bins: list[float], palette: list[str]) -> list[tuple[str, str]]:
    """Legend rows of a classed layer: colour and "low – high" in Greek number format."""
    pairs = zip(palette, bins[:-1], bins[1:], strict=True)
    return [(c, f"{number(lo, 2, 'el')} – {number(hi, 2, 'el')}") for c, lo, hi in pairs]


class _Legends:
    """One legend box per map layer, shown only while its layer is on (Leaflet's overlayadd/overlayremove)."""

    def __init__(self, notes: Mapping[str, str]) -> None:
        self.notes = notes
        self.boxes: list[tuple[str, str, bool]] = []

    def add(
        self,
        layer: str,
        variable: str,
        rows: list[tuple[str, str]],
        *,
        subtitle: str = "",
        shown: bool = False,
        explain_key: str = "",
    ) -> None:
        swatches = "".join(
            f'<div><span style="display:inline-block;width:12px;height:12px;background:{html.escape(c)};'
            f'border:1px solid #777;margin-right:4px"></span>{html.escape(text)}</div>'
            for c, text in rows
        )
        note = self.notes.get(variable, "")
        paragraph = explain(explain_key, "el") if explain_key else ""
        body = (
            f"<b>{html.escape(layer)}</b>"
            + (f"<br><small>{html.escape(subtitle)}</small>" if subtitle else "")
            + swatches
            + (f'<div class="sp-note"><small>{html.escape(note)}</small></div>' if note else "")
            + (f"<details><summary>Πώς διαβάζεται</summary><small>{html.escape(paragraph)}</small></details>"
               if paragraph else "")
        )  # fmt: skip
        self.boxes.append((layer, body, shown))

    def attach(self, m: folium.Map) -> None:
        page = cast(folium.Figure, m.get_root())
        boxes = "".join(
            f'<div class="sp-legend" id="sp-legend-{i}" style="display:{"block" if shown else "none"}">{body}</div>'
            for i, (_, body, shown) in enumerate(self.boxes)
        )
        page.html.add_child(
            folium.Element(
                '<div id="sp-legends" style="position:fixed;bottom:24px;right:10px;z-index:1000;max-width:300px;'
                'max-height:60%;overflow:auto;font:12px sans-serif">'
                "<style>.sp-legend{background:white;padding:6px 8px;border:1px solid #999;margin-top:4px}"
                ".sp-note{margin-top:4px;color:#444}</style>"
                f"{boxes}</div>"
            )
        )
        ids = json.dumps({name: f"sp-legend-{i}" for i, (name, _, _) in enumerate(self.boxes)}, ensure_ascii=False)
        ids = ids.replace("</", "<\\/")
        page.script.add_child(
            folium.Element(
                # after every script of the page has run: the map object exists only then
                f"document.addEventListener('DOMContentLoaded',function(){{var ids={ids};"
                f"function show(name,on){{var el=document.getElementById(ids[name]);"
                f"if(el){{el.style.display=on?'block':'none';}}}}"
                f"{m.get_name()}.on('overlayadd',function(e){{show(e.name,true);}});"
                f"{m.get_name()}.on('overlayremove',function(e){{show(e.name,false);}});}});"
            )
        )


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


def _fill_style(f: dict[str, Any]) -> dict[str, Any]:
    return {"fillColor": f["properties"]["_fill"], "color": "#555555", "weight": 0.6, "fillOpacity": 0.85}


class MunicipalitySearch(MacroElement):  # type: ignore[misc]  # branca is untyped
    """A search box (top right) that finds a municipality by name on the map's GeoJSON layers.

    Typing a name (a ``<datalist>`` suggests them; accents, case and the "ΔΗΜΟΣ" prefix do not matter) and
    pressing Enter zooms to the feature of that name in the first visible layer with a tooltip and opens it.
    Written here, inline, because no Leaflet search plugin is packaged on PyPI (XStatic) and the map must work
    offline.
    """

    _template = Template(
        r"""
        {% macro script(this, kwargs) %}
        (function () {
            var map = {{ this._parent.get_name() }};
            var names = {{ this.names_json }};
            function norm(s) {
                return (s || "").normalize("NFD").replace(/[\u0300-\u036f]/g, "").toLowerCase()
                    .replace(/^δημος\s+/, "").replace(/ς/g, "σ").trim();
            }
            var Search = L.Control.extend({
                options: {position: "topright"},
                onAdd: function () {
                    var div = L.DomUtil.create("div", "leaflet-bar sp-search");
                    div.style.background = "white";
                    div.style.padding = "4px";
                    div.innerHTML = '<input id="sp-search-input" type="search" list="sp-search-names" ' +
                        'placeholder="Αναζήτηση δήμου…" aria-label="Αναζήτηση δήμου" style="width:14em;' +
                        'font:13px sans-serif"><datalist id="sp-search-names"></datalist>' +
                        '<div id="sp-search-status" style="font:11px sans-serif;color:#a00"></div>';
                    var list = div.querySelector("datalist");
                    names.forEach(function (n) {
                        var o = document.createElement("option");
                        o.value = n;
                        list.appendChild(o);
                    });
                    L.DomEvent.disableClickPropagation(div);
                    L.DomEvent.disableScrollPropagation(div);
                    var input = div.querySelector("input");
                    var status = div.querySelector("#sp-search-status");
                    function find() {
                        var q = norm(input.value);
                        if (!q) { return; }
                        var found = null, group = null;
                        map.eachLayer(function (layer) {
                            if (found || !layer.getLayers || !layer.getTooltip || !layer.getTooltip()) { return; }
                            layer.getLayers().forEach(function (sub) {
                                if (found || !sub.feature || !sub.feature.properties) { return; }
                                var n = norm(sub.feature.properties.name_el);
                                if (n === q || (n.indexOf(q) === 0 && q.length >= 3)) { found = sub; group = layer; }
                            });
                        });
                        if (!found) {
                            status.textContent = "Δεν βρέθηκε: " + input.value;
                            return;
                        }
                        status.textContent = "";
                        map.fitBounds(found.getBounds(), {maxZoom: 11, animate: false});
                        // What the group's own mouseover handler does (Leaflet 1.9 Layer._openTooltip).
                        group.getTooltip()._source = found;
                        group.openTooltip(found.getBounds().getCenter());
                        if (found.setStyle) { found.setStyle({weight: 3, color: "#000000"}); }
                        window.spSearchResult = found.feature.properties.name_el;
                    }
                    L.DomEvent.on(input, "keydown", function (e) { if (e.key === "Enter") { find(); } });
                    L.DomEvent.on(input, "change", find);
                    return div;
                }
            });
            new Search().addTo(map);
        })();
        {% endmacro %}
        """
    )

    def __init__(self, names: list[str]) -> None:
        super().__init__()
        self._name = "MunicipalitySearch"
        self.names_json = js_value(sorted(set(names)))


def write_map(m: folium.Map, path: str | os.PathLike[str]) -> Path:
    """Render ``m`` to a self-contained HTML file that needs no network (see :func:`inline_assets`).

    The same map gives the same bytes: folium's random element ids are replaced by counters.
    """
    path = Path(path)
    page = inline_assets(_stable_ids(m.get_root().render()))
    path.write_text(page, encoding="utf-8")
    return path
