"""Publish stage: ID3 tags, chapter frames (CHAP/CTOC) and cover art inside an episode's MP3."""

from __future__ import annotations

import io
import logging
from pathlib import Path
from typing import Any

from mutagen import MutagenError, PaddingInfo
from mutagen.id3 import (
    APIC,
    CHAP,
    COMM,
    CTOC,
    ID3,
    PCST,
    TALB,
    TCON,
    TDAT,
    TDES,
    TDRC,
    TGID,
    TIT2,
    TLAN,
    TLEN,
    TPE1,
    TXXX,
    TYER,
    USLT,
    WFED,
    WOAS,
    WXXX,
    CTOCFlags,
    Encoding,
    Frame,
    ID3v1SaveOptions,
    PictureType,
)
from mutagen.mp3 import MP3

from audiobrief.errors import PublishError
from audiobrief.model import Chapter, EpisodeInfo, Timeline

MADE_BY = "audiobrief made by"
"""The TXXX frame that holds EpisodeInfo.made_by."""

logger = logging.getLogger(__name__)

LANGUAGE = "ara"
"""ISO 639-2 code for TLAN, COMM and USLT."""
GENRE = "Podcast"
TOC_ID = "toc"
_NO_OFFSET = 0xFFFFFFFF  # id3v2-chapters-1.0: byte offsets unused, players seek by time


def write_tags(
    mp3_path: Path,
    *,
    info: EpisodeInfo,
    timeline: Timeline,
    show_title: str,
    artist: str,
    cover: bytes,
    cover_mime: str,
    transcript: str,
    comment: str,
    feed_url: str | None = None,
    id3_version: int = 3,
) -> None:
    """Replace the ID3 tag of *mp3_path* with the episode's frames, chapters and cover.

    COMM carries *comment*, TDES the episode description, USLT the full *transcript*
    (Pocket Casts ignores feed transcripts). Any existing ID3v2 or ID3v1 tag is dropped,
    so writing twice gives the same file.

    Raises:
        PublishError: the file is missing, not an MP3, or cannot be written.
    """
    frames = _checked_frames(
        info=info,
        timeline=timeline,
        show_title=show_title,
        artist=artist,
        cover=cover,
        cover_mime=cover_mime,
        transcript=transcript,
        comment=comment,
        feed_url=feed_url,
        id3_version=id3_version,
    )
    try:
        audio = MP3(mp3_path)
        if audio.tags is None:
            audio.add_tags()
        tags = audio.tags
        if not isinstance(tags, ID3):  # MP3 files only ever carry ID3; keeps mypy exact
            raise PublishError(f"{mp3_path}: unexpected tag type {type(tags).__name__}.")
        tags.clear()
        for frame in frames:
            tags.add(frame)
        audio.save(v2_version=id3_version, v1=ID3v1SaveOptions.REMOVE)
    except (MutagenError, OSError) as exc:
        raise PublishError(
            f"Cannot write ID3 tags to {mp3_path} ({exc}); check that the file exists, "
            "is a complete MP3 from the audio stage and that its folder is writable."
        ) from exc
    logger.debug("Tagged %s: ID3v2.%d, %d chapters", mp3_path, id3_version, len(timeline.chapters))


def tag_bytes(
    *,
    info: EpisodeInfo,
    timeline: Timeline,
    show_title: str,
    artist: str,
    cover: bytes,
    cover_mime: str,
    transcript: str,
    comment: str,
    audio_bytes: int,
    feed_url: str | None = None,
    id3_version: int = 3,
) -> bytes:
    """The tag `write_tags` gives an untagged MP3 of *audio_bytes* bytes, byte for byte.

    Written before the audio, it makes the same file in one pass: no copy that mutagen
    then moves up by the tag's size and that must be flushed to disk twice.
    """
    frames = _checked_frames(
        info=info,
        timeline=timeline,
        show_title=show_title,
        artist=artist,
        cover=cover,
        cover_mime=cover_mime,
        transcript=transcript,
        comment=comment,
        feed_url=feed_url,
        id3_version=id3_version,
    )
    tags = ID3()
    for frame in frames:
        tags.add(frame)
    out = io.BytesIO()

    def padding(found: PaddingInfo) -> int:
        # mutagen pads by the size of the audio after the tag: the audio's, not the
        # empty buffer's, or the file would differ from the one write_tags makes.
        return PaddingInfo(found.padding, audio_bytes).get_default_padding()

    try:
        tags.save(out, v2_version=id3_version, v1=ID3v1SaveOptions.REMOVE, padding=padding)
    except MutagenError as exc:
        raise PublishError(f"Cannot make the ID3 tag of {info.title!r} ({exc}).") from exc
    return out.getvalue()


