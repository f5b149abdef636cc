"""Small-area estimation engine: published values (R survey / Stata, R sae), replicate against Taylor variance,
properties, bad input, and a small seeded design-based simulation on the real municipalities (SYNTHETIC data).

The textbook files come from ``../shared/sae_reference`` (PROVENANCE.md: copied from the samplics 0.6.1 wheel,
MIT; NHANES II, NCHS; milk expenditure, Arora & Lahiri 1997 as distributed with R sae).
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from spatial_poverty.errors import IngestError, StatisticsError
from spatial_poverty.sae import Design, direct_estimates
from spatial_poverty.sae.fh import benchmark, fit_fh, quality_class

from .conftest import ROOT, run_cli

REFERENCE = ROOT.parent / "shared" / "sae_reference"
#: NHANES II zinc (Stata `svy: mean zinc`, R `survey::svymean`).
ZINC_MEAN, ZINC_SE = 87.18206705, 0.49448269
#: Milk expenditure Fay-Herriot (R sae eblupFH/mseFH), converged values; R sae stops at a 1e-4 step.
MILK_REML_S2, MILK_EBLUP_1, MILK_MSE_1, MILK_ML_S2 = 0.0185503, 1.021970, 0.013460, 0.01551755
RTOL_PUBLISHED = 1e-7  # published to 8-10 significant digits
ATOL_7DIGITS = 5e-7  # published to 6-7 decimals
RTOL_SAE_STOP = 1e-5  # R sae's ML stops at a relative step of 1e-4: its value differs in the 6th digit


@pytest.fixture(scope="module")
def reference() -> Path:
    if not (REFERENCE / "nhanes2.csv").is_file():
        msg = f"the SAE reference data are not at {REFERENCE}"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(msg)
        pytest.skip(msg)
    return REFERENCE


def test_nhanes_zinc_mean_and_taylor_se_through_the_command_line(reference, tmp_path):
    out = tmp_path / "zinc.csv"
    proc = run_cli("sae", "direct", str(reference / "nhanes2.csv"), "--y", "zinc", "--weight", "finalwgt",
                   "--strata", "stratid", "--psu", "psuid", "--out", str(out))  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    table = pd.read_csv(out)
    assert list(table.columns) == ["domain", "n", "estimate", "variance", "se", "cv", "deff", "n_eff"]
    assert len(table) == 1 and table["n"].iloc[0] == 9189  # rows without zinc are in no domain
    np.testing.assert_allclose(table["estimate"].iloc[0], ZINC_MEAN, rtol=RTOL_PUBLISHED)
    np.testing.assert_allclose(table["se"].iloc[0], ZINC_SE, rtol=RTOL_PUBLISHED)


def test_a_domain_is_a_subpopulation_not_a_subset(reference):
    """A domain that cuts across strata (race 2): its estimate from the full design keeps every stratum and PSU
    (a PSU without a respondent of the domain adds a zero); the subset of the file drops them and gives another
    variance."""
    d = pd.read_csv(reference / "nhanes2.csv")
    design = Design.taylor(d["finalwgt"].to_numpy(), strata=d["stratid"].to_numpy(), psu=d["psuid"].to_numpy())
    by_race = direct_estimates(design, d["zinc"].to_numpy(), d["race"].to_numpy())
    sub = d[d["race"] == 2]
    alone = direct_estimates(
        Design.taylor(
            sub["finalwgt"].to_numpy(),
            strata=sub["stratid"].to_numpy(),
            psu=sub["psuid"].to_numpy(),
            lonely_psu="certainty",
        ),
        sub["zinc"].to_numpy(),
    )
    np.testing.assert_allclose(by_race.loc["2", "estimate"], alone["estimate"].iloc[0], rtol=1e-12)
    assert by_race.loc["2", "variance"] != pytest.approx(alone["variance"].iloc[0], rel=1e-3)
    assert by_race["n"].sum() == 9189


def test_jackknife_replicates_agree_with_the_equivalent_taylor_design(reference, tmp_path):
    """NHANES II jackknife file: 62 replicates, 31 strata of 2 PSUs (each replicate drops one PSU and doubles
    the other; the strata and PSUs are read back from the replicate pattern). For a total, the JKn variance
    ((n_h - 1)/n_h = 1/2 per replicate, full-sample centring) equals the with-replacement Taylor variance exactly;
    for a mean (a ratio) the two are asymptotically equivalent (Krewski & Rao 1981; Wolter 2007, ch. 4), here
    within 0.1 %."""
    d = pd.read_csv(reference / "nhanes2jk_subset.csv")
    reps = d[[c for c in d.columns if c.startswith("jkw_")]].to_numpy(float)
    w = d["finalwgt"].to_numpy(float)
    stratum, psu = np.full(len(d), -1), np.full(len(d), -1)
    for r in range(reps.shape[1]):
        dropped, doubled = reps[:, r] == 0, np.isclose(reps[:, r], 2 * w)
        stratum[dropped | doubled], psu[dropped], psu[doubled] = r // 2, 0, 1
    assert (stratum >= 0).all() and len(set(stratum)) == 31
    taylor = Design.taylor(w, strata=stratum, psu=psu)
    jk_full = Design.replicates(w, reps, method="jkn", mse=True)
    for var in ("height", "weight"):
        y = d[var].to_numpy(float)
        t_tot = direct_estimates(taylor, y, statistic="total")["se"].iloc[0]
        j_tot = direct_estimates(jk_full, y, statistic="total")["se"].iloc[0]
        np.testing.assert_allclose(j_tot, t_tot, rtol=1e-10)
        t_mean = direct_estimates(taylor, y)["se"].iloc[0]
        j_mean = direct_estimates(Design.replicates(w, reps, method="jkn"), y)["se"].iloc[0]
        np.testing.assert_allclose(j_mean, t_mean, rtol=1e-3)
    out = tmp_path / "jk.csv"  # the command line gives the same
    proc = run_cli("sae", "direct", str(reference / "nhanes2jk_subset.csv"), "--y", "height", "--weight", "finalwgt",
                   "--replicate-weights", "jkw_", "--replicate-method", "jkn", "--out", str(out))  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    y = d["height"].to_numpy(float)
    np.testing.assert_allclose(
        pd.read_csv(out)["se"].iloc[0],
        direct_estimates(Design.replicates(w, reps, method="jkn"), y)["se"].iloc[0],
        rtol=1e-9,
    )


def _milk(reference: Path) -> pd.DataFrame:
    d = pd.read_csv(reference / "expenditure_on_milk.csv")
    d["variance"] = d["std_error"] ** 2
    for k in (2, 3, 4):
        d[f"major_{k}"] = (d["major_area"] == k).astype(int)
    return d


def test_milk_fay_herriot_reml_and_ml_through_the_command_line(reference, tmp_path):
    d = _milk(reference)
    d.to_csv(tmp_path / "milk.csv", index=False)
    covs = "major_2,major_3,major_4"
    for method in ("reml", "ml"):
        out = tmp_path / f"milk_{method}.csv"
        args = ["--id", "small_area", "--direct", "direct_est", "--variance", "variance", "--covariates", covs]
        proc = run_cli("sae", "fh", str(tmp_path / "milk.csv"), *args, "--method", method, "--out", str(out))
        assert proc.returncode == 0, proc.stderr
        table = pd.read_csv(out, dtype={"id": str})
        summary = json.loads(out.with_suffix(".json").read_text(encoding="utf-8"))
        assert list(table.columns[:9]) == ["id", "direct", "direct_variance", "eblup", "mse", "cv", "ci_low",
                                           "ci_high", "out_of_sample"]  # fmt: skip
        assert set(summary) >= {"method", "sigma2_u", "beta", "loglik", "converged"} and "const" in summary["beta"]
        if method == "reml":
            np.testing.assert_allclose(summary["sigma2_u"], MILK_REML_S2, atol=ATOL_7DIGITS / 10)
            np.testing.assert_allclose(table["eblup"].iloc[0], MILK_EBLUP_1, atol=ATOL_7DIGITS)
            np.testing.assert_allclose(table["mse"].iloc[0], MILK_MSE_1, atol=ATOL_7DIGITS)
        else:
            np.testing.assert_allclose(summary["sigma2_u"], MILK_ML_S2, rtol=RTOL_SAE_STOP)
        assert summary["converged"] is True


def test_out_of_sample_areas_get_the_synthetic_estimate_and_its_mse(reference):
    d = _milk(reference).set_index("small_area")
    d.loc[[5, 20], ["direct_est", "variance"]] = np.nan
    res = fit_fh(d, direct="direct_est", variance="variance", covariates=["major_2", "major_3", "major_4"])
    e = res.estimates
    assert e.loc[[5, 20], "out_of_sample"].all() and e["out_of_sample"].sum() == 2
    x = np.array([1.0, *(d.loc[5, ["major_2", "major_3", "major_4"]].to_numpy(float))])
    np.testing.assert_allclose(e.loc[5, "eblup"], x @ res.beta.to_numpy(), rtol=1e-12)
    assert e.loc[5, "mse"] > res.sigma2_u  # sigma2_u + x'(X'V^-1X)^-1 x


def test_adjusted_likelihood_never_gives_zero_variance():
    """Direct estimates that fit the covariates better than their sampling variances allow: REML gives
    sigma2_u = 0 (every EBLUP synthetic), the adjusted likelihood of Li & Lahiri (2010) a positive value."""
    rng = np.random.default_rng(5)
    x = rng.normal(size=30)
    d = pd.DataFrame({"y": 1 + 0.5 * x + rng.normal(scale=0.05, size=30), "v": 0.09, "x": x})
    assert fit_fh(d, direct="y", variance="v", covariates=["x"]).sigma2_u == 0.0
    assert fit_fh(d, direct="y", variance="v", covariates=["x"], method="adjusted").sigma2_u > 0.0


def test_gamma_tends_to_one_as_the_sampling_variance_vanishes(reference):
    d = _milk(reference)
    gammas = []
    for scale in (1.0, 1e-2, 1e-4, 1e-6):
        res = fit_fh(d.assign(variance=d["variance"] * scale), direct="direct_est", variance="variance",
                     covariates=["major_2", "major_3", "major_4"])  # fmt: skip
        gammas.append(res.estimates["gamma"].min())
    assert np.all(np.diff(gammas) > 0) and gammas[-1] > 0.999


def test_benchmarked_estimates_add_up_exactly(reference):
    d = _milk(reference)
    d["population"] = np.arange(1, len(d) + 1) * 1000.0
    for how in ("ratio", "difference"):
        res = fit_fh(
            d,
            direct="direct_est",
            variance="variance",
            covariates=["major_2", "major_3", "major_4"],
            population="population",
            benchmark_value=1.05,
            benchmark_method=how,
            bootstrap=100,
            seed=1,
        )
        w = d["population"].to_numpy() / d["population"].sum()
        np.testing.assert_allclose(w @ res.estimates["eblup"].to_numpy(), 1.05, rtol=1e-12)
        assert res.extra["mse_method"] == "parametric bootstrap"  # the benchmarking step is in the MSE
    np.testing.assert_allclose(benchmark(np.array([1.0, 3.0]), np.array([1.0, 1.0]), 4.0), [2.0, 6.0])


def test_proportions_stay_in_the_unit_interval_with_the_arcsine_transform():
    """Shares near 0 and 1 with tiny samples: the untransformed model can leave [0, 1], the arcsine model's
    estimates and intervals cannot (bias-corrected back-transform)."""
    rng = np.random.default_rng(11)
    n = rng.integers(3, 40, size=60)
    p = np.clip(rng.beta(0.4, 2.0, size=60), 0, 1)
    y = rng.binomial(n, p) / n
    d = pd.DataFrame({"p": y, "n": n.astype(float), "x": p + rng.normal(scale=0.1, size=60)})
    d["v"] = np.maximum(d["p"] * (1 - d["p"]), 0.05) / d["n"]
    plain = fit_fh(d, direct="p", variance="v", covariates=["x"]).estimates
    arc = fit_fh(d, direct="p", variance=None, covariates=["x"], transform="arcsin", sample_size="n",
                 bootstrap=200, seed=3).estimates  # fmt: skip
    assert ((plain["ci_low"] < 0) | (plain["eblup"] < 0)).any()  # what the transform is for
    for col in ("eblup", "ci_low", "ci_high"):
        assert arc[col].between(0, 1).all(), col
    assert (arc["ci_low"] <= arc["eblup"]).all() and (arc["eblup"] <= arc["ci_high"]).all()


def test_quality_classes():
    assert list(quality_class(np.array([0.1, 0.2, 0.25, 0.34, np.nan]))) == [
        "publish", "publish", "flag", "suppress", "suppress"]  # fmt: skip
    assert list(quality_class(np.array([0.17]), (0.165, 1 / 3))) == ["flag"]


def test_bad_input_is_named(reference, tmp_path):
    d = _milk(reference)
    bad = d.copy()
    bad.loc[3, "variance"] = 0.0
    bad.to_csv(tmp_path / "zero.csv", index=False)
    proc = run_cli("sae", "fh", str(tmp_path / "zero.csv"), "--id", "small_area", "--direct", "direct_est",
                   "--variance", "variance", "--covariates", "major_2", "--out", str(tmp_path / "o.csv"))  # fmt: skip
    assert proc.returncode == 4 and "area '4', column 'variance': 0.0" in proc.stderr, proc.stderr
    d.assign(twice=d["major_2"] * 2).to_csv(tmp_path / "col.csv", index=False)
    args = ["--id", "small_area", "--direct", "direct_est", "--variance", "variance", "--out", str(tmp_path / "o.csv")]
    proc = run_cli("sae", "fh", str(tmp_path / "col.csv"), *args, "--covariates", "major_2,twice")
    assert proc.returncode == 7 and "collinear covariates ['twice']" in proc.stderr, proc.stderr
    survey = pd.read_csv(reference / "nhanes2.csv").head(200)
    survey.loc[7, "finalwgt"] = -1
    survey.to_csv(tmp_path / "w.csv", index=False)
    proc = run_cli("sae", "direct", str(tmp_path / "w.csv"), "--y", "zinc", "--weight", "finalwgt",
                   "--strata", "nostratum", "--out", str(tmp_path / "o.csv"))  # fmt: skip
    assert proc.returncode == 4 and "column(s) ['nostratum'] are missing" in proc.stderr
    proc = run_cli("sae", "direct", str(tmp_path / "w.csv"), "--y", "zinc", "--weight", "finalwgt",
                   "--out", str(tmp_path / "o.csv"))  # fmt: skip
    assert proc.returncode == 4 and "row 9" in proc.stderr and "-1.0" in proc.stderr, proc.stderr
    with pytest.raises(StatisticsError, match="stratum '1' has a single PSU"):
        one = survey[survey["stratid"] == 1].head(5).assign(finalwgt=1.0)
        direct_estimates(Design.taylor(one["finalwgt"].to_numpy(), strata=one["stratid"].to_numpy(),
                                       psu=one["psuid"].to_numpy() * 0), one["zinc"].to_numpy())  # fmt: skip
    with pytest.raises(IngestError, match="weights need to be positive"):
        Design.taylor(np.array([1.0, 0.0]))


def test_lonely_psu_options_and_tiny_domains():
    """A stratum with one PSU: fail (named), certainty (no variance), adjust, average; a domain with one
    respondent is reported with no variance, not refused."""
    w = np.ones(7)
    strata = np.array([1, 1, 1, 1, 2, 2, 3])
    psu = np.array([1, 1, 2, 2, 1, 2, 1])
    y = np.array([1.0, 2, 3, 4, 5, 6, 10])
    with pytest.raises(StatisticsError, match="stratum '3' has a single PSU"):
        direct_estimates(Design.taylor(w, strata=strata, psu=psu), y)
    v = {how: direct_estimates(Design.taylor(w, strata=strata, psu=psu, lonely_psu=how), y)["variance"].iloc[0]
         for how in ("certainty", "adjust", "average")}  # fmt: skip
    assert v["certainty"] < v["average"] and v["certainty"] < v["adjust"]
    dom = np.array(["a"] * 6 + ["b"])
    t = direct_estimates(Design.taylor(w, strata=strata, psu=psu, lonely_psu="certainty"), y, dom)
    assert t.loc["b", "n"] == 1 and t.loc["b", "estimate"] == 10 and np.isnan(t.loc["b", "variance"])


@pytest.fixture(scope="module")
def municipalities(bundle):
    """The 332 municipalities of 2021 (real: ELSTAT boundaries and census population)."""
    from spatial_poverty.sae.simulate import municipal_frame

    return municipal_frame(bundle)


def test_design_based_simulation_covers_the_truth(municipalities):
    """SYNTHETIC population on the 332 real municipalities, 12 stratified two-stage samples of 6,000
    households (seeded): the model's 95 % intervals cover the true shares in 93-97 % of (area, sample) pairs,
    in and out of sample, and its mean relative RMSE is below the direct estimator's."""
    from spatial_poverty.sae.simulate import SYNTHETIC, evaluate, synthetic_population

    pop = synthetic_population(municipalities, seed=2026)
    assert len(pop.frame) == 332 and pop.label == SYNTHETIC
    r = evaluate(pop, replicates=12, seed=7, bootstrap=20)
    assert 0.93 <= r["coverage_in_sample"] <= 0.97, r
    assert 0.93 <= r["coverage_out_of_sample"] <= 0.99, r
    assert r["rrmse_eblup_mean"] < r["rrmse_direct_mean"], r
    assert r["publishable_eblup_mean"] > r["publishable_direct_mean"], r


