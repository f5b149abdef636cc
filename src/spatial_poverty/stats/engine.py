r"""Permutation engine for local statistics: compiled kernels (numba), exact shortcuts, esda-compatible tables.

Every local statistic of the package has, under conditional randomisation (Anselin 1995), a simulated value that
is an affine function of one or two weighted sums of the values drawn for the neighbours of unit :math:`i`:

.. math::

    s_i(r) = a_i L^{(1)}_i(r) + b_i L^{(2)}_i(r) + c_i, \qquad
    L^{(m)}_i(r) = w_{ii} v^{(m)}_i + \sum_{j=1}^{k_i} w_{i,j} v^{(m)}_{u_{r,j}}

where :math:`u_{r,1..k_i}` are the units drawn for row :math:`r` (the other units, without replacement), and
:math:`w_{ii}` a self-weight that conditional randomisation keeps in place (Gi*, kernel weights).
:func:`statistic_terms` gives :math:`v, a, b, c` for LISA, bivariate LISA, Gi, Gi*, local Geary and local join
counts. The observed statistic uses the same formula with the real neighbours, so ties are resolved alike.

Three ways to draw (``method``):

``"shared"`` (default)
    One table of ``permutations`` rows of :math:`k_{max}` distinct integers in :math:`0..n-2`, shared by all
    units (:func:`shared_table`). Unit :math:`i` reads the first :math:`k_i` entries of each row, the entry
    :math:`i` standing for unit :math:`n-1` (the "swap" trick): still a uniform draw without replacement from the
    other :math:`n-1` units, and every unit that does not appear in row :math:`r` sees the *same* prefix sums.
    Exact shortcut (condition: the weights of unit :math:`i`'s neighbours are all equal, as with binary or
    row-standardised contiguity and k-nearest neighbours; and the statistic has one lag, :math:`b_i = 0`, i.e.
    all but local Geary): the simulated statistic is monotone in the prefix sum :math:`S_r[k_i]`, so with the
    prefix sums of each cardinality sorted once, the counts :math:`\#\{s \ge o\}` and :math:`\#\{s \le o\}` are
    two binary searches, and the rows that contain :math:`i` (found through an inverted index of the table;
    about :math:`P k_{max} / n` of them) are corrected one by one. The counts are those of the brute-force
    evaluation of the same table (same floating-point operations; :func:`simulate` is that evaluation) and so
    are the p-values. Other rows use the shared prefix sums (local Geary, equal weights: :math:`O(P)` per unit)
    or gather the drawn values (unequal weights: :math:`O(P k_i)` per unit); nothing is copied per unit.
``"esda"``
    esda's table for the same seed (:func:`esda_table`, as ``esda.crand.vec_permutations``: numba's Mersenne
    Twister seeded with ``seed``, one ``choice(n - 1, k_max, replace=False)`` per row; entry :math:`t \ge i`
    stands for unit :math:`t+1`) and esda's floating-point expressions for the simulated statistics
    (:func:`esda_crand`), so that p-values are identical to esda's ``Moran_Local``, ``Moran_Local_BV``,
    ``G_Local`` and ``Geary_Local``. :math:`O(P k_i)` per unit.
``"independent"``
    Fresh draws for every unit: the stream of unit :math:`i` is a SplitMix64 generator seeded from
    ``(seed, i)`` (Steele, Lea & Flood 2014), so the result does not depend on the number of threads or on the
    Dask chunking. Draws by rejection of repeats (uniform without replacement; a partial Fisher-Yates shuffle
    when :math:`k_i` is more than a quarter of the other units). :math:`O(P k_i)` per unit.

Simulations are not kept: the kernels stream the counts and the mean and standard deviation of the simulated
statistics (``z_sim``). :func:`simulate` returns them when asked (memory :math:`8 P n` bytes).

Not done, and why: *sequential stopping* (stop drawing for a unit once its p-value provably exceeds
:math:`\alpha`) would report p-values that are lower bounds, not the p-values; the shortcut above costs
:math:`O(\log P)` per unit anyway. *float32* would halve the memory of the values only (8 MB per million units)
and could break ties between simulated and observed values; all arithmetic is float64.

Units with no neighbour (``k_i = 0``) get counts of -1 and NaN moments (no statistic). References: Anselin, L.
(1995) Local indicators of spatial association, Geographical Analysis 27(2); Rey, S. et al. (esda,
``esda/crand.py``).
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Literal

import numba
import numpy as np
from numba import njit, prange
from scipy import sparse

from spatial_poverty.errors import StatisticsError

__all__ = [
    "METHODS",
    "STATISTICS",
    "CSRWeights",
    "PermutationResult",
    "conditional_randomisation",
    "esda_crand",
    "esda_table",
    "gi_moments",
    "shared_table",
    "simulate",
    "statistic_terms",
    "warm_cache",
]

logger = logging.getLogger(__name__)

#: Below this many units the kernels run on one thread: a parallel region costs little on an idle machine but
#: up to ~0.1 s on a loaded one (threads waiting for a core at the barrier), more than the whole serial run.
PARALLEL_MIN_UNITS = 200_000

Method = Literal["shared", "esda", "independent"]
METHODS: tuple[str, ...] = ("shared", "esda", "independent")
STATISTICS: tuple[str, ...] = ("moran", "moran_bv", "gi", "gistar", "geary", "joincount")


# --------------------------------------------------------------------------------------------------------------
# Weights
# --------------------------------------------------------------------------------------------------------------


@contextmanager
def _threads(n: int) -> Iterator[None]:
    """One thread for small problems (see :data:`PARALLEL_MIN_UNITS`), numba's default otherwise."""
    if n >= PARALLEL_MIN_UNITS:
        yield
        return
    before = numba.get_num_threads()
    numba.set_num_threads(1)
    try:
        yield
    finally:
        numba.set_num_threads(before)


