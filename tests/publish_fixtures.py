"""Builders for the publish tests: real files in tmp_path, catalog records, covers."""

from __future__ import annotations

import datetime as dt
import json
import struct
import zlib
from pathlib import Path

import lameenc

from audiobrief.config import Settings
from audiobrief.model import Chapter, Cue, Script, Section, Segment, Timeline
from audiobrief.publish.catalog import Catalog, EpisodeRecord, open_catalog
from audiobrief.publish.feed import render_feeds
from audiobrief.publish.site import render_site

NOW = dt.datetime(2026, 11, 28, 9, 30, tzinfo=dt.UTC)
BASE_URL = "https://news.example.org/audio/"
SENTENCE_MS = 2000
PAUSE_MS = 500

ARTICLE_TEXT = (
    "المغرب يطلق برنامجا جديدا للنقل",
    [
        "أعلنت وزارة النقل اليوم عن برنامج جديد. وقال الوزير إن شركة Renault Maroc ستشارك فيه.",
        "ويشمل البرنامج ثلاث مدن كبرى.",
    ],
)


def mp3_bytes(duration_ms: int = 300) -> bytes:
    """A real, silent mono MP3 (LAME) that browsers can load."""
    encoder = lameenc.Encoder()
    encoder.set_bit_rate(32)
    encoder.set_in_sample_rate(22050)
    encoder.set_channels(1)
    encoder.set_quality(7)
    pcm = b"\x00\x00" * (22050 * duration_ms // 1000)
    return bytes(encoder.encode(pcm) + encoder.flush())


def png_cover(path: Path, size_px: int = 1400, colour_type: int = 2, height_px: int = 0) -> Path:
    """A valid PNG of one flat colour; colour_type 2 is RGB, 6 RGBA, 0 grey."""
    height_px = height_px or size_px
    channels = {0: 1, 2: 3, 6: 4}[colour_type]
    row = b"\x00" + b"\x30" * (size_px * channels)
    raw = zlib.compress(row * height_px, 9)

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", size_px, height_px, 8, colour_type, 0, 0, 0)
    data = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", raw)
    path.write_bytes(data + chunk(b"IEND", b""))
    return path


def jpeg_header(path: Path, width_px: int, height_px: int, components: int = 3) -> Path:
    """A JPEG whose headers (APP0, then a baseline frame) say the given size."""
    app0 = b"\xff\xe0" + struct.pack(">H", 16) + b"JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00"
    frame = struct.pack(">BHHB", 8, height_px, width_px, components) + b"\x01\x11\x00" * components
    sof = b"\xff\xc0" + struct.pack(">H", 2 + len(frame)) + frame
    path.write_bytes(b"\xff\xd8" + app0 + sof + b"\xff\xd9")
    return path


def script_and_timeline(
    sections: list[tuple[str, list[str]]], *, url: str | None = None
) -> tuple[Script, Timeline]:
    """A Script and a Timeline where each sentence lasts SENTENCE_MS, then PAUSE_MS."""
    built, cues, chapters = [], [], []
    now_ms = 0
    for index, (title, paragraphs) in enumerate(sections):
        segments = [Segment(title, title, 0, 0, PAUSE_MS)]
        for number, text in enumerate(paragraphs, 1):
            segments.append(Segment(text, text, number, number, PAUSE_MS))
        start_ms = now_ms
        for segment in segments:
            cues.append(
                Cue(now_ms, now_ms + SENTENCE_MS, index, segment.paragraph, segment.sentence,
                    segment.written, segment.lang)
            )  # fmt: skip
            now_ms += SENTENCE_MS + PAUSE_MS
        chapters.append(Chapter(start_ms, now_ms, title, url))
        built.append(Section(title, tuple(segments), url))
    script = Script(sections[0][0], tuple(built))
    return script, Timeline(tuple(cues), tuple(chapters), now_ms, 22050)


def publish_episode(
    catalog: Catalog,
    output_dir: Path,
    *,
    kind: str = "article",
    day: dt.date | None = None,
    title: str = ARTICLE_TEXT[0],
    sections: list[tuple[str, list[str]]] | None = None,
    slug: str = "transport",
    published: dt.datetime = NOW,
    url: str | None = "https://www.hespress.com/transport-123.html",
    audio: bytes | None = None,
) -> EpisodeRecord:
    """Write an episode's MP3 and side files under *output_dir* and upsert its record."""
    sections = sections or [ARTICLE_TEXT]
    day = day or NOW.date()
    folder = f"{day:%Y/%m/%d}" + ("/articles" if kind == "article" else "")
    stem = f"{folder}/{slug}"
    key = (url or f"file:{slug}") if kind == "article" else day.isoformat()
    script, timeline = script_and_timeline(sections, url=url)
    audio = mp3_bytes() if audio is None else audio
    (output_dir / folder).mkdir(parents=True, exist_ok=True)
    (output_dir / f"{stem}.mp3").write_bytes(audio)
    (output_dir / f"{stem}.vtt").write_text("WEBVTT\n", encoding="utf-8")
    (output_dir / f"{stem}.srt").write_text("", encoding="utf-8")
    chapters = {"version": "1.2.0", "chapters": [{"startTime": 0, "title": title}]}
    (output_dir / f"{stem}.chapters.json").write_text(json.dumps(chapters), encoding="utf-8")
    record = EpisodeRecord(
        guid=catalog.episode_guid(kind, key),  # type: ignore[arg-type]
        kind=kind,  # type: ignore[arg-type]
        key=key,
        day=day,
        published=published,
        title=title,
        description=f"ملخص: {title}",
        mp3=f"{stem}.mp3",
        size_bytes=len(audio),
        duration_ms=timeline.duration_ms,
        timeline=timeline,
        script=script,
        files={
            "vtt": f"{stem}.vtt",
            "srt": f"{stem}.srt",
            "chapters": f"{stem}.chapters.json",
            "html": f"{stem}.html",
        },
        url=url if kind == "article" else None,
        outlet="هسبريس" if kind == "article" else None,
    )
    catalog.upsert(record)
    return record


BRIEFING = [
    ("مقدمة", ["مرحبا بكم في موجز الأخبار ليوم السبت."]),
    (
        "المغرب يطلق برنامجا جديدا للنقل",
        ["قالت الوزارة إن شركة Renault Maroc ستشارك في البرنامج.", "ويشمل ثلاث مدن كبرى."],
    ),
    ('عاجل & <تحديث> ]]> "اقتباس"', ["نص الخبر الثاني مع the World Bank."]),
    ("خاتمة", ["شكرا لاستماعكم، وإلى اللقاء."]),
]
"""A briefing's sections: markup characters in a title, Latin words in the text."""
PAGES = {
    "briefing": "2026/11/28/briefing-2026-11-28.html",
    "article": "2026/11/28/articles/transport.html",
    "index": "index.html",
}
"""The pages build_site writes, by kind."""


def build_site(output: Path) -> Path:
    """An article and a briefing published into *output*, with feeds and pages rendered."""
    settings = Settings(base_url=BASE_URL)
    with open_catalog(output / "catalog.sqlite") as catalog:
        publish_episode(catalog, output, audio=mp3_bytes(8000))
        publish_episode(
            catalog, output, kind="briefing", slug="briefing-2026-11-28", url=None,
            title="موجز الأخبار: السبت 28 نونبر 2026", sections=BRIEFING,
            published=NOW + dt.timedelta(hours=1), audio=mp3_bytes(25_000),
        )  # fmt: skip
        render_feeds(catalog, site=settings.site, output_dir=output, now=NOW)
        render_site(catalog, site=settings.site, output_dir=output, now=NOW)
    return output
