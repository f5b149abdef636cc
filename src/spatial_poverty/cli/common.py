"""What every verb of the command line shares: exit codes per error class and the handling of signals.

Exit codes: 0 success · 1 unexpected internal error · 2 wrong command-line usage · 3 bad configuration ·
4 bad or missing input data · 5 output could not be written, validated or published · 6 output exists and
--force was not given · 7 a statistic cannot be computed on these data · 8 another run is producing the same
output (refused) · 130 interrupted (SIGINT) · 143 terminated (SIGTERM).
"""

from __future__ import annotations

import logging
import os
import signal
import sys
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, NoReturn

import typer
from rich.console import Console

from spatial_poverty.errors import (
    ConfigError,
    DataSourceError,
    ExportError,
    IngestError,
    OutputExistsError,
    RunLockedError,
    SpatialPovertyError,
    StatisticsError,
)

__all__ = [
    "EXIT_CODES",
    "Terminated",
    "atomic_write",
    "checked_table",
    "configure_logging",
    "err",
    "errors",
    "fail",
    "real_units",
]

err = Console(stderr=True, soft_wrap=True)

#: Exit code per error class (most specific first).
EXIT_CODES: tuple[tuple[type[BaseException], int], ...] = (
    (ConfigError, 3),
    (DataSourceError, 4),
    (IngestError, 4),
    (OutputExistsError, 6),
    (RunLockedError, 8),
    (ExportError, 5),
    (StatisticsError, 7),
)


def configure_logging(verbose: int, quiet: bool) -> None:
    """Console logging for a command: warnings (``-v`` info, ``-vv`` debug, ``-q`` errors only), on stderr.

    Warnings that libraries raise (pyogrio, pandas, numba...) are routed to the ``py.warnings`` logger: a run
    writes them into its ``run.log``, and the console shows them only with ``-v``.
    """
    level = logging.ERROR if quiet else logging.DEBUG if verbose >= 2 else logging.INFO if verbose else logging.WARNING
    handler = logging.StreamHandler(sys.stderr)
    handler.setLevel(level)  # the handler filters: a run may lower the package's level to fill run.log
    handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
    logging.basicConfig(level=level, handlers=[handler], force=True)
    logging.captureWarnings(True)
    library = logging.getLogger("py.warnings")
    library.propagate = verbose >= 1
    if not any(isinstance(h, logging.NullHandler) for h in library.handlers):
        library.addHandler(logging.NullHandler())  # no "last resort" printing to stderr


def fail(exc: BaseException) -> NoReturn:
    for cls, code in EXIT_CODES:
        if isinstance(exc, cls):
            err.print(f"[bold red]error[/] ({cls.__name__}, exit {code}):", highlight=False)
            err.print(str(exc), markup=False, highlight=False)
            raise typer.Exit(code)
    raise AssertionError("unreachable")  # pragma: no cover


class Terminated(BaseException):
    """SIGTERM (what cron, systemd and batch schedulers send on timeout), raised where the run is."""


def _on_sigterm(signum: int, frame: object) -> NoReturn:
    raise Terminated


@contextmanager
def errors() -> Iterator[None]:
    """Exit codes for the package's errors; SIGINT (130) and SIGTERM (143) stop the run like an error does: the
    staging folder is removed, the lock released and the previous output left as it was."""
    previous = signal.signal(signal.SIGTERM, _on_sigterm)
    try:
        yield
    except SpatialPovertyError as exc:
        fail(exc)
    except KeyboardInterrupt:
        err.print("interrupted; nothing was published")
        raise typer.Exit(130) from None
    except Terminated:
        err.print("terminated (SIGTERM); nothing was published")
        raise typer.Exit(143) from None
    finally:
        signal.signal(signal.SIGTERM, previous)


