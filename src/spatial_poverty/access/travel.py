"""Travel time between points across land and sea: a road-distance proxy on land, ferries between land masses.

Over land within one land mass (mainland or an island, see :mod:`spatial_poverty.access.islands`) the time is
the great-circle distance times a detour factor over a speed. Between land masses the only way is by sea: land to
a port of the origin's land mass, the expected wait for a sailing (half the headway), the port dwell, the
shortest sea route on the MARNET network between the two ports at the ship's speed, then land from the arrival
port. Ports are the OpenStreetMap ferry terminals. With a ferry links file only the listed port pairs are sailed
(transfers allowed, each leg with its own wait and dwell); without one every pair of ports on different land
masses is sailed directly with a default headway.
"""

from __future__ import annotations

import logging
import math
import os
import unicodedata
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType

import geopandas as gpd
import numpy as np
import pandas as pd
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import dijkstra, shortest_path
from scipy.spatial import cKDTree

from spatial_poverty.access.islands import CRS, assign_land_mass, land_masses
from spatial_poverty.errors import ConfigError, IngestError

__all__ = [
    "FERRY_LINK_COLUMNS",
    "SEASONS",
    "TravelCost",
    "TravelModel",
    "TravelParams",
    "read_ferry_links",
    "read_ports",
]

logger = logging.getLogger(__name__)

EARTH_RADIUS_KM = 6371.0088  # mean Earth radius (IUGG)
METRES_PER_NM = 1852.0
MINUTES_PER_WEEK = 7 * 24 * 60
#: Values of the ``season`` column of a ferry links file.
SEASONS = ("all", "summer", "winter")
#: Columns of a ferry links file, in order.
FERRY_LINK_COLUMNS = ("port_a", "port_b", "sailings_per_week", "season")

_DEFAULT_ROAD_SPEEDS = MappingProxyType(
    {"motorway": 90.0, "trunk": 70.0, "primary": 60.0, "secondary": 50.0, "tertiary": 40.0, "local": 30.0}
)


@dataclass(frozen=True)
class TravelParams:
    """Parameters of the travel-time model (defaults and their sources in ``docs/access.md``).

    Attributes
    ----------
    detour_factor : float, default 1.3
        Road distance over great-circle distance (circuity; 1.2-1.4 in Ballou et al. 2002, 1.42 US mean in
        Boscoe et al. 2012).
    land_speed_kmh : float, default 40
        Mean door-to-door road speed where the road class is not known.
    road_speeds_kmh : mapping, default motorway 90, trunk 70, primary 60, secondary 50, tertiary 40, local 30
        Speed by road class, used for points that carry a ``road_class`` column (half the trip at each end's
        speed).
    ship_speed_knots : float, default 15
        Service speed of a conventional Aegean ferry.
    port_dwell_min : float, default 30
        Time at the departure port before sailing (boarding, the check-in time the lines ask for), per sea leg.
    default_headway_h : float, default 24
        Hours between sailings when no ferry links file is given (one sailing a day); the wait is half of it.
    season : {"winter", "summer"}, default "winter"
        Rows of the links file used: those of this season and those marked ``all``. Winter is what residents
        have all year.
    port_tolerance_m : float, default 2000
        A ferry terminal farther than this from every land mass is not a port of the model (terminals in
        neighbouring countries fall out here).
    point_tolerance_m : float, default 1000
        Same for origins and destinations (see :func:`~spatial_poverty.access.islands.assign_land_mass`).
    max_port_snap_km : float, default 10
        A port farther than this from the sea-route network is not used (inland or mis-tagged terminals).
    ports_per_point : int, default 5
        Ports of its own land mass considered for each origin and destination, the nearest by land.
    close_gaps_m : float, default 100
        Passed to :func:`~spatial_poverty.access.islands.land_masses`.
    virtual_ports : bool, default True
        A land mass with no ferry terminal in the points gets a virtual port at its coast nearest the sea-route
        network (at any distance), so that it is not cut off because OpenStreetMap maps its harbour as
        an area (the bundle has nodes only: Naxos, Tinos, Kalymnos, ...). With False such land masses are
        unreachable (``inf``).
    """

    detour_factor: float = 1.3
    land_speed_kmh: float = 40.0
    road_speeds_kmh: Mapping[str, float] = field(default_factory=lambda: _DEFAULT_ROAD_SPEEDS)
    ship_speed_knots: float = 15.0
    port_dwell_min: float = 30.0
    default_headway_h: float = 24.0
    season: str = "winter"
    port_tolerance_m: float = 2000.0
    point_tolerance_m: float = 1000.0
    max_port_snap_km: float = 10.0
    ports_per_point: int = 5
    close_gaps_m: float = 100.0
    virtual_ports: bool = True

    def __post_init__(self) -> None:
        positive = {
            "detour_factor": self.detour_factor,
            "land_speed_kmh": self.land_speed_kmh,
            "ship_speed_knots": self.ship_speed_knots,
            "default_headway_h": self.default_headway_h,
            "ports_per_point": self.ports_per_point,
        }
        for name, value in positive.items():
            if not (isinstance(value, int | float) and math.isfinite(value) and value > 0):
                raise ConfigError(f"TravelParams.{name} needs to be a positive number; {value!r} was given instead")
        if self.detour_factor < 1:
            raise ConfigError(f"TravelParams.detour_factor needs to be >= 1; {self.detour_factor!r} was given instead")
        for name in ("port_dwell_min", "port_tolerance_m", "point_tolerance_m", "max_port_snap_km", "close_gaps_m"):
            value = getattr(self, name)
            if not (isinstance(value, int | float) and math.isfinite(value) and value >= 0):
                raise ConfigError(f"TravelParams.{name} needs to be a number >= 0; {value!r} was given instead")
        for cls, speed in self.road_speeds_kmh.items():
            if not (isinstance(speed, int | float) and math.isfinite(speed) and speed > 0):
                raise ConfigError(
                    f"TravelParams.road_speeds_kmh[{cls!r}] needs to be a positive number; {speed!r} was given instead"
                )
        if self.season not in ("winter", "summer"):
            raise ConfigError(
                f"TravelParams.season needs to be 'winter' or 'summer'; {self.season!r} was given instead"
            )

    @classmethod
    def from_mapping(cls, values: Mapping[str, object], *, source: str = "travel parameters") -> TravelParams:
        """Parameters from a mapping (a section of a pipeline file); unknown keys are refused, naming ``source``."""
        known = set(cls.__dataclass_fields__)
        unknown = sorted(set(values) - known)
        if unknown:
            raise ConfigError(f"{source}: unknown key(s) {unknown}; expected some of {sorted(known)}")
        return cls(**values)  # type: ignore[arg-type]


