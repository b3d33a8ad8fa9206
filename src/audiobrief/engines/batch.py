"""Engines stage entry point: synthesize every segment of a script, in order."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING

from audiobrief.engines.base import TTSEngine
from audiobrief.errors import EngineError

if TYPE_CHECKING:
    from pydub import AudioSegment

logger = logging.getLogger(__name__)

Fallback = Callable[[str], "AudioSegment"]


def synthesize_all(
    engine: TTSEngine,
    texts: Sequence[str],
    *,
    fallback: Fallback | None = None,
    on_clip: Callable[[int], None] | None = None,
) -> list[AudioSegment]:
    """One clip per text, in order; online engines run `max_concurrency` at a time.

    When the engine fails on a text and *fallback* is given, that text is spoken by the
    fallback (an offline voice) and a warning names it; otherwise the EngineError names it.
    """
    workers = max(1, int(getattr(engine, "max_concurrency", 1)))

    def one(text: str) -> AudioSegment:
        try:
            clip = engine.synthesize(text)
        except EngineError as exc:
            if fallback is None:
                raise EngineError(engine.name, f"could not speak «{_head(text)}»: {exc}") from exc
            logger.warning(
                "%s failed on «%s»; using the fallback voice (%s)", engine.name, _head(text), exc
            )
            clip = fallback(text)
        if on_clip is not None:
            on_clip(1)
        return clip

    if workers == 1 or len(texts) < 2:
        return [one(text) for text in texts]
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="synth") as pool:
        return list(pool.map(one, texts))


def _head(text: str, words: int = 6) -> str:
    parts = text.split()
    return " ".join(parts[:words]) + (" …" if len(parts) > words else "")
