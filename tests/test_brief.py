"""`audiobrief brief`: the daily briefing, heard, tagged, captioned and published as one."""

from __future__ import annotations

import datetime as dt
import io
import json
import re
import shutil
from dataclasses import dataclass
from pathlib import Path

import miniaudio
import numpy as np
import pytest
import srt
import webvtt
from click.testing import CliRunner
from lxml import html as lxml_html
from mutagen.id3 import ID3
from mutagen.mp3 import MP3
from numpy.typing import NDArray

import bs1770
from audiobrief import engines, pipeline
from audiobrief.cli import cli
from audiobrief.config import Settings
from audiobrief.engines.espeak_engine import EspeakEngine
from audiobrief.errors import EngineError
from audiobrief.model import Article, ArticleMeta, Episode, Pauses, Script
from audiobrief.publish.catalog import open_catalog
from audiobrief.text.briefing import build_briefing
from audiobrief.text.diacritize import strip_marks
from audiobrief.text.script import build_script
from audiobrief.voice.factory import front_end
from support import DATA, FakeEngine

REPO = Path(__file__).resolve().parents[1]
ARTICLES = DATA / "brief"
RAIN, MARKET, LIBRARY = ARTICLES / "rain.md", ARTICLES / "market.md", ARTICLES / "library.txt"
TITLES = {
    RAIN: "أمطار الخريف تنعش سدود جهة فاس",
    MARKET: "افتتاح سوق أسبوعي جديد بحي Atlas",
    LIBRARY: "مكتبة الحي تمدد ساعات العمل",
}
DAY = dt.date(2026, 11, 28)  # a Saturday
MORNING = dt.datetime(2026, 11, 28, 8, 0, tzinfo=dt.UTC)  # 09:00 in Casablanca
"""audio.stitch ends every track with this much silence after the last cue."""
FAKE_VOICE = 'engine = "fake"\ndiacritize = false\n'
POINTER_SAID = "تجدون الخبر كاملا في خلاصة المقالات."
"""The pointer to the full episode, as a voice without diacritization gets it."""


# --- one real briefing (eSpeak NG, real MP3), built once for the checks that listen to it


@dataclass(frozen=True)
class Built:
    episode: Episode
    output: Path
    first: dict[str, bytes]
    """The briefing's files as the first build wrote them, by suffix."""
    cold_again: dict[str, bytes]
    """The same briefing built again from scratch: another output folder, empty caches."""
    article_mp3s: list[tuple[bytes, bytes]]
    """Each article's MP3 from the first build and from the build from scratch."""
    brief_calls: list[str]
    """What eSpeak NG was asked to say while the briefing was built the first time."""
    rebuild_calls: list[str]
    body_texts: set[str]
    """Spoken text of every segment of the three articles."""


def _files(mp3: Path) -> dict[str, bytes]:
    stem = str(mp3.with_suffix(""))
    suffixes = (".mp3", ".vtt", ".srt", ".chapters.json")
    return {suffix: Path(stem + suffix).read_bytes() for suffix in suffixes}


def _speak_and_brief(root: Path, calls: list[str]) -> tuple[Settings, list[Episode], Episode]:
    """Speak the three articles in the morning and brief them in the evening, under *root*."""
    settings = Settings(
        voices_dir=REPO / "voices", output_dir=root / "out", cache_dir=root / "cache"
    )
    spoken = []
    for minutes, source in enumerate((RAIN, MARKET, LIBRARY)):
        run = pipeline.Run(settings, MORNING + dt.timedelta(minutes=minutes))
        spoken += pipeline.speak([str(source)], run)
    calls.clear()
    return settings, spoken, pipeline.brief(pipeline.Run(settings, EVENING), day=DAY)


