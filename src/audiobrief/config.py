"""Settings and voice profiles: frozen dataclasses parsed from TOML, env and flags."""

from __future__ import annotations

import dataclasses
import tomllib
import types
import typing
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from audiobrief.errors import ConfigError, UnknownVoiceError

ENV_PREFIX = "AUDIOBRIEF_"


@dataclass(frozen=True)
class Settings:
    """Everything a run can be told; each field is also `AUDIOBRIEF_<FIELD>` and a TOML key."""

    show_title: str = "موجز الأخبار"
    """Show name: spoken in briefings, ID3 TALB, feed channel title."""
    author: str = "audiobrief"
    """Feed and ID3 author (TPE1 for briefings; articles use their outlet when known)."""
    owner_email: str = "podcast@example.com"
    description: str = "موجز يومي مسموع لأخبار مختارة، بصوت اصطناعي."
    language: str = "ar"
    """Feed language: `ar` or `ar-ma`."""
    category: str = "News"
    subcategory: str = "Daily News"
    explicit: bool = False
    cover: Path | None = None
    """Square JPEG/PNG, 1400-3000 px; None uses the cover shipped with the package."""
    base_url: str = "http://127.0.0.1:8000/"
    """Public URL of the output folder; every feed URL is absolute under it."""
    timezone: str = "Africa/Casablanca"
    month_style: str = "maghreb"
    """Month names to speak: maghreb (شتنبر), mashriq (سبتمبر) or levant (أيلول)."""
    output_dir: Path = Path("output")
    voices_dir: Path = Path("voices")
    voice: str = "ar-espeak"
    """Default voice profile, a file `voices/NAME.toml`."""
    fallback_voice: str = "ar-espeak"
    """Offline voice used for sentences an online voice could not speak."""
    on_engine_failure: str = "fail"
    """`fail` the article, or `fallback` to fallback_voice for the failing sentences."""
    bitrate_kbps: int = 64
    channels: int = 1
    """1 (mono, -19 LUFS) or 2 (stereo, -16 LUFS)."""
    sample_rate_hz: int = 22050
    clause_pause_ms: int = 250
    sentence_pause_ms: int = 500
    paragraph_pause_ms: int = 900
    section_pause_ms: int = 1500
    normalize_loudness: bool = True
    cache_dir: Path | None = None
    """Synthesis cache folder; None means the user cache folder."""
    cache_max_mb: int = 500
    feed_keep: int = 0
    """Episodes listed in each feed, newest first; 0 keeps all."""
    briefing_order: str = "given"
    """Article order in a briefing: `given` (or catalog order) or `time`."""
    music: Path | None = None
    """Optional intro/outro music bed."""
    music_gain_db: float = -18.0


VALID_CHOICES: dict[str, tuple[str, ...]] = {
    "language": ("ar", "ar-ma"),
    "month_style": ("maghreb", "mashriq", "levant"),
    "on_engine_failure": ("fail", "fallback"),
    "briefing_order": ("given", "time"),
}
VALID_RANGES: dict[str, tuple[int, int]] = {
    "bitrate_kbps": (32, 320),
    "channels": (1, 2),
    "sample_rate_hz": (8000, 48000),
    "cache_max_mb": (1, 1_000_000),
    "feed_keep": (0, 100_000),
}


@dataclass(frozen=True)
class VoiceProfile:
    """A voice: `voices/NAME.toml` naming an engine and that engine's options."""

    name: str
    engine: str
    """Engine registry name: espeak, gtts, piper or a plugin's."""
    language: str = "ar"
    diacritize: bool = True
    """Whether the voice wants fully diacritized text (eSpeak NG does)."""
    description: str = ""
    options: Mapping[str, Any] = field(default_factory=dict)
    """Keyword arguments for the engine (voice id, rate_wpm, tld, model path...)."""
    path: Path | None = None


def load_settings(
    path: Path | None,
    overrides: Mapping[str, Any] | None = None,
    environ: Mapping[str, str] | None = None,
) -> Settings:
    """Resolve settings: overrides (flags) > AUDIOBRIEF_* environ > TOML file > defaults.

    A missing file at *path* is fine (defaults apply); a file that exists must be valid.
    """
    values: dict[str, Any] = {}
    if path is not None and path.is_file():
        values.update(_read_toml(path))
    for name in _field_types():
        raw = (environ or {}).get(ENV_PREFIX + name.upper())
        if raw is not None and raw != "":
            values[name] = raw
    values.update({k: v for k, v in (overrides or {}).items() if v is not None})
    return settings_from_mapping(values, origin=str(path) if path else "settings")


