"""The names a run makes, in one place: its inputs, its local-statistics layers, its bivariate layers and the
folder of its figures. The stages that make them, the plan of ``run --dry-run`` and the report read them here.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from spatial_poverty.pipeline.config import ACCESS_SOURCES, CONTEXT_SOURCES, HARMONISE_SOURCES

if TYPE_CHECKING:
    from spatial_poverty.pipeline.config import PipelineConfig

__all__ = [
    "FIGURES_DIR",
    "FIGURE_FORMATS",
    "REGISTER_FILES",
    "SAE_LAYER",
    "bivariate_name",
    "local_layers",
    "register_figure_names",
    "register_layers",
    "sae_figure_names",
    "source_ids",
]

#: The folder of the static figures in a published run, and their formats (``maps.static.save_figure``'s default).
FIGURES_DIR = "figures"
FIGURE_FORMATS = ("png", "pdf")
#: The files of the registers stage: its data-quality table (CSV, HTML) and the counts of divided 2011 units.
REGISTER_FILES = ("registers_quality.csv", "registers_quality.html", "register_splits.csv")
#: The layer of the AROPE estimates per municipality and group (stage sae).
SAE_LAYER = "poverty_sae"


def source_ids(cfg: PipelineConfig) -> list[str]:
    """The catalogue ids a run reads (the targets' series aside), each once, in the order the run verifies them."""
    s = cfg.sources
    keys: list[str] = []
    if any(getattr(s, k, None) for k in HARMONISE_SOURCES):
        keys += HARMONISE_SOURCES
    keys += CONTEXT_SOURCES
    if cfg.access is not None:
        keys += ACCESS_SOURCES
    ids = [s.boundaries, s.population, *(getattr(s, k) for k in keys if getattr(s, k, None))]
    ids += [sid for reg in s.registers.values() for sid in reg.source_ids]
    if cfg.sae_enabled:
        ids.append(cfg.sae.survey)  # type: ignore[union-attr]
    return list(dict.fromkeys(ids))


def bivariate_name(x: str, y: str) -> str:
    """The layer (and figure) of the bivariate LISA of ``x`` against the spatial lag of ``y``."""
    return f"bilisa_{x}_vs_{y}"


def local_layers(cfg: PipelineConfig) -> dict[str, str]:
    """``lisa_<var>``, ``gistar_<var>``, ``local_geary_<var>`` (one layer per local statistic and variable): var."""
    return {f"{stat}_{v}": v for v in cfg.statistics.variables for stat in cfg.statistics.local_statistics}


def register_layers(cfg: PipelineConfig) -> list[str]:
    """``register_<name>`` (municipality x period) and ``register_<name>_trend`` of every register."""
    return [f"register_{name}{tail}" for name in cfg.sources.registers for tail in ("", "_trend")]


def sae_figure_names(cfg: PipelineConfig) -> list[str]:
    """The figures of the AROPE estimates: a map per group and the direct against the model CVs."""
    if not cfg.sae_enabled:
        return []
    return [f"sae_{g}_map" for g in cfg.sae.groups] + ["sae_cv"]  # type: ignore[union-attr]


def register_figure_names(cfg: PipelineConfig) -> list[str]:
    """The figures of every register: its rate per region over time and its latest smoothed rates."""
    return [f"register_{name}_{kind}" for name in cfg.sources.registers for kind in ("series", "map")]
