"""Messages for YAML files checked by a pydantic schema (pipelines, targets): every problem listed, an unknown key
with the keys allowed at that place."""

from __future__ import annotations

from pathlib import Path
from types import UnionType
from typing import Any, Union, get_args, get_origin

from pydantic import BaseModel, ValidationError

__all__ = ["allowed_keys", "describe_validation_error"]


def allowed_keys(model: type[BaseModel], loc: tuple[Any, ...]) -> list[str]:
    """The keys allowed where an extra key was found (walk the schema along the error's location)."""
    current: type[BaseModel] = model
    for part in loc[:-1]:
        if isinstance(part, int):
            continue
        field = current.model_fields.get(part)
        annotation = field.annotation if field is not None else None
        # Look through `X | None` and `list[X]` (the index section and its indicators, the list of targets).
        while get_origin(annotation) in (Union, list, UnionType) and get_args(annotation):
            annotation = next(a for a in get_args(annotation) if a is not type(None))
        if not (isinstance(annotation, type) and issubclass(annotation, BaseModel)):
            return []
        current = annotation
    return [k for k, f in current.model_fields.items() if not f.exclude]


def describe_validation_error(exc: ValidationError, model: type[BaseModel], path: Path, what: str) -> str:
    """One line per problem of ``exc``, under ``"<path>: <what> is not valid:"``."""
    lines = []
    for err in exc.errors():
        loc = tuple(err["loc"])
        where = ".".join(str(x) for x in loc) or "(top level)"
        if err["type"] == "extra_forbidden":
            lines.append(f"unknown key {where!r}; allowed here: {', '.join(allowed_keys(model, loc))}")
        elif err["type"] == "missing":
            lines.append(f"key {where!r} is required")
        else:
            lines.append(f"{where}: {err['msg']} (found {err.get('input')!r})")
    return f"{path}: {what} is not valid:\n  " + "\n  ".join(lines)
