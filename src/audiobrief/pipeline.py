"""The table of contents: one call per stage, in order, for each command."""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from zoneinfo import ZoneInfo

from audiobrief.articles.load import load_article
from audiobrief.config import Settings
from audiobrief.errors import AudiobriefError, PublishError
from audiobrief.model import Article, ArticleMeta, Episode, EpisodeInfo, EpisodeKind, Script
from audiobrief.publish.catalog import Catalog, EpisodeRecord, open_catalog
from audiobrief.publish.episode import Show, article_slug, episode_stem, write_episode
from audiobrief.publish.feed import prune, render_feeds
from audiobrief.publish.files import write_atomic
from audiobrief.publish.images import check_cover
from audiobrief.publish.site import render_site
from audiobrief.render import Rendered, render
from audiobrief.text.briefing import briefing_title, build_briefing, dated_title
from audiobrief.text.script import build_script
from audiobrief.voice import open_voice

logger = logging.getLogger(__name__)

CATALOG_NAME = "catalog.sqlite"


@dataclass(frozen=True)
class Run:
    """What every command needs besides its inputs: settings, the clock, progress."""

    settings: Settings
    now: dt.datetime
    """Timezone-aware; its date in settings.timezone dates new episodes."""
    progress: Callable[[str, int], Callable[[int], None]] | None = None
    """Called with a label and a clip count before synthesis; returns a tick function."""

    @property
    def today(self) -> dt.date:
        return self.now.astimezone(ZoneInfo(self.settings.timezone)).date()


def speak(sources: Sequence[str], run: Run, *, stdin: bytes | None = None) -> list[Episode]:
    """Speak each source as an article episode, record it, refresh the feeds and page.

    Every source is read and every episode rendered before the first write, so a bad
    input or a voice failure leaves the output folder as it was.
    """
    settings = run.settings
    articles = [load_article(s, stdin=stdin) for s in sources]
    show = _show(settings, "article")
    voice = open_voice(settings)
    done = []
    for article in articles:
        script = build_script(article, **voice.text_options)
        slug = article_slug(article.meta.source, article.meta.url, article.title)
        done.append(
            (
                article,
                slug,
                script,
                render(script, voice, settings, label=slug, progress=run.progress),
            )
        )
    episodes: list[Episode] = []
    with _catalog(settings) as catalog:
        for index, (article, slug, script, rendered) in enumerate(done):
            # A file has no address: its name and headline identify it, so two different
            # articles saved as article.txt on different days stay two episodes.
            key = article.meta.url or f"file:{slug}:{_digest(article.title)}"
            previous = catalog.find("article", key)
            day = previous.day if previous else run.today
            stem = (
                previous.mp3.removesuffix(".mp3")
                if previous
                else _free_stem(catalog, episode_stem("article", day, slug), key, episodes)
            )
            # One microsecond apart: articles spoken together keep their order in the brief.
            published = previous.published if previous else run.now + dt.timedelta(0, 0, index)
            info = _info(
                catalog,
                "article",
                key,
                dated_title(article.title, day, settings.month_style),
                day,
                published,
                slug=slug,
                url=article.meta.url,
                author=article.meta.author,
                outlet=article.meta.outlet,
                description=article.paragraphs[0],
            )
            episodes.append(_publish(catalog, settings, info, key, stem, script, rendered, show))
        _refresh(catalog, run)
    return episodes


def brief(run: Run, *, day: dt.date, sources: Sequence[str] = ()) -> Episode:
    """Build the day's briefing from the files given, or from that day's article episodes.

    Everything is read, synthesized and measured before the first write: a day with no
    articles, or an article the voice cannot speak, leaves the output folder as it was.
    """
    settings = run.settings
    articles = [load_article(s) for s in sources] or _day_articles(settings, day)
    if not articles:
        raise AudiobriefError(
            f"no articles were spoken on {day.isoformat()}; run 'audiobrief speak "
            "ARTICLE' first, or name the article files after 'audiobrief brief'."
        )
    show = _show(settings, "briefing")
    voice = open_voice(settings)
    bodies = [build_script(a, **voice.text_options) for a in _in_order(articles, settings)]
    script = build_briefing(
        bodies,
        day=day,
        show_title=settings.show_title,
        month_style=settings.month_style,
        **voice.text_options,
    )
    rendered = render(
        script,
        voice,
        settings,
        label=f"briefing {day.isoformat()}",
        progress=run.progress,
        music=settings.music,
    )
    key = day.isoformat()
    with _catalog(settings) as catalog:
        previous = catalog.find("briefing", key)
        stem = (
            previous.mp3.removesuffix(".mp3")
            if previous
            else episode_stem("briefing", day, f"briefing-{key}")
        )
        info = _info(
            catalog,
            "briefing",
            key,
            briefing_title(settings.show_title, day, settings.month_style),
            day,
            previous.published if previous else run.now,
            slug=f"briefing-{key}",
            description=" · ".join(s.title for s in script.sections[1:-1]),
        )
        episode = _publish(catalog, settings, info, key, stem, script, rendered, show)
        _refresh(catalog, run)
    return episode


