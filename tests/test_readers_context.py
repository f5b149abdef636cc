"""Readers of the regional tables: Eurostat bulk TSV and long CSV, the LFS yearly workbook (real bundle files,
plus corrupted copies made here)."""

from __future__ import annotations

import pandas as pd
import pytest

from spatial_poverty.errors import IngestError
from spatial_poverty.harmonise.context import nuts2_of
from spatial_poverty.ingest.eurostat import read_eurostat_long_csv, read_eurostat_tsv
from spatial_poverty.ingest.lfs import read_lfs_status_regions


def test_tsv_values_flags_and_missing(bundle):
    t = read_eurostat_tsv(bundle / "eurostat_regional" / "ilc_peps11_EL_2003_2020.tsv")
    el42 = t[(t["geo"] == "EL42")].set_index("time")
    assert el42.loc["2020", "value"] == 30.8 and el42.loc["2018", "value"] == 35.9
    assert el42.loc["2017", "value"] != el42.loc["2017", "value"]  # ':' -> NaN
    li = read_eurostat_tsv(bundle / "eurostat_regional" / "ilc_li41.tsv")
    assert {"e", "b"} <= set(li["flag"])


@pytest.mark.parametrize(
    "name", ["ilc_li41", "ilc_lvhl21", "ilc_mddd21", "ilc_peps11", "lfst_r_lfu3pers", "nama_10r_2hhinc"]
)
def test_every_bundle_tsv_reads(bundle, name):
    t = read_eurostat_tsv(bundle / "eurostat_regional" / f"{name}.tsv")
    assert len(t) > 1000 and {"geo", "time", "value", "flag"} <= set(t.columns)


def test_tsv_bad_cell_and_empty(bundle, tmp_path):
    text = (bundle / "eurostat_regional" / "ilc_peps11_EL_2003_2020.tsv").read_text(encoding="utf-8")
    f = tmp_path / "bad.tsv"
    f.write_text(text.replace("30.8 ", "30,8 ", 1), encoding="utf-8")
    with pytest.raises(IngestError, match=r"line \d+ \(A,PC,EL\d*\), column '2020': '30,8 '"):
        read_eurostat_tsv(f)
    (tmp_path / "empty.tsv").write_bytes(b"")
    with pytest.raises(IngestError, match="the file is empty"):
        read_eurostat_tsv(tmp_path / "empty.tsv")
    f.write_bytes(text.replace("EL", "ΕΛ").encode("cp1253"))
    with pytest.raises(IngestError, match=r"bad\.tsv, row 2: bytes b'\\xc5' .* not utf-8-sig text; it reads as cp1253"):
        read_eurostat_tsv(f)


def test_long_csv(bundle, tmp_path):
    c = read_eurostat_long_csv(bundle / "eurostat_gisco" / "EL_tgs00026_disposable_income_nuts2.csv")
    assert len(c) == 143 and c.set_index(["geo", "time"]).loc[("EL42", "2019"), "value"] == 14_800
    f = tmp_path / "dup.csv"
    lines = (bundle / "eurostat_gisco" / "EL_tgs00026_disposable_income_nuts2.csv").read_text().splitlines()
    f.write_text("\n".join([*lines, lines[1]]) + "\n")
    with pytest.raises(IngestError, match="repeated"):
        read_eurostat_long_csv(f)
    f.write_text(lines[0].replace('"values"', '"value_x"') + "\n" + "\n".join(lines[1:]))
    with pytest.raises(IngestError, match=r"\['values'\] are missing"):
        read_eurostat_long_csv(f)


def test_lfs_latest_year(bundle):
    lfs = read_lfs_status_regions(bundle / "elstat_lfs" / "A0101_SJO03_TS_AN_00_1981_00_2024_01_F_EN.xlsx")
    y = lfs[lfs["year"] == 2024].set_index("region")
    assert y.loc["Notio Aigaio", "nuts2"] == "EL42"
    assert y.loc["COUNTRY TOTAL", "unemployment_rate_pct"] == pytest.approx(10.089, abs=1e-3)
    assert lfs["year"].min() == 1981


def test_lfs_wrong_sheet(bundle):
    with pytest.raises(IngestError, match="no sheet 'STATUS'"):
        read_lfs_status_regions(
            bundle / "elstat_lfs" / "A0101_SJO03_TS_AN_00_1981_00_2024_01_F_EN.xlsx", sheet="STATUS"
        )


def test_nuts2_of_unknown_heading():
    with pytest.raises(IngestError, match="no Greek NUTS 2 region"):
        nuts2_of(pd.Series(["ΠΕΡΙΦΕΡΕΙΑ ΑΤΛΑΝΤΙΔΑΣ"]))


def test_lfs_quarterly_blocks(bundle):
    from spatial_poverty.ingest.lfs import read_lfs_quarterly

    q = read_lfs_quarterly(bundle / "elstat_lfs" / "A0101_SJO01_TS_QQ_01_2001_01_2025_2B_F_EN.xlsx")
    assert len(q) == 24 * 4 * 14 + 14  # 2001Q1-2024Q4 and 2025Q1, country + 13 regions
    r = q.set_index(["year", "quarter", "nuts2"])
    # The table's own percentages block (rounded to 0.1): 2001Q1 Greece 11.2, South Aegean 16.2.
    assert r.loc[(2001, 1, "EL"), "unemployment_rate_pct"] == pytest.approx(11.2, abs=0.05)
    assert r.loc[(2001, 1, "EL42"), "unemployment_rate_pct"] == pytest.approx(16.2, abs=0.05)
    assert set(q["nuts2"]) == {
        "EL",
        "EL30",
        "EL41",
        "EL42",
        "EL43",
        "EL51",
        "EL52",
        "EL53",
        "EL54",
        "EL61",
        "EL62",
        "EL63",
        "EL64",
        "EL65",
    }
