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
from scipy import sparse

from spatial_poverty.errors import StatisticsError
from spatial_poverty.stats.engine import (
    METHODS,
    CSRWeights,
    Method,
    PermutationResult,
    conditional_randomisation,
    esda_crand,
    gi_moments,
    simulate,
)
from spatial_poverty.stats.inference import (
    MIN_LOCAL_UNITS,
    NO_NEIGHBOURS,
    NO_NEIGHBOURS_EL,
    Alternative,
    Correction,
    Significance,
    adjust_pvalues,
    check_alternative,
    gi_bin,
    log_untested,
    p_from_z,
    prepare,
)
from spatial_poverty.stats.labels import CLUSTER_LABELS, CLUSTER_LABELS_EL, NOT_SIGNIFICANT, NOT_SIGNIFICANT_EL

__all__ = ["BivariateLocalMoran", "GetisOrdLocal", "LocalGeary", "LocalJoinCount", "gi_weights"]


def gi_weights(
    w: sparse.csr_array, *, star: bool, transform: str, self_weight: Literal["row_max"] | float = "row_max"
) -> CSRWeights:
    """The weights of Gi (``star=False``) or Gi* from the graph's original weights ``w`` (no diagonal).

    Gi*: the self-weight (the row's largest weight, esda's rule, or a number) is added first; ``transform="r"``
    then divides every row, self-weight included, by its sum (esda's ``G_Local`` and ArcGIS's row
    standardisation). Units with no neighbour keep no weight at all.
    """
    w = sparse.csr_array(w, dtype=np.float64, copy=True)
    k = np.diff(w.indptr)
    if transform == "b":
        w.data[:] = 1.0
    own = np.zeros(w.shape[0])
    if star:
        if self_weight == "row_max":
            own = np.where(k > 0, w.max(axis=1).toarray().ravel() if w.nnz else 0.0, 0.0)
        else:
            own = np.where(k > 0, float(self_weight), 0.0)
    if transform == "r":
        with np.errstate(divide="ignore", invalid="ignore"):
            total = np.asarray(w.sum(axis=1)).ravel() + own
            scale = np.where(total > 0, 1.0 / total, 0.0)
        w = sparse.csr_array(sparse.diags(scale) @ w)
        own = own * scale
    cw = CSRWeights.from_sparse(w)
    return CSRWeights(cw.indptr, cw.indices, cw.data, cw.self_weight + own, cw.card, cw.equal)


