r"""Space-time statistics: Emerging Hot Spot Analysis (Gi* per year, Mann-Kendall trend) and LISA Markov chains.

Emerging Hot Spot Analysis follows ArcGIS Pro's "How Emerging Hot Spot Analysis works": the Getis-Ord
:math:`G_i^*` z-score of every unit in every year (on the same weights for all years), a Mann-Kendall trend
test of each unit's series of z-scores, and one of 17 categories per unit from the series of significant hot
and cold spots and the trend. Each year is analysed on its own (ArcGIS's space-time neighbourhood with a time
step of 0: yearly municipal data have no reason to borrow the previous year's values).

LISA Markov (Rey 2001; Rey, Murray & Anselin 2011): each unit-year gets the Moran scatterplot quadrant of its
value and spatial lag, and the transitions between consecutive years are counted, as giddy's ``LISA_Markov``.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd
from libpysal.graph import Graph
from scipy import stats

from spatial_poverty.errors import StatisticsError
from spatial_poverty.stats.inference import Correction, adjust_pvalues, prepare
from spatial_poverty.stats.labels import EHSA_CATEGORIES_EL
from spatial_poverty.stats.local_stats import GetisOrdLocal

__all__ = [
    "EHSA_CATEGORIES",
    "EHSA_CATEGORIES_EL",
    "EmergingHotSpots",
    "LisaMarkov",
    "MannKendall",
    "classify_emerging",
    "mann_kendall",
]

logger = logging.getLogger(__name__)

#: The 17 categories, in ArcGIS Pro's order and words.
EHSA_CATEGORIES: tuple[str, ...] = (
    "No pattern detected",
    "New hot spot",
    "Consecutive hot spot",
    "Intensifying hot spot",
    "Persistent hot spot",
    "Diminishing hot spot",
    "Sporadic hot spot",
    "Oscillating hot spot",
    "Historical hot spot",
    "New cold spot",
    "Consecutive cold spot",
    "Intensifying cold spot",
    "Persistent cold spot",
    "Diminishing cold spot",
    "Sporadic cold spot",
    "Oscillating cold spot",
    "Historical cold spot",
)


#: ArcGIS's share of time steps that makes a location "always" a hot (cold) spot.
SHARE = 0.9


@dataclass(frozen=True)
class MannKendall:
    """The Mann-Kendall trend test of one series.

    Attributes
    ----------
    s : float
        :math:`S = \\sum_{i<j} \\operatorname{sign}(x_j - x_i)`.
    var_s : float
        Its variance under no trend, corrected for ties.
    z, p : float
        The normal score with continuity correction and its two-sided p-value.
    tau : float
        Kendall's :math:`\\tau = S / [n(n-1)/2]`.
    """

    s: float
    var_s: float
    z: float
    p: float
    tau: float

    @property
    def trend(self) -> Literal["increasing", "decreasing", "no trend"]:
        """The direction at the 5 % level (as pymannkendall's ``trend``)."""
        if self.p < 0.05:
            return "increasing" if self.z > 0 else "decreasing"
        return "no trend"


def mann_kendall(x: np.ndarray | pd.Series) -> MannKendall:
    r"""Mann-Kendall trend test (Mann 1945; Kendall 1975), two-sided, ties corrected.

    .. math::

        S = \sum_{i<j} \operatorname{sign}(x_j - x_i), \qquad
        \operatorname{Var}(S) = \frac{n(n-1)(2n+5) - \sum_t t(t-1)(2t+5)}{18}, \qquad
        z = \frac{S - \operatorname{sign}(S)}{\sqrt{\operatorname{Var}(S)}}

    with :math:`t` the sizes of groups of tied values; :math:`p = 2[1 - \Phi(|z|)]`. Equal to
    ``pymannkendall.original_test`` (Hussain & Mahmud 2019), which the tests check.

    Raises
    ------
    StatisticsError
        With fewer than 3 values or missing values.
    """
    v = np.asarray(x, dtype=float).ravel()
    n = v.size
    if n < 3:
        raise StatisticsError(f"the Mann-Kendall test needs at least 3 time steps; {n} were given")
    if not np.isfinite(v).all():
        raise StatisticsError("the Mann-Kendall test needs a series without missing values")
    diff = v[None, :] - v[:, None]
    s = float(np.sign(diff[np.triu_indices(n, 1)]).sum())
    _, counts = np.unique(v, return_counts=True)
    ties = float((counts * (counts - 1) * (2 * counts + 5)).sum())
    var_s = (n * (n - 1) * (2 * n + 5) - ties) / 18.0
    z = 0.0 if var_s <= 0 else (s - np.sign(s)) / np.sqrt(var_s)
    p = float(2 * stats.norm.sf(abs(z)))
    return MannKendall(s=s, var_s=var_s, z=float(z), p=p, tau=s / (0.5 * n * (n - 1)))


def _final_run(flags: np.ndarray) -> int:
    """Length of the uninterrupted run of True at the end of ``flags``."""
    run = 0
    for f in flags[::-1]:
        if not f:
            break
        run += 1
    return run


def classify_emerging(
    z: np.ndarray,
    significant: np.ndarray,
    *,
    trend_z: float,
    trend_p: float,
    trend_alpha: float = 0.05,
) -> str:
    """The Emerging Hot Spot category of one location from its yearly Gi* z-scores and their trend.

    Parameters
    ----------
    z : array
        Gi* z-scores, oldest year first.
    significant : array of bool
        Whether each year's Gi* is significant; a significant bin is a hot spot if its z > 0, a cold spot if
        z < 0.
    trend_z, trend_p : float
        Mann-Kendall score and p-value of the z-scores.
    trend_alpha : float, default 0.05
        Level at which the trend is significant.

    Returns
    -------
    str
        One of :data:`EHSA_CATEGORIES`.

    Notes
    -----
    ArcGIS Pro's definitions (hot spots; cold spots are the mirror image), with :math:`n` time steps and
    :math:`h` the number of significant hot spot bins:

    * **New**: hot in the final step and never a significant hot spot before.
    * **Consecutive**: a single uninterrupted run of at least two hot bins at the end, never hot before the
      run, :math:`h / n < 90\\%`.
    * **Intensifying**: hot in at least 90 % of the steps including the final one, and a significant
      increasing trend of the z-scores.
    * **Persistent**: hot in at least 90 % of the steps, no significant trend.
    * **Diminishing**: hot in at least 90 % of the steps including the final one, and a significant
      decreasing trend.
    * **Sporadic**: hot in the final step, on-again off-again before, :math:`h / n < 90\\%`, never a
      significant cold spot.
    * **Oscillating**: hot in the final step, a significant cold spot in some earlier step,
      :math:`h / n < 90\\%`.
    * **Historical**: not hot in the final step, hot in at least 90 % of the steps.
    * **No pattern detected**: none of these.

    Where two definitions overlap the more specific wins: a final hot spot with an earlier cold spot is
    Oscillating (not New, Consecutive or Sporadic, as in R sfdep); "90 % hot, final not hot" is Historical
    even without a trend; "90 % hot" rules come before the final-step rules of the opposite sign. Persistent
    with a significant trend but a final step that is not hot is Historical.
    """
    z = np.asarray(z, dtype=float)
    sig = np.asarray(significant, dtype=bool) & np.isfinite(z)
    n = z.size
    if n < 3:
        raise StatisticsError(f"Emerging Hot Spot Analysis needs at least 3 time steps; {n} were given")
    hot = sig & (z > 0)
    cold = sig & (z < 0)
    trend_up = trend_p < trend_alpha and trend_z > 0
    trend_down = trend_p < trend_alpha and trend_z < 0
    for name, this, up, down in (("hot", hot, trend_up, trend_down), ("cold", cold, trend_down, trend_up)):
        if this.sum() / n >= SHARE:
            if not this[-1]:
                return f"Historical {name} spot"
            if up:
                return f"Intensifying {name} spot"
            if down:
                return f"Diminishing {name} spot"
            return f"Persistent {name} spot"
    for name, this, other in (("hot", hot, cold), ("cold", cold, hot)):
        if not this[-1]:
            continue
        if other[:-1].any():
            return f"Oscillating {name} spot"
        run = _final_run(this)
        before = this[: n - run]
        if before.any():
            return f"Sporadic {name} spot"
        return f"New {name} spot" if run == 1 else f"Consecutive {name} spot"
    return "No pattern detected"


class EmergingHotSpots:
    r"""Emerging Hot Spot Analysis of a yearly panel (ArcGIS Pro's 17 categories).

    For every year :math:`t`, :math:`G_i^*(t)` on the same graph (binary weights, the unit in its own
    neighbourhood: :class:`~spatial_poverty.stats.GetisOrdLocal`); a bin is significant when its normal
    p-value, adjusted across the units of that year by ``correction`` (ArcGIS applies the false discovery
    rate), is at most ``alpha``. Then the Mann-Kendall test of each unit's z-scores
    (:func:`mann_kendall`) and :func:`classify_emerging`.

    Parameters
    ----------
    panel : pandas.DataFrame
        One row per unit (index: the codes, as the graph's ids), one column per year in time order; no
        missing values.
    graph : libpysal.graph.Graph
        The weights (an island policy must have linked the isolates).
    alpha : float, default 0.05
        Significance of a Gi* bin.
    correction : {"bh", "by", "bonferroni", "none"}, default "bh"
        Multiple-testing adjustment of the Gi* p-values within each year.
    trend_alpha : float, default 0.05
        Significance of the Mann-Kendall trend.
    permutations, seed
        Passed to :class:`~spatial_poverty.stats.GetisOrdLocal` (the categories use its normal p-values, as
        ArcGIS; ``gi_p_sim`` per year is kept in :attr:`p_sim`).

    Attributes
    ----------
    z, p, q, p_sim : pandas.DataFrame
        Gi* z-scores, normal p-values, adjusted p-values and permutation p-values (units x years).
    significant : pandas.DataFrame of bool
    trend : pandas.DataFrame
        ``mk_tau``, ``mk_z``, ``mk_p`` per unit.
    category : pandas.Series
        One of :data:`EHSA_CATEGORIES` per unit.
    """

    def __init__(
        self,
        panel: pd.DataFrame,
        graph: Graph,
        *,
        alpha: float = 0.05,
        correction: Correction = "bh",
        trend_alpha: float = 0.05,
        permutations: int = 99,
        seed: int,
    ) -> None:
        if not isinstance(panel, pd.DataFrame):
            raise StatisticsError(f"the panel needs to be a DataFrame (units x years); {type(panel).__name__} given")
        if panel.shape[1] < 3:
            raise StatisticsError(f"Emerging Hot Spot Analysis needs at least 3 years; {panel.shape[1]} were given")
        if not 0 < alpha < 1 or not 0 < trend_alpha < 1:
            raise StatisticsError(f"alpha and trend_alpha need to be in (0, 1); {alpha}, {trend_alpha} were given")
        missing = panel.isna().any(axis=1)
        if missing.any():
            raise StatisticsError(f"the panel has missing values for units {list(panel.index[missing])[:5]}")
        ids = pd.Index(graph.unique_ids)
        if set(ids) != set(panel.index) or len(panel) != len(ids):
            raise StatisticsError("the panel needs one row per unit of the graph (its index the graph's ids)")
        panel = panel.reindex(ids)
        self.years = list(panel.columns)
        self.alpha, self.correction, self.trend_alpha, self.seed = alpha, correction, trend_alpha, seed
        z, p, p_sim = {}, {}, {}
        for year in self.years:
            gi = GetisOrdLocal(
                panel[year], graph, star=True, permutations=permutations, seed=seed, correction=correction
            )
            z[year], p[year], p_sim[year] = gi.Zs, gi.p_norm, gi.p_sim
        self.z = pd.DataFrame(z, index=ids)
        self.p = pd.DataFrame(p, index=ids)
        self.p_sim = pd.DataFrame(p_sim, index=ids)
        self.q = self.p.apply(lambda col: pd.Series(adjust_pvalues(col.to_numpy(), correction), index=col.index))
        self.significant = self.q <= alpha
        rows = []
        for code in ids:
            mk = mann_kendall(self.z.loc[code].to_numpy())
            cat = classify_emerging(
                self.z.loc[code].to_numpy(),
                self.significant.loc[code].to_numpy(),
                trend_z=mk.z,
                trend_p=mk.p,
                trend_alpha=trend_alpha,
            )
            rows.append((mk.tau, mk.z, mk.p, cat))
        out = pd.DataFrame(rows, index=ids, columns=["mk_tau", "mk_z", "mk_p", "category"])
        self.trend = out[["mk_tau", "mk_z", "mk_p"]]
        self.category = out["category"]
        logger.info("emerging hot spots over %d years: %s", len(self.years), self.category.value_counts().to_dict())

    def to_frame(self) -> pd.DataFrame:
        """Per unit: ``ehsa_category``, ``ehsa_category_el``, ``mk_tau``, ``mk_z``, ``mk_p``, ``n_hot``,
        ``n_cold`` (significant years) and ``gi_z_final`` (the last year's z-score)."""
        hot = (self.significant & (self.z > 0)).sum(axis=1)
        cold = (self.significant & (self.z < 0)).sum(axis=1)
        out = pd.DataFrame(
            {
                "ehsa_category": self.category,
                "ehsa_category_el": self.category.map(EHSA_CATEGORIES_EL),
                **{c: self.trend[c] for c in self.trend.columns},
                "n_hot": hot.astype(np.int32),
                "n_cold": cold.astype(np.int32),
                "gi_z_final": self.z[self.years[-1]],
            }
        )
        out.index.name = "code"
        return out


#: Moran scatterplot quadrants in esda's and giddy's numbering.
QUADRANTS: dict[int, str] = {1: "High-High", 2: "Low-High", 3: "Low-Low", 4: "High-Low"}


class LisaMarkov:
    r"""LISA Markov chain: transitions of each unit between Moran scatterplot quadrants from year to year.

    For year :math:`t`, :math:`z_t = (y_t - \bar y_t) / s_t` and its spatial lag :math:`L z_t` on the
    row-standardised graph; quadrant 1 High-High (:math:`z > 0, Lz > 0`), 2 Low-High, 3 Low-Low, 4 High-Low
    (giddy's and esda's numbering; a zero counts as low, as giddy). ``transitions[a-1, b-1]`` counts unit-years
    in quadrant a followed by b; ``p`` is the row-normalised matrix and ``steady_state`` its stationary
    distribution. ``move_types`` per unit and year pair is :math:`4 (a - 1) + b` (1..16), as giddy.

    Parameters
    ----------
    panel : pandas.DataFrame
        Units (index: the graph's ids) x years in time order.
    graph : libpysal.graph.Graph

    Attributes
    ----------
    quadrants : pandas.DataFrame of int
    transitions, p : ndarray of shape (4, 4)
    steady_state : ndarray of shape (4,)
    move_types : pandas.DataFrame of int (units x year pairs)

    References
    ----------
    Rey, S. J. (2001). Spatial empirics for economic growth and convergence. Geographical Analysis 33(3).
    """

    def __init__(self, panel: pd.DataFrame, graph: Graph) -> None:
        if panel.shape[1] < 2:
            raise StatisticsError(f"LISA Markov needs at least 2 years; {panel.shape[1]} were given")
        ids = pd.Index(graph.unique_ids)
        if set(ids) != set(panel.index) or len(panel) != len(ids):
            raise StatisticsError("the panel needs one row per unit of the graph (its index the graph's ids)")
        panel = panel.reindex(ids)
        quads = {}
        for year in panel.columns:
            y, w, _, _ = prepare(panel[year], graph, "LisaMarkov")
            z = (y - y.mean()) / y.std()
            lag = w @ z
            quads[year] = np.where(z > 0, np.where(lag > 0, 1, 4), np.where(lag > 0, 2, 3))
        self.quadrants = pd.DataFrame(quads, index=ids)
        q = self.quadrants.to_numpy()
        a, b = q[:, :-1], q[:, 1:]
        self.transitions = np.zeros((4, 4))
        np.add.at(self.transitions, (a.ravel() - 1, b.ravel() - 1), 1)
        with np.errstate(invalid="ignore", divide="ignore"):
            self.p = self.transitions / self.transitions.sum(axis=1, keepdims=True)
        self.steady_state = _steady_state(self.p)
        cols = [f"{c0}-{c1}" for c0, c1 in zip(panel.columns[:-1], panel.columns[1:], strict=True)]
        self.move_types = pd.DataFrame(4 * (a - 1) + b, index=ids, columns=cols)

    def to_frame(self) -> pd.DataFrame:
        """The transition counts with quadrant names (rows: from, columns: to)."""
        names = [QUADRANTS[i] for i in range(1, 5)]
        return pd.DataFrame(self.transitions, index=pd.Index(names, name="from"), columns=names)


def _steady_state(p: np.ndarray) -> np.ndarray:
    """The stationary distribution :math:`\\pi = \\pi P`, :math:`\\sum \\pi = 1` (left eigenvector of 1)."""
    if not np.isfinite(p).all():
        return np.full(p.shape[0], np.nan)
    vals, vecs = np.linalg.eig(p.T)
    k = int(np.argmin(np.abs(vals - 1.0)))
    v = np.real(vecs[:, k])
    return v / v.sum()
