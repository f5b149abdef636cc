"""One register from its files to what a run publishes: read, placed on the 2021 units, rates, trends.

:func:`analyse_register` is the Python API (a notebook can call it with its own frames); the pipeline's
``registers`` stage calls it for every register of ``sources.registers``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd
from libpysal.graph import Graph

from spatial_poverty.registers.place import Placed, place_register
from spatial_poverty.registers.rates import published, register_rates
from spatial_poverty.registers.read import Finding, drop_repeated_rows, read_register_file
from spatial_poverty.registers.spec import DENOMINATORS, KINDS, SYNTHETIC, RegisterAnalysis, RegisterSource
from spatial_poverty.registers.trends import RegisterTrends, register_trends

__all__ = ["RegisterResult", "analyse_register", "layer_names", "region_of"]


def region_of(municipalities: pd.DataFrame) -> pd.Series:
    """The NUTS 2 region of each municipality (``nuts2``, else from its region's Greek name)."""
    if "nuts2" in municipalities:
        return municipalities["nuts2"]
    from spatial_poverty.harmonise.context import nuts2_of

    return nuts2_of(municipalities["region_el"])


def layer_names(name: str) -> tuple[str, str]:
    """The layers of a register: its table by municipality and period, and its trend layer."""
    return f"register_{name}", f"register_{name}_trend"


@dataclass
class RegisterResult:
    """A register analysed: every value (``rates``, for models) and what may be published."""

    name: str
    source: RegisterSource
    placed: Placed
    rates: pd.DataFrame
    trends: RegisterTrends
    findings: list[Finding] = field(default_factory=list)
    suppress_below: int = 5

    @property
    def title(self) -> str:
        return (f"{SYNTHETIC}: " if self.source.synthetic else "") + self.source.title_el

    @property
    def title_en(self) -> str:
        return (f"{SYNTHETIC}: " if self.source.synthetic else "") + self.source.title_en

    @property
    def periods(self) -> list[str]:
        return sorted(self.rates["period"].unique())

    def table_layer(self, names: pd.Series) -> pd.DataFrame:
        """``register_<name>``: one row per municipality and period; suppressed cells without numbers."""
        pub = published(self.rates)
        pub["name_el"] = pub["code"].map(names)
        cols = ["code", "name_el", "period", "count", "rate", "rate_eb", "flag", "suppressed", "status"]
        return pub[cols].sort_values(["period", "code"]).reset_index(drop=True)

    def trend_layer(self, municipalities: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
        """``register_<name>_trend``: per municipality, change, trend class, space-time category, latest rate."""
        t = self.trends.frame.copy()
        last = published(self.rates[self.rates["period"] == self.periods[-1]]).set_index("code")
        t["rate_eb_latest"] = last["rate_eb"].reindex(t.index)
        t["suppressed_latest"] = last["suppressed"].reindex(t.index).astype(bool)
        t = t.drop(columns=["n_periods"])
        out = municipalities[["name_el", "geometry"]].join(t, how="inner")
        out.index.name = "code"
        return gpd.GeoDataFrame(out.reset_index(), geometry="geometry", crs=municipalities.crs)

    def covariate(self) -> pd.Series:
        """The latest period's smoothed rate per municipality (for the small-area models; not for publication)."""
        last = self.rates[self.rates["period"] == self.periods[-1]].set_index("code")["rate_eb"]
        last.name = f"{self.name}_rate_eb"
        last.attrs = {"period": self.periods[-1], "title": self.title_en, "synthetic": self.source.synthetic}
        return last

    def record(self) -> dict[str, Any]:
        """What the run's record says about the register."""
        r = self.rates
        year, denominator_source = DENOMINATORS[self.source.denominator]
        placed = self.placed
        return {
            "title_el": self.title,
            "title_en": self.title_en,
            "kind": self.source.kind,
            "unit_el": KINDS[self.source.kind][0],
            "synthetic": self.source.synthetic,
            "code_system": self.source.code_system,
            "sources": self.source.source_ids,
            "denominator": {"field": self.source.denominator, "year": year, "source": denominator_source},
            "periods": self.periods,
            "n_periods": len(self.periods),
            "suppressed": int(r["suppressed"].sum()),
            "suppressed_at_source": int((r["status"] == "suppressed_at_source").sum()),
            "no_row": int((r["status"] == "no_row").sum()),
            "flagged": int(r["flag"].sum()),
            "cells": len(r),
            "totals": placed.totals.to_dict(orient="records"),
            "splits": _split_record(placed.splits, self.suppress_below),
            "trend_classes": {k: int(v) for k, v in self.trends.frame["trend"].value_counts().sort_index().items()},
            "emerging": self.trends.emerging,
            "markov": self.trends.markov,
        }


def _shown(value: Any, below: int) -> int | None:
    """A count as it may be published: None when unknown or below the disclosure threshold."""
    return None if pd.isna(value) or int(value) < below else int(value)


def _split_record(splits: pd.DataFrame, below: int) -> list[dict[str, Any]]:
    """The divided 2011 municipalities, every period: parent count and children counts (counts below the
    disclosure threshold left out, as in the layers)."""
    if splits.empty:
        return []
    out = []
    for (period, code11), grp in splits.groupby(["period", "elstat_2011"], sort=True):
        parent = grp["count_2011"].iloc[0]
        out.append(
            {
                "period": period,
                "elstat_2011": code11,
                "name_2011": grp["name_2011"].iloc[0],
                "count_2011": _shown(parent, below),
                "parts": [
                    {"elstat_2021": c, "name_2021": n, "pop_share": round(float(s), 6), "count_2021": _shown(v, below)}
                    for c, n, s, v in zip(
                        grp["elstat_2021"], grp["name_2021"], grp["pop_share"], grp["count_2021"], strict=True
                    )
                ],
            }
        )
    return out


def analyse_register(
    name: str,
    source: RegisterSource,
    files: Sequence[tuple[Path, str | None]],
    *,
    municipalities: gpd.GeoDataFrame,
    crosswalk: pd.DataFrame,
    graph: Graph,
    analysis: RegisterAnalysis,
    alpha: float,
    correction: str,
    seed: int,
) -> RegisterResult:
    """Read a register's files, put them on the 2021 municipalities, compute rates and their change over time.

    Parameters
    ----------
    files : sequence of (path, period)
        Its files; the period is None for a file with a period column.
    municipalities : geopandas.GeoDataFrame
        The run's municipalities (index: ELSTAT 2021 code) with the denominator field and ``nuts2``.
    crosswalk : pandas.DataFrame
        The national ``code_crosswalk`` layer.
    """
    read = [read_register_file(path, source, name=name, period=period) for path, period in files]
    rows = pd.concat([r.frame for r in read], ignore_index=True)
    findings = [f for r in read for f in r.findings]
    if len(files) > 1:  # a period given twice across files
        rows, dup = drop_repeated_rows(rows, ", ".join(p.name for p, _ in files), name)
        findings += dup
    where = ", ".join(str(p.name) for p, _ in files)
    placed = place_register(rows, source, area=municipalities.index, crosswalk=crosswalk, where=where, name=name)
    findings += placed.findings
    region = region_of(municipalities)
    rates = register_rates(
        placed.panel,
        municipalities[source.denominator],
        region,
        suppress_below=analysis.suppress_below,
        flag_below=analysis.flag_below,
    )
    trends = register_trends(
        rates,
        graph,
        correction=correction,
        trend_alpha=analysis.trend_alpha,
        alpha=alpha,
        min_periods_emerging=analysis.min_periods_emerging,
        min_periods_markov=analysis.min_periods_markov,
        permutations=analysis.permutations,
        seed=seed,
    )
    return RegisterResult(
        name=name,
        source=source,
        placed=placed,
        rates=rates,
        trends=trends,
        findings=findings,
        suppress_below=analysis.suppress_below,
    )
