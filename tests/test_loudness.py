"""Loudness: BS.1770 measurement, podcast targets, a true-peak ceiling, deterministic output."""

from __future__ import annotations

import io
import logging
from collections.abc import Callable

import numpy as np
import pytest
from scipy.signal import lfilter

import bs1770
from audiobrief.audio import meter
from audiobrief.audio.limiter import Limiter, Window, _box, _running_min
from audiobrief.audio.loudness import measure, normalize, normalize_stream, track_blocks
from audiobrief.audio.meter import BLOCK_FRAMES, to_float, to_int16
from audiobrief.audio.truepeak import peak_envelope
from audiobrief.errors import AudioError
from audiobrief.model import Track
from bs1770 import pcm_floats


def _speech_like(
    seconds: float, rate_hz: int, *, channels: int = 1, level: float = 0.3, clicks: bool = True
) -> Track:
    """Buzz through a vocal-tract-like resonance, in 4 Hz syllables, with phrase gaps and clicks."""
    rng = np.random.default_rng(7)
    t = np.arange(int(seconds * rate_hz)) / rate_hz
    buzz = np.sign(np.sin(2 * np.pi * 140 * t)) * 0.5 + rng.normal(0.0, 0.3, t.size)
    voiced = lfilter([1.0], [1.0, -1.3, 0.8], buzz)
    syllables = np.clip(np.sin(2 * np.pi * 4 * t), 0, None) ** 2
    phrases = np.sin(2 * np.pi * 0.3 * t) > -0.5
    signal = voiced * syllables * phrases
    signal *= level / np.max(np.abs(signal))
    if clicks:
        signal[rate_hz // 2 :: rate_hz * 2] = 0.99  # lone clicks: far above the speech
    mono = np.clip(signal * 32767, -32768, 32767).astype("<i2")
    pcm = np.repeat(mono[:, np.newaxis], channels, axis=1)
    if channels == 2:
        pcm[:, 1] = (pcm[:, 1] * 0.6).astype("<i2")
    return Track(pcm=pcm.tobytes(), sample_rate_hz=rate_hz, channels=channels)


def _independent_lufs(track: Track) -> float:
    """BS.1770 as the tests write it, not pyloudnorm (which the code under test uses)."""
    return bs1770.integrated_lufs(pcm_floats(track.pcm, track.channels), track.sample_rate_hz)


def _independent_true_peak_dbtp(track: Track) -> float:
    return bs1770.true_peak_dbtp(pcm_floats(track.pcm, track.channels))


def test_mono_speech_is_normalized_to_minus_19_lufs_under_minus_1_dbtp() -> None:
    quiet = _speech_like(6, 22050)
    assert _independent_lufs(quiet) < -25

    loud = normalize(quiet)

    assert _independent_lufs(loud) == pytest.approx(-19.0, abs=0.5)
    assert _independent_true_peak_dbtp(loud) <= -1.0
    assert len(loud.pcm) == len(quiet.pcm)
    assert (loud.sample_rate_hz, loud.channels) == (22050, 1)


def test_stereo_is_normalized_to_minus_16_lufs() -> None:
    loud = normalize(_speech_like(6, 44100, channels=2))

    assert _independent_lufs(loud) == pytest.approx(-16.0, abs=0.5)
    assert _independent_true_peak_dbtp(loud) <= -1.0


def test_an_explicit_target_and_ceiling_are_met() -> None:
    loud = normalize(_speech_like(5, 24000), target_lufs=-18.0, ceiling_dbtp=-2.0)

    assert _independent_lufs(loud) == pytest.approx(-18.0, abs=0.5)
    assert _independent_true_peak_dbtp(loud) <= -2.0


def test_an_unreachable_target_keeps_the_ceiling_and_warns(
    caplog: pytest.LogCaptureFixture,
) -> None:
    quiet = _speech_like(5, 24000)
    with caplog.at_level(logging.WARNING, logger="audiobrief.audio.loudness"):
        loud = normalize(quiet, target_lufs=-8.0, ceiling_dbtp=-2.0)

    assert "lower the target or raise the ceiling" in caplog.text
    assert _independent_true_peak_dbtp(loud) <= -2.0
    assert _independent_lufs(quiet) + 5 < _independent_lufs(loud) < -8.0


def test_normalizing_the_same_track_twice_gives_the_same_bytes() -> None:
    track = _speech_like(4, 22050)
    assert normalize(track).pcm == normalize(track).pcm


def test_measure_reports_inter_sample_peaks() -> None:
    # A quarter-rate sine sampled 45 degrees off its crests: every sample is at 0.707 of
    # the wave's true peak, which sits between samples.
    n = 22050
    wave = 0.9 * np.sin(2 * np.pi * np.arange(n) / 4 + np.pi / 4)
    track = Track((wave * 32767).astype("<i2").tobytes(), sample_rate_hz=22050, channels=1)

    level = measure(track)

    sample_peak_db = 20 * np.log10(np.max(np.abs(wave)))
    assert level.true_peak_dbtp == pytest.approx(20 * np.log10(0.9), abs=0.2)
    assert level.true_peak_dbtp > sample_peak_db + 2.5
    assert level.integrated_lufs == pytest.approx(_independent_lufs(track), abs=0.1)


def test_silent_tracks_are_left_as_they_are(caplog: pytest.LogCaptureFixture) -> None:
    silent = Track(bytes(2 * 22050), sample_rate_hz=22050, channels=1)
    with caplog.at_level(logging.INFO, logger="audiobrief.audio.loudness"):
        assert normalize(silent) is silent
    assert "silent" in caplog.text
    assert measure(silent).true_peak_dbtp == float("-inf")


def test_tracks_shorter_than_a_measuring_block_are_left_as_they_are() -> None:
    short = _speech_like(0.3, 22050)
    assert normalize(short) is short
    with pytest.raises(AudioError, match="at least 400 ms"):
        measure(short)


def test_the_limiter_gives_the_same_samples_however_the_input_is_cut() -> None:
    track = _speech_like(9, 22050)
    samples = np.frombuffer(track.pcm, dtype="<i2").reshape(-1, 1)

    def limited(piece: int) -> bytes:
        limiter = Limiter(gain=3.0, ceiling=0.5, rate_hz=22050, channels=1)
        out = []
        for start in range(0, samples.shape[0], piece):
            out += [w.pcm for w in limiter.add(to_float(samples[start : start + piece]))]
        out += [w.pcm for w in limiter.finish()]
        return np.concatenate(out).tobytes()

    whole = limited(samples.shape[0])
    assert limited(1000) == whole == limited(70_001)
    assert len(whole) == len(track.pcm)
    assert np.max(np.abs(np.frombuffer(whole, dtype="<i2"))) <= 0.5 * 32768


def test_the_limiter_curve_is_the_whole_signal_curve_worked_out_near_peaks_only() -> None:
    rate_hz, ceiling, gain = 22050, 0.5, 1.0
    rng = np.random.default_rng(11)
    samples = (rng.normal(0.0, 0.05, 3 * 65536 + 5000)).astype(np.float32)
    # Peaks over the ceiling: alone, in a cluster, on the first frame, across a window
    # boundary (65536) and on the last frame: each gets its own gain dip, nothing else.
    for at in (0, 9000, 30_000, 30_300, 31_000, 65_530, 65_540, 150_000, samples.size - 1):
        samples[at] = 0.8 if at % 2 else -0.8
    column = samples[:, np.newaxis]
    limiter = Limiter(gain=gain, ceiling=ceiling, rate_hz=rate_hz, channels=1)
    windows = [*limiter.add(column), *limiter.finish()]
    out = np.concatenate([w.pcm for w in windows])[:, 0]

    # The curve of the whole signal at once, as the limiter defines it.
    half = rate_hz * 20 // 1000
    box = 2 * (half // 2) + 1
    envelope = peak_envelope(column)
    needed = np.minimum(1.0, ceiling / np.maximum(envelope, 1e-12))
    curve = _box(_box(_running_min(needed, 2 * half + 1), box), box)
    expected = to_int16((samples * curve.astype(np.float32))[:, np.newaxis])[:, 0]

    assert np.count_nonzero(curve < 1.0) > 0
    assert np.max(np.abs(out.astype(int) - expected.astype(int))) <= 1
    assert np.count_nonzero(out != expected) <= 5  # rounding ties at most


def test_a_limit_pass_filters_again_only_the_windows_the_limiter_changed(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    track = _speech_like(40, 22050, level=0.1, clicks=False)
    samples = np.frombuffer(track.pcm, dtype="<i2").copy()
    samples[5 * BLOCK_FRAMES + 1000] = 32000  # a click, in the sixth window
    track = Track(pcm=samples.tobytes(), sample_rate_hz=22050, channels=1)
    filtered: list[int] = []
    limited: list[bool] = []
    real_apply, real_window = meter._KWeighting.apply, Limiter._window

    def apply(self: meter._KWeighting, block: np.ndarray) -> np.ndarray:
        filtered.append(block.shape[0])
        return real_apply(self, block)

    def window(self: Limiter, stop: int) -> Window:
        made = real_window(self, stop)
        limited.append(made.limited)
        return made

    monkeypatch.setattr(meter._KWeighting, "apply", apply)
    monkeypatch.setattr(Limiter, "_window", window)
    out = io.BytesIO()

    def restart() -> Callable[[np.ndarray], None]:
        out.seek(0)
        out.truncate()
        return lambda pcm: out.write(pcm.tobytes())

    level = normalize_stream(track_blocks(track), 22050, 1, restart=restart)
    windows = -(-samples.size // BLOCK_FRAMES)

    assert level is not None
    assert len(limited) == windows  # one limit pass
    assert limited[5]
    assert sum(limited) <= 3
    # The first pass filters every window; the limit pass those the limiter changed and
    # the one after each (the filter's memory reaches into it).
    again = sum(now or before for now, before in zip(limited, [False, *limited], strict=False))
    assert len(filtered) == windows + again
    heard = measure(Track(pcm=out.getvalue(), sample_rate_hz=22050, channels=1))
    assert level.integrated_lufs == pytest.approx(heard.integrated_lufs, abs=1e-6)
    assert level.integrated_lufs == pytest.approx(-19.0, abs=0.2)
