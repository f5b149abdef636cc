r"""Regionalisation: SKATER and max-p (PySAL spopt) with a minimum population per region, and region shape measures.

Municipalities are grouped into contiguous regions that are homogeneous in the chosen variables, on the
island-aware weights of :func:`~spatial_poverty.stats.build_weights` (contiguity is "neighbour in that graph":
under the "knn" or "links" island policy an island can join the region of its nearest unit or its ferry port).

* **max-p** (Duque, Anselin & Rey 2012; spopt's ``MaxPHeuristic``): the largest number of regions such that
  every region has at least ``min_population`` people, then the most homogeneous such partition.
* **SKATER** (Assunção et al. 2006; spopt's ``Skater``): ``n_regions`` regions by pruning the minimum spanning
  tree of the graph (edges weighted by attribute dissimilarity); a cut is only allowed if every region keeps
  at least ``min_population`` people (spopt's "floor", here on population instead of the count of units).

Variables are standardised (z-scores) first, so that each weighs the same in the Manhattan dissimilarity spopt
uses. max-p is stochastic: it draws from NumPy's global generator, which is seeded with ``seed`` for the call
and restored afterwards, so the same inputs and seed give the same regions. SKATER is deterministic.

Shape measures per region (its municipalities dissolved):

.. math::

    PP = \frac{4 \pi A}{P^2}, \qquad H = \frac{A}{A_{hull}}

Polsby-Popper :math:`PP` (1 for a disc, towards 0 for a long or ragged shape; a region over several islands
counts every coastline in :math:`P`) and the convex-hull ratio :math:`H` (1 for a convex shape; sea between
the islands of a region lowers it). Fragmentation: ``n_parts``, the number of separate polygons of the
dissolved region (land masses), and for the whole partition the share of regions split over several parts.
"""

from __future__ import annotations

import logging
import warnings
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Literal

import geopandas as gpd
import numpy as np
import pandas as pd
from libpysal.graph import Graph
from shapely.geometry import MultiPolygon, Polygon

from spatial_poverty.errors import StatisticsError

__all__ = ["Regionalisation", "regionalise", "shape_measures"]

logger = logging.getLogger(__name__)

Method = Literal["maxp", "skater"]


@contextmanager
def _seeded_global_rng(seed: int) -> Iterator[None]:
    """spopt's max-p draws from ``numpy.random``'s global state: seed it for the call, then put it back."""
    state = np.random.get_state()
    np.random.seed(seed)
    try:
        yield
    finally:
        np.random.set_state(state)


def _parts(geom: Any) -> int:
    if isinstance(geom, MultiPolygon):
        return len(geom.geoms)
    if isinstance(geom, Polygon):
        return 0 if geom.is_empty else 1
    return sum(_parts(g) for g in getattr(geom, "geoms", []))


def shape_measures(regions: gpd.GeoSeries) -> pd.DataFrame:
    r"""Compactness and fragmentation of (dissolved) region geometries.

    Parameters
    ----------
    regions : geopandas.GeoSeries
        One geometry per region, in a projected CRS (metres).

    Returns
    -------
    pandas.DataFrame
        ``area_km2``, ``polsby_popper`` (:math:`4\pi A / P^2`), ``hull_ratio`` (:math:`A / A_{hull}`),
        ``n_parts`` (separate polygons) and ``fragmented`` (``n_parts > 1``), indexed like ``regions``.
    """
    if regions.crs is not None and regions.crs.is_geographic:
        raise StatisticsError(f"shape measures need a projected CRS (metres); {regions.crs} was given instead")
    area = regions.area
    perimeter = regions.length
    hull = regions.convex_hull.area
    parts = regions.apply(_parts).astype(np.int32)
    with np.errstate(divide="ignore", invalid="ignore"):
        pp = 4 * np.pi * area / perimeter**2
        hr = area / hull
    return pd.DataFrame(
        {
            "area_km2": area / 1e6,
            "polsby_popper": pp,
            "hull_ratio": hr,
            "n_parts": parts,
            "fragmented": parts > 1,
        },
        index=regions.index,
    )


@dataclass
class Regionalisation:
    """The result of :func:`regionalise`.

    Attributes
    ----------
    labels : pandas.Series
        Region number (1, 2, ...) per unit, indexed by code; region 1 holds the first code in sorted order,
        region 2 the first code not in region 1, and so on (so numbering does not depend on the solver's).
    regions : geopandas.GeoDataFrame
        One row per region (index ``region_id``): ``n_units``, ``population``, the variables' population-
        weighted means, the :func:`shape_measures`, ``codes`` (the member codes, comma-separated) and the
        dissolved geometry.
    method : str
    parameters : dict
        ``min_population``, ``n_regions`` (SKATER), ``variables``, ``seed``.
    """

    labels: pd.Series
    regions: gpd.GeoDataFrame
    method: str
    parameters: dict[str, Any] = field(default_factory=dict)

    @property
    def n_regions(self) -> int:
        return len(self.regions)

    def summary(self) -> dict[str, Any]:
        """Plain values for the run manifest and the log."""
        r = self.regions
        return {
            "method": self.method,
            **self.parameters,
            "n_regions": self.n_regions,
            "population_min": int(r["population"].min()),
            "population_max": int(r["population"].max()),
            "polsby_popper_mean": float(r["polsby_popper"].mean()),
            "hull_ratio_mean": float(r["hull_ratio"].mean()),
            "share_fragmented": float(r["fragmented"].mean()),
        }


