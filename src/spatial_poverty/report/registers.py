"""The registers section of the run report: per register, its source and periods, how its municipalities were
placed (totals per period, the divided 2011 municipalities), disclosure control, trends and space-time hot spots.

Suppressed values never appear: the section shows totals of the area, class counts and the published figures.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from markupsafe import Markup, escape

from spatial_poverty.formatting import integer
from spatial_poverty.stats.labels import CLUSTER_EL, EHSA_CATEGORIES_EL, TREND_CLASSES_EL

__all__ = ["registers_section"]

_TEXT = {
    "el": {
        "title": "Μητρώα: τάσεις και χωρο-χρονικά θερμά σημεία",
        "periods": "Περίοδοι",
        "sources": "Αρχεία (κατάλογος)",
        "code_system": "Κωδικοποίηση δήμων",
        "denominator": "Παρονομαστής",
        "suppressed": "Κελιά σε απόκρυψη (στατιστικό απόρρητο: πλήθος < {n} ή απόκρυψη στην πηγή)",
        "of_cells": "από {n} κελιά δήμου × περιόδου· στην πηγή: {s}· χωρίς εγγραφή: {r}",
        "totals": "Σύνολα ανά περίοδο: εισροή = κατανομή στους δήμους του 2021 σε όλες τις {n} περιόδους",
        "totals_bad": "Τα σύνολα διαφέρουν σε {n} περιόδους",
        "splits": "Δήμοι του 2011 που χωρίστηκαν (τελευταία περίοδος)",
        "parent": "Δήμος 2011",
        "count_2011": "Πλήθος 2011",
        "parts": "Μερίδια 2021 (μερίδιο πληθυσμού 2011 → πλήθος)",
        "trend": "Τάση (Mann-Kendall, μετά τη διόρθωση {c})",
        "emerging": "Αναδυόμενα θερμά σημεία ({n} περίοδοι)",
        "emerging_none": "Δεν υπολογίστηκαν: {n} περίοδοι, χρειάζονται τουλάχιστον {m}.",
        "markov": "Μεταβάσεις LISA Markov (από → προς)",
        "category": "Κατηγορία",
        "municipalities": "Δήμοι",
        "quality": "Κάθε αντιστοίχιση ονόματος, γραμμή χωρίς αντιστοίχιση, κελί σε απόκρυψη και διπλή γραμμή: ",
        "hidden": "σε απόκρυψη",
    },
    "en": {
        "title": "Registers: trends and space-time hot spots",
        "periods": "Periods",
        "sources": "Files (catalogue)",
        "code_system": "Municipality codes",
        "denominator": "Denominator",
        "suppressed": "Cells suppressed (disclosure control: count < {n} or suppressed at the source)",
        "of_cells": "of {n} municipality × period cells; at the source: {s}; without a row: {r}",
        "totals": "Totals per period: input = placed on the 2021 municipalities in all {n} periods",
        "totals_bad": "Totals differ in {n} periods",
        "splits": "2011 municipalities divided in 2019 (last period)",
        "parent": "2011 municipality",
        "count_2011": "2011 count",
        "parts": "2021 parts (2011 population share → count)",
        "trend": "Trend (Mann-Kendall, after the {c} correction)",
        "emerging": "Emerging hot spots ({n} periods)",
        "emerging_none": "Not computed: {n} periods, at least {m} are needed.",
        "markov": "LISA Markov transitions (from → to)",
        "category": "Category",
        "municipalities": "Municipalities",
        "quality": "Every name match, unmatched row, suppressed cell and repeated row: ",
        "hidden": "suppressed",
    },
}


def _splits(reg: Mapping[str, Any], t: Mapping[str, str], lang: str) -> str:
    splits = reg.get("splits") or []
    if not splits:
        return ""
    last = max(s["period"] for s in splits)
    rows = []
    for s in (s for s in splits if s["period"] == last):
        parts = "; ".join(
            f"{escape(p['name_2021'] or p['elstat_2021'])} ({p['pop_share']:.3f} → "
            f"{integer(p['count_2021'], lang) if p['count_2021'] is not None else t['hidden']})"
            for p in s["parts"]
        )
        parent = integer(s["count_2011"], lang) if s["count_2011"] is not None else t["hidden"]
        rows.append(
            f"<tr><td>{escape(s['elstat_2011'])} {escape(s['name_2011'])}</td><td>{parent}</td><td>{parts}</td></tr>"
        )
    head = f"<tr><th>{t['parent']}</th><th>{t['count_2011']}</th><th>{t['parts']}</th></tr>"
    return f"<h4>{t['splits']}: {escape(last)}</h4><table>{head}{''.join(rows)}</table>"


def _counts(title: str, counts: Mapping[str, int], t: Mapping[str, str], labels: Mapping[str, str]) -> str:
    rows = "".join(f"<tr><td>{escape(labels.get(k, k))}</td><td>{v}</td></tr>" for k, v in counts.items())
    return (
        f"<h4>{escape(title)}</h4><table><tr><th>{t['category']}</th><th>{t['municipalities']}</th></tr>{rows}</table>"
    )


def _markov(markov: Mapping[str, Any], t: Mapping[str, str], el: bool) -> str:
    names = list(markov["transitions"])
    label = (lambda q: CLUSTER_EL.get(q, q)) if el else (lambda q: q)
    head = "<tr><th></th>" + "".join(f"<th>{escape(label(n))}</th>" for n in names) + "</tr>"
    rows = "".join(
        f"<tr><th>{escape(label(a))}</th>" + "".join(f"<td>{markov['transitions'][a][b]}</td>" for b in names) + "</tr>"
        for a in names
    )
    return f"<h4>{t['markov']}</h4><table>{head}{rows}</table>"


def _one(name: str, reg: Mapping[str, Any], figures: Mapping[str, list[str]], cfg: Mapping[str, Any], lang: str) -> str:
    t, el = _TEXT[lang], lang == "el"
    periods = reg["periods"]
    totals = reg["totals"]
    bad = [x for x in totals if not x["equal"]]
    den = reg["denominator"]
    regs = cfg.get("registers", {})
    parts = [
        f'<h3 id="register-{escape(name)}">{escape(reg["title_el"] if el else reg["title_en"])}</h3>',
        "<ul>",
        f"<li>{t['periods']}: {escape(periods[0])} – {escape(periods[-1])} ({len(periods)})</li>",
        f"<li>{t['sources']}: {escape(', '.join(reg['sources']))}</li>",
        f"<li>{t['code_system']}: {escape(reg['code_system'])}</li>",
        f"<li>{t['denominator']}: {escape(den['field'])} ({escape(den['source'])}, {escape(den['year'])})</li>",
        f"<li>{escape(t['suppressed'].format(n=regs.get('suppress_below', 5)))}: <b>{reg['suppressed']}</b> "
        f"{escape(t['of_cells'].format(n=reg['cells'], s=reg['suppressed_at_source'], r=reg['no_row']))}</li>",
        f"<li>{t['totals_bad'].format(n=len(bad)) if bad else t['totals'].format(n=len(totals))}</li>",
        "</ul>",
    ]
    for kind in ("series", "map"):
        for path in figures.get(f"register_{name}_{kind}", []):
            if path.endswith(".png"):
                parts.append(
                    f'<figure><img src="{escape(path)}" alt="{escape(name)} {kind}" style="max-width:100%"></figure>'
                )
    parts.append(_splits(reg, t, lang))
    trend_labels = TREND_CLASSES_EL if el else {}
    correction = cfg.get("statistics", {}).get("correction", "")
    parts.append(_counts(t["trend"].format(c=correction), reg["trend_classes"], t, trend_labels))
    em = reg.get("emerging")
    if em and "skipped" in em:
        parts.append(f"<p>{escape(em['skipped'])}</p>")
        return "\n".join(parts)
    if em:
        parts.append(
            _counts(t["emerging"].format(n=em["periods"]), em["categories"], t, EHSA_CATEGORIES_EL if el else {})
        )
    else:
        parts.append(f"<p>{t['emerging_none'].format(n=len(periods), m=regs.get('min_periods_emerging', 10))}</p>")
    if reg.get("markov"):
        parts.append(_markov(reg["markov"], t, el))
    return "\n".join(parts)


def registers_section(manifest: Mapping[str, Any], lang: str) -> Markup:
    """The section (empty when the run has no register)."""
    stage = manifest.get("registers") or {}
    registers = stage.get("registers") or {}
    if not registers:
        return Markup("")
    t = _TEXT[lang]
    figures = stage.get("figures") or {}
    cfg = manifest.get("config", {})
    body = "\n".join(_one(name, reg, figures, cfg, lang) for name, reg in registers.items())
    links = " · ".join(f'<a href="{f}">{f}</a>' for f in ("registers_quality.html", "register_splits.csv"))
    return Markup(f'<section id="registers">\n<h2>{t["title"]}</h2>\n{body}\n<p>{t["quality"]}{links}</p>\n</section>')
