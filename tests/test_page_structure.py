"""The pages' structure, which axe's WCAG rules do not check: one h1, landmarks, heading order.

Screen-reader users move by landmarks and headings: a page without its h1, with a heading
level skipped or with the transcript outside `main` is hard to use and still passes axe.
These run without a browser, on the HTML as written.
"""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest
from lxml import html

from publish_fixtures import BRIEFING, PAGES, build_site


@pytest.fixture(scope="module")
def pages(tmp_path_factory: pytest.TempPathFactory) -> dict[str, html.HtmlElement]:
    output = build_site(tmp_path_factory.mktemp("site"))
    return {name: html.fromstring((output / path).read_bytes()) for name, path in PAGES.items()}


def _text(element: html.HtmlElement) -> str:
    return " ".join(element.text_content().split())


def _headings(root: html.HtmlElement) -> list[tuple[int, str]]:
    found = root.xpath(".//h1 | .//h2 | .//h3 | .//h4 | .//h5 | .//h6")
    return [(int(h.tag[1]), _text(h)) for h in found]


@pytest.mark.parametrize("page", PAGES)
def test_each_page_is_arabic_right_to_left_with_a_title(
    pages: dict[str, html.HtmlElement], page: str
) -> None:
    root = pages[page]
    assert (root.get("lang"), root.get("dir")) == ("ar", "rtl")
    assert _text(root.find("head/title"))


@pytest.mark.parametrize("page", PAGES)
def test_each_page_has_one_h1_inside_main_and_it_comes_first(
    pages: dict[str, html.HtmlElement], page: str
) -> None:
    root = pages[page]
    (h1,) = root.xpath("//h1")
    assert _text(h1)
    assert h1.xpath("ancestor::main")
    assert _headings(root)[0][0] == 1


@pytest.mark.parametrize("page", PAGES)
def test_heading_levels_never_skip_one(pages: dict[str, html.HtmlElement], page: str) -> None:
    levels = [level for level, _ in _headings(pages[page])]
    assert all(later <= earlier + 1 for earlier, later in itertools.pairwise(levels))
    assert all(text for _, text in _headings(pages[page]))


@pytest.mark.parametrize("page", PAGES)
def test_landmarks_banner_main_and_contentinfo_appear_once_each(
    pages: dict[str, html.HtmlElement], page: str
) -> None:
    body = pages[page].find("body")
    # Only top-level header/footer are banner/contentinfo; ones inside main are not.
    assert [el.tag for el in body if el.tag in ("header", "main", "footer")] == [
        "header",
        "main",
        "footer",
    ]
    (main,) = body.xpath("//main")
    (skip,) = body.xpath("//a[@class='skip']")
    assert skip.get("href") == f"#{main.get('id')}"
    assert body.index(skip) < body.index(main)  # the first thing a keyboard reaches
    for region in body.xpath("//nav | //section"):
        label = region.get("aria-labelledby")
        if label:  # a named region: its name must exist and say something
            (named,) = body.xpath(f"//*[@id='{label}']")
            assert _text(named)


def test_the_episode_page_is_titled_by_its_h1_and_has_a_heading_per_story(
    pages: dict[str, html.HtmlElement],
) -> None:
    root = pages["briefing"]
    (article,) = root.xpath("//main/article")
    (h1,) = root.xpath("//h1")
    assert article.get("aria-labelledby") == h1.get("id")
    assert _text(h1) == "موجز الأخبار: السبت 28 نونبر 2026"
    (transcript,) = root.xpath("//section[@id='transcript']")
    story_headings = [_text(h) for h in transcript.xpath(".//h3")]
    assert story_headings == [title for title, _ in BRIEFING]
    assert [level for level, _ in _headings(transcript)] == [2] + [3] * len(BRIEFING)


def test_the_index_names_the_show_in_its_h1(pages: dict[str, html.HtmlElement]) -> None:
    (h1,) = pages["index"].xpath("//h1")
    assert _text(h1) == "موجز الأخبار"


def test_build_site_writes_every_page(tmp_path: Path) -> None:
    output = build_site(tmp_path)
    assert all((output / path).is_file() for path in PAGES.values())
