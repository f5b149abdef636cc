"""CSV and XLSX with Greek headers and GeoJSON in EPSG:4326: the other forms of a delivery."""

from __future__ import annotations

import json
import zipfile

import geopandas as gpd
import pytest

from spatial_poverty.errors import ExportError
from spatial_poverty.export.delivery import write_delivery
from spatial_poverty.export.tables import write_tables

from .test_delivery import _delivery, delivery_layers  # noqa: F401 - the fixture is used by name


def test_all_forms_written_with_greek_headers(tmp_path, delivery_layers):  # noqa: F811
    files = write_delivery(tmp_path, delivery_layers, _delivery(), formats=["csv", "xlsx", "geojson"])
    assert [p.name for p in files] == [
        "test.gpkg",
        "deprivation_index.csv",
        "gistar_density.csv",
        "code_crosswalk.csv",
        "test.xlsx",
        "deprivation_index.geojson",
        "gistar_density.geojson",
    ]
    raw = (tmp_path / "deprivation_index.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # BOM: Excel reads the Greek
    lines = raw.decode("utf-8-sig").splitlines()
    assert lines[0].split(",")[:5] == ["Κωδικός δήμου", "Δήμος", "Δήμος (λατινικά)", "Σύνθετος δείκτης", "Κατάταξη"]
    assert lines[2].startswith("0101,Δήμος Κομοτηνής,")  # the code keeps its leading zero
    assert (
        (tmp_path / "code_crosswalk.csv")
        .read_text(encoding="utf-8-sig")
        .splitlines()[0]
        .startswith("Κωδικός ΕΛ.ΣΤΑΤ. 2011,Κωδικός ΕΛ.ΣΤΑΤ. 2021")
    )

    with zipfile.ZipFile(tmp_path / "test.xlsx") as z:
        workbook = z.read("xl/workbook.xml").decode("utf-8")
        strings = z.read("xl/sharedStrings.xml").decode("utf-8")
    for sheet in ("deprivation_index", "gistar_density", "code_crosswalk", "Πεδία"):
        assert f'name="{sheet}"' in workbook
    assert "Θερμό/ψυχρό σημείο" in strings and "<t>0101</t>" in strings  # Greek header, code as text

    gj = json.loads((tmp_path / "gistar_density.geojson").read_text(encoding="utf-8"))
    assert "crs" not in gj  # RFC 7946: always WGS 84 longitude/latitude
    back = gpd.read_file(tmp_path / "gistar_density.geojson")
    assert back.crs.to_epsg() == 4326 and back["code"].tolist() == ["5801", "0101", "6001"]
    minx, miny, maxx, maxy = back.total_bounds
    assert 22 < minx < maxx < 27 and 36 < miny < maxy < 41  # Greece, longitude first


def test_same_layers_same_files(tmp_path, delivery_layers):  # noqa: F811
    digests = []
    for sub in ("a", "b"):
        (tmp_path / sub).mkdir()
        files = write_delivery(tmp_path / sub, delivery_layers, _delivery(), formats=["csv", "xlsx", "geojson"])
        digests.append({p.name: p.read_bytes() for p in files})
    assert digests[0] == digests[1]


def test_unknown_format_is_refused(tmp_path, delivery_layers):  # noqa: F811
    with pytest.raises(ExportError, match=r"unknown table format\(s\) \['shp'\]"):
        write_tables(tmp_path, "x", delivery_layers, formats=["shp"])
