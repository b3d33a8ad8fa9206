"""Publish stage: feed.xml (daily briefings) and articles.xml, rendered from the catalog."""

from __future__ import annotations

import datetime as dt
import logging
import re
from dataclasses import dataclass
from pathlib import Path

import jinja2
from markupsafe import Markup

from audiobrief.config_slices import SiteSettings
from audiobrief.errors import ConfigError, PublishError
from audiobrief.model import EpisodeKind
from audiobrief.publish.catalog import Catalog
from audiobrief.publish.listing import Changes, newest_lean
from audiobrief.publish.render import MAX_DESCRIPTION_BYTES, Rendering, rfc2822
from audiobrief.publish.site import prepare
from audiobrief.publish.storage import LocalFolder, Storage
from audiobrief.publish.views import (
    ARTICLES_NAME,
    FEED_NAME,
    clean,
    episode_view,
    site_url,
)

logger = logging.getLogger(__name__)

# An item as feed_item.xml.j2 writes it: its own lines, no blank line or "</item>" in
# its text (clean() folds every run of white space into one space).
_ITEM = re.compile(r"^    <item>\n.*?^    </item>\n", re.MULTILINE | re.DOTALL)
_GUID = re.compile(r'<guid isPermaLink="false">([^<]*)</guid>')

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
    catalog: Catalog,
    *,
    site: SiteSettings,
    output_dir: Path,
    now: dt.datetime,
    changes: Changes | None = None,
    storage: Storage | None = None,
    rendering: Rendering | None = None,
) -> list[Path]:
    """Write feed.xml and articles.xml from the catalog; return their paths.

    Both feeds are rendered before either is written, and each is replaced in one
    rename, so a failure leaves the previous feeds whole. Each lists the newest
    site.feed_keep episodes of its kind (0: all); older ones stay on the site's
    archive pages, their files untouched. With *changes* (a publish), an item the
    previous feed holds is copied from it unless its episode changed in this run (the
    publisher passes none when the render key changed), so only new items are read whole
    from the catalog and rendered.
    They go to *storage* (default: the folder *output_dir*). *rendering* is what
    site.prepare gave (default: prepared here).

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
    storage = storage or LocalFolder(output_dir)
    rendering = rendering or prepare(site, storage)
    cover_url = site_url(base, "") + rendering.cover
    env = rendering.env
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
        kept = _previous_items(storage, name) if changes is not None else {}
        for guid in changes.published if changes is not None else ():
            kept.pop(guid, None)
        items = []
        for listed in newest_lean(catalog, kind, site.feed_keep):
            item = kept.get(listed.guid)
            if item is None:
                whole = catalog.get(listed.guid)  # the notes need its transcript
                item = _render(
                    env, "feed_item.xml.j2", channel, ep=episode_view(whole or listed, base=base)
                )
            items.append(Markup(item))
        rendered[output_dir / name] = _render(env, "feed.xml.j2", channel, items=items)
    for path, text in rendered.items():
        storage.put_bytes(path.name, text)
        logger.info("wrote %s/%s", storage.where, path.name)
    return list(rendered)


def _previous_items(storage: Storage, name: str) -> dict[str, str]:
    """The items of the feed *name* as written, by guid ({} if it cannot be read)."""
    try:
        text = (storage.read(name) or b"").decode("utf-8")
    except UnicodeError:
        return {}
    found = {}
    for match in _ITEM.finditer(text):
        if guid := _GUID.search(match.group()):
            found[guid.group(1)] = match.group()
    return found


def _render(env: jinja2.Environment, name: str, channel: Channel, **context: object) -> str:
    try:
        return env.get_template(name).render(channel=channel, **context)
    except jinja2.TemplateError as exc:
        raise PublishError(
            f"cannot render {channel.feed_url} ({exc}); the previous feed is kept. "
            "Reinstall audiobrief if its templates were changed."
        ) from exc
