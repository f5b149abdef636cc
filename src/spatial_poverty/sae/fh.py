r"""The Fay-Herriot area-level model: variance fit, EBLUP, MSE, proportions, benchmarking and quality classes.

Model (Fay & Herriot 1979; Rao & Molina 2015, ch. 6): :math:`\hat\theta_i = x_i'\beta + u_i + e_i`,
:math:`u_i \sim N(0, \sigma_u^2)`, :math:`e_i \sim N(0, \psi_i)` with the sampling variances :math:`\psi_i`
known. Estimation follows R ``sae`` (``eblupFH``, ``mseFH``), with each formula in one short function:

- :func:`fit_variance`: :math:`\sigma_u^2` by Fisher scoring, ``"reml"`` (default) or ``"ml"``, iterated to a
  relative step of 1e-10 (R ``sae`` stops at 1e-4, so its printed values differ in the 6th digit), truncated at
  0; ``"adjusted"`` maximises :math:`\log \sigma_u^2 + l_R(\sigma_u^2)` (Li & Lahiri 2010, adjusted REML), which
  is never 0.
- EBLUP :math:`\tilde\theta_i = \gamma_i \hat\theta_i + (1-\gamma_i) x_i'\hat\beta`, :math:`\gamma_i =
  \sigma_u^2/(\sigma_u^2 + \psi_i)`; out-of-sample areas (no direct estimate) get :math:`x_i'\hat\beta`.
- :func:`prasad_rao_mse`: :math:`g_1 + g_2 + 2 g_3` (Prasad & Rao 1990; Datta & Lahiri 2000 for REML), minus
  the bias term :math:`b\,(1-\gamma_i)^2` for ML (R ``sae::mseFH``); out of sample :math:`\sigma_u^2 +
  x_i'(X'V^{-1}X)^{-1}x_i`.
- :func:`bootstrap_mse`: the parametric bootstrap of González-Manteiga et al. (2008), seeded and vectorised over
  replicates (every replicate refits :math:`\sigma_u^2`); with the arcsine transform and benchmarking the
  bootstrap repeats them, so the MSE is on the original scale and includes them.
- **Proportions** (``transform="arcsin"``): :math:`\hat\theta^t = \arcsin\sqrt{\hat p}`, :math:`\psi^t =
  1/(4 n_{eff})`; the back-transform is bias-corrected, :math:`E[\sin^2 T]` for :math:`T \sim N(\tilde\theta^t,
  \gamma\psi^t)` (:math:`\sigma_u^2` out of sample) :math:`= \frac12(1 - \cos(2\tilde\theta^t)
  e^{-2 s^2})`, which stays in [0, 1] (Sugasawa & Kubokawa 2017; emdi's ``FH(transformation = "arcsin")``). The
  MSE on the original scale is the parametric bootstrap: emdi's jackknife uses the first power of the
  back-transform's derivative where the delta method needs the square (``shared/sae_reference/NOTES.md``).
- :func:`benchmark`: ratio or difference benchmarking of population-weighted estimates to a regional figure.
- :func:`quality_class`: publish / flag / suppress from the CV (defaults 20 % and 33.3 %; Statistics Canada's
  16.5 % and 33.3 % selectable).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd

from spatial_poverty.errors import IngestError, StatisticsError

__all__ = [
    "QUALITY_THRESHOLDS",
    "FHResult",
    "benchmark",
    "bootstrap_mse",
    "fit_fh",
    "fit_variance",
    "group_means",
    "prasad_rao_mse",
    "quality_class",
    "reml_loglik",
]

logger = logging.getLogger(__name__)

Method = Literal["reml", "ml", "adjusted"]
#: CV thresholds of the quality classes: publish <= first, flag <= second, suppress above.
QUALITY_THRESHOLDS: dict[str, tuple[float, float]] = {"eu": (0.20, 1 / 3), "statcan": (0.165, 1 / 3)}
Z95 = 1.959963984540054


# --------------------------------------------------------------------------------------------- variance fit


def _pieces(s2: float, y: np.ndarray, x: np.ndarray, psi: np.ndarray):  # type: ignore[no-untyped-def]
    """V^-1 (diagonal), Q = (X'V^-1 X)^-1, beta, P y."""
    vi = 1.0 / (s2 + psi)
    xtvi = x.T * vi
    q = np.linalg.inv(xtvi @ x)
    beta = q @ (xtvi @ y)
    py = vi * (y - x @ beta)
    return vi, q, beta, py


def reml_loglik(s2: float, y: np.ndarray, x: np.ndarray, psi: np.ndarray) -> float:
    """The REML log-likelihood of the Fay-Herriot model at ``sigma2_u = s2`` (up to a constant)."""
    vi, q, _, py = _pieces(s2, y, x, psi)
    r = py / vi  # y - X beta = V P y
    return float(-0.5 * (np.sum(np.log(s2 + psi)) - np.linalg.slogdet(q)[1] + r @ py))


def _ml_loglik(s2: float, y: np.ndarray, x: np.ndarray, psi: np.ndarray) -> float:
    vi, _, _, py = _pieces(s2, y, x, psi)
    return float(-0.5 * (len(y) * np.log(2 * np.pi) + np.sum(np.log(s2 + psi)) + (py / vi) @ py))


def _score_info(s2: float, y: np.ndarray, x: np.ndarray, psi: np.ndarray, method: str) -> tuple[float, float]:
    vi, q, _, py = _pieces(s2, y, x, psi)
    if method == "ml":
        return float(-0.5 * vi.sum() + 0.5 * py @ py), float(0.5 * (vi**2).sum())
    xtvi = x.T * vi
    # tr(P) and tr(P P) with P = V^-1 - V^-1 X Q X' V^-1
    a = xtvi @ (x * vi[:, None])  # X' V^-2 X
    tr_p = vi.sum() - np.trace(q @ a)
    b = xtvi @ (x * (vi**2)[:, None])  # X' V^-3 X
    tr_pp = (vi**2).sum() - 2 * np.trace(q @ b) + np.trace(q @ a @ q @ a)
    return float(-0.5 * tr_p + 0.5 * py @ py), float(0.5 * tr_pp)


def fit_variance(
    y: np.ndarray, x: np.ndarray, psi: np.ndarray, *, method: Method = "reml", max_iter: int = 100, tol: float = 1e-10
) -> tuple[float, int, bool, float]:
    """:math:`\\hat\\sigma_u^2` by Fisher scoring (``reml``, ``ml``) or adjusted REML; returns (sigma2_u,
    iterations, converged, last relative step).

    Starting value: the mean of the sampling variances (as a moment estimate would be of that order).
    """
    if method == "adjusted":
        return _fit_adjusted(y, x, psi)
    s2 = float(np.median(psi))
    step = np.inf
    for it in range(1, max_iter + 1):
        score, info = _score_info(s2, y, x, psi, method)
        new = max(s2 + score / info, 0.0)
        step = abs(new - s2) / max(new, 1e-12)
        s2 = new
        if s2 == 0.0:
            score0, _ = _score_info(0.0, y, x, psi, method)
            if score0 <= 0:  # the likelihood decreases from 0: the maximum is at the boundary
                return 0.0, it, True, 0.0
        if step < tol:
            return s2, it, True, step
    return s2, max_iter, False, step


def _fit_adjusted(y: np.ndarray, x: np.ndarray, psi: np.ndarray) -> tuple[float, int, bool, float]:
    """Li & Lahiri (2010): maximise log(sigma2) + l_REML(sigma2) over log sigma2 (Brent)."""
    from scipy.optimize import minimize_scalar

    hi = float(np.log(max(np.var(y) * 10, psi.max() * 10, 1e-8)))
    res = minimize_scalar(
        lambda t: -(t + reml_loglik(float(np.exp(t)), y, x, psi)),
        bounds=(hi - 40.0, hi),
        method="bounded",
        options={"xatol": 1e-12, "maxiter": 500},
    )
    return float(np.exp(res.x)), int(res.nfev), bool(res.success), float("nan")


# ------------------------------------------------------------------------------------------------- results


@dataclass
class FHResult:
    """A fitted Fay-Herriot model and its estimates (indexed by area id)."""

    method: str
    sigma2_u: float
    beta: pd.Series
    beta_se: pd.Series
    loglik: float
    converged: bool
    iterations: int
    transform: str
    estimates: pd.DataFrame
    extra: dict[str, object] = field(default_factory=dict)

    def to_json(self) -> dict[str, object]:
        """The model summary written beside ``sae fh``'s CSV."""
        return {
            "method": self.method,
            "sigma2_u": self.sigma2_u,
            "beta": {k: float(v) for k, v in self.beta.items()},
            "beta_se": {k: float(v) for k, v in self.beta_se.items()},
            "loglik": self.loglik,
            "converged": self.converged,
            "iterations": self.iterations,
            "transform": self.transform,
            **self.extra,
        }


def prasad_rao_mse(
    s2: float, x: np.ndarray, psi: np.ndarray, x_out: np.ndarray | None = None, *, method: Method = "reml"
) -> tuple[np.ndarray, np.ndarray]:
    """Analytic MSE of the in-sample EBLUPs (R ``sae::mseFH``) and of out-of-sample synthetic estimates."""
    vi = 1.0 / (s2 + psi)
    q = np.linalg.inv((x.T * vi) @ x)
    bd = psi * vi  # 1 - gamma
    g1 = psi * (1 - bd)
    g2 = bd**2 * np.einsum("ij,jk,ik->i", x, q, x)
    var_a = 2.0 / (vi**2).sum()
    g3 = bd**2 * var_a * vi
    mse = g1 + g2 + 2 * g3
    if method == "ml":
        b = -np.trace(q @ ((x.T * vi**2) @ x)) / (vi**2).sum()
        mse = mse - b * bd**2
    out = np.empty(0) if x_out is None else s2 + np.einsum("ij,jk,ik->i", x_out, q, x_out)
    return mse, out


def _back(theta_t: np.ndarray, s2: np.ndarray) -> np.ndarray:
    """E[sin^2 T], T ~ N(theta_t, s2): the bias-corrected arcsine back-transform."""
    return 0.5 * (1.0 - np.cos(2.0 * theta_t) * np.exp(-2.0 * s2))


def fit_fh(
    data: pd.DataFrame,
    *,
    direct: str,
    variance: str | None,
    covariates: list[str],
    intercept: bool = True,
    method: Method = "reml",
    transform: Literal["none", "arcsin"] = "none",
    sample_size: str | None = None,
    mse: Literal["analytic", "bootstrap"] = "analytic",
    bootstrap: int = 1000,
    seed: int = 0,
    population: str | None = None,
    benchmark_value: float | Mapping[Any, float] | None = None,
    benchmark_method: Literal["ratio", "difference"] = "ratio",
    benchmark_groups: str | None = None,
    thresholds: tuple[float, float] = QUALITY_THRESHOLDS["eu"],
    source: str = "areas",
    spatial_weights: np.ndarray | None = None,
) -> FHResult:
    """Fit the Fay-Herriot model on an area table and return its estimates.

    Parameters
    ----------
    data : pandas.DataFrame
        One row per area, indexed by area id. A row with empty ``direct`` (and variance) is out of sample.
    direct, variance : str
        Columns of the direct estimate and its sampling variance (``variance`` may be None with
        ``transform="arcsin"``: then :math:`\\psi^t = 1/(4 n_{eff})` from ``sample_size``).
    covariates : list of str
    transform : {"none", "arcsin"}
        ``arcsin`` for proportions; needs ``sample_size`` (the effective sample size of each area).
    mse : {"analytic", "bootstrap"}
        The arcsine transform and benchmarking always use the bootstrap (``bootstrap`` replicates, ``seed``).
    population, benchmark_value, benchmark_method
        Benchmark the estimates so that their ``population``-weighted mean equals ``benchmark_value``; the
        95 % interval moves with them (scaled by the same ratio, or shifted by the same difference).
    benchmark_groups : str, optional
        A column of group labels (the region of each area): each group is benchmarked to its own figure,
        ``benchmark_value`` mapping label to figure.
    spatial_weights : array or sparse matrix (m, m), optional
        Proximity of the areas (rows in ``data`` order): the spatial (SAR) model of
        :mod:`~spatial_poverty.sae.spatial` instead, REML or ML, analytic (``mseSFH``) or bootstrap MSE. Its
        effects cover every area, so out-of-sample areas are predicted from their neighbours; the arcsine
        transform and benchmarking combine with it as above (bootstrap MSE, every replicate refits the model).

    Returns
    -------
    FHResult
        ``estimates``: ``direct``, ``direct_variance``, ``eblup``, ``mse``, ``cv``, ``ci_low``, ``ci_high``,
        ``out_of_sample``, ``gamma``, ``quality`` (and ``synthetic``).

    Raises
    ------
    IngestError
        A zero, negative or missing sampling variance (naming the area and column).
    StatisticsError
        Collinear covariates (named), no convergence (iterations and last step), a transform without sample
        sizes.
    """
    df = data.copy()
    missing = [c for c in [direct, *([variance] if variance else []), *covariates] if c not in df.columns]
    if missing:
        raise StatisticsError(f"{source}: column(s) {missing} are missing; the table has {list(df.columns)}")
    xcols = (["const"] if intercept else []) + list(covariates)
    xall = np.column_stack([np.ones(len(df))] * intercept + [df[c].to_numpy(dtype=float) for c in covariates])
    if not np.isfinite(xall).all():
        r, c = np.argwhere(~np.isfinite(xall))[0]
        raise IngestError(f"{source}, area {df.index[r]!r}, column {xcols[c]!r}: a covariate is missing")
    y_raw = df[direct].to_numpy(dtype=float)
    ins = np.isfinite(y_raw)
    if transform == "arcsin":
        if sample_size is None:
            raise StatisticsError("the arcsine transform needs the sample size column (--sample-size)")
        neff = df[sample_size].to_numpy(dtype=float)
        if (~np.isfinite(neff[ins]) | (neff[ins] <= 0)).any():
            i = np.flatnonzero(ins & (~np.isfinite(neff) | (neff <= 0)))[0]
            raise StatisticsError(
                f"{source}, area {df.index[i]!r}, column {sample_size!r}: {float(neff[i])!r}; need > 0"
            )
        if ((y_raw[ins] < 0) | (y_raw[ins] > 1)).any():
            i = np.flatnonzero(ins & ((y_raw < 0) | (y_raw > 1)))[0]
            raise StatisticsError(f"{source}, area {df.index[i]!r}: {float(y_raw[i])!r} is not a proportion in [0, 1]")
        y = np.arcsin(np.sqrt(np.clip(y_raw, 0, 1)))
        psi = 1.0 / (4.0 * neff)
    else:
        if variance is None:
            raise StatisticsError("the sampling variance column is needed (--variance)")
        y = y_raw
        psi = df[variance].to_numpy(dtype=float)
    bad = ins & (~np.isfinite(psi) | (psi <= 0))
    if bad.any():
        i = np.flatnonzero(bad)[0]
        raise IngestError(
            f"{source}, area {df.index[i]!r}, column {variance or sample_size!r}: {float(psi[i])!r}; sampling "
            "variances need to be positive"
        )
    x, yi, pi = xall[ins], y[ins], psi[ins]
    if ins.sum() <= x.shape[1]:
        raise StatisticsError(f"{source}: {int(ins.sum())} areas in sample for {x.shape[1]} regression coefficients")
    rank = np.linalg.matrix_rank(x)
    if rank < x.shape[1]:
        dup = _collinear(x, xcols)
        raise StatisticsError(f"{source}: collinear covariates {dup}; drop one of them")
    weights = None
    if benchmark_value is not None:
        if population is None:
            raise StatisticsError("benchmarking needs the population column of the areas")
        weights = df[population].to_numpy(dtype=float)
    groups = None if benchmark_groups is None else df[benchmark_groups].astype(str).to_numpy()
    if spatial_weights is not None:
        return _fit_spatial(
            df, y, psi, xall, xcols, ins, spatial_weights,
            method=method, mse=mse, bootstrap=bootstrap, seed=seed, thresholds=thresholds, source=source,
            direct=y_raw, direct_variance=df[variance].to_numpy(dtype=float) if variance else None,
            transform=transform, weights=weights, benchmark_value=benchmark_value, benchmark_method=benchmark_method,
            population=population, groups=groups, group_column=benchmark_groups,
        )  # fmt: skip
    s2, its, conv, step = fit_variance(yi, x, pi, method=method)
    if not conv:
        raise StatisticsError(f"{source}: the {method} fit did not converge in {its} iterations (last step {step:.3g})")
    _vi, q, beta, _ = _pieces(s2, yi, x, pi)
    loglik = _ml_loglik(s2, yi, x, pi) if method == "ml" else reml_loglik(s2, yi, x, pi)
    gamma = np.full(len(df), np.nan)
    gamma[ins] = s2 / (s2 + pi)
    synth = xall @ beta
    est_t = synth.copy()
    est_t[ins] = gamma[ins] * yi + (1 - gamma[ins]) * synth[ins]
    mse_in, mse_out = prasad_rao_mse(s2, x, pi, xall[~ins], method=method)
    mse_t = np.empty(len(df))
    mse_t[ins], mse_t[~ins] = mse_in, mse_out
    if transform == "arcsin":
        post = np.where(ins, np.nan_to_num(gamma) * psi, s2)
        est = _back(est_t, post)
    else:
        est = est_t
    raw_est = est
    if weights is not None:
        est = benchmark(est, weights, benchmark_value, method=benchmark_method, groups=groups)  # type: ignore[arg-type]
    use_boot = mse == "bootstrap" or transform == "arcsin" or weights is not None
    if use_boot:
        mse_final = bootstrap_mse(xall, psi, ins, s2, beta, method=method, transform=transform, b=bootstrap,
                                  seed=seed, weights=weights, benchmark_method=benchmark_method,
                                  groups=groups)  # fmt: skip
    else:
        mse_final = mse_t
    lo, hi = _interval(raw_est, mse_final, est_t, mse_t, transform)
    if weights is not None:
        lo, hi = _shift_interval(lo, hi, raw_est, est, benchmark_method, transform)
    out = _estimates_frame(
        df.index, y_raw, df[variance].to_numpy(dtype=float) if variance else None, est, mse_final, lo, hi, ins,
        gamma, _back(synth, np.full(len(df), s2)) if transform == "arcsin" else synth, thresholds,
    )  # fmt: skip
    beta_s = pd.Series(beta, index=xcols)
    se_b = pd.Series(np.sqrt(np.diag(q)), index=xcols)
    extra: dict[str, object] = {"areas_in_sample": int(ins.sum()), "areas_out_of_sample": int((~ins).sum())}
    if use_boot:
        extra |= {"mse_method": "parametric bootstrap", "bootstrap": bootstrap, "seed": seed}
    else:
        extra |= {"mse_method": "Prasad-Rao" if method == "ml" else "Datta-Lahiri"}
    if weights is not None:
        extra |= {"benchmark": _benchmark_record(benchmark_value, benchmark_method, population, benchmark_groups)}
    return FHResult(method, s2, beta_s, se_b, loglik, conv, its, transform, out, extra)


def _interval(
    est: np.ndarray, mse: np.ndarray, est_t: np.ndarray, mse_t: np.ndarray, transform: str
) -> tuple[np.ndarray, np.ndarray]:
    """95 % interval: on the transformed scale, back-transformed, with the arcsine transform; else est +- z se."""
    if transform == "arcsin":
        se_t = np.sqrt(mse_t)
        lo = np.sin(np.clip(est_t - Z95 * se_t, 0, np.pi / 2)) ** 2
        hi = np.sin(np.clip(est_t + Z95 * se_t, 0, np.pi / 2)) ** 2
        return lo, hi
    se = np.sqrt(mse)
    return est - Z95 * se, est + Z95 * se


def _estimates_frame(
    index: pd.Index,
    direct: np.ndarray,
    direct_variance: np.ndarray | None,
    est: np.ndarray,
    mse: np.ndarray,
    lo: np.ndarray,
    hi: np.ndarray,
    ins: np.ndarray,
    gamma: np.ndarray,
    synthetic: np.ndarray,
    thresholds: tuple[float, float],
) -> pd.DataFrame:
    """The per-area table of :class:`FHResult`, with the CV and its quality class."""
    with np.errstate(divide="ignore", invalid="ignore"):
        cv = np.sqrt(mse) / np.abs(est)
    out = pd.DataFrame(
        {
            "direct": direct,
            "direct_variance": np.full(len(index), np.nan) if direct_variance is None else direct_variance,
            "eblup": est,
            "mse": mse,
            "cv": cv,
            "ci_low": lo,
            "ci_high": hi,
            "out_of_sample": ~ins,
            "gamma": gamma,
            "synthetic": synthetic,
        },
        index=index,
    )
    out["quality"] = quality_class(out["cv"].to_numpy(), thresholds)
    return out


def _fit_spatial(
    df: pd.DataFrame,
    y: np.ndarray,
    psi: np.ndarray,
    x: np.ndarray,
    xcols: list[str],
    ins: np.ndarray,
    w: np.ndarray,
    *,
    method: str,
    mse: str,
    bootstrap: int,
    seed: int,
    thresholds: tuple[float, float],
    source: str,
    direct: np.ndarray,
    direct_variance: np.ndarray | None,
    transform: str,
    weights: np.ndarray | None,
    benchmark_value: float | None,
    benchmark_method: str,
    population: str | None,
    groups: np.ndarray | None = None,
    group_column: str | None = None,
) -> FHResult:
    """The spatial Fay-Herriot branch of :func:`fit_fh`: SAR effects on every area (in sample or not), with the
    arcsine transform and benchmarking as in the non-spatial model (their MSE by the spatial bootstrap)."""
    from spatial_poverty.sae.spatial import (
        SFHModel,
        fit_sfh,
        sfh_bootstrap_mse,
        sfh_mse,
        sfh_posterior_variance,
        sfh_prior_variance,
    )

    if method not in ("reml", "ml"):
        raise StatisticsError(f"the spatial model is fitted by reml or ml; {method!r} was given")
    if w.shape != (len(df), len(df)):
        raise StatisticsError(f"{source}: spatial weights of shape {w.shape} for {len(df)} areas")
    arcsin = transform == "arcsin"
    fit = fit_sfh(y, x, psi, w, in_sample=ins, method=method)
    model = SFHModel(y, x, psi, w, ins)

    def unbenchmarked(f) -> np.ndarray:  # type: ignore[no-untyped-def]
        return _back(f.eblup, sfh_posterior_variance(f, model)) if arcsin else f.eblup

    def publish(f, target) -> np.ndarray:  # type: ignore[no-untyped-def]
        est = unbenchmarked(f)
        if weights is not None and target is not None:
            est = benchmark(est, weights, target, method=benchmark_method, groups=groups)  # type: ignore[arg-type]
        return est

    def final(refit, theta: np.ndarray) -> tuple[np.ndarray, np.ndarray]:  # type: ignore[no-untyped-def]
        truth = np.sin(np.clip(theta, 0, np.pi / 2)) ** 2 if arcsin else theta
        target = None if weights is None else group_means(truth, weights, groups)
        return publish(refit, target), truth

    raw_est = unbenchmarked(fit)
    est = publish(fit, benchmark_value)
    use_boot = mse == "bootstrap" or arcsin or weights is not None
    mse_t = sfh_mse(fit, x, psi, w, in_sample=ins) if (arcsin or not use_boot) else np.full(len(df), np.nan)
    if use_boot:
        mse_final = sfh_bootstrap_mse(fit, x, psi, w, in_sample=ins, b=bootstrap, seed=seed, method=method, final=final)
    else:
        mse_final = mse_t
    lo, hi = _interval(raw_est, mse_final, fit.eblup, mse_t, transform)
    if weights is not None:
        lo, hi = _shift_interval(lo, hi, raw_est, est, benchmark_method, transform)
    synth = x @ fit.beta
    out = _estimates_frame(
        df.index, direct, direct_variance, est, mse_final, lo, hi, ins,
        np.full(len(df), np.nan),  # no single shrinkage factor: the effects borrow from the neighbours too
        _back(synth, sfh_prior_variance(fit, model)) if arcsin else synth, thresholds,
    )  # fmt: skip
    extra: dict[str, object] = {
        "rho": fit.rho,
        "model": "spatial Fay-Herriot (SAR area effects)",
        "isolates": [str(df.index[i]) for i in fit.isolates],
        "isolates_note": "areas without a neighbour keep an independent area effect",
        "mse_method": "parametric bootstrap" if use_boot else "mseSFH (g1 + g2 + 2 g3 - g4)",
        "areas_in_sample": int(ins.sum()),
        "areas_out_of_sample": int((~ins).sum()),
    }
    if use_boot:
        extra |= {"bootstrap": bootstrap, "seed": seed}
    if weights is not None:
        extra |= {"benchmark": _benchmark_record(benchmark_value, benchmark_method, population, group_column)}
    return FHResult(
        method, fit.sigma2_u, pd.Series(fit.beta, index=xcols), pd.Series(np.sqrt(np.diag(fit.q)), index=xcols),
        fit.loglik, fit.converged, fit.iterations, transform, out, extra,
    )  # fmt: skip


def _benchmark_record(value: Any, method: str, population: str | None, groups: str | None) -> dict[str, object]:
    figure = {str(k): float(v) for k, v in value.items()} if isinstance(value, Mapping) else value
    return {"value": figure, "method": method, "weights": population, "groups": groups}


def _collinear(x: np.ndarray, names: list[str]) -> list[str]:
    """The covariates that make X rank-deficient (those not in a greedy full-rank subset)."""
    keep: list[int] = []
    for j in range(x.shape[1]):
        if np.linalg.matrix_rank(x[:, [*keep, j]]) == len(keep) + 1:
            keep.append(j)
    return [names[j] for j in range(x.shape[1]) if j not in keep]


# ----------------------------------------------------------------------------------------------- bootstrap


def _batched_fit(y: np.ndarray, x: np.ndarray, psi: np.ndarray, method: str, max_iter: int = 100):  # type: ignore[no-untyped-def]
    """Fisher scoring on B replicates at once: y (B, m). Returns sigma2 (B,) and beta (B, p)."""
    bsz, _m = y.shape
    s2 = np.full(bsz, float(np.median(psi)))
    active = np.ones(bsz, dtype=bool)
    for _ in range(max_iter):
        vi = 1.0 / (s2[:, None] + psi[None, :])  # (B, m)
        xtvix = np.einsum("bm,mp,mq->bpq", vi, x, x)
        q = np.linalg.inv(xtvix)
        beta = np.einsum("bpq,bq->bp", q, np.einsum("bm,mp,bm->bp", vi, x, y))
        py = vi * (y - beta @ x.T)
        pp = np.einsum("bm,bm->b", py, py)
        if method == "ml":
            score = -0.5 * vi.sum(axis=1) + 0.5 * pp
            info = 0.5 * (vi**2).sum(axis=1)
        else:
            a = np.einsum("bm,mp,mq->bpq", vi**2, x, x)
            bb = np.einsum("bm,mp,mq->bpq", vi**3, x, x)
            qa = q @ a
            tr_p = vi.sum(axis=1) - np.trace(qa, axis1=1, axis2=2)
            tr_pp = (vi**2).sum(axis=1) - 2 * np.trace(q @ bb, axis1=1, axis2=2) + np.einsum("bij,bji->b", qa, qa)
            score = -0.5 * tr_p + 0.5 * pp
            info = 0.5 * tr_pp
        new = np.maximum(s2 + score / info, 0.0)
        step = np.abs(new - s2) / np.maximum(new, 1e-12)
        s2 = np.where(active, new, s2)
        active &= step >= 1e-8
        if not active.any():
            break
    vi = 1.0 / (s2[:, None] + psi[None, :])
    q = np.linalg.inv(np.einsum("bm,mp,mq->bpq", vi, x, x))
    beta = np.einsum("bpq,bq->bp", q, np.einsum("bm,mp,bm->bp", vi, x, y))
    return s2, beta


def bootstrap_mse(
    x: np.ndarray,
    psi: np.ndarray,
    ins: np.ndarray,
    s2: float,
    beta: np.ndarray,
    *,
    method: Method = "reml",
    transform: str = "none",
    b: int = 1000,
    seed: int = 0,
    weights: np.ndarray | None = None,
    benchmark_method: str = "ratio",
    groups: np.ndarray | None = None,
    chunk: int = 250,
) -> np.ndarray:
    """Parametric bootstrap MSE (González-Manteiga et al. 2008) of every area's final estimate.

    Each replicate draws :math:`u^* \\sim N(0, \\hat\\sigma_u^2)`, :math:`e^* \\sim N(0, \\psi)`, sets the true
    value :math:`\\theta^* = x'\\hat\\beta + u^*` (back-transformed with the arcsine transform) and refits the
    model on :math:`\\theta^* + e^*` of the areas in sample, then repeats the back-transform and the
    benchmarking (to the replicate's own population-weighted truth). Draws from
    ``numpy.random.default_rng(seed)``. ``adjusted`` refits by REML (its bootstrap refits need not stay off 0).
    """
    rng = np.random.default_rng(seed)
    fit_method = "ml" if method == "ml" else "reml"
    m = len(psi)
    total = np.zeros(m)
    done = 0
    psi_in = psi[ins]
    x_in = x[ins]
    while done < b:
        nb = min(chunk, b - done)
        u = rng.normal(scale=np.sqrt(s2), size=(nb, m))
        e = rng.normal(size=(nb, m)) * np.sqrt(np.where(ins, psi, 0.0))
        theta_t = x @ beta + u
        ystar = (theta_t + e)[:, ins]
        s2b, betab = _batched_fit(ystar, x_in, psi_in, fit_method)
        synth = betab @ x.T
        gam = s2b[:, None] / (s2b[:, None] + psi_in[None, :])
        est_t = synth.copy()
        est_t[:, ins] = gam * ystar + (1 - gam) * synth[:, ins]
        if transform == "arcsin":
            truth = np.sin(np.clip(theta_t, 0, np.pi / 2)) ** 2
            post = np.broadcast_to(s2b[:, None], est_t.shape).copy()
            post[:, ins] = gam * psi_in[None, :]
            est = _back(est_t, post)
        else:
            truth, est = theta_t, est_t
        if weights is not None:
            est = np.stack([
                benchmark(est[r], weights, group_means(truth[r], weights, groups), method=benchmark_method,  # type: ignore[arg-type]
                          groups=groups)
                for r in range(nb)
            ])  # fmt: skip
        total += ((est - truth) ** 2).sum(axis=0)
        done += nb
    return total / b


# ---------------------------------------------------------------------------------------- benchmark, quality


def benchmark(
    estimates: np.ndarray,
    weights: np.ndarray,
    value: float | Mapping[Any, float],
    *,
    method: Literal["ratio", "difference"] = "ratio",
    groups: np.ndarray | None = None,
) -> np.ndarray:
    """Estimates whose ``weights``-weighted mean is exactly ``value``.

    ``ratio``: every estimate times ``value / mean`` (keeps them positive); ``difference``: every estimate plus
    ``value - mean`` (keeps the model's differences). With ``groups`` (one label per area), ``value`` maps each
    label to its figure and each group is benchmarked on its own (the municipalities of each region to the
    region's figure).
    """
    est = np.asarray(estimates, dtype=float)
    if groups is None:
        return _benchmark_one(est, np.asarray(weights, dtype=float), float(value), method)  # type: ignore[arg-type]
    out = est.copy()
    labels = np.asarray(groups)
    for g in np.unique(labels):
        if g not in value:  # type: ignore[operator]
            raise StatisticsError(f"no benchmark figure for group {g!r}; figures are given for {sorted(value)}")  # type: ignore[arg-type]
        at = labels == g
        out[at] = _benchmark_one(est[at], np.asarray(weights, dtype=float)[at], float(value[g]), method)  # type: ignore[index]
    return out


def _benchmark_one(est: np.ndarray, weights: np.ndarray, value: float, method: str) -> np.ndarray:
    w = weights / np.sum(weights)
    mean = float(w @ est)
    if method == "ratio":
        if mean == 0:
            raise StatisticsError("ratio benchmarking of estimates whose weighted mean is 0")
        return est * (value / mean)
    if method == "difference":
        return est + (value - mean)
    raise StatisticsError(f"benchmark method needs to be ratio or difference; {method!r} was given")


def group_means(values: np.ndarray, weights: np.ndarray, groups: np.ndarray | None) -> float | dict[Any, float]:
    """The ``weights``-weighted mean of ``values`` (1-d), overall or per group label: the figures a benchmark
    reproduces."""
    if groups is None:
        return float((values * weights).sum() / weights.sum())
    return {g: float((values[groups == g] * weights[groups == g]).sum() / weights[groups == g].sum())
            for g in np.unique(groups)}  # fmt: skip


def _shift_interval(
    lo: np.ndarray, hi: np.ndarray, raw: np.ndarray, final: np.ndarray, method: str, transform: str
) -> tuple[np.ndarray, np.ndarray]:
    """Move an interval with the benchmarking step: scaled by the same ratio, or shifted by the same difference
    (and kept in [0, 1] for proportions)."""
    if method == "ratio":
        with np.errstate(divide="ignore", invalid="ignore"):
            r = np.where(raw > 0, final / raw, 1.0)
        lo, hi = lo * r, hi * r
    else:
        lo, hi = lo + (final - raw), hi + (final - raw)
    if transform == "arcsin":
        lo, hi = np.clip(lo, 0, 1), np.clip(hi, 0, 1)
    return lo, hi


def quality_class(cv: np.ndarray, thresholds: tuple[float, float] = QUALITY_THRESHOLDS["eu"]) -> np.ndarray:
    """``publish`` (CV <= first threshold), ``flag`` (<= second) or ``suppress`` (above, or no CV)."""
    cv = np.asarray(cv, dtype=float)
    lo, hi = thresholds
    return np.where(cv <= lo, "publish", np.where(cv <= hi, "flag", "suppress")).astype(object)