def settings_from_mapping(values: Mapping[str, Any], origin: str = "settings") -> Settings:
    """Build Settings from loose values (TOML types or strings), checking every key."""
    types_ = _field_types()
    unknown = sorted(set(values) - set(types_))
    if unknown:
        valid = ", ".join(sorted(types_))
        raise ConfigError(f"{origin}: unknown setting {unknown[0]!r}; valid settings: {valid}.")
    parsed = {name: _coerce(name, types_[name], value, origin) for name, value in values.items()}
    for name, choices in VALID_CHOICES.items():
        if name in parsed and parsed[name] not in choices:
            raise ConfigError(
                f"{origin}: {name} = {parsed[name]!r} is not valid; use one of: "
                + ", ".join(choices)
                + "."
            )
    for name, (low, high) in VALID_RANGES.items():
        if name in parsed and not low <= parsed[name] <= high:
            raise ConfigError(f"{origin}: {name} must be between {low} and {high}.")
    return Settings(**parsed)


def voice_names(voices_dir: Path) -> list[str]:
    """Names of the voice profiles in *voices_dir*."""
    if not voices_dir.is_dir():
        return []
    return sorted(p.stem for p in voices_dir.glob("*.toml"))


def load_voice(name: str, voices_dir: Path) -> VoiceProfile:
    """Read `voices_dir/NAME.toml`; raise UnknownVoiceError or ConfigError with the fix."""
    path = voices_dir / f"{name}.toml"
    if not path.is_file():
        raise UnknownVoiceError(name, voice_names(voices_dir))
    data = _read_toml(path)
    allowed = {"engine", "language", "diacritize", "description", "options"}
    unknown = sorted(set(data) - allowed)
    if unknown:
        raise ConfigError(
            f"{path}: unknown key {unknown[0]!r}; valid keys: {', '.join(sorted(allowed))}."
        )
    engine = data.get("engine")
    if not isinstance(engine, str) or not engine:
        raise ConfigError(f"{path}: set engine = \"espeak\" (or gtts, piper).")
    options = data.get("options", {})
    if not isinstance(options, dict):
        raise ConfigError(f"{path}: [options] must be a table of engine options.")
    checks = {"language": str, "diacritize": bool, "description": str}
    for key, kind in checks.items():
        if key in data and not isinstance(data[key], kind):
            raise ConfigError(f"{path}: {key} must be a {kind.__name__}.")
    return VoiceProfile(
        name=name,
        engine=engine,
        language=data.get("language", "ar"),
        diacritize=data.get("diacritize", True),
        description=data.get("description", ""),
        options=types.MappingProxyType(dict(options)),
        path=path,
    )


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as handle:
            return tomllib.load(handle)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML ({exc}); fix the file.") from exc
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read ({exc.strerror}).") from exc


def _field_types() -> dict[str, Any]:
    hints = typing.get_type_hints(Settings)
    return {f.name: hints[f.name] for f in dataclasses.fields(Settings)}


def _coerce(name: str, kind: Any, value: Any, origin: str) -> Any:
    """Turn a TOML value or an environment string into the field's type."""
    optional = type(None) in typing.get_args(kind)
    base = next((a for a in typing.get_args(kind) if a is not type(None)), kind)
    if optional and value in ("", None):
        return None
    try:
        if base is bool:
            if isinstance(value, bool):
                return value
            text = str(value).strip().lower()
            if text in ("1", "true", "yes", "on"):
                return True
            if text in ("0", "false", "no", "off"):
                return False
            raise ValueError(value)
        if base is int:
            if isinstance(value, bool):
                raise ValueError(value)
            return int(value)
        if base is float:
            return float(value)
        if base is Path:
            return Path(str(value)).expanduser()
        if not isinstance(value, str):
            raise ValueError(value)
        return value
    except ValueError as exc:
        raise ConfigError(
            f"{origin}: {name} = {value!r} is not a valid {base.__name__}."
        ) from exc
