r"""Global statistics beyond Moran's I: Geary's C, Getis-Ord General G, join counts, EB rate Moran, bivariate Moran.

Same style as :class:`~spatial_poverty.stats.GlobalMoran`: the constructor computes, attributes carry the
literature names (``C``, ``EC``, ``G``, ``EG``, ``I``, ``EI``, ``z_norm``, ``p_norm``, ``z_rand``, ``p_rand``,
``p_sim``), permutations come from ``numpy.random.default_rng(seed)`` and ``p_sim`` is computed from the
simulations for the recorded ``alternative`` (two-sided by default, see
:func:`~spatial_poverty.stats.inference.pseudo_p`). Analytic p-values are two-sided unless ``alternative`` says
otherwise.

How isolates enter n: they do not. Every global statistic here refuses a graph with isolates (a unit with no
neighbour would enter :math:`n` but no cross-product, which biases the statistic: esda's Moran's I is then
inflated by :math:`n/(n-k)`). Link them with an island policy, or compute per component; ``n`` is then the
number of units, all of which have a neighbour.
"""

from __future__ import annotations

import logging
from typing import Any

import numpy as np
import pandas as pd
from libpysal.graph import Graph
from scipy import sparse

from spatial_poverty.errors import StatisticsError
from spatial_poverty.stats.engine import DEGENERATE_RTOL
from spatial_poverty.stats.inference import Alternative, check_alternative, p_from_z, prepare, pseudo_p
from spatial_poverty.stats.rates import assuncao_reis_standardise

__all__ = ["BivariateMoran", "GearyC", "GeneralG", "JoinCounts", "MoranRate"]

logger = logging.getLogger(__name__)

#: Spawn key of the join counts' random streams (any fixed number other than the default empty key).
JOIN_COUNTS_STREAM = 0x4A43


def _moments(w: sparse.csr_array) -> tuple[float, float, float]:
    s0 = float(w.sum())
    wt = w + w.T
    s1 = float(0.5 * wt.multiply(wt).sum())
    s2 = float(((np.asarray(w.sum(axis=1)).ravel() + np.asarray(w.sum(axis=0)).ravel()) ** 2).sum())
    return s0, s1, s2


class _Global:
    """Shared bookkeeping: permutations, seed, alternative, simulation summaries."""

    n: int
    permutations: int
    seed: int
    alternative: Alternative
    sim: np.ndarray
    _name: str = "stat"

    def _setup(self, permutations: int, seed: int, alternative: Alternative) -> None:
        check_alternative(alternative)
        if permutations < 0:
            raise StatisticsError(f"permutations needs to be 0 or more; {permutations} was given instead")
        self.permutations = permutations
        self.seed = seed
        self.alternative = alternative

    def _simulate(self, observed: float, draw: Any) -> None:
        rng = np.random.default_rng(self.seed)
        self.sim = np.array([draw(rng) for _ in range(self.permutations)])
        if self.permutations:
            self.p_sim = float(pseudo_p(np.array([observed]), self.sim[:, None], self.alternative)[0])
            self.E_sim = float(self.sim.mean())
            self.se_sim = float(self.sim.std())
            self.z_sim = (observed - self.E_sim) / self.se_sim if self.se_sim > 0 else float("nan")
            # A statistic that cannot be computed (a zero denominator: GeneralG with one non-zero value) or
            # whose permutations all give one value is not tested: NaN comparisons would count as extreme.
            flat = not self.se_sim > DEGENERATE_RTOL * max(1.0, abs(self.E_sim))
            if not np.isfinite(observed) or not np.isfinite(self.sim).all() or flat:
                self.p_sim = self.z_sim = float("nan")
        else:
            self.p_sim = self.E_sim = self.se_sim = self.z_sim = float("nan")

    def _base_dict(self) -> dict[str, Any]:
        return {
            "n": self.n,
            "isolates_in_n": 0,
            "permutations": self.permutations,
            "seed": self.seed,
            "alternative": self.alternative,
            "p_sim": self.p_sim,
            "z_sim": float(self.z_sim),
        }


