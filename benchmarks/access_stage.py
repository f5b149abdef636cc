"""Benchmark: the access stage of a pipeline run (services, demand, travel model, measures, layers).

Run from the project root with the bundle beside it:
``.venv/bin/python benchmarks/access_stage.py [pipelines/south_aegean.yaml] [BUNDLE]``.
Reads the inputs straight from the bundle (no data/raw needed), runs
:func:`spatial_poverty.services.stage.run_access` for the pipeline's area and ``access:`` section, and prints the
time of each step, the layer sizes and the peak memory (resident set) of the process.
"""

from __future__ import annotations

import resource
import sys
import time
from pathlib import Path

from spatial_poverty.ingest import join_boundaries_population, load_catalogue, select_area
from spatial_poverty.ingest.elstat2021 import read_municipal_boundaries, read_population
from spatial_poverty.pipeline import load_config
from spatial_poverty.services.stage import ACCESS_SOURCES, run_access

ROOT = Path(__file__).resolve().parents[1]
PIPELINE = Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "pipelines" / "south_aegean.yaml"
BUNDLE = Path(sys.argv[2]) if len(sys.argv) > 2 else ROOT.parent / "shared" / "data"


def main() -> None:
    cfg = load_config(PIPELINE)
    if cfg.access is None:
        raise SystemExit(f"{PIPELINE} has no access: section")
    cat = load_catalogue(ROOT / "data" / "raw" / "catalogue.yaml")
    t0 = time.perf_counter()
    b = read_municipal_boundaries(BUNDLE / cat[cfg.sources.boundaries].path)
    p = read_population(BUNDLE / cat[cfg.sources.population].path)
    m = select_area(join_boundaries_population(b, p), nuts2=cfg.area.nuts2 or None)
    t1 = time.perf_counter()
    paths = {k: BUNDLE / cat[getattr(cfg.sources, k)].path for k in ACCESS_SOURCES}
    if cfg.sources.census_2011:
        paths["census_2011"] = BUNDLE / cat[cfg.sources.census_2011].path
    stage = run_access(
        cfg.access, sources=cfg.sources, paths=paths, municipalities=m, boundaries=b, resolve=cfg.resolve
    )
    t2 = time.perf_counter()
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"pipeline {cfg.name}: {len(m)} municipalities")
    print(f"boundaries and population read in {t1 - t0:.1f} s")
    print(f"access stage in {t2 - t1:.1f} s (no deprivation index: no desert class here)")
    for name, layer in stage.layers.items():
        print(f"  {name}: {len(layer)} rows")
    r = stage.report
    print(f"  needs_ferry {r['settlements_needs_ferry']}, unreachable {r['settlements_unreachable']}")
    print(f"peak memory {peak_mb:.0f} MB")


if __name__ == "__main__":
    main()
