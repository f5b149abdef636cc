"""Publishing a run's outputs whole or not at all.

A run writes everything into a staging folder beside the target (same file system), validates it, flushes every
file and the folder to disk (fsync), then swaps it in. On Linux the swap is one ``renameat2(RENAME_EXCHANGE)``
system call: at every instant the target path names either the complete previous output or the complete new one,
so a run killed at any moment (SIGKILL, power cut after the fsyncs) leaves a valid published output. Where the
file system cannot exchange, two renames are used and :func:`recover` (called by the next run, under the lock)
puts the previous output back if a run died between them. Staging folders left by killed runs are removed by
:func:`recover` too.
"""

from __future__ import annotations

import ctypes
import errno
import json
import logging
import os
import shutil
import sys
import tempfile
from pathlib import Path

from spatial_poverty.errors import ExportError, OutputExistsError

__all__ = ["check_target", "discard_staging", "foreign_entries", "make_staging", "publish", "recover"]

logger = logging.getLogger(__name__)


#: How many foreign entries an error message names.
_NAMED = 5


def foreign_entries(target: str | os.PathLike[str]) -> list[str]:
    """What in ``target`` no run of ours wrote: every path not listed in its ``manifest.json``.

    A folder published by a run holds ``manifest.json``, whose ``outputs`` list every other file it wrote
    (relative paths). A folder without a readable manifest is foreign as a whole (``["."]``), and so is a path
    that is not a folder.
    """
    target = Path(target)
    if not target.is_dir() or target.is_symlink():
        return ["."]
    try:
        manifest = json.loads((target / "manifest.json").read_text(encoding="utf-8"))
        listed = {str(o["path"]) for o in manifest["outputs"]} | {"manifest.json"}
    except (OSError, ValueError, KeyError, TypeError):
        return ["."]
    if "run_id" not in manifest:  # a manifest.json, but not a run's
        return ["."]
    folders = {p.as_posix() for name in listed for p in Path(name).parents if p != Path(".")}
    out = []
    for p in sorted(target.rglob("*")):
        rel = p.relative_to(target).as_posix()
        if p.is_symlink() or (p.is_dir() and rel not in folders) or (not p.is_dir() and rel not in listed):
            out.append(rel)
    return out


def check_target(target: str | os.PathLike[str], *, force: bool) -> None:
    """Refuse when ``target`` exists and ``force`` is not set, or when it holds anything no run of ours wrote.

    Publication replaces only a folder that an earlier run published (see :func:`foreign_entries`), so a run
    never deletes what it did not make, ``--force`` or not.

    Raises
    ------
    OutputExistsError
    """
    target = Path(target)
    if not target.exists() and not target.is_symlink():
        return
    foreign = foreign_entries(target)
    if foreign == ["."]:
        raise OutputExistsError(
            f"{target} exists and was not published by spatial-poverty (no manifest.json of a run in it): it is "
            "never replaced, --force or not; move it away or set another paths.processed"
        )
    if foreign:
        more = f" and {len(foreign) - _NAMED} more" if len(foreign) > _NAMED else ""
        raise OutputExistsError(
            f"{target} holds {len(foreign)} file(s) or folder(s) that no run wrote ({', '.join(foreign[:_NAMED])}"
            f"{more}): publishing would delete them, so the output is never replaced, --force or not; move them "
            "out of the folder and run again"
        )
    if not force:
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
        elif p.is_dir():
            _fsync_dir(p)
    _fsync_dir(folder)


_AT_FDCWD = -100
_RENAME_EXCHANGE = 2


def _exchange(a: Path, b: Path) -> bool:
    """Swap two paths atomically (Linux ``renameat2``); False where the system or file system cannot."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        renameat2 = libc.renameat2
    except (OSError, AttributeError):  # glibc < 2.28 or another libc
        return False
    renameat2.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint]
    renameat2.restype = ctypes.c_int
    if renameat2(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE) == 0:
        return True
    code = ctypes.get_errno()
    if code in (errno.EINVAL, errno.ENOSYS, errno.ENOTSUP):
        return False
    raise OSError(code, os.strerror(code), str(a), None, str(b))


def recover(target: str | os.PathLike[str]) -> list[str]:
    """Repair what a killed run may have left beside ``target``; call it while holding the run lock.

    If ``target`` is missing and a ``.<name>.previous-*`` folder exists (a run died between the two renames of
    the fallback swap), the previous output is moved back. Staging and previous folders left over are removed.
    These are our own names (``.<name>.staging-*``, ``.<name>.previous-*``): nothing else is touched.

    Returns
    -------
    list of str
        What was done, one sentence each (the run writes them into its ``run.log`` and manifest).
    """
    target = Path(target)
    if not target.parent.is_dir():
        return []
    done: list[str] = []
    previous = sorted(target.parent.glob(f".{target.name}.previous-*"))
    if previous and not target.exists():
        newest = max(previous, key=lambda p: p.stat().st_mtime_ns)
        os.replace(newest, target)
        _fsync_dir(target.parent)
        done.append(f"restored the previous output {target} from {newest} (a run died while publishing)")
        logger.warning("%s", done[-1])
        previous.remove(newest)
    for p in [*sorted(target.parent.glob(f".{target.name}.staging-*")), *previous]:
        shutil.rmtree(p, ignore_errors=True)
        done.append(f"removed {p}, left by a run that did not finish")
        logger.info("%s", done[-1])
    return done


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
    try:
        if target.exists():
            if _exchange(staging, target):
                previous = staging  # now holds the previous output
            else:
                previous = Path(tempfile.mkdtemp(prefix=f".{target.name}.previous-", dir=target.parent))
                previous.rmdir()
                os.replace(target, previous)
                try:
                    os.replace(staging, target)
                except OSError:
                    os.replace(previous, target)
                    raise
        else:
            os.rename(staging, target)
    except OSError as exc:
        raise ExportError(f"could not move {staging} to {target}: {exc}; the previous output is unchanged") from exc
    _fsync_dir(target.parent)
    if previous is not None:
        shutil.rmtree(previous, ignore_errors=True)
    logger.info("published %s", target)
    return target
