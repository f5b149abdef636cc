"""The national table's fields on 2021 municipalities: population 1991/2001, 2011 urban and mountain classes,
the 2001 variables of lctools, each with its source and the method that brought it onto 2021 units.
"""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd

from spatial_poverty.errors import IngestError
from spatial_poverty.harmonise.apportion import METHOD_RATE, carry_rates
from spatial_poverty.harmonise.crosswalk import ATHOS, Crosswalk

__all__ = ["LCTOOLS_OUTPUT", "census_fields", "lctools_fields"]

logger = logging.getLogger(__name__)

#: The lctools fields published, in order.
LCTOOLS_OUTPUT = ("unemp_2001", "unemp_2001_m", "unemp_2001_f", "primary_2001", "foreign_2001", "income_2001")

_METHOD_POP = (
    "summed on 2021 units: the 2011 municipality's figure where it maps whole, the sum of its 2011 communities "
    "where it was divided (communities matched by name)"
)
_METHOD_URBAN = (
    "from 2011 communities (Αστικότητα 1 urban / 2 rural) assigned to 2021 units: share of the 2011 population "
    "in urban communities; class 1 (urban) when that share is at least 0.5, else 2 (rural)"
)
_METHOD_MOUNTAIN = (
    "from 2011 communities (Ορεινότητα Π plain, Η semi-mountainous, Ο mountainous) assigned to 2021 units: "
    "the class covering the largest area; and the share of the area classed mountainous"
)


def _community_map(crosswalk: Crosswalk, codes: pd.Index) -> pd.Series:
    """The 2021 municipality of each 2011 community code (8 digits)."""
    whole = crosswalk.table.groupby("elstat_2011")["elstat_2021"].agg(list)
    single = {e: k[0] for e, k in whole.items() if len(k) == 1}
    out = {}
    for c in codes:
        c = str(c)
        if c in crosswalk.communities.index:
            out[c] = crosswalk.communities[c]
        elif c[:4] in single:
            out[c] = single[c[:4]]
    return pd.Series(out, dtype=str)


def census_fields(
    census_2011: pd.DataFrame, urban_2011: pd.DataFrame, crosswalk: Crosswalk
) -> tuple[pd.DataFrame, dict[str, str]]:
    """Population 1991 and 2001 and the 2011 urban/mountain classes on 2021 municipalities.

    Returns
    -------
    (pandas.DataFrame, dict)
        Indexed by ELSTAT 2021 code: ``pop_1991``, ``pop_2001`` (Int64), ``urban_pop_share_2011``,
        ``urban_rural_2011`` (1 urban, 2 rural), ``mountain_2011`` ('Π', 'Η', 'Ο'), ``mountain_area_share_2011``;
        and the method of each field.

    Raises
    ------
    IngestError
        If the municipalities' 1991/2001 totals are not preserved, or a community of 2011 maps nowhere.
    """
    t = crosswalk.table
    munis = census_2011[census_2011["level"] == 5].set_index("code")
    comm = census_2011[census_2011["level"] == 7].set_index("code")
    divided = set(t.loc[t["pop_share"] < 1, "elstat_2011"])
    cmap = _community_map(crosswalk, comm.index)
    unmapped = sorted(set(comm.index[comm.index.str[:4] != ATHOS]) - set(cmap.index))
    if unmapped:
        raise IngestError(f"2011 communities that map to no 2021 municipality: {unmapped[:20]}")
    out = pd.DataFrame(index=pd.Index(sorted(t["elstat_2021"].unique()), name="code"))
    for col in ("pop_1991", "pop_2001"):
        whole = t[~t["elstat_2011"].isin(divided)]
        vals = whole.set_index("elstat_2021")["elstat_2011"].map(munis[col]).groupby(level=0).sum()
        parts = comm.loc[comm.index[comm.index.str[:4].isin(divided)], col]
        part_sum = parts.groupby(parts.index.map(cmap)).sum()
        out[col] = vals.add(part_sum, fill_value=0).reindex(out.index).astype("Int64")
        want = int(munis.drop(index=[ATHOS], errors="ignore")[col].sum())
        if int(out[col].sum()) != want:
            raise IngestError(f"{col} on 2021 units sums to {int(out[col].sum())}; the 2011 municipalities to {want}")

    # Communities carry the classes; a municipality made of one community has no community row and carries
    # them itself.
    u8 = urban_2011[urban_2011.index.str.len() == 8]
    u4 = urban_2011[(urban_2011.index.str.len() == 4) & ~urban_2011.index.isin(u8.index.str[:4])]
    u = pd.concat([u8, u4])
    u = u[u.index.str[:4] != ATHOS].copy()
    single = t.groupby("elstat_2011")["elstat_2021"].agg(list)
    single_map = pd.Series({e: k[0] for e, k in single.items() if len(k) == 1}, dtype=str)
    u["to"] = [cmap.get(c) if len(c) == 8 else single_map.get(c) for c in u.index]
    if u["to"].isna().any():
        raise IngestError(f"communities of raw_urban.xls not in the census: {list(u.index[u['to'].isna()][:20])}")
    pop = u["pop_2011"].astype(float)
    urban_pop = pop.where(u["urban"] == 1, 0.0).groupby(u["to"]).sum()
    share = (urban_pop / pop.groupby(u["to"]).sum()).reindex(out.index)
    out["urban_pop_share_2011"] = share.round(4)
    out["urban_rural_2011"] = pd.array(np.where(share >= 0.5, 1, 2), dtype="Int64")
    area = u["area_km2"].astype(float).fillna(0.0)
    by_class = area.groupby([u["to"], u["mountain"]]).sum().unstack(fill_value=0.0).reindex(out.index, fill_value=0)
    by_class = by_class[[c for c in ("Π", "Η", "Ο") if c in by_class.columns]]
    out["mountain_2011"] = by_class.idxmax(axis=1).astype(str)
    out["mountain_area_share_2011"] = (by_class.get("Ο", 0.0) / by_class.sum(axis=1)).round(4)
    methods = {
        "pop_1991": _METHOD_POP,
        "pop_2001": _METHOD_POP,
        "urban_pop_share_2011": _METHOD_URBAN,
        "urban_rural_2011": _METHOD_URBAN,
        "mountain_2011": _METHOD_MOUNTAIN,
        "mountain_area_share_2011": _METHOD_MOUNTAIN,
    }
    return out, methods


def lctools_fields(lctools_2001: pd.DataFrame, crosswalk: Crosswalk) -> tuple[pd.DataFrame, dict[str, str]]:
    """The 2001 rates of lctools carried onto 2021 municipalities (see :func:`carry_rates`)."""
    cols = {c: carry_rates(lctools_2001[c], crosswalk.table) for c in LCTOOLS_OUTPUT}
    out = pd.DataFrame(cols)
    out.index.name = "code"
    return out, dict.fromkeys(LCTOOLS_OUTPUT, METHOD_RATE)
