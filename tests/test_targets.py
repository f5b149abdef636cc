"""Target monitoring: the schema of pipelines/targets/*.yaml, the series readers, progress and status."""

from __future__ import annotations

import textwrap
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from spatial_poverty.errors import ConfigError, IngestError
from spatial_poverty.maps.static import save_figure
from spatial_poverty.targets import (
    INDICATORS,
    evaluate_targets,
    load_targets,
    read_series,
    target_sources,
    targets_chart,
)
from spatial_poverty.targets.series import read_eurostat_tsv, read_lfs_unemployment_rate, read_national_arope

ROOT = Path(__file__).resolve().parents[1]
SOUTH_AEGEAN = ROOT / "pipelines" / "targets" / "south_aegean.yaml"
RTOL = 1e-12


def _write(tmp_path: Path, text: str) -> Path:
    p = tmp_path / "targets.yaml"
    p.write_text(textwrap.dedent(text), encoding="utf-8")
    return p


GOOD = """
region: EL42
title: Τεστ
targets:
  - id: a
    indicator: arope
    area: EL42
    baseline: {year: 2018, value: 35.9}
    target: {year: 2030, value: 27.9}
    direction: decrease
    source: fixture
"""


def test_every_targets_file_is_valid():
    files = sorted((ROOT / "pipelines" / "targets").glob("*.yaml"))
    assert SOUTH_AEGEAN in files
    for f in files:
        t = load_targets(f)
        assert t.targets and len(t.sha256) == 64
        assert all(t.source for t in t.targets)


def test_unknown_key_names_the_allowed_ones(tmp_path):
    p = _write(tmp_path, GOOD.replace("    direction: decrease", "    direction: decrease\n    diretion: x"))
    with pytest.raises(ConfigError, match=r"unknown key 'targets\.0\.diretion'; allowed here: id, indicator, area"):
        load_targets(p)
    p = _write(tmp_path, GOOD + "colour: red\n")
    with pytest.raises(ConfigError, match=r"unknown key 'colour'; allowed here: region, title, document, targets"):
        load_targets(p)
    p = _write(tmp_path, GOOD.replace("{year: 2018, value: 35.9}", "{year: 2018, value: 35.9, unit: x}"))
    with pytest.raises(ConfigError, match=r"unknown key 'targets\.0\.baseline\.unit'; allowed here: year, value"):
        load_targets(p)


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ("indicator: arope", "indicator: poverty", r"unknown indicator 'poverty'; allowed: arope, unemployment_rate"),
        ("value: 27.9", "value: 40.0", r"direction 'decrease' needs a target value below the baseline"),
        ("year: 2030", "year: 2017", r"target year needs to be after the baseline year"),
        ("area: EL42", "area: Notio Aigaio", r"targets\.0\.area"),
        ("region: EL42", "region: EL99", r"unknown NUTS 2 code 'EL99'"),
        ("    source: fixture\n", "", r"key 'targets\.0\.source' is required"),
    ],
)
def test_bad_values_are_refused(tmp_path, old, new, message):
    with pytest.raises(ConfigError, match=message):
        load_targets(_write(tmp_path, GOOD.replace(old, new)))


def test_duplicate_ids_and_missing_file(tmp_path):
    body = GOOD.split("targets:\n")[1]
    with pytest.raises(ConfigError, match=r"\['a'\] appear more than once"):
        load_targets(_write(tmp_path, GOOD + body))
    with pytest.raises(ConfigError, match="does not exist"):
        load_targets(tmp_path / "nope.yaml")


@pytest.fixture
def four(tmp_path) -> tuple:
    """Fixture (self-built): four targets on made-up series, one per status."""
    text = """
    region: EL42
    title: fixture
    targets:
      - {id: reached, indicator: arope, area: EL42, baseline: {year: 2010, value: 30}, target: {year: 2020, value: 20},
         direction: decrease, source: fixture}
      - {id: on_track, indicator: arope, area: EL41, baseline: {year: 2010, value: 30}, target: {year: 2020, value: 20},
         direction: decrease, source: fixture}
      - {id: off_track, indicator: unemployment_rate, area: EL42, baseline: {year: 2010, value: 50},
         target: {year: 2030, value: 70}, direction: increase, source: fixture}
      - {id: no_data, indicator: arope, area: EL43, baseline: {year: 2010, value: 30}, target: {year: 2020, value: 20},
         direction: decrease, source: fixture}
    """
    targets = load_targets(_write(tmp_path, text))
    arope = pd.DataFrame(
        {
            "geo": ["EL42", "EL42", "EL41", "EL41", "EL41", "EL43"],
            "year": [2010, 2019, 2010, 2014, 2025, 2010],
            "value": [30.0, 19.5, 30.1, 25.0, 10.0, 30.0],
            "flag": [""] * 6,
        }
    )
    unemployment = pd.DataFrame({"geo": ["EL42"] * 2, "year": [2010, 2020], "value": [50.0, 52.0], "flag": ["", ""]})
    series = {
        INDICATORS["arope"].source_for("EL42")[0]: arope,
        INDICATORS["unemployment_rate"].source_for("EL42")[0]: unemployment,
    }
    return targets, series


