"""Engines stage: any engine with its clips kept as WAV entries of the one cache."""

from __future__ import annotations

import io
import logging
import threading
import wave
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pydub import AudioSegment

from audiobrief.cache import Cache
from audiobrief.engines.base import TTSEngine
from audiobrief.store import digest

logger = logging.getLogger(__name__)

KIND = "clips"
KEY_VERSION = 1
"""Part of every key: raise it when the stored clip for the same input would change."""


class CachedEngine:
    """Any engine, with clips reused when the same voice said the same text before.

    The cache writes whole files by renaming, so threads and processes sharing it
    never read half a clip; two writers of one key write the same bytes.
    """

    def __init__(self, engine: TTSEngine, cache: Cache, key_options: Mapping[str, Any]) -> None:
        self.name = engine.name
        # Keep the wrapped engine's bound on requests in flight visible to synthesize_all.
        self.max_concurrency = engine.max_concurrency
        self.hits = 0
        self.misses = 0
        self._engine, self._cache = engine, cache
        # An engine quicker than the cache (eSpeak NG) is asked every time: its clips
        # still have keys, which name the episode they make.
        self.keeps_clips = bool(getattr(engine, "keeps_clips", True))
        self._options = dict(key_options)
        self._lock = threading.Lock()

    def key(self, text: str) -> str:
        """The clip's key: sha256 of the engine name, its voice options and the text."""
        return digest(
            {"v": KEY_VERSION, "engine": self.name, "options": self._options, "text": text}
        )

    def path(self, text: str) -> Path:
        """Where the clip for *text* lives: `clips/ab/abcdef....wav` in the cache."""
        return self._cache.path(KIND, self.key(text), ".wav")

    def synthesize(self, text: str) -> AudioSegment:
        """The cached clip for *text*, or the engine's, stored for next time."""
        if not self.keeps_clips:
            with self._lock:
                self.misses += 1
            return self._engine.synthesize(text)
        key = self.key(text)
        found = self._cache.find(KIND, key, ".wav")
        clip = None if found is None else _read(found)
        with self._lock:
            if clip is None:
                self.misses += 1
            else:
                self.hits += 1
        if clip is not None:
            return clip
        clip = self._engine.synthesize(text)
        self._cache.put(KIND, key, ".wav", _wav(clip))
        return clip


def _read(path: Path) -> AudioSegment | None:
    """The stored clip, or None when unreadable (a miss that rewrites it)."""
    try:
        with wave.open(str(path), "rb") as reader:
            frames = reader.getnframes()
            data = reader.readframes(frames)
            width, channels = reader.getsampwidth(), reader.getnchannels()
            rate_hz = reader.getframerate()
    except FileNotFoundError:
        return None  # pruned by another process since it was found
    except (OSError, EOFError, wave.Error) as exc:
        logger.warning("Cached clip %s is unreadable (%s); synthesizing it again", path, exc)
        return None
    if len(data) != frames * width * channels:  # truncated: the header promised more
        logger.warning("Cached clip %s is truncated; synthesizing it again", path)
        return None
    return AudioSegment(data=data, sample_width=width, frame_rate=rate_hz, channels=channels)


def _wav(clip: AudioSegment) -> bytes:
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as writer:
        writer.setnchannels(clip.channels)
        writer.setsampwidth(clip.sample_width)
        writer.setframerate(clip.frame_rate)
        writer.writeframes(clip.raw_data)
    return buffer.getvalue()
