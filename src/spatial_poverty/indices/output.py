"""The index table: the ``deprivation_index`` layer, and the same table as CSV and XLSX with Greek headers."""

from __future__ import annotations

import datetime as dt
import logging
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from spatial_poverty.csv_cells import neutralise_frame
from spatial_poverty.errors import ExportError
from spatial_poverty.indices.engine import IndexResult, build_index, diagnostics, prepare
from spatial_poverty.indices.spec import IndexSpec
from spatial_poverty.indices.uncertainty import Uncertainty, monte_carlo

__all__ = ["IndexStage", "greek_headers", "index_table", "input_weights", "run_index", "write_index_tables"]

logger = logging.getLogger(__name__)

_GREEK = {
    "code": "Κωδικός δήμου (ΕΛ.ΣΤΑΤ. 2021)",
    "name_el": "Δήμος",
    "score": "Σύνθετος δείκτης",
    "rank": "Κατάταξη (1 = πιο αποστερημένος)",
    "decile": "Δεκατημόριο (1 = πιο αποστερημένο 10%)",
    "rank_p05": "Κατάταξη, 5ο εκατοστημόριο",
    "rank_p50": "Κατάταξη, διάμεσος",
    "rank_p95": "Κατάταξη, 95ο εκατοστημόριο",
    "p_worst_decile": "Πιθανότητα στο πιο αποστερημένο δεκατημόριο",
    "n_imputed": "Αριθμός τιμών με συμπλήρωση",
    "imputed": "Δείκτες με συμπληρωμένη τιμή",
    "unreliable": "Αναξιόπιστη θέση (ευρεία ζώνη κατάταξης ή συμπλήρωση)",
}

#: A fixed document date, so that the .xlsx of two runs is identical byte for byte.
_XLSX_DATE = dt.datetime(2000, 1, 1)


def index_table(result: IndexResult, unc: Uncertainty, imputed: pd.DataFrame, spec: IndexSpec) -> pd.DataFrame:
    """``score``, ``rank``, ``decile``, ``<domain>_score``, ``rank_p05/p50/p95``, ``p_worst_decile``, imputation
    flags and ``unreliable``.

    ``unreliable`` is true where the 90 % rank band :math:`r_{95} - r_{05}` is wider than
    ``spec.uncertainty.unreliable_band`` times the number of units, or where an indicator value was imputed: the
    unit's place in the ranking should not be read alone (the GeoPackage style hatches it).

    Sorted by rank (then code); index = municipality code.
    """
    table = pd.DataFrame({"score": result.score, "rank": result.rank, "decile": result.decile})
    if list(result.domain_scores.columns) != ["index"] or len(spec.domains) > 1:
        for d in result.domain_scores.columns:
            table[f"{d}_score"] = result.domain_scores[d]
    table = table.join(unc.summary)
    table["n_imputed"] = imputed.sum(axis=1).astype(int)
    table["imputed"] = imputed.apply(lambda row: ",".join(c for c, v in row.items() if v), axis=1)
    unreliable = table["n_imputed"] > 0
    if "rank_p95" in table:
        band = table["rank_p95"] - table["rank_p05"]
        unreliable |= band > spec.uncertainty.unreliable_band * len(table)
    table["unreliable"] = unreliable.astype(bool)
    table.index.name = "code"
    return table.reset_index().sort_values(["rank", "code"], kind="mergesort").set_index("code")


def greek_headers(columns: list[str], spec: IndexSpec) -> list[str]:
    """Greek column headers for statisticians (domain labels from the spec where given)."""
    out = []
    for c in columns:
        if c in _GREEK:
            out.append(_GREEK[c])
        elif c.endswith("_score") and c[: -len("_score")] in spec.domains:
            d = c[: -len("_score")]
            out.append(f"Τομέας: {spec.domain_labels_el.get(d, d)}")
        else:
            out.append(c)
    return out


def write_index_tables(table: pd.DataFrame, folder: str | os.PathLike[str], spec: IndexSpec) -> list[Path]:
    """Write ``<name>.csv`` (UTF-8 with BOM, so Excel reads the Greek) and ``<name>.xlsx``, Greek headers.

    Raises
    ------
    ExportError
        If a file exists already or cannot be written.
    """
    folder = Path(folder)
    flat = table.reset_index()
    headers = greek_headers(list(flat.columns), spec)
    csv, xlsx = folder / f"{spec.name}.csv", folder / f"{spec.name}.xlsx"
    for p in (csv, xlsx):
        if p.exists():
            raise ExportError(f"{p} exists already")
    try:
        neutralise_frame(flat.set_axis(headers, axis=1)).to_csv(
            csv, index=False, encoding="utf-8-sig", lineterminator="\n"
        )
        _write_xlsx(flat, headers, xlsx, title=spec.title_el or spec.name)
    except OSError as exc:
        raise ExportError(f"writing the index tables in {folder} failed: {exc}") from exc
    return [csv, xlsx]


