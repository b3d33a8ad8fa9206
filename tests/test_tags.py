"""ID3 tags: every frame write_tags puts in a real MP3 reads back with mutagen, as ID3v2.3."""

from __future__ import annotations

import dataclasses
import datetime as dt
import struct
from importlib.resources import files
from pathlib import Path
from typing import Any

import lameenc
import pytest
from mutagen.id3 import ID3, TPE2, CTOCFlags, Encoding, PictureType
from mutagen.mp3 import MP3

from audiobrief.errors import PublishError
from audiobrief.model import Chapter, EpisodeInfo, Script, Timeline
from audiobrief.publish.episode import Show, stage_episode
from audiobrief.publish.tags import tag_bytes, write_tags

SAMPLE_RATE_HZ = 22050
DURATION_MS = 3000
COVER = files("audiobrief").joinpath("assets/cover.png").read_bytes()
FEED_URL = "https://news.example.org/podcast/feed.xml"
ARTICLE_URL = "https://news.example.org/2026/11/28/library"
INFO = EpisodeInfo(
    kind="briefing",
    guid="briefing-2026-11-28-7d3f",
    title="موجز الأخبار - 28 نونبر 2026",
    date=dt.date(2026, 11, 28),
    published=dt.datetime(2026, 11, 28, 7, 0, tzinfo=dt.UTC),
    slug="briefing-2026-11-28",
    description="افتتاح مكتبة جديدة وأخبار الطقس.",
    url=ARTICLE_URL,
)
TIMELINE = Timeline(
    cues=(),
    chapters=(
        Chapter(0, 1200, "مقدمة"),
        Chapter(1200, 2400, "افتتاح مكتبة جديدة في الحي", ARTICLE_URL),
        Chapter(2400, DURATION_MS, "خاتمة"),
    ),
    duration_ms=DURATION_MS,
    sample_rate_hz=SAMPLE_RATE_HZ,
)
TRANSCRIPT = (
    "مقدمة\n\nصباح الخير، هذا موجز الأخبار ليوم السبت.\n\n"
    "افتتاح مكتبة جديدة في الحي\n\nافتتحت الجماعة مكتبة تضم ثلاثة آلاف كتاب.\n"
)
COMMENT = "صوت اصطناعي؛ النص الكامل في الموقع."


