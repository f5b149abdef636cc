"""``spatial-poverty data import`` (check a register file and copy it into data/raw, catalogued) and
``spatial-poverty data synthetic-registers`` (the demonstration files of a pipeline, made and imported)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console

from spatial_poverty.cli.common import configure_logging, errors, real_units

__all__ = ["data_import", "data_synthetic_registers"]

out = Console(soft_wrap=True)


def _declared(pipeline: Path, register: str) -> Any:
    from spatial_poverty.errors import ConfigError
    from spatial_poverty.pipeline import load_config

    cfg = load_config(pipeline)
    if register not in cfg.sources.registers:
        raise ConfigError(
            f"{pipeline}: no register {register!r} in sources.registers ({', '.join(cfg.sources.registers)})"
        )
    return cfg, cfg.sources.registers[register]


def data_import(
    file: Annotated[Path, typer.Argument(help="The register file (CSV or XLSX).")],
    kind: Annotated[
        str | None,
        typer.Option(help="benefit_recipients, beneficiary_households, registered_unemployed or count."),
    ] = None,
    source_id: Annotated[str | None, typer.Option("--id", help="Catalogue id to give it (snake_case).")] = None,
    pipeline: Annotated[
        Path | None, typer.Option(help="Take the declaration from this pipeline's sources.registers.")
    ] = None,
    register: Annotated[str | None, typer.Option(help="The register's name in --pipeline.")] = None,
    code_system: Annotated[str, typer.Option(help="elstat_2021, elstat_2011, ypes_2011 or names.")] = "elstat_2021",
    encoding: Annotated[str, typer.Option(help="utf-8-sig, utf-8, cp1253 or iso-8859-7 (CSV).")] = "utf-8-sig",
    delimiter: Annotated[str, typer.Option(help="CSV delimiter: ';', ',' or 'tab'.")] = ";",
    sheet: Annotated[str | None, typer.Option(help="XLSX sheet (default: the first).")] = None,
    code_column: Annotated[str, typer.Option(help="Column of the municipality code (or name).")] = "code",
    period_column: Annotated[str, typer.Option(help="Column of the period.")] = "period",
    count_column: Annotated[str, typer.Option(help="Column of the count.")] = "count",
    period: Annotated[str | None, typer.Option(help="The period of a file without a period column.")] = None,
    title: Annotated[str | None, typer.Option(help="Title of the register (English).")] = None,
    replace: Annotated[bool, typer.Option(help="Replace a file imported earlier under the same id.")] = False,
    catalogue: Annotated[Path, typer.Option(help="The data catalogue.")] = Path("data/raw/catalogue.yaml"),
    raw: Annotated[Path | None, typer.Option(help="The raw folder (default: the catalogue's).")] = None,
    verbose: Annotated[int, typer.Option("--verbose", "-v", count=True)] = 0,
) -> None:
    """Check a register file exactly as a run reads it, then copy it into data/raw with its SHA-256 in the local
    catalogue (data/raw/catalogue.local.yaml). A file with any problem is refused and nothing is written."""
    configure_logging(verbose, False)
    from spatial_poverty.errors import ConfigError
    from spatial_poverty.registers.importing import import_register
    from spatial_poverty.registers.spec import RegisterColumns, RegisterSource

    with errors():
        if pipeline is not None:
            if register is None:
                raise ConfigError("--pipeline needs --register NAME")
            cfg, reg = _declared(pipeline, register)
            catalogue = cfg.resolve(cfg.paths.catalogue)
            raw = cfg.resolve(cfg.paths.raw)
            source_id = source_id or (reg.per_period.get(period or "") if period else reg.source)
        else:
            if kind is None or source_id is None:
                raise ConfigError("data import needs --kind and --id (or --pipeline and --register)")
            reg = RegisterSource(
                title_el=title or source_id,
                title_en=title or source_id,
                kind=kind,  # type: ignore[arg-type]
                source=None if period else source_id,
                per_period={period: source_id} if period else {},
                code_system=code_system,  # type: ignore[arg-type]
                columns=RegisterColumns(code=code_column, period=None if period else period_column, count=count_column),
                encoding=encoding,  # type: ignore[arg-type]
                delimiter="\t" if delimiter == "tab" else delimiter,  # type: ignore[arg-type]
                sheet=sheet if sheet is not None else 0,
            )
        if not source_id:
            raise ConfigError(f"no catalogue id for {file}: give --id (or --period for a per-period register)")
        report = import_register(
            file,
            reg,
            source_id=source_id,
            catalogue=catalogue,
            raw=raw if raw is not None else catalogue.parent,
            period=period,
            replace=replace,
        )
    out.print(report.summary(), highlight=False, markup=False)


def data_synthetic_registers(
    pipeline: Annotated[Path, typer.Argument(help="A pipeline whose registers are declared synthetic: true.")],
    folder: Annotated[Path | None, typer.Option(help="Where to write the files (default: data/synthetic).")] = None,
    verbose: Annotated[int, typer.Option("--verbose", "-v", count=True)] = 0,
) -> None:
    """Make the SYNTHETIC demonstration files of a pipeline's registers (on the real municipalities) and import
    them into data/raw, so that the pipeline runs. Files made again identically are left as they are."""
    configure_logging(verbose, False)
    from spatial_poverty.errors import ConfigError
    from spatial_poverty.registers.importing import import_register
    from spatial_poverty.registers.synthetic import MISSING_PERIOD, monthly_periods, write_synthetic_register

    with errors():
        from spatial_poverty.pipeline import load_config

        cfg = load_config(pipeline)
        regs = {n: r for n, r in cfg.sources.registers.items() if r.synthetic}
        if not regs:
            raise ConfigError(f"{pipeline}: no register declared synthetic: true")
        munis, crosswalk = real_units(cfg)
        target = folder if folder is not None else cfg.resolve(cfg.paths.raw).parent / "synthetic"
        periods = monthly_periods()
        for i, (name, reg) in enumerate(regs.items()):
            drop = MISSING_PERIOD if reg.code_system == "names" else None
            files = [(reg.source, None)] if reg.source else [(sid, p) for p, sid in sorted(reg.per_period.items())]
            for sid, period in files:
                path = target / f"SYNTHETIC_{sid}.csv"
                write_synthetic_register(
                    path,
                    reg,
                    munis,
                    crosswalk,
                    periods=[period] if period else periods,
                    seed=cfg.seed + 101 * i,
                    drop_period=drop,
                )
                report = import_register(
                    path,
                    reg,
                    source_id=sid,
                    catalogue=cfg.resolve(cfg.paths.catalogue),
                    raw=cfg.resolve(cfg.paths.raw),
                    period=period,
                    replace=True,
                )
                out.print(f"{name}: {report.summary()}", highlight=False, markup=False)
