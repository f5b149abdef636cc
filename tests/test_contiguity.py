"""The vectorised contiguity builder gives exactly libpysal's ``Graph.build_contiguity(strict=False)`` neighbours."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
import shapely
from libpysal.graph import Graph
from shapely.geometry import MultiPolygon, Polygon, box

from spatial_poverty.errors import StatisticsError
from spatial_poverty.stats import build_weights
from spatial_poverty.stats.contiguity import contiguity_pairs


def libpysal_pairs(geoms: np.ndarray, kind: str) -> set[tuple[int, int]]:
    g = Graph.build_contiguity(gpd.GeoSeries(geoms), rook=(kind == "rook"), strict=False)
    adj = g.adjacency
    keep = adj.to_numpy() != 0
    f, n = adj.index.get_level_values(0)[keep], adj.index.get_level_values(1)[keep]
    return {(int(a), int(b)) for a, b in zip(f, n, strict=True)}


def ours(geoms: np.ndarray, kind: str) -> set[tuple[int, int]]:
    f, n = contiguity_pairs(geoms, kind)  # type: ignore[arg-type]
    assert np.all(np.diff(f) >= 0), "sorted by focal"
    return set(zip(f.tolist(), n.tolist(), strict=True))


def voronoi(n: int, seed: int) -> np.ndarray:
    """Fixture: a seeded Voronoi tessellation of a 1000 x 1000 square (built here, not from the bundle)."""
    rng = np.random.default_rng(seed)
    frame = box(0, 0, 1000, 1000)
    cells = shapely.get_parts(
        shapely.voronoi_polygons(shapely.multipoints(rng.uniform(0, 1000, (n, 2))), extend_to=frame)
    )
    return shapely.intersection(cells, frame)


@pytest.mark.parametrize("kind", ["queen", "rook"])
def test_synthetic_tessellation_with_islands_holes_and_multipolygons(kind):
    cells = voronoi(2000, seed=9)
    rng = np.random.default_rng(1)
    # Drop cells (holes in the coverage), merge some neighbours into MultiPolygons of two far-apart parts,
    # add islands far away, shuffle the rows.
    cells = np.delete(cells, rng.choice(len(cells), 150, replace=False))
    far = [box(5000 + 10 * i, 5000, 5005 + 10 * i, 5005) for i in range(5)]
    multi = [MultiPolygon([cells[i], shapely.affinity.translate(cells[i + 1], 3000, 0)]) for i in range(0, 20, 2)]
    geoms = np.array([*multi, *cells[20:], *far], dtype=object)
    geoms = geoms[rng.permutation(len(geoms))]
    mine = ours(geoms, kind)
    assert mine == libpysal_pairs(geoms, kind)
    assert all((b, a) in mine for a, b in mine)
    isolated = set(range(len(geoms))) - {a for a, _ in mine}
    assert len(isolated) >= 5


def test_single_point_touch_is_queen_not_rook():
    # A 3 x 3 grid of unit squares: corners touch diagonally at one point.
    grid = np.array([box(x, y, x + 1, y + 1) for y in range(3) for x in range(3)], dtype=object)
    queen, rook = ours(grid, "queen"), ours(grid, "rook")
    assert (0, 4) in queen and (0, 4) not in rook
    assert {b for a, b in queen if a == 4} == {0, 1, 2, 3, 5, 6, 7, 8}
    assert {b for a, b in rook if a == 4} == {1, 3, 5, 7}
    assert queen == libpysal_pairs(grid, "queen") and rook == libpysal_pairs(grid, "rook")


def test_edge_cases_match_libpysal():
    # A square with a hole holding another square (neighbours through the hole's ring), a polygon touching the
    # square's corner with a vertex written -0.0, a T-junction whose edge is not shared vertex for vertex
    # (no rook neighbour, as in libpysal), an empty polygon, and a MultiPolygon touching at one point.
    outer = Polygon([(0, 0), (4, 0), (4, 4), (0, 4)], [[(1, 1), (3, 1), (3, 3), (1, 3)]])
    inner = box(1, 1, 3, 3)
    corner = Polygon([(-0.0, -0.0), (-1, 0), (-1, -1), (0, -1)])
    t_junction = Polygon([(4, 1), (6, 1), (6, 2), (4, 2)])
    empty = Polygon()
    multi = MultiPolygon([box(10, 10, 11, 11), box(4, 4, 5, 5)])
    geoms = np.array([outer, inner, corner, t_junction, empty, multi], dtype=object)
    for kind in ("queen", "rook"):
        assert ours(geoms, kind) == libpysal_pairs(geoms, kind), kind
    assert (0, 1) in ours(geoms, "rook") and (0, 2) in ours(geoms, "queen") and (0, 5) in ours(geoms, "queen")
    assert (0, 5) not in ours(geoms, "rook") and (0, 3) not in ours(geoms, "queen")


def test_unknown_kind_is_refused():
    with pytest.raises(StatisticsError, match="contiguity needs to be 'queen' or 'rook'; 'bishop' was given"):
        contiguity_pairs(np.array([box(0, 0, 1, 1)], dtype=object), "bishop")  # type: ignore[arg-type]


def _libpysal_build(gdf: gpd.GeoDataFrame, kind: str) -> set[tuple[object, object]]:
    g = Graph.build_contiguity(gdf.geometry, rook=(kind == "rook"), strict=False)
    adj = g.adjacency
    keep = adj.to_numpy() != 0
    return set(zip(adj.index.get_level_values(0)[keep], adj.index.get_level_values(1)[keep], strict=True))


@pytest.mark.bundle
@pytest.mark.parametrize("source", ["elstat_2021", "lctools_2001"])
def test_real_greek_boundaries(bundle, source):
    # All 333 ELSTAT 2021 units (Mount Athos included) and the 325 municipalities of 2011 (lctools), read with
    # the project's readers: many islands and MultiPolygons.
    if source == "elstat_2021":
        from spatial_poverty.ingest.elstat2021 import read_municipal_boundaries

        gdf = read_municipal_boundaries(bundle / "elstat_2021" / "DHMOI_2021.zip")
    else:
        from spatial_poverty.ingest.lctools import read_lctools_2001

        gdf = read_lctools_2001(bundle / "lctools_2001" / "GR_Municipalities_lctools.gpkg")
    ids = np.asarray(gdf.index)
    for kind in ("queen", "rook"):
        f, n = contiguity_pairs(gdf.geometry.to_numpy(), kind)  # type: ignore[arg-type]
        mine = set(zip(ids[f], ids[n], strict=True))
        ref = _libpysal_build(gdf, kind)
        assert mine == ref, (source, kind, sorted(mine ^ ref)[:5])
        graph, report = build_weights(gdf, contiguity=kind, island_policy="none")  # type: ignore[arg-type]
        adj = graph.adjacency
        keep = adj.to_numpy() != 0
        assert set(zip(adj.index.get_level_values(0)[keep], adj.index.get_level_values(1)[keep], strict=True)) == ref
        assert list(graph.unique_ids) == list(gdf.index)
        assert len(report.isolates_contiguity) > 50  # the islands
    queen, rook = (set(zip(*contiguity_pairs(gdf.geometry.to_numpy(), k), strict=True)) for k in ("queen", "rook"))
    assert rook <= queen  # (on these files every shared vertex lies on a shared edge: the two are equal)
