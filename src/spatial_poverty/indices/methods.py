"""The methods of a composite index: outlier treatment, normalisation, weights and aggregation.

Each is a typed function on index-aligned pandas objects (the municipality code is the index); none changes its
input. Conventions: after normalisation every indicator points the same way, *higher = more deprived*, and so do
domain scores and the index.

References
----------
.. [OECD2008] OECD/JRC (Nardo M., Saisana M., Saltelli A., Tarantola S., Hoffman A., Giovannini E.), *Handbook on
   Constructing Composite Indicators: Methodology and User Guide*, OECD Publishing, 2008.
.. [COINr] Becker W., Caperna G., Del Sorbo M., Norlén H., Papadimitriou E., Saisana M., "COINr: An R package
   for developing composite indicators", *Journal of Open Source Software* 7(78), 4567, 2022.
.. [MP2016] Mazziotta M., Pareto A., "On a generalized non-compensatory composite index for measuring
   socio-economic phenomena", *Social Indicators Research* 127, 983-1003, 2016.
.. [IMD2019] McLennan D. et al., *The English Indices of Deprivation 2019: Technical Report*, MHCLG, 2019
   (exponential transformation, Appendix D/F).
"""

from __future__ import annotations

import logging
import math
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from spatial_poverty.errors import StatisticsError

__all__ = [
    "IMD_LAMBDA",
    "OutlierTreatment",
    "aggregate",
    "aggregate_values",
    "cronbach_alpha",
    "factor_weights",
    "imd_exponential",
    "jrc_outliers",
    "kurtosis",
    "mazziotta_pareto",
    "normalise",
    "normalise_values",
    "pca_scores",
    "skewness",
    "varimax",
]

logger = logging.getLogger(__name__)

#: The constant of the IMD exponential transformation: X = -23 ln(1 - R (1 - exp(-100/23))).
IMD_LAMBDA = 23.0


def skewness(x: pd.Series) -> float:
    """Sample skewness, as Excel ``SKEW`` and e1071 type 2 (the definition COINr uses).

    .. math:: G_1 = \\frac{\\sqrt{n(n-1)}}{n-2} \\frac{m_3}{m_2^{3/2}}
    """
    return float(stats.skew(np.asarray(x, dtype=float), bias=False))


def kurtosis(x: pd.Series) -> float:
    """Sample excess kurtosis, as Excel ``KURT`` and e1071 type 2 (the definition COINr uses).

    .. math:: G_2 = \\frac{n-1}{(n-2)(n-3)} \\left[(n+1) \\frac{m_4}{m_2^2} - 3(n-1)\\right]
    """
    return float(stats.kurtosis(np.asarray(x, dtype=float), fisher=True, bias=False))


@dataclass(frozen=True)
class OutlierTreatment:
    """What :func:`jrc_outliers` did to one indicator."""

    values: pd.Series
    treatment: str  # "none", "winsorised" or "log"
    n_winsorised: int
    skew_before: float
    kurtosis_before: float
    skew_after: float
    kurtosis_after: float

    def to_dict(self) -> dict[str, object]:
        return {
            "treatment": self.treatment,
            "n_winsorised": self.n_winsorised,
            "skew_before": round(self.skew_before, 6),
            "kurtosis_before": round(self.kurtosis_before, 6),
            "skew_after": round(self.skew_after, 6),
            "kurtosis_after": round(self.kurtosis_after, 6),
        }


def _passes(x: np.ndarray, skew_threshold: float, kurtosis_threshold: float, require_both: bool) -> bool:
    sk = float(stats.skew(x, bias=False))
    kt = float(stats.kurtosis(x, fisher=True, bias=False))
    if not (math.isfinite(sk) and math.isfinite(kt)):  # constant vector: nothing to treat
        return True
    if require_both:
        return abs(sk) < skew_threshold and kt < kurtosis_threshold
    return abs(sk) < skew_threshold or kt < kurtosis_threshold


