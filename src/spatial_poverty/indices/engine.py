"""Building an index from a spec: validate the inputs, then treat, normalise, weight and aggregate.

:func:`build_index` is deterministic; :func:`~spatial_poverty.indices.uncertainty.monte_carlo` calls the same
:func:`compute` under other choices.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from spatial_poverty.errors import ConfigError, IngestError, StatisticsError
from spatial_poverty.indices.methods import (
    OutlierTreatment,
    aggregate_values,
    cronbach_alpha,
    factor_weights,
    jrc_outliers,
    normalise_values,
    pca_scores,
)
from spatial_poverty.indices.spec import IndexSpec

__all__ = ["IndexResult", "Prepared", "build_index", "compute", "deciles", "prepare", "rank_most_deprived", "treat"]

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Prepared:
    """The indicator values of an index, checked and (if asked) imputed; one row per unit, index = code."""

    values: pd.DataFrame
    se: pd.DataFrame
    imputed: pd.DataFrame


def prepare(frame: pd.DataFrame, spec: IndexSpec, *, source: str = "the municipalities table") -> Prepared:
    """Check and extract the indicator columns of ``frame`` (which is not changed).

    Raises
    ------
    ConfigError
        A configured column is not in the frame.
    IngestError
        Duplicate codes, a non-numeric value, a missing value under ``missing.policy: raise``, or a value out of
        the domain of the indicator's transform (``log`` needs > 0, ``log1p`` > -1).
    """
    wanted = spec.columns + [i.se_column for i in spec.indicators if i.se_column]
    absent = [c for c in wanted if c not in frame.columns]
    if absent:
        raise ConfigError(
            f"index {spec.name!r}: column(s) {absent} are not in {source}; its columns are {list(frame.columns)}"
        )
    if not frame.index.is_unique:
        dup = frame.index[frame.index.duplicated()].unique().tolist()[:10]
        raise IngestError(f"{source}: municipality codes {dup} appear more than once")
    values = pd.DataFrame(index=frame.index)
    for c in wanted:
        col = pd.to_numeric(frame[c], errors="coerce")
        bad = col.isna() & frame[c].notna()
        if bad.any():
            code = bad.idxmax()
            raise IngestError(
                f"{source}: column {c!r}, municipality {code}: value {frame.at[code, c]!r} is not a number"
            )
        values[c] = col.astype(float)
    imputed = values[spec.columns].isna()
    if imputed.any().any():
        missing = {c: imputed.index[imputed[c]].tolist() for c in spec.columns if imputed[c].any()}
        if spec.missing.policy == "raise":
            detail = "; ".join(f"{c!r} at {codes[:10]}" for c, codes in missing.items())
            raise IngestError(
                f"{source}: index {spec.name!r} has missing values: {detail}. "
                "Set index.missing.policy: impute to fill them (each imputed value is flagged)"
            )
        for c in missing:
            fill = values[c].median() if spec.missing.method == "median" else values[c].mean()
            values[c] = values[c].fillna(fill)
            logger.warning("index %s: imputed %d value(s) of %s with the %s", spec.name, len(missing[c]), c, fill)
    se = pd.DataFrame(0.0, index=frame.index, columns=spec.columns)
    for ind in spec.indicators:
        if ind.se_column:
            s = values[ind.se_column]
            if (s.isna() | (s < 0)).any():
                code = (s.isna() | (s < 0)).idxmax()
                raise IngestError(
                    f"{source}: column {ind.se_column!r}, municipality {code}: standard error {s[code]!r}; "
                    "expected a number >= 0"
                )
            se[ind.column] = s
        lower = {"log": 0.0, "log1p": -1.0}.get(ind.transform)
        if lower is not None and (values[ind.column] <= lower).any():
            code = (values[ind.column] <= lower).idxmax()
            raise IngestError(
                f"{source}: column {ind.column!r}, municipality {code}: value {values.at[code, ind.column]} "
                f"cannot take the {ind.transform} transform (needs > {lower:g})"
            )
    return Prepared(values[spec.columns].copy(), se, imputed)


@dataclass
class IndexResult:
    """A computed index: score, rank (1 = most deprived), decile, domain scores and the steps behind them."""

    score: pd.Series
    domain_scores: pd.DataFrame
    normalised: pd.DataFrame
    weights: pd.Series
    domain_weights: pd.Series
    outliers: dict[str, OutlierTreatment] = field(default_factory=dict)

    @property
    def rank(self) -> pd.Series:
        return rank_most_deprived(self.score)

    @property
    def decile(self) -> pd.Series:
        return deciles(self.rank)


def rank_most_deprived(score: pd.Series) -> pd.Series:
    """Rank 1 = highest score (most deprived); ties share the best (lowest) rank."""
    return score.rank(ascending=False, method="min").astype(int).rename("rank")


def deciles(rank: pd.Series) -> pd.Series:
    """Decile of a rank: :math:`\\lceil 10 r / n \\rceil`, 1 = the most deprived tenth."""
    n = len(rank)
    return pd.Series(np.ceil(rank.to_numpy() * 10 / n).clip(1, 10).astype(int), index=rank.index, name="decile")


def _transform(values: pd.DataFrame, spec: IndexSpec) -> pd.DataFrame:
    out = values.copy()
    for ind in spec.indicators:
        if ind.transform == "log":
            out[ind.column] = np.log(out[ind.column])
        elif ind.transform == "log1p":
            out[ind.column] = np.log1p(out[ind.column])
    return out


def treat(values: pd.DataFrame, spec: IndexSpec) -> tuple[pd.DataFrame, dict[str, OutlierTreatment]]:
    """Transforms (``log``, ``log1p``) then outlier treatment of every indicator; ``values`` is not changed."""
    x = _transform(values, spec)
    outliers: dict[str, OutlierTreatment] = {}
    if spec.outliers.method == "jrc":
        o = spec.outliers
        for c in spec.columns:
            t = jrc_outliers(
                x[c],
                winmax=o.winmax,
                skew_threshold=o.skew_threshold,
                kurtosis_threshold=o.kurtosis_threshold,
                require_both=o.require_both,
            )
            outliers[c] = t
            x[c] = t.values
    return x, outliers


def compute(
    values: pd.DataFrame,
    spec: IndexSpec,
    *,
    normalisation: str | None = None,
    across: str | None = None,
    multipliers: np.ndarray | None = None,
    seed: int = 0,
    treated: tuple[pd.DataFrame, dict[str, OutlierTreatment]] | None = None,
) -> IndexResult:
    """Compute the index on prepared values, optionally under other choices (the Monte Carlo's entry point).

    Parameters
    ----------
    values : pandas.DataFrame
        :attr:`Prepared.values` (possibly perturbed).
    spec : IndexSpec
    normalisation, across : str, optional
        Replace the spec's normalisation method and across-domain aggregation.
    multipliers : numpy.ndarray, optional
        Factors on the indicator weights then the domain weights (length indicators + domains).
    seed : int
        For factor-analysis weights.
    treated : tuple, optional
        The output of :func:`treat` on ``values``, when already computed (the Monte Carlo reuses it).
    """
    cols, domains = spec.columns, spec.domains
    x, outliers = treated if treated is not None else treat(values, spec)
    method = normalisation or spec.normalisation.method
    n = spec.normalisation
    index = values.index
    xa = x[cols].to_numpy(dtype=float)
    norm = np.column_stack(
        [
            normalise_values(
                xa[:, j],
                method,
                index=index,
                name=ind.column,
                direction=ind.direction,
                range=n.range,
                goalposts=ind.goalposts,
                reference=n.reference,
                reference_mode=n.reference_mode,
            )
            for j, ind in enumerate(spec.indicators)
        ]
    )
    normalised = pd.DataFrame(norm, index=index, columns=cols)
    wm = spec.weighting
    members = [[j for j, i in enumerate(spec.indicators) if i.domain == d] for d in domains]
    if wm.method in ("pca", "fa"):
        w = factor_weights(
            normalised, wm.method, eigenvalue_min=wm.eigenvalue_min, variance_min=wm.variance_min, seed=seed
        ).to_numpy(dtype=float)
    elif wm.method == "user":
        w = np.array([i.weight for i in spec.indicators], dtype=float)
    else:
        w = np.ones(len(cols))
    if wm.method in ("pca", "fa") and not wm.domain_weights:
        dw = np.array([w[m].sum() for m in members])
    else:
        dw = np.array([float(wm.domain_weights.get(d, 1.0)) for d in domains])
    if multipliers is not None:
        w = w * multipliers[: len(cols)]
        dw = dw * multipliers[len(cols) :]
    agg = spec.aggregation
    across_method = across or agg.across_domains
    if across_method == "pca_scores":
        score = pca_scores(normalised, eigenvalue_min=wm.eigenvalue_min, variance_min=wm.variance_min).to_numpy()
        dom = score[:, None]
    else:
        dom = np.column_stack(
            [
                aggregate_values(norm[:, m], agg.within_domains, w[m] / w[m].sum(), agg.penalty, [cols[j] for j in m])
                for m in members
            ]
        )
        score = aggregate_values(dom, across_method, dw / dw.sum(), agg.penalty, domains)
    if not np.isfinite(score).all():
        raise StatisticsError(f"index {spec.name!r}: the score is not finite for {index[~np.isfinite(score)].tolist()}")
    return IndexResult(
        pd.Series(score, index=index, name="score"),
        pd.DataFrame(dom, index=index, columns=domains),
        normalised,
        pd.Series(w / w.sum(), index=cols, name="weight"),
        pd.Series(dw / dw.sum(), index=domains, name="weight"),
        outliers,
    )


def build_index(frame: pd.DataFrame, spec: IndexSpec, *, seed: int = 0, source: str = "the table") -> IndexResult:
    """The nominal index of ``frame`` (indexed by municipality code) under ``spec``.

    Examples
    --------
    >>> import pandas as pd
    >>> from spatial_poverty.indices import IndexSpec, build_index
    >>> f = pd.DataFrame({"unemp": [5.0, 10.0, 20.0], "income": [30.0, 20.0, 10.0]},
    ...                  index=pd.Index(["0101", "0102", "0103"], name="code"))
    >>> spec = IndexSpec(indicators=[{"column": "unemp"}, {"column": "income", "direction": -1}],
    ...                  normalisation={"method": "minmax"})
    >>> build_index(f, spec).rank.tolist()
    [3, 2, 1]
    """
    prep = prepare(frame, spec, source=source)
    return compute(prep.values, spec, seed=seed)


def diagnostics(result: IndexResult, spec: IndexSpec) -> dict[str, Any]:
    """Correlations and Cronbach's alpha for the run report.

    Pearson correlations of the normalised indicators with each other, with their domain score and with the
    index; of domain scores with the index; Cronbach's alpha of each domain with two or more indicators and of
    all indicators (OECD/JRC Handbook 2008, §4).
    """
    norm = result.normalised
    corr = norm.corr()
    out: dict[str, Any] = {
        "indicator_correlations": {c: {k: round(float(v), 6) for k, v in corr[c].items()} for c in corr.columns},
        "indicator_vs_domain": {},
        "indicator_vs_index": {c: round(float(norm[c].corr(result.score)), 6) for c in norm.columns},
        "domain_vs_index": {
            d: round(float(result.domain_scores[d].corr(result.score)), 6) for d in result.domain_scores.columns
        },
        "cronbach_alpha": {},
    }
    for d in spec.domains:
        members = [i.column for i in spec.indicators if i.domain == d]
        for c in members:
            out["indicator_vs_domain"][c] = round(float(norm[c].corr(result.domain_scores[d])), 6)
        if len(members) > 1:
            out["cronbach_alpha"][d] = round(cronbach_alpha(norm[members]), 6)
    if len(norm.columns) > 1:
        out["cronbach_alpha"]["all_indicators"] = round(cronbach_alpha(norm), 6)
    return out
