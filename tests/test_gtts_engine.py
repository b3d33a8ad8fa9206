"""gTTS engine: Arabic chunking, requests, retries and decoding against a fake Google."""

from __future__ import annotations

import base64
import http.server
import json
import math
import re
import threading
import urllib.parse
from collections.abc import Callable, Iterator
from typing import Any

import lameenc
import pytest
import requests
import responses
from pydub import AudioSegment

from audiobrief.engines import load_engine
from audiobrief.engines.gtts_engine import GTTSEngine, split_chunks
from audiobrief.errors import ConfigError, EngineError, EngineUnavailableError
from support import CORPUS, needs_corpus

URL = re.compile(r"https://translate\.google\.com/_/TranslateWebserverUi/data/batchexecute")
RATE_HZ = 24000
CLIP_MS = 400
CLAUSE_A = "ترأست نائب رئيس المجلس المكلفة بإنعاش قطاع الاقتصاد الاجتماعي والتضامني"
CLAUSE_B = "السيدة خديجة الحجوبي أشغال جلسة عمل خصصت لعرض برامج العمل المسطرة"
TWO_CHUNKS = f"{CLAUSE_A}؛ {CLAUSE_B}."


def mp3_bytes(duration_ms: int = CLIP_MS, amplitude: float = 0.3) -> bytes:
    """A real MP3 of a 440 Hz tone (amplitude 0 gives silence), as Google would send."""
    count = RATE_HZ * duration_ms // 1000
    peak = int(32767 * amplitude)
    samples = [int(peak * math.sin(2 * math.pi * 440 * i / RATE_HZ)) for i in range(count)]
    pcm = b"".join(s.to_bytes(2, "little", signed=True) for s in samples)
    encoder = lameenc.Encoder()
    encoder.set_bit_rate(48)
    encoder.set_in_sample_rate(RATE_HZ)
    encoder.set_out_sample_rate(RATE_HZ)
    encoder.set_channels(1)
    encoder.set_quality(7)
    return bytes(encoder.encode(pcm) + encoder.flush())


def google_reply(mp3: bytes) -> str:
    """A batchexecute reply: gTTS scans its lines for the RPC id and the base64 audio."""
    audio = base64.b64encode(mp3).decode("ascii")
    return f')]}}\'\n\n[["wrb.fr","jQ1olc","[\\"{audio}\\"]",null,null,null,"generic"]]\n'


def spoken_text(body: str | bytes) -> str:
    """The text gTTS put in one request's f.req form field."""
    form = urllib.parse.parse_qs(body if isinstance(body, str) else body.decode("utf-8"))
    rpc = json.loads(form["f.req"][0])
    text: str = json.loads(rpc[0][0][1])[0]
    return text


class FakeGoogle:
    """Answers batchexecute POSTs through `responses`; records what each request said."""

    def __init__(self, mock: responses.RequestsMock) -> None:
        self.texts: list[str] = []
        self.timeouts: list[object] = []
        self.statuses: list[int] = []  # served first, one per request; then 200
        self.mp3 = mp3_bytes()
        self._lock = threading.Lock()
        mock.add_callback(responses.POST, URL, callback=self._answer)

    def _answer(self, request: Any) -> tuple[int, dict[str, str], str]:
        with self._lock:
            self.texts.append(spoken_text(request.body))
            self.timeouts.append(request.req_kwargs.get("timeout"))
            status = self.statuses.pop(0) if self.statuses else 200
        if status != 200:
            return status, {}, "busy"
        return 200, {}, google_reply(self.mp3)


@pytest.fixture
def google() -> Iterator[FakeGoogle]:
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        yield FakeGoogle(mock)


@pytest.fixture
def waits() -> list[float]:
    return []


@pytest.fixture
def engine(waits: list[float]) -> GTTSEngine:
    return GTTSEngine(retries=3, backoff_s=1.0, max_backoff_s=30.0, sleep=waits.append)


# --- chunking ---------------------------------------------------------------------------


def test_short_text_is_one_chunk() -> None:
    assert split_chunks("  مرحبا   بكم.  ") == ["مرحبا بكم."]


def test_chunks_end_at_arabic_semicolon_when_clauses_do_not_fit_together() -> None:
    assert split_chunks(TWO_CHUNKS) == [f"{CLAUSE_A}؛", f"{CLAUSE_B}."]


