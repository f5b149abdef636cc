"""Access to services on the South Aegean run (issue 8): every settlement has a nearest-service time, settlements
on islands without a service need a ferry, and ``municipal_access`` covers the 34 municipalities."""

from __future__ import annotations

import json
from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest

from spatial_poverty.access import assign_land_mass, land_masses
from spatial_poverty.ingest.settlements import read_settlements_2021

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def run(south_aegean_run: Path) -> dict[str, object]:
    gpkg = south_aegean_run / "south_aegean.gpkg"
    return {
        "folder": south_aegean_run,
        "municipalities": gpd.read_file(gpkg, layer="municipalities").set_index("code"),
        "services": gpd.read_file(gpkg, layer="services").set_index("service_id"),
        "settlements": gpd.read_file(gpkg, layer="settlement_access").set_index("settlement"),
        "municipal": gpd.read_file(gpkg, layer="municipal_access").set_index("code"),
        "manifest": json.loads((south_aegean_run / "manifest.json").read_text(encoding="utf-8")),
    }


def test_every_settlement_has_a_nearest_service_time(run: dict, bundle: Path) -> None:
    s = run["settlements"]
    munis = run["municipalities"]
    every = read_settlements_2021(bundle / "elstat_2021" / "oikismoi-transformed-array.json")
    expected = sorted(every.index[every["municipality"].isin(munis.index)])
    assert sorted(s.index) == expected  # all ELSTAT settlement points of the 34 municipalities
    assert len(s) == 962
    t = s["nearest_service_min"].to_numpy(dtype=float)
    assert np.isfinite(t).all() and (t >= 0).all()
    assert s["nearest_service_id"].notna().all()
    assert s["nearest_service_id"].isin(run["services"].index).all()
    assert int(s["pop_2021"].sum()) == int(munis["pop_2021"].sum())
    assert run["manifest"]["access"]["settlements_unreachable"] == 0


def test_settlements_on_islands_without_a_service_need_a_ferry(run: dict) -> None:
    s, svc, munis = run["settlements"], run["services"], run["municipalities"]
    active = svc[svc["duplicate_of"].fillna("") == ""]
    # Islands found again, independently of the run, from the published polygons.
    masses = land_masses(munis)
    s_mass = assign_land_mass(s.geometry, masses).astype("float64").to_numpy()
    served = sorted(set(assign_land_mass(active.geometry, masses).dropna().astype(int)))
    assert not np.isnan(s_mass).any()
    on_unserved = ~np.isin(s_mass, served)
    assert on_unserved.sum() > 0
    assert s["needs_ferry"].to_numpy()[on_unserved].all()
    # A ferry crossing waits half a 24-hour headway: no settlement on a served island takes one.
    on_served = np.isin(s_mass, served)
    assert not s["needs_ferry"].to_numpy()[on_served].any()
    assert int(s["needs_ferry"].sum()) == run["manifest"]["access"]["settlements_needs_ferry"]
    # The nearest service of a ferry settlement is on another island.
    ferry = s[s["needs_ferry"]]
    svc_mass = assign_land_mass(active.geometry, masses).astype("float64")
    own = assign_land_mass(ferry.geometry, masses).astype("float64").to_numpy()
    theirs = svc_mass.reindex(ferry["nearest_service_id"]).to_numpy()
    assert (own != theirs).all()


def test_municipal_access_covers_the_34_municipalities(run: dict) -> None:
    m, munis = run["municipal"], run["municipalities"]
    assert len(m) == 34
    assert sorted(m.index) == sorted(munis.index)
    for col in ("share_within_15min", "share_within_30min", "share_within_60min", "needs_ferry_share"):
        assert m[col].between(0, 1).all(), col
    assert (m["share_within_15min"] <= m["share_within_30min"]).all()
    assert (m["share_within_30min"] <= m["share_within_60min"]).all()
    assert (m["e2sfca"] >= 0).all() and m["nearest_min_mean"].notna().all()
    assert m["desert_class"].str.fullmatch(r"[1-3]-[1-3]").all()
    assert sorted(m.index[m["desert"]]) == run["manifest"]["access"]["deserts"]
    # A municipality with no service of its own reaches one only by ferry.
    none = m.index[m["services_n"] == 0]
    assert len(none) > 0 and (m.loc[none, "needs_ferry_share"] == 1).all()


