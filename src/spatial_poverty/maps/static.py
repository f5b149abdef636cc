"""Static maps and charts of a run (matplotlib): PNG at 300 dpi and PDF, Greek text, small islands kept visible.

Every function takes the package's result objects (the ``municipalities`` GeoDataFrame indexed by code, a LISA
frame from :meth:`~spatial_poverty.stats.LocalMoran.to_frame`, a Gi* or index table) and returns a
:class:`matplotlib.figure.Figure`, so a notebook can show it, restyle it or save it with :func:`save_figure`.

Layout choices (for councils and reports on island regions):

* Every municipality keeps a visible footprint: a polygon whose drawn size is under ``min_footprint_mm`` is also
  drawn as a circle marker of that diameter, in its class colour, at a point inside it. The South Aegean's
  smallest municipalities (Megisti 12 km², Agathonisi 14 km², Leipsoi 17 km²) would otherwise be a pixel or two.
* A graticule (degrees, WGS84, drawn in the map's projected CRS) with labelled ticks, a north arrow, a scale bar
  in km (the CRS must be projected in metres, as EPSG:2100 is) and a source line.
* Text uses DejaVu Sans (shipped with matplotlib), which has the Greek glyphs; PDFs embed it as TrueType.
"""

from __future__ import annotations

import logging
import os
import textwrap
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import geopandas as gpd
import mapclassify
import matplotlib as mpl
import numpy as np
import pandas as pd
import shapely
from matplotlib.axes import Axes
from matplotlib.collections import PathCollection
from matplotlib.colors import to_hex
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch, PathPatch
from matplotlib.path import Path as MplPath
from matplotlib.ticker import FuncFormatter
from mpl_toolkits.axes_grid1.anchored_artists import AnchoredSizeBar

from spatial_poverty.errors import ExportError
from spatial_poverty.formatting import number
from spatial_poverty.maps.layout import declutter, text_defects
from spatial_poverty.stats.labels import CLUSTER_EL, NO_NEIGHBOURS, NOT_SIGNIFICANT

__all__ = [
    "CLUSTER_COLOURS",
    "DPI",
    "FONT",
    "GISTAR_COLOURS",
    "Lang",
    "MapLabel",
    "choropleth",
    "drawn_footprints_mm",
    "gistar_map",
    "lisa_cluster_map",
    "moran_scatterplot",
    "save_figure",
    "significance_map",
    "static_rc",
    "write_run_maps",
]

logger = logging.getLogger(__name__)

Lang = Literal["el", "en"]

#: Resolution of the PNG files.
DPI = 300
#: A font with Greek glyphs that ships with matplotlib itself (no system font needed).
FONT = "DejaVu Sans"

#: GeoDa's LISA cluster colours, keyed by the English cluster label of the LISA frame's ``cluster`` column.
CLUSTER_COLOURS: dict[str, str] = {
    "High-High": "#ff0000",
    "Low-Low": "#0000ff",
    "Low-High": "#a7adf9",
    "High-Low": "#f4ada8",
    NOT_SIGNIFICANT: "#eeeeee",
}

#: GeoDa's significance-map greens, by pseudo p-value threshold.
_SIGNIFICANCE = ((0.001, "#348124"), (0.01, "#53c53c"), (0.05, "#84f576"))

#: Gi* bins (-3..3: cold/hot spot at 99, 95, 90 % confidence) and their colours (as in esda/splot's hot-spot maps).
GISTAR_COLOURS: dict[int, str] = {
    3: "#d7191c",
    2: "#fd8d3c",
    1: "#fed9a6",
    0: "#eeeeee",
    -1: "#c6dbef",
    -2: "#6baed6",
    -3: "#2c7bb6",
}
_GISTAR_CONF = {3: 99, 2: 95, 1: 90}

_SCHEMES_EL = {
    "Quantiles": "ποσοστημόρια",
    "FisherJenks": "φυσικά διαλείμματα (Fisher-Jenks)",
    "NaturalBreaks": "φυσικά διαλείμματα",
    "EqualInterval": "ίσα διαστήματα",
    "StdMean": "τυπικές αποκλίσεις",
    "BoxPlot": "θηκόγραμμα",
}
_SCHEMES_EN = {"Quantiles": "quantiles", "FisherJenks": "natural breaks (Fisher-Jenks)"}

