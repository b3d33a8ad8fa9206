"""The briefing's depth: headlines, ledes or whole stories, and links to the full episodes."""

from __future__ import annotations

import datetime as dt
import json
import random
import shutil
from dataclasses import replace
from pathlib import Path

import pytest
from lxml import html as lxml_html
from mutagen.id3 import ID3

from audiobrief import engines, pipeline, reuse
from audiobrief.articles import load_article
from audiobrief.audio import master
from audiobrief.audio.mp3join import read_stream, silence_mp3
from audiobrief.config import Settings, settings_from_mapping
from audiobrief.errors import ConfigError
from audiobrief.model import Article, ArticleMeta, Episode, Pauses, Script, Timeline
from audiobrief.publish import made_by
from audiobrief.text import build_script, spoken_opening
from audiobrief.text.briefing import LEDE_WORDS, POINTER, shortened
from audiobrief.text.diacritize import strip_marks
from audiobrief.text.normalize import normalize
from audiobrief.voice import briefing as briefing_voice
from audiobrief.voice import profiles
from support import CORPUS, FakeEngine, needs_corpus

DAY = dt.date(2026, 11, 28)
MORNING = dt.datetime(2026, 11, 28, 8, 0, tzinfo=dt.UTC)
FAKE_VOICE = 'engine = "fake"\ndiacritize = false\n'
BASE = "http://127.0.0.1:8000/"
VOCABULARY = (
    "الحكومة الوزير المدينة الجهة المشروع السكان المجلس البرلمان الميزانية الطريق "
    "المستشفى المدرسة الشركة السوق الأمطار الموسم الفلاحين الطلبة الملعب الفريق "
    "أعلن أكد قال أوضح افتتح قرر ناقش أطلق دعا استقبل جديد كبير مهم واسع سريع"
)
WORDS = VOCABULARY.split()


def _sentence(rng: random.Random, words: int) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(words)) + "."


def _article_file(folder: Path, index: int, paragraphs: int = 20) -> Path:
    """An article the size of a real one: 20 paragraphs of three sentences, ~800 words."""
    rng = random.Random(index)
    body = "\n\n".join(
        " ".join(_sentence(rng, rng.randint(11, 16)) for _ in range(3)) for _ in range(paragraphs)
    )
    path = folder / f"story{index}.md"
    path.write_text(
        f"---\ntitle: {_sentence(rng, 6)[:-1]}\n"
        f"url: https://news.example.org/2026/11/28/story-{index}/\n---\n\n{body}\n",
        encoding="utf-8",
    )
    return path


def _fake_settings(root: Path) -> Settings:
    (root / "voices").mkdir()
    (root / "voices" / "fake.toml").write_text(FAKE_VOICE, encoding="utf-8")
    # No loudness pass: it only scales samples and the fake voice speaks silence.
    return Settings(
        voices_dir=root / "voices", voice="fake", output_dir=root / "out",
        cache_dir=root / "cache", normalize_loudness=False, base_url=BASE,
        sample_rate_hz=8000,
    )  # fmt: skip


def _fake_engine() -> FakeEngine:
    # About eSpeak NG's Arabic pace (~14 characters a second), so that speech and pauses
    # weigh what they weigh in a real episode; 8 kHz keeps the MP3 encoding quick.
    return FakeEngine(ms_per_char=70, sample_rate_hz=8000)


