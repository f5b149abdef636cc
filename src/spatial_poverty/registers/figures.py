"""The figures of a register: its rate per region over time, and a map of the latest smoothed rates (suppressed
cells left blank, never drawn as numbers)."""

from __future__ import annotations

import os
from pathlib import Path

import geopandas as gpd
import pandas as pd

from spatial_poverty.maps.static import choropleth, save_figure
from spatial_poverty.registers.rates import regional_series

__all__ = ["regional_series", "register_figures"]


def register_figures(
    stem: str | os.PathLike[str],
    rates: pd.DataFrame,
    published_latest: gpd.GeoDataFrame,
    region: pd.Series,
    *,
    title: str,
    unit: str,
    attribution: str,
    lang: str,
    formats: tuple[str, ...],
) -> dict[str, list[Path]]:
    """Write ``<stem>_series`` (rate per region and period) and ``<stem>_map`` (latest ``rate_eb``)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    stem = Path(stem)
    series = regional_series(rates, region)
    fig, ax = plt.subplots(figsize=(7.5, 4.0))
    ax.set_prop_cycle(color=plt.get_cmap("tab20").colors)
    for reg, grp in series.groupby("region", sort=True):
        ax.plot(grp["period"], grp["rate"], marker="o", markersize=2.5, linewidth=1.2, label=str(reg))
    ticks = sorted(series["period"].unique())
    step = max(1, len(ticks) // 8)
    ax.set_xticks(ticks[::step])
    ax.tick_params(axis="x", labelrotation=45, labelsize=7)
    ax.set_ylabel(unit)
    ax.set_title(title, fontsize=9)
    ax.grid(alpha=0.3)
    ax.text(1.0, -0.32, attribution, transform=ax.transAxes, ha="right", va="top", fontsize=6)
    if series["region"].nunique() > 1:
        ax.legend(fontsize=6, ncol=2, frameon=False)
    fig.tight_layout()
    out = {"series": save_figure(fig, stem.with_name(f"{stem.name}_series"), formats=formats)}
    plt.close(fig)
    latest = published_latest.period.iloc[0] if "period" in published_latest else ""
    fig = choropleth(
        published_latest,
        "rate_eb",
        label=("Εξομαλυμένος δείκτης" if lang == "el" else "Smoothed rate") + f" {latest}",
        unit=unit,
        title=title,
        attribution=attribution,
        lang=lang,  # type: ignore[arg-type]
    )
    out["map"] = save_figure(fig, stem.with_name(f"{stem.name}_map"), formats=formats)
    plt.close(fig)
    return out
