"""Demand for services: ELSTAT 2021 settlement points carrying the 2021 population of their community.

ELSTAT publishes 2021 population by community (``koindata.json``), not by settlement. Each community's
population is shared **equally** over its settlements (largest remainder, so community totals are exact): the
bundle has 2011 settlement populations only under 2011 codes, which do not carry over to the 2021 settlement
codes, so no finer weight is used. A community with no settlement point is put on the representative point of
its municipality and reported.

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

__all__ = ["settlement_demand", "split_equally"]

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


def settlement_demand(
    settlements: gpd.GeoDataFrame,
    communities: pd.DataFrame,
    municipalities: gpd.GeoDataFrame,
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

    Returns
    -------
    geopandas.GeoDataFrame
        Indexed by ``settlement`` (10 digits): ``name``, ``community``, ``code`` (municipality),
        ``pop_2021`` (int), ``pop_method`` (``equal share of community`` or ``community without settlement
        point``), points in EPSG:2100. ``pop_2021`` sums to each municipality's figure in ``communities``.

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
    for code, group in s.groupby("community").groups.items():
        total = int(pops.get(code, 0))
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
            "pop_method": "equal share of community",
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
        logger.warning("%d settlement communit(y/ies) not in the population table (population 0): %s", len(unmatched), unmatched[:20])
    if "pop_2021" in municipalities:
        got = out.groupby("code")["pop_2021"].sum().reindex(municipalities.index, fill_value=0)
        want = municipalities["pop_2021"].astype("int64")
        off = got[got != want]
        if len(off):
            raise IngestError(
                "settlement populations do not add up to their municipality (code, settlements, municipality): "
                f"{[(c, int(got[c]), int(want[c])) for c in off.index[:10]]}"
            )
    logger.info("demand: %d settlement points, population %d", len(out), int(out["pop_2021"].sum()))
    return out
