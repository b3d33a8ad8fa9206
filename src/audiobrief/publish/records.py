"""Publish stage: what the catalog stores of an episode, and its JSON columns."""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import json
import re
import uuid
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import Any

from audiobrief.errors import PublishError
from audiobrief.model import (
    Article,
    ArticleMeta,
    EpisodeInfo,
    EpisodeKind,
    Script,
    Section,
    Segment,
    Timeline,
)
from audiobrief.store import build, canonical_json, field_names
from audiobrief.store import timeline_from_json as timeline_from_json  # the catalog re-exports it

PODCAST_GUID_NAMESPACE = uuid.UUID("ead4c236-bf58-58c6-a2c6-a6b28d128cb6")
"""Podcast Index namespace 1.0: podcast:guid is UUIDv5 of the feed URL in this namespace."""
FROM_INFO = ("guid", "kind", "title", "description", "url", "author", "outlet")
"""EpisodeRecord fields copied from EpisodeInfo as they are."""
KINDS: tuple[EpisodeKind, ...] = ("article", "briefing")
COLUMNS = (
    *("guid", "kind", "key", "day", "published", "published_us", "title", "description"),
    *("mp3", "size_bytes", "duration_ms", "timeline", "script", "files", "url", "author"),
    *("outlet", "audio_key"),
)
_PLAIN = (*FROM_INFO, "key", "mp3", "size_bytes", "duration_ms")
"""Columns stored as they are in EpisodeRecord."""
_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)


@dataclass(frozen=True)
class EpisodeRecord:
    """One published episode as the catalog keeps it; feeds and pages render from these."""

    guid: str
    """Item guid, assigned once by `Catalog.episode_guid`; never changes."""
    kind: EpisodeKind
    key: str
    """What identifies the episode across runs: the article URL or `file:<slug>`, or the
    briefing's ISO date."""
    day: dt.date
    published: dt.datetime
    """Timezone-aware first publication time (feed pubDate)."""
    title: str
    description: str
    mp3: str
    """MP3 path relative to the output folder, POSIX style: `2026/11/28/briefing-....mp3`."""
    size_bytes: int
    duration_ms: int
    timeline: Timeline
    script: Script
    files: dict[str, str] = field(default_factory=dict)
    """Side files relative to the output folder, by kind: vtt, srt, chapters, html."""
    url: str | None = None
    """The source article's address."""
    author: str | None = None
    outlet: str | None = None

    @classmethod
    def of(
        cls,
        info: EpisodeInfo,
        *,
        mp3: str,
        size_bytes: int,
        timeline: Timeline,
        script: Script,
        files: dict[str, str],
        key: str | None = None,
        duration_ms: int | None = None,
    ) -> EpisodeRecord:
        """A record from the pipeline's EpisodeInfo; *key* defaults to the briefing's ISO
        date, or the article's URL (else `file:<slug>`), as given to `episode_guid`."""
        if key is None:
            key = info.url or f"file:{info.slug}"
            key = info.date.isoformat() if info.kind == "briefing" else key
        same = {name: getattr(info, name) for name in FROM_INFO}
        duration_ms = timeline.duration_ms if duration_ms is None else duration_ms
        extra: dict[str, Any] = {
            "day": info.date,
            "published": info.published,
            "files": dict(files),
        }
        return cls(
            **same,
            **extra,
            key=key,
            mp3=mp3,
            size_bytes=size_bytes,
            duration_ms=duration_ms,
            timeline=timeline,
            script=script,
        )


def podcast_guid(feed_url: str) -> str:
    """UUIDv5 of the feed URL without its scheme and trailing slashes (podcast:guid)."""
    bare = re.sub(r"^[A-Za-z][A-Za-z0-9+.-]*://", "", feed_url.strip()).rstrip("/")
    return str(uuid.uuid5(PODCAST_GUID_NAMESPACE, bare))


def to_json(value: Timeline | Script) -> str:
    """A Timeline or Script as compact, stable JSON (the catalog's columns)."""
    return canonical_json(_plain(value))


def _plain(value: object) -> object:
    """dataclasses.asdict for records of plain values and tuples, without its deep copies
    (a briefing's Script has thousands of segments and cues)."""
    if isinstance(value, tuple):
        return [_plain(item) for item in value]
    names = field_names(type(value))
    if names is None:
        return value
    return {name: _plain(getattr(value, name)) for name in names}


def script_from_json(text: str) -> Script:
    """The Script that `to_json` wrote."""
    data = json.loads(text)
    sections = tuple(
        build(Section, section, segments=tuple(build(Segment, s) for s in section["segments"]))
        for section in data["sections"]
    )
    return build(Script, data, sections=sections)


def check_kind(kind: str) -> None:
    """PublishError unless *kind* is article or briefing."""
    if kind not in KINDS:
        raise PublishError(f"unknown episode kind {kind!r}; use one of: {', '.join(KINDS)}.")


def _check_relative(path: str, what: str) -> None:
    pure = PurePosixPath(path)
    if not path or "\\" in path or pure.is_absolute() or ".." in pure.parts:
        raise PublishError(
            f"{what} path {path!r} must be relative to the output folder, in POSIX form, "
            "without '..'."
        )


def to_row(record: EpisodeRecord) -> dict[str, Any]:
    """The catalog row of *record*, checked: known kind, aware time, relative paths."""
    check_kind(record.kind)
    if record.published.utcoffset() is None:
        raise PublishError(
            f"episode {record.guid}: published time {record.published} has no time zone; "
            "pass an aware datetime."
        )
    _check_relative(record.mp3, "MP3")
    for name, relpath in record.files.items():
        _check_relative(relpath, name)
    timeline = to_json(record.timeline)
    audio = f"{record.duration_ms}:{timeline}".encode()
    return {
        **{name: getattr(record, name) for name in _PLAIN},
        "day": record.day.isoformat(),
        "published": record.published.isoformat(),
        "published_us": (record.published - _EPOCH) // dt.timedelta(microseconds=1),
        "timeline": timeline,
        "script": to_json(record.script),
        "files": json.dumps(record.files, ensure_ascii=False, sort_keys=True),
        "audio_key": hashlib.sha256(audio).hexdigest(),
    }


def from_row(row: dict[str, Any]) -> EpisodeRecord:
    """The record a catalog row holds."""
    return EpisodeRecord(
        **{name: row[name] for name in _PLAIN},
        day=dt.date.fromisoformat(row["day"]),
        published=dt.datetime.fromisoformat(row["published"]),
        timeline=timeline_from_json(row["timeline"]),
        script=script_from_json(row["script"]),
        files=dict(json.loads(row["files"])),
    )


def article_to_json(article: Article) -> str:
    """The loaded Article as compact JSON (the catalog keeps it for the briefing)."""
    return json.dumps(dataclasses.asdict(article), ensure_ascii=False, sort_keys=True, default=str)


def article_from_json(text: str) -> Article:
    """The Article that `article_to_json` wrote."""
    data = json.loads(text)
    meta = dict(data["meta"])
    meta["date"] = dt.date.fromisoformat(meta["date"]) if meta.get("date") else None
    return Article(data["title"], tuple(data["paragraphs"]), build(ArticleMeta, meta))
