"""Process benchmark: ``spatial-poverty stats lisa`` against the same job written with geopandas, libpysal, esda.

Each job runs as a fresh process (cold start included: imports, reading, weights, statistic, writing) on one
100,000-polygon GeoPackage, generated once: a Voronoi tessellation of seeded random points, clipped to a square
in EPSG:2100 coordinates, with a spatially smooth seeded variable plus noise. Each side runs twice: the first run
pays numba's compilation where it applies (our kernels cache it on disk; esda's compile in every process), the
second runs with warm caches. Peak RSS is the process's maximum resident set (``resource.getrusage``).
Agreement: the local statistics Ii of the two outputs (same formula), and the significance decisions at
alpha = 0.05 (the same up to Monte Carlo error: the two draw different permutations). esda's ``p_sim`` is
folded one-sided (the tail of the observed value); ours is two-sided, the smaller tail doubled, so our decision
``p <= 0.05`` is compared with esda's ``min(1, 2 p_sim) <= 0.05``.

Run (from the project root; the data file is written once under benchmarks/data/, not versioned)::

    .venv/bin/python benchmarks/lisa_process.py --n 100000 --runs 2 --cold-numba

Three jobs: ours, the plain esda script (``BASELINE``) and the tuned one (``TUNED``); ``--only`` runs one.

Smaller files for a quick check: ``--n 10000``.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
PY = sys.executable

#: The job written with the reference libraries, as an analyst would write it.
BASELINE = """
import sys
import geopandas as gpd
import esda
from libpysal.graph import Graph

src, out, id_field, var = sys.argv[1:5]
gdf = gpd.read_file(src)
graph = Graph.build_contiguity(gdf, rook=False).transform("r")
lisa = esda.Moran_Local(gdf[var].to_numpy(), graph, permutations=999, seed=1)
res = gdf[[id_field, var, "geometry"]].copy()
res["lisa_i"] = lisa.Is
res["lisa_p"] = lisa.p_sim
res["lisa_quadrant"] = lisa.q
res.to_file(out, layer="lisa_" + var)
"""

#: The same job tuned as the issue describes it (issue 16): Arrow I/O through pyogrio, contiguity from libpysal,
#: ``Moran_Local(keep_simulations=False, n_jobs=2)`` (no n x permutations matrix kept, two workers).
TUNED = """
import sys
import esda
import pyogrio
from libpysal.graph import Graph

src, out, id_field, var = sys.argv[1:5]
gdf = pyogrio.read_dataframe(src, columns=[id_field, var], use_arrow=True)
graph = Graph.build_contiguity(gdf, rook=False).transform("r")
lisa = esda.Moran_Local(gdf[var].to_numpy(), graph, permutations=999, seed=1, keep_simulations=False, n_jobs=2)
res = gdf[[id_field, var, "geometry"]].copy()
res["lisa_i"] = lisa.Is
res["lisa_p"] = lisa.p_sim
res["lisa_quadrant"] = lisa.q
pyogrio.write_dataframe(res, out, layer="lisa_" + var, use_arrow=True)
"""


def make_data(path: Path, n: int, seed: int = 20261125) -> None:
    """The benchmark file: ``n`` Voronoi cells of a square of side ``sqrt(n)`` km, field ``uid`` and ``y``."""
    import geopandas as gpd
    import numpy as np
    import shapely

    rng = np.random.default_rng(seed)
    side = 1000.0 * np.sqrt(n)
    frame = shapely.box(300_000, 3_900_000, 300_000 + side, 3_900_000 + side)
    origin = np.array([300_000.0, 3_900_000.0])
    xy = rng.uniform(0, side, (n, 2)) + origin
    cells = shapely.get_parts(shapely.voronoi_polygons(shapely.multipoints(xy), extend_to=frame))
    cells = shapely.intersection(cells, frame)
    centre = shapely.get_coordinates(shapely.centroid(cells)) - origin
    smooth = np.sin(centre[:, 0] / side * 6) + np.cos(centre[:, 1] / side * 5)
    y = 10 + 3 * smooth + rng.normal(0, 1.5, len(cells))
    uid = np.array([f"u{i:07d}" for i in range(len(cells))])
    gdf = gpd.GeoDataFrame({"uid": uid, "y": y}, geometry=cells, crs="EPSG:2100")
    path.parent.mkdir(parents=True, exist_ok=True)
    gdf.to_file(path, layer="cells")


def timed(cmd: list[str], env: dict[str, str]) -> dict[str, float]:
    """Wall time and peak RSS (MB, this child's own ``ru_maxrss`` from ``wait4``) of one child process."""
    with open(HERE / "data" / "out" / "stderr.txt", "w+") as err:
        t0 = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=err, env=env, cwd=ROOT)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - t0
        proc.returncode = os.waitstatus_to_exitcode(status)
        if proc.returncode != 0:
            err.seek(0)
            raise SystemExit(f"{cmd[:4]} failed ({proc.returncode}):\n{err.read()[-3000:]}")
    return {"wall_s": round(wall, 2), "peak_rss_mb": round(usage.ru_maxrss / 1024)}


