"""Space-time statistics: Mann-Kendall against pymannkendall, the 17 Emerging Hot Spot categories on hand-built
series, EHSA end to end on a lattice, and LISA Markov against giddy's published US income transitions.

Published values: giddy's ``LISA_Markov`` documentation (libpysal's ``usjoin.csv``, per capita income of the 48
US states 1929-2009, ``states48.gal``): transition counts
[[1087, 44, 4, 34], [41, 470, 36, 1], [5, 34, 1422, 39], [30, 1, 40, 552]] and steady state
[0.28561505, 0.14190226, 0.40493672, 0.16754598].
"""

from __future__ import annotations

import libpysal
import numpy as np
import pandas as pd
import pymannkendall
import pytest
from libpysal import examples
from libpysal.graph import Graph

from spatial_poverty.errors import StatisticsError
from spatial_poverty.stats.spacetime import (
    EHSA_CATEGORIES,
    EHSA_CATEGORIES_EL,
    EmergingHotSpots,
    LisaMarkov,
    classify_emerging,
    mann_kendall,
)

#: Two implementations of the same formula.
RTOL = 1e-12
#: giddy's steady state is published with 8 decimals.
ATOL_PUBLISHED_8 = 5e-9
SEED = 4445


@pytest.mark.parametrize(
    "series",
    [
        [1.0, 2.3, 2.1, 4.0, 5.5, 5.2, 7.0],
        [3.0, 3.0, 2.0, 2.0, 1.0, 1.0, 0.5, 0.5],  # ties
        [0.1, -0.4, 0.3, 0.2, -0.1, 0.0, 0.05, -0.2, 0.4, 0.15],
        [5.0, 4.0, 3.0],
    ],
)
def test_mann_kendall_equals_pymannkendall(series):
    ours = mann_kendall(np.array(series))
    theirs = pymannkendall.original_test(series)
    assert ours.s == theirs.s
    assert ours.var_s == pytest.approx(theirs.var_s, rel=RTOL)
    assert ours.z == pytest.approx(theirs.z, rel=RTOL, abs=1e-15)
    assert ours.p == pytest.approx(theirs.p, rel=RTOL)
    assert ours.tau == pytest.approx(theirs.Tau, rel=RTOL)
    assert ours.trend == theirs.trend


def test_mann_kendall_refusals():
    with pytest.raises(StatisticsError, match="at least 3 time steps; 2 were given"):
        mann_kendall(np.array([1.0, 2.0]))
    with pytest.raises(StatisticsError, match="without missing values"):
        mann_kendall(np.array([1.0, np.nan, 2.0]))


H, C, N = 3.0, -3.0, 0.2  # a significant hot bin, a significant cold bin, a non-significant bin
NO_TREND = {"trend_z": 0.0, "trend_p": 0.9}
UP = {"trend_z": 3.0, "trend_p": 0.001}
DOWN = {"trend_z": -3.0, "trend_p": 0.001}

#: One hand-built series of z-scores per category; bins with |z| = 3 are significant, 0.2 is not.
CASES = [
    ("No pattern detected", [N] * 10, NO_TREND),
    ("No pattern detected", [N, H, H, N, N, N, N, N, N, N], NO_TREND),  # hot long ago, not in the final step
    ("New hot spot", [N] * 9 + [H], NO_TREND),
    ("Consecutive hot spot", [N] * 7 + [H, H, H], NO_TREND),
    ("Intensifying hot spot", [H] * 10, UP),
    ("Persistent hot spot", [H] * 10, NO_TREND),
    ("Persistent hot spot", [N] + [H] * 9, NO_TREND),  # 90 % exactly
    ("Diminishing hot spot", [H] * 10, DOWN),
    ("Sporadic hot spot", [N, H, N, N, H, N, N, H, N, H], NO_TREND),
    ("Sporadic hot spot", [H, N, N, N, N, N, N, N, H, H], NO_TREND),  # hot before the final run
    ("Oscillating hot spot", [N, C, N, N, N, N, N, N, N, H], NO_TREND),
    ("Oscillating hot spot", [C, C, N, N, N, N, N, N, H, H], NO_TREND),
    ("Historical hot spot", [H] * 9 + [N], NO_TREND),
    ("Historical hot spot", [H] * 9 + [N], DOWN),
    ("New cold spot", [N] * 9 + [C], NO_TREND),
    ("Consecutive cold spot", [N] * 8 + [C, C], NO_TREND),
    ("Intensifying cold spot", [C] * 10, DOWN),
    ("Persistent cold spot", [C] * 10, NO_TREND),
    ("Diminishing cold spot", [C] * 10, UP),
    ("Sporadic cold spot", [C, N, C, N, N, C, N, N, N, C], NO_TREND),
    ("Oscillating cold spot", [N, N, H, H, N, N, N, N, N, C], NO_TREND),
    ("Historical cold spot", [C] * 9 + [N], UP),
]


@pytest.mark.parametrize(("expected", "z", "trend"), CASES)
def test_each_category_on_a_hand_built_series(expected, z, trend):
    z = np.array(z)
    assert classify_emerging(z, np.abs(z) >= 1.96, **trend) == expected


def test_every_category_is_covered_and_labelled():
    assert {c for c, _, _ in CASES} == set(EHSA_CATEGORIES)
    assert len(EHSA_CATEGORIES) == 17
    assert set(EHSA_CATEGORIES_EL) == set(EHSA_CATEGORIES)


