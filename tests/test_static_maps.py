"""Static maps: classes in the legend, small islands kept visible, Greek glyphs, PNG at 300 dpi and PDF."""

from __future__ import annotations

import re
import warnings

import geopandas as gpd
import matplotlib as mpl
import numpy as np
import pandas as pd
import pytest
from libpysal.graph import Graph
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.colors import to_rgb
from matplotlib.figure import Figure
from PIL import Image
from shapely.geometry import MultiPolygon, Polygon, box

from spatial_poverty.errors import ExportError
from spatial_poverty.maps.static import (
    CLUSTER_COLOURS,
    DPI,
    MapLabel,
    choropleth,
    drawn_footprints_mm,
    gistar_map,
    lisa_cluster_map,
    moran_scatterplot,
    save_figure,
    significance_map,
    static_rc,
    write_run_maps,
)
from spatial_poverty.stats import GlobalMoran, LocalMoran

RTOL = 1e-10
MIN_MM = 2.0


@pytest.fixture
def islands() -> gpd.GeoDataFrame:
    """Fixture (self-built): eight island municipalities in EPSG:2100, shuffled codes, Greek names, one
    MultiPolygon, and one 300 m x 300 m islet far to the east (like Megisti) that would vanish on paper."""
    geoms = [box(500_000 + 30_000 * i, 4_100_000 + 4_000 * (i % 3), 515_000 + 30_000 * i, 4_118_000) for i in range(7)]
    geoms[2] = MultiPolygon([box(560_000, 4_116_000, 572_000, 4_130_000), box(575_000, 4_116_000, 578_000, 4_119_000)])
    geoms.append(box(800_000, 4_050_000, 800_300, 4_050_300))
    codes = ["6905", "5801", "6902", "6001", "6102", "6104", "5901", "6203"]
    return gpd.GeoDataFrame(
        {
            "name_el": [
                "ΔΗΜΟΣ ΧΑΛΚΗΣ",
                "Σύρος-Ερμούπολη",
                "Μεγίστη",
                "Θήρα",
                "Αγαθονήσι",
                "Λειψοί",
                "Άνδρος",
                "Νησίδα",
            ],
            "density": [5.0, 120.0, 30.0, 80.0, 8.0, 12.0, 40.0, 2.5],
        },
        geometry=geoms,
        crs=2100,
        index=pd.Index(codes, name="code"),
    )


@pytest.fixture
def lisa(islands: gpd.GeoDataFrame) -> pd.DataFrame:
    graph = Graph.build_knn(islands.representative_point(), k=3).transform("r")
    return LocalMoran(islands["density"], graph, permutations=999, seed=7).to_frame()


def _legend_texts(fig: Figure) -> list[str]:
    ax = fig.axes[0]
    leg = ax.get_legend()
    return [leg.get_title().get_text(), *(t.get_text() for t in leg.get_texts())]


def test_choropleth_names_the_mapclassify_classes(islands):
    fig = choropleth(islands, "density", label="Πυκνότητα", unit="κάτ./km²", scheme="Quantiles", k=4)
    classes = fig.sp_classes
    texts = _legend_texts(fig)
    assert "ποσοστημόρια, k = 4" in texts[0] and "Πυκνότητα (κάτ./km²)" in texts[0]
    lows = [islands["density"].min(), *classes.bins[:-1]]
    for i, (lo, hi, n) in enumerate(zip(lows, classes.bins, classes.counts, strict=True)):
        # Greek number format in the Greek figure: "." groups thousands, "," marks decimals (issue 16).
        greek = [f"{x:,.1f}".replace(",", " ").replace(".", ",").replace(" ", ".") for x in (lo, hi)]
        assert texts[1 + i] == f"{greek[0]} – {greek[1]}  ({n})"
    assert sum(classes.counts) == len(islands)
    fj = choropleth(islands, "density", scheme="FisherJenks", k=3, lang="en")
    assert "natural breaks (Fisher-Jenks), k = 3" in _legend_texts(fj)[0]
    lo, hi = islands["density"].min(), fj.sp_classes.bins[0]
    assert _legend_texts(fj)[1].startswith(f"{lo:,.1f} – {hi:,.1f}")  # English format in the English figure


def test_every_unit_keeps_a_visible_footprint(islands):
    fig = choropleth(islands, "density", min_footprint_mm=MIN_MM)
    drawn = fig.sp_drawn
    assert set(drawn.patches) == set(islands.index)
    assert "6203" in drawn.markers  # the 300 m islet
    assert "5801" not in drawn.markers  # a 15 km island is drawn as itself
    sizes = drawn_footprints_mm(fig)
    assert min(sizes.values()) >= MIN_MM, sizes
    # The islet alone, as a polygon, would be a fraction of a millimetre on paper.
    assert np.sqrt(0.3 * 0.3) * 1000 * (sizes["5801"] / np.sqrt(15_000 * 18_000)) < 0.2


