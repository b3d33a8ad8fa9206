"""Lower floor: the cache folder's size, kept in one small file every process adds to.

The size limit needs the folder's total; walking the folder for it costs a stat per
file (0.03 s for 3,000 entries, seconds for a full 500 MB cache), which every command
paid on its first write. The ledger holds the total a walk found and when, plus what
each process wrote since: a process reads it instead of walking, and adds its own
writes under a lock (a few MiB at a time, and at exit). It is only an estimate (a
process killed before it adds, an entry written twice, one removed by hand): a walk
replaces it at least once a day, and whenever pruning runs.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import time
from pathlib import Path

LEDGER = ".size"
"""The ledger's name in the cache folder: not an entry, never pruned."""
WALK_EVERY_S = 24 * 3600
"""A ledger whose last walk is older than this is not trusted: the folder is walked."""
SAVE_EVERY_BYTES = 4 * 1024 * 1024
"""A process adds its writes to the ledger once they reach this much (and at exit)."""


def read(folder: Path) -> int | None:
    """The folder's total in bytes, or None when the ledger is missing, damaged or stale."""
    try:
        total, walked = _parse((folder / LEDGER).read_bytes())
    except (OSError, ValueError):
        return None
    now = time.time()
    return total if now - WALK_EVERY_S <= walked <= now + 60 else None


def walked(folder: Path, total: int) -> None:
    """Start the ledger anew from a walk that found *total* bytes.

    Rewritten in place under the lock, as `add` writes it: a process adding at the same
    moment adds to the new total, not to a file renamed away.
    """
    with contextlib.suppress(OSError):  # a read-only cache: the next process walks again
        handle = os.open(folder / LEDGER, os.O_RDWR | os.O_CREAT, 0o644)
        with os.fdopen(handle, "r+b") as ledger:
            fcntl.flock(ledger, fcntl.LOCK_EX)
            ledger.write(_format(total, time.time()))
            ledger.truncate()


def add(folder: Path, written: int) -> None:
    """Add *written* bytes to the ledger, if there is one (else the next reader walks)."""
    try:
        handle = os.open(folder / LEDGER, os.O_RDWR)
    except OSError:
        return
    with os.fdopen(handle, "r+b") as ledger:
        fcntl.flock(ledger, fcntl.LOCK_EX)  # two processes adding at once: neither is lost
        try:
            total, walked_at = _parse(ledger.read())
        except ValueError:
            return
        ledger.seek(0)
        ledger.write(_format(total + written, walked_at))
        ledger.truncate()


def _format(total: int, walked_at: float) -> bytes:
    return f"{total} {walked_at:.0f}\n".encode("ascii")


def _parse(data: bytes) -> tuple[int, float]:
    """(total, time of the walk); ValueError for anything but two numbers."""
    total, walked_at = data.split()
    if int(total) < 0:
        raise ValueError("a negative total")
    return int(total), float(walked_at)
