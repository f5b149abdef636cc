"""Outputs that are safe to open, and runs that never destroy what they did not make (issue 17).

The payload registry below is a fixture built here: service names, operators, addresses, settlements and ids
that carry HTML, ``</script>`` and spreadsheet formulas. It goes through the South Aegean pipeline with CSV and
XLSX export; the map and the report are opened in headless Chromium (no script of the payloads may run, and the
map must build), every CSV cell is read back (none may start a formula) and the workbook is opened with openpyxl.
"""

from __future__ import annotations

import csv
import io
import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
import yaml

from spatial_poverty.csv_cells import FORMULA_PREFIXES, neutralise, neutralise_frame
from spatial_poverty.errors import IngestError, StatisticsError
from spatial_poverty.ingest import load_catalogue, read_municipal_boundaries, verify
from spatial_poverty.maps import IndicatorLayer, interactive_map, write_map
from spatial_poverty.maps.safe import js_value
from spatial_poverty.pipeline import load_config
from spatial_poverty.pipeline.statistics_extra import stability_specs
from spatial_poverty.services import read_registry

from .conftest import BROWSER_TIMEOUT_S, CATALOGUE, pipeline_copy, run_cli

#: Payloads: each sets ``window.__pwned`` if the page ever runs it as HTML or script.
HTML_PAYLOADS = (
    '"><img src=x onerror="window.__pwned=1">',
    "</script><script>window.__pwned=2</script>",
    "<b onmouseover=window.__pwned=3>Κέντρο</b><svg/onload=window.__pwned=4>",
    "Κέντρο & \"Αλληλεγγύη\" 'Σύρου' <i>",
)
#: Cells a spreadsheet would run as formulas (OWASP's examples, with a Greek touch).
FORMULA_PAYLOADS = (
    '=HYPERLINK("http://evil.example","κλικ")',
    "+cmd|' /C calc'!A0",
    "-2+3+cmd|' /C calc'!A0",
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "\t=1+1",
    "\r=1+1",
)
HEADER = "service_id;name;type;code;operator;address;settlement;lat;lon;target_groups;capacity;opening_hours;contact"


# ------------------------------------------------------------------------------------------------ units


@pytest.mark.parametrize("cell", FORMULA_PAYLOADS)
def test_a_formula_cell_is_neutralised_with_an_apostrophe(cell):
    assert neutralise(cell) == "'" + cell


@pytest.mark.parametrize("cell", ["-12.5", "+30", "-1,5", "12%", "Ρόδος", "", "a=b", -3.0, 7, None])
def test_numbers_and_plain_text_are_left_alone(cell):
    assert neutralise(cell) == cell


def test_neutralise_frame_touches_text_columns_only():
    frame = pd.DataFrame(
        {
            "name": ["=1+1", "Σύρος", None],
            "n": [-1, 2, 3],
            "s": pd.array(["@x", pd.NA, "-4"], dtype="string"),
        }
    )
    out = neutralise_frame(frame)
    assert out["name"].tolist()[:2] == ["'=1+1", "Σύρος"] and pd.isna(out["name"].iloc[2])
    assert out["n"].tolist() == [-1, 2, 3]
    assert out["s"].tolist()[0] == "'@x" and out["s"].isna().tolist()[1] and out["s"].tolist()[2] == "-4"
    assert frame["name"].tolist()[0] == "=1+1"  # the input is not changed


def test_inline_json_cannot_close_a_script():
    text = js_value({"n": "</script><script>alert(1)</script>", "g": "Ρόδος & Κως"})
    assert "</script>" not in text and "<" not in text and "&" not in text
    assert "Ρόδος" in text and json.loads(text) == {"n": "</script><script>alert(1)</script>", "g": "Ρόδος & Κως"}


def test_default_stability_specs_are_clipped_to_a_small_area(tmp_path):
    cfg_path = tmp_path / "p.yaml"
    cfg_path.write_text("name: p\ntitle: p\nseed: 1\n", encoding="utf-8")
    cfg = load_config(cfg_path)
    assert stability_specs(34, cfg) == ["queen", "knn:4", "knn:6", "distance"]
    assert stability_specs(5, cfg) == ["queen", "knn:4", "distance"]  # knn:6 -> knn:4, which repeats
    assert stability_specs(3, cfg) == ["queen", "knn:2", "distance"]
    cfg_path.write_text("name: p\ntitle: p\nseed: 1\nstatistics: {stability: {specs: [queen, 'knn:6']}}\n")
    with pytest.raises(StatisticsError, match=r"statistics.stability.specs: knn:6 needs at least 7 .* has 5"):
        stability_specs(5, load_config(cfg_path))


