"""Lower floor: mechanics every stage may use (atomic files, canonical-JSON keys, Timeline JSON).

Nothing here knows a stage; stages import it instead of keeping their own copies.
Functions raise plain OSError: each caller decides what a failed write means to it
(publishing turns it into a PublishError, a cache into a miss).
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import logging
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any, TypeVar

from audiobrief.model import Chapter, Cue, Timeline

logger = logging.getLogger(__name__)

TEMP_SUFFIX = ".tmp"
"""Every temporary file is hidden and ends so: `.<name>.<random>.tmp`."""
_DEFAULT_MODE = 0o644
"""A published site is read by a web server running as another user; mkstemp gives 0600."""
_T = TypeVar("_T")


def write_atomic(path: Path, data: bytes | str | Path, *, durable: bool = True) -> None:
    """Write *data* (str as UTF-8, a Path copied) to *path*: readers see old or new, whole.

    *durable* flushes to disk before and after the rename; a cache, which only loses
    speed when a power cut eats an entry, passes False to skip the two fsyncs.
    """
    # One flush of the data, with its permissions, in replace_into: not one here as well.
    tmp = write_temporary(path.parent, path.name, data, durable=False)
    try:
        replace_into(tmp, path, durable=durable)
    finally:
        tmp.unlink(missing_ok=True)


def write_temporary(
    folder: Path, name: str, data: bytes | str | Path, *, durable: bool = True, head: bytes = b""
) -> Path:
    """Write *head*, then *data*, to a new hidden temporary file in *folder*; return its path.

    Its name is unique (`.<name>.<random>.tmp`), so runs side by side never share one.
    A Path is copied in blocks: an episode's MP3 is never held in memory whole. The file
    gets the mode of a new published file, before the flush: `replace_into` then finds
    nothing left to flush for it.
    """
    handle, path = tempfile.mkstemp(prefix=f".{name}.", suffix=TEMP_SUFFIX, dir=folder)
    try:
        with os.fdopen(handle, "wb") as stream:
            os.fchmod(stream.fileno(), _DEFAULT_MODE)
            stream.write(head)
            if isinstance(data, Path):
                with data.open("rb") as source:
                    shutil.copyfileobj(source, stream)
            else:
                stream.write(data.encode("utf-8") if isinstance(data, str) else data)
            if durable:
                stream.flush()
                os.fsync(stream.fileno())
    except OSError:
        Path(path).unlink(missing_ok=True)
        raise
    return Path(path)


def replace_into(tmp: Path, final: Path, *, durable: bool = True) -> None:
    """Move the finished file *tmp* over *final* (same folder) in one rename.

    *tmp* gets *final*'s permissions (0644 for a new file). With *durable*, it is
    flushed first and the folder entry after, so a crash cannot lose the rename.
    On failure *tmp* is removed and *final* is untouched.
    """
    try:
        try:
            mode = final.stat().st_mode & 0o7777
        except FileNotFoundError:
            mode = _DEFAULT_MODE
        if tmp.stat().st_mode & 0o7777 != mode:  # a change of mode is one more to flush
            os.chmod(tmp, mode)
        if durable:
            with tmp.open("rb+") as stream:
                os.fsync(stream.fileno())
        os.replace(tmp, final)
    except OSError:
        tmp.unlink(missing_ok=True)
        raise
    if durable:
        _sync_folder(final.parent)


def is_temporary(name: str) -> bool:
    """Whether *name* is one of our temporary files (or the old fixed `.x.mp3.tmp`)."""
    return name.startswith(".") and name.endswith(TEMP_SUFFIX)


def canonical_json(value: Any) -> str:
    """*value* as compact JSON with sorted keys: equal values give equal text."""
    return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)


def digest(value: Any) -> str:
    """sha256 (hex) of *value*'s canonical JSON: the key of everything cached."""
    return hashlib.sha256(canonical_json(value).encode("utf-8")).hexdigest()


def timeline_to_json(timeline: Timeline) -> str:
    """A Timeline as compact, stable JSON (the catalog column and the episode cache)."""
    return canonical_json(dataclasses.asdict(timeline))


def timeline_from_json(text: str) -> Timeline:
    """The Timeline that `timeline_to_json` wrote (keys it does not know are ignored)."""
    data = json.loads(text)
    return build(
        Timeline,
        data,
        cues=tuple(build(Cue, cue) for cue in data["cues"]),
        chapters=tuple(build(Chapter, chapter) for chapter in data["chapters"]),
    )


def build(cls: type[_T], data: dict[str, Any], **nested: Any) -> _T:
    """Construct dataclass *cls* from *data*, ignoring keys it does not (yet) have."""
    if cls not in _KNOWN:
        _KNOWN[cls] = frozenset(field_names(cls) or ())
    known = _KNOWN[cls]
    # A catalog read builds thousands of segments and cues, nearly all written by this
    # version: one set test instead of a filtered copy of each.
    if not data.keys() <= known:
        data = {k: v for k, v in data.items() if k in known}
    return cls(**{**data, **nested}) if nested else cls(**data)


def field_names(cls: type) -> tuple[str, ...] | None:
    """A dataclass's field names in order (None for any other type), looked up once per
    class: a catalog read or write goes through thousands of segments and cues."""
    if cls not in _FIELD_NAMES:
        found = dataclasses.is_dataclass(cls)
        _FIELD_NAMES[cls] = tuple(f.name for f in dataclasses.fields(cls)) if found else None
    return _FIELD_NAMES[cls]


_FIELD_NAMES: dict[type, tuple[str, ...] | None] = {}
_KNOWN: dict[type, frozenset[str]] = {}


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
