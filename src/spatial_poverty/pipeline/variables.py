"""The variables a pipeline's statistics can analyse, and the stage that makes each.

``statistics.variables`` (and ``statistics.bivariate``) may name any of them; ``spatial-poverty validate`` refuses
another name and lists the allowed ones for the pipeline as configured. One registry: the titles, units and Greek
aliases come from the exchange schema (:func:`spatial_poverty.export.schema.variable_titles`), the years and
sources from ``field_provenance``, not from a dictionary here.

=======================  ==========================  ==========================================================
name                     stage (config that makes it)  values
=======================  ==========================  ==========================================================
``pop_change_pct``,      indicators (always)          the ``municipalities`` layer
``density``
2001/2011 census fields  harmonise (``sources.        the ``municipalities`` layer: ``unemp_2001``,
                         lctools_2001``, ...)         ``unemp_2001_m/f``, ``primary_2001``, ``foreign_2001``,
                                                      ``income_2001``, ``urban_pop_share_2011``,
                                                      ``mountain_area_share_2011``
``deprivation_index``    index (``index:``)           the index score; ``deprivation_index_<domain>`` each
                                                      domain's score
access measures          access (``access:``)         ``e2sfca``, ``nearest_min_mean``, ``needs_ferry_share``,
                                                      ``share_within_<t>min`` of ``municipal_access``
=======================  ==========================  ==========================================================

The regional context fields (``lfs_unemp_rate``, ``disp_income_pps``, ``arope_rate``) repeat one NUTS 2 value on
every municipality: a spatial statistic of them describes regions, not municipalities, so they are not offered.

**Rates.** A variable that is a rate of counts is analysed as a rate with its base (Empirical Bayes) only when
the run has the counts; the 2001 census rates of the bundle are published as percentages without them, so
``statistics.rates`` refuses them, with that reason.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["INDICATORS", "Variable", "available_variables", "check_variables", "variable_frame"]

# The configuration schema (pipeline.config) imports this registry; this module does not import the schema (no
# import circle), so the functions below take the run's configuration, a ``PipelineConfig``, as ``cfg: Any``.
#: Indicators the pipeline can compute, with their Greek label and unit.
INDICATORS: dict[str, tuple[str, str]] = {
    "pop_change_pct": ("Μεταβολή πληθυσμού 2011-2021", "%"),
    "density": ("Πυκνότητα πληθυσμού 2021", "κάτ./km²"),
}

#: Fields of the national table (2001 and 2011 census) on the municipalities layer: name -> rate of counts?
CENSUS_FIELDS: dict[str, bool] = {
    "unemp_2001": True,
    "unemp_2001_m": True,
    "unemp_2001_f": True,
    "primary_2001": True,
    "foreign_2001": True,
    "income_2001": False,
    "urban_pop_share_2011": True,
    "mountain_area_share_2011": False,
}
#: Municipal access measures offered to the statistics (the thresholds add share_within_<t>min).
ACCESS_FIELDS = ("e2sfca", "nearest_min_mean", "needs_ferry_share")
NO_COUNTS = (
    "a percentage published without its counts (the 2001 census tables of the bundle give rates only); Empirical "
    "Bayes smoothing needs the count of events and its base, as the registers of the observatory will bring"
)


@dataclass(frozen=True)
class Variable:
    """A variable the statistics can analyse: where its values are and which stage makes them."""

    name: str
    stage: str
    layer: str
    field: str
    rate: bool = False
    events: str | None = None
    base: str | None = None

    @property
    def has_counts(self) -> bool:
        return self.events is not None and self.base is not None


def available_variables(cfg: Any) -> dict[str, Variable]:
    """The variables of the pipeline as configured, by name (in the order of the stages)."""
    out = {v: Variable(v, "indicators", "municipalities", v) for v in INDICATORS}
    if cfg.sources.lctools_2001:
        out |= {v: Variable(v, "harmonise", "municipalities", v, rate=r) for v, r in CENSUS_FIELDS.items()}
    if cfg.index is not None:
        name = cfg.index.name
        out[name] = Variable(name, "index", name, "score")
        for domain in dict.fromkeys(i.domain for i in cfg.index.indicators if i.domain):
            out[f"{name}_{domain}"] = Variable(f"{name}_{domain}", "index", name, f"{domain}_score")
    if cfg.access is not None:
        fields = [*ACCESS_FIELDS, *(f"share_within_{t:g}min" for t in cfg.access.thresholds_min)]
        out |= {f: Variable(f, "access", "municipal_access", f) for f in fields}
    return out


def check_variables(cfg: Any) -> None:
    """Refuse a statistics variable the run does not make (listing the allowed names and their stages) and a rate
    without its counts (naming the reason).

    Raises
    ------
    ValueError
        For pydantic, which reports it as a configuration error.
    """
    known = available_variables(cfg)
    st = cfg.statistics
    pairs = [name for pair in st.bivariate for name in pair]
    bad = [v for v in dict.fromkeys([*st.variables, *pairs, *st.rates]) if v not in known]
    if bad:
        allowed = "; ".join(f"{n} ({v.stage})" for n, v in known.items())
        raise ValueError(f"unknown statistics variable(s) {bad}; this pipeline makes: {allowed}")
    no_counts = [v for v in st.rates if not known[v].has_counts]
    if no_counts:
        why = "; ".join(f"{v}: {NO_COUNTS if known[v].rate else 'not a rate of counts'}" for v in no_counts)
        raise ValueError(f"statistics.rates {no_counts} cannot be analysed as rates: {why}")
    outside = [v for v in st.rates if v not in st.variables]
    if outside:
        raise ValueError(f"statistics.rates {outside} are not in statistics.variables {st.variables}")


def variable_frame(cfg: Any, municipalities: pd.DataFrame, layers: Mapping[str, pd.DataFrame]) -> pd.DataFrame:
    """The values of ``statistics.variables`` and of the bivariate pairs, one float column each, indexed like
    ``municipalities`` (values from that layer or from the stage's layer in ``layers``).

    Raises
    ------
    StatisticsError
        If a variable has no value for some municipalities (naming them): a statistic needs every unit.
    """
    import pandas as pd

    from spatial_poverty.errors import StatisticsError

    known = available_variables(cfg)
    st = cfg.statistics
    columns: dict[str, pd.Series] = {}
    for name in dict.fromkeys([*st.variables, *(n for pair in st.bivariate for n in pair)]):
        var = known[name]
        source = municipalities if var.layer == "municipalities" else layers[var.layer]
        values = pd.to_numeric(source[var.field], errors="coerce").reindex(municipalities.index).astype(float)
        missing = list(values.index[values.isna()])
        if missing:
            raise StatisticsError(
                f"statistics variable {name!r} ({var.layer}.{var.field}, stage {var.stage}) has no value for "
                f"{len(missing)} municipalities: {missing[:10]}; a spatial statistic needs every unit"
            )
        columns[name] = values
    return pd.DataFrame(columns, index=municipalities.index)
