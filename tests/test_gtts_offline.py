"""gTTS with no network: a connection that cannot be made fails at once, and stays failed."""

from __future__ import annotations

import socket
import time
from typing import Any

import pytest
from pydub import AudioSegment

from audiobrief.engines.batch import synthesize_all
from audiobrief.engines.gtts_engine import GTTSEngine
from audiobrief.errors import EngineError

pytest.importorskip("gtts")


@pytest.fixture
def refused(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Google's name resolves to a loopback port nobody listens on; lookups are counted."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]  # free once closed: connecting there is refused
    lookups: list[str] = []
    real = socket.getaddrinfo

    def lookup(host: str, *args: Any, **kwargs: Any) -> Any:
        lookups.append(host)
        return real("127.0.0.1", port, socket.AF_INET, socket.SOCK_STREAM)

    monkeypatch.setattr(socket, "getaddrinfo", lookup)
    return lookups


def _engine(sleeps: list[float]) -> GTTSEngine:
    # The defaults of the built-in profile: five retries with backoff, four at a time.
    return GTTSEngine(retries=5, backoff_s=1.0, concurrency=4, sleep=sleeps.append)


def test_a_refused_connection_fails_at_once_without_retries(refused: list[str]) -> None:
    sleeps: list[float] = []
    started = time.monotonic()
    with pytest.raises(EngineError) as caught:
        _engine(sleeps).synthesize("تهاطلت أمطار غزيرة على المدينة صباح اليوم")
    assert time.monotonic() - started < 0.5
    assert sleeps == []  # no backoff: retrying cannot help
    message = str(caught.value)
    assert "the connection was refused" in message
    assert "offline" in message
    assert "ar-espeak" in message
    assert "slow down" not in message  # the rate-limit advice does not fit this cause


def test_a_failed_name_lookup_is_named_as_such(monkeypatch: pytest.MonkeyPatch) -> None:
    def no_dns(host: str, *args: Any, **kwargs: Any) -> Any:
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    monkeypatch.setattr(socket, "getaddrinfo", no_dns)
    sleeps: list[float] = []
    with pytest.raises(EngineError, match="the name lookup failed"):
        _engine(sleeps).synthesize("خبر قصير")
    assert sleeps == []


def test_the_fallback_does_not_try_google_again(refused: list[str]) -> None:
    engine = _engine([])
    spoken_by_fallback: list[str] = []

    def fallback(text: str) -> AudioSegment:
        spoken_by_fallback.append(text)
        return AudioSegment.silent(duration=100, frame_rate=22050)

    texts = ["الجملة الأولى", "الجملة الثانية", "الجملة الثالثة", "الجملة الرابعة"]
    started = time.monotonic()
    clips = synthesize_all(engine, texts, fallback=fallback)
    assert time.monotonic() - started < 1.0
    assert len(clips) == len(texts)
    assert sorted(spoken_by_fallback) == sorted(texts)
    # At most the requests already in flight when the first one failed reached the network.
    assert len(refused) <= engine.max_concurrency
    before = len(refused)
    with pytest.raises(EngineError, match="offline"):
        engine.synthesize("جملة أخرى")
    assert len(refused) == before
