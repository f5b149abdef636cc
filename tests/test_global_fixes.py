"""General G's randomisation variance (checked by enumerating every permutation) and the join counts' draws."""

from __future__ import annotations

import itertools

import esda
import geopandas as gpd
import libpysal
import numpy as np
import pytest
from libpysal import examples
from libpysal.graph import Graph

from spatial_poverty.stats import GeneralG, JoinCounts

#: Floating-point agreement of two computations of the same formula.
RTOL = 1e-10
SEED = 4445


@pytest.fixture(scope="module")
def desmith():
    points = [(10, 10), (20, 10), (40, 10), (15, 20), (30, 20), (30, 30)]
    w = libpysal.weights.DistanceBand(points, threshold=15, silence_warnings=True)
    return w, np.array([2, 3, 3.2, 5, 8, 7])


def test_general_g_randomisation_variance_is_exact_over_all_permutations(desmith):
    # Getis & Ord's randomisation variance is the variance of G over the n! = 720 orderings of the values:
    # computed here by brute force, independently of the formula.
    w, y = desmith
    g = GeneralG(y, Graph.from_W(w), permutations=0, seed=SEED)
    dense = Graph.from_W(w).transform("b").sparse.toarray()
    den = y.sum() ** 2 - (y**2).sum()
    all_g = np.array([(v @ dense @ v) / den for v in (np.array(p) for p in itertools.permutations(y))])
    assert g.EG == pytest.approx(all_g.mean(), rel=RTOL)
    assert g.VG_rand == pytest.approx(all_g.var(), rel=RTOL)
    assert g.z_rand == pytest.approx((g.G - all_g.mean()) / all_g.std(), rel=RTOL)


def test_general_g_has_no_normality_copy(desmith):
    w, y = desmith
    g = GeneralG(y, Graph.from_W(w), permutations=99, seed=SEED)
    assert np.isnan(g.z_norm) and np.isnan(g.p_norm)
    d = g.to_dict()
    assert d["z_norm"] is None and d["p_norm"] is None and d["z_rand"] == g.z_rand


def test_general_g_equals_esda_and_spdep_on_columbus():
    # esda's G.z_norm and spdep's globalG.test "standard deviate" are this randomisation z.
    df = gpd.read_file(examples.get_path("columbus.shp"))
    w = libpysal.weights.Queen.from_dataframe(df, use_index=False, silence_warnings=True)
    w.transform = "b"
    ours = GeneralG(df["CRIME"].to_numpy(), Graph.from_W(w), permutations=0, seed=SEED, alternative="greater")
    theirs = esda.G(df["CRIME"].to_numpy(), w, permutations=0)
    assert ours.G == pytest.approx(theirs.G, rel=RTOL)
    assert ours.VG_rand == pytest.approx(theirs.VG, rel=RTOL)
    assert ours.z_rand == pytest.approx(theirs.z_norm, rel=RTOL)
    assert ours.p_rand == pytest.approx(theirs.p_norm, rel=1e-8)


def test_join_counts_draw_their_own_permutations():
    w = libpysal.weights.lat2W(4, 4)
    x = np.ones(16)
    x[:8] = 0
    graph = Graph.from_W(w)
    jc = JoinCounts(x, graph, permutations=199, seed=SEED)
    again = JoinCounts(x, graph, permutations=199, seed=SEED)
    np.testing.assert_array_equal(jc.sim_bb, again.sim_bb)  # seeded
    # Not the stream Moran's I uses with the same seed (default_rng(seed) permutes in the same order).
    rng = np.random.default_rng(SEED)
    dense = graph.sparse.toarray()
    draws = [rng.permutation(x) for _ in range(199)]
    shared_bb = np.array([(p @ dense @ p) / 2 for p in draws])
    shared_ww = np.array([((1 - p) @ dense @ (1 - p)) / 2 for p in draws])
    assert not np.array_equal(jc.sim_bb, shared_bb)
    # BB and BW from the same draws are tied (BW = J - BB - WW): correlation -0.85 here. From their own
    # draws they are independent: correlation near 0 (|r| < 0.2 at 199 draws, 2.8 standard errors).
    assert np.corrcoef(shared_bb, jc.J - shared_bb - shared_ww)[0, 1] < -0.8
    assert abs(np.corrcoef(jc.sim_bb, jc.sim_bw)[0, 1]) < 0.2
    assert jc.p_sim == jc.p_sim_bb < 0.02 and jc.p_sim_bw < 0.02
