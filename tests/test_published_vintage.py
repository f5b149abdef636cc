"""Issue 16: what a run publishes says what it rests on, reads as a Greek document, and has no layout defects.

The run tests read the South Aegean and Central Macedonia pipelines as shipped (session fixtures over the bundle).
The layout and formatting units use small self-built figures and numbers.
"""

from __future__ import annotations

import json
import re
import sqlite3
from html.parser import HTMLParser
from pathlib import Path

import pandas as pd
import pyogrio
import pytest
from matplotlib.figure import Figure

from spatial_poverty.explain import EXPLAIN, explain
from spatial_poverty.formatting import integer, number, percent, years_text
from spatial_poverty.maps.layout import declutter, text_defects

# ------------------------------------------------------------------------------------------------- units


def test_greek_and_english_number_format():
    assert integer(327820, "el") == "327.820" and integer(327820, "en") == "327,820"
    assert percent(12.5, 1, "el") == "12,5 %" and percent(0.125, 1, "en", share=True) == "12.5%"
    assert number(-0.0001, 2, "el") == "0,00" and number(-0.004, 2, "en") == "0.00"  # never "-0"
    assert number(-1234.567, 1, "el") == "-1.234,6"
    assert number(float("nan")) == "–" and percent(None) == "–"
    assert years_text([2021, 2011, 2021]) == "2011, 2021" and years_text([]) == "?"


def test_every_explanation_in_both_languages():
    for key, entry in EXPLAIN.items():
        assert set(entry) == {"el", "en"}, key
        assert len(entry["el"]) > 80 and len(entry["en"]) > 80, key
    assert "αιτία" in explain("lisa", "el") and "not a cause" in explain("lisa", "en")
    assert explain("share_within_30min", "en") == EXPLAIN["share_within"]["en"]


def test_text_defects_finds_overlap_and_clipping():
    fig = Figure(figsize=(4, 3))
    ax = fig.add_subplot()
    assert text_defects(fig) == []
    ax.text(0.5, 0.5, "ένα κείμενο", transform=ax.transAxes)
    ax.text(0.52, 0.51, "άλλο κείμενο", transform=ax.transAxes)
    fig.text(0.9, 0.5, "κομμένο στην άκρη του σχήματος")
    defects = text_defects(fig)
    assert any("overlap" in d and "ένα κείμενο" in d and "άλλο κείμενο" in d for d in defects), defects
    assert any("cut at the figure's edge" in d and "κομμένο" in d for d in defects), defects


def test_declutter_moves_colliding_labels():
    fig = Figure(figsize=(4, 3))
    ax = fig.add_subplot()
    ax.set_xlim(0, 10)
    ax.set_ylim(0, 10)
    labels = [
        ax.annotate(name, (5, 5 + 0.05 * i), xytext=(3, 3), textcoords="offset points", fontsize=6)
        for i, name in enumerate(["ΘΕΣΣΑΛΟΝΙΚΗΣ", "ΝΕΑΠΟΛΗΣ - ΣΥΚΕΩΝ", "ΠΑΥΛΟΥ ΜΕΛΑ"])
    ]
    assert text_defects(fig)  # on top of each other
    hidden = declutter(fig, labels)
    assert hidden == 0 and text_defects(fig) == []


# ------------------------------------------------------------------------------------------------- runs


def _manifest(folder: Path) -> dict:
    return json.loads((folder / "manifest.json").read_text(encoding="utf-8"))


@pytest.mark.slow
@pytest.mark.parametrize("run", ["south_aegean_run", "central_macedonia_run"])
def test_no_figure_has_overlapping_or_clipped_text(run, request):
    """Every figure of both regional runs measured as it was saved: the manifest records each one's defects."""
    folder = request.getfixturevalue(run)
    m = _manifest(folder)
    assert set(m["figure_layout"]) == set(m["figures"]) and len(m["figures"]) >= 20
    assert {k: v for k, v in m["figure_layout"].items() if v} == {}


@pytest.mark.slow
def test_every_variable_carries_its_years_and_sources(south_aegean_run):
    m = _manifest(south_aegean_run)
    v = m["vintage"]
    assert v["unemp_2001"]["years"] == [2001] and v["unemp_2001"]["sources"] == ["lctools_gr_municipalities_2001"]
    assert v["pop_change_pct"]["years"] == [2011, 2021] and v["density"]["years"] == [2021]
    assert v["deprivation_index"]["years"] == [2001, 2021]
    assert v["nearest_min_mean"]["years"] == [2019, 2021]
    assert "osm_greece_2019_points" in v["nearest_min_mean"]["sources"]
    # one source line per figure, naming that figure's own sources
    assert "OpenStreetMap" in v["nearest_min_mean"]["line_el"] and "OpenStreetMap" not in v["density"]["line_el"]
    assert v["density"]["line_el"].startswith("Δεδομένα 2021:")
    # field_provenance gives each harmonised field its year
    prov = pyogrio.read_dataframe(south_aegean_run / "south_aegean.gpkg", layer="field_provenance")
    years = dict(zip(prov["field"], prov["data_year"], strict=True))
    assert years["unemp_2001_m"] == "2001" and years["urban_pop_share_2011"] == "2011"
    assert re.fullmatch(r"20\d\d", years["lfs_unemp_rate"])
    # the layers' descriptions (QGIS shows them as the abstract)
    con = sqlite3.connect(south_aegean_run / "south_aegean.gpkg")
    try:
        desc = dict(con.execute("SELECT table_name, description FROM gpkg_contents").fetchall())
    finally:
        con.close()
    assert desc["lisa_unemp_2001"].startswith("Δεδομένα 2001:")
    assert desc["deprivation_index"].startswith("Δεδομένα 2001, 2021:")
    assert "OpenStreetMap" in desc["municipal_access"] and "field_provenance" in desc["municipalities"]