class GearyC(_Global):
    r"""Geary's C with normal, randomisation and permutation inference.

    .. math::

        C = \frac{(n - 1) \sum_i \sum_j w_{ij} (y_i - y_j)^2}{2 S_0 \sum_i (y_i - \bar y)^2}, \qquad E[C] = 1

    Variances under normality and randomisation from Cliff & Ord (1981, pp. 18-21), as in esda's ``Geary``
    and spdep's ``geary.test``. :math:`C < 1` is positive autocorrelation, so ``z_norm = (C - 1) / sd`` is
    negative then (esda's sign; spdep reports the opposite sign).

    Parameters
    ----------
    y : pandas.Series or array
    graph : libpysal.graph.Graph
    transform : str, default "r"
        Applied to (a new copy of) the graph: "r" row-standardised, "b" binary.
    permutations : int, default 999
    seed : int
    alternative : {"two-sided", "greater", "less"}, default "two-sided"

    Attributes
    ----------
    C, EC, VC_norm, z_norm, p_norm, VC_rand, z_rand, p_rand, p_sim, z_sim : float
    """

    _name = "C"

    def __init__(
        self,
        y: pd.Series | np.ndarray,
        graph: Graph,
        *,
        transform: str = "r",
        permutations: int = 999,
        seed: int,
        alternative: Alternative = "two-sided",
    ) -> None:
        self._setup(permutations, seed, alternative)
        values, w, _, _ = prepare(y, graph, "GearyC", transform=transform)
        n = self.n = len(values)
        if n < 4:
            raise StatisticsError(f"GearyC needs at least 4 units; {n} were given")
        s0, s1, s2 = _moments(w)
        coo = w.tocoo()
        rows, cols, data = coo.row, coo.col, coo.data

        def calc(v: np.ndarray) -> float:
            z = v - v.mean()
            return float((n - 1) * (data * (v[rows] - v[cols]) ** 2).sum() / (2 * s0 * (z @ z)))

        self.C = calc(values)
        self.EC = 1.0
        self.VC_norm = ((2 * s1 + s2) * (n - 1) - 4 * s0 * s0) / (2 * (n + 1) * s0 * s0)
        z = values - values.mean()
        k = float(n * (z**4).sum() / (z @ z) ** 2)
        a = (n - 1) * s1 * (n * n - 3 * n + 3 - (n - 1) * k)
        b = 0.25 * (n - 1) * s2 * (n * n + 3 * n - 6 - (n * n - n + 2) * k)
        c = s0 * s0 * (n * n - 3 - (n - 1) ** 2 * k)
        self.VC_rand = (a - b + c) / (n * (n - 2) * (n - 3) * s0 * s0)
        self.z_norm = (self.C - self.EC) / np.sqrt(self.VC_norm)
        self.z_rand = (self.C - self.EC) / np.sqrt(self.VC_rand)
        # C below 1 is positive autocorrelation: "greater" (positive autocorrelation) is the lower tail of C.
        flip: Alternative = {"greater": "less", "less": "greater"}.get(alternative, alternative)  # type: ignore[assignment]
        self.p_norm = float(p_from_z(self.z_norm, flip))
        self.p_rand = float(p_from_z(self.z_rand, flip))
        self._simulate_flipped(calc, values, flip)

    def _simulate_flipped(self, calc: Any, values: np.ndarray, flip: Alternative) -> None:
        keep = self.alternative
        self.alternative = flip
        self._simulate(self.C, lambda rng: calc(rng.permutation(values)))
        self.alternative = keep

    def to_dict(self) -> dict[str, Any]:
        """The statistic and its inference, as plain numbers (the CLI's JSON)."""
        return {
            "statistic": "geary",
            "C": self.C,
            "EC": self.EC,
            "VC_norm": self.VC_norm,
            "z_norm": float(self.z_norm),
            "p_norm": self.p_norm,
            "VC_rand": self.VC_rand,
            "z_rand": float(self.z_rand),
            "p_rand": self.p_rand,
            **self._base_dict(),
        }

    def __repr__(self) -> str:
        return f"GearyC(C={self.C:.4f}, p_sim={self.p_sim:.4f}, n={self.n})"


