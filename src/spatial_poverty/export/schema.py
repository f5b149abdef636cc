"""The exchange schema: every delivered layer, its fields, types, units, code systems and CRS, in one place.

This module is the single source of truth for what a delivery contains. It is used

- to check every layer before it is written (:func:`check_layer`: no unknown field, the right types, codes in
  their code system, allowed values only);
- to write the Greek and English aliases and descriptions into the GeoPackage (``gpkg_data_columns``) and the
  QGIS styles (:mod:`spatial_poverty.export.styles`);
- to render ``docs/exchange_schema.md`` (:func:`render_markdown`; a test checks the document is up to date:
  regenerate it with ``python -m spatial_poverty.export.schema > docs/exchange_schema.md``).

A new layer or field is registered here and nowhere else: add its :class:`FieldSpec` to :data:`FIELDS` and its
:class:`LayerSpec` with :func:`register`. A layer name may hold ``{var}`` (one layer per analysed variable, as
``lisa_{var}``); a field name may hold ``{domain}`` (one field per index domain, as ``{domain}_score``).

Field names are snake_case ASCII (GeoPackage, SQL and QGIS expressions); Greek is in the aliases.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, replace
from typing import Literal

import geopandas as gpd
import numpy as np
import pandas as pd
from pandas.api import types as ptypes

from spatial_poverty.errors import ExportError
from spatial_poverty.services.vocabulary import ACCESS_THRESHOLDS
from spatial_poverty.stats.labels import (
    CLUSTER_LABELS,
    CLUSTER_LABELS_EL,
    NO_NEIGHBOURS,
    NO_NEIGHBOURS_EL,
    NOT_SIGNIFICANT,
    NOT_SIGNIFICANT_EL,
)

__all__ = [
    "CRS_ALLOWED",
    "CRS_DEFAULT",
    "FIELDS",
    "LAYERS",
    "UNITS_EL",
    "FieldSpec",
    "LayerSpec",
    "StyleSpec",
    "check_layer",
    "layer_spec",
    "register",
    "render_markdown",
    "variable_titles",
]

FieldType = Literal["TEXT", "INTEGER", "REAL", "BOOLEAN"]

#: The CRS of the GeoPackage unless another is asked for (Greek Grid, GGRS87 / TM87).
CRS_DEFAULT = "EPSG:2100"
#: The CRS a delivery may be asked for, with what each is for.
CRS_ALLOWED: dict[str, str] = {
    "EPSG:2100": "GGRS87 / Greek Grid (ΕΓΣΑ87): the national system, default",
    "EPSG:4326": "WGS 84, longitude/latitude: the web (GeoJSON is always in it)",
    "EPSG:3035": "ETRS89 / LAEA Europe: the EU statistical grids (1 km)",
}

#: Units as written in Greek aliases.
UNITS_EL: dict[str, str] = {
    "persons": "κάτοικοι",
    "persons/km²": "κάτ./km²",
    "PPS per inhabitant": "ΜΑΔ ανά κάτοικο",
    "EUR": "€",
    "per 1,000": "ανά 1.000",
}

ELSTAT_2021 = "ELSTAT 2021 (Kleisthenis, law 4555/2018)"
ELSTAT_2011 = "ELSTAT 2011 (Kallikratis, law 3852/2010)"
YPES_2011 = "Ministry of Interior (ΥΠΕΣ) 2011"


@dataclass(frozen=True)
class FieldSpec:
    """One field of the exchange schema.

    ``values`` lists the allowed values (an enumeration); ``pattern`` is a regular expression a text value must
    match in full; ``minimum``/``maximum`` bound a number.
    """

    name: str
    type: FieldType
    alias_el: str
    alias_en: str
    description: str
    unit: str = ""
    code_system: str = ""
    nullable: bool = False
    values: tuple[str | int, ...] = ()
    pattern: str = ""
    minimum: float | None = None
    maximum: float | None = None

    def matches(self, column: str) -> dict[str, str] | None:
        """The template values if ``column`` is this field (``{domain}_score`` matches ``health_score``)."""
        if "{" not in self.name:
            return {} if column == self.name else None
        rx = "^" + re.sub(r"\\\{(\w+)\\\}", r"(?P<\1>[a-z][a-z0-9]*(?:_[a-z0-9]+)*?)", re.escape(self.name)) + "$"
        m = re.match(rx, column)
        return m.groupdict() if m else None

    def resolved(self, column: str, words: Mapping[str, str]) -> FieldSpec:
        """This spec for a concrete column, placeholders filled."""
        return replace(
            self,
            name=column,
            alias_el=self.alias_el.format(**words),
            alias_en=self.alias_en.format(**words),
            description=self.description.format(**words),
        )


@dataclass(frozen=True)
class StyleSpec:
    """How QGIS draws a feature layer by default (see :mod:`spatial_poverty.export.styles`).

    ``kind``: ``graduated`` (classes of a number; ``palette`` sequential or diverging) or ``categorized``
    (``palette`` names a fixed category colour table). ``fields`` are candidates: the first one present in the
    layer is drawn. ``hatch_field``: a boolean field whose true values get a hatching on top (unreliable values);
    ``hatch_when``: a QGIS expression instead (``"quality" = 'flag'``). ``show_where``: (field, value), only those
    features are drawn (a layer of several groups on the same polygons). ``null_label``: (Greek, English) label of
    a grey class for features without a value (suppressed), drawn instead of left out.
    """

    kind: Literal["graduated", "categorized"]
    fields: tuple[str, ...]
    palette: str
    classes: int = 5
    label_field: str = "name_el"
    hatch_field: str = "unreliable"
    hatch_when: str | None = None
    show_where: tuple[str, str] | None = None
    null_label: tuple[str, str] | None = None


@dataclass(frozen=True)
class LayerSpec:
    """One layer of the exchange schema (``{var}`` in the name: one layer per analysed variable)."""

    name: str
    title_el: str
    title_en: str
    description: str
    fields: tuple[str, ...]
    optional: tuple[str, ...] = ()
    geometry: str | None = "MULTIPOLYGON"
    style: StyleSpec | None = None
    group_el: str = ""
    group_en: str = ""
    order: int = 100

    @property
    def kind(self) -> str:
        return "features" if self.geometry else "attributes"

    def matches(self, layer: str) -> dict[str, str] | None:
        if "{" not in self.name:
            return {} if layer == self.name else None
        rx = "^" + re.escape(self.name).replace(r"\{var\}", r"(?P<var>[a-z][a-z0-9_]*)") + "$"
        m = re.match(rx, layer)
        return m.groupdict() if m else None


_YES_NO = "true/false (GeoPackage BOOLEAN, 1/0)"

#: Every field of every layer.
FIELDS: dict[str, FieldSpec] = {
    f.name: f
    for f in [
        # ---------------------------------------------------------------------------------- identity and names
        FieldSpec(
            "code",
            "TEXT",
            "Κωδικός δήμου",
            "Municipality code",
            "ELSTAT 2021 municipality code: 4 digits, as text (leading zeros kept)",
            code_system=ELSTAT_2021,
            pattern=r"\d{4}",
        ),
        FieldSpec("name_el", "TEXT", "Δήμος", "Municipality (Greek)", "Official Greek name (ELSTAT 2021)"),
        FieldSpec("name_en", "TEXT", "Δήμος (λατινικά)", "Municipality", "English name"),
        FieldSpec(
            "regional_unit",
            "TEXT",
            "Περιφερειακή ενότητα",
            "Regional unit",
            "ELSTAT 2021 regional unit code: the first 2 digits of the municipality code",
            code_system=ELSTAT_2021,
            pattern=r"\d{2}",
        ),
        FieldSpec("region_el", "TEXT", "Περιφέρεια", "Region", "Region (NUTS 2) as ELSTAT names it, in Greek"),
        FieldSpec(
            "nuts2",
            "TEXT",
            "Κωδικός NUTS 2",
            "NUTS 2 code",
            "NUTS 2 code of the region",
            code_system="NUTS 2021 (Eurostat)",
            pattern=r"EL[3-6]\d",
        ),
        # -------------------------------------------------------------------------------- population, indicators
        FieldSpec(
            "pop_2011",
            "INTEGER",
            "Πληθυσμός 2011",
            "Population 2011",
            "Resident population, census 2011, on 2021 boundaries",
            unit="persons",
            minimum=0,
        ),
        FieldSpec(
            "pop_2021",
            "INTEGER",
            "Πληθυσμός 2021",
            "Population 2021",
            "Resident population, census 2021",
            unit="persons",
            minimum=0,
        ),
        FieldSpec("area_km2", "REAL", "Έκταση", "Area", "Area of the polygon in EPSG:2100", unit="km²", minimum=0),
        FieldSpec(
            "pop_1991",
            "INTEGER",
            "Πληθυσμός 1991",
            "Population 1991",
            "Resident population, census 1991, apportioned from 2011 to 2021 units by population share",
            unit="persons",
            minimum=0,
            nullable=True,
        ),
        FieldSpec(
            "pop_2001",
            "INTEGER",
            "Πληθυσμός 2001",
            "Population 2001",
            "Resident population, census 2001, apportioned from 2011 to 2021 units by population share",
            unit="persons",
            minimum=0,
            nullable=True,
        ),
        FieldSpec(
            "urban_pop_share_2011",
            "REAL",
            "Μερίδιο αστικού πληθυσμού 2011",
            "Urban population share 2011",
            "Share of the 2011 population living in communities ELSTAT classed urban (2011)",
            minimum=0,
            maximum=1,
            nullable=True,
        ),
        FieldSpec(
            "urban_rural_2011",
            "INTEGER",
            "Αστικός/αγροτικός 2011",
            "Urban/rural 2011",
            "1 urban (at least half the 2011 population in urban communities), 2 rural",
            values=(1, 2),
            nullable=True,
        ),
        FieldSpec(
            "mountain_2011",
            "TEXT",
            "Ορεινότητα 2011",
            "Mountain class 2011",
            "ELSTAT 2011 class covering the largest area: Π lowland, Η semi-mountainous, Ο mountainous",
            code_system="ELSTAT 2011 mountain classification",
            values=("Π", "Η", "Ο"),
            nullable=True,
        ),
        FieldSpec(
            "mountain_area_share_2011",
            "REAL",
            "Μερίδιο ορεινής έκτασης 2011",
            "Mountainous area share 2011",
            "Share of the area in communities ELSTAT classed mountainous (Ο), 2011",
            minimum=0,
            maximum=1,
            nullable=True,
        ),
        FieldSpec(
            "unemp_2001",
            "REAL",
            "Ανεργία 2001",
            "Unemployment 2001",
            "Unemployment rate, census 2001 (lctools), carried from 2011 to 2021 units by population weight",
            unit="%",
            minimum=0,
            maximum=100,
            nullable=True,
        ),
        FieldSpec(
            "unemp_2001_m",
            "REAL",
            "Ανεργία ανδρών 2001",
            "Male unemployment 2001",
            "Male unemployment rate, census 2001 (lctools), carried to 2021 units",
            unit="%",
            minimum=0,
            maximum=100,
            nullable=True,
        ),
        FieldSpec(
            "unemp_2001_f",
            "REAL",
            "Ανεργία γυναικών 2001",
            "Female unemployment 2001",
            "Female unemployment rate, census 2001 (lctools), carried to 2021 units",
            unit="%",
            minimum=0,
            maximum=100,
            nullable=True,
        ),
        FieldSpec(
            "primary_2001",
            "REAL",
            "Απασχόληση στον πρωτογενή τομέα 2001",
            "Primary-sector employment 2001",
            "Share employed in the primary sector, census 2001 (lctools), carried to 2021 units",
            unit="%",
            minimum=0,
            maximum=100,
            nullable=True,
        ),
        FieldSpec(
            "foreign_2001",
            "REAL",
            "Αλλοδαποί 2001",
            "Foreign citizens 2001",
            "Share of non-Greek citizens, census 2001 (lctools), carried to 2021 units",
            unit="%",
            minimum=0,
            maximum=100,
            nullable=True,
        ),
        FieldSpec(
            "income_2001",
            "REAL",
            "Μέσο δηλωθέν εισόδημα νοικοκυριού 2001",
            "Mean declared household income 2001",
            "Mean declared household income 2001 (tax data, lctools), carried to 2021 units by population weight",
            unit="EUR",
            minimum=0,
            nullable=True,
        ),
        FieldSpec(
            "pop_change_pct",
            "REAL",
            "Μεταβολή πληθυσμού 2011-2021",
            "Population change 2011-2021",
            "100 × (pop_2021 − pop_2011) / pop_2011",
            unit="%",
            nullable=True,
        ),
        FieldSpec(
            "density",
            "REAL",
            "Πυκνότητα πληθυσμού 2021",
            "Population density 2021",
            "pop_2021 / area_km2",
            unit="persons/km²",
            minimum=0,
            nullable=True,
        ),
        FieldSpec(
            "lfs_unemp_rate",
            "REAL",
            "Ποσοστό ανεργίας (περιφέρεια)",
            "Unemployment rate (region)",
            "Unemployment rate of the region, ELSTAT Labour Force Survey, latest year",
            unit="%",
            nullable=True,
            minimum=0,
            maximum=100,
        ),
        FieldSpec(
            "lfs_unemp_year", "INTEGER", "Έτος ανεργίας", "Unemployment year", "Year of lfs_unemp_rate", nullable=True
        ),
        FieldSpec(
            "disp_income_pps",
            "REAL",
            "Διαθέσιμο εισόδημα (περιφέρεια)",
            "Disposable income (region)",
            "Disposable income of private households per inhabitant, Eurostat tgs00026, latest year",
            unit="PPS per inhabitant",
            nullable=True,
            minimum=0,
        ),
        FieldSpec(
            "disp_income_year", "INTEGER", "Έτος εισοδήματος", "Income year", "Year of disp_income_pps", nullable=True
        ),
        FieldSpec(
            "arope_rate",
            "REAL",
            "Κίνδυνος φτώχειας ή κοινωνικού αποκλεισμού (περιφέρεια)",
            "At risk of poverty or social exclusion (region)",
            "People at risk of poverty or social exclusion, Eurostat ilc_peps11, latest year by NUTS 2",
            unit="%",
            nullable=True,
            minimum=0,
            maximum=100,
        ),
        FieldSpec("arope_year", "INTEGER", "Έτος AROPE", "AROPE year", "Year of arope_rate", nullable=True),
        FieldSpec(
            "unreliable",
            "BOOLEAN",
            "Αναξιόπιστη τιμή",
            "Unreliable value",
            "The value rests on too few cases or too wide an interval to be read alone; hatched in the style",
            values=(0, 1),
        ),
        # ------------------------------------------------------------------------------------- LISA (Moran)
        FieldSpec("value", "REAL", "Τιμή", "Value", "The analysed variable's value", nullable=True),
        FieldSpec(
            "value_y",
            "REAL",
            "Τιμή δεύτερης μεταβλητής",
            "Value of the second variable",
            "Bivariate LISA: the value of y, whose spatial lag is set against value (x)",
            nullable=True,
        ),
        FieldSpec(
            "local_i",
            "REAL",
            "Τοπικό I του Moran",
            "Local Moran's I",
            "Local Moran's I_i (Anselin 1995)",
            nullable=True,
        ),
        FieldSpec(
            "lag_z",
            "REAL",
            "Χωρική υστέρηση (z)",
            "Spatial lag (z)",
            "Spatial lag of the standardised value, row-standardised weights",
            nullable=True,
        ),
        FieldSpec(
            "z_sim",
            "REAL",
            "z (μεταθέσεις)",
            "z (permutations)",
            "Standardised I_i against its conditional permutation distribution",
            nullable=True,
        ),
        FieldSpec(
            "p_sim",
            "REAL",
            "Ψευδο-p",
            "Pseudo p-value",
            "Two-sided pseudo p-value from conditional permutations",
            minimum=0,
            maximum=1,
            nullable=True,
        ),
        FieldSpec(
            "quadrant",
            "INTEGER",
            "Τεταρτημόριο",
            "Quadrant",
            "Moran scatterplot quadrant: 1 High-High, 2 Low-High, 3 Low-Low, 4 High-Low (0: no neighbours)",
            values=(0, 1, 2, 3, 4),
        ),
        FieldSpec(
            "significant",
            "BOOLEAN",
            "Σημαντικό",
            "Significant",
            "Under the run's statistics.significance rule: p_sim ≤ alpha (rule p) or q_sim ≤ alpha (rule q, the "
            f"default with a correction); Gi*: gi_p or gi_q ≤ alpha; {_YES_NO}",
            values=(0, 1),
        ),
        FieldSpec(
            "cluster",
            "TEXT",
            "Συστάδα LISA",
            "LISA cluster",
            "GeoDa's cluster label (English)",
            values=(*CLUSTER_LABELS.values(), NOT_SIGNIFICANT, NO_NEIGHBOURS),
        ),
        FieldSpec(
            "cluster_el",
            "TEXT",
            "Συστάδα LISA (ελληνικά)",
            "LISA cluster (Greek)",
            "Cluster label in Greek",
            values=(*CLUSTER_LABELS_EL.values(), NOT_SIGNIFICANT_EL, NO_NEIGHBOURS_EL),
        ),
        # -------------------------------------------------------------------------------- Getis-Ord Gi*
        # ----------------------------------------------------------- AROPE small-area estimates (stage sae)
        FieldSpec(
            "group",
            "TEXT",
            "Ομάδα πληθυσμού",
            "Group",
            "Group of people (sae.groups): all, children (0-17), elderly (65+), women, ...",
            pattern=r"[a-z][a-z0-9_]*",
        ),
        FieldSpec(
            "year",
            "INTEGER",
            "Έτος έρευνας",
            "Survey year",
            "Year of the survey the estimate rests on",
            minimum=2000,
            maximum=2100,
        ),
        FieldSpec(
            "direct",
            "REAL",
            "Άμεση εκτίμηση",
            "Direct estimate",
            "Survey-weighted share of the group at risk in the municipality (design-based); empty out of "
            "sample, where its own CV is above 33.3 %, or where the row is suppressed",
            minimum=0,
            maximum=1,
            nullable=True,
        ),
        FieldSpec(
            "direct_se",
            "REAL",
            "Τυπ. σφάλμα άμεσης",
            "Direct SE",
            "Design-based standard error of direct (Taylor linearisation, or replicate weights)",
            minimum=0,
            nullable=True,
        ),
        FieldSpec(
            "direct_n",
            "INTEGER",
            "Ερωτώμενοι",
            "Respondents",
            "Respondents of the group in the municipality (0: out of sample)",
            minimum=0,
        ),
        FieldSpec(
            "estimate",
            "REAL",
            "Εκτίμηση AROPE",
            "AROPE estimate",
            "Share of the group at risk of poverty or social exclusion: Fay-Herriot EBLUP (synthetic out of "
            "sample), benchmarked to the region when benchmarked is true; empty when suppressed",
            minimum=0,
            maximum=1,
            nullable=True,
        ),
        FieldSpec(
            "rmse",
            "REAL",
            "Ρίζα ΜΤΣ",
            "RMSE",
            "Root mean squared error of estimate (parametric bootstrap, benchmarking included)",
            minimum=0,
            nullable=True,
        ),
        FieldSpec(
            "cv",
            "REAL",
            "Συντελεστής μεταβλητότητας",
            "CV",
            "rmse / estimate; the quality class rests on it",
            minimum=0,
            nullable=True,
        ),
        FieldSpec(
            "ci_low",
            "REAL",
            "Κάτω όριο 95%",
            "95% CI low",
            "Lower end of the 95 % interval of estimate (arcsine scale, back-transformed)",
            minimum=0,
            maximum=1,
            nullable=True,
        ),
        FieldSpec(
            "ci_high",
            "REAL",
            "Άνω όριο 95%",
            "95% CI high",
            "Upper end of the 95 % interval of estimate",
            minimum=0,
            maximum=1,
            nullable=True,
        ),
        FieldSpec(
            "people_at_risk",
            "INTEGER",
            "Άτομα σε κίνδυνο",
            "People at risk",
            "estimate x the group's population (its source in the layer description)",
            unit="persons",
            minimum=0,
            nullable=True,
        ),
        FieldSpec(
            "people_at_risk_low",
            "INTEGER",
            "Άτομα σε κίνδυνο, κάτω όριο",
            "People at risk, low",
            "ci_low x the group's population",
            unit="persons",
            minimum=0,
            nullable=True,
        ),
        FieldSpec(
            "people_at_risk_high",
            "INTEGER",
            "Άτομα σε κίνδυνο, άνω όριο",
            "People at risk, high",
            "ci_high x the group's population",
            unit="persons",
            minimum=0,
            nullable=True,
        ),
        FieldSpec(
            "out_of_sample",
            "BOOLEAN",
            "Εκτός δείγματος",
            "Out of sample",
            f"Fewer than sae.min_respondents respondents: the model's prediction alone; {_YES_NO}",
        ),
        FieldSpec(
            "quality",
            "TEXT",
            "Ποιότητα",
            "Quality",
            "publish (CV <= 20 %), flag (CV <= 33.3 %: read with care, hatched) or suppress (no number shown)",
            values=("publish", "flag", "suppress"),
        ),
        FieldSpec(
            "benchmarked",
            "BOOLEAN",
            "Συγκριτική προσαρμογή",
            "Benchmarked",
            f"The region's estimates add up to its benchmark (source in the layer description); {_YES_NO}",
        ),
        FieldSpec(
            "gi_z", "REAL", "z του Gi*", "Gi* z-score", "Getis-Ord Gi* as a z-score (Ord & Getis 1995)", nullable=True
        ),
        FieldSpec(
            "gi_p",
            "REAL",
            "p του Gi* (κανονική)",
            "Gi* p-value (normal)",
            "Two-sided p-value of gi_z under the normal approximation",
            minimum=0,
            maximum=1,
            nullable=True,
        ),
        # ------------------------------------------------------------------- registers (stage registers)
        FieldSpec(
            "period",
            "TEXT",
            "Περίοδος",
            "Period",
            "Reference period of the register: YYYY-MM (month), YYYY-Qn (quarter) or YYYY",
            pattern=r"\d{4}(-(0[1-9]|1[0-2])|-Q[1-4])?",
        ),
        FieldSpec(
            "count",
            "INTEGER",
            "Πλήθος",
            "Count",
            "Count of the register on the 2021 municipality (2011-coded counts split by 2011 population share, "
            "totals kept); empty where suppressed (below registers.suppress_below, or at the source) or no row",
            nullable=True,
            minimum=0,
        ),
        FieldSpec(
            "rate",
            "REAL",
            "Δείκτης ανά 1.000",
            "Rate per 1,000",
            "Count per 1,000 of the denominator (the register's denominator, named with its census year in the "
            "layer's description); empty where the count is",
            unit="per 1,000",
            nullable=True,
            minimum=0,
        ),
        FieldSpec(
            "rate_eb",
            "REAL",
            "Εξομαλυμένος δείκτης (EB)",
            "Smoothed rate (EB)",
            "Empirical-Bayes rate per 1,000, shrunk toward the rate of the NUTS 2 region in the same period "
            "(Marshall 1991); empty where suppressed or where the count is unknown",
            unit="per 1,000",
            nullable=True,
            minimum=0,
        ),
        FieldSpec(
            "flag",
            "BOOLEAN",
            "Λίγα περιστατικά",
            "Small count",
            f"The count is below registers.flag_below (default 20) or unknown: read the rate with care; {_YES_NO}",
        ),
        FieldSpec(
            "suppressed",
            "BOOLEAN",
            "Απόκρυψη (στατιστικό απόρρητο)",
            "Suppressed (disclosure control)",
            f"The count is below registers.suppress_below (default 5) or was suppressed at the source: count, "
            f"rate and smoothed rate are left empty; {_YES_NO}",
        ),
        FieldSpec(
            "status",
            "TEXT",
            "Κατάσταση εγγραφής",
            "Record status",
            "ok; suppressed_at_source (the file had '<5' or similar); no_row (the file had no row for the "
            "municipality in that period)",
            values=("ok", "suppressed_at_source", "no_row"),
        ),
        FieldSpec("period_first", "TEXT", "Πρώτη περίοδος", "First period", "First period of the register"),
        FieldSpec("period_last", "TEXT", "Τελευταία περίοδος", "Last period", "Last period of the register"),
        FieldSpec(
            "rate_first",
            "REAL",
            "Δείκτης πρώτης περιόδου",
            "Rate, first period",
            "Rate per 1,000 in the first period (empty where either end is suppressed or unknown)",
            unit="per 1,000",
            nullable=True,
        ),
        FieldSpec(
            "rate_last",
            "REAL",
            "Δείκτης τελευταίας περιόδου",
            "Rate, last period",
            "Rate per 1,000 in the last period (empty where either end is suppressed or unknown)",
            unit="per 1,000",
            nullable=True,
        ),
        FieldSpec(
            "change",
            "REAL",
            "Μεταβολή ανά 1.000",
            "Change per 1,000",
            "Last minus first period's rate per 1,000 (empty where either count is suppressed or unknown)",
            unit="per 1,000",
            nullable=True,
        ),
        FieldSpec(
            "change_low",
            "REAL",
            "Μεταβολή: κάτω όριο 95%",
            "Change: 95 % lower bound",
            "Lower bound of the 95 % interval of the change (Poisson variance of both counts)",
            unit="per 1,000",
            nullable=True,
        ),
        FieldSpec(
            "change_high",
            "REAL",
            "Μεταβολή: άνω όριο 95%",
            "Change: 95 % upper bound",
            "Upper bound of the 95 % interval of the change (Poisson variance of both counts)",
            unit="per 1,000",
            nullable=True,
        ),
        FieldSpec(
            "rate_ratio",
            "REAL",
            "Λόγος δεικτών",
            "Rate ratio",
            "Last over first period's count (same denominator); empty when either count is 0, suppressed or unknown",
            nullable=True,
            minimum=0,
        ),
        FieldSpec(
            "rate_ratio_low",
            "REAL",
            "Λόγος: κάτω όριο 95%",
            "Rate ratio: 95 % lower bound",
            "exp(log ratio - 1.96 sqrt(1/c1 + 1/c2))",
            nullable=True,
            minimum=0,
        ),
        FieldSpec(
            "rate_ratio_high",
            "REAL",
            "Λόγος: άνω όριο 95%",
            "Rate ratio: 95 % upper bound",
            "exp(log ratio + 1.96 sqrt(1/c1 + 1/c2))",
            nullable=True,
            minimum=0,
        ),
        FieldSpec(
            "change_suppressed",
            "BOOLEAN",
            "Μεταβολή σε απόκρυψη",
            "Change suppressed",
            f"The first or last count is suppressed: the change is not shown; {_YES_NO}",
        ),
        FieldSpec(
            "mk_tau",
            "REAL",
            "Kendall τ (τάση)",
            "Kendall tau (trend)",
            "Mann-Kendall tau of the smoothed rates over all periods",
            nullable=True,
            minimum=-1,
            maximum=1,
        ),
        FieldSpec(
            "mk_p",
            "REAL",
            "p της τάσης",
            "Trend p-value",
            "Mann-Kendall two-sided p-value (ties corrected)",
            nullable=True,
            minimum=0,
            maximum=1,
        ),
        FieldSpec(
            "mk_q",
            "REAL",
            "Διορθωμένο p της τάσης",
            "Trend adjusted p-value",
            "mk_p adjusted across municipalities by the run's correction (statistics.correction)",
            nullable=True,
            minimum=0,
            maximum=1,
        ),
        FieldSpec(
            "trend",
            "TEXT",
            "Τάση",
            "Trend",
            "increasing / decreasing when mk_q <= registers.trend_alpha; no significant trend; not computed "
            "(fewer than 3 periods)",
            values=("increasing", "decreasing", "no significant trend", "not computed"),
        ),
        FieldSpec("trend_el", "TEXT", "Τάση (ελληνικά)", "Trend (Greek)", "The trend class in Greek"),
        FieldSpec(
            "ehsa_category",
            "TEXT",
            "Αναδυόμενα θερμά σημεία",
            "Emerging hot spot category",
            "ArcGIS Pro's Emerging Hot Spot Analysis category of the smoothed rates (Gi* per period, "
            "Mann-Kendall trend); present with at least registers.min_periods_emerging periods",
        ),
        FieldSpec(
            "ehsa_category_el",
            "TEXT",
            "Κατηγορία θερμού σημείου",
            "Emerging hot spot category (Greek)",
            "The category in Greek",
        ),
        FieldSpec(
            "n_hot",
            "INTEGER",
            "Περίοδοι θερμού σημείου",
            "Hot spot periods",
            "Periods in which the municipality is a significant Gi* hot spot",
            minimum=0,
        ),
        FieldSpec(
            "n_cold",
            "INTEGER",
            "Περίοδοι ψυχρού σημείου",
            "Cold spot periods",
            "Periods in which the municipality is a significant Gi* cold spot",
            minimum=0,
        ),
        FieldSpec(
            "rate_eb_latest",
            "REAL",
            "Εξομαλυμένος δείκτης (τελευταία περίοδος)",
            "Smoothed rate, latest",
            "rate_eb of the last period (empty where suppressed)",
            unit="per 1,000",
            nullable=True,
            minimum=0,
        ),
        FieldSpec(
            "suppressed_latest",
            "BOOLEAN",
            "Απόκρυψη (τελευταία περίοδος)",
            "Suppressed, latest",
            f"The last period's count is suppressed; {_YES_NO}",
        ),
        FieldSpec(
            "gi_bin",
            "INTEGER",
            "Θερμό/ψυχρό σημείο",
            "Hot/cold spot",
            "−3/−2/−1 cold spot and +1/+2/+3 hot spot at 99/95/90 % confidence, 0 not significant: levels of gi_p "
            "(rule p, as ArcGIS) or of gi_q (rule q, statistics.significance)",
            values=(-3, -2, -1, 0, 1, 2, 3),
        ),
        FieldSpec(
            "gi_p_sim",
            "REAL",
            "Ψευδο-p του Gi*",
            "Gi* pseudo p-value",
            "Pseudo p-value of Gi* from conditional permutations",
            minimum=0,
            maximum=1,
            nullable=True,
        ),
        FieldSpec(
            "q_sim",
            "REAL",
            "Τιμή q (LISA)",
            "LISA q-value",
            "False discovery rate q-value of p_sim (Benjamini-Hochberg unless the pipeline sets another correction)",
            minimum=0,
            maximum=1,
            nullable=True,
        ),
        FieldSpec(
            "gi_q",
            "REAL",
            "q του Gi*",
            "Gi* q-value",
            "False discovery rate q-value of gi_p_sim",
            minimum=0,
            maximum=1,
            nullable=True,
        ),
        # ------------------------------------------------------------ stability and components (statistics)
        FieldSpec(
            "lisa_stable",
            "REAL",
            "Σταθερότητα LISA",
            "LISA stability",
            "Share of the weight specifications (statistics.stability.specs) under which the unit's LISA is "
            "significant: 1 under all, 0 under none",
            minimum=0,
            maximum=1,
        ),
        FieldSpec(
            "gi_stable",
            "REAL",
            "Σταθερότητα Gi*",
            "Gi* stability",
            "Share of the weight specifications (statistics.stability.specs) under which the unit's Gi* is "
            "significant (as the field significant)",
            minimum=0,
            maximum=1,
        ),
        FieldSpec(
            "component",
            "INTEGER",
            "Συνιστώσα",
            "Component",
            "Connected component of the weights the unit was analysed in (island policy 'components')",
        ),
        FieldSpec(
            "component_size",
            "INTEGER",
            "Μέγεθος συνιστώσας",
            "Component size",
            "Units in that component; components below the minimum size are labelled 'no neighbours'",
            minimum=1,
        ),
        # ------------------------------------------------------------------------------------ regions
        FieldSpec("region_id", "INTEGER", "Περιοχή", "Region", "Region number (1 holds the smallest code)", minimum=1),
        FieldSpec("n_units", "INTEGER", "Δήμοι", "Municipalities", "Municipalities in the region", minimum=1),
        FieldSpec(
            "population",
            "REAL",
            "Πληθυσμός",
            "Population",
            "Population of the region (regions.population), at least regions.min_population",
            unit="persons",
            minimum=0,
        ),
        FieldSpec(
            "{domain}_mean",
            "REAL",
            "{domain} (μέσος σταθμισμένος)",
            "{domain} (population-weighted mean)",
            "Population-weighted mean of the variable {domain} over the region's municipalities",
            nullable=True,
        ),
        FieldSpec(
            "polsby_popper",
            "REAL",
            "Συμπαγές (Polsby-Popper)",
            "Compactness (Polsby-Popper)",
            "4πA/P² of the dissolved region: 1 for a disc, towards 0 for long, ragged or many-island shapes",
            minimum=0,
            maximum=1,
        ),
        FieldSpec(
            "hull_ratio",
            "REAL",
            "Λόγος κυρτού περιβλήματος",
            "Convex hull ratio",
            "Area of the region over the area of its convex hull: 1 convex, lower with sea between islands",
            minimum=0,
            maximum=1,
        ),
        FieldSpec(
            "n_parts",
            "INTEGER",
            "Τμήματα",
            "Parts",
            "Separate polygons (land masses) of the dissolved region",
            minimum=1,
        ),
        FieldSpec(
            "fragmented",
            "BOOLEAN",
            "Κατακερματισμένη",
            "Fragmented",
            f"The region spans several land masses (n_parts > 1); {_YES_NO}",
            values=(0, 1),
        ),
        FieldSpec("codes", "TEXT", "Κωδικοί δήμων", "Municipality codes", "Member codes, comma-separated"),
        # ------------------------------------------------------------------------------------ deprivation index
        FieldSpec(
            "score",
            "REAL",
            "Σύνθετος δείκτης",
            "Deprivation index",
            "Composite deprivation score (higher = more deprived)",
        ),
        FieldSpec("rank", "INTEGER", "Κατάταξη", "Rank", "Rank by score, 1 = most deprived", minimum=1),
        FieldSpec(
            "decile",
            "INTEGER",
            "Δεκατημόριο",
            "Decile",
            "Decile of rank, 1 = most deprived 10 %",
            values=tuple(range(1, 11)),
        ),
        FieldSpec(
            "{domain}_score",
            "REAL",
            "Τομέας {domain}",
            "Domain {domain}",
            "Score of the domain {domain}",
            nullable=True,
        ),
        FieldSpec(
            "rank_p05",
            "REAL",
            "Κατάταξη, 5ο εκατοστημόριο",
            "Rank, 5th percentile",
            "5th percentile of the rank under the uncertainty analysis",
        ),
        FieldSpec(
            "rank_p50", "REAL", "Κατάταξη, διάμεσος", "Rank, median", "Median rank under the uncertainty analysis"
        ),
        FieldSpec(
            "rank_p95",
            "REAL",
            "Κατάταξη, 95ο εκατοστημόριο",
            "Rank, 95th percentile",
            "95th percentile of the rank under the uncertainty analysis",
        ),
        FieldSpec(
            "p_worst_decile",
            "REAL",
            "Πιθανότητα στο χειρότερο δεκατημόριο",
            "P(most deprived decile)",
            "Share of uncertainty draws placing the municipality in the most deprived decile",
            minimum=0,
            maximum=1,
        ),
        FieldSpec(
            "n_imputed", "INTEGER", "Τιμές με συμπλήρωση", "Imputed values", "Number of indicators imputed", minimum=0
        ),
        FieldSpec(
            "imputed",
            "TEXT",
            "Δείκτες με συμπλήρωση",
            "Imputed indicators",
            "Comma-separated names of the imputed indicators",
            nullable=True,
        ),
        # --------------------------------------------------------------------------------------- crosswalk
        FieldSpec(
            "elstat_2011",
            "TEXT",
            "Κωδικός ΕΛ.ΣΤΑΤ. 2011",
            "ELSTAT 2011 code",
            "Municipality code in the 2011 (Kallikratis) system",
            code_system=ELSTAT_2011,
            pattern=r"\d{4}",
        ),
        FieldSpec(
            "elstat_2021",
            "TEXT",
            "Κωδικός ΕΛ.ΣΤΑΤ. 2021",
            "ELSTAT 2021 code",
            "Municipality code in the 2021 (Kleisthenis) system",
            code_system=ELSTAT_2021,
            pattern=r"\d{4}",
        ),
        FieldSpec(
            "ypes_2011",
            "TEXT",
            "Κωδικός ΥΠΕΣ 2011",
            "Ministry of Interior 2011 code",
            "The Ministry of Interior's code of the 2011 municipality",
            code_system=YPES_2011,
            nullable=True,
        ),
        FieldSpec(
            "pop_share",
            "REAL",
            "Μερίδιο πληθυσμού",
            "Population share",
            "Share of the 2011 municipality's population in the 2021 municipality",
            minimum=0,
            maximum=1,
        ),
        FieldSpec(
            "pop_2011_part",
            "REAL",
            "Πληθυσμός 2011 (τμήμα)",
            "Population 2011 (part)",
            "2011 population of the part",
            unit="persons",
            minimum=0,
        ),
        FieldSpec(
            "area_share",
            "REAL",
            "Μερίδιο έκτασης",
            "Area share",
            "Share of the 2011 polygon's area in the 2021 polygon",
            minimum=0,
            maximum=1,
            nullable=True,
        ),
        FieldSpec("name_2011", "TEXT", "Όνομα 2011", "Name 2011", "Name of the 2011 municipality"),
        FieldSpec("name_2021", "TEXT", "Όνομα 2021", "Name 2021", "Name of the 2021 municipality"),
        FieldSpec(
            "name_match",
            "TEXT",
            "Σύγκριση ονομάτων",
            "Name check",
            "How the 2011 and 2021 names agree: exact, normalised (same after accents, final sigma and prefixes are "
            "folded) or similar (with the difflib ratio); for a divided unit, how its communities were matched",
        ),
        FieldSpec("method", "TEXT", "Μέθοδος", "Method", "How the pair was established or the value derived"),
        # ------------------------------------------------------------------------------------- provenance
        FieldSpec("field", "TEXT", "Πεδίο", "Field", "Name of a published field"),
        FieldSpec("source", "TEXT", "Πηγή", "Source", "Catalogue id of the source"),
        FieldSpec("attribution", "TEXT", "Απόδοση", "Attribution", "Attribution required by the source's licence"),
        FieldSpec(
            "data_year",
            "TEXT",
            "Έτος αναφοράς δεδομένων",
            "Data year",
            "Reference year(s) of the data the field rests on (a census year, or the years of a regional series)",
            nullable=True,
        ),
    ]
}

# ------------------------------------------------------------------------------- access to social services
_SERVICE_TYPE_KEYS = (
    "community_centre",
    "social_grocery",
    "social_pharmacy",
    "shelter",
    "kep",
    "day_care",
    "kapi",
    "social_facility",
    "town_hall",
    "doctor",
    "clinic",
    "hospital",
    "pharmacy",
    "other",
)
_MIN = "minutes"
FIELDS.update(
    {
        f.name: f
        for f in [
            FieldSpec("service_id", "TEXT", "Κωδικός υπηρεσίας", "Service id", "Identifier of the service point"),
            FieldSpec("name", "TEXT", "Ονομασία", "Name", "Name as in the registry or OpenStreetMap"),
            FieldSpec(
                "type",
                "TEXT",
                "Είδος υπηρεσίας",
                "Service type",
                "Type of service (controlled vocabulary, docs/services_registry.md)",
                values=_SERVICE_TYPE_KEYS,
            ),
            FieldSpec("type_el", "TEXT", "Είδος (ελληνικά)", "Type (Greek)", "Greek label of the service type"),
            FieldSpec("operator", "TEXT", "Φορέας", "Operator", "Body running the service", nullable=True),
            FieldSpec("address", "TEXT", "Διεύθυνση", "Address", "Street address", nullable=True),
            FieldSpec(
                "target_groups",
                "TEXT",
                "Ομάδες-στόχοι",
                "Target groups",
                "Groups served ('|' separated)",
                nullable=True,
            ),
            FieldSpec(
                "capacity",
                "INTEGER",
                "Δυναμικότητα",
                "Capacity",
                "Places or persons served (registry); empty when unknown",
                nullable=True,
                minimum=0,
            ),
            FieldSpec("opening_hours", "TEXT", "Ωράριο", "Opening hours", "Opening hours", nullable=True),
            FieldSpec("contact", "TEXT", "Επικοινωνία", "Contact", "Telephone, e-mail or web", nullable=True),
            FieldSpec(
                "precision",
                "TEXT",
                "Ακρίβεια θέσης",
                "Location precision",
                "exact (coordinates given), settlement or community (placed by name on ELSTAT's settlement points), "
                "municipality centroid",
                values=("exact", "settlement", "community", "municipality centroid"),
            ),
            FieldSpec(
                "duplicate_of",
                "TEXT",
                "Διπλοεγγραφή του",
                "Duplicate of",
                "The service this record repeats (same type, near-identical name, close by); such records are "
                "left out of the measures",
                nullable=True,
            ),
            FieldSpec(
                "settlement",
                "TEXT",
                "Κωδικός οικισμού",
                "Settlement code",
                "ELSTAT 2021 settlement code (10 digits; first 8 the community)",
                code_system=ELSTAT_2021,
                pattern=r"\d{10}",
            ),
            FieldSpec(
                "community",
                "TEXT",
                "Κωδικός κοινότητας",
                "Community code",
                "ELSTAT 2021 community code (8 digits)",
                code_system=ELSTAT_2021,
                pattern=r"\d{8}",
            ),
            FieldSpec(
                "pop_method",
                "TEXT",
                "Μέθοδος πληθυσμού",
                "Population method",
                "How the settlement's population was derived from its community's 2021 figure",
            ),
            FieldSpec(
                "nearest_service_min",
                "REAL",
                "Χρόνος έως πλησιέστερη υπηρεσία",
                "Time to nearest service",
                "Travel time to the nearest service of the types measured (land, and ferry where needed); empty "
                "only where no service can be reached",
                unit=_MIN,
                nullable=True,
                minimum=0,
            ),
            FieldSpec(
                "nearest_service_id",
                "TEXT",
                "Πλησιέστερη υπηρεσία",
                "Nearest service",
                "service_id of the nearest service",
                nullable=True,
            ),
            FieldSpec(
                "nearest_service_type",
                "TEXT",
                "Είδος πλησιέστερης υπηρεσίας",
                "Nearest service type",
                "Type of the nearest service",
                nullable=True,
                values=_SERVICE_TYPE_KEYS,
            ),
            FieldSpec(
                "needs_ferry",
                "BOOLEAN",
                "Απαιτεί πλοίο",
                "Needs a ferry",
                "The nearest service is on another island (or the mainland): reaching it takes a ferry",
            ),
            FieldSpec(
                "nearest_{type}_min",
                "REAL",
                "Χρόνος έως {type}",
                "Time to nearest {type}",
                "Travel time to the nearest service of type {type}",
                unit=_MIN,
                nullable=True,
                minimum=0,
            ),
            FieldSpec(
                "e2sfca",
                "REAL",
                "Προσβασιμότητα E2SFCA",
                "E2SFCA accessibility",
                "Enhanced two-step floating catchment area: services per 1,000 residents reachable, distance-"
                "weighted (Luo & Qi 2009); per municipality the population-weighted mean of its settlements",
                unit="per 1,000 residents",
                nullable=True,
                minimum=0,
            ),
            FieldSpec(
                "nearest_min_mean",
                "REAL",
                "Μέσος χρόνος έως υπηρεσία",
                "Mean time to nearest service",
                "Population-weighted mean over the settlements of the time to the nearest service",
                unit=_MIN,
                nullable=True,
                minimum=0,
            ),
            FieldSpec(
                "needs_ferry_share",
                "REAL",
                "Μερίδιο που απαιτεί πλοίο",
                "Share needing a ferry",
                "Share of the population whose nearest service is across the sea",
                minimum=0,
                maximum=1,
            ),
            FieldSpec(
                "services_n",
                "INTEGER",
                "Πλήθος υπηρεσιών",
                "Services",
                "Service points in the municipality (duplicates left out)",
                minimum=0,
            ),
            FieldSpec(
                "desert_class",
                "TEXT",
                "Διμεταβλητή κλάση",
                "Bivariate class",
                "Deprivation tercile (1 low - 3 high) and E2SFCA access tercile (1 low - 3 high), as "
                "'deprivation-access'; 3-1 is a service desert",
                nullable=True,
                pattern=r"[1-3]-[1-3]",
            ),
            FieldSpec(
                "desert",
                "BOOLEAN",
                "Έρημος υπηρεσιών",
                "Service desert",
                "High deprivation and low access (class 3-1)",
                nullable=True,
            ),
            *(
                FieldSpec(
                    f"share_within_{n}min",
                    "REAL",
                    f"Μερίδιο πληθυσμού εντός {n}'",
                    f"Population share within {n} min",
                    f"Share of the population whose nearest service is at most {n} minutes away",
                    minimum=0,
                    maximum=1,
                )
                for n in ACCESS_THRESHOLDS
            ),
        ]
    }
)

_NAMES = ("code", "name_el", "name_en")

#: The layers of a delivery, in the order QGIS shows them.
LAYERS: dict[str, LayerSpec] = {}


def register(spec: LayerSpec) -> LayerSpec:
    """Add a layer to the exchange schema (its fields must be in :data:`FIELDS`)."""
    unknown = [f for f in (*spec.fields, *spec.optional) if f not in FIELDS]
    if unknown:
        raise ValueError(f"layer {spec.name!r}: fields {unknown} are not in FIELDS; add them there first")
    if spec.name in LAYERS:
        raise ValueError(f"layer {spec.name!r} is registered already")
    LAYERS[spec.name] = spec
    return spec


register(
    LayerSpec(
        "municipalities",
        "Δήμοι: πληθυσμός και δείκτες",
        "Municipalities: population and indicators",
        "One row per municipality (ELSTAT 2021) of the area, with the indicators of the run.",
        fields=(*_NAMES, "regional_unit", "region_el", "pop_2011", "pop_2021", "area_km2"),
        optional=(
            "nuts2",
            "pop_1991",
            "pop_2001",
            "pop_change_pct",
            "density",
            "lfs_unemp_rate",
            "lfs_unemp_year",
            "disp_income_pps",
            "disp_income_year",
            "arope_rate",
            "arope_year",
            "urban_pop_share_2011",
            "urban_rural_2011",
            "mountain_2011",
            "mountain_area_share_2011",
            "unemp_2001",
            "unemp_2001_m",
            "unemp_2001_f",
            "primary_2001",
            "foreign_2001",
            "income_2001",
            "unreliable",
        ),
        style=StyleSpec("graduated", ("density", "pop_change_pct", "pop_2021"), "YlOrRd"),
        group_el="Δείκτες",
        group_en="Indicators",
        order=30,
    )
)
register(
    LayerSpec(
        "deprivation_index",
        "Σύνθετος δείκτης αποστέρησης",
        "Composite deprivation index",
        "Score, rank and decile of the composite deprivation index, with its uncertainty.",
        fields=(*_NAMES, "score", "rank", "decile"),
        optional=(
            "{domain}_score",
            "rank_p05",
            "rank_p50",
            "rank_p95",
            "p_worst_decile",
            "n_imputed",
            "imputed",
            "unreliable",
        ),
        style=StyleSpec("graduated", ("score",), "YlOrRd"),
        group_el="Δείκτες",
        group_en="Indicators",
        order=20,
    )
)
register(
    LayerSpec(
        "lisa_{var}",
        "Συστάδες LISA: {title_el}",
        "LISA clusters: {title_en}",
        "Local Moran's I of {var} with conditional-permutation inference; GeoDa's cluster labels.",
        fields=(
            *_NAMES,
            "value",
            "local_i",
            "lag_z",
            "z_sim",
            "p_sim",
            "quadrant",
            "significant",
            "cluster",
            "cluster_el",
        ),
        optional=("q_sim", "lisa_stable", "component", "component_size", "unreliable"),
        style=StyleSpec("categorized", ("cluster",), "geoda_lisa"),
        group_el="Χωρική αυτοσυσχέτιση",
        group_en="Spatial autocorrelation",
        order=40,
    )
)
register(
    LayerSpec(
        "gistar_{var}",
        "Θερμά και ψυχρά σημεία (Gi*): {title_el}",
        "Hot and cold spots (Gi*): {title_en}",
        "Getis-Ord Gi* of {var}; gi_bin as in ArcGIS's Hot Spot Analysis.",
        fields=(*_NAMES, "value", "gi_z", "gi_p", "gi_bin"),
        optional=("gi_p_sim", "gi_q", "significant", "gi_stable", "component", "component_size", "unreliable"),
        style=StyleSpec("categorized", ("gi_bin",), "gi_bin"),
        group_el="Χωρική αυτοσυσχέτιση",
        group_en="Spatial autocorrelation",
        order=50,
    )
)
register(
    LayerSpec(
        "bilisa_{var}",
        "Δισδιάστατες συστάδες LISA: {title_el}",
        "Bivariate LISA clusters: {title_en}",
        "Bivariate local Moran's I of {var} (x at each municipality against the spatial lag of y) with "
        "conditional-permutation inference; GeoDa's cluster labels (High-High: high x among high y).",
        fields=(*_NAMES, "value", "value_y", "local_i", "p_sim", "quadrant", "significant", "cluster", "cluster_el"),
        optional=("q_sim",),
        style=StyleSpec("categorized", ("cluster",), "geoda_lisa"),
        group_el="Χωρική αυτοσυσχέτιση",
        group_en="Spatial autocorrelation",
        order=55,
    )
)
register(
    LayerSpec(
        "regions",
        "Περιοχές (περιφερειοποίηση)",
        "Regions (regionalisation)",
        "Contiguous, homogeneous groups of municipalities with a minimum population (max-p or SKATER, "
        "spatial_poverty.stats.regions), with compactness and fragmentation.",
        fields=(
            "region_id",
            "n_units",
            "population",
            "area_km2",
            "polsby_popper",
            "hull_ratio",
            "n_parts",
            "fragmented",
            "codes",
        ),
        optional=("{domain}_mean",),
        style=StyleSpec("graduated", ("population",), "YlOrRd", label_field="region_id", hatch_field="fragmented"),
        group_el="Περιοχές",
        group_en="Regions",
        order=60,
    )
)
register(
    LayerSpec(
        "code_crosswalk",
        "Αντιστοίχιση κωδικών 2011-2021",
        "Code crosswalk 2011-2021",
        "One row per (2011, 2021) municipality pair: the 2011 and 2019 reforms, with population and area shares.",
        fields=(
            "elstat_2011",
            "elstat_2021",
            "ypes_2011",
            "pop_share",
            "pop_2011_part",
            "area_share",
            "name_2011",
            "name_2021",
            "name_match",
            "method",
        ),
        geometry=None,
        group_el="Πίνακες",
        group_en="Tables",
        order=90,
    )
)
register(
    LayerSpec(
        "field_provenance",
        "Προέλευση πεδίων",
        "Field provenance",
        "For every published field: its source, the attribution its licence requires, the year(s) of the data it "
        "rests on, and how it was derived.",
        fields=("field", "source", "attribution", "data_year", "method"),
        geometry=None,
        group_el="Πίνακες",
        group_en="Tables",
        order=95,
    )
)

register(
    LayerSpec(
        "services",
        "Κοινωνικές υπηρεσίες",
        "Social services",
        "Service points from the observatory's registry or, with none, OpenStreetMap-derived (© OpenStreetMap "
        "contributors, ODbL 1.0; an incomplete stand-in for an official register), with how each was placed.",
        fields=("service_id", "name", "type", "type_el", "code", "precision", "source"),
        optional=("operator", "address", "target_groups", "capacity", "opening_hours", "contact", "duplicate_of"),
        geometry="POINT",
        style=StyleSpec("categorized", ("type",), "service_type", label_field="name"),
        group_el="Πρόσβαση σε υπηρεσίες",
        group_en="Access to services",
        order=60,
    )
)
register(
    LayerSpec(
        "settlement_access",
        "Πρόσβαση οικισμών σε υπηρεσίες",
        "Settlement access to services",
        "ELSTAT 2021 settlements with their share of the community's 2021 population and the travel time to the "
        "nearest service (islands as islands: across the sea only by ferry).",
        fields=(
            "settlement",
            "name",
            "community",
            "code",
            "pop_2021",
            "pop_method",
            "nearest_service_min",
            "nearest_service_id",
            "nearest_service_type",
            "needs_ferry",
        ),
        optional=("e2sfca", "nearest_{type}_min"),
        geometry="POINT",
        style=StyleSpec("graduated", ("nearest_service_min",), "YlOrRd", label_field="name"),
        group_el="Πρόσβαση σε υπηρεσίες",
        group_en="Access to services",
        order=61,
    )
)
register(
    LayerSpec(
        "municipal_access",
        "Πρόσβαση σε υπηρεσίες ανά δήμο",
        "Access to services by municipality",
        "Per municipality: E2SFCA, mean time to the nearest service, shares of the population within the time "
        "thresholds and needing a ferry, and the service-desert class (deprivation x access).",
        fields=(*_NAMES, "pop_2021", "services_n", "e2sfca", "nearest_min_mean", "needs_ferry_share"),
        optional=(*(f"share_within_{n}min" for n in ACCESS_THRESHOLDS), "desert_class", "desert"),
        style=StyleSpec("graduated", ("nearest_min_mean",), "YlOrRd"),
        group_el="Πρόσβαση σε υπηρεσίες",
        group_en="Access to services",
        order=62,
    )
)


register(
    LayerSpec(
        "poverty_sae",
        "Ποσοστό σε κίνδυνο φτώχειας ή κοινωνικού αποκλεισμού (AROPE) ανά δήμο και ομάδα",
        "People at risk of poverty or social exclusion (AROPE) by municipality and group",
        "One row per municipality and group: survey direct estimate, Fay-Herriot estimate with its RMSE, CV and "
        "95 % interval, the people it represents, and its quality class; suppressed rows carry no number. The "
        "default style draws the group 'all' (quantile classes, flag hatched, suppress grey).",
        fields=(
            "code",
            "name_el",
            "group",
            "year",
            "direct",
            "direct_se",
            "direct_n",
            "estimate",
            "rmse",
            "cv",
            "ci_low",
            "ci_high",
            "people_at_risk",
            "people_at_risk_low",
            "people_at_risk_high",
            "out_of_sample",
            "quality",
            "method",
            "benchmarked",
        ),
        style=StyleSpec(
            "graduated",
            ("estimate",),
            "YlOrRd",
            hatch_when="\"quality\" = 'flag'",
            show_where=("group", "all"),
            null_label=("Απόκρυψη (CV > 33,3%)", "Suppressed (CV > 33.3%)"),
        ),
        group_el="Φτώχεια",
        group_en="Poverty",
        order=65,
    )
)
# A register's trend layer is registered before its table: "register_{var}" would match "register_kea_trend" too.
register(
    LayerSpec(
        "register_{var}_trend",
        "Μητρώο {var}: μεταβολή, τάση και αναδυόμενα θερμά σημεία",
        "Register {var}: change, trend and emerging hot spots",
        "Per municipality: the change of register {var} between its first and last period with a 95 % interval, "
        "the Mann-Kendall trend class after the run's correction, the Emerging Hot Spot category and the latest "
        "smoothed rate (suppressed values left empty).",
        fields=(
            "code",
            "name_el",
            "period_first",
            "period_last",
            "rate_first",
            "rate_last",
            "change",
            "change_low",
            "change_high",
            "rate_ratio",
            "rate_ratio_low",
            "rate_ratio_high",
            "change_suppressed",
            "mk_tau",
            "mk_p",
            "mk_q",
            "trend",
            "trend_el",
            "rate_eb_latest",
            "suppressed_latest",
        ),
        optional=("ehsa_category", "ehsa_category_el", "n_hot", "n_cold"),
        style=StyleSpec("graduated", ("rate_eb_latest",), "YlOrRd", hatch_field="suppressed_latest"),
        group_el="Μητρώα",
        group_en="Registers",
        order=70,
    )
)
register(
    LayerSpec(
        "register_{var}",
        "Μητρώο {var}: πλήθος και δείκτες ανά περίοδο",
        "Register {var}: counts and rates by period",
        "One row per municipality and period of register {var}: count on the 2021 units, rate per 1,000, "
        "Empirical-Bayes rate, small-count flag and disclosure control (suppressed cells without numbers).",
        fields=("code", "name_el", "period", "count", "rate", "rate_eb", "flag", "suppressed"),
        optional=("status",),
        geometry=None,
        group_el="Μητρώα",
        group_en="Registers",
        order=71,
    )
)


def variable_titles(var: str) -> tuple[str, str]:
    """The Greek and English titles of a variable that a ``{var}`` layer is about: a field's aliases, a layer's
    title (``deprivation_index``), ``<index>_<domain>`` as the index and its domain, ``x_vs_y`` (bivariate) as
    "x × y"; an unknown name is shown as it is."""
    if "_vs_" in var:
        x, y = var.split("_vs_", 1)
        (xe, xn), (ye, yn) = variable_titles(x), variable_titles(y)
        return f"{xe} × {ye}", f"{xn} × {yn}"
    if var in FIELDS and "{" not in var:
        return FIELDS[var].alias_el, FIELDS[var].alias_en
    if var in LAYERS:
        return LAYERS[var].title_el, LAYERS[var].title_en
    for name, layer in LAYERS.items():
        if "{" not in name and var.startswith(f"{name}_"):
            domain = var[len(name) + 1 :]
            return f"{layer.title_el}: {domain}", f"{layer.title_en}: {domain}"
    return var, var


def layer_spec(layer: str) -> LayerSpec:
    """The schema of a concrete layer name (``lisa_density`` resolves ``lisa_{var}``).

    Raises
    ------
    ExportError
        If the layer is not in the exchange schema.
    """
    for spec in LAYERS.values():
        words = spec.matches(layer)
        if words is None:
            continue
        if not words:
            return spec
        title_el, title_en = variable_titles(words["var"])
        fmt = {"var": words["var"], "title_el": title_el, "title_en": title_en}
        return replace(
            spec,
            name=layer,
            title_el=spec.title_el.format(**fmt),
            title_en=spec.title_en.format(**fmt),
            description=spec.description.format(**fmt),
        )
    raise ExportError(
        f"layer {layer!r} is not in the exchange schema; register it in spatial_poverty/export/schema.py "
        f"(known: {', '.join(LAYERS)})"
    )


def field_spec(layer: LayerSpec, column: str) -> FieldSpec | None:
    """The schema of ``column`` in ``layer`` (placeholders filled), or None if the layer has no such field."""
    for name in (*layer.fields, *layer.optional):
        words = FIELDS[name].matches(column)
        if words is not None:
            return FIELDS[name].resolved(column, words) if words else FIELDS[name]
    return None


def layer_fields(layer: str, columns: list[str]) -> Iterator[FieldSpec]:
    """The field specs of the given columns of a layer, in schema order."""
    spec = layer_spec(layer)
    for c in columns:
        f = field_spec(spec, c)
        if f is not None:
            yield f


def _type_ok(s: pd.Series, t: FieldType) -> bool:
    if t == "TEXT":
        return bool(ptypes.is_string_dtype(s) or ptypes.is_object_dtype(s))
    if t == "INTEGER":
        return bool(ptypes.is_integer_dtype(s) and not ptypes.is_bool_dtype(s))
    if t == "REAL":
        return bool(ptypes.is_numeric_dtype(s) and not ptypes.is_bool_dtype(s))
    return bool(ptypes.is_bool_dtype(s))


def _where(frame: pd.DataFrame, mask: np.ndarray, column: str) -> str:
    idx = frame.index[mask][:3]
    codes = frame.loc[idx, "code"] if "code" in frame.columns else idx
    vals = frame.loc[idx, column]
    return ", ".join(f"{c}: {v!r}" for c, v in zip(codes, vals, strict=True))


def check_layer(layer: str, frame: pd.DataFrame, *, crs: str = CRS_DEFAULT) -> pd.DataFrame:
    """Check a layer against the exchange schema before it is written; return it with columns in schema order.

    Parameters
    ----------
    layer : str
        The layer name (``lisa_density`` matches ``lisa_{var}``).
    frame : DataFrame or GeoDataFrame
        The layer with its index reset (the municipality code a column named ``code``).
    crs : str
        The CRS feature layers must be in.

    Returns
    -------
    DataFrame or GeoDataFrame
        The same rows, columns in schema order (geometry last); the input is not changed.

    Raises
    ------
    ExportError
        Naming the layer, the field, the first offending rows (by code) and values, and what was expected.
    """
    spec = layer_spec(layer)
    is_geo = isinstance(frame, gpd.GeoDataFrame)
    if is_geo != (spec.geometry is not None):
        want = "a feature layer (with geometry)" if spec.geometry else "a table (no geometry)"
        raise ExportError(f"layer {layer!r}: the exchange schema says {want}")
    geom_col = frame.geometry.name if is_geo else None
    columns = [c for c in frame.columns if c != geom_col]
    missing = [f for f in spec.fields if f not in columns]
    if missing:
        raise ExportError(f"layer {layer!r}: fields {missing} are missing (the schema requires {list(spec.fields)})")
    specs: dict[str, FieldSpec] = {}
    for c in columns:
        f = field_spec(spec, c)
        if f is None:
            allowed = [*spec.fields, *spec.optional]
            raise ExportError(
                f"layer {layer!r}: field {c!r} is not in the exchange schema (allowed: {', '.join(allowed)}); "
                "register it in spatial_poverty/export/schema.py"
            )
        specs[c] = f
    for c, f in specs.items():
        s = frame[c]
        if not _type_ok(s, f.type):
            raise ExportError(f"layer {layer!r}, field {c!r}: needs to be {f.type}; dtype {s.dtype} was given instead")
        na = s.isna().to_numpy()
        if na.any() and not f.nullable:
            raise ExportError(
                f"layer {layer!r}, field {c!r}: empty values at {_where(frame, na, c)}; "
                "the schema does not allow empty values here"
            )
        present = s[~na]
        if f.pattern:
            bad = ~present.astype(str).str.fullmatch(f.pattern).to_numpy()
            if bad.any():
                mask = ~na
                mask[mask] = bad
                raise ExportError(
                    f"layer {layer!r}, field {c!r}: values {_where(frame, mask, c)} do not match "
                    f"{f.pattern!r} ({f.code_system or f.description})"
                )
        if f.values and f.type != "BOOLEAN":
            bad = ~present.isin(f.values).to_numpy()
            if bad.any():
                mask = ~na
                mask[mask] = bad
                raise ExportError(
                    f"layer {layer!r}, field {c!r}: values {_where(frame, mask, c)} are not among {list(f.values)}"
                )
        if f.type in ("INTEGER", "REAL") and (f.minimum is not None or f.maximum is not None):
            v = present.astype(float).to_numpy()
            bad = np.zeros(len(v), dtype=bool)
            if f.minimum is not None:
                bad |= v < f.minimum
            if f.maximum is not None:
                bad |= v > f.maximum
            if bad.any():
                mask = ~na
                mask[mask] = bad
                raise ExportError(
                    f"layer {layer!r}, field {c!r}: values {_where(frame, mask, c)} are outside "
                    f"[{f.minimum}, {f.maximum}] ({f.unit or 'no unit'})"
                )
    if is_geo and (frame.crs is None or frame.crs != crs):
        raise ExportError(f"layer {layer!r}: CRS needs to be {crs}; {frame.crs} was given instead")
    ordered = list(
        dict.fromkeys(c for n in (*spec.fields, *spec.optional) for c in columns if FIELDS[n].matches(c) is not None)
    )
    return frame[[*ordered, geom_col]] if geom_col else frame[ordered]


# ------------------------------------------------------------------------------------------------- the document


def _md_escape(text: str) -> str:
    return text.replace("|", "\\|")


def render_markdown() -> str:
    """``docs/exchange_schema.md``: every layer and field of the exchange schema."""
    lines = [
        "# Exchange schema of the spatial_poverty deliveries",
        "",
        "<!-- Generated from src/spatial_poverty/export/schema.py by "
        "`python -m spatial_poverty.export.schema > docs/exchange_schema.md`; do not edit by hand. -->",
        "",
        "Every GeoPackage layer a run delivers, with its fields. Field names are snake_case ASCII; the Greek and "
        "English aliases are written into the GeoPackage (`gpkg_data_columns`) and into the default QGIS style of "
        "each layer. The municipality code is the ELSTAT 2021 code, 4 digits as text. Every layer is checked "
        "against this schema before it is written: an unknown field, a wrong type, an empty value where none is "
        "allowed, a code outside its code system or a value outside its range stops the run.",
        "",
        "## Coordinate reference systems",
        "",
        "| CRS | use |",
        "|---|---|",
        *(f"| {k} | {v} |" for k, v in CRS_ALLOWED.items()),
        "",
        "Feature layers are written in the CRS of the pipeline's `export.crs` (default "
        f"{CRS_DEFAULT}); areas are always computed in EPSG:2100.",
        "",
        "## Code systems",
        "",
        f"- **{ELSTAT_2021}**: `code`, `regional_unit`, `elstat_2021`.",
        f"- **{ELSTAT_2011}**: `elstat_2011`. 25 codes of 2011 denote another municipality in 2021.",
        f"- **{YPES_2011}**: `ypes_2011`.",
        "",
        "## Tables (CSV and XLSX)",
        "",
        "With `export.formats`, every layer is also written as `<layer>.csv` (UTF-8 with a byte-order mark, the "
        "Greek aliases with their unit as headers) and as a sheet of `<name>.xlsx`; the run's own tables "
        "(`deprivation_index.csv`, `services_issues.csv`, `targets.csv`, `quality.csv`) follow the same rule for "
        "their cells. **Formula injection**: text from partners' files (names, operators, addresses) must not run "
        "as a formula when a CSV opens in a spreadsheet, so a text cell that starts with `=`, `+`, `-`, `@`, a tab "
        "or a carriage return is written with a leading apostrophe (`'=SUM(A1)`), OWASP's rule; numbers, and text "
        "that is a plain number such as `-3.5`, are written as they are. XLSX cells are typed (text cells are never "
        "formulas), so they are written unchanged; empty values stay empty cells.",
        "",
        "## Layers",
        "",
        "A name with `{var}` stands for one layer per analysed variable (for example `lisa_density`); a field with "
        "`{domain}` for one field per domain of the index.",
        "",
    ]
    for spec in sorted(LAYERS.values(), key=lambda s: (s.order, s.name)):
        lines += [
            f"### `{spec.name}`",
            "",
            f"**{spec.title_el}** / {spec.title_en}. {spec.description}",
            "",
            f"- kind: {spec.kind}"
            + (f", geometry {spec.geometry}, CRS {CRS_DEFAULT} unless asked otherwise" if spec.geometry else ""),
            f"- QGIS group: {spec.group_el} / {spec.group_en}",
        ]
        if spec.style:
            st = spec.style
            lines.append(
                f"- default style: {st.kind} on the first of {', '.join(f'`{f}`' for f in st.fields)} present "
                f"(palette {st.palette}), labels `{st.label_field}`, hatching where `{st.hatch_field}` is true"
            )
        lines += [
            "",
            "| field | type | unit | Greek alias | English alias | code system / values | required | description |",
            "|---|---|---|---|---|---|---|---|",
        ]
        for name in (*spec.fields, *spec.optional):
            f = FIELDS[name]
            if f.values and f.type != "BOOLEAN":
                codes = ", ".join(str(v) for v in f.values)
            elif f.pattern:
                codes = f"{f.code_system + ': ' if f.code_system else ''}`{f.pattern}`"
            else:
                codes = f.code_system
            rng = ""
            if f.minimum is not None or f.maximum is not None:
                rng = f"; range [{'' if f.minimum is None else f'{f.minimum:g}'}, "
                rng += f"{'' if f.maximum is None else f'{f.maximum:g}'}]"
            required = "yes" if name in spec.fields else "optional"
            if f.nullable:
                required += ", may be empty"
            lines.append(
                f"| `{f.name}` | {f.type} | {f.unit} | {_md_escape(f.alias_el)} | {_md_escape(f.alias_en)} | "
                f"{_md_escape(codes)} | {required} | {_md_escape(f.description)}{rng} |"
            )
        lines.append("")
    return "\n".join(lines)


def _main() -> None:  # pragma: no cover - documentation generator
    sys.stdout.write(render_markdown())


if __name__ == "__main__":  # pragma: no cover
    _main()
