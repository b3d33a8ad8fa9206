"""Audio stage: BS.1770 loudness and true peak, measured block by block in bounded memory."""

from __future__ import annotations

import functools
import math
from array import array
from collections.abc import Iterable

import numpy as np
from numpy.typing import NDArray

Block = NDArray[np.float32]
"""Samples in [-1, 1), shaped (frames, channels)."""

OVERSAMPLING = 4  # BS.1770-4 Annex 2: true peak from a 4x oversampled signal
GATE_BLOCK_S = 0.4
_HOPS_PER_BLOCK = 4  # 400 ms blocks overlapping by 75%: a new block every 100 ms
_ABSOLUTE_GATE_LUFS = -70.0
_RELATIVE_GATE_LU = -10.0
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
    envelope: NDArray[np.float32] = np.max(np.abs(samples), axis=1).astype(np.float32)
    near = _running_max(envelope, 1, 2)
    wide = _running_max(envelope, _HALF_TAPS, _HALF_TAPS)
    chosen = np.flatnonzero(near * np.float32(_NEAR_SUM) + wide * np.float32(_FAR_SUM) > level)
    if chosen.size:
        envelope[chosen] = _interpolated_peaks(samples, chosen)
    return envelope


def _interpolated_peaks(samples: Block, chosen: NDArray[np.intp]) -> NDArray[np.float32]:
    """peak_envelope's values at the frames *chosen* (zeros beyond the ends, as there)."""
    best = np.zeros(chosen.size, dtype=np.float32)
    for channel in range(samples.shape[1]):
        column = np.pad(samples[:, channel].astype(np.float32), _HALF_TAPS)
        neighbours = np.lib.stride_tricks.sliding_window_view(column, 2 * _HALF_TAPS + 1)
        values = neighbours[chosen] @ _KERNELS
        np.maximum(best, np.abs(values).max(axis=1), out=best)
        np.maximum(best, np.abs(column[chosen + _HALF_TAPS]) * _CENTRE, out=best)
    return best


def _running_max(values: NDArray[np.float32], before: int, after: int) -> NDArray[np.float32]:
    """Per frame n, the largest of values[n - before .. n + after] (zeros beyond the ends)."""
    width = before + after + 1
    table = np.pad(values, (before, after))
    span = 1
    while 2 * span <= width:  # table[i] = max over [i, i + 2 * span): a doubling step
        table = np.maximum(table[:-span], table[span:])
        span *= 2
    count = values.shape[0]
    return np.maximum(table[:count], table[width - span : width - span + count])


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
            self._before = np.concatenate([self._before, self._pending])[-CONTEXT_FRAMES:]
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


def k_weighting(rate_hz: int) -> NDArray[np.float64]:
    """BS.1770's two K-weighting biquads (RBJ high shelf, then the RLB high-pass), as SOS."""
    sections = []
    for gain_db, q, fc, shelf in ((4.0, 1 / math.sqrt(2), 1500.0, True), (0.0, 0.5, 38.0, False)):
        a_lin = 10 ** (gain_db / 40.0)
        w0 = 2.0 * math.pi * fc / rate_hz
        alpha, cos = math.sin(w0) / (2.0 * q), math.cos(w0)
        if shelf:
            root = 2 * math.sqrt(a_lin) * alpha
            b = [
                a_lin * ((a_lin + 1) + (a_lin - 1) * cos + root),
                -2 * a_lin * ((a_lin - 1) + (a_lin + 1) * cos),
                a_lin * ((a_lin + 1) + (a_lin - 1) * cos - root),
            ]
            a = [
                (a_lin + 1) - (a_lin - 1) * cos + root,
                2 * ((a_lin - 1) - (a_lin + 1) * cos),
                (a_lin + 1) - (a_lin - 1) * cos - root,
            ]
        else:
            b = [(1 + cos) / 2, -(1 + cos), (1 + cos) / 2]
            a = [1 + alpha, -2 * cos, 1 - alpha]
        sections.append([x / a[0] for x in b] + [x / a[0] for x in a])
    return np.array(sections, dtype=np.float64)


class _KWeighting:
    """The K-weighting filter, run as a convolution with its impulse response.

    Its poles decay to 1e-17 within a few thousand samples, so the truncated response is
    the IIR filter to float64 precision; numpy's FFT then does without scipy.signal,
    whose import costs more than measuring a whole article. The input's last samples
    are kept from block to block, so blocks of any size give the whole-signal result.
    """

    def __init__(self, rate_hz: int, channels: int) -> None:
        self._rate_hz = rate_hz
        self._response = _impulse_response(rate_hz)
        self._history = np.zeros((self._response.size - 1, channels))

    def apply(self, block: Block) -> NDArray[np.float64]:
        taps, frames = self._response.size, block.shape[0]
        extended = np.concatenate([self._history, block.astype(np.float64)])
        self._history = extended[-(taps - 1) :]
        out = np.empty((frames, block.shape[1]))
        for channel in range(block.shape[1]):
            column = extended[:, channel]
            if frames * taps <= _DIRECT_LIMIT:
                out[:, channel] = np.convolve(column, self._response, mode="valid")
            else:
                size = _fft_size(column.size)
                spectrum = np.fft.rfft(column, size) * _response_spectrum(self._rate_hz, size)
                out[:, channel] = np.fft.irfft(spectrum, size)[taps - 1 : taps - 1 + frames]
        return out


