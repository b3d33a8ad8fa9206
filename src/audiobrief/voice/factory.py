"""A runnable voice: its profile's engine (cached), text front end and fallback."""

from __future__ import annotations

import atexit
import functools
import hashlib
import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from audiobrief import engines
from audiobrief.cache import Cache, open_cache
from audiobrief.config import Settings
from audiobrief.engines.base import TTSEngine
from audiobrief.engines.cache import CachedEngine
from audiobrief.errors import AudiobriefError, ConfigError, UnknownEngineError
from audiobrief.model import Pauses
from audiobrief.store import digest
from audiobrief.text import front_end_code
from audiobrief.text.compiled import CompiledPatterns
from audiobrief.text.diacritize import Diacritizer
from audiobrief.text.diacritize_cache import CachedDiacritizer
from audiobrief.text.lazy import keep_compiled
from audiobrief.text.lexicon import load_lexicon
from audiobrief.text.normalize import make_steps, normalize
from audiobrief.voice.profiles import VoiceProfile, load_voice, voice_file, voice_names

if TYPE_CHECKING:
    from pydub import AudioSegment

logger = logging.getLogger(__name__)

LEXICON_NAME = "lexicon.tsv"


@dataclass(frozen=True)
class Voice:
    """Everything needed to turn an Article into clips with one voice profile."""

    profile: VoiceProfile
    engine: TTSEngine
    normalize: Callable[[str], str]
    diacritize: Callable[[str], str] | None
    pauses: Pauses
    fallback: Callable[[str], AudioSegment] | None = None
    text_key: str = ""
    """What decides the spoken text besides the article (front end code, month style,
    lexicon, diacritizer): a briefing takes a story's words from its episode's script
    only where that script was made under this text_key (see cached_encoded)."""

    @property
    def text_options(self) -> dict[str, Any]:
        """Keyword arguments of text.script.build_script for this voice."""
        return {"normalize": self.normalize, "diacritize": self.diacritize, "pauses": self.pauses}


def open_voice(settings: Settings, name: str | None = None) -> Voice:
    """Load voice *name* (default: settings.voice) with its front end and fallback."""
    profile = load_voice(name or settings.voice, settings.voices_dir)
    engine = _engine(profile, settings)  # before the slow parts: a broken profile fails fast
    diacritizer = _diacritizer(settings) if profile.diacritize else None
    return Voice(
        profile=profile,
        engine=engine,
        normalize=front_end(settings),
        diacritize=_cached(diacritizer, settings) if diacritizer else None,
        pauses=Pauses(
            settings.clause_pause_ms,
            settings.sentence_pause_ms,
            settings.paragraph_pause_ms,
            settings.section_pause_ms,
        ),
        fallback=_fallback(profile, settings),
        text_key=_text_key(settings, diacritizer),
    )


def _text_key(settings: Settings, diacritizer: Diacritizer | None) -> str:
    lexicon = voice_file(settings.voices_dir, LEXICON_NAME)
    try:
        words = hashlib.sha256(lexicon.read_bytes()).hexdigest()
    except OSError:  # none (front_end reports a lexicon it cannot read)
        words = None
    return digest(
        {
            "code": front_end_code(),
            "month_style": settings.month_style,
            "lexicon": words,
            "diacritizer": diacritizer.name if diacritizer else None,
        }
    )


def front_end(settings: Settings) -> Callable[[str], str]:
    """The written -> spoken text chain, with the user's lexicon when there is one.

    Its patterns compile from what the cache folder kept of them, and what this
    process compiles is kept there when it exits (text.compiled).
    """
    # This machine's folder only, never a shared tier: the patterns are code the engine runs.
    _keep_patterns(_local_cache(settings))
    path = voice_file(settings.voices_dir, LEXICON_NAME)
    lexicon = load_lexicon(path) if path.is_file() else None
    steps = make_steps(month_style=settings.month_style, lexicon=lexicon)
    return functools.partial(normalize, steps=steps)


_kept_in: dict[Path, CompiledPatterns] = {}  # per cache folder: one for the process


def _keep_patterns(cache: Cache | None) -> None:
    if cache is None:
        keep_compiled(None)
        return
    compiled = _kept_in.get(cache.folder)
    if compiled is None:
        compiled = _kept_in[cache.folder] = CompiledPatterns(cache, front_end_code())
        atexit.register(compiled.save)
    keep_compiled(compiled)


