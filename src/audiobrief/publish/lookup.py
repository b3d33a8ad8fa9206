"""Publish stage: read published state back (the day's articles, episodes by reference)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from pathlib import Path

from audiobrief.config import Settings
from audiobrief.errors import PublishError
from audiobrief.model import Article, ArticleMeta
from audiobrief.publish.catalog import Catalog, EpisodeRecord
from audiobrief.publish.identity import article_key, canonical_url, source_prefix
from audiobrief.publish.records import article_from_json
from audiobrief.publish.seen import Seen
from audiobrief.publish.site_state import reading_catalog
from audiobrief.publish.views import page_path, site_url


def day_articles(settings: Settings, day: dt.date) -> list[Article]:
    """The articles published for *day*, oldest first, as they were loaded.

    Only reads: with no catalog yet there are no articles, and none is created.
    """
    with reading_catalog(settings) as catalog:
        if catalog is None:
            return []
        # One query for the kept articles: a record (its script and timeline parsed)
        # is built only for an episode older than the articles table.
        return [
            article_from_json(text) if text else _written_article(_record(catalog, guid))
            for guid, text in catalog.day_articles(day.isoformat())
        ]


def _record(catalog: Catalog, guid: str) -> EpisodeRecord:
    record = catalog.get(guid)
    if record is None:  # gone between the two reads: another run unpublished it
        raise PublishError(f"episode {guid} was unpublished while reading; run brief again.")
    return record


def published_records(
    settings: Settings, articles: Sequence[Article], *, days: Sequence[dt.date]
) -> list[EpisodeRecord | None]:
    """Each article's published episode, or None where it has none.

    An article's key may hold the day it was spoken on (see `article_key`): each of
    *days* is tried. Only reads: with no catalog yet, nothing is published.
    """
    with reading_catalog(settings) as catalog:
        if catalog is None:
            return [None] * len(articles)
        keys = [
            list(dict.fromkeys(article_key(article, day) for day in days)) for article in articles
        ]
        published = catalog.find_all("article", [key for tried in keys for key in tried])
    return [next((published[k] for k in tried if k in published), None) for tried in keys]


def episode_pages(
    settings: Settings, records: Sequence[EpisodeRecord | None], *, base: str
) -> list[str | None]:
    """The public page of each published episode (None stays None).

    URLs are under the site's stored address, else under *base*.
    """
    with reading_catalog(settings) as catalog:
        site = (catalog.site_value("base_url") if catalog else None) or base
    return [site_url(site, page_path(r)) if r else None for r in records]


def read_seen(settings: Settings, urls: list[str]) -> tuple[dict[str, Seen], set[str]]:
    """What `ingest` saw of each of *urls* before, and which of them were unpublished.

    Only reads: with no catalog yet nothing was seen, and none is created.
    """
    with reading_catalog(settings) as catalog:
        if catalog is None:
            return {}, set()
        seen = {url: found for url in urls if (found := catalog.seen(url)) is not None}
        gone = {url for url in urls if catalog.tombstone("article", url) is not None}
    return seen, gone


def find_refs(
    catalog: Catalog,
    refs: list[str],
    *,
    output_dir: Path,
    base: str,
    sources: dict[str, Article],
) -> list[str]:
    """The guids that *refs* name: guids, article URLs, source files, MP3 paths or URLs.

    *sources* holds the articles loaded from the refs that are article files.

    Raises:
        PublishError: a reference names no published episode (nothing is changed).
    """
    records = catalog.episodes()
    guids: list[str] = []
    unknown = []
    for ref in refs:
        if ref in sources and not ref.endswith(".mp3"):
            prefix = source_prefix(sources[ref])
            found = [r.guid for r in records if r.key.startswith(prefix)]
        else:
            found = [r.guid for r in records if _names(r, ref, output_dir, base)]
        if not found:
            unknown.append(ref)
        guids.extend(g for g in found if g not in guids)
    if unknown:
        raise PublishError(
            f"no published episode matches {', '.join(unknown)}; give a guid, an article "
            "URL, a source file or an episode's MP3 (see feed.xml and articles.xml)."
        )
    return guids


def _names(record: EpisodeRecord, ref: str, output_dir: Path, base: str) -> bool:
    if ref == record.guid:
        return True
    if ref.startswith(("http://", "https://")):
        if ref.startswith(base):
            ref = ref[len(base) :].split("?")[0]
        else:
            return record.kind == "article" and record.key == canonical_url(ref)
    files = {record.mp3, page_path(record), *record.files.values()}
    path = Path(ref)
    if path.resolve().is_relative_to(output_dir.resolve()):
        ref = path.resolve().relative_to(output_dir.resolve()).as_posix()
    return ref in files


def _written_article(record: EpisodeRecord) -> Article:
    """An article published before the catalog kept articles: rebuilt from its text."""
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