def read_ferry_links(path: str | os.PathLike[str]) -> pd.DataFrame:
    """Read a ferry links file: which ports are linked, how often, in which season.

    The file is UTF-8 CSV (a BOM is accepted) with the header ``port_a,port_b,sailings_per_week,season``:
    ``port_a``/``port_b`` are an OpenStreetMap id of a ferry terminal or its name (``name`` or ``name_en``,
    compared without accents or case); ``sailings_per_week`` a positive number (decimal point), sailings in
    each direction; ``season`` one of ``all``, ``summer``, ``winter``. A link is sailed both ways.

    Returns
    -------
    pandas.DataFrame
        The four columns (ports as text, sailings as float) and ``row``, the line number in the file (header =
        1); ``attrs["path"]`` holds the path.

    Raises
    ------
    IngestError
        Naming the file, row, column, value and what was expected.
    """
    path = Path(path)
    try:
        raw = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        raise IngestError(f"{path}: not UTF-8 text ({exc}); expected a UTF-8 CSV") from exc
    except pd.errors.EmptyDataError as exc:
        raise IngestError(f"{path}: the file is empty; expected the header {','.join(FERRY_LINK_COLUMNS)}") from exc
    cols = [c.strip() for c in raw.columns]
    missing = [c for c in FERRY_LINK_COLUMNS if c not in cols]
    if missing:
        raise IngestError(
            f"{path}: column(s) {missing} are missing; the file has {cols}; expected {list(FERRY_LINK_COLUMNS)}"
        )
    raw.columns = cols
    text = {c: [str(v).strip() for v in raw[c]] for c in FERRY_LINK_COLUMNS}
    sailings: list[float] = []
    for i in range(len(raw)):
        row = i + 2
        a, b = text["port_a"][i], text["port_b"][i]
        for c, end in (("port_a", a), ("port_b", b)):
            if not end:
                raise IngestError(f"{path}, row {row}, column {c!r}: empty; expected an OSM id or a port name")
        if a == b:
            raise IngestError(f"{path}, row {row}: port_a and port_b are both {a!r}; expected two ports")
        s = text["sailings_per_week"][i]
        try:
            v = float(s)
        except ValueError:
            v = math.nan
        if not (math.isfinite(v) and v > 0) or "," in s:
            raise IngestError(
                f"{path}, row {row}, column 'sailings_per_week': {s!r}; expected a positive number with a decimal point"
            )
        sailings.append(v)
        season = text["season"][i]
        if season not in SEASONS:
            raise IngestError(f"{path}, row {row}, column 'season': {season!r}; expected one of {list(SEASONS)}")
    out = pd.DataFrame(
        {
            "port_a": pd.Series(text["port_a"], dtype=object),
            "port_b": pd.Series(text["port_b"], dtype=object),
            "sailings_per_week": np.asarray(sailings, dtype="float64"),
            "season": pd.Series(text["season"], dtype=object),
            "row": np.arange(2, len(raw) + 2),
        }
    )
    out.attrs["path"] = str(path)
    logger.info("%s: %d ferry links", path, len(out))
    return out