def _pixel_colours(fig: Figure) -> dict[str, tuple[float, float, float]]:
    """The rendered colour at each unit's marker centre or at a point inside its polygon."""
    canvas = FigureCanvasAgg(fig)
    canvas.draw()
    img = np.asarray(canvas.buffer_rgba())[:, :, :3] / 255.0
    ax = fig.axes[0]
    drawn = fig.sp_drawn
    h = img.shape[0]
    out = {}
    for code, patch in drawn.patches.items():
        if code in drawn.markers:
            x, y = drawn.markers[code]
        else:
            rings = [Polygon(r) for r in patch.get_path().to_polygons() if len(r) >= 4]
            p = max(rings, key=lambda r: r.area).representative_point()
            x, y = p.x, p.y
        px, py = ax.transData.transform((x, y))
        out[code] = tuple(img[round(h - py), round(px)])
    return out


def test_each_unit_shows_its_class_colour(islands):
    fig = choropleth(islands, "density")
    colours = _pixel_colours(fig)
    for code, patch in fig.sp_drawn.patches.items():
        np.testing.assert_allclose(colours[code], to_rgb(patch.get_facecolor()), atol=0.02, err_msg=code)


def test_greek_text_has_no_missing_glyphs(islands, lisa, tmp_path):
    figs = [
        choropleth(islands, "density", label="Πυκνότητα πληθυσμού", title="Νότιο Αιγαίο: ΰΐώςΆΈΉΊΌΎΏ"),
        lisa_cluster_map(islands, lisa),
        moran_scatterplot(islands["density"], lisa, names=islands["name_el"]),
    ]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        for i, fig in enumerate(figs):
            save_figure(fig, tmp_path / f"f{i}")
    missing = [str(w.message) for w in caught if "missing from" in str(w.message)]
    assert missing == []
    # The check can fail: a font without Greek glyphs (matplotlib's Computer Modern) does warn.
    with mpl.rc_context({**static_rc(), "font.sans-serif": ["cmr10"]}):
        fig = Figure()
        fig.text(0.5, 0.5, "Πηγή: ΕΛ.ΣΤΑΤ.")
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            FigureCanvasAgg(fig).draw()
    assert any("missing from" in str(w.message) for w in caught)


def test_saved_png_is_300_dpi_and_pdf_embeds_dejavu(islands, tmp_path):
    fig = choropleth(islands, "density", attribution="Πηγή: ΕΛ.ΣΤΑΤ.")
    png, pdf = save_figure(fig, tmp_path / "map")
    with Image.open(png) as im:
        assert im.info["dpi"] == pytest.approx((DPI, DPI), abs=0.5)
        assert im.size[0] == pytest.approx(7.5 * DPI, abs=2)
    data = pdf.read_bytes()
    assert data.startswith(b"%PDF") and b"DejaVuSans" in data
    assert b"CreationDate" not in data  # reproducible: no time stamp
    again = save_figure(choropleth(islands, "density", attribution="Πηγή: ΕΛ.ΣΤΑΤ."), tmp_path / "again")
    assert again[0].read_bytes() == png.read_bytes()
    assert again[1].read_bytes() == data


def test_map_furniture(islands):
    fig = choropleth(islands, "density", attribution="Πηγή: ΕΛ.ΣΤΑΤ.")
    ax = fig.axes[0]
    texts = [t.get_text() for t in fig.texts]
    assert "Πηγή: ΕΛ.ΣΤΑΤ." in texts
    assert any(a.get_gid() == "north-arrow" for a in ax.texts)
    bars = [a for a in ax.artists if type(a).__name__ == "AnchoredSizeBar"]
    assert len(bars) == 1 and re.fullmatch(r"\d+ km", bars[0].txt_label.get_text())
    labels = [t.get_text() for t in ax.get_xticklabels()]
    assert labels and all(re.fullmatch(r"\d+(\.5)?°Α", t) for t in labels), labels


def test_long_source_line_wraps_inside_the_figure(islands, tmp_path):
    source = " · ".join(["Πηγή: ΕΛ.ΣΤΑΤ., Απογραφή Πληθυσμού-Κατοικιών 2021"] * 4)
    fig = choropleth(islands, "density", attribution=source)
    png, _ = save_figure(fig, tmp_path / "map")
    text = next(t for t in fig.texts if t.get_gid() == "attribution")
    renderer = FigureCanvasAgg(fig).get_renderer()
    with text._cm_set(text=text._get_wrapped_text()):  # the text as drawn (matplotlib wraps at draw time)
        box = text.get_window_extent(renderer)
    assert text.get_text().count("\n") == 0 and box.x0 >= 0 and box.x1 <= fig.bbox.x1
    with Image.open(png) as im:
        assert im.size[0] == pytest.approx(7.5 * DPI, abs=2)  # the line wrapped; it did not widen the figure


