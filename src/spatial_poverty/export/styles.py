"""Default QGIS styles of the delivered layers, stored in the GeoPackage's ``layer_styles`` table.

QGIS applies the row of ``layer_styles`` whose ``f_table_name`` is the layer, ``f_table_schema`` is empty and
``useAsDefault`` is true when it opens a layer, so a GIS officer sees the delivery styled with no further step.
Each feature layer gets two styles: the default one (Greek aliases, labels with the Greek name) and an English
one. Each style is written as QML (QGIS) and SLD 1.1 (other GIS, GeoServer).

What is drawn comes from the exchange schema (:class:`~spatial_poverty.export.schema.StyleSpec`):

- graduated classes (quantiles, 5 classes) for indices, rates and indicators, sequential (ColorBrewer YlOrRd)
  or diverging around zero for changes (ColorBrewer RdBu, decline in red);
- the GeoDa palette for LISA clusters (Anselin, Syabri & Kho 2006);
- a diverging palette for ``gi_bin`` (cold spots in blues, hot spots in reds, as ArcGIS's Hot Spot Analysis);
- a 45° hatching over the municipalities whose ``unreliable`` flag is true (a data-defined "enabled" on a line
  pattern fill), so an unreliable value is never read as a firm one;
- labels with the Greek names and the fields' Greek (or English) aliases.
"""

from __future__ import annotations

import math
import sqlite3
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from xml.sax.saxutils import quoteattr

import geopandas as gpd
import numpy as np
import pandas as pd

from spatial_poverty.export.schema import UNITS_EL, LayerSpec, StyleSpec, field_spec, layer_spec
from spatial_poverty.stats.labels import (
    CLUSTER_LABELS,
    CLUSTER_LABELS_EL,
    NO_NEIGHBOURS,
    NO_NEIGHBOURS_EL,
    NOT_SIGNIFICANT,
    NOT_SIGNIFICANT_EL,
)

__all__ = [
    "GEODA_LISA",
    "GI_BIN",
    "LayerStyle",
    "StyleClass",
    "coalesced",
    "layer_style",
    "null_class",
    "quantile_classes",
    "write_layer_styles",
]

QGIS_VERSION = "3.22.16-Białowieża"

#: GeoDa's LISA cluster map colours, keyed by the English label (with the Greek label).
GEODA_LISA: dict[str, tuple[str, str]] = {
    CLUSTER_LABELS[1]: ("#ff0000", CLUSTER_LABELS_EL[1]),  # High-High
    CLUSTER_LABELS[3]: ("#0000ff", CLUSTER_LABELS_EL[3]),  # Low-Low
    CLUSTER_LABELS[2]: ("#a7adf9", CLUSTER_LABELS_EL[2]),  # Low-High
    CLUSTER_LABELS[4]: ("#f4ada8", CLUSTER_LABELS_EL[4]),  # High-Low
    NOT_SIGNIFICANT: ("#eeeeee", NOT_SIGNIFICANT_EL),
}
#: Hot/cold spot classes of gi_bin: colour, Greek and English label (ArcGIS's Hot Spot Analysis palette).
GI_BIN: dict[int, tuple[str, str, str]] = {
    3: ("#d62f27", "Θερμό σημείο, 99%", "Hot spot, 99% confidence"),
    2: ("#ed7551", "Θερμό σημείο, 95%", "Hot spot, 95% confidence"),
    1: ("#fab984", "Θερμό σημείο, 90%", "Hot spot, 90% confidence"),
    0: ("#ffffbf", "Μη σημαντικό", "Not significant"),
    -1: ("#c0ccbe", "Ψυχρό σημείο, 90%", "Cold spot, 90% confidence"),
    -2: ("#849eba", "Ψυχρό σημείο, 95%", "Cold spot, 95% confidence"),
    -3: ("#4575b5", "Ψυχρό σημείο, 99%", "Cold spot, 99% confidence"),
}
#: ColorBrewer schemes, 5 classes.
PALETTES: dict[str, tuple[str, ...]] = {
    "YlOrRd": ("#ffffb2", "#fecc5c", "#fd8d3c", "#f03b20", "#bd0026"),
    "RdBu": ("#ca0020", "#f4a582", "#f7f7f7", "#92c5de", "#0571b0"),
}
#: Fields whose classes diverge around zero (a change: decline in red, growth in blue).
DIVERGING_FIELDS = frozenset({"pop_change_pct"})
_OUTLINE = "#555555"
_NODATA = "#d9d9d9"


