r"""Local statistics beyond LISA: Getis-Ord Gi and Gi*, local Geary, bivariate LISA, local join counts.

Same style as :class:`~spatial_poverty.stats.LocalMoran`: the constructor computes; conditional randomisation
by the permutation engine (:mod:`spatial_poverty.stats.engine`: ``method="shared"`` by default, a table drawn
from ``numpy.random.default_rng(seed)`` shared by all units; ``"independent"``; ``"esda"`` for local Geary and
bivariate LISA); simulations not kept (``sim`` computes them again); ``p_sim`` from the counts for the recorded
``alternative`` (two-sided by default); ``q_sim`` per unit by ``correction``; units with no neighbour are
refused, or kept (``isolates="keep"``) with NaN statistics and the label "no neighbours".
"""

from __future__ import annotations

from typing import Literal

import numpy as np
import pandas as pd
from libpysal.graph import Graph

from spatial_poverty.errors import StatisticsError
from spatial_poverty.stats.autocorrelation import CLUSTER_LABELS, NOT_SIGNIFICANT
from spatial_poverty.stats.engine import (
    METHODS,
    CSRWeights,
    Method,
    PermutationResult,
    conditional_randomisation,
    esda_crand,
    simulate,
    with_self_weight,
)
from spatial_poverty.stats.inference import (
    NO_NEIGHBOURS,
    Alternative,
    Correction,
    adjust_pvalues,
    check_alternative,
    gi_bin,
    p_from_z,
    prepare,
)

__all__ = ["BivariateLocalMoran", "GetisOrdLocal", "LocalGeary", "LocalJoinCount"]


class _Local:
    ids: pd.Index
    n: int
    iso: np.ndarray
    permutations: int
    seed: int
    alpha: float
    alternative: Alternative
    correction: Correction

    method: Method
    _sim_args: tuple[str, np.ndarray, CSRWeights, np.ndarray | None]
    _esda_args: tuple[str, np.ndarray, np.ndarray] | None = None

    def _setup(
        self,
        permutations: int,
        seed: int,
        alpha: float,
        alternative: Alternative,
        correction: Correction,
        method: Method = "shared",
    ) -> None:
        check_alternative(alternative)
        if permutations < 1:
            raise StatisticsError(f"permutations needs to be at least 1; {permutations} was given instead")
        if not 0 < alpha < 1:
            raise StatisticsError(f"alpha needs to be between 0 and 1; {alpha} was given instead")
        if method not in METHODS:
            raise StatisticsError(f"method needs to be one of {', '.join(METHODS)}; {method!r} was given instead")
        self.permutations, self.seed, self.alpha = permutations, seed, alpha
        self.alternative, self.correction, self.method = alternative, correction, method

    def _run(
        self,
        statistic: str,
        values: np.ndarray,
        w: CSRWeights,
        observed: np.ndarray,
        y: np.ndarray | None = None,
        esda_z: np.ndarray | None = None,
    ) -> None:
        """Permutation inference by the engine; ``observed`` is the statistic as the class reports it."""
        self._sim_args = (statistic, values, w, y)
        if self.method == "esda":
            if esda_z is None:
                raise StatisticsError(f"{type(self).__name__} has no esda-compatible mode; use 'shared'")
            self._esda_args = (statistic, esda_z, observed)
            res, _ = esda_crand(statistic, esda_z, w, observed, permutations=self.permutations, seed=self.seed)
        else:
            res = conditional_randomisation(
                statistic, values, w, y=y, permutations=self.permutations, seed=self.seed, method=self.method
            )
        self.result: PermutationResult = res
        iso = self.iso
        self.p_sim = np.where(iso, np.nan, res.p_value(self.alternative))
        self.q_sim = adjust_pvalues(self.p_sim, self.correction)
        self.z_sim = np.where(iso, np.nan, res.z_sim(observed))

    def _observed(self, formula: np.ndarray) -> np.ndarray:
        """The statistic to report: the engine's own evaluation (the one its counts compare against, equal to
        ``formula`` up to rounding) except in esda's mode, where esda's expression is kept."""
        if self.method == "esda":
            return formula
        return np.where(np.isfinite(self.result.observed), self.result.observed, formula)

    @property
    def sim(self) -> np.ndarray:
        """The simulated statistics, shape (permutations, n): not kept, computed again (same table) when asked."""
        if self.method == "independent":
            raise StatisticsError("method='independent' keeps no simulations (fresh draws per unit)")
        if self._esda_args is not None:
            statistic, z, observed = self._esda_args
            _, sims = esda_crand(
                statistic, z, self._sim_args[2], observed, permutations=self.permutations, seed=self.seed, keep=True
            )
            out = np.asarray(sims)
        else:
            statistic, values, w, y = self._sim_args
            out = simulate(statistic, values, w, y=y, permutations=self.permutations, seed=self.seed)
        out[:, self.iso] = np.nan
        return out