EVENING = MORNING + dt.timedelta(hours=9)


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Built:
    # Shared by the listening checks below: speaking three short articles and briefing
    # them with the real voice, twice from cold caches and once warm, costs ~8 s.
    calls: list[str] = []
    real = EspeakEngine.synthesize

    def recording(self: EspeakEngine, text: str) -> object:
        calls.append(text)
        return real(self, text)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(EspeakEngine, "synthesize", recording)
        settings, spoken, episode = _speak_and_brief(tmp_path_factory.mktemp("brief"), calls)
        first, brief_calls = _files(episode.mp3_path), list(calls)
        calls.clear()
        pipeline.brief(pipeline.Run(settings, EVENING + dt.timedelta(hours=1)), day=DAY)
        rebuild_calls = list(calls)
        # From nothing again: no clip, episode or diacritization cache to replay, so an
        # encoder or mixer that is not deterministic shows up as different bytes.
        _, spoken_cold, cold = _speak_and_brief(tmp_path_factory.mktemp("brief-cold"), calls)
    bodies = {seg.spoken for ep in spoken for s in ep.script.sections for seg in s.segments}
    return Built(
        episode,
        settings.output_dir,
        first,
        _files(cold.mp3_path),
        [
            (a.mp3_path.read_bytes(), b.mp3_path.read_bytes())
            for a, b in zip(spoken, spoken_cold, strict=True)
        ],
        brief_calls,
        rebuild_calls,
        bodies,
    )


def _decode(mp3: Path) -> NDArray[np.int16]:
    decoded = miniaudio.decode_file(
        str(mp3), output_format=miniaudio.SampleFormat.SIGNED16, nchannels=1, sample_rate=22050
    )
    return np.asarray(decoded.samples, dtype=np.int16)


def _ms(samples: int) -> float:
    return samples * 1000 / 22050


def test_the_briefing_has_an_intro_each_article_in_spoken_order_and_an_outro(
    built: Built,
) -> None:
    chapters = built.episode.timeline.chapters
    assert [c.title for c in chapters] == ["مقدمة", *TITLES.values(), "خاتمة"]
    # Each story links its full episode's page, under the site's address.
    pages = [f"http://127.0.0.1:8000/2026/11/28/articles/{n}.html" for n in ("rain", "market")]
    assert [c.url for c in chapters[:3]] == [None, *pages]
    library = r"http://127\.0\.0\.1:8000/2026/11/28/articles/[^/]+\.html"
    assert re.fullmatch(library, chapters[3].url)
    assert chapters[4].url is None
    assert built.episode.mp3_path == built.output / "2026/11/28/briefing-2026-11-28.mp3"


def test_each_chapter_starts_within_20_ms_of_its_first_heard_sample(built: Built) -> None:
    audio = np.abs(_decode(built.episode.mp3_path).astype(np.int32))
    loud = audio > 0.02 * audio.max()  # -34 dB under the peak: speech, not MP3 noise
    timeline = built.episode.timeline
    for index, chapter in enumerate(timeline.chapters):
        first_cue = next(cue for cue in timeline.cues if cue.section == index)
        assert chapter.start_ms == first_cue.start_ms
        start = chapter.start_ms * 22050 // 1000
        heard_ms = _ms(int(np.flatnonzero(loud[start:])[0]))
        assert heard_ms <= 20, (chapter.title, heard_ms)
        # ...and the chapter does not start late: the 200 ms before it are quiet.
        assert not loud[max(0, start - 4410) : start].any(), chapter.title


def test_the_timeline_ends_where_the_mp3_and_its_speech_end(built: Built) -> None:
    mp3 = built.episode.mp3_path
    audio = np.abs(_decode(mp3).astype(np.int32))
    decoded_ms = _ms(len(audio))
    last_cue = built.episode.timeline.cues[-1]
    assert abs(MP3(mp3).info.length * 1000 - decoded_ms) <= 1
    assert abs(decoded_ms - built.episode.timeline.duration_ms) <= 1
    # The last caption ends within 100 ms of the real MP3 duration (issue bar).
    assert decoded_ms - last_cue.end_ms <= 100
    last_heard_ms = _ms(int(np.flatnonzero(audio > 0.02 * audio.max())[-1]))
    assert abs(last_heard_ms - last_cue.end_ms) <= 100


def _page_chapters(page: Path) -> tuple[list[tuple[str, int]], list[tuple[str, int]]]:
    """(title, start ms) from the page's chapter list, and from its transcript headings."""
    tree = lxml_html.fromstring(page.read_bytes())

    def ms(anchor: str) -> int:
        return round(float(anchor.removeprefix("#").removeprefix("t=")) * 1000)

    listed = [
        (link.xpath("string(span[2])"), ms(link.get("href")))
        for link in tree.xpath('//nav[@class="chapters"]//a')
    ]
    parts = [
        (part.xpath("string(h3)"), ms(part.get("id")))
        for part in tree.xpath('//div[@class="part"]')
    ]
    return listed, parts


