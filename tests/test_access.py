"""Access across ferries: land masses, travel times, nearest services, E2SFCA, equity, service deserts.

The fixture (built here, labelled "fixture", not real data): three square islands in the Aegean at lon 25-26,
their ports on their south coasts, a tiny sea-route network with decoy edges, two services. Every point lies on
one of the meridians 25.2 or 25.7, so a land distance is R x (difference of latitude in radians) and every
expected number below is written out by hand from the formulas of docs/access.md.
"""

from __future__ import annotations

import math
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from pyproj import Transformer
from shapely.geometry import Point, box

from spatial_poverty.access import (
    TravelModel,
    TravelParams,
    aggregate,
    assign_land_mass,
    desert_class,
    e2sfca,
    gini,
    land_masses,
    nearest_by_type,
    population_within,
    read_ferry_links,
    theil,
)
from spatial_poverty.errors import ConfigError, IngestError, StatisticsError

ATOL = 1e-6  # minutes; float64 arithmetic only
R_KM = 6371.0088
#: Minutes by land for 0.1 degree of latitude at the defaults (detour 1.3, 40 km/h).
U = 60 * 1.3 * R_KM * math.radians(0.1) / 40
WAIT_DEFAULT = 24 * 60 / 2  # half the default headway of 24 h
DWELL = 30.0
NM_MIN = 60 / 15  # minutes per nautical mile at 15 knots


def fixture_boundaries() -> gpd.GeoDataFrame:
    """Fixture: island A (two municipalities), island B, island C (smallest)."""
    return gpd.GeoDataFrame(
        {"name_el": ["Α νότια", "Α βόρεια", "Β", "Γ"]},
        geometry=[
            box(25.0, 37.0, 25.3, 37.15),
            box(25.0, 37.15, 25.3, 37.3),
            box(25.6, 37.0, 25.8, 37.3),
            box(25.0, 37.5, 25.3, 37.65),
        ],
        index=pd.Index(["9001", "9002", "9003", "9004"], name="code"),
        crs="EPSG:4326",
    ).to_crs("EPSG:2100")


def fixture_ports() -> gpd.GeoDataFrame:
    """Fixture: a port on the south coast of each island, and one on the Turkish coast (off every land mass)."""
    return gpd.GeoDataFrame(
        {"name": ["Λιμάνι Α", "Port B", None, "Çeşme"], "name_en": ["Port A", "Port B", None, "Cesme"]},
        geometry=[Point(25.2, 37.0), Point(25.7, 37.0), Point(25.2, 37.5), Point(26.3, 38.3)],
        index=pd.Index([101, 102, 103, 104], name="osm_id"),
        crs="EPSG:4326",
    )


def fixture_sea() -> tuple[gpd.GeoDataFrame, pd.DataFrame]:
    """Fixture network: A-M-B = 8 + 7 = 15 nm (decoy A-B 20), C-N-A = 5 + 9 = 14 nm, C to B via A = 29 nm."""
    xy = {1: (25.2, 37.0), 2: (25.45, 36.95), 3: (25.7, 37.0), 4: (25.2, 37.5), 5: (25.4, 37.4)}
    nodes = gpd.GeoDataFrame(
        geometry=[Point(*v) for v in xy.values()], index=pd.Index(list(xy), name="id"), crs="EPSG:4326"
    )
    edges = pd.DataFrame(
        [(1, 2, 8.0), (2, 3, 7.0), (1, 3, 20.0), (4, 5, 5.0), (5, 1, 9.0), (5, 3, 30.0)],
        columns=["from", "to", "length_nm"],
    )
    return nodes, edges


def fixture_settlements() -> gpd.GeoDataFrame:
    """Fixture: O1, O4, O5 on A; O2 on B; O3 on C (no service there)."""
    pts = {"O1": (25.2, 37.2), "O2": (25.7, 37.25), "O3": (25.2, 37.6), "O4": (25.2, 37.15), "O5": (25.2, 37.12)}
    return gpd.GeoDataFrame(
        {"population": [100.0, 50.0, 30.0, 200.0, 20.0]},
        geometry=[Point(*v) for v in pts.values()],
        index=pd.Index(list(pts), name="settlement"),
        crs="EPSG:4326",
    )


