"""The readers of the last four bundle sources: GISCO NUTS boundaries, NUTS code history, LAU -> NUTS table, and
two ELSTAT LFS workbooks (monthly national series; unemployment by duration and NUTS II).

Real values are spot-checked against the bundle files; the bad-input cases read corrupted copies written here
into ``tmp_path`` (never a bundle file).
"""

from __future__ import annotations

import shutil
from pathlib import Path

import geopandas as gpd
import numpy as np
import openpyxl
import pandas as pd
import pyogrio
import pytest

from spatial_poverty.errors import IngestError
from spatial_poverty.ingest import (
    read_lfs_monthly,
    read_lfs_unemployment_duration,
    read_nuts_boundaries,
    read_nuts_changes,
    read_nuts_lau,
)
from spatial_poverty.ingest.catalogue import sha256_file
from spatial_poverty.ingest.lfs import LFS_REGIONS

FILES = {
    "nuts2024": "eurostat_gisco/EL_NUTS_RG_20M_2024_4326.gpkg",
    "nuts2016": "eurostat_gisco/EL_NUTS_RG_60M_2016_4326.gpkg",
    "changes": "eurostat_gisco/EL_nuts_changes.csv",
    "lau": "eurostat_gisco/EL_nuts_lau_2019.csv",
    "monthly": "elstat_lfs/A0101_SJO02_TS_MM_01_2004_05_2025_01A_F_EN.xlsx",
    "duration": "elstat_lfs/A0101_SJO03_TS_AN_00_1981_00_2024_03_F_EN.xlsx",
}
ATOL = 5e-7  # file values are quoted below to 6 decimals (the workbooks hold more digits)


@pytest.fixture(scope="module", autouse=True)
def inputs_unchanged(bundle: Path):
    """The bundle files read here are the same before and after the module."""
    before = {k: sha256_file(bundle / p) for k, p in FILES.items()}
    yield
    assert {k: sha256_file(bundle / p) for k, p in FILES.items()} == before


def _copy(bundle: Path, key: str, tmp_path: Path) -> Path:
    dst = tmp_path / Path(FILES[key]).name
    shutil.copyfile(bundle / FILES[key], dst)
    dst.chmod(0o644)
    return dst


def _empty(tmp_path: Path, name: str) -> Path:
    f = tmp_path / name
    f.write_bytes(b"")
    return f


# ---------------------------------------------------------------- NUTS boundaries (GeoPackage)
@pytest.mark.parametrize("key", ["nuts2024", "nuts2016"])
def test_nuts_boundaries_real(bundle, key):
    g = read_nuts_boundaries(bundle / FILES[key])
    assert len(g) == 70
    assert g.index.name == "nuts_id" and g.index.is_unique
    assert g["level"].value_counts().sort_index().to_dict() == {0: 1, 1: 4, 2: 13, 3: 52}
    assert g.crs.to_epsg() == 4326
    assert g.loc["EL43", "name"] == "Κρήτη" and g.loc["EL43", "name_latn"].lower() == "kriti"
    nuts2 = read_nuts_boundaries(bundle / FILES[key], level=2)
    assert set(nuts2.index) == set(LFS_REGIONS.values())  # the 13 regions the LFS readers map to
    assert nuts2.geometry.is_valid.all()


def test_nuts_boundaries_level_argument(bundle):
    with pytest.raises(ValueError, match="level needs to be 0, 1, 2 or 3"):
        read_nuts_boundaries(bundle / FILES["nuts2024"], level=4)


@pytest.fixture(scope="module")
def nuts_raw(bundle):
    return pyogrio.read_dataframe(bundle / FILES["nuts2024"])


def _write_gpkg(frame: gpd.GeoDataFrame, path: Path) -> Path:
    pyogrio.write_dataframe(frame, path, driver="GPKG")
    return path


@pytest.mark.filterwarnings("ignore:'crs' was not provided:UserWarning")  # the point of this test
def test_nuts_layer_without_crs(nuts_raw, tmp_path):
    f = _write_gpkg(nuts_raw.set_crs(None, allow_override=True), tmp_path / "no_crs.gpkg")
    with pytest.raises(IngestError, match=r"no_crs\.gpkg: the layer has no CRS; expected EPSG:4326"):
        read_nuts_boundaries(f)


def test_nuts_layer_in_another_crs(nuts_raw, tmp_path):
    f = _write_gpkg(nuts_raw.to_crs(3857), tmp_path / "mercator.gpkg")
    with pytest.raises(IngestError, match=r"CRS is EPSG:3857; expected EPSG:4326"):
        read_nuts_boundaries(f)