def _canonical(labels: np.ndarray, ids: pd.Index) -> pd.Series:
    order = np.argsort(np.asarray(ids, dtype=str), kind="stable")
    mapping: dict[int, int] = {}
    for i in order:
        mapping.setdefault(int(labels[i]), len(mapping) + 1)
    return pd.Series([mapping[int(v)] for v in labels], index=ids, name="region_id", dtype=np.int32)


def _population_floor_forest(population: np.ndarray, floor: float) -> Any:
    """spopt's SpanningForest whose quorum is on the population of a region instead of its count of units."""
    from spopt.region.skater import SpanningForest

    class _PopulationForest(SpanningForest):  # type: ignore[misc]
        def score(self, data: np.ndarray, labels: np.ndarray | None = None, quorum: float = -np.inf) -> float:
            if labels is not None and floor > 0:
                sums = np.bincount(labels, weights=population)
                if (sums < floor).any():
                    return float(np.inf)
            return float(super().score(data, labels=labels, quorum=-np.inf))

    return _PopulationForest()


def regionalise(
    gdf: gpd.GeoDataFrame,
    graph: Graph,
    *,
    variables: Sequence[str],
    population: str = "pop_2021",
    method: Method = "maxp",
    min_population: float = 0.0,
    n_regions: int | None = None,
    seed: int,
    max_iterations_construction: int = 99,
    max_iterations_sa: int = 10,
) -> Regionalisation:
    """Group units into contiguous, homogeneous regions with at least ``min_population`` people each.

    Parameters
    ----------
    gdf : geopandas.GeoDataFrame
        Units indexed by code, projected CRS, with the ``variables`` and ``population`` columns.
    graph : libpysal.graph.Graph
        The weights (ids = ``gdf.index``); its links define contiguity. It must be connected, or each of its
        components must hold at least ``min_population`` people (a region never spans two components).
    variables : sequence of str
        Columns the regions should be homogeneous in (standardised first).
    population : str, default "pop_2021"
        Column of the population counted against ``min_population``.
    method : {"maxp", "skater"}
    min_population : float
        Minimum population per region: max-p's threshold, SKATER's floor.
    n_regions : int, optional
        SKATER's number of regions (required for SKATER, unused by max-p, which finds the number itself).
    seed : int
        Seeds max-p's random construction and annealing (recorded in ``parameters``).
    max_iterations_construction, max_iterations_sa : int
        max-p's iterations of the construction phase and of the simulated annealing.

    Returns
    -------
    Regionalisation

    Raises
    ------
    StatisticsError
        Unknown method or column, missing values, a CRS that is not projected, a graph not on ``gdf.index``,
        a component (island without links) smaller than ``min_population``, SKATER without ``n_regions``, or a
        solution with a region under the minimum (reported, never published).
    """
    if method not in ("maxp", "skater"):
        raise StatisticsError(f"method needs to be 'maxp' or 'skater'; {method!r} was given instead")
    if not variables:
        raise StatisticsError("regionalisation needs at least one variable")
    missing = [c for c in (*variables, population) if c not in gdf.columns]
    if missing:
        raise StatisticsError(f"regionalisation: columns {missing} are not in the layer; found {list(gdf.columns)}")
    if gdf.crs is not None and gdf.crs.is_geographic:
        raise StatisticsError(f"regionalisation needs a projected CRS (metres); {gdf.crs} was given instead")
    ids = pd.Index(graph.unique_ids)
    if set(ids) != set(gdf.index) or len(ids) != len(gdf):
        raise StatisticsError("regionalisation: the graph's ids need to be the layer's index (the codes)")
    frame = gdf.reindex(ids)
    values = frame[list(variables)].astype(float)
    pop = frame[population].astype(float)
    bad = values.isna().any(axis=1) | pop.isna()
    if bad.any():
        raise StatisticsError(f"regionalisation: missing values for units {list(ids[bad.to_numpy()])[:5]}")
    if (pop < 0).any():
        raise StatisticsError(f"regionalisation: {population} needs to be non-negative")
    comp = graph.component_labels.reindex(ids)
    comp_pop = pop.groupby(comp.to_numpy()).sum()
    small = comp_pop[comp_pop < min_population]
    if len(small):
        members = [str(c) for c in ids[comp.isin(small.index).to_numpy()]][:10]
        raise StatisticsError(
            f"regionalisation: {len(small)} component(s) of the weights have fewer than {min_population:g} people "
            f"(units {members}); link them with an island policy (knn or links) or lower min_population"
        )
    std = values.std(ddof=0).replace(0, 1.0)
    z = (values - values.mean()) / std
    work = gpd.GeoDataFrame(z.rename(columns=lambda c: f"z_{c}"), geometry=frame.geometry.to_numpy(), crs=gdf.crs)
    work["_population"] = pop.to_numpy()
    work.index = pd.RangeIndex(len(work))
    attrs = [f"z_{c}" for c in variables]
    from libpysal.weights import W

    pos = {u: i for i, u in enumerate(ids)}
    neighbours: dict[int, list[int]] = {i: [] for i in range(len(ids))}
    for (f, nb), wt in graph.adjacency.items():
        if f != nb and wt != 0:
            neighbours[pos[f]].append(pos[nb])
    w_pos = W(neighbours, silence_warnings=True)
    params: dict[str, Any] = {
        "variables": list(variables),
        "population": population,
        "min_population": float(min_population),
        "seed": seed,
    }
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        if method == "maxp":
            from spopt.region import MaxPHeuristic

            model = MaxPHeuristic(
                work,
                w_pos,
                attrs,
                "_population",
                float(min_population),
                top_n=2,
                max_iterations_construction=max_iterations_construction,
                max_iterations_sa=max_iterations_sa,
                policy="keep",
            )
            with _seeded_global_rng(seed):
                model.solve()
            labels = np.asarray(model.labels_)
            params.update(max_iterations_construction=max_iterations_construction, max_iterations_sa=max_iterations_sa)
        else:
            if n_regions is None or n_regions < 1:
                raise StatisticsError(f"SKATER needs n_regions (a positive number); {n_regions} was given")
            forest = _population_floor_forest(pop.to_numpy(), float(min_population))
            forest.fit(n_regions, w_pos, data=work[attrs].to_numpy(), quorum=-np.inf, islands="increase")
            labels = np.asarray(forest.current_labels_)
            params["n_regions"] = n_regions
    for wmsg in caught:  # spopt's OptimizeWarning (fewer regions than asked, islands) matters; the rest is noise
        level = logging.WARNING if wmsg.category.__name__ == "OptimizeWarning" else logging.DEBUG
        logger.log(level, "%s: %s", method, wmsg.message)
    if labels.min() < 0:
        left = [str(c) for c in ids[labels < 0]][:10]
        raise StatisticsError(f"{method}: units {left} were left without a region (min_population too high?)")
    labels_s = _canonical(labels, ids)
    return _summarise(frame, labels_s, list(variables), population, method, params, min_population)