# ------------------------------------------------------------------------------------ spatial Fay-Herriot


def _sar_data(m: int, seed: int, rho: float = 0.6, s2: float = 0.05):  # type: ignore[no-untyped-def]
    """Fixture built here: m random points, symmetric 4-nearest-neighbour proximity, SAR effects."""
    from spatial_poverty.sae.simulate import knn_proximity

    rng = np.random.default_rng(seed)
    w = knn_proximity(rng.uniform(size=(m, 2)), 4)
    ws = w / w.sum(axis=1, keepdims=True)
    x = np.column_stack([np.ones(m), rng.normal(size=m)])
    psi = rng.uniform(0.02, 0.1, size=m)
    u = np.linalg.solve(np.eye(m) - rho * ws, rng.normal(scale=np.sqrt(s2), size=m))
    theta = x @ np.array([1.0, 0.5]) + u
    return theta + rng.normal(size=m) * np.sqrt(psi), x, psi, w, theta


def test_spatial_fh_reaches_the_likelihood_maximum_and_reduces_to_fh_at_rho_zero():
    """The fit ends where a derivative-free search of the same REML likelihood ends (R sae::eblupSFH's Fisher
    scoring reaches that maximiser too); at rho = 0 the likelihood is the Fay-Herriot one checked against R sae
    above; the sparse likelihood equals the dense one written from the model's definition."""
    from scipy.optimize import minimize

    from spatial_poverty.sae.fh import reml_loglik
    from spatial_poverty.sae.spatial import fit_sfh, row_standardise, sfh_loglik

    y, x, psi, w, _ = _sar_data(100, seed=3)
    fit = fit_sfh(y, x, psi, w)
    ws = row_standardise(w)[0].toarray()
    nm = minimize(lambda p: -sfh_loglik(p[0], p[1], y, x, psi, ws, "reml"), [0.03, 0.3], method="Nelder-Mead",
                  options={"xatol": 1e-10, "fatol": 1e-13, "maxiter": 5000})  # fmt: skip
    np.testing.assert_allclose([fit.sigma2_u, fit.rho], nm.x, rtol=1e-5)
    np.testing.assert_allclose(fit.loglik, -nm.fun, rtol=1e-10)
    np.testing.assert_allclose(sfh_loglik(0.04, 0.0, y, x, psi, ws, "reml"), reml_loglik(0.04, y, x, psi), rtol=1e-12)
    v = 0.04 * np.linalg.inv((np.eye(100) - 0.3 * ws).T @ (np.eye(100) - 0.3 * ws)) + np.diag(psi)
    vi = np.linalg.inv(v)
    q = np.linalg.inv(x.T @ vi @ x)
    p_ = vi - vi @ x @ q @ x.T @ vi
    dense = -0.5 * (np.linalg.slogdet(v)[1] - np.linalg.slogdet(q)[1] + y @ p_ @ y)
    np.testing.assert_allclose(sfh_loglik(0.04, 0.3, y, x, psi, w, "reml"), dense, rtol=1e-12)


