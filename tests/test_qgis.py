"""Headless QGIS opens the delivery: every layer with its default style, Greek labels and aliases, the stored
project with its groups, and a rendered PNG. QGIS is Debian's (``python3-qgis qgis-providers``, installed by
``.ci/run``), run by Debian's ``/usr/bin/python3`` with ``QT_QPA_PLATFORM=offscreen`` in a subprocess: the project's
venv never imports it."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import numpy as np
import pytest
from matplotlib import image

from spatial_poverty.export.delivery import build_geopackage

from .test_delivery import _delivery, delivery_layers  # noqa: F401 - the fixture is used by name

pytestmark = pytest.mark.qgis

DEBIAN_PYTHON = "/usr/bin/python3"
#: The statistics variables of pipelines/south_aegean.yaml.
VARIABLES = ("deprivation_index", "unemp_2001", "nearest_min_mean", "pop_change_pct", "density")
CHECK = Path(__file__).with_name("qgis_check.py")


@pytest.fixture(scope="session")
def qgis_python() -> str:
    """Debian's python3 with the QGIS bindings; under CI=true their absence fails the test instead of skipping."""
    ok = (
        Path(DEBIAN_PYTHON).exists()
        and subprocess.run([DEBIAN_PYTHON, "-c", "import qgis.core"], capture_output=True, check=False).returncode == 0
    )
    if not ok:
        msg = f"QGIS is not installed for {DEBIAN_PYTHON} (apt-get install python3-qgis qgis-providers)"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(msg)
        pytest.skip(msg)
    return DEBIAN_PYTHON


def open_in_qgis(python: str, gpkg: Path, out: Path) -> dict:
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "XDG_RUNTIME_DIR": str(out / "xdg")}
    (out / "xdg").mkdir(parents=True, exist_ok=True, mode=0o700)
    proc = subprocess.run(
        [python, str(CHECK), str(gpkg), str(out)], capture_output=True, text=True, env=env, timeout=300, check=False
    )
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    return json.loads(proc.stdout.strip().splitlines()[-1])


def colours(png: Path) -> set[str]:
    """The distinct colours of a rendered PNG, as #rrggbb."""
    rgb = (image.imread(png)[..., :3] * 255).round().astype(np.uint8).reshape(-1, 3)
    return {"#{:02x}{:02x}{:02x}".format(*c) for c in np.unique(rgb, axis=0)}


@pytest.mark.slow
def test_south_aegean_opens_styled_in_qgis(qgis_python, south_aegean_run, tmp_path):
    report = open_in_qgis(qgis_python, south_aegean_run / "south_aegean.gpkg", tmp_path)
    layers = report["layers"]
    statistics = [f"{s}_{v}" for s in ("gistar", "lisa") for v in VARIABLES]
    assert sorted(layers) == sorted(
        [
            "bilisa_deprivation_index_vs_nearest_min_mean",
            "deprivation_index",
            *statistics,
            "municipal_access",
            "municipalities",
            "services",
            "settlement_access",
        ]
    )
    points = {k: layers.pop(k) for k in ("services", "settlement_access")}  # access to services: points
    for name, info in points.items():
        assert info["valid"] and info["crs"] == "EPSG:2100" and info["label_field"] == "name", name
        assert info["symbol_layers"] == ["SimpleMarker"], name
    assert points["settlement_access"]["features"] == 962
    assert (points["services"]["renderer"], points["services"]["attr"]) == ("categorizedSymbol", "type")
    for name, info in layers.items():
        assert info["valid"] and info["features"] == 34 and info["crs"] == "EPSG:2100", name
        assert info["labels"] and info["label_field"] == "name_el", name
        assert info["aliases"]["name_el"] == "Δήμος" and info["aliases"]["code"] == "Κωδικός δήμου", name
    m = layers["municipalities"]
    assert (m["renderer"], m["attr"], m["classes"]) == ("graduatedSymbol", "density", 5)
    assert m["aliases"]["density"] == "Πυκνότητα πληθυσμού 2021 (κάτ./km²)"
    lisa = layers["lisa_density"]
    assert (lisa["renderer"], lisa["attr"]) == ("categorizedSymbol", "cluster")
    assert lisa["colours"] == ["#ff0000", "#0000ff", "#a7adf9", "#f4ada8", "#eeeeee"]  # GeoDa
    assert lisa["legend"][0] == "Υψηλό-Υψηλό"

    project = report["project"]["south_aegean"]
    assert project["read"] and project["crs"] == "EPSG:2100"
    assert [g["name"] for g in project["groups"]] == [
        "Δείκτες",
        "Χωρική αυτοσυσχέτιση",
        "Πρόσβαση σε υπηρεσίες",
        "Πίνακες",
    ]
    assert all(project["valid"].values()) and len(project["valid"]) == 18  # 16 feature layers, 2 tables
    assert set(project["renderers"].values()) == {"graduatedSymbol", "categorizedSymbol", None}  # None: tables

    # The renders are styled: the darkest density class and a GeoDa LISA colour are drawn, and Greek labels
    # (dark text) are there; a grey, unstyled layer would show none of these.
    assert "#bd0026" in colours(tmp_path / "municipalities.png")
    # statistics.significance q: with Benjamini-Hochberg over 34 islands no cluster passes, so GeoDa's grey of
    # "not significant" (Thira is High-Low by the raw pseudo p only)
    assert "#eeeeee" in colours(tmp_path / "lisa_density.png")
    assert "#bd0026" in colours(tmp_path / "project.png")


def test_new_layers_open_styled_in_qgis_with_hatching(qgis_python, tmp_path, delivery_layers):  # noqa: F811
    gpkg = build_geopackage(tmp_path / "test.gpkg", delivery_layers, _delivery())
    report = open_in_qgis(qgis_python, gpkg, tmp_path / "qgis")
    index = report["layers"]["deprivation_index"]
    assert (index["renderer"], index["attr"]) == ("graduatedSymbol", "score")
    assert index["symbol_layers"] == ["SimpleFill", "LinePatternFill"]
    assert index["hatched"] == ["0101"]  # the one municipality flagged unreliable, and only it
    gi = report["layers"]["gistar_density"]
    assert (gi["renderer"], gi["attr"], gi["classes"]) == ("categorizedSymbol", "gi_bin", 7)
    assert gi["legend"][0] == "Θερμό σημείο, 99%"
    groups = report["project"]["test"]["groups"]
    assert [g["name"] for g in groups] == ["Δείκτες", "Χωρική αυτοσυσχέτιση", "Πίνακες"]
    assert "#d62f27" in colours(tmp_path / "qgis" / "gistar_density.png")  # Komotini, a 99% hot spot
