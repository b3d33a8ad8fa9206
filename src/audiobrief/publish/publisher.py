"""Publish stage's front door: identity, files and catalog as one step, then the feeds."""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import os
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from audiobrief.config import Settings
from audiobrief.errors import AudiobriefError, PublishError
from audiobrief.model import Article, Episode, EpisodeInfo, EpisodeKind, Script, Timeline
from audiobrief.publish.catalog import Catalog, EpisodeRecord
from audiobrief.publish.episode import SUFFIXES, Show, article_slug, episode_stem, stage_episode
from audiobrief.publish.identity import article_day, article_key
from audiobrief.publish.images import check_cover
from audiobrief.publish.journal import (
    collect_garbage,
    collect_orphans,
    finish_moves,
    remove_temporaries,
    upload_first,
)
from audiobrief.publish.listing import Changes
from audiobrief.publish.records import article_to_json
from audiobrief.publish.site_state import open_site, publishing_catalog
from audiobrief.publish.storage import Storage, guard_bucket, open_storage
from audiobrief.publish.views import ARTICLES_NAME, FEED_NAME, embed_path, page_path

logger = logging.getLogger(__name__)

RUNNING = "running"
"""Site value: when the run holding the folder began; "" once it finished cleanly."""

Title = Callable[[dt.date], str]
"""The episode title for the day the publisher settles on (the text stage words it)."""


