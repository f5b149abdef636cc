"""Access measures from a travel-time matrix: nearest service by type, population within thresholds, E2SFCA,
equity (Gini, Theil) and the bivariate deprivation x access class ("service deserts").

Every function takes the cost as a :class:`~spatial_poverty.access.travel.TravelCost` (or a plain
``(n_origins, n_destinations)`` array of minutes) and returns frames or Series indexed like the origins.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from spatial_poverty.access.travel import TravelCost
from spatial_poverty.errors import StatisticsError

__all__ = [
    "LUO_QI_WEIGHTS",
    "aggregate",
    "desert_class",
    "e2sfca",
    "gini",
    "nearest_by_type",
    "population_within",
    "step_weights",
    "theil",
]

logger = logging.getLogger(__name__)

#: Distance-decay weights of Luo & Qi (2009): travel-time zones 0-10, 10-20, 20-30 minutes weighted 1.00, 0.68,
#: 0.22 (a Gaussian decay sampled at the zone centres). Also the default of the ``access`` package.
LUO_QI_WEIGHTS: Mapping[float, float] = {10.0: 1.0, 20.0: 0.68, 30.0: 0.22}


def _minutes(cost: TravelCost | np.ndarray) -> tuple[np.ndarray, pd.Index | None]:
    if isinstance(cost, TravelCost):
        return cost.minutes, cost.origin_index
    arr = np.asarray(cost, dtype="float64")
    if arr.ndim != 2:
        raise StatisticsError(
            f"cost needs to be a 2-D array (origins x destinations); shape {arr.shape} was given instead"
        )
    return arr, None


def _slug(value: object) -> str:
    s = re.sub(r"[^0-9a-z]+", "_", str(value).strip().lower()).strip("_")
    return s or "type"


def nearest_by_type(
    cost: TravelCost,
    destination_types: Sequence[object] | pd.Series,
    destination_ids: Sequence[object] | pd.Series,
    *,
    prefix: str = "nearest_service",
) -> pd.DataFrame:
    """The nearest destination of each type, for every origin: minutes, id, and whether it needs a ferry.

    Parameters
    ----------
    cost : TravelCost
        From :meth:`~spatial_poverty.access.travel.TravelModel.cost` (a block of origins is fine).
    destination_types, destination_ids : sequence
        Type and id of each destination (column of the cost), in the cost's column order.
    prefix : str, default "nearest_service"
        Name of the all-types columns.

    Returns
    -------
    pandas.DataFrame
        Indexed like the origins: ``{prefix}_min``, ``{prefix}_id``, ``needs_ferry`` over all types, then for
        each type (its name lower-cased, non-alphanumerics as ``_``) ``{type}_min``, ``{type}_id``,
        ``{type}_needs_ferry``. Minutes are ``inf`` and the id missing where no destination of the type can be
        reached; ``needs_ferry`` is then True when no destination of the type is on the origin's land mass.
        Ties go to the first destination in column order.

    Raises
    ------
    StatisticsError
        If the lengths do not match the cost's columns.
    """
    minutes, ferry = cost.minutes, cost.needs_ferry
    types = np.asarray(destination_types, dtype=object)
    ids = np.asarray(destination_ids, dtype=object)
    n_d = minutes.shape[1]
    if len(types) != n_d or len(ids) != n_d:
        raise StatisticsError(
            f"destination_types ({len(types)}) and destination_ids ({len(ids)}) need one value per destination "
            f"column of the cost ({n_d})"
        )
    out: dict[str, object] = {}

    def _one(cols: np.ndarray, name_min: str, name_id: str, name_ferry: str) -> None:
        sub = minutes[:, cols]
        if sub.shape[1] == 0:
            out[name_min] = np.full(len(minutes), np.inf)
            out[name_id] = pd.array([None] * len(minutes), dtype=object)
            out[name_ferry] = np.ones(len(minutes), dtype=bool)
            return
        arg = np.argmin(sub, axis=1)
        best = sub[np.arange(len(sub)), arg]
        reach = np.isfinite(best)
        out[name_min] = best.astype("float64")
        out[name_id] = np.where(reach, ids[cols][arg], None)
        nf = ferry[:, cols]
        out[name_ferry] = np.where(reach, nf[np.arange(len(sub)), arg], nf.all(axis=1))

    _one(np.arange(n_d), f"{prefix}_min", f"{prefix}_id", "needs_ferry")
    seen: dict[str, object] = {}
    for t in pd.unique(types):
        slug = _slug(t)
        if slug in (prefix, "needs"):
            raise StatisticsError(f"service type {t!r} gives field names that clash with {prefix!r}; rename the type")
        if slug in seen and seen[slug] != t:
            raise StatisticsError(f"service types {seen[slug]!r} and {t!r} give the same field name {slug!r}")
        seen[slug] = t
        _one(np.flatnonzero(types == t), f"{slug}_min", f"{slug}_id", f"{slug}_needs_ferry")
    return pd.DataFrame(out, index=cost.origin_index)


def population_within(
    cost: TravelCost | np.ndarray | pd.Series,
    population: pd.Series | Sequence[float],
    thresholds: Sequence[float] = (15, 30, 60),
    *,
    groups: pd.Series | Sequence[object] | None = None,
) -> pd.DataFrame:
    """Population that reaches a service within each threshold (minutes).

    Parameters
    ----------
    cost : TravelCost, 2-D array or Series
        Origins x services (the nearest is taken), or already the minutes to the nearest service per origin.
    population : Series or sequence
        Population of each origin, in the cost's row order.
    thresholds : sequence of float, default (15, 30, 60)
    groups : Series or sequence, optional
        A group (municipality code) per origin: the result is then per group.

    Returns
    -------
    pandas.DataFrame
        Without groups, per origin: ``population`` and ``within_{t}`` (bool, nearest <= t). With groups, per
        group: ``population``, ``pop_within_{t}`` and ``share_within_{t}`` (NaN for a group of population 0).
    """
    if isinstance(cost, pd.Series):
        nearest = cost.to_numpy(dtype="float64")
        index: pd.Index | None = cost.index
    else:
        m, index = _minutes(cost)
        nearest = m.min(axis=1) if m.shape[1] else np.full(m.shape[0], np.inf)
    pop = np.asarray(population, dtype="float64")
    if len(pop) != len(nearest):
        raise StatisticsError(f"population has {len(pop)} values; the cost has {len(nearest)} origins")
    if np.any(pop < 0) or not np.isfinite(pop).all():
        raise StatisticsError("population needs to be finite and >= 0")
    frame = pd.DataFrame({"population": pop}, index=index)
    for t in thresholds:
        frame[f"within_{t:g}"] = nearest <= t
    if groups is None:
        return frame
    g = np.asarray(groups, dtype=object)
    if len(g) != len(frame):
        raise StatisticsError(f"groups has {len(g)} values; the cost has {len(frame)} origins")
    cols = {"population": pop}
    for t in thresholds:
        cols[f"pop_within_{t:g}"] = np.where(frame[f"within_{t:g}"].to_numpy(), pop, 0.0)
    agg = pd.DataFrame(cols).groupby(g, sort=True).sum()
    agg.index.name = groups.name if isinstance(groups, pd.Series) and groups.name else "group"
    for t in thresholds:
        with np.errstate(invalid="ignore", divide="ignore"):
            agg[f"share_within_{t:g}"] = np.where(
                agg["population"] > 0, agg[f"pop_within_{t:g}"] / agg["population"], np.nan
            )
    return agg


def step_weights(minutes: np.ndarray, steps: Mapping[float, float] = LUO_QI_WEIGHTS) -> np.ndarray:
    """Step distance decay: the weight of the first threshold :math:`\\ge` the time, 0 beyond the last.

    Same rule as ``access.weights.step_fn`` (a time equal to a threshold takes that threshold's weight).
    """
    keys = np.array(sorted(steps), dtype="float64")
    vals = np.array([steps[k] for k in sorted(steps)], dtype="float64")
    if np.any(vals < 0):
        raise StatisticsError(f"decay weights need to be >= 0; {dict(steps)} was given instead")
    pos = np.searchsorted(keys, minutes, side="left")
    out = np.zeros(np.shape(minutes))
    inside = pos < len(keys)
    out[inside] = vals[pos[inside]]
    return out


def e2sfca(
    cost: TravelCost | np.ndarray,
    demand: pd.Series | Sequence[float],
    supply: pd.Series | Sequence[float],
    *,
    weights: Mapping[float, float] = LUO_QI_WEIGHTS,
    max_cells: int = 2_000_000,
) -> pd.Series:
    """Enhanced two-step floating catchment area accessibility (Luo & Qi 2009).

    Parameters
    ----------
    cost : TravelCost or 2-D array
        Minutes from demand points (rows: settlements) to supply points (columns: services).
    demand : Series or sequence
        Population at each origin.
    supply : Series or sequence
        Capacity of each service (1 each to count services).
    weights : mapping threshold -> weight, default :data:`LUO_QI_WEIGHTS`
        Step distance decay :math:`W(t)`; the catchment ends at the largest threshold (30 minutes by default).
    max_cells : int, default 2,000,000
        Weights are computed for blocks of rows of at most this many cells (memory, not results).

    Returns
    -------
    pandas.Series
        ``e2sfca`` per origin: supply per person reachable, decay-weighted (services per inhabitant with
        supply 1). 0 where no service is within the catchment.

    Notes
    -----
    Step 1, for each service *j*: :math:`R_j = S_j / \\sum_{k: t_{kj} \\le t_0} P_k W(t_{kj})`.
    Step 2, for each origin *i*: :math:`A_i = \\sum_{j: t_{ij} \\le t_0} R_j W(t_{ij})`.
    A service with no demand in its catchment gets :math:`R_j = 0` (its supply serves nobody). Checked in the
    tests against ``access.Access.enhanced_two_stage_fca`` (Saxon et al. 2022) on the same inputs.

    References
    ----------
    Luo, W., Qi, Y. (2009). An enhanced two-step floating catchment area (E2SFCA) method for measuring spatial
    accessibility to primary care physicians. *Health & Place* 15(4), 1100-1107.
    """
    m, index = _minutes(cost)
    p = np.asarray(demand, dtype="float64")
    s = np.asarray(supply, dtype="float64")
    if len(p) != m.shape[0] or len(s) != m.shape[1]:
        raise StatisticsError(f"demand ({len(p)}) and supply ({len(s)}) need to match the cost's shape {m.shape}")
    if np.any(p < 0) or np.any(s < 0) or not (np.isfinite(p).all() and np.isfinite(s).all()):
        raise StatisticsError("demand and supply need to be finite and >= 0")
    # two passes over row blocks: the weight matrix is never held whole (Greece-wide it would be 0.5 GB)
    rows = max(1, max_cells // max(m.shape[1], 1))
    catch = np.zeros(m.shape[1])
    for start in range(0, m.shape[0], rows):
        catch += step_weights(m[start : start + rows], weights).T @ p[start : start + rows]
    with np.errstate(invalid="ignore", divide="ignore"):
        ratio = np.where(catch > 0, s / np.where(catch > 0, catch, 1.0), 0.0)
    a = np.empty(m.shape[0])
    for start in range(0, m.shape[0], rows):
        a[start : start + rows] = step_weights(m[start : start + rows], weights) @ ratio
    return pd.Series(a, index=index, name="e2sfca")


def aggregate(
    values: pd.Series | np.ndarray, population: pd.Series | np.ndarray, groups: pd.Series | Sequence[object]
) -> pd.Series:
    """Population-weighted mean of a per-settlement value within each group (e.g. E2SFCA per municipality).

    A group of population 0 gets the plain mean. Infinite values give an infinite mean.
    """
    v = np.asarray(values, dtype="float64")
    w = np.asarray(population, dtype="float64")
    g = np.asarray(groups, dtype=object)
    frame = pd.DataFrame({"v": v, "w": w, "vw": np.where(w > 0, v * w, 0.0)})
    agg = frame.groupby(g, sort=True).agg(vw=("vw", "sum"), w=("w", "sum"), mean=("v", "mean"))
    out = np.where(agg["w"] > 0, agg["vw"] / agg["w"].where(agg["w"] > 0, 1.0), agg["mean"])
    return pd.Series(out, index=agg.index, name=getattr(values, "name", None))


def _check_weighted(
    values: pd.Series | Sequence[float], weights: pd.Series | Sequence[float] | None, what: str
) -> tuple[np.ndarray, np.ndarray]:
    x = np.asarray(values, dtype="float64")
    w = np.ones_like(x) if weights is None else np.asarray(weights, dtype="float64")
    if len(w) != len(x):
        raise StatisticsError(f"{what}: {len(x)} values but {len(w)} weights")
    if not np.isfinite(x).all():
        n_bad = int((~np.isfinite(x)).sum())
        raise StatisticsError(
            f"{what}: values need to be finite; {n_bad} are not (an unreachable settlement has infinite minutes)"
        )
    if np.any(x < 0):
        raise StatisticsError(f"{what}: values need to be >= 0")
    if np.any(w < 0) or not np.isfinite(w).all() or w.sum() <= 0:
        raise StatisticsError(f"{what}: weights need to be finite, >= 0 and not all 0")
    return x, w


def gini(values: pd.Series | Sequence[float], weights: pd.Series | Sequence[float] | None = None) -> float:
    """Population-weighted Gini coefficient of a non-negative value across units.

    Notes
    -----
    .. math:: G = \\frac{\\sum_i \\sum_j w_i w_j |x_i - x_j|}{2 W^2 \\mu}, \\quad W = \\sum_i w_i,
              \\quad \\mu = \\sum_i w_i x_i / W

    computed from the sorted values in :math:`O(n \\log n)`. With integer weights it equals the Gini of the
    values repeated ``w`` times (mean-difference form, no small-sample correction). 0 when all values are 0.
    """
    x, w = _check_weighted(values, weights, "gini")
    order = np.argsort(x, kind="stable")
    x, w = x[order], w[order]
    total = w.sum()
    mu = (w * x).sum() / total
    if mu == 0:
        return 0.0
    cw = np.cumsum(w)
    cwx = np.cumsum(w * x)
    # sum_i w_i * sum_{j<i} w_j (x_i - x_j), doubled for the ordered pairs
    below = w * (x * (cw - w) - (cwx - w * x))
    return float(2 * below.sum() / (2 * total**2 * mu))


def theil(values: pd.Series | Sequence[float], weights: pd.Series | Sequence[float] | None = None) -> float:
    """Population-weighted Theil T index of a non-negative value across units.

    Notes
    -----
    .. math:: T = \\frac{1}{W} \\sum_i w_i \\frac{x_i}{\\mu} \\ln \\frac{x_i}{\\mu}

    with :math:`0 \\ln 0 = 0`. 0 for equal values, :math:`\\ln W` at most (everything at one unit of weight 1).
    """
    x, w = _check_weighted(values, weights, "theil")
    total = w.sum()
    mu = (w * x).sum() / total
    if mu == 0:
        return 0.0
    r = x / mu
    with np.errstate(divide="ignore", invalid="ignore"):
        terms = np.where(r > 0, r * np.log(np.where(r > 0, r, 1.0)), 0.0)
    return float((w * terms).sum() / total)


def _terciles(x: pd.Series) -> pd.Series:
    q1, q2 = np.quantile(x.to_numpy(dtype="float64"), [1 / 3, 2 / 3])
    t = 1 + (x > q1).astype(int) + (x > q2).astype(int)
    return t.astype("int64")


def desert_class(
    deprivation: pd.Series,
    access: pd.Series,
    *,
    access_higher_is_better: bool = True,
) -> pd.DataFrame:
    """Bivariate 3 x 3 class of deprivation and access by terciles; "service desert" = high deprivation, low access.

    Parameters
    ----------
    deprivation : pandas.Series
        Higher = more deprived (e.g. the deprivation index), indexed by municipality code.
    access : pandas.Series
        Same index. E2SFCA or a share within 30 minutes (higher is better), or minutes to the nearest service
        with ``access_higher_is_better=False``.

    Returns
    -------
    pandas.DataFrame
        ``deprivation_tercile`` (1 low .. 3 high), ``access_tercile`` (1 low access .. 3 high access),
        ``bivariate_class`` (text ``"{deprivation}-{access}"``, e.g. ``"3-1"``) and ``service_desert``
        (deprivation tercile 3 and access tercile 1).

    Notes
    -----
    Tercile cuts are the 1/3 and 2/3 quantiles (linear interpolation) over the units given; a unit equal to a
    cut goes to the lower class, so ties stay together and the result does not depend on row order. Units with
    a missing value in either series get no class (``<NA>``).
    """
    if not deprivation.index.equals(access.index):
        if set(deprivation.index) != set(access.index):
            raise StatisticsError("deprivation and access need the same index (municipality codes)")
        access = access.reindex(deprivation.index)
    d = pd.to_numeric(deprivation, errors="raise").astype("float64")
    a = pd.to_numeric(access, errors="raise").astype("float64")
    ok = d.notna() & a.notna() & np.isfinite(d) & (np.isfinite(a) | ~access_higher_is_better)
    if ok.sum() < 3:
        raise StatisticsError(f"desert_class needs at least 3 units with both values; {int(ok.sum())} have them")
    dt = _terciles(d[ok])
    at = _terciles(a[ok].replace(np.inf, np.finfo("float64").max))
    if not access_higher_is_better:
        at = 4 - at
    out = pd.DataFrame(index=deprivation.index)
    out["deprivation_tercile"] = dt.reindex(out.index).astype("Int64")
    out["access_tercile"] = at.reindex(out.index).astype("Int64")
    cls = out["deprivation_tercile"].astype(str) + "-" + out["access_tercile"].astype(str)
    out["bivariate_class"] = cls.where(ok, pd.NA).astype("string")
    out["service_desert"] = (
        ((out["deprivation_tercile"] == 3) & (out["access_tercile"] == 1)).fillna(False).astype(bool)
    )
    return out
