"""Publish stage: index.html and one page per episode, the transcript beside the player."""

from __future__ import annotations

import datetime as dt
import logging
import posixpath
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import jinja2

from audiobrief.config import Settings
from audiobrief.errors import ConfigError, PublishError
from audiobrief.publish.catalog import Catalog, EpisodeRecord
from audiobrief.publish.feed import kept
from audiobrief.publish.files import write_if_changed
from audiobrief.publish.images import publish_cover
from audiobrief.publish.render import environment
from audiobrief.publish.views import (
    ARTICLES_NAME,
    FEED_NAME,
    INDEX_NAME,
    EpisodeView,
    base_url,
    clean,
    episode_view,
    site_url,
)

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class FeedLink:
    """A feed to subscribe to, as the pages offer it."""

    id: str
    """HTML id of its copyable URL field."""
    label: str
    url: str
    """Absolute: what a podcast app needs."""
    relative: str


@dataclass(frozen=True)
class Show:
    """What every page says about the show."""

    title: str
    description: str
    cover: str
    """Cover URL relative to the output folder (`cover.png?v=...`)."""
    feeds: tuple[FeedLink, ...]


def render_site(
    catalog: Catalog, *, settings: Settings, output_dir: Path, now: dt.datetime
) -> list[Path]:
    """Write index.html, a page per listed episode and the cover; return their paths.

    Pages list the same episodes as the feeds (settings.feed_keep). A page is only
    rewritten when its content changed; every write is atomic.

    Raises:
        ConfigError: base_url, the time zone or the cover is wrong.
        PublishError: a page could not be rendered or written.
    """
    base = base_url(settings)
    if now.utcoffset() is None:
        raise PublishError("render_site needs a timezone-aware 'now'; pass datetime.now(UTC).")
    try:
        local_now = now.astimezone(ZoneInfo(settings.timezone))
    except (ZoneInfoNotFoundError, ValueError, OSError) as exc:  # OSError: "Africa" is a folder
        raise ConfigError(
            f"timezone {settings.timezone!r} is unknown; use an IANA name such as "
            "Africa/Casablanca."
        ) from exc
    cover = publish_cover(settings.cover, output_dir)
    briefings = kept(catalog, "briefing", settings.feed_keep)
    articles = kept(catalog, "article", settings.feed_keep)
    env = environment()
    written = [output_dir / cover.split("?", 1)[0]]
    for record in [*briefings, *articles]:
        view = episode_view(record, base=base)
        show = _show(settings, base, cover, posixpath.dirname(view.page) or ".")
        html = _render(env, "episode.html.j2", ep=view, show=show, root=view.relative["root"])
        path = output_dir / view.page
        _write(path, html)
        written.append(path)
    featured = briefings[0] if briefings else (articles[0] if articles else None)
    html = _render(
        env,
        "index.html.j2",
        show=_show(settings, base, cover, "."),
        root="./",
        featured=_index_view(catalog, featured, base) if featured else None,
        briefings=[_index_view(catalog, r, base) for r in briefings],
        articles=[_index_view(catalog, r, base) for r in articles],
        updated=local_now,
    )
    _write(output_dir / INDEX_NAME, html)
    written.append(output_dir / INDEX_NAME)
    return written


def _index_view(catalog: Catalog, record: EpisodeRecord, base: str) -> EpisodeView:
    return episode_view(record, base=base, folder=".")


def _show(settings: Settings, base: str, cover: str, folder: str) -> Show:
    def relative(name: str) -> str:
        return quote(posixpath.relpath(name, folder))

    feeds = (
        FeedLink("feed-url", "الموجز اليومي", site_url(base, FEED_NAME), relative(FEED_NAME)),
        FeedLink(
            "articles-url", "المقالات", site_url(base, ARTICLES_NAME), relative(ARTICLES_NAME)
        ),
    )
    cover_url = relative(cover.split("?", 1)[0]) + "?" + cover.split("?", 1)[1]
    return Show(clean(settings.show_title), clean(settings.description), cover_url, feeds)


def _render(env: jinja2.Environment, name: str, **context: object) -> str:
    try:
        return env.get_template(name).render(**context)
    except jinja2.TemplateError as exc:
        raise PublishError(
            f"cannot render {name} ({exc}); the previous pages are kept. Reinstall "
            "audiobrief if its templates were changed."
        ) from exc


def _write(path: Path, html: str) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise PublishError(
            f"cannot create {path.parent} ({exc.strerror}); check the output folder."
        ) from exc
    if write_if_changed(path, html):
        logger.info("wrote %s", path)
