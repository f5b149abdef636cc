"""The interactive map needs no network: scripts and styles come inlined from the XStatic packages."""

import json

import geopandas as gpd
import pandas as pd
import pytest
from shapely.geometry import box

from spatial_poverty.errors import ExportError
from spatial_poverty.maps import IndicatorLayer, inline_assets, interactive_map, remote_references, write_map


@pytest.fixture
def municipalities() -> gpd.GeoDataFrame:
    """Fixture: six squares in EPSG:2100 near Syros with Greek names."""
    codes = [f"58{i:02d}" for i in range(1, 7)]
    return gpd.GeoDataFrame(
        {
            "name_el": [f"Δήμος {i}" for i in range(6)],
            "name_en": [f"M {i}" for i in range(6)],
            "density": [10.0, 20, 30, 40, 50, 60],
            "pop_change_pct": [-5.0, -1, 0, 1, 3, 8],
        },
        geometry=[box(590000 + 2000 * i, 4140000, 591000 + 2000 * i, 4141000) for i in range(6)],
        crs=2100,
        index=pd.Index(codes, name="code"),
    )


def test_map_html_has_no_remote_script_or_stylesheet(tmp_path, municipalities):
    lisa = pd.DataFrame(
        {"cluster_el": ["Υψηλό-Υψηλό"] + ["μη σημαντικό"] * 5, "p_sim": [0.01] + [0.5] * 5},
        index=municipalities.index,
    )
    m = interactive_map(
        municipalities,
        title="Τεστ χάρτης",
        lisa={"density": lisa},
        indicators=[
            IndicatorLayer("density", "Πυκνότητα", "κάτ./km²"),
            IndicatorLayer("pop_change_pct", "Μεταβολή", "%", diverging=True),
        ],
    )
    raw = m.get_root().render()
    assert remote_references(raw), "folium's page refers to CDNs before inlining"
    path = write_map(m, tmp_path / "map.html")
    page = path.read_text(encoding="utf-8")
    assert remote_references(page) == []
    assert "L.map(" in page and "Leaflet" in page  # Leaflet itself is inlined
    for text in ("Τεστ χάρτης", "Πυκνότητα", "Δήμος 0", "Συστάδες LISA"):
        assert text in page or json.dumps(text)[1:-1] in page, text  # folium escapes text inside JSON
    assert "data:image/png;base64," in page  # Leaflet's control images inlined too


def test_unknown_remote_script_is_an_error():
    page = '<html><head><script src="https://example.org/unknown.js"></script></head></html>'
    with pytest.raises(ExportError, match=r"unknown\.js"):
        inline_assets(page)
