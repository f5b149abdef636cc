"""The interactive map in headless Chromium with the network off: polygons drawn, tooltips, layer control, search.

Needs Debian's ``chromium`` and ``chromium-driver`` (``.ci/run`` installs them). Under ``CI=true`` a missing
browser fails these tests instead of skipping them. Screenshots are written into the test's temporary folder.
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
from PIL import Image
from shapely.geometry import box

from spatial_poverty.maps import IndicatorLayer, interactive_map, write_map

from .conftest import BROWSER_TIMEOUT_S as TIMEOUT_S

pytestmark = pytest.mark.browser


@pytest.fixture
def fixture_map(tmp_path: Path) -> Path:
    """Fixture (self-built): six squares near Syros with Greek names, a LISA, a Gi* and an index table."""
    codes = [f"58{i:02d}" for i in range(1, 7)]
    idx = pd.Index(codes, name="code")
    m = gpd.GeoDataFrame(
        {
            "name_el": ["Σύρος", "Άνδρος", "Τήνος", "Μύκονος", "Κέα", "Κύθνος"],
            "name_en": [f"M {i}" for i in range(6)],
            "density": [10.0, 20, 30, 40, 50, 60],
        },
        geometry=[box(590000 + 12000 * i, 4140000, 600000 + 12000 * i, 4150000) for i in range(6)],
        crs=2100,
        index=idx,
    )
    lisa = pd.DataFrame({"cluster_el": ["Υψηλό-Υψηλό"] + ["μη σημαντικό"] * 5, "p_sim": [0.01] + [0.5] * 5}, index=idx)
    gistar = pd.DataFrame(
        {"gi_z": [2.9, 0, 0, 0, -2, 0], "gi_p": [0.004, 1, 1, 1, 0.04, 1], "gi_bin": [3, 0, 0, 0, -2, 0]}
    )
    gistar.index = idx
    index = pd.DataFrame(
        {
            "score": [0.5, 0.1, -0.2, 0.3, -0.9, 0.0],
            "rank": [1, 3, 5, 2, 6, 4],
            "decile": [1, 4, 8, 2, 10, 6],
            "rank_p05": [1, 2, 4, 1, 5, 3],
            "rank_p95": [2, 4, 6, 3, 6, 5],
            "p_worst_decile": [0.7, 0.0, 0.0, 0.2, 0.0, 0.0],
        },
        index=idx,
    )
    fmap = interactive_map(
        m,
        title="Τεστ χάρτης",
        indicators=[IndicatorLayer("density", "Πυκνότητα", "κάτ./km²")],
        lisa={"density": lisa},
        gistar={"density": gistar},
        index=index,
    )
    return write_map(fmap, tmp_path / "map.html")


def _open(driver, path: Path, n_paths: int) -> None:
    from selenium.webdriver.support.ui import WebDriverWait

    driver.get(path.resolve().as_uri())
    WebDriverWait(driver, TIMEOUT_S).until(
        lambda d: d.execute_script("return document.querySelectorAll('.leaflet-overlay-pane path').length") >= n_paths
    )


def _page_errors(driver) -> list[str]:
    """Errors the page's scripts raised (a script that stops half-way leaves later controls unbuilt)."""
    return [e["message"] for e in driver.get_log("browser") if e["level"] == "SEVERE"]


def _network_requests(driver) -> list[str]:
    return driver.execute_script(
        "return performance.getEntriesByType('resource').map(e => e.name).filter(n => !n.startsWith('data:'))"
    )


def _click_shows_tooltip(driver, index: int = 0) -> str:
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    paths = driver.find_elements(By.CSS_SELECTOR, ".leaflet-overlay-pane path")
    ActionChains(driver).move_to_element(paths[index]).click().perform()
    WebDriverWait(driver, TIMEOUT_S).until(lambda d: d.find_elements(By.CSS_SELECTOR, ".leaflet-tooltip"))
    return driver.find_element(By.CSS_SELECTOR, ".leaflet-tooltip").text


def _screenshot(driver, path: Path) -> None:
    driver.save_screenshot(str(path))
    with Image.open(path) as im:
        colours = im.convert("RGB").getcolors(maxcolors=1_000_000) or []
    assert len(colours) > 10, "the screenshot is blank"