def read_ports(osm_path: str | os.PathLike[str]) -> gpd.GeoDataFrame:
    """The OpenStreetMap ferry terminals (``amenity=ferry_terminal``) of the bundle's extract, as ports.

    Returns
    -------
    geopandas.GeoDataFrame
        Indexed by ``osm_id`` with ``name``, ``name_en``, points in EPSG:4326; terminals of neighbouring
        countries are still there (the model drops those off the land masses).
    """
    from spatial_poverty.ingest.services import read_osm_points

    pts = read_osm_points(osm_path, tags=[("amenity", "ferry_terminal")])
    return pts[["name", "name_en", "geometry"]]


@dataclass(frozen=True)
class TravelCost:
    """Travel times from origins (rows) to destinations (columns).

    Attributes
    ----------
    minutes : numpy.ndarray
        ``(n_origins, n_destinations)``; ``inf`` where there is no way (a land mass with no port, a point off
        every land mass, no sailing in the season).
    needs_ferry : numpy.ndarray of bool
        True where origin and destination are on different land masses (the trip needs a ferry, whether or not
        one exists).
    origin_index, destination_index : pandas.Index
        The index of the origins and destinations given.
    origin_port, destination_port : numpy.ndarray of int64 or None
        For sea trips, the OSM id of the departure and arrival ports; -1 for land trips and no way. Filled when
        asked for (``routes=True``).
    """

    minutes: np.ndarray
    needs_ferry: np.ndarray
    origin_index: pd.Index
    destination_index: pd.Index
    origin_port: np.ndarray | None = None
    destination_port: np.ndarray | None = None

    def route_kind(self) -> np.ndarray:
        """``"land"``, ``"sea"`` (land, ferry, land) or ``"none"`` (no way) for each origin-destination pair."""
        finite = np.isfinite(self.minutes)
        return np.where(finite & self.needs_ferry, "sea", np.where(finite, "land", "none"))


@dataclass(frozen=True)
class _Placed:
    lon: np.ndarray  # radians
    lat: np.ndarray
    mass: np.ndarray  # int64, -1 = no land mass
    speed: np.ndarray  # km/h
    port: np.ndarray  # (n, K) port positions
    port_min: np.ndarray  # (n, K) land minutes to those ports, inf = none


