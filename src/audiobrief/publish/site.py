"""Publish stage: index.html and one page per episode, the transcript beside the player."""

from __future__ import annotations

import datetime as dt
import logging
import posixpath
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import quote

import jinja2
from markupsafe import escape

from audiobrief.config_slices import SiteSettings
from audiobrief.errors import PublishError
from audiobrief.publish.archive import PAGE_SIZE, ArchivePage, pages_to_render, series, stale_pages
from audiobrief.publish.catalog import KINDS, Catalog, EpisodeRecord
from audiobrief.publish.images import publish_cover
from audiobrief.publish.listing import Changes, each, newest_lean
from audiobrief.publish.render import Rendering, environment, render_key
from audiobrief.publish.storage import LocalFolder, Storage
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

if TYPE_CHECKING:
    from audiobrief.cache import Cache

logger = logging.getLogger(__name__)

HOME_LIST = 50
"""Episodes of each kind the home page lists (fewer if feed_keep is smaller); the
archive pages it links list them all."""
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
    catalog: Catalog,
    *,
    site: SiteSettings,
    output_dir: Path,
    now: dt.datetime,
    changes: Changes | None = None,
    storage: Storage | None = None,
    rendering: Rendering | None = None,
) -> list[Path]:
    """Write index.html, the episode and archive pages and the cover; return their paths.

    Without *changes* (a full rebuild: `audiobrief feed --rebuild`, `move`) every page
    is rendered. With them only the pages of the episodes published in this run, the
    archive pages they touch and the index are: the cost does not grow with the archive.
    (After a changed template, address, title, description or cover, the site's render
    key, the publisher passes none.) Each article also gets its embeddable player
    (`<stem>.embed.html`); the player of an unpublished episode is deleted. A page is
    only rewritten when its content changed; every write is atomic. They go to
    *storage* (default: the folder *output_dir*). *rendering* is what `prepare` gave
    (default: prepared here).

    Raises:
        ConfigError: the cover is wrong.
        PublishError: a page could not be rendered or written.
    """
    base = site.base_url  # config checked it: absolute http(s), one trailing slash
    if now.utcoffset() is None:
        raise PublishError("render_site needs a timezone-aware 'now'; pass datetime.now(UTC).")
    local_now = now.astimezone(site.zone)  # config checked the name
    storage = storage or LocalFolder(output_dir)
    rendering = rendering or prepare(site, storage)
    cover = rendering.cover
    pages = _Pages(rendering.env, site, base, cover, output_dir, storage)
    written = [output_dir / cover.split("?", 1)[0]]
    if changes is None:
        wanted: set[str] = set()
        for kind in KINDS:
            for record in each(catalog, kind):
                written += pages.episode(record)
                wanted.add(embed_path(record) or "")
        if isinstance(storage, LocalFolder):  # a bucket is not listed: unpublish drops it
            _remove_stale_players(wanted, storage)
    else:
        for record in changes.published.values():
            written += pages.episode(record)
        # An unpublished episode's player is a journaled drop: collect_garbage deletes it.
    for page in pages_to_render(catalog, changes):
        written.append(pages.archive(page))
    for name in stale_pages(catalog, storage.exists):
        storage.delete(name)
        logger.info("deleted %s/%s: the archive is shorter", storage.where, name)
    written.append(pages.index(catalog, local_now))
    return written


