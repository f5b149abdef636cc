r"""The spatial Fay-Herriot model: area effects with a simultaneous autoregressive (SAR) structure.

Petrucci & Salvati (2006); R ``sae::eblupSFH``, ``mseSFH`` and ``pbmseSFH`` (Molina & Marhuenda 2015):

.. math::

    \hat\theta_S = X_S\beta + u_S + e_S, \quad u = (I - \rho W)^{-1} v, \quad v \sim N(0, \sigma_u^2 I), \quad
    e \sim N(0, \Psi), \qquad C = (I - \rho W)'(I - \rho W)

with :math:`W` row-standardised over **all** areas and :math:`S` the areas in sample. R ``sae`` needs every area
in sample; here the effects live on the whole map, so an area without a direct estimate gets the prediction of
its effect from its neighbours' data (out of sample).

**Sparse, in the precision form.** With :math:`H = C/\sigma_u^2 + \Psi^+` (:math:`\Psi^+` the inverse sampling
variances on :math:`S`, 0 elsewhere), the posterior of :math:`u` given the data is :math:`N(H^{-1}\Psi^+
(\hat\theta - X\beta), H^{-1})`, so

- the EBLUP of every area is :math:`X\hat\beta + H^{-1}\Psi^+(\hat\theta - X\hat\beta)`, its :math:`g_1 =
  \mathrm{diag}(H^{-1})`;
- :math:`\log|V_{SS}| = \sum_S \log\psi + m\log\sigma_u^2 - 2\log|I - \rho W| + \log|H|` and :math:`V_{SS}^{-1}
  z = \Psi_S^{-1} z - \Psi_S^{-1} [H^{-1}\Psi^+ z]_S` (Woodbury), with sparse LU factors only.

:math:`(\sigma_u^2, \rho)` maximise the REML (default) or ML likelihood (L-BFGS-B on :math:`(\log\sigma_u^2,
\rho)`, central-difference gradients, from R's start :math:`(\mathrm{median}\,\psi, 0.5)`, :math:`\rho` in
[-0.999, 0.999] as R ``sae`` clamps it; Nelder-Mead finishes when the line search stalls at the precision of
the differences): the maximiser R's Fisher scoring reaches. The analytic MSE is R's
``mseSFH`` (Singh, Shukla & Kundu 2005): :math:`g_1 + g_2 + 2 g_3 - g_4` for REML, minus the bias term of the ML
estimator for ML, written here as :math:`g_1 + g_2 + g_3 - \tfrac12 \mathrm{tr}(\nabla^2 g_1\, I^{-1})` on the
precision matrix, which is the same sum for the areas in sample and extends to those out of sample. It needs
:math:`H^{-1}` and four products with it, computed with sparse Cholesky solves in blocks (CHOLMOD through
``cholespy``): :math:`O(m^2)` memory, seconds for the 6,138 communities of Greece (``benchmarks/bench_sae.py``).

**Areas without a neighbour.** A row-standardised SAR needs one: a row of zeros in :math:`W` leaves a 1 on the
diagonal of :math:`(I - \rho W)` for that area, so its effect is independent of the others (:math:`u_i = v_i`).
The project's archipelago weights link islands first (``build_weights``, island policy ``knn``); an area still
without a neighbour keeps that independent effect, and the result lists it (``isolates``).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from scipy.optimize import minimize
from scipy.sparse.linalg import splu

from spatial_poverty.errors import StatisticsError

__all__ = [
    "SFHFit",
    "SFHModel",
    "fit_sfh",
    "row_standardise",
    "sfh_bootstrap_mse",
    "sfh_loglik",
    "sfh_mse",
    "sfh_posterior_variance",
    "sfh_prior_variance",
]

logger = logging.getLogger(__name__)

RHO_BOUND = 0.999
BLOCK = 128  # right-hand sides per sparse Cholesky solve


@dataclass
class SFHFit:
    """Estimates of the spatial Fay-Herriot model: ``eblup`` for every area, in sample or not."""

    sigma2_u: float
    rho: float
    beta: np.ndarray
    q: np.ndarray  # (X_S' V^-1 X_S)^-1
    eblup: np.ndarray
    loglik: float
    iterations: int
    converged: bool
    isolates: list[int]
    method: str = "reml"


def row_standardise(w: np.ndarray | sp.spmatrix) -> tuple[sp.csr_matrix, list[int]]:
    """``w`` (dense or sparse) without its diagonal and with rows summing to 1; rows without a neighbour (0)."""
    w = sp.csr_matrix(w, dtype=float)
    w.setdiag(0.0)
    w.eliminate_zeros()
    rs = np.asarray(w.sum(axis=1)).ravel()
    lonely = np.flatnonzero(rs == 0).tolist()
    scale = np.divide(1.0, rs, out=np.zeros_like(rs), where=rs > 0)
    return sp.csr_matrix(sp.diags(scale) @ w), lonely


def _logdet(lu) -> float:  # type: ignore[no-untyped-def]
    """log |det| of a matrix from its SuperLU factors."""
    return float(np.log(np.abs(lu.U.diagonal())).sum() + np.log(np.abs(lu.L.diagonal())).sum())


def _splu(a: sp.spmatrix):  # type: ignore[no-untyped-def]
    """LU factors of a symmetric (or near) sparse matrix, symmetric ordering and no pivoting."""
    return splu(sp.csc_matrix(a), permc_spec="MMD_AT_PLUS_A", diag_pivot_thresh=0.0, options={"SymmetricMode": True})


class _Cholesky:
    """Sparse Cholesky factor of a symmetric positive definite matrix (CHOLMOD through cholespy), solving for many
    right-hand sides in blocks of :data:`BLOCK` columns."""

    def __init__(self, a: sp.spmatrix) -> None:
        from cholespy import CholeskySolverD, MatrixType

        coo = sp.coo_matrix(a)
        self.n = a.shape[0]
        self._f = CholeskySolverD(
            self.n, coo.row.astype(np.int32), coo.col.astype(np.int32), coo.data.astype(float), MatrixType.COO
        )

    def solve(self, b: np.ndarray) -> np.ndarray:
        b = np.asarray(b, dtype=float)
        if b.ndim == 1:
            return self.solve(b[:, None])[:, 0]
        out = np.empty_like(b)
        for j in range(0, b.shape[1], BLOCK):
            rhs = np.ascontiguousarray(b[:, j : j + BLOCK])
            x = np.empty_like(rhs)
            self._f.solve(rhs, x)
            out[:, j : j + BLOCK] = x
        return out


class SFHModel:
    """The data of a spatial Fay-Herriot fit: ``y``, ``x``, ``psi`` of every area (``in_sample`` marks those with
    a direct estimate), ``w`` row-standardised here."""

    def __init__(
        self, y: np.ndarray, x: np.ndarray, psi: np.ndarray, w: np.ndarray | sp.spmatrix, in_sample: np.ndarray | None
    ) -> None:
        m = len(psi)
        self.ins = np.ones(m, dtype=bool) if in_sample is None else np.asarray(in_sample, dtype=bool)
        if w.shape != (m, m):
            raise StatisticsError(f"spatial weights of shape {w.shape} for {m} areas")
        self.w, self.isolates = row_standardise(w)
        self.x, self.m = np.asarray(x, dtype=float), m
        self.y = np.asarray(y, dtype=float)[self.ins]
        self.psi = np.asarray(psi, dtype=float)[self.ins]
        self.pplus = np.zeros(m)
        self.pplus[self.ins] = 1.0 / self.psi
        self.xs = self.x[self.ins]
        self.eye = sp.identity(m, format="csr")

    def a(self, rho: float) -> sp.csr_matrix:
        return sp.csr_matrix(self.eye - rho * self.w)

    def c(self, rho: float) -> sp.csr_matrix:
        a = self.a(rho)
        return sp.csr_matrix(a.T @ a)

    def h(self, s2: float, rho: float) -> sp.csr_matrix:
        return sp.csr_matrix(self.c(rho) / s2 + sp.diags(self.pplus))

    def pieces(self, s2: float, rho: float):  # type: ignore[no-untyped-def]
        """log|V_SS|, a function applying V_SS^-1, and the LU factors of H."""
        lu_h = _splu(self.h(s2, rho))
        lu_a = splu(sp.csc_matrix(self.a(rho)))
        ld = float(np.log(self.psi).sum() + self.m * np.log(s2) - 2 * _logdet(lu_a) + _logdet(lu_h))

        def vinv(z: np.ndarray) -> np.ndarray:
            psi = self.psi[:, None] if z.ndim == 2 else self.psi
            full = np.zeros((self.m, *z.shape[1:]))
            full[self.ins] = z / psi
            return (z - lu_h.solve(full)[self.ins]) / psi

        return ld, vinv, lu_h

    def loglik(self, s2: float, rho: float, method: str) -> float:
        """REML (or ML) log-likelihood at (s2, rho); REML without the constant, as R ``sae`` and ``fh``."""
        ld, vinv, _ = self.pieces(s2, rho)
        vx, vy = vinv(self.xs), vinv(self.y)
        xtvx = self.xs.T @ vx
        beta = np.linalg.solve(xtvx, self.xs.T @ vy)
        ypy = float(self.y @ vy - (self.xs.T @ vy) @ beta)
        if method == "ml":
            return float(-0.5 * (len(self.y) * np.log(2 * np.pi) + ld + ypy))
        return float(-0.5 * (ld + np.linalg.slogdet(xtvx)[1] + ypy))

    def estimates(self, s2: float, rho: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """beta, (X'V^-1X)^-1 and the EBLUP of every area."""
        _, vinv, lu_h = self.pieces(s2, rho)
        vx = vinv(self.xs)
        q = np.linalg.inv(self.xs.T @ vx)
        beta = q @ (vx.T @ self.y)
        r = np.zeros(self.m)
        r[self.ins] = (self.y - self.xs @ beta) / self.psi
        return beta, q, self.x @ beta + lu_h.solve(r)


def sfh_loglik(
    s2: float,
    rho: float,
    y: np.ndarray,
    x: np.ndarray,
    psi: np.ndarray,
    w: np.ndarray | sp.spmatrix,
    method: str,
    in_sample: np.ndarray | None = None,
) -> float:
    """The REML (or ML) log-likelihood of the spatial model at (s2, rho)."""
    return SFHModel(y, x, psi, w, in_sample).loglik(s2, rho, method)


def fit_sfh(
    y: np.ndarray,
    x: np.ndarray,
    psi: np.ndarray,
    w: np.ndarray | sp.spmatrix,
    *,
    in_sample: np.ndarray | None = None,
    method: str = "reml",
    max_iter: int = 200,
    tol: float = 1e-12,
    start: tuple[float, float] | None = None,
) -> SFHFit:
    """Fit the spatial Fay-Herriot model by maximising its REML (or ML) likelihood.

    Parameters
    ----------
    y, x, psi : arrays
        Direct estimates, covariates (with the intercept column), sampling variances of every area; the values
        of ``y`` and ``psi`` outside ``in_sample`` are not read.
    w : array or sparse matrix (m, m)
        Proximity of the areas (any non-negative weights); row-standardised here.
    in_sample : bool array, optional
        The areas with a direct estimate (default: all).
    start : (sigma2_u, rho), optional
        Where the search starts (default R's: the median sampling variance and 0.5; the bootstrap starts its
        refits at the fitted values).

    Raises
    ------
    StatisticsError
        If the fit does not converge (iterations and the optimiser's message named).
    """
    if method not in ("reml", "ml"):
        raise StatisticsError(f"the spatial model is fitted by reml or ml; {method!r} was given")
    model = SFHModel(y, x, psi, w, in_sample)
    if model.isolates:
        logger.warning(
            "spatial Fay-Herriot: %d area(s) without a neighbour keep an independent effect", len(model.isolates)
        )
    scale = float(np.median(model.psi))

    def objective(p: np.ndarray) -> float:
        return -model.loglik(scale * float(np.exp(p[0])), float(p[1]), method)

    x0 = np.array([0.0, 0.5]) if start is None else np.array([np.log(max(start[0], 1e-10 * scale) / scale), start[1]])
    bounds = [(np.log(1e-10), np.log(1e6)), (-RHO_BOUND, RHO_BOUND)]
    res = minimize(
        objective, x0, method="L-BFGS-B", jac="3-point", bounds=bounds,
        options={"maxiter": max_iter, "ftol": tol, "gtol": 1e-9},
    )  # fmt: skip
    iterations = int(res.nit)
    if not res.success:  # a line search that stalls at the precision of the differences: finish without them
        logger.debug("spatial Fay-Herriot: L-BFGS-B stopped (%s); Nelder-Mead from there", res.message)
        res = minimize(
            objective, res.x, method="Nelder-Mead", bounds=bounds,
            options={"xatol": 1e-10, "fatol": 1e-12 * max(1.0, abs(float(res.fun))), "maxiter": 20 * max_iter},
        )  # fmt: skip
        iterations += int(res.nit)
    if not res.success:
        raise StatisticsError(
            f"the spatial Fay-Herriot {method} fit did not converge in {iterations} iterations ({res.message})"
        )
    s2, rho = scale * float(np.exp(res.x[0])), float(res.x[1])
    beta, q, eblup = model.estimates(s2, rho)
    return SFHFit(s2, rho, beta, q, eblup, -float(res.fun), iterations, True, model.isolates, method)


def _unit_columns(m: int, cols: np.ndarray) -> np.ndarray:
    e = np.zeros((m, len(cols)))
    e[cols, np.arange(len(cols))] = 1.0
    return e


def diag_inverse(a: sp.spmatrix, block: int = 512) -> np.ndarray:
    """The diagonal of the inverse of a sparse symmetric positive definite matrix, ``block`` columns at a time."""
    solve = _Cholesky(a).solve
    n = a.shape[0]
    out = np.empty(n)
    for start in range(0, n, block):
        cols = np.arange(start, min(start + block, n))
        out[cols] = solve(_unit_columns(n, cols))[cols, np.arange(len(cols))]
    return out


def sfh_posterior_variance(fit: SFHFit, model: SFHModel) -> np.ndarray:
    r""":math:`g_1 = \mathrm{diag}(H^{-1})`: the variance of each area's effect given the data (all areas)."""
    return diag_inverse(model.h(fit.sigma2_u, fit.rho))


def sfh_prior_variance(fit: SFHFit, model: SFHModel) -> np.ndarray:
    r""":math:`\sigma_u^2 \mathrm{diag}(C^{-1})`: the variance of each area's SAR effect before the data."""
    return fit.sigma2_u * diag_inverse(model.c(fit.rho))


def _colsum(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """diag(a' b) for two dense matrices: the column sums of their elementwise product."""
    return np.einsum("ij,ij->j", a, b)


class _Sums:
    r"""The per-area sums of :func:`sfh_mse`, gathered one block of columns of :math:`H^{-1}` at a time (memory
    :math:`O(m \cdot block)` plus :math:`F_\rho = V_{SS}^{-1} \partial V_{SS}/\partial\rho`, :math:`m_S \times
    m_S`). For the information: :math:`\mathrm{tr}(F_k F_l)`, :math:`X'F_k` and :math:`F_k V^{-1}X` (``vx``),
    with :math:`F_{\sigma} = \Psi_S^{-1}[H^{-1}]_{SS}/\sigma_u^2` never stored."""

    def __init__(self, model: SFHModel, s2: float, vx: np.ndarray) -> None:
        m, ms, p = model.m, len(model.psi), model.x.shape[1]
        self.model, self.s2, self.vx = model, s2, vx
        self.g1 = np.empty(m)
        self.a = np.zeros((3, m))  # g3 terms (0,0), (0,1), (1,1)
        self.b = np.zeros((3, m))  # second derivatives of diag(H^-1)
        self.grad = np.zeros((2, m))  # first derivatives of diag(H^-1)
        self.f_rho = np.empty((ms, ms))
        self.tr = np.zeros(3)  # tr(F_s F_s), tr(F_s F_rho), tr(F_rho F_rho)
        self.xf_s = np.empty((p, ms))  # X' F_sigma
        self.fvx = [np.empty((ms, p)), np.empty((ms, p))]  # F_k V^-1 X
        self.pos = np.full(m, -1)
        self.pos[model.ins] = np.arange(ms)
        self.rows = np.flatnonzero(model.ins)

    def add(self, cols: np.ndarray, hi, hph, dhi, hdh, cdh, wtwhi) -> None:  # type: ignore[no-untyped-def]
        """Columns ``cols`` of H^-1, H^-1 Psi+ H^-1, D H^-1, H^-1 D H^-1, C^-1 D H^-1 and W'W H^-1."""
        mdl, s2 = self.model, self.s2
        r = np.arange(len(cols))
        m1 = hi * mdl.pplus[:, None]
        diag = hi[cols, r]
        # colsum(E - m1, y) = y[cols, r] - colsum(m1, y), E the unit columns
        m1_hi, m1_hph, m1_cdh, m1_hdh = (_colsum(m1, y) for y in (hi, hph, cdh, hdh))
        e_hph = hph[cols, r] - m1_hph
        e_tz1 = (cdh[cols, r] - m1_cdh) - (hdh[cols, r] - m1_hdh) / s2  # T Z_rho = C^-1 D H^-1 - H^-1 D H^-1 / s2
        hi_dhi, dhi_hdh = _colsum(hi, dhi), _colsum(dhi, hdh)
        self.g1[cols] = diag
        self.a[:, cols] = [e_hph / s2**2, -e_tz1 / s2, (_colsum(dhi, cdh) - dhi_hdh / s2) / s2]
        self.b[:, cols] = [
            -2 * e_hph / s2**2,
            (-2 * (hdh[cols, r] - m1_hdh) + hi_dhi) / s2**2,
            2 * dhi_hdh / s2**2 - 2 * _colsum(hi, wtwhi) / s2,
        ]
        self.grad[:, cols] = [(diag - m1_hi) / s2, -hi_dhi / s2]
        sel = np.flatnonzero(mdl.ins[cols])
        if len(sel):
            at = self.pos[cols[sel]]
            # columns at of F_sigma = Psi^-1 [H^-1]_SS / s2; rows at of F_rho = -Psi^-1 [H^-1 D C^-1]_SS
            hs, cs = hi[np.ix_(self.rows, sel)], cdh[np.ix_(self.rows, sel)]
            hp = hs / mdl.psi[:, None]
            pa = mdl.psi[at]
            self.tr[0] += np.einsum("ij,ij->j", hp, hs).dot(1 / pa) / s2**2
            self.tr[1] -= np.einsum("ij,ij->j", hp, cs).dot(1 / pa) / s2
            self.xf_s[:, at] = mdl.xs.T @ hp / s2
            self.fvx[0][at] = (hs.T @ self.vx) / (pa[:, None] * s2)
            self.fvx[1][at] = -(cs.T @ self.vx) / pa[:, None]
            self.f_rho[at, :] = -cs.T / pa[:, None]

    def information(self, q: np.ndarray) -> tuple[np.ndarray, list[np.ndarray]]:
        r"""The REML Fisher information of (sigma2_u, rho), 0.5 tr(P V_k P V_l) as R ``mseSFH``, and X'F_k.

        With :math:`P V_k = (I - V^{-1}X Q X') F_k` the trace is :math:`\mathrm{tr}(F_k F_l)` less three
        :math:`p \times p` terms."""
        self.tr[2] = np.einsum("ij,ji->", self.f_rho, self.f_rho)
        a = [self.xf_s, self.model.xs.T @ self.f_rho]
        vx, b = self.vx, self.fvx
        info = np.empty((2, 2))
        for t, (k, l_) in zip(self.tr, ((0, 0), (0, 1), (1, 1)), strict=True):
            v = t - np.trace(q @ a[k] @ b[l_]) - np.trace(q @ a[l_] @ b[k]) + np.trace(q @ a[k] @ vx @ q @ a[l_] @ vx)
            info[k, l_] = info[l_, k] = 0.5 * v
        return info, a


def sfh_mse(
    fit: SFHFit,
    x: np.ndarray,
    psi: np.ndarray,
    w: np.ndarray | sp.spmatrix,
    in_sample: np.ndarray | None = None,
    block: int = 512,
) -> np.ndarray:
    r"""Analytic MSE of the spatial EBLUP of every area (R ``sae::mseSFH`` for the areas in sample).

    :math:`g_1 + g_2 + g_3 - \tfrac12\mathrm{tr}(\nabla^2 g_1 I^{-1})` with :math:`I` the REML information
    (R uses it for ML too), minus :math:`b_{ML}'\nabla g_1` for ML; see the module notes. Computed ``block``
    columns of :math:`H^{-1}` at a time.
    """
    model = SFHModel(np.zeros(len(psi)), x, psi, w, in_sample)
    s2, rho, m = fit.sigma2_u, fit.rho, model.m
    solve_h = _Cholesky(model.h(s2, rho)).solve
    solve_c = _Cholesky(model.c(rho)).solve
    xp = np.zeros_like(model.x)
    xp[model.ins] = model.xs / model.psi[:, None]
    hx = solve_h(xp)  # H^-1 Psi+ X
    vx = xp[model.ins] - hx[model.ins] / model.psi[:, None]  # V_SS^-1 X_S (Woodbury)
    wt = sp.csr_matrix(model.w.T)
    sums = _Sums(model, s2, vx)
    for start in range(0, m, block):
        cols = np.arange(start, min(start + block, m))
        hi = solve_h(_unit_columns(m, cols))
        whi, wthi = model.w @ hi, wt @ hi
        wtwhi = wt @ whi
        dhi = 2 * rho * wtwhi - whi - wthi  # D H^-1, D = dC/drho
        sums.add(cols, hi, solve_h(hi * model.pplus[:, None]), dhi, solve_h(dhi), solve_c(dhi), wtwhi)
    info, xf = sums.information(fit.q)
    ii = np.linalg.inv(info)
    g2 = np.einsum("ij,jk,ik->i", x - hx, fit.q, x - hx)
    mult = np.array([ii[0, 0], 2 * ii[0, 1], ii[1, 1]])
    mse = sums.g1 + g2 + mult @ sums.a - 0.5 * (mult @ sums.b)
    if fit.method == "ml":
        h = np.array([-np.trace(fit.q @ xf_k @ vx) for xf_k in xf])
        mse -= (ii @ h / 2) @ sums.grad  # the first-order bias of the ML estimates times grad g1
    return mse


def sfh_bootstrap_mse(
    fit: SFHFit,
    x: np.ndarray,
    psi: np.ndarray,
    w: np.ndarray | sp.spmatrix,
    *,
    in_sample: np.ndarray | None = None,
    b: int = 200,
    seed: int = 0,
    method: str = "reml",
    final: Callable[[SFHFit, np.ndarray], tuple[np.ndarray, np.ndarray]] | None = None,
) -> np.ndarray:
    """Parametric bootstrap MSE of the spatial EBLUP of every area (``pbmseSFH``-like, seeded).

    Each replicate draws SAR effects with the fitted :math:`(\\sigma_u^2, \\rho)` on every area and sampling
    errors on the areas in sample, refits the model and compares its estimates with the replicate's truth.
    ``final(refit, truth)`` turns a replicate's fit and truth into the published estimate and truth
    (the arcsine back-transform, benchmarking); by default both are left as they are.
    """
    rng = np.random.default_rng(seed)
    model = SFHModel(np.zeros(len(psi)), x, psi, w, in_sample)
    lu = splu(sp.csc_matrix(model.a(fit.rho)))
    sd = np.sqrt(np.where(model.ins, psi, 0.0))
    total = np.zeros(model.m)
    done = 0
    for _ in range(b):
        theta = x @ fit.beta + lu.solve(rng.normal(scale=np.sqrt(fit.sigma2_u), size=model.m))
        ystar = theta + rng.normal(size=model.m) * sd
        try:
            refit = fit_sfh(ystar, x, psi, w, in_sample=model.ins, method=method, start=(fit.sigma2_u, fit.rho))
        except StatisticsError:
            continue  # a replicate whose fit does not converge is left out (counted below)
        est, truth = (refit.eblup, theta) if final is None else final(refit, theta)
        total += (est - truth) ** 2
        done += 1
    if done < b:
        logger.warning("spatial bootstrap: %d of %d replicates did not converge and were left out", b - done, b)
    return total / max(done, 1)