def test_nuts_missing_field_bad_level_and_count(nuts_raw, tmp_path):
    with pytest.raises(IngestError, match=r"field\(s\) \['NAME_LATN'\] are missing"):
        read_nuts_boundaries(_write_gpkg(nuts_raw.drop(columns=["NAME_LATN"]), tmp_path / "missing.gpkg"))
    bad = nuts_raw.copy()
    bad["LEVL_CODE"] = bad["LEVL_CODE"].astype(float)
    bad.loc[bad["NUTS_ID"] == "EL43", "LEVL_CODE"] = 18.1
    with pytest.raises(IngestError, match=r"column 'LEVL_CODE'.*row EL43: 18\.1 \(not a whole number\)"):
        read_nuts_boundaries(_write_gpkg(bad, tmp_path / "level.gpkg"))
    short = nuts_raw[nuts_raw["NUTS_ID"] != "EL431"]
    with pytest.raises(IngestError, match=r"regions per NUTS level \{0: 1, 1: 4, 2: 13, 3: 51\}; expected"):
        read_nuts_boundaries(_write_gpkg(short, tmp_path / "short.gpkg"))
    dup = pd.concat([nuts_raw, nuts_raw[nuts_raw["NUTS_ID"] == "EL43"]])
    with pytest.raises(IngestError, match=r"codes appear more than once: \['EL43'\]"):
        read_nuts_boundaries(_write_gpkg(gpd.GeoDataFrame(dup, crs=nuts_raw.crs), tmp_path / "dup.gpkg"))


def test_nuts_empty_file(tmp_path):
    with pytest.raises(IngestError, match="the file is empty; expected a GeoPackage"):
        read_nuts_boundaries(_empty(tmp_path, "empty.gpkg"))


# ---------------------------------------------------------------- LAU -> NUTS 3 (CSV)
def test_lau_real(bundle):
    lau = read_nuts_lau(bundle / FILES["lau"])
    assert len(lau) == 6134 and lau.index.is_unique
    assert lau.index.map(len).unique().tolist() == [8]
    # Komotini's municipal community: leading zero kept, NUTS 3 EL513 (Rodopi), 54,272 residents in 2011.
    row = lau.loc["01010101"]
    assert (row["nuts3"], row["name"], int(row["population"])) == ("EL513", "Δημοτική Κοινότητα Κομοτηνής", 54272)
    assert int(lau["population"].sum()) == 10_816_286  # the 2011 census resident population of Greece
    assert lau["degurba"].value_counts().to_dict() == {3: 5774, 2: 268, 1: 92}
    assert int(lau["coastal"].sum()) == 2575
    # Every NUTS 3 of the table is a NUTS 3 of the 2016 boundaries, except ELZZZ (Mount Athos, extra-regio).
    nuts3 = read_nuts_boundaries(bundle / FILES["nuts2016"], level=3)
    assert set(lau["nuts3"]) - set(nuts3.index) == {"ELZZZ"}
    assert set(nuts3.index) <= set(lau["nuts3"])


def _lau_lines(bundle: Path) -> list[str]:
    return (bundle / FILES["lau"]).read_text(encoding="utf-8").splitlines()


def test_lau_stray_decimal(bundle, tmp_path):
    lines = _lau_lines(bundle)
    assert lines[1].split(",")[5] == "54272"
    fields = lines[1].split(",")
    fields[5] = '"18.1"'
    lines[1] = ",".join(fields)
    f = tmp_path / "stray.csv"
    f.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(IngestError, match=r"stray\.csv, column 'population': 1 cell\(s\) .*line 2: '18\.1'"):
        read_nuts_lau(f)


def test_lau_missing_column_bad_code_and_count(bundle, tmp_path):
    lines = _lau_lines(bundle)
    f = tmp_path / "missing.csv"
    f.write_text("\n".join(line.rsplit(",", 1)[0] for line in lines) + "\n", encoding="utf-8")
    with pytest.raises(IngestError, match=r"missing\.csv: column\(s\) \['gisco_id'\] are missing"):
        read_nuts_lau(f)
    # The leading zero lost (as a spreadsheet would drop it): refused, not matched to another code.
    f = tmp_path / "zero.csv"
    f.write_text("\n".join([lines[0], lines[1].replace('"01010101"', "1010101", 1), *lines[2:]]), encoding="utf-8")
    with pytest.raises(IngestError, match=r"column 'lau_code': expected an 8-digit ELSTAT code.*line 2: '1010101'"):
        read_nuts_lau(f)
    f = tmp_path / "short.csv"
    f.write_text("\n".join(lines[:-1]) + "\n", encoding="utf-8")
    with pytest.raises(IngestError, match=r"6133 LAUs; expected 6134"):
        read_nuts_lau(f)


