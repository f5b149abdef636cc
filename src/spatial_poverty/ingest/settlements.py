"""Reader of ELSTAT's 2021 settlement points (``oikismoi-transformed-array.json``).

The file is a compact array ``[code10, [[lon, lat], [[article, name], ...]]]`` (lon first, WGS84): 13,584
settlements of the 2021 census, 24 of them with a second name, one with the corrupt code ``'Φ'``. The first 8
digits of a settlement code are its community, the first 4 its municipality (ELSTAT 2021).
"""

from __future__ import annotations

import logging
import os
import re
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

from spatial_poverty.errors import IngestError
from spatial_poverty.ingest.elstat2021 import read_json_array

__all__ = ["read_settlements_2021"]

logger = logging.getLogger(__name__)

_CODE10 = re.compile(r"^\d{10}$")


def read_settlements_2021(path: str | os.PathLike[str]) -> gpd.GeoDataFrame:
    """Read the ELSTAT 2021 settlement points.

    Parameters
    ----------
    path : path-like
        ``oikismoi-transformed-array.json``.

    Returns
    -------
    geopandas.GeoDataFrame
        Indexed by ``settlement`` (10-digit ELSTAT 2021 code as text), with ``community`` (8 digits),
        ``municipality`` (4 digits), ``name`` (the first name, without its article), ``names`` (every name,
        joined with ``" / "``), points in EPSG:4326. Records whose code is not 10 digits (one in the 2021 file,
        ``'Φ'``) are left out and logged with their name and position: their community is unknown, so their
        population cannot be assigned.

    Raises
    ------
    IngestError
        If the file is not UTF-8 JSON of that shape, a coordinate is outside the valid range, or a code repeats.
    """
    path = Path(path)
    records = read_json_array(path, "[code, [[lon, lat], [[article, name], ...]]]")
    codes: list[str] = []
    lon: list[float] = []
    lat: list[float] = []
    first: list[str] = []
    every: list[str] = []
    skipped: list[str] = []
    for i, rec in enumerate(records):
        try:
            code, (xy, names) = rec
            x, y = float(xy[0]), float(xy[1])
            labels = [str(n[1]).strip() for n in names]
        except (TypeError, ValueError, IndexError) as exc:
            raise IngestError(
                f"{path}, record {i}: expected [code, [[lon, lat], [[article, name], ...]]]; found {rec!r:.120}"
            ) from exc
        if not (-180 <= x <= 180 and -90 <= y <= 90):
            raise IngestError(f"{path}, record {i} ({code}): coordinates ({x}, {y}) out of range")
        code = str(code).strip()
        if not _CODE10.match(code):
            skipped.append(f"record {i}: code {code!r} ({' / '.join(labels)}, {x:.4f} E {y:.4f} N)")
            continue
        codes.append(code)
        lon.append(x)
        lat.append(y)
        first.append(labels[0] if labels else "")
        every.append(" / ".join(labels))
    if skipped:
        logger.warning("%s: %d settlement(s) without a 10-digit code left out: %s", path, len(skipped), skipped)
    idx = pd.Index(codes, name="settlement")
    if idx.has_duplicates:
        raise IngestError(f"{path}: settlement codes appear more than once: {sorted(set(idx[idx.duplicated()]))[:20]}")
    out = gpd.GeoDataFrame(
        {
            "community": np.array([c[:8] for c in codes], dtype=object),
            "municipality": np.array([c[:4] for c in codes], dtype=object),
            "name": first,
            "names": every,
        },
        index=idx,
        geometry=gpd.points_from_xy(lon, lat),
        crs="EPSG:4326",
    )
    out.attrs["skipped"] = skipped
    logger.info("%s: %d settlements", path, len(out))
    return out