@dataclass(frozen=True)
class CSRWeights:
    """Weights split as conditional randomisation needs them: the other units (CSR) and the self-weights.

    Attributes
    ----------
    indptr, indices, data : ndarray
        CSR rows without the diagonal and without stored zeros (int64, int64, float64).
    self_weight : ndarray
        :math:`w_{ii}` (0 for most weights).
    card : ndarray
        :math:`k_i`, neighbours other than :math:`i`; 0 marks a unit with no neighbour.
    equal : ndarray of bool
        The weights of the row are all equal (the condition of the exact shortcut).
    """

    indptr: np.ndarray
    indices: np.ndarray
    data: np.ndarray
    self_weight: np.ndarray
    card: np.ndarray
    equal: np.ndarray

    @property
    def n(self) -> int:
        return len(self.indptr) - 1

    @property
    def kmax(self) -> int:
        return int(self.card.max()) if self.n else 0

    @classmethod
    def from_sparse(cls, w: sparse.sparray | sparse.spmatrix) -> CSRWeights:
        """From a square sparse matrix (e.g. ``graph.transform("r").sparse``); the matrix is not changed."""
        m = sparse.csr_array(w)
        if m.shape[0] != m.shape[1]:
            raise StatisticsError(f"weights need a square matrix; shape {m.shape} was given instead")
        if not m.has_canonical_format:  # duplicates summed, indices sorted (on a copy: the input is not changed)
            m = m.copy()
            m.sum_duplicates()
        data = np.asarray(m.data, dtype=np.float64)
        if not np.isfinite(data).all():
            raise StatisticsError("weights need finite values; NaN or infinite weights were given")
        with _threads(m.shape[0]):
            indptr, indices, values, self_weight = _split_diagonal(m.indptr, m.indices, data)
            equal = _equal_rows(indptr, values)
        return cls(
            indptr=indptr,
            indices=indices,
            data=values,
            self_weight=self_weight,
            card=np.diff(indptr),
            equal=equal,
        )


@njit(cache=True, parallel=True)
def _split_diagonal(indptr, indices, data):  # type: ignore[no-untyped-def]  # pragma: no cover - compiled
    """CSR rows without the diagonal and stored zeros, and the diagonal (self-weights)."""
    n = len(indptr) - 1
    count = np.zeros(n + 1, dtype=np.int64)
    self_weight = np.zeros(n)
    for i in prange(n):
        k = 0
        for p in range(indptr[i], indptr[i + 1]):
            if indices[p] == i:
                self_weight[i] = data[p]
            elif data[p] != 0.0:
                k += 1
        count[i + 1] = k
    out_ptr = np.cumsum(count)
    out_idx = np.empty(out_ptr[-1], dtype=indices.dtype)
    out_val = np.empty(out_ptr[-1])
    for i in prange(n):
        q = out_ptr[i]
        for p in range(indptr[i], indptr[i + 1]):
            if indices[p] != i and data[p] != 0.0:
                out_idx[q] = indices[p]
                out_val[q] = data[p]
                q += 1
    return out_ptr, out_idx, out_val, self_weight


@njit(cache=True, parallel=True)
def _equal_rows(indptr: np.ndarray, data: np.ndarray) -> np.ndarray:  # pragma: no cover - compiled
    n = len(indptr) - 1
    out = np.ones(n, dtype=np.bool_)
    for i in prange(n):
        for p in range(indptr[i] + 1, indptr[i + 1]):
            if data[p] != data[indptr[i]]:
                out[i] = False
                break
    return out


# --------------------------------------------------------------------------------------------------------------
# Statistics as affine functions of lags
# --------------------------------------------------------------------------------------------------------------