def test_lau_empty_file(tmp_path):
    with pytest.raises(IngestError, match=r"empty\.csv: the file is empty"):
        read_nuts_lau(_empty(tmp_path, "empty.csv"))


# ---------------------------------------------------------------- NUTS code history (CSV)
def test_changes_real(bundle):
    ch = read_nuts_changes(bundle / FILES["changes"])
    assert len(ch) == 73
    assert ch["level"].value_counts().to_dict() == {3: 53, 2: 14, 1: 5, 0: 1}
    # 2013 renumbering: Anatoliki Makedonia-Thraki EL11 -> EL51; Attiki was GR3 (a NUTS 2) in 1999.
    r = ch.loc[ch["code_2010"] == "EL11"].iloc[0]
    assert (r["code_2013"], r["code_2021"], r["change_2013"]) == ("EL51", "EL51", "code change")
    attiki = ch.loc[ch["code_2021"] == "EL30"].iloc[0]
    assert (attiki["level"], attiki["code_1999"], attiki["code_2003"]) == (2, "GR3", "GR30")
    assert ch["start_year"].isna().all()  # every row of this extract has NA there


def test_changes_bad_inputs(bundle, tmp_path):
    lines = (bundle / FILES["changes"]).read_text(encoding="utf-8").splitlines()
    f = tmp_path / "typology.csv"
    f.write_text("\n".join([lines[0], lines[1].replace('"country"', '"nation"', 1), *lines[2:]]), encoding="utf-8")
    with pytest.raises(IngestError, match=r"line 2, column 'typology': 'nation'"):
        read_nuts_changes(f)
    f = tmp_path / "year.csv"
    f.write_text("\n".join([lines[0], lines[1].replace("NA,NA", '"18.1",NA', 1), *lines[2:]]), encoding="utf-8")
    with pytest.raises(IngestError, match=r"column 'start_year': 1 cell\(s\) .*line 2: '18\.1'"):
        read_nuts_changes(f)
    f = tmp_path / "missing.csv"
    f.write_text("\n".join(line.split(",", 1)[1] for line in lines), encoding="utf-8")
    with pytest.raises(IngestError, match=r"column\(s\) \['typology'\] are missing"):
        read_nuts_changes(f)
    with pytest.raises(IngestError, match="the file is empty"):
        read_nuts_changes(_empty(tmp_path, "empty.csv"))


# ---------------------------------------------------------------- LFS monthly (xlsx)
def test_lfs_monthly_real(bundle):
    m = read_lfs_monthly(bundle / FILES["monthly"])
    assert len(m) == 257  # January 2004 to May 2025
    assert str(m.index[0]) == "2004-01" and str(m.index[-1]) == "2025-05"
    jan = m.loc[pd.Period("2004-01", freq="M")]
    np.testing.assert_allclose(
        jan[["employed", "unemployed", "unemployment_rate_pct", "sa_unemployment_rate_pct"]].to_numpy(float),
        [4322.03325, 579.751832, 11.827361, 11.2],
        atol=ATOL,
        rtol=0,
    )
    may = m.loc[pd.Period("2025-05", freq="M")]
    assert (may["sa_employed"], may["sa_unemployed"], may["sa_unemployment_rate_pct"]) == (4346.5, 370.4, 7.9)


def _edit_xlsx(src: Path, dst: Path, edit) -> Path:
    wb = openpyxl.load_workbook(src)
    edit(wb)
    wb.save(dst)
    return dst


def test_lfs_monthly_stray_decimal_and_missing_column(bundle, tmp_path):
    src = bundle / FILES["monthly"]

    def stray(wb):
        ws = wb.worksheets[0]
        assert ws["A4"].value == "January"
        ws["C4"] = "18.1"  # January 2004, unadjusted unemployed, as text

    f = _edit_xlsx(src, tmp_path / "stray.xlsx", stray)
    with pytest.raises(
        IngestError, match=r"stray\.xlsx, sheet 0, column 'unemployed \(column 3\)'.*row 4 \(2004 January\): '18\.1'"
    ):
        read_lfs_monthly(f)
    f = _edit_xlsx(src, tmp_path / "missing.xlsx", lambda wb: wb.worksheets[0].delete_cols(3))
    with pytest.raises(IngestError, match=r"missing\.xlsx, sheet 0: 281 rows x 8 columns; expected .*9 columns"):
        read_lfs_monthly(f)


