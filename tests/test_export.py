"""GeoPackage 1.2 output, GDAL's validator, and publication whole or not at all."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys

import geopandas as gpd
import pandas as pd
import pytest
from shapely.geometry import box

from spatial_poverty.errors import ExportError, OutputExistsError
from spatial_poverty.export import (
    check_target,
    foreign_entries,
    make_staging,
    publish,
    validate_geopackage,
    write_layers,
)


@pytest.fixture
def layer() -> gpd.GeoDataFrame:
    """Fixture: two municipalities with Greek names and string codes, in EPSG:2100."""
    return gpd.GeoDataFrame(
        {"name_el": ["Δήμος Θήρας", "Δήμος Σύρου"], "pop_2021": [15480, 21124]},
        geometry=[box(0, 0, 1000, 1000), box(2000, 0, 3000, 1000)],
        crs=2100,
        index=pd.Index(["6001", "5801"], name="code"),
    )


def validator(path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "osgeo_utils.samples.validate_gpkg", str(path)],
        capture_output=True,
        text=True,
        check=False,
    )


def test_geopackage_is_version_1_2_and_valid(tmp_path, layer):
    path = tmp_path / "out.gpkg"
    write_layers(path, {"municipalities": layer, "lisa_x": layer.assign(p_sim=[0.01, 0.5])})
    con = sqlite3.connect(path)
    assert con.execute("PRAGMA application_id").fetchone()[0] == 0x47504B47
    assert con.execute("PRAGMA user_version").fetchone()[0] == 10200
    con.close()
    proc = validator(path)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    validate_geopackage(path, {"municipalities": 2, "lisa_x": 2})
    back = gpd.read_file(path, layer="municipalities")
    assert back["code"].tolist() == ["6001", "5801"] and back.crs.to_epsg() == 2100
    assert back["name_el"].tolist() == ["Δήμος Θήρας", "Δήμος Σύρου"]


def test_validation_catches_wrong_counts_and_layers(tmp_path, layer):
    path = tmp_path / "out.gpkg"
    write_layers(path, {"municipalities": layer})
    with pytest.raises(ExportError, match="layer 'municipalities': 2 features, expected 3"):
        validate_geopackage(path, {"municipalities": 3})
    with pytest.raises(ExportError, match=r"layers \['other'\] are missing"):
        validate_geopackage(path, {"other": 1})


def test_write_layers_refuses_bad_names_and_existing_files(tmp_path, layer):
    with pytest.raises(ExportError, match="snake_case ASCII; 'Δήμοι'"):
        write_layers(tmp_path / "a.gpkg", {"Δήμοι": layer})
    (tmp_path / "b.gpkg").write_bytes(b"")
    with pytest.raises(ExportError, match="exists already"):
        write_layers(tmp_path / "b.gpkg", {"x": layer})


def _run_output(folder, text):
    """A folder as a run leaves it: a result and the manifest that lists it (a fixture built here)."""
    (folder / "result.txt").write_text(text, encoding="utf-8")
    manifest = {"run_id": text, "outputs": [{"path": "result.txt"}]}
    (folder / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")


def test_publish_replaces_only_with_force_and_keeps_the_previous_output(tmp_path):
    target = tmp_path / "processed" / "run"
    first = make_staging(target)
    _run_output(first, "first")
    publish(first, target, force=False)
    assert (target / "result.txt").read_text(encoding="utf-8") == "first"

    second = make_staging(target)
    _run_output(second, "second")
    with pytest.raises(OutputExistsError, match="--force"):
        publish(second, target, force=False)
    assert (target / "result.txt").read_text(encoding="utf-8") == "first"
    publish(second, target, force=True)
    assert (target / "result.txt").read_text(encoding="utf-8") == "second"
    assert sorted(p.name for p in target.parent.iterdir()) == ["run"]  # no staging or previous left over


def test_published_folder_is_not_private(tmp_path):
    """GIS staff on a shared drive must be able to open the output: the mode follows the umask, not mkdtemp's 0700."""
    import os

    old = os.umask(0o022)
    try:
        staging = make_staging(tmp_path / "out")
    finally:
        os.umask(old)
    assert staging.stat().st_mode & 0o777 == 0o755


def test_check_target(tmp_path):
    check_target(tmp_path / "absent", force=False)
    out = tmp_path / "out"
    out.mkdir()
    _run_output(out, "a")
    (out / "figures").mkdir()
    with pytest.raises(OutputExistsError, match="--force"):
        check_target(out, force=False)
    with pytest.raises(OutputExistsError, match=r"1 file\(s\) or folder\(s\) that no run wrote \(figures\)"):
        check_target(out, force=True)  # an empty folder the manifest does not name is not ours either
    (out / "figures").rmdir()
    check_target(out, force=True)


def test_force_never_replaces_a_folder_the_tool_did_not_publish(tmp_path):
    """A folder without a run's manifest, or with a file no run wrote, is refused with --force, and left intact."""
    foreign = tmp_path / "mine"
    foreign.mkdir()
    (foreign / "thesis.docx").write_bytes(b"precious")
    with pytest.raises(OutputExistsError, match="not published by spatial-poverty"):
        check_target(foreign, force=True)
    published = tmp_path / "run"
    published.mkdir()
    _run_output(published, "x")
    (published / "notes.txt").write_text("analyst's notes", encoding="utf-8")
    staging = make_staging(published)
    _run_output(staging, "y")
    with pytest.raises(OutputExistsError, match=r"\(notes.txt\).*--force or not"):
        publish(staging, published, force=True)
    assert (published / "notes.txt").read_text(encoding="utf-8") == "analyst's notes"
    assert (published / "result.txt").read_text(encoding="utf-8") == "x"
    assert foreign_entries(published) == ["notes.txt"]
    assert (foreign / "thesis.docx").read_bytes() == b"precious"
