"""The table of contents: one call per stage, in order, for each command."""

from __future__ import annotations

import datetime as dt
import logging
import tempfile
from collections.abc import Callable, Sequence
from contextlib import closing
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

from audiobrief import reuse
from audiobrief.articles import check_length, load_article
from audiobrief.config import Settings
from audiobrief.errors import AudiobriefError
from audiobrief.model import Article, ArticleMeta, Episode, Script
from audiobrief.publish import (
    EpisodeRecord,
    check_cover,
    day_articles,
    episode_pages,
    find_refs,
    open_publisher,
    published_files,
    published_records,
    read_seen,
    write_atomic,
)
from audiobrief.text import (
    briefing_title,
    build_briefing,
    build_script,
    dated_title,
)
from audiobrief.voice import (
    Rendered,
    open_voice,
    render,
    render_briefing,
    render_greeting,
    render_sources,
)

if TYPE_CHECKING:
    from audiobrief.articles import Entry

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Run:
    """What every command needs besides its inputs: settings, the clock, progress."""

    settings: Settings
    now: dt.datetime
    """Timezone-aware; its date in settings.timezone dates new episodes."""
    progress: Callable[[str, int], Callable[[int], None]] | None = None
    """Called with a label and a clip count before synthesis; returns a tick function."""
    given: frozenset[str] = frozenset()
    """Settings set on this run (flag, environment or file), not left at their default."""

    @property
    def today(self) -> dt.date:
        return self.now.astimezone(self.settings.site.zone).date()


@dataclass(frozen=True)
class Outcome:
    """What became of one source of a batch: its episode, or the error that stopped it."""

    source: str
    index: int
    """Its place among the sources given."""
    episode: Episode | None = None
    error: AudiobriefError | None = None
    status: str = ""
    """`new`, `updated`, `unchanged` or `failed`; for ingest also `not modified`,
    `unpublished` (skipped for good) and, with --dry-run, `would check`/`would speak`."""

    @property
    def state(self) -> str:
        """The status, from the episode when the outcome does not say."""
        if self.status:
            return self.status
        return self.episode.status if self.episode is not None else "failed"


def speak(
    sources: Sequence[str], run: Run, *, stdin: bytes | None = None, republish: bool = False
) -> list[Episode]:
    """Speak and publish every source, or none: the first failure stops the batch."""
    outcomes = speak_each(sources, run, stdin=stdin, fail_fast=True, republish=republish)
    return [o.episode for o in outcomes if o.episode is not None]


def speak_each(
    sources: Sequence[str],
    run: Run,
    *,
    stdin: bytes | None = None,
    fail_fast: bool = False,
    republish: bool = False,
) -> list[Outcome]:
    """Speak each source as an article episode and publish each on its own.

    A source that fails is reported and the others still publish; with *fail_fast* the
    first failure stops the batch before anything is published.
    """
    check_cover(run.settings.cover)
    voice = open_voice(run.settings)
    outcomes: list[Outcome] = []
    made: list[tuple[int, Article, Script, Rendered]] = []
    # The MP3s rendered in worker processes wait here until they are published.
    with (
        tempfile.TemporaryDirectory(prefix="audiobrief-speak-") as folder,
        closing(
            render_sources(
                sources, voice, run.settings, folder=Path(folder), stdin=stdin,
                progress=run.progress,
            )
        ) as results,
    ):  # fmt: skip
        for index, result in results:
            if isinstance(result, AudiobriefError):
                if fail_fast:
                    raise result
                outcomes.append(Outcome(sources[index], index, error=result))
            else:
                made.append((index, *result))
        published = _publish_made(sources, made, outcomes, run, fail_fast, republish)
    if made:  # the evening's brief then finds the day's greeting made (voice.briefing)
        render_greeting(run.today, voice, run.settings)
    return published


def _publish_made(
    sources: Sequence[str],
    made: list[tuple[int, Article, Script, Rendered]],
    outcomes: list[Outcome],
    run: Run,
    fail_fast: bool,
    republish: bool,
) -> list[Outcome]:
    if not made:  # nothing to publish: the output folder stays as it was
        return outcomes
    with open_publisher(run.settings, run.now, given=run.given) as publisher:
        for index, article, script, rendered in made:
            try:
                episode = publisher.article(
                    article, script, rendered.mp3_path, rendered.timeline,
                    title=partial(dated_title, article.title, month_style=run.settings.month_style),
                    today=run.today, order=index, republish=republish, made_by=rendered.key,
                )  # fmt: skip
                outcomes.append(Outcome(sources[index], index, episode=episode))
            except AudiobriefError as exc:
                if fail_fast:
                    raise
                outcomes.append(Outcome(sources[index], index, error=exc))
    return sorted(outcomes, key=lambda o: o.index)


def ingest(
    sources: Sequence[str],
    run: Run,
    *,
    since: dt.date | None = None,
    limit: int | None = None,
    dry_run: bool = False,
) -> list[Outcome]:
    """Speak each new or changed article a site's feeds or sitemaps list, and publish it.

    Pages are fetched conditionally; an article whose text is the same as last time is
    not spoken again, one that changed is spoken again under its guid, an unpublished one
    is skipped. A feed or page that fails is reported and the others go on.
    """
    from audiobrief import ingest as steps

    outcomes: list[Outcome] = []
    entries = steps.entries(sources, run, since=since, limit=limit, outcomes=outcomes)
    return ingest_entries(entries, run, dry_run=dry_run, outcomes=outcomes)


