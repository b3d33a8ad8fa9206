"""Audio stage: a look-ahead limiter that holds a stream's true peak under a ceiling."""

from __future__ import annotations

from collections.abc import Iterator
from typing import NamedTuple

import numpy as np
from numpy.typing import NDArray

from audiobrief.audio.meter import BLOCK_FRAMES, Block, to_int16
from audiobrief.audio.truepeak import OVERSHOOT, envelope_above

_LIMITER_HALF_WINDOW_MS = 20  # gain reduction ramps in and out over about 20 ms


class Window(NamedTuple):
    """BLOCK_FRAMES of output (fewer at the end), at a multiple of BLOCK_FRAMES."""

    pcm: NDArray[np.int16]
    limited: bool
    """Whether the limiter changed it; if not, it is the input times the gain."""


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

    def add(self, block: Block) -> Iterator[Window]:
        """Take a block; yield the output windows it completed."""
        self._buffer = np.concatenate([self._buffer, block])
        end = self._buffer_start + self._buffer.shape[0]
        while end >= self._next + BLOCK_FRAMES + self._margin:
            yield self._window(self._next + BLOCK_FRAMES)

    def finish(self) -> Iterator[Window]:
        """Yield the rest, once the stream has ended."""
        end = self._buffer_start + self._buffer.shape[0]
        while self._next < end:
            yield self._window(min(end, self._next + BLOCK_FRAMES))

    def _window(self, stop: int) -> Window:
        buffer, start, base = self._buffer, self._next, self._buffer_start
        lo, hi = max(0, start - self._margin), min(base + buffer.shape[0], stop + self._margin)
        scaled = buffer[lo - base : hi - base] * self._gain
        core = slice(start - lo, stop - lo)
        limited, changed = scaled[core], False
        if float(np.max(np.abs(scaled), initial=0.0)) * OVERSHOOT > self._ceiling:
            envelope = envelope_above(scaled, self._ceiling)
            over = np.flatnonzero(envelope > self._ceiling)
            if over.size:
                smooth = self._gain_curve(envelope, over)[core]
                changed = bool(np.any(smooth < 1.0))  # not when only the margins were over
                limited = limited * smooth[:, np.newaxis].astype(np.float32)
        self._next = stop
        keep_from = max(0, stop - self._margin)  # the next window's look-behind
        self._buffer = buffer[keep_from - base :]
        self._buffer_start = keep_from
        return Window(to_int16(limited), changed)

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
