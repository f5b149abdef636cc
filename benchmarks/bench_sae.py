"""Benchmark and design-based simulation of the small-area estimation engine (SYNTHETIC data on real areas).

Run: ``.venv/bin/python benchmarks/bench_sae.py [--replicates 200] [--bundle ../shared/data]``.

1. Design-based simulation (:mod:`spatial_poverty.sae.simulate`): a SYNTHETIC population on the 332 real
   municipalities of 2021 (ELSTAT population, region, density), ``--replicates`` stratified two-stage samples
   of about 6,000 households, arcsine Fay-Herriot (REML) against the direct estimator: coverage of the 95 %
   intervals in and out of sample, mean relative RMSE, municipalities in the publish class.
2. Speed on the 332 areas of one sample: Fay-Herriot REML with analytic MSE (median of 50 fits), and the
   parametric bootstrap MSE with 1,000 replicates (median of 3), wall-clock, one process. The spatial model
   (REML + analytic MSE) on the 332 municipalities with the project's weights (queen, islands linked to their 3
   nearest) and on 1,000 synthetic areas: dense linear algebra, O(m^3).

Prints one JSON document. The figures of the last run are in the issue's closing note.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np
import pandas as pd

from spatial_poverty.sae.fh import fit_fh
from spatial_poverty.sae.simulate import (
    SYNTHETIC,
    draw_sample,
    evaluate,
    knn_proximity,
    municipal_frame,
    synthetic_population,
)

ROOT = Path(__file__).resolve().parents[1]


def _median_time(fn, repeats: int) -> float:  # type: ignore[no-untyped-def]
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return float(np.median(times))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--replicates", type=int, default=200)
    ap.add_argument("--bundle", type=Path, default=ROOT.parent / "shared" / "data")
    ap.add_argument("--seed", type=int, default=2026)
    args = ap.parse_args()
    m = municipal_frame(args.bundle)
    pop = synthetic_population(m, seed=args.seed)
    t0 = time.perf_counter()
    sim = evaluate(pop, replicates=args.replicates, seed=args.seed + 1, bootstrap=20)
    sim["seconds"] = round(time.perf_counter() - t0, 1)
    s = draw_sample(pop, seed=args.seed + 2)
    f = pop.frame
    areas = pd.DataFrame({"x": f["x"]}, index=f.index)
    areas["direct"] = s.groupby("code")["arope"].mean().reindex(f.index)
    areas["n"] = s.groupby("code").size().reindex(f.index)
    ins = areas["direct"].notna()
    p = areas["direct"].clip(0.02, 0.98)
    areas["v"] = np.where(ins, p * (1 - p) / areas["n"], np.nan)
    speed = {
        "fh_reml_analytic_332_s": _median_time(
            lambda: fit_fh(areas, direct="direct", variance="v", covariates=["x"]), 50
        ),
        "fh_bootstrap_1000_332_s": _median_time(
            lambda: fit_fh(areas, direct="direct", variance="v", covariates=["x"], mse="bootstrap", bootstrap=1000),
            3,
        ),
        "areas": len(areas),
        "areas_in_sample": int(ins.sum()),
    }
    speed |= spatial_speed(m, areas)
    print(json.dumps({"label": SYNTHETIC, "simulation": sim, "speed": speed}, indent=2))


def spatial_speed(m: pd.DataFrame, areas: pd.DataFrame) -> dict[str, float]:
    from spatial_poverty.sae.spatial import fit_sfh, sfh_mse
    from spatial_poverty.stats import WeightsSpec, build_weights

    graph, _ = build_weights(m, WeightsSpec(kind="queen", island_policy="knn", island_k=3))
    w = graph.sparse.toarray()
    order = pd.Index(graph.unique_ids).get_indexer(m.index)
    w = w[np.ix_(order, order)]
    rng = np.random.default_rng(0)
    x = np.column_stack([np.ones(len(m)), areas["x"].to_numpy()])
    psi = np.full(len(m), 0.01)
    ws = w / w.sum(axis=1, keepdims=True)
    y = x @ [0.2, 0.05] + np.linalg.solve(np.eye(len(m)) - 0.6 * ws, rng.normal(scale=0.1, size=len(m)))
    y = y + rng.normal(scale=0.1, size=len(m))

    def run(yy: np.ndarray, xx: np.ndarray, pp: np.ndarray, ww: np.ndarray) -> None:
        sfh_mse(fit_sfh(yy, xx, pp, ww), xx, pp, ww)

    out = {"sfh_reml_mse_332_s": _median_time(lambda: run(y, x, psi, w), 3)}
    n = 1000
    w2 = knn_proximity(rng.uniform(size=(n, 2)), 4)
    x2 = np.column_stack([np.ones(n), rng.normal(size=n)])
    p2 = np.full(n, 0.01)
    y2 = x2 @ [0.2, 0.05] + rng.normal(scale=0.12, size=n)
    out["sfh_reml_mse_1000_s"] = _median_time(lambda: run(y2, x2, p2, w2), 1)
    return out


if __name__ == "__main__":
    main()