def test_rules_read_the_definitions():
    # A single hot bin at the end after a cold spot is oscillating, not new (sfdep's rule too).
    z = np.array([N, N, C, N, N, N, H])
    assert classify_emerging(z, np.abs(z) > 2, **NO_TREND) == "Oscillating hot spot"
    # A single final hot bin is "new", not "consecutive" (which needs a run of at least two).
    z = np.array([N, N, N, N, N, H])
    assert classify_emerging(z, np.abs(z) > 2, **NO_TREND) == "New hot spot"
    # An increasing trend that is not significant is no trend.
    z = np.array([H] * 10)
    assert classify_emerging(z, np.abs(z) > 2, trend_z=1.5, trend_p=0.13) == "Persistent hot spot"
    # A significant bin needs a finite z; a non-significant z of any size does not count.
    z = np.array([N, N, N, 5.0])
    assert classify_emerging(z, np.array([False] * 4), **NO_TREND) == "No pattern detected"


@pytest.fixture(scope="module")
def lattice_panel():
    """A 6x6 rook lattice over 8 years (small fixture built here): a hot 3x3 corner every year, a cold 3x3
    corner in the last three years, noise elsewhere."""
    w = libpysal.weights.lat2W(6, 6)
    ids = [f"{i:04d}" for i in range(36)]
    pairs = sorted((i, j) for i, nb in w.neighbors.items() for j in nb)
    graph = Graph.from_arrays(
        np.array([ids[i] for i, _ in pairs]), np.array([ids[j] for _, j in pairs]), np.ones(len(pairs))
    )
    rng = np.random.default_rng(SEED)
    data = {}
    for t, year in enumerate(range(2014, 2022)):
        v = rng.normal(10, 0.5, size=(6, 6))
        v[:3, :3] += 3
        if t >= 5:
            v[3:, 3:] -= 3
        data[year] = v.ravel()
    return pd.DataFrame(data, index=pd.Index(ids, name="code")), graph


def test_ehsa_end_to_end_on_a_lattice(lattice_panel):
    panel, graph = lattice_panel
    ehsa = EmergingHotSpots(panel, graph, seed=SEED)
    frame = ehsa.to_frame()
    assert list(frame.index) == list(graph.unique_ids)
    # the middle of the hot corner: significant every year, no trend
    assert frame.loc[["0001", "0007"], "ehsa_category"].tolist() == ["Persistent hot spot"] * 2
    assert frame.loc["0007", "n_hot"] == 8 and frame.loc["0007", "ehsa_category_el"] == "Επίμονο θερμό σημείο"
    # the cold corner appears in 2019: a run of cold spots at the end
    assert frame.loc["0028", "ehsa_category"] == "Consecutive cold spot"
    assert frame.loc["0028", "n_cold"] == 3
    assert (frame.loc[["0003", "0004", "0018", "0019", "0024"], "ehsa_category"] == "No pattern detected").all()
    # the categories recomputed from the published per-year values
    for code in panel.index:
        mk = mann_kendall(ehsa.z.loc[code].to_numpy())
        assert frame.loc[code, "mk_p"] == pytest.approx(mk.p, rel=RTOL)
        assert frame.loc[code, "ehsa_category"] == classify_emerging(
            ehsa.z.loc[code].to_numpy(), ehsa.significant.loc[code].to_numpy(), trend_z=mk.z, trend_p=mk.p
        )
    again = EmergingHotSpots(panel.iloc[::-1], graph, seed=SEED).to_frame()  # shuffled rows: same answer
    pd.testing.assert_frame_equal(frame, again)


def test_ehsa_refusals(lattice_panel):
    panel, graph = lattice_panel
    with pytest.raises(StatisticsError, match="at least 3 years; 2 were given"):
        EmergingHotSpots(panel.iloc[:, :2], graph, seed=SEED)
    bad = panel.copy()
    bad.iloc[3, 2] = np.nan
    with pytest.raises(StatisticsError, match="missing values for units \\['0003'\\]"):
        EmergingHotSpots(bad, graph, seed=SEED)
    with pytest.raises(StatisticsError, match="one row per unit of the graph"):
        EmergingHotSpots(panel.iloc[1:], graph, seed=SEED)


def test_lisa_markov_replicates_giddy_us_income():
    f = libpysal.io.open(examples.get_path("usjoin.csv"))
    w = libpysal.io.open(examples.get_path("states48.gal")).read()
    graph = Graph.from_W(w)
    panel = pd.DataFrame({y: f.by_col[str(y)] for y in range(1929, 2010)}, index=pd.Index(w.id_order))
    lm = LisaMarkov(panel, graph)
    np.testing.assert_array_equal(
        lm.transitions, [[1087, 44, 4, 34], [41, 470, 36, 1], [5, 34, 1422, 39], [30, 1, 40, 552]]
    )
    np.testing.assert_allclose(lm.steady_state, [0.28561505, 0.14190226, 0.40493672, 0.16754598], atol=ATOL_PUBLISHED_8)
    np.testing.assert_allclose(lm.p.sum(axis=1), 1.0)
    assert lm.move_types.shape == (48, 80)
    assert lm.to_frame().loc["High-High", "High-High"] == 1087
    # move type 4(a-1)+b: staying High-High is 1, Low-Low to Low-Low is 11
    assert (lm.move_types.to_numpy() == 1).sum() == 1087 and (lm.move_types.to_numpy() == 11).sum() == 1422