class Publisher:
    """Puts rendered episodes on the site; use `open_publisher`.

    Each episode lands whole or not at all: its files are written under temporary
    names, the catalog row and the promised moves commit in one transaction, then the
    files move into place. A changed episode gets new file names, so a feed never lists
    a file of another size; old files go once the feeds are refreshed.

    With a bucket (output_url) the files go up under their final names before the
    commit instead, and output_dir is only the work folder (see journal.upload_first).
    """

    def __init__(
        self,
        catalog: Catalog,
        settings: Settings,
        now: dt.datetime,
        storage: Storage,
    ) -> None:
        self.catalog = catalog
        self.settings = settings
        self.now = now
        self.storage = storage
        self.changed = False
        self.changes = Changes()
        """What this run published and unpublished: what `refresh` renders."""
        self.rebuild = False
        """Render every page at the next refresh (a run before this one stopped midway)."""
        self.marked = False
        """The catalog says a run is changing the site (RUNNING) until `refresh` ends."""
        self.moved: list[str] = []
        """Files moved into place whose journal entries `refresh` settles (with RUNNING
        cleared, in one transaction): until then a dead run's successor finds them moved."""

    @property
    def output_dir(self) -> Path:
        """The output folder, or with a bucket the work folder (staging, SQLite catalog)."""
        return self.settings.output_dir

    def article(
        self,
        article: Article,
        script: Script,
        mp3: Path,
        timeline: Timeline,
        *,
        title: Title,
        today: dt.date,
        order: int = 0,
        republish: bool = False,
        made_by: str | None = None,
    ) -> Episode:
        """Publish *article*'s episode: new, or the same guid updated (same key).

        *made_by* is the audio's episode key (EpisodeInfo.made_by), kept in its tag.
        """
        key = article_key(article, today)
        self._check_tombstone("article", key, republish)
        previous = self.catalog.find("article", key)
        day = previous.day if previous else article_day(article, today)
        slug = article_slug(article.meta.source, article.meta.url, article.title)
        stem = _base_stem(previous) if previous else self._free_stem(
            episode_stem("article", day, slug), key
        )  # fmt: skip
        # One microsecond apart: articles spoken together keep their order in the brief.
        published = previous.published if previous else self.now + dt.timedelta(microseconds=order)
        info = EpisodeInfo(
            kind="article",
            guid=self.catalog.episode_guid("article", key, keep=False),
            title=title(day),
            date=day,
            published=published,
            slug=slug,
            description=article.paragraphs[0] if article.paragraphs else "",
            url=article.meta.url,
            author=article.meta.author,
            outlet=article.meta.outlet,
            made_by=made_by,
        )
        return self._publish(info, key, stem, script, mp3, timeline, article_to_json(article))

    def briefing(
        self,
        day: dt.date,
        script: Script,
        mp3: Path,
        timeline: Timeline,
        *,
        title: str,
        republish: bool = False,
    ) -> Episode:
        """Publish the briefing of *day* (one per day: a rebuild updates it)."""
        key = day.isoformat()
        self._check_tombstone("briefing", key, republish)
        previous = self.catalog.find("briefing", key)
        slug = f"briefing-{key}"
        info = EpisodeInfo(
            kind="briefing",
            guid=self.catalog.episode_guid("briefing", key, keep=False),
            title=title,
            date=day,
            published=previous.published if previous else self.now,
            slug=slug,
            description=" · ".join(s.title for s in script.sections[1:-1]),
        )
        stem = _base_stem(previous) if previous else episode_stem("briefing", day, slug)
        return self._publish(info, key, stem, script, mp3, timeline, None)

    def unpublish(self, guids: list[str], *, keep_files: bool) -> list[EpisodeRecord]:
        """Take episodes off the feeds and pages for good (a tombstone stays)."""
        removed = []
        for guid in guids:
            record = self.catalog.get(guid)
            if record is None:
                continue
            self._mark()
            # With --keep-files the page still goes: it would play an unlisted episode.
            drops = [page_path(record)] if keep_files else _owned(record)
            # A bucket is never listed whole to find stale players: the player goes by name.
            drops += [player] if (player := embed_path(record)) else []
            removed.append(self.catalog.remove(guid, removed=self.now.isoformat(), drops=drops))
            self.changes.unpublish(removed[-1])
            self.changed = True
        return removed

    def _publish(
        self,
        info: EpisodeInfo,
        key: str,
        stem: str,
        script: Script,
        mp3: Path,
        timeline: Timeline,
        article: str | None,
    ) -> Episode:
        out = self.output_dir
        folder = (out / stem).parent
        self._mark()
        feed = FEED_NAME if info.kind == "briefing" else ARTICLES_NAME
        staged = stage_episode(
            folder, mp3=mp3, info=info, timeline=timeline, script=script, show=self._show(feed)
        )
        previous = self.catalog.find(info.kind, key)
        storage, note = self.storage, None
        try:
            version = self._version_stem(stem, staged, previous)
            finals = {kind: f"{version}{suffix}" for kind, suffix in SUFFIXES.items()}
            unchanged = previous is not None and previous.mp3 == finals["mp3"]
            # Identical bytes: the staged files are what is published already.
            size = staged["mp3"].stat().st_size
            moves = [] if unchanged else [
                (_relative(staged[kind], out), final) for kind, final in finals.items()
            ]  # fmt: skip
            if moves and storage.uploads_first:
                # Up under new names before the commit: a feed rendered from the committed
                # catalog, on any machine, only ever lists files that are there.
                uploads = {final: out / tmp_rel for tmp_rel, final in moves}
                note, moves = upload_first(storage, info.kind, key, uploads), []
            kept = set(finals.values())
            drops = [f for f in _owned(previous) if f not in kept] if previous else []
            drops = [f for f in drops if f != f"{stem}.html"]
            files = {kind: finals[kind] for kind in ("vtt", "srt", "chapters")}
            files["html"] = f"{stem}.html"
            record = EpisodeRecord.of(
                info, key=key, mp3=finals["mp3"], size_bytes=size, timeline=timeline,
                script=script, files=files,
            )  # fmt: skip
            self.catalog.upsert(record, moves=moves, drops=drops, article=article)
        except BaseException:
            for tmp in staged.values():
                tmp.unlink(missing_ok=True)
            raise  # uploaded files stay unlisted; the next run collects them (the note)
        self.changed = True
        self.changes.publish(record, new=previous is None)  # before anything else can fail
        if note is not None:
            storage.delete(note)
        if unchanged:
            for tmp in staged.values():
                tmp.unlink(missing_ok=True)
        for tmp_rel, final in moves:  # committed: the journal finishes these if we die here
            storage.move_in(final, out / tmp_rel)
            self.moved.append(final)
        logger.info("published %s %s -> %s", info.kind, info.guid, finals["mp3"])
        return Episode(
            info=info,
            mp3_path=out / finals["mp3"],
            size_bytes=size,
            timeline=timeline,
            script=script,
            files=tuple(out / f for f in files.values()),
            status="new" if previous is None else "unchanged" if unchanged else "updated",
            base_url=self.settings.base_url,
        )

    def _version_stem(
        self, stem: str, staged: dict[str, Path], previous: EpisodeRecord | None
    ) -> str:
        """The current files' stem when every byte is the same, else the next unused one.

        Numbers only go up: an enclosure URL never names two different files, so an app
        that cached an old version never mistakes it for a new one.
        """
        first = 1
        if previous is not None:
            current = previous.mp3.removesuffix(".mp3")
            if all(self.storage.same(f"{current}{s}", staged[k]) for k, s in SUFFIXES.items()):
                return current
            found = re.search(r"\.v(\d+)$", current)
            first = int(found.group(1)) + 1 if found else 2
        for number in range(first, first + 10_000):
            version = stem if number == 1 else f"{stem}.v{number}"
            taken = (f"{version}{suffix}" for suffix in SUFFIXES.values())
            if not any(self.storage.exists(name) for name in taken):
                return version
        raise PublishError(f"{stem} has 10,000 versions; unpublish it and publish it anew.")

    def _free_stem(self, stem: str, key: str) -> str:
        """*stem*, or *stem* with a short hash when another episode has that name."""
        if not self.catalog.stem_taken(stem) and not self.storage.exists(f"{stem}.html"):
            return stem
        return f"{stem}-{hashlib.sha1(key.encode('utf-8')).hexdigest()[:8]}"

    def _check_tombstone(self, kind: EpisodeKind, key: str, republish: bool) -> None:
        removed = self.catalog.tombstone(kind, key)
        if removed is None:
            return
        if not republish:
            raise PublishError(
                f"this {kind} was unpublished on {removed[:10]}; pass --republish to "
                "publish it again."
            )
        self.catalog.lift_tombstone(kind, key)

    def _show(self, feed: str) -> Show:
        cover, mime = check_cover(self.settings.cover)
        s = self.settings
        return Show(s.show_title, s.author, cover, mime, f"{s.base_url}{feed}")

    def refresh(self, *, rebuild: bool = False) -> list[Path]:
        """The feeds, the index and the pages this run changed, then old files go.

        With *rebuild* (or after a run that stopped midway) every page is rendered.
        """
        from audiobrief.cache import open_cache
        from audiobrief.publish.feed import render_feeds
        from audiobrief.publish.render import RENDER_KEY
        from audiobrief.publish.site import prepare, render_site

        s, out, to = self.settings, self.output_dir, self.storage
        changes = None if rebuild or self.rebuild else self.changes
        # The cover, the render key and the templates, once for the feeds and the pages.
        shared = prepare(s.site, to, open_cache(s.cache_dir, s.cache_max_mb))
        rendered_under = self.catalog.site_value(RENDER_KEY)
        if changes is not None and rendered_under != shared.key:
            logger.info("the templates or the site's settings changed: rendering everything")
            changes = None  # the pages and feed items written so far are stale
        written = [
            *render_feeds(
                self.catalog, site=s.site, output_dir=out, now=self.now, changes=changes,
                storage=to, rendering=shared,
            ),
            *render_site(
                self.catalog, site=s.site, output_dir=out, now=self.now, changes=changes,
                storage=to, rendering=shared,
            ),
        ]  # fmt: skip
        if changes is None and rendered_under != shared.key:
            self.catalog.set_site_value(RENDER_KEY, shared.key)
        collect_garbage(self.catalog, to)
        if self.marked or self.moved:
            self.catalog.settle(self.moved, site={RUNNING: ""} if self.marked else None)
        self.moved = []
        self.changed = self.rebuild = self.marked = False
        self.changes = Changes()
        return written

    def _mark(self) -> None:
        """Say in the catalog that the site is changing, before the first temporary file:
        if this run dies before its refresh, the next one sweeps and renders everything."""
        if not self.marked:
            self.catalog.set_site_value(RUNNING, self.now.isoformat())
            self.marked = True