def test_short_clauses_share_a_chunk() -> None:
    assert split_chunks("نعم، قال؟ لا؛ ربما!") == ["نعم، قال؟ لا؛ ربما!"]


def test_long_clause_is_cut_at_spaces_into_even_chunks() -> None:
    clause = " ".join(["كلمة"] * 50)  # 249 chars, no punctuation
    chunks = split_chunks(clause)
    assert len(chunks) == 3
    assert all(70 <= len(chunk) <= 100 for chunk in chunks)
    assert " ".join(chunks) == clause


def test_latin_decimal_and_abbreviation_points_are_not_cut() -> None:
    text = "بلغت النسبة 3.5 في U.S. " + " ".join(["نص"] * 40)
    assert all("3.5" in chunk or "3." not in chunk for chunk in split_chunks(text, max_chars=40))
    assert any("U.S. " in chunk or chunk.endswith("U.S.") for chunk in split_chunks(text))


def test_a_word_longer_than_the_limit_is_cut_only_because_it_must() -> None:
    chunks = split_chunks("قبل " + "أ" * 150 + " بعد")
    assert chunks == ["قبل", "أ" * 100, "أ" * 50 + " بعد"]


def test_punctuation_only_text_has_no_chunks() -> None:
    assert split_chunks(" ... !؟ ") == []


def test_stray_marks_stay_with_their_clause() -> None:
    assert split_chunks("« ... » أهلا؟! ") == ["« ... » أهلا؟!"]


@needs_corpus
def test_seed_article_chunks_keep_every_word_and_cut_at_semicolons() -> None:
    text = (CORPUS / "seed_article.txt").read_text(encoding="utf-8")
    chunks = split_chunks(text)
    assert all(0 < len(chunk) <= 100 for chunk in chunks)
    assert " ".join(chunks).split() == text.split()  # no word cut, lost or reordered
    assert chunks[1].endswith("المكلفة بإنعاش قطاع الاقتصاد الاجتماعي والتضامني؛")
    assert sum(chunk.endswith("؛") for chunk in chunks) >= 2


# --- synthesis --------------------------------------------------------------------------


def test_each_chunk_is_one_request_with_our_text_and_the_timeout(
    engine: GTTSEngine, google: FakeGoogle
) -> None:
    clip = engine.synthesize(TWO_CHUNKS)
    assert google.texts == [f"{CLAUSE_A}؛", f"{CLAUSE_B}."]
    assert google.timeouts == [15.0, 15.0]
    assert clip.frame_rate == RATE_HZ
    assert clip.channels == 1
    assert clip.sample_width == 2
    # Two 400 ms clips; an MP3 decoder adds under ~80 ms of encoder delay per clip.
    assert 2 * CLIP_MS <= len(clip) <= 2 * CLIP_MS + 160
    assert clip.rms > 1000  # the tone came through, not silence


def test_text_is_sent_without_gtts_english_rewrites(engine: GTTSEngine, google: FakeGoogle) -> None:
    engine.synthesize("التقى Mr. Smith بالوفد?نعم")
    assert google.texts == ["التقى Mr. Smith بالوفد?نعم"]  # gTTS would drop the "." and add " "


def test_chunks_are_fetched_concurrently_and_joined_in_order(waits: list[float]) -> None:
    second_asked = threading.Event()
    overlapped: list[bool] = []

    def answer(request: Any) -> tuple[int, dict[str, str], str]:
        if spoken_text(request.body).startswith(CLAUSE_A):
            overlapped.append(second_asked.wait(timeout=5))  # finish after the second
            return 200, {}, google_reply(mp3_bytes(amplitude=0.0))
        second_asked.set()
        return 200, {}, google_reply(mp3_bytes(amplitude=0.5))

    engine = GTTSEngine(concurrency=2, sleep=waits.append)
    with responses.RequestsMock() as mock:
        mock.add_callback(responses.POST, URL, callback=answer)
        clip = engine.synthesize(TWO_CHUNKS)
    assert overlapped == [True]
    half = len(clip) // 2
    assert clip[:half].rms < 100 < 1000 < clip[half:].rms  # silence first, tone second


