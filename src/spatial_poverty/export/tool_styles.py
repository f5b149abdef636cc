"""QGIS default styles of the layers that ``spatial-poverty stats`` writes (``--style``), with the command line's
field names: the same palettes and Greek aliases as the published layers of a run (:mod:`~spatial_poverty.export.
styles`), stored in the output GeoPackage's ``layer_styles`` table so that QGIS (and the Processing provider of
``qgis_plugin/``) opens the result styled.

- ``lisa``: GeoDa's cluster colours on ``lisa_cluster``;
- ``gistar``: ArcGIS's hot/cold spot classes on ``gi_bin``;
- ``local_geary``: GeoDa's Local Geary cluster colours on ``geary_cluster``;
- ``sae_fh`` (``sae fh --out X.gpkg``): quantile classes of ``eblup`` (YlOrRd), the suppressed areas grey, the
  flagged hatched, as the published ``poverty_sae`` layer.

The aliases come from the exchange schema's field of the same meaning (``lisa_p`` is ``p_sim`` of a ``lisa_{var}``
layer); the analysed variable gets its schema title when it has one.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from xml.sax.saxutils import quoteattr

import pandas as pd

from spatial_poverty.export.schema import UNITS_EL, field_spec, layer_spec, variable_titles
from spatial_poverty.export.styles import (
    GEODA_LISA,
    GI_BIN,
    LAYER_STYLES_DDL,
    PALETTES,
    QGIS_VERSION,
    StyleClass,
    coalesced,
    labeling_xml,
    null_class,
    quantile_classes,
    renderer_xml,
)
from spatial_poverty.stats.labels import NO_NEIGHBOURS, NO_NEIGHBOURS_EL, NOT_SIGNIFICANT, NOT_SIGNIFICANT_EL

__all__ = ["LOCAL_GEARY", "TOOL_LAYERS", "store_default_style", "tool_qml"]

#: GeoDa's Local Geary cluster map (GeoDa 1.14): colour and Greek label, keyed by the English label.
LOCAL_GEARY: dict[str, tuple[str, str]] = {
    "High-High": ("#b2182b", "Υψηλό-Υψηλό"),
    "Low-Low": ("#ef8a62", "Χαμηλό-Χαμηλό"),
    "Other Positive": ("#fddbc7", "Άλλη θετική"),
    "Negative": ("#67adc7", "Αρνητική"),
    NOT_SIGNIFICANT: ("#eeeeee", NOT_SIGNIFICANT_EL),
    NO_NEIGHBOURS: ("#999999", NO_NEIGHBOURS_EL),
}

#: Per tool: the schema layer its aliases come from, the field drawn, and command-line field → schema field.
TOOL_LAYERS: dict[str, tuple[str, str, dict[str, str]]] = {
    "lisa": (
        "lisa_{var}",
        "lisa_cluster",
        {
            "lisa_i": "local_i",
            "lisa_p": "p_sim",
            "lisa_q": "q_sim",
            "lisa_cluster": "cluster",
            "lisa_quadrant": "quadrant",
            "lisa_z_sim": "z_sim",
        },
    ),
    "gistar": ("gistar_{var}", "gi_bin", {}),
    "local_geary": ("lisa_{var}", "geary_cluster", {"geary_p": "p_sim", "geary_q": "q_sim"}),
    "sae_fh": ("poverty_sae", "eblup", {"eblup": "estimate"}),
}
#: The hatching of the flagged estimates (CV between the publish and the suppress thresholds).
FLAGGED = "\"quality\" = 'flag'"
SUPPRESSED_LABEL = ("Απόκρυψη (CV πάνω από το όριο)", "Suppressed (CV above the threshold)")

#: Aliases of the fields no published layer has, per tool (Greek, English).
_OWN_ALIASES: dict[str, dict[str, tuple[str, str]]] = {
    "local_geary": {"geary_c": ("Τοπικό Geary c", "Local Geary c"), "geary_cluster": ("Συστάδα", "Cluster")},
    "sae_fh": {
        "mse": ("Μέσο τετραγωνικό σφάλμα (MSE)", "Mean squared error (MSE)"),
        "direct_variance": ("Διακύμανση άμεσης εκτίμησης", "Variance of the direct estimate"),
        "gamma": ("Βάρος άμεσης εκτίμησης (γ)", "Weight of the direct estimate (gamma)"),
    },
}


def _classes(tool: str, frame: pd.DataFrame, *, greek: bool) -> list[StyleClass]:
    if tool == "lisa":
        classes = [StyleClass(c, el if greek else en, value=en) for en, (c, el) in GEODA_LISA.items()]
        if (frame["lisa_cluster"] == NO_NEIGHBOURS).any():
            classes.append(StyleClass("#999999", NO_NEIGHBOURS_EL if greek else NO_NEIGHBOURS, value=NO_NEIGHBOURS))
        return classes
    if tool == "gistar":
        return [StyleClass(c, el if greek else en, value=b) for b, (c, el, en) in GI_BIN.items()]
    return [StyleClass(c, el if greek else en, value=en) for en, (c, el) in LOCAL_GEARY.items()]


def _alias(tool: str, column: str, var: str, *, greek: bool) -> str:
    if column == var:
        el, en = variable_titles(var)
        return el if greek else en
    own = _OWN_ALIASES.get(tool, {})
    if column in own:
        return own[column][0 if greek else 1]
    template, _, names = TOOL_LAYERS[tool]
    spec = layer_spec(template.format(var="x"))  # the fields' aliases do not depend on the variable's name
    f = field_spec(spec, names.get(column, column))
    if f is None:
        return ""
    unit = f" ({UNITS_EL.get(f.unit, f.unit) if greek else f.unit})" if f.unit else ""
    return (f.alias_el if greek else f.alias_en) + unit


def tool_qml(tool: str, frame: pd.DataFrame, *, id_field: str, var: str = "", greek: bool = True) -> str:
    """The QML of a ``stats`` layer: its tool's palette on its class field, labels with the id field (or the
    Greek name when the layer has ``name_el``) and the aliases of the exchange schema."""
    if tool not in TOOL_LAYERS:
        raise ValueError(f"no style for tool {tool!r}; known: {sorted(TOOL_LAYERS)}")
    attr = TOOL_LAYERS[tool][1]
    if tool == "sae_fh":
        classes = [
            null_class(SUPPRESSED_LABEL[0 if greek else 1]),
            *quantile_classes(frame[attr], PALETTES["YlOrRd"], "", diverging=False),
        ]
        renderer = renderer_xml(coalesced(attr), "graduated", classes, FLAGGED)
    else:
        renderer = renderer_xml(attr, "categorized", _classes(tool, frame, greek=greek), None)
    columns = [c for c in frame.columns if c != "geometry"]
    rows = ['    <alias field="fid" index="0" name=""/>\n']
    for i, c in enumerate(columns, 1):
        rows.append(f'    <alias field="{c}" index="{i}" name={quoteattr(_alias(tool, c, var, greek=greek))}/>\n')
    label = "name_el" if greek and "name_el" in columns else id_field
    return (
        "<!DOCTYPE qgis PUBLIC 'http://mrcc.com/qgis.dtd' 'SYSTEM'>\n"
        f'<qgis version="{QGIS_VERSION}" styleCategories="AllStyleCategories" labelsEnabled="1">\n'
        + renderer
        + labeling_xml(label)
        + "  <aliases>\n"
        + "".join(rows)
        + "  </aliases>\n  <layerGeometryType>2</layerGeometryType>\n</qgis>\n"
    )


def store_default_style(gpkg: Path, layer: str, qml: str, *, description: str) -> None:
    """Store ``qml`` as the default style of ``layer`` in the GeoPackage ``gpkg`` (``layer_styles``, created and
    registered in ``gpkg_contents`` as QGIS does when it is missing)."""
    con = sqlite3.connect(gpkg)
    try:
        with con:
            exists = con.execute("SELECT 1 FROM sqlite_master WHERE type='table' AND name='layer_styles'").fetchone()
            if not exists:
                con.execute(LAYER_STYLES_DDL)
                con.execute(
                    "INSERT INTO gpkg_contents (table_name, data_type, identifier, description, last_change) "
                    "VALUES ('layer_styles', 'attributes', 'layer_styles', 'QGIS styles of the layers', "
                    "(SELECT last_change FROM gpkg_contents WHERE table_name = ?))",
                    (layer,),
                )
            row = con.execute("SELECT column_name FROM gpkg_geometry_columns WHERE table_name = ?", (layer,)).fetchone()
            # The layer's own time stamp, not the clock: the same result gives the same file.
            (when,) = con.execute("SELECT last_change FROM gpkg_contents WHERE table_name = ?", (layer,)).fetchone()
            con.execute("DELETE FROM layer_styles WHERE f_table_name = ?", (layer,))
            con.execute(
                "INSERT INTO layer_styles (f_table_catalog, f_table_schema, f_table_name, f_geometry_column, "
                "styleName, styleQML, styleSLD, useAsDefault, description, owner, ui, update_time) "
                "VALUES ('', '', ?, ?, ?, ?, '', 1, ?, 'spatial_poverty', '', ?)",
                (layer, row[0] if row else "geom", f"{layer} (ελληνικά)", qml, description, when),
            )
    finally:
        con.close()