def jrc_outliers(
    x: pd.Series,
    *,
    winmax: int = 5,
    skew_threshold: float = 2.0,
    kurtosis_threshold: float = 3.5,
    require_both: bool = False,
) -> OutlierTreatment:
    """The JRC outlier rule: Winsorise up to ``winmax`` points, else log-transform.

    An indicator *passes* when :math:`|G_1| < 2` or :math:`G_2 < 3.5` (it is treated only when both are exceeded,
    as in the JRC COIN tool and COINr's ``check_SkewKurt``); ``require_both=True`` asks for both to hold. While
    it fails, the most extreme value on the side of the skew is replaced by the next one (ties together). If
    ``winmax`` points are used and it still fails, the original values are log-transformed instead
    (COINr's ``log_CT_plus``), with :math:`a = 0.01 (\\max x - \\min x)`:

    .. math:: x' = \\ln(x - \\min x + a) \\;(G_1 > 0), \\qquad x' = -\\ln(\\max x + a - x) \\;(G_1 \\le 0)

    Both preserve the order of the values. See [OECD2008]_ §5 and [COINr]_ (``winsorise``, ``log_CT_plus``).

    Parameters
    ----------
    x : pandas.Series
        Values without missing data.

    Returns
    -------
    OutlierTreatment
    """
    arr = np.asarray(x, dtype=float).copy()
    sk0, kt0 = skewness(x), kurtosis(x)
    if len(arr) < 4 or _passes(arr, skew_threshold, kurtosis_threshold, require_both):
        return OutlierTreatment(x.copy(), "none", 0, sk0, kt0, sk0, kt0)
    win = arr.copy()
    treated = np.zeros(len(arr), dtype=bool)
    while treated.sum() < winmax:
        if float(stats.skew(win, bias=False)) >= 0:
            at = win == win.max()
            if at.all():
                break
            win[at] = win[~at].max()
        else:
            at = win == win.min()
            if at.all():
                break
            win[at] = win[~at].min()
        treated |= at
        if _passes(win, skew_threshold, kurtosis_threshold, require_both):
            out = pd.Series(win, index=x.index, name=x.name)
            return OutlierTreatment(out, "winsorised", int(treated.sum()), sk0, kt0, skewness(out), kurtosis(out))
    lo, hi = arr.min(), arr.max()
    a = 0.01 * (hi - lo)
    logged = np.log(arr - lo + a) if sk0 > 0 else -np.log(hi + a - arr)
    out = pd.Series(logged, index=x.index, name=x.name)
    return OutlierTreatment(out, "log", 0, sk0, kt0, skewness(out), kurtosis(out))


def normalise(
    x: pd.Series,
    method: str,
    *,
    direction: int = 1,
    range: tuple[float, float] = (0.0, 100.0),
    goalposts: tuple[float, float] | None = None,
    reference: str | None = None,
    reference_mode: str = "ratio",
) -> pd.Series:
    """Normalise one indicator so that higher means more deprived.

    With :math:`y = d\\,x` (:math:`d = \\pm 1` the direction), :math:`[l, u]` the target ``range``:

    - ``minmax``: :math:`l + (u - l)\\,(y - \\min y) / (\\max y - \\min y)`
    - ``zscore``: :math:`(y - \\bar y) / s_y` (sample standard deviation)
    - ``rank``: rank of :math:`y`, 1 = least deprived, ties share their mean rank
    - ``percentile_rank``: :math:`(r_{\\min} - 1)/(n - 1)` with :math:`r_{\\min}` the minimum rank of ties
      (``dplyr::percent_rank``, COINr ``n_prank``)
    - ``goalposts`` :math:`(g_0, g_1)`: :math:`l + (u - l)\\,\\mathrm{clip}((x - g_0)/(g_1 - g_0), 0, 1)`, mirrored
      as :math:`(g_1 - x)/(g_1 - g_0)` when :math:`d = -1` (COINr ``n_goalposts``)
    - ``distance_to_reference`` (unit :math:`c`): ratio :math:`x / x_c` (:math:`x_c / x` when :math:`d = -1`) or
      difference :math:`d\\,(x - x_c)` (COINr ``n_dist2ref``)
    - ``ampi``: the adjusted Mazziotta-Pareto rescaling :math:`70 + 60\\,(y - y_0 + \\Delta)/(2\\Delta)` with
      reference :math:`y_0 = \\bar y` (or unit ``reference``) and :math:`\\Delta = (\\max y - \\min y)/2`: the
      reference maps to 100 and the values to about [70, 130] [MP2016]_.

    Raises
    ------
    StatisticsError
        A constant indicator (min-max, z-score, AMPI), a missing reference unit, or a zero reference value.
    """
    out = normalise_values(
        x.to_numpy(dtype=float),
        method,
        index=x.index,
        name=str(x.name),
        direction=direction,
        range=range,
        goalposts=goalposts,
        reference=reference,
        reference_mode=reference_mode,
    )
    return pd.Series(out, index=x.index, name=x.name, dtype=float)