def _msesfh_r(s2, rho, x, psi, w, method):  # type: ignore[no-untyped-def]
    """R sae::mseSFH (sae 1.3, R/mseSFH.R) written line for line with dense matrices, REML and ML: the reference
    that the sparse computation is checked against."""
    m = len(psi)
    eye = np.eye(m)
    ci = np.linalg.inv((eye - rho * w.T) @ (eye - rho * w))
    g = s2 * ci
    v = g + np.diag(psi)
    vi = np.linalg.inv(v)
    xtvi = x.T @ vi
    q = np.linalg.inv(xtvi @ x)
    g1 = np.diag(g - g @ vi @ g)
    xa = x - g @ vi @ x
    g2 = np.einsum("ij,jk,ik->i", xa, q, xa)
    der_rho = 2 * rho * w.T @ w - w - w.T
    amat = -s2 * (ci @ der_rho @ ci)
    p = vi - xtvi.T @ q @ xtvi
    pci, pam = p @ ci, p @ amat
    idev = 0.5 * np.array([[np.trace(pci @ pci), np.trace(pci @ pam)], [np.trace(pci @ pam), np.trace(pam @ pam)]])
    ii = np.linalg.inv(idev)
    vici, viam = vi @ ci, vi @ amat
    l1, l2 = vici - s2 * vici @ vici, viam - s2 * viam @ vici
    g3 = np.array([np.trace(np.vstack([l1.T[i], l2.T[i]]) @ v @ np.vstack([l1.T[i], l2.T[i]]).T @ ii)
                   for i in range(m)])  # fmt: skip
    ps = np.diag(psi)
    d12 = -(ci @ der_rho @ ci)
    d22 = 2 * s2 * ci @ der_rho @ ci @ der_rho @ ci - 2 * s2 * ci @ w.T @ w @ ci
    dmat = (ps @ vi @ d12 @ vi @ ps) * (ii[0, 1] + ii[1, 0]) + ps @ vi @ d22 @ vi @ ps * ii[1, 1]
    mse = g1 + g2 + 2 * g3 - 0.5 * np.diag(dmat)
    if method == "ml":
        h = np.array([-np.trace(q @ xtvi @ ci @ vi @ x), -np.trace(q @ xtvi @ amat @ vi @ x)])
        b_ml = ii @ h / 2
        gvi = g @ vi
        dg1_da = ci - 2 * gvi @ ci + s2 * gvi @ ci @ vici
        dg1_dp = amat - 2 * gvi @ amat + s2 * gvi @ amat @ vici
        mse = mse - (b_ml[0] * np.diag(dg1_da) + b_ml[1] * np.diag(dg1_dp))
    return mse


