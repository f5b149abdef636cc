"""End to end: the South Aegean pipeline on the real bundle, through the CLI, twice."""

from __future__ import annotations

import json
import re
import subprocess
import sys

import esda
import geopandas as gpd
import numpy as np
import pandas as pd
import pytest

from spatial_poverty.pipeline import load_config
from spatial_poverty.stats import GlobalMoran, build_weights

from .conftest import TARGET_SOURCES, pipeline_copy, run_cli

pytestmark = pytest.mark.slow

RTOL = 1e-10


def test_published_folder(south_aegean_run):
    assert sorted(p.name for p in south_aegean_run.iterdir()) == [
        "deprivation_index.csv",
        "deprivation_index.xlsx",
        "figures",
        "history",
        "manifest.json",
        "map.html",
        "quality.csv",
        "quality.html",
        "quality.xlsx",
        "report.html",
        "run.log",
        "services_issues.csv",
        "services_issues.xlsx",
        "south_aegean.gpkg",
        "targets.csv",
        "targets.xlsx",
    ]


def test_municipalities_layer_has_elstat_totals(south_aegean_run):
    m = gpd.read_file(south_aegean_run / "south_aegean.gpkg", layer="municipalities")
    assert len(m) == 34
    assert m.crs.to_epsg() == 2100
    assert int(m["pop_2021"].sum()) == 327_820 and int(m["pop_2011"].sum()) == 309_015
    for col in (
        "code",
        "name_el",
        "name_en",
        "pop_2011",
        "pop_2021",
        "pop_change_pct",
        "density",
        "area_km2",
    ):
        assert col in m.columns, col
    assert m["code"].str.fullmatch(r"\d{4}").all()
    syros = m.set_index("code").loc["5801"]
    assert syros["pop_change_pct"] == pytest.approx(100 * (21124 - 21507) / 21507, rel=RTOL)


def test_lisa_layers(south_aegean_run):
    for var in ("pop_change_pct", "density"):
        lisa = gpd.read_file(south_aegean_run / "south_aegean.gpkg", layer=f"lisa_{var}")
        assert len(lisa) == 34
        assert set(lisa["cluster"]) <= {"High-High", "Low-Low", "High-Low", "Low-High", "not significant"}
        assert ((lisa["p_sim"] >= 1 / 1000) & (lisa["p_sim"] <= 1)).all()
        # statistics.significance: q (the pipeline's correction bh): significant means q_sim <= alpha
        sig = lisa["q_sim"] <= 0.05
        assert (lisa["significant"].astype(bool) == sig).all()
        assert (lisa.loc[~sig, "cluster"] == "not significant").all()


def test_gistar_layers_on_the_island_aware_weights(south_aegean_run):
    man = json.loads((south_aegean_run / "manifest.json").read_text(encoding="utf-8"))
    for var in ("pop_change_pct", "density"):
        gi = gpd.read_file(south_aegean_run / "south_aegean.gpkg", layer=f"gistar_{var}")
        assert len(gi) == 34 and gi["code"].str.fullmatch(r"\d{4}").all()
        assert {"value", "gi_z", "gi_p", "gi_bin", "gi_p_sim", "gi_q"} <= set(gi.columns)
        assert gi["gi_z"].notna().all()  # every island has neighbours under the knn policy
        # the levels of the adjusted permutation p-value gi_q (significance q), as ArcGIS's FDR option
        expected_bin = np.sign(gi["gi_z"]) * np.select(
            [gi["gi_q"] < 0.01, gi["gi_q"] < 0.05, gi["gi_q"] < 0.10], [3, 2, 1], default=0
        )
        assert (gi["gi_bin"] == expected_bin).all()
        assert (gi["significant"].astype(bool) == (gi["gi_q"] <= 0.05)).all()
        bins = gi["gi_bin"].value_counts()
        assert man["statistics"][var]["gistar_bins"] == {str(b): int(bins.get(b, 0)) for b in range(-3, 4)}
        lisa = gpd.read_file(south_aegean_run / "south_aegean.gpkg", layer=f"lisa_{var}")
        inference = man["statistics"][var]["inference"]
        assert inference == {
            "alternative": "two-sided",
            "correction": "bh",
            "alpha": 0.05,
            "significance": "q",
            "lisa_passing": {"p": int((lisa["p_sim"] <= 0.05).sum()), "q": int((lisa["q_sim"] <= 0.05).sum())},
            "gistar_passing": {"p": int((gi["gi_p"] <= 0.05).sum()), "q": int((gi["gi_q"] <= 0.05).sum())},
        }
        assert (lisa["q_sim"] >= lisa["p_sim"]).all()