class GeneralG(_Global):
    r"""Getis-Ord General G on binary weights, for positive values.

    .. math:: G = \frac{\sum_i \sum_{j \ne i} w_{ij} y_i y_j}{\sum_i \sum_{j \ne i} y_i y_j}, \qquad
        E[G] = \frac{S_0}{n (n - 1)}

    Analytic inference is the randomisation moment of Getis & Ord (1992, p. 195, with the erratum that makes
    the :math:`S_0^2` coefficient of :math:`B_1` 6, not 3):

    .. math::

        E[G^2] = \frac{B_0 m_2^2 + B_1 m_4 + B_2 m_1^2 m_2 + B_3 m_1 m_3 + B_4 m_1^4}
        {(m_1^2 - m_2)^2\, n (n-1)(n-2)(n-3)}, \qquad m_j = \sum_i y_i^j, \qquad
        V_{rand}[G] = E[G^2] - E[G]^2

    with :math:`B_0 = (n^2 - 3n + 3) S_1 - n S_2 + 3 S_0^2`,
    :math:`B_1 = -[(n^2 - n) S_1 - 2 n S_2 + 6 S_0^2]`, :math:`B_2 = -[2 n S_1 - (n + 3) S_2 + 6 S_0^2]`,
    :math:`B_3 = 4 (n - 1) S_1 - 2 (n + 1) S_2 + 8 S_0^2`, :math:`B_4 = S_1 - S_2 + S_0^2`: the exact variance
    of :math:`G` over all :math:`n!` permutations of the observed values. ``z_rand`` and ``p_rand`` are from
    it; they equal spdep's ``globalG.test`` (its "standard deviate", ``B1correct=TRUE``) and esda's ``G``
    ``z_norm`` (which esda calls "normal" although it is this randomisation variance; esda's ``p_norm`` is
    one-sided, ours follows ``alternative``).

    There is no normality variance for :math:`G`: it is defined for non-negative values only and Getis & Ord
    derive its moments under randomisation alone. ``z_norm``, ``p_norm`` and ``VG_norm`` are therefore NaN
    (``None`` in :meth:`to_dict`) rather than a copy of the randomisation values.

    Attributes
    ----------
    G, EG : float
    VG_rand, z_rand, p_rand : float
        The Getis-Ord randomisation variance, its z-score and p-value. ``VG`` is ``VG_rand``.
    z_norm, p_norm, VG_norm : float
        NaN (see above).
    p_sim, z_sim : float
        From ``permutations`` seeded permutations.

    References
    ----------
    Getis, A. & Ord, J. K. (1992). The analysis of spatial association by use of distance statistics.
    Geographical Analysis 24(3), 189-206 (erratum: Geographical Analysis 25(3), 276, 1993).
    """

    _name = "G"

    def __init__(
        self,
        y: pd.Series | np.ndarray,
        graph: Graph,
        *,
        permutations: int = 999,
        seed: int,
        alternative: Alternative = "two-sided",
    ) -> None:
        self._setup(permutations, seed, alternative)
        values, w, _, _ = prepare(y, graph, "GeneralG", transform="b")
        if (values < 0).any():
            raise StatisticsError("GeneralG needs non-negative values (counts, rates, shares)")
        n = self.n = len(values)
        if n < 4:
            raise StatisticsError(f"GeneralG needs at least 4 units; {n} were given")
        s0, s1, s2 = _moments(w)
        den = float(values.sum() ** 2 - (values**2).sum())

        def calc(v: np.ndarray) -> float:  # NaN without a denominator (a single non-zero value)
            return float(v @ (w @ v)) / den if den > 0 else float("nan")

        self.G = calc(values)
        if den <= 0:
            logger.warning("GeneralG: at most one non-zero value, G is undefined (NaN) and not tested")
        self.EG = s0 / (n * (n - 1))
        n2, s02 = n * n, s0 * s0
        b0 = (n2 - 3 * n + 3) * s1 - n * s2 + 3 * s02
        b1 = -((n2 - n) * s1 - 2 * n * s2 + 6 * s02)
        b2 = -(2 * n * s1 - (n + 3) * s2 + 6 * s02)
        b3 = 4 * (n - 1) * s1 - 2 * (n + 1) * s2 + 8 * s02
        b4 = s1 - s2 + s02
        m1, m2, m3, m4 = (float((values**p).sum()) for p in (1, 2, 3, 4))
        denom = (m1**2 - m2) ** 2 * n * (n - 1) * (n - 2) * (n - 3)
        eg2 = (b0 * m2**2 + b1 * m4 + b2 * m1**2 * m2 + b3 * m1 * m3 + b4 * m1**4) / denom if den > 0 else np.nan
        self.VG_rand = self.VG = eg2 - self.EG**2
        self.z_rand = (self.G - self.EG) / np.sqrt(self.VG_rand)
        self.p_rand = float(p_from_z(self.z_rand, alternative))
        self.VG_norm = self.z_norm = self.p_norm = float("nan")
        self._simulate(self.G, lambda rng: calc(rng.permutation(values)))

    def to_dict(self) -> dict[str, Any]:
        """The statistic and its inference, as plain numbers (the CLI's JSON)."""
        return {
            "statistic": "general_g",
            "G": self.G,
            "EG": self.EG,
            "VG_rand": self.VG_rand,
            "z_norm": None,
            "p_norm": None,
            "z_rand": float(self.z_rand),
            "p_rand": self.p_rand,
            **self._base_dict(),
        }

    def __repr__(self) -> str:
        return f"GeneralG(G={self.G:.6f}, EG={self.EG:.6f}, p_sim={self.p_sim:.4f}, n={self.n})"


