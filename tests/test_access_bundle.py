"""Access on the real South Aegean: land masses from the ELSTAT 2021 boundaries, OSM ferry terminals, MARNET.

Numbers measured with the default TravelParams (no ferry links file: a 24 h headway, so 720 min of expected
wait, 30 min dwell, 15 knots): Rhodes town to Pigadia (Karpathos) 1,081 min, of which 68.5 nm of sea
(274 min) between the ports the model picks; Rhodes town to Lindos 78 min by land. Every one of the 962
settlements of the region is on a land mass and has a finite time to its nearest OpenStreetMap service.
"""

from __future__ import annotations

import json
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest

from spatial_poverty.access import TravelModel, assign_land_mass, land_masses, nearest_by_type, read_ports
from spatial_poverty.ingest.elstat2021 import read_municipal_boundaries, read_population
from spatial_poverty.ingest.municipalities import join_boundaries_population, select_area
from spatial_poverty.ingest.services import read_marnet, read_osm_points

pytestmark = pytest.mark.bundle

SERVICE_TAGS = ["pharmacy", "doctors", "clinic", "hospital", "community_centre", "social_facility", "townhall"]
#: Town centres (WGS84) of the check below, from OpenStreetMap.
PLACES = {"Ρόδος": (28.2256, 36.4349), "Πηγάδια": (27.2136, 35.5068), "Λίνδος": (28.0853, 36.0917)}


@pytest.fixture(scope="module")
def south_aegean(bundle: Path) -> gpd.GeoDataFrame:
    b = read_municipal_boundaries(bundle / "elstat_2021" / "DHMOI_2021.zip")
    pop = read_population(bundle / "elstat_2021" / "dimdata.json")
    return select_area(join_boundaries_population(b, pop), nuts2=["EL42"])


@pytest.fixture(scope="module")
def model(bundle: Path, south_aegean: gpd.GeoDataFrame) -> TravelModel:
    return TravelModel.from_files(
        south_aegean,
        bundle / "osm_greece_2019" / "greece.sqlite.zip",
        bundle / "marnet_sea_routes" / "marnet_greece_nodes.csv",
        bundle / "marnet_sea_routes" / "marnet_greece_edges.csv",
    )


def places() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        geometry=gpd.points_from_xy([v[0] for v in PLACES.values()], [v[1] for v in PLACES.values()]),
        index=pd.Index(list(PLACES), name="place"),
        crs="EPSG:4326",
    )


def test_islands_of_the_south_aegean(model: TravelModel, south_aegean: gpd.GeoDataFrame) -> None:
    masses = model.masses
    assert len(south_aegean) == 34
    # every municipality is on some land mass; Rhodes (6901) is the largest, Karpathos (6201) another one
    codes = set(",".join(masses["municipalities"]).split(","))
    assert codes == set(south_aegean.index)
    assert masses.loc[0, "municipalities"] == "6901"
    assert masses.loc[0, "area_km2"] == pytest.approx(1409, abs=5)  # Rhodes is 1,401 km2 (generalised coast)
    assert (masses["area_km2"] >= 1).sum() >= 60  # the inhabited islands and the larger islets
    assert model.masses_without_port == []  # virtual ports where OSM has no terminal node
    assert not model.ports["virtual"].all()


def test_rhodes_karpathos_needs_a_ferry(model: TravelModel) -> None:
    pts = places()
    cost = model.cost(pts, pts, routes=True)
    minutes = pd.DataFrame(cost.minutes, index=pts.index, columns=pts.index)
    ferry = pd.DataFrame(cost.needs_ferry, index=pts.index, columns=pts.index)
    assert ferry.loc["Ρόδος", "Πηγάδια"] and ferry.loc["Πηγάδια", "Ρόδος"]
    assert not ferry.loc["Ρόδος", "Λίνδος"]
    # by land: 37.9 km great circle x 1.3 / 40 km/h = 74 min (the real drive is about an hour)
    assert 60 < minutes.loc["Ρόδος", "Λίνδος"] < 100
    assert np.isfinite(minutes.to_numpy()).all()
    assert cost.origin_port is not None and cost.destination_port is not None
    p = model.ports.index.get_indexer([cost.origin_port[0, 1], cost.destination_port[0, 1]])
    sea = model.sea_nm[p[0], p[1]]
    assert 55 < sea < 100  # Rhodes-Karpathos is 74 nm in a straight line between the towns
    wait_dwell = 24 * 60 / 2 + 30
    # no links file: the port-to-port time is one direct sailing
    assert model.port_minutes[p[0], p[1]] == pytest.approx(wait_dwell + sea * 60 / 15, abs=1e-6)
    assert wait_dwell + 55 * 4 < minutes.loc["Ρόδος", "Πηγάδια"] < wait_dwell + 100 * 4 + 120
    assert minutes.loc["Ρόδος", "Πηγάδια"] == pytest.approx(1081.1, abs=1.0)