def fixture_services() -> gpd.GeoDataFrame:
    """Fixture: a pharmacy on A, a community centre on B."""
    return gpd.GeoDataFrame(
        {"type": ["pharmacy", "community_centre"], "capacity": [1.0, 1.0]},
        geometry=[Point(25.2, 37.1), Point(25.7, 37.2)],
        index=pd.Index(["SA", "SB"], name="service_id"),
        crs="EPSG:4326",
    )


def fixture_model(links: pd.DataFrame | None = None, **params: object) -> TravelModel:
    nodes, edges = fixture_sea()
    masses = land_masses(fixture_boundaries())
    return TravelModel(masses, fixture_ports(), nodes, edges, links=links, params=TravelParams(**params))  # type: ignore[arg-type]


def write_links(tmp_path: Path, text: str) -> Path:
    p = tmp_path / "links.csv"
    p.write_text(text, encoding="utf-8")
    return p


# ---------------------------------------------------------------- islands


def test_land_masses_found_from_geometry() -> None:
    masses = land_masses(fixture_boundaries())
    assert list(masses.index) == [0, 1, 2]
    assert masses.crs == "EPSG:2100"
    # A (two municipalities dissolved) is the largest: the "mainland" of this fixture
    assert masses["municipalities"].tolist() == ["9001,9002", "9003", "9004"]
    assert masses["is_mainland"].tolist() == [True, False, False]
    assert masses["area_km2"].iloc[0] > masses["area_km2"].iloc[1] > masses["area_km2"].iloc[2]


def test_assign_land_mass_inside_coast_and_far() -> None:
    masses = land_masses(fixture_boundaries())
    pts = gpd.GeoSeries(
        [Point(25.1, 37.1), Point(25.7, 37.1), Point(25.1, 36.9995), Point(25.45, 37.15)],
        index=["inside A", "inside B", "55 m off A", "mid-strait"],
        crs="EPSG:4326",
    )
    got = assign_land_mass(pts, masses, tolerance_m=1000)
    assert got.index.tolist() == pts.index.tolist()
    assert got.tolist()[:3] == [0, 1, 0]
    assert got.isna().tolist() == [False, False, False, True]
    assert assign_land_mass(pts, masses, tolerance_m=0).isna().tolist() == [False, False, True, True]


# ---------------------------------------------------------------- sea network


def test_ports_snapped_and_sea_shortest_path() -> None:
    model = fixture_model()
    assert model.ports.index.tolist() == [101, 102, 103]  # the Turkish terminal is off every land mass
    assert model.dropped_ports.index.tolist() == [104]
    assert model.ports["sea_node"].tolist() == [1, 3, 4]
    assert model.ports["mass_id"].tolist() == [0, 1, 2]
    np.testing.assert_allclose(model.ports["snap_nm"], 0.0, atol=1e-6)
    # A-B 8 + 7 (not the 20 nm decoy), A-C 9 + 5, B-C 7 + 8 + 9 + 5 (not 30 + 5)
    expected = np.array([[0, 15, 14], [15, 0, 29], [14, 29, 0]], dtype=float)
    np.testing.assert_allclose(model.sea_nm, expected, atol=1e-9)


def test_port_snap_distance_off_node() -> None:
    nodes, edges = fixture_sea()
    ports = fixture_ports().iloc[:3].copy()
    ports.loc[101, "geometry"] = Point(25.2, 37.01)  # on land A, about 1.11 km north of node 1
    model = TravelModel(land_masses(fixture_boundaries()), ports, nodes, edges)
    snap = model.ports.loc[101, "snap_nm"]
    # snapping is planar in EPSG:2100 (Transverse Mercator on GRS80: 0.01 degree of latitude is 1,109.5 m there)
    x, y = Transformer.from_crs("EPSG:4326", "EPSG:2100", always_xy=True).transform([25.2, 25.2], [37.0, 37.01])
    assert snap == pytest.approx(math.hypot(x[1] - x[0], y[1] - y[0]) / 1852, rel=1e-9)
    assert snap == pytest.approx(0.5991, abs=1e-4)
    assert model.sea_nm[0, 1] == pytest.approx(15 + snap, abs=1e-9)


