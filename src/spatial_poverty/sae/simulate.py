r"""A design-based simulation of municipal poverty estimation: SYNTHETIC data on the real municipalities.

No survey microdata are public at municipal level, so the engine is checked the way Eurostat's guidelines on
small-area estimation (2019) advise: a synthetic population built on the real frame (the 332 municipalities of
2021 with their census population, region and density), repeated samples drawn with a realistic design, and the
estimates compared with the known truth. Everything this module makes is synthetic and says so.

**Population.** Each municipality's true share at risk of poverty is
:math:`\theta_i = \mathrm{logit}^{-1}(\beta_0 + \beta_1 x_i + u_i)`, :math:`x_i` the standardised log density
(real), :math:`u = \sigma_u\, s\, (I - \rho W)^{-1}\varepsilon` spatially correlated (SAR on 5 nearest
neighbours, row-standardised; :math:`s` rescales to unit variance), households
:math:`N_i = \mathrm{round}(pop_i / 2.5)`, of which :math:`\mathrm{round}(\theta_i N_i)` are at risk.

**Sample** (EU-SILC-like, about 6,000 households): strata are the 13 regions, households allocated to strata in
proportion to their size; in each stratum municipalities (PSUs) are drawn with probability proportional to their
households (systematic PPS from a random start; a municipality larger than the interval is taken with
certainty) and ``per_psu`` households by simple random sampling without replacement in each draw. Design
weights are the inverse inclusion probabilities. Municipalities not drawn are out of sample.

**Estimators.** Direct: the weighted share per municipality (a domain), with ``n_eff`` = the households sampled
in it. Model: Fay-Herriot on the arcsine scale (:func:`~spatial_poverty.sae.fh.fit_fh`, REML), covariates the
intercept and :math:`x_i`; 95 % intervals back-transformed.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from spatial_poverty.sae.fh import fit_fh

if TYPE_CHECKING:
    import geopandas as gpd

__all__ = [
    "SYNTHETIC",
    "Population",
    "draw_sample",
    "evaluate",
    "knn_proximity",
    "municipal_frame",
    "synthetic_population",
]

#: The label of everything this module produces.
SYNTHETIC = "SYNTHETIC - demonstration data"


@dataclass(frozen=True)
class Population:
    """The synthetic population: per municipality (index: ELSTAT 2021 code) households, stratum, covariate, truth."""

    frame: pd.DataFrame  # households, at_risk, stratum, x, theta
    seed: int
    label: str = SYNTHETIC


def knn_proximity(xy: np.ndarray, k: int = 5, *, symmetrise: str = "max", sparse: bool = False):  # type: ignore[no-untyped-def]
    """Symmetric proximity of points, each linked to its ``k`` nearest: ``"max"`` binary (a link either way),
    ``"sum"`` the directed links added (2 where both have the other among their nearest). Dense, or a scipy CSR
    matrix with ``sparse``."""
    import scipy.sparse as sp
    from scipy.spatial import cKDTree

    n = len(xy)
    _, idx = cKDTree(xy).query(xy, k=k + 1)
    w = sp.csr_matrix((np.ones(n * k), (np.repeat(np.arange(n), k), idx[:, 1:].ravel())), shape=(n, n))
    w = w.maximum(w.T) if symmetrise == "max" else w + w.T
    return sp.csr_matrix(w) if sparse else w.toarray()


def municipal_frame(bundle: Path) -> gpd.GeoDataFrame:
    """The 332 municipalities of 2021 from the bundle (real: ELSTAT boundaries and census population), with
    ``density`` and ``stratum`` (the region), the frame the simulation is built on."""
    from spatial_poverty.indicators import area_km2, population_density
    from spatial_poverty.ingest import (
        join_boundaries_population,
        read_municipal_boundaries,
        read_population,
        select_area,
    )

    b = read_municipal_boundaries(Path(bundle) / "elstat_2021" / "DHMOI_2021.zip")
    p = read_population(Path(bundle) / "elstat_2021" / "dimdata.json")
    m = select_area(join_boundaries_population(b, p))
    return m.assign(density=population_density(m["pop_2021"], area_km2(m)), stratum=m["region_el"])


def _sar_effects(xy: np.ndarray, rho: float, rng: np.random.Generator, k: int = 5) -> np.ndarray:
    w = knn_proximity(xy, k, symmetrise="sum")
    w = w / w.sum(axis=1, keepdims=True)
    u = np.linalg.solve(np.eye(len(xy)) - rho * w, rng.normal(size=len(xy)))
    return (u - u.mean()) / u.std()


def synthetic_population(
    municipalities: pd.DataFrame,
    *,
    seed: int,
    beta: tuple[float, float] = (-1.2, 0.25),
    sigma_u: float = 0.35,
    rho: float = 0.6,
) -> Population:
    """Build the SYNTHETIC population on real municipalities.

    Parameters
    ----------
    municipalities : DataFrame or GeoDataFrame
        Indexed by code, with ``pop_2021``, ``stratum`` (the region) and either ``density`` or the columns to
        compute it, and ``x``/``y`` centroid coordinates in metres (or a geometry).
    """
    rng = np.random.default_rng(seed)
    m = municipalities
    if "geometry" in m:
        c = m.geometry.centroid
        xy = np.column_stack([c.x, c.y])
    else:
        xy = m[["cx", "cy"]].to_numpy(float)
    dens = np.log(m["density"].to_numpy(float))
    x = (dens - dens.mean()) / dens.std()
    u = sigma_u * _sar_effects(xy, rho, rng)
    theta = 1 / (1 + np.exp(-(beta[0] + beta[1] * x + u)))
    hh = np.maximum(np.round(m["pop_2021"].to_numpy(float) / 2.5), 1).astype(int)
    at_risk = np.round(theta * hh).astype(int)
    frame = pd.DataFrame(
        {"households": hh, "at_risk": at_risk, "stratum": m["stratum"].astype(str).to_numpy(), "x": x},
        index=m.index,
    )
    frame["theta"] = frame["at_risk"] / frame["households"]  # the finite-population truth
    return Population(frame, seed)


def draw_sample(pop: Population, *, households: int = 6000, per_psu: int = 20, seed: int) -> pd.DataFrame:
    """One stratified two-stage sample: one row per household (``code``, ``stratum``, ``psu``, ``weight``,
    ``arope``)."""
    rng = np.random.default_rng(seed)
    f = pop.frame
    rows = []
    total = f["households"].sum()
    for h, g in f.groupby("stratum", sort=True):
        n_h = max(1, round(households * g["households"].sum() / total / per_psu))  # PSU draws in the stratum
        size = g["households"].to_numpy(float)
        interval = size.sum() / n_h
        start = rng.uniform(0, interval)
        points = start + interval * np.arange(n_h)
        cum = np.cumsum(size)
        hits = np.searchsorted(cum, points, side="right")
        codes, draws = np.unique(hits, return_counts=True)
        for j, times in zip(codes, draws, strict=True):
            pi_psu = min(1.0, n_h * size[j] / size.sum())
            n_take = min(int(per_psu * times), int(size[j]))
            hh, risk = int(size[j]), int(g["at_risk"].iloc[j])
            pick = rng.choice(hh, size=n_take, replace=False)
            y = (pick < risk).astype(float)
            w = hh / (n_take * pi_psu)  # 1 / (P(municipality) x P(household | municipality))
            rows.append(pd.DataFrame({"code": g.index[j], "stratum": h, "psu": g.index[j], "weight": w, "arope": y}))
    return pd.concat(rows, ignore_index=True)


def _mean_rrmse(rel_err: np.ndarray) -> float:
    """Relative RMSE of each area over the replicates in which it was in sample (NaN elsewhere), averaged over
    the areas that were in sample at least once."""
    seen = np.isfinite(rel_err)
    count = seen.sum(axis=0)
    ss = np.where(seen, rel_err, 0.0) ** 2
    return float(np.sqrt(ss.sum(axis=0)[count > 0] / count[count > 0]).mean())


def evaluate(
    pop: Population,
    *,
    replicates: int,
    seed: int,
    households: int = 6000,
    per_psu: int = 20,
    bootstrap: int = 50,
) -> dict[str, float]:
    """Repeat sampling and estimation; coverage, relative RMSE and publishable counts against the truth."""
    f = pop.frame
    truth = f["theta"].to_numpy()
    cover, cover_out, err_eb, err_dir, pub_dir, pub_eb, n_in = [], [], [], [], [], [], []
    for r in range(replicates):
        s = draw_sample(pop, households=households, per_psu=per_psu, seed=seed + r)
        grp = s.groupby("code")
        n = grp.size()
        p_dir = grp.apply(lambda g: float(np.average(g["arope"], weights=g["weight"])), include_groups=False)
        areas = pd.DataFrame({"x": f["x"]}, index=f.index)
        areas["direct"] = p_dir.reindex(f.index)
        areas["n"] = n.reindex(f.index)
        res = fit_fh(areas, direct="direct", variance=None, covariates=["x"], transform="arcsin", sample_size="n",
                     bootstrap=bootstrap, seed=seed + 100_000 + r)  # fmt: skip
        e = res.estimates
        inside = (e["ci_low"].to_numpy() <= truth) & (truth <= e["ci_high"].to_numpy())
        out = e["out_of_sample"].to_numpy()
        cover.append(inside[~out].mean())
        cover_out.append(inside[out].mean() if out.any() else np.nan)
        ins = ~out
        err_eb.append(np.where(ins, (e["eblup"].to_numpy() - truth) / truth, np.nan))
        err_dir.append(np.where(ins, (areas["direct"].to_numpy() - truth) / truth, np.nan))
        pdir = areas["direct"].to_numpy()[ins]
        with np.errstate(divide="ignore", invalid="ignore"):
            cv_dir = np.sqrt(pdir * (1 - pdir) / areas["n"].to_numpy()[ins]) / pdir
        pub_dir.append(int((cv_dir <= 0.2).sum()))
        pub_eb.append(int((e["quality"].to_numpy()[ins] == "publish").sum()))
        n_in.append(int(ins.sum()))
    rr_eb, rr_dir = _mean_rrmse(np.stack(err_eb)), _mean_rrmse(np.stack(err_dir))
    return {
        "label": SYNTHETIC,
        "replicates": replicates,
        "areas": len(f),
        "areas_in_sample_mean": float(np.mean(n_in)),
        "coverage_in_sample": float(np.mean(cover)),
        "coverage_out_of_sample": float(np.nanmean(cover_out)),
        "rrmse_eblup_mean": float(rr_eb),
        "rrmse_direct_mean": float(rr_dir),
        "publishable_direct_mean": float(np.mean(pub_dir)),
        "publishable_eblup_mean": float(np.mean(pub_eb)),
    }
