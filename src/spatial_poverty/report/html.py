"""The run report (``report.html``): one self-contained page, in Greek by default or in English.

Built from a run's folder (staging or published): the manifest says what was run on which data; the GeoPackage
gives the municipalities, the LISA clusters and, when the run computed them, the deprivation index and Gi*
hot spots; ``quality.csv`` (when present) the data-quality checks; ``targets.csv`` the target table; the
figures are inlined as base64 PNG, so the file needs nothing beside it.
"""

from __future__ import annotations

import base64
import logging
import os
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import jinja2
import pandas as pd
from markupsafe import Markup

from spatial_poverty.explain import explain
from spatial_poverty.export.schema import variable_titles
from spatial_poverty.formatting import MISSING, integer, number, percent, years_text
from spatial_poverty.report.access import access_section
from spatial_poverty.report.changes import changes_section, partial_warning
from spatial_poverty.report.layers import FIGURES_DIR, RunLayers, read_run_layers
from spatial_poverty.report.registers import registers_section
from spatial_poverty.report.sae import sae_section

if TYPE_CHECKING:
    from spatial_poverty.maps.static import Lang

from spatial_poverty.stats.labels import CLUSTER_EL, NOT_SIGNIFICANT

__all__ = ["TEXT", "build_report", "write_report"]

logger = logging.getLogger(__name__)


