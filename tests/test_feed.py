"""feed.xml and articles.xml: what real podcast parsers see, and every channel/item rule."""

from __future__ import annotations

import dataclasses
import datetime as dt
import io
import itertools
import uuid
import xml.etree.ElementTree as ET
from collections.abc import Callable
from pathlib import Path

import feedparser
import jinja2
import podcastparser
import pytest

from audiobrief.config import Settings
from audiobrief.errors import ConfigError, PublishError
from audiobrief.publish import catalog as catalog_module
from audiobrief.publish import render
from audiobrief.publish.catalog import Catalog, podcast_guid
from audiobrief.publish.feed import render_feeds
from audiobrief.publish.render import cdata
from audiobrief.publish.views import clean
from publish_fixtures import BASE_URL, NOW, jpeg_header, publish_episode

NS = {
    "itunes": "http://www.itunes.com/dtds/podcast-1.0.dtd",
    "podcast": "https://podcastindex.org/namespace/1.0",
    "atom": "http://www.w3.org/2005/Atom",
    "content": "http://purl.org/rss/1.0/modules/content/",
}
TRICKY = "عاجل & <تحديث> ]]> \"اقتباس\" 'مفرد' \u200fنهاية"
BRIEFING = [("مقدمة", ["مرحبا بكم."]), ("خبر أول", ["نص أول."]), ("خاتمة", ["شكرا."])]


def _publish_day(catalog: Catalog, output: Path, audio: bytes | None = None) -> None:
    publish_episode(
        catalog, output, slug="one", url="https://www.hespress.com/one.html", audio=audio
    )
    publish_episode(
        catalog, output, slug="two", url="https://www.hespress.com/two.html", title=TRICKY,
        published=NOW + dt.timedelta(minutes=10), audio=audio,
    )  # fmt: skip
    publish_episode(
        catalog, output, kind="briefing", slug="briefing-2026-11-28", url=None,
        title="موجز الأخبار (28 نونبر 2026)", sections=BRIEFING,
        published=NOW + dt.timedelta(minutes=20), audio=audio,
    )  # fmt: skip


def _render(catalog: Catalog, output: Path, **settings: object) -> list[Path]:
    chosen = Settings(**{"base_url": BASE_URL, **settings})  # type: ignore[arg-type]
    return render_feeds(catalog, site=chosen.site, output_dir=output, now=NOW)


@pytest.mark.parametrize(("name", "count"), [("feed.xml", 1), ("articles.xml", 2)])
def test_podcastparser_sees_every_episode(
    catalog: Catalog, output: Path, name: str, count: int
) -> None:
    _publish_day(catalog, output)
    _render(catalog, output)
    parsed = podcastparser.parse(BASE_URL + name, io.BytesIO((output / name).read_bytes()))
    kind = "briefing" if name == "feed.xml" else "article"
    records = {r.guid: r for r in catalog.episodes(kind)}
    assert len(parsed["episodes"]) == count
    for episode in parsed["episodes"]:
        record = records[episode["guid"]]  # not resolved against the feed URL: isPermaLink=false
        (enclosure,) = episode["enclosures"]
        assert enclosure["url"] == BASE_URL + record.mp3
        assert enclosure["file_size"] == record.size_bytes == (output / record.mp3).stat().st_size
        assert enclosure["mime_type"] == "audio/mpeg"
        assert episode["published"] == int(record.published.timestamp())
        assert episode["total_time"] == (record.duration_ms + 500) // 1000
        assert episode["title"] == record.title
    assert parsed["type"] == "episodic"


@pytest.mark.parametrize(("name", "count"), [("feed.xml", 1), ("articles.xml", 2)])
def test_feedparser_sees_every_episode(
    catalog: Catalog, output: Path, name: str, count: int
) -> None:
    _publish_day(catalog, output)
    _render(catalog, output)
    parsed = feedparser.parse((output / name).read_bytes())
    assert not parsed.bozo, parsed.get("bozo_exception")
    assert len(parsed.entries) == count
    for entry in parsed.entries:
        record = catalog.get(entry.id)
        assert record is not None
        (enclosure,) = entry.enclosures
        assert (enclosure.href, int(enclosure.length)) == (BASE_URL + record.mp3, record.size_bytes)
        assert enclosure.type == "audio/mpeg"
        assert entry.guidislink is False
        assert dt.datetime(*entry.published_parsed[:6], tzinfo=dt.UTC) == record.published
        assert entry.title == record.title
    assert parsed.feed.language == "ar"
    assert parsed.feed.image.href.startswith(BASE_URL + "cover.png?v=")


