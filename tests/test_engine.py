"""The permutation engine: esda-compatible p-values, the exact shortcut, independent draws, islands, grid weights.

Data: Columbus (49 neighbourhoods, queen) and NC SIDS (100 counties, ``sids2.gal``) shipped with libpysal, as in
tests/test_replication.py; small grids built here (fixtures labelled as such).
"""

from __future__ import annotations

import esda
import geopandas as gpd
import libpysal
import numpy as np
import pytest
from libpysal import examples
from libpysal.graph import Graph
from shapely.geometry import box

from spatial_poverty.errors import StatisticsError
from spatial_poverty.stats import LocalMoran
from spatial_poverty.stats.engine import (
    CSRWeights,
    conditional_randomisation,
    esda_crand,
    esda_table,
    shared_table,
    simulate,
    warm_cache,
    with_self_weight,
)
from spatial_poverty.stats.grid_weights import grid_csr, grid_graph

SEED = 20211
P = 999
#: Monte Carlo error of a p-value near alpha=0.05 with 999 draws: sd sqrt(0.05*0.95/999) = 0.0069; decisions may
#: differ between two independent runs only for units whose p-value is within a few sd of alpha.
MC_BAND = 4 * np.sqrt(0.05 * 0.95 / P)

pytestmark = pytest.mark.filterwarnings(
    "ignore:The alternative hypothesis for conditional randomization:DeprecationWarning"
)


@pytest.fixture(scope="module")
def columbus():
    df = gpd.read_file(examples.get_path("columbus.shp"))
    w = libpysal.weights.Queen.from_dataframe(df, use_index=False, silence_warnings=True)
    return df, w


@pytest.fixture(scope="module")
def sids():
    w = libpysal.io.open(examples.get_path("sids2.gal")).read()
    dbf = libpysal.io.open(examples.get_path("sids2.dbf"))
    return np.array(dbf.by_col("SIDR74"), dtype=float), w


def _rsparse(w):
    w.transform = "r"
    return w.sparse.copy()


def test_esda_table_is_esdas():
    from esda.crand import vec_permutations

    np.testing.assert_array_equal(esda_table(8, 1000, 99, 7), vec_permutations(8, 1000, 99, 7))


def test_moran_local_p_values_identical_to_esda(columbus, sids):
    for y, w in ((columbus[0]["CRIME"].to_numpy(), columbus[1]), sids):
        theirs = esda.Moran_Local(y, w, seed=SEED, permutations=P, n_jobs=1)
        z = (y - y.mean()) / y.std()
        res, sims = esda_crand("moran", z, _rsparse(w), theirs.Is, permutations=P, seed=SEED, keep=True)
        np.testing.assert_array_equal(sims, theirs.sim)
        np.testing.assert_array_equal(res.p_value("directed"), theirs.p_sim)
        np.testing.assert_allclose(res.z_sim(), theirs.z_sim, rtol=1e-12)


def test_local_moran_class_in_esda_mode_gives_esdas_p_values(sids):
    y, w = sids
    theirs = esda.Moran_Local(y, w, seed=SEED, permutations=P, n_jobs=1)
    ours = LocalMoran(y, Graph.from_W(w), seed=SEED, method="esda")
    np.testing.assert_array_equal(ours.result.p_value("directed"), theirs.p_sim)
    ge = (theirs.sim >= theirs.Is).sum(axis=0)
    le = (theirs.sim <= theirs.Is).sum(axis=0)
    np.testing.assert_array_equal(ours.p_sim, np.minimum(1, 2 * (1 + np.minimum(ge, le)) / (P + 1)))


@pytest.mark.filterwarnings("ignore:The inplace keyword in DataFrame.sort_values is deprecated")
def test_bivariate_gi_and_geary_p_values_identical_to_esda(columbus):
    df, w = columbus
    x, y = df["CRIME"].to_numpy(), df["INC"].to_numpy()
    bv = esda.Moran_Local_BV(x, y, w, seed=SEED, permutations=P)
    zx, zy = (x - x.mean()) / x.std(), (y - y.mean()) / y.std()
    res, _ = esda_crand("moran_bv", np.column_stack((zx, zy)), _rsparse(w), bv.Is, permutations=P, seed=SEED)
    np.testing.assert_array_equal(res.p_value("directed"), bv.p_sim)

    for transform in ("R", "B"):
        w.transform = transform
        wsp = w.sparse.copy()
        g = esda.G_Local(x, w, transform=transform, star=False, seed=SEED, permutations=P, n_jobs=1)
        res, _ = esda_crand("gi", x, wsp, g.Gs, permutations=P, seed=SEED)
        np.testing.assert_array_equal(res.p_value("directed").astype(np.float32), g.p_sim)  # esda keeps float32

    w.transform = "r"
    wsp = w.sparse.copy()
    np.random.seed(SEED)  # Geary_Local draws its crand seed from NumPy's global state
    geary_seed = np.random.randint(12345, 12345000)
    np.random.seed(SEED)
    lg = esda.Geary_Local(connectivity=w, permutations=P).fit(x)
    res, _ = esda_crand("geary", (x - x.mean()) / x.std(), wsp, lg.localG, permutations=P, seed=geary_seed)
    np.testing.assert_array_equal(res.p_value("directed").astype(np.float32), lg.p_sim)