@pytest.mark.parametrize("method", ["reml", "ml"])
def test_spatial_mse_equals_r_msesfh(method):
    """The sparse, blockwise analytic MSE equals R sae::mseSFH's dense formulas (REML, and ML with its bias term)
    to RTOL 1e-10 on 100 areas, blocks of 32 columns."""
    from spatial_poverty.sae.spatial import fit_sfh, row_standardise, sfh_mse

    y, x, psi, w, _ = _sar_data(100, seed=3)
    fit = fit_sfh(y, x, psi, w, method=method)
    ws = row_standardise(w)[0].toarray()
    ref = _msesfh_r(fit.sigma2_u, fit.rho, x, psi, ws, method)
    np.testing.assert_allclose(sfh_mse(fit, x, psi, w, block=32), ref, rtol=1e-10)


def _kriging_mse(fit, x, psi, ws, ins):  # type: ignore[no-untyped-def]
    """Reference for areas in and out of sample, dense and by finite differences: g1 = G - G_.S V^-1 G_S., g2 from
    the coefficients, g3 from the numerical derivatives of the prediction weights, and the bias of g1 from its
    numerical second derivatives (REML information)."""
    m, s2, rho = len(psi), fit.sigma2_u, fit.rho
    eye = np.eye(m)

    def parts(t):  # type: ignore[no-untyped-def]
        ci = np.linalg.inv((eye - t[1] * ws).T @ (eye - t[1] * ws))
        g = t[0] * ci
        v = g[np.ix_(ins, ins)] + np.diag(psi[ins])
        b = g[:, ins] @ np.linalg.inv(v)
        return ci, g, v, b, np.diag(g - b @ g[ins])

    ci, _, v, b, g1 = parts((s2, rho))
    vi = np.linalg.inv(v)
    xs = x[ins]
    q = np.linalg.inv(xs.T @ vi @ xs)
    xa = x - b @ xs
    g2 = np.einsum("ij,jk,ik->i", xa, q, xa)
    der = [ci[np.ix_(ins, ins)], (-s2 * ci @ (2 * rho * ws.T @ ws - ws - ws.T) @ ci)[np.ix_(ins, ins)]]
    p = vi - vi @ xs @ q @ xs.T @ vi
    info = 0.5 * np.array([[np.trace(p @ der[k] @ p @ der[l_]) for l_ in range(2)] for k in range(2)])
    ii = np.linalg.inv(info)
    h = np.array([1e-4 * s2, 1e-4])
    db, hess = [], np.zeros((2, 2, m))
    t0 = np.array([s2, rho])
    for k in range(2):
        e = np.eye(2)[k] * h
        db.append((parts(t0 + e)[3] - parts(t0 - e)[3]) / (2 * h[k]))
        for l_ in range(2):
            f = np.eye(2)[l_] * h
            pp, pm = parts(t0 + e + f)[4], parts(t0 + e - f)[4]
            mp, mm = parts(t0 - e + f)[4], parts(t0 - e - f)[4]
            hess[k, l_] = (pp - pm - mp + mm) / (4 * h[k] * h[l_])
    g3 = sum(ii[k, l_] * np.einsum("ij,jk,ik->i", db[k], v, db[l_]) for k in range(2) for l_ in range(2))
    return g1 + g2 + g3 - 0.5 * np.einsum("kl,kli->i", ii, hess)


