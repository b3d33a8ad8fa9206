"""Publish stage entry points: put a rendered episode on disk and in the catalog."""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from audiobrief.config import Settings
from audiobrief.errors import PublishError
from audiobrief.model import (
    Article,
    ArticleMeta,
    Episode,
    EpisodeInfo,
    EpisodeKind,
    Script,
    Timeline,
)
from audiobrief.publish.catalog import Catalog, EpisodeRecord, open_catalog
from audiobrief.publish.episode import Show, write_episode
from audiobrief.publish.feed import render_feeds
from audiobrief.publish.images import check_cover
from audiobrief.publish.site import render_site

CATALOG_NAME = "catalog.sqlite"


@contextmanager
def open_output(settings: Settings) -> Iterator[Catalog]:
    """The output folder's catalog, creating the folder; errors say which -o to pass."""
    try:
        settings.output_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise PublishError(
            f"cannot create the output folder {settings.output_dir} ({exc.strerror}); "
            "pass a writable folder with -o."
        ) from exc
    with open_catalog(settings.output_dir / CATALOG_NAME) as catalog:
        yield catalog


def show_for(settings: Settings, kind: EpisodeKind) -> Show:
    """What the tags say about the show; the cover is checked before any work starts."""
    cover, mime = check_cover(settings.cover)
    feed = "feed.xml" if kind == "briefing" else "articles.xml"
    return Show(
        settings.show_title, settings.author, cover, mime, f"{settings.base_url.rstrip('/')}/{feed}"
    )


def short_hash(text: str) -> str:
    return hashlib.sha1(text.encode("utf-8")).hexdigest()[:8]


def new_info(
    catalog: Catalog,
    kind: EpisodeKind,
    key: str,
    title: str,
    day: dt.date,
    published: dt.datetime,
    **fields: str | None,
) -> EpisodeInfo:
    """The episode's identity; guid and first publication time never change."""
    slug = fields.pop("slug") or key
    return EpisodeInfo(
        kind=kind,
        guid=catalog.episode_guid(kind, key),
        title=title,
        date=day,
        published=published,
        slug=slug,
        description=fields.pop("description") or "",
        **fields,
    )


def free_stem(catalog: Catalog, stem: str, key: str, done: list[Episode]) -> str:
    """*stem*, or *stem* with a short hash when another episode already has that file."""
    taken = {r.mp3 for r in catalog.episodes("article")} | {e.mp3_path.as_posix() for e in done}
    if f"{stem}.mp3" in taken or any(p.endswith(f"/{stem}.mp3") for p in taken):
        return f"{stem}-{short_hash(key)}"
    return stem


def publish_episode(
    catalog: Catalog,
    settings: Settings,
    info: EpisodeInfo,
    *,
    key: str,
    stem: str,
    script: Script,
    mp3: bytes,
    timeline: Timeline,
    show: Show,
) -> Episode:
    """MP3 + tags + side files, then one catalog transaction."""
    path, size, files = write_episode(
        settings.output_dir, stem, mp3=mp3, info=info, timeline=timeline, script=script, show=show
    )
    catalog.upsert(
        EpisodeRecord.of(
            info,
            key=key,
            mp3=f"{stem}.mp3",
            size_bytes=size,
            timeline=timeline,
            script=script,
            files=files,
        )
    )
    return Episode(
        info=info,
        mp3_path=path,
        size_bytes=size,
        timeline=timeline,
        script=script,
        files=tuple(settings.output_dir / f for f in files.values()),
    )


def refresh_outputs(catalog: Catalog, settings: Settings, now: dt.datetime) -> list[Path]:
    """Both feeds and every page, from the catalog alone."""
    return [
        *render_feeds(catalog, settings=settings, output_dir=settings.output_dir, now=now),
        *render_site(catalog, settings=settings, output_dir=settings.output_dir, now=now),
    ]


def day_articles(settings: Settings, day: dt.date) -> list[Article]:
    """The articles spoken on *day*, oldest first, rebuilt from the catalog's written text.

    Rebuilt rather than reused: the briefing's voice may differ from the one that spoke
    them. With the same voice the spoken text comes out the same, so clips are cached.
    Only reads: with no catalog yet there are no articles, and none is created.
    """
    path = settings.output_dir / CATALOG_NAME
    if not path.is_file():
        return []
    with open_catalog(path) as catalog:
        records = catalog.episodes("article", day=day)
    records.sort(key=lambda r: r.published)
    return [_written_article(r) for r in records]


def _written_article(record: EpisodeRecord) -> Article:
    (section,) = record.script.sections
    paragraphs: dict[int, list[str]] = {}
    for segment in section.segments:
        if segment.paragraph:
            paragraphs.setdefault(segment.paragraph, []).append(segment.written)
    meta = ArticleMeta(
        source=record.key, url=record.url, date=record.day, author=record.author,
        outlet=record.outlet,
    )  # fmt: skip
    return Article(section.title, tuple(" ".join(p) for p in paragraphs.values()), meta)