_DIRECT_LIMIT = 1 << 20  # below this many multiplications a direct convolution is quicker


@functools.lru_cache(maxsize=64)
def _fft_size(count: int) -> int:
    """The smallest 2^a * 3^b * 5^c at or over *count*: pocketfft's quick lengths.

    A block plus the filter's history is just over a power of two, so rounding up to the
    next power would double the transform (about 3x slower than 9 * 2^13 for 3 s blocks).
    """
    best = 1 << (count - 1).bit_length()
    three = 1
    while three < best:
        five = three
        while five < best:
            size = five << max(0, (count - 1) // five).bit_length()  # five * 2^k >= count
            best = min(best, size)
            five *= 5
        three *= 3
    return best


@functools.cache
def _impulse_response(rate_hz: int) -> NDArray[np.float64]:
    """K-weighting's impulse response, cut where it has decayed below 1e-17."""
    sos = k_weighting(rate_hz)
    values: list[float] = []
    states = [[0.0, 0.0] for _ in sos]
    quiet = 0
    for n in range(1 << 18):
        x = 1.0 if n == 0 else 0.0
        for (b0, b1, b2, _, a1, a2), state in zip(sos.tolist(), states, strict=True):
            y = b0 * x + state[0]  # transposed direct form II, as lfilter runs it
            state[0] = b1 * x - a1 * y + state[1]
            state[1] = b2 * x - a2 * y
            x = y
        values.append(x)
        quiet = quiet + 1 if abs(x) < 1e-17 else 0
        if quiet == 64:
            break
    return np.array(values[: len(values) - quiet + 1])


@functools.lru_cache(maxsize=8)
def _response_spectrum(rate_hz: int, size: int) -> NDArray[np.complex128]:
    return np.fft.rfft(_impulse_response(rate_hz), size)


class LoudnessMeter:
    """Integrated loudness (ITU-R BS.1770-4, gated) of a stream fed in blocks of any size.

    The K-weighting filters keep their state from block to block, and only one sum of
    squares per channel and 100 ms is kept (about 1 MB for four hours), so the result is
    the whole-signal figure without the whole signal in memory.
    """

    def __init__(self, rate_hz: int, channels: int) -> None:
        self.rate_hz, self.channels = rate_hz, channels
        self.frames = 0
        self._filter = _KWeighting(rate_hz, channels)
        # Sum of squares per 100 ms, channels interleaved: 8 bytes a value, not an object.
        self._hops = array("d")
        self._partial = np.zeros(channels)
        self._hop_end = self._boundary(1)

    def add(self, block: Block) -> None:
        if block.shape[0] == 0:
            return
        filtered = self._filter.apply(block)
        squares = np.square(filtered)
        start, used = self.frames, 0
        self.frames += block.shape[0]
        while used < block.shape[0]:
            take = min(block.shape[0] - used, self._hop_end - (start + used))
            self._partial += np.sum(squares[used : used + take], axis=0)
            used += take
            if start + used == self._hop_end:
                self._hops.extend(self._partial.tolist())
                self._partial = np.zeros(self.channels)
                self._hop_end = self._boundary(len(self._hops) // self.channels + 1)

    def integrated_lufs(self) -> float:
        """Gated loudness of everything added (-inf when silent); ValueError under 400 ms."""
        seconds = self.frames / self.rate_hz
        if seconds < GATE_BLOCK_S:
            raise ValueError(f"{seconds:.3f} s is shorter than one 400 ms gating block")
        done = np.frombuffer(self._hops, dtype=np.float64).reshape(-1, self.channels)
        hops = np.concatenate([done, self._partial[np.newaxis]])
        # As many blocks as pyloudnorm counts: the last may reach past the end.
        count = int(np.round((seconds - GATE_BLOCK_S) / (GATE_BLOCK_S / _HOPS_PER_BLOCK))) + 1
        padded = np.zeros((count + _HOPS_PER_BLOCK, self.channels))
        padded[: min(len(hops), len(padded))] = hops[: len(padded)]
        sums = sum(padded[k : k + count] for k in range(_HOPS_PER_BLOCK))
        z = np.asarray(sums) / (GATE_BLOCK_S * self.rate_hz)  # mean square, block x channel
        power = np.sum(z, axis=1)  # channel weights are 1.0 for mono and stereo
        with np.errstate(divide="ignore"):
            block_lufs = -0.691 + 10.0 * np.log10(power)
        gated = block_lufs >= _ABSOLUTE_GATE_LUFS
        if not np.any(gated):
            return float("-inf")
        relative = -0.691 + 10.0 * np.log10(np.sum(np.mean(z[gated], axis=0)))
        kept = gated & (block_lufs > relative + _RELATIVE_GATE_LU)
        if not np.any(kept):
            return float("-inf")
        return float(-0.691 + 10.0 * np.log10(np.sum(np.mean(z[kept], axis=0))))

    def _boundary(self, hop: int) -> int:
        """First frame of 100 ms hop *hop*, counted in whole frames from the start."""
        return hop * self.rate_hz // 10


def measure_blocks(blocks: Iterable[Block], rate_hz: int, channels: int) -> tuple[float, float]:
    """Integrated LUFS and linear true peak of a stream of blocks."""
    loudness, peak = LoudnessMeter(rate_hz, channels), TruePeakMeter(channels)
    for block in blocks:
        loudness.add(block)
        peak.add(block)
    return loudness.integrated_lufs(), peak.result()
