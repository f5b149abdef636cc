"""The order of a pipeline's stages, from what each declares it needs.

:func:`stage_order` keeps the stages the configuration enables and sorts them so that every stage comes after the
stages it needs (registration order breaks ties, so the order is stable). :func:`partial_selection` says which
stages a partial run (``--only``, ``--from``) recomputes, which it reads from the cache and which it skips.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING

from spatial_poverty.errors import ConfigError

if TYPE_CHECKING:
    from spatial_poverty.pipeline.config import PipelineConfig
    from spatial_poverty.pipeline.stage import Stage

__all__ = ["downstream", "partial_selection", "stage_order", "upstream"]


def stage_order(stages: Sequence[Stage], cfg: PipelineConfig) -> list[Stage]:
    """The enabled stages, each after the stages it needs.

    Raises
    ------
    ConfigError
        A stage needs one that is not registered, or the declarations form a circle.
    """
    known = {s.name for s in stages}
    stages = [_with_collected(s, stages) for s in stages]
    for s in stages:
        unknown = [n for n in s.needs if n not in known]
        if unknown:
            raise ConfigError(f"stage {s.name!r} needs unregistered stage(s) {unknown}; registered: {sorted(known)}")
    enabled = [s for s in stages if s.enabled(cfg)]
    names = {s.name for s in enabled}
    remaining = {s.name: {n for n in s.needs if n in names} for s in enabled}
    order: list[Stage] = []
    while remaining:
        ready = [s for s in enabled if s.name in remaining and not remaining[s.name]]
        if not ready:
            raise ConfigError(f"the stages {sorted(remaining)} need each other (a circle in their declarations)")
        first = ready[0]
        order.append(first)
        del remaining[first.name]
        for needs in remaining.values():
            needs.discard(first.name)
    return order


def _with_collected(stage: Stage, stages: Sequence[Stage]) -> Stage:
    """``stage`` needing, besides its ``needs``, every other stage that makes a product it ``collects``."""
    if not stage.collects:
        return stage
    makers = [s.name for s in stages if s.name != stage.name and set(s.products) & set(stage.collects)]
    return dataclasses.replace(stage, needs=tuple(dict.fromkeys([*stage.needs, *makers])))


def upstream(order: Sequence[Stage], names: Iterable[str]) -> set[str]:
    """The stages ``names`` need, directly or through others (``names`` excluded)."""
    by_name = {s.name: s for s in order}
    seen: set[str] = set()
    todo = [n for name in names for n in by_name[name].needs if n in by_name]
    while todo:
        n = todo.pop()
        if n not in seen:
            seen.add(n)
            todo += [m for m in by_name[n].needs if m in by_name]
    return seen - set(names)


def downstream(order: Sequence[Stage], names: Iterable[str]) -> set[str]:
    """The stages that need ``names``, directly or through others (``names`` excluded)."""
    start = set(names)
    found = set(start)
    for s in order:  # topological: a stage's needs come before it
        if any(n in found for n in s.needs):
            found.add(s.name)
    return found - start


def partial_selection(
    order: Sequence[Stage], only: Sequence[str] = (), start: str | None = None
) -> tuple[set[str], set[str]]:
    """The stages a partial run recomputes, and those it needs from before them (reused when cached).

    ``only``: these stages; ``start``: this stage and every stage after it that depends on it.

    Raises
    ------
    ConfigError
        A name that is not a stage of this pipeline (listing them).
    """
    names = [s.name for s in order]
    asked = [*only, *([start] if start else [])]
    bad = [n for n in asked if n not in names]
    if bad:
        raise ConfigError(f"no stage {bad} in this pipeline; its stages are: {', '.join(names)}")
    selected = set(only)
    if start:
        selected |= {start} | downstream(order, [start])
    return selected, upstream(order, selected)