def test_significance_follows_the_configured_correction(south_aegean_run):
    """Every unit called significant in every lisa_* and gistar_* layer has q_sim (gi_q) <= alpha, and the
    report names the rule and how many units pass under the other one."""
    import pyogrio

    gpkg = south_aegean_run / "south_aegean.gpkg"
    layers = [str(n) for n in pyogrio.list_layers(gpkg)[:, 0] if str(n).startswith(("lisa_", "gistar_", "bilisa_"))]
    assert len(layers) == 11  # five variables, LISA and Gi* each, and one bivariate pair
    for name in layers:
        frame = gpd.read_file(gpkg, layer=name)
        q = frame["gi_q" if name.startswith("gistar_") else "q_sim"]
        assert (q[frame["significant"].astype(bool)] <= 0.05).all(), name
        if name.startswith("gistar_"):
            assert (q[frame["gi_bin"].abs() >= 2] <= 0.05).all(), name
    man = json.loads((south_aegean_run / "manifest.json").read_text(encoding="utf-8"))
    report = (south_aegean_run / "report.html").read_text(encoding="utf-8")
    assert "Σημαντικός είναι ένας δήμος με q ≤ 0,05" in report and "Benjamini-Hochberg" in report
    for var in ("pop_change_pct", "density"):
        n = man["statistics"][var]["inference"]["lisa_passing"]
        assert f"LISA {n['q']} δήμοι (p ≤ 0,05: {n['p']})" in report


def test_weights_report_in_manifest_and_log(south_aegean_run):
    man = json.loads((south_aegean_run / "manifest.json").read_text(encoding="utf-8"))
    w = man["weights"]
    assert w["kind"] == "queen" and w["island_policy"] == "knn" and w["k"] == 3
    assert len(w["isolates_contiguity"]) > 0 and w["symmetrised"] == 0  # contiguity is symmetric already
    assert w["links_added"] and w["isolates"] == [] and w["n_components"] == 1 and w["component_sizes"] == [34]
    log = (south_aegean_run / "run.log").read_text(encoding="utf-8")
    line = next(ln for ln in log.splitlines() if "weights report: " in ln)
    assert json.loads(line.split("weights report: ", 1)[1]) == w
    assert "island policy 'knn' (k=3) added" in log


def test_gdal_validator_passes(south_aegean_run):
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "osgeo_utils.samples.validate_gpkg",
            str(south_aegean_run / "south_aegean.gpkg"),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_map_needs_no_network(south_aegean_run):
    page = (south_aegean_run / "map.html").read_text(encoding="utf-8")
    assert not re.search(r"<script[^>]+src=[\"']?(https?:)?//", page, re.IGNORECASE)
    assert not re.search(r"<link[^>]+href=[\"']?(https?:)?//", page, re.IGNORECASE)
    assert "L.map(" in page