def test_chapters_agree_in_id3_json_and_the_transcript_page(built: Built) -> None:
    mp3 = built.episode.mp3_path
    tags = ID3(mp3)
    (toc,) = tags.getall("CTOC")
    chaps = {chap.element_id: chap for chap in tags.getall("CHAP")}
    ordered = [chaps[element_id] for element_id in toc.child_element_ids]
    assert len(ordered) == len(chaps)
    id3 = [(str(c.sub_frames["TIT2"]), c.start_time) for c in ordered]
    id3_urls = [c.sub_frames["WXXX:"].url if "WXXX:" in c.sub_frames else None for c in ordered]

    document = json.loads(Path(str(mp3.with_suffix("")) + ".chapters.json").read_bytes())
    in_json = [(c["title"], round(c["startTime"] * 1000)) for c in document["chapters"]]
    json_urls = [c.get("url") for c in document["chapters"]]
    listed, parts = _page_chapters(mp3.with_suffix(".html"))

    timeline = [(c.title, c.start_ms) for c in built.episode.timeline.chapters]
    assert id3 == in_json == listed == parts == timeline
    assert id3_urls == json_urls == [c.url for c in built.episode.timeline.chapters]


def test_the_transcript_page_anchors_every_paragraph_at_its_first_cue(built: Built) -> None:
    tree = lxml_html.fromstring(built.episode.mp3_path.with_suffix(".html").read_bytes())
    paragraphs = tree.xpath('//div[@class="part"]/p[not(@class="source")]')
    cue_starts = {cue.start_ms for cue in built.episode.timeline.cues}
    # Intro, outro, and per article its announced headline, its lede and the pointer.
    assert len(paragraphs) == 11
    for paragraph in paragraphs:
        (link,) = paragraph.xpath('a[@class="time"]')
        first = paragraph.xpath("span[@data-start]")[0].get("data-start")
        assert link.get("href") == f"#t={first}"
        assert round(float(first) * 1000) in cue_starts


def test_captions_parse_with_webvtt_py_and_srt(built: Built) -> None:
    stem = str(built.episode.mp3_path.with_suffix(""))
    duration_s = built.episode.duration_ms / 1000
    vtt = webvtt.read(stem + ".vtt")
    subtitles = list(srt.parse(Path(stem + ".srt").read_text(encoding="utf-8")))
    for text in [*TITLES.values(), "اليوم هو السبت 28 نونبر 2026", "وإلى اللقاء"]:
        assert any(text in caption.text for caption in vtt), text
        assert text in " ".join(sub.content.replace("\n", " ") for sub in subtitles), text
    starts = [c.start_in_seconds for c in vtt]
    assert starts == sorted(starts)
    assert vtt.captions[-1].end_in_seconds <= duration_s
    assert subtitles[-1].end.total_seconds() <= duration_s
    assert [s.index for s in subtitles] == list(range(1, len(subtitles) + 1))


def test_the_mp3_carries_the_whole_transcript_as_uslt(built: Built) -> None:
    (lyrics,) = ID3(built.episode.mp3_path).getall("USLT")
    for text in [*TITLES.values(), "في هذا الموجز ثلاثة أخبار.", "شكرا لاستماعكم"]:
        assert text in lyrics.text, text


def test_the_briefing_mp3_is_at_minus_19_lufs_under_minus_1_dbtp(built: Built) -> None:
    # The briefing joins the articles' own MP3s (each mastered to -19 LUFS) with new parts:
    # the whole finished file is held to Apple's +/-1 LU on the tests' independent meter,
    # not the code's own; the 0.5 LU of each mastering pass is tested in test_loudness.
    samples = bs1770.pcm_floats(_decode(built.episode.mp3_path).tobytes(), channels=1)
    assert bs1770.integrated_lufs(samples, 22050) == pytest.approx(-19.0, abs=1.0)
    assert bs1770.true_peak_dbtp(samples) <= -1.0


def test_rebuilding_with_a_warm_cache_gives_identical_files(built: Built) -> None:
    again = _files(built.episode.mp3_path)
    for suffix, data in built.first.items():
        assert again[suffix] == data, suffix