def test_requests_in_flight_stay_within_concurrency_across_calls(waits: list[float]) -> None:
    lock, in_flight, peak, started = threading.Condition(), [0], [0], [0]

    def answer(request: Any) -> tuple[int, dict[str, str], str]:
        with lock:
            in_flight[0] += 1
            started[0] += 1
            peak[0] = max(peak[0], in_flight[0])
            lock.notify_all()
            # Hold each request until another is in flight, so any excess would pile up.
            lock.wait_for(lambda: in_flight[0] >= 2 or started[0] == 9, timeout=2)
            in_flight[0] -= 1
        return 200, {}, google_reply(mp3_bytes(duration_ms=50))

    engine = GTTSEngine(concurrency=2, sleep=waits.append)
    text = "؛ ".join(["كلمة " * 15] * 3)  # three chunks per call
    with responses.RequestsMock() as mock:
        mock.add_callback(responses.POST, URL, callback=answer)
        threads = [threading.Thread(target=engine.synthesize, args=(text,)) for _ in range(3)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert len(mock.calls) == 9
    assert engine.max_concurrency == 2
    assert peak[0] == 2


def test_rate_limit_twice_then_success_waits_longer_each_time(
    engine: GTTSEngine, google: FakeGoogle, waits: list[float]
) -> None:
    google.statuses = [429, 429]
    clip = engine.synthesize("مرحبا بكم في الموجز.")
    assert len(google.texts) == 3
    assert len(waits) == 2
    assert 1.0 <= waits[0] < 2.0 <= waits[1] < 3.0  # 1 s, then 2 s, each plus < 1 s jitter
    assert len(clip) >= CLIP_MS


def test_retry_after_header_stretches_the_wait(engine: GTTSEngine, waits: list[float]) -> None:
    with responses.RequestsMock() as mock:
        mock.add(responses.POST, URL, status=503, headers={"Retry-After": "7"})
        mock.add(responses.POST, URL, body=google_reply(mp3_bytes()))
        engine.synthesize("مرحبا")
    assert waits == [7.0]


def test_lasting_rate_limit_raises_engine_error_with_the_fix(
    engine: GTTSEngine, google: FakeGoogle, waits: list[float]
) -> None:
    google.statuses = [429] * 10
    with pytest.raises(EngineError) as caught:
        engine.synthesize("أعلنت الحكومة اليوم عن خطة جديدة لدعم التعاونيات في جهة فاس مكناس.")
    message = str(caught.value)
    assert message.startswith("gtts engine: ")
    assert "«أعلنت الحكومة اليوم عن خطة جديدة …»" in message
    assert "429" in message
    assert 'on_engine_failure = "fallback"' in message
    assert "slow down" in message
    assert len(google.texts) == 4  # the first try and 3 retries
    assert waits == sorted(waits)
    assert len(waits) == 3


def test_server_errors_are_retried(engine: GTTSEngine, google: FakeGoogle) -> None:
    google.statuses = [500, 502]
    engine.synthesize("مرحبا")
    assert len(google.texts) == 3


def test_other_client_errors_are_not_retried(
    engine: GTTSEngine, google: FakeGoogle, waits: list[float]
) -> None:
    google.statuses = [403]
    with pytest.raises(EngineError, match="403") as caught:
        engine.synthesize("مرحبا")
    assert len(google.texts) == 1
    assert waits == []
    assert "check the gtts options" in str(caught.value)


def test_lost_connections_are_retried_then_reported(engine: GTTSEngine, waits: list[float]) -> None:
    with responses.RequestsMock() as mock:
        mock.add(responses.POST, URL, body=requests.ConnectionError("connection refused"))
        with pytest.raises(EngineError, match="after 4 attempts"):
            engine.synthesize("مرحبا")
        assert len(mock.calls) == 4
    assert len(waits) == 3


def test_reply_without_audio_is_an_engine_error(engine: GTTSEngine) -> None:
    with responses.RequestsMock() as mock:
        mock.add(responses.POST, URL, body=')]}\'\n\n[["di",17]]\n')
        with pytest.raises(EngineError, match="without audio"):
            engine.synthesize("مرحبا")


def test_reply_that_is_not_mp3_is_an_engine_error(engine: GTTSEngine) -> None:
    with responses.RequestsMock() as mock:
        mock.add(responses.POST, URL, body=google_reply(b"not an mp3 at all" * 20))
        with pytest.raises(EngineError, match="not MP3 audio"):
            engine.synthesize("مرحبا")


def test_one_failing_chunk_fails_the_whole_text(waits: list[float]) -> None:
    engine = GTTSEngine(retries=0, sleep=waits.append)

    def answer(request: Any) -> tuple[int, dict[str, str], str]:
        if spoken_text(request.body).startswith(CLAUSE_B):
            return 404, {}, "no"
        return 200, {}, google_reply(mp3_bytes())

    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        mock.add_callback(responses.POST, URL, callback=answer)
        with pytest.raises(EngineError, match="«السيدة خديجة الحجوبي"):
            engine.synthesize(TWO_CHUNKS)


def test_empty_text_sends_nothing_and_returns_no_audio(
    engine: GTTSEngine, google: FakeGoogle
) -> None:
    assert len(engine.synthesize(" ؟ ")) == 0
    assert google.texts == []


# --- a reply that never comes -----------------------------------------------------------


@pytest.fixture
def stalled_google(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[[], int]]:
    """A loopback server that holds every request until the test ends, then answers."""
    import gtts.tts

    release, requests_seen = threading.Event(), [0]
    reply = google_reply(mp3_bytes()).encode("utf-8")

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            self.rfile.read(int(self.headers["Content-Length"]))
            requests_seen[0] += 1
            release.wait(timeout=20)  # without a client timeout the test would pass here
            try:
                self.send_response(200)
                self.end_headers()
                self.wfile.write(reply)
            except OSError:
                pass  # the client gave up, as it should

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    port = server.server_address[1]
    for name in ("http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY", "all_proxy"):
        monkeypatch.delenv(name, raising=False)
    # gtts.tts imported the URL builder by name: patch it there, not in gtts.utils.
    monkeypatch.setattr(
        gtts.tts, "_translate_url", lambda tld="com", path="": f"http://127.0.0.1:{port}/{path}"
    )
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield lambda: requests_seen[0]
    release.set()
    server.shutdown()
    server.server_close()
    thread.join(timeout=5)


def test_a_stalled_reply_is_cut_by_the_timeout_and_retried(
    stalled_google: Callable[[], int], waits: list[float]
) -> None:
    engine = GTTSEngine(timeout_s=0.5, retries=1, sleep=waits.append)
    with pytest.raises(EngineError, match="after 2 attempts") as caught:
        engine.synthesize("مرحبا بكم")
    assert "did not answer" in str(caught.value)
    assert "raise timeout_s (now 0.5 s)" in str(caught.value)
    assert stalled_google() == 2
    assert len(waits) == 1


# --- construction and availability ------------------------------------------------------


def test_registry_builds_the_engine_from_profile_options() -> None:
    engine = load_engine("gtts", tld="com", concurrency=3)
    assert isinstance(engine, GTTSEngine)
    assert engine.max_concurrency == 3


def test_unknown_language_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match=r"'ary'.*use 'ar'"):
        GTTSEngine(lang="ary")


