"""The content-addressed cache of stage products, under ``data/interim/cache/`` (cookiecutter-data-science).

A stage's entry is keyed by the SHA-256 of: the code (every source file of the package and the versions of the
libraries it runs on), the data catalogue, the stage's configuration keys, the SHA-256 of its inputs and the keys of
the stages it needs. The same key means the same products, so a rerun reuses them; a change anywhere upstream
changes the key downstream, and only those stages run again.

An entry is a folder ``<stage>/<key>/`` with ``products/<name>.pickle``, ``files/`` (the files the stage wrote into
the staging folder, restored by copy) and ``entry.json`` (written last: an entry without it is incomplete and is
ignored). The files' SHA-256 are checked when an entry is reused: a damaged entry is recomputed, not published.

The cache holds pickles this program wrote for itself; it is not a format to exchange. Its size is kept under a
limit by removing the entries least recently used (never one this run used), and ``spatial-poverty cache clear``
removes the entries, and only them.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import os
import pickle
import shutil
import time
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cache
from importlib import metadata
from pathlib import Path
from typing import Any

from spatial_poverty.errors import ExportError

__all__ = ["LIBRARIES", "CacheEntry", "StageCache", "code_version", "stage_key"]

logger = logging.getLogger(__name__)

ENTRY = "entry.json"
#: A ``.tmp-`` folder older than this was left by a killed run (a store takes seconds).
STALE_TMP_S = 3600
#: The libraries a run rests on: their versions are part of every key (a new numpy may change a number) and are
#: recorded in every run's manifest and GeoPackage.
LIBRARIES = (
    "numpy",
    "pandas",
    "scipy",
    "geopandas",
    "shapely",
    "pyogrio",
    "pyproj",
    "libpysal",
    "esda",
    "numba",
    "mapclassify",
    "matplotlib",
    "folium",
    "branca",
    "jinja2",
    "pydantic",
    "openpyxl",
    "xlsxwriter",
    "gdal-utils",
    "xstatic-leaflet",
)


@cache
def code_version() -> str:
    """SHA-256 of the package's source files and of the versions of the libraries it runs on."""
    h = hashlib.sha256()
    root = Path(__file__).resolve().parents[1]
    for path in sorted(root.rglob("*.py")):
        h.update(path.relative_to(root).as_posix().encode())
        h.update(hashlib.sha256(path.read_bytes()).digest())
    for name in LIBRARIES:
        try:
            h.update(f"{name}={metadata.version(name)}".encode())
        except metadata.PackageNotFoundError:
            h.update(f"{name}=absent".encode())
    return h.hexdigest()


