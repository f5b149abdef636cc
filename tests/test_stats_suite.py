"""Inference helpers, EB rates and the local statistics: formulas, esda agreement, isolates, seeds."""

from __future__ import annotations

import itertools

import esda
import geopandas as gpd
import libpysal
import numpy as np
import pandas as pd
import pytest
from libpysal import examples
from libpysal.graph import Graph
from scipy import stats

from spatial_poverty.errors import StatisticsError
from spatial_poverty.stats import (
    BivariateLocalMoran,
    GearyC,
    GetisOrdLocal,
    GlobalMoran,
    LocalGeary,
    LocalJoinCount,
    LocalMoran,
    adjust_pvalues,
    eb_rate,
    gi_bin,
    pseudo_p,
    spatial_eb_rate,
)

#: Floating-point agreement with esda's arithmetic on the same data and graph.
RTOL = 1e-10
SEED = 4445


@pytest.fixture(scope="module")
def columbus():
    df = gpd.read_file(examples.get_path("columbus.shp"))
    w = libpysal.weights.Queen.from_dataframe(df, use_index=False, silence_warnings=True)
    return df, w, Graph.from_W(w)


def test_q_values_match_scipy_and_hand_values():
    p = np.array([0.01, 0.04, 0.03, 0.20, np.nan, 0.002])
    ok = np.isfinite(p)
    np.testing.assert_allclose(adjust_pvalues(p, "bh")[ok], stats.false_discovery_control(p[ok], method="bh"))
    np.testing.assert_allclose(adjust_pvalues(p, "by")[ok], stats.false_discovery_control(p[ok], method="by"))
    np.testing.assert_allclose(adjust_pvalues(p, "bonferroni")[ok], [0.05, 0.2, 0.15, 1.0, 0.01])
    assert np.isnan(adjust_pvalues(p, "bh")[4])
    # BH by hand: sorted 0.002, 0.01, 0.03, 0.04, 0.2 -> 0.01, 0.025, 0.05, 0.05, 0.2
    np.testing.assert_allclose(adjust_pvalues(p, "bh")[ok], [0.025, 0.05, 0.05, 0.2, 0.01])
    with pytest.raises(StatisticsError, match="correction needs to be one of none, bonferroni, bh, by; 'holm'"):
        adjust_pvalues(p, "holm")  # type: ignore[arg-type]


def test_pseudo_p_alternatives():
    sims = np.arange(1, 100, dtype=float)[:, None]  # 99 permutations: 1..99
    assert pseudo_p(np.array([99.0]), sims, "greater")[0] == pytest.approx(2 / 100)
    assert pseudo_p(np.array([99.0]), sims, "less")[0] == pytest.approx(1.0)
    assert pseudo_p(np.array([99.0]), sims)[0] == pytest.approx(4 / 100)


def test_gi_bin_convention():
    z = np.array([3.0, -2.6, 2.0, -1.7, 1.0, np.nan, -3.5])
    # two-sided p: 0.0027 (99 %), 0.0093 (99 %), 0.0455 (95 %), 0.089 (90 %), 0.32, -, 0.0005
    assert gi_bin(z).tolist() == [3, -3, 2, -1, 0, 0, -3]


def test_local_moran_q_values_and_significance_by_q(columbus):
    df, _, g = columbus
    lm = LocalMoran(df["CRIME"].to_numpy(), g, seed=SEED, correction="by")
    np.testing.assert_allclose(lm.q_sim, stats.false_discovery_control(lm.p_sim, method="by"))
    strict = LocalMoran(df["CRIME"].to_numpy(), g, seed=SEED, significance="q")
    assert (strict.labels != "not significant").sum() <= (lm.labels != "not significant").sum()
    assert ((strict.q_sim <= 0.05) == (strict.labels != "not significant")).all()


def test_local_moran_keeps_isolates_as_no_neighbours():
    # Fixture: a path of 6 units and one island "0007".
    ids = [f"{i:04d}" for i in range(1, 8)]
    focal, neigh, wts = [], [], []
    for a, b in itertools.pairwise(ids[:6]):
        focal += [a, b]
        neigh += [b, a]
        wts += [1.0, 1.0]
    g = Graph.from_arrays(np.array([*focal, "0007"]), np.array([*neigh, "0007"]), np.array([*wts, 0.0]))
    y = pd.Series([9.0, 8, 7, 2, 1, 0, 5], index=ids)
    with pytest.raises(StatisticsError, match=r"isolates: \['0007'\]"):
        LocalMoran(y, g, seed=SEED)
    lm = LocalMoran(y, g, seed=SEED, isolates="keep")
    frame = lm.to_frame()
    assert frame.loc["0007", "cluster"] == "no neighbours"
    assert frame.loc["0007", "cluster_el"] == "χωρίς γείτονες"
    assert np.isnan(frame.loc["0007", "p_sim"]) and np.isnan(frame.loc["0007", "q_sim"])
    assert lm.counts()["no neighbours"] == 1
    gi = GetisOrdLocal(y, g, seed=SEED, isolates="keep").to_frame()
    assert gi.loc["0007", "gi_bin"] == 0 and np.isnan(gi.loc["0007", "gi_z"])


