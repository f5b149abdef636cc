"""Benchmark: travel times from every ELSTAT 2021 settlement of Greece to the OpenStreetMap services.

Run from the project root with the bundle beside it: ``.venv/bin/python benchmarks/access_greece.py``.
Prints the sizes, the time of each step and the peak memory (resident set) of the process.
"""

from __future__ import annotations

import json
import resource
import sys
import time
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

from spatial_poverty.access import TravelModel, assign_land_mass, nearest_by_type
from spatial_poverty.ingest.elstat2021 import read_municipal_boundaries
from spatial_poverty.ingest.services import read_osm_points

BUNDLE = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).resolve().parents[1].parent / "shared" / "data"
SERVICE_TAGS = ["pharmacy", "doctors", "clinic", "hospital", "community_centre", "social_facility", "townhall"]


def settlements(path: Path) -> gpd.GeoDataFrame:
    raw = json.loads(path.read_text(encoding="utf-8"))
    frame = pd.DataFrame([(r[0], r[1][0][0], r[1][0][1]) for r in raw], columns=["code", "lon", "lat"])
    return gpd.GeoDataFrame(frame, geometry=gpd.points_from_xy(frame.lon, frame.lat), crs="EPSG:4326")


def main() -> None:
    t0 = time.perf_counter()
    b = read_municipal_boundaries(BUNDLE / "elstat_2021" / "DHMOI_2021.zip")
    model = TravelModel.from_files(
        b,
        BUNDLE / "osm_greece_2019" / "greece.sqlite.zip",
        BUNDLE / "marnet_sea_routes" / "marnet_greece_nodes.csv",
        BUNDLE / "marnet_sea_routes" / "marnet_greece_edges.csv",
    )
    t1 = time.perf_counter()
    print(
        f"model: {len(model.masses)} land masses, {len(model.ports)} ports "
        f"({int(model.ports['virtual'].sum())} virtual), {t1 - t0:.1f} s"
    )
    st = settlements(BUNDLE / "elstat_2021" / "oikismoi-transformed-array.json")
    sv = read_osm_points(BUNDLE / "osm_greece_2019" / "greece.sqlite.zip", tags=[("amenity", v) for v in SERVICE_TAGS])
    sv = sv[assign_land_mass(sv, model.masses, tolerance_m=1000).notna()]
    t2 = time.perf_counter()
    print(f"{len(st)} settlements, {len(sv)} services in Greece, read in {t2 - t1:.1f} s")
    parts = [nearest_by_type(c, sv["value"], sv.index) for c in model.cost_blocks(st, sv, block_rows=500)]
    near = pd.concat(parts)
    t3 = time.perf_counter()
    print(f"nearest service by type, in blocks of 500 settlements: {t3 - t2:.1f} s")
    full = model.cost(st, sv, dtype=np.float32)
    t4 = time.perf_counter()
    print(f"full matrix {full.minutes.shape} float32 ({full.minutes.nbytes / 1e6:.0f} MB): {t4 - t3:.1f} s")
    m = near["nearest_service_min"]
    print(
        f"nearest service: median {m.median():.1f} min, needs ferry {int(near['needs_ferry'].sum())}, "
        f"unreachable {int(np.isinf(m).sum())}, off every land mass {len(model.unplaced(st))}"
    )
    print(f"peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")


if __name__ == "__main__":
    main()
