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
from scipy import sparse, stats

from spatial_poverty.errors import StatisticsError

__all__ = ["CLUSTER_LABELS", "CLUSTER_LABELS_EL", "GlobalMoran", "LocalMoran", "pseudo_p_two_sided"]

logger = logging.getLogger(__name__)

#: Quadrant codes (esda's ``q``) and their GeoDa labels.
CLUSTER_LABELS: dict[int, str] = {1: "High-High", 2: "Low-High", 3: "Low-Low", 4: "High-Low"}
#: The same labels in Greek, for maps and tables.
CLUSTER_LABELS_EL: dict[int, str] = {
    1: "Υψηλό-Υψηλό",
    2: "Χαμηλό-Υψηλό",
    3: "Χαμηλό-Χαμηλό",
    4: "Υψηλό-Χαμηλό",
}
NOT_SIGNIFICANT = "not significant"
NOT_SIGNIFICANT_EL = "μη σημαντικό"

Alternative = Literal["two-sided", "greater", "less"]


def pseudo_p_two_sided(observed: np.ndarray, simulated: np.ndarray) -> np.ndarray:
    r"""Two-sided pseudo p-values from permutations.

    .. math::

        p = \min\left(1,\; 2\,\frac{1 + \min(\#\{s \ge o\},\, \#\{s \le o\})}{P + 1}\right)

    for an observed value :math:`o` and :math:`P` simulated values :math:`s` (Davison & Hinkley 1997, §4.4:
    the smaller tail doubled; the +1 counts the observed arrangement among the permutations).

    Parameters
    ----------
    observed : array of shape (n,)
    simulated : array of shape (P, n)
    """
    observed = np.atleast_1d(observed)
    simulated = np.asarray(simulated).reshape(simulated.shape[0], -1)
    n_perm = simulated.shape[0]
    ge = (simulated >= observed).sum(axis=0)
    le = (simulated <= observed).sum(axis=0)
    return np.minimum(1.0, 2.0 * (1.0 + np.minimum(ge, le)) / (n_perm + 1.0))


def _p_one_sided(observed: np.ndarray, simulated: np.ndarray, alternative: Alternative) -> np.ndarray:
    if alternative == "two-sided":
        return pseudo_p_two_sided(observed, simulated)
    n_perm = simulated.shape[0]
    count = (simulated >= observed).sum(axis=0) if alternative == "greater" else (simulated <= observed).sum(axis=0)
    return (1.0 + count) / (n_perm + 1.0)


def _prepare(y: pd.Series | np.ndarray, graph: Graph, what: str) -> tuple[np.ndarray, sparse.csr_array, pd.Index]:
    if not isinstance(graph, Graph):
        raise StatisticsError(f"{what} needs a libpysal.graph.Graph; {type(graph).__name__} was given instead")
    ids = pd.Index(graph.unique_ids)
    if isinstance(y, pd.Series):
        if set(y.index) != set(ids) or len(y) != len(ids):
            raise StatisticsError(f"{what}: y needs the same index as the graph's ids")
        values = y.reindex(ids).to_numpy(dtype=float)
    else:
        values = np.asarray(y, dtype=float).ravel()
        if len(values) != len(ids):
            raise StatisticsError(f"{what}: y has {len(values)} values, the graph {len(ids)} units")
    if not np.isfinite(values).all():
        bad = list(ids[~np.isfinite(values)])
        raise StatisticsError(f"{what}: y has missing or infinite values for {bad}")
    if len(graph.isolates):
        raise StatisticsError(
            f"{what} needs every unit to have a neighbour; isolates: {list(graph.isolates)}. "
            "Use the island policy 'knn' (weights: island_policy: knn)"
        )
    if np.allclose(values, values[0]):
        raise StatisticsError(f"{what}: y is constant, autocorrelation is undefined")
    w = graph.transform("r")
    return values, sparse.csr_array(w.sparse), ids


