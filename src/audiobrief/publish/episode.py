"""Publish stage: write one episode's MP3 (tagged) and its side files, atomically."""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from urllib.parse import unquote, urlsplit

from audiobrief.errors import PublishError
from audiobrief.model import EpisodeInfo, Script, Timeline
from audiobrief.publish.chapters import json_chapters
from audiobrief.publish.files import write_atomic
from audiobrief.publish.tags import write_tags
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


def write_episode(
    output_dir: Path,
    stem: str,
    *,
    mp3: bytes,
    info: EpisodeInfo,
    timeline: Timeline,
    script: Script,
    show: Show,
) -> tuple[Path, int, dict[str, str]]:
    """Write `<stem>.mp3` with its tags, `.vtt`, `.srt` and `.chapters.json`.

    Returns the MP3 path, its exact size in bytes and the side files relative to
    *output_dir*. Each file appears whole or not at all: the MP3 is written and
    tagged under a temporary name in the same folder, then renamed into place.
    """
    mp3_path = output_dir / f"{stem}.mp3"
    try:
        mp3_path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise PublishError(
            f"cannot create {mp3_path.parent} ({exc.strerror}); choose a writable -o folder."
        ) from exc
    artist = info.outlet or info.author or show.author
    side = {
        "vtt": (f"{stem}.vtt", webvtt(timeline)),
        "srt": (f"{stem}.srt", srt(timeline)),
        "chapters": (f"{stem}.chapters.json", json_chapters(timeline, title=info.title)),
    }
    tmp = mp3_path.with_name(f".{mp3_path.name}.tmp")
    try:
        tmp.write_bytes(mp3)
        write_tags(
            tmp,
            info=info,
            timeline=timeline,
            show_title=show.title,
            artist=artist,
            cover=show.cover,
            cover_mime=show.cover_mime,
            transcript=plain_transcript(script),
            comment=info.description,
            feed_url=show.feed_url,
        )
        for relpath, text in side.values():
            write_atomic(output_dir / relpath, text)
        os.replace(tmp, mp3_path)
    except OSError as exc:
        raise PublishError(
            f"cannot write {mp3_path} ({exc.strerror}); check the output folder."
        ) from exc
    finally:
        tmp.unlink(missing_ok=True)
    files = {key: relpath for key, (relpath, _) in side.items()}
    files["html"] = f"{stem}.html"
    return mp3_path, mp3_path.stat().st_size, files
