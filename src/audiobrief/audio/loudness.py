"""Audio stage: measure loudness (ITU-R BS.1770) and bring a track to the podcast targets."""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np
import pyloudnorm
from numpy.typing import NDArray
from scipy.ndimage import minimum_filter1d, uniform_filter1d  # type: ignore[import-untyped]
from scipy.signal import firwin, resample_poly  # type: ignore[import-untyped]

from audiobrief.errors import AudioError
from audiobrief.model import Track

logger = logging.getLogger(__name__)

MONO_TARGET_LUFS = -19.0
STEREO_TARGET_LUFS = -16.0
"""Apple's podcast targets: -16 LUFS integrated (stereo), about -19 LUFS for mono."""
MIN_DURATION_MS = 400
"""BS.1770 gates 400 ms blocks; a shorter track has no integrated loudness."""

_OVERSAMPLING = 4  # BS.1770-4 Annex 2: true peak from a 4x oversampled signal
# resample_poly's own default interpolation filter, kept here so its worst overshoot is
# known: no oversampled value exceeds the largest sample by more than _OVERSHOOT, so
# slices well under the ceiling need no oversampling at all.
_TAPS = firwin(2 * 10 * _OVERSAMPLING + 1, 1.0 / _OVERSAMPLING, window=("kaiser", 5.0))
_OVERSHOOT = _OVERSAMPLING * max(
    float(np.sum(np.abs(_TAPS[k::_OVERSAMPLING]))) for k in range(_OVERSAMPLING)
)
_CHUNK_FRAMES = 1 << 16  # work on slices: an hour never needs its 4x copy at once
_RESAMPLE_MARGIN = 64  # input frames either side of a slice; the filter reaches 10
_LIMITER_HALF_WINDOW_MS = 20  # gain reduction ramps in and out over about 20 ms
_LIMITER_MARGIN_DB = 0.1  # aim under the ceiling: rounding to 16 bits moves peaks a little
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
    """Integrated loudness (pyloudnorm, BS.1770-4) and 4x-oversampled true peak.

    Raises:
        AudioError: the track is shorter than one 400 ms measuring block.
    """
    if track.duration_ms < MIN_DURATION_MS:
        raise AudioError(
            f"a {track.duration_ms} ms track is too short to measure loudness; "
            f"BS.1770 needs at least {MIN_DURATION_MS} ms of audio."
        )
    samples = _to_float(track)
    return Loudness(
        integrated_lufs=_integrated_lufs(samples, track.sample_rate_hz),
        true_peak_dbtp=_db(_true_peak(samples)),
    )


def normalize(
    track: Track, *, target_lufs: float | None = None, ceiling_dbtp: float = -1.0
) -> Track:
    """Gain to *target_lufs* (default -19 LUFS mono, -16 stereo), true peak <= *ceiling_dbtp*.

    A limiter with look-ahead keeps the peaks under the ceiling; the gain is then corrected
    until the result measures within 0.5 LU of the target. Silent tracks and tracks under
    400 ms come back unchanged. The same input always gives the same bytes.
    """
    if target_lufs is None:
        target_lufs = MONO_TARGET_LUFS if track.channels == 1 else STEREO_TARGET_LUFS
    if track.duration_ms < MIN_DURATION_MS:
        logger.info("track of %d ms is too short to normalize; left as is", track.duration_ms)
        return track
    samples = _to_float(track)
    measured = _integrated_lufs(samples, track.sample_rate_hz)
    if not np.isfinite(measured):
        logger.info("track is silent; loudness left as is")
        return track
    aim_dbtp = ceiling_dbtp - _LIMITER_MARGIN_DB
    gain_db = target_lufs - measured
    result, reached, peak_dbtp, tried = track, measured, 0.0, (0.0, measured)
    for _ in range(_MAX_PASSES):
        gain, ceiling = 10.0 ** (gain_db / 20.0), 10.0 ** (aim_dbtp / 20.0)
        pcm = _limit(samples, gain, ceiling, track.sample_rate_hz)
        result = Track(pcm=pcm, sample_rate_hz=track.sample_rate_hz, channels=track.channels)
        level = measure(result)
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
    logger.info(
        "loudness %.1f LUFS -> %.1f LUFS (target %.1f), gain %+.1f dB",
        measured,
        reached,
        target_lufs,
        gain_db,
    )
    return result


