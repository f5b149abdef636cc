"""``spatial-poverty stats``: the ad hoc verbs on libpysal's example files, as an analyst would run them."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
from libpysal import examples
from typer.testing import CliRunner

from spatial_poverty.cli.main import app


class _Result:
    def __init__(self, returncode: int, stdout: str, stderr: str) -> None:
        self.returncode, self.stdout, self.stderr = returncode, stdout, stderr


def run_cli(*args: str) -> _Result:
    """The command in-process (a subprocess pays libpysal's import each time; tests/test_cli.py covers that path)."""
    res = CliRunner().invoke(app, list(args))
    if res.exception is not None and not isinstance(res.exception, SystemExit):
        raise res.exception
    return _Result(res.exit_code, res.stdout, res.stderr)


#: Published values (see tests/test_replication.py for their sources).
COLUMBUS_I = 0.500189
SIDS_EB_MORAN = 0.16622343552567403
ATOL_PUBLISHED_6 = 5e-7
RTOL_FULL = 1e-12
#: Columbus ships without a .prj: writing its layer warns that the output has no CRS, as it should.
NO_CRS = pytest.mark.filterwarnings("ignore:'crs' was not provided:UserWarning")


@pytest.fixture(scope="module")
def columbus_shp() -> str:
    return examples.get_path("columbus.shp")


@pytest.fixture(scope="module")
def sids(tmp_path_factory) -> tuple[Path, Path]:
    # A copy of the shapefile next to its GAL file, whose ids are the FIPSNO field.
    d = tmp_path_factory.mktemp("sids")
    for ext in ("shp", "shx", "dbf"):
        shutil.copy(examples.get_path(f"sids2.{ext}"), d / f"sids2.{ext}")
    shutil.copy(examples.get_path("sids2.gal"), d / "sids2.gal")
    return d / "sids2.shp", d / "sids2.gal"


def test_moran_prints_json(columbus_shp, tmp_path):
    out = tmp_path / "moran.json"
    proc = run_cli("stats", "moran", columbus_shp, "--id", "POLYID", "--var", "CRIME", "--seed", "7", "--out", str(out))
    assert proc.returncode == 0, proc.stderr
    res = json.loads(proc.stdout)
    for key in ("I", "EI", "z_norm", "p_norm", "z_rand", "p_rand", "p_sim"):
        assert key in res, key
    assert res["I"] == pytest.approx(COLUMBUS_I, abs=ATOL_PUBLISHED_6)
    assert res["alternative"] == "two-sided" and res["seed"] == 7 and res["weights"]["kind"] == "queen"
    assert json.loads(out.read_text(encoding="utf-8")) == res
    again = run_cli("stats", "moran", columbus_shp, "--id", "POLYID", "--var", "CRIME", "--seed", "7")
    assert json.loads(again.stdout)["p_sim"] == res["p_sim"]
    exists = run_cli("stats", "moran", columbus_shp, "--id", "POLYID", "--var", "CRIME", "--out", str(out))
    assert exists.returncode == 6 and "give --force" in exists.stderr


def test_moran_rate_with_a_gal_file(sids):
    shp, gal = sids
    proc = run_cli(
        "stats", "moran-rate", str(shp), "--id", "FIPSNO", "--events", "SID79", "--base", "BIR79",
        "--weights", str(gal), "--permutations", "99",
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    res = json.loads(proc.stdout)
    assert res["I"] == pytest.approx(SIDS_EB_MORAN, rel=RTOL_FULL)
    assert res["standardisation"] == "assuncao_reis_1999" and res["weights"]["kind"] == "file"


def test_gal_ids_must_match_the_id_field(sids):
    shp, gal = sids
    proc = run_cli("stats", "moran", str(shp), "--id", "CNTY_ID", "--var", "SIDR74", "--weights", str(gal))
    assert proc.returncode == 4
    assert "the weights file's ids do not match the --id field" in proc.stderr


def test_geary(columbus_shp):
    proc = run_cli("stats", "geary", columbus_shp, "--id", "POLYID", "--var", "CRIME", "--weights", "rook")
    assert proc.returncode == 0, proc.stderr
    res = json.loads(proc.stdout)
    assert res["C"] == pytest.approx(0.5154408058652411, rel=RTOL_FULL)
    assert {"EC", "z_norm", "p_norm", "z_rand", "p_rand", "p_sim"} <= set(res)


@NO_CRS
def test_lisa_layer(columbus_shp, tmp_path):
    out = tmp_path / "lisa.gpkg"
    proc = run_cli("stats", "lisa", columbus_shp, "--id", "POLYID", "--var", "CRIME", "--out", str(out))
    assert proc.returncode == 0, proc.stderr
    layer = gpd.read_file(out, layer="lisa_CRIME")
    assert {"POLYID", "lisa_i", "lisa_p", "lisa_q", "lisa_cluster"} <= set(layer.columns)
    assert len(layer) == 49 and layer["POLYID"].tolist()[:3] == ["1", "2", "3"]
    np.testing.assert_allclose(layer["lisa_i"][:4], [0.72178138, 0.51798565, 0.09193542, 0.00472258], atol=5e-8)
    assert set(layer["lisa_cluster"]) <= {"High-High", "Low-Low", "High-Low", "Low-High", "not significant"}
    assert (layer["lisa_q"] >= layer["lisa_p"]).all()


@NO_CRS
def test_gistar_layer(columbus_shp, tmp_path):
    out = tmp_path / "gi.gpkg"
    proc = run_cli("stats", "gistar", columbus_shp, "--id", "POLYID", "--var", "CRIME", "--out", str(out))
    assert proc.returncode == 0, proc.stderr
    layer = gpd.read_file(out, layer="gistar_CRIME")
    assert {"POLYID", "gi_z", "gi_p", "gi_bin", "gi_q", "significant"} <= set(layer.columns)
    # default with --correction bh: significance q, the bins are the levels of the adjusted gi_q
    levels = np.select([layer["gi_q"] < 0.01, layer["gi_q"] < 0.05, layer["gi_q"] < 0.10], [3, 2, 1], default=0)
    assert (layer["gi_bin"] == np.sign(layer["gi_z"]) * levels).all()
    assert (layer["significant"].astype(bool) == (layer["gi_q"] <= 0.05)).all()
    assert json.loads(proc.stdout)["significance"] == "q"
    # --significance p: ArcGIS's bins from the normal p-value
    out_p = tmp_path / "gi_p.gpkg"
    proc = run_cli("stats", "gistar", columbus_shp, "--id", "POLYID", "--var", "CRIME", "--significance", "p",
                   "--out", str(out_p))  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    layer = gpd.read_file(out_p, layer="gistar_CRIME")
    hot = layer["gi_p"] < 0.01
    assert (layer.loc[hot, "gi_bin"].abs() == 3).all() and set(layer["gi_bin"]) <= {-3, -2, -1, 0, 1, 2, 3}


@NO_CRS
def test_isolates_refused_with_exit_7(tmp_path):
    # Fixture: Columbus plus one far-away square, an island with no neighbour.
    from shapely.geometry import box

    df = gpd.read_file(examples.get_path("columbus.shp"))[["POLYID", "CRIME", "geometry"]]
    island = gpd.GeoDataFrame({"POLYID": [99], "CRIME": [10.0]}, geometry=[box(100, 100, 101, 101)])
    path = tmp_path / "islands.gpkg"
    gpd.pd.concat([df, island], ignore_index=True).to_file(path)
    proc = run_cli("stats", "moran", str(path), "--id", "POLYID", "--var", "CRIME")
    assert proc.returncode == 7
    assert "isolates: ['99']" in proc.stderr and "Traceback" not in proc.stderr
    assert "--island-policy knn" in proc.stderr  # the hint names the option, not the pipeline key only
    ok = run_cli("stats", "moran", str(path), "--id", "POLYID", "--var", "CRIME", "--island-policy", "knn")
    assert ok.returncode == 0, ok.stderr
    assert json.loads(ok.stdout)["weights"]["links_added"] != []
    kept = run_cli(
        "stats", "lisa", str(path), "--id", "POLYID", "--var", "CRIME", "--island-policy", "keep",
        "--out", str(tmp_path / "l.gpkg"),
    )  # fmt: skip
    assert kept.returncode == 0, kept.stderr
    layer = gpd.read_file(tmp_path / "l.gpkg").set_index("POLYID")
    assert layer.loc["99", "lisa_cluster"] == "no neighbours"


def test_bad_field_is_exit_4(columbus_shp):
    proc = run_cli("stats", "moran", columbus_shp, "--id", "POLYID", "--var", "CRIMES")
    assert proc.returncode == 4 and "no field 'CRIMES'" in proc.stderr
    bad = run_cli("stats", "moran", columbus_shp, "--id", "POLYID", "--var", "CRIME", "--weights", "hex")
    assert bad.returncode == 2 and "weights need to be queen, rook, knn:K" in _flat(bad.stderr)


def _flat(text: str) -> str:
    """Typer's error panel without its frame and line breaks."""
    return " ".join(text.replace("│", " ").replace("╭", " ").replace("╰", " ").replace("─", " ").split())


@pytest.mark.parametrize(
    ("option", "value", "expected"),
    [
        ("--correction", "fdr", "'fdr' is not one of 'bh', 'by', 'bonferroni', 'none'"),
        ("--significance", "z", "'z' is not one of 'p', 'q'"),
        ("--alternative", "up", "'up' is not one of 'two-sided', 'greater', 'less'"),
        ("--island-policy", "drop", "'drop' is not one of 'none', 'knn', 'keep'"),
        ("--weights", "knn:0", "'knn:0': K needs to be a whole number >= 1"),
        ("--weights", "knn:2.5", "'knn:2.5': K needs to be a whole number >= 1"),
        ("--weights", "distance:-5", "'distance:-5': D needs to be > 0"),
        ("--weights", "distance", "weights need to be queen, rook, knn:K"),
        ("--permutations", "-1", "greater than or equal to 0"),
    ],
)
def test_a_bad_option_value_is_a_usage_error(columbus_shp, option, value, expected):
    """Issue 16: a bad option value exits 2 (usage), named, before any data is read (not 7, a statistics error)."""
    proc = run_cli("stats", "lisa", columbus_shp, "--id", "POLYID", "--var", "CRIME", option, value)
    assert proc.returncode == 2, proc.stderr
    assert f"Invalid value for '{option}'" in _flat(proc.stderr) and expected in _flat(proc.stderr)


def test_help_shows_no_internal_spelling():
    proc = run_cli("stats", "lisa", "--help")
    assert proc.returncode == 0
    assert "input_" not in proc.stdout and "INPUT" in proc.stdout and "--island-policy" in proc.stdout


@NO_CRS
def test_island_k_that_leaves_several_groups_says_so(tmp_path):
    """Two islands near each other and far from the mainland: --island-k 1 links them to each other only, and
    the command says that the weights leave two separate groups (and how to join them)."""
    from shapely.geometry import box

    df = gpd.read_file(examples.get_path("columbus.shp"))[["POLYID", "CRIME", "geometry"]]
    islands = gpd.GeoDataFrame(
        {"POLYID": [98, 99], "CRIME": [10.0, 12.0]}, geometry=[box(100, 100, 101, 101), box(102, 100, 103, 101)]
    )
    path = tmp_path / "islands.gpkg"
    gpd.pd.concat([df, islands], ignore_index=True).to_file(path)
    args = ("stats", "moran", str(path), "--id", "POLYID", "--var", "CRIME", "--island-policy", "knn")
    one = run_cli(*args, "--island-k", "1")
    assert one.returncode == 0, one.stderr
    assert json.loads(one.stdout)["weights"]["n_components"] == 2
    flat = _flat(one.stderr)
    assert "the weights leave 2 separate groups of units (sizes 49, 2)" in flat and "--island-k 1" in flat
    joined = run_cli(*args, "--island-k", "3")
    assert joined.returncode == 0 and json.loads(joined.stdout)["weights"]["n_components"] == 1
    assert "separate groups" not in joined.stderr


@NO_CRS
def test_library_warnings_go_to_the_log_not_the_console(columbus_shp, tmp_path):
    """Writing Columbus (no CRS) makes pyogrio warn; the console shows it only with -v."""
    import subprocess
    import sys

    exe = Path(sys.executable).parent / "spatial-poverty"
    args = [str(exe), "stats", "lisa", columbus_shp, "--id", "POLYID", "--var", "CRIME", "--permutations", "99"]
    quiet = subprocess.run([*args, "--out", str(tmp_path / "a.gpkg")], capture_output=True, text=True, timeout=300)
    assert quiet.returncode == 0, quiet.stderr
    assert "Warning" not in quiet.stderr and "warnings.warn" not in quiet.stderr
    loud = subprocess.run([*args, "--out", str(tmp_path / "b.gpkg"), "-v"], capture_output=True, text=True, timeout=300)
    assert loud.returncode == 0 and "py.warnings" in loud.stderr and "crs" in loud.stderr.lower()


@NO_CRS
def test_local_geary_layer_equals_esda(columbus_shp, tmp_path):
    from esda import Geary_Local
    from libpysal.weights import Queen

    out = tmp_path / "lg.gpkg"
    proc = run_cli("stats", "local-geary", columbus_shp, "--id", "POLYID", "--var", "CRIME", "--seed", "7",
                   "--out", str(out))  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    layer = gpd.read_file(out, layer="local_geary_CRIME")
    assert list(layer.columns[:6]) == ["POLYID", "CRIME", "geary_c", "geary_p", "geary_q", "geary_cluster"]
    gdf = gpd.read_file(columbus_shp)
    w = Queen.from_dataframe(gdf, use_index=False)
    w.transform = "r"
    reference = Geary_Local(connectivity=w, permutations=0).fit(gdf["CRIME"].to_numpy(float)).localG
    np.testing.assert_allclose(layer["geary_c"], reference, rtol=RTOL_FULL)
    summary = json.loads(proc.stdout)
    assert summary["statistic"] == "local_geary" and sum(summary["clusters"].values()) == 49
    assert (layer["geary_q"] >= layer["geary_p"]).all()


@NO_CRS
def test_weights_report_and_links_layer(tmp_path):
    # A test-made fixture: a row of three touching squares and one far island.
    from shapely.geometry import box

    gdf = gpd.GeoDataFrame(
        {"code": ["a", "b", "c", "island"]},
        geometry=[box(0, 0, 1, 1), box(1, 0, 2, 1), box(2, 0, 3, 1), box(10, 0, 11, 1)],
        crs=2100,
    )
    src = tmp_path / "units.gpkg"
    gdf.to_file(src)
    out = tmp_path / "links.gpkg"
    proc = run_cli("stats", "weights", str(src), "--id", "code", "--island-k", "1", "--out", str(out))
    assert proc.returncode == 0, proc.stderr
    report = json.loads(proc.stdout)
    assert report["weights"]["isolates_contiguity"] == ["island"] and report["weights"]["n_components"] == 1
    links = gpd.read_file(out, layer="weights_links")
    assert sorted(zip(links["from_id"], links["to_id"], links["origin"], strict=True)) == [
        ("a", "b", "queen"),
        ("b", "c", "queen"),
        ("c", "island", "island policy"),
    ]
    json_out = tmp_path / "report.json"
    proc = run_cli("stats", "weights", str(src), "--id", "code", "--island-policy", "none", "--out", str(json_out))
    assert proc.returncode == 0 and json.loads(json_out.read_text())["weights"]["isolates"] == ["island"]
    proc = run_cli("stats", "weights", str(src), "--id", "code", "--out", str(tmp_path / "links.csv"))
    assert proc.returncode == 5 and "give a .json" in proc.stderr


@NO_CRS
@pytest.mark.parametrize(
    ("verb", "layer", "attr", "first_label"),
    [
        ("lisa", "lisa_CRIME", "lisa_cluster", "Υψηλό-Υψηλό"),
        ("gistar", "gistar_CRIME", "gi_bin", "Θερμό σημείο, 99%"),
        ("local-geary", "local_geary_CRIME", "geary_cluster", "Υψηλό-Υψηλό"),
    ],
)
def test_style_stores_the_default_qgis_style(columbus_shp, tmp_path, verb, layer, attr, first_label):
    import sqlite3

    out = tmp_path / "styled.gpkg"
    proc = run_cli("stats", verb, columbus_shp, "--id", "POLYID", "--var", "CRIME", "--out", str(out), "--style")
    assert proc.returncode == 0, proc.stderr
    con = sqlite3.connect(out)
    rows = con.execute("SELECT f_table_name, useAsDefault, styleQML FROM layer_styles").fetchall()
    registered = con.execute("SELECT 1 FROM gpkg_contents WHERE table_name = 'layer_styles'").fetchone()
    con.close()
    assert len(rows) == 1 and rows[0][:2] == (layer, 1) and registered
    qml = rows[0][2]
    assert f'type="categorizedSymbol" attr="{attr}"' in qml and f'label="{first_label}"' in qml
    assert 'field="POLYID"' in qml  # labels with the id field (no Greek name in this layer)
    # Without --style no style table; --style needs a GeoPackage.
    plain = tmp_path / "plain.gpkg"
    assert run_cli("stats", verb, columbus_shp, "--id", "POLYID", "--var", "CRIME", "--out", str(plain)).returncode == 0
    con = sqlite3.connect(plain)
    assert con.execute("SELECT 1 FROM sqlite_master WHERE name = 'layer_styles'").fetchone() is None
    con.close()
    proc = run_cli("stats", verb, columbus_shp, "--id", "POLYID", "--var", "CRIME", "--out",
                   str(tmp_path / "x.geojson"), "--style")  # fmt: skip
    assert proc.returncode == 5 and "is not a .gpkg" in proc.stderr
