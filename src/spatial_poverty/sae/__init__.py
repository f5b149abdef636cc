"""Small-area estimation: survey direct estimates with their design variance (:mod:`~spatial_poverty.sae.direct`)
and the Fay-Herriot area-level model with its MSE, proportions, benchmarking and quality classes
(:mod:`~spatial_poverty.sae.fh`); a design-based simulation on SYNTHETIC data (:mod:`~spatial_poverty.sae.simulate`).

In a pipeline (the ``sae:`` section, :mod:`~spatial_poverty.sae.spec`): the survey read and placed on the 2021
municipalities (:mod:`~spatial_poverty.sae.survey`), AROPE per municipality and group
(:mod:`~spatial_poverty.sae.municipal`), a SYNTHETIC EU-SILC-like survey with its truth
(:mod:`~spatial_poverty.sae.synthetic_survey`) and ``data import-survey`` (:mod:`~spatial_poverty.sae.importing`).
Methods and conventions: ``docs/sae.md``.

The names below are loaded on first use, so that reading a pipeline's ``sae:`` section does not load numpy.
"""

from __future__ import annotations

import importlib
from typing import Any

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

_WHERE = {"Design": "direct", "direct_estimates": "direct"}


def __getattr__(name: str) -> Any:
    if name not in __all__:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{_WHERE.get(name, 'fh')}"), name)