def test_manifest(south_aegean_run):
    man = json.loads((south_aegean_run / "manifest.json").read_text(encoding="utf-8"))
    assert man["seed"] == 20211 and man["pipeline"] == "south_aegean"
    assert {i["id"] for i in man["inputs"]} == set(man["config"]["sources"].values()) | set(TARGET_SOURCES)
    assert all(len(i["sha256"]) == 64 for i in man["inputs"])
    assert len({i["id"] for i in man["inputs"]}) == len(man["inputs"])  # each input listed once
    assert man["counts"] == {"municipalities": 34, "pop_2011": 309_015, "pop_2021": 327_820}
    assert man["weights"]["isolates_contiguity"] and man["weights"]["isolates"] == []
    assert man["weights"]["n_components"] == 1
    # Issue 16: the timings cover the whole run, the static maps, the map and the report included; issue 19: one
    # timing per declared stage, each recomputed in a first run (its own cache folder).
    stages = {"ingest", "harmonise", "weights", "statistics", "export", "map", "maps", "targets", "report"}
    assert set(man["timings_s"]) >= stages | {"verify inputs", "between stages"}
    assert {s["status"] for s in man["stages"].values()} == {"recomputed"} and man["partial"] is False
    assert sum(man["timings_s"].values()) == pytest.approx(man["elapsed_s"], abs=0.02)
    assert man["timings_s"]["between stages"] < 0.1 * man["elapsed_s"]
    assert {"numpy", "libpysal", "esda", "gdal"} <= set(man["versions"])
    assert {o["path"] for o in man["outputs"] if "/" not in o["path"]} == {
        "deprivation_index.csv",
        "deprivation_index.xlsx",
        "south_aegean.gpkg",
        "map.html",
        "quality.csv",
        "quality.html",
        "quality.xlsx",
        "report.html",
        "run.log",
        "services_issues.csv",
        "services_issues.xlsx",
        "targets.csv",
        "targets.xlsx",
    }
    figures = {o["path"] for o in man["outputs"] if o["path"].startswith("figures/")}
    assert {"figures/choropleth_density.png", "figures/lisa_density.pdf", "figures/moran_density.png"} <= figures
    assert man["excluded"][0]["code"] == "9901"
    log = (south_aegean_run / "run.log").read_text(encoding="utf-8")
    assert "left out 9901" in log


def test_dry_run_plan_is_what_the_run_published(south_aegean_run, raw_dir, tmp_path):
    """Issue 16: ``--dry-run`` lists every input, layer, figure and file; here its plan is compared with the
    manifest of the real run of the same configuration."""
    from spatial_poverty.ingest import load_catalogue
    from spatial_poverty.pipeline import run_plan

    man = json.loads((south_aegean_run / "manifest.json").read_text(encoding="utf-8"))
    cfg = load_config(pipeline_copy("south_aegean", raw_dir, tmp_path / "processed", tmp_path))
    plan = run_plan(cfg, load_catalogue(cfg.resolve(cfg.paths.catalogue)))
    # the run's history record(s) aside: their number depends on the runs before
    published = [o["path"] for o in man["outputs"] if not o["path"].startswith("history/")]
    assert len(published) == len(man["outputs"]) - 1  # this first run's own record
    assert set(plan.files) == set(published) | {"manifest.json"}
    assert len(plan.files) == len(published) + 1
    assert plan.layers == list(man["layers"])
    assert plan.figures == list(man["figures"])
    catalogued = [key for key, _ in plan.inputs if "." not in key]
    assert catalogued == [i["id"] for i in man["inputs"]]
    assert ("report.targets", cfg.resolve(cfg.report.targets)) in plan.inputs
    proc = run_cli("run", str(cfg.config_file), "--dry-run")
    assert proc.returncode == 0, proc.stderr
    for name in [*plan.files, *plan.layers, *(str(p) for _, p in plan.inputs)]:
        assert name in proc.stdout


