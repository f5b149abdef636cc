"""The labels of local statistics' classes, in English (GeoDa's) and Greek.

Kept apart from the statistics themselves: the layers' schema, styles, maps and report name these classes without
loading the numerical libraries the statistics need.
"""

from __future__ import annotations

__all__ = [
    "CLUSTER_EL",
    "CLUSTER_LABELS",
    "CLUSTER_LABELS_EL",
    "EHSA_CATEGORIES_EL",
    "GISTAR_LABELS",
    "GISTAR_LABELS_EL",
    "NOT_SIGNIFICANT",
    "NOT_SIGNIFICANT_EL",
    "NO_NEIGHBOURS",
    "NO_NEIGHBOURS_EL",
    "TREND_CLASSES_EL",
]

#: Quadrant codes (esda's ``q``) and their GeoDa labels.
CLUSTER_LABELS: dict[int, str] = {1: "High-High", 2: "Low-High", 3: "Low-Low", 4: "High-Low"}
#: The same labels in Greek, for maps and tables.
CLUSTER_LABELS_EL: dict[int, str] = {
    1: "Υψηλό-Υψηλό",
    2: "Χαμηλό-Υψηλό",
    3: "Χαμηλό-Χαμηλό",
    4: "Υψηλό-Χαμηλό",
}
NOT_SIGNIFICANT = "not significant"
NOT_SIGNIFICANT_EL = "μη σημαντικό"
#: A published cluster label (``cluster`` field: "High-High", ..., "not significant") -> its Greek label.
CLUSTER_EL: dict[str, str] = {CLUSTER_LABELS[k]: v for k, v in CLUSTER_LABELS_EL.items()} | {
    NOT_SIGNIFICANT: NOT_SIGNIFICANT_EL
}
#: Gi* bins (-3..3, ArcGIS's Gi_Bin) in English and Greek.
GISTAR_LABELS: dict[int, str] = {
    3: "hot spot 99%",
    2: "hot spot 95%",
    1: "hot spot 90%",
    0: NOT_SIGNIFICANT,
    -1: "cold spot 90%",
    -2: "cold spot 95%",
    -3: "cold spot 99%",
}
GISTAR_LABELS_EL: dict[int, str] = {
    3: "θερμό σημείο 99%",
    2: "θερμό σημείο 95%",
    1: "θερμό σημείο 90%",
    0: NOT_SIGNIFICANT_EL,
    -1: "ψυχρό σημείο 90%",
    -2: "ψυχρό σημείο 95%",
    -3: "ψυχρό σημείο 99%",
}
#: A unit without neighbours (an island the weights leave alone): no local statistic.
NO_NEIGHBOURS = "no neighbours"
NO_NEIGHBOURS_EL = "χωρίς γείτονες"

#: Emerging Hot Spot categories in Greek (ArcGIS Pro's 17, spatial_poverty.stats.spacetime).
EHSA_CATEGORIES_EL: dict[str, str] = {
    "No pattern detected": "Δεν εντοπίστηκε μοτίβο",
    "New hot spot": "Νέο θερμό σημείο",
    "Consecutive hot spot": "Διαδοχικό θερμό σημείο",
    "Intensifying hot spot": "Εντεινόμενο θερμό σημείο",
    "Persistent hot spot": "Επίμονο θερμό σημείο",
    "Diminishing hot spot": "Εξασθενούν θερμό σημείο",
    "Sporadic hot spot": "Σποραδικό θερμό σημείο",
    "Oscillating hot spot": "Ταλαντευόμενο θερμό σημείο",
    "Historical hot spot": "Ιστορικό θερμό σημείο",
    "New cold spot": "Νέο ψυχρό σημείο",
    "Consecutive cold spot": "Διαδοχικό ψυχρό σημείο",
    "Intensifying cold spot": "Εντεινόμενο ψυχρό σημείο",
    "Persistent cold spot": "Επίμονο ψυχρό σημείο",
    "Diminishing cold spot": "Εξασθενούν ψυχρό σημείο",
    "Sporadic cold spot": "Σποραδικό ψυχρό σημείο",
    "Oscillating cold spot": "Ταλαντευόμενο ψυχρό σημείο",
    "Historical cold spot": "Ιστορικό ψυχρό σημείο",
}

#: Trend classes of a register's Mann-Kendall test (spatial_poverty.registers.trends), in Greek.
TREND_CLASSES_EL: dict[str, str] = {
    "increasing": "αυξητική τάση",
    "decreasing": "πτωτική τάση",
    "no significant trend": "χωρίς σημαντική τάση",
    "not computed": "δεν υπολογίστηκε",
}
