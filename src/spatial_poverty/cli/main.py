"""The ``spatial-poverty`` command: ``run``, ``validate``, ``data sync|import|synthetic-registers|import-survey|
synthetic-survey``, ``diff`` and ``cache``.

Only this module prints and configures logging; the library logs through ``logging.getLogger(__name__)``.

Exit codes
----------
0 success · 1 unexpected internal error · 2 wrong command-line usage · 3 bad configuration ·
4 bad or missing input data · 5 output could not be written, validated or published ·
6 output exists and --force was not given · 7 a statistic cannot be computed on these data ·
8 another run is producing the same output (refused) · 130 interrupted (SIGINT) · 143 terminated (SIGTERM).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console

from spatial_poverty.cli.common import EXIT_CODES, Terminated, err
from spatial_poverty.cli.common import configure_logging as _configure_logging
from spatial_poverty.cli.common import errors as _errors
from spatial_poverty.cli.index import index_app
from spatial_poverty.cli.registers import data_import, data_synthetic_registers
from spatial_poverty.cli.runs import cache_app, diff
from spatial_poverty.cli.sae import sae_app
from spatial_poverty.cli.stats import stats_app
from spatial_poverty.cli.surveys import data_import_survey, data_synthetic_survey

if TYPE_CHECKING:
    from spatial_poverty.pipeline.config import PipelineConfig

__all__ = ["EXIT_CODES", "Terminated", "app"]

app = typer.Typer(
    name="spatial-poverty",
    help="Spatial analysis of poverty and social exclusion for the Greek Regional Observatories of Social Inclusion.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
data_app = typer.Typer(
    help="The input data: copy the catalogued files into data/raw and verify them; import the observatory's own.",
    no_args_is_help=True,
)
data_app.command("import")(data_import)
data_app.command("synthetic-registers")(data_synthetic_registers)
data_app.command("import-survey")(data_import_survey)
data_app.command("synthetic-survey")(data_synthetic_survey)
app.add_typer(data_app, name="data")
app.add_typer(stats_app, name="stats")
app.add_typer(sae_app, name="sae")
app.add_typer(index_app, name="index")
app.add_typer(cache_app, name="cache")
app.command("diff")(diff)

out = Console(soft_wrap=True)

Verbose = Annotated[int, typer.Option("--verbose", "-v", count=True, help="More log output (-vv for debug).")]
Quiet = Annotated[bool, typer.Option("--quiet", "-q", help="Only errors.")]


@app.command()
def validate(
    pipeline: Annotated[Path, typer.Argument(help="Pipeline YAML file.")],
    verbose: Verbose = 0,
    quiet: Quiet = False,
) -> None:
    """Check a pipeline file (and the targets file it names) against the schema, without reading any data."""
    _configure_logging(verbose, quiet)
    from spatial_poverty.pipeline import load_config
    from spatial_poverty.pipeline.planning import check_config_files

    with _errors():
        cfg = load_config(pipeline)
        _check_sources(cfg)
        _target_input_ids(cfg)
        files = check_config_files(cfg)
    if not quiet:
        out.print(f"{pipeline}: valid pipeline {cfg.name!r}", highlight=False)
        for key, path in files:
            out.print(f"  {key}: {path} (checked)", highlight=False, markup=False)


def _check_sources(cfg: PipelineConfig) -> None:
    """Every source id of the pipeline is in its data catalogue (ConfigError otherwise)."""
    from spatial_poverty.ingest import load_catalogue
    from spatial_poverty.pipeline.config import check_source_ids

    catalogue = cfg.resolve(cfg.paths.catalogue)
    check_source_ids(cfg, load_catalogue(catalogue).ids, catalogue)


def _dry_run(cfg: PipelineConfig) -> None:
    """Check the configuration, its files and every input's checksum; print what a run would read and publish."""
    from spatial_poverty.ingest import load_catalogue, verify
    from spatial_poverty.pipeline.planning import check_config_files, run_plan

    check_config_files(cfg)
    catalogue = load_catalogue(cfg.resolve(cfg.paths.catalogue))
    the_plan = run_plan(cfg, catalogue)
    verify(catalogue, cfg.resolve(cfg.paths.raw), [key for key, _ in the_plan.inputs if key in catalogue.ids])
    out.print(f"pipeline {cfg.name!r} is valid and its inputs are present and verified; a run would:", highlight=False)
    for line in the_plan.lines():
        out.print(line, highlight=False, markup=False)


def _target_input_ids(cfg: PipelineConfig) -> list[str]:
    """Validate the pipeline's targets file, if any: its schema, and that the catalogue lists its inputs."""
    if cfg.report.targets is None:
        return []
    from spatial_poverty.ingest import load_catalogue
    from spatial_poverty.targets import load_targets, target_sources
    from spatial_poverty.targets.schema import check_run_series

    targets = load_targets(cfg.resolve(cfg.report.targets))
    check_run_series(targets, cfg)
    return target_sources(targets, load_catalogue(cfg.resolve(cfg.paths.catalogue)).ids)


