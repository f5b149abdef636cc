"""Design-based simulation of the pipeline's AROPE estimates (stage ``sae``), SYNTHETIC data on real areas.

Run: ``.venv/bin/python benchmarks/bench_arope.py [--replicates 50] [--bootstrap 200]`` (after ``make data``).

The municipalities of ``pipelines/arope_demo.yaml`` with its real covariates (2001 census on 2021 units) and the
2021 women; ``--replicates`` SYNTHETIC EU-SILC-sized surveys (:mod:`spatial_poverty.sae.synthetic_survey`, about
6,000 households, seeds 1000...), each estimated for the four groups of the demo exactly as the stage does
(arcsine Fay-Herriot, REML, bootstrap MSE, benchmarked to the survey's regional estimates). Reports the
coverage of the 95 % intervals of the published estimates (publish or flag) against the truth, overall and per
group, the municipalities in the publish class with the direct estimates and with the model, and the time per
survey (generation, reading, four groups). Prints one JSON document.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--replicates", type=int, default=50)
    ap.add_argument("--bootstrap", type=int, default=200)
    ap.add_argument("--out", type=Path, default=Path("/tmp/bench_arope"))
    args = ap.parse_args()

    from spatial_poverty.cli.common import real_units
    from spatial_poverty.ingest import load_catalogue
    from spatial_poverty.ingest.elstat2021 import read_women_2021
    from spatial_poverty.pipeline import load_config
    from spatial_poverty.sae.municipal import estimate_group, regional_direct
    from spatial_poverty.sae.survey import read_survey
    from spatial_poverty.sae.synthetic_survey import SYNTHETIC, coverage, synthetic_survey, write_synthetic_survey

    cfg = load_config(ROOT / "pipelines" / "arope_demo.yaml")
    spec = cfg.sae.model_copy(update={"bootstrap": args.bootstrap, "benchmark": "survey"})
    munis, _ = real_units(cfg)
    cat = load_catalogue(cfg.resolve(cfg.paths.catalogue))
    munis = munis.assign(female_2021=read_women_2021(cfg.resolve(cfg.paths.raw) / cat[cfg.sources.population].path))
    region_of = munis["nuts2"].astype(str)
    areas = munis[["name_el", "pop_2021", "female_2021", *spec.table_covariates]]
    args.out.mkdir(parents=True, exist_ok=True)
    cov, groups, pub, secs = [], {g: [] for g in spec.groups}, {g: ([], []) for g in spec.groups}, []
    for r in range(args.replicates):
        t0 = time.perf_counter()
        s = synthetic_survey(munis, spec.table_covariates, seed=1000 + r)
        path, _ = write_synthetic_survey(s, args.out / "survey.csv")
        survey = read_survey(path, spec, municipalities=munis.index)
        tables = []
        for i, (name, group) in enumerate(spec.groups.items()):
            bm = regional_direct(survey, spec, group, region_of)["estimate"].to_dict()
            res = estimate_group(name, group, survey, spec, areas, region_of=region_of, benchmark=bm,
                                 benchmark_source="survey", seed=cfg.seed + 1009 * i + r)  # fmt: skip
            tables.append(res.table)
            pub[name][0].append(res.model["publish_direct"])
            pub[name][1].append(res.model["publish_model"])
        secs.append(time.perf_counter() - t0)
        c = coverage(pd.concat(tables), s.truth)
        cov.append(c["all_published"])
        for g in spec.groups:
            groups[g].append(c[f"group:{g}"])
    out = {
        "label": SYNTHETIC,
        "replicates": args.replicates,
        "bootstrap": args.bootstrap,
        "coverage_published_mean": float(np.mean(cov)),
        "coverage_published_min_max": [float(np.min(cov)), float(np.max(cov))],
        "coverage_by_group": {g: float(np.mean(v)) for g, v in groups.items()},
        "publishable_direct_mean": {g: float(np.mean(v[0])) for g, v in pub.items()},
        "publishable_model_mean": {g: float(np.mean(v[1])) for g, v in pub.items()},
        "seconds_per_survey_median": float(np.median(secs)),
    }
    print(json.dumps(out, indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()