class JoinCounts(_Global):
    r"""Join counts of a binary variable (1 = "black", 0 = "white") on binary symmetric weights.

    .. math:: BB = \tfrac12 \sum_{i,j} w_{ij} x_i x_j, \quad WW = \tfrac12 \sum_{i,j} w_{ij} (1-x_i)(1-x_j),
        \quad BW = J - BB - WW, \quad J = \tfrac12 S_0

    Inference by permutation (seeded): ``p_sim_bb`` is for more BB joins than chance (``alternative``
    "greater" by default here, the clustering hypothesis), ``p_sim_bw`` for fewer BW joins. Each count has
    its own permutation draws, from a random stream of its own: child streams of
    ``numpy.random.SeedSequence(seed, spawn_key=(JOIN_COUNTS_STREAM,))``. So the BB and BW tests do not
    share draws with each other, nor with a Moran's I or Geary's C run with the same seed (which draw from
    ``default_rng(seed)`` and would otherwise permute the units in exactly the same order). ``p_sim`` is
    ``p_sim_bb``.

    Attributes
    ----------
    bb, ww, bw, J : float
    sim_bb, sim_bw : ndarray
    p_sim_bb, p_sim_bw : float
    """

    def __init__(
        self,
        x: pd.Series | np.ndarray,
        graph: Graph,
        *,
        permutations: int = 999,
        seed: int,
        alternative: Alternative = "greater",
    ) -> None:
        self._setup(permutations, seed, alternative)
        values, w, _, _ = prepare(x, graph, "JoinCounts", transform="b", check_constant=False)
        if not np.isin(values, (0.0, 1.0)).all():
            bad = sorted(set(values[~np.isin(values, (0.0, 1.0))]))[:5]
            raise StatisticsError(f"JoinCounts needs a 0/1 variable; found values {bad}")
        self.n = len(values)
        self.J = float(w.sum()) / 2.0

        def calc(v: np.ndarray) -> tuple[float, float]:
            bb = float(v @ (w @ v)) / 2.0
            u = 1.0 - v
            ww = float(u @ (w @ u)) / 2.0
            return bb, ww

        self.bb, self.ww = calc(values)
        self.bw = self.J - self.bb - self.ww
        stream_bb, stream_bw = np.random.SeedSequence(seed, spawn_key=(JOIN_COUNTS_STREAM,)).spawn(2)
        rng_bb, rng_bw = np.random.default_rng(stream_bb), np.random.default_rng(stream_bw)
        sims_bb = np.array([calc(rng_bb.permutation(values)) for _ in range(permutations)]).reshape(-1, 2)
        sims_bw = np.array([calc(rng_bw.permutation(values)) for _ in range(permutations)]).reshape(-1, 2)
        self.sim_bb = sims_bb[:, 0]
        self.sim_bw = self.J - sims_bw[:, 0] - sims_bw[:, 1]
        self.sim = self.sim_bb
        if permutations:
            self.p_sim_bb = float(pseudo_p(np.array([self.bb]), self.sim_bb[:, None], alternative)[0])
            flip: Alternative = {"greater": "less", "less": "greater"}.get(alternative, alternative)  # type: ignore[assignment]
            self.p_sim_bw = float(pseudo_p(np.array([self.bw]), self.sim_bw[:, None], flip)[0])
        else:
            self.p_sim_bb = self.p_sim_bw = float("nan")
        self.p_sim = self.p_sim_bb
        self.z_sim = (
            (self.bb - self.sim_bb.mean()) / self.sim_bb.std() if permutations and self.sim_bb.std() > 0 else np.nan
        )

    def to_dict(self) -> dict[str, Any]:
        """The counts and their inference, as plain numbers."""
        return {
            "statistic": "join_counts",
            "bb": self.bb,
            "bw": self.bw,
            "ww": self.ww,
            "J": self.J,
            "p_sim_bb": self.p_sim_bb,
            "p_sim_bw": self.p_sim_bw,
            **self._base_dict(),
        }

    def __repr__(self) -> str:
        return f"JoinCounts(bb={self.bb}, bw={self.bw}, ww={self.ww}, p_sim_bb={self.p_sim_bb:.4f})"


