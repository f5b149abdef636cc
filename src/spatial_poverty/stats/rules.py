"""Rules the pipeline schema and the command line apply before any statistic runs, without numerical imports:
which value makes a unit significant, and the grammar of the ``--weights`` shorthand."""

from __future__ import annotations

from typing import Literal

__all__ = ["WEIGHTS_GRAMMAR", "default_significance", "parse_weights"]

#: The ``--weights`` shorthand, as the messages name it.
WEIGHTS_GRAMMAR = "queen, rook, knn:K, distance:D (metres) or kernel:BANDWIDTH"


def default_significance(correction: str) -> Literal["p", "q"]:
    """The rule when none is asked for: q when a correction is configured (what is called significant passes
    it), p with ``correction="none"``."""
    return "p" if correction == "none" else "q"


def parse_weights(text: str) -> tuple[str, float | None]:
    """The kind and parameter of a ``--weights`` shorthand: ``queen``, ``rook``, ``knn:K`` (K >= 1),
    ``distance:D`` (D > 0) or ``kernel[:BANDWIDTH]`` (BANDWIDTH > 0; without it, libpysal's default).

    Raises
    ------
    ValueError
        Naming the text and what was expected.
    """
    name, _, arg = text.partition(":")
    try:
        value = float(arg) if arg else None
    except ValueError:
        value = float("nan")
    if name in ("queen", "rook") and not arg:
        return name, None
    if name == "knn" and value is not None and value == value:
        if value != int(value) or value < 1:
            raise ValueError(f"{text!r}: K needs to be a whole number >= 1")
        return name, int(value)
    if name in ("distance", "kernel") and value == value and (value is not None or name == "kernel"):
        if value is not None and value <= 0:
            raise ValueError(f"{text!r}: {'D' if name == 'distance' else 'the bandwidth'} needs to be > 0")
        return name, value
    raise ValueError(f"weights need to be {WEIGHTS_GRAMMAR}; {text!r} was given instead")
