"""Block-wise BS.1770 meter and true peak: the whole-signal figures, whatever the blocks."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pyloudnorm
import pytest
from scipy.signal import firwin, resample_poly

from audiobrief.audio import truepeak
from audiobrief.audio.meter import LoudnessMeter
from audiobrief.audio.truepeak import TruePeakMeter, peak_envelope


def _signal(rate_hz: int, channels: int, seconds: float, seed: int = 3) -> np.ndarray:
    rng = np.random.default_rng(seed)
    frames = int(rate_hz * seconds)
    swell = 0.2 + np.abs(np.sin(np.arange(frames) / rate_hz * 1.7))[:, np.newaxis]
    quiet = np.arange(frames) // rate_hz % 4 == 1  # a silent second in four: gating matters
    noise = rng.normal(0.0, 0.1, (frames, channels)) * swell
    noise[quiet] *= 1e-4
    return noise.astype(np.float32)


@pytest.mark.parametrize(
    ("rate_hz", "channels", "block"),
    [(22050, 1, 4096), (22050, 1, 777), (24000, 2, 10_000), (44100, 1, 65536), (16000, 2, 1)],
)
def test_block_loudness_equals_pyloudnorm_on_the_whole_signal(
    rate_hz: int, channels: int, block: int
) -> None:
    seconds = 2.5 if block == 1 else 9.3
    samples = _signal(rate_hz, channels, seconds)
    level = LoudnessMeter(rate_hz, channels)
    for start in range(0, samples.shape[0], block):
        level.add(samples[start : start + block])

    expected = pyloudnorm.Meter(rate_hz).integrated_loudness(samples.astype(np.float64))
    assert level.integrated_lufs() == pytest.approx(expected, abs=1e-6)


def test_silence_measures_minus_infinity_and_short_audio_is_refused() -> None:
    silent = LoudnessMeter(22050, 1)
    silent.add(np.zeros((22050, 1), dtype=np.float32))
    assert silent.integrated_lufs() == float("-inf")
    short = LoudnessMeter(22050, 1)
    short.add(np.ones((22050 // 4, 1), dtype=np.float32))
    with pytest.raises(ValueError, match="400 ms"):
        short.integrated_lufs()


def test_peak_envelope_matches_scipy_polyphase_oversampling() -> None:
    samples = _signal(22050, 2, 0.5)
    taps = firwin(81, 0.25, window=("kaiser", 5.0))
    up = resample_poly(samples, 4, 1, axis=0, window=taps)
    expected = np.max(np.abs(up.reshape(samples.shape[0], -1)), axis=1)

    assert np.max(np.abs(peak_envelope(samples) - expected)) < 1e-6


def test_true_peak_in_blocks_equals_the_whole_signal_figure() -> None:
    samples = _signal(22050, 1, 3.0)
    samples[30_001] = 0.9  # a lone click, its overshoot between samples
    whole = float(np.max(peak_envelope(samples)))
    peak = TruePeakMeter(1)
    for start in range(0, samples.shape[0], 1000):
        peak.add(samples[start : start + 1000])

    assert peak.result() == pytest.approx(whole, rel=1e-6)
    assert whole > 0.9


def test_only_frames_near_the_floor_are_oversampled(monkeypatch: pytest.MonkeyPatch) -> None:
    counted: list[int] = []

    def interpolated(samples: np.ndarray, chosen: np.ndarray) -> np.ndarray:
        counted.append(chosen.size)
        return original(samples, chosen)

    original = truepeak._interpolated_peaks
    monkeypatch.setattr(truepeak, "_interpolated_peaks", interpolated)
    quiet = _signal(22050, 1, 10.0) * 0.1  # peaks far under half of full scale
    quiet[50_000] = 0.6  # one click comes close
    peak = TruePeakMeter(1, floor=0.5)
    for start in range(0, quiet.shape[0], 4096):
        peak.add(quiet[start : start + 4096])

    assert peak.result() >= 0.6
    # The click and the frames its interpolation reaches: not ten seconds.
    assert 0 < sum(counted) <= 2 * truepeak.CONTEXT_FRAMES + 1


@pytest.mark.parametrize("level", [0.05, 0.3, 0.6, 0.9, 1.3])
def test_envelope_above_a_level_is_the_envelope_wherever_either_reaches_it(level: float) -> None:
    rng = np.random.default_rng(5)
    speechlike = _signal(22050, 2, 2.0) * 4.0
    alternating = np.where(rng.random((3000, 1)) < 0.5, -0.6, 0.6).astype(np.float32)
    for samples in (speechlike, alternating):
        whole = peak_envelope(samples)
        above = truepeak.envelope_above(samples, level)
        differs = np.abs(above - whole) > 1e-6
        assert not np.any(whole[differs] >= level)
        assert not np.any(above[differs] >= level)
        assert np.all(above <= whole + 1e-6)  # elsewhere the sample peak, never more


def test_measuring_normalizing_and_encoding_import_no_scipy() -> None:
    # Importing scipy.signal costs more than a cached article's whole run.
    code = (
        "import sys, numpy as np\n"
        "from audiobrief.audio.loudness import normalize\n"
        "from audiobrief.audio.encode import encode_mp3\n"
        "from audiobrief.model import Track\n"
        "t = np.arange(22050 * 2) / 22050\n"
        "pcm = (9000 * np.sin(2 * np.pi * 220 * t)).astype('<i2').tobytes()\n"
        "encode_mp3(normalize(Track(pcm, 22050, 1)))\n"
        "print(sorted(m for m in sys.modules if m.startswith('scipy')))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"


@pytest.mark.parametrize("piece", [65536, 30_000, 2205])
def test_a_block_known_as_an_earlier_one_times_a_gain_gives_the_measured_figure(
    piece: int,
) -> None:
    signal = _signal(22050, 2, 12.0) * 0.2
    first, scaled, direct = (LoudnessMeter(22050, 2) for _ in range(3))
    sums = [first.add(signal[s : s + piece]) for s in range(0, signal.shape[0], piece)]
    gain = np.float32(1.7)
    for k, start in enumerate(range(0, signal.shape[0], piece)):
        block = signal[start : start + piece] * gain
        direct.add(block)
        if k % 3:  # every third block filtered, as the limit pass does after a change
            scaled.add_scaled(block, sums[k], float(gain) ** 2)
        else:
            scaled.add(block)

    assert scaled.integrated_lufs() == pytest.approx(direct.integrated_lufs(), abs=1e-6)
    assert direct.integrated_lufs() == pytest.approx(first.integrated_lufs() + 20 * np.log10(1.7))


def test_sums_of_a_block_at_other_frames_are_refused() -> None:
    signal = _signal(22050, 1, 2.0)
    earlier = LoudnessMeter(22050, 1).add(signal[:30_000])
    meter = LoudnessMeter(22050, 1)
    meter.add(signal[:1000])

    with pytest.raises(ValueError, match="other frames"):
        meter.add_scaled(signal[1000:31_000], earlier, 1.0)


@pytest.mark.parametrize("frames", [1, 3, 20, 21, 22, 4096])
def test_the_running_maxima_are_those_of_every_window(frames: int) -> None:
    envelope = np.random.default_rng(frames).random(frames).astype(np.float32)
    padded = np.pad(envelope, 10)
    near, wide = truepeak._near_and_wide(envelope)

    assert np.array_equal(near, [padded[n + 9 : n + 13].max() for n in range(frames)])
    assert np.array_equal(wide, [padded[n : n + 21].max() for n in range(frames)])