def _limit(samples: NDArray[np.float32], gain: float, ceiling: float, rate_hz: int) -> bytes:
    """Apply *gain*, then a look-ahead limiter that holds the true peak under *ceiling*."""
    half = max(2, rate_hz * _LIMITER_HALF_WINDOW_MS // 1000)
    box = 2 * (half // 2) + 1  # odd, so two passes reach no further than half either way
    margin = 2 * half + _RESAMPLE_MARGIN
    out = np.empty(samples.shape, dtype="<i2")
    total = samples.shape[0]
    for start in range(0, total, _CHUNK_FRAMES):
        stop = min(total, start + _CHUNK_FRAMES)
        lo, hi = max(0, start - margin), min(total, stop + margin)
        scaled = samples[lo:hi] * np.float32(gain)
        core = slice(start - lo, stop - lo)
        limited = scaled[core]
        if float(np.max(np.abs(scaled))) * _OVERSHOOT > ceiling:
            # The gain each frame may have, the lowest of those within +/-half, then two
            # centred moving averages half as wide: each average mixes only gains at or
            # under the one needed where it lands, so the smooth curve never overshoots.
            needed = np.minimum(1.0, ceiling / np.maximum(_peak_envelope(scaled), 1e-12))
            held = minimum_filter1d(needed, size=2 * half + 1, mode="nearest")
            smooth = uniform_filter1d(held, size=box, mode="nearest")
            smooth = uniform_filter1d(smooth, size=box, mode="nearest")
            limited = limited * smooth[core, np.newaxis].astype(np.float32)
        out[start:stop] = np.clip(np.rint(limited * np.float32(32768.0)), -32768, 32767)
    return out.tobytes()


def _true_peak(samples: NDArray[np.float32]) -> float:
    """The largest 4x-oversampled magnitude; only slices that could hold it are oversampled."""
    starts = range(0, samples.shape[0], _CHUNK_FRAMES)
    sample_peaks = [float(np.max(np.abs(samples[s : s + _CHUNK_FRAMES]))) for s in starts]
    best = max(sample_peaks, default=0.0)  # phase 0 of the interpolation is the samples
    for peak, start in sorted(zip(sample_peaks, starts, strict=True), reverse=True):
        if peak * _OVERSHOOT <= best:
            break
        lo, hi = max(0, start - _RESAMPLE_MARGIN), start + _CHUNK_FRAMES + _RESAMPLE_MARGIN
        envelope = _peak_envelope(samples[lo:hi])
        core = envelope[start - lo : start - lo + _CHUNK_FRAMES]
        best = max(best, float(np.max(core)))
    return best


def _peak_envelope(samples: NDArray[np.float32]) -> NDArray[np.float32]:
    """Per frame, the largest 4x-oversampled magnitude over its channels and sub-samples."""
    up = resample_poly(samples, _OVERSAMPLING, 1, axis=0, window=_TAPS)
    frames = up.reshape(samples.shape[0], -1)  # each frame's sub-samples, all channels
    envelope: NDArray[np.float32] = np.abs(frames[:, 0])
    for column in range(1, frames.shape[1]):  # column by column: far faster than max(axis=1)
        np.maximum(envelope, np.abs(frames[:, column]), out=envelope)
    return envelope


def _integrated_lufs(samples: NDArray[np.float32], rate_hz: int) -> float:
    try:
        value = pyloudnorm.Meter(rate_hz).integrated_loudness(samples)
    except ValueError as exc:
        raise AudioError(f"loudness could not be measured ({exc}); check the track.") from exc
    return float(value)


def _to_float(track: Track) -> NDArray[np.float32]:
    """Samples in [-1, 1), shaped (frames, channels)."""
    ints = np.frombuffer(track.pcm, dtype="<i2").reshape(-1, track.channels)
    return ints.astype(np.float32) / np.float32(32768.0)


def _db(amplitude: float) -> float:
    return float(20.0 * np.log10(amplitude)) if amplitude > 0 else float("-inf")