def test_bad_options_are_a_config_error() -> None:
    with pytest.raises(ConfigError, match="concurrency >= 1"):
        GTTSEngine(concurrency=0)


def test_engine_is_available_when_its_libraries_are_installed_and_google_answers(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    reached: list[object] = []

    class Connection:
        def close(self) -> None:
            pass

    def connect(address: object, timeout: float) -> Connection:
        reached.append((address, timeout))
        return Connection()

    monkeypatch.setattr("socket.create_connection", connect)
    assert GTTSEngine.unavailable_reason(tld="com.eg") is None
    assert reached == [(("translate.google.com.eg", 443), 2.0)]


def test_engine_without_network_says_so() -> None:
    reason = GTTSEngine.unavailable_reason()  # tests block the network
    assert reason is not None
    assert reason.startswith("no network: cannot reach translate.google.com")


def test_missing_decoder_is_reported_with_the_fix(monkeypatch: pytest.MonkeyPatch) -> None:
    import importlib.util

    real_find_spec = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util,
        "find_spec",
        lambda name, *a: None if name == "miniaudio" else real_find_spec(name, *a),
    )
    reason = GTTSEngine.unavailable_reason()
    assert reason is not None
    assert "miniaudio" in reason
    assert "pip install" in reason
    with pytest.raises(EngineUnavailableError, match="miniaudio"):
        GTTSEngine()


@pytest.mark.network
def test_real_google_speaks_one_arabic_sentence() -> None:
    clip = GTTSEngine(timeout_s=20).synthesize("مرحبا بكم في موجز الأخبار.")
    assert isinstance(clip, AudioSegment)
    assert len(clip) > 800
    assert clip.rms > 50
