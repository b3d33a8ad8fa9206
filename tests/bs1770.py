"""An independent loudness meter for the tests: ITU-R BS.1770-4 written from the spec.

audiobrief measures with pyloudnorm; checking its results with pyloudnorm again would
hide a shared mistake. This meter resamples to 48 kHz and uses the K-weighting filter
coefficients the recommendation tabulates for that rate, with its gating as written.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray
from scipy.fft import next_fast_len
from scipy.signal import lfilter, resample, resample_poly

RATE_HZ = 48000
# BS.1770-4 Table 1 (pre-filter, a high shelf) and Table 2 (RLB high-pass), at 48 kHz.
_SHELF_B = (1.53512485958697, -2.69169618940638, 1.19839281085285)
_SHELF_A = (1.0, -1.69065929318241, 0.73248077421585)
_HIGHPASS_B = (1.0, -2.0, 1.0)
_HIGHPASS_A = (1.0, -1.99004745483398, 0.99007225036621)
_ABSOLUTE_GATE_LUFS = -70.0
_RELATIVE_GATE_LU = -10.0


def pcm_floats(pcm: bytes, channels: int) -> NDArray[np.float64]:
    """16-bit little-endian PCM as floats in [-1, 1), shaped (frames, channels)."""
    return np.frombuffer(pcm, dtype="<i2").reshape(-1, channels) / 32768.0


def integrated_lufs(samples: NDArray[np.float64], rate_hz: int) -> float:
    """Gated integrated loudness of (frames, channels) samples; channels weigh 1.0 each."""
    if rate_hz != RATE_HZ:
        divisor = np.gcd(rate_hz, RATE_HZ)
        samples = resample_poly(samples, RATE_HZ // divisor, rate_hz // divisor, axis=0)
    weighted = lfilter(_SHELF_B, _SHELF_A, samples, axis=0)
    weighted = lfilter(_HIGHPASS_B, _HIGHPASS_A, weighted, axis=0)
    block, step = RATE_HZ * 400 // 1000, RATE_HZ * 100 // 1000  # 400 ms, 75% overlap
    starts = np.arange(0, weighted.shape[0] - block + 1, step)
    # Mean square per block, summed over channels: running sums make each block one subtraction.
    running = np.concatenate(([0.0], np.cumsum(np.sum(weighted**2, axis=1))))
    power = (running[starts + block] - running[starts]) / block
    loud = power[_lufs(power) > _ABSOLUTE_GATE_LUFS]
    if loud.size == 0:
        return float("-inf")
    relative_gate = _lufs(np.mean(loud)) + _RELATIVE_GATE_LU
    kept = loud[_lufs(loud) > relative_gate]
    return float(_lufs(np.mean(kept)))


def true_peak_dbtp(samples: NDArray[np.float64]) -> float:
    """Peak of an 8x FFT-oversampled copy (the project oversamples 4x with a polyphase FIR)."""
    # Zero-padded to a length the FFT handles fast: a prime length takes minutes.
    padded = next_fast_len(samples.shape[0] + 64)
    frames = np.zeros((padded, samples.shape[1]))
    frames[: samples.shape[0]] = samples
    up = resample(frames, padded * 8, axis=0)
    return float(20 * np.log10(np.max(np.abs(up))))


def _lufs(power: NDArray[np.float64] | np.floating) -> NDArray[np.float64]:
    with np.errstate(divide="ignore"):
        return -0.691 + 10 * np.log10(power)
