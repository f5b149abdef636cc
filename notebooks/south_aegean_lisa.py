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
# Each `lisa_<variable>` layer carries the analysed values (`value`): the index score and the access measures
# come from their own stages, not from the municipalities layer. A municipality is significant under the run's
# rule (`statistics.significance`: q, the pseudo p adjusted by the configured correction, by default).

# %%
st = cfg.statistics
results = {}
values = {}
for var in st.variables:
    published = gpd.read_file(gpkg, layer=f"lisa_{var}").set_index("code").loc[municipalities.index]
    values[var] = published["value"]
    lisa = LocalMoran(
        values[var],
        graph,
        permutations=st.permutations,
        seed=cfg.seed,
        alpha=st.alpha,
        correction=st.correction,
        significance=st.significance,
    ).to_frame()
    published = published.loc[lisa.index]
    np.testing.assert_allclose(lisa["local_i"], published["local_i"], rtol=1e-12)
    np.testing.assert_array_equal(lisa["p_sim"], published["p_sim"])
    assert (lisa["cluster"] == published["cluster"]).all()
    gm = GlobalMoran(values[var], graph, permutations=st.permutations, seed=cfg.seed)
    results[var] = lisa
    print(
        f"{var}: Moran's I = {gm.I:.4f} (pseudo p = {gm.p_sim:.3f}); clusters:",
        lisa["cluster"].value_counts().to_dict(),
    )

# %% [markdown]
# ## The clusters on a map
# The package's figure functions return matplotlib figures: GeoDa's cluster colours, every island visible
# (the smallest get a marker), graticule, scale bar and source line. `save_figure(fig, "name")` writes PNG
# (300 dpi) and PDF.

# %%
from spatial_poverty.maps.static import lisa_cluster_map, moran_scatterplot  # noqa: E402

var = cfg.statistics.variables[0]
fig = lisa_cluster_map(municipalities, results[var], alpha=st.alpha, significance=st.significance, title=f"LISA: {var}")
fig  # noqa: B018  (shown by Jupyter)

# %%
scatter = moran_scatterplot(values[var], results[var], names=municipalities["name_el"], label=var)
print(f"Moran scatterplot slope = {scatter.sp_slope:.4f} (Moran's I of {var})")
scatter  # noqa: B018  (shown by Jupyter)
