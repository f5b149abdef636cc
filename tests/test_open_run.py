"""``spatial_poverty.open_run``: a published run as GeoDataFrames with their metadata."""

from __future__ import annotations

import json
import shutil

import geopandas as gpd
import pytest

import spatial_poverty as sp
from spatial_poverty.errors import DataSourceError


@pytest.mark.slow
def test_open_run_gives_the_published_layers_with_metadata(south_aegean_run):
    run = sp.open_run(south_aegean_run)
    assert run.name == "south_aegean" and len(run.run_id) == 32
    assert run.layers[0] == "municipalities" and "layer_styles" not in run.layers
    assert set(run.layers) == set(run.manifest["layers"])  # every layer the manifest counts, and no other
    for name, count in run.manifest["layers"].items():
        assert len(run[name]) == count, name

    lisa = run["lisa_unemp_2001"]
    assert isinstance(lisa, gpd.GeoDataFrame) and lisa.crs.to_epsg() == 2100
    direct = gpd.read_file(south_aegean_run / "south_aegean.gpkg", layer="lisa_unemp_2001")
    assert lisa.drop(columns="geometry").equals(direct.drop(columns="geometry"))
    meta = lisa.attrs
    assert meta["run_id"] == run.run_id and meta["seed"] == run.manifest["seed"]
    assert meta["title_en"] == "LISA clusters: Unemployment 2001"
    assert meta["aliases_el"]["p_sim"] == "Ψευδο-p"
    assert "Data 2001" in meta["description"]  # the data year and source travel with the layer

    municipalities = run["municipalities"]
    assert municipalities.attrs["units"]["unemp_2001"] == "%"
    assert municipalities.attrs["provenance"]["unemp_2001"]["data_year"] == "2001"
    assert run.provenance.loc["unemp_2001", "source"] == "lctools_gr_municipalities_2001"

    table = run["code_crosswalk"]
    assert not isinstance(table, gpd.GeoDataFrame) and len(table) == run.manifest["layers"]["code_crosswalk"]

    # Each read is a copy: changing it changes nothing the next reader sees.
    lisa["lisa_changed"] = 1
    lisa.attrs["units"]["x"] = "y"
    assert "lisa_changed" not in run["lisa_unemp_2001"] and "x" not in run["lisa_unemp_2001"].attrs["units"]

    status = run.verify()
    assert status["south_aegean.gpkg"] == "ok"
    assert set(status.values()) == {"ok", "not hashed"}
    assert status["run.log"] == "not hashed"
    assert run.figures["lisa_unemp_2001"][0].is_file()

    # The GeoPackage or the run's folder: the same run.
    assert sp.open_run(south_aegean_run / "south_aegean.gpkg").run_id == run.run_id
    with pytest.raises(KeyError, match="no layer 'lisa_nothing'"):
        run["lisa_nothing"]


@pytest.mark.slow
def test_verify_sees_a_changed_file(south_aegean_run, tmp_path):
    copy = tmp_path / "south_aegean"
    shutil.copytree(south_aegean_run, copy)
    (copy / "quality.csv").write_text("changed\n", encoding="utf-8")
    (copy / "targets.csv").unlink()
    status = sp.open_run(copy).verify()
    assert status["quality.csv"] == "changed" and status["targets.csv"] == "missing"
    assert status["south_aegean.gpkg"] == "ok"


def test_what_is_not_a_run_is_refused(tmp_path):
    with pytest.raises(DataSourceError, match="does not exist"):
        sp.open_run(tmp_path / "nowhere")
    with pytest.raises(DataSourceError, match=r"no manifest\.json"):
        sp.open_run(tmp_path)
    (tmp_path / "manifest.json").write_text("{not json", encoding="utf-8")
    with pytest.raises(DataSourceError, match="not valid JSON"):
        sp.open_run(tmp_path)
    (tmp_path / "manifest.json").write_text(json.dumps({"pipeline": "x"}), encoding="utf-8")
    with pytest.raises(DataSourceError, match=r"x\.gpkg is missing"):
        sp.open_run(tmp_path)
    (tmp_path / "notes.txt").write_text("", encoding="utf-8")
    with pytest.raises(DataSourceError, match="expected a run's folder"):
        sp.open_run(tmp_path / "notes.txt")
