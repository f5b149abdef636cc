"""``spatial-poverty diff`` (what changed between two published runs) and ``spatial-poverty cache`` (the stage
cache under ``data/interim/cache``)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from spatial_poverty.cli.common import configure_logging, errors

__all__ = ["cache_app", "diff"]

out = Console(soft_wrap=True)

cache_app = typer.Typer(help="The cache of stage products (data/interim/cache).", no_args_is_help=True)

Pipeline = Annotated[Path | None, typer.Option("--pipeline", "-p", help="Pipeline YAML file (its folders are used).")]
Quiet = Annotated[bool, typer.Option("--quiet", "-q", help="Only errors.")]


def _history_folder(pipeline: Path | None, folder: Path | None) -> Path:
    """The published run folder whose history is read: given, the pipeline's, or the only one under
    ``data/processed``."""
    from spatial_poverty.errors import DataSourceError
    from spatial_poverty.pipeline.history import HISTORY_DIR

    if folder is not None:
        return folder
    if pipeline is not None:
        from spatial_poverty.pipeline import load_config

        return load_config(pipeline).output_dir
    found = sorted(p.parent for p in Path("data/processed").glob(f"*/{HISTORY_DIR}") if p.is_dir())
    if len(found) != 1:
        names = ", ".join(str(p) for p in found) or "none"
        raise DataSourceError(
            f"{len(found)} published runs with a history under data/processed ({names}); name one with --pipeline "
            "or --folder"
        )
    return found[0]


def diff(
    runs: Annotated[
        list[str] | None, typer.Argument(help="RUN_A RUN_B: run ids (or unique prefixes); default the last two.")
    ] = None,
    pipeline: Pipeline = None,
    folder: Annotated[Path | None, typer.Option("--folder", help="A published run folder.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the comparison as JSON.")] = False,
    quiet: Quiet = False,
) -> None:
    """What changed from RUN_A to RUN_B: inputs, configuration, and the municipalities that changed class."""
    from spatial_poverty.errors import ConfigError
    from spatial_poverty.pipeline.history import compare, diff_lines, find_records, load_history

    configure_logging(0, quiet)
    with errors():
        wanted = list(runs or [])
        if len(wanted) not in (0, 2):
            raise ConfigError(f"diff takes two run ids or none (the last two runs); {len(wanted)} were given")
        where = _history_folder(pipeline, folder)
        before, after = find_records(load_history(where), wanted)
        result = compare(before, after)
    if as_json:
        out.print_json(json.dumps(result, ensure_ascii=False))
        return
    out.print(f"history of {where}", highlight=False, markup=False)
    for line in diff_lines(result):
        out.print(line, highlight=False, markup=False)


def _cache(pipeline: Path | None, folder: Path | None) -> Path:
    if folder is not None:
        return folder
    if pipeline is not None:
        from spatial_poverty.pipeline import load_config

        return load_config(pipeline).interim_dir / "cache"
    return Path("data/interim/cache")


@cache_app.command("clear")
def cache_clear(
    pipeline: Pipeline = None,
    folder: Annotated[Path | None, typer.Option("--folder", help="The cache folder.")] = None,
    quiet: Quiet = False,
) -> None:
    """Remove every cached stage product (entries this program made; nothing else in the folder)."""
    from spatial_poverty.pipeline.cache import StageCache

    configure_logging(0, quiet)
    with errors():
        root = _cache(pipeline, folder)
        n, size = StageCache(root, 0).clear()
    if not quiet:
        out.print(f"{root}: {n} entries removed ({size / 2**20:.1f} MB)", highlight=False, markup=False)


@cache_app.command("info")
def cache_info(
    pipeline: Pipeline = None,
    folder: Annotated[Path | None, typer.Option("--folder", help="The cache folder.")] = None,
) -> None:
    """How many entries the cache holds, and their size."""
    from spatial_poverty.pipeline.cache import StageCache

    configure_logging(0, False)
    with errors():
        root = _cache(pipeline, folder)
        entries = StageCache(root, 0).entries()
    size = sum(s for _, s, _ in entries)
    out.print(f"{root}: {len(entries)} entries, {size / 2**20:.1f} MB", highlight=False, markup=False)
