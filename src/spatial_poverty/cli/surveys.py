"""``spatial-poverty data import-survey`` (check a survey file as a pipeline's ``sae:`` section declares it and
copy it into data/raw, catalogued) and ``spatial-poverty data synthetic-survey`` (the SYNTHETIC survey of a
pipeline, made on the real municipalities with its truth, and imported)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console

from spatial_poverty.cli.common import configure_logging, errors, real_units

__all__ = ["data_import_survey", "data_synthetic_survey"]

out = Console(soft_wrap=True)


def _sae(pipeline: Path) -> Any:
    from spatial_poverty.errors import ConfigError
    from spatial_poverty.pipeline import load_config

    cfg = load_config(pipeline)
    if cfg.sae is None or not cfg.sae.survey:
        raise ConfigError(f"{pipeline}: no sae: section with a survey id")
    return cfg


def _women(cfg: Any) -> Any:
    """The 2021 women of every municipality (their codes: every 2021 code a survey may carry)."""
    from spatial_poverty.ingest.catalogue import load_catalogue
    from spatial_poverty.ingest.elstat2021 import read_women_2021

    catalogue = load_catalogue(cfg.resolve(cfg.paths.catalogue))
    return read_women_2021(cfg.resolve(cfg.paths.raw) / catalogue[cfg.sources.population].path)


def _import(cfg: Any, path: Path, munis: Any, crosswalk: Any, replace: bool) -> None:
    from spatial_poverty.sae.importing import import_survey

    report = import_survey(
        path, cfg.sae, source_id=cfg.sae.survey, municipalities=munis.index, known_codes=_women(cfg).index,
        crosswalk=crosswalk,
        catalogue=cfg.resolve(cfg.paths.catalogue), raw=cfg.resolve(cfg.paths.raw), replace=replace,
    )  # fmt: skip
    out.print(report.summary(), highlight=False, markup=False)


def data_import_survey(
    file: Annotated[Path, typer.Argument(help="The survey: CSV, one row per person.")],
    pipeline: Annotated[Path, typer.Option(help="The pipeline whose sae: section declares the survey.")],
    replace: Annotated[bool, typer.Option(help="Replace a file imported under the same id.")] = False,
    verbose: Annotated[int, typer.Option("--verbose", "-v", count=True)] = 0,
) -> None:
    """Check a survey file as the pipeline's sae: section declares it (design columns, outcome, codes) and copy it
    into data/raw/surveys, read-only, with its SHA-256 in data/raw/catalogue.local.yaml (id: sae.survey)."""
    configure_logging(verbose, False)
    with errors():
        cfg = _sae(pipeline)
        munis, crosswalk = real_units(cfg)
        _import(cfg, file, munis, crosswalk, replace)


def data_synthetic_survey(
    pipeline: Annotated[Path, typer.Argument(help="A pipeline whose sae: section is declared synthetic: true.")],
    folder: Annotated[Path | None, typer.Option(help="Where to write the files (default: data/synthetic).")] = None,
    verbose: Annotated[int, typer.Option("--verbose", "-v", count=True)] = 0,
) -> None:
    """Make the SYNTHETIC survey of a pipeline (EU-SILC-like, on the real municipalities and the run's
    covariates) with its truth beside it, and import it into data/raw. Made again, the files are identical."""
    configure_logging(verbose, False)
    with errors():
        from spatial_poverty.errors import ConfigError
        from spatial_poverty.sae.synthetic_survey import synthetic_survey, write_synthetic_survey

        cfg = _sae(pipeline)
        if not cfg.sae.synthetic:
            raise ConfigError(f"{pipeline}: sae.synthetic is not true; a real survey enters with data import-survey")
        munis, crosswalk = real_units(cfg)
        munis = munis.assign(female_2021=_women(cfg))
        survey = synthetic_survey(munis, cfg.sae.table_covariates, seed=cfg.seed, year=cfg.sae.year)
        target = folder if folder is not None else cfg.resolve(cfg.paths.raw).parent / "synthetic"
        path, truth = write_synthetic_survey(survey, target / f"SYNTHETIC_{cfg.sae.survey}.csv")
        out.print(f"{path}: {len(survey.sample)} persons (SYNTHETIC); truth in {truth}", highlight=False, markup=False)
        _import(cfg, path, munis, crosswalk, replace=True)