def test_progress_share_and_status(four, caplog):
    targets, series = four
    with caplog.at_level("WARNING"):
        table = evaluate_targets(targets, series)
    assert list(table.index) == ["reached", "on_track", "off_track", "no_data"]
    assert dict(table["status"]) == {
        "reached": "reached",
        "on_track": "on track",
        "off_track": "off track",
        "no_data": "no data",
    }
    r = table.loc["reached"]
    assert r["latest_year"] == 2019 and r["progress_share"] == pytest.approx((19.5 - 30) / (20 - 30), rel=RTOL)
    assert r["expected_share"] == pytest.approx(0.9, rel=RTOL)
    # The 2025 value lies after the target year: the latest value used is 2014's.
    o = table.loc["on_track"]
    assert o["latest_year"] == 2014 and o["progress_share"] == pytest.approx(0.5, rel=RTOL)
    assert o["expected_share"] == pytest.approx(0.4, rel=RTOL)
    assert o["baseline_in_source"] == 30.1 and "differs from the source's 30.1" in caplog.text
    f = table.loc["off_track"]
    assert f["progress_share"] == pytest.approx(0.1, rel=RTOL) and f["expected_share"] == pytest.approx(0.5)
    n = table.loc["no_data"]
    assert pd.isna(n["latest_value"]) and pd.isna(n["progress_share"]) and n["status_el"] == "χωρίς στοιχεία"
    fig = targets_chart(table)
    assert len(fig.axes[0].patches) >= 4


def test_eurostat_tsv_reader(tmp_path):
    p = tmp_path / "x.tsv"
    p.write_text(
        "unit,geo\\time\t2016 \t2015 \t2014 \nPC_POP,EL42\t: \t30.8 b\t29.1 \nTHS,EL42\t1 \t2 \t3 \n",
        encoding="utf-8",
    )
    t = read_eurostat_tsv(p, unit="PC_POP")
    assert list(t.itertuples(index=False, name=None)) == [("EL42", 2015, 30.8, "b"), ("EL42", 2014, 29.1, "")]
    p.write_text("unit,geo\\time\t2016 \nPC_POP,EL42\t3O.8 \n", encoding="utf-8")
    with pytest.raises(IngestError, match=r"x\.tsv: 1 cell.*line 2 \(PC_POP,EL42\), column '2016': '3O\.8 '"):
        read_eurostat_tsv(p, unit="PC_POP")


@pytest.mark.bundle
def test_real_series(bundle):
    peps = read_eurostat_tsv(bundle / "eurostat_regional" / "ilc_peps11_EL_2003_2020.tsv", unit="PC")
    el42 = peps[peps["geo"] == "EL42"].set_index("year")["value"]
    assert el42.to_dict() == {2018: 35.9, 2019: 34.5, 2020: 30.8}  # Eurostat ilc_peps11, NUTS 2 only 2018-2020
    nat = read_national_arope(bundle / "eurostat_arope" / "EL_arope_combined_2003_2025.csv").set_index("year")
    assert nat.loc[2019, "value"] == 30.0 and nat.loc[2025, "value"] == 27.5 and nat.loc[2021, "flag"] == "b"
    lfs_path = bundle / "elstat_lfs" / "A0101_SJO03_TS_AN_00_1981_00_2024_01_F_EN.xlsx"
    lfs = read_lfs_unemployment_rate(lfs_path)
    sa = lfs[lfs["geo"] == "EL42"].set_index("year")["value"]
    assert sa[2019] == pytest.approx(13.7, abs=1e-9) and sa[2008] == pytest.approx(8.3364, abs=1e-4)
    # The rate is the unemployed over the labour force of the same table (2024: 14.805505 / 151.087692 thousand).
    assert sa[2024] == pytest.approx(100 * 14.805505 / 151.087692, rel=1e-6)
    nuts2 = {"EL30", "EL41", "EL42", "EL43", *(f"EL5{i}" for i in range(1, 5)), *(f"EL6{i}" for i in range(1, 6))}
    assert set(lfs["geo"]) == {"EL", *nuts2}
    assert lfs["year"].min() == 1988 and lfs["year"].max() == 2024


@pytest.mark.bundle
def test_south_aegean_targets_on_real_data(bundle, tmp_path):
    targets = load_targets(SOUTH_AEGEAN)
    paths = {
        "eurostat_arope_greece_national": bundle / "eurostat_arope" / "EL_arope_combined_2003_2025.csv",
        "eurostat_ilc_peps11_el_2003_2020": bundle / "eurostat_regional" / "ilc_peps11_EL_2003_2020.tsv",
        "elstat_lfs_annual_nuts2_population_status": bundle
        / "elstat_lfs"
        / "A0101_SJO03_TS_AN_00_1981_00_2024_01_F_EN.xlsx",
    }
    assert target_sources(targets) == sorted(paths)
    table = evaluate_targets(targets, read_series(targets, paths))
    # Every stated baseline is the published value.
    np.testing.assert_allclose(table["baseline_in_source"], table["baseline_value"], atol=0.05)
    assert dict(table["status"]) == {"arope_el42": "on track", "arope_el": "off track", "unemployment_el42": "on track"}
    assert table.loc["arope_el42", "progress_share"] == pytest.approx((35.9 - 30.8) / 8.0, rel=RTOL)
    assert table.loc["arope_el", "progress_share"] == pytest.approx(2.5 / 8.0, rel=RTOL)
    assert table.loc["arope_el", "latest_year"] == 2025
    files = save_figure(targets_chart(table), tmp_path / "targets")
    assert all(f.stat().st_size > 1000 for f in files)