def atomic_write(out: Path, write: Callable[[Path], object]) -> None:
    """Write ``out`` whole or not at all: ``write`` fills a temporary path beside it, which is then renamed."""
    out.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(dir=out.parent, prefix=f".{out.stem}.", suffix=out.suffix)
    os.close(fd)
    tmp = Path(name)
    tmp.unlink()
    try:
        write(tmp)
        os.replace(tmp, out)
    except OSError as exc:
        raise ExportError(f"could not write {out}: {exc}") from exc
    finally:
        if tmp.exists():
            tmp.unlink()


def checked_table(gdf: Any, path: Path, id_field: str, fields: list[str]) -> Any:
    """The table indexed by the id field (as text, unique, never empty), its ``fields`` as float, checked.

    Shared by ``stats`` and its lean LISA path (:mod:`spatial_poverty.cli.lisa_fast`), so both refuse the same input.
    """
    import numpy as np
    import pandas as pd

    from spatial_poverty.errors import IngestError

    for f in [id_field, *fields]:
        if f not in gdf.columns:
            raise IngestError(f"{path}: no field {f!r}; the fields are {[c for c in gdf.columns if c != 'geometry']}")
    ids = gdf[id_field]
    if pd.api.types.is_float_dtype(ids) and np.all(np.mod(ids.dropna(), 1) == 0):
        ids = ids.astype("Int64")
    ids = ids.astype(str)
    if ids.isin(["<NA>", "nan", "None", ""]).any():
        row = int(np.flatnonzero(ids.isin(["<NA>", "nan", "None", ""]).to_numpy())[0]) + 1
        raise IngestError(f"{path}: row {row}, field {id_field!r}: empty id; expected a unique id per unit")
    if ids.duplicated().any():
        dup = sorted(set(ids[ids.duplicated()]))[:5]
        raise IngestError(f"{path}: field {id_field!r} has repeated ids {dup}; expected a unique id per unit")
    gdf = gdf.set_index(pd.Index(ids.to_numpy(), name=id_field))
    for f in fields:
        try:
            values = pd.to_numeric(gdf[f], errors="raise").astype(float)
        except (ValueError, TypeError):
            bad = gdf[f][pd.to_numeric(gdf[f], errors="coerce").isna()]
            raise IngestError(
                f"{path}: row {gdf.index.get_loc(bad.index[0]) + 1} ({id_field} {bad.index[0]}), field {f!r}: "
                f"{bad.iloc[0]!r} is not a number"
            ) from None
        if values.isna().any():
            where = values.index[values.isna()][0]
            raise IngestError(
                f"{path}: row {gdf.index.get_loc(where) + 1} ({id_field} {where}), field {f!r}: missing value; "
                "expected a number for every unit"
            )
        gdf[f] = values
    return gdf


def real_units(cfg: Any) -> tuple[Any, Any]:
    """The run's municipalities with the national table, and the crosswalk, as the pipeline builds them (the
    ground the synthetic generators stand on); the files of registers and surveys, which they make, are not
    verified."""
    from spatial_poverty.harmonise.pipeline import harmonise_run
    from spatial_poverty.ingest import load_catalogue, read_municipal_boundaries, read_population, verify
    from spatial_poverty.pipeline.names import source_ids
    from spatial_poverty.pipeline.stages.ingest import selected_municipalities

    catalogue = load_catalogue(cfg.resolve(cfg.paths.catalogue))
    raw = cfg.resolve(cfg.paths.raw)
    made = {sid for reg in cfg.sources.registers.values() for sid in reg.source_ids}
    if cfg.sae is not None and cfg.sae.survey:
        made.add(cfg.sae.survey)
    verify(catalogue, raw, [i for i in source_ids(cfg) if i not in made])
    b = read_municipal_boundaries(raw / catalogue[cfg.sources.boundaries].path)
    p = read_population(raw / catalogue[cfg.sources.population].path)
    munis = selected_municipalities(cfg, b, p)
    h = harmonise_run(cfg.sources, catalogue, raw, munis, b, p)
    return h.municipalities, h.layers.get("code_crosswalk")
