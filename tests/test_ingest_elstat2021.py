"""ELSTAT 2021 readers and the municipality join, on the real bundle and on small fixtures."""

from __future__ import annotations

import json
import logging
import zipfile
from pathlib import Path

import pytest

from spatial_poverty.errors import IngestError
from spatial_poverty.ingest import (
    join_boundaries_population,
    read_municipal_boundaries,
    read_population,
    select_area,
)

# ELSTAT's published totals (2021 census, resident population).
GREECE_2011, GREECE_2021 = 10_816_286, 10_482_487
SOUTH_AEGEAN_2011, SOUTH_AEGEAN_2021 = 309_015, 327_820


@pytest.fixture(scope="module")
def boundaries(bundle):
    return read_municipal_boundaries(bundle / "elstat_2021" / "DHMOI_2021.zip")


@pytest.fixture(scope="module")
def population(bundle):
    return read_population(bundle / "elstat_2021" / "dimdata.json")


def test_boundaries(boundaries):
    assert len(boundaries) == 333
    assert boundaries.crs.to_epsg() == 2100
    assert boundaries.index.name == "code"
    assert all(isinstance(c, str) and len(c) == 4 for c in boundaries.index)
    assert boundaries.index[0] == "0101"  # leading zero kept
    assert boundaries.loc["5801", "name_el"] == "ΔΗΜΟΣ ΣΥΡΟΥ - ΕΡΜΟΥΠΟΛΗΣ"
    assert boundaries.loc["6001", "name_en"] == "Municipality of Thira"
    assert "9901" in boundaries.index


def test_population(population):
    assert len(population) == 333
    assert population["pop_2011"].dtype == "int64"
    assert population["pop_2011"].sum() == GREECE_2011
    assert population["pop_2021"].sum() == GREECE_2021
    assert population.loc["9901", "pop_2021"] == 1746


def test_join_leaves_athos_out_with_a_log_line(boundaries, population, caplog):
    with caplog.at_level(logging.INFO, logger="spatial_poverty"):
        m = join_boundaries_population(boundaries, population)
    assert len(m) == 332 and "9901" not in m.index
    assert any("left out 9901" in r.getMessage() and "Mount Athos" in r.getMessage() for r in caplog.records)
    assert m["pop_2021"].sum() == GREECE_2021 - 1746
    assert len(boundaries) == 333  # inputs unchanged


def test_south_aegean_totals(boundaries, population):
    sa = select_area(join_boundaries_population(boundaries, population), nuts2=["EL42"])
    assert len(sa) == 34
    assert sa["pop_2011"].sum() == SOUTH_AEGEAN_2011
    assert sa["pop_2021"].sum() == SOUTH_AEGEAN_2021
    assert set(sa["regional_unit"]) == {str(i) for i in range(58, 71)}


def test_unmatched_rows_stop_the_join_and_are_listed(boundaries, population):
    with pytest.raises(IngestError, match=r"2 municipality code\(s\) do not match") as info:
        join_boundaries_population(boundaries.drop(index=["6001"]), population.drop(index=["0101"]))
    msg = str(info.value)
    assert "0101 ΔΗΜΟΣ ΚΟΜΟΤΗΝΗΣ is in boundaries but not in population" in msg
    assert "6001 ΔΗΜΟΣ ΘΗΡΑΣ is in population but not in boundaries" in msg


def test_select_area_by_regional_unit(boundaries, population):
    m = join_boundaries_population(boundaries, population)
    assert list(select_area(m, regional_units=["60"]).index) == ["6001", "6002", "6003", "6004", "6005"]
    with pytest.raises(IngestError, match=r"regional unit\(s\) \['00'\]"):
        select_area(m, regional_units=["00"])


def _dimdata(records: list[dict]) -> str:
    return json.dumps(records, ensure_ascii=False)


def _rec(level: str, code: str, name: str, p11: str, p21: str) -> dict[str, str]:
    return {
        "Ένδειξη επιπέδου": level,
        "Γεωγραφικός κωδικός": code,
        "Περιγραφή": name,
        "Μόνιμος Πληθυσμός 2011": p11,
        "Μόνιμος Πληθυσμός 2021": p21,
    }


def test_population_bad_number_is_reported_with_file_column_and_value(tmp_path):
    # Small fixture in ELSTAT's dimdata.json layout, made by the test.
    f = tmp_path / "dimdata.json"
    f.write_text(
        _dimdata(
            [
                _rec("0", "", "Σύνολο Χώρας", "1.100", "1.200"),
                _rec("3", "", "ΠΕΡΙΦΕΡΕΙΑ ΤΕΣΤ", "1.100", "1.200"),
                _rec("4", "58", "ΠΕ ΤΕΣΤ", "1.100", "1.200"),
                _rec("5", "5801", "ΔΗΜΟΣ Α", "1.000", "18.1"),
                _rec("5", "5802", "ΔΗΜΟΣ Β", "100", "181"),
            ]
        ),
        encoding="utf-8",
    )
    with pytest.raises(IngestError) as info:
        read_population(f)
    msg = str(info.value)
    assert str(f) in msg and "Μόνιμος Πληθυσμός 2021" in msg and "'18.1'" in msg and "row 3" in msg


def test_population_totals_must_add_up(tmp_path):
    f = tmp_path / "dimdata.json"
    f.write_text(
        _dimdata(
            [
                _rec("0", "", "Σύνολο Χώρας", "1.100", "1.300"),
                _rec("3", "", "ΠΕΡΙΦΕΡΕΙΑ ΤΕΣΤ", "1.100", "1.200"),
                _rec("4", "58", "ΠΕ ΤΕΣΤ", "1.100", "1.200"),
                _rec("5", "5801", "ΔΗΜΟΣ Α", "1.000", "1.100"),
                _rec("5", "5802", "ΔΗΜΟΣ Β", "100", "100"),
            ]
        ),
        encoding="utf-8",
    )
    with pytest.raises(IngestError, match="sum to 1200, the country row says 1300"):
        read_population(f)


def test_population_municipality_code_must_be_four_digits(tmp_path):
    f = tmp_path / "dimdata.json"
    f.write_text(
        _dimdata(
            [
                _rec("3", "", "ΠΕΡΙΦΕΡΕΙΑ ΤΕΣΤ", "1", "1"),
                _rec("4", "58", "ΠΕ", "1", "1"),
                _rec("5", "581", "ΔΗΜΟΣ Α", "1", "1"),
            ]
        ),
        encoding="utf-8",
    )
    with pytest.raises(IngestError, match="expected a 4-digit municipality code; found '581'"):
        read_population(f)


def test_boundaries_zip_without_shapefile(tmp_path):
    z = tmp_path / "empty.zip"
    with zipfile.ZipFile(z, "w") as zf:
        zf.writestr("readme.txt", "nothing")
    with pytest.raises(IngestError, match=r"the zip has no Municipalities2021\.shp"):
        read_municipal_boundaries(z)


def test_zip_folder_name_is_decoded_as_cp737(bundle):
    from spatial_poverty.ingest.elstat2021 import _zip_member_name

    with zipfile.ZipFile(Path(bundle) / "elstat_2021" / "DHMOI_2021.zip") as zf:
        names = {_zip_member_name(i) for i in zf.infolist()}
    assert "ΔΗΜΟΙ/Municipalities2021.shp" in names
