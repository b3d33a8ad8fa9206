"""The engine contract: spoken text in, an audio clip out."""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from pydub import AudioSegment


class TTSEngine(Protocol):
    """Spoken text in, clip out; raises only EngineError. engines/cache.py wraps it."""

    name: str

    def synthesize(self, text: str) -> AudioSegment: ...