@dataclass(frozen=True)
class StyleClass:
    """One legend entry: a range ``[lower, upper]`` or a category ``value``."""

    colour: str
    label: str
    lower: float | None = None
    upper: float | None = None
    value: str | int | None = None


@dataclass(frozen=True)
class LayerStyle:
    """A style ready to store: its name, QML and SLD."""

    layer: str
    name: str
    qml: str
    sld: str
    default: bool
    description: str


def _rgba(colour: str) -> str:
    c = colour.lstrip("#")
    return f"{int(c[0:2], 16)},{int(c[2:4], 16)},{int(c[4:6], 16)},255"


def _fmt(x: float) -> str:
    if x == 0:
        return "0"
    digits = max(0, 2 - math.floor(math.log10(abs(x))))
    return f"{x:,.{min(digits, 4)}f}".replace(",", " ")


def quantile_classes(values: pd.Series, palette: Sequence[str], unit: str, *, diverging: bool) -> list[StyleClass]:
    """Quantile classes (at most ``len(palette)``); with ``diverging`` the colours are centred on zero."""
    v = pd.to_numeric(values, errors="coerce").dropna().to_numpy(dtype=float)
    if v.size == 0:
        return []
    k = len(palette)
    edges = np.unique(np.quantile(v, np.linspace(0, 1, k + 1)))
    if edges.size == 1:
        edges = np.array([edges[0], edges[0]])
    n = edges.size - 1
    if diverging:
        # Negative classes take the red end, positive the blue end, the class holding zero the middle.
        mid = k // 2
        colours = []
        for i in range(n):
            lo, hi = edges[i], edges[i + 1]
            if lo <= 0 <= hi:
                colours.append(palette[mid])
            elif hi < 0:
                neg = [j for j in range(n) if edges[j + 1] < 0]
                colours.append(palette[max(0, mid - len(neg) + neg.index(i))])
            else:
                pos = [j for j in range(n) if edges[j] > 0]
                colours.append(palette[min(k - 1, mid + 1 + pos.index(i))])
    else:
        colours = [palette[round(i * (k - 1) / max(n - 1, 1))] for i in range(n)]
    suffix = f" {unit}" if unit else ""
    return [
        StyleClass(colours[i], f"{_fmt(edges[i])} – {_fmt(edges[i + 1])}{suffix}", float(edges[i]), float(edges[i + 1]))
        for i in range(n)
    ]


