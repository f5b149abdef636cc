"""The data-quality report of a run: per source, rows read, matched, unmatched (listed), out of range,
duplicates, suppressed or empty cells, and the findings of the harmonisation checks.

Written as ``quality.csv`` (UTF-8 with BOM, so that Excel opens the Greek text) and ``quality.html`` in the
output folder, and logged as a table.
"""

from __future__ import annotations

import html
import logging
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path

from spatial_poverty.csv_cells import write_csv_rows

__all__ = ["QualityEntry", "QualityReport"]

logger = logging.getLogger(__name__)


@dataclass
class QualityEntry:
    """One line of the report."""

    source: str
    check: str
    rows_read: int | None = None
    matched: int | None = None
    unmatched: list[str] = field(default_factory=list)
    out_of_range: int = 0
    duplicates: int = 0
    suppressed: int = 0
    detail: str = ""


@dataclass
class QualityReport:
    """All entries of a run, in the order they were added."""

    entries: list[QualityEntry] = field(default_factory=list)

    def add(self, source: str, check: str, **kwargs: object) -> QualityEntry:
        entry = QualityEntry(source=source, check=check, **kwargs)  # type: ignore[arg-type]
        self.entries.append(entry)
        return entry

    def rows(self) -> list[dict[str, object]]:
        out = []
        for e in self.entries:
            d = asdict(e)
            d["unmatched"] = "; ".join(e.unmatched)
            out.append(d)
        return out

    def write_csv(self, path: str | os.PathLike[str]) -> None:
        """Write the report as CSV (UTF-8 with BOM)."""
        fields = list(QualityEntry.__dataclass_fields__)
        write_csv_rows(path, fields, self.rows(), encoding="utf-8-sig")

    def write_html(self, path: str | os.PathLike[str], *, title: str = "Data quality") -> None:
        """Write the report as a standalone HTML table (text escaped, UTF-8)."""
        fields = list(QualityEntry.__dataclass_fields__)
        head = "".join(f"<th>{html.escape(f)}</th>" for f in fields)
        body = "".join(
            "<tr>" + "".join(f"<td>{html.escape(str(r[f]))}</td>" for f in fields) + "</tr>" for r in self.rows()
        )
        Path(path).write_text(
            f'<!DOCTYPE html><html lang="el"><head><meta charset="utf-8"><title>{html.escape(title)}</title>'
            "<style>body{font-family:sans-serif}table{border-collapse:collapse;font-size:13px}"
            "td,th{border:1px solid #ccc;padding:3px 6px;vertical-align:top}th{background:#eee}</style></head>"
            f"<body><h1>{html.escape(title)}</h1><table><thead><tr>{head}</tr></thead><tbody>{body}</tbody>"
            "</table></body></html>\n",
            encoding="utf-8",
        )

    def log_table(self) -> None:
        """Log the report as a fixed-width table (one line per entry)."""
        logger.info(
            "data quality: %-40s %-45s %9s %8s %9s %6s %5s %5s",
            "source",
            "check",
            "read",
            "matched",
            "unmatched",
            "range",
            "dup",
            "supp",
        )
        for e in self.entries:
            logger.info(
                "data quality: %-40s %-45s %9s %8s %9d %6d %5d %5d %s",
                e.source[:40],
                e.check[:45],
                "" if e.rows_read is None else e.rows_read,
                "" if e.matched is None else e.matched,
                len(e.unmatched),
                e.out_of_range,
                e.duplicates,
                e.suppressed,
                (e.detail + (" unmatched: " + "; ".join(e.unmatched) if e.unmatched else ""))[:300],
            )

    def to_dict(self) -> list[dict[str, object]]:
        return self.rows()