_TEXT: dict[str, dict[str, str]] = {
    "el": {
        "north": "Β",
        "not_significant": "μη σημαντικό",
        "significance": "Σημαντικότητα LISA (ψευδο-p, {n} μεταθέσεις)",
        "significance_q": "Σημαντικότητα LISA (q μετά από διόρθωση, {n} μεταθέσεις)",
        "clusters": "Συστάδες LISA ({rule} ≤ {alpha:g})",
        "hot": "Θερμό σημείο {c}%",
        "cold": "Ψυχρό σημείο {c}%",
        "gistar": "Getis-Ord Gi*",
        "scatter_x": "{label} (τυποποιημένη τιμή z)",
        "scatter_y": "Χωρική υστέρηση του z",
        "moran": "I του Moran = {I}",
        "classes": "{scheme}, k = {k}",
        "small": "○ μικρά νησιά: σημείο στη θέση του δήμου",
        "missing": "χωρίς τιμή",
    },
    "en": {
        "north": "N",
        "not_significant": "not significant",
        "significance": "LISA significance (pseudo p, {n} permutations)",
        "significance_q": "LISA significance (adjusted q, {n} permutations)",
        "clusters": "LISA clusters ({rule} ≤ {alpha:g})",
        "hot": "Hot spot {c}%",
        "cold": "Cold spot {c}%",
        "gistar": "Getis-Ord Gi*",
        "scatter_x": "{label} (standardised value z)",
        "scatter_y": "Spatial lag of z",
        "moran": "Moran's I = {I}",
        "classes": "{scheme}, k = {k}",
        "small": "○ small islands: a point where the municipality is",
        "missing": "no value",
    },
}


def static_rc() -> dict[str, Any]:
    """The matplotlib settings of every static figure (font with Greek glyphs, fonts embedded in PDFs)."""
    return {
        "font.family": "sans-serif",
        "font.sans-serif": [FONT],
        "pdf.fonttype": 42,
        "ps.fonttype": 42,
        "svg.fonttype": "none",
        "axes.unicode_minus": True,
        "figure.dpi": 100,
        "savefig.dpi": DPI,
    }


@contextmanager
def _rc() -> Iterator[None]:
    with mpl.rc_context(static_rc()):  # type: ignore[arg-type]  # keys are valid rcParams
        yield


# ------------------------------------------------------------------------------------------ geometry drawing


def _ring_codes(n: int) -> list[np.uint8]:
    return [MplPath.MOVETO] + [MplPath.LINETO] * (n - 2) + [MplPath.CLOSEPOLY]


def _to_path(geom: shapely.Geometry) -> MplPath:
    """A (Multi)Polygon as one matplotlib path (holes included)."""
    verts: list[np.ndarray] = []
    codes: list[np.uint8] = []
    for poly in getattr(geom, "geoms", [geom]):
        if poly.is_empty:
            continue
        for ring in (poly.exterior, *poly.interiors):
            xy = np.asarray(ring.coords)[:, :2]
            if len(xy) < 3:
                continue
            verts.append(xy)
            codes.extend(_ring_codes(len(xy)))
    if not verts:
        return MplPath(np.empty((0, 2)))
    return MplPath(np.concatenate(verts), codes)


def _check_crs(gdf: gpd.GeoDataFrame, what: str) -> None:
    if gdf.crs is None or not gdf.crs.is_projected:
        raise ExportError(
            f"{what} needs municipalities in a projected CRS in metres (such as EPSG:2100); "
            f"{gdf.crs!r} was given instead"
        )
    unit = gdf.crs.axis_info[0].unit_name if gdf.crs.axis_info else ""
    if unit not in ("metre", "meter"):
        raise ExportError(f"{what} needs a CRS in metres for the scale bar; its unit is {unit!r}")


@dataclass(frozen=True)
class _Drawn:
    """What :func:`_draw_units` put on the axes, for tests and callers: one patch per code, markers for the small."""

    patches: dict[str, PathPatch]
    markers: dict[str, tuple[float, float]]
    marker_mm: float


def _draw_units(ax: Axes, gdf: gpd.GeoDataFrame, colours: pd.Series, *, map_width_mm: float) -> dict[str, PathPatch]:
    """Draw every unit in its colour, one patch per code (``gid`` ``unit:<code>``)."""
    xmin, ymin, xmax, ymax = gdf.total_bounds
    pad = 0.04 * max(xmax - xmin, ymax - ymin)
    xmin, xmax, ymin, ymax = xmin - pad, xmax + pad, ymin - pad, ymax + pad
    tol = 0.25 * (xmax - xmin) / map_width_mm  # simplification below a quarter millimetre on paper
    patches: dict[str, PathPatch] = {}
    for code, geom in gdf.geometry.items():
        patch = PathPatch(
            _to_path(geom.simplify(tol, preserve_topology=True)),
            facecolor=colours.loc[code],
            edgecolor="#444444",
            linewidth=0.3,
            gid=f"unit:{code}",
        )
        ax.add_patch(patch)
        patches[str(code)] = patch
    ax.set_xlim(xmin, xmax)
    ax.set_ylim(ymin, ymax)
    ax.set_aspect("equal")
    return patches


def _mm_per_m(ax: Axes) -> float:
    """Paper millimetres per map metre, once the layout is done."""
    fig = ax.get_figure()
    if fig is None:  # pragma: no cover - axes always belong to a figure here
        return 0.0
    xmin, xmax = ax.get_xlim()
    width_in = ax.get_window_extent().width / fig.dpi
    return width_in * 25.4 / (xmax - xmin)


