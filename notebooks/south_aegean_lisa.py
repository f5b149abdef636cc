# ---
# jupyter:
#   jupytext:
#     formats: ipynb,py:percent
#     text_representation:
#       extension: .py
#       format_name: percent
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # South Aegean: the LISA of a run, reproduced with the package API
#
# This notebook opens the GeoPackage that `make run` publishes in `data/processed/south_aegean/`, rebuilds the
# spatial weights with the island policy of the pipeline, and recomputes the local Moran's I with the same
# seed. The p-values and clusters must equal the published ones: the run is reproducible from its outputs and
# its configuration alone.
#
# It is kept as a jupytext "percent" script so that it can be reviewed as code; Jupyter opens it as a
# notebook. The test suite executes it (`tests/test_notebook.py`). Set `SPATIAL_POVERTY_PIPELINE` to use
# another pipeline file.

# %%
import os
from pathlib import Path

import geopandas as gpd
import numpy as np

from spatial_poverty.pipeline import load_config
from spatial_poverty.stats import GlobalMoran, LocalMoran, build_weights

PIPELINE = Path(os.environ.get("SPATIAL_POVERTY_PIPELINE", "../pipelines/south_aegean.yaml"))
cfg = load_config(PIPELINE)
gpkg = cfg.output_dir / f"{cfg.name}.gpkg"
municipalities = gpd.read_file(gpkg, layer="municipalities").set_index("code")
print(f"{len(municipalities)} municipalities, CRS {municipalities.crs}, from {gpkg}")
municipalities[["name_el", "pop_2011", "pop_2021", "pop_change_pct", "density"]].head()

# %% [markdown]
# ## Weights: queen contiguity and the island policy
# Every South Aegean municipality is an island or a group of islands, so contiguity alone leaves each one
# without a neighbour. The pipeline links each isolate to its k nearest municipalities (centroid distance) and
# symmetrises the graph.

# %%
graph, report = build_weights(
    municipalities,
    contiguity=cfg.weights.contiguity,
    island_policy=cfg.weights.island_policy,
    k=cfg.weights.k,
)
print(report)

# %% [markdown]
# ## Local Moran's I, recomputed with the pipeline's seed

# %%
results = {}
for var in cfg.statistics.variables:
    lisa = LocalMoran(
        municipalities[var],
        graph,
        permutations=cfg.statistics.permutations,
        seed=cfg.seed,
        alpha=cfg.statistics.alpha,
    ).to_frame()
    published = gpd.read_file(gpkg, layer=f"lisa_{var}").set_index("code").loc[lisa.index]
    np.testing.assert_allclose(lisa["local_i"], published["local_i"], rtol=1e-12)
    np.testing.assert_array_equal(lisa["p_sim"], published["p_sim"])
    assert (lisa["cluster"] == published["cluster"]).all()
    gm = GlobalMoran(municipalities[var], graph, permutations=cfg.statistics.permutations, seed=cfg.seed)
    results[var] = lisa
    print(
        f"{var}: Moran's I = {gm.I:.4f} (pseudo p = {gm.p_sim:.3f}); clusters:",
        lisa["cluster"].value_counts().to_dict(),
    )

# %% [markdown]
# ## The clusters on a map

# %%
var = cfg.statistics.variables[0]
ax = municipalities.join(results[var]).plot(
    column="cluster",
    categorical=True,
    legend=True,
    figsize=(8, 8),
    edgecolor="#555555",
    linewidth=0.3,
    cmap="Set2",
)
ax.set_title(f"LISA: {var} (α = {cfg.statistics.alpha}, two-sided)")
ax.set_axis_off()
