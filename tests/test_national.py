"""End to end: the national table (pipelines/greece.yaml) on the real bundle, through the CLI."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest

from spatial_poverty.ingest.lctools import read_lctools_2001

from .conftest import CATALOGUE, pipeline_copy, run_cli

pytestmark = pytest.mark.slow

#: ELSTAT's national totals less Mount Athos (1,746 in 2021, 1,811 in 2011).
POP_2021 = 10_480_741
POP_2011 = 10_814_475
#: raw_census.xls country totals less Mount Athos (2001: 1,961; 1991: 1,415).
POP_2001 = 10_934_097 - 1_961
POP_1991 = 10_223_392 - 1_415
RTOL = 1e-12

NATIONAL_IDS = [
    "elstat_2021_municipalities",
    "elstat_2021_population",
    "elstat_2021_communities_population",
    "elstat_2011_census_population_1991_2011",
    "elstat_2011_urban_mountain_area",
    "lctools_gr_municipalities_2001",
    "geodata_kallikratis_2011_municipalities",
    "elstat_lfs_annual_nuts2_population_status",
    "eurostat_tgs00026_disposable_income_nuts2",
    "eurostat_ilc_peps11_el_2003_2020",
]


@pytest.fixture(scope="session")
def national_raw(bundle: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    from spatial_poverty.ingest import load_catalogue, sync

    raw = tmp_path_factory.mktemp("raw_national")
    sync(load_catalogue(CATALOGUE), bundle, raw, ids=NATIONAL_IDS)
    return raw


@pytest.fixture(scope="session")
def greece_run(national_raw: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    work = tmp_path_factory.mktemp("greece")
    cfg = pipeline_copy("greece", national_raw, work / "processed", work)
    proc = run_cli("run", str(cfg))
    assert proc.returncode == 0, proc.stderr
    return work / "processed" / "greece"


@pytest.fixture(scope="session")
def layer(greece_run: Path) -> gpd.GeoDataFrame:
    return gpd.read_file(greece_run / "greece.gpkg", layer="municipalities").set_index("code")


@pytest.fixture(scope="session")
def lctools(bundle: Path) -> gpd.GeoDataFrame:
    return read_lctools_2001(bundle / "lctools_2001" / "GR_Municipalities_lctools.gpkg")


def test_332_municipalities_with_elstat_totals(layer):
    assert len(layer) == 332
    assert "9901" not in layer.index
    assert int(layer["pop_2021"].sum()) == POP_2021
    assert int(layer["pop_2011"].sum()) == POP_2011
    assert layer.index.str.fullmatch(r"\d{4}").all()
    assert layer.crs.to_epsg() == 2100


def test_hot_spots_of_deprivation_in_the_national_run(greece_run):
    """Issue 15: the Greece pipeline analyses the deprivation index (no access stage: no bivariate layer)."""
    import pyogrio

    names = {str(n) for n in pyogrio.list_layers(greece_run / "greece.gpkg")[:, 0]}
    assert {"lisa_deprivation_index", "gistar_deprivation_index", "lisa_unemp_2001"} <= names
    assert not any(n.startswith("bilisa_") for n in names)
    lisa = gpd.read_file(greece_run / "greece.gpkg", layer="lisa_deprivation_index")
    assert len(lisa) == 332 and (lisa.loc[lisa["significant"].astype(bool), "q_sim"] <= 0.05).all()


def test_population_1991_2001_preserved(layer):
    # The 2011 municipalities' totals (country less Mount Athos) land on 2021 units exactly.
    assert int(layer["pop_2001"].sum()) == POP_2001
    assert int(layer["pop_1991"].sum()) == POP_1991
    # Velventos = the 2011 municipal unit of Velvento (raw_census.xls row 140402); Servia-Velvento adds up.
    assert (layer.loc["1402", "pop_2001"], layer.loc["1402", "pop_1991"]) == (3_549, 3_710)
    assert layer.loc["1402", "pop_2001"] + layer.loc["1405", "pop_2001"] == 16_734


def test_fields_present(layer):
    for col in (
        "density",
        "pop_1991",
        "pop_2001",
        "urban_rural_2011",
        "urban_pop_share_2011",
        "mountain_2011",
        "unemp_2001",
        "unemp_2001_m",
        "unemp_2001_f",
        "primary_2001",
        "foreign_2001",
        "income_2001",
    ):
        assert col in layer.columns, col
        assert layer[col].notna().all(), col
    assert set(layer["mountain_2011"]) <= {"Π", "Η", "Ο"}
    assert set(layer["urban_rural_2011"]) <= {1, 2}


def test_renumbering_trap(layer, lctools):
    # 2021 1402 (Velventos) came from 2011 1404 (Servia-Velvento); 2021 1403 (Voio) is 2011 1402 (Voio).
    assert "ΒΕΛΒΕΝΤΟΥ" in layer.loc["1402", "name_el"] and "ΒΟΪΟΥ" in layer.loc["1403", "name_el"]
    for col in ("unemp_2001", "unemp_2001_m", "unemp_2001_f", "primary_2001", "foreign_2001", "income_2001"):
        assert layer.loc["1402", col] == pytest.approx(lctools.loc["1404", col], rel=RTOL)
        assert layer.loc["1403", col] == pytest.approx(lctools.loc["1402", col], rel=RTOL)
        assert layer.loc["1402", col] != pytest.approx(lctools.loc["1402", col], rel=1e-6)


@pytest.mark.parametrize(
    ("parent", "children"),
    [
        ("3201", ["3201", "3202", "3203"]),  # Corfu
        ("3501", ["3501", "3502", "3503"]),  # Kefalonia
        ("5301", ["5301", "5302"]),  # Lesvos
        ("5601", ["5601", "5602"]),  # Samos
        ("1404", ["1402", "1405"]),  # Servia-Velvento
    ],
)
def test_split_units_carry_parent_rates(layer, lctools, parent, children):
    for col in ("unemp_2001", "unemp_2001_f", "primary_2001", "foreign_2001", "income_2001"):
        for child in children:
            assert layer.loc[child, col] == pytest.approx(lctools.loc[parent, col], rel=RTOL), (child, col)


def test_code_crosswalk_layer(greece_run, layer):
    cw = gpd.read_file(greece_run / "greece.gpkg", layer="code_crosswalk")
    for col in ("elstat_2011", "elstat_2021", "ypes_2011", "pop_share"):
        assert col in cw.columns
    assert cw["elstat_2011"].nunique() == 325 and cw["elstat_2021"].nunique() == 332
    assert cw.groupby("elstat_2011")["pop_share"].sum().to_numpy() == pytest.approx(1.0, abs=1e-12)
    assert cw["ypes_2011"].str.fullmatch(r"9\d{3}").all()
    kids = cw[cw["elstat_2011"] == "1404"].set_index("elstat_2021")
    assert sorted(kids.index) == ["1402", "1405"]
    assert kids.loc["1402", "pop_2011_part"] == layer.loc["1402", "pop_2011"] == 3448
    # Every 2021 unit's 2011 population equals ELSTAT's own re-aggregation (dimdata.json).
    parts = cw.groupby("elstat_2021")["pop_2011_part"].sum()
    assert (parts.reindex(layer.index) == layer["pop_2011"]).all()
    assert cw.loc[cw["elstat_2021"] == "1403", "elstat_2011"].tolist() == ["1402"]


def test_quality_report_and_provenance(greece_run):
    with (greece_run / "quality.csv").open(encoding="utf-8-sig") as f:
        rows = list(csv.DictReader(f))
    assert any("9901" in r["unmatched"] and "Athos" in r["unmatched"] for r in rows)
    assert any(r["source"] == "elstat_2021/koindata.json" and r["suppressed"] == "1" for r in rows)
    log = (greece_run / "run.log").read_text(encoding="utf-8")
    assert "data quality:" in log and "left out 9901" in log
    manifest = json.loads((greece_run / "manifest.json").read_text(encoding="utf-8"))
    fields = manifest["harmonisation"]["fields"]
    assert fields["unemp_2001"]["source"] == "lctools_gr_municipalities_2001"
    assert "carried" in fields["unemp_2001"]["method"]
    prov = pd.DataFrame(gpd.read_file(greece_run / "greece.gpkg", layer="field_provenance"))
    assert set(prov["field"]) >= {"pop_1991", "pop_2001", "unemp_2001", "mountain_2011"}


def test_regional_context(layer, greece_run):
    # Published values: ilc_peps11 2020 EL42 30.8 and EL30 23.2; tgs00026 2019 EL42 14,800 PPS;
    # LFS 2024 Notio Aigaio unemployment rate 9.80 % (STATUS-Regio).
    sa = layer.loc["5801"]  # Syros-Ermoupoli, South Aegean
    assert sa["nuts2"] == "EL42"
    assert (sa["arope_rate"], sa["arope_year"]) == (30.8, 2020)
    assert (sa["disp_income_pps"], sa["disp_income_year"]) == (14_800, 2019)
    assert sa["lfs_unemp_year"] == 2024 and sa["lfs_unemp_rate"] == pytest.approx(9.80, abs=0.005)
    assert layer.loc["4601", "arope_rate"] == 23.2 and layer.loc["4601", "nuts2"] == "EL30"
    assert layer["nuts2"].nunique() == 13 and layer["arope_rate"].notna().all()
    prov = pd.DataFrame(gpd.read_file(greece_run / "greece.gpkg", layer="field_provenance")).set_index("field")
    assert prov.loc["arope_rate", "source"] == "eurostat_ilc_peps11_el_2003_2020"
    assert "Eurostat" in prov.loc["disp_income_pps", "attribution"]


def test_crosswalk_ypes_codes_agree_with_the_ministry_list(greece_run, bundle):
    from spatial_poverty.harmonise.names import normalise_name
    from spatial_poverty.ingest.ypes import read_ypes_communities

    ypes = read_ypes_communities(bundle / "ypes_kallikratis_2011" / "kallikraths_kwdikologio1_31_5_11.xlsx")
    assert (len(ypes), ypes["municipality"].nunique(), ypes["municipal_unit"].nunique()) == (6160, 325, 1034)
    names = ypes.groupby("municipality")["municipality_name"].first()
    cw = gpd.read_file(greece_run / "greece.gpkg", layer="code_crosswalk").drop_duplicates("elstat_2011")
    assert set(cw["ypes_2011"]) == set(names.index)
    same = cw.apply(lambda r: normalise_name(r["name_2011"]) == normalise_name(names[r["ypes_2011"]]), axis=1)
    # The crosswalk's YPES codes come from boundary overlap; the Ministry's names confirm them. The few
    # that differ are spelling variants (e.g. 'ΠΕΤΡΟΥΠΟΛΕΩΣ' / 'ΠΕΤΡΟΥΠΟΛΗΣ'), listed here if that changes.
    assert same.mean() > 0.95, cw.loc[~same, ["elstat_2011", "ypes_2011", "name_2011"]].to_string()
    assert names[cw.set_index("elstat_2011").loc["1404", "ypes_2011"]] == "ΣΕΡΒΙΩΝ-ΒΕΛΒΕΝΤΟΥ"


def test_raw_inputs_unchanged_by_the_run(greece_run, national_raw):
    from spatial_poverty.ingest import load_catalogue, verify

    # The run read these files; their checksums are still the catalogue's, and they are still read-only.
    checksums = verify(load_catalogue(CATALOGUE), national_raw, NATIONAL_IDS)
    assert len(checksums) == len(NATIONAL_IDS)
    assert not any(p.stat().st_mode & 0o222 for p in national_raw.rglob("*") if p.is_file())
