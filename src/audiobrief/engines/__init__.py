"""Engine registry: built-ins are declared like plugins, so a library loads only when chosen."""

from __future__ import annotations

import functools
import importlib
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
    return sorted({name for name, _ in _BUILTIN} | {ep.name for ep in _plugins()} | _extra.keys())


def load_engine(name: str, **options: Any) -> TTSEngine:
    """Build engine *name* from a voice profile's options, importing its module now."""
    if name in _extra:
        return _extra[name](**options)
    found = _find(name)
    if found is None:
        raise UnknownEngineError(name, engine_names())
    factory = found[1]()
    _check_options(name, factory, options)
    return factory(**options)


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


def _find(name: str) -> tuple[str, Callable[[], EngineClass]] | None:
    """Where engine *name* lives ("module:attribute") and how to load it, or None.

    A built-in is found without reading the installed packages' metadata (importing
    importlib.metadata and scanning every package took 20 ms of each `speak` and
    `brief`); plugins cannot take a built-in's name, so only other names need the scan.
    """
    for builtin, value in _BUILTIN:
        if builtin == name:
            return value, functools.partial(_import, value)
    for ep in _plugins():
        if ep.name == name:
            return ep.value, ep.load
    return None


def _import(value: str) -> EngineClass:
    module, _, attribute = value.partition(":")
    factory: EngineClass = getattr(importlib.import_module(module), attribute)
    return factory


def _plugins() -> list[EntryPoint]:
    """Engines other packages declare, less any that takes a built-in's name."""
    from importlib.metadata import entry_points

    builtin = {name for name, _ in _BUILTIN}
    return [ep for ep in entry_points(group=GROUP) if ep.name not in builtin]


def unavailable_reason(name: str, options: dict[str, Any]) -> str | None:
    """None when engine *name* can run here with *options*, else why not and the fix."""
    if name in _extra:
        return None
    found = _find(name)
    if found is None:
        return f"no engine named {name!r} is installed (installed: {', '.join(engine_names())})."
    value, load = found
    try:
        factory: EngineClass = load()
    except ImportError as exc:
        return f"cannot import {value} ({exc}); reinstall audiobrief or the plugin."
    try:
        _check_options(name, factory, options)
    except ConfigError as exc:
        return str(exc)
    return factory.unavailable_reason(**options)
