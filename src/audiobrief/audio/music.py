"""Audio stage: an optional music bed under the intro and the outro of an episode."""

from __future__ import annotations

import importlib
import logging
from pathlib import Path

import numpy as np
from numpy.typing import NDArray
from pydub import AudioSegment
from pydub.exceptions import CouldntDecodeError

from audiobrief.audio.stitch import convert
from audiobrief.errors import AudioError
from audiobrief.model import Timeline, Track

logger = logging.getLogger(__name__)


def add_music_bed(
    track: Track,
    timeline: Timeline,
    music_path: Path,
    *,
    gain_db: float = -18.0,
    fade_ms: int = 1500,
) -> Track:
    """Mix *music_path* under the first and the last chapter of a whole track in memory.

    The one-block form of MusicBed (see there); timing does not change.

    Raises:
        AudioError: the file is missing or cannot be read (the `music` setting names it).
    """
    bed = MusicBed(
        music_path,
        timeline,
        sample_rate_hz=track.sample_rate_hz,
        channels=track.channels,
        frames=len(track.pcm) // (2 * track.channels),
        gain_db=gain_db,
        fade_ms=fade_ms,
    )
    if not bed.audible:
        return track
    samples = np.frombuffer(track.pcm, dtype="<i2").reshape(-1, track.channels)
    pcm = bed.mix(samples, 0).tobytes()
    return Track(pcm=pcm, sample_rate_hz=track.sample_rate_hz, channels=track.channels)


class MusicBed:
    """Music looped or cut under the first and the last chapter, faded in and out.

    Its peak is set to *gain_db* below full scale. Mix before loudness normalization,
    which then measures speech and music together. Mixing goes block by block at any
    position, so the episode never needs to be in memory; only the music is.
    """

    def __init__(
        self,
        music_path: Path,
        timeline: Timeline,
        *,
        sample_rate_hz: int,
        channels: int,
        frames: int,
        gain_db: float = -18.0,
        fade_ms: int = 1500,
    ) -> None:
        if fade_ms < 0:
            raise AudioError(f"fade_ms = {fade_ms}; a fade lasts 0 ms or more.")
        music = _load(music_path, sample_rate_hz, channels)
        peak = float(np.max(np.abs(music), initial=0.0))
        self._spans: list[tuple[int, int]] = []  # frames under music: [start, stop)
        self.audible = music.shape[0] > 0 and peak > 0.0 and bool(timeline.chapters)
        if not self.audible:
            logger.info("music bed %s is silent or the episode has no chapters", music_path)
            return
        self._bed = music * (32768.0 * 10.0 ** (gain_db / 20.0) / peak)  # peak at gain_db
        self._fade = fade_ms * sample_rate_hz // 1000
        ends = {timeline.chapters[0], timeline.chapters[-1]}  # one chapter: a bed under it once
        for chapter in sorted(ends, key=lambda c: c.start_ms):
            start = chapter.start_ms * sample_rate_hz // 1000
            stop = chapter.end_ms * sample_rate_hz // 1000
            if chapter.end_ms >= timeline.duration_ms:
                stop = frames  # the last millisecond's tail samples belong to it too
            self._spans.append((start, stop))
        logger.info("mixing music bed %s at %.1f dBFS", music_path, gain_db)

    def mix(self, samples: NDArray[np.int16], first_frame: int) -> NDArray[np.int16]:
        """*samples* (frames x channels, starting at stream frame *first_frame*) with music."""
        last = first_frame + samples.shape[0]
        if not any(start < last and first_frame < stop for start, stop in self._spans):
            return samples
        mixed = samples.astype(np.float64)
        for start, stop in self._spans:
            lo, hi = max(start, first_frame), min(stop, last)
            if lo < hi:
                part = self._slice(stop - start, lo - start, hi - start)
                mixed[lo - first_frame : hi - first_frame] += part
        return np.clip(np.rint(mixed), -32768, 32767).astype("<i2")

    def _slice(self, frames: int, lo: int, hi: int) -> NDArray[np.float64]:
        """Frames [lo, hi) of the bed looped to *frames*, with a raised-cosine fade."""
        offsets = np.arange(lo, hi)
        part = self._bed[offsets % self._bed.shape[0]]
        fade = min(self._fade, frames // 2)
        if fade > 0:
            # Fade in over the first *fade* frames, out over the last, as a mirror image.
            inward = np.minimum(offsets, frames - 1 - offsets)
            ramp = 0.5 - 0.5 * np.cos(np.pi * (np.minimum(inward, fade) + 0.5) / fade)
            part = part * np.where(inward < fade, ramp, 1.0)[:, np.newaxis]
        return np.asarray(part, dtype=np.float64)


def _load(path: Path, sample_rate_hz: int, channels: int) -> NDArray[np.float64]:
    """The music as float samples shaped (frames, channels) in the track's format."""
    if not path.is_file():
        raise AudioError(
            f"music file {str(path)!r} does not exist; fix the `music` setting or remove it."
        )
    if path.suffix.lower() == ".wav":
        try:
            with path.open("rb") as handle:  # pydub leaves a file it opened itself open
                clip = AudioSegment.from_wav(handle)
        except (CouldntDecodeError, OSError, ValueError, EOFError) as exc:
            raise AudioError(
                f"music file {str(path)!r} is not a WAV file pydub can read ({exc}); "
                "convert it to 16-bit PCM WAV or fix the `music` setting."
            ) from exc
        pcm = convert(clip, sample_rate_hz=sample_rate_hz, channels=channels)
    else:
        pcm = _decode_other(path, sample_rate_hz, channels)
    return np.frombuffer(pcm, dtype="<i2").reshape(-1, channels).astype(np.float64)


def _decode_other(path: Path, sample_rate_hz: int, channels: int) -> bytes:
    """MP3, FLAC or Ogg through the optional miniaudio decoder (no ffmpeg needed)."""
    try:
        miniaudio = importlib.import_module("miniaudio")
    except ImportError as exc:
        raise AudioError(
            f"music file {str(path)!r} is not WAV and the miniaudio decoder is not "
            "installed; convert the music to WAV (or pip install miniaudio)."
        ) from exc
    try:
        decoded = miniaudio.decode_file(
            str(path),
            output_format=miniaudio.SampleFormat.SIGNED16,
            nchannels=channels,
            sample_rate=sample_rate_hz,
        )
    except miniaudio.MiniaudioError as exc:
        raise AudioError(
            f"music file {str(path)!r} could not be decoded ({exc}); convert the music to WAV."
        ) from exc
    return bytes(decoded.samples.tobytes())
