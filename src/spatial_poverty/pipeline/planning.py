"""What a run of a pipeline would read and publish, from its configuration alone (``run --dry-run``, ``validate``).

:func:`run_plan` lists the steps, every input (catalogued files with their path in ``data/raw``, and the files the
configuration names itself), every layer of the GeoPackage, every figure and every file of the published folder.
A test compares it with what a real run publishes (``manifest.json``), so the plan cannot drift from the runner.

:func:`check_config_files` is the part of ``validate`` that looks at the files the configuration names: that each
exists and has the header its reader expects, without reading any data.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from spatial_poverty.errors import ConfigError
from spatial_poverty.pipeline.config import CONTEXT_SOURCES
from spatial_poverty.pipeline.names import (
    FIGURE_FORMATS,
    FIGURES_DIR,
    REGISTER_FILES,
    SAE_LAYER,
    bivariate_name,
    local_layers,
    register_figure_names,
    register_layers,
    sae_figure_names,
    source_ids,
)

if TYPE_CHECKING:
    from spatial_poverty.ingest.catalogue import Catalogue
    from spatial_poverty.pipeline.config import PipelineConfig

__all__ = [
    "FIGURES_DIR",
    "RunPlan",
    "bivariate_name",
    "check_config_files",
    "config_files",
    "local_layers",
    "plan",
    "run_plan",
    "source_ids",
]

#: The header each reader of a file the configuration names expects (``stats.weights.read_links`` and
#: ``access.travel.FERRY_LINK_COLUMNS``, whose modules ``validate`` does not import; a test checks they agree).
LINK_COLUMNS = ("code_from", "code_to")
FERRY_LINK_COLUMNS = ("port_a", "port_b", "sailings_per_week", "season")


@dataclass(frozen=True)
class RunPlan:
    """A run's plan.

    Attributes
    ----------
    steps : list of str
        What the run does, in order, in words.
    inputs : list of (str, pathlib.Path)
        Every file the run reads: ``catalogue id`` or ``config key`` (for example ``access.registry``) and path.
    layers : list of str
        The layers of ``<name>.gpkg``.
    figures : list of str
        The figures (each written as PNG and PDF under ``figures/``).
    files : list of str
        Every file of the published folder, relative to it.
    """

    steps: list[str]
    inputs: list[tuple[str, Path]]
    layers: list[str]
    figures: list[str]
    files: list[str]

    def lines(self) -> list[str]:
        """The plan as text, section by section (what ``run --dry-run`` prints)."""
        out = [f"  {i}. {step}" for i, step in enumerate(self.steps, 1)]
        out.append(f"inputs ({len(self.inputs)}):")
        out += [f"  {key}: {path}" for key, path in self.inputs]
        out.append(f"layers of the GeoPackage ({len(self.layers)}):")
        out += [f"  {name}" for name in self.layers]
        out.append(f"figures ({len(self.figures)}, each as {' and '.join(f.upper() for f in FIGURE_FORMATS)}):")
        out += [f"  {name}" for name in self.figures]
        out.append(f"files published ({len(self.files)}):")
        out += [f"  {name}" for name in self.files]
        return out


def config_files(cfg: PipelineConfig) -> list[tuple[str, Path]]:
    """The files the configuration names itself (resolved against the YAML file): key and path."""
    named: list[tuple[str, Path | None]] = [
        ("weights.links_file", cfg.weights.links_file),
        ("access.registry", cfg.access.registry if cfg.access else None),
        ("access.ferry_links", cfg.access.ferry_links if cfg.access else None),
        ("report.targets", cfg.report.targets),
    ]
    return [(key, cfg.resolve(p)) for key, p in named if p is not None]


def _header(path: Path, key: str, encoding: str, delimiter: str = ",") -> list[str]:
    try:
        with path.open(encoding=encoding, newline="") as fh:
            first = next(csv.reader(fh, delimiter=delimiter), [])
    except UnicodeDecodeError as exc:
        raise ConfigError(
            f"{key}: {path}: not {encoding} text ({exc}); state the file's encoding or save it as UTF-8"
        ) from exc
    return [c.strip().lstrip("\ufeff") for c in first]


def check_config_files(cfg: PipelineConfig) -> list[tuple[str, Path]]:
    """Check every file the configuration names: present, a file, and with the columns its reader expects.

    Raises
    ------
    ConfigError
        Naming the configuration key, the path, what was found and what was expected.
    """
    files = config_files(cfg)
    for key, path in files:
        if not path.is_file():
            what = "is a folder" if path.is_dir() else "does not exist"
            raise ConfigError(f"{cfg.config_file or 'pipeline'}: {key}: {path} {what}; expected a file")
        expected: tuple[str, ...] = ()
        if key == "weights.links_file":
            expected, cols = LINK_COLUMNS, _header(path, key, "utf-8-sig")
        elif key == "access.ferry_links":
            expected, cols = FERRY_LINK_COLUMNS, _header(path, key, "utf-8-sig")
        elif key == "access.registry" and path.suffix.lower() == ".csv":
            cols = _header(path, key, cfg.access.registry_encoding if cfg.access else "utf-8-sig", ";")
        elif key == "access.registry" and path.suffix.lower() != ".xlsx":
            raise ConfigError(f"{key}: {path}: a {path.suffix or 'file without extension'}; expected .csv or .xlsx")
        missing = [c for c in expected if c not in cols] if expected else []
        if missing:
            raise ConfigError(f"{key}: {path}: column(s) {missing} missing; the header is {cols}, expected "
                              f"{list(expected)}")  # fmt: skip
    return files


def plan(cfg: PipelineConfig) -> list[str]:
    """The steps a run of ``cfg`` would take, in words: one per stage of its graph, in the order the runner walks
    them, with what each needs and the configuration it reads (its cache key)."""
    from spatial_poverty.pipeline.graph import stage_order
    from spatial_poverty.pipeline.stages import STAGES

    order = stage_order(STAGES, cfg)
    names = {s.name for s in order}
    steps = ["verify inputs " + ", ".join(source_ids(cfg)) + f" in {cfg.resolve(cfg.paths.raw)}"]
    for stage in order:
        needs = [n for n in stage.needs if n in names]
        after = f"; after {', '.join(needs)}" if needs else ""
        cached = f"; cached on {', '.join(stage.config) or 'its inputs'}" if stage.cached else "; never cached"
        steps.append(f"{stage.name}: {stage.describe(cfg)}{after}{cached}")
    steps.append(
        f"publish the staging folder whole as {cfg.output_dir} (stages whose key is unchanged are reused from "
        f"{cfg.interim_dir / 'cache'})"
    )
    return steps


def _layers(cfg: PipelineConfig) -> list[str]:
    s = cfg.sources
    layers = ["municipalities"]
    if s.census_2011:
        layers += ["code_crosswalk", "field_provenance"]
    elif any(getattr(s, k, None) for k in CONTEXT_SOURCES):
        layers.append("field_provenance")
    if cfg.index is not None:
        layers.append(cfg.index.name)
    if cfg.regions is not None:
        layers.append("regions")
    if cfg.access is not None:
        layers += ["services", "settlement_access", "municipal_access"]
    layers += register_layers(cfg)
    if cfg.sae_enabled:
        layers.append(SAE_LAYER)
    layers += list(local_layers(cfg))
    layers += [bivariate_name(x, y) for x, y in cfg.statistics.bivariate]
    return layers


def _figures(cfg: PipelineConfig) -> list[str]:
    st = cfg.statistics
    figures = [f"choropleth_{c}" for c in cfg.indicators]
    if cfg.index is not None:
        figures.append("choropleth_deprivation_index")
    for v in st.variables:
        figures += [f"lisa_{v}", f"significance_{v}", f"moran_{v}"]
    if "gistar" in st.local_statistics:
        figures += [f"gistar_{v}" for v in st.variables]
    figures += [bivariate_name(x, y) for x, y in st.bivariate]
    if cfg.report.targets is not None:
        figures.append("targets")
    figures += register_figure_names(cfg)
    figures += sae_figure_names(cfg)
    return figures


def _files(cfg: PipelineConfig, layers: list[str], figures: list[str]) -> list[str]:
    csvs = ["quality.csv"]
    if cfg.index is not None:
        csvs.append(f"{cfg.index.name}.csv")
    if cfg.access is not None:
        csvs.append("services_issues.csv")
    if cfg.report.targets is not None:
        csvs.append("targets.csv")
    named_files: list[str] = []
    if cfg.sources.registers:
        csvs += [f for f in REGISTER_FILES if f.endswith(".csv")]
        named_files += [f for f in REGISTER_FILES if not f.endswith(".csv")]
    formats = cfg.export.formats
    if "csv" in formats:
        csvs += [f"{layer}.csv" for layer in layers]
    xlsx = [f"{cfg.index.name}.xlsx"] if cfg.index is not None else []
    if "xlsx" in formats:
        xlsx.append(f"{cfg.name}.xlsx")
    xlsx += [c[: -len(".csv")] + ".xlsx" for c in csvs]  # every CSV has an .xlsx beside it
    geojson = [f"{layer}.geojson" for layer in layers] if "geojson" in formats else []
    figure_files = [f"{FIGURES_DIR}/{f}.{fmt}" for f in figures for fmt in FIGURE_FORMATS]
    named = [f"{cfg.name}.gpkg", "map.html", "quality.html", "report.html", "manifest.json", "run.log", *named_files]
    return sorted(set(named + csvs + xlsx + geojson + figure_files))


def run_plan(cfg: PipelineConfig, catalogue: Catalogue) -> RunPlan:
    """The whole plan of a run of ``cfg``: steps, inputs, layers, figures and published files.

    ``catalogue`` gives the raw path of every catalogued input (and of the series a targets file reads).
    """
    raw = cfg.resolve(cfg.paths.raw)
    ids = source_ids(cfg)
    if cfg.report.targets is not None:
        from spatial_poverty.targets import load_targets, target_sources

        ids += [i for i in target_sources(load_targets(cfg.resolve(cfg.report.targets)), catalogue.ids) if i not in ids]
    inputs = [(i, raw / catalogue[i].path) for i in ids] + config_files(cfg)
    layers = _layers(cfg)
    figures = _figures(cfg)
    return RunPlan(plan(cfg), inputs, layers, figures, _files(cfg, layers, figures))
