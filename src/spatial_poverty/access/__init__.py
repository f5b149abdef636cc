"""Access to services across land and sea: land masses, travel times with ferries, access measures.

A pure API (no files written): :func:`land_masses` and :func:`assign_land_mass` find islands from the
boundaries; :class:`TravelModel` gives travel minutes between points (ferries between land masses, MARNET sea
routes); :mod:`~spatial_poverty.access.measures` turns them into nearest-service times, population within
thresholds, E2SFCA, equity indices and the deprivation x access class. Method and defaults: ``docs/access.md``.
"""

from spatial_poverty.access.islands import assign_land_mass, land_masses
from spatial_poverty.access.measures import (
    LUO_QI_WEIGHTS,
    aggregate,
    desert_class,
    e2sfca,
    gini,
    nearest_by_type,
    population_within,
    step_weights,
    theil,
)
from spatial_poverty.access.travel import (
    TravelCost,
    TravelModel,
    TravelParams,
    read_ferry_links,
    read_ports,
)

__all__ = [
    "LUO_QI_WEIGHTS",
    "TravelCost",
    "TravelModel",
    "TravelParams",
    "aggregate",
    "assign_land_mass",
    "desert_class",
    "e2sfca",
    "gini",
    "land_masses",
    "nearest_by_type",
    "population_within",
    "read_ferry_links",
    "read_ports",
    "step_weights",
    "theil",
]
