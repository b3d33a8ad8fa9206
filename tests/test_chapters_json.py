"""JSON chapters: Podcasting 2.0 version 1.2.0, ascending, stable to the byte."""

from __future__ import annotations

import json
from collections.abc import Callable

from audiobrief.model import Chapter, Timeline
from audiobrief.publish.chapters import json_chapters

CHAPTERS = (
    Chapter(0, 2600, "مقدمة"),
    Chapter(2600, 20_437, "افتتاح مكتبة جديدة في الحي", "https://example.com/2026/11/28/library"),
    Chapter(20_437, 61_005, "أمطار رعدية مرتقبة"),
    Chapter(61_005, 63_500, "خاتمة"),
)
TIMELINE = Timeline(cues=(), chapters=CHAPTERS, duration_ms=63_500, sample_rate_hz=22050)


def test_json_chapters_match_golden(golden: Callable[[str, str], None]) -> None:
    golden("chapters_briefing.json", json_chapters(TIMELINE, title="موجز الأخبار - 28 نونبر 2026"))


def test_document_follows_the_1_2_schema() -> None:
    document = json.loads(json_chapters(TIMELINE))
    assert list(document) == ["version", "chapters"]
    assert document["version"] == "1.2.0"
    for entry in document["chapters"]:
        assert set(entry) <= {"startTime", "title", "url"}
        assert isinstance(entry["startTime"], float)
        assert isinstance(entry["title"], str)


def test_start_times_are_seconds_with_milliseconds() -> None:
    starts = [c["startTime"] for c in json.loads(json_chapters(TIMELINE))["chapters"]]
    assert starts == [0.0, 2.6, 20.437, 61.005]


def test_titles_and_urls_come_from_the_timeline() -> None:
    chapters = json.loads(json_chapters(TIMELINE))["chapters"]
    assert [c["title"] for c in chapters] == [c.title for c in CHAPTERS]
    assert [c.get("url") for c in chapters] == [None, CHAPTERS[1].url, None, None]


def test_chapters_are_listed_by_ascending_start_time() -> None:
    shuffled = Timeline((), (CHAPTERS[2], CHAPTERS[0], CHAPTERS[3], CHAPTERS[1]), 63_500, 22050)
    starts = [c["startTime"] for c in json.loads(json_chapters(shuffled))["chapters"]]
    assert starts == sorted(starts)
    assert json_chapters(shuffled) == json_chapters(TIMELINE)


def test_title_is_written_only_when_given() -> None:
    assert "title" not in json.loads(json_chapters(TIMELINE))
    assert json.loads(json_chapters(TIMELINE, title="موجز"))["title"] == "موجز"


def test_equal_timelines_give_identical_bytes() -> None:
    rebuilt = Timeline((), tuple(Chapter(**vars(c)) for c in CHAPTERS), 63_500, 22050)
    first = json_chapters(TIMELINE, title="موجز").encode("utf-8")
    assert json_chapters(rebuilt, title="موجز").encode("utf-8") == first


def test_arabic_is_written_as_utf8_not_escaped() -> None:
    text = json_chapters(TIMELINE)
    assert "مقدمة" in text
    assert "\\u" not in text


def test_a_timeline_without_chapters_gives_an_empty_list() -> None:
    empty = Timeline((), (), 0, 22050)
    assert json.loads(json_chapters(empty)) == {"version": "1.2.0", "chapters": []}
