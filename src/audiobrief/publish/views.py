"""Publish stage: what feeds and pages show of a catalog record (URLs, transcript, times)."""

from __future__ import annotations

import itertools
import posixpath
import re
from dataclasses import dataclass
from urllib.parse import quote, urlsplit

from markupsafe import Markup, escape

from audiobrief.model import Cue
from audiobrief.publish.records import EpisodeRecord

FEED_NAME = "feed.xml"
"""The daily briefings: the feed listeners subscribe to."""
ARTICLES_NAME = "articles.xml"
"""One item per article."""
INDEX_NAME = "index.html"
EMBED_SUFFIX = ".embed.html"

# XML 1.0 forbids most C0 controls, surrogates and U+FFFE/U+FFFF even as references;
# one stray control character in a scraped title would make the whole feed unparsable.
# Listed as what is forbidden: the same set as "not a Char", a tenth of the compile time.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
_LATIN = "A-Za-z\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u024f\u1e00-\u1eff"
_WORD = f"[{_LATIN}][{_LATIN}0-9]*(?:['’-][{_LATIN}0-9]+)*"  # l'ONU, Renault-Nissan, COP28
# A run of Latin-script words, with numbers inside it ("Ligue 1", "Renault Clio 5").
_LATIN_RUN = re.compile(rf"{_WORD}(?:[ \u00a0]+(?:{_WORD}|\d+(?:[.,]\d+)*))*")
_ENGLISH = frozenset(("the", "and", "of", "with", "for", "from", "this", "that", "is", "by"))
_FRENCH = frozenset(("le", "la", "les", "de", "du", "des", "et", "pour", "avec", "au", "un", "une"))


@dataclass(frozen=True)
class Paragraph:
    """One transcript paragraph: its time anchor and its cues."""

    anchor: str
    """The `#t=` seconds of its first cue, e.g. `83.5`."""
    start_ms: int
    has_id: bool
    """False when the section already carries this anchor as its id."""
    cues: tuple[Cue, ...]


@dataclass(frozen=True)
class SectionView:
    """One chapter of the transcript: a heading, its source link and paragraphs."""

    title: str
    url: str | None
    anchor: str
    start_ms: int
    paragraphs: tuple[Paragraph, ...]
    episode: bool = False
    """*url* is an episode page of this site (a briefing's story), not the source."""


@dataclass(frozen=True)
class EpisodeView:
    """A record with every URL resolved, absolute and relative to its own page."""

    record: EpisodeRecord
    page: str
    """The page's path relative to the output folder (`.../briefing-2026-11-28.html`)."""
    absolute: dict[str, str]
    """Absolute URLs by kind: mp3 (enclosure), page, vtt, srt, chapters, embed (articles)."""
    relative: dict[str, str]
    """The same files relative to the page (and `root`, the output folder)."""
    sections: tuple[SectionView, ...]


def site_url(base: str, relpath: str) -> str:
    """The absolute URL of a file of the output folder, its path percent-encoded."""
    return base + quote(relpath, safe="/")


def clean(text: str) -> str:
    """Text fit for XML and HTML: no forbidden characters, no outer or repeated spaces."""
    return " ".join(_NOT_XML.sub("", text).split())


def limit_bytes(text: str, max_bytes: int) -> str:
    """*text* cut at a word so its UTF-8 form fits in *max_bytes*, ending with an ellipsis."""
    if len(text.encode("utf-8")) <= max_bytes:
        return text
    cut = text.encode("utf-8")[: max_bytes - 4].decode("utf-8", "ignore")
    return cut.rsplit(" ", 1)[0].rstrip(" ،,.") + " …"


def web_url(url: str | None) -> str | None:
    """*url* if it is an http(s) address, else None: no javascript: links in notes."""
    if url and urlsplit(url.strip()).scheme in ("http", "https"):
        return url.strip()
    return None