def _write_xlsx(flat: pd.DataFrame, headers: list[str], path: Path, *, title: str) -> None:
    import xlsxwriter

    wb = xlsxwriter.Workbook(str(path), {"nan_inf_to_errors": True})
    wb.set_properties({"title": title, "created": _XLSX_DATE, "author": "spatial_poverty"})
    ws = wb.add_worksheet("δείκτης")
    bold = wb.add_format({"bold": True, "text_wrap": True, "valign": "top"})
    for j, h in enumerate(headers):
        ws.write_string(0, j, h, bold)
        ws.set_column(j, j, max(12, min(40, len(h) // 2 + 4)))
    for i, row in enumerate(flat.itertuples(index=False), start=1):
        for j, v in enumerate(row):
            if isinstance(v, str):
                ws.write_string(i, j, v)
            elif isinstance(v, bool | np.bool_):
                ws.write_boolean(i, j, bool(v))
            elif pd.isna(v):
                ws.write_blank(i, j, None)
            else:
                ws.write_number(i, j, float(v))
    ws.freeze_panes(1, 1)
    wb.close()


def input_weights(result: IndexResult, spec: IndexSpec) -> list[dict[str, Any]]:
    """Each input's nominal and effective weight in the index.

    The nominal weight is what the recipe gives it: its domain's weight times its share of the domain's indicator
    weights (with one domain, its share of all). The effective weight is what the data give it: the squared
    Pearson correlation of its normalised values with the index score, :math:`S_i = r_i^2`, as a share of
    :math:`\\sum_j S_j` (the linear case of the correlation ratio of Paruolo, Saisana & Saltelli, "Ratings and
    rankings: voodoo or science?", *J. R. Statist. Soc. A* 176(3), 609-634, 2013). An input whose values do not
    vary has no effective weight (None).
    """
    weights = result.weights.astype(float)
    domain_of = {i.column: i.domain for i in spec.indicators}
    dw = result.domain_weights.astype(float)
    nominal: dict[str, float] = {}
    for col, w in weights.items():
        d = domain_of.get(str(col))
        members = [c for c in weights.index if domain_of.get(str(c)) == d]
        within = w / weights[members].sum() if weights[members].sum() > 0 else np.nan
        share = dw.get(d, np.nan) / dw.sum() if d in dw.index and dw.sum() > 0 else np.nan
        nominal[str(col)] = float(within * share) if not np.isnan(share) else float(w / weights.sum())
    s2: dict[str, float] = {}
    for col in weights.index:
        x = result.normalised[col].astype(float)
        ok = x.notna() & result.score.notna()
        r = np.corrcoef(x[ok], result.score[ok])[0, 1] if x[ok].std() > 0 and ok.sum() > 2 else np.nan
        s2[str(col)] = float(r * r)
    total = np.nansum(list(s2.values()))
    return [
        {
            "column": col,
            "domain": domain_of.get(col),
            "nominal_weight": round(nominal[col], 6),
            "effective_weight": round(float(s2[col] / total), 6) if total > 0 and not np.isnan(s2[col]) else None,
            "r2_with_index": None if np.isnan(s2[col]) else round(s2[col], 6),
        }
        for col in nominal
    ]


@dataclass
class IndexStage:
    """What the pipeline's index stage produced."""

    layer: gpd.GeoDataFrame
    table: pd.DataFrame
    result: IndexResult
    uncertainty: Uncertainty
    files: list[Path]
    report: dict[str, Any]
    name: str = "deprivation_index"


def run_index(
    spec: IndexSpec,
    municipalities: gpd.GeoDataFrame,
    folder: str | os.PathLike[str],
    *,
    seed: int,
    source: str = "the municipalities table",
) -> IndexStage:
    """The pipeline's index stage: build the index with its uncertainty, write the CSV/XLSX into ``folder``.

    Returns the ``deprivation_index`` layer (the table with ``name_el`` and the municipalities' geometry) and the
    report for the manifest (spec, outlier treatments, weights, diagnostics, sensitivity).
    """
    prep = prepare(municipalities, spec, source=source)
    result = build_index(municipalities, spec, seed=seed, source=source)
    unc = monte_carlo(prep, spec, seed=seed)
    table = index_table(result, unc, prep.imputed, spec)
    if "name_el" in municipalities.columns:
        table.insert(0, "name_el", municipalities["name_el"].reindex(table.index))
    files = write_index_tables(table, folder, spec)
    layer_table = table.copy()
    if "name_en" in municipalities.columns:
        # The exchange schema gives every municipality layer both names (QGIS labels, the English style).
        layer_table.insert(
            1 if "name_el" in table.columns else 0, "name_en", municipalities["name_en"].reindex(table.index)
        )
    layer = gpd.GeoDataFrame(
        layer_table, geometry=municipalities.geometry.reindex(table.index).to_numpy(), crs=municipalities.crs
    )
    layer.index.name = "code"
    summary = unc.to_dict()
    report: dict[str, Any] = {
        "spec": spec.model_dump(mode="json"),
        "units": len(table),
        "outliers": {c: t.to_dict() for c, t in result.outliers.items()},
        "weights": {c: round(float(w), 6) for c, w in result.weights.items()},
        "domain_weights": {d: round(float(w), 6) for d, w in result.domain_weights.items()},
        "inputs": input_weights(result, spec),
        "imputed_values": int(prep.imputed.to_numpy().sum()),
        "diagnostics": diagnostics(result, spec),
        "uncertainty": summary,
    }
    logger.info(
        "index %s: %d units, most deprived %s; mean 5-95%% rank band width %.1f",
        spec.name,
        len(table),
        table.index[:3].tolist(),
        summary["mean_band_width"],
    )
    return IndexStage(layer, table, result, unc, files, report, spec.name)
