"""Spatial weights: a base graph (contiguity, k nearest, distance band, kernel or user links) plus an island policy.

Weights are :class:`libpysal.graph.Graph` objects, never mutated: the island policy takes a Graph and returns a
new one with a report of what it added. Archipelagos such as the South Aegean leave most municipalities with no
contiguous neighbour; statistics that need neighbours refuse a graph with isolates, so the policy is explicit.
Every graph built here is symmetric (``w_ij = max(w_ij, w_ji)``), and can be written to GAL/GWT for GeoDa.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from libpysal.graph import Graph

from spatial_poverty.errors import IngestError, StatisticsError
from spatial_poverty.stats.contiguity import contiguity_pairs

__all__ = [
    "KINDS",
    "WeightsReport",
    "WeightsSpec",
    "build_weights",
    "link_isolates_knn",
    "read_links",
    "read_weights_file",
    "symmetrise",
    "write_weights",
]

logger = logging.getLogger(__name__)

Contiguity = Literal["queen", "rook"]
Kind = Literal["queen", "rook", "knn", "distance", "kernel", "links"]
IslandPolicy = Literal["knn", "none", "links", "components"]
KINDS: tuple[str, ...] = ("queen", "rook", "knn", "distance", "kernel", "links")
ISLAND_POLICIES: tuple[str, ...] = ("none", "knn", "links", "components")


@dataclass(frozen=True)
class WeightsReport:
    """What a weights build found and did.

    Attributes
    ----------
    n : int
        Number of units.
    contiguity : str
        "queen" or "rook".
    island_policy : str
        "knn" (isolates linked to their k nearest by centroid distance, then symmetrised) or "none".
    k : int
        Neighbours given to each isolate under "knn".
    n_components_contiguity, isolates_contiguity
        Connected components and isolated units of the contiguity graph alone.
    links_added : tuple of (str, str)
        Undirected links added by the island policy, as ordered pairs of codes.
    n_components, isolates
        Components and isolates of the final graph.
    component_sizes : tuple of int
        Sizes of the final graph's components, largest first.
    kind : str
        The base graph: "queen", "rook", "knn", "distance", "kernel" or "links" (``contiguity`` repeats it, for
        reports written before the other kinds existed).
    parameters : dict
        The base graph's parameters (k, threshold, kernel, bandwidth, links file).
    links_file : str or None
        The user links file of the "links" kind or island policy.
    symmetrised : int
        Directed links the base graph lacked in one direction and that were added to make it symmetric.
    """

    n: int
    contiguity: str
    island_policy: str
    k: int
    n_components_contiguity: int
    isolates_contiguity: tuple[str, ...]
    links_added: tuple[tuple[str, str], ...]
    n_components: int
    isolates: tuple[str, ...]
    component_sizes: tuple[int, ...]
    kind: str = "queen"
    parameters: dict[str, object] = field(default_factory=dict)
    links_file: str | None = None
    symmetrised: int = 0

    def to_dict(self) -> dict[str, object]:
        """Plain values (for manifest.json, the run log and GeoPackage metadata)."""
        return {
            "n": self.n,
            "kind": self.kind,
            "contiguity": self.contiguity,
            "parameters": dict(self.parameters),
            "island_policy": self.island_policy,
            "k": self.k,
            "links_file": self.links_file,
            "symmetrised": self.symmetrised,
            "n_components_contiguity": self.n_components_contiguity,
            "isolates_contiguity": list(self.isolates_contiguity),
            "links_added": [list(p) for p in self.links_added],
            "n_components": self.n_components,
            "isolates": list(self.isolates),
            "component_sizes": list(self.component_sizes),
        }

    def __str__(self) -> str:
        base = f"{self.kind} contiguity" if self.kind in ("queen", "rook") else f"{self.kind} weights"
        params = {k: v for k, v in self.parameters.items() if v is not None}
        return (
            f"{base}{' ' + str(params) if params else ''} on {self.n} units: {self.n_components_contiguity} "
            f"components, {len(self.isolates_contiguity)} isolates; island policy {self.island_policy!r}"
            + (f" (k={self.k})" if self.island_policy == "knn" else "")
            + (f" ({self.links_file})" if self.island_policy == "links" else "")
            + f" added {len(self.links_added)} links -> {self.n_components} components "
            f"(sizes {list(self.component_sizes)}), {len(self.isolates)} isolates"
        )


def _adjacency_pairs(graph: Graph) -> set[tuple[object, object]]:
    adj = graph.adjacency
    focal = adj.index.get_level_values(0)
    neighbor = adj.index.get_level_values(1)
    keep = (focal != neighbor) & (adj.to_numpy() != 0)
    return set(zip(focal[keep], neighbor[keep], strict=True))


def _from_pairs(ids: list[object], pairs: set[tuple[object, object]]) -> Graph:
    """A binary Graph on ``ids`` (in that order) with the given directed pairs; isolates as zero self-links."""
    pos = {u: i for i, u in enumerate(ids)}
    has = {f for f, _ in pairs}
    rows = sorted(pairs, key=lambda p: (pos[p[0]], pos[p[1]]))
    rows += [(u, u) for u in ids if u not in has]
    rows.sort(key=lambda p: (pos[p[0]], pos[p[1]]))
    focal = np.array([f for f, _ in rows], dtype=object)
    neighbor = np.array([n for _, n in rows], dtype=object)
    weight = np.array([0.0 if f == n else 1.0 for f, n in rows])
    return Graph.from_arrays(focal, neighbor, weight)


def _check_planar(crs: object, what: str) -> None:
    """Distances need a projected CRS; a layer with no CRS (old shapefiles) is taken as planar, with a warning."""
    if crs is None:
        logger.warning("%s: the layer has no CRS; its coordinates are taken as planar (metres or map units)", what)
        return
    if getattr(crs, "is_geographic", False):
        raise StatisticsError(f"{what} needs a projected CRS (metres, e.g. EPSG:2100); {crs!s} was given instead")


def link_isolates_knn(graph: Graph, geometry: gpd.GeoSeries, *, k: int = 1) -> tuple[Graph, list[tuple[str, str]]]:
    """Link every isolate of ``graph`` to its ``k`` nearest units by centroid distance, symmetrised.

    Parameters
    ----------
    graph : libpysal.graph.Graph
        A binary graph whose ids are ``geometry.index``.
    geometry : geopandas.GeoSeries
        In a projected CRS, indexed like the graph.
    k : int, default 1
        Neighbours per isolate.

    Returns
    -------
    graph : libpysal.graph.Graph
        A new binary graph; ``graph`` is not changed.
    added : list of (str, str)
        The undirected links added (each pair once, in id order).

    Notes
    -----
    Each isolate i gets links i->j for its k nearest centroids j, and j->i so that the graph stays symmetric.
    Links between two isolates that chose each other are added once.
    """
    if k < 1:
        raise StatisticsError(f"k needs to be at least 1; {k} was given instead")
    ids = list(graph.unique_ids)
    if list(geometry.index) != ids:
        raise StatisticsError("geometry needs to be indexed like the graph (same codes, same order)")
    _check_planar(geometry.crs, "link_isolates_knn")
    isolates = set(graph.isolates)
    pairs = _adjacency_pairs(graph)
    if not isolates:
        return graph, []
    if k >= len(ids):
        raise StatisticsError(f"k={k} needs at least {k + 1} units; the graph has {len(ids)}")
    centroids = geometry.centroid
    knn = Graph.build_knn(centroids, k=k)
    added: set[tuple[object, object]] = set()
    for (f, n), w in knn.adjacency.items():
        if f in isolates and f != n and w != 0:
            for a, b in ((f, n), (n, f)):
                if (a, b) not in pairs:
                    pairs.add((a, b))
            added.add(tuple(sorted((f, n), key=ids.index)))  # type: ignore[arg-type]
    out = _from_pairs(ids, pairs)
    return out, [(str(a), str(b)) for a, b in sorted(added, key=lambda p: (ids.index(p[0]), ids.index(p[1])))]


@dataclass(frozen=True)
class WeightsSpec:
    """A weights specification (the pipeline's ``weights:`` section and the CLI's ``--weights``).

    Attributes
    ----------
    kind : {"queen", "rook", "knn", "distance", "kernel", "links"}
        Base graph: contiguity (shared vertex / shared edge), the ``k`` nearest centroids, centroids within
        ``threshold`` metres, a kernel of centroid distances (``kernel``, ``bandwidth`` metres or adaptive to
        the ``k``-th neighbour), or only the links of ``links_file``.
    island_policy : {"knn", "none", "links", "components"}
        What to do with units the base graph leaves without a neighbour: link each to its ``island_k`` nearest
        centroids; nothing (statistics that need neighbours then refuse); add the links of ``links_file``;
        or keep the graph as it is and compute local statistics per connected component with
        :func:`~spatial_poverty.stats.by_component` (isolates and small components labelled "no neighbours").
    """

    kind: Kind = "queen"
    k: int = 4
    threshold: float | None = None
    kernel: str = "triangular"
    bandwidth: float | None = None
    links_file: str | os.PathLike[str] | None = None
    island_policy: IslandPolicy = "knn"
    island_k: int = 1

    @classmethod
    def parse(cls, text: str, **kw: object) -> WeightsSpec:
        """``queen``, ``rook``, ``knn:K``, ``distance:D`` or ``kernel:BANDWIDTH`` (CLI shorthand)."""
        from spatial_poverty.stats.rules import parse_weights

        try:
            name, value = parse_weights(text)
        except ValueError as exc:
            raise StatisticsError(str(exc)) from None
        if name == "knn":
            return cls(kind="knn", k=int(value or 0), **kw)  # type: ignore[arg-type]
        if name == "distance":
            return cls(kind="distance", threshold=value, **kw)  # type: ignore[arg-type]
        if name == "kernel":
            return cls(kind="kernel", bandwidth=value, **kw)  # type: ignore[arg-type]
        return cls(kind=name, **kw)  # type: ignore[arg-type]


def symmetrise(graph: Graph) -> tuple[Graph, int]:
    """The symmetric graph ``w_ij = max(w_ij, w_ji)`` and the number of directed links added.

    A new graph is returned; ``graph`` is not changed. Isolates stay isolates.
    """
    ids = list(graph.unique_ids)
    a = graph.sparse.tocsr()
    sym = a.maximum(a.T).tocoo()
    added = int((sym != 0).sum() - (a != 0).sum())
    return _from_coo(ids, sym.row, sym.col, sym.data), added


def _from_coo(ids: list[object], rows: np.ndarray, cols: np.ndarray, data: np.ndarray) -> Graph:
    keep = (rows != cols) & (data != 0)
    rows, cols, data = rows[keep], cols[keep], data[keep]
    has = np.zeros(len(ids), dtype=bool)
    has[rows] = True
    iso = np.flatnonzero(~has)
    rows = np.concatenate([rows, iso])
    cols = np.concatenate([cols, iso])
    data = np.concatenate([data, np.zeros(len(iso))])
    order = np.lexsort((cols, rows))
    idx = np.array(ids, dtype=object)
    return Graph.from_arrays(idx[rows[order]], idx[cols[order]], data[order].astype(float))


def read_links(path: str | os.PathLike[str], ids: pd.Index) -> list[tuple[str, str, float]]:
    """Links from a user CSV (for example ferry routes): ``code_from,code_to[,minutes][,sailings_per_week]``.

    Codes are read as text (leading zeros kept) and must be units of ``ids``. The links are undirected and
    binary (minutes and sailings are checked as numbers and kept in the file for the analyst; the weight is 1).

    Raises
    ------
    IngestError
        Naming the file, the row (1 = first data row), the column and the value, and what was expected.
    """
    path = Path(path)
    try:
        frame = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8")
    except FileNotFoundError as exc:
        raise IngestError(f"links file {path} does not exist") from exc
    except (UnicodeDecodeError, pd.errors.ParserError) as exc:
        raise IngestError(f"{path}: not a UTF-8 CSV file: {exc}") from exc
    missing = [c for c in ("code_from", "code_to") if c not in frame.columns]
    if missing:
        raise IngestError(
            f"{path}: the links file needs columns code_from, code_to (optional minutes, sailings_per_week); "
            f"missing {missing}, found {list(frame.columns)}"
        )
    known = {str(i) for i in ids}
    out: list[tuple[str, str, float]] = []
    for row, rec in enumerate(frame.to_dict("records"), start=1):
        for col in ("code_from", "code_to"):
            v = rec[col].strip()
            if v not in known:
                hint = " (a code that lost its leading zero?)" if v.isdigit() and v.zfill(4) in known else ""
                raise IngestError(
                    f"{path}: row {row}, column {col}: code {rec[col]!r} is not one of the units being analysed"
                    f"{hint}; expected a 4-digit municipality code such as {sorted(known)[0]!r}"
                )
        for col in ("minutes", "sailings_per_week"):
            if col in rec and rec[col].strip():
                try:
                    float(rec[col].replace(",", "."))
                except ValueError:
                    raise IngestError(f"{path}: row {row}, column {col}: {rec[col]!r} is not a number") from None
        a, b = rec["code_from"].strip(), rec["code_to"].strip()
        if a == b:
            raise IngestError(f"{path}: row {row}: a link from {a!r} to itself; expected two different codes")
        out.append((a, b, 1.0))
    return out


def _with_links(graph: Graph, links: list[tuple[str, str, float]]) -> tuple[Graph, list[tuple[str, str]]]:
    ids = list(graph.unique_ids)
    pos = {str(u): i for i, u in enumerate(ids)}
    a = graph.sparse.tolil()
    added: list[tuple[str, str]] = []
    for f, t, w in links:
        i, j = pos[f], pos[t]
        if a[i, j] == 0 or a[j, i] == 0:
            pair = (f, t) if i < j else (t, f)
            if pair not in added:
                added.append(pair)
        a[i, j] = max(a[i, j], w)
        a[j, i] = max(a[j, i], w)
    coo = a.tocoo()
    return _from_coo(ids, coo.row, coo.col, coo.data), added


def read_weights_file(path: str | os.PathLike[str], ids: pd.Index) -> Graph:
    """A GAL or GWT file (GeoDa), its ids matched to ``ids`` as text, returned in ``ids`` order and symmetrised.

    Raises
    ------
    IngestError
        If the extension is not .gal/.gwt, or the file's ids and ``ids`` differ (both lists are named).
    """
    path = Path(path)
    ext = path.suffix.lower()
    if ext not in (".gal", ".gwt"):
        raise IngestError(f"{path}: a weights file needs the extension .gal or .gwt; {ext!r} was given instead")
    if not path.exists():
        raise IngestError(f"weights file {path} does not exist")
    # Our own reader: libpysal's read_gal/read_gwt turn numeric ids into integers ("0101" -> 101).
    focal, neigh, wts = _read_gal(path) if ext == ".gal" else _read_gwt(path)
    file_ids = set(focal) | set(neigh)
    want = {str(i) for i in ids}
    # A GWT lists links only, so a unit without neighbours may be absent; a GAL lists every unit.
    if (file_ids != want) if ext == ".gal" else not file_ids <= want:
        only_file, only_data = sorted(file_ids - want)[:5], sorted(want - file_ids)[:5]
        raise IngestError(
            f"{path}: the weights file's ids do not match the --id field: in the file only {only_file}, "
            f"in the data only {only_data} (first five of each)"
        )
    order = [str(i) for i in ids]
    pos = {u: i for i, u in enumerate(order)}
    rows = np.array([pos[u] for u in focal])
    cols = np.array([pos[u] for u in neigh])
    graph = _from_coo(list(ids), rows, cols, np.asarray(wts, dtype=float))
    return symmetrise(graph)[0]


def _lines(path: Path) -> list[str]:
    try:
        return [ln for ln in path.read_text(encoding="utf-8").splitlines() if ln.strip()]
    except UnicodeDecodeError as exc:
        raise IngestError(f"{path}: not a UTF-8 text file: {exc}") from exc


def _read_gal(path: Path) -> tuple[list[str], list[str], list[float]]:
    """GAL: a header (``n`` or ``0 n shapefile id_field``), then per unit ``id k`` and a line of k ids."""
    lines = _lines(path)
    focal: list[str] = []
    neigh: list[str] = []
    i = 1
    while i < len(lines):
        head = lines[i].split()
        try:
            unit, k = head[0], int(head[1])
        except (IndexError, ValueError):
            raise IngestError(f"{path}: line {i + 1}: expected 'id number_of_neighbours'; found {lines[i]!r}") from None
        nbrs = lines[i + 1].split() if k > 0 else []
        if len(nbrs) != k:
            raise IngestError(f"{path}: line {i + 2}: expected {k} neighbour ids of {unit!r}; found {len(nbrs)}")
        focal += [unit] * k if k else [unit]
        neigh += nbrs if k else [unit]
        i += 2 if k > 0 else 1
        if k == 0 and i < len(lines) and len(lines[i].split()) != 2:
            i += 1  # an empty neighbour line written for an isolate
    wts = [0.0 if f == n else 1.0 for f, n in zip(focal, neigh, strict=True)]
    return focal, neigh, wts


def _read_gwt(path: Path) -> tuple[list[str], list[str], list[float]]:
    """GWT: a header line, then ``id neighbour_id weight`` per line."""
    focal: list[str] = []
    neigh: list[str] = []
    wts: list[float] = []
    for no, line in enumerate(_lines(path)[1:], start=2):
        parts = line.split()
        try:
            focal.append(parts[0])
            neigh.append(parts[1])
            wts.append(float(parts[2]))
        except (IndexError, ValueError):
            raise IngestError(f"{path}: line {no}: expected 'id neighbour_id weight'; found {line!r}") from None
    return focal, neigh, wts


def write_weights(graph: Graph, path: str | os.PathLike[str]) -> Path:
    """Write ``graph`` as GAL (binary neighbours) or GWT (with weights), by the file's extension."""
    path = Path(path)
    ext = path.suffix.lower()
    if ext == ".gal":
        graph.to_gal(path)
    elif ext == ".gwt":
        graph.to_gwt(path)
    else:
        raise StatisticsError(f"{path}: weights are written as .gal or .gwt; {ext!r} was given instead")
    return path


