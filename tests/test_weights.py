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


# --- weights specs: knn, distance, kernel, links, policies, GAL/GWT -----------------------------------------------


def test_knn_weights_are_symmetrised(archipelago):
    from spatial_poverty.stats import WeightsSpec

    g, report = build_weights(archipelago, WeightsSpec(kind="knn", k=1, island_policy="none"))
    assert g.asymmetry().empty
    assert report.kind == "knn" and report.parameters == {"k": 1}
    # 0101's nearest is one of its neighbours; 6001's nearest is 5801, so 5801 gains 6001 by symmetrisation.
    assert "6001" in g.neighbors["5801"]
    assert report.symmetrised >= 1


def test_distance_band_and_kernel(archipelago):
    from spatial_poverty.stats import WeightsSpec

    g, report = build_weights(archipelago, WeightsSpec(kind="distance", threshold=1500, island_policy="none"))
    assert set(report.isolates) == {"5801", "6001"}
    assert set(g.neighbors["0101"]) == {"0102", "0103", "0104"}  # diagonal centroid distance 1414 m
    kg, kreport = build_weights(archipelago, WeightsSpec(kind="kernel", bandwidth=5000, island_policy="none"))
    assert kg.asymmetry().empty and kreport.parameters["kernel"] == "triangular"
    w = kg.adjacency
    assert 0 < w[("0101", "0102")] < 1  # a kernel weight, not binary
    with pytest.raises(StatisticsError, match="the 'knn' island policy adds binary links"):
        build_weights(archipelago, WeightsSpec(kind="kernel", bandwidth=5000, island_policy="knn"))


def test_links_file_policy(archipelago, tmp_path):
    from spatial_poverty.stats import WeightsSpec

    links = tmp_path / "ferries.csv"
    links.write_text(
        "code_from,code_to,minutes,sailings_per_week\n5801,0102,95,14\n6001,5801,240,3\n", encoding="utf-8"
    )
    g, report = build_weights(archipelago, WeightsSpec(kind="queen", island_policy="links", links_file=links))
    assert report.isolates == () and report.n_components == 1
    assert set(report.links_added) == {("5801", "0102"), ("6001", "5801")}
    assert "0102" in g.neighbors["5801"] and "5801" in g.neighbors["0102"]
    _only, r2 = build_weights(archipelago, WeightsSpec(kind="links", links_file=links, island_policy="none"))
    assert set(r2.isolates) == {"0101", "0103", "0104"}


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("code_from,code_to\n5801,9999\n", r"ferries.csv: row 1, column code_to: code '9999' is not one of the units"),
        ("code_from,code_to\n101,5801\n", r"row 1, column code_from: code '101' .*lost its leading zero"),
        ("code_from,code_to,minutes\n5801,0102,ninety\n", r"row 1, column minutes: 'ninety' is not a number"),
        ("from,to\n5801,0102\n", r"needs columns code_from, code_to .* missing \['code_from', 'code_to'\]"),
        ("code_from,code_to\n5801,5801\n", r"row 1: a link from '5801' to itself"),
    ],
)
def test_links_file_errors(archipelago, tmp_path, text, message):
    from spatial_poverty.errors import IngestError
    from spatial_poverty.stats import WeightsSpec

    links = tmp_path / "ferries.csv"
    links.write_text(text, encoding="utf-8")
    with pytest.raises(IngestError, match=message):
        build_weights(archipelago, WeightsSpec(island_policy="links", links_file=links))


def test_components_policy_keeps_the_graph(archipelago):
    from spatial_poverty.stats import WeightsSpec

    _g, report = build_weights(archipelago, WeightsSpec(island_policy="components"))
    assert report.links_added == () and report.n_components == 3 and report.component_sizes == (4, 1, 1)
    assert "island policy 'components'" in str(report)


@pytest.mark.parametrize("policy", ["knn", "none"])
@pytest.mark.parametrize("ext", ["gal", "gwt"])
def test_gal_gwt_round_trip(archipelago, tmp_path, ext, policy):
    from spatial_poverty.stats import read_weights_file, write_weights

    g, _ = build_weights(archipelago, island_policy=policy, k=1)  # "none": two isolates, leading-zero codes
    path = write_weights(g, tmp_path / f"w.{ext}")
    back = read_weights_file(path, archipelago.index)
    assert list(back.unique_ids) == list(archipelago.index)
    assert back.adjacency.sort_index().equals(g.adjacency.sort_index())


def test_weights_file_ids_must_match(archipelago, tmp_path):
    from spatial_poverty.errors import IngestError
    from spatial_poverty.stats import read_weights_file, write_weights

    g, _ = build_weights(archipelago, island_policy="knn", k=1)
    path = write_weights(g, tmp_path / "w.gal")
    other = archipelago.rename(index={"0101": "0199"})
    with pytest.raises(IngestError, match=r"in the file only \['0101'\], in the data only \['0199'\]"):
        read_weights_file(path, other.index)
    with pytest.raises(IngestError, match=r"needs the extension \.gal or \.gwt; '\.txt'"):
        read_weights_file(tmp_path / "w.txt", archipelago.index)


def test_spec_parse():
    from spatial_poverty.stats import WeightsSpec

    assert WeightsSpec.parse("knn:5").k == 5
    assert WeightsSpec.parse("distance:12000").threshold == 12000.0
    assert WeightsSpec.parse("rook").kind == "rook"
    with pytest.raises(StatisticsError, match="weights need to be queen, rook, knn:K"):
        WeightsSpec.parse("knn:five")