#: Every fixed text of the report, per language.
TEXT: dict[str, dict[str, str]] = {
    "el": {
        "report": "Έκθεση εκτέλεσης",
        "what": "Τι εκτελέστηκε",
        "pipeline": "Ροή εργασιών",
        "run_id": "Κωδικός εκτέλεσης",
        "started": "Έναρξη",
        "finished": "Λήξη",
        "config": "Αρχείο ρυθμίσεων",
        "seed": "Σπόρος τυχαιότητας",
        "area": "Περιοχή",
        "indicators": "Δείκτες",
        "weights": "Χωρικά βάρη",
        "statistics": "Στατιστικά",
        "inputs": "Δεδομένα εισόδου",
        "source_id": "Πηγή",
        "publisher": "Φορέας",
        "licence": "Άδεια",
        "file": "Αρχείο",
        "count": "Δήμοι",
        "population": "Πληθυσμός 2021",
        "versions": "Εκδόσεις λογισμικού",
        "deprived": "Οι πιο αποστερημένοι δήμοι",
        "deprived_none": "Ο δείκτης αποστέρησης δεν υπολογίστηκε σε αυτή την εκτέλεση.",
        "rank": "Κατάταξη",
        "band": "Ζώνη κατάταξης 5%–95%",
        "decile": "Δεκατημόριο",
        "p_worst": "Πιθανότητα στο χειρότερο δεκατημόριο",
        "score": "Τιμή δείκτη",
        "municipality": "Δήμος",
        "rank_note": "Κατάταξη 1 = ο πιο αποστερημένος δήμος. Η ζώνη δείχνει το 5ο και 95ο εκατοστημόριο της "
        "κατάταξης στις προσομοιώσεις Monte Carlo του δείκτη: δήμοι με επικαλυπτόμενες ζώνες δεν διακρίνονται "
        "με ασφάλεια.",
        "clusters": "Χωρικές συστάδες",
        "moran": "Ολικός δείκτης Moran",
        "variable": "Μεταβλητή",
        "p_sim": "ψευδο-p (μεταθέσεις)",
        "lisa_members": "Δήμοι σε σημαντικές συστάδες LISA",
        "rule_q": "Σημαντικός είναι ένας δήμος με q ≤ {alpha}: η ψευδο-p των μεταθέσεων διορθωμένη για τους πολλούς "
        "ταυτόχρονους ελέγχους ({correction}).",
        "rule_p": "Σημαντικός είναι ένας δήμος με ψευδο-p ≤ {alpha}, χωρίς διόρθωση για τους πολλούς ταυτόχρονους "
        "ελέγχους.",
        "rule_count": "{label}: LISA {n} δήμοι ({other} ≤ {alpha}: {n_other})",
        "rule_count_gi": "; Gi* {n} ({other} ≤ {alpha}: {n_other})",
        "bilisa": "Δισδιάστατες συστάδες",
        "none_significant": "κανένας δήμος σε σημαντική συστάδα",
        "gistar": "Θερμά και ψυχρά σημεία (Getis-Ord Gi*)",
        "quality": "Ποιότητα δεδομένων",
        "quality_none": "Δεν υπάρχει αναφορά ποιότητας δεδομένων σε αυτή την εκτέλεση.",
        "targets": "Παρακολούθηση στόχων",
        "targets_none": "Δεν ορίστηκε αρχείο στόχων για αυτή τη ροή.",
        "indicator": "Δείκτης",
        "baseline": "Βάση",
        "target": "Στόχος",
        "latest": "Τελευταία τιμή",
        "progress": "Πρόοδος",
        "expected": "Αναμενόμενη",
        "status": "Κατάσταση",
        "municipalities": "Οι δήμοι της περιοχής",
        "maps": "Χάρτες",
        "sources": "Πηγές",
        "made_with": "Δημιουργήθηκε από το spatial_poverty",
        "contiguity": "γειτνίαση",
        "island_policy": "νησιά",
        "permutations": "μεταθέσεις",
        "components": "συνιστώσες",
        "isolates": "απομονωμένοι",
        "code": "Κωδικός",
        "data_year": "Έτος δεδομένων",
        "warning": "Προσοχή: δεδομένα παλαιότερα των {years} ετών",
        "warning_text": "Το {share} του βάρους του δείκτη «{index}» (ονομαστικό {nominal}, πραγματικό {effective}) "
        "στηρίζεται σε δεδομένα παλαιότερα των {years} ετών το {ref} ({inputs}). Η κατάταξη περιγράφει τους δήμους "
        "όπως ήταν τότε: διαβάστε την ως ιστορική εικόνα και όχι ως τη σημερινή κατάσταση.",
        "recipe": "Συνταγή του δείκτη",
        "input": "Είσοδος",
        "nominal": "Ονομαστικό βάρος",
        "effective": "Πραγματικό βάρος",
        "recipe_note": "Ονομαστικό βάρος: αυτό που δίνει η συνταγή. Πραγματικό βάρος: πόσο εξηγεί κάθε είσοδος τον "
        "υπολογισμένο δείκτη (τετράγωνο της συσχέτισης με τον δείκτη, ως μερίδιο· Paruolo, Saisana & Saltelli "
        "2013). Επισημαίνονται οι είσοδοι παλαιότερες των {years} ετών το {ref}.",
        "explain": "Πώς διαβάζεται",
        "sources_fig": "Πηγή",
    },
    "en": {
        "report": "Run report",
        "what": "What was run",
        "pipeline": "Pipeline",
        "run_id": "Run id",
        "started": "Started",
        "finished": "Finished",
        "config": "Configuration file",
        "seed": "Seed",
        "area": "Area",
        "indicators": "Indicators",
        "weights": "Spatial weights",
        "statistics": "Statistics",
        "inputs": "Input data",
        "source_id": "Source",
        "publisher": "Publisher",
        "licence": "Licence",
        "file": "File",
        "count": "Municipalities",
        "population": "Population 2021",
        "versions": "Software versions",
        "deprived": "The most deprived municipalities",
        "deprived_none": "The deprivation index was not computed in this run.",
        "rank": "Rank",
        "band": "Rank band 5%–95%",
        "decile": "Decile",
        "p_worst": "Probability in the worst decile",
        "score": "Index score",
        "municipality": "Municipality",
        "rank_note": "Rank 1 = most deprived. The band gives the 5th and 95th percentiles of the rank over the "
        "index's Monte Carlo runs: municipalities whose bands overlap cannot be told apart with confidence.",
        "clusters": "Spatial clusters",
        "moran": "Global Moran's I",
        "variable": "Variable",
        "p_sim": "pseudo p (permutations)",
        "lisa_members": "Municipalities in significant LISA clusters",
        "rule_q": "A municipality is significant when q ≤ {alpha}: its permutation pseudo p-value adjusted for the "
        "many simultaneous tests ({correction}).",
        "rule_p": "A municipality is significant when its pseudo p-value ≤ {alpha}, without adjustment for the many "
        "simultaneous tests.",
        "rule_count": "{label}: LISA {n} municipalities (under {other} ≤ {alpha}: {n_other})",
        "rule_count_gi": "; Gi* {n} (under {other} ≤ {alpha}: {n_other})",
        "bilisa": "Bivariate clusters",
        "none_significant": "no municipality in a significant cluster",
        "gistar": "Hot and cold spots (Getis-Ord Gi*)",
        "quality": "Data quality",
        "quality_none": "This run has no data-quality report.",
        "targets": "Target monitoring",
        "targets_none": "No targets file is configured for this pipeline.",
        "indicator": "Indicator",
        "baseline": "Baseline",
        "target": "Target",
        "latest": "Latest value",
        "progress": "Progress",
        "expected": "Expected",
        "status": "Status",
        "municipalities": "The municipalities of the area",
        "maps": "Maps",
        "sources": "Sources",
        "made_with": "Made with spatial_poverty",
        "contiguity": "contiguity",
        "island_policy": "islands",
        "permutations": "permutations",
        "components": "components",
        "isolates": "isolates",
        "code": "Code",
        "data_year": "Data year",
        "warning": "Warning: data older than {years} years",
        "warning_text": '{share} of the weight of the index "{index}" (nominal {nominal}, effective {effective}) '
        "rests on data older than {years} years in {ref} ({inputs}). The ranking describes the municipalities as "
        "they were then: read it as a historical picture, not as the present situation.",
        "recipe": "The index recipe",
        "input": "Input",
        "nominal": "Nominal weight",
        "effective": "Effective weight",
        "recipe_note": "Nominal weight: what the recipe gives. Effective weight: how much of the computed index each "
        "input explains (squared correlation with the index, as a share; Paruolo, Saisana & Saltelli 2013). Inputs "
        "older than {years} years in {ref} are marked.",
        "explain": "How to read it",
        "sources_fig": "Source",
    },
}

