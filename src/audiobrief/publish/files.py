"""Publish stage: write output files whole or not at all (temp file, fsync, rename)."""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
import tempfile
from pathlib import Path

from audiobrief.errors import PublishError

logger = logging.getLogger(__name__)

_DEFAULT_MODE = 0o644
"""A published site is read by a web server running as another user; mkstemp gives 0600."""


def write_atomic(path: Path, data: bytes | str | Path) -> None:
    """Write *data* (str as UTF-8) to *path*: readers see the old file or the new one, whole.

    The bytes go to a temporary file in the same folder, are flushed to disk, then
    renamed over *path*; on any failure the temporary file is removed and *path* is
    left as it was.

    Raises:
        PublishError: the folder is missing or not writable, or the disk is full.
    """
    tmp = write_temporary(path.parent, path.name, data)
    try:
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


TEMP_SUFFIX = ".tmp"
"""Every temporary file is hidden and ends so: `.<name>.<random>.tmp`."""


def write_temporary(folder: Path, name: str, data: bytes | str | Path) -> Path:
    """Write *data* to a new hidden temporary file in *folder*, flushed to disk.

    Its name is unique (`.<name>.<random>.tmp`), so runs side by side never share one.
    A Path is copied in blocks: an episode's MP3 is never held in memory whole.

    Raises:
        PublishError: the folder is missing or not writable, or the disk is full.
    """
    try:
        handle, path = tempfile.mkstemp(prefix=f".{name}.", suffix=TEMP_SUFFIX, dir=folder)
    except OSError as exc:
        raise _write_error(folder / name, exc) from exc
    try:
        with os.fdopen(handle, "wb") as stream:
            if isinstance(data, Path):
                with data.open("rb") as source:
                    shutil.copyfileobj(source, stream)
            else:
                stream.write(data.encode("utf-8") if isinstance(data, str) else data)
            stream.flush()
            os.fsync(stream.fileno())
    except OSError as exc:
        Path(path).unlink(missing_ok=True)
        raise _write_error(folder / name, exc) from exc
    return Path(path)


def is_temporary(name: str) -> bool:
    """Whether *name* is one of our temporary files (or the old fixed `.x.mp3.tmp`)."""
    return name.startswith(".") and name.endswith(TEMP_SUFFIX)


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