def _audio_and_frames(mp3: bytes) -> tuple[bytes, dict[str, str]]:
    """The MP3's audio frames, and its ID3 frames less the episode guid (TGID)."""
    tags = ID3(io.BytesIO(mp3))
    frames = {key: repr(frame) for key, frame in tags.items() if not key.startswith("TGID")}
    return mp3[tags.size :], frames


def test_building_from_cold_caches_elsewhere_gives_identical_files(built: Built) -> None:
    # A new catalog gives the episode a new guid (assigned once, kept forever), so the
    # TGID frame differs; every sample and every other byte must not.
    assert built.cold_again.keys() == built.first.keys()
    audio, frames = _audio_and_frames(built.first[".mp3"])
    cold_audio, cold_frames = _audio_and_frames(built.cold_again[".mp3"])
    assert cold_audio == audio
    assert cold_frames == frames
    assert len(built.cold_again[".mp3"]) == len(built.first[".mp3"])
    for suffix in (".vtt", ".srt", ".chapters.json"):
        assert built.cold_again[suffix] == built.first[suffix], suffix
    for first, cold in built.article_mp3s:
        assert _audio_and_frames(cold) == _audio_and_frames(first)


def test_the_briefing_speaks_only_its_own_words_and_reuses_the_article_clips(
    built: Built,
) -> None:
    # The intro's count of stories (its greeting was said ahead, by the day's speak: see
    # render_greeting), one announcement per article, the pointer to the full episodes
    # (said the same after each story, so synthesized once), outro 2: nothing of the
    # articles.
    assert len(built.brief_calls) == 7
    assert not [call for call in built.brief_calls if "مَرْحَبًا" in call]
    assert not set(built.brief_calls) & built.body_texts
    assert built.rebuild_calls == []


def test_the_stored_intro_says_the_date_in_words(built: Built) -> None:
    with open_catalog(built.output / "catalog.sqlite") as catalog:
        (record,) = catalog.episodes("briefing")
    intro = strip_marks(record.script.sections[0].segments[0].spoken)
    assert "السبت الثامن والعشرون من نونبر ألفين وستة وعشرين" in intro


# --- the text of the briefing, without audio


def _body(title: str) -> Script:
    article = Article(title, ("نص قصير.",), ArticleMeta(source=f"{title}.txt"))
    return build_script(article, normalize=str.strip, diacritize=None, pauses=Pauses())


def _briefing(bodies: int, month_style: str = "maghreb", day: dt.date = DAY) -> Script:
    settings = Settings(month_style=month_style, voices_dir=Path("no-voices"))
    return build_briefing(
        [_body(f"خبر {n}") for n in range(bodies)],
        day=day,
        show_title="موجز الأخبار",
        month_style=month_style,
        normalize=front_end(settings),
        diacritize=None,
        pauses=Pauses(),
    )


@pytest.mark.parametrize(
    ("month_style", "said", "printed"),
    [
        ("maghreb", "السبت الثامن والعشرون من نونبر ألفين وستة وعشرين", "السبت 28 نونبر 2026"),
        ("mashriq", "السبت الثامن والعشرون من نوفمبر ألفين وستة وعشرين", "السبت 28 نوفمبر 2026"),
        (
            "levant",
            "السبت الثامن والعشرون من تشرين الثاني ألفين وستة وعشرين",
            "السبت 28 تشرين الثاني 2026",
        ),
    ],
)
def test_the_intro_says_the_show_and_the_date_in_words(
    month_style: str, said: str, printed: str
) -> None:
    welcome = _briefing(2, month_style).sections[0].segments[0]
    assert welcome.spoken == f"مرحبا بكم في موجز الأخبار، اليوم هو {said}."
    assert welcome.written == f"مرحبا بكم في موجز الأخبار، اليوم هو {printed}."


@pytest.mark.parametrize(
    ("bodies", "count"),
    [(1, "خبر واحد"), (2, "خبران"), (3, "ثلاثة أخبار"), (11, "أحد عشر خبرا")],
)
def test_the_intro_counts_the_stories_in_agreement(bodies: int, count: str) -> None:
    segment = _briefing(bodies).sections[0].segments[1]
    assert segment.spoken == segment.written == f"في هذا الموجز {count}."