_QUALITY_HEADERS_EL = {
    "source": "Πηγή",
    "check": "Έλεγχος",
    "rows_read": "Γραμμές",
    "matched": "Αντιστοιχίστηκαν",
    "unmatched": "Χωρίς αντιστοίχιση",
    "out_of_range": "Εκτός ορίων",
    "duplicates": "Διπλότυπα",
    "suppressed": "Κενά/αποκρυμμένα",
    "detail": "Λεπτομέρειες",
}
_QUALITY_CHECKS_EL = {
    "boundaries joined to population on the ELSTAT 2021 code": "όρια συνδεδεμένα με πληθυσμό (κωδικός ΕΛΣΤΑΤ 2021)",
    "population rows (level 5) joined to boundaries": "γραμμές πληθυσμού (επίπεδο 5) συνδεδεμένες με όρια",
    "2011 polygons linked to ELSTAT 2011 codes": "πολύγωνα 2011 συνδεδεμένα με κωδικούς ΕΛΣΤΑΤ 2011",
    "YPES-ELSTAT 2011 link (overlap, name)": "σύνδεση ΥΠΕΣ-ΕΛΣΤΑΤ 2011 (επικάλυψη, όνομα)",
    "2011 polygon covering a 2021 unit": "πολύγωνο 2011 που καλύπτει μονάδα 2021",
    "name of a 1:1 pair": "όνομα ζεύγους 1:1",
    "community populations": "πληθυσμοί κοινοτήτων",
    "community transfer": "μεταφορά κοινοτήτων",
    "2011 municipalities linked through the crosswalk": "δήμοι 2011 συνδεδεμένοι μέσω του πίνακα αντιστοίχισης",
    "2001 variables on 2011 units": "μεταβλητές 2001 σε μονάδες 2011",
    "regional context table": "πίνακας περιφερειακού πλαισίου",
}

_STATUS_EL = {
    "reached": "επιτεύχθηκε",
    "on track": "σε τροχιά",
    "off track": "εκτός τροχιάς",
    "no data": "χωρίς στοιχεία",
}
_STATUS_CLASS = {"reached": "reached", "on track": "ontrack", "off track": "offtrack", "no data": "nodata"}
_GI_EL = {3: "θερμό 99%", 2: "θερμό 95%", 1: "θερμό 90%", -1: "ψυχρό 90%", -2: "ψυχρό 95%", -3: "ψυχρό 99%"}
_GI_EN = {3: "hot 99%", 2: "hot 95%", 1: "hot 90%", -1: "cold 90%", -2: "cold 95%", -3: "cold 99%"}