def test_channel_has_every_required_element(catalog: Catalog, output: Path) -> None:
    _publish_day(catalog, output)
    _render(catalog, output)
    channel = ET.parse(output / "feed.xml").getroot().find("channel")
    assert channel is not None
    text = {path: channel.findtext(path, namespaces=NS) for path in (
        "title", "link", "description", "language", "itunes:explicit", "itunes:author",
        "itunes:type", "itunes:owner/itunes:name", "itunes:owner/itunes:email", "podcast:guid",
        "podcast:locked", "podcast:txt", "podcast:updateFrequency",
    )}  # fmt: skip
    assert all(text.values()), text
    assert text["link"] == BASE_URL
    assert text["language"] == "ar"
    assert text["itunes:explicit"] == "false"
    assert text["itunes:type"] == "episodic"
    assert text["podcast:guid"] == podcast_guid(BASE_URL + "feed.xml")
    assert text["podcast:locked"] == "yes"
    assert text["podcast:txt"] == "true"
    assert len(text["description"].encode("utf-8")) <= 4000  # type: ignore[union-attr]
    self_link = channel.find("atom:link", NS)
    assert self_link is not None
    assert self_link.attrib == {
        "href": BASE_URL + "feed.xml",
        "rel": "self",
        "type": "application/rss+xml",
    }
    assert channel.find("podcast:txt", NS).attrib == {"purpose": "ai-content"}  # type: ignore[union-attr]
    assert channel.find("podcast:updateFrequency", NS).attrib == {"rrule": "FREQ=DAILY"}  # type: ignore[union-attr]
    assert channel.find("podcast:locked", NS).attrib == {"owner": "podcast@example.com"}  # type: ignore[union-attr]
    category = channel.find("itunes:category", NS)
    assert category is not None
    assert category.attrib == {"text": "News"}
    assert [c.attrib for c in category] == [{"text": "Daily News"}]
    image = channel.find("itunes:image", NS)
    assert image is not None
    assert image.attrib["href"].startswith(BASE_URL + "cover.png?v=")
    assert (output / "cover.png").is_file()


def test_articles_feed_has_its_own_guid_and_no_daily_frequency(
    catalog: Catalog, output: Path
) -> None:
    _publish_day(catalog, output)
    _render(catalog, output)
    channel = ET.parse(output / "articles.xml").getroot().find("channel")
    assert channel is not None
    assert channel.findtext("podcast:guid", namespaces=NS) == podcast_guid(
        BASE_URL + "articles.xml"
    )
    assert channel.find("podcast:updateFrequency", NS) is None
    assert channel.find("atom:link", NS).attrib["href"] == BASE_URL + "articles.xml"  # type: ignore[union-attr]


def test_items_carry_transcripts_chapters_and_whole_second_durations(
    catalog: Catalog, output: Path
) -> None:
    _publish_day(catalog, output)
    _render(catalog, output)
    (item,) = ET.parse(output / "feed.xml").getroot().iter("item")
    record = catalog.episodes("briefing")[0]
    stem = BASE_URL + record.mp3.removesuffix(".mp3")
    assert item.find("guid").attrib == {"isPermaLink": "false"}  # type: ignore[union-attr]
    assert item.find("enclosure").attrib == {  # type: ignore[union-attr]
        "url": stem + ".mp3",
        "length": str(record.size_bytes),
        "type": "audio/mpeg",
    }
    assert item.findtext("pubDate") == "Sat, 28 Nov 2026 09:50:00 GMT"
    assert item.findtext("itunes:duration", namespaces=NS) == str(
        (record.duration_ms + 500) // 1000
    )
    assert [t.attrib for t in item.findall("podcast:transcript", NS)] == [
        {"url": stem + ".vtt", "type": "text/vtt", "rel": "captions"},
        {"url": stem + ".srt", "type": "application/x-subrip", "rel": "captions"},
        {"url": stem + ".html", "type": "text/html"},
    ]
    assert item.find("podcast:chapters", NS).attrib == {  # type: ignore[union-attr]
        "url": stem + ".chapters.json",
        "type": "application/json+chapters",
    }
    assert "2026" in item.findtext("title")  # type: ignore[operator]
    notes = item.findtext("content:encoded", namespaces=NS)
    assert notes is not None
    assert "نص أول." in notes
    assert "00:00:00 مقدمة" in notes


