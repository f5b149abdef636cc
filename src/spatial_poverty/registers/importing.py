"""``spatial-poverty data import``: check a register file and copy it into ``data/raw`` with its checksum.

The file is read exactly as a run will read it (:func:`~spatial_poverty.registers.read.read_register_file`): any
problem stops the import before anything is written. Then it is copied to ``data/raw/registers/<id><ext>`` (a
temporary name, checked, renamed, made read-only) and entered in the local catalogue
(``data/raw/catalogue.local.yaml``, :func:`~spatial_poverty.ingest.catalogue.local_catalogue_path`) with its
SHA-256, so that a scheduled run reads exactly what was checked and stops if the file changes.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from spatial_poverty.errors import IngestError
from spatial_poverty.ingest.catalogue import import_file
from spatial_poverty.registers.read import read_register_file
from spatial_poverty.registers.spec import CODE_SYSTEMS, KINDS, SYNTHETIC, RegisterSource

__all__ = ["ImportReport", "import_register"]


@dataclass(frozen=True)
class ImportReport:
    """What an import did."""

    source_id: str
    target: Path
    sha256: str
    rows: int
    periods: tuple[str, ...]
    suppressed: int
    repeated: int
    copied: bool

    def summary(self) -> str:
        what = "copied to" if self.copied else "already present, identical, at"
        return (
            f"{self.source_id}: {self.rows} rows, periods {self.periods[0]}..{self.periods[-1]} ({len(self.periods)}), "
            f"{self.suppressed} suppressed cell(s), {self.repeated} repeated row(s); {what} {self.target} "
            f"(SHA-256 {self.sha256[:12]}...)"
        )


def import_register(
    path: str | os.PathLike[str],
    register: RegisterSource,
    *,
    source_id: str,
    catalogue: str | os.PathLike[str],
    raw: str | os.PathLike[str],
    period: str | None = None,
    replace: bool = False,
    attribution: str = "Παρατηρητήριο Κοινωνικής Ένταξης (μητρώο του)",
) -> ImportReport:
    """Check ``path`` as ``register`` declares it, copy it into ``raw`` and catalogue it under ``source_id``.

    Raises
    ------
    IngestError
        The file does not read as declared (nothing is written).
    ConfigError
        ``source_id`` is a public source of the catalogue, or an imported one with another file and ``replace``
        was not given.
    """
    src = Path(path)
    if not src.is_file():
        raise IngestError(f"{src} does not exist or is not a file")
    rows = read_register_file(src, register, name=source_id, period=period)  # raises before anything is written
    rel = Path("registers") / f"{'SYNTHETIC_' if register.synthetic else ''}{source_id}{src.suffix.lower()}"
    frame = rows.frame
    periods = tuple(sorted(frame["period"].unique()))
    repeated = sum(f.duplicates for f in rows.findings)
    title = f"{register.title_en} ({KINDS[register.kind][1]})"
    synthetic = register.synthetic
    entry: dict[str, object] = {
        "title": (f"{SYNTHETIC}: " if synthetic else "") + title,
        "title_el": (f"{SYNTHETIC}: " if synthetic else "") + register.title_el,
        "publisher": "spatial_poverty (synthetic generator)" if synthetic else "the observatory (its own register)",
        "landing_page": "docs/registers.md" if synthetic else f"imported from {src.name}",
        "licence": "CC0 1.0 (synthetic data)"
        if synthetic
        else "restricted: the observatory's register, not for redistribution",
        "attribution": SYNTHETIC if synthetic else attribution,
        "format": "XLSX" if src.suffix.lower() in (".xlsx", ".xls") else f"CSV ({register.delimiter!r} separated)",
        "encoding": register.encoding,
        "code_system": CODE_SYSTEMS[register.code_system],
        "crs": "none",
        "year": f"{periods[0]}..{periods[-1]}",
        "notes": f"{register.kind}; {len(frame)} rows; {int(frame['suppressed'].sum())} suppressed at the source; "
        f"{repeated} repeated row(s) (counted once)",
    }
    target, digest, copied = import_file(
        src, source_id=source_id, rel=rel, catalogue=catalogue, raw=raw, entry=entry, replace=replace
    )
    return ImportReport(
        source_id, target, digest, len(frame), periods, int(frame["suppressed"].sum()), repeated, copied
    )
