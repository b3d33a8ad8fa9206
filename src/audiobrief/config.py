"""Settings and voice profiles: frozen dataclasses parsed from TOML, env and flags."""

from __future__ import annotations

import dataclasses
import math
import os
import re
import tomllib
import typing
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar
from urllib.parse import SplitResult, urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from audiobrief.config_slices import (
    AudioSettings,
    BriefingSettings,
    DeploySettings,
    FrontEndSettings,
    LocalSettings,
    SiteSettings,
    VoiceSettings,
)
from audiobrief.errors import ConfigError

if TYPE_CHECKING:
    from _typeshed import DataclassInstance

_Slice = TypeVar("_Slice", bound="DataclassInstance")
ENV_PREFIX = "AUDIOBRIEF_"
FLAG_ORIGIN = "command line"
"""How errors name a value that came from a command flag."""


@dataclass(frozen=True)
class Settings:
    """Everything a run can be told; each field is also `AUDIOBRIEF_<FIELD>` and a TOML key."""

    def __post_init__(self) -> None:
        # The one place values are checked: however a Settings is built (loaded, replaced,
        # made by a test), stages can use its values as they are.
        for field in dataclasses.fields(self):
            value = getattr(self, field.name)
            try:
                checked = _check(field.name, value)
            except _Invalid as exc:
                raise _BadValue(field.name, value, exc) from None
            if checked is not value:
                object.__setattr__(self, field.name, checked)  # normalized, e.g. base_url's "/"
        if _inside(self.cache_url, self.output_url) or _inside(self.output_url, self.cache_url):
            # Clips and cached episodes would be served with the site (and published twice).
            invalid = _Invalid(
                f"overlaps output_url {self.output_url!r}",
                "give the cache a prefix of its own, e.g. s3://bucket/cache beside s3://bucket/site",
            )
            raise _BadValue("cache_url", self.cache_url, invalid)

    # Slices, each built once from the fields below (config_slices.SLICES lists them).
    @cached_property
    def site(self) -> SiteSettings:
        return _slice(self, SiteSettings)

    @cached_property
    def voices(self) -> VoiceSettings:
        return _slice(self, VoiceSettings)

    @cached_property
    def front_end(self) -> FrontEndSettings:
        return _slice(self, FrontEndSettings)

    @cached_property
    def audio(self) -> AudioSettings:
        return _slice(self, AudioSettings)

    @cached_property
    def briefing(self) -> BriefingSettings:
        return _slice(self, BriefingSettings)

    @cached_property
    def local(self) -> LocalSettings:
        return _slice(self, LocalSettings)

    @cached_property
    def deploy(self) -> DeploySettings:
        return _slice(self, DeploySettings)

    # The settings themselves; new ones go at the end.

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
    locked: bool = True
    """podcast:locked: directories refuse to import the feed elsewhere (owner_email unlocks)."""
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
    log_file: Path | None = None
    """Every run appends here; None means the user state folder (outside the site)."""
    feed_keep: int = 300
    """Episodes listed in each feed, newest first; 0 keeps all. Older ones stay on the
    archive pages, their files untouched."""
    briefing_order: str = "given"
    """Article order in a briefing: `given` (or catalog order) or `time`."""
    briefing_depth: str = "lede"
    """How much of each story the briefing reads: `headline`, `lede` or `full`."""
    briefing_max_stories: int = 0
    """Stories in a briefing, the first in briefing order; 0 keeps all."""
    music: Path | None = None
    """Optional intro/outro music bed."""
    music_gain_db: float = -18.0
    max_article_words: int = 20_000
    """Longer articles are refused before any work starts (about 2 hours of speech)."""
    output_url: str = ""
    """`s3://bucket/prefix`: publish episodes, feeds and pages to object storage; output_dir
    is then only the work folder. "" publishes into output_dir."""
    s3_endpoint_url: str = ""
    """An S3-compatible store's address (MinIO, Garage, Ceph...); "" is Amazon S3 itself."""
    catalog_url: str = ""
    """PostgreSQL catalog shared by several machines (`postgresql://user@host/db`); ""
    keeps catalog.sqlite in the output folder."""
    queue_url: str = ""
    """Redis URL of the work queue (`redis://host:6379/0`): speak and ingest enqueue one job
    per article for `audiobrief worker`; "" renders in this process."""
    cache_url: str = ""
    """`s3://bucket/prefix`: a synthesis cache shared by every machine, behind the local
    cache folder (at s3_endpoint_url); "" keeps the cache local only."""


def _slice(settings: Settings, kind: type[_Slice]) -> _Slice:
    return kind(**{f.name: getattr(settings, f.name) for f in dataclasses.fields(kind)})


