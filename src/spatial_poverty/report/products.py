"""What a run publishes for people to read: static maps, the target table and chart, ``map.html`` and
``report.html``.

Each works from the run's GeoPackage (read back with :func:`~spatial_poverty.report.layers.read_run_layers`), so it
uses whatever layers the run wrote: ``municipalities`` and ``lisa_<var>`` always; ``deprivation_index``,
``gistar_<var>`` and ``bilisa_<x>_vs_<y>`` when the run computed them. The pipeline calls them from its stages
``maps``, ``targets``, ``map`` and ``report``; :func:`write_run_products` runs them all on a run folder.
"""

from __future__ import annotations

import copy
import json
import logging
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from spatial_poverty.csv_cells import neutralise_frame
from spatial_poverty.errors import ConfigError
from spatial_poverty.export.tables import excel_twin
from spatial_poverty.ingest.catalogue import load_catalogue, sha256_file, verify
from spatial_poverty.report.html import write_report
from spatial_poverty.report.layers import FIGURES_DIR, RunLayers, read_run_layers

if TYPE_CHECKING:
    from spatial_poverty.maps.static import Lang
    from spatial_poverty.pipeline.config import PipelineConfig

__all__ = [
    "draw_run_map",
    "run_attribution",
    "run_targets",
    "static_maps",
    "targets_summary",
    "write_report_files",
    "write_run_products",
]

logger = logging.getLogger(__name__)


def write_run_products(
    cfg: PipelineConfig,
    staging: Path,
    manifest: Mapping[str, Any],
    *,
    progress: Callable[[str], None] | None = None,
    decorate_map: Callable[[Any], None] | None = None,
) -> dict[str, Any]:
    """Write the static maps, the targets, ``map.html`` (again) and the report of a run folder; return the manifest
    with them added.

    The pipeline runs the same steps as stages of their own (``maps``, ``targets``, ``map``, ``report``); this
    function redoes them on a folder that holds ``<pipeline>.gpkg``.

    Parameters
    ----------
    cfg : PipelineConfig
        The run's configuration.
    staging : pathlib.Path
        The run's folder, holding ``<pipeline>.gpkg`` already.
    manifest : mapping
        The run's manifest so far (not changed: a new dict is returned).
    decorate_map : callable, optional
        Called with the redrawn folium map before it is written (adds the layers of other stages: services).

    Returns
    -------
    dict
        A copy of ``manifest`` whose ``outputs`` list the new files (with SHA-256).
    """
    lang: Lang = cfg.report.language
    out = copy.deepcopy(dict(manifest))
    if progress:
        progress("static maps")
    layers = read_run_layers(staging / f"{manifest['pipeline']}.gpkg")
    attribution = run_attribution(manifest)
    written, layout = static_maps(cfg, staging, manifest, layers)
    files = [p for paths in written.values() for p in paths]
    if cfg.report.targets is not None:
        if progress:
            progress("targets")
        table, extra_inputs, target_files, written_chart, layout["targets"] = run_targets(
            cfg, staging, lang=lang, attribution=attribution
        )
        files += [*target_files, *written_chart]
        written["targets"] = written_chart
        listed = {i["id"] for i in out.get("inputs", [])}
        out["inputs"] = [*out.get("inputs", []), *(i for i in extra_inputs if i["id"] not in listed)]
        out["targets"] = targets_summary(cfg, table)
    out["figures"] = {name: [p.relative_to(staging).as_posix() for p in paths] for name, paths in written.items()}
    out["figure_layout"] = layout
    if (staging / "map.html").is_file():
        notes = {var: v["line_el"] for var, v in (manifest.get("vintage") or {}).items()}
        draw_run_map(cfg, staging, layers, attribution, decorate_map, notes)
        out["outputs"] = [
            {**o, "sha256": sha256_file(staging / "map.html"), "bytes": (staging / "map.html").stat().st_size}
            if o.get("path") == "map.html"
            else o
            for o in out.get("outputs", [])
        ]
    if progress:
        progress("report")
    files += write_report_files(cfg, staging, out, layers)
    out["outputs"] = [
        *out.get("outputs", []),
        *(
            {"path": p.relative_to(staging).as_posix(), "sha256": sha256_file(p), "bytes": p.stat().st_size}
            for p in files
        ),
    ]
    logger.info("static maps: %d figures, %d files", len(written), len(files))
    return out


def run_attribution(manifest: Mapping[str, Any]) -> str:
    """The attribution line of a run's figures and map: every input's attribution, once each."""
    return " · ".join(dict.fromkeys(i["attribution"] for i in manifest.get("inputs", [])))


def static_maps(
    cfg: PipelineConfig, staging: Path, manifest: Mapping[str, Any], layers: RunLayers
) -> tuple[dict[str, list[Path]], dict[str, list[str]]]:
    """The static figures of a run into ``staging/figures``: paths by figure, and each figure's text defects."""
    from spatial_poverty.maps.static import MapLabel, write_run_maps
    from spatial_poverty.pipeline.variables import INDICATORS

    lang: Lang = cfg.report.language
    layout: dict[str, list[str]] = {}
    variables = [
        MapLabel(c, INDICATORS[c][0], unit=INDICATORS[c][1], diverging=(c == "pop_change_pct"))
        for c in cfg.indicators
        if c in layers.municipalities.columns
    ]
    written = write_run_maps(
        staging / FIGURES_DIR,
        layers.municipalities,
        variables=variables,
        lisa=layers.lisa,
        gistar=layers.gistar,
        index=layers.index,
        alpha=cfg.statistics.alpha,
        permutations=cfg.statistics.permutations,
        significance=cfg.statistics.significance or "p",
        attribution=run_attribution(manifest) or "Πηγή: ΕΛ.ΣΤΑΤ.",
        lang=lang,
        bilisa=layers.bilisa,
        sources={var: v[f"line_{lang}"] for var, v in (manifest.get("vintage") or {}).items()},
        layout=layout,
    )
    return written, layout


