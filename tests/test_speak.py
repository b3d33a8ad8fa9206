"""`audiobrief speak` end to end with the real offline voice: MP3, tags, timing, catalog."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner
from mutagen.id3 import ID3
from mutagen.mp3 import MP3

from audiobrief.articles.load import load_article
from audiobrief.cli import cli
from audiobrief.config import Settings
from audiobrief.model import Pauses
from audiobrief.text.script import build_script
from audiobrief.voice import profiles
from audiobrief.voice.factory import front_end
from support import DATA

REPO = Path(__file__).resolve().parents[1]
SHORT = (
    "اجتماع لتعزيز التعاون في جهة فاس مكناس\n\n"
    "ترأست السيدة خديجة الحجوبي اجتماعا يوم 25 شتنبر. وقدمت الحصيلة.\n\n"
    "وأبرزت أن المجال يظل مفتوحا.\n"
)


@pytest.fixture
def article(tmp_path: Path) -> Path:
    shutil.copytree(REPO / "voices", tmp_path / "voices")
    path = tmp_path / "short.txt"
    path.write_text(SHORT, encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def spoken_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """SHORT spoken once by the CLI (its MP3 and what it printed), for the checks that
    only read what it wrote."""
    root = tmp_path_factory.mktemp("spoken")
    shutil.copytree(REPO / "voices", root / "voices")
    (root / "short.txt").write_text(SHORT, encoding="utf-8")
    with pytest.MonkeyPatch.context() as patch:  # what conftest's _in_tmp_path does per test
        patch.chdir(root)
        patch.setenv("XDG_CACHE_HOME", str(root / "xdg-cache"))
        patch.setattr(profiles, "BUILTIN_VOICES", root / "no-builtin-voices")
        for name in [n for n in os.environ if n.startswith("AUDIOBRIEF_")]:
            patch.delenv(name)
        result = CliRunner().invoke(cli, ["speak", "short.txt", "-o", "out"])
    assert result.exit_code == 0, result.output
    (mp3,) = (root / "out").rglob("*.mp3")
    return mp3, result.output


@pytest.fixture
def spoken(spoken_run: tuple[Path, str]) -> Path:
    return spoken_run[0]


def test_speak_prints_file_duration_and_sentences(spoken_run: tuple[Path, str]) -> None:
    line = spoken_run[1].strip()
    assert line.startswith("out/")
    assert line.endswith("4 sentences)")
    assert "/articles/short.mp3 (" in line


def test_mp3_is_64_kbps_mono(spoken: Path) -> None:
    info = MP3(spoken).info
    assert (info.bitrate, info.channels) == (64000, 1)
    assert 4 < info.length < 60


def test_every_id3_frame_is_written_as_v2_3(spoken: Path) -> None:
    tags = ID3(spoken, translate=False)  # keep v2.3 TYER/TDAT as written
    assert tags.version == (2, 3, 0)
    for frame in (
        "TIT2",
        "TPE1",
        "TALB",
        "TYER",
        "TDAT",
        "TLAN",
        "TCON",
        "TLEN",
        "PCST",
        "TGID",
        "WFED",
    ):
        assert tags.getall(frame), frame
    assert "اجتماع لتعزيز التعاون" in str(tags["TIT2"])
    assert str(tags["TLAN"]) == "ara"
    assert str(tags["TCON"]) == "Podcast"
    (lyrics,) = tags.getall("USLT")
    assert "وأبرزت أن المجال يظل مفتوحا." in lyrics.text
    (cover,) = tags.getall("APIC")
    assert cover.type == 3
    assert cover.data.startswith(b"\x89PNG")
    assert tags.getall("COMM")
    assert len(tags.getall("CHAP")) == 1
    assert len(tags.getall("CTOC")) == 1


def test_timeline_matches_the_real_duration(spoken: Path) -> None:
    tlen_ms = int(str(ID3(spoken)["TLEN"]))
    assert abs(MP3(spoken).info.length * 1000 - tlen_ms) <= 50


def test_side_files_and_feeds_are_written(spoken: Path) -> None:
    stem = spoken.with_suffix("")
    for suffix in (".vtt", ".srt", ".chapters.json", ".html"):
        assert Path(f"{stem}{suffix}").is_file(), suffix
    out = next(folder for folder in spoken.parents if folder.name == "out")
    for name in ("articles.xml", "feed.xml", "index.html", "catalog.sqlite"):
        assert (out / name).is_file(), name


def test_the_seed_s_script_never_says_its_noise() -> None:
    # The script is what the voice says and the captions show: no audio needed to check it.
    article = load_article(str(DATA / "seed_article.txt"))
    settings = Settings(voices_dir=REPO / "voices")
    script = build_script(article, normalize=front_end(settings), diacritize=None, pauses=Pauses())
    segments = [seg for section in script.sections for seg in section.segments]
    written = " ".join(seg.written for seg in segments)
    spoken = " ".join(seg.spoken for seg in segments)
    assert "الحجوبي" in written
    for noise in ("666", "اترك رد", "لن يتم نشر عنوان بريدك", "ستمئة وستة وستين"):
        assert noise not in written
        assert noise not in spoken


def _news(folder: str, title: str) -> str:
    Path(folder).mkdir(exist_ok=True)
    path = Path(folder) / "news.txt"
    path.write_text(f"{title}\n\nقال المسؤول إن العمل مستمر.\n", encoding="utf-8")
    return str(path)


def test_two_articles_with_one_file_name_stay_two_episodes(article: Path) -> None:
    first, second = _news("a", "الخبر الأول عن المدينة"), _news("b", "الخبر الثاني عن الجهة")
    result = CliRunner().invoke(cli, ["speak", first, second, "-o", "out"])
    assert result.exit_code == 0, result.output
    lines = result.output.strip().splitlines()
    assert lines[-1] == "2 spoken, 0 failed"
    paths = [line.split(" (")[0] for line in lines[:-1]]
    assert len(set(paths)) == 2
    titles = sorted(str(ID3(p)["TIT2"]) for p in paths)
    assert titles[0].startswith("الخبر الأول")
    assert titles[1].startswith("الخبر الثاني")
    again = CliRunner().invoke(cli, ["speak", second, "-o", "out"])
    assert again.output.split(" (")[0] == paths[1]  # the same episode, not a third one
    assert len(list(Path("out").rglob("news*.mp3"))) == 2
