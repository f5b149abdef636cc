"""Global and local Moran's I with seeded permutation inference and two-sided pseudo p-values.

Statistics follow esda's definitions (and so GeoDa's and spdep's, see the tests), computed here so that every
random draw comes from a seeded :class:`numpy.random.Generator` (esda's global ``Moran`` uses NumPy's global
random state) and so that the pseudo p-values are two-sided, computed from the simulations as written below.
The constructor computes, as in esda: ``GlobalMoran(y, graph, seed=1).I``.
"""

from __future__ import annotations

import logging
from typing import Literal

import numpy as np
import pandas as pd
from libpysal.graph import Graph

from spatial_poverty.errors import StatisticsError
from spatial_poverty.stats.engine import METHODS, Method, conditional_randomisation, esda_crand, simulate
from spatial_poverty.stats.inference import (
    MIN_LOCAL_UNITS,
    NO_NEIGHBOURS,
    NO_NEIGHBOURS_EL,
    Alternative,
    Correction,
    adjust_pvalues,
    check_alternative,
    log_untested,
    p_from_z,
    prepare,
    pseudo_p,
)
from spatial_poverty.stats.labels import CLUSTER_LABELS, CLUSTER_LABELS_EL, NOT_SIGNIFICANT, NOT_SIGNIFICANT_EL

__all__ = ["CLUSTER_LABELS", "CLUSTER_LABELS_EL", "GlobalMoran", "LocalMoran", "pseudo_p_two_sided"]

logger = logging.getLogger(__name__)


def pseudo_p_two_sided(observed: np.ndarray, simulated: np.ndarray) -> np.ndarray:
    r"""Two-sided pseudo p-values from permutations.

    .. math::

        p = \min\left(1,\; 2\,\frac{1 + \min(\#\{s \ge o\},\, \#\{s \le o\})}{P + 1}\right)

    for an observed value :math:`o` and :math:`P` simulated values :math:`s` (Davison & Hinkley 1997, §4.4:
    the smaller tail doubled; the +1 counts the observed arrangement among the permutations). See
    :func:`~spatial_poverty.stats.inference.pseudo_p` for the one-sided alternatives.

    Parameters
    ----------
    observed : array of shape (n,)
    simulated : array of shape (P, n)
    """
    return pseudo_p(observed, simulated, "two-sided")