VALID_CHOICES: dict[str, tuple[str, ...]] = {
    "language": ("ar", "ar-ma"),
    "month_style": ("maghreb", "mashriq", "levant", "tunisia-algeria"),
    "on_engine_failure": ("fail", "fallback"),
    "briefing_order": ("given", "time"),
    "briefing_depth": ("headline", "lede", "full"),
}
VALID_RANGES: dict[str, tuple[float, float]] = {
    "bitrate_kbps": (32, 320),
    "channels": (1, 2),
    "sample_rate_hz": (8000, 48000),
    # A pause longer than 10 s is a mistake, and 1e12 ms of silence is a MemoryError.
    "clause_pause_ms": (0, 10_000),
    "sentence_pause_ms": (0, 10_000),
    "paragraph_pause_ms": (0, 10_000),
    "section_pause_ms": (0, 10_000),
    "cache_max_mb": (1, 1_000_000),
    "feed_keep": (0, 100_000),
    "music_gain_db": (-60.0, 0.0),  # a bed under speech: from inaudible to its own level
    "max_article_words": (1, 200_000),
    "briefing_max_stories": (0, 10_000),
}
"""The allowed range of every numeric setting (tests check that none is missing)."""
_MAX_DIGITS = 18  # longer digit runs are out of every range; int() refuses 4,300 and more


def load_settings(
    path: Path | None,
    overrides: Mapping[str, Any] | None = None,
    environ: Mapping[str, str] | None = None,
) -> Settings:
    """Resolve settings: overrides (flags) > AUDIOBRIEF_* environ > TOML file > defaults.

    A missing file at *path* is fine (defaults apply); a file that exists must be valid.
    Errors name where the bad value came from: the file, the variable or the command line.
    """
    values: dict[str, Any] = {}
    origins: dict[str, str] = {}
    if path is not None and path.is_file():
        data = read_toml(path)
        values.update(data)
        origins.update(dict.fromkeys(data, str(path)))
    for name in _field_types():
        variable = ENV_PREFIX + name.upper()
        raw = (environ or {}).get(variable)
        if raw is not None and raw != "":
            values[name] = raw
            origins[name] = variable
    for name, value in (overrides or {}).items():
        if value is not None:
            values[name] = value
            origins[name] = FLAG_ORIGIN
    return settings_from_mapping(values, origin=str(path) if path else "settings", origins=origins)


def is_given(
    name: str, path: Path | None, overrides: Mapping[str, Any], environ: Mapping[str, str]
) -> bool:
    """Whether setting *name* was set on this run (flag, AUDIOBRIEF_*, file), not defaulted."""
    if overrides.get(name) is not None or environ.get(ENV_PREFIX + name.upper()):
        return True
    return path is not None and path.is_file() and name in read_toml(path)


def settings_from_mapping(
    values: Mapping[str, Any],
    origin: str = "settings",
    origins: Mapping[str, str] | None = None,
) -> Settings:
    """Build Settings from loose values (TOML types or strings), checking every key.

    *origins* says where each value came from (for messages); *origin* is the default.
    Raises ConfigError, one line naming the key, the bad value and the fix.
    """
    types_ = _field_types()
    for name in sorted(set(values) - set(types_)):
        hint = _suggest(name, types_)
        if isinstance(values[name], dict):
            hint += "the file has no [sections]: put every key at the top level; "
        raise ConfigError(
            f"{(origins or {}).get(name, origin)}: unknown setting {name!r}; {hint}"
            f"valid settings: {', '.join(sorted(types_))}."
        )
    parsed = {}
    for name, value in values.items():
        try:
            parsed[name] = _coerce(types_[name], value)
        except _Invalid as exc:
            raise _BadValue(name, value, exc, (origins or {}).get(name, origin)) from None
    try:
        return Settings(**parsed)
    except _BadValue as exc:  # checked there; said again with where the value came from
        if exc.name not in values:  # a default: the message cannot name a better origin
            raise
        where = (origins or {}).get(exc.name, origin)
        raise _BadValue(exc.name, values[exc.name], exc.invalid, where) from None


class _Invalid(ValueError):
    """A value's problem (the message) and its fix; None: say what the setting takes."""

    def __init__(self, problem: str, fix: str | None = None) -> None:
        super().__init__(problem)
        self.fix = fix


def _inside(url: str, other: str) -> bool:
    """Whether the bucket prefix *url* is *other* or lies under it (both set)."""
    return bool(url and other) and (url == other or url.startswith(other.rstrip("/") + "/"))


