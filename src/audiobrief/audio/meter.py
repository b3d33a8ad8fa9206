"""Audio stage: BS.1770 loudness, measured block by block in bounded memory."""

from __future__ import annotations

import functools
import math
from array import array

import numpy as np
from numpy.typing import NDArray

Block = NDArray[np.float32]
"""Samples in [-1, 1), shaped (frames, channels)."""
BLOCK_FRAMES = 1 << 16
"""Frames per block through every pass (3 s at 22.05 kHz)."""
HopSums = NDArray[np.float64]
"""Sums of K-weighted squares, one row per 100 ms hop a block reaches into, by channel."""


def to_float(samples: NDArray[np.int16]) -> Block:
    """16-bit samples as floats in [-1, 1)."""
    return samples.astype(np.float32) / np.float32(32768.0)


def to_int16(block: Block) -> NDArray[np.int16]:
    """Floats in [-1, 1) as 16-bit samples, rounded and clipped."""
    rounded = np.clip(np.rint(block * np.float32(32768.0)), -32768, 32767)
    return np.asarray(rounded, dtype="<i2")


GATE_BLOCK_S = 0.4
_HOPS_PER_BLOCK = 4  # 400 ms blocks overlapping by 75%: a new block every 100 ms
_ABSOLUTE_GATE_LUFS = -70.0
_RELATIVE_GATE_LU = -10.0


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

    def follow(self, block: Block) -> None:
        """Take *block* as the next input without filtering it: the blocks after it see it."""
        keep = self._response.size - 1
        if block.shape[0] < keep:
            self._history = np.concatenate([self._history, block.astype(np.float64)])[-keep:]
        else:
            self._history = block[-keep:].astype(np.float64)


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
    """K-weighting's impulse response, cut where it has decayed below 1e-17.

    Both sections in transposed direct form II, as lfilter runs them, written out in
    plain floats: a loop over the sections' arrays took 6 ms of every command that meters.
    """
    (b0, b1, b2, _, a1, a2), (c0, c1, c2, _, d1, d2) = k_weighting(rate_hz).tolist()
    values: list[float] = []
    s0 = s1 = t0 = t1 = 0.0
    x, quiet = 1.0, 0
    for _n in range(1 << 18):
        y = b0 * x + s0
        s0 = b1 * x - a1 * y + s1
        s1 = b2 * x - a2 * y
        z = c0 * y + t0
        t0 = c1 * y - d1 * z + t1
        t1 = c2 * y - d2 * z
        values.append(z)
        x = 0.0
        quiet = quiet + 1 if abs(z) < 1e-17 else 0
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

    def add(self, block: Block) -> HopSums:
        """Take a block; return its K-weighted sums per hop, for add_scaled to reuse."""
        if block.shape[0] == 0:
            return np.zeros((0, self.channels))
        squares = np.square(self._filter.apply(block))
        spans = self._spans(block.shape[0])
        sums = np.add.reduceat(squares, [lo for lo, _ in spans], axis=0)
        self._count(sums, spans, block.shape[0])
        return sums

    def add_scaled(self, block: Block, sums: HopSums, power: float) -> None:
        """Take a block known to be an earlier stream's block times a gain, unfiltered.

        *sums* is what `add` returned for that earlier block, at the same frames of its
        stream; *power* is the gain squared. K-weighting is linear, so the block's sums
        are the earlier ones times *power* (16-bit rounding aside: about 1e-9 of them).
        The filter is not run, only told the block, for the blocks after it.
        """
        spans = self._spans(block.shape[0])
        if len(spans) != len(sums):
            raise ValueError("the earlier block covered other frames of its stream")
        self._filter.follow(block)
        self._count(sums * power, spans, block.shape[0])

    def _spans(self, frames: int) -> list[tuple[int, int]]:
        """The block's stretches, in its own frames, cut where a hop ends."""
        spans: list[tuple[int, int]] = []
        start, used, hop = self.frames, 0, len(self._hops) // self.channels + 1
        while used < frames:
            take = min(frames - used, self._boundary(hop) - (start + used))
            spans.append((used, used + take))
            used += take
            if start + used == self._boundary(hop):
                hop += 1
        return spans

    def _count(self, sums: HopSums, spans: list[tuple[int, int]], frames: int) -> None:
        start = self.frames
        self.frames += frames
        # Python floats: a few hundred rows a block, where numpy's per-call cost dominates.
        partial = self._partial.tolist()
        for row, (_lo, hi) in zip(sums.tolist(), spans, strict=True):
            partial = [a + b for a, b in zip(partial, row, strict=True)]
            if start + hi == self._hop_end:
                self._hops.extend(partial)
                partial = [0.0] * self.channels
                self._hop_end = self._boundary(len(self._hops) // self.channels + 1)
        self._partial = np.array(partial)

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
