"""Audio stage: bring a stream to the podcast loudness targets under a true-peak ceiling.

Everything works on blocks: a pass reads the stitched audio again from its start (a
spill file on disk), so an hour costs the same memory as a minute.
"""

from __future__ import annotations

import io
import logging
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np
from numpy.typing import NDArray

from audiobrief.audio.limiter import Limiter, Window
from audiobrief.audio.meter import (
    BLOCK_FRAMES,
    Block,
    HopSums,
    LoudnessMeter,
    to_float,
    to_int16,
)
from audiobrief.audio.truepeak import TruePeakMeter
from audiobrief.errors import AudioError
from audiobrief.model import Track

logger = logging.getLogger(__name__)

MONO_TARGET_LUFS = -19.0
STEREO_TARGET_LUFS = -16.0
"""Apple's podcast targets: -16 LUFS integrated (stereo), about -19 LUFS for mono."""
MIN_DURATION_MS = 400
"""BS.1770 gates 400 ms blocks; a shorter track has no integrated loudness."""
Source = Callable[[], Iterator[Block]]
"""Each call reads the whole stream again from its start, block by block."""
Sink = Callable[[NDArray[np.int16]], None]

_LIMITER_MARGIN_DB = 0.1  # aim under the ceiling: rounding to 16 bits moves peaks a little
_CHECK_BELOW_DB = 3.0  # the output's true peak is oversampled only this close to the ceiling
_TOLERANCE_LU = 0.2  # re-gain until this close, well inside the promise
_PROMISE_LU = 0.5
_MAX_PASSES = 8
_MAX_LIMITING_DB = 6.0  # gain beyond the plain one, to make up for what the limiter took


@dataclass(frozen=True)
class Loudness:
    """What a track measures: integrated loudness and true peak (-inf when silent)."""

    integrated_lufs: float
    true_peak_dbtp: float


def measure(track: Track) -> Loudness:
    """Integrated loudness (BS.1770-4) and 4x-oversampled true peak of a whole track.

    Raises:
        AudioError: the track is shorter than one 400 ms measuring block.
    """
    if track.duration_ms < MIN_DURATION_MS:
        raise AudioError(
            f"a {track.duration_ms} ms track is too short to measure loudness; "
            f"BS.1770 needs at least {MIN_DURATION_MS} ms of audio."
        )
    lufs, peak = measure_blocks(track_blocks(track)(), track.sample_rate_hz, track.channels)
    return Loudness(integrated_lufs=lufs, true_peak_dbtp=_db(peak))


def normalize(
    track: Track, *, target_lufs: float | None = None, ceiling_dbtp: float = -1.0
) -> Track:
    """Gain to *target_lufs* (default -19 LUFS mono, -16 stereo), true peak <= *ceiling_dbtp*.

    The whole-track form of normalize_stream; silent tracks and tracks under 400 ms come
    back unchanged. The same input always gives the same bytes.
    """
    out = io.BytesIO()

    def restart() -> Sink:
        out.seek(0)
        out.truncate()

        def write(pcm: NDArray[np.int16]) -> None:
            out.write(pcm.tobytes())

        return write

    level = normalize_stream(
        track_blocks(track),
        track.sample_rate_hz,
        track.channels,
        restart=restart,
        target_lufs=target_lufs,
        ceiling_dbtp=ceiling_dbtp,
    )
    if level is None:
        return track
    return Track(pcm=out.getvalue(), sample_rate_hz=track.sample_rate_hz, channels=track.channels)


class Measured(NamedTuple):
    """What the first pass measured of one block: its first frame, its length, its sums.

    Kept for every block, for the limit passes (a few hundred bytes a block: 1.6 MB for
    four hours, beside the meter's own 1 MB).
    """

    start: int
    frames: int
    sums: HopSums


