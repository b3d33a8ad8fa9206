"""Settings slices: the part of `Settings` each stage reads, as frozen dataclasses.

`Settings` stays one flat set of keys for users (TOML, AUDIOBRIEF_*, flags) and builds
these from its own, already checked, fields; a stage is handed the slice it needs. Every
setting belongs to exactly one slice (tests/test_config_slices.py), so a new setting must
say which stage it serves, and the episode-cache key, made from the whole audio slice,
cannot miss an audio setting. The fields are documented on `Settings`.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from zoneinfo import ZoneInfo


@dataclass(frozen=True)
class SiteSettings:
    """The published site: the show's identity, its address, feeds and pages."""

    show_title: str
    author: str
    owner_email: str
    description: str
    language: str
    category: str
    subcategory: str
    explicit: bool
    locked: bool
    cover: Path | None
    base_url: str
    """Checked by config: an absolute http(s) URL ending in one slash."""
    timezone: str
    """Checked by config: an IANA name that ZoneInfo opens."""
    output_dir: Path
    feed_keep: int

    @property
    def zone(self) -> ZoneInfo:
        """The time zone that dates episodes and pages (ZoneInfo caches it)."""
        return ZoneInfo(self.timezone)


@dataclass(frozen=True)
class VoiceSettings:
    """Which voice profile speaks, and what stands in when its engine fails."""

    voices_dir: Path
    voice: str
    fallback_voice: str
    on_engine_failure: str


@dataclass(frozen=True)
class FrontEndSettings:
    """The text stage: which articles it takes and how it words and paces the script."""

    month_style: str
    clause_pause_ms: int
    sentence_pause_ms: int
    paragraph_pause_ms: int
    section_pause_ms: int
    max_article_words: int


@dataclass(frozen=True)
class AudioSettings:
    """Everything besides the script and voice that decides an episode's audio.

    The episode-cache key holds this slice whole: a setting added here is in the key.
    The music bed file is the briefing's: render() is handed it and keys its path, size, time.
    """

    bitrate_kbps: int
    channels: int
    sample_rate_hz: int
    normalize_loudness: bool
    music_gain_db: float


@dataclass(frozen=True)
class BriefingSettings:
    """What the daily briefing takes from the day's articles, and its music bed."""

    briefing_order: str
    briefing_depth: str
    briefing_max_stories: int
    music: Path | None


@dataclass(frozen=True)
class LocalSettings:
    """This machine's own files, never published: the cache and the run log."""

    cache_dir: Path | None
    cache_max_mb: int
    log_file: Path | None


@dataclass(frozen=True)
class DeploySettings:
    """Where the work and the published state live when one machine is not enough; ""
    keeps each embedded default (in-process work, catalog.sqlite, the output folder)."""

    queue_url: str
    catalog_url: str
    output_url: str
    s3_endpoint_url: str
    cache_url: str


SLICES: dict[str, type] = {
    "site": SiteSettings,
    "voices": VoiceSettings,
    "front_end": FrontEndSettings,
    "audio": AudioSettings,
    "briefing": BriefingSettings,
    "local": LocalSettings,
    "deploy": DeploySettings,
}
"""Each `Settings` property that returns a slice, and the slice's class."""
