"""The bad-input suite: for each source, a corrupted copy made here ends in a clear error naming the problem.

Every corrupted file is a copy written by the test into a temporary folder (never a bundle file, never
data/raw); the checksums of the bundle files used and the listing of the repository's data/raw are compared
before and after the whole module.
"""

from __future__ import annotations

import gzip
import json
import shutil
import zipfile
from pathlib import Path

import geopandas as gpd
import pyogrio
import pytest

from spatial_poverty.errors import IngestError
from spatial_poverty.ingest.catalogue import sha256_file
from spatial_poverty.ingest.elstat2011 import census_table, read_census_2011, read_urban_2011, urban_table
from spatial_poverty.ingest.elstat2021 import read_communities_2021, read_municipal_boundaries, read_population
from spatial_poverty.ingest.excel import read_sheet
from spatial_poverty.ingest.geodata2011 import read_kallikratis_boundaries
from spatial_poverty.ingest.lctools import read_lctools_2001
from spatial_poverty.ingest.municipalities import join_boundaries_population

from .conftest import ROOT

FILES = {
    "dimdata": "elstat_2021/dimdata.json",
    "koindata": "elstat_2021/koindata.json",
    "shapes": "elstat_2021/DHMOI_2021.zip",
    "census": "elstat_2011/raw_census.xls",
    "urban": "elstat_2011/raw_urban.xls",
    "lctools": "lctools_2001/GR_Municipalities_lctools.gpkg",
    "geodata": "geodata_kallikratis_2011/kallikratis_municipalities_ypes_wgs84.geojson.gz",
}


@pytest.fixture(scope="module", autouse=True)
def inputs_unchanged(bundle: Path):
    """The bundle files used and the repository's data/raw are the same before and after the suite."""
    before = {k: sha256_file(bundle / p) for k, p in FILES.items()}
    raw_before = sorted(p.name for p in (ROOT / "data" / "raw").iterdir())
    yield
    assert {k: sha256_file(bundle / p) for k, p in FILES.items()} == before
    assert sorted(p.name for p in (ROOT / "data" / "raw").iterdir()) == raw_before


def _copy(bundle: Path, key: str, tmp_path: Path) -> Path:
    dst = tmp_path / Path(FILES[key]).name
    shutil.copyfile(bundle / FILES[key], dst)
    dst.chmod(0o644)
    return dst


def _json(bundle: Path, key: str) -> list[dict[str, str]]:
    return json.loads((bundle / FILES[key]).read_text(encoding="utf-8"))


def _write_json(records: object, path: Path, encoding: str = "utf-8") -> Path:
    path.write_bytes(json.dumps(records, ensure_ascii=False).encode(encoding))
    return path


# ---------------------------------------------------------------- dimdata.json (population 2011/2021)
def _first_municipality(records: list[dict[str, str]]) -> int:
    return next(i for i, r in enumerate(records) if r["Ένδειξη επιπέδου"] == "5")


def test_population_stray_decimal_in_thousands_column(bundle, tmp_path):
    recs = _json(bundle, "dimdata")
    i = _first_municipality(recs)
    recs[i]["Μόνιμος Πληθυσμός 2021"] = "18.1"
    f = _write_json(recs, tmp_path / "dimdata.json")
    with pytest.raises(IngestError, match=rf"column 'Μόνιμος Πληθυσμός 2021'.*row {i}: '18.1'"):
        read_population(f)


def test_population_wrong_encoding(bundle, tmp_path):
    f = _write_json(_json(bundle, "dimdata"), tmp_path / "dimdata.json", encoding="cp1253")
    with pytest.raises(IngestError, match="not UTF-8 JSON"):
        read_population(f)


def test_population_duplicated_code(bundle, tmp_path):
    recs = _json(bundle, "dimdata")
    i = _first_municipality(recs)
    recs.insert(i + 1, dict(recs[i]))
    f = _write_json(recs, tmp_path / "dimdata.json")
    with pytest.raises(IngestError, match=r"appear more than once: \['0101'\]"):
        read_population(f)