def test_articles_are_announced_first_second_and_last_then_by_title() -> None:
    sections = _briefing(12).sections[1:-1]
    heads = [s.segments[0].spoken for s in sections]
    assert heads[:3] == ["الخبر الأول.", "الخبر الثاني.", "الخبر الثالث."]
    assert heads[9:] == ["الخبر العاشر.", "الخبر التالي.", "الخبر الأخير."]
    assert [s.segments[1].written for s in sections] == [f"خبر {n}" for n in range(12)]
    assert all(s.segments[0].paragraph == s.segments[1].paragraph == 0 for s in sections)


def test_a_voice_without_diacritization_gets_no_harakat() -> None:
    spoken = " ".join(seg.spoken for s in _briefing(3).sections for seg in s.segments)
    assert strip_marks(spoken) == spoken


# --- the command with a fake voice: reuse, order and every way it can fail


@pytest.fixture
def fake_voice(tmp_path: Path) -> Path:
    (tmp_path / "voices").mkdir()
    (tmp_path / "voices" / "fake.toml").write_text(FAKE_VOICE, encoding="utf-8")
    return tmp_path / "voices"


def _invoke(*args: str, code: int = 0) -> str:
    result = CliRunner().invoke(cli, ["--config", "none.toml", *args])
    assert result.exit_code == code, result.output
    assert "Traceback" not in result.output
    return result.output


def _speak(*sources: Path) -> str:
    """Speak *sources* one call each; return the day they were dated (from the path)."""
    days = set()
    for source in sources:
        line = _invoke("speak", str(source), "-o", "out", "--voice", "fake")
        days.add(re.search(r"(\d{4})/(\d\d)/(\d\d)/articles/", line).expand(r"\1-\2-\3"))
    (day,) = days
    return day


def _chapter_titles(output: Path) -> list[str]:
    (chapters,) = output.rglob("briefing-*.chapters.json")
    return [c["title"] for c in json.loads(chapters.read_bytes())["chapters"]]


def _tree(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in folder.rglob("*") if p.is_file()}


def test_brief_synthesizes_only_its_own_words_after_speak(
    fake_voice: Path, fake_engine: FakeEngine
) -> None:
    day = _speak(RAIN, MARKET, LIBRARY)
    bodies = set(fake_engine.calls)
    fake_engine.calls.clear()

    line = _invoke("brief", "--date", day, "-o", "out", "--voice", "fake")

    assert f"/briefing-{day}.mp3 (" in line
    assert len(fake_engine.calls) == 8
    assert not set(fake_engine.calls) & bodies
    announced = ["الخبر الأول.", POINTER_SAID, "الخبر الثاني.", "الخبر الأخير."]
    assert fake_engine.calls[2:6] == announced
    fake_engine.calls.clear()
    _invoke("brief", "--date", day, "-o", "out", "--voice", "fake")
    assert fake_engine.calls == []


def test_files_given_to_brief_reuse_the_clips_spoken_before(
    fake_voice: Path, fake_engine: FakeEngine
) -> None:
    day = _speak(RAIN)
    bodies = set(fake_engine.calls)
    fake_engine.calls.clear()
    _invoke("brief", str(RAIN), "--date", day, "-o", "out", "--voice", "fake")
    assert len(fake_engine.calls) == 6  # intro 2, one announcement, the pointer, outro 2
    assert not set(fake_engine.calls) & bodies


def test_the_day_s_articles_come_in_spoken_order(fake_voice: Path, fake_engine: FakeEngine) -> None:
    day = _speak(LIBRARY, RAIN, MARKET)
    _invoke("brief", "--date", day, "-o", "out", "--voice", "fake")
    assert _chapter_titles(Path("out"))[1:-1] == [TITLES[LIBRARY], TITLES[RAIN], TITLES[MARKET]]


def test_articles_spoken_in_one_call_keep_that_order(
    fake_voice: Path, fake_engine: FakeEngine
) -> None:
    sources = (LIBRARY, RAIN, MARKET)
    line = _invoke("speak", *map(str, sources), "-o", "out", "--voice", "fake")
    day = re.search(r"(\d{4})/(\d\d)/(\d\d)/", line).expand(r"\1-\2-\3")
    _invoke("brief", "--date", day, "-o", "out", "--voice", "fake")
    assert _chapter_titles(Path("out"))[1:-1] == [TITLES[s] for s in sources]