def ingest_entries(
    entries: list[Entry], run: Run, *, dry_run: bool = False, outcomes: list[Outcome]
) -> list[Outcome]:
    """`ingest` for entries already read from the feeds (a queue job carries one)."""
    from audiobrief import ingest as steps
    from audiobrief.articles import fetch_articles

    seen, gone = read_seen(run.settings, [e.url for e in entries])
    entries = steps.drop_unpublished(entries, gone, outcomes)
    if dry_run:
        return steps.planned(entries, seen, outcomes)
    logger.info("checking %d article pages", len(entries))
    pages = fetch_articles(entries, {u: (s.etag, s.last_modified) for u, s in seen.items()})
    fresh, marks = steps.changed(pages, seen, run, outcomes)
    made = steps.render_each(fresh, run, marks, outcomes)
    if made or marks:
        with open_publisher(run.settings, run.now, given=run.given) as publisher:
            steps.publish_each(made, publisher, run, marks, outcomes)
    return outcomes


def brief(
    run: Run, *, day: dt.date, sources: Sequence[str] = (), republish: bool = False
) -> Episode:
    """Build the day's briefing from the files given, or from that day's article episodes.

    Everything is read, synthesized and measured before the first write: a day with no
    articles, or an article the voice cannot speak, leaves the output folder as it was.
    """
    settings = run.settings
    check_cover(settings.cover)
    loaded = [check_length(load_article(s), settings.max_article_words) for s in sources]
    articles = _in_order(loaded, settings)
    if not articles:
        articles = day_articles(settings, day)  # oldest first
        if settings.briefing_order == "time":
            articles.reverse()
    if not articles:
        raise AudiobriefError(
            f"no articles were spoken for {day.isoformat()}; run 'audiobrief speak "
            "ARTICLE' first, or name the article files after 'audiobrief brief'."
        )
    if settings.briefing_max_stories:
        articles = articles[: settings.briefing_max_stories]
    # Each story's chapter links its full episode, found in the catalog (read only); a
    # briefing joins that episode's audio instead of speaking the article again.
    spoken = published_records(settings, articles, days=(day, run.today))
    pages = episode_pages(settings, spoken, base=settings.base_url)
    voice = open_voice(settings)
    depth = settings.briefing_depth
    # Files given to brief may say something else by now than when they were spoken.
    bodies, made = reuse.story_bodies(articles, spoken, voice, settings, read_anew=bool(loaded))
    script = build_briefing(
        bodies, day=day, show_title=settings.show_title, month_style=settings.month_style,
        episodes=pages, depth=depth, **voice.text_options,
    )  # fmt: skip
    # Each article's audio is joined as speak made it; only the new parts are rendered.
    with published_files(settings) as local:
        rendered = render_briefing(
            script,
            voice,
            settings,
            reuse=reuse.spoken_audio(settings, spoken, bodies, made, voice, local),
            label=f"briefing {day.isoformat()}",
            progress=run.progress,
            music=settings.music,
        )
    title = briefing_title(settings.show_title, day, settings.month_style)
    with open_publisher(settings, run.now, given=run.given) as publisher:
        return publisher.briefing(
            day, script, rendered.mp3_path, rendered.timeline, title=title, republish=republish
        )


def refresh(run: Run, *, rebuild: bool = False) -> list[Path]:
    """Re-render the feeds and the index from the catalog (every page with *rebuild*)."""
    check_cover(run.settings.cover)
    with open_publisher(run.settings, run.now, given=run.given, sweep=True) as publisher:
        return publisher.refresh(rebuild=rebuild)


def unpublish(refs: Sequence[str], run: Run, *, keep_files: bool = False) -> list[EpisodeRecord]:
    """Take the episodes *refs* name off both feeds and the pages, for good."""
    files = [r for r in refs if Path(r).is_file() and Path(r).suffix in (".txt", ".md", ".html")]
    sources = {ref: load_article(ref) for ref in files}
    with open_publisher(run.settings, run.now, given=run.given) as publisher:
        out, base = publisher.output_dir, publisher.settings.base_url
        guids = find_refs(publisher.catalog, list(refs), output_dir=out, base=base, sources=sources)
        return publisher.unpublish(guids, keep_files=keep_files)


def move(run: Run) -> list[Path]:
    """Publish the site at a new base_url: every URL is rewritten from the catalog."""
    with open_publisher(run.settings, run.now, moving=True, sweep=True) as publisher:
        return publisher.refresh(rebuild=True)


def say_forms(text: str, run: Run) -> tuple[str, str]:
    """What the front end makes of *text*: the spoken form, and what the voice receives."""
    voice = open_voice(run.settings)
    spoken = voice.normalize(text)
    if not spoken.strip():
        raise AudiobriefError("there is nothing to say in that text; give some Arabic words.")
    return spoken, voice.diacritize(spoken) if voice.diacritize else spoken


def say(text: str, run: Run, output: Path) -> tuple[Path, int]:
    """Speak *text* to the MP3 file *output* (not published): for checking pronunciation."""
    voice = open_voice(run.settings)
    article = Article(title="", paragraphs=(text,), meta=ArticleMeta(source="say"))
    script = build_script(article, **voice.text_options)
    if not script.sections[0].segments:
        raise AudiobriefError("there is nothing to say in that text; give some Arabic words.")
    rendered = render(script, voice, run.settings, label="say", progress=run.progress)
    write_atomic(output, rendered.mp3_path)
    return output, rendered.timeline.duration_ms


def _in_order(articles: list[Article], settings: Settings) -> list[Article]:
    """As given (or as spoken), or for "time" newest first by their stated date."""
    if settings.briefing_order != "time":
        return articles
    undated = dt.date.min  # an article without a date goes last; ties keep the given order
    return sorted(articles, key=lambda a: a.meta.date or undated, reverse=True)