@pytest.fixture(scope="module")
def silent_mp3() -> bytes:
    encoder = lameenc.Encoder()
    encoder.set_bit_rate(32)
    encoder.set_in_sample_rate(SAMPLE_RATE_HZ)
    encoder.set_channels(1)
    encoder.set_quality(7)
    pcm = b"\x00\x00" * (SAMPLE_RATE_HZ * DURATION_MS // 1000)
    return bytes(encoder.encode(pcm) + encoder.flush())


@pytest.fixture
def mp3_path(tmp_path: Path, silent_mp3: bytes) -> Path:
    path = tmp_path / "briefing-2026-11-28.mp3"
    path.write_bytes(silent_mp3)
    return path


def _write(path: Path, **overrides: Any) -> None:
    arguments: dict[str, Any] = {
        "info": INFO,
        "timeline": TIMELINE,
        "show_title": "موجز الأخبار",
        "artist": "جريدة المدينة",
        "cover": COVER,
        "cover_mime": "image/png",
        "transcript": TRANSCRIPT,
        "comment": COMMENT,
        "feed_url": FEED_URL,
    }
    write_tags(path, **(arguments | overrides))


def _read(path: Path) -> ID3:
    # translate=False: see the frames as stored, not upgraded to v2.4 (TYER+TDAT -> TDRC).
    return ID3(path, translate=False)


def test_tags_are_id3v2_3_by_default(mp3_path: Path) -> None:
    _write(mp3_path)
    assert _read(mp3_path).version == (2, 3, 0)
    assert mp3_path.read_bytes()[:4] == b"ID3\x03"


def test_title_artist_and_album_name_the_episode_outlet_and_show(mp3_path: Path) -> None:
    _write(mp3_path)
    tags = _read(mp3_path)
    assert tags["TIT2"].text == ["موجز الأخبار - 28 نونبر 2026"]
    assert tags["TPE1"].text == ["جريدة المدينة"]
    assert tags["TALB"].text == ["موجز الأخبار"]


def test_arabic_text_frames_are_utf16_in_v2_3(mp3_path: Path) -> None:
    _write(mp3_path)
    tags = _read(mp3_path)
    assert tags["TIT2"].encoding == Encoding.UTF16
    assert tags["USLT::ara"].encoding == Encoding.UTF16


def test_date_is_tyer_and_tdat_in_v2_3(mp3_path: Path) -> None:
    _write(mp3_path)
    tags = _read(mp3_path)
    assert tags["TYER"].text == ["2026"]
    assert tags["TDAT"].text == ["2811"]  # DDMM
    assert tags.getall("TDRC") == []


def test_language_is_arabic_and_genre_is_podcast(mp3_path: Path) -> None:
    _write(mp3_path)
    tags = _read(mp3_path)
    assert tags["TLAN"].text == ["ara"]
    assert tags["TCON"].text == ["Podcast"]


def test_comment_and_description_are_written(mp3_path: Path) -> None:
    _write(mp3_path)
    tags = _read(mp3_path)
    comment = tags["COMM::ara"]
    assert (comment.lang, comment.text) == ("ara", [COMMENT])
    assert tags["TDES"].text == ["افتتاح مكتبة جديدة وأخبار الطقس."]


def test_lyrics_frame_holds_the_full_arabic_transcript(mp3_path: Path) -> None:
    _write(mp3_path)
    lyrics = _read(mp3_path)["USLT::ara"]
    assert lyrics.lang == "ara"
    assert lyrics.text == TRANSCRIPT


def test_front_cover_holds_the_image_bytes(mp3_path: Path) -> None:
    _write(mp3_path)
    (picture,) = _read(mp3_path).getall("APIC")
    assert picture.type == PictureType.COVER_FRONT == 3
    assert picture.mime == "image/png"
    assert picture.data == COVER


def test_length_podcast_flag_guid_and_urls_are_written(mp3_path: Path) -> None:
    _write(mp3_path)
    tags = _read(mp3_path)
    assert tags["TLEN"].text == ["3000"]
    assert len(tags.getall("PCST")) == 1
    assert tags["TGID"].text == ["briefing-2026-11-28-7d3f"]
    assert tags["WFED"].url == FEED_URL
    assert tags["WOAS"].url == ARTICLE_URL


def test_urls_are_left_out_when_unknown(mp3_path: Path) -> None:
    _write(mp3_path, feed_url=None, info=dataclasses.replace(INFO, url=None))
    tags = _read(mp3_path)
    assert tags.getall("WFED") == []
    assert tags.getall("WOAS") == []


def test_each_chapter_is_a_chap_frame_in_milliseconds(mp3_path: Path) -> None:
    _write(mp3_path)
    chapters = sorted(_read(mp3_path).getall("CHAP"), key=lambda frame: frame.element_id)
    assert [(c.element_id, c.start_time, c.end_time) for c in chapters] == [
        ("chp0", 0, 1200),
        ("chp1", 1200, 2400),
        ("chp2", 2400, 3000),
    ]
    assert {(c.start_offset, c.end_offset) for c in chapters} == {(0xFFFFFFFF, 0xFFFFFFFF)}
    assert [c.sub_frames["TIT2"].text for c in chapters] == [
        ["مقدمة"],
        ["افتتاح مكتبة جديدة في الحي"],
        ["خاتمة"],
    ]
    assert [[f.url for f in c.sub_frames.getall("WXXX")] for c in chapters] == [
        [],
        [ARTICLE_URL],
        [],
    ]


def test_table_of_contents_is_top_level_ordered_and_lists_chapters_in_order(
    mp3_path: Path,
) -> None:
    _write(mp3_path)
    (toc,) = _read(mp3_path).getall("CTOC")
    assert toc.element_id == "toc"
    assert toc.flags == CTOCFlags.TOP_LEVEL | CTOCFlags.ORDERED
    assert toc.child_element_ids == ["chp0", "chp1", "chp2"]
    assert toc.sub_frames["TIT2"].text == [INFO.title]


def test_mutagen_still_reads_the_audio_length(mp3_path: Path) -> None:
    before_s = MP3(mp3_path).info.length
    _write(mp3_path)
    after = MP3(mp3_path)
    assert after.info.length == before_s
    assert after.info.length == pytest.approx(DURATION_MS / 1000, abs=0.1)


def test_writing_twice_replaces_the_tag_byte_for_byte(mp3_path: Path) -> None:
    _write(mp3_path)
    first = mp3_path.read_bytes()
    _write(mp3_path)
    assert mp3_path.read_bytes() == first


def test_frames_of_an_earlier_tag_are_dropped(mp3_path: Path) -> None:
    old = ID3()
    old.add(TPE2(encoding=Encoding.UTF16, text=["فرقة قديمة"]))
    old.save(mp3_path, v1=2)  # an ID3v1 tag at the end too
    assert mp3_path.read_bytes()[-128:-125] == b"TAG"
    _write(mp3_path)
    tags = _read(mp3_path)
    assert tags.getall("TPE2") == []
    assert mp3_path.read_bytes()[-128:-125] != b"TAG"


def test_a_temporary_file_name_is_tagged_like_any_mp3(tmp_path: Path, silent_mp3: bytes) -> None:
    path = tmp_path / ".briefing-2026-11-28.mp3.part"
    path.write_bytes(silent_mp3)
    _write(path)
    assert _read(path)["TGID"].text == [INFO.guid]


def test_id3_version_4_writes_tdrc_instead_of_tyer(mp3_path: Path) -> None:
    _write(mp3_path, id3_version=4)
    tags = _read(mp3_path)
    assert tags.version == (2, 4, 0)
    assert [str(stamp) for stamp in tags["TDRC"].text] == ["2026-11-28"]
    assert tags.getall("TYER") == []
    assert tags["USLT::ara"].text == TRANSCRIPT


def test_every_text_frame_is_utf8_in_v2_4(mp3_path: Path) -> None:
    # v2.4 allows UTF-8, half the size of UTF-16 for Arabic; v2.3 knows only UTF-16.
    _write(mp3_path, id3_version=4)
    tags = _read(mp3_path)
    texts = [f for f in tags.values() if hasattr(f, "encoding")]
    texts += [sub for chap in tags.getall("CHAP") for sub in chap.sub_frames.values()]
    assert {"TIT2", "TPE1", "TALB", "TDRC", "TCON", "TLEN", "TGID", "TDES", "COMM", "USLT"} <= {
        f.FrameID for f in texts
    }
    assert {f.FrameID: f.encoding for f in texts} == {f.FrameID: Encoding.UTF8 for f in texts}


def test_the_podcast_flag_is_four_zero_bytes_as_itunes_writes_it(mp3_path: Path) -> None:
    _write(mp3_path)
    (flag,) = _read(mp3_path).getall("PCST")
    assert flag.value == 0


def test_unsupported_id3_version_raises_publish_error(mp3_path: Path) -> None:
    with pytest.raises(PublishError, match="use 3 or 4"):
        _write(mp3_path, id3_version=2)


def test_a_file_that_is_not_mp3_raises_publish_error_with_a_fix(tmp_path: Path) -> None:
    path = tmp_path / "notes.mp3"
    path.write_text("ليس ملفا صوتيا\n" * 50, encoding="utf-8")
    with pytest.raises(PublishError, match="complete MP3"):
        _write(path)


def test_a_missing_file_raises_publish_error(tmp_path: Path) -> None:
    with pytest.raises(PublishError, match="Cannot write ID3 tags"):
        _write(tmp_path / "absent.mp3")


def test_default_cover_is_a_square_rgb_png_of_1400_px() -> None:
    assert COVER[:8] == b"\x89PNG\r\n\x1a\n"
    width, height, depth, colour_type = struct.unpack(">IIBB", COVER[16:26])
    assert (width, height, depth, colour_type) == (1400, 1400, 8, 2)  # 2 = RGB, no alpha
    assert len(COVER) < 150_000


def test_an_id3v1_tag_left_by_another_tool_is_removed(mp3_path: Path) -> None:
    # ID3v1 is Latin-1 only: a stale one would show mangled Arabic in old players.
    v1 = b"TAG" + b"old title".ljust(30, b"\x00") + bytes(94) + b"\xff"
    mp3_path.write_bytes(mp3_path.read_bytes() + v1)
    _write(mp3_path)
    assert mp3_path.read_bytes()[-128:-125] != b"TAG"


def test_an_empty_cover_is_refused_with_the_fix(mp3_path: Path) -> None:
    with pytest.raises(PublishError, match="cover image is empty; pass the bytes of a JPEG"):
        _write(mp3_path, cover=b"")


@pytest.mark.parametrize(
    ("start_ms", "end_ms"),
    [(-1, 1200), (1200, 1199)],  # before the start; ending before it begins
)
def test_a_chapter_that_runs_backwards_or_before_zero_is_refused(
    mp3_path: Path, start_ms: int, end_ms: int
) -> None:
    bad = Chapter(start_ms, end_ms, "فصل")
    timeline = dataclasses.replace(TIMELINE, chapters=(TIMELINE.chapters[0], bad))
    with pytest.raises(PublishError, match=f"Chapter 1 .* runs from {start_ms} ms to {end_ms}"):
        _write(mp3_path, timeline=timeline)
    assert not mp3_path.read_bytes().startswith(b"ID3")  # nothing was written


@pytest.mark.parametrize("version", [3, 4])
def test_the_tag_before_an_untagged_mp3_makes_the_file_write_tags_makes(
    mp3_path: Path, silent_mp3: bytes, version: int
) -> None:
    # Byte for byte: a re-run that staged other bytes would publish a new version.
    _write(mp3_path, id3_version=version)
    tag = tag_bytes(
        info=INFO, timeline=TIMELINE, show_title="موجز الأخبار", artist="جريدة المدينة",
        cover=COVER, cover_mime="image/png", transcript=TRANSCRIPT, comment=COMMENT,
        feed_url=FEED_URL, id3_version=version, audio_bytes=len(silent_mp3),
    )  # fmt: skip
    assert tag + silent_mp3 == mp3_path.read_bytes()


def test_an_mp3_tagged_by_another_tool_is_staged_with_the_episode_s_tag_only(
    tmp_path: Path, silent_mp3: bytes
) -> None:
    plain = tmp_path / "plain.mp3"
    plain.write_bytes(silent_mp3)
    tagged = tmp_path / "tagged.mp3"
    tagged.write_bytes(silent_mp3)
    other = ID3()
    other.add(TPE2(encoding=Encoding.UTF8, text=["أداة أخرى"]))
    other.save(tagged)
    v1 = b"TAG" + b"old title".ljust(30, b"\x00") + bytes(94) + b"\xff"
    tagged.write_bytes(tagged.read_bytes() + v1)
    show = Show("موجز الأخبار", "جريدة المدينة", COVER, "image/png", FEED_URL)
    script = Script(title=INFO.title, sections=())
    staged = [
        stage_episode(tmp_path / name, mp3=mp3, info=INFO, timeline=TIMELINE, script=script,
                      show=show)["mp3"]
        for name, mp3 in (("a", plain), ("b", tagged))
    ]  # fmt: skip
    # The untagged one gets its tag in one pass, the other through mutagen: same frames.
    assert all(path.read_bytes().endswith(silent_mp3) for path in staged)
    frames = [_read(path) for path in staged]
    assert "TPE2" not in frames[1]
    assert sorted(frames[0].keys()) == sorted(frames[1].keys())
    assert str(frames[1]["TIT2"]) == INFO.title
