"""Small-area estimation: survey direct estimates with their design variance (:mod:`~spatial_poverty.sae.direct`)
and the Fay-Herriot area-level model with its MSE, proportions, benchmarking and quality classes
(:mod:`~spatial_poverty.sae.fh`); a design-based simulation on SYNTHETIC data (:mod:`~spatial_poverty.sae.simulate`).
Methods and conventions: ``docs/sae.md``.
"""

from spatial_poverty.sae.direct import Design, direct_estimates
from spatial_poverty.sae.fh import FHResult, benchmark, bootstrap_mse, fit_fh, prasad_rao_mse, quality_class

__all__ = [
    "Design",
    "FHResult",
    "benchmark",
    "bootstrap_mse",
    "direct_estimates",
    "fit_fh",
    "prasad_rao_mse",
    "quality_class",
]
