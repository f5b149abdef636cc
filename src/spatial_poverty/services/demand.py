"""Demand for services: ELSTAT 2021 settlement points carrying the 2021 population of their community.

ELSTAT publishes 2021 population by community (``koindata.json``), not by settlement. Each community's
population is shared over its settlements **in proportion to their 2011 census population** (ELSTAT 2011,
``raw_census.xls``, level 8) where the 2011 settlement is found: same 10-digit code *and* the same name in normal
form (accents, case, the trailing article ",η" and "(νησίς)" dropped), else the same name within the same
community code. A settlement not found in 2011 gets weight 0 when others of its community are found; a community
where none is found, or whose found settlements had nobody in 2011, is shared **equally**. Rounding by largest
remainder keeps every community total exact. Without the 2011 table every community is shared equally. The
method is recorded per settlement (``pop_method``). Uninhabited islets ("νησίς") thus get no one, where an equal
share would put half a town's population on a rock across the sea. A community with no settlement point is put
on the representative point of its municipality and reported.

Vulnerable groups: the bundle has no age or household breakdown for 2011 or 2021 (ELSTAT's 2011 tables here
hold totals only), so shares of people 65+ or of children cannot be given; the 2001 variables of lctools
(unemployment, foreigners) are municipal rates on the ``municipalities`` layer, not settlement counts.
"""

from __future__ import annotations

import logging

import geopandas as gpd
import numpy as np
import pandas as pd

from spatial_poverty.errors import IngestError
from spatial_poverty.services.gazetteer import place_key

__all__ = ["settlement_demand", "split_equally", "split_weighted"]

logger = logging.getLogger(__name__)


def split_equally(total: int, n: int) -> np.ndarray:
    """Split a whole number into ``n`` whole parts that differ by at most one and sum to ``total``.

    Examples
    --------
    >>> split_equally(7, 3).tolist()
    [3, 2, 2]
    """
    if n <= 0:
        raise ValueError(f"n needs to be positive; {n} was given instead")
    base, rest = divmod(int(total), n)
    return np.array([base + (1 if i < rest else 0) for i in range(n)], dtype="int64")


def split_weighted(total: int, weights: np.ndarray) -> np.ndarray:
    """Split a whole number in proportion to ``weights`` by largest remainder (the parts sum to ``total``).

    Examples
    --------
    >>> split_weighted(10, np.array([2.0, 1.0, 0.0])).tolist()
    [7, 3, 0]
    """
    w = np.asarray(weights, dtype=float)
    quota = total * w / w.sum()
    parts = np.floor(quota).astype("int64")
    rest = int(total - parts.sum())
    order = np.lexsort((np.arange(len(w)), -(quota - parts)))  # largest remainder, ties to the first
    parts[order[:rest]] += 1
    return parts


def _key(name: str) -> str:
    base = str(name).split(",")[0]
    return place_key(base)


def settlement_weights(settlements: gpd.GeoDataFrame, census_2011: pd.DataFrame) -> pd.Series:
    """2011 population of each 2021 settlement, matched by code and name, else by name in the community.

    Returns
    -------
    pandas.Series
        Indexed like ``settlements``; NaN where no 2011 settlement matches.
    """
    c = census_2011[census_2011["level"] == 8]
    c = c.assign(key=c["name"].map(_key), comm=c["code"].str[:8])
    by_code = dict(zip(c["code"], zip(c["key"], c["pop_2011"], strict=True), strict=True))
    by_name: dict[tuple[str, str], list[float]] = {}
    for comm, key, pop in zip(c["comm"], c["key"], c["pop_2011"], strict=True):
        by_name.setdefault((comm, key), []).append(pop)
    out = []
    for code, names, comm in zip(settlements.index, settlements["names"], settlements["community"], strict=True):
        keys = {_key(n) for n in str(names).split(" / ")}
        hit = by_code.get(code)
        if hit is not None and hit[0] in keys:
            out.append(hit[1])
            continue
        cands = [v for k in keys for v in by_name.get((comm, k), [])]
        out.append(cands[0] if len(cands) == 1 else np.nan)
    return pd.Series(pd.to_numeric(pd.Series(out), errors="coerce").to_numpy(dtype=float), index=settlements.index)