class GetisOrdLocal(_Local):
    r"""Getis-Ord local :math:`G_i` and :math:`G_i^*` as z-scores, with ArcGIS's formula and ``Gi_Bin``.

    :math:`G_i^*` (``star=True``, the unit in its own neighbourhood with weight 1, as ArcGIS's Hot Spot
    Analysis):

    .. math::

        G_i^* = \frac{\sum_j w_{ij} x_j - \bar X \sum_j w_{ij}}
        {S \sqrt{\left[n \sum_j w_{ij}^2 - (\sum_j w_{ij})^2\right] / (n - 1)}}, \qquad
        \bar X = \frac{\sum_j x_j}{n}, \quad S = \sqrt{\frac{\sum_j x_j^2}{n} - \bar X^2}

    (Ord & Getis 1995; ArcGIS Pro, "How Hot Spot Analysis (Getis-Ord Gi*) works"). :math:`G_i`
    (``star=False``) leaves unit i out of the sums, the mean and the variance (:math:`n-1` other units,
    Getis & Ord 1992). Weights are used as given (binary contiguity; ArcGIS does not row-standardise by
    default); ``transform="r"`` row-standardises first.

    ``p_norm`` is the two-sided normal p-value of the z-score and ``bin`` ArcGIS's ``Gi_Bin`` from it (±3, ±2,
    ±1 at 99, 95, 90 %). ``p_sim`` and ``q_sim`` come from conditional randomisation of the neighbours' values.

    Attributes
    ----------
    Zs, p_norm, bin, p_sim, q_sim, z_sim : ndarray
    """

    def __init__(
        self,
        y: pd.Series | np.ndarray,
        graph: Graph,
        *,
        star: bool = True,
        transform: str = "b",
        permutations: int = 999,
        seed: int,
        alpha: float = 0.05,
        alternative: Alternative = "two-sided",
        correction: Correction = "bh",
        isolates: Literal["raise", "keep"] = "raise",
        method: Method = "shared",
    ) -> None:
        self._setup(permutations, seed, alpha, alternative, correction, method)
        x, w, ids, iso = prepare(y, graph, "GetisOrdLocal", transform=transform, isolates=isolates)
        self.ids, self.n, self.iso, self.star = ids, len(x), iso, star
        n = self.n
        wsum = np.asarray(w.sum(axis=1)).ravel()
        s1 = np.asarray(w.multiply(w).sum(axis=1)).ravel()
        lag = w @ x
        if star:
            wi, s1i, num_base = wsum + 1.0, s1 + 1.0, lag + x
            xbar = np.full(n, x.mean())
            s = np.full(n, np.sqrt((x**2).mean() - x.mean() ** 2))
            m = n
        else:
            wi, s1i, num_base = wsum, s1, lag
            xbar = (x.sum() - x) / (n - 1)
            s = np.sqrt(((x**2).sum() - x**2) / (n - 1) - xbar**2)
            m = n - 1
        den = s * np.sqrt((m * s1i - wi**2) / (m - 1))

        def z_of(numerator: np.ndarray) -> np.ndarray:
            with np.errstate(divide="ignore", invalid="ignore"):
                return (numerator - xbar * wi) / den

        self.Zs = np.where(iso, np.nan, z_of(num_base))
        cw = CSRWeights.from_sparse(w)
        self._run("gistar" if star else "gi", x, with_self_weight(cw) if star else cw, self.Zs)
        self.Zs = self._observed(self.Zs)
        self.p_norm = np.where(iso, np.nan, p_from_z(self.Zs, alternative))
        self.bin = gi_bin(self.Zs)

    def to_frame(self) -> pd.DataFrame:
        """``gi_z``, ``gi_p`` (normal, as ArcGIS), ``gi_bin``, ``gi_p_sim``, ``gi_q`` indexed by the graph's ids."""
        return pd.DataFrame(
            {"gi_z": self.Zs, "gi_p": self.p_norm, "gi_bin": self.bin, "gi_p_sim": self.p_sim, "gi_q": self.q_sim},
            index=pd.Index(self.ids, name="code"),
        )