_TEMPLATE = """<!DOCTYPE html>
<html lang="{{ lang }}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{ t.report }}: {{ title }}</title>
<style>
body { font-family: "DejaVu Sans", "Noto Sans", Arial, sans-serif; margin: 2em auto; max-width: 60em; color: #222;
       line-height: 1.45; padding: 0 1em; }
h1 { font-size: 1.5em; margin-bottom: .2em; } h2 { font-size: 1.2em; border-bottom: 1px solid #ccc;
     margin-top: 2em; } h3 { font-size: 1.02em; }
table { border-collapse: collapse; margin: .6em 0; font-size: .88em; }
th, td { border: 1px solid #ccc; padding: .25em .5em; text-align: left; vertical-align: top; }
th { background: #f2f2f2; } td.num { text-align: right; font-variant-numeric: tabular-nums; }
tr.top td { background: #fde0dd; }
.status { padding: 0 .4em; border-radius: 3px; white-space: nowrap; }
.reached { background: #1a9641; color: white; } .ontrack { background: #a6d96a; }
.offtrack { background: #d7191c; color: white; } .nodata { background: #bdbdbd; }
figure { margin: 1em 0; } figure img { max-width: 100%; height: auto; border: 1px solid #eee; }
figure.narrow img { max-width: 60%; }
figcaption { font-size: .85em; color: #555; } .small { font-size: .82em; color: #555; }
code { font-size: .9em; }
.warning { border: 2px solid #b35806; background: #fee0b6; padding: .4em 1em; margin: 1em 0; }
.warning h2 { border: none; margin-top: .2em; color: #7f3b08; }
.explain { font-size: .9em; background: #f7f7f7; padding: .4em .8em; border-left: 3px solid #999; }
tr.old td { background: #fff3e0; }
</style>
</head>
<body>
<header>
<h1>{{ title }}</h1>
<p class="small">{{ t.report }} · {{ t.run_id }} <code>{{ m.run_id }}</code> · {{ m.started_at }}</p>
</header>
{{ partial }}
{% if warning %}<aside class="warning" id="old-data-warning" role="alert">
<h2>{{ warning.title }}</h2>
<p>{{ warning.text }}</p>
</aside>{% endif %}

<section id="run">
<h2>{{ t.what }}</h2>
<table>
<tr><th>{{ t.pipeline }}</th><td><code>{{ m.pipeline }}</code></td></tr>
<tr><th>{{ t.config }}</th><td><code>{{ m.config_file }}</code><br>
<span class="small">SHA-256 {{ m.config_sha256 }}</span></td></tr>
<tr><th>{{ t.started }} / {{ t.finished }}</th><td>{{ m.started_at }} / {{ m.finished_at }}</td></tr>
<tr><th>{{ t.seed }}</th><td>{{ m.seed }}</td></tr>
<tr><th>{{ t.area }}</th><td>{{ area }}</td></tr>
<tr><th>{{ t.count }}</th><td>{{ m.counts.municipalities }}
({{ t.population }}: {{ pop2021 }})</td></tr>
<tr><th>{{ t.indicators }}</th><td>{{ indicators }}</td></tr>
<tr><th>{{ t.weights }}</th><td>{{ weights }}</td></tr>
<tr><th>{{ t.statistics }}</th><td>{{ statistics }}</td></tr>
</table>
<h3>{{ t.inputs }}</h3>
<table>
<tr><th>{{ t.source_id }}</th><th>{{ t.file }}</th><th>{{ t.publisher }}</th><th>{{ t.licence }}</th>
<th>SHA-256</th></tr>
{% for i in m.inputs %}<tr><td><code>{{ i.id }}</code></td><td>{{ i.path }}</td><td>{{ i.publisher }}</td>
<td>{{ i.licence }}</td><td><code>{{ i.sha256[:16] }}…</code></td></tr>
{% endfor %}</table>
<p class="small">{{ t.versions }}: {{ versions }}</p>
</section>

{{ changes }}

<section id="deprived">
<h2>{{ t.deprived }}</h2>
{% if index is not none %}
<p class="explain"><b>{{ t.explain }}:</b> {{ ex.deprivation_index }} {{ ex.rank_band }}</p>
{% if recipe %}<h3>{{ t.recipe }}</h3>
<p class="small">{{ recipe.note }}</p>
<table id="recipe">
<tr><th>{{ t.input }}</th><th>{{ t.data_year }}</th><th>{{ t.source_id }}</th><th>{{ t.nominal }}</th>
<th>{{ t.effective }}</th></tr>
{% for r in recipe.rows %}<tr{% if r.old %} class="old"{% endif %}><td>{{ r.label }}</td><td>{{ r.years }}</td>
<td>{{ r.sources }}</td><td class="num">{{ r.nominal }}</td><td class="num">{{ r.effective }}</td></tr>
{% endfor %}</table>{% endif %}
<p class="small">{{ t.rank_note }}</p>
<table>
<tr><th>{{ t.rank }}</th><th>{{ t.municipality }}</th><th>{{ t.score }}</th><th>{{ t.band }}</th>
<th>{{ t.decile }}</th><th>{{ t.p_worst }}</th></tr>
{% for r in index %}<tr{% if r.decile == 1 %} class="top"{% endif %}><td class="num">{{ r.rank }}</td>
<td>{{ r.name }}</td><td class="num">{{ r.score }}</td><td class="num">{{ r.band }}</td>
<td class="num">{{ r.decile }}</td><td class="num">{{ r.p_worst }}</td></tr>
{% endfor %}</table>
{% for f in figures.index %}{{ f }}{% endfor %}
{% else %}<p>{{ t.deprived_none }}</p>{% endif %}
</section>

<section id="clusters">
<h2>{{ t.clusters }}</h2>
<p class="explain"><b>{{ t.explain }}:</b> {{ ex.moran }}</p>
<table>
<tr><th>{{ t.variable }}</th><th>{{ t.data_year }}</th><th>I</th><th>E[I]</th><th>z</th><th>{{ t.p_sim }}</th>
<th>LISA</th></tr>
{% for r in moran %}<tr><td>{{ r.label }}</td><td>{{ r.years }}</td><td class="num">{{ r.I }}</td>
<td class="num">{{ r.EI }}</td>
<td class="num">{{ r.z }}</td><td class="num">{{ r.p }}</td><td>{{ r.counts }}</td></tr>
{% endfor %}</table>
{% if rule %}<p class="rule">{{ rule.text }}</p>
<ul>{% for r in rule.counts %}<li>{{ r }}</li>{% endfor %}</ul>{% endif %}
<h3>{{ t.lisa_members }}</h3>
<p class="explain"><b>{{ t.explain }}:</b> {{ ex.lisa }}</p>
<ul>
{% for r in lisa_members %}<li><b>{{ r.label }}</b>: {{ r.text }}</li>
{% endfor %}</ul>
{% for f in figures.lisa %}{{ f }}{% endfor %}
{% if gistar %}
<h3>{{ t.gistar }}</h3>
<p class="explain"><b>{{ t.explain }}:</b> {{ ex.gistar }}</p>
<ul>
{% for r in gistar %}<li><b>{{ r.label }}</b>: {{ r.text }}</li>
{% endfor %}</ul>
{% for f in figures.gistar %}{{ f }}{% endfor %}
{% endif %}
{% if bilisa %}
<h3>{{ t.bilisa }}</h3>
<p class="explain"><b>{{ t.explain }}:</b> {{ ex.bilisa }}</p>
<ul>
{% for r in bilisa %}<li><b>{{ r.label }}</b>: {{ r.text }}</li>
{% endfor %}</ul>
{% for f in figures.bilisa %}{{ f }}{% endfor %}
{% endif %}
</section>

{{ access }}
{{ registers }}
{{ sae }}
<section id="quality">
<h2>{{ t.quality }}</h2>
{% if quality is not none %}
<table>
<tr>{% for c in quality.columns %}<th>{{ c }}</th>{% endfor %}</tr>
{% for row in quality.rows %}<tr>{% for v in row %}<td>{{ v }}</td>{% endfor %}</tr>
{% endfor %}</table>
{% else %}<p>{{ t.quality_none }}</p>{% endif %}
</section>

<section id="targets">
<h2>{{ t.targets }}</h2>
{% if targets is not none %}
<table>
<tr><th>{{ t.indicator }}</th><th>{{ t.area }}</th><th>{{ t.baseline }}</th><th>{{ t.target }}</th>
<th>{{ t.latest }}</th><th>{{ t.progress }}</th><th>{{ t.expected }}</th><th>{{ t.status }}</th></tr>
{% for r in targets %}<tr><td>{{ r.label }}<br><span class="small">{{ r.source }}</span></td><td>{{ r.area }}</td>
<td class="num">{{ r.baseline }}</td><td class="num">{{ r.target }}</td><td class="num">{{ r.latest }}</td>
<td class="num">{{ r.progress }}</td><td class="num">{{ r.expected }}</td>
<td><span class="status {{ r.css }}">{{ r.status }}</span></td></tr>
{% endfor %}</table>
{% for f in figures.targets %}{{ f }}{% endfor %}
{% else %}<p>{{ t.targets_none }}</p>{% endif %}
</section>

<section id="municipalities">
<h2>{{ t.municipalities }}</h2>
<table>
<tr>{% for c in munis.columns %}<th>{{ c }}</th>{% endfor %}</tr>
{% for row in munis.rows %}<tr>{% for v in row %}
<td{% if loop.index > 2 %} class="num"{% endif %}>{{ v }}</td>{% endfor %}</tr>
{% endfor %}</table>
{% for f in figures.choropleth %}{{ f }}{% endfor %}
</section>

<footer>
<h2>{{ t.sources }}</h2>
<p class="small">{{ attribution }}</p>
<p class="small">{{ t.made_with }} {{ m.versions.spatial_poverty }}.</p>
</footer>
</body>
</html>
"""