class MoranRate:
    r"""Moran's I of a rate with the Empirical-Bayes standardisation of Assunção & Reis (1999).

    .. math::

        z_i = \frac{p_i - b}{\sqrt{v_i}}, \quad p_i = e_i / n_i, \quad b = \frac{\sum e_i}{\sum n_i}, \quad
        v_i = a + \frac{b}{n_i}, \quad a = s^2 - \frac{b}{\bar n}, \quad
        s^2 = \frac{\sum n_i (p_i - b)^2}{\sum n_i}

    with :math:`v_i = b / n_i` where :math:`v_i` would be negative (the paper's rule, as esda's
    ``Moran_Rate``); then :class:`~spatial_poverty.stats.GlobalMoran` of :math:`z`.

    Parameters
    ----------
    events, base : pandas.Series or array
        Counts of events and of the population at risk (base > 0), aligned with the graph.
    graph : libpysal.graph.Graph
    permutations, seed, alternative : as :class:`~spatial_poverty.stats.GlobalMoran`

    Attributes
    ----------
    I, EI, z_norm, p_norm, z_rand, p_rand, p_sim, ... : as GlobalMoran
    z : ndarray
        The standardised rates.
    """

    def __init__(
        self,
        events: pd.Series | np.ndarray,
        base: pd.Series | np.ndarray,
        graph: Graph,
        *,
        permutations: int = 999,
        seed: int,
        alternative: Alternative = "two-sided",
    ) -> None:
        from spatial_poverty.stats.autocorrelation import GlobalMoran

        ids = pd.Index(graph.unique_ids)
        e = events.reindex(ids) if isinstance(events, pd.Series) else events
        b = base.reindex(ids) if isinstance(base, pd.Series) else base
        self.z = assuncao_reis_standardise(np.asarray(e, dtype=float), np.asarray(b, dtype=float))
        self.moran = GlobalMoran(self.z, graph, permutations=permutations, seed=seed, alternative=alternative)

    def __getattr__(self, name: str) -> Any:
        if name == "moran":
            raise AttributeError(name)
        return getattr(self.moran, name)

    def to_dict(self) -> dict[str, Any]:
        return {"statistic": "moran_rate", "standardisation": "assuncao_reis_1999", **self.moran.to_dict()}

    def __repr__(self) -> str:
        return f"MoranRate(I={self.moran.I:.4f}, p_sim={self.moran.p_sim:.4f}, n={self.moran.n})"


class BivariateMoran(_Global):
    r"""Bivariate Moran's I: ``x`` at i against the spatial lag of ``y``.

    .. math:: I_{xy} = \frac{\sum_i z^x_i \sum_j w_{ij} z^y_j}{n - 1}, \qquad
        z = (v - \bar v) / s_{n-1}

    on the row-standardised graph, as esda's ``Moran_BV`` and GeoDa. Inference by permuting ``y`` (seeded).

    Attributes
    ----------
    I, p_sim, z_sim : float
    """

    def __init__(
        self,
        x: pd.Series | np.ndarray,
        y: pd.Series | np.ndarray,
        graph: Graph,
        *,
        permutations: int = 999,
        seed: int,
        alternative: Alternative = "two-sided",
    ) -> None:
        self._setup(permutations, seed, alternative)
        xv, w, _, _ = prepare(x, graph, "BivariateMoran")
        yv, _, _, _ = prepare(y, graph, "BivariateMoran")
        n = self.n = len(xv)
        zx = (xv - xv.mean()) / xv.std(ddof=1)
        zy = (yv - yv.mean()) / yv.std(ddof=1)

        def calc(v: np.ndarray) -> float:
            return float(zx @ (w @ v)) / (n - 1)

        self.I = calc(zy)
        self.EI = -1.0 / (n - 1)
        self._simulate(self.I, lambda rng: calc(rng.permutation(zy)))

    def to_dict(self) -> dict[str, Any]:
        return {"statistic": "bivariate_moran", "I": self.I, "EI": self.EI, **self._base_dict()}

    def __repr__(self) -> str:
        return f"BivariateMoran(I={self.I:.4f}, p_sim={self.p_sim:.4f}, n={self.n})"