class _Tables(HTMLParser):
    """The text of every table heading cell, and of every numeric cell, of an HTML page."""

    def __init__(self) -> None:
        super().__init__()
        self.th: list[str] = []
        self.num: list[str] = []
        self._cell: str | None = None
        self._buf: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag in ("th", "td"):
            self._cell = "th" if tag == "th" else ("num" if ("class", "num") in attrs else "td")
            self._buf = []

    def handle_endtag(self, tag):
        if tag in ("th", "td") and self._cell:
            text = "".join(self._buf).strip()
            if self._cell == "th":
                self.th.append(text)
            elif self._cell == "num":
                self.num.append(text)
            self._cell = None

    def handle_data(self, data):
        if self._cell:
            self._buf.append(data)


#: Symbols and names that stay as they are in a Greek table heading.
_SYMBOLS = {"I", "E[I]", "z", "LISA", "SHA-256", "E2SFCA", "Gi*"}


@pytest.mark.slow
def test_greek_report_reads_as_a_greek_document(south_aegean_run):
    page = (south_aegean_run / "report.html").read_text(encoding="utf-8")
    tables = _Tables()
    tables.feed(page)
    english = [h for h in tables.th if h not in _SYMBOLS and re.search(r"[A-Za-z]{3,}", h.replace("LISA", ""))]
    assert english == [], english
    # Greek number format: thousands with a dot, decimals with a comma, no "-0"
    assert "327.820" in page and "327,820" not in page
    decimals = [c for c in tables.num if re.fullmatch(r"-?[\d.]+,\d+", c)]
    assert len(decimals) > 100
    assert not [c for c in tables.num if re.fullmatch(r"-?\d+\.\d+", c)], "a decimal point in the Greek report"
    assert not re.search(r">-0(,0+)?<", page)
    assert "%" in page and re.search(r"\d,\d %", page)


@pytest.mark.slow
def test_report_states_what_the_index_rests_on(south_aegean_run):
    """The index section names its inputs' years and weights; the warning box opens the report because 85 % of
    the recipe's weight (and 89 % of its effective weight) rests on the 2001 census."""
    m = _manifest(south_aegean_run)
    rec = m["index"]["recipe"]
    assert rec["old_share_nominal"] == pytest.approx(0.85) and rec["warning"] is True
    assert rec["old_share_effective"] > 0.5
    eff = [r["effective_weight"] for r in rec["inputs"]]
    assert sum(eff) == pytest.approx(1.0, abs=1e-5) and all(0 <= e <= 1 for e in eff)
    page = (south_aegean_run / "report.html").read_text(encoding="utf-8")
    box = page.index('id="old-data-warning"')
    assert box < page.index('id="run"')  # at the top
    assert "85 %" in page[box : box + 2000] and "2001" in page[box : box + 2000]
    recipe = page[page.index('id="recipe"') :]
    recipe = recipe[: recipe.index("</table>")]
    assert recipe.count("<tr") == 1 + len(rec["inputs"]) and "2001" in recipe and "2021" in recipe
    # every measure explained where it is shown
    for key in ("moran", "lisa", "gistar", "bilisa", "deprivation_index", "e2sfca", "gini", "access_class"):
        assert explain(key, "el")[:60] in page, key
    # access: the services' source and date, and the ferry assumption
    access = page[page.index('id="access"') :]
    assert "2019" in access[:3000] and "24 ωρών" in access


@pytest.mark.slow
def test_map_legend_and_info_per_layer(south_aegean_run):
    page = (south_aegean_run / "map.html").read_text(encoding="utf-8")
    boxes = re.findall(r'<div class="sp-legend" id="sp-legend-\d+" style="display:(\w+)">', page)
    assert boxes.count("block") == 1 and len(boxes) >= 10  # only the layer shown at first has its legend shown
    assert "Δεδομένα 2001:" in page and "Πώς διαβάζεται" in page
    assert "overlayadd" in page and "overlayremove" in page


@pytest.mark.slow
def test_csv_twins_open_in_greek_excel(south_aegean_run):
    """Every CSV a run publishes has an .xlsx beside it with the same cells (Greek Excel reads it without asking
    for a separator or an encoding)."""
    csvs = sorted(south_aegean_run.glob("*.csv"))
    assert len(csvs) >= 3
    for csv in csvs:
        xlsx = csv.with_suffix(".xlsx")
        assert xlsx.is_file(), xlsx.name
        a = pd.read_csv(csv, encoding="utf-8-sig", dtype=str, keep_default_na=False)
        b = pd.read_excel(xlsx, dtype=str, keep_default_na=False, engine="openpyxl")
        assert list(b.columns) == list(a.columns) and len(b) == len(a), csv.name