def _classes(spec: LayerSpec, frame: pd.DataFrame, *, greek: bool) -> tuple[str, str, list[StyleClass]]:
    """The field drawn, the renderer kind and its classes."""
    st = spec.style
    if st is None:
        raise ValueError(f"layer {spec.name!r} has no style in the exchange schema")
    attr = next((f for f in st.fields if f in frame.columns), None)
    if attr is None:
        raise ValueError(f"layer {spec.name!r}: none of the style's fields {st.fields} is in the layer")
    if st.palette == "geoda_lisa":
        classes = [StyleClass(c, el if greek else en, value=en) for en, (c, el) in GEODA_LISA.items()]
        if (frame[attr] == NO_NEIGHBOURS).any():  # island policy "components": too small to analyse
            classes.append(StyleClass("#999999", NO_NEIGHBOURS_EL if greek else NO_NEIGHBOURS, value=NO_NEIGHBOURS))
        return attr, "categorized", classes
    if st.palette == "gi_bin":
        classes = [StyleClass(c, el if greek else en, value=b) for b, (c, el, en) in GI_BIN.items()]
        return attr, "categorized", classes
    if st.palette == "service_type":
        from spatial_poverty.services.vocabulary import SERVICE_COLOURS, SERVICE_TYPES

        classes = [StyleClass(c, SERVICE_TYPES[k][0 if greek else 1], value=k) for k, c in SERVICE_COLOURS.items()]
        return attr, "categorized", classes
    f = field_spec(spec, attr)
    unit = (UNITS_EL.get(f.unit, f.unit) if greek else f.unit) if f else ""
    diverging = attr in DIVERGING_FIELDS
    palette = PALETTES["RdBu" if diverging else st.palette]
    shown = frame if st.show_where is None else frame[frame[st.show_where[0]].astype(str) == st.show_where[1]]
    classes = quantile_classes(shown[attr], palette, unit, diverging=diverging)
    if st.null_label is not None:
        classes.insert(0, null_class(st.null_label[0 if greek else 1]))
    return attr, "graduated", classes


_NULL_GREY = "#bdbdbd"
_NULL_VALUE = -1.0  # features without a value are drawn in the class [-1, -1] (values are shares, never negative)


def null_class(label: str) -> StyleClass:
    """The grey legend entry of the features without a value (suppressed), drawn through :func:`coalesced`."""
    return StyleClass(_NULL_GREY, label, _NULL_VALUE, _NULL_VALUE)


def coalesced(attr: str) -> str:
    """The graduated renderer's expression that puts the features without a value in :func:`null_class`."""
    return f'coalesce("{attr}", {_NULL_VALUE})'


def _drawn(st: StyleSpec | None, attr: str) -> str:
    """The graduated renderer's attribute: the field, or an expression that gives features without a value the
    grey class and leaves out the features not shown."""
    if st is None or (st.null_label is None and st.show_where is None):
        return attr
    value = coalesced(attr) if st.null_label is not None else f'"{attr}"'
    if st.show_where is None:
        return value
    field, wanted = st.show_where
    return f"if(\"{field}\" = '{wanted}', {value}, NULL)"


def _hatch_expression(st: StyleSpec | None, frame: pd.DataFrame) -> str | None:
    if st is None:
        return None
    if st.hatch_when is not None:
        return st.hatch_when
    return f'"{st.hatch_field}"' if st.hatch_field in frame.columns else None


# ------------------------------------------------------------------------------------------------------------ QML


def _opts(d: Mapping[str, str], indent: str) -> str:
    inner = "".join(f'{indent}  <Option type="QString" name="{k}" value={quoteattr(v)}/>\n' for k, v in d.items())
    return f'{indent}<Option type="Map">\n{inner}{indent}</Option>\n'


def _marker_xml(name: str, colour: str, indent: str) -> str:
    """A point symbol: a filled circle with a dark outline."""
    opts = {
        "color": _rgba(colour),
        "outline_color": _rgba("#333333"),
        "outline_style": "solid",
        "outline_width": "0.2",
        "outline_width_unit": "MM",
        "name": "circle",
        "size": "2.4",
        "size_unit": "MM",
    }
    out = f'{indent}<symbol type="marker" name="{name}" alpha="1" clip_to_extent="1" force_rhr="0">\n'
    out += f'{indent}  <layer class="SimpleMarker" enabled="1" pass="0" locked="0">\n'
    out += _opts(opts, indent + "    ")
    out += f"{indent}  </layer>\n{indent}</symbol>\n"
    return out


