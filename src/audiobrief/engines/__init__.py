"""Engine registry: built-ins are declared like plugins, so a library loads only when chosen."""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from audiobrief.engines.base import EngineClass, TTSEngine
from audiobrief.errors import ConfigError, UnknownEngineError

if TYPE_CHECKING:
    from importlib.metadata import EntryPoint

GROUP = "audiobrief.engines"
Factory = Callable[..., TTSEngine]  # a class or function taking a voice's options

_BUILTIN = (
    ("espeak", "audiobrief.engines.espeak_engine:EspeakEngine"),
    ("gtts", "audiobrief.engines.gtts_engine:GTTSEngine"),
    ("piper", "audiobrief.engines.piper_engine:PiperEngine"),
)
_extra: dict[str, Factory] = {}  # registered in code; tests put FakeEngine here


def engine_names() -> list[str]:
    """Every engine name this installation knows."""
    return sorted({ep.name for ep in _entry_points()} | _extra.keys())


def load_engine(name: str, **options: Any) -> TTSEngine:
    """Build engine *name* from a voice profile's options, importing its module now."""
    if name in _extra:
        return _extra[name](**options)
    for ep in _entry_points():
        if ep.name == name:
            factory: EngineClass = ep.load()
            _check_options(name, factory, options)
            return factory(**options)
    raise UnknownEngineError(name, engine_names())


def _check_options(name: str, factory: Factory, options: dict[str, Any]) -> None:
    """A typo in a profile's [options] is a ConfigError listing the valid names."""
    try:
        params = inspect.signature(factory).parameters
    except (TypeError, ValueError):  # a builtin or C factory: nothing to check
        return
    if any(p.kind is p.VAR_KEYWORD for p in params.values()):
        return
    valid = sorted(n for n, p in params.items() if p.kind is p.KEYWORD_ONLY)
    unknown = sorted(set(options) - set(params))
    if unknown:
        raise ConfigError(
            f"the {name} engine has no option {unknown[0]!r}; valid options: {', '.join(valid)}."
        )


def _builtin() -> list[EntryPoint]:
    # importlib.metadata takes 9 ms to import: only a command that loads an engine pays.
    from importlib.metadata import EntryPoint

    return [EntryPoint(name, value, GROUP) for name, value in _BUILTIN]


def _entry_points() -> list[EntryPoint]:
    from importlib.metadata import entry_points

    builtin = _builtin()
    seen = {ep.name for ep in builtin}
    plugins = [ep for ep in entry_points(group=GROUP) if ep.name not in seen]
    return [*builtin, *plugins]


def unavailable_reason(name: str, options: dict[str, Any]) -> str | None:
    """None when engine *name* can run here with *options*, else why not and the fix."""
    if name in _extra:
        return None
    for ep in _entry_points():
        if ep.name == name:
            try:
                factory: EngineClass = ep.load()
            except ImportError as exc:
                return f"cannot import {ep.value} ({exc}); reinstall audiobrief or the plugin."
            try:
                _check_options(name, factory, options)
            except ConfigError as exc:
                return str(exc)
            return factory.unavailable_reason(**options)
    return f"no engine named {name!r} is installed (installed: {', '.join(engine_names())})."
