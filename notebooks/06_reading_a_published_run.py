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
# # (f) Reading a published run
#
# A run publishes whole or not at all into `data/processed/<name>/`: the GeoPackage (styled for QGIS, EPSG:2100),
# the interactive map, the report, the figures and `manifest.json`, which records the inputs with their SHA-256,
# the configuration, the seed and what every stage computed. `spatial_poverty.open_run` gives all of it to Python:
# the layers as GeoDataFrames, each with its metadata (titles, data years and sources, aliases, units, the
# provenance of every field).
#
# Then the notebook checks that the run is reproducible from its outputs and its configuration alone: it rebuilds
# the weights with the pipeline's island policy and recomputes the local Moran's I with the run's seed. The
# p-values and clusters must equal the published ones. Set `SPATIAL_POVERTY_PIPELINE` to use another pipeline.

# %%
# %matplotlib inline
import os
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

import spatial_poverty as sp
from spatial_poverty.maps.static import lisa_cluster_map, moran_scatterplot
from spatial_poverty.pipeline import load_config
from spatial_poverty.pipeline.stages.weights import weights_spec
from spatial_poverty.stats import GlobalMoran, LocalMoran, build_weights

PIPELINE = Path(os.environ.get("SPATIAL_POVERTY_PIPELINE", "../pipelines/south_aegean.yaml"))
run = sp.open_run(PIPELINE)
run

# %% [markdown]
# ## What the run published, and is it intact?
# `verify()` recomputes the SHA-256 of every output the manifest lists (the log and the history records are
# written after the hashes, so they are "not hashed").

# %%
status = run.verify()
print(pd.Series(status).value_counts().to_dict())
assert "changed" not in status.values() and "missing" not in status.values()
pd.DataFrame(
    [(name, len(run[name]), run[name].attrs["title_en"]) for name in run.layers], columns=["layer", "rows", "title"]
)

# %% [markdown]
# ## A layer with its metadata
# The description carries the data years and sources as published (ELSTAT, the 2001 census variables of
# lctools...), and the aliases and units come from the exchange schema that the national system (ΕΓΠΣ) reads.

# %%
municipalities = run["municipalities"].set_index("code")
meta = municipalities.attrs
print(f"{len(municipalities)} municipalities, CRS {municipalities.crs}")
print(meta["title_en"], "|", meta["title_el"])
print(meta["description"])
pd.DataFrame({"alias (el)": meta["aliases_el"], "unit": meta["units"]}).dropna(subset=["alias (el)"]).head(12)

# %%
run.provenance[["source", "data_year", "method"]]

# %%
var = "density"
fig, ax = plt.subplots(figsize=(8, 7))
municipalities.plot(
    column=var,
    cmap="YlOrRd",
    scheme="quantiles",
    k=5,
    legend=True,
    ax=ax,
    edgecolor="#555555",
    linewidth=0.3,
    legend_kwds={"title": f"{meta['aliases_el'][var]} ({meta['units'][var]})", "fontsize": 7},
)
ax.set_axis_off()
ax.set_title(f"{meta['aliases_en'][var]}\n{run.manifest['vintage'][var]['line_en']}")
plt.show()

# %% [markdown]
# ## The LISA of the run, recomputed
# Every South Aegean municipality is an island or a group of islands, so contiguity alone leaves each without a
# neighbour; the pipeline links each isolate to its k nearest municipalities and symmetrises the graph. Each
# `lisa_<variable>` layer carries the analysed values (`value`).

# %%
cfg = load_config(PIPELINE)
graph, report = build_weights(municipalities, weights_spec(cfg))  # the pipeline's own weights: section
print(f"{report.n} units, {len(report.links_added)} links added by the island policy, {report.n_components} component")
st = cfg.statistics
results, values = {}, {}
for var in st.variables:
    published = run[f"lisa_{var}"].set_index("code").loc[municipalities.index]
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
# The package's figure functions return matplotlib figures: GeoDa's cluster colours, every island visible (the
# smallest get a marker), scale bar and source line.

# %%
var = st.variables[0]
lisa_cluster_map(
    municipalities,
    results[var],
    alpha=st.alpha,
    significance=st.significance,
    title=f"LISA: {var} ({st.significance} < {st.alpha})",
)

# %%
scatter = moran_scatterplot(values[var], results[var], names=municipalities["name_el"], label=var)
print(f"Moran scatterplot slope = {scatter.sp_slope:.4f} (Moran's I of {var})")
scatter
