"""The data catalogue (``data/raw/catalogue.yaml``), ``data sync`` and checksum verification.

Every input file has an entry: its official source, licence, attribution and SHA-256. ``sync`` copies files
from the offline bundle into ``data/raw``; nothing else in the package writes there. Every run verifies the
checksums of the files it reads, so a changed input stops the run instead of changing the numbers.
"""

from __future__ import annotations

import hashlib
import logging
import os
import shutil
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from spatial_poverty.errors import ConfigError, DataSourceError

__all__ = [
    "BUNDLE_ENV",
    "LOCAL_CATALOGUE",
    "Catalogue",
    "Source",
    "SyncReport",
    "catalogue_sha256",
    "copy_verified",
    "default_bundle_dir",
    "import_file",
    "load_catalogue",
    "local_catalogue_path",
    "sha256_file",
    "sync",
    "verify",
]

logger = logging.getLogger(__name__)

#: Environment variable naming the folder that holds the offline bundle.
BUNDLE_ENV = "SPATIAL_POVERTY_BUNDLE"
#: The observatory's own files (``spatial-poverty data import``) are catalogued beside the public catalogue, in
#: ``<catalogue>.local.yaml`` (``data/raw/catalogue.local.yaml``): never versioned, never synced from the bundle.
LOCAL_CATALOGUE = ".local.yaml"


class Source(BaseModel):
    """One input file of the catalogue."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    path: str
    title: str
    title_el: str | None = None
    publisher: str
    landing_page: str
    obtained_from: str | None = None
    licence: str
    attribution: str
    sha256: str = Field(pattern=r"^[0-9a-f]{64}$")
    bytes: int | None = None
    format: str
    encoding: str
    code_system: str
    crs: str
    year: str | None = None
    notes: str | None = None
    #: "bundle": a public file that ``data sync`` copies; "import": a file ``data import`` checked and copied.
    origin: Literal["bundle", "import"] = "bundle"

    def where_to_get(self) -> str:
        """A sentence telling a user where this file comes from."""
        return f"get it from {self.publisher}, {self.landing_page}" + (
            f" (the bundle's copy came from {self.obtained_from})" if self.obtained_from else ""
        )


class Catalogue(BaseModel):
    """All input files, by id."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    version: int
    sources: tuple[Source, ...]

    def __getitem__(self, source_id: str) -> Source:
        for s in self.sources:
            if s.id == source_id:
                return s
        known = ", ".join(s.id for s in self.sources)
        raise ConfigError(f"unknown data source {source_id!r}; the catalogue has: {known}")

    @property
    def ids(self) -> list[str]:
        return [s.id for s in self.sources]


def local_catalogue_path(path: str | os.PathLike[str]) -> Path:
    """Where the imported files of a catalogue are listed: ``catalogue.yaml`` -> ``catalogue.local.yaml``."""
    path = Path(path)
    return path.with_name(path.stem + LOCAL_CATALOGUE)


def catalogue_sha256(path: str | os.PathLike[str]) -> str:
    """SHA-256 of the catalogue and, when there is one, of its local part (the imported files)."""
    h = hashlib.sha256(Path(path).read_bytes())
    local = local_catalogue_path(path)
    if local.is_file():
        h.update(local.read_bytes())
    return h.hexdigest()


def load_catalogue(path: str | os.PathLike[str]) -> Catalogue:
    """Read and validate the catalogue file, with the files imported into it (:func:`local_catalogue_path`).

    Raises
    ------
    ConfigError
        If a file is missing, is not YAML, or an entry does not match the schema (ids must be unique across both).
    """
    cat = _load_one(Path(path))
    local = local_catalogue_path(path)
    if local.is_file():
        imported = _load_one(local)
        bad = [s.id for s in imported.sources if s.origin != "import"]
        if bad:
            raise ConfigError(f"data catalogue {local}: entries {bad} need origin: import (they are imported files)")
        cat = Catalogue(version=cat.version, sources=(*cat.sources, *imported.sources))
    seen: set[str] = set()
    for s in cat.sources:
        if s.id in seen:
            raise ConfigError(f"data catalogue {path} (with {local.name}): id {s.id!r} appears twice")
        seen.add(s.id)
    return cat


