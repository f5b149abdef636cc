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
# # (e) Small-area estimation of poverty (εκτίμηση μικρών περιοχών)
#
# EU-SILC, the survey behind the at-risk-of-poverty-or-social-exclusion rate (AROPE, ποσοστό σε κίνδυνο φτώχειας
# ή κοινωνικού αποκλεισμού), is designed for regions (NUTS 2), not municipalities: most municipalities have a
# handful of respondents or none. The Fay-Herriot model borrows strength from covariates known for every
# municipality, and weighs each municipality's own survey estimate by how precise it is.
#
# 1. First the engine on textbook data with published results (Arora & Lahiri 1997, milk expenditure, as
#    distributed with R `sae`): the toolkit gives R's numbers.
# 2. Then the whole chain on the real South Aegean municipalities with a **SYNTHETIC** survey: no EU-SILC
#    microdata are available to this project, so the survey is simulated, with a known truth to check against.
#    Nothing in part 2 is a real poverty figure.

# %%
# %matplotlib inline
import os
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

import spatial_poverty as sp
from spatial_poverty.ingest import load_catalogue
from spatial_poverty.ingest.elstat2021 import read_women_2021
from spatial_poverty.pipeline import load_config
from spatial_poverty.sae import Design, direct_estimates, fit_fh
from spatial_poverty.sae.synthetic_survey import synthetic_survey

PIPELINE = Path(os.environ.get("SPATIAL_POVERTY_PIPELINE", "../pipelines/south_aegean.yaml"))
cfg = load_config(PIPELINE)
# The textbook data sit beside the data bundle (../shared/sae_reference from the project); PROVENANCE.md there.
REFERENCE = Path(os.environ.get("SPATIAL_POVERTY_SAE_REFERENCE", cfg.project_dir.parent / "shared" / "sae_reference"))

# %% [markdown]
# ## 1. The engine against R `sae` (milk expenditure, 43 areas)
# REML fit with the major area as covariate. R `sae::eblupFH` gives σ²_u = 0.0185503 and, for area 1, EBLUP
# 1.021970 with MSE 0.013460 (`sae::mseFH`).

# %%
milk = pd.read_csv(REFERENCE / "expenditure_on_milk.csv").set_index("small_area")
milk["variance"] = milk["std_error"] ** 2
for k in (2, 3, 4):
    milk[f"major_{k}"] = (milk["major_area"] == k).astype(int)
fh = fit_fh(milk, direct="direct_est", variance="variance", covariates=["major_2", "major_3", "major_4"])
e = fh.estimates
print(
    f"sigma2_u = {fh.sigma2_u:.7f} (R sae: 0.0185503); area 1: EBLUP {e['eblup'].iloc[0]:.6f} (R: 1.021970), "
    f"MSE {e['mse'].iloc[0]:.6f} (R: 0.013460)"
)
assert abs(fh.sigma2_u - 0.0185503) < 1e-6 and abs(e["eblup"].iloc[0] - 1.021970) < 1e-5

# %%
fig, ax = plt.subplots(figsize=(7, 4))
ax.scatter(milk["coef_var"] * 100, e["cv"] * 100, s=12, color="#2c7fb8")
lim = max(milk["coef_var"].max(), e["cv"].max()) * 105
ax.plot([0, lim], [0, lim], color="#999999", linewidth=0.8)
ax.set_xlabel("CV of the direct estimate (%)")
ax.set_ylabel("CV of the Fay-Herriot EBLUP (%)")
ax.set_title(
    "The model never does worse, and helps most where the survey is thin\n"
    "Milk expenditure, 43 areas (Arora & Lahiri 1997; R sae)"
)
plt.tight_layout()
plt.show()

# %% [markdown]
# ## 2. AROPE by municipality: a SYNTHETIC survey on the real South Aegean
# The generator draws households in proportion to size in each municipality, and their AROPE from the real
# 2001 covariates with a municipal effect; its truth is the expected share of each municipality. The sample
# (800 households) is about twice EU-SILC's in a region of this size: with fewer, most municipalities have no
# respondent at all.

