"""Engines and audio stages for one script: clips -> Timeline -> loudness -> an MP3 file."""

from __future__ import annotations

import dataclasses
import logging
import shutil
import weakref
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from audiobrief.audio import episode_cache
from audiobrief.config import Settings
from audiobrief.config_slices import AudioSettings
from audiobrief.engines.batch import synthesize_all
from audiobrief.engines.cache import CachedEngine
from audiobrief.errors import EngineError
from audiobrief.model import Script, Section, Segment, Timeline
from audiobrief.voice.factory import Voice, settings_cache

if TYPE_CHECKING:
    from pydub import AudioSegment

    from audiobrief.cache import Cache

logger = logging.getLogger(__name__)

Progress = Callable[[str, int], Callable[[int], None]]


@dataclass(frozen=True)
class Rendered:
    """An episode's encoded audio (a file) and the Timeline every other file is derived from.

    The MP3 lies in the episode cache, or in a temporary folder removed when this object
    goes; copy or read it before dropping the object.
    """

    mp3_path: Path
    timeline: Timeline
    key: str | None = None
    """Its episode key: everything that decided the audio (None: an engine without keys)."""

    @property
    def mp3(self) -> bytes:
        """The whole MP3 in memory (for short audio; large episodes should use mp3_path)."""
        return self.mp3_path.read_bytes()


_BATCH_SEGMENTS = 64  # clips held at once: memory stays flat for any length of article


def render(
    script: Script,
    voice: Voice,
    settings: Settings,
    *,
    label: str,
    progress: Progress | None = None,
    music: Path | None = None,
    tail_ms: int | None = None,
) -> Rendered:
    """Synthesize every segment, stitch, mix the music bed, normalize loudness, encode.

    Nothing is written except to the caches and a temporary folder: callers publish the
    result or drop it. An unchanged script comes back from the episode cache without any
    audio work. Audio goes through every stage in bounded blocks (the stitched PCM waits
    in a temporary file), so memory does not grow with the episode. *tail_ms* replaces
    the silence after the last segment (default 80 ms).
    """
    texts = [seg.spoken for section in script.sections for seg in section.segments]
    key = _episode_key(script, voice, settings.audio, music, tail_ms)
    cache = settings_cache(settings)
    if hit := _cached(cache, key, voice):
        logger.info("%s: unchanged, audio taken from the episode cache", label)
        return hit
    # Imported on a miss only: the audio modules bring scipy and LAME with them.
    from audiobrief.audio.master import master, passes
    from audiobrief.audio.stitch import Stitcher

    work = episode_cache.work_dir(cache)
    try:
        pcm_path, mp3_path = work / "track.pcm", work / "episode.mp3"
        tick = progress(label, len(texts)) if progress else None
        fell_back: list[str] = []
        with pcm_path.open("wb") as spill:
            stitcher = Stitcher(
                script,
                spill,
                sample_rate_hz=settings.sample_rate_hz,
                channels=settings.channels,
                **({} if tail_ms is None else {"tail_ms": tail_ms}),
            )
            for section in script.sections:  # section by section: a failure names its article
                for first in range(0, len(section.segments), _BATCH_SEGMENTS):
                    batch = section.segments[first : first + _BATCH_SEGMENTS]
                    for clip in _speak(script, section, batch, voice, fell_back, tick):
                        stitcher.add(clip)
            timeline = stitcher.finish()
        # The bar goes on through loudness and encoding, which take a while on long audio.
        frames = pcm_path.stat().st_size // (2 * settings.channels)
        blocks = passes(frames, normalize=settings.normalize_loudness)
        on_block = progress(f"{label}: loudness, MP3", blocks) if progress else None
        master(
            pcm_path,
            timeline,
            mp3_path,
            on_block=on_block,
            channels=settings.channels,
            bitrate_kbps=settings.bitrate_kbps,
            normalize=settings.normalize_loudness,
            music=music,
            music_gain_db=settings.music_gain_db,
        )
        pcm_path.unlink()
        # Audio with fallback clips is not kept: the next run should ask the voice again,
        # and its key names no voice (a briefing then speaks the story again, see made_by).
        kept = mp3_path
        if key and cache and not fell_back:
            kept = episode_cache.store(cache, key, mp3_path, timeline, front_end=voice.text_key)
        if cache:
            cache.save_size()
        if kept != mp3_path:
            shutil.rmtree(work, ignore_errors=True)
            return Rendered(kept, timeline, key)
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise
    rendered = Rendered(mp3_path, timeline, f"{key}:fell back" if key and fell_back else key)
    weakref.finalize(rendered, shutil.rmtree, work, ignore_errors=True)
    return rendered


def _speak(
    script: Script,
    section: Section,
    segments: Sequence[Segment],
    voice: Voice,
    fell_back: list[str],
    tick: Callable[[int], None] | None,
) -> list[AudioSegment]:
    try:
        return synthesize_all(
            voice.engine,
            [seg.spoken for seg in segments],
            fallback=_noting(voice.fallback, fell_back),
            on_clip=tick,
        )
    except EngineError as exc:
        reason, what = exc.reason, "this article was not published"
        if len(script.sections) > 1 or section.title != script.title:  # a briefing's part
            reason = f"could not speak «{section.title}» ({reason})"
            what = "nothing was published"
        raise EngineError(
            exc.engine,
            f"{reason}; {what}. Fix that article or leave it out, then run the command again.",
        ) from exc


def _episode_key(
    script: Script, voice: Voice, audio: AudioSettings, music: Path | None, tail_ms: int | None
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
            # The whole slice: an audio setting added to it cannot be left out of the key.
            "audio": dataclasses.asdict(audio),
            "music": music_id,
            "tail_ms": tail_ms,
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


@dataclass(frozen=True)
class Encoded:
    """An article's published audio, which a briefing joins instead of rendering it again."""

    mp3_path: Path
    timeline: Timeline


def cached_encoded(
    script: Script, voice: Voice, settings: Settings, *, same_front_end: bool = False
) -> Encoded | None:
    """The audio render() made for *script* with this voice and settings, if still cached.

    A hit proves the same voice, text and audio settings: the briefing can join it as is.
    With *same_front_end*, also that this voice's text front end made that script (the
    briefing then takes a story's words from the script instead of from its text).
    """
    key = _episode_key(script, voice, settings.audio, None, None)
    cache = settings_cache(settings)
    front_end = voice.text_key if same_front_end else None
    if key and cache and (hit := episode_cache.load(cache, key, front_end=front_end)):
        return Encoded(*hit)
    return None


def cached_render(script: Script, voice: Voice, settings: Settings) -> Rendered | None:
    """What render() gives an article episode of *script* from the episode cache, or None
    when it would have to synthesize."""
    key = _episode_key(script, voice, settings.audio, None, None)
    return _cached(settings_cache(settings), key, voice)


def _cached(cache: Cache | None, key: str | None, voice: Voice) -> Rendered | None:
    """The cached episode of *key*, its script noted as this voice's front end's (so a
    briefing may cut it: see cached_encoded; the entry is rewritten only when it differs)."""
    if key and cache and (hit := episode_cache.load(cache, key, made_by=voice.text_key)):
        return Rendered(*hit, key)
    return None


def episode_key(script: Script, voice: Voice, settings: Settings) -> str | None:
    """The key render() gives an article episode of *script* made now (see Rendered.key)."""
    return _episode_key(script, voice, settings.audio, None, None)