def _load_one(path: Path) -> Catalogue:
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise ConfigError(f"data catalogue {path} does not exist") from exc
    except yaml.YAMLError as exc:
        raise ConfigError(f"data catalogue {path} is not valid YAML: {exc}") from exc
    try:
        cat = Catalogue.model_validate(raw)
    except ValidationError as exc:
        raise ConfigError(f"data catalogue {path} does not match the schema:\n{exc}") from exc
    return cat


def sha256_file(path: str | os.PathLike[str], *, chunk: int = 1 << 20) -> str:
    """The SHA-256 of a file, read in chunks."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while block := f.read(chunk):
            h.update(block)
    return h.hexdigest()


def default_bundle_dir(project_root: str | os.PathLike[str]) -> Path:
    """``$SPATIAL_POVERTY_BUNDLE`` if set, else ``../shared/data`` beside the project root."""
    env = os.environ.get(BUNDLE_ENV)
    if env:
        return Path(env)
    return Path(project_root).resolve().parent / "shared" / "data"


@dataclass
class SyncReport:
    """What ``sync`` did, per source id."""

    copied: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    replaced: list[str] = field(default_factory=list)

    def summary(self) -> str:
        return (
            f"{len(self.copied)} copied, {len(self.replaced)} replaced (checksum differed), "
            f"{len(self.unchanged)} already present and verified"
        )


def _select(catalogue: Catalogue, ids: Iterable[str] | None) -> list[Source]:
    return list(catalogue.sources) if ids is None else [catalogue[i] for i in ids]


def sync(
    catalogue: Catalogue,
    bundle_dir: str | os.PathLike[str],
    raw_dir: str | os.PathLike[str],
    *,
    ids: Iterable[str] | None = None,
) -> SyncReport:
    """Copy catalogued files from the bundle into ``raw_dir``, verifying every checksum.

    Each file is checked in the bundle before it is copied, copied to a temporary name beside its target,
    checked again and renamed into place, then made read-only. A file already in ``raw_dir`` with the right
    checksum is left alone.

    Raises
    ------
    DataSourceError
        Naming every file that is missing from the bundle or whose checksum differs, and where to get it.
        Nothing is copied when any file is missing or changed.
    """
    bundle = Path(bundle_dir)
    raw = Path(raw_dir)
    sources = [s for s in _select(catalogue, ids) if s.origin == "bundle"]  # imported files are not in the bundle
    if not bundle.is_dir():
        raise DataSourceError(f"the data bundle folder {bundle} does not exist; pass --from DIR or set ${BUNDLE_ENV}")
    problems: list[str] = []
    todo: list[tuple[Source, Path, str]] = []
    report = SyncReport()
    for s in sources:
        target = raw / s.path
        if target.is_file() and sha256_file(target) == s.sha256:
            report.unchanged.append(s.id)
            continue
        src = bundle / s.path
        if not src.is_file():
            problems.append(f"{s.path} (source {s.id}) is missing from {bundle}; {s.where_to_get()}")
            continue
        digest = sha256_file(src)
        if digest != s.sha256:
            problems.append(
                f"{src} (source {s.id}) has SHA-256 {digest}, the catalogue expects {s.sha256}; "
                f"the file differs from the catalogued one; {s.where_to_get()}"
            )
            continue
        todo.append((s, src, "replaced" if target.exists() else "copied"))
    if problems:
        raise DataSourceError("data sync stopped, nothing was copied:\n  " + "\n  ".join(problems))
    for s, src, what in todo:
        target = raw / s.path
        if target.exists():
            logger.warning("replacing %s: its checksum differed from the catalogue's", target)
        copy_verified(src, target, s.sha256)
        getattr(report, what).append(s.id)
        logger.info("%s %s -> %s", what, s.id, target)
    return report


def copy_verified(src: str | os.PathLike[str], target: str | os.PathLike[str], sha256: str) -> None:
    """Copy ``src`` to ``target`` whole or not at all: to a temporary name beside it, checked against ``sha256``,
    made read-only and renamed into place (a read-only file already there is replaced).

    Raises
    ------
    DataSourceError
        If the copy does not match ``sha256``; ``target`` is then left as it was.
    """
    src, target = Path(src), Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".part")
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        shutil.copyfile(src, tmp)
        if sha256_file(tmp) != sha256:
            raise DataSourceError(f"copy of {src} to {target} does not match its checksum")
        if target.exists():
            target.chmod(0o644)
        tmp.chmod(0o444)
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)


def _write_local(path: Path, entry: dict[str, object]) -> None:
    """Add or replace ``entry`` in the local catalogue, atomically."""
    data: dict[str, object] = {"version": 1, "sources": []}
    if path.is_file():
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or data
    sources = [s for s in data.get("sources", []) if s.get("id") != entry["id"]]  # type: ignore[union-attr]
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


def import_file(
    src: str | os.PathLike[str],
    *,
    source_id: str,
    rel: str | os.PathLike[str],
    catalogue: str | os.PathLike[str],
    raw: str | os.PathLike[str],
    entry: dict[str, object],
    replace: bool = False,
) -> tuple[Path, str, bool]:
    """Copy an already checked file into ``raw/rel`` (read-only, whole or not at all) and enter it in the local
    catalogue under ``source_id`` with its SHA-256 (``entry`` gives the other fields). A copy it made is removed
    again if the catalogue cannot be written. Returns the target, the SHA-256 and whether it copied.

    Raises
    ------
    ConfigError
        ``source_id`` is a public source of the catalogue, or an imported one with another file and ``replace``
        was not given.
    """
    src = Path(src)
    cat_path = Path(catalogue)
    existing = next((s for s in load_catalogue(cat_path).sources if s.id == source_id), None)
    if existing is not None and existing.origin != "import":
        raise ConfigError(f"{source_id!r} is a public source of {cat_path}; choose another id for an imported file")
    digest = sha256_file(src)
    if existing is not None and existing.sha256 != digest and not replace:
        raise ConfigError(
            f"{source_id!r} is already imported with another file (SHA-256 {existing.sha256[:12]}...); give --replace "
            "to replace it (the runs that read it will then read the new file), or another id"
        )
    target = Path(raw) / rel
    copied = not (target.is_file() and sha256_file(target) == digest)
    if copied:
        copy_verified(src, target, digest)
    full = {"id": source_id, "path": Path(rel).as_posix(), **entry, "sha256": digest, "bytes": src.stat().st_size,
            "origin": "import"}  # fmt: skip
    try:
        _write_local(local_catalogue_path(cat_path), full)
    except Exception:
        if copied and existing is None:  # we made it: do not leave an uncatalogued copy behind
            target.chmod(0o644)
            target.unlink(missing_ok=True)
        raise
    return target, digest, copied


def verify(catalogue: Catalogue, raw_dir: str | os.PathLike[str], ids: Iterable[str] | None = None) -> dict[str, str]:
    """Check that the files of ``ids`` are in ``raw_dir`` with their catalogued checksums.

    Returns
    -------
    dict
        ``{source id: sha256}`` of the verified files.

    Raises
    ------
    DataSourceError
        Naming every missing or changed file and how to get it (``spatial-poverty data sync``).
    """
    raw = Path(raw_dir)
    problems: list[str] = []
    out: dict[str, str] = {}
    for s in _select(catalogue, ids):
        f = raw / s.path
        if not f.is_file() and s.origin == "import":
            problems.append(f"{f} (source {s.id}) is missing; import it again with `spatial-poverty data import`")
        elif not f.is_file():
            problems.append(f"{f} (source {s.id}) is missing; run `spatial-poverty data sync` or {s.where_to_get()}")
            continue
        digest = sha256_file(f)
        if digest != s.sha256:
            other = next((o for o in catalogue.sources if o.sha256 == digest and o.id != s.id), None)
            what = f"; it is the file of source {other.id} ({other.path}), not this one" if other else ""
            problems.append(
                f"{f} (source {s.id}) has SHA-256 {digest}, the catalogue expects {s.sha256}{what}; "
                f"run `spatial-poverty data sync` to restore it or {s.where_to_get()}"
            )
            continue
        out[s.id] = digest
    if problems:
        raise DataSourceError("input files are missing or changed:\n  " + "\n  ".join(problems))
    return out