def test_global_statistics_refuse_isolates():
    g = Graph.from_arrays(
        np.array(["a", "b", "c", "d", "e"]), np.array(["b", "a", "d", "c", "e"]), np.array([1.0, 1, 1, 1, 0])
    )
    for stat in (GlobalMoran, GearyC):
        with pytest.raises(StatisticsError, match=r"needs every unit to have a neighbour; isolates: \['e'\]"):
            stat(np.array([1.0, 2, 3, 4, 5]), g, seed=SEED)


@pytest.mark.filterwarnings("ignore:The inplace keyword in DataFrame.sort_values is deprecated")
def test_local_geary_equals_esda(columbus):
    df, w, g = columbus
    ours = LocalGeary(df["CRIME"].to_numpy(), g, seed=SEED)
    theirs = esda.Geary_Local(connectivity=w, permutations=0).fit(df["CRIME"].to_numpy())
    np.testing.assert_allclose(ours.localG, theirs.localG, rtol=RTOL)
    assert set(ours.labels) <= {"High-High", "Low-Low", "Other Positive", "Negative", "not significant"}
    assert (ours.p_sim > 0).all() and (ours.p_sim <= 1).all()


def test_bivariate_lisa_equals_esda(columbus):
    df, w, g = columbus
    ours = BivariateLocalMoran(df["CRIME"].to_numpy(), df["INC"].to_numpy(), g, seed=SEED)
    theirs = esda.Moran_Local_BV(df["CRIME"].to_numpy(), df["INC"].to_numpy(), w, permutations=0)
    np.testing.assert_allclose(ours.Is, theirs.Is, rtol=RTOL)
    np.testing.assert_array_equal(ours.q, theirs.q)


@pytest.mark.filterwarnings("ignore:The alternative hypothesis for conditional randomization:DeprecationWarning")
def test_local_join_count_equals_esda(columbus):
    df, w, g = columbus
    x = (df["CRIME"] > df["CRIME"].median()).astype(float).to_numpy()
    ours = LocalJoinCount(x, g, seed=SEED)
    theirs = esda.Join_Counts_Local(connectivity=w, permutations=0).fit(x)
    np.testing.assert_allclose(ours.LJC, theirs.LJC, rtol=RTOL)
    assert np.isnan(ours.p_sim[x == 0]).all() and (ours.p_sim[x == 1] > 0).all()


def test_gi_star_permutations_are_seeded_and_two_sided(columbus):
    df, _, g = columbus
    a = GetisOrdLocal(df["CRIME"].to_numpy(), g, seed=SEED)
    b = GetisOrdLocal(df["CRIME"].to_numpy(), g, seed=SEED)
    np.testing.assert_array_equal(a.p_sim, b.p_sim)
    np.testing.assert_array_equal(a.p_sim, pseudo_p(a.Zs, a.sim, "two-sided"))
    assert a.alternative == "two-sided"
    frame = a.to_frame()
    assert list(frame.columns[:3]) == ["gi_z", "gi_p", "gi_bin"]


def test_eb_rate_clamps_the_prior_variance():
    # Fixture: rates that vary less than Poisson noise: the moment estimate of the prior variance is negative.
    events = pd.Series([3.0, 2, 3, 2, 3, 2], index=[f"{i:04d}" for i in range(1, 7)])
    base = pd.Series([100.0, 90, 110, 95, 105, 100], index=events.index)
    out = eb_rate(events, base)
    assert out.attrs["prior_variance_clamped"] and out.attrs["prior_variance"] == 0.0
    np.testing.assert_allclose(out["eb_rate"], events.sum() / base.sum())  # full shrinkage
    assert (out["eb_rate"] >= 0).all() and out["small_count"].all()
    assert out.index.equals(events.index)
    # esda's aspatial EB on the same data: with a negative prior variance it gives a negative rate.
    theirs = np.asarray(esda.smoothing.Empirical_Bayes(events.to_numpy(), base.to_numpy()).r).ravel()
    assert (theirs < 0).any()


