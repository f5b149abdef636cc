"""The "Spatial poverty" Processing provider (qgis_plugin/), built by ``make qgis-plugin``, installed in a
throwaway QGIS profile and run headless by ``qgis_process`` on the South Aegean municipalities: every algorithm's
output equals the command line's (same arguments, same seed), and the styled LISA and Gi* layers are rendered
to PNG test artefacts (``build/test-artefacts/qgis/``, or ``$SPATIAL_POVERTY_ARTEFACTS``)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest

from spatial_poverty.export.schema import variable_titles

from .conftest import ROOT
from .test_qgis import colours, open_in_qgis, qgis_python  # noqa: F401 - the fixture is used by name

pytestmark = pytest.mark.qgis

#: Debian's /usr/bin/qgis_process wrapper adds --noversioncheck (from /etc/default/qgis), which qgis_process 3.22
#: refuses ("Command --noversioncheck not known!"), so the binary is run directly.
QGIS_PROCESS = "/usr/bin/qgis_process.bin"
CLI = Path(sys.executable).with_name("spatial-poverty")
PLUGIN = "spatial_poverty_provider"
SEED = 2024


def artefacts() -> Path:
    d = Path(os.environ.get("SPATIAL_POVERTY_ARTEFACTS", ROOT / "build" / "test-artefacts")) / "qgis"
    d.mkdir(parents=True, exist_ok=True)
    return d


def test_plugin_zip_is_reproducible_and_installable(tmp_path):
    a, b = tmp_path / "a.zip", tmp_path / "b.zip"
    for z in (a, b):
        subprocess.run(["make", "-s", "qgis-plugin", f"PLUGIN_ZIP={z}"], cwd=ROOT, check=True, capture_output=True)
    assert a.read_bytes() == b.read_bytes()
    with zipfile.ZipFile(a) as zf:
        names = zf.namelist()
        meta = zf.read(f"{PLUGIN}/metadata.txt").decode()
    assert {f"{PLUGIN}/{n}" for n in ("__init__.py", "metadata.txt", "provider.py", "bridge.py")} <= set(names)
    assert all(n.startswith(f"{PLUGIN}/") and "__pycache__" not in n for n in names)
    assert "hasProcessingProvider=yes" in meta and "qgisMinimumVersion=3.22" in meta


@pytest.fixture(scope="module")
def qgis_env(tmp_path_factory) -> dict[str, str]:
    """A QGIS profile with the plugin installed from the zip and enabled; the bridge points at this venv's CLI."""
    if not Path(QGIS_PROCESS).exists():
        msg = f"{QGIS_PROCESS} is not installed (apt-get install qgis)"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(msg)
        pytest.skip(msg)
    d = tmp_path_factory.mktemp("qgis_profile")
    zip_path = d / "plugin.zip"
    subprocess.run(["make", "-s", "qgis-plugin", f"PLUGIN_ZIP={zip_path}"], cwd=ROOT, check=True, capture_output=True)
    plugins = d / "config" / "profiles" / "default" / "python" / "plugins"
    plugins.mkdir(parents=True)
    with zipfile.ZipFile(zip_path) as zf:
        zf.extractall(plugins)
    (d / "xdg").mkdir(mode=0o700)
    env = {
        **os.environ,
        "QT_QPA_PLATFORM": "offscreen",
        "XDG_RUNTIME_DIR": str(d / "xdg"),
        "QGIS_CUSTOM_CONFIG_PATH": str(d / "config"),
        "SPATIAL_POVERTY_CLI": str(CLI),
    }
    proc = subprocess.run(
        [QGIS_PROCESS, "plugins", "enable", PLUGIN], env=env, capture_output=True, text=True, check=False
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return env


def qgis_run(env: dict[str, str], algorithm: str, **params: object) -> dict:
    args = [f"--{k}={v}" for k, v in params.items()]
    proc = subprocess.run(
        [QGIS_PROCESS, "--json", "run", f"spatial_poverty:{algorithm}", *args],
        env=env, capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    return json.loads(proc.stdout[proc.stdout.index("{") :])


def cli_run(*args: object) -> dict:
    proc = subprocess.run([str(CLI), *map(str, args)], capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return json.loads(proc.stdout)


def same_layer(a: Path, b: Path, layer: str) -> pd.DataFrame:
    left, right = gpd.read_file(a, layer=layer), gpd.read_file(b, layer=layer)
    pd.testing.assert_frame_equal(left.drop(columns="geometry"), right.drop(columns="geometry"), check_exact=True)
    assert left.geometry.geom_equals_exact(right.geometry, tolerance=0).all()
    return left


def test_provider_lists_its_algorithms(qgis_env):
    proc = subprocess.run([QGIS_PROCESS, "list"], env=qgis_env, capture_output=True, text=True, check=False)
    listed = {line.split()[0] for line in proc.stdout.splitlines() if line.strip().startswith("spatial_poverty:")}
    assert "Spatial poverty" in proc.stdout
    assert listed == {
        f"spatial_poverty:{a}" for a in ("moran", "lisa", "gistar", "local_geary", "weights", "fh", "index")
    }


def test_a_missing_command_is_a_clear_error(qgis_env, tmp_path):
    gpkg = tmp_path / "x.gpkg"
    gpd.GeoDataFrame({"code": ["1"], "v": [1.0]}, geometry=gpd.points_from_xy([0], [0]).buffer(1), crs=2100).to_file(
        gpkg
    )  # a test-made fixture
    env = {**qgis_env, "SPATIAL_POVERTY_CLI": str(tmp_path / "nowhere" / "spatial-poverty")}
    proc = subprocess.run(
        [QGIS_PROCESS, "run", "spatial_poverty:lisa", f"--INPUT={gpkg}", "--ID_FIELD=code", "--FIELD=v",
         f"--OUTPUT={tmp_path / 'out.gpkg'}"],
        env=env, capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert proc.returncode != 0
    assert "does not exist or is not executable" in proc.stdout + proc.stderr
    assert not (tmp_path / "out.gpkg").exists()


@pytest.mark.slow
@pytest.mark.parametrize(
    ("algorithm", "command", "layer", "class_field", "first_legend"),
    [
        ("lisa", "lisa", "lisa_unemp_2001", "lisa_cluster", "Υψηλό-Υψηλό"),
        ("gistar", "gistar", "gistar_unemp_2001", "gi_bin", "Θερμό σημείο, 99%"),
        ("local_geary", "local-geary", "local_geary_unemp_2001", "geary_cluster", "Υψηλό-Υψηλό"),
    ],
)
def test_local_algorithms_equal_the_command_line(
    qgis_env,
    qgis_python,  # noqa: F811
    south_aegean_run,
    tmp_path,
    algorithm,
    command,
    layer,
    class_field,
    first_legend,
):
    source = south_aegean_run / "south_aegean.gpkg"
    out_q, out_c = tmp_path / "qgis.gpkg", tmp_path / "cli.gpkg"
    result = qgis_run(
        qgis_env, algorithm, INPUT=f"{source}|layername=municipalities", ID_FIELD="code", FIELD="unemp_2001",
        SEED=SEED, SIGNIFICANCE=1, OUTPUT=out_q,
    )  # fmt: skip
    assert result["results"]["OUTPUT"] == f"{out_q}|layername={layer}"
    cli = cli_run(
        "stats",
        command,
        source,
        "--layer",
        "municipalities",
        "--id",
        "code",
        "--var",
        "unemp_2001",
        "--island-policy",
        "knn",
        "--island-k",
        3,
        "--seed",
        SEED,
        "--significance",
        "p",
        "--out",
        out_c,
    )
    frame = same_layer(out_q, out_c, layer)
    assert len(frame) == 34
    summary = json.loads(result["results"]["SUMMARY"])
    assert {k: v for k, v in summary.items() if k != "output"} == {k: v for k, v in cli.items() if k != "output"}
    assert any(line.startswith("clusters: ") or line.startswith("gi_bin_counts: ") for line in result["log"]["info"])

    # QGIS opens the result styled: the tool's palette on its class field, Greek aliases; rendered to a PNG.
    report = open_in_qgis(qgis_python, out_q, tmp_path / "render")
    info = report["layers"][layer]
    assert info["valid"] and info["crs"] == "EPSG:2100"
    assert (info["renderer"], info["attr"]) == ("categorizedSymbol", class_field)
    assert info["legend"][0] == first_legend
    assert info["aliases"]["unemp_2001"] == variable_titles("unemp_2001")[0]
    assert info["aliases"][class_field] and info["aliases"][class_field].isascii() is False  # a Greek alias
    png = tmp_path / "render" / f"{layer}.png"
    drawn = colours(png)
    significant = set(frame[class_field].astype(str)) - {"not significant", "0"}
    assert significant, "the chosen variable has significant units with p, so the map has colours"
    assert len(drawn & set(info["colours"])) >= 2  # the grey of "not significant" and at least one cluster colour
    shutil.copy(png, artefacts() / f"{layer}.png")


@pytest.mark.slow
def test_moran_and_weights_equal_the_command_line(qgis_env, south_aegean_run, tmp_path):
    source = south_aegean_run / "south_aegean.gpkg"
    result = qgis_run(qgis_env, "moran", INPUT=f"{source}|layername=municipalities", ID_FIELD="code",
                      FIELD="unemp_2001", SEED=SEED)  # fmt: skip
    cli = cli_run("stats", "moran", source, "--layer", "municipalities", "--id", "code", "--var", "unemp_2001",
                  "--island-policy", "knn", "--island-k", 3, "--seed", SEED)  # fmt: skip
    assert json.loads(result["results"]["SUMMARY"]) == cli
    assert result["results"]["I"] == pytest.approx(cli["I"], abs=0) and result["results"]["P_SIM"] == cli["p_sim"]

    out_q, out_c = tmp_path / "qgis.gpkg", tmp_path / "cli.gpkg"
    result = qgis_run(qgis_env, "weights", INPUT=f"{source}|layername=municipalities", ID_FIELD="code", OUTPUT=out_q)
    cli_run("stats", "weights", source, "--layer", "municipalities", "--id", "code", "--out", out_c)
    links = same_layer(out_q, out_c, "weights_links")
    # Every South Aegean municipality is an island: all 65 links come from the island policy, one component.
    assert len(links) == 65 and set(links["origin"]) == {"island policy"}
    assert result["results"]["COMPONENTS"] == 1


@pytest.mark.slow
def test_screenshots_render_headless(qgis_python, south_aegean_run, tmp_path):  # noqa: F811
    """``make qgis-screenshots``'s script: the algorithm's dialog on a layer, and the styled results with legends."""
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "XDG_RUNTIME_DIR": str(tmp_path / "xdg"),
           "SPATIAL_POVERTY_CLI": str(CLI)}  # fmt: skip
    (tmp_path / "xdg").mkdir(mode=0o700)
    proc = subprocess.run(
        [qgis_python, str(ROOT / "qgis_plugin" / "screenshots.py"), str(south_aegean_run / "south_aegean.gpkg"),
         str(tmp_path / "shots")],
        env=env, capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert proc.returncode == 0 and "written:" in proc.stdout, proc.stdout[-2000:] + proc.stderr[-2000:]
    shots = {p.name: p for p in (tmp_path / "shots").glob("*.png")}
    assert sorted(shots) == ["qgis_gistar_map.png", "qgis_lisa_dialog.png", "qgis_lisa_map.png"]
    assert {"#ff0000", "#0000ff", "#eeeeee"} <= colours(shots["qgis_lisa_map.png"])  # GeoDa's High-High, Low-Low
    assert {"#d62f27", "#ffffbf"} <= colours(shots["qgis_gistar_map.png"])  # a 99% hot spot, not significant
    assert len(colours(shots["qgis_lisa_dialog.png"])) > 50  # a dialog, not a blank image
    for p in shots.values():
        shutil.copy(p, artefacts() / p.name)


@pytest.mark.slow
def test_fay_herriot_equals_the_command_line(qgis_env, qgis_python, south_aegean_run, tmp_path):  # noqa: F811
    """On the South Aegean municipalities with a test-made direct estimate (a fixture, not data): a rate that
    follows unemployment 2001, with a sampling variance per municipality and five municipalities out of sample."""
    import numpy as np

    source = gpd.read_file(south_aegean_run / "south_aegean.gpkg", layer="municipalities")
    rng = np.random.default_rng(7)
    source["direct"] = 0.08 + 0.008 * (source["unemp_2001"] - source["unemp_2001"].mean()) + rng.normal(0, 0.02, 34)
    source["var"] = rng.uniform(0.0001, 0.0009, 34)
    source.loc[source.index[:5], ["direct", "var"]] = np.nan  # low rates with their error: some CVs above 33.3 %
    areas = tmp_path / "areas.gpkg"
    source[["code", "name_el", "pop_2021", "unemp_2001", "primary_2001", "direct", "var", "geometry"]].to_file(
        areas, layer="areas"
    )
    out_q, out_c = tmp_path / "qgis.gpkg", tmp_path / "cli.gpkg"
    result = qgis_run(
        qgis_env, "fh", INPUT=f"{areas}|layername=areas", ID_FIELD="code", DIRECT="direct", VARIANCE="var",
        COVARIATES="unemp_2001", MSE=1, BOOTSTRAP=200, SEED=SEED, OUTPUT=out_q,
    )  # fmt: skip
    cli_run_text = subprocess.run(
        [str(CLI), "sae", "fh", str(areas), "--layer", "areas", "--id", "code", "--direct", "direct", "--variance",
         "var", "--covariates", "unemp_2001", "--mse", "bootstrap", "--bootstrap", "200", "--seed", str(SEED),
         "--out", str(out_c)],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert cli_run_text.returncode == 0, cli_run_text.stderr
    layer = same_layer(out_q, out_c, "sae_fh")
    assert json.loads(result["results"]["SUMMARY"]) == json.loads(out_c.with_suffix(".json").read_text())
    assert layer["out_of_sample"].sum() == 5
    hidden = layer["quality"] == "suppress"
    assert hidden.sum() >= 1 and layer.loc[hidden, ["eblup", "mse", "cv", "ci_low", "ci_high"]].isna().all().all()

    report = open_in_qgis(qgis_python, out_q, tmp_path / "render")
    info = report["layers"]["sae_fh"]
    assert (info["renderer"], info["legend"][0]) == ("graduatedSymbol", "Απόκρυψη (CV πάνω από το όριο)")
    assert info["colours"][0] == "#bdbdbd" and info["aliases"]["eblup"].startswith("Εκτίμηση")
    shutil.copy(tmp_path / "render" / "sae_fh.png", artefacts() / "sae_fh.png")


@pytest.mark.slow
def test_index_equals_the_published_index(qgis_env, qgis_python, south_aegean_run, tmp_path):  # noqa: F811
    """The run's own index (recipe imd, the run's seed) through QGIS: the published deprivation_index layer."""
    source = south_aegean_run / "south_aegean.gpkg"
    seed = json.loads((south_aegean_run / "manifest.json").read_text())["seed"]
    spec = tmp_path / "imd.yaml"
    spec.write_text("index:\n  recipe: imd\n", encoding="utf-8")
    out = tmp_path / "qgis.gpkg"
    result = qgis_run(qgis_env, "index", INPUT=f"{source}|layername=municipalities", ID_FIELD="code", SPEC=spec,
                      SEED=seed, OUTPUT=out)  # fmt: skip
    assert result["results"]["OUTPUT"] == f"{out}|layername=deprivation_index"
    mine = gpd.read_file(out, layer="deprivation_index").set_index("code")
    published = gpd.read_file(source, layer="deprivation_index").set_index("code").loc[mine.index]
    fields = ["score", "rank", "decile", "rank_p05", "rank_p50", "rank_p95", "p_worst_decile", "unreliable"]
    pd.testing.assert_frame_equal(mine[fields], published[fields], check_exact=True)
    report = open_in_qgis(qgis_python, out, tmp_path / "render")
    info = report["layers"]["deprivation_index"]
    assert (info["renderer"], info["attr"], info["label_field"]) == ("graduatedSymbol", "score", "name_el")
    assert info["symbol_layers"] == ["SimpleFill", "LinePatternFill"]  # the unreliable hatched
    shutil.copy(tmp_path / "render" / "deprivation_index.png", artefacts() / "deprivation_index.png")
