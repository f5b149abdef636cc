"""Rates of a register per 1,000 of its denominator, Empirical-Bayes smoothed toward the regional rate, with a
small-count flag and statistical disclosure control.

- ``rate`` = count / denominator x 1,000; ``rate_eb`` the global Empirical-Bayes rate
  (:func:`~spatial_poverty.stats.rates.eb_rate`, Marshall 1991, prior variance clamped at zero) computed per
  period within each NUTS 2 region, so that a municipality is shrunk toward its own region's rate.
- A cell whose count is unknown (suppressed at the source, or no row) has no ``rate``; its ``rate_eb`` is the
  region's prior mean for that period (what the EB estimate is with no data), marked ``imputed``: the statistics
  over time need a complete panel.
- ``flag``: the count is below ``flag_below`` (default 20) or unknown: read the rate with care.
- ``suppressed``: the count is below ``suppress_below`` (default 5) or was suppressed at the source. The
  published layer, tables and maps leave ``count``, ``rate`` and ``rate_eb`` empty for such cells (the smoothed
  rate would give the count back); the models use the values.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from spatial_poverty.stats.rates import eb_rate

__all__ = ["PER", "published", "regional_series", "register_rates", "yearly_regional_rates"]

#: Rates are per this many people (or households) of the denominator.
PER = 1000.0


def register_rates(
    panel: pd.DataFrame,
    denominator: pd.Series,
    region: pd.Series,
    *,
    suppress_below: int = 5,
    flag_below: int = 20,
) -> pd.DataFrame:
    """Rates, smoothed rates, flags and suppression for every municipality and period.

    Parameters
    ----------
    panel : pandas.DataFrame
        ``code``, ``period``, ``count`` (Int64), ``status`` (:class:`~spatial_poverty.registers.place.Placed`).
    denominator : pandas.Series
        The denominator per municipality (index: code), > 0.
    region : pandas.Series
        The NUTS 2 region of each municipality (index: code): the EB prior is the region's rate.

    Returns
    -------
    pandas.DataFrame
        ``code``, ``period``, ``count``, ``denominator``, ``rate``, ``rate_eb``, ``prior``, ``imputed``, ``flag``,
        ``suppressed``, ``status``; all values kept (use :func:`published` for what may be shown).
    """
    out = panel.copy()
    out["denominator"] = out["code"].map(denominator).astype(float)
    if out["denominator"].isna().any() or (out["denominator"] <= 0).any():
        bad = sorted(out.loc[out["denominator"].isna() | (out["denominator"] <= 0), "code"].unique())
        raise ValueError(f"the denominator is missing or not positive for {bad[:10]}")
    out["region"] = out["code"].map(region).fillna("")
    known = out["count"].notna()
    out["rate"] = np.where(
        known, out["count"].astype("Float64").fillna(0).to_numpy(float) / out["denominator"] * PER, np.nan
    )
    out["rate_eb"] = np.nan
    out["prior"] = np.nan
    for (_, _), idx in out.groupby(["period", "region"]).groups.items():
        grp = out.loc[idx]
        k = grp["count"].notna()
        if not k.any():
            continue
        eb = eb_rate(grp.loc[k, "count"].astype(float), grp.loc[k, "denominator"])
        prior = eb.attrs["prior_mean"] * PER
        out.loc[grp.index[k.to_numpy()], "rate_eb"] = eb["eb_rate"].to_numpy() * PER
        out.loc[idx, "prior"] = prior
    out["imputed"] = ~known
    out.loc[~known, "rate_eb"] = out.loc[~known, "prior"]
    counts = out["count"].astype("Float64")
    out["flag"] = (~known) | (counts.fillna(0) < flag_below).to_numpy(bool)
    out["suppressed"] = (out["status"] == "suppressed_at_source") | (
        known & (counts.fillna(0) < suppress_below)
    ).to_numpy(bool)
    return out.drop(columns=["region"])


def published(rates: pd.DataFrame) -> pd.DataFrame:
    """What may be shown: ``count``, ``rate`` and ``rate_eb`` emptied where ``suppressed`` (and ``rate_eb`` where
    it was imputed, since it is no estimate of that municipality)."""
    out = rates.copy()
    hide = out["suppressed"].to_numpy(bool)
    out["count"] = out["count"].astype("Int64").mask(hide)
    out["rate"] = out["rate"].mask(hide)
    out["rate_eb"] = out["rate_eb"].mask(hide | out["imputed"].to_numpy(bool))
    return out


def regional_series(rates: pd.DataFrame, region: pd.Series) -> pd.DataFrame:
    """Per region and period: the known counts, their denominator and the rate per 1,000 (municipalities with an
    unknown count are left out of both)."""
    known = rates[rates["count"].notna()].copy()
    known["region"] = known["code"].map(region)
    grp = known.groupby(["region", "period"])
    out = pd.DataFrame({"count": grp["count"].sum().astype(int), "denominator": grp["denominator"].sum()})
    out["rate"] = out["count"] / out["denominator"] * PER
    return out.reset_index()


def yearly_regional_rates(rates: pd.DataFrame, region: pd.Series, *, all_regions: int = 13) -> pd.DataFrame:
    """``geo``, ``year``, ``value``: each region's rate per 1,000, the mean over the periods of the year present
    (what a target on a register follows); ``EL`` too when the run covers all of Greece's ``all_regions``."""
    series = regional_series(rates, region)
    if series["region"].nunique() == all_regions:
        whole = series.groupby("period")[["count", "denominator"]].sum().reset_index()
        whole["rate"] = whole["count"] / whole["denominator"] * PER
        series = pd.concat([series, whole.assign(region="EL")], ignore_index=True)
    series["year"] = series["period"].str[:4].astype(int)
    out = series.groupby(["region", "year"])["rate"].mean().reset_index()
    return out.rename(columns={"region": "geo", "rate": "value"})
