"""engines.batch: every text in order, the fallback for failed texts, giving up on a dead engine."""

from __future__ import annotations

import logging

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
        return AudioSegment.silent(duration=10, frame_rate=22050)


def _fallback(spoken: list[str]) -> object:
    def speak(text: str) -> AudioSegment:
        spoken.append(text)
        return AudioSegment.silent(duration=20, frame_rate=22050)

    return speak


TEXTS = [f"t{i}" for i in range(9)]


def test_failures_broken_by_a_success_never_add_up_to_giving_up() -> None:
    # Two failures, a success, two failures, ...: never GIVE_UP_AFTER (3) in a row.
    failing = {"t0", "t1", "t3", "t4", "t6", "t7"}
    engine, spoken = Flaky(failing), []
    clips = synthesize_all(engine, TEXTS, fallback=_fallback(spoken))
    assert engine.calls == TEXTS  # the engine was asked for every text
    assert spoken == [t for t in TEXTS if t in failing]
    assert [len(c) for c in clips] == [20 if t in failing else 10 for t in TEXTS]


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
    assert "failed 3 times in a row" in caplog.text
    assert caplog.text.count("skipped") == 5


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
