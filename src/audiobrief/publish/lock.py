"""Publish stage: one run at a time publishes a site.

An flock on the output folder where the catalog is its SQLite file; a PostgreSQL
advisory lock where the catalog is on a server, so runs on several machines take turns.
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from audiobrief.errors import PublishError
from audiobrief.publish.database import Database

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
    _say_waiting(str(folder))
    deadline = time.monotonic() + wait_s
    while time.monotonic() < deadline:
        time.sleep(0.05)
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return
        except BlockingIOError:
            continue
    raise _stuck(str(folder), wait_s)


@contextmanager
def site_lock(database: Database, *, wait_s: float = WAIT_S) -> Iterator[None]:
    """Hold the site's advisory lock on the catalog's server for the block.

    A session lock of the catalog's own connection: the server drops it when that
    connection ends, so a run that died (or lost the server) never leaves it held.

    Raises:
        PublishError: the wait passed *wait_s* (CatalogUnavailable: the server went away).
    """
    key = (database.key("site"),)
    try:
        taken = database.execute("SELECT pg_try_advisory_lock(CAST(? AS BIGINT))", key)
        if not taken.fetchone()[0]:
            _say_waiting(database.where)
            # Blocking in the server, not polling: the waiting runs are served in turn.
            database.execute(f"SET lock_timeout = {max(1, round(wait_s * 1000))}")
            try:
                database.execute("SELECT pg_advisory_lock(CAST(? AS BIGINT))", key)
            finally:
                database.execute("RESET lock_timeout")
    except database.errors as exc:
        if getattr(exc, "sqlstate", None) == "55P03":  # lock_not_available: the timeout
            raise _stuck(database.where, wait_s) from exc
        raise database.failure(exc) from exc
    try:
        yield
    finally:
        with contextlib.suppress(*database.errors):  # a lost connection has dropped it
            database.execute("SELECT pg_advisory_unlock(CAST(? AS BIGINT))", key)


def _say_waiting(where: str) -> None:
    logger.warning("waiting for another audiobrief run to finish publishing in %s", where)


def _stuck(where: str, wait_s: float) -> PublishError:
    return PublishError(
        f"another audiobrief run has been publishing in {where} for over {wait_s:.0f} s; "
        "check that it is not stuck, then run the command again."
    )
