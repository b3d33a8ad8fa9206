"""Lower floor: the one cache folder, shared by every stage under one size limit.

Each stage keeps its reusable work here as plain files, one entry per key:
`<folder>/<kind>/<ab>/<abcdef...><suffix>` (clips as WAV, episodes as MP3 + JSON,
diacritized sentences as text). One owner means one size limit over all of it,
`info` that adds up every file under the folder, and `clear` that empties it.

Safe for threads and for processes sharing the folder: entries are written to a
temporary file beside them and renamed into place, so readers never see half a file,
and two writers of one key write the same bytes. Pruning removes the least recently
used entries first, but never one used within the last hour: a running command may
still be reading an episode's MP3 it was handed as a path.

With `cache_url` set, a bucket is a second tier shared by every machine (cache_remote):
a local miss is looked up there and kept locally, and a new entry goes to the folder and
then up. An entry of several files is read in a fixed order (episode_cache: the JSON,
then the MP3) and written in that same order, one file at a time: the file read last is
uploaded last, so a worker that finds it in the bucket finds the whole entry.
"""

from __future__ import annotations

import atexit
import contextlib
import functools
import logging
import os
import shutil
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from audiobrief import cache_ledger, store
from audiobrief.cache_remote import SharedTier

logger = logging.getLogger(__name__)

PRUNE_TO = 0.9
"""Pruning deletes entries until the cache fits in this share of the limit."""
IN_USE_S = 3600
"""Entries used this recently are never pruned: a long run may still read them."""
_STALE_WORK_S = 24 * 3600  # a work folder this old was left by a killed run
_WORK = ".work"


@dataclass(frozen=True)
class CacheInfo:
    """What `audiobrief cache info` shows."""

    path: Path
    """The cache folder."""
    size_bytes: int
    """Every file under the folder, entries or not (temporary files, work folders)."""
    entries: dict[str, int]
    """Number of entries of each kind (clips, episodes, marks)."""


@dataclass(frozen=True)
class _Entry:
    stem: Path
    """The entry's path without suffix: an episode's MP3 and JSON are one entry."""
    files: tuple[Path, ...]
    size_bytes: int
    used: float


