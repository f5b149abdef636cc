"""Reader of the Ministry of Interior (YPES) Kallikratis code list of 31/5/2011 (a third code system)."""

from __future__ import annotations

import logging
import os
from pathlib import Path

import pandas as pd

from spatial_poverty.errors import IngestError
from spatial_poverty.ingest.excel import read_sheet
from spatial_poverty.ingest.numbers import parse_cells

__all__ = ["read_ypes_communities"]

logger = logging.getLogger(__name__)

_SHEET = "ΚΑΛΛΙΚΡ ΚΟΙΝΟΤΗΤΕΣ "
_COLUMNS = {
    "ΚΩΔΙΚΟΣ ΚΟΙΝΟΤΗΤΑΣ": ("community", 8),
    "ΚΩΔΙΚΟΣ ΔΗΜ. ΕΝΟΤΗΤΑΣ": ("municipal_unit", 6),
    "ΚΩΔΙΚΟΣ ΝΕΟΥ ΟΤΑ": ("municipality", 4),
}


def read_ypes_communities(path: str | os.PathLike[str], *, sheet: str = _SHEET) -> pd.DataFrame:
    """Read the YPES communities sheet: every community with its municipal unit and municipality.

    Returns
    -------
    pandas.DataFrame
        Indexed by ``community`` (8-digit YPES code, text) with ``municipal_unit`` (6), ``municipality`` (4,
        9001..9325), ``municipality_name``, ``regional_unit_name`` and ``population`` (the list's 2001-based
        column).

    Raises
    ------
    IngestError
        If the sheet or a header is missing (header row 2), a code is not a whole number of the right length,
        a community code repeats, or a community's code does not start with its municipality's.
    """
    path = Path(path)
    cells = read_sheet(path, sheet)
    source = f"{path}, sheet {sheet!r}"
    header = [str(v).strip() for v in cells.iloc[1]]
    need = [*_COLUMNS, "ΟΝΟΜΑ ΝΕΟΥ ΟΤΑ", "ΠΕΡΙΦΕΡΕΙΑΚΗ ΕΝΟΤΗΤΑ", "ΠΛΗΘΥ ΣΜΟΣ"]
    missing = [c for c in need if c not in header]
    if missing:
        raise IngestError(f"{source}, row 2: header(s) {missing} are missing; found {header}")
    body = cells.iloc[2:]
    body = body[body[header.index("ΚΩΔΙΚΟΣ ΚΟΙΝΟΤΗΤΑΣ")].notna()]
    rows = [int(i) + 1 for i in body.index]
    out = pd.DataFrame(index=range(len(body)))
    for col, (name, width) in _COLUMNS.items():
        vals = parse_cells(body[header.index(col)], kind="int", source=source, column=col, rows=rows)
        codes = [str(int(v)) for v in vals]
        bad = [f"row {r}: {c}" for r, c in zip(rows, codes, strict=True) if len(c) != width]
        if bad:
            raise IngestError(f"{source}, column {col!r}: expected {width}-digit codes; found {bad[:20]}")
        out[name] = codes
    out["municipality_name"] = body[header.index("ΟΝΟΜΑ ΝΕΟΥ ΟΤΑ")].astype(str).str.strip().to_numpy()
    out["regional_unit_name"] = body[header.index("ΠΕΡΙΦΕΡΕΙΑΚΗ ΕΝΟΤΗΤΑ")].astype(str).str.strip().to_numpy()
    out["population"] = parse_cells(
        body[header.index("ΠΛΗΘΥ ΣΜΟΣ")], kind="int", source=source, column="ΠΛΗΘΥ ΣΜΟΣ", rows=rows, allow_missing=True
    )
    dup = out["community"][out["community"].duplicated(keep=False)]
    if len(dup):
        raise IngestError(
            f"{source}, column 'ΚΩΔΙΚΟΣ ΚΟΙΝΟΤΗΤΑΣ': codes appear more than once: {sorted(set(dup))[:20]}"
        )
    off = out[
        (out["community"].str[:4] != out["municipality"]) | (out["municipal_unit"].str[:4] != out["municipality"])
    ]
    if len(off):
        raise IngestError(f"{source}: community codes not under their municipality: {off['community'].tolist()[:20]}")
    logger.info("%s: %d communities, %d municipalities", source, len(out), out["municipality"].nunique())
    return out.set_index("community")
