"""Reader of the 2001 socio-economic variables per Kallikratis municipality (R package lctools, GR.Municipalities).

The GeoPackage holds 325 simplified polygons (no Mount Athos) keyed on ELSTAT **2011** codes. Rates are in %.
"""

from __future__ import annotations

import logging
import os
import re
from pathlib import Path

import geopandas as gpd
import numpy as np
import pyogrio

from spatial_poverty.errors import IngestError

__all__ = ["LCTOOLS_FIELDS", "read_lctools_2001"]

logger = logging.getLogger(__name__)

#: lctools field -> our field name, what it is, its valid range.
LCTOOLS_FIELDS: dict[str, tuple[str, str, tuple[float, float]]] = {
    "PopTot01": ("pop_2001_lctools", "resident population 2001 (count)", (0, 1e7)),
    "PopM01": ("pop_m_2001_lctools", "men 2001 (count)", (0, 1e7)),
    "PopF01": ("pop_f_2001_lctools", "women 2001 (count)", (0, 1e7)),
    "UnemrT01": ("unemp_2001", "unemployment rate 2001, total (%)", (0, 100)),
    "UnemrM01": ("unemp_2001_m", "unemployment rate 2001, men (%)", (0, 100)),
    "UnemrF01": ("unemp_2001_f", "unemployment rate 2001, women (%)", (0, 100)),
    "PrSect01": ("primary_2001", "employed in the primary sector 2001 (%)", (0, 100)),
    "Foreig01": ("foreign_2001", "non-Greek citizens 2001 (%)", (0, 100)),
    "Income01": ("income_2001", "mean declared household income 2001 (EUR, tax data)", (0, 1e6)),
}


def read_lctools_2001(path: str | os.PathLike[str], *, layer: str | None = None) -> gpd.GeoDataFrame:
    """Read lctools' GR.Municipalities: 2001 rates and income on 2011 municipalities.

    Returns
    -------
    geopandas.GeoDataFrame
        Indexed by ``code`` (ELSTAT 2011, 4-digit text) with ``name_latn`` and the fields of
        :data:`LCTOOLS_FIELDS` under our names, geometry in EPSG:2100.

    Raises
    ------
    IngestError
        If the file cannot be read, the layer has no CRS or not EPSG:2100, a field is missing, a code is not
        4 digits or appears twice, a value is missing or out of its range.
    """
    path = Path(path)
    if path.stat().st_size == 0:
        raise IngestError(f"{path}: the file is empty; expected the lctools GeoPackage")
    try:
        raw = pyogrio.read_dataframe(path, layer=layer)
    except Exception as exc:
        raise IngestError(f"{path}: not a readable GeoPackage ({type(exc).__name__}: {exc})") from exc
    if raw.crs is None:
        raise IngestError(f"{path}: the layer has no CRS; expected EPSG:2100 (Greek Grid)")
    if raw.crs.to_epsg() != 2100:
        raise IngestError(f"{path}: the layer's CRS is {raw.crs.name!r}; expected EPSG:2100 (Greek Grid)")
    need = ["CodeELSTAT", "Name", *LCTOOLS_FIELDS]
    missing = [c for c in need if c not in raw.columns]
    if missing:
        raise IngestError(f"{path}: column(s) {missing} are missing; the layer has {list(raw.columns)}")
    codes = raw["CodeELSTAT"].astype("string").str.strip()
    bad = [f"row {i + 1}: {c!r}" for i, c in enumerate(codes) if c is None or not re.fullmatch(r"\d{4}", str(c))]
    if bad:
        raise IngestError(f"{path}, column 'CodeELSTAT': expected a 4-digit ELSTAT 2011 code; found {bad[:20]}")
    dup = codes[codes.duplicated(keep=False)]
    if len(dup):
        raise IngestError(f"{path}, column 'CodeELSTAT': codes appear more than once: {sorted(set(dup))}")
    out = gpd.GeoDataFrame(
        {"code": codes.astype(str).to_numpy(), "name_latn": raw["Name"].astype(str).to_numpy()},
        geometry=raw.geometry.to_numpy(),
        crs=raw.crs,
    )
    problems = []
    for src, (dst, _what, (lo, hi)) in LCTOOLS_FIELDS.items():
        vals = raw[src].to_numpy(dtype=float)
        for i in np.flatnonzero(np.isnan(vals) | (vals < lo) | (vals > hi)):
            problems.append(
                f"row {i + 1} (code {codes.iloc[i]}), column {src!r}: {float(vals[i])!r}, expected {lo}..{hi}"
            )
        out[dst] = vals
    if problems:
        raise IngestError(f"{path}: {len(problems)} value(s) missing or out of range: " + "; ".join(problems[:20]))
    logger.info("%s: %d municipalities (ELSTAT 2011 codes)", path, len(out))
    return out.set_index("code").sort_index()