class LocalGeary(_Local):
    r"""Local Geary :math:`c_i = \sum_j w_{ij} (z_i - z_j)^2` on the row-standardised graph (Anselin 2019).

    :math:`z` is standardised with the population standard deviation, as esda's ``Geary_Local`` and GeoDa.
    Small :math:`c_i` is positive association. Labels in GeoDa's vocabulary: "High-High" / "Low-Low"
    (significant, :math:`c_i` below the mean of the :math:`c`, :math:`x_i` above / below the mean),
    "Other Positive", "Negative" (significant, :math:`c_i` above the mean), "not significant",
    "no neighbours".

    Attributes
    ----------
    localG, p_sim, q_sim, labels : ndarray
    """

    def __init__(
        self,
        y: pd.Series | np.ndarray,
        graph: Graph,
        *,
        permutations: int = 999,
        seed: int,
        alpha: float = 0.05,
        alternative: Alternative = "two-sided",
        correction: Correction = "bh",
        isolates: Literal["raise", "keep"] = "raise",
        method: Method = "shared",
    ) -> None:
        self._setup(permutations, seed, alpha, alternative, correction, method)
        x, w, ids, iso = prepare(y, graph, "LocalGeary", isolates=isolates)
        self.ids, self.n, self.iso = ids, len(x), iso
        z = (x - x.mean()) / x.std()
        wsum = np.asarray(w.sum(axis=1)).ravel()

        def calc(lag_z: np.ndarray, lag_z2: np.ndarray) -> np.ndarray:
            return z**2 * wsum - 2 * z * lag_z + lag_z2

        self.localG = np.where(iso, np.nan, calc(w @ z, w @ (z**2)))
        self._run("geary", z, CSRWeights.from_sparse(w), self.localG, esda_z=z)
        self.localG = self._observed(self.localG)
        sig = np.nan_to_num(self.p_sim, nan=1.0) <= alpha
        mean_c = np.nanmean(self.localG)
        low = self.localG < mean_c
        self.labels = np.select(
            [iso, ~sig, low & (x > x.mean()), low & (x <= x.mean())],
            [NO_NEIGHBOURS, NOT_SIGNIFICANT, "High-High", "Low-Low"],
            default="Other Positive",
        ).astype(object)
        self.labels[sig & ~low & ~iso] = "Negative"
        self.labels = self.labels.astype(str)

    def to_frame(self) -> pd.DataFrame:
        return pd.DataFrame(
            {"local_c": self.localG, "p_sim": self.p_sim, "q_sim": self.q_sim, "cluster": self.labels},
            index=pd.Index(self.ids, name="code"),
        )


