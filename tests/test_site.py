"""index.html and the episode pages: structure a screen reader and a keyboard rely on."""

from __future__ import annotations

import dataclasses
import datetime as dt
import itertools
import os
import posixpath
import uuid
from collections.abc import Callable
from pathlib import Path

import lxml.html
import pytest

from audiobrief.config import Settings
from audiobrief.errors import ConfigError
from audiobrief.publish import catalog as catalog_module
from audiobrief.publish.catalog import Catalog, EpisodeRecord
from audiobrief.publish.site import render_site
from audiobrief.publish.views import mark_latin
from publish_fixtures import BASE_URL, NOW, jpeg_header, png_cover, publish_episode

BRIEFING = [
    ("مقدمة", ["مرحبا بكم في موجز الأخبار."]),
    ("المغرب يطلق برنامجا جديدا للنقل", ["قالت الوزارة إن Renault Maroc ستشارك.", "فقرة ثانية."]),
    ("خاتمة", ["شكرا لاستماعكم."]),
]


def _briefing(catalog: Catalog, output: Path) -> EpisodeRecord:
    return publish_episode(
        catalog, output, kind="briefing", slug="briefing-2026-11-28", url=None,
        title="موجز الأخبار: السبت 28 نونبر 2026", sections=BRIEFING,
        published=NOW + dt.timedelta(hours=1),
    )  # fmt: skip


def _render(catalog: Catalog, output: Path, **settings: object) -> list[Path]:
    chosen = Settings(**{"base_url": BASE_URL, **settings})  # type: ignore[arg-type]
    return render_site(catalog, site=chosen.site, output_dir=output, now=NOW)


def _page(path: Path) -> lxml.html.HtmlElement:
    return lxml.html.fromstring(path.read_bytes())


def test_pages_are_arabic_right_to_left(catalog: Catalog, output: Path) -> None:
    record = _briefing(catalog, output)
    _render(catalog, output)
    for path in (output / "index.html", output / record.files["html"]):
        root = _page(path)
        assert (root.get("lang"), root.get("dir")) == ("ar", "rtl")
        assert root.findtext(".//title").strip()


def test_episode_page_sits_next_to_its_mp3(catalog: Catalog, output: Path) -> None:
    record = _briefing(catalog, output)
    written = _render(catalog, output)
    page = output / "2026" / "11" / "28" / "briefing-2026-11-28.html"
    assert page in written
    assert record.files["html"] == "2026/11/28/briefing-2026-11-28.html"


def test_audio_has_a_name_captions_and_no_autoplay(catalog: Catalog, output: Path) -> None:
    record = _briefing(catalog, output)
    _render(catalog, output)
    for path in (output / "index.html", output / record.files["html"]):
        root = _page(path)
        (audio,) = root.iter("audio")
        assert audio.get("aria-label", "").endswith(record.title)
        assert audio.get("controls") is not None
        assert audio.get("preload") == "metadata"
        assert "autoplay" not in audio.attrib
        assert "autoplay" not in path.read_text(encoding="utf-8")
        (track,) = audio.iter("track")
        assert (track.get("kind"), track.get("srclang")) == ("captions", "ar")
        folder = path.parent
        assert (folder / audio.get("src")).resolve() == (output / record.mp3).resolve()
        assert (folder / track.get("src")).resolve() == (output / record.files["vtt"]).resolve()


def test_full_transcript_is_beside_the_player(catalog: Catalog, output: Path) -> None:
    record = _briefing(catalog, output)
    _render(catalog, output)
    root = _page(output / record.files["html"])
    (audio,) = root.iter("audio")
    player = audio.getparent()
    transcript = player.getnext()
    assert "transcript" in transcript.get("class")
    assert player.getparent() is transcript.getparent()
    text = transcript.text_content()
    for _, paragraphs in BRIEFING:
        for paragraph in paragraphs:
            assert paragraph in " ".join(text.split())
    headings = [h.text_content() for h in transcript.iter("h3")]
    assert headings == [title for title, _ in BRIEFING]


