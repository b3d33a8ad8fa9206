"""Captions and transcript: WebVTT and SRT parse with real parsers and stay inside the rules."""

from __future__ import annotations

import html
import itertools
from collections.abc import Callable
from datetime import timedelta

import pytest
import srt as srt_parser
import webvtt as webvtt_parser
from hypothesis import given
from hypothesis import strategies as st

from audiobrief.model import Chapter, Cue, Script, Section, Segment, Timeline
from audiobrief.publish.transcripts import (
    SRT_LINE_CHARS,
    VTT_LINE_CHARS,
    plain_transcript,
    srt,
    webvtt,
)

RLM = "\u200f"
LONG = (
    "وقال رئيس المجلس الجماعي في كلمة ألقاها أمام الحضور إن المشروع الجديد سيساهم في "
    "تحسين ظروف عيش الساكنة وتوفير فرص الشغل للشباب، كما سيمكن من فك العزلة عن الدواوير "
    "المجاورة « في أفق سنة 2030 » حسب ما صرح به للصحافة."
)
TIMELINE = Timeline(
    cues=(
        Cue(0, 2100, 0, 0, 0, "صباح الخير، هذا موجز الأخبار."),
        Cue(2600, 4800, 1, 0, 0, "افتتاح مكتبة جديدة في الحي"),
        Cue(5400, 17400, 1, 1, 0, LONG),
        Cue(17900, 19500, 1, 1, 1, "BBC عربي تؤكد الخبر."),
        Cue(20400, 22000, 2, 0, 0, "إلى اللقاء غدا."),
    ),
    chapters=(
        Chapter(0, 2600, "مقدمة"),
        Chapter(2600, 20400, "افتتاح مكتبة جديدة في الحي", "https://example.com/a"),
        Chapter(20400, 22500, "خاتمة"),
    ),
    duration_ms=22500,
    sample_rate_hz=22050,
)
SCRIPT = Script(
    title="موجز الأخبار - 28 نونبر 2026",
    sections=(
        Section("مقدمة", (Segment("صباح الخير، هذا موجز الأخبار.", "-", 1, 0, 900),)),
        Section(
            "افتتاح مكتبة جديدة في الحي",
            (
                Segment("افتتاح مكتبة جديدة في الحي", "-", 0, 0, 900),
                Segment("افتتحت الجماعة مكتبة جديدة،", "-", 1, 0, 250),
                Segment("تضم ثلاثة آلاف كتاب.", "-", 1, 0, 500),
                Segment("BBC عربي تؤكد الخبر.", "-", 2, 1, 900),
            ),
            url="https://example.com/a",
        ),
        Section("خاتمة", (Segment("إلى اللقاء غدا.", "-", 1, 0, 0),)),
    ),
)


def _vtt(text: str) -> list[tuple[int, int, list[str]]]:
    """(start_ms, end_ms, lines) of each cue, read by webvtt-py."""
    return [
        (_ms(c.start), _ms(c.end), [html.unescape(line) for line in c.lines])
        for c in webvtt_parser.from_string(text, strict=True)
    ]


def _srt(text: str) -> list[tuple[int, int, list[str]]]:
    """(start_ms, end_ms, lines) of each subtitle, read by the srt library."""
    return [(_td_ms(s.start), _td_ms(s.end), s.content.split("\n")) for s in srt_parser.parse(text)]


def _ms(stamp: str) -> int:
    hours, minutes, seconds = stamp.split(":")
    return round((int(hours) * 3600 + int(minutes) * 60 + float(seconds)) * 1000)


def _td_ms(delta: timedelta) -> int:
    return delta // timedelta(milliseconds=1)


def _width(line: str) -> int:
    return len(line.replace(RLM, ""))


PARSERS = [
    pytest.param(webvtt, _vtt, VTT_LINE_CHARS, id="vtt"),
    pytest.param(srt, _srt, SRT_LINE_CHARS, id="srt"),
]
Render = Callable[[Timeline], str]
Parse = Callable[[str], list[tuple[int, int, list[str]]]]


def test_webvtt_matches_golden(golden: Callable[[str, str], None]) -> None:
    golden("transcripts_briefing.vtt", webvtt(TIMELINE))


def test_srt_matches_golden(golden: Callable[[str, str], None]) -> None:
    golden("transcripts_briefing.srt", srt(TIMELINE))


def test_plain_transcript_matches_golden(golden: Callable[[str, str], None]) -> None:
    golden("transcripts_briefing.txt", plain_transcript(SCRIPT))


def test_webvtt_starts_with_its_header_and_a_note() -> None:
    assert webvtt(TIMELINE).startswith("WEBVTT\n\nNOTE\n")