def voice_report(settings: Settings) -> list[tuple[VoiceProfile | str, str | None]]:
    """Every profile with None when it can run here, else why not and how to fix it."""
    rows: list[tuple[VoiceProfile | str, str | None]] = []
    for name in voice_names(settings.voices_dir):
        try:
            profile = load_voice(name, settings.voices_dir)
        except AudiobriefError as exc:
            rows.append((name, str(exc)))
            continue
        if profile.engine not in engines.engine_names():
            rows.append((profile, _not_installed(profile)))
            continue
        reason = engines.unavailable_reason(profile.engine, _options(profile, settings))
        rows.append((profile, reason))
    return rows


def _cached(diacritizer: Diacritizer, settings: Settings) -> Callable[[str], str]:
    """The diacritizer, remembering its answers in the cache folder when there is one."""
    cache = settings_cache(settings)
    return diacritizer if cache is None else CachedDiacritizer(diacritizer, cache, diacritizer.name)


def _local_cache(settings: Settings) -> Cache | None:
    """The cache folder of *settings* without its shared tier: for what is code.

    Its path is made absolute: the kept patterns are written at exit, when a caller
    that changed folders (a test, a worker) may be elsewhere.
    """
    folder = settings.cache_dir
    return open_cache(None if folder is None else Path(folder).absolute(), settings.cache_max_mb)


def settings_cache(settings: Settings) -> Cache | None:
    """The one cache of *settings* (its folder, limit and shared tier), or None when off."""
    return open_cache(
        settings.cache_dir, settings.cache_max_mb, settings.cache_url, settings.s3_endpoint_url
    )


def _diacritizer(settings: Settings) -> Diacritizer:
    # Its optimized model stays on this machine, never in a shared tier: a model is code.
    return Diacritizer(cache=_local_cache(settings))


def _options(profile: VoiceProfile, settings: Settings) -> dict[str, Any]:
    """Profile options, with a relative model file resolved in the voices folder."""
    options = dict(profile.options)
    model = options.get("model")
    if isinstance(model, str) and not Path(model).is_absolute():
        options["model"] = str(settings.voices_dir / model)
    return options


def _engine(profile: VoiceProfile, settings: Settings) -> TTSEngine:
    options = _options(profile, settings)
    try:
        engine = engines.load_engine(profile.engine, **options)
    except UnknownEngineError as exc:
        raise ConfigError(_not_installed(profile)) from exc
    except ConfigError as exc:  # an option typo or a bad value: say which file holds it
        raise ConfigError(f"{_where(profile)}: {exc}") from exc
    cache = settings_cache(settings)
    if cache is None:
        return engine
    return CachedEngine(engine, cache, {"engine": profile.engine, **options})


def _fallback(profile: VoiceProfile, settings: Settings) -> Callable[[str], AudioSegment] | None:
    """The offline voice for sentences the profile's engine fails on, when configured."""
    name = settings.fallback_voice
    if settings.on_engine_failure != "fallback" or name == profile.name:
        return None
    if name not in voice_names(settings.voices_dir):
        raise ConfigError(
            f"fallback_voice {name!r} has no profile in {settings.voices_dir} (available: "
            f"{', '.join(voice_names(settings.voices_dir)) or 'none'}); set fallback_voice "
            'to an offline voice, or on_engine_failure = "fail".'
        )
    backup = load_voice(name, settings.voices_dir)
    # The text reaches the fallback in the main voice's form: add harakat if it wants them.
    fix = _diacritizer(settings) if backup.diacritize and not profile.diacritize else None
    return _speak_with(_engine(backup, settings), fix)


def _where(profile: VoiceProfile) -> str:
    return str(profile.path) if profile.path else f"voice {profile.name!r}"


def _not_installed(profile: VoiceProfile) -> str:
    return (
        f"{_where(profile)}: engine {profile.engine!r} is not installed (installed: "
        f"{', '.join(engines.engine_names())}); set engine to one of them, or install the "
        f"plugin that provides {profile.engine!r}."
    )


def _speak_with(
    engine: TTSEngine, diacritize: Callable[[str], str] | None
) -> Callable[[str], AudioSegment]:
    def speak(text: str) -> AudioSegment:
        return engine.synthesize(diacritize(text) if diacritize else text)

    return speak