def targets_summary(cfg: PipelineConfig, table: pd.DataFrame) -> dict[str, Any]:
    """The manifest's ``targets``: the file, its SHA-256, and every target's status and row."""
    if cfg.report.targets is None:  # pragma: no cover - the caller checks
        raise ConfigError("no targets file configured")
    return {
        "file": str(cfg.resolve(cfg.report.targets)),
        "sha256": sha256_file(cfg.resolve(cfg.report.targets)),
        "table": "targets.csv",
        "status": table.set_index("id")["status"].to_dict(),
        "rows": json.loads(table.to_json(orient="records", force_ascii=False)),
    }


def write_report_files(
    cfg: PipelineConfig, staging: Path, manifest: Mapping[str, Any], layers: RunLayers | None = None
) -> list[Path]:
    """``report.html`` and an ``.xlsx`` beside every CSV that has none; the paths written."""
    lang: Lang = cfg.report.language
    files = [write_report(staging, manifest, staging / "report.html", lang=lang, layers=layers)]
    # Every CSV with an .xlsx beside it (Greek Excel reads neither ";"-less CSV nor UTF-8 without asking).
    notes = "\n".join(f"{var}: {v['line_el']} | {v['line_en']}" for var, v in (manifest.get("vintage") or {}).items())
    files += [excel_twin(c, notes=notes) for c in sorted(staging.glob("*.csv")) if not c.with_suffix(".xlsx").exists()]
    return files


def draw_run_map(
    cfg: PipelineConfig,
    staging: Path,
    layers: RunLayers,
    attribution: str,
    decorate_map: Callable[[Any], None] | None = None,
    notes: Mapping[str, str] | None = None,
) -> None:
    """Draw ``map.html`` from the layers of the run's GeoPackage (indicators, LISA, Gi*, index, bivariate LISA)."""
    from spatial_poverty.maps.interactive import IndicatorLayer, interactive_map, write_map
    from spatial_poverty.pipeline.variables import INDICATORS

    m = interactive_map(
        layers.municipalities,
        title=cfg.title,
        indicators=[IndicatorLayer(c, *INDICATORS[c], diverging=(c == "pop_change_pct")) for c in cfg.indicators],
        lisa={**layers.lisa, **layers.bilisa},
        attribution=attribution,
        simplify_m=cfg.map.simplify_m,
        gistar=layers.gistar,
        index=layers.index,
        significance=cfg.statistics.significance or "p",
        notes=notes,
    )
    if decorate_map is not None:  # layers drawn by other stages (access to services)
        decorate_map(m)
    write_map(m, staging / "map.html")
    logger.info("map.html drawn from the GeoPackage's layers")


def run_targets(
    cfg: PipelineConfig,
    staging: Path,
    *,
    lang: Lang,
    attribution: str,
    run_series: Mapping[str, pd.DataFrame] | None = None,
) -> tuple[pd.DataFrame, list[dict[str, Any]], list[Path], list[Path], list[str]]:
    """Evaluate the run's targets file: ``targets.csv`` and ``figures/targets.*``; the inputs used and the
    chart's text defects. ``run_series``: the series the run makes (``register:<name>``, ``sae:<group>``)."""
    from spatial_poverty.maps.layout import text_defects
    from spatial_poverty.maps.static import save_figure
    from spatial_poverty.targets import evaluate_targets, load_targets, read_series, target_sources, targets_chart
    from spatial_poverty.targets.schema import check_run_series

    if cfg.report.targets is None:  # pragma: no cover - the caller checks
        raise ConfigError("no targets file configured")
    targets = load_targets(cfg.resolve(cfg.report.targets))
    catalogue = load_catalogue(cfg.resolve(cfg.paths.catalogue))
    raw = cfg.resolve(cfg.paths.raw)
    ids = target_sources(targets, catalogue.ids)
    checksums = verify(catalogue, raw, ids)
    series = read_series(targets, {i: raw / catalogue[i].path for i in ids})
    check_run_series(targets, cfg)  # every register and AROPE group a target follows is made by the run
    series.update(run_series or {})
    table = evaluate_targets(targets, series)
    csv = staging / "targets.csv"
    neutralise_frame(table).to_csv(csv, index=False, encoding="utf-8", lineterminator="\n", float_format="%.6g")
    sources = " · ".join(dict.fromkeys(catalogue[i].attribution for i in ids))
    fig = targets_chart(table, lang=lang, attribution=sources)
    chart = save_figure(fig, staging / FIGURES_DIR / "targets")
    defects = text_defects(fig)
    for d in defects:
        logger.warning("figure targets: %s", d)
    inputs = [
        {
            "id": i,
            "path": catalogue[i].path,
            "sha256": checksums[i],
            "publisher": catalogue[i].publisher,
            "licence": catalogue[i].licence,
            "attribution": catalogue[i].attribution,
        }
        for i in ids
    ]
    for _, r in table.iterrows():
        logger.info("target %s (%s %s): %s", r["id"], r["indicator"], r["area"], r["status"])
    return table, inputs, [csv], chart, defects
