"""The run report: self-contained, Greek by default, English on request; names every municipality it ranks."""

from __future__ import annotations

import json
import re
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import box

from spatial_poverty.maps.offline import remote_references
from spatial_poverty.maps.static import MapLabel, write_run_maps
from spatial_poverty.report import build_report, read_run_layers, write_report

NAMES = ["ΔΗΜΟΣ ΣΥΡΟΥ - ΕΡΜΟΥΠΟΛΗΣ", "ΔΗΜΟΣ ΑΝΔΡΟΥ", "ΔΗΜΟΣ ΘΗΡΑΣ", "ΔΗΜΟΣ ΑΝΑΦΗΣ", "ΔΗΜΟΣ ΙΗΤΩΝ", "ΔΗΜΟΣ ΜΕΓΙΣΤΗΣ"]
CODES = ["5801", "5901", "6001", "6002", "6003", "6902"]


@pytest.fixture
def run_folder(tmp_path: Path) -> tuple[Path, dict]:
    """Fixture (self-built): a run folder with municipalities, one LISA layer, a deprivation_index table, a Gi*
    layer, figures, targets.csv, quality.csv and a manifest. All values are made up."""
    folder = tmp_path / "run"
    folder.mkdir()
    idx = pd.Index(CODES, name="code")
    geoms = [box(500_000 + 40_000 * i, 4_100_000, 520_000 + 40_000 * i, 4_120_000) for i in range(6)]
    m = gpd.GeoDataFrame(
        {
            "name_el": NAMES,
            "name_en": [f"Municipality {i}" for i in range(6)],
            "pop_2011": [21507, 9221, 15550, 271, 2024, 492],
            "pop_2021": [21124, 9044, 15480, 280, 2000, 500],
            "density": [250.0, 24.0, 200.0, 7.0, 18.0, 40.0],
        },
        geometry=geoms,
        crs=2100,
        index=idx,
    )
    lisa = pd.DataFrame(
        {
            "value": m["density"],
            "lag_z": [0.5, -0.2, 0.4, -0.6, -0.5, 0.1],
            "p_sim": [0.01, 0.4, 0.03, 0.2, 0.5, 0.9],
            "cluster": [
                "High-High",
                "not significant",
                "High-Low",
                "not significant",
                "not significant",
                "not significant",
            ],
            "cluster_el": [
                "Υψηλό-Υψηλό",
                "μη σημαντικό",
                "Υψηλό-Χαμηλό",
                "μη σημαντικό",
                "μη σημαντικό",
                "μη σημαντικό",
            ],
        },
        index=idx,
    )
    index = pd.DataFrame(
        {
            "name_el": NAMES,
            "score": [0.9, 0.1, 0.5, -0.4, 0.3, -0.9],
            "rank": [1, 4, 2, 5, 3, 6],
            "decile": [1, 6, 3, 8, 5, 10],
            "rank_p05": [1, 3, 1, 4, 2, 5],
            "rank_p50": [1, 4, 2, 5, 3, 6],
            "rank_p95": [2, 5, 4, 6, 4, 6],
            "p_worst_decile": [0.81, 0.0, 0.15, 0.0, 0.04, 0.0],
        },
        index=idx,
    )
    gi = pd.DataFrame({"gi_z": [2.8, 0.1, 2.0, -1.0, -1.7, 0.0], "gi_p": [0.005, 0.9, 0.04, 0.3, 0.09, 1.0]}, index=idx)
    gi["gi_bin"] = [3, 0, 2, 0, -1, 0]
    gpkg = folder / "fixture.gpkg"
    m.reset_index().to_file(gpkg, layer="municipalities")
    gpd.GeoDataFrame(lisa, geometry=m.geometry, crs=2100).reset_index().to_file(gpkg, layer="lisa_density")
    gpd.GeoDataFrame(index, geometry=m.geometry, crs=2100).reset_index().to_file(gpkg, layer="deprivation_index")
    gpd.GeoDataFrame(gi, geometry=m.geometry, crs=2100).reset_index().to_file(gpkg, layer="gistar_density")
    written = write_run_maps(
        folder / "figures",
        m,
        variables=[MapLabel("density", "Πυκνότητα πληθυσμού 2021", unit="κάτ./km²")],
        lisa={"density": lisa},
        gistar={"density": gi},
        index=index,
    )
    pd.DataFrame(
        {
            "id": ["t1", "t2"],
            "indicator": ["arope", "unemployment_rate"],
            "area": ["EL42", "EL42"],
            "label_el": ["AROPE τεστ", "Ανεργία τεστ"],
            "label_en": ["AROPE test", "Unemployment test"],
            "unit": ["%", "%"],
            "direction": ["decrease", "decrease"],
            "baseline_year": [2018, 2019],
            "baseline_value": [35.9, 13.7],
            "baseline_in_source": [35.9, 13.7],
            "target_year": [2030, 2027],
            "target_value": [27.9, 8.3],
            "latest_year": [2020, np.nan],
            "latest_value": [30.8, np.nan],
            "progress_share": [0.6375, np.nan],
            "expected_share": [1 / 6, np.nan],
            "status": ["on track", "no data"],
            "status_el": ["σε τροχιά", "χωρίς στοιχεία"],
            "source_id": ["a", "b"],
            "baseline_source": ["fixture source A", "fixture source B"],
            "note": ["", ""],
        }
    ).to_csv(folder / "targets.csv", index=False)
    pd.DataFrame(
        {"source": ["fixture.csv"], "check": ["codes matched"], "rows_read": [6], "matched": [6], "detail": ["ok"]}
    ).to_csv(folder / "quality.csv", index=False, encoding="utf-8-sig")
    manifest = {
        "pipeline": "fixture",
        "title": "Τεστ: Νότιο Αιγαίο",
        "run_id": "abc123",
        "started_at": "2026-01-01T00:00:00+00:00",
        "finished_at": "2026-01-01T00:01:00+00:00",
        "config_file": "/x/fixture.yaml",
        "config_sha256": "0" * 64,
        "config": {
            "title_en": "Test: South Aegean",
            "area": {"nuts2": ["EL42"], "regional_units": []},
            "indicators": ["density"],
            "weights": {"contiguity": "queen", "island_policy": "knn", "k": 3},
            "statistics": {"variables": ["density"], "permutations": 999, "alpha": 0.05},
        },
        "seed": 1,
        "inputs": [
            {
                "id": "x",
                "path": "x.zip",
                "sha256": "f" * 64,
                "publisher": "ELSTAT",
                "licence": "l",
                "attribution": "Πηγή: ΕΛ.ΣΤΑΤ.",
            }
        ],
        "counts": {"municipalities": 6, "pop_2011": 1, "pop_2021": 48428},
        "weights": {"n_components": 1, "isolates": []},
        "statistics": {
            "density": {
                "global_moran": {"I": 0.12, "EI": -0.2, "z_sim": 1.1, "p_sim": 0.2},
                "lisa_clusters": {"High-High": 1, "High-Low": 1, "not significant": 4},
            }
        },
        "versions": {"spatial_poverty": "0.1.0"},
        "figures": {n: [p.relative_to(folder).as_posix() for p in files] for n, files in written.items()},
    }
    return folder, manifest


