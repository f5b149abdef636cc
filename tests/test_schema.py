"""The exchange schema: one source of truth, its document kept up to date, and the check run before writing."""

from __future__ import annotations

import re

import geopandas as gpd
import pandas as pd
import pytest
from shapely.geometry import box

from spatial_poverty.errors import ExportError
from spatial_poverty.export.schema import FIELDS, LAYERS, check_layer, layer_spec, render_markdown

from .conftest import ROOT


@pytest.fixture
def lisa() -> gpd.GeoDataFrame:
    """Fixture: a two-row LISA layer with string codes, Greek names and columns out of schema order."""
    return gpd.GeoDataFrame(
        {
            "cluster_el": ["Υψηλό-Υψηλό", "μη σημαντικό"],
            "code": ["0101", "5801"],
            "name_el": ["Δήμος Κομοτηνής", "Δήμος Σύρου"],
            "name_en": ["Komotini", "Syros"],
            "value": [1.5, None],
            "local_i": [0.4, -0.1],
            "lag_z": [0.3, 0.2],
            "z_sim": [2.1, -0.2],
            "p_sim": [0.01, 0.6],
            "quadrant": pd.array([1, 2], dtype="int32"),
            "significant": [True, False],
            "cluster": ["High-High", "not significant"],
        },
        geometry=[box(0, 0, 1, 1), box(2, 0, 3, 1)],
        crs=2100,
    )


def test_document_is_up_to_date():
    """docs/exchange_schema.md is rendered from the code; regenerate it when this fails:
    ``python -m spatial_poverty.export.schema > docs/exchange_schema.md``."""
    assert (ROOT / "docs" / "exchange_schema.md").read_text(encoding="utf-8") == render_markdown()


def test_every_field_is_snake_case_ascii_with_both_aliases():
    for name, f in FIELDS.items():
        plain = re.sub(r"\{\w+\}", "x", name)  # templates: {domain}_score, nearest_{type}_min
        assert plain.isascii() and plain == plain.lower() and plain.replace("_", "a").isalnum(), name
        assert f.alias_el and f.alias_en and f.description, name
        assert any("\u0370" <= ch <= "\u03ff" for ch in f.alias_el), f"{name}: the Greek alias has no Greek"
    for spec in LAYERS.values():
        assert spec.title_el and spec.title_en and spec.group_el


def test_templated_layers_resolve_with_the_variables_titles():
    spec = layer_spec("lisa_density")
    assert spec.name == "lisa_density" and spec.title_el == "Συστάδες LISA: Πυκνότητα πληθυσμού 2021"
    assert layer_spec("gistar_pop_change_pct").style.fields == ("gi_bin",)
    with pytest.raises(ExportError, match="'poverty_map' is not in the exchange schema; register it"):
        layer_spec("poverty_map")


def test_check_orders_columns_and_leaves_the_input_alone(lisa):
    before = lisa.copy()
    out = check_layer("lisa_density", lisa)
    assert list(out.columns)[:4] == ["code", "name_el", "name_en", "value"]
    assert list(out.columns)[-1] == "geometry"
    pd.testing.assert_frame_equal(lisa, before)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda g: g.assign(extra=1), r"field 'extra' is not in the exchange schema"),
        (lambda g: g.drop(columns="p_sim"), r"fields \['p_sim'\] are missing"),
        (lambda g: g.assign(code=["101", "5801"]), r"field 'code': values 101: '101' do not match '\\\\d\{4\}'"),
        (lambda g: g.assign(p_sim=[0.01, 1.5]), r"field 'p_sim': values 5801: 1.5 are outside \[0, 1\]"),
        (lambda g: g.assign(cluster=["High-High", "HH"]), r"values 5801: 'HH' are not among"),
        # local_i may be empty (units of a component too small to analyse, island policy "components"); the
        # cluster label never is
        (lambda g: g.assign(cluster=["High-High", None]), r"field 'cluster': empty values at 5801: nan"),
        (lambda g: g.assign(quadrant=[1.0, 2.0]), r"field 'quadrant': needs to be INTEGER; dtype float64"),
        (lambda g: g.to_crs(4326), r"CRS needs to be EPSG:2100"),
        (lambda g: pd.DataFrame(g.drop(columns="geometry")), r"the exchange schema says a feature layer"),
    ],
)
def test_check_refuses_with_layer_field_row_and_value(lisa, change, message):
    with pytest.raises(ExportError, match=message):
        check_layer("lisa_density", change(lisa))


def test_domain_fields_of_the_index_match_the_template():
    frame = gpd.GeoDataFrame(
        {
            "code": ["0101"],
            "name_el": ["Δήμος Κομοτηνής"],
            "name_en": ["Komotini"],
            "score": [1.2],
            "rank": [1],
            "decile": [1],
            "income_score": [0.5],
        },
        geometry=[box(0, 0, 1, 1)],
        crs=2100,
    )
    assert "income_score" in check_layer("deprivation_index", frame).columns