class _BadValue(ConfigError):
    """Setting *name* = *value* is refused: one line with where it came from and the fix."""

    def __init__(self, name: str, value: Any, invalid: _Invalid, where: str = "settings") -> None:
        fix = invalid.fix or _usage(name, _field_types()[name])
        super().__init__(f"{where}: {name} = {_shown(value)} {invalid}; {fix}.")
        self.name, self.invalid = name, invalid


def _usage(name: str, kind: Any) -> str:
    """What setting *name* accepts, for error messages."""
    if name in VALID_CHOICES:
        return "use one of: " + ", ".join(VALID_CHOICES[name])
    base = next((a for a in typing.get_args(kind) if a is not type(None)), kind)
    if name in VALID_RANGES:
        low, high = (str(int(v)) if v == int(v) else str(v) for v in VALID_RANGES[name])
        return f"use {'a whole number' if base is int else 'a number'} from {low} to {high}"
    usages = {bool: "use true or false", int: "use a whole number", float: "use a number"}
    return usages.get(base, 'write it in quotes, e.g. "text"')


def _shown(value: Any) -> str:
    """*value* as errors quote it: a 5,000-digit number would bury the message."""
    text = repr(value)
    return text if len(text) <= 60 else f"{text[:40]}... ({len(text)} characters)"


def _check(name: str, value: Any) -> Any:
    """*value* (already of the field's type) checked and normalized for setting *name*."""
    if name == "language":
        value = value.strip().lower()
    if name in VALID_CHOICES and value not in VALID_CHOICES[name]:
        raise _Invalid("is not valid")
    if name in VALID_RANGES and not VALID_RANGES[name][0] <= value <= VALID_RANGES[name][1]:
        raise _Invalid("is out of range")
    if name in _NOT_EMPTY and not value.strip():
        raise _Invalid("is empty", _NOT_EMPTY[name])
    check = _CHECKS.get(name)
    return check(value) if check else value


def _check_base_url(value: str) -> str:
    url = value.strip()
    example = "e.g. https://news.example.org/audio/"
    parts = _http_parts(url)
    if parts is None:
        raise _Invalid(
            "is not an absolute http(s) URL", f"set it to the output folder's public URL, {example}"
        )
    if any(char.isspace() for char in url):
        raise _Invalid("contains a space", "percent-encode it as %20")
    if parts.username is not None or parts.password is not None:
        raise _Invalid("holds a user name or password", "remove them: the feeds are public")
    if parts.query or parts.fragment:
        raise _Invalid("has a ? query or # fragment", f"give the folder's URL alone, {example}")
    return url.rstrip("/") + "/"


def _http_parts(url: str) -> SplitResult | None:
    """*url*'s parts when it is an absolute http(s) URL with a host (and a numeric port)."""
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError for a port that is not a number
    except ValueError:
        return None
    return parts if parts.scheme in ("http", "https") and parts.hostname else None


_EMAIL = re.compile(r"[^@\s<>\"',;]+@[^@\s<>\"',;.]+(?:\.[^@\s<>\"',;.]+)+")


def _check_email(value: str) -> str:
    address = value.strip()
    if not _EMAIL.fullmatch(address):
        raise _Invalid(
            "is not an e-mail address",
            "give the address podcast directories write to, e.g. podcast@example.com",
        )
    return address


def _check_timezone(value: str) -> str:
    zone = value.strip()
    try:
        ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        known = available_timezones()
        same = [z for z in known if z.lower() == zone.lower()]
        hint = f"did you mean {same[0]!r}? " if same else _suggest(zone, known, cutoff=0.8)
        raise _Invalid(
            "is not an IANA time zone", f"{hint}use a name such as Africa/Casablanca or UTC"
        ) from None
    return zone


def _suggest(name: str, known: typing.Iterable[str], cutoff: float = 0.6) -> str:
    import difflib  # here: only a wrong name needs it, and every command imports this module

    close = difflib.get_close_matches(name, list(known), n=1, cutoff=cutoff)
    return f"did you mean {close[0]!r}? " if close else ""


def _check_output_url(value: str, empty: str = "publish into output_dir") -> str:
    url = value.strip()
    if not url:
        return ""
    parts = urlsplit(url)
    if parts.scheme != "s3" or not parts.netloc or parts.query or parts.fragment:
        raise _Invalid(
            "is not an s3:// URL",
            f'accepted: "" ({empty}) or "s3://bucket/prefix"',
        )
    return f"s3://{parts.netloc}/{parts.path.strip('/')}".rstrip("/")


def _check_cache_url(value: str) -> str:
    return _check_output_url(value, empty="the cache stays local")


