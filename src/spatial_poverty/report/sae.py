"""The AROPE section of the run report: the survey and the model of each group (coefficients, σ²_u, ρ,
diagnostics), the direct against the model CVs, the maps with the quality classes, the municipalities by estimate
with their intervals, and the estimate beside the deprivation index.

Suppressed estimates never appear: the table lists published and flagged rows only, and counts the suppressed.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from markupsafe import Markup, escape

from spatial_poverty.formatting import integer

__all__ = ["sae_section"]

_TEXT = {
    "el": {
        "title": "Ποσοστό σε κίνδυνο φτώχειας ή κοινωνικού αποκλεισμού (AROPE) ανά δήμο",
        "survey": "Έρευνα",
        "respondents": "ερωτώμενοι",
        "covariates": "Συμμεταβλητές (έτος)",
        "benchmark": "Συγκριτική προσαρμογή ανά περιφέρεια",
        "model": "Μοντέλο",
        "group": "Ομάδα",
        "coef": "Συντελεστές (τυπ. σφάλμα), κλίμακα τόξου ημιτόνου",
        "in_out": "Δήμοι εντός / εκτός δείγματος",
        "deff": "Φαινόμενο σχεδιασμού (διάμεσος περιφερειών)",
        "shapiro": "Shapiro-Wilk p (κατάλοιπα)",
        "publish": "Δημοσιεύσιμοι (CV ≤ 20%): άμεση → μοντέλο",
        "flag": "Με προσοχή / απόκρυψη",
        "ranking": "Δήμοι κατά εκτίμηση ({g}, {y}): εκτίμηση και διάστημα 95%",
        "rank": "Σειρά",
        "code": "Κωδικός",
        "name": "Δήμος",
        "estimate": "Εκτίμηση",
        "interval": "Διάστημα 95%",
        "people": "Άτομα σε κίνδυνο (διάστημα)",
        "quality": "Ποιότητα",
        "suppressed": "{n} δήμοι σε απόκρυψη (CV > 33,3%): χωρίς αριθμό.",
        "agreement": "Δείκτης αποστέρησης και εκτίμηση AROPE",
        "spearman": "Συσχέτιση τάξεων Spearman ρ = {r} σε {n} δήμους (ο δείκτης στηρίζεται κυρίως σε στοιχεία "
        "απογραφής 2001· η εκτίμηση στην έρευνα {y}).",
        "disagree": "Οι δήμοι με τη μεγαλύτερη διαφορά τάξης",
        "rank_est": "Τάξη εκτίμησης",
        "rank_idx": "Τάξη δείκτη",
        "publish_q": "δημοσίευση",
        "flag_q": "με προσοχή",
    },
    "en": {
        "title": "People at risk of poverty or social exclusion (AROPE) by municipality",
        "survey": "Survey",
        "respondents": "respondents",
        "covariates": "Covariates (year)",
        "benchmark": "Benchmark per region",
        "model": "Model",
        "group": "Group",
        "coef": "Coefficients (SE), arcsine scale",
        "in_out": "Municipalities in / out of sample",
        "deff": "Design effect (median of the regions)",
        "shapiro": "Shapiro-Wilk p (residuals)",
        "publish": "Publishable (CV ≤ 20%): direct → model",
        "flag": "Flag / suppress",
        "ranking": "Municipalities by estimate ({g}, {y}): estimate and 95% interval",
        "rank": "Rank",
        "code": "Code",
        "name": "Municipality",
        "estimate": "Estimate",
        "interval": "95% interval",
        "people": "People at risk (interval)",
        "quality": "Quality",
        "suppressed": "{n} municipalities suppressed (CV > 33.3%): no number shown.",
        "agreement": "The deprivation index and the AROPE estimate",
        "spearman": "Spearman rank correlation ρ = {r} over {n} municipalities (the index rests mostly on 2001 "
        "census data; the estimate on the {y} survey).",
        "disagree": "The municipalities whose ranks differ most",
        "rank_est": "Rank of the estimate",
        "rank_idx": "Rank of the index",
        "publish_q": "publish",
        "flag_q": "flag",
    },
}


def _pct(x: float, lang: str) -> str:
    s = f"{100 * x:.1f}"
    return s.replace(".", ",") if lang == "el" else s


def _models(stage: Mapping[str, Any], t: Mapping[str, str], lang: str) -> str:
    el = lang == "el"
    head = "".join(f"<th>{t[k]}</th>" for k in ("group", "coef", "in_out", "deff", "shapiro", "publish", "flag"))
    rows = []
    for m in stage["groups"].values():
        coef = (
            "<br>".join(f"{escape(k)}: {m['beta'][k]:.4g} ({m['beta_se'][k]:.2g})" for k in m["beta"])
            + f"<br>σ²_u: {m['sigma2_u']:.3g}"
            + (f"<br>ρ: {m['rho']:.3f}" if m.get("rho") is not None else "")
        )
        sw = m.get("residual_shapiro_p")
        rows.append(
            f"<tr><td>{escape(m['title_el'] if el else m['title_en'])}</td><td>{coef}</td>"
            f"<td>{m['areas_in_sample']} / {m['areas_out_of_sample']}</td><td>{m['deff_pooled']:.2f}</td>"
            f"<td>{'' if sw is None else f'{sw:.3f}'}</td><td>{m['publish_direct']} → {m['publish_model']}</td>"
            f"<td>{m['flag_model']} / {m['suppress_model']}</td></tr>"
        )
    return f"<table><tr>{head}</tr>{''.join(rows)}</table>"


def _ranking(stage: Mapping[str, Any], t: Mapping[str, str], lang: str) -> str:
    rows = stage.get("ranking") or []
    first = next(iter(stage["groups"].values()))
    title = t["ranking"].format(g=first["title_el" if lang == "el" else "title_en"], y=stage["year"])
    head = "".join(f"<th>{t[k]}</th>" for k in ("rank", "code", "name", "estimate", "interval", "people", "quality"))
    body = "".join(
        f"<tr><td>{i}</td><td>{escape(r['code'])}</td><td>{escape(r['name_el'])}</td>"
        f"<td>{_pct(r['estimate'], lang)}%</td><td>{_pct(r['ci_low'], lang)} – {_pct(r['ci_high'], lang)}%</td>"
        f"<td>{integer(r['people_at_risk'], lang)} ({integer(r['people_at_risk_low'], lang)} – "
        f"{integer(r['people_at_risk_high'], lang)})</td><td>{t[r['quality'] + '_q']}</td></tr>"
        for i, r in enumerate(rows, 1)
    )
    note = f"<p>{escape(t['suppressed'].format(n=stage.get('suppressed_first', 0)))}</p>"
    table = f'<div style="max-height:30em;overflow:auto"><table><tr>{head}</tr>{body}</table></div>'
    return f"<h3>{escape(title)}</h3>{table}{note}"


def _agreement(stage: Mapping[str, Any], t: Mapping[str, str], lang: str) -> str:
    a = stage.get("agreement")
    if not a or a.get("spearman") is None or a["spearman"] != a["spearman"]:  # absent or NaN
        return ""
    r = f"{a['spearman']:.2f}"
    text = t["spearman"].format(r=r.replace(".", ",") if lang == "el" else r, n=a["n"], y=stage["year"])
    rows = "".join(
        f"<tr><td>{escape(d['code'])}</td><td>{escape(d.get('name_el', ''))}</td><td>{d['rank_estimate']}</td>"
        f"<td>{d['rank_index']}</td></tr>"
        for d in a["disagree"]
    )
    head = "".join(f"<th>{t[k]}</th>" for k in ("code", "name", "rank_est", "rank_idx"))
    return f"<h3>{t['agreement']}</h3><p>{escape(text)}</p><h4>{t['disagree']}</h4><table><tr>{head}</tr>{rows}</table>"


def sae_section(manifest: Mapping[str, Any], lang: str) -> Markup:
    """The section (empty when the run has no ``sae`` stage)."""
    stage = manifest.get("sae") or {}
    if not stage.get("groups"):
        return Markup("")
    t = _TEXT[lang]
    tag = "SYNTHETIC - demonstration data: " if stage.get("synthetic") else ""
    covs = ", ".join(f"{c} ({y})" for c, y in stage["covariates"].items())
    first = next(iter(stage["groups"].values()))
    bench = "; ".join(sorted(set(stage["benchmark_source"].values())))
    parts = [
        f'<section id="sae">\n<h2>{escape(tag + t["title"])}</h2>',
        "<ul>",
        f"<li>{t['survey']}: {escape(stage['survey'])} ({stage['year']}), {integer(stage['respondents'], lang)} "
        f"{t['respondents']}</li>",
        f"<li>{t['covariates']}: {escape(covs)}</li>",
        f"<li>{t['model']}: {escape(first['model'])}, {escape(first['method'])}, {escape(first['transform'])}; "
        f"MSE: {escape(str(first['mse_method']))} ({first['bootstrap']})</li>",
        f"<li>{t['benchmark']}: {escape(bench)}</li>",
        "</ul>",
        _models(stage, t, lang),
    ]
    for name, paths in (stage.get("figures") or {}).items():
        for p in paths:
            if p.endswith(".png"):
                parts.append(f'<figure><img src="{escape(p)}" alt="{escape(name)}" style="max-width:100%"></figure>')
    parts += [_ranking(stage, t, lang), _agreement(stage, t, lang), "</section>"]
    return Markup("\n".join(parts))
