"""Audio stage: bring a stream to the podcast loudness targets under a true-peak ceiling.

Everything works on blocks: a pass reads the stitched audio again from its start (a
spill file on disk), so an hour costs the same memory as a minute.
"""

from __future__ import annotations

import io
import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from audiobrief.audio.meter import (
    OVERSHOOT,
    Block,
    LoudnessMeter,
    TruePeakMeter,
    envelope_above,
    measure_blocks,
)
from audiobrief.errors import AudioError
from audiobrief.model import Track

logger = logging.getLogger(__name__)

MONO_TARGET_LUFS = -19.0
STEREO_TARGET_LUFS = -16.0
"""Apple's podcast targets: -16 LUFS integrated (stereo), about -19 LUFS for mono."""
MIN_DURATION_MS = 400
"""BS.1770 gates 400 ms blocks; a shorter track has no integrated loudness."""
BLOCK_FRAMES = 1 << 16
"""Frames per block through every pass (3 s at 22.05 kHz)."""

Source = Callable[[], Iterator[Block]]
"""Each call reads the whole stream again from its start, block by block."""
Sink = Callable[[NDArray[np.int16]], None]

_LIMITER_HALF_WINDOW_MS = 20  # gain reduction ramps in and out over about 20 ms
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
    for block in source():
        meter.add(block)
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
        level = _limit_pass(source, restart(), rate_hz, channels, gain_db, aim_dbtp, ceiling_dbtp)
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


def to_float(samples: NDArray[np.int16]) -> Block:
    """16-bit samples as floats in [-1, 1)."""
    return samples.astype(np.float32) / np.float32(32768.0)


def _limit_pass(
    source: Source,
    sink: Sink,
    rate_hz: int,
    channels: int,
    gain_db: float,
    aim_dbtp: float,
    ceiling_dbtp: float,
) -> Loudness:
    """One pass: gain, limit, write, and measure what was written."""
    ceiling = 10.0 ** (ceiling_dbtp / 20.0)
    limiter = Limiter(10.0 ** (gain_db / 20.0), 10.0 ** (aim_dbtp / 20.0), rate_hz, channels)
    meter = LoudnessMeter(rate_hz, channels)
    peak = TruePeakMeter(channels, floor=ceiling * 10.0 ** (-_CHECK_BELOW_DB / 20.0))

    def emit(pcm: NDArray[np.int16]) -> None:
        sink(pcm)
        heard = to_float(pcm)
        meter.add(heard)
        peak.add(heard)

    for block in source():
        for pcm in limiter.add(block):
            emit(pcm)
    for pcm in limiter.finish():
        emit(pcm)
    return Loudness(meter.integrated_lufs(), _db(peak.result()))


