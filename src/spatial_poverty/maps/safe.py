"""Where text enters the map's page: escaped once, for the place it goes.

Names of municipalities, services, operators and settlements come from partners' files. They reach ``map.html``
in two ways, and each has one door here:

- **inline scripts** (the search controls' lists): :func:`js_value` writes JSON with ``<``, ``>``, ``&`` and
  ``'`` as ``\\u`` escapes, like jinja's ``tojson``, so a name holding ``</script>`` cannot close the script;
- **tooltips** built in the browser from a feature's properties: :class:`SafeTooltip` inserts every value and
  alias as text (HTML-escaped in the page's script), where folium's ``GeoJsonTooltip`` inserts them as HTML.

HTML assembled in Python (popups, legends, titles) escapes its parts with :func:`html.escape` where it is built.
"""

from __future__ import annotations

import json
from functools import partial
from typing import Any

import folium
from folium.template import Template
from jinja2.utils import htmlsafe_json_dumps

__all__ = ["SafeTooltip", "js_value", "layer_control_last"]


def js_value(obj: Any) -> str:
    """``obj`` as a JavaScript literal that is safe inside an HTML ``<script>`` element.

    Greek stays readable (no ``\\u`` escapes but for ``<``, ``>``, ``&`` and ``'``).

    Examples
    --------
    >>> js_value(["</script>", "Ρόδος"])
    '["\\\\u003c/script\\\\u003e", "Ρόδος"]'
    """
    return str(htmlsafe_json_dumps(obj, dumps=partial(json.dumps, ensure_ascii=False)))


class SafeTooltip(folium.GeoJsonTooltip):  # type: ignore[misc]  # folium is untyped
    """A ``GeoJsonTooltip`` that shows property values and aliases as text, never as HTML.

    Same arguments as :class:`folium.GeoJsonTooltip`. With ``localize=True`` numbers are formatted by the
    browser's locale, as folium does.
    """

    _template = Template(
        """
    {% macro script(this, kwargs) %}
    {{ this._parent.get_name() }}.bindTooltip(function (layer) {
        var div = L.DomUtil.create("div");
        var esc = function (s) {
            return String(s).replace(/[&<>"']/g, function (c) {
                return {"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;"}[c];
            });
        };
        var show = function (v) {
            if (v === null || v === undefined) { return ""; }
            if (typeof v === "object") { return JSON.stringify(v); }
            {% if this.localize %}if (typeof v === "number") { return v.toLocaleString(); }{% endif %}
            return v;
        };
        var fields = {{ this.fields | tojson }};
        var aliases = {{ this.aliases | tojson }};
        div.innerHTML = "<table>" + fields.map(function (f, i) {
            return "<tr>"{% if this.labels %} + "<th>" + esc(aliases[i]) + "</th>"{% endif %} +
                "<td>" + esc(show(layer.feature.properties[f])) + "</td></tr>";
        }).join("") + "</table>";
        return div;
    }, {{ this.tooltip_options | tojavascript }});
    {% endmacro %}
    """
    )


def layer_control_last(m: folium.Map) -> None:
    """Move the layer control after every layer: its script names each overlay, so layers added after it
    (by other stages) would be referenced before they are set, and the page's script would stop there."""
    for key, child in list(m._children.items()):
        if isinstance(child, folium.LayerControl):
            m._children.move_to_end(key)