def _small_units(
    gdf: gpd.GeoDataFrame, patches: Mapping[str, PathPatch], mm_per_m: float, min_footprint_mm: float
) -> dict[str, tuple[float, float]]:
    """Units drawn smaller than ``min_footprint_mm`` (square root of the drawn area on paper), with a point
    inside each (inside its largest part)."""
    out = {}
    for code, geom in gdf.geometry.items():
        size_mm = np.sqrt(_path_area(patches[str(code)].get_path())) * mm_per_m
        if size_mm < min_footprint_mm:
            parts = list(getattr(geom, "geoms", [geom]))
            p = max(parts, key=lambda g: g.area).representative_point()
            out[str(code)] = (p.x, p.y)
    return out


def _graticule(ax: Axes, crs: object, lang: Lang) -> None:
    """Meridians and parallels every degree (or half degree), labelled where they meet the frame."""
    xmin, xmax = ax.get_xlim()
    ymin, ymax = ax.get_ylim()
    frame = gpd.GeoSeries([shapely.box(xmin, ymin, xmax, ymax)], crs=crs).to_crs(4326)
    lon0, lat0, lon1, lat1 = frame.total_bounds
    step = 1.0 if max(lon1 - lon0, lat1 - lat0) > 3 else 0.5
    lons = np.arange(np.floor(lon0 / step) * step, lon1 + step, step)
    lats = np.arange(np.floor(lat0 / step) * step, lat1 + step, step)
    east, north = ("Α", "Β") if lang == "el" else ("E", "N")
    xticks: list[tuple[float, str]] = []
    yticks: list[tuple[float, str]] = []
    lines = []
    for lon in lons:
        lines.append((shapely.LineString([(lon, la) for la in np.linspace(lat0 - 1, lat1 + 1, 60)]), "lon", lon))
    for lat in lats:
        lines.append((shapely.LineString([(lo, lat) for lo in np.linspace(lon0 - 1, lon1 + 1, 60)]), "lat", lat))
    projected = gpd.GeoSeries([g for g, _, _ in lines], crs=4326).to_crs(crs)
    bottom = shapely.LineString([(xmin, ymin), (xmax, ymin)])
    left = shapely.LineString([(xmin, ymin), (xmin, ymax)])
    for (_, kind, value), line in zip(lines, projected, strict=True):
        xy = np.asarray(line.coords)
        ax.plot(xy[:, 0], xy[:, 1], color="#9aa7b0", linewidth=0.35, linestyle=(0, (4, 3)), zorder=0.5)
        label = f"{value:g}°{east if kind == 'lon' else north}"
        hit = line.intersection(bottom if kind == "lon" else left)
        if hit.is_empty or hit.geom_type != "Point":
            continue
        if kind == "lon":
            xticks.append((hit.x, label))
        else:
            yticks.append((hit.y, label))
    ax.set_xticks([x for x, _ in xticks], [t for _, t in xticks])
    ax.set_yticks([y for y, _ in yticks], [t for _, t in yticks])
    ax.tick_params(labelsize=6, length=2, colors="#555555")
    ax.set_xlim(xmin, xmax)
    ax.set_ylim(ymin, ymax)


def _nice_length(span_m: float) -> float:
    target = span_m / 5
    exp = 10 ** np.floor(np.log10(target))
    for f in (5, 2, 1):
        if f * exp <= target:
            return float(f * exp)
    return float(exp)


def _furniture(ax: Axes, crs: object, *, lang: Lang, attribution: str, title: str | None) -> None:
    """Graticule, north arrow, scale bar, title and the source line."""
    _graticule(ax, crs, lang)
    xmin, xmax = ax.get_xlim()
    length = _nice_length(xmax - xmin)
    bar = AnchoredSizeBar(
        ax.transData,
        length,
        f"{length / 1000:g} km",
        loc="lower left",
        pad=0.6,
        borderpad=0.8,
        sep=3,
        frameon=True,
        size_vertical=(ax.get_ylim()[1] - ax.get_ylim()[0]) / 250,
        fontproperties={"size": 7},
    )
    bar.patch.set_alpha(0.8)
    bar.patch.set_edgecolor("none")
    ax.add_artist(bar)
    ax.annotate(
        _TEXT[lang]["north"],
        xy=(0.955, 0.95),
        xytext=(0.955, 0.84),
        xycoords="axes fraction",
        ha="center",
        va="center",
        fontsize=10,
        fontweight="bold",
        arrowprops={"arrowstyle": "-|>", "facecolor": "black", "lw": 1.2},
        gid="north-arrow",
    )
    if title:
        ax.set_title(title, fontsize=10, loc="left")
    ax.figure.text(
        0.01, 0.01, attribution, fontsize=6, color="#333333", ha="left", va="bottom", gid="attribution", wrap=True
    )