def test_global_moran_equals_esda_on_the_same_graph(south_aegean_run, raw_dir, tmp_path):
    cfg = load_config(pipeline_copy("south_aegean", raw_dir, tmp_path, tmp_path))
    m = gpd.read_file(south_aegean_run / "south_aegean.gpkg", layer="municipalities").set_index("code")
    graph, _ = build_weights(
        m, contiguity=cfg.weights.contiguity, island_policy=cfg.weights.island_policy, k=cfg.weights.k
    )
    man = json.loads((south_aegean_run / "manifest.json").read_text(encoding="utf-8"))
    for var in cfg.statistics.variables:
        # the analysed values, as published with each LISA layer (the index and access variables live there)
        m[var] = gpd.read_file(south_aegean_run / "south_aegean.gpkg", layer=f"lisa_{var}").set_index("code")["value"]
        ours = GlobalMoran(m[var], graph, seed=cfg.seed)
        theirs = esda.Moran(m[var].reindex(graph.unique_ids).to_numpy(), graph.to_W(), permutations=0)
        assert ours.I == pytest.approx(theirs.I, rel=RTOL)
        assert ours.z_norm == pytest.approx(theirs.z_norm, rel=RTOL)
        assert man["statistics"][var]["global_moran"]["I"] == pytest.approx(theirs.I, rel=RTOL)
        assert man["statistics"][var]["global_moran"]["p_sim"] == ours.p_sim


def test_second_run_gives_the_same_numbers(south_aegean_run, raw_dir, tmp_path):
    cfg = pipeline_copy("south_aegean", raw_dir, tmp_path / "processed", tmp_path)
    proc = run_cli("run", str(cfg))
    assert proc.returncode == 0, proc.stderr
    second = tmp_path / "processed" / "south_aegean"
    layers = ("municipalities", "deprivation_index", "code_crosswalk", "field_provenance")
    layers += ("lisa_pop_change_pct", "lisa_density", "gistar_pop_change_pct", "gistar_density")
    for layer in layers:
        a = gpd.read_file(south_aegean_run / "south_aegean.gpkg", layer=layer)
        b = gpd.read_file(second / "south_aegean.gpkg", layer=layer)
        pd.testing.assert_frame_equal(
            pd.DataFrame(a.drop(columns="geometry", errors="ignore")),
            pd.DataFrame(b.drop(columns="geometry", errors="ignore")),
            check_exact=True,
        )
        if "geometry" in a:
            assert list(a.geometry.to_wkb()) == list(b.geometry.to_wkb())
    # The GeoPackage records the config (whose paths differ here); test_publication runs one config twice.
    for name in ("deprivation_index.csv", "deprivation_index.xlsx", "map.html", "targets.csv"):
        assert (south_aegean_run / name).read_bytes() == (second / name).read_bytes(), name
    m1 = json.loads((south_aegean_run / "manifest.json").read_text(encoding="utf-8"))
    m2 = json.loads((second / "manifest.json").read_text(encoding="utf-8"))
    assert m1["statistics"] == m2["statistics"] and m1["weights"] == m2["weights"]
    assert m1["run_id"] != m2["run_id"]
    np.testing.assert_array_equal(sorted(m1["counts"].values()), sorted(m2["counts"].values()))


def test_targets_table(south_aegean_run):
    table = pd.read_csv(south_aegean_run / "targets.csv", dtype={"id": str})
    assert list(table["id"]) == ["arope_el42", "arope_el", "unemployment_el42"]
    assert set(table["status"]) <= {"reached", "on track", "off track", "no data"}
    assert table.set_index("id").loc["arope_el42", "latest_value"] == 30.8
    man = json.loads((south_aegean_run / "manifest.json").read_text(encoding="utf-8"))
    assert man["targets"]["status"] == dict(zip(table["id"], table["status"], strict=True))
    assert (south_aegean_run / "figures" / "targets.png").is_file()