class _Local:
    ids: pd.Index
    n: int
    iso: np.ndarray
    permutations: int
    seed: int
    alpha: float
    alternative: Alternative
    correction: Correction
    significance: Significance = "p"

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
        significance: Significance = "p",
    ) -> None:
        check_alternative(alternative)
        if significance not in ("p", "q"):
            raise StatisticsError(f"significance needs to be 'p' or 'q'; {significance!r} was given instead")
        if permutations < 1:
            raise StatisticsError(f"permutations needs to be at least 1; {permutations} was given instead")
        if not 0 < alpha < 1:
            raise StatisticsError(f"alpha needs to be between 0 and 1; {alpha} was given instead")
        if method not in METHODS:
            raise StatisticsError(f"method needs to be one of {', '.join(METHODS)}; {method!r} was given instead")
        self.permutations, self.seed, self.alpha = permutations, seed, alpha
        self.alternative, self.correction, self.method = alternative, correction, method
        self.significance = significance

    def _run(
        self,
        statistic: str,
        values: np.ndarray,
        w: CSRWeights,
        observed: np.ndarray,
        y: np.ndarray | None = None,
        esda_z: np.ndarray | None = None,
        esda_observed: np.ndarray | None = None,
    ) -> None:
        """Permutation inference by the engine; ``observed`` is the statistic as the class reports it
        (``esda_observed`` the one esda's simulations are compared with, where it differs: Gi's G)."""
        self._sim_args = (statistic, values, w, y)
        if self.method == "esda":
            if esda_z is None:
                raise StatisticsError(f"{type(self).__name__} has no esda-compatible mode; use 'shared'")
            esda_obs = observed if esda_observed is None else esda_observed
            self._esda_args = (statistic, esda_z, esda_obs)
            res, _ = esda_crand(statistic, esda_z, w, esda_obs, permutations=self.permutations, seed=self.seed)
        else:
            res = conditional_randomisation(
                statistic, values, w, y=y, permutations=self.permutations, seed=self.seed, method=self.method
            )
        self.result: PermutationResult = res
        iso = self.iso
        self.p_sim = np.where(iso, np.nan, res.p_value(self.alternative))
        self.q_sim = adjust_pvalues(self.p_sim, self.correction)
        self.z_sim = np.where(iso, np.nan, res.z_sim(observed))
        self.reason = np.where(iso & (res.reasons() == ""), NO_NEIGHBOURS, res.reasons()).astype(str)
        log_untested(type(self).__name__, self.ids, self.reason)

    def _significant(self) -> np.ndarray:
        """Units whose pseudo p (``significance="p"``) or adjusted q (``"q"``) is at most alpha; NaN never."""
        test = self.p_sim if self.significance == "p" else self.q_sim
        return np.nan_to_num(test, nan=1.0) <= self.alpha

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

    :math:`G_i^*` (``star=True``, the unit in its own neighbourhood):

    .. math::

        G_i^* = \frac{\sum_j w_{ij} x_j - \bar X \sum_j w_{ij}}
        {S \sqrt{\left[n \sum_j w_{ij}^2 - (\sum_j w_{ij})^2\right] / (n - 1)}}, \qquad
        \bar X = \frac{\sum_j x_j}{n}, \quad S = \sqrt{\frac{\sum_j x_j^2}{n} - \bar X^2}

    (Ord & Getis 1995; ArcGIS Pro, "How Hot Spot Analysis (Getis-Ord Gi*) works"), the sums running over
    :math:`j` including :math:`i`. :math:`G_i` (``star=False``) leaves unit i out of the sums, the mean and the
    variance (:math:`n-1` other units, Getis & Ord 1992).

    **Weights.** ``transform="b"`` (default): binary weights, self-weight 1 for Gi*: ArcGIS's default and
    esda's ``G_Local(transform="B", star=True)``. ``transform="r"``: the self-weight is added *before*
    row-standardisation, so each row, self included, sums to 1 (for contiguity or k-nearest weights every
    weight is :math:`1/(k_i+1)`), as esda's ``G_Local(transform="R", star=True)`` (its
    ``_infer_star_and_structure_w``: self-weight = the row's largest weight, then the transform) and ArcGIS's
    row standardisation of a neighbourhood that includes the feature. ``self_weight`` sets that weight
    otherwise (``"row_max"``, esda's rule, equal to 1 for binary graphs, or a number).

    **z-score.** ``z="arcgis"`` (default): the formula above, valid for any weights. ``z="esda"``: esda's
    ``Zs``, whose variance :math:`W_i (N - W_i) / (N-1) \cdot \ldots` assumes binary weights: equal to ArcGIS's
    for binary weights, different for row-standardised ones (where :math:`\sum_j w_{ij}^2 \ne \sum_j w_{ij}`).

    ``p_norm`` is the two-sided normal p-value of the z-score and ``bin`` ArcGIS's ``Gi_Bin`` from it (±3, ±2,
    ±1 at 99, 95, 90 %) with ``significance="p"``; with ``significance="q"`` the levels are those of the
    adjusted permutation p-value ``q_sim`` (as ArcGIS's "Apply False Discovery Rate Correction" option does with
    its own p-values), and ``significant`` is ``p_norm`` (or ``q_sim``) at most alpha. ``p_sim`` and ``q_sim``
    come from conditional randomisation of the neighbours' values
    (``method="esda"``: esda's table and its :math:`G` statistic, p-values identical to esda's). Where the
    z-score cannot be computed (a zero variance: every other value equal, or a neighbourhood of all units),
    ``Zs`` is NaN or infinite, ``p_norm``, ``p_sim`` and ``q_sim`` are NaN, ``bin`` is 0 and ``reason`` says why.

    Attributes
    ----------
    Zs, Gs, p_norm, bin, p_sim, q_sim, z_sim, reason : ndarray
    """

    def __init__(
        self,
        y: pd.Series | np.ndarray,
        graph: Graph,
        *,
        star: bool = True,
        transform: str = "b",
        self_weight: Literal["row_max"] | float = "row_max",
        z: Literal["arcgis", "esda"] = "arcgis",
        permutations: int = 999,
        seed: int,
        alpha: float = 0.05,
        alternative: Alternative = "two-sided",
        correction: Correction = "bh",
        isolates: Literal["raise", "keep"] = "raise",
        method: Method = "shared",
        significance: Significance = "p",
    ) -> None:
        self._setup(permutations, seed, alpha, alternative, correction, method, significance)
        if transform.lower() not in ("b", "r"):
            raise StatisticsError(f"GetisOrdLocal: transform needs to be 'b' or 'r'; {transform!r} was given instead")
        if z not in ("arcgis", "esda"):
            raise StatisticsError(f"GetisOrdLocal: z needs to be 'arcgis' or 'esda'; {z!r} was given instead")
        x, w0, ids, iso = prepare(
            y, graph, "GetisOrdLocal", transform="o", isolates=isolates, min_units=MIN_LOCAL_UNITS
        )
        self.ids, self.n, self.iso, self.star = ids, len(x), iso, star
        cw = gi_weights(w0, star=star, transform=transform.lower(), self_weight=self_weight)
        self.self_weight = cw.self_weight
        n = self.n
        rows = np.repeat(np.arange(n), cw.card)
        wsum = np.bincount(rows, weights=cw.data, minlength=n) + cw.self_weight
        s1 = np.bincount(rows, weights=cw.data**2, minlength=n) + cw.self_weight**2

        def lag(v: np.ndarray) -> np.ndarray:
            return np.bincount(rows, weights=cw.data * v[cw.indices], minlength=n) + cw.self_weight * v

        m = n if star else n - 1
        total = x.sum() if star else x.sum() - x
        xc = x - x.mean()  # z-scores from centred values: a variable shifted by 1e7 keeps its precision
        xbar_c, var, den = gi_moments(xc, wsum, s1, star=star)
        with np.errstate(divide="ignore", invalid="ignore"):
            self.Gs = np.where(iso, np.nan, lag(x) / total)
            if z == "arcgis":  # no z-score without a variance: NaN, not the sign of a rounding error over 0
                zs = np.where(den > 0, (lag(xc) - xbar_c * wsum) / den, np.nan)
            else:  # esda's G_Local.calc: the variance of G for binary weights
                ev = wsum * (m - wsum) / (m - 1) / m**2 * var / (total / m) ** 2
                zs = np.where(den > 0, (self.Gs - wsum / m) / np.sqrt(ev), np.nan)
        self.Zs = np.where(iso, np.nan, zs)
        self._run("gistar" if star else "gi", x, cw, self.Zs, esda_z=x, esda_observed=self.Gs)
        if z == "arcgis":
            self.Zs = self._observed(self.Zs)
        finite = np.isfinite(self.Zs)
        self.p_norm = np.where(iso | ~finite, np.nan, p_from_z(np.where(finite, self.Zs, 0.0), alternative))
        rule = self.p_norm if significance == "p" else self.q_sim
        self.bin = gi_bin(self.Zs, rule)
        self.significant = np.nan_to_num(rule, nan=1.0) <= alpha

    def to_frame(self) -> pd.DataFrame:
        """``gi_z``, ``gi_p`` (normal, as ArcGIS), ``gi_bin``, ``gi_p_sim``, ``gi_q``, ``significant`` indexed by
        the graph's ids."""
        return pd.DataFrame(
            {
                "gi_z": self.Zs,
                "gi_p": self.p_norm,
                "gi_bin": self.bin,
                "gi_p_sim": self.p_sim,
                "gi_q": self.q_sim,
                "significant": self.significant,
            },
            index=pd.Index(self.ids, name="code"),
        )