def test_population_missing_column(bundle, tmp_path):
    recs = _json(bundle, "dimdata")
    for r in recs:
        del r["Μόνιμος Πληθυσμός 2011"]
    f = _write_json(recs, tmp_path / "dimdata.json")
    with pytest.raises(IngestError, match=r"keys \['Μόνιμος Πληθυσμός 2011'\] are missing"):
        read_population(f)


def test_population_empty_file(tmp_path):
    (tmp_path / "dimdata.json").write_bytes(b"")
    with pytest.raises(IngestError, match="not UTF-8 JSON"):
        read_population(tmp_path / "dimdata.json")


def test_population_unknown_code_stops_the_join(bundle, tmp_path):
    recs = _json(bundle, "dimdata")
    i = _first_municipality(recs)
    recs[i]["Γεωγραφικός κωδικός"] = "0199"
    f = _write_json(recs, tmp_path / "dimdata.json")
    pop = read_population(f)  # a well-formed code: the join must catch it
    shapes = read_municipal_boundaries(bundle / FILES["shapes"])
    with pytest.raises(IngestError, match=r"0199 .* is in population but not in boundaries"):
        join_boundaries_population(shapes, pop)


# ---------------------------------------------------------------- koindata.json (communities 2021)
def test_communities_stray_decimal(bundle, tmp_path):
    recs = _json(bundle, "koindata")
    recs[10]["ΜΟΝΙΜΟΣ ΠΛΗΘΥΣΜΟΣ"] = "18.1"
    f = _write_json(recs, tmp_path / "koindata.json")
    with pytest.raises(IngestError, match=r"row 10: '18.1'"):
        read_communities_2021(f)


def test_communities_duplicated_code_and_encoding(bundle, tmp_path):
    recs = _json(bundle, "koindata")
    recs.insert(11, dict(recs[10]))
    f = _write_json(recs, tmp_path / "koindata.json")
    with pytest.raises(IngestError, match="appear more than once"):
        read_communities_2021(f)
    f = _write_json(_json(bundle, "koindata"), tmp_path / "koindata_cp.json", encoding="iso-8859-7")
    with pytest.raises(IngestError, match="not UTF-8 JSON"):
        read_communities_2021(f)


def test_communities_changed_count_does_not_add_up(bundle, tmp_path):
    recs = _json(bundle, "koindata")
    j = next(i for i, r in enumerate(recs) if len(r["Γ.Κ. 2021"]) == 8)
    recs[j]["ΜΟΝΙΜΟΣ ΠΛΗΘΥΣΜΟΣ"] = "1"
    f = _write_json(recs, tmp_path / "koindata.json")
    with pytest.raises(IngestError, match="do not add up to their municipality"):
        read_communities_2021(f)