class Limiter:
    """Gain, then a look-ahead limiter that holds the true peak under a ceiling.

    It works on windows of BLOCK_FRAMES with a margin either side (the look-ahead), at
    fixed positions from the start of the stream: the output does not depend on how the
    input was cut into blocks, and memory is a few windows whatever the length.
    """

    def __init__(self, gain: float, ceiling: float, rate_hz: int, channels: int) -> None:
        self._gain, self._ceiling = np.float32(gain), ceiling
        self._half = max(2, rate_hz * _LIMITER_HALF_WINDOW_MS // 1000)
        self._box = 2 * (self._half // 2) + 1  # odd: two passes reach no further than half
        self._margin = 2 * self._half + 64  # the interpolation needs 10 more frames
        self._buffer: Block = np.zeros((0, channels), dtype=np.float32)
        self._buffer_start = 0  # stream frame of _buffer[0]
        self._next = 0  # stream frame where the next output window starts

    def add(self, block: Block) -> Iterator[NDArray[np.int16]]:
        """Take a block; yield the output windows it completed."""
        self._buffer = np.concatenate([self._buffer, block])
        end = self._buffer_start + self._buffer.shape[0]
        while end >= self._next + BLOCK_FRAMES + self._margin:
            yield self._window(self._next + BLOCK_FRAMES)

    def finish(self) -> Iterator[NDArray[np.int16]]:
        """Yield the rest, once the stream has ended."""
        end = self._buffer_start + self._buffer.shape[0]
        while self._next < end:
            yield self._window(min(end, self._next + BLOCK_FRAMES))

    def _window(self, stop: int) -> NDArray[np.int16]:
        buffer, start, base = self._buffer, self._next, self._buffer_start
        lo, hi = max(0, start - self._margin), min(base + buffer.shape[0], stop + self._margin)
        scaled = buffer[lo - base : hi - base] * self._gain
        core = slice(start - lo, stop - lo)
        limited = scaled[core]
        if float(np.max(np.abs(scaled), initial=0.0)) * OVERSHOOT > self._ceiling:
            envelope = envelope_above(scaled, self._ceiling)
            over = np.flatnonzero(envelope > self._ceiling)
            if over.size:
                smooth = self._gain_curve(envelope, over)
                limited = limited * smooth[core, np.newaxis].astype(np.float32)
        self._next = stop
        keep_from = max(0, stop - self._margin)  # the next window's look-behind
        self._buffer = buffer[keep_from - base :]
        self._buffer_start = keep_from
        return to_int16(limited)

    def _gain_curve(self, envelope: NDArray[np.float32], over: NDArray[np.intp]) -> Gains:
        """The gain per frame: 1 but within 2 x half of the frames *over* the ceiling.

        The gain each frame may have, the lowest of those within +/-half, then two centred
        moving averages half as wide: each average mixes only gains at or under the one
        needed where it lands, so the smooth curve never overshoots. Frames farther than
        2 x half from every frame over the ceiling keep 1, so the curve is worked out
        only around each cluster of them (a few in a minute of speech), not on the whole
        window: the same curve, since 1s pad a cluster's range as they surround it.
        """
        reach = 2 * self._half  # half + 2 * (box // 2): how far a frame over reaches
        curve = np.ones(envelope.shape[0])
        cut = np.flatnonzero(np.diff(over) > 2 * reach) + 1
        firsts, lasts = over[np.r_[0, cut]].tolist(), over[np.r_[cut - 1, over.size - 1]].tolist()
        for first, last in zip(firsts, lasts, strict=True):
            lo, hi = max(0, first - reach), min(envelope.shape[0], last + reach + 1)
            needed = np.minimum(1.0, self._ceiling / np.maximum(envelope[lo:hi], 1e-12))
            held = _running_min(needed, 2 * self._half + 1)
            curve[lo:hi] = _box(_box(held, self._box), self._box)
        return curve


Gains = NDArray[np.float64]


def _running_min(values: NDArray[np.floating], size: int) -> NDArray[np.float64]:
    """Centred minimum over *size* (odd) frames, edges repeated (van Herk / Gil-Werman)."""
    half, count = size // 2, values.shape[0]
    padded = np.pad(values.astype(np.float64), (half, half), mode="edge")
    whole = -(-padded.shape[0] // size) * size
    blocks = np.pad(padded, (0, whole - padded.shape[0]), constant_values=np.inf)
    blocks = blocks.reshape(-1, size)
    prefix = np.minimum.accumulate(blocks, axis=1).ravel()
    suffix = np.minimum.accumulate(blocks[:, ::-1], axis=1)[:, ::-1].ravel()
    return np.minimum(suffix[:count], prefix[size - 1 : size - 1 + count])


def _box(values: NDArray[np.float64], size: int) -> NDArray[np.float64]:
    """Centred moving average over *size* (odd) frames, edges repeated."""
    half = size // 2
    padded = np.pad(values, (half, half), mode="edge")
    sums = np.concatenate([[0.0], np.cumsum(padded)])
    return np.asarray((sums[size:] - sums[:-size]) / size, dtype=np.float64)


def to_int16(block: Block) -> NDArray[np.int16]:
    """Floats in [-1, 1) as 16-bit samples, rounded and clipped."""
    rounded = np.clip(np.rint(block * np.float32(32768.0)), -32768, 32767)
    return np.asarray(rounded, dtype="<i2")


def _db(amplitude: float) -> float:
    return float(20.0 * np.log10(amplitude)) if amplitude > 0 else float("-inf")