def _text(html: str) -> str:
    return re.sub(r"<[^>]+>", " ", html)


def test_report_names_every_ranked_municipality_with_its_band(run_folder):
    folder, manifest = run_folder
    page = build_report(folder, manifest)
    section = page.split('id="deprived"')[1].split("</section>")[0]
    text = _text(section)
    for name in NAMES:
        assert name.removeprefix("ΔΗΜΟΣ ") in text, name
    rows = re.findall(r"<tr(?: class=\"top\")?><td class=\"num\">(\d+)</td>\s*<td>([^<]+)</td>", section)
    assert [int(r) for r, _ in rows] == [1, 2, 3, 4, 5, 6]
    assert rows[0][1] == "ΣΥΡΟΥ - ΕΡΜΟΥΠΟΛΗΣ" and rows[-1][1] == "ΜΕΓΙΣΤΗΣ"
    assert "1–2" in section and "5–6" in section  # rank bands p05–p95
    assert 'class="top"' in section  # the worst decile is highlighted


def test_report_sections_and_self_contained(run_folder):
    folder, manifest = run_folder
    path = write_report(folder, manifest, folder / "report.html")
    page = path.read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>") and '<html lang="el">' in page
    assert remote_references(page) == [] and not re.search(r"(src|href)=[\"']https?://", page)
    assert page.count("data:image/png;base64,") == len(manifest["figures"])
    text = _text(page)
    for heading in ("Τι εκτελέστηκε", "Οι πιο αποστερημένοι δήμοι", "Χωρικές συστάδες", "Ποιότητα δεδομένων"):
        assert heading in text
    assert "Υψηλό-Υψηλό: ΣΥΡΟΥ - ΕΡΜΟΥΠΟΛΗΣ" in text and "θερμό 99%: ΣΥΡΟΥ - ΕΡΜΟΥΠΟΛΗΣ" in text
    assert "codes matched" in text  # the quality table
    targets = _text(page.split('id="targets"')[1].split("</section>")[0])
    assert "AROPE τεστ" in targets and "σε τροχιά" in targets and "χωρίς στοιχεία" in targets and "64 %" in targets
    assert "35,9 % (2018)" in targets  # Greek number format, a space before the percent sign
    assert "Πηγή: ΕΛ.ΣΤΑΤ." in text


