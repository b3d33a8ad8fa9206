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
    """Mix *music_path* under the first and the last chapter, faded in and out.

    The music is looped or cut to each chapter's length and its peak set to *gain_db*
    below full scale. Timing does not change, so *timeline* stays valid. Mix before
    loudness normalization, which then measures speech and music together.

    Raises:
        AudioError: the file is missing or cannot be read (the `music` setting names it).
    """
    if fade_ms < 0:
        raise AudioError(f"fade_ms = {fade_ms}; a fade lasts 0 ms or more.")
    music = _load(music_path, track.sample_rate_hz, track.channels)
    peak = float(np.max(np.abs(music), initial=0.0))
    if music.shape[0] == 0 or peak == 0.0 or not timeline.chapters:
        logger.info("music bed %s is silent or the episode has no chapters; none added", music_path)
        return track
    bed = music * (32768.0 * 10.0 ** (gain_db / 20.0) / peak)  # peak at gain_db dBFS
    samples = np.frombuffer(track.pcm, dtype="<i2").reshape(-1, track.channels)
    mixed = samples.astype(np.float64)
    ends = {timeline.chapters[0], timeline.chapters[-1]}  # one chapter: a bed under it once
    for chapter in sorted(ends, key=lambda c: c.start_ms):
        start = chapter.start_ms * track.sample_rate_hz // 1000
        stop = chapter.end_ms * track.sample_rate_hz // 1000
        if chapter.end_ms >= timeline.duration_ms:
            stop = samples.shape[0]  # the last millisecond's tail samples belong to it too
        mixed[start:stop] += _fit(bed, stop - start, fade_ms * track.sample_rate_hz // 1000)
    pcm = np.clip(np.rint(mixed), -32768, 32767).astype("<i2").tobytes()
    logger.info("mixed music bed %s at %.1f dBFS", music_path, gain_db)
    return Track(pcm=pcm, sample_rate_hz=track.sample_rate_hz, channels=track.channels)


def _fit(bed: NDArray[np.float64], frames: int, fade_frames: int) -> NDArray[np.float64]:
    """*bed* looped or cut to *frames*, with a raised-cosine fade in and out."""
    if frames <= 0:
        return np.zeros((0, bed.shape[1]))
    repeats = -(-frames // bed.shape[0])
    fitted = np.tile(bed, (repeats, 1))[:frames]
    fade = min(fade_frames, frames // 2)
    if fade > 0:
        ramp = 0.5 - 0.5 * np.cos(np.pi * (np.arange(fade) + 0.5) / fade)
        fitted[:fade] *= ramp[:, np.newaxis]
        fitted[frames - fade :] *= ramp[::-1, np.newaxis]
    return fitted


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