def test_spatial_mse_out_of_sample_equals_the_dense_kriging_reference():
    """With 15 of 80 areas out of sample, the EBLUP equals the dense kriging predictor x'b + G_.S V^-1 (y - X b) to
    1e-10 and the MSE the finite-difference reference to RTOL 1e-6 (central differences of relative step 1e-4
    agree to 2e-8; with all areas in sample that reference equals R's mseSFH to 2e-8 too)."""
    from spatial_poverty.sae.spatial import fit_sfh, row_standardise, sfh_mse

    y, x, psi, w, _ = _sar_data(80, seed=11)
    ins = np.ones(80, dtype=bool)
    ins[np.random.default_rng(0).choice(80, 15, replace=False)] = False
    fit = fit_sfh(np.where(ins, y, np.nan), x, psi, w, in_sample=ins)
    ws = row_standardise(w)[0].toarray()
    g = fit.sigma2_u * np.linalg.inv((np.eye(80) - fit.rho * ws).T @ (np.eye(80) - fit.rho * ws))
    v = g[np.ix_(ins, ins)] + np.diag(psi[ins])
    kriging = x @ fit.beta + g[:, ins] @ np.linalg.solve(v, y[ins] - x[ins] @ fit.beta)
    np.testing.assert_allclose(fit.eblup, kriging, rtol=1e-10)
    np.testing.assert_allclose(sfh_mse(fit, x, psi, w, in_sample=ins, block=16), _kriging_mse(fit, x, psi, ws, ins),
                               rtol=1e-6)  # fmt: skip