def normalise_values(
    x: np.ndarray,
    method: str,
    *,
    index: pd.Index,
    name: str,
    direction: int = 1,
    range: tuple[float, float] = (0.0, 100.0),
    goalposts: tuple[float, float] | None = None,
    reference: str | None = None,
    reference_mode: str = "ratio",
) -> np.ndarray:
    """:func:`normalise` on a NumPy array (the Monte Carlo's fast path); ``index`` locates the reference unit."""
    y = direction * x
    lo, hi = range
    n = len(y)
    if method == "minmax":
        spread = y.max() - y.min()
        if not spread > 0:
            raise StatisticsError(f"indicator {name!r} is constant ({x[0]}); it cannot be min-max normalised")
        return lo + (hi - lo) * (y - y.min()) / spread
    if method == "zscore":
        sd = y.std(ddof=1)
        if not sd > 0:
            raise StatisticsError(f"indicator {name!r} is constant ({x[0]}); it has no z-score")
        return (y - y.mean()) / sd
    if method == "rank":
        return np.asarray(stats.rankdata(y, method="average"), dtype=float)
    if method == "percentile_rank":
        return (stats.rankdata(y, method="min") - 1.0) / (n - 1) if n > 1 else np.zeros(n)
    if method == "goalposts":
        if goalposts is None:
            raise StatisticsError(f"indicator {name!r}: goalposts normalisation needs goalposts [lower, upper]")
        g0, g1 = goalposts
        frac = (x - g0) / (g1 - g0) if direction == 1 else (g1 - x) / (g1 - g0)
        return lo + (hi - lo) * np.clip(frac, 0.0, 1.0)
    if method == "distance_to_reference":
        if reference is None or reference not in index:
            raise StatisticsError(f"indicator {name!r}: the reference unit {reference!r} is not among the units")
        ref = float(x[index.get_loc(reference)])
        if reference_mode == "difference":
            return direction * (x - ref)
        if ref == 0 or (direction == -1 and (x == 0).any()):
            raise StatisticsError(f"indicator {name!r}: a ratio to reference {reference!r} divides by zero")
        return x / ref if direction == 1 else ref / x
    if method == "ampi":
        spread = y.max() - y.min()
        if not spread > 0:
            raise StatisticsError(f"indicator {name!r} is constant; it cannot be AMPI-normalised")
        ref = float(y[index.get_loc(reference)]) if reference is not None and reference in index else float(y.mean())
        delta = spread / 2
        return 70 + 60 * (y - (ref - delta)) / (2 * delta)
    raise StatisticsError(f"unknown normalisation {method!r}")


def _weights_vector(columns: list[str], weights: Mapping[str, float] | None) -> np.ndarray:
    w = np.array([1.0 if weights is None else float(weights[c]) for c in columns])
    return w / w.sum()


def aggregate(
    frame: pd.DataFrame,
    method: str,
    *,
    weights: Mapping[str, float] | None = None,
    penalty: int = 1,
) -> pd.Series:
    """Aggregate the columns of ``frame`` into one score per row.

    With weights :math:`w_j` scaled to sum 1:

    - ``arithmetic``: :math:`\\sum_j w_j x_j`
    - ``geometric``: :math:`\\prod_j x_j^{w_j}` (needs :math:`x_j > 0`)
    - ``mazziotta_pareto``: :func:`mazziotta_pareto`
    - ``imd_exponential``: each column ranked, :math:`R = r/n` (1 = most deprived), exponentially transformed by
      :func:`imd_exponential`, then :math:`\\sum_j w_j X_j` [IMD2019]_

    Raises
    ------
    StatisticsError
        Non-positive values for the geometric mean or the Mazziotta-Pareto index.
    """
    cols = [str(c) for c in frame.columns]
    out = aggregate_values(frame.to_numpy(dtype=float), method, _weights_vector(cols, weights), penalty, cols)
    return pd.Series(out, index=frame.index, dtype=float)


