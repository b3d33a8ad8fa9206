"""Audio stage: finished episode audio (MP3 + Timeline) kept by a hash of what made it.

The synthesis cache already saves every engine call of an unchanged article; this one
also saves stitching, loudness and encoding, which then dominate a re-run. The key covers
every clip's own cache key, every pause and every audio setting, so any change misses.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import shutil
import tempfile
import time
from collections.abc import Mapping
from dataclasses import asdict
from pathlib import Path
from typing import Any

from audiobrief.model import Chapter, Cue, Timeline

logger = logging.getLogger(__name__)

FOLDER = "episodes"
KEEP = 200
"""Episodes kept; the least recently used go first (a day's briefing plus its articles)."""
_IN_USE_S = 3600  # entries this fresh are never pruned: a long run still reads them
_VERSION = 2  # raise when stitching, loudness or encoding change their output


def episode_key(parts: Mapping[str, Any]) -> str:
    """A stable key for everything that decides an episode's audio."""
    payload = json.dumps(
        {"v": _VERSION, **parts},
        sort_keys=True,
        ensure_ascii=False,
        separators=(",", ":"),
        default=str,
    )
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def load(cache_dir: Path, key: str) -> tuple[Path, Timeline] | None:
    """The cached MP3 file and Timeline for *key*, or None (a damaged entry is a miss)."""
    mp3_path, meta_path = _paths(cache_dir, key)
    try:
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
        if mp3_path.stat().st_size != meta["size_bytes"]:
            return None
        timeline = Timeline(
            cues=tuple(Cue(**c) for c in meta["cues"]),
            chapters=tuple(Chapter(**c) for c in meta["chapters"]),
            duration_ms=meta["duration_ms"],
            sample_rate_hz=meta["sample_rate_hz"],
        )
    except (OSError, ValueError, KeyError, TypeError):
        return None
    os.utime(meta_path)  # recently used
    return mp3_path, timeline


def work_dir(cache_dir: Path | None) -> Path:
    """A fresh folder for an episode being made, in the cache when there is one.

    There, store() can move the finished MP3 into place without copying it.
    """
    parent = None
    if cache_dir is not None:
        parent = cache_dir / FOLDER
        try:
            parent.mkdir(parents=True, exist_ok=True)
        except OSError:
            parent = None
    return Path(tempfile.mkdtemp(prefix=".work-", dir=parent))


def store(cache_dir: Path, key: str, mp3: Path, timeline: Timeline) -> Path:
    """Keep an episode's audio (the file *mp3* moves into the cache); return where it is.

    A cache that cannot be written only costs speed: *mp3* then stays where it was.
    """
    mp3_path, meta_path = _paths(cache_dir, key)
    meta = {"size_bytes": mp3.stat().st_size, **asdict(timeline)}
    try:
        mp3_path.parent.mkdir(parents=True, exist_ok=True)
        os.replace(mp3, mp3_path)
        _write(meta_path, json.dumps(meta, ensure_ascii=False).encode("utf-8"))
        _prune(mp3_path.parent)
    except OSError as exc:
        logger.warning("could not keep the episode audio in %s (%s)", mp3_path.parent, exc)
        return mp3 if mp3.exists() else mp3_path
    return mp3_path


def clear(cache_dir: Path) -> int:
    """Delete every cached episode; return how many went."""
    folder = cache_dir / FOLDER
    removed = 0
    for meta in folder.glob("*.json"):
        for path in (meta, meta.with_suffix(".mp3")):
            path.unlink(missing_ok=True)
        removed += 1
    return removed


def _paths(cache_dir: Path, key: str) -> tuple[Path, Path]:
    folder = cache_dir / FOLDER
    return folder / f"{key}.mp3", folder / f"{key}.json"


def _write(path: Path, data: bytes) -> None:
    handle, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(data)
        os.replace(tmp, path)
    finally:
        Path(tmp).unlink(missing_ok=True)


def _prune(folder: Path) -> None:
    metas = sorted(folder.glob("*.json"), key=lambda p: p.stat().st_mtime, reverse=True)
    recent = time.time() - _IN_USE_S
    for work in folder.glob(".work-*"):  # left by a killed run: a day is long enough
        with contextlib.suppress(OSError):  # another run may remove it first
            if work.stat().st_mtime < recent - 23 * _IN_USE_S:
                shutil.rmtree(work, ignore_errors=True)
    for meta in metas[KEEP:]:
        if meta.stat().st_mtime > recent:
            continue  # may be a Rendered of this very run, not yet published
        meta.unlink(missing_ok=True)
        meta.with_suffix(".mp3").unlink(missing_ok=True)