def test_srt_is_numbered_from_one() -> None:
    assert [s.index for s in srt_parser.parse(srt(TIMELINE))] == [1, 2, 3, 4, 5, 6, 7, 8]


@pytest.mark.parametrize(("render", "parse", "line_chars"), PARSERS)
def test_lines_fit_the_format(render: Render, parse: Parse, line_chars: int) -> None:
    for _, _, lines in parse(render(TIMELINE)):
        assert 1 <= len(lines) <= 2
        assert all(_width(line) <= line_chars for line in lines), lines


@pytest.mark.parametrize(
    ("render", "parse", "expected_count"),
    [
        pytest.param(webvtt, _vtt, 6, id="vtt"),  # the long sentence takes 2 cues
        pytest.param(srt, _srt, 8, id="srt"),  # ... and 4 at 32 characters a line
    ],
)
def test_only_long_cues_are_split(render: Render, parse: Parse, expected_count: int) -> None:
    assert len(parse(render(TIMELINE))) == expected_count


@pytest.mark.parametrize(("render", "parse", "line_chars"), PARSERS)
def test_captions_do_not_overlap_and_stay_inside_the_track(
    render: Render, parse: Parse, line_chars: int
) -> None:
    cues = parse(render(TIMELINE))
    assert all(0 <= start < end <= TIMELINE.duration_ms for start, end, _ in cues)
    assert all(a[1] <= b[0] for a, b in itertools.pairwise(cues))
    assert cues[-1][1] == TIMELINE.cues[-1].end_ms


@pytest.mark.parametrize(("render", "parse", "line_chars"), PARSERS)
def test_a_long_cue_is_split_over_its_own_time_by_characters(
    render: Render, parse: Parse, line_chars: int
) -> None:
    long_cue = TIMELINE.cues[2]
    parts = [c for c in parse(render(TIMELINE)) if long_cue.start_ms <= c[0] < long_cue.end_ms]
    assert len(parts) > 1
    assert parts[0][0] == long_cue.start_ms
    assert parts[-1][1] == long_cue.end_ms
    assert all(a[1] == b[0] for a, b in itertools.pairwise(parts))
    duration_ms = long_cue.end_ms - long_cue.start_ms
    total_chars = sum(len(" ".join(lines)) for _, _, lines in parts)
    for start, end, lines in parts:
        share = len(" ".join(lines)) / total_chars
        assert end - start == pytest.approx(duration_ms * share, abs=duration_ms * 0.02)


@pytest.mark.parametrize(("render", "parse", "line_chars"), PARSERS)
def test_captions_show_the_written_words_in_order(
    render: Render, parse: Parse, line_chars: int
) -> None:
    shown = [w for _, _, lines in parse(render(TIMELINE)) for line in lines for w in line.split()]
    written = [w for cue in TIMELINE.cues for w in cue.written.split()]
    assert [w.replace(RLM, "") for w in shown] == written


def test_a_latin_first_line_of_arabic_gets_a_right_to_left_mark() -> None:
    lines = [line for _, _, ls in _vtt(webvtt(TIMELINE)) for line in ls]
    assert RLM + "BBC عربي تؤكد الخبر." in lines
    assert all(line.startswith(RLM) == line.startswith(RLM + "BBC") for line in lines)


def test_a_latin_cue_gets_no_right_to_left_mark() -> None:
    timeline = Timeline((Cue(0, 900, 0, 1, 0, "Maroc Telecom", lang="fr"),), (), 1000, 22050)
    assert "\nMaroc Telecom\n" in webvtt(timeline)


def test_overlapping_or_overlong_cues_are_clamped() -> None:
    timeline = Timeline(
        cues=(
            Cue(0, 1500, 0, 1, 0, "الجملة الأولى"),
            Cue(1000, 2600, 0, 1, 1, "الجملة الثانية"),
            Cue(2500, 9000, 0, 1, 2, "الجملة الثالثة"),
        ),
        chapters=(),
        duration_ms=3000,
        sample_rate_hz=22050,
    )
    assert [(s, e) for s, e, _ in _vtt(webvtt(timeline))] == [(0, 1500), (1500, 2600), (2600, 3000)]


def test_empty_and_zero_length_cues_get_no_caption() -> None:
    timeline = Timeline(
        cues=(
            Cue(0, 500, 0, 1, 0, "  "),
            Cue(500, 500, 0, 1, 1, "لا"),
            Cue(600, 900, 0, 1, 2, "نعم"),
        ),
        chapters=(),
        duration_ms=1000,
        sample_rate_hz=22050,
    )
    assert _vtt(webvtt(timeline)) == [(600, 900, ["نعم"])]
    assert _srt(srt(timeline)) == [(600, 900, ["نعم"])]


