"""Weights: contiguity plus the k-nearest island policy, on a small fixture with islands."""

import geopandas as gpd
import pandas as pd
import pytest
from shapely.geometry import MultiPolygon, box

from spatial_poverty.errors import StatisticsError
from spatial_poverty.stats import build_weights, link_isolates_knn


@pytest.fixture
def archipelago() -> gpd.GeoDataFrame:
    """Fixture made here: a 2x2 block of mainland squares, two islands (one a MultiPolygon), shuffled rows."""
    geoms = {
        "0101": box(0, 0, 1000, 1000),
        "0102": box(1000, 0, 2000, 1000),
        "0103": box(0, 1000, 1000, 2000),
        "0104": box(1000, 1000, 2000, 2000),
        "5801": box(5000, 0, 5500, 500),  # island nearest to 0102
        "6001": MultiPolygon([box(9000, 9000, 9400, 9400), box(9600, 9000, 9800, 9200)]),  # far island
    }
    order = ["6001", "0103", "5801", "0101", "0104", "0102"]
    return gpd.GeoDataFrame(
        {"name_el": [f"Δήμος {c}" for c in order]},
        geometry=[geoms[c] for c in order],
        crs=2100,
        index=pd.Index(order, name="code"),
    )


def test_queen_contiguity_without_policy_keeps_isolates(archipelago):
    g, report = build_weights(archipelago, island_policy="none")
    assert list(g.unique_ids) == list(archipelago.index)
    assert set(g.isolates) == {"5801", "6001"}
    assert report.n_components_contiguity == 3 and report.links_added == ()
    assert set(g.neighbors["0101"]) == {"0102", "0103", "0104"}  # queen: the diagonal counts


def test_rook_drops_the_diagonal(archipelago):
    g, _ = build_weights(archipelago, contiguity="rook", island_policy="none")
    assert set(g.neighbors["0101"]) == {"0102", "0103"}


def test_knn_policy_links_isolates_symmetrically(archipelago):
    g, report = build_weights(archipelago, island_policy="knn", k=1)
    assert len(g.isolates) == 0
    assert g.asymmetry().empty
    assert "0102" in g.neighbors["5801"] and "5801" in g.neighbors["0102"]
    # 6001's nearest centroid is 5801: linked both ways, once in the report.
    assert "5801" in g.neighbors["6001"]
    assert set(report.links_added) == {("5801", "0102"), ("6001", "5801")}
    assert report.isolates_contiguity == ("6001", "5801")
    assert report.n_components == 1 and report.component_sizes == (6,)
    assert "added 2 links" in str(report)


def test_policy_returns_a_new_graph(archipelago):
    base, _ = build_weights(archipelago, island_policy="none")
    before = base.adjacency.copy()
    linked, added = link_isolates_knn(base, archipelago.geometry, k=2)
    assert base.adjacency.equals(before)
    assert len(added) >= 2 and len(linked.isolates) == 0


def test_refusals(archipelago):
    with pytest.raises(StatisticsError, match="contiguity needs to be 'queen' or 'rook'; 'bishop'"):
        build_weights(archipelago, contiguity="bishop")
    base, _ = build_weights(archipelago, island_policy="none")
    with pytest.raises(StatisticsError, match="needs a projected CRS"):
        link_isolates_knn(base, archipelago.geometry.to_crs(4326), k=1)
    with pytest.raises(StatisticsError, match="k needs to be at least 1"):
        link_isolates_knn(base, archipelago.geometry, k=0)