def test_land_mass_without_port_is_unreachable_unless_virtual() -> None:
    nodes, edges = fixture_sea()
    ports = fixture_ports().drop(index=[103])
    masses = land_masses(fixture_boundaries())
    no_virtual = TravelModel(masses, ports, nodes, edges, params=TravelParams(virtual_ports=False))
    assert no_virtual.masses_without_port == [2]
    c = no_virtual.cost(fixture_settlements(), fixture_services())
    assert np.isinf(c.minutes[2]).all() and c.needs_ferry[2].all()
    virtual = TravelModel(masses, ports, nodes, edges)
    assert virtual.masses_without_port == []
    row = virtual.ports[virtual.ports["virtual"]]
    assert row.index.tolist() == [-3] and row["mass_id"].tolist() == [2] and row["sea_node"].tolist() == [4]


# ---------------------------------------------------------------- travel times and nearest services


def test_nearest_service_times_default_headway() -> None:
    model = fixture_model()
    services = fixture_services()
    cost = model.cost(fixture_settlements(), services, routes=True)
    sea_ab, sea_ac, sea_cb = 15 * NM_MIN, 14 * NM_MIN, 29 * NM_MIN
    leg = WAIT_DEFAULT + DWELL
    expected = np.array(
        [
            [1.0 * U, 2 * U + leg + sea_ab + 2 * U],  # O1 on A: pharmacy by land; centre via port A -> B
            [2.5 * U + leg + sea_ab + 1 * U, 0.5 * U],  # O2 on B
            [1 * U + leg + sea_ac + 1 * U, 1 * U + leg + sea_cb + 2 * U],  # O3 on C: both by ferry, direct
            [0.5 * U, 1.5 * U + leg + sea_ab + 2 * U],  # O4 on A
            [0.2 * U, 1.2 * U + leg + sea_ab + 2 * U],  # O5 on A
        ]
    )
    np.testing.assert_allclose(cost.minutes, expected, atol=ATOL)
    assert cost.needs_ferry.tolist() == [[False, True], [True, False], [True, True], [False, True], [False, True]]
    assert cost.origin_port is not None and cost.destination_port is not None
    assert cost.origin_port[0].tolist() == [-1, 101] and cost.destination_port[2].tolist() == [101, 102]
    near = nearest_by_type(cost, services["type"], services.index)
    assert near.index.tolist() == ["O1", "O2", "O3", "O4", "O5"]
    np.testing.assert_allclose(near["nearest_service_min"], expected.min(axis=1), atol=ATOL)
    assert near["nearest_service_id"].tolist() == ["SA", "SB", "SA", "SA", "SA"]
    # O3 is on an island without any service: its nearest service needs a ferry
    assert near["needs_ferry"].tolist() == [False, False, True, False, False]
    np.testing.assert_allclose(near["pharmacy_min"], expected[:, 0], atol=ATOL)
    assert near["community_centre_needs_ferry"].tolist() == [True, False, True, True, True]
    assert near["community_centre_id"].tolist() == ["SB"] * 5


