"""Music bed: looped, faded music under the intro and outro chapters only."""

from __future__ import annotations

import importlib
import itertools
import wave
from pathlib import Path
from types import ModuleType

import numpy as np
import pytest

from audiobrief.audio import music
from audiobrief.audio.encode import encode_mp3
from audiobrief.audio.music import add_music_bed
from audiobrief.errors import AudioError
from audiobrief.model import Chapter, Timeline, Track

RATE_HZ = 22050


def _write_wav(path: Path, seconds: float, rate_hz: int = 44100, channels: int = 2) -> Path:
    t = np.arange(int(seconds * rate_hz)) / rate_hz
    tone = (20000 * np.sin(2 * np.pi * 220 * t)).astype("<i2")
    with wave.open(str(path), "wb") as out:
        out.setnchannels(channels)
        out.setsampwidth(2)
        out.setframerate(rate_hz)
        out.writeframes(np.repeat(tone[:, np.newaxis], channels, axis=1).tobytes())
    return path


def _silent_episode(*chapter_ms: int) -> tuple[Track, Timeline]:
    """A silent track whose chapters last *chapter_ms* each."""
    starts = np.concatenate(([0], np.cumsum(chapter_ms)))
    chapters = tuple(
        Chapter(start_ms=int(a), end_ms=int(b), title=f"c{k}")
        for k, (a, b) in enumerate(itertools.pairwise(starts))
    )
    duration_ms = int(starts[-1])
    track = Track(bytes(2 * RATE_HZ * duration_ms // 1000), sample_rate_hz=RATE_HZ, channels=1)
    return track, Timeline(
        cues=(), chapters=chapters, duration_ms=duration_ms, sample_rate_hz=RATE_HZ
    )


def _rms(samples: np.ndarray, start_ms: int, end_ms: int) -> float:
    part = samples[start_ms * RATE_HZ // 1000 : end_ms * RATE_HZ // 1000].astype(float)
    return float(np.sqrt(np.mean(part**2)))


def test_music_plays_under_the_intro_and_outro_only(tmp_path: Path) -> None:
    track, timeline = _silent_episode(3000, 2000, 3000)
    song = _write_wav(tmp_path / "bed.wav", 0.7)  # shorter than a chapter: it loops

    mixed = add_music_bed(track, timeline, song, gain_db=-18.0, fade_ms=500)

    samples = np.frombuffer(mixed.pcm, dtype="<i2")
    assert len(mixed.pcm) == len(track.pcm)
    assert not samples[3000 * RATE_HZ // 1000 : 5000 * RATE_HZ // 1000].any()  # the story
    peak_db = 20 * np.log10(np.max(np.abs(samples)) / 32768)
    assert peak_db == pytest.approx(-18.0, abs=0.5)
    loud = _rms(samples, 1000, 2000)
    for start_ms in range(600, 2400, 100):  # looped, with no gap, between the fades
        assert _rms(samples, start_ms, start_ms + 100) == pytest.approx(loud, rel=0.1)
    assert _rms(samples, 0, 50) < loud / 10  # fading in
    assert _rms(samples, 2950, 3000) < loud / 10  # fading out before the story
    assert _rms(samples, 5000, 5050) < loud / 10 < _rms(samples, 6000, 7000)
    assert _rms(samples, 7950, 8000) < loud / 10


def test_speech_under_the_bed_is_kept(tmp_path: Path) -> None:
    track, timeline = _silent_episode(2000, 2000)
    speech = np.full(len(track.pcm) // 2, 1000, dtype="<i2")
    spoken = Track(speech.tobytes(), sample_rate_hz=RATE_HZ, channels=1)

    mixed = add_music_bed(spoken, timeline, _write_wav(tmp_path / "bed.wav", 1.0), fade_ms=0)

    samples = np.frombuffer(mixed.pcm, dtype="<i2").astype(float)
    assert np.mean(samples) == pytest.approx(1000, abs=5)  # the tone averages to zero


def test_a_missing_music_file_names_the_setting(tmp_path: Path) -> None:
    track, timeline = _silent_episode(1000)
    with pytest.raises(AudioError, match="`music` setting"):
        add_music_bed(track, timeline, tmp_path / "nowhere.wav")


def test_a_broken_wav_is_an_audio_error(tmp_path: Path) -> None:
    track, timeline = _silent_episode(1000)
    broken = tmp_path / "broken.wav"
    broken.write_bytes(b"RIFF\x00\x00\x00\x00WAVEjunk")
    with pytest.raises(AudioError, match="16-bit PCM WAV"):
        add_music_bed(track, timeline, broken)


def test_mp3_music_without_a_decoder_asks_for_wav(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    track, timeline = _silent_episode(1000)
    song = tmp_path / "bed.mp3"
    song.write_bytes(b"not decoded")
    real_import = importlib.import_module

    def no_miniaudio(name: str, package: str | None = None) -> ModuleType:
        if name == "miniaudio":
            raise ImportError(name)
        return real_import(name, package)

    monkeypatch.setattr(music.importlib, "import_module", no_miniaudio)
    with pytest.raises(AudioError, match="convert the music to WAV"):
        add_music_bed(track, timeline, song)


def test_mp3_music_is_decoded_when_miniaudio_is_installed(tmp_path: Path) -> None:
    pytest.importorskip("miniaudio")
    t = np.arange(RATE_HZ) / RATE_HZ
    tone = (16000 * np.sin(2 * np.pi * 220 * t)).astype("<i2").tobytes()
    song = tmp_path / "bed.mp3"
    song.write_bytes(encode_mp3(Track(tone, sample_rate_hz=RATE_HZ, channels=1)))
    track, timeline = _silent_episode(2000)

    mixed = add_music_bed(track, timeline, song, gain_db=-12.0, fade_ms=100)

    samples = np.frombuffer(mixed.pcm, dtype="<i2")
    assert 20 * np.log10(np.max(np.abs(samples)) / 32768) == pytest.approx(-12.0, abs=0.5)