def test_spatial_fh_recovers_rho_and_its_mse_matches_the_simulated_error():
    """20 SAR data sets of 80 areas (rho 0.6, seeded): fitted on every area, the mean estimated rho is within 0.1
    of the truth; fitted with a quarter of the areas out of sample, the mean analytic MSE is within 20 % of the
    mean squared error of the EBLUPs against the true values, in sample and out of sample separately."""
    from spatial_poverty.sae.spatial import fit_sfh, sfh_mse

    rhos, est, err = [], [], []
    for seed in range(20):
        y, x, psi, w, theta = _sar_data(80, seed=100 + seed)
        rhos.append(fit_sfh(y, x, psi, w).rho)
        ins = np.random.default_rng(seed).uniform(size=80) > 0.25
        fit = fit_sfh(y, x, psi, w, in_sample=ins)
        mse = sfh_mse(fit, x, psi, w, in_sample=ins)
        sq = (fit.eblup - theta) ** 2
        est.append([mse[ins].mean(), mse[~ins].mean()])
        err.append([sq[ins].mean(), sq[~ins].mean()])
    assert abs(np.mean(rhos) - 0.6) < 0.1, np.mean(rhos)
    ratio = np.mean(est, axis=0) / np.mean(err, axis=0)
    assert ((ratio > 0.8) & (ratio < 1.2)).all(), ratio