def test_ferry_links_headway_and_transfer(tmp_path: Path) -> None:
    path = write_links(
        tmp_path,
        "port_a,port_b,sailings_per_week,season\n"
        "Port A,102,14,all\n"  # by English name and by OSM id: headway 720 min, wait 360
        "λιμάνι α,103,7,winter\n"  # Greek name without accent or case: headway 1440, wait 720
        "102,103,70,summer\n",  # not sailed in winter
    )
    links = read_ferry_links(path)
    assert links["row"].tolist() == [2, 3, 4]
    model = fixture_model(links)
    cost = model.cost(fixture_settlements(), fixture_services())
    ab = 360 + DWELL + 15 * NM_MIN
    ca = 720 + DWELL + 14 * NM_MIN
    assert cost.minutes[0, 1] == pytest.approx(2 * U + ab + 2 * U, abs=ATOL)
    # O3 on C reaches B only through A (a transfer: two waits, two dwells)
    assert cost.minutes[2, 1] == pytest.approx(1 * U + ca + ab + 2 * U, abs=ATOL)
    summer = fixture_model(links, season="summer")
    bc = 0.5 * 7 * 24 * 60 / 70 + DWELL + 29 * NM_MIN
    assert summer.cost(fixture_settlements(), fixture_services()).minutes[2, 1] == pytest.approx(
        1 * U + bc + 2 * U, abs=ATOL
    )
    only_ab = fixture_model(
        read_ferry_links(write_links(tmp_path, "port_a,port_b,sailings_per_week,season\n101,102,14,all\n"))
    )
    c = only_ab.cost(fixture_settlements(), fixture_services())
    assert np.isinf(c.minutes[2]).all() and c.needs_ferry[2].all()  # C has a port but no sailing
    assert c.route_kind().tolist() == [
        ["land", "sea"],
        ["sea", "land"],
        ["none", "none"],
        ["land", "sea"],
        ["land", "sea"],
    ]


def test_cost_blocks_equal_full_matrix() -> None:
    model = fixture_model()
    s, d = fixture_settlements(), fixture_services()
    full = model.cost(s, d)
    small = model.cost(s, d, max_cells=1)
    np.testing.assert_array_equal(full.minutes, small.minutes)
    blocks = list(model.cost_blocks(s, d, block_rows=2))
    assert [len(b.origin_index) for b in blocks] == [2, 2, 1]
    np.testing.assert_array_equal(np.vstack([b.minutes for b in blocks]), full.minutes)
    np.testing.assert_array_equal(np.vstack([b.needs_ferry for b in blocks]), full.needs_ferry)


def test_road_class_speed() -> None:
    model = fixture_model()
    s = fixture_settlements().iloc[[0]].assign(road_class="primary")
    d = fixture_services().iloc[[0]].assign(road_class=None)
    # half the trip at 60 km/h, half at the default 40 km/h
    expected = 60 * 1.3 * R_KM * math.radians(0.1) * 0.5 * (1 / 60 + 1 / 40)
    assert model.cost(s, d).minutes[0, 0] == pytest.approx(expected, abs=ATOL)
    with pytest.raises(IngestError, match=r"origins, column 'road_class': \['dirt'\]"):
        model.cost(s.assign(road_class="dirt"), d)


# ---------------------------------------------------------------- measures


def test_e2sfca_hand_computed_on_fixture() -> None:
    model = fixture_model()
    s, d = fixture_settlements(), fixture_services()
    got = e2sfca(model.cost(s, d), s["population"], d["capacity"])
    # O1-SA 1U = 21.7 min (weight 0.22), O4-SA 0.5U = 10.8 (0.68), O5-SA 0.2U = 4.3 (1.0), O2-SB 0.5U (0.68);
    # the ferry trips are beyond 30 minutes
    r_sa = 1 / (100 * 0.22 + 200 * 0.68 + 20 * 1.0)
    r_sb = 1 / (50 * 0.68)
    expected = pd.Series([0.22 * r_sa, 0.68 * r_sb, 0.0, 0.68 * r_sa, 1.0 * r_sa], index=s.index, name="e2sfca")
    pd.testing.assert_series_equal(got, expected, atol=1e-12, rtol=0)


