"""Engine registry: built-ins are declared like plugins, so a library loads only when chosen."""

from __future__ import annotations

from collections.abc import Callable
from importlib.metadata import EntryPoint, entry_points
from typing import Any

from audiobrief.engines.base import TTSEngine
from audiobrief.errors import UnknownEngineError

GROUP = "audiobrief.engines"
Factory = Callable[..., TTSEngine]  # a class or function taking a voice's options

_BUILTIN = (
    EntryPoint("espeak", "audiobrief.engines.espeak_engine:EspeakEngine", GROUP),
    EntryPoint("gtts", "audiobrief.engines.gtts_engine:GTTSEngine", GROUP),
    EntryPoint("piper", "audiobrief.engines.piper_engine:PiperEngine", GROUP),
)
_extra: dict[str, Factory] = {}  # registered in code; tests put FakeEngine here


def register_engine(name: str, factory: Factory) -> None:
    """Register an engine in code (plugins normally use the entry-point group)."""
    _extra[name] = factory


def engine_names() -> list[str]:
    """Every engine name this installation knows."""
    return sorted({ep.name for ep in _entry_points()} | _extra.keys())


def load_engine(name: str, **options: Any) -> TTSEngine:
    """Build engine *name* from a voice profile's options, importing its module now."""
    if name in _extra:
        return _extra[name](**options)
    for ep in _entry_points():
        if ep.name == name:
            factory: Factory = ep.load()
            return factory(**options)
    raise UnknownEngineError(name, engine_names())


def _entry_points() -> list[EntryPoint]:
    seen = {ep.name for ep in _BUILTIN}
    plugins = [ep for ep in entry_points(group=GROUP) if ep.name not in seen]
    return [*_BUILTIN, *plugins]
