"""The pages in a real headless Chromium: axe-core WCAG 2.2 AA, names, transcript, 320 px.

Needs Debian's `chromium` and axe-core from npm (`.ci/run` installs both into the
machine and `tests/.tools`); skipped with the reason when either is missing.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from audiobrief.publish.serve import OutputServer, make_server
from publish_browser import Browser, find_axe, find_chromium
from publish_fixtures import BASE_URL, build_site
from publish_fixtures import PAGES as SITE_PAGES

CHROMIUM = find_chromium()
AXE = find_axe()
pytestmark = [
    pytest.mark.skipif(CHROMIUM is None, reason="no chromium: apt-get install chromium"),
    pytest.mark.skipif(
        AXE is None, reason="no axe-core: npm install --prefix tests/.tools axe-core@4"
    ),
]
WCAG_22_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
PAGES = {**SITE_PAGES, "embed": "2026/11/28/articles/transport.embed.html"}
LINKED = {"index": PAGES["briefing"], "embed": PAGES["article"]}
"""Pages whose player links its transcript (on the episode's page) instead of holding it."""


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[OutputServer]:
    output = build_site(tmp_path_factory.mktemp("site"))
    running = make_server(output, port=0)
    thread = threading.Thread(target=running.serve_forever, args=(0.01,), daemon=True)
    thread.start()
    yield running
    running.shutdown()
    running.server_close()
    thread.join()


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Browser]:
    assert CHROMIUM is not None
    with Browser(CHROMIUM, tmp_path_factory.mktemp("chromium-profile")) as opened:
        yield opened


@dataclass(frozen=True)
class Report:
    """What one page load showed: axe's verdict and the page facts the tests check."""

    violations: list[tuple[str, str, list[str]]]
    passes: int
    scroll_width_px: int
    client_width_px: int
    audio_names: list[str]
    transcript_chars: list[int]
    """Text length of the transcript right after each player (0: none there)."""
    transcript_links: list[str | None]
    """The address of the transcript link inside each player's box, if it has one."""
    foreign: list[str]
    """Resources the page loaded from anywhere but the site."""
    autoplay: int
    paused: bool


VIEWS = [  # every page narrow and wide, light and dark
    *((page, 320, "light") for page in PAGES),
    *((page, 1280, "dark") for page in PAGES),
    ("briefing", 1280, "light"),
    ("briefing", 320, "dark"),
    ("embed", 320, "dark"),
]


@pytest.fixture(scope="module")
def reports(browser: Browser, server: OutputServer) -> dict[tuple[str, int, str], Report]:
    """Each page opened once per width (a real browser is slow on two cores)."""
    assert AXE is not None
    axe = AXE.read_text(encoding="utf-8")
    options = json.dumps({"runOnly": {"type": "tag", "values": WCAG_22_AA}})
    found = {}
    for page, width_px, scheme in VIEWS:
        browser.open(server.url + PAGES[page], width_px=width_px, scheme=scheme)
        browser.evaluate(axe)
        result = browser.evaluate(f"axe.run(document, {options})")
        facts = browser.evaluate(_FACTS)
        found[page, width_px, scheme] = Report(
            violations=[
                (v["id"], v["help"], [node["html"][:200] for node in v["nodes"]])
                for v in result["violations"]
            ],
            passes=len(result["passes"]),
            audio_names=browser.accessible_names("audio"),
            **facts,
        )
    return found


_FACTS = """({
    scroll_width_px: document.documentElement.scrollWidth,
    client_width_px: document.documentElement.clientWidth,
    transcript_chars: Array.from(document.querySelectorAll("audio")).map(audio => {
        const player = audio.closest(".player");
        const next = player && player.nextElementSibling;
        return next && next.matches(".transcript") ? next.innerText.length : 0;
    }),
    transcript_links: Array.from(document.querySelectorAll("audio")).map(audio => {
        const link = (audio.closest(".player") || audio.closest("main"))
            .querySelector("a.transcript-link");
        return link ? new URL(link.getAttribute("href"), location.href).href : null;
    }),
    foreign: performance.getEntriesByType("resource").map(entry => entry.name)
        .filter(name => !name.startsWith(location.origin + "/")),
    autoplay: document.querySelectorAll("audio[autoplay]").length,
    paused: Array.from(document.querySelectorAll("audio")).every(audio => audio.paused),
})"""