def normalize_stream(
    source: Source,
    rate_hz: int,
    channels: int,
    *,
    restart: Callable[[], Sink],
    target_lufs: float | None = None,
    ceiling_dbtp: float = -1.0,
) -> Loudness | None:
    """Measure *source*, then gain and limit it into a fresh sink until the targets are met.

    `restart()` empties the output and returns where 16-bit blocks go; it is called once
    per pass (one pass unless the limiter took enough loudness off to need another).
    Returns what the output measures, or None when the audio went out unchanged (silent,
    or under 400 ms).
    """
    if target_lufs is None:
        target_lufs = MONO_TARGET_LUFS if channels == 1 else STEREO_TARGET_LUFS
    meter = LoudnessMeter(rate_hz, channels)
    first = [Measured(meter.frames, block.shape[0], meter.add(block)) for block in source()]
    measured = float("-inf")
    if meter.frames * 1000 // rate_hz >= MIN_DURATION_MS:
        measured = meter.integrated_lufs()
    if not np.isfinite(measured):
        logger.info("audio is silent or under %d ms; loudness left as is", MIN_DURATION_MS)
        sink = restart()
        for block in source():
            sink(to_int16(block))
        return None
    aim_dbtp = ceiling_dbtp - _LIMITER_MARGIN_DB
    gain_db = target_lufs - measured
    tried = (0.0, measured)
    for _ in range(_MAX_PASSES):
        level = _limit_pass(
            source,
            first,
            restart(),
            gain_db,
            aim_dbtp,
            ceiling_dbtp,
            rate_hz=rate_hz,
            channels=channels,
        )
        reached, peak_dbtp = level.integrated_lufs, level.true_peak_dbtp
        if abs(reached - target_lufs) <= _TOLERANCE_LU and peak_dbtp <= ceiling_dbtp:
            break
        # The limiter took loudness off the peaks, so a dB of gain now adds less than a dB:
        # step by the slope seen between the last two tries (a secant step).
        slope = (reached - tried[1]) / (gain_db - tried[0]) if gain_db != tried[0] else 1.0
        tried = (gain_db, reached)
        step_db = (target_lufs - reached) / max(slope, 0.1)
        # Past a few dB of limiting, more gain only squashes speech and lifts the noise floor.
        gain_db = min(gain_db + step_db, target_lufs - measured + _MAX_LIMITING_DB)
        if gain_db == tried[0] and peak_dbtp <= ceiling_dbtp:
            break  # already at the most gain allowed: another pass would change nothing
        aim_dbtp -= max(0.0, peak_dbtp - ceiling_dbtp)  # a peak got through: aim lower
    if abs(reached - target_lufs) > _PROMISE_LU or peak_dbtp > ceiling_dbtp:
        logger.warning(
            "loudness reached %.1f LUFS (target %.1f), true peak %.1f dBTP (ceiling %.1f); "
            "the speech is too peaky for that target: lower the target or raise the ceiling",
            reached,
            target_lufs,
            peak_dbtp,
            ceiling_dbtp,
        )
    logger.info("loudness %.1f LUFS -> %.1f LUFS (target %.1f)", measured, reached, target_lufs)
    return level


def track_blocks(track: Track) -> Source:
    """A Source over a whole track held in memory."""
    samples = np.frombuffer(track.pcm, dtype="<i2")
    samples = samples[: samples.size - samples.size % track.channels].reshape(-1, track.channels)

    def blocks() -> Iterator[Block]:
        for start in range(0, samples.shape[0], BLOCK_FRAMES):
            yield to_float(samples[start : start + BLOCK_FRAMES])

    return blocks


def _limit_pass(
    source: Source,
    first: list[Measured],
    sink: Sink,
    gain_db: float,
    aim_dbtp: float,
    ceiling_dbtp: float,
    *,
    rate_hz: int,
    channels: int,
) -> Loudness:
    """One pass: gain, limit, write, and measure what was written.

    The limiter leaves most windows alone (a few in a minute of speech reach the ceiling);
    such a window is the input times the gain, so its loudness sums are the first pass's
    times the gain squared. Only the windows it changed, and the one after each (the
    K-weighting's memory reaches 160 ms into it), are filtered again.
    """
    ceiling = 10.0 ** (ceiling_dbtp / 20.0)
    gain = float(np.float32(10.0 ** (gain_db / 20.0)))  # what the limiter multiplies by
    limiter = Limiter(gain, 10.0 ** (aim_dbtp / 20.0), rate_hz, channels)
    meter = LoudnessMeter(rate_hz, channels)
    peak = TruePeakMeter(channels, floor=ceiling * 10.0 ** (-_CHECK_BELOW_DB / 20.0))
    after_limited = False

    def emit(window: Window) -> None:
        nonlocal after_limited
        sink(window.pcm)
        heard = to_float(window.pcm)
        k = meter.frames // BLOCK_FRAMES
        same = k < len(first) and first[k][:2] == (meter.frames, heard.shape[0])
        if same and not (window.limited or after_limited):
            meter.add_scaled(heard, first[k].sums, gain * gain)
        else:
            meter.add(heard)
        after_limited = window.limited
        peak.add(heard)

    for block in source():
        for window in limiter.add(block):
            emit(window)
    for window in limiter.finish():
        emit(window)
    return Loudness(meter.integrated_lufs(), _db(peak.result()))


def _db(amplitude: float) -> float:
    return float(20.0 * np.log10(amplitude)) if amplitude > 0 else float("-inf")


def measure_blocks(blocks: Iterable[Block], rate_hz: int, channels: int) -> tuple[float, float]:
    """Integrated LUFS and linear true peak of a stream of blocks."""
    loudness, peak = LoudnessMeter(rate_hz, channels), TruePeakMeter(channels)
    for block in blocks:
        loudness.add(block)
        peak.add(block)
    return loudness.integrated_lufs(), peak.result()
