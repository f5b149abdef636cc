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
# # (c) The deprivation index and its uncertainty
#
# The run's composite index (σύνθετος δείκτης αποστέρησης) follows the English Index of Multiple Deprivation:
# indicators grouped in domains, normalised, combined within and across domains, and ranked (1 = most
# deprived). A rank is not a fact: it moves when the weights, the normalisation or the aggregation change. The
# run measures that with a Monte Carlo over these choices and publishes, for every municipality, the 5th, 50th
# and 95th percentiles of its rank and its probability of being in the worst decile.
#
# **Data years.** Most of the index rests on the 2001 census (the latest municipal socio-economic figures in
# the bundle); the run says so, and so does every figure below.

# %%
# %matplotlib inline
import os
from pathlib import Path

import matplotlib.pyplot as plt
import pandas as pd

import spatial_poverty as sp

PIPELINE = Path(os.environ.get("SPATIAL_POVERTY_PIPELINE", "../pipelines/south_aegean.yaml"))
run = sp.open_run(PIPELINE)
index = run["deprivation_index"].set_index("code")
meta = run.manifest["index"]
print(index.attrs["title_en"], "-", index.attrs["description"].split(" | ")[-1])

# %% [markdown]
# ## What the index rests on
# Each input with its years and its *effective* weight: how much of the variance of the final score it
# explains, which is not its nominal weight once the indicators are correlated and transformed.

# %%
vintage = pd.DataFrame(meta["recipe"]["inputs"]).set_index("column")
vintage[["label", "years", "nominal_weight", "effective_weight", "old"]]

# %%
print(
    f"Share of the index resting on data older than {meta['recipe']['old_after_years']} years: "
    f"{meta['recipe']['old_share_effective']:.0%} (effective), {meta['recipe']['old_share_nominal']:.0%} (nominal)"
)

# %% [markdown]
# ## Rank uncertainty
# Monte Carlo over the weights, the normalisation and the aggregation (the settings are in the manifest).
# A municipality whose 90 % rank band is wide cannot be said to be more or less deprived than its neighbours in
# the ranking.

# %%
unc = meta["uncertainty"]
print(
    f"{unc['runs']} runs (seed {unc['seed']}) over {', '.join(unc['factors'])}; mean |rank shift| "
    f"{unc['mean_abs_rank_shift']:.2f}; mean 90% band {unc['mean_band_width']:.1f} ranks"
)
print(
    "Total-order sensitivity (share of the rank variance):",
    {k: round(v, 3) for k, v in unc["total_sensitivity"].items()},
)

# %%
ordered = index.sort_values("rank")
fig, ax = plt.subplots(figsize=(7, 9))
y = range(len(ordered))
ax.hlines(y, ordered["rank_p05"], ordered["rank_p95"], color="#999999", linewidth=2, label="90% band (p05-p95)")
ax.plot(ordered["rank"], y, "o", color="#b2182b", markersize=4, label="published rank")
ax.set_yticks(list(y), ordered["name_el"].str.replace("ΔΗΜΟΣ ", "", regex=False), fontsize=6)
ax.invert_yaxis()
ax.set_xlabel("Rank (1 = most deprived)")
ax.set_title("Deprivation rank and its uncertainty, South Aegean\nData 2001 (census, lctools) and 2021 (ELSTAT)")
ax.legend(loc="lower right", fontsize=8)
plt.tight_layout()
plt.show()

# %% [markdown]
# ## The map, with the unreliable hatched
# `unreliable` marks the municipalities whose score rests on imputed inputs; the QGIS style hatches them, and so
# does this map.

# %%
fig, ax = plt.subplots(figsize=(8, 7))
index.plot(
    column="score",
    cmap="YlOrRd",
    scheme="quantiles",
    k=5,
    legend=True,
    ax=ax,
    edgecolor="#555555",
    linewidth=0.3,
    legend_kwds={"title": "Score (quintiles)", "fontsize": 7},
)
unreliable = index[index["unreliable"].astype(bool)]
if len(unreliable):
    unreliable.plot(ax=ax, facecolor="none", hatch="///", edgecolor="#333333", linewidth=0)
ax.set_axis_off()
ax.set_title("Deprivation index score (higher = more deprived)\nData 2001, 2021; boundaries 2021: ELSTAT")
plt.show()

# %% [markdown]
# ## Probability of being in the worst decile
# A figure for targeting: how often, over the Monte Carlo runs, each municipality falls in the most deprived 10 %.

# %%
worst = index.sort_values("p_worst_decile", ascending=False).head(10)
worst[["name_el", "rank", "rank_p05", "rank_p95", "p_worst_decile"]]
