"""Audio memory does not grow with the episode: 10 and 60 minutes peak alike (tracemalloc)."""

from __future__ import annotations

import tracemalloc
from collections.abc import Callable
from pathlib import Path

import numpy as np
from pydub import AudioSegment

from audiobrief.audio.master import master
from audiobrief.audio.stitch import Stitcher
from audiobrief.model import Script, Section, Segment, Timeline

RATE_HZ = 8000  # the lowest MP3 rate: the same code path, and a 60-minute test runs fast
CLIP_S = 6


def _peak_bytes(work: Callable[[], object]) -> int:
    """Peak memory while *work* runs, above what its result keeps (the Timeline grows
    with the number of captions, a few hundred bytes each: that is not audio)."""
    tracemalloc.start()
    try:
        kept = work()
        current, peak = tracemalloc.get_traced_memory()
        del kept
        return peak - current
    finally:
        tracemalloc.stop()


def _speech_like_block(seed: int) -> np.ndarray:
    """Six seconds of a syllable-shaped buzz at a modest level, as 16-bit samples."""
    rng = np.random.default_rng(seed)
    t = np.arange(CLIP_S * RATE_HZ) / RATE_HZ
    buzz = np.sign(np.sin(2 * np.pi * (110 + seed % 40) * t)) + rng.normal(0.0, 0.3, t.size)
    envelope = np.clip(np.sin(2 * np.pi * 4 * t), 0, None) ** 2
    return (buzz * envelope * 2500).astype("<i2")


def _script(minutes: int) -> Script:
    count = minutes * 60 // (CLIP_S + 1)
    segments = tuple(Segment(f"s{k}", f"s{k}", 1, k, 1000) for k in range(count))
    return Script("long", (Section("one", segments),))


def test_stitching_peaks_alike_for_10_and_60_minutes(tmp_path: Path) -> None:
    pcm = _speech_like_block(1).tobytes()

    scripts = {minutes: _script(minutes) for minutes in (1, 10, 60)}

    def stitch(minutes: int) -> Timeline:
        script = scripts[minutes]
        with (tmp_path / f"{minutes}.pcm").open("wb") as out:
            stitcher = Stitcher(script, out, sample_rate_hz=RATE_HZ)
            for _ in script.sections[0].segments:  # a new clip each time, as from a voice
                stitcher.add(AudioSegment(pcm, frame_rate=RATE_HZ, sample_width=2, channels=1))
            return stitcher.finish()

    stitch(1)  # first-call allocations (caches, imports) are not the episode's
    short, long = _peak_bytes(lambda: stitch(10)), _peak_bytes(lambda: stitch(60))

    assert (tmp_path / "60.pcm").stat().st_size > 5.5 * (tmp_path / "10.pcm").stat().st_size
    assert long < 1.3 * short


def test_loudness_and_encoding_peak_alike_for_10_and_60_minutes(tmp_path: Path) -> None:
    # The input is written before measuring: only master() is traced, and the seven
    # distinct clips are made once (making 60 minutes of noise took longer than most tests).
    clips = [_speech_like_block(k).tobytes() for k in range(7)]
    pcm = {}
    for minutes in (1, 10, 60):
        pcm[minutes] = tmp_path / f"{minutes}.pcm"
        with pcm[minutes].open("wb") as out:
            for k in range(minutes * 60 // CLIP_S):
                out.write(clips[k % 7])

    def encode(minutes: int) -> Path:
        timeline = Timeline((), (), minutes * 60_000, RATE_HZ)
        mp3 = tmp_path / f"{minutes}.mp3"
        master(pcm[minutes], timeline, mp3, channels=1, bitrate_kbps=16)
        return mp3

    encode(1)
    short, long = _peak_bytes(lambda: encode(10)), _peak_bytes(lambda: encode(60))

    assert (tmp_path / "60.mp3").stat().st_size > 5.5 * (tmp_path / "10.mp3").stat().st_size
    assert long < 1.3 * short
