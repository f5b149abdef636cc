"""The index engine on worked examples and small frames the tests build themselves (no bundle data).

Expected values are computed by hand from the formulas in the docstrings and docs/indices.md; the IMD values
are those of the English IMD technical report (the transform at R = 0.5, 0.9, 1).
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from spatial_poverty.errors import ConfigError, ExportError, IngestError, StatisticsError
from spatial_poverty.indices import (
    IndexSpec,
    aggregate,
    build_index,
    cronbach_alpha,
    factor_weights,
    imd_exponential,
    jrc_outliers,
    kurtosis,
    load_recipe,
    mazziotta_pareto,
    monte_carlo,
    normalise,
    pca_scores,
    prepare,
    skewness,
    varimax,
    write_index_tables,
)
from spatial_poverty.pipeline import load_config

ATOL_IMD = 5e-5  # the published IMD values have 4 decimals
RTOL = 1e-12  # closed-form formulas, same arithmetic


def codes(n: int) -> pd.Index:
    return pd.Index([f"{i:04d}" for i in range(101, 101 + n)], name="code")


def series(values: list[float], name: str = "x") -> pd.Series:
    return pd.Series(values, index=codes(len(values)), name=name, dtype=float)


# --- IMD exponential transform --------------------------------------------------------------------------------


@pytest.mark.parametrize(("r", "expected"), [(1.0, 100.0), (0.5, 15.6468), (0.9, 50.4267), (0.0, 0.0)])
def test_imd_exponential_worked_examples(r, expected):
    assert float(imd_exponential(r)) == pytest.approx(expected, abs=ATOL_IMD)


def test_imd_aggregation_ranks_then_transforms():
    dom = pd.DataFrame({"a": [1.0, 2.0, 3.0, 4.0], "b": [4.0, 3.0, 2.0, 1.0]}, index=codes(4))
    out = aggregate(dom, "imd_exponential", weights={"a": 0.75, "b": 0.25})
    r = np.array([1, 2, 3, 4]) / 4
    x = -23 * np.log(1 - r * (1 - math.exp(-100 / 23)))
    np.testing.assert_allclose(out.to_numpy(), 0.75 * x + 0.25 * x[::-1], rtol=RTOL)
    assert out.index.equals(dom.index)


# --- normalisations ---------------------------------------------------------------------------------------


def test_minmax_and_direction():
    x = series([1, 2, 3, 5])
    np.testing.assert_allclose(normalise(x, "minmax"), [0, 25, 50, 100], rtol=RTOL)
    np.testing.assert_allclose(normalise(x, "minmax", direction=-1), [100, 75, 50, 0], rtol=RTOL)
    np.testing.assert_allclose(normalise(x, "minmax", range=(1, 10)), [1, 3.25, 5.5, 10], rtol=RTOL)
    assert normalise(x, "minmax").index.equals(x.index)


def test_zscore_rank_percentile_rank():
    x = series([10, 20, 20, 30])
    sd = np.std([10, 20, 20, 30], ddof=1)
    np.testing.assert_allclose(normalise(x, "zscore"), (np.array([10, 20, 20, 30]) - 20) / sd, rtol=RTOL)
    np.testing.assert_allclose(normalise(x, "rank"), [1, 2.5, 2.5, 4], rtol=RTOL)
    np.testing.assert_allclose(normalise(x, "percentile_rank"), [0, 1 / 3, 1 / 3, 1], rtol=RTOL)
    np.testing.assert_allclose(normalise(x, "rank", direction=-1), [4, 2.5, 2.5, 1], rtol=RTOL)


def test_goalposts_clip_and_mirror():
    x = series([-10, 25, 60])
    np.testing.assert_allclose(normalise(x, "goalposts", goalposts=(0, 50)), [0, 50, 100], rtol=RTOL)
    np.testing.assert_allclose(normalise(x, "goalposts", goalposts=(0, 50), direction=-1), [100, 50, 0], rtol=RTOL)


def test_distance_to_reference():
    x = series([10, 20, 40])
    np.testing.assert_allclose(normalise(x, "distance_to_reference", reference="0102"), [0.5, 1, 2], rtol=RTOL)
    np.testing.assert_allclose(
        normalise(x, "distance_to_reference", reference="0102", direction=-1), [2, 1, 0.5], rtol=RTOL
    )
    np.testing.assert_allclose(
        normalise(x, "distance_to_reference", reference="0102", reference_mode="difference"), [-10, 0, 20]
    )
    with pytest.raises(StatisticsError, match="reference unit '9999' is not among the units"):
        normalise(x, "distance_to_reference", reference="9999")


def test_ampi_rescaling_puts_the_mean_at_100():
    x = series([2, 4, 9])  # mean 5, delta 3.5: min -> 70 + 60 * (2 - 1.5) / 7
    np.testing.assert_allclose(normalise(x, "ampi"), [70 + 60 * 0.5 / 7, 70 + 60 * 2.5 / 7, 70 + 60 * 7.5 / 7])
    assert normalise(x, "ampi").mean() == pytest.approx(100, rel=RTOL)


def test_constant_indicator_is_refused():
    with pytest.raises(StatisticsError, match="indicator 'x' is constant"):
        normalise(series([3, 3, 3]), "zscore")


# --- aggregations -----------------------------------------------------------------------------------------


def test_arithmetic_geometric_mazziotta_pareto():
    f = pd.DataFrame({"a": [100.0, 4.0], "b": [120.0, 1.0]}, index=codes(2))
    np.testing.assert_allclose(aggregate(f, "arithmetic", weights={"a": 1, "b": 3}), [115, 1.75], rtol=RTOL)
    np.testing.assert_allclose(aggregate(f, "geometric").iloc[1], 2.0, rtol=RTOL)  # sqrt(4 * 1)
    m, s = 110.0, 10.0  # unit 0: mean 110, population sd 10, cv 1/11
    assert mazziotta_pareto(f).iloc[0] == pytest.approx(m + s * s / m, rel=RTOL)
    assert mazziotta_pareto(f, penalty=-1).iloc[0] == pytest.approx(m - s * s / m, rel=RTOL)
    with pytest.raises(StatisticsError, match="geometric mean needs positive values"):
        aggregate(f - 5, "geometric")


# --- JRC outlier rule -------------------------------------------------------------------------------------


def test_skewness_and_kurtosis_are_the_excel_definitions():
    x = np.array([*range(1, 11), 30, 100], dtype=float)
    n, d = len(x), x - x.mean()
    g1 = math.sqrt(n) * (d**3).sum() / (d**2).sum() ** 1.5 * math.sqrt(n * (n - 1)) / (n - 2)
    r = n * (d**4).sum() / (d**2).sum() ** 2
    g2 = ((n + 1) * (r - 3) + 6) * (n - 1) / ((n - 2) * (n - 3))
    assert skewness(pd.Series(x)) == pytest.approx(g1, rel=1e-12)
    assert kurtosis(pd.Series(x)) == pytest.approx(g2, rel=1e-12)


def test_jrc_winsorises_the_coinr_example():
    # COINr's vignette example: 1..10 with two high outliers (skew 3.06, kurtosis 9.74); one winsorisation
    # (100 -> 30) brings the skew to 1.71 < 2, which passes.
    x = series([*range(1, 11), 30, 100])
    t = jrc_outliers(x, winmax=5)
    assert t.skew_before == pytest.approx(3.0632, abs=1e-4) and t.kurtosis_before == pytest.approx(9.7414, abs=1e-4)
    assert t.treatment == "winsorised"
    assert t.values.max() == 30 and t.n_winsorised == 1
    assert t.skew_after == pytest.approx(1.7120, abs=1e-4)
    assert x.max() == 100  # input untouched


def test_jrc_falls_back_to_log_and_keeps_order():
    x = series(list(np.exp(np.linspace(0, 12, 40))))
    t = jrc_outliers(x, winmax=1)
    assert t.treatment == "log" and t.n_winsorised == 0
    assert (t.values.rank() == x.rank()).all()
    lo, hi = x.min(), x.max()
    np.testing.assert_allclose(t.values, np.log(x - lo + 0.01 * (hi - lo)), rtol=RTOL)


def test_jrc_leaves_a_normal_indicator_alone():
    x = series(list(np.random.default_rng(1).normal(size=50)))
    assert jrc_outliers(x).treatment == "none"


# --- weights, PCA, Cronbach -------------------------------------------------------------------------------


def _two_blocks(n: int = 200, seed: int = 3) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    f1, f2 = rng.normal(size=n), rng.normal(size=n)
    cols = {f"a{i}": f1 + 0.3 * rng.normal(size=n) for i in range(3)}
    cols |= {f"b{i}": f2 + 0.3 * rng.normal(size=n) for i in range(3)}
    return pd.DataFrame(cols, index=pd.Index([f"{i:04d}" for i in range(n)], name="code"))


def test_varimax_keeps_communalities():
    load = np.random.default_rng(0).normal(size=(6, 2))
    rot = varimax(load)
    np.testing.assert_allclose((rot**2).sum(axis=1), (load**2).sum(axis=1), rtol=1e-10)


@pytest.mark.parametrize("method", ["pca", "fa"])
def test_factor_weights_on_two_blocks(method):
    w = factor_weights(_two_blocks(), method)
    assert w.sum() == pytest.approx(1.0, rel=RTOL)
    assert (w > 0).all() and list(w.index) == [f"{b}{i}" for b in "ab" for i in range(3)]
    assert w.max() / w.min() < 1.5  # two symmetric blocks: nearly equal weights


def test_pca_scores_point_to_deprivation():
    f = _two_blocks()
    s = pca_scores(f)
    assert s.index.equals(f.index)
    assert np.corrcoef(s, f.sum(axis=1))[0, 1] > 0.9


def test_cronbach_alpha():
    f = _two_blocks()
    a = f[["a0", "a1", "a2"]]
    c = a.cov().to_numpy()
    k = 3
    assert cronbach_alpha(a) == pytest.approx(k / (k - 1) * (1 - np.trace(c) / c.sum()), rel=1e-12)
    assert cronbach_alpha(pd.DataFrame({"x": f.a0, "y": f.a0})) == pytest.approx(1.0, rel=1e-12)
    assert cronbach_alpha(f[["a0", "b0"]]) < 0.2  # unrelated items


# --- the spec ---------------------------------------------------------------------------------------------


def _spec(**kw) -> IndexSpec:
    base = {
        "indicators": [{"column": "unemp"}, {"column": "income", "direction": -1}, {"column": "primary"}],
        "normalisation": {"method": "minmax"},
    }
    return IndexSpec.model_validate(base | kw)


def _frame(n: int = 30, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        {
            "unemp": rng.uniform(5, 30, n),
            "income": rng.uniform(10000, 30000, n),
            "primary": rng.uniform(0, 60, n),
            "name_el": ["Δήμος"] * n,
        },
        index=codes(n),
    )


def test_index_section_in_a_pipeline(tmp_path):
    p = tmp_path / "p.yaml"
    p.write_text(
        "name: t\ntitle: Τ\nseed: 1\nindex:\n  recipe: townsend\n  uncertainty: {runs: 20}\n"
        "  indicators:\n    - {column: unemp_2001, wieght: 2}\n",
        encoding="utf-8",
    )
    with pytest.raises(
        ConfigError, match=r"unknown key 'index\.indicators\.0\.wieght'; allowed here: column, direction, domain"
    ):
        load_config(p)
    p.write_text("name: t\ntitle: Τ\nseed: 1\nindex:\n  recipe: townsend\n  uncertainty: {runs: 20}\n", "utf-8")
    cfg = load_config(p)
    assert cfg.index is not None and cfg.index.uncertainty.runs == 20
    assert cfg.index.columns == ["unemp_2001", "income_2001", "primary_2001"]
    shipped = load_config(Path(__file__).parents[1] / "pipelines" / "south_aegean.yaml").index
    assert shipped is not None and shipped.recipe == "imd" and "income_2001" in shipped.columns


@pytest.mark.parametrize(
    ("kw", "message"),
    [
        ({"recipe": "nope"}, "unknown recipe 'nope'"),
        ({"aggregation": {"within_domains": "geometric"}}, r"needs positive normalised values"),
        ({"weighting": {"domain_weights": {"health": 1}}}, r"names domain\(s\) \['health'\]"),
        ({"name": "municipalities"}, "taken by another layer"),
        ({"uncertainty": {"normalisations": ["goalposts"]}}, r"needs goalposts \[lower, upper\] on indicator"),
        ({"normalisation": {"method": "distance_to_reference"}}, "needs 'reference'"),
    ],
)
def test_bad_specs_are_refused(kw, message):
    with pytest.raises(ValueError, match=message):
        _spec(**kw)


def test_missing_column_and_missing_values():
    f = _frame()
    with pytest.raises(ConfigError, match=r"column\(s\) \['unemp'\] are not in the table; its columns are"):
        build_index(f.drop(columns="unemp"), _spec(), source="the table")
    f.loc["0103", "income"] = np.nan
    with pytest.raises(IngestError, match=r"missing values: 'income' at \['0103'\].*policy: impute"):
        build_index(f, _spec(), source="the table")
    prep = prepare(f, _spec(missing={"policy": "impute"}))
    assert prep.imputed.loc["0103", "income"] and prep.imputed.to_numpy().sum() == 1
    assert prep.values.loc["0103", "income"] == f["income"].median()
    f = f.astype({"unemp": object})
    f.loc["0104", "unemp"] = "n/a"
    with pytest.raises(IngestError, match=r"column 'unemp', municipality 0104: value 'n/a' is not a number"):
        prepare(f, _spec(missing={"policy": "impute"}))


def test_build_index_ranks_and_does_not_touch_its_input():
    f = _frame()
    before = f.copy()
    res = build_index(f, _spec())
    pd.testing.assert_frame_equal(f, before)
    assert res.score.index.equals(f.index)
    top = res.score.idxmax()
    assert res.rank[top] == 1 and res.decile[top] == 1 and res.rank.max() == len(f)
    assert sorted(res.decile.unique()) == list(range(1, 11))


# --- property tests ---------------------------------------------------------------------------------------

COMBOS = [
    ("minmax", "arithmetic", "arithmetic", (0.0, 100.0)),
    ("zscore", "arithmetic", "arithmetic", (0.0, 100.0)),
    ("rank", "geometric", "geometric", (0.0, 100.0)),
    ("minmax", "geometric", "arithmetic", (1.0, 100.0)),
    ("zscore", "arithmetic", "imd_exponential", (0.0, 100.0)),
    ("percentile_rank", "arithmetic", "arithmetic", (0.0, 100.0)),
]

values = st.lists(st.floats(0, 1000, allow_nan=False), min_size=6, max_size=25)


def _domain_spec(norm: str, within: str, across: str, rng: tuple[float, float]) -> IndexSpec:
    return IndexSpec.model_validate(
        {
            "indicators": [
                {"column": "unemp", "domain": "work"},
                {"column": "income", "direction": -1, "domain": "money"},
                {"column": "primary", "domain": "work"},
            ],
            "normalisation": {"method": norm, "range": rng},
            "aggregation": {"within_domains": within, "across_domains": across},
        }
    )


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    data=st.data(),
    combo=st.sampled_from(COMBOS),
    column=st.sampled_from(["unemp", "income", "primary"]),
)
def test_score_is_monotonic_in_each_indicators_direction(data, combo, column):
    n = data.draw(st.integers(6, 25))
    cols = {c: data.draw(st.lists(st.floats(0, 1000), min_size=n, max_size=n)) for c in ("unemp", "income", "primary")}
    f = pd.DataFrame(cols, index=codes(n))
    if (f.nunique() < 2).any():
        return
    spec = _domain_spec(*combo)
    unit = data.draw(st.sampled_from(list(f.index)))
    step = data.draw(st.floats(1, 500))
    worse = f.copy()
    worse.loc[unit, column] += step if column != "income" else -step  # more deprived
    before, after = build_index(f, spec).score[unit], build_index(worse, spec).score[unit]
    assert after >= before - 1e-9 * max(1.0, abs(before))


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), combo=st.sampled_from(COMBOS))
def test_score_is_independent_of_row_order(seed, combo):
    f = _frame(20, seed=seed % 1000)
    spec = _domain_spec(*combo)
    a = build_index(f, spec).score
    b = build_index(f.sample(frac=1, random_state=seed % 1000), spec).score
    pd.testing.assert_series_equal(a, b.reindex(a.index), rtol=1e-12)


@settings(max_examples=40, deadline=None)
@given(
    scale=st.floats(1e-3, 1e3),
    shift=st.floats(-1e3, 1e3),
    norm=st.sampled_from(["zscore", "rank", "percentile_rank"]),
)
def test_z_and_rank_normalisations_do_not_depend_on_units(scale, shift, norm):
    f = _frame(25)
    g = f.assign(income=f["income"] * scale + shift)  # another currency, another origin
    spec = _domain_spec(norm, "arithmetic", "arithmetic", (0.0, 100.0))
    pd.testing.assert_series_equal(build_index(f, spec).score, build_index(g, spec).score, rtol=1e-9, atol=1e-9)


# --- Monte Carlo --------------------------------------------------------------------------------------------


def test_monte_carlo_is_seeded_and_bands_contain_the_median():
    f = _frame(40)
    spec = _spec(uncertainty={"runs": 60, "normalisations": ["minmax", "rank"], "aggregations": ["arithmetic"]})
    prep = prepare(f, spec)
    a, b = monte_carlo(prep, spec, seed=7), monte_carlo(prep, spec, seed=7)
    pd.testing.assert_frame_equal(a.summary, b.summary)
    assert a.first_order == b.first_order
    c = monte_carlo(prep, spec, seed=8)
    assert not c.summary.equals(a.summary)
    s = a.summary
    assert s.index.equals(f.index)
    assert ((s.rank_p05 <= s.rank_p50) & (s.rank_p50 <= s.rank_p95)).all()
    assert (s.rank_p95 - s.rank_p05).max() > 0
    assert s.p_worst_decile.between(0, 1).all() and s.p_worst_decile.sum() == pytest.approx(4, abs=1e-9)
    assert a.factors == ["weights", "normalisation"]


def test_sensitivity_names_the_only_choice_that_moves_ranks():
    f = _frame(40)
    spec = _spec(
        uncertainty={"runs": 200, "weight_noise": 0.0, "normalisations": ["minmax", "rank"], "indicator_se": False}
    )
    unc = monte_carlo(prepare(f, spec), spec, seed=11)
    assert unc.factors == ["normalisation"]
    assert unc.first_order["normalisation"] == pytest.approx(1.0, abs=0.25)  # the only factor: S = 1
    assert unc.total["normalisation"] == pytest.approx(1.0, abs=0.25)


def test_standard_errors_widen_the_bands():
    f = _frame(40).assign(unemp_se=2.0)
    base = {"runs": 50, "weight_noise": 0.0}
    spec = _spec(
        indicators=[
            {"column": "unemp", "se_column": "unemp_se"},
            {"column": "income", "direction": -1},
            {"column": "primary"},
        ],
        uncertainty=base,
    )
    unc = monte_carlo(prepare(f, spec), spec, seed=3)
    assert unc.factors == ["indicator_se"]
    assert (unc.summary.rank_p95 - unc.summary.rank_p05).mean() > 0
    no_se = _spec(uncertainty=base)
    fixed = monte_carlo(prepare(f, no_se), no_se, seed=3)  # nothing varies: the band is the nominal rank
    assert fixed.factors == [] and fixed.runs == 0
    assert (fixed.summary.rank_p05 == fixed.summary.rank_p95).all()


# --- outputs ----------------------------------------------------------------------------------------------


def test_tables_have_greek_headers_and_are_reproducible(tmp_path):
    import openpyxl

    from spatial_poverty.indices import run_index

    f = _frame(30)
    spec = _spec(uncertainty={"runs": 20})
    gdf = __import__("geopandas").GeoDataFrame(
        f, geometry=__import__("geopandas").points_from_xy(range(30), range(30)), crs=2100
    )
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    st1 = run_index(spec, gdf, tmp_path / "a", seed=5)
    run_index(spec, gdf, tmp_path / "b", seed=5)
    for name in ("deprivation_index.csv", "deprivation_index.xlsx"):
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()
    csv = pd.read_csv(tmp_path / "a" / "deprivation_index.csv", dtype={"Κωδικός δήμου (ΕΛ.ΣΤΑΤ. 2021)": str})
    assert csv.columns[:4].tolist() == ["Κωδικός δήμου (ΕΛ.ΣΤΑΤ. 2021)", "Δήμος", "Σύνθετος δείκτης", csv.columns[3]]
    assert csv.iloc[0, 0] == st1.table.index[0] and csv.iloc[:, 3].tolist() == st1.table["rank"].tolist()
    ws = openpyxl.load_workbook(tmp_path / "a" / "deprivation_index.xlsx").active
    assert ws.cell(1, 3).value == "Σύνθετος δείκτης" and ws.cell(2, 1).value == st1.table.index[0]
    assert list(st1.layer.columns[:4]) == ["name_el", "score", "rank", "decile"]
    assert {"rank_p05", "rank_p50", "rank_p95", "p_worst_decile"} <= set(st1.layer.columns)
    band = st1.table["rank_p95"] - st1.table["rank_p05"]
    expected = (band > spec.uncertainty.unreliable_band * 30) | (st1.table["n_imputed"] > 0)
    assert st1.layer["unreliable"].tolist() == expected.tolist() and 0 < expected.sum() < 30
    with pytest.raises(ExportError, match="exists already"):
        write_index_tables(st1.table, tmp_path / "a", spec)


def test_recipes_load():
    assert load_recipe("imd").aggregation.across_domains == "imd_exponential"
    assert load_recipe("sovi").aggregation.across_domains == "pca_scores"
    assert load_recipe("townsend", uncertainty={"runs": 5}).uncertainty.runs == 5