def _contiguity_graph(ids: list[object], geoms: np.ndarray, kind: Contiguity) -> Graph:
    """Queen or rook contiguity: :func:`~spatial_poverty.stats.contiguity.contiguity_pairs` on polygons (the same
    neighbours as libpysal's ``build_contiguity(strict=False)``, tested), libpysal itself for other geometries."""
    types = shapely.get_type_id(geoms)
    if np.isin(types, (3, 6)).all():  # Polygon, MultiPolygon
        focal, neighbor = contiguity_pairs(geoms, kind)
        return _from_coo(ids, focal, neighbor, np.ones(len(focal)))
    contig = Graph.build_contiguity(gpd.GeoSeries(geoms, index=pd.Index(ids)), rook=(kind == "rook"))
    return _from_pairs(ids, _adjacency_pairs(contig))


def _base_graph(gdf: gpd.GeoDataFrame, spec: WeightsSpec) -> tuple[Graph, dict[str, object]]:
    ids = list(gdf.index)
    if spec.kind in ("queen", "rook"):
        return _contiguity_graph(ids, gdf.geometry.to_numpy(), spec.kind), {}
    if spec.kind == "links":
        if spec.links_file is None:
            raise StatisticsError("weights of kind 'links' need a links_file")
        empty = _from_pairs(ids, set())
        return _with_links(empty, read_links(spec.links_file, gdf.index))[0], {"links_file": str(spec.links_file)}
    _check_planar(gdf.crs, f"{spec.kind} weights")
    centroids = gdf.geometry.centroid
    if spec.kind == "knn":
        if not 1 <= spec.k < len(ids):
            raise StatisticsError(f"k needs to be between 1 and n-1 = {len(ids) - 1}; {spec.k} was given instead")
        g = Graph.build_knn(centroids, k=spec.k)
        params: dict[str, object] = {"k": spec.k}
    elif spec.kind == "distance":
        if spec.threshold is None or spec.threshold <= 0:
            raise StatisticsError(f"distance weights need a threshold > 0 (metres); {spec.threshold} was given")
        g = Graph.build_distance_band(centroids, threshold=spec.threshold, binary=True)
        params = {"threshold": spec.threshold}
    elif spec.kind == "kernel":
        if spec.bandwidth is None:
            g = Graph.build_kernel(centroids, kernel=spec.kernel, k=spec.k)
            params = {"kernel": spec.kernel, "bandwidth": "adaptive", "k": spec.k}
        else:
            if spec.bandwidth <= 0:
                raise StatisticsError(f"the kernel bandwidth needs to be > 0 (metres); {spec.bandwidth} was given")
            g = Graph.build_kernel(centroids, kernel=spec.kernel, bandwidth=spec.bandwidth)
            params = {"kernel": spec.kernel, "bandwidth": spec.bandwidth}
    else:
        raise StatisticsError(f"weights kind needs to be one of {', '.join(KINDS)}; {spec.kind!r} was given instead")
    pos = {u: i for i, u in enumerate(ids)}
    adj = g.adjacency
    rows = np.array([pos[u] for u in adj.index.get_level_values(0)])
    cols = np.array([pos[u] for u in adj.index.get_level_values(1)])
    return _from_coo(ids, rows, cols, adj.to_numpy(dtype=float)), params


