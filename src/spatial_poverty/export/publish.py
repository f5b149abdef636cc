"""Publishing a run's outputs whole or not at all.

A run writes everything into a staging folder beside the target (same file system), validates it, flushes it to
disk, then swaps it in with renames. The previous good output survives any failure before the swap, and is
restored if the swap itself fails.
"""

from __future__ import annotations

import logging
import os
import shutil
import tempfile
from pathlib import Path

from spatial_poverty.errors import ExportError, OutputExistsError

__all__ = ["check_target", "discard_staging", "make_staging", "publish"]

logger = logging.getLogger(__name__)


def check_target(target: str | os.PathLike[str], *, force: bool) -> None:
    """Refuse early when ``target`` exists and ``force`` is not set.

    Raises
    ------
    OutputExistsError
    """
    target = Path(target)
    if target.exists() and not force:
        raise OutputExistsError(
            f"{target} exists already; run again with --force to replace it (the previous output is kept "
            "until the new one is complete and validated)"
        )


def make_staging(target: str | os.PathLike[str]) -> Path:
    """A new, empty staging folder beside ``target``."""
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{target.name}.staging-", dir=target.parent))
    # mkdtemp makes the folder private (0700); a published folder gets the usual mode under the user's umask.
    umask = os.umask(0)
    os.umask(umask)
    staging.chmod(0o777 & ~umask)
    return staging


def discard_staging(staging: str | os.PathLike[str]) -> None:
    """Remove a staging folder left by a failed run."""
    shutil.rmtree(staging, ignore_errors=True)


def _fsync_tree(folder: Path) -> None:
    for p in sorted(folder.rglob("*")):
        if p.is_file():
            with open(p, "rb") as f:
                os.fsync(f.fileno())
    _fsync_dir(folder)


def _fsync_dir(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def publish(staging: str | os.PathLike[str], target: str | os.PathLike[str], *, force: bool) -> Path:
    """Move a complete staging folder to ``target``, replacing the previous output only if ``force``.

    Returns
    -------
    pathlib.Path
        ``target``.

    Raises
    ------
    OutputExistsError
        If ``target`` exists and ``force`` is false (the staging folder is left for the caller to discard).
    ExportError
        If the swap fails; the previous output is then restored.
    """
    staging, target = Path(staging), Path(target)
    check_target(target, force=force)
    _fsync_tree(staging)
    previous: Path | None = None
    if target.exists():
        previous = Path(tempfile.mkdtemp(prefix=f".{target.name}.previous-", dir=target.parent))
        previous.rmdir()
        os.replace(target, previous)
    try:
        os.replace(staging, target)
    except OSError as exc:
        if previous is not None:
            os.replace(previous, target)
        raise ExportError(f"could not move {staging} to {target}: {exc}; the previous output is unchanged") from exc
    _fsync_dir(target.parent)
    if previous is not None:
        shutil.rmtree(previous, ignore_errors=True)
    logger.info("published %s", target)
    return target
