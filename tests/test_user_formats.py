"""User formats (benefits, registered unemployed, services registry) on small fixtures written here, labelled as
test fixtures; and the OSM and MARNET readers on the bundle."""

from __future__ import annotations

import zipfile

import pandas as pd
import pytest

from spatial_poverty.errors import IngestError
from spatial_poverty.ingest.services import read_marnet, read_osm_points
from spatial_poverty.ingest.user_formats import BENEFITS, REGISTERED_UNEMPLOYED, SERVICES, read_user_table

# Test fixture (not real data): the example of docs/user_formats.md.
BENEFITS_CSV = """code;period;benefit;households;persons;amount_eur
0101;2024-06;kea;1.234;3.012;245.310,50
0101;2024-06;child;2.870;9.950;
5801;2024-06;kea;<5;<5;
"""
KNOWN = ["0101", "5801"]


def _write(tmp_path, text, encoding="utf-8-sig", name="f.csv"):
    p = tmp_path / name
    p.write_bytes(text.encode(encoding))
    return p


def test_benefits_read(tmp_path):
    t = read_user_table(_write(tmp_path, BENEFITS_CSV), BENEFITS, known_codes=KNOWN)
    f = t.frame
    assert f["households"].tolist()[:2] == [1234, 2870] and f["persons"].iloc[0] == 3012
    assert f["amount_eur"].iloc[0] == 245310.5
    assert f["households"].isna().iloc[2] and len(t.suppressed) == 2
    assert f["code"].tolist() == ["0101", "0101", "5801"]


@pytest.mark.parametrize("encoding", ["cp1253", "iso-8859-7"])
def test_greek_encodings_stated(tmp_path, encoding):
    text = "service_id;type;name;code;lat;lon\nKK-1;community_centre;Κέντρο Κοινότητας Άνδρου;5801;37,84;24,94\n"
    t = read_user_table(_write(tmp_path, text, encoding), SERVICES, encoding=encoding)
    assert t.frame["name"].iloc[0] == "Κέντρο Κοινότητας Άνδρου"


def test_wrong_encoding_is_refused(tmp_path):
    f = _write(tmp_path, BENEFITS_CSV.replace("kea", "kea") + "", "utf-8")
    f.write_bytes("code;period;benefit;households;persons\n0101;2024;kea;1;1 Ά\n".encode("cp1253"))
    with pytest.raises(IngestError, match="not utf-8-sig text"):
        read_user_table(f, BENEFITS)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (BENEFITS_CSV.replace("1.234;3.012", "18.1;3.012"), r"row 2, column 'households': .*'18.1'"),
        (BENEFITS_CSV.replace("5801;", "9999;"), r"row 4, column 'code': '9999' is not an ELSTAT 2021"),
        (BENEFITS_CSV.replace("0101;2024-06;child", "0101;2024-06;kea"), r"key .* appears more than once: \['0101/"),
        (BENEFITS_CSV.replace(";persons", ";people"), r"column\(s\) \['persons'\] are missing"),
        (BENEFITS_CSV.replace("2024-06;kea;<5", "2024-13;kea;<5"), r"row 4, column 'period': '2024-13'"),
        (BENEFITS_CSV.replace("child", "pension"), r"'pension' is not one of"),
        (BENEFITS_CSV.replace("0101;2024-06;kea", "101;2024-06;kea"), r"'101' is not a 4-digit"),
    ],
)
def test_benefits_bad_input(tmp_path, text, message):
    with pytest.raises(IngestError, match=message):
        read_user_table(_write(tmp_path, text), BENEFITS, known_codes=KNOWN)


def test_empty_file_and_registered_unemployed(tmp_path):
    with pytest.raises(IngestError, match="the file is empty"):
        read_user_table(_write(tmp_path, ""), REGISTERED_UNEMPLOYED)
    t = read_user_table(
        _write(tmp_path, "code;period;registered_unemployed;long_term\n0101;2024-06;4.512;2.301\n0101;2024-07;812;\n"),
        REGISTERED_UNEMPLOYED,
    )
    assert t.frame["registered_unemployed"].tolist() == [4512, 812] and t.frame["long_term"].isna().iloc[1]


def test_services_outside_greece(tmp_path):
    text = "service_id;type;name;code;lat;lon\nX;kep;ΚΕΠ;0101;51,5;0,1\n"
    with pytest.raises(IngestError, match="outside Greece"):
        read_user_table(_write(tmp_path, text), SERVICES)


def test_osm_points(bundle):
    ph = read_osm_points(bundle / "osm_greece_2019" / "greece.sqlite.zip", tags=[("amenity", "pharmacy")])
    assert len(ph) == 3750 and set(ph["value"]) == {"pharmacy"} and ph.crs.to_epsg() == 4326
    assert ph.index.is_unique


def test_osm_truncated_zip(bundle, tmp_path):
    data = (bundle / "osm_greece_2019" / "greece.sqlite.zip").read_bytes()
    (tmp_path / "cut.zip").write_bytes(data[: len(data) // 2])
    with pytest.raises(IngestError, match="truncated or corrupt"):
        read_osm_points(tmp_path / "cut.zip")
    with zipfile.ZipFile(tmp_path / "other.zip", "w") as z:
        z.writestr("readme.txt", "no database")
    with pytest.raises(IngestError, match=r"expected one \.sqlite file"):
        read_osm_points(tmp_path / "other.zip")


def test_marnet(bundle, tmp_path):
    d = bundle / "marnet_sea_routes"
    nodes, edges = read_marnet(d / "marnet_greece_nodes.csv", d / "marnet_greece_edges.csv")
    assert len(nodes) == 8895 and len(edges) == 17284 and (edges["length_nm"] > 0).all()
    bad = pd.read_csv(d / "marnet_greece_edges.csv")
    bad.loc[0, "to"] = 10**9
    bad.to_csv(tmp_path / "edges.csv", index=False)
    with pytest.raises(IngestError, match="unknown node ids"):
        read_marnet(d / "marnet_greece_nodes.csv", tmp_path / "edges.csv")