def test_spatial_fh_keeps_an_area_without_neighbours_and_predicts_out_of_sample(tmp_path):
    y, x, psi, w, _ = _sar_data(60, seed=9)
    w[7, :] = 0.0
    w[:, 7] = 0.0
    d = pd.DataFrame({"y": y, "v": psi, "x": x[:, 1]}, index=[f"a{i}" for i in range(60)])
    res = fit_fh(d, direct="y", variance="v", covariates=["x"], spatial_weights=w)
    assert res.extra["isolates"] == ["a7"] and "rho" in res.to_json()
    assert np.isfinite(res.estimates["mse"]).all()
    d.loc[["a3", "a7"], ["y", "v"]] = np.nan
    out = fit_fh(d, direct="y", variance="v", covariates=["x"], spatial_weights=w)
    e = out.estimates
    assert e["out_of_sample"].sum() == 2 and out.extra["areas_out_of_sample"] == 2
    assert np.isfinite(e[["eblup", "mse"]]).all().all()
    # an isolate out of sample has nothing to borrow: its estimate is the synthetic one, its MSE the larger
    assert e.loc["a7", "eblup"] == pytest.approx(e.loc["a7", "synthetic"], rel=1e-12)
    assert e.loc["a3", "mse"] > e.loc[e.index != "a3", "mse"].drop("a7").max() * 0.5


def test_spatial_fh_with_the_arcsine_transform_and_benchmarking():
    """Proportions on 60 areas (10 out of sample): the spatial model with the arcsine transform keeps every
    estimate and interval in [0, 1]; benchmarked estimates add up exactly to the regional figure; the bootstrap
    MSE (30 replicates, seeded) is finite and repeats with the seed."""
    rng = np.random.default_rng(21)
    y, x, _psi, w, _ = _sar_data(60, seed=21)
    p = 1 / (1 + np.exp(-(y - 1) * 2))
    n = rng.integers(8, 40, size=60).astype(float)
    d = pd.DataFrame({"p": rng.binomial(n.astype(int), p) / n, "n": n, "x": x[:, 1],
                      "pop": rng.integers(500, 9000, 60)}, index=[f"a{i}" for i in range(60)])  # fmt: skip
    d.loc[d.index[:10], ["p", "n"]] = np.nan
    kw = dict(direct="p", variance=None, covariates=["x"], transform="arcsin", sample_size="n", spatial_weights=w,
              bootstrap=30, seed=5)  # fmt: skip
    res = fit_fh(d, **kw)
    e = res.estimates
    assert e[["eblup", "ci_low", "ci_high"]].stack().between(0, 1).all()
    assert (e["ci_low"] <= e["eblup"]).all() and (e["eblup"] <= e["ci_high"]).all()
    bm = fit_fh(d, **kw, population="pop", benchmark_value=0.3)
    est = bm.estimates["eblup"]
    assert (est * d["pop"]).sum() / d["pop"].sum() == pytest.approx(0.3, abs=1e-12)
    assert np.isfinite(bm.estimates["mse"]).all() and bm.extra["mse_method"] == "parametric bootstrap"
    again = fit_fh(d, **kw, population="pop", benchmark_value=0.3)
    np.testing.assert_array_equal(again.estimates["mse"], bm.estimates["mse"])


