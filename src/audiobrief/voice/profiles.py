"""Voice profiles: `voices/NAME.toml` files naming an engine and its options."""

from __future__ import annotations

import types
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from audiobrief.config import read_toml
from audiobrief.errors import ConfigError, UnknownVoiceError


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


def _builtin_voices() -> Path:
    """The repository's voices/: inside a wheel, or in the checkout of an editable install.

    An editable install imports the package from `src/` and never copies the wheel's
    `builtin_voices`, so it falls back to the checkout's own folder, three levels up.
    """
    shipped = Path(__file__).parents[1] / "builtin_voices"
    checkout = Path(__file__).resolve().parents[3] / "voices"
    if not shipped.is_dir() and (checkout / "lexicon.tsv").is_file():
        return checkout
    return shipped


BUILTIN_VOICES = _builtin_voices()
"""The built-in profiles and lexicon, so `pip install` alone can speak from any folder."""


def voice_file(voices_dir: Path, name: str) -> Path:
    """`voices_dir/NAME` when it exists, else the built-in copy (which may not exist)."""
    path = voices_dir / name
    return path if path.is_file() or not BUILTIN_VOICES.is_dir() else BUILTIN_VOICES / name


def voice_names(voices_dir: Path) -> list[str]:
    """Names of the voice profiles in *voices_dir* and of the built-in ones."""
    folders = [f for f in (voices_dir, BUILTIN_VOICES) if f.is_dir()]
    return sorted({p.stem for folder in folders for p in folder.glob("*.toml")})


def load_voice(name: str, voices_dir: Path) -> VoiceProfile:
    """Read `voices_dir/NAME.toml` (or the built-in profile); errors name the fix."""
    path = voice_file(voices_dir, f"{name}.toml")
    if not path.is_file():
        raise UnknownVoiceError(name, voice_names(voices_dir))
    data = read_toml(path)
    allowed = {"engine", "language", "diacritize", "description", "options"}
    unknown = sorted(set(data) - allowed)
    if unknown:
        raise ConfigError(
            f"{path}: unknown key {unknown[0]!r}; valid keys: {', '.join(sorted(allowed))}."
        )
    engine = data.get("engine")
    if not isinstance(engine, str) or not engine:
        raise ConfigError(f'{path}: set engine = "espeak" (or gtts, piper).')
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
