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
# # (d) Access to services across the sea
#
# Distance as the crow flies says nothing on an archipelago: a doctor 5 km away on the next island can be a day
# away when the ferry (πλοίο της γραμμής) sails once a day in winter. The access stage treats islands as islands:
# each settlement (οικισμός) reaches services by road on its own land mass, and crosses the sea only through ports,
# on the MARNET sea routes, paying the port dwell and half the headway of the line.
#
# **Sources.** Demand: ELSTAT 2021 settlement points and population. Services: OpenStreetMap (2019 extract), an
# incomplete stand-in for the official register of social services: the run says so in its notes. Sea routes:
# MARNET. This notebook reads the published South Aegean run (`make run`).

# %%
# %matplotlib inline
import os
from pathlib import Path

import matplotlib.pyplot as plt
import pandas as pd

import spatial_poverty as sp

PIPELINE = Path(os.environ.get("SPATIAL_POVERTY_PIPELINE", "../pipelines/south_aegean.yaml"))
run = sp.open_run(PIPELINE)
access = run.manifest["access"]
settlements = run["settlement_access"]
municipal = run["municipal_access"].set_index("code")
services = run["services"]
print(
    f"{access['settlements']} settlements, {access['services']['services']} services "
    f"({access['services']['source']}; {access['attribution']})"
)
for note in access["notes"]:
    print("note:", note)
pd.Series(access["travel"], name="travel model")

# %% [markdown]
# ## Who needs a ferry
# A settlement "needs a ferry" when its nearest service of any type is on another land mass.

# %%
print(
    f"{access['land_masses']} land masses, {access['ports']} ports; {access['settlements_needs_ferry']} settlements "
    f"({access['population_needs_ferry']:,} residents of {access['population']:,}) need a ferry for their nearest "
    "service"
)
ferry = municipal.sort_values("needs_ferry_share", ascending=False)
fig, ax = plt.subplots(figsize=(7, 7))
ax.barh(ferry["name_el"].str.replace("ΔΗΜΟΣ ", "", regex=False), 100 * ferry["needs_ferry_share"], color="#2c7fb8")
ax.invert_yaxis()
ax.tick_params(axis="y", labelsize=6)
ax.set_xlabel("Residents whose nearest service needs a ferry (%)")
ax.set_title("Dependence on the ferry, by municipality\nData 2021: ELSTAT settlements; services: OpenStreetMap 2019")
plt.tight_layout()
plt.show()

# %% [markdown]
# ## Minutes to the nearest service
# Each point is a settlement, coloured by the travel time to its nearest service (road, and ferry where needed).

# %%
fig, ax = plt.subplots(figsize=(8, 7))
run["municipalities"].plot(ax=ax, color="#f0f0f0", edgecolor="#999999", linewidth=0.3)
minutes = settlements["nearest_service_min"].clip(upper=240)
settlements.assign(minutes=minutes).plot(
    ax=ax,
    column="minutes",
    cmap="viridis_r",
    markersize=4,
    legend=True,
    legend_kwds={"label": "Minutes to the nearest service (240+ shown as 240)", "shrink": 0.6},
)
services.plot(ax=ax, marker="+", color="#d7301f", markersize=8, linewidth=0.6)
ax.set_axis_off()
ax.set_title("Travel time to the nearest service (+ = service)\nData 2021: ELSTAT; OpenStreetMap 2019; MARNET")
plt.show()

# %% [markdown]
# ## Share of residents within 30 minutes, and the equity of access
# The Gini coefficient of the minutes to the nearest service measures how unequally the region's residents are
# served (0 = everyone equal).

# %%
print("Equity:", access["equity"])
within = municipal[["name_el", "share_within_15min", "share_within_30min", "share_within_60min", "desert_class"]]
within.sort_values("share_within_30min").head(10).round(3)
