"""``spatial-poverty data import-survey``: check a survey file as the pipeline's ``sae:`` section declares it and
copy it into ``data/raw/surveys`` with its checksum (:func:`~spatial_poverty.ingest.catalogue.import_file`), so
that a scheduled run reads exactly what was checked."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from spatial_poverty.errors import IngestError
from spatial_poverty.ingest.catalogue import import_file
from spatial_poverty.sae.spec import SYNTHETIC
from spatial_poverty.sae.survey import read_survey

if TYPE_CHECKING:
    import pandas as pd

    from spatial_poverty.sae.spec import SaeSpec

__all__ = ["SurveyImport", "import_survey"]


@dataclass(frozen=True)
class SurveyImport:
    """What an import did."""

    source_id: str
    target: Path
    sha256: str
    respondents: int
    municipalities: int
    copied: bool

    def summary(self) -> str:
        what = "copied to" if self.copied else "already present, identical, at"
        return (
            f"{self.source_id}: {self.respondents} respondents in {self.municipalities} municipalities; {what} "
            f"{self.target} (SHA-256 {self.sha256[:12]}...)"
        )


def import_survey(
    path: str | os.PathLike[str],
    spec: SaeSpec,
    *,
    source_id: str,
    municipalities: pd.Index,
    known_codes: pd.Index | None = None,
    crosswalk: pd.DataFrame | None,
    catalogue: str | os.PathLike[str],
    raw: str | os.PathLike[str],
    replace: bool = False,
) -> SurveyImport:
    """Check ``path`` as ``spec`` declares it, copy it into ``raw/surveys`` and catalogue it under ``source_id``.

    Raises
    ------
    IngestError
        The file does not read as declared (nothing is written).
    ConfigError
        ``source_id`` is public, or imported with another file and ``replace`` was not given.
    """
    src = Path(path)
    if not src.is_file():
        raise IngestError(f"{src} does not exist or is not a file")
    survey = read_survey(src, spec, municipalities=municipalities, known_codes=known_codes, crosswalk=crosswalk,
                         name=str(src))  # fmt: skip
    synthetic = spec.synthetic
    rel = Path("surveys") / f"{'SYNTHETIC_' if synthetic else ''}{source_id}{src.suffix.lower()}"
    title = f"Survey {spec.year}: persons with AROPE and design columns"
    entry: dict[str, object] = {
        "title": (f"{SYNTHETIC}: " if synthetic else "") + title,
        "title_el": (f"{SYNTHETIC}: " if synthetic else "") + f"Έρευνα {spec.year}: άτομα, AROPE και σχεδιασμός",
        "publisher": "spatial_poverty (synthetic generator)" if synthetic else "the observatory (survey microdata)",
        "landing_page": "docs/sae.md" if synthetic else f"imported from {src.name}",
        "licence": "CC0 1.0 (synthetic data)" if synthetic else "restricted: survey microdata, not for redistribution",
        "attribution": SYNTHETIC if synthetic else "survey microdata (the observatory's licence)",
        "format": "CSV (UTF-8, one row per person)",
        "encoding": "utf-8",
        "code_system": spec.code_system,
        "crs": "none",
        "year": str(spec.year),
        "notes": f"{len(survey.frame)} respondents; {int(survey.frame['code'].notna().sum())} placed on a 2021 "
        f"municipality",
    }
    target, digest, copied = import_file(
        src, source_id=source_id, rel=rel, catalogue=catalogue, raw=raw, entry=entry, replace=replace
    )
    n_munis = int(survey.frame["code"].nunique())
    return SurveyImport(source_id, target, digest, len(survey.frame), n_munis, copied)