def statistic_terms(
    statistic: str,
    values: np.ndarray,
    w: CSRWeights,
    *,
    y: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    r"""The vectors :math:`v^{(1)}, v^{(2)}` and coefficients :math:`a, b, c` of a statistic (module docstring).

    ``values`` is what the statistic is defined on, already prepared by the caller:

    ======================  ==========================  ===========================================================
    statistic               values                       :math:`s_i`
    ======================  ==========================  ===========================================================
    ``moran``               :math:`z` (standardised)     :math:`(n-1) z_i L_i(z) / \sum_k z_k^2`
    ``moran_bv``            :math:`z^x`, ``y``: z^y      :math:`(n-1) z^x_i L_i(z^y) / \sum_k (z^x_k)^2`
    ``gi`` / ``gistar``     :math:`x`                    :math:`(L_i(x) - \bar X_i W_i) / d_i` (ArcGIS z-score;
                                                         Gi* with the self-weight 1 in :math:`L_i`, :math:`W_i`)
    ``geary``               :math:`z`                    :math:`\sum_j w_{ij} (z_i - z_j)^2 = z_i^2 W_i - 2 z_i
                                                         L_i(z) + L_i(z^2)`
    ``joincount``           :math:`x \in \{0, 1\}`       :math:`x_i L_i(x)`
    ======================  ==========================  ===========================================================

    For ``gi``/``gistar`` the graph given is the one the statistic uses; for ``gistar`` the self-weight must be
    in ``w`` (:func:`with_self_weight`).
    """
    if statistic not in STATISTICS:
        raise StatisticsError(f"statistic needs to be one of {', '.join(STATISTICS)}; {statistic!r} was given instead")
    v1 = np.ascontiguousarray(values, dtype=np.float64)
    n = len(v1)
    zeros = np.zeros(n)
    rows = np.repeat(np.arange(n), w.card)
    wsum = np.bincount(rows, weights=w.data, minlength=n) + w.self_weight
    if statistic == "moran":
        a = (n - 1) * v1 / float(v1 @ v1)
        return v1, zeros, a, zeros, zeros
    if statistic == "moran_bv":
        if y is None:
            raise StatisticsError("moran_bv needs y (the standardised lagged variable)")
        zy = np.ascontiguousarray(y, dtype=np.float64)
        a = (n - 1) * v1 / float(v1 @ v1)
        return zy, zeros, a, zeros, zeros
    if statistic in ("gi", "gistar"):
        s1 = np.bincount(rows, weights=w.data**2, minlength=n) + w.self_weight**2
        v1 = v1 - v1.mean()  # the z-score does not depend on the origin; centred sums keep their precision
        xbar, _, den = gi_moments(v1, wsum, s1, star=statistic == "gistar")
        with np.errstate(divide="ignore", invalid="ignore"):
            a = 1.0 / den
            c = -xbar * wsum / den
        return v1, zeros, a, zeros, c
    if statistic == "geary":
        return v1, v1**2, -2.0 * v1, np.ones(n), v1**2 * wsum
    # joincount
    return v1, zeros, v1.copy(), zeros, zeros


def gi_moments(
    x: np.ndarray, wsum: np.ndarray, s1: np.ndarray, *, star: bool
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    r"""Mean :math:`\bar X_i`, variance :math:`S_i^2` and denominator :math:`d_i = S_i \sqrt{(m S_{1i} - W_i^2)/(m-1)}`
    of the Gi (``star=False``, the :math:`m = n-1` others) or Gi* (:math:`m = n`) z-score, from centred ``x``.

    The variance is taken as 0 when it is below :data:`DEGENERATE_RTOL` of the values' sum of squares, and so is
    :math:`m S_{1i} - W_i^2` below that fraction of :math:`m S_{1i}` (every unit in the neighbourhood with equal
    weight, as a distance band wider than the study area): :math:`d_i` is then 0 and the z-score is not finite,
    where rounding would otherwise leave a tiny denominator and an arbitrary finite z.
    """
    n = len(x)
    q = float(x @ x)
    if star:
        m = n
        xbar = np.full(n, x.sum() / n)
        var = np.full(n, q / n - xbar[0] ** 2)
    else:
        m = n - 1
        xbar = (x.sum() - x) / m
        var = (q - x**2) / m - xbar**2
    var = np.where(var > DEGENERATE_RTOL * q / m, var, 0.0)
    spread = m * s1 - wsum**2
    spread = np.where(spread > DEGENERATE_RTOL * m * s1, spread, 0.0)
    return xbar, var, np.sqrt(var) * np.sqrt(spread / (m - 1))


#: Relative distance within which a simulated statistic ties with the observed one (see :func:`tie_tolerance`).
TIE_RTOL = 1e-9


def tie_tolerance(
    w: CSRWeights, v1: np.ndarray, v2: np.ndarray, a: np.ndarray, b: np.ndarray, c: np.ndarray
) -> np.ndarray:
    r"""Per unit, how close a simulated statistic must be to the observed one to count as a tie (in both tails).

    The observed arrangement of a unit's neighbours comes back among the draws (often, when a unit has few
    possible arrangements) and its statistic, summed in another order, differs from the observed one in the last
    bits: counted as "greater" or "less" by the luck of rounding, it can move a pseudo p-value by a whole
    :math:`1/C(n-1, k)`. So a tie is :math:`|s - o| \le` :data:`TIE_RTOL` times the scale of the statistic's terms,
    :math:`|a_i| W^{abs}_i \max|v^{(1)}| + |b_i| W^{abs}_i \max|v^{(2)}| + |c_i|` (:math:`W^{abs}_i`: the sum of
    unit i's absolute weights, self-weight included). esda's mode keeps esda's exact comparisons.
    """
    n = w.n
    rows = np.repeat(np.arange(n), w.card)
    absw = np.bincount(rows, weights=np.abs(w.data), minlength=n) + np.abs(w.self_weight)
    m1 = float(np.max(np.abs(v1))) if n else 0.0
    m2 = float(np.max(np.abs(v2))) if n else 0.0
    with np.errstate(invalid="ignore"):
        tol = TIE_RTOL * (np.abs(a) * absw * m1 + np.abs(b) * absw * m2 + np.abs(c))
    return np.where(np.isfinite(tol), tol, 0.0)


def single_arrangement(w: CSRWeights) -> np.ndarray:
    """Units whose neighbours are all the other units with equal weights: conditional randomisation has one
    arrangement for them (every draw gives the observed value), so they cannot be tested. Rounding makes their
    simulated values differ in the last bits, which the variance check alone would not always catch."""
    return (w.card == w.n - 1) & w.equal & (w.card > 0)


def with_self_weight(w: CSRWeights, weight: float = 1.0) -> CSRWeights:
    """The same weights with ``weight`` added to :math:`w_{ii}` of the units that have neighbours (Gi*)."""
    return CSRWeights(w.indptr, w.indices, w.data, w.self_weight + np.where(w.card > 0, weight, 0.0), w.card, w.equal)


# --------------------------------------------------------------------------------------------------------------
# Tables
# --------------------------------------------------------------------------------------------------------------


def shared_table(n: int, kmax: int, permutations: int, seed: int) -> np.ndarray:
    """``permutations`` rows of ``kmax`` distinct integers drawn uniformly from ``0..n-2`` (ordered samples).

    Drawn from ``numpy.random.default_rng(seed)``: all rows at once with replacement, then each row that holds a
    repeat is replaced by ``Generator.choice(n - 1, kmax, replace=False)``. Conditional on having no repeat, a
    row of independent uniform draws is a uniform ordered sample without replacement, and so is its
    replacement: every row has that distribution. The first :math:`k` entries of a row are then a uniform
    ordered sample of size :math:`k`. Memory: ``permutations * kmax`` int64.
    """
    if kmax > n - 1:
        raise StatisticsError(f"a unit has {kmax} neighbours but there are only {n - 1} other units")
    rng = np.random.default_rng(seed)
    if kmax == 0:
        return np.zeros((permutations, 0), dtype=np.int64)
    table = rng.integers(0, n - 1, size=(permutations, kmax), dtype=np.int64)
    srt = np.sort(table, axis=1)
    repeat = np.flatnonzero((srt[:, 1:] == srt[:, :-1]).any(axis=1))
    for r in repeat:
        table[r] = rng.choice(n - 1, size=kmax, replace=False)
    return table


@njit(cache=True)
def esda_table(kmax: int, n: int, permutations: int, seed: int) -> np.ndarray:  # pragma: no cover - compiled
    """esda's table (``esda.crand.vec_permutations(kmax, n, permutations, seed)``), drawn the same way."""
    np.random.seed(seed)
    result = np.empty((permutations, kmax), dtype=np.int64)
    for k in range(permutations):
        result[k] = np.random.choice(n - 1, size=kmax, replace=False)
    return result


@njit(cache=True)
def _prefix_sums(v: np.ndarray, table: np.ndarray) -> np.ndarray:  # pragma: no cover - compiled
    """S[r, k] = v[t_0] + v[t_1] + ... + v[t_{k-1}], summed left to right (as the brute-force evaluation)."""
    p, kmax = table.shape
    out = np.zeros((p, kmax + 1))
    for r in range(p):
        acc = 0.0
        for m in range(kmax):
            acc = acc + v[table[r, m]]
            out[r, m + 1] = acc
    return out


@njit(cache=True)
def _inverted_index(table: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:  # pragma: no cover
    """For each unit t, the (row, position) of its occurrences in the table, as CSR (ptr, rows, positions)."""
    p, kmax = table.shape
    counts = np.zeros(n + 1, dtype=np.int64)
    for r in range(p):
        for m in range(kmax):
            counts[table[r, m] + 1] += 1
    ptr = np.cumsum(counts)
    fill = ptr[:-1].copy()
    rows = np.empty(p * kmax, dtype=np.int64)
    pos = np.empty(p * kmax, dtype=np.int64)
    for r in range(p):
        for m in range(kmax):
            t = table[r, m]
            rows[fill[t]] = r
            pos[fill[t]] = m
            fill[t] += 1
    return ptr, rows, pos


@njit(cache=True)
def _sorted_moments(s: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:  # pragma: no cover - compiled
    """Per cardinality k: the prefix sums of the rows sorted, their mean and centred sum of squares."""
    p, k1 = s.shape
    srt = np.empty((k1, p))
    mean = np.zeros(k1)
    m2 = np.zeros(k1)
    for k in range(k1):
        col = s[:, k].copy()
        mu = col.mean()
        mean[k] = mu
        m2[k] = ((col - mu) ** 2).sum()
        srt[k] = np.sort(col)
    return srt, mean, m2


# --------------------------------------------------------------------------------------------------------------
# Kernels (compiled; parallel over units)
# --------------------------------------------------------------------------------------------------------------


@njit(cache=True, inline="always")
def _splitmix(state: np.uint64) -> tuple[np.uint64, np.uint64]:  # pragma: no cover - compiled
    state = state + np.uint64(0x9E3779B97F4A7C15)
    z = state
    z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return state, z ^ (z >> np.uint64(31))


@njit(cache=True, inline="always")
def _below(state: np.uint64, m: np.int64) -> tuple[np.uint64, np.int64]:  # pragma: no cover - compiled
    """Uniform integer in 0..m-1 from 53 random bits (bias below m / 2**53)."""
    state, x = _splitmix(state)
    u = np.float64(x >> np.uint64(11)) * (1.0 / 9007199254740992.0)
    return state, np.int64(u * m)


@njit(cache=True, inline="always")
def _stat(a: float, b: float, c: float, l1: float, l2: float) -> float:  # pragma: no cover - compiled
    return a * l1 + b * l2 + c


@njit(cache=True, parallel=True)
def _observed(indptr, indices, data, sw, equal, v1, v2, a, b, c, lo, hi):  # type: ignore[no-untyped-def]  # pragma: no cover
    """Observed statistic with the formula of the simulations (equal rows: weight times the plain sum)."""
    out = np.full(hi - lo, np.nan)
    for ii in prange(hi - lo):
        i = lo + ii
        p0, p1 = indptr[i], indptr[i + 1]
        if p1 == p0:
            continue
        s1 = 0.0
        s2 = 0.0
        if equal[i]:
            for p in range(p0, p1):
                s1 = s1 + v1[indices[p]]
                s2 = s2 + v2[indices[p]]
            l1 = sw[i] * v1[i] + data[p0] * s1
            l2 = sw[i] * v2[i] + data[p0] * s2
        else:
            for p in range(p0, p1):
                s1 = s1 + data[p] * v1[indices[p]]
                s2 = s2 + data[p] * v2[indices[p]]
            l1 = sw[i] * v1[i] + s1
            l2 = sw[i] * v2[i] + s2
        out[ii] = _stat(a[i], b[i], c[i], l1, l2)
    return out


@njit(cache=True, parallel=True)
def _shared_kernel(  # type: ignore[no-untyped-def]  # pragma: no cover - compiled
    indptr,
    indices,
    data,
    sw,
    equal,
    v1,
    v2,
    a,
    b,
    c,
    obs,
    tol,
    table,
    s1,
    s2,
    srt,
    mean_s,
    m2_s,
    inv_ptr,
    inv_row,
    inv_pos,
    two_lags,
    lo,
    hi,
):
    n = len(indptr) - 1
    p = table.shape[0]
    ge = np.full(hi - lo, -1, dtype=np.int64)
    le = np.full(hi - lo, -1, dtype=np.int64)
    mean = np.full(hi - lo, np.nan)
    sd = np.full(hi - lo, np.nan)
    last = n - 1
    for ii in prange(hi - lo):
        i = lo + ii
        p0 = indptr[i]
        k = indptr[i + 1] - p0
        if k == 0:
            continue
        o = obs[ii]
        olo = o - tol[i]
        ohi = o + tol[i]
        ai, bi, ci = a[i], b[i], c[i]
        self1 = sw[i] * v1[i]
        self2 = sw[i] * v2[i]
        w0 = data[p0]
        if equal[i] and not two_lags:
            # exact shortcut: counts by binary search over the sorted prefix sums of cardinality k
            row = srt[k]
            g = 0
            lq = 0
            if ai == 0.0:
                val = _stat(ai, bi, ci, self1 + w0 * row[0], 0.0)
                g = p if val >= olo else 0
                lq = p if val <= ohi else 0
            else:
                # first index whose statistic is >= o (ai > 0) / <= o (ai < 0): a monotone predicate
                lo_, hi_ = 0, p
                while lo_ < hi_:
                    mid = (lo_ + hi_) // 2
                    val = _stat(ai, bi, ci, self1 + w0 * row[mid], 0.0)
                    if (val >= olo) if ai > 0 else (val <= ohi):
                        hi_ = mid
                    else:
                        lo_ = mid + 1
                first = lo_
                # last index whose statistic is <= o (ai > 0) / >= o (ai < 0), plus one
                lo_, hi_ = 0, p
                while lo_ < hi_:
                    mid = (lo_ + hi_) // 2
                    val = _stat(ai, bi, ci, self1 + w0 * row[mid], 0.0)
                    if (val <= ohi) if ai > 0 else (val >= olo):
                        lo_ = mid + 1
                    else:
                        hi_ = mid
                upto = lo_
                if ai > 0:
                    g, lq = p - first, upto
                else:
                    g, lq = upto, p - first
            d1 = 0.0
            dm2 = 0.0
            mu = mean_s[k]
            if i < last:
                for q in range(inv_ptr[i], inv_ptr[i + 1]):
                    if inv_pos[q] >= k:
                        continue
                    r = inv_row[q]
                    old = s1[r, k]
                    new = 0.0
                    for m in range(k):
                        t = table[r, m]
                        new = new + v1[last if t == i else t]
                    vo = _stat(ai, bi, ci, self1 + w0 * old, 0.0)
                    vn = _stat(ai, bi, ci, self1 + w0 * new, 0.0)
                    g += (1 if vn >= olo else 0) - (1 if vo >= olo else 0)
                    lq += (1 if vn <= ohi else 0) - (1 if vo <= ohi else 0)
                    d1 += new - old
                    dm2 += (new - mu) ** 2 - (old - mu) ** 2
            ge[ii], le[ii] = g, lq
            ms = mu + d1 / p
            vs = max((m2_s[k] + dm2) / p - (d1 / p) ** 2, 0.0)
            mean[ii] = _stat(ai, bi, ci, self1 + w0 * ms, 0.0)
            sd[ii] = abs(ai * w0) * np.sqrt(vs)
            continue
        # direct evaluation of every row, streaming the counts and the moments (shifted by o for stability)
        g = 0
        lq = 0
        sd1 = 0.0
        sd2 = 0.0
        for r in range(p):
            hit = False
            if i < last:
                for m in range(k):
                    if table[r, m] == i:
                        hit = True
                        break
            if equal[i] and not hit:
                l1 = self1 + w0 * s1[r, k]
                l2 = self2 + w0 * s2[r, k]
            elif equal[i]:
                t1 = 0.0
                t2 = 0.0
                for m in range(k):
                    t = table[r, m]
                    u = last if t == i else t
                    t1 = t1 + v1[u]
                    t2 = t2 + v2[u]
                l1 = self1 + w0 * t1
                l2 = self2 + w0 * t2
            else:
                t1 = 0.0
                t2 = 0.0
                for m in range(k):
                    t = table[r, m]
                    u = last if t == i else t
                    t1 = t1 + data[p0 + m] * v1[u]
                    t2 = t2 + data[p0 + m] * v2[u]
                l1 = self1 + t1
                l2 = self2 + t2
            val = _stat(ai, bi, ci, l1, l2)
            if val >= olo:
                g += 1
            if val <= ohi:
                lq += 1
            d = val - o
            sd1 += d
            sd2 += d * d
        ge[ii], le[ii] = g, lq
        mean[ii] = o + sd1 / p
        sd[ii] = np.sqrt(max(sd2 / p - (sd1 / p) ** 2, 0.0))
    return ge, le, mean, sd


@njit(cache=True, parallel=True)
def _independent_kernel(  # type: ignore[no-untyped-def]  # pragma: no cover - compiled
    indptr, indices, data, sw, equal, v1, v2, a, b, c, obs, tol, permutations, seed, lo, hi
):
    n = len(indptr) - 1
    ge = np.full(hi - lo, -1, dtype=np.int64)
    le = np.full(hi - lo, -1, dtype=np.int64)
    mean = np.full(hi - lo, np.nan)
    sd = np.full(hi - lo, np.nan)
    for ii in prange(hi - lo):
        i = lo + ii
        p0 = indptr[i]
        k = indptr[i + 1] - p0
        if k == 0:
            continue
        state = np.uint64(seed) * np.uint64(0x9E3779B97F4A7C15) ^ np.uint64(i + 1)
        state, _ = _splitmix(state)
        o = obs[ii]
        olo = o - tol[i]
        ohi = o + tol[i]
        self1 = sw[i] * v1[i]
        self2 = sw[i] * v2[i]
        draw = np.empty(k, dtype=np.int64)
        small = 4 * k > n - 1
        pool = np.arange(n - 1) if small else np.empty(0, dtype=np.int64)
        g = 0
        lq = 0
        sd1 = 0.0
        sd2 = 0.0
        for _r in range(permutations):
            if small:
                for m in range(k):  # partial Fisher-Yates over the other units
                    state, j = _below(state, n - 1 - m)
                    j += m
                    tmp = pool[m]
                    pool[m] = pool[j]
                    pool[j] = tmp
                    draw[m] = pool[m]
            else:
                for m in range(k):  # rejection of repeats
                    while True:
                        state, t = _below(state, n - 1)
                        rep = False
                        for q in range(m):
                            if draw[q] == t:
                                rep = True
                                break
                        if not rep:
                            break
                    draw[m] = t
            t1 = 0.0
            t2 = 0.0
            for m in range(k):
                u = draw[m] + (1 if draw[m] >= i else 0)
                t1 = t1 + data[p0 + m] * v1[u]
                t2 = t2 + data[p0 + m] * v2[u]
            val = _stat(a[i], b[i], c[i], self1 + t1, self2 + t2)
            if val >= olo:
                g += 1
            if val <= ohi:
                lq += 1
            d = val - o
            sd1 += d
            sd2 += d * d
        ge[ii], le[ii] = g, lq
        mean[ii] = o + sd1 / permutations
        sd[ii] = np.sqrt(max(sd2 / permutations - (sd1 / permutations) ** 2, 0.0))
    return ge, le, mean, sd


@njit(cache=True, parallel=True)
def _simulate_shared(indptr, indices, data, sw, equal, v1, v2, a, b, c, table, lo, hi):  # type: ignore[no-untyped-def]  # pragma: no cover
    """Brute-force evaluation of the shared table: every simulated statistic (P, hi - lo)."""
    n = len(indptr) - 1
    p = table.shape[0]
    last = n - 1
    out = np.full((p, hi - lo), np.nan)
    for ii in prange(hi - lo):
        i = lo + ii
        p0 = indptr[i]
        k = indptr[i + 1] - p0
        if k == 0:
            continue
        self1 = sw[i] * v1[i]
        self2 = sw[i] * v2[i]
        for r in range(p):
            t1 = 0.0
            t2 = 0.0
            for m in range(k):
                t = table[r, m]
                u = last if t == i else t
                if equal[i]:
                    t1 = t1 + v1[u]
                    t2 = t2 + v2[u]
                else:
                    t1 = t1 + data[p0 + m] * v1[u]
                    t2 = t2 + data[p0 + m] * v2[u]
            if equal[i]:
                out[r, ii] = _stat(a[i], b[i], c[i], self1 + data[p0] * t1, self2 + data[p0] * t2)
            else:
                out[r, ii] = _stat(a[i], b[i], c[i], self1 + t1, self2 + t2)
    return out


# esda's expressions (esda/moran.py, esda/getisord.py, esda/geary_local.py), same flags (fastmath) and the same
# matrix-vector product, on the same table: the simulated statistics are esda's, bit for bit.
ESDA_CODES = {"moran": 0, "moran_bv": 1, "gi": 2, "gistar": 3, "geary": 4}


@njit(cache=True, fastmath=True)
def _esda_stat(code, i, z, zy, table, other, sw, scaling):  # type: ignore[no-untyped-def]  # pragma: no cover
    k = len(other)
    p = table.shape[0]
    src = zy if code == 1 else z
    zrand = np.empty((p, k))
    for r in range(p):
        for m in range(k):
            t = table[r, m]
            zrand[r, m] = src[t + 1 if t >= i else t]
    if code == 0:
        zi = z[i]
        return zi * (zrand @ other + sw * zi) * scaling
    if code == 1:
        return z[i] * (zrand @ other + sw * zy[i]) * scaling
    if code == 2:
        return (zrand @ other) / (scaling - z[i])
    if code == 3:
        return (zrand @ other + sw * z[i]) / scaling
    return (z[i] - zrand) ** 2 @ other


@njit(cache=True, parallel=True)
def _esda_kernel(code, indptr, data, sw, z, zy, observed, table, scaling, keep, lo, hi):  # type: ignore[no-untyped-def]  # pragma: no cover
    p = table.shape[0]
    ge = np.full(hi - lo, -1, dtype=np.int64)
    le = np.full(hi - lo, -1, dtype=np.int64)
    mean = np.full(hi - lo, np.nan)
    sd = np.full(hi - lo, np.nan)
    sims = np.full((p, hi - lo) if keep else (0, 0), np.nan)
    for ii in prange(hi - lo):
        i = lo + ii
        p0, p1 = indptr[i], indptr[i + 1]
        if p1 == p0:
            continue
        other = data[p0:p1].copy()
        rs = _esda_stat(code, i, z, zy, table, other, sw[i], scaling)
        o = observed[ii]
        ge[ii] = (rs >= o).sum()
        le[ii] = (rs <= o).sum()
        mean[ii] = rs.mean()
        sd[ii] = rs.std()
        if keep:
            sims[:, ii] = rs
    return ge, le, mean, sd, sims


# --------------------------------------------------------------------------------------------------------------
# Public entry points
# --------------------------------------------------------------------------------------------------------------


#: Relative standard deviation below which simulated statistics are taken as having no variance.
DEGENERATE_RTOL = 1e-10


@dataclass(frozen=True)
class PermutationResult:
    r"""Counts and streamed moments of the simulated statistics, per unit.

    Attributes
    ----------
    observed : ndarray
        The observed statistic as the engine computed it (NaN for units with no neighbour).
    ge, le : ndarray of int64
        :math:`\#\{s \ge o\}`, :math:`\#\{s \le o\}` over the simulations (-1 for units with no neighbour).
    mean, sd : ndarray
        Mean and (population) standard deviation of the simulated statistics.
    permutations : int
    method : str
    seed : int
    single : ndarray of bool, optional
        Units with a single arrangement of their neighbours (:func:`single_arrangement`): never tested.
    tol : ndarray, optional
        The tie tolerance of each unit's comparisons (:func:`tie_tolerance`): ``ge`` counts
        :math:`s \ge o - tol`, ``le`` counts :math:`s \le o + tol`. None (exact comparisons) in esda's mode.
    """

    observed: np.ndarray
    ge: np.ndarray
    le: np.ndarray
    mean: np.ndarray
    sd: np.ndarray
    permutations: int
    method: str
    seed: int
    single: np.ndarray | None = None
    tol: np.ndarray | None = None

    @property
    def degenerate(self) -> np.ndarray:
        r"""Units that have neighbours but cannot be tested: the observed statistic is not finite (a zero
        denominator, as Gi with every other value equal), or the simulated statistics are not finite or have no
        variance (:math:`sd \le 10^{-10} \max(1, |mean|)`: every arrangement of the neighbours gives the same value,
        as when all other units are neighbours). Their p-values are NaN, so they are never significant."""
        with np.errstate(invalid="ignore"):
            flat = ~(self.sd > DEGENERATE_RTOL * np.maximum(1.0, np.abs(self.mean)))
        bad = ~np.isfinite(self.observed) | ~np.isfinite(self.mean) | ~np.isfinite(self.sd) | flat
        if self.single is not None:
            bad = bad | self.single
        return (self.ge >= 0) & bad

    def reasons(self) -> np.ndarray:
        """Per unit, why it has no p-value: "" (it has one), "no neighbours", "statistic not finite",
        "every other unit is a neighbour (one arrangement)" or "simulated statistics without variance"."""
        out = np.full(len(self.ge), "", dtype=object)
        deg = self.degenerate
        finite = np.isfinite(self.observed)
        out[deg & ~finite] = "statistic not finite"
        out[deg & finite] = "simulated statistics without variance"
        if self.single is not None:
            out[deg & finite & self.single] = "every other unit is a neighbour (one arrangement)"
        out[self.ge < 0] = "no neighbours"
        return out

    def p_value(self, alternative: str = "two-sided") -> np.ndarray:
        r"""Pseudo p-values: those of :func:`~spatial_poverty.stats.inference.pseudo_p` from the counts.

        ``"directed"`` is esda's default (folded one-sided, :math:`(\min(G, P - G) + 1)/(P + 1)` with
        :math:`G = \#\{s \ge o\}`), for comparisons with esda only. NaN for units with no neighbour and for
        :attr:`degenerate` units (a comparison with NaN or infinity counts as neither tail, which would make
        such a unit look extreme).
        """
        p1 = self.permutations + 1.0
        ge = self.ge.astype(float)
        le = self.le.astype(float)
        if alternative == "greater":
            p = (1.0 + ge) / p1
        elif alternative in ("less", "lesser"):
            p = (1.0 + le) / p1
        elif alternative == "two-sided":
            p = np.minimum(1.0, 2.0 * (1.0 + np.minimum(ge, le)) / p1)
        elif alternative == "directed":
            p = (np.minimum(ge, self.permutations - ge) + 1.0) / p1
        else:
            raise StatisticsError(
                f"alternative needs to be 'two-sided', 'greater', 'less' or 'directed'; {alternative!r} was given"
            )
        return np.where((self.ge < 0) | self.degenerate, np.nan, p)

    def z_sim(self, observed: np.ndarray | None = None) -> np.ndarray:
        """(observed - mean) / sd of the simulations (NaN where sd is 0 or the unit has no neighbour)."""
        o = self.observed if observed is None else observed
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(self.sd > 0, (o - self.mean) / self.sd, np.nan)


def _check(method: str, permutations: int) -> None:
    if method not in METHODS:
        raise StatisticsError(f"method needs to be one of {', '.join(METHODS)}; {method!r} was given instead")
    if permutations < 1:
        raise StatisticsError(f"permutations needs to be at least 1; {permutations} was given instead")


def _coerce(w: CSRWeights | sparse.sparray | sparse.spmatrix) -> CSRWeights:
    return w if isinstance(w, CSRWeights) else CSRWeights.from_sparse(w)


@dataclass(frozen=True)
class _Prepared:
    """Everything a chunk of units needs: broadcast once (Dask) and reused."""

    w: CSRWeights
    v1: np.ndarray
    v2: np.ndarray
    a: np.ndarray
    b: np.ndarray
    c: np.ndarray
    method: str
    permutations: int
    seed: int
    table: np.ndarray
    shortcut: tuple[np.ndarray, ...]
    tol: np.ndarray


def prepare_run(
    statistic: str,
    values: np.ndarray,
    w: CSRWeights | sparse.sparray | sparse.spmatrix,
    *,
    y: np.ndarray | None = None,
    permutations: int = 999,
    seed: int,
    method: Method = "shared",
) -> _Prepared:
    """Terms of the statistic, the table and the shortcut's sorted sums: the part shared by all chunks."""
    _check(method, permutations)
    cw = _coerce(w)
    v1, v2, a, b, c = statistic_terms(statistic, values, cw, y=y)
    n, kmax = cw.n, cw.kmax
    if method == "shared":
        table = shared_table(n, kmax, permutations, seed)
        s1 = _prefix_sums(v1, table)
        s2 = _prefix_sums(v2, table)
        srt, mean_s, m2_s = _sorted_moments(s1)
        inv = _inverted_index(table, n)
        shortcut: tuple[np.ndarray, ...] = (s1, s2, srt, mean_s, m2_s, *inv)
    elif method == "independent":
        table = np.zeros((0, 0), dtype=np.int64)
        shortcut = ()
    else:
        raise StatisticsError("method 'esda' goes through esda_crand (esda's own statistics and table)")
    return _Prepared(
        cw, v1, v2, a, b, c, method, permutations, seed, table, shortcut, tie_tolerance(cw, v1, v2, a, b, c)
    )


def run_chunk(prep: _Prepared, lo: int, hi: int) -> tuple[np.ndarray, ...]:
    """Observed statistics, counts and moments for units ``lo..hi-1`` (a pure function of ``prep``)."""
    w = prep.w
    args = (w.indptr, w.indices, w.data, w.self_weight, w.equal, prep.v1, prep.v2, prep.a, prep.b, prep.c)
    two = bool(np.any(prep.b != 0))
    shortcut = prep.method == "shared" and not two and bool(w.equal[lo:hi].all())
    with _threads((hi - lo) * (1 if shortcut else prep.permutations)):
        obs = _observed(*args, lo, hi)
        if prep.method == "shared":
            ge, le, mean, sd = _shared_kernel(*args, obs, prep.tol, prep.table, *prep.shortcut, two, lo, hi)  # type: ignore[call-arg]
        else:
            ge, le, mean, sd = _independent_kernel(*args, obs, prep.tol, prep.permutations, prep.seed, lo, hi)
    return obs, ge, le, mean, sd


def conditional_randomisation(
    statistic: str,
    values: np.ndarray,
    w: CSRWeights | sparse.sparray | sparse.spmatrix,
    *,
    y: np.ndarray | None = None,
    permutations: int = 999,
    seed: int,
    method: Method = "shared",
) -> PermutationResult:
    """Conditional randomisation of a local statistic: counts and moments for every unit.

    Parameters
    ----------
    statistic : {"moran", "moran_bv", "gi", "gistar", "geary", "joincount"}
        See :func:`statistic_terms` for what ``values`` (and ``y``) are.
    values : ndarray of shape (n,)
    w : CSRWeights or sparse matrix
        The weights the statistic uses (already transformed; self-weights on the diagonal).
    permutations : int, default 999
    seed : int
    method : {"shared", "independent"}
        See the module docstring; esda's table and expressions are :func:`esda_crand`.

    Returns
    -------
    PermutationResult
    """
    prep = prepare_run(statistic, values, w, y=y, permutations=permutations, seed=seed, method=method)
    obs, ge, le, mean, sd = run_chunk(prep, 0, prep.w.n)
    return PermutationResult(obs, ge, le, mean, sd, permutations, method, seed, single_arrangement(prep.w), prep.tol)


def simulate(
    statistic: str,
    values: np.ndarray,
    w: CSRWeights | sparse.sparray | sparse.spmatrix,
    *,
    y: np.ndarray | None = None,
    permutations: int = 999,
    seed: int,
) -> np.ndarray:
    """Every simulated statistic of the shared table, shape (permutations, n), NaN for units with no neighbour.

    The brute-force evaluation of the table :func:`conditional_randomisation` uses with ``method="shared"``
    (same table, same floating-point operations): its counts are those of the shortcut.
    """
    prep = prepare_run(statistic, values, w, y=y, permutations=permutations, seed=seed, method="shared")
    cw = prep.w
    with _threads(cw.n * permutations):
        return _simulate_shared(
            cw.indptr,
            cw.indices,
            cw.data,
            cw.self_weight,
            cw.equal,
            prep.v1,
            prep.v2,
            prep.a,
            prep.b,
            prep.c,
            prep.table,
            0,
            cw.n,
        )


def esda_crand(
    statistic: str,
    z: np.ndarray,
    w: CSRWeights | sparse.sparray | sparse.spmatrix,
    observed: np.ndarray,
    *,
    permutations: int = 999,
    seed: int,
    scaling: float | None = None,
    keep: bool = False,
) -> tuple[PermutationResult, np.ndarray | None]:
    r"""esda's conditional randomisation (``esda.crand.crand``) without its per-unit copy of the data.

    Same table for the same seed (:func:`esda_table`) and the same expressions as esda's ``stat_func``, so the
    simulated statistics and hence p-values equal esda's. ``z`` is what esda passes to ``crand``:

    * ``moran``: :math:`z = (y - \bar y)/s_y`, ``observed`` = ``Moran_Local.Is``; scaling :math:`(n-1)/\sum z^2`;
    * ``moran_bv``: ``z`` of shape (n, 2), columns :math:`z^x, z^y`; scaling :math:`(n-1)/\sum (z^x)^2`;
    * ``gi``/``gistar``: :math:`y` itself, ``observed`` = ``G_Local.Gs``; scaling :math:`\sum y`;
    * ``geary``: :math:`z`, ``observed`` = ``Geary_Local.localG``.

    esda's p-value is ``result.p_value("directed")`` (and esda stores it as float32).
    """
    if statistic not in ESDA_CODES:
        raise StatisticsError(f"esda_crand knows {', '.join(ESDA_CODES)}; {statistic!r} was given instead")
    if permutations < 1:
        raise StatisticsError(f"permutations needs to be at least 1; {permutations} was given instead")
    cw = _coerce(w)
    z = np.asarray(z, dtype=np.float64)
    n = len(z)
    if z.ndim == 2:
        zx, zy = np.ascontiguousarray(z[:, 0]), np.ascontiguousarray(z[:, 1])
    else:
        zx = zy = np.ascontiguousarray(z)
    if scaling is None:
        scaling = float(zx.sum()) if statistic in ("gi", "gistar") else (n - 1) / float((zx * zx).sum())
    table = esda_table(cw.kmax, n, permutations, seed)
    obs = np.ascontiguousarray(observed, dtype=np.float64)
    with _threads(n * permutations):
        ge, le, mean, sd, sims = _esda_kernel(
            ESDA_CODES[statistic], cw.indptr, cw.data, cw.self_weight, zx, zy, obs, table, float(scaling), keep, 0, n
        )
    res = PermutationResult(
        np.where(cw.card > 0, obs, np.nan), ge, le, mean, sd, permutations, "esda", seed, single_arrangement(cw)
    )
    return res, (sims if keep else None)


def set_threads(n: int | None) -> None:
    """Threads of the compiled kernels (default: numba's, the number of cores)."""
    if n is not None:
        numba.set_num_threads(n)


def warm_cache(seed: int = 0) -> float:
    """Compile every kernel once, on a 6 x 6 lattice, so that numba's on-disk cache (``cache=True``) holds them.

    ``make setup`` runs it (``python -m spatial_poverty.stats.engine``): the compilation (tens of seconds) is paid
    at installation, like a compiled extension's, not by the first run or the first ``spatial-poverty stats``
    process. Covers the statistics, the three methods, equal and unequal row weights, and the index types
    scipy gives (int32) and the contiguity builder gives (int64).

    Returns
    -------
    float
        Seconds taken.
    """
    import time

    from spatial_poverty.stats.grid_weights import grid_csr

    t0 = time.perf_counter()
    rng = np.random.default_rng(seed)
    binary = sparse.csr_array(grid_csr(6, 6, contiguity="queen"), dtype=np.float64)
    uneven = binary.multiply(rng.uniform(0.5, 1.5, binary.shape)).tocsr()
    x = rng.normal(size=binary.shape[0])
    z = (x - x.mean()) / x.std()
    y = np.roll(z, 1)
    for m in (binary, uneven):
        for index_type in (np.int32, np.int64):
            w = sparse.csr_array((m.data, m.indices.astype(index_type), m.indptr.astype(index_type)), shape=m.shape)
            cw = CSRWeights.from_sparse(w)
            for stat in STATISTICS:
                v = (x > 0).astype(np.float64) if stat == "joincount" else (x + 5.0 if stat.startswith("gi") else z)
                cwi = with_self_weight(cw) if stat == "gistar" else cw
                for method in ("shared", "independent"):
                    conditional_randomisation(stat, v, cwi, y=y, permutations=9, seed=seed, method=method)
                simulate(stat, v, cwi, y=y, permutations=9, seed=seed)
            for stat in ESDA_CODES:
                arg = np.column_stack([z, y]) if stat == "moran_bv" else (x + 5.0 if stat.startswith("gi") else z)
                esda_crand(stat, arg, cw, np.zeros(cw.n), permutations=9, seed=seed)
    return time.perf_counter() - t0


if __name__ == "__main__":  # pragma: no cover - run by `make setup`
    print(f"permutation engine kernels compiled and cached in {warm_cache():.1f} s")