def test_lisa_and_significance_maps_use_geoda_classes(islands, lisa):
    fig = lisa_cluster_map(islands, lisa)
    for code, patch in fig.sp_drawn.patches.items():
        assert mpl.colors.to_hex(patch.get_facecolor()) == CLUSTER_COLOURS[lisa.loc[code, "cluster"]]
    texts = _legend_texts(fig)
    assert texts[0] == "Συστάδες LISA (p ≤ 0.05)"
    assert f"μη σημαντικό ({int((lisa['cluster'] == 'not significant').sum())})" in texts
    sig = significance_map(islands, lisa, permutations=999)
    stexts = _legend_texts(sig)
    counts = [int(re.search(r"\((\d+)\)$", t).group(1)) for t in stexts[1:] if re.search(r"\((\d+)\)$", t)]
    assert sum(counts) == len(islands)
    assert stexts[1].startswith("p ≤ 0.001")


def test_moran_scatter_slope_is_morans_i(islands, lisa):
    graph = Graph.build_knn(islands.representative_point(), k=3).transform("r")
    gm = GlobalMoran(islands["density"], graph, permutations=99, seed=1)
    fig = moran_scatterplot(islands["density"], lisa, label="Πυκνότητα")
    assert fig.sp_slope == pytest.approx(gm.I, rel=RTOL)
    line = next(line for line in fig.axes[0].lines if line.get_gid() == "moran-line")
    x, y = line.get_data()
    assert (y[1] - y[0]) / (x[1] - x[0]) == pytest.approx(gm.I, rel=RTOL)


def test_gistar_map_fixture(islands):
    """Fixture (self-built) Gi* table with every bin -3..3."""
    gi = pd.DataFrame({"gi_bin": [3, 2, 1, 0, -1, -2, -3, 0]}, index=islands.index[::-1])
    fig = gistar_map(islands, gi)
    texts = _legend_texts(fig)
    assert "Θερμό σημείο 99% (1)" in texts and "Ψυχρό σημείο 90% (1)" in texts and "μη σημαντικό (2)" in texts
    with pytest.raises(ValueError, match=r"outside -3\.\.3"):
        gistar_map(islands, gi.assign(gi_bin=5))


def test_geographic_crs_is_refused(islands):
    with pytest.raises(ExportError, match="projected CRS in metres"):
        choropleth(islands.to_crs(4326), "density")


def test_write_run_maps(islands, lisa, tmp_path):
    index = pd.DataFrame({"score": np.linspace(-1, 1, 8)}, index=islands.index)  # fixture (self-built)
    gi = pd.DataFrame({"gi_bin": [0, 0, 1, 2, 0, -1, 0, 3]}, index=islands.index)  # fixture (self-built)
    written = write_run_maps(
        tmp_path / "figures",
        islands,
        variables=[MapLabel("density", "Πυκνότητα", "Density", "κάτ./km²")],
        lisa={"density": lisa.assign(value=islands["density"])},
        gistar={"density": gi},
        index=index,
    )
    assert set(written) == {
        "choropleth_density",
        "choropleth_deprivation_index",
        "lisa_density",
        "significance_density",
        "moran_density",
        "gistar_density",
    }
    for files in written.values():
        assert [p.suffix for p in files] == [".png", ".pdf"] and all(p.stat().st_size > 1000 for p in files)


@pytest.mark.slow
def test_south_aegean_static_maps_show_all_34(south_aegean_run):
    gpkg = south_aegean_run / "south_aegean.gpkg"
    m = gpd.read_file(gpkg, layer="municipalities").set_index("code")
    lisa = gpd.read_file(gpkg, layer="lisa_density").set_index("code")
    for fig in (choropleth(m, "density"), lisa_cluster_map(m, lisa)):
        sizes = drawn_footprints_mm(fig)
        assert len(sizes) == 34
        assert min(sizes.values()) >= MIN_MM, {c: s for c, s in sizes.items() if s < MIN_MM}
        # The three smallest municipalities get markers.
        assert {"6902", "6102", "6104"} <= set(fig.sp_drawn.markers)
        colours = _pixel_colours(fig)
        for code, patch in fig.sp_drawn.patches.items():
            np.testing.assert_allclose(colours[code], to_rgb(patch.get_facecolor()), atol=0.02, err_msg=code)
    figures = sorted(p.name for p in (south_aegean_run / "figures").glob("*.png"))
    assert len(figures) >= 3, figures