def build_weights(
    gdf: gpd.GeoDataFrame,
    spec: WeightsSpec | None = None,
    *,
    contiguity: Contiguity = "queen",
    island_policy: IslandPolicy = "knn",
    k: int = 1,
) -> tuple[Graph, WeightsReport]:
    r"""Weights with an island policy, symmetric; binary except for kernel weights.

    Parameters
    ----------
    gdf : geopandas.GeoDataFrame
        Polygons in a projected CRS, indexed by code.
    spec : WeightsSpec, optional
        The full specification. Without it, ``contiguity``, ``island_policy`` and ``k`` (the neighbours given
        to each isolate) describe contiguity weights, as before the other kinds existed.
    contiguity : {"queen", "rook"}
        Shared vertex (queen) or shared edge (rook).
    island_policy : {"knn", "none", "links", "components"}
        "knn" links each isolate to its ``k`` nearest units by centroid distance and symmetrises; "none" keeps
        isolates (statistics that need neighbours will then refuse the graph); "links" adds the spec's
        links file; "components" keeps the graph, for :func:`~spatial_poverty.stats.by_component`.
    k : int, default 1
        Neighbours per isolate under "knn".

    Returns
    -------
    graph : libpysal.graph.Graph
        Symmetric, ids in ``gdf.index`` order (transform it for the statistic at hand).
    report : WeightsReport

    Notes
    -----
    The base graph is symmetrised with :math:`w_{ij} = \max(w_{ij}, w_{ji})` (k-nearest neighbours are not
    symmetric: if j is among i's nearest, i and j become neighbours of each other).
    """
    if spec is None:
        if contiguity not in ("queen", "rook"):
            raise StatisticsError(f"contiguity needs to be 'queen' or 'rook'; {contiguity!r} was given instead")
        spec = WeightsSpec(kind=contiguity, island_policy=island_policy, island_k=k)
    if spec.kind not in KINDS:
        raise StatisticsError(f"weights kind needs to be one of {', '.join(KINDS)}; {spec.kind!r} was given instead")
    if spec.island_policy not in ISLAND_POLICIES:
        raise StatisticsError(
            f"island_policy needs to be one of {', '.join(repr(p) for p in ISLAND_POLICIES)}; "
            f"{spec.island_policy!r} was given instead"
        )
    if not gdf.index.is_unique:
        dup = sorted({str(i) for i in gdf.index[gdf.index.duplicated()]})[:5]
        raise StatisticsError(f"the units need a unique index (the municipality code); repeated: {dup}")
    raw, params = _base_graph(gdf, spec)
    base, n_sym = symmetrise(raw)
    added: list[tuple[str, str]]
    if spec.island_policy == "knn":
        if base.sparse.data[base.sparse.data != 0].size and not np.allclose(base.sparse.data[base.sparse.data != 0], 1):
            raise StatisticsError("the 'knn' island policy adds binary links; use it with binary weights")
        graph, added = link_isolates_knn(base, gdf.geometry, k=spec.island_k)
    elif spec.island_policy == "links":
        if spec.links_file is None:
            raise StatisticsError("the island policy 'links' needs a links_file")
        graph, added = _with_links(base, read_links(spec.links_file, gdf.index))
    else:
        graph, added = base, []
    sizes = np.bincount(np.unique(graph.component_labels.to_numpy(), return_inverse=True)[1])
    report = WeightsReport(
        n=len(gdf),
        contiguity=spec.kind,
        island_policy=spec.island_policy,
        k=spec.island_k,
        n_components_contiguity=int(base.n_components),
        isolates_contiguity=tuple(str(i) for i in base.isolates),
        links_added=tuple(added),
        n_components=int(graph.n_components),
        isolates=tuple(str(i) for i in graph.isolates),
        component_sizes=tuple(int(s) for s in sorted(sizes, reverse=True)),
        kind=spec.kind,
        parameters=params,
        links_file=str(spec.links_file) if spec.links_file is not None else None,
        symmetrised=n_sym,
    )
    logger.info("weights: %s", report)
    return graph, report
