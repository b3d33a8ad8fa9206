"""The engine contract: spoken text in, an audio clip out; what the registry may ask."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from pydub import AudioSegment


class TTSEngine(Protocol):
    """Spoken text in, clip out; raises only EngineError. engines/cache.py wraps it."""

    name: str
    """The engine's name, as profiles write it in `engine =` and the registry knows it."""
    max_concurrency: int
    """How many synthesize() calls may run at once (1 for engines that use every core)."""
    # Optional: `keeps_clips = False` keeps an engine's clips out of the cache, for one
    # that says a clip faster than the cache writes it (engines/cache.py reads it).

    def synthesize(self, text: str) -> AudioSegment: ...


class EngineClass(Protocol):
    """What the registry loads from an entry point: builds engines, says if one can run.

    Built-in engines and plugins alike are classes with a classmethod
    `unavailable_reason`, so `audiobrief voices` can explain a missing library, model
    or network without building the engine.
    """

    def __call__(self, **options: Any) -> TTSEngine: ...

    def unavailable_reason(self, **options: Any) -> str | None:
        """None when an engine with *options* can run here, else why not and the fix."""
        ...