@pytest.mark.parametrize(("page", "width_px", "scheme"), VIEWS)
def test_page_passes_axe_wcag_22_aa(
    reports: dict[tuple[str, int, str], Report], page: str, width_px: int, scheme: str
) -> None:
    report = reports[page, width_px, scheme]
    assert report.violations == []
    assert report.passes > 10  # axe really ran its rules on this page


@pytest.mark.parametrize("page", PAGES)
def test_every_audio_has_a_name_and_its_transcript_beside_it(
    reports: dict[tuple[str, int, str], Report], page: str
) -> None:
    report = reports[page, 320, "light"]
    assert report.audio_names
    assert all(name.startswith("استمع: ") and len(name) > 10 for name in report.audio_names)
    assert len(report.transcript_chars) == len(report.audio_names)
    if page in LINKED:  # the home page and the embedded player link the episode's text
        assert all(link and link.endswith(f"/{LINKED[page]}#transcript")
                   for link in report.transcript_links)  # fmt: skip
    else:
        assert all(chars > 40 for chars in report.transcript_chars)
    assert (report.autoplay, report.paused) == (0, True)
    assert report.foreign == []


@pytest.mark.parametrize("page", PAGES)
def test_page_has_no_horizontal_scroll_at_320_px(
    reports: dict[tuple[str, int, str], Report], page: str
) -> None:
    report = reports[page, 320, "light"]
    assert report.scroll_width_px <= report.client_width_px  # 320 less a scroll bar


def test_chapter_link_seeks_the_player(browser: Browser, server: OutputServer) -> None:
    browser.open(server.url + PAGES["briefing"])
    href, position = browser.evaluate(
        """(() => {
            const link = document.querySelectorAll("nav.chapters a")[2];
            link.click();
            return [link.getAttribute("href"), document.getElementById("player").currentTime];
        })()"""
    )
    assert href == "#t=12.5"
    assert position == pytest.approx(12.5)


def test_shared_time_link_opens_the_page_at_that_time(
    browser: Browser, server: OutputServer
) -> None:
    browser.open(server.url + PAGES["briefing"] + "#t=7.5")
    assert browser.evaluate("document.getElementById('player').currentTime") == pytest.approx(7.5)
    assert browser.evaluate("document.getElementById('player').paused") is True


def test_copy_button_appears_with_script_and_reports_the_copy(
    browser: Browser, server: OutputServer
) -> None:
    browser.open(server.url + PAGES["index"])
    status = browser.evaluate(
        """new Promise(resolve => {
            const button = document.querySelector("button[data-copy=feed-url]");
            if (button.hidden) return resolve("hidden");
            button.click();
            setTimeout(() => resolve(document.getElementById("feed-url-status").textContent), 200);
        })"""
    )
    assert status in ("نُسخ الرابط.", "تعذّر النسخ؛ حدّد الرابط وانسخه يدويًا.")


def test_keyboard_focus_is_visible(browser: Browser, server: OutputServer) -> None:
    browser.open(server.url + PAGES["briefing"])
    browser.page("Input.dispatchKeyEvent", type="keyDown", key="Tab", code="Tab",
                 windowsVirtualKeyCode=9)  # fmt: skip
    browser.page("Input.dispatchKeyEvent", type="keyUp", key="Tab", code="Tab",
                 windowsVirtualKeyCode=9)  # fmt: skip
    style = browser.evaluate(
        """(() => {
            const el = document.activeElement, css = getComputedStyle(el);
            return [el.className, css.outlineStyle, parseFloat(css.outlineWidth)];
        })()"""
    )
    assert style[0] == "skip"  # the first stop is the skip link, and it shows
    assert style[1] == "solid"
    assert style[2] >= 2


# --- the phone layout and the embedded player

PHONE = {"width_px": 390, "height_px": 844}
"""A common phone's viewport in CSS pixels."""