def test_every_paragraph_has_a_time_link_to_an_existing_anchor(
    catalog: Catalog, output: Path
) -> None:
    record = _briefing(catalog, output)
    _render(catalog, output)
    root = _page(output / record.files["html"])
    ids = {element.get("id") for element in root.iter() if element.get("id")}
    paragraphs = root.xpath("//*[@id='transcript']//p[not(@class='source')]")
    assert len(paragraphs) == sum(len(p) for _, p in BRIEFING)
    for paragraph in paragraphs:
        (link,) = paragraph.xpath(".//a[@class='time']")
        assert link.get("href").startswith("#t=")
        assert link.get("href")[1:] in ids  # works as a plain fragment without script
        assert link.text_content().startswith("استمع من ")  # visible time plus its purpose
    starts = [float(link.get("href")[3:]) for link in root.xpath("//a[@class='time']")]
    assert starts == sorted(starts)


def test_chapter_links_jump_to_each_section(catalog: Catalog, output: Path) -> None:
    record = _briefing(catalog, output)
    _render(catalog, output)
    root = _page(output / record.files["html"])
    links = root.xpath("//nav[@class='chapters']//a")
    assert [" ".join(a.text_content().split()[1:]) for a in links] == [t for t, _ in BRIEFING]
    for link, chapter in zip(links, record.timeline.chapters, strict=True):
        target = link.get("href")
        assert target == f"#t={chapter.start_ms / 1000:g}"
        (section,) = root.xpath("//*[@id=$id]", id=target[1:])
        assert section.get("class") == "part"


def test_feed_urls_can_be_subscribed_and_copied(catalog: Catalog, output: Path) -> None:
    record = _briefing(catalog, output)
    _render(catalog, output)
    for path in (output / "index.html", output / record.files["html"]):
        root = _page(path)
        field = root.get_element_by_id("feed-url")
        assert field.get("value") == BASE_URL + "feed.xml"
        assert field.get("readonly") is not None
        assert root.xpath("//label[@for='feed-url']")
        button = root.xpath("//button[@data-copy='feed-url']")[0]
        assert button.get("type") == "button"  # a real button: Enter and Space work
        feed_links = [a for a in root.iter("a") if a.get("type") == "application/rss+xml"]
        assert {(path.parent / a.get("href")).resolve() for a in feed_links} == {
            (output / "feed.xml").resolve(),
            (output / "articles.xml").resolve(),
        }
        alternates = root.xpath("//link[@rel='alternate']")
        assert [a.get("href") for a in alternates] == [
            BASE_URL + "feed.xml",
            BASE_URL + "articles.xml",
        ]


def test_latin_script_words_are_marked_with_their_language() -> None:
    marked = str(mark_latin("قال Emmanuel Macron إن the World Bank و Ligue 1 في COP28 <وسم>"))
    assert '<span lang="fr" dir="ltr">COP28</span>' in marked
    assert '<span lang="fr" dir="ltr">Emmanuel Macron</span>' in marked
    assert '<span lang="en" dir="ltr">the World Bank</span>' in marked
    assert '<span lang="fr" dir="ltr">Ligue 1</span>' in marked
    assert "&lt;وسم&gt;" in marked  # escaped, then marked
    assert "<وسم>" not in marked


def test_page_marks_french_names_in_the_transcript(catalog: Catalog, output: Path) -> None:
    record = _briefing(catalog, output)
    _render(catalog, output)
    root = _page(output / record.files["html"])
    spans = root.xpath("//*[@id='transcript']//span[@lang='fr']")
    assert [span.text_content() for span in spans] == ["Renault Maroc"]


def test_index_features_the_latest_briefing_and_lists_every_episode(
    catalog: Catalog, output: Path
) -> None:
    article = publish_episode(catalog, output)
    briefing = _briefing(catalog, output)
    _render(catalog, output)
    root = _page(output / "index.html")
    assert root.xpath("//section[@class='featured']/h2/a")[0].get("href") == briefing.files["html"]
    listed = [a.get("href") for a in root.xpath("//ul[@class='episodes']/li/a")]
    assert listed == [briefing.files["html"], article.files["html"]]
    assert all((output / href).is_file() for href in listed)
    assert (
        root.xpath("//img[@class='cover']")[0].get("alt") == ""
    )  # decorative: the title is beside it


