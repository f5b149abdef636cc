r"""The spatial Fay-Herriot model: area effects with a simultaneous autoregressive (SAR) structure.

Petrucci & Salvati (2006); R ``sae::eblupSFH``, ``mseSFH`` and ``pbmseSFH`` (Molina & Marhuenda 2015), whose
formulas this module follows, one short function each:

.. math::

    \hat\theta = X\beta + u + e, \quad u = (I - \rho W)^{-1} v, \quad v \sim N(0, \sigma_u^2 I), \quad
    e \sim N(0, \Psi), \qquad V = \sigma_u^2 C^{-1} + \Psi, \quad C = (I - \rho W)'(I - \rho W)

with :math:`W` row-standardised. :math:`(\sigma_u^2, \rho)` by Fisher scoring of the REML (default) or ML
likelihood from :math:`(\mathrm{median}\,\psi, 0.5)`, :math:`\rho` kept in (-0.999, 0.999) as R ``sae`` does,
to a relative step of 1e-8. EBLUP :math:`X\hat\beta + G V^{-1}(\hat\theta - X\hat\beta)`, :math:`G =
\sigma_u^2 C^{-1}`. Analytic MSE :math:`g_1 + g_2 + 2 g_3 - g_4` (REML; ``mseSFH``), parametric bootstrap
(``pbmseSFH``-like, seeded).

**Areas without a neighbour.** A row-standardised SAR needs one: a row of zeros in :math:`W` leaves
:math:`(I - \rho W)` with a 1 on the diagonal for that area, so its effect is independent of the others
(:math:`u_i = v_i`). The project's archipelago weights link islands first (``build_weights``, island policy
``knn``); an area still without a neighbour keeps that independent effect, and the result lists it
(``isolates``).

Dense linear algebra: areas up to a few thousand (the 332 municipalities in milliseconds; :math:`O(m^3)`).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np

from spatial_poverty.errors import StatisticsError

__all__ = ["SFHFit", "fit_sfh", "row_standardise", "sfh_bootstrap_mse", "sfh_loglik", "sfh_mse"]

logger = logging.getLogger(__name__)

RHO_BOUND = 0.999


@dataclass
class SFHFit:
    """Estimates of the spatial Fay-Herriot model on the areas in sample."""

    sigma2_u: float
    rho: float
    beta: np.ndarray
    q: np.ndarray  # (X'V^-1X)^-1
    eblup: np.ndarray
    loglik: float
    iterations: int
    converged: bool
    isolates: list[int]


def row_standardise(w: np.ndarray) -> tuple[np.ndarray, list[int]]:
    """``w`` without its diagonal and with rows summing to 1; the rows without a neighbour (left at 0)."""
    w = np.asarray(w, dtype=float).copy()
    np.fill_diagonal(w, 0.0)
    rs = w.sum(axis=1)
    lonely = np.flatnonzero(rs == 0).tolist()
    w[rs > 0] /= rs[rs > 0, None]
    return w, lonely


def _matrices(s2: float, rho: float, w: np.ndarray, psi: np.ndarray, x: np.ndarray):  # type: ignore[no-untyped-def]
    m = len(psi)
    eye = np.eye(m)
    a = eye - rho * w
    ci = np.linalg.inv(a.T @ a)
    v = s2 * ci + np.diag(psi)
    vi = np.linalg.inv(v)
    xtvi = x.T @ vi
    q = np.linalg.inv(xtvi @ x)
    p = vi - xtvi.T @ q @ xtvi
    return ci, v, vi, xtvi, q, p


def sfh_loglik(
    s2: float, rho: float, y: np.ndarray, x: np.ndarray, psi: np.ndarray, w: np.ndarray, method: str
) -> float:
    """The REML (or ML) log-likelihood of the spatial model at (s2, rho), ``w`` row-standardised."""
    _, v, _, _, q, p = _matrices(s2, rho, w, psi, x)
    ld = np.linalg.slogdet(v)[1]
    if method == "ml":
        vi = np.linalg.inv(v)
        beta = q @ (x.T @ vi @ y)
        r = y - x @ beta
        return float(-0.5 * (len(y) * np.log(2 * np.pi) + ld + r @ vi @ r))
    return float(-0.5 * (ld - np.linalg.slogdet(q)[1] + y @ p @ y))


def fit_sfh(
    y: np.ndarray,
    x: np.ndarray,
    psi: np.ndarray,
    w: np.ndarray,
    *,
    method: str = "reml",
    max_iter: int = 100,
    tol: float = 1e-8,
) -> SFHFit:
    """Fit the spatial Fay-Herriot model by Fisher scoring (R ``sae::eblupSFH``).

    Parameters
    ----------
    y, x, psi : arrays
        Direct estimates, covariates (with the intercept column), sampling variances of the areas in sample.
    w : array (m, m)
        Proximity of the areas in sample (any non-negative weights); row-standardised here.

    Raises
    ------
    StatisticsError
        If the fit does not converge (iterations and last step named).
    """
    if method not in ("reml", "ml"):
        raise StatisticsError(f"the spatial model is fitted by reml or ml; {method!r} was given")
    w, lonely = row_standardise(w)
    if lonely:
        logger.warning("spatial Fay-Herriot: %d area(s) without a neighbour keep an independent effect", len(lonely))
    s2, rho = float(np.median(psi)), 0.5
    wtw = w.T @ w
    step = np.inf
    conv = False
    iterations = 0
    for iterations in range(1, max_iter + 1):  # noqa: B007 - the count is reported after the loop
        ci, _v, vi, _xtvi, _q, p = _matrices(s2, rho, w, psi, x)
        der_rho = 2 * rho * wtw - w - w.T
        dv_rho = -s2 * ci @ der_rho @ ci
        pd, pr, py = p @ ci, p @ dv_rho, p @ y
        if method == "reml":
            s = np.array([-0.5 * np.trace(pd) + 0.5 * y @ pd @ py, -0.5 * np.trace(pr) + 0.5 * y @ pr @ py])
            a, b = pd, pr
        else:
            vd, vr = vi @ ci, vi @ dv_rho
            s = np.array([-0.5 * np.trace(vd) + 0.5 * y @ pd @ py, -0.5 * np.trace(vr) + 0.5 * y @ pr @ py])
            a, b = vd, vr
        info = 0.5 * np.array(
            [[np.sum(a * a.T), np.sum(a * b.T)], [np.sum(a * b.T), np.sum(b * b.T)]]
        )  # tr(AB) = sum(A * B')
        new = np.array([s2, rho]) + np.linalg.solve(info, s)
        new[1] = min(max(new[1], -RHO_BOUND), RHO_BOUND)
        new[0] = max(new[0], 1e-12)
        step = float(np.max(np.abs(new - [s2, rho]) / np.maximum(np.abs([s2, rho]), 1e-12)))
        s2, rho = float(new[0]), float(new[1])
        if step < tol:
            conv = True
            break
    if not conv:
        raise StatisticsError(
            f"the spatial Fay-Herriot {method} fit did not converge in {iterations} iterations (last relative step "
            f"{step:.3g})"
        )
    ci, _v, vi, xtvi, q, _ = _matrices(s2, rho, w, psi, x)
    beta = q @ (xtvi @ y)
    eblup = x @ beta + s2 * ci @ vi @ (y - x @ beta)
    return SFHFit(s2, rho, beta, q, eblup, sfh_loglik(s2, rho, y, x, psi, w, method), iterations, conv, lonely)


def sfh_mse(fit: SFHFit, x: np.ndarray, psi: np.ndarray, w: np.ndarray) -> np.ndarray:
    """Analytic MSE of the spatial EBLUP, REML: :math:`g_1 + g_2 + 2 g_3 - g_4` (R ``sae::mseSFH``)."""
    w, _ = row_standardise(w)
    s2, rho = fit.sigma2_u, fit.rho
    ci, v, vi, _xtvi, q, p = _matrices(s2, rho, w, psi, x)
    g = s2 * ci
    g1 = np.diag(g - g @ vi @ g)
    xa = x - g @ vi @ x
    g2 = np.einsum("ij,jk,ik->i", xa, q, xa)
    der_rho = 2 * rho * w.T @ w - w - w.T
    amat = -s2 * ci @ der_rho @ ci
    pci, pam = p @ ci, p @ amat
    info = 0.5 * np.array([[np.sum(pci * pci.T), np.sum(pci * pam.T)], [np.sum(pci * pam.T), np.sum(pam * pam.T)]])
    ii = np.linalg.inv(info)
    vici, viam = vi @ ci, vi @ amat
    l1 = vici - s2 * vici @ vici
    l2 = viam - s2 * viam @ vici
    # g3_i = tr(L_i V L_i' I^-1), L_i = rows (l1[:, i], l2[:, i])
    lv1, lv2 = l1.T @ v, l2.T @ v
    a11 = np.einsum("ij,ji->i", lv1, l1)
    a12 = np.einsum("ij,ji->i", lv1, l2)
    a22 = np.einsum("ij,ji->i", lv2, l2)
    g3 = ii[0, 0] * a11 + 2 * ii[0, 1] * a12 + ii[1, 1] * a22
    d12 = -(ci @ der_rho @ ci)
    d22 = 2 * s2 * ci @ der_rho @ ci @ der_rho @ ci - 2 * s2 * ci @ w.T @ w @ ci
    pv = np.diag(psi) @ vi
    dmat = pv @ d12 @ pv.T * (ii[0, 1] + ii[1, 0]) + pv @ d22 @ pv.T * ii[1, 1]
    g4 = 0.5 * np.diag(dmat)
    return g1 + g2 + 2 * g3 - g4


def sfh_bootstrap_mse(
    fit: SFHFit, x: np.ndarray, psi: np.ndarray, w: np.ndarray, *, b: int = 200, seed: int = 0, method: str = "reml"
) -> np.ndarray:
    """Parametric bootstrap MSE of the spatial EBLUP: SAR effects drawn with the fitted :math:`(\\sigma_u^2,
    \\rho)`, the model refitted on every replicate (seeded)."""
    rng = np.random.default_rng(seed)
    ws, _ = row_standardise(w)
    a_inv = np.linalg.inv(np.eye(len(psi)) - fit.rho * ws)
    total = np.zeros(len(psi))
    done = 0
    for _ in range(b):
        u = a_inv @ rng.normal(scale=np.sqrt(fit.sigma2_u), size=len(psi))
        theta = x @ fit.beta + u
        ystar = theta + rng.normal(size=len(psi)) * np.sqrt(psi)
        try:
            refit = fit_sfh(ystar, x, psi, w, method=method)
        except StatisticsError:
            continue  # a replicate whose fit does not converge is left out (counted below)
        total += (refit.eblup - theta) ** 2
        done += 1
    if done < b:
        logger.warning("spatial bootstrap: %d of %d replicates did not converge and were left out", b - done, b)
    return total / max(done, 1)
