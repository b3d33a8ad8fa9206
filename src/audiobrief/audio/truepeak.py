"""Audio stage: the true peak (BS.1770-4 Annex 2), checked only where it could matter."""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from audiobrief.audio.meter import Block

OVERSAMPLING = 4  # BS.1770-4 Annex 2: true peak from a 4x oversampled signal
_HALF_TAPS = 10  # interpolation filter reaches 10 input frames either side


def _interpolation_taps() -> NDArray[np.float64]:
    """The Kaiser-windowed sinc (beta 5) that scipy's resample_poly uses for 4x, in numpy.

    Written out here so that measuring a peak needs no scipy import (it costs more than
    a cached article's whole run).
    """
    count = 2 * _HALF_TAPS * OVERSAMPLING + 1
    n = np.arange(count) - (count - 1) / 2
    taps = np.sinc(n / OVERSAMPLING) * np.kaiser(count, 5.0)
    return np.asarray(taps / np.sum(taps) * OVERSAMPLING, dtype=np.float64)


_TAPS = _interpolation_taps()
_PHASES = [_TAPS[p::OVERSAMPLING].astype(np.float32) for p in range(OVERSAMPLING)]
_CENTRE = np.float32(_TAPS[_HALF_TAPS * OVERSAMPLING])
OVERSHOOT = max(float(np.sum(np.abs(phase))) for phase in _PHASES)
"""No oversampled value exceeds the largest nearby sample by more than this factor, so a
block whose sample peak times OVERSHOOT stays under a level needs no oversampling."""
CONTEXT_FRAMES = 2 * _HALF_TAPS  # frames either side that make a block's envelope exact


def peak_envelope(samples: Block) -> NDArray[np.float32]:
    """Per frame, the largest 4x-oversampled magnitude over its channels and sub-samples.

    Frames within CONTEXT_FRAMES of either end see zeros beyond them, as at the ends of
    a whole signal; give a block with that much context to get its inner frames exact.
    """
    frames = samples.shape[0]
    envelope = np.zeros(frames, dtype=np.float32)
    for channel in range(samples.shape[1]):
        column = samples[:, channel].astype(np.float32)  # float32 convolves twice as fast
        # Phase 0 lands on the samples: its other taps are sinc zeros, so it is a scaling.
        np.maximum(envelope, np.abs(column) * _CENTRE, out=envelope)
        for phase in _PHASES[1:]:
            # Sub-sample p of frame n is sum_k h[4k + p] x[n + 10 - k]: a plain convolution.
            values = np.convolve(column, phase)[_HALF_TAPS : _HALF_TAPS + frames]
            np.maximum(envelope, np.abs(values), out=envelope)
    return envelope


# Per phase, the sum of |taps| on the four frames around a sub-sample (n-1 .. n+2) and on
# the other seventeen: |sub-sample| <= NEAR * (peak of those four) + FAR * (peak of all 21).
# Near a loud sample the far taps add little, so the bound is tight where speech peaks
# (OVERSHOOT alone is 7 dB over the sample peak). A hair over 1 covers float32 rounding.
_NEAR_SUM = 1.0001 * max(float(np.sum(np.abs(phase[8:12]))) for phase in _PHASES)
_FAR_SUM = 1.0001 * max(
    float(np.sum(np.abs(phase))) - float(np.sum(np.abs(phase[8:12]))) for phase in _PHASES
)
# The three sub-sample filters as the columns of one matrix over a frame's neighbours in
# order, n-10 .. n+10 (they reach n-9 .. n+10): chosen frames are one matrix product.
_KERNELS = np.stack([np.concatenate([[0.0], phase[::-1]]) for phase in _PHASES[1:]], axis=1)
_KERNELS = _KERNELS.astype(np.float32)


def envelope_above(samples: Block, level: float) -> NDArray[np.float32]:
    """peak_envelope where it could exceed *level*; elsewhere each frame's sample peak.

    Speech comes near its ceiling in few places: per frame, a bound from the nearby
    sample peaks picks the frames whose interpolated values could reach *level*, and
    only those are interpolated. Where the result is not the envelope, both are under
    *level*, so a limiter or a meter that only cares above it sees the same thing.
    """
    if samples.shape[1] == 1:  # mono: no reduction over channels
        envelope: NDArray[np.float32] = np.abs(samples[:, 0]).astype(np.float32)
    else:
        envelope = np.max(np.abs(samples), axis=1).astype(np.float32)
    near, wide = _near_and_wide(envelope)
    chosen = np.flatnonzero(near * np.float32(_NEAR_SUM) + wide * np.float32(_FAR_SUM) > level)
    if chosen.size:
        envelope[chosen] = _interpolated_peaks(samples, chosen)
    return envelope


