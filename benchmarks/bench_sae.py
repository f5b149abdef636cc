"""Benchmark and design-based simulation of the small-area estimation engine (SYNTHETIC data on real areas).

Run: ``.venv/bin/python benchmarks/bench_sae.py [--replicates 200] [--bundle ../shared/data]``.

1. Design-based simulation (:mod:`spatial_poverty.sae.simulate`): a SYNTHETIC population on the 332 real
   municipalities of 2021 (ELSTAT population, region, density), ``--replicates`` stratified two-stage samples
   of about 6,000 households, arcsine Fay-Herriot (REML) against the direct estimator: coverage of the 95 %
   intervals in and out of sample, mean relative RMSE, municipalities in the publish class.
2. Speed on the 332 areas of one sample: Fay-Herriot REML with analytic MSE (median of 50 fits), and the
   parametric bootstrap MSE with 1,000 replicates (median of 3), wall-clock, one process. The spatial model
   (REML fit + analytic MSE; :func:`spatial_speed`) on the 332 municipalities with the project's weights and on
   the 6,138 communities of 2021 (sparse; SYNTHETIC values on the real places).

Prints one JSON document. The figures of the last run are in the issue's closing note.
"""

from __future__ import annotations

import argparse
import json
import time
from functools import partial
from pathlib import Path

import numpy as np
import pandas as pd
import scipy.sparse as sp

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
    speed |= spatial_speed(m, args.bundle)
    print(json.dumps({"label": SYNTHETIC, "simulation": sim, "speed": speed}, indent=2))


def community_proximity(bundle: Path) -> sp.csr_matrix:
    """The 6,138 communities of 2021, each at the mean of its ELSTAT settlement points (EPSG:2100), linked to its
    5 nearest (symmetric, sparse). Real places; the data put on them below are SYNTHETIC."""
    from spatial_poverty.ingest.settlements import read_settlements_2021

    pts = read_settlements_2021(bundle / "elstat_2021" / "oikismoi-transformed-array.json").to_crs(2100)
    xy = pts.assign(x=pts.geometry.x, y=pts.geometry.y).groupby("community")[["x", "y"]].mean()
    return knn_proximity(xy.to_numpy(), 5, sparse=True)


def _sar_sample(w, rng: np.random.Generator, share_in: float):  # type: ignore[no-untyped-def]
    """SYNTHETIC area data on proximity ``w``: SAR effects (rho 0.6), sampling variances 0.005-0.03, a share of
    the areas in sample."""
    from scipy.sparse.linalg import spsolve

    from spatial_poverty.sae.spatial import row_standardise

    n = w.shape[0]
    ws, _ = row_standardise(w)
    x = np.column_stack([np.ones(n), rng.normal(size=n)])
    psi = rng.uniform(0.005, 0.03, size=n)
    u = spsolve(sp.csc_matrix(sp.identity(n) - 0.6 * ws), rng.normal(scale=0.1, size=n))
    y = x @ [0.2, 0.05] + u + rng.normal(size=n) * np.sqrt(psi)
    return y, x, psi, rng.uniform(size=n) < share_in


def spatial_speed(m: pd.DataFrame, bundle: Path) -> dict[str, float]:
    """Spatial FH (REML fit + analytic MSE, wall-clock, median of 3) on the 332 municipalities with the project's
    weights (queen, islands linked to their 3 nearest), and on the 6,138 communities with every area in sample
    and with 30 % in sample; the peak memory of the process is in ``maxrss_gb``."""
    import resource

    from spatial_poverty.sae.spatial import fit_sfh, sfh_mse
    from spatial_poverty.stats import WeightsSpec, build_weights

    graph, _ = build_weights(m, WeightsSpec(kind="queen", island_policy="knn", island_k=3))
    order = pd.Index(graph.unique_ids).get_indexer(m.index)
    rng = np.random.default_rng(0)
    cases = {"332": (graph.sparse.tocsr()[order][:, order], 1.0)}
    comm = community_proximity(bundle)
    cases |= {f"{comm.shape[0]}": (comm, 1.0), f"{comm.shape[0]}_30pct_in_sample": (comm, 0.3)}
    out: dict[str, float] = {}
    for name, (w, share) in cases.items():
        y, x, psi, ins = _sar_sample(w, rng, share)
        fit = fit_sfh(y, x, psi, w, in_sample=ins)
        out[f"sfh_fit_{name}_s"] = _median_time(partial(fit_sfh, y, x, psi, w, in_sample=ins), 3)
        out[f"sfh_mse_{name}_s"] = _median_time(partial(sfh_mse, fit, x, psi, w, in_sample=ins), 3)
        out[f"sfh_total_{name}_s"] = out[f"sfh_fit_{name}_s"] + out[f"sfh_mse_{name}_s"]
    out["maxrss_gb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e6
    return out


if __name__ == "__main__":
    main()
