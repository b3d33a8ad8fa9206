"""A test engine that sounds like speech to a meter: voiced buzz in syllables, per text."""

from __future__ import annotations

import zlib

import numpy as np
from pydub import AudioSegment


class ToneEngine:
    """Deterministic speech-like clips: 60 ms per character, pitch and level from the text.

    Unlike FakeEngine's silence, loudness normalization, the limiter and the MP3 encoder
    all have real work to do, and a clip placed a sample off is easy to see.
    """

    name = "tone"
    max_concurrency = 1

    def __init__(self, ms_per_char: int = 60, sample_rate_hz: int = 22050) -> None:
        self.ms_per_char, self.sample_rate_hz = ms_per_char, sample_rate_hz
        self.calls: list[str] = []

    def key(self, text: str) -> str:
        """Clip keys make render() use the episode cache, as cached real engines do."""
        return f"tone:{self.ms_per_char}:{self.sample_rate_hz}:{text}"

    def synthesize(self, text: str) -> AudioSegment:
        self.calls.append(text)
        rate = self.sample_rate_hz
        seed = zlib.crc32(text.encode("utf-8"))
        rng = np.random.default_rng(seed)
        t = np.arange(self.ms_per_char * len(text) * rate // 1000) / rate
        pitch_hz = 95 + seed % 90
        buzz = np.sign(np.sin(2 * np.pi * pitch_hz * t)) * 0.5 + rng.normal(0.0, 0.2, t.size)
        decay = np.exp(-np.arange(64) / 12.0) * np.cos(np.arange(64) * 0.6)  # a formant
        voiced = np.convolve(buzz, decay)[: t.size]
        syllables = np.clip(np.sin(2 * np.pi * 4 * t + seed % 7), 0, None) ** 2
        signal = voiced * syllables
        peak = float(np.max(np.abs(signal), initial=0.0)) or 1.0
        level = 0.1 + (seed % 50) / 100  # texts differ in level: normalization has work
        pcm = np.clip(signal / peak * level * 32767, -32768, 32767).astype("<i2")
        return AudioSegment(pcm.tobytes(), frame_rate=rate, sample_width=2, channels=1)
