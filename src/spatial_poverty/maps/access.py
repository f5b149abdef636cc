"""Access to services on the interactive map: the services, searchable by type and municipality, and each
settlement's nearest services in a popup (the observatory's "information and linking" role)."""

from __future__ import annotations

import html
from typing import Any

import folium
import geopandas as gpd
import numpy as np
import pandas as pd
from branca.element import MacroElement
from jinja2 import Template

from spatial_poverty.maps.safe import SafeTooltip, js_value, layer_control_last
from spatial_poverty.services.vocabulary import SERVICE_COLOURS, SERVICE_TYPES

__all__ = ["SERVICE_COLOURS", "ServiceSearch", "add_access_layers"]


def _points(gdf: gpd.GeoDataFrame, props: pd.DataFrame) -> dict[str, Any]:
    g = gdf.geometry.to_crs(4326)
    features = []
    for (key, pt), (_, row) in zip(g.items(), props.iterrows(), strict=True):
        p = {k: (None if isinstance(v, float) and np.isnan(v) else v) for k, v in row.items()}
        p = {k: (v.item() if isinstance(v, np.generic) else v) for k, v in p.items()}
        features.append(
            {
                "type": "Feature",
                "id": str(key),
                "properties": p,
                "geometry": {"type": "Point", "coordinates": [round(pt.x, 5), round(pt.y, 5)]},
            }
        )
    return {"type": "FeatureCollection", "features": features}


def _minutes(v: float) -> str:
    return "–" if v is None or not np.isfinite(v) else f"{v:.0f}'"


def add_access_layers(
    m: folium.Map,
    services: gpd.GeoDataFrame,
    settlements: gpd.GeoDataFrame,
    nearest: pd.DataFrame,
    municipality_names: pd.Series,
    *,
    attribution: str,
) -> folium.Map:
    """Add the services and the settlements' nearest services to a run's map.

    Parameters
    ----------
    m : folium.Map
        From :func:`~spatial_poverty.maps.interactive.interactive_map`.
    services : geopandas.GeoDataFrame
        The ``services`` layer (``name``, ``type``, ``type_el``, ``code``, ``precision``, ``duplicate_of``).
    settlements : geopandas.GeoDataFrame
        The ``settlement_access`` layer.
    nearest : pandas.DataFrame
        Long table of each settlement's nearest service per type (``settlement``, ``type``, ``service_id``,
        ``name``, ``minutes``, ``needs_ferry``).
    municipality_names : pandas.Series
        Greek name by municipality code.
    attribution : str
        The services' source line (the ODbL attribution for OpenStreetMap points).
    """
    names = municipality_names.astype(str)
    svc = services[services["duplicate_of"].fillna("") == ""]
    props = pd.DataFrame(
        {
            "name": svc["name"].astype(str),
            "type": svc["type"].astype(str),
            "type_el": svc["type_el"].astype(str),
            "municipality": svc["code"].map(names).fillna(svc["code"]),
            "code": svc["code"],
            "precision": svc["precision"],
            "_fill": svc["type"].map(SERVICE_COLOURS).fillna("#999999"),
        },
        index=svc.index,
    )
    folium.GeoJson(
        _points(svc, props),
        name=f"Υπηρεσίες ({html.escape(attribution)})",
        marker=folium.CircleMarker(radius=5, weight=1, fill=True, fill_opacity=0.9),
        style_function=lambda f: {"fillColor": f["properties"]["_fill"], "color": "#333333"},
        tooltip=SafeTooltip(
            fields=["name", "type_el", "municipality", "precision"],
            aliases=["Υπηρεσία", "Είδος", "Δήμος", "Ακρίβεια θέσης"],
        ),
    ).add_to(m)
    # Settlements: popup with the nearest service overall and of each type.
    by_settlement = {k: g for k, g in nearest.groupby("settlement")} if len(nearest) else {}
    popups = []
    for code, row in settlements.iterrows():
        rows = by_settlement.get(code)
        lines = []
        if rows is not None:
            for r in rows.sort_values("minutes").itertuples():
                ferry = " ⛴" if r.needs_ferry else ""
                lines.append(
                    f"<tr><td>{html.escape(SERVICE_TYPES.get(r.type, (r.type,))[0])}</td>"
                    f"<td>{html.escape(str(r.name))}</td><td style='text-align:right'>{_minutes(r.minutes)}"
                    f"{ferry}</td></tr>"
                )
        head = (
            f"<b>{html.escape(str(row['name']))}</b> ({html.escape(str(names.get(row['code'], row['code'])))})<br>"
            f"Πληθυσμός 2021 (εκτίμηση): {int(row['pop_2021'])}<br>"
            f"Πλησιέστερη υπηρεσία: {_minutes(row['nearest_service_min'])}"
            f"{' – απαιτεί πλοίο' if row['needs_ferry'] else ''}"
        )
        table = (
            "<table style='font-size:11px'><tr><th>Είδος</th><th>Υπηρεσία</th><th>Χρόνος</th></tr>"
            + "".join(lines)
            + "</table><small>⛴ = με πλοίο</small>"
            if lines
            else ""
        )
        popups.append(head + table)
    sprops = pd.DataFrame(
        {
            "name_s": settlements["name"].astype(str),
            "minutes": settlements["nearest_service_min"].astype(float),
            "needs_ferry": np.where(settlements["needs_ferry"], "ναι", "όχι"),
            "_popup": popups,
            "_fill": np.where(settlements["needs_ferry"], "#08519c", "#fdae6b"),
        },
        index=settlements.index,
    )
    folium.GeoJson(
        _points(settlements, sprops),
        name="Οικισμοί: πλησιέστερες υπηρεσίες (κλικ)",
        show=False,
        marker=folium.CircleMarker(radius=3, weight=0.5, fill=True, fill_opacity=0.9),
        style_function=lambda f: {"fillColor": f["properties"]["_fill"], "color": "#555555"},
        tooltip=SafeTooltip(
            fields=["name_s", "minutes", "needs_ferry"], aliases=["Οικισμός", "Λεπτά έως υπηρεσία", "Πλοίο"]
        ),
        popup=folium.GeoJsonPopup(fields=["_popup"], labels=False, max_width=420),
    ).add_to(m)
    types = [t for t in SERVICE_TYPES if t in set(svc["type"])]
    ServiceSearch(
        {t: SERVICE_TYPES[t][0] for t in types},
        sorted(set(props["municipality"])),
    ).add_to(m)
    layer_control_last(m)
    return m


