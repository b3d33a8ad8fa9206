"""Synthesis cache: clips stored as WAV files under a hash of engine, voice options and text."""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import re
import tempfile
import threading
import wave
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydub import AudioSegment

from audiobrief.engines.base import TTSEngine

logger = logging.getLogger(__name__)

KEY_VERSION = 1
"""Part of every key: raise it when the stored clip for the same input would change."""
PRUNE_TO = 0.9
"""Pruning deletes the least recently used clips until the cache fits in this share of max."""
_ENTRY = re.compile(r"[0-9a-f]{64}\.wav")
_TEMP_PREFIX = ".tmp-"
_STALE_TEMP_S = 3600  # a temp file this much older than a fresh write is an abandoned write


@dataclass(frozen=True)
class CacheInfo:
    """What `audiobrief cache info` shows."""

    entries: int
    """Number of cached clips."""
    size_bytes: int
    """Their total size on disk."""
    path: Path
    """The cache folder."""


class CachedEngine:
    """Any engine, with clips reused when the same voice said the same text before.

    Safe for threads and for processes sharing the folder: a clip is written to a temporary
    file in its final folder and renamed into place, so readers never see half a file, and
    two writers of one key write the same bytes.
    """

    def __init__(
        self,
        engine: TTSEngine,
        cache_dir: Path,
        key_options: Mapping[str, Any],
        max_bytes: int | None = None,
    ) -> None:
        self.name = engine.name
        # Keep the wrapped engine's bound on requests in flight visible to synthesize_all.
        self.max_concurrency = engine.max_concurrency
        self.hits = 0
        self.misses = 0
        self._engine, self._dir, self._max_bytes = engine, Path(cache_dir), max_bytes
        self._options = dict(key_options)
        self._lock = threading.Lock()
        self._size_bytes: int | None = None  # running estimate; scanned on the first write

    def key(self, text: str) -> str:
        """The clip's key: sha256 of the engine name, its voice options and the text."""
        payload = json.dumps(
            {"v": KEY_VERSION, "engine": self.name, "options": self._options, "text": text},
            sort_keys=True,
            ensure_ascii=False,
            separators=(",", ":"),
            default=str,
        )
        return hashlib.sha256(payload.encode("utf-8")).hexdigest()

    def path(self, text: str) -> Path:
        """Where the clip for *text* lives: two-level, `ab/abcdef....wav`."""
        key = self.key(text)
        return self._dir / key[:2] / f"{key}.wav"

    def synthesize(self, text: str) -> AudioSegment:
        """The cached clip for *text*, or the engine's, stored for next time."""
        path = self.path(text)
        clip = _read(path)
        if clip is not None:
            with self._lock:
                self.hits += 1
            _touch(path)
            return clip
        with self._lock:
            self.misses += 1
        clip = self._engine.synthesize(text)
        written = _write(path, clip)
        if written is not None and self._max_bytes is not None:
            self._after_write(path, written, self._max_bytes)
        return clip

    def _after_write(self, path: Path, written_bytes: int, max_bytes: int) -> None:
        """Prune only when the running total passes max_bytes, so a write stays cheap."""
        with self._lock:
            if self._size_bytes is None:
                self._size_bytes = sum(size for _, size, _ in _scan(self._dir))
            else:
                self._size_bytes += written_bytes
            if self._size_bytes > max_bytes:
                self._size_bytes = _prune(self._dir, int(max_bytes * PRUNE_TO), keep=path)


def default_cache_dir(xdg_cache_home: str | None, home: Path) -> Path:
    """$XDG_CACHE_HOME/audiobrief, else ~/.cache/audiobrief (the CLI passes both in)."""
    # XDG Base Directory spec: a relative value is invalid and must be ignored.
    if xdg_cache_home and Path(xdg_cache_home).is_absolute():
        return Path(xdg_cache_home) / "audiobrief"
    return home / ".cache" / "audiobrief"


def cache_info(cache_dir: Path) -> CacheInfo:
    """Count the clips in *cache_dir* and their size; a missing folder is an empty cache."""
    entries = list(_scan(cache_dir))
    return CacheInfo(len(entries), sum(size for _, size, _ in entries), cache_dir)


