"""The embeddable player, its snippet, link previews, and a player leaving with its episode."""

from __future__ import annotations

import datetime as dt
import html
import re
from dataclasses import replace
from pathlib import Path
from urllib.parse import urljoin

import lxml.html
import pytest

from audiobrief import engines, pipeline
from audiobrief.config import Settings
from audiobrief.publish.catalog import Catalog
from audiobrief.publish.site import PLAYER_HEIGHT_PX, render_site
from publish_fixtures import BASE_URL, NOW, publish_episode
from support import DATA, FakeEngine

ARTICLE_PAGE = "2026/11/28/articles/transport.html"
EMBED_PAGE = "2026/11/28/articles/transport.embed.html"
TRICKY = 'عاجل & <تحديث> "اقتباس"'


def _render(catalog: Catalog, output: Path, base: str = BASE_URL) -> list[Path]:
    return render_site(catalog, site=Settings(base_url=base).site, output_dir=output, now=NOW)


def _page(path: Path) -> lxml.html.HtmlElement:
    return lxml.html.fromstring(path.read_bytes())


def _meta(root: lxml.html.HtmlElement) -> dict[str, str]:
    """Open Graph (`property`) and Twitter (`name`) tags of a page, by name."""
    found = {}
    for meta in root.xpath("//head/meta[@property or @name]"):
        found[meta.get("property") or meta.get("name")] = meta.get("content")
    return found


def test_each_article_gets_a_small_player_page(catalog: Catalog, output: Path) -> None:
    publish_episode(catalog, output, title=TRICKY)
    written = _render(catalog, output)
    assert output / EMBED_PAGE in written
    root = _page(output / EMBED_PAGE)
    assert (root.get("lang"), root.get("dir")) == ("ar", "rtl")
    assert root.findtext(".//h1") == TRICKY
    (audio,) = root.xpath("//audio")
    assert audio.get("controls") is not None
    assert audio.get("src") == "transport.mp3"
    assert audio.get("aria-label") == f"استمع: {TRICKY}"
    assert root.xpath("//audio/track[@kind='captions']/@src") == ["transport.vtt"]
    (transcript,) = root.xpath("//a[@class='transcript-link']")
    assert transcript.get("href") == "transport.html#transcript"
    assert root.xpath("//link[@rel='canonical']/@href") == [BASE_URL + ARTICLE_PAGE]
    assert root.xpath("//meta[@name='robots']/@content") == ["noindex"]


def test_the_player_page_loads_nothing_from_elsewhere(catalog: Catalog, output: Path) -> None:
    publish_episode(catalog, output)
    _render(catalog, output)
    root = _page(output / EMBED_PAGE)
    assert root.xpath("//script") == []
    here = BASE_URL + EMBED_PAGE
    loaded = [urljoin(here, src) for src in root.xpath("//*[self::audio or self::track]/@src")]
    loaded += [urljoin(here, href) for href in root.xpath("//link[@rel='stylesheet']/@href")]
    assert loaded
    assert all(url.startswith(BASE_URL) for url in loaded)
    style = root.findtext(".//style")
    assert "@import" not in style
    assert "url(" not in style


def test_the_episode_page_shows_the_snippet_to_copy(catalog: Catalog, output: Path) -> None:
    publish_episode(catalog, output, title=TRICKY)
    _render(catalog, output)
    (code,) = _page(output / ARTICLE_PAGE).xpath("//textarea[@id='embed-code']")
    assert code.get("readonly") is not None
    # What the newsroom pastes is HTML that gives one iframe on the player page.
    (frame,) = lxml.html.fragment_fromstring(code.text_content(), create_parent=True)
    assert frame.tag == "iframe"
    assert frame.get("src") == BASE_URL + EMBED_PAGE
    assert frame.get("title") == f"استمع: {TRICKY}"
    assert frame.get("height") == str(PLAYER_HEIGHT_PX)
    assert '"اقتباس"' not in code.text_content()  # the quotes are escaped in the attribute
    label = _page(output / ARTICLE_PAGE).xpath("//label[@for='embed-code']")
    assert label