class BivariateLocalMoran(_Local):
    r"""Bivariate LISA: :math:`I_i = (n-1) z^x_i \sum_j w_{ij} z^y_j / \sum_k (z^x_k)^2`, :math:`x` at i against
    the lag of :math:`y`, row-standardised weights (esda's ``Moran_Local_BV``; GeoDa omits the factor
    :math:`(n-1)/n`, which changes no p-value and no label).

    Conditional randomisation of the neighbours' :math:`y`. Labels: the quadrant of
    :math:`(z^x_i, \text{lag } z^y_i)` when significant.

    Attributes
    ----------
    Is, q, p_sim, q_sim, labels : ndarray
    """

    def __init__(
        self,
        x: pd.Series | np.ndarray,
        y: pd.Series | np.ndarray,
        graph: Graph,
        *,
        permutations: int = 999,
        seed: int,
        alpha: float = 0.05,
        alternative: Alternative = "two-sided",
        correction: Correction = "bh",
        isolates: Literal["raise", "keep"] = "raise",
        method: Method = "shared",
    ) -> None:
        self._setup(permutations, seed, alpha, alternative, correction, method)
        xv, w, ids, iso = prepare(x, graph, "BivariateLocalMoran", isolates=isolates)
        yv, _, _, _ = prepare(y, graph, "BivariateLocalMoran", isolates=isolates)
        self.ids, self.n, self.iso = ids, len(xv), iso
        zx = (xv - xv.mean()) / xv.std()
        zy = (yv - yv.mean()) / yv.std()
        lag = w @ zy
        scale = (self.n - 1) / float(zx @ zx)
        self.Is = np.where(iso, np.nan, scale * zx * lag)
        self._run("moran_bv", zx, CSRWeights.from_sparse(w), self.Is, y=zy, esda_z=np.column_stack((zx, zy)))
        self.Is = self._observed(self.Is)
        self.q = np.where(iso, 0, np.where(zx > 0, np.where(lag > 0, 1, 4), np.where(lag > 0, 2, 3)))
        sig = np.nan_to_num(self.p_sim, nan=1.0) <= alpha
        self.labels = np.array(
            [
                NO_NEIGHBOURS if i else CLUSTER_LABELS[int(c)] if s else NOT_SIGNIFICANT
                for i, s, c in zip(iso, sig, self.q, strict=True)
            ]
        )

    def to_frame(self) -> pd.DataFrame:
        return pd.DataFrame(
            {"local_i": self.Is, "p_sim": self.p_sim, "q_sim": self.q_sim, "cluster": self.labels},
            index=pd.Index(self.ids, name="code"),
        )


class LocalJoinCount(_Local):
    r"""Univariate local join count :math:`BB_i = x_i \sum_j w_{ij} x_j` for a 0/1 variable (Anselin & Li
    2019), binary weights. Defined where :math:`x_i = 1`; ``p_sim`` (alternative "greater": more joins than
    chance) by conditional randomisation of the neighbours' values, NaN where :math:`x_i = 0`.

    Attributes
    ----------
    LJC, p_sim, q_sim : ndarray
    """

    def __init__(
        self,
        x: pd.Series | np.ndarray,
        graph: Graph,
        *,
        permutations: int = 999,
        seed: int,
        alpha: float = 0.05,
        correction: Correction = "bh",
        isolates: Literal["raise", "keep"] = "raise",
        method: Method = "shared",
    ) -> None:
        self._setup(permutations, seed, alpha, "greater", correction, method)
        xv, w, ids, iso = prepare(x, graph, "LocalJoinCount", transform="b", isolates=isolates, check_constant=False)
        if not np.isin(xv, (0.0, 1.0)).all():
            raise StatisticsError("LocalJoinCount needs a 0/1 variable")
        self.ids, self.n = ids, len(xv)
        self.iso = iso | (xv == 0)
        self.LJC = xv * (w @ xv)
        self._run("joincount", xv, CSRWeights.from_sparse(w), self.LJC)
        self.LJC = self._observed(self.LJC)

    def to_frame(self) -> pd.DataFrame:
        return pd.DataFrame(
            {"ljc": self.LJC, "p_sim": self.p_sim, "q_sim": self.q_sim}, index=pd.Index(self.ids, name="code")
        )