class Cache:
    """The cache folder and its size limit (None: unbounded), and the shared tier if any."""

    def __init__(
        self, folder: Path, max_bytes: int | None = None, shared: SharedTier | None = None
    ) -> None:
        self.folder, self.max_bytes, self.shared = Path(folder), max_bytes, shared
        self._lock = threading.Lock()
        self._size_bytes: int | None = None  # running estimate; read on the first write
        self._prune_at = 0  # past max_bytes, the size at which to prune again
        self._unsaved = 0  # bytes this process wrote and has not added to the ledger
        self._pid = os.getpid()
        atexit.register(self.save_size)

    def path(self, kind: str, key: str, suffix: str) -> Path:
        """Where the entry *key* of *kind* lives, found or not."""
        return self.folder / kind / key[:2] / f"{key}{suffix}"

    def find(self, kind: str, key: str, suffix: str) -> Path | None:
        """The entry's file, marked as just used, or None when there is none.

        A local miss is fetched from the shared tier, when there is one, and kept here.
        """
        path = self.path(kind, key, suffix)
        try:
            os.utime(path)  # recently used: pruning goes for the oldest first
        except OSError:
            if self.shared is None or not self.shared.fetch(self._name(path), path):
                return None
            self._added(path, path.stat().st_size)
        return path

    def put(
        self, kind: str, key: str, suffix: str, data: bytes | Path, *, quiet: bool = False
    ) -> Path | None:
        """Store *data* (bytes, or a finished file to move in) as an entry; return its path.

        None when the cache cannot be written: that only costs speed, so it is logged
        (a warning, or with *quiet* a debug line).
        """
        path = self.path(kind, key, suffix)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            if isinstance(data, Path):
                size = data.stat().st_size
                os.replace(data, path)  # a work file of ours: same file system, no copy
            else:
                size = len(data)
                store.write_atomic(path, data, durable=False)
        except OSError as exc:
            log = logger.debug if quiet else logger.warning
            log("cannot write the cache at %s (%s); continuing", path, exc)
            return None
        self._added(path, size)  # pruning keeps this entry: the upload below can read it
        if self.shared is not None:
            self.shared.upload(self._name(path), path)
        return path

    def _name(self, path: Path) -> str:
        """The entry file's name in the shared tier: its local path under the folder."""
        return path.relative_to(self.folder).as_posix()

    def work_dir(self) -> Path:
        """A fresh folder for work that put() may then move in without copying."""
        parent = self.folder / _WORK
        try:
            parent.mkdir(parents=True, exist_ok=True)
        except OSError:  # an unwritable cache: work in the system's temporary folder
            return Path(tempfile.mkdtemp(prefix="work-"))
        return Path(tempfile.mkdtemp(prefix="work-", dir=parent))

    def info(self) -> CacheInfo:
        """Entries of each kind, and the size of everything under the folder."""
        entries: dict[str, int] = {}
        for kind, _ in _entries(self.folder):
            entries[kind] = entries.get(kind, 0) + 1
        every_file = sum(stat.st_size for _, stat in _files(self.folder))
        return CacheInfo(self.folder, every_file, entries)

    def clear(self) -> int:
        """Delete everything under the folder; return how many entries went."""
        removed = sum(1 for _ in _entries(self.folder))
        with contextlib.suppress(OSError):
            for child in os.scandir(self.folder):
                if child.is_dir(follow_symlinks=False):
                    shutil.rmtree(child.path, ignore_errors=True)
                else:
                    Path(child.path).unlink(missing_ok=True)
        with self._lock:
            self._size_bytes, self._unsaved = None, 0
        return removed

    def prune(self, target_bytes: int, keep: Path | None = None) -> int:
        """Delete least recently used entries until the folder fits *target_bytes*.

        Entries used within IN_USE_S and *keep* stay whatever the size; return the
        size left.
        """
        now = time.time()
        _remove_stale_leftovers(self.folder, now)
        found = sorted((e for _, e in _entries(self.folder)), key=lambda e: (e.used, e.stem.name))
        total = _total(self.folder)
        kept = None if keep is None else keep.with_suffix("")
        for entry in found:
            if total <= target_bytes:
                break
            if entry.used > now - IN_USE_S or entry.stem == kept or _used_since(entry, now):
                continue
            for file in entry.files:
                with contextlib.suppress(OSError):
                    file.unlink()
            total -= entry.size_bytes
        logger.info("pruned the cache at %s to %d bytes", self.folder, total)
        cache_ledger.walked(self.folder, total)
        return total

    def _added(self, path: Path, size: int) -> None:
        """Prune only when the running total passes the limit, so a write stays cheap."""
        if self.max_bytes is None:
            return
        with self._lock:
            if self._pid != os.getpid():  # a forked worker: its parent's writes are not its own
                self._pid, self._size_bytes, self._unsaved = os.getpid(), None, 0
            if self._size_bytes is None:
                self._size_bytes = cache_ledger.read(self.folder)
                if self._size_bytes is None:  # no ledger yet, or a stale one: walk once
                    self._size_bytes = _total(self.folder)  # this entry included
                    cache_ledger.walked(self.folder, self._size_bytes)
                    size = 0
            self._size_bytes += size
            self._unsaved += size
            if self._size_bytes > max(self.max_bytes, self._prune_at):
                target = int(self.max_bytes * PRUNE_TO)
                self._size_bytes = self.prune(target, keep=path)  # a walk: the ledger anew
                self._unsaved = 0
                # Entries in use may keep it over the target: wait for as much growth again
                # before the next walk, so a long run does not scan the folder on every write.
                self._prune_at = self._size_bytes + self.max_bytes - target
            elif self._unsaved >= cache_ledger.SAVE_EVERY_BYTES:
                cache_ledger.add(self.folder, self._unsaved)
                self._unsaved = 0

    def save_size(self) -> None:
        """Add what this process wrote to the ledger: at exit, and after each episode
        (worker processes end without running exit handlers)."""
        with self._lock:
            if self._unsaved and self._pid == os.getpid():
                cache_ledger.add(self.folder, self._unsaved)
            self._unsaved = 0