def _fmt(v: Any, digits: int = 2, lang: str = "el") -> str:
    if v is None or (isinstance(v, float) and pd.isna(v)) or v is pd.NA:
        return MISSING
    if isinstance(v, float | int) and not isinstance(v, bool):
        return number(v, digits, lang)
    return str(v)


def _figure(path: Path, caption: str, *, narrow: bool = False) -> Markup:
    data = base64.b64encode(path.read_bytes()).decode("ascii")
    return Markup(
        '<figure{n}><img alt="{c}" src="data:image/png;base64,{d}"><figcaption>{c}</figcaption></figure>'
    ).format(c=caption, d=data, n=Markup(' class="narrow"') if narrow else "")


def _short(name: str) -> str:
    return name.removeprefix("ΔΗΜΟΣ ").strip()


def build_report(
    folder: str | os.PathLike[str],
    manifest: Mapping[str, Any],
    *,
    lang: Lang = "el",
    layers: RunLayers | None = None,
) -> str:
    """The HTML text of the report of the run in ``folder``.

    Parameters
    ----------
    folder : path
        A run's output (or staging) folder: ``<pipeline>.gpkg``, ``figures/``, optionally ``targets.csv`` and
        ``quality.csv``.
    manifest : mapping
        The run's manifest (``manifest.json``).
    lang : {"el", "en"}
    layers : RunLayers, optional
        Already read layers (read from the GeoPackage otherwise).
    """
    folder = Path(folder)
    t = TEXT[lang]
    el = lang == "el"

    def fmt(v: Any, digits: int = 2) -> str:
        return _fmt(v, digits, lang)

    layers = layers or read_run_layers(folder / f"{manifest['pipeline']}.gpkg")
    munis = layers.municipalities
    names = munis["name_el"] if el or "name_en" not in munis.columns else munis["name_en"]
    names = names.astype(str).map(_short)
    cfg = manifest.get("config", {})
    from spatial_poverty.pipeline.config import INDICATORS  # here: the pipeline package imports this module

    def label(col: str) -> str:
        if col in INDICATORS and el:
            return INDICATORS[col][0]
        title_el, title_en = variable_titles(col)
        return title_el if el else title_en

    figures_dir = folder / FIGURES_DIR
    figs: dict[str, list[Markup]] = {
        "index": [], "lisa": [], "gistar": [], "bilisa": [], "targets": [], "choropleth": []
    }  # fmt: skip
    for name, files in manifest.get("figures", {}).items():
        png = next((folder / f for f in files if f.endswith(".png")), None)
        if png is None or not png.is_file():
            continue
        kind = name.split("_", 1)[0]
        var = name.split("_", 1)[1] if "_" in name else ""
        if name == "choropleth_deprivation_index":
            figs["index"].append(_figure(png, t["deprived"]))
        elif kind in ("lisa", "significance", "moran"):
            caption = {"lisa": "LISA", "significance": t["p_sim"], "moran": "Moran"}[kind]
            figs["lisa"].append(_figure(png, f"{caption}: {label(var)}", narrow=kind == "moran"))
        elif kind == "gistar":
            figs["gistar"].append(_figure(png, f"Gi*: {label(var)}"))
        elif kind == "bilisa":
            figs["bilisa"].append(_figure(png, f"LISA: {label(var)}"))
        elif kind == "targets":
            figs["targets"].append(_figure(png, t["targets"]))
        elif kind == "choropleth":
            figs["choropleth"].append(_figure(png, label(var)))
    if not manifest.get("figures") and figures_dir.is_dir():
        logger.warning("report: the manifest lists no figures; none are shown")

    index_rows = None
    if layers.index is not None:
        ix = layers.index.sort_values(["rank"], kind="mergesort")
        index_rows = [
            {
                "rank": int(r["rank"]),
                "name": names.get(code, str(r.get("name_el", code))),
                "score": fmt(float(r["score"]), 3),
                "band": (
                    f"{int(r['rank_p05'])}–{int(r['rank_p95'])}"
                    if "rank_p05" in ix.columns and not pd.isna(r["rank_p05"])
                    else "–"
                ),
                "decile": int(r["decile"]) if "decile" in ix.columns and not pd.isna(r["decile"]) else "–",
                "p_worst": fmt(float(r["p_worst_decile"]), 2) if "p_worst_decile" in ix.columns else MISSING,
            }
            for code, r in ix.iterrows()
        ]

    vintage = manifest.get("vintage") or {}
    moran = []
    for var, st in manifest.get("statistics", {}).items():
        gm = st.get("global_moran", {})
        counts = st.get("lisa_clusters", {})
        moran.append(
            {
                "label": label(var),
                "years": years_text(vintage.get(var, {}).get("years", [])),
                "I": fmt(gm.get("I"), 4),
                "EI": fmt(gm.get("EI"), 4),
                "z": fmt(gm.get("z_sim"), 2),
                "p": fmt(gm.get("p_sim"), 3),
                "counts": ", ".join(f"{CLUSTER_EL.get(k, k) if el else k}: {v}" for k, v in counts.items()),
            }
        )
    rule = _significance_rule(manifest, t, label, el)
    lisa_members = [
        {"label": label(var), "text": _cluster_members(frame, names, t, el)} for var, frame in layers.lisa.items()
    ]
    bilisa = [
        {"label": label(pair), "text": _cluster_members(frame, names, t, el)} for pair, frame in layers.bilisa.items()
    ]
    gistar = []
    for var, frame in layers.gistar.items():
        bins = pd.to_numeric(frame["gi_bin"], errors="coerce").fillna(0).astype(int)
        parts = []
        for b in (3, 2, 1, -1, -2, -3):
            members = sorted((names[i] for i in bins.index[bins == b] if i in names.index), key=str)
            if members:
                parts.append(f"{(_GI_EL if el else _GI_EN)[b]}: {', '.join(members)}")
        gistar.append({"label": label(var), "text": "; ".join(parts) or t["none_significant"]})

    quality = None
    qpath = folder / "quality.csv"
    if qpath.is_file():
        q = pd.read_csv(qpath, encoding="utf-8-sig", dtype=str, keep_default_na=False)
        if el:
            q["check"] = q["check"].map(lambda c: _QUALITY_CHECKS_EL.get(c, c))
        quality = {
            "columns": [_QUALITY_HEADERS_EL.get(c, c) if el else c.replace("_", " ") for c in q.columns],
            "rows": q.to_numpy().tolist(),
        }

    targets = None
    tpath = folder / "targets.csv"
    if tpath.is_file():
        tt = pd.read_csv(tpath, encoding="utf-8", keep_default_na=True)
        targets = []
        for _, r in tt.iterrows():
            unit = r["unit"] if isinstance(r["unit"], str) else ""
            if el and unit.startswith("%"):
                unit = f" {unit}"  # "35,9 %", as the rest of the Greek report
            latest = MISSING
            if not pd.isna(r["latest_value"]):
                latest = f"{fmt(r['latest_value'], 1)}{unit} ({int(r['latest_year'])})"
            targets.append(
                {
                    "label": r["label_el"] if el else r["label_en"],
                    "source": r["baseline_source"],
                    "area": r["area"],
                    "baseline": f"{fmt(r['baseline_value'], 1)}{unit} ({int(r['baseline_year'])})",
                    "target": f"{fmt(r['target_value'], 1)}{unit} ({int(r['target_year'])})",
                    "latest": latest,
                    "progress": percent(r["progress_share"], 0, lang, share=True),
                    "expected": percent(r["expected_share"], 0, lang, share=True),
                    "status": _STATUS_EL[r["status"]] if el else r["status"],
                    "css": _STATUS_CLASS[r["status"]],
                }
            )

    cols = [c for c in ("pop_2011", "pop_2021", *cfg.get("indicators", [])) if c in munis.columns]
    lisa_cols = list(layers.lisa)
    header = [
        t["code"],
        t["municipality"],
        *[
            label(c) if c not in ("pop_2011", "pop_2021") else c.replace("pop_", "Πληθυσμός " if el else "Pop. ")
            for c in cols
        ],
        *[f"LISA: {label(v)}" for v in lisa_cols],
    ]
    rows = []
    for code in sorted(munis.index, key=lambda c: names[c]):
        row = [code, names[code], *[fmt(munis.at[code, c], 0 if c.startswith("pop_") else 2) for c in cols]]
        for v in lisa_cols:
            c = layers.lisa[v]["cluster"].get(code, NOT_SIGNIFICANT)
            row.append(CLUSTER_EL.get(c, c) if el else c)
        rows.append(row)

    w = manifest.get("weights", {})
    weights = (
        f"{cfg.get('weights', {}).get('contiguity', '')} {t['contiguity']}, {t['island_policy']}: "
        f"{cfg.get('weights', {}).get('island_policy', '')} (k={cfg.get('weights', {}).get('k', '')}); "
        f"{t['components']}: {w.get('n_components', '–')}, {t['isolates']}: {len(w.get('isolates', []) or [])}"
    )
    st = cfg.get("statistics", {})
    statistics = (
        f"Moran's I, LISA ({', '.join(label(v) for v in st.get('variables', []))}); "
        f"{st.get('permutations', '')} {t['permutations']}, α = {st.get('alpha', '')}"
    )
    area = cfg.get("area", {})
    area_text = (
        "NUTS 2 " + ", ".join(area.get("nuts2", []))
        if area.get("nuts2")
        else ", ".join(area.get("regional_units", [])) or ("Ελλάδα" if el else "Greece")
    )
    versions = ", ".join(f"{k} {v}" for k, v in manifest.get("versions", {}).items())
    attribution = " · ".join(dict.fromkeys(i.get("attribution", "") for i in manifest.get("inputs", [])))
    title = (manifest.get("config", {}).get("title_en") or manifest.get("title")) if not el else manifest.get("title")
    recipe, warning = _recipe(manifest, t, lang, label)
    env = jinja2.Environment(autoescape=True, undefined=jinja2.StrictUndefined)
    return env.from_string(_TEMPLATE).render(
        pop2021=integer(manifest.get("counts", {}).get("pop_2021"), lang),
        recipe=recipe,
        warning=warning,
        ex={k: explain(k, lang) for k in ("moran", "lisa", "gistar", "bilisa", "deprivation_index", "rank_band")},
        lang=lang,
        t=t,
        m=manifest,
        title=title,
        area=area_text,
        indicators=", ".join(label(c) for c in cfg.get("indicators", [])),
        weights=weights,
        statistics=statistics,
        versions=versions,
        index=index_rows,
        moran=moran,
        lisa_members=lisa_members,
        rule=rule,
        gistar=gistar,
        bilisa=bilisa,
        quality=quality,
        targets=targets,
        munis={"columns": header, "rows": rows},
        figures=figs,
        attribution=attribution,
        access=access_section(folder, manifest, lang),
        registers=registers_section(manifest, lang),
        sae=sae_section(manifest, lang),
        changes=changes_section(manifest, lang),
        partial=partial_warning(manifest, lang),
    )


