"""Regionalisation (spopt's max-p and SKATER with a population floor) and region shape measures.

The reference answers are computed here independently, by enumerating every partition of small fixtures built
by the tests (a chain of squares, where the contiguous partitions are the ways of cutting the chain): max-p's
optimum (the largest number of regions meeting the population threshold) and SKATER's first cut (the edge of
the spanning tree whose removal minimises the within-region sum of absolute deviations, among the cuts that
keep the population floor). Shape measures are checked on shapes with known values (square, L shape, two
islands).
"""

from __future__ import annotations

import itertools
import logging

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from libpysal.graph import Graph
from shapely.geometry import MultiPolygon, box

from spatial_poverty.errors import StatisticsError
from spatial_poverty.stats import build_weights
from spatial_poverty.stats.regions import regionalise, shape_measures

#: Shape measures are closed-form: floating-point agreement.
RTOL = 1e-12
SEED = 4445


def chain(x: list[float], pop: list[float]) -> tuple[gpd.GeoDataFrame, Graph]:
    """Unit squares (1 km) side by side, rook contiguity: a path graph."""
    ids = [f"{i + 1:04d}" for i in range(len(x))]
    gdf = gpd.GeoDataFrame(
        {"x": x, "pop": pop},
        geometry=[box(i * 1000, 0, (i + 1) * 1000, 1000) for i in range(len(x))],
        index=pd.Index(ids, name="code"),
        crs="EPSG:2100",
    )
    return gdf, Graph.build_contiguity(gdf.geometry, rook=True)


def chain_partitions(n: int):
    """Every partition of a path of n units into contiguous segments, as label arrays."""
    for k in range(n):
        for cuts in itertools.combinations(range(1, n), k):
            labels = np.zeros(n, dtype=int)
            for c in cuts:
                labels[c:] += 1
            yield labels


def heterogeneity(z: np.ndarray, labels: np.ndarray) -> float:
    """Sum over regions of the absolute deviations from the region mean (spopt's SKATER score)."""
    return float(sum(np.abs(z[labels == r] - z[labels == r].mean()).sum() for r in np.unique(labels)))


def canonical(labels: np.ndarray) -> list[int]:
    seen: dict[int, int] = {}
    return [seen.setdefault(int(v), len(seen) + 1) for v in labels]


def test_maxp_finds_the_enumerated_optimum():
    x = [1.0, 1.3, 4.0, 4.2, 8.0, 8.5, 8.1, 2.0]
    pop = [3.0, 2.0, 2.0, 3.0, 1.0, 1.0, 3.0, 5.0]
    gdf, graph = chain(x, pop)
    threshold = 5.0
    feasible = [lab for lab in chain_partitions(len(x)) if all(np.bincount(lab, weights=pop) >= threshold)]
    p_max = max(lab.max() + 1 for lab in feasible)
    z = (np.array(x) - np.mean(x)) / np.std(x)
    best = min((lab for lab in feasible if lab.max() + 1 == p_max), key=lambda lab: heterogeneity(z, lab))
    result = regionalise(gdf, graph, variables=["x"], population="pop", min_population=threshold, seed=SEED)
    assert result.n_regions == p_max == 4
    assert result.labels.tolist() == canonical(best)
    assert (result.regions["population"] >= threshold).all()
    assert list(result.labels.index) == list(gdf.index)


def test_skater_first_cut_is_the_enumerated_best_under_the_population_floor():
    x = [1.0, 1.1, 1.2, 6.0, 6.1, 6.3, 6.2]
    pop = [1.0, 1.0, 1.0, 10.0, 10.0, 10.0, 10.0]
    gdf, graph = chain(x, pop)
    z = (np.array(x) - np.mean(x)) / np.std(x)
    two = [lab for lab in chain_partitions(len(x)) if lab.max() == 1]
    free = min(two, key=lambda lab: heterogeneity(z, lab))
    assert canonical(free) == [1, 1, 1, 2, 2, 2, 2]  # without a floor: cut between the two groups
    floor = 12.0
    ok = [lab for lab in two if all(np.bincount(lab, weights=pop) >= floor)]
    constrained = min(ok, key=lambda lab: heterogeneity(z, lab))
    result = regionalise(
        gdf, graph, variables=["x"], population="pop", method="skater", n_regions=2, min_population=floor, seed=SEED
    )
    assert result.labels.tolist() == canonical(constrained) == [1, 1, 1, 1, 2, 2, 2]
    free_run = regionalise(gdf, graph, variables=["x"], population="pop", method="skater", n_regions=2, seed=SEED)
    assert free_run.labels.tolist() == canonical(free)


def test_maxp_is_reproducible_with_a_seed():
    rng = np.random.default_rng(1)
    cells = [box(i * 1000, j * 1000, (i + 1) * 1000, (j + 1) * 1000) for j in range(4) for i in range(4)]
    ids = [f"{i:04d}" for i in range(16)]
    gdf = gpd.GeoDataFrame(
        {"x": rng.normal(size=16), "y": rng.normal(size=16), "pop": rng.integers(100, 1000, size=16)},
        geometry=cells,
        index=pd.Index(ids, name="code"),
        crs="EPSG:2100",
    )
    graph = Graph.build_contiguity(gdf.geometry)
    kw = {"variables": ["x", "y"], "population": "pop", "min_population": 1500, "seed": SEED}
    fast = {"max_iterations_construction": 20, "max_iterations_sa": 3}
    state = np.random.get_state()[1].copy()
    first = regionalise(gdf, graph, **kw, **fast)
    np.testing.assert_array_equal(np.random.get_state()[1], state)  # NumPy's global generator is put back
    second = regionalise(gdf, graph, **kw, **fast)
    pd.testing.assert_series_equal(first.labels, second.labels)
    assert (first.regions["population"] >= 1500).all()
    assert first.regions["n_units"].sum() == 16
    assert first.parameters["seed"] == SEED
    shuffled = regionalise(gdf.iloc[::-1], graph, **kw, **fast)
    assert shuffled.labels.reindex(gdf.index).tolist() == first.labels.tolist()


