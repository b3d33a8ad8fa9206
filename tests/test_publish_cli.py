"""Feeds through the CLI with the real offline voice: re-runs, re-renders, pruning, bad input.

One short article is spoken and briefed once per session (about 10 s: real eSpeak NG,
diacritizer and MP3 encoding); each test works on a copy of that output and shares its
synthesis cache, so re-speaking costs no synthesis.
"""

from __future__ import annotations

import datetime as dt
import io
import os
import re
import shutil
from calendar import timegm
from collections.abc import Callable
from pathlib import Path

import feedparser
import podcastparser
import pytest
from click.testing import CliRunner, Result

from audiobrief.cli import cli
from audiobrief.publish.catalog import open_catalog
from publish_fixtures import png_cover
from state_support import Clock, freeze

REPO = Path(__file__).resolve().parents[1]
BASE_URL = "http://127.0.0.1:8000/"  # the default base_url
NOW = dt.datetime(2026, 11, 28, 9, 30, tzinfo=dt.UTC)
BRIEFED = NOW + dt.timedelta(minutes=10)
SHORT = "اجتماع في فاس\n\nترأست السيدة خديجة اجتماعا. وقدمت الحصيلة.\n"
FEEDS = ("feed.xml", "articles.xml")
BAD_BASE_URL = "example.org/audio"


_freeze = freeze


def _ok(args: list[str]) -> Result:
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.output
    return result


def _error(args: list[str]) -> str:
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    (line,) = result.output.strip().splitlines()
    assert line.startswith("Error: ")
    return line


