"""The steps of `pipeline.ingest`: which entries, which changed, speak and publish them.

Imported by `pipeline.ingest` when it runs (never at import time), so importing the
pipeline here is no cycle.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Sequence
from dataclasses import replace
from functools import partial

from audiobrief.articles import Entry, Fetched, check_length, content_hash, read_entries
from audiobrief.errors import AudiobriefError
from audiobrief.model import Article, Episode, Script
from audiobrief.pipeline import Outcome, Run
from audiobrief.publish import Publisher, Seen, article_key, canonical_url, check_cover
from audiobrief.text import build_script, dated_title
from audiobrief.voice import Rendered, open_voice, render

logger = logging.getLogger(__name__)

Made = tuple[Article, Script, Rendered, Seen]


def _outcome(
    outcomes: list[Outcome],
    source: str,
    *,
    status: str = "",
    error: AudiobriefError | None = None,
    episode: Episode | None = None,
) -> None:
    outcomes.append(Outcome(source, len(outcomes), episode=episode, error=error, status=status))


def entries(
    sources: Sequence[str],
    run: Run,
    *,
    since: dt.date | None,
    limit: int | None,
    outcomes: list[Outcome],
) -> list[Entry]:
    """The feeds' entries, each page once (by canonical URL), from *since* on, newest
    first, at most *limit* of them."""
    zone = run.settings.site.zone
    found: dict[str, Entry] = {}
    for source in sources:
        logger.info("reading %s", source)
        try:
            listed = read_entries(source)
        except AudiobriefError as exc:
            logger.info("skipped: %s", exc)  # the CLI reports it as an Error line
            _outcome(outcomes, source, error=exc, status="failed")
            continue
        for entry in listed:
            if since and entry.published and entry.published.astimezone(zone).date() < since:
                continue
            url = canonical_url(entry.url)
            found.setdefault(url, replace(entry, url=url))
    # Newest first, undated entries last in the order listed (sitemaps often list oldest
    # first, and several feeds interleave): --limit keeps the newest.
    oldest = dt.datetime.min.replace(tzinfo=dt.UTC)
    ordered = sorted(found.values(), key=lambda e: e.published or oldest, reverse=True)
    return ordered[:limit] if limit is not None else ordered


def drop_unpublished(listed: list[Entry], gone: set[str], outcomes: list[Outcome]) -> list[Entry]:
    """The entries whose episode was not unpublished: an unpublished one never returns."""
    for entry in listed:
        if entry.url in gone:
            logger.info("%s: unpublished, skipped", entry.url)
            _outcome(outcomes, entry.url, status="unpublished")
    return [e for e in listed if e.url not in gone]


def planned(listed: list[Entry], seen: dict[str, Seen], outcomes: list[Outcome]) -> list[Outcome]:
    """--dry-run: what a run would do, without downloading a page."""
    for entry in listed:
        _outcome(outcomes, entry.url, status="would check" if entry.url in seen else "would speak")
    return outcomes


def changed(
    pages: list[Fetched], seen: dict[str, Seen], run: Run, outcomes: list[Outcome]
) -> tuple[list[tuple[Article, Seen]], list[Seen]]:
    """The articles that are new or whose text changed, and what to remember of the rest."""
    checked = run.now.isoformat()
    fresh: list[tuple[Article, Seen]] = []
    marks: list[Seen] = []
    for page in pages:
        url, before = page.entry.url, seen.get(page.entry.url)
        if page.error is not None:
            _outcome(outcomes, url, error=page.error, status="failed")
            marks.append(_failed(Seen(url, None, None, None, "failed", checked)))
            continue
        if page.article is None:
            _outcome(outcomes, url, status="not modified")
            continue
        digest = content_hash(page.article)
        mark = Seen(url, page.etag, page.last_modified, digest, "new", checked)
        if before is None or before.content_hash != digest:
            fresh.append((page.article, mark))
            continue
        # The same text, maybe behind new validators (a new comment, a cache purge).
        _outcome(outcomes, url, status="not modified")
        if (before.etag, before.last_modified) != (page.etag, page.last_modified):
            marks.append(replace(mark, status="unchanged"))
    return fresh, marks


def render_each(
    fresh: list[tuple[Article, Seen]], run: Run, marks: list[Seen], outcomes: list[Outcome]
) -> list[Made]:
    """Each new or changed article spoken; one that fails is reported, the rest go on."""
    if not fresh:
        return []
    check_cover(run.settings.cover)
    voice = open_voice(run.settings)
    made: list[Made] = []
    for article, mark in fresh:
        try:
            checked = check_length(article, run.settings.max_article_words)
            script = build_script(checked, **voice.text_options)
            logger.info("speaking %s", mark.url)
            rendered = render(script, voice, run.settings, label=mark.url, progress=run.progress)
        except AudiobriefError as exc:
            logger.info("skipped: %s", exc)  # the CLI reports it as an Error line
            _outcome(outcomes, mark.url, error=exc, status="failed")
            marks.append(_failed(mark))
            continue
        made.append((article, script, rendered, mark))
    return made


def publish_each(
    made: list[Made], publisher: Publisher, run: Run, marks: list[Seen], outcomes: list[Outcome]
) -> None:
    """Publish each rendered article (keyed by its canonical URL), then remember every page."""
    for order, (article, script, rendered, mark) in enumerate(made):
        if publisher.catalog.tombstone("article", article_key(article, run.today)):
            logger.info("%s: unpublished, skipped", mark.url)  # its page names another URL
            _outcome(outcomes, mark.url, status="unpublished")
            marks.append(replace(mark, status="unpublished"))
            continue
        try:
            episode = publisher.article(
                article, script, rendered.mp3_path, rendered.timeline,
                title=partial(dated_title, article.title, month_style=run.settings.month_style),
                today=run.today, order=order, made_by=rendered.key,
            )  # fmt: skip
        except AudiobriefError as exc:
            logger.info("skipped: %s", exc)  # the CLI reports it as an Error line
            _outcome(outcomes, mark.url, error=exc, status="failed")
            marks.append(_failed(mark))
            continue
        if episode.status == "updated":
            logger.info("%s changed: episode %s spoken again", mark.url, episode.info.guid)
        _outcome(outcomes, mark.url, episode=episode)
        marks.append(replace(mark, status=episode.status))
    for mark in marks:
        publisher.catalog.mark_seen(mark)


def _failed(mark: Seen) -> Seen:
    """A failed page is tried again next run: no hash, no validators to match."""
    return replace(mark, etag=None, last_modified=None, content_hash=None, status="failed")
