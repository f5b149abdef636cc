"""The delivered GeoPackage: validated, styled by default in QGIS, documented (ISO 19139 + manifest), with a
stored QGIS project, in the CRS asked for. The South Aegean run is the acceptance case."""

from __future__ import annotations

import io
import json
import re
import sqlite3
import subprocess
import sys
import xml.etree.ElementTree as ET
import zipfile
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
from shapely.geometry import MultiPolygon, box

from spatial_poverty.errors import ExportError
from spatial_poverty.export.delivery import Delivery, SourceRef, build_geopackage
from spatial_poverty.export.metadata import ISO_19139_URI, MANIFEST_URI
from spatial_poverty.export.schema import field_spec, layer_spec

#: Relative tolerance on areas after a round trip through another CRS.
AREA_RTOL = 1e-6

GMD = {"gmd": "http://www.isotc211.org/2005/gmd", "gco": "http://www.isotc211.org/2005/gco"}


def validator(path: Path) -> subprocess.CompletedProcess[str]:
    """GDAL's GeoPackage validator, as a separate program."""
    return subprocess.run(
        [sys.executable, "-m", "osgeo_utils.samples.validate_gpkg", str(path)],
        capture_output=True,
        text=True,
        check=False,
    )


def styles(path: Path) -> pd.DataFrame:
    con = sqlite3.connect(path)
    try:
        return pd.read_sql("SELECT * FROM layer_styles", con)
    finally:
        con.close()


def metadata(path: Path) -> dict[str, str]:
    con = sqlite3.connect(path)
    try:
        rows = con.execute(
            "SELECT m.md_standard_uri, m.metadata, r.reference_scope FROM gpkg_metadata m "
            "JOIN gpkg_metadata_reference r ON r.md_file_id = m.id"
        ).fetchall()
    finally:
        con.close()
    assert {r[2] for r in rows} == {"geopackage"}
    return {r[0]: r[1] for r in rows}


def project_xml(path: Path, name: str) -> str:
    con = sqlite3.connect(path)
    try:
        content = con.execute("SELECT content FROM qgis_projects WHERE name = ?", (name,)).fetchone()[0]
    finally:
        con.close()
    with zipfile.ZipFile(io.BytesIO(bytes.fromhex(content))) as z:
        return z.read(f"{name}.qgs").decode("utf-8")


# --------------------------------------------------------------------------------------------- South Aegean