def test_markup_characters_and_rlm_in_titles_survive_every_parser(
    catalog: Catalog, output: Path
) -> None:
    _publish_day(catalog, output)
    _render(catalog, output)
    data = (output / "articles.xml").read_bytes()
    titles = [item.findtext("title") for item in ET.fromstring(data).iter("item")]
    assert TRICKY in titles
    assert TRICKY in [e.title for e in feedparser.parse(data).entries]
    parsed = podcastparser.parse(BASE_URL + "articles.xml", io.BytesIO(data))
    assert TRICKY in [e["title"] for e in parsed["episodes"]]
    notes = "".join(ET.fromstring(data).itertext())
    assert "<تحديث>" in notes  # escaped inside the CDATA notes, not markup


def test_cdata_splits_a_section_end_inside_the_text() -> None:
    wrapped = f"<x>{cdata('a ]]> b ]]]]> c')}</x>"
    assert ET.fromstring(wrapped).text == "a ]]> b ]]]]> c"


def test_control_characters_are_dropped_so_the_feed_stays_xml(
    catalog: Catalog, output: Path
) -> None:
    publish_episode(catalog, output, title="عنوان\x0b مع\x00 محارف تحكم")
    _render(catalog, output)
    (item,) = ET.parse(output / "articles.xml").getroot().iter("item")
    assert item.findtext("title") == "عنوان مع محارف تحكم"


def test_retention_lists_only_the_newest_episodes(catalog: Catalog, output: Path) -> None:
    for number in range(3):
        publish_episode(
            catalog, output, slug=f"a{number}", url=f"https://x.example/{number}",
            published=NOW + dt.timedelta(hours=number),
        )  # fmt: skip
    _render(catalog, output, feed_keep=2)
    guids = [i.findtext("guid") for i in ET.parse(output / "articles.xml").getroot().iter("item")]
    assert guids == [r.guid for r in catalog.episodes("article")[:2]]
    _render(catalog, output, feed_keep=0)
    assert len(list(ET.parse(output / "articles.xml").getroot().iter("item"))) == 3
    assert len(catalog.episodes()) == 3  # the catalog keeps them all