def test_output_outside_the_project_needs_an_opt_in(tmp_path):
    project = tmp_path / "project"
    (project / "pipelines").mkdir(parents=True)
    (project / "pyproject.toml").write_text("", encoding="utf-8")
    text = "name: p\ntitle: p\nseed: 1\npaths: {processed: %s}\n"
    cfg = project / "pipelines" / "p.yaml"
    cfg.write_text(text % "../data/processed", encoding="utf-8")
    assert load_config(cfg).output_dir == project / "data" / "processed" / "p"
    cfg.write_text(text % (tmp_path / "elsewhere"), encoding="utf-8")
    from spatial_poverty.errors import ConfigError

    with pytest.raises(ConfigError, match=r"outside the project .*paths\.allow_outside_project: true"):
        load_config(cfg)
    cfg.write_text(text.replace("}", ", allow_outside_project: true}") % (tmp_path / "elsewhere"), encoding="utf-8")
    assert load_config(cfg).output_dir == tmp_path / "elsewhere" / "p"


def test_a_file_of_another_kind_is_named_not_called_corrupt(bundle, tmp_path):
    geojson = bundle / "geodata_kallikratis_2011" / "kallikratis_municipalities_ypes_wgs84.geojson.gz"
    with pytest.raises(IngestError, match="this is a gzip-compressed GeoJSON file; the source expects a zipped shape"):
        read_municipal_boundaries(geojson)
    # In a run, the checksum says which catalogued file it is.
    cat = load_catalogue(CATALOGUE)
    raw = tmp_path / "raw"
    target = raw / cat["elstat_2021_municipalities"].path
    target.parent.mkdir(parents=True)
    target.write_bytes(geojson.read_bytes())
    from spatial_poverty.errors import DataSourceError

    with pytest.raises(DataSourceError, match="it is the file of source geodata_kallikratis_2011_municipalities"):
        verify(cat, raw, ["elstat_2021_municipalities"])


def test_a_decode_error_names_the_row_and_the_setting(tmp_path):
    path = tmp_path / "registry.csv"
    rows = [HEADER, *(f"S{i};Κέντρο {i};kep;5801;;;;;;;;;" for i in range(1, 5)), "S9;Κέντρο Ρόδου;kep;6101;;;;;;;;;"]
    path.write_bytes("\n".join(rows).encode("cp1253"))
    nowhere = gpd.GeoDataFrame(geometry=[], crs=2100)  # decoding comes first: no place is looked up
    with pytest.raises(
        IngestError, match=r"registry\.csv, row 2: bytes .* not utf-8-sig text; .*registry_encoding: cp"
    ):
        read_registry(path, encoding="utf-8-sig", gazetteer=None, municipalities=nowhere)  # type: ignore[arg-type]


# ------------------------------------------------------------------------------------------- map fixture


def _pwned(driver) -> object:
    return driver.execute_script("return window.__pwned === undefined ? null : window.__pwned")


def _open_every_tooltip_and_popup(driver) -> list[str]:
    """Open the tooltip and popup of every feature of every layer (what hovering and clicking would do); returns
    the text each showed."""
    return driver.execute_script(
        """
        var texts = [];
        function at(f) { return f.getBounds ? f.getBounds().getCenter() : f.getLatLng(); }
        Object.keys(window).filter(function (k) { return k.indexOf("map_") === 0; }).forEach(function (k) {
            var map = window[k];
            if (!map || !map.eachLayer) { return; }
            Object.keys(window).forEach(function (g) {  // every layer on, as ticking it in the control would
                if (g.indexOf("geo_json_") === 0 && window[g] instanceof L.GeoJSON) { map.addLayer(window[g]); }
            });
            map.eachLayer(function (group) {
                if (!group.getLayers) { return; }
                group.getLayers().forEach(function (f) {
                    [[group.getTooltip && group.getTooltip(), "openTooltip"],
                     [group.getPopup && group.getPopup(), "openPopup"]].forEach(function (pair) {
                        if (!pair[0]) { return; }
                        pair[0]._source = f;
                        group[pair[1]](at(f));
                        var el = pair[0].getElement();
                        texts.push(el ? el.textContent : "");
                    });
                });
            });
        });
        return texts;
        """
    )


def _page_errors(driver) -> list[str]:
    return [e["message"] for e in driver.get_log("browser") if e["level"] == "SEVERE" and "/x" not in e["message"]]