def _symbol_xml(name: str, colour: str, hatch: str | None, indent: str, *, point: bool = False) -> str:
    if point:
        return _marker_xml(name, colour, indent)
    fill = {
        "color": _rgba(colour),
        "outline_color": _rgba(_OUTLINE),
        "outline_style": "solid",
        "outline_width": "0.15",
        "outline_width_unit": "MM",
        "style": "solid",
    }
    out = f'{indent}<symbol type="fill" name="{name}" alpha="1" clip_to_extent="1" force_rhr="0">\n'
    out += f'{indent}  <layer class="SimpleFill" enabled="1" pass="0" locked="0">\n'
    out += _opts(fill, indent + "    ")
    out += f"{indent}  </layer>\n"
    if hatch:
        pattern = {"angle": "45", "distance": "1.6", "distance_unit": "MM", "color": "0,0,0,255", "line_width": "0.25"}
        out += f'{indent}  <layer class="LinePatternFill" enabled="1" pass="0" locked="0">\n'
        out += _opts(pattern, indent + "    ")
        expr = quoteattr(f"if({hatch}, true, false)")  # NULL and false: no hatching
        out += (
            f"{indent}    <data_defined_properties>\n"
            f'{indent}      <Option type="Map">\n'
            f'{indent}        <Option type="QString" name="name" value=""/>\n'
            f'{indent}        <Option type="Map" name="properties">\n'
            f'{indent}          <Option type="Map" name="enabled">\n'
            f'{indent}            <Option type="bool" name="active" value="true"/>\n'
            f'{indent}            <Option type="QString" name="expression" value={expr}/>\n'
            f'{indent}            <Option type="int" name="type" value="3"/>\n'
            f"{indent}          </Option>\n"
            f"{indent}        </Option>\n"
            f'{indent}        <Option type="QString" name="type" value="collection"/>\n'
            f"{indent}      </Option>\n"
            f"{indent}    </data_defined_properties>\n"
        )
        line = {"line_color": "40,40,40,255", "line_width": "0.25", "line_width_unit": "MM", "line_style": "solid"}
        out += f'{indent}    <symbol type="line" name="@{name}@1" alpha="1" clip_to_extent="1" force_rhr="0">\n'
        out += f'{indent}      <layer class="SimpleLine" enabled="1" pass="0" locked="0">\n'
        out += _opts(line, indent + "        ")
        out += f"{indent}      </layer>\n{indent}    </symbol>\n"
        out += f"{indent}  </layer>\n"
    out += f"{indent}</symbol>\n"
    return out


def renderer_xml(attr: str, kind: str, classes: Sequence[StyleClass], hatch: str | None, *, point: bool = False) -> str:
    """The ``renderer-v2`` element of a QML style or QGIS project layer (``point``: circle markers; ``attr`` a
    field or an expression; ``hatch`` an expression whose true features are hatched)."""
    ind = "    "
    symbols = "".join(_symbol_xml(str(i), c.colour, hatch, ind + "  ", point=point) for i, c in enumerate(classes))
    if kind == "graduated":
        items = "".join(
            f'{ind}  <range lower="{c.lower!r}" upper="{c.upper!r}" label={quoteattr(c.label)} render="true" '
            f'symbol="{i}"/>\n'
            for i, c in enumerate(classes)
        )
        head = (
            f'  <renderer-v2 type="graduatedSymbol" attr={quoteattr(attr)} graduatedMethod="GraduatedColor" '
            'symbollevels="0" '
            'forceraster="0" enableorderby="0" referencescale="-1">\n'
            f"{ind}<ranges>\n{items}{ind}</ranges>\n"
        )
        tail = f'{ind}<mode name="quantile"/>\n'
        src = _symbol_xml("0", _NODATA, None, ind + "  ", point=point)
        tail += f"{ind}<source-symbol>\n{src}{ind}</source-symbol>\n"
    else:
        items = "".join(
            f'{ind}  <category value={quoteattr(str(c.value))} label={quoteattr(c.label)} render="true" '
            f'symbol="{i}"/>\n'
            for i, c in enumerate(classes)
        )
        head = (
            f'  <renderer-v2 type="categorizedSymbol" attr="{attr}" symbollevels="0" forceraster="0" '
            'enableorderby="0" referencescale="-1">\n'
            f"{ind}<categories>\n{items}{ind}</categories>\n"
        )
        tail = ""
    return f"{head}{ind}<symbols>\n{symbols}{ind}</symbols>\n{tail}  </renderer-v2>\n"