def test_lfs_monthly_rate_disagrees_and_empty_file(bundle, tmp_path):
    def rate(wb):
        wb.worksheets[0]["E4"] = 21.8  # January 2004: 11.83 % in the file

    f = _edit_xlsx(bundle / FILES["monthly"], tmp_path / "rate.xlsx", rate)
    with pytest.raises(IngestError, match=r"1 rate\(s\) off by more than 0.1 points: row 4 \(2004 January\)"):
        read_lfs_monthly(f)
    with pytest.raises(IngestError, match="the file is empty; expected an Excel workbook"):
        read_lfs_monthly(_empty(tmp_path, "empty.xlsx"))


# ---------------------------------------------------------------- LFS unemployment by duration (xlsx)
def test_lfs_duration_real(bundle):
    d = read_lfs_unemployment_duration(bundle / FILES["duration"])
    assert len(d) == 588 and (d["year"].min(), d["year"].max()) == (1981, 2024)
    el = d[(d["year"] == 2024) & (d["nuts2"] == "EL")].iloc[0]
    assert el["region"] == "COUNTRY TOTAL"
    np.testing.assert_allclose(
        el[["unemployed", "long_term", "very_long_term"]].to_numpy(float),
        [479.8, 257.416814, 160.287734],
        atol=ATOL,
        rtol=0,
    )
    np.testing.assert_allclose(el["long_term_share_pct"], 100 * el["long_term"] / el["unemployed"], rtol=1e-12)
    np.testing.assert_allclose(el["long_term_share_pct"], 53.650857, atol=ATOL, rtol=0)
    attiki = d[(d["year"] == 2024) & (d["nuts2"] == "EL30")].iloc[0]
    assert attiki["unemployed"] == 158.3
    assert set(d.loc[d["year"] == 2024, "nuts2"]) == {*LFS_REGIONS.values(), "EL"}
    # Regions of before today's NUTS 2 kept, unmapped; '..' read as not available.
    assert (d.loc[d["region"] == "Thraki", "nuts2"] == "").all() and d["region"].eq("Thraki").any()
    assert int(d["very_long_term"].isna().sum()) == 60


def test_lfs_duration_bad_inputs(bundle, tmp_path):
    src = bundle / FILES["duration"]

    def stray(wb):
        ws = wb["UNE-Regio"]
        assert ws["B5"].value == "Anatoliki Makedonia-Thraki"
        ws["C5"] = "18.1"

    f = _edit_xlsx(src, tmp_path / "stray.xlsx", stray)
    with pytest.raises(
        IngestError,
        match=r"sheet 'UNE-Regio', column 'Total Unemployed \(column 3\)'"
        r".*row 5 \(Anatoliki Makedonia-Thraki\): '18\.1'",
    ):
        read_lfs_unemployment_duration(f)
    f = _edit_xlsx(src, tmp_path / "missing.xlsx", lambda wb: wb["UNE-Regio"].delete_cols(6))
    with pytest.raises(IngestError, match=r"row 2, column 6: expected '12 months or longer \(long term unemployed\)'"):
        read_lfs_unemployment_duration(f)

    def too_many(wb):
        wb["UNE-Regio"]["F5"] = 40.0  # 12+ months above the region's 29.5 unemployed

    f = _edit_xlsx(src, tmp_path / "sum.xlsx", too_many)
    with pytest.raises(IngestError, match=r"durations exceed the total .*row 5 \(Anatoliki Makedonia-Thraki\)"):
        read_lfs_unemployment_duration(f)
    with pytest.raises(IngestError, match="the file is empty"):
        read_lfs_unemployment_duration(_empty(tmp_path, "empty.xlsx"))


def test_lau_wrong_encoding(bundle, tmp_path):
    """The same table saved in Windows-1253 (as a Greek spreadsheet would) is refused, not read as mojibake."""
    f = tmp_path / "cp1253.csv"
    f.write_bytes((bundle / FILES["lau"]).read_text(encoding="utf-8").encode("cp1253"))
    with pytest.raises(
        IngestError, match=r"cp1253\.csv, row 2: bytes b'\\xc4' .* are not utf-8-sig text; it reads as cp1253"
    ):
        read_nuts_lau(f)