class GlobalMoran:
    r"""Global Moran's I with normal, randomisation and permutation inference.

    .. math:: I = \frac{n}{S_0} \frac{\sum_i \sum_j w_{ij} z_i z_j}{\sum_i z_i^2}, \qquad z = y - \bar y

    on the row-standardised graph. :math:`E[I] = -1/(n-1)`; the variances under normality and randomisation are
    Cliff & Ord's (1981), as in esda and spdep's ``moran.test``. Isolates are refused, so :math:`n` counts
    units that all have a neighbour (esda keeps isolates in :math:`n` and inflates :math:`I` by
    :math:`n/(n-k)`). Analytic and permutation p-values follow ``alternative`` (two-sided by default).

    Parameters
    ----------
    y : pandas.Series or array
        Values, indexed like the graph's ids.
    graph : libpysal.graph.Graph
        Binary or weighted; it is row-standardised here (a new graph; the one given is not changed).
    permutations : int, default 999
    seed : int
        Seed of the :class:`numpy.random.Generator` used for the permutations.
    alternative : {"two-sided", "greater", "less"}, default "two-sided"
    transform : str, default "r"
        Transformation applied to (a new copy of) the graph.

    Attributes
    ----------
    I, EI, VI_norm, z_norm, p_norm, VI_rand, z_rand, p_rand : float
        ``p_norm`` and ``p_rand`` follow ``alternative``.
    sim : ndarray
        The permuted statistics.
    p_sim : float
        Two-sided pseudo p-value, see :func:`pseudo_p_two_sided`.
    EI_sim, seI_sim, z_sim : float
    n : int
    """

    def __init__(
        self,
        y: pd.Series | np.ndarray,
        graph: Graph,
        *,
        permutations: int = 999,
        seed: int,
        alternative: Alternative = "two-sided",
        transform: str = "r",
    ) -> None:
        check_alternative(alternative)
        values, w, _, _ = prepare(y, graph, "GlobalMoran", transform=transform)
        n = len(values)
        if n < 4:
            raise StatisticsError(f"GlobalMoran needs at least 4 units; {n} were given")
        self.n = n
        self.permutations = permutations
        self.seed = seed
        self.alternative: Alternative = alternative
        z = values - values.mean()
        z2ss = float(z @ z)
        s0 = float(w.sum())
        wt = w + w.T
        s1 = float(0.5 * (wt.multiply(wt)).sum())
        s2 = float(((np.asarray(w.sum(axis=1)).ravel() + np.asarray(w.sum(axis=0)).ravel()) ** 2).sum())

        def calc(zz: np.ndarray) -> float:
            return float(n / s0 * (zz @ (w @ zz)) / z2ss)

        self.I = calc(z)
        self.EI = -1.0 / (n - 1)
        n2, s02 = n * n, s0 * s0
        self.VI_norm = (n2 * s1 - n * s2 + 3 * s02) / ((n - 1) * (n + 1) * s02) - self.EI**2
        b2 = float((z**4).sum() / n / ((z**2).sum() / n) ** 2)
        a = n * ((n2 - 3 * n + 3) * s1 - n * s2 + 3 * s02)
        b = b2 * ((n2 - n) * s1 - 2 * n * s2 + 6 * s02)
        self.VI_rand = (a - b) / ((n - 1) * (n - 2) * (n - 3) * s02) - self.EI**2
        self.z_norm = (self.I - self.EI) / np.sqrt(self.VI_norm)
        self.z_rand = (self.I - self.EI) / np.sqrt(self.VI_rand)
        self.p_norm = float(p_from_z(self.z_norm, alternative))
        self.p_rand = float(p_from_z(self.z_rand, alternative))
        rng = np.random.default_rng(seed)
        self.sim = np.array([calc(rng.permutation(z)) for _ in range(permutations)])
        if permutations:
            self.p_sim = float(pseudo_p(np.array([self.I]), self.sim[:, None], alternative)[0])
            self.EI_sim = float(self.sim.mean())
            self.seI_sim = float(self.sim.std())
            self.z_sim = (self.I - self.EI_sim) / self.seI_sim if self.seI_sim > 0 else np.nan
        else:
            self.p_sim = self.EI_sim = self.seI_sim = self.z_sim = np.nan

    def to_dict(self) -> dict[str, float | int | str]:
        """The statistic and its inference, as plain numbers (for manifests and reports)."""
        return {
            "statistic": "moran",
            "n": self.n,
            "isolates_in_n": 0,
            "I": self.I,
            "EI": self.EI,
            "VI_norm": self.VI_norm,
            "z_norm": float(self.z_norm),
            "p_norm": self.p_norm,
            "VI_rand": self.VI_rand,
            "z_rand": float(self.z_rand),
            "p_rand": self.p_rand,
            "permutations": self.permutations,
            "seed": self.seed,
            "alternative": self.alternative,
            "p_sim": self.p_sim,
            "EI_sim": self.EI_sim,
            "seI_sim": self.seI_sim,
            "z_sim": float(self.z_sim),
        }

    def __repr__(self) -> str:
        return f"GlobalMoran(I={self.I:.4f}, EI={self.EI:.4f}, p_sim={self.p_sim:.4f}, n={self.n})"


