"""Engines and audio stages for one script: clips -> Timeline -> loudness -> MP3 bytes."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from audiobrief.audio import episode_cache
from audiobrief.config import Settings
from audiobrief.engines.batch import synthesize_all
from audiobrief.engines.cache import CachedEngine
from audiobrief.errors import EngineError
from audiobrief.model import Script, Timeline
from audiobrief.voice import Voice

if TYPE_CHECKING:
    from pydub import AudioSegment

logger = logging.getLogger(__name__)

Progress = Callable[[str, int], Callable[[int], None]]


@dataclass(frozen=True)
class Rendered:
    """An episode's encoded audio and the Timeline every other file is derived from."""

    mp3: bytes
    timeline: Timeline


def render(
    script: Script,
    voice: Voice,
    settings: Settings,
    *,
    label: str,
    progress: Progress | None = None,
    music: Path | None = None,
) -> Rendered:
    """Synthesize every segment, stitch, mix the music bed, normalize loudness, encode.

    Nothing is written except to the caches: callers publish the result or drop it.
    An unchanged script comes back from the episode cache without any audio work.
    """
    texts = [seg.spoken for section in script.sections for seg in section.segments]
    key = _episode_key(script, voice, settings, music)
    if key and settings.cache_dir and (hit := episode_cache.load(settings.cache_dir, key)):
        logger.info("%s: unchanged, audio taken from the episode cache", label)
        return Rendered(*hit)
    # Imported on a miss only: scipy (under pyloudnorm and the resampler) takes over a
    # second to import, more than a whole re-run of a cached article.
    from audiobrief.audio.encode import encode_mp3
    from audiobrief.audio.loudness import normalize as normalize_loudness
    from audiobrief.audio.music import add_music_bed
    from audiobrief.audio.stitch import stitch

    tick = progress(label, len(texts)) if progress else None
    fell_back: list[str] = []
    clips: list[AudioSegment] = []
    for section in script.sections:  # section by section, so a failure names its article
        try:
            clips += synthesize_all(
                voice.engine,
                [seg.spoken for seg in section.segments],
                fallback=_noting(voice.fallback, fell_back),
                on_clip=tick,
            )
        except EngineError as exc:
            reason = exc.reason
            if len(script.sections) > 1:  # a briefing: say which article
                reason = f"could not speak «{section.title}» ({reason})"
            raise EngineError(
                exc.engine,
                f"{reason}; nothing was published. "
                "Fix that article or leave it out, then run the command again.",
            ) from exc
    track, timeline = stitch(
        script, clips, sample_rate_hz=settings.sample_rate_hz, channels=settings.channels
    )
    if music is not None:
        track = add_music_bed(track, timeline, music, gain_db=settings.music_gain_db)
    if settings.normalize_loudness:
        track = normalize_loudness(track)
    rendered = Rendered(encode_mp3(track, bitrate_kbps=settings.bitrate_kbps), timeline)
    # Audio with fallback clips is not kept: the next run should ask the voice again.
    if key and settings.cache_dir and not fell_back:
        episode_cache.store(settings.cache_dir, key, rendered.mp3, rendered.timeline)
    return rendered


def _episode_key(
    script: Script, voice: Voice, settings: Settings, music: Path | None
) -> str | None:
    """Everything that decides the audio; None when the engine gives no clip keys."""
    if not isinstance(voice.engine, CachedEngine):
        return None
    clip_key = voice.engine.key
    music_id: Any = None
    if music is not None:
        try:
            stat = music.stat()
        except OSError:
            return None  # add_music_bed reports the missing file
        music_id = [str(music.resolve()), stat.st_size, stat.st_mtime_ns]
    return episode_cache.episode_key(
        {
            # The Timeline carries the written text, titles and links too.
            "clips": [
                [
                    clip_key(seg.spoken),
                    seg.pause_after_ms,
                    seg.written,
                    seg.paragraph,
                    seg.sentence,
                    seg.lang,
                ]
                for section in script.sections
                for seg in section.segments
            ],
            "sections": [[s.title, s.url, len(s.segments)] for s in script.sections],
            "audio": [
                settings.sample_rate_hz,
                settings.channels,
                settings.bitrate_kbps,
                settings.normalize_loudness,
                settings.music_gain_db,
            ],
            "music": music_id,
        }
    )


def _noting(
    fallback: Callable[[str], AudioSegment] | None, used: list[str]
) -> Callable[[str], AudioSegment] | None:
    if fallback is None:
        return None

    def speak(text: str) -> AudioSegment:
        used.append(text)
        return fallback(text)

    return speak
