"""Articles stage: download a page within one overall deadline, however slowly it arrives."""

from __future__ import annotations

from dataclasses import dataclass

from audiobrief import __version__

FETCH_TIMEOUT_S = 20.0
MAX_PAGE_BYTES = 20_000_000
USER_AGENT = f"audiobrief/{__version__} (Arabic news to podcast; article reader)"


@dataclass(frozen=True)
class Page:
    """A download's answer: the body, or nothing new (HTTP 304), and its validators."""

    url: str
    """Where the page was found, after redirects."""
    body: bytes | None
    """None when the server said the copy we hold is current (304 Not Modified)."""
    etag: str | None = None
    last_modified: str | None = None


def fetch_url(url: str, *, deadline_s: float = FETCH_TIMEOUT_S) -> bytes:
    """GET *url* with audiobrief's User-Agent; urllib's errors pass through.

    *deadline_s* bounds the whole download (connection, redirects, headers and body): a
    socket timeout alone bounds each read, and a server sending a byte every few seconds
    never trips it. Past the deadline the download ends with TimeoutError.
    """
    page = fetch_page(url, deadline_s=deadline_s)
    return page.body or b""


def fetch_page(
    url: str,
    *,
    etag: str | None = None,
    last_modified: str | None = None,
    accept: str = "text/html,application/xhtml+xml",
    deadline_s: float = FETCH_TIMEOUT_S,
) -> Page:
    """GET *url*, conditionally when *etag* or *last_modified* (from an earlier answer) is
    given: a server that has nothing newer answers 304 and sends no body.

    Errors as `fetch_url`: urllib's pass through, TimeoutError past the deadline.
    """
    # http.client, urllib.request and ssl take 20 ms to import: only URLs need them.
    from audiobrief.articles.transport import get

    return get(url, etag=etag, last_modified=last_modified, accept=accept, deadline_s=deadline_s)