# %%
catalogue = load_catalogue(cfg.resolve(cfg.paths.catalogue))
run = sp.open_run(PIPELINE)
areas = run["municipalities"].set_index("code")
areas["female_2021"] = read_women_2021(cfg.resolve(cfg.paths.raw) / catalogue[cfg.sources.population].path)
covariates = ["unemp_2001", "foreign_2001", "primary_2001"]
survey = synthetic_survey(areas, covariates, seed=cfg.seed, households=800, per_psu=10)
sample = survey.sample
arope = ((sample["at_risk_of_poverty"] + sample["severe_deprivation"] + sample["low_work_intensity"]) > 0).astype(int)
print(
    f"SYNTHETIC: {len(sample)} persons in {sample['household_id'].nunique()} households, "
    f"{sample['municipality'].nunique()} of {len(areas)} municipalities in the sample"
)

# %% [markdown]
# Direct estimates per municipality (Taylor linearisation, households as PSUs), then the arcsine Fay-Herriot
# model with the effective sample size, benchmarked so that the population-weighted mean of the municipalities
# equals the survey's regional estimate.

# %%
design = Design.taylor(sample["weight"].to_numpy(), psu=sample["household_id"].to_numpy())
direct = direct_estimates(design, arope.to_numpy(float), sample["municipality"].astype(str).str.zfill(4).to_numpy())
regional = direct_estimates(design, arope.to_numpy(float))["estimate"].iloc[0]
table = areas[["name_el", "pop_2021", *covariates]].join(direct[["n", "estimate", "n_eff"]])
table.loc[table["n"] < 10, ["estimate", "n_eff"]] = np.nan  # too few respondents: out of sample
result = fit_fh(
    table,
    direct="estimate",
    variance=None,
    sample_size="n_eff",
    covariates=covariates,
    method="adjusted",
    transform="arcsin",
    mse="bootstrap",
    bootstrap=200,
    seed=cfg.seed,
    population="pop_2021",
    benchmark_value=regional,
)
estimates = result.estimates.join(areas["name_el"])
truth = survey.truth.query("group == 'all'").assign(code=lambda t: t["code"].astype(str).str.zfill(4))
estimates["truth"] = truth.set_index("code")["truth"].reindex(estimates.index)
published = estimates[estimates["quality"] != "suppress"]  # a suppressed estimate is never shown as a number
inside = (published["ci_low"] <= published["truth"]) & (published["truth"] <= published["ci_high"])
print(
    f"SYNTHETIC regional AROPE (direct): {regional:.1%}; sigma2_u {result.sigma2_u:.4f}; "
    f"{int(estimates['out_of_sample'].sum())} municipalities out of sample"
)
print(f"95% intervals holding the simulated truth: {inside.mean():.0%} of the {len(published)} published")
print(
    "Quality classes (CV <= 20% publish, <= 33.3% flag, else suppress):", estimates["quality"].value_counts().to_dict()
)

# %%
shown = published.sort_values("eblup")
fig, ax = plt.subplots(figsize=(7, 8))
y = np.arange(len(shown))
ax.hlines(y, 100 * shown["ci_low"], 100 * shown["ci_high"], color="#bbbbbb", linewidth=2, label="95% interval")
ax.plot(100 * shown["eblup"], y, "o", color="#d95f02", markersize=4, label="Fay-Herriot (benchmarked)")
ax.plot(100 * shown["truth"], y, "x", color="black", markersize=4, label="simulated truth")
has_direct = shown["direct"].notna()
ax.plot(
    100 * shown.loc[has_direct, "direct"],
    y[has_direct.to_numpy()],
    "s",
    mfc="none",
    color="#2c7fb8",
    markersize=4,
    label="direct (n >= 10)",
)
ax.set_yticks(y, shown["name_el"].str.replace("ΔΗΜΟΣ ", "", regex=False), fontsize=6)
ax.set_xlabel("AROPE (%) - SYNTHETIC")
ax.set_title(
    f"SYNTHETIC - demonstration data: AROPE by municipality ({len(estimates) - len(published)} suppressed)\n"
    "Covariates: 2001 census (ELSTAT, lctools); not a real poverty figure"
)
ax.legend(fontsize=7, loc="lower right")
plt.tight_layout()
plt.show()

# %% [markdown]
# In a pipeline, the `sae:` section does all of this per group (everyone, children, 65+, women) with the survey's
# full design, and publishes the `poverty_sae` layer with suppression: see `pipelines/arope_demo.yaml`
# (`make arope-demo`) and `docs/sae.md`.