@pytest.fixture
def fake(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Settings:
    engine = _fake_engine()
    monkeypatch.setitem(engines._extra, "fake", lambda **_: engine)
    return _fake_settings(tmp_path)


@pytest.fixture(scope="module")
def spoken_days(tmp_path_factory: pytest.TempPathFactory) -> dict[int, tuple[Path, list[Episode]]]:
    """Days of 3 and of 10 real-size articles, spoken once for the tests that brief them
    (speaking is most of this module's time): the first three are spoken, kept as the
    day of 3, then seven more a minute later. A test copies a day's output folder and
    cache, so its briefings find what its own speak run would have left."""
    days: dict[int, tuple[Path, list[Episode]]] = {}
    root = tmp_path_factory.mktemp("day")
    settings = _fake_settings(root)
    (root / "articles").mkdir()
    sources = [str(_article_file(root / "articles", i)) for i in range(10)]
    with pytest.MonkeyPatch.context() as patch:
        engine = _fake_engine()
        patch.setitem(engines._extra, "fake", lambda **_: engine)
        # As conftest's per-test fixture does: no built-in lexicon, here as in the tests.
        patch.setattr(profiles, "BUILTIN_VOICES", root / "no-builtin-voices")
        patch.chdir(root)
        first = pipeline.speak(sources[:3], pipeline.Run(settings, MORNING))
        three = tmp_path_factory.mktemp("day-of-3")
        for name in ("out", "cache"):
            shutil.copytree(root / name, three / name)
        days[3] = three, [_moved(e, root / "out", three / "out") for e in first]
        later = MORNING + dt.timedelta(minutes=1)
        days[10] = root, first + pipeline.speak(sources[3:], pipeline.Run(settings, later))
    return days


def _moved(episode: Episode, old: Path, new: Path) -> Episode:
    """*episode* with its files' paths in the copy *new* of its output folder *old*."""
    return replace(
        episode,
        mp3_path=new / episode.mp3_path.relative_to(old),
        files=tuple(new / f.relative_to(old) for f in episode.files),
    )


def _day(
    settings: Settings, count: int, spoken_days: dict[int, tuple[Path, list[Episode]]]
) -> list[Episode]:
    """The articles of a spoken day of *count* (3 or 10), published in *settings*' folder."""
    root, episodes = spoken_days[count]
    shutil.copytree(root / "out", settings.output_dir)
    shutil.copytree(root / "cache", settings.cache_dir or root / "unused")
    return [_moved(episode, root / "out", settings.output_dir) for episode in episodes]


def _brief(settings: Settings, **changes: object) -> Episode:
    run = pipeline.Run(replace(settings, **changes), MORNING + dt.timedelta(hours=9))
    return pipeline.brief(run, day=DAY)


def _page_url(settings: Settings, episode: Episode) -> str:
    return BASE + episode.mp3_path.with_suffix(".html").relative_to(settings.output_dir).as_posix()


# --- the text stage


def _article(*paragraphs: str) -> Article:
    return Article("عنوان الخبر", paragraphs, ArticleMeta(source="a.md"))


def test_headline_keeps_no_body_and_full_keeps_everything() -> None:
    article = _article("الفقرة الأولى.", "الفقرة الثانية.")
    assert shortened(article, "headline").paragraphs == ()
    assert shortened(article, "full") == article


def test_the_lede_is_the_opening_paragraph_when_it_is_short() -> None:
    opening = (
        "افتتحت المدينة صباح اليوم سوقا أسبوعيا جديدا. "
        "ويضم السوق الجديد مئة وعشرين محلا للتجار الصغار."
    )
    article = _article(opening, "فقرة لا تقرأ.")
    assert shortened(article, "lede").paragraphs == (opening,)


def test_a_long_opening_paragraph_is_cut_after_whole_sentences_within_the_budget() -> None:
    first = " ".join(["كلمة"] * 30) + "."
    second = " ".join(["أخرى"] * 25) + "."
    third = " ".join(["ثالثة"] * 10) + "."
    (lede,) = shortened(_article(f"{first} {second} {third}"), "lede").paragraphs
    assert lede == f"{first} {second}"
    assert len(lede.split()) <= LEDE_WORDS


def test_a_dateline_alone_runs_on_into_the_next_paragraph() -> None:
    second = (
        "أعلنت الوزارة اليوم عن برنامج جديد لدعم الفلاحين الصغار في الجهة الشرقية بعد موسم جاف."
    )
    article = _article("الرباط - متابعة", second, "فقرة ثالثة لا تقرأ.")
    assert shortened(article, "lede").paragraphs == ("الرباط - متابعة", second)


def test_an_opening_sentence_longer_than_the_budget_is_read_whole() -> None:
    long = " ".join(["كلمة"] * (LEDE_WORDS + 20)) + "."
    (lede,) = shortened(_article(f"{long} جملة لا تقرأ."), "lede").paragraphs
    assert lede == long


def test_the_depth_is_checked_with_the_other_settings() -> None:
    assert settings_from_mapping({}, origin="test").briefing_depth == "lede"
    with pytest.raises(ConfigError, match="briefing_depth"):
        settings_from_mapping({"briefing_depth": "summary"}, origin="test")


# --- a day of ten real-size stories


def test_a_ten_story_day_at_lede_is_well_under_a_tenth_of_full(
    fake: Settings, spoken_days: dict[int, tuple[Path, list[Episode]]]
) -> None:
    _day(fake, 10, spoken_days)
    full = _brief(fake, briefing_depth="full").duration_ms
    lede = _brief(fake, briefing_depth="lede").duration_ms
    headline = _brief(fake, briefing_depth="headline").duration_ms
    assert headline < lede < full / 10, (headline, lede, full)


def test_a_part_said_again_and_again_is_rendered_once_a_briefing(
    fake: Settings,
    spoken_days: dict[int, tuple[Path, list[Episode]]],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _day(fake, 3, spoken_days)
    rendered: list[Script] = []
    real = briefing_voice.render

    def counting(script: Script, *args: object, **kwargs: object) -> object:
        rendered.append(script)
        return real(script, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(briefing_voice, "render", counting)
    episode = _brief(fake)
    # The intro's greeting and its count of stories (two parts, see render_greeting),
    # three announcements, the outro, and the pointer after each story once.
    pointers = [s for s in rendered if s.sections[0].title == strip_marks(POINTER)]
    assert (len(rendered), len(pointers)) == (7, 1)
    stories = episode.script.sections[1:-1]
    assert all(sec.segments[-1].written == strip_marks(POINTER) for sec in stories)


def test_each_story_links_its_full_episode_in_json_id3_and_the_page(
    fake: Settings, spoken_days: dict[int, tuple[Path, list[Episode]]]
) -> None:
    articles = _day(fake, 3, spoken_days)
    episode = _brief(fake)
    pages = [_page_url(fake, article) for article in articles]
    story_urls = [c.url for c in episode.timeline.chapters[1:-1]]
    assert story_urls == pages

    stem = str(episode.mp3_path.with_suffix(""))
    document = json.loads(Path(stem + ".chapters.json").read_bytes())
    assert [c.get("url") for c in document["chapters"]] == [None, *pages, None]
    tags = ID3(episode.mp3_path)
    chaps = sorted(tags.getall("CHAP"), key=lambda chap: chap.start_time)
    wxxx = [c.sub_frames["WXXX:"].url if "WXXX:" in c.sub_frames else None for c in chaps]
    assert wxxx == [None, *pages, None]
    tree = lxml_html.fromstring(Path(stem + ".html").read_bytes())
    links = tree.xpath('//div[@class="part"]/p[@class="source"]/a/@href')
    assert links == pages
    # Each link leads to a page that exists: the article's own episode page.
    for page in pages:
        assert (fake.output_dir / page.removeprefix(BASE)).is_file()


def test_each_shortened_story_ends_by_pointing_to_the_full_episode(
    fake: Settings, spoken_days: dict[int, tuple[Path, list[Episode]]]
) -> None:
    _day(fake, 3, spoken_days)
    episode = _brief(fake)
    for section in episode.script.sections[1:-1]:
        assert section.segments[-1].written == strip_marks(POINTER)
        assert section.segments[-1].paragraph > section.segments[-2].paragraph
    full = _brief(fake, briefing_depth="full")
    assert all(strip_marks(POINTER) not in [s.written for s in sec.segments]
               for sec in full.script.sections)  # fmt: skip


def test_files_never_spoken_keep_their_source_link_and_no_pointer(fake: Settings) -> None:
    folder = fake.output_dir.parent / "articles"
    folder.mkdir()
    source = _article_file(folder, 7)
    run = pipeline.Run(fake, MORNING)
    episode = pipeline.brief(run, day=DAY, sources=[str(source)])
    (story,) = episode.script.sections[1:-1]
    assert story.url == "https://news.example.org/2026/11/28/story-7/"
    assert story.segments[-1].written != strip_marks(POINTER)


def test_briefing_max_stories_keeps_the_first_in_order_and_counts_them(
    fake: Settings, spoken_days: dict[int, tuple[Path, list[Episode]]]
) -> None:
    articles = _day(fake, 10, spoken_days)
    episode = _brief(fake, briefing_max_stories=3)
    titles = [c.title for c in episode.timeline.chapters[1:-1]]
    assert titles == [a.script.title for a in articles[:3]]
    assert episode.script.sections[0].segments[1].written == "في هذا الموجز ثلاثة أخبار."


# --- what a briefing takes from the articles' episodes


_OPENINGS = (
    ("الفقرة الأولى.", "الفقرة الثانية."),
    ("الرباط - متابعة", "أعلنت الوزارة اليوم عن برنامج جديد لدعم الفلاحين. وقال الوزير إنه مهم."),
    (" ".join(["كلمة"] * 30) + ". " + " ".join(["أخرى"] * 25) + ". ثالثة وأخيرة.", "لا تقرأ."),
    (" ".join(["كلمة"] * (LEDE_WORDS + 20)) + ". جملة لا تقرأ، ولا هذه.",),
    ("متابعة", "في 12 مارس 2025 افتتح الملعب بكلفة 200 مليون درهم، وحضر 4500 متفرج."),
)


@pytest.mark.parametrize("depth", ["headline", "lede", "full"])
@pytest.mark.parametrize("paragraphs", _OPENINGS)
def test_the_opening_cut_from_an_episode_s_script_is_what_its_text_would_say(
    paragraphs: tuple[str, ...], depth: str
) -> None:
    # A briefing reads a spoken story from its episode's script, not through the text
    # stage again: the opening it cuts must be the one the text stage makes of the lede.
    options = {"normalize": normalize, "diacritize": None, "pauses": Pauses(100, 400, 700, 1300)}
    article = _article(*paragraphs)
    whole = build_script(article, **options)
    cut = spoken_opening(whole, article, depth, options["pauses"])
    assert cut == build_script(shortened(article, depth), **options)


@needs_corpus
@pytest.mark.parametrize(
    "name", sorted(p.name for p in CORPUS.glob("*") if p.suffix in (".txt", ".html"))
)
def test_each_corpus_article_s_opening_cut_from_its_script_is_its_lede_s_script(
    name: str,
) -> None:
    options = {"normalize": normalize, "diacritize": None, "pauses": Pauses()}
    article = load_article(str(CORPUS / name))
    whole = build_script(article, **options)
    for depth in ("headline", "lede"):
        cut = spoken_opening(whole, article, depth, options["pauses"])
        assert cut == build_script(shortened(article, depth), **options), depth


def test_no_opening_is_cut_by_an_article_that_lacks_sentences_its_script_numbers() -> None:
    # An article rebuilt from an old catalog's script lacks the sentences that said
    # nothing (here "--"): counted on it, the cut would fall a sentence early.
    options = {"normalize": normalize, "diacritize": None, "pauses": Pauses()}
    spoken = _article("الرباط - متابعة", "--", "أعلنت الوزارة برنامجا جديدا. وقال الوزير إنه مهم.")
    script = build_script(spoken, **options)
    assert [s.sentence for s in script.sections[0].segments] == [0, 1, 3, 4]
    rebuilt = _article("الرباط - متابعة", "أعلنت الوزارة برنامجا جديدا. وقال الوزير إنه مهم.")
    assert spoken_opening(script, rebuilt, "lede", options["pauses"]) is None
    assert spoken_opening(script, spoken, "lede", options["pauses"]) is not None


def test_a_day_s_briefing_runs_no_text_stage_for_the_stories_spoken_that_day(
    fake: Settings,
    spoken_days: dict[int, tuple[Path, list[Episode]]],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    articles = _day(fake, 3, spoken_days)

    def no_text(*args: object, **kwargs: object) -> Script:
        raise AssertionError("a spoken story went through the text stage again")

    monkeypatch.setattr(reuse, "build_script", no_text)
    episode = _brief(fake)
    for section, article in zip(episode.script.sections[1:-1], articles, strict=True):
        said = [s.written for s in section.segments[1:-1]]  # between announcement and pointer
        assert said == [s.written for s in article.script.sections[0].segments[: len(said)]]


def test_the_pointer_is_rendered_once_whichever_story_it_ends(
    fake: Settings,
    spoken_days: dict[int, tuple[Path, list[Episode]]],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _day(fake, 3, spoken_days)
    rendered: list[tuple[str, ...]] = []
    real_master = master.master

    def counting(pcm_path: Path, timeline: Timeline, *args: object, **kwargs: object) -> None:
        rendered.append(tuple(cue.written for cue in timeline.cues))
        real_master(pcm_path, timeline, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(master, "master", counting)
    episode = _brief(fake)
    assert rendered.count((strip_marks(POINTER),)) == 1, rendered
    # Each story's pointer is still heard, and numbered, where its script has it.
    for index, section in enumerate(episode.script.sections[1:-1], 1):
        pointer = section.segments[-1]
        (cue,) = [
            c for c in episode.timeline.cues if c.section == index and c.written == pointer.written
        ]
        assert (cue.paragraph, cue.sentence) == (pointer.paragraph, pointer.sentence)
    assert _brief(fake).mp3_path.read_bytes() == episode.mp3_path.read_bytes()


@pytest.mark.parametrize("rate", [8000, 16000, 22050, 24000])
def test_each_pause_between_parts_is_as_long_as_its_own_silent_stream(
    tmp_path: Path, rate: int
) -> None:
    # The join takes each pause from the first frames of one silent stream: as many as
    # encoding that pause alone would give, so the chapters after it keep their times.
    audio = replace(Settings(), sample_rate_hz=rate).audio
    pauses = briefing_voice._Pauses(tmp_path, audio)
    for ms in (1, 25, 26, 27, 100, 499, 500, 900, 1499, 2999, 3000, 4321):
        alone = silence_mp3(
            tmp_path / f"alone-{ms}.mp3", ms=ms, sample_rate_hz=rate, channels=1,
            bitrate_kbps=audio.bitrate_kbps,
        )  # fmt: skip
        stream = read_stream(
            alone, sample_rate_hz=rate, channels=1, bitrate_kbps=audio.bitrate_kbps
        )
        part = pauses.part(0, ms)
        assert part.frames == stream.frames, ms


def test_a_lexicon_entry_added_after_speak_is_heard_in_the_briefing_s_ledes(
    fake: Settings,
    spoken_days: dict[int, tuple[Path, list[Episode]]],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The episode's script and audio are reused only while the front end would say the
    # same: a new lexicon entry for a word of a lede makes the lede say it the new way.
    articles = _day(fake, 3, spoken_days)
    word = articles[0].script.sections[0].segments[0].written.split()[0].rstrip(".")
    assert word in WORDS
    respelled = word + "ي"
    (fake.voices_dir / "lexicon.tsv").write_text(f"{word}\t{respelled}\n", encoding="utf-8")
    engine = _fake_engine()
    monkeypatch.setitem(engines._extra, "fake", lambda **_: engine)

    episode = _brief(fake)

    heading = episode.script.sections[1].segments[1]  # after the story's announcement
    assert respelled in heading.spoken.split()
    assert any(respelled in call.split() for call in engine.calls)


def test_a_story_spoken_with_other_voice_options_is_spoken_again_in_the_briefing(
    fake: Settings,
    spoken_days: dict[int, tuple[Path, list[Episode]]],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The same text in another voice (here its rate): the published MP3 says it the old
    # way, and its tag says what made it; the briefing speaks the story again.
    articles = _day(fake, 3, spoken_days)
    assert made_by(articles[0].mp3_path)
    voice = fake.voices_dir / "fake.toml"
    voice.write_text(FAKE_VOICE + "\n[options]\nrate = 2\n", encoding="utf-8")
    engine = _fake_engine()
    monkeypatch.setitem(engines._extra, "fake", lambda **_: engine)

    episode = _brief(fake)

    for story in episode.script.sections[1:-1]:
        assert story.segments[1].spoken in engine.calls  # its heading, in the new voice