def test_failed_render_keeps_the_old_feed(
    catalog: Catalog, output: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _publish_day(catalog, output)
    _render(catalog, output)
    before = {name: (output / name).read_bytes() for name in ("feed.xml", "articles.xml")}
    real = render.environment

    def fail(_: object) -> str:
        raise jinja2.TemplateError("boom")

    def broken(cache: object = None) -> jinja2.Environment:
        env = real()
        env.filters["rfc2822"] = fail  # fails halfway through the items
        return env

    monkeypatch.setattr("audiobrief.publish.site.environment", broken)
    publish_episode(catalog, output, slug="three", url="https://x.example/3")
    with pytest.raises(PublishError, match="previous feed is kept"):
        _render(catalog, output)
    assert {name: (output / name).read_bytes() for name in before} == before
    assert not list(output.glob(".*.tmp"))


def test_failed_write_keeps_the_old_feed(
    catalog: Catalog, output: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _publish_day(catalog, output)
    _render(catalog, output)
    before = (output / "feed.xml").read_bytes()

    def full_disk(*_: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr("os.replace", full_disk)
    with pytest.raises(PublishError, match="No space left"):
        _render(catalog, output, show_title="عنوان آخر")
    assert (output / "feed.xml").read_bytes() == before
    assert not list(output.glob(".*.tmp"))


def test_long_item_description_is_cut_to_4000_bytes(catalog: Catalog, output: Path) -> None:
    record = publish_episode(catalog, output)
    catalog.upsert(dataclasses.replace(record, description="كلمة " * 1000))
    _render(catalog, output)
    (item,) = ET.parse(output / "articles.xml").getroot().iter("item")
    description = item.findtext("description") or ""
    assert 3900 < len(description.encode("utf-8")) <= 4000
    assert description.endswith("كلمة …")


def test_long_channel_description_is_a_config_error(catalog: Catalog, output: Path) -> None:
    with pytest.raises(ConfigError, match="4000"):
        _render(catalog, output, description="خبر " * 600)


@pytest.mark.parametrize("url", ["news.example.org/audio/", "ftp://x.example/", "/audio/"])
def test_base_url_must_be_absolute_http(catalog: Catalog, output: Path, url: str) -> None:
    with pytest.raises(ConfigError, match="base_url"):
        _render(catalog, output, base_url=url)


def test_feed_keep_1_lists_only_the_newest_episode(catalog: Catalog, output: Path) -> None:
    _publish_day(catalog, output)
    _render(catalog, output, feed_keep=1)
    items = list(ET.parse(output / "articles.xml").getroot().iter("item"))
    assert [i.findtext("guid") for i in items] == [catalog.episodes("article")[0].guid]


def test_a_naive_now_is_refused(catalog: Catalog, output: Path) -> None:
    with pytest.raises(PublishError, match="needs a timezone-aware 'now'"):
        render_feeds(
            catalog, site=Settings(base_url=BASE_URL).site, output_dir=output,
            now=NOW.replace(tzinfo=None),
        )  # fmt: skip


def test_a_channel_description_of_exactly_4000_bytes_is_kept_whole(
    catalog: Catalog, output: Path
) -> None:
    exact = "ب" * 2000  # two bytes a letter in UTF-8
    _render(catalog, output, description=exact)
    channel = ET.parse(output / "feed.xml").getroot().find("channel")
    assert channel is not None
    assert channel.findtext("description") == exact
    with pytest.raises(ConfigError, match="4001 bytes"):
        _render(catalog, output, description=exact + "a")


def test_explicit_is_written_when_set(catalog: Catalog, output: Path) -> None:
    _render(catalog, output, explicit=True)
    channel = ET.parse(output / "feed.xml").getroot().find("channel")
    assert channel is not None
    assert channel.findtext("itunes:explicit", namespaces=NS) == "true"


def test_feeds_match_golden(
    catalog: Catalog,
    output: Path,
    monkeypatch: pytest.MonkeyPatch,
    golden: Callable[[str, str], None],
) -> None:
    counter = itertools.count(1)
    monkeypatch.setattr(catalog_module.uuid, "uuid4", lambda: uuid.UUID(int=next(counter)))
    _publish_day(catalog, output, audio=b"\xff\xfb" * 500)
    cover = jpeg_header(output.parent / "cover.jpg", 1400, 1400)  # fixed bytes: a fixed ?v=
    _render(catalog, output, cover=cover)
    golden("publish_feed.xml", (output / "feed.xml").read_text(encoding="utf-8"))
    golden("publish_articles.xml", (output / "articles.xml").read_text(encoding="utf-8"))


@pytest.mark.parametrize(
    "code",
    [
        *(0, 8, 9, 10, 11, 12, 13, 14, 0x1F, 0x20, 0x7F, 0x85, 0xD7FF, 0xD800, 0xDFFF),
        *(0xE000, 0xFFFD, 0xFFFE, 0xFFFF, 0x10000, 0x10FFFF),
    ],
)
def test_clean_keeps_exactly_the_characters_xml_allows(code: int) -> None:
    # XML 1.0's Char production, at each edge of its ranges.
    allowed = (
        code in (0x9, 0xA, 0xD)
        or 0x20 <= code <= 0xD7FF
        or 0xE000 <= code <= 0xFFFD
        or 0x10000 <= code <= 0x10FFFF
    )
    text = f"a{chr(code)}b"
    assert clean(text) == (" ".join(text.split()) if allowed else "ab")