def _check_endpoint_url(value: str) -> str:
    url = value.strip()
    if not url:
        return ""
    if _http_parts(url) is None:
        raise _Invalid(
            "is not an http(s) URL",
            'accepted: "" (Amazon S3) or the store\'s address, e.g. "http://127.0.0.1:9000"',
        )
    return url


def _check_queue_url(value: str) -> str:
    url = value.strip()
    if url and urlsplit(url).scheme not in QUEUE_SCHEMES:
        raise _Invalid(
            "is not a Redis URL",
            f"use {' or '.join(s + '://' for s in QUEUE_SCHEMES)}..., "
            'e.g. redis://127.0.0.1:6379/0, or "" to work in this process',
        )
    return url


def _check_catalog_url(value: str) -> str:
    url = value.strip()
    if url and (urlsplit(url).scheme not in CATALOG_SCHEMES or any(c.isspace() for c in url)):
        raise _Invalid(
            "is not a PostgreSQL URL",
            "use postgresql://user@host:5432/database, or leave it empty for the SQLite "
            "catalog in the output folder",
        )
    return url


QUEUE_SCHEMES = ("redis", "rediss")
"""What queue_url accepts (Redis, and Redis over TLS)."""
CATALOG_SCHEMES = ("postgresql", "postgres")
"""What catalog_url accepts (libpq's two spellings)."""
_CHECKS: dict[str, Callable[[Any], Any]] = {
    "base_url": _check_base_url,
    "cache_url": _check_cache_url,
    "catalog_url": _check_catalog_url,
    "output_url": _check_output_url,
    "s3_endpoint_url": _check_endpoint_url,
    "queue_url": _check_queue_url,
    "owner_email": _check_email,
    "timezone": _check_timezone,
}
_NOT_EMPTY = {
    "show_title": "give the show's name",
    "author": "give the name shown as the feed's author",
    "description": "describe the show in a sentence (podcast directories require it)",
}


def read_toml(path: Path) -> dict[str, Any]:
    """The TOML file at *path*; anything but UTF-8 TOML text is a ConfigError."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read ({exc.strerror}).") from exc
    if b"\x00" in data:
        raise ConfigError(
            f"{path}: is a binary file, not a settings file; run 'audiobrief init' for one."
        )
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        bad = f"byte 0x{data[exc.start]:02X} at offset {exc.start}"
        raise ConfigError(f"{path}: is not UTF-8 text ({bad}); save it as UTF-8.") from exc
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML ({exc}); fix the file.") from exc
    except ValueError as exc:  # tomllib lets int()'s 4,300-digit limit through
        reason = "a number is too long"
        raise ConfigError(f"{path}: not valid TOML ({reason}); fix the file.") from exc


def _field_types() -> dict[str, Any]:
    hints = typing.get_type_hints(Settings)
    return {f.name: hints[f.name] for f in dataclasses.fields(Settings)}


def _coerce(kind: Any, value: Any) -> Any:
    """Turn a TOML value, an environment string or a flag into the field's type."""
    optional = type(None) in typing.get_args(kind)
    base = next((a for a in typing.get_args(kind) if a is not type(None)), kind)
    if optional and value in ("", None):
        return None
    if base is bool:
        text = str(value).strip().lower()
        if isinstance(value, bool) or text in ("1", "true", "yes", "on", "0", "false", "no", "off"):
            return value if isinstance(value, bool) else text in ("1", "true", "yes", "on")
        raise _Invalid("is not a yes/no value")
    if isinstance(value, bool) and base is not str:
        raise _Invalid("is a yes/no value")
    if base is int:
        if isinstance(value, int):
            return value
        digits = re.fullmatch(r"\s*([+-]?)0*(\d+)\s*", str(value))
        if digits is None:
            raise _Invalid("is not a whole number")
        if len(digits.group(2)) > _MAX_DIGITS:
            raise _Invalid("is out of range")
        return int(digits.group(1) + digits.group(2))
    if base is float:
        if isinstance(value, int) and abs(value) >= 10**_MAX_DIGITS:
            raise _Invalid("is out of range")  # float() of a huge int is an OverflowError
        number = float(value) if isinstance(value, int | float) else _float(str(value))
        if not math.isfinite(number):
            raise _Invalid("is not a finite number", "use a decimal number, e.g. -18.0")
        return number
    if base is Path:
        if not isinstance(value, str | os.PathLike):
            raise _Invalid("is not a path", 'write it in quotes, e.g. "folder/file.png"')
        return Path(value).expanduser()
    if not isinstance(value, str):
        raise _Invalid("is not text")
    return value


def _float(text: str) -> float:
    try:
        return float(text)
    except ValueError:
        return math.nan
