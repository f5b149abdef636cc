r"""Inference shared by the statistics: pseudo p-values from simulations, q-values, Gi bins, validation.

Everything here is computed by us (not esda) so that the formulas are the ones written below:

* pseudo p-values for an alternative (two-sided by default: the smaller tail doubled, Davison & Hinkley 1997);
* per-unit q-values: Bonferroni :math:`q_i = \min(1, m p_i)`, Benjamini-Hochberg
  :math:`q_{(k)} = \min_{j \ge k} \min(1, m p_{(j)} / j)` and Benjamini-Yekutieli (BH times
  :math:`c(m) = \sum_{j=1}^m 1/j`), which equal ``scipy.stats.false_discovery_control`` for BH and BY.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Literal

import numpy as np
import pandas as pd
from scipy import sparse

from spatial_poverty.errors import StatisticsError
from spatial_poverty.stats.labels import NO_NEIGHBOURS, NO_NEIGHBOURS_EL

if TYPE_CHECKING:  # imported where used: q-values and p-values need neither libpysal nor scipy.stats
    from libpysal.graph import Graph

__all__ = [
    "ALTERNATIVES",
    "CORRECTIONS",
    "ISOLATES_HINT",
    "MIN_LOCAL_UNITS",
    "NO_NEIGHBOURS",
    "NO_NEIGHBOURS_EL",
    "adjust_pvalues",
    "gi_bin",
    "is_constant",
    "log_untested",
    "p_from_z",
    "pseudo_p",
]

logger = logging.getLogger(__name__)

Alternative = Literal["two-sided", "greater", "less"]
Correction = Literal["none", "bonferroni", "bh", "by"]
#: Which value makes a unit significant: the pseudo p-value ("p") or the adjusted one ("q").
Significance = Literal["p", "q"]

#: How to give isolates neighbours, on the command line and in a pipeline.
ISOLATES_HINT = (
    "Link them: --island-policy knn (with --island-k) on the command line, or island_policy: knn or links in a "
    "pipeline's weights section; --island-policy keep labels them 'no neighbours' (local statistics only)."
)


ALTERNATIVES: tuple[str, ...] = ("two-sided", "greater", "less")
CORRECTIONS: tuple[str, ...] = ("none", "bonferroni", "bh", "by")
#: The fewest units a local statistic accepts, and why.
MIN_LOCAL_UNITS = 4
MIN_UNITS_REASON = (
    "Conditional randomisation redraws a unit's neighbours from the n - 1 others: with 3 units or fewer there are "
    "at most 2 arrangements, every pseudo p-value is 1/2 or more, and (as Gi's variance over n - 1 others) the "
    "statistic is degenerate."
)
#: Relative spread below which a variable is taken as constant (see :func:`is_constant`).
CONSTANT_RTOL = 1e-12
#: GeoDa's label for a unit with no neighbour ("Neighborless"), in English and Greek.


def check_alternative(alternative: str) -> None:
    if alternative not in ALTERNATIVES:
        raise StatisticsError(
            f"alternative needs to be 'two-sided', 'greater' or 'less'; {alternative!r} was given instead"
        )


def pseudo_p(observed: np.ndarray, simulated: np.ndarray, alternative: Alternative = "two-sided") -> np.ndarray:
    r"""Pseudo p-values from simulations, for each column of ``simulated``.

    .. math::

        p_{greater} = \frac{1 + \#\{s \ge o\}}{P + 1}, \quad p_{less} = \frac{1 + \#\{s \le o\}}{P + 1}, \quad
        p_{two\text{-}sided} = \min\left(1,\; 2\,\frac{1 + \min(\#\{s \ge o\},\, \#\{s \le o\})}{P + 1}\right)

    Parameters
    ----------
    observed : array of shape (n,)
    simulated : array of shape (P, n)
    alternative : {"two-sided", "greater", "less"}
    """
    check_alternative(alternative)
    observed = np.atleast_1d(np.asarray(observed, dtype=float))
    simulated = np.asarray(simulated, dtype=float).reshape(np.shape(simulated)[0], -1)
    n_perm = simulated.shape[0]
    ge = (simulated >= observed).sum(axis=0)
    le = (simulated <= observed).sum(axis=0)
    if alternative == "greater":
        return (1.0 + ge) / (n_perm + 1.0)
    if alternative == "less":
        return (1.0 + le) / (n_perm + 1.0)
    return np.minimum(1.0, 2.0 * (1.0 + np.minimum(ge, le)) / (n_perm + 1.0))


def p_from_z(z: np.ndarray | float, alternative: Alternative = "two-sided") -> np.ndarray:
    """Normal p-values of z-scores for an alternative."""
    from scipy import stats

    check_alternative(alternative)
    z = np.asarray(z, dtype=float)
    if alternative == "greater":
        return np.asarray(stats.norm.sf(z))
    if alternative == "less":
        return np.asarray(stats.norm.cdf(z))
    return np.asarray(2.0 * stats.norm.sf(np.abs(z)))


def adjust_pvalues(p: np.ndarray, method: Correction = "bh") -> np.ndarray:
    r"""Per-unit q-values (adjusted p-values) for multiple testing; NaN entries are left out and stay NaN.

    Parameters
    ----------
    p : array
        p-values.
    method : {"none", "bonferroni", "bh", "by"}
        Bonferroni (family-wise error), Benjamini-Hochberg (false discovery rate, independent or positively
        dependent tests) or Benjamini-Yekutieli (any dependence; Benjamini & Yekutieli 2001). Neighbouring
        local statistics share units, so BY is the conservative choice; BH is GeoDa's "FDR".

    Returns
    -------
    ndarray
        :math:`q_i`: unit i is significant at false discovery rate (or family-wise level) :math:`\alpha` if
        :math:`q_i \le \alpha`.
    """
    if method not in CORRECTIONS:
        raise StatisticsError(f"correction needs to be one of {', '.join(CORRECTIONS)}; {method!r} was given instead")
    p = np.asarray(p, dtype=float)
    out = np.full(p.shape, np.nan)
    ok = np.isfinite(p)
    pv = p[ok]
    m = pv.size
    if m == 0 or method == "none":
        out[ok] = pv
        return out
    if method == "bonferroni":
        out[ok] = np.minimum(1.0, pv * m)
        return out
    order = np.argsort(pv, kind="stable")
    ranked = pv[order] * m / np.arange(1, m + 1)
    if method == "by":
        ranked = ranked * np.sum(1.0 / np.arange(1, m + 1))
    q = np.minimum(1.0, np.minimum.accumulate(ranked[::-1])[::-1])
    res = np.empty(m)
    res[order] = q
    out[ok] = res
    return out


def gi_bin(z: np.ndarray, p: np.ndarray | None = None) -> np.ndarray:
    """ArcGIS's ``Gi_Bin``: +3/+2/+1 hot spot at 99/95/90 % confidence, -3/-2/-1 cold spot, 0 otherwise.

    The confidence is that of the two-sided normal p-value of the z-score (p < 0.01, 0.05, 0.10), the sign
    that of z; NaN z-scores (units with no neighbour) get 0.
    """
    z = np.asarray(z, dtype=float)
    p = p_from_z(z) if p is None else np.asarray(p, dtype=float)
    level = np.where(p < 0.01, 3, np.where(p < 0.05, 2, np.where(p < 0.10, 1, 0)))
    level = np.where(np.isfinite(z) & np.isfinite(p), level, 0)
    return (np.sign(np.nan_to_num(z)) * level).astype(np.int32)


def prepare(
    y: pd.Series | np.ndarray,
    graph: Graph,
    what: str,
    *,
    transform: str = "r",
    isolates: Literal["raise", "keep"] = "raise",
    check_constant: bool = True,
    min_units: int = 1,
) -> tuple[np.ndarray, sparse.csr_array, pd.Index, np.ndarray]:
    """Values aligned to the graph's ids, the transformed sparse weights, the ids and an isolate mask.

    Isolates are refused (``isolates="raise"``) with the island policies that fix them; with
    ``isolates="keep"`` they stay in ``n`` with zero weights (local statistics label them "no neighbours").
    Fewer than ``min_units`` units (:data:`MIN_LOCAL_UNITS` for the local statistics) and a constant ``y``
    (:func:`is_constant`) are refused.
    """
    from libpysal.graph import Graph

    if not isinstance(graph, Graph):
        raise StatisticsError(f"{what} needs a libpysal.graph.Graph; {type(graph).__name__} was given instead")
    ids = pd.Index(graph.unique_ids)
    if isinstance(y, pd.Series):
        if len(y) != len(ids) or set(y.index) != set(ids):
            raise StatisticsError(f"{what}: y needs the same index as the graph's ids")
        values = y.reindex(ids).to_numpy(dtype=float)
    else:
        values = np.asarray(y, dtype=float).ravel()
        if len(values) != len(ids):
            raise StatisticsError(f"{what}: y has {len(values)} values, the graph {len(ids)} units")
    if not np.isfinite(values).all():
        bad = list(ids[~np.isfinite(values)])
        raise StatisticsError(f"{what}: y has missing or infinite values for {bad}")
    iso = np.isin(ids, list(graph.isolates))
    if iso.any() and isolates == "raise":
        raise StatisticsError(
            f"{what} needs every unit to have a neighbour; isolates: {list(ids[iso])}. {ISOLATES_HINT}"
        )
    if len(values) < min_units:
        raise StatisticsError(f"{what} needs at least {min_units} units; {len(values)} were given. {MIN_UNITS_REASON}")
    if check_constant and is_constant(values):
        raise StatisticsError(f"{what}: y is constant, autocorrelation is undefined")
    w = sparse.csr_array(graph.transform(transform).sparse, copy=True)
    w.eliminate_zeros()  # isolates are stored as zero self-weights: no neighbour, not a neighbour of weight 0
    return values, w, ids, iso


def log_untested(what: str, ids: pd.Index, reasons: np.ndarray) -> None:
    """One log line per reason for the units a local statistic could not test (their p and q are NaN)."""
    reasons = np.asarray(reasons, dtype=object)
    for reason in sorted({r for r in reasons if r and r != NO_NEIGHBOURS}):
        bad = list(ids[reasons == reason])
        more = f" and {len(bad) - 10} more" if len(bad) > 10 else ""
        logger.warning("%s: %d unit(s) not tested (p and q NaN, never significant): %s: %s%s",
                       what, len(bad), reason, bad[:10], more)  # fmt: skip


def is_constant(values: np.ndarray) -> bool:
    r"""Whether ``values`` are constant up to rounding: :math:`\max - \min \le 10^{-12} \max |y|`.

    The tolerance is relative, so a variable shifted by :math:`10^7` or scaled by :math:`10^{-10}` is not taken
    for a constant (an absolute tolerance would).
    """
    values = np.asarray(values, dtype=float)
    return bool(np.ptp(values) <= CONSTANT_RTOL * np.max(np.abs(values)))


def conditional_table(n: int, kmax: int, permutations: int, seed: int) -> np.ndarray:
    """The shared table of conditional-randomisation draws (see :class:`~spatial_poverty.stats.LocalMoran`)."""
    rng = np.random.default_rng(seed)
    return np.stack([rng.permutation(n - 1)[:kmax] for _ in range(permutations)])


def conditional_lags(values: list[np.ndarray], w: sparse.csr_array, table: np.ndarray) -> list[np.ndarray]:
    """Simulated spatial lags under conditional randomisation, one (P, n) array per array of ``values``.

    For unit i, its :math:`k_i` neighbours' values are replaced by the values of the units in the first
    :math:`k_i` entries of each row of ``table`` (entry :math:`j \\ge i` standing for unit :math:`j + 1`, so that
    i itself is never drawn), weighted by i's weights.
    """
    indptr, data = w.indptr, w.data
    n = len(indptr) - 1
    out = [np.zeros((table.shape[0], n)) for _ in values]
    for i in range(n):
        k = indptr[i + 1] - indptr[i]
        if k == 0:
            continue
        draw = table[:, :k]
        draw = draw + (draw >= i)
        weights = data[indptr[i] : indptr[i + 1]]
        for arr, o in zip(values, out, strict=True):
            o[:, i] = arr[draw] @ weights
    return out
