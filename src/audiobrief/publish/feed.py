"""Publish stage: feed.xml (daily briefings) and articles.xml, rendered from the catalog."""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from pathlib import Path

import jinja2

from audiobrief.config_slices import SiteSettings
from audiobrief.errors import ConfigError, PublishError
from audiobrief.model import EpisodeKind
from audiobrief.publish.catalog import KINDS, Catalog, EpisodeRecord
from audiobrief.publish.files import delete as delete_file
from audiobrief.publish.files import write_atomic
from audiobrief.publish.images import publish_cover
from audiobrief.publish.render import MAX_DESCRIPTION_BYTES, environment, rfc2822
from audiobrief.publish.views import (
    ARTICLES_NAME,
    FEED_NAME,
    EpisodeView,
    clean,
    episode_view,
    page_path,
    site_url,
)

logger = logging.getLogger(__name__)

ARTICLES_SUFFIX = "المقالات"
"""Added to the show title for the articles feed's channel."""


@dataclass(frozen=True)
class Channel:
    """Everything the feed template says about the show."""

    title: str
    link: str
    feed_url: str
    description: str
    language: str
    cover_url: str
    category: str
    subcategory: str
    explicit: bool
    locked: bool
    author: str
    owner_email: str
    guid: str
    daily: bool
    """Briefings come daily (podcast:updateFrequency); articles come when written."""
    build_date: str
    new_feed_url: str | None = None
    """Set once the site moved: apps that still poll an old address follow it here."""


def render_feeds(
    catalog: Catalog, *, site: SiteSettings, output_dir: Path, now: dt.datetime
) -> list[Path]:
    """Write feed.xml and articles.xml from the catalog; return their paths.

    Both feeds are rendered before either is written, and each is replaced in one
    rename, so a failure leaves the previous feeds whole. Each lists the newest
    site.feed_keep episodes of its kind (0: all).

    Raises:
        ConfigError: the description or the cover break a feed rule.
        PublishError: rendering or writing failed (the old feeds stay).
    """
    base = site.base_url  # config checked it: absolute http(s), one trailing slash
    if now.utcoffset() is None:
        raise PublishError("render_feeds needs a timezone-aware 'now'; pass datetime.now(UTC).")
    description = clean(site.description)
    if len(description.encode("utf-8")) > MAX_DESCRIPTION_BYTES:
        raise ConfigError(
            f"description is {len(description.encode('utf-8'))} bytes; feeds allow "
            f"{MAX_DESCRIPTION_BYTES}. Shorten it in audiobrief.toml."
        )
    cover_url = site_url(base, "") + publish_cover(site.cover, output_dir)
    rendered = {}
    feeds: tuple[tuple[EpisodeKind, str], ...] = (
        ("briefing", FEED_NAME),
        ("article", ARTICLES_NAME),
    )
    for kind, name in feeds:
        feed_url = site_url(base, name)
        title = site.show_title
        channel = Channel(
            title=clean(title if kind == "briefing" else f"{title}: {ARTICLES_SUFFIX}"),
            link=base,
            feed_url=feed_url,
            description=description,
            language=site.language,
            cover_url=cover_url,
            category=site.category,
            subcategory=site.subcategory,
            explicit=site.explicit,
            locked=site.locked,
            author=clean(site.author),
            owner_email=site.owner_email.strip(),
            guid=catalog.channel_guid(feed_url),
            daily=kind == "briefing",
            build_date=rfc2822(now),
            new_feed_url=feed_url if catalog.site_value("moved_from") else None,
        )
        records = kept(catalog, kind, site.feed_keep)
        views = [episode_view(r, base=base) for r in records]
        rendered[output_dir / name] = _render(channel, views)
    for path, text in rendered.items():
        write_atomic(path, text)
        logger.info("wrote %s", path)
    return list(rendered)


def kept(catalog: Catalog, kind: EpisodeKind, keep: int) -> list[EpisodeRecord]:
    """The newest *keep* episodes of *kind* (all when keep is 0), newest first."""
    records = catalog.episodes(kind)
    return records[:keep] if keep > 0 else records


def prune_files(catalog: Catalog, *, output_dir: Path, keep: int, delete: bool) -> list[Path]:
    """Files of the episodes past the newest *keep* of each kind; deleted only if *delete*.

    Only files the catalog records (MP3, captions, chapters, page) inside *output_dir*
    are touched, never one a kept episode also uses; catalog rows stay.

    Raises:
        PublishError: a file could not be deleted.
    """
    if keep <= 0:
        return []
    kept_files: set[str] = set()
    dropped: list[str] = []
    for kind in KINDS:
        records = catalog.episodes(kind)
        kept_files.update(f for r in records[:keep] for f in _owned(r))
        dropped.extend(f for r in records[keep:] for f in _owned(r))
    root = output_dir.resolve()
    found = []
    for relpath in dict.fromkeys(dropped):
        path = output_dir / relpath
        if relpath in kept_files or not path.is_file():
            continue
        if not path.resolve().is_relative_to(root):
            logger.warning("not deleting %s: it lies outside %s", path, output_dir)
            continue
        if delete:
            delete_file(path)
            logger.info("deleted %s", path)
        found.append(path)
    return found


def prune(catalog: Catalog, *, site: SiteSettings, output_dir: Path) -> list[Path]:
    """Delete the files of episodes no longer in the feeds (past site.feed_keep)."""
    return prune_files(catalog, output_dir=output_dir, keep=site.feed_keep, delete=True)


def _owned(record: EpisodeRecord) -> list[str]:
    return [record.mp3, *record.files.values(), page_path(record)]


def _render(channel: Channel, views: list[EpisodeView]) -> str:
    try:
        template = environment().get_template("feed.xml.j2")
        return template.render(channel=channel, episodes=views)
    except jinja2.TemplateError as exc:
        raise PublishError(
            f"cannot render {channel.feed_url} ({exc}); the previous feed is kept. "
            "Reinstall audiobrief if its templates were changed."
        ) from exc
