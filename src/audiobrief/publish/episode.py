"""Publish stage: an episode's file names, and its tagged MP3 and side files staged."""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any
from urllib.parse import unquote, urlsplit

from audiobrief.errors import PublishError
from audiobrief.model import EpisodeInfo, Script, Timeline
from audiobrief.publish.chapters import json_chapters
from audiobrief.publish.files import write_temporary
from audiobrief.publish.tags import tag_bytes, write_tags
from audiobrief.publish.transcripts import plain_transcript, srt, webvtt


@dataclass(frozen=True)
class Show:
    """What every episode's tags say about the show."""

    title: str
    author: str
    cover: bytes
    cover_mime: str
    feed_url: str


def article_slug(source: str, url: str | None, title: str) -> str:
    """A stable, URL-safe file name for an article: from its file or URL name, else a hash."""
    name = ""
    if url:
        name = PurePosixPath(unquote(urlsplit(url).path)).stem
    elif source not in ("", "-") and "://" not in source:
        name = Path(source).stem
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_name.lower()).strip("-")[:60].strip("-")
    if len(slug) < 3:
        digest = hashlib.sha1((url or title).encode("utf-8")).hexdigest()[:10]
        slug = f"article-{digest}"
    return slug


def episode_stem(kind: str, day: dt.date, slug: str) -> str:
    """Output-relative path without extension: `2026/11/28/articles/<slug>`."""
    folder = f"{day:%Y/%m/%d}"
    return f"{folder}/articles/{slug}" if kind == "article" else f"{folder}/{slug}"


SUFFIXES = {"mp3": ".mp3", "vtt": ".vtt", "srt": ".srt", "chapters": ".chapters.json"}
"""The files of one version of an episode, by kind: `<version stem><suffix>`."""


def stage_episode(
    folder: Path,
    *,
    mp3: Path,
    info: EpisodeInfo,
    timeline: Timeline,
    script: Script,
    show: Show,
) -> dict[str, Path]:
    """Write the tagged MP3, `.vtt`, `.srt` and `.chapters.json` under temporary names.

    Each goes to a new hidden name in *folder* (where the episode's files live, so a
    rename puts it in place); the publisher moves them only after the catalog commits.
    On failure nothing is left behind.

    Raises:
        PublishError: the folder cannot be made or written (permissions, full disk).
    """
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise PublishError(
            f"cannot create {folder} ({exc.strerror}); choose a writable -o folder."
        ) from exc
    artist = info.outlet or info.author or show.author
    texts = {
        "vtt": webvtt(timeline),
        "srt": srt(timeline),
        "chapters": json_chapters(timeline, title=info.title),
    }
    tagging: dict[str, Any] = {
        "info": info,
        "timeline": timeline,
        "show_title": show.title,
        "artist": artist,
        "cover": show.cover,
        "cover_mime": show.cover_mime,
        "transcript": plain_transcript(script),
        "comment": info.description,
        "feed_url": show.feed_url,
    }
    staged: dict[str, Path] = {}
    try:
        if (size := _untagged_size(mp3)) is not None:  # the audio stage's: tag, then audio
            head = tag_bytes(**tagging, audio_bytes=size)
            staged["mp3"] = write_temporary(folder, info.slug + ".mp3", mp3, head=head)
        else:  # tags of another tool in it: mutagen replaces them
            staged["mp3"] = write_temporary(folder, info.slug + ".mp3", mp3)
            write_tags(staged["mp3"], **tagging)
        for kind, text in texts.items():
            staged[kind] = write_temporary(folder, info.slug + SUFFIXES[kind], text)
    except BaseException:
        for tmp in staged.values():
            tmp.unlink(missing_ok=True)
        raise
    return staged


def _untagged_size(mp3: Path) -> int | None:
    """The size of *mp3* when it carries no ID3 tag at either end, else None."""
    try:
        with mp3.open("rb") as stream:
            start = stream.read(3)
            size = stream.seek(0, 2)
            stream.seek(max(0, size - 128))
            end = stream.read(3)
    except OSError:
        return None  # write_temporary says what is wrong with it
    return None if start == b"ID3" or end == b"TAG" else size