@pytest.mark.browser
def test_map_with_hostile_municipality_names_builds_and_runs_no_script(browser, tmp_path):
    """Names with ``</script>`` and HTML in every layer's tooltip and in the search list: the map builds (the
    search control exists), tooltips show the names as text, and no payload runs."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait
    from shapely.geometry import box

    names = [*HTML_PAYLOADS, *FORMULA_PAYLOADS[:2]]
    squares = [box(500_000 + 10_000 * i, 4_100_000, 508_000 + 10_000 * i, 4_108_000) for i in range(len(names))]
    gdf = gpd.GeoDataFrame(
        {"name_el": names, "name_en": names, "density": [float(i) for i in range(len(names))]},
        geometry=squares,
        index=pd.Index([f"58{i:02d}" for i in range(1, len(names) + 1)], name="code"),
        crs=2100,
    )
    lisa = pd.DataFrame({"cluster_el": ["Υψηλό-Υψηλό"] * len(names), "p_sim": [0.01] * len(names)}, index=gdf.index)
    fmap = interactive_map(
        gdf,
        title='Τίτλος </script><img src=x onerror="window.__pwned=9">',
        indicators=[IndicatorLayer("density", "Πυκνότητα", "κάτ./km²")],
        lisa={"density": lisa},
        attribution="<script>window.__pwned=10</script>",
    )
    page = write_map(fmap, tmp_path / "map.html")
    browser.get(page.resolve().as_uri())
    WebDriverWait(browser, BROWSER_TIMEOUT_S).until(
        lambda d: (
            d.execute_script("return document.querySelectorAll('.leaflet-overlay-pane path').length") >= len(names)
        )
    )
    assert browser.find_element(By.ID, "sp-search-input")  # the script ran to its end
    tips = "|".join(_open_every_tooltip_and_popup(browser))
    assert all(n in tips for n in names)  # shown as text
    time.sleep(0.5)  # let a failed <img> fire its onerror, if one had been inserted
    assert _pwned(browser) is None
    assert _page_errors(browser) == []


# ------------------------------------------------------------------------------ the payload registry run


def _payload_registry(bundle: Path, path: Path) -> list[str]:
    """A registry of real South Aegean places whose text fields carry the payloads; returns the names."""
    boundaries = read_municipal_boundaries(bundle / "elstat_2021" / "DHMOI_2021.zip")
    codes = ["5801", "6001", "6101", "6201", "6301"]
    points = boundaries.loc[codes].geometry.representative_point().to_crs(4326)
    payloads = [*HTML_PAYLOADS, *FORMULA_PAYLOADS]
    types = ["community_centre", "social_grocery", "kep", "social_pharmacy", "kapi"]
    out = io.StringIO()
    w = csv.writer(out, delimiter=";")  # "\r\n" rows: a field holding "\r" is quoted
    w.writerow(HEADER.split(";"))
    names = []
    for i, text in enumerate(payloads):
        code = codes[i % len(codes)]
        pt = points[code]
        name = f"{text} {i}"
        names.append(name)
        w.writerow(
            [
                f"@P-{i}" if i % 2 else f"P-{i}",
                name,
                types[i % len(types)],
                code,
                payloads[(i + 1) % len(payloads)],  # operator
                payloads[(i + 2) % len(payloads)],  # address
                "",
                f"{pt.y + 0.0001 * i:.5f}".replace(".", ","),
                f"{pt.x:.5f}".replace(".", ","),
                payloads[(i + 3) % len(payloads)],  # target groups
                "" if i % 3 else "12",  # capacity: empty cells make pandas' nullable integers
                payloads[(i + 4) % len(payloads)],  # opening hours
                payloads[(i + 5) % len(payloads)],  # contact
            ]
        )
    # Without coordinates, and a settlement that matches nothing: listed in services_issues.csv and the report.
    w.writerow(["U-1", "=1+1 unplaced", "kep", "5801", "", "", HTML_PAYLOADS[0], "", "", "", "", "", ""])
    path.write_text(out.getvalue(), encoding="utf-8-sig")
    return names


@pytest.fixture(scope="module")
def payload_run(raw_dir: Path, bundle: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[str]]:
    work = tmp_path_factory.mktemp("payload")
    names = _payload_registry(bundle, work / "payload_registry.csv")
    cfg = pipeline_copy(
        "south_aegean",
        raw_dir,
        work / "processed",
        work,
        **{"access:\n": "access:\n  registry: payload_registry.csv\n"},
    )
    with cfg.open("a", encoding="utf-8") as f:
        f.write("export:\n  formats: [csv, xlsx]\n")
    proc = run_cli("run", str(cfg))
    assert proc.returncode == 0, proc.stderr
    return work / "processed" / "south_aegean", names


@pytest.mark.slow
def test_payload_registry_run_publishes_csvs_without_formulas(payload_run):
    folder, names = payload_run
    services = pd.read_csv(folder / "services.csv", dtype=str, encoding="utf-8-sig", keep_default_na=False)
    assert len(services) >= len(names)  # the payloads reached the outputs...
    csvs = sorted(folder.rglob("*.csv"))
    assert {p.name for p in csvs} >= {
        "services.csv",
        "services_issues.csv",
        "settlement_access.csv",
        "municipalities.csv",
        "deprivation_index.csv",
        "quality.csv",
        "targets.csv",
    }
    neutralised = 0
    for path in csvs:
        with path.open(encoding="utf-8-sig", newline="") as f:
            for r, row in enumerate(csv.reader(f), 1):
                for c, cell in enumerate(row, 1):
                    assert neutralise(cell) == cell, f"{path.name} row {r} column {c}: {cell!r}"
                    neutralised += cell.startswith(tuple("'" + p for p in FORMULA_PREFIXES))
    assert neutralised >= len(FORMULA_PAYLOADS)  # ...and were written as text, not formulas
    issues = (folder / "services_issues.csv").read_text(encoding="utf-8")
    assert "'=1+1 unplaced" in issues


@pytest.mark.slow
def test_payload_registry_run_writes_a_workbook_that_opens(payload_run):
    import openpyxl

    folder, _ = payload_run
    wb = openpyxl.load_workbook(folder / "south_aegean.xlsx")
    assert {"municipalities", "services", "settlement_access", "municipal_access"} <= set(wb.sheetnames)
    ws = wb["services"]
    values = [c.value for row in ws.iter_rows(min_row=2) for c in row]
    assert any(isinstance(v, str) and v.startswith('=HYPERLINK("http://evil') for v in values)  # text, as given
    assert all(c.data_type != "f" for s in wb.worksheets for row in s.iter_rows() for c in row)  # no formula
    head = [c.value for c in ws[1]]
    capacity = head.index(next(h for h in head if h.startswith("Δυναμικότητα") or "capacity" in h.lower()))
    caps = [row[capacity].value for row in ws.iter_rows(min_row=2)]
    assert None in caps and 12 in caps  # empty integers stay empty cells


@pytest.mark.slow
@pytest.mark.browser
def test_payload_registry_map_and_report_run_no_script(payload_run, browser):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select, WebDriverWait

    folder, names = payload_run
    browser.get((folder / "map.html").resolve().as_uri())
    WebDriverWait(browser, BROWSER_TIMEOUT_S).until(
        lambda d: d.execute_script("return document.querySelectorAll('.leaflet-overlay-pane path').length") >= 34
    )
    assert browser.find_element(By.ID, "sp-search-input") and browser.find_element(By.ID, "sp-svc-type")
    shown = _open_every_tooltip_and_popup(browser)
    assert len(shown) > 34 + len(names) + 2 * 900  # municipalities, services, settlements' tooltips and popups
    tips = "|".join(shown)
    missing = [n for n in names if n.strip() not in tips]  # the registry reader strips surrounding whitespace
    assert not missing, "every payload service's tooltip shows its name as text"
    Select(browser.find_element(By.ID, "sp-svc-muni")).select_by_index(1)  # the filter lists names as text
    listed = browser.find_element(By.ID, "sp-svc-list").text
    assert listed  # the filter ran and listed services
    time.sleep(0.5)
    assert _pwned(browser) is None
    assert _page_errors(browser) == []
    browser.get((folder / "report.html").resolve().as_uri())
    WebDriverWait(browser, BROWSER_TIMEOUT_S).until(
        lambda d: d.execute_script("return document.readyState") == "complete"
    )
    assert "=1+1 unplaced" in browser.find_element(By.TAG_NAME, "body").text
    time.sleep(0.5)
    assert _pwned(browser) is None


# ------------------------------------------------------------------------- publication and operations


def test_force_refuses_a_folder_with_a_file_the_tool_never_wrote(raw_dir, tmp_path):
    cfg = pipeline_copy("south_aegean", raw_dir, tmp_path / "processed", tmp_path, lean=True)
    target = tmp_path / "processed" / "south_aegean"
    target.mkdir(parents=True)
    (target / "analysis.xlsx").write_bytes(b"an analyst's own work")
    proc = run_cli("run", str(cfg), "--force")
    assert proc.returncode == 6, proc.stderr
    assert "not published by spatial-poverty" in proc.stderr
    assert (target / "analysis.xlsx").read_bytes() == b"an analyst's own work"
    assert sorted(p.name for p in target.iterdir()) == ["analysis.xlsx"]
    # A run's own folder with a file added later: refused too, naming the file.
    (target / "analysis.xlsx").unlink()
    target.rmdir()
    assert run_cli("run", str(cfg)).returncode == 0
    (target / "notes.txt").write_text("σημειώσεις", encoding="utf-8")
    # A killed run's leftover beside it: cleaned by the next run, which says so in its run.log and manifest.
    (tmp_path / "processed" / ".south_aegean.staging-killed").mkdir()
    proc = run_cli("run", str(cfg), "--force")
    assert proc.returncode == 6 and "(notes.txt)" in proc.stderr, proc.stderr
    assert (target / "notes.txt").read_text(encoding="utf-8") == "σημειώσεις"
    (target / "notes.txt").unlink()
    (tmp_path / "processed" / ".south_aegean.staging-killed").mkdir()
    proc = run_cli("run", str(cfg), "--force")
    assert proc.returncode == 0, proc.stderr
    manifest = json.loads((target / "manifest.json").read_text(encoding="utf-8"))
    assert any(".south_aegean.staging-killed" in line for line in manifest["recovered"])
    assert "before this run: removed" in (target / "run.log").read_text(encoding="utf-8")


def test_sigterm_publishes_nothing_and_releases_the_lock(raw_dir, tmp_path):
    """SIGTERM (cron's and systemd's timeout) mid-run: exit 143, no staging folder or lock left, and the previous
    output unchanged."""
    processed = tmp_path / "processed"
    cfg = pipeline_copy("south_aegean", raw_dir, processed, tmp_path, lean=True)
    assert run_cli("run", str(cfg)).returncode == 0
    before = (processed / "south_aegean" / "manifest.json").read_bytes()
    exe = Path(sys.executable).parent / "spatial-poverty"
    # --no-cache: every stage runs again (from the cache the rerun would be over before the signal)
    proc = subprocess.Popen([str(exe), "run", str(cfg), "--force", "--no-cache"], stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 120
    while not list(processed.glob(".south_aegean.staging-*")) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert proc.poll() is None, "the run ended before it could be terminated"
    time.sleep(1.0)
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 143, err
    assert "terminated (SIGTERM)" in err
    assert sorted(p.name for p in processed.iterdir()) == ["south_aegean"]  # no staging, no lock file
    assert (processed / "south_aegean" / "manifest.json").read_bytes() == before
    assert run_cli("run", str(cfg), "--force").returncode == 0  # the lock was released


def test_a_regional_unit_of_five_municipalities_runs_with_defaults(raw_dir, tmp_path):
    """Drama (regional unit 02, 5 municipalities), every setting left at its default."""
    cfg = tmp_path / "drama.yaml"
    doc = {
        "name": "drama",
        "title": "Δράμα",
        "seed": 1,
        "paths": {"catalogue": str(CATALOGUE), "raw": str(raw_dir), "processed": str(tmp_path / "processed")},
        "area": {"regional_units": ["02"]},
    }
    cfg.write_text(yaml.safe_dump(doc, allow_unicode=True), encoding="utf-8")
    proc = run_cli("run", str(cfg))
    assert proc.returncode == 0, proc.stderr
    manifest = json.loads((tmp_path / "processed" / "drama" / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["counts"]["municipalities"] == 5
    assert manifest["statistics"]["density"]["stability"]["specs"] == ["queen", "knn:4", "distance"]
    assert "knn:6 clipped to knn:4" in (tmp_path / "processed" / "drama" / "run.log").read_text(encoding="utf-8")


def test_validate_refuses_a_source_id_the_catalogue_does_not_list(raw_dir, tmp_path):
    cfg = pipeline_copy(
        "south_aegean", raw_dir, tmp_path / "processed", tmp_path, lean=True,
        **{"population: elstat_2021_population": "population: elstat_2021_populations"},
    )  # fmt: skip
    proc = run_cli("validate", str(cfg))
    assert proc.returncode == 3, proc.stderr
    assert "sources.population: 'elstat_2021_populations'" in proc.stderr
