"""Publish stage: one run at a time publishes into an output folder (an flock)."""

from __future__ import annotations

import fcntl
import logging
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from audiobrief.errors import PublishError

logger = logging.getLogger(__name__)

LOCK_NAME = ".audiobrief.lock"
WAIT_S = 600.0
"""How long a run waits for another one's publishing (a briefing's takes seconds)."""


@contextmanager
def output_lock(folder: Path, *, wait_s: float = WAIT_S) -> Iterator[None]:
    """Hold *folder*'s publishing lock for the block; a run that must wait says so.

    The kernel releases an flock when its holder dies, so a killed run never leaves the
    folder locked. Synthesis happens before this, so two runs still overlap their work.

    Raises:
        PublishError: the lock file cannot be made, or the wait passed *wait_s*.
    """
    try:
        handle = os.open(folder / LOCK_NAME, os.O_RDWR | os.O_CREAT, 0o644)
    except OSError as exc:
        raise PublishError(
            f"cannot publish into {folder} ({exc.strerror}); give the user running "
            "audiobrief write access to it, or pass another folder with -o."
        ) from exc
    try:
        _acquire(handle, folder, wait_s)
        yield
    finally:
        os.close(handle)  # closing drops the lock


def _acquire(handle: int, folder: Path, wait_s: float) -> None:
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        return
    except BlockingIOError:
        pass
    logger.warning("waiting for another audiobrief run to finish publishing in %s", folder)
    deadline = time.monotonic() + wait_s
    while time.monotonic() < deadline:
        time.sleep(0.05)
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return
        except BlockingIOError:
            continue
    raise PublishError(
        f"another audiobrief run has been publishing in {folder} for over {wait_s:.0f} s; "
        "check that it is not stuck, then run the command again."
    )
