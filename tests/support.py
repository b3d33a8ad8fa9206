"""Test helpers that are not fixtures: the fake engine, the network guard, skip markers."""

from __future__ import annotations

import http.server
import importlib.util
import threading
from collections.abc import Iterator
from contextlib import contextmanager
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
    importlib.util.find_spec("piper") is None, reason="piper-tts is not installed"
)


UPDATE_GOLDEN = "UPDATE_GOLDEN"
"""Environment variable that, like `pytest --update-golden`, (re)writes golden files."""


def check_golden(path: Path, actual: str, *, update: bool) -> None:
    """Fail unless *actual* equals the golden file; write it instead when *update*.

    A missing golden fails too: writing it silently would save whatever bug the code has
    today as the expected output.
    """
    if update:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(actual, encoding="utf-8")
    elif not path.exists():
        pytest.fail(
            f"golden file {path} is missing; create it on purpose with "
            f"`pytest --update-golden` (or {UPDATE_GOLDEN}=1) and review it before committing",
            pytrace=False,
        )
    assert actual == path.read_text(encoding="utf-8")


class NetworkBlocked(OSError):
    """Raised by the no-network fixture when a test tries to leave loopback."""


class FakeEngine:
    """A deterministic engine: 10 ms of silence per character; logs what it was asked."""

    name = "fake"
    max_concurrency = 1

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


@contextmanager
def loopback_server(handler: type[http.server.BaseHTTPRequestHandler]) -> Iterator[str]:
    """Serve *handler* on a free loopback port for the block; yield `http://127.0.0.1:PORT`."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def bitwise_crc16(data: bytes) -> int:
    """CRC-16/ARC one bit at a time: slow, but shares nothing with the code under test."""
    crc = 0
    for byte in data:
        crc ^= byte
        for _ in range(8):
            crc = (crc >> 1) ^ 0xA001 if crc & 1 else crc >> 1
    return crc
