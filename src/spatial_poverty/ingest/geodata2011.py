"""Reader of the Kallikratis (2011) municipal boundaries of geodata.gov.gr (gzipped GeoJSON, YPES codes)."""

from __future__ import annotations

import gzip
import logging
import os
import re
import zlib
from pathlib import Path

import geopandas as gpd
import pyogrio

from spatial_poverty.errors import IngestError

__all__ = ["read_kallikratis_boundaries"]

logger = logging.getLogger(__name__)


def read_kallikratis_boundaries(path: str | os.PathLike[str]) -> gpd.GeoDataFrame:
    """Read the 2011 municipal boundaries (325 municipalities + Mount Athos), reprojected to EPSG:2100.

    Parameters
    ----------
    path : path-like
        ``kallikratis_municipalities_ypes_wgs84.geojson.gz``: a gzipped FeatureCollection in EPSG:4326 with
        ``NAME`` (Greek, genitive) and ``KWD_YPES`` (Ministry of Interior code 9001..9325; null for Athos).

    Returns
    -------
    geopandas.GeoDataFrame
        Columns ``ypes_2011`` (text; '' for Mount Athos), ``name`` and the geometry (made valid) in EPSG:2100.

    Raises
    ------
    IngestError
        If the gzip is empty or truncated, the GeoJSON does not parse, has no CRS, a column is missing, or a
        YPES code is malformed or appears twice.
    """
    path = Path(path)
    if path.stat().st_size == 0:
        raise IngestError(f"{path}: the file is empty; expected a gzipped GeoJSON")
    try:  # gzip detects truncation only at the end: check the whole stream before GDAL reads it
        with gzip.open(path, "rb") as f:
            while f.read(1 << 22):
                pass
    except (OSError, EOFError, zlib.error) as exc:
        raise IngestError(f"{path}: the gzip stream is corrupt or truncated ({exc})") from exc
    try:
        raw = pyogrio.read_dataframe(f"/vsigzip/{path}")
    except Exception as exc:
        raise IngestError(f"{path}: not a readable GeoJSON ({type(exc).__name__}: {exc})") from exc
    if raw.crs is None:
        raise IngestError(f"{path}: the layer has no CRS; expected EPSG:4326")
    missing = [c for c in ("NAME", "KWD_YPES") if c not in raw.columns]
    if missing:
        raise IngestError(f"{path}: column(s) {missing} are missing; the layer has {list(raw.columns)}")
    codes = raw["KWD_YPES"].map(lambda v: "" if v is None or v != v else str(v).strip().removesuffix(".0"))
    bad = [f"feature {i}: {c!r}" for i, c in enumerate(codes) if c and not re.fullmatch(r"9\d{3}", c)]
    if bad:
        raise IngestError(f"{path}, column 'KWD_YPES': expected a YPES code 9001..9325; found {bad[:20]}")
    dup = codes[(codes != "") & codes.duplicated(keep=False)]
    if len(dup):
        raise IngestError(f"{path}, column 'KWD_YPES': codes appear more than once: {sorted(set(dup))}")
    gdf = gpd.GeoDataFrame(
        {"ypes_2011": codes.to_numpy(), "name": raw["NAME"].astype(str).str.strip().to_numpy()},
        geometry=raw.geometry.make_valid().to_numpy(),
        crs=raw.crs,
    ).to_crs(2100)
    logger.info("%s: %d features (%d without a YPES code)", path, len(gdf), int((codes == "").sum()))
    return gdf