def clear_cache(cache_dir: Path) -> int:
    """Delete every clip (and abandoned temporary file); return how many clips went."""
    removed = 0
    for path, _, _ in _scan(cache_dir):
        removed += _unlink(path)
    for folder in _folders(cache_dir):
        for temp in folder.glob(f"{_TEMP_PREFIX}*"):
            _unlink(temp)
        with contextlib.suppress(OSError):  # only our own two-letter folders, when empty
            folder.rmdir()
    return removed


def _read(path: Path) -> AudioSegment | None:
    """The stored clip, or None when absent or unreadable (a miss that rewrites it)."""
    try:
        with wave.open(str(path), "rb") as reader:
            frames = reader.getnframes()
            data = reader.readframes(frames)
            width, channels = reader.getsampwidth(), reader.getnchannels()
            rate_hz = reader.getframerate()
    except FileNotFoundError:
        return None
    except (OSError, EOFError, wave.Error) as exc:
        logger.warning("Cached clip %s is unreadable (%s); synthesizing it again", path, exc)
        return None
    if len(data) != frames * width * channels:  # truncated: the header promised more
        logger.warning("Cached clip %s is truncated; synthesizing it again", path)
        return None
    return AudioSegment(data=data, sample_width=width, frame_rate=rate_hz, channels=channels)


def _write(path: Path, clip: AudioSegment) -> int | None:
    """Store *clip* atomically; return its size, or None when the cache cannot be written."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, temp_name = tempfile.mkstemp(prefix=_TEMP_PREFIX, suffix=".wav", dir=path.parent)
        try:
            with os.fdopen(handle, "wb") as raw, wave.open(raw, "wb") as writer:
                writer.setnchannels(clip.channels)
                writer.setsampwidth(clip.sample_width)
                writer.setframerate(clip.frame_rate)
                writer.writeframes(clip.raw_data)
            os.replace(temp_name, path)  # atomic on one file system: readers see old or new
        finally:
            _unlink(Path(temp_name))  # gone after the rename; left only by a failed write
        return path.stat().st_size
    except OSError as exc:
        logger.warning("Cannot write the synthesis cache at %s (%s); continuing", path, exc)
        return None


def _touch(path: Path) -> None:
    """Mark a clip as recently used; pruning removes the oldest modification times first."""
    with contextlib.suppress(OSError):  # pruned meanwhile: the clip in hand is still right
        os.utime(path)


def _folders(cache_dir: Path) -> Iterator[Path]:
    try:
        children = list(os.scandir(cache_dir))
    except OSError:
        return
    for child in children:
        if len(child.name) == 2 and child.is_dir(follow_symlinks=False):
            yield Path(child.path)


def _scan(cache_dir: Path) -> Iterator[tuple[Path, int, float]]:
    """(path, size, mtime) of every clip; files that vanish meanwhile are skipped."""
    for folder in _folders(cache_dir):
        try:
            children = list(os.scandir(folder))
        except OSError:
            continue
        for child in children:
            if not _ENTRY.fullmatch(child.name) or not child.name.startswith(folder.name):
                continue
            try:
                stat = child.stat(follow_symlinks=False)
            except OSError:
                continue
            yield Path(child.path), stat.st_size, stat.st_mtime


def _prune(cache_dir: Path, target_bytes: int, keep: Path) -> int:
    """Delete least recently used clips until the total fits *target_bytes*; return it."""
    entries = sorted(_scan(cache_dir), key=lambda entry: (entry[2], entry[0].name))
    total = sum(size for _, size, _ in entries)
    newest = max((mtime for _, _, mtime in entries), default=0.0)
    for path, size, _ in entries:
        if total <= target_bytes:
            break
        if path != keep and _unlink(path):
            total -= size
    for folder in _folders(cache_dir):  # writes killed halfway leave temp files behind
        for temp in folder.glob(f"{_TEMP_PREFIX}*"):
            try:
                if temp.stat().st_mtime < newest - _STALE_TEMP_S:
                    _unlink(temp)
            except OSError:
                continue
    logger.info("Pruned the synthesis cache to %d bytes", total)
    return total


def _unlink(path: Path) -> int:
    try:
        path.unlink()
    except FileNotFoundError:
        return 0  # another process removed it first
    except OSError as exc:
        logger.warning("Cannot delete %s (%s)", path, exc)
        return 0
    return 1