class LocalMoran:
    r"""Local Moran's I (LISA) with conditional randomisation, per-unit q-values and GeoDa's labels.

    .. math:: I_i = (n - 1) \frac{z_i \sum_j w_{ij} z_j}{\sum_k z_k^2}

    on the row-standardised graph, with :math:`z` standardised by the population standard deviation (so
    :math:`\sum_k z_k^2 = n` and :math:`I_i = \frac{n-1}{n} z_i \sum_j w_{ij} z_j`): esda's ``Moran_Local.Is``,
    and GeoDa's LISA value, which is :math:`z'_i \sum_j w_{ij} z'_j` with :math:`z'` standardised by the sample
    standard deviation, the same number (checked against pygeoda 0.1.3 on Columbus: ratio 1 to 1e-15).

    Fewer than :data:`~spatial_poverty.stats.inference.MIN_LOCAL_UNITS` units are refused. A unit whose
    simulated statistics have no variance (every arrangement of its neighbours gives the same value, as when all
    other units are its neighbours) has NaN ``p_sim`` and ``q_sim``, is never significant and ``reason`` says
    why (also in the log).

    Conditional randomisation (Anselin 1995): for each unit :math:`i` its :math:`k_i` neighbours' values are
    replaced by :math:`k_i` values drawn without replacement from the other :math:`n-1` units, ``permutations``
    times. As in esda, one table of draws is shared by all units (see :mod:`spatial_poverty.stats.engine`
    for the table, the exact shortcut that evaluates it for all units at once, and the other methods);
    simulations are not kept, their mean and standard deviation are streamed. p-values are computed from the
    simulations
    for ``alternative`` (two-sided by default; esda's default is a folded one-sided "directed" p-value), and
    q-values per unit by ``correction`` (:func:`~spatial_poverty.stats.inference.adjust_pvalues`).

    Parameters
    ----------
    y : pandas.Series or array
    graph : libpysal.graph.Graph
        Row-standardised here (a new graph; the one given is not changed).
    permutations : int, default 999
    seed : int
    alpha : float, default 0.05
        Significance level of the cluster labels.
    alternative : {"two-sided", "greater", "less"}, default "two-sided"
    correction : {"bh", "by", "bonferroni", "none"}, default "bh"
        How ``q_sim`` is computed from ``p_sim`` (over the units that have neighbours).
    significance : {"p", "q"}, default "p"
        Label a unit significant when ``p_sim <= alpha`` (GeoDa's default) or when ``q_sim <= alpha``.
    isolates : {"raise", "keep"}, default "raise"
        A unit with no neighbour is refused, or kept in :math:`n` (its value enters the mean and variance of
        :math:`z` and the draws of the others) with NaN statistics and the label "no neighbours".
    method : {"shared", "esda", "independent"}, default "shared"
        The permutation engine's method (:mod:`spatial_poverty.stats.engine`): one table shared by all units
        drawn from ``numpy.random.default_rng(seed)`` and evaluated exactly with the sorted-sum shortcut;
        esda's table and expressions for the same seed (p-values identical to esda's ``Moran_Local``); or
        fresh draws per unit.
    permutation_table : {"generator", "esda"}, optional
        Older spelling: "generator" is ``method="shared"``, "esda" is ``method="esda"``.

    Attributes
    ----------
    Is : ndarray
        Local statistics (NaN for isolates).
    lag : ndarray
        Spatial lag of the standardised values.
    q : ndarray of int
        Quadrant: 1 High-High, 2 Low-High, 3 Low-Low, 4 High-Low (0 for isolates).
    p_sim, q_sim : ndarray
        Pseudo p-values for ``alternative`` and their q-values.
    EI_sim, seI_sim, z_sim : ndarray
        Mean, standard deviation of the simulated statistics and the observed one standardised by them.
    sim : ndarray of shape (permutations, n)
        The simulated statistics, computed again on access (not kept).
    result : spatial_poverty.stats.engine.PermutationResult
        Counts and moments as the engine returned them.
    labels, labels_el : ndarray of str
        GeoDa cluster labels (English and Greek), "not significant", "no neighbours".
    reason : ndarray of str
        Why a unit has no p-value ("" when it has one; see
        :meth:`~spatial_poverty.stats.engine.PermutationResult.reasons`).
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
        significance: Literal["p", "q"] = "p",
        isolates: Literal["raise", "keep"] = "raise",
        method: Method = "shared",
        permutation_table: Literal["generator", "esda"] | None = None,
    ) -> None:
        if permutation_table is not None:
            if permutation_table not in ("generator", "esda"):
                raise StatisticsError(
                    f"permutation_table needs to be 'generator' or 'esda'; {permutation_table!r} was given instead"
                )
            method = "esda" if permutation_table == "esda" else "shared"
        if method not in METHODS:
            raise StatisticsError(f"method needs to be one of {', '.join(METHODS)}; {method!r} was given instead")
        check_alternative(alternative)
        if not 0 < alpha < 1:
            raise StatisticsError(f"alpha needs to be between 0 and 1; {alpha} was given instead")
        if permutations < 1:
            raise StatisticsError(f"permutations needs to be at least 1; {permutations} was given instead")
        if significance not in ("p", "q"):
            raise StatisticsError(f"significance needs to be 'p' or 'q'; {significance!r} was given instead")
        if isolates not in ("raise", "keep"):
            raise StatisticsError(f"isolates needs to be 'raise' or 'keep'; {isolates!r} was given instead")
        values, w, ids, iso = prepare(y, graph, "LocalMoran", isolates=isolates, min_units=MIN_LOCAL_UNITS)
        n = len(values)
        self.ids = ids
        self.n = n
        self.n_isolates = int(iso.sum())
        self.permutations = permutations
        self.seed = seed
        self.alpha = alpha
        self.alternative = alternative
        self.correction = correction
        self.significance = significance
        z = (values - values.mean()) / values.std()
        den = float(z @ z)
        lag = w @ z
        self.lag = lag
        self.Is = np.where(iso, np.nan, (n - 1) * z * lag / den)
        self.q = np.where(iso, 0, np.where(z > 0, np.where(lag > 0, 1, 4), np.where(lag > 0, 2, 3)))

        self._method: Method = method
        self._w = w
        self._z = z
        if method == "esda":
            # esda's observed statistic and scaling, bit for bit (den as (z * z).sum(), lag as esda's slag)
            self._esda_den = float((z * z).sum())
            observed = (n - 1) * z * lag / self._esda_den
            res, _ = esda_crand("moran", z, w, observed, permutations=permutations, seed=seed)
        else:
            res = conditional_randomisation("moran", z, w, permutations=permutations, seed=seed, method=method)
            # report the engine's evaluation of I_i (the one its counts compare against; equal up to rounding)
            self.Is = np.where(iso, np.nan, res.observed)
        self.result = res
        self.reason = np.where(iso, NO_NEIGHBOURS, res.reasons()).astype(str)
        log_untested("LocalMoran", ids, self.reason)
        self.p_sim = res.p_value(alternative)
        self.q_sim = adjust_pvalues(self.p_sim, correction)
        self.EI_sim = res.mean
        self.seI_sim = res.sd
        self.z_sim = res.z_sim(self.Is)
        test = self.p_sim if significance == "p" else self.q_sim
        significant = np.nan_to_num(test, nan=1.0) <= alpha
        self.significant = significant
        en = np.array([CLUSTER_LABELS.get(int(c), NO_NEIGHBOURS) for c in self.q], dtype=object)
        el = np.array([CLUSTER_LABELS_EL.get(int(c), NO_NEIGHBOURS_EL) for c in self.q], dtype=object)
        self.labels = np.where(iso, NO_NEIGHBOURS, np.where(significant, en, NOT_SIGNIFICANT)).astype(str)
        self.labels_el = np.where(iso, NO_NEIGHBOURS_EL, np.where(significant, el, NOT_SIGNIFICANT_EL)).astype(str)

    @property
    def sim(self) -> np.ndarray:
        """The simulated statistics, shape (permutations, n): not kept, computed again (same table) when asked."""
        if self._method == "esda":
            observed = (self.n - 1) * self._z * self.lag / self._esda_den
            _, sims = esda_crand(
                "moran", self._z, self._w, observed, permutations=self.permutations, seed=self.seed, keep=True
            )
            assert sims is not None
            return sims
        if self._method == "independent":
            raise StatisticsError("method='independent' keeps no simulations (fresh draws per unit)")
        return simulate("moran", self._z, self._w, permutations=self.permutations, seed=self.seed)

    def to_frame(self) -> pd.DataFrame:
        """One row per unit, indexed by the graph's ids, with snake_case ASCII columns."""
        return pd.DataFrame(
            {
                "local_i": self.Is,
                "lag_z": self.lag,
                "z_sim": self.z_sim,
                "p_sim": self.p_sim,
                "q_sim": self.q_sim,
                "quadrant": self.q.astype(np.int32),
                "significant": self.significant,
                "cluster": self.labels,
                "cluster_el": self.labels_el,
            },
            index=pd.Index(self.ids, name="code"),
        )

    def counts(self) -> dict[str, int]:
        """Units per cluster label ("no neighbours" only when there are isolates)."""
        s = pd.Series(self.labels).value_counts()
        keys = [*CLUSTER_LABELS.values(), NOT_SIGNIFICANT] + ([NO_NEIGHBOURS] if self.n_isolates else [])
        return {k: int(s.get(k, 0)) for k in keys}

    def __repr__(self) -> str:
        return f"LocalMoran(n={self.n}, permutations={self.permutations}, alpha={self.alpha}, {self.counts()})"