def _recipe(
    manifest: Mapping[str, Any], t: Mapping[str, str], lang: str, label: Callable[[str], str]
) -> tuple[dict[str, Any] | None, dict[str, str] | None]:
    """The index recipe table (each input's years, sources and weights) and the old-data warning box, from the
    manifest's ``index.recipe``; (None, None) for runs without an index."""
    rec = (manifest.get("index") or {}).get("recipe")
    if not rec:
        return None, None
    ref, years = rec["reference_year"], rec["old_after_years"]

    def name(r: Mapping[str, Any]) -> str:
        return str(r["label"]) if lang == "el" else label(r["column"])

    rows = [
        {
            "label": name(r),
            "years": years_text(r["years"]),
            "sources": ", ".join(r["sources"]),
            "nominal": percent(r["nominal_weight"], 1, lang, share=True),
            "effective": percent(r["effective_weight"], 1, lang, share=True),
            "old": r["old"],
        }
        for r in rec["inputs"]
    ]
    recipe = {"rows": rows, "note": t["recipe_note"].format(years=years, ref=ref)}
    if not rec.get("warning"):
        return recipe, None
    old = [r for r in rec["inputs"] if r["old"]]
    share = max(rec["old_share_nominal"], rec["old_share_effective"])
    index_name = (manifest.get("index") or {}).get("spec", {}).get("title_el") if lang == "el" else None
    warning = {
        "title": t["warning"].format(years=years),
        "text": t["warning_text"].format(
            share=percent(share, 0, lang, share=True),
            index=index_name or label("deprivation_index"),
            nominal=percent(rec["old_share_nominal"], 0, lang, share=True),
            effective=percent(rec["old_share_effective"], 0, lang, share=True),
            years=years,
            ref=ref,
            inputs=", ".join(f"{name(r)}: {years_text(r['years'])}" for r in old),
        ),
    }
    return recipe, warning