def test_eb_rate_equals_esda_when_the_prior_variance_is_positive():
    sids = libpysal.io.open(examples.get_path("sids2.dbf"))
    e, b = np.array(sids.by_col("SID79"), float), np.array(sids.by_col("BIR79"), float)
    ours = eb_rate(e, b)
    assert not ours.attrs["prior_variance_clamped"]
    theirs = np.asarray(esda.smoothing.Empirical_Bayes(e, b).r).ravel()
    np.testing.assert_allclose(ours["eb_rate"], theirs, rtol=RTOL)


def test_spatial_eb_rate_equals_esda(columbus):
    df, w, g = columbus
    e = np.round(df["CRIME"].to_numpy())
    b = np.round(df["HOVAL"].to_numpy() * 10)
    ours = spatial_eb_rate(e, b, g)
    w.id_order = w.id_order  # esda refuses a W whose order was not set explicitly
    theirs = np.asarray(esda.smoothing.Spatial_Empirical_Bayes(e, b, w).r).ravel()
    ok = ~ours["prior_variance_clamped"].to_numpy()
    np.testing.assert_allclose(ours["eb_rate"].to_numpy()[ok], theirs[ok], rtol=1e-8)
    assert (ours["eb_rate"] >= 0).all()


def test_local_stability_across_weight_specs():
    from spatial_poverty.stats import WeightsSpec, build_weights, local_stability

    df = gpd.read_file(examples.get_path("columbus.shp"))
    df = df.set_index(df["POLYID"].map(lambda v: f"{int(v):04d}").rename("code"))
    specs = {
        "queen": WeightsSpec(kind="queen", island_policy="none"),
        "rook": WeightsSpec(kind="rook", island_policy="none"),
        "knn4": WeightsSpec(kind="knn", k=4, island_policy="none"),
    }
    graphs = {name: build_weights(df, spec)[0] for name, spec in specs.items()}
    out = local_stability(df["CRIME"], graphs, seed=SEED, permutations=199)
    assert out.index.equals(df.index)
    sig = out[["significant_queen", "significant_rook", "significant_knn4"]].to_numpy()
    np.testing.assert_allclose(out["share_significant"], sig.mean(axis=1))
    assert set(np.round(out["share_significant"] * 3)) <= {0, 1, 2, 3} and (out["n_specs"] == 3).all()
    assert (out["share_significant"] == 1).any()  # the Columbus core cluster holds under every spec
    again = local_stability(df["CRIME"], graphs, seed=SEED, permutations=199)
    pd.testing.assert_frame_equal(out, again)
    gi = local_stability(df["CRIME"], graphs, statistic="gistar", seed=SEED, permutations=99)
    assert "gi_bin_knn4" in gi.columns
    with pytest.raises(StatisticsError, match="at least two weight specifications"):
        local_stability(df["CRIME"], {"queen": graphs["queen"]}, seed=SEED)


def test_statistics_per_component():
    from shapely.affinity import translate
    from shapely.geometry import box

    from spatial_poverty.stats import WeightsSpec, build_weights, by_component

    # Fixture: Columbus twice, the copy shifted far away (two "island groups"), plus one lone island.
    df = gpd.read_file(examples.get_path("columbus.shp"))[["CRIME", "geometry"]]
    far = df.assign(geometry=df.geometry.map(lambda g: translate(g, 1000, 0)), CRIME=df["CRIME"] * 2 + 5)
    lone = gpd.GeoDataFrame({"CRIME": [1.0]}, geometry=[box(-500, -500, -499, -499)])
    both = gpd.GeoDataFrame(pd.concat([df, far, lone], ignore_index=True), geometry="geometry", crs=2100)
    both.index = pd.Index([f"{i:04d}" for i in range(1, len(both) + 1)], name="code")
    graph, report = build_weights(both, WeightsSpec(island_policy="components"))
    assert report.n_components == 3 and report.isolates == ("0099",)
    out = by_component(both["CRIME"], graph, seed=SEED, permutations=99)
    assert out.loc["0099", "cluster"] == "no neighbours" and out.loc["0099", "component_size"] == 1
    # Each copy is analysed alone: a linear transform of the values gives the same local Moran.
    np.testing.assert_allclose(out["local_i"].iloc[:49], out["local_i"].iloc[49:98], rtol=1e-10)
    alone = LocalMoran(
        df["CRIME"].to_numpy(),
        Graph.from_W(libpysal.weights.Queen.from_dataframe(df, use_index=False, silence_warnings=True)),
        seed=SEED,
        permutations=99,
    )
    np.testing.assert_allclose(out["local_i"].iloc[:49], alone.Is, rtol=1e-10)
    gi = by_component(both["CRIME"], graph, statistic="gistar", seed=SEED, permutations=99)
    assert gi.loc["0099", "gi_bin"] == 0 and np.isnan(gi.loc["0099", "gi_z"])