def test_e2sfca_equals_access_package() -> None:
    access = pytest.importorskip("access")
    rng = np.random.default_rng(20260525)
    n_o, n_d = 40, 12
    minutes = rng.uniform(0, 45, size=(n_o, n_d))
    minutes[rng.uniform(size=minutes.shape) < 0.1] = np.inf
    pop = rng.integers(0, 500, size=n_o).astype(float)
    cap = rng.integers(1, 5, size=n_d).astype(float)
    ours = e2sfca(minutes, pop, cap)
    demand = pd.DataFrame({"pop": pop}, index=pd.Index(range(n_o), name="geoid"))
    supply = pd.DataFrame({"cap": cap}, index=pd.Index(range(100, 100 + n_d), name="geoid"))
    oo, dd = np.meshgrid(np.arange(n_o), np.arange(100, 100 + n_d), indexing="ij")
    finite = np.isfinite(minutes)
    cost = pd.DataFrame({"origin": oo[finite], "dest": dd[finite], "cost": minutes[finite]})
    acc = access.Access(
        demand_df=demand,
        demand_index=True,
        demand_value="pop",
        supply_df=supply,
        supply_index=True,
        supply_value="cap",
        cost_df=cost,
        cost_origin="origin",
        cost_dest="dest",
        cost_name="cost",
    )
    theirs = acc.enhanced_two_stage_fca(name="e2sfca", max_cost=30).iloc[:, 0]
    theirs = theirs.reindex(range(n_o)).fillna(0.0)
    np.testing.assert_allclose(ours.to_numpy(), theirs.to_numpy(), rtol=1e-12, atol=1e-15)
    # computing the weights in blocks of rows changes nothing
    np.testing.assert_allclose(e2sfca(minutes, pop, cap, max_cells=25).to_numpy(), ours.to_numpy(), rtol=1e-13)


def test_population_within_thresholds() -> None:
    model = fixture_model()
    s = fixture_settlements()
    cost = model.cost(s, fixture_services())
    per = population_within(cost, s["population"])
    # nearest: O1 21.7, O2 10.8, O3 ferry (> 60), O4 10.8, O5 4.3 minutes
    assert per["within_15"].tolist() == [False, True, False, True, True]
    assert per["within_30"].tolist() == [True, True, False, True, True]
    groups = pd.Series(["A", "B", "C", "A", "A"], index=s.index, name="code")
    agg = population_within(cost, s["population"], groups=groups)
    assert agg.index.name == "code"
    assert agg.loc["A", "pop_within_15"] == 220 and agg.loc["A", "share_within_15"] == pytest.approx(220 / 320)
    assert agg.loc["A", "share_within_30"] == 1.0 and agg.loc["C", "share_within_60"] == 0.0


def test_gini_theil_hand_computed() -> None:
    # mean absolute difference form: sum |xi - xj| over ordered pairs = 40, n = 5, mean 3 -> 40 / (2 * 25 * 3)
    assert gini([1, 2, 3, 4, 5]) == pytest.approx(40 / 150, abs=1e-12)
    # integer weights repeat values
    assert gini([1, 2, 5], [2, 1, 3]) == pytest.approx(gini([1, 1, 2, 5, 5, 5]), abs=1e-12)
    assert gini([3, 3, 3]) == 0.0
    assert gini([0, 0, 0, 10]) == pytest.approx(0.75, abs=1e-12)
    # Theil T of (1, 3): mean 2 -> (0.5 ln 0.5 + 1.5 ln 1.5) / 2
    assert theil([1, 3]) == pytest.approx((0.5 * math.log(0.5) + 1.5 * math.log(1.5)) / 2, abs=1e-12)
    assert theil([0, 0, 0, 10]) == pytest.approx(math.log(4), abs=1e-12)
    assert theil([1, 2, 5], [2, 1, 3]) == pytest.approx(theil([1, 1, 2, 5, 5, 5]), abs=1e-12)
    with pytest.raises(StatisticsError, match="finite"):
        gini([1.0, np.inf])


def test_desert_class_terciles() -> None:
    idx = pd.Index([f"{i:04d}" for i in range(1, 10)], name="code")
    dep = pd.Series([1, 2, 3, 4, 5, 6, 7, 8, 9], index=idx, dtype=float)
    acc = pd.Series([9, 8, 7, 6, 5, 4, 3, 2, 1], index=idx, dtype=float)
    out = desert_class(dep, acc.sample(frac=1, random_state=3))  # row order does not matter
    assert out.index.equals(idx)
    assert out["deprivation_tercile"].tolist() == [1, 1, 1, 2, 2, 2, 3, 3, 3]
    assert out["access_tercile"].tolist() == [3, 3, 3, 2, 2, 2, 1, 1, 1]
    assert out["bivariate_class"].tolist()[-1] == "3-1"
    assert out["service_desert"].tolist() == [False] * 6 + [True] * 3
    minutes = desert_class(dep, 10 - acc, access_higher_is_better=False)
    assert minutes["access_tercile"].tolist() == out["access_tercile"].tolist()