@pytest.mark.slow
def test_south_aegean_geopackage_is_valid_styled_and_documented(south_aegean_run):
    gpkg = south_aegean_run / "south_aegean.gpkg"
    run_manifest = json.loads((south_aegean_run / "manifest.json").read_text(encoding="utf-8"))
    proc = validator(gpkg)
    assert proc.returncode == 0 and proc.stdout.strip() == "", proc.stdout + proc.stderr

    statistics = [f"{stat}_{v}" for v in run_manifest["statistics"] for stat in ("lisa", "gistar")]
    assert len(statistics) == 10  # deprivation_index, unemp_2001, nearest_min_mean, pop_change_pct, density
    feature_layers = [
        "municipalities",
        "deprivation_index",
        *statistics,
        "bilisa_deprivation_index_vs_nearest_min_mean",
        "municipal_access",
        "services",
        "settlement_access",
    ]
    table_layers = ["code_crosswalk", "field_provenance"]
    st = styles(gpkg)
    default = st[st["useAsDefault"] == 1]
    assert sorted(default["f_table_name"]) == sorted(feature_layers)
    assert set(st["f_table_schema"]) == {""} and set(st["f_table_catalog"]) == {""}
    for _, row in default.iterrows():
        frame = gpd.read_file(gpkg, layer=row["f_table_name"])
        qml = ET.fromstring(row["styleQML"].split("\n", 1)[1])  # after the DOCTYPE line
        aliases = {a.get("field"): a.get("name") for a in qml.iter("alias")}
        spec = layer_spec(row["f_table_name"])
        for col in frame.columns.drop("geometry"):
            f = field_spec(spec, col)  # templates resolved: income_score is {domain}_score
            # The Greek alias of every field.
            assert f is not None and f.alias_el in aliases[col], (row["f_table_name"], col)
        assert qml.find("labeling/settings/text-style").get("fieldName") == spec.style.label_field
        assert spec.style.label_field in ("name_el", "name")  # "name": services and settlements (points)
        ET.fromstring(row["styleSLD"].encode("utf-8"))  # well-formed SLD
        # The top colour of its palette: GeoDa's High-High, the darkest YlOrRd class, the 99% hot spot, or the
        # community centres' red among the service types.
        colours = set(re.findall(r"#[0-9a-f]{6}", row["styleSLD"]))
        assert {"#ff0000", "#bd0026", "#d62f27", "#e41a1c"} & colours, row["f_table_name"]

    md = metadata(gpkg)
    iso = ET.fromstring(md[ISO_19139_URI].encode("utf-8"))
    title = iso.find(".//gmd:citation/gmd:CI_Citation/gmd:title/gco:CharacterString", GMD).text
    assert title == run_manifest["title"]
    keywords = {k.text for k in iso.findall(".//gmd:keyword/gco:CharacterString", GMD)}
    assert {"φτώχεια", "poverty", "κοινωνικός αποκλεισμός", "social exclusion"} <= keywords
    assert "Πηγή: ΕΛ.ΣΤΑΤ." in {c.text for c in iso.findall(".//gmd:credit/gco:CharacterString", GMD)}
    assert iso.find(".//gmd:RS_Identifier/gmd:code/gco:CharacterString", GMD).text == "EPSG:2100"
    lineage = iso.find(".//gmd:LI_Lineage/gmd:statement/gco:CharacterString", GMD).text
    assert run_manifest["data_config_sha256"] in lineage
    bbox = {
        tag: float(iso.find(f".//gmd:{tag}/gco:Decimal", GMD).text)
        for tag in ("westBoundLongitude", "eastBoundLongitude", "southBoundLatitude", "northBoundLatitude")
    }
    # The South Aegean: Kea/Andros in the west and north, Kastellorizo (Megisti) in the east, Kasos in the south.
    assert 23.9 < bbox["westBoundLongitude"] < 24.5 and 29.5 < bbox["eastBoundLongitude"] < 29.9
    assert 34.9 < bbox["southBoundLatitude"] < 35.5 and 37.8 < bbox["northBoundLatitude"] < 38.1

    inside = json.loads(md[MANIFEST_URI])
    assert inside["seed"] == run_manifest["seed"] == 20211
    # Every input of the layers; the manifest adds the targets' series, read after the GeoPackage is written.
    n = len(inside["inputs"])
    assert [i["sha256"] for i in inside["inputs"]] == [i["sha256"] for i in run_manifest["inputs"][:n]]
    # 10 of the 2021 tables, the crosswalk and the context; 4 of the access stage (settlements, OSM, MARNET x 2).
    assert n == 14 and [i["id"] for i in run_manifest["inputs"][n:]] == ["eurostat_arope_greece_national"]
    assert inside["versions"] == run_manifest["versions"]
    # Issue 19: the configuration the layers rest on; the display options are not in it (a map: change leaves the
    # GeoPackage as it was).
    display = ("map", "report", "cache")
    assert inside["config"] == {k: v for k, v in run_manifest["config"].items() if k not in display}
    assert inside["config_sha256"] == run_manifest["data_config_sha256"]
    assert inside["statistics"] == run_manifest["statistics"]

    qgs = project_xml(gpkg, "south_aegean")
    root = ET.fromstring(qgs.split("\n", 1)[1])
    groups = [
        (g.get("name"), [lyr.get("id") for lyr in g.findall("layer-tree-layer")])
        for g in root.find("layer-tree-group").findall("layer-tree-group")
    ]
    assert groups == [
        ("Δείκτες", ["deprivation_index", "municipalities"]),
        (
            "Χωρική αυτοσυσχέτιση",
            [
                *sorted(n for n in statistics if n.startswith("lisa_")),
                *sorted(n for n in statistics if n.startswith("gistar_")),
                "bilisa_deprivation_index_vs_nearest_min_mean",
            ],
        ),
        ("Πρόσβαση σε υπηρεσίες", ["services", "settlement_access", "municipal_access"]),
        ("Πίνακες", table_layers),
    ]
    assert {d.text for d in root.iter("datasource")} == {
        f"./south_aegean.gpkg|layername={n}" for n in feature_layers + table_layers
    }

    con = sqlite3.connect(gpkg)
    try:
        assert con.execute("PRAGMA journal_mode").fetchone()[0] == "delete"
        assert {r[0] for r in con.execute("SELECT last_change FROM gpkg_contents")} == {"1970-01-01T00:00:00.000Z"}
    finally:
        con.close()
    assert not list(south_aegean_run.glob("*-wal")) and not list(south_aegean_run.glob("*-journal"))


# ------------------------------------------------------------------------------------------ synthetic layers