def _summarise(
    frame: gpd.GeoDataFrame,
    labels: pd.Series,
    variables: list[str],
    population: str,
    method: str,
    params: dict[str, Any],
    min_population: float,
) -> Regionalisation:
    df = pd.DataFrame(frame[[*variables, population]]).astype(float)
    df["region_id"] = labels.to_numpy()
    pop = df.groupby("region_id")[population].sum()
    # population-weighted mean of each variable (NaN for a region without people)
    weighted = {v: (df[v] * df[population]).groupby(df["region_id"]).sum() / pop.where(pop > 0) for v in variables}
    dissolved = (
        gpd.GeoSeries(frame.geometry.to_numpy(), crs=frame.crs).groupby(labels.to_numpy()).agg(lambda g: g.union_all())
    )
    geoms = gpd.GeoSeries(dissolved, crs=frame.crs)
    shapes = shape_measures(geoms)
    codes = labels.groupby(labels.to_numpy()).apply(lambda s: ",".join(sorted(str(c) for c in s.index)))
    out = pd.DataFrame(
        {
            "n_units": labels.value_counts().sort_index().astype(np.int32),
            "population": pop,
            **{f"{v}_mean": weighted[v] for v in variables},
            **{c: shapes[c] for c in shapes.columns},
            "codes": codes,
        }
    )
    out.index = pd.Index(out.index.astype(np.int32), name="region_id")
    regions = gpd.GeoDataFrame(out, geometry=geoms.reindex(out.index).to_numpy(), crs=frame.crs)
    under = regions.index[regions["population"] < min_population]
    if len(under):
        raise StatisticsError(
            f"{method}: regions {list(under)} have fewer than {min_population:g} people; nothing is published"
        )
    result = Regionalisation(labels=labels, regions=regions, method=method, parameters=params)
    logger.info("regions: %s", result.summary())
    return result
