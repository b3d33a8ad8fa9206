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

from audiobrief import engines, pipeline
from audiobrief.config import Settings, settings_from_mapping
from audiobrief.errors import ConfigError
from audiobrief.model import Article, ArticleMeta, Episode
from audiobrief.text.briefing import LEDE_WORDS, POINTER, shortened
from audiobrief.text.diacritize import strip_marks
from support import FakeEngine

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
