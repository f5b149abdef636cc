"""The figures of the AROPE estimates: a map per group (quantile classes of the published estimates, flagged ones
hatched, suppressed ones grey and without a number) and the direct against the model CVs."""

from __future__ import annotations

import os
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

from spatial_poverty.maps.static import choropleth, save_figure

__all__ = ["cv_figure", "group_map"]

_TEXT = {
    "el": {
        "estimate": "Εκτίμηση AROPE",
        "note": "Διαγράμμιση: CV 20-33,3% (με προσοχή) · Γκρι: απόκρυψη (CV > 33,3%), χωρίς αριθμό",
        "direct": "CV άμεσης εκτίμησης",
        "model": "CV εκτίμησης μοντέλου",
        "publish": "δημοσιεύσιμοι δήμοι (CV ≤ 20%): άμεση {d}, μοντέλο {m}",
    },
    "en": {
        "estimate": "AROPE estimate",
        "note": "Hatched: CV 20-33.3% (read with care) · Grey: suppressed (CV > 33.3%), no number shown",
        "direct": "CV of the direct estimate",
        "model": "CV of the model estimate",
        "publish": "publishable municipalities (CV ≤ 20%): direct {d}, model {m}",
    },
}


def group_map(
    stem: str | os.PathLike[str],
    rows: pd.DataFrame,
    geometry: gpd.GeoDataFrame,
    *,
    title: str,
    attribution: str,
    lang: str,
    formats: tuple[str, ...],
) -> list[Path]:
    """A map of one group's ``rows`` (the layer's rows, suppression applied) on ``geometry`` (indexed by code)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    t = _TEXT[lang]
    g = geometry[["geometry"]].join(rows[["estimate", "quality"]])
    g["estimate_pct"] = g["estimate"] * 100
    fig = choropleth(g, "estimate_pct", label=t["estimate"], unit="%", title=title, attribution=attribution,
                     lang=lang)  # type: ignore[arg-type]  # fmt: skip
    ax = fig.axes[0]
    suppressed = g[g["quality"] == "suppress"]
    if len(suppressed):
        suppressed.plot(ax=ax, color="#bdbdbd", edgecolor="#444444", linewidth=0.2)
    flagged = g[g["quality"] == "flag"]
    if len(flagged):
        flagged.plot(ax=ax, facecolor="none", edgecolor="#333333", hatch="////", linewidth=0.0)
    fig.text(0.99, 0.035, t["note"], fontsize=6, ha="right", va="bottom")
    out = save_figure(fig, Path(stem), formats=formats)
    plt.close(fig)
    return out


def cv_figure(
    stem: str | os.PathLike[str],
    cvs: dict[str, tuple[pd.Series, pd.Series, str]],
    *,
    title: str,
    attribution: str,
    lang: str,
    formats: tuple[str, ...],
    thresholds: tuple[float, float],
) -> list[Path]:
    """Direct against model CVs (in %) of the municipalities in sample, one panel per group; ``cvs`` maps a group
    to (direct CVs, model CVs, its title)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    t = _TEXT[lang]
    n = len(cvs)
    fig, axes = plt.subplots(1, n, figsize=(3.2 * n, 3.6), squeeze=False)
    lo, hi = (100 * x for x in thresholds)
    for ax, (_g, (direct, model, label)) in zip(axes[0], cvs.items(), strict=True):
        both = pd.concat({"d": direct, "m": model}, axis=1).dropna() * 100
        top = float(np.nanpercentile(both.to_numpy(), 98)) if len(both) else 100.0
        top = max(top, hi * 1.3)
        ax.scatter(both["d"].clip(upper=top), both["m"].clip(upper=top), s=6, alpha=0.6, color="#b2182b")
        ax.plot([0, top], [0, top], color="#777777", linewidth=0.8)
        for v in (lo, hi):
            ax.axhline(v, color="#2166ac", linewidth=0.6, linestyle="--")
            ax.axvline(v, color="#2166ac", linewidth=0.6, linestyle="--")
        ax.set_xlim(0, top)
        ax.set_ylim(0, top)
        ax.set_xlabel(t["direct"] + " (%)", fontsize=7)
        ax.set_ylabel(t["model"] + " (%)", fontsize=7)
        d_pub = int((direct <= thresholds[0]).sum())
        m_pub = int((model <= thresholds[0]).sum())
        ax.set_title(f"{label}\n" + t["publish"].format(d=d_pub, m=m_pub), fontsize=7)
        ax.tick_params(labelsize=6)
    fig.suptitle(title, fontsize=9)
    fig.text(0.99, 0.01, attribution, fontsize=6, ha="right", va="bottom")
    fig.tight_layout(rect=(0, 0.03, 1, 0.95))
    out = save_figure(fig, Path(stem), formats=formats)
    plt.close(fig)
    return out
