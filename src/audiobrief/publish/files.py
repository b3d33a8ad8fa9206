"""Publish stage: write output files whole or not at all (temp file, fsync, rename)."""

from __future__ import annotations

import contextlib
import logging
import os
import tempfile
from pathlib import Path

from audiobrief.errors import PublishError

logger = logging.getLogger(__name__)

_DEFAULT_MODE = 0o644
"""A published site is read by a web server running as another user; mkstemp gives 0600."""


def write_atomic(path: Path, data: bytes | str) -> None:
    """Write *data* (str as UTF-8) to *path*: readers see the old file or the new one, whole.

    The bytes go to a temporary file in the same folder, are flushed to disk, then
    renamed over *path*; on any failure the temporary file is removed and *path* is
    left as it was.

    Raises:
        PublishError: the folder is missing or not writable, or the disk is full.
    """
    payload = data.encode("utf-8") if isinstance(data, str) else data
    try:
        handle, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    except OSError as exc:
        raise _write_error(path, exc) from exc
    tmp = Path(name)
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(payload)
            stream.flush()
            os.fsync(stream.fileno())
        replace_into(tmp, path)
    except OSError as exc:
        raise _write_error(path, exc) from exc
    finally:
        tmp.unlink(missing_ok=True)


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
    """Move the finished file *tmp* over *final* (same folder) in one rename.

    *tmp* is flushed to disk first and gets *final*'s permissions (0644 for a new
    file); the folder entry is synced after the rename so a crash cannot lose it.
    On failure *tmp* is removed and *final* is untouched.

    Raises:
        PublishError: the rename failed (another file system, permissions).
    """
    try:
        try:
            mode = final.stat().st_mode & 0o7777
        except FileNotFoundError:
            mode = _DEFAULT_MODE
        os.chmod(tmp, mode)
        with tmp.open("rb+") as stream:
            os.fsync(stream.fileno())
        os.replace(tmp, final)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise _write_error(final, exc) from exc
    _sync_folder(final.parent)


def temp_path_for(final: Path) -> Path:
    """A hidden, unused name next to *final* for building it before `replace_into`."""
    handle, name = tempfile.mkstemp(prefix=f".{final.name}.", suffix=".tmp", dir=final.parent)
    os.close(handle)
    return Path(name)


def _sync_folder(folder: Path) -> None:
    # The rename lives in the folder's entry list; without this a power cut can undo it.
    # Some file systems refuse to open or sync a folder; the file itself is already safe.
    try:
        handle = os.open(folder, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    except OSError:
        return
    try:
        os.fsync(handle)
    except OSError as exc:
        logger.debug("cannot sync folder %s: %s", folder, exc)
    finally:
        os.close(handle)


def _write_error(path: Path, exc: OSError) -> PublishError:
    reason = exc.strerror or str(exc)
    return PublishError(
        f"cannot write {path} ({reason}); check that the folder exists, is writable "
        "and has free space."
    )