class TravelModel:
    """Travel times over land masses, ports and the sea-route network.

    Parameters
    ----------
    masses : geopandas.GeoDataFrame
        From :func:`~spatial_poverty.access.islands.land_masses`.
    ports : geopandas.GeoDataFrame
        Ferry terminals (from :func:`read_ports`), indexed by OSM id, with ``name`` and ``name_en``.
    sea_nodes, sea_edges
        The MARNET network from :func:`~spatial_poverty.ingest.services.read_marnet` (lengths in nautical
        miles).
    links : pandas.DataFrame, optional
        From :func:`read_ferry_links`. Without it, every pair of ports on different land masses is sailed
        directly with ``params.default_headway_h``.
    params : TravelParams, optional

    Attributes
    ----------
    ports : geopandas.GeoDataFrame
        The ports used, indexed by OSM id (negative for virtual ports): ``name``, ``name_en``, ``mass_id``,
        ``sea_node`` (MARNET id), ``snap_nm`` (distance to that node), ``virtual``, EPSG:4326.
    dropped_ports : pandas.DataFrame
        Terminals not used, with ``reason``.
    port_minutes : numpy.ndarray
        Least time between ports (rows: departure, columns: arrival), legs of land and sea, including waits and
        dwells; 0 on the diagonal.
    sea_nm : numpy.ndarray
        Shortest sea distance between ports (snap distances included).
    masses_without_port : list of int
        Land masses with no port: every trip off them is ``inf``.

    Notes
    -----
    Land time between points *a* and *b* (great-circle distance :math:`d_{ab}` by the haversine formula,
    detour factor :math:`f`, speeds :math:`v_a, v_b` from the road class or the default):

    .. math:: t^{land}_{ab} = 60\\, f\\, d_{ab} \\cdot \\tfrac12 (1/v_a + 1/v_b)

    Sea leg from port *p* to port *q*: :math:`t_{pq} = h_{pq}/2 + w + 60\\, s_{pq} / v_{ship}` with headway
    :math:`h` (minutes), dwell :math:`w`, MARNET shortest path :math:`s` in nautical miles and speed in knots.
    :math:`T_{pq}` is the least time over the port graph (sea legs and land legs between ports of one land
    mass). Between origin *o* and destination *d* on different land masses:

    .. math:: t_{od} = \\min_{p \\in P_o,\\, q \\in P_d} t^{land}_{op} + T_{pq} + t^{land}_{qd}

    where :math:`P_o` are the ``ports_per_point`` ports of the origin's land mass nearest to it by land.
    """

    def __init__(
        self,
        masses: gpd.GeoDataFrame,
        ports: gpd.GeoDataFrame,
        sea_nodes: gpd.GeoDataFrame,
        sea_edges: pd.DataFrame,
        *,
        links: pd.DataFrame | None = None,
        params: TravelParams | None = None,
    ) -> None:
        self.params = params or TravelParams()
        self.masses = masses
        p = self.params
        if masses.crs is None or masses.index.name != "mass_id" or "area_km2" not in masses.columns:
            raise IngestError("masses: expected the frame of land_masses() (index mass_id, area_km2, a CRS)")
        if ports.crs is None or sea_nodes.crs is None:
            raise IngestError("ports and sea_nodes need a CRS (EPSG:4326 from read_ports and read_marnet)")
        ports = ports.to_crs("EPSG:4326")
        for col in ("name", "name_en"):
            if col not in ports.columns:
                ports = ports.assign(**{col: None})
        ports = ports[["name", "name_en", "geometry"]]
        mass = assign_land_mass(ports, masses, tolerance_m=p.port_tolerance_m)
        dropped = [
            pd.DataFrame(
                {"reason": f"farther than {p.port_tolerance_m:g} m from every land mass"},
                index=ports.index[mass.isna()],
            )
        ]
        ports = ports.loc[mass.notna()].copy()
        ports["mass_id"] = mass[mass.notna()].astype("int64")
        # snap ports to the sea-route network (planar, EPSG:2100)
        node_xy = _xy(sea_nodes.to_crs(CRS))
        tree = cKDTree(node_xy)
        dist_m, pos = tree.query(_xy(ports.to_crs(CRS)))
        ports["sea_node"] = sea_nodes.index.to_numpy()[pos]
        ports["snap_nm"] = dist_m / METRES_PER_NM
        far = dist_m > p.max_port_snap_km * 1000
        dropped.append(
            pd.DataFrame(
                {"reason": f"farther than {p.max_port_snap_km:g} km from the sea-route network"}, index=ports.index[far]
            )
        )
        ports = ports.loc[~far]
        ports["virtual"] = False
        self.dropped_ports = pd.concat(dropped)
        if len(self.dropped_ports):
            logger.info(
                "ports: %d terminals used, %d dropped (%s)",
                len(ports),
                len(self.dropped_ports),
                self.dropped_ports["reason"].value_counts().to_dict(),
            )
        without = sorted(set(masses.index) - set(ports["mass_id"]))
        if p.virtual_ports and without:
            virtual = _virtual_ports(masses.loc[without], sea_nodes)
            logger.info(
                "%d land masses have no ferry terminal in the points: a virtual port each, at the coast nearest "
                "the sea-route network (largest: %s km2)",
                len(virtual),
                masses.loc[virtual["mass_id"], "area_km2"].nlargest(5).round(1).tolist(),
            )
            ports = pd.concat([ports, virtual])
        self.ports = ports
        self.masses_without_port = sorted(set(masses.index) - set(ports["mass_id"]))
        if self.masses_without_port:
            logger.info(
                "%d land masses have no port (trips off them are unreachable): largest %s km2",
                len(self.masses_without_port),
                masses.loc[self.masses_without_port, "area_km2"].nlargest(5).round(1).tolist(),
            )
        self.sea_nm = _sea_distances(ports, sea_nodes, sea_edges)
        self._port_lon = np.radians(ports.geometry.x.to_numpy())
        self._port_lat = np.radians(ports.geometry.y.to_numpy())
        self._port_mass = ports["mass_id"].to_numpy()
        self._n_links = 0 if links is None else len(links)
        self.port_minutes = self._port_graph(links)

    @classmethod
    def from_files(
        cls,
        boundaries: gpd.GeoDataFrame,
        osm_path: str | os.PathLike[str],
        marnet_nodes_path: str | os.PathLike[str],
        marnet_edges_path: str | os.PathLike[str],
        *,
        links_path: str | os.PathLike[str] | None = None,
        params: TravelParams | None = None,
    ) -> TravelModel:
        """Build the model from boundaries and the files of the bundle (OSM extract, MARNET, links file)."""
        from spatial_poverty.ingest.services import read_marnet

        params = params or TravelParams()
        masses = land_masses(boundaries, close_gaps_m=params.close_gaps_m)
        nodes, edges = read_marnet(marnet_nodes_path, marnet_edges_path)
        links = read_ferry_links(links_path) if links_path is not None else None
        return cls(masses, read_ports(osm_path), nodes, edges, links=links, params=params)

    def summary(self) -> dict[str, object]:
        """Counts for a run log or report: land masses, ports (terminals, virtual, dropped), unreachable masses."""
        return {
            "land_masses": len(self.masses),
            "land_masses_1km2": int((self.masses["area_km2"] >= 1).sum()),
            "ports": len(self.ports),
            "ports_virtual": int(self.ports["virtual"].sum()),
            "terminals_dropped": len(self.dropped_ports),
            "land_masses_without_port": len(self.masses_without_port),
            "ferry_links": self._n_links,
        }

    def __repr__(self) -> str:
        return (
            f"<TravelModel: {len(self.masses)} land masses ({len(self.masses_without_port)} without port), "
            f"{len(self.ports)} ports, {self.params}>"
        )

    # ------------------------------------------------------------------ port graph
    def _land_minutes(
        self,
        lon_a: np.ndarray,
        lat_a: np.ndarray,
        v_a: np.ndarray,
        lon_b: np.ndarray,
        lat_b: np.ndarray,
        v_b: np.ndarray,
    ) -> np.ndarray:
        km = _haversine_km(lon_a[:, None], lat_a[:, None], lon_b[None, :], lat_b[None, :])
        return 60.0 * self.params.detour_factor * km * 0.5 * (1.0 / v_a[:, None] + 1.0 / v_b[None, :])

    def _port_graph(self, links: pd.DataFrame | None) -> np.ndarray:
        p = self.params
        k = len(self.ports)
        v = np.full(k, p.land_speed_kmh)
        graph = self._land_minutes(self._port_lon, self._port_lat, v, self._port_lon, self._port_lat, v)
        graph[self._port_mass[:, None] != self._port_mass[None, :]] = np.inf
        sail = 60.0 * self.sea_nm / p.ship_speed_knots + p.port_dwell_min
        if links is None:
            # every pair of ports on different land masses is sailed directly at the same headway, so a transfer
            # never helps (MARNET distances are shortest paths); moving to another port of the same land mass is
            # covered by the ports_per_point nearest ports of each origin and destination
            leg = sail + 0.5 * p.default_headway_h * 60.0
            other = self._port_mass[:, None] != self._port_mass[None, :]
            graph[other] = leg[other]
            np.fill_diagonal(graph, 0.0)
            return graph
        for (a, b), per_week in self._match_links(links).items():
            graph[a, b] = min(graph[a, b], sail[a, b] + 0.5 * MINUTES_PER_WEEK / per_week)
            graph[b, a] = min(graph[b, a], sail[b, a] + 0.5 * MINUTES_PER_WEEK / per_week)
        np.fill_diagonal(graph, 0.0)
        rows, cols = np.nonzero(np.isfinite(graph) & ~np.eye(k, dtype=bool))
        vals = graph[rows, cols]
        vals[vals == 0] = 1e-12  # ports at one spot: a stored 0 would not be an edge of the sparse graph
        sparse = coo_matrix((vals, (rows, cols)), shape=(k, k)).tocsr()
        out = shortest_path(sparse, method="D", directed=True)
        np.fill_diagonal(out, 0.0)
        return np.asarray(out)

    def _match_links(self, links: pd.DataFrame) -> dict[tuple[int, int], float]:
        path = links.attrs.get("path", "ferry links")
        keys: dict[str, list[int]] = {}
        for i, (pid, name, name_en) in enumerate(
            zip(self.ports.index, self.ports["name"], self.ports["name_en"], strict=True)
        ):
            keys.setdefault(str(pid), []).append(i)
            for n in {_fold(name), _fold(name_en)} - {""}:
                keys.setdefault(n, []).append(i)
        use = links[links["season"].isin(["all", self.params.season])]
        out: dict[tuple[int, int], float] = {}
        for _, r in use.iterrows():
            ends = []
            for col in ("port_a", "port_b"):
                val = str(r[col])
                found = keys.get(val) or keys.get(_fold(val))
                if not found:
                    raise IngestError(
                        f"{path}, row {r['row']}, column {col!r}: {val!r} is not a port of the model; expected the OSM "
                        "id or name of a ferry terminal on a land mass (see TravelModel.ports and .dropped_ports)"
                    )
                if len(set(self._port_mass[found])) > 1:
                    raise IngestError(
                        f"{path}, row {r['row']}, column {col!r}: {val!r} names ferry terminals on different land "
                        f"masses (OSM ids {self.ports.index[found].tolist()}); use the OSM id"
                    )
                ends.append(found)
            for a in ends[0]:
                for b in ends[1]:
                    out[(a, b)] = out.get((a, b), 0.0) + float(r["sailings_per_week"])
        return out

    # ------------------------------------------------------------------ points
    def _place(self, points: gpd.GeoDataFrame | gpd.GeoSeries, what: str) -> _Placed:
        p = self.params
        if points.crs is None:
            raise IngestError(f"{what}: no CRS; expected e.g. EPSG:4326 or EPSG:2100")
        geom = (points.geometry if isinstance(points, gpd.GeoDataFrame) else points).to_crs("EPSG:4326")
        if not (geom.geom_type == "Point").all():
            raise IngestError(f"{what}: expected points; found {sorted(set(geom.geom_type))}")
        lon, lat = np.radians(geom.x.to_numpy()), np.radians(geom.y.to_numpy())
        mass = assign_land_mass(geom, self.masses, tolerance_m=p.point_tolerance_m).fillna(-1).to_numpy(dtype="int64")
        speed = np.full(len(geom), p.land_speed_kmh)
        if isinstance(points, gpd.GeoDataFrame) and "road_class" in points.columns:
            cls = points["road_class"]
            known = cls.notna() & (cls.astype(str) != "")
            bad = sorted(set(cls[known].astype(str)) - set(p.road_speeds_kmh))
            if bad:
                raise IngestError(
                    f"{what}, column 'road_class': {bad[:10]} not in TravelParams.road_speeds_kmh "
                    f"({sorted(p.road_speeds_kmh)}); leave it empty where the class is not known"
                )
            speed[known.to_numpy()] = [p.road_speeds_kmh[str(c)] for c in cls[known]]
        n_off = int((mass < 0).sum())
        if n_off:
            logger.warning(
                "%s: %d of %d points are on no land mass (farther than %.0f m): no travel time",
                what,
                n_off,
                len(mass),
                p.point_tolerance_m,
            )
        kk = min(p.ports_per_point, max(len(self.ports), 1))
        port = np.zeros((len(mass), kk), dtype="int64")
        port_min = np.full((len(mass), kk), np.inf)
        for m in np.unique(mass[mass >= 0]):
            rows = np.flatnonzero(mass == m)
            cand = np.flatnonzero(self._port_mass == m)
            if not len(cand):
                continue
            t = self._land_minutes(
                lon[rows],
                lat[rows],
                speed[rows],
                self._port_lon[cand],
                self._port_lat[cand],
                np.full(len(cand), p.land_speed_kmh),
            )
            j = min(kk, len(cand))
            best = np.argsort(t, axis=1, kind="stable")[:, :j]
            port[rows, :j] = cand[best]
            port_min[rows, :j] = np.take_along_axis(t, best, axis=1)
        return _Placed(lon, lat, mass, speed, port, port_min)

    def unplaced(self, points: gpd.GeoDataFrame | gpd.GeoSeries) -> pd.Index:
        """Index of the points that are on no land mass (they get ``inf`` everywhere)."""
        geom = points.geometry if isinstance(points, gpd.GeoDataFrame) else points
        mass = assign_land_mass(geom, self.masses, tolerance_m=self.params.point_tolerance_m)
        return geom.index[mass.isna().to_numpy()]

    # ------------------------------------------------------------------ costs
    def cost(
        self,
        origins: gpd.GeoDataFrame | gpd.GeoSeries,
        destinations: gpd.GeoDataFrame | gpd.GeoSeries,
        *,
        routes: bool = False,
        dtype: type[np.floating] = np.float64,
        max_cells: int = 2_000_000,
    ) -> TravelCost:
        """Travel minutes from every origin to every destination.

        Parameters
        ----------
        origins, destinations : geopandas.GeoDataFrame or GeoSeries
            Points with a CRS; an optional ``road_class`` column picks the land speed.
        routes : bool, default False
            Also return the departure and arrival ports of sea trips.
        dtype : numpy float type, default float64
            ``np.float32`` halves the memory of the result (13,584 settlements x 3,000 services: 163 MB).
        max_cells : int, default 2,000,000
            Rows of origins are computed in blocks of at most this many origin-destination cells, so the
            working memory is a few times ``max_cells`` x 8 bytes on top of the result.

        Returns
        -------
        TravelCost
        """
        o = self._place(origins, "origins")
        d = self._place(destinations, "destinations")
        n_o, n_d = len(o.mass), len(d.mass)
        minutes = np.empty((n_o, n_d), dtype=dtype)
        ferry = np.empty((n_o, n_d), dtype=bool)
        o_port = np.full((n_o, n_d), -1, dtype="int64") if routes else None
        d_port = np.full((n_o, n_d), -1, dtype="int64") if routes else None
        width = max(n_d, o.port.shape[1] * len(self.ports))  # the widest working array of a block
        for sl in _blocks(n_o, width, max_cells):
            m, f, op, dp = self._block(o, sl, d, routes)
            minutes[sl] = m
            ferry[sl] = f
            if o_port is not None and d_port is not None:
                o_port[sl], d_port[sl] = op, dp
        return TravelCost(minutes, ferry, origins.index.copy(), destinations.index.copy(), o_port, d_port)

    def cost_blocks(
        self,
        origins: gpd.GeoDataFrame | gpd.GeoSeries,
        destinations: gpd.GeoDataFrame | gpd.GeoSeries,
        *,
        block_rows: int = 1000,
        routes: bool = False,
        dtype: type[np.floating] = np.float64,
    ) -> Iterator[TravelCost]:
        """Like :meth:`cost`, one block of ``block_rows`` origins at a time (constant memory)."""
        d = self._place(destinations, "destinations")
        for start in range(0, len(origins), block_rows):
            sub = origins.iloc[start : start + block_rows]
            o = self._place(sub, "origins")
            m, f, op, dp = self._block(o, slice(0, len(sub)), d, routes)
            yield TravelCost(m.astype(dtype, copy=False), f, sub.index.copy(), destinations.index.copy(), op, dp)

    def _block(
        self, o: _Placed, sl: slice, d: _Placed, routes: bool
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray | None, np.ndarray | None]:
        mo, md = o.mass[sl], d.mass
        land = self._land_minutes(o.lon[sl], o.lat[sl], o.speed[sl], d.lon, d.lat, d.speed)
        same = (mo[:, None] == md[None, :]) & (mo[:, None] >= 0)
        ferry = (mo[:, None] != md[None, :]) & (mo[:, None] >= 0) & (md[None, :] >= 0)
        out = np.where(same, land, np.inf)
        op = dp = None
        if routes:
            op = np.full(out.shape, -1, dtype="int64")
            dp = np.full(out.shape, -1, dtype="int64")
        if ferry.any() and len(self.ports):
            # best time from each origin to each arrival port q: min_i land(o, p_i) + T[p_i, q]
            po, pm = o.port[sl], o.port_min[sl]
            via = pm[:, :, None] + self.port_minutes[po]  # (n, K, k)
            arg_i = np.argmin(via, axis=1)  # (n, k)
            to_port = np.take_along_axis(via, arg_i[:, None, :], axis=1)[:, 0, :]
            sea = np.full(out.shape, np.inf)
            best_j = np.zeros(out.shape, dtype="int64")
            for j in range(d.port.shape[1]):
                cand = to_port[:, d.port[:, j]] + d.port_min[None, :, j]
                better = cand < sea
                sea = np.where(better, cand, sea)
                best_j = np.where(better, j, best_j)
            out = np.where(ferry, sea, out)
            if op is not None and dp is not None:
                q = np.take_along_axis(
                    np.broadcast_to(d.port[None, :, :], (*out.shape, d.port.shape[1])), best_j[:, :, None], axis=2
                )[:, :, 0]
                i = np.take_along_axis(arg_i, q, axis=1)
                p = np.take_along_axis(po, i, axis=1)
                ok = ferry & np.isfinite(out)
                ids = self.ports.index.to_numpy()
                op[ok] = ids[p[ok]]
                dp[ok] = ids[q[ok]]
        return out, ferry, op, dp


