"""Engines stage entry point: synthesize every segment of a script, in order."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from audiobrief.engines.base import TTSEngine
from audiobrief.errors import EngineError

if TYPE_CHECKING:
    from concurrent.futures import Future

    from pydub import AudioSegment

logger = logging.getLogger(__name__)

Fallback = Callable[[str], "AudioSegment"]

GIVE_UP_AFTER = 3
"""Failures in a row after which the fallback speaks every remaining text directly.

An engine that failed this often in a row is down or blocking us (a lasting HTTP 429);
asking it again for each sentence would only add its retries and backoff to every one.
"""


def synthesize_all(
    engine: TTSEngine,
    texts: Sequence[str],
    *,
    fallback: Fallback | None = None,
    on_clip: Callable[[int], None] | None = None,
) -> list[AudioSegment]:
    """One clip per text, in order; online engines run `max_concurrency` at a time.

    When the engine fails on a text and *fallback* is given, that text is spoken by the
    fallback (an offline voice) and a warning names it; otherwise the EngineError names
    it and the texts not started yet are not sent.
    """
    speak = _Speaker(engine, fallback)

    def one(text: str) -> AudioSegment:
        clip = speak(text)
        if on_clip is not None:
            on_clip(1)
        return clip

    workers = max(1, engine.max_concurrency)
    if workers == 1 or len(texts) < 2:
        return [one(text) for text in texts]
    from concurrent.futures import ThreadPoolExecutor  # an offline voice never needs it

    pool = ThreadPoolExecutor(max_workers=min(workers, len(texts)), thread_name_prefix="synth")
    futures: list[Future[AudioSegment]] = [pool.submit(one, text) for text in texts]
    try:
        clips = [future.result() for future in futures]
    finally:
        # On a failure, drop what has not started: a broken engine gets no more requests.
        pool.shutdown(wait=True, cancel_futures=True)
    return clips


class _Speaker:
    """The engine, with the fallback for the texts it fails on (thread-safe)."""

    def __init__(self, engine: TTSEngine, fallback: Fallback | None) -> None:
        self._engine, self._fallback = engine, fallback
        self._lock = threading.Lock()
        self._failures_in_a_row = 0

    def __call__(self, text: str) -> AudioSegment:
        name, fallback = self._engine.name, self._fallback
        if fallback is not None and self._given_up():
            return self._use_fallback(fallback, text, None)
        try:
            clip = self._engine.synthesize(text)
        except EngineError as exc:
            if fallback is None:
                raise EngineError(name, f"could not speak «{_head(text)}»: {exc.reason}") from exc
            self._count(failed=True)
            return self._use_fallback(fallback, text, exc)
        self._count(failed=False)
        return clip

    def _use_fallback(self, fallback: Fallback, text: str, exc: EngineError | None) -> AudioSegment:
        name = self._engine.name
        if exc is None:
            logger.warning("%s skipped «%s»; the fallback voice spoke it", name, _head(text))
        else:
            logger.warning(
                "%s could not speak «%s»; the fallback voice spoke it (%s)",
                name,
                _head(text),
                exc.reason,
            )
        try:
            return fallback(text)
        except EngineError as backup_exc:
            first = f" ({exc.reason})" if exc is not None else ""
            raise EngineError(
                name,
                f"could not speak «{_head(text)}»{first}, and the fallback voice failed too: "
                f"{backup_exc}",
            ) from backup_exc

    def _given_up(self) -> bool:
        with self._lock:
            return self._failures_in_a_row >= GIVE_UP_AFTER

    def _count(self, *, failed: bool) -> None:
        with self._lock:
            if not failed:
                self._failures_in_a_row = 0
                return
            self._failures_in_a_row += 1
            if self._failures_in_a_row == GIVE_UP_AFTER:
                logger.warning(
                    "%s failed %d times in a row; the fallback voice speaks the rest",
                    self._engine.name,
                    GIVE_UP_AFTER,
                )


def _head(text: str, words: int = 6) -> str:
    parts = text.split()
    return " ".join(parts[:words]) + (" …" if len(parts) > words else "")
