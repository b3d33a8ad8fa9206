"""The table of contents: one call per stage, in order, for each command."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from zoneinfo import ZoneInfo

from audiobrief.articles.load import load_article
from audiobrief.briefing_audio import render_briefing
from audiobrief.config import Settings
from audiobrief.errors import AudiobriefError
from audiobrief.model import Article, ArticleMeta, Episode, Script
from audiobrief.publish.catalog import EpisodeRecord, open_catalog
from audiobrief.publish.episode import article_slug, episode_stem
from audiobrief.publish.feed import prune
from audiobrief.publish.files import write_atomic
from audiobrief.publish.images import check_cover
from audiobrief.publish.release import (
    CATALOG_NAME,
    day_articles,
    free_stem,
    new_info,
    open_output,
    publish_episode,
    refresh_outputs,
    short_hash,
    show_for,
)
from audiobrief.render import Encoded, Rendered, cached_encoded, render
from audiobrief.text.briefing import briefing_title, build_briefing, dated_title
from audiobrief.text.script import build_script
from audiobrief.voice import Voice, open_voice

logger = logging.getLogger(__name__)

SPEAK_WORKERS = 2
"""Articles of one `speak` rendered at once (two cores)."""


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
    show = show_for(settings, "article")
    voice = open_voice(settings)

    def one(article: Article) -> tuple[Article, str, Script, Rendered]:
        script = build_script(article, **voice.text_options)
        slug = article_slug(article.meta.source, article.meta.url, article.title)
        return (
            article,
            slug,
            script,
            render(script, voice, settings, label=slug, progress=run.progress),
        )

    # Two articles at a time: the diacritizer, eSpeak NG and numpy release the GIL, so
    # the second core works while the first runs Python. Engines, caches and the
    # diacritizer are thread-safe; map() keeps the order and raises the first failure.
    with ThreadPoolExecutor(max_workers=SPEAK_WORKERS) as pool:
        done = list(pool.map(one, articles))
    episodes: list[Episode] = []
    with open_output(settings) as catalog:
        for index, (article, slug, script, rendered) in enumerate(done):
            # A file has no address: its name and headline identify it, so two different
            # articles saved as article.txt on different days stay two episodes.
            key = article.meta.url or f"file:{slug}:{short_hash(article.title)}"
            previous = catalog.find("article", key)
            day = previous.day if previous else run.today
            stem = (
                previous.mp3.removesuffix(".mp3")
                if previous
                else free_stem(catalog, episode_stem("article", day, slug), key, episodes)
            )
            # One microsecond apart: articles spoken together keep their order in the brief.
            published = previous.published if previous else run.now + dt.timedelta(0, 0, index)
            info = new_info(
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
            episodes.append(
                publish_episode(
                    catalog,
                    settings,
                    info,
                    key=key,
                    stem=stem,
                    script=script,
                    mp3=rendered.mp3,
                    timeline=rendered.timeline,
                    show=show,
                )
            )
        refresh_outputs(catalog, run.settings, run.now)
    return episodes


def brief(run: Run, *, day: dt.date, sources: Sequence[str] = ()) -> Episode:
    """Build the day's briefing from the files given, or from that day's article episodes.

    Everything is read, synthesized and measured before the first write: a day with no
    articles, or an article the voice cannot speak, leaves the output folder as it was.
    """
    settings = run.settings
    articles = _in_order([load_article(s) for s in sources], settings)
    if not articles:
        articles = day_articles(settings, day)  # oldest first
        if settings.briefing_order == "time":
            articles.reverse()
    if not articles:
        raise AudiobriefError(
            f"no articles were spoken on {day.isoformat()}; run 'audiobrief speak "
            "ARTICLE' first, or name the article files after 'audiobrief brief'."
        )
    show = show_for(settings, "briefing")
    voice = open_voice(settings)
    bodies = [build_script(a, **voice.text_options) for a in articles]
    script = build_briefing(
        bodies,
        day=day,
        show_title=settings.show_title,
        month_style=settings.month_style,
        **voice.text_options,
    )
    # Each article's audio is joined as speak made it; only the new parts are rendered.
    rendered = render_briefing(
        script,
        voice,
        settings,
        reuse=_spoken_audio(settings, articles, bodies, voice),
        label=f"briefing {day.isoformat()}",
        progress=run.progress,
        music=settings.music,
    )
    key = day.isoformat()
    with open_output(settings) as catalog:
        previous = catalog.find("briefing", key)
        stem = (
            previous.mp3.removesuffix(".mp3")
            if previous
            else episode_stem("briefing", day, f"briefing-{key}")
        )
        info = new_info(
            catalog,
            "briefing",
            key,
            briefing_title(settings.show_title, day, settings.month_style),
            day,
            previous.published if previous else run.now,
            slug=f"briefing-{key}",
            description=" · ".join(s.title for s in script.sections[1:-1]),
        )
        episode = publish_episode(
            catalog,
            settings,
            info,
            key=key,
            stem=stem,
            script=script,
            mp3=rendered.mp3,
            timeline=rendered.timeline,
            show=show,
        )
        refresh_outputs(catalog, run.settings, run.now)
    return episode


def refresh(run: Run, *, prune_files: bool = False) -> list[Path]:
    """Re-render feed.xml, articles.xml and the pages from the catalog alone."""
    check_cover(run.settings.cover)
    with open_output(run.settings) as catalog:
        written = refresh_outputs(catalog, run.settings, run.now)
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


def _spoken_audio(
    settings: Settings, articles: Sequence[Article], bodies: Sequence[Script], voice: Voice
) -> list[Encoded | None]:
    """Per article, audio speak made that a briefing can join: from the episode cache (same
    voice and settings, proven by its key), else the published MP3 when the voice was
    given the same text; None where neither is there (render_briefing renders it)."""
    path = settings.output_dir / CATALOG_NAME
    records: dict[str, EpisodeRecord] = {}
    if path.is_file():
        with open_catalog(path) as catalog:
            records = {r.key: r for r in catalog.episodes("article")}
    found: list[Encoded | None] = []
    for article, body in zip(articles, bodies, strict=True):
        cached = cached_encoded(body, voice, settings)
        slug = article_slug(article.meta.source, article.meta.url, article.title)
        key = article.meta.url or f"file:{slug}:{short_hash(article.title)}"
        record = records.get(key) or records.get(article.meta.source)
        if cached is None and record is not None and _same_speech(record.script, body):
            cached = Encoded(settings.output_dir / record.mp3, record.timeline)
        found.append(cached)
    return found


def _same_speech(spoken: Script, body: Script) -> bool:
    """Whether *body* says what the episode *spoken* says, or its start (a lede)."""
    said = [(s.written, s.spoken) for sec in spoken.sections for s in sec.segments]
    wanted = [(s.written, s.spoken) for sec in body.sections for s in sec.segments]
    return bool(wanted) and said[: len(wanted)] == wanted


def _in_order(articles: list[Article], settings: Settings) -> list[Article]:
    """As given (or as spoken), or for "time" newest first by their stated date."""
    if settings.briefing_order != "time":
        return articles
    undated = dt.date.min  # an article without a date goes last; ties keep the given order
    return sorted(articles, key=lambda a: a.meta.date or undated, reverse=True)
