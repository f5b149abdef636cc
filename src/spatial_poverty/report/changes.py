"""The report's section "What changed since the previous run": inputs, configuration, seed, and every municipality
whose class changed in a classed layer (index decile, LISA cluster, Gi* class, bivariate cluster, access class),
with before and after (the comparison of :func:`spatial_poverty.pipeline.history.compare`).

A partial run (``run --only``/``--from``) gets a warning box instead: its outputs are not a whole run.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from markupsafe import Markup, escape

from spatial_poverty.stats.labels import (
    CLUSTER_EL,
    EHSA_CATEGORIES_EL,
    GISTAR_LABELS,
    GISTAR_LABELS_EL,
    TREND_CLASSES_EL,
)

__all__ = ["changes_section", "partial_warning"]

_TEXT = {
    "el": {
        "title": "Τι άλλαξε από την προηγούμενη εκτέλεση",
        "first": "Πρώτη δημοσιευμένη εκτέλεση αυτής της ροής: δεν υπάρχει προηγούμενη για σύγκριση.",
        "against": "Σε σύγκριση με την εκτέλεση",
        "of": "της",
        "nothing": "Καμία αλλαγή: ίδια δεδομένα εισόδου, ίδιες ρυθμίσεις, καμία αλλαγή κατηγορίας σε κανέναν δήμο.",
        "inputs": "Δεδομένα εισόδου που άλλαξαν",
        "inputs_none": "Κανένα δεδομένο εισόδου δεν άλλαξε.",
        "config": "Ενότητες ρυθμίσεων που άλλαξαν",
        "seed": "Σπόρος τυχαίων αριθμών",
        "municipalities": "δήμοι άλλαξαν κατηγορία",
        "code": "Κωδικός",
        "name": "Δήμος",
        "what": "Επίπεδο: πεδίο",
        "before": "Πριν",
        "after": "Μετά",
        "absent": "(δεν υπήρχε)",
        "partial_title": "Μερική εκτέλεση: όχι ολόκληρο αποτέλεσμα",
        "partial": "Αυτός ο φάκελος προέρχεται από μερική εκτέλεση (--only / --from) για έλεγχο κατά την ανάπτυξη. "
        "Υπολογίστηκαν μόνο τα στάδια: {stages}. Δεν αντικαθιστά το δημοσιευμένο αποτέλεσμα.",
    },
    "en": {
        "title": "What changed since the previous run",
        "first": "The first published run of this pipeline: there is no previous run to compare with.",
        "against": "Compared with run",
        "of": "of",
        "nothing": "Nothing changed: the same inputs, the same configuration, no municipality changed class.",
        "inputs": "Inputs that changed",
        "inputs_none": "No input changed.",
        "config": "Configuration sections that changed",
        "seed": "Random seed",
        "municipalities": "municipalities changed class",
        "code": "Code",
        "name": "Municipality",
        "what": "Layer: field",
        "before": "Before",
        "after": "After",
        "absent": "(absent)",
        "partial_title": "Partial run: not a whole output",
        "partial": "This folder comes from a partial run (--only / --from), for checking during development. Only "
        "these stages were computed: {stages}. It does not replace the published output.",
    },
}
#: The class fields of pipeline.history.CLASS_FIELDS, in Greek (by layer prefix).
_LABEL_EL = {
    "deprivation_index": "δεκατημόριο δείκτη (1 = περισσότερο αποστερημένο)",
    "lisa_": "συστάδα LISA",
    "gistar_": "κατηγορία Gi* (θερμό/ψυχρό σημείο)",
    "bilisa_": "διμεταβλητή συστάδα LISA",
    "municipal_access": "κατηγορία πρόσβασης (πληθυσμός x χρόνος)",
}


#: The class fields of a register's trend layer, in Greek.
_FIELD_EL = {"trend": "τάση μητρώου (Mann-Kendall)", "ehsa_category": "αναδυόμενο θερμό σημείο μητρώου"}


def _label(layer: str, field: str, labels: Mapping[str, str], lang: str) -> str:
    if lang == "el" and layer.startswith("register_") and field in _FIELD_EL:
        return _FIELD_EL[field]
    if lang == "el":
        for prefix, text in _LABEL_EL.items():
            if layer.startswith(prefix):
                return text
    return labels.get(f"{layer}.{field}", field)


def _value(field: str, value: Any, lang: str, t: Mapping[str, str]) -> str:
    if value is None:
        return t["absent"]
    if field == "gi_bin":
        return (GISTAR_LABELS_EL if lang == "el" else GISTAR_LABELS).get(int(value), str(value))
    if field == "cluster" and lang == "el":
        return CLUSTER_EL.get(str(value), str(value))
    if field in ("trend", "ehsa_category") and lang == "el":
        return {**TREND_CLASSES_EL, **EHSA_CATEGORIES_EL}.get(str(value), str(value))
    return str(value)


def changes_section(manifest: Mapping[str, Any], lang: str = "el") -> Markup:
    """The HTML of the section (empty for a partial run, which has no history)."""
    if manifest.get("partial"):
        return Markup("")
    t = _TEXT["el" if lang == "el" else "en"]
    out = [f'<section id="changes">\n<h2>{t["title"]}</h2>']
    d = manifest.get("changes")
    if not d:
        out.append(f"<p>{t['first']}</p>\n</section>")
        return Markup("\n".join(out))
    b = d["before"]
    out.append(
        f"<p>{t['against']} <code>{escape(str(b['run_id'])[:12])}</code> {t['of']} {escape(b['finished_at'])}.</p>"
    )
    if not d["inputs"] and not d["config_sections"] and not d["classes"] and b.get("seed") == d["after"].get("seed"):
        out.append(f"<p>{t['nothing']}</p>\n</section>")
        return Markup("\n".join(out))
    if d["inputs"]:
        items = "".join(f"<li><code>{escape(i['id'])}</code></li>" for i in d["inputs"])
        out.append(f"<p>{t['inputs']}:</p><ul>{items}</ul>")
    else:
        out.append(f"<p>{t['inputs_none']}</p>")
    if d["config_sections"]:
        out.append(f"<p>{t['config']}: {escape(', '.join(d['config_sections']))}.</p>")
    if b.get("seed") != d["after"].get("seed"):
        out.append(f"<p>{t['seed']}: {escape(b.get('seed'))} &rarr; {escape(d['after'].get('seed'))}.</p>")
    out.append(f"<p><b>{d['municipalities']}</b> {t['municipalities']}.</p>")
    if d["classes"]:
        rows = [
            f"<tr><td>{escape(c['code'])}</td><td>{escape(c['name'])}</td><td>{escape(c['layer'])}: "
            f"{escape(_label(c['layer'], c['field'], d['labels'], lang))}</td>"
            f"<td>{escape(_value(c['field'], c['before'], lang, t))}</td>"
            f"<td>{escape(_value(c['field'], c['after'], lang, t))}</td></tr>"
            for c in d["classes"]
        ]
        head = "<tr>" + "".join(f"<th>{t[k]}</th>" for k in ("code", "name", "what", "before", "after")) + "</tr>"
        out.append("<table>" + head + "".join(rows) + "</table>")
    out.append("</section>")
    return Markup("\n".join(out))


def partial_warning(manifest: Mapping[str, Any], lang: str = "el") -> Markup:
    """A warning box for the report of a partial run; empty otherwise."""
    if not manifest.get("partial"):
        return Markup("")
    t = _TEXT["el" if lang == "el" else "en"]
    done = [n for n, s in (manifest.get("stages") or {}).items() if s.get("status") == "recomputed"]
    return Markup(
        f'<aside class="warning" id="partial-run" role="alert"><h2>{t["partial_title"]}</h2>'
        f"<p>{escape(t['partial'].format(stages=', '.join(done) or '-'))}</p></aside>"
    )