@pytest.fixture(scope="session")
def published(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder with voices/, short.txt and out/: the article spoken at NOW, then briefed."""
    root = tmp_path_factory.mktemp("published")
    shutil.copytree(REPO / "voices", root / "voices")
    (root / "short.txt").write_text(SHORT, encoding="utf-8")
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(root)
        for name in [n for n in os.environ if n.startswith("AUDIOBRIEF_")]:
            patch.delenv(name)
        patch.setenv("AUDIOBRIEF_CACHE_DIR", str(root / "cache"))
        clock = _freeze(patch, NOW)
        _ok(["speak", "short.txt", "-o", "out"])
        clock.now = BRIEFED
        _ok(["brief", "-o", "out"])
    return root


@pytest.fixture
def clock(published: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Clock:
    """A copy of the published folder as the working folder; the clock is an hour later."""
    for name in ("voices", "out"):
        shutil.copytree(published / name, tmp_path / name)
    shutil.copy2(published / "short.txt", tmp_path / "short.txt")
    monkeypatch.setenv("AUDIOBRIEF_CACHE_DIR", str(published / "cache"))
    return _freeze(monkeypatch, NOW + dt.timedelta(hours=1))


def _files(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in folder.rglob("*") if p.is_file()}


def _items(name: str) -> list[tuple[str, str, int, int]]:
    """(guid, enclosure URL, length, pubDate) of each item, as both parsers read them."""
    data = (Path("out") / name).read_bytes()
    gpodder = podcastparser.parse(BASE_URL + name, io.BytesIO(data))["episodes"]
    seen = [
        (e["guid"], e["enclosures"][0]["url"], e["enclosures"][0]["file_size"], e["published"])
        for e in gpodder
    ]
    entries = feedparser.parse(data).entries
    assert [
        (e.id, e.enclosures[0].href, int(e.enclosures[0].length), timegm(e.published_parsed))
        for e in entries
    ] == seen
    return seen


def _mp3s() -> list[str]:
    return sorted(str(p) for p in Path("out").rglob("*.mp3"))


# --- re-runs and re-renders -----------------------------------------------------------------


def test_speaking_the_same_article_again_keeps_one_episode_with_the_same_enclosure(
    clock: Clock,
) -> None:
    (before,) = _items("articles.xml")
    (briefing,) = _items("feed.xml")
    mp3s = _mp3s()
    _ok(["speak", "short.txt", "-o", "out"])
    assert _items("articles.xml") == [before]
    assert _items("feed.xml") == [briefing]
    assert _mp3s() == mp3s
    _guid, url, length, published = before
    assert published == NOW.timestamp()  # the first publication time is kept
    assert not url.endswith("?v=2")  # unchanged audio keeps its enclosure URL
    assert (Path("out") / url.removeprefix(BASE_URL)).stat().st_size == length


def test_editing_a_file_article_s_body_keeps_its_guid(clock: Clock) -> None:
    # A correction to the text is the same story: apps must not see a new episode.
    (before,) = _items("articles.xml")
    Path("short.txt").write_text(SHORT.replace("الحصيلة", "الحصيلة السنوية"), encoding="utf-8")
    _ok(["speak", "short.txt", "-o", "out"])
    (after,) = _items("articles.xml")
    assert after[0] == before[0]
    assert after[1] != before[1]  # new audio, so a new enclosure URL for the apps to fetch


def test_feed_rerenders_the_same_bytes_when_now_is_the_same(clock: Clock) -> None:
    clock.now = BRIEFED  # the time of the last render, by `brief`
    before = _files(Path("out"))
    assert "wrote" in _ok(["feed", "-o", "out"]).output
    assert _files(Path("out")) == before


def test_later_feed_run_changes_only_the_build_date(clock: Clock) -> None:
    before = _files(Path("out"))
    _ok(["feed", "-o", "out"])
    after = _files(Path("out"))
    assert sorted(after) == sorted(before)
    changed = sorted(name for name in after if after[name] != before[name])
    assert changed == ["articles.xml", "feed.xml", "index.html"]
    build_date = re.compile(rb"<lastBuildDate>[^<]*</lastBuildDate>")
    for name in FEEDS:
        assert build_date.sub(b"", after[name]) == build_date.sub(b"", before[name])
    assert b"<lastBuildDate>Sat, 28 Nov 2026 10:30:00 GMT</lastBuildDate>" in after["feed.xml"]


def test_prune_files_keeps_the_files_the_archive_links(clock: Clock) -> None:
    shutil.copy(Path("short.txt"), Path("second.txt"))
    _ok(["speak", "second.txt", "-o", "out"])
    with open_catalog(Path("out/catalog.sqlite")) as catalog:
        old, new = sorted(catalog.episodes("article"), key=lambda r: r.published)
    env = {"AUDIOBRIEF_FEED_KEEP": "1"}

    result = CliRunner().invoke(cli, ["feed", "--prune-files", "-o", "out"], env=env)
    assert result.exit_code == 0, result.output
    assert "--prune-files deletes nothing any more" in result.output
    assert [item[0] for item in _items("articles.xml")] == [new.guid]
    assert all((Path("out") / f).is_file() for f in [old.mp3, *old.files.values()])
    archive = (Path("out") / "archive" / "articles-1.html").read_text(encoding="utf-8")
    assert Path(old.files["html"]).name in archive  # still listed, so still there


# --- bad input: one Error line with the fix, and the published output stays as it was -------

COMMANDS = {
    "speak": ["speak", "short.txt", "-o", "out"],
    "brief": ["brief", "-o", "out"],
    "feed": ["feed", "-o", "out"],
}


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_base_url_that_is_not_absolute_http_changes_nothing(clock: Clock, command: str) -> None:
    before = _files(Path("out"))
    line = _error([*COMMANDS[command], "--base-url", BAD_BASE_URL])
    assert f"base_url = {BAD_BASE_URL!r} is not an absolute http(s) URL" in line
    assert "e.g. https://news.example.org/audio/" in line
    assert _files(Path("out")) == before


def test_base_url_is_refused_before_a_new_folder_is_made(clock: Clock) -> None:
    _error(["speak", "short.txt", "-o", "new", "--base-url", "ftp://example.org/"])
    assert not Path("new").exists()


@pytest.mark.parametrize(
    ("command", "width_px", "height_px", "problem"),
    [
        ("feed", 1400, 1000, "is 1400x1000 px, not square"),
        ("feed", 100, 100, "is 100x100 px"),
        ("speak", 1400, 1000, "is 1400x1000 px, not square"),
        ("brief", 100, 100, "is 100x100 px"),
    ],
)
def test_bad_cover_changes_nothing(
    clock: Clock, command: str, width_px: int, height_px: int, problem: str
) -> None:
    png_cover(Path("cover.png"), width_px, height_px=height_px)
    before = _files(Path("out"))
    result = CliRunner().invoke(cli, COMMANDS[command], env={"AUDIOBRIEF_COVER": "cover.png"})
    assert result.exit_code == 1, result.output
    (line,) = result.output.strip().splitlines()
    assert line.startswith(f"Error: cover cover.png {problem}")
    assert "square RGB JPEG or PNG of 1400 to 3000 px" in line
    assert _files(Path("out")) == before


def test_bad_cover_is_refused_before_anything_is_written(clock: Clock) -> None:
    png_cover(Path("cover.png"), 1400, height_px=1000)
    result = CliRunner().invoke(
        cli, ["speak", "short.txt", "-o", "new"], env={"AUDIOBRIEF_COVER": "cover.png"}
    )
    assert result.exit_code == 1
    assert not Path("new").exists()


def test_prune_with_a_bad_cover_deletes_nothing(clock: Clock) -> None:
    shutil.copy(Path("short.txt"), Path("second.txt"))
    _ok(["speak", "second.txt", "-o", "out"])
    png_cover(Path("cover.png"), 100)
    before = _files(Path("out"))
    env = {"AUDIOBRIEF_FEED_KEEP": "1", "AUDIOBRIEF_COVER": "cover.png"}
    result = CliRunner().invoke(cli, ["feed", "--prune-files", "-o", "out"], env=env)
    assert result.exit_code == 1
    assert _files(Path("out")) == before


@pytest.mark.parametrize("command", ["speak", "feed"])
def test_output_folder_below_a_file_is_one_error_line(clock: Clock, command: str) -> None:
    Path("somefile").write_text("not a folder", encoding="utf-8")
    args = [a if a != "out" else "somefile/out" for a in COMMANDS[command]]
    line = _error(args)
    assert "cannot create the output folder somefile/out (Not a directory)" in line
    assert "pass a writable folder with -o" in line
    assert Path("somefile").read_text(encoding="utf-8") == "not a folder"


def test_unwritable_day_folder_keeps_the_feeds_and_adds_no_episode(clock: Clock) -> None:
    clock.now = dt.datetime(2027, 1, 1, 9, 0, tzinfo=dt.UTC)
    Path("out/2027").write_text("in the way", encoding="utf-8")  # out/2027/01/01 cannot exist
    shutil.copy(Path("short.txt"), Path("second.txt"))
    before = _files(Path("out"))
    line = _error(["speak", "second.txt", "-o", "out"])
    assert "cannot create out/2027/01/01/articles (Not a directory)" in line
    assert "writable -o folder" in line
    after = _files(Path("out"))
    assert {k: v for k, v in after.items() if k != "catalog.sqlite"} == {
        k: v for k, v in before.items() if k != "catalog.sqlite"
    }
    with open_catalog(Path("out/catalog.sqlite")) as catalog:
        assert len(catalog.episodes()) == 2  # the first article and the briefing


def _garbage(path: Path) -> None:
    path.write_bytes(b"this is not a database\n" * 200)


def _damaged_pages(path: Path) -> None:
    """Keep the header and schema page; overwrite every table page (4096-byte pages)."""
    data = path.read_bytes()
    path.write_bytes(data[:4096] + b"\xa5" * (len(data) - 4096))


@pytest.mark.parametrize("damage", [_garbage, _damaged_pages], ids=["garbage", "damaged-pages"])
@pytest.mark.parametrize("command", ["speak", "feed"])
def test_corrupt_catalog_is_one_error_line_and_nothing_changes(
    clock: Clock, command: str, damage: Callable[[Path], None]
) -> None:
    damage(Path("out/catalog.sqlite"))
    before = _files(Path("out"))
    line = _error(COMMANDS[command])
    assert "out/catalog.sqlite" in line
    assert "restore" in line
    assert (
        "restore catalog.sqlite from your backup" in line or "restore it from your backup" in line
    )
    assert _files(Path("out")) == before