def labeling_xml(field: str) -> str:
    """Simple labels with a white buffer, at the polygon's point on surface, hidden when they collide."""
    return (
        '  <labeling type="simple">\n'
        '    <settings calloutType="simple">\n'
        f'      <text-style fieldName="{field}" isExpression="0" fontFamily="DejaVu Sans" fontSize="7" '
        'fontSizeUnit="Point" textColor="20,20,20,255" textOpacity="1" fontWeight="50" namedStyle="Regular">\n'
        '        <text-buffer bufferDraw="1" bufferSize="0.6" bufferSizeUnits="MM" bufferColor="255,255,255,255" '
        'bufferOpacity="0.85" bufferNoFill="1" bufferJoinStyle="128"/>\n'
        "      </text-style>\n"
        '      <placement placement="1" centroidInside="1" centroidWhole="0" fitInPolygonOnly="0" dist="0" '
        'priority="5"/>\n'
        '      <rendering drawLabels="1" obstacle="1" obstacleType="1" displayAll="0" labelPerPart="0" '
        'upsidedownLabels="0" mergeLines="0" scaleVisibility="0" maxNumLabels="2000" limitNumLabels="0"/>\n'
        "    </settings>\n"
        "  </labeling>\n"
    )


def aliases_xml(spec: LayerSpec, columns: Sequence[str], *, greek: bool) -> str:
    """``<aliases>``: ``fid`` (the GeoPackage key) first, then the layer's fields in order."""
    rows = ['    <alias field="fid" index="0" name=""/>\n']
    for i, c in enumerate(columns, 1):
        f = field_spec(spec, c)
        alias = (f.alias_el if greek else f.alias_en) if f else ""
        unit = f" ({UNITS_EL.get(f.unit, f.unit) if greek else f.unit})" if f and f.unit else ""
        rows.append(f'    <alias field="{c}" index="{i}" name={quoteattr(alias + unit)}/>\n')
    return "  <aliases>\n" + "".join(rows) + "  </aliases>\n"


def layer_body_xml(spec: LayerSpec, frame: pd.DataFrame, *, greek: bool) -> str:
    """What a QML style and a project's map layer share: renderer, labels, aliases."""
    st = spec.style
    attr, kind, classes = _classes(spec, frame, greek=greek)
    hatch = _hatch_expression(st, frame)
    attr = _drawn(st, attr) if kind == "graduated" else attr
    geom = frame.geometry.name if isinstance(frame, gpd.GeoDataFrame) else None
    columns = [c for c in frame.columns if c != geom]
    label = (st.label_field if greek else st.label_field.replace("_el", "_en")) if st else "name_el"
    return (
        renderer_xml(attr, kind, classes, hatch, point=spec.geometry == "POINT")
        + labeling_xml(label if label in frame.columns else st.label_field if st else "name_el")
        + aliases_xml(spec, columns, greek=greek)
    )


def qml(spec: LayerSpec, frame: pd.DataFrame, *, greek: bool = True) -> str:
    """A complete QML document for ``frame``'s layer."""
    return (
        "<!DOCTYPE qgis PUBLIC 'http://mrcc.com/qgis.dtd' 'SYSTEM'>\n"
        f'<qgis version="{QGIS_VERSION}" styleCategories="AllStyleCategories" labelsEnabled="1">\n'
        + layer_body_xml(spec, frame, greek=greek)
        + f"  <layerGeometryType>{0 if spec.geometry == 'POINT' else 2}</layerGeometryType>\n</qgis>\n"
    )


# ------------------------------------------------------------------------------------------------------------ SLD