def clock(ms: int) -> str:
    """A time for people: `1:23` or `1:02:03`."""
    minutes, seconds = divmod(max(ms, 0) // 1000, 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}:{minutes:02d}:{seconds:02d}" if hours else f"{minutes}:{seconds:02d}"


def stamp(ms: int) -> str:
    """`HH:MM:SS`, the form podcast apps turn into chapter links in show notes."""
    minutes, seconds = divmod(max(ms, 0) // 1000, 60)
    return f"{minutes // 60:02d}:{minutes % 60:02d}:{seconds:02d}"


def seconds(ms: int) -> str:
    """Milliseconds as the shortest decimal seconds (`83.5`), for `#t=` and data-start."""
    return f"{ms / 1000:.3f}".rstrip("0").rstrip(".")


def mark_latin(text: str) -> Markup:
    """Escape *text* and mark each Latin-script run `lang="fr"` (or "en") `dir="ltr"`.

    WCAG 3.1.2 Language of Parts: a screen reader then reads "Renault" in French
    instead of spelling it with Arabic rules; `dir` isolates the run in RTL text.
    """
    parts: list[str] = []
    position = 0
    for match in _LATIN_RUN.finditer(text):
        parts.append(escape(text[position : match.start()]))
        run = match.group()
        parts.append(Markup('<span lang="{}" dir="ltr">{}</span>').format(_latin_lang(run), run))
        position = match.end()
    parts.append(escape(text[position:]))
    return Markup("").join(parts)


def page_path(record: EpisodeRecord) -> str:
    """The episode page (and HTML transcript): next to the MP3, `<stem>.html`."""
    return record.files.get("html") or record.mp3.removesuffix(".mp3") + ".html"


def embed_path(record: EpisodeRecord) -> str | None:
    """An article's embeddable player page (an iframe target): `<stem>.embed.html`."""
    if record.kind != "article":
        return None
    return page_path(record).removesuffix(".html") + EMBED_SUFFIX


def episode_view(record: EpisodeRecord, *, base: str, folder: str | None = None) -> EpisodeView:
    """Resolve the record's files to URLs and group its cues into a transcript.

    Relative URLs are from *folder* of the output folder (default: the page's own).
    """
    page = page_path(record)
    folder = folder or posixpath.dirname(page) or "."
    files = {"mp3": record.mp3, "page": page, **record.files}
    files.pop("html", None)
    if embed := embed_path(record):
        files["embed"] = embed
    absolute = {kind: site_url(base, path) for kind, path in files.items()}
    relative = {kind: quote(posixpath.relpath(path, folder)) for kind, path in files.items()}
    relative["root"] = quote(posixpath.relpath(".", folder)) + "/"
    return EpisodeView(record, page, absolute, relative, _sections(record, base))


def _sections(record: EpisodeRecord, base: str) -> tuple[SectionView, ...]:
    chapters = record.timeline.chapters
    sections = record.script.sections
    views = []
    used: set[str] = set()
    for index, cues in itertools.groupby(record.timeline.cues, lambda cue: cue.section):
        group = tuple(cues)
        title = sections[index].title if index < len(sections) else ""
        if not title and index < len(chapters):
            title = chapters[index].title
        url = sections[index].url if index < len(sections) else None
        start_ms = chapters[index].start_ms if index < len(chapters) else group[0].start_ms
        anchor = seconds(start_ms)
        used.add(anchor)
        paragraphs = []
        for _, para in itertools.groupby(group, lambda cue: cue.paragraph):
            texts = tuple(para)
            written = " ".join(clean(cue.written) for cue in texts)
            if texts[0].paragraph == 0 and written == clean(title):
                continue  # the spoken heading is the section title shown above
            mark = seconds(texts[0].start_ms)
            paragraphs.append(Paragraph(mark, texts[0].start_ms, mark not in used, texts))
            used.add(mark)
        ours = bool(url and url.startswith(base))
        views.append(SectionView(clean(title), url, anchor, start_ms, tuple(paragraphs), ours))
    return tuple(views)


def _latin_lang(run: str) -> str:
    words = [w.lower() for w in re.findall(f"[{_LATIN}]+", run)]
    english = sum(w in _ENGLISH for w in words)
    return "en" if english > sum(w in _FRENCH for w in words) else "fr"
