"""``spatial-poverty data import``: check a register file and copy it into ``data/raw`` with its checksum.

The file is read exactly as a run will read it (:func:`~spatial_poverty.registers.read.read_register_file`): any
problem stops the import before anything is written. Then it is copied to ``data/raw/registers/<id><ext>`` (a
temporary name, checked, renamed, made read-only) and entered in the local catalogue
(``data/raw/catalogue.local.yaml``, :func:`~spatial_poverty.ingest.catalogue.local_catalogue_path`) with its
SHA-256, so that a scheduled run reads exactly what was checked and stops if the file changes.
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

import yaml

from spatial_poverty.errors import ConfigError, IngestError
from spatial_poverty.ingest.catalogue import copy_verified, load_catalogue, local_catalogue_path, sha256_file
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


def _write_local(path: Path, entry: dict[str, object]) -> None:
    """Add or replace ``entry`` in the local catalogue, atomically."""
    data = {"version": 1, "sources": []}
    if path.is_file():
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or data
    sources = [s for s in data.get("sources", []) if s.get("id") != entry["id"]]
    sources.append(entry)
    data["sources"] = sorted(sources, key=lambda s: str(s["id"]))
    text = (
        "# Files imported by `spatial-poverty data import` (the observatory's own): not versioned, not in the bundle.\n"
        + yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=120)
    )
    fd, tmp_name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".part")
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(text)
    os.replace(tmp_name, path)


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
    cat_path = Path(catalogue)
    cat = load_catalogue(cat_path)
    existing = next((s for s in cat.sources if s.id == source_id), None)
    if existing is not None and existing.origin != "import":
        raise ConfigError(f"{source_id!r} is a public source of {cat_path}; choose another id for an imported file")
    rows = read_register_file(src, register, name=source_id, period=period)  # raises before anything is written
    digest = sha256_file(src)
    if existing is not None and existing.sha256 != digest and not replace:
        raise ConfigError(
            f"{source_id!r} is already imported with another file (SHA-256 {existing.sha256[:12]}...); give --replace "
            "to replace it (the runs that read it will then read the new file), or another id"
        )
    rel = Path("registers") / f"{'SYNTHETIC_' if register.synthetic else ''}{source_id}{src.suffix.lower()}"
    target = Path(raw) / rel
    copied = not (target.is_file() and sha256_file(target) == digest)
    if copied:
        copy_verified(src, target, digest)
    frame = rows.frame
    periods = tuple(sorted(frame["period"].unique()))
    repeated = sum(f.duplicates for f in rows.findings)
    title = f"{register.title_en} ({KINDS[register.kind][1]})"
    synthetic = register.synthetic
    entry: dict[str, object] = {
        "id": source_id,
        "path": rel.as_posix(),
        "title": (f"{SYNTHETIC}: " if synthetic else "") + title,
        "title_el": (f"{SYNTHETIC}: " if synthetic else "") + register.title_el,
        "publisher": "spatial_poverty (synthetic generator)" if synthetic else "the observatory (its own register)",
        "landing_page": "docs/registers.md" if synthetic else f"imported from {src.name}",
        "licence": "CC0 1.0 (synthetic data)"
        if synthetic
        else "restricted: the observatory's register, not for redistribution",
        "attribution": SYNTHETIC if synthetic else attribution,
        "sha256": digest,
        "bytes": src.stat().st_size,
        "format": "XLSX" if src.suffix.lower() in (".xlsx", ".xls") else f"CSV ({register.delimiter!r} separated)",
        "encoding": register.encoding,
        "code_system": CODE_SYSTEMS[register.code_system],
        "crs": "none",
        "year": f"{periods[0]}..{periods[-1]}",
        "notes": f"{register.kind}; {len(frame)} rows; {int(frame['suppressed'].sum())} suppressed at the source; "
        f"{repeated} repeated row(s) (counted once)",
        "origin": "import",
    }
    try:
        _write_local(local_catalogue_path(cat_path), entry)
    except Exception:
        if copied and existing is None:  # we made it: do not leave an uncatalogued copy behind
            target.chmod(0o644)
            target.unlink(missing_ok=True)
        raise
    return ImportReport(
        source_id, target, digest, len(frame), periods, int(frame["suppressed"].sum()), repeated, copied
    )
