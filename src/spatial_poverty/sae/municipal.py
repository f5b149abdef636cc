r"""The share of people at risk of poverty or social exclusion (AROPE) per municipality and group: survey direct
estimates, the Fay-Herriot model, benchmarking to each region, the people it represents and the quality class.

For each group of the ``sae:`` section (everyone, children 0-17, people 65+, women, ...):

1. **Direct estimates** per municipality (a domain of the full design; :func:`~spatial_poverty.sae.direct.
   direct_estimates`) and per region, with their design variance.
2. **Sampling variances for the model.** A municipality's own design variance rests on a handful of households
   (one or two degrees of freedom), so the model takes the smoothed form of the arcsine transform,
   :math:`\psi_i = 1/(4\, n_i / \overline{deff})`, with :math:`\overline{deff}` the group's design effect pooled
   over the regions (the median of the regional Kish design effects: stable, since each region has hundreds of
   households). ``direct_se`` in the output is the municipality's own design-based standard error.
3. **Fay-Herriot** (or the spatial model), arcsine scale, REML or ML, on the covariates of the run; municipalities
   with fewer than ``min_respondents`` are out of sample and get the synthetic (or spatial) prediction.
4. **Benchmarking** (:func:`~spatial_poverty.sae.fh.benchmark` with groups): within each region the
   population-weighted mean of the estimates equals the region's benchmark exactly (Eurostat's AROPE when the
   bundle has it for the survey year, else the survey's own regional direct estimate). The MSE is the
   parametric bootstrap, which repeats the benchmarking on every replicate; the 95 % interval moves with it.
5. **Quality** from the CV: publish (<= 20 %), flag (<= 33.3 %), suppress (above). A suppressed row keeps its
   code, group and class, and nothing else: no estimate, interval, error or count of people. A direct estimate
   is shown only when its own CV is at most 33.3 % and the row is not suppressed.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from spatial_poverty.errors import StatisticsError
from spatial_poverty.sae.direct import Design, direct_estimates
from spatial_poverty.sae.fh import QUALITY_THRESHOLDS, fit_fh
from spatial_poverty.sae.survey import group_mask

if TYPE_CHECKING:
    from spatial_poverty.sae.spec import GroupSpec, SaeSpec
    from spatial_poverty.sae.survey import Survey

__all__ = [
    "ESTIMATE_FIELDS",
    "GroupResult",
    "design_of",
    "estimate_group",
    "group_population",
    "rank_agreement",
    "regional_direct",
]

logger = logging.getLogger(__name__)

_OUTSIDE = "__outside__"  # the domain of respondents outside the run's area (or of a divided 2011 municipality)

#: The numeric fields of a row that a suppressed row leaves empty.
ESTIMATE_FIELDS = (
    "direct",
    "direct_se",
    "estimate",
    "rmse",
    "cv",
    "ci_low",
    "ci_high",
    "people_at_risk",
    "people_at_risk_low",
    "people_at_risk_high",
)


@dataclass(frozen=True)
class GroupResult:
    """One group's estimates (``table``: one row per municipality, the layer's fields) and its model."""

    group: str
    table: pd.DataFrame
    model: dict[str, Any]
    cv_direct: pd.Series  # CVs for the figure of direct against model CVs
    cv_model: pd.Series
    fit: Any = field(default=None, repr=False)  # the FHResult, before suppression: for checks, never published


def design_of(survey: Survey, spec: SaeSpec) -> Design:
    """The survey's design: replicate weights when given, else strata, PSUs and FPC (Taylor); a stratum with one
    PSU is centred on the mean of all PSU totals (R ``survey``'s ``adjust``)."""
    f = survey.frame
    if survey.replicate_weights is not None:
        return Design.replicates(
            f["weight"].to_numpy(float),
            survey.replicate_weights,
            method=spec.columns.replicate_method,  # type: ignore[arg-type]
            source=survey.source,
        )
    fpc = f["fpc"].to_numpy(float)
    return Design.taylor(
        f["weight"].to_numpy(float),
        strata=f["stratum"].to_numpy(),
        psu=f["psu"].to_numpy(),
        fpc=None if np.isnan(fpc).all() else fpc,
        lonely_psu="adjust",
        source=survey.source,
    )


def regional_direct(survey: Survey, spec: SaeSpec, group: GroupSpec, region_of: pd.Series) -> pd.DataFrame:
    """The group's direct estimate per region (every respondent of the region, placed or not)."""
    f = survey.frame
    y = np.where(group_mask(f, group, survey.source), f["arope"].to_numpy(float), np.nan)
    return _by_region(design_of(survey, spec), y, f, region_of)


def _by_region(design: Design, y: np.ndarray, f: pd.DataFrame, region_of: pd.Series) -> pd.DataFrame:
    """Direct estimates per region of the area (respondents outside it in no domain, kept in the design)."""
    regions = f["region_code"].map(region_of).fillna(_OUTSIDE).to_numpy()
    out = direct_estimates(design, y, regions, statistic="proportion")
    return out.drop(index=_OUTSIDE, errors="ignore")


def group_population(
    group: GroupSpec, areas: pd.DataFrame, survey: Survey, region_of: pd.Series
) -> tuple[pd.Series, str]:
    """The people of the group per municipality, and what that rests on."""
    if group.population == "pop_2021":
        return areas["pop_2021"].astype(float), "ELSTAT, 2021 census, resident population"
    if group.population == "female_2021":
        return areas["female_2021"].astype(float), "ELSTAT, 2021 census, resident population, women"
    f = survey.frame
    inside = group_mask(f, group, survey.source).astype(float)
    regions = f["region_code"].map(region_of)
    w = f["weight"]
    share = (w * inside).groupby(regions).sum() / w.groupby(regions).sum()
    pop = areas["pop_2021"].astype(float) * areas.index.map(region_of).map(share).to_numpy(float)
    return pop, "ELSTAT, 2021 census population x the group's share in the region (survey, weighted)"


def estimate_group(
    name: str,
    group: GroupSpec,
    survey: Survey,
    spec: SaeSpec,
    areas: pd.DataFrame,
    *,
    region_of: pd.Series,
    benchmark: dict[str, float] | None,
    benchmark_source: str,
    spatial_weights: Any = None,
    seed: int,
) -> GroupResult:
    """Estimate one group on every municipality of ``areas`` (indexed by 2021 code, with ``name_el``,
    ``pop_2021``, the covariates and, for ``female_2021``, that field)."""
    f = survey.frame
    design = design_of(survey, spec)
    member = group_mask(f, group, survey.source)
    y = np.where(member, f["arope"].to_numpy(float), np.nan)
    dom = f["code"].fillna(_OUTSIDE).to_numpy()
    direct = direct_estimates(design, y, dom, statistic="proportion").reindex(areas.index)
    regional = _by_region(design, y, f, region_of)
    deff = float(np.nanmedian(regional["deff"].to_numpy(float)))
    if not np.isfinite(deff) or deff <= 0:
        raise StatisticsError(f"group {name}: no regional design effect could be computed (too few respondents)")
    n = direct["n"].fillna(0).to_numpy(float)
    ins = n >= spec.min_respondents
    pop, pop_source = group_population(group, areas, survey, region_of)
    table = areas[spec.table_covariates + [c for c in areas.columns if c.startswith("register:")]].copy()
    table["direct"] = np.where(ins, direct["estimate"].to_numpy(float), np.nan)
    table["n_eff"] = np.where(ins, np.maximum(n / deff, 1.0), np.nan)
    table["pop"] = pop.to_numpy(float)
    table["region"] = areas.index.map(region_of).to_numpy()
    res = fit_fh(
        table,
        direct="direct",
        variance=None,
        covariates=list(spec.covariates),
        method=spec.method,
        transform=spec.transform,
        sample_size="n_eff",
        mse="bootstrap",
        bootstrap=spec.bootstrap,
        seed=seed,
        population="pop" if benchmark is not None else None,
        benchmark_value=benchmark,
        benchmark_method=spec.benchmark_method,
        benchmark_groups="region" if benchmark is not None else None,
        thresholds=QUALITY_THRESHOLDS[spec.quality],
        source=f"{survey.source}, group {name}",
        spatial_weights=spatial_weights,
    )
    e = res.estimates
    out = _rows(name, spec, areas, direct, e, pop, benchmarked=benchmark is not None)
    model = _model_record(name, group, spec, res, deff, pop_source, benchmark, benchmark_source, out, direct)
    cv_direct = direct["cv"].where(ins)
    return GroupResult(name, out, model, cv_direct, e["cv"], res)


def _method(spec: SaeSpec, out_of_sample: np.ndarray) -> np.ndarray:
    model = "FH" if spec.model == "fh" else "spatial FH"
    how = f"{model}, {spec.transform}, {spec.method.upper()}"
    outside = "synthetic" if spec.model == "fh" else "spatial prediction"
    return np.where(out_of_sample, f"{how}: {outside}", f"{how}: EBLUP").astype(object)


def _rows(
    name: str, spec: SaeSpec, areas: pd.DataFrame, direct: pd.DataFrame, e: pd.DataFrame, pop: pd.Series,
    *, benchmarked: bool,
) -> pd.DataFrame:  # fmt: skip
    """The layer's rows of one group, suppression applied."""
    out = pd.DataFrame(index=areas.index)
    out["name_el"] = areas["name_el"]
    out["group"] = name
    out["year"] = spec.year
    hi_q = QUALITY_THRESHOLDS[spec.quality][1]
    direct_ok = direct["cv"].to_numpy(float) <= hi_q
    out["direct"] = np.where(direct_ok, direct["estimate"].to_numpy(float), np.nan)
    out["direct_se"] = np.where(direct_ok, direct["se"].to_numpy(float), np.nan)
    out["direct_n"] = direct["n"].fillna(0).astype(int).to_numpy()
    out["estimate"] = e["eblup"].to_numpy(float)
    out["rmse"] = np.sqrt(e["mse"].to_numpy(float))
    out["cv"] = e["cv"].to_numpy(float)
    out["ci_low"] = e["ci_low"].to_numpy(float)
    out["ci_high"] = e["ci_high"].to_numpy(float)
    p = pop.to_numpy(float)
    out["people_at_risk"] = np.round(out["estimate"].to_numpy() * p)
    out["people_at_risk_low"] = np.round(out["ci_low"].to_numpy() * p)
    out["people_at_risk_high"] = np.round(out["ci_high"].to_numpy() * p)
    out["out_of_sample"] = e["out_of_sample"].to_numpy(bool)
    out["quality"] = e["quality"].astype(str).to_numpy()
    out["method"] = _method(spec, out["out_of_sample"].to_numpy())
    out["benchmarked"] = benchmarked
    suppressed = out["quality"].to_numpy() == "suppress"
    for c in ESTIMATE_FIELDS:
        out.loc[suppressed, c] = np.nan
    for c in ("people_at_risk", "people_at_risk_low", "people_at_risk_high"):
        out[c] = out[c].astype("Int64")
    out.index.name = "code"
    return out


def _model_record(
    name: str, group: GroupSpec, spec: SaeSpec, res: Any, deff: float, pop_source: str,
    benchmark: dict[str, float] | None, benchmark_source: str, out: pd.DataFrame, direct: pd.DataFrame,
) -> dict[str, Any]:  # fmt: skip
    """What the report and the record say about one group's model."""
    from scipy import stats

    e = res.estimates
    ins = ~e["out_of_sample"].to_numpy(bool)
    yt = np.arcsin(np.sqrt(np.clip(e["direct"].to_numpy(float)[ins], 0, 1)))
    lo_q = QUALITY_THRESHOLDS[spec.quality][0]
    cv_direct = direct["cv"].to_numpy(float)
    record: dict[str, Any] = {
        "group": name,
        "title_el": group.title_el,
        "title_en": group.title_en,
        "year": spec.year,
        "model": "Fay-Herriot" if spec.model == "fh" else "spatial Fay-Herriot (SAR area effects)",
        "method": res.method,
        "transform": res.transform,
        "sigma2_u": float(res.sigma2_u),
        "rho": res.extra.get("rho"),
        "beta": {k: float(v) for k, v in res.beta.items()},
        "beta_se": {k: float(v) for k, v in res.beta_se.items()},
        "loglik": float(res.loglik),
        "converged": bool(res.converged),
        "areas_in_sample": int(ins.sum()),
        "areas_out_of_sample": int((~ins).sum()),
        "respondents": int(direct["n"].fillna(0).sum()),
        "deff_pooled": deff,
        "mse_method": res.extra.get("mse_method"),
        "bootstrap": spec.bootstrap,
        "population": pop_source,
        "benchmark": None if benchmark is None else {k: float(v) for k, v in sorted(benchmark.items())},
        "benchmark_source": benchmark_source,
        "benchmark_method": spec.benchmark_method if benchmark is not None else None,
        "publish_direct": int((cv_direct <= lo_q).sum()),
        "publish_model": int((out["quality"] == "publish").sum()),
        "flag_model": int((out["quality"] == "flag").sum()),
        "suppress_model": int((out["quality"] == "suppress").sum()),
        "mean_gamma": float(np.nanmean(e["gamma"].to_numpy(float))) if e["gamma"].notna().any() else None,
    }
    if ins.sum() >= 3:
        synth_t = np.arcsin(np.sqrt(np.clip(e["synthetic"].to_numpy(float)[ins], 0, 1)))
        gamma = e["gamma"].to_numpy(float)[ins]
        # standardised by the marginal SD on the arcsine scale, sqrt(sigma2_u + psi) = sqrt(sigma2_u / gamma)
        scale = np.sqrt(res.sigma2_u / gamma) if res.sigma2_u > 0 and np.isfinite(gamma).all() else 1.0
        resid = (yt - synth_t) / scale
        record["residual_shapiro_p"] = float(stats.shapiro(resid).pvalue)
    return record


def rank_agreement(estimate: pd.Series, index: pd.Series, *, top: int = 10) -> dict[str, Any]:
    """Spearman's rank correlation of the AROPE estimate and the deprivation index over the municipalities where
    both are published, and the ``top`` municipalities whose ranks differ most (NaN below 3 municipalities)."""
    from scipy import stats

    both = pd.concat({"estimate": estimate, "index": index}, axis=1).dropna()
    if len(both) < 3 or both["estimate"].nunique() < 2 or both["index"].nunique() < 2:
        return {"n": len(both), "spearman": float("nan"), "p_value": float("nan"), "disagree": []}
    rho, p = stats.spearmanr(both["estimate"], both["index"])
    ranks = both.rank(ascending=False, method="min")
    gap = (ranks["estimate"] - ranks["index"]).abs().sort_values(ascending=False, kind="mergesort")
    disagree = [
        {"code": str(c), "rank_estimate": int(ranks.at[c, "estimate"]), "rank_index": int(ranks.at[c, "index"])}
        for c in gap.index[:top]
    ]
    return {"n": len(both), "spearman": float(rho), "p_value": float(p), "disagree": disagree}