@pytest.mark.parametrize("statistic", ["moran", "moran_bv", "gi", "gistar", "geary", "joincount"])
@pytest.mark.parametrize("weights", ["r", "b", "unequal"])
def test_shared_shortcut_equals_brute_force_on_the_same_table(sids, statistic, weights):
    y, w = sids
    w = libpysal.weights.W(w.neighbors, silence_warnings=True)
    if weights == "unequal":  # row-standardised inverse rank: weights differ within a row (no shortcut)
        w = libpysal.weights.W(
            w.neighbors,
            {k: [1.0 / (1 + m) for m in range(len(v))] for k, v in w.neighbors.items()},
            silence_warnings=True,
        )
    else:
        w.transform = weights
    cw = CSRWeights.from_sparse(w.sparse)
    if statistic == "gistar":
        cw = with_self_weight(cw)
    values = (y > np.median(y)).astype(float) if statistic == "joincount" else (y - y.mean()) / y.std()
    other = np.random.default_rng(1).normal(size=len(y))
    kw = {"y": other} if statistic == "moran_bv" else {}
    res = conditional_randomisation(statistic, values, cw, permutations=P, seed=SEED, **kw)
    sims = simulate(statistic, values, cw, permutations=P, seed=SEED, **kw)
    # the same counts as the brute force, with the same tie rule (|s - o| <= tol counts in both tails)
    np.testing.assert_array_equal(res.ge, (sims >= res.observed - res.tol).sum(axis=0))
    np.testing.assert_array_equal(res.le, (sims <= res.observed + res.tol).sum(axis=0))
    np.testing.assert_allclose(res.mean, sims.mean(axis=0), rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(res.sd, sims.std(axis=0), rtol=1e-7, atol=1e-12)
    assert cw.equal.all() == (weights != "unequal")


def test_shared_table_rows_are_samples_without_replacement():
    for n, k in ((10, 9), (50, 8), (100_000, 8)):
        t = shared_table(n, k, 500, SEED)
        assert t.min() >= 0 and t.max() <= n - 2
        assert all(len(set(row)) == k for row in t)
    np.testing.assert_array_equal(shared_table(1000, 8, 50, 3), shared_table(1000, 8, 50, 3))
    # uniform over the other units: each of 0..n-2 appears about P*k/(n-1) times (chi-square, 19 df)
    t = shared_table(21, 4, 20_000, SEED)
    counts = np.bincount(t.ravel(), minlength=20)
    chi2 = ((counts - counts.mean()) ** 2 / counts.mean()).sum()
    assert chi2 < 43.8  # 99.9 % quantile of chi-square with 19 degrees of freedom
    with pytest.raises(StatisticsError, match="only 4 other units"):
        shared_table(5, 6, 10, SEED)


def test_independent_draws_give_the_same_decisions_up_to_monte_carlo_error(sids):
    y, w = sids
    w.transform = "r"
    z = (y - y.mean()) / y.std()
    shared = conditional_randomisation("moran", z, w.sparse, permutations=9999, seed=SEED)
    indep = conditional_randomisation("moran", z, w.sparse, permutations=9999, seed=SEED + 1, method="independent")
    ps, pi = shared.p_value(), indep.p_value()
    band = 4 * np.sqrt(0.05 * 0.95 / 9999)
    clear = np.abs(ps - 0.05) > band
    np.testing.assert_array_equal((ps <= 0.05)[clear], (pi <= 0.05)[clear])
    assert np.abs(ps - pi).max() < 0.05
    again = conditional_randomisation("moran", z, w.sparse, permutations=99, seed=4, method="independent")
    np.testing.assert_array_equal(
        again.ge, conditional_randomisation("moran", z, w.sparse, permutations=99, seed=4, method="independent").ge
    )


def test_islands_and_self_weights():
    """Fixture: a 3x3 queen grid and one cell cut off by masked cells (an island, no neighbour)."""
    mask = np.array([[1, 1, 1, 0, 0], [1, 1, 1, 0, 1], [1, 1, 1, 0, 0]], dtype=bool)
    w = grid_csr(3, 5, mask=mask)
    y = np.arange(10, dtype=float) ** 1.5
    z = (y - y.mean()) / y.std()
    island = 6  # cell (1, 4): rows of 3, 3 + 1, 3 kept cells
    assert np.diff(w.indptr)[island] == 0 and (np.diff(w.indptr) > 0).sum() == 9
    for method in ("shared", "independent"):
        res = conditional_randomisation("moran", z, w, permutations=99, seed=1, method=method)
        assert res.ge[island] == -1 and np.isnan(res.p_value()[island]) and np.isnan(res.mean[island])
        others = np.arange(10) != island
        assert (res.ge[others] >= 0).all() and np.isfinite(res.p_value()[others]).all()
    sims = simulate("moran", z, w, permutations=99, seed=1)
    assert np.isnan(sims[:, island]).all() and np.isfinite(sims[:, others]).all()
    # Gi* self-weight: equals Gi on the same graph with the unit's own value added at weight 1
    cw = CSRWeights.from_sparse(w)
    star = conditional_randomisation("gistar", y, with_self_weight(cw), permutations=99, seed=1)
    assert np.isfinite(star.observed[others]).all() and np.isnan(star.observed[island])
    # a self-weight on the diagonal is kept in place, not permuted: the same as adding it afterwards
    diag = CSRWeights.from_sparse(w + np.eye(10) * (np.diff(w.indptr) > 0))
    np.testing.assert_array_equal(diag.self_weight, with_self_weight(cw).self_weight)
    again = conditional_randomisation("gistar", y, diag, permutations=99, seed=1)
    np.testing.assert_array_equal(again.ge, star.ge)


@pytest.mark.parametrize("contiguity", ["queen", "rook"])
def test_grid_weights_equal_libpysal_contiguity_of_the_squares(contiguity):
    """Fixture: a 7 x 9 grid of unit squares with about 30 % of the cells masked out."""
    rows, cols = 7, 9
    mask = np.random.default_rng(0).random((rows, cols)) > 0.3
    cells = gpd.GeoSeries([box(c, -r, c + 1, -r + 1) for r in range(rows) for c in range(cols) if mask[r, c]])
    ref = Graph.build_contiguity(cells, rook=contiguity == "rook")
    ours = grid_graph(rows, cols, contiguity=contiguity, mask=mask)
    assert ours == ref
    assert (ours.sparse != ref.sparse).nnz == 0
    assert set(ours.isolates) == set(ref.isolates)
    full = grid_csr(4, 5, contiguity=contiguity)
    ref_full = Graph.build_contiguity(
        gpd.GeoSeries([box(c, -r, c + 1, -r + 1) for r in range(4) for c in range(5)]), rook=contiguity == "rook"
    )
    assert (full != ref_full.sparse).nnz == 0
    with pytest.raises(StatisticsError, match="mask needs shape"):
        grid_csr(3, 3, mask=np.ones((2, 2), dtype=bool))


@pytest.mark.filterwarnings("ignore:Port 8787 is already in use:UserWarning")
def test_dask_run_equals_the_local_run(sids):
    """A LocalCluster in this process (threads), two workers, chunks of 30 units."""
    from spatial_poverty.stats.distributed import conditional_randomisation_dask, dask_client

    y, w = sids
    w.transform = "r"
    z = (y - y.mean()) / y.std()
    with dask_client(n_workers=2, processes=False) as client:
        for method in ("shared", "independent"):
            local = conditional_randomisation("moran", z, w.sparse, permutations=P, seed=SEED, method=method)
            remote = conditional_randomisation_dask(
                "moran", z, w.sparse, permutations=P, seed=SEED, method=method, client=client, chunk_size=30
            )
            for field in ("observed", "ge", "le", "mean", "sd"):
                np.testing.assert_array_equal(getattr(remote, field), getattr(local, field))


def test_kernels_are_compiled_once_and_loaded_from_numba_cache(tmp_path):
    """`make setup` runs warm_cache(); afterwards a fresh `stats lisa` / `stats gistar` process compiles nothing
    (every kernel is loaded from numba's on-disk cache), so the first run after installation is not slowed."""
    import os
    import subprocess
    import sys

    warm_cache()  # a no-op when the cache is already there (as after `make setup`)
    rng = np.random.default_rng(3)
    cells = [box(i % 12, i // 12, i % 12 + 1, i // 12 + 1) for i in range(144)]
    gdf = gpd.GeoDataFrame(
        {"id": [f"{i:03d}" for i in range(144)], "v": rng.normal(size=144)}, geometry=cells, crs=2100
    )
    gdf.to_file(tmp_path / "grid.gpkg")  # a small built fixture
    exe = os.path.join(os.path.dirname(sys.executable), "spatial-poverty")
    env = {**os.environ, "NUMBA_DEBUG_CACHE": "1"}
    for verb, weights in (("lisa", "queen"), ("lisa", "knn:4"), ("gistar", "queen")):
        out = tmp_path / f"{verb}_{weights.replace(':', '')}.gpkg"
        args = [exe, "stats", verb, str(tmp_path / "grid.gpkg"), "--id", "id", "--var", "v", "--weights", weights]
        proc = subprocess.run([*args, "--out", str(out)], capture_output=True, text=True, env=env, check=False)
        assert proc.returncode == 0, proc.stderr
        log = proc.stdout + proc.stderr
        assert "data loaded" in log and "data saved" not in log, (verb, weights)
