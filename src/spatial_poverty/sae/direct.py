r"""Direct (design-based) estimates per domain with their design variance.

A :class:`Design` is built once from a survey file's columns (weights, strata, PSUs, FPC, or replicate weights)
and every estimator takes it, as R ``survey``'s ``svydesign``/``svrepdesign``. Conventions (R ``survey``'s
defaults):

- **Domains are subpopulations** of the full design: a domain's estimate uses the weights of its respondents,
  its variance all PSUs of the design (a PSU without a respondent of the domain contributes a zero), never a
  subset of the file.
- **Taylor linearisation** (with-replacement PSUs within strata):
  :math:`v(\hat\theta) = \sum_h (1 - f_h) \frac{n_h}{n_h - 1} \sum_j (z_{hj} - \bar z_h)^2`, with
  :math:`z_{hj}` the PSU total of the linearised variable: :math:`w_i d_i (y_i - \hat R)/\hat N_d` for a mean or
  proportion (the ratio of weighted totals), :math:`w_i d_i y_i` for a total, :math:`w_i d_i (y_i - \hat R x_i)
  / \hat X_d` for a ratio. Without PSUs each row is its own PSU; without strata there is one stratum.
- **FPC**: population counts of PSUs per stratum (:math:`f_h = n_h / N_h`), or sampling fractions when every
  value is below 1.
- **Single-PSU strata** (``lonely_psu``, R's ``survey.lonely.psu``): ``"fail"`` (default, naming the stratum),
  ``"certainty"`` (the stratum adds no variance), ``"adjust"`` (its PSU is centred on the mean of all PSU
  totals instead of its stratum's), ``"average"`` (the stratum gets the average variance of the others).
- **Replicate weights** already include the base weight. :math:`v = c \sum_r s_r (\hat\theta_r - \bar\theta)^2`
  centred on the mean of the replicate estimates (``mse=True``: on the full-sample estimate): JK1
  :math:`c = (R-1)/R`; JKn :math:`c = 1` and :math:`s_r` the per-replicate scale (``scale``, default
  :math:`(n_h - 1)/n_h = 1/2` of a paired design); BRR :math:`c = 1/R` (Fay's :math:`\rho`:
  :math:`1/(R(1-\rho)^2)` through ``scale``); bootstrap :math:`c = 1/(R-1)`.
- Per domain: respondents ``n``, ``estimate``, ``variance``, ``se``, ``cv``, design effect ``deff`` (Kish's:
  against simple random sampling of ``n`` with the weighted population variance) and ``n_eff = n / deff``.
  A domain with 0 or 1 respondents is reported with a NaN variance, not refused.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import pandas as pd

from spatial_poverty.errors import IngestError, StatisticsError

__all__ = ["LONELY_PSU", "REPLICATE_METHODS", "Design", "direct_estimates"]

LonelyPSU = Literal["fail", "certainty", "adjust", "average"]
LONELY_PSU: tuple[str, ...] = ("fail", "certainty", "adjust", "average")
ReplicateMethod = Literal["jk1", "jkn", "brr", "bootstrap"]
REPLICATE_METHODS: tuple[str, ...] = ("jk1", "jkn", "brr", "bootstrap")
Statistic = Literal["mean", "proportion", "total", "ratio"]


@dataclass(frozen=True)
class Design:
    """A survey design: weights and either strata/PSUs/FPC (Taylor) or replicate weights.

    Build it with :meth:`taylor` or :meth:`replicates`; ``source`` names the file in error messages.
    """

    weights: np.ndarray
    strata: np.ndarray
    psu: np.ndarray
    fpc: np.ndarray | None = None
    lonely_psu: LonelyPSU = "fail"
    replicate_weights: np.ndarray | None = None
    replicate_method: ReplicateMethod | None = None
    replicate_scale: float | None = None
    mse: bool = False
    source: str = "survey"
    _psu_index: tuple[np.ndarray, np.ndarray, np.ndarray] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        w = np.asarray(self.weights, dtype=float)
        bad = np.flatnonzero(~np.isfinite(w) | (w <= 0))
        if len(bad):
            i = int(bad[0])
            raise IngestError(
                f"{self.source}, row {i + 2}, column of the weights: {float(w[i])!r}; weights need to be positive "
                f"numbers ({len(bad)} row(s) are not)"
            )
        # PSUs are nested in strata: a PSU is the pair (stratum, psu).
        keys = pd.MultiIndex.from_arrays([pd.Series(self.strata).astype(str), pd.Series(self.psu).astype(str)])
        psu_code, psu_keys = pd.factorize(keys, sort=True)
        stratum_of_psu, strata_keys = pd.factorize(psu_keys.get_level_values(0), sort=True)
        object.__setattr__(self, "_psu_index", (psu_code, stratum_of_psu, np.asarray(strata_keys)))

    # ----------------------------------------------------------------------------------------------- builders
    @classmethod
    def taylor(
        cls,
        weights: np.ndarray,
        *,
        strata: np.ndarray | None = None,
        psu: np.ndarray | None = None,
        fpc: np.ndarray | None = None,
        lonely_psu: LonelyPSU = "fail",
        source: str = "survey",
    ) -> Design:
        """A stratified (multi-stage, with-replacement at the first stage) design; see the module docstring."""
        if lonely_psu not in LONELY_PSU:
            raise StatisticsError(f"lonely_psu needs to be one of {', '.join(LONELY_PSU)}; {lonely_psu!r} was given")
        n = len(weights)
        strata = np.zeros(n, dtype=int) if strata is None else np.asarray(strata)
        psu = np.arange(n) if psu is None else np.asarray(psu)
        return cls(np.asarray(weights, float), strata, psu, None if fpc is None else np.asarray(fpc, float),
                   lonely_psu, source=source)  # fmt: skip

    @classmethod
    def replicates(
        cls,
        weights: np.ndarray,
        replicate_weights: np.ndarray,
        *,
        method: ReplicateMethod,
        scale: float | None = None,
        mse: bool = False,
        source: str = "survey",
    ) -> Design:
        """A replicate-weight design (``replicate_weights`` of shape (rows, R), base weight included)."""
        if method not in REPLICATE_METHODS:
            raise StatisticsError(
                f"replicate method needs to be one of {', '.join(REPLICATE_METHODS)}; {method!r} was given"
            )
        rw = np.asarray(replicate_weights, dtype=float)
        if rw.ndim != 2 or rw.shape[1] < 2:
            raise StatisticsError(f"{source}: replicate weights need at least 2 columns; {rw.shape} was given")
        if not np.isfinite(rw).all() or (rw < 0).any():
            r, c = np.argwhere(~np.isfinite(rw) | (rw < 0))[0]
            raise IngestError(f"{source}, row {r + 2}, replicate weight {c + 1}: {float(rw[r, c])!r}; expected >= 0")
        n = len(weights)
        return cls(np.asarray(weights, float), np.zeros(n, dtype=int), np.arange(n), None, "fail", rw, method,
                   scale, mse, source)  # fmt: skip

    # ------------------------------------------------------------------------------------------- variances
    def _taylor_variance(self, z: np.ndarray) -> np.ndarray:
        """Variance of the totals of the linearised variables ``z`` (rows x k), with-replacement PSUs."""
        psu_code, stratum_of_psu, strata_keys = self._psu_index
        n_psu = int(psu_code.max()) + 1 if len(psu_code) else 0
        zt = np.zeros((n_psu, z.shape[1]))
        np.add.at(zt, psu_code, z)
        h = stratum_of_psu
        nh = np.bincount(h)
        mean_h = np.zeros((len(nh), z.shape[1]))
        np.add.at(mean_h, h, zt)
        mean_h /= nh[:, None]
        lonely = nh == 1
        if lonely.any():
            if self.lonely_psu == "fail":
                name = strata_keys[np.flatnonzero(lonely)[0]]
                raise StatisticsError(
                    f"{self.source}: stratum {name!r} has a single PSU ({int(lonely.sum())} such strata); "
                    "choose lonely_psu = certainty, adjust or average"
                )
            if self.lonely_psu == "adjust":
                mean_h[lonely] = zt.mean(axis=0)
        fpc = self._finite_correction(h, nh)
        dev2 = (zt - mean_h[h]) ** 2
        per_h = np.zeros((len(nh), z.shape[1]))
        np.add.at(per_h, h, dev2)
        factor = np.where(nh > 1, nh / np.maximum(nh - 1, 1), 1.0)
        var_h = (1 - fpc)[:, None] * factor[:, None] * per_h
        if lonely.any():
            if self.lonely_psu == "certainty":
                var_h[lonely] = 0.0
            elif self.lonely_psu == "average":
                var_h[lonely] = var_h[~lonely].mean(axis=0) if (~lonely).any() else 0.0
        return var_h.sum(axis=0)

    def _finite_correction(self, h: np.ndarray, nh: np.ndarray) -> np.ndarray:
        if self.fpc is None:
            return np.zeros(len(nh))
        psu_code = self._psu_index[0]
        per_psu = pd.Series(self.fpc).groupby(psu_code).first().to_numpy()
        per_h = pd.Series(per_psu).groupby(h).first().to_numpy()
        if (per_h <= 0).any() or not np.isfinite(per_h).all():
            raise IngestError(f"{self.source}: the FPC column needs positive numbers; {per_h[per_h <= 0][:3]} found")
        if (per_h < 1).all():
            return per_h  # sampling fractions
        if (per_h < nh).any():
            raise IngestError(f"{self.source}: FPC population counts below the PSUs sampled in a stratum")
        return nh / per_h

    def _replicate_variance(self, full: np.ndarray, reps: np.ndarray) -> np.ndarray:
        """Variance from replicate estimates ``reps`` (R x k) around their mean (or ``full`` with mse)."""
        r = reps.shape[0]
        centre = full[None, :] if self.mse else np.nanmean(reps, axis=0)[None, :]
        dev2 = (reps - centre) ** 2
        method, s = self.replicate_method, self.replicate_scale
        if method == "jk1":
            c = (r - 1) / r if s is None else s
        elif method == "jkn":
            c = 0.5 if s is None else s  # paired design: (n_h - 1)/n_h = 1/2
        elif method == "brr":
            c = 1.0 / r if s is None else s
        else:
            c = 1.0 / (r - 1) if s is None else s
        return c * np.nansum(dev2, axis=0)


def _linearised(stat: Statistic, y: np.ndarray, x: np.ndarray | None, w: np.ndarray, d: np.ndarray):  # type: ignore[no-untyped-def]
    """Estimates (k,) and linearised variables (rows, k) for domain indicator matrix ``d`` (rows, k)."""
    wd = w[:, None] * d
    ty = wd.T @ y
    if stat == "total":
        return ty, wd * y[:, None]
    if stat == "ratio":
        tx = wd.T @ x
        with np.errstate(divide="ignore", invalid="ignore"):
            r = ty / tx
            return r, wd * (y[:, None] - r[None, :] * x[:, None]) / tx[None, :]
    nd = wd.sum(axis=0)
    with np.errstate(divide="ignore", invalid="ignore"):
        r = ty / nd
        return r, wd * (y[:, None] - r[None, :]) / nd[None, :]


def direct_estimates(
    design: Design,
    y: np.ndarray,
    domain: np.ndarray | None = None,
    *,
    statistic: Statistic = "mean",
    x: np.ndarray | None = None,
) -> pd.DataFrame:
    """Direct estimates per domain with their design variance (see the module docstring).

    Parameters
    ----------
    design : Design
    y : array
        The variable (0/1 for a proportion). Rows with a missing ``y`` are out of every domain (they keep their
        PSU, which adds a zero).
    domain : array, optional
        Domain of each row (a municipality code, or code x group); None: one overall domain ``"all"``.
    statistic : {"mean", "proportion", "total", "ratio"}
    x : array, optional
        The denominator variable of a ratio.

    Returns
    -------
    pandas.DataFrame
        Indexed by domain: ``n``, ``estimate``, ``variance``, ``se``, ``cv``, ``deff``, ``n_eff``.
    """
    y = np.asarray(y, dtype=float)
    n = len(y)
    if statistic not in ("mean", "proportion", "total", "ratio"):
        raise StatisticsError(f"statistic needs to be mean, proportion, total or ratio; {statistic!r} was given")
    if statistic == "ratio" and x is None:
        raise StatisticsError("a ratio needs x, its denominator variable")
    if statistic == "proportion":
        vals = y[np.isfinite(y)]
        if not np.isin(vals, (0.0, 1.0)).all():
            bad = np.flatnonzero(np.isfinite(y) & ~np.isin(y, (0.0, 1.0)))[0]
            raise IngestError(f"{design.source}, row {bad + 2}: {float(y[bad])!r}; a proportion needs 0/1 values")
    ok = np.isfinite(y) if x is None else np.isfinite(y) & np.isfinite(np.asarray(x, float))
    dom = pd.Series(["all"] * n if domain is None else pd.Series(domain).astype(str).to_numpy())
    codes, names = pd.factorize(dom, sort=True)
    d = np.zeros((n, len(names)))
    d[np.arange(n), codes] = 1.0
    d[~ok] = 0.0
    y0 = np.where(ok, y, 0.0)
    x0 = None if x is None else np.where(ok, np.asarray(x, float), 0.0)
    est, z = _linearised(statistic, y0, x0, design.weights, d)
    if design.replicate_weights is not None:
        reps = np.stack([_linearised(statistic, y0, x0, design.replicate_weights[:, r], d)[0]
                         for r in range(design.replicate_weights.shape[1])])  # fmt: skip
        var = design._replicate_variance(est, reps)
    else:
        var = design._taylor_variance(np.nan_to_num(z))
    nd = d.sum(axis=0).astype(int)
    # Kish's design effect: against SRS of n_d with the weighted population variance of the domain.
    wd = design.weights[:, None] * d
    with np.errstate(divide="ignore", invalid="ignore"):
        wsum = wd.sum(axis=0)
        mu = (wd.T @ y0) / wsum
        s2 = (wd * (y0[:, None] - mu[None, :]) ** 2).sum(axis=0) / wsum * nd / (nd - 1)
        if statistic == "total":
            srs = wsum**2 * s2 / nd
        elif statistic == "ratio":
            srs = np.full(len(names), np.nan)
        else:
            srs = s2 / nd
        deff = var / srs
    var = np.where(nd > 1, var, np.nan)
    out = pd.DataFrame(
        {"n": nd, "estimate": np.where(nd > 0, est, np.nan), "variance": var}, index=pd.Index(names, name="domain")
    )
    out["se"] = np.sqrt(out["variance"])
    with np.errstate(divide="ignore", invalid="ignore"):
        out["cv"] = out["se"] / out["estimate"].abs()
    out["deff"] = np.where(nd > 1, deff, np.nan)
    out["n_eff"] = out["n"] / out["deff"]
    return out
