"""The labels of local statistics' classes, in English (GeoDa's) and Greek.

Kept apart from the statistics themselves: the layers' schema, styles, maps and report name these classes without
loading the numerical libraries the statistics need.
"""

from __future__ import annotations

__all__ = ["CLUSTER_LABELS", "CLUSTER_LABELS_EL", "NOT_SIGNIFICANT", "NOT_SIGNIFICANT_EL", "NO_NEIGHBOURS",
           "NO_NEIGHBOURS_EL"]  # fmt: skip

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
#: A unit without neighbours (an island the weights leave alone): no local statistic.
NO_NEIGHBOURS = "no neighbours"
NO_NEIGHBOURS_EL = "χωρίς γείτονες"