def test_services_are_labelled_openstreetmap_with_odbl(run: dict) -> None:
    folder = run["folder"]
    svc = run["services"]
    assert (svc["source"] == "osm_greece_2019_points").all()
    assert (svc["precision"] == "exact").all()
    a = run["manifest"]["access"]
    assert a["services"]["source"] == "openstreetmap"
    assert a["services"]["services"] == len(svc)
    assert "ODbL" in a["attribution"]
    assert any("ODbL" in i["attribution"] for i in run["manifest"]["inputs"])
    page = (folder / "map.html").read_text(encoding="utf-8")
    assert "OpenStreetMap" in page and "ODbL" in page and "sp-svc-type" in page
    assert 'id="access"' in (folder / "report.html").read_text(encoding="utf-8")
    assert (folder / "services_issues.csv").is_file()


def test_access_stage_with_a_registry(bundle: Path, tmp_path: Path) -> None:
    """A small registry (built here, labelled: not real services) through the stage on the South Aegean."""
    from spatial_poverty.ingest import join_boundaries_population, select_area
    from spatial_poverty.ingest.elstat2021 import read_municipal_boundaries, read_population
    from spatial_poverty.pipeline.config import AccessOptions, Sources
    from spatial_poverty.services.stage import run_access

    b = read_municipal_boundaries(bundle / "elstat_2021" / "DHMOI_2021.zip")
    m = select_area(
        join_boundaries_population(b, read_population(bundle / "elstat_2021" / "dimdata.json")), nuts2=["EL42"]
    )
    reg = tmp_path / "services.csv"
    reg.write_text(
        "service_id;name;type;code;settlement;lat;lon\n"
        "KK-1;Κέντρο Κοινότητας Σύρου;Κέντρο Κοινότητας;5801;;37,4445;24,9410\n"
        "KK-2;Κέντρο Κοινότητας Νάξου;community_centre;6702;Νάξος;;\n"
        "KEP-1;ΚΕΠ Άνω Σύρου;ΚΕΠ;5801;Άνω Σύρος;;\n"
        "KEP-2;ΚΕΠ Πουθενά;kep;5801;Ατλαντίς;;\n",
        encoding="utf-8",
    )
    paths = {
        "settlements_2021": bundle / "elstat_2021" / "oikismoi-transformed-array.json",
        "communities_2021": bundle / "elstat_2021" / "koindata.json",
        "osm_points": bundle / "osm_greece_2019" / "greece.sqlite.zip",
        "marnet_nodes": bundle / "marnet_sea_routes" / "marnet_greece_nodes.csv",
        "marnet_edges": bundle / "marnet_sea_routes" / "marnet_greece_edges.csv",
        "census_2011": bundle / "elstat_2011" / "raw_census.xls",  # weights the demand: islets get nobody
    }
    opts = AccessOptions.model_validate({"registry": str(reg), "travel": {"max_port_snap_km": 20}})
    stage = run_access(opts, sources=Sources(), paths=paths, municipalities=m, boundaries=b, resolve=lambda p: Path(p))
    svc = stage.layers["services"]
    assert svc["precision"].to_dict() == {"KK-1": "exact", "KK-2": "settlement", "KEP-1": "settlement"}
    assert stage.issues[["kind", "service_id"]].values.tolist() == [["unplaced", "KEP-2"]]
    s = stage.layers["settlement_access"]
    assert np.isfinite(s["nearest_service_min"]).all()
    # Only Syros and Naxos have a service: every other island's settlements need a ferry.
    on_syros_or_naxos = s["code"].isin(["5801", "6702"])
    assert s.loc[~on_syros_or_naxos, "needs_ferry"].all()
    assert not s.loc[(s["code"] == "5801") & (s["pop_2021"] > 0), "needs_ferry"].any()  # islets: nobody
    assert {"nearest_community_centre_min", "nearest_kep_min"} <= set(s.columns)
    assert len(stage.layers["municipal_access"]) == 34 and "desert_class" not in stage.layers["municipal_access"]
