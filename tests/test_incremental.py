"""Incremental publishing: a run rewrites its own pages, the touched archive pages, the
index and the feeds, and its output equals a full rebuild's byte for byte."""

from __future__ import annotations

import datetime as dt
import os
import shutil
import xml.etree.ElementTree as ET
from pathlib import Path

import lxml.html
import pytest

from audiobrief.config import Settings
from audiobrief.model import Article, ArticleMeta, Episode
from audiobrief.publish import archive, site
from audiobrief.publish.catalog import Catalog, open_catalog
from audiobrief.publish.publisher import RUNNING, open_publisher
from publish_fixtures import BASE_URL, NOW, mp3_bytes, script_and_timeline
from state_support import freeze, run

OLD_NS = 1_000_000_000_000_000_000
"""A modification time no write can give: a file that still has it was not rewritten."""


@pytest.fixture(autouse=True)
def small_pages(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(archive, "PAGE_SIZE", 3)  # page boundaries with a few episodes


def _settings(out: Path, **overrides: object) -> Settings:
    chosen: dict[str, object] = {"author": "هسبريس", "owner_email": "audio@example.org"}
    return Settings(base_url=BASE_URL, output_dir=out, **{**chosen, **overrides})  # type: ignore[arg-type]


def _speak(
    out: Path, number: int, *, at: dt.datetime, text: str = "", **settings: object
) -> Episode:
    """Publish article *number* through the real Publisher, as `speak` does."""
    title = f"خبر رقم {number}"
    paragraphs = (text or f"هذا نص الخبر رقم {number} كما نشره الموقع.").split("\n")
    url = f"https://news.example.org/story-{number}.html"
    script, timeline = script_and_timeline([(title, paragraphs)], url=url)
    mp3 = out.parent / f"rendered-{number}.mp3"
    mp3.write_bytes(mp3_bytes(300 + 100 * len(text)))
    article = Article(title, tuple(paragraphs), ArticleMeta(source=f"{number}.txt", url=url))
    given = frozenset(settings)  # what this run sets on purpose, as flags would
    with open_publisher(_settings(out, **settings), at, given=given) as publisher:
        return publisher.article(
            article, script, mp3, timeline, title=lambda day: f"{title} ({day})", today=at.date()
        )


def _unpublish(out: Path, episodes: list[Episode], *, at: dt.datetime) -> None:
    with open_publisher(_settings(out), at) as publisher:
        publisher.unpublish([e.info.guid for e in episodes], keep_files=False)


def _site(out: Path, count: int) -> list[Episode]:
    out.mkdir(exist_ok=True)
    return [_speak(out, n, at=NOW + dt.timedelta(minutes=n)) for n in range(count)]


def _age_everything(out: Path) -> None:
    for path in out.rglob("*"):
        if path.is_file():
            os.utime(path, ns=(OLD_NS, OLD_NS))


def _rewritten(out: Path) -> set[str]:
    return {
        p.relative_to(out).as_posix()
        for p in out.rglob("*")
        if p.is_file() and p.stat().st_mtime_ns != OLD_NS and p.name != "catalog.sqlite"
    }


def _files(out: Path) -> dict[str, bytes]:
    return {
        p.relative_to(out).as_posix(): p.read_bytes()
        for p in out.rglob("*")
        if p.is_file() and p.name not in ("catalog.sqlite", ".audiobrief.lock")
    }


def _archive_entries(out: Path) -> list[str]:
    """Every episode page the archive lists, page after page, as paths in the folder."""
    entries = []
    for number in range(1, 100):
        page = out / "archive" / f"articles-{number}.html"
        if not page.is_file():
            break
        root = lxml.html.parse(str(page)).getroot()
        for href in root.xpath("//ol[@class='episodes']/li/a/@href"):
            entries.append((page.parent / href).resolve().relative_to(out.resolve()).as_posix())
    return entries


def _no_full_loads(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("a publish loaded every record of the catalog")

    monkeypatch.setattr(Catalog, "episodes", refuse)


def test_a_publish_rewrites_its_pages_the_newest_archive_page_the_index_and_feeds(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "out"
    _site(out, 7)  # archive pages 1-2 full, page 3 holds one episode
    _age_everything(out)
    _no_full_loads(monkeypatch)
    rendered: list[str] = []
    write = site._write
    monkeypatch.setattr(
        site,
        "_write",
        lambda to, name, html: (rendered.append(name.rsplit("/", 1)[-1]), write(to, name, html)),
    )
    episode = _speak(out, 7, at=NOW + dt.timedelta(hours=1))
    assert sorted(rendered) == sorted(
        ["story-7.html", "story-7.embed.html", "articles-2.html", "articles-3.html", "index.html"]
    )  # page 2 is rendered (it may gain a "newer" link) but unchanged, so not rewritten
    stem = Path(episode.info.slug)
    own = {p.relative_to(out).as_posix() for p in episode.files} | {
        episode.mp3_path.relative_to(out).as_posix()
    }
    embed = next(p for p in own if p.endswith(".html")).replace(".html", ".embed.html")
    assert str(stem) in embed
    assert _rewritten(out) == own | {
        embed,
        "archive/articles-3.html",
        "index.html",
        "feed.xml",
        "articles.xml",
    }


def test_the_page_before_gets_its_newer_link_when_a_page_starts(tmp_path: Path) -> None:
    out = tmp_path / "out"
    _site(out, 6)
    _age_everything(out)
    _speak(out, 6, at=NOW + dt.timedelta(hours=1))
    rewritten = _rewritten(out)
    assert {"archive/articles-2.html", "archive/articles-3.html"} <= rewritten
    assert "archive/articles-1.html" not in rewritten
    page = lxml.html.parse(str(out / "archive" / "articles-2.html")).getroot()
    assert page.xpath("//a[@rel='next']/@href") == ["articles-3.html"]
    assert page.xpath("//a[@rel='prev']/@href") == ["articles-1.html"]


def test_an_update_rewrites_its_own_archive_page_only(tmp_path: Path) -> None:
    out = tmp_path / "out"
    _site(out, 7)
    _age_everything(out)
    _speak(out, 1, at=NOW + dt.timedelta(hours=1), text="نص أطول بعد التصحيح.\nوفقرة ثانية.")
    rewritten = _rewritten(out)
    assert "archive/articles-1.html" in rewritten  # its duration changed
    assert not {"archive/articles-2.html", "archive/articles-3.html"} & rewritten


def test_archive_lists_every_episode_once_and_survives_an_unpublish(tmp_path: Path) -> None:
    out = tmp_path / "out"
    episodes = _site(out, 8)
    pages = [
        p.relative_to(out).as_posix() for e in episodes for p in e.files if p.suffix == ".html"
    ]
    assert _archive_entries(out) == pages
    _unpublish(out, [episodes[1], episodes[4]], at=NOW + dt.timedelta(hours=1))
    kept = [p for i, p in enumerate(pages) if i not in (1, 4)]
    assert _archive_entries(out) == kept
    assert not (out / "archive" / "articles-3.html").exists()  # 6 episodes: two pages
    assert all((out / page).is_file() for page in kept)
    assert not (out / pages[1]).exists()
    assert not (out / pages[1].replace(".html", ".embed.html")).exists()


def test_index_links_every_archive_page(tmp_path: Path) -> None:
    out = tmp_path / "out"
    _site(out, 7)
    index = lxml.html.parse(str(out / "index.html")).getroot()
    links = index.xpath("//nav[@class='pages']//a/@href")
    assert links == [
        "archive/articles-3.html",
        "archive/articles-2.html",
        "archive/articles-1.html",
    ]
    assert all((out / link).is_file() for link in links)
    heading = index.xpath("//nav[@class='pages']/h3")[0]
    assert heading.get("id") == index.xpath("//nav[@class='pages']")[0].get("aria-labelledby")


def test_feed_holds_the_newest_feed_keep_items(tmp_path: Path) -> None:
    assert Settings().feed_keep == 300
    out = tmp_path / "out"
    episodes = _site(out, 4)
    _speak(out, 4, at=NOW + dt.timedelta(hours=1), feed_keep=3)
    with open_catalog(out / "catalog.sqlite") as catalog:
        newest = [r.guid for r in catalog.episodes("article")][:3]
    items = ET.parse(out / "articles.xml").getroot().iter("item")
    assert [item.findtext("guid") for item in items] == newest
    assert episodes[0].info.guid not in newest
    assert episodes[0].mp3_path.is_file()  # past feed_keep, still on the archive pages


def test_rebuild_equals_the_incremental_output_byte_for_byte(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "out"
    episodes = _site(out, 7)
    _speak(out, 2, at=NOW + dt.timedelta(hours=1), text="تصحيح")
    last = NOW + dt.timedelta(hours=2)
    _unpublish(out, [episodes[5]], at=last)
    incremental = _files(out)
    copy = tmp_path / "copy"
    shutil.copytree(out, copy)
    for page in (copy / "archive").iterdir():
        page.unlink()  # a rebuild must make every page again
    monkeypatch.chdir(tmp_path)
    freeze(monkeypatch, last)
    assert "wrote" in run(["feed", "--rebuild", "-o", "copy"]).output
    assert _files(copy) == incremental


def test_a_new_show_title_renders_every_page(tmp_path: Path) -> None:
    out = tmp_path / "out"
    episodes = _site(out, 3)
    _speak(out, 3, at=NOW + dt.timedelta(hours=1), show_title="موجز جديد")
    with open_catalog(out / "catalog.sqlite") as catalog:
        assert catalog.site_value("show_title") == "موجز جديد"
    old_page = next(p for p in episodes[0].files if p.suffix == ".html")
    assert "موجز جديد" in old_page.read_text(encoding="utf-8")


def test_a_run_that_died_before_its_refresh_is_rendered_whole_by_the_next(
    tmp_path: Path,
) -> None:
    out = tmp_path / "out"
    episodes = _site(out, 4)
    lost = next(p for p in episodes[0].files if p.suffix == ".html")
    lost.unlink()  # as if its run was killed after committing, before rendering
    left = lost.with_name(f".{lost.name}.abc123.tmp")
    left.write_text("half a page", encoding="utf-8")
    with open_catalog(out / "catalog.sqlite") as catalog:
        catalog.set_site_value(RUNNING, NOW.isoformat())
    _speak(out, 4, at=NOW + dt.timedelta(hours=1))
    assert lost.is_file()
    assert not left.exists()
    with open_catalog(out / "catalog.sqlite") as catalog:
        assert catalog.site_value(RUNNING) == ""


def test_archive_page_has_the_landmarks_headings_and_links_of_the_other_pages(
    tmp_path: Path,
) -> None:
    out = tmp_path / "out"
    _site(out, 4)
    page = lxml.html.parse(str(out / "archive" / "articles-2.html")).getroot()
    assert (page.get("lang"), page.get("dir")) == ("ar", "rtl")
    body = page.find("body")
    assert [el.tag for el in body if el.tag in ("header", "main", "footer")] == [
        "header", "main", "footer",
    ]  # fmt: skip
    (h1,) = page.xpath("//main//h1")
    assert "الصفحة 2" in h1.text_content()
    assert page.xpath("//main//nav[@class='pages']/@aria-label")
    assert page.xpath("//a[@rel='prev']/@href") == ["articles-1.html"]
    assert not page.xpath("//a[@rel='next']")  # the newest page
    (entry,) = page.xpath("//ol[@class='episodes']/li")
    assert page.xpath("//ol/@start") == ["4"]  # numbered across the whole archive
    assert (out / "archive" / entry.xpath("a/@href")[0]).resolve().is_file()
    home = page.xpath("//header//a/@href")[0]
    assert (out / "archive" / home).resolve() == (out / "index.html").resolve()


def test_feed_items_are_copied_from_the_previous_feed_until_their_inputs_change(
    tmp_path: Path,
) -> None:
    out = tmp_path / "out"
    episodes = _site(out, 3)
    feed = out / "articles.xml"
    old_title = f"<title>{episodes[0].info.title}</title>"
    feed.write_text(feed.read_text(encoding="utf-8").replace(old_title, "<title>X</title>"))
    new = _speak(out, 3, at=NOW + dt.timedelta(hours=1))
    text = feed.read_text(encoding="utf-8")
    assert "<title>X</title>" in text  # copied, not rendered again
    assert f"<title>{new.info.title}</title>" in text
    _speak(out, 4, at=NOW + dt.timedelta(hours=2), author="كاتب آخر")
    text = feed.read_text(encoding="utf-8")
    assert "<title>X</title>" not in text  # the author is in every item: all rendered
    assert old_title in text


def test_home_page_lists_the_newest_few_and_the_archive_the_rest(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(site, "HOME_LIST", 2)
    out = tmp_path / "out"
    episodes = _site(out, 4)
    pages = [next(p.name for p in e.files if p.suffix == ".html") for e in episodes]
    listed = (
        lxml.html.parse(str(out / "index.html"))
        .getroot()
        .xpath("//ul[@class='episodes']/li/a/@href")
    )
    assert [Path(href).name for href in listed] == [pages[3], pages[2]]
    _speak(out, 4, at=NOW + dt.timedelta(hours=1), feed_keep=1)
    listed = (
        lxml.html.parse(str(out / "index.html"))
        .getroot()
        .xpath("//ul[@class='episodes']/li/a/@href")
    )
    assert len(listed) == 1
    assert [Path(p).name for p in _archive_entries(out)][:4] == pages
