"""Benchmark of the permutation engine against esda (and pygeoda when installed): LISA, queen weights of a grid.

Run: ``make bench`` (or ``.venv/bin/python benchmarks/bench_engine.py --sizes 10000 100000 1000000``).

Each (tool, size) runs in its own subprocess so that peak memory (``ru_maxrss``) and compilation are measured
cleanly: first a call on a 100-unit grid (compilation, or loading numba's cache for ours; esda compiles its
kernels in every new process), then the timed call on the full grid with the weights already built ("weights
given"). Data: a 1 km-like grid (rows x cols, row-major) with a smooth gradient plus noise, seed 0; queen
contiguity from :func:`spatial_poverty.stats.grid_weights.grid_csr`, row-standardised; 999 permutations.

Agreement: our ``esda`` method against esda (same seed): p-values identical (share of units with the same
p-value); our default ``shared`` method against esda: share of units with the same significance decision at
alpha 0.05 (esda's folded "directed" p-value for both).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

PERMUTATIONS = 999
SEED = 12345
ALPHA = 0.05


def grid_shape(n: int) -> tuple[int, int]:
    rows = int(np.sqrt(n))
    return rows, int(np.ceil(n / rows))


def data(n: int) -> tuple[np.ndarray, object]:
    from scipy import sparse

    from spatial_poverty.stats.grid_weights import grid_csr

    rows, cols = grid_shape(n)
    w = grid_csr(rows, cols, contiguity="queen")
    card = np.diff(w.indptr)
    w = sparse.csr_array((1.0 / np.repeat(card, card), w.indices, w.indptr), shape=w.shape)
    rng = np.random.default_rng(0)
    r, c = np.divmod(np.arange(rows * cols), cols)
    y = np.sin(r / 25.0) + np.cos(c / 40.0) + rng.normal(scale=1.0, size=rows * cols)
    return y, w


def binary(w: object) -> object:
    out = w.copy()  # type: ignore[attr-defined]
    out.data[:] = 1.0
    return out


def maxrss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def worker(tool: str, n: int, out: str) -> None:
    result: dict[str, object] = {"tool": tool, "n": n}
    y_small, w_small = data(100)
    y, w = data(n)
    z = (y - y.mean()) / y.std()
    zs = (y_small - y_small.mean()) / y_small.std()
    if tool in ("ours", "ours-esda", "ours-dask"):
        from spatial_poverty.stats import engine

        t = time.perf_counter()
        if tool == "ours-esda":
            lag = w_small @ zs
            engine.esda_crand("moran", zs, w_small, (len(zs) - 1) * zs * lag / (zs * zs).sum(), seed=SEED)
        else:
            engine.conditional_randomisation("moran", zs, w_small, seed=SEED)
        result["compile_s"] = time.perf_counter() - t
        base = maxrss_mb()
        t = time.perf_counter()
        if tool == "ours":
            res = engine.conditional_randomisation("moran", z, w, permutations=PERMUTATIONS, seed=SEED)
        elif tool == "ours-dask":
            from spatial_poverty.stats.distributed import conditional_randomisation_dask, dask_client

            with dask_client(n_workers=1, threads_per_worker=2, processes=False) as client:
                local = engine.conditional_randomisation("moran", z, w, permutations=PERMUTATIONS, seed=SEED)
                t = time.perf_counter()
                res = conditional_randomisation_dask("moran", z, w, permutations=PERMUTATIONS, seed=SEED, client=client)
                result["time_s"] = time.perf_counter() - t
                result["identical_to_local"] = bool(
                    all(
                        np.array_equal(getattr(res, f), getattr(local, f), equal_nan=True)
                        for f in ("observed", "ge", "le", "mean", "sd")
                    )
                )
        else:
            lag = w @ z
            observed = (len(z) - 1) * z * lag / (z * z).sum()  # the grid may hold a few more cells than n
            res, _ = engine.esda_crand("moran", z, w, observed, permutations=PERMUTATIONS, seed=SEED)
        result.setdefault("time_s", time.perf_counter() - t)
        p = res.p_value("directed")
    elif tool == "esda":
        import warnings

        import esda
        from libpysal.graph import Graph

        warnings.simplefilter("ignore")
        # esda row-standardises the binary graph itself (giving 1/k, the weights ours are given)
        g_small = Graph.from_sparse(binary(w_small))
        g = Graph.from_sparse(binary(w))
        t = time.perf_counter()
        esda.Moran_Local(y_small, g_small, permutations=PERMUTATIONS, seed=SEED, n_jobs=-1, keep_simulations=False)
        result["compile_s"] = time.perf_counter() - t
        base = maxrss_mb()
        t = time.perf_counter()
        lm = esda.Moran_Local(y, g, permutations=PERMUTATIONS, seed=SEED, n_jobs=-1, keep_simulations=False)
        result["time_s"] = time.perf_counter() - t
        p = np.asarray(lm.p_sim, dtype=float)
    elif tool == "pygeoda":
        import geopandas as gpd
        import pygeoda
        from shapely.geometry import box

        rows, cols = grid_shape(n)
        cells = gpd.GeoDataFrame(
            {"y": y}, geometry=[box(c, -r, c + 1, -r + 1) for r in range(rows) for c in range(cols)]
        )
        gd = pygeoda.open(cells)
        wq = pygeoda.queen_weights(gd)
        base = maxrss_mb()
        result["compile_s"] = 0.0
        t = time.perf_counter()
        lisa = pygeoda.local_moran(wq, gd["y"], permutations=PERMUTATIONS, seed=SEED, cpu_threads=2)
        result["time_s"] = time.perf_counter() - t
        p = np.asarray(lisa.lisa_pvalues(), dtype=float)
    else:
        raise SystemExit(f"unknown tool {tool}")
    result["rss_before_mb"] = base
    result["peak_rss_mb"] = maxrss_mb()
    np.save(out + ".npy", p)
    Path(out).write_text(json.dumps(result))


def run(tool: str, n: int, tmp: str) -> dict[str, object] | None:
    out = os.path.join(tmp, f"{tool}-{n}.json")
    proc = subprocess.run(
        [sys.executable, __file__, "--worker", tool, str(n), out], capture_output=True, text=True, check=False
    )
    if proc.returncode != 0:
        print(f"{tool} at {n}: failed\n{proc.stderr[-2000:]}", file=sys.stderr)
        return None
    res: dict[str, object] = json.loads(Path(out).read_text())
    res["p"] = np.load(out + ".npy")
    return res


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    ap.add_argument("--esda-max", type=int, default=100_000, help="largest size esda runs at (1M costs ~5 min)")
    ap.add_argument("--compat-max", type=int, default=100_000, help="largest size of our esda-compatible mode")
    ap.add_argument("--dask-max", type=int, default=1_000_000, help="largest size of the Dask run")
    ap.add_argument(
        "--pygeoda",
        metavar="DIR",
        help="also pygeoda, imported from DIR (uv pip install --target DIR pygeoda); polygons are built for it",
    )
    ap.add_argument("--pygeoda-max", type=int, default=100_000, help="largest size pygeoda runs at")
    ap.add_argument("--worker", nargs=3, metavar=("TOOL", "N", "OUT"), help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.worker:
        worker(args.worker[0], int(args.worker[1]), args.worker[2])
        return
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for n in args.sizes:
            tools = ["ours"]
            if n <= args.dask_max:
                tools.append("ours-dask")
            if n <= args.compat_max:
                tools.append("ours-esda")
            if n <= args.esda_max:
                tools.append("esda")
            if args.pygeoda and n <= args.pygeoda_max:
                os.environ["PYTHONPATH"] = os.pathsep.join(filter(None, [args.pygeoda, os.environ.get("PYTHONPATH")]))
                tools.append("pygeoda")
            res = {t: run(t, n, tmp) for t in tools}
            ref = res.get("esda")
            for t, r in res.items():
                if r is None:
                    continue
                agree = ""
                if ref is not None and t != "esda":
                    p, q = np.asarray(r["p"]), np.asarray(ref["p"])
                    if t == "ours-esda":
                        # esda stores p_sim as float32 when it keeps no simulations: compare at that precision
                        agree = f"identical p: {np.mean(p.astype(np.float32) == q.astype(np.float32)):.4%}"
                    else:
                        same = (p <= ALPHA) == (q <= ALPHA)
                        # outside the Monte Carlo band (4 sd of a p-value at alpha): decisions should all agree
                        clear = np.abs(q - ALPHA) > 4 * np.sqrt(ALPHA * (1 - ALPHA) / PERMUTATIONS)
                        agree = f"same decision: {np.mean(same):.4%} (outside the MC band: {np.mean(same[clear]):.4%})"
                if t == "ours-dask":
                    agree = (agree + "; " if agree else "") + f"identical to local: {r['identical_to_local']}"
                speed = ""
                if ref is not None and t != "esda":
                    speed = f"{float(ref['time_s']) / float(r['time_s']):.0f}x"
                rows.append((n, t, float(r["time_s"]), float(r["compile_s"]), float(r["peak_rss_mb"]), speed, agree))
                print(
                    f"{n:>9} {t:<10} time {float(r['time_s']):8.3f} s  compile {float(r['compile_s']):6.2f} s  "
                    f"peak RSS {float(r['peak_rss_mb']):7.0f} MB  {speed:>6}  {agree}",
                    flush=True,
                )
    print("\n| units | tool | time (s) | compilation (s) | peak RSS (MB) | speed-up vs esda | agreement |")
    print("|---:|---|---:|---:|---:|---:|---|")
    for n, t, ts, cs, mem, speed, agree in rows:
        print(f"| {n:,} | {t} | {ts:.3f} | {cs:.2f} | {mem:.0f} | {speed} | {agree} |")


if __name__ == "__main__":
    main()
