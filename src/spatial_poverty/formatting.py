"""Numbers as a reader of each language writes them: Greek "327.820" and "12,5 %", English "327,820" and "12.5%".

One place for the report, the maps and the tables. A value that rounds to zero is written without a sign (never
"-0" or "-0,00"); a missing value is an en dash.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

__all__ = ["MISSING", "integer", "number", "percent", "years_text"]

#: How a missing or non-computable value is written.
MISSING = "–"


def _missing(v: Any) -> bool:
    if v is None:
        return True
    try:
        return math.isnan(float(v))
    except (TypeError, ValueError):
        return str(v) in ("", "<NA>", "nan", "NaN")


def _localise(text: str, lang: str) -> str:
    if text.startswith("-") and not text.strip("-0.,"):
        text = text[1:]  # "-0.00" -> "0.00"
    if lang == "el":
        return text.replace(",", "\0").replace(".", ",").replace("\0", ".")
    return text


def number(v: Any, digits: int = 2, lang: str = "el", *, grouping: bool = True) -> str:
    """``v`` rounded to ``digits`` decimals, with the thousands and decimal separators of ``lang``."""
    if _missing(v):
        return MISSING
    return _localise(f"{float(v):{',' if grouping else ''}.{digits}f}", lang)


def integer(v: Any, lang: str = "el") -> str:
    """A count with thousands separators: "327.820" (el), "327,820" (en)."""
    return number(v, 0, lang)


def percent(v: Any, digits: int = 1, lang: str = "el", *, share: bool = False) -> str:
    """A percentage: "12,5 %" (el, with the space of ELOT 1373) or "12.5%" (en); ``share=True`` reads ``v`` as a
    share (0.125)."""
    if _missing(v):
        return MISSING
    text = number(100 * float(v) if share else float(v), digits, lang)
    return f"{text} %" if lang == "el" else f"{text}%"


def years_text(years: Iterable[int]) -> str:
    """The years a number rests on: "2001" or "2011, 2021"; none known is "?"."""
    ys = sorted({int(y) for y in years})
    return ", ".join(str(y) for y in ys) if ys else "?"