def test_report_in_english(run_folder):
    folder, manifest = run_folder
    page = build_report(folder, manifest, lang="en")
    text = _text(page)
    assert '<html lang="en">' in page and "Test: South Aegean" in text
    assert "The most deprived municipalities" in text and "on track" in text and "Unemployment test" in text
    assert "Municipality 0" in text  # English names
    assert "Οι πιο αποστερημένοι" not in text


def test_report_without_optional_layers(run_folder, tmp_path):
    folder, manifest = run_folder
    layers = read_run_layers(folder / "fixture.gpkg")
    layers.index = None
    layers.gistar = {}
    (folder / "quality.csv").unlink()
    (folder / "targets.csv").unlink()
    page = build_report(folder, {**manifest, "figures": {}}, layers=layers)
    text = _text(page)
    assert "Ο δείκτης αποστέρησης δεν υπολογίστηκε" in text
    assert "Δεν υπάρχει αναφορά ποιότητας" in text and "Δεν ορίστηκε αρχείο στόχων" in text
    assert "Getis-Ord" not in text
    # Every municipality is still named (the table of the area's municipalities).
    for name in NAMES:
        assert name.removeprefix("ΔΗΜΟΣ ") in text


@pytest.mark.slow
def test_south_aegean_report(south_aegean_run):
    page = (south_aegean_run / "report.html").read_text(encoding="utf-8")
    assert remote_references(page) == [] and not re.search(r"(src|href)=[\"']https?://", page)
    m = gpd.read_file(south_aegean_run / "south_aegean.gpkg", layer="municipalities")
    text = _text(page)
    missing = [n for n in m["name_el"] if n.removeprefix("ΔΗΜΟΣ ") not in text]
    assert missing == [] and len(m) == 34
    targets = _text(page.split('id="targets"')[1].split("</section>")[0])
    table = pd.read_csv(south_aegean_run / "targets.csv")
    assert len(table) == 3
    for label in table["label_el"]:
        assert label in targets
    man = json.loads((south_aegean_run / "manifest.json").read_text(encoding="utf-8"))
    assert "report.html" in {o["path"] for o in man["outputs"]}
    assert page.count("data:image/png;base64,") >= 3
    assert len(list((south_aegean_run / "figures").glob("*.png"))) >= 3


@pytest.mark.slow
def test_report_command_in_english(south_aegean_run, tmp_path):
    from .conftest import run_cli

    out = tmp_path / "report_en.html"
    proc = run_cli("report", str(south_aegean_run), "--lang", "en", "-o", str(out))
    assert proc.returncode == 0, proc.stderr
    page = out.read_text(encoding="utf-8")
    assert '<html lang="en">' in page and "Target monitoring" in page and "Megisti" in page
    proc = run_cli("report", str(tmp_path), "-o", str(tmp_path / "x.html"))
    assert proc.returncode == 4 and "not a run folder" in proc.stderr


def test_run_products_use_the_index_and_gistar_layers(run_folder):
    """write_run_products on the fixture folder: figures, report, and map.html drawn again with index and Gi*."""
    from spatial_poverty.pipeline.config import PipelineConfig
    from spatial_poverty.report import write_run_products

    folder, manifest = run_folder
    (folder / "map.html").write_text("<html>placeholder</html>", encoding="utf-8")
    cfg = PipelineConfig(
        name="fixture", title="Τεστ", seed=1, indicators=["density"], statistics={"variables": ["density"]}
    )
    base = {**manifest, "figures": {}, "outputs": [{"path": "map.html", "sha256": "x", "bytes": 1}]}
    out = write_run_products(cfg, folder, base)
    assert base["outputs"] == [{"path": "map.html", "sha256": "x", "bytes": 1}]  # the input is not changed
    page = (folder / "map.html").read_text(encoding="utf-8")
    for text in ("Δείκτης αποστέρησης", "Θερμά/ψυχρά σημεία Gi*", "sp-search-input"):
        assert text in page or json.dumps(text)[1:-1] in page, text  # folium escapes text inside JSON
    entry = next(o for o in out["outputs"] if o["path"] == "map.html")
    assert entry["sha256"] != "x" and len(entry["sha256"]) == 64
    assert {"choropleth_deprivation_index", "gistar_density", "lisa_density"} <= set(out["figures"])
    assert (folder / "report.html").is_file() and "report.html" in {o["path"] for o in out["outputs"]}