def aggregate_values(x: np.ndarray, method: str, w: np.ndarray, penalty: int, cols: list[str]) -> np.ndarray:
    """:func:`aggregate` on a NumPy array (units x columns) with weights summing to 1."""
    if method == "arithmetic":
        return np.asarray(x @ w, dtype=float)
    if method == "geometric":
        bad = [c for j, c in enumerate(cols) if bool((x[:, j] <= 0).any())]
        if bad:
            raise StatisticsError(
                f"the geometric mean needs positive values; {bad} have values <= 0 after normalisation "
                "(use minmax with range [1, 100], rank or ampi)"
            )
        return np.asarray(np.exp(np.log(x) @ w), dtype=float)
    if method == "mazziotta_pareto":
        m = x @ w
        if (m <= 0).any():
            raise StatisticsError(
                "the Mazziotta-Pareto index needs positive normalised values (use ampi or minmax [1, 100])"
            )
        sd = np.sqrt(((x - m[:, None]) ** 2) @ w)
        return np.asarray(m + penalty * sd * (sd / m), dtype=float)
    if method == "imd_exponential":
        ranks = np.column_stack([stats.rankdata(x[:, j], method="average") for j in range(x.shape[1])])
        return np.asarray(imd_exponential(ranks / len(x)) @ w, dtype=float)
    raise StatisticsError(f"unknown aggregation {method!r}")


def mazziotta_pareto(frame: pd.DataFrame, *, weights: Mapping[str, float] | None = None, penalty: int = 1) -> pd.Series:
    """The (adjusted) Mazziotta-Pareto index: a mean penalised for unbalanced components.

    .. math:: \\mathrm{MPI}^{\\pm}_i = M_i \\pm S_i\\, cv_i, \\qquad cv_i = S_i / M_i

    with :math:`M_i` the (weighted) mean and :math:`S_i` the (weighted) population standard deviation of unit
    :math:`i`'s normalised values. On the AMPI rescaling (:func:`normalise` ``"ampi"``) this is the adjusted
    MPI [MP2016]_. The sign: ``penalty=+1`` (the default here) when higher means *worse* (a deprivation index,
    where imbalance adds to deprivation), ``-1`` when higher means better (AMPI\\ :sup:`-`).

    Raises
    ------
    StatisticsError
        When a unit's mean is not positive (the coefficient of variation is undefined).
    """
    cols = [str(c) for c in frame.columns]
    out = aggregate_values(
        frame.to_numpy(dtype=float), "mazziotta_pareto", _weights_vector(cols, weights), penalty, cols
    )
    return pd.Series(out, index=frame.index, dtype=float)


def imd_exponential(r: np.ndarray | float) -> np.ndarray:
    """The IMD exponential transformation of a rank scaled to (0, 1], 1 = most deprived.

    .. math:: X = -23 \\ln\\left(1 - R\\,(1 - e^{-100/23})\\right)

    X runs from 0 to 100 with a long tail at the deprived end, so that deprivation in one domain is only
    partly cancelled by affluence in another [IMD2019]_.

    Examples
    --------
    >>> [round(float(v), 4) for v in imd_exponential(np.array([0.5, 0.9, 1.0]))]
    [15.6468, 50.4267, 100.0]
    """
    r = np.asarray(r, dtype=float)
    return -IMD_LAMBDA * np.log(1 - r * (1 - np.exp(-100 / IMD_LAMBDA)))


def varimax(loadings: np.ndarray, *, max_iter: int = 500, tol: float = 1e-10) -> np.ndarray:
    """Kaiser's varimax rotation of a loadings matrix (p indicators x k factors).

    The orthogonal rotation maximising
    :math:`\\sum_k \\left[\\frac1p \\sum_j l_{jk}^4 - (\\frac1p \\sum_j l_{jk}^2)^2\\right]`
    (Kaiser 1958), by the SVD algorithm used by R's ``stats::varimax`` (without Kaiser normalisation).
    """
    p, k = loadings.shape
    if k < 2:
        return loadings.copy()
    rot = np.eye(k)
    crit = 0.0
    for _ in range(max_iter):
        lam = loadings @ rot
        u, s, vt = np.linalg.svd(loadings.T @ (lam**3 - lam @ np.diag((lam**2).sum(axis=0)) / p))
        rot = u @ vt
        new = float(s.sum())
        if new < crit * (1 + tol):
            break
        crit = new
    return loadings @ rot


def _pca(z: np.ndarray, eigenvalue_min: float, variance_min: float) -> tuple[np.ndarray, np.ndarray]:
    """Loadings (p x k, varimax-rotated) and explained variance of the retained principal components."""
    corr = np.corrcoef(z, rowvar=False)
    vals, vecs = np.linalg.eigh(corr)
    order = np.argsort(vals)[::-1]
    vals, vecs = vals[order], vecs[:, order]
    share = np.cumsum(vals) / vals.sum()
    k = max(1, int((vals >= eigenvalue_min).sum()))
    while k < len(vals) and share[k - 1] < variance_min:
        k += 1
    loadings = vecs[:, :k] * np.sqrt(np.clip(vals[:k], 0, None))
    rotated = varimax(loadings)
    # Orient each factor so that its loadings sum to >= 0: every input points to "more deprived".
    rotated = rotated * np.where(rotated.sum(axis=0) < 0, -1.0, 1.0)
    return rotated, (rotated**2).sum(axis=0)


