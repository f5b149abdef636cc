"""Stage ``registers``: the observatory's registers (``sources.registers``) on the 2021 municipalities, as rates
per 1,000 with Empirical-Bayes smoothing and disclosure control, their change and trend, and space-time hot spots.

Publishes ``register_<name>`` (municipality x period) and ``register_<name>_trend`` (per municipality), a time
series and a map per register under ``figures/``, ``registers_quality.csv``/``.html`` (every name match,
unmatched row, suppressed cell and repeated row) and ``register_splits.csv`` (the counts of the 2011
municipalities divided in 2019). The latest smoothed rates are the ``covariates`` product (small-area models).
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING, Any

from spatial_poverty.pipeline.stage import Stage

if TYPE_CHECKING:
    from spatial_poverty.pipeline.config import PipelineConfig
    from spatial_poverty.pipeline.stage import StageContext

__all__ = ["STAGE"]

logger = logging.getLogger(__name__)


def _inputs(cfg: PipelineConfig) -> list[str]:
    return [sid for reg in cfg.sources.registers.values() for sid in reg.source_ids]


def _files(ctx: StageContext, name: str) -> list[tuple[Path, str | None]]:
    reg = ctx.cfg.sources.registers[name]
    if reg.source is not None:
        return [(ctx.path(reg.source), None)]
    return [(ctx.path(sid), period) for period, sid in sorted(reg.per_period.items())]


def _run(ctx: StageContext) -> dict[str, Any]:
    from spatial_poverty.csv_cells import write_csv_rows
    from spatial_poverty.harmonise.quality import QualityReport
    from spatial_poverty.pipeline.names import FIGURE_FORMATS, FIGURES_DIR, REGISTER_FILES
    from spatial_poverty.registers.analysis import analyse_register, layer_names, region_of
    from spatial_poverty.registers.figures import register_figures
    from spatial_poverty.registers.rates import yearly_regional_rates
    from spatial_poverty.registers.spec import KINDS, SYNTHETIC

    cfg = ctx.cfg
    munis = ctx.product("harmonise", "municipalities")
    crosswalk = ctx.product("harmonise", "layers")["code_crosswalk"]
    graph = ctx.product("weights", "graph")
    quality = QualityReport()
    layers: dict[str, Any] = {}
    records: dict[str, Any] = {}
    notes: dict[str, str] = {}
    covariates = {}
    figures: dict[str, list[str]] = {}
    series = {}
    split_rows: list[dict[str, Any]] = []
    lang = cfg.report.language
    for name, reg in cfg.sources.registers.items():
        result = analyse_register(
            name,
            reg,
            _files(ctx, name),
            municipalities=munis,
            crosswalk=crosswalk,
            graph=graph,
            analysis=cfg.registers,
            alpha=cfg.statistics.alpha,
            correction=cfg.statistics.correction,
            seed=cfg.seed,
        )
        for f in result.findings:
            quality.add(f.source, f.check, **f.as_kwargs())
        table, trend = layer_names(name)
        layers[table] = result.table_layer(munis["name_el"])
        layers[trend] = result.trend_layer(munis)
        records[name] = result.record()
        covariates[name] = result.covariate()
        series[f"register:{name}"] = yearly_regional_rates(result.rates, region_of(munis))
        periods = result.periods
        sources = ", ".join(reg.source_ids[:3]) + (" ..." if len(reg.source_ids) > 3 else "")
        line = f"{result.title} | {result.title_en}. {periods[0]}-{periods[-1]}; {sources}"
        notes[table] = line + (f" ({SYNTHETIC})" if reg.synthetic else "")
        notes[trend] = notes[table]
        unit = ("ανά 1.000 κατοίκους" if lang == "el" else "per 1,000 residents") + f" ({reg.denominator})"
        attribution = (SYNTHETIC if reg.synthetic else sources) + f"; {KINDS[reg.kind][0 if lang == 'el' else 1]}"
        stem = ctx.staging / FIGURES_DIR / f"register_{name}"
        latest = layers[trend].assign(period=periods[-1]).set_index("code")
        latest["rate_eb"] = latest["rate_eb_latest"]
        written = register_figures(
            stem,
            result.rates,
            latest,
            region_of(munis),
            title=result.title if lang == "el" else result.title_en,
            unit=unit,
            attribution=attribution,
            lang=lang,
            formats=FIGURE_FORMATS,
        )
        for kind, paths in written.items():
            figures[f"register_{name}_{kind}"] = [p.relative_to(ctx.staging).as_posix() for p in paths]
        for s in records[name]["splits"]:
            for part in s["parts"]:
                split_rows.append(
                    {
                        "register": name,
                        "period": s["period"],
                        "elstat_2011": s["elstat_2011"],
                        "name_2011": s["name_2011"],
                        "count_2011": s["count_2011"],
                        **part,
                    }
                )
        logger.info(
            "register %s: %d periods, %d cells suppressed (< %d or at the source), trend classes %s",
            name,
            len(periods),
            records[name]["suppressed"],
            cfg.registers.suppress_below,
            records[name]["trend_classes"],
        )
    quality.write_csv(ctx.staging / REGISTER_FILES[0])
    quality.write_html(ctx.staging / REGISTER_FILES[1], title=f"{cfg.title}: ποιότητα μητρώων")
    fields = [
        "register",
        "period",
        "elstat_2011",
        "name_2011",
        "count_2011",
        "elstat_2021",
        "name_2021",
        "pop_share",
        "count_2021",
    ]
    write_csv_rows(ctx.staging / REGISTER_FILES[2], fields, split_rows, encoding="utf-8-sig")
    return {
        "layers": layers,
        "record": {"registers": records, "figures": figures, "quality": quality.to_dict()},
        "layer_notes": notes,
        "covariates": covariates,
        "figures": figures,
        "series": series,
    }


STAGE = Stage(
    name="registers",
    run=_run,
    describe=lambda cfg: (
        f"registers {', '.join(cfg.sources.registers)} on the 2021 municipalities: rates per 1,000 (EB-smoothed, "
        f"cells < {cfg.registers.suppress_below} suppressed), change, trend, space-time hot spots "
        f"({', '.join(f'register_{n}' for n in cfg.sources.registers)} and their _trend layers)"
    ),
    config=(
        "sources.registers",
        "registers",
        "statistics.alpha",
        "statistics.correction",
        "seed",
        "report.language",
        "title",
    ),
    needs=("harmonise", "weights"),
    products=("layers", "record", "layer_notes", "covariates", "figures", "series"),
    inputs=_inputs,
    enabled=lambda cfg: bool(cfg.sources.registers),
)