def agreement(ours: Path, theirs: Path, var: str) -> dict[str, object]:
    import numpy as np
    import pyogrio

    a = pyogrio.read_dataframe(ours, layer=f"lisa_{var}", read_geometry=False)
    b = pyogrio.read_dataframe(theirs, layer=f"lisa_{var}", read_geometry=False)
    a = a.set_index("uid").loc[b["uid"]]
    ia, ib = a["lisa_i"].to_numpy(), b["lisa_i"].to_numpy()
    sig_a, sig_b = a["lisa_p"].to_numpy() <= 0.05, np.minimum(1, 2 * b["lisa_p"].to_numpy()) <= 0.05
    return {
        "n": len(b),
        "max_abs_diff_Ii": float(np.max(np.abs(ia - ib))),
        "Ii_identical_to_1e-12": bool(np.allclose(ia, ib, rtol=1e-12, atol=1e-12)),
        "significant_ours": int(sig_a.sum()),
        "significant_esda": int(sig_b.sum()),
        "same_decision_share": float(np.mean(sig_a == sig_b)),
        "quadrant_identical": bool(np.array_equal(a["lisa_quadrant"].to_numpy(), b["lisa_quadrant"].to_numpy())),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=100_000)
    ap.add_argument("--runs", type=int, default=2)
    ap.add_argument("--only", choices=["ours", "esda", "tuned"], default=None)
    ap.add_argument(
        "--cold-numba", action="store_true", help="delete the engine's numba cache first (first run compiles)"
    )
    args = ap.parse_args()
    data = HERE / "data" / f"voronoi_{args.n}.gpkg"
    if not data.exists():
        t0 = time.perf_counter()
        make_data(data, args.n)
        print(f"generated {data} in {time.perf_counter() - t0:.1f} s", file=sys.stderr)
    out_dir = HERE / "data" / "out"
    out_dir.mkdir(parents=True, exist_ok=True)
    env = dict(os.environ)
    # Bytecode caching as on an ordinary installation (some sandboxes set PYTHONDONTWRITEBYTECODE); the cache
    # goes under benchmarks/data/ so the source tree stays clean. Both stacks are imported once, untimed, so that
    # neither side's first run pays for compiling .py files to bytecode.
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env.setdefault("PYTHONPYCACHEPREFIX", str(HERE / "data" / "pycache"))
    warm = "import spatial_poverty.cli.main, spatial_poverty.cli.lisa_fast, spatial_poverty.stats.engine"
    subprocess.run([PY, "-c", warm + ", esda, geopandas, libpysal.graph"], check=True, env=env, cwd=ROOT)
    if args.cold_numba:
        # Our first run compiles the engine's kernels (numba cache=True writes them next to engine.py).
        for f in (ROOT / "src" / "spatial_poverty" / "stats" / "__pycache__").glob("engine.*.nb[ic]"):
            f.unlink()
    cli = str(Path(PY).with_name("spatial-poverty"))
    results: dict[str, list[dict[str, float]]] = {"ours": [], "esda": [], "tuned": []}
    ours_out, esda_out = out_dir / f"ours_{args.n}.gpkg", out_dir / f"esda_{args.n}.gpkg"
    tuned_out = out_dir / f"tuned_{args.n}.gpkg"
    for run in range(args.runs):
        if args.only in (None, "ours"):
            cmd = [cli, "stats", "lisa", str(data), "--id", "uid", "--var", "y", "--weights", "queen",
                   "--permutations", "999", "--seed", "1", "--out", str(ours_out), "--force"]  # fmt: skip
            results["ours"].append(timed(cmd, env))
            print(f"run {run + 1} ours: {results['ours'][-1]}", file=sys.stderr)
        if args.only in (None, "esda"):
            esda_out.unlink(missing_ok=True)
            results["esda"].append(timed([PY, "-c", BASELINE, str(data), str(esda_out), "uid", "y"], env))
            print(f"run {run + 1} esda: {results['esda'][-1]}", file=sys.stderr)
        if args.only in (None, "tuned"):
            tuned_out.unlink(missing_ok=True)
            results["tuned"].append(timed([PY, "-c", TUNED, str(data), str(tuned_out), "uid", "y"], env))
            print(f"run {run + 1} tuned esda: {results['tuned'][-1]}", file=sys.stderr)
    report: dict[str, object] = {"n": args.n, "cores": os.cpu_count(), "runs": results}
    if results["ours"] and results["esda"]:
        report["ratio_first"] = round(results["esda"][0]["wall_s"] / results["ours"][0]["wall_s"], 2)
        report["ratio_last"] = round(results["esda"][-1]["wall_s"] / results["ours"][-1]["wall_s"], 2)
        report["agreement"] = agreement(ours_out, esda_out, "y")
    if results["ours"] and results["tuned"]:
        report["ratio_tuned_first"] = round(results["tuned"][0]["wall_s"] / results["ours"][0]["wall_s"], 2)
        report["ratio_tuned_last"] = round(results["tuned"][-1]["wall_s"] / results["ours"][-1]["wall_s"], 2)
        report["agreement_tuned"] = agreement(ours_out, tuned_out, "y")
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