def _map_figure(
    gdf: gpd.GeoDataFrame,
    colours: pd.Series,
    handles: list[Patch | Line2D],
    legend_title: str,
    *,
    lang: Lang,
    attribution: str,
    title: str | None,
    min_footprint_mm: float,
    width_in: float = 7.5,
) -> Figure:
    """A map of ``gdf`` in ``colours`` with its legend and furniture; small units get a marker.

    The markers are chosen after the layout is done, from the real scale on paper, so that every unit ends with
    a footprint of at least ``min_footprint_mm``.
    """
    xmin, ymin, xmax, ymax = gdf.total_bounds
    aspect = (ymax - ymin) / max(xmax - xmin, 1.0)
    map_w = width_in * 0.64
    fig = Figure(figsize=(width_in, max(3.2, map_w * aspect + 1.0)), layout="constrained")
    ax = fig.add_subplot()
    patches = _draw_units(ax, gdf, colours, map_width_mm=map_w * 25.4)
    _furniture(ax, gdf.crs, lang=lang, attribution=attribution, title=title)

    def legend(extra: list[Patch | Line2D]) -> None:
        leg = ax.legend(
            handles=[*handles, *extra],
            title=legend_title,
            loc="upper left",
            bbox_to_anchor=(1.02, 1.0),
            fontsize=7,
            title_fontsize=7.5,
            frameon=False,
            alignment="left",
        )
        leg.set_gid("legend")

    legend([])
    fig.draw_without_rendering()
    diameter_pt = min_footprint_mm / 25.4 * 72
    markers: dict[str, tuple[float, float]] = {}
    scatter = None
    for _ in range(3):  # adding the markers' legend entry can narrow the map: check again after each layout
        small = _small_units(gdf, patches, _mm_per_m(ax), min_footprint_mm)
        if set(small) <= set(markers):
            break
        markers |= small
        if scatter is not None:
            scatter.remove()
        codes = list(markers)
        xy = np.array([markers[c] for c in codes])
        scatter = ax.scatter(
            xy[:, 0],
            xy[:, 1],
            s=diameter_pt**2,
            c=[colours.loc[c] for c in codes],
            edgecolors="#222222",
            linewidths=0.6,
            zorder=5,
            gid="small-units:" + ",".join(codes),
        )
        legend(
            [
                Line2D(
                    [],
                    [],
                    marker="o",
                    linestyle="none",
                    markerfacecolor="white",
                    markeredgecolor="#222222",
                    markersize=diameter_pt,
                    label=_TEXT[lang]["small"].removeprefix("○ "),
                )
            ]
        )
        fig.draw_without_rendering()
    fig.sp_drawn = _Drawn(patches, markers, min_footprint_mm)  # type: ignore[attr-defined]
    return fig


def _labels(names: pd.Series) -> pd.Series:
    return names.str.replace(r"^ΔΗΜΟΣ\s+", "", regex=True)


# ------------------------------------------------------------------------------------------------ the maps


def _classify(values: pd.Series, scheme: str, k: int) -> mapclassify.classifiers.MapClassifier:
    finite = values.dropna().to_numpy(dtype=float)
    k = max(1, min(k, len(np.unique(finite))))
    cls = getattr(mapclassify, scheme, None)
    if cls is None:
        raise ValueError(f"unknown mapclassify scheme {scheme!r}; use for example 'Quantiles' or 'FisherJenks'")
    return cls(finite, k=k)


def choropleth(
    municipalities: gpd.GeoDataFrame,
    column: str,
    *,
    label: str | None = None,
    unit: str = "",
    scheme: str = "Quantiles",
    k: int = 5,
    cmap: str = "YlOrRd",
    title: str | None = None,
    attribution: str = "Πηγή: ΕΛ.ΣΤΑΤ.",
    lang: Lang = "el",
    min_footprint_mm: float = 2.0,
    decimals: int = 1,
) -> Figure:
    """A choropleth of ``column`` in mapclassify classes, the scheme and the class intervals in the legend.

    Parameters
    ----------
    municipalities : geopandas.GeoDataFrame
        Indexed by code, in a projected CRS in metres (EPSG:2100), with ``column``.
    column : str
    label, unit : str
        Legend title (defaults to the column name) and unit.
    scheme : str, default "Quantiles"
        A mapclassify classifier taking ``k`` (``Quantiles``, ``FisherJenks``, ``EqualInterval``, ...).
    k : int, default 5
        Number of classes (fewer when there are fewer distinct values).
    cmap : str
        A matplotlib colormap name; use a diverging one (``RdBu``) for changes around zero.
    title, attribution : str
    lang : {"el", "en"}
    min_footprint_mm : float, default 2
        Units drawn smaller than this on paper also get a marker of this diameter.

    Returns
    -------
    matplotlib.figure.Figure
        ``fig.sp_drawn`` records the patch of each code and which codes got a marker.

    Notes
    -----
    The legend reads ``low – high (n)`` per class: mapclassify's intervals are closed on the right, the first
    one starts at the minimum (Rey, Arribas-Bel & Wolf 2023, *Geographic Data Science with Python*, ch. 5).
    """
    _check_crs(municipalities, "choropleth")
    if column not in municipalities.columns:
        raise KeyError(f"choropleth: column {column!r} is not in the frame (columns: {list(municipalities.columns)})")
    values = municipalities[column].astype(float)
    classes = _classify(values, scheme, k)
    n = len(classes.bins)
    palette = [to_hex(c) for c in mpl.colormaps[cmap](np.linspace(0.12, 0.92, n))]
    yb = pd.Series(-1, index=values.index)
    yb[values.notna()] = classes.yb
    colours = yb.map(lambda b: palette[b] if b >= 0 else "#ffffff")
    lows = [float(np.nanmin(values)), *classes.bins[:-1]]
    handles: list[Patch | Line2D] = [
        Patch(
            facecolor=palette[i],
            edgecolor="#444444",
            linewidth=0.3,
            label=f"{number(lo, decimals, lang)} – {number(hi, decimals, lang)}  ({int(c)})",
        )
        for i, (lo, hi, c) in enumerate(zip(lows, classes.bins, classes.counts, strict=True))
    ]
    if values.isna().any():
        handles.append(Patch(facecolor="#ffffff", edgecolor="#444444", label=_TEXT[lang]["missing"]))
    names = _SCHEMES_EL if lang == "el" else _SCHEMES_EN
    scheme_name = names.get(classes.name, classes.name)
    legend_title = f"{label or column}{f' ({unit})' if unit else ''}\n" + _TEXT[lang]["classes"].format(
        scheme=scheme_name, k=n
    )
    with _rc():
        fig = _map_figure(
            municipalities,
            colours,
            handles,
            legend_title,
            lang=lang,
            attribution=attribution,
            title=title,
            min_footprint_mm=min_footprint_mm,
        )
    fig.sp_classes = classes  # type: ignore[attr-defined]
    return fig


