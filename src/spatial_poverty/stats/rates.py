r"""Empirical-Bayes rates: global (Marshall 1991) and spatial, with the prior variance clamped at zero.

For events :math:`e_i` in populations :math:`n_i`, the raw rate :math:`r_i = e_i / n_i` is unstable where
:math:`n_i` is small. The EB estimate shrinks it towards a prior mean :math:`b`:

.. math::

    b = \frac{\sum e}{\sum n}, \quad s^2 = \frac{\sum n_i (r_i - b)^2}{\sum n}, \quad
    a = \max\!\left(0,\; s^2 - \frac{b}{\bar n}\right), \quad
    \hat r_i = b + \frac{a}{a + b / n_i} (r_i - b)

The method-of-moments prior variance :math:`s^2 - b/\bar n` is negative when the rates vary less than Poisson
noise alone would make them; esda's aspatial EB then returns shrinkage weights outside [0, 1] and negative
rates. Clamping :math:`a` at 0 gives full shrinkage to :math:`b` instead (Marshall 1991, §3; Bivand et al.
2013, §9.2). The spatial EB uses the same formulas with :math:`b_i, s^2_i, \bar n_i` computed over each unit's
neighbourhood (the unit and its neighbours, binary weights), as GeoDa's "Spatial Empirical Bayes".

A ``small_count`` flag marks units whose events are fewer than ``min_events`` (default 5), where even the
smoothed rate should be read with care.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from libpysal.graph import Graph
from scipy import sparse

from spatial_poverty.errors import StatisticsError

__all__ = ["assuncao_reis_standardise", "eb_rate", "spatial_eb_rate"]


def _check(e: np.ndarray, n: np.ndarray, what: str) -> None:
    if e.shape != n.shape:
        raise StatisticsError(f"{what}: events and base have different lengths ({e.size} and {n.size})")
    if not (np.isfinite(e).all() and np.isfinite(n).all()):
        raise StatisticsError(f"{what}: events and base need finite values")
    if (e < 0).any():
        raise StatisticsError(f"{what}: events need to be >= 0; found {sorted(set(e[e < 0]))[:5]}")
    if (n <= 0).any():
        raise StatisticsError(
            f"{what}: the base (population at risk) needs to be > 0; found {sorted(set(n[n <= 0]))[:5]}"
        )


def _as_arrays(
    events: pd.Series | np.ndarray, base: pd.Series | np.ndarray
) -> tuple[np.ndarray, np.ndarray, pd.Index | None]:
    index = events.index if isinstance(events, pd.Series) else None
    if isinstance(events, pd.Series) and isinstance(base, pd.Series) and not events.index.equals(base.index):
        if set(events.index) != set(base.index):
            raise StatisticsError("events and base need the same index")
        base = base.reindex(events.index)
    return np.asarray(events, dtype=float), np.asarray(base, dtype=float), index


def assuncao_reis_standardise(events: np.ndarray, base: np.ndarray) -> np.ndarray:
    r"""The EB-standardised rates of Assunção & Reis (1999) for Moran's I of a rate.

    :math:`z_i = (r_i - b)/\sqrt{v_i}` with :math:`v_i = a + b/n_i` and, where :math:`v_i < 0`,
    :math:`v_i = b/n_i` (the paper's rule; esda's ``assuncao_rate``). See :class:`MoranRate`.
    """
    e, n = np.asarray(events, dtype=float), np.asarray(base, dtype=float)
    _check(e, n, "assuncao_reis_standardise")
    r = e / n
    b = e.sum() / n.sum()
    s2 = (n * (r - b) ** 2).sum() / n.sum()
    a = s2 - b / n.mean()
    v = a + b / n
    v = np.where(v < 0, b / n, v)
    return (r - b) / np.sqrt(v)


def eb_rate(events: pd.Series | np.ndarray, base: pd.Series | np.ndarray, *, min_events: float = 5) -> pd.DataFrame:
    """Global Empirical-Bayes rates (prior variance clamped at zero) with a small-count flag.

    Returns
    -------
    pandas.DataFrame
        ``raw_rate``, ``eb_rate``, ``shrinkage`` (the weight of the raw rate, in [0, 1]) and ``small_count``,
        indexed like ``events`` (a RangeIndex for arrays). ``frame.attrs`` holds ``prior_mean``,
        ``prior_variance`` and ``prior_variance_clamped``.
    """
    e, n, index = _as_arrays(events, base)
    _check(e, n, "eb_rate")
    r = e / n
    b = e.sum() / n.sum()
    s2 = (n * (r - b) ** 2).sum() / n.sum()
    a_raw = s2 - b / n.mean()
    a = max(0.0, a_raw)
    shrink = a / (a + b / n) if (a > 0 or b > 0) else np.zeros_like(r)
    out = pd.DataFrame(
        {"raw_rate": r, "eb_rate": b + shrink * (r - b), "shrinkage": shrink, "small_count": e < min_events},
        index=index,
    )
    out.attrs.update(prior_mean=float(b), prior_variance=float(a), prior_variance_clamped=bool(a_raw < 0))
    return out


def spatial_eb_rate(
    events: pd.Series | np.ndarray,
    base: pd.Series | np.ndarray,
    graph: Graph,
    *,
    min_events: float = 5,
) -> pd.DataFrame:
    """Spatial Empirical-Bayes rates: the prior of each unit from its neighbourhood (itself and its neighbours).

    Returns
    -------
    pandas.DataFrame
        ``raw_rate``, ``eb_rate``, ``shrinkage``, ``prior_mean``, ``prior_variance``, ``small_count``, indexed
        by the graph's ids.
    """
    ids = pd.Index(graph.unique_ids)
    e_s = events.reindex(ids) if isinstance(events, pd.Series) else events
    n_s = base.reindex(ids) if isinstance(base, pd.Series) else base
    e, n = np.asarray(e_s, dtype=float), np.asarray(n_s, dtype=float)
    _check(e, n, "spatial_eb_rate")
    w = sparse.csr_array(graph.transform("b").sparse, copy=True)
    w.eliminate_zeros()
    w = sparse.csr_array(w + sparse.identity(len(ids), format="csr"))  # the unit is in its own neighbourhood
    w.data[:] = 1.0
    r = e / n
    n_sum = w @ n
    b = (w @ e) / n_sum
    k = np.asarray(w.sum(axis=1)).ravel()
    # s2_i = sum_j w_ij n_j (r_j - b_i)^2 / sum_j w_ij n_j, expanded so that it is one sparse product per term.
    s2 = ((w @ (n * r * r)) - 2 * b * (w @ (n * r)) + b * b * n_sum) / n_sum
    a_raw = s2 - b / (n_sum / k)
    a = np.maximum(0.0, a_raw)
    with np.errstate(divide="ignore", invalid="ignore"):
        shrink = np.where(a + b / n > 0, a / (a + b / n), 0.0)
    return pd.DataFrame(
        {
            "raw_rate": r,
            "eb_rate": b + shrink * (r - b),
            "shrinkage": shrink,
            "prior_mean": b,
            "prior_variance": a,
            "prior_variance_clamped": a_raw < 0,
            "small_count": e < min_events,
        },
        index=pd.Index(ids, name="code"),
    )
