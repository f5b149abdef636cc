"""Packages whose public names are imported on first use (PEP 562).

A package lists which of its modules defines each public name; ``from spatial_poverty.stats import
build_weights`` then imports only ``spatial_poverty.stats.weights`` (and what it needs), so a command that needs
the pipeline schema alone (``spatial-poverty validate``) does not pay for scipy, libpysal or matplotlib at start-up.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterable, Mapping
from typing import Any

__all__ = ["lazy_exports"]


def lazy_exports(package: str, modules: Mapping[str, Iterable[str]]) -> Callable[[str], Any]:
    """A module ``__getattr__`` for ``package`` that imports ``package.<module>`` when one of its names is asked.

    Examples
    --------
    In a package's ``__init__.py``::

        __getattr__ = lazy_exports(__name__, {"weights": ("build_weights",)})
    """
    where = {name: f"{package}.{module}" for module, names in modules.items() for name in names}

    def attribute(name: str) -> Any:
        if name in where:
            return getattr(importlib.import_module(where[name]), name)
        raise AttributeError(f"module {package!r} has no attribute {name!r}")

    return attribute