def stage_key(material: Mapping[str, Any]) -> str:
    """The key of a stage's entry: SHA-256 of its key material as canonical JSON."""
    text = json.dumps(material, sort_keys=True, ensure_ascii=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


@dataclass(frozen=True)
class CacheEntry:
    """A complete entry: its folder, the files it restores (relative path -> SHA-256) and its products."""

    stage: str
    key: str
    folder: Path
    files: dict[str, str]
    products: list[str]
    bytes: int

    def load(self, name: str) -> Any:
        """One product, unpickled."""
        with (self.folder / "products" / f"{name}.pickle").open("rb") as fh:
            return pickle.load(fh)

    def restore(self, staging: Path) -> list[Path]:
        """Copy the entry's files into ``staging`` (their SHA-256 checked first); the paths written.

        Raises
        ------
        ExportError
            A file is missing or its content differs from what was stored.
        """
        for rel, sha in self.files.items():
            src = self.folder / "files" / rel
            if not src.is_file() or _sha256(src) != sha:
                raise ExportError(f"cache entry {self.folder}: {rel} is missing or damaged")
        out = []
        for rel in self.files:
            dest = staging / rel
            dest.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(self.folder / "files" / rel, dest)
            out.append(dest)
        return out


class StageCache:
    """The cache folder of a project (``<interim>/cache``), limited to ``limit_bytes``."""

    def __init__(self, root: Path, limit_bytes: int) -> None:
        self.root = root
        self.limit_bytes = limit_bytes
        self.used: set[Path] = set()

    def get(self, stage: str, key: str) -> CacheEntry | None:
        """The complete entry of ``stage`` under ``key``, or None."""
        folder = self.root / stage / key
        try:
            info = json.loads((folder / ENTRY).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        missing = [p for p in info.get("products", []) if not (folder / "products" / f"{p}.pickle").is_file()]
        if missing or info.get("key") != key:
            return None
        self.used.add(folder)
        os.utime(folder / ENTRY)  # last used: the size limit removes the least recently used entries first
        return CacheEntry(stage, key, folder, dict(info["files"]), list(info["products"]), int(info["bytes"]))

    def put(self, stage: str, key: str, products: Mapping[str, Any], files: Iterable[Path], staging: Path) -> None:
        """Store a stage's products and copies of the files it wrote; written whole (renamed into place) or not.

        A product that cannot be pickled leaves the stage uncached (logged), and the run goes on.
        """
        folder = self.root / stage / key
        if (folder / ENTRY).is_file():
            self.used.add(folder)
            return
        tmp = self.root / stage / f".tmp-{key[:16]}-{uuid.uuid4().hex[:8]}"
        try:
            (tmp / "products").mkdir(parents=True)
            for name, value in products.items():
                with (tmp / "products" / f"{name}.pickle").open("wb") as fh:
                    pickle.dump(value, fh, protocol=pickle.HIGHEST_PROTOCOL)
            shas = {}
            for path in sorted(files):
                rel = path.relative_to(staging).as_posix()
                dest = tmp / "files" / rel
                dest.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(path, dest)
                shas[rel] = _sha256(dest)
            size = sum(p.stat().st_size for p in tmp.rglob("*") if p.is_file())
            info = {
                "stage": stage,
                "key": key,
                "created": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
                "products": list(products),
                "files": shas,
                "bytes": size,
            }
            (tmp / ENTRY).write_text(json.dumps(info, indent=1), encoding="utf-8")
            if folder.exists() and not (folder / ENTRY).is_file():  # an entry half removed by an interrupted prune
                shutil.rmtree(folder, ignore_errors=True)
            try:
                tmp.rename(folder)
            except OSError:  # another run stored the same key first: the same products
                if not (folder / ENTRY).is_file():
                    raise
            self.used.add(folder)
        except (pickle.PicklingError, TypeError, AttributeError, OSError) as exc:
            logger.warning("stage %s: not cached (%s)", stage, exc)
        finally:
            if tmp.exists():
                shutil.rmtree(tmp, ignore_errors=True)

    def entries(self) -> list[tuple[Path, int, float]]:
        """Every complete entry: folder, bytes, last used (epoch seconds)."""
        out = []
        if not self.root.is_dir():
            return out
        for info in self.root.glob(f"*/*/{ENTRY}"):
            try:
                size = int(json.loads(info.read_text(encoding="utf-8"))["bytes"])
            except (OSError, ValueError, KeyError):
                continue
            out.append((info.parent, size, info.stat().st_mtime))
        return out

    def size(self) -> int:
        """Bytes held by complete entries."""
        return sum(size for _, size, _ in self.entries())

    def prune(self) -> list[Path]:
        """Remove least recently used entries (not those of this run) until the cache is under its limit."""
        entries = sorted(self.entries(), key=lambda e: e[2])
        total = sum(size for _, size, _ in entries)
        removed = []
        for folder, size, _ in entries:
            if total <= self.limit_bytes:
                break
            if folder in self.used:
                continue
            _remove_entry(folder)
            total -= size
            removed.append(folder)
        for tmp in self.root.glob("*/.tmp-*") if self.root.is_dir() else []:
            if time.time() - tmp.stat().st_mtime > STALE_TMP_S:  # left by a run killed while storing
                shutil.rmtree(tmp, ignore_errors=True)
        if removed:
            logger.info("cache: %d entries removed (limit %d MB), %d MB kept", len(removed),
                        self.limit_bytes // 2**20, total // 2**20)  # fmt: skip
        return removed

    def clear(self) -> tuple[int, int]:
        """Remove every entry this program made (folders with ``entry.json``, and its own unfinished ``.tmp-``
        folders); nothing else in the folder. Returns (entries, bytes) removed."""
        n = size = 0
        for folder, nbytes, _ in self.entries():
            _remove_entry(folder)
            n += 1
            size += nbytes
        if self.root.is_dir():
            for tmp in self.root.glob("*/.tmp-*"):
                shutil.rmtree(tmp, ignore_errors=True)
            for stage in self.root.iterdir():
                if stage.is_dir() and not any(stage.iterdir()):
                    stage.rmdir()
        return n, size


def _remove_entry(folder: Path) -> None:
    # entry.json first: a half-removed folder is then an incomplete entry, ignored by every reader
    (folder / ENTRY).unlink(missing_ok=True)
    for _ in range(3):
        try:
            shutil.rmtree(folder)
            return
        except OSError:  # pragma: no cover - a file held open on another system
            time.sleep(0.1)
