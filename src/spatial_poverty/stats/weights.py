"""Spatial weights: queen or rook contiguity plus an explicit island policy.

Weights are :class:`libpysal.graph.Graph` objects, never mutated: the island policy takes a Graph and returns a
new one with a report of what it added. Archipelagos such as the South Aegean leave most municipalities with no
contiguous neighbour; statistics that need neighbours refuse a graph with isolates, so the policy is explicit.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Literal

import geopandas as gpd
import numpy as np
from libpysal.graph import Graph

from spatial_poverty.errors import StatisticsError

__all__ = ["WeightsReport", "build_weights", "link_isolates_knn"]

logger = logging.getLogger(__name__)

Contiguity = Literal["queen", "rook"]
IslandPolicy = Literal["knn", "none"]


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

    def to_dict(self) -> dict[str, object]:
        return {
            "n": self.n,
            "contiguity": self.contiguity,
            "island_policy": self.island_policy,
            "k": self.k,
            "n_components_contiguity": self.n_components_contiguity,
            "isolates_contiguity": list(self.isolates_contiguity),
            "links_added": [list(p) for p in self.links_added],
            "n_components": self.n_components,
            "isolates": list(self.isolates),
            "component_sizes": list(self.component_sizes),
        }

    def __str__(self) -> str:
        return (
            f"{self.contiguity} contiguity on {self.n} units: {self.n_components_contiguity} components, "
            f"{len(self.isolates_contiguity)} isolates; island policy {self.island_policy!r}"
            + (f" (k={self.k})" if self.island_policy == "knn" else "")
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
    if geometry.crs is None or geometry.crs.is_geographic:
        raise StatisticsError(f"link_isolates_knn needs a projected CRS; {geometry.crs!s} was given instead")
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


def build_weights(
    gdf: gpd.GeoDataFrame,
    *,
    contiguity: Contiguity = "queen",
    island_policy: IslandPolicy = "knn",
    k: int = 1,
) -> tuple[Graph, WeightsReport]:
    """Contiguity weights with an island policy, binary (transform them for the statistic at hand).

    Parameters
    ----------
    gdf : geopandas.GeoDataFrame
        Polygons in a projected CRS, indexed by code.
    contiguity : {"queen", "rook"}
        Shared vertex (queen) or shared edge (rook).
    island_policy : {"knn", "none"}
        "knn" links each isolate to its ``k`` nearest units by centroid distance and symmetrises; "none" keeps
        isolates (statistics that need neighbours will then refuse the graph).
    k : int, default 1
        Neighbours per isolate under "knn".

    Returns
    -------
    graph : libpysal.graph.Graph
        Binary, symmetric, ids in ``gdf.index`` order.
    report : WeightsReport
    """
    if contiguity not in ("queen", "rook"):
        raise StatisticsError(f"contiguity needs to be 'queen' or 'rook'; {contiguity!r} was given instead")
    if island_policy not in ("knn", "none"):
        raise StatisticsError(f"island_policy needs to be 'knn' or 'none'; {island_policy!r} was given instead")
    if not gdf.index.is_unique:
        raise StatisticsError("the units need a unique index (the municipality code)")
    contig = Graph.build_contiguity(gdf.geometry, rook=(contiguity == "rook"))
    # Rebuild in gdf order with binary weights so that ids, order and isolate encoding are ours.
    base = _from_pairs(list(gdf.index), _adjacency_pairs(contig))
    if island_policy == "knn":
        graph, added = link_isolates_knn(base, gdf.geometry, k=k)
    else:
        graph, added = base, []
    sizes = np.bincount(np.unique(graph.component_labels.to_numpy(), return_inverse=True)[1])
    report = WeightsReport(
        n=len(gdf),
        contiguity=contiguity,
        island_policy=island_policy,
        k=k,
        n_components_contiguity=int(base.n_components),
        isolates_contiguity=tuple(str(i) for i in base.isolates),
        links_added=tuple(added),
        n_components=int(graph.n_components),
        isolates=tuple(str(i) for i in graph.isolates),
        component_sizes=tuple(int(s) for s in sorted(sizes, reverse=True)),
    )
    logger.info("weights: %s", report)
    return graph, report
