"""Per-cell locks, so that concurrent suite runs on one results tree share the cells.

A run claims a cell before it starts it: it creates ``<cell>/.lock`` exclusively (``O_EXCL``)
and holds an advisory ``flock`` on it until the cell's outcome is stored, then deletes it. A
second run finds the lock held and leaves the cell to the first. The kernel drops the ``flock``
of a process that dies, however it dies (``kill -9`` included), so a lock file left by a dead
run is stale: the next run that finds it takes it over. The file records the holder (host, pid,
start time) for people; the ``flock`` alone decides.
"""

from __future__ import annotations

import fcntl
import json
import logging
import os
import socket
import time
from pathlib import Path

log = logging.getLogger("inn.suite")

LOCK_FILE = ".lock"


class CellLock:
    """A held lock; :meth:`release` deletes the file and drops the ``flock``."""

    def __init__(self, path: Path, fd: int) -> None:
        self.path = path
        self.fd = fd

    def release(self) -> None:
        if self.fd < 0:
            return
        # Delete while still holding it: a run that opened the old file and gets its flock
        # afterwards sees that the path no longer leads to that file and tries again.
        self.path.unlink(missing_ok=True)
        os.close(self.fd)
        self.fd = -1


def acquire(folder, attempts: int = 20) -> CellLock | None:
    """The lock of the cell in ``folder`` (created if needed), or ``None`` while a live process
    holds it. A lock file whose holder died is taken over (logged)."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / LOCK_FILE
    for _ in range(attempts):
        try:
            fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_EXCL, 0o666)
            created = True
        except FileExistsError:
            try:
                fd = os.open(path, os.O_RDWR)
            except FileNotFoundError:  # released meanwhile
                continue
            created = False
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            return None  # a live process holds it
        try:
            same = os.path.samestat(os.fstat(fd), os.stat(path))
        except FileNotFoundError:
            same = False
        if not same:  # the holder released (deleted) it between our open and flock
            os.close(fd)
            continue
        if not created:
            log.info("taking over the stale lock %s (%s)", path, _read(fd) or "no holder")
        os.ftruncate(fd, 0)
        os.pwrite(fd, json.dumps(holder()).encode(), 0)
        return CellLock(path, fd)
    return None


def holder() -> dict:
    """Who holds a lock: host, pid and time (for people reading the file)."""
    return {"host": socket.gethostname(), "pid": os.getpid(),
            "since": time.strftime("%Y-%m-%dT%H:%M:%S%z")}


def _read(fd: int) -> str:
    try:
        return os.pread(fd, 4096, 0).decode(errors="replace").strip()
    except OSError:
        return ""
