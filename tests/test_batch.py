"""engines.batch: every text in order, the fallback for failed texts, giving up on a dead engine."""

from __future__ import annotations

import logging
import threading
import time

import pytest
from pydub import AudioSegment

from audiobrief.engines.batch import GIVE_UP_AFTER, synthesize_all
from audiobrief.errors import EngineError
from support import FakeEngine


class Flaky(FakeEngine):
    """Fails on the texts named in *failing*, answers the others."""

    def __init__(self, failing: set[str]) -> None:
        super().__init__()
        self.failing = failing

    def synthesize(self, text: str) -> AudioSegment:
        self.calls.append(text)
        if text in self.failing:
            raise EngineError(self.name, f"HTTP 503 for {text}")
        return AudioSegment.silent(duration=_ms(text), frame_rate=22050)


def _ms(text: str) -> int:
    """A clip length that tells the texts apart, so a mix-up in the order shows."""
    return 10 + ord(text[-1]) % 50


def _fallback(spoken: list[str]) -> object:
    def speak(text: str) -> AudioSegment:
        spoken.append(text)
        return AudioSegment.silent(duration=200, frame_rate=22050)

    return speak


TEXTS = [f"t{i}" for i in range(9)]


def test_failures_broken_by_a_success_never_add_up_to_giving_up() -> None:
    # Two failures, a success, two failures, ...: never GIVE_UP_AFTER (3) in a row.
    failing = {"t0", "t1", "t3", "t4", "t6", "t7"}
    engine, spoken = Flaky(failing), []
    clips = synthesize_all(engine, TEXTS, fallback=_fallback(spoken))
    assert engine.calls == TEXTS  # the engine was asked for every text
    assert spoken == [t for t in TEXTS if t in failing]
    assert [len(c) for c in clips] == [200 if t in failing else _ms(t) for t in TEXTS]


def test_three_failures_in_a_row_send_the_rest_straight_to_the_fallback(
    caplog: pytest.LogCaptureFixture,
) -> None:
    # A success first, then the engine goes down for good after t3.
    failing = {"t1", "t2", "t3", "t4", "t5", "t6", "t7", "t8"}
    engine, spoken = Flaky(failing), []
    with caplog.at_level(logging.WARNING, logger="audiobrief.engines.batch"):
        synthesize_all(engine, TEXTS, fallback=_fallback(spoken))
    assert GIVE_UP_AFTER == 3
    assert engine.calls == ["t0", "t1", "t2", "t3"]
    assert spoken == TEXTS[1:]
    warnings = [r.getMessage() for r in caplog.records]
    failed = [f"fake could not speak «{t}»; the fallback voice spoke it (HTTP 503 for {t})"
              for t in ("t1", "t2", "t3")]  # fmt: skip
    assert warnings == [
        *failed[:2],
        "fake failed 3 times in a row; the fallback voice speaks the rest",
        failed[2],
        *(f"fake skipped «{t}»; the fallback voice spoke it" for t in TEXTS[4:]),
    ]


def test_a_fallback_failing_after_the_engine_was_given_up_says_so() -> None:
    spoken: list[str] = []

    def fails_on_t4(text: str) -> AudioSegment:
        if text == "t4":
            raise EngineError("espeak", "no voice data")
        spoken.append(text)
        return AudioSegment.silent(duration=20, frame_rate=22050)

    with pytest.raises(EngineError) as caught:
        synthesize_all(Flaky(set(TEXTS)), TEXTS, fallback=fails_on_t4)
    assert caught.value.reason == (
        "could not speak «t4», and the fallback voice failed too: espeak engine: no voice data"
    )
    assert spoken == ["t0", "t1", "t2", "t3"]


def test_each_clip_ticks_the_progress_once_in_order_of_the_texts() -> None:
    ticks: list[int] = []
    engine = Flaky(set())
    engine.max_concurrency = 3
    clips = synthesize_all(engine, TEXTS, on_clip=ticks.append)
    assert ticks == [1] * len(TEXTS)
    assert [len(c) for c in clips] == [_ms(t) for t in TEXTS]


def test_two_texts_already_go_out_in_parallel() -> None:
    engine = _Slow(max_concurrency=4)
    clips = synthesize_all(engine, ["أ", "ب"])
    assert engine.most == 2
    assert [len(c) for c in clips] == [_ms("أ"), _ms("ب")]


def test_a_failure_without_fallback_cancels_the_texts_not_started() -> None:
    engine = _Slow(max_concurrency=2, failing={"t0"})
    with pytest.raises(EngineError, match="could not speak «t0»"):
        synthesize_all(engine, TEXTS)
    assert len(engine.calls) < len(TEXTS)


@pytest.mark.parametrize(
    ("text", "head"),
    [
        ("واحد اثنان ثلاثة أربعة خمسة ستة", "واحد اثنان ثلاثة أربعة خمسة ستة"),
        ("واحد اثنان ثلاثة أربعة خمسة ستة سبعة", "واحد اثنان ثلاثة أربعة خمسة ستة …"),
    ],
)
def test_errors_name_a_text_by_its_first_six_words(text: str, head: str) -> None:
    with pytest.raises(EngineError) as caught:
        synthesize_all(Flaky({text}), [text])
    assert caught.value.reason == f"could not speak «{head}»: HTTP 503 for {text}"


class _Slow(Flaky):
    """Takes 50 ms a text and records how many calls ran at once."""

    def __init__(self, *, max_concurrency: int, failing: set[str] | None = None) -> None:
        super().__init__(failing or set())
        self.max_concurrency = max_concurrency
        self.running = self.most = 0
        self._lock = threading.Lock()

    def synthesize(self, text: str) -> AudioSegment:
        with self._lock:
            self.running += 1
            self.most = max(self.most, self.running)
        try:
            time.sleep(0.05)
            return super().synthesize(text)
        finally:
            with self._lock:
                self.running -= 1


def test_without_a_fallback_the_first_failure_stops_and_names_the_text() -> None:
    engine = Flaky({"t2"})
    with pytest.raises(EngineError, match="could not speak «t2»: HTTP 503 for t2") as caught:
        synthesize_all(engine, TEXTS)
    assert caught.value.engine == "fake"
    assert engine.calls == ["t0", "t1", "t2"]


def test_a_failing_fallback_names_both_reasons() -> None:
    def broken(text: str) -> AudioSegment:
        raise EngineError("espeak", "no voice data")

    with pytest.raises(EngineError) as caught:
        synthesize_all(Flaky({"t0"}), ["t0"], fallback=broken)
    assert "could not speak «t0» (HTTP 503 for t0), and the fallback voice failed too" in str(
        caught.value
    )
    assert "espeak engine: no voice data" in str(caught.value)
