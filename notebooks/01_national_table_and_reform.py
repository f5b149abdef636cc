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
# # (a) The national table and the 2011/2021 reform
#
# Every analysis in the toolkit runs on the **332 municipalities (δήμοι) of 2021**: the Kleisthenis reform
# (Πρόγραμμα «Κλεισθένης», law 4555/2018) took effect in September 2019 and divided some of the 325 Kallikratis
# municipalities of 2011 (Πρόγραμμα «Καλλικράτης», law 3852/2010). Census figures published on 2011 units
# must therefore be brought onto 2021 units before they can be compared with anything recent.
#
# This notebook reads the national table from the data catalogue, exactly as a pipeline does, and shows what
# the reform did. Source of every figure: ELSTAT (ΕΛ.ΣΤΑΤ.), 2011 and 2021 censuses; boundaries 2021 ELSTAT.
#
# Run `make run` first (it fills `data/raw` from the bundle and publishes the South Aegean run, whose
# `code_crosswalk` layer is used below). Set `SPATIAL_POVERTY_PIPELINE` to use another pipeline file.

# %%
# %matplotlib inline
import os
from pathlib import Path

import matplotlib.pyplot as plt

import spatial_poverty as sp
from spatial_poverty.ingest import (
    join_boundaries_population,
    load_catalogue,
    read_municipal_boundaries,
    read_population,
)
from spatial_poverty.pipeline import load_config

PIPELINE = Path(os.environ.get("SPATIAL_POVERTY_PIPELINE", "../pipelines/south_aegean.yaml"))
cfg = load_config(PIPELINE)
catalogue = load_catalogue(cfg.resolve(cfg.paths.catalogue))
raw = cfg.resolve(cfg.paths.raw)

# %% [markdown]
# ## The national table
# Boundaries (333 polygons: 332 municipalities and Mount Athos, Άγιο Όρος, which is self-governed and not a
# municipality) joined with the 2011 and 2021 census population on 2021 units. Codes are ELSTAT's 2021 codes
# (4 digits: regional unit + municipality), always read as text.

# %%
boundaries_src = catalogue["elstat_2021_municipalities"]
population_src = catalogue["elstat_2021_population"]
boundaries = read_municipal_boundaries(raw / boundaries_src.path)
population = read_population(raw / population_src.path)
national = join_boundaries_population(boundaries, population)
national["pop_change_pct"] = 100 * (national["pop_2021"] / national["pop_2011"] - 1)
print(f"{len(boundaries)} polygons, {len(national)} municipalities after the join (Mount Athos left out)")
print(f"Population 2011: {national['pop_2011'].sum():,}  2021: {national['pop_2021'].sum():,}")
print(f"Sources: {boundaries_src.publisher}, {boundaries_src.year}; {population_src.title}")
by_region = (
    national.groupby("region_el")[["pop_2011", "pop_2021"]]
    .sum()
    .assign(change_pct=lambda t: (100 * (t["pop_2021"] / t["pop_2011"] - 1)).round(2))
    .sort_values("change_pct")
)
by_region

# %% [markdown]
# ## Population change 2011-2021 (μεταβολή πληθυσμού)
# Both censuses on the same 2021 units, so the change is like for like. Diverging classes around zero: decline in
# red.

# %%
fig, ax = plt.subplots(figsize=(8, 8))
national.plot(
    column="pop_change_pct",
    cmap="RdBu",
    vmin=-20,
    vmax=20,
    legend=True,
    ax=ax,
    linewidth=0.1,
    edgecolor="#555555",
    legend_kwds={"label": "Population change 2011-2021 (%)", "shrink": 0.6},
)
ax.set_axis_off()
ax.set_title(
    "Population change 2011-2021 by 2021 municipality\nData 2011, 2021: ELSTAT censuses; boundaries 2021: ELSTAT"
)
plt.show()

# %% [markdown]
# ## What the 2019 reform did
# The crosswalk (πίνακας αντιστοιχίας) links each 2011 municipality to the 2021 ones that took it. It is built
# from the data (2011 polygons overlaid on 2021 ones, 2011 communities matched by name) and published by every
# run as the `code_crosswalk` layer. A 2011 municipality with more than one 2021 child was divided in 2019; its
# 2011 figures are shared among the children by the 2011 population of their communities.

# %%
run = sp.open_run(PIPELINE)
crosswalk = run["code_crosswalk"]
children = crosswalk.groupby("elstat_2011")["elstat_2021"].nunique()
divided = children[children > 1]
print(f"{crosswalk['elstat_2011'].nunique()} municipalities of 2011 -> {crosswalk['elstat_2021'].nunique()} of 2021")
print(f"{len(divided)} of 2011 were divided in 2019, into {int(divided.sum())} municipalities of 2021")
crosswalk[crosswalk["elstat_2011"].isin(divided.index)][
    ["elstat_2011", "name_2011", "elstat_2021", "name_2021", "pop_share"]
].round(3)

# %%
split = national.index.isin(crosswalk.loc[crosswalk["elstat_2011"].isin(divided.index), "elstat_2021"])
fig, ax = plt.subplots(figsize=(8, 8))
national.plot(ax=ax, color="#eeeeee", edgecolor="#999999", linewidth=0.1)
national[split].plot(ax=ax, color="#d95f02", edgecolor="#333333", linewidth=0.3)
ax.set_axis_off()
ax.set_title(f"The {int(split.sum())} municipalities of 2021 born of the 2019 divisions\nBoundaries 2021: ELSTAT")
plt.show()

# %% [markdown]
# Twenty-five municipal codes were also renumbered between the two systems, and a third code system (the Ministry
# of Interior's, ΥΠΕΣ) is used by the 2011 boundaries; the crosswalk carries all three (`ypes_2011`). Never join
# 2011 and 2021 tables on the code alone: go through the crosswalk.