def _standardise(frame: pd.DataFrame) -> np.ndarray:
    x = frame.to_numpy(dtype=float)
    sd = x.std(axis=0, ddof=1)
    if (sd == 0).any():
        bad = [c for c, s in zip(frame.columns, sd, strict=True) if s == 0]
        raise StatisticsError(f"indicator(s) {bad} are constant: no principal components or factors")
    return (x - x.mean(axis=0)) / sd


def factor_weights(
    frame: pd.DataFrame,
    method: str = "pca",
    *,
    eigenvalue_min: float = 1.0,
    variance_min: float = 0.6,
    seed: int = 0,
) -> pd.Series:
    """Indicator weights from principal components or factor analysis (OECD/JRC Handbook, §6.1).

    Factors are retained while their eigenvalue is at least ``eigenvalue_min`` and until they explain at least
    ``variance_min`` of the variance, then varimax-rotated. The squared loadings of each factor are scaled to sum
    1; each indicator takes the factor where its scaled squared loading is largest, and its weight is that value
    times the factor's share of the explained variance; weights are scaled to sum 1 [OECD2008]_.

    ``method="fa"`` uses maximum-likelihood factor analysis (scikit-learn ``FactorAnalysis``, varimax) with the
    number of factors the PCA rule gives; ``seed`` fixes its randomised SVD.
    """
    z = _standardise(frame)
    loadings, explained = _pca(z, eigenvalue_min, variance_min)
    if method == "fa":
        from sklearn.decomposition import FactorAnalysis

        fa = FactorAnalysis(n_components=loadings.shape[1], rotation="varimax", random_state=seed).fit(z)
        loadings = fa.components_.T
        loadings = loadings * np.where(loadings.sum(axis=0) < 0, -1.0, 1.0)
        explained = (loadings**2).sum(axis=0)
    elif method != "pca":
        raise StatisticsError(f"unknown factor weighting {method!r}; expected 'pca' or 'fa'")
    sq = loadings**2
    scaled = sq / sq.sum(axis=0)
    share = explained / explained.sum()
    best = scaled.argmax(axis=1)
    w = scaled[np.arange(len(best)), best] * share[best]
    return pd.Series(w / w.sum(), index=frame.columns, name="weight")


def pca_scores(frame: pd.DataFrame, *, eigenvalue_min: float = 1.0, variance_min: float = 0.6) -> pd.Series:
    """A SoVI-style score: the sum of varimax-rotated principal component scores (Cutter et al. 2003).

    The indicators (already pointing to "more deprived") are standardised; components with eigenvalue at least
    ``eigenvalue_min`` are kept (more until ``variance_min`` of the variance is explained) and varimax-rotated;
    each is oriented so its loadings sum to >= 0 (the automatic form of SoVI's "cardinality" step); the unit's
    score is :math:`\\sum_k f_{ik}` with :math:`F = Z L (L^\\top L)^{-1}` the rotated component scores.

    Cutter S.L., Boruff B.J., Shirley W.L., "Social vulnerability to environmental hazards", *Social Science
    Quarterly* 84(2), 242-261, 2003.
    """
    z = _standardise(frame)
    loadings, _ = _pca(z, eigenvalue_min, variance_min)
    scores = z @ loadings @ np.linalg.inv(loadings.T @ loadings)
    return pd.Series(scores.sum(axis=1), index=frame.index, dtype=float)


def cronbach_alpha(frame: pd.DataFrame) -> float:
    """Cronbach's alpha of the columns of ``frame`` (Cronbach 1951).

    .. math:: \\alpha = \\frac{k}{k-1}\\left(1 - \\frac{\\sum_j s_j^2}{s^2_{\\Sigma}}\\right)

    with :math:`s_j^2` the variance of column :math:`j` and :math:`s^2_\\Sigma` that of the row sums. NaN for fewer
    than two columns.
    """
    k = frame.shape[1]
    if k < 2:
        return float("nan")
    item_var = frame.var(ddof=1).sum()
    total_var = frame.sum(axis=1).var(ddof=1)
    return float(k / (k - 1) * (1 - item_var / total_var))
