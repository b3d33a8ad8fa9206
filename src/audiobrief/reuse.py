"""Glue for `brief`: what it may take of the day's `speak` runs, story by story.

A story's words and audio are reused only where the same would be made now: the episode
cache proves it for its key (voice, audio settings, front end, text); a published MP3
proves it by the key in its tag. Everything else is read and rendered anew.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from pathlib import Path

from audiobrief.config import Settings
from audiobrief.model import Article, Script
from audiobrief.publish import EpisodeRecord, made_by
from audiobrief.text import build_script, shortened, spoken_opening
from audiobrief.voice import Encoded, Voice, cached_encoded, episode_key

logger = logging.getLogger(__name__)


def story_bodies(
    articles: Sequence[Article],
    records: Sequence[EpisodeRecord | None],
    voice: Voice,
    settings: Settings,
    *,
    read_anew: bool = False,
) -> tuple[list[Script], list[Encoded | None]]:
    """What each story says in the briefing, and the episode audio that says it, if any.

    A story this voice spoke with these settings and this front end (the episode cache
    holds its audio under that key) is cut from its episode's own script: its words and
    audio as they are, and no text stage. The others (and all with *read_anew*, for
    files given to brief) go through the text stage.
    """
    depth = settings.briefing_depth
    bodies: list[Script] = []
    made: list[Encoded | None] = []
    for article, record in zip(articles, records, strict=True):
        encoded = None
        if not read_anew and record is not None:
            encoded = cached_encoded(record.script, voice, settings, same_front_end=True)
        opening = None
        if encoded is not None and record is not None:
            opening = spoken_opening(record.script, article, depth, voice.pauses)
        bodies.append(opening or build_script(shortened(article, depth), **voice.text_options))
        made.append(encoded if opening else None)
    return bodies, made


def spoken_audio(
    settings: Settings,
    records: Sequence[EpisodeRecord | None],
    bodies: Sequence[Script],
    made: Sequence[Encoded | None],
    voice: Voice,
    local: Callable[[str], Path | None],
) -> list[Encoded | None]:
    """Per story, audio speak made that a briefing can join: *made* (the whole episode's,
    from the episode cache), else the episode cache's for *body*, else the published MP3
    (*local* gives a copy) when it says the same and its tag names the same voice and
    settings; None where none is (render_briefing renders it)."""
    found: list[Encoded | None] = []
    for record, body, encoded in zip(records, bodies, made, strict=True):
        if encoded is not None:
            found.append(encoded)
            continue
        cached = cached_encoded(body, voice, settings)
        if cached is None and record is not None and _same_speech(record.script, body):
            mp3 = local(record.mp3)
            # Its tag names what made it (older episodes have none): another voice, rate
            # or audio setting says the same text otherwise.
            maker = made_by(mp3) if mp3 else None
            if maker and maker != episode_key(record.script, voice, settings):
                logger.info("%s: spoken with other settings; rendering it again", body.title)
                mp3 = None
            cached = Encoded(mp3, record.timeline) if mp3 else None
        found.append(cached)
    return found


def _same_speech(spoken: Script, body: Script) -> bool:
    """Whether *body* says what the episode *spoken* says, or its start (a lede)."""
    said = [(s.written, s.spoken) for sec in spoken.sections for s in sec.segments]
    wanted = [(s.written, s.spoken) for sec in body.sections for s in sec.segments]
    return bool(wanted) and said[: len(wanted)] == wanted
