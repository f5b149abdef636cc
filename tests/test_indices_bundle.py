"""The shipped recipes on real data, and the index stage of a pipeline run end to end.

Until the national table carries the 2001 census variables on 2021 units, the recipes are run on the lctools
GeoPackage of the bundle directly (325 municipalities, 2011 Kallikratis units, ELSTAT 2011 codes), with its
fields renamed to the national table's column names, so the recipes run unchanged on it later. ``density`` here
is the 2001 population over the polygon area (the national table's is 2021's).
"""

from __future__ import annotations

import json

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import pytest
import yaml

from spatial_poverty.indices import load_recipe, run_index

from .conftest import pipeline_copy, run_cli

pytestmark = pytest.mark.bundle

RUNS = 100  # Monte Carlo runs in these tests (the recipes ship with 300)


@pytest.fixture(scope="module")
def lctools(bundle) -> gpd.GeoDataFrame:
    g = gpd.read_file(bundle / "lctools_2001" / "GR_Municipalities_lctools.gpkg")
    frame = gpd.GeoDataFrame(
        {
            "name_el": g["Name"].to_numpy(),
            "unemp_2001": g["UnemrT01"].to_numpy(),
            "unemp_2001_m": g["UnemrM01"].to_numpy(),
            "unemp_2001_f": g["UnemrF01"].to_numpy(),
            "primary_2001": g["PrSect01"].to_numpy(),
            "foreign_2001": g["Foreig01"].to_numpy(),
            "income_2001": g["Income01"].to_numpy(),
            "density": (g["PopTot01"] / (g.geometry.area / 1e6)).to_numpy(),
        },
        geometry=g.geometry.to_numpy(),
        crs=g.crs,
        index=pd.Index(g["CodeELSTAT"].astype(str).str.zfill(4), name="code"),
    )
    assert len(frame) == 325 and frame.index.is_unique
    return frame


@pytest.mark.parametrize("recipe", ["townsend", "imd", "sovi"])
def test_recipe_on_the_2001_census(recipe, lctools, tmp_path):
    spec = load_recipe(recipe, uncertainty={**load_recipe(recipe).uncertainty.model_dump(), "runs": RUNS})
    st = run_index(spec, lctools, tmp_path, seed=2001)
    t = st.table
    assert len(t) == 325 and set(t.index) == set(lctools.index)
    assert t["rank"].min() == 1 and t["rank"].max() == 325 and t["decile"].value_counts().min() >= 32
    assert np.isfinite(t["score"]).all()
    width = t["rank_p95"] - t["rank_p05"]
    assert (width > 0).mean() > 0.9, "rank bands of non-zero width"
    assert ((t["rank_p05"] <= t["rank_p50"]) & (t["rank_p50"] <= t["rank_p95"])).all()
    # Each unit is in the worst decile in about 10% of runs on average.
    assert t["p_worst_decile"].mean() == pytest.approx(0.1, abs=0.01)
    # The index points to deprivation: up with unemployment, down with income.
    assert np.corrcoef(t["score"], lctools.loc[t.index, "unemp_2001_m"])[0, 1] > 0.2
    assert np.corrcoef(t["score"], lctools.loc[t.index, "income_2001"])[0, 1] < -0.2
    assert st.report["uncertainty"]["first_order_sensitivity"]
    (tmp_path / "again").mkdir()
    again = run_index(spec, lctools, tmp_path / "again", seed=2001)
    for p, q in zip(st.files, again.files, strict=True):
        assert p.read_bytes() == q.read_bytes(), f"{p.name} differs between two runs with the same seed"


def test_imd_recipe_treats_outliers_and_reports_diagnostics(lctools, tmp_path):
    spec = load_recipe("imd", uncertainty={"runs": 20})
    st = run_index(spec, lctools, tmp_path, seed=1)
    out = st.report["outliers"]
    # Recorded on this data: density is too skewed for 5 winsorisations (skew 3.38, kurtosis 11.8) -> log;
    # male unemployment passes after one point.
    assert out["density"]["treatment"] == "log"
    assert out["unemp_2001_m"]["treatment"] == "winsorised" and out["unemp_2001_m"]["n_winsorised"] == 1
    assert out["primary_2001"]["treatment"] == "none"
    alpha = st.report["diagnostics"]["cronbach_alpha"]
    assert 0.8 < alpha["employment"] < 0.9  # male and female unemployment measure one thing
    assert set(st.table.columns) >= {f"{d}_score" for d in spec.domains}
    assert st.table["score"].between(0, 100).all()