def test_deprivation_index_on_the_national_columns(south_aegean_run):
    """The IMD recipe on the 2001 census variables carried to 2021 units: every municipality ranked, with its
    Monte Carlo rank band."""
    index = gpd.read_file(south_aegean_run / "south_aegean.gpkg", layer="deprivation_index")
    m = gpd.read_file(south_aegean_run / "south_aegean.gpkg", layer="municipalities")
    assert len(index) == 34 and set(index["code"]) == set(m["code"]) and index.crs.to_epsg() == 2100
    assert sorted(index["rank"]) == list(range(1, 35))  # no ties on these data
    for domain in ("income", "employment", "economic_structure", "access"):
        assert index[f"{domain}_score"].notna().all(), domain
    width = index["rank_p95"] - index["rank_p05"]
    assert (width >= 0).all() and (index["rank_p05"] <= index["rank_p50"]).all()
    assert (width > 0).sum() >= 30 and width.mean() > 2  # the ranks move under other reasonable choices
    assert index["p_worst_decile"].between(0, 1).all()
    # Hatched in QGIS: a rank band over a fifth of the 34 units (no value is imputed on these data).
    assert index["unreliable"].tolist() == (width > 0.2 * 34).tolist()
    for col in ("unemp_2001", "income_2001", "primary_2001", "pop_2001", "nuts2", "arope_rate"):
        assert m[col].notna().all(), col
    assert set(m["nuts2"]) == {"EL42"}
    table = pd.read_csv(south_aegean_run / "deprivation_index.csv", dtype=str, encoding="utf-8-sig")
    assert len(table) == 34 and "Κατάταξη (1 = πιο αποστερημένος)" in table.columns


def test_hot_spots_of_deprivation_and_the_bivariate_layer(south_aegean_run):
    """Issue 15: the shipped pipeline analyses the deprivation index first, unemployment and access, with
    population change and density as context, and deprivation against access; each layer styled, in the report
    and in the map."""
    import sqlite3

    import pyogrio

    gpkg = south_aegean_run / "south_aegean.gpkg"
    names = [str(n) for n in pyogrio.list_layers(gpkg)[:, 0]]
    wanted = ["lisa_deprivation_index", "gistar_deprivation_index", "bilisa_deprivation_index_vs_nearest_min_mean"]
    assert set(wanted) <= set(names)
    index = gpd.read_file(gpkg, layer="deprivation_index").set_index("code")
    lisa = gpd.read_file(gpkg, layer="lisa_deprivation_index").set_index("code")
    np.testing.assert_allclose(lisa["value"], index.loc[lisa.index, "score"], rtol=RTOL)
    bi = gpd.read_file(gpkg, layer="bilisa_deprivation_index_vs_nearest_min_mean").set_index("code")
    access = gpd.read_file(gpkg, layer="municipal_access").set_index("code")
    np.testing.assert_allclose(bi["value_y"], access.loc[bi.index, "nearest_min_mean"], rtol=RTOL)
    assert (bi.loc[bi["significant"].astype(bool), "q_sim"] <= 0.05).all()
    with sqlite3.connect(gpkg) as con:
        styled = {r[0] for r in con.execute("SELECT f_table_name FROM layer_styles")}
    assert set(wanted) <= styled
    man = json.loads((south_aegean_run / "manifest.json").read_text(encoding="utf-8"))
    assert next(iter(man["statistics"])) == "deprivation_index"
    summary = man["bivariate"]["bilisa_deprivation_index_vs_nearest_min_mean"]
    assert summary["clusters"] == bi["cluster"].value_counts().to_dict()
    report = (south_aegean_run / "report.html").read_text(encoding="utf-8")
    assert report.index("LISA 0 δήμοι") > 0 and "Δισδιάστατες συστάδες" in report
    first = report.index("Σύνθετος δείκτης αποστέρησης: LISA")
    assert first < report.index("Μεταβολή πληθυσμού 2011-2021: LISA")  # the hot-spot section leads with it
    page = (south_aegean_run / "map.html").read_text(encoding="utf-8")
    for text in ("Συστάδες LISA: Σύνθετος δείκτης αποστέρησης", "Σύνθετος δείκτης αποστέρησης × "):
        assert text in page or json.dumps(text)[1:-1] in page, text
    assert {
        "lisa_deprivation_index",
        "gistar_deprivation_index",
        "bilisa_deprivation_index_vs_nearest_min_mean",
    } <= set(man["figures"])