def _sld_filter(attr: str, c: StyleClass, last: bool) -> str:
    if c.value is not None:
        return (
            "<ogc:Filter><ogc:PropertyIsEqualTo>"
            f"<ogc:PropertyName>{attr}</ogc:PropertyName><ogc:Literal>{c.value}</ogc:Literal>"
            "</ogc:PropertyIsEqualTo></ogc:Filter>"
        )
    upper = "PropertyIsLessThanOrEqualTo" if last else "PropertyIsLessThan"
    return (
        "<ogc:Filter><ogc:And>"
        f"<ogc:PropertyIsGreaterThanOrEqualTo><ogc:PropertyName>{attr}</ogc:PropertyName>"
        f"<ogc:Literal>{c.lower!r}</ogc:Literal></ogc:PropertyIsGreaterThanOrEqualTo>"
        f"<ogc:{upper}><ogc:PropertyName>{attr}</ogc:PropertyName><ogc:Literal>{c.upper!r}</ogc:Literal>"
        f"</ogc:{upper}></ogc:And></ogc:Filter>"
    )


def sld(spec: LayerSpec, frame: pd.DataFrame, *, greek: bool = True) -> str:
    """An SLD 1.1 (Symbology Encoding) document with the same classes, hatching and labels."""
    st = spec.style
    attr, _kind, classes = _classes(spec, frame, greek=greek)
    rules = []
    for i, c in enumerate(classes):
        fill = f'<se:Fill><se:SvgParameter name="fill">{c.colour}</se:SvgParameter></se:Fill>'
        stroke = (
            f'<se:Stroke><se:SvgParameter name="stroke">{_OUTLINE}</se:SvgParameter>'
            '<se:SvgParameter name="stroke-width">0.5</se:SvgParameter></se:Stroke>'
        )
        symbolizer = (
            "<se:PointSymbolizer><se:Graphic><se:Mark><se:WellKnownName>circle</se:WellKnownName>"
            f"{fill}{stroke}</se:Mark><se:Size>7</se:Size></se:Graphic></se:PointSymbolizer>"
            if spec.geometry == "POINT"
            else f"<se:PolygonSymbolizer>{fill}{stroke}</se:PolygonSymbolizer>"
        )
        rules.append(
            "<se:Rule>"
            f"<se:Name>{_esc(c.label)}</se:Name><se:Description><se:Title>{_esc(c.label)}</se:Title></se:Description>"
            f"{_sld_filter(attr, c, i == len(classes) - 1)}{symbolizer}</se:Rule>"
        )
    if st and st.hatch_field in frame.columns:
        title = "Αναξιόπιστη τιμή" if greek else "Unreliable value"
        rules.append(
            f"<se:Rule><se:Name>{title}</se:Name><se:Description><se:Title>{title}</se:Title></se:Description>"
            "<ogc:Filter><ogc:PropertyIsEqualTo>"
            f"<ogc:PropertyName>{st.hatch_field}</ogc:PropertyName><ogc:Literal>1</ogc:Literal>"
            "</ogc:PropertyIsEqualTo></ogc:Filter>"
            "<se:PolygonSymbolizer><se:Fill><se:GraphicFill><se:Graphic><se:Mark>"
            "<se:WellKnownName>shape://slash</se:WellKnownName>"
            '<se:Stroke><se:SvgParameter name="stroke">#282828</se:SvgParameter>'
            '<se:SvgParameter name="stroke-width">1</se:SvgParameter></se:Stroke>'
            "</se:Mark><se:Size>6</se:Size></se:Graphic></se:GraphicFill></se:Fill>"
            "</se:PolygonSymbolizer></se:Rule>"
        )
    label = st.label_field if st else "name_el"
    label = label if greek else label.replace("_el", "_en")
    rules.append(
        "<se:Rule><se:TextSymbolizer>"
        f"<se:Label><ogc:PropertyName>{label}</ogc:PropertyName></se:Label>"
        '<se:Font><se:SvgParameter name="font-family">DejaVu Sans</se:SvgParameter>'
        '<se:SvgParameter name="font-size">9</se:SvgParameter></se:Font>'
        '<se:Halo><se:Radius>1</se:Radius><se:Fill><se:SvgParameter name="fill">#ffffff</se:SvgParameter>'
        "</se:Fill></se:Halo>"
        '<se:Fill><se:SvgParameter name="fill">#141414</se:SvgParameter></se:Fill>'
        "</se:TextSymbolizer></se:Rule>"
    )
    title = spec.title_el if greek else spec.title_en
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<StyledLayerDescriptor version="1.1.0" xmlns="http://www.opengis.net/sld" '
        'xmlns:se="http://www.opengis.net/se" xmlns:ogc="http://www.opengis.net/ogc" '
        'xmlns:xlink="http://www.w3.org/1999/xlink" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
        'xsi:schemaLocation="http://www.opengis.net/sld http://schemas.opengis.net/sld/1.1.0/StyledLayerDescriptor.xsd">'
        f"<NamedLayer><se:Name>{spec.name}</se:Name><UserStyle><se:Name>{_esc(title)}</se:Name>"
        f"<se:FeatureTypeStyle>{''.join(rules)}</se:FeatureTypeStyle></UserStyle></NamedLayer>"
        "</StyledLayerDescriptor>\n"
    )