def lisa_cluster_map(
    municipalities: gpd.GeoDataFrame,
    lisa: pd.DataFrame,
    *,
    alpha: float = 0.05,
    significance: str = "p",
    title: str | None = None,
    attribution: str = "Πηγή: ΕΛ.ΣΤΑΤ.",
    lang: Lang = "el",
    min_footprint_mm: float = 2.0,
) -> Figure:
    """The LISA cluster map in GeoDa's colours (High-High red, Low-Low blue, Low-High and High-Low pale).

    Parameters
    ----------
    municipalities : geopandas.GeoDataFrame
    lisa : pandas.DataFrame
        :meth:`~spatial_poverty.stats.LocalMoran.to_frame` (or a ``lisa_<var>`` layer) indexed like
        ``municipalities``, with the ``cluster`` column.
    alpha, significance : float, {"p", "q"}
        The level and the value (pseudo p or adjusted q) the clusters were cut at (legend only).
    """
    _check_crs(municipalities, "lisa_cluster_map")
    clusters = _aligned(lisa, municipalities, "cluster", "lisa_cluster_map")
    # "no neighbours": units of components too small to analyse (island policy "components"), GeoDa's grey
    known = CLUSTER_COLOURS | {NO_NEIGHBOURS: "#999999"}
    unknown = sorted(set(clusters) - set(known))
    if unknown:
        raise ValueError(f"lisa_cluster_map: unknown cluster labels {unknown}; expected {list(known)}")
    colours = clusters.map(known)
    counts = clusters.value_counts()
    handles: list[Patch | Line2D] = [
        Patch(
            facecolor=c,
            edgecolor="#444444",
            linewidth=0.3,
            label=f"{CLUSTER_EL[k] if lang == 'el' else k} ({int(counts.get(k, 0))})",
        )
        for k, c in CLUSTER_COLOURS.items()
    ]
    with _rc():
        fig = _map_figure(
            municipalities,
            colours,
            handles,
            _TEXT[lang]["clusters"].format(alpha=alpha, rule=significance),
            lang=lang,
            attribution=attribution,
            title=title,
            min_footprint_mm=min_footprint_mm,
        )
    return fig