def _cluster_members(frame: pd.DataFrame, names: pd.Series, t: Mapping[str, str], el: bool) -> str:
    """The municipalities of each significant cluster of a LISA frame, by cluster, names sorted."""
    sig = frame[frame["cluster"] != NOT_SIGNIFICANT]
    if sig.empty:
        return t["none_significant"]
    return "; ".join(
        f"{CLUSTER_EL.get(c, c) if el else c}: {', '.join(names[i] for i in sorted(g.index, key=names.get))}"
        for c, g in sig.groupby("cluster", sort=True)
    )


_CORRECTIONS = {
    "bh": "Benjamini-Hochberg",
    "by": "Benjamini-Yekutieli",
    "bonferroni": "Bonferroni",
    "none": "-",
}


def _significance_rule(
    manifest: Mapping[str, Any], t: Mapping[str, str], label: Callable[[str], str], el: bool
) -> dict[str, Any] | None:
    """The sentence naming the rule that made units significant, and per variable how many pass under it and
    under the other rule (LISA by p_sim / q_sim, Gi* by gi_p / gi_q); None for runs without the counts."""
    stats = manifest.get("statistics", {})
    infos = {v: st.get("inference", {}) for v, st in stats.items()}
    infos = {v: i for v, i in infos.items() if "significance" in i and "lisa_passing" in i}
    if not infos:
        return None
    first = next(iter(infos.values()))
    rule = first["significance"]
    other = "p" if rule == "q" else "q"
    alpha = f"{first['alpha']:g}".replace(".", ",") if el else f"{first['alpha']:g}"
    text = t["rule_q" if rule == "q" else "rule_p"].format(
        alpha=alpha, correction=_CORRECTIONS.get(first.get("correction", ""), first.get("correction", ""))
    )
    counts = []
    for var, info in infos.items():
        n = info["lisa_passing"]
        line = t["rule_count"].format(label=label(var), n=n[rule], other=other, alpha=alpha, n_other=n[other])
        if "gistar_passing" in info:
            g = info["gistar_passing"]
            line += t["rule_count_gi"].format(n=g[rule], other=other, alpha=alpha, n_other=g[other])
        counts.append(line)
    return {"text": text, "counts": counts}


def write_report(
    folder: str | os.PathLike[str],
    manifest: Mapping[str, Any],
    path: str | os.PathLike[str],
    *,
    lang: Lang = "el",
    layers: RunLayers | None = None,
) -> Path:
    """Write :func:`build_report` to ``path`` (UTF-8)."""
    path = Path(path)
    path.write_text(build_report(folder, manifest, lang=lang, layers=layers), encoding="utf-8")
    logger.info("wrote %s (%s)", path, lang)
    return path
