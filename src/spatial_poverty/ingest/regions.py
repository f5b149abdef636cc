"""The 13 Greek regions (περιφέρειες): NUTS 2 code, Greek and English names.

The Greek heading is the one ELSTAT's 2021 population table uses for the region, so that municipalities can be
selected by region from that table without any code system of its own.
"""

from __future__ import annotations

from dataclasses import dataclass

from spatial_poverty.errors import ConfigError

__all__ = ["REGIONS", "Region", "region"]


@dataclass(frozen=True)
class Region:
    """A NUTS 2 region of Greece."""

    nuts2: str
    name_el: str
    name_en: str
    elstat_heading: str


REGIONS: dict[str, Region] = {
    r.nuts2: r
    for r in (
        Region(
            "EL51",
            "Ανατολική Μακεδονία και Θράκη",
            "Eastern Macedonia and Thrace",
            "ΠΕΡΙΦΕΡΕΙΑ ΑΝΑΤΟΛΙΚΗΣ ΜΑΚΕΔΟΝΙΑΣ ΚΑΙ ΘΡΑΚΗΣ",
        ),
        Region("EL52", "Κεντρική Μακεδονία", "Central Macedonia", "ΠΕΡΙΦΕΡΕΙΑ ΚΕΝΤΡΙΚΗΣ ΜΑΚΕΔΟΝΙΑΣ"),
        Region("EL53", "Δυτική Μακεδονία", "Western Macedonia", "ΠΕΡΙΦΕΡΕΙΑ ΔΥΤΙΚΗΣ ΜΑΚΕΔΟΝΙΑΣ"),
        Region("EL54", "Ήπειρος", "Epirus", "ΠΕΡΙΦΕΡΕΙΑ ΗΠΕΙΡΟΥ"),
        Region("EL61", "Θεσσαλία", "Thessaly", "ΠΕΡΙΦΕΡΕΙΑ ΘΕΣΣΑΛΙΑΣ"),
        Region("EL62", "Ιόνια Νησιά", "Ionian Islands", "ΠΕΡΙΦΕΡΕΙΑ ΙΟΝΙΩΝ ΝΗΣΩΝ"),
        Region("EL63", "Δυτική Ελλάδα", "Western Greece", "ΠΕΡΙΦΕΡΕΙΑ ΔΥΤΙΚΗΣ ΕΛΛΑΔΑΣ"),
        Region("EL64", "Στερεά Ελλάδα", "Central Greece", "ΠΕΡΙΦΕΡΕΙΑ ΣΤΕΡΕΑΣ ΕΛΛΑΔΑΣ"),
        Region("EL65", "Πελοπόννησος", "Peloponnese", "ΠΕΡΙΦΕΡΕΙΑ ΠΕΛΟΠΟΝΝΗΣΟΥ"),
        Region("EL30", "Αττική", "Attica", "ΠΕΡΙΦΕΡΕΙΑ ΑΤΤΙΚΗΣ"),
        Region("EL41", "Βόρειο Αιγαίο", "North Aegean", "ΠΕΡΙΦΕΡΕΙΑ ΒΟΡΕΙΟΥ ΑΙΓΑΙΟΥ"),
        Region("EL42", "Νότιο Αιγαίο", "South Aegean", "ΠΕΡΙΦΕΡΕΙΑ ΝΟΤΙΟΥ ΑΙΓΑΙΟΥ"),
        Region("EL43", "Κρήτη", "Crete", "ΠΕΡΙΦΕΡΕΙΑ ΚΡΗΤΗΣ"),
    )
}


def region(nuts2: str) -> Region:
    """The region with this NUTS 2 code.

    Raises
    ------
    ConfigError
        If the code is not one of the 13 Greek NUTS 2 codes.
    """
    try:
        return REGIONS[nuts2]
    except KeyError:
        raise ConfigError(
            f"region needs to be a Greek NUTS 2 code, one of {', '.join(sorted(REGIONS))}; {nuts2!r} was given instead"
        ) from None