def significance_map(
    municipalities: gpd.GeoDataFrame,
    lisa: pd.DataFrame,
    *,
    alpha: float = 0.05,
    permutations: int = 999,
    significance: str = "p",
    title: str | None = None,
    attribution: str = "Πηγή: ΕΛ.ΣΤΑΤ.",
    lang: Lang = "el",
    min_footprint_mm: float = 2.0,
) -> Figure:
    """The LISA significance map: pseudo p-values in GeoDa's classes p ≤ 0.001, 0.01, 0.05 (up to ``alpha``);
    with ``significance="q"`` the adjusted ``q_sim`` in the same classes (``p_sim``, labelled p, when the table has
    no ``q_sim``).

    With :math:`P` permutations the smallest attainable two-sided pseudo p-value is :math:`2/(P+1)`, so classes
    below it stay empty (they are listed with their count, 0).
    """
    _check_crs(municipalities, "significance_map")
    if significance == "q" and "q_sim" not in lisa.columns:  # a layer without q (optional): show p, and say so
        significance = "p"
    p = _aligned(lisa, municipalities, f"{significance}_sim", "significance_map").astype(float)
    levels = [(t, c) for t, c in _SIGNIFICANCE if t <= alpha]
    if not levels or levels[-1][0] < alpha:
        levels.append((alpha, "#84f576"))
    colours = pd.Series("#eeeeee", index=p.index)
    for t, c in reversed(levels):
        colours[p <= t] = c
    handles: list[Patch | Line2D] = []
    prev = 0.0
    for t, c in levels:
        n = int(((p > prev) & (p <= t)).sum())
        handles.append(Patch(facecolor=c, edgecolor="#444444", linewidth=0.3, label=f"{significance} ≤ {t:g} ({n})"))
        prev = t
    n_ns = int((p > levels[-1][0]).sum())
    handles.append(
        Patch(
            facecolor="#eeeeee", edgecolor="#444444", linewidth=0.3, label=f"{_TEXT[lang]['not_significant']} ({n_ns})"
        )
    )
    with _rc():
        fig = _map_figure(
            municipalities,
            colours,
            handles,
            _TEXT[lang]["significance_q" if significance == "q" else "significance"].format(n=permutations),
            lang=lang,
            attribution=attribution,
            title=title,
            min_footprint_mm=min_footprint_mm,
        )
    return fig


def gistar_map(
    municipalities: gpd.GeoDataFrame,
    gistar: pd.DataFrame,
    *,
    title: str | None = None,
    attribution: str = "Πηγή: ΕΛ.ΣΤΑΤ.",
    lang: Lang = "el",
    min_footprint_mm: float = 2.0,
) -> Figure:
    """Hot and cold spots of Getis-Ord Gi* from the ``gi_bin`` column (-3..3: cold/hot at 99, 95, 90 %)."""
    _check_crs(municipalities, "gistar_map")
    bins = _aligned(gistar, municipalities, "gi_bin", "gistar_map")
    bins = pd.to_numeric(bins, errors="raise").astype(int)
    bad = sorted(set(bins) - set(GISTAR_COLOURS))
    if bad:
        raise ValueError(f"gistar_map: gi_bin values {bad} are outside -3..3")
    colours = bins.map(GISTAR_COLOURS)
    counts = bins.value_counts()
    t = _TEXT[lang]
    handles: list[Patch | Line2D] = []
    for b, c in GISTAR_COLOURS.items():
        text = (
            t["hot"].format(c=_GISTAR_CONF[b])
            if b > 0
            else t["cold"].format(c=_GISTAR_CONF[-b])
            if b < 0
            else t["not_significant"]
        )
        handles.append(
            Patch(facecolor=c, edgecolor="#444444", linewidth=0.3, label=f"{text} ({int(counts.get(b, 0))})")
        )
    with _rc():
        fig = _map_figure(
            municipalities,
            colours,
            handles,
            t["gistar"],
            lang=lang,
            attribution=attribution,
            title=title,
            min_footprint_mm=min_footprint_mm,
        )
    return fig