def made_by(mp3_path: Path) -> str | None:
    """The episode key in *mp3_path*'s tag (EpisodeInfo.made_by), if it has one."""
    try:
        frame = ID3(mp3_path).get(f"TXXX:{MADE_BY}")
    except (MutagenError, OSError):
        return None
    return str(frame.text[0]) if frame is not None and frame.text else None


def _checked_frames(*, cover: bytes, id3_version: int, **fields: Any) -> list[Frame]:
    # ID3v2.3 by default: Windows Explorer, WMP and id3lib tools do not read v2.4.
    if id3_version not in (3, 4):
        raise PublishError(f"ID3 version {id3_version} is not supported; use 3 or 4.")
    if not cover:
        raise PublishError("The cover image is empty; pass the bytes of a JPEG or PNG file.")
    return _frames(cover=cover, id3_version=id3_version, **fields)


def _frames(
    *,
    info: EpisodeInfo,
    timeline: Timeline,
    show_title: str,
    artist: str,
    cover: bytes,
    cover_mime: str,
    transcript: str,
    comment: str,
    feed_url: str | None,
    id3_version: int,
) -> list[Frame]:
    """Every frame of the tag, top level first, then chapters and their table of contents."""
    # v2.3 has no UTF-8: Arabic must go as UTF-16 (with BOM) or it is lost.
    enc = Encoding.UTF16 if id3_version == 3 else Encoding.UTF8
    frames: list[Frame] = [
        TIT2(encoding=enc, text=[info.title]),
        TPE1(encoding=enc, text=[artist]),
        TALB(encoding=enc, text=[show_title]),
    ]
    if id3_version == 3:  # TDRC does not exist in v2.3: year, then day and month
        frames.append(TYER(encoding=enc, text=[f"{info.date.year:04d}"]))
        frames.append(TDAT(encoding=enc, text=[f"{info.date.day:02d}{info.date.month:02d}"]))
    else:
        frames.append(TDRC(encoding=enc, text=[info.date.isoformat()]))
    frames += [
        TLAN(encoding=enc, text=[LANGUAGE]),
        TCON(encoding=enc, text=[GENRE]),
        COMM(encoding=enc, lang=LANGUAGE, desc="", text=[comment]),
        USLT(encoding=enc, lang=LANGUAGE, desc="", text=transcript),
        APIC(encoding=enc, mime=cover_mime, type=PictureType.COVER_FRONT, desc="", data=cover),
        TLEN(encoding=enc, text=[str(timeline.duration_ms)]),
        # Apple's podcast flag: four bytes whose value nobody reads; iTunes writes zero.
        PCST(value=0),
        TGID(encoding=enc, text=[info.guid]),
        TDES(encoding=enc, text=[info.description]),
    ]
    if feed_url:
        frames.append(WFED(url=feed_url))
    if info.url:
        frames.append(WOAS(url=info.url))
    if info.made_by:
        frames.append(TXXX(encoding=Encoding.LATIN1, desc=MADE_BY, text=[info.made_by]))
    frames += _chapter_frames(timeline.chapters, toc_title=info.title, enc=enc)
    return frames


def _chapter_frames(chapters: tuple[Chapter, ...], *, toc_title: str, enc: int) -> list[Frame]:
    """One CHAP per chapter (times in ms) and one top-level, ordered CTOC listing them."""
    if not chapters:
        return []
    frames: list[Frame] = []
    for index, chapter in enumerate(chapters):
        if chapter.start_ms < 0 or chapter.end_ms < chapter.start_ms:
            raise PublishError(
                f"Chapter {index} ({chapter.title!r}) runs from {chapter.start_ms} ms to "
                f"{chapter.end_ms} ms; the timeline is inconsistent, rebuild the episode."
            )
        sub_frames: list[Frame] = [TIT2(encoding=enc, text=[chapter.title])]
        if chapter.url:
            sub_frames.append(WXXX(encoding=enc, desc="", url=chapter.url))
        frames.append(
            CHAP(
                element_id=_chapter_id(index),
                start_time=chapter.start_ms,
                end_time=chapter.end_ms,
                start_offset=_NO_OFFSET,
                end_offset=_NO_OFFSET,
                sub_frames=sub_frames,
            )
        )
    frames.append(
        CTOC(
            element_id=TOC_ID,
            flags=CTOCFlags.TOP_LEVEL | CTOCFlags.ORDERED,
            child_element_ids=[_chapter_id(index) for index in range(len(chapters))],
            sub_frames=[TIT2(encoding=enc, text=[toc_title])],
        )
    )
    return frames


def _chapter_id(index: int) -> str:
    return f"chp{index}"