@app.command()
def run(
    pipeline: Annotated[Path, typer.Argument(help="Pipeline YAML file.")],
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Validate and check inputs, then show the plan.")] = False,
    force: Annotated[bool, typer.Option("--force", help="Replace the existing output folder.")] = False,
    no_cache: Annotated[
        bool, typer.Option("--no-cache", help="Recompute every stage (the cache in data/interim is refreshed).")
    ] = False,
    only: Annotated[
        str | None,
        typer.Option("--only", metavar="STAGE[,STAGE]", help="Recompute these stages only (a partial run)."),
    ] = None,
    start: Annotated[
        str | None,
        typer.Option("--from", metavar="STAGE", help="Recompute this stage and those after it (a partial run)."),
    ] = None,
    verbose: Verbose = 0,
    quiet: Quiet = False,
) -> None:
    """Run a pipeline and publish its outputs in data/processed/<name>/ (whole, or not at all).

    Stages whose code, configuration and inputs have not changed are reused from data/interim/cache.

    A partial run (--only, --from) publishes into data/processed/<name>-partial/, never over the whole output.
    """
    _configure_logging(verbose, quiet)
    from spatial_poverty.pipeline import load_config, run_pipeline

    with _errors():
        cfg = load_config(pipeline)
        _check_sources(cfg)
        if dry_run:
            _dry_run(cfg)
            return
        with _progress(quiet) as progress:
            stages = [s.strip() for s in only.split(",") if s.strip()] if only else []
            result = run_pipeline(cfg, force=force, progress=progress, no_cache=no_cache, only=stages, start=start)
    if not quiet:
        _summary(result.output_dir, result.manifest)


def _summary(folder: Path, manifest: dict) -> None:
    """What a run published, in a few lines: counts, Moran's I, which stages ran and which were reused."""
    stages = manifest.get("stages", {})
    reused = [n for n, s in stages.items() if s["status"] == "reused"]
    done = [n for n, s in stages.items() if s["status"] == "recomputed"]
    kind = "partial output (not the whole run)" if manifest.get("partial") else "published"
    c = manifest.get("counts") or {}
    counts = (
        f": {c['municipalities']} municipalities, pop_2011 {c['pop_2011']:,}, pop_2021 {c['pop_2021']:,}" if c else ""
    )
    out.print(f"{kind} {folder}{counts}", highlight=False)
    out.print(f"  stages recomputed: {', '.join(done) or 'none'}; reused from the cache: {', '.join(reused) or 'none'}",
              highlight=False)  # fmt: skip
    for var, st in (manifest.get("statistics") or {}).items():
        gm = st.get("global_moran") if isinstance(st, dict) else None
        if gm and gm.get("I") is not None:
            out.print(f"  Moran's I of {var}: {gm['I']:.4f} (pseudo p {gm['p_sim']:.4f}, two-sided)", highlight=False)


@contextmanager
def _progress(quiet: bool) -> Iterator[Callable[[str], None] | None]:
    if quiet or not err.is_terminal:
        yield (lambda stage: err.print(f"- {stage}", highlight=False)) if not quiet else None
        return
    with err.status("starting") as status:
        yield lambda stage: status.update(f"[bold]{stage}[/]")


def _project_root(catalogue: Path) -> Path:
    """The project folder: the one holding ``data/raw/<catalogue>``, else the working directory."""
    path = catalogue.resolve()
    if path.parent.name == "raw" and path.parent.parent.name == "data":
        return path.parents[2]
    return Path.cwd()


@data_app.command("sync")
def data_sync(
    from_dir: Annotated[
        Path | None,
        typer.Option(
            "--from",
            help="Folder holding the bundle (default: $SPATIAL_POVERTY_BUNDLE, else ../shared/data).",
        ),
    ] = None,
    catalogue: Annotated[Path, typer.Option(help="The data catalogue.")] = Path("data/raw/catalogue.yaml"),
    raw: Annotated[Path | None, typer.Option(help="Where to copy (default: the catalogue's folder).")] = None,
    only: Annotated[list[str] | None, typer.Option("--only", help="Copy only these source ids.")] = None,
    verbose: Verbose = 0,
    quiet: Quiet = False,
) -> None:
    """Copy the catalogued files from the bundle into data/raw, verifying every SHA-256."""
    _configure_logging(verbose, quiet)
    from spatial_poverty.ingest.catalogue import default_bundle_dir, load_catalogue, sync

    with _errors():
        cat = load_catalogue(catalogue)
        raw_dir = raw if raw is not None else catalogue.parent
        bundle = from_dir if from_dir is not None else default_bundle_dir(_project_root(catalogue))
        report = sync(cat, bundle, raw_dir, ids=only or None)
    if not quiet:
        out.print(f"data sync from {bundle} into {raw_dir}: {report.summary()}", highlight=False)


def main() -> None:  # pragma: no cover - console entry point
    app()


from spatial_poverty.report.cli import report as _report  # noqa: E402  (registered here, defined with the report)

app.command("report")(_report)
