"""The lean path of ``spatial-poverty stats lisa`` writes the same layer as the general one, and starts lean."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import pytest
import shapely
from libpysal import examples
from shapely.geometry import box
from typer.testing import CliRunner

from spatial_poverty.cli import lisa_fast
from spatial_poverty.cli.main import app
from spatial_poverty.stats import autocorrelation, inference

#: Columbus ships without a .prj: the general path's writer warns that the output has no CRS, as it should.
NO_CRS = pytest.mark.filterwarnings("ignore:'crs' was not provided:UserWarning")


def run(*args: str) -> tuple[int, str, str]:
    res = CliRunner().invoke(app, list(args))
    if res.exception is not None and not isinstance(res.exception, SystemExit):
        raise res.exception
    return res.exit_code, res.stdout, res.stderr


def both(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, src: Path | str, *args: str, suffix: str = ".gpkg"):
    """Run ``stats lisa`` on the lean path, then on the general one (lean path switched off)."""
    outs = []
    calls: list[int] = []
    real = lisa_fast.lean_lisa
    for lean in (True, False):
        out = tmp_path / f"{'lean' if lean else 'general'}{suffix}"
        with monkeypatch.context() as m:
            m.setattr(lisa_fast, "lean_lisa", lambda *a, **k: calls.append(1) or real(*a, **k))
            if not lean:
                m.setattr(lisa_fast, "supports", lambda *a: False)
            code, stdout, stderr = run("stats", "lisa", str(src), *args, "--out", str(out))
        assert code == 0, stderr
        outs.append((out, json.loads(stdout)))
        if lean:
            lean_ran = len(calls) == 1
    assert len(calls) == (1 if lean_ran else 0)  # the general path never goes through lisa_fast
    return outs, lean_ran


def assert_same_layer(a: Path, b: Path, layer: str | None) -> None:
    kw = {"layer": layer} if layer else {}
    ia, ib = pyogrio.read_info(a, **kw), pyogrio.read_info(b, **kw)
    for key in ("fields", "dtypes", "geometry_type", "crs", "features"):
        assert np.array_equal(ia[key], ib[key]), (key, ia[key], ib[key])
    fa, fb = gpd.read_file(a, **kw), gpd.read_file(b, **kw)
    assert list(fa.columns) == list(fb.columns)
    pd.testing.assert_frame_equal(fa.drop(columns="geometry"), fb.drop(columns="geometry"), check_exact=True)
    assert shapely.equals_exact(fa.geometry.values, fb.geometry.values, tolerance=0).all()


@NO_CRS
@pytest.mark.parametrize("weights", ["queen", "rook"])
def test_columbus_same_layer_and_summary(monkeypatch, tmp_path, weights):
    src = examples.get_path("columbus.shp")
    ((lean, s1), (general, s2)), lean_ran = both(
        monkeypatch, tmp_path, src, "--id", "POLYID", "--var", "CRIME", "--weights", weights, "--seed", "3"
    )
    assert lean_ran
    assert_same_layer(lean, general, "lisa_CRIME")
    s1.pop("output"), s2.pop("output")
    assert s1 == s2
    layer = gpd.read_file(lean, layer="lisa_CRIME")
    assert list(layer.columns) == [
        "POLYID", "CRIME", "lisa_i", "lisa_p", "lisa_q", "lisa_cluster", "lisa_quadrant", "lisa_z_sim", "geometry",
    ]  # fmt: skip


def test_tessellation_with_islands_kept_shuffled_multipolygons(monkeypatch, tmp_path):
    # Fixture built here: 400 Voronoi cells (rows shuffled, text ids with leading zeros), two far islands,
    # two MultiPolygons, EPSG:2100.
    rng = np.random.default_rng(5)
    frame = box(0, 0, 20_000, 20_000)
    cells = shapely.intersection(
        shapely.get_parts(
            shapely.voronoi_polygons(shapely.multipoints(rng.uniform(0, 20_000, (400, 2))), extend_to=frame)
        ),
        frame,
    )
    geoms = [*cells[2:], box(90_000, 0, 91_000, 1_000), box(95_000, 0, 96_000, 1_000)]
    geoms.append(shapely.MultiPolygon([cells[0], box(50_000, 50_000, 50_100, 50_100)]))
    geoms.append(shapely.MultiPolygon([cells[1], box(60_000, 50_000, 60_100, 50_100)]))
    n = len(geoms)
    order = rng.permutation(n)
    gdf = gpd.GeoDataFrame(
        {"code": [f"{i:04d}" for i in range(n)], "rate": rng.normal(20, 5, n) + np.arange(n) % 7},
        geometry=geoms,
        crs="EPSG:2100",
    ).iloc[order]
    src = tmp_path / "cells.gpkg"
    gdf.to_file(src, layer="cells")
    for policy in ("keep", "knn"):
        d = tmp_path / policy
        d.mkdir()
        ((lean, s1), (general, s2)), lean_ran = both(
            monkeypatch, d, src, "--id", "code", "--var", "rate", "--island-policy", policy, "--permutations", "199"
        )
        assert lean_ran == (policy == "keep")  # knn: the general path
        assert_same_layer(lean, general, "lisa_rate")
        s1.pop("output"), s2.pop("output")
        assert s1 == s2
    layer = gpd.read_file(tmp_path / "keep" / "lean.gpkg").set_index("code")
    assert (layer["lisa_cluster"] == "no neighbours").sum() == 2
    assert layer.index[0] == f"{order[0]:04d}"
    assert pyogrio.read_info(tmp_path / "keep" / "lean.gpkg")["geometry_type"] == "MultiPolygon"
    refused = run("stats", "lisa", str(src), "--id", "code", "--var", "rate", "--out", str(tmp_path / "r.gpkg"))
    assert refused[0] == 7 and "isolates: ['" in refused[2]


@NO_CRS
def test_other_formats_and_errors(monkeypatch, tmp_path):
    src = examples.get_path("columbus.shp")
    ((lean, _), (general, _)), lean_ran = both(
        monkeypatch, tmp_path, src, "--id", "POLYID", "--var", "HOVAL", suffix=".geojson"
    )
    assert lean_ran
    assert_same_layer(lean, general, None)
    code, _, err = run("stats", "lisa", src, "--id", "POLYID", "--var", "NOPE", "--out", str(tmp_path / "x.gpkg"))
    assert code == 4 and "no field 'NOPE'" in err
    code, _, err = run("stats", "lisa", str(tmp_path / "missing.gpkg"), "--id", "a", "--var", "b")
    assert code == 4 and "does not exist" in err
    code, _, err = run("stats", "lisa", src, "--id", "POLYID", "--var", "CRIME", "--out", str(lean))
    assert code == 6 and "give --force" in err


def test_labels_are_the_statistics_labels():
    assert lisa_fast.CLUSTER_LABELS == autocorrelation.CLUSTER_LABELS
    assert lisa_fast.NOT_SIGNIFICANT == autocorrelation.NOT_SIGNIFICANT
    assert lisa_fast.NO_NEIGHBOURS == inference.NO_NEIGHBOURS


def test_cold_start_imports_only_what_it_needs(tmp_path):
    # A fresh process: the lean path must not import libpysal, esda, scikit-learn, matplotlib, folium, the
    # pipeline or the report.
    src = examples.get_path("columbus.shp")
    code = (
        "import sys\n"
        "from spatial_poverty.cli.main import app\n"
        f"args = ['stats', 'lisa', {src!r}, '--id', 'POLYID', '--var', 'CRIME', '--permutations', '99',"
        f" '--out', {str(tmp_path / 'c.gpkg')!r}]\n"
        "try:\n    app(args)\nexcept SystemExit as e:\n    assert e.code in (0, None), e.code\n"
        "heavy = ['libpysal', 'esda', 'sklearn', 'matplotlib', 'folium', 'mapclassify', 'spatial_poverty.pipeline',"
        " 'spatial_poverty.report.html', 'scipy.stats']\n"
        "print([m for m in heavy if m in sys.modules])\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip().splitlines()[-1] == "[]"


def test_non_polygons_take_the_general_path():
    ids = pd.Index(["a", "b", "c"])
    points = shapely.points([(0, 0), (0, 0), (1, 1)])
    assert lisa_fast.lean_weights(ids, points, "queen", island_policy="none", island_k=1) is None
    squares = np.array([box(0, 0, 1, 1), box(1, 0, 2, 1), box(5, 5, 6, 6)], dtype=object)
    w, report = lisa_fast.lean_weights(ids, squares, "rook", island_policy="none", island_k=1)  # type: ignore[misc]
    assert w.toarray().tolist() == [[0, 1, 0], [1, 0, 0], [0, 0, 0]]
    assert report["isolates"] == ["c"] and report["n_components"] == 2 and report["component_sizes"] == [2, 1]
    assert lisa_fast.lean_weights(ids, squares, "rook", island_policy="knn", island_k=1) is None