class GlobalMoran:
    r"""Global Moran's I with normal, randomisation and permutation inference.

    .. math:: I = \frac{n}{S_0} \frac{\sum_i \sum_j w_{ij} z_i z_j}{\sum_i z_i^2}, \qquad z = y - \bar y

    on the row-standardised graph. :math:`E[I] = -1/(n-1)`; the variances under normality and randomisation are
    Cliff & Ord's (1981), as in esda and spdep's ``moran.test``.

    Parameters
    ----------
    y : pandas.Series or array
        Values, indexed like the graph's ids.
    graph : libpysal.graph.Graph
        Binary or weighted; it is row-standardised here (a new graph; the one given is not changed).
    permutations : int, default 999
    seed : int
        Seed of the :class:`numpy.random.Generator` used for the permutations.

    Attributes
    ----------
    I, EI, VI_norm, z_norm, p_norm, VI_rand, z_rand, p_rand : float
        ``p_norm`` and ``p_rand`` are two-sided.
    sim : ndarray
        The permuted statistics.
    p_sim : float
        Two-sided pseudo p-value, see :func:`pseudo_p_two_sided`.
    EI_sim, seI_sim, z_sim : float
    n : int
    """

    def __init__(self, y: pd.Series | np.ndarray, graph: Graph, *, permutations: int = 999, seed: int) -> None:
        values, w, _ = _prepare(y, graph, "GlobalMoran")
        n = len(values)
        if n < 4:
            raise StatisticsError(f"GlobalMoran needs at least 4 units; {n} were given")
        self.n = n
        self.permutations = permutations
        self.seed = seed
        self.alternative: Alternative = "two-sided"
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
        self.p_norm = float(2 * stats.norm.sf(abs(self.z_norm)))
        self.p_rand = float(2 * stats.norm.sf(abs(self.z_rand)))
        rng = np.random.default_rng(seed)
        self.sim = np.array([calc(rng.permutation(z)) for _ in range(permutations)])
        if permutations:
            self.p_sim = float(pseudo_p_two_sided(np.array([self.I]), self.sim[:, None])[0])
            self.EI_sim = float(self.sim.mean())
            self.seI_sim = float(self.sim.std())
            self.z_sim = (self.I - self.EI_sim) / self.seI_sim if self.seI_sim > 0 else np.nan
        else:
            self.p_sim = self.EI_sim = self.seI_sim = self.z_sim = np.nan

    def to_dict(self) -> dict[str, float | int | str]:
        """The statistic and its inference, as plain numbers (for manifests and reports)."""
        return {
            "n": self.n,
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
    r"""Local Moran's I (LISA) with conditional randomisation.

    .. math:: I_i = (n - 1) \frac{z_i \sum_j w_{ij} z_j}{\sum_k z_k^2}

    on the row-standardised graph, as esda's ``Moran_Local`` (GeoDa scales by :math:`n` instead of
    :math:`n-1`, which changes no p-value and no cluster).

    Conditional randomisation (Anselin 1995): for each unit :math:`i` its :math:`k_i` neighbours' values are
    replaced by :math:`k_i` values drawn without replacement from the other :math:`n-1` units, ``permutations``
    times. As in esda, one table of draws is shared by all units (row :math:`p` holds the first
    :math:`k_{max}` entries of a permutation of :math:`0..n-2`; the entry :math:`j \ge i` stands for unit
    :math:`j+1`), drawn from ``numpy.random.default_rng(seed)``.

    Parameters
    ----------
    y : pandas.Series or array
    graph : libpysal.graph.Graph
        Row-standardised here; no isolates.
    permutations : int, default 999
    seed : int
    alpha : float, default 0.05
        Significance level of the cluster labels.
    alternative : {"two-sided", "greater", "less"}, default "two-sided"
    permutation_table : {"generator", "esda"}, default "generator"
        "generator" draws the table from ``numpy.random.default_rng(seed)``; "esda" draws it as esda's
        pure-Python path does (``numpy.random.RandomState(seed).choice(n - 1, k_max, replace=False)`` per row),
        so that the simulated statistics equal esda's for the same seed when numba is not installed.

    Attributes
    ----------
    Is : ndarray
        Local statistics.
    lag : ndarray
        Spatial lag of the standardised values.
    q : ndarray of int
        Quadrant: 1 High-High, 2 Low-High, 3 Low-Low, 4 High-Low.
    p_sim : ndarray
        Pseudo p-values for ``alternative``.
    EI_sim, seI_sim, z_sim : ndarray
        Mean, standard deviation of the simulated statistics and the observed one standardised by them.
    labels, labels_el : ndarray of str
        GeoDa cluster labels (English and Greek), "not significant" where ``p_sim > alpha``.
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
        permutation_table: Literal["generator", "esda"] = "generator",
    ) -> None:
        if permutation_table not in ("generator", "esda"):
            raise StatisticsError(
                f"permutation_table needs to be 'generator' or 'esda'; {permutation_table!r} was given instead"
            )
        if alternative not in ("two-sided", "greater", "less"):
            raise StatisticsError(
                f"alternative needs to be 'two-sided', 'greater' or 'less'; {alternative!r} was given instead"
            )
        if not 0 < alpha < 1:
            raise StatisticsError(f"alpha needs to be between 0 and 1; {alpha} was given instead")
        if permutations < 1:
            raise StatisticsError(f"permutations needs to be at least 1; {permutations} was given instead")
        values, w, ids = _prepare(y, graph, "LocalMoran")
        n = len(values)
        self.ids = ids
        self.n = n
        self.permutations = permutations
        self.seed = seed
        self.alpha = alpha
        self.alternative = alternative
        z = (values - values.mean()) / values.std()
        den = float(z @ z)
        lag = w @ z
        self.lag = lag
        self.Is = (n - 1) * z * lag / den
        self.q = np.where(z > 0, np.where(lag > 0, 1, 4), np.where(lag > 0, 2, 3))

        indptr, data = w.indptr, w.data
        card = np.diff(indptr)
        kmax = int(card.max())
        if permutation_table == "esda":
            legacy = np.random.RandomState(seed)
            table = np.stack([legacy.choice(n - 1, size=kmax, replace=False) for _ in range(permutations)])
        else:
            rng = np.random.default_rng(seed)
            table = np.stack([rng.permutation(n - 1)[:kmax] for _ in range(permutations)])
        sim = np.empty((permutations, n))
        self.sim = sim
        for i in range(n):
            k = card[i]
            draw = table[:, :k]
            draw = draw + (draw >= i)
            weights = data[indptr[i] : indptr[i + 1]]
            sim[:, i] = (n - 1) * z[i] * (z[draw] @ weights) / den
        self.p_sim = _p_one_sided(self.Is, sim, alternative)
        self.EI_sim = sim.mean(axis=0)
        self.seI_sim = sim.std(axis=0)
        with np.errstate(divide="ignore", invalid="ignore"):
            self.z_sim = (self.Is - self.EI_sim) / self.seI_sim
        significant = self.p_sim <= alpha
        self.labels = np.where(significant, [CLUSTER_LABELS[c] for c in self.q], NOT_SIGNIFICANT)
        self.labels_el = np.where(significant, [CLUSTER_LABELS_EL[c] for c in self.q], NOT_SIGNIFICANT_EL)

    def to_frame(self) -> pd.DataFrame:
        """One row per unit, indexed by the graph's ids, with snake_case ASCII columns."""
        return pd.DataFrame(
            {
                "local_i": self.Is,
                "lag_z": self.lag,
                "z_sim": self.z_sim,
                "p_sim": self.p_sim,
                "quadrant": self.q.astype(np.int32),
                "significant": self.p_sim <= self.alpha,
                "cluster": self.labels,
                "cluster_el": self.labels_el,
            },
            index=pd.Index(self.ids, name="code"),
        )

    def counts(self) -> dict[str, int]:
        """Units per cluster label."""
        s = pd.Series(self.labels).value_counts()
        return {k: int(s.get(k, 0)) for k in [*CLUSTER_LABELS.values(), NOT_SIGNIFICANT]}

    def __repr__(self) -> str:
        return f"LocalMoran(n={self.n}, permutations={self.permutations}, alpha={self.alpha}, {self.counts()})"