def test_briefing_order_time_puts_the_newest_article_first(
    fake_voice: Path, fake_engine: FakeEngine
) -> None:
    settings = Settings(
        voices_dir=fake_voice, voice="fake", output_dir=Path("out"), briefing_order="time"
    )
    for minutes, source in enumerate((RAIN, MARKET, LIBRARY)):
        pipeline.speak(
            [str(source)], pipeline.Run(settings, MORNING + dt.timedelta(minutes=minutes))
        )
    episode = pipeline.brief(pipeline.Run(settings, MORNING), day=DAY)
    titles = [c.title for c in episode.timeline.chapters[1:-1]]
    assert titles == [TITLES[LIBRARY], TITLES[MARKET], TITLES[RAIN]]


def test_files_given_are_briefed_in_the_order_given(
    fake_voice: Path, fake_engine: FakeEngine
) -> None:
    _invoke(
        "brief", str(MARKET), str(LIBRARY), "--date", "2026-11-28", "-o", "out", "--voice", "fake"
    )
    assert _chapter_titles(Path("out")) == ["مقدمة", TITLES[MARKET], TITLES[LIBRARY], "خاتمة"]
    assert Path("out/2026/11/28/briefing-2026-11-28.mp3").is_file()


def test_a_day_without_articles_exits_1_and_writes_nothing(
    fake_voice: Path, fake_engine: FakeEngine
) -> None:
    output = _invoke("brief", "--date", "2026-11-28", "-o", "out", "--voice", "fake", code=1)
    assert output.strip() == (
        "Error: no articles were spoken for 2026-11-28; run 'audiobrief speak ARTICLE' "
        "first, or name the article files after 'audiobrief brief'."
    )
    assert not Path("out").exists()


def test_a_day_without_articles_leaves_an_existing_site_untouched(
    fake_voice: Path, fake_engine: FakeEngine
) -> None:
    day = _speak(RAIN)
    before = _tree(Path("out"))
    other = (dt.date.fromisoformat(day) - dt.timedelta(days=1)).isoformat()
    output = _invoke("brief", "--date", other, "-o", "out", "--voice", "fake", code=1)
    assert output.startswith(f"Error: no articles were spoken for {other};")
    assert _tree(Path("out")) == before


@pytest.mark.parametrize("date", ["28/11/2026", "2026-11-31", "2026-11", "tomorrow"])
def test_a_date_in_another_format_exits_2_and_writes_nothing(
    fake_voice: Path, fake_engine: FakeEngine, date: str
) -> None:
    output = _invoke("brief", "--date", date, "-o", "out", "--voice", "fake", code=2)
    assert "Invalid value for '--date'" in output
    assert not Path("out").exists()


class _Refusing(FakeEngine):
    """Fails on any text holding *word*, like an engine that chokes on one article."""

    def __init__(self, word: str) -> None:
        super().__init__()
        self.word = word

    def synthesize(self, text: str) -> object:
        if self.word in text:
            raise EngineError(self.name, "the voice refused this text")
        return super().synthesize(text)


