"""Publish stage: write output files whole or not at all (temp file, fsync, rename).

The mechanics live on the lower floor (audiobrief.store); here a failed write becomes
a PublishError that says what to check.
"""

from __future__ import annotations

import contextlib
from pathlib import Path

from audiobrief import store
from audiobrief.errors import PublishError
from audiobrief.store import TEMP_SUFFIX, is_temporary

__all__ = [
    "TEMP_SUFFIX",
    "is_temporary",
    "replace_into",
    "write_atomic",
    "write_if_changed",
    "write_temporary",
]


def write_atomic(path: Path, data: bytes | str | Path) -> None:
    """Write *data* (str as UTF-8) to *path*: readers see the old file or the new one, whole.

    Raises:
        PublishError: the folder is missing or not writable, or the disk is full.
    """
    try:
        store.write_atomic(path, data)
    except OSError as exc:
        raise _write_error(path, exc) from exc


def write_if_changed(path: Path, data: bytes | str) -> bool:
    """Write *data* atomically unless *path* already holds exactly it; True when written.

    Unchanged pages keep their modification time, so caches and ETags stay valid.
    """
    payload = data.encode("utf-8") if isinstance(data, str) else data
    with contextlib.suppress(OSError):
        if path.stat().st_size == len(payload) and path.read_bytes() == payload:
            return False
    write_atomic(path, payload)
    return True


def replace_into(tmp: Path, final: Path) -> None:
    """Move the finished file *tmp* over *final* (same folder), flushed, in one rename.

    Raises:
        PublishError: the rename failed (another file system, permissions).
    """
    try:
        store.replace_into(tmp, final)
    except OSError as exc:
        raise _write_error(final, exc) from exc


def write_temporary(
    folder: Path, name: str, data: bytes | str | Path, *, head: bytes = b""
) -> Path:
    """Write *head*, then *data*, to a new hidden temporary file in *folder*, flushed to disk.

    Raises:
        PublishError: the folder is missing or not writable, or the disk is full.
    """
    try:
        return store.write_temporary(folder, name, data, head=head)
    except OSError as exc:
        raise _write_error(folder / name, exc) from exc


def delete(path: Path) -> None:
    """Delete the published file *path* if it is there.

    Raises:
        PublishError: it could not be deleted (permissions).
    """
    try:
        path.unlink(missing_ok=True)
    except OSError as exc:
        raise PublishError(
            f"cannot delete {path} ({exc.strerror}); check its permissions."
        ) from exc


def _write_error(path: Path, exc: OSError) -> PublishError:
    reason = exc.strerror or str(exc)
    return PublishError(
        f"cannot write {path} ({reason}); check that the folder exists, is writable "
        "and has free space."
    )