def test_shape_measures_on_known_shapes():
    square = box(0, 0, 1000, 1000)
    ell = box(0, 0, 2000, 1000).union(box(0, 1000, 1000, 2000))  # 3 unit squares in an L
    islands = MultiPolygon([box(0, 0, 1000, 1000), box(5000, 0, 6000, 1000)])
    out = shape_measures(gpd.GeoSeries([square, ell, islands], index=[1, 2, 3], crs="EPSG:2100"))
    assert out.loc[1, "polsby_popper"] == pytest.approx(np.pi / 4, rel=RTOL)
    assert out.loc[1, "hull_ratio"] == pytest.approx(1.0, rel=RTOL)
    assert out.loc[2, "polsby_popper"] == pytest.approx(4 * np.pi * 3e6 / 8000**2, rel=RTOL)
    assert out.loc[2, "hull_ratio"] == pytest.approx(3 / 3.5, rel=RTOL)  # hull of the L: 4 km² less a half
    assert out.loc[3, "polsby_popper"] == pytest.approx(4 * np.pi * 2e6 / 8000**2, rel=RTOL)
    assert out.loc[3, "hull_ratio"] == pytest.approx(2 / 6, rel=RTOL)
    assert out["n_parts"].tolist() == [1, 1, 2]
    assert out["fragmented"].tolist() == [False, False, True]
    assert out.loc[3, "area_km2"] == pytest.approx(2.0, rel=RTOL)


def test_regions_across_islands_are_counted_as_fragmented():
    # Two islands of two municipalities each, 5 km apart: queen contiguity leaves two components; the knn
    # island policy links them, and a population threshold that no island meets alone forces one region.
    geoms = [box(0, 0, 1000, 1000), box(1000, 0, 2000, 1000), box(7000, 0, 8000, 1000), box(8000, 0, 9000, 1000)]
    gdf = gpd.GeoDataFrame(
        {"x": [1.0, 2.0, 3.0, 4.0], "pop": [10, 10, 10, 10]},
        geometry=geoms,
        index=pd.Index(["0101", "0102", "0201", "0202"], name="code"),
        crs="EPSG:2100",
    )
    queen, _ = build_weights(gdf, contiguity="queen", island_policy="none")
    with pytest.raises(StatisticsError, match="component\\(s\\) of the weights have fewer than 30 people"):
        regionalise(gdf, queen, variables=["x"], population="pop", min_population=30, seed=SEED)
    knn = Graph.build_knn(gdf.geometry.centroid, k=1)
    linked = Graph.from_arrays(
        np.array(["0101", "0102", "0102", "0201", "0201", "0202"]),
        np.array(["0102", "0101", "0201", "0102", "0202", "0201"]),
        np.ones(6),
    )
    assert knn.n_components >= 1 and linked.n_components == 1
    result = regionalise(gdf, linked, variables=["x"], population="pop", min_population=30, seed=SEED)
    assert result.n_regions == 1
    assert result.regions.loc[1, "n_parts"] == 2 and bool(result.regions.loc[1, "fragmented"])
    assert result.summary()["share_fragmented"] == 1.0
    assert result.regions.loc[1, "codes"] == "0101,0102,0201,0202"


def test_refusals(caplog):
    gdf, graph = chain([1.0, 2.0, 3.0, 4.0], [1.0, 1.0, 1.0, 1.0])
    with pytest.raises(StatisticsError, match="method needs to be 'maxp' or 'skater'; 'ward'"):
        regionalise(gdf, graph, variables=["x"], population="pop", method="ward", seed=SEED)  # type: ignore[arg-type]
    with pytest.raises(StatisticsError, match="SKATER needs n_regions"):
        regionalise(gdf, graph, variables=["x"], population="pop", method="skater", seed=SEED)
    with pytest.raises(StatisticsError, match="columns \\['income'\\] are not in the layer"):
        regionalise(gdf, graph, variables=["income"], population="pop", seed=SEED)
    bad = gdf.copy()
    bad.loc["0002", "x"] = np.nan
    with pytest.raises(StatisticsError, match="missing values for units \\['0002'\\]"):
        regionalise(bad, graph, variables=["x"], population="pop", seed=SEED)
    with pytest.raises(StatisticsError, match="projected CRS"):
        regionalise(gdf.to_crs(4326), graph, variables=["x"], population="pop", seed=SEED)
    # SKATER cannot reach 4 regions with a floor of 2 people: it stops at 2 and says so in the log.
    with caplog.at_level(logging.WARNING, logger="spatial_poverty.stats.regions"):
        r = regionalise(
            gdf, graph, variables=["x"], population="pop", method="skater", n_regions=4, min_population=2, seed=SEED
        )
    assert r.n_regions == 2
    assert "no valid moves" in caplog.text