def test_fixture_map_offline(browser, fixture_map, tmp_path):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys
    from selenium.webdriver.support.ui import WebDriverWait

    _open(browser, fixture_map, 6)
    assert browser.execute_script("return typeof L") == "object"  # Leaflet came from the file itself
    assert _network_requests(browser) == []
    text = _click_shows_tooltip(browser)
    assert "Δήμος" in text and "Πυκνότητα" in text
    control = browser.find_element(By.CSS_SELECTOR, ".leaflet-control-layers").text
    for name in ("Πυκνότητα", "Συστάδες LISA", "Gi*", "Δείκτης αποστέρησης"):
        assert name in control, control
    # Search by name, without accents and in lower case.
    box_ = browser.find_element(By.ID, "sp-search-input")
    box_.send_keys("μυκονος", Keys.ENTER)
    WebDriverWait(browser, TIMEOUT_S).until(lambda d: d.execute_script("return window.spSearchResult") == "Μύκονος")
    tips = [t.get_attribute("textContent") for t in browser.find_elements(By.CSS_SELECTOR, ".leaflet-tooltip")]
    assert any("Μύκονος" in t for t in tips), tips
    box_.clear()
    box_.send_keys("Ατλαντίδα", Keys.ENTER)
    WebDriverWait(browser, TIMEOUT_S).until(lambda d: "Δεν βρέθηκε" in d.find_element(By.ID, "sp-search-status").text)

    # Legends follow the visible layers (issue 16): only the shown layer's legend at first; switching the index
    # layer on shows its legend too, with its explanation folded inside.
    def visible_legends() -> list[str]:
        return [e.text.split("\n")[0] for e in browser.find_elements(By.CSS_SELECTOR, ".sp-legend") if e.is_displayed()]

    assert visible_legends() == ["Πυκνότητα"]
    label = next(
        el
        for el in browser.find_elements(By.CSS_SELECTOR, ".leaflet-control-layers-overlays label")
        if "Δείκτης αποστέρησης" in el.text
    )
    label.click()
    WebDriverWait(browser, TIMEOUT_S).until(lambda d: "Δείκτης αποστέρησης" in visible_legends())
    assert "Πώς διαβάζεται" in browser.find_element(By.ID, "sp-legend-3").text
    label.click()
    WebDriverWait(browser, TIMEOUT_S).until(lambda d: visible_legends() == ["Πυκνότητα"])
    assert _page_errors(browser) == []
    label.click()
    _screenshot(browser, tmp_path / "fixture_map.png")


@pytest.mark.slow
def test_south_aegean_map_offline(browser, south_aegean_run, tmp_path):
    from selenium.webdriver.common.by import By

    services = gpd.read_file(south_aegean_run / "south_aegean.gpkg", layer="services")
    measured = services[services["duplicate_of"].fillna("") == ""]
    _open(browser, south_aegean_run / "map.html", 34)
    n = browser.execute_script("return document.querySelectorAll('.leaflet-overlay-pane path').length")
    assert n == 34 + len(measured)  # one path per municipality of the layer shown, one marker per service
    assert _network_requests(browser) == []
    text = _click_shows_tooltip(browser, 5)
    assert "Δήμος" in text and "ΔΗΜΟΣ" in text
    assert browser.find_element(By.ID, "sp-search-input")
    assert _page_errors(browser) == []
    # Services searchable by type and municipality (issue 8): choosing a type keeps only its services.
    from selenium.webdriver.support.ui import Select

    Select(browser.find_element(By.ID, "sp-svc-type")).select_by_value("pharmacy")
    assert browser.execute_script("return window.spServiceSearch") == int((measured["type"] == "pharmacy").sum())
    assert browser.find_element(By.ID, "sp-svc-count").text.startswith(str((measured["type"] == "pharmacy").sum()))
    # The settlements' layer (nearest services on click) is in the layer control.
    labels = [e.text for e in browser.find_elements(By.CSS_SELECTOR, ".leaflet-control-layers-overlays label")]
    assert any("Οικισμοί" in t for t in labels), labels
    assert _page_errors(browser) == []
    _screenshot(browser, tmp_path / "south_aegean_map.png")
