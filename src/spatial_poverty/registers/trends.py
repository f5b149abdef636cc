r"""A register over time: the change of each municipality between the first and the last period, its trend
class, and the space-time statistics (Emerging Hot Spot Analysis, LISA Markov) on the smoothed rates.

- **Change** in the rate per 1,000 between the first and last period, with a 95 % interval from the Poisson
  variance of the two counts on the same denominator :math:`n`:
  :math:`\Delta = 1000 (c_2 - c_1)/n`, :math:`\operatorname{se} = 1000\sqrt{c_1 + c_2}/n`; and the rate ratio
  :math:`c_2/c_1` with the interval :math:`\exp(\log(c_2/c_1) \pm 1.96\sqrt{1/c_1 + 1/c_2})` (both counts > 0).
  A change needs both counts: one unknown or suppressed leaves it empty (the difference would give the count).
- **Trend class**: the Mann-Kendall test of each municipality's smoothed rates over all periods
  (:func:`~spatial_poverty.stats.spacetime.mann_kendall`), its p-values adjusted across municipalities by the
  run's correction; "increasing"/"decreasing" only when the adjusted p is at most ``trend_alpha``. With fewer
  than 3 periods the test cannot be computed: p is NaN and the class "not computed".
- **Emerging hot spots** (:class:`~spatial_poverty.stats.spacetime.EmergingHotSpots`) with at least
  ``min_periods_emerging`` periods, and **LISA Markov** (:class:`~spatial_poverty.stats.spacetime.LisaMarkov`)
  with at least ``min_periods_markov``, on the run's weights.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from libpysal.graph import Graph
from scipy import stats

from spatial_poverty.stats.inference import adjust_pvalues
from spatial_poverty.stats.labels import TREND_CLASSES_EL
from spatial_poverty.stats.spacetime import EmergingHotSpots, LisaMarkov, mann_kendall

__all__ = ["TREND_CLASSES", "TREND_CLASSES_EL", "RegisterTrends", "register_trends"]

TREND_CLASSES = ("increasing", "decreasing", "no significant trend", "not computed")
Z95 = float(stats.norm.ppf(0.975))


@dataclass
class RegisterTrends:
    """Per municipality (``frame``, index: code) and, when computed, the space-time statistics' summaries."""

    frame: pd.DataFrame
    emerging: dict[str, Any] | None
    markov: dict[str, Any] | None


def _change(rates: pd.DataFrame, first: str, last: str) -> pd.DataFrame:
    a = rates[rates["period"] == first].set_index("code")
    b = rates[rates["period"] == last].set_index("code").reindex(a.index)
    c1 = a["count"].astype("Float64").to_numpy(float, na_value=np.nan)
    c2 = b["count"].astype("Float64").to_numpy(float, na_value=np.nan)
    n = a["denominator"].to_numpy(float)
    hidden = a["suppressed"].to_numpy(bool) | b["suppressed"].to_numpy(bool)
    ok = np.isfinite(c1) & np.isfinite(c2) & ~hidden
    change = np.where(ok, 1000 * (c2 - c1) / n, np.nan)
    se = np.where(ok, 1000 * np.sqrt(c1 + c2) / n, np.nan)
    both = ok & (c1 > 0) & (c2 > 0)
    with np.errstate(divide="ignore", invalid="ignore"):
        log_rr = np.where(both, np.log(c2 / c1), np.nan)
        se_log = np.where(both, np.sqrt(1 / c1 + 1 / c2), np.nan)
    return pd.DataFrame(
        {
            "period_first": first,
            "period_last": last,
            "rate_first": np.where(ok, a["rate"], np.nan),
            "rate_last": np.where(ok, b["rate"], np.nan),
            "change": change,
            "change_low": change - Z95 * se,
            "change_high": change + Z95 * se,
            "rate_ratio": np.exp(log_rr),
            "rate_ratio_low": np.exp(log_rr - Z95 * se_log),
            "rate_ratio_high": np.exp(log_rr + Z95 * se_log),
            "change_suppressed": hidden,
        },
        index=a.index,
    )


def register_trends(
    rates: pd.DataFrame,
    graph: Graph,
    *,
    correction: str,
    trend_alpha: float,
    alpha: float,
    min_periods_emerging: int,
    min_periods_markov: int,
    permutations: int,
    seed: int,
) -> RegisterTrends:
    """Change, trend class and space-time statistics of a register's rates (:func:`register_rates`' frame)."""
    periods = sorted(rates["period"].unique())
    panel = rates.pivot(index="code", columns="period", values="rate_eb").reindex(columns=periods)
    ids = pd.Index(graph.unique_ids)
    panel = panel.reindex(ids)
    frame = _change(rates, periods[0], periods[-1]).reindex(ids)
    frame["n_periods"] = len(periods)
    if len(periods) >= 3:
        tau, p, z = np.full(len(ids), np.nan), np.full(len(ids), np.nan), np.full(len(ids), np.nan)
        for i, code in enumerate(ids):
            series = panel.loc[code].to_numpy(float)
            series = series[np.isfinite(series)]  # a period without a rate for this unit is left out
            if series.size >= 3:
                mk = mann_kendall(series)
                tau[i], p[i], z[i] = mk.tau, mk.p, mk.z
        frame["mk_tau"], frame["mk_p"] = tau, p
        frame["mk_q"] = adjust_pvalues(p, correction)  # NaN stays NaN, and is never significant
        sig = frame["mk_q"].to_numpy() <= trend_alpha
        frame["trend"] = np.where(
            np.isnan(p),
            "not computed",
            np.where(sig & (z > 0), "increasing", np.where(sig & (z < 0), "decreasing", "no significant trend")),
        )
    else:
        frame["mk_tau"] = frame["mk_p"] = frame["mk_q"] = np.nan
        frame["trend"] = "not computed"
    frame["trend_el"] = frame["trend"].map(TREND_CLASSES_EL)
    frame["rate_eb_latest"] = panel[periods[-1]]
    frame.index.name = "code"
    emerging = markov = None
    incomplete = panel.index[panel.isna().any(axis=1)].tolist()
    if incomplete:  # a region with no known count in a period: no rate to put there, so no space-time statistics
        reason = f"not computed: no smoothed rate for {incomplete[:10]} in some period (no known count in the region)"
        return RegisterTrends(frame=frame, emerging={"skipped": reason}, markov={"skipped": reason})
    if len(periods) >= min_periods_emerging:
        ehsa = EmergingHotSpots(
            panel,
            graph,
            alpha=alpha,
            correction=correction,
            trend_alpha=trend_alpha,  # type: ignore[arg-type]
            permutations=permutations,
            seed=seed,
        )
        frame = frame.join(ehsa.to_frame()[["ehsa_category", "ehsa_category_el", "n_hot", "n_cold"]])
        emerging = {
            "periods": len(periods),
            "categories": {k: int(v) for k, v in ehsa.category.value_counts().sort_index().items()},
        }
    if len(periods) >= min_periods_markov:
        lm = LisaMarkov(panel, graph)
        markov = {
            "periods": len(periods),
            "transitions": lm.to_frame().astype(int).to_dict(orient="index"),
            "steady_state": [None if not np.isfinite(v) else round(float(v), 4) for v in lm.steady_state],
        }
    frame.index.name = "code"
    return RegisterTrends(frame=frame, emerging=emerging, markov=markov)
