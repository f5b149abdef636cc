"""Messages for YAML files checked by a pydantic schema (pipelines, targets): every problem listed, an unknown key
with the keys allowed at that place."""

from __future__ import annotations

import hashlib
from pathlib import Path
from types import UnionType
from typing import Any, TypeVar, Union, get_args, get_origin

import yaml
from pydantic import BaseModel, ValidationError

from spatial_poverty.errors import ConfigError

__all__ = ["allowed_keys", "describe_validation_error", "load_yaml_model"]

M = TypeVar("M", bound=BaseModel)


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


def load_yaml_model(path: Path, model: type[M], *, kind: str, what: str, set_by_program: tuple[str, str]) -> M:
    """Read a UTF-8 YAML file and validate it against ``model``.

    Parameters
    ----------
    kind : str
        The file's kind in the message when it is missing ("pipeline file").
    what : str
        What the file holds, in the message when it is not valid ("the pipeline configuration").
    set_by_program : (str, str)
        Keys the program sets (the file's resolved path, then its SHA-256); a file that sets them is refused.

    Returns
    -------
    The validated instance, with the ``set_by_program`` keys set to the file's resolved path and SHA-256.

    Raises
    ------
    ConfigError
        If the file is missing, is not YAML, or does not match the schema; the message lists every problem,
        with, for an unknown key, the keys allowed at that place.
    """
    try:
        data = path.read_bytes()
    except FileNotFoundError as exc:
        raise ConfigError(f"{kind} {path} does not exist") from exc
    try:
        raw = yaml.safe_load(data.decode("utf-8"))
    except (UnicodeDecodeError, yaml.YAMLError) as exc:
        raise ConfigError(f"{path}: not a UTF-8 YAML file: {exc}") from exc
    if not isinstance(raw, dict):
        raise ConfigError(f"{path}: expected a mapping of keys at the top level; found {type(raw).__name__}")
    for key in set_by_program:
        if key in raw:
            raise ConfigError(f"{path}: key {key!r} is set by the program, not in the file")
    try:
        obj = model.model_validate(raw)
    except ValidationError as exc:
        raise ConfigError(describe_validation_error(exc, model, path, what)) from None
    path_key, sha_key = set_by_program
    return obj.model_copy(update={path_key: path.resolve(), sha_key: hashlib.sha256(data).hexdigest()})