# ---------------------------------------------------------------- DHMOI_2021.zip (2021 boundaries)
def test_boundaries_truncated_zip(bundle, tmp_path):
    data = (bundle / FILES["shapes"]).read_bytes()
    f = tmp_path / "DHMOI_2021.zip"
    f.write_bytes(data[: len(data) // 2])
    with pytest.raises(IngestError, match="truncated or corrupt"):
        read_municipal_boundaries(f)


def test_boundaries_empty_file(tmp_path):
    (tmp_path / "DHMOI_2021.zip").write_bytes(b"")
    with pytest.raises(IngestError, match="the file is empty"):
        read_municipal_boundaries(tmp_path / "DHMOI_2021.zip")


def _rezip(bundle: Path, dst: Path, skip: str) -> Path:
    with zipfile.ZipFile(bundle / FILES["shapes"]) as src, zipfile.ZipFile(dst, "w") as out:
        for info in src.infolist():
            if not info.filename.endswith(skip):
                out.writestr(info, src.read(info))
    return dst


def test_boundaries_layer_with_no_crs(bundle, tmp_path):
    f = _rezip(bundle, tmp_path / "DHMOI_2021.zip", ".prj")
    with pytest.raises(IngestError, match=r"no Municipalities2021\.prj"):
        read_municipal_boundaries(f)


# ---------------------------------------------------------------- raw_census.xls / raw_urban.xls (2011 census)
@pytest.fixture(scope="module")
def census_cells(bundle):
    return read_sheet(bundle / FILES["census"], "data")


@pytest.fixture(scope="module")
def urban_cells(bundle):
    return read_sheet(bundle / FILES["urban"], "data")


def test_census_stray_decimal_text(census_cells):
    cells = census_cells.copy()
    cells.iat[9, 7] = "18.1"  # ΔΗΜΟΣ ΚΟΜΟΤΗΝΗΣ, 2001 resident population
    with pytest.raises(IngestError, match=r"column 'Μόνιμος 2001'.*row 10: '18.1'"):
        census_table(cells, source="raw_census.xls (test copy)")


def test_census_fractional_number(census_cells):
    cells = census_cells.copy()
    cells.iat[9, 5] = 18.1
    with pytest.raises(IngestError, match=r"row 10: 18.1 \(not a whole number\)"):
        census_table(cells, source="raw_census.xls (test copy)")


def test_census_negative_population(census_cells):
    cells = census_cells.copy()
    cells.iat[9, 9] = -5  # 1991
    with pytest.raises(IngestError, match=r"column 'pop_1991': negative population in rows \[10\]"):
        census_table(cells, source="test copy")


def test_census_duplicated_code(census_cells):
    cells = census_cells.copy()
    cells.iat[10, 3] = "0101010101"  # a level-6 row given a settlement's code: wrong length for its level
    with pytest.raises(IngestError, match=r"row 11: level 6 needs a 6-digit code; found '0101010101'"):
        census_table(cells, source="test copy")
    cells = census_cells.copy()
    cells.iat[87, 3] = "0101"  # the next municipality given Komotini's code
    with pytest.raises(IngestError, match=r"appear more than once: \['0101'\]"):
        census_table(cells, source="test copy")


def test_census_missing_column(census_cells):
    with pytest.raises(IngestError, match="10 columns; expected 11"):
        census_table(census_cells.iloc[:, :10], source="test copy")


def test_census_empty_and_truncated_file(bundle, tmp_path):
    (tmp_path / "empty.xls").write_bytes(b"")
    with pytest.raises(IngestError, match="the file is empty"):
        read_census_2011(tmp_path / "empty.xls")
    data = (bundle / FILES["census"]).read_bytes()
    (tmp_path / "cut.xls").write_bytes(data[: len(data) // 3])
    with pytest.raises(IngestError, match="not a readable Excel workbook"):
        read_census_2011(tmp_path / "cut.xls")


def test_census_wrong_sheet(bundle):
    with pytest.raises(IngestError, match=r"no sheet 'δεδομένα'; the workbook has \['data'\]"):
        read_census_2011(bundle / FILES["census"], sheet="δεδομένα")


def test_urban_unknown_class_and_stray_decimal(urban_cells):
    cells = urban_cells.copy()
    cells.iat[11, 4] = "X"
    with pytest.raises(IngestError, match=r"'Ορεινότητα': expected Π, Η, Ο or empty; found .*row 12: 'X'"):
        urban_table(cells, source="raw_urban.xls (test copy)")
    cells = urban_cells.copy()
    cells.iat[11, 2] = "18.1"
    with pytest.raises(IngestError, match=r"column 'Μόνιμος'.*row 12: '18.1'"):
        urban_table(cells, source="raw_urban.xls (test copy)")


def test_urban_missing_header(urban_cells):
    cells = urban_cells.copy()
    cells.iat[3, 3] = "something else"
    with pytest.raises(IngestError, match="expected the header 'Αστικότητα'"):
        urban_table(cells, source="test copy")


def test_urban_real_file_reads(bundle):
    u = read_urban_2011(bundle / FILES["urban"])
    assert u.loc["0101", "pop_2011"] == 66_919 and u.loc["01010101", "mountain"] == "Π"


# ---------------------------------------------------------------- lctools GeoPackage (2001 variables)
@pytest.fixture(scope="module")
def lctools_raw(bundle):
    return pyogrio.read_dataframe(bundle / FILES["lctools"])


def _write_gpkg(frame: gpd.GeoDataFrame, path: Path) -> Path:
    pyogrio.write_dataframe(frame, path, driver="GPKG")
    return path


@pytest.mark.filterwarnings("ignore:'crs' was not provided:UserWarning")  # the point of this test
def test_lctools_layer_with_no_crs(lctools_raw, tmp_path):
    f = _write_gpkg(lctools_raw.set_crs(None, allow_override=True), tmp_path / "no_crs.gpkg")
    with pytest.raises(IngestError, match="no CRS"):
        read_lctools_2001(f)


def test_lctools_missing_column_duplicate_out_of_range(lctools_raw, tmp_path):
    f = _write_gpkg(lctools_raw.drop(columns=["UnemrF01"]), tmp_path / "missing.gpkg")
    with pytest.raises(IngestError, match=r"\['UnemrF01'\] are missing"):
        read_lctools_2001(f)
    dup = lctools_raw.copy()
    dup.loc[1, "CodeELSTAT"] = "0101"
    with pytest.raises(IngestError, match=r"appear more than once: \['0101'\]"):
        read_lctools_2001(_write_gpkg(dup, tmp_path / "dup.gpkg"))
    bad = lctools_raw.copy()
    bad.loc[0, "UnemrT01"] = 181.0
    with pytest.raises(IngestError, match=r"code 0101\), column 'UnemrT01': 181.0, expected 0..100"):
        read_lctools_2001(_write_gpkg(bad, tmp_path / "range.gpkg"))


def test_lctools_unknown_code_stops_apportioning(bundle, lctools_raw, tmp_path):
    from spatial_poverty.harmonise.apportion import carry_rates

    bad = lctools_raw.copy()
    bad.loc[0, "CodeELSTAT"] = "0199"
    lct = read_lctools_2001(_write_gpkg(bad, tmp_path / "unknown.gpkg"))
    import pandas as pd

    cw = pd.DataFrame(
        {"elstat_2011": sorted(lctools_raw["CodeELSTAT"]), "elstat_2021": sorted(lctools_raw["CodeELSTAT"])}
    ).assign(pop_share=1.0, pop_2011_part=1)
    with pytest.raises(IngestError, match=r"not in the crosswalk: \['0199'\]"):
        carry_rates(lct["unemp_2001"], cw)


def test_lctools_empty_file(tmp_path):
    (tmp_path / "empty.gpkg").write_bytes(b"")
    with pytest.raises(IngestError, match="the file is empty"):
        read_lctools_2001(tmp_path / "empty.gpkg")


# ---------------------------------------------------------------- geodata.gov.gr 2011 boundaries (gzipped GeoJSON)
def test_geodata_truncated_gzip(bundle, tmp_path):
    data = (bundle / FILES["geodata"]).read_bytes()
    f = tmp_path / "k.geojson.gz"
    f.write_bytes(data[: len(data) // 2])
    with pytest.raises(IngestError, match="corrupt or truncated"):
        read_kallikratis_boundaries(f)


def test_geodata_empty_and_duplicated_code(tmp_path):
    (tmp_path / "empty.geojson.gz").write_bytes(b"")
    with pytest.raises(IngestError, match="the file is empty"):
        read_kallikratis_boundaries(tmp_path / "empty.geojson.gz")
    # A test fixture: two tiny squares claiming the same YPES code.
    square = {"type": "Polygon", "coordinates": [[[23, 38], [23.1, 38], [23.1, 38.1], [23, 38.1], [23, 38]]]}
    fc = {
        "type": "FeatureCollection",
        "features": [
            {"type": "Feature", "properties": {"NAME": "Α", "KWD_YPES": 9001}, "geometry": square},
            {"type": "Feature", "properties": {"NAME": "Β", "KWD_YPES": 9001}, "geometry": square},
        ],
    }
    f = tmp_path / "dup.geojson.gz"
    with gzip.open(f, "wt", encoding="utf-8") as g:
        json.dump(fc, g)
    with pytest.raises(IngestError, match=r"'KWD_YPES': codes appear more than once: \['9001'\]"):
        read_kallikratis_boundaries(f)
