"""``spatial-poverty report``: the report of a published run again, for example in English."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Literal

import typer

from spatial_poverty.errors import DataSourceError

__all__ = ["report"]


def report(
    folder: Annotated[Path, typer.Argument(help="A published run folder (with manifest.json).")],
    output: Annotated[Path, typer.Option("--output", "-o", help="Where to write the HTML report.")],
    lang: Annotated[str, typer.Option("--lang", help="el (Greek) or en (English).")] = "el",
    verbose: Annotated[int, typer.Option("--verbose", "-v", count=True, help="More log output.")] = 0,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Only errors.")] = False,
) -> None:
    """Write the report of the run in FOLDER to OUTPUT (the published folder is not changed)."""
    from rich.console import Console

    from spatial_poverty.cli.common import configure_logging, errors
    from spatial_poverty.report.html import write_report

    out = Console(soft_wrap=True)
    configure_logging(verbose, quiet)
    if lang not in ("el", "en"):
        raise typer.BadParameter(f"--lang needs to be el or en; {lang!r} was given instead")
    language: Literal["el", "en"] = "en" if lang == "en" else "el"
    with errors():
        manifest_path = folder / "manifest.json"
        if not manifest_path.is_file():
            raise DataSourceError(f"{folder} is not a run folder: {manifest_path} does not exist")
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
        if output.resolve().parent == folder.resolve():
            raise DataSourceError(f"{output}: write the report outside the published folder {folder}")
        path = write_report(folder, manifest, output, lang=language)
    if not quiet:
        out.print(f"wrote {path}", highlight=False)
