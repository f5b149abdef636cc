"""Composite deprivation and vulnerability indices with their uncertainty (the JRC/OECD method).

Spec (:class:`IndexSpec`, the ``index:`` section of a pipeline) -> :func:`build_index` (outliers, normalisation,
weights, aggregation) -> :func:`monte_carlo` (rank bands, sensitivity) -> :func:`run_index` (layer and tables).
Works on any frame indexed by the 4-digit municipality code. See ``docs/indices.md``.

Its names are imported on first use (:mod:`spatial_poverty.lazy`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from spatial_poverty.lazy import lazy_exports

if TYPE_CHECKING:
    from spatial_poverty.indices.engine import (
        IndexResult,
        Prepared,
        build_index,
        compute,
        deciles,
        diagnostics,
        prepare,
        rank_most_deprived,
    )
    from spatial_poverty.indices.methods import (
        IMD_LAMBDA,
        OutlierTreatment,
        aggregate,
        cronbach_alpha,
        factor_weights,
        imd_exponential,
        jrc_outliers,
        kurtosis,
        mazziotta_pareto,
        normalise,
        pca_scores,
        skewness,
        varimax,
    )
    from spatial_poverty.indices.output import IndexStage, greek_headers, index_table, run_index, write_index_tables
    from spatial_poverty.indices.spec import RECIPES, IndexSpec, load_recipe
    from spatial_poverty.indices.uncertainty import Uncertainty, monte_carlo

__all__ = [
    "IMD_LAMBDA",
    "RECIPES",
    "IndexResult",
    "IndexSpec",
    "IndexStage",
    "OutlierTreatment",
    "Prepared",
    "Uncertainty",
    "aggregate",
    "build_index",
    "compute",
    "cronbach_alpha",
    "deciles",
    "diagnostics",
    "factor_weights",
    "greek_headers",
    "imd_exponential",
    "index_table",
    "jrc_outliers",
    "kurtosis",
    "load_recipe",
    "mazziotta_pareto",
    "monte_carlo",
    "normalise",
    "pca_scores",
    "prepare",
    "rank_most_deprived",
    "run_index",
    "skewness",
    "varimax",
    "write_index_tables",
]

__getattr__ = lazy_exports(
    __name__,
    {
        "engine": (
            "IndexResult",
            "Prepared",
            "build_index",
            "compute",
            "deciles",
            "diagnostics",
            "prepare",
            "rank_most_deprived",
        ),
        "methods": (
            "IMD_LAMBDA",
            "OutlierTreatment",
            "aggregate",
            "cronbach_alpha",
            "factor_weights",
            "imd_exponential",
            "jrc_outliers",
            "kurtosis",
            "mazziotta_pareto",
            "normalise",
            "pca_scores",
            "skewness",
            "varimax",
        ),
        "output": (
            "IndexStage",
            "greek_headers",
            "index_table",
            "run_index",
            "write_index_tables",
        ),
        "spec": (
            "RECIPES",
            "IndexSpec",
            "load_recipe",
        ),
        "uncertainty": (
            "Uncertainty",
            "monte_carlo",
        ),
    },
)
