"""``spatial-poverty index build``: the pipeline's index on any file, as the command line and the QGIS provider
run it."""

from __future__ import annotations

import json
import sqlite3

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest

from spatial_poverty.cli.index import parse_indicator

from .conftest import run_cli

#: The published index's fields that the command reproduces exactly with the run's recipe and seed.
INDEX_FIELDS = ["score", "rank", "decile", "rank_p05", "rank_p50", "rank_p95", "p_worst_decile", "unreliable"]


def test_parse_indicator():
    assert parse_indicator("unemp") == {"column": "unemp", "direction": 1}
    assert parse_indicator("-income@income*2") == {"column": "income", "direction": -1, "domain": "income",
                                                   "weight": 2.0}  # fmt: skip
    with pytest.raises(Exception, match="expected"):
        parse_indicator("-@x")


@pytest.mark.slow
def test_index_build_reproduces_the_published_index(south_aegean_run, tmp_path):
    gpkg = south_aegean_run / "south_aegean.gpkg"
    seed = json.loads((south_aegean_run / "manifest.json").read_text())["seed"]
    spec = tmp_path / "imd.yaml"
    spec.write_text("index:\n  recipe: imd\n", encoding="utf-8")  # the South Aegean pipeline's index: section
    out = tmp_path / "index.gpkg"
    proc = run_cli("index", "build", str(gpkg), "--layer", "municipalities", "--id", "code", "--spec", str(spec),
                   "--seed", str(seed), "--out", str(out), "--style")  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    summary = json.loads(proc.stdout)
    mine = gpd.read_file(out, layer="deprivation_index").set_index("code")
    published = gpd.read_file(gpkg, layer="deprivation_index").set_index("code").loc[mine.index]
    pd.testing.assert_frame_equal(mine[INDEX_FIELDS], published[INDEX_FIELDS], check_exact=True)
    assert summary["most_deprived"] == list(published.sort_values("rank").index[:5])
    assert summary["uncertainty"]["runs"] == 300  # the recipe's, not the default
    con = sqlite3.connect(out)
    (qml,) = con.execute("SELECT styleQML FROM layer_styles WHERE f_table_name = 'deprivation_index'").fetchone()
    con.close()
    assert 'attr="score"' in qml and "LinePatternFill" in qml  # quantile classes, unreliable hatched


def test_index_build_from_indicators_and_its_errors(tmp_path):
    # A test-made table: five units, two indicators.
    src = tmp_path / "units.csv"
    pd.DataFrame(
        {"id": ["a", "b", "c", "d", "e"], "unemp": [5, 10, 15, 20, 25], "income": [50, 40, 30, 20, 10]}
    ).to_csv(src, index=False)
    out = tmp_path / "ix.csv"
    proc = run_cli("index", "build", str(src), "--id", "id", "--indicator", "unemp", "--indicator", "-income",
                   "--normalisation", "minmax", "--runs", "50", "--out", str(out))  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    table = pd.read_csv(out).set_index("id")
    assert table["rank"].to_dict() == {"e": 1, "d": 2, "c": 3, "b": 4, "a": 5}
    np.testing.assert_allclose(table.loc["e", "score"], 100.0)  # min-max: the most deprived on both at 100
    # Errors name the problem: an unknown column, a layer from a CSV, both spec and indicators, an output format.
    proc = run_cli("index", "build", str(src), "--id", "id", "--indicator", "rent", "--out", str(tmp_path / "x.csv"))
    assert proc.returncode in (3, 4) and "rent" in proc.stderr
    proc = run_cli("index", "build", str(src), "--id", "id", "--indicator", "unemp", "--out", str(tmp_path / "x.gpkg"))
    assert proc.returncode == 4 and "has no geometry" in proc.stderr
    proc = run_cli("index", "build", str(src), "--id", "id", "--indicator", "unemp", "--out", str(out))
    assert proc.returncode == 6  # exists, no --force
    proc = run_cli("index", "build", str(src), "--id", "id", "--out", str(tmp_path / "y.csv"))
    assert proc.returncode == 3 and "no indicator" in proc.stderr
