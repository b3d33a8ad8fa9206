"""Test helpers that are not fixtures: the fake engine, the network guard, skip markers."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest
from pydub import AudioSegment

DATA = Path(__file__).parent / "data"
GOLDEN_DIR = Path(__file__).parent / "golden"
SHARED = Path(__file__).resolve().parents[2] / "shared"
CORPUS = SHARED / "corpus"
DIACRITIZED = SHARED / "diacritized"

needs_corpus = pytest.mark.skipif(not CORPUS.is_dir(), reason="../shared/corpus is absent")
needs_piper = pytest.mark.skipif(
    importlib.util.find_spec("piper") is None, reason="the piper extra is not installed"
)


class NetworkBlocked(OSError):
    """Raised by the no-network fixture when a test tries to leave loopback."""


class FakeEngine:
    """A deterministic engine: 10 ms of silence per character; logs what it was asked."""

    name = "fake"

    def __init__(self, ms_per_char: int = 10, sample_rate_hz: int = 22050) -> None:
        self.ms_per_char = ms_per_char
        self.sample_rate_hz = sample_rate_hz
        self.calls: list[str] = []

    def synthesize(self, text: str) -> AudioSegment:
        self.calls.append(text)
        silent = AudioSegment.silent(
            duration=self.ms_per_char * len(text), frame_rate=self.sample_rate_hz
        )
        return silent.set_channels(1).set_sample_width(2)
