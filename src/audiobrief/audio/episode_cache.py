"""Audio stage: finished episode audio (MP3 + Timeline) kept as entries of the one cache.

The synthesis cache already saves every engine call of an unchanged article; this one
also saves stitching, loudness and encoding, which then dominate a re-run. The key covers
every clip's own cache key, every pause and every audio setting, so any change misses.
An entry is two files, `<key>.mp3` and `<key>.json` (size and Timeline); the cache prunes
them together and never while a run may still read the MP3 it was handed.
"""

from __future__ import annotations

import json
import logging
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from audiobrief.cache import Cache
from audiobrief.model import Timeline
from audiobrief.store import canonical_json, digest, timeline_from_json, timeline_to_json

logger = logging.getLogger(__name__)

KIND = "episodes"
_VERSION = 3  # raise when stitching, loudness or encoding change their output


def episode_key(parts: Mapping[str, Any]) -> str:
    """A stable key for everything that decides an episode's audio."""
    return digest({"v": _VERSION, **parts})


def load(
    cache: Cache, key: str, *, front_end: str | None = None, made_by: str | None = None
) -> tuple[Path, Timeline] | None:
    """The cached MP3 file and Timeline for *key*, or None (a damaged entry is a miss).

    With *front_end*, only an entry last stored under that text front end (see store):
    its script is the one that front end makes of the article now. *made_by* notes that
    front end as having made the entry's script (the same script: the same audio).
    """
    meta_path = cache.find(KIND, key, ".json")
    mp3_path = cache.find(KIND, key, ".mp3")
    if meta_path is None or mp3_path is None:
        return None
    try:
        meta = json.loads(meta_path.read_bytes())
        if mp3_path.stat().st_size != meta["size_bytes"]:
            return None
        timeline = timeline_from_json(meta["timeline"])
    except (OSError, ValueError, KeyError, TypeError):
        return None
    if front_end is not None and meta.get("front_end") != front_end:
        return None
    if made_by is not None and meta.get("front_end") != made_by:
        cache.put(KIND, key, ".json", canonical_json({**meta, "front_end": made_by}).encode())
    return mp3_path, timeline


def work_dir(cache: Cache | None) -> Path:
    """A fresh folder for an episode being made, in the cache when there is one.

    There, store() can move the finished MP3 into place without copying it.
    """
    return Path(tempfile.mkdtemp(prefix="work-")) if cache is None else cache.work_dir()


def store(cache: Cache, key: str, mp3: Path, timeline: Timeline, *, front_end: str = "") -> Path:
    """Keep an episode's audio (the file *mp3* moves into the cache); return where it is.

    *front_end* names the text front end that made its script (not part of the key: the
    same script is the same audio, whichever made it). A cache that cannot be written
    only costs speed: *mp3* then stays where it was.
    """
    meta = {
        "size_bytes": mp3.stat().st_size,
        "timeline": timeline_to_json(timeline),
        "front_end": front_end,
    }
    # The Timeline goes first: an MP3 without it would be a miss, never a wrong hit.
    if cache.put(KIND, key, ".json", canonical_json(meta).encode("utf-8")) is None:
        return mp3
    kept = cache.put(KIND, key, ".mp3", mp3)
    return mp3 if kept is None else kept
