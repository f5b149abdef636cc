r"""The lean path of ``spatial-poverty stats lisa``: contiguity weights, compiled engine, no libpysal at all.

``stats lisa FILE --weights queen|rook`` spends most of its time, done the general way, in things the answer
does not need: importing libpysal (scikit-learn, scipy.stats, the examples), building a
:class:`libpysal.graph.Graph` with text ids twice (a pandas MultiIndex of every link) and converting the
geometries back and forth. This path computes the same layer from arrays:

1. **reading**: only the id field, the variable and the geometry (``pyogrio.read_dataframe(columns=...)``),
   checked by the same code as the general path (:func:`spatial_poverty.cli.common.checked_table`);
2. **weights**: :func:`~spatial_poverty.stats.contiguity.contiguity_pairs` (the neighbours of libpysal's
   ``build_contiguity(strict=False)``) as a CSR matrix, row-standardised (:math:`w_{ij} = 1/k_i`), with the
   weights report of :func:`~spatial_poverty.stats.build_weights` (components, isolates) from
   ``scipy.sparse.csgraph``;
3. **statistic**: the formulas of :class:`~spatial_poverty.stats.LocalMoran` (:math:`z = (y - \bar y)/s`,
   :math:`I_i = (n-1) z_i \sum_j w_{ij} z_j / \sum_k z_k^2`, GeoDa's quadrants and labels) with its permutation
   engine (:func:`~spatial_poverty.stats.engine.conditional_randomisation`, shared table, same seed) and its
   q-values (:func:`~spatial_poverty.stats.inference.adjust_pvalues`);
4. **writing**: ``pyogrio.raw.write`` of the WKB read (no geometry conversion) into a GeoPackage, published
   atomically as before; other formats go through geopandas.

The layer, its fields and its values are those of the general path (tests/test_lisa_fast.py compares them).
Everything else (k nearest neighbours, distance bands, kernels, GAL/GWT files, the ``knn`` island policy,
geometries other than polygons, ``gistar``) takes the general path.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

__all__ = ["LeanInput", "lean_input", "lean_lisa", "lean_weights", "supports"]

logger = logging.getLogger(__name__)

#: GeoDa's labels, as in :mod:`spatial_poverty.stats.autocorrelation` (a test checks they are the same).
CLUSTER_LABELS = {1: "High-High", 2: "Low-High", 3: "Low-Low", 4: "High-Low"}
NOT_SIGNIFICANT = "not significant"
NO_NEIGHBOURS = "no neighbours"


def supports(weights: str, island_policy: str) -> bool:
    """Whether the lean path can run these options: contiguity weights, island policy ``none`` or ``keep``
    (``knn`` checks the CRS and links isolates by libpysal's k nearest neighbours: the general path)."""
    return weights in ("queen", "rook") and island_policy in ("none", "keep")


@dataclass(frozen=True)
class LeanInput:
    """The checked input: values indexed by the id field (text), the geometries, their WKB and the CRS."""

    frame: Any  # pandas.DataFrame indexed by the id (text), the variables as float
    geometry: np.ndarray  # shapely geometries
    wkb: np.ndarray  # the same, as read (ISO WKB)
    crs: str | None
    geometry_type: str


def lean_input(path: Path, id_field: str, fields: list[str], layer: str | None) -> LeanInput:
    """Read only ``id_field``, ``fields`` and the geometry of ``path``; the same checks as the general path."""
    import pandas as pd
    import pyogrio
    import shapely
    from pyogrio import raw

    from spatial_poverty.cli.common import checked_table
    from spatial_poverty.errors import DataSourceError, IngestError

    if not path.exists():
        raise DataSourceError(f"input file {path} does not exist")
    try:
        info = pyogrio.read_info(path, layer=layer)
        present = list(info["fields"])
        for f in [id_field, *fields]:
            if f not in present:
                raise IngestError(f"{path}: no field {f!r}; the fields are {present}")
        wanted = list(dict.fromkeys([id_field, *fields]))
        meta, _, wkb, data = raw.read(path, layer=layer, columns=wanted)
    except (pyogrio.errors.DataSourceError, pyogrio.errors.DataLayerError) as exc:
        raise DataSourceError(f"{path}: not a readable vector file: {exc}") from exc
    if wkb is None:
        raise IngestError(f"{path}: the layer has no geometry; expected polygons")
    frame = pd.DataFrame(dict(zip(meta["fields"], data, strict=True)))
    checked = checked_table(frame, path, id_field, fields)
    return LeanInput(
        frame=checked,
        geometry=shapely.from_wkb(wkb),
        wkb=wkb,
        crs=meta["crs"],
        geometry_type=meta["geometry_type"],
    )


def lean_weights(
    ids: Any, geometry: np.ndarray, kind: str, *, island_policy: str, island_k: int
) -> tuple[Any, dict[str, Any]] | None:
    """Binary contiguity (CSR, symmetric) and the report of ``build_weights``; None when the general path is
    needed: geometries other than polygons (libpysal's checks apply), or isolates for the ``knn`` policy to link."""
    import shapely
    from scipy import sparse
    from scipy.sparse import csgraph

    from spatial_poverty.stats.contiguity import contiguity_pairs

    if not np.isin(shapely.get_type_id(geometry), (3, 6)).all():  # Polygon, MultiPolygon
        return None
    n = len(ids)
    focal, neighbor = contiguity_pairs(geometry, "rook" if kind == "rook" else "queen")
    w = sparse.csr_array((np.ones(len(focal)), (focal, neighbor)), shape=(n, n))
    card = np.diff(w.indptr)
    isolated = card == 0
    if island_policy == "knn" and isolated.any():
        return None
    n_comp, labels = csgraph.connected_components(w, directed=True, connection="weak")
    sizes = np.bincount(labels)
    isolates = [str(i) for i in np.asarray(ids)[isolated]]
    policy = "knn" if island_policy == "knn" else "none"
    report = {
        "n": n,
        "kind": kind,
        "contiguity": kind,
        "parameters": {},
        "island_policy": policy,
        "k": island_k,
        "links_file": None,
        "symmetrised": 0,
        "n_components_contiguity": int(n_comp),
        "isolates_contiguity": isolates,
        "links_added": [],
        "n_components": int(n_comp),
        "isolates": list(isolates),
        "component_sizes": [int(s) for s in sorted(sizes, reverse=True)],
    }
    logger.info("weights: %s contiguity on %d units: %d components, %d isolates", kind, n, n_comp, len(isolates))
    return w, report


@dataclass(frozen=True)
class LeanLisa:
    """The columns of the ``lisa_<var>`` layer (as LocalMoran's ``to_frame``) and the cluster counts."""

    local_i: np.ndarray
    p_sim: np.ndarray
    q_sim: np.ndarray
    cluster: np.ndarray
    quadrant: np.ndarray
    z_sim: np.ndarray
    counts: dict[str, int]
    n: int


def lean_lisa(
    values: np.ndarray,
    w: Any,
    ids: Any,
    *,
    permutations: int,
    seed: int,
    alpha: float,
    alternative: str,
    correction: str,
    isolates: str,
    significance: str = "p",
) -> LeanLisa:
    """Local Moran on binary contiguity ``w`` (CSR), as :class:`~spatial_poverty.stats.LocalMoran` computes it."""
    from scipy import sparse

    from spatial_poverty.errors import StatisticsError
    from spatial_poverty.stats.engine import conditional_randomisation
    from spatial_poverty.stats.inference import ISOLATES_HINT, adjust_pvalues, check_alternative

    check_alternative(alternative)
    if not 0 < alpha < 1:
        raise StatisticsError(f"alpha needs to be between 0 and 1; {alpha} was given instead")
    if permutations < 1:
        raise StatisticsError(f"permutations needs to be at least 1; {permutations} was given instead")
    values = np.asarray(values, dtype=float)
    n = len(values)
    card = np.diff(w.indptr)
    iso = card == 0
    if iso.any() and isolates == "raise":
        raise StatisticsError(
            f"LocalMoran needs every unit to have a neighbour; isolates: {list(np.asarray(ids)[iso])}. {ISOLATES_HINT}"
        )
    if np.allclose(values, values[0]):
        raise StatisticsError("LocalMoran: y is constant, autocorrelation is undefined")
    # Row-standardised: 1/k_i on each of the k_i links (libpysal's transform("r") of binary weights).
    wr = sparse.csr_array((np.repeat(1.0 / np.maximum(card, 1), card), w.indices, w.indptr), shape=w.shape)
    z = (values - values.mean()) / values.std()
    lag = wr @ z
    quadrant = np.where(iso, 0, np.where(z > 0, np.where(lag > 0, 1, 4), np.where(lag > 0, 2, 3)))
    res = conditional_randomisation("moran", z, wr, permutations=permutations, seed=seed, method="shared")
    # The engine's evaluation of I_i = (n - 1) z_i lag_i / sum(z^2), the one its counts compare against.
    local_i = np.where(iso, np.nan, res.observed)
    p_sim = res.p_value(alternative)
    q_sim = adjust_pvalues(p_sim, correction)  # type: ignore[arg-type]
    z_sim = res.z_sim(local_i)
    significant = np.nan_to_num(q_sim if significance == "q" else p_sim, nan=1.0) <= alpha
    en = np.array([CLUSTER_LABELS.get(int(c), NO_NEIGHBOURS) for c in range(5)], dtype=object)[quadrant]
    cluster = np.where(iso, NO_NEIGHBOURS, np.where(significant, en, NOT_SIGNIFICANT)).astype(str)
    labels, counts = np.unique(cluster, return_counts=True)
    found = dict(zip(labels.tolist(), counts.tolist(), strict=True))
    keys = [*CLUSTER_LABELS.values(), NOT_SIGNIFICANT] + ([NO_NEIGHBOURS] if iso.any() else [])
    return LeanLisa(
        local_i=local_i,
        p_sim=p_sim,
        q_sim=q_sim,
        cluster=cluster,
        quadrant=quadrant.astype(np.int32),
        z_sim=z_sim,
        counts={k: int(found.get(k, 0)) for k in keys},
        n=n,
    )


def _geometry_type(geometry: np.ndarray) -> tuple[str, bool]:
    """The layer's geometry type and promote-to-multi flag, inferred as geopandas' ``to_file`` does (pyogrio)."""
    import shapely

    ok = ~(shapely.is_missing(geometry) | shapely.is_empty(geometry))
    names = {t for t in shapely.get_type_id(geometry[ok]).tolist()}
    type_names = {0: "Point", 1: "LineString", 3: "Polygon", 4: "MultiPoint", 5: "MultiLineString", 6: "MultiPolygon"}
    found = sorted(type_names.get(t, "Unknown") for t in names)
    has_z = bool(shapely.has_z(geometry[ok]).any())
    promote = False
    if len(found) == 1:
        gtype = found[0]
    elif set(found) in ({"Polygon", "MultiPolygon"}, {"LineString", "MultiLineString"}, {"Point", "MultiPoint"}):
        gtype, promote = next(t for t in found if t.startswith("Multi")), True
    else:
        gtype = "Unknown"
    if has_z and gtype != "Unknown":
        gtype += " Z"
    return gtype, promote


def write_gpkg_layer(path: Path, layer: str, columns: dict[str, np.ndarray], data: LeanInput) -> None:
    """Write one GeoPackage layer from arrays and the WKB read, with the field order and types of ``to_file``."""
    from pyogrio import raw

    gtype, promote = _geometry_type(data.geometry)
    raw.write(
        str(path),
        data.wkb,
        list(columns.values()),
        list(columns),
        layer=layer,
        driver="GPKG",
        geometry_type=gtype,
        crs=data.crs,
        promote_to_multi=promote or None,
    )