def _virtual_ports(masses: gpd.GeoDataFrame, nodes: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """One port per land mass, on its coast at the point nearest the sea-route network.

    No distance limit: the network is sparse around remote rocks, and the snap distance is sailed in a straight
    line (it is added to the sea distance like any port's).
    """
    import shapely

    polys = masses.to_crs(CRS).geometry.to_numpy()
    node_geom = nodes.to_crs(CRS).geometry.to_numpy()
    tree = shapely.STRtree(node_geom)
    (src, dst), dist = tree.query_nearest(polys, return_distance=True, all_matches=False)
    lines = shapely.shortest_line(polys[src], node_geom[dst])
    coast = shapely.get_point(lines, 0)
    mass_ids = masses.index.to_numpy()[src]
    out = gpd.GeoDataFrame(
        {
            "name": [f"virtual port of land mass {m}" for m in mass_ids],
            "name_en": [f"virtual port of land mass {m}" for m in mass_ids],
            "mass_id": mass_ids.astype("int64"),
            "sea_node": nodes.index.to_numpy()[dst],
            "snap_nm": dist / METRES_PER_NM,
            "virtual": True,
        },
        geometry=coast,
        crs=CRS,
        index=pd.Index(-(mass_ids.astype("int64") + 1), name="osm_id"),
    ).to_crs("EPSG:4326")
    return out


def _blocks(n_o: int, n_d: int, max_cells: int) -> Iterator[slice]:
    rows = max(1, max_cells // max(n_d, 1))
    for start in range(0, n_o, rows):
        yield slice(start, min(start + rows, n_o))


def _xy(gdf: gpd.GeoDataFrame | gpd.GeoSeries) -> np.ndarray:
    g = gdf.geometry
    return np.column_stack([g.x.to_numpy(), g.y.to_numpy()])


def _haversine_km(lon1: np.ndarray, lat1: np.ndarray, lon2: np.ndarray, lat2: np.ndarray) -> np.ndarray:
    """Great-circle distance in km between points given in radians (haversine formula)."""
    a = np.sin((lat2 - lat1) / 2) ** 2 + np.cos(lat1) * np.cos(lat2) * np.sin((lon2 - lon1) / 2) ** 2
    return 2 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(np.clip(a, 0.0, 1.0)))


def _sea_distances(ports: gpd.GeoDataFrame, nodes: gpd.GeoDataFrame, edges: pd.DataFrame) -> np.ndarray:
    """Shortest sea distance (nm) between ports: snap to the nearest node, Dijkstra on MARNET (undirected)."""
    pos = pd.Series(np.arange(len(nodes)), index=nodes.index)
    a = pos.loc[edges["from"].to_numpy()].to_numpy()
    b = pos.loc[edges["to"].to_numpy()].to_numpy()
    w = edges["length_nm"].to_numpy(dtype="float64")
    n = len(nodes)
    graph = coo_matrix((w, (a, b)), shape=(n, n)).tocsr()
    src = pos.loc[ports["sea_node"].to_numpy()].to_numpy()
    uniq, inv = np.unique(src, return_inverse=True)
    dist = dijkstra(graph, directed=False, indices=uniq)[:, uniq]  # (u, u)
    snap = ports["snap_nm"].to_numpy()
    out = dist[inv][:, inv] + snap[:, None] + snap[None, :]
    np.fill_diagonal(out, 0.0)
    return np.asarray(out)


def _fold(text: object) -> str:
    """Lower case without accents or surrounding spaces, for matching port names."""
    if not isinstance(text, str):
        return ""
    s = unicodedata.normalize("NFD", text.strip().casefold())
    return "".join(c for c in s if not unicodedata.combining(c)).replace("ς", "σ")