@pytest.fixture
def delivery_layers() -> dict[str, pd.DataFrame]:
    """Fixture (made here, not bundle data): three municipalities, shuffled, string codes with a leading zero,
    MultiPolygons, Greek names, an index with domain scores and an unreliable flag, a Gi* layer and a table."""
    codes = pd.Index(["5801", "0101", "6001"], name="code")
    geoms = [
        MultiPolygon([box(600000, 4100000, 610000, 4110000)]),
        MultiPolygon([box(500000, 4500000, 520000, 4520000)]),
        MultiPolygon([box(700000, 4000000, 705000, 4005000), box(706000, 4000000, 707000, 4001000)]),
    ]
    names = {"name_el": ["Δήμος Σύρου", "Δήμος Κομοτηνής", "Δήμος Θήρας"], "name_en": ["Syros", "Komotini", "Thira"]}
    index = gpd.GeoDataFrame(
        {
            **names,
            "score": [0.2, 1.4, -0.3],
            "rank": [2, 1, 3],
            "decile": [5, 1, 10],
            "income_score": [0.1, 1.0, -0.2],
            "unreliable": [False, True, False],
        },
        geometry=geoms,
        crs=2100,
        index=codes,
    )
    gi = gpd.GeoDataFrame(
        {**names, "value": [3.0, 9.0, 1.0], "gi_z": [0.5, 2.7, -2.1], "gi_p": [0.6, 0.007, 0.04], "gi_bin": [0, 3, -2]},
        geometry=geoms,
        crs=2100,
        index=codes,
    )
    crosswalk = pd.DataFrame(
        {
            "elstat_2011": ["0101"],
            "elstat_2021": ["0101"],
            "ypes_2011": ["9101"],
            "pop_share": [1.0],
            "pop_2011_part": [66919.0],
            "area_share": [1.0],
            "name_2011": ["Κομοτηνής"],
            "name_2021": ["Κομοτηνής"],
            "name_match": ["exact (1.0)"],
            "method": ["whole"],
        }
    )
    return {"deprivation_index": index, "gistar_density": gi, "code_crosswalk": crosswalk}


def _delivery(**kw) -> Delivery:
    src = SourceRef("elstat_2021_population", "Population 2021", "ELSTAT", "ELSTAT terms of reuse", "Πηγή: ΕΛ.ΣΤΑΤ.")
    return Delivery(name="test", title="Δοκιμή", title_en="Test", sources=[src], record={"seed": 1}, **kw)


def test_new_layers_get_styles_hatching_and_a_project_group(tmp_path, delivery_layers):
    path = build_geopackage(tmp_path / "test.gpkg", delivery_layers, _delivery())
    assert validator(path).returncode == 0
    st = styles(path).set_index(["f_table_name", "useAsDefault"])
    index_qml = st.loc[("deprivation_index", 1), "styleQML"]
    assert 'type="graduatedSymbol" attr="score"' in index_qml
    assert 'class="LinePatternFill"' in index_qml
    assert 'if("unreliable", true, false)' in index_qml
    gi_qml = st.loc[("gistar_density", 1), "styleQML"]
    assert 'type="categorizedSymbol" attr="gi_bin"' in gi_qml
    assert gi_qml.count("<category ") == 7 and 'label="Θερμό σημείο, 99%"' in gi_qml
    assert "LinePatternFill" not in gi_qml  # no unreliable field, no hatching
    assert ("code_crosswalk", 1) not in st.index  # tables have no map style
    qgs = project_xml(path, "test")
    assert '<layer-tree-group name="Πίνακες"' in qgs and 'id="code_crosswalk"' in qgs
    back = gpd.read_file(path, layer="deprivation_index")
    assert back["code"].tolist() == ["5801", "0101", "6001"] and back["unreliable"].tolist() == [False, True, False]


def test_same_layers_same_bytes(tmp_path, delivery_layers):
    paths = []
    for sub in ("a", "b"):
        (tmp_path / sub).mkdir()
        paths.append(build_geopackage(tmp_path / sub / "test.gpkg", delivery_layers, _delivery()))
    assert paths[0].read_bytes() == paths[1].read_bytes()


@pytest.mark.parametrize("crs", ["EPSG:4326", "EPSG:3035"])
def test_crs_on_request(tmp_path, delivery_layers, crs):
    path = build_geopackage(tmp_path / "test.gpkg", delivery_layers, _delivery(crs=crs))
    assert validator(path).returncode == 0
    back = gpd.read_file(path, layer="gistar_density")
    assert back.crs == crs
    # Vertices are reprojected, so the areas back in EPSG:2100 agree to floating-point rounding.
    assert back.to_crs(2100).geometry.area.tolist() == pytest.approx([1e8, 4e8, 2.6e7], rel=AREA_RTOL)
    iso = ET.fromstring(metadata(path)[ISO_19139_URI].encode("utf-8"))
    assert iso.find(".//gmd:RS_Identifier/gmd:code/gco:CharacterString", GMD).text == crs


def test_a_layer_outside_the_schema_writes_nothing(tmp_path, delivery_layers):
    bad = {**delivery_layers, "gistar_density": delivery_layers["gistar_density"].assign(gi_bin=[0, 4, -2])}
    with pytest.raises(ExportError, match=r"layer 'gistar_density', field 'gi_bin': values 0101: 4 are not among"):
        build_geopackage(tmp_path / "test.gpkg", bad, _delivery())
    assert not (tmp_path / "test.gpkg").exists()