def _esc(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


# ---------------------------------------------------------------------------------------------------- the table


def layer_style(layer: str, frame: pd.DataFrame, *, greek: bool = True) -> LayerStyle:
    """The Greek (default) or English style of a feature layer."""
    spec = layer_spec(layer)
    name = f"{layer} (ελληνικά)" if greek else f"{layer} (English)"
    title = spec.title_el if greek else spec.title_en
    return LayerStyle(layer, name, qml(spec, frame, greek=greek), sld(spec, frame, greek=greek), greek, title)


LAYER_STYLES_DDL = (
    "CREATE TABLE layer_styles (id INTEGER PRIMARY KEY AUTOINCREMENT, f_table_catalog TEXT(256), "
    "f_table_schema TEXT(256), f_table_name TEXT(256), f_geometry_column TEXT(256), styleName TEXT(30), "
    "styleQML TEXT, styleSLD TEXT, useAsDefault BOOLEAN, description TEXT, owner TEXT(30), ui TEXT(30), "
    "update_time DATETIME DEFAULT CURRENT_TIMESTAMP)"
)


def write_layer_styles(
    con: sqlite3.Connection, layers: Mapping[str, pd.DataFrame], *, timestamp: str
) -> list[LayerStyle]:
    """Create ``layer_styles`` (QGIS's own layout, registered in ``gpkg_contents`` as QGIS does) and store the
    Greek default and the English style of every feature layer that has a style in the exchange schema."""
    con.execute(LAYER_STYLES_DDL)
    con.execute(
        "INSERT INTO gpkg_contents (table_name, data_type, identifier, description, last_change) "
        "VALUES ('layer_styles', 'attributes', 'layer_styles', 'QGIS styles of the layers', ?)",
        (timestamp,),
    )
    written = []
    for layer, frame in layers.items():
        spec = layer_spec(layer)
        if spec.geometry is None or spec.style is None:
            continue
        row = con.execute("SELECT column_name FROM gpkg_geometry_columns WHERE table_name = ?", (layer,)).fetchone()
        geom = row[0] if row else "geom"
        for greek in (True, False):
            st = layer_style(layer, frame, greek=greek)
            con.execute(
                "INSERT INTO layer_styles (f_table_catalog, f_table_schema, f_table_name, f_geometry_column, "
                "styleName, styleQML, styleSLD, useAsDefault, description, owner, ui, update_time) "
                "VALUES ('', '', ?, ?, ?, ?, ?, ?, ?, 'spatial_poverty', '', ?)",
                (layer, geom, st.name, st.qml, st.sld, int(st.default), st.description, timestamp),
            )
            written.append(st)
    return written
