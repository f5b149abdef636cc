"""Moran's I and LISA replicate published values and esda's, with seeded, reproducible inference."""

from __future__ import annotations

import itertools

import esda
import libpysal
import numpy as np
import pandas as pd
import pytest
from libpysal.graph import Graph

from spatial_poverty.errors import StatisticsError
from spatial_poverty.stats import GlobalMoran, LocalMoran, pseudo_p_two_sided

# Floating-point agreement with esda's own arithmetic on the same data and graph.
RTOL = 1e-10
# esda's docstring values for St Louis homicide rates (HR8893, stl.gal), also given by GeoDa.
STL_I, STL_EI, STL_P_NORM = 0.24365582621771659, -0.012987012987012988, 0.00027147862770937614
PUBLISHED_RTOL = 1e-9


@pytest.fixture(scope="module")
def stl():
    w = libpysal.io.open(libpysal.examples.get_path("stl.gal")).read()
    y = np.array(libpysal.io.open(libpysal.examples.get_path("stl_hom.txt")).by_col["HR8893"])
    return y, w, Graph.from_W(w)


def test_global_moran_replicates_published_stl_values(stl):
    y, _, g = stl
    m = GlobalMoran(y, g, seed=1)
    assert m.I == pytest.approx(STL_I, rel=PUBLISHED_RTOL)
    assert m.EI == pytest.approx(STL_EI, rel=PUBLISHED_RTOL)
    assert m.p_norm == pytest.approx(STL_P_NORM, rel=1e-6)


def test_global_moran_equals_esda(stl):
    y, w, g = stl
    ours, theirs = GlobalMoran(y, g, seed=1), esda.Moran(y, w, permutations=0)
    for attr in ("I", "EI", "VI_norm", "VI_rand", "z_norm", "z_rand", "p_norm", "p_rand"):
        assert getattr(ours, attr) == pytest.approx(getattr(theirs, attr), rel=RTOL), attr


def test_global_moran_permutations_are_seeded(stl):
    y, _, g = stl
    a, b, c = GlobalMoran(y, g, seed=7), GlobalMoran(y, g, seed=7), GlobalMoran(y, g, seed=8)
    np.testing.assert_array_equal(a.sim, b.sim)
    assert a.p_sim == b.p_sim
    assert not np.array_equal(a.sim, c.sim)
    ge = int((a.sim >= a.I).sum())
    assert ge < 10  # far in the upper tail
    assert a.p_sim == pytest.approx(2 * (1 + ge) / 1000)


@pytest.mark.filterwarnings("ignore:The alternative hypothesis for conditional randomization:DeprecationWarning")
def test_local_moran_equals_esda(stl):
    y, w, g = stl
    ours = LocalMoran(y, g, seed=12345, permutation_table="esda")
    theirs = esda.Moran_Local(y, w, seed=12345, permutations=999)
    np.testing.assert_allclose(ours.Is, theirs.Is, rtol=RTOL)
    np.testing.assert_array_equal(ours.q, theirs.q)
    # Same permutation table: the same simulated statistics, so esda's folded one-sided p-values follow.
    np.testing.assert_allclose(ours.sim, theirs.sim, rtol=RTOL, atol=1e-12)
    ge = (ours.sim >= ours.Is).sum(axis=0)
    folded = (np.minimum(ge, 999 - ge) + 1) / 1000
    np.testing.assert_allclose(folded, theirs.p_sim, rtol=0, atol=0)


def test_local_moran_two_sided_p_values_from_simulations(stl):
    y, _, g = stl
    lm = LocalMoran(y, g, seed=3)
    np.testing.assert_array_equal(lm.p_sim, pseudo_p_two_sided(lm.Is, lm.sim))
    assert lm.alternative == "two-sided"
    assert ((lm.p_sim > 0) & (lm.p_sim <= 1)).all()
    again = LocalMoran(y, g, seed=3)
    np.testing.assert_array_equal(lm.p_sim, again.p_sim)


def test_pseudo_p_two_sided_formula():
    sims = np.arange(1, 100, dtype=float)[:, None]  # 99 permutations: 1..99
    assert pseudo_p_two_sided(np.array([99.0]), sims)[0] == pytest.approx(2 * 2 / 100)  # 1 >= obs
    assert pseudo_p_two_sided(np.array([50.0]), sims)[0] == 1.0  # the middle: capped at 1
    assert pseudo_p_two_sided(np.array([0.0]), sims)[0] == pytest.approx(2 * 1 / 100)


def test_labels_follow_quadrants_and_alpha():
    # Fixture: a path graph of 8 units with a high end and a low end.
    ids = [f"{i:04d}" for i in range(1, 9)]
    focal, neigh = [], []
    for a, b in itertools.pairwise(ids):
        focal += [a, b]
        neigh += [b, a]
    g = Graph.from_arrays(np.array(focal), np.array(neigh), np.ones(len(focal)))
    y = pd.Series([10.0, 9, 8, 5, 5, 2, 1, 0], index=ids)
    lm = LocalMoran(y, g, seed=1, alpha=1.0 - 1e-9)
    frame = lm.to_frame()
    assert frame.index.tolist() == ids and frame.index.name == "code"
    assert frame.loc["0001", "cluster"] == "High-High" and frame.loc["0008", "cluster"] == "Low-Low"
    assert frame.loc["0001", "cluster_el"] == "Υψηλό-Υψηλό"
    strict = LocalMoran(y, g, seed=1, alpha=1e-6)
    assert set(strict.labels) == {"not significant"}


def test_series_is_aligned_to_the_graph_ids(stl):
    y, _, g = stl
    s = pd.Series(y, index=g.unique_ids)
    shuffled = s.sample(frac=1.0, random_state=0)
    assert GlobalMoran(shuffled, g, seed=1).I == pytest.approx(GlobalMoran(s, g, seed=1).I, rel=RTOL)


def test_refusals():
    g = Graph.from_arrays(np.array(["a", "b", "c", "d"]), np.array(["b", "a", "c", "d"]), np.array([1.0, 1, 0, 0]))
    with pytest.raises(StatisticsError, match=r"needs every unit to have a neighbour; isolates: \['c', 'd'\]"):
        GlobalMoran(np.array([1.0, 2, 3, 4]), g, seed=1)
    g2 = Graph.from_arrays(np.array(["a", "b", "c", "d"]), np.array(["b", "a", "d", "c"]), np.ones(4))
    with pytest.raises(StatisticsError, match="constant"):
        LocalMoran(np.ones(4), g2, seed=1)
    with pytest.raises(StatisticsError, match="missing or infinite values for \\['b'\\]"):
        LocalMoran(pd.Series([1.0, np.nan, 2, 3], index=list("abcd")), g2, seed=1)
    with pytest.raises(StatisticsError, match="alternative needs to be"):
        LocalMoran(np.arange(4.0), g2, seed=1, alternative="both")
