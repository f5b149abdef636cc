"""What a file is, told from its first bytes, and text decoding whose errors name the row.

Readers call these when a file is not what they expect, so that the message says what was found ("this is a
GeoJSON file; the source expects a zipped shapefile") rather than calling a valid file of another kind corrupt,
and a decode error names the row, the bytes and the encoding setting that would read the file.
"""

from __future__ import annotations

import gzip
import os
import zipfile
from pathlib import Path

from spatial_poverty.errors import IngestError

__all__ = ["decode_text", "describe_file", "not_the_expected_kind"]

#: Encodings a Greek partner's text file is likely to be in, tried in this order to suggest a setting.
_CANDIDATES = ("utf-8-sig", "cp1253", "iso-8859-7")


def _zip_kind(path: Path) -> str:
    try:
        with zipfile.ZipFile(path) as zf:
            names = zf.namelist()
    except (zipfile.BadZipFile, OSError, EOFError):
        return "a zip archive that cannot be read (truncated or corrupt)"
    lower = [n.lower() for n in names]
    if "[content_types].xml" in lower and any(n.startswith("xl/") for n in lower):
        return "an Excel workbook (.xlsx)"
    for ext, what in ((".shp", "a zipped shapefile"), (".sqlite", "a zipped SQLite database"),
                      (".gpkg", "a zipped GeoPackage"), (".geojson", "a zipped GeoJSON file"),
                      (".json", "a zipped JSON file"), (".csv", "a zipped CSV file")):  # fmt: skip
        if any(n.endswith(ext) for n in lower):
            return what
    return f"a zip archive of {len(names)} file(s)"


def describe_file(path: str | os.PathLike[str]) -> str:
    """What ``path`` holds, from its first bytes: "a GeoJSON file", "an Excel 97-2003 workbook (.xls)", ...

    Examples
    --------
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "x.zip"
    >>> _ = p.write_text('{"type": "FeatureCollection", "features": []}')
    >>> describe_file(p)
    'a GeoJSON file'
    """
    path = Path(path)
    try:
        with path.open("rb") as f:
            head = f.read(4096)
    except OSError as exc:
        return f"a file that cannot be read ({exc.strerror})"
    if not head:
        return "an empty file"
    if head.startswith(b"PK\x03\x04") or head.startswith(b"PK\x05\x06"):
        return _zip_kind(path)
    if head.startswith(b"SQLite format 3\x00"):
        return "a SQLite database (or GeoPackage)"
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        return "an Excel 97-2003 workbook (.xls) or another OLE document"
    if head.startswith(b"\x1f\x8b"):
        inner = _gunzip_head(path)
        kind = _text_kind(inner) if inner else None
        return f"a gzip-compressed {kind.removeprefix('a ').removeprefix('an ')}" if kind else "a gzip-compressed file"
    if head.startswith(b"%PDF"):
        return "a PDF document"
    return _text_kind(head) or "a text file (CSV or similar)"


def _text_kind(head: bytes) -> str | None:
    text = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    if text[:1] in (b"{", b"["):
        return "a GeoJSON file" if b"FeatureCollection" in head or b'"Feature"' in head else "a JSON file"
    if text[:1] == b"<":
        return "an HTML or XML document"
    return None


def _gunzip_head(path: Path) -> bytes:
    try:
        with gzip.open(path, "rb") as g:
            return g.read(4096)
    except (OSError, EOFError):
        return b""


def not_the_expected_kind(path: str | os.PathLike[str], expected: str, detail: object = None) -> IngestError:
    """The error for a file that is not ``expected`` ("a zipped shapefile"): it says what the file is instead.

    A valid file of another kind is named as such; only a file that looks like the expected kind but cannot be
    read is called truncated or corrupt.
    """
    found = describe_file(path)
    extra = f" ({detail})" if detail else ""
    return IngestError(f"{path}: this is {found}; the source expects {expected}{extra}")


def decode_text(data: bytes, encoding: str, path: str | os.PathLike[str], *, setting: str | None = None) -> str:
    """``data`` decoded as ``encoding``; an error names the row, the bytes and an encoding that would work.

    Parameters
    ----------
    setting : str, optional
        The configuration key that states the encoding (``access.registry_encoding``), named in the message.

    Raises
    ------
    IngestError
        ``<path>, row <r>: bytes b'\\xe1\\xe8' (byte offset 1234) are not utf-8 text; the file reads as
        cp1253: set <setting>: cp1253``.
    """
    try:
        return data.decode(encoding)
    except UnicodeDecodeError as exc:
        row = data.count(b"\n", 0, exc.start) + 1
        line_start = data.rfind(b"\n", 0, exc.start) + 1
        bad = data[exc.start : min(exc.end, exc.start + 8)]
        fits = [e for e in _CANDIDATES if e.replace("-sig", "") != encoding.replace("-sig", "") and _decodes(data, e)]
        if setting is None:  # a published source with a fixed encoding
            hint = f"it reads as {fits[0]}: save it as {encoding}" if fits else f"save it as {encoding}"
        else:
            hint = f"the file reads as {fits[0]}: set {setting}: {fits[0]}" if fits else f"state it with {setting}"
        raise IngestError(
            f"{path}, row {row}: bytes {bad!r} (column {exc.start - line_start + 1} of the row in bytes, byte offset "
            f"{exc.start}) are not {encoding} text; {hint}"
        ) from exc


def _decodes(data: bytes, encoding: str) -> bool:
    try:
        data.decode(encoding)
    except UnicodeDecodeError:
        return False
    return True
