"""Publish stage: index.html and one page per episode, the transcript beside the player."""

from __future__ import annotations

import datetime as dt
import logging
import posixpath
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

import jinja2
from markupsafe import escape

from audiobrief.config_slices import SiteSettings
from audiobrief.errors import PublishError
from audiobrief.publish.catalog import Catalog, EpisodeRecord
from audiobrief.publish.feed import kept
from audiobrief.publish.files import delete, write_if_changed
from audiobrief.publish.images import publish_cover
from audiobrief.publish.render import environment
from audiobrief.publish.views import (
    ARTICLES_NAME,
    EMBED_SUFFIX,
    FEED_NAME,
    INDEX_NAME,
    EpisodeView,
    clean,
    embed_path,
    episode_view,
    site_url,
)

logger = logging.getLogger(__name__)

PLAYER_HEIGHT_PX = 200
"""The embedded player's height: title, controls and links fit at 320 px wide."""


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
    """Cover URL relative to the page (`cover.png?v=...`)."""
    feeds: tuple[FeedLink, ...]
    cover_url: str
    """The cover's absolute URL: link previews (Open Graph) need one."""
    home: str
    """The home page's absolute URL."""


def render_site(
    catalog: Catalog, *, site: SiteSettings, output_dir: Path, now: dt.datetime
) -> list[Path]:
    """Write index.html, a page per listed episode and the cover; return their paths.

    Pages list the same episodes as the feeds (site.feed_keep). Each article also
    gets its embeddable player (`<stem>.embed.html`); the player of an episode that left
    the catalog (unpublished) is deleted. A page is only rewritten when its content
    changed; every write is atomic.

    Raises:
        ConfigError: the cover is wrong.
        PublishError: a page could not be rendered or written.
    """
    base = site.base_url  # config checked it and the time zone: both are used as they are
    if now.utcoffset() is None:
        raise PublishError("render_site needs a timezone-aware 'now'; pass datetime.now(UTC).")
    local_now = now.astimezone(site.zone)
    cover = publish_cover(site.cover, output_dir)
    briefings = kept(catalog, "briefing", site.feed_keep)
    articles = kept(catalog, "article", site.feed_keep)
    env = environment()
    written = [output_dir / cover.split("?", 1)[0]]
    for record in [*briefings, *articles]:
        view = episode_view(record, base=base)
        show = _show(site, base, cover, posixpath.dirname(view.page) or ".")
        root = view.relative["root"]
        code = embed_code(view)
        html = _render(
            env, "episode.html.j2", ep=view, show=show, root=root, embed_code=code,
            player_height=PLAYER_HEIGHT_PX,
        )  # fmt: skip
        path = output_dir / view.page
        _write(path, html)
        written.append(path)
        if embed := embed_path(record):
            html = _render(env, "embed.html.j2", ep=view, show=show, root=root)
            _write(output_dir / embed, html)
            written.append(output_dir / embed)
    _remove_stale_players(catalog, output_dir)
    featured = briefings[0] if briefings else (articles[0] if articles else None)
    html = _render(
        env,
        "index.html.j2",
        show=_show(site, base, cover, "."),
        root="./",
        featured=_index_view(catalog, featured, base) if featured else None,
        briefings=[_index_view(catalog, r, base) for r in briefings],
        articles=[_index_view(catalog, r, base) for r in articles],
        updated=local_now,
    )
    _write(output_dir / INDEX_NAME, html)
    written.append(output_dir / INDEX_NAME)
    return written


def embed_code(view: EpisodeView) -> str | None:
    """The `<iframe>` HTML that shows *view*'s player on another site (articles only)."""
    url = view.absolute.get("embed")
    if url is None:
        return None
    title = escape(f"استمع: {clean(view.record.title)}")
    return (
        f'<iframe src="{escape(url)}" title="{title}" width="100%" height="{PLAYER_HEIGHT_PX}" '
        'style="border:0;max-width:40rem" loading="lazy"></iframe>'
    )


def _index_view(catalog: Catalog, record: EpisodeRecord, base: str) -> EpisodeView:
    return episode_view(record, base=base, folder=".")


def _show(site: SiteSettings, base: str, cover: str, folder: str) -> Show:
    def relative(name: str) -> str:
        return quote(posixpath.relpath(name, folder))

    feeds = (
        FeedLink("feed-url", "الموجز اليومي", site_url(base, FEED_NAME), relative(FEED_NAME)),
        FeedLink(
            "articles-url", "المقالات", site_url(base, ARTICLES_NAME), relative(ARTICLES_NAME)
        ),
    )
    name, version = cover.split("?", 1)
    return Show(
        clean(site.show_title), clean(site.description), f"{relative(name)}?{version}",
        feeds, f"{site_url(base, name)}?{version}", site_url(base, INDEX_NAME),
    )  # fmt: skip


def _remove_stale_players(catalog: Catalog, output_dir: Path) -> None:
    """Delete embed pages whose episode is gone: an unpublished story stops playing on
    every site that embedded it. Only episode folders (`YYYY/...`) are looked at."""
    wanted = {embed_path(record) for record in catalog.episodes()}
    for path in output_dir.glob(f"[0-9][0-9][0-9][0-9]/**/*{EMBED_SUFFIX}"):
        if path.relative_to(output_dir).as_posix() not in wanted:
            delete(path)
            logger.info("deleted %s: its episode was unpublished", path)


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