def test_every_settlement_reaches_a_service(bundle: Path, model: TravelModel, south_aegean: gpd.GeoDataFrame) -> None:
    raw = json.loads((bundle / "elstat_2021" / "oikismoi-transformed-array.json").read_text(encoding="utf-8"))
    frame = pd.DataFrame([(r[0], r[1][0][0], r[1][0][1]) for r in raw], columns=["code", "lon", "lat"])
    frame = frame[frame["code"].str[:4].isin(south_aegean.index)].set_index("code")
    st = gpd.GeoDataFrame(frame, geometry=gpd.points_from_xy(frame["lon"], frame["lat"]), crs="EPSG:4326")
    assert len(st) == 962
    assert model.unplaced(st).empty
    sv = read_osm_points(bundle / "osm_greece_2019" / "greece.sqlite.zip", tags=[("amenity", v) for v in SERVICE_TAGS])
    sv_mass = assign_land_mass(sv, model.masses, tolerance_m=1000)
    sv = sv[sv_mass.notna()]
    assert 200 < len(sv) < 300  # 237 OSM service nodes on the islands of the region
    near = nearest_by_type(model.cost(st, sv), sv["value"], sv.index)
    assert np.isfinite(near["nearest_service_min"]).all()
    assert near["nearest_service_id"].notna().all()
    # settlements on islands without any service need a ferry; most settlements do not
    assert 0 < near["needs_ferry"].sum() < len(st) / 2  # 276 of 962
    # exactly the settlements on a land mass without any service need a ferry
    st_mass = assign_land_mass(st, model.masses)
    no_service = ~st_mass.isin(set(sv_mass.dropna())).astype(bool)
    pd.testing.assert_series_equal(near["needs_ferry"], no_service, check_names=False)
    assert near.loc[~near["needs_ferry"], "nearest_service_min"].max() < 240
    assert near.loc[near["needs_ferry"], "nearest_service_min"].min() > 24 * 60 / 2 + 30


def test_greek_land_masses_bridges_and_ferries(bundle: Path) -> None:
    """Whole country: bridged narrows join the mainland, ferry crossings do not (close_gaps_m = 100)."""
    masses = land_masses(read_municipal_boundaries(bundle / "elstat_2021" / "DHMOI_2021.zip"))
    towns = gpd.GeoSeries.from_xy(
        [23.7275, 23.5950, 20.7069, 23.4911, 25.1442, 22.3833],
        [37.9838, 38.4636, 38.8333, 37.9644, 35.3387, 37.9500],
        index=["Athens", "Chalkida (Euboea)", "Lefkada", "Salamina", "Heraklion (Crete)", "Corinth"],
        crs="EPSG:4326",
    )
    mass = assign_land_mass(towns, masses)
    assert mass["Athens"] == 0 and masses.loc[0, "is_mainland"]
    assert mass["Chalkida (Euboea)"] == 0 and mass["Lefkada"] == 0 and mass["Corinth"] == 0
    assert mass["Salamina"] != 0 and mass["Heraklion (Crete)"] not in (0, mass["Salamina"])
    assert masses.loc[0, "area_km2"] == pytest.approx(110_700, rel=0.01)  # mainland with Euboea and Lefkada


def test_piraeus_sea_distances(bundle: Path) -> None:
    """Whole country: sea distances between the ports the model picks match the bundle's stated ones.

    ``marnet_sea_routes/PROVENANCE.md``: about 80 nm Piraeus-Syros and 130 nm Piraeus-Santorini. Measured:
    81.6 and 130.6 nm; Piraeus to Ermoupoli 1,078 min door to door with the default 24 h headway.
    """
    masses = land_masses(read_municipal_boundaries(bundle / "elstat_2021" / "DHMOI_2021.zip"))
    nodes, edges = read_marnet(
        bundle / "marnet_sea_routes" / "marnet_greece_nodes.csv",
        bundle / "marnet_sea_routes" / "marnet_greece_edges.csv",
    )
    model = TravelModel(masses, read_ports(bundle / "osm_greece_2019" / "greece.sqlite.zip"), nodes, edges)
    towns = gpd.GeoDataFrame(
        geometry=gpd.points_from_xy([23.6470, 24.9411, 25.4315], [37.9420, 37.4446, 36.4167]),
        index=["Piraeus", "Ermoupoli", "Fira"],
        crs="EPSG:4326",
    )
    cost = model.cost(towns, towns, routes=True)
    assert cost.origin_port is not None and cost.destination_port is not None
    sea = {}
    for j, town in ((1, "Ermoupoli"), (2, "Fira")):
        p = model.ports.index.get_indexer([cost.origin_port[0, j], cost.destination_port[0, j]])
        assert model.ports["mass_id"].iloc[p[0]] == 0  # leaves from the mainland
        sea[town] = model.sea_nm[p[0], p[1]]
    assert sea["Ermoupoli"] == pytest.approx(80, abs=5)
    assert sea["Fira"] == pytest.approx(130, abs=5)
    assert cost.minutes[0, 1] == pytest.approx(1078, abs=5)
    assert cost.route_kind()[0].tolist() == ["land", "sea", "sea"]