def test_sae_fh_spatial_through_the_command_line_with_the_projects_weights(tmp_path):
    """A GeoPackage of 64 grid cells: --spatial without --weights uses the project's queen weights; the JSON
    carries rho; a GAL file gives the same fit."""
    import geopandas as gpd
    from shapely.geometry import box

    from spatial_poverty.stats import WeightsSpec, build_weights, write_weights

    rng = np.random.default_rng(4)
    cells = [box(i % 8, i // 8, i % 8 + 1, i // 8 + 1) for i in range(64)]
    gdf = gpd.GeoDataFrame({"code": [f"{i:02d}" for i in range(64)], "x": rng.normal(size=64)}, geometry=cells,
                           crs=2100)  # fmt: skip
    graph, _ = build_weights(gdf.set_index("code"), WeightsSpec(kind="queen", island_policy="none"))
    ws = graph.transform("r").sparse.toarray()
    u = np.linalg.solve(np.eye(64) - 0.5 * ws, rng.normal(scale=0.2, size=64))
    gdf["v"] = 0.02
    gdf["y"] = 1 + 0.5 * gdf["x"] + u + rng.normal(scale=np.sqrt(0.02), size=64)
    gdf.to_file(tmp_path / "grid.gpkg")
    write_weights(graph, tmp_path / "grid.gal")
    common = ["--id", "code", "--direct", "y", "--variance", "v", "--covariates", "x", "--spatial"]
    p1 = run_cli("sae", "fh", str(tmp_path / "grid.gpkg"), *common, "--out", str(tmp_path / "a.csv"))
    assert p1.returncode == 0, p1.stderr
    p2 = run_cli("sae", "fh", str(tmp_path / "grid.gpkg"), *common, "--weights", str(tmp_path / "grid.gal"),
                 "--out", str(tmp_path / "b.csv"))  # fmt: skip
    assert p2.returncode == 0, p2.stderr
    a = json.loads((tmp_path / "a.json").read_text(encoding="utf-8"))
    b = json.loads((tmp_path / "b.json").read_text(encoding="utf-8"))
    assert set(a) >= {"method", "sigma2_u", "beta", "rho", "loglik", "converged"} and a["converged"]
    np.testing.assert_allclose([a["sigma2_u"], a["rho"]], [b["sigma2_u"], b["rho"]], rtol=1e-10)
    pd.testing.assert_frame_equal(pd.read_csv(tmp_path / "a.csv"), pd.read_csv(tmp_path / "b.csv"))


def test_direct_estimates_equal_svy_on_nhanes_domains(reference):
    """The same Taylor design in svy (PyPI, MIT, pinned <0.36; a dev dependency used as the reference): domain
    means by race and the overall total of highbp agree to RTOL 1e-9."""
    import polars as pl
    import svy

    raw = pl.read_csv(reference / "nhanes2.csv", null_values=["", "NA"])
    sample = svy.Sample(raw, svy.Design(stratum="stratid", psu="psuid", wgt="finalwgt"))
    theirs = sample.estimation.mean("zinc", by="race", drop_nulls=True).to_polars().to_pandas()
    d = raw.to_pandas()
    design = Design.taylor(d["finalwgt"].to_numpy(), strata=d["stratid"].to_numpy(), psu=d["psuid"].to_numpy())
    ours = direct_estimates(design, d["zinc"].to_numpy(), d["race"].to_numpy())
    theirs.index = theirs["race"].astype(str)
    np.testing.assert_allclose(ours["estimate"], theirs.loc[ours.index, "est"], rtol=1e-9)
    np.testing.assert_allclose(ours["se"], theirs.loc[ours.index, "se"], rtol=1e-9)
    total = sample.estimation.total("highbp", drop_nulls=True).to_polars().to_pandas()
    mine = direct_estimates(design, d["highbp"].to_numpy(), statistic="total")
    np.testing.assert_allclose(mine[["estimate", "se"]].iloc[0], total[["est", "se"]].iloc[0], rtol=1e-9)


def test_fh_to_a_geopackage_draws_the_areas_and_hides_the_suppressed(reference, tmp_path):
    import sqlite3

    import geopandas as gpd
    from shapely.geometry import box

    d = _milk(reference)
    # An area whose estimate is small against its error (SE 0.03 on 0.02): its CV is too high to publish.
    d.loc[d.index[0], ["direct_est", "variance"]] = [0.02, 0.0009]
    # A test-made layer: one square per milk area, so that the areas have geometry.
    areas = gpd.GeoDataFrame(d.assign(small_area=d["small_area"].astype(str)),
                             geometry=[box(i, 0, i + 1, 1) for i in range(len(d))], crs=2100)  # fmt: skip
    areas.to_file(tmp_path / "milk.gpkg", layer="milk")
    args = ["--id", "small_area", "--direct", "direct_est", "--variance", "variance",
            "--covariates", "major_2,major_3,major_4"]  # fmt: skip
    csv, gpkg = tmp_path / "milk.csv", tmp_path / "milk_fh.gpkg"
    assert run_cli("sae", "fh", str(tmp_path / "milk.gpkg"), *args, "--out", str(csv)).returncode == 0
    proc = run_cli("sae", "fh", str(tmp_path / "milk.gpkg"), *args, "--out", str(gpkg), "--style")
    assert proc.returncode == 0, proc.stderr
    table = pd.read_csv(csv, dtype={"id": str}).set_index("id")
    layer = gpd.read_file(gpkg, layer="sae_fh").set_index("small_area")
    assert list(layer.index) == list(table.index) and layer.crs.to_epsg() == 2100
    suppressed = table["quality"] == "suppress"
    assert suppressed.sum() >= 1 and (layer["quality"] == table["quality"]).all()
    assert layer.loc[suppressed, ["eblup", "mse", "cv", "ci_low", "ci_high", "direct"]].isna().all().all()
    shown = ~suppressed
    np.testing.assert_allclose(layer.loc[shown, "eblup"], table.loc[shown, "eblup"], rtol=1e-9)
    assert json.loads((tmp_path / "milk_fh.json").read_text())["sigma2_u"] > 0
    con = sqlite3.connect(gpkg)
    (qml,) = con.execute("SELECT styleQML FROM layer_styles WHERE f_table_name = 'sae_fh'").fetchone()
    con.close()
    assert 'type="graduatedSymbol"' in qml and """attr='coalesce("eblup", -1.0)'""" in qml
    assert "Απόκρυψη" in qml and "LinePatternFill" in qml  # suppressed grey, flagged hatched
    # A CSV has no geometry to draw.
    d.to_csv(tmp_path / "in.csv", index=False)
    proc = run_cli("sae", "fh", str(tmp_path / "in.csv"), *args, "--out", str(tmp_path / "x.gpkg"))
    assert proc.returncode == 4 and "has no geometry" in proc.stderr
