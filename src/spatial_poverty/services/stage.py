"""The access stage of a pipeline run: services, demand, travel times and measures -> three layers and a report.

Reads the services (the registry, else the OpenStreetMap stand-in), the ELSTAT settlement points with their
share of the 2021 community population, builds the travel model of :mod:`spatial_poverty.access` (islands from
the run's boundaries, ferry terminals, MARNET) and computes the measures: nearest service overall and by type,
population shares within the thresholds, E2SFCA, Gini and Theil of the time to the nearest service across
settlements, and the deprivation x access class ("service deserts").
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from spatial_poverty.access import (
    LUO_QI_WEIGHTS,
    TravelModel,
    TravelParams,
    aggregate,
    desert_class,
    e2sfca,
    gini,
    nearest_by_type,
    population_within,
    theil,
)
from spatial_poverty.csv_cells import neutralise_frame
from spatial_poverty.ingest.elstat2011 import read_census_2011
from spatial_poverty.ingest.elstat2021 import read_communities_2021
from spatial_poverty.ingest.services import read_osm_points
from spatial_poverty.ingest.settlements import read_settlements_2021
from spatial_poverty.services.demand import settlement_demand
from spatial_poverty.services.gazetteer import Gazetteer
from spatial_poverty.services.registry import Registry, osm_services, read_registry
from spatial_poverty.services.vocabulary import OSM_TAGS, SERVICE_TYPES

__all__ = ["AccessStage", "run_access"]

logger = logging.getLogger(__name__)


@dataclass
class AccessStage:
    """What the access stage produced.

    Attributes
    ----------
    layers : dict
        ``services``, ``settlement_access``, ``municipal_access`` (EPSG:2100).
    registry : Registry
    report : dict
        For the manifest and the report: counts, equity, deserts, travel parameters.
    issues : pandas.DataFrame
        Records not placed and duplicates (``kind``, ``service_id``, ``name``, ``type``, ``code``, ``detail``):
        written as ``services_issues.csv``.
    nearest : pandas.DataFrame
        Per settlement the nearest service of each type (``type``, ``service_id``, ``name``, ``minutes``,
        ``needs_ferry``), long format, for the map's popups.
    """

    layers: dict[str, gpd.GeoDataFrame]
    registry: Registry
    report: dict[str, Any]
    issues: pd.DataFrame
    nearest: pd.DataFrame
    files: list[Path] = field(default_factory=list)


def _travel_params(opts: Any) -> TravelParams:
    t = opts.travel
    return TravelParams(
        detour_factor=t.detour_factor,
        land_speed_kmh=t.land_speed_kmh,
        ship_speed_knots=t.ship_speed_knots,
        port_dwell_min=t.port_dwell_min,
        default_headway_h=t.default_headway_h,
        season=t.season,
        max_port_snap_km=t.max_port_snap_km,
    )


def run_access(
    opts: Any,
    *,
    sources: Any,
    paths: dict[str, Path],
    municipalities: gpd.GeoDataFrame,
    boundaries: gpd.GeoDataFrame,
    resolve: Callable[[Path], Path],
    deprivation: pd.Series | None = None,
    crosswalk: pd.DataFrame | None = None,
    staging: Path | None = None,
) -> AccessStage:
    """Run the access stage.

    Parameters
    ----------
    opts : pipeline ``AccessOptions``
    sources : pipeline ``Sources``
    paths : dict
        ``sources`` key -> verified raw file (see :data:`ACCESS_SOURCES`); with ``census_2011`` too, the 2011
        settlement populations weight the demand (see :func:`~spatial_poverty.services.demand.settlement_demand`).
    municipalities : geopandas.GeoDataFrame
        The run's layer (codes as index, ``name_el``, ``name_en``, ``pop_2021``); not changed.
    boundaries : geopandas.GeoDataFrame
        Every municipal polygon of the country (OpenStreetMap points farther than 1 km from all are dropped).
    resolve : callable
        Resolves a configured path against the pipeline file (registry, ferry links).
    deprivation : pandas.Series, optional
        Higher = more deprived, by municipality (the index score): gives ``desert_class`` and ``desert``.
    crosswalk : pandas.DataFrame, optional
        The ``code_crosswalk`` layer: names what a renumbered code meant in 2011 in registry errors.
    staging : pathlib.Path, optional
        Where ``services_issues.csv`` is written.
    """
    settlements = read_settlements_2021(paths["settlements_2021"])
    communities = read_communities_2021(paths["communities_2021"])
    # ---------------------------------------------------------------- services
    if opts.registry is not None:
        gaz = Gazetteer(settlements, communities, municipalities)
        registry = read_registry(
            resolve(opts.registry),
            gazetteer=gaz,
            municipalities=municipalities,
            encoding=opts.registry_encoding,
            sheet=opts.registry_sheet,
            duplicate_m=opts.duplicate_m,
            renumbered=_renumbered(crosswalk, municipalities),
        )
    else:
        osm = read_osm_points(paths["osm_points"], tags=[("amenity", k) for k in OSM_TAGS])
        registry = osm_services(osm, municipalities, boundaries, duplicate_m=opts.duplicate_m)
        registry.services["source"] = sources.osm_points
    services = registry.services
    types = opts.service_types or sorted(set(services["type"]), key=list(SERVICE_TYPES).index)
    active = services[(services["duplicate_of"] == "") & services["type"].isin(types)]
    # ---------------------------------------------------------------- demand and travel
    census = read_census_2011(paths["census_2011"]) if "census_2011" in paths else None
    demand = settlement_demand(settlements, communities, municipalities, census_2011=census)
    model = TravelModel.from_files(
        municipalities,
        paths["osm_points"],
        paths["marnet_nodes"],
        paths["marnet_edges"],
        links_path=resolve(opts.ferry_links) if opts.ferry_links is not None else None,
        params=_travel_params(opts),
    )
    logger.info("travel model: %r", model)
    cost = model.cost(demand, active)
    near = nearest_by_type(cost, active["type"].to_numpy(), active.index.to_numpy())
    # ---------------------------------------------------------------- settlement layer
    best = near["nearest_service_min"]
    reach = np.isfinite(best.to_numpy())
    ids = near["nearest_service_id"]
    s_layer = demand[["name", "community", "code", "pop_2021", "pop_method"]].copy()
    s_layer["nearest_service_min"] = best.where(reach).round(1)
    s_layer["nearest_service_id"] = ids.where(reach, None).astype(object)
    s_layer["nearest_service_type"] = ids.map(active["type"]).where(reach, None).astype(object)
    s_layer["needs_ferry"] = near["needs_ferry"].astype(bool)
    weights = {k * opts.catchment_min / max(LUO_QI_WEIGHTS): v for k, v in LUO_QI_WEIGHTS.items()}
    supply = np.ones(len(active))  # each service counts once: capacities are in different units across types
    acc = e2sfca(cost, demand["pop_2021"].to_numpy(), supply, weights=weights) * 1000.0
    s_layer["e2sfca"] = acc.to_numpy().round(4)
    for t in types:
        col = near[f"{t}_min"]
        s_layer[f"nearest_{t}_min"] = col.where(np.isfinite(col)).round(1)
    s_layer = gpd.GeoDataFrame(s_layer, geometry=demand.geometry, crs=demand.crs)
    # ---------------------------------------------------------------- municipal layer
    codes = demand["code"]
    within = population_within(
        best.where(reach, np.inf), demand["pop_2021"], thresholds=list(opts.thresholds_min), groups=codes
    )
    m = municipalities
    m_layer = m[["name_el", "name_en", "pop_2021"]].copy()
    m_layer["services_n"] = active["code"].value_counts().reindex(m.index, fill_value=0).astype("int64")
    m_layer["e2sfca"] = aggregate(acc.to_numpy(), demand["pop_2021"].to_numpy(), codes).reindex(m.index).round(4)
    # Mean over the settlements that reach a service (an unreachable one would make it infinite).
    mean_min = aggregate(best[reach].to_numpy(), demand["pop_2021"][reach].to_numpy(), codes[reach])
    m_layer["nearest_min_mean"] = mean_min.reindex(m.index).round(1)
    ferry_pop = (demand["pop_2021"] * s_layer["needs_ferry"]).groupby(codes).sum()
    tot = demand["pop_2021"].groupby(codes).sum()
    m_layer["needs_ferry_share"] = (ferry_pop / tot.where(tot > 0)).reindex(m.index).fillna(0.0).round(4)
    for t in opts.thresholds_min:
        m_layer[f"share_within_{t:g}min"] = within[f"share_within_{t:g}"].reindex(m.index).fillna(0.0).round(4)
    deserts: list[str] = []
    if deprivation is not None:
        dc = desert_class(deprivation.reindex(m.index), m_layer["e2sfca"])
        m_layer["desert_class"] = dc["bivariate_class"].astype(object).where(dc["bivariate_class"].notna(), None)
        m_layer["desert"] = dc["service_desert"].astype(bool)
        deserts = sorted(m.index[m_layer["desert"].to_numpy()])
    m_layer = gpd.GeoDataFrame(m_layer, geometry=m.geometry, crs=m.crs)
    m_layer.index.name = "code"
    # ---------------------------------------------------------------- equity, issues, report
    pop = demand["pop_2021"].to_numpy(dtype=float)
    equity: dict[str, float | None] = {"gini_nearest_min": None, "theil_nearest_min": None}
    if reach.any():
        equity["gini_nearest_min"] = round(gini(best[reach], pop[reach]), 4)
        equity["theil_nearest_min"] = round(theil(best[reach], pop[reach]), 4)
        equity["gini_e2sfca"] = round(gini(acc.to_numpy(), pop), 4)
    issues = _issues(registry)
    files: list[Path] = []
    if staging is not None:
        path = staging / "services_issues.csv"
        neutralise_frame(issues).to_csv(path, index=False, encoding="utf-8")
        files.append(path)
    report = {
        "services": registry.counts(),
        "service_types_measured": types,
        "attribution": registry.attribution,
        "notes": registry.notes,
        "settlements": len(s_layer),
        "settlements_unreachable": int((~reach).sum()),
        "settlements_needs_ferry": int(s_layer["needs_ferry"].sum()),
        "population": int(demand["pop_2021"].sum()),
        "population_needs_ferry": int(demand["pop_2021"][s_layer["needs_ferry"].to_numpy()].sum()),
        "demand_method": {str(k): int(v) for k, v in demand["pop_method"].value_counts().items()},
        "vulnerable_groups": "not available in the bundle (no age or household breakdown); not computed",
        "equity": equity,
        "deserts": deserts,
        "desert_basis": "deprivation index score x E2SFCA terciles" if deprivation is not None else None,
        "travel": {**opts.travel.model_dump(), "ferry_links": str(opts.ferry_links) if opts.ferry_links else None},
        "catchment_min": opts.catchment_min,
        "ports": len(model.ports),
        "land_masses": len(model.masses),
        "land_masses_without_port": len(model.masses_without_port),
        "municipalities": len(m_layer),
    }
    logger.info(
        "access: %d services (%s), %d settlements, %d need a ferry, %d unreachable; Gini %s; deserts %s",
        len(active),
        registry.source,
        len(s_layer),
        report["settlements_needs_ferry"],
        report["settlements_unreachable"],
        equity["gini_nearest_min"],
        deserts,
    )
    nearest = _nearest_long(near, types, active)
    layers = {"services": services, "settlement_access": s_layer, "municipal_access": m_layer}
    return AccessStage(layers=layers, registry=registry, report=report, issues=issues, nearest=nearest, files=files)


def _renumbered(crosswalk: pd.DataFrame | None, municipalities: gpd.GeoDataFrame) -> dict[str, str] | None:
    """2021 code -> the 2011 municipality the same number denoted, where the two differ (renumbered codes)."""
    if crosswalk is None or crosswalk.empty:
        return None
    out: dict[str, str] = {}
    for code in municipalities.index:
        rows = crosswalk[crosswalk["elstat_2011"] == code]
        if len(rows) and not (rows["elstat_2021"] == code).any():
            out[code] = f"{rows['name_2011'].iloc[0]} (now {', '.join(sorted(rows['elstat_2021']))})"
    return out


def _issues(registry: Registry) -> pd.DataFrame:
    cols = ["kind", "service_id", "name", "type", "code", "detail"]
    rows = [
        {
            "kind": "unplaced",
            "service_id": r.service_id,
            "name": r.name,
            "type": r.type,
            "code": r.code,
            "detail": f"{r.where}: {r.reason}",
        }
        for r in registry.unplaced.itertuples()
    ]
    s = registry.services
    for r in registry.duplicates.itertuples():
        rows.append(
            {
                "kind": "duplicate",
                "service_id": r.service_id,
                "name": s.loc[r.service_id, "name"],
                "type": s.loc[r.service_id, "type"],
                "code": s.loc[r.service_id, "code"],
                "detail": f"repeats {r.duplicate_of} ({r.distance_m} m, name similarity {r.name_similarity})",
            }
        )
    return pd.DataFrame(rows, columns=cols)


def _nearest_long(near: pd.DataFrame, types: list[str], services: gpd.GeoDataFrame) -> pd.DataFrame:
    parts = []
    for t in types:
        ids = near[f"{t}_id"]
        ok = ids.notna().to_numpy() & np.isfinite(near[f"{t}_min"].to_numpy())
        parts.append(
            pd.DataFrame(
                {
                    "settlement": near.index[ok],
                    "type": t,
                    "service_id": ids[ok].to_numpy(),
                    "name": services["name"].reindex(ids[ok].to_numpy()).to_numpy(),
                    "minutes": near[f"{t}_min"][ok].round(1).to_numpy(),
                    "needs_ferry": near[f"{t}_needs_ferry"][ok].to_numpy(),
                }
            )
        )
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()