def settlement_demand(
    settlements: gpd.GeoDataFrame,
    communities: pd.DataFrame,
    municipalities: gpd.GeoDataFrame,
    *,
    census_2011: pd.DataFrame | None = None,
) -> gpd.GeoDataFrame:
    """Settlement points of the run's municipalities with their share of the 2021 community population.

    Parameters
    ----------
    settlements : geopandas.GeoDataFrame
        From :func:`~spatial_poverty.ingest.settlements.read_settlements_2021`.
    communities : pandas.DataFrame
        From :func:`~spatial_poverty.ingest.elstat2021.read_communities_2021`.
    municipalities : geopandas.GeoDataFrame
        The run's municipalities (4-digit codes as index, ``pop_2021``).
    census_2011 : pandas.DataFrame, optional
        From :func:`~spatial_poverty.ingest.elstat2011.read_census_2011`: its settlements (level 8) weight the
        shares. Without it, every community is shared equally.

    Returns
    -------
    geopandas.GeoDataFrame
        Indexed by ``settlement`` (10 digits): ``name``, ``community``, ``code`` (municipality),
        ``pop_2021`` (int), ``pop_2011`` (the matched 2011 settlement's, NaN if none), ``pop_method``
        (``2011 settlement share of community``, ``equal share of community`` or ``community without
        settlement point``), points in EPSG:2100. ``pop_2021`` sums to each municipality's figure in ``communities``.

    Raises
    ------
    IngestError
        If the settlements' population does not add up to the municipalities' ``pop_2021``.
    """
    codes = set(municipalities.index)
    s = settlements[settlements["municipality"].isin(codes)].to_crs("EPSG:2100").sort_index()
    comm = communities[(communities["level"] == "community") & communities["municipality"].isin(codes)]
    pops = comm["pop_2021"].fillna(0).astype("int64")
    pop = pd.Series(0, index=s.index, dtype="int64")
    method = pd.Series("equal share of community", index=s.index, dtype=object)
    w2011 = settlement_weights(s, census_2011) if census_2011 is not None else pd.Series(np.nan, index=s.index)
    for code, group in s.groupby("community").groups.items():
        total = int(pops.get(code, 0))
        w = w2011.loc[group].to_numpy(dtype=float)
        if np.nansum(w) > 0:
            pop.loc[group] = split_weighted(total, np.nan_to_num(w, nan=0.0))
            method.loc[group] = "2011 settlement share of community"
        else:
            pop.loc[group] = split_equally(total, len(group))
    extra = []
    orphan = sorted(set(comm.index) - set(s["community"]))
    rep = municipalities.to_crs("EPSG:2100").geometry.representative_point()
    for c in orphan:
        extra.append(
            {
                "settlement": f"{c}00",
                "name": str(comm.loc[c, "name"]),
                "community": c,
                "code": c[:4],
                "pop_2021": int(pops[c]),
                "pop_2011": np.nan,
                "pop_method": "community without settlement point",
                "geometry": rep[c[:4]],
            }
        )
    if orphan:
        logger.warning(
            "%d communit(y/ies) without a settlement point, put on their municipality's point: %s",
            len(orphan),
            [f"{c} {comm.loc[c, 'name']} ({int(pops[c])})" for c in orphan],
        )
    out = gpd.GeoDataFrame(
        {
            "name": s["name"].to_numpy(),
            "community": s["community"].to_numpy(),
            "code": s["municipality"].to_numpy(),
            "pop_2021": pop.to_numpy(),
            "pop_2011": w2011.to_numpy(),
            "pop_method": method.to_numpy(),
        },
        index=s.index,
        geometry=s.geometry.to_numpy(),
        crs="EPSG:2100",
    )
    if extra:
        add = gpd.GeoDataFrame(extra, geometry="geometry", crs="EPSG:2100").set_index("settlement")
        out = gpd.GeoDataFrame(pd.concat([out, add]).sort_index(), geometry="geometry", crs="EPSG:2100")
    out.index.name = "settlement"
    unmatched = sorted(set(s["community"]) - set(comm.index))
    if unmatched:
        logger.warning(
            "%d settlement communit(y/ies) not in the population table (population 0): %s",
            len(unmatched),
            unmatched[:20],
        )
    if "pop_2021" in municipalities:
        got = out.groupby("code")["pop_2021"].sum().reindex(municipalities.index, fill_value=0)
        want = municipalities["pop_2021"].astype("int64")
        off = got[got != want]
        if len(off):
            raise IngestError(
                "settlement populations do not add up to their municipality (code, settlements, municipality): "
                f"{[(c, int(got[c]), int(want[c])) for c in off.index[:10]]}"
            )
    logger.info(
        "demand: %d settlement points, population %d; %s",
        len(out),
        int(out["pop_2021"].sum()),
        out["pop_method"].value_counts().to_dict(),
    )
    return out