SECTION = {
    "index": {
        "title_el": "Δείκτης δημογραφικής συρρίκνωσης και απομόνωσης (δοκιμή)",
        "indicators": [
            {"column": "pop_change_pct", "direction": -1, "domain": "demography"},
            {"column": "density", "direction": -1, "domain": "remoteness"},
        ],
        "outliers": {"method": "jrc"},
        "normalisation": {"method": "zscore"},
        "aggregation": {"across_domains": "imd_exponential"},
        "uncertainty": {"runs": 60, "normalisations": ["zscore", "rank"], "aggregations": ["arithmetic"]},
    }
}


@pytest.mark.slow
@pytest.mark.parametrize(("name", "n"), [("south_aegean", 34), ("central_macedonia", 38)])
def test_pipeline_publishes_the_index_layer(name, n, raw_dir, tmp_path):
    """The regional pipelines with a test-built index section on the indicators they carry today."""
    published = []
    for run in ("first", "second") if name == "south_aegean" else ("first",):
        work = tmp_path / run
        work.mkdir()
        cfg = pipeline_copy(name, raw_dir, work / "processed", work, lean=True)
        text = cfg.read_text(encoding="utf-8") + yaml.safe_dump(SECTION, allow_unicode=True, sort_keys=False)
        cfg.write_text(text, encoding="utf-8")
        proc = run_cli("run", str(cfg))
        assert proc.returncode == 0, proc.stderr
        published.append(work / "processed" / name)
    first, second = published[0], published[-1]
    layer = gpd.read_file(first / f"{name}.gpkg", layer="deprivation_index")
    assert len(layer) == n and layer.crs.to_epsg() == 2100
    for col in ("code", "score", "rank", "decile", "demography_score", "remoteness_score"):
        assert col in layer.columns
    for col in ("rank_p05", "rank_p50", "rank_p95", "p_worst_decile"):
        assert col in layer.columns
    assert layer["code"].str.fullmatch(r"\d{4}").all()
    expected_rank = layer["score"].rank(ascending=False, method="min").astype(int)
    assert layer["rank"].tolist() == expected_rank.tolist() and layer["rank"].min() == 1
    assert ((layer["rank_p95"] - layer["rank_p05"]) > 0).any()
    if second != first:  # South Aegean: a second run with the same seed gives identical files
        for f in ("deprivation_index.csv", "deprivation_index.xlsx"):
            assert (first / f).read_bytes() == (second / f).read_bytes(), f
        again = gpd.read_file(second / f"{name}.gpkg", layer="deprivation_index")
        pd.testing.assert_frame_equal(layer, again)
    manifest = json.loads((first / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["layers"]["deprivation_index"] == n
    assert manifest["index"]["uncertainty"]["runs"] == 60
    assert {o["path"] for o in manifest["outputs"]} >= {"deprivation_index.csv", "deprivation_index.xlsx"}


@pytest.mark.slow
def test_recipe_on_a_table_without_its_columns_stops_before_publishing(raw_dir, tmp_path):
    """Without the national sources (no 2001 census columns), a recipe names what is missing (exit 3)."""
    cfg = pipeline_copy("south_aegean", raw_dir, tmp_path / "processed", tmp_path, lean=True)
    cfg.write_text(cfg.read_text(encoding="utf-8") + "index:\n  recipe: imd\n", encoding="utf-8")
    proc = run_cli("run", str(cfg))
    assert proc.returncode == 3, proc.stderr
    assert "['income_2001', 'unemp_2001_m', 'unemp_2001_f', 'primary_2001'] are not in the municipalities" in (
        proc.stderr
    )
    assert not (tmp_path / "processed" / "south_aegean").exists()


@pytest.mark.slow
def test_central_macedonia_pipeline_publishes_the_imd_index(central_macedonia_run):
    """pipelines/central_macedonia.yaml as shipped: the IMD recipe on the national columns, all 38 municipalities
    ranked with their Monte Carlo rank bands."""
    out = central_macedonia_run
    layer = gpd.read_file(out / "central_macedonia.gpkg", layer="deprivation_index")
    assert len(layer) == 38 and layer["code"].str.fullmatch(r"\d{4}").all()
    assert sorted(layer["rank"]) == list(range(1, 39))
    width = layer["rank_p95"] - layer["rank_p05"]
    assert (width >= 0).all() and (width > 0).sum() >= 34
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["index"]["spec"]["name"] == "deprivation_index" and manifest["index"]["units"] == 38
    assert {"deprivation_index.csv", "deprivation_index.xlsx"} <= {p.name for p in out.iterdir()}
    # issue 15: hot spots of deprivation, and deprivation against access
    names = {str(n) for n in pyogrio.list_layers(out / "central_macedonia.gpkg")[:, 0]}
    assert {
        "lisa_deprivation_index",
        "gistar_deprivation_index",
        "bilisa_deprivation_index_vs_nearest_min_mean",
    } <= names