# ---------------------------------------------------------------- validation


def test_ferry_links_errors(tmp_path: Path) -> None:
    header = "port_a,port_b,sailings_per_week,season\n"
    with pytest.raises(IngestError, match=r"links.csv, row 3, column 'sailings_per_week': '3,5'"):
        read_ferry_links(write_links(tmp_path, header + '101,102,7,all\n101,103,"3,5",all\n'))
    with pytest.raises(IngestError, match=r"row 2, column 'season': 'spring'; expected one of"):
        read_ferry_links(write_links(tmp_path, header + "101,102,7,spring\n"))
    with pytest.raises(IngestError, match=r"column\(s\) \['season'\] are missing"):
        read_ferry_links(write_links(tmp_path, "port_a,port_b,sailings_per_week\n101,102,7\n"))
    links = read_ferry_links(write_links(tmp_path, header + "101,Atlantis,7,all\n"))
    with pytest.raises(IngestError, match=r"row 2, column 'port_b': 'Atlantis' is not a port of the model"):
        fixture_model(links)


def test_model_summary() -> None:
    assert fixture_model().summary() == {
        "land_masses": 3,
        "land_masses_1km2": 3,
        "ports": 3,
        "ports_virtual": 0,
        "terminals_dropped": 1,
        "land_masses_without_port": 0,
        "ferry_links": 0,
    }


def test_params_validated() -> None:
    assert TravelParams.from_mapping({"ship_speed_knots": 18}).ship_speed_knots == 18
    with pytest.raises(ConfigError, match=r"access.travel: unknown key\(s\) \['ship_speed'\]"):
        TravelParams.from_mapping({"ship_speed": 18}, source="access.travel")
    with pytest.raises(ConfigError, match=r"detour_factor needs to be >= 1; 0.5 was given instead"):
        TravelParams(detour_factor=0.5)
    with pytest.raises(ConfigError, match=r"season needs to be 'winter' or 'summer'"):
        TravelParams(season="spring")


def test_e2sfca_per_municipality_population_weighted() -> None:
    model = fixture_model()
    s, d = fixture_settlements(), fixture_services()
    a = e2sfca(model.cost(s, d), s["population"], d["capacity"])
    groups = pd.Series(["9001", "9003", "9004", "9002", "9001"], index=s.index)
    got = aggregate(a, s["population"], groups)
    r_sa = 1 / 178
    # 9001 holds O1 (100 people, 0.22 R_SA) and O5 (20 people, 1.0 R_SA)
    assert got.loc["9001"] == pytest.approx((100 * 0.22 * r_sa + 20 * r_sa) / 120, rel=1e-12)
    assert got.loc["9003"] == pytest.approx(0.68 / 34, rel=1e-12)
    assert got.loc["9004"] == 0.0
    assert got.index.tolist() == ["9001", "9002", "9003", "9004"]


def test_desert_class_missing_values_get_no_class() -> None:
    idx = pd.Index([f"{i:04d}" for i in range(1, 8)], name="code")
    dep = pd.Series([1, 2, 3, 4, 5, 6, np.nan], index=idx)
    acc = pd.Series([6, 5, 4, 3, 2, 1, 1], index=idx, dtype=float)
    out = desert_class(dep, acc)
    assert out.loc["0007", "bivariate_class"] is pd.NA and not out.loc["0007", "service_desert"]
    assert out["service_desert"].sum() == 2
    with pytest.raises(StatisticsError, match="same index"):
        desert_class(dep, acc.rename(lambda c: c + "x"))
