"""Greek place names normalised, only to check joins made on codes or geometry (never to make them silently).

The normal form: upper case without accents or diaeresis (so final sigma and 'Ϊ' fold), the seat in
parentheses dropped ("(Έδρα: Κομοτηνή,η)"), administrative prefixes dropped ("ΔΗΜΟΣ", "Δ.", "ΔΗΜΟΤΙΚΗ ΕΝΟΤΗΤΑ",
"Δ.Ε.", "ΚΟΙΝΟΤΗΤΑ" ...), hyphens and runs of spaces folded. Genitive and nominative forms ("Δοξάτου" /
"Δοξάτο") do not fold: :func:`compare_names` grades a pair as exact, normalised or similar (with the ratio), and
every match that is not exact is reported by the caller.
"""

from __future__ import annotations

import difflib
import re
import unicodedata

__all__ = ["compare_names", "normalise_name"]

_PREFIXES = (
    "ΔΗΜΟΤΙΚΗ ΕΝΟΤΗΤΑ",
    "ΔΗΜΟΤΙΚΗ ΚΟΙΝΟΤΗΤΑ",
    "ΤΟΠΙΚΗ ΚΟΙΝΟΤΗΤΑ",
    "ΚΟΙΝΟΤΗΤΑ",
    "ΔΗΜΟΣ",
    "Δ.Ε.",
    "Δ.Κ.",
    "Τ.Κ.",
    "Δ.",
    "Κ.",
)
_PARENS = re.compile(r"\([^)]*\)")
_SPACES = re.compile(r"[\s\-–]+")


def normalise_name(name: str) -> str:
    """The normal form of a Greek place name, for comparison only.

    Examples
    --------
    >>> normalise_name("ΔΗΜΟΣ ΒΟΪΟΥ (Έδρα: Σιάτιστα,η)")
    'ΒΟΙΟΥ'
    >>> normalise_name("Δ. Σερβίων - Βελβεντού")
    'ΣΕΡΒΙΩΝ ΒΕΛΒΕΝΤΟΥ'
    """
    s = _PARENS.sub(" ", name)
    s = unicodedata.normalize("NFD", s)
    s = "".join(ch for ch in s if not unicodedata.combining(ch))
    s = s.upper()
    s = _SPACES.sub(" ", s).strip()
    changed = True
    while changed:
        changed = False
        for p in _PREFIXES:
            if s.startswith(p + " ") or (p.endswith(".") and s.startswith(p)):
                s = s[len(p) :].strip()
                changed = True
    return s


def compare_names(a: str, b: str) -> tuple[str, float]:
    """Grade how two names match: ``("exact", 1.0)``, ``("normalised", 1.0)`` or ``("similar", ratio)``.

    The ratio is :class:`difflib.SequenceMatcher`'s on the normal forms (0 to 1).

    Examples
    --------
    >>> compare_names("ΔΗΜΟΣ ΔΙΟΝΥΣΟΥ", "Διονύσου")
    ('normalised', 1.0)
    """
    if a.strip() == b.strip():
        return "exact", 1.0
    na, nb = normalise_name(a), normalise_name(b)
    if na == nb:
        return "normalised", 1.0
    return "similar", round(difflib.SequenceMatcher(None, na, nb).ratio(), 3)
