"""Plain, frozen data that the pipeline stages hand forward to each other."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

EpisodeKind = Literal["article", "briefing"]
EpisodeStatus = Literal["new", "updated", "unchanged"]


@dataclass(frozen=True)
class ArticleMeta:
    """Where an article came from and what its page says about it."""

    source: str
    """What the user named: a file path, a URL, or "-" for standard input."""
    url: str | None = None
    """The article's public address, when known."""
    date: dt.date | None = None
    """Publication date, when the source states one."""
    author: str | None = None
    outlet: str | None = None
    """The newsroom or site that published it (front matter `source`)."""


@dataclass(frozen=True)
class Article:
    """A cleaned article: a headline and body paragraphs, no page noise."""

    title: str
    paragraphs: tuple[str, ...]
    meta: ArticleMeta


@dataclass(frozen=True)
class Pauses:
    """Silence after a segment, by what it ends; the same everywhere in an episode."""

    clause_ms: int = 250
    sentence_ms: int = 500
    paragraph_ms: int = 900
    section_ms: int = 1500


@dataclass(frozen=True)
class Segment:
    """One piece of speech: a clause short enough for the voice, and its written form."""

    written: str
    """The text as the article prints it; captions and transcripts show this."""
    spoken: str
    """What the voice receives: normalized, and diacritized when the voice wants it."""
    paragraph: int
    """0 for the heading of its section, 1 and up for body paragraphs."""
    sentence: int
    """Index of the written sentence in its section; clauses of one sentence share it."""
    pause_after_ms: int
    """Silence after this segment (clause, sentence, paragraph or section pause)."""
    lang: str = "ar"
    """BCP 47 language of the spoken text; a Latin-script voice may take "fr" or "en"."""


@dataclass(frozen=True)
class Section:
    """A chapter of an episode: one article, or the intro or outro of a briefing."""

    title: str
    segments: tuple[Segment, ...]
    url: str | None = None


@dataclass(frozen=True)
class Script:
    """Everything an episode says, in order, grouped into sections (chapters)."""

    title: str
    sections: tuple[Section, ...]
    language: str = "ar"


@dataclass(frozen=True)
class Cue:
    """When one segment is heard; the end excludes the pause after it."""

    start_ms: int
    end_ms: int
    section: int
    paragraph: int
    sentence: int
    written: str
    lang: str = "ar"


@dataclass(frozen=True)
class Chapter:
    """When one section is heard: from its first sample to the next chapter's start."""

    start_ms: int
    end_ms: int
    title: str
    url: str | None = None


@dataclass(frozen=True)
class Timeline:
    """The one record of timing; chapters, captions, transcripts and ID3 are views of it."""

    cues: tuple[Cue, ...]
    chapters: tuple[Chapter, ...]
    duration_ms: int
    sample_rate_hz: int


@dataclass(frozen=True)
class Track:
    """Stitched audio as raw PCM: signed 16-bit little-endian, channels interleaved."""

    pcm: bytes
    sample_rate_hz: int
    channels: int

    @property
    def duration_ms(self) -> int:
        frames = len(self.pcm) // (2 * self.channels)
        return frames * 1000 // self.sample_rate_hz


@dataclass(frozen=True)
class EpisodeInfo:
    """What publishing needs to know about one episode besides its audio and timing."""

    kind: EpisodeKind
    guid: str
    """Item guid: assigned once by the catalog, never changed; also written to ID3 TGID."""
    title: str
    """Title with the date in it (podcast apps flag identical titles as duplicates)."""
    date: dt.date
    published: dt.datetime
    """Timezone-aware time of publication (feed pubDate)."""
    slug: str
    description: str
    url: str | None = None
    """The source article's address (article episodes)."""
    author: str | None = None
    outlet: str | None = None
    made_by: str | None = None
    """The audio's episode key (voice, settings, front end, text: see voice.render),
    written to the MP3's tag: a briefing reuses the published MP3 only where the same
    key would be made now."""


@dataclass(frozen=True)
class Episode:
    """A finished episode on disk: audio, timing and every file derived from them."""

    info: EpisodeInfo
    mp3_path: Path
    size_bytes: int
    timeline: Timeline
    script: Script
    files: tuple[Path, ...] = ()
    """Side files written next to the MP3 (captions, chapters, transcript page)."""
    status: EpisodeStatus = "new"
    """What this run did: published it first, changed its files, or found them the same."""
    base_url: str = ""
    """The site's public address it was published under (the output folder's URL)."""

    @property
    def duration_ms(self) -> int:
        return self.timeline.duration_ms