class _Pages:
    """Renders and writes the pages of one refresh (one Jinja environment for all)."""

    def __init__(
        self,
        env: jinja2.Environment,
        site: SiteSettings,
        base: str,
        cover: str,
        out: Path,
        storage: Storage,
    ) -> None:
        self.env, self.site, self.base, self.cover, self.out = env, site, base, cover, out
        self.storage = storage

    def episode(self, record: EpisodeRecord) -> list[Path]:
        """The episode's page and, for an article, its embeddable player."""
        view = episode_view(record, base=self.base)
        show = _show(self.site, self.base, self.cover, posixpath.dirname(view.page) or ".")
        root = view.relative["root"]
        html = _render(
            self.env, "episode.html.j2", ep=view, show=show, root=root,
            embed_code=embed_code(view), player_height=PLAYER_HEIGHT_PX,
        )  # fmt: skip
        written = [self.out / view.page]
        _write(self.storage, view.page, html)
        if embed := embed_path(record):
            html = _render(self.env, "embed.html.j2", ep=view, show=show, root=root)
            _write(self.storage, embed, html)
            written.append(self.out / embed)
        return written

    def archive(self, page: ArchivePage) -> Path:
        folder = posixpath.dirname(page.path)
        html = _render(
            self.env, "archive.html.j2", page=page, url=site_url(self.base, page.path),
            show=_show(self.site, self.base, self.cover, folder), root="../",
            episodes=[episode_view(r, base=self.base, folder=folder) for r in page.records],
        )  # fmt: skip
        _write(self.storage, page.path, html)
        return self.out / page.path

    def index(self, catalog: Catalog, local_now: dt.datetime) -> Path:
        """The home page: the newest episode's player, the feeds' episodes, the archive."""
        keep = min(self.site.feed_keep or HOME_LIST, HOME_LIST)
        briefings = newest_lean(catalog, "briefing", keep)
        articles = newest_lean(catalog, "article", keep)
        lead = briefings[:1] or articles[:1]
        featured = catalog.get(lead[0].guid) if lead else None  # its chapters need it whole
        html = _render(
            self.env,
            "index.html.j2",
            show=_show(self.site, self.base, self.cover, "."),
            root="./",
            featured=self._listed(featured) if featured else None,
            briefings=[self._listed(r) for r in briefings],
            articles=[self._listed(r) for r in articles],
            archive=series(catalog),
            updated=local_now,
        )
        _write(self.storage, INDEX_NAME, html)
        return self.out / INDEX_NAME

    def _listed(self, record: EpisodeRecord) -> EpisodeView:
        return episode_view(record, base=self.base, folder=".")


def prepare(site: SiteSettings, storage: Storage, cache: Cache | None = None) -> Rendering:
    """The cover published and checked, the render key and the templates (compiled ones
    kept in *cache*), once for the feeds and the pages of a refresh.

    Raises:
        ConfigError: the cover is wrong.
    """
    cover = publish_cover(site.cover, storage)
    return Rendering(environment(cache), cover, site_key(site, site.base_url, cover))


def site_key(site: SiteSettings, base: str, cover: str) -> str:
    """The render key of this site's pages and feed items (see render.render_key)."""
    return render_key(site, base, cover, PLAYER_HEIGHT_PX, PAGE_SIZE)


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


def _remove_stale_players(wanted: set[str], storage: LocalFolder) -> None:
    """Delete embed pages whose episode is gone: an unpublished story stops playing on
    every site that embedded it. Only episode folders (`YYYY/...`) are looked at, and
    only by a full rebuild: a publish deletes the players of what it unpublished."""
    output_dir = storage.root
    for path in output_dir.glob(f"[0-9][0-9][0-9][0-9]/**/*{EMBED_SUFFIX}"):
        if path.relative_to(output_dir).as_posix() not in wanted:
            storage.delete(path.relative_to(output_dir).as_posix())
            logger.info("deleted %s: its episode was unpublished", path)


def _render(env: jinja2.Environment, name: str, **context: object) -> str:
    try:
        return env.get_template(name).render(**context)
    except jinja2.TemplateError as exc:
        raise PublishError(
            f"cannot render {name} ({exc}); the previous pages are kept. Reinstall "
            "audiobrief if its templates were changed."
        ) from exc


def _write(storage: Storage, name: str, html: str) -> None:
    if storage.put_if_changed(name, html):
        logger.info("wrote %s/%s", storage.where, name)