def refresh(run: Run, *, prune_files: bool = False) -> list[Path]:
    """Re-render feed.xml, articles.xml and the pages from the catalog alone."""
    check_cover(run.settings.cover)
    with _catalog(run.settings) as catalog:
        written = _refresh(catalog, run)
        if prune_files:  # after the feeds stop listing them
            prune(catalog, settings=run.settings, output_dir=run.settings.output_dir)
    return written


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
    write_atomic(output, rendered.mp3)
    return output, rendered.timeline.duration_ms


def _in_order(articles: list[Article], settings: Settings) -> list[Article]:
    """As given (or as spoken), or for "time" newest first by their stated date."""
    if settings.briefing_order != "time":
        return articles
    undated = dt.date.min  # an article without a date goes last; ties keep the given order
    return sorted(articles, key=lambda a: a.meta.date or undated, reverse=True)


def _day_articles(settings: Settings, day: dt.date) -> list[Article]:
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
    if settings.briefing_order == "time":
        records.reverse()
    return [_written_article(r) for r in records]


def _written_article(record: EpisodeRecord) -> Article:
    (section,) = record.script.sections
    paragraphs: dict[int, list[str]] = {}
    for segment in section.segments:
        if segment.paragraph:
            paragraphs.setdefault(segment.paragraph, []).append(segment.written)
    meta = ArticleMeta(
        source=record.key,
        url=record.url,
        date=record.day,
        author=record.author,
        outlet=record.outlet,
    )
    return Article(section.title, tuple(" ".join(p) for p in paragraphs.values()), meta)


def _info(
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


def _free_stem(catalog: Catalog, stem: str, key: str, done: list[Episode]) -> str:
    """*stem*, or *stem* with a short hash when another episode already has that file."""
    taken = {r.mp3 for r in catalog.episodes("article")} | {e.mp3_path.as_posix() for e in done}
    if f"{stem}.mp3" in taken or any(p.endswith(f"/{stem}.mp3") for p in taken):
        return f"{stem}-{_digest(key)}"
    return stem


def _digest(text: str) -> str:
    return hashlib.sha1(text.encode("utf-8")).hexdigest()[:8]


def _publish(
    catalog: Catalog,
    settings: Settings,
    info: EpisodeInfo,
    key: str,
    stem: str,
    script: Script,
    rendered: Rendered,
    show: Show,
) -> Episode:
    """Publish stage: MP3 + tags + side files, then one catalog transaction."""
    path, size, files = write_episode(
        settings.output_dir,
        stem,
        mp3=rendered.mp3,
        info=info,
        timeline=rendered.timeline,
        script=script,
        show=show,
    )
    catalog.upsert(
        EpisodeRecord.of(
            info,
            key=key,
            mp3=f"{stem}.mp3",
            size_bytes=size,
            timeline=rendered.timeline,
            script=script,
            files=files,
        )
    )
    return Episode(
        info=info,
        mp3_path=path,
        size_bytes=size,
        timeline=rendered.timeline,
        script=script,
        files=tuple(settings.output_dir / f for f in files.values()),
    )


def _show(settings: Settings, kind: EpisodeKind) -> Show:
    """What the tags say about the show; the cover is checked before any work starts."""
    cover, mime = check_cover(settings.cover)
    feed = "feed.xml" if kind == "briefing" else "articles.xml"
    return Show(
        settings.show_title,
        settings.author,
        cover,
        mime,
        settings.base_url.rstrip("/") + "/" + feed,
    )


def _refresh(catalog: Catalog, run: Run) -> list[Path]:
    settings = run.settings
    return [
        *render_feeds(catalog, settings=settings, output_dir=settings.output_dir, now=run.now),
        *render_site(catalog, settings=settings, output_dir=settings.output_dir, now=run.now),
    ]


@contextmanager
def _catalog(settings: Settings) -> Iterator[Catalog]:
    try:
        settings.output_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise PublishError(
            f"cannot create the output folder {settings.output_dir} ({exc.strerror}); "
            "pass a writable folder with -o."
        ) from exc
    with open_catalog(settings.output_dir / CATALOG_NAME) as catalog:
        yield catalog
