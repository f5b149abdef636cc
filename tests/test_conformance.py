"""A conformance suite for the local statistics: properties that any correct implementation has, checked on
random small graphs (hypothesis, derandomised: the same examples every run) and on the cases that broke them.

Each test is named after the mathematical fact it checks. The graphs are connected or not, with isolates kept,
complete (a distance band wider than the area), with ties, constant and near-constant values, rare 0/1 events,
and variables shifted by 1e7 or scaled by 1e-10. Exact p-values come from enumerating every arrangement of a
unit's neighbours (n <= 8). Fixtures are built here.
"""

from __future__ import annotations

import itertools
import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from libpysal.graph import Graph

from spatial_poverty.errors import StatisticsError
from spatial_poverty.stats import GetisOrdLocal, LocalGeary, LocalMoran
from spatial_poverty.stats.engine import statistic_terms
from spatial_poverty.stats.inference import is_constant, prepare
from spatial_poverty.stats.local_stats import gi_weights

#: Permutations of the engine in these properties.
PERMUTATIONS = 2999
#: Standard deviations of Monte Carlo error allowed between a pseudo p-value and the exact one.
MC_SIGMAS = 5.0
#: Statistics compared across transformations of the data (relative).
RTOL = 1e-6
#: Two floating-point sums within this relative distance are a tie.
TIE_RTOL = 1e-9
SETTINGS = settings(max_examples=30, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
VALUE_KINDS = ("normal", "ties", "rare", "near_constant", "shifted", "scaled", "constant")


# ----------------------------------------------------------------------------------------------------- data


@st.composite
def graphs(draw: st.DrawFn, *, isolates: bool = False, max_n: int = 8) -> Graph:
    """A symmetric binary graph on 4..max_n units: random edges, optionally complete, optionally isolates."""
    n = draw(st.integers(4, max_n))
    ids = [f"u{i}" for i in range(n)]
    if draw(st.booleans()) and draw(st.booleans()):  # a quarter of the graphs: complete
        edges = {(i, j) for i in range(n) for j in range(n) if i != j}
    else:
        pairs = draw(st.lists(st.tuples(st.integers(0, n - 1), st.integers(0, n - 1)), min_size=1, max_size=3 * n))
        edges = {(i, j) for i, j in pairs if i != j} | {(j, i) for i, j in pairs if i != j}
    lonely = set(draw(st.lists(st.integers(0, n - 1), max_size=2))) if isolates else set()
    edges = {(i, j) for i, j in edges if i not in lonely and j not in lonely}
    linked = {i for i, _ in edges}
    for i in range(n):  # every unit that is not meant to be an isolate gets a neighbour (a ring link)
        if i not in linked and i not in lonely:
            j = next(j for j in [*range(i + 1, n), *range(i)] if j not in lonely)
            edges |= {(i, j), (j, i)}
            linked |= {i, j}
    focal = [ids[i] for i, _ in sorted(edges)] + [ids[i] for i in sorted(lonely)]
    neigh = [ids[j] for _, j in sorted(edges)] + [ids[i] for i in sorted(lonely)]
    weight = [1.0] * len(edges) + [0.0] * len(lonely)
    return Graph.from_arrays(np.array(focal), np.array(neigh), np.array(weight))


def values(kind: str, n: int, seed: int) -> np.ndarray:
    """Values of one kind, drawn from ``numpy.random.default_rng(seed)``."""
    rng = np.random.default_rng(seed)
    if kind == "ties":
        return rng.integers(0, 3, n).astype(float)
    if kind == "rare":  # every value 0 but one or two
        out = np.zeros(n)
        out[rng.choice(n, size=int(rng.integers(1, 3)), replace=False)] = 1.0
        return out
    if kind == "near_constant":
        return 5.0 + 1e-9 * rng.normal(size=n)
    if kind == "shifted":
        return 1e7 + rng.normal(size=n)
    if kind == "scaled":
        return 1e-10 * rng.normal(size=n)
    if kind == "constant":
        return np.full(n, 3.0)
    return rng.normal(size=n)


def _series(graph: Graph, y: np.ndarray) -> pd.Series:
    return pd.Series(y, index=pd.Index(graph.unique_ids))


def _fits(cls, *args, **kw):  # type: ignore[no-untyped-def]
    """The statistic, or None when it refuses these data (a constant variable) with StatisticsError."""
    try:
        return cls(*args, **kw)
    except StatisticsError as exc:
        assert "constant" in str(exc), exc
        return None


LOCALS = {
    "lisa": lambda y, g, **kw: LocalMoran(y, g, **kw),
    "gistar_b": lambda y, g, **kw: GetisOrdLocal(y, g, star=True, transform="b", **kw),
    "gistar_r": lambda y, g, **kw: GetisOrdLocal(y, g, star=True, transform="r", **kw),
    "gi_b": lambda y, g, **kw: GetisOrdLocal(y, g, star=False, transform="b", **kw),
    "geary": lambda y, g, **kw: LocalGeary(y, g, **kw),
}


def _stat(obj) -> np.ndarray:  # type: ignore[no-untyped-def]
    for attr in ("Is", "Zs", "localG"):
        if hasattr(obj, attr):
            return np.asarray(getattr(obj, attr), dtype=float)
    raise AttributeError(type(obj).__name__)


def _significant(obj, alpha: float) -> np.ndarray:  # type: ignore[no-untyped-def]
    """Significance as every output reports it: the label, Gi_Bin, or p and q at alpha."""
    p, q = np.nan_to_num(obj.p_sim, nan=1.0), np.nan_to_num(obj.q_sim, nan=1.0)
    sig = (p <= alpha) | (q <= alpha)
    if hasattr(obj, "bin"):
        sig |= np.asarray(obj.bin) != 0
    if hasattr(obj, "significant"):
        sig |= np.asarray(obj.significant)
    return sig


# -------------------------------------------------------------------------------------------- properties


@settings(SETTINGS, max_examples=200)
@given(graph=graphs(isolates=True), kind=st.sampled_from(VALUE_KINDS), seed=st.integers(0, 2**16),
       name=st.sampled_from(sorted(LOCALS)))  # fmt: skip
def test_a_statistic_that_is_not_finite_is_never_significant(graph, kind, seed, name):
    """Where a unit's statistic (or its comparison set) cannot be computed, its p and q are NaN and no output
    calls it significant; where it has a p-value, its statistic is finite."""
    y = _series(graph, values(kind, graph.n, seed))
    obj = _fits(LOCALS[name], y, graph, seed=seed, permutations=199, isolates="keep")
    if obj is None:
        assert is_constant(y.to_numpy())
        return
    stat, p = _stat(obj), np.asarray(obj.p_sim)
    sig = _significant(obj, alpha=0.05)
    assert not sig[~np.isfinite(stat)].any()
    assert np.isnan(p[~np.isfinite(stat)]).all() and np.isnan(obj.q_sim[~np.isfinite(stat)]).all()
    assert np.isfinite(stat[np.isfinite(p)]).all()
    assert not sig[np.isnan(p)].any() or hasattr(obj, "bin")  # Gi_Bin follows the normal p of a finite z
    assert (obj.reason[np.isnan(p)] != "").all() and (obj.reason[np.isfinite(p)] == "").all()


def _exact_bounds(stat_terms, w, i: int, observed: float) -> tuple[float, float]:  # type: ignore[no-untyped-def]
    """Exact two-sided p of unit i by enumerating every set of k_i others (equal weights): (ties left out of both
    tails, ties in both), each min(1, 2 min(P(S >= o), P(S <= o)))."""
    v1, _, a, _, c = stat_terms
    p0, p1 = w.indptr[i], w.indptr[i + 1]
    k, wt = p1 - p0, w.data[p0]
    others = [j for j in range(len(v1)) if j != i]
    sims = np.array(
        [
            a[i] * (w.self_weight[i] * v1[i] + wt * v1[list(combo)].sum()) + c[i]
            for combo in itertools.combinations(others, k)
        ]
    )
    tie = np.abs(sims - observed) <= TIE_RTOL * max(1.0, abs(observed))
    ge, le = (sims > observed) & ~tie, (sims < observed) & ~tie
    low = min(1.0, 2 * min(ge.mean(), le.mean()))
    high = min(1.0, 2 * min((ge | tie).mean(), (le | tie).mean()))
    return low, high


@SETTINGS
@given(graph=graphs(max_n=8), kind=st.sampled_from(("normal", "ties", "rare")), seed=st.integers(0, 2**16),
       star=st.sampled_from([None, True, False]))  # fmt: skip
def test_pseudo_p_values_converge_to_the_exact_permutation_p_values(graph, kind, seed, star):
    """Conditional randomisation enumerated exactly (n <= 8): the engine's pseudo p-value lies within Monte Carlo
    error of the exact one, for LISA (star None) and Gi* / Gi."""
    y = _series(graph, values(kind, graph.n, seed))
    if is_constant(y.to_numpy()):
        return
    if star is None:
        obj = LocalMoran(y, graph, seed=seed, permutations=PERMUTATIONS)
        x, wr, _, _ = prepare(y, graph, "test")
        z = (x - x.mean()) / x.std()
        from spatial_poverty.stats.engine import CSRWeights

        w = CSRWeights.from_sparse(wr)
        terms = statistic_terms("moran", z, w)
    else:
        obj = GetisOrdLocal(y, graph, star=star, seed=seed, permutations=PERMUTATIONS)
        x, w0, _, _ = prepare(y, graph, "test", transform="o")
        w = gi_weights(w0, star=star, transform="b")
        terms = statistic_terms("gistar" if star else "gi", x, w)
    for i in range(graph.n):
        if not np.isfinite(obj.p_sim[i]):
            continue
        low, high = _exact_bounds(terms, w, i, float(obj.result.observed[i]))
        pi = min(0.5, max(low, high) / 2)
        tol = 2 * MC_SIGMAS * math.sqrt(max(pi * (1 - pi), 1e-4) / PERMUTATIONS) + 4.0 / PERMUTATIONS
        assert low - tol <= obj.p_sim[i] <= high + tol, (i, obj.p_sim[i], low, high)


#: (scale, shift) pairs: a shift by 1e7 and a scale by 1e-10 each, never both (1e-10 units on 1e7 is below
#: float64's resolution: no method can keep such data).
AFFINE = [(1.0, 1e7), (1e-10, 0.0), (1e6, -3.5), (1e-10, -1e-9), (2.0, 0.5)]


@SETTINGS
@given(graph=graphs(), seed=st.integers(0, 2**16), name=st.sampled_from(["lisa", "gistar_b", "gistar_r", "geary"]),
       affine=st.sampled_from(AFFINE))  # fmt: skip
def test_statistics_do_not_depend_on_the_origin_or_the_unit_of_the_variable(graph, seed, name, affine):
    """LISA, Gi* and local Geary are invariant under y -> a y + b (a > 0): same statistics, same p-values up to
    one count of a tie decided by rounding."""
    scale, shift = affine
    y = values("normal", graph.n, seed)
    base = LOCALS[name](_series(graph, y), graph, seed=seed, permutations=199)
    moved = LOCALS[name](_series(graph, y * scale + shift), graph, seed=seed, permutations=199)
    a, b = _stat(base), _stat(moved)
    ok = np.isfinite(a)
    assert np.array_equal(ok, np.isfinite(b))
    np.testing.assert_allclose(b[ok], a[ok], rtol=RTOL, atol=RTOL)
    np.testing.assert_allclose(moved.p_sim[ok], base.p_sim[ok], atol=2.5 / 200, equal_nan=True)


@SETTINGS
@given(graph=graphs(isolates=True), seed=st.integers(0, 2**16), name=st.sampled_from(sorted(LOCALS)),
       order=st.randoms(use_true_random=False))  # fmt: skip
def test_the_order_of_the_rows_changes_nothing(graph, seed, name, order):
    """y given in any row order (aligned by its index to the graph's ids) gives identical results."""
    y = _series(graph, values("normal", graph.n, seed))
    shuffled = y.iloc[order.sample(range(graph.n), graph.n)]
    a = LOCALS[name](y, graph, seed=seed, permutations=99, isolates="keep")
    b = LOCALS[name](shuffled, graph, seed=seed, permutations=99, isolates="keep")
    np.testing.assert_array_equal(_stat(a), _stat(b))
    np.testing.assert_array_equal(a.p_sim, b.p_sim)


@SETTINGS
@given(graph=graphs(), seed=st.integers(0, 2**16), name=st.sampled_from(sorted(LOCALS)),
       order=st.randoms(use_true_random=False))  # fmt: skip
def test_relabelling_the_units_changes_no_statistic(graph, seed, name, order):
    """The same graph with its units listed in another order: each unit's statistic is unchanged; its pseudo
    p-value changes only within Monte Carlo error (the shared table is drawn by position)."""
    perm = order.sample(range(graph.n), graph.n)
    rank = {u: r for r, u in enumerate(np.asarray(graph.unique_ids)[perm])}
    adj = graph.adjacency.reset_index()
    adj = adj.iloc[np.argsort([rank[u] for u in adj["focal"]], kind="stable")]  # ids listed in the new order
    relabelled = Graph.from_arrays(adj["focal"].to_numpy(), adj["neighbor"].to_numpy(), adj["weight"].to_numpy())
    assert list(relabelled.unique_ids) != list(graph.unique_ids) or graph.n < 2 or perm == sorted(perm)
    y = _series(graph, values("normal", graph.n, seed))
    a = LOCALS[name](y, graph, seed=seed, permutations=PERMUTATIONS)
    b = LOCALS[name](y, relabelled, seed=seed, permutations=PERMUTATIONS)
    sa = pd.Series(_stat(a), index=a.ids)
    sb = pd.Series(_stat(b), index=b.ids).reindex(sa.index)
    np.testing.assert_allclose(sb.to_numpy(), sa.to_numpy(), rtol=1e-12, atol=1e-12)
    pa = pd.Series(a.p_sim, index=a.ids)
    pb = pd.Series(b.p_sim, index=b.ids).reindex(pa.index)
    tol = 2 * 2 * MC_SIGMAS * math.sqrt(0.25 / PERMUTATIONS)
    np.testing.assert_allclose(pb.to_numpy(), pa.to_numpy(), atol=tol, equal_nan=True)


# ------------------------------------------------------------------------------------ the cases that broke


def _chain(n: int) -> Graph:
    ids = np.array([f"u{i}" for i in range(n)])
    focal = np.concatenate([ids[:-1], ids[1:]])
    return Graph.from_arrays(focal, np.concatenate([ids[1:], ids[:-1]]), np.ones(2 * (n - 1)))


def _complete(n: int) -> Graph:
    ids = [f"u{i}" for i in range(n)]
    pairs = [(a, b) for a in ids for b in ids if a != b]
    return Graph.from_arrays(np.array([a for a, _ in pairs]), np.array([b for _, b in pairs]), np.ones(len(pairs)))


@pytest.mark.parametrize("star", [True, False])
def test_gi_of_a_band_wider_than_the_area_is_not_significant(star):
    """Every unit a neighbour of every other (a distance band wider than the study area): Gi* has a zero
    variance term, Gi a fixed comparison set; neither may call any unit a hot spot."""
    y = pd.Series(np.arange(1.0, 11.0), index=[f"u{i}" for i in range(10)])
    gi = GetisOrdLocal(y, _complete(10), star=star, seed=1, permutations=999)
    assert np.isnan(gi.p_sim).all() and np.isnan(gi.q_sim).all()
    assert (gi.bin == 0).all() if star else True
    assert set(gi.reason) <= {"statistic not finite", "every other unit is a neighbour (one arrangement)"}


def test_gi_of_a_rare_event_is_not_significant_where_every_other_value_is_zero():
    """One case among zeros: Gi of the case (its n - 1 others all 0) has zero variance and no z-score."""
    y = pd.Series([0.0] * 7 + [1.0], index=[f"u{i}" for i in range(8)])
    gi = GetisOrdLocal(y, _chain(8), star=False, seed=1, permutations=999)
    assert not np.isfinite(gi.Zs[7]) and np.isnan(gi.p_sim[7]) and gi.bin[7] == 0
    assert gi.reason[7] == "statistic not finite"


@pytest.mark.parametrize("n", [2, 3])
def test_local_statistics_refuse_fewer_than_four_units(n):
    y = pd.Series(np.arange(n, dtype=float), index=[f"u{i}" for i in range(n)])
    for make in LOCALS.values():
        with pytest.raises(StatisticsError, match=r"needs at least 4 units; .* at most 2 arrangements"):
            make(y, _complete(n), seed=1)


@pytest.mark.parametrize(("shift", "scale"), [(1e7, 1.0), (0.0, 1e-10), (-1e9, 1e3)])
def test_a_shifted_or_rescaled_variable_is_not_taken_for_a_constant(shift, scale):
    y = pd.Series(np.arange(8.0) * scale + shift, index=[f"u{i}" for i in range(8)])
    lisa = LocalMoran(y, _chain(8), seed=1, permutations=99)
    base = LocalMoran(pd.Series(np.arange(8.0), index=y.index), _chain(8), seed=1, permutations=99)
    np.testing.assert_allclose(lisa.Is, base.Is, rtol=RTOL)


def test_gistar_row_standardised_follows_esda_self_weight_rule():
    """transform="r": the self-weight is added before row-standardisation, so each row sums to 1."""
    _x, w0, _, _ = prepare(pd.Series(np.arange(6.0), index=[f"u{i}" for i in range(6)]), _chain(6), "t", transform="o")
    w = gi_weights(w0, star=True, transform="r")
    rows = np.repeat(np.arange(6), w.card)
    np.testing.assert_allclose(np.bincount(rows, weights=w.data, minlength=6) + w.self_weight, 1.0, rtol=1e-15)
    np.testing.assert_allclose(w.self_weight, 1.0 / (w.card + 1), rtol=1e-15)


# --------------------------------------------------------------------------------------- esda's classes


@pytest.fixture(scope="module")
def columbus():
    import geopandas as gpd
    from libpysal import examples

    df = gpd.read_file(examples.get_path("columbus.shp"))
    # zero-padded ids: esda's Geary_Local returns its values in the sorted order of the ids
    df.index = df["POLYID"].map("{:03d}".format)
    return df, Graph.build_contiguity(df, rook=False)


@pytest.mark.filterwarnings("ignore:Gi\\* requested:UserWarning")
@pytest.mark.parametrize(("transform", "star"), [("b", True), ("r", True), ("b", False), ("r", False)])
def test_esda_mode_makes_esdas_decisions_for_gi(columbus, transform, star):
    """GetisOrdLocal(method="esda") against esda's G_Local on Columbus (same seed): identical pseudo p-values
    (esda's folded "directed" p) and so identical decisions; the z-scores equal esda's Zs where both
    definitions agree (binary weights), and with ``z="esda"`` also for row-standardised ones."""
    import esda

    df, g = columbus
    y = df["CRIME"]
    ref = esda.G_Local(y.to_numpy(), g.to_W(), transform=transform.upper(), star=star, permutations=199, seed=7)
    ours = GetisOrdLocal(y, g, star=star, transform=transform, method="esda", z="esda", permutations=199, seed=7)
    np.testing.assert_array_equal(ours.result.p_value("directed").astype(np.float32), np.float32(ref.p_sim))
    np.testing.assert_allclose(ours.Zs, ref.Zs, rtol=1e-10)
    np.testing.assert_allclose(ours.Gs, ref.Gs, rtol=1e-12)
    arcgis = GetisOrdLocal(y, g, star=star, transform=transform, permutations=199, seed=7)
    if transform == "b":
        np.testing.assert_allclose(arcgis.Zs, ref.Zs, rtol=1e-10)


def test_esda_mode_makes_esdas_decisions_for_lisa_and_geary(columbus):
    import esda

    df, g = columbus
    y = df["CRIME"]
    lisa = esda.Moran_Local(y.to_numpy(), g.to_W(), permutations=199, seed=3)
    ours = LocalMoran(y, g, method="esda", permutations=199, seed=3)
    np.testing.assert_array_equal(ours.result.p_value("directed").astype(np.float32), np.float32(lisa.p_sim))
    w = g.to_W()
    w.transform = "r"
    np.random.seed(3)  # Geary_Local draws its crand seed from NumPy's global state
    geary_seed = np.random.randint(12345, 12345000)
    np.random.seed(3)
    geary = esda.Geary_Local(connectivity=w, permutations=199).fit(y.to_numpy())
    mine = LocalGeary(y, g, method="esda", permutations=199, seed=geary_seed)
    np.testing.assert_array_equal(mine.result.p_value("directed").astype(np.float32), np.float32(geary.p_sim))
    np.testing.assert_allclose(mine.localG, geary.localG, rtol=1e-12)


def test_general_g_without_a_denominator_is_not_tested():
    """General G of a variable with one non-zero value: its denominator (sum_i sum_j!=i x_i x_j) is 0, so G is
    NaN and so is its pseudo p-value (a NaN compared with the permutations used to count as extreme)."""
    from spatial_poverty.stats import GeneralG

    y = pd.Series([0.0] * 7 + [2.0], index=[f"u{i}" for i in range(8)])
    g = GeneralG(y, _chain(8), seed=1, permutations=99)
    assert np.isnan(g.G) and np.isnan(g.p_sim) and np.isnan(g.z_sim)


def test_stats_gistar_warns_when_row_standardised(tmp_path):
    """The command line says when --transform r makes Gi* differ from a default ArcGIS Hot Spot Analysis."""
    import geopandas as gpd
    from shapely.geometry import box

    from .conftest import run_cli

    cells = [box(i % 4, i // 4, i % 4 + 1, i // 4 + 1) for i in range(16)]
    gdf = gpd.GeoDataFrame({"code": [f"{i:02d}" for i in range(16)], "v": np.arange(16.0) ** 1.3}, geometry=cells,
                           crs=2100)  # fmt: skip
    gdf.to_file(tmp_path / "grid.gpkg")
    proc = run_cli("stats", "gistar", str(tmp_path / "grid.gpkg"), "--id", "code", "--var", "v", "--weights", "queen",
                   "--transform", "r", "--out", str(tmp_path / "gi.gpkg"))  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert "differ from a default ArcGIS Hot Spot Analysis" in proc.stderr
