"""Build the installable QGIS plugin zip of the "Spatial poverty" Processing provider (``make qgis-plugin``).

Usage: ``python3 qgis_plugin/build.py OUT.zip``. Standard library only. The zip holds the folder
``spatial_poverty_provider/`` (what QGIS's "Install from ZIP" expects), its files in name order with a fixed
date, so the same sources give the same bytes. Written to a temporary file first, then moved into place.
"""

from __future__ import annotations

import os
import sys
import tempfile
import zipfile
from pathlib import Path

PLUGIN = Path(__file__).with_name("spatial_poverty_provider")
FIXED_DATE = (1980, 1, 1, 0, 0, 0)


def files(root: Path = PLUGIN) -> list[Path]:
    """The plugin's files: sources, metadata and icon, without caches."""
    return sorted(
        p for p in root.rglob("*") if p.is_file() and "__pycache__" not in p.parts and p.suffix not in (".pyc", ".pyo")
    )


def build(out: Path) -> Path:
    out.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=out.parent, prefix=f".{out.name}.", suffix=".part")
    os.close(fd)
    try:
        with zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as zf:
            for path in files():
                info = zipfile.ZipInfo(f"{PLUGIN.name}/{path.relative_to(PLUGIN).as_posix()}", FIXED_DATE)
                info.compress_type = zipfile.ZIP_DEFLATED
                info.external_attr = 0o644 << 16
                zf.writestr(info, path.read_bytes())
        os.chmod(tmp, 0o644)  # mkstemp makes it private; a zip to install is for everyone to read
        os.replace(tmp, out)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return out


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: python3 qgis_plugin/build.py OUT.zip")
    print(build(Path(sys.argv[1])))
