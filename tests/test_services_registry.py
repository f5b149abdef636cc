"""The services registry: validation, duplicates, placement by name, records that cannot be placed; demand.

Fixtures are small and built here (labelled): two square municipalities in EPSG:2100, a handful of settlement
points and communities with Greek names. They are not bundle data.
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import Point, box

from spatial_poverty.errors import IngestError
from spatial_poverty.services import Gazetteer, find_duplicates, osm_services, read_registry, service_type
from spatial_poverty.services.demand import settlement_demand, split_equally, split_weighted

HEADER = "service_id;name;type;code;operator;address;settlement;lat;lon;target_groups;capacity;opening_hours;contact"


@pytest.fixture
def world() -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame, pd.DataFrame]:
    """Fixture (built here): municipalities 5801 and 5802 (10 km squares), five settlements, four communities."""
    m = gpd.GeoDataFrame(
        {"name_el": ["ΔΗΜΟΣ ΑΛΦΑ", "ΔΗΜΟΣ ΒΗΤΑ"], "name_en": ["Alfa", "Vita"], "pop_2021": [1000, 300]},
        index=pd.Index(["5801", "5802"], name="code"),
        geometry=[box(600_000, 4_140_000, 610_000, 4_150_000), box(620_000, 4_140_000, 630_000, 4_150_000)],
        crs="EPSG:2100",
    )
    pts = [
        ("5801010101", "Χώρα", Point(602_000, 4_142_000)),
        ("5801010102", "Άγιος Νικόλαος", Point(604_000, 4_144_000)),
        ("5801010201", "Άγιος Νικόλαος", Point(608_000, 4_148_000)),  # same name, other community
        ("5801010202", "Πύργος", Point(609_000, 4_149_000)),
        ("5802010101", "Λιμάνι", Point(625_000, 4_145_000)),
    ]
    s = gpd.GeoDataFrame(
        {
            "community": [c[:8] for c, _, _ in pts],
            "municipality": [c[:4] for c, _, _ in pts],
            "name": [n for _, n, _ in pts],
            "names": [n for _, n, _ in pts],
        },
        index=pd.Index([c for c, _, _ in pts], name="settlement"),
        geometry=[g for _, _, g in pts],
        crs="EPSG:2100",
    ).to_crs("EPSG:4326")
    comm = pd.DataFrame(
        {
            "level": ["community"] * 3,
            "municipality": ["5801", "5801", "5802"],
            "name": ["Δημοτική Κοινότητα Χώρας", "Τοπική Κοινότητα Πύργου", "Τοπική Κοινότητα Λιμανιού"],
            "pop_2021": pd.array([700, 300, 300], dtype="Int64"),
        },
        index=pd.Index(["58010101", "58010102", "58020101"], name="code"),
    )
    return m, s, comm


def _write(tmp_path: Path, rows: list[str], *, encoding: str = "utf-8-sig", name: str = "reg.csv") -> Path:
    p = tmp_path / name
    p.write_bytes(("\n".join([HEADER, *rows]) + "\n").encode(encoding))
    return p


def _read(path: Path, world: tuple, **kw: object):  # type: ignore[no-untyped-def]
    m, s, comm = world
    return read_registry(path, gazetteer=Gazetteer(s, comm, m), municipalities=m, **kw)


def _lonlat(x: float, y: float) -> tuple[str, str]:
    p = gpd.GeoSeries([Point(x, y)], crs="EPSG:2100").to_crs("EPSG:4326").iloc[0]
    return f"{p.y:.6f}".replace(".", ","), f"{p.x:.6f}".replace(".", ",")


def test_types_from_keys_and_labels() -> None:
    assert service_type("Κέντρο Κοινότητας") == "community_centre"
    assert service_type("ΚΟΙΝΩΝΙΚΟ ΠΑΝΤΟΠΩΛΕΙΟ") == "social_grocery"
    assert service_type("Social pharmacy") == "social_pharmacy"
    assert service_type("ΚΑΠΗ") == "kapi"
    assert service_type("kep") == "kep"
    assert service_type("bakery") is None


def test_precision_of_every_placement(tmp_path: Path, world: tuple) -> None:
    lat, lon = _lonlat(601_000, 4_141_000)
    path = _write(
        tmp_path,
        [
            f"A1;Κέντρο Κοινότητας Άλφα;Κέντρο Κοινότητας;5801;Δήμος;Οδός 1;;{lat};{lon};"
            "άστεγοι|ηλικιωμένοι;40;9-15;2281",
            "A2;Παντοπωλείο Χώρας;social_grocery;5801;;;η Χώρα;;;;;;",  # settlement, article and accents
            "A3;ΚΕΠ Πύργου;kep;5801;;;ΠΥΡΓΟΥ;;;;;;",  # the community's name (genitive, as ELSTAT writes it)
            "A4;ΚΑΠΗ Βήτα;ΚΑΠΗ;5802;;;;;;;;;",  # nothing: the municipality's point
            "A5;Άγνωστο;other;5801;;;Ατλαντίδα;;;;;;",  # no such place: listed, not placed
            "A6;Διπλό όνομα;other;5801;;;Άγιος Νικόλαος;;;;;;",  # two settlements of that name: not guessed
            "B1;ΚΕΠ Λιμανιού;kep;5802;;;;;;;;;",
        ],
    )
    reg = _read(path, world)
    s = reg.services
    assert list(s.index) == ["A1", "A2", "A3", "A4", "B1"]
    assert s["precision"].to_dict() == {
        "A1": "exact",
        "A2": "settlement",
        "A3": "community",
        "A4": "municipality centroid",
        "B1": "municipality centroid",
    }
    assert s.crs == "EPSG:2100"
    assert s.loc["A1"].geometry.distance(Point(601_000, 4_141_000)) < 1.0
    assert s.loc["A2"].geometry.distance(Point(602_000, 4_142_000)) < 1.0  # Χώρα's point
    # community 58010102 (Πύργου): the mean of its two settlement points
    assert s.loc["A3"].geometry.distance(Point(608_500, 4_148_500)) < 1.0
    assert s.loc["A1", "capacity"] == 40 and s.loc["A1", "target_groups"] == "άστεγοι|ηλικιωμένοι"
    assert s.loc["A4", "type_el"].startswith("ΚΑΠΗ")
    un = reg.unplaced.set_index("service_id")
    assert list(un.index) == ["A5", "A6"]
    assert "Ατλαντίδα" in un.loc["A5", "reason"] and "row 6" in un.loc["A5", "where"]
    assert "2 settlements" in un.loc["A6", "reason"]
    assert reg.counts()["unplaced"] == 2


@pytest.mark.parametrize(
    ("row", "match"),
    [
        ("X1;Κάτι;bakery;5801;;;;;;;;;", r"row 2, column 'type': 'bakery' was given; expected one of"),
        ("X1;Κάτι;kep;581;;;;;;;;;", r"row 2, column 'code': '581' was given; expected a 4-digit"),
        ("X1;Κάτι;kep;9999;;;;;;;;;", r"row 2, column 'code': '9999' was given; expected a municipality of this run"),
        ("X1;Κάτι;kep;5801;;;;37.4445;24,94;;;;", r"row 2, column 'lat': .*'37.4445' was given instead"),
        ("X1;Κάτι;kep;5801;;;;37,4445;;;;;", r"row 2, columns 'lat'/'lon': only one of the two"),
        ("X1;Κάτι;kep;5801;;;;48,1;24,9;;;;", r"row 2, columns 'lat'/'lon': \(48.1, 24.9\) was given; expected"),
        ("X1;;kep;5801;;;;;;;;;", r"row 2, column 'name': empty"),
        ("X1;Κάτι;kep;5801;;;;;;;1,5;;", r"row 2, column 'capacity': .*'1,5' was given instead"),
    ],
)
def test_validation_errors_name_file_row_column_value(tmp_path: Path, world: tuple, row: str, match: str) -> None:
    path = _write(tmp_path, [row])
    with pytest.raises(IngestError, match=match) as exc:
        _read(path, world)
    assert str(path) in str(exc.value)


def test_every_problem_is_reported_at_once(tmp_path: Path, world: tuple) -> None:
    path = _write(tmp_path, ["X1;Α;kep;5801;;;;;;;;;", "X1;Β;bakery;5801;;;;;;;;;", "X3;Γ;kep;12;;;;;;;;;"])
    with pytest.raises(IngestError, match=r"3 problem\(s\)") as exc:
        _read(path, world)
    msg = str(exc.value)
    assert "'bakery'" in msg and "'12'" in msg and "'X1' appears more than once" in msg


def test_missing_column_and_point_in_the_wrong_municipality(tmp_path: Path, world: tuple) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text("service_id;name;code\nA;B;5801\n", encoding="utf-8")
    with pytest.raises(IngestError, match=r"column\(s\) \['type'\] are missing"):
        _read(bad, world)
    lat, lon = _lonlat(625_000, 4_145_000)  # inside 5802
    path = _write(tmp_path, [f"A1;Κάτι;kep;5801;;;;{lat};{lon};;;;"])
    with pytest.raises(IngestError, match=r"row 2, column 'code': '5801' was given but the point lies .* near 5802"):
        _read(path, world)
    with pytest.raises(IngestError, match=r"in 2011 the number 5801 denoted Παλιός"):
        _read(path, world, renumbered={"5801": "Παλιός Δήμος (now 5803)"})


def test_encoding_is_stated_not_guessed(tmp_path: Path, world: tuple) -> None:
    path = _write(tmp_path, ["A1;Κοινωνικό Φαρμακείο;Κοινωνικό Φαρμακείο;5801;;;Χώρα;;;;;;"], encoding="cp1253")
    reg = _read(path, world, encoding="cp1253")
    assert reg.services.loc["A1", "type"] == "social_pharmacy"
    with pytest.raises(IngestError, match="not utf-8-sig text"):
        _read(path, world)


def test_xlsx_registry_with_numbers_as_cells(tmp_path: Path, world: tuple) -> None:
    openpyxl = pytest.importorskip("openpyxl")
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "services"
    ws.append(HEADER.split(";"))
    p = gpd.GeoSeries([Point(603_000, 4_143_000)], crs="EPSG:2100").to_crs("EPSG:4326").iloc[0]
    ws.append(["A1", "ΚΕΠ Άλφα", "ΚΕΠ", 5801, None, None, None, p.y, p.x, None, 12, None, None])
    ws.append(["A2", "Ιατρείο", "doctor", "5802", None, None, "Λιμάνι", None, None, None, None, None, None])
    path = tmp_path / "reg.xlsx"
    wb.save(path)
    reg = _read(path, world, sheet="services")
    assert reg.services["code"].to_dict() == {"A1": "5801", "A2": "5802"}  # 5801 as a number: padded text
    assert reg.services["precision"].to_dict() == {"A1": "exact", "A2": "settlement"}
    assert reg.services.loc["A1", "capacity"] == 12
    ws.append(["A3", "Κάτι", "bakery", 5801])
    wb.save(path)
    with pytest.raises(IngestError, match=r"sheet 'services', row 4, column 'type': 'bakery'"):
        _read(path, world, sheet="services")


def test_duplicates_same_type_similar_name_close(tmp_path: Path, world: tuple) -> None:
    rows = []
    for sid, name, typ, dx in [
        ("D1", "Κοινωνικό Παντοπωλείο Χώρας", "social_grocery", 0),
        ("D2", "Κοινωνικο παντοπωλειο Χωρας", "social_grocery", 30),  # same, 30 m away
        ("D3", "Κοινωνικό Παντοπωλείο Χώρας", "social_grocery", 500),  # same name, 500 m: another branch
        ("D4", "Κοινωνικό Παντοπωλείο Χώρας", "kep", 10),  # another type
        ("D5", "Φαρμακείο Παπαδόπουλου", "social_grocery", 20),  # another name
    ]:
        lat, lon = _lonlat(602_000 + dx, 4_142_000)
        rows.append(f"{sid};{name};{typ};5801;;;;{lat};{lon};;;;")
    reg = _read(_write(tmp_path, rows), world)
    assert reg.duplicates[["service_id", "duplicate_of"]].values.tolist() == [["D2", "D1"]]
    assert reg.duplicates["distance_m"].iloc[0] == pytest.approx(30.0, abs=0.5)
    assert reg.services["duplicate_of"].to_dict() == {"D1": "", "D2": "D1", "D3": "", "D4": "", "D5": ""}
    # A larger radius joins the branch too; the input is not changed.
    before = reg.services.copy()
    _, pairs = find_duplicates(reg.services, distance_m=600)
    assert sorted(pairs["service_id"]) == ["D2", "D3"]
    pd.testing.assert_frame_equal(reg.services, before)


def test_osm_stand_in_drops_points_outside_greece(world: tuple) -> None:
    m, _, _ = world
    pts = gpd.GeoDataFrame(
        {
            "name": ["Φαρμακείο Α", None, "Δημαρχείο", "Apotheke", "Bakery"],
            "name_en": [None, "Clinic", None, None, None],
            "tag": ["amenity"] * 5,
            "value": ["pharmacy", "clinic", "townhall", "pharmacy", "bakery"],
            "population": [np.nan] * 5,
        },
        index=pd.Index([1, 2, 3, 4, 5], name="osm_id"),
        geometry=[
            Point(602_000, 4_142_000),
            Point(625_000, 4_145_000),
            Point(610_500, 4_145_000),  # 500 m offshore of 5801: kept
            Point(900_000, 4_600_000),  # far from every polygon: outside Greece
            Point(603_000, 4_143_000),  # not a service type
        ],
        crs="EPSG:2100",
    ).to_crs("EPSG:4326")
    reg = osm_services(pts, m, m)
    assert reg.dropped_outside == 1
    assert list(reg.services.index) == ["osm-1", "osm-2", "osm-3"]
    assert reg.services["type"].tolist() == ["pharmacy", "clinic", "town_hall"]
    assert reg.services["code"].tolist() == ["5801", "5802", "5801"]
    assert reg.services.loc["osm-2", "name"] == "Clinic"
    assert "OpenStreetMap" in reg.attribution and "ODbL" in reg.attribution
    assert reg.source == "openstreetmap"


def test_split_keeps_totals() -> None:
    assert split_equally(10, 3).tolist() == [4, 3, 3]
    assert split_weighted(10, np.array([1.0, 1.0, 1.0])).tolist() == [4, 3, 3]
    parts = split_weighted(1001, np.array([11407.0, 0.0, 94.0, 80.0]))
    assert parts.sum() == 1001 and parts[1] == 0


def test_demand_by_2011_settlement_share_else_equal(world: tuple) -> None:
    m, s, comm = world
    census = pd.DataFrame(
        {
            "level": [8, 8, 8],
            "code": ["5801010101", "5801010102", "5801010201"],
            "name": ["Χώρα,η", "Άγιος Νικόλαος,ο (νησίς)", "Άγιος Νικόλαος,ο"],
            "pop_2011": [600, 0, 30],
        }
    )
    d = settlement_demand(s, comm, m, census_2011=census)
    assert d["pop_2021"].to_dict() == {
        "5801010101": 700,  # all of community 58010101 (its islet had nobody in 2011)
        "5801010102": 0,
        "5801010201": 300,  # 58010102: only this one found in 2011
        "5801010202": 0,
        "5802010101": 300,  # not in 2011: shared equally (one settlement)
    }
    assert d.loc["5802010101", "pop_method"] == "equal share of community"
    assert d.loc["5801010101", "pop_method"] == "2011 settlement share of community"
    assert d.groupby("code")["pop_2021"].sum().to_dict() == {"5801": 1000, "5802": 300}
    eq = settlement_demand(s, comm, m)
    assert eq.loc[["5801010201", "5801010202"], "pop_2021"].tolist() == [150, 150]
    bad = m.assign(pop_2021=[999, 300])
    with pytest.raises(IngestError, match="do not add up"):
        settlement_demand(s, comm, bad)


def test_unnamed_points_are_duplicates_only_when_almost_on_top() -> None:
    """OpenStreetMap points without a name (placeholder "<type> (OSM <id>)"): only within 25 m."""
    s = gpd.GeoDataFrame(
        {
            "name": ["Φαρμακείο (OSM 1)", "Φαρμακείο (OSM 2)", "Φαρμακείο (OSM 3)"],
            "type": ["pharmacy"] * 3,
            "duplicate_of": [""] * 3,
        },
        index=pd.Index(["osm-1", "osm-2", "osm-3"], name="service_id"),
        geometry=[Point(0, 0), Point(10, 0), Point(70, 0)],
        crs="EPSG:2100",
    )
    out, pairs = find_duplicates(s, distance_m=100)
    assert pairs[["service_id", "duplicate_of"]].values.tolist() == [["osm-2", "osm-1"]]
    assert out["duplicate_of"].tolist() == ["", "osm-1", ""]
