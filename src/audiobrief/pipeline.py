"""The table of contents: one call per stage, in order, for each command."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from zoneinfo import ZoneInfo

from audiobrief.articles.load import load_article
from audiobrief.audio.encode import encode_mp3
from audiobrief.audio.loudness import normalize as normalize_loudness
from audiobrief.audio.music import add_music_bed
from audiobrief.audio.stitch import stitch
from audiobrief.config import Settings
from audiobrief.engines.batch import synthesize_all
from audiobrief.errors import AudiobriefError, PublishError
from audiobrief.model import (
    Article,
    ArticleMeta,
    Episode,
    EpisodeInfo,
    EpisodeKind,
    Script,
    Timeline,
    Track,
)
from audiobrief.publish.catalog import Catalog, EpisodeRecord, open_catalog
from audiobrief.publish.episode import Show, article_slug, episode_stem, write_episode
from audiobrief.publish.feed import prune, render_feeds
from audiobrief.publish.files import write_atomic
from audiobrief.publish.images import check_cover
from audiobrief.publish.site import render_site
from audiobrief.text.briefing import briefing_title, build_briefing, dated_title
from audiobrief.text.script import build_script
from audiobrief.voice import Voice, open_voice

logger = logging.getLogger(__name__)

CATALOG_NAME = "catalog.sqlite"
Tick = Callable[[int], None]


@dataclass(frozen=True)
class Run:
    """What every command needs besides its inputs: settings, the clock, progress."""

    settings: Settings
    now: dt.datetime
    """Timezone-aware; its date in settings.timezone dates new episodes."""
    progress: Callable[[str, int], Tick] | None = None
    """Called with a label and a clip count before synthesis; returns a tick function."""

    @property
    def today(self) -> dt.date:
        return self.now.astimezone(ZoneInfo(self.settings.timezone)).date()


def speak(sources: Sequence[str], run: Run, *, stdin: bytes | None = None) -> list[Episode]:
    """Speak each source as an article episode, record it, refresh the feeds and page."""
    articles = [load_article(s, stdin=stdin) for s in sources]  # every input checked first
    voice = open_voice(run.settings)
    episodes = []
    with _catalog(run.settings) as catalog:
        for article in articles:
            script = build_script(article, **voice.text_options)
            slug = article_slug(article.meta.source, article.meta.url, article.title)
            track, timeline = _render(script, voice, run, label=slug)
            key = article.meta.url or f"file:{slug}"
            previous = catalog.find("article", key)
            day = previous.day if previous else run.today
            info = _info(
                catalog,
                "article",
                key,
                dated_title(article.title, day, run.settings.month_style),
                day,
                previous.published if previous else run.now,
                slug=slug,
                url=article.meta.url,
                author=article.meta.author,
                outlet=article.meta.outlet,
                description=article.paragraphs[0],
            )
            episodes.append(_publish(catalog, run, info, script, track, timeline, previous))
        _refresh(catalog, run)
    return episodes


def brief(run: Run, *, day: dt.date, sources: Sequence[str] = ()) -> Episode:
    """Build the day's briefing from the files given, or from that day's article episodes."""
    settings = run.settings
    articles = [load_article(s) for s in sources]
    voice = open_voice(settings)
    with _catalog(settings) as catalog:
        if articles:
            bodies = [build_script(a, **voice.text_options) for a in articles]
        else:
            bodies = [r.script for r in _day_articles(catalog, day, settings.briefing_order)]
        if not bodies:
            raise AudiobriefError(
                f"no articles were spoken on {day.isoformat()}; run 'audiobrief speak "
                "ARTICLE' first, or name the article files after 'audiobrief brief'."
            )
        script = build_briefing(
            bodies,
            day=day,
            show_title=settings.show_title,
            month_style=settings.month_style,
            **voice.text_options,
        )
        track, timeline = _render(
            script, voice, run, label=f"briefing {day.isoformat()}", music=settings.music
        )
        key = day.isoformat()
        previous = catalog.find("briefing", key)
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
        episode = _publish(catalog, run, info, script, track, timeline, previous)
        _refresh(catalog, run)
    return episode


def refresh(run: Run, *, prune_files: bool = False) -> list[Path]:
    """Re-render feed.xml, articles.xml and the pages from the catalog alone."""
    with _catalog(run.settings) as catalog:
        if prune_files:
            prune(catalog, settings=run.settings, output_dir=run.settings.output_dir)
        return _refresh(catalog, run)


def say_forms(text: str, run: Run) -> tuple[str, str]:
    """What the front end makes of *text*: the spoken form, and what the voice receives."""
    voice = open_voice(run.settings)
    spoken = voice.normalize(text)
    return spoken, voice.diacritize(spoken) if voice.diacritize else spoken


def say(text: str, run: Run, output: Path) -> tuple[Path, int]:
    """Speak *text* to the MP3 file *output* (not published): for checking pronunciation."""
    voice = open_voice(run.settings)
    article = Article(title="", paragraphs=(text,), meta=ArticleMeta(source="say"))
    script = build_script(article, **voice.text_options)
    if not script.sections[0].segments:
        raise AudiobriefError("there is nothing to say in that text; give some Arabic words.")
    track, timeline = _render(script, voice, run, label="say")
    write_atomic(output, encode_mp3(track, bitrate_kbps=run.settings.bitrate_kbps))
    return output, timeline.duration_ms


def _render(
    script: Script, voice: Voice, run: Run, *, label: str, music: Path | None = None
) -> tuple[Track, Timeline]:
    """Engines and audio stages: clips -> one track and its Timeline -> music -> loudness."""
    texts = [seg.spoken for section in script.sections for seg in section.segments]
    tick = run.progress(label, len(texts)) if run.progress else None
    clips = synthesize_all(voice.engine, texts, fallback=voice.fallback, on_clip=tick)
    settings = run.settings
    track, timeline = stitch(
        script, clips, sample_rate_hz=settings.sample_rate_hz, channels=settings.channels
    )
    if music is not None:
        track = add_music_bed(track, timeline, music, gain_db=settings.music_gain_db)
    if settings.normalize_loudness:
        track = normalize_loudness(track)
    return track, timeline


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


def _publish(
    catalog: Catalog,
    run: Run,
    info: EpisodeInfo,
    script: Script,
    track: Track,
    timeline: Timeline,
    previous: EpisodeRecord | None,
) -> Episode:
    """Publish stage: MP3 + tags + side files, then one catalog transaction."""
    settings = run.settings
    mp3 = encode_mp3(track, bitrate_kbps=settings.bitrate_kbps)
    stem = (
        previous.mp3.removesuffix(".mp3")
        if previous
        else episode_stem(info.kind, info.date, info.slug)
    )
    cover, mime = check_cover(settings.cover)
    show = Show(settings.show_title, settings.author, cover, mime, _feed_url(settings, info.kind))
    path, size, files = write_episode(
        settings.output_dir, stem, mp3=mp3, info=info, timeline=timeline, script=script, show=show
    )
    catalog.upsert(
        EpisodeRecord.of(
            info, mp3=f"{stem}.mp3", size_bytes=size, timeline=timeline, script=script, files=files
        )
    )
    return Episode(
        info=info,
        mp3_path=path,
        size_bytes=size,
        timeline=timeline,
        script=script,
        files=tuple(settings.output_dir / f for f in files.values()),
    )


def _refresh(catalog: Catalog, run: Run) -> list[Path]:
    settings = run.settings
    return [
        *render_feeds(catalog, settings=settings, output_dir=settings.output_dir, now=run.now),
        *render_site(catalog, settings=settings, output_dir=settings.output_dir, now=run.now),
    ]


def _day_articles(catalog: Catalog, day: dt.date, order: str) -> list[EpisodeRecord]:
    """The day's article episodes: "given" in the order spoken, "time" newest first."""
    records = sorted(catalog.episodes("article", day=day), key=lambda r: r.published)
    return records[::-1] if order == "time" else records


def _feed_url(settings: Settings, kind: EpisodeKind) -> str:
    return settings.base_url.rstrip("/") + ("/feed.xml" if kind == "briefing" else "/articles.xml")


@contextmanager
def _catalog(settings: Settings) -> Iterator[Catalog]:
    try:
        settings.output_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise PublishError(
            f"cannot create the output folder {settings.output_dir} ({exc.strerror}); "
            "pass a writable folder with -o."
        ) from exc
    catalog = open_catalog(settings.output_dir / CATALOG_NAME)
    try:
        yield catalog
    finally:
        catalog.close()
