"""Replication of published values on libpysal's bundled example files (shipped inside the libpysal wheel).

Sources of the published values:

* Columbus CRIME, queen contiguity: Moran's I 0.500189 (GeoDa workbook, Anselin 2005; esda's Moran tests) and
  the local Moran of the first four neighbourhoods (esda's ``Moran_Local`` tests).
* Columbus CRIME, rook contiguity: Geary's C 0.5154408058652411 (esda's ``Geary`` tests, equal to spdep's
  ``geary.test`` with ``nb2listw(style="W")``).
* NC SIDS (``sids2.gal``): Moran's I of SIDR74 0.24772519320480135, the EB rate Moran (Assunção-Reis) of
  SID79/BIR79 0.16622343552567403 (esda's ``Moran`` and ``Moran_Rate`` tests) and the bivariate Moran of
  SIDR79 against SIDR74 0.156 (esda's ``Moran_BV`` docstring).
* ``book.gal``/``book.txt``: Geary's C 0.3330108, one-sided p_norm 9.2e-05 (esda's ``Geary`` docstring).
* de Smith's six points, distance band 15: General G 0.557, one-sided p 0.173 (randomisation); local G, G* z-scores
  (esda's ``getisord`` docstrings; equal to ArcGIS's Hot Spot Analysis formula on binary weights).
* 4x4 lattice, rook, first eight cells 0: join counts BB 10, BW 4, WW 10, J 24 (esda's ``Join_Counts``).
"""

from __future__ import annotations

import geopandas as gpd
import libpysal
import numpy as np
import pandas as pd
import pytest
from libpysal import examples
from libpysal.graph import Graph

from spatial_poverty.stats import (
    BivariateMoran,
    GearyC,
    GeneralG,
    GetisOrdLocal,
    GlobalMoran,
    JoinCounts,
    LocalMoran,
    MoranRate,
    build_weights,
)

#: Values published with 6 decimals (GeoDa, docstrings rounded to 6-7 places): half a unit of the last place.
RTOL_6 = 1e-6  # relative agreement with a 9-digit published value
ATOL_PUBLISHED_6 = 5e-7
ATOL_PUBLISHED_7 = 5e-8
ATOL_PUBLISHED_3 = 5e-4
#: Values published to full double precision (esda's tests): agreement to floating-point noise.
RTOL_FULL = 1e-12
SEED = 20211


@pytest.fixture(scope="module")
def columbus() -> gpd.GeoDataFrame:
    df = gpd.read_file(examples.get_path("columbus.shp"))
    # String codes as index, the package's convention (the POLYID as 4-digit text).
    return df.set_index(df["POLYID"].map(lambda v: f"{int(v):04d}").rename("code"))


@pytest.fixture(scope="module")
def sids():
    w = libpysal.io.open(examples.get_path("sids2.gal")).read()
    dbf = libpysal.io.open(examples.get_path("sids2.dbf"))
    cols = {c: np.array(dbf.by_col(c), dtype=float) for c in ("SIDR74", "SIDR79", "SID79", "BIR79")}
    return Graph.from_W(w), cols


def test_example_files_are_installed_with_libpysal():
    for name in ("columbus.shp", "columbus.dbf", "sids2.gal", "sids2.dbf", "book.gal", "desmith.txt"):
        path = examples.get_path(name)
        assert "site-packages" in path or "dist-packages" in path, path


def test_columbus_crime_queen_moran(columbus):
    graph, report = build_weights(columbus, contiguity="queen", island_policy="none")
    assert report.isolates == () and report.n_components == 1
    m = GlobalMoran(columbus["CRIME"], graph, seed=SEED)
    assert m.I == pytest.approx(0.500189, abs=ATOL_PUBLISHED_6)
    assert m.I == pytest.approx(0.500188557, rel=RTOL_6)


def test_columbus_crime_queen_local_moran(columbus):
    graph, _ = build_weights(columbus, contiguity="queen", island_policy="none")
    lm = LocalMoran(columbus["CRIME"], graph, seed=SEED)
    np.testing.assert_allclose(
        lm.Is[:4], [0.72178138, 0.51798565, 0.09193542, 0.00472258], rtol=0, atol=ATOL_PUBLISHED_7
    )
    assert list(lm.to_frame().index[:4]) == ["0001", "0002", "0003", "0004"]


def test_columbus_crime_rook_geary(columbus):
    graph, _ = build_weights(columbus, contiguity="rook", island_policy="none")
    c = GearyC(columbus["CRIME"], graph, seed=SEED)
    assert c.C == pytest.approx(0.5154408058652411, rel=RTOL_FULL)
    assert c.EC == 1.0
    assert c.z_norm < 0 and c.p_sim <= 0.01  # strong positive autocorrelation