def test_webvtt_escapes_markup_characters() -> None:
    timeline = Timeline((Cue(0, 900, 0, 1, 0, "ربح <5% & خسارة --> لا"),), (), 1000, 22050)
    text = webvtt(timeline)
    assert "ربح &lt;5% &amp; خسارة --&gt; لا" in text
    assert _vtt(text)[0][2] == ["ربح <5% & خسارة --> لا"]


def test_srt_text_never_holds_an_arrow_that_players_take_for_a_timing_line() -> None:
    cues = (
        Cue(0, 900, 0, 1, 0, "ربح 5% --> خسارة"),
        Cue(1000, 1900, 0, 1, 1, "-->"),
        Cue(2000, 2900, 0, 1, 2, "أ---> ب"),
    )
    text = srt(Timeline(cues, (), 3000, 22050))
    timing = [line for line in text.splitlines() if "-->" in line]
    assert timing == [
        "00:00:00,000 --> 00:00:00,900",
        "00:00:01,000 --> 00:00:01,900",
        "00:00:02,000 --> 00:00:02,900",
    ]
    parsed = _srt(text)
    assert [(start, end) for start, end, _ in parsed] == [(0, 900), (1000, 1900), (2000, 2900)]
    assert all("-->" not in line for _, _, lines in parsed for line in lines)
    assert [lines for _, _, lines in parsed] == [["ربح 5% -> خسارة"], ["->"], ["أ-> ب"]]


def test_timestamps_count_hours() -> None:
    timeline = Timeline((Cue(3_723_456, 3_724_000, 0, 1, 0, "نعم"),), (), 3_725_000, 22050)
    assert "01:02:03.456 --> 01:02:04.000" in webvtt(timeline)
    assert "01:02:03,456 --> 01:02:04,000" in srt(timeline)


def test_empty_timeline_gives_a_valid_empty_webvtt_and_srt() -> None:
    timeline = Timeline((), (), 0, 22050)
    assert _vtt(webvtt(timeline)) == []
    assert srt(timeline) == ""


_LETTERS = "ابتثجحخدذرزسشصضطظعغفقكلمنهويءآأإةى"
_OPENINGS = ("«", "(")
_CLOSINGS = ("،", ".", ":", "؟", "!", "-", "»", ")", "؛")
# A word, sometimes with a mark standing alone before or after it (as scraped text has).
_unit = st.tuples(
    st.sampled_from(["", "", "", *(f"{mark} " for mark in _OPENINGS)]),
    st.text(alphabet=_LETTERS, min_size=1, max_size=14),
    st.sampled_from(["", "", "", *(f" {mark}" for mark in _CLOSINGS)]),
).map("".join)
_text = st.lists(_unit, min_size=1, max_size=60).map(" ".join)


@given(text=_text, duration_ms=st.integers(min_value=100, max_value=60_000))
def test_wrapping_never_breaks_words_or_strands_punctuation(text: str, duration_ms: int) -> None:
    timeline = Timeline((Cue(0, duration_ms, 0, 1, 0, text),), (), duration_ms, 22050)
    for render, parse, line_chars in ((webvtt, _vtt, VTT_LINE_CHARS), (srt, _srt, SRT_LINE_CHARS)):
        cues = parse(render(timeline))
        lines = [line for _, _, ls in cues for line in ls]
        assert " ".join(lines).split() == text.split()
        assert all(len(ls) <= 2 and all(len(x) <= line_chars for x in ls) for _, _, ls in cues)
        assert not any(line.startswith(_CLOSINGS) for line in lines)
        assert not any(line.endswith(_OPENINGS) for line in lines)
        assert cues[0][0] == 0
        assert cues[-1][1] == duration_ms
        assert all(a[1] == b[0] and a[0] < a[1] for a, b in itertools.pairwise(cues))


def test_plain_transcript_puts_titles_on_their_own_lines_and_joins_clauses() -> None:
    text = plain_transcript(SCRIPT)
    blocks = text.rstrip("\n").split("\n\n")
    assert blocks[:3] == ["مقدمة", "صباح الخير، هذا موجز الأخبار.", "افتتاح مكتبة جديدة في الحي"]
    assert blocks[3] == "افتتحت الجماعة مكتبة جديدة، تضم ثلاثة آلاف كتاب."
    assert text.count("افتتاح مكتبة جديدة في الحي") == 1  # the heading segment is not repeated


def test_plain_transcript_keeps_a_heading_segment_that_differs_from_the_title() -> None:
    script = Script(
        "t", (Section("الخبر الثاني", (Segment("ننتقل إلى الخبر الثاني", "-", 0, 0, 0),)),)
    )
    assert plain_transcript(script) == "الخبر الثاني\n\nننتقل إلى الخبر الثاني\n"