def test_retention_limits_the_home_page_and_the_archive_keeps_the_rest(
    catalog: Catalog, output: Path
) -> None:
    for number in range(3):
        publish_episode(
            catalog, output, slug=f"a{number}", url=f"https://x.example/{number}",
            published=NOW + dt.timedelta(hours=number),
        )  # fmt: skip
    written = _render(catalog, output, feed_keep=2)
    names = sorted(p.name for p in written if p.parent.name == "articles")
    assert names == [f"a{n}{suffix}" for n in range(3) for suffix in (".embed.html", ".html")]
    listed = _page(output / "index.html").xpath("//ul[@class='episodes']/li/a/@href")
    assert [posixpath.basename(href) for href in listed] == ["a2.html", "a1.html"]
    archive = _page(output / "archive" / "articles-1.html")
    entries = archive.xpath("//ol[@class='episodes']/li/a/@href")
    assert [posixpath.basename(href) for href in entries] == ["a0.html", "a1.html", "a2.html"]
    assert all((output / "archive" / href).is_file() for href in entries)


def test_empty_catalog_still_gives_an_index(catalog: Catalog, output: Path) -> None:
    _render(catalog, output)
    root = _page(output / "index.html")
    assert not list(root.iter("audio"))
    assert "audiobrief speak" in root.text_content()


def test_unchanged_pages_are_not_rewritten(catalog: Catalog, output: Path) -> None:
    record = _briefing(catalog, output)
    _render(catalog, output)
    page = output / record.files["html"]
    os.utime(page, ns=(1_000_000_000_000_000_000, 1_000_000_000_000_000_000))
    _render(catalog, output)
    assert page.stat().st_mtime_ns == 1_000_000_000_000_000_000
    catalog.upsert(dataclasses.replace(record, title="عنوان جديد (28 نونبر 2026)"))
    _render(catalog, output)
    assert page.stat().st_mtime_ns != 1_000_000_000_000_000_000


def test_cover_is_copied_under_the_name_of_its_type(catalog: Catalog, output: Path) -> None:
    cover = jpeg_header(output.parent / "art.jpeg", 1500, 1500)
    written = _render(catalog, output, cover=cover)
    assert output / "cover.jpg" in written
    assert (output / "cover.jpg").read_bytes() == cover.read_bytes()
    assert (
        _page(output / "index.html")
        .xpath("//img[@class='cover']")[0]
        .get("src")
        .startswith("cover.jpg?v=")
    )


def test_bad_cover_stops_the_render_with_the_fix(catalog: Catalog, output: Path) -> None:
    cover = png_cover(output.parent / "small.png", size_px=1000)
    with pytest.raises(ConfigError, match="1400 to 3000 px"):
        _render(catalog, output, cover=cover)


def test_unknown_timezone_is_a_config_error(catalog: Catalog, output: Path) -> None:
    with pytest.raises(ConfigError, match="timezone"):
        _render(catalog, output, timezone="Mars/Olympus")


def test_episode_page_matches_golden(
    catalog: Catalog,
    output: Path,
    monkeypatch: pytest.MonkeyPatch,
    golden: Callable[[str, str], None],
) -> None:
    counter = itertools.count(1)
    monkeypatch.setattr(catalog_module.uuid, "uuid4", lambda: uuid.UUID(int=next(counter)))
    record = publish_episode(
        catalog, output, kind="briefing", slug="briefing-2026-11-28", url=None,
        title="موجز الأخبار: السبت 28 نونبر 2026", sections=BRIEFING, audio=b"\xff\xfb" * 700,
    )  # fmt: skip
    _render(catalog, output, cover=jpeg_header(output.parent / "c.jpg", 1400, 1400))
    golden("publish_episode.html", (output / record.files["html"]).read_text(encoding="utf-8"))