def test_book_geary():
    w = libpysal.io.open(examples.get_path("book.gal")).read()
    y = np.array(libpysal.io.open(examples.get_path("book.txt")).by_col["y"])
    c = GearyC(y, Graph.from_W(w), seed=SEED, alternative="greater")
    assert c.C == pytest.approx(0.3330108, abs=ATOL_PUBLISHED_7)
    assert c.p_norm == pytest.approx(9.2e-05, abs=5e-7)


@pytest.fixture(scope="module")
def desmith():
    points = [(10, 10), (20, 10), (40, 10), (15, 20), (30, 20), (30, 30)]
    w = libpysal.weights.DistanceBand(points, threshold=15, silence_warnings=True)
    return Graph.from_W(w), np.array([2, 3, 3.2, 5, 8, 7])


def test_desmith_general_g(desmith):
    graph, y = desmith
    g = GeneralG(y, graph, seed=SEED, alternative="greater")
    assert g.G == pytest.approx(0.557, abs=ATOL_PUBLISHED_3)
    assert g.p_rand == pytest.approx(0.173, abs=ATOL_PUBLISHED_3)
    two = GeneralG(y, graph, seed=SEED)
    assert two.p_rand == pytest.approx(2 * g.p_rand, rel=RTOL_FULL)


def test_desmith_local_g_and_g_star(desmith):
    graph, y = desmith
    star = GetisOrdLocal(y, graph, seed=SEED, star=True)
    np.testing.assert_allclose(
        star.Zs, [-1.39727626, -0.28917762, 0.65064964, -0.28917762, 1.23452088, 2.02424331], atol=ATOL_PUBLISHED_7
    )
    plain = GetisOrdLocal(y, graph, seed=SEED, star=False)
    np.testing.assert_allclose(
        plain.Zs, [-1.0136729, -0.04361589, 1.31558703, -0.31412676, 1.15373986, 1.77833941], atol=ATOL_PUBLISHED_7
    )
    # Gi_Bin: z = 2.024 has a two-sided p of 0.043: hot spot at 95 %; the others below 90 %.
    assert star.bin.tolist() == [0, 0, 0, 0, 0, 2]


def test_arcgis_gi_star_formula_by_hand(desmith):
    graph, x = desmith
    w = graph.transform("b").sparse.toarray() + np.eye(6)
    n, xbar = 6, x.mean()
    s = np.sqrt((x**2).sum() / n - xbar**2)
    wi, s1 = w.sum(axis=1), (w**2).sum(axis=1)
    z = (w @ x - xbar * wi) / (s * np.sqrt((n * s1 - wi**2) / (n - 1)))
    np.testing.assert_allclose(GetisOrdLocal(x, graph, seed=SEED).Zs, z, rtol=RTOL_FULL)


def test_lattice_join_counts():
    w = libpysal.weights.lat2W(4, 4)
    y = np.ones(16)
    y[:8] = 0
    jc = JoinCounts(y, Graph.from_W(w), seed=SEED)
    assert (jc.bb, jc.bw, jc.ww, jc.J) == (10.0, 4.0, 10.0, 24.0)
    # Two rows of 1s against two rows of 0s: far more BB joins than chance (esda: p_sim_bb 0.003).
    assert jc.p_sim_bb < 0.02 and jc.p_sim_bw < 0.02


def test_sids_moran_sidr74(sids):
    graph, cols = sids
    m = GlobalMoran(cols["SIDR74"], graph, seed=SEED)
    assert m.I == pytest.approx(0.24772519320480135, rel=RTOL_FULL)


def test_sids_eb_rate_moran(sids):
    graph, cols = sids
    m = MoranRate(cols["SID79"], cols["BIR79"], graph, seed=SEED)
    assert m.I == pytest.approx(0.16622343552567403, rel=RTOL_FULL)
    assert m.to_dict()["standardisation"] == "assuncao_reis_1999"


def test_sids_bivariate_moran(sids):
    graph, cols = sids
    m = BivariateMoran(cols["SIDR79"], cols["SIDR74"], graph, seed=SEED)
    assert m.I == pytest.approx(0.156, abs=ATOL_PUBLISHED_3)
    assert m.p_sim < 0.01


def test_replications_are_seeded(columbus):
    graph, _ = build_weights(columbus, contiguity="queen", island_policy="none")
    a = GearyC(columbus["CRIME"], graph, seed=SEED)
    b = GearyC(columbus["CRIME"], graph, seed=SEED)
    np.testing.assert_array_equal(a.sim, b.sim)
    shuffled = columbus["CRIME"].sample(frac=1.0, random_state=1)
    assert GearyC(shuffled, graph, seed=SEED).C == pytest.approx(a.C, rel=RTOL_FULL)
    assert isinstance(shuffled, pd.Series)