@contextmanager
def open_publisher(
    settings: Settings,
    now: dt.datetime,
    *,
    given: frozenset[str] = frozenset(),
    moving: bool = False,
    sweep: bool = False,
) -> Iterator[Publisher]:
    """The site, locked for this run, its catalog checked and its unfinished work finished.

    On leaving, the feeds and pages are refreshed when anything was published, even if
    a later step failed: they always show what the catalog committed. Temporary files
    of dead runs are swept (a walk of the whole folder) with *sweep*, or when the last
    run that changed the site stopped before its refresh.

    Raises:
        PublishError: the folder cannot be used, or its catalog is missing or damaged.
        ConfigError: base_url differs from the site's stored one (see `audiobrief move`).
    """
    out = settings.output_dir
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise PublishError(
            f"cannot create the output folder {out} ({exc.strerror}); "
            "pass a writable folder with -o."
        ) from exc
    storage = open_storage(settings)
    with publishing_catalog(settings) as catalog:
        guard_bucket(catalog, storage)
        settings = open_site(catalog, settings, given=given, moving=moving)
        publisher = Publisher(catalog, settings, now, storage)
        publisher.changed = finish_moves(catalog, storage, out)
        # A run that stopped midway may have left temporary files and pages it never
        # rendered; only then is the whole folder walked and every page rendered.
        if catalog.site_value(RUNNING):
            publisher.changed = publisher.rebuild = publisher.marked = sweep = True
        if sweep:
            remove_temporaries(catalog, out)
        collect_orphans(catalog, storage)
        try:
            yield publisher
        except BaseException:
            if publisher.changed:
                try:
                    # A move that failed after its commit is retried first: the feeds
                    # must not list a file still under its temporary name.
                    finish_moves(catalog, storage, out)
                    publisher.refresh()
                except AudiobriefError as exc:  # the first error is the one to report
                    logger.warning("could not refresh the feeds: %s", exc)
            raise
        if publisher.changed:
            publisher.refresh()


def _base_stem(record: EpisodeRecord) -> str:
    """The episode's stem without its version: its page's name."""
    return page_path(record).removesuffix(".html")


def _owned(record: EpisodeRecord) -> list[str]:
    return [record.mp3, *record.files.values()]


def _relative(path: Path, root: Path) -> str:
    return Path(os.path.relpath(path, root)).as_posix()
