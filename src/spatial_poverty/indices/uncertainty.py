"""Uncertainty and sensitivity of an index's ranks: seeded Monte Carlo over the modeller's choices.

Each run draws, independently: multipliers :math:`U(1-\\delta, 1+\\delta)` on every indicator and domain weight
(renormalised by the aggregation), a normalisation and an across-domain aggregation from the configured
alternatives (uniformly, the nominal one included), and, for indicators with a standard-error column, values
:math:`x + \\varepsilon`, :math:`\\varepsilon \\sim N(0, \\mathrm{SE}^2)`. Per unit it reports the median rank,
the 5-95 % rank band (linear interpolation between order statistics, R's type 7) and the share of runs in which
it falls in the most deprived decile (Saisana, Saltelli & Tarantola 2005).

First-order and total sensitivity indices of the mean absolute rank shift from the nominal ranking
:math:`Y = \\frac1n \\sum_i |r_i - r_i^0|` use Saltelli's pick-freeze design on two sample matrices A and B
(groups of factors allowed): with :math:`A_B^{(k)}` equal to A but with factor k taken from B,

.. math:: S_k = \\frac{\\frac1N \\sum_j f(B)_j \\left(f(A_B^{(k)})_j - f(A)_j\\right)}{V(Y)}, \\qquad
          S_{T,k} = \\frac{\\frac1{2N} \\sum_j \\left(f(A)_j - f(A_B^{(k)})_j\\right)^2}{V(Y)}

(Saltelli A. et al., "Variance based sensitivity analysis of model output", *Computer Physics Communications*
181, 259-270, 2010, Table 2 (b) and (f)). Rank statistics use the 2N runs of A and B.

Saisana M., Saltelli A., Tarantola S., "Uncertainty and sensitivity analysis techniques as tools for the quality
assessment of composite indicators", *J. R. Statist. Soc. A* 168(2), 307-323, 2005.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from spatial_poverty.indices.engine import Prepared, compute, deciles, rank_most_deprived, treat
from spatial_poverty.indices.spec import IndexSpec

__all__ = ["Uncertainty", "monte_carlo"]

logger = logging.getLogger(__name__)


@dataclass
class Uncertainty:
    """Per-unit rank distribution and per-factor sensitivity indices of a Monte Carlo."""

    summary: pd.DataFrame  # rank_p05, rank_p50, rank_p95, p_worst_decile (index = code)
    factors: list[str]
    runs: int
    seed: int
    first_order: dict[str, float] = field(default_factory=dict)
    total: dict[str, float] = field(default_factory=dict)
    mean_rank_shift: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        return {
            "runs": self.runs,
            "seed": self.seed,
            "factors": self.factors,
            "evaluations": self.runs * (2 + (len(self.factors) if self.first_order else 0)),
            "mean_abs_rank_shift": round(self.mean_rank_shift, 6),
            "first_order_sensitivity": {k: round(v, 6) for k, v in self.first_order.items()},
            "total_sensitivity": {k: round(v, 6) for k, v in self.total.items()},
            "mean_band_width": round(float((self.summary["rank_p95"] - self.summary["rank_p05"]).mean()), 6),
        }


def _factors(prep: Prepared, spec: IndexSpec) -> list[str]:
    u = spec.uncertainty
    out = []
    if u.weight_noise > 0:
        out.append("weights")
    if len(spec.normalisations) > 1:
        out.append("normalisation")
    if len(dict.fromkeys([spec.aggregation.across_domains, *u.aggregations])) > 1:
        out.append("aggregation")
    if u.indicator_se and (prep.se.to_numpy() > 0).any():
        out.append("indicator_se")
    return out


def _draw(rng: np.random.Generator, n: int, spec: IndexSpec) -> dict[str, Any]:
    u = spec.uncertainty
    k = len(spec.indicators) + len(spec.domains)
    aggs = list(dict.fromkeys([spec.aggregation.across_domains, *u.aggregations]))
    norms = spec.normalisations
    return {
        "weights": rng.uniform(1 - u.weight_noise, 1 + u.weight_noise, size=(n, k)),
        "normalisation": rng.integers(0, len(norms), size=n),
        "aggregation": rng.integers(0, len(aggs), size=n),
        "indicator_se": rng.integers(0, 2**63 - 1, size=n, dtype=np.int64),
    }


def monte_carlo(prep: Prepared, spec: IndexSpec, *, seed: int) -> Uncertainty:
    """Run the Monte Carlo of ``spec.uncertainty`` on prepared values; identical for identical seeds.

    With no factor to vary (or ``runs: 0``) the band collapses onto the nominal rank.
    """
    u = spec.uncertainty
    nominal = compute(prep.values, spec, seed=seed)
    r0 = rank_most_deprived(nominal.score).to_numpy(dtype=float)
    units = prep.values.index
    factors = _factors(prep, spec)
    if u.runs == 0 or not factors:
        summary = pd.DataFrame(
            {
                "rank_p05": r0,
                "rank_p50": r0,
                "rank_p95": r0,
                "p_worst_decile": (deciles(pd.Series(r0, index=units)) == 1).astype(float).to_numpy(),
            },
            index=units,
        )
        return Uncertainty(summary, factors, 0, seed)
    rng = np.random.default_rng(seed)
    n = u.runs
    a, b = _draw(rng, n, spec), _draw(rng, n, spec)
    aggs = list(dict.fromkeys([spec.aggregation.across_domains, *u.aggregations]))
    norms = spec.normalisations
    lower = prep.values.min().clip(upper=0.0)  # truncation of perturbed values: at 0 for non-negative data
    needs_positive = {i.column for i in spec.indicators if i.transform != "none"}
    fixed = None if "indicator_se" in factors else treat(prep.values, spec)  # treat once if values never change

    def ranks(sample: dict[str, Any], j: int) -> np.ndarray:
        values = prep.values
        if "indicator_se" in factors:
            noise = np.random.default_rng(int(sample["indicator_se"][j])).standard_normal(values.shape)
            values = (values + noise * prep.se.to_numpy()).clip(lower=lower, axis=1)
            for c in needs_positive:  # keep the transform defined: no value below the observed minimum
                values[c] = values[c].clip(lower=prep.values[c].min())
        res = compute(
            values,
            spec,
            normalisation=norms[int(sample["normalisation"][j])] if "normalisation" in factors else None,
            across=aggs[int(sample["aggregation"][j])] if "aggregation" in factors else None,
            multipliers=sample["weights"][j] if "weights" in factors else None,
            seed=seed,
            treated=fixed,
        )
        return np.asarray(stats.rankdata(-res.score.to_numpy(), method="min"), dtype=float)

    ra = np.vstack([ranks(a, j) for j in range(n)])
    rb = np.vstack([ranks(b, j) for j in range(n)])
    all_ranks = np.vstack([ra, rb])
    worst = np.ceil(all_ranks * 10 / len(units)) <= 1
    summary = pd.DataFrame(
        {
            "rank_p05": np.percentile(all_ranks, 5, axis=0),
            "rank_p50": np.percentile(all_ranks, 50, axis=0),
            "rank_p95": np.percentile(all_ranks, 95, axis=0),
            "p_worst_decile": worst.mean(axis=0),
        },
        index=units,
    )
    ya = np.abs(ra - r0).mean(axis=1)
    yb = np.abs(rb - r0).mean(axis=1)
    var = float(np.concatenate([ya, yb]).var())
    first: dict[str, float] = {}
    total: dict[str, float] = {}
    if u.sensitivity:
        for f in factors:
            mixed = {k: (b[k] if k == f else a[k]) for k in a}
            yab = np.array([np.abs(ranks(mixed, j) - r0).mean() for j in range(n)])
            first[f] = float(np.mean(yb * (yab - ya)) / var) if var > 0 else 0.0
            total[f] = float(np.mean((ya - yab) ** 2) / (2 * var)) if var > 0 else 0.0
    logger.info(
        "index %s: %d Monte Carlo runs over %s; mean |rank shift| %.2f; first-order %s",
        spec.name,
        2 * n,
        factors,
        float(np.concatenate([ya, yb]).mean()),
        {k: round(v, 3) for k, v in first.items()},
    )
    return Uncertainty(summary, factors, n, seed, first, total, float(np.concatenate([ya, yb]).mean()))
