"""The controlled vocabulary of service types, with Greek and English labels, and the OpenStreetMap mapping."""

from __future__ import annotations

from spatial_poverty.harmonise.names import normalise_name

__all__ = ["ACCESS_THRESHOLDS", "OSM_TAGS", "SERVICE_COLOURS", "SERVICE_TYPES", "service_type"]

#: Population-share thresholds a run may ask for (``access.thresholds_min``): one field ``share_within_<n>min`` each.
ACCESS_THRESHOLDS = (5, 10, 15, 20, 30, 45, 60, 90, 120)

#: Service type key -> (Greek label, English label). Keys are the values of the ``type`` field.
SERVICE_TYPES: dict[str, tuple[str, str]] = {
    "community_centre": ("Κέντρο Κοινότητας", "Community centre"),
    "social_grocery": ("Κοινωνικό Παντοπωλείο", "Social grocery"),
    "social_pharmacy": ("Κοινωνικό Φαρμακείο", "Social pharmacy"),
    "shelter": ("Δομή φιλοξενίας αστέγων", "Homeless shelter"),
    "kep": ("ΚΕΠ (Κέντρο Εξυπηρέτησης Πολιτών)", "Citizen service centre (KEP)"),
    "day_care": ("ΚΔΑΠ / Παιδικός σταθμός", "Day-care centre (KDAP, nursery)"),
    "kapi": ("ΚΑΠΗ (Κέντρο Ανοιχτής Προστασίας Ηλικιωμένων)", "Open care centre for older people (KAPI)"),
    "social_facility": ("Κοινωνική δομή", "Social facility"),
    "town_hall": ("Δημαρχείο", "Town hall"),
    "doctor": ("Ιατρείο", "Doctor"),
    "clinic": ("Κλινική / Κέντρο Υγείας", "Clinic or health centre"),
    "hospital": ("Νοσοκομείο", "Hospital"),
    "pharmacy": ("Φαρμακείο", "Pharmacy"),
    "other": ("Άλλη υπηρεσία", "Other service"),
}

#: Marker colour per service type (ColorBrewer Set1/Dark2, distinguishable on white): map and QGIS style.
SERVICE_COLOURS: dict[str, str] = {
    "community_centre": "#e41a1c",
    "social_grocery": "#377eb8",
    "social_pharmacy": "#4daf4a",
    "shelter": "#984ea3",
    "kep": "#ff7f00",
    "day_care": "#a65628",
    "kapi": "#f781bf",
    "social_facility": "#e7298a",
    "town_hall": "#1b9e77",
    "doctor": "#7570b3",
    "clinic": "#d95f02",
    "hospital": "#000000",
    "pharmacy": "#66a61e",
    "other": "#999999",
}

#: OpenStreetMap ``amenity`` value -> service type: what stands in when no registry is given.
OSM_TAGS: dict[str, str] = {
    "community_centre": "community_centre",
    "social_facility": "social_facility",
    "townhall": "town_hall",
    "doctors": "doctor",
    "clinic": "clinic",
    "hospital": "hospital",
    "pharmacy": "pharmacy",
}

# Other spellings users write in the type column (normalised form -> key).
_ALIASES = {
    "ΚΕΝΤΡΟ ΚΟΙΝΟΤΗΤΑΣ": "community_centre",
    "ΚΟΙΝΩΝΙΚΟ ΠΑΝΤΟΠΩΛΕΙΟ": "social_grocery",
    "ΚΟΙΝΩΝΙΚΟ ΦΑΡΜΑΚΕΙΟ": "social_pharmacy",
    "ΥΠΝΩΤΗΡΙΟ": "shelter",
    "ΞΕΝΩΝΑΣ ΦΙΛΟΞΕΝΙΑΣ": "shelter",
    "ΔΟΜΗ ΦΙΛΟΞΕΝΙΑΣ ΑΣΤΕΓΩΝ": "shelter",
    "ΚΕΠ": "kep",
    "ΚΔΑΠ": "day_care",
    "ΠΑΙΔΙΚΟΣ ΣΤΑΘΜΟΣ": "day_care",
    "ΚΑΠΗ": "kapi",
    "ΚΟΙΝΩΝΙΚΗ ΔΟΜΗ": "social_facility",
    "ΔΗΜΑΡΧΕΙΟ": "town_hall",
    "ΙΑΤΡΕΙΟ": "doctor",
    "ΚΕΝΤΡΟ ΥΓΕΙΑΣ": "clinic",
    "ΚΛΙΝΙΚΗ": "clinic",
    "ΝΟΣΟΚΟΜΕΙΟ": "hospital",
    "ΦΑΡΜΑΚΕΙΟ": "pharmacy",
    "ΑΛΛΟ": "other",
}


def _lookup() -> dict[str, str]:
    out = {normalise_name(k.replace("_", " ")): k for k in SERVICE_TYPES}
    for key, (el, en) in SERVICE_TYPES.items():
        out[normalise_name(el)] = key
        out[normalise_name(en)] = key
    out.update(_ALIASES)
    return out


_LOOKUP = _lookup()


def service_type(value: str) -> str | None:
    """The type key of a key, Greek label or English label (accents and case ignored); None if unknown.

    Examples
    --------
    >>> service_type("Κέντρο Κοινότητας")
    'community_centre'
    >>> service_type("social grocery")
    'social_grocery'
    >>> service_type("kep")
    'kep'
    """
    v = value.strip()
    if v in SERVICE_TYPES:
        return v
    return _LOOKUP.get(normalise_name(v.replace("_", " ")))