def _interpolated_peaks(samples: Block, chosen: NDArray[np.intp]) -> NDArray[np.float32]:
    """peak_envelope's values at the frames *chosen* (zeros beyond the ends, as there)."""
    best = np.zeros(chosen.size, dtype=np.float32)
    # Zeros beyond the ends only when a chosen frame is that near one (a copy otherwise).
    edge = chosen[0] < _HALF_TAPS or chosen[-1] >= samples.shape[0] - _HALF_TAPS
    pad = _HALF_TAPS if edge else 0
    for channel in range(samples.shape[1]):
        column = samples[:, channel].astype(np.float32, copy=False)
        if edge:
            column = np.pad(column, _HALF_TAPS)
        neighbours = np.lib.stride_tricks.sliding_window_view(column, 2 * _HALF_TAPS + 1)
        values = neighbours[chosen + (pad - _HALF_TAPS)] @ _KERNELS
        np.maximum(best, np.abs(values).max(axis=1), out=best)
        np.maximum(best, np.abs(column[chosen + pad]) * _CENTRE, out=best)
    return best


def _near_and_wide(envelope: NDArray[np.float32]) -> tuple[NDArray[np.float32], ...]:
    """Per frame n, the largest of envelope[n-1 .. n+2] and of envelope[n-10 .. n+10]
    (zeros beyond the ends), by doubling: max over 2, 4, 8, 16 frames, then two 16s."""
    count, half = envelope.shape[0], _HALF_TAPS
    table = np.pad(envelope, (half, half))  # frame n at n + half
    pairs = np.maximum(table[:-1], table[1:])  # [i, i + 2)
    fours = np.maximum(pairs[:-2], pairs[2:])  # [i, i + 4)
    near = fours[half - 1 : half - 1 + count]  # n - 1 .. n + 2
    eights = np.maximum(fours[:-4], fours[4:])
    sixteens = np.maximum(eights[:-8], eights[8:])  # [i, i + 16): two cover 21 frames
    wide = np.maximum(sixteens[:count], sixteens[5 : 5 + count])
    return near, wide


class TruePeakMeter:
    """The largest 4x-oversampled magnitude of a stream fed in blocks of any size.

    Only blocks whose sample peak could beat max(best so far, *floor*) are oversampled:
    loud speech sits well under the ceiling most of the time, so most blocks are skipped.
    """

    def __init__(self, channels: int, *, floor: float = 0.0) -> None:
        self._floor = floor
        self._best = 0.0
        self._before = np.zeros((0, channels), dtype=np.float32)  # context behind _pending
        self._pending: Block | None = None  # waits for the frames after it

    def add(self, block: Block) -> None:
        if block.shape[0] == 0:
            return
        if self._pending is not None:
            self._check(self._pending, block[:CONTEXT_FRAMES])
            self._before = _last(self._before, self._pending, CONTEXT_FRAMES)
        self._pending = block

    def result(self) -> float:
        """The true peak (linear) of everything added; call once, at the end."""
        if self._pending is not None:
            self._check(self._pending, self._pending[:0])
            self._pending = None
        return self._best

    def _check(self, block: Block, after: Block) -> None:
        peak = float(np.max(np.abs(block)))
        self._best = max(self._best, peak)  # phase 0 of the interpolation is the samples
        if peak * OVERSHOOT <= max(self._best, self._floor):
            return
        window = np.concatenate([self._before, block, after])
        level = max(self._best, self._floor)
        envelope = envelope_above(window, level)
        core = envelope[len(self._before) : len(self._before) + block.shape[0]]
        self._best = max(self._best, float(np.max(core)))


def _last(earlier: Block, later: Block, frames: int) -> Block:
    """The last *frames* frames of *earlier* then *later*, copying only those."""
    if later.shape[0] >= frames:
        return later[-frames:].copy()
    return np.concatenate([earlier, later])[-frames:]