def test_briefings_have_no_player_page(catalog: Catalog, output: Path) -> None:
    publish_episode(catalog, output, kind="briefing", slug="briefing-2026-11-28", url=None)
    written = _render(catalog, output)
    assert not [p for p in written if p.name.endswith(".embed.html")]
    assert _page(output / "2026/11/28/briefing-2026-11-28.html").xpath("//textarea") == []


def test_pages_carry_open_graph_and_twitter_tags(catalog: Catalog, output: Path) -> None:
    record = publish_episode(catalog, output, title=TRICKY)
    _render(catalog, output)
    meta = _meta(_page(output / ARTICLE_PAGE))
    assert meta["og:title"] == meta["twitter:title"] == TRICKY
    assert meta["og:description"] == meta["twitter:description"]
    assert meta["og:description"].startswith(record.description[:50])
    assert meta["og:url"] == BASE_URL + ARTICLE_PAGE
    assert meta["og:type"] == "article"
    assert meta["og:audio"] == BASE_URL + record.mp3
    assert meta["og:audio:type"] == "audio/mpeg"
    assert re.fullmatch(re.escape(BASE_URL) + r"cover\.(png|jpg)\?v=\w+", meta["og:image"])
    assert meta["twitter:image"] == meta["og:image"]
    # An https site gets X's player card: the embed page plays inside the post.
    assert meta["twitter:card"] == "player"
    assert meta["twitter:player"] == BASE_URL + EMBED_PAGE
    assert meta["twitter:player:height"] == str(PLAYER_HEIGHT_PX)
    home = _meta(_page(output / "index.html"))
    assert home["og:type"] == "website"
    assert home["og:url"] == BASE_URL + "index.html"
    assert "og:audio" not in home


def test_an_http_site_gets_a_summary_card(catalog: Catalog, output: Path) -> None:
    publish_episode(catalog, output)
    _render(catalog, output, base="http://127.0.0.1:8000/")
    meta = _meta(_page(output / ARTICLE_PAGE))
    assert meta["twitter:card"] == "summary"
    assert "twitter:player" not in meta


def test_a_description_is_cut_for_previews(catalog: Catalog, output: Path) -> None:
    record = publish_episode(catalog, output)
    catalog.upsert(replace(record, description="كلمة " * 200))
    _render(catalog, output)
    meta = _meta(_page(output / ARTICLE_PAGE))
    assert len(meta["og:description"]) <= 200
    assert meta["og:description"].endswith("…")


# --- unpublish takes the player away (real speak and unpublish, fake voice)


@pytest.fixture
def settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Settings:
    (tmp_path / "voices").mkdir()
    (tmp_path / "voices" / "fake.toml").write_text(
        'engine = "fake"\ndiacritize = false\n', encoding="utf-8"
    )
    monkeypatch.setitem(engines._extra, "fake", lambda **_: FakeEngine())
    return Settings(
        voices_dir=tmp_path / "voices", voice="fake", output_dir=tmp_path / "out",
        cache_dir=tmp_path / "cache", normalize_loudness=False,
    )  # fmt: skip


@pytest.mark.parametrize("keep_files", [False, True])
def test_unpublish_removes_the_player_page(settings: Settings, keep_files: bool) -> None:
    run = pipeline.Run(settings, dt.datetime(2026, 11, 28, 8, 0, tzinfo=dt.UTC))
    rain, market = pipeline.speak(
        [str(DATA / "brief" / "rain.md"), str(DATA / "brief" / "market.md")], run
    )
    embed = rain.mp3_path.with_suffix(".embed.html")
    other = market.mp3_path.with_suffix(".embed.html")
    assert embed.is_file()
    assert other.is_file()
    pipeline.unpublish([rain.info.guid], run, keep_files=keep_files)
    assert not embed.exists()
    assert other.is_file()  # the other article still plays
    assert rain.mp3_path.exists() == keep_files
    # ...and no page still offers the removed player.
    pages = "".join(p.read_text(encoding="utf-8") for p in settings.output_dir.rglob("*.html"))
    assert html.escape(embed.name) not in pages
