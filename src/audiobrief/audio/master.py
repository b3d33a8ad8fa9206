"""Audio stage: stitched PCM on disk -> music bed, loudness, MP3, one block at a time."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np

from audiobrief.audio.encode import Mp3Writer
from audiobrief.audio.loudness import Sink, normalize_stream
from audiobrief.audio.meter import BLOCK_FRAMES, Block, to_float, to_int16
from audiobrief.audio.music import MusicBed
from audiobrief.model import Timeline

logger = logging.getLogger(__name__)

CEILING_DBTP = -1.0
"""The promise: true peak at or under -1 dBTP in the finished (decoded) MP3."""
CODEC_HEADROOM_DB = 1.0
"""Kept under the ceiling for the encoder: at 64 kbps LAME's lowpass and quantization
lift the true peak of a buzzy voice by about 0.5 dB over the PCM it was given (measured
with the tests' tone voice), so the PCM is limited to -2 dBTP."""


def master(
    pcm_path: Path,
    timeline: Timeline,
    mp3_path: Path,
    *,
    channels: int,
    bitrate_kbps: int,
    normalize: bool = True,
    music: Path | None = None,
    music_gain_db: float = -18.0,
    on_block: Callable[[int], None] | None = None,
) -> None:
    """Encode the 16-bit PCM file *pcm_path* (timed by *timeline*) to *mp3_path*.

    The PCM is read in blocks once to measure and once more per loudness pass (one,
    mostly); nothing holds more than a few blocks, so memory does not grow with the
    episode. Timing does not change: the Timeline stays exact. *on_block* is called
    with 1 after each block read (progress: `passes(...)` blocks in all, mostly).
    """
    rate = timeline.sample_rate_hz
    frame_bytes = 2 * channels
    bed = None
    if music is not None:
        frames = pcm_path.stat().st_size // frame_bytes
        bed = MusicBed(
            music,
            timeline,
            sample_rate_hz=rate,
            channels=channels,
            frames=frames,
            gain_db=music_gain_db,
        )

    def source() -> Iterator[Block]:
        with pcm_path.open("rb") as handle:
            first = 0
            while chunk := handle.read(BLOCK_FRAMES * frame_bytes):
                samples = np.frombuffer(chunk, dtype="<i2").reshape(-1, channels)
                if bed is not None and bed.audible:
                    samples = bed.mix(samples, first)
                first += samples.shape[0]
                yield to_float(samples)
                if on_block is not None:
                    on_block(1)

    with mp3_path.open("wb") as out:
        writers: list[Mp3Writer] = []

        def restart() -> Sink:
            out.seek(0)
            out.truncate()
            writers[:] = [
                Mp3Writer(out, sample_rate_hz=rate, channels=channels, bitrate_kbps=bitrate_kbps)
            ]
            return _writing(writers[0])

        if normalize:  # silent or very short audio goes through unchanged
            normalize_stream(
                source,
                rate,
                channels,
                restart=restart,
                ceiling_dbtp=CEILING_DBTP - CODEC_HEADROOM_DB,
            )
        else:
            sink = restart()
            for block in source():
                sink(to_int16(block))
        size = writers[0].close()
    logger.info("encoded %d ms at %d kbps: %d bytes", timeline.duration_ms, bitrate_kbps, size)


def passes(frames: int, *, normalize: bool) -> int:
    """How many blocks `master` reads for *frames* of audio, in the usual one gain pass."""
    blocks = -(-frames // BLOCK_FRAMES)
    return blocks * (2 if normalize else 1)


def _writing(writer: Mp3Writer) -> Sink:
    return lambda pcm: writer.write(pcm.tobytes())
