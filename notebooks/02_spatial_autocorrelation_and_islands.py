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
# # (b) Spatial autocorrelation, weights, and why islands matter
#
# Spatial autocorrelation (χωρική αυτοσυσχέτιση) asks whether neighbouring municipalities are alike. The answer
# depends on who counts as a neighbour: the spatial weights (χωρικά βάρη). In the South Aegean every
# municipality is an island or a group of islands, so contiguity (shared borders) gives **no neighbour at all**:
# the analysis is impossible until the islands are linked. This notebook compares the choices on the real
# municipalities, with unemployment from the 2001 census (the latest municipal figure in the bundle: ELSTAT 2001
# census via the lctools data set, brought onto 2021 units), so every ranking below is a 2001 ranking.
#
# It starts from the published South Aegean run (`make run`).

# %%
# %matplotlib inline
import os
from pathlib import Path

import matplotlib.pyplot as plt
import pandas as pd

import spatial_poverty as sp
from spatial_poverty.errors import StatisticsError
from spatial_poverty.maps.static import lisa_cluster_map
from spatial_poverty.stats import GlobalMoran, LocalMoran, WeightsSpec, build_weights

PIPELINE = Path(os.environ.get("SPATIAL_POVERTY_PIPELINE", "../pipelines/south_aegean.yaml"))
run = sp.open_run(PIPELINE)
municipalities = run["municipalities"].set_index("code")
VAR = "unemp_2001"
SEED = run.manifest["seed"]
print(f"{len(municipalities)} municipalities; {VAR}: {municipalities.attrs['provenance'][VAR]['attribution']}")

# %% [markdown]
# ## Contiguity alone: every municipality is an isolate
# A statistic that needs neighbours refuses to run rather than return a number that means nothing.

# %%
queen, report = build_weights(municipalities, WeightsSpec.parse("queen", island_policy="none"))
print(f"queen contiguity: {len(report.isolates)} isolates out of {report.n}, {report.n_components} components")
try:
    GlobalMoran(municipalities[VAR], queen, permutations=999, seed=SEED)
except StatisticsError as exc:
    print("GlobalMoran refused:", exc)

# %% [markdown]
# ## Four ways to link islands
# - **queen + island policy knn** (the pipelines' default): contiguity where it exists, each isolate linked to its
#   3 nearest municipalities, then symmetrised;
# - **k nearest** (k = 4) by centroid distance;
# - **distance band** of 60 km, isolates still linked to their nearest;
# - **kernel** (160 km bandwidth: with 130 km, Kastellorizo, Μεγίστη, is still alone; a kernel's weights are not
#   binary, so the knn island policy cannot patch them).
#
# Each gives a different Moran's I: the choice is part of the result and must be reported with it.

# %%
specs = {
    "queen + knn 3": WeightsSpec.parse("queen", island_policy="knn", island_k=3),
    "knn 4": WeightsSpec.parse("knn:4", island_policy="none"),
    "distance 60 km": WeightsSpec.parse("distance:60000", island_policy="knn", island_k=1),
    "kernel 160 km": WeightsSpec.parse("kernel:160000", island_policy="none"),
}
rows, graphs = [], {}
for label, spec in specs.items():
    graph, rep = build_weights(municipalities, spec)
    graphs[label] = graph
    gm = GlobalMoran(municipalities[VAR], graph, permutations=999, seed=SEED)
    rows.append(
        {
            "weights": label,
            "links added for islands": len(rep.links_added),
            "components": rep.n_components,
            "Moran's I": round(gm.I, 4),
            "E[I]": round(gm.EI, 4),
            "pseudo p": gm.p_sim,
        }
    )
table = pd.DataFrame(rows).set_index("weights")
table

# %%
fig, ax = plt.subplots(figsize=(7, 3.5))
colours = ["#b2182b" if p < 0.05 else "#999999" for p in table["pseudo p"]]
ax.barh(table.index, table["Moran's I"], color=colours)
ax.axvline(table["E[I]"].iloc[0], color="black", linewidth=0.8, linestyle="--", label="E[I] = -1/(n-1)")
ax.set_xlabel(f"Moran's I of {VAR} (red: pseudo p < 0.05, 999 permutations)")
ax.set_title("One variable, four weights: South Aegean, 34 municipalities\nData 2001: ELSTAT census (lctools)")
ax.legend(loc="lower right")
plt.tight_layout()
plt.show()

# %% [markdown]
# ## The links the island policy made
# Lines join the municipalities that count as neighbours under the pipelines' default weights.

# %%
graph = graphs["queen + knn 3"]
fig, ax = plt.subplots(figsize=(8, 7))
municipalities.plot(ax=ax, color="#dddddd", edgecolor="#777777", linewidth=0.3)
graph.plot(
    municipalities,
    ax=ax,
    nodes=True,
    edge_kws={"color": "#1f78b4", "linewidth": 0.6},
    node_kws={"color": "#1f78b4", "s": 6},
)
ax.set_axis_off()
ax.set_title("Queen contiguity + each island's 3 nearest (symmetrised)\nBoundaries 2021: ELSTAT")
plt.show()

# %% [markdown]
# ## Local clusters (LISA)
# Local Moran's I with the same seed as the run. With 34 tests, the Benjamini-Hochberg correction (q-values)
# is what the pipeline uses to call a municipality significant; the raw pseudo p would find clusters that do not
# survive it.

# %%
lisa = LocalMoran(municipalities[VAR], graph, permutations=999, seed=SEED, correction="bh", significance="q")
frame = lisa.to_frame()
print(
    "significant after BH:",
    int((frame["q_sim"] < 0.05).sum()),
    "; with the raw pseudo p:",
    int((frame["p_sim"] < 0.05).sum()),
)
lisa_cluster_map(
    municipalities,
    frame,
    significance="q",
    title="LISA of unemployment 2001 (q < 0.05, BH)",
    attribution="Δεδομένα 2001: ΕΛ.ΣΤΑΤ. (lctools)",
)