def moran_scatterplot(
    values: pd.Series,
    lisa: pd.DataFrame,
    *,
    label: str | None = None,
    names: pd.Series | None = None,
    title: str | None = None,
    attribution: str = "Πηγή: ΕΛ.ΣΤΑΤ.",
    lang: Lang = "el",
) -> Figure:
    r"""The Moran scatterplot: standardised values :math:`z` against their spatial lag :math:`Wz`.

    .. math:: z_i = \frac{y_i - \bar y}{s_y}, \qquad \text{lag}_i = \sum_j w_{ij} z_j

    with :math:`s_y` the population standard deviation (as in :class:`~spatial_poverty.stats.LocalMoran`) and
    row-standardised :math:`W`. The least-squares slope of the lag on :math:`z` is Moran's :math:`I`
    (Anselin 1996, "The Moran scatterplot as an ESDA tool"); it is drawn, and points are coloured by LISA cluster.

    Parameters
    ----------
    values : pandas.Series
        The analysed variable, indexed by code.
    lisa : pandas.DataFrame
        With ``lag_z`` and ``cluster``, indexed like ``values``.
    names : pandas.Series, optional
        Municipality names; significant units are labelled with them.
    """
    y = values.astype(float)
    lag = _aligned(lisa, y, "lag_z", "moran_scatterplot").astype(float)
    clusters = _aligned(lisa, y, "cluster", "moran_scatterplot")
    z = (y - y.mean()) / y.std(ddof=0)
    slope = float((z * lag).sum() / (z * z).sum())
    t = _TEXT[lang]
    with _rc():
        fig = Figure(figsize=(6.0, 5.4), layout="constrained")
        ax = fig.add_subplot()
        ax.axhline(0, color="#888888", linewidth=0.6)
        ax.axvline(0, color="#888888", linewidth=0.6)
        for k, c in CLUSTER_COLOURS.items():
            sel = clusters == k
            if sel.any():
                ax.scatter(
                    z[sel],
                    lag[sel],
                    s=22,
                    c=c if k != NOT_SIGNIFICANT else "#bbbbbb",
                    edgecolors="#333333",
                    linewidths=0.4,
                    label=f"{CLUSTER_EL[k] if lang == 'el' else k} ({int(sel.sum())})",
                    zorder=3,
                )
        xs = np.array([z.min(), z.max()])
        moran = t["moran"].format(I=number(slope, 3, lang))
        ax.plot(xs, slope * xs, color="#b2182b", linewidth=1.2, label=moran, gid="moran-line")
        if names is not None:
            nm = _labels(names.reindex(y.index).astype(str))
            annotations = [
                ax.annotate(nm[code], (z[code], lag[code]), xytext=(3, 3), textcoords="offset points", fontsize=6)
                for code in clusters.index[clusters != NOT_SIGNIFICANT]
            ]
        ax.set_xlabel(t["scatter_x"].format(label=label or values.name or "y"), fontsize=8)
        ax.set_ylabel(t["scatter_y"], fontsize=8)
        ax.tick_params(labelsize=7)
        if lang == "el":  # Greek decimal comma on both axes
            for axis in (ax.xaxis, ax.yaxis):
                axis.set_major_formatter(FuncFormatter(lambda v, _pos: f"{v:g}".replace(".", ",").replace("-", "−")))
        ax.legend(fontsize=7, loc="best", frameon=False)
        if title:
            ax.set_title(title, fontsize=10, loc="left")
        # The source line, wrapped, under the axes: the constrained layout keeps the axes above it.
        lines = textwrap.wrap(attribution, width=120) or [""]
        bottom = (len(lines) * 6 * 1.3 + 6) / (fig.get_figheight() * 72)
        fig.get_layout_engine().set(rect=(0, bottom, 1, 1 - bottom))  # type: ignore[union-attr]
        fig.text(0.01, 0.005, "\n".join(lines), fontsize=6, color="#333333", ha="left", va="bottom", gid="attribution")
        if names is not None and annotations:
            declutter(fig, annotations)  # after the layout: labels moved (or hidden) so that no text overlaps
        fig.sp_slope = slope  # type: ignore[attr-defined]
        return fig


def _aligned(frame: pd.DataFrame, like: pd.DataFrame | pd.Series, column: str, what: str) -> pd.Series:
    if column not in frame.columns:
        raise KeyError(f"{what}: the table needs a {column!r} column; it has {list(frame.columns)}")
    missing = like.index.difference(frame.index)
    if len(missing):
        raise KeyError(f"{what}: no {column!r} for codes {list(missing)[:10]}")
    return frame[column].reindex(like.index)


# -------------------------------------------------------------------------------------------------- saving


def save_figure(fig: Figure, stem: str | os.PathLike[str], *, formats: Sequence[str] = ("png", "pdf")) -> list[Path]:
    """Write ``fig`` as ``<stem>.png`` (300 dpi) and ``<stem>.pdf``, reproducibly (no creation date).

    Returns
    -------
    list of pathlib.Path
    """
    stem = Path(stem)
    stem.parent.mkdir(parents=True, exist_ok=True)
    out = []
    with _rc():
        for fmt in formats:
            path = stem.with_suffix(f".{fmt}")
            meta: Mapping[str, str | None] = (
                {"CreationDate": None, "Producer": None} if fmt == "pdf" else {"Software": None} if fmt == "png" else {}
            )
            fig.savefig(path, dpi=DPI, format=fmt, metadata=dict(meta), bbox_inches=None)
            out.append(path)
            logger.debug("wrote %s", path)
    return out


def drawn_footprints_mm(fig: Figure) -> dict[str, float]:
    """The drawn size on paper (mm) of every unit of a map figure: the larger of its polygon and its marker.

    A polygon's size is the square root of its area on paper (as drawn, after simplification); a marker's is its
    diameter.
    """
    drawn: _Drawn = fig.sp_drawn  # type: ignore[attr-defined]
    ax = next(iter(drawn.patches.values())).axes
    if not isinstance(ax, Axes):  # pragma: no cover
        return {}
    fig.draw_without_rendering()
    mm_per_m = _mm_per_m(ax)
    return {
        code: max(
            np.sqrt(_path_area(patch.get_path())) * mm_per_m,
            drawn.marker_mm if code in drawn.markers else 0.0,
        )
        for code, patch in drawn.patches.items()
    }


def _path_area(path: MplPath) -> float:
    total = 0.0
    for poly in path.to_polygons(closed_only=True):
        arr = np.asarray(poly, dtype=float)
        x, y = arr[:, 0], arr[:, 1]
        total += abs(0.5 * float(np.dot(x, np.roll(y, 1)) - np.dot(y, np.roll(x, 1))))
    return total


def marker_collection(fig: Figure) -> PathCollection | None:
    """The markers drawn for small units (``None`` when every unit was big enough)."""
    for ax in fig.axes:
        for coll in ax.collections:
            gid = coll.get_gid() or ""
            if gid.startswith("small-units") and isinstance(coll, PathCollection):
                return coll
    return None