def test_an_article_that_cannot_be_spoken_is_named_and_nothing_is_published(
    fake_voice: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(engines._extra, "fake", lambda **_: _Refusing("المكتبة"))
    day = _speak(RAIN, MARKET)
    _invoke("brief", "--date", day, "-o", "out", "--voice", "fake")
    before = _tree(Path("out"))
    other = (dt.date.fromisoformat(day) + dt.timedelta(days=1)).isoformat()

    output = _invoke(
        "brief", str(RAIN), str(LIBRARY), "--date", other, "-o", "out", "--voice", "fake", code=1
    )

    (line,) = output.strip().splitlines()
    assert line.startswith(f"Error: fake engine: could not speak «{TITLES[LIBRARY]}» (")
    assert "nothing was published" in line
    assert _tree(Path("out")) == before  # no MP3, same catalog, same feed and pages
    with open_catalog(Path("out/catalog.sqlite")) as catalog:
        assert [r.key for r in catalog.episodes("briefing")] == [day]


def test_briefing_order_time_puts_newer_files_first(
    tmp_path: Path, fake_voice: Path, fake_engine: FakeEngine
) -> None:
    def dated(name: str, date: str | None) -> str:
        front = f"date: {date}\n" if date else ""
        text = f"---\ntitle: خبر {name}\n{front}---\n\nنص قصير عن {name}.\n"
        (tmp_path / f"{name}.md").write_text(text, encoding="utf-8")
        return str(tmp_path / f"{name}.md")

    files = [dated("أ", "2026-11-26"), dated("ب", None), dated("ج", "2026-11-27")]
    (tmp_path / "audiobrief.toml").write_text('briefing_order = "time"\n', encoding="utf-8")
    result = CliRunner().invoke(
        cli, ["brief", *files, "--date", "2026-11-28", "-o", "out", "--voice", "fake"]
    )
    assert result.exit_code == 0, result.output
    assert _chapter_titles(Path("out"))[1:-1] == ["خبر ج", "خبر أ", "خبر ب"]


def test_a_music_bed_plays_under_the_intro_and_outro_only(
    fake_voice: Path, fake_engine: FakeEngine, tmp_path: Path
) -> None:
    from pydub.generators import Sine

    Sine(440).to_audio_segment(duration=3000).export(tmp_path / "bed.wav", format="wav").close()
    Path("audiobrief.toml").write_text('music = "bed.wav"\nmusic_gain_db = -20.0\n', "utf-8")
    result = CliRunner().invoke(
        cli,
        ["brief", str(RAIN), str(MARKET), "--date", "2026-11-28", "-o", "out", "--voice", "fake"],
    )
    assert result.exit_code == 0, result.output
    (mp3,) = Path("out").rglob("briefing-*.mp3")
    audio = np.abs(_decode(mp3).astype(np.int32))
    chapters = json.loads(mp3.with_name(mp3.stem + ".chapters.json").read_text("utf-8"))
    starts = [round(c["startTime"] * 22050) for c in chapters["chapters"]]
    # The fake voice is silent: what is heard is the bed, under the first and last chapter.
    assert audio[: starts[1]].max() > 1000
    assert audio[starts[-1] :].max() > 1000
    assert audio[starts[1] + 4410 : starts[-1] - 4410].max() == 0


def _greetings_kept(cache: Path) -> int:
    return len(list((cache / "episodes").rglob("*.mp3")))


@pytest.mark.parametrize(
    ("voice", "music", "kept"),
    [("ar-espeak", None, 1), ("ar-espeak", "bed.wav", 0), ("fake", None, 0)],
    ids=["espeak", "under-a-music-bed", "a-voice-that-keeps-its-clips"],
)
def test_the_days_greeting_is_rendered_ahead_only_where_it_pays(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, voice: str, music: str | None, kept: int
) -> None:
    from audiobrief.voice import open_voice, render_greeting

    monkeypatch.setitem(engines._extra, "fake", lambda **_: FakeEngine())
    (tmp_path / "voices").mkdir()
    shutil.copy(REPO / "voices" / "ar-espeak.toml", tmp_path / "voices")
    (tmp_path / "voices" / "fake.toml").write_text('engine = "fake"\n', encoding="utf-8")
    if music:
        from pydub.generators import Sine

        Sine(440).to_audio_segment(duration=1000).export(tmp_path / music, format="wav").close()
    settings = Settings(
        voices_dir=tmp_path / "voices",
        cache_dir=tmp_path / "cache",
        voice=voice,
        music=tmp_path / music if music else None,
    )
    render_greeting(DAY, open_voice(settings), settings)

    assert _greetings_kept(tmp_path / "cache") == kept


def test_a_greeting_that_cannot_be_rendered_ahead_leaves_speak_as_it_was(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    from audiobrief.voice import briefing as briefing_voice

    def full_disk(*_args: object, **_kwargs: object) -> object:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(briefing_voice, "render", full_disk)
    settings = Settings(
        voices_dir=REPO / "voices", output_dir=tmp_path / "out", cache_dir=tmp_path / "cache"
    )
    with caplog.at_level("WARNING"):
        (episode,) = pipeline.speak([str(RAIN)], pipeline.Run(settings, MORNING))

    assert episode.mp3_path.is_file()
    assert "greeting was not rendered ahead" in caplog.text
