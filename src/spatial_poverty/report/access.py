"""The access-to-services section of the run report: services, ferries, equity numbers and service deserts."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pandas as pd
import pyogrio
from markupsafe import Markup, escape

from spatial_poverty.explain import explain
from spatial_poverty.formatting import integer, number, percent, years_text
from spatial_poverty.services.vocabulary import SERVICE_TYPES

__all__ = ["access_section"]

_TEXT = {
    "el": {
        "title": "Πρόσβαση σε κοινωνικές υπηρεσίες",
        "services": "Σημεία υπηρεσιών",
        "source": "Πηγή",
        "data_year": "έτος δεδομένων",
        "explain": "Πώς διαβάζεται",
        "ferry_assumption": "Υπόθεση για τα πλοία: χωρίς αρχείο δρομολογίων, κάθε διάπλους περιμένει το μισό μιας "
        "συχνότητας {headway} ωρών ({season}). Οι χρόνοι με πλοίο είναι εκτιμήσεις, όχι δρομολόγια.",
        "ferry_links": "Δρομολόγια πλοίων από το αρχείο {file}.",
        "duplicates": "διπλοεγγραφές (εκτός μέτρων)",
        "unplaced": "εγγραφές χωρίς θέση",
        "outside": "σημεία εκτός Ελλάδας (αφαιρέθηκαν)",
        "settlements": "Οικισμοί",
        "ferry": "χρειάζονται πλοίο για την πλησιέστερη υπηρεσία",
        "unreachable": "χωρίς προσβάσιμη υπηρεσία",
        "equity": "Ισότητα πρόσβασης (σταθμισμένη με πληθυσμό, σε οικισμούς)",
        "gini": "Gini χρόνου έως την πλησιέστερη υπηρεσία",
        "theil": "Theil T του ίδιου χρόνου",
        "gini_e2sfca": "Gini του E2SFCA",
        "deserts": "«Έρημοι υπηρεσιών» (υψηλή αποστέρηση, χαμηλή πρόσβαση)",
        "no_deserts": "Κανένας δήμος στην κλάση 3-1.",
        "no_index": "Δεν υπολογίστηκε: η εκτέλεση δεν έχει δείκτη αποστέρησης.",
        "municipality": "Δήμος",
        "n": "Υπηρεσίες",
        "mean": "Μέσος χρόνος (λεπτά)",
        "within": "Εντός {t}'",
        "ferry_share": "Με πλοίο",
        "cls": "Κλάση",
        "travel": "Χρόνοι: οδική απόσταση = ορθοδρομική × {detour}, {speed} km/h· πλοίο {knots} κόμβοι, αναμονή "
        "στο λιμάνι {dwell}', μισή συχνότητα δρομολογίων ({headway} ώρες χωρίς αρχείο δρομολογίων).",
        "unplaced_title": "Εγγραφές που δεν τοποθετήθηκαν",
        "osm_note": "Σημεία από το OpenStreetMap (απόσπασμα 2019, μόνο κόμβοι): ελλιπές υποκατάστατο επίσημου "
        "μητρώου κοινωνικών υπηρεσιών (δεν περιέχει Κέντρα Κοινότητας, κοινωνικά παντοπωλεία ή ΚΕΠ ως τέτοια).",
    },
    "en": {
        "title": "Access to social services",
        "services": "Service points",
        "source": "Source",
        "data_year": "data year",
        "explain": "How to read it",
        "ferry_assumption": "Ferry assumption: without a timetable file, every crossing waits half of a {headway}-hour "
        "headway ({season}). Times by ferry are estimates, not timetables.",
        "ferry_links": "Ferry sailings from the file {file}.",
        "duplicates": "duplicates (left out of the measures)",
        "unplaced": "records not placed",
        "outside": "points outside Greece (dropped)",
        "settlements": "Settlements",
        "ferry": "need a ferry for their nearest service",
        "unreachable": "reach no service",
        "equity": "Equity of access (population-weighted, across settlements)",
        "gini": "Gini of the time to the nearest service",
        "theil": "Theil T of the same time",
        "gini_e2sfca": "Gini of E2SFCA",
        "deserts": "Service deserts (high deprivation, low access)",
        "no_deserts": "No municipality in class 3-1.",
        "no_index": "Not computed: the run has no deprivation index.",
        "municipality": "Municipality",
        "n": "Services",
        "mean": "Mean time (min)",
        "within": "Within {t} min",
        "ferry_share": "By ferry",
        "cls": "Class",
        "travel": "Times: road distance = great-circle × {detour}, {speed} km/h; ferry {knots} knots, {dwell} min at "
        "the port, half the headway ({headway} h without a timetable file).",
        "unplaced_title": "Records not placed",
        "osm_note": "OpenStreetMap-derived (2019 extract, nodes only): an incomplete stand-in for an official register "
        "of social services (no community centres, social groceries or KEP as such).",
    },
}


def _explain(t: Mapping[str, str], keys: tuple[str, ...], lang: str) -> str:
    text = " ".join(escape(explain(k, lang)) for k in keys)
    return f'<p class="explain"><b>{t["explain"]}:</b> {text}</p>'


def access_section(folder: str | os.PathLike[str], manifest: Mapping[str, Any], lang: str = "el") -> Markup:
    """The HTML of the section, or an empty string when the run has no access stage."""
    rep = manifest.get("access")
    folder = Path(folder)
    gpkg = folder / f"{manifest.get('pipeline', '')}.gpkg"
    if not rep or not gpkg.is_file():
        return Markup("")
    t = _TEXT["el" if lang == "el" else "en"]
    el = lang == "el"

    def pct(v: Any) -> str:
        return percent(v, 0, lang, share=True)

    years = years_text((manifest.get("vintage") or {}).get("e2sfca", {}).get("years", []))
    m = pyogrio.read_dataframe(gpkg, layer="municipal_access", read_geometry=False).set_index("code")
    names = (m["name_el"] if el else m["name_en"]).astype(str).str.replace(r"^(ΔΗΜΟΣ|Municipality of) ", "", regex=True)
    s = rep["services"]
    types = ", ".join(
        f"{escape(SERVICE_TYPES.get(k, (k, k))[0 if el else 1])}: {v}" for k, v in s.get("by_type", {}).items()
    )
    out = [f'<section id="access">\n<h2>{t["title"]}</h2>', _explain(t, ("e2sfca", "nearest_min_mean"), lang)]
    out.append(
        f"<p>{t['services']}: <b>{integer(s['services'], lang)}</b> ({types}). {t['source']}: "
        f"{escape(rep.get('attribution', ''))} ({t['data_year']} {years})"
        + (f" <i>{t['osm_note']}</i>" if s.get("source") == "openstreetmap" else "")
        + f" {s.get('duplicates', 0)} {t['duplicates']}; {s.get('unplaced', 0)} {t['unplaced']}"
        + (f"; {s.get('dropped_outside_greece', 0)} {t['outside']}" if s.get("source") == "openstreetmap" else "")
        + ".</p>"
    )
    out.append(
        f"<p>{t['settlements']}: <b>{integer(rep['settlements'], lang)}</b>; "
        f"{integer(rep['settlements_needs_ferry'], lang)} {t['ferry']} "
        f"({integer(rep.get('population_needs_ferry', 0), lang)} / {integer(rep.get('population', 0), lang)}); "
        f"{integer(rep['settlements_unreachable'], lang)} {t['unreachable']}.</p>"
    )
    tr = rep.get("travel", {})
    travel = t["travel"].format(
        detour=number(tr.get("detour_factor"), 1, lang),
        speed=number(tr.get("land_speed_kmh"), 0, lang),
        knots=number(tr.get("ship_speed_knots"), 0, lang),
        dwell=number(tr.get("port_dwell_min"), 0, lang),
        headway=number(tr.get("default_headway_h"), 0, lang),
    )
    out.append(f'<p class="small">{escape(travel)}</p>')
    if tr.get("ferry_links"):
        out.append(f'<p class="small">{escape(t["ferry_links"].format(file=tr["ferry_links"]))}</p>')
    else:
        season = tr.get("season")
        if el:
            season = {"winter": "χειμώνας", "summer": "καλοκαίρι"}.get(season, season)
        out.append(
            '<p class="warning-inline"><b>'
            + escape(t["ferry_assumption"].format(headway=number(tr.get("default_headway_h"), 0, lang), season=season))
            + "</b></p>"
        )
    eq = rep.get("equity", {})
    out.append(
        f"<h3>{t['equity']}</h3>{_explain(t, ('gini',), lang)}<ul><li>{t['gini']}: "
        f"{number(eq.get('gini_nearest_min'), 3, lang)}</li><li>{t['theil']}: "
        f"{number(eq.get('theil_nearest_min'), 3, lang)}</li><li>{t['gini_e2sfca']}: "
        f"{number(eq.get('gini_e2sfca'), 3, lang)}</li></ul>"
    )
    out.append(f"<h3>{t['deserts']}</h3>{_explain(t, ('access_class',), lang)}")
    if rep.get("desert_basis") is None:
        out.append(f"<p>{t['no_index']}</p>")
    elif rep.get("deserts"):
        out.append("<p>" + ", ".join(f"<b>{escape(names.get(c, c))}</b>" for c in rep["deserts"]) + "</p>")
    else:
        out.append(f"<p>{t['no_deserts']}</p>")
    within = [c for c in m.columns if c.startswith("share_within_")]
    head = [t["municipality"], t["n"], t["mean"], *(t["within"].format(t=c[13:-3]) for c in within)]
    head += [t["ferry_share"], "E2SFCA", *([t["cls"]] if "desert_class" in m.columns else [])]
    rows = []
    for code in m.sort_values("nearest_min_mean", ascending=False, na_position="first").index:
        r = m.loc[code]
        cells = [escape(names[code]), integer(r["services_n"], lang)]
        cells.append(number(r["nearest_min_mean"], 0, lang))
        cells += [pct(r[c]) for c in within] + [pct(r["needs_ferry_share"]), number(r["e2sfca"], 2, lang)]
        if "desert_class" in m.columns:
            cells.append(escape(r["desert_class"] or "–"))
        rows.append("<tr>" + "".join(f"<td>{c}</td>" for c in cells) + "</tr>")
    out.append("<table><tr>" + "".join(f"<th>{h}</th>" for h in head) + "</tr>" + "".join(rows) + "</table>")
    issues = folder / "services_issues.csv"
    if issues.is_file():
        tab = pd.read_csv(issues, dtype=str, keep_default_na=False)
        un = tab[tab["kind"] == "unplaced"]
        if len(un):
            out.append(f"<h3>{t['unplaced_title']}</h3><table>")
            cols = ("service_id", "name", "type", "code", "detail")
            heads = ("Κωδικός υπηρεσίας", "Όνομα", "Τύπος", "Κωδικός δήμου", "Λεπτομέρειες") if el else cols
            out.append("<tr>" + "".join(f"<th>{c}</th>" for c in heads) + "</tr>")
            for r in un.itertuples():
                out.append(
                    "<tr>"
                    + "".join(f"<td>{escape(v)}</td>" for v in (r.service_id, r.name, r.type, r.code, r.detail))
                    + "</tr>"
                )
            out.append("</table>")
    out.append("</section>")
    return Markup("\n".join(out))