def _tops(browser: Browser, *selectors: str) -> list[float | None]:
    found = browser.evaluate(
        f"""{json.dumps(selectors)}.map(selector => {{
            const element = document.querySelector(selector);
            return element ? element.getBoundingClientRect().top : null;
        }})"""
    )
    return list(found)


def test_on_a_phone_the_player_and_chapters_come_before_the_stories(
    browser: Browser, server: OutputServer, tmp_path: Path
) -> None:
    browser.open(server.url + PAGES["briefing"], **PHONE)
    browser.screenshot(tmp_path / "briefing-390.png")  # to look at while developing
    player, chapters, stories = _tops(browser, "audio", "nav.chapters", ".transcript .part")
    assert player is not None
    assert chapters is not None
    assert stories is not None
    assert player < chapters < stories
    assert player < PHONE["height_px"] / 2  # the player is on the first screen


def test_on_a_phone_the_home_page_shows_the_briefing_player_then_the_archive(
    browser: Browser, server: OutputServer, tmp_path: Path
) -> None:
    browser.open(server.url + PAGES["index"], **PHONE)
    browser.screenshot(tmp_path / "index-390.png")
    player, chapters, archive = _tops(browser, "audio", "nav.chapters", ".archive")
    assert player is not None
    assert chapters is not None
    assert archive is not None
    assert player < chapters < archive
    assert player < PHONE["height_px"] / 2
    assert browser.evaluate("document.querySelector('.transcript')") is None
    assert browser.evaluate("document.getElementById('player').getAttribute('src')") == (
        PAGES["briefing"].removesuffix(".html") + ".mp3"
    )


def test_a_home_page_chapter_plays_there(browser: Browser, server: OutputServer) -> None:
    browser.open(server.url + PAGES["index"])
    where, position = browser.evaluate(
        """(() => {
            document.querySelectorAll("nav.chapters a")[2].click();
            return [location.pathname, document.getElementById("player").currentTime];
        })()"""
    )
    assert (where, position) == ("/index.html", pytest.approx(12.5))


def test_the_pasted_snippet_shows_the_player_in_another_page(
    browser: Browser, server: OutputServer
) -> None:
    browser.open(server.url + PAGES["article"])
    snippet = browser.evaluate("document.getElementById('embed-code').value")
    assert snippet.startswith("<iframe src=")
    assert snippet.endswith("></iframe>")
    # The newsroom's own article page, with the snippet pasted in (same origin here, so the
    # test can look inside the frame; the snippet's URL is the public one, under BASE_URL).
    host = server.root / "host.html"
    local = snippet.replace(BASE_URL, server.url)
    host.write_text(
        f'<!doctype html><html lang="ar"><title>مقال</title><p>نص المقال.</p>{local}</html>',
        encoding="utf-8",
    )
    browser.open(server.url + "host.html", width_px=320)
    inside = browser.evaluate(
        """new Promise(resolve => {
            const frame = document.querySelector("iframe");
            const read = () => {
                const doc = frame.contentDocument;
                if (!doc || !doc.querySelector("audio")) return setTimeout(read, 50);
                resolve([frame.title, doc.documentElement.dir, doc.querySelector("h1").textContent,
                         doc.documentElement.scrollHeight <= frame.clientHeight]);
            };
            read();
        })"""
    )
    title, direction, heading, fits = inside
    assert title == f"استمع: {heading}"
    assert direction == "rtl"
    assert fits  # no scroll bar inside the frame at 320 px


def test_the_embedded_player_is_reached_by_keyboard(browser: Browser, server: OutputServer) -> None:
    browser.open(server.url + PAGES["embed"], width_px=320)
    reached = []
    for _ in range(8):  # the controls take a few stops (play, time, volume, menu)
        for kind in ("keyDown", "keyUp"):
            browser.page("Input.dispatchKeyEvent", type=kind, key="Tab", code="Tab",
                         windowsVirtualKeyCode=9)  # fmt: skip
        reached.append(browser.evaluate("document.activeElement.tagName.toLowerCase()"))
    assert reached[0] == "audio"  # the controls first, then the links
    assert reached.index("a") > reached.index("audio")