class ServiceSearch(MacroElement):  # type: ignore[misc]  # branca is untyped
    """A control (bottom right) that filters the services by type and municipality and zooms to them.

    Services not matching are hidden; the count is shown, and the list of matching names (click one to zoom).
    Inline JavaScript, like :class:`~spatial_poverty.maps.interactive.MunicipalitySearch`: works offline.
    """

    _template = Template(
        r"""
        {% macro script(this, kwargs) %}
        (function () {
            var map = {{ this._parent.get_name() }};
            var types = {{ this.types_json }};
            var munis = {{ this.munis_json }};
            function serviceLayers() {
                var out = [];
                map.eachLayer(function (layer) {
                    if (!layer.getLayers) { return; }
                    layer.getLayers().forEach(function (sub) {
                        if (sub.feature && sub.feature.properties && sub.feature.properties.type_el !== undefined) {
                            out.push(sub);
                        }
                    });
                });
                return out;
            }
            var Ctl = L.Control.extend({
                options: {position: "bottomright"},
                onAdd: function () {
                    var div = L.DomUtil.create("div", "leaflet-bar sp-service-search");
                    div.style.background = "white";
                    div.style.padding = "4px";
                    div.style.font = "12px sans-serif";
                    div.innerHTML = '<b>Υπηρεσίες</b><br><select id="sp-svc-type" aria-label="Είδος">' +
                        '<option value="">όλα τα είδη</option></select><br>' +
                        '<select id="sp-svc-muni" aria-label="Δήμος"><option value="">όλοι οι δήμοι</option>' +
                        '</select><div id="sp-svc-count"></div>' +
                        '<div id="sp-svc-list" style="max-height:12em;overflow:auto"></div>';
                    L.DomEvent.disableClickPropagation(div);
                    L.DomEvent.disableScrollPropagation(div);
                    var selT = div.querySelector("#sp-svc-type"), selM = div.querySelector("#sp-svc-muni");
                    function option(sel, value, text) {
                        var o = document.createElement("option");
                        o.value = value;
                        o.textContent = text;
                        sel.appendChild(o);
                    }
                    Object.keys(types).forEach(function (k) { option(selT, k, types[k]); });
                    munis.forEach(function (n) { option(selM, n, n); });
                    var count = div.querySelector("#sp-svc-count"), list = div.querySelector("#sp-svc-list");
                    function apply() {
                        var ty = selT.value, mu = selM.value, hits = [];
                        serviceLayers().forEach(function (s) {
                            var p = s.feature.properties;
                            var ok = (!ty || p.type === ty) && (!mu || p.municipality === mu);
                            s.setStyle({opacity: ok ? 1 : 0, fillOpacity: ok ? 0.9 : 0});
                            if (ok) { hits.push(s); }
                        });
                        count.textContent = hits.length + " υπηρεσίες";
                        list.innerHTML = "";
                        if (ty || mu) {
                            hits.slice(0, 200).forEach(function (s) {
                                var a = document.createElement("div");
                                a.style.cursor = "pointer";
                                var p = s.feature.properties;
                                a.textContent = p.name + " (" + p.municipality + ")";
                                a.onclick = function () { map.setView(s.getLatLng(), 14); s.openTooltip(); };
                                list.appendChild(a);
                            });
                            if (hits.length) {
                                map.fitBounds(L.latLngBounds(hits.map(function (s) { return s.getLatLng(); })),
                                              {maxZoom: 13, animate: false});
                            }
                        }
                        window.spServiceSearch = hits.length;
                    }
                    selT.onchange = apply;
                    selM.onchange = apply;
                    return div;
                }
            });
            new Ctl().addTo(map);
        })();
        {% endmacro %}
        """
    )

    def __init__(self, types: dict[str, str], municipalities: list[str]) -> None:
        super().__init__()
        self._name = "ServiceSearch"
        self.types_json = js_value(types)
        self.munis_json = js_value(municipalities)