class LocalGeary(_Local):
    r"""Local Geary :math:`c_i = \sum_j w_{ij} (z_i - z_j)^2` on the row-standardised graph (Anselin 2019).

    ``scale="esda"`` (default): :math:`z` standardised with the population standard deviation, esda's
    ``Geary_Local.localG``. ``scale="geoda"``: GeoDa's value, which standardises with the sample standard
    deviation, :math:`c_i \cdot (n-1)/n` (checked against pygeoda 0.1.3 on Columbus: our esda-scale value is
    GeoDa's times :math:`n/(n-1)` = 49/48 to 1e-15). The scale changes no p-value and no label.
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
        scale: Literal["esda", "geoda"] = "esda",
        significance: Significance = "p",
    ) -> None:
        self._setup(permutations, seed, alpha, alternative, correction, method, significance)
        if scale not in ("esda", "geoda"):
            raise StatisticsError(f"LocalGeary: scale needs to be 'esda' or 'geoda'; {scale!r} was given instead")
        x, w, ids, iso = prepare(y, graph, "LocalGeary", isolates=isolates, min_units=MIN_LOCAL_UNITS)
        self.ids, self.n, self.iso = ids, len(x), iso
        z = (x - x.mean()) / x.std()
        wsum = np.asarray(w.sum(axis=1)).ravel()

        def calc(lag_z: np.ndarray, lag_z2: np.ndarray) -> np.ndarray:
            return z**2 * wsum - 2 * z * lag_z + lag_z2

        self.localG = np.where(iso, np.nan, calc(w @ z, w @ (z**2)))
        self._run("geary", z, CSRWeights.from_sparse(w), self.localG, esda_z=z)
        self.localG = self._observed(self.localG)
        sig = self._significant()
        mean_c = np.nanmean(self.localG)
        low = self.localG < mean_c
        self.labels = np.select(
            [iso, ~sig, low & (x > x.mean()), low & (x <= x.mean())],
            [NO_NEIGHBOURS, NOT_SIGNIFICANT, "High-High", "Low-Low"],
            default="Other Positive",
        ).astype(object)
        self.labels[sig & ~low & ~iso] = "Negative"
        self.labels = self.labels.astype(str)
        if scale == "geoda":
            self.localG = self.localG * (self.n - 1) / self.n

    def to_frame(self) -> pd.DataFrame:
        return pd.DataFrame(
            {"local_c": self.localG, "p_sim": self.p_sim, "q_sim": self.q_sim, "cluster": self.labels},
            index=pd.Index(self.ids, name="code"),
        )


class BivariateLocalMoran(_Local):
    r"""Bivariate LISA: :math:`I_i = (n-1) z^x_i \sum_j w_{ij} z^y_j / \sum_k (z^x_k)^2`, :math:`x` at i against
    the lag of :math:`y`, row-standardised weights: esda's ``Moran_Local_BV`` and GeoDa's bivariate LISA value,
    the same number (GeoDa standardises by the sample standard deviation; checked against pygeoda 0.1.3 on
    Columbus, CRIME against HOVAL: ratio 1 to 1e-15).

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
        significance: Significance = "p",
    ) -> None:
        self._setup(permutations, seed, alpha, alternative, correction, method, significance)
        xv, w, ids, iso = prepare(x, graph, "BivariateLocalMoran", isolates=isolates, min_units=MIN_LOCAL_UNITS)
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
        sig = self._significant()
        self.labels = np.array(
            [
                NO_NEIGHBOURS if i else CLUSTER_LABELS[int(c)] if s else NOT_SIGNIFICANT
                for i, s, c in zip(iso, sig, self.q, strict=True)
            ]
        )

    def to_frame(self) -> pd.DataFrame:
        """``local_i``, ``p_sim``, ``q_sim``, ``quadrant``, ``significant``, ``cluster`` and ``cluster_el``."""
        el = {**{v: CLUSTER_LABELS_EL[k] for k, v in CLUSTER_LABELS.items()}, NOT_SIGNIFICANT: NOT_SIGNIFICANT_EL}
        return pd.DataFrame(
            {
                "local_i": self.Is,
                "p_sim": self.p_sim,
                "q_sim": self.q_sim,
                "quadrant": self.q.astype(np.int32),
                "significant": self._significant() & ~self.iso,
                "cluster": self.labels,
                "cluster_el": [el.get(c, NO_NEIGHBOURS_EL) for c in self.labels],
            },
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
        xv, w, ids, iso = prepare(
            x,
            graph,
            "LocalJoinCount",
            transform="b",
            isolates=isolates,
            check_constant=False,
            min_units=MIN_LOCAL_UNITS,
        )
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
