"""Which value makes a unit significant, chosen without numerical imports (the pipeline schema and the command
line decide it before any statistic runs)."""

from __future__ import annotations

from typing import Literal

__all__ = ["default_significance"]


def default_significance(correction: str) -> Literal["p", "q"]:
    """The rule when none is asked for: q when a correction is configured (what is called significant passes
    it), p with ``correction="none"``."""
    return "p" if correction == "none" else "q"