def open_cache(
    folder: Path | None, max_mb: int, shared_url: str = "", endpoint_url: str = ""
) -> Cache | None:
    """The cache in *folder* bounded to *max_mb* MiB, or None when caching is off.

    *shared_url* (`s3://bucket/prefix`, checked by config) adds the shared tier, at the
    S3-compatible store *endpoint_url* ("" is Amazon S3). One Cache per folder, limit and
    tier in a process: every stage shares its running size and the tier's one warning.
    """
    if folder is None:
        return None
    return _opened(Path(folder), max_mb * 1024 * 1024, shared_url, endpoint_url)


@functools.lru_cache(maxsize=16)
def _opened(folder: Path, max_bytes: int, shared_url: str, endpoint_url: str) -> Cache:
    shared = SharedTier(shared_url, endpoint_url) if shared_url else None
    return Cache(folder, max_bytes, shared)


def default_cache_dir(xdg_cache_home: str | None, home: Path) -> Path:
    """$XDG_CACHE_HOME/audiobrief, else ~/.cache/audiobrief (the CLI passes both in)."""
    # XDG Base Directory spec: a relative value is invalid and must be ignored.
    if xdg_cache_home and Path(xdg_cache_home).is_absolute():
        return Path(xdg_cache_home) / "audiobrief"
    return home / ".cache" / "audiobrief"


def _files(folder: Path) -> Iterator[tuple[Path, os.stat_result]]:
    """Every plain file under *folder* with its stat; files that vanish meanwhile are skipped."""
    for root, _, names in os.walk(folder):
        for name in names:
            path = Path(root, name)
            try:
                yield path, path.stat(follow_symlinks=False)
            except OSError:
                continue


def _total(folder: Path) -> int:
    """Every file's size but the ledger's (which holds this figure: it is no content)."""
    ledger = folder / cache_ledger.LEDGER
    return sum(stat.st_size for path, stat in _files(folder) if path != ledger)


def _entries(folder: Path) -> Iterator[tuple[str, _Entry]]:
    """(kind, entry) for every entry; temporary files and work folders are not entries.

    A file outside the `<kind>/<ab>/<key>` layout (an older version's clips, episodes or
    SQLite file) is an entry of kind "other": pruned like the rest, so it cannot stay
    beyond the limit.
    """
    grouped: dict[Path, list[tuple[Path, os.stat_result]]] = {}
    for path, stat in _files(folder):
        parts = path.relative_to(folder).parts
        if parts[0] in (_WORK, cache_ledger.LEDGER) or store.is_temporary(path.name):
            continue
        grouped.setdefault(path.with_suffix(""), []).append((path, stat))
    for stem, files in grouped.items():
        parts = stem.relative_to(folder).parts
        kind = parts[0] if len(parts) == 3 else "other"
        size = sum(stat.st_size for _, stat in files)
        used = max(stat.st_mtime for _, stat in files)
        yield kind, _Entry(stem, tuple(path for path, _ in files), size, used)


def _used_since(entry: _Entry, now: float) -> bool:
    """Whether another process found the entry after the walk: it may be reading it now."""
    for path in entry.files:
        with contextlib.suppress(OSError):
            if path.stat().st_mtime > now - IN_USE_S:
                return True
    return False


def _remove_stale_leftovers(folder: Path, now: float) -> None:
    """Temporary files and work folders that a killed run left behind."""
    for path, stat in list(_files(folder)):
        if store.is_temporary(path.name) and stat.st_mtime < now - IN_USE_S:
            path.unlink(missing_ok=True)
    with contextlib.suppress(OSError):
        for work in os.scandir(folder / _WORK):
            if work.stat(follow_symlinks=False).st_mtime < now - _STALE_WORK_S:
                shutil.rmtree(work.path, ignore_errors=True)
