"""The pipeline's stability fields, the "components" island policy and the regions layer (South Aegean, lean)."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import yaml
from shapely.geometry import box

from spatial_poverty.errors import ConfigError
from spatial_poverty.pipeline import load_config, run_pipeline
from spatial_poverty.pipeline.stages.weights import weights_spec
from spatial_poverty.pipeline.statistics_extra import COMPONENT_MIN_SIZE, stability_graphs
from spatial_poverty.stats import LocalMoran, build_weights, by_component, local_stability

from .conftest import pipeline_copy

#: The same computation repeated (same seed, same graph).
RTOL = 1e-12


def _edit(path, **sections):
    doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    for key, value in sections.items():
        if isinstance(value, dict) and isinstance(doc.get(key), dict):
            doc[key] = {**doc[key], **value}
        else:
            doc[key] = value
    path.write_text(yaml.safe_dump(doc, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def sa_extra(raw_dir, tmp_path_factory):
    """A lean South Aegean run with the default stability specs and SKATER regions of 15 000+ people."""
    work = tmp_path_factory.mktemp("sa_extra")
    cfg_path = pipeline_copy("south_aegean", raw_dir, work / "processed", work, lean=True)
    _edit(
        cfg_path,
        statistics={"permutations": 199, "significance": "p"},  # p: with 199 permutations no q passes
        regions={
            "method": "skater",
            "variables": ["pop_change_pct", "density"],
            "min_population": 15000,
            "n_regions": 6,
        },
    )
    cfg = load_config(cfg_path)
    result = run_pipeline(cfg)
    return cfg, result


@pytest.mark.slow
def test_stability_fields_published(sa_extra):
    cfg, result = sa_extra
    gpkg = result.output_dir / f"{cfg.name}.gpkg"
    graphs = None
    for var in cfg.statistics.variables:
        lisa = gpd.read_file(gpkg, layer=f"lisa_{var}").set_index("code")
        gi = gpd.read_file(gpkg, layer=f"gistar_{var}").set_index("code")
        assert lisa["lisa_stable"].between(0, 1).all() and gi["gi_stable"].between(0, 1).all()
        # four specs: every share is a multiple of 1/4
        np.testing.assert_allclose((lisa["lisa_stable"] * 4) % 1, 0, atol=1e-12)
        # the run's own weights are the "queen" spec (queen + 3 nearest for isolates): a unit significant in
        # the published layer is significant under at least that spec
        assert (lisa.loc[lisa["significant"].astype(bool), "lisa_stable"] >= 0.25).all()
        # recomputed through the API on the published municipalities
        m = gpd.read_file(gpkg, layer="municipalities").set_index("code")
        graphs = graphs or stability_graphs(m, cfg)
        assert list(graphs) == ["queen", "knn4", "knn6", "distance"]
        st = cfg.statistics
        ref = local_stability(m[var], graphs, statistic="lisa", permutations=199, seed=cfg.seed, alpha=st.alpha,
                              correction=st.correction, significance=st.significance)  # fmt: skip
        np.testing.assert_allclose(lisa["lisa_stable"].reindex(ref.index), ref["share_significant"], rtol=RTOL)
    man = json.loads((result.output_dir / "manifest.json").read_text(encoding="utf-8"))
    assert man["statistics"]["density"]["stability"]["specs"] == ["queen", "knn:4", "knn:6", "distance"]


@pytest.mark.slow
def test_regions_layer_published(sa_extra):
    cfg, result = sa_extra
    regions = gpd.read_file(result.output_dir / f"{cfg.name}.gpkg", layer="regions")
    assert regions.crs.to_epsg() == 2100
    assert (regions["population"] >= 15000).all()
    assert regions["n_units"].sum() == len(result.municipalities) == 34
    codes = sorted(c for cs in regions["codes"] for c in cs.split(","))
    assert codes == sorted(result.municipalities.index)
    assert regions["polsby_popper"].between(0, 1).all() and regions["hull_ratio"].between(0, 1).all()
    # every South Aegean municipality is an island: a region of several municipalities is fragmented
    multi = regions[regions["n_units"] > 1]
    assert (multi["n_parts"] > 1).all() and multi["fragmented"].astype(bool).all()
    assert {"pop_change_pct_mean", "density_mean"} <= set(regions.columns)
    man = json.loads((result.output_dir / "manifest.json").read_text(encoding="utf-8"))
    assert man["regions"]["method"] == "skater" and man["regions"]["n_regions"] == len(regions)


@pytest.mark.slow
def test_components_policy_in_the_pipeline(raw_dir, tmp_path):
    # 40 km distance bands split the South Aegean into island groups; each group of 5+ is analysed alone.
    cfg_path = pipeline_copy("south_aegean", raw_dir, tmp_path / "processed", tmp_path, lean=True)
    _edit(
        cfg_path,
        weights={"kind": "distance", "threshold_m": 40000, "island_policy": "components"},
        statistics={"permutations": 99, "stability": {"enabled": False}},
    )
    cfg = load_config(cfg_path)
    result = run_pipeline(cfg)
    gpkg = result.output_dir / f"{cfg.name}.gpkg"
    lisa = gpd.read_file(gpkg, layer="lisa_density").set_index("code")
    assert {"component", "component_size"} <= set(lisa.columns)
    small = lisa["component_size"] < COMPONENT_MIN_SIZE
    assert small.any() and (~small).any()
    assert (lisa.loc[small, "cluster"] == "no neighbours").all() and lisa.loc[small, "local_i"].isna().all()
    # the same numbers as the API per component
    m = result.municipalities
    graph, report = build_weights(m, weights_spec(cfg))
    ref = by_component(
        m["density"], graph, statistic="lisa", min_size=COMPONENT_MIN_SIZE, permutations=99, seed=cfg.seed
    )
    np.testing.assert_allclose(lisa["local_i"].reindex(ref.index), ref["local_i"], rtol=RTOL)
    man = json.loads((result.output_dir / "manifest.json").read_text(encoding="utf-8"))
    by_comp = man["statistics"]["density"]["global_moran_by_component"]
    assert len(by_comp) == sum(size >= COMPONENT_MIN_SIZE for size in report.component_sizes)
    largest = max(by_comp.values(), key=lambda d: d["size"])
    assert man["statistics"]["density"]["global_moran"]["I"] == largest["I"]


def test_config_sections_are_validated(tmp_path):
    base = {"name": "t", "title": "t", "seed": 1}
    bad = [
        ({"regions": {"method": "skater", "variables": ["density"], "min_population": 10}}, "need n_regions"),
        ({"regions": {"variables": ["income"], "min_population": 10}}, "regions.variables \\['income'\\]"),
        ({"statistics": {"stability": {"specs": ["queen", "hexagons"]}}}, "stability specs need to be"),
        ({"statistics": {"stability": {"specs": ["queen"]}}}, "at least two different specs"),
    ]
    for extra, message in bad:
        path = tmp_path / "p.yaml"
        path.write_text(yaml.safe_dump({**base, **extra}), encoding="utf-8")
        with pytest.raises(ConfigError, match=message):
            load_config(path)
    path.write_text(yaml.safe_dump({**base, "weights": {"island_policy": "components"}}), encoding="utf-8")
    assert load_config(path).weights.island_policy == "components"


def test_stability_specs_on_a_fixture():
    # An archipelago fixture: two islands of four squares and a lone island far away.
    cells = [box(x * 1000, y * 1000, (x + 1) * 1000, (y + 1) * 1000) for x in range(2) for y in range(2)]
    cells += [
        box(10000 + x * 1000, y * 1000, 10000 + (x + 1) * 1000, (y + 1) * 1000) for x in range(2) for y in range(2)
    ]
    cells += [box(30000, 0, 31000, 1000)]
    ids = [f"{i:04d}" for i in range(1, 10)]
    gdf = gpd.GeoDataFrame(
        {"v": [5.0, 6.0, 5.5, 6.5, 1.0, 1.2, 0.8, 1.1, 3.0]},
        geometry=cells,
        index=pd.Index(ids, name="code"),
        crs="EPSG:2100",
    )
    specs = ["queen", "knn:2", "distance"]
    cfg = load_config_from({"name": "t", "title": "t", "seed": 7, "statistics": {"stability": {"specs": specs}}})
    graphs = stability_graphs(gdf, cfg)
    assert list(graphs) == ["queen", "knn2", "distance"]
    assert all(not g.isolates.size for g in graphs.values())  # the fill / the minimum band leave no isolate
    # the minimum band is the lone island's distance to its nearest centroid (19 km)
    assert graphs["distance"].cardinalities["0009"] >= 1
    shares = local_stability(gdf["v"], graphs, statistic="lisa", permutations=99, seed=7)
    assert shares["share_significant"].isin([0, 1 / 3, 2 / 3, 1]).all()
    one = LocalMoran(gdf["v"], graphs["queen"], permutations=99, seed=7).to_frame()
    np.testing.assert_array_equal(shares["significant_queen"], one["significant"].reindex(gdf.index))


def load_config_from(doc):
    with tempfile.TemporaryDirectory() as d:
        p = Path(d) / "p.yaml"
        p.write_text(yaml.safe_dump(doc), encoding="utf-8")
        return load_config(p)
