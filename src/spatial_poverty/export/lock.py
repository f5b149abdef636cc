"""One run at a time per output folder: an advisory lock file beside the target.

The lock is ``fcntl.flock`` on ``.<target name>.lock`` in the target's parent folder. The kernel releases it when
the process ends however it ends (SIGKILL included), so a crashed run never leaves a lock that blocks the next
one; the file itself records who holds it (process id, host, start time) for the message given to a refused run.
A second run is refused at once, not queued: a scheduler sees its own exit code and the first run's output is
untouched.
"""

from __future__ import annotations

import datetime as dt
import fcntl
import json
import logging
import os
import socket
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from spatial_poverty.errors import RunLockedError

__all__ = ["lock_path", "run_lock"]

logger = logging.getLogger(__name__)


#: How long a refused run waits for the holder's details (tries x seconds).
HOLDER_WAIT_TRIES, HOLDER_WAIT_S = 20, 0.025


def lock_path(target: str | os.PathLike[str]) -> Path:
    """The lock file of an output folder: ``.<name>.lock`` beside it."""
    target = Path(target)
    return target.parent / f".{target.name}.lock"


def _read_holder(fd: int) -> dict[str, object]:
    try:
        return json.loads(os.pread(fd, 4096, 0).decode("utf-8") or "{}")
    except (OSError, ValueError):
        return {}


def _holder(fd: int) -> str:
    """Who holds the lock, from the lock file. The holder writes it just after taking the lock: a run refused in
    between reads an empty file, so it looks again for up to half a second before saying "another run"."""
    info = _read_holder(fd)
    for _ in range(HOLDER_WAIT_TRIES):
        if info:
            break
        time.sleep(HOLDER_WAIT_S)
        info = _read_holder(fd)
    if not info:
        return "another run"
    who = f"pid {info.get('pid')} on {info.get('host')}, since {info.get('since')}"
    return f"run of pipeline {info.get('pipeline')!r} ({who})"


@contextmanager
def run_lock(target: str | os.PathLike[str], *, pipeline: str = "") -> Iterator[Path]:
    """Hold the lock of ``target`` for the duration of the block.

    Parameters
    ----------
    target : path-like
        The output folder a run publishes to (it need not exist; its parent is created).
    pipeline : str
        Recorded in the lock file and shown to a refused run.

    Yields
    ------
    pathlib.Path
        The lock file.

    Raises
    ------
    RunLockedError
        If another process holds the lock.

    Notes
    -----
    The lock file is removed on release. A process that opened the file just before it was removed would lock
    an unlinked inode; after locking, the inode is therefore compared with the one at the path, and the lock is
    taken again on the new file if they differ.
    """
    path = lock_path(target)
    path.parent.mkdir(parents=True, exist_ok=True)
    while True:
        fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o666)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = _holder(fd)
            os.close(fd)
            raise RunLockedError(
                f"{Path(target)} is being produced by {holder}; this run is refused and changes nothing "
                f"(lock file {path})"
            ) from None
        try:
            same = os.stat(path).st_ino == os.fstat(fd).st_ino
        except FileNotFoundError:
            same = False
        if same:
            break
        os.close(fd)
    info = {
        "pipeline": pipeline,
        "pid": os.getpid(),
        "host": socket.gethostname(),
        "since": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
    }
    os.ftruncate(fd, 0)
    os.pwrite(fd, json.dumps(info).encode("utf-8"), 0)
    logger.debug("locked %s", path)
    try:
        yield path
    finally:
        try:
            path.unlink()
        finally:
            os.close(fd)
        logger.debug("unlocked %s", path)