# --------------------------------------------------------------------------------------------- run figures


@dataclass(frozen=True)
class MapLabel:
    """How to name a variable on a static map: its column, label per language, unit, and whether it diverges."""

    column: str
    label_el: str
    label_en: str | None = None
    unit: str = ""
    diverging: bool = False

    def label(self, lang: Lang) -> str:
        return self.label_el if lang == "el" or not self.label_en else self.label_en


def _title(var: str, labels: Mapping[str, MapLabel], lang: Lang) -> str:
    """A variable's title: the run's map label, else the exchange schema's (one registry of names)."""
    if var in labels:
        return labels[var].label(lang)
    from spatial_poverty.export.schema import variable_titles

    el, en = variable_titles(var)
    return el if lang == "el" else en


def write_run_maps(
    folder: str | os.PathLike[str],
    municipalities: gpd.GeoDataFrame,
    *,
    variables: Sequence[MapLabel],
    lisa: Mapping[str, pd.DataFrame] | None = None,
    gistar: Mapping[str, pd.DataFrame] | None = None,
    index: pd.DataFrame | None = None,
    alpha: float = 0.05,
    permutations: int = 999,
    significance: str = "p",
    attribution: str = "Πηγή: ΕΛ.ΣΤΑΤ.",
    lang: Lang = "el",
    bilisa: Mapping[str, pd.DataFrame] | None = None,
    sources: Mapping[str, str] | None = None,
    layout: dict[str, list[str]] | None = None,
) -> dict[str, list[Path]]:
    """Write the static maps of a run into ``folder``, each as PNG (300 dpi) and PDF.

    One choropleth per variable; the index score's choropleth when ``index`` is given (a ``deprivation_index``
    table with ``score``); per LISA variable the cluster map, the significance map and the Moran scatterplot;
    per Gi* variable the hot-spot map.

    ``sources`` gives each variable (``x_vs_y`` for a bivariate pair) its own source line, with the years of its
    data; a variable without one gets ``attribution``. ``layout``, when given, receives each figure's text
    defects (:func:`~spatial_poverty.maps.layout.text_defects`: text cut at the edge or overlapping), which are
    also logged as warnings.

    Returns
    -------
    dict
        Figure name (``choropleth_density``, ``lisa_density``, ...) to the files written.
    """
    folder = Path(folder)
    labels = {v.column: v for v in variables}
    figures: dict[str, Figure] = {}

    def src(var: str) -> str:
        return (sources or {}).get(var, attribution)

    for v in variables:
        figures[f"choropleth_{v.column}"] = choropleth(
            municipalities,
            v.column,
            label=v.label(lang),
            unit=v.unit,
            cmap="RdBu" if v.diverging else "YlOrRd",
            title=v.label(lang),
            attribution=src(v.column),
            lang=lang,
        )
    if index is not None and "score" in index.columns:
        title = "Δείκτης αποστέρησης" if lang == "el" else "Deprivation index"
        frame = municipalities.join(index[["score"]].rename(columns={"score": "_score"}), how="left")
        figures["choropleth_deprivation_index"] = choropleth(
            frame, "_score", label=title, decimals=2, title=title, attribution=src("deprivation_index"), lang=lang
        )
    for var, frame in (lisa or {}).items():
        name = _title(var, labels, lang)
        figures[f"lisa_{var}"] = lisa_cluster_map(
            municipalities, frame, alpha=alpha, significance=significance, title=name, attribution=src(var),
            lang=lang,
        )  # fmt: skip
        figures[f"significance_{var}"] = significance_map(
            municipalities,
            frame,
            alpha=alpha,
            permutations=permutations,
            significance=significance,
            title=name,
            attribution=src(var),
            lang=lang,
        )
        values = frame["value"] if "value" in frame.columns else municipalities[var]
        figures[f"moran_{var}"] = moran_scatterplot(
            values.reindex(municipalities.index),
            frame,
            label=name,
            names=municipalities["name_el"] if "name_el" in municipalities.columns else None,
            title=name,
            attribution=src(var),
            lang=lang,
        )
    for var, frame in (gistar or {}).items():
        name = _title(var, labels, lang)
        figures[f"gistar_{var}"] = gistar_map(municipalities, frame, title=name, attribution=src(var), lang=lang)
    for pair, frame in (bilisa or {}).items():
        figures[f"bilisa_{pair}"] = lisa_cluster_map(
            municipalities, frame, alpha=alpha, significance=significance, title=_title(pair, labels, lang),
            attribution=src(pair), lang=lang,
        )  # fmt: skip
    written = {}
    for name, fig in figures.items():
        written[name] = save_figure(fig, folder / name)
        defects = text_defects(fig)
        for d in defects:
            logger.warning("figure %s: %s", name, d)
        if layout is not None:
            layout[name] = defects
    logger.info("wrote %d static figures into %s", len(figures), folder)
    return written
